/* transport.h: how the block engine reaches one frontend: grant mapping and event notification. */
/* SPDX-License-Identifier: MIT */
#ifndef BLKBACK_TRANSPORT_H
#define BLKBACK_TRANSPORT_H

#include <stdbool.h>
#include <stdint.h>

#include <xen/grant_table.h>

/*
 * One transport serves one ring (one queue of one device) and is used by
 * that queue's thread only, so implementations need no locking of their
 * own. The real one (transport-xen.c) sits on xengnttab and xenevtchn;
 * the unit tests supply a fake frontend in the same process.
 *
 * Mappings follow xengnttab's rules: map() returns count contiguous pages
 * (one per ref, in order) or NULL with errno set (EPERM when a grant does
 * not allow the access asked for, EINVAL for a bad ref, ENOMEM/ENOSPC for
 * exhausted resources); nothing is held after a failure. unmap() takes
 * exactly the address and count that one map() returned.
 */
struct blk_transport;

struct blk_transport_ops {
    void *(*map)(struct blk_transport *t, uint32_t count, const grant_ref_t *refs,
                 bool writable);
    int (*unmap)(struct blk_transport *t, void *addr, uint32_t count);
    /* A descriptor that becomes readable when the frontend has notified us. */
    int (*event_fd)(struct blk_transport *t);
    /* Take the notification behind a readable event_fd and re-arm for the next one. */
    void (*event_ack)(struct blk_transport *t);
    /* Notify the frontend. */
    int (*notify)(struct blk_transport *t);
    void (*close)(struct blk_transport *t);
};

struct blk_transport {
    const struct blk_transport_ops *ops;
    uint32_t domid;             /* the frontend's domain, for messages */
};

/*
 * Opens transports for one device: one per queue, each bound to the
 * frontend's event channel port of that queue. Returns NULL with errno set.
 */
struct blk_transport_factory {
    struct blk_transport *(*open)(void *arg, uint32_t domid, uint32_t remote_port);
    void *arg;
};

/* xengnttab + xenevtchn over lamina-hv's control socket. */
extern const struct blk_transport_factory blk_transport_xen;

#endif /* BLKBACK_TRANSPORT_H */
