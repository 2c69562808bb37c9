/* netfront.h: virtual network interfaces: Xen's netif frontend, frames in and out, hotplug. */
/* SPDX-License-Identifier: MIT */
#ifndef GUEST_KIT_NETFRONT_H
#define GUEST_KIT_NETFRONT_H

/*
 * The domain's network interfaces are the directories device/vif/<devid>
 * of its xenstore tree (`vif = [...]` in the configuration, or `lamina
 * network-attach`). gk_netfront_open() runs the xenbus handshake with the
 * backend as Linux's xen-netfront does (rx-copy, rx-notify, a single or
 * split event channels, scatter-gather where the backend offers it); from
 * then on Ethernet frames (destination MAC first, no FCS) go out with
 * gk_netfront_send() and come in through gk_netfront_receive():
 *
 *     struct gk_netfront *nf;
 *     gk_netfront_open(0, NULL, &nf);
 *     gk_netfront_send(nf, frame, len);            // copied: frame is free again
 *     for (;;) {
 *         gk_netfront_receive(nf, on_frame, arg, 0);  // on_frame(nf, frame, len, arg)
 *         gk_netfront_wait(deadline_ns);           // sends what is queued, then sleeps
 *     }
 *
 * To run guest-kit's IP stack (guest-kit/net.h) on an interface,
 * gk_netfront_netif_attach() fills a struct gk_netif and
 * gk_netfront_netif_wait() is the main loop's wait (see the bottom).
 *
 * Transmit: each frame is copied into a transmit area of pages granted
 * read-only to the backend once for the life of the connection; frames
 * that do not fit wait for nothing: gk_netfront_send() returns -ENOBUFS
 * (TCP retransmits, a UDP sender waits with gk_netfront_wait(), which
 * then also wakes when room is made). Frames are pushed to the ring and
 * the backend notified once per batch: when the program next calls
 * gk_netfront_wait(), gk_netfront_receive() or gk_netfront_flush(), or when
 * the ring fills up. Frames larger than a page are sent in several slots
 * when the backend offers feature-sg (up to GK_NETFRONT_MAX_FRAME bytes).
 *
 * Receive: a page per ring slot, posted to the backend, which copies each
 * frame in (rx-copy). A received page's grant is ended before the frame is
 * handed to the program, so the backend cannot change it underneath; the
 * page is granted and posted again afterwards. Frames spread over several
 * slots (only with feature-sg) are gathered into one buffer first.
 * Checksums: the driver asks the backend to complete partial checksums
 * (feature-no-csum-offload) and takes no large (GSO) frames, so every
 * frame carries correct checksums and is at most the MTU plus 14 bytes
 * (or, with jumbo frames from the host, what sg allows).
 *
 * Context: everything here is for process context on vCPU 0 (where the
 * interfaces' events and xenbus watches arrive), one caller at a time; the
 * receive callback must not wait. gk_netfront_open/close must not run in a
 * xenbus watch callback: the hotplug callback notes what happened and the
 * program acts from its main loop.
 *
 * Detaching: when the backend closes (`lamina network-detach`, the backend
 * going away) the driver answers the xenbus handshake from its watch,
 * sending fails with -ENODEV and gk_netfront_connected() turns false; once
 * the backend has let go of the pages the driver takes them back.
 * gk_netfront_close() frees the interface. A backend that breaks the ring
 * protocol (answers for slots never posted, indexes out of range, ids that
 * do not match) stops the interface the same way; nothing it writes into
 * xenstore or the rings is trusted.
 *
 * Errors are negative errno values: -ENODEV (no such interface, or gone),
 * -EBUSY (already open), -EOPNOTSUPP (the backend cannot copy into our
 * pages), -ETIMEDOUT (the backend did not answer the handshake), -EIO (a
 * broken backend), -ENOMEM, -ENOSPC (no grant references left), -EINVAL,
 * -EMSGSIZE (frame too large), -ENOBUFS (no room to send now).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xen/xen.h>
#include <xen/event_channel.h>
#include <xen/grant_table.h>

#define GK_NETFRONT_MAX_FRAME       65535u      /* largest frame with scatter-gather */
#define GK_NETFRONT_RING_SLOTS      256u        /* each of the tx and rx rings (one page) */
#define GK_NETFRONT_RX_BUFFERS      256u        /* default pages posted for reception */
#define GK_NETFRONT_TX_PAGES        64u         /* default transmit area (256 KiB) */
#define GK_NETFRONT_TX_PAGES_MAX    1024u
#define GK_NETFRONT_HANDSHAKE_NS    (20ull * 1000000000ull)
#define GK_NETFRONT_REAP_NS         (10ull * 1000000000ull)
#define GK_NETFRONT_WAIT_FOREVER    UINT64_MAX

struct gk_netfront;

struct gk_netfront_info {
    uint32_t devid;
    uint8_t mac[6];                 /* from the toolstack (device/vif/<devid>/mac) */
    unsigned int mtu;               /* the backend's "mtu", else 1500 */
    domid_t backend_id;
    bool sg;                        /* frames over several slots, both ways */
    bool split_events;              /* separate tx and rx event channels */
    unsigned int max_frame;         /* the largest frame gk_netfront_send() takes */
    unsigned int rx_buffers;        /* pages posted for reception */
    unsigned int tx_pages;          /* pages of the transmit area */
    grant_ref_t tx_ring_ref, rx_ring_ref;
    evtchn_port_t tx_port, rx_port; /* the same port unless split */
};

/* Limits a program (or a test) may set; NULL or all zero: the defaults. */
struct gk_netfront_options {
    unsigned int rx_buffers;        /* 0: GK_NETFRONT_RX_BUFFERS; else 1..256 (18.. with sg) */
    unsigned int tx_pages;          /* 0: GK_NETFRONT_TX_PAGES; else 2..GK_NETFRONT_TX_PAGES_MAX */
    bool no_sg;                     /* one page per frame, even if the backend offers sg */
    bool single_event_channel;      /* one channel, even if the backend offers split ones */
};

/* Counters, for tests and diagnostics. */
struct gk_netfront_stats {
    uint64_t tx_frames, tx_bytes;   /* accepted by gk_netfront_send() */
    uint64_t tx_slots;              /* ring requests (more than frames with sg) */
    uint64_t tx_errors;             /* frames the backend answered with an error */
    uint64_t tx_no_room;            /* frames refused with -ENOBUFS */
    uint64_t rx_frames, rx_bytes;   /* handed to the program */
    uint64_t rx_errors;             /* frames the backend marked bad, or malformed: dropped */
    uint64_t rx_gathered;           /* frames that came in several slots */
    uint64_t notifies;              /* event channel sends to the backend */
    uint64_t events;                /* events from the backend */
};

/*
 * The interfaces in device/vif: up to max devids, ascending, into ids.
 * Returns how many there are (which may be more than max), or a negative
 * errno.
 */
int gk_netfront_list(uint32_t *ids, unsigned int max);

/* Connects interface `devid`; 0 and *nf, or a negative errno. */
int gk_netfront_open(uint32_t devid, const struct gk_netfront_options *opts,
                     struct gk_netfront **nf);

/*
 * Runs the closing handshake (unless the backend is gone already), takes
 * the pages back (up to GK_NETFRONT_REAP_NS; pages a backend still holds
 * then are leaked, never reused) and frees everything.
 */
void gk_netfront_close(struct gk_netfront *nf);

const struct gk_netfront_info *gk_netfront_info(const struct gk_netfront *nf);

/* Connected: frames are sent and received. False once the backend has closed. */
bool gk_netfront_connected(const struct gk_netfront *nf);

/*
 * Copies one frame (at least 14 bytes, at most info.max_frame) for
 * sending. 0, or -ENOBUFS (no room now; nothing is queued), -EMSGSIZE,
 * -EINVAL, -ENODEV.
 */
int gk_netfront_send(struct gk_netfront *nf, const void *frame, size_t len);

/* Pushes the queued frames to the ring and notifies the backend if it sleeps. */
void gk_netfront_flush(struct gk_netfront *nf);

/* The frames gk_netfront_send() would take now, if each were of `len` bytes. */
unsigned int gk_netfront_tx_room(struct gk_netfront *nf, size_t len);

/*
 * A received frame; valid during the call only. The callback may send (on
 * any interface) but must not wait, receive or close.
 */
typedef void gk_netfront_rx_fn(struct gk_netfront *nf, const void *frame, size_t len,
                               void *arg);

/*
 * Hands the frames received so far to fn, at most `budget` of them (0: no
 * limit), posts the pages again and flushes. Returns the number of frames
 * delivered, or -ENODEV once the interface is down (and nothing is left).
 */
int gk_netfront_receive(struct gk_netfront *nf, gk_netfront_rx_fn *fn, void *arg,
                        unsigned int budget);

/*
 * Flushes every open interface, then sleeps until one of them has frames
 * to receive, room to send after -ENOBUFS, or a change of state (the
 * backend closing, an interface attached or detached when watched), or
 * until gk_monotonic_ns() reaches deadline_ns (GK_NETFRONT_WAIT_FOREVER:
 * no limit). Returns 1 when woken by the interfaces, 0 at the deadline.
 * xenbus watches run meanwhile, as in any wait.
 */
int gk_netfront_wait(uint64_t deadline_ns);

void gk_netfront_stats(const struct gk_netfront *nf, struct gk_netfront_stats *stats);

/*
 * Hotplug: fn(devid, present, arg) whenever an interface appears in or
 * disappears from device/vif, and once at once for each interface there
 * is. It runs from xenbus dispatch on vCPU 0: note the change (a waiting
 * gk_netfront_wait() returns) and act from the main loop. One watcher;
 * fn NULL stops watching. Returns 0 or a negative errno.
 */
typedef void gk_netfront_hotplug_fn(uint32_t devid, bool present, void *arg);
int gk_netfront_watch(gk_netfront_hotplug_fn *fn, void *arg);

/* ---- guest-kit/net on an interface ---- */

struct gk_netif;

/*
 * Opens interface `devid` for guest-kit's IP stack: fills netif->mac,
 * netif->mtu (the backend's, kept within 576..1500), netif->transmit and
 * netif->driver. The program then sets the addresses and calls
 * gk_netif_init(). 0 or a negative errno (from gk_netfront_open()).
 */
int gk_netfront_netif_attach(struct gk_netif *netif, uint32_t devid,
                             const struct gk_netfront_options *opts);

/* The interface behind an attached netif. */
struct gk_netfront *gk_netfront_netif_device(struct gk_netif *netif);

/*
 * Hands every frame received so far to gk_net_input() and sends what the
 * stack queued. Returns the number of frames, or -ENODEV once the
 * interface is down.
 */
int gk_netfront_netif_input(struct gk_netif *netif);

/*
 * The wait of a program's main loop, with the deadline gk_net_poll()
 * returned (milliseconds of gk_monotonic_ns() / 1000000):
 *
 *     for (;;)
 *         gk_netfront_netif_wait(&netif, gk_net_poll(&netif, gk_monotonic_ns() / 1000000));
 *
 * Delivers the frames already there, or waits (gk_netfront_wait()) until
 * frames arrive or the deadline passes and delivers those.
 */
void gk_netfront_netif_wait(struct gk_netif *netif, uint64_t deadline_ms);

/* Closes the interface (gk_netfront_close()); call gk_netif_destroy() first. */
void gk_netfront_netif_detach(struct gk_netif *netif);

#endif /* GUEST_KIT_NETFRONT_H */
