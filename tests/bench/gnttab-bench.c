/* gnttab-bench.c: grant map and grant copy throughput from dom0, against a plain memcpy. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <xenevtchn.h>
#include <xengnttab.h>

/*
 * Usage: gnttab-bench DOMID PORT FIRST PAGES [ROUNDS]
 *
 * Guest DOMID (tests/guests/grants.c with bench=PAGES) granted PAGES
 * consecutive references from FIRST to dom0 and offered PORT. Each round
 * moves all PAGES pages into a local buffer three ways: map them (one
 * batch), memcpy, unmap; grant copy (one call); and memcpy between local
 * buffers, the floor. Prints MB/s (mean over rounds and the best round)
 * and the ratio to memcpy, then tells the guest to finish.
 */

#define PAGE 4096u

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct result {
    double total, best;     /* seconds: all rounds, the fastest round */
};

static void record(struct result *r, double t)
{
    r->total += t;
    if (r->best == 0 || t < r->best)
        r->best = t;
}

static void row(const char *what, const struct result *r, const struct result *floor,
                unsigned long rounds, size_t bytes)
{
    double mean = (double)bytes * rounds / r->total / 1e6, best = (double)bytes / r->best / 1e6;
    double fmean = (double)bytes * rounds / floor->total / 1e6;

    printf("%-28s %10.1f %10.1f %12.1f %8.3f\n", what, mean, best, fmean, mean / fmean);
}

int main(int argc, char **argv)
{
    uint32_t domid, port, first, pages;
    unsigned long rounds;
    xengnttab_handle *xgt;
    xenevtchn_handle *xce;
    xengnttab_grant_copy_segment_t *segs;
    uint32_t *refs;
    uint8_t *buf, *src;
    struct result map = { 0 }, copy = { 0 }, mem = { 0 };
    volatile uint8_t sink = 0;
    int local;

    if (argc < 5) {
        fprintf(stderr, "usage: gnttab-bench DOMID PORT FIRST PAGES [ROUNDS]\n");
        return 2;
    }
    domid = (uint32_t)strtoul(argv[1], NULL, 0);
    port = (uint32_t)strtoul(argv[2], NULL, 0);
    first = (uint32_t)strtoul(argv[3], NULL, 0);
    pages = (uint32_t)strtoul(argv[4], NULL, 0);
    rounds = argc > 5 ? strtoul(argv[5], NULL, 0) : 50;
    if (pages == 0 || pages > 4096 || rounds == 0) {
        fprintf(stderr, "gnttab-bench: 1..4096 pages and at least one round\n");
        return 2;
    }
    xgt = xengnttab_open(NULL, 0);
    xce = xenevtchn_open(NULL, 0);
    refs = calloc(pages, sizeof(*refs));
    segs = calloc(pages, sizeof(*segs));
    buf = malloc((size_t)pages * PAGE);
    src = malloc((size_t)pages * PAGE);
    if (!xgt || !xce || !refs || !segs || !buf || !src) {
        fprintf(stderr, "gnttab-bench: set-up failed: %s\n", strerror(errno));
        return 1;
    }
    memset(src, 0x5a, (size_t)pages * PAGE);
    memset(buf, 0, (size_t)pages * PAGE);
    for (uint32_t i = 0; i < pages; i++) {
        refs[i] = first + i;
        segs[i].source.foreign.ref = first + i;
        segs[i].source.foreign.domid = (uint16_t)domid;
        segs[i].dest.virt = buf + (size_t)i * PAGE;
        segs[i].len = PAGE;
        segs[i].flags = GNTCOPY_source_gref;
    }

    for (unsigned long r = 0; r < rounds; r++) {
        double t0 = now_s();
        uint8_t *m = xengnttab_map_domain_grant_refs(xgt, pages, domid, refs, PROT_READ);

        if (!m) {
            fprintf(stderr, "gnttab-bench: map: %s\n", strerror(errno));
            return 1;
        }
        memcpy(buf, m, (size_t)pages * PAGE);
        xengnttab_unmap(xgt, m, pages);
        record(&map, now_s() - t0);

        t0 = now_s();
        if (xengnttab_grant_copy(xgt, pages, segs) < 0 || segs[0].status != GNTST_okay) {
            fprintf(stderr, "gnttab-bench: copy: %s (status %d)\n", strerror(errno),
                    segs[0].status);
            return 1;
        }
        record(&copy, now_s() - t0);

        t0 = now_s();
        memcpy(buf, src, (size_t)pages * PAGE);
        sink ^= buf[r % ((size_t)pages * PAGE)];
        record(&mem, now_s() - t0);
    }

    printf("%-28s %10s %10s %12s %8s\n", "grants, dom0 <- guest (MB/s)", "mean", "best",
           "floor:memcpy", "ratio");
    row("map + memcpy + unmap", &map, &mem, rounds, (size_t)pages * PAGE);
    row("grant copy", &copy, &mem, rounds, (size_t)pages * PAGE);
    row("memcpy (the floor)", &mem, &mem, rounds, (size_t)pages * PAGE);
    printf("(%u pages of 4 KiB per round, %lu rounds)\n", pages, rounds);

    local = xenevtchn_bind_interdomain(xce, domid, port);
    if (local < 0 || xenevtchn_notify(xce, (evtchn_port_t)local) < 0) {
        fprintf(stderr, "gnttab-bench: cannot tell the guest to finish: %s\n", strerror(errno));
        return 1;
    }
    xenevtchn_close(xce);
    xengnttab_close(xgt);
    return 0;
}
