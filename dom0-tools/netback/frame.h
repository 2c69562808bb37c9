/* frame.h: Ethernet frames: finding the IP and TCP/UDP headers, Internet checksums. */
/* SPDX-License-Identifier: MIT */
#ifndef NETBACK_FRAME_H
#define NETBACK_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NB_ETH_HLEN 14
#define NB_ETH_ALEN 6

/*
 * Where a frame's transport header is. Every offset has been checked
 * against the frame's length and the IP header's own length: a caller may
 * touch f[0 .. end) without further checks.
 */
struct nb_l4 {
    uint32_t l3_off;        /* IP header */
    uint32_t l4_off;        /* TCP/UDP header (after any IPv6 extension headers) */
    uint32_t l4_len;        /* TCP/UDP header and payload, as the IP header says */
    uint32_t l4_hlen;       /* TCP header with options, or 8 for UDP */
    uint32_t end;           /* l4_off + l4_len: bytes after it are Ethernet padding */
    uint8_t csum_off;       /* checksum field within the TCP/UDP header */
    uint8_t proto;          /* IPPROTO_TCP or IPPROTO_UDP */
    bool ipv6;
};

/*
 * Find the TCP or UDP header of an IPv4 or IPv6 packet in an Ethernet frame
 * (with up to two VLAN tags). 0, or -EPROTONOSUPPORT for anything else
 * (not IP, another protocol, a fragment), -EINVAL for malformed headers.
 */
int nb_frame_parse(const uint8_t *f, size_t len, struct nb_l4 *l4);

/* Ones' complement sum of len bytes as big-endian 16-bit words, added to sum. */
uint32_t nb_csum_add(uint32_t sum, const void *data, size_t len);
/* The 16-bit ones' complement of a sum, as a host number. */
uint16_t nb_csum_fold(uint32_t sum);

/* Sum of the TCP/UDP pseudo-header for l4_len bytes of transport data. */
uint32_t nb_csum_pseudo(const uint8_t *f, const struct nb_l4 *l4, uint32_t l4_len);

/*
 * Prepare a partial checksum as Linux's CHECKSUM_PARTIAL expects it: the
 * field holds the folded pseudo-header sum, and whoever finishes the job
 * sums from the transport header to the end.
 */
void nb_csum_set_partial(uint8_t *f, const struct nb_l4 *l4);

/*
 * Finish a partial checksum: sum f[start .. len) and store the result at
 * start + off. -EINVAL if the field is not inside the frame.
 */
int nb_csum_complete(uint8_t *f, size_t len, size_t start, size_t off);

/* Whether the transport checksum of a parsed frame is right (for tests and checks). */
bool nb_csum_verify(const uint8_t *f, const struct nb_l4 *l4);

static inline uint16_t nb_get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void nb_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline uint32_t nb_get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void nb_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

#endif /* NETBACK_FRAME_H */
