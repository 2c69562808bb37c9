/* xen-queue.c: one backend queue's handles on lamina-hv: grant maps and copies, event channels. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stddef.h>
#include <sys/mman.h>

#include "xen-queue.h"

int xen_queue_open(struct xen_queue *q, uint32_t domid, uint32_t tx_port, uint32_t rx_port)
{
    xenevtchn_port_or_error_t port;

    *q = (struct xen_queue){ .domid = domid };
    q->gnt = xengnttab_open(NULL, 0);
    if (!q->gnt)
        goto fail;
    q->evt = xenevtchn_open(NULL, 0);
    if (!q->evt)
        goto fail;
    port = xenevtchn_bind_interdomain(q->evt, domid, tx_port);
    if (port < 0)
        goto fail;
    q->tx_port = q->rx_port = (evtchn_port_t)port;
    if (rx_port != tx_port) {
        port = xenevtchn_bind_interdomain(q->evt, domid, rx_port);
        if (port < 0)
            goto fail;
        q->rx_port = (evtchn_port_t)port;
    }
    return 0;
fail:
    {
        int err = errno;

        xen_queue_close(q);
        errno = err;
    }
    return -1;
}

void xen_queue_close(struct xen_queue *q)
{
    if (q->evt)
        xenevtchn_close(q->evt);
    if (q->gnt)
        xengnttab_close(q->gnt);
    q->evt = NULL;
    q->gnt = NULL;
}

void *xen_queue_map(struct xen_queue *q, uint32_t count, const grant_ref_t *refs,
                    bool writable)
{
    return xengnttab_map_domain_grant_refs(q->gnt, count, q->domid, (uint32_t *)refs,
                                           PROT_READ | (writable ? PROT_WRITE : 0));
}

int xen_queue_unmap(struct xen_queue *q, void *addr, uint32_t count)
{
    return xengnttab_unmap(q->gnt, addr, count) < 0 ? -errno : 0;
}

int xen_queue_copy(struct xen_queue *q, xengnttab_grant_copy_segment_t *segs, uint32_t count)
{
    return xengnttab_grant_copy(q->gnt, count, segs) < 0 ? -errno : 0;
}

int xen_queue_notify(struct xen_queue *q, bool rx)
{
    return xenevtchn_notify(q->evt, rx ? q->rx_port : q->tx_port) < 0 ? -errno : 0;
}

void xen_queue_ack(struct xen_queue *q)
{
    xenevtchn_port_or_error_t port;

    /*
     * xenevtchn_pending() never blocks: it fails with EAGAIN once nothing is
     * left. Bounded, so that a frontend notifying in a loop cannot keep us
     * here: whatever is left keeps the descriptor readable.
     */
    for (int i = 0; i < 8 && (port = xenevtchn_pending(q->evt)) >= 0; i++)
        xenevtchn_unmask(q->evt, (evtchn_port_t)port);
}
