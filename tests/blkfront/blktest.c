/* blktest.c: test guest for blkfront: read-only disks, API checks, disks attached and detached. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <guest-kit/blkfront.h>
#include <guest-kit/guest-kit.h>
#include <guest-kit/smp.h>
#include <guest-kit/time.h>
#include <guest-kit/xenbus.h>

#include "gtest.h"
#include "pattern.h"

/*
 * mode=ro tag=T sectors=N
 *   The first disk must be read-only and hold tag T in sectors 0..N-1 (the
 *   script stamps the image from the host): reads work and find it, writes
 *   and discards fail with -EROFS, bad arguments with -EINVAL. With a
 *   second vCPU, reads from there must work too, and so must closing there a
 *   disk vCPU 0 opened (whose I/O watchdog runs on vCPU 0).
 *
 * mode=hotplug rounds=R
 *   Watches device/vbd and prints "HOTPLUG watching". In each round it waits
 *   for a disk that was not there at boot, opens it, writes and checks 1 MiB
 *   (tag 100 + round), prints "HOTPLUG busy devid=D round=R" and keeps reads
 *   in flight until the disk goes away (`lamina block-detach`): every I/O
 *   must end (done, or failed with -ENODEV) and the removal must be seen.
 *   After the last round it prints its summary and waits for `lamina shutdown`.
 *
 * mode=evil rounds=R timeout_ms=T
 *   For tests/blkfront/evil-backend: opens each disk that appears (with an
 *   I/O timeout of T ms), reads it twice and closes it, printing
 *   "EVIL round ..." lines; it must survive every lie of that backend.
 */
const char gk_program_name[] = "blktest";

#define MS          1000000ull
#define CHUNK       2048u           /* sectors: 1 MiB */
#define BUSY_DEPTH  4u

static uint64_t *wbuf, *rbuf;

/* The first differing 8-byte word, or n (repe cmpsq: a word per emulated step). */
static size_t words_differ(const uint64_t *a, const uint64_t *b, size_t n)
{
    const uint64_t *p = a, *q = b;
    size_t left = n;
    bool ne;

    if (!n)
        return 0;
    __asm__ volatile("repe cmpsq" : "+S"(p), "+D"(q), "+c"(left), "=@ccnz"(ne) : : "memory");
    return ne ? (size_t)(p - a) - 1 : n;
}

/* wbuf = the pattern for sectors first..first+n-1 with tag. */
static void make_pattern(uint64_t first, uint64_t n, uint64_t tag)
{
    size_t have = BLKV_SECTOR_BYTES, bytes = (size_t)n * BLKV_SECTOR_BYTES;

    blkv_fill_sector(wbuf, first, tag);
    while (have < bytes) {
        size_t m = have < bytes - have ? have : bytes - have;

        memcpy((char *)wbuf + have, wbuf, m);
        have += m;
    }
    blkv_stamp(wbuf, first, n, tag);
}

/* Reads sectors first..first+n-1 and checks them against tag: true if all hold it. */
static bool read_check(struct gk_blk *dev, uint64_t first, uint64_t n, uint64_t tag)
{
    for (uint64_t at = first; at < first + n; at += CHUNK) {
        uint64_t m = first + n - at < CHUNK ? first + n - at : CHUNK;
        size_t words = (size_t)m * BLKV_WORDS, d;
        int rc = gk_blk_read(dev, at, rbuf, m);

        if (!GT_CHECK(rc == 0, "read of sectors %lu-%lu: %d", at, at + m - 1, rc))
            return false;
        make_pattern(at, m, tag);
        d = words_differ(rbuf, wbuf, words);
        if (!GT_CHECK(d == words, "sector %lu: found sector=%lu tag=%lu, expected tag %lu",
                      at + d / BLKV_WORDS, rbuf[d / BLKV_WORDS * BLKV_WORDS],
                      rbuf[d / BLKV_WORDS * BLKV_WORDS + 1], tag))
            return false;
    }
    return true;
}

static struct gk_blk *open_first(void)
{
    uint32_t ids[8];
    struct gk_blk *dev = NULL;
    int n = gk_blk_list(ids, 8), rc;

    if (!GT_CHECK(n > 0, "no disk: gk_blk_list returned %d", n))
        return NULL;
    rc = gk_blk_open(ids[0], NULL, &dev);
    GT_CHECK(rc == 0, "open disk %u: %d", ids[0], rc);
    return rc == 0 ? dev : NULL;
}

static struct gk_blk *smp_dev;
static uint64_t smp_tag;
static volatile bool smp_ok;

/* On vCPU 1: synchronous reads, whose answers the event handler takes on vCPU 0. */
static void read_on_cpu1(void *arg)
{
    smp_ok = gk_this_cpu()->id == 1 && read_check(smp_dev, 64, 256, smp_tag);
}

static const struct gk_blk_options short_timeout = { .io_timeout_ms = 800 };
static volatile uint64_t close_ms;

/* On vCPU 1: closes a disk vCPU 0 opened (its watchdog timer lives there). */
static void close_on_cpu1(void *arg)
{
    uint64_t t0 = gk_monotonic_ns();

    gk_blk_close(smp_dev);
    close_ms = (gk_monotonic_ns() - t0) / MS;
}

static int test_readonly(int argc, char **argv)
{
    uint64_t tag = gt_arg_num(argc, argv, "tag", 1), n = gt_arg_num(argc, argv, "sectors", 4096);
    struct gk_blk *dev = open_first(), *again = NULL;
    const struct gk_blk_info *in;
    struct gk_blk_io io = { .op = GK_BLK_WRITE, .sector = 0, .nsectors = 8 };
    int rc;

    if (!dev)
        return gt_finish("blktest");
    in = gk_blk_info(dev);
    if (GT_CHECK(in->readonly, "disk %u is not read-only", in->devid))
        printf("PASS the disk is read-only (VDISK_READONLY)\n");
    if (read_check(dev, 0, n, tag))
        printf("PASS read %lu sectors holding tag %lu\n", n, tag);

    rc = gk_blk_write(dev, 0, wbuf, 8);
    GT_CHECK(rc == -EROFS, "write: %d, expected -EROFS", rc);
    io.buf = wbuf;
    rc = gk_blk_submit(dev, &io);
    GT_CHECK(rc == -EROFS, "async write: %d, expected -EROFS", rc);
    rc = gk_blk_discard(dev, 0, 8);
    GT_CHECK(rc == -EROFS || rc == -EOPNOTSUPP, "discard: %d", rc);
    rc = gk_blk_flush(dev);
    GT_CHECK(rc == 0 || rc == -EOPNOTSUPP, "flush: %d", rc);
    if (!gt_failures)
        printf("PASS writes and discards refused with -EROFS\n");

    GT_CHECK(gk_blk_read(dev, 0, (char *)rbuf + 8, 1) == -EINVAL, "unaligned buffer");
    GT_CHECK(gk_blk_read(dev, 0, rbuf, 0) == -EINVAL, "no sectors");
    GT_CHECK(gk_blk_read(dev, in->sectors, rbuf, 1) == -EINVAL, "beyond the end");
    GT_CHECK(gk_blk_read(dev, in->sectors - 1, rbuf, 2) == -EINVAL, "across the end");
    GT_CHECK(gk_blk_read(dev, UINT64_MAX - 1, rbuf, 4) == -EINVAL, "overflowing range");
    GT_CHECK(gk_blk_read(dev, 0, NULL, 1) == -EINVAL, "no buffer");
    GT_CHECK(gk_blk_read(dev, in->sectors - 1, rbuf, 1) == 0, "the last sector");
    GT_CHECK(gk_blk_open(in->devid, NULL, &again) == -EBUSY, "opened twice");
    if (!gt_failures)
        printf("PASS bad ranges and buffers refused with -EINVAL; a second open with -EBUSY\n");

    if (gk_smp_init() > 1) {
        smp_dev = dev;
        smp_tag = tag;
        GT_CHECK(gk_smp_call(1, read_on_cpu1, NULL) == 0, "gk_smp_call");
        gk_smp_wait(1);
        if (GT_CHECK(smp_ok, "reads from vCPU 1 failed"))
            printf("PASS reads from vCPU 1 (answers taken on vCPU 0)\n");
    }

    gk_blk_close(dev);
    /* A short I/O timeout: its watchdog ticks every 100 ms on vCPU 0. */
    GT_CHECK(gk_blk_open(in->devid, &short_timeout, &dev) == 0, "reopen after close");
    if (dev && read_check(dev, 0, 8, tag))
        printf("PASS closed and opened again\n");
    if (dev && gk_smp_cpus() > 1) {
        smp_dev = dev;
        GT_CHECK(gk_smp_call(1, close_on_cpu1, NULL) == 0, "gk_smp_call");
        gk_smp_wait(1);
        if (GT_CHECK(close_ms < 2000, "closing on vCPU 1 took %lu ms", close_ms))
            printf("PASS closed on vCPU 1, opened on vCPU 0, in %lu ms\n", close_ms);
    } else if (dev) {
        gk_blk_close(dev);
    }
    return gt_finish("blktest");
}

/* ---- hotplug ---- */

struct hp_event {
    uint32_t devid;
    bool present;
};

static struct hp_event events[32];
static volatile unsigned int nevents;

static void on_hotplug(uint32_t devid, bool present, void *arg)
{
    if (nevents < sizeof(events) / sizeof(events[0])) {
        events[nevents] = (struct hp_event){ devid, present };
        __atomic_store_n(&nevents, nevents + 1, __ATOMIC_RELEASE);
    }
}

static bool is_boot_disk(uint32_t devid, const uint32_t *boot, int nboot)
{
    for (int i = 0; i < nboot; i++)
        if (boot[i] == devid)
            return true;
    return false;
}

struct busy_io {
    struct gk_blk_io io;
    uint64_t *buf;
    volatile bool done;
    bool busy;
};

static void busy_done(struct gk_blk_io *io)
{
    ((struct busy_io *)io->arg)->done = true;
}

static struct busy_io busy[BUSY_DEPTH];

static bool busy_any_done(void)
{
    for (unsigned int k = 0; k < BUSY_DEPTH; k++)
        if (busy[k].busy && busy[k].done)
            return true;
    return false;
}

/*
 * Keeps reads in flight until submitting fails; then waits for every read
 * to end. Returns the reads that succeeded; *err the first error.
 */
static unsigned int keep_busy(struct gk_blk *dev, int *err)
{
    unsigned int ok = 0, inflight = 0;
    uint64_t pos = 0, span = gk_blk_info(dev)->sectors - 64;
    bool submitting = true;

    *err = 0;
    for (;;) {
        for (unsigned int k = 0; submitting && k < BUSY_DEPTH; k++) {
            struct busy_io *b = &busy[k];
            int rc;

            if (b->busy)
                continue;
            b->io = (struct gk_blk_io){ .op = GK_BLK_READ, .sector = pos, .nsectors = 64,
                                        .buf = b->buf, .done = busy_done, .arg = b };
            b->done = false;
            pos = (pos + 4104) % span;
            rc = gk_blk_submit(dev, &b->io);
            if (rc < 0) {
                if (!*err)
                    *err = rc;
                submitting = false;
                break;
            }
            b->busy = true;
            inflight++;
        }
        if (!inflight)
            return ok;
        gk_wait_event(busy_any_done());
        for (unsigned int k = 0; k < BUSY_DEPTH; k++) {
            struct busy_io *b = &busy[k];

            if (!b->busy || !b->done)
                continue;
            b->busy = false;
            inflight--;
            if (b->io.status == 0) {
                ok++;
            } else {
                if (!*err)
                    *err = b->io.status;
                submitting = false;
            }
        }
        /* Busy as it is, the loop must still let xenstore news in. */
        gk_xenbus_dispatch();
    }
}

/* Sectors 4096-4103 written, discarded, read back: zeros (the backend punches a hole). */
static bool discard_check(struct gk_blk *dev, unsigned int round)
{
    size_t words = 8 * BLKV_WORDS;
    int rc;

    make_pattern(4096, 8, 200 + round);
    rc = gk_blk_write(dev, 4096, wbuf, 8);
    if (GT_CHECK(rc == 0, "round %u: write before discard: %d", round, rc))
        rc = gk_blk_discard(dev, 4096, 8);
    if (!GT_CHECK(rc == 0, "round %u: discard: %d", round, rc))
        return false;
    memset(wbuf, 0, words * 8);
    rc = gk_blk_read(dev, 4096, rbuf, 8);
    return GT_CHECK(rc == 0 && words_differ(rbuf, wbuf, words) == words,
                    "round %u: discarded sectors do not read as zeros (%d)", round, rc);
}

static int test_hotplug(int argc, char **argv)
{
    unsigned int rounds = (unsigned int)gt_arg_num(argc, argv, "rounds", 2), seen = 0;
    uint32_t boot[8];
    int nboot = gk_blk_list(boot, 8), rc;

    for (unsigned int k = 0; k < BUSY_DEPTH; k++)
        busy[k].buf = aligned_alloc(4096, 64 * BLKV_SECTOR_BYTES);
    rc = gk_blk_watch(on_hotplug, NULL);
    if (!GT_CHECK(rc == 0 && nboot >= 0, "watch: %d, list: %d", rc, nboot))
        return gt_finish("blktest");
    /* The watch's first event reports the disks there are. */
    gk_sleep_ns(20 * MS);
    printf("HOTPLUG watching: %d disk(s) at boot\n", nboot);

    for (unsigned int round = 0; round < rounds; round++) {
        uint32_t devid = 0;
        struct gk_blk *dev;
        bool gone = false;
        unsigned int ok;
        int err;

        /* Wait for a disk that was not there at boot. */
        while (!devid) {
            gk_wait_event(__atomic_load_n(&nevents, __ATOMIC_ACQUIRE) > seen);
            for (; seen < nevents; seen++)
                if (events[seen].present && !is_boot_disk(events[seen].devid, boot, nboot))
                    devid = events[seen].devid;
        }
        rc = gk_blk_open(devid, NULL, &dev);
        if (!GT_CHECK(rc == 0, "round %u: open the new disk %u: %d", round, devid, rc))
            break;
        make_pattern(0, CHUNK, 100 + round);
        rc = gk_blk_write(dev, 0, wbuf, CHUNK);
        if (GT_CHECK(rc == 0, "round %u: write: %d", round, rc) &&
            GT_CHECK(gk_blk_flush(dev) == 0, "round %u: flush", round) &&
            read_check(dev, 0, CHUNK, 100 + round))
            printf("PASS round %u: disk %u attached, connected, written and verified\n", round,
                   devid);
        if (gk_blk_info(dev)->discard && discard_check(dev, round))
            printf("PASS round %u: discarded sectors read back as zeros\n", round);
        printf("HOTPLUG busy devid=%u round=%u\n", devid, round);
        ok = keep_busy(dev, &err);
        GT_CHECK(err == -ENODEV || err == -EIO, "round %u: I/O ended with %d", round, err);
        GT_CHECK(!gk_blk_connected(dev), "round %u: still connected", round);
        gk_blk_close(dev);
        /* The toolstack removes the directories once the backend is Closed. */
        while (!gone) {
            for (; seen < nevents; seen++)
                if (!events[seen].present && events[seen].devid == devid)
                    gone = true;
            if (!gone)
                gk_wait_event(__atomic_load_n(&nevents, __ATOMIC_ACQUIRE) > seen);
        }
        printf("PASS round %u: disk %u detached: %u reads done, then error %d; removal seen\n",
               round, devid, ok, err);
    }
    gk_blk_watch(NULL, NULL);
    if (gt_finish("blktest"))
        return 1;
    /* The script looks at the domain's disks once more, then shuts it down. */
    printf("HOTPLUG waiting for shutdown\n");
    for (;;)
        gk_sleep_ns(1000 * MS);
}

/* ---- a backend that lies (tests/blkfront/evil-backend) ---- */

#define EVIL_MARKER 0x6576696c6c617465ull

/*
 * Each disk that appears is opened and read twice (8 sectors into a zeroed
 * page), then closed; one line per disk says how each step ended and
 * whether the backend's late write reached the buffer before the read
 * completed.
 */
static int test_evil(int argc, char **argv)
{
    unsigned int rounds = (unsigned int)gt_arg_num(argc, argv, "rounds", 11), seen = 0;
    struct gk_blk_options opts = {
        .io_timeout_ms = (unsigned int)gt_arg_num(argc, argv, "timeout_ms", 3000),
    };
    uint64_t *page = aligned_alloc(4096, 4096);
    int rc;

    rc = gk_blk_watch(on_hotplug, NULL);
    if (!GT_CHECK(rc == 0 && page, "watch: %d", rc))
        return gt_finish("blktest");
    printf("HOTPLUG watching: evil backend\n");
    for (unsigned int round = 0; round < rounds; round++) {
        uint32_t devid = 0;
        struct gk_blk *dev;
        uint64_t t0, ms;
        int r1, r2;

        while (!devid) {
            gk_wait_event(__atomic_load_n(&nevents, __ATOMIC_ACQUIRE) > seen);
            for (; seen < nevents; seen++)
                if (events[seen].present)
                    devid = events[seen].devid;
        }
        rc = gk_blk_open(devid, &opts, &dev);
        if (rc < 0) {
            printf("EVIL round %u devid=%u open=%d\n", round, devid, rc);
            continue;
        }
        memset(page, 0, 4096);
        t0 = gk_monotonic_ns();
        r1 = gk_blk_read(dev, 0, page, 8);
        ms = (gk_monotonic_ns() - t0) / MS;
        r2 = gk_blk_read(dev, 8, (char *)page + 4096 - 512, 1);
        printf("EVIL round %u devid=%u open=0 read1=%d read2=%d marker=%d connected=%d\n",
               round, devid, r1, r2, page[0] == EVIL_MARKER, gk_blk_connected(dev));
        printf("EVIL round %u read1 took %lu ms\n", round, (unsigned long)ms);
        gk_blk_close(dev);
        printf("EVIL round %u closed\n", round);
    }
    gk_blk_watch(NULL, NULL);
    return gt_finish("blktest");
}

int main(int argc, char **argv)
{
    const char *mode = gt_arg(argc, argv, "mode");

    wbuf = aligned_alloc(4096, CHUNK * BLKV_SECTOR_BYTES);
    rbuf = aligned_alloc(4096, CHUNK * BLKV_SECTOR_BYTES);
    if (!wbuf || !rbuf)
        gk_panic("no memory for the buffers");
    if (mode && !strcmp(mode, "ro"))
        return test_readonly(argc, argv);
    if (mode && !strcmp(mode, "hotplug"))
        return test_hotplug(argc, argv);
    if (mode && !strcmp(mode, "evil"))
        return test_evil(argc, argv);
    printf("blktest: mode=ro, hotplug or evil\n");
    return 2;
}
