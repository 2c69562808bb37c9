/* test_guest_mem.c: Check tests of the guest-physical map and the guest page-table walker. */
/* SPDX-License-Identifier: MIT */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "guest_mem.h"
#include "hv.h"
#include "stub_arch.h"

/*
 * A fake domain: a memfd laid out as domain.c lays it out (RAM, then
 * shared_info, the special pages and the grant frames) plus spare
 * hypervisor pages for the limit tests, with the real physmap over it and
 * the memory-slot calls going to the stub backend.  Page tables are
 * written straight into "guest RAM" through the hypervisor's own mapping,
 * which for low RAM sits at the same offset as the guest-physical address.
 */

#define RAM_PAGES       2048ull         /* 8 MiB */
#define SPARE_PAGES     300ull
#define EXTRA_PAGES     (1 + HV_SPECIAL_PAGE_COUNT + GNTTAB_MAX_FRAMES + SPARE_PAGES)
#define SPARE_OFFSET(d, i) \
    ((d)->special_offset + (HV_SPECIAL_PAGE_COUNT + GNTTAB_MAX_FRAMES + (uint64_t)(i)) * 4096)

#define CR0_PG      (1ull << 31)
#define CR0_WP      (1ull << 16)
#define CR4_PSE     (1ull << 4)
#define CR4_PAE     (1ull << 5)
#define CR4_LA57    (1ull << 12)
#define EFER_LME    (1ull << 8)
#define EFER_LMA    (1ull << 10)
#define P           (1ull << 0)
#define RW          (1ull << 1)
#define US          (1ull << 2)
#define PS          (1ull << 7)
#define NX          (1ull << 63)

static const struct vcpu_paging long_mode = {
    .cr0 = CR0_PG | CR0_WP | 1, .cr3 = 0x1000, .cr4 = CR4_PAE, .efer = EFER_LME | EFER_LMA,
};

static struct domain *dom;

static struct domain *fake_domain(uint64_t ram_pages)
{
    struct domain *d = calloc(1, sizeof(*d));

    ck_assert_ptr_nonnull(d);
    stub_arch_reset();
    d->domid = 1;
    d->ram_pages = ram_pages;
    pthread_rwlock_init(&d->physmap_lock, NULL);
    d->memfd = memfd_create("test-guest-mem", MFD_CLOEXEC);
    ck_assert_int_ge(d->memfd, 0);
    d->mem_size = (ram_pages + EXTRA_PAGES) << HV_PAGE_SHIFT;
    ck_assert_int_eq(ftruncate(d->memfd, (off_t)d->mem_size), 0);
    d->mem = mmap(NULL, d->mem_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE,
                  d->memfd, 0);
    ck_assert_ptr_ne(d->mem, MAP_FAILED);
    d->shared_info_offset = ram_pages << HV_PAGE_SHIFT;
    d->shared_info = (struct shared_info *)(d->mem + d->shared_info_offset);
    d->shared_info_gfn = GFN_INVALID;
    d->special_offset = d->shared_info_offset + HV_PAGE_SIZE;
    d->gnttab.offset = d->special_offset + HV_SPECIAL_PAGE_COUNT * HV_PAGE_SIZE;
    ck_assert_int_eq(physmap_init(d), 0);
    return d;
}

static void fake_domain_free(struct domain *d)
{
    physmap_free(d);
    ck_assert_uint_eq(stub_arch_nslots(), 0);
    munmap(d->mem, d->mem_size);
    close(d->memfd);
    pthread_rwlock_destroy(&d->physmap_lock);
    free(d);
}

static void setup(void)
{
    dom = fake_domain(RAM_PAGES);
}

static void teardown(void)
{
    fake_domain_free(dom);
    dom = NULL;
}

/* Page-table entries written into guest RAM (low RAM: gpa == memfd offset). */
static void pte64(uint64_t table, unsigned int index, uint64_t entry)
{
    memcpy(dom->mem + table + index * 8, &entry, 8);
}

static void pte32(uint64_t table, unsigned int index, uint32_t entry)
{
    memcpy(dom->mem + table + index * 4, &entry, 4);
}

static int walk(const struct vcpu_paging *p, uint64_t la, bool write, uint64_t *gpa)
{
    *gpa = 0xdeadbeef;
    return linear_to_gpa(dom, p, la, write, gpa);
}

#define expect_gpa(p, la, write, want) \
    do { \
        uint64_t got_; \
        int rc_ = walk(p, la, write, &got_); \
        ck_assert_msg(rc_ == 0, "la %#llx: rc %d", (unsigned long long)(la), rc_); \
        ck_assert_msg(got_ == (want), "la %#llx: gpa %#llx, expected %#llx", \
                      (unsigned long long)(la), (unsigned long long)got_, \
                      (unsigned long long)(want)); \
    } while (0)

#define expect_fault(p, la, write) \
    do { \
        uint64_t got_; \
        int rc_ = walk(p, la, write, &got_); \
        ck_assert_msg(rc_ == -EFAULT, "la %#llx: rc %d (gpa %#llx), expected -EFAULT", \
                      (unsigned long long)(la), rc_, (unsigned long long)got_); \
    } while (0)

/*
 * 4-level tables: PML4 0x1000; PDPT 0x2000 (low) and 0x5000 (high half);
 * PD 0x3000; PT 0x4000.  Mapped: la 0x400000 + i*4K -> 0x10000 + i*4K for
 * i < 4 (PT entries 0..3; entry 1 read-only), la 0x600000 -> 2M page at
 * 0x200000, la 1 GiB -> 1G page at 0, la 0xffff800000000000 -> 0x20000.
 */
static void build_long_mode_tables(void)
{
    pte64(0x1000, 0, 0x2000 | P | RW | US);
    pte64(0x1000, 256, 0x5000 | P | RW);
    pte64(0x2000, 0, 0x3000 | P | RW | US);
    pte64(0x2000, 1, 0x0 | P | RW | PS);
    pte64(0x3000, 2, 0x4000 | P | RW | US);
    pte64(0x3000, 3, 0x200000 | P | RW | PS);
    for (unsigned int i = 0; i < 4; i++)
        pte64(0x4000, i, (0x10000 + i * 0x1000ull) | P | (i == 1 ? 0 : RW) | US);
    pte64(0x5000, 0, 0x6000 | P | RW);
    pte64(0x6000, 0, 0x7000 | P | RW);
    pte64(0x7000, 0, 0x20000 | P | RW | NX);
}

START_TEST(paging_off)
{
    struct vcpu_paging p = { .cr0 = 1 };

    expect_gpa(&p, 0x1234, false, 0x1234);
    expect_gpa(&p, 0x1234, true, 0x1234);
    /* 32-bit linear addresses: the upper half is not there. */
    expect_gpa(&p, 0x100001234ull, false, 0x1234);
    expect_gpa(&p, 0xffffffffull, false, 0xffffffffull);
}
END_TEST

START_TEST(long_mode_4k)
{
    build_long_mode_tables();
    expect_gpa(&long_mode, 0x400000, false, 0x10000);
    expect_gpa(&long_mode, 0x400fff, false, 0x10fff);
    expect_gpa(&long_mode, 0x402abc, true, 0x12abc);
    expect_gpa(&long_mode, 0x403000, false, 0x13000);
    expect_gpa(&long_mode, 0xffff800000000123ull, false, 0x20123);
    /* NX and the software bits above the address are not part of it. */
    pte64(0x7000, 0, 0x20000 | P | RW | NX | (0x7ffull << 52));
    expect_gpa(&long_mode, 0xffff800000000123ull, true, 0x20123);
    /* CR3's low bits (PCID) are not part of the table address. */
    {
        struct vcpu_paging p = long_mode;

        p.cr3 = 0x1000 | 0x5a5;
        expect_gpa(&p, 0x400010, false, 0x10010);
    }
}
END_TEST

START_TEST(long_mode_large_pages)
{
    build_long_mode_tables();
    /* 2 MiB page */
    expect_gpa(&long_mode, 0x600000, false, 0x200000);
    expect_gpa(&long_mode, 0x7fffff, true, 0x3fffff);
    expect_gpa(&long_mode, 0x612345, false, 0x212345);
    /* 1 GiB page */
    expect_gpa(&long_mode, 0x40000000, false, 0);
    expect_gpa(&long_mode, 0x40001234, true, 0x1234);
    expect_gpa(&long_mode, 0x7fffffff, false, 0x3fffffff);
    /* The PAT bit and reserved bits of a large-page entry are not address bits. */
    pte64(0x3000, 3, 0x200000 | (1ull << 12) | (1ull << 16) | P | RW | PS);
    expect_gpa(&long_mode, 0x600010, false, 0x200010);
    pte64(0x2000, 1, (1ull << 12) | (1ull << 20) | P | RW | PS);
    expect_gpa(&long_mode, 0x40000010, false, 0x10);
}
END_TEST

START_TEST(long_mode_not_present)
{
    build_long_mode_tables();
    /* Each level in turn. */
    expect_fault(&long_mode, 0x8000000000ull, false);       /* PML4 entry 1 */
    expect_fault(&long_mode, 0x80000000ull, false);         /* PDPT entry 2 */
    expect_fault(&long_mode, 0x800000, false);              /* PD entry 4 */
    expect_fault(&long_mode, 0x404000, false);              /* PT entry 4 */
    pte64(0x4000, 0, 0x10000 | RW);                         /* address but no P bit */
    expect_fault(&long_mode, 0x400000, false);
    pte64(0x3000, 3, 0x200000 | RW | PS);
    expect_fault(&long_mode, 0x600000, false);
    pte64(0x2000, 1, RW | PS);
    expect_fault(&long_mode, 0x40000000, false);
}
END_TEST

START_TEST(long_mode_read_only)
{
    struct vcpu_paging no_wp = long_mode;

    no_wp.cr0 &= ~CR0_WP;
    build_long_mode_tables();
    /* A read-only PTE: reads pass; writes only when CR0.WP is clear. */
    expect_gpa(&long_mode, 0x401000, false, 0x11000);
    expect_fault(&long_mode, 0x401000, true);
    expect_gpa(&no_wp, 0x401000, true, 0x11000);
    /* Read-only higher up covers everything below it. */
    pte64(0x3000, 2, 0x4000 | P | US);
    expect_fault(&long_mode, 0x400000, true);
    expect_gpa(&long_mode, 0x400000, false, 0x10000);
    expect_gpa(&no_wp, 0x400000, true, 0x10000);
    pte64(0x1000, 0, 0x2000 | P);
    expect_fault(&long_mode, 0x600000, true);
    expect_fault(&long_mode, 0x40000000, true);
    expect_gpa(&long_mode, 0x600000, false, 0x200000);
    /* A read-only large page. */
    pte64(0x1000, 0, 0x2000 | P | RW);
    pte64(0x3000, 3, 0x200000 | P | PS);
    expect_fault(&long_mode, 0x600000, true);
    expect_gpa(&no_wp, 0x600000, true, 0x200000);
}
END_TEST

START_TEST(long_mode_non_canonical)
{
    static const uint64_t bad[] = {
        0x0000800000000000ull, 0x0000800000400000ull, 0xffff7fffffffffffull,
        0x8000000000000000ull, 0x7fffffffffffffffull, 0x0100000000400000ull,
    };

    build_long_mode_tables();
    /* Same table indexes as mapped addresses, but bits 48..63 are not a sign extension. */
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        expect_fault(&long_mode, bad[i], false);
        expect_fault(&long_mode, bad[i], true);
    }
}
END_TEST

START_TEST(five_level_paging)
{
    struct vcpu_paging p = long_mode;

    build_long_mode_tables();
    /* PML5 at 0x8000: entry 0 -> the PML4 above, entry 1 -> another PML4 (0x9000). */
    pte64(0x8000, 0, 0x1000 | P | RW);
    pte64(0x8000, 1, 0x9000 | P | RW);
    pte64(0x9000, 0, 0x2000 | P | RW);
    p.cr3 = 0x8000;
    p.cr4 |= CR4_LA57;
    expect_gpa(&p, 0x400010, false, 0x10010);
    /* Canonical with 57 bits only. */
    expect_gpa(&p, 0x0001000000400020ull, false, 0x10020);
    expect_fault(&p, 0x0100000000000000ull, false);
    expect_fault(&p, 0x0002000000000000ull, false);         /* PML5 entry 2: not present */
}
END_TEST

START_TEST(legacy_32bit)
{
    struct vcpu_paging p = { .cr0 = CR0_PG | CR0_WP | 1, .cr3 = 0x1000 };

    /* PD 0x1000 (4-byte entries), PT 0x2000; entry 2 a 4 MiB page at 4 MiB. */
    pte32(0x1000, 1, 0x2000 | P | RW);
    pte32(0x2000, 1, 0x10000 | P | RW);
    pte32(0x2000, 2, 0x11000 | P);
    pte32(0x1000, 2, 0x400000 | P | RW | PS);
    pte32(0x1000, 3, 0x3000 | P | RW | PS);                 /* PS without CR4.PSE */
    pte32(0x3000, 5, 0x12000 | P | RW);

    expect_gpa(&p, 0x401234, false, 0x10234);
    expect_gpa(&p, 0x402234, false, 0x11234);
    expect_fault(&p, 0x402234, true);                       /* read-only, WP set */
    expect_fault(&p, 0x403000, false);                      /* PT entry 3 */
    expect_fault(&p, 0x1000000, false);                     /* PD entry 4 */
    /* Without CR4.PSE the PS bit means nothing: entry 3 points at a page table. */
    expect_gpa(&p, 0xc05678, false, 0x12678);
    expect_fault(&p, 0x812345, false);                      /* entry 2 as a table: empty */
    p.cr4 = CR4_PSE;
    expect_gpa(&p, 0x812345, true, 0x412345);
    expect_gpa(&p, 0xbfffff, false, 0x7fffff);
    /* The upper half of a 64-bit address is ignored, as the CPU would. */
    expect_gpa(&p, 0x100401234ull, false, 0x10234);
    p.cr0 &= ~CR0_WP;
    expect_gpa(&p, 0x402234, true, 0x11234);
}
END_TEST

START_TEST(pae_32bit)
{
    struct vcpu_paging p = { .cr0 = CR0_PG | CR0_WP | 1, .cr3 = 0x1020, .cr4 = CR4_PAE };

    /* PDPT of 4 entries at 0x1020 (32-byte aligned), PD 0x2000, PT 0x3000. */
    pte64(0x1020, 1, 0x2000 | P);
    pte64(0x2000, 1, 0x3000 | P | RW);
    pte64(0x3000, 3, 0x11000 | P | RW | NX);
    pte64(0x3000, 4, 0x12000 | P);
    pte64(0x2000, 2, 0x200000 | P | RW | PS);

    expect_gpa(&p, 0x40203456, false, 0x11456);
    expect_gpa(&p, 0x40203456, true, 0x11456);
    expect_gpa(&p, 0x40204010, false, 0x12010);
    expect_fault(&p, 0x40204010, true);
    expect_gpa(&p, 0x40412345, true, 0x212345);             /* 2 MiB page */
    expect_fault(&p, 0x00000000, false);                    /* PDPT entry 0 */
    expect_fault(&p, 0xc0000000, false);                    /* PDPT entry 3 */
    expect_fault(&p, 0x40600000, false);                    /* PD entry 3 */
    expect_fault(&p, 0x40205000, false);                    /* PT entry 5 */
    pte64(0x1020, 2, 0x2000);                               /* a PDPT entry without P */
    expect_fault(&p, 0x80203456, false);
    /* The PDPT comes from CR3 bits 5..31: 0x1000 is a different table. */
    p.cr3 = 0x1000;
    expect_fault(&p, 0x40203456, false);
}
END_TEST

START_TEST(tables_outside_ram)
{
    struct vcpu_paging p = long_mode;
    uint64_t gpa;
    uint8_t buf[16];
    struct vcpu v = { .d = dom, .paging = long_mode };

    build_long_mode_tables();
    /* CR3 beyond RAM, in the MMIO hole, at the top of the physical space. */
    p.cr3 = RAM_PAGES << HV_PAGE_SHIFT;
    expect_fault(&p, 0x400000, false);
    p.cr3 = 0xf0000000;
    expect_fault(&p, 0x400000, false);
    p.cr3 = 0x000ffffffffff000ull;
    expect_fault(&p, 0x400000, false);
    /* An intermediate table outside RAM. */
    pte64(0x3000, 2, 0x80000000ull | P | RW);
    expect_fault(&long_mode, 0x400000, false);
    pte64(0x2000, 0, 0xffffffffff000ull | P | RW);
    expect_fault(&long_mode, 0x400000, false);
    /* A leaf outside RAM translates, but nothing can be copied from it. */
    build_long_mode_tables();
    pte64(0x4000, 0, 0x7ffff000ull | P | RW);
    ck_assert_int_eq(walk(&long_mode, 0x400000, false, &gpa), 0);
    ck_assert_uint_eq(gpa, 0x7ffff000ull);
    ck_assert_int_eq(copy_from_guest(&v, buf, 0x400000, sizeof(buf)), -EFAULT);
    ck_assert_int_eq(copy_to_guest(&v, 0x400000, buf, sizeof(buf)), -EFAULT);

    /* 32-bit modes too. */
    p = (struct vcpu_paging){ .cr0 = CR0_PG | 1, .cr3 = 0xfffff000 };
    expect_fault(&p, 0x1000, false);
    p.cr4 = CR4_PAE;
    p.cr3 = 0xffffffe0;
    expect_fault(&p, 0x1000, false);
    p.cr3 = 0x1020;
    pte64(0x1020, 0, 0xfff00000ull | P);
    expect_fault(&p, 0x1000, false);
}
END_TEST

START_TEST(copies_across_pages)
{
    struct vcpu v = { .d = dom, .paging = long_mode };
    uint8_t in[64], out[64];

    build_long_mode_tables();
    /* la 0x403000 (-> 0x13000) and 0x404000 (unmapped) */
    for (size_t i = 0; i < sizeof(in); i++)
        in[i] = (uint8_t)(i * 7 + 1);
    /* Pages 0 and 2 of the PT are at 0x10000 and 0x12000: place them out of order. */
    pte64(0x4000, 0, 0x12000 | P | RW);
    pte64(0x4000, 1, 0x10000 | P | RW);
    ck_assert_int_eq(copy_to_guest(&v, 0x400fe0, in, sizeof(in)), 0);
    ck_assert_int_eq(memcmp(dom->mem + 0x12fe0, in, 32), 0);
    ck_assert_int_eq(memcmp(dom->mem + 0x10000, in + 32, 32), 0);
    memset(out, 0, sizeof(out));
    ck_assert_int_eq(copy_from_guest(&v, out, 0x400fe0, sizeof(out)), 0);
    ck_assert_int_eq(memcmp(in, out, sizeof(in)), 0);

    build_long_mode_tables();
    /* The second page is not mapped. */
    ck_assert_int_eq(copy_from_guest(&v, out, 0x403ff8, 16), -EFAULT);
    ck_assert_int_eq(copy_to_guest(&v, 0x403ff8, in, 16), -EFAULT);
    /* The second page is read-only. */
    ck_assert_int_eq(copy_to_guest(&v, 0x400ff8, in, 16), -EFAULT);
    ck_assert_int_eq(copy_from_guest(&v, out, 0x400ff8, 16), 0);
    /* Running into non-canonical space, or past the top of the address space. */
    ck_assert_int_eq(copy_from_guest(&v, out, 0x00007ffffffffff8ull, 16), -EFAULT);
    ck_assert_int_eq(copy_from_guest(&v, out, UINT64_MAX - 3, 8), -EFAULT);
    /* ... even when both the last page and page 0 are mapped: no wrapping round. */
    pte64(0x1000, 511, 0xa000 | P | RW);
    pte64(0xa000, 511, 0xb000 | P | RW);
    pte64(0xb000, 511, 0xc000 | P | RW);
    pte64(0xc000, 511, 0x14000 | P | RW);
    pte64(0x3000, 0, 0xd000 | P | RW);
    pte64(0xd000, 0, 0x15000 | P | RW);
    ck_assert_int_eq(copy_from_guest(&v, out, UINT64_MAX - 7, 4), 0);
    ck_assert_int_eq(copy_from_guest(&v, out, 0, 4), 0);
    ck_assert_int_eq(copy_from_guest(&v, out, UINT64_MAX - 3, 8), -EFAULT);
    ck_assert_int_eq(copy_to_guest(&v, UINT64_MAX - 3, in, 8), -EFAULT);
    /* Nothing to copy is never a fault. */
    ck_assert_int_eq(copy_from_guest(&v, out, 0x0000800000000000ull, 0), 0);
    /* Big copies: 3 whole pages through the 4K mappings, the fourth page unmapped. */
    pte64(0x4000, 1, 0x11000 | P | RW);
    pte64(0x4000, 3, 0);
    {
        static uint8_t big[3 * 4096], back[3 * 4096];

        for (size_t i = 0; i < sizeof(big); i++)
            big[i] = (uint8_t)(i ^ (i >> 8));
        ck_assert_int_eq(copy_to_guest(&v, 0x400000, big, sizeof(big)), 0);
        ck_assert_int_eq(copy_from_guest(&v, back, 0x400000, sizeof(back)), 0);
        ck_assert_int_eq(memcmp(big, back, sizeof(big)), 0);
        ck_assert_int_eq(copy_from_guest(&v, back, 0x400001, sizeof(back)), -EFAULT);
    }
}
END_TEST

START_TEST(gpa_bounds)
{
    uint64_t ram_end = RAM_PAGES << HV_PAGE_SHIFT;
    uint8_t buf[16];

    ck_assert_ptr_eq(gpa_ptr(dom, ram_end - 1, 1),
                     (uint8_t *)stub_arch_find(0)->hva + ram_end - 1);
    ck_assert_ptr_null(gpa_ptr(dom, ram_end - 1, 2));
    ck_assert_ptr_null(gpa_ptr(dom, ram_end, 1));
    ck_assert_ptr_null(gpa_ptr(dom, 0, 0));
    ck_assert_ptr_null(gpa_ptr(dom, UINT64_MAX - 1, 4));
    ck_assert_ptr_null(gpa_ptr(dom, 0, SIZE_MAX));
    ck_assert_int_eq(copy_from_gpa(dom, buf, ram_end - 8, 16), -EFAULT);
    ck_assert_int_eq(copy_to_gpa(dom, ram_end - 8, buf, 16), -EFAULT);
    ck_assert_int_eq(copy_from_gpa(dom, buf, ram_end - 16, 16), 0);
    ck_assert_int_eq(copy_from_gpa(dom, buf, UINT64_MAX - 7, 16), -EFAULT);
    /* The special pages are mapped, just below the end of the MMIO hole. */
    ck_assert_ptr_eq(gpa_ptr(dom, (HV_SPECIAL_END_GFN - HV_SPECIAL_PAGE_COUNT) << 12, 8),
                     dom->mem + dom->special_offset);
    ck_assert_ptr_null(gpa_ptr(dom, HV_SPECIAL_END_GFN << 12, 8));
}
END_TEST

/* A page table mapping la 0x400000 to gfn and la 0x401000 to gfn + 1. */
static void map_la_to(uint64_t gfn)
{
    pte64(0x1000, 0, 0x2000 | P | RW);
    pte64(0x2000, 0, 0x3000 | P | RW);
    pte64(0x3000, 2, 0x4000 | P | RW);
    pte64(0x4000, 0, (gfn << 12) | P | RW);
    pte64(0x4000, 1, ((gfn + 1) << 12) | P | RW);
}

START_TEST(shared_info_over_ram)
{
    struct vcpu v = { .d = dom, .paging = long_mode };
    uint64_t gfn = 0x100, other = 0x180, at;
    uint8_t buf[32], pattern[32];

    map_la_to(gfn);
    memset(dom->mem + (gfn << 12), 0x5a, 4096);
    memset(dom->shared_info, 0xc3, 4096);

    ck_assert_int_eq(physmap_map_page(dom, gfn, dom->shared_info_offset), 0);
    /* Guest accesses to gfn now reach the shared_info page, both ways. */
    ck_assert_int_eq(copy_from_guest(&v, buf, 0x400000, sizeof(buf)), 0);
    memset(pattern, 0xc3, sizeof(pattern));
    ck_assert_int_eq(memcmp(buf, pattern, sizeof(buf)), 0);
    memset(pattern, 0x11, sizeof(pattern));
    ck_assert_int_eq(copy_to_guest(&v, 0x400100, pattern, sizeof(pattern)), 0);
    ck_assert_int_eq(memcmp((uint8_t *)dom->shared_info + 0x100, pattern, sizeof(pattern)), 0);
    ck_assert_ptr_eq(gpa_ptr(dom, gfn << 12, 1), (uint8_t *)stub_arch_find(0)->hva + (gfn << 12));
    ck_assert_int_eq(physmap_gfn_offset(dom, gfn), (int64_t)dom->shared_info_offset);
    ck_assert(physmap_offset_gfn(dom, dom->shared_info_offset, &at));
    ck_assert_uint_eq(at, gfn);
    /* The displaced RAM page is given back to the host: it reads as zeroes. */
    ck_assert_uint_eq(dom->mem[(gfn << 12) + 5], 0);
    /* No memory slot was added or changed for it. */
    ck_assert_uint_eq(stub_arch_nslots(), 2);
    /* The neighbour page is still RAM. */
    memset(dom->mem + ((gfn + 1) << 12), 0x77, 16);
    ck_assert_int_eq(copy_from_guest(&v, buf, 0x401000, 16), 0);
    ck_assert_uint_eq(buf[15], 0x77);

    /* Mapping it again elsewhere moves it; the old frame is RAM again. */
    ck_assert_int_eq(physmap_map_page(dom, other, dom->shared_info_offset), 0);
    ck_assert(physmap_offset_gfn(dom, dom->shared_info_offset, &at));
    ck_assert_uint_eq(at, other);
    ck_assert_int_eq(physmap_gfn_offset(dom, gfn), (int64_t)(gfn << 12));
    ck_assert_int_eq(copy_from_guest(&v, buf, 0x400000, 16), 0);
    ck_assert_uint_eq(buf[0], 0);
    ck_assert_uint_eq(((uint8_t *)gpa_ptr(dom, other << 12, 1))[0x100], 0x11);

    /* Unmapping restores RAM: writes land in the RAM page of the memfd again. */
    ck_assert_int_eq(physmap_unmap_page(dom, other), 0);
    ck_assert(!physmap_offset_gfn(dom, dom->shared_info_offset, &at));
    map_la_to(other);
    memset(pattern, 0x42, sizeof(pattern));
    ck_assert_int_eq(copy_to_guest(&v, 0x400000, pattern, sizeof(pattern)), 0);
    ck_assert_int_eq(memcmp(dom->mem + (other << 12), pattern, sizeof(pattern)), 0);
    ck_assert_uint_eq(((uint8_t *)dom->shared_info)[0], 0xc3);
    ck_assert_int_eq(physmap_gfn_offset(dom, other), (int64_t)(other << 12));
    ck_assert_uint_eq(stub_arch_nslots(), 2);
}
END_TEST

START_TEST(replace_override_in_place)
{
    uint64_t gfn = 0x200;

    /* Two hypervisor pages one after the other at the same frame. */
    memset(dom->mem + SPARE_OFFSET(dom, 0), 0xa1, 4096);
    memset(dom->mem + SPARE_OFFSET(dom, 1), 0xb2, 4096);
    ck_assert_int_eq(physmap_map_page(dom, gfn, SPARE_OFFSET(dom, 0)), 0);
    ck_assert_uint_eq(*(uint8_t *)gpa_ptr(dom, gfn << 12, 1), 0xa1);
    ck_assert_int_eq(physmap_map_page(dom, gfn, SPARE_OFFSET(dom, 1)), 0);
    ck_assert_uint_eq(*(uint8_t *)gpa_ptr(dom, gfn << 12, 1), 0xb2);
    ck_assert_int_eq(physmap_gfn_offset(dom, gfn), (int64_t)SPARE_OFFSET(dom, 1));
    /* Mapping the same page at the same place is a no-op. */
    ck_assert_int_eq(physmap_map_page(dom, gfn, SPARE_OFFSET(dom, 1)), 0);
    ck_assert_int_eq(physmap_unmap_page(dom, gfn), 0);
    ck_assert_int_eq(physmap_gfn_offset(dom, gfn), (int64_t)(gfn << 12));
    ck_assert_uint_eq(*(uint8_t *)gpa_ptr(dom, gfn << 12, 1), 0);
}
END_TEST

START_TEST(map_outside_ram)
{
    uint64_t gfn = 0x5000;      /* 80 MiB: beyond RAM, below the MMIO hole */
    const struct stub_arch_slot *s;
    uint64_t at;

    memset(dom->mem + SPARE_OFFSET(dom, 3), 0x3c, 4096);
    ck_assert_ptr_null(gpa_ptr(dom, gfn << 12, 1));
    ck_assert_int_eq(physmap_map_page(dom, gfn, SPARE_OFFSET(dom, 3)), 0);
    ck_assert_uint_eq(stub_arch_nslots(), 3);
    s = stub_arch_find(gfn << 12);
    ck_assert_ptr_nonnull(s);
    ck_assert_uint_eq(s->gpa, gfn << 12);
    ck_assert_uint_eq(s->size, 4096);
    ck_assert_ptr_eq(s->hva, dom->mem + SPARE_OFFSET(dom, 3));
    ck_assert_ptr_eq(gpa_ptr(dom, (gfn << 12) + 8, 8), dom->mem + SPARE_OFFSET(dom, 3) + 8);
    ck_assert_ptr_null(gpa_ptr(dom, (gfn << 12) + 8, 4096));
    ck_assert(physmap_offset_gfn(dom, SPARE_OFFSET(dom, 3), &at));
    ck_assert_uint_eq(at, gfn);

    /* Moving it releases the old slot. */
    ck_assert_int_eq(physmap_map_page(dom, gfn + 1, SPARE_OFFSET(dom, 3)), 0);
    ck_assert_uint_eq(stub_arch_nslots(), 3);
    ck_assert_ptr_null(gpa_ptr(dom, gfn << 12, 1));
    ck_assert_ptr_null(stub_arch_find(gfn << 12));
    /* Another page replacing it at its frame. */
    ck_assert_int_eq(physmap_map_page(dom, gfn + 1, SPARE_OFFSET(dom, 4)), 0);
    ck_assert_uint_eq(stub_arch_nslots(), 3);
    ck_assert_ptr_eq(gpa_ptr(dom, (gfn + 1) << 12, 1), dom->mem + SPARE_OFFSET(dom, 4));
    ck_assert(!physmap_offset_gfn(dom, SPARE_OFFSET(dom, 3), &at));

    ck_assert_int_eq(physmap_unmap_page(dom, gfn + 1), 0);
    ck_assert_uint_eq(stub_arch_nslots(), 2);
    ck_assert_ptr_null(gpa_ptr(dom, (gfn + 1) << 12, 1));
    ck_assert_int_eq(physmap_unmap_page(dom, gfn + 1), -ENOENT);
    ck_assert_int_eq(physmap_gfn_offset(dom, gfn + 1), -EFAULT);
}
END_TEST

START_TEST(map_page_bad_arguments)
{
    ck_assert_int_eq(physmap_map_page(dom, 1ull << 40, dom->shared_info_offset), -EINVAL);
    ck_assert_int_eq(physmap_map_page(dom, UINT64_MAX, dom->shared_info_offset), -EINVAL);
    ck_assert_int_eq(physmap_map_page(dom, 0x10, dom->shared_info_offset + 1), -EINVAL);
    ck_assert_int_eq(physmap_map_page(dom, 0x10, dom->mem_size), -EINVAL);
    ck_assert_int_eq(physmap_map_page(dom, 0x10, UINT64_MAX & ~0xfffull), -EINVAL);
    ck_assert_int_eq(physmap_map_range(dom, 0x6000, 0, dom->shared_info_offset), -EINVAL);
    ck_assert_int_eq(physmap_map_range(dom, 0x6000, 2, dom->mem_size - 4096), -EINVAL);
    ck_assert_int_eq(physmap_map_range(dom, 0x6000, UINT64_MAX, 0), -EINVAL);
    ck_assert_int_eq(physmap_map_range(dom, 0x6000, 1, dom->mem_size + 4096), -EINVAL);
    /* Over RAM, or over the special pages: taken. */
    ck_assert_int_eq(physmap_map_range(dom, 0x10, 1, SPARE_OFFSET(dom, 0)), -EEXIST);
    ck_assert_int_eq(physmap_map_range(dom, RAM_PAGES - 1, 2, SPARE_OFFSET(dom, 0)), -EEXIST);
    ck_assert_int_eq(physmap_map_range(dom, HV_SPECIAL_END_GFN - 1, 1, SPARE_OFFSET(dom, 0)),
                     -EEXIST);
    /* The special-page range is not the guest's to take apart. */
    ck_assert_int_eq(physmap_unmap_page(dom, HV_SPECIAL_END_GFN - 1), -EPERM);
    ck_assert_int_eq(physmap_map_page(dom, HV_SPECIAL_END_GFN - 1, SPARE_OFFSET(dom, 0)),
                     -EPERM);
    ck_assert_int_eq(physmap_unmap_page(dom, 0x6000), -ENOENT);
    ck_assert_uint_eq(stub_arch_nslots(), 2);
}
END_TEST

START_TEST(unmap_ram_page)
{
    memset(dom->mem + 0x30000, 0x99, 4096);
    ck_assert_int_eq(physmap_unmap_page(dom, 0x30), 0);
    /* A RAM page given back is still there (no slot changes), holding zeroes. */
    ck_assert_uint_eq(dom->mem[0x30000], 0);
    ck_assert_ptr_nonnull(gpa_ptr(dom, 0x30000, 4096));
    ck_assert_uint_eq(stub_arch_nslots(), 2);
}
END_TEST

START_TEST(override_limit)
{
    unsigned int i;
    int rc = 0;

    /* 256 hypervisor pages over RAM, each at its own frame. */
    for (i = 0; i < 256; i++) {
        rc = physmap_map_page(dom, 0x100 + i, SPARE_OFFSET(dom, i));
        if (rc)
            break;
    }
    ck_assert_msg(rc == 0, "override %u: rc %d", i, rc);
    ck_assert_int_eq(physmap_map_page(dom, 0x100 + 256, SPARE_OFFSET(dom, 256)), -ENOSPC);
    /* The frame refused still holds RAM. */
    ck_assert_int_eq(physmap_gfn_offset(dom, 0x100 + 256), (int64_t)((0x100 + 256) << 12));
    /* Replacing an existing override needs no new one. */
    ck_assert_int_eq(physmap_map_page(dom, 0x100, SPARE_OFFSET(dom, 256)), 0);
    ck_assert_int_eq(physmap_gfn_offset(dom, 0x100), (int64_t)SPARE_OFFSET(dom, 256));
    /* Freeing one makes room. */
    ck_assert_int_eq(physmap_unmap_page(dom, 0x101), 0);
    ck_assert_int_eq(physmap_map_page(dom, 0x100 + 257, SPARE_OFFSET(dom, 257)), 0);
    ck_assert_uint_eq(stub_arch_nslots(), 2);
}
END_TEST

START_TEST(slot_limit)
{
    unsigned int i, added = 0;
    int rc = 0;

    /* Single pages outside RAM, each its own slot, until the physmap says no. */
    for (i = 0; i < SPARE_PAGES; i++) {
        rc = physmap_map_page(dom, 0x10000 + 2 * i, SPARE_OFFSET(dom, i));
        if (rc)
            break;
        added++;
    }
    ck_assert_int_eq(rc, -ENOSPC);
    ck_assert_uint_eq(added + 2, 256);
    ck_assert_uint_eq(stub_arch_nslots(), 256);
    /* Still consistent: the last page placed is readable, the refused one is not. */
    ck_assert_ptr_nonnull(gpa_ptr(dom, (0x10000 + 2 * (added - 1ull)) << 12, 4096));
    ck_assert_ptr_null(gpa_ptr(dom, (0x10000 + 2ull * added) << 12, 1));
    ck_assert_int_eq(physmap_unmap_page(dom, 0x10000), 0);
    ck_assert_int_eq(physmap_map_page(dom, 0x10000 + 2 * added, SPARE_OFFSET(dom, added)), 0);
}
END_TEST

START_TEST(backend_failure)
{
    uint64_t at;

    stub_arch_fail_next = -ENOMEM;
    ck_assert_int_eq(physmap_map_page(dom, 0x7000, SPARE_OFFSET(dom, 0)), -ENOMEM);
    ck_assert_ptr_null(gpa_ptr(dom, 0x7000ull << 12, 1));
    ck_assert(!physmap_offset_gfn(dom, SPARE_OFFSET(dom, 0), &at));
    /* Nothing was held back by the failure. */
    ck_assert_int_eq(physmap_map_page(dom, 0x7000, SPARE_OFFSET(dom, 0)), 0);
    ck_assert_ptr_nonnull(gpa_ptr(dom, 0x7000ull << 12, 1));
}
END_TEST

/* More RAM than fits below the MMIO hole: the rest starts at 4 GiB. */
START_TEST(high_memory)
{
    struct domain *d = fake_domain((HV_LOWMEM_END >> 12) + 16);
    uint8_t buf[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };

    ck_assert_uint_eq(stub_arch_nslots(), 3);
    ck_assert_ptr_nonnull(gpa_ptr(d, HV_LOWMEM_END - 8, 8));
    ck_assert_ptr_null(gpa_ptr(d, HV_LOWMEM_END, 1));
    ck_assert_int_eq(copy_to_gpa(d, HV_LOWMEM_END - 4, buf, 8), -EFAULT);
    ck_assert_int_eq(copy_to_gpa(d, HV_HIGHMEM_START + 0x1000, buf, 8), 0);
    ck_assert_int_eq(memcmp(d->mem + HV_LOWMEM_END + 0x1000, buf, 8), 0);
    ck_assert_int_eq(physmap_gfn_offset(d, (HV_HIGHMEM_START >> 12) + 15),
                     (int64_t)(HV_LOWMEM_END + 15 * 4096));
    ck_assert_ptr_null(gpa_ptr(d, HV_HIGHMEM_START + 16 * 4096, 1));
    /* An override in high RAM. */
    memset(d->shared_info, 0xee, 16);
    ck_assert_int_eq(physmap_map_page(d, (HV_HIGHMEM_START >> 12) + 2, d->shared_info_offset), 0);
    ck_assert_uint_eq(*(uint8_t *)gpa_ptr(d, HV_HIGHMEM_START + 0x2000, 1), 0xee);
    ck_assert_int_eq(physmap_unmap_page(d, (HV_HIGHMEM_START >> 12) + 2), 0);
    fake_domain_free(d);
}
END_TEST

static Suite *guest_mem_suite(void)
{
    Suite *s = suite_create("guest_mem");
    TCase *walker = tcase_create("walker");
    TCase *physmap = tcase_create("physmap");
    TCase *layout = tcase_create("layout");

    tcase_add_checked_fixture(walker, setup, teardown);
    tcase_add_test(walker, paging_off);
    tcase_add_test(walker, long_mode_4k);
    tcase_add_test(walker, long_mode_large_pages);
    tcase_add_test(walker, long_mode_not_present);
    tcase_add_test(walker, long_mode_read_only);
    tcase_add_test(walker, long_mode_non_canonical);
    tcase_add_test(walker, five_level_paging);
    tcase_add_test(walker, legacy_32bit);
    tcase_add_test(walker, pae_32bit);
    tcase_add_test(walker, tables_outside_ram);
    tcase_add_test(walker, copies_across_pages);
    suite_add_tcase(s, walker);

    tcase_add_checked_fixture(physmap, setup, teardown);
    tcase_add_test(physmap, gpa_bounds);
    tcase_add_test(physmap, shared_info_over_ram);
    tcase_add_test(physmap, replace_override_in_place);
    tcase_add_test(physmap, map_outside_ram);
    tcase_add_test(physmap, map_page_bad_arguments);
    tcase_add_test(physmap, unmap_ram_page);
    tcase_add_test(physmap, override_limit);
    tcase_add_test(physmap, slot_limit);
    tcase_add_test(physmap, backend_failure);
    suite_add_tcase(s, physmap);

    tcase_add_test(layout, high_memory);
    suite_add_tcase(s, layout);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(guest_mem_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
