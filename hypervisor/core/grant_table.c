/* grant_table.c: Xen grant tables (v1): sharing pages with other domains. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <xen/grant_table.h>
#include <xen/memory.h>

#include "grant_table.h"
#include "guest_mem.h"
#include "hv.h"

/*
 * The grant entries live in hypervisor-owned pages of the granting
 * domain's memfd, which the guest maps with XENMEM_add_to_physmap.  The
 * guest writes entries at any time, so every read of an entry is a single
 * snapshot, and the flags word is only changed with compare-and-exchange:
 * a hold is taken by setting GTF_reading/GTF_writing only if the entry
 * still grants what was checked, and the guest's end-of-access (which
 * clears GTF_permit_access only if neither bit is set) then fails while
 * the grant is held.
 *
 * gt->lock protects pins and nr_frames.  No other lock is taken under it.
 */

#define PIN_MAX     0xffffu

int gnttab_domain_init(struct domain *d)
{
    struct grant_table *gt = &d->gnttab;

    pthread_mutex_init(&gt->lock, NULL);
    gt->nr_frames = 1;
    gt->entries = (struct grant_entry_v1 *)(d->mem + gt->offset);
    return 0;
}

void gnttab_domain_destroy(struct domain *d)
{
    struct grant_table *gt = &d->gnttab;

    free(gt->pins);
    gt->pins = NULL;
    pthread_mutex_destroy(&gt->lock);
}

uint32_t gnttab_nr_entries(struct domain *d)
{
    return d->gnttab.nr_frames * (uint32_t)GNTTAB_ENTRIES_PER_FRAME;
}

static int grow(struct grant_table *gt, uint32_t frames)
{
    if (frames > GNTTAB_MAX_FRAMES)
        return -EINVAL;
    pthread_mutex_lock(&gt->lock);
    if (frames > gt->nr_frames)
        gt->nr_frames = frames;
    pthread_mutex_unlock(&gt->lock);
    return 0;
}

int gnttab_map_frame(struct domain *d, uint64_t idx, uint64_t gfn)
{
    if (idx & XENMAPIDX_grant_table_status)
        return -EINVAL;     /* status frames exist only in version 2 */
    if (idx >= GNTTAB_MAX_FRAMES)
        return -EINVAL;
    if (grow(&d->gnttab, (uint32_t)idx + 1) < 0)
        return -EINVAL;
    return physmap_map_page(d, gfn, d->gnttab.offset + idx * HV_PAGE_SIZE);
}

void gnttab_seed(struct domain *d, grant_ref_t ref, uint64_t gfn)
{
    struct grant_entry_v1 *e = &d->gnttab.entries[ref];

    e->domid = 0;
    e->frame = (uint32_t)gfn;
    __atomic_store_n(&e->flags, (uint16_t)GTF_permit_access, __ATOMIC_RELEASE);
}

int16_t gnttab_pin(struct domain *d, grant_ref_t ref, domid_t mapper, bool readonly,
                   uint64_t *offset)
{
    struct grant_table *gt = &d->gnttab;
    struct grant_entry_v1 *e;
    uint16_t want = readonly ? GTF_reading : (GTF_reading | GTF_writing);
    uint16_t flags;
    int64_t off;
    int16_t st = GNTST_okay;

    pthread_mutex_lock(&gt->lock);
    if (ref >= gnttab_nr_entries(d)) {
        st = GNTST_bad_gntref;
        goto out;
    }
    if (!gt->pins) {
        gt->pins = calloc(GNTTAB_MAX_FRAMES * GNTTAB_ENTRIES_PER_FRAME, sizeof(*gt->pins));
        if (!gt->pins) {
            st = GNTST_no_space;
            goto out;
        }
    }
    if (gt->pins[ref].readers == PIN_MAX || gt->pins[ref].writers == PIN_MAX) {
        st = GNTST_no_space;
        goto out;
    }
    e = &gt->entries[ref];
    flags = __atomic_load_n(&e->flags, __ATOMIC_ACQUIRE);
    for (;;) {
        if ((flags & GTF_type_mask) != GTF_permit_access || (flags & GTF_sub_page) ||
            __atomic_load_n(&e->domid, __ATOMIC_ACQUIRE) != mapper) {
            st = GNTST_permission_denied;
            goto out;
        }
        if (!readonly && (flags & GTF_readonly)) {
            st = GNTST_permission_denied;
            goto out;
        }
        if (__atomic_compare_exchange_n(&e->flags, &flags, (uint16_t)(flags | want), false,
                                        __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
            break;
    }
    /* The frame is read after the hold: the guest cannot change a held grant. */
    off = physmap_gfn_offset(d, __atomic_load_n(&e->frame, __ATOMIC_ACQUIRE));
    if (off < 0) {
        if (!gt->pins[ref].readers)
            __atomic_fetch_and(&e->flags, (uint16_t)~GTF_reading, __ATOMIC_RELEASE);
        if (!readonly && !gt->pins[ref].writers)
            __atomic_fetch_and(&e->flags, (uint16_t)~GTF_writing, __ATOMIC_RELEASE);
        st = GNTST_bad_page;
        goto out;
    }
    gt->pins[ref].readers++;
    if (!readonly)
        gt->pins[ref].writers++;
    *offset = (uint64_t)off;
out:
    pthread_mutex_unlock(&gt->lock);
    return st;
}

void gnttab_unpin(struct domain *d, grant_ref_t ref, bool readonly)
{
    struct grant_table *gt = &d->gnttab;
    struct grant_entry_v1 *e = &gt->entries[ref];

    pthread_mutex_lock(&gt->lock);
    if (gt->pins && ref < GNTTAB_MAX_FRAMES * GNTTAB_ENTRIES_PER_FRAME &&
        gt->pins[ref].readers) {
        gt->pins[ref].readers--;
        if (!readonly && gt->pins[ref].writers)
            gt->pins[ref].writers--;
        if (!gt->pins[ref].writers)
            __atomic_fetch_and(&e->flags, (uint16_t)~GTF_writing, __ATOMIC_RELEASE);
        if (!gt->pins[ref].readers)
            __atomic_fetch_and(&e->flags, (uint16_t)~GTF_reading, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&gt->lock);
}

/* One side of a copy: a grant of another domain, or a frame of our own. */
struct copy_end {
    struct domain *d;       /* referenced when a grant */
    grant_ref_t ref;
    bool pinned;
    bool readonly;
    uint8_t *ptr;
};

static int16_t copy_resolve(struct vcpu *v, const struct gnttab_copy_ptr *p, bool is_gref,
                            bool write, uint16_t len, struct copy_end *end)
{
    struct domain *self = v->d;
    uint64_t offset;
    int16_t st;

    memset(end, 0, sizeof(*end));
    if ((uint32_t)p->offset + len > HV_PAGE_SIZE)
        return GNTST_bad_copy_arg;
    if (!is_gref) {
        uint8_t *page;

        /* Frames by number: only the caller's own memory. */
        if (p->domid != DOMID_SELF && p->domid != self->domid)
            return GNTST_permission_denied;
        page = gpa_ptr(self, p->u.gmfn << HV_PAGE_SHIFT, HV_PAGE_SIZE);
        if (!page || p->u.gmfn >= (1ull << (52 - HV_PAGE_SHIFT)))
            return GNTST_bad_page;
        end->ptr = page + p->offset;
        return GNTST_okay;
    }
    end->d = p->domid == DOMID_SELF ? NULL : domain_get(p->domid);
    if (!end->d || end->d->is_privileged)
        return GNTST_bad_domain;
    st = gnttab_pin(end->d, p->u.ref, (domid_t)self->domid, !write, &offset);
    if (st != GNTST_okay)
        return st;
    end->ref = p->u.ref;
    end->pinned = true;
    end->readonly = !write;
    end->ptr = end->d->mem + offset + p->offset;
    return GNTST_okay;
}

static void copy_release(struct copy_end *end)
{
    if (end->pinned)
        gnttab_unpin(end->d, end->ref, end->readonly);
    if (end->d)
        domain_put(end->d);
}

static int16_t copy_one(struct vcpu *v, struct gnttab_copy *op)
{
    struct copy_end src, dst;
    int16_t st;

    if (op->flags & ~(GNTCOPY_source_gref | GNTCOPY_dest_gref))
        return GNTST_bad_copy_arg;
    st = copy_resolve(v, &op->source, op->flags & GNTCOPY_source_gref, false, op->len, &src);
    if (st == GNTST_okay) {
        st = copy_resolve(v, &op->dest, op->flags & GNTCOPY_dest_gref, true, op->len, &dst);
        if (st == GNTST_okay)
            memmove(dst.ptr, src.ptr, op->len);
        copy_release(&dst);
    }
    copy_release(&src);
    return st;
}

/* Bounded per hypercall; Xen would preempt and continue, we ask for fewer. */
#define GNTTAB_MAX_BATCH    512

static long gnttab_copy(struct vcpu *v, uint64_t arg, uint64_t count)
{
    if (count > GNTTAB_MAX_BATCH)
        return -EINVAL;
    for (uint64_t i = 0; i < count; i++) {
        struct gnttab_copy op;
        uint64_t at = arg + i * sizeof(op);
        int rc = copy_from_guest(v, &op, at, sizeof(op));

        if (rc < 0)
            return rc;
        op.status = copy_one(v, &op);
        rc = copy_to_guest(v, at + offsetof(struct gnttab_copy, status), &op.status,
                           sizeof(op.status));
        if (rc < 0)
            return rc;
    }
    return 0;
}

static bool self_dom(struct vcpu *v, domid_t dom)
{
    return dom == DOMID_SELF || dom == v->d->domid;
}

static long setup_table(struct vcpu *v, uint64_t arg, uint64_t count)
{
    struct domain *d = v->d;
    struct gnttab_setup_table op;
    int rc;

    if (count != 1)
        return -EINVAL;
    if ((rc = copy_from_guest(v, &op, arg, sizeof(op))) < 0)
        return rc;
    if (!self_dom(v, op.dom))
        op.status = GNTST_permission_denied;
    else if (grow(&d->gnttab, op.nr_frames) < 0)
        op.status = GNTST_general_error;
    else
        op.status = GNTST_okay;
    /* Each frame's guest frame number if the guest mapped it, else all ones. */
    for (uint32_t i = 0; op.status == GNTST_okay && i < op.nr_frames; i++) {
        uint64_t where;
        xen_pfn_t gfn = physmap_offset_gfn(d, d->gnttab.offset + i * HV_PAGE_SIZE, &where)
                            ? where : ~(xen_pfn_t)0;

        rc = copy_to_guest(v, (uint64_t)(uintptr_t)op.frame_list.p + i * sizeof(gfn), &gfn,
                           sizeof(gfn));
        if (rc < 0)
            op.status = GNTST_bad_virt_addr;
    }
    return copy_to_guest(v, arg, &op, sizeof(op));
}

long do_grant_table_op(struct vcpu *v, const uint64_t a[6])
{
    uint64_t cmd = a[0], arg = a[1], count = a[2];
    int rc;

    switch (cmd) {
    case GNTTABOP_setup_table:
        return setup_table(v, arg, count);
    case GNTTABOP_query_size: {
        struct gnttab_query_size op;

        if (count != 1)
            return -EINVAL;
        if ((rc = copy_from_guest(v, &op, arg, sizeof(op))) < 0)
            return rc;
        if (!self_dom(v, op.dom)) {
            op.status = GNTST_permission_denied;
        } else {
            op.nr_frames = v->d->gnttab.nr_frames;
            op.max_nr_frames = GNTTAB_MAX_FRAMES;
            op.status = GNTST_okay;
        }
        return copy_to_guest(v, arg, &op, sizeof(op));
    }
    case GNTTABOP_set_version: {
        struct gnttab_set_version op;

        if (count != 1)
            return -EINVAL;
        if ((rc = copy_from_guest(v, &op, arg, sizeof(op))) < 0)
            return rc;
        if (op.version != 1)
            return -EOPNOTSUPP;     /* Lamina offers grant tables version 1 only */
        return copy_to_guest(v, arg, &op, sizeof(op));
    }
    case GNTTABOP_get_version: {
        struct gnttab_get_version op;

        if (count != 1)
            return -EINVAL;
        if ((rc = copy_from_guest(v, &op, arg, sizeof(op))) < 0)
            return rc;
        if (!self_dom(v, op.dom))
            return -EPERM;
        op.version = 1;
        return copy_to_guest(v, arg, &op, sizeof(op));
    }
    case GNTTABOP_copy:
        return gnttab_copy(v, arg, count);
    default:
        /* Mapping foreign grants into a guest is not offered (see docs). */
        return -ENOSYS;
    }
}
