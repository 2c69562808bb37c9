/* grants.c: test guest granting pages to a dom0 program (tests/integration/gnttab-dom0.c). */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <guest-kit/guest-kit.h>

#include "gtest.h"

/*
 * Grants four pages to dom0 and one to another domain, offers dom0 a port
 * and prints "grants: domid=.. port=.. rw=.. ro=.. copy=.. other=..";
 * then steps with the dom0 program, one event each way per step:
 *   1. dom0 holds `rw` (writable) and `ro` mapped and has written into
 *      `rw`: we see GTF_reading/GTF_writing, cannot end either grant, and
 *      see dom0's bytes.
 *   2. dom0 has unmapped both and copied into `copy`: both grants end
 *      now, and dom0's bytes are in `copy`.
 *   3. dom0 has found the ended grants unmappable: done.
 * With bench=<pages> it instead grants that many pages to dom0, prints
 * "grants: bench domid=.. port=.. first=<ref>" (consecutive references)
 * and waits for dom0's event before leaving.
 */

const char gk_program_name[] = "grants";

#define PATTERN(page, i) ((uint8_t)((page) * 31 + (i) * 7 + 1))
#define DOM0_BYTE(i)     ((uint8_t)(0xa5 ^ (i)))
#define COPY_BYTE(i)     ((uint8_t)(0x3c + (i)))
#define COPY_OFFSET      100
#define COPY_LEN         1000

enum { RW, RO, COPY, OTHER, NR_PAGES };

static volatile uint32_t events;

static void on_event(evtchn_port_t port, void *arg)
{
    (void)port;
    (void)arg;
    events++;
}

static int bench(unsigned long pages)
{
    uint8_t *mem = aligned_alloc(GK_PAGE_SIZE, pages * GK_PAGE_SIZE);
    int port = gk_evtchn_alloc_unbound(0, on_event, NULL);
    int first = -1;

    if (!mem || port < 0)
        gk_panic("bench set-up: %d", port);
    for (unsigned long i = 0; i < pages; i++) {
        int ref = gk_grant_access(0, (uintptr_t)(mem + i * GK_PAGE_SIZE) / GK_PAGE_SIZE, false);

        if (ref < 0 || (first >= 0 && ref != first + (int)i))
            gk_panic("grant %lu: %d (references are not consecutive)", i, ref);
        if (first < 0)
            first = ref;
        mem[i * GK_PAGE_SIZE] = (uint8_t)i;
    }
    printf("grants: bench domid=%u port=%d first=%d pages=%lu\n", gk_domid(), port, first, pages);
    gk_wait_event(events >= 1);
    return gt_finish("grants");
}

int main(int argc, char **argv)
{
    uint8_t *page[NR_PAGES];
    int ref[NR_PAGES], port, rc;
    unsigned long pages = gt_arg_num(argc, argv, "bench", 0);
    bool ok = true;

    if (pages)
        return bench(pages);
    for (int p = 0; p < NR_PAGES; p++) {
        page[p] = aligned_alloc(GK_PAGE_SIZE, GK_PAGE_SIZE);
        if (!page[p])
            gk_panic("out of memory");
        for (unsigned int i = 0; i < GK_PAGE_SIZE; i++)
            page[p][i] = PATTERN(p, i);
        ref[p] = gk_grant_access(p == OTHER ? 1234 : 0, (uintptr_t)page[p] / GK_PAGE_SIZE,
                                 p == RO);
        if (ref[p] < 0)
            gk_panic("grant %d: %d", p, ref[p]);
    }
    port = gk_evtchn_alloc_unbound(0, on_event, NULL);
    if (port < 0)
        gk_panic("cannot offer dom0 a port: %d", port);
    printf("grants: domid=%u port=%d rw=%d ro=%d copy=%d other=%d\n", gk_domid(), port, ref[RW],
           ref[RO], ref[COPY], ref[OTHER]);

    /* Step 1: dom0 holds rw and ro. */
    gk_wait_event(events >= 1);
    ok &= GT_CHECK((gk_grant_flags(ref[RW]) & (GTF_reading | GTF_writing)) ==
                   (GTF_reading | GTF_writing), "rw flags %#x", gk_grant_flags(ref[RW]));
    ok &= GT_CHECK((gk_grant_flags(ref[RO]) & (GTF_reading | GTF_writing)) == GTF_reading,
                   "ro flags %#x", gk_grant_flags(ref[RO]));
    rc = gk_grant_end_access(ref[RW]);
    ok &= GT_CHECK(rc == -EBUSY, "ending a grant dom0 has mapped writable gave %d", rc);
    rc = gk_grant_end_access(ref[RO]);
    ok &= GT_CHECK(rc == -EBUSY, "ending a grant dom0 has mapped read-only gave %d", rc);
    for (unsigned int i = 0; i < GK_PAGE_SIZE; i++)
        if (page[RW][i] != DOM0_BYTE(i)) {
            ok &= GT_CHECK(false, "byte %u of the mapped page is %#x", i, page[RW][i]);
            break;
        }
    if (ok)
        printf("PASS dom0's mapping: flags held, end_access refused, its writes seen\n");
    gk_evtchn_send((evtchn_port_t)port);

    /* Step 2: unmapped; dom0 copied into `copy`. */
    gk_wait_event(events >= 2);
    ok = true;
    ok &= GT_CHECK((gk_grant_flags(ref[RW]) & (GTF_reading | GTF_writing)) == 0,
                   "rw still held after the unmap: %#x", gk_grant_flags(ref[RW]));
    rc = gk_grant_end_access(ref[RW]);
    ok &= GT_CHECK(rc == 0, "ending the unmapped writable grant gave %d", rc);
    rc = gk_grant_end_access(ref[RO]);
    ok &= GT_CHECK(rc == 0, "ending the unmapped read-only grant gave %d", rc);
    rc = gk_grant_end_access(ref[RO]);
    ok &= GT_CHECK(rc == -EINVAL, "ending it twice gave %d", rc);
    for (unsigned int i = 0; i < GK_PAGE_SIZE; i++) {
        bool copied = i >= COPY_OFFSET && i < COPY_OFFSET + COPY_LEN;
        uint8_t want = copied ? COPY_BYTE(i - COPY_OFFSET) : PATTERN(COPY, i);

        if (page[COPY][i] != want) {
            ok &= GT_CHECK(false, "byte %u of the copy page is %#x, want %#x", i,
                           page[COPY][i], want);
            break;
        }
    }
    if (ok)
        printf("PASS after dom0's unmap the grants end; dom0's copy arrived\n");
    gk_evtchn_send((evtchn_port_t)port);

    /* Step 3. */
    gk_wait_event(events >= 3);
    GT_CHECK(gk_grant_end_access(ref[COPY]) == 0, "ending the copy grant");
    GT_CHECK(gk_grant_end_access(ref[OTHER]) == 0, "ending the other grant");
    return gt_finish("grants");
}
