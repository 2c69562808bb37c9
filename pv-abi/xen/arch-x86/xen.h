/* xen/arch-x86/xen.h: x86 part of the guest interface (handles, frame types, shared info). */
/* SPDX-License-Identifier: MIT */
#ifndef __LAMINA_XEN_PUBLIC_ARCH_X86_XEN_H__
#define __LAMINA_XEN_PUBLIC_ARCH_X86_XEN_H__

#include <stdint.h>

/*
 * Guest handles. A handle is a pointer into guest memory wrapped in a
 * one-member struct, so that handles to different types do not convert
 * silently. On x86-64 it is exactly pointer-sized.
 */
#define ___DEFINE_XEN_GUEST_HANDLE(name, type) \
    typedef struct { type *p; } __guest_handle_ ## name
#define __DEFINE_XEN_GUEST_HANDLE(name, type) \
    ___DEFINE_XEN_GUEST_HANDLE(name, type); \
    ___DEFINE_XEN_GUEST_HANDLE(const_ ## name, const type)
#define DEFINE_XEN_GUEST_HANDLE(name) __DEFINE_XEN_GUEST_HANDLE(name, name)
#define __XEN_GUEST_HANDLE(name) __guest_handle_ ## name
#define XEN_GUEST_HANDLE(name) __XEN_GUEST_HANDLE(name)
#define XEN_GUEST_HANDLE_PARAM(name) XEN_GUEST_HANDLE(name)
#define set_xen_guest_handle_raw(hnd, val) do { (hnd).p = (val); } while (0)
#define set_xen_guest_handle(hnd, val) set_xen_guest_handle_raw(hnd, val)

#include "xen-x86_64.h"

/* Guest frame numbers and machine-word sized values are unsigned long. */
typedef unsigned long xen_pfn_t;
#define PRI_xen_pfn "lx"
#define PRIu_xen_pfn "lu"

typedef unsigned long xen_ulong_t;
#define PRI_xen_ulong "lx"

/* x86 Xen has the classic PV entry point and per-vCPU upcall mask. */
#define XEN_HAVE_PV_GUEST_ENTRY 1
#define XEN_HAVE_PV_UPCALL_MASK 1

/* vcpu_info slots embedded in shared_info; later vCPUs register their own. */
#define XEN_LEGACY_MAX_VCPUS 32

/* Arch part of shared_info: only meaningful to PV guests; HVM/PVH guests ignore it. */
struct arch_shared_info {
    unsigned long max_pfn;
    xen_pfn_t pfn_to_mfn_frame_list_list;
    unsigned long nmi_reason;
    unsigned long p2m_cr3;
    unsigned long p2m_vaddr;
    unsigned long p2m_generation;
};
typedef struct arch_shared_info arch_shared_info_t;

/*
 * Arch part of XEN_DOMCTL_createdomain: which devices the hypervisor
 * emulates for the domain (bit numbers, then masks) and misc flags.
 */
#define _XEN_X86_EMU_LAPIC 0
#define XEN_X86_EMU_LAPIC (1U << _XEN_X86_EMU_LAPIC)
#define _XEN_X86_EMU_HPET 1
#define XEN_X86_EMU_HPET (1U << _XEN_X86_EMU_HPET)
#define _XEN_X86_EMU_PM 2
#define XEN_X86_EMU_PM (1U << _XEN_X86_EMU_PM)
#define _XEN_X86_EMU_RTC 3
#define XEN_X86_EMU_RTC (1U << _XEN_X86_EMU_RTC)
#define _XEN_X86_EMU_IOAPIC 4
#define XEN_X86_EMU_IOAPIC (1U << _XEN_X86_EMU_IOAPIC)
#define _XEN_X86_EMU_PIC 5
#define XEN_X86_EMU_PIC (1U << _XEN_X86_EMU_PIC)
#define _XEN_X86_EMU_VGA 6
#define XEN_X86_EMU_VGA (1U << _XEN_X86_EMU_VGA)
#define _XEN_X86_EMU_IOMMU 7
#define XEN_X86_EMU_IOMMU (1U << _XEN_X86_EMU_IOMMU)
#define _XEN_X86_EMU_PIT 8
#define XEN_X86_EMU_PIT (1U << _XEN_X86_EMU_PIT)
#define _XEN_X86_EMU_USE_PIRQ 9
#define XEN_X86_EMU_USE_PIRQ (1U << _XEN_X86_EMU_USE_PIRQ)
#define _XEN_X86_EMU_VPCI 10
#define XEN_X86_EMU_VPCI (1U << _XEN_X86_EMU_VPCI)
/* Every emulated device: bits 0..10. */
#define XEN_X86_EMU_ALL ((1U << (_XEN_X86_EMU_VPCI + 1)) - 1U)

/* Accesses to unknown MSRs read as zero / are dropped instead of faulting. */
#define XEN_X86_MSR_RELAXED (1U << 0)
#define XEN_X86_MISC_FLAGS_MAX XEN_X86_MSR_RELAXED

struct xen_arch_domainconfig {
    uint32_t emulation_flags;
    uint32_t misc_flags;
};

/* One CPUID leaf of a domain's CPU policy. */
#define XEN_CPUID_NO_SUBLEAF 0xffffffffu
struct xen_cpuid_leaf {
    uint32_t leaf;
    uint32_t subleaf;
    uint32_t a;
    uint32_t b;
    uint32_t c;
    uint32_t d;
};
typedef struct xen_cpuid_leaf xen_cpuid_leaf_t;
DEFINE_XEN_GUEST_HANDLE(xen_cpuid_leaf_t);

/* One MSR of a domain's CPU policy; flags must be zero. */
struct xen_msr_entry {
    uint32_t idx;
    uint32_t flags;
    uint64_t val;
};
typedef struct xen_msr_entry xen_msr_entry_t;
DEFINE_XEN_GUEST_HANDLE(xen_msr_entry_t);

/* HVM guests may write debug text to this I/O port (the Bochs/QEMU debugcon port). */
#define XEN_HVM_DEBUGCONS_IOPORT 0xe9

#endif /* __LAMINA_XEN_PUBLIC_ARCH_X86_XEN_H__ */
