/* watch.c: watches, and matching changed paths to them. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "quota.h"
#include "store.h"
#include "txn.h"
#include "watch.h"

/*
 * Watches are indexed by their path, so a change at /a/b/c looks up the
 * four paths "/", "/a", "/a/b" and "/a/b/c" instead of scanning every
 * watch of every connection.
 */
struct watch {
    struct watch *hnext;
    struct watch *cnext;
    struct conn *conn;
    uint32_t hash;
    size_t path_len;
    size_t rel_len;
    char *token;
    char path[];
};

static struct {
    struct watch **buckets;
    size_t nbuckets;
    unsigned int count;
} wi;

int watch_init(void)
{
    wi.nbuckets = 256;
    wi.count = 0;
    wi.buckets = calloc(wi.nbuckets, sizeof(*wi.buckets));
    return wi.buckets ? 0 : -ENOMEM;
}

void watch_fini(void)
{
    free(wi.buckets);
    memset(&wi, 0, sizeof(wi));
}

unsigned int watch_count(void)
{
    return wi.count;
}

static struct watch **bucket_of(uint32_t hash)
{
    return &wi.buckets[hash & (wi.nbuckets - 1)];
}

static void maybe_grow(void)
{
    size_t nb = wi.nbuckets * 2;
    struct watch **b, ***tails;

    if (wi.count < wi.nbuckets * 2)
        return;
    b = calloc(nb, sizeof(*b));
    tails = malloc(nb * sizeof(*tails));
    if (!b || !tails) {
        free(b);
        free(tails);
        return;
    }
    for (size_t i = 0; i < nb; i++)
        tails[i] = &b[i];
    /* Keep each chain's order (see watch_add()). */
    for (size_t i = 0; i < wi.nbuckets; i++) {
        while (wi.buckets[i]) {
            struct watch *w = wi.buckets[i];
            size_t j = w->hash & (nb - 1);

            wi.buckets[i] = w->hnext;
            w->hnext = NULL;
            *tails[j] = w;
            tails[j] = &w->hnext;
        }
    }
    free(tails);
    free(wi.buckets);
    wi.buckets = b;
    wi.nbuckets = nb;
}

static bool same_watch(const struct watch *w, const struct conn *c, const char *path, size_t len,
                       uint32_t h, const char *token)
{
    return w->conn == c && w->hash == h && w->path_len == len &&
           memcmp(w->path, path, len) == 0 && strcmp(w->token, token) == 0;
}

int watch_add(struct conn *c, const char *path, size_t len, size_t rel_len, const char *token)
{
    uint32_t h = path_hash(path, len);
    size_t tlen = strlen(token);
    struct watch *w, **pp;

    for (w = *bucket_of(h); w; w = w->hnext)
        if (same_watch(w, c, path, len, h, token))
            return -EEXIST;
    if (!c->privileged && c->nwatches >= quota[Q_WATCHES])
        return -E2BIG;
    w = calloc(1, sizeof(*w) + len + 1 + tlen + 1);
    if (!w)
        return -ENOMEM;
    memcpy(w->path, path, len);
    w->path_len = len;
    w->rel_len = rel_len;
    w->token = w->path + len + 1;
    memcpy(w->token, token, tlen + 1);
    w->hash = h;
    w->conn = c;
    /* Appended, so that one change fires a connection's watches in the order they were set. */
    for (pp = bucket_of(h); *pp; pp = &(*pp)->hnext) {
    }
    *pp = w;
    w->cnext = c->watches;
    c->watches = w;
    c->nwatches++;
    wi.count++;
    maybe_grow();
    return 0;
}

static void unlink_from_index(struct watch *w)
{
    for (struct watch **pp = bucket_of(w->hash); *pp; pp = &(*pp)->hnext) {
        if (*pp == w) {
            *pp = w->hnext;
            wi.count--;
            return;
        }
    }
}

int watch_remove(struct conn *c, const char *path, size_t len, const char *token)
{
    uint32_t h = path_hash(path, len);

    for (struct watch **pp = &c->watches; *pp; pp = &(*pp)->cnext) {
        struct watch *w = *pp;

        if (same_watch(w, c, path, len, h, token)) {
            *pp = w->cnext;
            unlink_from_index(w);
            c->nwatches--;
            free(w);
            return 0;
        }
    }
    return -ENOENT;
}

void watch_remove_all(struct conn *c)
{
    while (c->watches) {
        struct watch *w = c->watches;

        c->watches = w->cnext;
        unlink_from_index(w);
        free(w);
    }
    c->nwatches = 0;
}

void watch_fire_initial(struct conn *c, const char *path, size_t len, const char *token)
{
    size_t rel_len = 0;
    uint32_t h = path_hash(path, len);

    for (struct watch *w = *bucket_of(h); w; w = w->hnext)
        if (same_watch(w, c, path, len, h, token))
            rel_len = w->rel_len;
    conn_send_event(c, path + rel_len, token);
}

/* May c learn about a change of path? See watch_fire(). */
static bool may_see(const struct conn *c, const char *path, size_t len,
                    const struct xs_permissions *perms, unsigned int nperms)
{
    const struct node *n;

    if (c->privileged)
        return true;
    if (nperms && (conn_perm(c, perms, nperms) & XS_PERM_READ))
        return true;
    n = store_find(path, len);
    if (n && (conn_perm(c, n->perms, n->nperms) & XS_PERM_READ))
        return true;
    if (len > 1) {
        n = store_find(path, parent_len(path, len));
        if (n && (conn_perm(c, n->perms, n->nperms) & XS_PERM_READ))
            return true;
    }
    return false;
}

/* Fire the watches registered on exactly the first plen bytes of path. */
static void fire_prefix(const char *path, size_t len, size_t plen,
                        const struct xs_permissions *perms, unsigned int nperms)
{
    uint32_t h = path_hash(path, plen);

    for (struct watch *w = *bucket_of(h); w; w = w->hnext) {
        if (w->hash != h || w->path_len != plen || memcmp(w->path, path, plen) != 0)
            continue;
        if (w->conn->closing || !may_see(w->conn, path, len, perms, nperms))
            continue;
        conn_send_event(w->conn, path + (w->rel_len <= len ? w->rel_len : 0), w->token);
    }
}

void watch_fire(struct txn *t, const char *path, size_t len, int match,
                const struct xs_permissions *perms, unsigned int nperms)
{
    if (t) {
        txn_queue_event(t, path, len, match, perms, nperms);
        return;
    }
    if (match == MATCH_SUBTREE) {
        fire_prefix(path, len, 1, perms, nperms);
        for (size_t i = 1; i < len; i++)
            if (path[i] == '/')
                fire_prefix(path, len, i, perms, nperms);
    }
    if (len > 1 || match == MATCH_EXACT)
        fire_prefix(path, len, len, perms, nperms);
}

/* Special events go to watchers of the name itself and, as in Xen, of "/". */
void watch_fire_special(const char *name)
{
    size_t len = strlen(name);
    const struct node *special = store_find(name, len);
    const char *keys[2] = { name, "/" };

    for (int k = 0; k < 2; k++) {
        size_t klen = strlen(keys[k]);
        uint32_t h = path_hash(keys[k], klen);

        for (struct watch *w = *bucket_of(h); w; w = w->hnext) {
            if (w->hash != h || w->path_len != klen || memcmp(w->path, keys[k], klen) != 0)
                continue;
            if (w->conn->closing)
                continue;
            if (!w->conn->privileged &&
                !(special && (conn_perm(w->conn, special->perms, special->nperms) & XS_PERM_READ)))
                continue;
            conn_send_event(w->conn, name, w->token);
        }
    }
}
