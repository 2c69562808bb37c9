/* guest_mem.c: guest-physical map and the one checked guest-address translator. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "guest_mem.h"
#include "hv.h"

/*
 * A guest may place hypervisor pages (shared_info, grant frames) anywhere.
 * Each placement over RAM splits a host mapping and each placement outside
 * RAM costs a KVM memory slot, both finite resources of the whole process,
 * so a domain gets a bounded number of them.
 */
#define PM_MAX_SLOTS        256
#define PM_MAX_OVERRIDES    256

struct pm_slot {
    uint64_t gfn;
    uint64_t nr;
    uint8_t *hva;           /* the host mapping KVM uses for this slot */
    uint64_t offset;        /* memfd offset of the slot's first page */
    uint32_t kvm_slot;
    bool ram;               /* owns its mapping; may carry overrides */
};

struct pm_override {
    uint64_t gfn;
    uint64_t offset;        /* hypervisor page now at gfn */
};

struct physmap {
    struct pm_slot slots[PM_MAX_SLOTS];     /* sorted by gfn, disjoint */
    unsigned int nslots;
    struct pm_override ovr[PM_MAX_OVERRIDES];
    unsigned int novr;
    uint8_t kvm_slot_used[PM_MAX_SLOTS];
};

static struct pm_slot *slot_find(struct physmap *pm, uint64_t gfn)
{
    unsigned int lo = 0, hi = pm->nslots;

    while (lo < hi) {
        unsigned int mid = lo + (hi - lo) / 2;
        struct pm_slot *s = &pm->slots[mid];

        if (gfn < s->gfn)
            hi = mid;
        else if (gfn - s->gfn >= s->nr)
            lo = mid + 1;
        else
            return s;
    }
    return NULL;
}

static int kvm_slot_alloc(struct physmap *pm)
{
    for (unsigned int i = 0; i < PM_MAX_SLOTS; i++) {
        if (!pm->kvm_slot_used[i]) {
            pm->kvm_slot_used[i] = 1;
            return (int)i;
        }
    }
    return -ENOSPC;
}

/* Insert a slot (caller holds the write lock and checked for overlap). */
static int slot_insert(struct domain *d, const struct pm_slot *ns)
{
    struct physmap *pm = d->physmap;
    unsigned int pos = 0;
    struct pm_slot s = *ns;
    int kslot, rc;

    if (pm->nslots == PM_MAX_SLOTS)
        return -ENOSPC;
    kslot = kvm_slot_alloc(pm);
    if (kslot < 0)
        return kslot;
    s.kvm_slot = (uint32_t)kslot;
    rc = arch_set_memory(d, s.kvm_slot, s.gfn << HV_PAGE_SHIFT, s.nr << HV_PAGE_SHIFT, s.hva);
    if (rc < 0) {
        pm->kvm_slot_used[kslot] = 0;
        return rc;
    }
    while (pos < pm->nslots && pm->slots[pos].gfn < s.gfn)
        pos++;
    memmove(&pm->slots[pos + 1], &pm->slots[pos], (pm->nslots - pos) * sizeof(s));
    pm->slots[pos] = s;
    pm->nslots++;
    return 0;
}

static void slot_remove(struct domain *d, struct pm_slot *s)
{
    struct physmap *pm = d->physmap;
    unsigned int pos = (unsigned int)(s - pm->slots);

    arch_clear_memory(d, s->kvm_slot);
    pm->kvm_slot_used[s->kvm_slot] = 0;
    if (s->ram)
        munmap(s->hva, s->nr << HV_PAGE_SHIFT);
    memmove(&pm->slots[pos], &pm->slots[pos + 1], (pm->nslots - pos - 1) * sizeof(*s));
    pm->nslots--;
}

/* A RAM slot: a private host mapping of memfd pages [offset, offset + nr pages). */
static int ram_slot_add(struct domain *d, uint64_t gfn, uint64_t nr, uint64_t offset)
{
    struct pm_slot s = { .gfn = gfn, .nr = nr, .offset = offset, .ram = true };
    int rc;

    s.hva = mmap(NULL, nr << HV_PAGE_SHIFT, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE,
                 d->memfd, (off_t)offset);
    if (s.hva == MAP_FAILED)
        return -errno;
    /* Guest RAM is never worth a core dump of the hypervisor. */
    madvise(s.hva, nr << HV_PAGE_SHIFT, MADV_DONTDUMP);
    rc = slot_insert(d, &s);
    if (rc < 0)
        munmap(s.hva, nr << HV_PAGE_SHIFT);
    return rc;
}

int physmap_init(struct domain *d)
{
    uint64_t low_pages = HV_LOWMEM_END >> HV_PAGE_SHIFT;
    uint64_t special_gfn = HV_SPECIAL_END_GFN - HV_SPECIAL_PAGE_COUNT;
    int rc;

    d->physmap = calloc(1, sizeof(*d->physmap));
    if (!d->physmap)
        return -ENOMEM;
    if (d->ram_pages <= low_pages) {
        rc = ram_slot_add(d, 0, d->ram_pages, 0);
    } else {
        rc = ram_slot_add(d, 0, low_pages, 0);
        if (!rc)
            rc = ram_slot_add(d, HV_HIGHMEM_START >> HV_PAGE_SHIFT, d->ram_pages - low_pages,
                              low_pages << HV_PAGE_SHIFT);
    }
    if (!rc)
        rc = physmap_map_range(d, special_gfn, HV_SPECIAL_PAGE_COUNT, d->special_offset);
    return rc;
}

void physmap_free(struct domain *d)
{
    struct physmap *pm = d->physmap;

    if (!pm)
        return;
    while (pm->nslots)
        slot_remove(d, &pm->slots[pm->nslots - 1]);
    free(pm);
    d->physmap = NULL;
}

static struct pm_override *override_find(struct physmap *pm, uint64_t gfn)
{
    for (unsigned int i = 0; i < pm->novr; i++)
        if (pm->ovr[i].gfn == gfn)
            return &pm->ovr[i];
    return NULL;
}

/* Restore the RAM page at gfn inside RAM slot s (after an override). */
static int ram_page_restore(struct domain *d, struct pm_slot *s, uint64_t gfn)
{
    uint64_t ram_off = s->offset + ((gfn - s->gfn) << HV_PAGE_SHIFT);
    void *p = mmap(s->hva + ((gfn - s->gfn) << HV_PAGE_SHIFT), HV_PAGE_SIZE,
                   PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, d->memfd, (off_t)ram_off);

    return p == MAP_FAILED ? -errno : 0;
}

static int unmap_page_locked(struct domain *d, uint64_t gfn)
{
    struct physmap *pm = d->physmap;
    struct pm_slot *s = slot_find(pm, gfn);
    struct pm_override *o;
    int rc;

    if (!s)
        return -ENOENT;
    if (!s->ram) {
        if (s->nr != 1)
            return -EPERM;  /* the special-page range is not the guest's to remove */
        slot_remove(d, s);
        return 0;
    }
    o = override_find(pm, gfn);
    if (o) {
        rc = ram_page_restore(d, s, gfn);
        if (rc < 0)
            return rc;
        *o = pm->ovr[--pm->novr];
        return 0;
    }
    /* Giving back a RAM page frees its host memory; it reads as zeroes. */
    fallocate(d->memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
              (off_t)(s->offset + ((gfn - s->gfn) << HV_PAGE_SHIFT)), HV_PAGE_SIZE);
    return 0;
}

/* Where is memfd page `offset` mapped now (hypervisor pages move, not copy)? */
static bool offset_mapped_at(struct physmap *pm, uint64_t offset, uint64_t *gfn)
{
    for (unsigned int i = 0; i < pm->novr; i++) {
        if (pm->ovr[i].offset == offset) {
            *gfn = pm->ovr[i].gfn;
            return true;
        }
    }
    for (unsigned int i = 0; i < pm->nslots; i++) {
        const struct pm_slot *s = &pm->slots[i];

        if (!s->ram && s->nr == 1 && s->offset == offset) {
            *gfn = s->gfn;
            return true;
        }
    }
    return false;
}

int physmap_map_page(struct domain *d, uint64_t gfn, uint64_t offset)
{
    struct physmap *pm = d->physmap;
    struct pm_slot *s;
    uint64_t old_gfn;
    int rc = 0;

    if (gfn >= (1ull << (52 - HV_PAGE_SHIFT)) || offset >= d->mem_size ||
        (offset & (HV_PAGE_SIZE - 1)))
        return -EINVAL;
    pthread_rwlock_wrlock(&d->physmap_lock);
    if (offset_mapped_at(pm, offset, &old_gfn)) {
        if (old_gfn == gfn)
            goto out;
        rc = unmap_page_locked(d, old_gfn);
        if (rc < 0)
            goto out;
    }
    s = slot_find(pm, gfn);
    if (s && s->ram) {
        uint8_t *at = s->hva + ((gfn - s->gfn) << HV_PAGE_SHIFT);
        struct pm_override *o = override_find(pm, gfn);

        if (!o && pm->novr == PM_MAX_OVERRIDES) {
            rc = -ENOSPC;
            goto out;
        }
        if (mmap(at, HV_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, d->memfd,
                 (off_t)offset) == MAP_FAILED) {
            rc = -errno;
            goto out;
        }
        if (!o) {
            /* The RAM page displaced is gone for the guest, as in Xen: free it. */
            fallocate(d->memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                      (off_t)(s->offset + ((gfn - s->gfn) << HV_PAGE_SHIFT)), HV_PAGE_SIZE);
            o = &pm->ovr[pm->novr++];
        }
        o->gfn = gfn;
        o->offset = offset;
        goto out;
    }
    if (s) {
        rc = unmap_page_locked(d, gfn);
        if (rc < 0)
            goto out;
    }
    {
        struct pm_slot ns = { .gfn = gfn, .nr = 1, .offset = offset,
                              .hva = d->mem + offset };

        rc = slot_insert(d, &ns);
    }
out:
    pthread_rwlock_unlock(&d->physmap_lock);
    return rc;
}

int physmap_map_range(struct domain *d, uint64_t gfn, uint64_t nr, uint64_t offset)
{
    struct pm_slot ns = { .gfn = gfn, .nr = nr, .offset = offset, .hva = d->mem + offset };
    int rc;

    if (nr == 0 || offset > d->mem_size || nr > (d->mem_size - offset) >> HV_PAGE_SHIFT)
        return -EINVAL;
    pthread_rwlock_wrlock(&d->physmap_lock);
    for (uint64_t i = 0; i < nr; i++) {
        if (slot_find(d->physmap, gfn + i)) {
            pthread_rwlock_unlock(&d->physmap_lock);
            return -EEXIST;
        }
    }
    rc = slot_insert(d, &ns);
    pthread_rwlock_unlock(&d->physmap_lock);
    return rc;
}

int physmap_unmap_page(struct domain *d, uint64_t gfn)
{
    int rc;

    pthread_rwlock_wrlock(&d->physmap_lock);
    rc = unmap_page_locked(d, gfn);
    pthread_rwlock_unlock(&d->physmap_lock);
    return rc;
}

bool physmap_offset_gfn(struct domain *d, uint64_t offset, uint64_t *gfn)
{
    bool found;

    pthread_rwlock_rdlock(&d->physmap_lock);
    found = offset_mapped_at(d->physmap, offset, gfn);
    pthread_rwlock_unlock(&d->physmap_lock);
    return found;
}

int64_t physmap_gfn_offset(struct domain *d, uint64_t gfn)
{
    struct pm_slot *s;
    struct pm_override *o;
    int64_t off = -EFAULT;

    pthread_rwlock_rdlock(&d->physmap_lock);
    s = slot_find(d->physmap, gfn);
    if (s) {
        o = s->ram ? override_find(d->physmap, gfn) : NULL;
        off = o ? (int64_t)o->offset : (int64_t)(s->offset + ((gfn - s->gfn) << HV_PAGE_SHIFT));
    }
    pthread_rwlock_unlock(&d->physmap_lock);
    return off;
}

void *gpa_ptr(struct domain *d, uint64_t gpa, size_t len)
{
    uint64_t gfn = gpa >> HV_PAGE_SHIFT;
    struct pm_slot *s;
    void *p = NULL;

    if (len == 0 || gpa + len < gpa)
        return NULL;
    pthread_rwlock_rdlock(&d->physmap_lock);
    s = slot_find(d->physmap, gfn);
    if (s) {
        uint64_t off = gpa - (s->gfn << HV_PAGE_SHIFT);

        if (len <= (s->nr << HV_PAGE_SHIFT) - off)
            p = s->hva + off;
    }
    pthread_rwlock_unlock(&d->physmap_lock);
    return p;
}

static int copy_gpa(struct domain *d, uint64_t gpa, void *buf, size_t len, bool to_guest)
{
    uint8_t *b = buf;

    while (len) {
        size_t chunk = HV_PAGE_SIZE - (gpa & (HV_PAGE_SIZE - 1));
        uint8_t *p;

        if (chunk > len)
            chunk = len;
        p = gpa_ptr(d, gpa, chunk);
        if (!p)
            return -EFAULT;
        if (to_guest)
            memcpy(p, b, chunk);
        else
            memcpy(b, p, chunk);
        gpa += chunk;
        b += chunk;
        len -= chunk;
    }
    return 0;
}

int copy_from_gpa(struct domain *d, void *dst, uint64_t gpa, size_t len)
{
    return copy_gpa(d, gpa, dst, len, false);
}

int copy_to_gpa(struct domain *d, uint64_t gpa, const void *src, size_t len)
{
    return copy_gpa(d, gpa, (void *)src, len, true);
}

/* x86 paging bits. */
#define CR0_PG          (1ull << 31)
#define CR0_WP          (1ull << 16)
#define CR4_PSE         (1ull << 4)
#define CR4_PAE         (1ull << 5)
#define CR4_LA57        (1ull << 12)
#define EFER_LMA        (1ull << 10)
#define PTE_P           (1ull << 0)
#define PTE_RW          (1ull << 1)
#define PTE_PS          (1ull << 7)
#define PTE_ADDR        0x000ffffffffff000ull

static int read_pte(struct domain *d, uint64_t gpa, unsigned int size, uint64_t *pte)
{
    uint64_t v = 0;
    int rc = copy_from_gpa(d, &v, gpa, size);

    *pte = v;
    return rc;
}

static int pte_check(uint64_t pte, bool write, const struct vcpu_paging *p)
{
    if (!(pte & PTE_P))
        return -EFAULT;
    if (write && !(pte & PTE_RW) && (p->cr0 & CR0_WP))
        return -EFAULT;
    return 0;
}

int linear_to_gpa(struct domain *d, const struct vcpu_paging *p, uint64_t la, bool write,
                  uint64_t *gpa)
{
    uint64_t pte, table;
    int rc;

    if (!(p->cr0 & CR0_PG)) {
        *gpa = (p->efer & EFER_LMA) ? la : (la & 0xffffffffull);
        return 0;
    }
    if (p->efer & EFER_LMA) {
        int levels = (p->cr4 & CR4_LA57) ? 5 : 4;
        unsigned int bits = 12 + 9 * (unsigned int)levels;
        int64_t sx = (int64_t)(la << (64 - bits)) >> (64 - bits);

        if ((uint64_t)sx != la)
            return -EFAULT;     /* non-canonical */
        table = p->cr3 & PTE_ADDR;
        for (int level = levels; level >= 1; level--) {
            unsigned int shift = 12 + 9 * (unsigned int)(level - 1);

            rc = read_pte(d, table + ((la >> shift) & 511) * 8, 8, &pte);
            if (rc < 0 || (rc = pte_check(pte, write, p)) < 0)
                return rc;
            if ((level == 2 || level == 3) && (pte & PTE_PS)) {
                uint64_t mask = (1ull << shift) - 1;

                *gpa = ((pte & PTE_ADDR) & ~mask) | (la & mask);
                return 0;
            }
            table = pte & PTE_ADDR;
        }
        *gpa = table | (la & 0xfff);
        return 0;
    }
    la &= 0xffffffffull;
    if (p->cr4 & CR4_PAE) {
        rc = read_pte(d, (p->cr3 & 0xffffffe0ull) + ((la >> 30) & 3) * 8, 8, &pte);
        if (rc < 0 || !(pte & PTE_P))
            return -EFAULT;
        rc = read_pte(d, (pte & PTE_ADDR) + ((la >> 21) & 511) * 8, 8, &pte);
        if (rc < 0 || (rc = pte_check(pte, write, p)) < 0)
            return rc < 0 ? rc : -EFAULT;
        if (pte & PTE_PS) {
            *gpa = (pte & PTE_ADDR & ~0x1fffffull) | (la & 0x1fffff);
            return 0;
        }
        rc = read_pte(d, (pte & PTE_ADDR) + ((la >> 12) & 511) * 8, 8, &pte);
        if (rc < 0 || (rc = pte_check(pte, write, p)) < 0)
            return rc < 0 ? rc : -EFAULT;
        *gpa = (pte & PTE_ADDR) | (la & 0xfff);
        return 0;
    }
    rc = read_pte(d, (p->cr3 & 0xfffff000ull) + (la >> 22) * 4, 4, &pte);
    if (rc < 0 || (rc = pte_check(pte, write, p)) < 0)
        return rc < 0 ? rc : -EFAULT;
    if ((pte & PTE_PS) && (p->cr4 & CR4_PSE)) {
        *gpa = (pte & 0xffc00000ull) | (la & 0x3fffff);
        return 0;
    }
    rc = read_pte(d, (pte & 0xfffff000ull) + ((la >> 12) & 1023) * 4, 4, &pte);
    if (rc < 0 || (rc = pte_check(pte, write, p)) < 0)
        return rc < 0 ? rc : -EFAULT;
    *gpa = (pte & 0xfffff000ull) | (la & 0xfff);
    return 0;
}

static int copy_linear(struct vcpu *v, uint64_t la, void *buf, size_t len, bool to_guest)
{
    uint8_t *b = buf;

    if (la + len < la)
        return -EFAULT;
    while (len) {
        size_t chunk = HV_PAGE_SIZE - (la & (HV_PAGE_SIZE - 1));
        uint64_t gpa;
        int rc;

        if (chunk > len)
            chunk = len;
        rc = linear_to_gpa(v->d, &v->paging, la, to_guest, &gpa);
        if (rc < 0)
            return rc;
        rc = copy_gpa(v->d, gpa, b, chunk, to_guest);
        if (rc < 0)
            return rc;
        la += chunk;
        b += chunk;
        len -= chunk;
    }
    return 0;
}

int copy_from_guest(struct vcpu *v, void *dst, uint64_t la, size_t len)
{
    return copy_linear(v, la, dst, len, false);
}

int copy_to_guest(struct vcpu *v, uint64_t la, const void *src, size_t len)
{
    return copy_linear(v, la, (void *)src, len, true);
}
