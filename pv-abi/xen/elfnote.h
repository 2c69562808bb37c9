/* xen/elfnote.h: types of the "Xen" ELF notes a guest kernel image carries. */
/* SPDX-License-Identifier: MIT */
#ifndef __LAMINA_XEN_PUBLIC_ELFNOTE_H__
#define __LAMINA_XEN_PUBLIC_ELFNOTE_H__

/*
 * Notes have owner name "Xen"; the descriptor is a string, or an integer
 * of the note's own size, depending on the type.
 */
#define XEN_ELFNOTE_INFO 0
/* Virtual entry address (PV). */
#define XEN_ELFNOTE_ENTRY 1
/* Virtual address where the hypercall page should be placed (PV). */
#define XEN_ELFNOTE_HYPERCALL_PAGE 2
#define XEN_ELFNOTE_VIRT_BASE 3
#define XEN_ELFNOTE_PADDR_OFFSET 4
/* Strings: the interface version, OS name and version, loader ("generic"). */
#define XEN_ELFNOTE_XEN_VERSION 5
#define XEN_ELFNOTE_GUEST_OS 6
#define XEN_ELFNOTE_GUEST_VERSION 7
#define XEN_ELFNOTE_LOADER 8
#define XEN_ELFNOTE_PAE_MODE 9
/* String of '|'-separated features, '!' marking required ones. */
#define XEN_ELFNOTE_FEATURES 10
#define XEN_ELFNOTE_BSD_SYMTAB 11
#define XEN_ELFNOTE_HV_START_LOW 12
#define XEN_ELFNOTE_L1_MFN_VALID 13
#define XEN_ELFNOTE_SUSPEND_CANCEL 14
#define XEN_ELFNOTE_INIT_P2M 15
#define XEN_ELFNOTE_MOD_START_PFN 16
/* Bitmap of XENFEAT_* the kernel supports. */
#define XEN_ELFNOTE_SUPPORTED_FEATURES 17
/* 32-bit physical entry point for PVH boot (see xen/hvm/start_info.h). */
#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define XEN_ELFNOTE_MAX XEN_ELFNOTE_PHYS32_ENTRY

/* Notes found in crash dumps and core files, not in kernels. */
#define XEN_ELFNOTE_CRASH_INFO 0x1000001
#define XEN_ELFNOTE_CRASH_REGS 0x1000002
#define XEN_ELFNOTE_DUMPCORE_NONE 0x2000000
#define XEN_ELFNOTE_DUMPCORE_HEADER 0x2000001
#define XEN_ELFNOTE_DUMPCORE_XEN_VERSION 0x2000002
#define XEN_ELFNOTE_DUMPCORE_FORMAT_VERSION 0x2000003

#endif /* __LAMINA_XEN_PUBLIC_ELFNOTE_H__ */
