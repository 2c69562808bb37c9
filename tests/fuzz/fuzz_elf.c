/* fuzz_elf.c: fuzz target for the PVH loader's ELF parser. */
/* SPDX-License-Identifier: MIT */
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <xen/elfnote.h>

#include "elf_writer.h"
#include "fuzz.h"
#include "loader/elf.h"

const size_t fuzz_max_len = 16384;
const unsigned long fuzz_replay_mutations = 2000;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct elf_info info;
    char err[160];
    int rc;

    err[0] = '\0';
    rc = elf_parse(data, size, &info, err, sizeof(err));
    if (rc != 0) {
        FUZZ_CHECK(rc == -ENOEXEC);
        FUZZ_CHECK(err[0] != '\0');
        FUZZ_CHECK(memchr(err, '\0', sizeof(err)) != NULL);
        return 0;
    }
    /* What the PVH builder relies on. */
    FUZZ_CHECK(info.nseg >= 1 && info.nseg <= ELF_MAX_SEGMENTS);
    FUZZ_CHECK(info.has_phys32_entry);
    FUZZ_CHECK(memchr(info.guest_os, '\0', sizeof(info.guest_os)) != NULL);
    for (unsigned int i = 0; i < info.nseg; i++) {
        const struct elf_segment *s = &info.seg[i];

        FUZZ_CHECK(s->memsz > 0);
        FUZZ_CHECK(s->filesz <= s->memsz);
        FUZZ_CHECK(s->offset <= size && s->filesz <= size - s->offset);
        FUZZ_CHECK(s->paddr + s->memsz > s->paddr);
        if (i > 0)
            FUZZ_CHECK(info.seg[i - 1].paddr + info.seg[i - 1].memsz <= s->paddr);
    }
    FUZZ_CHECK(info.paddr_lo == info.seg[0].paddr);
    FUZZ_CHECK(info.paddr_hi == info.seg[info.nseg - 1].paddr + info.seg[info.nseg - 1].memsz);
    return 0;
}

static void emit_built(struct elfw *w, fuzz_emit_fn *emit, void *arg)
{
    size_t size;
    uint8_t *img = elfw_build(w, &size);

    emit(img, size, arg);
    free(img);
    elfw_free(w);
}

void fuzz_seeds(fuzz_emit_fn *emit, void *arg)
{
    static const uint8_t code[48] = { 0xf4, 0xeb, 0xfd };
    static const char os[] = "fuzz";
    uint32_t entry = 0x100000;
    uint64_t entry64 = 0x200000;
    uint8_t notes[128];
    size_t nlen, size;
    struct elfw w;
    uint8_t *img;

    for (int elfclass = ELFCLASS32; elfclass <= ELFCLASS64; elfclass++) {
        img = elfw_pvh_kernel(elfclass, entry, true, &size);
        emit(img, size, arg);
        free(img);

        /* Two loads, notes in a section only, an 8-byte entry. */
        nlen = 0;
        elfw_init(&w, elfclass);
        elfw_load(&w, 0x200000, elfw_blob(&w, code, sizeof(code)), 0x3000);
        elfw_load(&w, 0x100000, elfw_blob(&w, code, 16), 0x1000);
        elfw_note(notes, &nlen, "Xen", XEN_ELFNOTE_GUEST_OS, os, sizeof(os));
        elfw_note(notes, &nlen, "Xen", XEN_ELFNOTE_PHYS32_ENTRY, &entry64, sizeof(entry64));
        elfw_shdr(&w, SHT_PROGBITS, elfw_blob(&w, code, 8));
        elfw_shdr(&w, SHT_NOTE, elfw_blob(&w, notes, nlen));
        emit_built(&w, emit, arg);

        /* A foreign note before the Xen ones, in a PT_NOTE and a section. */
        nlen = 0;
        elfw_init(&w, elfclass);
        elfw_load(&w, 0x100000, elfw_blob(&w, code, sizeof(code)), 0x1000);
        elfw_note(notes, &nlen, "GNU", 3, code, 8);
        elfw_note(notes, &nlen, "Xen", XEN_ELFNOTE_PHYS32_ENTRY, &entry, sizeof(entry));
        elfw_phdr(&w, PT_NOTE, elfw_blob(&w, notes, nlen));
        elfw_shdr(&w, SHT_NOTE, elfw_blob(&w, notes, nlen));
        emit_built(&w, emit, arg);
    }
}
