/* evil-netback.c: a dom0 netif backend that lies to guest-kit's netfront on purpose. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
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
#include <xen/grant_table.h>
#include <xen/io/netif.h>
#include <xen/io/xenbus.h>

/*
 *   evil-netback DOMID
 *
 * Offers the guest (tests/netfront/nettest mode=evil) one vif after the
 * other, as devids 10, 11, ..., each under /local/domain/0/backend/evil-vif
 * (so lamina-netback leaves it alone); runs the handshake and then answers
 * in one wrong way:
 *
 *   tx-bad-id       a tx answer whose id names no slot in flight
 *   tx-rsp-jump     tx rsp_prod 1000 ahead
 *   tx-twice        the one tx request answered twice
 *   rx-bad-id       an rx answer with another posted buffer's id
 *   rx-rsp-jump     rx rsp_prod 1000 ahead
 *   rx-more-forever every posted buffer answered with more_data
 *   rx-extra-loop   an rx answer with extra info, its extra slots chained forever
 *   bad-state       "banana" as the backend's state
 *   vanish          its directories removed while Connected
 *   rx-bad-offset   a frame at offset 4090 of 60 bytes (crossing the page),
 *   rx-huge         ... of 30000 bytes, and
 *   rx-error        ... with an error status, each followed by a good frame
 *
 * The first nine must make the frontend stop the interface and close it
 * by itself; for the last three it must drop the bad frame, take the good
 * one and stay Connected, until we close the vif the proper way. Each vif
 * is removed once the frontend is Closed. Prints one line per scenario;
 * exits 0 unless the frontend did not do what it must.
 */

#define WAIT_MS     15000
#define STAY_MS     2000        /* how long a frontend that must stay up is watched */
#define GOOD_LEN    60
#define ETH_P_RAW   0x88b5

static const char *const scenarios[] = {
    "tx-bad-id", "tx-rsp-jump", "tx-twice", "rx-bad-id", "rx-rsp-jump", "rx-more-forever",
    "rx-extra-loop", "bad-state", "vanish", "rx-bad-offset", "rx-huge", "rx-error",
};

struct ctx {
    struct xs_handle *xs;
    xengnttab_handle *gt;
    xenevtchn_handle *xce;
    uint32_t domid;
    char be[128], fe[128];
    netif_tx_back_ring_t tx;
    netif_rx_back_ring_t rx;
    void *tx_mem, *rx_mem;
    int port;
};

static int failures;

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...)
{
    va_list ap;

    failures++;
    printf("evil-netback: FAIL ");
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
    char path[256], *v, *end;
    long n;

    snprintf(path, sizeof(path), "%s/%s", dir, key);
    v = xs_read(x->xs, XBT_NULL, path, NULL);
    if (!v)
        return dflt;
    n = strtol(v, &end, 10);
    if (end == v || *end)
        n = dflt;
    free(v);
    return n;
}

/* The frontend's state once it is one of mask's bits; -1 when its directory is gone. */
static int wait_frontend(struct ctx *x, unsigned int mask, int ms)
{
    for (int waited = 0; waited < ms; waited += 5) {
        long s = get(x, x->fe, "state", -1);

        if (s < 0 || (s <= 31 && (mask & (1u << s))))
            return (int)s;
        sleep_ms(5);
    }
    return -ETIMEDOUT;
}

static bool create_vif(struct ctx *x, uint32_t devid)
{
    struct xs_permissions be_perms[2] = { { 0, XS_PERM_NONE }, { x->domid, XS_PERM_READ } };
    struct xs_permissions fe_perms[2] = { { x->domid, XS_PERM_NONE }, { 0, XS_PERM_READ } };
    xs_transaction_t t = xs_transaction_start(x->xs);
    bool ok;

    snprintf(x->be, sizeof(x->be), "/local/domain/0/backend/evil-vif/%u/%u", x->domid, devid);
    snprintf(x->fe, sizeof(x->fe), "/local/domain/%u/device/vif/%u", x->domid, devid);
    ok = t != XBT_NULL && xs_mkdir(x->xs, t, x->be) &&
         xs_set_permissions(x->xs, t, x->be, be_perms, 2) &&
         put(x, t, x->be, "frontend", "%s", x->fe) &&
         put(x, t, x->be, "frontend-id", "%u", x->domid) &&
         put(x, t, x->be, "feature-sg", "1") && put(x, t, x->be, "feature-rx-copy", "1") &&
         put(x, t, x->be, "state", "%d", XenbusStateInitWait) &&
         xs_mkdir(x->xs, t, x->fe) && xs_set_permissions(x->xs, t, x->fe, fe_perms, 2) &&
         put(x, t, x->fe, "backend", "%s", x->be) && put(x, t, x->fe, "backend-id", "0") &&
         put(x, t, x->fe, "handle", "%u", devid) &&
         put(x, t, x->fe, "mac", "00:16:3e:ee:00:%02x", devid & 0xff) &&
         put(x, t, x->fe, "state", "%d", XenbusStateInitialising);
    if (t != XBT_NULL && !xs_transaction_end(x->xs, t, !ok))
        ok = false;
    return ok;
}

static void remove_vif(struct ctx *x)
{
    xs_rm(x->xs, XBT_NULL, x->fe);
    xs_rm(x->xs, XBT_NULL, x->be);
}

/* Maps the rings the frontend published, binds its channel, goes Connected. */
static bool connect_vif(struct ctx *x, const char *name)
{
    long tx_ref, rx_ref, evtchn;
    int s = wait_frontend(x, 1u << XenbusStateConnected | 1u << XenbusStateInitialised,
                          WAIT_MS);

    if (s != XenbusStateConnected && s != XenbusStateInitialised) {
        fail("%s: the frontend did not connect (state %d)", name, s);
        return false;
    }
    tx_ref = get(x, x->fe, "tx-ring-ref", -1);
    rx_ref = get(x, x->fe, "rx-ring-ref", -1);
    evtchn = get(x, x->fe, "event-channel", -1);
    if (evtchn < 0)
        evtchn = get(x, x->fe, "event-channel-tx", -1);
    if (tx_ref < 0 || rx_ref < 0 || evtchn < 0 || get(x, x->fe, "request-rx-copy", 0) != 1) {
        fail("%s: the frontend published no rings, channel or request-rx-copy", name);
        return false;
    }
    x->tx_mem = xengnttab_map_grant_ref(x->gt, x->domid, (uint32_t)tx_ref,
                                        PROT_READ | PROT_WRITE);
    x->rx_mem = xengnttab_map_grant_ref(x->gt, x->domid, (uint32_t)rx_ref,
                                        PROT_READ | PROT_WRITE);
    x->port = xenevtchn_bind_interdomain(x->xce, x->domid, (uint32_t)evtchn);
    if (!x->tx_mem || !x->rx_mem || x->port < 0) {
        fail("%s: cannot map the rings or bind the channel: %s", name, strerror(errno));
        return false;
    }
    BACK_RING_INIT(&x->tx, (netif_tx_sring_t *)x->tx_mem, 4096);
    BACK_RING_INIT(&x->rx, (netif_rx_sring_t *)x->rx_mem, 4096);
    return put(x, XBT_NULL, x->be, "state", "%d", XenbusStateConnected);
}

static void disconnect_vif(struct ctx *x)
{
    if (x->tx_mem)
        xengnttab_unmap(x->gt, x->tx_mem, 1);
    if (x->rx_mem)
        xengnttab_unmap(x->gt, x->rx_mem, 1);
    if (x->port >= 0)
        xenevtchn_unbind(x->xce, (evtchn_port_t)x->port);
    x->tx_mem = x->rx_mem = NULL;
    x->port = -1;
}

static void kick(struct ctx *x)
{
    int port;

    while ((port = xenevtchn_pending(x->xce)) >= 0)
        xenevtchn_unmask(x->xce, (evtchn_port_t)port);
}

/* Waits until the frontend has posted `n` rx buffers, or sent a tx request (n == 0). */
static bool wait_requests(struct ctx *x, unsigned int n)
{
    struct pollfd pfd = { .fd = xenevtchn_fd(x->xce), .events = POLLIN };

    for (int waited = 0; waited < WAIT_MS; waited += 10) {
        RING_IDX prod;

        if (n) {
            prod = __atomic_load_n(&x->rx.sring->req_prod, __ATOMIC_ACQUIRE);
            if (prod - x->rx.req_cons >= n)
                return true;
        } else {
            prod = __atomic_load_n(&x->tx.sring->req_prod, __ATOMIC_ACQUIRE);
            if (prod != x->tx.req_cons)
                return true;
        }
        if (poll(&pfd, 1, 10) > 0)
            kick(x);
    }
    return false;
}

static struct netif_rx_response *rx_answer(struct ctx *x, uint16_t id, uint16_t offset,
                                           uint16_t flags, int16_t status)
{
    struct netif_rx_response *r = RING_GET_RESPONSE(&x->rx, x->rx.rsp_prod_pvt);

    r->id = id;
    r->offset = offset;
    r->flags = flags;
    r->status = status;
    x->rx.rsp_prod_pvt++;
    return r;
}

/* A good frame into the next posted buffer: a grant copy, as a real backend does. */
static bool rx_good(struct ctx *x, const char *name)
{
    static uint8_t frame[GOOD_LEN];
    struct netif_rx_request req;
    xengnttab_grant_copy_segment_t seg = { 0 };

    RING_COPY_REQUEST(&x->rx, x->rx.req_cons, &req);
    x->rx.req_cons++;
    memset(frame, 0xff, 6);
    memcpy(frame + 6, "\x00\x16\x3e\xee\xee\xee", 6);
    frame[12] = ETH_P_RAW >> 8;
    frame[13] = ETH_P_RAW & 0xff;
    memcpy(frame + 14, "evil-netback good frame", 23);
    seg.source.virt = frame;
    seg.dest.foreign.ref = req.gref;
    seg.dest.foreign.offset = 0;
    seg.dest.foreign.domid = (uint16_t)x->domid;
    seg.len = GOOD_LEN;
    seg.flags = GNTCOPY_dest_gref;
    if (xengnttab_grant_copy(x->gt, 1, &seg) < 0 || seg.status != GNTST_okay) {
        fail("%s: cannot copy a frame into the guest's buffer (%d)", name, seg.status);
        return false;
    }
    rx_answer(x, req.id, 0, 0, GOOD_LEN);
    return true;
}

/* The one wrong thing, then what the frontend must do about it. */
static void misbehave(struct ctx *x, const char *name, bool *keeps_up)
{
    struct netif_rx_request req;
    struct netif_tx_request treq;

    *keeps_up = false;
    if (!strncmp(name, "tx-", 3)) {
        if (!wait_requests(x, 0)) {
            fail("%s: the frontend sent nothing", name);
            return;
        }
        RING_COPY_REQUEST(&x->tx, x->tx.req_cons, &treq);
        x->tx.req_cons++;
        if (!strcmp(name, "tx-rsp-jump")) {
            x->tx.sring->rsp_prod += 1000;
        } else {
            struct netif_tx_response *r = RING_GET_RESPONSE(&x->tx, x->tx.rsp_prod_pvt++);

            r->id = !strcmp(name, "tx-bad-id") ? (uint16_t)(treq.id + 77) : treq.id;
            r->status = XEN_NETIF_RSP_OKAY;
            if (!strcmp(name, "tx-twice")) {
                r = RING_GET_RESPONSE(&x->tx, x->tx.rsp_prod_pvt++);
                r->id = treq.id;
                r->status = XEN_NETIF_RSP_OKAY;
            }
            RING_PUSH_RESPONSES(&x->tx);
        }
    } else if (!strncmp(name, "rx-", 3)) {
        if (!wait_requests(x, 8)) {
            fail("%s: the frontend posted no rx buffers", name);
            return;
        }
        RING_COPY_REQUEST(&x->rx, x->rx.req_cons, &req);
        if (!strcmp(name, "rx-bad-id")) {
            struct netif_rx_request other;

            RING_COPY_REQUEST(&x->rx, x->rx.req_cons + 1, &other);
            x->rx.req_cons++;
            rx_answer(x, other.id, 0, 0, GOOD_LEN);
        } else if (!strcmp(name, "rx-rsp-jump")) {
            x->rx.sring->rsp_prod += 1000;
            goto notify;
        } else if (!strcmp(name, "rx-more-forever")) {
            RING_IDX prod = __atomic_load_n(&x->rx.sring->req_prod, __ATOMIC_ACQUIRE);

            for (; x->rx.req_cons != prod; x->rx.req_cons++) {
                RING_COPY_REQUEST(&x->rx, x->rx.req_cons, &req);
                rx_answer(x, req.id, 0, NETRXF_more_data, 100);
            }
        } else if (!strcmp(name, "rx-extra-loop")) {
            x->rx.req_cons++;
            rx_answer(x, req.id, 0, NETRXF_extra_info, GOOD_LEN);
            for (int i = 0; i < 6; i++) {
                struct netif_extra_info *e =
                    (struct netif_extra_info *)RING_GET_RESPONSE(&x->rx, x->rx.rsp_prod_pvt++);

                x->rx.req_cons++;
                memset(e, 0, sizeof(*e));
                e->type = XEN_NETIF_EXTRA_TYPE_GSO;
                e->flags = XEN_NETIF_EXTRA_FLAG_MORE;
            }
        } else {
            x->rx.req_cons++;
            if (!strcmp(name, "rx-bad-offset"))
                rx_answer(x, req.id, 4090, 0, GOOD_LEN);
            else if (!strcmp(name, "rx-huge"))
                rx_answer(x, req.id, 0, 0, 30000);
            else
                rx_answer(x, req.id, 0, 0, XEN_NETIF_RSP_ERROR);
            if (!rx_good(x, name))
                return;
            *keeps_up = true;
        }
        RING_PUSH_RESPONSES(&x->rx);
    } else if (!strcmp(name, "bad-state")) {
        put(x, XBT_NULL, x->be, "state", "banana");
    } else if (!strcmp(name, "vanish")) {
        remove_vif(x);
    }
notify:
    xenevtchn_notify(x->xce, (evtchn_port_t)x->port);
}

static void run(struct ctx *x, unsigned int k)
{
    const char *name = scenarios[k];
    bool keeps_up;
    int s;

    x->port = -1;
    if (!create_vif(x, 10 + k)) {
        fail("%s: cannot write the vif's directories: %s", name, strerror(errno));
        return;
    }
    if (!connect_vif(x, name))
        goto out;
    misbehave(x, name, &keeps_up);
    if (keeps_up) {
        /* The frontend must stay up: give it time to fall over if it would. */
        s = wait_frontend(x, 1u << XenbusStateClosing | 1u << XenbusStateClosed, STAY_MS);
        if (s == XenbusStateClosing || s == XenbusStateClosed) {
            fail("%s: the frontend closed the vif after a bad frame (state %d)", name, s);
            goto close;
        }
        if (s == -1) {
            fail("%s: the frontend's directory went", name);
            goto out;
        }
        /* We close it the proper way; the guest has had time to report its frames. */
        printf("evil-netback: %s: the frontend stayed Connected\n", name);
        put(x, XBT_NULL, x->be, "state", "%d", XenbusStateClosing);
    } else if (!strcmp(name, "vanish")) {
        printf("evil-netback: %s: directories removed under the frontend\n", name);
        goto out;
    }
close:
    s = wait_frontend(x, 1u << XenbusStateClosing | 1u << XenbusStateClosed, WAIT_MS);
    if (s == XenbusStateClosing) {
        put(x, XBT_NULL, x->be, "state", "%d", XenbusStateClosing);
        s = wait_frontend(x, 1u << XenbusStateClosed, WAIT_MS);
    }
    if (s == XenbusStateClosed) {
        disconnect_vif(x);
        put(x, XBT_NULL, x->be, "state", "%d", XenbusStateClosed);
        if (!keeps_up)
            printf("evil-netback: %s: the frontend closed the vif\n", name);
    } else {
        fail("%s: the frontend did not close the vif (state %d)", name, s);
    }
out:
    disconnect_vif(x);
    /* The frontend takes its pages back once we are Closed; then the vif goes. */
    sleep_ms(200);
    remove_vif(x);
}

int main(int argc, char **argv)
{
    struct ctx x = { 0 };
    char *end;

    if (argc != 2) {
        fprintf(stderr, "usage: evil-netback DOMID\n");
        return 2;
    }
    x.domid = (uint32_t)strtoul(argv[1], &end, 10);
    if (*end || end == argv[1]) {
        fprintf(stderr, "evil-netback: '%s' is not a domain id\n", argv[1]);
        return 2;
    }
    x.xs = xs_open(0);
    x.gt = xengnttab_open(NULL, 0);
    x.xce = xenevtchn_open(NULL, 0);
    if (!x.xs || !x.gt || !x.xce) {
        fprintf(stderr, "evil-netback: cannot reach xenstored or lamina-hv: %s\n",
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
