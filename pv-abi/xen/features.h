/* xen/features.h: XENFEAT_* bit numbers reported by XENVER_get_features. */
/* SPDX-License-Identifier: MIT */
#ifndef __LAMINA_XEN_PUBLIC_FEATURES_H__
#define __LAMINA_XEN_PUBLIC_FEATURES_H__

/* PV page tables / descriptor tables may be written directly (no hypercall). */
#define XENFEAT_writable_page_tables 0
#define XENFEAT_writable_descriptor_tables 1
/* Guest-physical addresses are translated by the hypervisor (HVM/PVH). */
#define XENFEAT_auto_translated_physmap 2
#define XENFEAT_supervisor_mode_kernel 3
#define XENFEAT_pae_pgdir_above_4gb 4
#define XENFEAT_mmu_pt_update_preserve_ad 5
#define XENFEAT_highmem_assist 6
#define XENFEAT_gnttab_map_avail_bits 7
/* Event upcalls may be delivered through an IDT vector (HVM_PARAM_CALLBACK_IRQ). */
#define XENFEAT_hvm_callback_vector 8
#define XENFEAT_hvm_safe_pvclock 9
#define XENFEAT_hvm_pirqs 10
/* The caller is the control domain. */
#define XENFEAT_dom0 11
/* 12 was an identity grant-mapping feature, withdrawn; the number stays unused. */
#define XENFEAT_memory_op_vnode_supported 13
#define XENFEAT_ARM_SMCCC_supported 14
/* The ACPI RSDP may lie anywhere, not only below 1 MiB. */
#define XENFEAT_linux_rsdp_unrestricted 15
#define XENFEAT_not_direct_mapped 16
#define XENFEAT_direct_mapped 17

/* Number of 32-bit feature words. */
#define XENFEAT_NR_SUBMAPS 1

#endif /* __LAMINA_XEN_PUBLIC_FEATURES_H__ */
