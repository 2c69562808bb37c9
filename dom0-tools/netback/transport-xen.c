/* transport-xen.c: the network engine's transport on xengnttab and xenevtchn (lamina-hv). */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>

#include "transport.h"
#include "xen-queue.h"

struct xen_transport {
    struct nb_transport t;
    struct xen_queue q;
};

static struct xen_queue *xq(struct nb_transport *t)
{
    return &((struct xen_transport *)t)->q;
}

static void *xen_map(struct nb_transport *t, uint32_t count, const grant_ref_t *refs,
                     bool writable)
{
    return xen_queue_map(xq(t), count, refs, writable);
}

static int xen_unmap(struct nb_transport *t, void *addr, uint32_t count)
{
    return xen_queue_unmap(xq(t), addr, count);
}

static int xen_copy(struct nb_transport *t, xengnttab_grant_copy_segment_t *segs, uint32_t count)
{
    return xen_queue_copy(xq(t), segs, count);
}

static int xen_event_fd(struct nb_transport *t)
{
    return xenevtchn_fd(xq(t)->evt);
}

static void xen_event_ack(struct nb_transport *t)
{
    xen_queue_ack(xq(t));
}

static int xen_notify(struct nb_transport *t, bool rx)
{
    return xen_queue_notify(xq(t), rx);
}

static void xen_close(struct nb_transport *t)
{
    if (!t)
        return;
    xen_queue_close(xq(t));
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

    (void)arg;
    if (!x)
        return NULL;
    if (xen_queue_open(&x->q, domid, tx_port, rx_port) < 0) {
        int err = errno;

        free(x);
        errno = err;
        return NULL;
    }
    x->t.ops = &xen_ops;
    x->t.domid = domid;
    return &x->t;
}

const struct nb_transport_factory nb_transport_xen = { .open = xen_open, .arg = NULL };
