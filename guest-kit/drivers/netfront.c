/* netfront.c: Xen's netif frontend: the xenbus handshake, tx and rx rings, frames, hotplug. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <guest-kit/events.h>
#include <guest-kit/gnttab.h>
#include <guest-kit/guest-kit.h>
#include <guest-kit/netfront.h>
#include <guest-kit/time.h>
#include <guest-kit/xenbus.h>
#include <xen/io/netif.h>
#include <xen/io/xenbus.h>

/*
 * One interface is one tx ring and one rx ring of a page each (256 slots),
 * as Linux's netfront with a single queue.
 *
 * Transmit. Frames are copied into a transmit area (tx_pages pages,
 * granted read-only once): a byte FIFO where each frame takes the next
 * len bytes (rounded up to 8), skipping to the next page when the backend
 * takes one page per frame only, or to the start at the end. A frame
 * becomes as many ring slots as pages it touches. The request id of a slot
 * is its ring index modulo 256: an answer names the slot it answers, so
 * one array lookup tells whether it is for a slot in flight. Answers may
 * come in any order; the area is released in ring order, slot by slot as
 * far as the oldest unanswered one (tx_reclaim), which is also what frees
 * ring slots for reuse.
 *
 * Receive. Each rx buffer is a page; a posted buffer is granted writable
 * and its id recorded by the ring index it went out at, since netif
 * answers rx requests in ring order: the answer at index i must carry the
 * id posted at i. Before a frame is read its pages' grants are ended (so
 * the backend cannot change them while the program reads), then it is
 * handed over in place (or gathered into one buffer when it spans several
 * slots), and the pages are granted and posted again.
 *
 * Notifications are batched: requests are pushed and the backend notified
 * (only when it asked, req_event) once per flush; we ask to be notified of
 * rx answers only when going idle (RING_FINAL_CHECK_FOR_RESPONSES), and of
 * tx answers only when the area or ring is full and a sender waits.
 *
 * Under KVM's instruction emulator every guest instruction counts: no
 * loop touches frame data byte by byte (copies are memcpy, string
 * instructions), ring indexes wrap with masks, and per-frame work is a
 * few dozen instructions besides the copy.
 *
 * Everything runs in process context on vCPU 0; event handlers only note
 * that something happened. The backend-state watch also runs in process
 * context, from xenbus dispatch, which cannot happen inside this file's
 * functions unless a receive callback waits: `busy` defers it then.
 */

#define PAGE            GK_PAGE_SIZE
#define PAGE_SHIFT      12
#define RING            GK_NETFRONT_RING_SLOTS
#define MASK            (RING - 1)
#define MAX_DATA_SLOTS  XEN_NETIF_NR_SLOTS_MIN  /* slots per frame any backend must take */
#define MAX_EXTRAS      4
#define FLUSH_BATCH     32u                     /* queued tx slots that force a push */
#define CLOSE_WAIT_NS   (5ull * 1000000000ull)
#define REAP_TICK_NS    (10ull * 1000000ull)
#define ETH_HLEN        14u
#define MTU_DEFAULT     1500u

_Static_assert(__CONST_RING_SIZE(netif_tx, PAGE) == RING, "tx ring of 256 slots");
_Static_assert(__CONST_RING_SIZE(netif_rx, PAGE) == RING, "rx ring of 256 slots");

enum phase {
    PH_OPENING,
    PH_CONNECTED,
    PH_CLOSING,             /* we asked the backend to let go, or it did */
    PH_REAPING,             /* taking the pages back */
    PH_DEAD,
};

enum { TX_FREE, TX_INFLIGHT, TX_DONE };

struct txslot {
    uint32_t span;          /* transmit-area bytes released with this slot */
    uint8_t state;
};

struct rxbuf {
    grant_ref_t ref;
    bool granted;           /* the backend may write into it */
};

struct gk_netfront {
    struct gk_netfront_info info;
    char fe[32];            /* device/vif/<devid> */
    char be[128];
    char token[32];
    bool watching;
    struct gk_netfront *next;

    volatile enum phase phase;
    bool broken;
    volatile unsigned int busy;     /* depth of this file's calls on the stack */
    volatile bool state_dirty;
    bool published;         /* our ring keys are in xenstore: a backend may map them */
    bool wrote_closed;

    netif_tx_front_ring_t tx;
    netif_rx_front_ring_t rx;
    void *tx_sring, *rx_sring;
    bool tx_ring_granted, rx_ring_granted;
    evtchn_port_t tx_port, rx_port;

    /* Transmit area and slots. */
    uint8_t *tx_area;
    grant_ref_t *tx_refs;
    unsigned int tx_refs_granted;
    uint32_t tx_size, tx_head, tx_used;
    RING_IDX tx_pushed;     /* the req_prod the backend sees */
    RING_IDX tx_reclaim;    /* the oldest slot not yet released */
    bool tx_want_room;
    struct txslot txs[RING];

    /* Receive buffers. */
    uint8_t *rx_pages;
    struct rxbuf *rxb;
    uint16_t *rx_free;
    unsigned int rx_nfree;
    bool rx_leaked;         /* a page the backend never let go of: the block stays */
    RING_IDX rx_pushed;
    bool rx_partial;        /* a frame's first slots are there, its end not yet ... */
    RING_IDX rx_partial_at; /* ... as of this rsp_prod */
    uint16_t rx_id_at[RING];
    uint8_t *gather;

    uint64_t reap_deadline;
    struct gk_timer reap_timer;
    bool reap_timer_armed;

    struct gk_netfront_stats stats;
};

static struct gk_netfront *open_nics;
static volatile bool activity;

static void handle_state(struct gk_netfront *nf);
static void start_reap(struct gk_netfront *nf);
static void reap_try(struct gk_netfront *nf);

/* ---- small helpers ---- */

static void barrier(void)
{
    __asm__ volatile("" ::: "memory");
}

static int hex(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* "xx:xx:xx:xx:xx:xx", a unicast address that is not all zero. */
static int parse_mac(const char *s, uint8_t mac[6])
{
    unsigned int any = 0;

    for (int i = 0; i < 6; i++) {
        int hi = hex(s[0]), lo = hi < 0 ? -1 : hex(s[1]);

        if (lo < 0 || s[2] != (i == 5 ? '\0' : ':'))
            return -EINVAL;
        mac[i] = (uint8_t)(hi << 4 | lo);
        any |= mac[i];
        s += 3;
    }
    return (mac[0] & 1) || !any ? -EINVAL : 0;
}

static void notify(struct gk_netfront *nf, evtchn_port_t port)
{
    if (port) {
        gk_evtchn_send(port);
        nf->stats.notifies++;
    }
}

static void on_event(evtchn_port_t port, void *arg)
{
    struct gk_netfront *nf = arg;

    (void)port;
    nf->stats.events++;
    activity = true;
}

/* The backend broke the ring protocol: nothing of its rings is read again. */
static void ring_broken(struct gk_netfront *nf, const char *why)
{
    if (!nf->broken)
        printf("netfront: vif %u: the backend broke the ring protocol (%s): interface "
               "stopped\n", nf->info.devid, why);
    nf->broken = true;
    activity = true;
}

static void enter(struct gk_netfront *nf)
{
    nf->busy++;
    barrier();
}

/* Leaving the outermost call: state changes noted meanwhile are acted on now. */
static void leave(struct gk_netfront *nf)
{
    barrier();
    if (--nf->busy)
        return;
    if ((nf->broken && nf->phase == PH_CONNECTED) || nf->state_dirty)
        handle_state(nf);
}

/* ---- transmit ---- */

/* Takes the backend's tx answers and releases what they free, in ring order. */
static void tx_reclaim(struct gk_netfront *nf)
{
    RING_IDX prod, cons = nf->tx.rsp_cons;

    if (nf->broken || !nf->tx_sring)
        return;
    prod = __atomic_load_n(&nf->tx.sring->rsp_prod, __ATOMIC_ACQUIRE);
    if (prod == cons)
        return;
    /* One answer per slot it was shown. */
    if (prod - cons > nf->tx_pushed - cons) {
        ring_broken(nf, "tx answers beyond the requests");
        return;
    }
    for (; cons != prod; cons++) {
        struct netif_tx_response r;
        struct txslot *s;

        RING_COPY_RESPONSE(&nf->tx, cons, &r);
        s = &nf->txs[r.id & MASK];
        /* The id is the ring index of a slot in flight: [tx_reclaim, tx_pushed). */
        if (r.id >= RING || ((r.id - nf->tx_reclaim) & MASK) >= nf->tx_pushed - nf->tx_reclaim ||
            s->state != TX_INFLIGHT) {
            nf->tx.rsp_cons = cons;
            ring_broken(nf, "a tx answer for no slot in flight");
            return;
        }
        s->state = TX_DONE;
        if (r.status != XEN_NETIF_RSP_OKAY && r.status != XEN_NETIF_RSP_NULL)
            nf->stats.tx_errors++;
    }
    nf->tx.rsp_cons = cons;
    while (nf->tx_reclaim != nf->tx_pushed) {
        struct txslot *s = &nf->txs[nf->tx_reclaim & MASK];

        if (s->state != TX_DONE)
            break;
        nf->tx_used -= s->span;
        s->span = 0;
        s->state = TX_FREE;
        nf->tx_reclaim++;
    }
    if (nf->tx_want_room)
        activity = true;
}

/* Pushes queued requests of both rings; notifies where the backend asked. */
static void flush(struct gk_netfront *nf)
{
    int need;

    if (nf->phase != PH_CONNECTED || nf->broken)
        return;
    if (nf->tx.req_prod_pvt != nf->tx_pushed) {
        RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&nf->tx, need);
        nf->tx_pushed = nf->tx.req_prod_pvt;
        if (need)
            notify(nf, nf->tx_port);
    }
    if (nf->rx.req_prod_pvt != nf->rx_pushed) {
        RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&nf->rx, need);
        nf->rx_pushed = nf->rx.req_prod_pvt;
        if (need)
            notify(nf, nf->rx_port);
    }
}

void gk_netfront_flush(struct gk_netfront *nf)
{
    if (nf)
        flush(nf);
}

/*
 * Where a frame of len bytes would go: its offset in the area, the bytes
 * it takes (padding included) and the ring slots. False if it does not fit.
 */
static bool tx_place(const struct gk_netfront *nf, size_t len, uint32_t *off, uint32_t *span,
                     unsigned int *slots)
{
    uint32_t alen = ((uint32_t)len + 7) & ~7u, start = nf->tx_head, pad = 0;

    if (start + alen > nf->tx_size) {
        pad = nf->tx_size - start;
        start = 0;
    } else if (!nf->info.sg && (start & (PAGE - 1)) + len > PAGE) {
        pad = PAGE - (start & (PAGE - 1));
        start += pad;
        if (start + alen > nf->tx_size) {
            pad += nf->tx_size - start;
            start = 0;
        }
    }
    if (pad + alen > nf->tx_size - nf->tx_used)
        return false;
    *slots = (unsigned int)(((start & (PAGE - 1)) + len + PAGE - 1) >> PAGE_SHIFT);
    if (nf->tx.req_prod_pvt + *slots - nf->tx_reclaim > RING)
        return false;
    *off = start;
    *span = pad + alen;
    return true;
}

/* No room for a sender: push what is queued and ask to hear about answers. */
static void tx_stalled(struct gk_netfront *nf)
{
    nf->tx_want_room = true;
    flush(nf);
    nf->tx.sring->rsp_event = nf->tx.rsp_cons + 1;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

int gk_netfront_send(struct gk_netfront *nf, const void *frame, size_t len)
{
    uint32_t off, span;
    unsigned int slots;
    RING_IDX idx;
    size_t left;
    int rc = 0;

    if (!nf || !frame || len < ETH_HLEN)
        return -EINVAL;
    if (len > nf->info.max_frame)
        return -EMSGSIZE;
    enter(nf);
    if (nf->phase != PH_CONNECTED || nf->broken) {
        rc = -ENODEV;
        goto out;
    }
    if (!tx_place(nf, len, &off, &span, &slots)) {
        tx_reclaim(nf);
        if (nf->broken || !tx_place(nf, len, &off, &span, &slots)) {
            nf->stats.tx_no_room++;
            if (!nf->broken)
                tx_stalled(nf);
            rc = nf->broken ? -ENODEV : -ENOBUFS;
            goto out;
        }
    }
    memcpy(nf->tx_area + off, frame, len);
    idx = nf->tx.req_prod_pvt;
    left = len;
    for (unsigned int i = 0; i < slots; i++, idx++) {
        struct netif_tx_request *req = RING_GET_REQUEST(&nf->tx, idx);
        uint32_t in_page = PAGE - (off & (PAGE - 1));
        uint32_t n = left < in_page ? (uint32_t)left : in_page;

        req->gref = nf->tx_refs[off >> PAGE_SHIFT];
        req->offset = (uint16_t)(off & (PAGE - 1));
        /* The first slot carries the frame's length, the others their own. */
        req->size = (uint16_t)(i == 0 ? len : n);
        req->flags = i + 1 < slots ? NETTXF_more_data : 0;
        req->id = (uint16_t)(idx & MASK);
        nf->txs[idx & MASK].state = TX_INFLIGHT;
        nf->txs[idx & MASK].span = i == 0 ? span : 0;
        off += n;
        left -= n;
    }
    nf->tx.req_prod_pvt = idx;
    nf->tx_used += span;
    /* The frame started 8-aligned and took its length rounded up to 8. */
    off = (off + 7) & ~7u;
    nf->tx_head = off >= nf->tx_size ? 0 : off;
    nf->stats.tx_frames++;
    nf->stats.tx_bytes += len;
    nf->stats.tx_slots += slots;
    if (nf->tx.req_prod_pvt - nf->tx_pushed >= FLUSH_BATCH)
        flush(nf);
out:
    leave(nf);
    return rc;
}

unsigned int gk_netfront_tx_room(struct gk_netfront *nf, size_t len)
{
    uint32_t alen, slots_per, by_bytes, by_slots;

    if (!nf || nf->phase != PH_CONNECTED || nf->broken || len < ETH_HLEN ||
        len > nf->info.max_frame)
        return 0;
    enter(nf);
    tx_reclaim(nf);
    leave(nf);
    if (nf->phase != PH_CONNECTED || nf->broken)
        return 0;
    /* Counted without the padding that wrapping around may cost: an upper bound. */
    alen = ((uint32_t)len + 7) & ~7u;
    slots_per = (uint32_t)((len + PAGE - 1) >> PAGE_SHIFT) + (nf->info.sg ? 1 : 0);
    by_bytes = (nf->tx_size - nf->tx_used) / alen;
    by_slots = (RING - (nf->tx.req_prod_pvt - nf->tx_reclaim)) / slots_per;
    return by_bytes < by_slots ? by_bytes : by_slots;
}

/* ---- receive ---- */

/* Posts the free rx buffers: a fresh writable grant each. */
static void rx_refill(struct gk_netfront *nf)
{
    uint64_t first_gfn = (uintptr_t)nf->rx_pages >> PAGE_SHIFT;

    while (nf->rx_nfree && nf->rx.req_prod_pvt - nf->rx.rsp_cons < RING) {
        uint16_t id = nf->rx_free[nf->rx_nfree - 1];
        struct netif_rx_request *req;
        int ref = gk_grant_access(nf->info.backend_id, first_gfn + id, false);

        if (ref < 0)
            break;              /* no references now: the next refill tries again */
        nf->rx_nfree--;
        nf->rxb[id].ref = (grant_ref_t)ref;
        nf->rxb[id].granted = true;
        req = RING_GET_REQUEST(&nf->rx, nf->rx.req_prod_pvt);
        req->id = id;
        req->gref = (grant_ref_t)ref;
        nf->rx_id_at[nf->rx.req_prod_pvt & MASK] = id;
        nf->rx.req_prod_pvt++;
    }
}

/*
 * Takes a buffer back from the backend: its grant ended, so the page is
 * ours to read. False if the backend still holds it (it answered before
 * it was done: hostile); the page is then lost for good.
 */
static bool rx_take(struct gk_netfront *nf, uint16_t id)
{
    struct rxbuf *b = &nf->rxb[id];

    if (!b->granted)
        return false;
    if (gk_grant_end_access(b->ref) < 0) {
        b->granted = false;
        nf->rx_leaked = true;
        return false;
    }
    b->granted = false;
    return true;
}

static uint8_t *rx_page(const struct gk_netfront *nf, uint16_t id)
{
    return nf->rx_pages + ((size_t)id << PAGE_SHIFT);
}

/*
 * One frame from the ring at rsp_cons: its answers (data slots, extra-info
 * slots) checked, its pages taken back, the frame handed to fn unless it
 * is bad. Returns the slots consumed, 0 when the frame is not complete
 * yet, or -1 when the ring is broken.
 */
static int rx_frame(struct gk_netfront *nf, RING_IDX prod, gk_netfront_rx_fn *fn, void *arg)
{
    RING_IDX start = nf->rx.rsp_cons, i = start;
    struct netif_rx_response r, first;
    unsigned int n = 0, data = 0, extras = 0;
    uint32_t total = 0;
    bool bad = false, more;
    int16_t first_len;

    RING_COPY_RESPONSE(&nf->rx, i, &first);
    r = first;
    for (;;) {
        if (r.id != nf->rx_id_at[i & MASK]) {
            ring_broken(nf, "an rx answer whose id was not posted in its slot");
            return -1;
        }
        data++;
        n++;
        if (r.status <= 0 || (uint32_t)r.offset + (uint32_t)r.status > PAGE)
            bad = true;     /* an error, an empty or an impossible slot: the frame goes */
        else
            total += (uint32_t)r.status;
        if (data == 1 && (r.flags & NETRXF_extra_info)) {
            /* Extra-info slots follow the first one; we asked for none. */
            struct netif_extra_info x;

            bad = true;
            do {
                if (i + 1 == prod)
                    goto incomplete;
                if (++extras > MAX_EXTRAS) {
                    ring_broken(nf, "more rx extra-info slots than there are types");
                    return -1;
                }
                i++;
                n++;
                memcpy(&x, (const void *)RING_GET_RESPONSE(&nf->rx, i), sizeof(x));
            } while (x.flags & XEN_NETIF_EXTRA_FLAG_MORE);
        }
        more = r.flags & NETRXF_more_data;
        if (!more)
            break;
        if (!nf->info.sg || data == MAX_DATA_SLOTS)
            bad = true;
        if (i + 1 == prod)
            goto incomplete;
        i++;
        RING_COPY_RESPONSE(&nf->rx, i, &r);
    }
    if (total > GK_NETFRONT_MAX_FRAME || total < ETH_HLEN)
        bad = true;

    /* Every page of the frame back from the backend before anything is read. */
    for (RING_IDX k = start; k != start + n; k++) {
        uint16_t id = nf->rx_id_at[k & MASK];

        if (rx_take(nf, id))
            nf->rx_free[nf->rx_nfree++] = id;
        else
            bad = true;
    }
    nf->rx.rsp_cons = start + n;
    if (bad) {
        nf->stats.rx_errors++;
        return (int)n;
    }
    first_len = first.status;
    if (data == 1) {
        fn(nf, rx_page(nf, nf->rx_id_at[start & MASK]) + first.offset, (size_t)first_len, arg);
    } else {
        uint32_t at = 0;

        /* Data slots only: extra-info slots, if any, made the frame bad above. */
        for (RING_IDX k = start; k != start + n; k++) {
            struct netif_rx_response p;

            RING_COPY_RESPONSE(&nf->rx, k, &p);
            if (p.status <= 0 || at + (uint32_t)p.status > total)
                break;
            memcpy(nf->gather + at, rx_page(nf, nf->rx_id_at[k & MASK]) + p.offset,
                   (size_t)p.status);
            at += (uint32_t)p.status;
        }
        if (at != total) {
            nf->stats.rx_errors++;
            return (int)n;
        }
        nf->stats.rx_gathered++;
        fn(nf, nf->gather, total, arg);
    }
    nf->stats.rx_frames++;
    nf->stats.rx_bytes += total;
    return (int)n;

incomplete:
    /* The rest is not there yet; if no posted slot is left for it, it never will be. */
    if (prod - start == nf->rx_pushed - start) {
        ring_broken(nf, "an rx frame continuing past every posted buffer");
        return -1;
    }
    return 0;
}

/*
 * Asks to be told about the next rx answer. True if answers are there to
 * take (or came meanwhile), not counting the start of a frame whose end
 * has not come yet.
 */
static bool rx_arm(struct gk_netfront *nf)
{
    RING_IDX prod;
    int more;

    if (!nf->rx_partial) {
        RING_FINAL_CHECK_FOR_RESPONSES(&nf->rx, more);
        return more;
    }
    prod = __atomic_load_n(&nf->rx.sring->rsp_prod, __ATOMIC_ACQUIRE);
    if (prod != nf->rx_partial_at)
        return true;
    nf->rx.sring->rsp_event = prod + 1;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    return nf->rx.sring->rsp_prod != prod;
}

int gk_netfront_receive(struct gk_netfront *nf, gk_netfront_rx_fn *fn, void *arg,
                        unsigned int budget)
{
    unsigned int delivered = 0;
    bool more;

    if (!nf || !fn)
        return -EINVAL;
    enter(nf);
    if (nf->phase == PH_REAPING)
        reap_try(nf);
    if (nf->phase != PH_CONNECTED || nf->broken) {
        leave(nf);
        return -ENODEV;
    }
    tx_reclaim(nf);
    do {
        RING_IDX prod = __atomic_load_n(&nf->rx.sring->rsp_prod, __ATOMIC_ACQUIRE);

        if (prod - nf->rx.rsp_cons > nf->rx_pushed - nf->rx.rsp_cons) {
            ring_broken(nf, "rx answers beyond the posted buffers");
            break;
        }
        nf->rx_partial = false;
        while (nf->rx.rsp_cons != prod && (!budget || delivered < budget)) {
            uint64_t before = nf->stats.rx_frames;
            int n = rx_frame(nf, prod, fn, arg);

            if (n < 0)
                break;
            if (n == 0) {
                nf->rx_partial = true;
                nf->rx_partial_at = prod;
                break;
            }
            delivered += (unsigned int)(nf->stats.rx_frames - before);
        }
        if (nf->broken || nf->phase != PH_CONNECTED)
            break;
        rx_refill(nf);
        flush(nf);
        if (budget && delivered >= budget)
            break;
        more = rx_arm(nf);
    } while (more);
    leave(nf);
    return (int)delivered;
}

/* ---- state changes and teardown ---- */

/* Connected -> closing: no more frames; the backend is asked to let go. Process context. */
static void begin_closing(struct gk_netfront *nf)
{
    if (nf->phase != PH_CONNECTED && nf->phase != PH_OPENING)
        return;
    nf->phase = PH_CLOSING;
    activity = true;
    if (!nf->published || nf->wrote_closed)
        return;
    gk_xenbus_switch_state(nf->fe, XenbusStateClosing);
    gk_xenbus_switch_state(nf->fe, XenbusStateClosed);
    nf->wrote_closed = true;
}

static void handle_state(struct gk_netfront *nf)
{
    enum xenbus_state s;

    nf->state_dirty = false;
    if (nf->broken)
        begin_closing(nf);
    s = gk_xenbus_read_state(nf->be);
    switch (s) {
    case XenbusStateClosing:
        begin_closing(nf);
        break;
    case XenbusStateClosed:
    case XenbusStateUnknown:        /* gone, or garbage */
        begin_closing(nf);
        if (nf->phase == PH_CLOSING)
            start_reap(nf);
        break;
    default:
        /* A backend resuming the interface, or confused: the rings decide. */
        break;
    }
}

static void backend_changed(const char *path, const char *token, void *arg)
{
    struct gk_netfront *nf = arg;

    (void)path;
    (void)token;
    activity = true;
    if (nf->busy) {
        nf->state_dirty = true;
        return;
    }
    handle_state(nf);
}

static void reap_tick(struct gk_timer *t, void *arg)
{
    struct gk_netfront *nf = arg;

    (void)t;
    nf->reap_timer_armed = false;
    activity = true;    /* the program's next wait or receive tries again */
}

/* No more events or frames: the pages go back as the backend lets go of them. */
static void start_reap(struct gk_netfront *nf)
{
    if (nf->phase >= PH_REAPING)
        return;
    nf->phase = PH_REAPING;
    if (nf->rx_port && nf->rx_port != nf->tx_port)
        gk_evtchn_close(nf->rx_port);
    if (nf->tx_port)
        gk_evtchn_close(nf->tx_port);
    nf->tx_port = nf->rx_port = 0;
    nf->reap_deadline = gk_monotonic_ns() + GK_NETFRONT_REAP_NS;
    gk_timer_init(&nf->reap_timer, reap_tick, nf);
    reap_try(nf);
}

/* Ends a grant of ours; true when it is gone (or was never there). */
static bool end_grant(grant_ref_t ref, bool *granted)
{
    if (!*granted)
        return true;
    if (gk_grant_end_access(ref) == -EBUSY)
        return false;
    *granted = false;
    return true;
}

/* One attempt at taking every page back; after GK_NETFRONT_REAP_NS what is held is leaked. */
static void reap_try(struct gk_netfront *nf)
{
    bool all = true, rx_held = nf->rx_leaked;

    if (nf->phase != PH_REAPING)
        return;
    for (unsigned int i = 0; nf->rxb && i < nf->info.rx_buffers; i++)
        if (!end_grant(nf->rxb[i].ref, &nf->rxb[i].granted))
            all = false;
    while (nf->tx_refs_granted) {
        if (gk_grant_end_access(nf->tx_refs[nf->tx_refs_granted - 1]) == -EBUSY) {
            all = false;
            break;
        }
        nf->tx_refs_granted--;
    }
    if (!end_grant(nf->info.tx_ring_ref, &nf->tx_ring_granted))
        all = false;
    if (!end_grant(nf->info.rx_ring_ref, &nf->rx_ring_granted))
        all = false;
    if (!all && gk_monotonic_ns() < nf->reap_deadline) {
        if (!nf->reap_timer_armed) {
            nf->reap_timer_armed = true;
            gk_timer_start(&nf->reap_timer, gk_monotonic_ns() + REAP_TICK_NS, 0);
        }
        return;
    }
    for (unsigned int i = 0; nf->rxb && i < nf->info.rx_buffers; i++)
        rx_held |= nf->rxb[i].granted;
    if (!all || rx_held)
        printf("netfront: vif %u: the backend still holds some of our pages: leaked\n",
               nf->info.devid);
    /* What may still be granted stays allocated forever; the rest is freed. */
    if (!rx_held)
        free(nf->rx_pages);
    if (!nf->tx_refs_granted)
        free(nf->tx_area);
    if (!nf->tx_ring_granted)
        free(nf->tx_sring);
    if (!nf->rx_ring_granted)
        free(nf->rx_sring);
    nf->rx_pages = NULL;
    nf->tx_area = NULL;
    nf->tx_sring = nf->rx_sring = NULL;
    nf->tx.sring = NULL;
    nf->rx.sring = NULL;
    free(nf->gather);
    nf->gather = NULL;
    nf->phase = PH_DEAD;
    activity = true;
}

/* ---- opening and closing ---- */

static void unregister(struct gk_netfront *nf)
{
    for (struct gk_netfront **pp = &open_nics; *pp; pp = &(*pp)->next) {
        if (*pp == nf) {
            *pp = nf->next;
            break;
        }
    }
}

static void destroy(struct gk_netfront *nf)
{
    if (nf->watching) {
        char path[160];

        snprintf(path, sizeof(path), "%s/state", nf->be);
        gk_xs_unwatch(path, nf->token);
        nf->watching = false;
    }
    if (nf->reap_timer_armed)
        gk_timer_stop(&nf->reap_timer);
    unregister(nf);
    free(nf->rxb);
    free(nf->rx_free);
    free(nf->tx_refs);
    free(nf);
}

/*
 * The closing handshake (process context): our Closing, the backend's
 * Closing, our Closed, its Closed; then the pages back.
 */
static void close_handshake(struct gk_netfront *nf)
{
    enum xenbus_state now;

    if (nf->phase == PH_CONNECTED || nf->phase == PH_OPENING) {
        nf->phase = PH_CLOSING;
        if (nf->published && !nf->wrote_closed) {
            gk_xenbus_switch_state(nf->fe, XenbusStateClosing);
            gk_xenbus_wait_state(nf->be, 1u << XenbusStateClosing | 1u << XenbusStateClosed |
                                 1u << XenbusStateUnknown, CLOSE_WAIT_NS, &now);
            gk_xenbus_switch_state(nf->fe, XenbusStateClosed);
            nf->wrote_closed = true;
        }
    }
    if (nf->phase == PH_CLOSING) {
        if (nf->published)
            gk_xenbus_wait_state(nf->be, 1u << XenbusStateClosed | 1u << XenbusStateUnknown |
                                 1u << XenbusStateInitWait, CLOSE_WAIT_NS, &now);
        start_reap(nf);
    }
    while (nf->phase == PH_REAPING) {
        reap_try(nf);
        if (nf->phase == PH_REAPING)
            gk_sleep_ns(REAP_TICK_NS);
    }
}

void gk_netfront_close(struct gk_netfront *nf)
{
    if (!nf)
        return;
    flush(nf);
    close_handshake(nf);
    destroy(nf);
}

int gk_netfront_list(uint32_t *ids, unsigned int max)
{
    return gk_xenbus_list_devices("vif", ids, max);
}

/* The backend's directory and domain and our address, from the toolstack's keys. */
static int find_backend(struct gk_netfront *nf)
{
    char path[64], mac[32];
    int rc;

    rc = gk_xenbus_read_backend(nf->fe, nf->be, sizeof(nf->be), &nf->info.backend_id);
    if (rc < 0)
        return rc;
    snprintf(path, sizeof(path), "%s/mac", nf->fe);
    rc = gk_xs_read(GK_XBT_NIL, path, mac, sizeof(mac));
    if (rc < 0)
        return rc == -ENOENT ? -ENODEV : rc;
    if (parse_mac(mac, nf->info.mac) < 0) {
        printf("netfront: vif %u: '%.20s' is not a unicast MAC address\n", nf->info.devid, mac);
        return -EINVAL;
    }
    return 0;
}

/* Rings, the transmit area, the receive buffers and the event channel(s). */
static int setup(struct gk_netfront *nf, const struct gk_netfront_options *opts)
{
    domid_t be = nf->info.backend_id;
    unsigned int nrx = opts && opts->rx_buffers ? opts->rx_buffers : GK_NETFRONT_RX_BUFFERS;
    unsigned int ntx = opts && opts->tx_pages ? opts->tx_pages : GK_NETFRONT_TX_PAGES;
    int rc;

    nf->info.sg = gk_xenbus_read_feature(nf->be, "feature-sg", 1, 0) == 1 && !(opts && opts->no_sg) &&
                  nrx >= MAX_DATA_SLOTS && ntx >= MAX_DATA_SLOTS;
    nf->info.split_events = gk_xenbus_read_feature(nf->be, "feature-split-event-channels", 1, 0) == 1 &&
                            !(opts && opts->single_event_channel);
    nf->info.mtu = (unsigned int)gk_xenbus_read_feature(nf->be, "mtu", 65535, MTU_DEFAULT);
    if (nf->info.mtu < 68)
        nf->info.mtu = MTU_DEFAULT;
    nf->info.max_frame = nf->info.sg ? GK_NETFRONT_MAX_FRAME : PAGE;
    nf->info.rx_buffers = nrx;
    nf->info.tx_pages = ntx;

    nf->tx_sring = aligned_alloc(PAGE, PAGE);
    nf->rx_sring = aligned_alloc(PAGE, PAGE);
    nf->tx_area = aligned_alloc(PAGE, (size_t)ntx * PAGE);
    nf->rx_pages = aligned_alloc(PAGE, (size_t)nrx * PAGE);
    nf->tx_refs = calloc(ntx, sizeof(*nf->tx_refs));
    nf->rxb = calloc(nrx, sizeof(*nf->rxb));
    nf->rx_free = calloc(nrx, sizeof(*nf->rx_free));
    if (nf->info.sg)
        nf->gather = malloc(GK_NETFRONT_MAX_FRAME);
    if (!nf->tx_sring || !nf->rx_sring || !nf->tx_area || !nf->rx_pages || !nf->tx_refs ||
        !nf->rxb || !nf->rx_free || (nf->info.sg && !nf->gather))
        return -ENOMEM;
    SHARED_RING_INIT((struct netif_tx_sring *)nf->tx_sring);
    FRONT_RING_INIT(&nf->tx, (struct netif_tx_sring *)nf->tx_sring, PAGE);
    SHARED_RING_INIT((struct netif_rx_sring *)nf->rx_sring);
    FRONT_RING_INIT(&nf->rx, (struct netif_rx_sring *)nf->rx_sring, PAGE);
    nf->tx_size = ntx * PAGE;

    rc = gk_grant_access(be, (uintptr_t)nf->tx_sring >> PAGE_SHIFT, false);
    if (rc < 0)
        return rc;
    nf->info.tx_ring_ref = (grant_ref_t)rc;
    nf->tx_ring_granted = true;
    rc = gk_grant_access(be, (uintptr_t)nf->rx_sring >> PAGE_SHIFT, false);
    if (rc < 0)
        return rc;
    nf->info.rx_ring_ref = (grant_ref_t)rc;
    nf->rx_ring_granted = true;
    for (unsigned int i = 0; i < ntx; i++) {
        rc = gk_grant_access(be, ((uintptr_t)nf->tx_area >> PAGE_SHIFT) + i, true);
        if (rc < 0)
            return rc;
        nf->tx_refs[i] = (grant_ref_t)rc;
        nf->tx_refs_granted++;
    }
    for (unsigned int i = 0; i < nrx; i++)
        nf->rx_free[i] = (uint16_t)(nrx - 1 - i);
    nf->rx_nfree = nrx;
    rx_refill(nf);
    if (nf->rx_nfree)
        return -ENOSPC;

    rc = gk_evtchn_alloc_unbound(be, on_event, nf);
    if (rc < 0)
        return rc;
    nf->tx_port = nf->rx_port = (evtchn_port_t)rc;
    if (nf->info.split_events) {
        rc = gk_evtchn_alloc_unbound(be, on_event, nf);
        if (rc < 0)
            return rc;
        nf->rx_port = (evtchn_port_t)rc;
    }
    nf->info.tx_port = nf->tx_port;
    nf->info.rx_port = nf->rx_port;
    return 0;
}

static int write_key(gk_xs_transaction_t t, const char *dir, const char *key, unsigned int v)
{
    char path[96];

    snprintf(path, sizeof(path), "%s/%s", dir, key);
    return gk_xs_printf(t, path, "%u", v);
}

/* Ring references, channels, our features and Connected, in one transaction. */
static int publish(struct gk_netfront *nf)
{
    const struct {
        const char *key;
        unsigned int val;
    } keys[] = {
        { "tx-ring-ref", nf->info.tx_ring_ref },
        { "rx-ring-ref", nf->info.rx_ring_ref },
        { "request-rx-copy", 1 },
        { "feature-rx-notify", 1 },
        { "feature-sg", nf->info.sg },
        { "feature-gso-tcpv4", 0 },
        { "feature-gso-tcpv6", 0 },
        /* The stack checks every checksum: the backend completes partial ones. */
        { "feature-no-csum-offload", 1 },
        { "feature-ipv6-csum-offload", 0 },
    };
    int rc = -EAGAIN;

    for (int tries = 0; tries < 10 && rc == -EAGAIN; tries++) {
        gk_xs_transaction_t t;

        rc = gk_xs_transaction_start(&t);
        if (rc < 0)
            return rc;
        for (size_t i = 0; rc == 0 && i < sizeof(keys) / sizeof(keys[0]); i++)
            rc = write_key(t, nf->fe, keys[i].key, keys[i].val);
        if (rc == 0 && nf->info.split_events) {
            rc = write_key(t, nf->fe, "event-channel-tx", nf->tx_port);
            if (rc == 0)
                rc = write_key(t, nf->fe, "event-channel-rx", nf->rx_port);
        } else if (rc == 0) {
            rc = write_key(t, nf->fe, "event-channel", nf->tx_port);
        }
        /* As Linux's netfront: straight from Initialising to Connected. */
        if (rc == 0)
            rc = write_key(t, nf->fe, "state", XenbusStateConnected);
        if (rc < 0) {
            gk_xs_transaction_end(t, true);
            return rc;
        }
        rc = gk_xs_transaction_end(t, false);
    }
    if (rc == 0)
        nf->published = true;
    return rc;
}

static int connect(struct gk_netfront *nf, const struct gk_netfront_options *opts)
{
    enum xenbus_state now;
    int rc;

    rc = find_backend(nf);
    if (rc < 0)
        return rc;
    rc = gk_xenbus_frontend_start(nf->fe, nf->be, GK_NETFRONT_HANDSHAKE_NS, &now);
    if (rc < 0)
        return rc;
    if (now == XenbusStateConnected)
        return -EBUSY;          /* still serving someone else's rings */
    if (gk_xenbus_read_feature(nf->be, "feature-rx-copy", 1, 0) != 1) {
        printf("netfront: vif %u: the backend cannot copy into our buffers (feature-rx-copy)\n",
               nf->info.devid);
        return -EOPNOTSUPP;
    }
    rc = setup(nf, opts);
    if (rc < 0)
        return rc;
    rc = publish(nf);
    if (rc < 0)
        return rc;
    rc = gk_xenbus_frontend_wait_connected(nf->be, GK_NETFRONT_HANDSHAKE_NS, &now);
    if (rc == -ENODEV)
        printf("netfront: vif %u: the backend refused the connection (state %d)\n",
               nf->info.devid, (int)now);
    if (rc < 0)
        return rc;
    return 0;
}

static bool valid_options(const struct gk_netfront_options *o)
{
    if (!o)
        return true;
    if (o->rx_buffers > RING || (o->tx_pages && o->tx_pages < 2) ||
        o->tx_pages > GK_NETFRONT_TX_PAGES_MAX)
        return false;
    return true;
}

int gk_netfront_open(uint32_t devid, const struct gk_netfront_options *opts,
                     struct gk_netfront **out)
{
    struct gk_netfront *nf, *other;
    char path[160];
    int rc;

    if (!out || !valid_options(opts))
        return -EINVAL;
    for (other = open_nics; other && other->info.devid != devid; other = other->next)
        ;
    if (other)
        return -EBUSY;
    nf = calloc(1, sizeof(*nf));
    if (!nf)
        return -ENOMEM;
    nf->info.devid = devid;
    nf->phase = PH_OPENING;
    snprintf(nf->fe, sizeof(nf->fe), "device/vif/%u", devid);
    snprintf(nf->token, sizeof(nf->token), "gk-vif-%p", (void *)nf);
    nf->next = open_nics;
    open_nics = nf;

    rc = connect(nf, opts);
    if (rc == 0) {
        nf->phase = PH_CONNECTED;
        /* The backend may sleep on rings it has not looked at yet. */
        notify(nf, nf->rx_port);
        if (nf->tx_port != nf->rx_port)
            notify(nf, nf->tx_port);
        snprintf(path, sizeof(path), "%s/state", nf->be);
        rc = gk_xs_watch(path, nf->token, backend_changed, nf);
        nf->watching = rc == 0;
    }
    if (rc < 0) {
        if (rc != -EBUSY)
            printf("netfront: vif %u: cannot connect (error %d)\n", devid, rc);
        close_handshake(nf);
        destroy(nf);
        return rc;
    }
    *out = nf;
    return 0;
}

const struct gk_netfront_info *gk_netfront_info(const struct gk_netfront *nf)
{
    return &nf->info;
}

bool gk_netfront_connected(const struct gk_netfront *nf)
{
    return nf && nf->phase == PH_CONNECTED && !nf->broken;
}

void gk_netfront_stats(const struct gk_netfront *nf, struct gk_netfront_stats *stats)
{
    *stats = nf->stats;
}

/* ---- waiting ---- */

static void wake(struct gk_timer *t, void *arg)
{
    (void)t;
    *(volatile bool *)arg = true;
}

/* Work the program can do now on nf, without waiting; arms the notifications if none. */
static bool ready(struct gk_netfront *nf)
{
    bool work = false;

    if (nf->busy)
        return false;
    if (nf->phase == PH_REAPING)
        reap_try(nf);
    if (nf->phase != PH_CONNECTED)
        return false;
    if (nf->tx_want_room && !nf->broken) {
        tx_reclaim(nf);
        if (nf->tx_used < nf->tx_size / 2 || nf->tx.req_prod_pvt == nf->tx_reclaim) {
            nf->tx_want_room = false;
            work = true;
        } else {
            /* Wake when half of what is in flight has been answered. */
            nf->tx.sring->rsp_event = nf->tx.rsp_cons +
                                      ((nf->tx_pushed - nf->tx.rsp_cons) >> 1) + 1;
            __atomic_thread_fence(__ATOMIC_SEQ_CST);
            work = nf->tx.sring->rsp_prod != nf->tx.rsp_cons;
        }
    }
    if (nf->broken) {
        handle_state(nf);
        return true;
    }
    return rx_arm(nf) || work;
}

int gk_netfront_wait(uint64_t deadline_ns)
{
    volatile bool fired = false;
    struct gk_timer t;
    unsigned long flags;
    bool timer = false;

    activity = false;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    for (struct gk_netfront *nf = open_nics; nf; nf = nf->next) {
        flush(nf);
        if (ready(nf))
            return 1;
    }
    if (deadline_ns != GK_NETFRONT_WAIT_FOREVER) {
        if (gk_monotonic_ns() >= deadline_ns)
            return 0;
        gk_timer_init(&t, wake, (void *)&fired);
        timer = gk_timer_start(&t, deadline_ns, 0) == 0;
    }
    flags = gk_irq_save();
    while (!activity && !fired)
        gk_block();
    gk_irq_restore(flags);
    if (timer)
        gk_timer_stop(&t);
    return activity ? 1 : 0;
}

/* ---- hotplug ---- */

static struct gk_xenbus_hotplug hp = { .type = "vif" };
static gk_netfront_hotplug_fn *hp_fn;

/* gk_netfront_wait() returns on hotplug too. */
static void hotplug(uint32_t devid, bool present, void *arg)
{
    activity = true;
    hp_fn(devid, present, arg);
}

int gk_netfront_watch(gk_netfront_hotplug_fn *fn, void *arg)
{
    hp_fn = fn;
    return gk_xenbus_watch_devices(&hp, fn ? hotplug : NULL, arg);
}
