/* bench-engine.c: blkback engine throughput with a fake frontend, against plain io_uring. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <liburing.h>

#include "fake.h"

/*
 * The engine runs in its own thread as in the daemon; this thread plays
 * the guest, keeping `depth` requests in flight. The same pattern (offsets,
 * sizes, depth) is then issued straight to io_uring on the same file with
 * O_DIRECT, as a host program would. Grant "mapping" in the fake costs an
 * mmap()/munmap() per page, which is cheaper than a hypervisor round trip:
 * the per-request-mapping column is an upper bound for that mode.
 */

struct pattern {
    const char *name;
    bool write;
    bool random;
    unsigned int pages;         /* per request */
    unsigned int depth;
};

static const struct pattern patterns[] = {
    { "4k-randread", false, true, 1, 32 },
    { "4k-randwrite", true, true, 1, 32 },
    { "1m-seqread", false, false, 256, 8 },
    { "1m-seqwrite", true, false, 256, 8 },
};

static double seconds = 2.0;
static uint64_t image_mb = 512;

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t next_offset(const struct pattern *p, uint64_t *state, uint64_t *seq)
{
    uint64_t span = image_mb << 20, len = (uint64_t)p->pages * 4096;

    if (p->random) {
        *state = *state * 6364136223846793005ull + 1442695040888963407ull;
        return ((*state >> 20) % (span / len)) * len;
    }
    *seq = (*seq + len) % (span - span % len);
    return *seq;
}

/* Slot s of the frontend: pages for its data and one for its indirect segments. */
static uint32_t slot_page(const struct pattern *p, unsigned int s)
{
    return FAKE_DATA_PAGE + s * (p->pages + 1);
}

static void queue_request(struct fake_dev *d, const struct pattern *p, unsigned int s,
                          uint64_t off)
{
    uint32_t page = slot_page(p, s);

    if (p->pages <= BLKIF_MAX_SEGMENTS_PER_REQUEST) {
        fake_rw(d, p->write ? BLKIF_OP_WRITE : BLKIF_OP_READ, s, off / 512, p->pages, page);
        return;
    }
    {
        blkif_request_indirect_t *ind = (blkif_request_indirect_t *)fake_ring_next(&d->fr);
        struct blkif_request_segment *seg =
            (struct blkif_request_segment *)fake_page(d->g, page + p->pages);

        ind->operation = BLKIF_OP_INDIRECT;
        ind->indirect_op = p->write ? BLKIF_OP_WRITE : BLKIF_OP_READ;
        ind->nr_segments = (uint16_t)p->pages;
        ind->id = s;
        ind->sector_number = off / 512;
        ind->indirect_grefs[0] = FAKE_REF(page + p->pages);
        for (unsigned int i = 0; i < p->pages; i++)
            seg[i] = (struct blkif_request_segment){ FAKE_REF(page + i), 0, 7 };
    }
}

static double run_engine(const char *image, const struct pattern *p, bool persistent,
                         uint64_t *ops_out)
{
    struct fake_dev d;
    uint64_t ops = 0, state = 1, seq = 0;
    double start, end;
    blkif_response_t rsp[64];
    const char *why;

    /* fake_dev_init makes an image: reuse the benchmark's instead. */
    fake_dev_init(&d, 8, "bench", 4, 0);
    unlink(d.image);
    free(d.image);
    d.image = strdup(image);
    d.p.persistent = persistent;
    d.p.max_persistent = 1056;
    if (blk_disk_open(&d.disk, d.image, false, true, &why) < 0 ||
        blk_queue_create(&d.q, d.disk, fake_transport(d.g, 0), &d.p) < 0 ||
        blk_queue_start(d.q) < 0) {
        fprintf(stderr, "bench: cannot set up the engine: %s\n", why);
        exit(1);
    }
    for (unsigned int s = 0; s < p->depth; s++)
        queue_request(&d, p, s, next_offset(p, &state, &seq));
    fake_ring_push(&d.fr);
    start = now();
    end = start + seconds;
    while (now() < end) {
        unsigned int n = fake_ring_collect(&d.fr, rsp, p->depth, 1000);

        for (unsigned int i = 0; i < n; i++) {
            if (rsp[i].status != BLKIF_RSP_OKAY) {
                fprintf(stderr, "bench: request failed (%d)\n", rsp[i].status);
                exit(1);
            }
            queue_request(&d, p, (unsigned int)rsp[i].id, next_offset(p, &state, &seq));
        }
        ops += n;
        fake_ring_push(&d.fr);
    }
    end = now();
    /* Let what is still in flight finish (fake_dev_fini() waits too). */
    fake_ring_wait(&d.fr, rsp, p->depth, 0);
    /* Keep the benchmark's image: fake_dev_fini() unlinks d.image. */
    free(d.image);
    d.image = strdup("/nonexistent-bench-image");
    fake_dev_fini(&d);
    *ops_out = ops;
    return end - start;
}

static double run_uring(const char *image, const struct pattern *p, uint64_t *ops_out)
{
    size_t len = (size_t)p->pages * 4096;
    uint8_t *buf;
    struct io_uring ring;
    uint64_t ops = 0, state = 1, seq = 0;
    double start, end;
    int fd = open(image, O_RDWR | O_DIRECT | O_CLOEXEC);

    buf = mmap(NULL, len * p->depth, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (fd < 0 || buf == MAP_FAILED || io_uring_queue_init(64, &ring, 0) < 0) {
        fprintf(stderr, "bench: cannot set up io_uring on %s: %s\n", image, strerror(errno));
        exit(1);
    }
    memset(buf, 0x5a, len * p->depth);
    for (unsigned int s = 0; s < p->depth; s++) {
        struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
        uint64_t off = next_offset(p, &state, &seq);

        if (p->write)
            io_uring_prep_write(sqe, fd, buf + s * len, (unsigned int)len, off);
        else
            io_uring_prep_read(sqe, fd, buf + s * len, (unsigned int)len, off);
        io_uring_sqe_set_data64(sqe, s);
    }
    io_uring_submit(&ring);
    start = now();
    end = start + seconds;
    while (now() < end) {
        struct io_uring_cqe *cqe;
        unsigned int head, n = 0;

        io_uring_submit_and_wait(&ring, 1);
        io_uring_for_each_cqe(&ring, head, cqe) {
            unsigned int s = (unsigned int)cqe->user_data;
            struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
            uint64_t off = next_offset(p, &state, &seq);

            if (cqe->res != (int)len) {
                fprintf(stderr, "bench: io_uring transfer failed (%d)\n", cqe->res);
                exit(1);
            }
            if (p->write)
                io_uring_prep_write(sqe, fd, buf + s * len, (unsigned int)len, off);
            else
                io_uring_prep_read(sqe, fd, buf + s * len, (unsigned int)len, off);
            io_uring_sqe_set_data64(sqe, s);
            n++;
        }
        io_uring_cq_advance(&ring, n);
        ops += n;
    }
    end = now();
    io_uring_queue_exit(&ring);
    munmap(buf, len * p->depth);
    close(fd);
    *ops_out = ops;
    return end - start;
}

static void print_result(const struct pattern *p, double secs, uint64_t ops)
{
    if (p->pages == 1)
        printf(" %12.0f IOPS", ops / secs);
    else
        printf(" %12.1f MB/s", ops * p->pages * 4096.0 / secs / 1e6);
}

int main(int argc, char **argv)
{
    char image[256];
    int c, fd;

    while ((c = getopt(argc, argv, "t:s:h")) != -1) {
        switch (c) {
        case 't':
            seconds = atof(optarg);
            break;
        case 's':
            image_mb = strtoull(optarg, NULL, 10);
            break;
        default:
            fprintf(stderr, "Usage: bench-engine [-t SECONDS per run] [-s IMAGE_MB]\n"
                            "Runs in the current directory (the image goes there).\n");
            return c == 'h' ? 0 : 1;
        }
    }
    if (seconds <= 0 || image_mb < 16) {
        fprintf(stderr, "bench-engine: -t must be > 0 and -s at least 16\n");
        return 1;
    }
    snprintf(image, sizeof(image), "bench-engine-%d.img", (int)getpid());
    fd = open(image, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    /* Allocated for real, so that reads hit the disk and not holes. */
    if (fd < 0 || posix_fallocate(fd, 0, (off_t)(image_mb << 20)) != 0) {
        fprintf(stderr, "bench-engine: cannot create %s\n", image);
        return 1;
    }
    close(fd);
    printf("blkback engine vs io_uring, %llu MiB image, %.1f s per run, O_DIRECT\n",
           (unsigned long long)image_mb, seconds);
    printf("%-13s %5s %17s %17s %17s\n", "pattern", "depth", "engine+pgrants",
           "engine map/req", "io_uring direct");
    for (size_t i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++) {
        const struct pattern *p = &patterns[i];
        uint64_t ops;
        double secs;

        printf("%-13s %5u", p->name, p->depth);
        fflush(stdout);
        secs = run_engine(image, p, true, &ops);
        print_result(p, secs, ops);
        fflush(stdout);
        secs = run_engine(image, p, false, &ops);
        print_result(p, secs, ops);
        fflush(stdout);
        secs = run_uring(image, p, &ops);
        print_result(p, secs, ops);
        printf("\n");
    }
    unlink(image);
    return 0;
}
