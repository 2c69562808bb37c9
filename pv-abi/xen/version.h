/* xen/version.h: HYPERVISOR_xen_version sub-operations and their result types. */
/* SPDX-License-Identifier: MIT */
#ifndef __LAMINA_XEN_PUBLIC_VERSION_H__
#define __LAMINA_XEN_PUBLIC_VERSION_H__

#include <stdint.h>

#include "xen.h"

/* Returns (major << 16) | minor; takes no argument. */
#define XENVER_version 0

/* Version suffix such as ".0-lamina", NUL-terminated. */
#define XENVER_extraversion 1
typedef char xen_extraversion_t[16];
#define XEN_EXTRAVERSION_LEN (sizeof(xen_extraversion_t))

/* Who built the hypervisor, where and when. */
#define XENVER_compile_info 2
struct xen_compile_info {
    char compiler[64];
    char compile_by[16];
    char compile_domain[32];
    char compile_date[32];
};
typedef struct xen_compile_info xen_compile_info_t;

/* Space-separated guest types the hypervisor can run, e.g. "hvm-3.0-x86_64". */
#define XENVER_capabilities 3
typedef char xen_capabilities_info_t[1024];
#define XEN_CAPABILITIES_INFO_LEN (sizeof(xen_capabilities_info_t))

/* Source revision the hypervisor was built from. */
#define XENVER_changeset 4
typedef char xen_changeset_info_t[64];
#define XEN_CHANGESET_INFO_LEN (sizeof(xen_changeset_info_t))

/* Start of the hypervisor's reserved virtual range (PV guests). */
#define XENVER_platform_parameters 5
struct xen_platform_parameters {
    xen_ulong_t virt_start;
};
typedef struct xen_platform_parameters xen_platform_parameters_t;

/* One 32-bit word of the XENFEAT_* bitmap: the caller picks the word in submap_idx. */
#define XENVER_get_features 6
struct xen_feature_info {
    unsigned int submap_idx;
    uint32_t submap;
};
typedef struct xen_feature_info xen_feature_info_t;

#include "features.h"

/* Returns the page size in bytes; takes no argument. */
#define XENVER_pagesize 7

/* Returns the domain handle (xen_domain_handle_t) of the caller. */
#define XENVER_guest_handle 8

/* The hypervisor's own command line. */
#define XENVER_commandline 9
typedef char xen_commandline_t[1024];

/* The hypervisor's build id: the caller sets len to the size of buf. */
#define XENVER_build_id 10
struct xen_build_id {
    uint32_t len;
    unsigned char buf[];
};
typedef struct xen_build_id xen_build_id_t;

#endif /* __LAMINA_XEN_PUBLIC_VERSION_H__ */
