/* gso.c: cutting a large TCP frame (TSO/GSO) into MSS-sized frames in software. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "gso.h"

#define TCP_FLAG_FIN 0x01
#define TCP_FLAG_PSH 0x08
#define TCP_FLAG_CWR 0x80

int nb_gso_start(struct nb_gso *g, const uint8_t *f, size_t len, uint32_t mss, bool ipv6)
{
    memset(g, 0, sizeof(*g));
    if (mss == 0 || nb_frame_parse(f, len, &g->l4) < 0 || g->l4.proto != IPPROTO_TCP ||
        g->l4.ipv6 != ipv6)
        return -EINVAL;
    g->f = f;
    g->mss = mss;
    g->hdr_len = g->l4.l4_off + g->l4.l4_hlen;
    return 0;
}

size_t nb_gso_max_segment(const struct nb_gso *g)
{
    uint32_t payload = g->l4.end - g->hdr_len;

    return g->hdr_len + (payload < g->mss ? payload : g->mss);
}

bool nb_gso_more(const struct nb_gso *g)
{
    /* A frame without payload still makes one (header-only) segment. */
    return g->seg == 0 || g->hdr_len + g->pos < g->l4.end;
}

size_t nb_gso_next(struct nb_gso *g, uint8_t *out)
{
    const struct nb_l4 *l4 = &g->l4;
    uint32_t payload = l4->end - g->hdr_len, chunk = payload - g->pos;
    uint8_t *ip = out + l4->l3_off, *tcp = out + l4->l4_off;
    uint32_t tcp_len;
    bool last;

    if (chunk > g->mss)
        chunk = g->mss;
    last = g->pos + chunk == payload;
    memcpy(out, g->f, g->hdr_len);
    memcpy(out + g->hdr_len, g->f + g->hdr_len + g->pos, chunk);
    tcp_len = l4->l4_hlen + chunk;
    if (l4->ipv6) {
        /* The payload length covers extension headers too. */
        nb_put16(ip + 4, (uint16_t)(l4->l4_off - l4->l3_off - 40 + tcp_len));
    } else {
        nb_put16(ip + 2, (uint16_t)(l4->l4_off - l4->l3_off + tcp_len));
        nb_put16(ip + 4, (uint16_t)(nb_get16(g->f + l4->l3_off + 4) + g->seg));
        nb_put16(ip + 10, 0);
        nb_put16(ip + 10, nb_csum_fold(nb_csum_add(0, ip, l4->l4_off - l4->l3_off)));
    }
    nb_put32(tcp + 4, nb_get32(g->f + l4->l4_off + 4) + g->pos);
    if (!last)
        tcp[13] &= (uint8_t)~(TCP_FLAG_FIN | TCP_FLAG_PSH);
    if (g->seg)
        tcp[13] &= (uint8_t)~TCP_FLAG_CWR;
    nb_put16(tcp + 16, 0);
    nb_put16(tcp + 16, nb_csum_fold(nb_csum_add(nb_csum_pseudo(out, l4, tcp_len), tcp, tcp_len)));
    g->pos += chunk;
    g->seg++;
    return g->hdr_len + chunk;
}
