/* bzimage.c: finding the ELF kernel inside a Linux bzImage (as Debian ships it). */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <lzma.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "bzimage.h"

/*
 * A bzImage is real-mode setup code followed by a compressed "payload":
 * since boot protocol 2.08 the setup header says where the payload is, and
 * the payload is the kernel's ELF image (with its Xen notes), compressed
 * with one of several formats.  Xen's toolstack unpacks it the same way to
 * boot Linux as a PVH guest.  Everything below is bounded: offsets are
 * checked against the file and decompression stops at BZIMAGE_MAX_ELF.
 */

#define SETUP_SECTS_OFF     0x1f1
#define HDR_MAGIC_OFF       0x202
#define HDR_VERSION_OFF     0x206
#define PAYLOAD_OFF_OFF     0x248
#define PAYLOAD_LEN_OFF     0x24c
#define MIN_VERSION         0x208

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -ENOEXEC;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

bool bzimage_detect(const uint8_t *data, size_t size)
{
    return size > PAYLOAD_LEN_OFF + 4 && !memcmp(data + HDR_MAGIC_OFF, "HdrS", 4);
}

/* A growing output buffer that refuses to pass BZIMAGE_MAX_ELF. */
struct out {
    uint8_t *buf;
    size_t len, cap;
};

static int out_reserve(struct out *o, size_t want)
{
    size_t cap = o->cap ? o->cap : 16u << 20;
    uint8_t *p;

    if (want <= o->cap)
        return 0;
    while (cap < want)
        cap *= 2;
    if (cap > BZIMAGE_MAX_ELF)
        cap = BZIMAGE_MAX_ELF;
    if (cap < want)
        return -EFBIG;
    p = realloc(o->buf, cap);
    if (!p)
        return -ENOMEM;
    o->buf = p;
    o->cap = cap;
    return 0;
}

static int unxz(const uint8_t *in, size_t in_len, struct out *o)
{
    lzma_stream s = LZMA_STREAM_INIT;
    lzma_ret r;
    int rc = 0;

    /*
     * One stream: the kernel build appends the unpacked size after it.  The
     * decoder's own memory is bounded too (kernels use small dictionaries).
     */
    if (lzma_stream_decoder(&s, 256u << 20, 0) != LZMA_OK)
        return -ENOMEM;
    s.next_in = in;
    s.avail_in = in_len;
    do {
        if ((rc = out_reserve(o, o->len + (1u << 20))) < 0)
            break;
        s.next_out = o->buf + o->len;
        s.avail_out = o->cap - o->len;
        r = lzma_code(&s, LZMA_FINISH);
        o->len = o->cap - s.avail_out;
        if (r != LZMA_OK && r != LZMA_STREAM_END)
            rc = -EINVAL;
    } while (!rc && r == LZMA_OK);
    lzma_end(&s);
    return rc;
}

static int gunzip(const uint8_t *in, size_t in_len, struct out *o)
{
    z_stream s;
    int r, rc = 0;

    memset(&s, 0, sizeof(s));
    if (inflateInit2(&s, 16 + MAX_WBITS) != Z_OK)
        return -ENOMEM;
    s.next_in = (Bytef *)in;
    s.avail_in = (uInt)(in_len > UINT32_MAX ? UINT32_MAX : in_len);
    do {
        if ((rc = out_reserve(o, o->len + (1u << 20))) < 0)
            break;
        s.next_out = o->buf + o->len;
        s.avail_out = (uInt)(o->cap - o->len);
        r = inflate(&s, Z_NO_FLUSH);
        o->len = o->cap - s.avail_out;
        if (r != Z_OK && r != Z_STREAM_END)
            rc = -EINVAL;
    } while (!rc && r != Z_STREAM_END);
    inflateEnd(&s);
    return rc;
}

static int unzstd(const uint8_t *in, size_t in_len, struct out *o)
{
    ZSTD_DStream *s = ZSTD_createDStream();
    ZSTD_inBuffer ib = { in, in_len, 0 };
    size_t r = 1;
    int rc = 0;

    if (!s)
        return -ENOMEM;
    ZSTD_initDStream(s);
    while (!rc && r != 0) {
        ZSTD_outBuffer ob;

        if ((rc = out_reserve(o, o->len + (1u << 20))) < 0)
            break;
        ob = (ZSTD_outBuffer){ o->buf + o->len, o->cap - o->len, 0 };
        r = ZSTD_decompressStream(s, &ob, &ib);
        o->len += ob.pos;
        /* An error, or input used up with the frame unfinished and no progress. */
        if (ZSTD_isError(r) || (r && ib.pos == ib.size && ob.pos == 0))
            rc = -EINVAL;
    }
    ZSTD_freeDStream(s);
    return rc;
}

int bzimage_extract(const uint8_t *data, size_t size, uint8_t **elf, size_t *elf_size, char *err,
                    size_t errlen)
{
    static const struct {
        const char *name;
        uint8_t magic[6];
        size_t magic_len;
        int (*fn)(const uint8_t *, size_t, struct out *);
    } formats[] = {
        { "xz", { 0xfd, '7', 'z', 'X', 'Z', 0 }, 6, unxz },
        { "gzip", { 0x1f, 0x8b }, 2, gunzip },
        { "zstd", { 0x28, 0xb5, 0x2f, 0xfd }, 4, unzstd },
    };
    unsigned int setup_sects, version;
    uint64_t start, off, len;
    const uint8_t *payload;
    struct out o = { NULL, 0, 0 };

    if (!bzimage_detect(data, size))
        return fail(err, errlen, "not a bzImage");
    version = data[HDR_VERSION_OFF] | data[HDR_VERSION_OFF + 1] << 8;
    if (version < MIN_VERSION)
        return fail(err, errlen, "bzImage boot protocol %u.%02u is too old to hold an ELF payload",
                    version >> 8, version & 0xff);
    setup_sects = data[SETUP_SECTS_OFF] ? data[SETUP_SECTS_OFF] : 4;
    off = le32(data + PAYLOAD_OFF_OFF);
    len = le32(data + PAYLOAD_LEN_OFF);
    start = (uint64_t)(setup_sects + 1) * 512 + off;
    if (start > size || len > size - start || len < 8)
        return fail(err, errlen, "the bzImage payload lies outside the file (truncated image?)");
    payload = data + start;
    for (unsigned int i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
        int rc;

        if (memcmp(payload, formats[i].magic, formats[i].magic_len))
            continue;
        rc = formats[i].fn(payload, len, &o);
        if (rc < 0) {
            free(o.buf);
            if (rc == -EFBIG)
                return fail(err, errlen, "the %s kernel payload unpacks to more than %llu MiB",
                            formats[i].name, (unsigned long long)(BZIMAGE_MAX_ELF >> 20));
            return fail(err, errlen, "the %s kernel payload is corrupt", formats[i].name);
        }
        *elf = o.buf;
        *elf_size = o.len;
        return 0;
    }
    return fail(err, errlen, "the bzImage payload uses a compression Lamina does not unpack "
                "(supported: xz, gzip, zstd)");
}
