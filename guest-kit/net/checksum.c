/* checksum.c: the Internet checksum (RFC 1071) in general-register code. */
/* SPDX-License-Identifier: MIT */
#include "stack.h"

/*
 * Because 2^16 == 1 modulo 0xffff, summing 64-bit words (with their carries)
 * and folding at the end gives the same result as summing 16-bit words, at
 * a quarter of the instructions, which is what counts under KVM's
 * instruction emulator. The carries are counted apart so that gcc emits one
 * add and one adc per word.
 */
static inline uint64_t add_carry(uint64_t acc, uint64_t v)
{
    acc += v;
    return acc + (acc < v);
}

uint64_t net_sum(uint64_t acc, const void *data, size_t len)
{
    const uint8_t *p = data;
    uint64_t carries = 0;

    while (len >= 64) {
        carries += __builtin_add_overflow(acc, *(const net_una64 *)p, &acc);
        carries += __builtin_add_overflow(acc, *(const net_una64 *)(p + 8), &acc);
        carries += __builtin_add_overflow(acc, *(const net_una64 *)(p + 16), &acc);
        carries += __builtin_add_overflow(acc, *(const net_una64 *)(p + 24), &acc);
        carries += __builtin_add_overflow(acc, *(const net_una64 *)(p + 32), &acc);
        carries += __builtin_add_overflow(acc, *(const net_una64 *)(p + 40), &acc);
        carries += __builtin_add_overflow(acc, *(const net_una64 *)(p + 48), &acc);
        carries += __builtin_add_overflow(acc, *(const net_una64 *)(p + 56), &acc);
        p += 64;
        len -= 64;
    }
    while (len >= 8) {
        carries += __builtin_add_overflow(acc, *(const net_una64 *)p, &acc);
        p += 8;
        len -= 8;
    }
    acc = add_carry(acc, carries);
    if (len >= 4) {
        acc = add_carry(acc, *(const net_una32 *)p);
        p += 4;
        len -= 4;
    }
    if (len >= 2) {
        acc = add_carry(acc, *(const net_una16 *)p);
        p += 2;
        len -= 2;
    }
    /* A trailing odd byte is the first byte of a zero-padded word: its low byte, loaded
     * little-endian. */
    if (len)
        acc = add_carry(acc, *p);
    return acc;
}

uint64_t net_sum_pseudo(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len)
{
    uint8_t ph[12];

    put32(ph, src);
    put32(ph + 4, dst);
    ph[8] = 0;
    ph[9] = proto;
    put16(ph + 10, len);
    return net_sum(0, ph, sizeof(ph));
}

uint16_t net_csum_fold(uint64_t acc)
{
    acc = (acc & 0xffffffffu) + (acc >> 32);
    acc = (acc & 0xffffffffu) + (acc >> 32);
    acc = (acc & 0xffffu) + (acc >> 16);
    acc = (acc & 0xffffu) + (acc >> 16);
    return (uint16_t)~acc;
}
