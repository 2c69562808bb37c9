/* gnttab.c: the grant table (v1): frames mapped over our pages, a reference allocator, copies. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>

#include <xen/grant_table.h>
#include <xen/memory.h>

#include <guest-kit/guest-kit.h>

#include "../internal.h"

#define ENTRIES_PER_FRAME   (GK_PAGE_SIZE / sizeof(struct grant_entry_v1))
#define MAX_ENTRIES         (GK_GNTTAB_MAX_FRAMES * ENTRIES_PER_FRAME)
#define REF_NONE            0xffffffffu
#define REF_USED            0xfffffffeu

/*
 * The hypervisor puts its table frames in place of these pages, one more
 * whenever the table fills up. Being replaced, they are never zeroed.
 */
static union {
    struct grant_entry_v1 e[ENTRIES_PER_FRAME];
    uint8_t page[GK_PAGE_SIZE];
} frames[GK_GNTTAB_MAX_FRAMES] __attribute__((aligned(GK_PAGE_SIZE))) GK_NOINIT;

/*
 * Free references form a list threaded through this array; an allocated
 * one holds REF_USED, which also keeps a grant from being ended twice.
 * Entries are written when their frame is mapped: no zeroing at boot.
 */
static uint32_t next_free[MAX_ENTRIES] GK_NOINIT;

static gk_spinlock_t lock = GK_SPINLOCK_INIT;
static uint32_t free_head = REF_NONE;
static unsigned int nr_free;
static unsigned int nr_frames;          /* mapped */
static unsigned int max_frames;         /* the hypervisor's limit, capped at ours */
static int init_rc = 1;                 /* 1: not tried yet */

/* Caller holds the lock. Maps the next frame and frees its references. */
static int grow(void)
{
    struct xen_add_to_physmap map = {
        .domid = DOMID_SELF,
        .space = XENMAPSPACE_grant_table,
        .idx = nr_frames,
        .gpfn = (uintptr_t)&frames[nr_frames] / GK_PAGE_SIZE,
    };
    uint32_t first, ref;
    long rc;

    if (nr_frames == max_frames)
        return -ENOSPC;
    rc = HYPERVISOR_memory_op(XENMEM_add_to_physmap, &map);
    if (rc < 0)
        return (int)rc;
    first = nr_frames * ENTRIES_PER_FRAME;
    /* Frame 0 starts with the toolstack's reserved references. */
    if (first < GNTTAB_NR_RESERVED_ENTRIES)
        first = GNTTAB_NR_RESERVED_ENTRIES;
    ref = (nr_frames + 1) * ENTRIES_PER_FRAME;
    while (ref-- > first) {
        next_free[ref] = free_head;
        free_head = ref;
        nr_free++;
    }
    nr_frames++;
    return 0;
}

int gk_gnttab_init(void)
{
    struct gnttab_set_version ver = { .version = 1 };
    struct gnttab_query_size size = { .dom = DOMID_SELF };
    unsigned long flags;
    int rc;

    flags = gk_spin_lock_irqsave(&lock);
    if (init_rc <= 0) {
        rc = init_rc;
        goto out;
    }
    rc = HYPERVISOR_grant_table_op(GNTTABOP_set_version, &ver, 1);
    if (rc == 0)
        rc = HYPERVISOR_grant_table_op(GNTTABOP_query_size, &size, 1);
    if (rc == 0 && size.status != GNTST_okay)
        rc = gk_gntst_errno(size.status);
    if (rc == 0) {
        max_frames = size.max_nr_frames < GK_GNTTAB_MAX_FRAMES ? size.max_nr_frames
                                                               : GK_GNTTAB_MAX_FRAMES;
        rc = max_frames ? grow() : -ENOSPC;
    }
    init_rc = rc;
out:
    gk_spin_unlock_irqrestore(&lock, flags);
    return rc;
}

static struct grant_entry_v1 *entry(grant_ref_t ref)
{
    return &frames[ref / ENTRIES_PER_FRAME].e[ref % ENTRIES_PER_FRAME];
}

int gk_grant_access(domid_t domid, uint64_t gfn, bool readonly)
{
    struct grant_entry_v1 *e;
    unsigned long flags;
    uint32_t ref;
    int rc;

    if (gfn > UINT32_MAX)
        return -EINVAL;     /* a v1 entry holds 32 bits of frame number */
    if ((rc = gk_gnttab_init()) < 0)
        return rc;
    flags = gk_spin_lock_irqsave(&lock);
    if (free_head == REF_NONE && (rc = grow()) < 0) {
        gk_spin_unlock_irqrestore(&lock, flags);
        return rc == -ENOSPC || rc == -EINVAL ? -ENOSPC : rc;
    }
    ref = free_head;
    free_head = next_free[ref];
    next_free[ref] = REF_USED;
    nr_free--;
    gk_spin_unlock_irqrestore(&lock, flags);

    /* The other domain may look at any time: the flags go last. */
    e = entry(ref);
    e->domid = domid;
    e->frame = (uint32_t)gfn;
    __atomic_store_n(&e->flags, (uint16_t)(GTF_permit_access | (readonly ? GTF_readonly : 0)),
                     __ATOMIC_RELEASE);
    return (int)ref;
}

static bool ours(grant_ref_t ref)
{
    return ref >= GNTTAB_NR_RESERVED_ENTRIES && ref < nr_frames * ENTRIES_PER_FRAME &&
           __atomic_load_n(&next_free[ref], __ATOMIC_ACQUIRE) == REF_USED;
}

/*
 * Xen's rule for version 1: the flags may only go to 0 while neither
 * GTF_reading nor GTF_writing is set, which the hypervisor sets while a
 * mapping or copy holds the grant. Compare-and-exchange makes the check
 * and the change one step.
 */
int gk_grant_end_access(grant_ref_t ref)
{
    struct grant_entry_v1 *e;
    unsigned long flags;
    uint16_t f;

    if (init_rc != 0 || !ours(ref))
        return -EINVAL;
    e = entry(ref);
    f = __atomic_load_n(&e->flags, __ATOMIC_ACQUIRE);
    do {
        if (f & (GTF_reading | GTF_writing))
            return -EBUSY;
    } while (!__atomic_compare_exchange_n(&e->flags, &f, 0, false, __ATOMIC_ACQ_REL,
                                          __ATOMIC_ACQUIRE));
    flags = gk_spin_lock_irqsave(&lock);
    if (next_free[ref] == REF_USED) {
        next_free[ref] = free_head;
        free_head = ref;
        nr_free++;
    }
    gk_spin_unlock_irqrestore(&lock, flags);
    return 0;
}

uint16_t gk_grant_flags(grant_ref_t ref)
{
    if (init_rc != 0 || ref >= nr_frames * ENTRIES_PER_FRAME)
        return 0;
    return __atomic_load_n(&entry(ref)->flags, __ATOMIC_ACQUIRE);
}

unsigned int gk_gnttab_free(void)
{
    return nr_free;
}

int gk_gntst_errno(int16_t status)
{
    switch (status) {
    case GNTST_okay:
        return 0;
    case GNTST_bad_domain:
        return -ESRCH;
    case GNTST_bad_gntref:
    case GNTST_bad_handle:
    case GNTST_bad_copy_arg:
    case GNTST_bad_virt_addr:
        return -EINVAL;
    case GNTST_permission_denied:
        return -EPERM;
    case GNTST_bad_page:
        return -EFAULT;
    case GNTST_no_device_space:
    case GNTST_no_space:
        return -ENOSPC;
    case GNTST_eagain:
        return -EAGAIN;
    default:
        return -EIO;
    }
}

int gk_grant_copy(struct gnttab_copy *ops, unsigned int count)
{
    return HYPERVISOR_grant_table_op(GNTTABOP_copy, ops, count);
}

/* One op per local page the buffer touches; the remote range stays in its page. */
static int copy_pages(domid_t domid, grant_ref_t ref, uint16_t offset, uintptr_t local,
                      size_t len, bool to_remote)
{
    if ((size_t)offset + len > GK_PAGE_SIZE)
        return -EINVAL;
    while (len) {
        size_t in_page = GK_PAGE_SIZE - (local & (GK_PAGE_SIZE - 1));
        uint16_t n = (uint16_t)(len < in_page ? len : in_page);
        struct gnttab_copy op = { .len = n };
        struct gnttab_copy_ptr *remote = to_remote ? &op.dest : &op.source;
        struct gnttab_copy_ptr *mine = to_remote ? &op.source : &op.dest;
        int rc;

        op.flags = to_remote ? GNTCOPY_dest_gref : GNTCOPY_source_gref;
        remote->domid = domid;
        remote->u.ref = ref;
        remote->offset = offset;
        mine->domid = DOMID_SELF;
        mine->u.gmfn = local / GK_PAGE_SIZE;
        mine->offset = (uint16_t)(local & (GK_PAGE_SIZE - 1));
        rc = gk_grant_copy(&op, 1);
        if (rc < 0)
            return rc;
        if (op.status != GNTST_okay)
            return gk_gntst_errno(op.status);
        local += n;
        offset += n;
        len -= n;
    }
    return 0;
}

int gk_grant_copy_from(domid_t domid, grant_ref_t ref, uint16_t offset, void *dst, size_t len)
{
    return copy_pages(domid, ref, offset, (uintptr_t)dst, len, false);
}

int gk_grant_copy_to(domid_t domid, grant_ref_t ref, uint16_t offset, const void *src,
                     size_t len)
{
    return copy_pages(domid, ref, offset, (uintptr_t)src, len, true);
}
