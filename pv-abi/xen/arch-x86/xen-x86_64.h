/* xen/arch-x86/xen-x86_64.h: 64-bit x86 specifics of the guest interface. */
/* SPDX-License-Identifier: MIT */
#ifndef __LAMINA_XEN_PUBLIC_ARCH_X86_XEN_X86_64_H__
#define __LAMINA_XEN_PUBLIC_ARCH_X86_XEN_X86_64_H__

/*
 * Included by xen/arch-x86/xen.h; not meant to be included on its own, but
 * it only needs fixed-width integer types.
 */
#include <stdint.h>

/* Page-table base <-> frame number: CR3 holds the frame address. */
#define xen_pfn_to_cr3(pfn) ((unsigned long)(pfn) << 12)
#define xen_cr3_to_pfn(cr3) ((unsigned long)(cr3) >> 12)

/* Per-vCPU arch state inside vcpu_info; the padding keeps vcpu_info at 64 bytes. */
struct arch_vcpu_info {
    unsigned long cr2;
    unsigned long pad;
};
typedef struct arch_vcpu_info arch_vcpu_info_t;

/* A callback is a plain 64-bit entry address. */
typedef unsigned long xen_callback_t;

#endif /* __LAMINA_XEN_PUBLIC_ARCH_X86_XEN_X86_64_H__ */
