/* paging.c: the identity map: 4 GiB from boot, more with 1 GiB pages where the CPU has them. */
/* SPDX-License-Identifier: MIT */
#include <guest-kit/x86.h>

#include "../../internal.h"
#include "arch.h"

#define GIB                 (1ull << 30)
#define CPUID_EXT_FEATURES  0x80000001u
#define CPUID_PDPE1GB       (1u << 26)      /* edx */
#define PDPT_ENTRIES        512

static uint64_t limit = GK_BOOT_MAP_GIB * GIB;

uint64_t gk_paging_limit(void)
{
    return limit;
}

/*
 * RAM above 4 GiB only exists for large domains. Mapping it takes one
 * PDPT entry per GiB with 1 GiB pages; without them the heap simply stays
 * below 4 GiB rather than spending boot time on page tables.
 */
uint64_t gk_paging_extend(uint64_t top)
{
    uint64_t gib;

    if (top <= limit || gk_cpuid(0x80000000u, 0).eax < CPUID_EXT_FEATURES ||
        !(gk_cpuid(CPUID_EXT_FEATURES, 0).edx & CPUID_PDPE1GB))
        return limit;
    for (gib = limit / GIB; gib < PDPT_ENTRIES && gib * GIB < top; gib++)
        gk_boot_pdpt[gib] = gib * GIB | GK_PTE_PRESENT | GK_PTE_WRITE | GK_PTE_LARGE;
    gk_write_cr3(gk_read_cr3());
    limit = gib * GIB;
    return limit;
}
