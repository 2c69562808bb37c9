/* bzimage_writer.h: wraps an ELF kernel into a Linux-style bzImage for loader tests. */
/* SPDX-License-Identifier: MIT */
#ifndef LAMINA_TEST_BZIMAGE_WRITER_H
#define LAMINA_TEST_BZIMAGE_WRITER_H

#include <stddef.h>
#include <stdint.h>

enum bzw_format { BZW_GZIP, BZW_XZ, BZW_ZSTD };

/* Setup-header fields the loader reads (offsets in the file). */
#define BZW_SETUP_SECTS     0x1f1
#define BZW_MAGIC           0x202
#define BZW_VERSION         0x206
#define BZW_PAYLOAD_OFFSET  0x248
#define BZW_PAYLOAD_LENGTH  0x24c

/* Compress len bytes; returns malloc'd bytes (*out_len of them). */
uint8_t *bzw_compress(enum bzw_format f, const void *data, size_t len, size_t *out_len);

/*
 * A bzImage: setup_sects sectors of setup (plus the boot sector) with a
 * 2.15 setup header, then the compressed payload.  Returns malloc'd bytes,
 * exactly *size of them.
 */
uint8_t *bzw_build(const void *payload, size_t payload_len, unsigned int setup_sects,
                   size_t *size);

/* Both in one: the ELF compressed with f in a bzImage with one setup sector. */
uint8_t *bzw_wrap(enum bzw_format f, const void *elf, size_t elf_len, size_t *size);

/* A zstd stream of `len` zero bytes, made without holding them (a decompression bomb). */
uint8_t *bzw_zstd_zeroes(uint64_t len, size_t *out_len);

#endif /* LAMINA_TEST_BZIMAGE_WRITER_H */
