/* blk-uring.c: blkbench's I/O patterns issued by a host process with io_uring, for comparison. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <liburing.h>

/*
 *   blk-uring IMAGE [SECONDS [DEPTH [SEQDEPTH]]]
 *
 * The four phases of tests/blkfront/blkbench.c on IMAGE, with O_DIRECT and
 * one io_uring: 4 KiB random reads and writes (DEPTH in flight, 32), 1 MiB
 * sequential reads and writes (SEQDEPTH, 4), SECONDS (3) each. Prints
 * "HOST <phase> ops=... ns=... iops=... kib_per_s=..." lines in blkbench's
 * format. The image's contents are overwritten.
 */

struct phase {
    const char *name;
    bool write, random;
    size_t len;
};

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t next_offset(const struct phase *p, uint64_t size, uint64_t *rng, uint64_t *seq)
{
    uint64_t off;

    if (p->random) {
        *rng ^= *rng << 13;
        *rng ^= *rng >> 7;
        *rng ^= *rng << 17;
        return (*rng % (size / p->len)) * p->len;
    }
    off = *seq;
    *seq += p->len;
    if (*seq + p->len > size)
        *seq = 0;
    return off;
}

static void prep(struct io_uring *ring, const struct phase *p, int fd, uint8_t *buf,
                 unsigned int slot, uint64_t off)
{
    struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

    if (p->write)
        io_uring_prep_write(sqe, fd, buf + slot * p->len, (unsigned int)p->len, off);
    else
        io_uring_prep_read(sqe, fd, buf + slot * p->len, (unsigned int)p->len, off);
    io_uring_sqe_set_data64(sqe, slot);
}

static int run(const char *image, const struct phase *p, unsigned int depth, uint64_t secs)
{
    struct io_uring ring;
    uint64_t ops = 0, rng = 0x2545f4914f6cdd1dull, seq = 0, t0, end, size;
    struct stat st;
    uint8_t *buf;
    int fd = open(image, O_RDWR | O_DIRECT | O_CLOEXEC);

    if (fd < 0 || fstat(fd, &st) < 0) {
        fprintf(stderr, "blk-uring: %s: %s\n", image, strerror(errno));
        return -1;
    }
    size = (uint64_t)st.st_size;
    buf = mmap(NULL, p->len * depth, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (buf == MAP_FAILED || size < 2 * p->len || io_uring_queue_init(depth, &ring, 0) < 0) {
        fprintf(stderr, "blk-uring: cannot set up io_uring on %s: %s\n", image, strerror(errno));
        close(fd);
        return -1;
    }
    memset(buf, 0x5a, p->len * depth);
    for (unsigned int s = 0; s < depth; s++)
        prep(&ring, p, fd, buf, s, next_offset(p, size, &rng, &seq));
    t0 = now_ns();
    end = t0 + secs * 1000000000u;
    io_uring_submit(&ring);
    for (unsigned int inflight = depth; inflight;) {
        struct io_uring_cqe *cqe;
        unsigned int head, n = 0;
        bool more = now_ns() < end;

        io_uring_submit_and_wait(&ring, 1);
        io_uring_for_each_cqe(&ring, head, cqe) {
            if (cqe->res != (int)p->len) {
                fprintf(stderr, "blk-uring: %s failed: %s\n", p->name,
                        cqe->res < 0 ? strerror(-cqe->res) : "short transfer");
                return -1;
            }
            if (more)
                prep(&ring, p, fd, buf, (unsigned int)cqe->user_data,
                     next_offset(p, size, &rng, &seq));
            else
                inflight--;
            n++;
        }
        io_uring_cq_advance(&ring, n);
        ops += n;
    }
    end = now_ns() - t0;
    printf("HOST %s ops=%" PRIu64 " ns=%" PRIu64 " iops=%" PRIu64 " kib_per_s=%" PRIu64 "\n",
           p->name, ops, end, ops * 1000000000u / end, ops * (p->len / 1024) * 1000000000u / end);
    io_uring_queue_exit(&ring);
    munmap(buf, p->len * depth);
    close(fd);
    return 0;
}

int main(int argc, char **argv)
{
    static const struct phase phases[] = {
        { "randread", false, true, 4096 },
        { "randwrite", true, true, 4096 },
        { "seqread", false, false, 1 << 20 },
        { "seqwrite", true, false, 1 << 20 },
    };
    uint64_t secs = argc > 2 ? strtoull(argv[2], NULL, 10) : 3;
    unsigned int depth = argc > 3 ? (unsigned int)strtoul(argv[3], NULL, 10) : 32;
    unsigned int seqdepth = argc > 4 ? (unsigned int)strtoul(argv[4], NULL, 10) : 4;

    if (argc < 2 || argc > 5 || !secs || !depth || depth > 1024 || !seqdepth || seqdepth > 1024) {
        fprintf(stderr, "usage: blk-uring IMAGE [SECONDS [DEPTH [SEQDEPTH]]]\n");
        return 2;
    }
    for (size_t i = 0; i < sizeof(phases) / sizeof(phases[0]); i++)
        if (run(argv[1], &phases[i], i < 2 ? depth : seqdepth, secs) < 0)
            return 1;
    return 0;
}
