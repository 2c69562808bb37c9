/* control.c: CONTROL requests: logging, quotas, statistics, a consistency check. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
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
#include "xsd.h"

bool log_trace;

/* A text answer of up to one payload; longer text is cut. */
struct text {
    char buf[XENSTORE_PAYLOAD_MAX];
    size_t len;
};

static void text_add(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void text_add(struct text *t, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (t->len >= sizeof(t->buf) - 1)
        return;
    va_start(ap, fmt);
    n = vsnprintf(t->buf + t->len, sizeof(t->buf) - t->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        t->len += (size_t)n < sizeof(t->buf) - t->len ? (size_t)n : sizeof(t->buf) - t->len - 1;
}

static int reply_text(struct req *r, struct text *t)
{
    return conn_reply(r->c, r->hdr, XS_CONTROL, t->buf, t->len + 1);
}

static int reply_ok(struct req *r)
{
    return conn_reply(r->c, r->hdr, XS_CONTROL, "OK", 3);
}

static int ctl_log(struct req *r)
{
    const char *arg = req_arg(r, 1);

    if (!arg || (strcmp(arg, "on") != 0 && strcmp(arg, "off") != 0))
        return -EINVAL;
    log_trace = arg[1] == 'n';
    log_info("request tracing %s", log_trace ? "on" : "off");
    return reply_ok(r);
}

static int ctl_logfile(struct req *r)
{
    const char *arg = req_arg(r, 1);
    int rc;

    if (!arg || !*arg)
        return -EINVAL;
    if ((rc = log_open(arg)) < 0)
        return rc;
    log_info("log reopened by CONTROL logfile");
    return reply_ok(r);
}

static int ctl_print(struct req *r)
{
    const char *arg = req_arg(r, 1);

    if (!arg)
        return -EINVAL;
    log_info("print: %s", arg);
    return reply_ok(r);
}

/*
 * quota                 list the limits
 * quota <name> <value>  change one
 * quota <domid>         what an introduced domain uses
 */
static int ctl_quota(struct req *r)
{
    const char *a = req_arg(r, 1), *b = req_arg(r, 2);
    unsigned long long domid;
    struct text t = { .len = 0 };

    if (!a) {
        for (int i = 0; i < Q_COUNT; i++)
            text_add(&t, "%-20s %8u  %s\n", quota_name(i), quota[i], quota_help(i));
        return reply_text(r, &t);
    }
    if (b) {
        int rc = quota_set(a, b);

        if (rc < 0)
            return rc == -ENOENT ? -EINVAL : rc;
        log_info("quota %s set to %s by CONTROL", a, b);
        return reply_ok(r);
    }
    if (parse_uint(a, DOMAIN_LIMIT - 1, &domid) < 0)
        return -EINVAL;
    {
        struct domain *d = domain_find((unsigned int)domid);

        text_add(&t, "domain %llu: %u nodes", domid, store_owned((unsigned int)domid));
        if (d && d->conn)
            text_add(&t, ", %u watches, %u transactions, %u replies and %u events queued",
                     d->conn->nwatches, d->conn->ntxns, d->conn->out_replies,
                     d->conn->out_events);
        text_add(&t, "\n");
    }
    return reply_text(r, &t);
}

static int ctl_stats(struct req *r)
{
    struct text t = { .len = 0 };

    text_add(&t, "nodes %zu\nwatches %u\nconnections %u\ndomains %u\n", store_count(),
             watch_count(), conns_count(), domain_count());
    return reply_text(r, &t);
}

/*
 * Walk the tree from "/": every listed child must exist, and the nodes
 * found per owner must match the quota accounting.
 */
static int ctl_check(struct req *r)
{
    struct text t = { .len = 0 };
    uint32_t *owned = calloc(XS_DOMID_LIMIT, sizeof(*owned));
    char **stack = NULL;
    size_t n = 0, cap = 0, problems = 0, seen = 0;
    int rc = 0;

    if (!owned)
        return -ENOMEM;
    stack = malloc(sizeof(*stack));
    if (!stack || !(stack[0] = strdup("/"))) {
        rc = -ENOMEM;
        goto out;
    }
    n = cap = 1;
    while (n > 0 && rc == 0) {
        char *path = stack[--n];
        const struct node *node = store_find(path, strlen(path));

        if (!node) {
            if (problems++ < 8)
                text_add(&t, "missing node %s\n", path);
            free(path);
            continue;
        }
        seen++;
        owned[node_owner(node) % XS_DOMID_LIMIT]++;
        for (size_t off = 0; off < node->children_len && rc == 0;) {
            const char *child = node->children + off;
            size_t plen = strlen(path), clen = strlen(child);
            char *cp = malloc(plen + clen + 2);

            if (n == cap) {
                char **s = realloc(stack, cap * 2 * sizeof(*s));

                if (s) {
                    stack = s;
                    cap *= 2;
                }
            }
            if (!cp || n == cap) {
                free(cp);
                rc = -ENOMEM;
                break;
            }
            snprintf(cp, plen + clen + 2, "%s/%s", plen == 1 ? "" : path, child);
            stack[n++] = cp;
            off += clen + 1;
        }
        free(path);
    }
    for (unsigned int d = 0; d < XS_DOMID_LIMIT && rc == 0; d++) {
        if (owned[d] != store_owned(d) && problems++ < 16)
            text_add(&t, "domain %u owns %u nodes, accounted %u\n", d, owned[d],
                     store_owned(d));
    }
    /* The two special nodes live outside the tree. */
    if (rc == 0 && seen + 2 != store_count() && problems++ < 16)
        text_add(&t, "%zu nodes reachable, %zu stored\n", seen + 2, store_count());
out:
    while (n > 0)
        free(stack[--n]);
    free(stack);
    free(owned);
    if (rc < 0)
        return rc;
    if (problems == 0)
        text_add(&t, "OK");
    return reply_text(r, &t);
}

/* Test hook (--fake-domains): this socket connection becomes the domain's. */
static int ctl_attach_domain(struct req *r)
{
    unsigned long long domid;
    struct domain *d;
    int rc;

    if (!xsd_fake_domains || r->c->domain)
        return -EACCES;
    if (parse_uint(req_arg(r, 1), DOMAIN_LIMIT - 1, &domid) < 0)
        return -EINVAL;
    d = domain_find((unsigned int)domid);
    if (!d)
        return -ENOENT;
    conn_reset(r->c);
    if ((rc = domain_attach(d, r->c)) < 0)
        return rc;
    log_info("connection %u now speaks for domain %llu", r->c->serial, domid);
    return reply_ok(r);
}

static int ctl_help(struct req *r);

static const struct {
    const char *name;
    int (*fn)(struct req *r);
    const char *help;
} commands[] = {
    { "check", ctl_check, "check the tree and the node accounting" },
    { "log", ctl_log, "on|off: log every request" },
    { "logfile", ctl_logfile, "<file>: log to <file>" },
    { "print", ctl_print, "<string>: write <string> to the log" },
    { "quota", ctl_quota, "[<name> <value> | <domid>]: show or set limits, or a domain's use" },
    { "stats", ctl_stats, "counts of nodes, watches, connections, domains" },
    { "memreport", ctl_stats, "same as stats" },
    { "attach-domain", ctl_attach_domain, "<domid>: test hook, see lamina-xenstored(8)" },
    { "help", ctl_help, "this list" },
};

static int ctl_help(struct req *r)
{
    struct text t = { .len = 0 };

    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        text_add(&t, "%-14s %s\n", commands[i].name, commands[i].help);
    return reply_text(r, &t);
}

int control_handle(struct req *r)
{
    const char *cmd = req_arg(r, 0);

    if (!cmd)
        return -EINVAL;
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(cmd, commands[i].name) == 0)
            return commands[i].fn(r);
    return -EINVAL;
}
