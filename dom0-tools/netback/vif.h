/* vif.h: one virtual network interface's xenbus backend: xenstore keys, states, rings. */
/* SPDX-License-Identifier: MIT */
#ifndef NETBACK_VIF_H
#define NETBACK_VIF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "link.h"
#include "switchd.h"
#include "tap.h"
#include "transport.h"

struct xs_handle;

/* Where a vif's frames go, from the toolstack's backend keys. */
struct vif_link_spec {
    bool use_switch;
    char switch_name[NB_SWITCH_NAME_MAX + 1];   /* "switch", or "bridge" = "lamina:<name>" */
    struct nb_tap_config tap;                   /* otherwise: "vifname", "bridge", "mtu" */
    char port[32];                              /* "vif<domid>.<devid>": the switch port's name */
};

struct vif_env {
    struct xs_handle *xs;
    struct nb_transport_factory transport;
    /* 1: the domain lives, 0: it is dead or dying, < 0: cannot tell. */
    int (*domain_alive)(void *arg, uint32_t domid);
    void *alive_arg;
    /*
     * Open the vif's link (the daemon creates TAP devices and switch ports;
     * tests hand out socket pairs). 0, or a negative errno with a message for
     * the operator in err.
     */
    int (*link_open)(void *arg, const struct vif_link_spec *spec, struct nb_link **out,
                     char *err, size_t errlen);
    void *link_arg;
    int stop_fd;                        /* readable: detach and return */
};

enum vif_result {
    VIF_FINISHED = 0,   /* removed, closed off-line, or its domain died */
    VIF_FAILED = 1,     /* cannot be served (bad configuration, no such bridge) */
    VIF_DETACHED = 2,   /* stop_fd: left as it is for the next backend to resume */
};

/* The xenstore directory of a vif: /local/domain/0/backend/vif/<domid>/<devid>. */
#define VIF_BACKEND_ROOT "/local/domain/0/backend/vif"

/*
 * Serve one vif until it finishes, fails, or stop_fd becomes readable. A
 * vif found Connected (its previous backend died or was restarted) is
 * resumed on the same rings without the frontend noticing.
 */
enum vif_result vif_serve(const struct vif_env *env, uint32_t domid, uint32_t devid);

#endif /* NETBACK_VIF_H */
