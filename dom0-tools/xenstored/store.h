/* store.h: xenstore nodes and the live database: a hash table of nodes keyed by path. */
/* SPDX-License-Identifier: MIT */
#ifndef XSD_STORE_H
#define XSD_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xenstore_lib.h>

/* Generation of a node that does not exist. */
#define NO_GEN UINT64_MAX

/* Domain ids that may appear in permissions and own nodes. */
#define XS_DOMID_LIMIT 65536u

/*
 * A node: its full path, value, permission list and the names of its
 * children, NUL-separated in creation order (that blob is the DIRECTORY
 * reply). gen changes whenever any of it changes, including the children
 * list; transactions and DIRECTORY_PART compare it.
 */
struct node {
    struct node *hnext;
    uint32_t hash;
    uint32_t path_len;
    uint64_t gen;
    struct xs_permissions *perms;
    uint32_t nperms;
    uint32_t value_len;
    uint32_t children_len;
    uint32_t children_cap;
    char *value;
    char *children;
    char path[];
};

uint32_t path_hash(const char *path, size_t len);

struct node *node_alloc(const char *path, size_t len);
struct node *node_clone(const struct node *n);
void node_free(struct node *n);
int node_set_value(struct node *n, const void *value, size_t len);
int node_set_perms(struct node *n, const struct xs_permissions *perms, unsigned int num);
int node_add_child(struct node *n, const char *name, size_t len);
void node_remove_child(struct node *n, const char *name, size_t len);
/* What the node-size quota measures. */
size_t node_size(const struct node *n);
static inline unsigned int node_owner(const struct node *n)
{
    return n->perms[0].id;
}

/* The live database. */
int store_init(void);
void store_fini(void);
struct node *store_find(const char *path, size_t len);
/* Insert n, replacing (and freeing) a node with the same path; n gets a new generation. */
void store_put(struct node *n);
/* Unlink and return the node at path (NULL if none). */
struct node *store_take(const char *path, size_t len);
uint64_t store_next_gen(void);
size_t store_count(void);
/* Nodes owned per domain (for the nodes quota), adjusted by the callers. */
uint32_t store_owned(unsigned int domid);
void store_account(unsigned int domid, int delta);

/* Path helpers. parent_len("/a/b") is 2, parent_len("/a") is 1 (the root). */
size_t parent_len(const char *path, size_t len);
bool path_is_child(const char *child, size_t clen, const char *parent, size_t plen);

#endif /* XSD_STORE_H */
