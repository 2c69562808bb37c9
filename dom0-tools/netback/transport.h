/* transport.h: how the network engine reaches one frontend: rings, grant copies, events. */
/* SPDX-License-Identifier: MIT */
#ifndef NETBACK_TRANSPORT_H
#define NETBACK_TRANSPORT_H

#include <stdbool.h>
#include <stdint.h>

#include <xen/grant_table.h>
#include <xengnttab.h>

/*
 * One transport serves one queue (a tx ring, an rx ring and one or two
 * event channels) and is used by that queue's thread only: no locking.
 * The real one (transport-xen.c) sits on xengnttab and xenevtchn; the tests
 * supply a fake frontend in the same process.
 *
 * map()/unmap() are only used for the two ring pages, which stay mapped
 * while the queue lives. Packet data moves with copy(): a batch of
 * segments in xengnttab_grant_copy()'s format, each with exactly one
 * foreign side and within one page; it returns 0 when the call itself
 * worked (each segment's own result is in its status) or a negative errno.
 */
struct nb_transport;

struct nb_transport_ops {
    void *(*map)(struct nb_transport *t, uint32_t count, const grant_ref_t *refs, bool writable);
    int (*unmap)(struct nb_transport *t, void *addr, uint32_t count);
    int (*copy)(struct nb_transport *t, xengnttab_grant_copy_segment_t *segs, uint32_t count);
    /* A descriptor that becomes readable when the frontend notified either channel. */
    int (*event_fd)(struct nb_transport *t);
    /* Take the notifications behind a readable event_fd and re-arm. */
    void (*event_ack)(struct nb_transport *t);
    /* Notify the frontend on the rx or the tx channel (the same one unless split). */
    int (*notify)(struct nb_transport *t, bool rx);
    void (*close)(struct nb_transport *t);
};

struct nb_transport {
    const struct nb_transport_ops *ops;
    uint32_t domid;             /* the frontend's domain: the foreign side of copies */
};

/*
 * Opens the transport of one queue, bound to the frontend's ports (tx_port
 * == rx_port for a single channel). Returns NULL with errno set.
 */
struct nb_transport_factory {
    struct nb_transport *(*open)(void *arg, uint32_t domid, uint32_t tx_port, uint32_t rx_port);
    void *arg;
};

/* xengnttab + xenevtchn over lamina-hv's control socket. */
extern const struct nb_transport_factory nb_transport_xen;

#endif /* NETBACK_TRANSPORT_H */
