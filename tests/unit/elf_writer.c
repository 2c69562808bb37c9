/* elf_writer.c: a small ELF image writer for tests of the PVH loader. */
/* SPDX-License-Identifier: MIT */
#include <elf.h>
#include <stdlib.h>
#include <string.h>

#include <xen/elfnote.h>

#include "elf_writer.h"

/* Tests are programs of their own: running out of room is a broken test. */
static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);

    if (!p)
        abort();
    return p;
}

void elfw_init(struct elfw *w, int elfclass)
{
    memset(w, 0, sizeof(*w));
    w->elfclass = elfclass;
    w->machine = elfclass == ELFCLASS64 ? EM_X86_64 : EM_386;
    w->type = ET_EXEC;
}

void elfw_free(struct elfw *w)
{
    for (unsigned int i = 0; i < w->nblob; i++)
        free(w->blob[i].data);
    w->nblob = 0;
}

int elfw_blob(struct elfw *w, const void *data, size_t len)
{
    if (w->nblob == ELFW_MAX_BLOBS)
        abort();
    w->blob[w->nblob].data = xcalloc(1, len);
    if (data && len)
        memcpy(w->blob[w->nblob].data, data, len);
    w->blob[w->nblob].len = len;
    return (int)w->nblob++;
}

static void add_hdr(struct elfw_hdr *tab, unsigned int *n, uint32_t type, int blob,
                    uint64_t paddr, uint64_t memsz)
{
    if (*n == ELFW_MAX_HDRS)
        abort();
    tab[(*n)++] = (struct elfw_hdr){ type, blob, paddr, memsz };
}

void elfw_load(struct elfw *w, uint64_t paddr, int blob, uint64_t memsz)
{
    add_hdr(w->ph, &w->nph, PT_LOAD, blob, paddr, memsz);
}

void elfw_phdr(struct elfw *w, uint32_t type, int blob)
{
    add_hdr(w->ph, &w->nph, type, blob, 0, 0);
}

void elfw_shdr(struct elfw *w, uint32_t type, int blob)
{
    add_hdr(w->sh, &w->nsh, type, blob, 0, 0);
}

void elfw_note(uint8_t *buf, size_t *len, const char *name, uint32_t type, const void *desc,
               uint32_t descsz)
{
    uint32_t namesz = (uint32_t)strlen(name) + 1;
    uint8_t *p = buf + *len;

    memcpy(p, &namesz, 4);
    memcpy(p + 4, &descsz, 4);
    memcpy(p + 8, &type, 4);
    p += 12;
    memset(p, 0, (namesz + 3) & ~3u);
    memcpy(p, name, namesz);
    p += (namesz + 3) & ~3u;
    memset(p, 0, (descsz + 3) & ~3u);
    if (descsz)
        memcpy(p, desc, descsz);
    *len += 12 + ((namesz + 3) & ~3u) + ((descsz + 3) & ~3u);
}

static size_t ehdr_size(const struct elfw *w)
{
    return w->elfclass == ELFCLASS64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
}

static size_t phdr_size(const struct elfw *w)
{
    return w->elfclass == ELFCLASS64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
}

static size_t shdr_size(const struct elfw *w)
{
    return w->elfclass == ELFCLASS64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr);
}

size_t elfw_phdr_offset(const struct elfw *w, unsigned int i)
{
    return ehdr_size(w) + i * phdr_size(w);
}

size_t elfw_shdr_offset(const struct elfw *w, unsigned int i)
{
    return (size_t)w->shoff + (i + 1) * shdr_size(w);
}

void elfw_set16(uint8_t *img, size_t off, uint16_t v)
{
    memcpy(img + off, &v, sizeof(v));
}

void elfw_set32(uint8_t *img, size_t off, uint32_t v)
{
    memcpy(img + off, &v, sizeof(v));
}

void elfw_set64(uint8_t *img, size_t off, uint64_t v)
{
    memcpy(img + off, &v, sizeof(v));
}

static void blob_range(const struct elfw *w, int blob, uint64_t *off, uint64_t *len)
{
    *off = blob >= 0 ? w->blob[blob].offset : 0;
    *len = blob >= 0 ? w->blob[blob].len : 0;
}

static void write_phdr(const struct elfw *w, uint8_t *p, const struct elfw_hdr *h)
{
    uint64_t off, len, memsz;
    uint32_t align = h->type == PT_NOTE ? 4 : 16;

    blob_range(w, h->blob, &off, &len);
    memsz = h->memsz ? h->memsz : len;
    if (w->elfclass == ELFCLASS64) {
        Elf64_Phdr ph = {
            .p_type = h->type, .p_flags = PF_R | PF_X, .p_offset = off, .p_vaddr = h->paddr,
            .p_paddr = h->paddr, .p_filesz = len, .p_memsz = memsz, .p_align = align,
        };

        memcpy(p, &ph, sizeof(ph));
    } else {
        Elf32_Phdr ph = {
            .p_type = h->type, .p_offset = (Elf32_Off)off, .p_vaddr = (Elf32_Addr)h->paddr,
            .p_paddr = (Elf32_Addr)h->paddr, .p_filesz = (Elf32_Word)len,
            .p_memsz = (Elf32_Word)memsz, .p_flags = PF_R | PF_X, .p_align = align,
        };

        memcpy(p, &ph, sizeof(ph));
    }
}

static void write_shdr(const struct elfw *w, uint8_t *p, const struct elfw_hdr *h)
{
    uint64_t off, len;

    blob_range(w, h->blob, &off, &len);
    if (w->elfclass == ELFCLASS64) {
        Elf64_Shdr sh = { .sh_type = h->type, .sh_offset = off, .sh_size = len,
                          .sh_addralign = 4 };

        memcpy(p, &sh, sizeof(sh));
    } else {
        Elf32_Shdr sh = { .sh_type = h->type, .sh_offset = (Elf32_Off)off,
                          .sh_size = (Elf32_Word)len, .sh_addralign = 4 };

        memcpy(p, &sh, sizeof(sh));
    }
}

uint8_t *elfw_build(struct elfw *w, size_t *size)
{
    size_t pos = ehdr_size(w) + w->nph * phdr_size(w);
    uint8_t *img;

    for (unsigned int i = 0; i < w->nblob; i++) {
        pos = (pos + 7) & ~(size_t)7;
        w->blob[i].offset = pos;
        pos += w->blob[i].len;
    }
    pos = (pos + 7) & ~(size_t)7;
    w->shoff = w->nsh ? pos : 0;
    if (w->nsh)
        pos += (w->nsh + 1) * shdr_size(w);

    img = xcalloc(1, pos);
    memcpy(img, ELFMAG, SELFMAG);
    img[EI_CLASS] = (uint8_t)w->elfclass;
    img[EI_DATA] = ELFDATA2LSB;
    img[EI_VERSION] = EV_CURRENT;
    if (w->elfclass == ELFCLASS64) {
        Elf64_Ehdr eh;

        memcpy(&eh, img, sizeof(eh));
        eh.e_type = w->type;
        eh.e_machine = w->machine;
        eh.e_version = EV_CURRENT;
        eh.e_phoff = w->nph ? sizeof(eh) : 0;
        eh.e_shoff = w->shoff;
        eh.e_ehsize = sizeof(eh);
        eh.e_phentsize = sizeof(Elf64_Phdr);
        eh.e_phnum = (uint16_t)w->nph;
        eh.e_shentsize = sizeof(Elf64_Shdr);
        eh.e_shnum = (uint16_t)(w->nsh ? w->nsh + 1 : 0);
        memcpy(img, &eh, sizeof(eh));
    } else {
        Elf32_Ehdr eh;

        memcpy(&eh, img, sizeof(eh));
        eh.e_type = w->type;
        eh.e_machine = w->machine;
        eh.e_version = EV_CURRENT;
        eh.e_phoff = w->nph ? sizeof(eh) : 0;
        eh.e_shoff = (Elf32_Off)w->shoff;
        eh.e_ehsize = sizeof(eh);
        eh.e_phentsize = sizeof(Elf32_Phdr);
        eh.e_phnum = (uint16_t)w->nph;
        eh.e_shentsize = sizeof(Elf32_Shdr);
        eh.e_shnum = (uint16_t)(w->nsh ? w->nsh + 1 : 0);
        memcpy(img, &eh, sizeof(eh));
    }
    for (unsigned int i = 0; i < w->nph; i++)
        write_phdr(w, img + elfw_phdr_offset(w, i), &w->ph[i]);
    for (unsigned int i = 0; i < w->nblob; i++)
        if (w->blob[i].len)
            memcpy(img + w->blob[i].offset, w->blob[i].data, w->blob[i].len);
    for (unsigned int i = 0; i < w->nsh; i++)
        write_shdr(w, img + elfw_shdr_offset(w, i), &w->sh[i]);
    *size = pos;
    return img;
}

uint8_t *elfw_pvh_kernel(int elfclass, uint32_t entry, bool with_entry, size_t *size)
{
    /* hlt; jmp back to the hlt, then padding. */
    static const uint8_t code[64] = { 0xf4, 0xeb, 0xfd };
    static const char os[] = "lamina-test";
    uint8_t notes[128];
    size_t nlen = 0;
    struct elfw w;
    uint8_t *img;

    elfw_init(&w, elfclass);
    elfw_load(&w, ELFW_KERNEL_PADDR, elfw_blob(&w, code, sizeof(code)), 0x2000);
    elfw_note(notes, &nlen, "Xen", XEN_ELFNOTE_GUEST_OS, os, sizeof(os));
    if (with_entry)
        elfw_note(notes, &nlen, "Xen", XEN_ELFNOTE_PHYS32_ENTRY, &entry, sizeof(entry));
    elfw_phdr(&w, PT_NOTE, elfw_blob(&w, notes, nlen));
    img = elfw_build(&w, size);
    elfw_free(&w);
    return img;
}
