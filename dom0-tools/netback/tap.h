/* tap.h: a vif as a host TAP device, optionally a port of a Linux bridge. */
/* SPDX-License-Identifier: MIT */
#ifndef NETBACK_TAP_H
#define NETBACK_TAP_H

#include <net/if.h>
#include <stddef.h>

#include "link.h"

struct nb_tap_config {
    char ifname[IFNAMSIZ];      /* vif<domid>.<devid>, or the toolstack's vifname */
    char bridge[IFNAMSIZ];      /* empty: not added to a bridge */
    unsigned int mtu;           /* 0: the bridge's, else the kernel's default */
};

/*
 * Create the TAP device (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR, not
 * persistent: it goes away with its descriptor), give it Xen's host-side
 * address fe:ff:ff:ff:ff:ff (so that a bridge never takes it for its own),
 * add it to the bridge and bring it up. The bridge must exist. Returns 0,
 * or a negative errno with a message for the operator in err.
 */
int nb_tap_link_open(struct nb_link **out, const struct nb_tap_config *cfg, char *err,
                     size_t errlen);

#endif /* NETBACK_TAP_H */
