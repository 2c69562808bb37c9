/* pattern.h: blk-verify's sector stamps, also read by the host-side checker of the tests. */
/* SPDX-License-Identifier: MIT */
#ifndef BLK_VERIFY_PATTERN_H
#define BLK_VERIFY_PATTERN_H

#include <stdint.h>

/*
 * Every 512-byte sector blk-verify writes holds 64 little-endian 64-bit
 * words: [0] the sector's number, [1] the run's tag, [2..63] a body that
 * depends on the tag only. A sector in the wrong place, from another run
 * or torn shows in its first two words; the body being the same in every
 * sector lets the guest build a whole buffer with string moves and check
 * one with a single compare, never touching data byte by byte.
 */
#define BLKV_SECTOR_BYTES   512u
#define BLKV_WORDS          (BLKV_SECTOR_BYTES / 8u)

static inline uint64_t blkv_body_word(uint64_t tag, unsigned int i)
{
    return (tag * 0x9e3779b97f4a7c15ull) ^ ((uint64_t)i * 0x0101010101010101ull) ^
           0x6c616d696e61ull;
}

/* One whole sector: header and body. */
static inline void blkv_fill_sector(uint64_t *w, uint64_t sector, uint64_t tag)
{
    w[0] = sector;
    w[1] = tag;
    for (unsigned int i = 2; i < BLKV_WORDS; i++)
        w[i] = blkv_body_word(tag, i);
}

/* The header only, over a buffer whose bodies are filled already. */
static inline void blkv_stamp(uint64_t *w, uint64_t first_sector, uint64_t count, uint64_t tag)
{
    for (uint64_t s = 0; s < count; s++, w += BLKV_WORDS) {
        w[0] = first_sector + s;
        w[1] = tag;
    }
}

#endif /* BLK_VERIFY_PATTERN_H */
