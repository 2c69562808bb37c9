/* mm.c: the heap's memory: RAM from the memory map minus the image and what the builder left. */
/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>

#include <guest-kit/guest-kit.h>

#include "../internal.h"

#define MIB             (1ull << 20)
#define MAX_MEMMAP      128     /* entries; the map is the builder's word, still bounded */
#define MAX_MODULES     32
/*
 * The legacy area, the image, start info, memory map, command line,
 * module list, and each module with its command line.
 */
#define MAX_RESERVED    (6 + 2 * MAX_MODULES)

struct range {
    uint64_t start, end;
};

static struct range reserved[MAX_RESERVED] GK_NOINIT;
static unsigned int nr_reserved;

const void *gk_boot_data(uint64_t paddr, uint64_t len, const char *what)
{
    uint64_t limit = gk_paging_limit();

    if (paddr > limit || len > limit - paddr)
        gk_panic("the %s at %#lx (%lu bytes) lies outside mapped memory (below %#lx)",
                 what, paddr, len, limit);
    return (const void *)(uintptr_t)paddr;
}

static void reserve(uint64_t start, uint64_t len)
{
    if (len == 0)
        return;
    /* The caller checked that there is room for everything it reserves. */
    reserved[nr_reserved++] = (struct range){ start, start + len };
}

size_t gk_boot_strlen(uint64_t paddr, const char *what)
{
    const char *s = gk_boot_data(paddr, 1, what);
    uint64_t room = gk_paging_limit() - paddr;

    return strnlen(s, room < GK_CMDLINE_MAX - 1 ? (size_t)room : GK_CMDLINE_MAX - 1);
}

/* Reserves a NUL-terminated string in boot data, terminator included. */
static void reserve_string(uint64_t paddr, const char *what)
{
    if (paddr)
        reserve(paddr, gk_boot_strlen(paddr, what) + 1);
}

static void sort_reserved(void)
{
    for (unsigned int i = 1; i < nr_reserved; i++) {
        struct range r = reserved[i];
        unsigned int j = i;

        for (; j > 0 && reserved[j - 1].start > r.start; j--)
            reserved[j] = reserved[j - 1];
        reserved[j] = r;
    }
}

static void add_heap(uint64_t start, uint64_t end)
{
    start = (start + GK_PAGE_SIZE - 1) & ~(uint64_t)(GK_PAGE_SIZE - 1);
    end &= ~(uint64_t)(GK_PAGE_SIZE - 1);
    if (end > start)
        gk_heap_add((uintptr_t)start, (size_t)(end - start));
}

/* Gives the heap [start, end) minus the reserved ranges (sorted). */
static void add_ram(uint64_t start, uint64_t end)
{
    for (unsigned int i = 0; i < nr_reserved && start < end; i++) {
        const struct range *r = &reserved[i];

        if (r->end <= start || r->start >= end)
            continue;
        if (r->start > start)
            add_heap(start, r->start);
        start = r->end;
    }
    if (start < end)
        add_heap(start, end);
}

void gk_mm_init(const struct hvm_start_info *si)
{
    const struct hvm_memmap_table_entry *map;
    uint64_t top = 0, limit;

    if (si->version < 1 || !si->memmap_paddr || !si->memmap_entries)
        gk_panic("the start info (version %u) has no memory map", si->version);
    if (si->memmap_entries > MAX_MEMMAP)
        gk_panic("the memory map has %u entries, guest-kit handles at most %d",
                 si->memmap_entries, MAX_MEMMAP);
    if (si->nr_modules > MAX_MODULES)
        gk_panic("%u boot modules, guest-kit handles at most %d", si->nr_modules, MAX_MODULES);
    map = gk_boot_data(si->memmap_paddr, (uint64_t)si->memmap_entries * sizeof(*map),
                       "memory map");

    /* The legacy area below 1 MiB stays out of the heap, which also keeps NULL unusable. */
    reserve(0, MIB);
    reserve((uintptr_t)__gk_image_start, (uintptr_t)(__gk_image_end - __gk_image_start));
    reserve((uintptr_t)si, sizeof(*si));
    reserve(si->memmap_paddr, (uint64_t)si->memmap_entries * sizeof(*map));
    reserve_string(si->cmdline_paddr, "command line");
    if (si->nr_modules) {
        const struct hvm_modlist_entry *mod =
            gk_boot_data(si->modlist_paddr, (uint64_t)si->nr_modules * sizeof(*mod),
                         "module list");

        reserve(si->modlist_paddr, (uint64_t)si->nr_modules * sizeof(*mod));
        for (uint32_t i = 0; i < si->nr_modules; i++) {
            gk_boot_data(mod[i].paddr, mod[i].size, "boot module");
            reserve(mod[i].paddr, mod[i].size);
            reserve_string(mod[i].cmdline_paddr, "module command line");
        }
    }
    sort_reserved();

    for (uint32_t i = 0; i < si->memmap_entries; i++) {
        uint64_t end = map[i].addr + map[i].size;

        if (map[i].type == XEN_HVM_MEMMAP_TYPE_RAM && end > map[i].addr && end > top)
            top = end;
    }
    limit = gk_paging_extend(top);
    if (top > limit)
        printf("guest-kit: RAM above %lu MiB is not mapped (the CPU has no 1 GiB pages); "
               "the heap does without it\n", limit >> 20);
    for (uint32_t i = 0; i < si->memmap_entries; i++) {
        uint64_t start = map[i].addr, end = start + map[i].size;

        if (map[i].type != XEN_HVM_MEMMAP_TYPE_RAM || end <= start || start >= limit)
            continue;
        add_ram(start, end < limit ? end : limit);
    }
}
