/* net_test_frames.h: building and checking Ethernet, ARP, IPv4, ICMP, UDP and TCP frames. */
/* SPDX-License-Identifier: MIT */
#ifndef NET_TEST_FRAMES_H
#define NET_TEST_FRAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TF_MAX 1600                     /* room for frames a little over the MTU */

/*
 * A reference Internet checksum, written the obvious 16-bit way (RFC 1071),
 * independent of the stack's: over `len` bytes plus `sum`, complemented, as
 * a number to store big-endian.
 */
uint16_t tf_csum(const uint8_t *p, size_t len, uint32_t sum);
uint32_t tf_pseudo(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len);

/* Ethernet + IPv4 headers for `payload_len` bytes at frame + 34; returns the frame length. */
size_t tf_ip(uint8_t *f, const uint8_t *dst_mac, const uint8_t *src_mac, uint32_t src,
             uint32_t dst, uint8_t proto, size_t payload_len);
/* Recomputes the IP header checksum after an edit. */
void tf_ip_fix(uint8_t *f);

size_t tf_arp(uint8_t *f, const uint8_t *eth_dst, uint16_t op, const uint8_t *sha, uint32_t spa,
              const uint8_t *tha, uint32_t tpa);
size_t tf_icmp_echo(uint8_t *f, const uint8_t *dst_mac, const uint8_t *src_mac, uint32_t src,
                    uint32_t dst, uint16_t id, uint16_t seq, const void *data, size_t len);
size_t tf_udp(uint8_t *f, const uint8_t *dst_mac, const uint8_t *src_mac, uint32_t src,
              uint32_t dst, uint16_t sport, uint16_t dport, const void *data, size_t len);

struct tf_tcp {
    uint32_t src, dst;
    uint16_t sport, dport;
    uint32_t seq, ack;
    uint8_t flags;
    uint16_t wnd;
    const uint8_t *opt;                 /* raw options, a multiple of 4 bytes */
    size_t opt_len;
    const void *data;
    size_t len;
};

size_t tf_tcp(uint8_t *f, const uint8_t *dst_mac, const uint8_t *src_mac, const struct tf_tcp *t);
/* Recomputes the TCP checksum of a frame whose IP header says how long the segment is. */
void tf_tcp_fix(uint8_t *f);

/* What the stack sent, parsed after checking every checksum and length. */
struct tf_parsed {
    uint16_t eth_type;
    uint8_t dst_mac[6];
    uint32_t src, dst;
    uint8_t proto;
    const uint8_t *l4;                  /* the IP payload */
    size_t l4_len;
    /* TCP */
    uint16_t sport, dport;
    uint32_t seq, ack;
    uint8_t flags;
    uint16_t wnd, mss;                  /* mss 0: no option */
    const uint8_t *data;
    size_t len;
};

/* Parses a frame from the stack: NULL if it is well formed, else what is wrong with it. */
const char *tf_parse(const uint8_t *f, size_t len, struct tf_parsed *p);

#endif /* NET_TEST_FRAMES_H */
