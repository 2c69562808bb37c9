/* gnttab-dom0.c: a dom0 program mapping and copying a guest's grants (tests/guests/grants.c). */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <xenevtchn.h>
#include <xengnttab.h>

/*
 * Usage: gnttab-dom0 DOMID PORT RW RO COPY OTHER
 * The steps are those of tests/guests/grants.c, whose patterns these are.
 */

#define PAGE            4096u
#define WAIT_MS         30000
#define PATTERN(page, i) ((uint8_t)((page) * 31 + (i) * 7 + 1))
#define DOM0_BYTE(i)     ((uint8_t)(0xa5 ^ (i)))
#define COPY_BYTE(i)     ((uint8_t)(0x3c + (i)))
#define COPY_OFFSET      100
#define COPY_LEN         1000

enum { RW, RO, COPY, OTHER, NR_PAGES };

static int failures;
static xenevtchn_handle *xce;
static int local;

static bool check(bool ok, const char *what)
{
    if (!ok) {
        failures++;
        printf("FAIL %s (errno %d: %s)\n", what, errno, strerror(errno));
    }
    return ok;
}

static bool pattern_is(const uint8_t *p, unsigned int page)
{
    for (unsigned int i = 0; i < PAGE; i++)
        if (p[i] != PATTERN(page, i))
            return false;
    return true;
}

/* Tell the guest a step is done and wait for its answer. */
static void step(void)
{
    struct pollfd pfd = { .fd = xenevtchn_fd(xce), .events = POLLIN };

    check(xenevtchn_notify(xce, (evtchn_port_t)local) == 0, "notify");
    for (;;) {
        int port;

        if (poll(&pfd, 1, WAIT_MS) <= 0) {
            check(false, "the guest's answer in time");
            return;
        }
        port = xenevtchn_pending(xce);
        if (port == local) {
            xenevtchn_unmask(xce, (evtchn_port_t)port);
            return;
        }
    }
}

static unsigned long number(const char *s)
{
    char *end;
    unsigned long n = strtoul(s, &end, 0);

    if (!*s || *end) {
        fprintf(stderr, "gnttab-dom0: '%s' is not a number\n", s);
        exit(2);
    }
    return n;
}

static void test_maps(xengnttab_handle *xgt, uint32_t domid, const uint32_t *ref)
{
    uint8_t *rw, *ro;
    int before = failures;

    rw = xengnttab_map_grant_ref(xgt, domid, ref[RW], PROT_READ | PROT_WRITE);
    ro = xengnttab_map_grant_ref(xgt, domid, ref[RO], PROT_READ);
    if (!check(rw && ro, "mapping the rw and ro grants"))
        return;
    check(pattern_is(rw, RW) && pattern_is(ro, RO), "the mapped pages hold the guest's pattern");
    for (unsigned int i = 0; i < PAGE; i++)
        rw[i] = DOM0_BYTE(i);

    errno = 0;
    check(!xengnttab_map_grant_ref(xgt, domid, ref[RO], PROT_READ | PROT_WRITE) &&
          errno == EPERM, "a writable map of a read-only grant is refused");
    check(!xengnttab_map_grant_ref(xgt, domid, ref[OTHER], PROT_READ) && errno == EPERM,
          "a grant for another domain cannot be mapped");
    check(!xengnttab_map_grant_ref(xgt, domid, 1u << 30, PROT_READ) && errno == EINVAL,
          "a reference beyond the table cannot be mapped");
    check(!xengnttab_map_grant_ref(xgt, domid, 3, PROT_READ),
          "an unused reserved reference cannot be mapped");
    check(!xengnttab_map_grant_ref(xgt, 0x7fee, ref[RW], PROT_READ),
          "a domain that does not exist");
    if (failures == before)
        printf("PASS dom0 maps: contents, read-only and foreign grants refused\n");

    step();     /* the guest checks flags and end_access while we hold both */

    check(xengnttab_unmap(xgt, ro + 1, 1) < 0 && errno == EINVAL, "unmapping a bad address");
    check(xengnttab_unmap(xgt, rw, 1) == 0, "unmap rw");
    check(xengnttab_unmap(xgt, ro, 1) == 0, "unmap ro");
    check(xengnttab_unmap(xgt, ro, 1) < 0, "a second unmap");
}

static void test_copies(xengnttab_handle *xgt, uint32_t domid, const uint32_t *ref)
{
    static uint8_t in[PAGE], page[PAGE], out[8][256];
    xengnttab_grant_copy_segment_t seg[10];
    int before = failures;

    for (unsigned int i = 0; i < COPY_LEN; i++)
        in[i] = COPY_BYTE(i);
    memset(seg, 0, sizeof(seg));
    /* Into the guest. */
    seg[0].source.virt = in;
    seg[0].dest.foreign.ref = ref[COPY];
    seg[0].dest.foreign.offset = COPY_OFFSET;
    seg[0].dest.foreign.domid = (uint16_t)domid;
    seg[0].len = COPY_LEN;
    seg[0].flags = GNTCOPY_dest_gref;
    /* Out of it: the whole page, then eight pieces of the read-only page. */
    seg[1].source.foreign.ref = ref[COPY];
    seg[1].source.foreign.domid = (uint16_t)domid;
    seg[1].dest.virt = page;
    seg[1].len = PAGE;
    seg[1].flags = GNTCOPY_source_gref;
    for (int i = 0; i < 8; i++) {
        seg[2 + i].source.foreign.ref = ref[RO];
        seg[2 + i].source.foreign.offset = (uint16_t)(i * 512);
        seg[2 + i].source.foreign.domid = (uint16_t)domid;
        seg[2 + i].dest.virt = out[i];
        seg[2 + i].len = 256;
        seg[2 + i].flags = GNTCOPY_source_gref;
    }
    if (check(xengnttab_grant_copy(xgt, 10, seg) == 0, "grant copy")) {
        bool same = true;

        for (int i = 0; i < 10; i++)
            check(seg[i].status == GNTST_okay, "a copy segment's status");
        for (unsigned int i = 0; i < PAGE; i++) {
            bool copied = i >= COPY_OFFSET && i < COPY_OFFSET + COPY_LEN;

            same &= page[i] == (copied ? COPY_BYTE(i - COPY_OFFSET) : PATTERN(COPY, i));
        }
        for (unsigned int i = 0; i < 8; i++)
            for (unsigned int j = 0; j < 256; j++)
                same &= out[i][j] == PATTERN(RO, i * 512 + j);
        check(same, "what came back from the guest");
    }

    /* Refusals, each in its own status. */
    memset(seg, 0, sizeof(seg));
    seg[0].source.virt = in;
    seg[0].dest.foreign.ref = ref[RO];
    seg[0].dest.foreign.domid = (uint16_t)domid;
    seg[0].len = 16;
    seg[0].flags = GNTCOPY_dest_gref;
    seg[1].source.foreign.ref = ref[OTHER];
    seg[1].source.foreign.domid = (uint16_t)domid;
    seg[1].dest.virt = page;
    seg[1].len = 16;
    seg[1].flags = GNTCOPY_source_gref;
    seg[2] = seg[1];
    seg[2].source.foreign.ref = 1u << 30;
    seg[3] = seg[1];
    seg[3].source.foreign.ref = ref[COPY];
    seg[3].source.foreign.offset = PAGE - 8;
    seg[4] = seg[1];
    seg[4].source.foreign.domid = 0x7fee;
    if (check(xengnttab_grant_copy(xgt, 5, seg) == 0, "grant copy of bad segments")) {
        check(seg[0].status == GNTST_permission_denied, "copy into a read-only grant");
        check(seg[1].status == GNTST_permission_denied, "copy from another domain's grant");
        check(seg[2].status == GNTST_bad_gntref, "copy from a reference beyond the table");
        check(seg[3].status == GNTST_bad_copy_arg, "copy across the end of the page");
        check(seg[4].status == GNTST_bad_domain, "copy from a domain that does not exist");
    }
    if (failures == before)
        printf("PASS dom0 grant copies both ways, bad segments refused one by one\n");
}

int main(int argc, char **argv)
{
    xengnttab_handle *xgt;
    uint32_t domid, ref[NR_PAGES];
    evtchn_port_t port;
    struct pollfd pfd;
    int before;

    if (argc != 7) {
        fprintf(stderr, "usage: gnttab-dom0 DOMID PORT RW RO COPY OTHER\n");
        return 2;
    }
    domid = (uint32_t)number(argv[1]);
    port = (evtchn_port_t)number(argv[2]);
    for (int i = 0; i < NR_PAGES; i++)
        ref[i] = (uint32_t)number(argv[3 + i]);

    xce = xenevtchn_open(NULL, 0);
    xgt = xengnttab_open(NULL, 0);
    if (!xce || !xgt) {
        printf("FAIL opening the libraries: %s\n", strerror(errno));
        return 1;
    }
    local = xenevtchn_bind_interdomain(xce, domid, port);
    if (local < 0) {
        printf("FAIL binding the guest's port: %s\n", strerror(errno));
        return 1;
    }
    /* The event binding raised: take it, so that step() waits for the guest's. */
    pfd = (struct pollfd){ .fd = xenevtchn_fd(xce), .events = POLLIN };
    if (poll(&pfd, 1, WAIT_MS) > 0 && xenevtchn_pending(xce) == local)
        xenevtchn_unmask(xce, (evtchn_port_t)local);

    test_maps(xgt, domid, ref);
    test_copies(xgt, domid, ref);
    step();     /* the guest ends rw and ro and checks our copy */

    before = failures;
    errno = 0;
    check(!xengnttab_map_grant_ref(xgt, domid, ref[RW], PROT_READ) && errno == EPERM,
          "an ended grant cannot be mapped");
    {
        static uint8_t buf[16];
        xengnttab_grant_copy_segment_t seg = {
            .source.foreign = { .ref = ref[RO], .domid = (uint16_t)domid },
            .dest.virt = buf, .len = 16, .flags = GNTCOPY_source_gref,
        };

        check(xengnttab_grant_copy(xgt, 1, &seg) == 0 && seg.status == GNTST_permission_denied,
              "an ended grant cannot be copied");
    }
    if (failures == before)
        printf("PASS ended grants refused\n");
    check(xenevtchn_notify(xce, (evtchn_port_t)local) == 0, "the last notify");
    xengnttab_close(xgt);
    xenevtchn_close(xce);
    printf("gnttab-dom0: done, %d failures\n", failures);
    return failures ? 1 : 0;
}
