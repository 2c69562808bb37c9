/* nettest.c: netfront test guest: ping, UDP and TCP echo against a peer, jumbo frames, hotplug. */
/* SPDX-License-Identifier: MIT */
/*
 * Arguments (extra = "key=value ..."):
 *   ip=A.B.C.D/LEN       the first interface's address
 *   peer=A.B.C.D         an echo server (net-echo) to test against
 *   pings=N udp=N tcp=BYTES tcpconns=N   how much of each test (0 skips)
 *   jumbo=MAC N          raw frames of 1515..65535 bytes to another nettest,
 *   jumbos=N             which echoes them (every nettest does)
 *   single=1 nosg=1      driver options for the interfaces it opens
 *   mode=client          the tests on vif 0, then serve until shutdown
 *   mode=hotplug rounds=N hotip=A.B.C.D/LEN
 *                        vif 0 as in client mode; then, each round, waits for
 *                        an interface to be attached, tests it, keeps UDP going
 *                        on it until it is detached, and checks vif 0 again
 *   mode=loop            the client tests over and over until shutdown
 *   mode=evil rounds=N   vif 0 as in client mode; then N vifs offered by
 *                        tests/netfront/evil-netback, each lying in one way
 *
 * Lines: "PASS <what>", "FAIL <what>: <why>", "HOTPLUG ...", "nettest: done, N failures".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <guest-kit/guest-kit.h>
#include <guest-kit/net.h>
#include <guest-kit/netfront.h>
#include <guest-kit/xenbus.h>

#include "gtest.h"

const char gk_program_name[] = "nettest";

#define MAX_NICS        4
#define RAW_TYPE        0x88b5      /* IEEE local experimental ethertype */
#define RAW_HDR         20          /* Ethernet header, kind, pad, sequence number */
#define PATTERN_LEN     (65536 + 256)
#define ECHO_PORT       7
#define MS              1000000ull
#define SEC             1000000000ull

struct nic {
    struct gk_netif netif;
    uint32_t devid;
    bool open;
    /* ARP and ping, done by hand: the stack has no ping client. */
    uint32_t arp_ip;
    uint8_t arp_mac[6];
    bool arp_done;
    uint16_t ping_id, ping_seq;
    size_t ping_len;
    bool ping_ok;
    /* Raw jumbo frames. */
    uint32_t raw_wait;
    bool raw_got, raw_bad;
    uint64_t raw_echoed;
};

static struct nic nics[MAX_NICS];
static uint8_t pattern[PATTERN_LEN] __attribute__((aligned(8)));
static uint8_t frame_buf[GK_NETFRONT_MAX_FRAME + 64] __attribute__((aligned(8)));
static uint32_t peer;
static struct gk_netfront_options options;

/* ---- helpers ---- */

static void fill_pattern(void)
{
    uint64_t *w = (uint64_t *)pattern, x = 0x9e3779b97f4a7c15ull;

    for (size_t i = 0; i < PATTERN_LEN / 8; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        w[i] = x;
    }
}

static void parse_cidr(const char *s, uint32_t *addr, uint32_t *mask)
{
    const char *rest = s ? gk_ipv4_parse(s, addr) : NULL;
    unsigned long len;

    if (!rest || *rest != '/')
        gk_panic("bad address/prefix '%s'", s ? s : "(none)");
    len = strtoul(rest + 1, NULL, 10);
    if (len < 1 || len > 32)
        gk_panic("bad prefix in '%s'", s);
    *mask = len == 32 ? 0xffffffffu : ~(0xffffffffu >> len);
}

static bool parse_mac(const char *s, uint8_t mac[6])
{
    for (int i = 0; i < 6; i++) {
        char *end;
        unsigned long v = strtoul(s, &end, 16);

        if (end != s + 2 || v > 255 || (i < 5 && *end != ':'))
            return false;
        mac[i] = (uint8_t)v;
        s = end + 1;
    }
    return true;
}

static uint16_t csum(const void *data, size_t len, uint32_t sum)
{
    const uint8_t *p = data;

    for (size_t i = 0; i + 1 < len; i += 2)
        sum += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (len & 1)
        sum += (uint32_t)p[len - 1] << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
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

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)get16(p) << 16 | get16(p + 2);
}

static struct gk_netfront *dev(struct nic *n)
{
    return gk_netfront_netif_device(&n->netif);
}

/* ---- frames seen before the stack ---- */

static void raw_frame(struct nic *n, const uint8_t *f, size_t len)
{
    uint32_t seq = get32(f + 16);
    bool good = len >= RAW_HDR &&
                !memcmp(f + RAW_HDR, pattern + (seq & 0xff), len - RAW_HDR);

    if (f[14] == 'Q' && !memcmp(f, n->netif.mac, 6)) {
        if (!good)
            return;     /* a damaged request is not echoed: the sender times out and says so */
        memcpy(frame_buf, f + 6, 6);
        memcpy(frame_buf + 6, n->netif.mac, 6);
        memcpy(frame_buf + 12, f + 12, len - 12);
        frame_buf[14] = 'R';
        if (gk_netfront_send(dev(n), frame_buf, len) == 0)
            n->raw_echoed++;
    } else if (f[14] == 'R' && seq == n->raw_wait) {
        n->raw_got = true;
        n->raw_bad = !good;
    }
}

static void on_frame(struct gk_netfront *nf, const void *frame, size_t len, void *arg)
{
    struct nic *n = arg;
    const uint8_t *f = frame;
    uint16_t type = get16(f + 12);

    (void)nf;
    if (type == RAW_TYPE) {
        raw_frame(n, f, len);
        return;
    }
    if (type == 0x0806 && len >= 42 && get16(f + 20) == 2 && get32(f + 28) == n->arp_ip) {
        memcpy(n->arp_mac, f + 22, 6);
        n->arp_done = true;
    }
    if (type == 0x0800 && len >= 42 && f[14] == 0x45 && f[23] == 1 && f[34] == 0 &&
        get16(f + 38) == n->ping_id && get16(f + 40) == n->ping_seq &&
        get16(f + 16) == (uint16_t)(n->ping_len + 28) && len >= 14 + 28 + n->ping_len &&
        !memcmp(f + 42, pattern + n->ping_seq, n->ping_len))
        n->ping_ok = true;
    gk_net_input(&n->netif, frame, len);
}

/* ---- the main loop ---- */

typedef bool done_fn(void *arg);

/*
 * Runs every open interface (frames in, the stack's timers) until done(arg)
 * or the timeout; true if done.
 */
static bool run_until(done_fn *done, void *arg, uint64_t timeout_ns)
{
    uint64_t deadline = gk_monotonic_ns() + timeout_ns;

    for (;;) {
        uint64_t now = gk_monotonic_ns(), next = deadline;

        for (int i = 0; i < MAX_NICS; i++) {
            struct nic *n = &nics[i];
            uint64_t poll;

            if (!n->open)
                continue;
            gk_netfront_receive(dev(n), on_frame, n, 0);
            poll = gk_net_poll(&n->netif, now / MS) * MS;
            if (poll < next)
                next = poll;
        }
        if (done && done(arg))
            return true;
        if (gk_monotonic_ns() >= deadline)
            return false;
        gk_netfront_wait(next);
    }
}

static bool flag_set(void *arg)
{
    return *(volatile bool *)arg;
}

static int nic_open(struct nic *n, uint32_t devid, const char *cidr,
                    const struct gk_netfront_options *opts)
{
    /* Each connection we close holds its slot for TIME_WAIT (2 s): mode=loop opens many. */
    struct gk_net_config cfg = { .seed = gk_rdtsc() ^ devid, .tcp_max_conns = 64 };
    int rc;

    memset(n, 0, sizeof(*n));
    n->devid = devid;
    parse_cidr(cidr, &n->netif.addr, &n->netif.netmask);
    rc = gk_netfront_netif_attach(&n->netif, devid, opts);
    if (rc < 0)
        return rc;
    rc = gk_netif_init(&n->netif, &cfg);
    if (rc < 0) {
        gk_netfront_netif_detach(&n->netif);
        return rc;
    }
    n->ping_id = (uint16_t)(0x4000 + devid);
    n->open = true;
    return 0;
}

static void nic_close(struct nic *n)
{
    if (!n->open)
        return;
    n->open = false;
    gk_netif_destroy(&n->netif);
    gk_netfront_netif_detach(&n->netif);
}

/* ---- ping by hand ---- */

static bool arp_resolve(struct nic *n, uint32_t ip)
{
    uint8_t *f = frame_buf;

    n->arp_ip = ip;
    n->arp_done = false;
    for (int tries = 0; tries < 30 && !n->arp_done; tries++) {
        memset(f, 0, 60);
        memset(f, 0xff, 6);
        memcpy(f + 6, n->netif.mac, 6);
        put16(f + 12, 0x0806);
        put16(f + 14, 1);
        put16(f + 16, 0x0800);
        f[18] = 6;
        f[19] = 4;
        put16(f + 20, 1);
        memcpy(f + 22, n->netif.mac, 6);
        put32(f + 28, n->netif.addr);
        put32(f + 38, ip);
        gk_netfront_send(dev(n), f, 60);
        run_until(flag_set, &n->arp_done, 500 * MS);
    }
    return n->arp_done;
}

static bool ping_once(struct nic *n, uint32_t ip, uint16_t seq, size_t size)
{
    uint8_t *f = frame_buf;

    n->ping_seq = seq;
    n->ping_len = size;
    for (int tries = 0; tries < 5; tries++) {
        n->ping_ok = false;
        memcpy(f, n->arp_mac, 6);
        memcpy(f + 6, n->netif.mac, 6);
        put16(f + 12, 0x0800);
        f[14] = 0x45;
        f[15] = 0;
        put16(f + 16, (uint16_t)(28 + size));
        put16(f + 18, seq);
        put16(f + 20, 0x4000);
        f[22] = 64;
        f[23] = 1;
        put16(f + 24, 0);
        put32(f + 26, n->netif.addr);
        put32(f + 30, ip);
        put16(f + 24, csum(f + 14, 20, 0));
        f[34] = 8;
        f[35] = 0;
        put16(f + 36, 0);
        put16(f + 38, n->ping_id);
        put16(f + 40, seq);
        memcpy(f + 42, pattern + seq, size);
        put16(f + 36, csum(f + 34, 8 + size, 0));
        gk_netfront_send(dev(n), f, 42 + size < 60 ? 60 : 42 + size);
        if (run_until(flag_set, &n->ping_ok, SEC))
            return true;
    }
    return false;
}

static void test_ping(struct nic *n, const char *what, unsigned int count)
{
    static const size_t sizes[] = { 56, 1000, 1472, 8 };
    unsigned int ok = 0;

    if (!count)
        return;
    if (!arp_resolve(n, peer)) {
        GT_CHECK(false, "%s: ARP: the peer never answered", what);
        return;
    }
    for (unsigned int i = 0; i < count; i++)
        ok += ping_once(n, peer, (uint16_t)(i + 1), sizes[i % 4]);
    if (GT_CHECK(ok == count, "%s: ping: %u of %u echo replies intact", what, ok, count))
        printf("PASS %s: ping: %u echo replies of 8 to 1472 bytes intact\n", what, count);
}

/* ---- UDP echo ---- */

static struct {
    bool got;
    size_t len;
    uint8_t data[1500];
} udp_rx;

static void udp_recv(struct gk_netif *netif, uint32_t src, uint16_t src_port, uint16_t dst_port,
                     const void *data, size_t len, void *arg)
{
    (void)netif;
    (void)dst_port;
    (void)arg;
    if (src != peer || src_port != ECHO_PORT || len > sizeof(udp_rx.data))
        return;
    memcpy(udp_rx.data, data, len);
    udp_rx.len = len;
    udp_rx.got = true;
}

static bool udp_once(struct nic *n, uint16_t port, unsigned int i, size_t size)
{
    const uint8_t *want = pattern + ((i * 7) & 0xff);

    for (int tries = 0; tries < 5; tries++) {
        udp_rx.got = false;
        gk_udp_sendto(&n->netif, port, peer, ECHO_PORT, want, size);
        if (run_until(flag_set, &udp_rx.got, SEC))
            return udp_rx.len == size && !memcmp(udp_rx.data, want, size);
    }
    return false;
}

static void test_udp(struct nic *n, const char *what, unsigned int count)
{
    static const size_t sizes[] = { 1, 18, 64, 333, 1000, 1472 };
    unsigned int ok = 0;
    int port;

    if (!count)
        return;
    port = gk_udp_bind(&n->netif, 0, udp_recv, NULL);
    if (!GT_CHECK(port > 0, "%s: UDP: bind: %d", what, port))
        return;
    for (unsigned int i = 0; i < count; i++)
        ok += udp_once(n, (uint16_t)port, i, sizes[i % 6]);
    gk_udp_unbind(&n->netif, (uint16_t)port);
    if (GT_CHECK(ok == count, "%s: UDP echo: %u of %u datagrams intact", what, ok, count))
        printf("PASS %s: UDP echo: %u datagrams of 1 to 1472 bytes intact\n", what, count);
}

/* ---- TCP echo ---- */

struct tcp_run {
    struct gk_tcp_conn *conn;
    size_t total, sent, recvd;
    unsigned int off;
    bool connected, eof, failed, bad;
};

static size_t tcp_recv(struct gk_tcp_conn *c, const void *data, size_t len, void *arg)
{
    struct tcp_run *t = arg;

    (void)c;
    if (t->recvd + len > t->total || memcmp(data, pattern + t->off + t->recvd, len))
        t->bad = true;
    t->recvd += len;
    return len;
}

static void tcp_event(struct gk_tcp_conn *c, enum gk_tcp_event ev, void *arg)
{
    struct tcp_run *t = arg;

    (void)c;
    if (ev == GK_TCP_CONNECTED)
        t->connected = true;
    else if (ev == GK_TCP_EOF)
        t->eof = true;
    else
        t->failed = true;
}

static const struct gk_tcp_callbacks tcp_cbs = { .recv = tcp_recv, .event = tcp_event };

static bool tcp_progress(void *arg)
{
    struct tcp_run *t = arg;

    if (t->failed || t->bad)
        return true;
    if (t->conn && t->connected && t->sent < t->total) {
        int n = gk_tcp_send(t->conn, pattern + t->off + t->sent, t->total - t->sent);

        if (n > 0)
            t->sent += (size_t)n;
    }
    return t->eof;
}

static bool tcp_once(struct nic *n, unsigned int i, size_t bytes)
{
    struct tcp_run t = { .total = bytes, .off = (i * 13) & 0xff };
    bool ok;

    if (gk_tcp_connect(&n->netif, peer, ECHO_PORT, &tcp_cbs, &t, &t.conn) < 0)
        return false;
    /* Everything sent and echoed, then our FIN, then the server's. */
    run_until(tcp_progress, &t, 0);
    for (uint64_t end = gk_monotonic_ns() + 60 * SEC; gk_monotonic_ns() < end;) {
        if (t.failed || t.bad || t.eof)
            break;
        if (t.recvd == t.total && t.sent == t.total) {
            gk_tcp_shutdown(t.conn);
            run_until(tcp_progress, &t, 20 * SEC);
            break;
        }
        run_until(tcp_progress, &t, 100 * MS);
    }
    ok = !t.failed && !t.bad && t.eof && t.recvd == t.total;
    if (!ok)
        printf("nettest: TCP connection %u: sent %zu, echoed %zu of %zu%s%s%s\n", i, t.sent,
               t.recvd, t.total, t.failed ? ", failed" : "", t.bad ? ", damaged" : "",
               t.eof ? "" : ", no EOF");
    if (t.failed)
        return false;
    gk_tcp_close(t.conn);
    return ok;
}

static void test_tcp(struct nic *n, const char *what, size_t bytes, unsigned int conns)
{
    unsigned int ok = 0;

    if (!bytes || !conns)
        return;
    if (bytes > 65536)
        bytes = 65536;
    for (unsigned int i = 0; i < conns; i++)
        ok += tcp_once(n, i, bytes);
    if (GT_CHECK(ok == conns, "%s: TCP echo: %u of %u connections intact", what, ok, conns))
        printf("PASS %s: TCP echo: %u connection(s) of %zu bytes each way intact\n", what,
               conns, bytes);
}

/* ---- raw jumbo frames (several ring slots each) ---- */

static bool raw_once(struct nic *n, const uint8_t *dst, uint32_t seq, size_t len)
{
    uint8_t *f = frame_buf;

    for (int tries = 0; tries < 5; tries++) {
        memcpy(f, dst, 6);
        memcpy(f + 6, n->netif.mac, 6);
        put16(f + 12, RAW_TYPE);
        f[14] = 'Q';
        f[15] = 0;
        put32(f + 16, seq);
        memcpy(f + RAW_HDR, pattern + (seq & 0xff), len - RAW_HDR);
        n->raw_wait = seq;
        n->raw_got = false;
        if (gk_netfront_send(dev(n), f, len) < 0) {
            run_until(NULL, NULL, 10 * MS);
            continue;
        }
        if (run_until(flag_set, &n->raw_got, tries == 0 && seq == 1 ? 20 * SEC : SEC))
            return !n->raw_bad;
    }
    return false;
}

static void test_jumbo(struct nic *n, const char *what, const uint8_t *dst, unsigned int count)
{
    static const size_t sizes[] = { 1515, 4096, 4097, 9014, 16000, 40000, 65535, 2000 };
    const struct gk_netfront_info *info = gk_netfront_info(dev(n));
    unsigned int ok = 0;

    if (!count)
        return;
    if (!GT_CHECK(info->sg, "%s: jumbo frames need sg, which the interface lacks", what))
        return;
    for (unsigned int i = 0; i < count; i++)
        ok += raw_once(n, dst, i + 1, sizes[i % 8]);
    if (GT_CHECK(ok == count, "%s: jumbo frames: %u of %u echoed intact", what, ok, count))
        printf("PASS %s: jumbo frames: %u of 1515 to 65535 bytes echoed intact (several "
               "slots each way)\n", what, count);
}

/* ---- the modes ---- */

struct plan {
    unsigned int pings, udp, tcpconns, jumbos;
    size_t tcp;
    bool jumbo;
    uint8_t jumbo_mac[6];
};

static void run_tests(struct nic *n, const char *what, const struct plan *p)
{
    test_ping(n, what, p->pings);
    test_udp(n, what, p->udp);
    test_tcp(n, what, p->tcp, p->tcpconns);
    if (p->jumbo)
        test_jumbo(n, what, p->jumbo_mac, p->jumbos);
}

static void print_stats(struct nic *n)
{
    struct gk_netfront_stats s;
    const struct gk_netfront_info *info = gk_netfront_info(dev(n));

    gk_netfront_stats(dev(n), &s);
    printf("nettest: vif %u: %s, %s channel%s: tx %llu frames (%llu slots, %llu errors, %llu "
           "no room), rx %llu frames (%llu gathered, %llu errors), %llu notifies, %llu "
           "events, %llu jumbo echoed\n", n->devid, info->sg ? "sg" : "no sg",
           info->split_events ? "split" : "one", info->split_events ? "s" : "",
           (unsigned long long)s.tx_frames, (unsigned long long)s.tx_slots,
           (unsigned long long)s.tx_errors, (unsigned long long)s.tx_no_room,
           (unsigned long long)s.rx_frames, (unsigned long long)s.rx_gathered,
           (unsigned long long)s.rx_errors, (unsigned long long)s.notifies,
           (unsigned long long)s.events, (unsigned long long)n->raw_echoed);
}

/* Hotplug events, noted by the watch and acted on by the main loop. */
static struct {
    uint32_t added, removed;
    bool got_added, got_removed;
    bool initial_done;
} hp;

static void hotplug(uint32_t devid, bool present, void *arg)
{
    (void)arg;
    if (devid == 0)
        return;
    if (present) {
        hp.added = devid;
        hp.got_added = true;
    } else {
        hp.removed = devid;
        hp.got_removed = true;
    }
}

static bool hot_gone(void *arg)
{
    struct nic *n = arg;

    return hp.got_removed || !gk_netfront_connected(dev(n));
}

/* UDP to the peer every 20 ms while the interface lives: traffic in flight at detach. */
static void keep_busy(struct nic *n)
{
    static const uint8_t junk[512];
    int port = gk_udp_bind(&n->netif, 0, udp_recv, NULL);

    while (!hot_gone(n)) {
        gk_udp_sendto(&n->netif, (uint16_t)(port > 0 ? port : 9999), peer, ECHO_PORT, junk,
                      sizeof(junk));
        run_until(hot_gone, n, 20 * MS);
    }
}

static void hotplug_rounds(int argc, char **argv, const struct plan *p)
{
    unsigned int rounds = (unsigned int)gt_arg_num(argc, argv, "rounds", 2);
    static const struct gk_netfront_options lean = { .no_sg = true,
                                                      .single_event_channel = true,
                                                      .rx_buffers = 32, .tx_pages = 8 };
    struct plan small = *p;
    struct nic *hot = &nics[1];
    char what[48];

    small.jumbo = false;
    if (!GT_CHECK(gk_netfront_watch(hotplug, NULL) == 0, "hotplug watch"))
        return;
    printf("HOTPLUG watching\n");
    for (unsigned int r = 0; r < rounds; r++) {
        uint64_t t0;
        int rc;

        hp.got_added = hp.got_removed = false;
        if (!run_until(flag_set, &hp.got_added, 120 * SEC)) {
            GT_CHECK(false, "round %u: no interface was attached", r);
            return;
        }
        snprintf(what, sizeof(what), "round %u vif %u", r, hp.added);
        rc = nic_open(hot, hp.added, gt_arg(argc, argv, "hotip"), r & 1 ? &lean : NULL);
        if (!GT_CHECK(rc == 0, "%s: open: %d", what, rc))
            return;
        printf("PASS %s: attached and connected (%s)\n", what, r & 1 ?
               "one event channel, no sg, 32 rx buffers" : "defaults");
        run_tests(hot, what, &small);
        print_stats(hot);
        printf("HOTPLUG busy devid=%u round=%u\n", hot->devid, r);
        keep_busy(hot);
        t0 = gk_monotonic_ns();
        /* The driver answered the backend's Closing from its watch: the interface is down. */
        run_until(hot_gone, hot, 30 * SEC);
        GT_CHECK(!gk_netfront_connected(dev(hot)), "%s: still connected after detach", what);
        GT_CHECK(gk_netfront_send(dev(hot), frame_buf, 60) == -ENODEV,
                 "%s: sending after detach did not fail with -ENODEV", what);
        nic_close(hot);
        run_until(flag_set, &hp.got_removed, 30 * SEC);
        if (GT_CHECK(hp.got_removed && hp.removed == hot->devid,
                     "%s: the driver did not see the interface go", what))
            printf("PASS round %u: vif %u detached and closed in %llu ms\n", r, hot->devid,
                   (unsigned long long)((gk_monotonic_ns() - t0) / MS));
        /* The first interface is unharmed. */
        test_ping(&nics[0], "vif 0 after detach", 2);
    }
}

/*
 * mode=evil: tests/netfront/evil-netback offers vifs 10, 11, ... that each
 * lie in one way. Each is opened, sent a frame and run until it stops (or
 * the backend closes it after a bad frame followed by a good one); then
 * closed. What the driver lets through must be the good frame only, and
 * vif 0 and our memory must come out unharmed.
 */
#define EVIL_GOOD "evil-netback good frame"

struct evil_rx {
    unsigned int good, other;
};

static void evil_frame(struct gk_netfront *nf, const void *frame, size_t len, void *arg)
{
    struct evil_rx *e = arg;

    (void)nf;
    if (len == 60 && !memcmp((const uint8_t *)frame + 14, EVIL_GOOD, strlen(EVIL_GOOD)))
        e->good++;
    else
        e->other++;
}

static uint64_t pattern_sum(void)
{
    const uint64_t *w = (const uint64_t *)pattern;
    uint64_t sum = 0;

    for (size_t i = 0; i < PATTERN_LEN / 8; i++)
        sum = sum * 31 + w[i];
    return sum;
}

static void evil_rounds(int argc, char **argv)
{
    unsigned int rounds = (unsigned int)gt_arg_num(argc, argv, "rounds", 12), ok = 0;
    uint64_t before = pattern_sum();

    if (!GT_CHECK(gk_netfront_watch(hotplug, NULL) == 0, "hotplug watch"))
        return;
    printf("EVIL watching\n");
    for (unsigned int r = 0; r < rounds; r++) {
        struct gk_netfront *nf;
        struct gk_netfront_stats st;
        struct evil_rx e = { 0, 0 };
        uint32_t devid;
        uint64_t end;
        int rc;

        if (!run_until(flag_set, &hp.got_added, 60 * SEC)) {
            GT_CHECK(false, "evil round %u: no interface was offered", r);
            break;
        }
        devid = hp.added;
        hp.got_added = false;
        rc = gk_netfront_open(devid, NULL, &nf);
        /* A backend that lies before the handshake is done is refused at once. */
        if (rc == -ENODEV) {
            printf("EVIL vif %u: refused while connecting\n", devid);
            ok++;
            continue;
        }
        if (!GT_CHECK(rc == 0, "evil vif %u: open: %d", devid, rc))
            continue;
        memset(frame_buf, 0xff, 6);
        memcpy(frame_buf + 6, gk_netfront_info(nf)->mac, 6);
        put16(frame_buf + 12, RAW_TYPE);
        gk_netfront_send(nf, frame_buf, 60);
        for (end = gk_monotonic_ns() + 30 * SEC;
             gk_netfront_connected(nf) && gk_monotonic_ns() < end;) {
            gk_netfront_receive(nf, evil_frame, &e, 0);
            run_until(NULL, NULL, 20 * MS);
        }
        gk_netfront_stats(nf, &st);
        printf("EVIL vif %u: %s; %u good frame(s), %u other, %llu dropped as bad\n", devid,
               gk_netfront_connected(nf) ? "still connected" : "stopped", e.good, e.other,
               (unsigned long long)st.rx_errors);
        ok += GT_CHECK(!gk_netfront_connected(nf) && e.other == 0 && e.good <= 1,
                       "evil vif %u: the driver let through what it should not", devid);
        gk_netfront_close(nf);
    }
    if (GT_CHECK(pattern_sum() == before, "our memory changed under the evil backends") &&
        ok == rounds)
        printf("PASS %u lying backends: each vif stopped or closed, nothing bad let "
               "through, our memory intact\n", rounds);
    test_ping(&nics[0], "vif 0 after the evil backends", 2);
}

static volatile bool stop;

static void on_shutdown(const char *request, void *arg)
{
    (void)request;
    (void)arg;
    stop = true;
}

int main(int argc, char **argv)
{
    const char *mode = gt_arg(argc, argv, "mode");
    const char *peer_s = gt_arg(argc, argv, "peer"), *jumbo = gt_arg(argc, argv, "jumbo");
    struct plan p = {
        .pings = (unsigned int)gt_arg_num(argc, argv, "pings", 4),
        .udp = (unsigned int)gt_arg_num(argc, argv, "udp", 12),
        .tcp = gt_arg_num(argc, argv, "tcp", 32768),
        .tcpconns = (unsigned int)gt_arg_num(argc, argv, "tcpconns", 1),
        .jumbos = (unsigned int)gt_arg_num(argc, argv, "jumbos", 8),
    };
    uint32_t first;
    int rc;

    if (!mode)
        mode = "client";
    if (!peer_s || !gk_ipv4_parse(peer_s, &peer))
        gk_panic("give peer=A.B.C.D");
    if (jumbo) {
        if (!parse_mac(jumbo, p.jumbo_mac))
            gk_panic("jumbo=%s is not a MAC address", jumbo);
        p.jumbo = true;
    }
    options.single_event_channel = gt_arg_num(argc, argv, "single", 0) != 0;
    options.no_sg = gt_arg_num(argc, argv, "nosg", 0) != 0;
    fill_pattern();
    gk_xenbus_on_shutdown(on_shutdown, NULL);

    rc = gk_netfront_list(&first, 1);
    if (!GT_CHECK(rc >= 1, "no network interface (%d)", rc))
        return gt_finish("nettest");
    rc = nic_open(&nics[0], first, gt_arg(argc, argv, "ip"), &options);
    if (!GT_CHECK(rc == 0, "vif %u: open: %d", first, rc))
        return gt_finish("nettest");
    printf("nettest: vif %u up, %02x:%02x:%02x:%02x:%02x:%02x, mtu %u, %s, %s\n", first,
           nics[0].netif.mac[0], nics[0].netif.mac[1], nics[0].netif.mac[2],
           nics[0].netif.mac[3], nics[0].netif.mac[4], nics[0].netif.mac[5],
           gk_netfront_info(dev(&nics[0]))->mtu,
           gk_netfront_info(dev(&nics[0]))->sg ? "sg" : "no sg",
           gk_netfront_info(dev(&nics[0]))->split_events ? "split event channels"
                                                         : "one event channel");
    if (!strcmp(mode, "loop")) {
        for (unsigned int r = 0; !stop; r++) {
            int before = gt_failures;
            char what[32];

            snprintf(what, sizeof(what), "loop %u", r);
            run_tests(&nics[0], what, &p);
            if (gt_failures == before)
                printf("LOOP round=%u ok\n", r);
        }
    } else {
        run_tests(&nics[0], "vif 0", &p);
        if (!strcmp(mode, "hotplug"))
            hotplug_rounds(argc, argv, &p);
        else if (!strcmp(mode, "evil"))
            evil_rounds(argc, argv);
        print_stats(&nics[0]);
        printf("nettest: tests done, %d failures\n", gt_failures);
        printf("HOTPLUG waiting for shutdown\n");
        /* Serve (ARP, ping, echo of jumbo frames) until asked to stop. */
        while (!stop)
            run_until(flag_set, (void *)&stop, 10 * SEC);
    }
    print_stats(&nics[0]);
    nic_close(&nics[0]);
    return gt_finish("nettest");
}
