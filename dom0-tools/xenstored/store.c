/* store.c: xenstore nodes and the live database: a hash table of nodes keyed by path. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

static struct {
    struct node **buckets;
    size_t nbuckets;            /* a power of two */
    size_t count;
    uint64_t gen;
    uint32_t *owned;            /* [XS_DOMID_LIMIT] */
} db;

uint32_t path_hash(const char *path, size_t len)
{
    uint32_t h = 2166136261u;

    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)path[i];
        h *= 16777619u;
    }
    return h;
}

struct node *node_alloc(const char *path, size_t len)
{
    struct node *n = calloc(1, sizeof(*n) + len + 1);

    if (!n)
        return NULL;
    memcpy(n->path, path, len);
    n->path[len] = '\0';
    n->path_len = (uint32_t)len;
    n->hash = path_hash(path, len);
    n->gen = NO_GEN;
    return n;
}

void node_free(struct node *n)
{
    if (!n)
        return;
    free(n->perms);
    free(n->value);
    free(n->children);
    free(n);
}

struct node *node_clone(const struct node *src)
{
    struct node *n = node_alloc(src->path, src->path_len);

    if (!n)
        return NULL;
    n->gen = src->gen;
    if (node_set_perms(n, src->perms, src->nperms) < 0 ||
        node_set_value(n, src->value, src->value_len) < 0)
        goto fail;
    if (src->children_len) {
        n->children = malloc(src->children_len);
        if (!n->children)
            goto fail;
        memcpy(n->children, src->children, src->children_len);
        n->children_len = n->children_cap = src->children_len;
    }
    return n;
fail:
    node_free(n);
    return NULL;
}

int node_set_value(struct node *n, const void *value, size_t len)
{
    char *v = NULL;

    if (len) {
        v = malloc(len);
        if (!v)
            return -ENOMEM;
        memcpy(v, value, len);
    }
    free(n->value);
    n->value = v;
    n->value_len = (uint32_t)len;
    return 0;
}

int node_set_perms(struct node *n, const struct xs_permissions *perms, unsigned int num)
{
    struct xs_permissions *p = malloc(num * sizeof(*p));

    if (!p)
        return -ENOMEM;
    memcpy(p, perms, num * sizeof(*p));
    free(n->perms);
    n->perms = p;
    n->nperms = num;
    return 0;
}

int node_add_child(struct node *n, const char *name, size_t len)
{
    size_t need = n->children_len + len + 1;

    if (need > n->children_cap) {
        size_t cap = n->children_cap ? n->children_cap * 2 : 64;
        char *c;

        while (cap < need)
            cap *= 2;
        c = realloc(n->children, cap);
        if (!c)
            return -ENOMEM;
        n->children = c;
        n->children_cap = (uint32_t)cap;
    }
    memcpy(n->children + n->children_len, name, len);
    n->children[n->children_len + len] = '\0';
    n->children_len = (uint32_t)need;
    return 0;
}

void node_remove_child(struct node *n, const char *name, size_t len)
{
    size_t off = 0;

    while (off < n->children_len) {
        size_t clen = strlen(n->children + off);

        if (clen == len && memcmp(n->children + off, name, len) == 0) {
            memmove(n->children + off, n->children + off + clen + 1,
                    n->children_len - off - clen - 1);
            n->children_len -= (uint32_t)(clen + 1);
            return;
        }
        off += clen + 1;
    }
}

size_t node_size(const struct node *n)
{
    return (size_t)n->nperms * 8 + n->value_len + n->children_len;
}

int store_init(void)
{
    db.nbuckets = 1024;
    db.buckets = calloc(db.nbuckets, sizeof(*db.buckets));
    db.owned = calloc(XS_DOMID_LIMIT, sizeof(*db.owned));
    db.count = 0;
    db.gen = 0;
    if (!db.buckets || !db.owned) {
        store_fini();
        return -ENOMEM;
    }
    return 0;
}

void store_fini(void)
{
    if (db.buckets) {
        for (size_t i = 0; i < db.nbuckets; i++) {
            while (db.buckets[i]) {
                struct node *n = db.buckets[i];

                db.buckets[i] = n->hnext;
                node_free(n);
            }
        }
    }
    free(db.buckets);
    free(db.owned);
    memset(&db, 0, sizeof(db));
}

static struct node **bucket_of(uint32_t hash)
{
    return &db.buckets[hash & (db.nbuckets - 1)];
}

struct node *store_find(const char *path, size_t len)
{
    uint32_t h = path_hash(path, len);

    for (struct node *n = *bucket_of(h); n; n = n->hnext)
        if (n->hash == h && n->path_len == len && memcmp(n->path, path, len) == 0)
            return n;
    return NULL;
}

/* Doubling the table is best effort: a failed allocation only costs speed. */
static void maybe_grow(void)
{
    size_t nb = db.nbuckets * 2;
    struct node **b;

    if (db.count < db.nbuckets * 2)
        return;
    b = calloc(nb, sizeof(*b));
    if (!b)
        return;
    for (size_t i = 0; i < db.nbuckets; i++) {
        while (db.buckets[i]) {
            struct node *n = db.buckets[i];

            db.buckets[i] = n->hnext;
            n->hnext = b[n->hash & (nb - 1)];
            b[n->hash & (nb - 1)] = n;
        }
    }
    free(db.buckets);
    db.buckets = b;
    db.nbuckets = nb;
}

void store_put(struct node *n)
{
    struct node *old = store_take(n->path, n->path_len);

    node_free(old);
    n->gen = store_next_gen();
    n->hnext = *bucket_of(n->hash);
    *bucket_of(n->hash) = n;
    db.count++;
    maybe_grow();
}

struct node *store_take(const char *path, size_t len)
{
    uint32_t h = path_hash(path, len);

    for (struct node **pp = bucket_of(h); *pp; pp = &(*pp)->hnext) {
        struct node *n = *pp;

        if (n->hash == h && n->path_len == len && memcmp(n->path, path, len) == 0) {
            *pp = n->hnext;
            n->hnext = NULL;
            db.count--;
            return n;
        }
    }
    return NULL;
}

uint64_t store_next_gen(void)
{
    return ++db.gen;
}

size_t store_count(void)
{
    return db.count;
}

uint32_t store_owned(unsigned int domid)
{
    return domid < XS_DOMID_LIMIT ? db.owned[domid] : 0;
}

void store_account(unsigned int domid, int delta)
{
    if (domid >= XS_DOMID_LIMIT)
        return;
    if (delta < 0 && db.owned[domid] < (uint32_t)-delta)
        db.owned[domid] = 0;
    else
        db.owned[domid] += (uint32_t)delta;
}

size_t parent_len(const char *path, size_t len)
{
    size_t i = len;

    while (i > 1 && path[i - 1] != '/')
        i--;
    /* i is now just past the last '/'; the parent ends before it, the root is "/". */
    return i > 1 ? i - 1 : 1;
}

bool path_is_child(const char *child, size_t clen, const char *parent, size_t plen)
{
    if (plen == 1 && parent[0] == '/')
        return child[0] == '/';
    if (clen < plen || memcmp(child, parent, plen) != 0)
        return false;
    return clen == plen || child[plen] == '/';
}
