/* fake-guest.c: a fake guest for backend tests: memory, grant table and event channels. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fake-guest.h"

struct fake_mapping {
    void *addr;
    uint32_t count;
    struct fake_mapping *next;
};

void fake_die(const char *what)
{
    perror(what);
    abort();
}

struct fake_guest *fake_guest_create(size_t npages, uint32_t domid, unsigned int ngrants)
{
    struct fake_guest *g = calloc(1, sizeof(*g));
    pthread_mutex_t *lock = malloc(sizeof(*lock));

    if (!g || !lock)
        fake_die("calloc");
    pthread_mutex_init(lock, NULL);
    g->lock = lock;
    g->npages = npages;
    g->domid = domid;
    g->ngrants = ngrants;
    g->grants = calloc(ngrants, sizeof(*g->grants));
    g->memfd = memfd_create("fake-guest", MFD_CLOEXEC);
    if (!g->grants || g->memfd < 0 || ftruncate(g->memfd, (off_t)(npages * FAKE_PAGE)) < 0)
        fake_die("fake guest memory");
    g->mem = mmap(NULL, npages * FAKE_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, g->memfd, 0);
    if (g->mem == MAP_FAILED)
        fake_die("mmap guest");
    for (unsigned int i = 0; i < FAKE_MAX_PORTS; i++) {
        g->ports[i].kick = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        g->ports[i].notify = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (g->ports[i].kick < 0 || g->ports[i].notify < 0)
            fake_die("eventfd");
    }
    return g;
}

void fake_guest_destroy(struct fake_guest *g)
{
    if (!g)
        return;
    while (g->maps) {
        struct fake_mapping *m = g->maps;

        g->maps = m->next;
        free(m);
    }
    for (unsigned int i = 0; i < FAKE_MAX_PORTS; i++) {
        close(g->ports[i].kick);
        close(g->ports[i].notify);
    }
    munmap(g->mem, g->npages * FAKE_PAGE);
    if (g->memfd >= 0)
        close(g->memfd);
    pthread_mutex_destroy(g->lock);
    free(g->lock);
    free(g->grants);
    free(g);
}

void fake_grant(struct fake_guest *g, grant_ref_t ref, uint32_t page, bool readonly)
{
    if (ref >= g->ngrants || page >= g->npages)
        abort();
    pthread_mutex_lock(g->lock);
    g->grants[ref] = (struct fake_grant){ true, readonly, page };
    pthread_mutex_unlock(g->lock);
}

void fake_revoke(struct fake_guest *g, grant_ref_t ref)
{
    pthread_mutex_lock(g->lock);
    if (ref < g->ngrants)
        g->grants[ref].valid = false;
    pthread_mutex_unlock(g->lock);
}

void fake_guest_kill(struct fake_guest *g)
{
    pthread_mutex_lock(g->lock);
    close(g->memfd);
    g->memfd = -1;
    pthread_mutex_unlock(g->lock);
}

uint8_t *fake_page(struct fake_guest *g, uint32_t page)
{
    return g->mem + (size_t)page * FAKE_PAGE;
}

long fake_mapped(struct fake_guest *g)
{
    long n;

    pthread_mutex_lock(g->lock);
    n = g->mapped_pages;
    pthread_mutex_unlock(g->lock);
    return n;
}

long fake_notifies(struct fake_guest *g, uint32_t port)
{
    return __atomic_load_n(&g->ports[port].notifies, __ATOMIC_RELAXED);
}

void *fake_guest_map(struct fake_guest *g, uint32_t count, const grant_ref_t *refs,
                     bool writable)
{
    struct fake_mapping *m;
    uint8_t *base;
    int err = 0;

    pthread_mutex_lock(g->lock);
    g->map_calls++;
    if (g->memfd < 0)
        err = ESRCH;
    for (uint32_t i = 0; i < count && !err; i++) {
        if (refs[i] >= g->ngrants || !g->grants[refs[i]].valid)
            err = EINVAL;
        else if (writable && g->grants[refs[i]].readonly)
            err = EPERM;
    }
    if (err || count == 0) {
        g->failed_maps++;
        pthread_mutex_unlock(g->lock);
        errno = err ? err : EINVAL;
        return NULL;
    }
    base = mmap(NULL, (size_t)count * FAKE_PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED)
        fake_die("mmap reserve");
    for (uint32_t i = 0; i < count; i++)
        if (mmap(base + (size_t)i * FAKE_PAGE, FAKE_PAGE,
                 PROT_READ | (writable ? PROT_WRITE : 0), MAP_SHARED | MAP_FIXED, g->memfd,
                 (off_t)g->grants[refs[i]].page * FAKE_PAGE) == MAP_FAILED)
            fake_die("mmap grant");
    m = malloc(sizeof(*m));
    if (!m)
        fake_die("malloc");
    *m = (struct fake_mapping){ base, count, g->maps };
    g->maps = m;
    g->mapped_pages += count;
    if (g->mapped_pages > g->max_mapped_pages)
        g->max_mapped_pages = g->mapped_pages;
    pthread_mutex_unlock(g->lock);
    return base;
}

int fake_guest_unmap(struct fake_guest *g, void *addr, uint32_t count)
{
    struct fake_mapping **pp;

    pthread_mutex_lock(g->lock);
    g->unmap_calls++;
    for (pp = &g->maps; *pp; pp = &(*pp)->next) {
        struct fake_mapping *m = *pp;

        if (m->addr != addr)
            continue;
        if (m->count != count)
            break;
        *pp = m->next;
        munmap(m->addr, (size_t)count * FAKE_PAGE);
        g->mapped_pages -= count;
        free(m);
        pthread_mutex_unlock(g->lock);
        return 0;
    }
    g->bad_unmaps++;
    pthread_mutex_unlock(g->lock);
    return -EINVAL;
}

/* One segment, checked the way lamina-hv checks a grant copy. */
static int16_t copy_one(struct fake_guest *g, xengnttab_grant_copy_segment_t *s)
{
    bool to_guest = s->flags == GNTCOPY_dest_gref;
    const union xengnttab_copy_ptr *f = to_guest ? &s->dest : &s->source;
    const struct fake_grant *gr;
    uint8_t *page;

    if (s->flags != GNTCOPY_dest_gref && s->flags != GNTCOPY_source_gref)
        return GNTST_bad_copy_arg;
    if (f->foreign.domid != g->domid || g->memfd < 0)
        return GNTST_bad_domain;
    if (f->foreign.ref >= g->ngrants || !g->grants[f->foreign.ref].valid)
        return GNTST_bad_gntref;
    gr = &g->grants[f->foreign.ref];
    if (to_guest && gr->readonly)
        return GNTST_permission_denied;
    if ((uint32_t)f->foreign.offset + s->len > FAKE_PAGE)
        return GNTST_bad_copy_arg;
    page = fake_page(g, gr->page) + f->foreign.offset;
    if (to_guest)
        memcpy(page, s->source.virt, s->len);
    else
        memcpy(s->dest.virt, page, s->len);
    return GNTST_okay;
}

int fake_guest_copy(struct fake_guest *g, xengnttab_grant_copy_segment_t *segs, uint32_t count)
{
    pthread_mutex_lock(g->lock);
    g->copy_calls++;
    g->copy_segs += count;
    for (uint32_t i = 0; i < count; i++) {
        segs[i].status = copy_one(g, &segs[i]);
        if (segs[i].status != GNTST_okay)
            g->failed_segs++;
    }
    pthread_mutex_unlock(g->lock);
    return 0;
}

int fake_guest_notify(struct fake_guest *g, uint32_t port)
{
    struct fake_port *p = &g->ports[port];
    uint64_t one = 1;

    __atomic_fetch_add(&p->notifies, 1, __ATOMIC_RELAXED);
    return write(p->notify, &one, sizeof(one)) == sizeof(one) ? 0 : -errno;
}
