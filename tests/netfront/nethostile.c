/* nethostile.c: test guest that speaks netif badly on purpose, to lamina-netback. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <guest-kit/events.h>
#include <guest-kit/gnttab.h>
#include <guest-kit/guest-kit.h>
#include <guest-kit/net.h>
#include <guest-kit/netfront.h>
#include <guest-kit/time.h>
#include <guest-kit/xenbus.h>
#include <xen/io/netif.h>

#include "gtest.h"

/*
 * ip=A.B.C.D peer=A.B.C.D [fuzz=N]
 *   Connects to its first vif itself (not through netfront), with one
 *   event channel and feature-sg, and sends what a broken or malicious
 *   frontend would. Packets the backend must answer with an error and
 *   then carry on: frames shorter than an Ethernet header, slots crossing
 *   the end of their page or starting past it, unknown, foreign and
 *   revoked grant references, later slots longer than the packet, 19 data
 *   slots, unknown and repeated extra-info types, GSO without a size,
 *   blank checksums on frames that have no TCP/UDP header, two packets
 *   with one id; each is followed by a good frame that must go through.
 *   Receive buffers with unknown, foreign, read-only and revoked grants
 *   must come back as errors (the frames are ARP replies from the peer,
 *   which it asks for), after which good buffers get a valid ARP reply.
 *   Then floods of notifications and of random slots, and ring protocol
 *   violations that must make the backend close the vif: tx req_prod far
 *   ahead and moved backwards, a packet continuing past req_prod, 21 data
 *   slots, rx req_prod far ahead. After each it reconnects and checks that
 *   a frame still goes through. Ends with "nethostile: done, <n> failures".
 */
const char gk_program_name[] = "nethostile";

#define S               1000000000ull
#define MS              1000000ull
#define ANSWER_NS       (5 * S)
#define STATE_NS        (10 * S)
#define PAGE            4096u
#define RX_PAGES        16u
#define ETH_P_RAW       0x88b5      /* IEEE local experimental: the others ignore it */
#define BAD_REF         0x7ffffu    /* far beyond any grant table we have */
#define FOREIGN_DOMID   0x7ff0u     /* a domain id nobody has */

struct conn {
    uint32_t devid;
    char fe[32], be[128];
    domid_t beid;
    uint8_t mac[6];
    netif_tx_front_ring_t tx;
    netif_rx_front_ring_t rx;
    netif_tx_sring_t *txs;
    netif_rx_sring_t *rxs;
    int tx_ref, rx_ref;
    evtchn_port_t port;
    bool up;
};

static struct conn conn;
static volatile unsigned int events;
static uint8_t *data;               /* tx data, granted read-only as data_ref */
static int data_ref;
static uint8_t *rxpage[RX_PAGES];   /* rx buffers, granted writable */
static int rxref[RX_PAGES];
static int ro_ref, foreign_ref, revoked_ref;
static uint32_t my_ip, peer_ip;
static uint16_t next_id;
static unsigned int reconnects;
static uint64_t rng = 0x243f6a8885a308d3ull;

static uint32_t rnd(void)
{
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(rng >> 33);
}

static void on_event(evtchn_port_t port, void *arg)
{
    (void)port;
    (void)arg;
    events++;
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)(v >> 16));
    put16(p + 2, (uint16_t)v);
}

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* ---- connection ---- */

static int read_num(const char *dir, const char *key, uint64_t *v)
{
    char path[192], buf[32], *end;
    int rc;

    snprintf(path, sizeof(path), "%s/%s", dir, key);
    rc = gk_xs_read(GK_XBT_NIL, path, buf, sizeof(buf));
    if (rc < 0)
        return rc;
    *v = strtoull(buf, &end, 10);
    return end == buf || *end ? -EINVAL : 0;
}

static int fe_write(const char *key, unsigned int v)
{
    char path[96];

    snprintf(path, sizeof(path), "%s/%s", conn.fe, key);
    return gk_xs_printf(GK_XBT_NIL, path, "%u", v);
}

/* The toolstack's keys, once: backend, its domain, our address. */
static int discover(uint32_t devid)
{
    char path[96], mac[32];
    uint64_t v;

    conn.devid = devid;
    snprintf(conn.fe, sizeof(conn.fe), "device/vif/%u", devid);
    snprintf(path, sizeof(path), "%s/backend", conn.fe);
    if (gk_xs_read(GK_XBT_NIL, path, conn.be, sizeof(conn.be)) <= 0 ||
        read_num(conn.fe, "backend-id", &v) < 0)
        return -ENODEV;
    conn.beid = (domid_t)v;
    snprintf(path, sizeof(path), "%s/mac", conn.fe);
    if (gk_xs_read(GK_XBT_NIL, path, mac, sizeof(mac)) != 17)
        return -EINVAL;
    for (int i = 0; i < 6; i++) {
        int hi = hexval(mac[3 * i]), lo = hexval(mac[3 * i + 1]);

        if (hi < 0 || lo < 0)
            return -EINVAL;
        conn.mac[i] = (uint8_t)(hi << 4 | lo);
    }
    conn.txs = aligned_alloc(PAGE, PAGE);
    conn.rxs = aligned_alloc(PAGE, PAGE);
    if (!conn.txs || !conn.rxs)
        return -ENOMEM;
    conn.tx_ref = gk_grant_access(conn.beid, (uintptr_t)conn.txs >> 12, false);
    conn.rx_ref = gk_grant_access(conn.beid, (uintptr_t)conn.rxs >> 12, false);
    return conn.tx_ref < 0 ? conn.tx_ref : conn.rx_ref < 0 ? conn.rx_ref : 0;
}

/* Fresh rings (the same pages and grants), a new channel, Connected both ways. */
static int connect(void)
{
    enum xenbus_state now;
    int rc;

    if (gk_xenbus_read_state(conn.fe) != XenbusStateInitialising)
        gk_xenbus_switch_state(conn.fe, XenbusStateInitialising);
    rc = gk_xenbus_wait_state(conn.be, 1u << XenbusStateInitWait, STATE_NS, &now);
    if (rc < 0)
        return rc;
    SHARED_RING_INIT(conn.txs);
    FRONT_RING_INIT(&conn.tx, conn.txs, PAGE);
    SHARED_RING_INIT(conn.rxs);
    FRONT_RING_INIT(&conn.rx, conn.rxs, PAGE);
    rc = gk_evtchn_alloc_unbound(conn.beid, on_event, NULL);
    if (rc < 0)
        return rc;
    conn.port = (evtchn_port_t)rc;
    rc = fe_write("tx-ring-ref", (unsigned int)conn.tx_ref);
    rc = rc ? rc : fe_write("rx-ring-ref", (unsigned int)conn.rx_ref);
    rc = rc ? rc : fe_write("event-channel", conn.port);
    rc = rc ? rc : fe_write("request-rx-copy", 1);
    rc = rc ? rc : fe_write("feature-rx-notify", 1);
    rc = rc ? rc : fe_write("feature-sg", 1);
    rc = rc ? rc : gk_xenbus_switch_state(conn.fe, XenbusStateConnected);
    if (rc < 0)
        return rc;
    rc = gk_xenbus_wait_state(conn.be, 1u << XenbusStateConnected, STATE_NS, &now);
    if (rc < 0)
        return rc;
    conn.up = true;
    return 0;
}

/* The closing handshake, from whichever side began it. */
static void disconnect(void)
{
    enum xenbus_state now;

    gk_xenbus_switch_state(conn.fe, XenbusStateClosing);
    gk_xenbus_wait_state(conn.be, 1u << XenbusStateClosing | 1u << XenbusStateClosed, STATE_NS,
                         &now);
    gk_xenbus_switch_state(conn.fe, XenbusStateClosed);
    gk_xenbus_wait_state(conn.be, 1u << XenbusStateClosed, STATE_NS, &now);
    gk_evtchn_close(conn.port);
    conn.up = false;
}

static bool reconnect(const char *what)
{
    int rc;

    disconnect();
    rc = connect();
    reconnects++;
    return GT_CHECK(rc == 0, "%s: reconnecting: %d", what, rc);
}

/* The backend went Closing (or Closed) within STATE_NS: it gave up on our rings. */
static bool backend_closed(void)
{
    enum xenbus_state now;

    return gk_xenbus_wait_state(conn.be, 1u << XenbusStateClosing | 1u << XenbusStateClosed,
                                STATE_NS, &now) == 0;
}

/* ---- transmit ---- */

static struct netif_tx_request *tx_slot(void)
{
    struct netif_tx_request *r = RING_GET_REQUEST(&conn.tx, conn.tx.req_prod_pvt);

    memset(r, 0, sizeof(*r));
    conn.tx.req_prod_pvt++;
    return r;
}

/* One data slot: the first of a packet carries the packet's size. */
static struct netif_tx_request *tx_req(grant_ref_t ref, uint16_t off, uint16_t size,
                                       uint16_t flags)
{
    struct netif_tx_request *r = tx_slot();

    r->gref = ref;
    r->offset = off;
    r->size = size;
    r->flags = flags;
    r->id = next_id++ & 0xff;
    return r;
}

static struct netif_extra_info *tx_extra(uint8_t type, uint8_t flags)
{
    struct netif_extra_info *x = (struct netif_extra_info *)tx_slot();

    x->type = type;
    x->flags = flags;
    return x;
}

/* A good single-slot frame: our own experimental ethertype, broadcast. */
static void tx_good(void)
{
    tx_req((grant_ref_t)data_ref, 0, 60, 0);
}

/* Whether asked or not: a hostile frontend notifies as it likes. */
static void tx_push(void)
{
    RING_PUSH_REQUESTS(&conn.tx);
    gk_evtchn_send(conn.port);
}

/*
 * Waits up to ANSWER_NS for `want` tx answers, or until the backend gives
 * up on the vif; statuses into st (may be NULL). Returns how many came, or
 * -1 when the answers overran what was pushed.
 */
static int tx_collect(unsigned int want, int16_t *st)
{
    uint64_t until = gk_monotonic_ns() + ANSWER_NS;
    unsigned int got = 0, naps = 0;

    while (got < want) {
        RING_IDX prod = __atomic_load_n(&conn.txs->rsp_prod, __ATOMIC_ACQUIRE);

        if (prod - conn.tx.rsp_cons > conn.tx.req_prod_pvt - conn.tx.rsp_cons)
            return -1;
        while (conn.tx.rsp_cons != prod && got < want) {
            struct netif_tx_response r;

            RING_COPY_RESPONSE(&conn.tx, conn.tx.rsp_cons, &r);
            conn.tx.rsp_cons++;
            if (st)
                st[got] = r.status;
            got++;
        }
        if (got == want || gk_monotonic_ns() > until)
            break;
        conn.txs->rsp_event = conn.tx.rsp_cons + 1;
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        if (__atomic_load_n(&conn.txs->rsp_prod, __ATOMIC_ACQUIRE) == conn.tx.rsp_cons) {
            gk_sleep_ns(MS);
            if (++naps % 20 == 0 && gk_xenbus_read_state(conn.be) != XenbusStateConnected)
                break;
        }
    }
    return (int)got;
}

/* A good frame goes through after whatever came before. */
static bool tx_works(const char *what)
{
    int16_t st[1];

    tx_good();
    tx_push();
    return GT_CHECK(tx_collect(1, st) == 1 && st[0] == XEN_NETIF_RSP_OKAY,
                    "%s: a good frame afterwards was not answered OK", what);
}

/* ---- the malformed packets ---- */

struct bad_packet {
    const char *what;
    unsigned int slots;             /* slots it takes, all answered */
    void (*queue)(void);
};

static void bad_short(void)
{
    tx_req((grant_ref_t)data_ref, 0, 10, 0);
}

static void bad_cross(void)
{
    tx_req((grant_ref_t)data_ref, 4000, 200, 0);
}

static void bad_offset(void)
{
    tx_req((grant_ref_t)data_ref, 5000, 60, 0);
}

static void bad_unknown_ref(void)
{
    tx_req(BAD_REF, 0, 60, 0);
}

static void bad_foreign_ref(void)
{
    tx_req((grant_ref_t)foreign_ref, 0, 60, 0);
}

static void bad_revoked_ref(void)
{
    tx_req((grant_ref_t)revoked_ref, 0, 60, 0);
}

static void bad_longer_tail(void)
{
    tx_req((grant_ref_t)data_ref, 0, 100, NETTXF_more_data);
    tx_req((grant_ref_t)data_ref, 1024, 200, 0);
}

static void bad_19_slots(void)
{
    for (unsigned int i = 0; i < 19; i++)
        tx_req((grant_ref_t)data_ref, (uint16_t)(i * 64), i == 0 ? 19 * 64 : 64,
               i < 18 ? NETTXF_more_data : 0);
}

static void bad_extra_type(void)
{
    tx_req((grant_ref_t)data_ref, 0, 60, NETTXF_extra_info);
    tx_extra(9, 0);
}

static void bad_extra_twice(void)
{
    struct netif_extra_info *x;

    tx_req((grant_ref_t)data_ref, 0, 60, NETTXF_extra_info);
    x = tx_extra(XEN_NETIF_EXTRA_TYPE_GSO, XEN_NETIF_EXTRA_FLAG_MORE);
    x->u.gso.size = 1000;
    x->u.gso.type = XEN_NETIF_GSO_TYPE_TCPV4;
    x = tx_extra(XEN_NETIF_EXTRA_TYPE_GSO, 0);
    x->u.gso.size = 1000;
    x->u.gso.type = XEN_NETIF_GSO_TYPE_TCPV4;
}

static void bad_gso_size(void)
{
    struct netif_extra_info *x;

    tx_req((grant_ref_t)data_ref, 0, 60, NETTXF_extra_info);
    x = tx_extra(XEN_NETIF_EXTRA_TYPE_GSO, 0);
    x->u.gso.size = 0;
    x->u.gso.type = XEN_NETIF_GSO_TYPE_TCPV4;
}

static void bad_gso_not_tcp(void)
{
    struct netif_extra_info *x;

    tx_req((grant_ref_t)data_ref, 0, 60, NETTXF_extra_info);
    x = tx_extra(XEN_NETIF_EXTRA_TYPE_GSO, 0);
    x->u.gso.size = 1400;
    x->u.gso.type = XEN_NETIF_GSO_TYPE_TCPV4;
}

static void bad_csum_blank(void)
{
    tx_req((grant_ref_t)data_ref, 0, 60, NETTXF_csum_blank);
}

static const struct bad_packet bad_packets[] = {
    { "shorter than an Ethernet header", 1, bad_short },
    { "a slot crossing the end of its page", 1, bad_cross },
    { "an offset past the page", 1, bad_offset },
    { "an unknown grant", 1, bad_unknown_ref },
    { "a grant to another domain", 1, bad_foreign_ref },
    { "a revoked grant", 1, bad_revoked_ref },
    { "later slots longer than the packet", 2, bad_longer_tail },
    { "19 data slots", 19, bad_19_slots },
    { "an unknown extra-info type", 2, bad_extra_type },
    { "GSO given twice", 3, bad_extra_twice },
    { "GSO without a size", 2, bad_gso_size },
    { "GSO on a frame that is not TCP", 2, bad_gso_not_tcp },
    { "a blank checksum without a TCP/UDP header", 1, bad_csum_blank },
};

static void test_bad_packets(void)
{
    unsigned int ok = 0, n = sizeof(bad_packets) / sizeof(bad_packets[0]);

    for (unsigned int i = 0; i < n; i++) {
        const struct bad_packet *b = &bad_packets[i];
        int16_t st[32];
        int got;

        b->queue();
        tx_good();
        tx_push();
        got = tx_collect(b->slots + 1, st);
        if (!GT_CHECK(got == (int)b->slots + 1, "%s: %d of %u slots answered", b->what, got,
                      b->slots + 1))
            continue;
        /* Data slots carry the packet's error, extra-info slots NULL; then the good one. */
        if (GT_CHECK(st[0] == XEN_NETIF_RSP_ERROR && st[b->slots] == XEN_NETIF_RSP_OKAY,
                     "%s: answered %d, then %d for a good frame", b->what, st[0],
                     st[b->slots]))
            ok++;
    }
    if (ok == n)
        printf("PASS %u malformed packets answered with errors, good frames between them "
               "sent\n", n);
}

/* Two packets with one id in one batch: the second is refused, both answered. */
static void test_duplicate_id(void)
{
    struct netif_tx_request *a, *b;
    int16_t st[2] = { 0, 0 };

    a = tx_req((grant_ref_t)data_ref, 0, 60, 0);
    b = tx_req((grant_ref_t)data_ref, 0, 60, 0);
    b->id = a->id;
    tx_push();
    if (GT_CHECK(tx_collect(2, st) == 2 && st[0] == XEN_NETIF_RSP_OKAY &&
                 st[1] == XEN_NETIF_RSP_ERROR, "two packets with one id: answered %d, %d",
                 st[0], st[1]) && tx_works("two packets with one id"))
        printf("PASS two packets with one id: the second refused, both answered\n");
}

static void test_notify_flood(void)
{
    for (unsigned int i = 0; i < 2000; i++)
        gk_evtchn_send(conn.port);
    if (tx_works("2000 notifications"))
        printf("PASS 2000 notifications for nothing, then a good frame\n");
}

/* ---- receive ---- */

static struct netif_rx_request *rx_post(grant_ref_t ref, uint16_t id)
{
    struct netif_rx_request *r = RING_GET_REQUEST(&conn.rx, conn.rx.req_prod_pvt);

    r->gref = ref;
    r->id = id;
    conn.rx.req_prod_pvt++;
    return r;
}

static void rx_push(void)
{
    RING_PUSH_REQUESTS(&conn.rx);
    gk_evtchn_send(conn.port);
}

/* An ARP request for the peer's address: its reply is a frame for us. */
static void send_arp_request(void)
{
    uint8_t *f = data + 2048;

    memset(f, 0xff, 6);
    memcpy(f + 6, conn.mac, 6);
    put16(f + 12, 0x0806);
    put16(f + 14, 1);
    put16(f + 16, 0x0800);
    f[18] = 6;
    f[19] = 4;
    put16(f + 20, 1);
    memcpy(f + 22, conn.mac, 6);
    put32(f + 28, my_ip);
    memset(f + 32, 0, 6);
    put32(f + 38, peer_ip);
    memset(f + 42, 0, 18);
    tx_req((grant_ref_t)data_ref, 2048, 60, 0);
    tx_push();
    tx_collect(1, NULL);
}

/* An ARP reply from the peer to us, in a received page. */
static bool is_arp_reply(const uint8_t *f, int len)
{
    return len >= 42 && !memcmp(f, conn.mac, 6) && f[12] == 0x08 && f[13] == 0x06 &&
           f[20] == 0 && f[21] == 2 && (uint32_t)(f[28] << 24 | f[29] << 16 | f[30] << 8 |
                                                  f[31]) == peer_ip;
}

static void test_rx(void)
{
    static const char *const kinds[4] = { "unknown", "foreign", "read-only", "revoked" };
    const grant_ref_t bad[4] = { BAD_REF, (grant_ref_t)foreign_ref, (grant_ref_t)ro_ref,
                                 (grant_ref_t)revoked_ref };
    unsigned int errors = 0, answered = 0, arp_ok = 0;
    uint64_t until;

    for (unsigned int i = 0; i < 4; i++)
        rx_post(bad[i], (uint16_t)(100 + i));
    rx_push();
    /* Frames for us until the four bad buffers are answered. */
    until = gk_monotonic_ns() + ANSWER_NS;
    while (answered < 4 && gk_monotonic_ns() < until) {
        send_arp_request();
        gk_sleep_ns(20 * MS);
        while (conn.rx.rsp_cons != __atomic_load_n(&conn.rxs->rsp_prod, __ATOMIC_ACQUIRE) &&
               answered < 4) {
            struct netif_rx_response r;

            RING_COPY_RESPONSE(&conn.rx, conn.rx.rsp_cons, &r);
            GT_CHECK(r.id == 100 + answered, "rx answer %u has id %u", answered, r.id);
            if (GT_CHECK(r.status < 0, "a %s grant as rx buffer: status %d",
                         kinds[answered], r.status))
                errors++;
            conn.rx.rsp_cons++;
            answered++;
        }
    }
    if (GT_CHECK(errors == 4, "rx: %u of 4 bad buffers answered with errors", errors))
        printf("PASS rx buffers with unknown, foreign, read-only and revoked grants answered "
               "with errors\n");

    /* Good buffers (two with one id, which the backend only echoes): a real reply. */
    for (unsigned int i = 0; i < RX_PAGES; i++)
        rx_post((grant_ref_t)rxref[i], (uint16_t)(i < 2 ? 7 : i));
    rx_push();
    until = gk_monotonic_ns() + ANSWER_NS;
    while (!arp_ok && gk_monotonic_ns() < until) {
        send_arp_request();
        gk_sleep_ns(20 * MS);
        while (conn.rx.rsp_cons != __atomic_load_n(&conn.rxs->rsp_prod, __ATOMIC_ACQUIRE)) {
            struct netif_rx_response r;
            uint16_t id;

            RING_COPY_RESPONSE(&conn.rx, conn.rx.rsp_cons, &r);
            conn.rx.rsp_cons++;
            id = r.id == 7 ? 0 : r.id;
            if (GT_CHECK(id < RX_PAGES, "rx answer with id %u, never posted", r.id) &&
                r.status > 0 && r.offset + r.status <= (int)PAGE &&
                is_arp_reply(rxpage[id] + r.offset, r.status))
                arp_ok++;
            if (id < RX_PAGES)
                rx_post((grant_ref_t)rxref[id], r.id);
        }
        rx_push();
    }
    if (GT_CHECK(arp_ok, "no ARP reply from the peer in good rx buffers"))
        printf("PASS good rx buffers afterwards: the peer's ARP reply received\n");
}

/* ---- ring protocol violations ---- */

static void break_tx_ahead(void)
{
    tx_good();
    conn.tx.req_prod_pvt += 1000;
    tx_push();
}

static void break_tx_backwards(void)
{
    tx_good();
    tx_push();
    tx_collect(1, NULL);
    conn.txs->req_prod -= 5;
    gk_evtchn_send(conn.port);
}

static void break_tx_unfinished(void)
{
    tx_req((grant_ref_t)data_ref, 0, 200, NETTXF_more_data);
    tx_push();
}

static void break_tx_21_slots(void)
{
    for (unsigned int i = 0; i < 21; i++)
        tx_req((grant_ref_t)data_ref, (uint16_t)(i * 64), i == 0 ? 21 * 64 : 64,
               i < 20 ? NETTXF_more_data : 0);
    tx_push();
}

static void break_rx_ahead(void)
{
    rx_post((grant_ref_t)rxref[0], 0);
    conn.rx.req_prod_pvt += 1000;
    rx_push();
    send_arp_request();
}

static const struct {
    const char *what;
    void (*brk)(void);
} violations[] = {
    { "tx req_prod 1000 ahead", break_tx_ahead },
    { "tx req_prod moved backwards", break_tx_backwards },
    { "a packet continuing past req_prod", break_tx_unfinished },
    { "21 data slots", break_tx_21_slots },
    { "rx req_prod 1000 ahead", break_rx_ahead },
};

static void test_violations(void)
{
    for (unsigned int i = 0; i < sizeof(violations) / sizeof(violations[0]); i++) {
        const char *what = violations[i].what;

        violations[i].brk();
        if (!GT_CHECK(backend_closed(), "%s: the backend did not close the vif", what))
            return;
        printf("PASS %s: the backend closed the vif\n", what);
        if (!reconnect(what) || !tx_works(what))
            return;
        printf("PASS reconnected after %s: frames go through\n", what);
    }
}

/*
 * Random slots: every answer must be a status a backend may give, and the
 * backend either answers every slot or gives up on the ring.
 */
static void test_fuzz(unsigned int rounds)
{
    unsigned int broken = 0, answered = 0;

    for (unsigned int r = 0; r < rounds; r++) {
        const grant_ref_t refs[5] = { (grant_ref_t)data_ref, BAD_REF, (grant_ref_t)foreign_ref,
                                      (grant_ref_t)revoked_ref, rnd() };
        unsigned int n = 1 + rnd() % 48;
        int16_t st[64];
        int got;

        for (unsigned int i = 0; i < n; i++) {
            struct netif_tx_request *q = tx_slot();
            uint32_t k = rnd();

            q->gref = k & 1 ? refs[0] : refs[rnd() % 5];
            q->offset = (uint16_t)(k & 2 ? rnd() % PAGE : rnd());
            q->size = (uint16_t)(k & 4 ? rnd() % 1600 : rnd());
            q->flags = (uint16_t)(rnd() & 0xf);
            q->id = (uint16_t)rnd();
        }
        /* The last slot ends its packet, so a full answer is possible. */
        RING_GET_REQUEST(&conn.tx, conn.tx.req_prod_pvt - 1)->flags &=
            (uint16_t)~(NETTXF_more_data | NETTXF_extra_info);
        tx_push();
        got = tx_collect(n, st);
        for (int i = 0; i < got; i++)
            GT_CHECK(st[i] == XEN_NETIF_RSP_OKAY || st[i] == XEN_NETIF_RSP_ERROR ||
                     st[i] == XEN_NETIF_RSP_NULL || st[i] == XEN_NETIF_RSP_DROPPED,
                     "fuzz round %u: status %d", r, st[i]);
        answered += got > 0 ? (unsigned int)got : 0;
        if (got == (int)n)
            continue;
        /* Fewer answers: an extra-info chain or slot count the backend calls broken. */
        if (!GT_CHECK(got >= 0 && backend_closed(), "fuzz round %u: %d of %u slots answered "
                      "and the vif still open", r, got, n))
            return;
        broken++;
        if (!reconnect("fuzz"))
            return;
    }
    if (tx_works("fuzz"))
        printf("PASS fuzz: %u rounds of random slots (%u answered, %u broken rings, each "
               "reconnected), then a good frame\n", rounds, answered, broken);
}

int main(int argc, char **argv)
{
    const char *ip = gt_arg(argc, argv, "ip"), *peer = gt_arg(argc, argv, "peer");
    unsigned int fuzz = (unsigned int)gt_arg_num(argc, argv, "fuzz", 100);
    uint32_t devid;
    uint8_t *ro, *spare;
    int rc;

    if (!ip || !gk_ipv4_parse(ip, &my_ip) || !peer || !gk_ipv4_parse(peer, &peer_ip))
        gk_panic("give ip=A.B.C.D peer=A.B.C.D");
    rc = gk_netfront_list(&devid, 1);
    if (!GT_CHECK(rc >= 1, "no network interface (%d)", rc))
        return gt_finish("nethostile");
    rc = discover(devid);
    if (!GT_CHECK(rc == 0, "vif %u: %d", devid, rc))
        return gt_finish("nethostile");

    data = aligned_alloc(PAGE, PAGE);
    ro = aligned_alloc(PAGE, PAGE);
    spare = aligned_alloc(PAGE, PAGE);
    if (!data || !ro || !spare)
        gk_panic("out of memory");
    /* The frame every good packet sends: broadcast, our ethertype, a pattern. */
    memset(data, 0xa5, PAGE);
    memset(data, 0xff, 6);
    memcpy(data + 6, conn.mac, 6);
    put16(data + 12, ETH_P_RAW);
    data_ref = gk_grant_access(conn.beid, (uintptr_t)data >> 12, true);
    ro_ref = gk_grant_access(conn.beid, (uintptr_t)ro >> 12, true);
    foreign_ref = gk_grant_access(FOREIGN_DOMID, (uintptr_t)spare >> 12, false);
    if (data_ref < 0 || ro_ref < 0 || foreign_ref < 0)
        gk_panic("cannot set up grants");
    for (unsigned int i = 0; i < RX_PAGES; i++) {
        rxpage[i] = aligned_alloc(PAGE, PAGE);
        if (!rxpage[i])
            gk_panic("out of memory");
        rxref[i] = gk_grant_access(conn.beid, (uintptr_t)rxpage[i] >> 12, false);
        if (rxref[i] < 0)
            gk_panic("cannot grant rx buffers");
    }
    /* Revoked last: nothing granted after it may take its reference again. */
    revoked_ref = gk_grant_access(conn.beid, (uintptr_t)spare >> 12, false);
    if (revoked_ref < 0 || gk_grant_end_access((grant_ref_t)revoked_ref) < 0)
        gk_panic("cannot set up grants");

    rc = connect();
    if (!GT_CHECK(rc == 0, "vif %u: connect: %d", devid, rc))
        return gt_finish("nethostile");
    if (tx_works("the first frame"))
        printf("PASS a valid frame is sent\n");
    test_bad_packets();
    test_duplicate_id();
    test_notify_flood();
    test_rx();
    test_violations();
    test_fuzz(fuzz);
    printf("nethostile: %u reconnections, %u events\n", reconnects, events);
    disconnect();
    return gt_finish("nethostile");
}
