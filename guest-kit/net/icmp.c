/* icmp.c: ICMP: echo replies and (rate-limited) port unreachables; other messages are ignored. */
/* SPDX-License-Identifier: MIT */
#include "stack.h"

#define ICMP_HLEN 8
#define ICMP_ECHO_REPLY 0
#define ICMP_UNREACHABLE 3
#define ICMP_PORT_UNREACHABLE 3
#define ICMP_ECHO_REQUEST 8
#define ICMP_ERRORS_PER_SEC 10u

void net_icmp_input(struct gk_net_stack *s, const struct net_ip_rx *ip, const uint8_t *msg,
                    size_t len)
{
    uint8_t frame[NET_FRAME_MAX];
    uint8_t *reply = frame + NET_L4_OFF;

    if (len < ICMP_HLEN) {
        s->stats.rx_bad_l4++;
        return;
    }
    if (net_csum_fold(net_sum(0, msg, len)) != 0) {
        s->stats.rx_bad_checksum++;
        return;
    }
    /* No replies to broadcasts (RFC 1122 3.2.2.6 allows silence; it avoids
     * amplification), nor to requests larger than our reply could be. */
    if (msg[0] != ICMP_ECHO_REQUEST || msg[1] != 0 || ip->broadcast)
        return;
    if (IP_HLEN + len > net_mtu(s)) {
        s->stats.rx_bad_l4++;
        return;
    }
    memcpy(reply, msg, len);
    reply[0] = ICMP_ECHO_REPLY;
    put16(reply + 2, 0);
    net_csum_store(reply + 2, net_csum_fold(net_sum(0, reply, len)));
    if (net_ipv4_output(s, frame, len, ip->src, IP_PROTO_ICMP) == 0)
        s->stats.icmp_echo_replies++;
}

void net_icmp_port_unreachable(struct gk_net_stack *s, const struct net_ip_rx *ip,
                               size_t ip_payload_len)
{
    uint8_t frame[NET_FRAME_MAX];
    uint8_t *msg = frame + NET_L4_OFF;
    size_t quote = ip->hdr_len + (ip_payload_len < 8 ? ip_payload_len : 8);

    if (ip->broadcast)
        return;
    if (s->now_ms - s->icmp_window_ms >= 1000) {
        s->icmp_window_ms = s->now_ms;
        s->icmp_sent = 0;
    }
    if (s->icmp_sent >= ICMP_ERRORS_PER_SEC)
        return;
    /* RFC 792: the offending header and the first 8 bytes of its payload;
     * hdr_len is at most 60, so this always fits. */
    s->icmp_sent++;
    msg[0] = ICMP_UNREACHABLE;
    msg[1] = ICMP_PORT_UNREACHABLE;
    memset(msg + 2, 0, 6);
    memcpy(msg + ICMP_HLEN, ip->hdr, quote);
    net_csum_store(msg + 2, net_csum_fold(net_sum(0, msg, ICMP_HLEN + quote)));
    if (net_ipv4_output(s, frame, ICMP_HLEN + quote, ip->src, IP_PROTO_ICMP) == 0)
        s->stats.icmp_unreachables++;
}
