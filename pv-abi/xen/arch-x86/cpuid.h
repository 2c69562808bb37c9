/* xen/arch-x86/cpuid.h: the hypervisor CPUID leaves from 0x40000000. */
/* SPDX-License-Identifier: MIT */
#ifndef __LAMINA_XEN_PUBLIC_ARCH_X86_CPUID_H__
#define __LAMINA_XEN_PUBLIC_ARCH_X86_CPUID_H__

/*
 * Leaf 0: max leaf in eax, "XenVMMXenVMM" in ebx:ecx:edx.  The leaves may
 * also sit at 0x40000100 steps higher when another hypervisor's leaves come
 * first, so guests scan for the signature.
 * Leaf 1: eax = major << 16 | minor.
 * Leaf 2: eax = number of hypercall pages, ebx = MSR that installs them.
 * Leaf 3: time and TSC information (sub-leaves).
 * Leaf 4: HVM features (eax flags below; ebx vCPU id, ecx domain id).
 * Leaf 5: PV features.
 */
#define XEN_CPUID_FIRST_LEAF 0x40000000
#define XEN_CPUID_LEAF(i) (XEN_CPUID_FIRST_LEAF + (i))

#define XEN_CPUID_SIGNATURE_EBX 0x566e6558
#define XEN_CPUID_SIGNATURE_ECX 0x65584d4d
#define XEN_CPUID_SIGNATURE_EDX 0x4d4d566e

/* Leaf 2, ecx. */
#define _XEN_CPUID_FEAT1_MMU_PT_UPDATE_PRESERVE_AD 0
#define XEN_CPUID_FEAT1_MMU_PT_UPDATE_PRESERVE_AD (1u << 0)

/* Leaf 4, eax. */
#define XEN_HVM_CPUID_APIC_ACCESS_VIRT (1u << 0)
#define XEN_HVM_CPUID_X2APIC_VIRT (1u << 1)
#define XEN_HVM_CPUID_IOMMU_MAPPINGS (1u << 2)
#define XEN_HVM_CPUID_VCPU_ID_PRESENT (1u << 3)
#define XEN_HVM_CPUID_DOMID_PRESENT (1u << 4)
#define XEN_HVM_CPUID_EXT_DEST_ID (1u << 5)
#define XEN_HVM_CPUID_UPCALL_VECTOR (1u << 6)

/* Leaf 5, ebx. */
#define XEN_CPUID_MACHINE_ADDRESS_WIDTH_MASK (0xffu << 0)

#define XEN_CPUID_MAX_NUM_LEAVES 5

#endif /* __LAMINA_XEN_PUBLIC_ARCH_X86_CPUID_H__ */
