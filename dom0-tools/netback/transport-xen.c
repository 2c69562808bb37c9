/* transport-xen.c: the network engine's transport on xengnttab and xenevtchn (lamina-hv). */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>

#include <xenevtchn.h>
#include <xengnttab.h>

#include "transport.h"

/*
 * Each queue has its own gnttab and evtchn handles (a handle belongs to
 * one thread at a time). With split channels both ports are bound on the
 * same evtchn handle, so its one descriptor covers both directions.
 */
struct xen_transport {
    struct nb_transport t;
    xengnttab_handle *gnt;
    xenevtchn_handle *evt;
    evtchn_port_t tx_port, rx_port;     /* our ends */
};

static struct xen_transport *xt(struct nb_transport *t)
{
    return (struct xen_transport *)t;
}

static void *xen_map(struct nb_transport *t, uint32_t count, const grant_ref_t *refs,
                     bool writable)
{
    return xengnttab_map_domain_grant_refs(xt(t)->gnt, count, t->domid, (uint32_t *)refs,
                                           PROT_READ | (writable ? PROT_WRITE : 0));
}

static int xen_unmap(struct nb_transport *t, void *addr, uint32_t count)
{
    return xengnttab_unmap(xt(t)->gnt, addr, count) < 0 ? -errno : 0;
}

static int xen_copy(struct nb_transport *t, xengnttab_grant_copy_segment_t *segs, uint32_t count)
{
    return xengnttab_grant_copy(xt(t)->gnt, count, segs) < 0 ? -errno : 0;
}

static int xen_event_fd(struct nb_transport *t)
{
    return xenevtchn_fd(xt(t)->evt);
}

static void xen_event_ack(struct nb_transport *t)
{
    xenevtchn_port_or_error_t port;

    /*
     * xenevtchn_pending() never blocks: it fails with EAGAIN once nothing is
     * left. Bounded, so that a frontend notifying in a loop cannot keep us
     * here: whatever is left keeps the descriptor readable.
     */
    for (int i = 0; i < 8 && (port = xenevtchn_pending(xt(t)->evt)) >= 0; i++)
        xenevtchn_unmask(xt(t)->evt, (evtchn_port_t)port);
}

static int xen_notify(struct nb_transport *t, bool rx)
{
    evtchn_port_t port = rx ? xt(t)->rx_port : xt(t)->tx_port;

    return xenevtchn_notify(xt(t)->evt, port) < 0 ? -errno : 0;
}

static void xen_close(struct nb_transport *t)
{
    if (!t)
        return;
    /* Closing the handles releases the ports and any grant still held. */
    xenevtchn_close(xt(t)->evt);
    xengnttab_close(xt(t)->gnt);
    free(t);
}

static const struct nb_transport_ops xen_ops = {
    .map = xen_map,
    .unmap = xen_unmap,
    .copy = xen_copy,
    .event_fd = xen_event_fd,
    .event_ack = xen_event_ack,
    .notify = xen_notify,
    .close = xen_close,
};

static struct nb_transport *xen_open(void *arg, uint32_t domid, uint32_t tx_port,
                                     uint32_t rx_port)
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
    port = xenevtchn_bind_interdomain(x->evt, domid, tx_port);
    if (port < 0)
        goto fail;
    x->tx_port = x->rx_port = (evtchn_port_t)port;
    if (rx_port != tx_port) {
        port = xenevtchn_bind_interdomain(x->evt, domid, rx_port);
        if (port < 0)
            goto fail;
        x->rx_port = (evtchn_port_t)port;
    }
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

const struct nb_transport_factory nb_transport_xen = { .open = xen_open, .arg = NULL };
