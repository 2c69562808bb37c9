/* engine.h: the netif engine: one queue's tx and rx rings served against a link. */
/* SPDX-License-Identifier: MIT */
#ifndef NETBACK_ENGINE_H
#define NETBACK_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include <xen/io/netif.h>

#include "link.h"
#include "transport.h"

/* netif rings are one 4 KiB page each. */
#define NB_PAGE_SIZE (1u << XEN_PAGE_SHIFT)
#define NB_TX_RING_SIZE __CONST_RING_SIZE(netif_tx, NB_PAGE_SIZE)
#define NB_RX_RING_SIZE __CONST_RING_SIZE(netif_rx, NB_PAGE_SIZE)

/*
 * Data slots of one tx packet: up to XEN_NETIF_NR_SLOTS_MIN are served;
 * a packet with more gets XEN_NETIF_RSP_ERROR; beyond NB_TX_FATAL_SLOTS the
 * frontend is taken for broken (Linux's netback uses the same numbers).
 */
#define NB_TX_MAX_SLOTS XEN_NETIF_NR_SLOTS_MIN
#define NB_TX_FATAL_SLOTS 20
/* Extra-info slots after one tx request: at most one of each type. */
#define NB_MAX_EXTRAS (XEN_NETIF_EXTRA_TYPE_MAX - 1)
/* Largest frame either way (what a tx request's 16-bit size can describe). */
#define NB_MAX_FRAME XEN_NETIF_MAX_TX_SIZE

/* What the frontend accepts on its rx ring (its feature-* keys). */
struct nb_frontend_features {
    bool sg;                /* feature-sg: packets over several slots */
    bool gso_tcpv4;         /* feature-gso-tcpv4 */
    bool gso_tcpv6;         /* feature-gso-tcpv6 */
    bool csum;              /* not feature-no-csum-offload: IPv4 partial checksums */
    bool ipv6_csum;         /* feature-ipv6-csum-offload */
};

struct nb_queue_params {
    const char *name;               /* prefix of log messages, e.g. "vif 3/0" */
    grant_ref_t tx_ring_ref, rx_ring_ref;
    struct nb_frontend_features fe;
    struct nb_link *link;           /* not owned; used by the queue's thread only */
    /*
     * Called once, from the queue's thread, when the frontend broke the
     * ring protocol: the queue stops touching the rings and waits to be
     * destroyed. why is a static string.
     */
    void (*on_broken)(void *arg, const char *why);
    void *arg;
};

/* Counters since the queue was created; read with nb_queue_stats(). */
struct nb_queue_stats {
    uint64_t tx_packets, tx_bytes;  /* from the frontend, handed to the link */
    uint64_t tx_errors;             /* packets answered XEN_NETIF_RSP_ERROR */
    uint64_t tx_dropped;            /* good packets the link did not take */
    uint64_t tx_mcast;              /* multicast-control requests (answered, ignored) */
    uint64_t rx_packets, rx_bytes;  /* delivered into the frontend's pages */
    uint64_t rx_dropped;            /* frames from the link that could not be delivered */
    uint64_t rx_errors;             /* rx slots whose copy failed (bad grant) */
    uint64_t rx_segmented;          /* large TCP frames cut in software */
    uint64_t csum_completed;        /* partial checksums finished in software */
    uint64_t copies, copy_segs;     /* grant-copy calls and the segments they moved */
    uint64_t tx_notifies, rx_notifies;
    uint64_t link_errors;           /* the link failed and was reopened */
};

struct nb_queue;

/*
 * Map the rings (attached where their indexes stand, so that a restarted
 * backend resumes live rings). The queue owns t from here on, also on
 * failure. Returns 0 or a negative errno; -EPROTO when the rings' indexes
 * are already inconsistent.
 */
int nb_queue_create(struct nb_queue **out, struct nb_transport *t,
                    const struct nb_queue_params *p);
/* Serve the rings from a thread of its own. */
int nb_queue_start(struct nb_queue *q);
/* Stop, unmap the rings, close the transport, free. Works with and without a thread. */
void nb_queue_destroy(struct nb_queue *q);
/*
 * Without a thread: do what can be done now, then wait at most timeout_ms
 * for a notification or a frame (and take the notification).
 */
void nb_queue_run_once(struct nb_queue *q, int timeout_ms);

void nb_queue_stats(struct nb_queue *q, struct nb_queue_stats *out);
bool nb_queue_broken(struct nb_queue *q);

#endif /* NETBACK_ENGINE_H */
