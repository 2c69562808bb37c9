/* txn.c: the database as a request sees it (live or through a transaction) and transactions. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "quota.h"
#include "txn.h"
#include "watch.h"

struct txn_entry {
    struct txn_entry *hnext;
    struct txn_entry *next;
    uint64_t base_gen;          /* live generation when first touched (NO_GEN: absent) */
    struct node *node;          /* the transaction's copy; NULL: absent or deleted */
    bool modified;
    uint32_t hash;
    size_t path_len;
    char path[];
};

struct txn_event {
    struct txn_event *next;
    int match;
    unsigned int nperms;
    struct xs_permissions *perms;
    size_t path_len;
    char path[];
};

struct txn_delta {
    unsigned int domid;
    int delta;
};

struct txn *txn_new(struct conn *c, uint32_t id)
{
    struct txn *t = calloc(1, sizeof(*t));

    if (!t)
        return NULL;
    t->nbuckets = 64;
    t->buckets = calloc(t->nbuckets, sizeof(*t->buckets));
    if (!t->buckets) {
        free(t);
        return NULL;
    }
    t->conn = c;
    t->id = id;
    t->last = &t->first;
    t->events_tail = &t->events;
    return t;
}

void txn_free(struct txn *t)
{
    if (!t)
        return;
    while (t->first) {
        struct txn_entry *e = t->first;

        t->first = e->next;
        node_free(e->node);
        free(e);
    }
    while (t->events) {
        struct txn_event *ev = t->events;

        t->events = ev->next;
        free(ev->perms);
        free(ev);
    }
    free(t->deltas);
    free(t->buckets);
    free(t);
}

bool txn_has_room(const struct txn *t, size_t n)
{
    if (!t || t->conn->privileged)
        return true;
    return t->nentries + n <= quota[Q_TXN_NODES];
}

static struct txn_entry *find_entry(struct txn *t, const char *path, size_t len, uint32_t h)
{
    for (struct txn_entry *e = t->buckets[h & (t->nbuckets - 1)]; e; e = e->hnext)
        if (e->hash == h && e->path_len == len && memcmp(e->path, path, len) == 0)
            return e;
    return NULL;
}

static void grow_entries(struct txn *t)
{
    size_t nb = t->nbuckets * 2;
    struct txn_entry **b = calloc(nb, sizeof(*b));

    if (!b)
        return;
    for (struct txn_entry *e = t->first; e; e = e->next) {
        e->hnext = b[e->hash & (nb - 1)];
        b[e->hash & (nb - 1)] = e;
    }
    free(t->buckets);
    t->buckets = b;
    t->nbuckets = nb;
}

/* The transaction's entry for path, made on first touch: -ENOSPC or -ENOMEM. */
static struct txn_entry *touch(struct txn *t, const char *path, size_t len, int *err)
{
    uint32_t h = path_hash(path, len);
    struct txn_entry *e = find_entry(t, path, len, h);
    struct node *live;

    if (e)
        return e;
    if (!txn_has_room(t, 1)) {
        *err = -ENOSPC;
        return NULL;
    }
    e = calloc(1, sizeof(*e) + len + 1);
    if (!e)
        goto nomem;
    memcpy(e->path, path, len);
    e->path_len = len;
    e->hash = h;
    live = store_find(path, len);
    e->base_gen = live ? live->gen : NO_GEN;
    if (live && !(e->node = node_clone(live))) {
        free(e);
        goto nomem;
    }
    e->hnext = t->buckets[h & (t->nbuckets - 1)];
    t->buckets[h & (t->nbuckets - 1)] = e;
    *t->last = e;
    t->last = &e->next;
    if (++t->nentries > t->nbuckets * 2)
        grow_entries(t);
    return e;
nomem:
    t->error = -ENOMEM;
    *err = -ENOMEM;
    return NULL;
}

struct node *db_get(struct txn *t, const char *path, size_t len, int *err)
{
    struct txn_entry *e;
    struct node *n;

    if (!t) {
        n = store_find(path, len);
        if (!n)
            *err = -ENOENT;
        return n;
    }
    e = touch(t, path, len, err);
    if (!e)
        return NULL;
    if (!e->node)
        *err = -ENOENT;
    return e->node;
}

void db_modified(struct txn *t, struct node *n)
{
    int err;
    struct txn_entry *e;

    n->gen = store_next_gen();
    if (!t)
        return;
    /* n came from db_get() on t, so its entry exists. */
    e = touch(t, n->path, n->path_len, &err);
    if (e)
        e->modified = true;
    else
        t->error = err;
}

void db_create(struct txn *t, struct node *n)
{
    struct txn_entry *e;
    int err;

    if (!t) {
        store_put(n);
        return;
    }
    e = touch(t, n->path, n->path_len, &err);
    if (!e) {
        t->error = err;
        node_free(n);
        return;
    }
    node_free(e->node);
    n->gen = store_next_gen();
    e->node = n;
    e->modified = true;
}

void db_delete(struct txn *t, const char *path, size_t len)
{
    struct txn_entry *e;
    int err;

    if (!t) {
        node_free(store_take(path, len));
        return;
    }
    e = touch(t, path, len, &err);
    if (!e) {
        t->error = err;
        return;
    }
    node_free(e->node);
    e->node = NULL;
    e->modified = true;
}

static int delta_of(const struct txn *t, unsigned int domid)
{
    for (size_t i = 0; i < t->ndeltas; i++)
        if (t->deltas[i].domid == domid)
            return t->deltas[i].delta;
    return 0;
}

void db_account(struct txn *t, unsigned int domid, int delta)
{
    if (!t) {
        store_account(domid, delta);
        return;
    }
    for (size_t i = 0; i < t->ndeltas; i++) {
        if (t->deltas[i].domid == domid) {
            t->deltas[i].delta += delta;
            return;
        }
    }
    if (t->ndeltas == t->deltas_cap) {
        size_t cap = t->deltas_cap ? t->deltas_cap * 2 : 4;
        struct txn_delta *d = realloc(t->deltas, cap * sizeof(*d));

        if (!d) {
            t->error = -ENOMEM;
            return;
        }
        t->deltas = d;
        t->deltas_cap = cap;
    }
    t->deltas[t->ndeltas++] = (struct txn_delta){ domid, delta };
}

uint32_t db_owned(struct txn *t, unsigned int domid)
{
    long v = (long)store_owned(domid) + (t ? delta_of(t, domid) : 0);

    return v > 0 ? (uint32_t)v : 0;
}

void txn_queue_event(struct txn *t, const char *path, size_t len, int match,
                     const struct xs_permissions *perms, unsigned int nperms)
{
    struct txn_event *ev = calloc(1, sizeof(*ev) + len + 1);

    if (!ev || (nperms && !(ev->perms = malloc(nperms * sizeof(*perms))))) {
        free(ev);
        t->error = -ENOMEM;
        return;
    }
    memcpy(ev->path, path, len);
    ev->path_len = len;
    ev->match = match;
    ev->nperms = nperms;
    if (nperms)
        memcpy(ev->perms, perms, nperms * sizeof(*perms));
    *t->events_tail = ev;
    t->events_tail = &ev->next;
}

int txn_commit(struct txn *t)
{
    if (t->error)
        return t->error;
    for (struct txn_entry *e = t->first; e; e = e->next) {
        struct node *live = store_find(e->path, e->path_len);

        if ((live ? live->gen : NO_GEN) != e->base_gen)
            return -EAGAIN;
    }
    if (!t->conn->privileged) {
        for (size_t i = 0; i < t->ndeltas; i++)
            if (t->deltas[i].delta > 0 &&
                (long)store_owned(t->deltas[i].domid) + t->deltas[i].delta > (long)quota[Q_NODES])
                return -ENOSPC;
    }
    for (struct txn_entry *e = t->first; e; e = e->next) {
        if (!e->modified)
            continue;
        if (e->node) {
            store_put(e->node);
            e->node = NULL;
        } else {
            node_free(store_take(e->path, e->path_len));
        }
    }
    for (size_t i = 0; i < t->ndeltas; i++)
        store_account(t->deltas[i].domid, t->deltas[i].delta);
    for (struct txn_event *ev = t->events; ev; ev = ev->next)
        watch_fire(NULL, ev->path, ev->path_len, ev->match, ev->perms, ev->nperms);
    return 0;
}
