/* blk-verify.c: writes a stamped pattern over a disk, flushes, reads it back and checks it. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <guest-kit/blkfront.h>
#include <guest-kit/guest-kit.h>
#include <guest-kit/xenbus.h>

#include "pattern.h"

/*
 * Command line (key=value, all optional):
 *
 *   disk=N|xvdX    the disk: an index among the domain's disks (0: the first),
 *                  a device number (51712), or a name (xvda); default 0
 *   start=S        first sector (512 bytes); default 0
 *   sectors=N      how many; default 8192 (4 MiB) or up to the disk's end;
 *                  "all" for the whole disk
 *   tag=T          the run's tag stamped into each sector; default from the clock
 *   mode=write     write the range, flush, read it back and check (default)
 *   mode=verify    only read and check (a range an earlier run wrote with tag T)
 *   mode=hold      write and flush, print "FLUSHED tag=T sectors=A-B" and wait for a
 *                  shutdown request (`lamina shutdown`); with after=verify, check
 *                  the range then, before powering off
 *   mode=loop      write, flush and check again and again (tags T, T+1, ...) until a
 *                  shutdown request; then power off
 *   io=N           sectors per I/O (default 256: 128 KiB); depth=N I/Os in flight (8)
 *   align=N        buffer alignment, 512 (default: buffers that straddle pages) or 4096
 *   ring=P         at most P ring pages; indirect=0, persistent=0 switch those off
 *
 * It prints one "blk-verify: PASS ..." or "blk-verify: FAIL ..." line per step
 * and exits 0 when everything passed. The range is OVERWRITTEN (not in
 * verify mode): give it a disk whose contents do not matter.
 */
const char gk_program_name[] = "blk-verify";

#define MAX_DEPTH   64u
#define MAX_REPORTS 5u

struct slot {
    struct gk_blk_io io;
    uint64_t *data;             /* what is written, and what a read must find */
    uint64_t *rbuf;             /* where reads land */
    volatile bool done;
    bool busy;
};

static struct gk_blk *dev;
static struct slot slots[MAX_DEPTH];
static unsigned int depth = 8, io_sectors = 256;
static uint64_t first, count, tag;
static unsigned int reported;
static volatile bool go_on;

static const char *arg(int argc, char **argv, const char *key)
{
    size_t len = strlen(key);

    for (int i = 1; i < argc; i++)
        if (!strncmp(argv[i], key, len) && argv[i][len] == '=')
            return argv[i] + len + 1;
    return NULL;
}

static uint64_t arg_num(int argc, char **argv, const char *key, uint64_t dflt)
{
    const char *v = arg(argc, argv, key);
    char *end;
    uint64_t n;

    if (!v)
        return dflt;
    n = strtoull(v, &end, 0);
    if (!*v || *end) {
        printf("blk-verify: FAIL %s=%s is not a number\n", key, v);
        exit(2);
    }
    return n;
}

/*
 * The index of the first 8-byte word that differs, or n: `repe cmpsq`
 * compares a word per emulated step, where memcmp goes byte by byte.
 */
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

/* A disk named on the command line: index, device number or xvdX. */
static int pick_disk(const char *spec, uint32_t *devid)
{
    uint32_t ids[64];
    int n = gk_blk_list(ids, 64);
    unsigned long v;
    char *end;

    if (n < 0)
        return n;
    if (!strncmp(spec, "xvd", 3) && spec[3] >= 'a' && spec[3] <= 'p' && !spec[4]) {
        *devid = (202u << 8) | ((unsigned int)(spec[3] - 'a') << 4);
        return 0;
    }
    v = strtoul(spec, &end, 0);
    if (!*spec || *end)
        return -EINVAL;
    if (v < 64) {
        if ((int)v >= n)
            return -ENODEV;
        *devid = ids[v];
        return 0;
    }
    *devid = (uint32_t)v;
    return 0;
}

static void io_done(struct gk_blk_io *io)
{
    ((struct slot *)io->arg)->done = true;
}

static bool any_done(void)
{
    for (unsigned int k = 0; k < depth; k++)
        if (slots[k].busy && slots[k].done)
            return true;
    return false;
}

/* Bad sectors of a finished read, a few reported in detail. */
static unsigned int check(const struct slot *s)
{
    size_t words = (size_t)s->io.nsectors * BLKV_WORDS, at = 0;
    unsigned int bad = 0;

    while (at < words) {
        size_t d = words_differ(s->rbuf + at, s->data + at, words - at);
        size_t sec;
        const uint64_t *got;

        if (d == words - at)
            break;
        sec = (at + d) / BLKV_WORDS;
        got = s->rbuf + sec * BLKV_WORDS;
        if (reported++ < MAX_REPORTS)
            printf("blk-verify: FAIL sector %lu: found sector=%lu tag=%lu, word %zu differs\n",
                   s->io.sector + sec, got[0], got[1], (at + d) % BLKV_WORDS);
        bad++;
        at = (sec + 1) * BLKV_WORDS;
    }
    return bad;
}

/* Writes the range (verify false), or reads and checks it; the number of failures. */
static unsigned int pass(bool verify)
{
    uint64_t next = first, end = first + count;
    uint64_t t0 = gk_monotonic_ns(), ns;
    unsigned int busy = 0, bad = 0, errors = 0;

    for (;;) {
        for (unsigned int k = 0; k < depth && next < end && !errors; k++) {
            struct slot *s = &slots[k];
            uint64_t n = end - next < io_sectors ? end - next : io_sectors;
            int rc;

            if (s->busy)
                continue;
            blkv_stamp(s->data, next, n, tag);
            s->io = (struct gk_blk_io){
                .op = verify ? GK_BLK_READ : GK_BLK_WRITE, .sector = next, .nsectors = n,
                .buf = verify ? s->rbuf : s->data, .done = io_done, .arg = s,
            };
            s->done = false;
            rc = gk_blk_submit(dev, &s->io);
            if (rc < 0) {
                printf("blk-verify: FAIL submitting sectors %lu-%lu: error %d\n", next,
                       next + n - 1, rc);
                errors++;
                break;
            }
            s->busy = true;
            busy++;
            next += n;
        }
        if (!busy)
            break;
        gk_wait_event(any_done());
        for (unsigned int k = 0; k < depth; k++) {
            struct slot *s = &slots[k];

            if (!s->busy || !s->done)
                continue;
            s->busy = false;
            busy--;
            if (s->io.status) {
                if (errors++ < MAX_REPORTS)
                    printf("blk-verify: FAIL %s sectors %lu-%lu: error %d\n",
                           verify ? "reading" : "writing", s->io.sector,
                           s->io.sector + s->io.nsectors - 1, s->io.status);
            } else if (verify) {
                bad += check(s);
            }
        }
    }
    ns = gk_monotonic_ns() - t0;
    if (errors || bad)
        printf("blk-verify: FAIL %s sectors %lu-%lu tag=%lu: %u I/O errors, %u bad sectors\n",
               verify ? "verify" : "write", first, end - 1, tag, errors, bad);
    else
        printf("blk-verify: PASS %s sectors %lu-%lu tag=%lu: %lu KiB in %lu ms (%lu KiB/s)\n",
               verify ? "verify" : "write", first, end - 1, tag, count / 2, ns / 1000000,
               ns ? count / 2 * 1000000000ul / ns : 0);
    return errors + bad;
}

static int alloc_buffers(size_t align)
{
    size_t bytes = (size_t)io_sectors * BLKV_SECTOR_BYTES;

    for (unsigned int k = 0; k < depth; k++) {
        slots[k].data = aligned_alloc(align, bytes);
        slots[k].rbuf = aligned_alloc(align, bytes);
        if (!slots[k].data || !slots[k].rbuf)
            return -ENOMEM;
    }
    return 0;
}

/* The write buffers' bodies for the tag: one sector by words, the rest by string moves. */
static void fill_buffers(void)
{
    size_t bytes = (size_t)io_sectors * BLKV_SECTOR_BYTES, have = BLKV_SECTOR_BYTES;

    blkv_fill_sector(slots[0].data, 0, tag);
    while (have < bytes) {
        size_t n = have < bytes - have ? have : bytes - have;

        memcpy((char *)slots[0].data + have, slots[0].data, n);
        have += n;
    }
    for (unsigned int k = 1; k < depth; k++)
        memcpy(slots[k].data, slots[0].data, bytes);
}

/* Write, flush: the number of failures. */
static unsigned int write_and_flush(void)
{
    unsigned int failures = pass(false);
    int rc = gk_blk_info(dev)->flush ? gk_blk_flush(dev) : 0;

    if (rc < 0)
        printf("blk-verify: FAIL flush: error %d\n", rc);
    else
        printf("blk-verify: PASS flush%s\n", gk_blk_info(dev)->flush ? "" : " (not offered)");
    return failures + (rc < 0);
}

static void shutdown_hook(const char *request, void *arg)
{
    go_on = true;
}

static void print_info(void)
{
    const struct gk_blk_info *in = gk_blk_info(dev);

    printf("blk-verify: disk %u: %lu sectors (%lu MiB), sector size %u, %s, ring %u page(s) "
           "(%u requests), %u segments per request%s%s%s\n",
           in->devid, in->sectors, in->sectors >> 11, in->sector_size,
           in->readonly ? "read-only" : "read-write", in->ring_pages, in->ring_slots,
           in->max_segments, in->persistent ? ", persistent grants" : "",
           in->flush ? ", flush" : "", in->discard ? ", discard" : "");
}

static void print_stats(void)
{
    struct gk_blk_stats st;

    gk_blk_stats(dev, &st);
    printf("blk-verify: stats requests=%lu indirect=%lu responses=%lu notifies=%lu events=%lu "
           "queued=%lu grant_hits=%lu grant_misses=%lu\n", st.requests, st.indirect,
           st.responses, st.notifies, st.events, st.queued, st.grant_hits, st.grant_misses);
}

int main(int argc, char **argv)
{
    const char *mode = arg(argc, argv, "mode"), *sectors = arg(argc, argv, "sectors");
    const char *disk = arg(argc, argv, "disk"), *after = arg(argc, argv, "after");
    struct gk_blk_options opts = {
        .max_ring_pages = (unsigned int)arg_num(argc, argv, "ring", 0),
        .no_indirect = !arg_num(argc, argv, "indirect", 1),
        .no_persistent = !arg_num(argc, argv, "persistent", 1),
    };
    size_t align = (size_t)arg_num(argc, argv, "align", 512);
    const struct gk_blk_info *in;
    unsigned int failures = 0;
    uint32_t devid;
    int rc;

    mode = mode ? mode : "write";
    if (strcmp(mode, "write") && strcmp(mode, "verify") && strcmp(mode, "hold") &&
        strcmp(mode, "loop")) {
        printf("blk-verify: FAIL mode=%s: use write, verify, hold or loop\n", mode);
        return 2;
    }
    depth = (unsigned int)arg_num(argc, argv, "depth", depth);
    io_sectors = (unsigned int)arg_num(argc, argv, "io", io_sectors);
    if (!depth || depth > MAX_DEPTH || !io_sectors || io_sectors > 65536 ||
        (align != 512 && align != 4096)) {
        printf("blk-verify: FAIL depth must be 1-%u, io 1-65536, align 512 or 4096\n",
               MAX_DEPTH);
        return 2;
    }
    tag = arg_num(argc, argv, "tag", (gk_wallclock() / 1000) & 0xffffffffu);

    rc = pick_disk(disk ? disk : "0", &devid);
    if (rc < 0) {
        printf("blk-verify: FAIL no disk '%s' (error %d): give the domain one with disk=[...] "
               "in its config\n", disk ? disk : "0", rc);
        return 1;
    }
    rc = gk_blk_open(devid, &opts, &dev);
    if (rc < 0) {
        printf("blk-verify: FAIL cannot open disk %u: error %d\n", devid, rc);
        return 1;
    }
    print_info();
    in = gk_blk_info(dev);
    first = arg_num(argc, argv, "start", 0);
    if (first >= in->sectors) {
        printf("blk-verify: FAIL start=%lu is beyond the disk (%lu sectors)\n", first,
               in->sectors);
        return 1;
    }
    if (sectors && !strcmp(sectors, "all"))
        count = in->sectors - first;
    else
        count = arg_num(argc, argv, "sectors", 8192);
    if (count > in->sectors - first)
        count = in->sectors - first;
    if (alloc_buffers(align) < 0) {
        printf("blk-verify: FAIL out of memory for %u buffers of %u sectors\n", 2 * depth,
               io_sectors);
        return 1;
    }
    fill_buffers();

    if (!strcmp(mode, "loop")) {
        uint64_t base = tag;

        gk_xenbus_on_shutdown(shutdown_hook, NULL);
        for (unsigned int p = 0; !go_on && !failures; p++) {
            tag = base + p;
            if (p)
                fill_buffers();
            failures += write_and_flush();
            if (!failures)
                failures += pass(true);
            printf("blk-verify: loop pass %u %s\n", p, failures ? "failed" : "passed");
        }
    } else if (!strcmp(mode, "verify")) {
        failures += pass(true);
    } else {
        failures += write_and_flush();
        if (!strcmp(mode, "hold") && !failures) {
            gk_xenbus_on_shutdown(shutdown_hook, NULL);
            printf("FLUSHED tag=%lu sectors=%lu-%lu\n", tag, first, first + count - 1);
            gk_wait_event(go_on);
            printf("blk-verify: shutdown requested\n");
            if (!after || strcmp(after, "verify") != 0) {
                gk_blk_close(dev);
                return 0;
            }
        }
        if (!failures)
            failures += pass(true);
    }
    print_stats();
    gk_blk_close(dev);
    printf("blk-verify: %s\n", failures ? "FAILED" : "all passed");
    return failures ? 1 : 0;
}
