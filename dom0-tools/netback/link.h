/* link.h: a vif's side towards the world: one frame per read/write, after a virtio_net_hdr. */
/* SPDX-License-Identifier: MIT */
#ifndef NETBACK_LINK_H
#define NETBACK_LINK_H

#include <linux/virtio_net.h>
#include <stdbool.h>
#include <stddef.h>

/*
 * Both ways out of a vif look the same to the engine: a non-blocking
 * descriptor on which every read() returns one Ethernet frame and every
 * write() sends one, each preceded by a struct virtio_net_hdr carrying the
 * offload state (checksum still to be done, segmentation of a large TCP
 * frame). A TAP device opened with IFF_VNET_HDR is exactly that; the
 * built-in switch uses the same format on SOCK_SEQPACKET sockets, so a
 * guest's TCP segmentation and checksum offloads reach another guest
 * untouched.
 *
 * Offsets in the header follow Linux's CHECKSUM_PARTIAL convention: with
 * VIRTIO_NET_HDR_F_NEEDS_CSUM the checksum field already holds the
 * pseudo-header sum, and csum_start/csum_offset say where to finish.
 */
#define NB_VNET_HDR_LEN sizeof(struct virtio_net_hdr)

struct nb_link {
    int fd;
    char desc[64];              /* for messages: "tap vif3.0 (bridge xenbr0)" */
    /*
     * The far end went away (the switch restarted, the TAP device was
     * deleted): replace fd with a new connection. Called from the queue's
     * thread; 0 or a negative errno. NULL when there is nothing to do.
     */
    int (*reopen)(struct nb_link *l);
    /*
     * The frontend's receive capabilities are known (it connected): tell
     * the far end which offloads it may use towards us (a TAP device's
     * TUNSETOFFLOAD). NULL when the far end sends what it likes.
     */
    int (*set_offload)(struct nb_link *l, bool csum, bool tso4, bool tso6);
    /* Close fd and free the link. NULL: the owner closes fd itself. */
    void (*close)(struct nb_link *l);
    void *priv;
};

static inline void nb_link_close(struct nb_link *l)
{
    if (l && l->close)
        l->close(l);
}

#endif /* NETBACK_LINK_H */
