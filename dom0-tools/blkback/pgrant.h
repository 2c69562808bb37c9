/* pgrant.h: a ring's cache of persistently mapped grants (feature-persistent). */
/* SPDX-License-Identifier: MIT */
#ifndef BLKBACK_PGRANT_H
#define BLKBACK_PGRANT_H

#include <stdbool.h>
#include <stdint.h>

#include <xen/grant_table.h>

/*
 * A frontend that negotiated feature-persistent reuses a fixed set of
 * granted pages, so keeping their mappings saves two hypervisor round
 * trips per page per request. The cache is bounded. When it is full,
 * misses are mapped for their request only (in one batch), rather than
 * evicting: a frontend cycling through more pages than the cache holds
 * would otherwise make every access a miss plus an eviction. Entries no
 * request is using sit on an LRU list with the time (in requests) of their
 * last use, and the caller purges those idle for long, so that the cache
 * follows a working set that moves.
 *
 * Owned by one queue thread: no locking.
 */
struct pgrant {
    grant_ref_t ref;
    void *page;
    uint64_t stamp;                 /* when it was last used */
    uint32_t users;                 /* requests in flight using the page */
    struct pgrant *hnext;           /* hash chain */
    struct pgrant *lru_prev, *lru_next;  /* on the LRU list while users == 0 */
};

struct pgrant_cache {
    unsigned int max;               /* entries at most */
    unsigned int count;             /* entries held */
    unsigned int hmask;
    struct pgrant **buckets;
    struct pgrant *entries;         /* max preallocated entries */
    struct pgrant *free;
    struct pgrant lru;              /* sentinel: lru.lru_next is the oldest */
};

/* max 0 is a valid cache that never holds anything. Returns 0 or -ENOMEM. */
int pgrant_cache_init(struct pgrant_cache *c, unsigned int max);
/* Frees the cache; every page still held must have been unmapped by the caller first. */
void pgrant_cache_fini(struct pgrant_cache *c);

/* The entry for ref with one more user (used at now), or NULL. */
struct pgrant *pgrant_get(struct pgrant_cache *c, grant_ref_t ref, uint64_t now);
/* Whether an insert can succeed. */
bool pgrant_has_room(const struct pgrant_cache *c);
/* Add ref -> page with one user; the cache must have room. */
struct pgrant *pgrant_insert(struct pgrant_cache *c, grant_ref_t ref, void *page, uint64_t now);
/* Drop one user of e. */
void pgrant_put(struct pgrant_cache *c, struct pgrant *e);
/*
 * Remove at most max idle entries last used before `before`, oldest first,
 * calling unmap(page, arg) for each. Returns how many went.
 */
unsigned int pgrant_purge(struct pgrant_cache *c, uint64_t before, unsigned int max,
                          void (*unmap)(void *page, void *arg), void *arg);
/* Remove every idle entry, calling unmap(page, arg) for each. */
void pgrant_flush(struct pgrant_cache *c, void (*unmap)(void *page, void *arg), void *arg);

#endif /* BLKBACK_PGRANT_H */
