/* evil-backend.c: a dom0 blkif backend that lies to guest-kit's blkfront on purpose. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <xenevtchn.h>
#include <xengnttab.h>
#include <xenstore.h>
#include <xen/io/blkif.h>
#include <xen/io/xenbus.h>

#include "evil-peer.h"

/*
 *   evil-backend DOMID
 *
 * Offers the guest (tests/blkfront/blktest mode=evil) one disk after the
 * other, each under /local/domain/0/backend/evil/... (so lamina-blkback
 * leaves it alone), runs the handshake and then misbehaves in one way:
 *
 *   bad-id        answers the first request with an id that names no request
 *   wrong-op      answers with the right id and another operation
 *   rsp-jump      moves rsp_prod 1000 ahead
 *   duplicate     answers the first request twice
 *   bad-state     takes the request and writes "banana" as its state
 *   vanish        takes the request, never answers, removes its directories
 *   late-unmap    maps the request's page, goes Closing, and writes into the
 *                 page after the frontend has gone Closed, before unmapping
 *   bad-geometry  publishes sector-size 1000
 *   huge-disk     publishes 2^64 - 1 sectors (the byte size overflows)
 *   huge-sector   publishes sector-size 2^31
 *   stall         takes the request and never answers, but stays Connected
 *
 * Each disk is removed again once the frontend is Closed. The guest must
 * survive all of them, see its I/O fail (or, for `duplicate`, the first
 * read succeed and the disk stop), and close each disk. Prints one line per
 * scenario; exits 0 unless the guest stopped following the protocol.
 */

#define WAIT_MS     20000
#define MARKER      0x6576696c6c617465ull     /* written "late" into the guest's page */

static const char *const scenarios[] = {
    "bad-id", "wrong-op", "rsp-jump", "duplicate", "bad-state", "vanish", "late-unmap",
    "bad-geometry", "huge-disk", "huge-sector", "stall",
};

struct ctx {
    struct evil_peer p;
};

static bool create_device(struct ctx *x, uint32_t devid)
{
    xs_transaction_t t;
    bool ok = evil_device_begin(&x->p, "evil", "vbd", devid, &t) &&
              evil_put(&x->p, t, x->p.be, "state", "1") &&
              evil_put(&x->p, t, x->p.fe, "virtual-device", "%u", devid) &&
              evil_put(&x->p, t, x->p.fe, "device-type", "disk") &&
              evil_put(&x->p, t, x->p.fe, "state", "1");

    return evil_device_end(&x->p, t, ok);
}

static void remove_device(struct ctx *x)
{
    evil_device_remove(&x->p);
}

/* Waits for the frontend's first request; false if none came. */
static bool wait_request(struct ctx *x, blkif_back_ring_t *ring, struct blkif_request *req)
{
    struct pollfd pfd = { .fd = xenevtchn_fd(x->p.xce), .events = POLLIN };

    for (int waited = 0; waited < WAIT_MS; waited += 10) {
        int port;

        if (ring->sring->req_prod != ring->req_cons) {
            __atomic_thread_fence(__ATOMIC_ACQUIRE);
            RING_COPY_REQUEST(ring, ring->req_cons, req);
            ring->req_cons++;
            return true;
        }
        if (poll(&pfd, 1, 10) > 0 && (port = xenevtchn_pending(x->p.xce)) >= 0)
            xenevtchn_unmask(x->p.xce, (evtchn_port_t)port);
    }
    return false;
}

static void respond(blkif_back_ring_t *ring, uint64_t id, uint8_t op, int16_t status)
{
    struct blkif_response *r = RING_GET_RESPONSE(ring, ring->rsp_prod_pvt);

    r->id = id;
    r->operation = op;
    r->status = status;
    ring->rsp_prod_pvt++;
    RING_PUSH_RESPONSES(ring);
}

static void run(struct ctx *x, unsigned int k)
{
    const char *name = scenarios[k];
    uint32_t devid = 51712 + 16 * k, refs[16];
    blkif_back_ring_t ring;
    struct blkif_request req;
    void *ring_mem = NULL, *data;
    long order, evtchn;
    int port = -1, s;
    unsigned int pages;
    bool geometry = !strcmp(name, "bad-geometry") || !strcmp(name, "huge-disk") ||
                    !strcmp(name, "huge-sector");
    const char *sectors = !strcmp(name, "huge-disk") ? "18446744073709551615" : "65536";
    const char *sector_size = !strcmp(name, "bad-geometry") ? "1000" :
                              !strcmp(name, "huge-sector") ? "2147483648" : "512";

    if (!create_device(x, devid)) {
        evil_fail(&x->p, "%s: cannot write the device's directories: %s", name, strerror(errno));
        return;
    }
    /* InitWait with the usual features. */
    if (!evil_put(&x->p, XBT_NULL, x->p.be, "feature-max-indirect-segments", "256") ||
        !evil_put(&x->p, XBT_NULL, x->p.be, "max-ring-page-order", "1") ||
        !evil_put(&x->p, XBT_NULL, x->p.be, "feature-flush-cache", "1") ||
        !evil_put(&x->p, XBT_NULL, x->p.be, "feature-persistent", "0") ||
        !evil_put(&x->p, XBT_NULL, x->p.be, "state", "%d", XenbusStateInitWait)) {
        evil_fail(&x->p, "%s: cannot publish the features", name);
        goto out;
    }
    s = evil_wait_frontend(&x->p, 1u << XenbusStateInitialised, WAIT_MS);
    if (s != XenbusStateInitialised) {
        evil_fail(&x->p, "%s: the frontend did not go Initialised (state %d)", name, s);
        goto out;
    }
    order = evil_get(&x->p, x->p.fe, "ring-page-order", 0);
    evtchn = evil_get(&x->p, x->p.fe, "event-channel", -1);
    pages = 1u << (order >= 0 && order <= 1 ? order : 0);
    for (unsigned int i = 0; i < pages; i++) {
        char key[16];

        snprintf(key, sizeof(key), order > 0 ? "ring-ref%u" : "ring-ref", i);
        refs[i] = (uint32_t)evil_get(&x->p, x->p.fe, key, -1);
    }
    ring_mem = xengnttab_map_domain_grant_refs(x->p.gt, pages, x->p.domid, refs,
                                               PROT_READ | PROT_WRITE);
    port = evtchn < 0 ? -1 : xenevtchn_bind_interdomain(x->p.xce, x->p.domid, (uint32_t)evtchn);
    if (!ring_mem || port < 0) {
        evil_fail(&x->p, "%s: cannot map the ring or bind the channel: %s", name, strerror(errno));
        goto out;
    }
    BACK_RING_INIT(&ring, (struct blkif_sring *)ring_mem, (size_t)pages * 4096);
    if (!evil_put(&x->p, XBT_NULL, x->p.be, "sectors", "%s", sectors) ||
        !evil_put(&x->p, XBT_NULL, x->p.be, "info", "0") ||
        !evil_put(&x->p, XBT_NULL, x->p.be, "sector-size", "%s", sector_size) ||
        !evil_put(&x->p, XBT_NULL, x->p.be, "state", "%d", XenbusStateConnected)) {
        evil_fail(&x->p, "%s: cannot publish the disk", name);
        goto out;
    }
    if (!geometry) {
        if (!wait_request(x, &ring, &req)) {
            evil_fail(&x->p, "%s: no request came", name);
            goto out;
        }
        if (!strcmp(name, "bad-id")) {
            respond(&ring, 9999, req.operation, BLKIF_RSP_OKAY);
        } else if (!strcmp(name, "wrong-op")) {
            respond(&ring, req.id, 99, BLKIF_RSP_OKAY);
        } else if (!strcmp(name, "rsp-jump")) {
            ring.sring->rsp_prod += 1000;
        } else if (!strcmp(name, "duplicate")) {
            respond(&ring, req.id, req.operation, BLKIF_RSP_OKAY);
            respond(&ring, req.id, req.operation, BLKIF_RSP_OKAY);
        } else if (!strcmp(name, "bad-state")) {
            evil_put(&x->p, XBT_NULL, x->p.be, "state", "banana");
        } else if (!strcmp(name, "vanish")) {
            remove_device(x);
        } else if (!strcmp(name, "late-unmap")) {
            /* Hold the page as a slow backend would, and write into it at the very end. */
            data = req.nr_segments ? xengnttab_map_grant_ref(x->p.gt, x->p.domid, req.seg[0].gref,
                                                             PROT_READ | PROT_WRITE) : NULL;
            if (!data) {
                evil_fail(&x->p, "%s: cannot map the request's page: %s", name, strerror(errno));
                goto out;
            }
            evil_put(&x->p, XBT_NULL, x->p.be, "state", "%d", XenbusStateClosing);
            s = evil_wait_frontend(&x->p, 1u << XenbusStateClosed, WAIT_MS);
            if (s != XenbusStateClosed)
                evil_fail(&x->p, "%s: the frontend did not go Closed (state %d)", name, s);
            evil_sleep_ms(300);
            *(volatile uint64_t *)((char *)data + req.seg[0].first_sect * 512) = MARKER;
            xengnttab_unmap(x->p.gt, data, 1);
            evil_put(&x->p, XBT_NULL, x->p.be, "state", "%d", XenbusStateClosed);
        }
        /* stall: nothing at all; the frontend's I/O timeout must end the wait. */
        xenevtchn_notify(x->p.xce, (evtchn_port_t)port);
    }
    /* From here on a well-behaved backend: Closing for Closing, Closed for Closed. */
    s = evil_wait_frontend(&x->p, 1u << XenbusStateClosing | 1u << XenbusStateClosed, WAIT_MS);
    if (s == XenbusStateClosing) {
        evil_put(&x->p, XBT_NULL, x->p.be, "state", "%d", XenbusStateClosing);
        s = evil_wait_frontend(&x->p, 1u << XenbusStateClosed, WAIT_MS);
    }
    if (s == XenbusStateClosed || s == -1) {
        if (ring_mem)
            xengnttab_unmap(x->p.gt, ring_mem, pages);
        ring_mem = NULL;
        evil_put(&x->p, XBT_NULL, x->p.be, "state", "%d", XenbusStateClosed);
        printf("evil-backend: %s: the frontend closed the disk\n", name);
    } else {
        evil_fail(&x->p, "%s: the frontend did not close the disk (state %d)", name, s);
    }
out:
    if (ring_mem)
        xengnttab_unmap(x->p.gt, ring_mem, pages);
    if (port >= 0)
        xenevtchn_unbind(x->p.xce, (evtchn_port_t)port);
    remove_device(x);
}

int main(int argc, char **argv)
{
    struct ctx x = { 0 };
    int rc = evil_peer_open(&x.p, "evil-backend", argc, argv);

    if (rc)
        return rc;
    for (unsigned int k = 0; k < sizeof(scenarios) / sizeof(scenarios[0]); k++)
        run(&x, k);
    return evil_peer_close(&x.p);
}
