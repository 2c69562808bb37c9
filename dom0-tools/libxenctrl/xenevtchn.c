/* xenevtchn.c: event channels for dom0 programs (Xen's libxenevtchn API). */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <xen/xen.h>
#include <xenevtchn.h>

#include "xc_private.h"

#define MAX_PORTS   EVTCHN_2L_NR_CHANNELS
#define WORD_BITS   64

/*
 * dom0's pending and mask bitmaps are a page shared with the hypervisor,
 * so taking and unmasking events costs no round trip: the hypervisor sets
 * a pending bit and writes a byte into our notify pipe unless the port is
 * masked; we take a port by masking it and clearing its bit, and re-deliver
 * on unmask if it became pending meanwhile.  Taken ports wait in a small
 * queue; we write our own pipe too, so that it stays readable while
 * something is queued.  Sending is a byte into the port's kick pipe.
 */
struct xenevtchn_handle {
    xc_interface *xch;
    struct shared_info *page;
    int notify[2];                  /* read end is xenevtchn_fd() */
    int kick[MAX_PORTS];            /* per owned port: its kick pipe's write end, or -1 */
    uint16_t queue[MAX_PORTS];
    unsigned int qhead, qlen;
};

static void poke(int fd)
{
    if (write(fd, "e", 1) < 0) {
        /* EAGAIN: the pipe is full, so a wake-up is already there. */
    }
}

static void drain(int fd)
{
    char buf[256];

    while (read(fd, buf, sizeof(buf)) > 0)
        ;
}

static bool owned(xenevtchn_handle *xce, evtchn_port_t port)
{
    return port > 0 && port < MAX_PORTS && xce->kick[port] >= 0;
}

xenevtchn_handle *xenevtchn_open(struct xentoollog_logger *logger, unsigned int open_flags)
{
    struct xc_request req = { .op = LAMINA_CTL_OP_EVTCHN_OPEN, .max_reply_fds = 1 };
    struct lamina_ctl_msg reply;
    xenevtchn_handle *xce;
    int rc;

    if (open_flags & ~XENEVTCHN_NO_CLOEXEC) {
        errno = EINVAL;
        return NULL;
    }
    xce = calloc(1, sizeof(*xce));
    if (!xce)
        return NULL;
    for (unsigned int i = 0; i < MAX_PORTS; i++)
        xce->kick[i] = -1;
    xce->notify[0] = xce->notify[1] = -1;
    xce->page = MAP_FAILED;
    xce->xch = xc_interface_open(logger, NULL, 0);
    if (!xce->xch) {
        rc = -errno;
        goto fail;
    }
    rc = xc__call(xce->xch, &req, &reply);
    if (rc < 0)
        goto fail;
    if (reply.nfds != 1) {
        lamina_ctl_msg_release(&reply);
        rc = -EPROTO;
        goto fail;
    }
    xce->page = mmap(NULL, XC_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, reply.fds[0], 0);
    rc = xce->page == MAP_FAILED ? -errno : 0;
    lamina_ctl_msg_release(&reply);
    if (rc < 0)
        goto fail;
    if (pipe2(xce->notify, O_NONBLOCK | ((open_flags & XENEVTCHN_NO_CLOEXEC) ? 0 : O_CLOEXEC)) < 0) {
        rc = -errno;
        goto fail;
    }
    return xce;
fail:
    xenevtchn_close(xce);
    errno = -rc;
    return NULL;
}

int xenevtchn_close(xenevtchn_handle *xce)
{
    if (!xce)
        return 0;
    /* Closing the connection unbinds every port in the hypervisor. */
    for (unsigned int i = 0; i < MAX_PORTS; i++)
        if (xce->kick[i] >= 0)
            close(xce->kick[i]);
    if (xce->page != MAP_FAILED)
        munmap(xce->page, XC_PAGE_SIZE);
    for (int i = 0; i < 2; i++)
        if (xce->notify[i] >= 0)
            close(xce->notify[i]);
    xc_interface_close(xce->xch);
    free(xce);
    return 0;
}

int xenevtchn_fd(xenevtchn_handle *xce)
{
    return xce->notify[0];
}

static xenevtchn_port_or_error_t bind(xenevtchn_handle *xce, uint32_t kind, uint32_t domid,
                                      uint32_t remote_port, uint32_t virq)
{
    struct lamina_ctl_evtchn_bind b = { kind, domid, remote_port, virq };
    struct lamina_ctl_evtchn_port rep = { 0, 0 };
    struct lamina_ctl_msg reply;
    int kick[2], fds[2];
    struct xc_request req = {
        .op = LAMINA_CTL_OP_EVTCHN_BIND, .fixed = &b, .fixed_len = sizeof(b),
        .fds = fds, .nfds = 2,
    };
    int rc;

    if (pipe2(kick, O_CLOEXEC | O_NONBLOCK) < 0)
        return -1;
    /* The hypervisor gets the notify pipe's write end and the kick pipe's read end. */
    fds[0] = xce->notify[1];
    fds[1] = kick[0];
    rc = xc__call(xce->xch, &req, &reply);
    close(kick[0]);
    if (rc == 0 && reply.hdr.len != sizeof(rep))
        rc = -EPROTO;
    if (rc == 0) {
        memcpy(&rep, reply.payload, sizeof(rep));
        if (rep.port == 0 || rep.port >= MAX_PORTS || xce->kick[rep.port] >= 0)
            rc = -EPROTO;
    }
    if (reply.hdr.len || reply.nfds)
        lamina_ctl_msg_release(&reply);
    if (rc < 0) {
        close(kick[1]);
        errno = -rc;
        return -1;
    }
    xce->kick[rep.port] = kick[1];
    return (xenevtchn_port_or_error_t)rep.port;
}

xenevtchn_port_or_error_t xenevtchn_bind_unbound_port(xenevtchn_handle *xce, uint32_t domid)
{
    return bind(xce, LAMINA_EVTCHN_BIND_UNBOUND, domid, 0, 0);
}

xenevtchn_port_or_error_t xenevtchn_bind_interdomain(xenevtchn_handle *xce, uint32_t domid,
                                                     evtchn_port_t remote_port)
{
    return bind(xce, LAMINA_EVTCHN_BIND_INTERDOMAIN, domid, remote_port, 0);
}

xenevtchn_port_or_error_t xenevtchn_bind_virq(xenevtchn_handle *xce, unsigned int virq)
{
    return bind(xce, LAMINA_EVTCHN_BIND_VIRQ, 0, 0, virq);
}

static void dequeue_port(xenevtchn_handle *xce, evtchn_port_t port)
{
    unsigned int kept = 0;

    for (unsigned int i = 0; i < xce->qlen; i++) {
        uint16_t p = xce->queue[(xce->qhead + i) % MAX_PORTS];

        if (p != port)
            xce->queue[(xce->qhead + kept++) % MAX_PORTS] = p;
    }
    xce->qlen = kept;
}

int xenevtchn_unbind(xenevtchn_handle *xce, evtchn_port_t port)
{
    struct lamina_ctl_evtchn_port p = { port, 0 };
    int rc;

    if (!owned(xce, port)) {
        errno = EINVAL;
        return -1;
    }
    rc = xc__call_simple(xce->xch, LAMINA_CTL_OP_EVTCHN_UNBIND, &p, sizeof(p));
    if (rc < 0) {
        errno = -rc;
        return -1;
    }
    close(xce->kick[port]);
    xce->kick[port] = -1;
    dequeue_port(xce, port);
    return 0;
}

int xenevtchn_reset(xenevtchn_handle *xce)
{
    int rc = 0;

    for (evtchn_port_t p = 1; p < MAX_PORTS; p++)
        if (xce->kick[p] >= 0 && xenevtchn_unbind(xce, p) < 0)
            rc = -1;
    return rc;
}

int xenevtchn_notify(xenevtchn_handle *xce, evtchn_port_t port)
{
    if (!owned(xce, port)) {
        errno = EINVAL;
        return -1;
    }
    poke(xce->kick[port]);
    return 0;
}

static xen_ulong_t *word(xen_ulong_t *bitmap, evtchn_port_t port)
{
    return &bitmap[port / WORD_BITS];
}

/* Take every pending, unmasked port we own: mask it, clear it, queue it. */
static void collect(xenevtchn_handle *xce)
{
    for (unsigned int w = 0; w < MAX_PORTS / WORD_BITS; w++) {
        xen_ulong_t ready = __atomic_load_n(&xce->page->evtchn_pending[w], __ATOMIC_ACQUIRE) &
                            ~__atomic_load_n(&xce->page->evtchn_mask[w], __ATOMIC_ACQUIRE);

        while (ready) {
            unsigned int bit = (unsigned int)__builtin_ctzl(ready);
            evtchn_port_t port = w * WORD_BITS + bit;
            xen_ulong_t m = 1ul << bit;

            ready &= ready - 1;
            if (!owned(xce, port))
                continue;
            if (__atomic_fetch_or(word(xce->page->evtchn_mask, port), m, __ATOMIC_ACQ_REL) & m)
                continue;
            __atomic_fetch_and(word(xce->page->evtchn_pending, port), ~m, __ATOMIC_ACQ_REL);
            xce->queue[(xce->qhead + xce->qlen++) % MAX_PORTS] = (uint16_t)port;
        }
    }
}

xenevtchn_port_or_error_t xenevtchn_pending(xenevtchn_handle *xce)
{
    evtchn_port_t port;

    /* Reset readiness first: anything that arrives after this re-arms it. */
    drain(xce->notify[0]);
    collect(xce);
    if (!xce->qlen) {
        errno = EAGAIN;
        return -1;
    }
    port = xce->queue[xce->qhead];
    xce->qhead = (xce->qhead + 1) % MAX_PORTS;
    xce->qlen--;
    if (xce->qlen)
        poke(xce->notify[1]);       /* more queued: stay readable */
    return (xenevtchn_port_or_error_t)port;
}

int xenevtchn_unmask(xenevtchn_handle *xce, evtchn_port_t port)
{
    xen_ulong_t m = 1ul << (port % WORD_BITS);

    if (!owned(xce, port)) {
        errno = EINVAL;
        return -1;
    }
    __atomic_fetch_and(word(xce->page->evtchn_mask, port), ~m, __ATOMIC_ACQ_REL);
    /* Pending while masked: the hypervisor stayed quiet, so deliver it ourselves. */
    if (__atomic_load_n(word(xce->page->evtchn_pending, port), __ATOMIC_ACQUIRE) & m)
        poke(xce->notify[1]);
    return 0;
}
