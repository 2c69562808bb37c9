/* gso.h: cutting a large TCP frame (TSO/GSO) into MSS-sized frames in software. */
/* SPDX-License-Identifier: MIT */
#ifndef NETBACK_GSO_H
#define NETBACK_GSO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "frame.h"

/*
 * Used when a frame carries more TCP payload than its receiver accepts in
 * one piece (a frontend without feature-gso-tcpv4/6 or feature-sg). Each
 * segment gets the original headers with the IP length (and IPv4 id and
 * header checksum), the TCP sequence number and flags adjusted, and a
 * complete TCP checksum: what a NIC doing TSO would put on the wire.
 */
struct nb_gso {
    const uint8_t *f;
    struct nb_l4 l4;
    uint32_t hdr_len;       /* Ethernet + IP + TCP headers, copied into every segment */
    uint32_t mss;
    uint32_t pos;           /* next payload byte */
    uint32_t seg;           /* segments produced */
};

/*
 * Start cutting frame f (len bytes) into segments of at most mss payload
 * bytes. The frame must be TCP over IPv6 when ipv6, else over IPv4.
 * Returns 0, or -EINVAL (not such a TCP frame, mss 0).
 */
int nb_gso_start(struct nb_gso *g, const uint8_t *f, size_t len, uint32_t mss, bool ipv6);

/* Largest segment nb_gso_next() writes for this frame. */
size_t nb_gso_max_segment(const struct nb_gso *g);

/* Whether another segment is left. */
bool nb_gso_more(const struct nb_gso *g);

/* Write the next segment into out (nb_gso_max_segment() bytes of room); returns its length. */
size_t nb_gso_next(struct nb_gso *g, uint8_t *out);

#endif /* NETBACK_GSO_H */
