/* gnttab.h: grant tables (v1): letting other domains map and copy our pages. */
/* SPDX-License-Identifier: MIT */
#ifndef GUEST_KIT_GNTTAB_H
#define GUEST_KIT_GNTTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xen/xen.h>
#include <xen/grant_table.h>

/*
 * guest-kit maps the grant table's frames over pages of its image as the
 * table grows (one frame holds 512 grants, up to GK_GNTTAB_MAX_FRAMES or
 * the hypervisor's limit). References 0..GNTTAB_NR_RESERVED_ENTRIES-1
 * belong to the toolstack (console, xenstore) and are never handed out.
 * Pages are named by guest frame number: with guest-kit's identity map,
 * (uintptr_t)page >> 12.
 */
#define GK_GNTTAB_MAX_FRAMES 64

/* Sets the table up; every other function does it on first use. 0 or a negative errno. */
int gk_gnttab_init(void);

/*
 * Lets domain `domid` map or copy frame `gfn` (read-only if `readonly`).
 * Returns the grant reference, or -ENOSPC when the table is full, or a
 * negative errno.
 */
int gk_grant_access(domid_t domid, uint64_t gfn, bool readonly);

/*
 * Ends the grant and frees its reference: -EBUSY (and the grant stays)
 * while the other domain has it mapped or is copying, -EINVAL for a
 * reference that is not ours.
 */
int gk_grant_end_access(grant_ref_t ref);

/* The entry's flags now (GTF_*): GTF_reading/GTF_writing show a mapper. */
uint16_t gk_grant_flags(grant_ref_t ref);

/* Grants that gk_grant_access() can still hand out without growing the table. */
unsigned int gk_gnttab_free(void);

/*
 * GNTTABOP_copy as is: each op's own result lands in its status (GNTST_*).
 * Returns 0 or a negative errno for the call itself.
 */
int gk_grant_copy(struct gnttab_copy *ops, unsigned int count);

/*
 * Copies len bytes between our buffer and domain domid's grant `ref` at
 * `offset` (offset + len within the page; the buffer may cross pages).
 * Returns 0 or a negative errno (-EPERM: not granted to us or read-only,
 * -EINVAL: bad reference or range, -ESRCH: no such domain).
 */
int gk_grant_copy_from(domid_t domid, grant_ref_t ref, uint16_t offset, void *dst, size_t len);
int gk_grant_copy_to(domid_t domid, grant_ref_t ref, uint16_t offset, const void *src,
                     size_t len);

/* A GNTST_* status as a negative errno (0 for GNTST_okay). */
int gk_gntst_errno(int16_t status);

#endif /* GUEST_KIT_GNTTAB_H */
