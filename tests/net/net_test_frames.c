/* net_test_frames.c: building and checking frames for the net tests (see net_test_frames.h). */
/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "net_test_frames.h"

static void w16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void w32(uint8_t *p, uint32_t v)
{
    w16(p, (uint16_t)(v >> 16));
    w16(p + 2, (uint16_t)v);
}

static uint16_t r16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t r32(const uint8_t *p)
{
    return (uint32_t)r16(p) << 16 | r16(p + 2);
}

uint16_t tf_csum(const uint8_t *p, size_t len, uint32_t sum)
{
    size_t i;

    for (i = 0; i + 1 < len; i += 2)
        sum += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (len & 1)
        sum += (uint32_t)p[len - 1] << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

uint32_t tf_pseudo(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len)
{
    return (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + proto + len;
}

size_t tf_ip(uint8_t *f, const uint8_t *dst_mac, const uint8_t *src_mac, uint32_t src,
             uint32_t dst, uint8_t proto, size_t payload_len)
{
    uint8_t *ip = f + 14;

    memcpy(f, dst_mac, 6);
    memcpy(f + 6, src_mac, 6);
    w16(f + 12, 0x0800);
    ip[0] = 0x45;
    ip[1] = 0;
    w16(ip + 2, (uint16_t)(20 + payload_len));
    w16(ip + 4, 0x1234);
    w16(ip + 6, 0x4000);                /* DF, as Linux sends */
    ip[8] = 64;
    ip[9] = proto;
    w32(ip + 12, src);
    w32(ip + 16, dst);
    tf_ip_fix(f);
    return 34 + payload_len;
}

void tf_ip_fix(uint8_t *f)
{
    uint8_t *ip = f + 14;
    size_t hlen = (size_t)(ip[0] & 0xf) * 4;

    w16(ip + 10, 0);
    w16(ip + 10, tf_csum(ip, hlen, 0));
}

size_t tf_arp(uint8_t *f, const uint8_t *eth_dst, uint16_t op, const uint8_t *sha, uint32_t spa,
              const uint8_t *tha, uint32_t tpa)
{
    uint8_t *a = f + 14;

    memcpy(f, eth_dst, 6);
    memcpy(f + 6, sha, 6);
    w16(f + 12, 0x0806);
    w16(a, 1);
    w16(a + 2, 0x0800);
    a[4] = 6;
    a[5] = 4;
    w16(a + 6, op);
    memcpy(a + 8, sha, 6);
    w32(a + 14, spa);
    memcpy(a + 18, tha, 6);
    w32(a + 24, tpa);
    return 42;
}

size_t tf_icmp_echo(uint8_t *f, const uint8_t *dst_mac, const uint8_t *src_mac, uint32_t src,
                    uint32_t dst, uint16_t id, uint16_t seq, const void *data, size_t len)
{
    uint8_t *m = f + 34;

    m[0] = 8;
    m[1] = 0;
    w16(m + 2, 0);
    w16(m + 4, id);
    w16(m + 6, seq);
    memcpy(m + 8, data, len);
    w16(m + 2, tf_csum(m, 8 + len, 0));
    return tf_ip(f, dst_mac, src_mac, src, dst, 1, 8 + len);
}

size_t tf_udp(uint8_t *f, const uint8_t *dst_mac, const uint8_t *src_mac, uint32_t src,
              uint32_t dst, uint16_t sport, uint16_t dport, const void *data, size_t len)
{
    uint8_t *u = f + 34;
    uint16_t ulen = (uint16_t)(8 + len);
    uint16_t csum;

    w16(u, sport);
    w16(u + 2, dport);
    w16(u + 4, ulen);
    w16(u + 6, 0);
    memcpy(u + 8, data, len);
    csum = tf_csum(u, ulen, tf_pseudo(src, dst, 17, ulen));
    w16(u + 6, csum ? csum : 0xffff);
    return tf_ip(f, dst_mac, src_mac, src, dst, 17, ulen);
}

size_t tf_tcp(uint8_t *f, const uint8_t *dst_mac, const uint8_t *src_mac, const struct tf_tcp *t)
{
    uint8_t *h = f + 34;
    size_t hlen = 20 + t->opt_len;
    size_t total = tf_ip(f, dst_mac, src_mac, t->src, t->dst, 6, hlen + t->len);

    w16(h, t->sport);
    w16(h + 2, t->dport);
    w32(h + 4, t->seq);
    w32(h + 8, t->ack);
    h[12] = (uint8_t)((hlen / 4) << 4);
    h[13] = t->flags;
    w16(h + 14, t->wnd);
    w16(h + 16, 0);
    w16(h + 18, 0);
    if (t->opt_len)
        memcpy(h + 20, t->opt, t->opt_len);
    if (t->len)
        memcpy(h + hlen, t->data, t->len);
    tf_tcp_fix(f);
    return total;
}

void tf_tcp_fix(uint8_t *f)
{
    uint8_t *ip = f + 14;
    size_t ihl = (size_t)(ip[0] & 0xf) * 4;
    uint16_t len = (uint16_t)(r16(ip + 2) - ihl);
    uint8_t *h = ip + ihl;

    w16(h + 16, 0);
    w16(h + 16, tf_csum(h, len, tf_pseudo(r32(ip + 12), r32(ip + 16), 6, len)));
}

const char *tf_parse(const uint8_t *f, size_t len, struct tf_parsed *p)
{
    const uint8_t *ip = f + 14;
    size_t ihl, total, doff;

    memset(p, 0, sizeof(*p));
    if (len < 60)
        return "frame shorter than 60 bytes";
    memcpy(p->dst_mac, f, 6);
    p->eth_type = r16(f + 12);
    if (p->eth_type == 0x0806)
        return NULL;
    if (p->eth_type != 0x0800)
        return "unknown ethertype";
    ihl = (size_t)(ip[0] & 0xf) * 4;
    total = r16(ip + 2);
    if (ip[0] >> 4 != 4 || ihl != 20 || total < ihl || total + 14 > len)
        return "bad IP header or length";
    if (total > 1500)
        return "IP packet larger than the MTU";
    if (tf_csum(ip, ihl, 0) != 0)
        return "bad IP checksum";
    if (r16(ip + 6) & 0x3fff)
        return "fragment";
    p->src = r32(ip + 12);
    p->dst = r32(ip + 16);
    p->proto = ip[9];
    p->l4 = ip + ihl;
    p->l4_len = total - ihl;
    switch (p->proto) {
    case 1:
        if (p->l4_len < 8 || tf_csum(p->l4, p->l4_len, 0) != 0)
            return "bad ICMP length or checksum";
        return NULL;
    case 17:
        if (p->l4_len < 8 || r16(p->l4 + 4) != p->l4_len)
            return "bad UDP length";
        if (r16(p->l4 + 6) == 0)
            return "UDP without checksum";
        if (tf_csum(p->l4, p->l4_len, tf_pseudo(p->src, p->dst, 17, (uint16_t)p->l4_len)))
            return "bad UDP checksum";
        p->sport = r16(p->l4);
        p->dport = r16(p->l4 + 2);
        p->data = p->l4 + 8;
        p->len = p->l4_len - 8;
        return NULL;
    case 6:
        break;
    default:
        return "unknown IP protocol";
    }
    if (p->l4_len < 20)
        return "TCP segment shorter than its header";
    doff = (size_t)(p->l4[12] >> 4) * 4;
    if (doff < 20 || doff > p->l4_len)
        return "bad TCP data offset";
    if (tf_csum(p->l4, p->l4_len, tf_pseudo(p->src, p->dst, 6, (uint16_t)p->l4_len)))
        return "bad TCP checksum";
    p->sport = r16(p->l4);
    p->dport = r16(p->l4 + 2);
    p->seq = r32(p->l4 + 4);
    p->ack = r32(p->l4 + 8);
    p->flags = p->l4[13];
    p->wnd = r16(p->l4 + 14);
    if (doff == 24 && p->l4[20] == 2 && p->l4[21] == 4)
        p->mss = r16(p->l4 + 22);
    else if (doff != 20)
        return "unexpected TCP options";
    p->data = p->l4 + doff;
    p->len = p->l4_len - doff;
    return NULL;
}
