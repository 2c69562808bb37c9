/* frame.c: Ethernet frames: finding the IP and TCP/UDP headers, Internet checksums. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "frame.h"

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd
#define ETHERTYPE_VLAN 0x8100
#define ETHERTYPE_QINQ 0x88a8
#define MAX_VLAN_TAGS 2
#define MAX_IPV6_EXT_HEADERS 8

/* IPv6 extension headers that may sit before the transport header (hop-by-hop, routing, dest). */
static bool ipv6_skippable(uint8_t nh)
{
    return nh == 0 || nh == 43 || nh == 60;
}

int nb_frame_parse(const uint8_t *f, size_t len, struct nb_l4 *l4)
{
    size_t off = NB_ETH_HLEN, l4_off, end;
    uint16_t type;
    uint8_t proto;

    memset(l4, 0, sizeof(*l4));
    if (len < NB_ETH_HLEN)
        return -EINVAL;
    type = nb_get16(f + 12);
    for (unsigned int tags = 0;
         (type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ) && tags < MAX_VLAN_TAGS; tags++) {
        if (len < off + 4)
            return -EINVAL;
        type = nb_get16(f + off + 2);
        off += 4;
    }
    if (type == ETHERTYPE_IPV4) {
        const uint8_t *ip = f + off;
        size_t ihl, total;

        if (len < off + 20 || ip[0] >> 4 != 4)
            return -EINVAL;
        ihl = (size_t)(ip[0] & 15) * 4;
        total = nb_get16(ip + 2);
        if (ihl < 20 || total < ihl || off + total > len)
            return -EINVAL;
        /* More fragments, or not the first one: there is no whole transport packet to sum. */
        if (nb_get16(ip + 6) & 0x3fff)
            return -EPROTONOSUPPORT;
        proto = ip[9];
        l4_off = off + ihl;
        end = off + total;
    } else if (type == ETHERTYPE_IPV6) {
        const uint8_t *ip = f + off;
        unsigned int n;

        if (len < off + 40 || ip[0] >> 4 != 6)
            return -EINVAL;
        end = off + 40 + nb_get16(ip + 4);
        if (end > len)
            return -EINVAL;
        if (end == off + 40)
            return -EPROTONOSUPPORT;        /* no payload, or a jumbogram */
        proto = ip[6];
        l4_off = off + 40;
        for (n = 0; n < MAX_IPV6_EXT_HEADERS && ipv6_skippable(proto); n++) {
            if (l4_off + 8 > end)
                return -EINVAL;
            proto = f[l4_off];
            l4_off += ((size_t)f[l4_off + 1] + 1) * 8;
            if (l4_off > end)
                return -EINVAL;
        }
        if (ipv6_skippable(proto))
            return -EPROTONOSUPPORT;
        l4->ipv6 = true;
    } else {
        return -EPROTONOSUPPORT;
    }
    l4->l3_off = (uint32_t)off;
    l4->l4_off = (uint32_t)l4_off;
    l4->l4_len = (uint32_t)(end - l4_off);
    l4->end = (uint32_t)end;
    l4->proto = proto;
    if (proto == IPPROTO_TCP) {
        if (end - l4_off < 20)
            return -EINVAL;
        l4->l4_hlen = (uint32_t)(f[l4_off + 12] >> 4) * 4;
        if (l4->l4_hlen < 20 || l4->l4_hlen > end - l4_off)
            return -EINVAL;
        l4->csum_off = 16;
    } else if (proto == IPPROTO_UDP) {
        if (end - l4_off < 8)
            return -EINVAL;
        l4->l4_hlen = 8;
        l4->csum_off = 6;
    } else {
        return -EPROTONOSUPPORT;
    }
    return 0;
}

/*
 * Summing native 64-bit words is the same ones' complement arithmetic as
 * summing big-endian 16-bit words, up to a byte swap of the folded result
 * on little-endian hosts (2^16 - 1 divides 2^64 - 1, so the wider carries
 * fold the same way).
 */
uint32_t nb_csum_add(uint32_t sum, const void *data, size_t len)
{
    const uint8_t *p = data;
    uint64_t acc = 0, w;
    uint16_t h;

    while (len >= 8) {
        memcpy(&w, p, 8);
        acc += w;
        acc += acc < w;
        p += 8;
        len -= 8;
    }
    while (len >= 2) {
        memcpy(&h, p, 2);
        acc += h;
        acc += acc < h;
        p += 2;
        len -= 2;
    }
    if (len) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        w = p[0];
#else
        w = (uint64_t)p[0] << 8;
#endif
        acc += w;
        acc += acc < w;
    }
    acc = (acc & 0xffffffffu) + (acc >> 32);
    acc = (acc & 0xffffffffu) + (acc >> 32);
    acc = (acc & 0xffff) + (acc >> 16);
    acc = (acc & 0xffff) + (acc >> 16);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    acc = ((acc & 0xff) << 8) | (acc >> 8);
#endif
    return sum + (uint32_t)acc;
}

uint16_t nb_csum_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

uint32_t nb_csum_pseudo(const uint8_t *f, const struct nb_l4 *l4, uint32_t l4_len)
{
    const uint8_t *ip = f + l4->l3_off;
    uint32_t sum;

    if (l4->ipv6)
        sum = nb_csum_add(0, ip + 8, 32);
    else
        sum = nb_csum_add(0, ip + 12, 8);
    return sum + l4->proto + (l4_len >> 16) + (l4_len & 0xffff);
}

void nb_csum_set_partial(uint8_t *f, const struct nb_l4 *l4)
{
    nb_put16(f + l4->l4_off + l4->csum_off,
             (uint16_t)~nb_csum_fold(nb_csum_pseudo(f, l4, l4->l4_len)));
}

int nb_csum_complete(uint8_t *f, size_t len, size_t start, size_t off)
{
    uint16_t c;

    if (start >= len || off > len - start || len - start - off < 2)
        return -EINVAL;
    c = nb_csum_fold(nb_csum_add(0, f + start, len - start));
    /* A computed zero is sent as all ones (UDP reserves zero for "no checksum"). */
    nb_put16(f + start + off, c ? c : 0xffff);
    return 0;
}

bool nb_csum_verify(const uint8_t *f, const struct nb_l4 *l4)
{
    uint32_t sum;

    if (l4->proto == IPPROTO_UDP && !l4->ipv6 && nb_get16(f + l4->l4_off + 6) == 0)
        return true;
    sum = nb_csum_add(nb_csum_pseudo(f, l4, l4->l4_len), f + l4->l4_off, l4->l4_len);
    return nb_csum_fold(sum) == 0;
}
