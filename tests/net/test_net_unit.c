/* test_net_unit.c: host unit tests of guest-kit's network stack: hostile input, RFC behaviour. */
/* SPDX-License-Identifier: MIT */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../guest-kit/net/tcp.h"
#include "../../guest-kit/examples/net-echo/echo-services.h"
#include "net_test_frames.h"

#define OUR_IP GK_IPV4(10, 0, 0, 2)
#define PEER_IP GK_IPV4(10, 0, 0, 1)
#define OTHER_IP GK_IPV4(10, 0, 0, 3)
#define NETMASK GK_IPV4(255, 255, 255, 0)
#define MAX_CONNS 16u
#define PEER_ISS 1000u

static const uint8_t our_mac[6] = { 0x02, 0, 0, 0, 0, 0x02 };
static const uint8_t peer_mac[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t other_mac[6] = { 0x02, 0, 0, 0, 0, 0x03 };
static const uint8_t bcast_mac[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t zero_mac[6];
static const uint8_t mss1460[4] = { 2, 4, 0x05, 0xb4 };

/* ---- The interface under test: frames it sends are captured ---- */

#define OUT_MAX 512

struct out_frame {
    size_t len;
    uint8_t f[TF_MAX];
};

static struct gk_netif netif;
static struct out_frame out[OUT_MAX];
static unsigned int n_out;
static uint64_t now_ms;
static bool peer_answers_arp;           /* see answer_arp() */

static int capture(struct gk_netif *n, const void *frame, size_t len)
{
    ck_assert_ptr_eq(n, &netif);
    ck_assert_uint_le(len, 14 + 1500);
    ck_assert_uint_ge(len, 60);
    if (n_out < OUT_MAX) {
        memcpy(out[n_out].f, frame, len);
        out[n_out].len = len;
        n_out++;
    }
    return 0;
}

static void setup_with(const struct gk_net_config *cfg)
{
    memset(&netif, 0, sizeof(netif));
    peer_answers_arp = false;
    memcpy(netif.mac, our_mac, 6);
    netif.transmit = capture;
    netif.addr = OUR_IP;
    netif.netmask = NETMASK;
    netif.gateway = GK_IPV4(10, 0, 0, 254);
    ck_assert_int_eq(gk_netif_init(&netif, cfg), 0);
    n_out = 0;
    now_ms = 1000;
    gk_net_poll(&netif, now_ms);
}

static void setup(void)
{
    struct gk_net_config cfg = { .tcp_max_conns = MAX_CONNS, .seed = 42 };

    setup_with(&cfg);
}

static void teardown(void)
{
    gk_netif_destroy(&netif);
}

/*
 * Once the peer is known (learn_peer), it answers the stack's ARP requests
 * (entries expire after a minute) and the requests leave the captured
 * frames, so that tests running for minutes see only IP.
 */
static void answer_arp(void)
{
    bool again = true;

    while (again && peer_answers_arp) {
        unsigned int kept = 0;
        uint8_t f[TF_MAX];

        again = false;
        for (unsigned int i = 0; i < n_out; i++) {
            const uint8_t *a = out[i].f + 14;

            if (out[i].f[12] == 0x08 && out[i].f[13] == 0x06) {
                again = again || (a[7] == 1 && !memcmp(a + 24, "\x0a\x00\x00\x01", 4));
                continue;
            }
            if (kept != i)
                out[kept] = out[i];
            kept++;
        }
        n_out = kept;
        if (again)
            gk_net_input(&netif, f, tf_arp(f, our_mac, 2, peer_mac, PEER_IP, our_mac, OUR_IP));
    }
}

static void inject(const uint8_t *f, size_t len)
{
    gk_net_input(&netif, f, len);
    answer_arp();
}

static void advance(uint64_t ms)
{
    now_ms += ms;
    gk_net_poll(&netif, now_ms);
    answer_arp();
}

/* Frame i of what was sent, parsed and checked. */
static struct tf_parsed sent(unsigned int i)
{
    struct tf_parsed p;
    const char *err;

    ck_assert_uint_lt(i, n_out);
    err = tf_parse(out[i].f, out[i].len, &p);
    ck_assert_msg(err == NULL, "frame %u from the stack: %s", i, err ? err : "");
    return p;
}

static struct tf_parsed only_sent(void)
{
    ck_assert_uint_eq(n_out, 1);
    return sent(0);
}

/* The peer's ARP request puts it in the cache, so IP replies go out at once. */
static void learn_peer(void)
{
    uint8_t f[TF_MAX];

    inject(f, tf_arp(f, bcast_mac, 1, peer_mac, PEER_IP, zero_mac, OUR_IP));
    ck_assert_uint_eq(n_out, 1);
    n_out = 0;
    peer_answers_arp = true;
}

static const struct gk_net_stats *stats(void)
{
    return gk_net_stats(&netif);
}

static unsigned int live_conns(void)
{
    unsigned int n = 0;

    for (unsigned int i = 0; i < MAX_CONNS; i++)
        n += netif.stack->conns[i] != NULL;
    return n;
}

/* ---- A test program on top: records what TCP hands it ---- */

struct app {
    struct gk_tcp_conn *conn;
    uint8_t rx[1 << 18];
    size_t rx_len;
    size_t take;                        /* bytes recv() may consume in total */
    bool echo, refuse;
    int events[16];
    unsigned int n_events;
    size_t acked;
    unsigned int accepts;
};

static struct app app;

static size_t app_recv(struct gk_tcp_conn *c, const void *data, size_t len, void *arg)
{
    size_t n = len;

    ck_assert_ptr_eq(arg, &app);
    if (app.echo) {
        int sent_n = gk_tcp_send(c, data, len);

        n = sent_n > 0 ? (size_t)sent_n : 0;
    }
    if (n > app.take - app.rx_len)
        n = app.take - app.rx_len;
    ck_assert_uint_le(app.rx_len + n, sizeof(app.rx));
    memcpy(app.rx + app.rx_len, data, n);
    app.rx_len += n;
    return n;
}

static void app_sent(struct gk_tcp_conn *c, size_t acked, void *arg)
{
    app.acked += acked;
}

static void app_event(struct gk_tcp_conn *c, enum gk_tcp_event ev, void *arg)
{
    if (app.n_events < 16)
        app.events[app.n_events++] = ev;
    if (ev == GK_TCP_RESET || ev == GK_TCP_TIMEOUT)
        app.conn = NULL;
}

static const struct gk_tcp_callbacks app_callbacks = {
    .recv = app_recv,
    .sent = app_sent,
    .event = app_event,
};

static int app_accept(struct gk_tcp_conn *c, void *arg)
{
    app.accepts++;
    if (app.refuse)
        return -XEN_ECONNREFUSED;
    app.conn = c;
    gk_tcp_set_callbacks(c, &app_callbacks, &app);
    return 0;
}

static void app_reset(void)
{
    memset(&app, 0, sizeof(app));
    app.take = SIZE_MAX;
}

static bool app_saw(enum gk_tcp_event ev)
{
    for (unsigned int i = 0; i < app.n_events; i++)
        if (app.events[i] == (int)ev)
            return true;
    return false;
}

/* ---- The peer's side of a TCP connection ---- */

struct peer {
    uint16_t port;                      /* the peer's */
    uint32_t seq;                       /* next sequence number the peer sends */
    uint32_t ack;                       /* next one it expects from us */
    uint16_t wnd;
};

static size_t peer_seg(uint8_t *f, const struct peer *p, uint8_t flags, const void *data,
                       size_t len)
{
    struct tf_tcp t = {
        .src = PEER_IP, .dst = OUR_IP, .sport = p->port, .dport = 80,
        .seq = p->seq, .ack = p->ack, .flags = flags, .wnd = p->wnd,
        .data = data, .len = len,
    };

    return tf_tcp(f, our_mac, peer_mac, &t);
}

/* Sends a segment and advances the peer's sequence number. */
static void peer_send(struct peer *p, uint8_t flags, const void *data, size_t len)
{
    uint8_t f[TF_MAX];

    inject(f, peer_seg(f, p, flags, data, len));
    p->seq += (uint32_t)len + !!(flags & TCP_SYN) + !!(flags & TCP_FIN);
}

/* Opens a connection to port 80 (the test program accepts it). */
static struct tf_parsed handshake(struct peer *p, uint16_t port, uint16_t wnd)
{
    struct tf_tcp syn = {
        .src = PEER_IP, .dst = OUR_IP, .sport = port, .dport = 80, .seq = PEER_ISS,
        .flags = TCP_SYN, .wnd = 65535, .opt = mss1460, .opt_len = 4,
    };
    uint8_t f[TF_MAX];
    struct tf_parsed sa;

    n_out = 0;
    inject(f, tf_tcp(f, our_mac, peer_mac, &syn));
    sa = only_sent();
    ck_assert_uint_eq(sa.proto, 6);
    ck_assert_uint_eq(sa.flags, TCP_SYN | TCP_ACK);
    ck_assert_uint_eq(sa.ack, PEER_ISS + 1);
    ck_assert_uint_eq(sa.sport, 80);
    ck_assert_uint_eq(sa.dport, port);
    ck_assert_uint_eq(sa.mss, 1460);
    ck_assert_uint_eq(sa.wnd, 16384);
    p->port = port;
    p->seq = PEER_ISS + 1;
    p->ack = sa.seq + 1;
    p->wnd = wnd;
    n_out = 0;
    peer_send(p, TCP_ACK, NULL, 0);
    return sa;
}

static void listen_80(void)
{
    app_reset();
    ck_assert_int_eq(gk_tcp_listen(&netif, 80, app_accept, NULL), 0);
}

/* An established connection with the test program on our side. */
static void established(struct peer *p, uint16_t wnd)
{
    learn_peer();
    listen_80();
    handshake(p, 40000, wnd);
    ck_assert_uint_eq(app.accepts, 1);
    ck_assert_ptr_nonnull(app.conn);
    ck_assert_uint_eq(n_out, 0);
}

/* ---- Checksums ---- */

START_TEST(test_checksum_matches_reference)
{
    uint8_t buf[2100];

    srand(1);
    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (uint8_t)rand();
    for (size_t off = 0; off < 8; off++) {
        for (size_t len = 0; len < 2048; len += (len < 80 ? 1 : 37)) {
            uint16_t want = tf_csum(buf + off, len, 0);
            uint16_t got = net_csum_fold(net_sum(0, buf + off, len));
            uint8_t stored[2];

            net_csum_store(stored, got);
            ck_assert_msg((uint16_t)(stored[0] << 8 | stored[1]) == want,
                          "offset %zu length %zu: %04x, want %04x", off, len,
                          stored[0] << 8 | stored[1], want);
        }
    }
    /* All ones (sums that carry at every step) and all zeros. */
    memset(buf, 0xff, sizeof(buf));
    ck_assert_uint_eq(net_csum_fold(net_sum(0, buf, 2000)), 0);
    memset(buf, 0, sizeof(buf));
    ck_assert_uint_eq(net_csum_fold(net_sum(0, buf, 2000)), 0xffff);
}
END_TEST

/* ---- Ethernet and ARP ---- */

START_TEST(test_arp_request_reply)
{
    uint8_t f[TF_MAX];
    const uint8_t *a = out[0].f + 14;

    inject(f, tf_arp(f, bcast_mac, 1, peer_mac, PEER_IP, zero_mac, OUR_IP));
    ck_assert_uint_eq(n_out, 1);
    ck_assert_mem_eq(out[0].f, peer_mac, 6);
    ck_assert_mem_eq(out[0].f + 6, our_mac, 6);
    ck_assert_uint_eq(out[0].f[12] << 8 | out[0].f[13], 0x0806);
    ck_assert_uint_eq(a[6] << 8 | a[7], 2);
    ck_assert_mem_eq(a + 8, our_mac, 6);
    ck_assert_mem_eq(a + 14, "\x0a\x00\x00\x02", 4);
    ck_assert_mem_eq(a + 18, peer_mac, 6);
    ck_assert_mem_eq(a + 24, "\x0a\x00\x00\x01", 4);
}
END_TEST

START_TEST(test_arp_for_others_ignored)
{
    uint8_t f[TF_MAX];

    inject(f, tf_arp(f, bcast_mac, 1, peer_mac, PEER_IP, zero_mac, OTHER_IP));
    inject(f, tf_arp(f, bcast_mac, 2, peer_mac, PEER_IP, zero_mac, OTHER_IP));
    /* A multicast sender hardware address in the ARP body, an unknown operation. */
    tf_arp(f, bcast_mac, 1, peer_mac, PEER_IP, zero_mac, OUR_IP);
    f[14 + 8] = 0x01;
    inject(f, 42);
    tf_arp(f, bcast_mac, 3, peer_mac, PEER_IP, zero_mac, OUR_IP);
    inject(f, 42);
    ck_assert_uint_eq(n_out, 0);
    ck_assert_uint_eq(stats()->rx_bad_arp, 4);
    /* Someone claiming our address is answered (we defend it) but never cached. */
    inject(f, tf_arp(f, bcast_mac, 1, peer_mac, OUR_IP, zero_mac, OUR_IP));
    ck_assert_uint_eq(n_out, 1);
    for (unsigned int i = 0; i < NET_ARP_ENTRIES; i++)
        ck_assert_uint_eq(netif.stack->arp[i].state, ARP_FREE);
}
END_TEST

START_TEST(test_arp_truncated_and_bad_fields)
{
    uint8_t f[TF_MAX];
    size_t len = tf_arp(f, bcast_mac, 1, peer_mac, PEER_IP, zero_mac, OUR_IP);

    for (size_t cut = 0; cut < len; cut++) {
        uint8_t *copy = malloc(cut ? cut : 1);     /* exact size: ASan sees any overread */

        memcpy(copy, f, cut);
        inject(copy, cut);
        free(copy);
    }
    ck_assert_uint_eq(n_out, 0);
    for (size_t i = 14; i < 14 + 6; i++) {
        tf_arp(f, bcast_mac, 1, peer_mac, PEER_IP, zero_mac, OUR_IP);
        f[i] ^= 0x40;
        inject(f, len);
    }
    ck_assert_uint_eq(n_out, 0);
    ck_assert_uint_ge(stats()->rx_bad_arp, 6);
}
END_TEST

START_TEST(test_ethernet_filters)
{
    uint8_t f[TF_MAX];
    size_t len = tf_icmp_echo(f, other_mac, peer_mac, PEER_IP, OUR_IP, 1, 1, "hi", 2);

    learn_peer();
    inject(f, len);                                 /* not our MAC */
    memcpy(f, our_mac, 6);
    f[6] = 0x01;
    inject(f, len);                                 /* multicast source */
    memcpy(f + 6, peer_mac, 6);
    f[12] = 0x86;
    f[13] = 0xdd;
    inject(f, len);                                 /* IPv6 */
    f[12] = 0x81;
    f[13] = 0x00;
    inject(f, len);                                 /* VLAN tag */
    for (size_t cut = 0; cut < 14; cut++)
        inject(f, cut);
    inject(NULL, 0);
    ck_assert_uint_eq(n_out, 0);
    ck_assert_uint_eq(stats()->rx_bad_frame, 5 + 14);
}
END_TEST

START_TEST(test_arp_resolves_and_queues_one)
{
    uint8_t f[TF_MAX];
    struct tf_parsed p;
    const uint8_t *a;

    ck_assert_int_eq(gk_udp_sendto(&netif, 1000, PEER_IP, 2000, "first", 5), 0);
    ck_assert_int_eq(gk_udp_sendto(&netif, 1000, PEER_IP, 2000, "second", 6), 0);
    ck_assert_uint_eq(n_out, 1);                   /* one request; the latest packet waits */
    a = out[0].f + 14;
    ck_assert_mem_eq(out[0].f, bcast_mac, 6);
    ck_assert_uint_eq(a[6] << 8 | a[7], 1);
    ck_assert_mem_eq(a + 24, "\x0a\x00\x00\x01", 4);
    ck_assert_uint_eq(stats()->arp_queue_drops, 1);
    n_out = 0;
    advance(1000);
    ck_assert_uint_eq(n_out, 1);                   /* asked again */
    n_out = 0;
    inject(f, tf_arp(f, our_mac, 2, peer_mac, PEER_IP, our_mac, OUR_IP));
    p = only_sent();
    ck_assert_mem_eq(p.dst_mac, peer_mac, 6);
    ck_assert_uint_eq(p.proto, 17);
    ck_assert_uint_eq(p.len, 6);
    ck_assert_mem_eq(p.data, "second", 6);
    /* Off the subnet: through the gateway, which nobody answers for. */
    n_out = 0;
    ck_assert_int_eq(gk_udp_sendto(&netif, 1000, GK_IPV4(8, 8, 8, 8), 53, "q", 1), 0);
    ck_assert_mem_eq(out[0].f + 14 + 24, "\x0a\x00\x00\xfe", 4);
    advance(1000);
    advance(1000);
    advance(1000);
    ck_assert_uint_eq(n_out, 3);
    ck_assert_uint_eq(stats()->arp_queue_drops, 2);
}
END_TEST

/* ---- IPv4 and ICMP ---- */

START_TEST(test_ping_reply)
{
    uint8_t f[TF_MAX], payload[1472];
    struct tf_parsed p;
    uint64_t pings = 0;

    for (size_t i = 0; i < sizeof(payload); i++)
        payload[i] = (uint8_t)(i * 7 + 3);
    learn_peer();
    for (size_t len = 0; len <= sizeof(payload); len += (len < 64 ? 1 : 101)) {
        pings++;
        n_out = 0;
        inject(f, tf_icmp_echo(f, our_mac, peer_mac, PEER_IP, OUR_IP, 0x4242, (uint16_t)len,
                               payload, len));
        p = only_sent();
        ck_assert_uint_eq(p.proto, 1);
        ck_assert_uint_eq(p.src, OUR_IP);
        ck_assert_uint_eq(p.dst, PEER_IP);
        ck_assert_mem_eq(p.dst_mac, peer_mac, 6);
        ck_assert_uint_eq(p.l4_len, 8 + len);
        ck_assert_uint_eq(p.l4[0], 0);
        ck_assert_uint_eq(p.l4[1], 0);
        ck_assert_uint_eq(p.l4[4] << 8 | p.l4[5], 0x4242);
        ck_assert_uint_eq(p.l4[6] << 8 | p.l4[7], len);
        ck_assert(memcmp(p.l4 + 8, payload, len) == 0);
    }
    ck_assert_uint_eq(stats()->icmp_echo_replies, pings);
}
END_TEST

START_TEST(test_ping_padding_and_filters)
{
    uint8_t f[TF_MAX];
    size_t len;
    struct tf_parsed p;

    learn_peer();
    /* Ethernet padding after the packet is not part of it. */
    len = tf_icmp_echo(f, our_mac, peer_mac, PEER_IP, OUR_IP, 1, 2, "ab", 2);
    memset(f + len, 0xee, 20);
    inject(f, len + 20);
    p = only_sent();
    ck_assert_uint_eq(p.l4_len, 10);
    n_out = 0;
    /* To a broadcast address, to someone else, from broadcast/multicast/loopback/us. */
    inject(f, tf_icmp_echo(f, bcast_mac, peer_mac, PEER_IP, GK_IPV4(10, 0, 0, 255), 1, 2,
                           "ab", 2));
    inject(f, tf_icmp_echo(f, bcast_mac, peer_mac, PEER_IP, 0xffffffffu, 1, 2, "ab", 2));
    inject(f, tf_icmp_echo(f, our_mac, peer_mac, PEER_IP, OTHER_IP, 1, 2, "ab", 2));
    inject(f, tf_icmp_echo(f, our_mac, peer_mac, 0xffffffffu, OUR_IP, 1, 2, "ab", 2));
    inject(f, tf_icmp_echo(f, our_mac, peer_mac, GK_IPV4(224, 0, 0, 1), OUR_IP, 1, 2, "ab", 2));
    inject(f, tf_icmp_echo(f, our_mac, peer_mac, GK_IPV4(127, 0, 0, 1), OUR_IP, 1, 2, "ab", 2));
    inject(f, tf_icmp_echo(f, our_mac, peer_mac, OUR_IP, OUR_IP, 1, 2, "ab", 2));
    inject(f, tf_icmp_echo(f, our_mac, peer_mac, 0, OUR_IP, 1, 2, "ab", 2));
    /* Echo replies and other types are not answered. */
    len = tf_icmp_echo(f, our_mac, peer_mac, PEER_IP, OUR_IP, 1, 2, "ab", 2);
    f[34] = 0;
    f[36] = 0;
    f[37] = 0;
    f[36] = (uint8_t)(tf_csum(f + 34, 10, 0) >> 8);
    f[37] = (uint8_t)tf_csum(f + 34, 10, 0);
    inject(f, len);
    ck_assert_uint_eq(n_out, 0);
}
END_TEST

START_TEST(test_ip_header_attacks)
{
    uint8_t f[TF_MAX];
    size_t len;
    const struct gk_net_stats *st = stats();
    uint64_t bad_ip, bad_csum;

    learn_peer();
    len = tf_icmp_echo(f, our_mac, peer_mac, PEER_IP, OUR_IP, 7, 7, "payload!", 8);
    /* Truncated anywhere: the IP total length no longer fits. */
    for (size_t cut = 0; cut < len; cut++) {
        uint8_t *copy = malloc(cut ? cut : 1);

        memcpy(copy, f, cut);
        inject(copy, cut);
        free(copy);
    }
    ck_assert_uint_eq(n_out, 0);
    bad_ip = st->rx_bad_ip;
    /* Version 6, IHL below 5 and beyond the packet, total length shorter than the header. */
    f[14] = 0x65;
    tf_ip_fix(f);
    inject(f, len);
    for (uint8_t ihl = 0; ihl < 5; ihl++) {
        f[14] = (uint8_t)(0x40 | ihl);
        inject(f, len);
    }
    f[14] = 0x4f;                       /* 60 bytes of header in a 50-byte packet */
    inject(f, 34 + 16);
    tf_icmp_echo(f, our_mac, peer_mac, PEER_IP, OUR_IP, 7, 7, "payload!", 8);
    f[16] = 0;
    f[17] = 19;
    tf_ip_fix(f);
    inject(f, len);
    f[16] = 0x05;                       /* 1500 bytes claimed, 50 present */
    f[17] = 0xdc;
    tf_ip_fix(f);
    inject(f, len);
    ck_assert_uint_eq(n_out, 0);
    ck_assert_uint_eq(st->rx_bad_ip, bad_ip + 1 + 5 + 1 + 2);
    /* Bad header checksum; bad ICMP checksum. */
    bad_csum = st->rx_bad_checksum;
    tf_icmp_echo(f, our_mac, peer_mac, PEER_IP, OUR_IP, 7, 7, "payload!", 8);
    f[24] ^= 1;
    inject(f, len);
    tf_icmp_echo(f, our_mac, peer_mac, PEER_IP, OUR_IP, 7, 7, "payload!", 8);
    f[len - 1] ^= 1;
    inject(f, len);
    ck_assert_uint_eq(st->rx_bad_checksum, bad_csum + 2);
    /* An unknown protocol. */
    tf_icmp_echo(f, our_mac, peer_mac, PEER_IP, OUR_IP, 7, 7, "payload!", 8);
    f[23] = 99;
    tf_ip_fix(f);
    inject(f, len);
    ck_assert_uint_eq(n_out, 0);
    /* IP options are skipped: a 24-byte header still gets its reply. */
    tf_icmp_echo(f, our_mac, peer_mac, PEER_IP, OUR_IP, 7, 7, "payload!", 8);
    memmove(f + 38, f + 34, len - 34);
    memset(f + 34, 1, 4);               /* four NOPs */
    f[14] = 0x46;
    f[16] = 0;
    f[17] = (uint8_t)(len - 14 + 4);
    tf_ip_fix(f);
    inject(f, len + 4);
    ck_assert_uint_eq(n_out, 1);
    ck_assert_uint_eq(sent(0).l4_len, 16);
}
END_TEST

START_TEST(test_fragments_dropped)
{
    uint8_t f[TF_MAX];
    size_t len;

    learn_peer();
    len = tf_icmp_echo(f, our_mac, peer_mac, PEER_IP, OUR_IP, 7, 7, "frag", 4);
    f[20] = 0x20;                       /* more fragments */
    f[21] = 0;
    tf_ip_fix(f);
    inject(f, len);
    f[20] = 0;
    f[21] = 1;                          /* offset 8 */
    tf_ip_fix(f);
    inject(f, len);
    f[20] = 0x1f;                       /* the largest offset */
    f[21] = 0xff;
    tf_ip_fix(f);
    inject(f, len);
    ck_assert_uint_eq(n_out, 0);
    ck_assert_uint_eq(stats()->rx_fragments, 3);
    /* DF alone is not a fragment. */
    f[20] = 0x40;
    f[21] = 0;
    tf_ip_fix(f);
    inject(f, len);
    ck_assert_uint_eq(n_out, 1);
}
END_TEST

START_TEST(test_oversized_ping_dropped)
{
    uint8_t f[TF_MAX];
    uint8_t payload[1500] = { 0 };

    learn_peer();
    /* 1501 bytes of IP: no reply could carry it back. */
    inject(f, tf_icmp_echo(f, our_mac, peer_mac, PEER_IP, OUR_IP, 1, 1, payload, 1473));
    ck_assert_uint_eq(n_out, 0);
    inject(f, tf_icmp_echo(f, our_mac, peer_mac, PEER_IP, OUR_IP, 1, 1, payload, 1472));
    ck_assert_uint_eq(n_out, 1);
}
END_TEST

/* ---- UDP ---- */

struct udp_got {
    uint32_t src;
    uint16_t sport, dport;
    uint8_t data[1500];
    size_t len;
    unsigned int count;
};

static void udp_record(struct gk_netif *n, uint32_t src, uint16_t sport, uint16_t dport,
                       const void *data, size_t len, void *arg)
{
    struct udp_got *g = arg;

    g->src = src;
    g->sport = sport;
    g->dport = dport;
    memcpy(g->data, data, len);
    g->len = len;
    g->count++;
}

START_TEST(test_udp_delivery_and_checks)
{
    static struct udp_got got;
    uint8_t f[TF_MAX];
    size_t len;
    struct tf_parsed p;

    learn_peer();
    ck_assert_int_eq(gk_udp_bind(&netif, 5000, udp_record, &got), 5000);
    ck_assert_int_eq(gk_udp_bind(&netif, 5000, udp_record, &got), -XEN_EADDRINUSE);
    len = tf_udp(f, our_mac, peer_mac, PEER_IP, OUR_IP, 1234, 5000, "hello", 5);
    inject(f, len);
    ck_assert_uint_eq(got.count, 1);
    ck_assert_uint_eq(got.src, PEER_IP);
    ck_assert_uint_eq(got.sport, 1234);
    ck_assert_uint_eq(got.len, 5);
    ck_assert_mem_eq(got.data, "hello", 5);
    /* No checksum is allowed over IPv4. */
    f[40] = f[41] = 0;
    inject(f, len);
    ck_assert_uint_eq(got.count, 2);
    /* A wrong one is not. */
    tf_udp(f, our_mac, peer_mac, PEER_IP, OUR_IP, 1234, 5000, "hello", 5);
    f[41] ^= 0x10;
    inject(f, len);
    ck_assert_uint_eq(got.count, 2);
    /* UDP length beyond the IP payload, below the header; shorter is trimmed. */
    tf_udp(f, our_mac, peer_mac, PEER_IP, OUR_IP, 1234, 5000, "hello", 5);
    f[38] = 0;
    f[39] = 14;
    inject(f, len);
    f[39] = 7;
    inject(f, len);
    ck_assert_uint_eq(got.count, 2);
    f[39] = 10;
    f[40] = f[41] = 0;
    inject(f, len);
    ck_assert_uint_eq(got.count, 3);
    ck_assert_uint_eq(got.len, 2);
    /* Truncated: IP lengths patched so that the UDP header itself is short. */
    for (size_t cut = 0; cut < 8; cut++) {
        tf_udp(f, our_mac, peer_mac, PEER_IP, OUR_IP, 1234, 5000, "hello", 5);
        f[16] = 0;
        f[17] = (uint8_t)(20 + cut);
        tf_ip_fix(f);
        inject(f, 34 + cut);
    }
    ck_assert_uint_eq(got.count, 3);
    ck_assert_uint_eq(n_out, 0);
    /* Sending: checked by the reference checksum in tf_parse(). */
    ck_assert_int_eq(gk_udp_sendto(&netif, 5000, PEER_IP, 1234, "reply", 5), 0);
    p = only_sent();
    ck_assert_uint_eq(p.proto, 17);
    ck_assert_uint_eq(p.sport, 5000);
    ck_assert_uint_eq(p.dport, 1234);
    ck_assert_mem_eq(p.data, "reply", 5);
    ck_assert_int_eq(gk_udp_sendto(&netif, 5000, PEER_IP, 1234, f, 1473), -XEN_EMSGSIZE);
    ck_assert_int_eq(gk_udp_sendto(&netif, 5000, PEER_IP, 1234, f, 1472), 0);
    ck_assert_int_eq(gk_udp_unbind(&netif, 5000), 0);
    ck_assert_int_eq(gk_udp_unbind(&netif, 5000), -XEN_ENOENT);
}
END_TEST

START_TEST(test_udp_port_unreachable)
{
    uint8_t f[TF_MAX];
    size_t len;
    struct tf_parsed p;

    learn_peer();
    len = tf_udp(f, our_mac, peer_mac, PEER_IP, OUR_IP, 1234, 6000, "nobody", 6);
    inject(f, len);
    p = only_sent();
    ck_assert_uint_eq(p.proto, 1);
    ck_assert_uint_eq(p.l4[0], 3);
    ck_assert_uint_eq(p.l4[1], 3);
    ck_assert_uint_eq(p.l4_len, 8 + 20 + 8);
    ck_assert(memcmp(p.l4 + 8, f + 14, 28) == 0);
    /* Rate-limited, and never for broadcasts. */
    for (int i = 0; i < 50; i++)
        inject(f, len);
    ck_assert_uint_eq(n_out, 10);
    advance(1000);
    inject(f, len);
    ck_assert_uint_eq(n_out, 11);
    inject(f, tf_udp(f, bcast_mac, peer_mac, PEER_IP, 0xffffffffu, 1234, 6000, "b", 1));
    ck_assert_uint_eq(n_out, 11);
}
END_TEST

START_TEST(test_udp_echo_service)
{
    static struct echo_counters counters;
    uint8_t f[TF_MAX];
    struct tf_parsed p;

    learn_peer();
    ck_assert_int_eq(echo_services_start(&netif, &counters), 0);
    inject(f, tf_udp(f, our_mac, peer_mac, PEER_IP, OUR_IP, 33333, 7, "echo me", 7));
    p = only_sent();
    ck_assert_uint_eq(p.sport, 7);
    ck_assert_uint_eq(p.dport, 33333);
    ck_assert_uint_eq(p.len, 7);
    ck_assert_mem_eq(p.data, "echo me", 7);
    ck_assert_uint_eq(counters.udp_datagrams, 1);
}
END_TEST

/* ---- TCP ---- */

START_TEST(test_tcp_rst_for_closed_port)
{
    struct tf_tcp t = {
        .src = PEER_IP, .dst = OUR_IP, .sport = 5555, .dport = 81, .seq = 777,
        .flags = TCP_SYN, .wnd = 1000,
    };
    uint8_t f[TF_MAX];
    struct tf_parsed p;

    learn_peer();
    inject(f, tf_tcp(f, our_mac, peer_mac, &t));
    p = only_sent();
    ck_assert_uint_eq(p.flags, TCP_RST | TCP_ACK);
    ck_assert_uint_eq(p.seq, 0);
    ck_assert_uint_eq(p.ack, 778);
    ck_assert_uint_eq(p.sport, 81);
    ck_assert_uint_eq(p.dport, 5555);
    /* Data and FIN count in the ACK; an ACK gets a reset at its ack number. */
    n_out = 0;
    t.flags = TCP_PSH | TCP_FIN;
    t.data = "abc";
    t.len = 3;
    inject(f, tf_tcp(f, our_mac, peer_mac, &t));
    p = only_sent();
    ck_assert_uint_eq(p.ack, 777 + 3 + 1);
    n_out = 0;
    t.flags = TCP_ACK;
    t.ack = 0xdeadbeef;
    t.len = 0;
    inject(f, tf_tcp(f, our_mac, peer_mac, &t));
    p = only_sent();
    ck_assert_uint_eq(p.flags, TCP_RST);
    ck_assert_uint_eq(p.seq, 0xdeadbeef);
    /* Never a reset for a reset, nor for broadcasts. */
    n_out = 0;
    t.flags = TCP_RST;
    inject(f, tf_tcp(f, our_mac, peer_mac, &t));
    t.flags = TCP_SYN;
    t.dst = GK_IPV4(10, 0, 0, 255);
    inject(f, tf_tcp(f, bcast_mac, peer_mac, &t));
    ck_assert_uint_eq(n_out, 0);
}
END_TEST

START_TEST(test_tcp_echo_exchange)
{
    struct peer p;
    struct tf_parsed s;

    established(&p, 65535);
    app.echo = true;
    peer_send(&p, TCP_ACK | TCP_PSH, "hello", 5);
    ck_assert_uint_eq(app.rx_len, 5);
    ck_assert_mem_eq(app.rx, "hello", 5);
    s = only_sent();                                /* the echo carries the ACK */
    ck_assert_uint_eq(s.flags, TCP_ACK | TCP_PSH);
    ck_assert_uint_eq(s.seq, p.ack);
    ck_assert_uint_eq(s.ack, p.seq);
    ck_assert_uint_eq(s.len, 5);
    ck_assert_mem_eq(s.data, "hello", 5);
    p.ack += 5;
    n_out = 0;
    peer_send(&p, TCP_ACK, NULL, 0);
    ck_assert_uint_eq(app.acked, 5);
    ck_assert_uint_eq(n_out, 0);
}
END_TEST

START_TEST(test_tcp_accept_refused)
{
    struct peer p;
    struct tf_parsed s;

    learn_peer();
    listen_80();
    app.refuse = true;
    handshake(&p, 40001, 65535);
    s = only_sent();
    ck_assert_uint_eq(s.flags, TCP_RST);
    ck_assert_uint_eq(s.seq, p.ack);
    ck_assert_uint_eq(live_conns(), 0);
}
END_TEST

START_TEST(test_tcp_mss_honoured)
{
    static uint8_t data[5000];
    struct tf_tcp syn = {
        .src = PEER_IP, .dst = OUR_IP, .sport = 40002, .dport = 80, .seq = PEER_ISS,
        .flags = TCP_SYN, .wnd = 65535, .opt = (const uint8_t[]){ 2, 4, 0x01, 0xf4 },
        .opt_len = 4,
    };
    uint8_t f[TF_MAX];
    struct peer p = { .port = 40002, .seq = PEER_ISS + 1, .wnd = 65535 };
    size_t total = 0;

    learn_peer();
    listen_80();
    inject(f, tf_tcp(f, our_mac, peer_mac, &syn));
    p.ack = only_sent().seq + 1;
    n_out = 0;
    peer_send(&p, TCP_ACK, NULL, 0);
    ck_assert_int_eq(gk_tcp_send(app.conn, data, sizeof(data)), (int)sizeof(data));
    /* The initial window is 4 segments of the peer's 500 bytes (RFC 5681). */
    ck_assert_uint_eq(n_out, 4);
    for (unsigned int i = 0; i < n_out; i++) {
        struct tf_parsed s = sent(i);

        ck_assert_uint_eq(s.len, 500);
        ck_assert_uint_eq(s.seq, p.ack + total);
        total += s.len;
    }
}
END_TEST

START_TEST(test_tcp_peer_window_respected)
{
    static uint8_t data[10000];
    struct peer p;
    size_t in_flight = 0;

    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)i;
    established(&p, 1000);
    ck_assert_int_eq(gk_tcp_send(app.conn, data, sizeof(data)), (int)sizeof(data));
    for (unsigned int i = 0; i < n_out; i++)
        in_flight += sent(i).len;
    ck_assert_uint_eq(in_flight, 1000);
    /* Acknowledging everything with the window still 1000 lets exactly 1000 more go. */
    n_out = 0;
    p.ack += 1000;
    peer_send(&p, TCP_ACK, NULL, 0);
    in_flight = 0;
    for (unsigned int i = 0; i < n_out; i++) {
        struct tf_parsed s = sent(i);

        ck_assert(memcmp(s.data, data + 1000 + in_flight, s.len) == 0);
        in_flight += s.len;
    }
    ck_assert_uint_eq(in_flight, 1000);
}
END_TEST

START_TEST(test_tcp_out_of_order_and_outside_window)
{
    struct peer p, q;
    struct tf_parsed s;

    established(&p, 65535);
    /* A hole: the segment after it is dropped and the hole re-acknowledged. */
    q = p;
    q.seq += 100;
    peer_send(&q, TCP_ACK, "later", 5);
    ck_assert_uint_eq(app.rx_len, 0);
    s = only_sent();
    ck_assert_uint_eq(s.ack, p.seq);
    ck_assert_uint_eq(s.len, 0);
    /* Far beyond the window, and long before it. */
    n_out = 0;
    q = p;
    q.seq += 20000;
    peer_send(&q, TCP_ACK, "far", 3);
    q.seq = p.seq - 30000;
    peer_send(&q, TCP_ACK, "old", 3);
    ck_assert_uint_eq(n_out, 2);
    ck_assert_uint_eq(sent(0).ack, p.seq);
    ck_assert_uint_eq(sent(1).ack, p.seq);
    ck_assert_uint_eq(app.rx_len, 0);
    /* An ACK of data we never sent. */
    n_out = 0;
    q = p;
    q.ack += 5000;
    peer_send(&q, TCP_ACK, "zz", 2);
    ck_assert_uint_eq(n_out, 1);
    ck_assert_uint_eq(app.rx_len, 0);
    /* In order, then the same bytes again with new ones after them. */
    n_out = 0;
    peer_send(&p, TCP_ACK, "abcd", 4);
    q = p;
    q.seq -= 2;
    peer_send(&q, TCP_ACK, "cdef", 4);
    p.seq += 2;
    ck_assert_uint_eq(app.rx_len, 6);
    ck_assert_mem_eq(app.rx, "abcdef", 6);
    ck_assert_uint_ge(stats()->tcp_ooo_drops, 3);
}
END_TEST

START_TEST(test_tcp_rst_rules)
{
    struct peer p, q;

    established(&p, 65535);
    /* In the window but not exact: a challenge ACK, the connection stays. */
    q = p;
    q.seq += 10;
    peer_send(&q, TCP_RST, NULL, 0);
    ck_assert_uint_eq(n_out, 1);
    ck_assert_uint_eq(sent(0).flags, TCP_ACK);
    ck_assert_uint_eq(sent(0).ack, p.seq);
    ck_assert_ptr_nonnull(app.conn);
    /* Outside: ignored. */
    n_out = 0;
    q.seq = p.seq + 100000;
    peer_send(&q, TCP_RST, NULL, 0);
    ck_assert_uint_eq(n_out, 0);
    /* A SYN on an open connection: challenge ACK too (RFC 5961 4). */
    q = p;
    peer_send(&q, TCP_SYN, NULL, 0);
    ck_assert_uint_eq(n_out, 1);
    ck_assert_ptr_nonnull(app.conn);
    /* Exact: reset, the program is told, the connection goes. */
    n_out = 0;
    peer_send(&p, TCP_RST, NULL, 0);
    ck_assert(app_saw(GK_TCP_RESET));
    ck_assert_ptr_null(app.conn);
    ck_assert_uint_eq(n_out, 0);
    ck_assert_uint_eq(live_conns(), 0);
}
END_TEST

START_TEST(test_tcp_rst_in_syn_rcvd)
{
    struct tf_tcp syn = {
        .src = PEER_IP, .dst = OUR_IP, .sport = 40003, .dport = 80, .seq = PEER_ISS,
        .flags = TCP_SYN, .wnd = 65535,
    };
    uint8_t f[TF_MAX];
    struct peer p = { .port = 40003, .seq = PEER_ISS + 1, .wnd = 65535 };

    learn_peer();
    listen_80();
    inject(f, tf_tcp(f, our_mac, peer_mac, &syn));
    ck_assert_uint_eq(live_conns(), 1);
    /* The SYN again: the SYN-ACK again. */
    inject(f, tf_tcp(f, our_mac, peer_mac, &syn));
    ck_assert_uint_eq(n_out, 2);
    ck_assert_uint_eq(sent(1).flags, TCP_SYN | TCP_ACK);
    ck_assert_uint_eq(sent(1).seq, sent(0).seq);
    n_out = 0;
    peer_send(&p, TCP_RST, NULL, 0);
    ck_assert_uint_eq(n_out, 0);
    ck_assert_uint_eq(live_conns(), 0);
    ck_assert_uint_eq(app.accepts, 0);
    /* A bad ACK in SYN-RCVD earns a reset and keeps the half-open connection. */
    inject(f, tf_tcp(f, our_mac, peer_mac, &syn));
    p.ack = sent(0).seq + 1000;
    n_out = 0;
    peer_send(&p, TCP_ACK, NULL, 0);
    ck_assert_uint_eq(only_sent().flags, TCP_RST);
    ck_assert_uint_eq(only_sent().seq, p.ack);
    ck_assert_uint_eq(app.accepts, 0);
}
END_TEST

START_TEST(test_tcp_passive_close)
{
    struct peer p;
    struct tf_parsed s;

    established(&p, 65535);
    app.echo = true;
    peer_send(&p, TCP_ACK, "bye", 3);
    p.ack += 3;
    n_out = 0;
    peer_send(&p, TCP_ACK | TCP_FIN, NULL, 0);
    ck_assert(app_saw(GK_TCP_EOF));
    s = only_sent();
    ck_assert_uint_eq(s.flags, TCP_ACK);
    ck_assert_uint_eq(s.ack, p.seq);
    /* Data after the FIN is nonsense: acknowledged, not delivered. */
    n_out = 0;
    peer_send(&p, TCP_ACK, "more", 4);
    ck_assert_uint_eq(app.rx_len, 3);
    ck_assert_uint_eq(only_sent().ack, p.seq - 4);
    /* Our close: FIN, LAST-ACK, gone on the ACK. */
    n_out = 0;
    gk_tcp_close(app.conn);
    s = only_sent();
    ck_assert_uint_eq(s.flags, TCP_ACK | TCP_FIN);
    ck_assert_uint_eq(s.seq, p.ack);
    p.ack++;
    p.seq -= 4;
    n_out = 0;
    peer_send(&p, TCP_ACK, NULL, 0);
    gk_net_poll(&netif, now_ms);
    ck_assert_uint_eq(live_conns(), 0);
    ck_assert_uint_eq(n_out, 0);
}
END_TEST

START_TEST(test_tcp_active_close_time_wait)
{
    struct peer p;
    struct tf_parsed s;

    established(&p, 65535);
    gk_tcp_send(app.conn, "last words", 10);
    n_out = 0;
    gk_tcp_close(app.conn);
    app.conn = NULL;
    s = only_sent();
    ck_assert_uint_eq(s.flags, TCP_ACK | TCP_FIN);
    ck_assert_uint_eq(s.seq, p.ack + 10);
    /* The peer acknowledges data and FIN, then closes too. */
    p.ack += 11;
    n_out = 0;
    peer_send(&p, TCP_ACK, NULL, 0);
    ck_assert_uint_eq(n_out, 0);
    peer_send(&p, TCP_ACK | TCP_FIN, NULL, 0);
    s = only_sent();
    ck_assert_uint_eq(s.ack, p.seq);
    ck_assert_uint_eq(live_conns(), 1);
    /* TIME_WAIT: a retransmitted FIN is acknowledged again... */
    n_out = 0;
    p.seq--;
    peer_send(&p, TCP_ACK | TCP_FIN, NULL, 0);
    ck_assert_uint_eq(only_sent().ack, p.seq);
    /* ...and after time_wait_ms (2 s) the connection is gone. */
    advance(1999);
    ck_assert_uint_eq(live_conns(), 1);
    advance(1);
    ck_assert_uint_eq(live_conns(), 0);
}
END_TEST

START_TEST(test_tcp_close_with_unread_data_resets)
{
    struct peer p;

    established(&p, 65535);
    app.take = 2;
    peer_send(&p, TCP_ACK, "abcdef", 6);
    ck_assert_uint_eq(app.rx_len, 2);
    n_out = 0;
    gk_tcp_close(app.conn);
    ck_assert_uint_eq(only_sent().flags, TCP_RST);
    gk_net_poll(&netif, now_ms);
    ck_assert_uint_eq(live_conns(), 0);
}
END_TEST

START_TEST(test_tcp_retransmission_backoff_timeout)
{
    struct peer p;
    uint64_t times[16];
    unsigned int n = 0;

    established(&p, 65535);
    ck_assert_int_eq(gk_tcp_send(app.conn, "retransmit me", 13), 13);
    ck_assert_uint_eq(n_out, 1);
    n_out = 0;
    for (int ms = 0; ms < 400000 && app.conn; ms += 10) {
        advance(10);
        for (unsigned int i = 0; i < n_out; i++) {
            struct tf_parsed s = sent(i);

            if (s.flags & TCP_RST)
                continue;
            ck_assert_uint_eq(s.seq, p.ack);
            ck_assert_uint_eq(s.len, 13);
            ck_assert_uint_lt(n, 16);
            times[n++] = now_ms;
        }
        n_out = 0;
    }
    ck_assert(app_saw(GK_TCP_TIMEOUT));
    ck_assert_uint_eq(n, TCP_RETRIES);
    /* Exponential backoff from the 200 ms floor, capped at 60 s. */
    ck_assert_uint_eq(times[1] - times[0], 400);
    ck_assert_uint_eq(times[2] - times[1], 800);
    ck_assert_uint_eq(times[9] - times[8], 60000);
    ck_assert_uint_eq(stats()->tcp_retransmits, TCP_RETRIES);
}
END_TEST

START_TEST(test_tcp_fast_retransmit)
{
    static uint8_t data[8000];
    struct peer p;
    uint32_t first;

    established(&p, 65535);
    ck_assert_int_eq(gk_tcp_send(app.conn, data, sizeof(data)), (int)sizeof(data));
    first = p.ack;
    /* The first of the initial window is lost: three duplicate ACKs. */
    ck_assert_uint_eq(n_out, 3);
    p.ack = first + 1460;
    peer_send(&p, TCP_ACK, NULL, 0);
    n_out = 0;
    for (int i = 0; i < 3; i++)
        peer_send(&p, TCP_ACK, NULL, 0);
    ck_assert_uint_ge(n_out, 1);
    ck_assert_uint_eq(sent(0).seq, first + 1460);
    ck_assert_uint_eq(sent(0).len, 1460);
    ck_assert_uint_eq(stats()->tcp_retransmits, 1);
}
END_TEST

START_TEST(test_tcp_zero_window_probe)
{
    struct peer p;
    struct tf_parsed s;

    established(&p, 0);
    ck_assert_int_eq(gk_tcp_send(app.conn, "0123456789", 10), 10);
    ck_assert_uint_eq(n_out, 0);
    /* After the RTO (200 ms after an instant handshake) a one-byte probe. */
    advance(199);
    ck_assert_uint_eq(n_out, 0);
    advance(1);
    s = only_sent();
    ck_assert_uint_eq(s.len, 1);
    ck_assert_uint_eq(s.seq, p.ack);
    /* The peer keeps its window shut; the probes go on, further apart, forever. */
    for (int round = 0; round < 20; round++) {
        n_out = 0;
        peer_send(&p, TCP_ACK, NULL, 0);
        advance(60000);
        ck_assert_uint_ge(n_out, 1);
        ck_assert_uint_eq(sent(0).len, 1);
    }
    ck_assert_ptr_nonnull(app.conn);
    /* It opens: everything flows. */
    n_out = 0;
    p.wnd = 65535;
    peer_send(&p, TCP_ACK, NULL, 0);
    s = only_sent();
    ck_assert_uint_eq(s.seq, p.ack);
    ck_assert_uint_eq(s.len, 10);
}
END_TEST

START_TEST(test_tcp_flow_control_window)
{
    static uint8_t chunk[1460];
    struct peer p;
    uint32_t start;
    struct tf_parsed s;

    established(&p, 65535);
    app.take = 0;                       /* the program reads nothing for now */
    start = p.seq;
    while (p.seq - start + sizeof(chunk) <= 16384)
        peer_send(&p, TCP_ACK, chunk, sizeof(chunk));
    peer_send(&p, TCP_ACK, chunk, 16384 - (p.seq - start));
    gk_net_poll(&netif, now_ms);
    s = sent(n_out - 1);
    ck_assert_uint_eq(s.ack, start + 16384);
    ck_assert_uint_eq(s.wnd, 0);
    /* More does not fit: acknowledged at the edge, window still 0. */
    n_out = 0;
    peer_send(&p, TCP_ACK, chunk, 100);
    p.seq -= 100;
    s = only_sent();
    ck_assert_uint_eq(s.ack, start + 16384);
    ck_assert_uint_eq(s.wnd, 0);
    /* The program reads a little: no tiny window is offered (silly window avoidance). */
    n_out = 0;
    app.take = 100;
    advance(10);
    ck_assert_uint_eq(n_out, 0);
    /* It reads everything: a window update. */
    app.take = SIZE_MAX;
    advance(10);
    s = only_sent();
    ck_assert_uint_eq(s.wnd, 16384);
    ck_assert_uint_eq(app.rx_len, 16384);
}
END_TEST

START_TEST(test_tcp_syn_flood_bounded)
{
    struct tf_tcp syn = {
        .src = PEER_IP, .dst = OUR_IP, .dport = 80, .seq = 5, .flags = TCP_SYN, .wnd = 1000,
    };
    uint8_t f[TF_MAX];
    struct peer p;

    learn_peer();
    listen_80();
    for (uint16_t port = 20000; port < 20200; port++) {
        syn.sport = port;
        inject(f, tf_tcp(f, our_mac, peer_mac, &syn));
        ck_assert_uint_le(live_conns(), MAX_CONNS);
    }
    ck_assert_uint_eq(n_out, 200);
    ck_assert_uint_eq(stats()->tcp_evictions, 200 - MAX_CONNS);
    /* A real client still gets in. */
    handshake(&p, 30000, 65535);
    ck_assert_uint_eq(app.accepts, 1);
    /* With every slot taken by established connections, SYNs are dropped. */
    for (uint16_t port = 30001; port < 30001 + MAX_CONNS - 1; port++)
        handshake(&p, port, 65535);
    ck_assert_uint_eq(app.accepts, MAX_CONNS);
    n_out = 0;
    syn.sport = 31000;
    inject(f, tf_tcp(f, our_mac, peer_mac, &syn));
    ck_assert_uint_eq(n_out, 0);
    ck_assert_uint_eq(stats()->tcp_syn_drops, 1);
    ck_assert_uint_eq(live_conns(), MAX_CONNS);
}
END_TEST

START_TEST(test_tcp_half_open_expires)
{
    struct tf_tcp syn = {
        .src = PEER_IP, .dst = OUR_IP, .sport = 20000, .dport = 80, .seq = 5,
        .flags = TCP_SYN, .wnd = 1000,
    };
    uint8_t f[TF_MAX];

    learn_peer();
    listen_80();
    inject(f, tf_tcp(f, our_mac, peer_mac, &syn));
    for (int i = 0; i < 120; i++)
        advance(1000);
    ck_assert_uint_eq(live_conns(), 0);
    ck_assert_uint_eq(n_out, 1 + TCP_SYN_RCVD_RETRIES);
}
END_TEST

/* A valid segment cut, re-lengthed and re-checksummed at every header byte. */
START_TEST(test_tcp_truncated_headers_and_offsets)
{
    struct peer p;
    uint8_t f[TF_MAX];
    size_t len;
    uint64_t bad;

    established(&p, 65535);
    len = peer_seg(f, &p, TCP_ACK, "data", 4);
    bad = stats()->rx_bad_l4;
    for (size_t cut = 0; cut < 20; cut++) {
        peer_seg(f, &p, TCP_ACK, "data", 4);
        f[16] = 0;
        f[17] = (uint8_t)(20 + cut);
        tf_ip_fix(f);
        inject(f, 34 + cut);
    }
    ck_assert_uint_eq(stats()->rx_bad_l4, bad + 20);
    /* Data offsets below 5 words and beyond the segment. */
    for (unsigned int doff = 0; doff < 16; doff++) {
        if (doff == 5 || doff == 6)
            continue;
        peer_seg(f, &p, TCP_ACK, "data", 4);
        f[34 + 12] = (uint8_t)(doff << 4);
        tf_tcp_fix(f);
        inject(f, len);
    }
    ck_assert_uint_eq(stats()->rx_bad_l4, bad + 20 + 14);
    /* A bad checksum. */
    peer_seg(f, &p, TCP_ACK, "data", 4);
    f[len - 1] ^= 0x55;
    inject(f, len);
    ck_assert_uint_eq(app.rx_len, 0);
    ck_assert_uint_eq(n_out, 0);
    /* The real thing still works. */
    peer_send(&p, TCP_ACK, "data", 4);
    ck_assert_uint_eq(app.rx_len, 4);
}
END_TEST

START_TEST(test_tcp_bad_options)
{
    static const struct {
        uint8_t opt[8];
        size_t len;
        uint16_t want_mss;
    } cases[] = {
        { { 2, 0, 0, 0 }, 4, 536 },                 /* length 0 */
        { { 2, 1, 0, 0 }, 4, 536 },                 /* length 1 */
        { { 2, 3, 5, 0 }, 4, 536 },                 /* MSS of the wrong length */
        { { 2, 10, 5, 0 }, 4, 536 },                /* runs past the header */
        { { 1, 1, 1, 2 }, 4, 536 },                 /* kind with no length byte */
        { { 99, 40, 0, 0 }, 4, 536 },               /* unknown, too long */
        { { 0, 2, 4, 5 }, 4, 536 },                 /* end of list before MSS */
        { { 2, 4, 0, 0 }, 4, 536 },                 /* MSS 0: as if absent */
        { { 2, 4, 0, 10 }, 4, 88 },                 /* tiny: raised to TCP_MSS_MIN */
        { { 1, 1, 2, 4, 0x03, 0xe8, 0, 0 }, 8, 1000 },
        { { 2, 4, 0xff, 0xff }, 4, 1460 },          /* larger than ours */
    };
    static uint8_t data[3000];
    uint8_t f[TF_MAX];

    learn_peer();
    listen_80();
    for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct tf_tcp syn = {
            .src = PEER_IP, .dst = OUR_IP, .sport = (uint16_t)(41000 + i), .dport = 80,
            .seq = 1, .flags = TCP_SYN, .wnd = 65535, .opt = cases[i].opt,
            .opt_len = cases[i].len,
        };
        struct peer p = { .port = syn.sport, .seq = 2, .wnd = 65535 };

        n_out = 0;
        inject(f, tf_tcp(f, our_mac, peer_mac, &syn));
        p.ack = only_sent().seq + 1;
        n_out = 0;
        peer_send(&p, TCP_ACK, NULL, 0);
        ck_assert_int_eq(gk_tcp_send(app.conn, data, sizeof(data)), (int)sizeof(data));
        ck_assert_msg(sent(0).len == cases[i].want_mss, "case %u: segment of %zu, want %u", i,
                      sent(0).len, cases[i].want_mss);
        gk_tcp_abort(app.conn);
    }
}
END_TEST

START_TEST(test_tcp_syn_with_data_and_odd_flags)
{
    struct tf_tcp syn = {
        .src = PEER_IP, .dst = OUR_IP, .sport = 42000, .dport = 80, .seq = 1,
        .flags = TCP_SYN, .wnd = 65535, .data = "early", .len = 5,
    };
    uint8_t f[TF_MAX];
    struct peer p = { .port = 42000, .seq = 2, .wnd = 65535 };

    learn_peer();
    listen_80();
    inject(f, tf_tcp(f, our_mac, peer_mac, &syn));
    ck_assert_uint_eq(only_sent().ack, 2);          /* the data is not taken */
    p.ack = only_sent().seq + 1;
    n_out = 0;
    peer_send(&p, TCP_ACK, "later", 5);
    ck_assert_uint_eq(app.rx_len, 5);
    ck_assert_mem_eq(app.rx, "later", 5);
    /* SYN+FIN, SYN+RST and a bare FIN to a listener: nothing. */
    n_out = 0;
    syn.sport = 42001;
    syn.len = 0;
    syn.flags = TCP_SYN | TCP_FIN;
    inject(f, tf_tcp(f, our_mac, peer_mac, &syn));
    syn.flags = TCP_SYN | TCP_RST;
    inject(f, tf_tcp(f, our_mac, peer_mac, &syn));
    syn.flags = TCP_FIN;
    inject(f, tf_tcp(f, our_mac, peer_mac, &syn));
    syn.flags = 0;
    inject(f, tf_tcp(f, our_mac, peer_mac, &syn));
    ck_assert_uint_eq(n_out, 0);
    /* Port 0 either way. */
    syn.flags = TCP_SYN;
    syn.sport = 0;
    inject(f, tf_tcp(f, our_mac, peer_mac, &syn));
    ck_assert_uint_eq(n_out, 0);
}
END_TEST

/* ---- Active open ---- */

START_TEST(test_tcp_connect)
{
    struct gk_tcp_conn *c;
    struct tf_parsed s;
    struct tf_tcp sa = {
        .src = PEER_IP, .dst = OUR_IP, .sport = 8080, .seq = 5000,
        .flags = TCP_SYN | TCP_ACK, .wnd = 30000, .opt = mss1460, .opt_len = 4,
    };
    uint8_t f[TF_MAX];

    learn_peer();
    app_reset();
    ck_assert_int_eq(gk_tcp_connect(&netif, PEER_IP, 8080, &app_callbacks, &app, &c), 0);
    app.conn = c;
    ck_assert_int_eq(gk_tcp_send(c, "queued", 6), 6);
    s = only_sent();
    ck_assert_uint_eq(s.flags, TCP_SYN);
    ck_assert_uint_eq(s.mss, 1460);
    ck_assert_uint_ge(s.sport, 49152);
    sa.dport = s.sport;
    sa.ack = s.seq + 1;
    n_out = 0;
    inject(f, tf_tcp(f, our_mac, peer_mac, &sa));
    ck_assert(app_saw(GK_TCP_CONNECTED));
    s = only_sent();                                /* the ACK carries the queued data */
    ck_assert_uint_eq(s.ack, 5001);
    ck_assert_uint_eq(s.len, 6);
    gk_tcp_abort(c);

    /* Refused. */
    app_reset();
    ck_assert_int_eq(gk_tcp_connect(&netif, PEER_IP, 8081, &app_callbacks, &app, &c), 0);
    app.conn = c;
    s = sent(n_out - 1);
    sa.sport = 8081;
    sa.dport = s.sport;
    sa.flags = TCP_RST | TCP_ACK;
    sa.seq = 0;
    sa.ack = s.seq + 1;
    sa.opt_len = 0;
    inject(f, tf_tcp(f, our_mac, peer_mac, &sa));
    ck_assert(app_saw(GK_TCP_RESET));
    ck_assert_uint_eq(live_conns(), 0);

    /* Nobody answers. */
    app_reset();
    ck_assert_int_eq(gk_tcp_connect(&netif, PEER_IP, 8082, &app_callbacks, &app, &c), 0);
    for (int i = 0; i < 200; i++)
        advance(1000);
    ck_assert(app_saw(GK_TCP_TIMEOUT));
    ck_assert_uint_eq(live_conns(), 0);
    ck_assert_int_eq(gk_tcp_connect(&netif, OUR_IP, 1, &app_callbacks, &app, &c),
                     -XEN_EADDRNOTAVAIL);
}
END_TEST

/* ---- Two stacks talking over a lossy in-memory wire ---- */

#define WIRE_MAX 4096

struct wire {
    struct {
        struct gk_netif *to;
        size_t len;
        uint8_t f[TF_MAX];
    } q[WIRE_MAX];
    unsigned int head, count;
    unsigned int loss_pct;
    uint64_t rng;
};

static struct wire wire;
static struct gk_netif left, right;

static uint32_t wire_rand(void)
{
    wire.rng ^= wire.rng << 13;
    wire.rng ^= wire.rng >> 7;
    wire.rng ^= wire.rng << 17;
    return (uint32_t)wire.rng;
}

static int wire_tx(struct gk_netif *from, const void *frame, size_t len)
{
    unsigned int slot;

    ck_assert_uint_le(len, TF_MAX);
    if (wire.count == WIRE_MAX || wire_rand() % 100 < wire.loss_pct)
        return 0;
    slot = (wire.head + wire.count++) % WIRE_MAX;
    wire.q[slot].to = from == &left ? &right : &left;
    wire.q[slot].len = len;
    memcpy(wire.q[slot].f, frame, len);
    return 0;
}

struct pump {
    const uint8_t *data;
    size_t len, sent, received;
    bool mismatch, eof, failed;
    struct gk_tcp_conn *conn;
};

static void pump_more(struct pump *pm)
{
    while (pm->sent < pm->len) {
        int n = gk_tcp_send(pm->conn, pm->data + pm->sent, pm->len - pm->sent);

        if (n <= 0)
            return;
        pm->sent += (size_t)n;
    }
    gk_tcp_shutdown(pm->conn);
}

static size_t pump_recv(struct gk_tcp_conn *c, const void *data, size_t len, void *arg)
{
    struct pump *pm = arg;

    if (pm->received + len > pm->len || memcmp(pm->data + pm->received, data, len))
        pm->mismatch = true;
    pm->received += len;
    return len;
}

static void pump_sent(struct gk_tcp_conn *c, size_t acked, void *arg)
{
    pump_more(arg);
}

static void pump_event(struct gk_tcp_conn *c, enum gk_tcp_event ev, void *arg)
{
    struct pump *pm = arg;

    if (ev == GK_TCP_CONNECTED) {
        pump_more(pm);
    } else if (ev == GK_TCP_EOF) {
        pm->eof = true;
        gk_tcp_close(c);
    } else {
        pm->failed = true;
    }
}

static const struct gk_tcp_callbacks pump_callbacks = {
    .recv = pump_recv, .sent = pump_sent, .event = pump_event,
};

static void pair_up(struct gk_netif *n, uint32_t addr, uint8_t last)
{
    struct gk_net_config cfg = { .seed = last };

    memset(n, 0, sizeof(*n));
    memcpy(n->mac, (const uint8_t[]){ 2, 0, 0, 0, 1, last }, 6);
    n->transmit = wire_tx;
    n->addr = addr;
    n->netmask = NETMASK;
    ck_assert_int_eq(gk_netif_init(n, &cfg), 0);
}

/* Left connects to right's echo service and sends `len` bytes through it. */
static void echo_over_wire(unsigned int loss_pct, size_t len, unsigned int conns)
{
    static struct echo_counters counters;
    static struct pump pumps[4];
    uint8_t *data = malloc(len);
    uint64_t t = 0;
    bool done = false;

    ck_assert_uint_le(conns, 4);
    memset(&wire, 0, sizeof(wire));
    wire.loss_pct = loss_pct;
    wire.rng = 0x9e3779b97f4a7c15ull;
    for (size_t i = 0; i < len; i++)
        data[i] = (uint8_t)(i * 131 + i / 251);
    pair_up(&left, GK_IPV4(10, 0, 0, 1), 1);
    pair_up(&right, GK_IPV4(10, 0, 0, 2), 2);
    ck_assert_int_eq(echo_services_start(&right, &counters), 0);
    for (unsigned int i = 0; i < conns; i++) {
        memset(&pumps[i], 0, sizeof(pumps[i]));
        pumps[i].data = data;
        pumps[i].len = len;
        ck_assert_int_eq(gk_tcp_connect(&left, GK_IPV4(10, 0, 0, 2), 7, &pump_callbacks,
                                        &pumps[i], &pumps[i].conn), 0);
    }
    while (!done && t < 600000) {
        if (wire.count) {
            unsigned int slot = wire.head;

            wire.head = (wire.head + 1) % WIRE_MAX;
            wire.count--;
            gk_net_input(wire.q[slot].to, wire.q[slot].f, wire.q[slot].len);
            continue;
        }
        t += 5;
        gk_net_poll(&left, t);
        gk_net_poll(&right, t);
        done = true;
        for (unsigned int i = 0; i < conns; i++)
            done = done && ((pumps[i].eof && pumps[i].received == len) || pumps[i].failed);
    }
    for (unsigned int i = 0; i < conns; i++) {
        ck_assert_msg(!pumps[i].failed && !pumps[i].mismatch && pumps[i].eof,
                      "connection %u: failed %d mismatch %d eof %d", i, pumps[i].failed,
                      pumps[i].mismatch, pumps[i].eof);
        ck_assert_uint_eq(pumps[i].received, len);
    }
    ck_assert_uint_eq(counters.tcp_bytes, (uint64_t)len * conns);
    if (loss_pct)
        ck_assert_uint_gt(gk_net_stats(&left)->tcp_retransmits +
                          gk_net_stats(&right)->tcp_retransmits, 0);
    /* Both sides finish closing. */
    for (int i = 0; i < 100; i++) {
        t += 100;
        while (wire.count) {
            unsigned int slot = wire.head;

            wire.head = (wire.head + 1) % WIRE_MAX;
            wire.count--;
            gk_net_input(wire.q[slot].to, wire.q[slot].f, wire.q[slot].len);
        }
        gk_net_poll(&left, t);
        gk_net_poll(&right, t);
    }
    for (unsigned int i = 0; i < left.stack->cfg.tcp_max_conns; i++) {
        ck_assert_ptr_null(left.stack->conns[i]);
        ck_assert_ptr_null(right.stack->conns[i]);
    }
    gk_netif_destroy(&left);
    gk_netif_destroy(&right);
    free(data);
}

START_TEST(test_pair_clean)
{
    echo_over_wire(0, 300000, 1);
}
END_TEST

START_TEST(test_pair_lossy)
{
    echo_over_wire(10, 200000, 1);
}
END_TEST

START_TEST(test_pair_four_lossy)
{
    echo_over_wire(5, 100000, 4);
}
END_TEST

/* ---- Random damage ---- */

START_TEST(test_fuzz_mutations)
{
    static struct echo_counters counters;
    struct peer p;
    uint8_t base[8][TF_MAX], f[TF_MAX];
    size_t len[8];
    uint64_t rng = 12345;

    established(&p, 65535);
    app.echo = true;
    ck_assert_int_eq(echo_services_start(&netif, &counters), 0);
    len[0] = peer_seg(base[0], &p, TCP_ACK | TCP_PSH, "fuzzing data", 12);
    len[1] = peer_seg(base[1], &p, TCP_ACK | TCP_FIN, NULL, 0);
    len[2] = tf_icmp_echo(base[2], our_mac, peer_mac, PEER_IP, OUR_IP, 1, 2, "ping", 4);
    len[3] = tf_udp(base[3], our_mac, peer_mac, PEER_IP, OUR_IP, 9, 7, "udp", 3);
    len[4] = tf_arp(base[4], bcast_mac, 1, peer_mac, PEER_IP, zero_mac, OUR_IP);
    {
        struct tf_tcp syn = {
            .src = PEER_IP, .dst = OUR_IP, .sport = 43000, .dport = 7, .seq = 1,
            .flags = TCP_SYN, .wnd = 65535, .opt = mss1460, .opt_len = 4,
        };

        len[5] = tf_tcp(base[5], our_mac, peer_mac, &syn);
        syn.dport = 80;
        len[6] = tf_tcp(base[6], our_mac, peer_mac, &syn);
    }
    len[7] = peer_seg(base[7], &p, TCP_RST, NULL, 0);
    for (int iter = 0; iter < 300000; iter++) {
        unsigned int which, flips;
        size_t n;
        uint8_t *copy;

        rng = rng * 6364136223846793005ull + 1442695040888963407ull;
        which = (unsigned int)(rng >> 33) % 8;
        n = len[which];
        memcpy(f, base[which], n);
        flips = 1 + (unsigned int)(rng >> 40) % 4;
        for (unsigned int k = 0; k < flips; k++) {
            rng = rng * 6364136223846793005ull + 1442695040888963407ull;
            f[(rng >> 33) % n] ^= (uint8_t)(1u << ((rng >> 29) & 7));
        }
        /* Mostly keep the checksums right, so the damage reaches the upper layers. */
        if ((rng >> 20) % 4 && n >= 34 && f[12] == 0x08 && f[13] == 0x00 &&
            (f[14] & 0xf) >= 5 && 14u + (f[14] & 0xf) * 4u <= n) {
            tf_ip_fix(f);
            if (f[23] == 6 && (size_t)(f[16] << 8 | f[17]) + 14 <= n &&
                (f[16] << 8 | f[17]) >= (f[14] & 0xf) * 4 + 20)
                tf_tcp_fix(f);
        }
        if ((rng >> 24) % 8 == 0)
            n = (rng >> 8) % (n + 1);
        copy = malloc(n ? n : 1);
        memcpy(copy, f, n);
        inject(copy, n);
        free(copy);
        if (iter % 97 == 0)
            advance(50);
        n_out = 0;
    }
    ck_assert_uint_ge(stats()->rx_frames, 300000);
    ck_assert_uint_gt(stats()->rx_bad_checksum, 1000);
    ck_assert_uint_gt(stats()->rx_bad_l4, 1000);
}
END_TEST

START_TEST(test_ipv4_parse)
{
    static const char *const bad[] = {
        "", "1.2.3", "1.2.3.", "256.1.1.1", "1.2.3.4444", "a.b.c.d", "1..2.3", "-1.2.3.4",
        "1.2.3.0256", ".1.2.3",
    };
    uint32_t addr = 0;
    const char *rest;

    rest = gk_ipv4_parse("10.77.0.2/24", &addr);
    ck_assert_ptr_nonnull(rest);
    ck_assert_str_eq(rest, "/24");
    ck_assert_uint_eq(addr, GK_IPV4(10, 77, 0, 2));
    rest = gk_ipv4_parse("255.255.255.255", &addr);
    ck_assert(rest && !*rest && addr == 0xffffffffu);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(!gk_ipv4_parse(bad[i], &addr), "'%s' parsed", bad[i]);
}
END_TEST

static Suite *net_suite(void)
{
    Suite *s = suite_create("net");
    TCase *tc;

    tc = tcase_create("link");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_checksum_matches_reference);
    tcase_add_test(tc, test_arp_request_reply);
    tcase_add_test(tc, test_arp_for_others_ignored);
    tcase_add_test(tc, test_arp_truncated_and_bad_fields);
    tcase_add_test(tc, test_ethernet_filters);
    tcase_add_test(tc, test_arp_resolves_and_queues_one);
    suite_add_tcase(s, tc);

    tc = tcase_create("ip");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_ping_reply);
    tcase_add_test(tc, test_ping_padding_and_filters);
    tcase_add_test(tc, test_ip_header_attacks);
    tcase_add_test(tc, test_fragments_dropped);
    tcase_add_test(tc, test_oversized_ping_dropped);
    tcase_add_test(tc, test_udp_delivery_and_checks);
    tcase_add_test(tc, test_udp_port_unreachable);
    tcase_add_test(tc, test_udp_echo_service);
    tcase_add_test(tc, test_ipv4_parse);
    suite_add_tcase(s, tc);

    tc = tcase_create("tcp");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_tcp_rst_for_closed_port);
    tcase_add_test(tc, test_tcp_echo_exchange);
    tcase_add_test(tc, test_tcp_accept_refused);
    tcase_add_test(tc, test_tcp_mss_honoured);
    tcase_add_test(tc, test_tcp_peer_window_respected);
    tcase_add_test(tc, test_tcp_out_of_order_and_outside_window);
    tcase_add_test(tc, test_tcp_rst_rules);
    tcase_add_test(tc, test_tcp_rst_in_syn_rcvd);
    tcase_add_test(tc, test_tcp_passive_close);
    tcase_add_test(tc, test_tcp_active_close_time_wait);
    tcase_add_test(tc, test_tcp_close_with_unread_data_resets);
    tcase_add_test(tc, test_tcp_retransmission_backoff_timeout);
    tcase_add_test(tc, test_tcp_fast_retransmit);
    tcase_add_test(tc, test_tcp_zero_window_probe);
    tcase_add_test(tc, test_tcp_flow_control_window);
    tcase_add_test(tc, test_tcp_syn_flood_bounded);
    tcase_add_test(tc, test_tcp_half_open_expires);
    tcase_add_test(tc, test_tcp_truncated_headers_and_offsets);
    tcase_add_test(tc, test_tcp_bad_options);
    tcase_add_test(tc, test_tcp_syn_with_data_and_odd_flags);
    tcase_add_test(tc, test_tcp_connect);
    suite_add_tcase(s, tc);

    tc = tcase_create("pair");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_pair_clean);
    tcase_add_test(tc, test_pair_lossy);
    tcase_add_test(tc, test_pair_four_lossy);
    suite_add_tcase(s, tc);

    tc = tcase_create("fuzz");
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_fuzz_mutations);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(net_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
