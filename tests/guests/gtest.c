/* gtest.c: helpers shared by the test guests: checks, key=value arguments, timing statistics. */
/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <guest-kit/guest-kit.h>

#include "gtest.h"

/* Nothing listens on this port: each write is one plain exit to the hypervisor. */
#define FLOOR_PORT  0x80
#define FLOOR_ROUNDS 1000
#define FLOOR_BLOCK 50

int gt_failures;

bool gt_check(bool ok, const char *expr, int line, const char *fmt, ...)
{
    va_list ap;

    if (ok)
        return true;
    gt_failures++;
    printf("FAIL line %d: ", line);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf(" (%s)\n", expr);
    return false;
}

const char *gt_arg(int argc, char **argv, const char *key)
{
    size_t len = strlen(key);

    for (int i = 1; i < argc; i++)
        if (!strncmp(argv[i], key, len) && argv[i][len] == '=')
            return argv[i] + len + 1;
    return NULL;
}

unsigned long gt_arg_num(int argc, char **argv, const char *key, unsigned long def)
{
    const char *v = gt_arg(argc, argv, key);
    char *end;
    unsigned long n;

    if (!v)
        return def;
    n = strtoul(v, &end, 0);
    if (!*v || *end)
        gk_panic("argument %s=%s is not a number", key, v);
    return n;
}

void gt_stats_add(struct gt_stats *s, uint64_t ns)
{
    if (s->n == 0 || ns < s->min)
        s->min = ns;
    if (ns > s->max)
        s->max = ns;
    s->sum += ns;
    s->n++;
}

uint64_t gt_stats_mean(const struct gt_stats *s)
{
    return s->n ? s->sum / s->n : 0;
}

void gt_stats_print(const char *prefix, const char *what, const struct gt_stats *s)
{
    printf("%s: time %s n=%lu mean_ns=%lu min_ns=%lu max_ns=%lu\n", prefix, what, s->n,
           gt_stats_mean(s), s->min, s->max);
}

/*
 * Timed in blocks, so that reading the clock (some dozens of emulated
 * instructions) is not counted in each exit: a sample is a block's time
 * divided by its length.
 */
void gt_measure_floor(const char *prefix)
{
    struct gt_stats out = { 0 }, hc = { 0 }, clock = { 0 };

    for (int b = 0; b < FLOOR_ROUNDS / FLOOR_BLOCK; b++) {
        uint64_t t0 = gk_monotonic_ns();

        for (int i = 0; i < FLOOR_BLOCK; i++)
            gk_outb(FLOOR_PORT, 0);
        gt_stats_add(&out, (gk_monotonic_ns() - t0) / FLOOR_BLOCK);
    }
    for (int b = 0; b < FLOOR_ROUNDS / FLOOR_BLOCK; b++) {
        uint64_t t0 = gk_monotonic_ns();

        for (int i = 0; i < FLOOR_BLOCK; i++)
            HYPERVISOR_xen_version(XENVER_version, NULL);
        gt_stats_add(&hc, (gk_monotonic_ns() - t0) / FLOOR_BLOCK);
    }
    for (int b = 0; b < FLOOR_ROUNDS / FLOOR_BLOCK; b++) {
        uint64_t t0 = gk_monotonic_ns();

        for (int i = 0; i < FLOOR_BLOCK; i++)
            gk_monotonic_ns();
        gt_stats_add(&clock, (gk_monotonic_ns() - t0) / FLOOR_BLOCK);
    }
    gt_stats_print(prefix, "floor-out", &out);
    gt_stats_print(prefix, "floor-hypercall", &hc);
    gt_stats_print(prefix, "clock-read", &clock);
}

int gt_finish(const char *name)
{
    printf("%s: done, %d failures\n", name, gt_failures);
    return gt_failures ? 1 : 0;
}
