/* hcall-bench.c: a guest timing the xen_version hypercall against a bare exit. */
/* SPDX-License-Identifier: MIT */
/*
 * Runs inside a Lamina domain.  It times N xen_version(XENVER_version)
 * hypercalls (hypercall page -> port exit -> dispatch -> result) and N
 * writes to an unused port (an exit lamina-hv ignores: the in-guest floor),
 * and prints both in microseconds per call.  Usage (command line):
 * iterations=N (default 2000).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <guest-kit/guest-kit.h>
#include <guest-kit/hypercall.h>
#include <guest-kit/x86.h>
#include <xen/version.h>

static long iterations(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (!strncmp(argv[i], "iterations=", 11))
            return strtol(argv[i] + 11, NULL, 10);
    return 2000;
}

int main(int argc, char **argv)
{
    long n = iterations(argc, argv);
    uint64_t t0, t_hc, t_out;
    int v = 0;

    if (n < 1)
        n = 1;
    t0 = gk_monotonic_ns();
    for (long i = 0; i < n; i++)
        v |= HYPERVISOR_xen_version(XENVER_version, NULL);
    t_hc = gk_monotonic_ns() - t0;
    t0 = gk_monotonic_ns();
    for (long i = 0; i < n; i++)
        gk_outb(0x80, 0);
    t_out = gk_monotonic_ns() - t0;
    printf("xen_version hypercall: %lu.%02lu us per call (%ld calls, version %d.%d)\n",
           (unsigned long)(t_hc / n / 1000), (unsigned long)(t_hc / n % 1000 / 10), n, v >> 16,
           v & 0xffff);
    printf("in-guest port exit: %lu.%02lu us per exit\n", (unsigned long)(t_out / n / 1000),
           (unsigned long)(t_out / n % 1000 / 10));
    printf("BENCH hcall_ns=%lu out_ns=%lu\n", (unsigned long)(t_hc / n), (unsigned long)(t_out / n));
    return 0;
}
