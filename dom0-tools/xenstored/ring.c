/* ring.c: guests' xenstore rings and event channels, and noticing domains that die. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>

#include <xen/grant_table.h>
#include <xen/io/xs_wire.h>
#include <xenctrl.h>
#include <xenevtchn.h>
#include <xengnttab.h>

#include "conn.h"
#include "domain.h"
#include "log.h"
#include "loop.h"
#include "ring.h"

/*
 * INTRODUCE maps the guest's xenstore page, which the domain builder grants
 * to dom0 as GNTTAB_RESERVED_XENSTORE (the mfn INTRODUCE carries is only
 * logged), and binds an interdomain event channel to the guest's port.
 * The page is guest memory: the guest may change it at any time, so each
 * index is read once, checked (a producer more than a ring ahead of its
 * consumer is a protocol error that ends the connection, with
 * XENSTORE_ERROR_RINGIDX in the page) and masked, and the bytes are copied
 * out before the core parses them.
 *
 * The event channel and grant handles are opened on the first INTRODUCE,
 * so the daemon starts (and serves dom0) without a hypervisor. With them
 * comes VIRQ_DOM_EXC: on that event every introduced domain is looked up,
 * and one that is dying or gone is released, one that shut down gets its
 * @releaseDomain (once until RESUME).
 */

struct ring {
    struct domain *d;
    struct xenstore_domain_interface *intf;
    evtchn_port_t local_port;
    struct conn *conn;
};

static struct {
    bool opened;
    xenevtchn_handle *xce;
    xengnttab_handle *xgt;
    xc_interface *xch;
    struct loop_source *src;
    int virq_port;
    struct ring **by_port;          /* local port -> ring */
    size_t nports;
} rs = { .virq_port = -1 };

static ssize_t ring_read(struct conn *c, void *buf, size_t len)
{
    struct ring *r = c->priv;
    struct xenstore_domain_interface *intf = r->intf;
    XENSTORE_RING_IDX cons = intf->req_cons;
    XENSTORE_RING_IDX prod = __atomic_load_n(&intf->req_prod, __ATOMIC_ACQUIRE);
    size_t avail = prod - cons, n, first;

    if (avail > XENSTORE_RING_SIZE) {
        intf->error = XENSTORE_ERROR_RINGIDX;
        return -EPROTO;
    }
    n = avail < len ? avail : len;
    first = XENSTORE_RING_SIZE - MASK_XENSTORE_IDX(cons);
    if (first > n)
        first = n;
    memcpy(buf, intf->req + MASK_XENSTORE_IDX(cons), first);
    memcpy((char *)buf + first, intf->req, n - first);
    __atomic_store_n(&intf->req_cons, cons + (XENSTORE_RING_IDX)n, __ATOMIC_RELEASE);
    return (ssize_t)n;
}

static ssize_t ring_write(struct conn *c, const void *buf, size_t len)
{
    struct ring *r = c->priv;
    struct xenstore_domain_interface *intf = r->intf;
    XENSTORE_RING_IDX cons = __atomic_load_n(&intf->rsp_cons, __ATOMIC_ACQUIRE);
    XENSTORE_RING_IDX prod = intf->rsp_prod;
    size_t used = prod - cons, n, first;

    if (used > XENSTORE_RING_SIZE) {
        intf->error = XENSTORE_ERROR_RINGIDX;
        return -EPROTO;
    }
    n = XENSTORE_RING_SIZE - used;
    if (n > len)
        n = len;
    first = XENSTORE_RING_SIZE - MASK_XENSTORE_IDX(prod);
    if (first > n)
        first = n;
    memcpy(intf->rsp + MASK_XENSTORE_IDX(prod), buf, first);
    memcpy(intf->rsp, (const char *)buf + first, n - first);
    __atomic_store_n(&intf->rsp_prod, prod + (XENSTORE_RING_IDX)n, __ATOMIC_RELEASE);
    return (ssize_t)n;
}

static void ring_kick(struct conn *c)
{
    struct ring *r = c->priv;

    if (xenevtchn_notify(rs.xce, r->local_port) < 0)
        log_warn("domain %u: cannot notify event channel %u: %s", r->d->domid, r->local_port,
                 strerror(errno));
}

/* Tell the guest why we stop listening (it may then ask to reconnect). */
static void ring_protocol_error(struct conn *c)
{
    struct ring *r = c->priv;

    r->intf->error = XENSTORE_ERROR_PROTO;
    xenevtchn_notify(rs.xce, r->local_port);
}

static void ring_close(struct conn *c)
{
    struct ring *r = c->priv;

    if (r && r->conn == c)
        r->conn = NULL;
}

static const struct transport_ops ring_ops = {
    .name = "ring",
    .read = ring_read,
    .write = ring_write,
    .kick = ring_kick,
    .protocol_error = ring_protocol_error,
    .close = ring_close,
};

static int connect_ring(struct ring *r)
{
    struct conn *c = conn_new(&ring_ops, r, r->d->domid, false);

    if (!c)
        return -ENOMEM;
    domain_attach(r->d, c);
    r->conn = c;
    return 0;
}

/*
 * The guest asked for a fresh connection (XENSTORE_RECONNECT): forget the
 * old one with its watches and transactions, zero the indexes, confirm.
 */
static void reconnect(struct ring *r)
{
    if (r->conn) {
        r->conn->domain = NULL;
        r->conn->priv = NULL;
        conn_close(r->conn, "the guest reconnects");
        r->conn = NULL;
        r->d->conn = NULL;
    }
    r->intf->req_cons = r->intf->req_prod = 0;
    r->intf->rsp_cons = r->intf->rsp_prod = 0;
    r->intf->error = XENSTORE_ERROR_NONE;
    __atomic_store_n(&r->intf->connection, XENSTORE_CONNECTED, __ATOMIC_RELEASE);
    if (connect_ring(r) < 0)
        log_err("domain %u: out of memory reconnecting", r->d->domid);
    xenevtchn_notify(rs.xce, r->local_port);
}

/* Release domains that are gone or dying; @releaseDomain once for a shutdown. */
static void check_domains(void)
{
    unsigned int domid = 0;
    struct domain *d;

    if (!rs.xch)
        return;
    while ((d = domain_next(domid)) != NULL) {
        xc_domaininfo_t info;

        domid = d->domid;
        if (xc_domain_getinfo_single(rs.xch, domid, &info) < 0) {
            if (errno == ESRCH)
                domain_release(domid);
            continue;
        }
        if (info.flags & XEN_DOMINF_dying)
            domain_release(domid);
        else if (info.flags & XEN_DOMINF_shutdown)
            domain_shut_down(domid);
    }
}

static void on_event(int fd, uint32_t events, void *arg)
{
    for (int i = 0; i < 64; i++) {
        xenevtchn_port_or_error_t port = xenevtchn_pending(rs.xce);
        struct ring *r;

        if (port < 0)
            return;
        xenevtchn_unmask(rs.xce, (evtchn_port_t)port);
        if (port == rs.virq_port) {
            check_domains();
            continue;
        }
        r = (size_t)port < rs.nports ? rs.by_port[port] : NULL;
        if (!r)
            continue;
        if (__atomic_load_n(&r->intf->connection, __ATOMIC_ACQUIRE) == XENSTORE_RECONNECT)
            reconnect(r);
        if (r->conn && !r->conn->closing)
            conn_service(r->conn);
    }
}

static int remember_port(struct ring *r)
{
    if (r->local_port >= rs.nports) {
        size_t n = rs.nports ? rs.nports : 64;
        struct ring **p;

        while (n <= r->local_port)
            n *= 2;
        p = realloc(rs.by_port, n * sizeof(*p));
        if (!p)
            return -ENOMEM;
        memset(p + rs.nports, 0, (n - rs.nports) * sizeof(*p));
        rs.by_port = p;
        rs.nports = n;
    }
    rs.by_port[r->local_port] = r;
    return 0;
}

static int open_handles(void)
{
    xenevtchn_port_or_error_t virq;

    if (rs.opened)
        return 0;
    rs.xce = xenevtchn_open(NULL, 0);
    if (!rs.xce)
        goto fail;
    rs.xgt = xengnttab_open(NULL, 0);
    if (!rs.xgt)
        goto fail;
    rs.src = loop_add(xenevtchn_fd(rs.xce), EPOLLIN, on_event, NULL);
    if (!rs.src)
        goto fail;
    rs.xch = xc_interface_open(NULL, NULL, 0);
    virq = rs.xch ? xenevtchn_bind_virq(rs.xce, VIRQ_DOM_EXC) : -1;
    if (virq < 0)
        log_warn("cannot watch VIRQ_DOM_EXC (%s): dead domains are noticed only on RELEASE",
                 strerror(errno));
    rs.virq_port = virq;
    rs.opened = true;
    log_info("connected to the hypervisor's event channels and grant tables");
    return 0;
fail:
    {
        int err = errno ? errno : EIO;

        log_err("cannot open the hypervisor's event channels or grant tables: %s (is "
                  "lamina-hv running?)", strerror(err));
        ring_fini();
        return -err;
    }
}

static int ring_introduce(struct domain *d)
{
    struct ring *r;
    xenevtchn_port_or_error_t port;
    int rc;

    if ((rc = open_handles()) < 0)
        return rc;
    r = calloc(1, sizeof(*r));
    if (!r)
        return -ENOMEM;
    r->d = d;
    r->intf = xengnttab_map_grant_ref(rs.xgt, d->domid, GNTTAB_RESERVED_XENSTORE,
                                      PROT_READ | PROT_WRITE);
    if (!r->intf) {
        rc = -errno;
        log_warn("domain %u: cannot map its xenstore page: %s", d->domid, strerror(errno));
        free(r);
        return rc;
    }
    port = xenevtchn_bind_interdomain(rs.xce, d->domid, d->port);
    if (port < 0) {
        rc = -errno;
        log_warn("domain %u: cannot bind event channel %u: %s", d->domid, d->port,
                 strerror(errno));
        xengnttab_unmap(rs.xgt, r->intf, 1);
        free(r);
        return rc;
    }
    r->local_port = (evtchn_port_t)port;
    __atomic_store_n(&r->intf->server_features,
                     XENSTORE_SERVER_FEATURE_RECONNECTION | XENSTORE_SERVER_FEATURE_ERROR,
                     __ATOMIC_RELEASE);
    if ((rc = remember_port(r)) < 0 || (rc = connect_ring(r)) < 0) {
        if ((size_t)r->local_port < rs.nports)
            rs.by_port[r->local_port] = NULL;
        xenevtchn_unbind(rs.xce, r->local_port);
        xengnttab_unmap(rs.xgt, r->intf, 1);
        free(r);
        return rc;
    }
    d->backend_state = r;
    /* The guest may have written requests before we were listening. */
    xenevtchn_notify(rs.xce, r->local_port);
    return 0;
}

static int ring_reintroduce(struct domain *d)
{
    struct ring *r = d->backend_state;
    xenevtchn_port_or_error_t port;

    port = xenevtchn_bind_interdomain(rs.xce, d->domid, d->port);
    if (port < 0)
        return -errno;
    rs.by_port[r->local_port] = NULL;
    xenevtchn_unbind(rs.xce, r->local_port);
    r->local_port = (evtchn_port_t)port;
    if (remember_port(r) < 0)
        return -ENOMEM;
    if (!r->conn)
        connect_ring(r);
    xenevtchn_notify(rs.xce, r->local_port);
    return 0;
}

static void ring_release(struct domain *d)
{
    struct ring *r = d->backend_state;

    if (!r)
        return;
    if (r->conn) {
        /* Already closing: make sure its transport never looks at r again. */
        r->conn->priv = NULL;
        r->conn = NULL;
    }
    if ((size_t)r->local_port < rs.nports)
        rs.by_port[r->local_port] = NULL;
    xenevtchn_unbind(rs.xce, r->local_port);
    xengnttab_unmap(rs.xgt, r->intf, 1);
    free(r);
    d->backend_state = NULL;
}

static const struct domain_backend ring_backend_ops = {
    .name = "rings",
    .introduce = ring_introduce,
    .reintroduce = ring_reintroduce,
    .release = ring_release,
};

const struct domain_backend *ring_backend(void)
{
    return &ring_backend_ops;
}

void ring_fini(void)
{
    loop_del(rs.src);
    if (rs.xch)
        xc_interface_close(rs.xch);
    if (rs.xgt)
        xengnttab_close(rs.xgt);
    if (rs.xce)
        xenevtchn_close(rs.xce);
    free(rs.by_port);
    memset(&rs, 0, sizeof(rs));
    rs.virq_port = -1;
}
