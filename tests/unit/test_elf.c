/* test_elf.c: Check tests of the PVH loader's ELF and bzImage parsers on hostile images. */
/* SPDX-License-Identifier: MIT */
#include <check.h>
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <xen/elfnote.h>

#include "bzimage_writer.h"
#include "elf_writer.h"
#include "loader/bzimage.h"
#include "loader/elf.h"

/*
 * Every image is handed to elf_parse() in a heap buffer of exactly its
 * size, so that under --enable-asan a read one byte past the end fails the
 * test.  A rejected image must give -ENOEXEC and a message.
 */

static const uint8_t code[64] = { 0xf4, 0xeb, 0xfd };
static const char guest_os[] = "lamina-test";

static int parse(const uint8_t *img, size_t size, struct elf_info *info, char *err,
                 size_t errlen)
{
    uint8_t *copy = malloc(size ? size : 1);
    int rc;

    ck_assert_ptr_nonnull(copy);
    if (size)
        memcpy(copy, img, size);
    rc = elf_parse(copy, size, info, err, errlen);
    free(copy);
    return rc;
}

/* Parse; expect a rejection whose message contains `what` (if given). */
static void expect_reject_at(const uint8_t *img, size_t size, const char *what, int line)
{
    struct elf_info info;
    char err[256] = "";
    int rc = parse(img, size, &info, err, sizeof(err));

    ck_assert_msg(rc == -ENOEXEC, "line %d: rc %d, expected -ENOEXEC (err '%s')", line, rc, err);
    ck_assert_msg(err[0] != '\0', "line %d: rejected without a message", line);
    if (what)
        ck_assert_msg(strstr(err, what), "line %d: message '%s' lacks '%s'", line, err, what);
}

#define expect_reject(img, size, what) expect_reject_at(img, size, what, __LINE__)

static void expect_ok_at(const uint8_t *img, size_t size, struct elf_info *info, int line)
{
    char err[256] = "";
    int rc = parse(img, size, info, err, sizeof(err));

    ck_assert_msg(rc == 0, "line %d: rc %d: %s", line, rc, err);
}

#define expect_ok(img, size, info) expect_ok_at(img, size, info, __LINE__)

/* The notes blob of a PVH kernel: guest OS, then the 4-byte entry. */
static int pvh_notes(struct elfw *w, uint32_t entry)
{
    uint8_t notes[128];
    size_t len = 0;

    elfw_note(notes, &len, "Xen", XEN_ELFNOTE_GUEST_OS, guest_os, sizeof(guest_os));
    elfw_note(notes, &len, "Xen", XEN_ELFNOTE_PHYS32_ENTRY, &entry, sizeof(entry));
    return elfw_blob(w, notes, len);
}

/* A valid kernel: one PT_LOAD at 1 MiB and a PT_NOTE; image built into *img. */
static void std_image(struct elfw *w, int elfclass)
{
    elfw_init(w, elfclass);
    elfw_load(w, 0x100000, elfw_blob(w, code, sizeof(code)), 0x2000);
    elfw_phdr(w, PT_NOTE, pvh_notes(w, 0x100000));
}

/* Offsets of program-header fields for either class. */
static size_t ph_field(const struct elfw *w, unsigned int i, const char *field)
{
    size_t base = elfw_phdr_offset(w, i);
    bool is64 = w->elfclass == ELFCLASS64;

    if (!strcmp(field, "offset"))
        return base + (is64 ? offsetof(Elf64_Phdr, p_offset) : offsetof(Elf32_Phdr, p_offset));
    if (!strcmp(field, "paddr"))
        return base + (is64 ? offsetof(Elf64_Phdr, p_paddr) : offsetof(Elf32_Phdr, p_paddr));
    if (!strcmp(field, "filesz"))
        return base + (is64 ? offsetof(Elf64_Phdr, p_filesz) : offsetof(Elf32_Phdr, p_filesz));
    if (!strcmp(field, "memsz"))
        return base + (is64 ? offsetof(Elf64_Phdr, p_memsz) : offsetof(Elf32_Phdr, p_memsz));
    abort();
}

START_TEST(valid_elf64)
{
    static const uint8_t gnu_desc[4] = { 1, 2, 3, 4 };
    uint8_t big[0x300], notes[256];
    size_t size, nlen = 0;
    uint32_t entry = 0x100010;
    struct elf_info info;
    struct elfw w;
    uint8_t *img;

    memset(big, 0xab, sizeof(big));
    elfw_init(&w, ELFCLASS64);
    /* Out of paddr order: the parser sorts. */
    elfw_load(&w, 0x200000, elfw_blob(&w, big, sizeof(big)), 0x3000);
    elfw_load(&w, 0x100000, elfw_blob(&w, code, sizeof(code)), 0x1000);
    elfw_note(notes, &nlen, "GNU", 3, gnu_desc, sizeof(gnu_desc));
    elfw_note(notes, &nlen, "Xen", XEN_ELFNOTE_GUEST_OS, guest_os, sizeof(guest_os));
    elfw_note(notes, &nlen, "Xen", XEN_ELFNOTE_PHYS32_ENTRY, &entry, sizeof(entry));
    elfw_phdr(&w, PT_NOTE, elfw_blob(&w, notes, nlen));
    elfw_phdr(&w, PT_GNU_STACK, -1);
    img = elfw_build(&w, &size);

    expect_ok(img, size, &info);
    ck_assert_uint_eq(info.nseg, 2);
    ck_assert_uint_eq(info.seg[0].paddr, 0x100000);
    ck_assert_uint_eq(info.seg[0].offset, w.blob[1].offset);
    ck_assert_uint_eq(info.seg[0].filesz, sizeof(code));
    ck_assert_uint_eq(info.seg[0].memsz, 0x1000);
    ck_assert_uint_eq(info.seg[1].paddr, 0x200000);
    ck_assert_uint_eq(info.seg[1].offset, w.blob[0].offset);
    ck_assert_uint_eq(info.seg[1].filesz, sizeof(big));
    ck_assert_uint_eq(info.seg[1].memsz, 0x3000);
    ck_assert_uint_eq(info.paddr_lo, 0x100000);
    ck_assert_uint_eq(info.paddr_hi, 0x203000);
    ck_assert(info.has_phys32_entry);
    ck_assert_uint_eq(info.phys32_entry, 0x100010);
    ck_assert_str_eq(info.guest_os, "lamina-test");
    free(img);
    elfw_free(&w);
}
END_TEST

START_TEST(valid_elf32)
{
    struct elf_info info;
    size_t size;
    uint8_t *img = elfw_pvh_kernel(ELFCLASS32, 0x100000, true, &size);

    expect_ok(img, size, &info);
    ck_assert_uint_eq(info.nseg, 1);
    ck_assert_uint_eq(info.seg[0].paddr, ELFW_KERNEL_PADDR);
    ck_assert_uint_eq(info.seg[0].memsz, 0x2000);
    ck_assert_uint_eq(info.paddr_hi, ELFW_KERNEL_PADDR + 0x2000);
    ck_assert(info.has_phys32_entry);
    ck_assert_uint_eq(info.phys32_entry, 0x100000);
    ck_assert_str_eq(info.guest_os, "lamina-test");
    free(img);
}
END_TEST

START_TEST(notes_only_in_sections)
{
    static const uint8_t junk[16] = { 0 };
    uint8_t other[64];
    size_t olen = 0, size;
    struct elf_info info;
    struct elfw w;
    uint8_t *img;

    for (int elfclass = ELFCLASS32; elfclass <= ELFCLASS64; elfclass++) {
        elfw_init(&w, elfclass);
        elfw_load(&w, 0x100000, elfw_blob(&w, code, sizeof(code)), 0x1000);
        elfw_shdr(&w, SHT_PROGBITS, elfw_blob(&w, junk, sizeof(junk)));
        elfw_shdr(&w, SHT_NOTE, pvh_notes(&w, 0x100020));
        img = elfw_build(&w, &size);
        expect_ok(img, size, &info);
        ck_assert_uint_eq(info.phys32_entry, 0x100020);
        ck_assert_str_eq(info.guest_os, "lamina-test");
        free(img);
        elfw_free(&w);
    }

    /* A PT_NOTE with only foreign notes does not hide the sections' Xen notes. */
    elfw_init(&w, ELFCLASS64);
    elfw_load(&w, 0x100000, elfw_blob(&w, code, sizeof(code)), 0x1000);
    elfw_note(other, &olen, "GNU", 1, junk, 4);
    elfw_phdr(&w, PT_NOTE, elfw_blob(&w, other, olen));
    elfw_shdr(&w, SHT_NOTE, pvh_notes(&w, 0x100040));
    img = elfw_build(&w, &size);
    expect_ok(img, size, &info);
    ck_assert_uint_eq(info.phys32_entry, 0x100040);
    free(img);
    elfw_free(&w);
}
END_TEST

START_TEST(odd_sections_are_ignored)
{
    struct elfw w;
    size_t size;
    uint8_t *img;

    /* Notes only in sections, but the section table is unusable: no entry found. */
    elfw_init(&w, ELFCLASS64);
    elfw_load(&w, 0x100000, elfw_blob(&w, code, sizeof(code)), 0x1000);
    elfw_shdr(&w, SHT_NOTE, pvh_notes(&w, 0x100000));
    img = elfw_build(&w, &size);

    elfw_set16(img, offsetof(Elf64_Ehdr, e_shentsize), 40);
    expect_reject(img, size, "PVH");
    elfw_set16(img, offsetof(Elf64_Ehdr, e_shentsize), sizeof(Elf64_Shdr));
    elfw_set16(img, offsetof(Elf64_Ehdr, e_shnum), 0xffff);
    expect_reject(img, size, "PVH");
    elfw_set16(img, offsetof(Elf64_Ehdr, e_shnum), 2);
    elfw_set64(img, offsetof(Elf64_Ehdr, e_shoff), UINT64_MAX - 8);
    expect_reject(img, size, "PVH");
    elfw_set64(img, offsetof(Elf64_Ehdr, e_shoff), size - 10);
    expect_reject(img, size, "PVH");
    free(img);
    elfw_free(&w);
}
END_TEST

START_TEST(entry_note_sizes)
{
    uint8_t notes[64];
    size_t nlen, size;
    struct elf_info info;
    struct elfw w;
    uint8_t *img;
    uint64_t entry64;
    uint16_t entry16 = 0x1000;

    /* 8 bytes below 4 GiB: accepted. */
    entry64 = 0x100008;
    nlen = 0;
    elfw_init(&w, ELFCLASS64);
    elfw_load(&w, 0x100000, elfw_blob(&w, code, sizeof(code)), 0x1000);
    elfw_note(notes, &nlen, "Xen", XEN_ELFNOTE_PHYS32_ENTRY, &entry64, sizeof(entry64));
    elfw_phdr(&w, PT_NOTE, elfw_blob(&w, notes, nlen));
    img = elfw_build(&w, &size);
    expect_ok(img, size, &info);
    ck_assert_uint_eq(info.phys32_entry, 0x100008);
    free(img);
    elfw_free(&w);

    /* 8 bytes above 4 GiB: a 32-bit entry cannot reach it. */
    entry64 = 0x100000000ull;
    nlen = 0;
    elfw_init(&w, ELFCLASS64);
    elfw_load(&w, 0x100000, elfw_blob(&w, code, sizeof(code)), 0x1000);
    elfw_note(notes, &nlen, "Xen", XEN_ELFNOTE_PHYS32_ENTRY, &entry64, sizeof(entry64));
    elfw_phdr(&w, PT_NOTE, elfw_blob(&w, notes, nlen));
    img = elfw_build(&w, &size);
    expect_reject(img, size, "4 GiB");
    free(img);
    elfw_free(&w);

    /* 2 bytes, 0 bytes: neither is an entry point. */
    for (uint32_t descsz = 0; descsz <= 2; descsz += 2) {
        nlen = 0;
        elfw_init(&w, ELFCLASS64);
        elfw_load(&w, 0x100000, elfw_blob(&w, code, sizeof(code)), 0x1000);
        elfw_note(notes, &nlen, "Xen", XEN_ELFNOTE_PHYS32_ENTRY, &entry16, descsz);
        elfw_phdr(&w, PT_NOTE, elfw_blob(&w, notes, nlen));
        img = elfw_build(&w, &size);
        expect_reject(img, size, "PHYS32_ENTRY");
        free(img);
        elfw_free(&w);
    }
}
END_TEST

START_TEST(missing_entry_note)
{
    size_t size;
    uint8_t *img;

    for (int elfclass = ELFCLASS32; elfclass <= ELFCLASS64; elfclass++) {
        img = elfw_pvh_kernel(elfclass, 0, false, &size);
        expect_reject(img, size, "PVH");
        free(img);
    }
}
END_TEST

START_TEST(truncated_header)
{
    size_t size;
    uint8_t *img;

    for (int elfclass = ELFCLASS32; elfclass <= ELFCLASS64; elfclass++) {
        size_t ehsize = elfclass == ELFCLASS64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);

        img = elfw_pvh_kernel(elfclass, 0x100000, true, &size);
        for (size_t n = 0; n < ehsize; n++)
            expect_reject(img, n, NULL);
        expect_reject(img, ehsize - 1, "truncated");
        free(img);
    }
}
END_TEST

START_TEST(truncated_program_headers)
{
    struct elfw w;
    size_t size;
    uint8_t *img;

    std_image(&w, ELFCLASS64);
    img = elfw_build(&w, &size);
    /* Cut inside the second program header. */
    expect_reject(img, elfw_phdr_offset(&w, 1) + 8, "program headers");
    /* Program headers placed past the end, or where offset + size overflows. */
    elfw_set64(img, offsetof(Elf64_Ehdr, e_phoff), size - sizeof(Elf64_Phdr));
    expect_reject(img, size, "program headers");
    elfw_set64(img, offsetof(Elf64_Ehdr, e_phoff), UINT64_MAX - 40);
    expect_reject(img, size, "program headers");
    free(img);
    elfw_free(&w);

    std_image(&w, ELFCLASS32);
    img = elfw_build(&w, &size);
    expect_reject(img, elfw_phdr_offset(&w, 1) + 8, "program headers");
    elfw_set32(img, offsetof(Elf32_Ehdr, e_phoff), UINT32_MAX - 10);
    expect_reject(img, size, "program headers");
    free(img);
    elfw_free(&w);
}
END_TEST

START_TEST(segment_past_eof)
{
    struct elfw w;
    size_t size, load_end;
    uint8_t *img;

    for (int elfclass = ELFCLASS32; elfclass <= ELFCLASS64; elfclass++) {
        /* Load data last in the file, so that a cut image loses it. */
        elfw_init(&w, elfclass);
        elfw_phdr(&w, PT_NOTE, pvh_notes(&w, 0x100000));
        elfw_load(&w, 0x100000, elfw_blob(&w, code, sizeof(code)), 0x1000);
        img = elfw_build(&w, &size);
        load_end = w.blob[1].offset + w.blob[1].len;
        ck_assert_uint_eq(load_end, size);
        expect_reject(img, size - 1, "truncated");
        free(img);
        elfw_free(&w);
    }

    /* file offset + size overflowing 64 bits */
    std_image(&w, ELFCLASS64);
    img = elfw_build(&w, &size);
    elfw_set64(img, ph_field(&w, 0, "offset"), UINT64_MAX - 16);
    expect_reject(img, size, "past the end");
    elfw_set64(img, ph_field(&w, 0, "offset"), size);
    expect_reject(img, size, "past the end");
    elfw_set64(img, ph_field(&w, 0, "offset"), 0);
    elfw_set64(img, ph_field(&w, 0, "filesz"), size + 1);
    elfw_set64(img, ph_field(&w, 0, "memsz"), size + 1);
    expect_reject(img, size, "past the end");
    free(img);
    elfw_free(&w);
}
END_TEST

START_TEST(filesz_above_memsz)
{
    struct elfw w;
    size_t size;
    uint8_t *img;

    for (int elfclass = ELFCLASS32; elfclass <= ELFCLASS64; elfclass++) {
        std_image(&w, elfclass);
        img = elfw_build(&w, &size);
        if (elfclass == ELFCLASS64)
            elfw_set64(img, ph_field(&w, 0, "memsz"), sizeof(code) - 1);
        else
            elfw_set32(img, ph_field(&w, 0, "memsz"), sizeof(code) - 1);
        expect_reject(img, size, "more file bytes");
        free(img);
        elfw_free(&w);
    }
}
END_TEST

/*
 * A PT_LOAD with file bytes and memsz 0 breaks the same rule as any other
 * filesz > memsz segment; the parser must not treat it as an empty one.
 */
START_TEST(filesz_with_zero_memsz)
{
    struct elfw w;
    size_t size;
    uint8_t *img;

    elfw_init(&w, ELFCLASS64);
    elfw_load(&w, 0x100000, elfw_blob(&w, code, sizeof(code)), 0x1000);
    elfw_load(&w, 0x300000, elfw_blob(&w, code, sizeof(code)), 0x1000);
    elfw_phdr(&w, PT_NOTE, pvh_notes(&w, 0x100000));
    img = elfw_build(&w, &size);
    elfw_set64(img, ph_field(&w, 1, "memsz"), 0);
    expect_reject(img, size, "more file bytes");
    free(img);
    elfw_free(&w);
}
END_TEST

START_TEST(empty_segments_are_skipped)
{
    struct elf_info info;
    struct elfw w;
    size_t size;
    uint8_t *img;

    /* memsz 0 and filesz 0, at the same paddr as the real one: not a segment at all. */
    elfw_init(&w, ELFCLASS64);
    elfw_load(&w, 0x100000, elfw_blob(&w, code, sizeof(code)), 0x1000);
    elfw_load(&w, 0x100000, -1, 0);
    elfw_phdr(&w, PT_NOTE, pvh_notes(&w, 0x100000));
    img = elfw_build(&w, &size);
    expect_ok(img, size, &info);
    ck_assert_uint_eq(info.nseg, 1);
    free(img);
    elfw_free(&w);

    /* Only empty loads: nothing to run. */
    elfw_init(&w, ELFCLASS64);
    elfw_load(&w, 0x100000, -1, 0);
    elfw_phdr(&w, PT_NOTE, pvh_notes(&w, 0x100000));
    img = elfw_build(&w, &size);
    expect_reject(img, size, "no loadable");
    free(img);
    elfw_free(&w);
}
END_TEST

/* Two loads: [a, a + alen) and [b, b + blen). */
static int two_loads(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen, char *err)
{
    struct elf_info info;
    struct elfw w;
    size_t size;
    uint8_t *img;
    int rc;

    elfw_init(&w, ELFCLASS64);
    elfw_load(&w, a, elfw_blob(&w, code, 16), alen);
    elfw_load(&w, b, elfw_blob(&w, code, 16), blen);
    elfw_phdr(&w, PT_NOTE, pvh_notes(&w, (uint32_t)a));
    img = elfw_build(&w, &size);
    rc = parse(img, size, &info, err, 256);
    free(img);
    elfw_free(&w);
    return rc;
}

START_TEST(overlapping_segments)
{
    static const struct {
        uint64_t a, alen, b, blen;
    } bad[] = {
        { 0x100000, 0x2000, 0x101000, 0x2000 },     /* partial, second after */
        { 0x101000, 0x2000, 0x100000, 0x2000 },     /* partial, second before */
        { 0x100000, 0x1000, 0x100000, 0x1000 },     /* identical */
        { 0x100000, 0x10000, 0x104000, 0x1000 },    /* contained */
        { 0x104000, 0x1000, 0x100000, 0x10000 },    /* containing */
        { 0x100000, 0x1000, 0x100fff, 0x1000 },     /* one byte */
    };
    char err[256];

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        ck_assert_msg(two_loads(bad[i].a, bad[i].alen, bad[i].b, bad[i].blen, err) == -ENOEXEC,
                      "case %zu accepted", i);
        ck_assert_msg(strstr(err, "overlap"), "case %zu: '%s'", i, err);
    }
    /* Touching is fine, either way round. */
    ck_assert_int_eq(two_loads(0x100000, 0x1000, 0x101000, 0x1000, err), 0);
    ck_assert_int_eq(two_loads(0x101000, 0x1000, 0x100000, 0x1000, err), 0);
}
END_TEST

START_TEST(segment_wraps)
{
    struct elfw w;
    size_t size;
    uint8_t *img;

    std_image(&w, ELFCLASS64);
    img = elfw_build(&w, &size);
    elfw_set64(img, ph_field(&w, 0, "paddr"), 0xfffffffffffff000ull);
    elfw_set64(img, ph_field(&w, 0, "memsz"), 0x2000);
    expect_reject(img, size, "wraps");
    /* Ending exactly at 2^64 wraps to 0 as well. */
    elfw_set64(img, ph_field(&w, 0, "memsz"), 0x1000);
    expect_reject(img, size, "wraps");
    elfw_set64(img, ph_field(&w, 0, "paddr"), 1);
    elfw_set64(img, ph_field(&w, 0, "memsz"), UINT64_MAX);
    expect_reject(img, size, "wraps");
    free(img);
    elfw_free(&w);
}
END_TEST

START_TEST(bad_phnum)
{
    static const uint16_t counts[] = { 0, 257, 1000, 0xfffe, 0xffff };
    struct elfw w;
    size_t size;
    uint8_t *img;

    std_image(&w, ELFCLASS64);
    img = elfw_build(&w, &size);
    for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
        elfw_set16(img, offsetof(Elf64_Ehdr, e_phnum), counts[i]);
        expect_reject(img, size, "program header");
    }
    /* Within the parser's limit but larger than the file. */
    elfw_set16(img, offsetof(Elf64_Ehdr, e_phnum), 256);
    expect_reject(img, size, "past the end");
    free(img);
    elfw_free(&w);

    std_image(&w, ELFCLASS32);
    img = elfw_build(&w, &size);
    elfw_set16(img, offsetof(Elf32_Ehdr, e_phnum), 0);
    expect_reject(img, size, "program headers");
    elfw_set16(img, offsetof(Elf32_Ehdr, e_phnum), 0xffff);
    expect_reject(img, size, "program headers");
    free(img);
    elfw_free(&w);
}
END_TEST

START_TEST(bad_phentsize)
{
    static const uint16_t sizes64[] = { 0, 1, 32, 55, 57, 64, 0xffff };
    static const uint16_t sizes32[] = { 0, 31, 33, 56, 0xffff };
    struct elfw w;
    size_t size;
    uint8_t *img;

    std_image(&w, ELFCLASS64);
    img = elfw_build(&w, &size);
    for (size_t i = 0; i < sizeof(sizes64) / sizeof(sizes64[0]); i++) {
        elfw_set16(img, offsetof(Elf64_Ehdr, e_phentsize), sizes64[i]);
        expect_reject(img, size, "program header size");
    }
    free(img);
    elfw_free(&w);

    std_image(&w, ELFCLASS32);
    img = elfw_build(&w, &size);
    for (size_t i = 0; i < sizeof(sizes32) / sizeof(sizes32[0]); i++) {
        elfw_set16(img, offsetof(Elf32_Ehdr, e_phentsize), sizes32[i]);
        expect_reject(img, size, "program header size");
    }
    free(img);
    elfw_free(&w);
}
END_TEST

START_TEST(wrong_machine)
{
    static const uint16_t bad64[] = { EM_386, EM_AARCH64, EM_ARM, EM_NONE, 0xffff };
    static const uint16_t bad32[] = { EM_ARM, EM_NONE, 6, 0xffff };
    struct elfw w;
    size_t size;
    uint8_t *img;

    std_image(&w, ELFCLASS64);
    img = elfw_build(&w, &size);
    for (size_t i = 0; i < sizeof(bad64) / sizeof(bad64[0]); i++) {
        elfw_set16(img, offsetof(Elf64_Ehdr, e_machine), bad64[i]);
        expect_reject(img, size, "x86-64");
    }
    free(img);
    elfw_free(&w);

    std_image(&w, ELFCLASS32);
    img = elfw_build(&w, &size);
    for (size_t i = 0; i < sizeof(bad32) / sizeof(bad32[0]); i++) {
        elfw_set16(img, offsetof(Elf32_Ehdr, e_machine), bad32[i]);
        expect_reject(img, size, "x86");
    }
    free(img);
    elfw_free(&w);
}
END_TEST

START_TEST(wrong_ident)
{
    struct elfw w;
    size_t size;
    uint8_t *img;

    std_image(&w, ELFCLASS64);
    img = elfw_build(&w, &size);

    img[EI_DATA] = ELFDATA2MSB;
    expect_reject(img, size, "little-endian");
    img[EI_DATA] = ELFDATANONE;
    expect_reject(img, size, "little-endian");
    img[EI_DATA] = ELFDATA2LSB;

    img[EI_CLASS] = ELFCLASSNONE;
    expect_reject(img, size, "class");
    img[EI_CLASS] = 3;
    expect_reject(img, size, "class");
    img[EI_CLASS] = 0xff;
    expect_reject(img, size, "class");
    img[EI_CLASS] = ELFCLASS64;

    img[EI_VERSION] = EV_NONE;
    expect_reject(img, size, "version");
    img[EI_VERSION] = EV_CURRENT;

    img[0] = 0x7e;
    expect_reject(img, size, "not an ELF");
    img[0] = ELFMAG0;
    img[3] = 'G';
    expect_reject(img, size, "not an ELF");
    img[3] = ELFMAG3;

    elfw_set16(img, offsetof(Elf64_Ehdr, e_type), ET_DYN);
    expect_reject(img, size, "executable");
    elfw_set16(img, offsetof(Elf64_Ehdr, e_type), ET_REL);
    expect_reject(img, size, "executable");
    elfw_set16(img, offsetof(Elf64_Ehdr, e_type), ET_EXEC);

    /* Still valid after all that. */
    {
        struct elf_info info;

        expect_ok(img, size, &info);
    }
    free(img);
    elfw_free(&w);
}
END_TEST

/* An image whose only note area holds `raw` (in a PT_NOTE, or a SHT_NOTE section). */
static uint8_t *raw_note_image(const void *raw, size_t len, bool in_section, size_t *size)
{
    struct elfw w;
    uint8_t *img;

    elfw_init(&w, ELFCLASS64);
    elfw_load(&w, 0x100000, elfw_blob(&w, code, sizeof(code)), 0x1000);
    if (in_section)
        elfw_shdr(&w, SHT_NOTE, elfw_blob(&w, raw, len));
    else
        elfw_phdr(&w, PT_NOTE, elfw_blob(&w, raw, len));
    img = elfw_build(&w, size);
    elfw_free(&w);
    return img;
}

START_TEST(notes_past_their_area)
{
    /* namesz, descsz, type, then name and desc words. */
    static const uint32_t cases[][6] = {
        { 100, 4, XEN_ELFNOTE_PHYS32_ENTRY, 0x006e6558, 0x100000, 0 },  /* name too long */
        { 4, 100, XEN_ELFNOTE_PHYS32_ENTRY, 0x006e6558, 0x100000, 0 },  /* desc too long */
        { 4, 9, XEN_ELFNOTE_PHYS32_ENTRY, 0x006e6558, 0x100000, 0 },    /* desc padding */
        { 0xffffffff, 4, XEN_ELFNOTE_PHYS32_ENTRY, 0x006e6558, 0x100000, 0 },
        { 4, 0xffffffff, XEN_ELFNOTE_PHYS32_ENTRY, 0x006e6558, 0x100000, 0 },
        { 0xffffffff, 0xffffffff, XEN_ELFNOTE_PHYS32_ENTRY, 0x006e6558, 0x100000, 0 },
        { 0xfffffffd, 0xfffffffd, 0, 0, 0, 0 },
        { 4, 0xfffffff0, XEN_ELFNOTE_GUEST_OS, 0x006e6558, 0x41414141, 0 },
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        for (int in_section = 0; in_section <= 1; in_section++) {
            size_t size;
            uint8_t *img = raw_note_image(cases[i], 20, in_section, &size);

            expect_reject(img, size, "past the end");
            free(img);
        }
    }
}
END_TEST

START_TEST(note_area_past_eof)
{
    struct elfw w;
    size_t size;
    uint8_t *img;

    std_image(&w, ELFCLASS64);
    img = elfw_build(&w, &size);
    elfw_set64(img, ph_field(&w, 1, "offset"), size - 8);
    expect_reject(img, size, "note");
    elfw_set64(img, ph_field(&w, 1, "offset"), UINT64_MAX - 4);
    expect_reject(img, size, "note");
    elfw_set64(img, ph_field(&w, 1, "offset"), w.blob[1].offset);
    elfw_set64(img, ph_field(&w, 1, "filesz"), size);
    expect_reject(img, size, "note");
    free(img);
    elfw_free(&w);

    /* The same for a note section. */
    elfw_init(&w, ELFCLASS64);
    elfw_load(&w, 0x100000, elfw_blob(&w, code, sizeof(code)), 0x1000);
    elfw_shdr(&w, SHT_NOTE, pvh_notes(&w, 0x100000));
    img = elfw_build(&w, &size);
    elfw_set64(img, elfw_shdr_offset(&w, 0) + offsetof(Elf64_Shdr, sh_size), UINT64_MAX);
    expect_reject(img, size, "note");
    elfw_set64(img, elfw_shdr_offset(&w, 0) + offsetof(Elf64_Shdr, sh_size), 16);
    elfw_set64(img, elfw_shdr_offset(&w, 0) + offsetof(Elf64_Shdr, sh_offset), size - 15);
    expect_reject(img, size, "note");
    free(img);
    elfw_free(&w);
}
END_TEST

START_TEST(short_note_tails_are_ignored)
{
    uint8_t notes[160];
    size_t nlen = 0, size;
    uint32_t entry = 0x100000;
    struct elf_info info;
    struct elfw w;
    uint8_t *img;

    /* Fewer than 12 bytes after the last note: no header fits, nothing to read. */
    elfw_note(notes, &nlen, "Xen", XEN_ELFNOTE_PHYS32_ENTRY, &entry, sizeof(entry));
    memset(notes + nlen, 0xff, 11);
    nlen += 11;
    elfw_init(&w, ELFCLASS64);
    elfw_load(&w, 0x100000, elfw_blob(&w, code, sizeof(code)), 0x1000);
    elfw_phdr(&w, PT_NOTE, elfw_blob(&w, notes, nlen));
    img = elfw_build(&w, &size);
    expect_ok(img, size, &info);
    ck_assert_uint_eq(info.phys32_entry, 0x100000);
    free(img);
    elfw_free(&w);
}
END_TEST

START_TEST(long_guest_os_is_cut)
{
    char os[200];
    uint8_t notes[300];
    size_t nlen = 0, size;
    uint32_t entry = 0x100000;
    struct elf_info info;
    struct elfw w;
    uint8_t *img;

    /* Not NUL-terminated and longer than the field. */
    memset(os, 'x', sizeof(os));
    elfw_note(notes, &nlen, "Xen", XEN_ELFNOTE_GUEST_OS, os, sizeof(os));
    elfw_note(notes, &nlen, "Xen", XEN_ELFNOTE_PHYS32_ENTRY, &entry, sizeof(entry));
    elfw_init(&w, ELFCLASS64);
    elfw_load(&w, 0x100000, elfw_blob(&w, code, sizeof(code)), 0x1000);
    elfw_phdr(&w, PT_NOTE, elfw_blob(&w, notes, nlen));
    img = elfw_build(&w, &size);
    expect_ok(img, size, &info);
    ck_assert_uint_eq(strlen(info.guest_os), sizeof(info.guest_os) - 1);
    free(img);
    elfw_free(&w);
}
END_TEST

static uint8_t *many_loads(unsigned int n, size_t *size)
{
    struct elfw w;
    uint8_t *img;

    elfw_init(&w, ELFCLASS64);
    for (unsigned int i = 0; i < n; i++)
        elfw_load(&w, 0x100000 + i * 0x1000ull, elfw_blob(&w, code, 16), 0x1000);
    elfw_phdr(&w, PT_NOTE, pvh_notes(&w, 0x100000));
    img = elfw_build(&w, size);
    elfw_free(&w);
    return img;
}

START_TEST(segment_count_limit)
{
    struct elf_info info;
    size_t size;
    uint8_t *img;

    img = many_loads(ELF_MAX_SEGMENTS, &size);
    expect_ok(img, size, &info);
    ck_assert_uint_eq(info.nseg, ELF_MAX_SEGMENTS);
    ck_assert_uint_eq(info.paddr_hi, 0x100000 + ELF_MAX_SEGMENTS * 0x1000ull);
    free(img);

    img = many_loads(ELF_MAX_SEGMENTS + 1, &size);
    expect_reject(img, size, "more than");
    free(img);
}
END_TEST

START_TEST(small_error_buffers)
{
    struct elf_info info;
    char err[8];
    size_t size;
    uint8_t *img = elfw_pvh_kernel(ELFCLASS64, 0, false, &size);

    memset(err, 'z', sizeof(err));
    ck_assert_int_eq(parse(img, size, &info, err, 1), -ENOEXEC);
    ck_assert_int_eq(err[0], '\0');
    ck_assert_int_eq(err[1], 'z');
    memset(err, 'z', sizeof(err));
    ck_assert_int_eq(parse(img, size, &info, err, 0), -ENOEXEC);
    ck_assert_int_eq(err[0], 'z');
    ck_assert_int_eq(parse(img, size, &info, err, 5), -ENOEXEC);
    ck_assert_uint_eq(strlen(err), 4);
    free(img);
}
END_TEST

/* Every prefix of a valid image parses without reading past it. */
START_TEST(truncation_sweep)
{
    for (int elfclass = ELFCLASS32; elfclass <= ELFCLASS64; elfclass++) {
        struct elf_info info;
        struct elfw w;
        size_t size, needed = 0;
        uint8_t *img;
        char err[256];

        elfw_init(&w, elfclass);
        elfw_load(&w, 0x100000, elfw_blob(&w, code, sizeof(code)), 0x1000);
        elfw_phdr(&w, PT_NOTE, pvh_notes(&w, 0x100000));
        elfw_shdr(&w, SHT_NOTE, pvh_notes(&w, 0x100000));
        img = elfw_build(&w, &size);
        for (unsigned int i = 0; i < w.nblob - 1; i++)
            if (w.blob[i].offset + w.blob[i].len > needed)
                needed = w.blob[i].offset + w.blob[i].len;
        for (size_t n = 0; n <= size; n++) {
            int rc = parse(img, n, &info, err, sizeof(err));

            if (n < needed)
                ck_assert_msg(rc == -ENOEXEC, "prefix %zu of %zu accepted", n, size);
            else
                ck_assert_msg(rc == 0, "prefix %zu of %zu: %s", n, size, err);
        }
        free(img);
        elfw_free(&w);
    }
}
END_TEST

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* What a successful parse promises its caller (the PVH builder). */
static void check_invariants(const struct elf_info *info, size_t size)
{
    ck_assert(info->nseg >= 1 && info->nseg <= ELF_MAX_SEGMENTS);
    ck_assert(info->has_phys32_entry);
    ck_assert_uint_eq(info->paddr_lo, info->seg[0].paddr);
    for (unsigned int i = 0; i < info->nseg; i++) {
        const struct elf_segment *s = &info->seg[i];

        ck_assert(s->memsz > 0 && s->filesz <= s->memsz);
        ck_assert(s->offset <= size && s->filesz <= size - s->offset);
        ck_assert(s->paddr + s->memsz > s->paddr);
        if (i > 0)
            ck_assert(info->seg[i - 1].paddr + info->seg[i - 1].memsz <= s->paddr);
    }
    ck_assert_uint_eq(info->paddr_hi,
                      info->seg[info->nseg - 1].paddr + info->seg[info->nseg - 1].memsz);
    ck_assert(memchr(info->guest_os, '\0', sizeof(info->guest_os)));
}

/* Random corruption of valid images (a cheap, deterministic fuzz run). */
START_TEST(random_mutations)
{
    static const uint64_t interesting[] = {
        0, 1, 3, 4, 7, 8, 12, 0x7f, 0x80, 0xff, 0xffff, 0x7fffffff, 0x80000000,
        0xffffffff, 0x100000000ull, 0x7fffffffffffffffull, UINT64_MAX,
    };
    unsigned int accepted = 0;

    for (int elfclass = ELFCLASS32; elfclass <= ELFCLASS64; elfclass++) {
        struct elfw w;
        size_t size;
        uint8_t *orig, *img;

        elfw_init(&w, elfclass);
        elfw_load(&w, 0x200000, elfw_blob(&w, code, sizeof(code)), 0x1000);
        elfw_load(&w, 0x100000, elfw_blob(&w, code, 32), 0x3000);
        elfw_phdr(&w, PT_NOTE, pvh_notes(&w, 0x100000));
        elfw_shdr(&w, SHT_NOTE, pvh_notes(&w, 0x200000));
        orig = elfw_build(&w, &size);
        img = malloc(size);
        ck_assert_ptr_nonnull(img);
        for (int iter = 0; iter < 20000; iter++) {
            struct elf_info info;
            char err[128] = "";
            size_t n = size;
            int rc;

            memcpy(img, orig, size);
            for (int k = 1 + (int)(rng() % 4); k > 0; k--) {
                size_t at = rng() % size;
                uint64_t v = interesting[rng() % (sizeof(interesting) / sizeof(interesting[0]))];
                size_t width = (size_t)1 << (rng() % 4);

                if (rng() % 3 == 0)
                    img[at] = (uint8_t)rng();
                else if (at + width <= size)
                    memcpy(img + at, &v, width);
            }
            if (rng() % 8 == 0)
                n = rng() % size;
            rc = parse(img, n, &info, err, sizeof(err));
            if (rc == 0) {
                check_invariants(&info, n);
                accepted++;
            } else {
                ck_assert_int_eq(rc, -ENOEXEC);
                ck_assert(err[0] != '\0');
            }
        }
        free(img);
        free(orig);
        elfw_free(&w);
    }
    /* Some mutations are harmless: the valid path got exercised too. */
    ck_assert_uint_gt(accepted, 100);
}
END_TEST

/* ---- bzImages: the compressed ELF inside a Linux kernel image ---- */

static const char *const format_name[] = { "gzip", "xz", "zstd" };

/* Extract from an exact-size copy; frees the output unless the caller wants it. */
static int extract(const uint8_t *img, size_t size, uint8_t **out, size_t *out_size, char *err,
                   size_t errlen)
{
    uint8_t *copy = malloc(size ? size : 1);
    uint8_t *elf = NULL;
    size_t elf_size = 0;
    int rc;

    ck_assert_ptr_nonnull(copy);
    memcpy(copy, img, size);
    err[0] = '\0';
    rc = bzimage_extract(copy, size, &elf, &elf_size, err, errlen);
    free(copy);
    if (rc == 0 && out) {
        *out = elf;
        *out_size = elf_size;
    } else {
        free(elf);
    }
    return rc;
}

static void expect_bz_reject_at(const uint8_t *img, size_t size, const char *what, int line)
{
    char err[256];
    int rc = extract(img, size, NULL, NULL, err, sizeof(err));

    ck_assert_msg(rc == -ENOEXEC, "line %d: rc %d, expected -ENOEXEC (err '%s')", line, rc, err);
    ck_assert_msg(err[0] != '\0', "line %d: rejected without a message", line);
    if (what)
        ck_assert_msg(strstr(err, what), "line %d: message '%s' lacks '%s'", line, err, what);
}

#define expect_bz_reject(img, size, what) expect_bz_reject_at(img, size, what, __LINE__)

START_TEST(bzimage_formats)
{
    size_t elf_size, size, out_size;
    uint8_t *elf = elfw_pvh_kernel(ELFCLASS64, 0x100000, true, &elf_size);

    for (int f = BZW_GZIP; f <= BZW_ZSTD; f++) {
        for (unsigned int sects = 0; sects <= 1; sects++) {
            size_t clen;
            uint8_t *c = bzw_compress((enum bzw_format)f, elf, elf_size, &clen);
            uint8_t *img = bzw_build(c, clen, sects, &size), *out = NULL;
            struct elf_info info;
            char err[256];

            ck_assert(bzimage_detect(img, size));
            ck_assert_msg(extract(img, size, &out, &out_size, err, sizeof(err)) == 0, "%s: %s",
                          format_name[f], err);
            ck_assert_uint_eq(out_size, elf_size);
            ck_assert_int_eq(memcmp(out, elf, elf_size), 0);
            expect_ok(out, out_size, &info);
            ck_assert_uint_eq(info.phys32_entry, 0x100000);
            free(out);
            free(img);
            free(c);
        }
    }
    /* A plain ELF is not a bzImage. */
    ck_assert(!bzimage_detect(elf, elf_size));
    free(elf);
}
END_TEST

START_TEST(bzimage_header_checks)
{
    static const uint8_t unknown[][8] = {
        { 'B', 'Z', 'h', '9', '1', 'A', 'Y', '&' },     /* bzip2 */
        { 0x5d, 0, 0, 0x80, 0, 0xff, 0xff, 0xff },      /* lzma */
        { 0x02, 0x21, 0x4c, 0x18, 0, 0, 0, 0 },         /* lz4 */
        { 0x89, 'L', 'Z', 'O', 0, 0x0d, 0x0a, 0x1a },   /* lzo */
        { 0x7f, 'E', 'L', 'F', 2, 1, 1, 0 },            /* uncompressed */
    };
    size_t elf_size, size;
    uint8_t *elf = elfw_pvh_kernel(ELFCLASS64, 0x100000, true, &elf_size);
    uint8_t *img = bzw_wrap(BZW_GZIP, elf, elf_size, &size);
    uint8_t *tmp;

    /* Too short to hold the fields read, or without the magic. */
    ck_assert(!bzimage_detect(img, BZW_PAYLOAD_LENGTH + 4));
    ck_assert(bzimage_detect(img, BZW_PAYLOAD_LENGTH + 5));
    for (size_t n = 0; n <= BZW_PAYLOAD_LENGTH + 4; n += 37)
        expect_bz_reject(img, n, "not a bzImage");
    img[BZW_MAGIC + 3] = 's';
    ck_assert(!bzimage_detect(img, size));
    expect_bz_reject(img, size, "not a bzImage");
    img[BZW_MAGIC + 3] = 'S';
    /* Boot protocol before 2.08: no payload fields. */
    elfw_set16(img, BZW_VERSION, 0x0207);
    expect_bz_reject(img, size, "too old");
    elfw_set16(img, BZW_VERSION, 0);
    expect_bz_reject(img, size, "too old");
    elfw_set16(img, BZW_VERSION, 0xffff);
    ck_assert_int_eq(extract(img, size, NULL, NULL, (char[256]){ 0 }, 256), 0);
    elfw_set16(img, BZW_VERSION, 0x020f);
    /* Payload offset and length against the file. */
    elfw_set32(img, BZW_PAYLOAD_OFFSET, 0xffffffff);
    expect_bz_reject(img, size, "outside");
    elfw_set32(img, BZW_PAYLOAD_OFFSET, (uint32_t)size);
    expect_bz_reject(img, size, "outside");
    elfw_set32(img, BZW_PAYLOAD_OFFSET, 0);
    elfw_set32(img, BZW_PAYLOAD_LENGTH, (uint32_t)(size - 1024 + 1));
    expect_bz_reject(img, size, "outside");
    elfw_set32(img, BZW_PAYLOAD_LENGTH, 0xffffffff);
    expect_bz_reject(img, size, "outside");
    elfw_set32(img, BZW_PAYLOAD_LENGTH, 7);
    expect_bz_reject(img, size, "outside");
    elfw_set32(img, BZW_PAYLOAD_LENGTH, 0);
    expect_bz_reject(img, size, "outside");
    elfw_set32(img, BZW_PAYLOAD_LENGTH, (uint32_t)(size - 1024));
    img[BZW_SETUP_SECTS] = 0xff;
    expect_bz_reject(img, size, "outside");
    img[BZW_SETUP_SECTS] = 1;
    /* The file cut anywhere in the payload. */
    expect_bz_reject(img, size - 1, "outside");
    expect_bz_reject(img, 1024 + 3, "outside");
    free(img);

    for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
        tmp = bzw_build(unknown[i], sizeof(unknown[i]), 1, &size);
        expect_bz_reject(tmp, size, "compression");
        free(tmp);
    }
    free(elf);
}
END_TEST

START_TEST(bzimage_corrupt_payloads)
{
    size_t elf_size, size, clen;
    uint8_t *elf = elfw_pvh_kernel(ELFCLASS64, 0x100000, true, &elf_size);

    for (int f = BZW_GZIP; f <= BZW_ZSTD; f++) {
        uint8_t *c = bzw_compress((enum bzw_format)f, elf, elf_size, &clen), *img;
        char err[256];

        /* Cut short: the stream ends before its end. */
        for (size_t keep = 8; keep < clen; keep += clen / 7 + 1) {
            img = bzw_build(c, keep, 1, &size);
            expect_bz_reject(img, size, "corrupt");
            free(img);
        }
        /* Damaged in the middle: refused, or (without a checksum) unpacked to something. */
        for (size_t at = 8; at < clen; at += 11) {
            int rc;

            img = bzw_build(c, clen, 1, &size);
            img[1024 + at] ^= 0x5a;
            rc = extract(img, size, NULL, NULL, err, sizeof(err));
            ck_assert_msg(rc == 0 || rc == -ENOEXEC, "%s byte %zu: rc %d", format_name[f], at,
                          rc);
            free(img);
        }
        /* Trailing garbage after a complete stream. */
        {
            uint8_t *more = malloc(clen + 64);

            ck_assert_ptr_nonnull(more);
            memcpy(more, c, clen);
            memset(more + clen, 0xee, 64);
            img = bzw_build(more, clen + 64, 1, &size);
            ck_assert_int_ge(extract(img, size, NULL, NULL, err, sizeof(err)), -ENOEXEC);
            free(img);
            free(more);
        }
        free(c);
    }
    /* A payload that unpacks to something that is not an ELF image. */
    {
        static const char text[] = "just some text, not a kernel";
        uint8_t *out = NULL, *img = bzw_wrap(BZW_GZIP, text, sizeof(text), &size);
        size_t out_size;
        char err[256];

        ck_assert_int_eq(extract(img, size, &out, &out_size, err, sizeof(err)), 0);
        expect_reject(out, out_size, "not an ELF");
        free(out);
        free(img);
    }
    free(elf);
}
END_TEST

/* A payload that unpacks past the loader's limit is refused, not held. */
START_TEST(bzimage_decompression_bomb)
{
    size_t clen, size;
    uint8_t *c = bzw_zstd_zeroes(BZIMAGE_MAX_ELF + (1u << 20), &clen);
    uint8_t *img = bzw_build(c, clen, 1, &size);

    expect_bz_reject(img, size, "more than");
    free(img);
    free(c);
}
END_TEST

START_TEST(bzimage_random_mutations)
{
    size_t elf_size;
    uint8_t *elf = elfw_pvh_kernel(ELFCLASS64, 0x100000, true, &elf_size);

    for (int f = BZW_GZIP; f <= BZW_ZSTD; f++) {
        size_t size;
        uint8_t *orig = bzw_wrap((enum bzw_format)f, elf, elf_size, &size);
        uint8_t *img = malloc(size);

        ck_assert_ptr_nonnull(img);
        for (int iter = 0; iter < 100; iter++) {
            char err[256];
            size_t n = size;
            int rc;

            memcpy(img, orig, size);
            for (int k = 1 + (int)(rng() % 3); k > 0; k--) {
                size_t at = rng() % size;

                /* Mostly the header and the start of the stream. */
                if (rng() % 2)
                    at = BZW_SETUP_SECTS + rng() % (1024 + 32 - BZW_SETUP_SECTS);
                if (at < size)
                    img[at] = (uint8_t)rng();
            }
            if (rng() % 8 == 0)
                n = rng() % size;
            rc = extract(img, n, NULL, NULL, err, sizeof(err));
            ck_assert_msg(rc == 0 || rc == -ENOEXEC, "%s: rc %d", format_name[f], rc);
            if (rc)
                ck_assert(err[0] != '\0');
        }
        free(img);
        free(orig);
    }
    free(elf);
}
END_TEST

static Suite *elf_suite(void)
{
    Suite *s = suite_create("elf");
    TCase *tc = tcase_create("parse");

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, valid_elf64);
    tcase_add_test(tc, valid_elf32);
    tcase_add_test(tc, notes_only_in_sections);
    tcase_add_test(tc, odd_sections_are_ignored);
    tcase_add_test(tc, entry_note_sizes);
    tcase_add_test(tc, missing_entry_note);
    tcase_add_test(tc, truncated_header);
    tcase_add_test(tc, truncated_program_headers);
    tcase_add_test(tc, segment_past_eof);
    tcase_add_test(tc, filesz_above_memsz);
    tcase_add_test(tc, filesz_with_zero_memsz);
    tcase_add_test(tc, empty_segments_are_skipped);
    tcase_add_test(tc, overlapping_segments);
    tcase_add_test(tc, segment_wraps);
    tcase_add_test(tc, bad_phnum);
    tcase_add_test(tc, bad_phentsize);
    tcase_add_test(tc, wrong_machine);
    tcase_add_test(tc, wrong_ident);
    tcase_add_test(tc, notes_past_their_area);
    tcase_add_test(tc, note_area_past_eof);
    tcase_add_test(tc, short_note_tails_are_ignored);
    tcase_add_test(tc, long_guest_os_is_cut);
    tcase_add_test(tc, segment_count_limit);
    tcase_add_test(tc, small_error_buffers);
    tcase_add_test(tc, truncation_sweep);
    tcase_add_test(tc, random_mutations);
    suite_add_tcase(s, tc);

    tc = tcase_create("bzimage");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, bzimage_formats);
    tcase_add_test(tc, bzimage_header_checks);
    tcase_add_test(tc, bzimage_corrupt_payloads);
    tcase_add_test(tc, bzimage_decompression_bomb);
    tcase_add_test(tc, bzimage_random_mutations);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(elf_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
