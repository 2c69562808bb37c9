/* netif.c: network interfaces: set-up, Ethernet input and output, the poll loop. */
/* SPDX-License-Identifier: MIT */
#include "stack.h"

#define DEFAULT_TCP_CONNS 16u
#define DEFAULT_TCP_BUF 16384u
#define DEFAULT_TIME_WAIT_MS 2000u
#define TCP_WINDOW_MAX 65535u           /* no window scaling */
#define EPHEMERAL_FIRST 49152u
#define EPHEMERAL_COUNT 16384u

static const uint8_t broadcast_mac[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* A 64-bit mixer (splitmix64's finaliser): not cryptographic, enough to keep
 * sequence numbers and ports from being guessed by an off-path peer. */
uint64_t net_mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

int gk_netif_init(struct gk_netif *netif, const struct gk_net_config *config)
{
    struct gk_net_config cfg = { 0 };
    struct gk_net_stack *s;

    if (!netif || !netif->transmit)
        return -XEN_EINVAL;
    if (config)
        cfg = *config;
    if (netif->mtu == 0)
        netif->mtu = GK_NET_MTU_DEFAULT;
    if (netif->mtu < GK_NET_MTU_MIN || netif->mtu > GK_NET_MTU_DEFAULT)
        return -XEN_EINVAL;
    /* Our own address must be unicast: replies go to it. */
    if ((netif->mac[0] & 1) || !memcmp(netif->mac, "\0\0\0\0\0\0", 6))
        return -XEN_EINVAL;
    if (!cfg.tcp_max_conns)
        cfg.tcp_max_conns = DEFAULT_TCP_CONNS;
    if (!cfg.tcp_sndbuf)
        cfg.tcp_sndbuf = DEFAULT_TCP_BUF;
    if (!cfg.tcp_rcvbuf)
        cfg.tcp_rcvbuf = DEFAULT_TCP_BUF;
    if (!cfg.time_wait_ms)
        cfg.time_wait_ms = DEFAULT_TIME_WAIT_MS;
    if (cfg.tcp_max_conns > GK_NET_TCP_CONNS_MAX || cfg.tcp_rcvbuf > TCP_WINDOW_MAX ||
        cfg.tcp_rcvbuf < 2 * GK_NET_MTU_MIN || cfg.tcp_sndbuf > (1u << 24) ||
        cfg.tcp_sndbuf < GK_NET_MTU_MIN)
        return -XEN_EINVAL;

    s = malloc(sizeof(*s));
    if (!s)
        return -XEN_ENOMEM;
    memset(s, 0, sizeof(*s));
    s->netif = netif;
    s->cfg = cfg;
    s->secret = net_mix64(cfg.seed ^ 0x6c616d696e61ull);
    s->next_port = (uint16_t)(EPHEMERAL_FIRST + s->secret % EPHEMERAL_COUNT);
    s->ip_id = (uint16_t)(s->secret >> 16);
    /* Frame buffers are written before they are read: no need to clear them. */
    s->arp_frames = malloc(NET_ARP_ENTRIES * NET_FRAME_MAX);
    s->conns = calloc(cfg.tcp_max_conns, sizeof(*s->conns));
    if (!s->arp_frames || !s->conns) {
        free(s->arp_frames);
        free(s->conns);
        free(s);
        return -XEN_ENOMEM;
    }
    for (unsigned int i = 0; i < NET_ARP_ENTRIES; i++)
        s->arp[i].queued = s->arp_frames + i * NET_FRAME_MAX;
    netif->stack = s;
    return 0;
}

void gk_netif_destroy(struct gk_netif *netif)
{
    struct gk_net_stack *s = netif ? netif->stack : NULL;

    if (!s)
        return;
    net_tcp_destroy(s);
    free(s->conns);
    free(s->arp_frames);
    free(s);
    netif->stack = NULL;
}

const struct gk_net_stats *gk_net_stats(const struct gk_netif *netif)
{
    return &netif->stack->stats;
}

void gk_net_input(struct gk_netif *netif, const void *frame, size_t len)
{
    struct gk_net_stack *s = netif->stack;
    const uint8_t *f = frame;

    if (!s)
        return;
    s->stats.rx_frames++;
    if (len < ETH_HLEN || !f) {
        s->stats.rx_bad_frame++;
        return;
    }
    /* Unicast to us or broadcast; no multicast; the source must be a station. */
    if ((memcmp(f, netif->mac, 6) && memcmp(f, broadcast_mac, 6)) || (f[6] & 1)) {
        s->stats.rx_bad_frame++;
        return;
    }
    switch (get16(f + 12)) {
    case ETH_TYPE_IPV4:
        net_ipv4_input(s, f + ETH_HLEN, len - ETH_HLEN);
        break;
    case ETH_TYPE_ARP:
        net_arp_input(s, f + ETH_HLEN, len - ETH_HLEN);
        break;
    default:
        s->stats.rx_bad_frame++;
        break;
    }
    net_tcp_reap(s);
}

uint64_t gk_net_poll(struct gk_netif *netif, uint64_t now_ms)
{
    struct gk_net_stack *s = netif->stack;
    uint64_t next, tcp_next;

    if (!s)
        return UINT64_MAX;
    /* A clock that goes backwards would stall every timer: ignore it. */
    if (now_ms > s->now_ms)
        s->now_ms = now_ms;
    next = net_arp_poll(s);
    tcp_next = net_tcp_poll(s);
    net_tcp_reap(s);
    return tcp_next < next ? tcp_next : next;
}

void net_eth_header(struct gk_net_stack *s, uint8_t *frame, const uint8_t *dst, uint16_t type)
{
    if (dst)
        memcpy(frame, dst, 6);
    memcpy(frame + 6, s->netif->mac, 6);
    put16(frame + 12, type);
}

int net_eth_transmit(struct gk_net_stack *s, uint8_t *frame, size_t len)
{
    int rc;

    /* Every caller's buffer is NET_FRAME_MAX bytes, so short frames pad in place. */
    if (len < ETH_ZLEN) {
        memset(frame + len, 0, ETH_ZLEN - len);
        len = ETH_ZLEN;
    }
    rc = s->netif->transmit(s->netif, frame, len);
    if (rc < 0)
        s->stats.tx_errors++;
    else
        s->stats.tx_frames++;
    return rc < 0 ? rc : 0;
}

uint16_t net_ephemeral_port(struct gk_net_stack *s,
                            bool (*in_use)(struct gk_net_stack *, uint16_t))
{
    for (unsigned int i = 0; i < EPHEMERAL_COUNT; i++) {
        uint16_t port = s->next_port;
        uint32_t next = port + 1u;

        s->next_port = (uint16_t)(next < EPHEMERAL_FIRST + EPHEMERAL_COUNT ? next :
                                  EPHEMERAL_FIRST);
        if (!in_use(s, port))
            return port;
    }
    return 0;
}
