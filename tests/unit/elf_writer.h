/* elf_writer.h: a small ELF image writer for tests of the PVH loader. */
/* SPDX-License-Identifier: MIT */
#ifndef LAMINA_TEST_ELF_WRITER_H
#define LAMINA_TEST_ELF_WRITER_H

/*
 * Tests describe an image (program headers, section headers, the bytes
 * they point at), the writer lays it out as the ELF header, the program
 * headers, the blobs and the section headers, and the tests then break
 * whatever field they want with the elfw_set* helpers.  Images are built in
 * memory: no binary test data is committed.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ELFW_MAX_HDRS   64
#define ELFW_MAX_BLOBS  64

struct elfw_hdr {
    uint32_t type;
    int blob;               /* bytes this header covers, or -1 for none */
    uint64_t paddr;         /* program headers */
    uint64_t memsz;         /* program headers; 0 means the blob's size */
};

struct elfw {
    int elfclass;           /* ELFCLASS32 or ELFCLASS64 */
    uint16_t machine;
    uint16_t type;          /* ET_EXEC unless changed */
    unsigned int nph, nsh, nblob;
    struct elfw_hdr ph[ELFW_MAX_HDRS];
    struct elfw_hdr sh[ELFW_MAX_HDRS];
    struct {
        uint8_t *data;
        size_t len;
        uint64_t offset;    /* set by elfw_build */
    } blob[ELFW_MAX_BLOBS];
    uint64_t shoff;         /* set by elfw_build */
};

/* Start an image of the given class for x86 (EM_X86_64 or EM_386). */
void elfw_init(struct elfw *w, int elfclass);
void elfw_free(struct elfw *w);

/* Add bytes to the file; returns the blob's index. */
int elfw_blob(struct elfw *w, const void *data, size_t len);

/* A PT_LOAD of blob at paddr, memsz bytes (0: the blob's size). */
void elfw_load(struct elfw *w, uint64_t paddr, int blob, uint64_t memsz);

/* A program header of any type (PT_NOTE ...) covering blob. */
void elfw_phdr(struct elfw *w, uint32_t type, int blob);

/* A section header of the given type (SHT_NOTE ...) covering blob. */
void elfw_shdr(struct elfw *w, uint32_t type, int blob);

/* Append one ELF note (name NUL included, 4-byte padding) to buf at *len. */
void elfw_note(uint8_t *buf, size_t *len, const char *name, uint32_t type, const void *desc,
               uint32_t descsz);

/*
 * Lay the image out: ELF header, program headers, blobs (8-byte aligned),
 * a null section header and the sections added.  Returns malloc'd bytes,
 * exactly *size of them (so that ASan sees any read past the end).
 */
uint8_t *elfw_build(struct elfw *w, size_t *size);

/* Where program header i and section header i (after the null one) are in a built image. */
size_t elfw_phdr_offset(const struct elfw *w, unsigned int i);
size_t elfw_shdr_offset(const struct elfw *w, unsigned int i);

/* Little-endian stores into a built image. */
void elfw_set16(uint8_t *img, size_t off, uint16_t v);
void elfw_set32(uint8_t *img, size_t off, uint32_t v);
void elfw_set64(uint8_t *img, size_t off, uint64_t v);

/*
 * The usual test kernel: a PT_LOAD of `code_len` bytes (an endless hlt
 * loop, padded) at paddr 1 MiB with memsz 8 KiB, and a PT_NOTE holding
 * XEN_ELFNOTE_GUEST_OS "lamina-test" and XEN_ELFNOTE_PHYS32_ENTRY = entry
 * (4 bytes) unless with_entry is false.
 */
#define ELFW_KERNEL_PADDR   0x100000u
uint8_t *elfw_pvh_kernel(int elfclass, uint32_t entry, bool with_entry, size_t *size);

#endif /* LAMINA_TEST_ELF_WRITER_H */
