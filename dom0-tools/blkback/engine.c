/* engine.c: the blkif request engine: one shared ring served through io_uring. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/uio.h>
#include <unistd.h>

#include <liburing.h>

#include "engine.h"
#include <lamina/log.h>
#include "pgrant.h"

/*
 * Threading: a queue is used by exactly one thread at a time (its own, or
 * the caller of blk_queue_run_once()); only the stop request and the
 * statistics cross threads, the former through an eventfd and the latter
 * as relaxed atomics.
 *
 * Trust: everything in the shared ring belongs to the frontend and may
 * change under our feet. A request slot is copied once into private memory
 * and only the copy is looked at; req_prod is read once per batch and
 * checked against the slots we have not answered yet.
 *
 * Flush ordering: writes (and discards) belong to the current "epoch"; a
 * flush closes the epoch, and its fdatasync is handed to io_uring only when
 * every write of its epoch and of the epochs before has completed. Later
 * requests are not held back, unlike with IOSQE_IO_DRAIN.
 *
 * Page lifetime: granted pages stay mapped until the io_uring operation
 * that uses them has completed, even when the frontend's domain has died
 * meanwhile; io_uring itself is torn down only when nothing is in flight.
 */

#define UD_KICK 1ull
#define UD_STOP 2ull
#define MAX_LOGGED_ERRORS 20

enum req_kind { KIND_READ, KIND_WRITE, KIND_FLUSH, KIND_DISCARD };
enum req_stage { STAGE_NEW, STAGE_IO, STAGE_WAIT_FLUSH, STAGE_FSYNC };

/* Mappings a request holds: persistent entries and at most one transient mapping. */
struct hold {
    struct pgrant **pgs;
    unsigned int nr_pgs;
    void *tmap;
    uint32_t tmap_count;
};

struct blk_req {
    struct blk_req *next;           /* free list */
    uint64_t id;
    uint8_t operation;              /* echoed: the frontend's, or an indirect one's indirect_op */
    uint8_t kind;
    uint8_t stage;
    bool flush_after;               /* BLKIF_OP_FLUSH_DISKCACHE */
    bool use_direct;
    int16_t status;
    uint32_t epoch;
    uint64_t offset;                /* bytes into the disk */
    uint64_t remaining;             /* bytes still to transfer */
    unsigned int nr_iov, iov_pos;
    struct iovec *iov;
    struct hold data;
};

struct epoch {
    uint32_t writes;                /* writes and discards in flight */
    struct blk_req *flush;          /* the flush that closed it */
};

struct blk_queue {
    char name[64];
    struct blk_queue_params p;
    struct blk_disk *disk;
    struct blk_transport *t;
    struct blkif_back_ring ring;
    void *ring_addr;
    unsigned int ring_size;
    unsigned int max_segs;
    struct io_uring uring;
    bool uring_ready;
    int stop_fd;
    pthread_t thread;
    bool threaded;
    bool stopping, broken, kicked, kick_armed, stop_armed, responses;
    struct blk_req *reqs, *free;
    unsigned int inflight;
    struct epoch *epochs;
    uint32_t nr_epochs, epoch_head, epoch_cur;
    bool persistent;
    struct pgrant_cache pg;
    uint64_t clock;                 /* requests taken: the cache's notion of time */
    uint64_t last_purge;
    unsigned int pg_pressure;       /* misses on a full cache since the last purge */
    /* Scratch for one request at a time. */
    struct blkif_request_segment *segs;
    grant_ref_t *refs, *trefs;
    unsigned int *tidx;
    void **pages;
    unsigned int errors_logged;
    struct blk_queue_stats stats;
};

#define STAT_ADD(q, field, n) __atomic_fetch_add(&(q)->stats.field, (n), __ATOMIC_RELAXED)
#define STAT_INC(q, field) STAT_ADD(q, field, 1)

unsigned int blk_ring_size(unsigned int nr_pages)
{
    return __CONST_RING_SIZE(blkif, (size_t)nr_pages * BLK_PAGE_SIZE);
}

static void trace(struct blk_queue *q, enum blk_trace_event ev, const struct blk_req *r)
{
    if (q->p.trace)
        q->p.trace(q->p.arg, ev, r->id, r->operation);
}

static void note_error(struct blk_queue *q, const struct blk_req *r, const char *what, int err)
{
    if (q->errors_logged < MAX_LOGGED_ERRORS) {
        q->errors_logged++;
        log_warn("%s: request %llu (op %u): %s%s%s%s", q->name, (unsigned long long)r->id,
                 r->operation, what, err ? ": " : "", err ? strerror(err) : "",
                 q->errors_logged == MAX_LOGGED_ERRORS ? " (further errors not logged)" : "");
    } else {
        log_debug("%s: request %llu: %s", q->name, (unsigned long long)r->id, what);
    }
}

static void broken(struct blk_queue *q, const char *why)
{
    if (q->broken)
        return;
    __atomic_store_n(&q->broken, true, __ATOMIC_RELAXED);
    log_err("%s: frontend broke the ring protocol (%s): no longer serving it", q->name, why);
    if (q->p.on_broken)
        q->p.on_broken(q->p.arg, q->p.queue, why);
}

/* Mapping. */

static void *map_refs(struct blk_queue *q, uint32_t count, const grant_ref_t *refs,
                      bool writable)
{
    STAT_INC(q, maps);
    return q->t->ops->map(q->t, count, refs, writable);
}

static void unmap_pages(struct blk_queue *q, void *addr, uint32_t count)
{
    int rc;

    STAT_INC(q, unmaps);
    rc = q->t->ops->unmap(q->t, addr, count);
    if (rc < 0)
        log_warn("%s: unmapping %u grant(s): %s", q->name, count, strerror(-rc));
}

static void unmap_persistent(void *page, void *arg)
{
    struct blk_queue *q = arg;

    unmap_pages(q, page, 1);
    STAT_ADD(q, pgrants, (uint64_t)-1);
}

static void release(struct blk_queue *q, struct hold *h)
{
    for (unsigned int i = 0; i < h->nr_pgs; i++)
        pgrant_put(&q->pg, h->pgs[i]);
    h->nr_pgs = 0;
    if (h->tmap)
        unmap_pages(q, h->tmap, h->tmap_count);
    h->tmap = NULL;
    h->tmap_count = 0;
}

/* A page for ref from the persistent cache, mapping it there if it fits. NULL: not cached. */
static void *persistent_page(struct blk_queue *q, struct hold *h, grant_ref_t ref,
                             bool writable, int *err)
{
    struct pgrant *e = pgrant_get(&q->pg, ref, q->clock);
    void *page;

    *err = 0;
    if (e) {
        STAT_INC(q, pgrant_hits);
        h->pgs[h->nr_pgs++] = e;
        return e->page;
    }
    STAT_INC(q, pgrant_misses);
    if (!pgrant_has_room(&q->pg)) {
        q->pg_pressure++;
        return NULL;                /* mapped with the request's other misses */
    }
    /* Persistent grants are mapped writable, as the frontend reuses them for both directions. */
    page = map_refs(q, 1, &ref, true);
    if (!page) {
        /* A read-only grant can still serve a write, mapped for this request only. */
        if (errno != EPERM || writable)
            *err = errno ? errno : EINVAL;
        return NULL;
    }
    STAT_INC(q, pgrants);
    h->pgs[h->nr_pgs++] = pgrant_insert(&q->pg, ref, page, q->clock);
    return page;
}

/*
 * Under pressure (misses on a full cache), unmap a tenth of the cache's
 * grants that have been idle for 8 ring-fuls of requests, at most once a
 * ring-ful: a moving working set gets room, a stable one keeps its pages.
 */
static void purge_idle(struct blk_queue *q)
{
    uint64_t idle = 8ull * q->ring_size;

    if (!q->pg_pressure || q->clock - q->last_purge < q->ring_size || q->clock <= idle)
        return;
    q->last_purge = q->clock;
    q->pg_pressure = 0;
    pgrant_purge(&q->pg, q->clock - idle, q->pg.max / 10 + 1, unmap_persistent, q);
}

/*
 * Map n grants for one request into pages[]: writable when the request
 * writes into guest memory. Whatever is not served by the persistent cache
 * is mapped in one batch. Returns 0 or a negative errno with nothing held.
 */
static int map_pages(struct blk_queue *q, struct hold *h, const grant_ref_t *refs,
                     unsigned int n, bool writable, void **pages)
{
    unsigned int nt = 0;
    int err;

    for (unsigned int i = 0; i < n; i++) {
        if (q->persistent) {
            pages[i] = persistent_page(q, h, refs[i], writable, &err);
            if (pages[i])
                continue;
            if (err) {
                release(q, h);
                return -err;
            }
        }
        q->trefs[nt] = refs[i];
        q->tidx[nt++] = i;
    }
    if (nt) {
        uint8_t *base = map_refs(q, nt, q->trefs, writable);

        if (!base) {
            err = errno ? errno : EINVAL;
            release(q, h);
            return -err;
        }
        h->tmap = base;
        h->tmap_count = nt;
        for (unsigned int k = 0; k < nt; k++)
            pages[q->tidx[k]] = base + (size_t)k * BLK_PAGE_SIZE;
    }
    return 0;
}

/* io_uring plumbing. */

static struct io_uring_sqe *get_sqe(struct blk_queue *q)
{
    struct io_uring_sqe *sqe;

    /* The ring has room for every request plus the polls: submitting frees slots. */
    while (!(sqe = io_uring_get_sqe(&q->uring)))
        io_uring_submit(&q->uring);
    return sqe;
}

static void finish(struct blk_queue *q, struct blk_req *r, int16_t status)
{
    blkif_response_t *rsp;

    release(q, &r->data);
    if (status == BLKIF_RSP_ERROR)
        STAT_INC(q, errors);
    else if (status == BLKIF_RSP_EOPNOTSUPP)
        STAT_INC(q, unsupported);
    rsp = RING_GET_RESPONSE(&q->ring, q->ring.rsp_prod_pvt);
    rsp->id = r->id;
    rsp->operation = r->operation;
    rsp->status = status;
    q->ring.rsp_prod_pvt++;
    q->responses = true;
    trace(q, BLK_TRACE_RESPONSE, r);
    r->next = q->free;
    q->free = r;
    q->inflight--;
}

static void push_responses(struct blk_queue *q)
{
    bool notify;

    if (!q->responses)
        return;
    q->responses = false;
    RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&q->ring, notify);
    if (notify) {
        STAT_INC(q, notifies);
        q->t->ops->notify(q->t);
    }
}

static void submit_fsync(struct blk_queue *q, struct blk_req *r)
{
    struct io_uring_sqe *sqe;

    if (r->status != BLKIF_RSP_OKAY) {
        finish(q, r, r->status);
        return;
    }
    sqe = get_sqe(q);
    io_uring_prep_fsync(sqe, q->disk->fd_buffered, IORING_FSYNC_DATASYNC);
    io_uring_sqe_set_data(sqe, r);
    r->stage = STAGE_FSYNC;
    trace(q, BLK_TRACE_FSYNC_SUBMIT, r);
}

/* Epochs. */

static void epochs_advance(struct blk_queue *q)
{
    while (q->epoch_head != q->epoch_cur && q->epochs[q->epoch_head].writes == 0) {
        struct blk_req *f = q->epochs[q->epoch_head].flush;

        q->epochs[q->epoch_head].flush = NULL;
        q->epoch_head = (q->epoch_head + 1) % q->nr_epochs;
        if (f)
            submit_fsync(q, f);
    }
}

static void epoch_write_begin(struct blk_queue *q, struct blk_req *r)
{
    q->epochs[q->epoch_cur].writes++;
    r->epoch = q->epoch_cur;
}

static void epoch_write_end(struct blk_queue *q, struct blk_req *r)
{
    q->epochs[r->epoch].writes--;
    epochs_advance(q);
}

/* r becomes the flush of the current epoch; a new epoch starts. */
static void epoch_close(struct blk_queue *q, struct blk_req *r)
{
    q->epochs[q->epoch_cur].flush = r;
    q->epoch_cur = (q->epoch_cur + 1) % q->nr_epochs;
    q->epochs[q->epoch_cur] = (struct epoch){ 0, NULL };
    if (r->stage == STAGE_NEW)
        r->stage = STAGE_WAIT_FLUSH;
    epochs_advance(q);
}

/* Data transfers. */

static bool direct_ok(const struct blk_disk *d, const struct blk_req *r)
{
    uint64_t omask = d->dio_offset_align - 1;
    uintptr_t mmask = d->dio_mem_align - 1;

    if ((r->offset | r->remaining) & omask)
        return false;
    for (unsigned int i = 0; i < r->nr_iov; i++)
        if ((((uintptr_t)r->iov[i].iov_base | r->iov[i].iov_len) & mmask) ||
            (r->iov[i].iov_len & omask))
            return false;
    return true;
}

static void submit_io(struct blk_queue *q, struct blk_req *r)
{
    struct io_uring_sqe *sqe = get_sqe(q);
    int fd = r->use_direct ? q->disk->fd : q->disk->fd_buffered;

    if (r->kind == KIND_READ)
        io_uring_prep_readv(sqe, fd, r->iov + r->iov_pos, r->nr_iov - r->iov_pos, r->offset);
    else
        io_uring_prep_writev(sqe, fd, r->iov + r->iov_pos, r->nr_iov - r->iov_pos, r->offset);
    io_uring_sqe_set_data(sqe, r);
    r->stage = STAGE_IO;
}

/* Skip the first done bytes of what is left after a short transfer. */
static void advance(struct blk_req *r, uint64_t done)
{
    r->offset += done;
    r->remaining -= done;
    while (done) {
        struct iovec *v = &r->iov[r->iov_pos];

        if (done < v->iov_len) {
            v->iov_base = (uint8_t *)v->iov_base + done;
            v->iov_len -= done;
            return;
        }
        done -= v->iov_len;
        r->iov_pos++;
    }
}

/*
 * Validate segments (already in private memory), map their pages and hand
 * the transfer to io_uring. write: the request writes to the disk.
 */
static void submit_segments(struct blk_queue *q, struct blk_req *r, bool write, unsigned int n,
                            const struct blkif_request_segment *segs, uint64_t sector)
{
    uint64_t total = 0;
    int rc;

    if (write && q->disk->readonly) {
        note_error(q, r, "write to a read-only disk", 0);
        finish(q, r, BLKIF_RSP_ERROR);
        return;
    }
    for (unsigned int i = 0; i < n; i++) {
        if (segs[i].first_sect > segs[i].last_sect ||
            segs[i].last_sect >= BLK_SECTORS_PER_PAGE) {
            note_error(q, r, "segment sectors outside the page", 0);
            finish(q, r, BLKIF_RSP_ERROR);
            return;
        }
        total += (uint64_t)(segs[i].last_sect - segs[i].first_sect + 1);
        q->refs[i] = segs[i].gref;
    }
    if (sector > q->disk->sectors || total > q->disk->sectors - sector) {
        note_error(q, r, "sectors beyond the end of the disk", 0);
        finish(q, r, BLKIF_RSP_ERROR);
        return;
    }
    /* Reading from the disk writes into the guest's pages. */
    rc = map_pages(q, &r->data, q->refs, n, !write, q->pages);
    if (rc < 0) {
        note_error(q, r, "cannot map the granted pages", -rc);
        finish(q, r, BLKIF_RSP_ERROR);
        return;
    }
    for (unsigned int i = 0; i < n; i++) {
        r->iov[i].iov_base = (uint8_t *)q->pages[i] + (size_t)segs[i].first_sect * 512;
        r->iov[i].iov_len = (size_t)(segs[i].last_sect - segs[i].first_sect + 1) * 512;
    }
    r->kind = !write ? KIND_READ : r->flush_after ? KIND_FLUSH : KIND_WRITE;
    r->nr_iov = n;
    r->iov_pos = 0;
    r->offset = sector * 512;
    r->remaining = total * 512;
    r->use_direct = __atomic_load_n(&q->disk->direct, __ATOMIC_RELAXED) &&
                    direct_ok(q->disk, r);
    if (!r->use_direct && q->disk->fd != q->disk->fd_buffered)
        STAT_INC(q, buffered);
    if (write)
        epoch_write_begin(q, r);
    submit_io(q, r);
    trace(q, BLK_TRACE_SUBMIT, r);
    if (r->flush_after)
        epoch_close(q, r);
}

static void start_rw(struct blk_queue *q, struct blk_req *r, const blkif_request_t *req)
{
    unsigned int n = req->nr_segments;

    if (req->operation == BLKIF_OP_READ)
        STAT_INC(q, reads);
    else if (req->operation == BLKIF_OP_WRITE)
        STAT_INC(q, writes);
    if (req->operation == BLKIF_OP_FLUSH_DISKCACHE) {
        STAT_INC(q, flushes);
        r->flush_after = true;
        if (n == 0) {
            r->kind = KIND_FLUSH;
            epoch_close(q, r);
            return;
        }
    }
    if (n == 0 || n > BLKIF_MAX_SEGMENTS_PER_REQUEST) {
        note_error(q, r, "bad segment count", 0);
        finish(q, r, BLKIF_RSP_ERROR);
        return;
    }
    submit_segments(q, r, req->operation != BLKIF_OP_READ, n, req->seg, req->sector_number);
}

static void start_indirect(struct blk_queue *q, struct blk_req *r, const blkif_request_t *req)
{
    blkif_request_indirect_t ind;
    struct pgrant *pgs[BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST];
    struct hold h = { .pgs = pgs };
    void *pages[BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST];
    unsigned int n, npages;
    int rc;

    memcpy(&ind, req, sizeof(ind));
    STAT_INC(q, indirect);
    /*
     * An indirect request is answered with its indirect_op, as Linux's
     * blkback does: Linux's blkfront checks the answer against it and
     * takes the disk off-line on a mismatch.
     */
    r->operation = ind.indirect_op;
    n = ind.nr_segments;
    if (q->p.max_indirect_segments == 0) {
        finish(q, r, BLKIF_RSP_EOPNOTSUPP);
        return;
    }
    if (ind.indirect_op != BLKIF_OP_READ && ind.indirect_op != BLKIF_OP_WRITE) {
        note_error(q, r, "bad indirect operation", 0);
        finish(q, r, BLKIF_RSP_ERROR);
        return;
    }
    if (n == 0 || n > q->p.max_indirect_segments) {
        note_error(q, r, "bad indirect segment count", 0);
        finish(q, r, BLKIF_RSP_ERROR);
        return;
    }
    if (ind.indirect_op == BLKIF_OP_READ)
        STAT_INC(q, reads);
    else
        STAT_INC(q, writes);
    npages = (n + BLK_SEGS_PER_INDIRECT_PAGE - 1) / BLK_SEGS_PER_INDIRECT_PAGE;
    rc = map_pages(q, &h, ind.indirect_grefs, npages, false, pages);
    if (rc < 0) {
        note_error(q, r, "cannot map the indirect segment pages", -rc);
        finish(q, r, BLKIF_RSP_ERROR);
        return;
    }
    for (unsigned int i = 0; i < n; i++)
        memcpy(&q->segs[i],
               (const uint8_t *)pages[i / BLK_SEGS_PER_INDIRECT_PAGE] +
               (i % BLK_SEGS_PER_INDIRECT_PAGE) * sizeof(struct blkif_request_segment),
               sizeof(struct blkif_request_segment));
    release(q, &h);
    submit_segments(q, r, ind.indirect_op == BLKIF_OP_WRITE, n, q->segs, ind.sector_number);
}

static void start_discard(struct blk_queue *q, struct blk_req *r, const blkif_request_t *req)
{
    blkif_request_discard_t d;
    struct io_uring_sqe *sqe;
    bool secure;
    int rc;

    memcpy(&d, req, sizeof(d));
    STAT_INC(q, discards);
    secure = d.flag & BLKIF_DISCARD_SECURE;
    if (!q->disk->discard || q->disk->readonly || (secure && !q->p.discard_secure)) {
        finish(q, r, BLKIF_RSP_EOPNOTSUPP);
        return;
    }
    if (d.nr_sectors > q->disk->sectors || d.sector_number > q->disk->sectors - d.nr_sectors) {
        note_error(q, r, "discard beyond the end of the disk", 0);
        finish(q, r, BLKIF_RSP_ERROR);
        return;
    }
    if (d.nr_sectors == 0) {
        finish(q, r, BLKIF_RSP_OKAY);
        return;
    }
    r->kind = KIND_DISCARD;
    r->offset = d.sector_number * 512;
    r->remaining = d.nr_sectors * 512;
    epoch_write_begin(q, r);
    trace(q, BLK_TRACE_SUBMIT, r);
    if (q->disk->blockdev) {
        /* No io_uring operation discards on older kernels: the ioctl blocks this queue only. */
        rc = blk_disk_blkdiscard(q->disk, d.sector_number, d.nr_sectors, secure);
        trace(q, BLK_TRACE_IO_DONE, r);
        epoch_write_end(q, r);
        if (rc < 0 && rc != -EOPNOTSUPP)
            note_error(q, r, "discard failed", -rc);
        finish(q, r, rc == 0 ? BLKIF_RSP_OKAY
                     : rc == -EOPNOTSUPP ? BLKIF_RSP_EOPNOTSUPP : BLKIF_RSP_ERROR);
        return;
    }
    sqe = get_sqe(q);
    io_uring_prep_fallocate(sqe, q->disk->fd_buffered, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                            r->offset, r->remaining);
    io_uring_sqe_set_data(sqe, r);
    r->stage = STAGE_IO;
}

static void take_request(struct blk_queue *q, RING_IDX idx)
{
    struct blk_req *r = q->free;
    blkif_request_t req;

    RING_COPY_REQUEST(&q->ring, idx, &req);
    q->free = r->next;
    q->inflight++;
    r->next = NULL;
    r->id = req.id;
    r->operation = req.operation;
    r->kind = KIND_READ;
    r->stage = STAGE_NEW;
    r->flush_after = false;
    r->status = BLKIF_RSP_OKAY;
    r->nr_iov = 0;
    STAT_INC(q, requests);
    switch (req.operation) {
    case BLKIF_OP_READ:
    case BLKIF_OP_WRITE:
    case BLKIF_OP_FLUSH_DISKCACHE:
        start_rw(q, r, &req);
        break;
    case BLKIF_OP_INDIRECT:
        start_indirect(q, r, &req);
        break;
    case BLKIF_OP_DISCARD:
        start_discard(q, r, &req);
        break;
    default:
        /* Barriers (never advertised), the reserved op and unknown ones. */
        finish(q, r, BLKIF_RSP_EOPNOTSUPP);
        break;
    }
}

static void take_requests(struct blk_queue *q)
{
    RING_IDX cons, prod;

    if (q->stopping || q->broken)
        return;
    cons = q->ring.req_cons;
    prod = __atomic_load_n(&q->ring.sring->req_prod, __ATOMIC_RELAXED);
    xen_rmb();
    if (RING_REQUEST_PROD_OVERFLOW(&q->ring, prod)) {
        broken(q, "req_prod runs ahead of the unanswered slots");
        return;
    }
    while (cons != prod && !RING_REQUEST_CONS_OVERFLOW(&q->ring, cons) && q->free) {
        q->ring.req_cons = cons + 1;
        q->clock++;
        take_request(q, cons);
        cons++;
    }
    if (q->persistent)
        purge_idle(q);
}

/* Completions. */

static void io_done(struct blk_queue *q, struct blk_req *r, int res)
{
    int16_t status = BLKIF_RSP_OKAY;

    if (r->kind == KIND_DISCARD) {
        trace(q, BLK_TRACE_IO_DONE, r);
        epoch_write_end(q, r);
        if (res < 0 && res != -EOPNOTSUPP)
            note_error(q, r, "discard failed", -res);
        finish(q, r, res >= 0 ? BLKIF_RSP_OKAY
                     : res == -EOPNOTSUPP ? BLKIF_RSP_EOPNOTSUPP : BLKIF_RSP_ERROR);
        return;
    }
    if (res > 0 && (uint64_t)res < r->remaining) {
        advance(r, (uint64_t)res);
        submit_io(q, r);
        return;
    }
    if (res == -EAGAIN || res == -EINTR) {
        submit_io(q, r);
        return;
    }
    if (res == -EINVAL && r->use_direct) {
        /* The store refused O_DIRECT after all: go buffered for good. */
        if (__atomic_exchange_n(&q->disk->direct, false, __ATOMIC_RELAXED))
            log_warn("%s: %s rejects O_DIRECT transfers; using the page cache from now on",
                     q->name, q->disk->path);
        r->use_direct = false;
        submit_io(q, r);
        return;
    }
    if (res < 0 || (res == 0 && r->remaining)) {
        note_error(q, r, r->kind == KIND_READ ? "read failed" : "write failed",
                   res < 0 ? -res : EIO);
        status = BLKIF_RSP_ERROR;
    }
    trace(q, BLK_TRACE_IO_DONE, r);
    if (r->kind == KIND_READ) {
        finish(q, r, status);
        return;
    }
    r->status = status;
    if (r->flush_after)
        r->stage = STAGE_WAIT_FLUSH;
    epoch_write_end(q, r);
    if (!r->flush_after)
        finish(q, r, status);
}

static void on_cqe(struct blk_queue *q, const struct io_uring_cqe *cqe)
{
    uint64_t ud = cqe->user_data;
    struct blk_req *r;

    if (ud == UD_KICK) {
        q->kicked = true;
        q->kick_armed = false;
        return;
    }
    if (ud == UD_STOP) {
        q->stopping = true;
        q->stop_armed = false;
        return;
    }
    r = (struct blk_req *)(uintptr_t)ud;
    if (r->stage == STAGE_FSYNC) {
        trace(q, BLK_TRACE_FSYNC_DONE, r);
        if (cqe->res < 0)
            note_error(q, r, "flush failed", -cqe->res);
        finish(q, r, cqe->res < 0 ? BLKIF_RSP_ERROR : BLKIF_RSP_OKAY);
        return;
    }
    io_done(q, r, cqe->res);
}

static void reap(struct blk_queue *q)
{
    struct io_uring_cqe *cqe;
    unsigned int head, n = 0;

    io_uring_for_each_cqe(&q->uring, head, cqe) {
        on_cqe(q, cqe);
        n++;
    }
    io_uring_cq_advance(&q->uring, n);
}

static void arm_polls(struct blk_queue *q)
{
    struct io_uring_sqe *sqe;

    /*
     * One-shot, re-armed after each notification: a multishot poll would
     * post one completion per kick, and a frontend kicking in a loop could
     * then fill the completion queue.
     */
    if (!q->kick_armed) {
        sqe = get_sqe(q);
        io_uring_prep_poll_add(sqe, q->t->ops->event_fd(q->t), POLLIN);
        io_uring_sqe_set_data64(sqe, UD_KICK);
        q->kick_armed = true;
    }
    if (!q->stop_armed && !q->stopping) {
        sqe = get_sqe(q);
        io_uring_prep_poll_add(sqe, q->stop_fd, POLLIN);
        io_uring_sqe_set_data64(sqe, UD_STOP);
        q->stop_armed = true;
    }
}

/* One round: take requests, answer, then sleep until something happens (or timeout_ms). */
static void iterate(struct blk_queue *q, int timeout_ms)
{
    struct __kernel_timespec ts = {
        .tv_sec = timeout_ms / 1000, .tv_nsec = (long long)(timeout_ms % 1000) * 1000000,
    };
    struct io_uring_cqe *cqe;
    int work = 0;

    arm_polls(q);
    if (q->kicked) {
        q->kicked = false;
        q->t->ops->event_ack(q->t);
    }
    take_requests(q);
    push_responses(q);
    if (!q->stopping && !q->broken)
        RING_FINAL_CHECK_FOR_REQUESTS(&q->ring, work);
    if (work || io_uring_cq_ready(&q->uring))
        io_uring_submit(&q->uring);
    else
        io_uring_submit_and_wait_timeout(&q->uring, &cqe, 1, timeout_ms < 0 ? NULL : &ts, NULL);
    reap(q);
    push_responses(q);
}

static void *queue_thread(void *arg)
{
    struct blk_queue *q = arg;

    while (!q->stopping || q->inflight)
        iterate(q, -1);
    return NULL;
}

unsigned int blk_queue_run_once(struct blk_queue *q, int timeout_ms)
{
    iterate(q, timeout_ms);
    return q->inflight;
}

/* Set-up and tear-down. */

static int setup_uring(struct blk_queue *q)
{
    struct io_uring_params prm;
    unsigned int entries = 8;
    int rc;

    while (entries < q->ring_size + 4)
        entries <<= 1;
    memset(&prm, 0, sizeof(prm));
    /* Completions are only needed when we wait for them: spare the interrupting task work. */
    prm.flags = IORING_SETUP_COOP_TASKRUN;
    rc = io_uring_queue_init_params(entries, &q->uring, &prm);
    if (rc == -EINVAL) {
        memset(&prm, 0, sizeof(prm));
        rc = io_uring_queue_init_params(entries, &q->uring, &prm);
    }
    return rc;
}

int blk_queue_create(struct blk_queue **out, struct blk_disk *disk, struct blk_transport *t,
                     const struct blk_queue_params *p)
{
    struct blk_queue *q;
    RING_IDX req_prod, rsp_prod;
    int rc = -ENOMEM;

    *out = NULL;
    if (p->nr_ring_pages == 0 || p->nr_ring_pages > BLK_MAX_RING_PAGES ||
        (p->nr_ring_pages & (p->nr_ring_pages - 1)) ||
        p->max_indirect_segments > BLK_MAX_INDIRECT_SEGMENTS) {
        t->ops->close(t);
        return -EINVAL;
    }
    q = calloc(1, sizeof(*q));
    if (!q) {
        t->ops->close(t);
        return -ENOMEM;
    }
    q->p = *p;
    q->p.name = NULL;
    snprintf(q->name, sizeof(q->name), "%s", p->name ? p->name : "queue");
    q->disk = disk;
    q->t = t;
    q->stop_fd = -1;
    q->ring_size = blk_ring_size(p->nr_ring_pages);
    q->max_segs = p->max_indirect_segments > BLKIF_MAX_SEGMENTS_PER_REQUEST
                  ? p->max_indirect_segments : BLKIF_MAX_SEGMENTS_PER_REQUEST;
    q->persistent = p->persistent && p->max_persistent > 0;
    q->nr_epochs = q->ring_size + 1;
    q->reqs = calloc(q->ring_size, sizeof(*q->reqs));
    q->epochs = calloc(q->nr_epochs, sizeof(*q->epochs));
    q->segs = calloc(q->max_segs, sizeof(*q->segs));
    q->refs = calloc(q->max_segs, sizeof(*q->refs));
    q->trefs = calloc(q->max_segs, sizeof(*q->trefs));
    q->tidx = calloc(q->max_segs, sizeof(*q->tidx));
    q->pages = calloc(q->max_segs, sizeof(*q->pages));
    if (!q->reqs || !q->epochs || !q->segs || !q->refs || !q->trefs || !q->tidx || !q->pages)
        goto fail;
    if (pgrant_cache_init(&q->pg, q->persistent ? p->max_persistent : 0) < 0)
        goto fail;
    for (unsigned int i = 0; i < q->ring_size; i++) {
        struct blk_req *r = &q->reqs[i];

        r->iov = calloc(q->max_segs, sizeof(*r->iov));
        r->data.pgs = calloc(q->max_segs, sizeof(*r->data.pgs));
        if (!r->iov || !r->data.pgs)
            goto fail;
        r->next = q->free;
        q->free = r;
    }
    q->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (q->stop_fd < 0) {
        rc = -errno;
        goto fail;
    }
    q->ring_addr = map_refs(q, p->nr_ring_pages, p->ring_refs, true);
    if (!q->ring_addr) {
        rc = -(errno ? errno : EINVAL);
        log_err("%s: cannot map the ring's %u page(s): %s", q->name, p->nr_ring_pages,
                strerror(-rc));
        goto fail;
    }
    /* Resume where the ring stands: a restarted backend finds a live one. */
    {
        blkif_sring_t *s = q->ring_addr;

        rsp_prod = __atomic_load_n(&s->rsp_prod, __ATOMIC_RELAXED);
        req_prod = __atomic_load_n(&s->req_prod, __ATOMIC_RELAXED);
        if (req_prod - rsp_prod > q->ring_size) {
            log_err("%s: the ring's indexes are inconsistent (req_prod %u, rsp_prod %u)",
                    q->name, req_prod, rsp_prod);
            rc = -EPROTO;
            goto fail;
        }
        BACK_RING_ATTACH(&q->ring, s, rsp_prod, (size_t)p->nr_ring_pages * BLK_PAGE_SIZE);
    }
    rc = setup_uring(q);
    if (rc < 0) {
        log_err("%s: cannot set up io_uring: %s", q->name, strerror(-rc));
        goto fail;
    }
    q->uring_ready = true;
    q->kicked = true;           /* look at the ring once even without a notification */
    *out = q;
    return 0;
fail:
    blk_queue_destroy(q);
    return rc;
}

int blk_queue_start(struct blk_queue *q)
{
    int rc = pthread_create(&q->thread, NULL, queue_thread, q);

    if (rc != 0)
        return -rc;
    q->threaded = true;
    return 0;
}

void blk_queue_destroy(struct blk_queue *q)
{
    if (!q)
        return;
    if (q->threaded) {
        uint64_t one = 1;

        if (write(q->stop_fd, &one, sizeof(one)) < 0)
            log_warn("%s: cannot wake the queue thread: %s", q->name, strerror(errno));
        pthread_join(q->thread, NULL);
        q->threaded = false;
    } else if (q->uring_ready) {
        q->stopping = true;
        while (q->inflight)
            iterate(q, 100);
    }
    if (q->uring_ready)
        io_uring_queue_exit(&q->uring);
    pgrant_flush(&q->pg, unmap_persistent, q);
    pgrant_cache_fini(&q->pg);
    if (q->ring_addr)
        unmap_pages(q, q->ring_addr, q->p.nr_ring_pages);
    if (q->t)
        q->t->ops->close(q->t);
    if (q->stop_fd >= 0)
        close(q->stop_fd);
    if (q->reqs) {
        for (unsigned int i = 0; i < q->ring_size; i++) {
            free(q->reqs[i].iov);
            free(q->reqs[i].data.pgs);
        }
    }
    free(q->reqs);
    free(q->epochs);
    free(q->segs);
    free(q->refs);
    free(q->trefs);
    free(q->tidx);
    free(q->pages);
    free(q);
}

void blk_queue_stats(struct blk_queue *q, struct blk_queue_stats *out)
{
    const uint64_t *src = (const uint64_t *)&q->stats;
    uint64_t *dst = (uint64_t *)out;

    for (size_t i = 0; i < sizeof(*out) / sizeof(uint64_t); i++)
        dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}

bool blk_queue_broken(struct blk_queue *q)
{
    return __atomic_load_n(&q->broken, __ATOMIC_RELAXED);
}
