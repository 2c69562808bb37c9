/* txn.h: the database as a request sees it (live or through a transaction) and transactions. */
/* SPDX-License-Identifier: MIT */
#ifndef XSD_TXN_H
#define XSD_TXN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

struct conn;
struct txn_entry;
struct txn_event;
struct txn_delta;

/*
 * A transaction is optimistic. The first time it touches a path (to read,
 * write, create or delete), it copies the live node (or notes its absence)
 * together with the node's generation; from then on it reads and changes
 * only its copy, so it sees a stable snapshot of everything it has looked
 * at and nobody sees its changes. Commit checks that every touched path
 * still has the generation it had when first touched (so a concurrent
 * change to anything the transaction read or wrote gives EAGAIN), then
 * moves the changed copies into the live database in one step and fires
 * the watch events the transaction's requests recorded.
 */
struct txn {
    struct txn *next;               /* the connection's open transactions */
    struct conn *conn;
    uint32_t id;
    int error;                      /* sticky failure reported at commit */
    struct txn_entry **buckets;
    size_t nbuckets;
    size_t nentries;
    struct txn_entry *first;
    struct txn_entry **last;
    struct txn_event *events;
    struct txn_event **events_tail;
    struct txn_delta *deltas;       /* change of nodes owned per domain */
    size_t ndeltas;
    size_t deltas_cap;
};

struct txn *txn_new(struct conn *c, uint32_t id);
void txn_free(struct txn *t);
/* 0, -EAGAIN (conflict), -ENOSPC (nodes quota), -ENOMEM. */
int txn_commit(struct txn *t);
/* Record a watch event for commit time. */
void txn_queue_event(struct txn *t, const char *path, size_t len, int match,
                     const struct xs_permissions *perms, unsigned int nperms);
/* Whether n more paths may be touched (transaction-nodes quota). */
bool txn_has_room(const struct txn *t, size_t n);

/*
 * Database access for one request; t == NULL is the live database. A node
 * returned by db_get() may be changed in place, followed by db_modified().
 * db_get() fails with -ENOENT, -ENOSPC (transaction-nodes quota) or -ENOMEM.
 */
struct node *db_get(struct txn *t, const char *path, size_t len, int *err);
void db_modified(struct txn *t, struct node *n);
/* Add a node that does not exist yet; takes ownership of n. */
void db_create(struct txn *t, struct node *n);
void db_delete(struct txn *t, const char *path, size_t len);
void db_account(struct txn *t, unsigned int domid, int delta);
uint32_t db_owned(struct txn *t, unsigned int domid);

#endif /* XSD_TXN_H */
