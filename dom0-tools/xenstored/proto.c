/* proto.c: the xenstore requests: parsing, permission checks and the operations. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "domain.h"
#include "log.h"
#include "proto.h"
#include "quota.h"
#include "store.h"
#include "txn.h"
#include "watch.h"

/*
 * Semantics follow Xen's docs/misc/xenstore.txt and its C xenstored:
 * relative paths live under /local/domain/<caller>; a missing node and an
 * unreadable one look alike (EACCES) unless the caller may read the nearest
 * existing ancestor; WRITE and MKDIR create missing parents, which inherit
 * the permissions of the nearest existing ancestor with the creating domain
 * as owner (dom0 keeps the inherited owner); watch events of a request are
 * queued before its reply.
 */

#define F_PRIV 1u                   /* dom0 (or the privileged socket) only */
#define F_NOTID 2u                  /* tx_id is ignored */

/* Room for any canonical path: a relative path gets "/local/domain/NNNNN/" in front. */
#define PATH_BUF (XENSTORE_ABS_PATH_MAX + 32)

unsigned int req_nargs(const struct req *r)
{
    return xs_count_strings(r->p, r->len);
}

const char *req_arg(const struct req *r, unsigned int i)
{
    uint32_t off = 0;

    for (;;) {
        const char *nul = memchr(r->p + off, '\0', r->len - off);

        if (!nul)
            return NULL;
        if (i-- == 0)
            return r->p + off;
        off = (uint32_t)(nul - r->p) + 1;
        if (off >= r->len)
            return NULL;
    }
}

/* The payload as exactly one string, or NULL. */
static const char *onearg(const struct req *r)
{
    if (r->len == 0 || strlen(r->p) != r->len - 1)
        return NULL;
    return r->p;
}

int parse_uint(const char *s, unsigned long long max, unsigned long long *out)
{
    unsigned long long v = 0;

    if (!s || !*s)
        return -EINVAL;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -EINVAL;
        if (v > (max - (unsigned long long)(*s - '0')) / 10)
            return -EINVAL;
        v = v * 10 + (unsigned long long)(*s - '0');
    }
    *out = v;
    return 0;
}

static int parse_domid(const char *s, unsigned int *domid)
{
    unsigned long long v;
    int rc = parse_uint(s, 65535, &v);

    if (rc == 0)
        *domid = (unsigned int)v;
    return rc;
}

static bool valid_path_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '-' || ch == '/' || ch == '_' || ch == '@';
}

/* Length of a leading "/local/domain/<digits>/" in path, or 0. */
static size_t home_prefix_len(const char *path)
{
    static const char pfx[] = "/local/domain/";
    size_t i = sizeof(pfx) - 1;

    if (strncmp(path, pfx, i) != 0 || path[i] < '0' || path[i] > '9')
        return 0;
    while (path[i] >= '0' && path[i] <= '9')
        i++;
    return path[i] == '/' ? i + 1 : 0;
}

/*
 * Check a path from a request and make it absolute in out (PATH_BUF
 * bytes). "@..." names are accepted only with allow_special. -EINVAL for
 * bad characters, "//", a trailing '/', an empty path or limits exceeded.
 */
static int canonicalize(const struct conn *c, const char *in, char *out, size_t *outlen,
                        bool allow_special)
{
    size_t len = strlen(in), off = 0, total;

    if (len == 0)
        return -EINVAL;
    for (size_t i = 0; i < len; i++)
        if (!valid_path_char(in[i]))
            return -EINVAL;
    if (in[0] == '@') {
        if (!allow_special || len > XENSTORE_REL_PATH_MAX)
            return -EINVAL;
        memcpy(out, in, len + 1);
        *outlen = len;
        return 0;
    }
    if (in[0] != '/')
        off = (size_t)snprintf(out, PATH_BUF, "/local/domain/%u/", c->domid);
    total = off + len;
    if (total > XENSTORE_ABS_PATH_MAX)
        return -EINVAL;
    memcpy(out + off, in, len + 1);
    if ((total > 1 && out[total - 1] == '/') || strstr(out, "//"))
        return -EINVAL;
    if (!c->privileged) {
        size_t depth = 0;

        if (total - home_prefix_len(out) > quota[Q_PATH_LENGTH])
            return -EINVAL;
        for (size_t i = 0; i < total; i++)
            depth += out[i] == '/';
        if (depth > quota[Q_DEPTH])
            return -EINVAL;
    }
    *outlen = total;
    return 0;
}

/*
 * Failing on a node must not tell an intruder whether it exists: the
 * error stands only if the caller has the wanted access to the nearest
 * existing ancestor, else it becomes EACCES.
 */
static int errno_from_parents(struct req *r, const char *path, size_t len, int err,
                              unsigned int want)
{
    size_t plen = len;

    while (plen > 1) {
        struct node *n;
        int e;

        plen = parent_len(path, plen);
        n = db_get(r->t, path, plen, &e);
        if (n)
            return (conn_perm(r->c, n->perms, n->nperms) & want) ? err : -EACCES;
        if (e != -ENOENT)
            return e;
    }
    return err;
}

static struct node *get_node(struct req *r, const char *path, size_t len, unsigned int want,
                             int *err)
{
    struct node *n = db_get(r->t, path, len, err);

    if (n && (conn_perm(r->c, n->perms, n->nperms) & want) != want) {
        *err = -EACCES;
        n = NULL;
    }
    if (!n && (*err == -ENOENT || *err == -EACCES))
        *err = errno_from_parents(r, path, len, *err, want);
    return n;
}

static bool over_node_size(const struct conn *c, size_t size)
{
    return !c->privileged && size > quota[Q_NODE_SIZE];
}

/* Parse the payload's path argument and make it absolute. */
static int path_arg(struct req *r, const char *arg, char *out, size_t *len, bool special)
{
    if (!arg)
        return -EINVAL;
    return canonicalize(r->c, arg, out, len, special);
}

/*
 * Create path (absent) and its missing parents; the new leaf gets value.
 * Everything is checked and allocated before anything changes, so a
 * failure leaves the database as it was.
 */
static int create_node(struct req *r, const char *path, size_t len, const void *value,
                       size_t vlen, struct node **leaf)
{
    struct node *top = NULL, **fresh = NULL;
    size_t top_len = len, k = 0, i, pos;
    struct xs_permissions *perms;
    unsigned int owner;
    int err = 0;

    while (!top && top_len > 1) {
        top_len = parent_len(path, top_len);
        top = db_get(r->t, path, top_len, &err);
        if (!top && err != -ENOENT)
            return err;
    }
    if (!top)
        return -EIO;
    err = 0;
    for (i = top_len == 1 ? 0 : top_len; i < len; i++)
        k += path[i] == '/';
    if (k == 0)
        return -EIO;

    owner = r->c->privileged ? node_owner(top) : r->c->domid;
    if (!r->c->privileged && db_owned(r->t, owner) + k > quota[Q_NODES])
        return -ENOSPC;
    if (over_node_size(r->c, top->nperms * 8 + vlen))
        return -ENOSPC;

    perms = malloc(top->nperms * sizeof(*perms));
    fresh = calloc(k, sizeof(*fresh));
    if (!perms || !fresh) {
        err = -ENOMEM;
        goto out;
    }
    memcpy(perms, top->perms, top->nperms * sizeof(*perms));
    perms[0].id = owner;

    /* fresh[j] is the node ending at the (j+1)-th '/' after the top, or at the end. */
    pos = top_len == 1 ? 0 : top_len;
    for (i = 0; i < k; i++) {
        size_t end = pos + 1;

        while (end < len && path[end] != '/')
            end++;
        /* The parent gains a child name of end - pos - 1 bytes and its NUL. */
        if (over_node_size(r->c, (i == 0 ? node_size(top) : top->nperms * 8) + end - pos)) {
            err = -ENOSPC;
            goto out;
        }
        fresh[i] = node_alloc(path, end);
        if (!fresh[i] || node_set_perms(fresh[i], perms, top->nperms) < 0) {
            err = -ENOMEM;
            goto out;
        }
        if (i > 0 && node_add_child(fresh[i - 1], path + pos + 1, end - pos - 1) < 0) {
            err = -ENOMEM;
            goto out;
        }
        pos = end;
    }
    if (node_set_value(fresh[k - 1], value, vlen) < 0) {
        err = -ENOMEM;
        goto out;
    }
    pos = top_len == 1 ? 1 : top_len + 1;
    if (node_add_child(top, path + pos, fresh[0]->path_len - pos) < 0) {
        err = -ENOMEM;
        goto out;
    }
    db_modified(r->t, top);
    for (i = 0; i < k; i++)
        db_create(r->t, fresh[i]);
    db_account(r->t, owner, (int)k);
    *leaf = fresh[k - 1];
    k = 0;                          /* the nodes belong to the database now */
out:
    for (i = 0; fresh && i < k; i++)
        node_free(fresh[i]);
    free(fresh);
    free(perms);
    return err;
}

static void fire(struct req *r, const char *path, size_t len, int match, const struct node *n)
{
    watch_fire(r->t, path, len, match, n ? n->perms : NULL, n ? n->nperms : 0);
}

static int do_read(struct req *r)
{
    char path[PATH_BUF];
    size_t len;
    struct node *n;
    int err;

    if ((err = path_arg(r, onearg(r), path, &len, false)) < 0)
        return err;
    if (!(n = get_node(r, path, len, XS_PERM_READ, &err)))
        return err;
    return conn_reply(r->c, r->hdr, XS_READ, n->value, n->value_len);
}

static int do_write(struct req *r)
{
    char path[PATH_BUF];
    size_t len, alen = strlen(r->p);
    const char *value = r->p + alen + 1;
    size_t vlen;
    struct node *n;
    int err;

    if (alen >= r->len)
        return -EINVAL;
    vlen = r->len - alen - 1;
    if ((err = canonicalize(r->c, r->p, path, &len, false)) < 0)
        return err;
    n = get_node(r, path, len, XS_PERM_WRITE, &err);
    if (n) {
        if (over_node_size(r->c, n->nperms * 8 + vlen + n->children_len))
            return -ENOSPC;
        if (node_set_value(n, value, vlen) < 0)
            return -ENOMEM;
        db_modified(r->t, n);
    } else if (err == -ENOENT) {
        if ((err = create_node(r, path, len, value, vlen, &n)) < 0)
            return err;
    } else {
        return err;
    }
    fire(r, path, len, MATCH_SUBTREE, n);
    conn_reply_ok(r->c, r->hdr);
    return 0;
}

static int do_mkdir(struct req *r)
{
    char path[PATH_BUF];
    size_t len;
    struct node *n;
    int err;

    if ((err = path_arg(r, onearg(r), path, &len, false)) < 0)
        return err;
    n = get_node(r, path, len, XS_PERM_WRITE, &err);
    if (!n) {
        if (err != -ENOENT)
            return err;
        if ((err = create_node(r, path, len, NULL, 0, &n)) < 0)
            return err;
        fire(r, path, len, MATCH_SUBTREE, n);
    }
    conn_reply_ok(r->c, r->hdr);
    return 0;
}

/* Paths of the subtree at path, every node before its descendants. */
struct path_list {
    char **v;
    size_t n, cap;
};

static int path_list_add(struct path_list *l, const char *a, size_t alen, const char *b,
                         size_t blen)
{
    char *s;

    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        char **v = realloc(l->v, cap * sizeof(*v));

        if (!v)
            return -ENOMEM;
        l->v = v;
        l->cap = cap;
    }
    s = malloc(alen + blen + 2);
    if (!s)
        return -ENOMEM;
    memcpy(s, a, alen);
    if (b) {
        s[alen] = '/';
        memcpy(s + alen + 1, b, blen);
        s[alen + 1 + blen] = '\0';
    } else {
        s[alen] = '\0';
    }
    l->v[l->n++] = s;
    return 0;
}

static void path_list_free(struct path_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
}

static int collect_subtree(struct req *r, const char *path, size_t len, struct path_list *l)
{
    int err = path_list_add(l, path, len, NULL, 0);

    /* l doubles as the work list: entry i's children are appended after it. */
    for (size_t i = 0; err == 0 && i < l->n; i++) {
        struct node *n = db_get(r->t, l->v[i], strlen(l->v[i]), &err);
        size_t plen = strlen(l->v[i]);

        if (!n) {
            if (err != -ENOENT)
                return err;
            err = 0;
            continue;
        }
        for (size_t off = 0; err == 0 && off < n->children_len;) {
            size_t clen = strlen(n->children + off);

            err = path_list_add(l, l->v[i], plen, n->children + off, clen);
            off += clen + 1;
        }
    }
    return err;
}

static int do_rm(struct req *r)
{
    char path[PATH_BUF];
    struct path_list sub = { 0 };
    size_t len, plen;
    struct node *n, *parent;
    int err;

    if ((err = path_arg(r, onearg(r), path, &len, false)) < 0)
        return err;
    n = get_node(r, path, len, XS_PERM_WRITE, &err);
    plen = parent_len(path, len);
    if (!n) {
        /* Already gone is fine, as long as the parent exists. */
        if (err == -ENOENT && len > 1 && db_get(r->t, path, plen, &err)) {
            conn_reply_ok(r->c, r->hdr);
            return 0;
        }
        return err;
    }
    if (len == 1)
        return -EINVAL;
    if (!(parent = db_get(r->t, path, plen, &err)))
        return err == -ENOENT ? -EIO : err;
    if ((err = collect_subtree(r, path, len, &sub)) < 0) {
        path_list_free(&sub);
        return err;
    }
    for (size_t i = sub.n; i-- > 0;) {
        size_t slen = strlen(sub.v[i]);
        struct node *victim = db_get(r->t, sub.v[i], slen, &err);

        if (!victim)
            continue;
        fire(r, sub.v[i], slen, i == 0 ? MATCH_SUBTREE : MATCH_EXACT, victim);
        db_account(r->t, node_owner(victim), -1);
        db_delete(r->t, sub.v[i], slen);
    }
    path_list_free(&sub);
    plen = plen == 1 ? 1 : plen + 1;        /* now the offset of the removed node's name */
    node_remove_child(parent, path + plen, len - plen);
    db_modified(r->t, parent);
    conn_reply_ok(r->c, r->hdr);
    return 0;
}

static int do_directory(struct req *r)
{
    char path[PATH_BUF];
    size_t len;
    struct node *n;
    int err;

    if ((err = path_arg(r, onearg(r), path, &len, false)) < 0)
        return err;
    if (!(n = get_node(r, path, len, XS_PERM_READ, &err)))
        return err;
    return conn_reply(r->c, r->hdr, XS_DIRECTORY, n->children, n->children_len);
}

/*
 * DIRECTORY_PART <path>|<offset>| answers "<generation>|" and the names
 * that fit from byte offset <offset> of the children list; the piece that
 * reaches the end of the list carries an extra empty name.
 */
static int do_directory_part(struct req *r)
{
    char path[PATH_BUF], gen[24];
    unsigned long long off;
    size_t len, glen, take = 0;
    struct node *n;
    int err;

    if (r->len == 0 || r->p[r->len - 1] != '\0' || req_nargs(r) != 2)
        return -EINVAL;
    if ((err = path_arg(r, req_arg(r, 0), path, &len, false)) < 0)
        return err;
    if (parse_uint(req_arg(r, 1), UINT32_MAX, &off) < 0)
        return -EINVAL;
    if (!(n = get_node(r, path, len, XS_PERM_READ, &err)))
        return err;
    glen = (size_t)snprintf(gen, sizeof(gen), "%" PRIu64, n->gen) + 1;
    if (off >= n->children_len)
        return conn_reply2(r->c, r->hdr, XS_DIRECTORY_PART, gen, glen, "", 1);
    if (off > 0 && n->children[off - 1] != '\0')
        return -EINVAL;
    while (off + take < n->children_len) {
        size_t clen = strlen(n->children + off + take) + 1;

        if (glen + take + clen + 1 > XENSTORE_PAYLOAD_MAX)
            break;
        take += clen;
    }
    if (off + take == n->children_len) {
        char last[XENSTORE_PAYLOAD_MAX];

        memcpy(last, n->children + off, take);
        last[take] = '\0';
        return conn_reply2(r->c, r->hdr, XS_DIRECTORY_PART, gen, glen, last, take + 1);
    }
    return conn_reply2(r->c, r->hdr, XS_DIRECTORY_PART, gen, glen, n->children + off, take);
}

static int do_get_perms(struct req *r)
{
    char path[PATH_BUF], out[XENSTORE_PAYLOAD_MAX];
    size_t len, used = 0;
    struct node *n;
    int err;

    if ((err = path_arg(r, onearg(r), path, &len, true)) < 0)
        return err;
    if (!(n = get_node(r, path, len, XS_PERM_READ, &err)))
        return err;
    for (unsigned int i = 0; i < n->nperms; i++) {
        if (!xs_perm_to_string(&n->perms[i], out + used, sizeof(out) - used))
            return -E2BIG;
        used += strlen(out + used) + 1;
    }
    return conn_reply(r->c, r->hdr, XS_GET_PERMS, out, used);
}

static int do_set_perms(struct req *r)
{
    char path[PATH_BUF];
    struct xs_permissions perms[XENSTORE_PAYLOAD_MAX / 2];
    struct xs_permissions *old = NULL;
    unsigned int nperms = req_nargs(r), old_n;
    const char *first;
    size_t len;
    struct node *n;
    int err;

    if (nperms < 2 || nperms - 1 > sizeof(perms) / sizeof(perms[0]))
        return -EINVAL;
    nperms--;
    if (!r->c->privileged && nperms > quota[Q_PERMS])
        return -ENOSPC;
    first = r->p + strlen(r->p) + 1;
    if (!xs_strings_to_perms(perms, nperms, first))
        return -EINVAL;
    if ((err = canonicalize(r->c, r->p, path, &len, true)) < 0)
        return err;
    if (!(n = get_node(r, path, len, XS_PERM_WRITE | XS_PERM_OWNER, &err)))
        return err;
    if (!r->c->privileged && perms[0].id != node_owner(n))
        return -EPERM;
    if (over_node_size(r->c, nperms * 8 + n->value_len + n->children_len))
        return -ENOSPC;
    old_n = n->nperms;
    old = n->perms;
    n->perms = NULL;
    if (node_set_perms(n, perms, nperms) < 0) {
        n->perms = old;
        return -ENOMEM;
    }
    if (old[0].id != perms[0].id && path[0] == '/') {
        db_account(r->t, old[0].id, -1);
        db_account(r->t, perms[0].id, 1);
    }
    db_modified(r->t, n);
    if (path[0] == '/')
        watch_fire(r->t, path, len, MATCH_SUBTREE, old, old_n);
    free(old);
    conn_reply_ok(r->c, r->hdr);
    return 0;
}

/* A watch path: "@name" as is, else canonicalized; *rel_len is set for relative ones. */
static int watch_path(struct req *r, const char *arg, char *out, size_t *len, size_t *rel_len)
{
    int err;

    *rel_len = 0;
    if (arg[0] == '@') {
        *len = strlen(arg);
        if (*len > XENSTORE_REL_PATH_MAX)
            return -EINVAL;
        memcpy(out, arg, *len + 1);
        return 0;
    }
    if ((err = canonicalize(r->c, arg, out, len, false)) < 0)
        return err;
    if (arg[0] != '/')
        *rel_len = *len - strlen(arg);
    return 0;
}

static int do_watch(struct req *r)
{
    char path[PATH_BUF];
    const char *token = req_arg(r, 1);
    size_t len, rel_len;
    int err;

    if (!token)
        return -EINVAL;
    if ((err = watch_path(r, r->p, path, &len, &rel_len)) < 0)
        return err;
    if ((err = watch_add(r->c, path, len, rel_len, token)) < 0)
        return err;
    conn_reply_ok(r->c, r->hdr);
    watch_fire_initial(r->c, path, len, token);
    return 0;
}

static int do_unwatch(struct req *r)
{
    char path[PATH_BUF];
    const char *token = req_arg(r, 1);
    size_t len, rel_len;
    int err;

    if (!token)
        return -EINVAL;
    if ((err = watch_path(r, r->p, path, &len, &rel_len)) < 0)
        return err;
    if ((err = watch_remove(r->c, path, len, token)) < 0)
        return err;
    conn_reply_ok(r->c, r->hdr);
    return 0;
}

static int do_transaction_start(struct req *r)
{
    struct conn *c = r->c;
    struct txn *t;
    char id[16];

    if (r->t)
        return -EBUSY;
    if (!c->privileged && c->ntxns >= quota[Q_TRANSACTIONS])
        return -ENOSPC;
    for (;;) {
        bool used = false;

        if (c->next_txn_id == 0)
            c->next_txn_id = 1;
        for (t = c->txns; t; t = t->next)
            used |= t->id == c->next_txn_id;
        if (!used)
            break;
        c->next_txn_id++;
    }
    t = txn_new(c, c->next_txn_id++);
    if (!t)
        return -ENOMEM;
    t->next = c->txns;
    c->txns = t;
    c->ntxns++;
    return conn_reply(c, r->hdr, XS_TRANSACTION_START, id,
                      (size_t)snprintf(id, sizeof(id), "%u", t->id) + 1);
}

static int do_transaction_end(struct req *r)
{
    const char *arg = onearg(r);
    struct txn *t = r->t;
    int err = 0;

    if (!arg || (strcmp(arg, "T") != 0 && strcmp(arg, "F") != 0))
        return -EINVAL;
    if (!t)
        return -ENOENT;
    for (struct txn **pp = &r->c->txns; *pp; pp = &(*pp)->next) {
        if (*pp == t) {
            *pp = t->next;
            break;
        }
    }
    r->c->ntxns--;
    r->t = NULL;
    if (arg[0] == 'T')
        err = txn_commit(t);
    txn_free(t);
    if (err)
        return err;
    conn_reply_ok(r->c, r->hdr);
    return 0;
}

static int do_introduce(struct req *r)
{
    unsigned long long mfn, port;
    unsigned int domid = 0;
    const char *m = req_arg(r, 1), *p = req_arg(r, 2);
    int err;

    if (!p || parse_domid(r->p, &domid) < 0 || domid == 0 || domid >= DOMAIN_LIMIT)
        return -EINVAL;
    /* Xen documents the mfn as signed decimal; only its bits matter. */
    if (m[0] == '-' ? parse_uint(m + 1, INT64_MAX, &mfn) < 0 : parse_uint(m, UINT64_MAX, &mfn) < 0)
        return -EINVAL;
    if (m[0] == '-')
        mfn = (unsigned long long)-(long long)mfn;
    if (parse_uint(p, UINT32_MAX, &port) < 0)
        return -EINVAL;
    if ((err = domain_introduce(domid, mfn, (uint32_t)port)) < 0)
        return err;
    conn_reply_ok(r->c, r->hdr);
    return 0;
}

/* The request's only argument as a domain id: -EINVAL, or -EINVAL for dom0 if !allow0. */
static int domid_arg(struct req *r, unsigned int *domid, bool allow0)
{
    const char *arg = onearg(r);

    if (!arg || parse_domid(arg, domid) < 0 || (!allow0 && *domid == 0))
        return -EINVAL;
    return 0;
}

static int do_release(struct req *r)
{
    unsigned int domid = 0;
    int err;

    if ((err = domid_arg(r, &domid, false)) < 0 || (err = domain_release(domid)) < 0)
        return err;
    conn_reply_ok(r->c, r->hdr);
    return 0;
}

static int do_resume(struct req *r)
{
    unsigned int domid = 0;
    int err;

    if ((err = domid_arg(r, &domid, false)) < 0 || (err = domain_resume(domid)) < 0)
        return err;
    conn_reply_ok(r->c, r->hdr);
    return 0;
}

static int do_get_domain_path(struct req *r)
{
    unsigned int domid = 0;
    char path[32];
    int err;

    if ((err = domid_arg(r, &domid, true)) < 0)
        return err;
    return conn_reply(r->c, r->hdr, XS_GET_DOMAIN_PATH, path,
                      (size_t)snprintf(path, sizeof(path), "/local/domain/%u", domid) + 1);
}

static int do_is_domain_introduced(struct req *r)
{
    unsigned int domid = 0;
    int err;

    if ((err = domid_arg(r, &domid, true)) < 0)
        return err;
    return conn_reply(r->c, r->hdr, XS_IS_DOMAIN_INTRODUCED,
                      domid == 0 || domain_find(domid) ? "T" : "F", 2);
}

static int do_set_target(struct req *r)
{
    unsigned int domid = 0, target = 0;
    int err;

    if (req_nargs(r) < 2 || parse_domid(req_arg(r, 0), &domid) < 0 ||
        parse_domid(req_arg(r, 1), &target) < 0 || domid == 0)
        return -EINVAL;
    if ((err = domain_set_target(domid, target)) < 0)
        return err;
    conn_reply_ok(r->c, r->hdr);
    return 0;
}

static int do_reset_watches(struct req *r)
{
    conn_reset(r->c);
    r->t = NULL;
    conn_reply_ok(r->c, r->hdr);
    return 0;
}

static const struct {
    const char *name;
    int (*fn)(struct req *r);
    unsigned int flags;
} ops[XS_TYPE_COUNT] = {
    [XS_CONTROL] = { "CONTROL", control_handle, F_PRIV | F_NOTID },
    [XS_DIRECTORY] = { "DIRECTORY", do_directory, 0 },
    [XS_READ] = { "READ", do_read, 0 },
    [XS_GET_PERMS] = { "GET_PERMS", do_get_perms, 0 },
    [XS_WATCH] = { "WATCH", do_watch, F_NOTID },
    [XS_UNWATCH] = { "UNWATCH", do_unwatch, F_NOTID },
    [XS_TRANSACTION_START] = { "TRANSACTION_START", do_transaction_start, 0 },
    [XS_TRANSACTION_END] = { "TRANSACTION_END", do_transaction_end, 0 },
    [XS_INTRODUCE] = { "INTRODUCE", do_introduce, F_PRIV | F_NOTID },
    [XS_RELEASE] = { "RELEASE", do_release, F_PRIV | F_NOTID },
    [XS_GET_DOMAIN_PATH] = { "GET_DOMAIN_PATH", do_get_domain_path, F_NOTID },
    [XS_WRITE] = { "WRITE", do_write, 0 },
    [XS_MKDIR] = { "MKDIR", do_mkdir, 0 },
    [XS_RM] = { "RM", do_rm, 0 },
    [XS_SET_PERMS] = { "SET_PERMS", do_set_perms, 0 },
    [XS_WATCH_EVENT] = { "WATCH_EVENT", NULL, 0 },
    [XS_ERROR] = { "ERROR", NULL, 0 },
    [XS_IS_DOMAIN_INTRODUCED] = { "IS_DOMAIN_INTRODUCED", do_is_domain_introduced,
                                  F_PRIV | F_NOTID },
    [XS_RESUME] = { "RESUME", do_resume, F_PRIV | F_NOTID },
    [XS_SET_TARGET] = { "SET_TARGET", do_set_target, F_PRIV | F_NOTID },
    [XS_RESET_WATCHES] = { "RESET_WATCHES", do_reset_watches, 0 },
    [XS_DIRECTORY_PART] = { "DIRECTORY_PART", do_directory_part, 0 },
};

const char *proto_type_name(uint32_t type)
{
    return type < XS_TYPE_COUNT && ops[type].name ? ops[type].name : "unknown";
}

static struct txn *find_txn(struct conn *c, uint32_t id)
{
    for (struct txn *t = c->txns; t; t = t->next)
        if (t->id == id)
            return t;
    return NULL;
}

void proto_handle(struct conn *c, const struct xsd_sockmsg *hdr, const char *payload)
{
    struct req r = { .c = c, .hdr = hdr, .p = payload, .len = hdr->len };
    int err;

    if (log_trace)
        log_info("conn %u domain %u: %s req %u tx %u len %u", c->serial, c->domid,
                 proto_type_name(hdr->type), hdr->req_id, hdr->tx_id, hdr->len);
    if (hdr->type >= XS_TYPE_COUNT || !ops[hdr->type].fn) {
        conn_reply_error(c, hdr, ENOSYS);
        return;
    }
    if ((ops[hdr->type].flags & F_PRIV) && !c->privileged) {
        conn_reply_error(c, hdr, EACCES);
        return;
    }
    if (!(ops[hdr->type].flags & F_NOTID) && hdr->tx_id != 0) {
        r.t = find_txn(c, hdr->tx_id);
        if (!r.t) {
            conn_reply_error(c, hdr, ENOENT);
            return;
        }
    }
    err = ops[hdr->type].fn(&r);
    if (err < 0)
        conn_reply_error(c, hdr, -err);
}

/* As Xen's xenstored: "/", "/tool", "/tool/xenstored" and the special nodes, all "n0". */
int proto_setup_tree(void)
{
    static const char *const paths[] = { "/", "/tool", "/tool/xenstored", "@introduceDomain",
                                         "@releaseDomain" };
    const struct xs_permissions none0 = { .id = 0, .perms = XS_PERM_NONE };

    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        struct node *n = node_alloc(paths[i], strlen(paths[i]));

        if (!n || node_set_perms(n, &none0, 1) < 0) {
            node_free(n);
            return -ENOMEM;
        }
        if ((i == 0 && node_add_child(n, "tool", 4) < 0) ||
            (i == 1 && node_add_child(n, "xenstored", 9) < 0)) {
            node_free(n);
            return -ENOMEM;
        }
        store_put(n);
        if (paths[i][0] == '/')
            store_account(0, 1);
    }
    return 0;
}
