/* xen/grant_table.h: grant tables: sharing pages between domains, HYPERVISOR_grant_table_op. */
/* SPDX-License-Identifier: MIT */
#ifndef __LAMINA_XEN_PUBLIC_GRANT_TABLE_H__
#define __LAMINA_XEN_PUBLIC_GRANT_TABLE_H__

#include <stdint.h>

#include "xen.h"

/* Index of an entry in the granting domain's grant table. */
typedef uint32_t grant_ref_t;

/*
 * Version 1 grant entry, written by the granting domain. To grant, fill
 * domid and frame first, then (after a write barrier) set flags; to revoke,
 * clear flags atomically and check GTF_reading/GTF_writing were clear.
 */
struct grant_entry_v1 {
    uint16_t flags;
    domid_t domid;
    uint32_t frame;
};
typedef struct grant_entry_v1 grant_entry_v1_t;

/* The first entries are kept for the toolstack: console and xenstore pages. */
#define GNTTAB_NR_RESERVED_ENTRIES 8
#define GNTTAB_RESERVED_CONSOLE 0
#define GNTTAB_RESERVED_XENSTORE 1

/* Entry type, in the low two bits of flags. */
#define GTF_invalid (0U << 0)
#define GTF_permit_access (1U << 0)
#define GTF_accept_transfer (2U << 0)
#define GTF_transitive (3U << 0)
#define GTF_type_mask (3U << 0)

/* Access flags: the granter sets readonly/caching bits, the hypervisor reading/writing. */
#define _GTF_readonly (2)
#define GTF_readonly (1U << _GTF_readonly)
#define _GTF_reading (3)
#define GTF_reading (1U << _GTF_reading)
#define _GTF_writing (4)
#define GTF_writing (1U << _GTF_writing)
#define _GTF_PWT (5)
#define GTF_PWT (1U << _GTF_PWT)
#define _GTF_PCD (6)
#define GTF_PCD (1U << _GTF_PCD)
#define _GTF_PAT (7)
#define GTF_PAT (1U << _GTF_PAT)
#define _GTF_sub_page (8)
#define GTF_sub_page (1U << _GTF_sub_page)

/* Page-transfer progress, reusing bits 2 and 3 for GTF_accept_transfer entries. */
#define _GTF_transfer_committed (2)
#define GTF_transfer_committed (1U << _GTF_transfer_committed)
#define _GTF_transfer_completed (3)
#define GTF_transfer_completed (1U << _GTF_transfer_completed)

/* Version 2 entries: the common header, then one of three 16-byte layouts. */
struct grant_entry_header {
    uint16_t flags;
    domid_t domid;
};
typedef struct grant_entry_header grant_entry_header_t;

union grant_entry_v2 {
    grant_entry_header_t hdr;
    struct {
        grant_entry_header_t hdr;
        uint32_t pad0;
        uint64_t frame;
    } full_page;
    struct {
        grant_entry_header_t hdr;
        uint16_t page_off;
        uint16_t length;
        uint64_t frame;
    } sub_page;
    struct {
        grant_entry_header_t hdr;
        domid_t trans_domid;
        uint16_t pad0;
        grant_ref_t gref;
    } transitive;
    uint32_t __spacer[4];
};
typedef union grant_entry_v2 grant_entry_v2_t;

/* Version 2 keeps GTF_reading/GTF_writing in a separate status array. */
typedef uint16_t grant_status_t;

#define GNTTABOP_map_grant_ref 0
#define GNTTABOP_unmap_grant_ref 1
#define GNTTABOP_setup_table 2
#define GNTTABOP_dump_table 3
#define GNTTABOP_transfer 4
#define GNTTABOP_copy 5
#define GNTTABOP_query_size 6
#define GNTTABOP_unmap_and_replace 7
#define GNTTABOP_set_version 8
#define GNTTABOP_get_status_frames 9
#define GNTTABOP_get_version 10
#define GNTTABOP_swap_grant_ref 11
#define GNTTABOP_cache_flush 12

/* Names one mapping made by GNTTABOP_map_grant_ref, for the unmap. */
typedef uint32_t grant_handle_t;

/* Map dom's grant ref at host_addr (a GPA for HVM/PVH callers, with GNTMAP_host_map). */
struct gnttab_map_grant_ref {
    uint64_t host_addr;
    uint32_t flags;
    grant_ref_t ref;
    domid_t dom;
    int16_t status;
    grant_handle_t handle;
    uint64_t dev_bus_addr;
};
typedef struct gnttab_map_grant_ref gnttab_map_grant_ref_t;
DEFINE_XEN_GUEST_HANDLE(gnttab_map_grant_ref_t);

struct gnttab_unmap_grant_ref {
    uint64_t host_addr;
    uint64_t dev_bus_addr;
    grant_handle_t handle;
    int16_t status;
};
typedef struct gnttab_unmap_grant_ref gnttab_unmap_grant_ref_t;
DEFINE_XEN_GUEST_HANDLE(gnttab_unmap_grant_ref_t);

/* Grow dom's table to nr_frames pages and list their frames (PV use). */
struct gnttab_setup_table {
    domid_t dom;
    uint32_t nr_frames;
    int16_t status;
    XEN_GUEST_HANDLE(xen_pfn_t) frame_list;
};
typedef struct gnttab_setup_table gnttab_setup_table_t;
DEFINE_XEN_GUEST_HANDLE(gnttab_setup_table_t);

/* Print dom's grant table on the hypervisor console. */
struct gnttab_dump_table {
    domid_t dom;
    int16_t status;
};
typedef struct gnttab_dump_table gnttab_dump_table_t;
DEFINE_XEN_GUEST_HANDLE(gnttab_dump_table_t);

/* Give page mfn to domid through its GTF_accept_transfer entry ref. */
struct gnttab_transfer {
    xen_pfn_t mfn;
    domid_t domid;
    grant_ref_t ref;
    int16_t status;
};
typedef struct gnttab_transfer gnttab_transfer_t;
DEFINE_XEN_GUEST_HANDLE(gnttab_transfer_t);

/* Which sides of a copy are named by grant reference rather than frame number. */
#define _GNTCOPY_source_gref (0)
#define GNTCOPY_source_gref (1 << _GNTCOPY_source_gref)
#define _GNTCOPY_dest_gref (1)
#define GNTCOPY_dest_gref (1 << _GNTCOPY_dest_gref)

/* One side of a copy: a grant ref or a frame of domid, and a byte offset in it. */
struct gnttab_copy_ptr {
    union {
        grant_ref_t ref;
        xen_pfn_t gmfn;
    } u;
    domid_t domid;
    uint16_t offset;
};

/* Copy len bytes; neither side may cross a page boundary. */
struct gnttab_copy {
    struct gnttab_copy_ptr source;
    struct gnttab_copy_ptr dest;
    uint16_t len;
    uint16_t flags;
    int16_t status;
};
typedef struct gnttab_copy gnttab_copy_t;
DEFINE_XEN_GUEST_HANDLE(gnttab_copy_t);

/* Current and maximum size of dom's table, in frames. */
struct gnttab_query_size {
    domid_t dom;
    uint32_t nr_frames;
    uint32_t max_nr_frames;
    int16_t status;
};
typedef struct gnttab_query_size gnttab_query_size_t;
DEFINE_XEN_GUEST_HANDLE(gnttab_query_size_t);

/* Unmap handle at host_addr and move the mapping at new_addr there (PV use). */
struct gnttab_unmap_and_replace {
    uint64_t host_addr;
    uint64_t new_addr;
    grant_handle_t handle;
    int16_t status;
};
typedef struct gnttab_unmap_and_replace gnttab_unmap_and_replace_t;
DEFINE_XEN_GUEST_HANDLE(gnttab_unmap_and_replace_t);

/* Select grant table version 1 or 2; returns the version in force. */
struct gnttab_set_version {
    uint32_t version;
};
typedef struct gnttab_set_version gnttab_set_version_t;
DEFINE_XEN_GUEST_HANDLE(gnttab_set_version_t);

/* Frames of the version 2 status array. */
struct gnttab_get_status_frames {
    uint32_t nr_frames;
    domid_t dom;
    int16_t status;
    XEN_GUEST_HANDLE(uint64_t) frame_list;
};
typedef struct gnttab_get_status_frames gnttab_get_status_frames_t;
DEFINE_XEN_GUEST_HANDLE(gnttab_get_status_frames_t);

struct gnttab_get_version {
    domid_t dom;
    uint16_t pad;
    uint32_t version;
};
typedef struct gnttab_get_version gnttab_get_version_t;
DEFINE_XEN_GUEST_HANDLE(gnttab_get_version_t);

/* Exchange two entries of the caller's own table. */
struct gnttab_swap_grant_ref {
    grant_ref_t ref_a;
    grant_ref_t ref_b;
    int16_t status;
};
typedef struct gnttab_swap_grant_ref gnttab_swap_grant_ref_t;
DEFINE_XEN_GUEST_HANDLE(gnttab_swap_grant_ref_t);

/* Cache maintenance on a granted range (meaningful on Arm). */
#define GNTTAB_CACHE_CLEAN (1u << 0)
#define GNTTAB_CACHE_INVAL (1u << 1)
#define GNTTAB_CACHE_SOURCE_GREF (1u << 31)
struct gnttab_cache_flush {
    union {
        uint64_t dev_bus_addr;
        grant_ref_t ref;
    } a;
    uint16_t offset;
    uint16_t length;
    uint32_t op;
};
typedef struct gnttab_cache_flush gnttab_cache_flush_t;
DEFINE_XEN_GUEST_HANDLE(gnttab_cache_flush_t);

/* gnttab_map_grant_ref.flags */
#define _GNTMAP_device_map (0)
#define GNTMAP_device_map (1 << _GNTMAP_device_map)
#define _GNTMAP_host_map (1)
#define GNTMAP_host_map (1 << _GNTMAP_host_map)
#define _GNTMAP_readonly (2)
#define GNTMAP_readonly (1 << _GNTMAP_readonly)
#define _GNTMAP_application_map (3)
#define GNTMAP_application_map (1 << _GNTMAP_application_map)
#define _GNTMAP_contains_pte (4)
#define GNTMAP_contains_pte (1 << _GNTMAP_contains_pte)
/* Bits from here up are copied into the PV page-table entry for the guest's own use. */
#define _GNTMAP_guest_avail0 (16)
#define GNTMAP_guest_avail_mask ((uint32_t)~0 << _GNTMAP_guest_avail0)

/* Per-operation status codes (negative on failure). */
#define GNTST_okay (0)
#define GNTST_general_error (-1)
#define GNTST_bad_domain (-2)
#define GNTST_bad_gntref (-3)
#define GNTST_bad_handle (-4)
#define GNTST_bad_virt_addr (-5)
#define GNTST_bad_dev_addr (-6)
#define GNTST_no_device_space (-7)
#define GNTST_permission_denied (-8)
#define GNTST_bad_page (-9)
#define GNTST_bad_copy_arg (-10)
#define GNTST_address_too_big (-11)
#define GNTST_eagain (-12)
#define GNTST_no_space (-13)

#endif /* __LAMINA_XEN_PUBLIC_GRANT_TABLE_H__ */
