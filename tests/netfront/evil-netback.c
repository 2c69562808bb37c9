/* evil-netback.c: a dom0 netif backend that lies to guest-kit's netfront on purpose. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
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
#include <xen/grant_table.h>
#include <xen/io/netif.h>
#include <xen/io/xenbus.h>

#include "evil-peer.h"

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
    struct evil_peer p;
    netif_tx_back_ring_t tx;
    netif_rx_back_ring_t rx;
    void *tx_mem, *rx_mem;
    int port;
};

static bool create_vif(struct ctx *x, uint32_t devid)
{
    xs_transaction_t t;
    bool ok = evil_device_begin(&x->p, "evil-vif", "vif", devid, &t) &&
              evil_put(&x->p, t, x->p.be, "feature-sg", "1") &&
              evil_put(&x->p, t, x->p.be, "feature-rx-copy", "1") &&
              evil_put(&x->p, t, x->p.be, "state", "%d", XenbusStateInitWait) &&
              evil_put(&x->p, t, x->p.fe, "handle", "%u", devid) &&
              evil_put(&x->p, t, x->p.fe, "mac", "00:16:3e:ee:00:%02x", devid & 0xff) &&
              evil_put(&x->p, t, x->p.fe, "state", "%d", XenbusStateInitialising);

    return evil_device_end(&x->p, t, ok);
}

static void remove_vif(struct ctx *x)
{
    evil_device_remove(&x->p);
}

/* Maps the rings the frontend published, binds its channel, goes Connected. */
static bool connect_vif(struct ctx *x, const char *name)
{
    long tx_ref, rx_ref, evtchn;
    int s = evil_wait_frontend(&x->p, 1u << XenbusStateConnected | 1u << XenbusStateInitialised,
                               WAIT_MS);

    if (s != XenbusStateConnected && s != XenbusStateInitialised) {
        evil_fail(&x->p, "%s: the frontend did not connect (state %d)", name, s);
        return false;
    }
    tx_ref = evil_get(&x->p, x->p.fe, "tx-ring-ref", -1);
    rx_ref = evil_get(&x->p, x->p.fe, "rx-ring-ref", -1);
    evtchn = evil_get(&x->p, x->p.fe, "event-channel", -1);
    if (evtchn < 0)
        evtchn = evil_get(&x->p, x->p.fe, "event-channel-tx", -1);
    if (tx_ref < 0 || rx_ref < 0 || evtchn < 0 ||
        evil_get(&x->p, x->p.fe, "request-rx-copy", 0) != 1) {
        evil_fail(&x->p, "%s: the frontend published no rings, channel or request-rx-copy", name);
        return false;
    }
    x->tx_mem = xengnttab_map_grant_ref(x->p.gt, x->p.domid, (uint32_t)tx_ref,
                                        PROT_READ | PROT_WRITE);
    x->rx_mem = xengnttab_map_grant_ref(x->p.gt, x->p.domid, (uint32_t)rx_ref,
                                        PROT_READ | PROT_WRITE);
    x->port = xenevtchn_bind_interdomain(x->p.xce, x->p.domid, (uint32_t)evtchn);
    if (!x->tx_mem || !x->rx_mem || x->port < 0) {
        evil_fail(&x->p, "%s: cannot map the rings or bind the channel: %s", name, strerror(errno));
        return false;
    }
    BACK_RING_INIT(&x->tx, (netif_tx_sring_t *)x->tx_mem, 4096);
    BACK_RING_INIT(&x->rx, (netif_rx_sring_t *)x->rx_mem, 4096);
    return evil_put(&x->p, XBT_NULL, x->p.be, "state", "%d", XenbusStateConnected);
}

static void disconnect_vif(struct ctx *x)
{
    if (x->tx_mem)
        xengnttab_unmap(x->p.gt, x->tx_mem, 1);
    if (x->rx_mem)
        xengnttab_unmap(x->p.gt, x->rx_mem, 1);
    if (x->port >= 0)
        xenevtchn_unbind(x->p.xce, (evtchn_port_t)x->port);
    x->tx_mem = x->rx_mem = NULL;
    x->port = -1;
}

static void kick(struct ctx *x)
{
    int port;

    while ((port = xenevtchn_pending(x->p.xce)) >= 0)
        xenevtchn_unmask(x->p.xce, (evtchn_port_t)port);
}

/* Waits until the frontend has posted `n` rx buffers, or sent a tx request (n == 0). */
static bool wait_requests(struct ctx *x, unsigned int n)
{
    struct pollfd pfd = { .fd = xenevtchn_fd(x->p.xce), .events = POLLIN };

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
    seg.dest.foreign.domid = (uint16_t)x->p.domid;
    seg.len = GOOD_LEN;
    seg.flags = GNTCOPY_dest_gref;
    if (xengnttab_grant_copy(x->p.gt, 1, &seg) < 0 || seg.status != GNTST_okay) {
        evil_fail(&x->p, "%s: cannot copy a frame into the guest's buffer (%d)", name, seg.status);
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
            evil_fail(&x->p, "%s: the frontend sent nothing", name);
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
            evil_fail(&x->p, "%s: the frontend posted no rx buffers", name);
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
        evil_put(&x->p, XBT_NULL, x->p.be, "state", "banana");
    } else if (!strcmp(name, "vanish")) {
        remove_vif(x);
    }
notify:
    xenevtchn_notify(x->p.xce, (evtchn_port_t)x->port);
}

static void run(struct ctx *x, unsigned int k)
{
    const char *name = scenarios[k];
    bool keeps_up;
    int s;

    x->port = -1;
    if (!create_vif(x, 10 + k)) {
        evil_fail(&x->p, "%s: cannot write the vif's directories: %s", name, strerror(errno));
        return;
    }
    if (!connect_vif(x, name))
        goto out;
    misbehave(x, name, &keeps_up);
    if (keeps_up) {
        /* The frontend must stay up: give it time to fall over if it would. */
        s = evil_wait_frontend(&x->p, 1u << XenbusStateClosing | 1u << XenbusStateClosed, STAY_MS);
        if (s == XenbusStateClosing || s == XenbusStateClosed) {
            evil_fail(&x->p, "%s: the frontend closed the vif after a bad frame (state %d)", name,
                      s);
            goto close;
        }
        if (s == -1) {
            evil_fail(&x->p, "%s: the frontend's directory went", name);
            goto out;
        }
        /* We close it the proper way; the guest has had time to report its frames. */
        printf("evil-netback: %s: the frontend stayed Connected\n", name);
        evil_put(&x->p, XBT_NULL, x->p.be, "state", "%d", XenbusStateClosing);
    } else if (!strcmp(name, "vanish")) {
        printf("evil-netback: %s: directories removed under the frontend\n", name);
        goto out;
    }
close:
    s = evil_wait_frontend(&x->p, 1u << XenbusStateClosing | 1u << XenbusStateClosed, WAIT_MS);
    if (s == XenbusStateClosing) {
        evil_put(&x->p, XBT_NULL, x->p.be, "state", "%d", XenbusStateClosing);
        s = evil_wait_frontend(&x->p, 1u << XenbusStateClosed, WAIT_MS);
    }
    if (s == XenbusStateClosed) {
        disconnect_vif(x);
        evil_put(&x->p, XBT_NULL, x->p.be, "state", "%d", XenbusStateClosed);
        if (!keeps_up)
            printf("evil-netback: %s: the frontend closed the vif\n", name);
    } else {
        evil_fail(&x->p, "%s: the frontend did not close the vif (state %d)", name, s);
    }
out:
    disconnect_vif(x);
    /* The frontend takes its pages back once we are Closed; then the vif goes. */
    evil_sleep_ms(200);
    remove_vif(x);
}

int main(int argc, char **argv)
{
    struct ctx x = { 0 };
    int rc = evil_peer_open(&x.p, "evil-netback", argc, argv);

    if (rc)
        return rc;
    for (unsigned int k = 0; k < sizeof(scenarios) / sizeof(scenarios[0]); k++)
        run(&x, k);
    return evil_peer_close(&x.p);
}
