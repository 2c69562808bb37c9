/* fake.h: a fake netfront for netback tests: guest memory, grants, event channels, rings. */
/* SPDX-License-Identifier: MIT */
#ifndef NETBACK_TEST_FAKE_H
#define NETBACK_TEST_FAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <xen/io/netif.h>

#include "engine.h"
#include "link.h"
#include "transport.h"
#include "fake-guest.h"

struct nb_transport *fake_transport(struct fake_guest *g, uint32_t tx_port, uint32_t rx_port);
struct nb_transport_factory fake_factory(struct fake_guest *g);

/*
 * A fake netfront with one queue. Guest pages from base: the tx ring, the
 * rx ring, one tx data page per tx slot, one rx buffer per rx slot; grant
 * refs from ref_base in the same order. The link is a SOCK_SEQPACKET pair:
 * the engine gets one end, the test plays "the world" on the other.
 */
#define FAKE_VIF_PAGES (2u + NB_TX_RING_SIZE + NB_RX_RING_SIZE)

struct fake_vif {
    struct fake_guest *g;
    uint32_t tx_port, rx_port;
    uint32_t base;
    grant_ref_t ref_base;
    netif_tx_front_ring_t tx;
    netif_rx_front_ring_t rx;
    int world;                  /* the test's end of the link */
    struct nb_link link;        /* the engine's end */
    struct nb_queue_params p;
    struct nb_queue *q;
    bool pump;                  /* no queue thread: the waits drive the queue */
};

/* Rings start at idx (to test wrap-around). */
void fake_vif_init(struct fake_vif *v, struct fake_guest *g, uint32_t base, grant_ref_t ref_base,
                   uint32_t tx_port, uint32_t rx_port, RING_IDX idx);
/* Between init and start a test may change v->p (features, refs). */
void fake_vif_start(struct fake_vif *v, bool threaded);
/* Stop the queue (no grant may stay mapped) and close the link. */
void fake_vif_fini(struct fake_vif *v);

static inline grant_ref_t fake_tx_ref(const struct fake_vif *v, unsigned int i)
{
    return v->ref_base + 2 + i;
}
static inline grant_ref_t fake_rx_ref(const struct fake_vif *v, unsigned int i)
{
    return v->ref_base + 2 + NB_TX_RING_SIZE + i;
}
static inline uint8_t *fake_tx_page(const struct fake_vif *v, unsigned int i)
{
    return fake_page(v->g, v->base + 2 + i);
}
static inline uint8_t *fake_rx_page(const struct fake_vif *v, unsigned int i)
{
    return fake_page(v->g, v->base + 2 + NB_TX_RING_SIZE + i);
}

/* How fake_tx_packet() lays a frame out. */
struct fake_tx_opts {
    uint16_t flags;             /* NETTXF_csum_blank / NETTXF_data_validated */
    uint8_t gso_type;           /* XEN_NETIF_GSO_TYPE_*, 0 for none */
    uint16_t gso_size;
    uint32_t chunk;             /* bytes per slot (0: fill pages) */
    uint16_t offset;            /* of the first slot in its page */
};

/* Next free tx slot (zeroed), or NULL when the ring is full. */
netif_tx_request_t *fake_tx_slot(struct fake_vif *v);
/* Put a frame on the tx ring (not pushed): returns the slots used, 0 if it does not fit. */
unsigned int fake_tx_packet(struct fake_vif *v, const uint8_t *frame, size_t len,
                            const struct fake_tx_opts *o);
/* Publish the tx requests; notify if the backend asked. */
void fake_tx_push(struct fake_vif *v);
/* Notify whether or not the backend asked. */
void fake_kick(struct fake_vif *v, bool rx);
/* Collect n tx responses within timeout_ms; returns how many came. */
unsigned int fake_tx_responses(struct fake_vif *v, netif_tx_response_t *out, unsigned int n,
                               int timeout_ms);

/* Post n rx buffers (ids and pages by ring index) and push them. */
void fake_rx_post(struct fake_vif *v, unsigned int n);

struct fake_rx_info {
    uint16_t flags;             /* of the first slot */
    unsigned int slots;         /* data slots */
    bool gso;
    struct netif_extra_info extra;
    int16_t status;             /* the first bad status, else 0 */
};

/*
 * Wait (timeout_ms) for one whole received packet and copy it out of the
 * posted buffers. Returns its length, -1 when none came, -2 when a slot
 * had an error status.
 */
ssize_t fake_rx_packet(struct fake_vif *v, uint8_t *buf, size_t max, struct fake_rx_info *info,
                       int timeout_ms);

/* The world side: a frame from the engine (or -1 after timeout_ms), a frame to it. */
ssize_t fake_world_recv(struct fake_vif *v, struct virtio_net_hdr *h, uint8_t *buf, size_t max,
                        int timeout_ms);
void fake_world_send(struct fake_vif *v, const struct virtio_net_hdr *h, const uint8_t *frame,
                     size_t len);
/* Let the queue run for ms milliseconds (pump mode), or just wait (threaded). */
void fake_settle(struct fake_vif *v, int ms);

/* Frames for the tests, with correct checksums. */
struct fake_l4 {
    const uint8_t *dst, *src;   /* MAC addresses */
    bool ipv6;
    bool tcp;
    uint32_t payload;           /* bytes of payload (pattern from seed) */
    uint8_t seed;
    uint32_t seq;               /* TCP */
};
size_t fake_frame(uint8_t *f, const struct fake_l4 *spec);
/* A frame of len bytes to dst from src with an unknown EtherType and a payload pattern. */
size_t fake_raw_frame(uint8_t *f, const uint8_t *dst, const uint8_t *src, size_t len, uint8_t seed);
/* The checksum of a frame computed the slow, obvious way: 0 when right (independent of frame.c). */
int fake_check_l4(const uint8_t *f, size_t len);

#endif /* NETBACK_TEST_FAKE_H */
