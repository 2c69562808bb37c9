/* fuzz_guest_mem.c: fuzz target for the guest page-table walker and the physmap. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "guest_mem.h"
#include "hv.h"

/*
 * A fake domain as in test_guest_mem.c (memfd of RAM and hypervisor
 * pages, real physmap, memory slots recorded by the stub backend).
 * Input byte 0 picks the mode:
 *  - even: walker.  struct walk_in (paging registers, a linear address,
 *    a length, read or write), then bytes for guest RAM, where page tables
 *    live.  Translations and copies must succeed or fail with -EFAULT.
 *  - odd: physmap.  Triples (op, gfn, page): map a hypervisor page (or
 *    shared_info) over RAM or outside it, unmap.  After each, every frame
 *    must translate to the memfd page the physmap says backs it.
 */

#define RAM_PAGES   16u
#define SPARE_PAGES 16u
#define GFN_RANGE   40u

struct walk_in {
    uint64_t cr0, cr3, cr4, efer, la;
    uint16_t len;
    uint8_t write;
} __attribute__((packed));

const size_t fuzz_max_len = 1 + sizeof(struct walk_in) + RAM_PAGES * 4096;
const unsigned long fuzz_replay_mutations = 2000;

static struct domain *dom;

static void setup(void)
{
    dom = calloc(1, sizeof(*dom));
    if (!dom)
        abort();
    dom->domid = 1;
    dom->ram_pages = RAM_PAGES;
    pthread_rwlock_init(&dom->physmap_lock, NULL);
    dom->memfd = memfd_create("fuzz-guest-mem", MFD_CLOEXEC);
    dom->mem_size = (RAM_PAGES + 1 + HV_SPECIAL_PAGE_COUNT + SPARE_PAGES) * HV_PAGE_SIZE;
    if (dom->memfd < 0 || ftruncate(dom->memfd, (off_t)dom->mem_size) < 0)
        abort();
    dom->mem = mmap(NULL, dom->mem_size, PROT_READ | PROT_WRITE, MAP_SHARED, dom->memfd, 0);
    if (dom->mem == MAP_FAILED)
        abort();
    dom->shared_info_offset = RAM_PAGES * HV_PAGE_SIZE;
    dom->shared_info = (struct shared_info *)(dom->mem + dom->shared_info_offset);
    dom->special_offset = dom->shared_info_offset + HV_PAGE_SIZE;
    if (physmap_init(dom) < 0)
        abort();
}

static uint64_t spare_offset(unsigned int page)
{
    return dom->special_offset + (HV_SPECIAL_PAGE_COUNT + page % SPARE_PAGES) * HV_PAGE_SIZE;
}

static void walk(const uint8_t *data, size_t size)
{
    static uint8_t buf[3 * 4096];
    struct walk_in in;
    struct vcpu v;
    uint64_t gpa;
    size_t ram = RAM_PAGES * HV_PAGE_SIZE, n;
    int rc;

    if (size < sizeof(in))
        return;
    memcpy(&in, data, sizeof(in));
    n = size - sizeof(in) < ram ? size - sizeof(in) : ram;
    memcpy(dom->mem, data + sizeof(in), n);
    memset(dom->mem + n, 0, ram - n);

    memset(&v, 0, sizeof(v));
    v.d = dom;
    v.paging = (struct vcpu_paging){ in.cr0, in.cr3, in.cr4, in.efer };
    rc = linear_to_gpa(dom, &v.paging, in.la, in.write & 1, &gpa);
    FUZZ_CHECK(rc == 0 || rc == -EFAULT);
    n = in.len % sizeof(buf);
    rc = (in.write & 1) ? copy_to_guest(&v, in.la, buf, n) : copy_from_guest(&v, buf, in.la, n);
    FUZZ_CHECK(rc == 0 || rc == -EFAULT);
    if (n == 0)
        FUZZ_CHECK(rc == 0);
}

/* Every frame in range reaches the page the physmap says backs it. */
static void check_physmap(void)
{
    for (uint64_t gfn = 0; gfn < GFN_RANGE; gfn++) {
        int64_t off = physmap_gfn_offset(dom, gfn);
        uint8_t *p = gpa_ptr(dom, gfn << HV_PAGE_SHIFT, HV_PAGE_SIZE);
        uint8_t mark = (uint8_t)(gfn * 7 + 1);

        FUZZ_CHECK((off >= 0) == (p != NULL));
        if (off < 0)
            continue;
        FUZZ_CHECK((uint64_t)off < dom->mem_size && !(off & 0xfff));
        dom->mem[off] = mark;
        FUZZ_CHECK(p[0] == mark);
        if ((uint64_t)off >= dom->shared_info_offset) {
            uint64_t at;

            FUZZ_CHECK(physmap_offset_gfn(dom, (uint64_t)off, &at));
            FUZZ_CHECK(at == gfn);
        } else {
            FUZZ_CHECK((uint64_t)off == gfn << HV_PAGE_SHIFT);
        }
    }
}

static void physmap_ops(const uint8_t *data, size_t size)
{
    physmap_free(dom);
    if (physmap_init(dom) < 0)
        abort();
    for (size_t i = 0; i + 3 <= size; i += 3) {
        uint64_t gfn = data[i + 1] % GFN_RANGE;
        uint64_t off = spare_offset(data[i + 2]);
        int rc;

        switch (data[i] % 3) {
        case 0:
            rc = physmap_map_page(dom, gfn, off);
            FUZZ_CHECK(rc == 0 || rc == -ENOSPC);
            break;
        case 1:
            rc = physmap_unmap_page(dom, gfn);
            FUZZ_CHECK(rc == 0 || rc == -ENOENT);
            break;
        default:
            rc = physmap_map_page(dom, gfn, dom->shared_info_offset);
            FUZZ_CHECK(rc == 0 || rc == -ENOSPC);
            break;
        }
        check_physmap();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    if (!dom)
        setup();
    if (data[0] & 1)
        physmap_ops(data + 1, size - 1);
    else
        walk(data + 1, size - 1);
    return 0;
}

/* Long-mode tables mapping la 0x400000.. to 0x8000.., a 2 MiB page, the high half. */
void fuzz_seeds(fuzz_emit_fn *emit, void *arg)
{
    static uint8_t buf[1 + sizeof(struct walk_in) + 0x8000];
    static const uint8_t ops[] = {
        0, 3, 1, 0, 20, 2, 2, 5, 0, 1, 3, 0, 0, 3, 30, 1, 0, 20, 2, 1, 5, 1, 20, 0,
    };
    struct walk_in in = { .cr0 = 0x80010001, .cr3 = 0x1000, .cr4 = 0x20, .efer = 0x500,
                          .la = 0x400ff0, .len = 64, .write = 0 };
    uint8_t *ram = buf + 1 + sizeof(in);
    uint64_t e;

#define PTE(table, index, value) (e = (value), memcpy(ram + (table) + (index) * 8, &e, 8))
    PTE(0x1000, 0, 0x2003);
    PTE(0x2000, 0, 0x3003);
    PTE(0x3000, 2, 0x4003);
    PTE(0x3000, 3, 0x200083);
    PTE(0x4000, 0, 0x7003);
    PTE(0x4000, 1, 0x6001);
#undef PTE
    buf[0] = 0;
    memcpy(buf + 1, &in, sizeof(in));
    emit(buf, sizeof(buf), arg);
    in.write = 1;
    in.la = 0x600010;
    memcpy(buf + 1, &in, sizeof(in));
    emit(buf, sizeof(buf), arg);
    /* 32-bit PAE and legacy paging over the same bytes. */
    in.efer = 0;
    in.cr3 = 0x1000;
    memcpy(buf + 1, &in, sizeof(in));
    emit(buf, sizeof(buf), arg);
    in.cr4 = 0x10;
    memcpy(buf + 1, &in, sizeof(in));
    emit(buf, sizeof(buf), arg);

    buf[0] = 1;
    memcpy(buf + 1, ops, sizeof(ops));
    emit(buf, 1 + sizeof(ops), arg);
}
