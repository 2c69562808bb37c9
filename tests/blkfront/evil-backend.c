/* evil-backend.c: a dom0 blkif backend that lies to guest-kit's blkfront on purpose. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <xenevtchn.h>
#include <xengnttab.h>
#include <xenstore.h>
#include <xen/io/blkif.h>
#include <xen/io/xenbus.h>

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
    struct xs_handle *xs;
    xengnttab_handle *gt;
    xenevtchn_handle *xce;
    uint32_t domid;
    char be[128], fe[128];
};

static int failures;

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...)
{
    va_list ap;

    failures++;
    printf("evil-backend: FAIL ");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
}

static void sleep_ms(long ms)
{
    struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

    nanosleep(&ts, NULL);
}

static bool put(struct ctx *x, xs_transaction_t t, const char *dir, const char *key,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static bool put(struct ctx *x, xs_transaction_t t, const char *dir, const char *key,
                const char *fmt, ...)
{
    char path[256], val[128];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(val, sizeof(val), fmt, ap);
    va_end(ap);
    snprintf(path, sizeof(path), "%s/%s", dir, key);
    return xs_write(x->xs, t, path, val, (unsigned int)strlen(val));
}

static long get(struct ctx *x, const char *dir, const char *key, long dflt)
{
    char path[256], *v;
    long n;

    snprintf(path, sizeof(path), "%s/%s", dir, key);
    v = xs_read(x->xs, XBT_NULL, path, NULL);
    n = v ? strtol(v, NULL, 10) : dflt;
    free(v);
    return n;
}

/* Waits until the frontend's state is one of mask's bits (or its directory goes). */
static int wait_frontend(struct ctx *x, unsigned int mask)
{
    for (int waited = 0; waited < WAIT_MS; waited += 5) {
        long s = get(x, x->fe, "state", -1);

        if (s < 0 || (s <= 31 && (mask & (1u << s))))
            return (int)s;
        sleep_ms(5);
    }
    return -ETIMEDOUT;
}

static bool create_device(struct ctx *x, uint32_t devid)
{
    struct xs_permissions be_perms[2] = { { 0, XS_PERM_NONE }, { x->domid, XS_PERM_READ } };
    struct xs_permissions fe_perms[2] = { { x->domid, XS_PERM_NONE }, { 0, XS_PERM_READ } };
    xs_transaction_t t = xs_transaction_start(x->xs);
    bool ok;

    snprintf(x->be, sizeof(x->be), "/local/domain/0/backend/evil/%u/%u", x->domid, devid);
    snprintf(x->fe, sizeof(x->fe), "/local/domain/%u/device/vbd/%u", x->domid, devid);
    ok = t != XBT_NULL && xs_mkdir(x->xs, t, x->be) &&
         xs_set_permissions(x->xs, t, x->be, be_perms, 2) &&
         put(x, t, x->be, "frontend", "%s", x->fe) &&
         put(x, t, x->be, "frontend-id", "%u", x->domid) && put(x, t, x->be, "state", "1") &&
         xs_mkdir(x->xs, t, x->fe) && xs_set_permissions(x->xs, t, x->fe, fe_perms, 2) &&
         put(x, t, x->fe, "backend", "%s", x->be) && put(x, t, x->fe, "backend-id", "0") &&
         put(x, t, x->fe, "virtual-device", "%u", devid) &&
         put(x, t, x->fe, "device-type", "disk") && put(x, t, x->fe, "state", "1");
    if (t != XBT_NULL && !xs_transaction_end(x->xs, t, !ok))
        ok = false;
    return ok;
}

static void remove_device(struct ctx *x)
{
    xs_rm(x->xs, XBT_NULL, x->fe);
    xs_rm(x->xs, XBT_NULL, x->be);
}

/* Waits for the frontend's first request; false if none came. */
static bool wait_request(struct ctx *x, blkif_back_ring_t *ring, struct blkif_request *req)
{
    struct pollfd pfd = { .fd = xenevtchn_fd(x->xce), .events = POLLIN };

    for (int waited = 0; waited < WAIT_MS; waited += 10) {
        int port;

        if (ring->sring->req_prod != ring->req_cons) {
            __atomic_thread_fence(__ATOMIC_ACQUIRE);
            RING_COPY_REQUEST(ring, ring->req_cons, req);
            ring->req_cons++;
            return true;
        }
        if (poll(&pfd, 1, 10) > 0 && (port = xenevtchn_pending(x->xce)) >= 0)
            xenevtchn_unmask(x->xce, (evtchn_port_t)port);
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
        fail("%s: cannot write the device's directories: %s", name, strerror(errno));
        return;
    }
    /* InitWait with the usual features. */
    if (!put(x, XBT_NULL, x->be, "feature-max-indirect-segments", "256") ||
        !put(x, XBT_NULL, x->be, "max-ring-page-order", "1") ||
        !put(x, XBT_NULL, x->be, "feature-flush-cache", "1") ||
        !put(x, XBT_NULL, x->be, "feature-persistent", "0") ||
        !put(x, XBT_NULL, x->be, "state", "%d", XenbusStateInitWait)) {
        fail("%s: cannot publish the features", name);
        goto out;
    }
    s = wait_frontend(x, 1u << XenbusStateInitialised);
    if (s != XenbusStateInitialised) {
        fail("%s: the frontend did not go Initialised (state %d)", name, s);
        goto out;
    }
    order = get(x, x->fe, "ring-page-order", 0);
    evtchn = get(x, x->fe, "event-channel", -1);
    pages = 1u << (order >= 0 && order <= 1 ? order : 0);
    for (unsigned int i = 0; i < pages; i++) {
        char key[16];

        snprintf(key, sizeof(key), order > 0 ? "ring-ref%u" : "ring-ref", i);
        refs[i] = (uint32_t)get(x, x->fe, key, -1);
    }
    ring_mem = xengnttab_map_domain_grant_refs(x->gt, pages, x->domid, refs,
                                               PROT_READ | PROT_WRITE);
    port = evtchn < 0 ? -1 : xenevtchn_bind_interdomain(x->xce, x->domid, (uint32_t)evtchn);
    if (!ring_mem || port < 0) {
        fail("%s: cannot map the ring or bind the channel: %s", name, strerror(errno));
        goto out;
    }
    BACK_RING_INIT(&ring, (struct blkif_sring *)ring_mem, (size_t)pages * 4096);
    if (!put(x, XBT_NULL, x->be, "sectors", "%s", sectors) ||
        !put(x, XBT_NULL, x->be, "info", "0") ||
        !put(x, XBT_NULL, x->be, "sector-size", "%s", sector_size) ||
        !put(x, XBT_NULL, x->be, "state", "%d", XenbusStateConnected)) {
        fail("%s: cannot publish the disk", name);
        goto out;
    }
    if (!geometry) {
        if (!wait_request(x, &ring, &req)) {
            fail("%s: no request came", name);
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
            put(x, XBT_NULL, x->be, "state", "banana");
        } else if (!strcmp(name, "vanish")) {
            remove_device(x);
        } else if (!strcmp(name, "late-unmap")) {
            /* Hold the page as a slow backend would, and write into it at the very end. */
            data = req.nr_segments ? xengnttab_map_grant_ref(x->gt, x->domid, req.seg[0].gref,
                                                             PROT_READ | PROT_WRITE) : NULL;
            if (!data) {
                fail("%s: cannot map the request's page: %s", name, strerror(errno));
                goto out;
            }
            put(x, XBT_NULL, x->be, "state", "%d", XenbusStateClosing);
            s = wait_frontend(x, 1u << XenbusStateClosed);
            if (s != XenbusStateClosed)
                fail("%s: the frontend did not go Closed (state %d)", name, s);
            sleep_ms(300);
            *(volatile uint64_t *)((char *)data + req.seg[0].first_sect * 512) = MARKER;
            xengnttab_unmap(x->gt, data, 1);
            put(x, XBT_NULL, x->be, "state", "%d", XenbusStateClosed);
        }
        /* stall: nothing at all; the frontend's I/O timeout must end the wait. */
        xenevtchn_notify(x->xce, (evtchn_port_t)port);
    }
    /* From here on a well-behaved backend: Closing for Closing, Closed for Closed. */
    s = wait_frontend(x, 1u << XenbusStateClosing | 1u << XenbusStateClosed);
    if (s == XenbusStateClosing) {
        put(x, XBT_NULL, x->be, "state", "%d", XenbusStateClosing);
        s = wait_frontend(x, 1u << XenbusStateClosed);
    }
    if (s == XenbusStateClosed || s == -1) {
        if (ring_mem)
            xengnttab_unmap(x->gt, ring_mem, pages);
        ring_mem = NULL;
        put(x, XBT_NULL, x->be, "state", "%d", XenbusStateClosed);
        printf("evil-backend: %s: the frontend closed the disk\n", name);
    } else {
        fail("%s: the frontend did not close the disk (state %d)", name, s);
    }
out:
    if (ring_mem)
        xengnttab_unmap(x->gt, ring_mem, pages);
    if (port >= 0)
        xenevtchn_unbind(x->xce, (evtchn_port_t)port);
    remove_device(x);
}

int main(int argc, char **argv)
{
    struct ctx x = { 0 };

    if (argc != 2) {
        fprintf(stderr, "usage: evil-backend DOMID\n");
        return 2;
    }
    x.domid = (uint32_t)strtoul(argv[1], NULL, 10);
    x.xs = xs_open(0);
    x.gt = xengnttab_open(NULL, 0);
    x.xce = xenevtchn_open(NULL, 0);
    if (!x.xs || !x.gt || !x.xce) {
        fprintf(stderr, "evil-backend: cannot reach xenstored or lamina-hv: %s\n",
                strerror(errno));
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (unsigned int k = 0; k < sizeof(scenarios) / sizeof(scenarios[0]); k++)
        run(&x, k);
    xenevtchn_close(x.xce);
    xengnttab_close(x.gt);
    xs_close(x.xs);
    return failures ? 1 : 0;
}
