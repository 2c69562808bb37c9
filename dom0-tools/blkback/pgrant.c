/* pgrant.c: a ring's cache of persistently mapped grants (feature-persistent). */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>

#include "pgrant.h"

static unsigned int bucket(const struct pgrant_cache *c, grant_ref_t ref)
{
    /* Frontends hand out refs densely; a multiplicative hash spreads runs anyway. */
    return (uint32_t)(ref * 2654435761u) & c->hmask;
}

static void lru_remove(struct pgrant *e)
{
    e->lru_prev->lru_next = e->lru_next;
    e->lru_next->lru_prev = e->lru_prev;
    e->lru_prev = e->lru_next = NULL;
}

static void lru_append(struct pgrant_cache *c, struct pgrant *e)
{
    e->lru_prev = c->lru.lru_prev;
    e->lru_next = &c->lru;
    c->lru.lru_prev->lru_next = e;
    c->lru.lru_prev = e;
}

int pgrant_cache_init(struct pgrant_cache *c, unsigned int max)
{
    unsigned int nb = 1;

    *c = (struct pgrant_cache){ .max = max };
    c->lru.lru_next = c->lru.lru_prev = &c->lru;
    while (nb < max && nb < (1u << 20))
        nb <<= 1;
    c->hmask = nb - 1;
    c->buckets = calloc(nb, sizeof(*c->buckets));
    c->entries = max ? calloc(max, sizeof(*c->entries)) : NULL;
    if (!c->buckets || (max && !c->entries)) {
        pgrant_cache_fini(c);
        return -ENOMEM;
    }
    for (unsigned int i = 0; i < max; i++) {
        c->entries[i].hnext = c->free;
        c->free = &c->entries[i];
    }
    return 0;
}

void pgrant_cache_fini(struct pgrant_cache *c)
{
    free(c->buckets);
    free(c->entries);
    c->buckets = NULL;
    c->entries = NULL;
    c->free = NULL;
    c->count = 0;
    c->max = 0;
}

struct pgrant *pgrant_get(struct pgrant_cache *c, grant_ref_t ref, uint64_t now)
{
    struct pgrant *e;

    if (!c->count)
        return NULL;
    for (e = c->buckets[bucket(c, ref)]; e; e = e->hnext) {
        if (e->ref != ref)
            continue;
        if (e->users++ == 0)
            lru_remove(e);
        e->stamp = now;
        return e;
    }
    return NULL;
}

bool pgrant_has_room(const struct pgrant_cache *c)
{
    return c->free != NULL;
}

struct pgrant *pgrant_insert(struct pgrant_cache *c, grant_ref_t ref, void *page, uint64_t now)
{
    struct pgrant *e = c->free;
    unsigned int b = bucket(c, ref);

    c->free = e->hnext;
    *e = (struct pgrant){ .ref = ref, .page = page, .stamp = now, .users = 1,
                          .hnext = c->buckets[b] };
    c->buckets[b] = e;
    c->count++;
    return e;
}

static void unlink_entry(struct pgrant_cache *c, struct pgrant *e)
{
    struct pgrant **pp = &c->buckets[bucket(c, e->ref)];

    while (*pp != e)
        pp = &(*pp)->hnext;
    *pp = e->hnext;
    lru_remove(e);
    e->page = NULL;
    e->hnext = c->free;
    c->free = e;
    c->count--;
}

unsigned int pgrant_purge(struct pgrant_cache *c, uint64_t before, unsigned int max,
                          void (*unmap)(void *page, void *arg), void *arg)
{
    unsigned int n = 0;

    while (n < max && c->lru.lru_next != &c->lru && c->lru.lru_next->stamp < before) {
        struct pgrant *e = c->lru.lru_next;
        void *page = e->page;

        unlink_entry(c, e);
        unmap(page, arg);
        n++;
    }
    return n;
}

void pgrant_put(struct pgrant_cache *c, struct pgrant *e)
{
    if (--e->users == 0)
        lru_append(c, e);
}

void pgrant_flush(struct pgrant_cache *c, void (*unmap)(void *page, void *arg), void *arg)
{
    pgrant_purge(c, UINT64_MAX, UINT32_MAX, unmap, arg);
}
