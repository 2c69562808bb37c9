/* xen/arch-x86/hvm/start_info.h: boot information handed to a PVH kernel's 32-bit entry point. */
/* SPDX-License-Identifier: MIT */
#ifndef __LAMINA_XEN_PUBLIC_ARCH_X86_HVM_START_INFO_H__
#define __LAMINA_XEN_PUBLIC_ARCH_X86_HVM_START_INFO_H__

#include <stdint.h>

/*
 * A PVH kernel is entered at XEN_ELFNOTE_PHYS32_ENTRY in 32-bit protected
 * mode, paging off, flat segments, with EBX holding the guest-physical
 * address of a struct hvm_start_info. All addresses in these structures
 * are guest-physical; all of them live in memory marked RAM or reserved.
 */

/* hvm_start_info.magic: "xEn3" with the top bit of 'E' set, read as a little-endian u32. */
#define XEN_HVM_START_MAGIC_VALUE 0x336ec578

/* hvm_memmap_table_entry.type: the E820 / ACPI address range types. */
#define XEN_HVM_MEMMAP_TYPE_RAM 1
#define XEN_HVM_MEMMAP_TYPE_RESERVED 2
#define XEN_HVM_MEMMAP_TYPE_ACPI 3
#define XEN_HVM_MEMMAP_TYPE_NVS 4
#define XEN_HVM_MEMMAP_TYPE_UNUSABLE 5
#define XEN_HVM_MEMMAP_TYPE_DISABLED 6
#define XEN_HVM_MEMMAP_TYPE_PMEM 7

/*
 * Version 0 ends after rsdp_paddr; version 1 adds the memory map. flags
 * takes SIF_* (xen/xen.h). A zero address or count means "not provided".
 */
struct hvm_start_info {
    uint32_t magic;
    uint32_t version;
    uint32_t flags;
    uint32_t nr_modules;
    uint64_t modlist_paddr;
    uint64_t cmdline_paddr;
    uint64_t rsdp_paddr;
    uint64_t memmap_paddr;
    uint32_t memmap_entries;
    uint32_t reserved;
};

/* One boot module (e.g. an initrd) with its own optional command line. */
struct hvm_modlist_entry {
    uint64_t paddr;
    uint64_t size;
    uint64_t cmdline_paddr;
    uint64_t reserved;
};

/* One memory map range; reserved must be zero. */
struct hvm_memmap_table_entry {
    uint64_t addr;
    uint64_t size;
    uint32_t type;
    uint32_t reserved;
};

#endif /* __LAMINA_XEN_PUBLIC_ARCH_X86_HVM_START_INFO_H__ */
