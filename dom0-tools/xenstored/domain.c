/* domain.c: introduced domains, their connections and the special watches. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "domain.h"
#include "log.h"
#include "txn.h"
#include "watch.h"

static struct {
    struct domain **table;          /* [DOMAIN_LIMIT] */
    unsigned int count;
    const struct domain_backend *backend;
} ds;

static int fake_introduce(struct domain *d)
{
    return 0;
}

static int fake_reintroduce(struct domain *d)
{
    return 0;
}

static void fake_release(struct domain *d)
{
}

const struct domain_backend fake_backend = {
    .name = "none",
    .introduce = fake_introduce,
    .reintroduce = fake_reintroduce,
    .release = fake_release,
};

int domains_init(const struct domain_backend *backend)
{
    ds.table = calloc(DOMAIN_LIMIT, sizeof(*ds.table));
    if (!ds.table)
        return -ENOMEM;
    ds.count = 0;
    ds.backend = backend;
    return 0;
}

void domains_fini(void)
{
    if (ds.table) {
        for (unsigned int i = 0; i < DOMAIN_LIMIT; i++) {
            struct domain *d = ds.table[i];

            if (!d)
                continue;
            if (d->conn)
                d->conn->domain = NULL;
            ds.backend->release(d);
            free(d);
        }
    }
    free(ds.table);
    memset(&ds, 0, sizeof(ds));
}

const struct domain_backend *domain_backend(void)
{
    return ds.backend;
}

struct domain *domain_find(unsigned int domid)
{
    return domid > 0 && domid < DOMAIN_LIMIT ? ds.table[domid] : NULL;
}

struct domain *domain_next(unsigned int after)
{
    for (unsigned int i = after + 1; i < DOMAIN_LIMIT; i++)
        if (ds.table[i])
            return ds.table[i];
    return NULL;
}

unsigned int domain_count(void)
{
    return ds.count;
}

int domain_introduce(unsigned int domid, uint64_t mfn, uint32_t port)
{
    struct domain *d;
    int rc;

    if (domid == 0 || domid >= DOMAIN_LIMIT)
        return -EINVAL;
    d = ds.table[domid];
    if (d) {
        d->mfn = mfn;
        d->port = port;
        if (d->conn)
            conn_reset(d->conn);
        if ((rc = ds.backend->reintroduce(d)) < 0)
            return rc;
        log_info("domain %u introduced again (event channel %u)", domid, port);
    } else {
        d = calloc(1, sizeof(*d));
        if (!d)
            return -ENOMEM;
        d->domid = domid;
        d->mfn = mfn;
        d->port = port;
        d->target = NO_TARGET;
        /* The backend logs what failed; the error goes back to the introducer. */
        if ((rc = ds.backend->introduce(d)) < 0) {
            free(d);
            return rc;
        }
        ds.table[domid] = d;
        ds.count++;
        log_info("domain %u introduced (event channel %u)", domid, port);
    }
    watch_fire_special("@introduceDomain");
    return 0;
}

int domain_release(unsigned int domid)
{
    struct domain *d = domain_find(domid);

    if (!d)
        return -ENOENT;
    if (d->conn) {
        d->conn->domain = NULL;
        conn_close(d->conn, "domain released");
        d->conn = NULL;
    }
    ds.backend->release(d);
    ds.table[domid] = NULL;
    ds.count--;
    free(d);
    log_info("domain %u released", domid);
    watch_fire_special("@releaseDomain");
    return 0;
}

void domain_shut_down(unsigned int domid)
{
    struct domain *d = domain_find(domid);

    if (!d || d->shutdown_fired)
        return;
    d->shutdown_fired = true;
    watch_fire_special("@releaseDomain");
}

int domain_resume(unsigned int domid)
{
    struct domain *d = domain_find(domid);

    if (!d)
        return -ENOENT;
    d->shutdown_fired = false;
    return 0;
}

int domain_set_target(unsigned int domid, unsigned int target)
{
    struct domain *d = domain_find(domid);

    if (!d)
        return -ENOENT;
    d->target = target;
    if (d->conn)
        d->conn->target = target;
    return 0;
}

int domain_attach(struct domain *d, struct conn *c)
{
    if (d->conn)
        return -EBUSY;
    c->domid = d->domid;
    c->privileged = false;
    c->target = d->target;
    c->domain = d;
    d->conn = c;
    return 0;
}

void domain_conn_gone(struct conn *c)
{
    if (c->domain && c->domain->conn == c)
        c->domain->conn = NULL;
    c->domain = NULL;
}
