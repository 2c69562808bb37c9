/* elf.c: parsing a guest kernel's ELF image and its Xen notes. */
/* SPDX-License-Identifier: MIT */
#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <xen/elfnote.h>

#include "elf.h"

#define ELF_MAX_PHDRS   256
#define ELF_MAX_SHDRS   4096

/* A program or section header in a class-neutral form. */
struct hdr {
    uint32_t type;
    uint64_t offset, filesz, memsz, paddr;
};

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -ENOEXEC;
}

/* Is [off, off + len) inside a buffer of `size` bytes? */
static bool in_file(uint64_t off, uint64_t len, size_t size)
{
    return off <= size && len <= size - off;
}

static void read_phdr(const uint8_t *p, bool is64, struct hdr *h)
{
    if (is64) {
        Elf64_Phdr ph;

        memcpy(&ph, p, sizeof(ph));
        *h = (struct hdr){ ph.p_type, ph.p_offset, ph.p_filesz, ph.p_memsz, ph.p_paddr };
    } else {
        Elf32_Phdr ph;

        memcpy(&ph, p, sizeof(ph));
        *h = (struct hdr){ ph.p_type, ph.p_offset, ph.p_filesz, ph.p_memsz, ph.p_paddr };
    }
}

static void read_shdr(const uint8_t *p, bool is64, struct hdr *h)
{
    if (is64) {
        Elf64_Shdr sh;

        memcpy(&sh, p, sizeof(sh));
        *h = (struct hdr){ sh.sh_type, sh.sh_offset, sh.sh_size, sh.sh_size, 0 };
    } else {
        Elf32_Shdr sh;

        memcpy(&sh, p, sizeof(sh));
        *h = (struct hdr){ sh.sh_type, sh.sh_offset, sh.sh_size, sh.sh_size, 0 };
    }
}

/* Walk one note area; returns the number of Xen notes seen, or -ENOEXEC. */
static int parse_notes(const uint8_t *p, uint64_t len, struct elf_info *info, char *err,
                       size_t errlen)
{
    int seen = 0;

    while (len >= 12) {
        uint32_t namesz, descsz, type;
        uint64_t name_pad, desc_pad;
        const uint8_t *name, *desc;

        memcpy(&namesz, p, 4);
        memcpy(&descsz, p + 4, 4);
        memcpy(&type, p + 8, 4);
        name_pad = ((uint64_t)namesz + 3) & ~3ull;
        desc_pad = ((uint64_t)descsz + 3) & ~3ull;
        if (name_pad > len - 12 || desc_pad > len - 12 - name_pad)
            return fail(err, errlen, "an ELF note runs past the end of its section");
        name = p + 12;
        desc = name + name_pad;
        if (namesz == 4 && !memcmp(name, "Xen", 4)) {
            seen++;
            if (type == XEN_ELFNOTE_PHYS32_ENTRY) {
                uint64_t entry = 0;

                if (descsz != 4 && descsz != 8)
                    return fail(err, errlen, "XEN_ELFNOTE_PHYS32_ENTRY has %u bytes, "
                                "expected 4 or 8", descsz);
                memcpy(&entry, desc, descsz);
                if (entry > UINT32_MAX)
                    return fail(err, errlen, "XEN_ELFNOTE_PHYS32_ENTRY %#llx is above 4 GiB",
                                (unsigned long long)entry);
                info->has_phys32_entry = true;
                info->phys32_entry = (uint32_t)entry;
            } else if (type == XEN_ELFNOTE_GUEST_OS) {
                size_t n = descsz < sizeof(info->guest_os) - 1 ? descsz
                                                                : sizeof(info->guest_os) - 1;

                memcpy(info->guest_os, desc, n);
                info->guest_os[n] = '\0';
            }
        }
        p += 12 + name_pad + desc_pad;
        len -= 12 + name_pad + desc_pad;
    }
    return seen;
}

static int add_segment(struct elf_info *info, const struct hdr *h, size_t size, char *err,
                       size_t errlen)
{
    struct elf_segment s = { h->paddr, h->offset, h->filesz, h->memsz };
    unsigned int pos;

    if (h->filesz > h->memsz)
        return fail(err, errlen, "a segment has more file bytes (%#llx) than memory (%#llx)",
                    (unsigned long long)h->filesz, (unsigned long long)h->memsz);
    if (!in_file(h->offset, h->filesz, size))
        return fail(err, errlen, "a segment at file offset %#llx runs past the end of the "
                    "file (truncated image?)", (unsigned long long)h->offset);
    if (h->paddr + h->memsz < h->paddr)
        return fail(err, errlen, "a segment wraps around the address space");
    if (h->memsz == 0)
        return 0;   /* nothing to load */
    if (info->nseg == ELF_MAX_SEGMENTS)
        return fail(err, errlen, "more than %d loadable segments", ELF_MAX_SEGMENTS);
    for (pos = 0; pos < info->nseg && info->seg[pos].paddr < s.paddr; pos++)
        ;
    if ((pos > 0 && info->seg[pos - 1].paddr + info->seg[pos - 1].memsz > s.paddr) ||
        (pos < info->nseg && s.paddr + s.memsz > info->seg[pos].paddr))
        return fail(err, errlen, "loadable segments overlap at %#llx",
                    (unsigned long long)s.paddr);
    memmove(&info->seg[pos + 1], &info->seg[pos], (info->nseg - pos) * sizeof(s));
    info->seg[pos] = s;
    info->nseg++;
    return 0;
}

int elf_parse(const void *data, size_t size, struct elf_info *info, char *err, size_t errlen)
{
    const uint8_t *b = data;
    uint64_t phoff, shoff;
    unsigned int phnum, shnum, phentsize, shentsize;
    bool is64;
    int xen_notes = 0, rc;

    memset(info, 0, sizeof(*info));
    if (size < EI_NIDENT || memcmp(b, ELFMAG, SELFMAG))
        return fail(err, errlen, "not an ELF image");
    if (b[EI_CLASS] != ELFCLASS32 && b[EI_CLASS] != ELFCLASS64)
        return fail(err, errlen, "unknown ELF class %u", b[EI_CLASS]);
    if (b[EI_DATA] != ELFDATA2LSB)
        return fail(err, errlen, "not a little-endian ELF image");
    if (b[EI_VERSION] != EV_CURRENT)
        return fail(err, errlen, "unknown ELF version %u", b[EI_VERSION]);
    is64 = b[EI_CLASS] == ELFCLASS64;

    if (is64) {
        Elf64_Ehdr eh;

        if (size < sizeof(eh))
            return fail(err, errlen, "truncated ELF header");
        memcpy(&eh, b, sizeof(eh));
        if (eh.e_machine != EM_X86_64)
            return fail(err, errlen, "ELF64 image is not for x86-64 (machine %u)", eh.e_machine);
        if (eh.e_type != ET_EXEC)
            return fail(err, errlen, "not an executable ELF image (type %u)", eh.e_type);
        phoff = eh.e_phoff;
        phnum = eh.e_phnum;
        phentsize = eh.e_phentsize;
        shoff = eh.e_shoff;
        shnum = eh.e_shnum;
        shentsize = eh.e_shentsize;
        if (phnum && phentsize != sizeof(Elf64_Phdr))
            return fail(err, errlen, "bad program header size %u", phentsize);
        if (shnum && shentsize != sizeof(Elf64_Shdr))
            shnum = 0;  /* sections are optional: ignore odd ones */
    } else {
        Elf32_Ehdr eh;

        if (size < sizeof(eh))
            return fail(err, errlen, "truncated ELF header");
        memcpy(&eh, b, sizeof(eh));
        if (eh.e_machine != EM_386 && eh.e_machine != EM_X86_64)
            return fail(err, errlen, "ELF32 image is not for x86 (machine %u)", eh.e_machine);
        if (eh.e_type != ET_EXEC)
            return fail(err, errlen, "not an executable ELF image (type %u)", eh.e_type);
        phoff = eh.e_phoff;
        phnum = eh.e_phnum;
        phentsize = eh.e_phentsize;
        shoff = eh.e_shoff;
        shnum = eh.e_shnum;
        shentsize = eh.e_shentsize;
        if (phnum && phentsize != sizeof(Elf32_Phdr))
            return fail(err, errlen, "bad program header size %u", phentsize);
        if (shnum && shentsize != sizeof(Elf32_Shdr))
            shnum = 0;
    }
    if (phnum == 0 || phnum > ELF_MAX_PHDRS)
        return fail(err, errlen, "bad number of program headers (%u)", phnum);
    if (!in_file(phoff, (uint64_t)phnum * phentsize, size))
        return fail(err, errlen, "program headers run past the end of the file");

    for (unsigned int i = 0; i < phnum; i++) {
        struct hdr h;

        read_phdr(b + phoff + (uint64_t)i * phentsize, is64, &h);
        if (h.type == PT_LOAD) {
            rc = add_segment(info, &h, size, err, errlen);
            if (rc < 0)
                return rc;
        } else if (h.type == PT_NOTE) {
            if (!in_file(h.offset, h.filesz, size))
                return fail(err, errlen, "a note segment runs past the end of the file");
            rc = parse_notes(b + h.offset, h.filesz, info, err, errlen);
            if (rc < 0)
                return rc;
            xen_notes += rc;
        }
    }
    if (info->nseg == 0)
        return fail(err, errlen, "no loadable segments");

    /* Notes may live only in sections when the linker made no PT_NOTE. */
    if (!xen_notes && shnum && shnum <= ELF_MAX_SHDRS &&
        in_file(shoff, (uint64_t)shnum * shentsize, size)) {
        for (unsigned int i = 0; i < shnum; i++) {
            struct hdr h;

            read_shdr(b + shoff + (uint64_t)i * shentsize, is64, &h);
            if (h.type != SHT_NOTE)
                continue;
            if (!in_file(h.offset, h.filesz, size))
                return fail(err, errlen, "a note section runs past the end of the file");
            rc = parse_notes(b + h.offset, h.filesz, info, err, errlen);
            if (rc < 0)
                return rc;
        }
    }

    info->paddr_lo = info->seg[0].paddr;
    info->paddr_hi = info->seg[info->nseg - 1].paddr + info->seg[info->nseg - 1].memsz;
    if (!info->has_phys32_entry)
        return fail(err, errlen, "not a PVH kernel: it has no XEN_ELFNOTE_PHYS32_ENTRY note "
                    "(build the kernel with PVH support, e.g. CONFIG_XEN_PVH=y)");
    return 0;
}
