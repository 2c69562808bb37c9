/* memory.c: XENMEM_* — the guest's physical memory map and reservation. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include <xen/memory.h>

#include "guest_mem.h"
#include "hv.h"

/* The low bits of a memory_op command name the operation. */
#define MEMOP_CMD_BITS  6

static bool self(const struct domain *d, domid_t domid)
{
    return domid == DOMID_SELF || domid == d->domid;
}

static uint64_t max_gpfn(const struct domain *d)
{
    uint64_t low = HV_LOWMEM_END >> HV_PAGE_SHIFT;

    if (d->ram_pages <= low)
        return d->ram_pages - 1;
    return (HV_HIGHMEM_START >> HV_PAGE_SHIFT) + (d->ram_pages - low) - 1;
}

static long add_to_physmap(struct vcpu *v, uint64_t arg)
{
    struct domain *d = v->d;
    struct xen_add_to_physmap x;
    int rc = copy_from_guest(v, &x, arg, sizeof(x));

    if (rc < 0)
        return rc;
    if (!self(d, x.domid))
        return -EPERM;
    switch (x.space) {
    case XENMAPSPACE_shared_info:
        if (x.idx != 0)
            return -EINVAL;
        rc = physmap_map_page(d, x.gpfn, d->shared_info_offset);
        if (!rc)
            d->shared_info_gfn = x.gpfn;
        return rc;
    case XENMAPSPACE_grant_table:
        return gnttab_map_frame(d, x.idx, x.gpfn);
    default:
        return -ENOSYS;
    }
}

static long remove_from_physmap(struct vcpu *v, uint64_t arg)
{
    struct domain *d = v->d;
    struct xen_remove_from_physmap x;
    int rc = copy_from_guest(v, &x, arg, sizeof(x));

    if (rc < 0)
        return rc;
    if (!self(d, x.domid))
        return -EPERM;
    rc = physmap_unmap_page(d, x.gpfn);
    if (!rc && x.gpfn == d->shared_info_gfn)
        d->shared_info_gfn = GFN_INVALID;
    return rc == -ENOENT ? -EINVAL : rc;
}

static long memory_map(struct vcpu *v, uint64_t arg)
{
    struct domain *d = v->d;
    struct xen_memory_map map;
    uint8_t buf[sizeof(d->e820) / sizeof(d->e820[0])][20];
    uint32_t n;
    int rc = copy_from_guest(v, &map, arg, sizeof(map));

    if (rc < 0)
        return rc;
    n = d->e820_nr < map.nr_entries ? d->e820_nr : map.nr_entries;
    if (!d->built)
        return -EINVAL;
    for (uint32_t i = 0; i < n; i++) {
        memcpy(buf[i], &d->e820[i].addr, 8);
        memcpy(buf[i] + 8, &d->e820[i].size, 8);
        memcpy(buf[i] + 16, &d->e820[i].type, 4);
    }
    if (n && (rc = copy_to_guest(v, (uint64_t)(uintptr_t)map.buffer.p, buf, n * 20)) < 0)
        return rc;
    map.nr_entries = n;
    return copy_to_guest(v, arg, &map, sizeof(map));
}

static long reservation_query(struct vcpu *v, unsigned int cmd, uint64_t arg)
{
    struct domain *d = v->d;
    domid_t domid;
    int rc = copy_from_guest(v, &domid, arg, sizeof(domid));

    if (rc < 0)
        return rc;
    if (!self(d, domid))
        return -EPERM;
    switch (cmd) {
    case XENMEM_current_reservation:
        return (long)d->ram_pages;
    case XENMEM_maximum_reservation:
        return (long)(d->maxmem_kb / 4);
    default:
        return (long)max_gpfn(d);
    }
}

long do_memory_op(struct vcpu *v, const uint64_t a[6])
{
    unsigned int cmd = (unsigned int)(a[0] & ((1u << MEMOP_CMD_BITS) - 1));

    switch (cmd) {
    case XENMEM_add_to_physmap:
        return add_to_physmap(v, a[1]);
    case XENMEM_remove_from_physmap:
        return remove_from_physmap(v, a[1]);
    case XENMEM_memory_map:
        return memory_map(v, a[1]);
    case XENMEM_current_reservation:
    case XENMEM_maximum_reservation:
    case XENMEM_maximum_gpfn:
        return reservation_query(v, cmd, a[1]);
    case XENMEM_maximum_ram_page:
        return (long)max_gpfn(v->d);
    default:
        return -ENOSYS;
    }
}
