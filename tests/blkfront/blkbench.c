/* blkbench.c: benchmark guest: 4 KiB random and 1 MiB sequential I/O through blkfront. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <guest-kit/blkfront.h>
#include <guest-kit/guest-kit.h>

#include "gtest.h"

/*
 * [secs=3] [depth=32] [seqdepth=4] [only=randread,...] [indirect=0] [persistent=0]
 *   Four phases on the first disk, each `secs` long: randread and randwrite
 *   (4 KiB at random 4 KiB-aligned places, `depth` I/Os in flight),
 *   seqread and seqwrite (1 MiB I/Os one after the other, `seqdepth` in
 *   flight). Completions submit the next I/O from the done callback, so the
 *   queue stays full. Each phase prints "PHASE <name> begin" and
 *   "PHASE <name> end ops=... ns=... iops=... kib_per_s=... errors=..."
 *   (run-bench.sh samples the backend's CPU time between the two), then the
 *   driver's counters; last, the in-guest floor (gt_measure_floor).
 *   The disk's contents are overwritten.
 */
const char gk_program_name[] = "blkbench";

#define MAX_DEPTH   128u

struct bslot {
    struct gk_blk_io io;
    void *buf;
};

static struct gk_blk *dev;
static struct bslot slots[MAX_DEPTH];
static volatile bool stop;
static unsigned int inflight;
static uint64_t ops, errors, rng = 0x2545f4914f6cdd1dull, seq_next, span;
static bool random_io;
/*
 * Every phase's buffers are carved from one pool, as a program reusing its
 * I/O buffers would: its pages stay granted (persistent grants) throughout.
 */
static char *pool;
static size_t pool_bytes;
static uint64_t io_sectors;

static uint64_t next_sector(void)
{
    uint64_t s;

    if (random_io) {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        return (rng % (span / io_sectors)) * io_sectors;
    }
    s = seq_next;
    seq_next += io_sectors;
    if (seq_next + io_sectors > span)
        seq_next = 0;
    return s;
}

/* In the disk's event handler: count it, and put the slot back to work. */
static void bench_done(struct gk_blk_io *io)
{
    if (io->status)
        errors++;
    ops++;
    if (!stop) {
        io->sector = next_sector();
        if (gk_blk_submit(dev, io) == 0)
            return;
        errors++;
    }
    __atomic_sub_fetch(&inflight, 1, __ATOMIC_ACQ_REL);
}

static void phase(const char *name, enum gk_blk_op op, bool rnd, uint64_t sectors,
                  unsigned int depth, uint64_t secs)
{
    struct gk_blk_stats st0, st1;
    uint64_t t0, ns;

    random_io = rnd;
    io_sectors = sectors;
    seq_next = 0;
    ops = errors = 0;
    stop = false;
    if ((uint64_t)depth * sectors * GK_BLK_SECTOR > pool_bytes)
        gk_panic("%u buffers of %lu sectors do not fit in the pool", depth, sectors);
    for (unsigned int k = 0; k < depth; k++)
        slots[k].buf = pool + (size_t)k * sectors * GK_BLK_SECTOR;
    gk_blk_stats(dev, &st0);
    printf("PHASE %s begin\n", name);
    t0 = gk_monotonic_ns();
    for (unsigned int k = 0; k < depth; k++) {
        slots[k].io = (struct gk_blk_io){ .op = op, .sector = next_sector(), .nsectors = sectors,
                                          .buf = slots[k].buf, .done = bench_done };
        __atomic_add_fetch(&inflight, 1, __ATOMIC_ACQ_REL);
        if (gk_blk_submit(dev, &slots[k].io) < 0) {
            __atomic_sub_fetch(&inflight, 1, __ATOMIC_ACQ_REL);
            errors++;
        }
    }
    gk_sleep_until(t0 + secs * 1000000000ull);
    stop = true;
    gk_wait_event(__atomic_load_n(&inflight, __ATOMIC_ACQUIRE) == 0);
    ns = gk_monotonic_ns() - t0;
    gk_blk_stats(dev, &st1);
    printf("PHASE %s end ops=%lu ns=%lu iops=%lu kib_per_s=%lu errors=%lu depth=%u "
           "requests=%lu notifies=%lu events=%lu\n", name, ops, ns, ops * 1000000000ul / ns,
           ops * sectors / 2 * 1000000000ul / ns, errors, depth, st1.requests - st0.requests,
           st1.notifies - st0.notifies, st1.events - st0.events);
}

static bool wanted(const char *only, const char *name)
{
    size_t len = strlen(name);

    if (!only)
        return true;
    for (const char *p = only; (p = strstr(p, name)); p += len)
        if ((p == only || p[-1] == ',') && (p[len] == ',' || !p[len]))
            return true;
    return false;
}

int main(int argc, char **argv)
{
    uint64_t secs = gt_arg_num(argc, argv, "secs", 3);
    unsigned int depth = (unsigned int)gt_arg_num(argc, argv, "depth", 32);
    unsigned int seqdepth = (unsigned int)gt_arg_num(argc, argv, "seqdepth", 4);
    const char *only = gt_arg(argc, argv, "only");
    struct gk_blk_options opts = {
        .no_indirect = !gt_arg_num(argc, argv, "indirect", 1),
        .no_persistent = !gt_arg_num(argc, argv, "persistent", 1),
    };
    const struct gk_blk_info *in;
    uint32_t ids[4];
    int rc;

    if (!depth || depth > MAX_DEPTH || !seqdepth || seqdepth > MAX_DEPTH)
        gk_panic("depth and seqdepth are 1-%u", MAX_DEPTH);
    if (gk_blk_list(ids, 4) < 1 || (rc = gk_blk_open(ids[0], &opts, &dev)) < 0)
        gk_panic("no disk to measure");
    in = gk_blk_info(dev);
    span = in->sectors;
    printf("blkbench: disk %u: %lu MiB, ring %u page(s) (%u requests), %u segments per request%s\n",
           in->devid, in->sectors >> 11, in->ring_pages, in->ring_slots, in->max_segments,
           in->persistent ? ", persistent grants" : "");
    if (span < 4096)
        gk_panic("the disk is too small: 2 MiB at least");
    pool_bytes = (size_t)(depth * 8 > seqdepth * 2048 ? depth * 8 : seqdepth * 2048) *
                 GK_BLK_SECTOR;
    pool = aligned_alloc(4096, pool_bytes);
    if (!pool)
        gk_panic("no memory for a %zu KiB buffer pool", pool_bytes / 1024);
    if (wanted(only, "randread"))
        phase("randread", GK_BLK_READ, true, 8, depth, secs);
    if (wanted(only, "randwrite"))
        phase("randwrite", GK_BLK_WRITE, true, 8, depth, secs);
    if (wanted(only, "seqread"))
        phase("seqread", GK_BLK_READ, false, 2048, seqdepth, secs);
    if (wanted(only, "seqwrite"))
        phase("seqwrite", GK_BLK_WRITE, false, 2048, seqdepth, secs);
    gt_measure_floor("blkbench");
    gk_blk_close(dev);
    return gt_finish("blkbench");
}
