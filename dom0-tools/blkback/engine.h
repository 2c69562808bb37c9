/* engine.h: the blkif request engine: one shared ring served through io_uring. */
/* SPDX-License-Identifier: MIT */
#ifndef BLKBACK_ENGINE_H
#define BLKBACK_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include <xen/io/blkif.h>

#include "disk.h"
#include "transport.h"

/* Pages of the blkif protocol are always 4 KiB. */
#define BLK_PAGE_SIZE (1u << XEN_PAGE_SHIFT)
/* Ring pages a frontend may use per queue (max-ring-page-order 4, as Linux). */
#define BLK_MAX_RING_ORDER 4
#define BLK_MAX_RING_PAGES (1u << BLK_MAX_RING_ORDER)
/* Segments an indirect request may carry: what 8 indirect pages hold. */
#define BLK_SEGS_PER_INDIRECT_PAGE (BLK_PAGE_SIZE / sizeof(struct blkif_request_segment))
#define BLK_MAX_INDIRECT_SEGMENTS \
    (BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST * BLK_SEGS_PER_INDIRECT_PAGE)
#define BLK_SECTORS_PER_PAGE (BLK_PAGE_SIZE / 512)

/* Points in a request's life, reported to an optional trace hook (tests use it). */
enum blk_trace_event {
    BLK_TRACE_SUBMIT,           /* read/write/discard handed to io_uring */
    BLK_TRACE_IO_DONE,          /* its data transfer finished */
    BLK_TRACE_FSYNC_SUBMIT,     /* the flush's fdatasync handed to io_uring */
    BLK_TRACE_FSYNC_DONE,
    BLK_TRACE_RESPONSE,         /* response written to the ring */
};

struct blk_queue_params {
    const char *name;                   /* prefix of log messages, e.g. "vbd 3/51712 q0" */
    unsigned int nr_ring_pages;         /* a power of two up to BLK_MAX_RING_PAGES */
    grant_ref_t ring_refs[BLK_MAX_RING_PAGES];
    bool persistent;                    /* both ends agreed on feature-persistent */
    unsigned int max_persistent;        /* grants kept mapped at most */
    unsigned int max_indirect_segments; /* what we advertised; 0 refuses BLKIF_OP_INDIRECT */
    bool discard_secure;                /* we advertised discard-secure */
    /*
     * Called once, from the queue's thread, when the frontend broke the
     * ring protocol: the queue stops taking requests and waits to be
     * stopped. why is a static string.
     */
    void (*on_broken)(void *arg, unsigned int queue, const char *why);
    void *arg;
    unsigned int queue;                 /* index passed back to on_broken */
    void (*trace)(void *arg, enum blk_trace_event ev, uint64_t id, uint8_t op);
};

/* Counters since the queue was created; read with blk_queue_stats(). */
struct blk_queue_stats {
    uint64_t requests;
    uint64_t reads, writes, flushes, discards, indirect;
    uint64_t errors;                    /* BLKIF_RSP_ERROR answers */
    uint64_t unsupported;               /* BLKIF_RSP_EOPNOTSUPP answers */
    uint64_t maps, unmaps;              /* transport map/unmap calls */
    uint64_t pgrant_hits, pgrant_misses;
    uint64_t pgrants;                   /* grants mapped persistently now */
    uint64_t notifies;
    uint64_t buffered;                  /* transfers that could not use O_DIRECT */
};

struct blk_queue;

/*
 * Map the ring and set up io_uring. The queue takes ownership of t (also
 * on failure). The ring is attached where its indexes stand, so that a
 * restarted backend resumes a live ring. Returns 0 or a negative errno;
 * -EPROTO when the ring's indexes are already inconsistent.
 */
int blk_queue_create(struct blk_queue **out, struct blk_disk *disk, struct blk_transport *t,
                     const struct blk_queue_params *p);
/* Serve the ring from a thread of its own. */
int blk_queue_start(struct blk_queue *q);
/*
 * Stop taking requests, let those in flight finish (their responses are
 * still written), then unmap everything and free the queue. Works with
 * and without a thread.
 */
void blk_queue_destroy(struct blk_queue *q);
/*
 * Without a thread: one round of the loop the thread runs (take new
 * requests, reap completions, answer), waiting at most timeout_ms for a
 * completion or a notification. Returns the requests still in flight.
 */
unsigned int blk_queue_run_once(struct blk_queue *q, int timeout_ms);

void blk_queue_stats(struct blk_queue *q, struct blk_queue_stats *out);
bool blk_queue_broken(struct blk_queue *q);

/* Slots of a ring of nr_pages pages. */
unsigned int blk_ring_size(unsigned int nr_pages);

#endif /* BLKBACK_ENGINE_H */
