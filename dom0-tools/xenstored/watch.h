/* watch.h: watches, and matching changed paths to them. */
/* SPDX-License-Identifier: MIT */
#ifndef XSD_WATCH_H
#define XSD_WATCH_H

#include <stddef.h>

#include <xenstore_lib.h>

struct conn;
struct txn;

/*
 * Which watches a change of path fires: MATCH_SUBTREE fires watches on the
 * path and on its ancestors, MATCH_EXACT only watches on the path itself
 * (used for the nodes below the top of a removed subtree: the watchers
 * above get the top's event).
 */
enum watch_match { MATCH_EXACT, MATCH_SUBTREE };

int watch_init(void);
void watch_fini(void);

/*
 * Add a watch on the absolute path; rel_len > 0 marks a relative watch whose
 * events drop that many leading bytes ("/local/domain/<id>/"). Fails with
 * -EEXIST (same path and token already), -E2BIG (watches quota), -ENOMEM.
 * The caller sends the reply and then the initial event.
 */
int watch_add(struct conn *c, const char *path, size_t len, size_t rel_len, const char *token);
/* Send the event a new watch fires at once. */
void watch_fire_initial(struct conn *c, const char *path, size_t len, const char *token);
int watch_remove(struct conn *c, const char *path, size_t len, const char *token);
void watch_remove_all(struct conn *c);
unsigned int watch_count(void);

/*
 * A change at path: queued in t until commit, or sent now. perms is the
 * node's permission list at the time of the change (for a removed node,
 * the last one it had); a watcher gets the event when these, the node's
 * current permissions or its parent's let it read.
 */
void watch_fire(struct txn *t, const char *path, size_t len, int match,
                const struct xs_permissions *perms, unsigned int nperms);
/* "@introduceDomain" or "@releaseDomain". */
void watch_fire_special(const char *name);

#endif /* XSD_WATCH_H */
