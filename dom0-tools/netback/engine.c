/* engine.c: the netif engine: one queue's tx and rx rings served against a link. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <lamina/log.h>

#include "engine.h"
#include "frame.h"
#include "gso.h"

/*
 * Threading: a queue is used by exactly one thread at a time (its own, or
 * the caller of nb_queue_run_once()); only the stop request and the
 * statistics cross threads, through an eventfd and relaxed atomics.
 *
 * Trust: everything in the shared rings belongs to the frontend and may
 * change under our feet. Every slot is copied once into private memory
 * and only the copy is looked at; producer indexes are read once per pass
 * and checked against the slots we have not answered. Sizes and offsets
 * are checked before any copy is built, so a copy never leaves the page a
 * slot names nor the buffer it lands in.
 *
 * Data moves by grant copy, batched: one copy call per ring pass moves
 * every packet taken in that pass (lamina-hv serves a batch in one round
 * trip of its control socket, with the data inline). A tx packet is
 * answered as soon as its data is here, so the frontend gets its buffers
 * back before the link has taken the frame; when the link is full the
 * queue stops taking tx requests, which is the backpressure the frontend
 * sees. rx frames are read from the link only when the frontend has
 * posted enough buffers for them, so a guest that posts none stalls only
 * its own traffic (the TAP device or the switch drops what does not fit).
 */

#define ARENA_SIZE (512u * 1024u)
#define LINK_FRAME_MAX (NB_VNET_HDR_LEN + NB_MAX_FRAME)
#define MAX_LOGGED_ERRORS 20
#define LINK_RETRY_MS 1000
#define MAX_ROUNDS 64               /* tx/rx passes before looking at the descriptors again */
#define RX_FRAMES_PER_PASS 64

enum rx_state {
    RX_IDLE,                        /* no frame from the link in hand */
    RX_FRAME,                       /* one frame waits for rx requests, at rx_arena + rx_used */
    RX_SEGMENTS,                    /* a large TCP frame is being cut, from seg_src */
};

struct tx_pkt {
    uint32_t off;                   /* the frame in the tx arena */
    uint16_t len;                   /* the first slot's size: the whole packet */
    uint16_t flags;                 /* NETTXF_* of the first slot */
    int16_t status;
    bool mcast;                     /* a multicast-control request: nothing to send */
    bool gso;
    uint8_t gso_type;               /* XEN_NETIF_GSO_TYPE_* */
    uint16_t gso_size;
    uint16_t first_seg, nsegs;      /* its grant-copy segments */
    struct virtio_net_hdr hdr;      /* what goes to the link */
    const char *why;                /* why it is answered with an error */
};

/* One consumed tx slot: every one gets a response, in ring order. */
struct tx_slot {
    uint16_t id;
    uint16_t pkt;
    bool extra;                     /* an extra-info slot: answered XEN_NETIF_RSP_NULL */
};

/* A prepared rx response: data or extra info, the same 8 bytes in the ring. */
union rx_rsp {
    netif_rx_response_t rsp;
    struct netif_extra_info extra;
};

_Static_assert(sizeof(struct netif_extra_info) == sizeof(netif_rx_response_t),
               "an rx extra-info slot has the size of a response");
_Static_assert(sizeof(struct netif_extra_info) <= sizeof(netif_tx_request_t),
               "a tx extra-info slot fits in a request slot");

struct nb_queue {
    char name[64];
    struct nb_queue_params p;
    struct nb_transport *t;
    void *rings;                    /* the tx ring's page, then the rx ring's */
    netif_tx_back_ring_t tx;
    netif_rx_back_ring_t rx;
    int stop_fd;
    pthread_t thread;
    bool threaded, stopping, broken;
    bool link_down;
    uint64_t link_retry_ms;
    unsigned int errors_logged;

    /* The tx batch: packets taken in one pass. */
    uint8_t *tx_arena;
    uint32_t tx_used;
    struct tx_pkt tx_pkts[NB_TX_RING_SIZE];
    unsigned int tx_npkts, tx_next;         /* packets taken; next to hand to the link */
    struct tx_slot tx_slots[NB_TX_RING_SIZE];
    unsigned int tx_nslots;
    xengnttab_grant_copy_segment_t tx_segs[NB_TX_RING_SIZE];
    unsigned int tx_nsegs;
    bool tx_blocked;                        /* the link is full: wait until it is writable */
    uint64_t tx_ids[65536 / 64];            /* ids of the batch's data slots */

    /* The rx batch: requests taken and responses prepared, written after the copy. */
    uint8_t *rx_arena;
    uint32_t rx_used;                       /* frames delivered in this batch */
    union rx_rsp rx_rsps[NB_RX_RING_SIZE];
    int16_t rx_rsp_seg[NB_RX_RING_SIZE];    /* a data response's copy segment, or -1 */
    unsigned int rx_nrsps;
    xengnttab_grant_copy_segment_t rx_segs[NB_RX_RING_SIZE];
    unsigned int rx_nsegs;
    enum rx_state rx_state;
    uint32_t rx_len;                        /* RX_FRAME: the frame waiting */
    uint16_t rx_flags;
    uint8_t rx_gso_type;
    uint16_t rx_gso_size;
    unsigned int rx_slots;
    uint8_t *seg_src;                       /* RX_SEGMENTS: the frame being cut */
    struct nb_gso gso;

    struct nb_queue_stats stats;
};

#define STAT_ADD(q, field, n) __atomic_fetch_add(&(q)->stats.field, (n), __ATOMIC_RELAXED)
#define STAT_INC(q, field) STAT_ADD(q, field, 1)

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void note(struct nb_queue *q, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A frontend's bad packet: logged a few times, then only at debug level. */
static void note(struct nb_queue *q, const char *fmt, ...)
{
    char msg[200];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (q->errors_logged < MAX_LOGGED_ERRORS) {
        q->errors_logged++;
        log_warn("%s: %s%s", q->name, msg,
                 q->errors_logged == MAX_LOGGED_ERRORS ? " (further errors not logged)" : "");
    } else {
        log_debug("%s: %s", q->name, msg);
    }
}

static void broken(struct nb_queue *q, const char *why)
{
    if (q->broken)
        return;
    __atomic_store_n(&q->broken, true, __ATOMIC_RELAXED);
    log_err("%s: frontend broke the ring protocol (%s): no longer serving it", q->name, why);
    if (q->p.on_broken)
        q->p.on_broken(q->p.arg, why);
}

/*
 * A producer index just read from the shared page: no more than a ring's
 * worth ahead of what we answered, and not behind what we consumed.
 */
static bool prod_ok(struct nb_queue *q, RING_IDX prod, RING_IDX cons, RING_IDX rsp_pvt,
                    unsigned int size, const char *why)
{
    if (prod - rsp_pvt > size || prod - cons > size) {
        broken(q, why);
        return false;
    }
    return true;
}

/* The link. */

static bool link_fatal(int err)
{
    return err == EPIPE || err == ECONNRESET || err == ENOTCONN || err == EBADFD ||
           err == EBADF || err == ECONNREFUSED || err == ENODEV;
}

static void link_failed(struct nb_queue *q, const char *why)
{
    if (q->link_down)
        return;
    q->link_down = true;
    q->tx_blocked = false;
    q->link_retry_ms = now_ms();
    STAT_INC(q, link_errors);
    log_warn("%s: %s: %s; reconnecting", q->name, q->p.link->desc, why);
}

static void link_retry(struct nb_queue *q)
{
    int rc;

    if (!q->link_down || now_ms() < q->link_retry_ms)
        return;
    q->link_retry_ms = now_ms() + LINK_RETRY_MS;
    if (!q->p.link->reopen)
        return;
    rc = q->p.link->reopen(q->p.link);
    if (rc < 0) {
        log_debug("%s: %s: reconnecting: %s", q->name, q->p.link->desc, strerror(-rc));
        return;
    }
    q->link_down = false;
    log_info("%s: %s: reconnected", q->name, q->p.link->desc);
}

/* Transmit: frontend -> link. */

static void tx_id_seen(struct nb_queue *q, uint16_t id, const char **bad)
{
    uint64_t bit = 1ull << (id % 64);

    if (q->tx_ids[id / 64] & bit) {
        if (!*bad)
            *bad = "request id already in flight";
        return;
    }
    q->tx_ids[id / 64] |= bit;
}

static void tx_slot(struct nb_queue *q, uint16_t id, bool extra)
{
    q->tx_slots[q->tx_nslots++] = (struct tx_slot){ .id = id, .pkt = (uint16_t)q->tx_npkts,
                                                    .extra = extra };
}

static void tx_segment(struct nb_queue *q, struct tx_pkt *pk, const netif_tx_request_t *req,
                       uint32_t len, uint32_t *at)
{
    xengnttab_grant_copy_segment_t *s;

    if (!len)
        return;
    s = &q->tx_segs[q->tx_nsegs++];
    memset(s, 0, sizeof(*s));
    s->source.foreign.ref = req->gref;
    s->source.foreign.offset = req->offset;
    s->source.foreign.domid = (uint16_t)q->t->domid;
    s->dest.virt = q->tx_arena + pk->off + *at;
    s->len = (uint16_t)len;
    s->flags = GNTCOPY_source_gref;
    s->status = GNTST_general_error;
    pk->nsegs++;
    *at += len;
}

/*
 * Take the packet whose first slot (already copied) is at cons: its extra
 * info and data slots, all checked. Returns the slots it used, or -1 when
 * the frontend broke the protocol (the batch is then abandoned).
 */
static int tx_packet(struct nb_queue *q, const netif_tx_request_t *first, RING_IDX cons,
                     RING_IDX prod)
{
    struct tx_pkt *pk = &q->tx_pkts[q->tx_npkts];
    netif_tx_request_t reqs[NB_TX_FATAL_SLOTS];
    bool seen[XEN_NETIF_EXTRA_TYPE_MAX] = { false };
    unsigned int n = 1, data = 1, extras = 0;
    uint32_t avail = prod - cons, rest = 0, at = 0;
    const char *bad = NULL;
    uint16_t more;

    memset(pk, 0, sizeof(*pk));
    pk->off = q->tx_used;
    pk->len = first->size;
    pk->flags = first->flags;
    pk->first_seg = (uint16_t)q->tx_nsegs;
    reqs[0] = *first;
    tx_slot(q, first->id, false);
    if (first->flags & NETTXF_extra_info) {
        struct netif_extra_info extra;

        do {
            netif_tx_request_t raw;

            if (n >= avail) {
                broken(q, "extra-info slot missing at req_prod");
                return -1;
            }
            if (++extras > NB_MAX_EXTRAS) {
                broken(q, "too many extra-info slots");
                return -1;
            }
            RING_COPY_REQUEST(&q->tx, cons + n, &raw);
            memcpy(&extra, &raw, sizeof(extra));
            n++;
            tx_slot(q, 0, true);
            if (extra.type == XEN_NETIF_EXTRA_TYPE_NONE ||
                extra.type >= XEN_NETIF_EXTRA_TYPE_MAX) {
                bad = bad ? bad : "unknown extra-info type";
                continue;
            }
            if (seen[extra.type]) {
                bad = bad ? bad : "extra-info type given twice";
                continue;
            }
            seen[extra.type] = true;
            if (extra.type == XEN_NETIF_EXTRA_TYPE_GSO) {
                pk->gso = true;
                pk->gso_type = extra.u.gso.type;
                pk->gso_size = extra.u.gso.size;
            } else if (extra.type == XEN_NETIF_EXTRA_TYPE_MCAST_ADD ||
                       extra.type == XEN_NETIF_EXTRA_TYPE_MCAST_DEL) {
                pk->mcast = true;
            }
            /* XEN_NETIF_EXTRA_TYPE_HASH: a hint we have no use for. */
        } while (extra.flags & XEN_NETIF_EXTRA_FLAG_MORE);
    }
    more = first->flags & NETTXF_more_data;
    while (more) {
        netif_tx_request_t *r;

        if (n >= avail) {
            broken(q, "packet continues past req_prod");
            return -1;
        }
        if (data >= NB_TX_FATAL_SLOTS) {
            broken(q, "packet of too many slots");
            return -1;
        }
        r = &reqs[data++];
        RING_COPY_REQUEST(&q->tx, cons + n, r);
        n++;
        tx_slot(q, r->id, false);
        if (r->size > pk->len - rest)
            bad = bad ? bad : "slot sizes add up to more than the packet size";
        else
            rest += r->size;
        more = r->flags & NETTXF_more_data;
    }
    for (unsigned int i = 0; i < data; i++)
        tx_id_seen(q, reqs[i].id, &bad);
    if (!bad) {
        if (data > NB_TX_MAX_SLOTS)
            bad = "packet of more slots than XEN_NETIF_NR_SLOTS_MIN";
        else if (pk->len < NB_ETH_HLEN)
            bad = "packet shorter than an Ethernet header";
        else if ((uint32_t)first->offset + (pk->len - rest) > NB_PAGE_SIZE)
            bad = "first slot crosses the end of its page";
        else if (pk->gso && pk->gso_size == 0)
            bad = "GSO size 0";
        else if (pk->gso && pk->gso_type != XEN_NETIF_GSO_TYPE_TCPV4 &&
                 pk->gso_type != XEN_NETIF_GSO_TYPE_TCPV6)
            bad = "unsupported GSO type";
        for (unsigned int i = 1; i < data && !bad; i++)
            if ((uint32_t)reqs[i].offset + reqs[i].size > NB_PAGE_SIZE)
                bad = "slot crosses the end of its page";
    }
    if (bad) {
        pk->status = XEN_NETIF_RSP_ERROR;
        pk->why = bad;
    } else if (!pk->mcast) {
        tx_segment(q, pk, &reqs[0], pk->len - rest, &at);
        for (unsigned int i = 1; i < data; i++)
            tx_segment(q, pk, &reqs[i], reqs[i].size, &at);
        q->tx_used += pk->len;
    }
    q->tx_npkts++;
    return (int)n;
}

/* Take a batch of packets. Returns whether there is one. */
static bool tx_take(struct nb_queue *q)
{
    RING_IDX cons = q->tx.req_cons, prod;

    prod = __atomic_load_n(&q->tx.sring->req_prod, __ATOMIC_RELAXED);
    xen_rmb();
    if (!prod_ok(q, prod, cons, q->tx.rsp_prod_pvt, NB_TX_RING_SIZE,
                 "tx req_prod out of range"))
        return false;
    while (cons != prod && q->tx_npkts < NB_TX_RING_SIZE) {
        netif_tx_request_t first;
        int n;

        RING_COPY_REQUEST(&q->tx, cons, &first);
        if (ARENA_SIZE - q->tx_used < first.size)
            break;
        n = tx_packet(q, &first, cons, prod);
        if (n < 0)
            return false;
        cons += (RING_IDX)n;
        q->tx.req_cons = cons;
    }
    return q->tx_npkts > 0;
}

static void tx_copy(struct nb_queue *q)
{
    int rc;

    if (!q->tx_nsegs)
        return;
    STAT_INC(q, copies);
    STAT_ADD(q, copy_segs, q->tx_nsegs);
    rc = q->t->ops->copy(q->t, q->tx_segs, q->tx_nsegs);
    if (rc < 0)
        log_err("%s: grant copy of %u segment(s) failed: %s", q->name, q->tx_nsegs,
                strerror(-rc));
    for (unsigned int i = 0; i < q->tx_npkts; i++) {
        struct tx_pkt *pk = &q->tx_pkts[i];

        for (unsigned int s = 0; s < pk->nsegs && pk->status == XEN_NETIF_RSP_OKAY; s++) {
            if (rc < 0 || q->tx_segs[pk->first_seg + s].status != GNTST_okay) {
                pk->status = XEN_NETIF_RSP_ERROR;
                pk->why = "cannot copy from the granted page (bad grant?)";
            }
        }
    }
}

/* Offload state for the link: where the checksum is to be finished, how to segment. */
static void tx_prepare(struct nb_queue *q, struct tx_pkt *pk)
{
    uint8_t *f = q->tx_arena + pk->off;
    struct virtio_net_hdr *h = &pk->hdr;
    struct nb_l4 l4;

    memset(h, 0, sizeof(*h));
    if (!pk->gso && !(pk->flags & NETTXF_csum_blank)) {
        if (pk->flags & NETTXF_data_validated)
            h->flags = VIRTIO_NET_HDR_F_DATA_VALID;
        return;
    }
    if (nb_frame_parse(f, pk->len, &l4) < 0) {
        pk->status = XEN_NETIF_RSP_ERROR;
        pk->why = pk->gso ? "GSO packet without a TCP header"
                          : "blank checksum on a packet without a TCP/UDP header";
        return;
    }
    if (pk->gso && (l4.proto != IPPROTO_TCP ||
                    l4.ipv6 != (pk->gso_type == XEN_NETIF_GSO_TYPE_TCPV6))) {
        pk->status = XEN_NETIF_RSP_ERROR;
        pk->why = "GSO packet is not TCP over the IP version it claims";
        return;
    }
    /*
     * Our own pseudo-header sum, whatever the frontend left in the field:
     * every receiver (the kernel behind a TAP device, another guest) then
     * finishes the same, correct checksum.
     */
    nb_csum_set_partial(f, &l4);
    h->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
    h->csum_start = (uint16_t)l4.l4_off;
    h->csum_offset = l4.csum_off;
    if (pk->gso) {
        h->gso_type = pk->gso_type == XEN_NETIF_GSO_TYPE_TCPV6 ? VIRTIO_NET_HDR_GSO_TCPV6
                                                              : VIRTIO_NET_HDR_GSO_TCPV4;
        h->gso_size = pk->gso_size;
        h->hdr_len = (uint16_t)(l4.l4_off + l4.l4_hlen);
    }
}

static void tx_respond(struct nb_queue *q)
{
    bool notify;

    for (unsigned int i = 0; i < q->tx_nslots; i++) {
        const struct tx_slot *s = &q->tx_slots[i];
        netif_tx_response_t *rsp = RING_GET_RESPONSE(&q->tx, q->tx.rsp_prod_pvt);

        if (s->extra) {
            rsp->id = 0;
            rsp->status = XEN_NETIF_RSP_NULL;
        } else {
            rsp->id = s->id;
            rsp->status = q->tx_pkts[s->pkt].status;
            /* Every id of the batch is answered now: whole words can go. */
            q->tx_ids[s->id / 64] = 0;
        }
        q->tx.rsp_prod_pvt++;
    }
    for (unsigned int i = 0; i < q->tx_npkts; i++) {
        if (q->tx_pkts[i].status != XEN_NETIF_RSP_OKAY) {
            STAT_INC(q, tx_errors);
            note(q, "tx packet of %u bytes refused: %s", q->tx_pkts[i].len, q->tx_pkts[i].why);
        } else if (q->tx_pkts[i].mcast) {
            STAT_INC(q, tx_mcast);
        }
    }
    RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&q->tx, notify);
    if (notify) {
        STAT_INC(q, tx_notifies);
        q->t->ops->notify(q->t, false);
    }
}

/* Hand the batch's good packets to the link, until it is full. */
static void tx_send(struct nb_queue *q)
{
    while (q->tx_next < q->tx_npkts) {
        struct tx_pkt *pk = &q->tx_pkts[q->tx_next];

        if (pk->status == XEN_NETIF_RSP_OKAY && !pk->mcast) {
            struct iovec iov[2] = {
                { .iov_base = &pk->hdr, .iov_len = NB_VNET_HDR_LEN },
                { .iov_base = q->tx_arena + pk->off, .iov_len = pk->len },
            };
            ssize_t n = q->link_down ? -1 : writev(q->p.link->fd, iov, 2);

            if (n < 0 && !q->link_down) {
                if (errno == EAGAIN || errno == EWOULDBLOCK) {
                    q->tx_blocked = true;
                    return;
                }
                if (errno == EINTR)
                    continue;
                if (link_fatal(errno))
                    link_failed(q, strerror(errno));
            }
            if (n < 0) {
                STAT_INC(q, tx_dropped);
            } else {
                STAT_INC(q, tx_packets);
                STAT_ADD(q, tx_bytes, pk->len);
            }
        }
        q->tx_next++;
    }
}

/* Finish the batch in hand, then take, copy, answer and send new ones. */
static bool tx_pass(struct nb_queue *q)
{
    bool did = false;

    while (!q->broken && !q->stopping) {
        if (q->tx_next < q->tx_npkts) {
            tx_send(q);
            if (q->tx_blocked)
                break;
        }
        q->tx_npkts = q->tx_next = q->tx_nslots = q->tx_nsegs = 0;
        q->tx_used = 0;
        if (!tx_take(q))
            break;
        did = true;
        tx_copy(q);
        for (unsigned int i = 0; i < q->tx_npkts; i++)
            if (q->tx_pkts[i].status == XEN_NETIF_RSP_OKAY && !q->tx_pkts[i].mcast)
                tx_prepare(q, &q->tx_pkts[i]);
        tx_respond(q);
        tx_send(q);
    }
    return did;
}

/* Receive: link -> frontend. */

/* Whether the frontend has posted need more requests (false also when it broke the ring). */
static bool rx_avail(struct nb_queue *q, unsigned int need)
{
    RING_IDX prod = __atomic_load_n(&q->rx.sring->req_prod, __ATOMIC_RELAXED);

    xen_rmb();
    if (!prod_ok(q, prod, q->rx.req_cons, q->rx.rsp_prod_pvt, NB_RX_RING_SIZE,
                 "rx req_prod out of range"))
        return false;
    return prod - q->rx.req_cons >= need;
}

/* Ask for a notification when more requests come; true if some came meanwhile. */
static bool rx_arm(struct nb_queue *q)
{
    RING_IDX prod = __atomic_load_n(&q->rx.sring->req_prod, __ATOMIC_RELAXED);

    q->rx.sring->req_event = prod + 1;
    xen_mb();
    return __atomic_load_n(&q->rx.sring->req_prod, __ATOMIC_RELAXED) != prod;
}

/*
 * Write one frame into the requests in hand (rx_avail() said there are
 * enough): page-sized chunks, the GSO extra info after the first.
 */
static void rx_put(struct nb_queue *q, const uint8_t *data, uint32_t len, uint16_t flags,
                   uint8_t gso_type, uint16_t gso_size)
{
    uint32_t done = 0;
    bool first = true;

    do {
        uint32_t chunk = len - done < NB_PAGE_SIZE ? len - done : NB_PAGE_SIZE;
        xengnttab_grant_copy_segment_t *s = &q->rx_segs[q->rx_nsegs];
        netif_rx_request_t req;
        unsigned int i = q->rx_nrsps++;
        netif_rx_response_t *r = &q->rx_rsps[i].rsp;

        RING_COPY_REQUEST(&q->rx, q->rx.req_cons, &req);
        q->rx.req_cons++;
        memset(s, 0, sizeof(*s));
        s->source.virt = (void *)(uintptr_t)(data + done);
        s->dest.foreign.ref = req.gref;
        s->dest.foreign.offset = 0;
        s->dest.foreign.domid = (uint16_t)q->t->domid;
        s->len = (uint16_t)chunk;
        s->flags = GNTCOPY_dest_gref;
        s->status = GNTST_general_error;
        q->rx_rsp_seg[i] = (int16_t)q->rx_nsegs++;
        done += chunk;
        r->id = req.id;
        r->offset = 0;
        r->status = (int16_t)chunk;
        r->flags = done < len ? NETRXF_more_data : 0;
        if (first) {
            r->flags |= flags | (gso_type ? NETRXF_extra_info : 0);
            if (gso_type) {
                struct netif_extra_info *x;

                /* The extra info takes the next slot; its request's buffer goes unused. */
                RING_COPY_REQUEST(&q->rx, q->rx.req_cons, &req);
                q->rx.req_cons++;
                i = q->rx_nrsps++;
                q->rx_rsp_seg[i] = -1;
                x = &q->rx_rsps[i].extra;
                memset(x, 0, sizeof(*x));
                x->type = XEN_NETIF_EXTRA_TYPE_GSO;
                x->u.gso.type = gso_type;
                x->u.gso.size = gso_size;
            }
        }
        first = false;
    } while (done < len);
    STAT_INC(q, rx_packets);
    STAT_ADD(q, rx_bytes, len);
}

/* Copy what the batch holds into the frontend's pages and publish the responses. */
static void rx_flush(struct nb_queue *q)
{
    bool notify;
    int rc = 0;

    if (q->rx_nrsps) {
        if (q->rx_nsegs) {
            STAT_INC(q, copies);
            STAT_ADD(q, copy_segs, q->rx_nsegs);
            rc = q->t->ops->copy(q->t, q->rx_segs, q->rx_nsegs);
            if (rc < 0)
                log_err("%s: grant copy of %u segment(s) failed: %s", q->name, q->rx_nsegs,
                        strerror(-rc));
        }
        for (unsigned int i = 0; i < q->rx_nrsps; i++) {
            union rx_rsp *r = &q->rx_rsps[i];
            int s = q->rx_rsp_seg[i];

            if (s >= 0 && (rc < 0 || q->rx_segs[s].status != GNTST_okay)) {
                r->rsp.status = XEN_NETIF_RSP_ERROR;
                STAT_INC(q, rx_errors);
                note(q, "rx request %u: cannot copy into the granted page (bad grant?)",
                     r->rsp.id);
            }
            memcpy(RING_GET_RESPONSE(&q->rx, q->rx.rsp_prod_pvt), r, sizeof(*r));
            q->rx.rsp_prod_pvt++;
        }
        RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&q->rx, notify);
        if (notify) {
            STAT_INC(q, rx_notifies);
            q->t->ops->notify(q->t, true);
        }
        q->rx_nrsps = q->rx_nsegs = 0;
    }
    /* A frame still waiting for requests moves to the front of the emptied arena. */
    if (q->rx_state == RX_FRAME && q->rx_used)
        memmove(q->rx_arena, q->rx_arena + q->rx_used, NB_VNET_HDR_LEN + q->rx_len);
    q->rx_used = 0;
}

static void rx_drop(struct nb_queue *q, const char *why)
{
    STAT_INC(q, rx_dropped);
    log_debug("%s: frame from the link dropped: %s", q->name, why);
}

static unsigned int slots_for(uint32_t len)
{
    return (len + NB_PAGE_SIZE - 1) / NB_PAGE_SIZE;
}

/*
 * Decide how the frame at rx_arena + rx_used (n bytes with its header) is
 * delivered: as it is, with a finished checksum, or cut into segments.
 * Returns false when it is dropped.
 */
static bool rx_classify(struct nb_queue *q, size_t n)
{
    const struct nb_frontend_features *fe = &q->p.fe;
    uint8_t *buf = q->rx_arena + q->rx_used, *f = buf + NB_VNET_HDR_LEN;
    struct virtio_net_hdr h;
    uint8_t gso;
    size_t len;
    struct nb_l4 l4;

    if (n < NB_VNET_HDR_LEN + NB_ETH_HLEN) {
        rx_drop(q, "shorter than an Ethernet header");
        return false;
    }
    if (n > LINK_FRAME_MAX) {
        rx_drop(q, "larger than the protocol allows");
        return false;
    }
    memcpy(&h, buf, sizeof(h));
    len = n - NB_VNET_HDR_LEN;
    gso = h.gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;
    q->rx_flags = 0;
    q->rx_gso_type = 0;
    q->rx_gso_size = 0;
    if (gso != VIRTIO_NET_HDR_GSO_NONE) {
        bool v6 = gso == VIRTIO_NET_HDR_GSO_TCPV6;

        if ((gso != VIRTIO_NET_HDR_GSO_TCPV4 && !v6) || h.gso_size == 0) {
            rx_drop(q, "unsupported segmentation offload");
            return false;
        }
        if (fe->sg && (v6 ? fe->gso_tcpv6 && fe->ipv6_csum : fe->gso_tcpv4 && fe->csum)) {
            if (nb_frame_parse(f, len, &l4) < 0 || l4.proto != IPPROTO_TCP || l4.ipv6 != v6) {
                rx_drop(q, "GSO frame without the TCP header it claims");
                return false;
            }
            q->rx_flags = NETRXF_csum_blank | NETRXF_data_validated;
            q->rx_gso_type = v6 ? XEN_NETIF_GSO_TYPE_TCPV6 : XEN_NETIF_GSO_TYPE_TCPV4;
            q->rx_gso_size = h.gso_size;
        } else {
            memcpy(q->seg_src, f, len);
            if (nb_gso_start(&q->gso, q->seg_src, len, h.gso_size, v6) < 0) {
                rx_drop(q, "GSO frame without the TCP header it claims");
                return false;
            }
            if (!fe->sg && nb_gso_max_segment(&q->gso) > NB_PAGE_SIZE) {
                rx_drop(q, "segments larger than a page, and the frontend has no feature-sg");
                return false;
            }
            q->rx_state = RX_SEGMENTS;
            return true;
        }
    } else if (h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
        bool parsed = nb_frame_parse(f, len, &l4) == 0 && l4.l4_off == h.csum_start;

        if (parsed && (l4.ipv6 ? fe->ipv6_csum : fe->csum)) {
            q->rx_flags = NETRXF_csum_blank | NETRXF_data_validated;
        } else {
            /* Ethernet padding after the IP packet is not part of the sum. */
            if (nb_csum_complete(f, parsed ? l4.end : len, h.csum_start, h.csum_offset) < 0) {
                rx_drop(q, "checksum offsets outside the frame");
                return false;
            }
            STAT_INC(q, csum_completed);
            q->rx_flags = NETRXF_data_validated;
        }
    } else if (h.flags & VIRTIO_NET_HDR_F_DATA_VALID) {
        q->rx_flags = NETRXF_data_validated;
    }
    if (!fe->sg && len > NB_PAGE_SIZE) {
        rx_drop(q, "larger than a page, and the frontend has no feature-sg");
        return false;
    }
    q->rx_len = (uint32_t)len;
    q->rx_slots = slots_for(q->rx_len) + (q->rx_gso_type ? 1 : 0);
    q->rx_state = RX_FRAME;
    return true;
}

/* Read one frame from the link into the arena. Returns whether there was one. */
static bool rx_receive(struct nb_queue *q)
{
    for (;;) {
        ssize_t n = read(q->p.link->fd, q->rx_arena + q->rx_used, LINK_FRAME_MAX + 1);

        if (n > 0) {
            rx_classify(q, (size_t)n);
            return true;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return false;
        if (n == 0 || link_fatal(errno))
            link_failed(q, n == 0 ? "closed by the other end" : strerror(errno));
        else
            rx_drop(q, strerror(errno));
        return false;
    }
}

/* Deliver what is in hand. Returns false while it waits for rx requests. */
static bool rx_deliver(struct nb_queue *q)
{
    if (q->rx_state == RX_FRAME) {
        if (!rx_avail(q, q->rx_slots))
            return false;
        rx_put(q, q->rx_arena + q->rx_used + NB_VNET_HDR_LEN, q->rx_len, q->rx_flags,
               q->rx_gso_type, q->rx_gso_size);
        q->rx_used += (uint32_t)NB_VNET_HDR_LEN + q->rx_len;
        q->rx_state = RX_IDLE;
    } else if (q->rx_state == RX_SEGMENTS) {
        while (nb_gso_more(&q->gso)) {
            size_t max = nb_gso_max_segment(&q->gso), len;

            if (!rx_avail(q, slots_for((uint32_t)max)))
                return false;
            if (ARENA_SIZE - q->rx_used < max)
                rx_flush(q);
            len = nb_gso_next(&q->gso, q->rx_arena + q->rx_used);
            rx_put(q, q->rx_arena + q->rx_used, (uint32_t)len, NETRXF_data_validated, 0, 0);
            q->rx_used += (uint32_t)len;
        }
        STAT_INC(q, rx_segmented);
        q->rx_state = RX_IDLE;
    }
    return true;
}

static bool rx_pass(struct nb_queue *q)
{
    bool did = false;

    for (unsigned int frames = 0; !q->broken && !q->stopping; frames++) {
        if (q->rx_state == RX_IDLE) {
            if (q->link_down || frames >= RX_FRAMES_PER_PASS)
                break;
            if (ARENA_SIZE - q->rx_used < LINK_FRAME_MAX + 1)
                rx_flush(q);
            if (!rx_receive(q))
                break;
            did = true;
        }
        if (!rx_deliver(q))
            break;
        did = true;
    }
    if (!q->broken)
        rx_flush(q);
    return did;
}

/* The loop. */

/*
 * Everything that can be done without waiting, then the requests for
 * notifications. Returns false when it stopped while still busy: the
 * frontend was not asked to notify, so the caller must not sleep.
 */
static bool work(struct nb_queue *q)
{
    for (unsigned int round = 0; round < MAX_ROUNDS; round++) {
        bool did;
        int more = 0;

        if (q->broken || q->stopping)
            return true;
        did = tx_pass(q);
        did |= rx_pass(q);
        if (did || q->broken)
            continue;
        if (!q->tx_blocked)
            RING_FINAL_CHECK_FOR_REQUESTS(&q->tx, more);
        if (more)
            continue;
        if (q->rx_state != RX_IDLE && rx_arm(q))
            continue;
        return true;
    }
    return false;
}

static void iterate(struct nb_queue *q, int timeout_ms)
{
    struct pollfd pfd[3] = {
        { .fd = q->t->ops->event_fd(q->t), .events = POLLIN },
        { .fd = q->stop_fd, .events = POLLIN },
        { .fd = -1 },
    };
    short ev = 0;

    link_retry(q);
    if (!q->broken && !work(q))
        timeout_ms = 0;
    if (!q->broken && !q->link_down) {
        ev = (short)((q->rx_state == RX_IDLE ? POLLIN : 0) | (q->tx_blocked ? POLLOUT : 0));
        if (ev)
            pfd[2] = (struct pollfd){ .fd = q->p.link->fd, .events = ev };
    }
    if (q->link_down && !q->broken) {
        uint64_t now = now_ms();
        int wait = q->link_retry_ms > now ? (int)(q->link_retry_ms - now) : 0;

        if (timeout_ms < 0 || wait < timeout_ms)
            timeout_ms = wait;
    }
    if (poll(pfd, ev ? 3 : 2, timeout_ms) <= 0)
        return;
    if (pfd[0].revents)
        q->t->ops->event_ack(q->t);
    if (pfd[1].revents)
        q->stopping = true;
    if (ev && (pfd[2].revents & (POLLOUT | POLLERR | POLLHUP)))
        q->tx_blocked = false;
}

static void *queue_thread(void *arg)
{
    struct nb_queue *q = arg;

    while (!q->stopping)
        iterate(q, -1);
    return NULL;
}

void nb_queue_run_once(struct nb_queue *q, int timeout_ms)
{
    iterate(q, timeout_ms);
}

/* Set-up and tear-down. */

int nb_queue_create(struct nb_queue **out, struct nb_transport *t,
                    const struct nb_queue_params *p)
{
    struct nb_queue *q;
    grant_ref_t refs[2] = { p->tx_ring_ref, p->rx_ring_ref };
    netif_tx_sring_t *txs;
    netif_rx_sring_t *rxs;
    int rc = -ENOMEM;

    *out = NULL;
    q = calloc(1, sizeof(*q));
    if (!q) {
        t->ops->close(t);
        return -ENOMEM;
    }
    q->p = *p;
    q->p.name = NULL;
    snprintf(q->name, sizeof(q->name), "%s", p->name ? p->name : "queue");
    q->t = t;
    q->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    q->tx_arena = malloc(ARENA_SIZE);
    q->rx_arena = malloc(ARENA_SIZE);
    q->seg_src = malloc(NB_MAX_FRAME);
    if (q->stop_fd < 0 || !q->tx_arena || !q->rx_arena || !q->seg_src)
        goto fail;
    q->rings = t->ops->map(t, 2, refs, true);
    if (!q->rings) {
        rc = -(errno ? errno : EINVAL);
        log_err("%s: cannot map the tx and rx rings (refs %u, %u): %s", q->name,
                p->tx_ring_ref, p->rx_ring_ref, strerror(-rc));
        goto fail;
    }
    txs = q->rings;
    rxs = (netif_rx_sring_t *)((uint8_t *)q->rings + NB_PAGE_SIZE);
    /* Resume where the rings stand: a restarted backend finds live ones. */
    {
        RING_IDX tq = __atomic_load_n(&txs->req_prod, __ATOMIC_RELAXED);
        RING_IDX tp = __atomic_load_n(&txs->rsp_prod, __ATOMIC_RELAXED);
        RING_IDX rq = __atomic_load_n(&rxs->req_prod, __ATOMIC_RELAXED);
        RING_IDX rp = __atomic_load_n(&rxs->rsp_prod, __ATOMIC_RELAXED);

        if (tq - tp > NB_TX_RING_SIZE || rq - rp > NB_RX_RING_SIZE) {
            log_err("%s: the rings' indexes are inconsistent (tx %u/%u, rx %u/%u)", q->name,
                    tq, tp, rq, rp);
            rc = -EPROTO;
            goto fail;
        }
        BACK_RING_ATTACH(&q->tx, txs, tp, NB_PAGE_SIZE);
        BACK_RING_ATTACH(&q->rx, rxs, rp, NB_PAGE_SIZE);
    }
    *out = q;
    return 0;
fail:
    nb_queue_destroy(q);
    return rc;
}

int nb_queue_start(struct nb_queue *q)
{
    int rc = pthread_create(&q->thread, NULL, queue_thread, q);

    if (rc != 0)
        return -rc;
    q->threaded = true;
    return 0;
}

void nb_queue_destroy(struct nb_queue *q)
{
    if (!q)
        return;
    if (q->threaded) {
        uint64_t one = 1;

        if (write(q->stop_fd, &one, sizeof(one)) < 0)
            log_warn("%s: cannot wake the queue thread: %s", q->name, strerror(errno));
        pthread_join(q->thread, NULL);
        q->threaded = false;
    }
    if (q->rings && q->t->ops->unmap(q->t, q->rings, 2) < 0)
        log_warn("%s: cannot unmap the rings", q->name);
    if (q->t)
        q->t->ops->close(q->t);
    if (q->stop_fd >= 0)
        close(q->stop_fd);
    free(q->tx_arena);
    free(q->rx_arena);
    free(q->seg_src);
    free(q);
}

void nb_queue_stats(struct nb_queue *q, struct nb_queue_stats *out)
{
    const uint64_t *src = (const uint64_t *)&q->stats;
    uint64_t *dst = (uint64_t *)out;

    for (size_t i = 0; i < sizeof(*out) / sizeof(uint64_t); i++)
        dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}

bool nb_queue_broken(struct nb_queue *q)
{
    return __atomic_load_n(&q->broken, __ATOMIC_RELAXED);
}
