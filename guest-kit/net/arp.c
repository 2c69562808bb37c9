/* arp.c: ARP (RFC 826): replies for our address, a small cache, one queued packet per lookup. */
/* SPDX-License-Identifier: MIT */
#include "stack.h"

#define ARP_LEN 28
#define ARP_OP_REQUEST 1
#define ARP_OP_REPLY 2
#define ARP_RETRY_MS 1000u
#define ARP_TRIES 3u
#define ARP_LIFETIME_MS 60000u
/* A resolved entry still in use this close to its expiry is confirmed early,
 * so that a busy connection does not stall on a fresh lookup. */
#define ARP_REFRESH_MS 10000u

static const uint8_t broadcast_mac[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static struct net_arp_entry *arp_find(struct gk_net_stack *s, uint32_t ip)
{
    for (unsigned int i = 0; i < NET_ARP_ENTRIES; i++)
        if (s->arp[i].state != ARP_FREE && s->arp[i].ip == ip)
            return &s->arp[i];
    return NULL;
}

/* A free entry, else the least recently used one (its queued packet is lost). */
static struct net_arp_entry *arp_alloc(struct gk_net_stack *s, uint32_t ip)
{
    struct net_arp_entry *e = NULL;

    for (unsigned int i = 0; i < NET_ARP_ENTRIES; i++) {
        struct net_arp_entry *c = &s->arp[i];

        if (c->state == ARP_FREE) {
            e = c;
            break;
        }
        if (!e || c->used_ms < e->used_ms)
            e = c;
    }
    if (e->state != ARP_FREE && e->queued_len)
        s->stats.arp_queue_drops++;
    e->state = ARP_FREE;
    e->ip = ip;
    e->tries = 0;
    e->refreshing = false;
    e->queued_len = 0;
    e->used_ms = s->now_ms;
    return e;
}

static void arp_send(struct gk_net_stack *s, uint16_t op, const uint8_t *dst_mac,
                     const uint8_t *target_mac, uint32_t target_ip)
{
    uint8_t frame[NET_FRAME_MAX];
    uint8_t *a = frame + ETH_HLEN;

    net_eth_header(s, frame, dst_mac, ETH_TYPE_ARP);
    put16(a, 1);                        /* Ethernet */
    put16(a + 2, ETH_TYPE_IPV4);
    a[4] = 6;
    a[5] = 4;
    put16(a + 6, op);
    memcpy(a + 8, s->netif->mac, 6);
    put32(a + 14, s->netif->addr);
    memcpy(a + 18, target_mac, 6);
    put32(a + 24, target_ip);
    net_eth_transmit(s, frame, ETH_HLEN + ARP_LEN);
}

static void arp_request(struct gk_net_stack *s, uint32_t ip)
{
    static const uint8_t unknown[6];

    arp_send(s, ARP_OP_REQUEST, broadcast_mac, unknown, ip);
}

/* The sender's address may enter the cache: a unicast neighbour on our subnet. */
static bool arp_cacheable(const struct gk_net_stack *s, uint32_t ip)
{
    const struct gk_netif *n = s->netif;

    return ip != 0 && ip != n->addr && ((ip ^ n->addr) & n->netmask) == 0 &&
           !net_ipv4_is_broadcast(s, ip);
}

static void arp_resolved(struct gk_net_stack *s, struct net_arp_entry *e, const uint8_t *mac)
{
    memcpy(e->mac, mac, 6);
    e->state = ARP_RESOLVED;
    e->refreshing = false;
    e->deadline_ms = s->now_ms + ARP_LIFETIME_MS;
    if (e->queued_len) {
        uint16_t len = e->queued_len;

        e->queued_len = 0;
        memcpy(e->queued, mac, 6);
        net_eth_transmit(s, e->queued, len);
    }
}

void net_arp_input(struct gk_net_stack *s, const uint8_t *a, size_t len)
{
    const struct gk_netif *n = s->netif;
    struct net_arp_entry *e;
    uint32_t spa, tpa;
    uint16_t op;

    if (len < ARP_LEN || get16(a) != 1 || get16(a + 2) != ETH_TYPE_IPV4 || a[4] != 6 ||
        a[5] != 4) {
        s->stats.rx_bad_arp++;
        return;
    }
    op = get16(a + 6);
    spa = get32(a + 14);
    tpa = get32(a + 24);
    /* A group sender address would make us answer (and cache) a broadcast. */
    if ((op != ARP_OP_REQUEST && op != ARP_OP_REPLY) || (a[8] & 1) || n->addr == 0) {
        s->stats.rx_bad_arp++;
        return;
    }
    /* RFC 826: refresh what we already know about the sender, learn it if the
     * packet is for us. */
    e = arp_cacheable(s, spa) ? arp_find(s, spa) : NULL;
    if (e)
        arp_resolved(s, e, a + 8);
    if (tpa != n->addr) {
        if (!e)
            s->stats.rx_bad_arp++;
        return;
    }
    if (!e && arp_cacheable(s, spa))
        arp_resolved(s, arp_alloc(s, spa), a + 8);
    if (op == ARP_OP_REQUEST)
        arp_send(s, ARP_OP_REPLY, a + 8, a + 8, spa);
}

int net_arp_output(struct gk_net_stack *s, uint8_t *frame, size_t len, uint32_t next_hop)
{
    struct net_arp_entry *e;

    if (net_ipv4_is_broadcast(s, next_hop)) {
        memcpy(frame, broadcast_mac, 6);
        return net_eth_transmit(s, frame, len);
    }
    e = arp_find(s, next_hop);
    if (e && e->state == ARP_RESOLVED && s->now_ms < e->deadline_ms) {
        e->used_ms = s->now_ms;
        if (!e->refreshing && e->deadline_ms - s->now_ms < ARP_REFRESH_MS) {
            e->refreshing = true;
            arp_request(s, next_hop);
        }
        memcpy(frame, e->mac, 6);
        return net_eth_transmit(s, frame, len);
    }
    if (!e || e->state != ARP_PENDING) {
        if (!e)
            e = arp_alloc(s, next_hop);
        e->state = ARP_PENDING;
        e->tries = 1;
        e->deadline_ms = s->now_ms + ARP_RETRY_MS;
        arp_request(s, next_hop);
    } else if (e->queued_len) {
        /* RFC 1122 2.3.2.2: keep the latest packet. */
        s->stats.arp_queue_drops++;
    }
    e->used_ms = s->now_ms;
    memcpy(e->queued, frame, len);
    e->queued_len = (uint16_t)len;
    return 0;
}

uint64_t net_arp_poll(struct gk_net_stack *s)
{
    uint64_t next = UINT64_MAX;

    for (unsigned int i = 0; i < NET_ARP_ENTRIES; i++) {
        struct net_arp_entry *e = &s->arp[i];

        if (e->state == ARP_FREE)
            continue;
        if (s->now_ms >= e->deadline_ms) {
            if (e->state == ARP_PENDING && e->tries < ARP_TRIES) {
                e->tries++;
                e->deadline_ms = s->now_ms + ARP_RETRY_MS;
                arp_request(s, e->ip);
            } else {
                if (e->queued_len)
                    s->stats.arp_queue_drops++;
                e->queued_len = 0;
                e->state = ARP_FREE;
                continue;
            }
        }
        if (e->deadline_ms < next)
            next = e->deadline_ms;
    }
    return next;
}
