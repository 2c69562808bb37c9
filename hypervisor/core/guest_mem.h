/* guest_mem.h: guest-physical map and the one checked guest-address translator. */
/* SPDX-License-Identifier: MIT */
#ifndef LAMINA_HV_GUEST_MEM_H
#define LAMINA_HV_GUEST_MEM_H

/*
 * Every access the hypervisor makes to guest memory goes through this file.
 * Guest-physical ranges are checked against the physmap; linear addresses
 * (what hypercall arguments are, for an HVM/PVH guest) are walked through
 * the guest's own page tables with the paging state of the calling vCPU.
 * Every length and offset is overflow-checked; a failure is -EFAULT, never
 * a crash.
 *
 * Layout of a domain's memfd: RAM pages first (ram_pages of them), then the
 * hypervisor-owned pages (shared_info, special pages, grant frames).  RAM is
 * mapped into the guest by "RAM slots", each with its own host mapping that
 * KVM sees; a page the guest replaces (XENMEM_add_to_physmap over RAM) is
 * replaced in that host mapping with MAP_FIXED, so the guest, KVM and the
 * hypervisor see the change at once without touching KVM's memory slots.
 * Pages placed where there is no RAM get a slot of their own.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct domain;
struct vcpu;
struct vcpu_paging;

#define GFN_INVALID (~0ull)

int physmap_init(struct domain *d);
void physmap_free(struct domain *d);

/*
 * Map the memfd page at byte offset `offset` at guest frame gfn (replacing
 * whatever was there).  Returns 0 or -errno.
 */
int physmap_map_page(struct domain *d, uint64_t gfn, uint64_t offset);

/* Map nr hypervisor pages from memfd offset `offset` at gfn, as one slot. */
int physmap_map_range(struct domain *d, uint64_t gfn, uint64_t nr, uint64_t offset);

/* Remove what is mapped at gfn; RAM frames come back as zeroed RAM. */
int physmap_unmap_page(struct domain *d, uint64_t gfn);

/* Where the hypervisor page at memfd offset `offset` is mapped, if anywhere. */
bool physmap_offset_gfn(struct domain *d, uint64_t offset, uint64_t *gfn);

/* The memfd offset backing gfn, or -EFAULT. */
int64_t physmap_gfn_offset(struct domain *d, uint64_t gfn);

/* Host pointer for [gpa, gpa + len) when it lies in one slot, else NULL. */
void *gpa_ptr(struct domain *d, uint64_t gpa, size_t len);

int copy_from_gpa(struct domain *d, void *dst, uint64_t gpa, size_t len);
int copy_to_gpa(struct domain *d, uint64_t gpa, const void *src, size_t len);

/* Walk the guest's page tables: linear address -> guest-physical address. */
int linear_to_gpa(struct domain *d, const struct vcpu_paging *p, uint64_t la, bool write,
                  uint64_t *gpa);

/* Hypercall argument access for the calling vCPU (linear addresses). */
int copy_from_guest(struct vcpu *v, void *dst, uint64_t la, size_t len);
int copy_to_guest(struct vcpu *v, uint64_t la, const void *src, size_t len);

#endif /* LAMINA_HV_GUEST_MEM_H */
