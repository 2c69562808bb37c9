/* transport-xen.c: the block engine's transport on xengnttab and xenevtchn (lamina-hv). */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/mman.h>

#include <xenevtchn.h>
#include <xengnttab.h>

#include "transport.h"

/*
 * Each queue gets its own gnttab and evtchn handles: handles belong to one
 * thread at a time, and with one port per evtchn handle the handle's
 * descriptor is readable exactly when this queue's frontend notified.
 */
struct xen_transport {
    struct blk_transport t;
    xengnttab_handle *gnt;
    xenevtchn_handle *evt;
    evtchn_port_t port;             /* our end of the interdomain channel */
};

static struct xen_transport *xt(struct blk_transport *t)
{
    return (struct xen_transport *)t;
}

static void *xen_map(struct blk_transport *t, uint32_t count, const grant_ref_t *refs,
                     bool writable)
{
    return xengnttab_map_domain_grant_refs(xt(t)->gnt, count, t->domid, (uint32_t *)refs,
                                           PROT_READ | (writable ? PROT_WRITE : 0));
}

static int xen_unmap(struct blk_transport *t, void *addr, uint32_t count)
{
    return xengnttab_unmap(xt(t)->gnt, addr, count) < 0 ? -errno : 0;
}

static int xen_event_fd(struct blk_transport *t)
{
    return xenevtchn_fd(xt(t)->evt);
}

static void xen_event_ack(struct blk_transport *t)
{
    struct pollfd pfd = { .fd = xenevtchn_fd(xt(t)->evt), .events = POLLIN };
    xenevtchn_port_or_error_t port;

    /*
     * xenevtchn_pending() blocks when nothing is pending, and a spurious
     * wake-up of our poller must not stall the queue: only take the event
     * when the descriptor is readable now.
     */
    if (poll(&pfd, 1, 0) != 1)
        return;
    port = xenevtchn_pending(xt(t)->evt);
    if (port >= 0)
        xenevtchn_unmask(xt(t)->evt, (evtchn_port_t)port);
}

static int xen_notify(struct blk_transport *t)
{
    return xenevtchn_notify(xt(t)->evt, xt(t)->port) < 0 ? -errno : 0;
}

static void xen_close(struct blk_transport *t)
{
    if (!t)
        return;
    /* Closing the handles releases the port and any grant still held. */
    xenevtchn_close(xt(t)->evt);
    xengnttab_close(xt(t)->gnt);
    free(t);
}

static const struct blk_transport_ops xen_ops = {
    .map = xen_map,
    .unmap = xen_unmap,
    .event_fd = xen_event_fd,
    .event_ack = xen_event_ack,
    .notify = xen_notify,
    .close = xen_close,
};

static struct blk_transport *xen_open(void *arg, uint32_t domid, uint32_t remote_port)
{
    struct xen_transport *x = calloc(1, sizeof(*x));
    xenevtchn_port_or_error_t port;
    int err;

    if (!x)
        return NULL;
    x->t.ops = &xen_ops;
    x->t.domid = domid;
    x->gnt = xengnttab_open(NULL, 0);
    if (!x->gnt)
        goto fail;
    x->evt = xenevtchn_open(NULL, 0);
    if (!x->evt)
        goto fail;
    port = xenevtchn_bind_interdomain(x->evt, domid, remote_port);
    if (port < 0)
        goto fail;
    x->port = (evtchn_port_t)port;
    return &x->t;
fail:
    err = errno;
    if (x->evt)
        xenevtchn_close(x->evt);
    if (x->gnt)
        xengnttab_close(x->gnt);
    free(x);
    errno = err;
    return NULL;
}

const struct blk_transport_factory blk_transport_xen = { .open = xen_open, .arg = NULL };
