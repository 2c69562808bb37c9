/* ipv4.c: IPv4 input checks and output routing; no fragmentation, no options. */
/* SPDX-License-Identifier: MIT */
#include "stack.h"

#define IP_FLAG_MF 0x2000
#define IP_FRAG_OFFSET 0x1fff
#define IP_TTL 64

bool net_ipv4_is_broadcast(const struct gk_net_stack *s, uint32_t addr)
{
    const struct gk_netif *n = s->netif;

    /* A /31 or /32 has no subnet broadcast address. */
    return addr == 0xffffffffu ||
           (n->netmask < 0xfffffffeu && addr == (n->addr | ~n->netmask));
}

/* Addresses that must never be the source of a packet we answer. */
static bool bad_source(const struct gk_net_stack *s, uint32_t src)
{
    return src == 0 || src == s->netif->addr || (src >> 24) == 127 ||
           (src >> 28) == 0xe || net_ipv4_is_broadcast(s, src);
}

void net_ipv4_input(struct gk_net_stack *s, const uint8_t *p, size_t len)
{
    const struct gk_netif *n = s->netif;
    struct net_ip_rx ip;
    size_t hlen, total;

    if (len < IP_HLEN || (p[0] >> 4) != 4) {
        s->stats.rx_bad_ip++;
        return;
    }
    hlen = (size_t)(p[0] & 0xf) * 4;
    total = get16(p + 2);
    /* Frames may carry padding after the packet, never less than it. */
    if (hlen < IP_HLEN || hlen > len || total < hlen || total > len) {
        s->stats.rx_bad_ip++;
        return;
    }
    if (net_csum_fold(net_sum(0, p, hlen)) != 0) {
        s->stats.rx_bad_checksum++;
        return;
    }
    if (get16(p + 6) & (IP_FLAG_MF | IP_FRAG_OFFSET)) {
        s->stats.rx_fragments++;
        return;
    }
    ip.src = get32(p + 12);
    ip.dst = get32(p + 16);
    ip.hdr = p;
    ip.hdr_len = hlen;
    ip.broadcast = net_ipv4_is_broadcast(s, ip.dst);
    if (n->addr == 0 || (ip.dst != n->addr && !ip.broadcast) || bad_source(s, ip.src)) {
        s->stats.rx_bad_ip++;
        return;
    }
    switch (p[9]) {
    case IP_PROTO_ICMP:
        net_icmp_input(s, &ip, p + hlen, total - hlen);
        break;
    case IP_PROTO_UDP:
        net_udp_input(s, &ip, p + hlen, total - hlen);
        break;
    case IP_PROTO_TCP:
        net_tcp_input(s, &ip, p + hlen, total - hlen);
        break;
    default:
        s->stats.rx_bad_ip++;
        break;
    }
}

int net_ipv4_output(struct gk_net_stack *s, uint8_t *frame, size_t payload_len, uint32_t dst,
                    uint8_t proto)
{
    const struct gk_netif *n = s->netif;
    uint8_t *p = frame + ETH_HLEN;
    size_t total = IP_HLEN + payload_len;
    uint32_t next_hop = dst;

    if (total > net_mtu(s))
        return -XEN_EMSGSIZE;
    if (n->addr == 0 || dst == 0 || dst == n->addr || (dst >> 28) == 0xe)
        return -XEN_EADDRNOTAVAIL;
    if (!net_ipv4_is_broadcast(s, dst) && ((dst ^ n->addr) & n->netmask) != 0) {
        if (n->gateway == 0)
            return -XEN_EADDRNOTAVAIL;
        next_hop = n->gateway;
    }
    p[0] = 0x45;
    p[1] = 0;
    put16(p + 2, (uint16_t)total);
    put16(p + 4, s->ip_id++);
    put16(p + 6, 0);
    p[8] = IP_TTL;
    p[9] = proto;
    put16(p + 10, 0);
    put32(p + 12, n->addr);
    put32(p + 16, dst);
    net_csum_store(p + 10, net_csum_fold(net_sum(0, p, IP_HLEN)));
    net_eth_header(s, frame, NULL, ETH_TYPE_IPV4);
    return net_arp_output(s, frame, ETH_HLEN + total, next_hop);
}

const char *gk_ipv4_parse(const char *s, uint32_t *addr)
{
    uint32_t v = 0;

    for (int i = 0; i < 4; i++) {
        unsigned int part = 0;
        int digits = 0;

        for (; *s >= '0' && *s <= '9' && digits < 4; s++, digits++)
            part = part * 10 + (unsigned int)(*s - '0');
        if (digits == 0 || digits > 3 || part > 255 || (i < 3 && *s != '.'))
            return NULL;
        v = v << 8 | part;
        if (i < 3)
            s++;
    }
    *addr = v;
    return s;
}
