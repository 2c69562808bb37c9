/* vbd.h: one virtual block device's xenbus backend: xenstore keys, states, rings. */
/* SPDX-License-Identifier: MIT */
#ifndef BLKBACK_VBD_H
#define BLKBACK_VBD_H

#include <stdbool.h>
#include <stdint.h>

#include "transport.h"

struct xs_handle;

/* Most queues a frontend may ask for (multi-queue-max-queues is at most this). */
#define VBD_MAX_QUEUES 16

struct vbd_config {
    unsigned int max_queues;            /* multi-queue-max-queues */
    unsigned int max_ring_order;        /* max-ring-page-order */
    unsigned int max_indirect_segments; /* feature-max-indirect-segments */
    unsigned int max_persistent;        /* grants kept mapped per queue; 0: no feature-persistent */
    bool allow_direct;                  /* O_DIRECT when the backing store allows it */
};

struct vbd_env {
    struct xs_handle *xs;
    struct blk_transport_factory transport;
    /* 1: the domain lives, 0: it is dead or dying, < 0: cannot tell. */
    int (*domain_alive)(void *arg, uint32_t domid);
    void *alive_arg;
    int stop_fd;                        /* readable: detach and return */
    struct vbd_config cfg;
};

enum vbd_result {
    VBD_FINISHED = 0,   /* the device was removed, closed off-line, or its domain died */
    VBD_FAILED = 1,     /* it cannot be served (bad configuration, backing store) */
    VBD_DETACHED = 2,   /* stop_fd: left as it is for the next backend to resume */
};

/* The xenstore directory of a device: /local/domain/0/backend/vbd/<domid>/<devid>. */
#define VBD_BACKEND_ROOT "/local/domain/0/backend/vbd"

/*
 * Serve one device until it finishes, fails, or stop_fd becomes readable.
 * On start the device is taken as it stands in xenstore: a device still
 * Connected (a backend that died or was restarted) is resumed on the same
 * rings, without the frontend noticing.
 */
enum vbd_result vbd_serve(const struct vbd_env *env, uint32_t domid, uint32_t devid);

#endif /* BLKBACK_VBD_H */
