/* blkfront.c: Xen's blkif frontend: the xenbus handshake, the shared ring, block I/O, hotplug. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <guest-kit/blkfront.h>
#include <guest-kit/events.h>
#include <guest-kit/gnttab.h>
#include <guest-kit/guest-kit.h>
#include <guest-kit/smp.h>
#include <guest-kit/spinlock.h>
#include <guest-kit/time.h>
#include <guest-kit/xenbus.h>
#include <xen/io/blkif.h>
#include <xen/io/protocols.h>
#include <xen/io/xenbus.h>

/*
 * One disk is one shared ring. Each ring slot has a shadow (struct slot)
 * saying which I/O the request belongs to and which grants it holds; the
 * request id is the slot's index, so an answer finds its slot in O(1) and
 * an id that names no request in flight is caught at once. An I/O larger
 * than one request is cut into requests as slots free up: I/Os wait in a
 * FIFO queue (dev->queue) until they are entirely on the ring, which keeps
 * the backend seeing them in submission order (flushes rely on it).
 *
 * Everything about the ring, the slots and the queue is under dev->lock,
 * taken with interrupts off (the event handler takes it too). Done
 * callbacks are collected on a list while the lock is held and run after
 * it is dropped, so they may submit again.
 *
 * Under KVM's instruction emulator each guest instruction costs about half
 * a microsecond: the paths per request are kept short (the id is the slot,
 * the ring is notified once per batch and only when the backend sleeps,
 * responses are taken in batches), and no byte of data is ever touched:
 * the program's pages are granted in place.
 *
 * A watchdog (a one-shot timer on the vCPU that opened the disk, re-armed
 * every tick = io_timeout / 8) stops a disk whose backend leaves a request
 * unanswered for longer than the timeout, as if it had broken the ring:
 * synchronous I/O never waits forever. Each request carries the tick count
 * it was issued at; a tick only scans the slots when the oldest one it
 * knows of might have expired, so the watchdog costs O(1) per request.
 *
 * Teardown ("reaping"): once the backend has let go (Closed), or is gone,
 * broke the ring or stalled, the grants are ended. Requests still on the ring only
 * complete when the backend can no longer reach the pages they name, so a
 * late write by the backend never lands in memory the program has reused;
 * a backend that keeps pages mapped beyond GK_BLK_REAP_NS costs those
 * pages and references (leaked, never reused) rather than correctness.
 */

#define PAGE                GK_PAGE_SIZE
#define PAGE_SHIFT          12
#define SECTOR_SHIFT        9
#define SEGS_PER_PAGE       (PAGE / sizeof(struct blkif_request_segment))
#define MAX_RING_PAGES      (1u << GK_BLK_MAX_RING_ORDER)
#define IND_POOL_MAX        64u
#define PCACHE_SLOTS        (2u * GK_BLK_PERSISTENT_MAX)
#define GREF_BITS           (GK_GNTTAB_MAX_FRAMES * (PAGE / sizeof(struct grant_entry_v1)))
#define NO_SLOT             0xffffffffu
#define REAP_TICK_NS        (10ull * 1000000ull)
#define CLOSE_WAIT_NS       (5ull * 1000000000ull)
#define WD_TICKS            8u          /* watchdog ticks per I/O timeout */
#define MIN_IO_TIMEOUT_MS   100u

_Static_assert(GK_BLK_MAX_INDIRECT <= SEGS_PER_PAGE, "one indirect page per request");

struct ind_page {
    struct blkif_request_segment *seg;      /* the page, granted read-only */
    grant_ref_t ref;
    bool ended;
    struct ind_page *next;                  /* free list */
};

struct slot {
    struct gk_blk_io *io;                   /* NULL: free */
    uint32_t next_free;
    uint8_t op;                             /* as sent: the answer must echo it */
    uint16_t nseg;
    uint16_t ended;                         /* data grants taken back at teardown */
    uint32_t gen;                           /* watchdog tick it was issued at */
    struct ind_page *ind;                   /* holds the segments of an indirect request */
    grant_ref_t gref[BLKIF_MAX_SEGMENTS_PER_REQUEST];
};

/* A page kept granted (persistent grants): gfn + 1, 0 for an empty entry. */
struct pgrant {
    uint32_t gfn1;
    grant_ref_t ref;
};

enum phase {
    PH_OPENING,
    PH_CONNECTED,
    PH_CLOSING,                             /* we asked the backend to let go */
    PH_REAPING,                             /* taking the pages back */
    PH_DEAD,
};

struct gk_blk {
    struct gk_blk_info info;
    char fe[32];                            /* device/vbd/<devid> */
    char be[128];
    char token[32];
    bool watching;
    bool wrote_initialised;
    bool wrote_closed;
    struct gk_blk *next;                    /* open disks */

    gk_spinlock_t lock;
    enum phase phase;
    bool accepting;
    bool broken;
    unsigned int plugged;                   /* callbacks running: submissions only queue */
    blkif_front_ring_t ring;
    void *ring_mem;
    unsigned int ring_granted;              /* ring_ref[0..ring_granted) are live */
    grant_ref_t ring_ref[MAX_RING_PAGES];
    evtchn_port_t port;
    uint16_t handle;
    unsigned int seg_quantum;               /* segments per logical sector (pages), >= 1 */

    struct slot *slots;
    uint32_t free_slot;
    unsigned int in_flight;
    struct gk_blk_io *queue, **queue_tail;

    struct ind_page ind[IND_POOL_MAX];
    struct ind_page *ind_free;
    unsigned int ind_count;

    struct pgrant *pcache;                  /* NULL without persistent grants */
    uint64_t *pbits;                        /* refs that belong to pcache */
    unsigned int pcount;

    grant_ref_t *zombie;                    /* grants the backend still held when done */
    unsigned int nzombie, zombie_cap;

    bool reap_started;
    bool reap_data_done;
    volatile bool reaped;
    uint64_t reap_deadline;
    struct gk_timer reap_timer;

    struct gk_timer watchdog;
    uint64_t io_timeout_ms;
    uint64_t tick_ns;
    uint32_t gen;                           /* watchdog ticks so far */
    uint32_t oldest_gen;                    /* no request in flight was issued before it */
    volatile bool wd_stop;                  /* destroy() wants the watchdog gone */
    volatile bool wd_exited;                /* it is not armed and will not run again */

    struct gk_blk_stats stats;
};

static gk_spinlock_t open_lock = GK_SPINLOCK_INIT;
static struct gk_blk *open_disks;

/* ---- small helpers ---- */

static uint64_t units(const struct gk_blk_io *io)
{
    return io->op == GK_BLK_FLUSH ? 1 : io->nsectors;
}

static bool fully_issued(const struct gk_blk_io *io)
{
    return io->issued == units(io);
}

static void add_done(struct gk_blk_io *io, struct gk_blk_io **done)
{
    io->next = *done;
    *done = io;
}

/* The completed I/Os' callbacks, in the order they completed (no lock held). */
static void run_done(struct gk_blk_io *done)
{
    struct gk_blk_io *rev = NULL;

    while (done) {
        struct gk_blk_io *io = done;

        done = io->next;
        io->next = rev;
        rev = io;
    }
    while (rev) {
        struct gk_blk_io *io = rev;

        rev = io->next;
        io->next = NULL;
        if (io->done)
            io->done(io);
    }
}

/* ---- grants ---- */

static bool is_persistent(const struct gk_blk *dev, grant_ref_t ref)
{
    return dev->pbits && ref < GREF_BITS && (dev->pbits[ref / 64] >> (ref % 64) & 1);
}

static void add_zombie(struct gk_blk *dev, grant_ref_t ref)
{
    if (dev->nzombie == dev->zombie_cap) {
        unsigned int cap = dev->zombie_cap ? 2 * dev->zombie_cap : 16;
        grant_ref_t *z = realloc(dev->zombie, cap * sizeof(*z));

        if (!z)
            return;         /* the reference is lost, the page stays granted */
        dev->zombie = z;
        dev->zombie_cap = cap;
    }
    dev->zombie[dev->nzombie++] = ref;
}

/* Zombies whose backend mapping has gone since; a few at a time. True if none is left. */
static bool retry_zombies(struct gk_blk *dev, unsigned int max)
{
    while (dev->nzombie && max--) {
        grant_ref_t ref = dev->zombie[dev->nzombie - 1];

        if (gk_grant_end_access(ref) == -EBUSY)
            return false;
        dev->nzombie--;
    }
    return dev->nzombie == 0;
}

/* A data page's grant after its request: persistent ones stay, others end. */
static void release_data_grant(struct gk_blk *dev, grant_ref_t ref)
{
    if (is_persistent(dev, ref))
        return;
    if (gk_grant_end_access(ref) == -EBUSY)
        add_zombie(dev, ref);
}

/*
 * A grant for the page at gfn: a kept one (persistent grants), else a new
 * one, kept if there is room. 0 and *ref, or a negative errno.
 */
static int data_grant(struct gk_blk *dev, uint64_t gfn, bool readonly, grant_ref_t *ref)
{
    uint32_t h, key;
    int rc;

    if (!dev->pcache || gfn >= UINT32_MAX) {
        rc = gk_grant_access(dev->info.backend_id, gfn, readonly);
        if (rc < 0)
            return rc;
        dev->stats.grant_misses++;
        *ref = (grant_ref_t)rc;
        return 0;
    }
    key = (uint32_t)gfn + 1;
    h = (key * 0x9e3779b1u) >> (32 - __builtin_ctz(PCACHE_SLOTS));
    while (dev->pcache[h].gfn1) {
        if (dev->pcache[h].gfn1 == key) {
            dev->stats.grant_hits++;
            *ref = dev->pcache[h].ref;
            return 0;
        }
        h = (h + 1) & (PCACHE_SLOTS - 1);
    }
    /* The backend writes into kept pages for reads too: writable. */
    rc = gk_grant_access(dev->info.backend_id, gfn, false);
    if (rc < 0)
        return rc;
    dev->stats.grant_misses++;
    *ref = (grant_ref_t)rc;
    if (dev->pcount < GK_BLK_PERSISTENT_MAX && *ref < GREF_BITS) {
        dev->pcache[h] = (struct pgrant){ key, *ref };
        dev->pbits[*ref / 64] |= 1ull << (*ref % 64);
        dev->pcount++;
    }
    return 0;
}

/* A free indirect page, granted read-only once for the life of the ring; NULL if none. */
static struct ind_page *ind_get(struct gk_blk *dev)
{
    struct ind_page *p = dev->ind_free;
    int rc;

    if (p) {
        dev->ind_free = p->next;
        return p;
    }
    if (dev->ind_count == IND_POOL_MAX)
        return NULL;
    p = &dev->ind[dev->ind_count];
    p->seg = aligned_alloc(PAGE, PAGE);
    if (!p->seg)
        return NULL;
    rc = gk_grant_access(dev->info.backend_id, (uintptr_t)p->seg >> PAGE_SHIFT, true);
    if (rc < 0) {
        free(p->seg);
        p->seg = NULL;
        return NULL;
    }
    p->ref = (grant_ref_t)rc;
    p->ended = false;
    dev->ind_count++;
    return p;
}

static void ind_put(struct gk_blk *dev, struct ind_page *p)
{
    p->next = dev->ind_free;
    dev->ind_free = p;
}

/* ---- requests ---- */

/* Data grants of a request from s->ended on, after its answer. */
static void slot_release_grants(struct gk_blk *dev, struct slot *s)
{
    const struct blkif_request_segment *seg = s->ind ? s->ind->seg : NULL;

    for (unsigned int i = s->ended; i < s->nseg; i++)
        release_data_grant(dev, seg ? seg[i].gref : s->gref[i]);
    s->nseg = 0;
    s->ended = 0;
    if (s->ind) {
        ind_put(dev, s->ind);
        s->ind = NULL;
    }
}

static void slot_free(struct gk_blk *dev, uint32_t id)
{
    struct slot *s = &dev->slots[id];

    s->io = NULL;
    s->next_free = dev->free_slot;
    dev->free_slot = id;
    dev->in_flight--;
}

/* One part of io is over; io is done when no part is left to issue or answer. */
static void part_done(struct gk_blk_io *io, int status, struct gk_blk_io **done)
{
    if (status && !io->status)
        io->status = status;
    io->parts--;
    if (!io->parts && fully_issued(io))
        add_done(io, done);
}

/*
 * A READ or WRITE request for io's next sectors into slot id: as many
 * pages as one request holds (11, or max_segments with an indirect page).
 * 0, or a negative errno with nothing granted.
 */
static int build_rw(struct gk_blk *dev, struct gk_blk_io *io, uint32_t id,
                    struct blkif_request *req)
{
    struct slot *s = &dev->slots[id];
    bool write = io->op == GK_BLK_WRITE;
    uint64_t left = (io->nsectors - io->issued) << SECTOR_SHIFT;
    uintptr_t addr = (uintptr_t)io->buf + (uintptr_t)(io->issued << SECTOR_SHIFT);
    uint64_t span = ((addr & (PAGE - 1)) + left + PAGE - 1) >> PAGE_SHIFT;
    unsigned int max = BLKIF_MAX_SEGMENTS_PER_REQUEST, nseg = 0;
    struct blkif_request_segment *seg = req->seg;
    struct ind_page *ind = NULL;
    uint64_t bytes = 0;

    if (span > BLKIF_MAX_SEGMENTS_PER_REQUEST && dev->info.max_segments > max &&
        (ind = ind_get(dev))) {
        max = dev->info.max_segments;
        seg = ind->seg;
    }
    while (nseg < max && left) {
        unsigned int off = addr & (PAGE - 1);
        uint64_t n = PAGE - off < left ? PAGE - off : left;
        grant_ref_t ref;
        int rc = data_grant(dev, addr >> PAGE_SHIFT, write, &ref);

        if (rc < 0) {
            s->nseg = (uint16_t)nseg;
            s->ind = ind;
            s->ended = 0;
            slot_release_grants(dev, s);
            return rc;
        }
        seg[nseg].gref = ref;
        seg[nseg].first_sect = (uint8_t)(off >> SECTOR_SHIFT);
        seg[nseg].last_sect = (uint8_t)((off + n - 1) >> SECTOR_SHIFT);
        if (!ind)
            s->gref[nseg] = ref;
        nseg++;
        addr += n;
        left -= n;
        bytes += n;
    }
    /* Logical sectors larger than a page: a request ends on one's boundary. */
    if (left && dev->seg_quantum > 1 && nseg % dev->seg_quantum) {
        unsigned int keep = nseg - nseg % dev->seg_quantum;

        for (unsigned int i = keep; i < nseg; i++)
            release_data_grant(dev, seg[i].gref);
        bytes = (uint64_t)keep * PAGE;      /* such buffers are page-aligned */
        nseg = keep;
        if (!nseg) {
            /* No indirect page free for a whole sector: again once answers free one. */
            if (ind)
                ind_put(dev, ind);
            return -ENOSPC;
        }
    }
    s->nseg = (uint16_t)nseg;
    s->ended = 0;
    s->ind = ind;
    if (ind) {
        struct blkif_request_indirect *r = (struct blkif_request_indirect *)req;

        r->operation = BLKIF_OP_INDIRECT;
        r->indirect_op = write ? BLKIF_OP_WRITE : BLKIF_OP_READ;
        r->nr_segments = (uint16_t)nseg;
        r->id = id;
        r->sector_number = io->sector + io->issued;
        r->handle = dev->handle;
        r->indirect_grefs[0] = ind->ref;
        s->op = r->indirect_op;     /* what Linux's blkback answers with; see below */
        dev->stats.indirect++;
    } else {
        req->operation = write ? BLKIF_OP_WRITE : BLKIF_OP_READ;
        req->nr_segments = (uint8_t)nseg;
        req->handle = dev->handle;
        req->id = id;
        req->sector_number = io->sector + io->issued;
        s->op = req->operation;
    }
    io->issued += bytes >> SECTOR_SHIFT;
    return 0;
}

/* Puts io's next request on the ring (a free slot exists). 0 or a negative errno. */
static int issue_one(struct gk_blk *dev, struct gk_blk_io *io)
{
    uint32_t id = dev->free_slot;
    struct slot *s = &dev->slots[id];
    struct blkif_request *req = RING_GET_REQUEST(&dev->ring, dev->ring.req_prod_pvt);
    int rc;

    switch (io->op) {
    case GK_BLK_FLUSH:
        req->operation = BLKIF_OP_FLUSH_DISKCACHE;
        req->nr_segments = 0;
        req->handle = dev->handle;
        req->id = id;
        req->sector_number = 0;
        s->op = BLKIF_OP_FLUSH_DISKCACHE;
        s->nseg = 0;
        s->ind = NULL;
        io->issued = 1;
        break;
    case GK_BLK_DISCARD: {
        struct blkif_request_discard *d = (struct blkif_request_discard *)req;

        d->operation = BLKIF_OP_DISCARD;
        d->flag = 0;
        d->handle = dev->handle;
        d->id = id;
        d->sector_number = io->sector;
        d->nr_sectors = io->nsectors;
        s->op = BLKIF_OP_DISCARD;
        s->nseg = 0;
        s->ind = NULL;
        io->issued = io->nsectors;
        break;
    }
    default:
        rc = build_rw(dev, io, id, req);
        if (rc < 0)
            return rc;
        break;
    }
    s->io = io;
    s->gen = dev->gen;
    dev->free_slot = s->next_free;
    dev->in_flight++;
    io->parts++;
    dev->ring.req_prod_pvt++;
    dev->stats.requests++;
    return 0;
}

/* Moves queued I/O onto the ring while slots are free, then tells the backend once. */
static void kick_queue(struct gk_blk *dev, struct gk_blk_io **done)
{
    bool pushed = false;
    int notify;

    while (dev->queue && dev->free_slot != NO_SLOT) {
        struct gk_blk_io *io = dev->queue;
        int rc = io->status ? io->status : issue_one(dev, io);

        if (rc == 0) {
            pushed = true;
        } else if ((rc == -ENOSPC || rc == -ENOMEM) && dev->in_flight) {
            break;      /* answers will free grants or memory: try again then */
        } else {
            /* This I/O goes no further; it is done once its parts on the ring are. */
            if (!io->status)
                io->status = rc;
            io->issued = units(io);
        }
        if (fully_issued(io)) {
            dev->queue = io->next;
            if (!dev->queue)
                dev->queue_tail = &dev->queue;
            io->next = NULL;
            if (!io->parts)
                add_done(io, done);
        }
    }
    if (!pushed)
        return;
    RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&dev->ring, notify);
    if (notify) {
        gk_evtchn_send(dev->port);
        dev->stats.notifies++;
    }
}

/* Fails the I/O that has not reached the ring (lock held). */
static void fail_queue(struct gk_blk *dev, int status, struct gk_blk_io **done)
{
    while (dev->queue) {
        struct gk_blk_io *io = dev->queue;

        dev->queue = io->next;
        io->next = NULL;
        if (!io->status)
            io->status = status;
        io->issued = units(io);
        if (!io->parts)
            add_done(io, done);
    }
    dev->queue_tail = &dev->queue;
}

/* No more I/O through the ring (lock held): nothing of it is read again. */
static void stop_ring(struct gk_blk *dev, struct gk_blk_io **done)
{
    dev->broken = true;
    dev->accepting = false;
    fail_queue(dev, -EIO, done);
}

/* The backend broke the ring protocol (lock held). */
static void ring_broken(struct gk_blk *dev, const char *why, struct gk_blk_io **done)
{
    if (!dev->broken)
        printf("blkfront: disk %u: the backend broke the ring protocol (%s): disk stopped\n",
               dev->info.devid, why);
    stop_ring(dev, done);
}

/* Takes the answers the backend has published (lock held). */
static void harvest(struct gk_blk *dev, struct gk_blk_io **done)
{
    int more;

    if (dev->broken || !dev->slots)
        return;
    do {
        RING_IDX prod = __atomic_load_n(&dev->ring.sring->rsp_prod, __ATOMIC_ACQUIRE);
        RING_IDX cons = dev->ring.rsp_cons;

        /* Each request in flight gets one answer: more is a broken backend. */
        if (prod - cons > dev->in_flight) {
            ring_broken(dev, "response index beyond the requests in flight", done);
            return;
        }
        for (; cons != prod; cons++) {
            struct blkif_response r;
            struct gk_blk_io *io;
            struct slot *s;

            RING_COPY_RESPONSE(&dev->ring, cons, &r);
            /* An indirect request's answer says its indirect_op (Linux) or INDIRECT (older). */
            if (r.id >= RING_SIZE(&dev->ring) || !dev->slots[r.id].io ||
                (r.operation != dev->slots[r.id].op &&
                 !(dev->slots[r.id].ind && r.operation == BLKIF_OP_INDIRECT))) {
                dev->ring.rsp_cons = cons;
                ring_broken(dev, "an answer for no request in flight", done);
                return;
            }
            s = &dev->slots[r.id];
            io = s->io;
            slot_release_grants(dev, s);
            slot_free(dev, (uint32_t)r.id);
            dev->stats.responses++;
            part_done(io, r.status == BLKIF_RSP_OKAY ? 0 :
                          r.status == BLKIF_RSP_EOPNOTSUPP ? -EOPNOTSUPP : -EIO, done);
        }
        dev->ring.rsp_cons = cons;
        RING_FINAL_CHECK_FOR_RESPONSES(&dev->ring, more);
    } while (more);
    if (dev->nzombie)
        retry_zombies(dev, 4);
}

static void start_reap(struct gk_blk *dev);

/*
 * Answers, then their callbacks. I/O those submit is only queued meanwhile
 * (dev->plugged) and goes out in one batch, one notification, afterwards.
 */
static void blk_event(evtchn_port_t port, void *arg)
{
    struct gk_blk *dev = arg;
    struct gk_blk_io *done = NULL, *more = NULL;
    unsigned long flags = gk_spin_lock_irqsave(&dev->lock);
    bool was_broken = dev->broken;

    (void)port;
    dev->stats.events++;
    if (dev->phase <= PH_CLOSING) {
        harvest(dev, &done);
        if (!dev->broken)
            kick_queue(dev, &done);
    }
    if (done)
        dev->plugged++;
    gk_spin_unlock_irqrestore(&dev->lock, flags);
    if (!was_broken && dev->broken)
        start_reap(dev);
    if (!done)
        return;
    run_done(done);
    flags = gk_spin_lock_irqsave(&dev->lock);
    if (!--dev->plugged && dev->accepting)
        kick_queue(dev, &more);
    gk_spin_unlock_irqrestore(&dev->lock, flags);
    run_done(more);
}

/*
 * A request older than the timeout (lock held)? The slots are only scanned
 * when the oldest request known might be that old.
 */
static bool stalled(struct gk_blk *dev)
{
    uint32_t limit = WD_TICKS + 1, oldest = dev->gen;

    if (!dev->in_flight) {
        dev->oldest_gen = dev->gen;
        return false;
    }
    if (dev->gen - dev->oldest_gen < limit)
        return false;
    for (uint32_t i = 0; i < RING_SIZE(&dev->ring); i++) {
        const struct slot *s = &dev->slots[i];

        if (s->io && dev->gen - s->gen > dev->gen - oldest)
            oldest = s->gen;
    }
    dev->oldest_gen = oldest;
    return dev->gen - oldest >= limit;
}

/*
 * The watchdog's tick (interrupt context, on the vCPU that opened the
 * disk). wd_exited is its last touch of dev when it does not re-arm.
 */
static void watchdog_tick(struct gk_timer *t, void *arg)
{
    struct gk_blk *dev = arg;
    struct gk_blk_io *done = NULL;
    unsigned long flags = gk_spin_lock_irqsave(&dev->lock);
    bool stop = dev->wd_stop || dev->phase >= PH_REAPING || dev->broken, stuck = false;

    if (!stop) {
        dev->gen++;
        stuck = stalled(dev);
        if (stuck) {
            printf("blkfront: disk %u: the backend left a request unanswered for more than "
                   "%llu ms: disk stopped\n", dev->info.devid,
                   (unsigned long long)dev->io_timeout_ms);
            stop_ring(dev, &done);
        }
    }
    gk_spin_unlock_irqrestore(&dev->lock, flags);
    run_done(done);
    if (stuck)
        start_reap(dev);
    if (stop || stuck || gk_timer_start(t, gk_monotonic_ns() + dev->tick_ns, 0) < 0)
        __atomic_store_n(&dev->wd_exited, true, __ATOMIC_RELEASE);
}

/* Process context. */
static int start_watchdog(struct gk_blk *dev, const struct gk_blk_options *opts)
{
    uint64_t ms = opts && opts->io_timeout_ms ? opts->io_timeout_ms : GK_BLK_IO_TIMEOUT_MS;
    int rc;

    if (ms < MIN_IO_TIMEOUT_MS)
        ms = MIN_IO_TIMEOUT_MS;
    dev->io_timeout_ms = ms;
    dev->tick_ns = ms * 1000000ull / WD_TICKS;
    gk_timer_init(&dev->watchdog, watchdog_tick, dev);
    __atomic_store_n(&dev->wd_exited, false, __ATOMIC_RELEASE);
    rc = gk_timer_start(&dev->watchdog, gk_monotonic_ns() + dev->tick_ns, 0);
    if (rc < 0)
        __atomic_store_n(&dev->wd_exited, true, __ATOMIC_RELEASE);
    return rc;
}

/*
 * Armed on this vCPU, it is simply disarmed; armed on another one (or
 * running there), its next tick sees wd_stop and ends it.
 */
static void stop_watchdog(struct gk_blk *dev)
{
    unsigned long flags;

    __atomic_store_n(&dev->wd_stop, true, __ATOMIC_RELEASE);
    flags = gk_irq_save();
    if (dev->watchdog.cpu == gk_this_cpu() && gk_timer_stop(&dev->watchdog) == 0)
        __atomic_store_n(&dev->wd_exited, true, __ATOMIC_RELEASE);
    gk_irq_restore(flags);
    while (!__atomic_load_n(&dev->wd_exited, __ATOMIC_ACQUIRE))
        gk_sleep_ns(dev->tick_ns < 1000000ull ? dev->tick_ns : 1000000ull);
}

/* ---- teardown ---- */

/*
 * Ends every grant that lets the backend reach the program's pages (lock
 * held). Returns how many the backend still holds.
 */
static unsigned int reap_data(struct gk_blk *dev)
{
    unsigned int held = 0;

    for (uint32_t i = 0; dev->slots && i < RING_SIZE(&dev->ring); i++) {
        struct slot *s = &dev->slots[i];
        const struct blkif_request_segment *seg = s->ind ? s->ind->seg : NULL;

        if (!s->io)
            continue;
        while (s->ended < s->nseg) {
            grant_ref_t ref = seg ? seg[s->ended].gref : s->gref[s->ended];

            if (!is_persistent(dev, ref) && gk_grant_end_access(ref) == -EBUSY) {
                held += s->nseg - s->ended;
                break;
            }
            s->ended++;
        }
    }
    for (unsigned int i = 0; dev->pcache && i < PCACHE_SLOTS; i++) {
        struct pgrant *p = &dev->pcache[i];

        if (!p->gfn1)
            continue;
        if (gk_grant_end_access(p->ref) == -EBUSY)
            held++;
        else
            p->gfn1 = 0;        /* its pbits bit stays: the ref may be someone else's now */
    }
    retry_zombies(dev, UINT32_MAX);
    return held + dev->nzombie;
}

/* Ends the grants of our own pages (ring, indirect pages) and frees them. True when done. */
static bool reap_own(struct gk_blk *dev, bool give_up)
{
    bool all = true;

    for (unsigned int i = 0; i < dev->ind_count; i++) {
        struct ind_page *p = &dev->ind[i];

        if (!p->ended && gk_grant_end_access(p->ref) == -EBUSY) {
            all = false;
            continue;
        }
        if (!p->ended)
            free(p->seg);
        p->ended = true;
    }
    while (dev->ring_granted) {
        if (gk_grant_end_access(dev->ring_ref[dev->ring_granted - 1]) == -EBUSY) {
            all = false;
            break;
        }
        dev->ring_granted--;
    }
    if (!dev->ring_granted && dev->ring_mem) {
        free(dev->ring_mem);
        dev->ring_mem = NULL;
    }
    if (!all && give_up) {
        printf("blkfront: disk %u: the backend still maps our ring or indirect pages: "
               "leaked\n", dev->info.devid);
        dev->ring_mem = NULL;
        dev->ring_granted = 0;
        all = true;
    }
    return all;
}

/* One attempt at taking everything back (lock held). True when finished. */
static bool reap_step(struct gk_blk *dev, struct gk_blk_io **done)
{
    bool late = gk_monotonic_ns() >= dev->reap_deadline;

    if (!dev->reap_data_done) {
        unsigned int held;
        bool free_now;

        /* Answers the backend gave while letting go count. */
        harvest(dev, done);
        held = reap_data(dev);
        free_now = held == 0;
        if (!free_now && !late)
            return false;
        if (!free_now)
            printf("blkfront: disk %u: the backend still maps %u of our pages after %llu s: "
                   "their grants are leaked\n", dev->info.devid, held,
                   GK_BLK_REAP_NS / 1000000000ull);
        /* The backend can no longer reach the pages: what it never answered fails. */
        for (uint32_t i = 0; dev->slots && i < RING_SIZE(&dev->ring); i++) {
            struct slot *s = &dev->slots[i];
            struct gk_blk_io *io = s->io;

            if (!io)
                continue;
            s->ended = s->nseg;
            slot_release_grants(dev, s);
            slot_free(dev, i);
            part_done(io, free_now && !dev->broken ? -ENODEV : -EIO, done);
        }
        fail_queue(dev, -ENODEV, done);
        dev->nzombie = 0;
        dev->reap_data_done = true;
    }
    return reap_own(dev, late);
}

static void reap_tick(struct gk_timer *t, void *arg)
{
    struct gk_blk *dev = arg;
    struct gk_blk_io *done = NULL;
    unsigned long flags = gk_spin_lock_irqsave(&dev->lock);
    bool finished = reap_step(dev, &done);

    if (finished)
        dev->phase = PH_DEAD;
    gk_spin_unlock_irqrestore(&dev->lock, flags);
    run_done(done);
    if (!finished)
        gk_timer_start(t, gk_monotonic_ns() + REAP_TICK_NS, 0);
    else
        __atomic_store_n(&dev->reaped, true, __ATOMIC_RELEASE);   /* last touch of dev */
}

/*
 * No more events, no more I/O: take the answers there are, then the pages.
 * Idempotent; from any context.
 */
static void start_reap(struct gk_blk *dev)
{
    struct gk_blk_io *done = NULL;
    unsigned long flags = gk_spin_lock_irqsave(&dev->lock);
    evtchn_port_t port = 0;
    bool finished;

    if (dev->reap_started) {
        gk_spin_unlock_irqrestore(&dev->lock, flags);
        return;
    }
    dev->reap_started = true;
    dev->accepting = false;
    dev->phase = PH_REAPING;
    fail_queue(dev, -ENODEV, &done);
    port = dev->port;
    dev->port = 0;
    dev->reap_deadline = gk_monotonic_ns() + GK_BLK_REAP_NS;
    gk_spin_unlock_irqrestore(&dev->lock, flags);
    if (port)
        gk_evtchn_close(port);

    flags = gk_spin_lock_irqsave(&dev->lock);
    finished = reap_step(dev, &done);
    if (finished)
        dev->phase = PH_DEAD;
    gk_spin_unlock_irqrestore(&dev->lock, flags);
    run_done(done);
    if (finished) {
        __atomic_store_n(&dev->reaped, true, __ATOMIC_RELEASE);
    } else {
        gk_timer_init(&dev->reap_timer, reap_tick, dev);
        gk_timer_start(&dev->reap_timer, gk_monotonic_ns() + REAP_TICK_NS, 0);
    }
}

/*
 * Connected -> closing: no new I/O, queued I/O fails, and the backend is
 * asked to let go (it answers what it has taken, then goes Closed).
 * Process context.
 */
static void begin_closing(struct gk_blk *dev)
{
    struct gk_blk_io *done = NULL;
    unsigned long flags = gk_spin_lock_irqsave(&dev->lock);

    if (dev->phase != PH_CONNECTED) {
        gk_spin_unlock_irqrestore(&dev->lock, flags);
        return;
    }
    dev->phase = PH_CLOSING;
    dev->accepting = false;
    fail_queue(dev, -ENODEV, &done);
    gk_spin_unlock_irqrestore(&dev->lock, flags);
    run_done(done);
    gk_xenbus_switch_state(dev->fe, XenbusStateClosing);
    gk_xenbus_switch_state(dev->fe, XenbusStateClosed);
    dev->wrote_closed = true;
}

/* The backend state, as the watch reports it changing. */
static void backend_changed(const char *path, const char *token, void *arg)
{
    struct gk_blk *dev = arg;
    enum xenbus_state s = gk_xenbus_read_state(dev->be);

    (void)path;
    (void)token;
    switch (s) {
    case XenbusStateClosing:
        begin_closing(dev);
        break;
    case XenbusStateClosed:
    case XenbusStateUnknown:    /* gone, or garbage */
        if (dev->phase == PH_CONNECTED || dev->phase == PH_CLOSING) {
            begin_closing(dev);
            start_reap(dev);
        }
        break;
    default:
        /* A backend resuming the device, or confused: the ring decides. */
        break;
    }
}

/* ---- opening and closing ---- */

static void wait_reaped(struct gk_blk *dev)
{
    while (!__atomic_load_n(&dev->reaped, __ATOMIC_ACQUIRE))
        gk_sleep_ns(REAP_TICK_NS / 10);
}

static void unregister(struct gk_blk *dev)
{
    unsigned long flags = gk_spin_lock_irqsave(&open_lock);

    for (struct gk_blk **pp = &open_disks; *pp; pp = &(*pp)->next) {
        if (*pp == dev) {
            *pp = dev->next;
            break;
        }
    }
    gk_spin_unlock_irqrestore(&open_lock, flags);
}

static void destroy(struct gk_blk *dev)
{
    stop_watchdog(dev);
    if (dev->watching) {
        char path[160];

        snprintf(path, sizeof(path), "%s/state", dev->be);
        gk_xs_unwatch(path, dev->token);
    }
    unregister(dev);
    free(dev->slots);
    free(dev->pcache);
    free(dev->pbits);
    free(dev->zombie);
    free(dev);
}

/*
 * The closing handshake (process context): our Closing, their Closing, our
 * Closed, their Closed; then the pages back.
 */
static void close_handshake(struct gk_blk *dev)
{
    enum xenbus_state now;
    unsigned long flags = gk_spin_lock_irqsave(&dev->lock);
    /* Also after a broken ring: a backend that merely erred lets go once told. */
    bool ask = dev->wrote_initialised && !dev->wrote_closed;

    if (dev->phase <= PH_CONNECTED)
        dev->phase = PH_CLOSING;
    dev->accepting = false;
    gk_spin_unlock_irqrestore(&dev->lock, flags);
    if (ask) {
        gk_xenbus_switch_state(dev->fe, XenbusStateClosing);
        gk_xenbus_wait_state(dev->be, 1u << XenbusStateClosing | 1u << XenbusStateClosed |
                             1u << XenbusStateUnknown, CLOSE_WAIT_NS, &now);
        gk_xenbus_switch_state(dev->fe, XenbusStateClosed);
        dev->wrote_closed = true;
    }
    if (dev->wrote_closed && !__atomic_load_n(&dev->reaped, __ATOMIC_ACQUIRE))
        gk_xenbus_wait_state(dev->be, 1u << XenbusStateClosed | 1u << XenbusStateUnknown |
                             1u << XenbusStateInitWait, CLOSE_WAIT_NS, &now);
    start_reap(dev);
    wait_reaped(dev);
}

void gk_blk_close(struct gk_blk *dev)
{
    uint64_t deadline = gk_monotonic_ns() + GK_BLK_REAP_NS;
    unsigned long flags;

    if (!dev)
        return;
    flags = gk_spin_lock_irqsave(&dev->lock);
    dev->accepting = false;
    gk_spin_unlock_irqrestore(&dev->lock, flags);
    /* Let what was submitted finish normally. */
    while ((__atomic_load_n(&dev->in_flight, __ATOMIC_ACQUIRE) ||
            __atomic_load_n(&dev->queue, __ATOMIC_ACQUIRE)) &&
           dev->phase <= PH_CLOSING && gk_monotonic_ns() < deadline)
        gk_sleep_ns(1000000);
    close_handshake(dev);
    destroy(dev);
}

int gk_blk_list(uint32_t *ids, unsigned int max)
{
    return gk_xenbus_list_devices("vbd", ids, max);
}


/* The shared ring and what goes with it, as the backend's features allow. */
static int setup_ring(struct gk_blk *dev, const struct gk_blk_options *opts)
{
    unsigned int order = (unsigned int)gk_xenbus_read_feature(dev->be, "max-ring-page-order", 32, 0);
    unsigned int pages, nslots;
    uint64_t indirect = gk_xenbus_read_feature(dev->be, "feature-max-indirect-segments", UINT32_MAX, 0);
    int rc;

    if (order > GK_BLK_MAX_RING_ORDER)
        order = GK_BLK_MAX_RING_ORDER;
    if (opts && opts->max_ring_pages)
        while (order && (1u << order) > opts->max_ring_pages)
            order--;
    pages = 1u << order;
    dev->ring_mem = aligned_alloc(PAGE, (size_t)pages * PAGE);
    if (!dev->ring_mem)
        return -ENOMEM;
    SHARED_RING_INIT((struct blkif_sring *)dev->ring_mem);
    FRONT_RING_INIT(&dev->ring, (struct blkif_sring *)dev->ring_mem, (size_t)pages * PAGE);
    nslots = RING_SIZE(&dev->ring);
    for (unsigned int i = 0; i < pages; i++) {
        rc = gk_grant_access(dev->info.backend_id,
                             ((uintptr_t)dev->ring_mem >> PAGE_SHIFT) + i, false);
        if (rc < 0)
            return rc;
        dev->ring_ref[i] = (grant_ref_t)rc;
        dev->ring_granted++;
    }
    dev->slots = calloc(nslots, sizeof(*dev->slots));
    if (!dev->slots)
        return -ENOMEM;
    for (uint32_t i = 0; i < nslots; i++)
        dev->slots[i].next_free = i + 1 < nslots ? i + 1 : NO_SLOT;
    dev->free_slot = 0;

    dev->info.ring_pages = pages;
    dev->info.ring_slots = nslots;
    dev->info.max_segments = BLKIF_MAX_SEGMENTS_PER_REQUEST;
    if (indirect > BLKIF_MAX_SEGMENTS_PER_REQUEST && !(opts && opts->no_indirect))
        dev->info.max_segments = indirect < GK_BLK_MAX_INDIRECT ? (unsigned int)indirect
                                                                : GK_BLK_MAX_INDIRECT;
    if (gk_xenbus_read_feature(dev->be, "feature-persistent", 1, 0) && !(opts && opts->no_persistent)) {
        dev->pcache = calloc(PCACHE_SLOTS, sizeof(*dev->pcache));
        dev->pbits = calloc(GREF_BITS / 64, sizeof(uint64_t));
        if (!dev->pcache || !dev->pbits) {
            free(dev->pcache);
            free(dev->pbits);
            dev->pcache = NULL;
            dev->pbits = NULL;
        }
    }
    dev->info.persistent = dev->pcache != NULL;
    dev->info.flush = gk_xenbus_read_feature(dev->be, "feature-flush-cache", 1, 0) == 1;
    dev->info.discard = gk_xenbus_read_feature(dev->be, "feature-discard", 1, 0) == 1;
    if (dev->info.discard)
        dev->info.discard_granularity =
            (uint32_t)gk_xenbus_read_feature(dev->be, "discard-granularity", UINT32_MAX, 0);

    rc = gk_evtchn_alloc_unbound(dev->info.backend_id, blk_event, dev);
    if (rc < 0)
        return rc;
    dev->port = (evtchn_port_t)rc;
    return 0;
}

/* Ring references, event channel, protocol and Initialised, in one transaction. */
static int publish_ring(struct gk_blk *dev)
{
    char path[96];
    int rc = -EAGAIN;

    for (int tries = 0; tries < 10 && rc == -EAGAIN; tries++) {
        gk_xs_transaction_t t;

        rc = gk_xs_transaction_start(&t);
        if (rc < 0)
            return rc;
        if (dev->info.ring_pages == 1) {
            snprintf(path, sizeof(path), "%s/ring-ref", dev->fe);
            rc = gk_xs_printf(t, path, "%u", dev->ring_ref[0]);
        } else {
            snprintf(path, sizeof(path), "%s/ring-page-order", dev->fe);
            rc = gk_xs_printf(t, path, "%u", (unsigned int)__builtin_ctz(dev->info.ring_pages));
            for (unsigned int i = 0; rc == 0 && i < dev->info.ring_pages; i++) {
                snprintf(path, sizeof(path), "%s/ring-ref%u", dev->fe, i);
                rc = gk_xs_printf(t, path, "%u", dev->ring_ref[i]);
            }
        }
        if (rc == 0) {
            snprintf(path, sizeof(path), "%s/event-channel", dev->fe);
            rc = gk_xs_printf(t, path, "%u", dev->port);
        }
        if (rc == 0) {
            snprintf(path, sizeof(path), "%s/protocol", dev->fe);
            rc = gk_xs_write(t, path, XEN_IO_PROTO_ABI_X86_64);
        }
        if (rc == 0) {
            snprintf(path, sizeof(path), "%s/feature-persistent", dev->fe);
            rc = gk_xs_write(t, path, dev->info.persistent ? "1" : "0");
        }
        if (rc == 0) {
            snprintf(path, sizeof(path), "%s/state", dev->fe);
            rc = gk_xs_printf(t, path, "%d", (int)XenbusStateInitialised);
        }
        if (rc < 0) {
            gk_xs_transaction_end(t, true);
            return rc;
        }
        rc = gk_xs_transaction_end(t, false);
    }
    if (rc == 0)
        dev->wrote_initialised = true;
    return rc;
}

/* The disk as the backend describes it once Connected; all of it checked. */
static int read_geometry(struct gk_blk *dev)
{
    uint64_t sectors, info = 0, ss = GK_BLK_SECTOR, pss;

    if (gk_xenbus_read_uint(dev->be, "sectors", UINT64_MAX >> SECTOR_SHIFT, &sectors) < 0)
        return -EIO;
    if (gk_xenbus_read_uint(dev->be, "info", UINT32_MAX, &info) == -EINVAL)
        return -EIO;
    if (gk_xenbus_read_uint(dev->be, "sector-size", 1u << 20, &ss) == -EINVAL || ss < GK_BLK_SECTOR ||
        (ss & (ss - 1)))
        return -EIO;
    pss = gk_xenbus_read_feature(dev->be, "physical-sector-size", 1u << 20, ss);
    if (pss < ss || (pss & (pss - 1)))
        pss = ss;
    dev->info.sectors = sectors;
    dev->info.sector_size = (uint32_t)ss;
    dev->info.physical_sector_size = (uint32_t)pss;
    dev->info.readonly = info & VDISK_READONLY;
    dev->info.cdrom = info & VDISK_CDROM;
    dev->info.removable = info & VDISK_REMOVABLE;
    dev->seg_quantum = ss > PAGE ? (unsigned int)(ss / PAGE) : 1;
    if (dev->seg_quantum > dev->info.max_segments)
        return -EOPNOTSUPP;     /* one logical sector would not fit in a request */
    return 0;
}

static int connect(struct gk_blk *dev, const struct gk_blk_options *opts)
{
    enum xenbus_state now;
    int rc;

    rc = gk_xenbus_read_backend(dev->fe, dev->be, sizeof(dev->be), &dev->info.backend_id);
    if (rc < 0)
        return rc;
    rc = gk_xenbus_frontend_start(dev->fe, dev->be, GK_BLK_HANDSHAKE_NS, &now);
    if (rc < 0)
        return rc;
    rc = setup_ring(dev, opts);
    if (rc < 0)
        return rc;
    rc = publish_ring(dev);
    if (rc < 0)
        return rc;
    rc = gk_xenbus_frontend_wait_connected(dev->be, GK_BLK_HANDSHAKE_NS, &now);
    if (rc < 0)
        return rc;
    rc = read_geometry(dev);
    if (rc < 0)
        return rc;
    rc = gk_xenbus_switch_state(dev->fe, XenbusStateConnected);
    if (rc < 0)
        return rc;
    return 0;
}

int gk_blk_open(uint32_t devid, const struct gk_blk_options *opts, struct gk_blk **out)
{
    struct gk_blk *dev = calloc(1, sizeof(*dev)), *d;
    char path[160];
    unsigned long flags;
    int rc;

    if (!dev)
        return -ENOMEM;
    dev->info.devid = devid;
    dev->handle = (uint16_t)devid;
    dev->queue_tail = &dev->queue;
    dev->seg_quantum = 1;
    dev->wd_exited = true;
    snprintf(dev->fe, sizeof(dev->fe), "device/vbd/%u", devid);
    snprintf(dev->token, sizeof(dev->token), "gk-blk-%p", (void *)dev);
    flags = gk_spin_lock_irqsave(&open_lock);
    for (d = open_disks; d && d->info.devid != devid; d = d->next)
        ;
    if (!d) {
        dev->next = open_disks;
        open_disks = dev;
    }
    gk_spin_unlock_irqrestore(&open_lock, flags);
    if (d) {
        free(dev);
        return -EBUSY;
    }

    rc = connect(dev, opts);
    if (rc == 0) {
        flags = gk_spin_lock_irqsave(&dev->lock);
        dev->phase = PH_CONNECTED;
        dev->accepting = true;
        gk_spin_unlock_irqrestore(&dev->lock, flags);
        snprintf(path, sizeof(path), "%s/state", dev->be);
        rc = gk_xs_watch(path, dev->token, backend_changed, dev);
        dev->watching = rc == 0;
        if (rc == 0)
            rc = start_watchdog(dev, opts);
    }
    if (rc < 0) {
        if (rc != -EBUSY)
            printf("blkfront: disk %u: cannot connect (error %d)\n", devid, rc);
        close_handshake(dev);
        destroy(dev);
        return rc;
    }
    *out = dev;
    return 0;
}

const struct gk_blk_info *gk_blk_info(const struct gk_blk *dev)
{
    return &dev->info;
}

bool gk_blk_connected(const struct gk_blk *dev)
{
    return __atomic_load_n(&dev->accepting, __ATOMIC_ACQUIRE);
}

void gk_blk_stats(const struct gk_blk *dev, struct gk_blk_stats *stats)
{
    unsigned long flags = gk_spin_lock_irqsave((gk_spinlock_t *)&dev->lock);

    *stats = dev->stats;
    gk_spin_unlock_irqrestore((gk_spinlock_t *)&dev->lock, flags);
}

/* ---- I/O ---- */

static int check_io(const struct gk_blk *dev, const struct gk_blk_io *io)
{
    const struct gk_blk_info *in = &dev->info;
    uint64_t align = in->sector_size >> SECTOR_SHIFT;
    uint64_t buf_align = in->sector_size < PAGE ? in->sector_size : PAGE;

    switch (io->op) {
    case GK_BLK_FLUSH:
        return in->flush ? 0 : -EOPNOTSUPP;
    case GK_BLK_DISCARD:
        if (!in->discard)
            return -EOPNOTSUPP;
        if (in->readonly)
            return -EROFS;
        break;
    case GK_BLK_WRITE:
        if (in->readonly)
            return -EROFS;
        /* fall through */
    case GK_BLK_READ:
        if (!io->buf || ((uintptr_t)io->buf & (buf_align - 1)) ||
            io->nsectors > (UINTPTR_MAX - (uintptr_t)io->buf) >> SECTOR_SHIFT)
            return -EINVAL;
        break;
    default:
        return -EINVAL;
    }
    if (!io->nsectors || io->nsectors > in->sectors || io->sector > in->sectors - io->nsectors ||
        ((io->sector | io->nsectors) & (align - 1)))
        return -EINVAL;
    return 0;
}

int gk_blk_submit(struct gk_blk *dev, struct gk_blk_io *io)
{
    struct gk_blk_io *done = NULL;
    unsigned long flags;
    int rc = check_io(dev, io);

    if (rc < 0)
        return rc;
    io->status = 0;
    io->issued = 0;
    io->parts = 0;
    io->next = NULL;
    flags = gk_spin_lock_irqsave(&dev->lock);
    if (!dev->accepting) {
        gk_spin_unlock_irqrestore(&dev->lock, flags);
        return -ENODEV;
    }
    *dev->queue_tail = io;
    dev->queue_tail = &io->next;
    if (!dev->plugged) {
        kick_queue(dev, &done);
        if (!fully_issued(io))
            dev->stats.queued++;
    }
    gk_spin_unlock_irqrestore(&dev->lock, flags);
    run_done(done);
    return 0;
}

struct sync_wait {
    volatile bool done;
    uint32_t cpu;
};

static void sync_done(struct gk_blk_io *io)
{
    struct sync_wait *w = io->arg;
    uint32_t cpu = w->cpu;      /* w lives on the waiter's stack: read it first */

    __atomic_store_n(&w->done, true, __ATOMIC_RELEASE);
    if (cpu != gk_this_cpu()->id)
        gk_smp_kick(cpu);
}

static int sync_io(struct gk_blk *dev, enum gk_blk_op op, uint64_t sector, void *buf,
                   uint64_t nsectors)
{
    struct sync_wait w = { .done = false, .cpu = gk_this_cpu()->id };
    struct gk_blk_io io = {
        .op = op, .sector = sector, .nsectors = nsectors, .buf = buf,
        .done = sync_done, .arg = &w,
    };
    int rc = gk_blk_submit(dev, &io);

    if (rc < 0)
        return rc;
    gk_wait_event(__atomic_load_n(&w.done, __ATOMIC_ACQUIRE));
    return io.status;
}

int gk_blk_read(struct gk_blk *dev, uint64_t sector, void *buf, uint64_t nsectors)
{
    return sync_io(dev, GK_BLK_READ, sector, buf, nsectors);
}

int gk_blk_write(struct gk_blk *dev, uint64_t sector, const void *buf, uint64_t nsectors)
{
    return sync_io(dev, GK_BLK_WRITE, sector, (void *)buf, nsectors);
}

int gk_blk_flush(struct gk_blk *dev)
{
    return sync_io(dev, GK_BLK_FLUSH, 0, NULL, 0);
}

int gk_blk_discard(struct gk_blk *dev, uint64_t sector, uint64_t nsectors)
{
    return sync_io(dev, GK_BLK_DISCARD, sector, NULL, nsectors);
}

/* ---- hotplug ---- */

static struct gk_xenbus_hotplug hp = { .type = "vbd" };

int gk_blk_watch(gk_blk_hotplug_fn *fn, void *arg)
{
    return gk_xenbus_watch_devices(&hp, fn, arg);
}
