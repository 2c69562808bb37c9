/* fake.c: a fake frontend for blkback tests: guest memory, grant table, event channels, rings. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "fake.h"

struct fake_transport {
    struct blk_transport t;
    struct fake_guest *g;
    uint32_t port;
};

static struct fake_transport *ft(struct blk_transport *t)
{
    return (struct fake_transport *)t;
}

static void *fake_map(struct blk_transport *t, uint32_t count, const grant_ref_t *refs,
                      bool writable)
{
    return fake_guest_map(ft(t)->g, count, refs, writable);
}

static int fake_unmap(struct blk_transport *t, void *addr, uint32_t count)
{
    return fake_guest_unmap(ft(t)->g, addr, count);
}

static int fake_event_fd(struct blk_transport *t)
{
    return ft(t)->g->ports[ft(t)->port].kick;
}

static void fake_event_ack(struct blk_transport *t)
{
    uint64_t n;

    if (read(fake_event_fd(t), &n, sizeof(n)) < 0) {
        /* Nothing pending: a spurious wake-up. */
    }
}

static int fake_notify(struct blk_transport *t)
{
    return fake_guest_notify(ft(t)->g, ft(t)->port);
}

static void fake_close(struct blk_transport *t)
{
    free(t);
}

static const struct blk_transport_ops fake_ops = {
    .map = fake_map,
    .unmap = fake_unmap,
    .event_fd = fake_event_fd,
    .event_ack = fake_event_ack,
    .notify = fake_notify,
    .close = fake_close,
};

struct blk_transport *fake_transport(struct fake_guest *g, uint32_t port)
{
    struct fake_transport *t;

    if (port >= FAKE_MAX_PORTS) {
        errno = EINVAL;
        return NULL;
    }
    t = calloc(1, sizeof(*t));
    if (!t)
        fake_die("calloc");
    t->t.ops = &fake_ops;
    t->t.domid = g->domid;
    t->g = g;
    t->port = port;
    return &t->t;
}

static struct blk_transport *factory_open(void *arg, uint32_t domid, uint32_t port)
{
    struct fake_guest *g = arg;

    if (domid != g->domid) {
        errno = ESRCH;
        return NULL;
    }
    return fake_transport(g, port);
}

struct blk_transport_factory fake_factory(struct fake_guest *g)
{
    return (struct blk_transport_factory){ .open = factory_open, .arg = g };
}

void fake_ring_init(struct fake_ring *fr, struct fake_guest *g, uint32_t port, uint32_t first_page,
                    unsigned int nr_pages, grant_ref_t ref_base, RING_IDX idx)
{
    blkif_sring_t *s = (blkif_sring_t *)fake_page(g, first_page);

    memset(fr, 0, sizeof(*fr));
    fr->g = g;
    fr->port = port;
    fr->nr_pages = nr_pages;
    memset(s, 0, (size_t)nr_pages * FAKE_PAGE);
    SHARED_RING_INIT(s);
    s->req_prod = s->rsp_prod = idx;
    s->req_event = s->rsp_event = idx + 1;
    FRONT_RING_ATTACH(&fr->front, s, idx, (size_t)nr_pages * FAKE_PAGE);
    for (unsigned int i = 0; i < nr_pages; i++) {
        fr->refs[i] = ref_base + i;
        fake_grant(g, ref_base + i, first_page + i, false);
    }
}

void fake_ring_params(const struct fake_ring *fr, struct blk_queue_params *p)
{
    memset(p, 0, sizeof(*p));
    p->name = "test";
    p->nr_ring_pages = fr->nr_pages;
    memcpy(p->ring_refs, fr->refs, sizeof(fr->refs));
    p->max_indirect_segments = 256;
    p->max_persistent = 64;
}

blkif_request_t *fake_ring_next(struct fake_ring *fr)
{
    blkif_request_t *req;

    if (RING_FULL(&fr->front))
        return NULL;
    req = RING_GET_REQUEST(&fr->front, fr->front.req_prod_pvt);
    fr->front.req_prod_pvt++;
    memset(req, 0, sizeof(*req));
    return req;
}

void fake_ring_kick(struct fake_ring *fr)
{
    uint64_t one = 1;

    if (write(fr->g->ports[fr->port].kick, &one, sizeof(one)) != sizeof(one))
        fake_die("kick");
}

void fake_ring_push(struct fake_ring *fr)
{
    bool notify;

    RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&fr->front, notify);
    if (notify)
        fake_ring_kick(fr);
}

static long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static unsigned int wait_responses(struct fake_ring *fr, blkif_response_t *out, unsigned int min,
                                   unsigned int max, int timeout_ms)
{
    long deadline = now_ms() + timeout_ms;
    unsigned int got = 0;

    while (got < min) {
        int more;

        RING_FINAL_CHECK_FOR_RESPONSES(&fr->front, more);
        if (more) {
            RING_IDX prod = fr->front.sring->rsp_prod;

            xen_rmb();
            while (fr->front.rsp_cons != prod && got < max) {
                RING_COPY_RESPONSE(&fr->front, fr->front.rsp_cons, &out[got]);
                got++;
                fr->front.rsp_cons++;
            }
            continue;
        }
        if (now_ms() >= deadline)
            break;
        if (fr->pump) {
            blk_queue_run_once(fr->pump, 10);
        } else {
            struct pollfd pfd = { .fd = fr->g->ports[fr->port].notify, .events = POLLIN };
            uint64_t v;

            if (poll(&pfd, 1, 10) == 1 && read(pfd.fd, &v, sizeof(v)) < 0) {
                /* Raced with another reader: just look at the ring again. */
            }
        }
    }
    return got;
}

unsigned int fake_ring_wait(struct fake_ring *fr, blkif_response_t *out, unsigned int n,
                            int timeout_ms)
{
    return wait_responses(fr, out, n, n, timeout_ms);
}

unsigned int fake_ring_collect(struct fake_ring *fr, blkif_response_t *out, unsigned int max,
                               int timeout_ms)
{
    return wait_responses(fr, out, 1, max, timeout_ms);
}

uint8_t fake_pattern(uint64_t off)
{
    uint64_t x = off * 0x9e3779b97f4a7c15ull;

    return (uint8_t)((x >> 29) ^ (off >> 9));
}

char *fake_image(uint64_t sectors, const char *tag)
{
    char *path = malloc(256);
    uint8_t buf[65536];
    uint64_t size = sectors * 512;
    int fd;

    if (!path)
        fake_die("malloc");
    snprintf(path, 256, "blkback-test-%s-%d.img", tag, (int)getpid());
    fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        fake_die(path);
    for (uint64_t off = 0; off < size; off += sizeof(buf)) {
        size_t len = size - off < sizeof(buf) ? (size_t)(size - off) : sizeof(buf);

        for (size_t i = 0; i < len; i++)
            buf[i] = fake_pattern(off + i);
        if (pwrite(fd, buf, len, (off_t)off) != (ssize_t)len)
            fake_die("pwrite image");
    }
    close(fd);
    return path;
}

void fake_pread(const char *path, void *buf, size_t len, uint64_t off)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0 || pread(fd, buf, len, (off_t)off) != (ssize_t)len)
        fake_die("pread image");
    close(fd);
}

void fake_dev_init(struct fake_dev *d, uint64_t sectors, const char *tag, unsigned int ring_pages,
                   uint32_t port)
{
    memset(d, 0, sizeof(*d));
    d->g = fake_guest_create(FAKE_DATA_PAGE + FAKE_DATA_PAGES, 7, FAKE_REF(FAKE_DATA_PAGE +
                                                                           FAKE_DATA_PAGES));
    for (uint32_t p = FAKE_DATA_PAGE; p < FAKE_DATA_PAGE + FAKE_DATA_PAGES; p++)
        fake_grant(d->g, FAKE_REF(p), p, false);
    fake_ring_init(&d->fr, d->g, port, 0, ring_pages, 1, 0);
    fake_ring_params(&d->fr, &d->p);
    d->sectors = sectors;
    d->image = fake_image(sectors, tag);
}

void fake_dev_start(struct fake_dev *d, bool readonly, bool threaded)
{
    const char *why;
    int rc = blk_disk_open(&d->disk, d->image, readonly, true, &why);

    if (rc < 0) {
        fprintf(stderr, "open %s: %s: %s\n", d->image, why, strerror(-rc));
        abort();
    }
    rc = blk_queue_create(&d->q, d->disk, fake_transport(d->g, d->fr.port), &d->p);
    if (rc < 0) {
        fprintf(stderr, "blk_queue_create: %s\n", strerror(-rc));
        abort();
    }
    if (threaded) {
        if (blk_queue_start(d->q) < 0)
            abort();
    } else {
        d->fr.pump = d->q;
    }
}

void fake_dev_fini(struct fake_dev *d)
{
    blk_queue_destroy(d->q);
    d->q = NULL;
    blk_disk_close(d->disk);
    d->disk = NULL;
    if (fake_mapped(d->g) != 0 || d->g->bad_unmaps != 0) {
        fprintf(stderr, "backend left %ld page(s) mapped, %ld bad unmap(s)\n", fake_mapped(d->g),
                d->g->bad_unmaps);
        abort();
    }
    fake_guest_destroy(d->g);
    unlink(d->image);
    free(d->image);
}

blkif_request_t *fake_rw(struct fake_dev *d, uint8_t op, uint64_t id, uint64_t sector,
                         unsigned int nseg, uint32_t page)
{
    blkif_request_t *req = fake_ring_next(&d->fr);

    if (!req)
        abort();
    req->operation = op;
    req->nr_segments = (uint8_t)nseg;
    req->id = id;
    req->sector_number = sector;
    for (unsigned int i = 0; i < nseg && i < BLKIF_MAX_SEGMENTS_PER_REQUEST; i++) {
        req->seg[i].gref = FAKE_REF(page + i);
        req->seg[i].first_sect = 0;
        req->seg[i].last_sect = 7;
    }
    return req;
}

unsigned int fake_do(struct fake_dev *d, blkif_response_t *out, unsigned int n)
{
    fake_ring_push(&d->fr);
    return fake_ring_wait(&d->fr, out, n, 5000);
}
