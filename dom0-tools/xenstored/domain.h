/* domain.h: introduced domains, their connections and the special watches. */
/* SPDX-License-Identifier: MIT */
#ifndef XSD_DOMAIN_H
#define XSD_DOMAIN_H

#include <stdbool.h>
#include <stdint.h>

#include <xen/xen.h>

struct conn;

/* Domain ids a guest can have: 1 .. DOMID_FIRST_RESERVED - 1. */
#define DOMAIN_LIMIT DOMID_FIRST_RESERVED

struct domain {
    unsigned int domid;
    bool shutdown_fired;            /* @releaseDomain sent for a shutdown; RESUME clears it */
    uint64_t mfn;                   /* as INTRODUCE gave it; informational */
    uint32_t port;                  /* the guest's unbound event channel */
    unsigned int target;            /* SET_TARGET, or NO_TARGET */
    struct conn *conn;              /* NULL until connected or after a ring failure */
    void *backend_state;
};

/*
 * How xenstored reaches a domain: the ring backend (ring.c) maps the
 * guest's xenstore page and binds its event channel, creating d->conn; a
 * backend without rings only registers the domain (tests, benchmarks).
 */
struct domain_backend {
    const char *name;
    int (*introduce)(struct domain *d);
    /* INTRODUCE again for an introduced domain: rebind its event channel. */
    int (*reintroduce)(struct domain *d);
    /* Unmap and unbind; d->conn is already detached and closing. */
    void (*release)(struct domain *d);
};

/* Registers domains without connecting to them. */
extern const struct domain_backend fake_backend;

int domains_init(const struct domain_backend *backend);
void domains_fini(void);
const struct domain_backend *domain_backend(void);

struct domain *domain_find(unsigned int domid);
/* The next introduced domain with an id above after (0 starts). */
struct domain *domain_next(unsigned int after);
unsigned int domain_count(void);

/* INTRODUCE: fires @introduceDomain. -EINVAL, -ENOMEM or the backend's error. */
int domain_introduce(unsigned int domid, uint64_t mfn, uint32_t port);
/* RELEASE, or the domain is gone: fires @releaseDomain. -ENOENT if not introduced. */
int domain_release(unsigned int domid);
/* The domain shut down: fires @releaseDomain once until RESUME. */
void domain_shut_down(unsigned int domid);
int domain_resume(unsigned int domid);
int domain_set_target(unsigned int domid, unsigned int target);

/* Make c the connection of d (ring backend, tests): -EBUSY if d has one. */
int domain_attach(struct domain *d, struct conn *c);
/* c, a domain's connection, is being freed. */
void domain_conn_gone(struct conn *c);

#endif /* XSD_DOMAIN_H */
