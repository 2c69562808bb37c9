/* elf.h: parsing a guest kernel's ELF image and its Xen notes. */
/* SPDX-License-Identifier: MIT */
#ifndef LAMINA_HV_ELF_H
#define LAMINA_HV_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ELF_MAX_SEGMENTS    32

struct elf_segment {
    uint64_t paddr;
    uint64_t offset;        /* in the file */
    uint64_t filesz;
    uint64_t memsz;
};

struct elf_info {
    unsigned int nseg;
    struct elf_segment seg[ELF_MAX_SEGMENTS];  /* sorted by paddr, disjoint */
    uint64_t paddr_lo;      /* lowest byte loaded */
    uint64_t paddr_hi;      /* one past the highest byte loaded */
    bool has_phys32_entry;
    uint32_t phys32_entry;  /* XEN_ELFNOTE_PHYS32_ENTRY */
    char guest_os[32];      /* XEN_ELFNOTE_GUEST_OS, if any */
};

/*
 * Parse an ELF32 or ELF64 x86 image held in memory.  Every header field is
 * checked against the buffer; on failure returns -ENOEXEC and writes a
 * message for the user into err.
 */
int elf_parse(const void *data, size_t size, struct elf_info *info, char *err, size_t errlen);

#endif /* LAMINA_HV_ELF_H */
