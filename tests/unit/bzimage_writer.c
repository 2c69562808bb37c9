/* bzimage_writer.c: wraps an ELF kernel into a Linux-style bzImage for loader tests. */
/* SPDX-License-Identifier: MIT */
#include <lzma.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "bzimage_writer.h"

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);

    if (!p)
        abort();
    return p;
}

static uint8_t *gzip_compress(const void *data, size_t len, size_t *out_len)
{
    z_stream s;
    size_t cap = len + len / 8 + 1024;
    uint8_t *out = xmalloc(cap);

    memset(&s, 0, sizeof(s));
    /* windowBits 16 + 15: a gzip wrapper, as the kernel's build writes. */
    if (deflateInit2(&s, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        abort();
    s.next_in = (Bytef *)data;
    s.avail_in = (uInt)len;
    s.next_out = out;
    s.avail_out = (uInt)cap;
    if (deflate(&s, Z_FINISH) != Z_STREAM_END)
        abort();
    *out_len = s.total_out;
    deflateEnd(&s);
    return out;
}

static uint8_t *xz_compress(const void *data, size_t len, size_t *out_len)
{
    size_t cap = lzma_stream_buffer_bound(len), pos = 0;
    uint8_t *out = xmalloc(cap);

    if (lzma_easy_buffer_encode(1, LZMA_CHECK_CRC32, NULL, data, len, out, &pos, cap) != LZMA_OK)
        abort();
    *out_len = pos;
    return out;
}

static uint8_t *zstd_compress(const void *data, size_t len, size_t *out_len)
{
    size_t cap = ZSTD_compressBound(len);
    uint8_t *out = xmalloc(cap);
    size_t n = ZSTD_compress(out, cap, data, len, 3);

    if (ZSTD_isError(n))
        abort();
    *out_len = n;
    return out;
}

uint8_t *bzw_compress(enum bzw_format f, const void *data, size_t len, size_t *out_len)
{
    switch (f) {
    case BZW_GZIP:
        return gzip_compress(data, len, out_len);
    case BZW_XZ:
        return xz_compress(data, len, out_len);
    default:
        return zstd_compress(data, len, out_len);
    }
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)v);
    put16(p + 2, (uint16_t)(v >> 16));
}

uint8_t *bzw_build(const void *payload, size_t payload_len, unsigned int setup_sects,
                   size_t *size)
{
    size_t setup = ((setup_sects ? setup_sects : 4) + 1) * 512u;
    uint8_t *img = xmalloc(setup + payload_len);

    memset(img, 0, setup);
    img[BZW_SETUP_SECTS] = (uint8_t)setup_sects;
    put16(img + 0x1fe, 0xaa55);
    memcpy(img + BZW_MAGIC, "HdrS", 4);
    put16(img + BZW_VERSION, 0x020f);
    put32(img + BZW_PAYLOAD_OFFSET, 0);
    put32(img + BZW_PAYLOAD_LENGTH, (uint32_t)payload_len);
    memcpy(img + setup, payload, payload_len);
    *size = setup + payload_len;
    return img;
}

uint8_t *bzw_wrap(enum bzw_format f, const void *elf, size_t elf_len, size_t *size)
{
    size_t clen;
    uint8_t *c = bzw_compress(f, elf, elf_len, &clen);
    uint8_t *img = bzw_build(c, clen, 1, size);

    free(c);
    return img;
}

uint8_t *bzw_zstd_zeroes(uint64_t len, size_t *out_len)
{
    static const uint8_t zeroes[1 << 16];
    ZSTD_CCtx *cc = ZSTD_createCCtx();
    size_t cap = 1 << 20, pos = 0;
    uint8_t *out = xmalloc(cap);

    if (!cc)
        abort();
    ZSTD_CCtx_setParameter(cc, ZSTD_c_compressionLevel, 1);
    for (;;) {
        size_t chunk = len > sizeof(zeroes) ? sizeof(zeroes) : (size_t)len;
        ZSTD_inBuffer in = { zeroes, chunk, 0 };
        ZSTD_EndDirective end = chunk == len ? ZSTD_e_end : ZSTD_e_continue;
        size_t left;

        do {
            ZSTD_outBuffer ob;

            if (cap - pos < 4096) {
                cap *= 2;
                out = realloc(out, cap);
                if (!out)
                    abort();
            }
            ob = (ZSTD_outBuffer){ out + pos, cap - pos, 0 };
            left = ZSTD_compressStream2(cc, &ob, &in, end);
            if (ZSTD_isError(left))
                abort();
            pos += ob.pos;
        } while (in.pos < in.size || (end == ZSTD_e_end && left));
        len -= chunk;
        if (end == ZSTD_e_end)
            break;
    }
    ZSTD_freeCCtx(cc);
    *out_len = pos;
    return out;
}
