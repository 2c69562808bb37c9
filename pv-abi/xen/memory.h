/* xen/memory.h: HYPERVISOR_memory_op: reservations, physmap changes, memory maps. */
/* SPDX-License-Identifier: MIT */
#ifndef __LAMINA_XEN_PUBLIC_MEMORY_H__
#define __LAMINA_XEN_PUBLIC_MEMORY_H__

#include <stdint.h>

#include "xen.h"

/*
 * Reservation changes. The return value is the number of extents
 * processed, which may be fewer than asked for.
 */
#define XENMEM_increase_reservation 0
#define XENMEM_decrease_reservation 1
#define XENMEM_populate_physmap 6

/*
 * xen_memory_reservation.mem_flags: bits 0-7 limit the address width of
 * the allocated memory (0 = no limit), bits 8-15 hold a NUMA node plus one.
 */
#define XENMEMF_address_bits(x) (x)
#define XENMEMF_get_address_bits(x) ((x) & 0xffu)
#define XENMEMF_node(x) (((x) + 1) << 8)
#define XENMEMF_get_node(x) ((((x) >> 8) - 1) & 0xffu)
#define XENMEMF_populate_on_demand (1 << 16)
#define XENMEMF_exact_node_request (1 << 17)
#define XENMEMF_exact_node(n) (XENMEMF_node(n) | XENMEMF_exact_node_request)
#define XENMEMF_vnode (1 << 18)

/*
 * nr_extents extents of 2^extent_order pages each. extent_start lists the
 * frames: given for decrease/populate, filled in for increase.
 */
struct xen_memory_reservation {
    XEN_GUEST_HANDLE(xen_pfn_t) extent_start;
    xen_ulong_t nr_extents;
    unsigned int extent_order;
    unsigned int mem_flags;
    domid_t domid;
};
typedef struct xen_memory_reservation xen_memory_reservation_t;
DEFINE_XEN_GUEST_HANDLE(xen_memory_reservation_t);

/* Trade the frames in "in" for newly allocated ones described by "out". */
#define XENMEM_exchange 11
struct xen_memory_exchange {
    struct xen_memory_reservation in;
    struct xen_memory_reservation out;
    xen_ulong_t nr_exchanged;
};
typedef struct xen_memory_exchange xen_memory_exchange_t;
DEFINE_XEN_GUEST_HANDLE(xen_memory_exchange_t);

/* Highest machine frame in the system. No argument. */
#define XENMEM_maximum_ram_page 2

/* Argument of the per-domain size queries below. */
struct xen_memory_domain {
    domid_t domid;
};

/* Pages currently / at most allocated to a domain (argument: a domid_t). */
#define XENMEM_current_reservation 3
#define XENMEM_maximum_reservation 4
/* Highest guest frame number the domain has populated. */
#define XENMEM_maximum_gpfn 14

/* Frames holding the machine-to-physical table (PV use). */
#define XENMEM_machphys_mfn_list 5
struct xen_machphys_mfn_list {
    unsigned int max_extents;
    XEN_GUEST_HANDLE(xen_pfn_t) extent_start;
    unsigned int nr_extents;
};
typedef struct xen_machphys_mfn_list xen_machphys_mfn_list_t;
DEFINE_XEN_GUEST_HANDLE(xen_machphys_mfn_list_t);

#define XENMEM_machphys_compat_mfn_list 25

/* Where the machine-to-physical table is mapped (PV use). */
#define XENMEM_machphys_mapping 12
struct xen_machphys_mapping {
    xen_ulong_t v_start;
    xen_ulong_t v_end;
    xen_ulong_t max_mfn;
};
typedef struct xen_machphys_mapping xen_machphys_mapping_t;
DEFINE_XEN_GUEST_HANDLE(xen_machphys_mapping_t);

/* What XENMEM_add_to_physmap maps at gpfn. */
#define XENMAPSPACE_shared_info 0
#define XENMAPSPACE_grant_table 1
#define XENMAPSPACE_gmfn 2
#define XENMAPSPACE_gmfn_range 3
#define XENMAPSPACE_gmfn_foreign 4
#define XENMAPSPACE_dev_mmio 5

/* Map one page (or, for gmfn_range, size pages) of space at gpfn in domid. */
#define XENMEM_add_to_physmap 7
struct xen_add_to_physmap {
    domid_t domid;
    uint16_t size;
    unsigned int space;
    xen_ulong_t idx;
    xen_pfn_t gpfn;
};
typedef struct xen_add_to_physmap xen_add_to_physmap_t;
DEFINE_XEN_GUEST_HANDLE(xen_add_to_physmap_t);

/* OR-ed into idx for XENMAPSPACE_grant_table: map a v2 status frame, not a grant frame. */
#define XENMAPIDX_grant_table_status 0x80000000U

/* Batched add_to_physmap: idxs[i] is mapped at gpfns[i], errs[i] gets the result. */
#define XENMEM_add_to_physmap_batch 23
union xen_add_to_physmap_batch_extra {
    domid_t foreign_domid;
    uint16_t res0;
};
struct xen_add_to_physmap_batch {
    domid_t domid;
    uint16_t space;
    uint16_t size;
    union xen_add_to_physmap_batch_extra u;
    XEN_GUEST_HANDLE(xen_ulong_t) idxs;
    XEN_GUEST_HANDLE(xen_pfn_t) gpfns;
    XEN_GUEST_HANDLE(int) errs;
};
typedef struct xen_add_to_physmap_batch xen_add_to_physmap_batch_t;
DEFINE_XEN_GUEST_HANDLE(xen_add_to_physmap_batch_t);

/* Unmap whatever is at gpfn in domid. */
#define XENMEM_remove_from_physmap 15
struct xen_remove_from_physmap {
    domid_t domid;
    xen_pfn_t gpfn;
};
typedef struct xen_remove_from_physmap xen_remove_from_physmap_t;
DEFINE_XEN_GUEST_HANDLE(xen_remove_from_physmap_t);

/*
 * The caller's pseudo-physical memory map as e820 entries (20 bytes each:
 * addr, size, type). nr_entries is the buffer capacity on entry and the
 * number written on return.
 */
#define XENMEM_memory_map 9
struct xen_memory_map {
    unsigned int nr_entries;
    XEN_GUEST_HANDLE(void) buffer;
};
typedef struct xen_memory_map xen_memory_map_t;
DEFINE_XEN_GUEST_HANDLE(xen_memory_map_t);

/* The host's machine memory map (control domain only). */
#define XENMEM_machine_memory_map 10

/* Set another domain's memory map (toolstack). */
#define XENMEM_set_memory_map 13
struct xen_foreign_memory_map {
    domid_t domid;
    struct xen_memory_map map;
};
typedef struct xen_foreign_memory_map xen_foreign_memory_map_t;
DEFINE_XEN_GUEST_HANDLE(xen_foreign_memory_map_t);

/* Populate-on-demand target of a domain. */
#define XENMEM_set_pod_target 16
#define XENMEM_get_pod_target 17
struct xen_pod_target {
    uint64_t target_pages;
    uint64_t tot_pages;
    uint64_t pod_cache_pages;
    uint64_t pod_entries;
    domid_t domid;
};
typedef struct xen_pod_target xen_pod_target_t;

/* Memory sharing and paging statistics and control (toolstack). */
#define XENMEM_get_sharing_freed_pages 18
#define XENMEM_get_sharing_shared_pages 19

#define XENMEM_paging_op 20
#define XENMEM_paging_op_nominate 0
#define XENMEM_paging_op_evict 1
#define XENMEM_paging_op_prep 2

#define XENMEM_access_op 21
#define XENMEM_access_op_set_access 0
#define XENMEM_access_op_get_access 1
#define XENMEM_access_op_set_access_multi 4

/* Access rights a page can be restricted to (x = execute). */
typedef enum {
    XENMEM_access_n,
    XENMEM_access_r,
    XENMEM_access_w,
    XENMEM_access_rw,
    XENMEM_access_x,
    XENMEM_access_rx,
    XENMEM_access_wx,
    XENMEM_access_rwx,
    XENMEM_access_rx2rw,
    XENMEM_access_n2rwx,
    XENMEM_access_default
} xenmem_access_t;

#define XENMEM_sharing_op 22
#define XENMEM_sharing_op_nominate_gfn 0
#define XENMEM_sharing_op_nominate_gref 1
#define XENMEM_sharing_op_share 2
#define XENMEM_sharing_op_debug_gfn 3
#define XENMEM_sharing_op_debug_mfn 4
#define XENMEM_sharing_op_debug_gref 5
#define XENMEM_sharing_op_add_physmap 6
#define XENMEM_sharing_op_audit 7
#define XENMEM_sharing_op_range_share 8
#define XENMEM_sharing_op_fork 9
#define XENMEM_sharing_op_fork_reset 10

/* Reserve pages for a domain ahead of populating it (argument: reservation). */
#define XENMEM_claim_pages 24

#define XENMEM_reserved_device_memory_map 27
#define XENMEM_RDM_ALL 1

/* The caller's virtual NUMA layout. */
#define XENMEM_get_vnumainfo 26

/*
 * Map frames of a resource owned by domid (its grant table, an ioreq
 * server's pages, a vmtrace buffer) into the caller: frame_list receives
 * (or, for translated callers, names the GFNs for) nr_frames frames
 * starting at frame.
 */
#define XENMEM_acquire_resource 28
struct xen_mem_acquire_resource {
    domid_t domid;
    uint16_t type;
    uint32_t id;
    uint32_t nr_frames;
    uint32_t pad;
    uint64_t frame;
    XEN_GUEST_HANDLE(xen_pfn_t) frame_list;
};
typedef struct xen_mem_acquire_resource xen_mem_acquire_resource_t;
DEFINE_XEN_GUEST_HANDLE(xen_mem_acquire_resource_t);

/* xen_mem_acquire_resource.type, and for grant tables the id. */
#define XENMEM_resource_ioreq_server 0
#define XENMEM_resource_grant_table 1
#define XENMEM_resource_vmtrace_buf 2
#define XENMEM_resource_grant_table_id_shared 0
#define XENMEM_resource_grant_table_id_status 1
#define XENMEM_resource_ioreq_server_frame_bufioreq 0
#define XENMEM_resource_ioreq_server_frame_ioreq(n) (1 + (n))

#endif /* __LAMINA_XEN_PUBLIC_MEMORY_H__ */
