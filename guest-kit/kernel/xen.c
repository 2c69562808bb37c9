/* xen.c: the shared_info page and the hypervisor's version. */
/* SPDX-License-Identifier: MIT */
#include <string.h>

#include <xen/memory.h>
#include <xen/version.h>

#include <guest-kit/guest-kit.h>

#include "../internal.h"

/*
 * The hypervisor puts its shared_info page in place of this one, so it
 * must fill a page of its own; being replaced, it is never zeroed.
 */
static union {
    struct shared_info info;
    uint8_t page[GK_PAGE_SIZE];
} shared_page __attribute__((aligned(GK_PAGE_SIZE))) GK_NOINIT;

_Static_assert(sizeof(struct shared_info) <= GK_PAGE_SIZE, "shared_info fits in a page");

void gk_shared_info_init(void)
{
    struct xen_add_to_physmap map = {
        .domid = DOMID_SELF,
        .space = XENMAPSPACE_shared_info,
        .idx = 0,
        .gpfn = (uintptr_t)&shared_page / GK_PAGE_SIZE,
    };
    long rc = HYPERVISOR_memory_op(XENMEM_add_to_physmap, &map);

    if (rc < 0)
        gk_panic("cannot map the shared_info page (XENMEM_add_to_physmap: error %ld)", rc);
}

struct shared_info *gk_shared_info(void)
{
    return &shared_page.info;
}

int gk_xen_version(struct gk_xen_version *v)
{
    xen_extraversion_t extra;
    int version = HYPERVISOR_xen_version(XENVER_version, NULL);
    int rc;

    if (version < 0)
        return version;
    rc = HYPERVISOR_xen_version(XENVER_extraversion, extra);
    if (rc < 0)
        return rc;
    v->major = (unsigned int)version >> 16;
    v->minor = (unsigned int)version & 0xffff;
    memcpy(v->extra, extra, sizeof(v->extra));
    v->extra[sizeof(v->extra) - 1] = '\0';
    return 0;
}
