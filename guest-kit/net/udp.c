/* udp.c: UDP (RFC 768): bound ports with receive callbacks, and sendto. */
/* SPDX-License-Identifier: MIT */
#include "stack.h"

static struct net_udp_port *udp_find(struct gk_net_stack *s, uint16_t port)
{
    for (unsigned int i = 0; i < GK_NET_UDP_PORTS_MAX; i++)
        if (s->udp[i].port == port)
            return &s->udp[i];
    return NULL;
}

static bool udp_port_in_use(struct gk_net_stack *s, uint16_t port)
{
    return udp_find(s, port) != NULL;
}

int gk_udp_bind(struct gk_netif *netif, uint16_t port, gk_udp_recv_fn recv, void *arg)
{
    struct gk_net_stack *s = netif->stack;
    struct net_udp_port *slot;

    if (!recv)
        return -XEN_EINVAL;
    if (port && udp_find(s, port))
        return -XEN_EADDRINUSE;
    slot = udp_find(s, 0);
    if (!slot)
        return -XEN_ENOSPC;
    if (!port) {
        port = net_ephemeral_port(s, udp_port_in_use);
        if (!port)
            return -XEN_EADDRINUSE;
    }
    slot->port = port;
    slot->recv = recv;
    slot->arg = arg;
    return port;
}

int gk_udp_unbind(struct gk_netif *netif, uint16_t port)
{
    struct net_udp_port *slot = port ? udp_find(netif->stack, port) : NULL;

    if (!slot)
        return -XEN_ENOENT;
    slot->port = 0;
    slot->recv = NULL;
    return 0;
}

void net_udp_input(struct gk_net_stack *s, const struct net_ip_rx *ip, const uint8_t *d,
                   size_t len)
{
    struct net_udp_port *port;
    uint16_t ulen;

    if (len < UDP_HLEN) {
        s->stats.rx_bad_l4++;
        return;
    }
    ulen = get16(d + 4);
    /* The IP payload may be longer (trailing bytes are ignored), never shorter. */
    if (ulen < UDP_HLEN || ulen > len) {
        s->stats.rx_bad_l4++;
        return;
    }
    /* A zero checksum means the sender computed none (allowed over IPv4). */
    if (get16(d + 6) != 0 &&
        net_csum_fold(net_sum(net_sum_pseudo(ip->src, ip->dst, IP_PROTO_UDP, ulen), d, ulen))) {
        s->stats.rx_bad_checksum++;
        return;
    }
    port = get16(d + 2) ? udp_find(s, get16(d + 2)) : NULL;
    if (!port) {
        s->stats.udp_no_port++;
        net_icmp_port_unreachable(s, ip, len);
        return;
    }
    port->recv(s->netif, ip->src, get16(d), get16(d + 2), d + UDP_HLEN, ulen - UDP_HLEN,
               port->arg);
}

int gk_udp_sendto(struct gk_netif *netif, uint16_t src_port, uint32_t dst, uint16_t dst_port,
                  const void *data, size_t len)
{
    struct gk_net_stack *s = netif->stack;
    uint8_t frame[NET_FRAME_MAX];
    uint8_t *d = frame + NET_L4_OFF;
    uint16_t ulen, csum;

    if (!src_port || !dst_port || (len && !data))
        return -XEN_EINVAL;
    if (len > (size_t)net_mtu(s) - IP_HLEN - UDP_HLEN)
        return -XEN_EMSGSIZE;
    if (netif->addr == 0)
        return -XEN_EADDRNOTAVAIL;
    ulen = (uint16_t)(UDP_HLEN + len);
    put16(d, src_port);
    put16(d + 2, dst_port);
    put16(d + 4, ulen);
    put16(d + 6, 0);
    if (len)
        memcpy(d + UDP_HLEN, data, len);
    csum = net_csum_fold(net_sum(net_sum_pseudo(netif->addr, dst, IP_PROTO_UDP, ulen), d, ulen));
    /* 0 on the wire means "no checksum": send its other representation. */
    net_csum_store(d + 6, csum ? csum : 0xffff);
    return net_ipv4_output(s, frame, ulen, dst, IP_PROTO_UDP);
}
