/* xen-queue.h: one backend queue's handles on lamina-hv: grant maps and copies, event channels. */
/* SPDX-License-Identifier: MIT */
#ifndef LAMINA_BACKEND_XEN_QUEUE_H
#define LAMINA_BACKEND_XEN_QUEUE_H

#include <stdbool.h>
#include <stdint.h>

#include <xenevtchn.h>
#include <xengnttab.h>

/*
 * Each queue has its own gnttab and evtchn handles: a handle belongs to one
 * thread at a time, and with only this queue's ports bound, the evtchn
 * descriptor is readable exactly when this queue's frontend notified. With
 * split channels both ports are bound on the one handle.
 */
struct xen_queue {
    xengnttab_handle *gnt;
    xenevtchn_handle *evt;
    uint32_t domid;                     /* the frontend's */
    evtchn_port_t tx_port, rx_port;     /* our ends; the same without split channels */
};

/* Open the handles and bind the frontend's port(s). 0, or -1 with errno set. */
int xen_queue_open(struct xen_queue *q, uint32_t domid, uint32_t tx_port, uint32_t rx_port);
/* Closing the handles releases the ports and any grant still held. */
void xen_queue_close(struct xen_queue *q);

void *xen_queue_map(struct xen_queue *q, uint32_t count, const grant_ref_t *refs,
                    bool writable);
int xen_queue_unmap(struct xen_queue *q, void *addr, uint32_t count);   /* 0 or -errno */
int xen_queue_copy(struct xen_queue *q, xengnttab_grant_copy_segment_t *segs, uint32_t count);
int xen_queue_notify(struct xen_queue *q, bool rx);                    /* 0 or -errno */
/* Take the notifications behind a readable descriptor and unmask their ports. */
void xen_queue_ack(struct xen_queue *q);

#endif /* LAMINA_BACKEND_XEN_QUEUE_H */
