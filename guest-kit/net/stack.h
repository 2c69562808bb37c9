/* stack.h: interfaces between the network stack's files; not installed. */
/* SPDX-License-Identifier: MIT */
#ifndef GUEST_KIT_NET_STACK_H
#define GUEST_KIT_NET_STACK_H

/*
 * The stack uses nothing but <string.h> (memcpy, memset, memcmp, memmove) and
 * <stdlib.h> (malloc, free), so the same files build for a guest (guest-kit's
 * C library) and for the host tests (the host's).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <xen/errno.h>

#include "guest-kit/net.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "net/checksum.c folds little-endian loads"
#endif

/* ---- Wire formats ---- */

#define ETH_HLEN 14
#define ETH_ZLEN 60                     /* shortest frame, padded */
#define ETH_TYPE_IPV4 0x0800
#define ETH_TYPE_ARP 0x0806
#define IP_HLEN 20                      /* we send no options */
#define IP_PROTO_ICMP 1
#define IP_PROTO_TCP 6
#define IP_PROTO_UDP 17
#define NET_L4_OFF (ETH_HLEN + IP_HLEN) /* where outgoing ICMP/UDP/TCP headers go */
#define NET_FRAME_MAX (ETH_HLEN + GK_NET_MTU_DEFAULT)
#define UDP_HLEN 8
#define TCP_HLEN 20
#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10

static inline uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* ---- Checksums (checksum.c) ---- */

/*
 * The Internet checksum, computed on 64-bit little-endian loads with
 * end-around carry. Partial sums chain only at even offsets.
 */
uint64_t net_sum(uint64_t acc, const void *data, size_t len);
/* The pseudo-header of TCP and UDP (addresses in host order). */
uint64_t net_sum_pseudo(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len);
/* Folds and complements: the value to store (native order) in a checksum field;
 * over data that includes a correct checksum it is 0. */
uint16_t net_csum_fold(uint64_t acc);

/* Unaligned native-order access without a call (guest code builds with -fno-builtin). */
typedef uint16_t __attribute__((aligned(1), may_alias)) net_una16;
typedef uint32_t __attribute__((aligned(1), may_alias)) net_una32;
typedef uint64_t __attribute__((aligned(1), may_alias)) net_una64;

static inline void net_csum_store(uint8_t *field, uint16_t csum)
{
    *(net_una16 *)field = csum;
}

/* ---- State ---- */

#define NET_ARP_ENTRIES 8

enum net_arp_state { ARP_FREE, ARP_PENDING, ARP_RESOLVED };

struct net_arp_entry {
    uint32_t ip;
    uint8_t mac[6];
    uint8_t state;
    uint8_t tries;                  /* requests sent while PENDING */
    bool refreshing;                /* a request for a RESOLVED entry is out */
    uint16_t queued_len;            /* 0: nothing waits for this address */
    uint64_t deadline_ms;           /* PENDING: next request; RESOLVED: expiry */
    uint64_t used_ms;
    uint8_t *queued;                /* NET_FRAME_MAX bytes, in stack->arp_frames */
};

struct net_udp_port {
    uint16_t port;                  /* 0: free slot */
    gk_udp_recv_fn recv;
    void *arg;
};

struct net_tcp_listener {
    uint16_t port;                  /* 0: free slot */
    gk_tcp_accept_fn accept;
    void *arg;
};

struct gk_net_stack {
    struct gk_netif *netif;
    struct gk_net_config cfg;       /* defaults filled in */
    struct gk_net_stats stats;
    uint64_t now_ms;                /* the time of the last gk_net_poll() */
    uint64_t secret;
    uint16_t ip_id;
    uint16_t next_port;             /* ephemeral port search starts here */
    uint64_t icmp_window_ms;        /* start of the current rate-limit second */
    unsigned int icmp_sent;         /* unreachables sent in that second */
    struct net_arp_entry arp[NET_ARP_ENTRIES];
    uint8_t *arp_frames;
    struct net_udp_port udp[GK_NET_UDP_PORTS_MAX];
    struct net_tcp_listener listeners[GK_NET_TCP_LISTEN_MAX];
    struct gk_tcp_conn **conns;     /* cfg.tcp_max_conns slots, NULL when free */
    uint32_t conn_serial;           /* creation order, to find the oldest */
};

/* What IP input tells the layer above. */
struct net_ip_rx {
    uint32_t src, dst;
    bool broadcast;                 /* sent to a broadcast address */
    const uint8_t *hdr;             /* the IP header, for ICMP errors */
    size_t hdr_len;
};

static inline uint16_t net_mtu(const struct gk_net_stack *s)
{
    return s->netif->mtu;
}

/* ---- Between the layers ---- */

/* netif.c */
int net_eth_transmit(struct gk_net_stack *s, uint8_t *frame, size_t len);
void net_eth_header(struct gk_net_stack *s, uint8_t *frame, const uint8_t *dst, uint16_t type);
uint16_t net_ephemeral_port(struct gk_net_stack *s, bool (*in_use)(struct gk_net_stack *,
                                                                 uint16_t));
uint64_t net_mix64(uint64_t x);

/* arp.c */
void net_arp_input(struct gk_net_stack *s, const uint8_t *pkt, size_t len);
/* Sends `frame` (Ethernet header but its destination filled) to `next_hop`,
 * resolving it first; 0 when sent or queued. */
int net_arp_output(struct gk_net_stack *s, uint8_t *frame, size_t len, uint32_t next_hop);
uint64_t net_arp_poll(struct gk_net_stack *s);

/* ipv4.c */
void net_ipv4_input(struct gk_net_stack *s, const uint8_t *pkt, size_t len);
/* `frame` holds `payload_len` bytes at NET_L4_OFF; fills the IP and Ethernet
 * headers and sends. */
int net_ipv4_output(struct gk_net_stack *s, uint8_t *frame, size_t payload_len, uint32_t dst,
                    uint8_t proto);
bool net_ipv4_is_broadcast(const struct gk_net_stack *s, uint32_t addr);

/* icmp.c */
void net_icmp_input(struct gk_net_stack *s, const struct net_ip_rx *ip, const uint8_t *msg,
                    size_t len);
void net_icmp_port_unreachable(struct gk_net_stack *s, const struct net_ip_rx *ip,
                               size_t ip_payload_len);

/* udp.c */
void net_udp_input(struct gk_net_stack *s, const struct net_ip_rx *ip, const uint8_t *dgram,
                   size_t len);

/* tcp_input.c, tcp.c */
void net_tcp_input(struct gk_net_stack *s, const struct net_ip_rx *ip, const uint8_t *seg,
                   size_t len);
uint64_t net_tcp_poll(struct gk_net_stack *s);
void net_tcp_reap(struct gk_net_stack *s);
void net_tcp_destroy(struct gk_net_stack *s);

#endif /* GUEST_KIT_NET_STACK_H */
