/* test_netback_hostile.c: Check tests of netback's engine against hostile frontends. */
/* SPDX-License-Identifier: MIT */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fake.h"
#include "frame.h"

#define DOMID 6
#define PAGES (2 * FAKE_VIF_PAGES + 16)
#define WAIT 5000
#define BAD_REF 99999u

static const uint8_t mac_a[6] = { 0x00, 0x16, 0x3e, 0x00, 0x00, 0x0a };
static const uint8_t mac_b[6] = { 0x00, 0x16, 0x3e, 0x00, 0x00, 0x0b };

static struct fake_guest *g;
static struct fake_vif v;
static int broken_calls;
static uint8_t frame[70000], got[70000];

static void on_broken(void *arg, const char *why)
{
    __atomic_fetch_add(&broken_calls, 1, __ATOMIC_RELAXED);
}

static void setup(void)
{
    g = fake_guest_create(PAGES, DOMID, PAGES + 16);
    fake_vif_init(&v, g, 0, 0, 1, 1, 0);
    v.p.on_broken = on_broken;
    broken_calls = 0;
}

static void teardown(void)
{
    fake_vif_fini(&v);
    ck_assert_int_eq(fake_mapped(g), 0);
    fake_guest_destroy(g);
}

/* A tx slot with the given fields, data from the slot's own page. */
static netif_tx_request_t *slot(uint16_t id, uint16_t offset, uint16_t size, uint16_t flags)
{
    unsigned int idx = v.tx.req_prod_pvt & (NB_TX_RING_SIZE - 1);
    netif_tx_request_t *r = fake_tx_slot(&v);

    r->gref = fake_tx_ref(&v, idx);
    r->id = id;
    r->offset = offset;
    r->size = size;
    r->flags = flags;
    return r;
}

static struct netif_extra_info *extra(uint8_t type, uint8_t flags)
{
    struct netif_extra_info *x = (struct netif_extra_info *)fake_tx_slot(&v);

    x->type = type;
    x->flags = flags;
    return x;
}

/* Fill the page behind the next tx slot with a frame (for packets that need real headers). */
static void page_frame(const uint8_t *f, size_t len, uint16_t offset)
{
    memcpy(fake_tx_page(&v, v.tx.req_prod_pvt & (NB_TX_RING_SIZE - 1)) + offset, f, len);
}

static size_t udp_frame(void)
{
    return fake_frame(frame, &(struct fake_l4){ mac_b, mac_a, false, false, 64, 9, 0 });
}

static size_t tcp_frame(void)
{
    return fake_frame(frame, &(struct fake_l4){ mac_b, mac_a, false, true, 2000, 9, 0 });
}

/* Each case writes slots and says what the responses must be ('O'kay, 'E'rror, 'N'ull). */
static const char *bad_case(int c)
{
    netif_tx_request_t *r;
    struct netif_extra_info *x;
    size_t len;

    switch (c) {
    case 0:
        slot(1, 0, 10, 0);                              /* shorter than an Ethernet header */
        return "E";
    case 1:
        slot(1, 0, 0, 0);                               /* empty */
        return "E";
    case 2:
        slot(1, 4000, 200, 0);                          /* past the end of the page */
        return "E";
    case 3:
        slot(1, 0, 100, NETTXF_more_data);              /* later slots bigger than the total */
        slot(2, 0, 200, 0);
        return "EE";
    case 4:
        slot(1, 0, 5000, NETTXF_more_data);             /* first slot's own part: 4500 bytes */
        slot(2, 0, 500, 0);
        return "EE";
    case 5:
        slot(1, 0, 300, NETTXF_more_data);
        slot(2, 4000, 200, 0);                          /* second slot past its page */
        return "EE";
    case 6:
        slot(1, 0, 19 * 100, NETTXF_more_data);         /* 19 slots: more than the 18 served */
        for (unsigned int i = 1; i < 19; i++)
            slot((uint16_t)(1 + i), 0, 100, i < 18 ? NETTXF_more_data : 0);
        return "EEEEEEEEEEEEEEEEEEE";
    case 7:
        slot(1, 0, 200, NETTXF_more_data);              /* one id twice in a packet */
        slot(1, 0, 100, 0);
        return "EE";
    case 8:
        slot(5, 0, 100, 0);                             /* one id in two packets in flight */
        slot(5, 0, 100, 0);
        return "OE";
    case 9:
        r = slot(1, 0, 100, 0);
        r->gref = BAD_REF;                              /* not a grant at all */
        return "E";
    case 10:
        r = slot(1, 0, 100, 0);
        fake_revoke(g, r->gref);                        /* a grant ended */
        return "E";
    case 11:
        slot(1, 0, 100, NETTXF_extra_info);
        extra(XEN_NETIF_EXTRA_TYPE_NONE, 0);            /* extra info of no type */
        return "EN";
    case 12:
        slot(1, 0, 100, NETTXF_extra_info);
        extra(7, 0);                                    /* unknown type */
        return "EN";
    case 13:
        len = tcp_frame();
        page_frame(frame, len, 0);
        slot(1, 0, (uint16_t)len, NETTXF_extra_info | NETTXF_csum_blank);
        x = extra(XEN_NETIF_EXTRA_TYPE_GSO, XEN_NETIF_EXTRA_FLAG_MORE);
        x->u.gso.type = XEN_NETIF_GSO_TYPE_TCPV4;
        x->u.gso.size = 1000;
        x = extra(XEN_NETIF_EXTRA_TYPE_GSO, 0);         /* GSO twice */
        x->u.gso.type = XEN_NETIF_GSO_TYPE_TCPV4;
        x->u.gso.size = 1000;
        return "ENN";
    case 14:
        len = tcp_frame();
        page_frame(frame, len, 0);
        slot(1, 0, (uint16_t)len, NETTXF_extra_info | NETTXF_csum_blank);
        x = extra(XEN_NETIF_EXTRA_TYPE_GSO, 0);
        x->u.gso.type = XEN_NETIF_GSO_TYPE_TCPV4;       /* MSS 0 */
        return "EN";
    case 15:
        len = tcp_frame();
        page_frame(frame, len, 0);
        slot(1, 0, (uint16_t)len, NETTXF_extra_info | NETTXF_csum_blank);
        x = extra(XEN_NETIF_EXTRA_TYPE_GSO, 0);
        x->u.gso.type = 3;                              /* no such GSO type */
        x->u.gso.size = 1000;
        return "EN";
    case 16:
        len = udp_frame();
        page_frame(frame, len, 0);
        slot(1, 0, (uint16_t)len, NETTXF_extra_info | NETTXF_csum_blank);
        x = extra(XEN_NETIF_EXTRA_TYPE_GSO, 0);         /* TCP segmentation of UDP */
        x->u.gso.type = XEN_NETIF_GSO_TYPE_TCPV4;
        x->u.gso.size = 1000;
        return "EN";
    case 17:
        len = tcp_frame();
        page_frame(frame, len, 0);
        slot(1, 0, (uint16_t)len, NETTXF_extra_info | NETTXF_csum_blank);
        x = extra(XEN_NETIF_EXTRA_TYPE_GSO, 0);         /* TCPv6 segmentation of IPv4 */
        x->u.gso.type = XEN_NETIF_GSO_TYPE_TCPV6;
        x->u.gso.size = 1000;
        return "EN";
    case 18:
        len = fake_raw_frame(frame, mac_b, mac_a, 200, 1);
        page_frame(frame, len, 0);
        slot(1, 0, (uint16_t)len, NETTXF_csum_blank);   /* no IP header to find a checksum in */
        return "E";
    case 19:
        len = udp_frame();
        frame[14] = 0x4f;                               /* IHL of 60 bytes: past the UDP header */
        frame[16] = 0;
        frame[17] = 40;                                 /* and a total length shorter than that */
        page_frame(frame, len, 0);
        slot(1, 0, (uint16_t)len, NETTXF_csum_blank);
        return "E";
    case 20:
        slot(1, 0, 100, NETTXF_extra_info);             /* a multicast filter request */
        x = extra(XEN_NETIF_EXTRA_TYPE_MCAST_ADD, 0);
        memcpy(x->u.mcast.addr, "\x01\x00\x5e\x00\x00\x01", 6);
        return "ON";
    default:
        return NULL;
    }
}

#define NR_BAD_CASES 21

START_TEST(test_bad_packets)
{
    netif_tx_response_t rsp[32];
    struct virtio_net_hdr h;
    struct nb_queue_stats st;
    const char *want;
    size_t len;

    fake_vif_start(&v, false);
    want = bad_case(_i);
    fake_tx_push(&v);
    ck_assert_uint_eq(fake_tx_responses(&v, rsp, (unsigned int)strlen(want), WAIT), strlen(want));
    for (unsigned int i = 0; want[i]; i++) {
        int16_t s = want[i] == 'O' ? XEN_NETIF_RSP_OKAY
                    : want[i] == 'E' ? XEN_NETIF_RSP_ERROR : XEN_NETIF_RSP_NULL;

        ck_assert_msg(rsp[i].status == s, "case %d slot %u: status %d, want %d", _i, i,
                      rsp[i].status, s);
    }
    /* Nothing bad reached the world (case 8's first packet is fine: it goes). */
    if (_i == 8) {
        ck_assert_int_eq(fake_world_recv(&v, &h, got, sizeof(got), WAIT), 100);
    }
    ck_assert_int_eq(fake_world_recv(&v, &h, got, sizeof(got), 50), -1);
    ck_assert(!nb_queue_broken(v.q));
    /* And the frontend's next good packet goes through. */
    len = fake_frame(frame, &(struct fake_l4){ mac_b, mac_a, false, true, 500, 2, 1 });
    fake_tx_packet(&v, frame, len, NULL);
    fake_tx_push(&v);
    ck_assert_uint_eq(fake_tx_responses(&v, rsp, 1, WAIT), 1);
    ck_assert_int_eq(rsp[0].status, XEN_NETIF_RSP_OKAY);
    ck_assert_int_eq(fake_world_recv(&v, &h, got, sizeof(got), WAIT), (ssize_t)len);
    ck_assert(memcmp(got, frame, len) == 0);
    nb_queue_stats(v.q, &st);
    /* Exactly one packet was refused (or, for the multicast request, ignored). */
    ck_assert_uint_eq(st.tx_errors + st.tx_mcast, 1);
}
END_TEST

/* Ring protocol violations: the queue stops, once, and touches nothing more. */
static void breaker(int c)
{
    struct nb_queue_stats st;
    size_t len = fake_raw_frame(frame, mac_a, mac_b, 100, 1);

    switch (c) {
    case 0:
        v.tx.sring->req_prod += 1000;                   /* far ahead */
        fake_kick(&v, false);
        break;
    case 1:
        fake_tx_packet(&v, frame, len, NULL);
        fake_tx_push(&v);
        fake_settle(&v, 20);
        v.tx.sring->req_prod -= 3;                      /* behind what was consumed */
        fake_kick(&v, false);
        break;
    case 2:
        slot(1, 0, 300, NETTXF_more_data);              /* the packet goes on past req_prod */
        fake_tx_push(&v);
        break;
    case 3:
        slot(1, 0, 300, NETTXF_extra_info);             /* its extra info is missing */
        fake_tx_push(&v);
        break;
    case 4:
        slot(1, 0, 21 * 100, NETTXF_more_data);         /* 21 slots */
        for (unsigned int i = 1; i < 21; i++)
            slot((uint16_t)(1 + i), 0, 100, i < 20 ? NETTXF_more_data : 0);
        fake_tx_push(&v);
        break;
    case 5:
        slot(1, 0, 300, NETTXF_extra_info);             /* extra info that never ends */
        for (unsigned int i = 0; i < 6; i++)
            extra(XEN_NETIF_EXTRA_TYPE_HASH, XEN_NETIF_EXTRA_FLAG_MORE);
        fake_tx_push(&v);
        break;
    case 6:
        fake_world_send(&v, NULL, frame, len);          /* rx req_prod far ahead */
        fake_settle(&v, 20);
        v.rx.sring->req_prod += 1000;
        fake_kick(&v, true);
        break;
    case 7:
        fake_rx_post(&v, 4);                            /* rx req_prod moved back */
        fake_world_send(&v, NULL, frame, len);
        fake_settle(&v, 20);
        v.rx.sring->req_prod -= 8;
        fake_world_send(&v, NULL, frame, len);
        fake_kick(&v, true);
        break;
    }
    fake_settle(&v, 50);
    ck_assert_msg(nb_queue_broken(v.q), "case %d not caught", c);
    ck_assert_int_eq(__atomic_load_n(&broken_calls, __ATOMIC_RELAXED), 1);
    nb_queue_stats(v.q, &st);
    /* Nothing more is taken, whatever the frontend does. */
    v.tx.sring->req_prod = v.tx.req_prod_pvt = v.tx.sring->rsp_prod;
    slot(9, 0, 100, 0);
    fake_tx_push(&v);
    fake_kick(&v, false);
    fake_settle(&v, 50);
    {
        struct nb_queue_stats after;

        nb_queue_stats(v.q, &after);
        ck_assert_uint_eq(after.tx_packets + after.tx_errors, st.tx_packets + st.tx_errors);
    }
    ck_assert_int_eq(__atomic_load_n(&broken_calls, __ATOMIC_RELAXED), 1);
}

START_TEST(test_ring_protocol_violations)
{
    fake_vif_start(&v, _i & 1);
    breaker(_i >> 1);
}
END_TEST

START_TEST(test_rx_bad_grants)
{
    struct fake_rx_info info;
    netif_rx_request_t *req;
    size_t len = fake_raw_frame(frame, mac_a, mac_b, 300, 4);

    fake_vif_start(&v, _i);
    /* A buffer that is no grant, one that is read-only, one ended: each slot fails alone. */
    for (unsigned int i = 0; i < 3; i++) {
        req = RING_GET_REQUEST(&v.rx, v.rx.req_prod_pvt);
        req->id = (uint16_t)(v.rx.req_prod_pvt & (NB_RX_RING_SIZE - 1));
        req->gref = i == 0 ? BAD_REF : i == 1 ? fake_tx_ref(&v, 0) : fake_rx_ref(&v, 7);
        if (i == 2)
            fake_revoke(g, req->gref);
        v.rx.req_prod_pvt++;
        RING_PUSH_REQUESTS(&v.rx);
        fake_kick(&v, true);
        fake_world_send(&v, NULL, frame, len);
        ck_assert_int_eq(fake_rx_packet(&v, got, sizeof(got), &info, WAIT), -2);
        ck_assert_int_eq(info.status, XEN_NETIF_RSP_ERROR);
    }
    fake_grant(g, fake_rx_ref(&v, 7), v.base + 2 + NB_TX_RING_SIZE + 7, false);
    fake_rx_post(&v, 8);
    fake_world_send(&v, NULL, frame, len);
    ck_assert_int_eq(fake_rx_packet(&v, got, sizeof(got), &info, WAIT), (ssize_t)len);
    ck_assert(memcmp(got, frame, len) == 0);
    ck_assert(!nb_queue_broken(v.q));
}
END_TEST

/* Junk from the world: headers that lie about checksums and segmentation. */
START_TEST(test_rx_junk_from_the_world)
{
    struct fake_rx_info info;
    struct nb_queue_stats st;
    unsigned int seed = 1;

    fake_vif_start(&v, false);
    fake_rx_post(&v, NB_RX_RING_SIZE);
    for (unsigned int i = 0; i < 3000; i++) {
        struct virtio_net_hdr h;
        size_t len = (size_t)(rand_r(&seed) % 3000);

        if (i % 3 == 0)
            len = fake_frame(frame, &(struct fake_l4){ mac_a, mac_b, rand_r(&seed) & 1,
                                                       rand_r(&seed) & 1,
                                                       (uint32_t)(rand_r(&seed) % 5000), 1, 1 });
        for (size_t k = (i % 3 == 0) ? len : 0; k < len; k++)
            frame[k] = (uint8_t)rand_r(&seed);
        if (i % 5 == 0 && len > 40)
            frame[14 + rand_r(&seed) % 26] = (uint8_t)rand_r(&seed);
        h.flags = (uint8_t)(rand_r(&seed) & 3);
        h.gso_type = (uint8_t)((rand_r(&seed) % 4 == 0) ? rand_r(&seed) & 0x85 : 0);
        h.hdr_len = (uint16_t)rand_r(&seed);
        h.gso_size = (uint16_t)(rand_r(&seed) % 3 == 0 ? 0 : rand_r(&seed) % 2000);
        h.csum_start = (uint16_t)(rand_r(&seed) % 2 ? 34 : rand_r(&seed));
        h.csum_offset = (uint16_t)(rand_r(&seed) % 2 ? 16 : rand_r(&seed));
        fake_world_send(&v, &h, frame, len);
        nb_queue_run_once(v.q, 0);
        while (fake_rx_packet(&v, got, sizeof(got), &info, 0) != -1) {
        }
        if (RING_FREE_REQUESTS(&v.rx) > 64)
            fake_rx_post(&v, NB_RX_RING_SIZE);
    }
    ck_assert(!nb_queue_broken(v.q));
    nb_queue_stats(v.q, &st);
    ck_assert_uint_gt(st.rx_packets, 100);
    ck_assert_uint_gt(st.rx_dropped, 100);
}
END_TEST

/* Random tx slots: every consumed slot gets one sane answer, or the ring is declared broken. */
START_TEST(test_fuzz_tx)
{
    unsigned int seed = 12345 + (unsigned int)_i, rebuilt = 0;
    netif_tx_response_t rsp[NB_TX_RING_SIZE];
    struct virtio_net_hdr h;

    fake_vif_start(&v, false);
    for (unsigned int round = 0; round < 1500; round++) {
        unsigned int n = 1 + (unsigned int)rand_r(&seed) % 6, got_n;
        RING_IDX start = v.tx.req_prod_pvt;

        for (unsigned int k = 0; k < n && !RING_FULL(&v.tx); k++) {
            unsigned int idx = v.tx.req_prod_pvt & (NB_TX_RING_SIZE - 1);
            netif_tx_request_t *r = fake_tx_slot(&v);
            unsigned int pick = (unsigned int)rand_r(&seed);

            r->gref = pick % 11 == 0 ? (grant_ref_t)rand_r(&seed) : fake_tx_ref(&v, idx);
            r->offset = (uint16_t)(pick % 3 == 0 ? rand_r(&seed) : rand_r(&seed) % 256);
            r->size = (uint16_t)(pick % 5 == 0 ? rand_r(&seed) : 14 + rand_r(&seed) % 1500);
            r->id = (uint16_t)(pick % 7 == 0 ? (unsigned int)rand_r(&seed) % 4 : idx);
            r->flags = (uint16_t)(rand_r(&seed) % 4 == 0 ? (unsigned int)rand_r(&seed) & 0xf
                                  : (k + 1 < n ? NETTXF_more_data : 0));
            for (unsigned int b = 0; b < 64; b++)
                fake_tx_page(&v, idx)[rand_r(&seed) % FAKE_PAGE] = (uint8_t)rand_r(&seed);
        }
        fake_tx_push(&v);
        nb_queue_run_once(v.q, 0);
        got_n = fake_tx_responses(&v, rsp, NB_TX_RING_SIZE, 0);
        for (unsigned int k = 0; k < got_n; k++)
            ck_assert(rsp[k].status == XEN_NETIF_RSP_OKAY || rsp[k].status == XEN_NETIF_RSP_ERROR ||
                      rsp[k].status == XEN_NETIF_RSP_NULL);
        while (fake_world_recv(&v, &h, got, sizeof(got), 0) >= 0) {
        }
        if (nb_queue_broken(v.q)) {
            /* A broken frontend starts over on fresh rings, as after a reconnect. */
            fake_vif_fini(&v);
            fake_vif_init(&v, g, 0, 0, 1, 1, start);
            v.p.on_broken = on_broken;
            fake_vif_start(&v, false);
            rebuilt++;
            continue;
        }
        /* Whatever was not answered is an unfinished packet at req_prod: drop it. */
        v.tx.req_prod_pvt = v.tx.sring->req_prod = v.tx.sring->rsp_prod;
        v.tx.rsp_cons = v.tx.sring->rsp_prod;
    }
    ck_assert_uint_gt(rebuilt, 0);
}
END_TEST

/*
 * Isolation: one frontend abuses its rings (rewriting slots while the
 * backend reads them, breaking the protocol, starting over) while another
 * frontend's traffic is verified packet by packet, both ways.
 */
static volatile int scribbling;

static void *scribbler(void *arg)
{
    struct fake_vif *bad = arg;
    unsigned int seed = 99;

    while (__atomic_load_n(&scribbling, __ATOMIC_RELAXED)) {
        uint8_t *ring = fake_page(bad->g, bad->base + (rand_r(&seed) & 1));

        /* Slots only: the header stays sane, so the test's own front ring code keeps working. */
        ring[64 + rand_r(&seed) % (FAKE_PAGE - 64)] = (uint8_t)rand_r(&seed);
    }
    return NULL;
}

START_TEST(test_isolation)
{
    struct fake_guest *g2 = fake_guest_create(FAKE_VIF_PAGES + 4, DOMID + 1, FAKE_VIF_PAGES + 4);
    struct fake_vif good;
    netif_tx_response_t rsp[NB_TX_RING_SIZE];
    struct virtio_net_hdr h;
    struct fake_rx_info info;
    pthread_t th;
    unsigned int seed = 5;

    fake_vif_init(&good, g2, 0, 0, 3, 4, 0);
    fake_vif_start(&good, true);
    fake_vif_start(&v, true);
    fake_rx_post(&good, 64);
    scribbling = 1;
    ck_assert_int_eq(pthread_create(&th, NULL, scribbler, &v), 0);
    for (unsigned int i = 0; i < 400; i++) {
        size_t len = fake_frame(frame, &(struct fake_l4){ mac_b, mac_a, i & 1, i & 2,
                                                          (uint32_t)(i * 37 % 3000), (uint8_t)i,
                                                          i });

        /* The bad one: random requests, pushed, sometimes with broken indexes. */
        for (unsigned int k = 0; k < 8 && !RING_FULL(&v.tx); k++) {
            netif_tx_request_t *r = fake_tx_slot(&v);

            r->gref = (grant_ref_t)rand_r(&seed) % 600;
            r->size = (uint16_t)rand_r(&seed);
            r->offset = (uint16_t)rand_r(&seed);
            r->flags = (uint16_t)rand_r(&seed);
        }
        fake_tx_push(&v);
        fake_rx_post(&v, 4);
        if (i % 50 == 49) {
            v.tx.sring->req_prod += 777;
            fake_kick(&v, false);
        }
        if (nb_queue_broken(v.q) || i % 60 == 59) {
            __atomic_store_n(&scribbling, 0, __ATOMIC_RELAXED);
            pthread_join(th, NULL);
            fake_vif_fini(&v);
            fake_vif_init(&v, g, 0, 0, 1, 1, 0);
            fake_vif_start(&v, true);
            scribbling = 1;
            ck_assert_int_eq(pthread_create(&th, NULL, scribbler, &v), 0);
        }
        /* The good one: a packet out, verified, and one in, verified. */
        ck_assert_uint_gt(fake_tx_packet(&good, frame, len, &(struct fake_tx_opts){
                                         .chunk = 1000 }), 0);
        fake_tx_push(&good);
        ck_assert_uint_ge(fake_tx_responses(&good, rsp, 1, WAIT), 1);
        while (fake_tx_responses(&good, rsp, NB_TX_RING_SIZE, 0)) {
        }
        ck_assert_int_eq(fake_world_recv(&good, &h, got, sizeof(got), WAIT), (ssize_t)len);
        ck_assert(memcmp(got, frame, len) == 0);
        fake_world_send(&good, NULL, frame, len);
        ck_assert_int_eq(fake_rx_packet(&good, got, sizeof(got), &info, WAIT), (ssize_t)len);
        ck_assert(memcmp(got, frame, len) == 0);
        fake_rx_post(&good, info.slots);
    }
    __atomic_store_n(&scribbling, 0, __ATOMIC_RELAXED);
    pthread_join(th, NULL);
    fake_vif_fini(&good);
    ck_assert_int_eq(fake_mapped(g2), 0);
    fake_guest_destroy(g2);
}
END_TEST

static Suite *hostile_suite(void)
{
    Suite *s = suite_create("netback-hostile");
    TCase *tc = tcase_create("hostile");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_bad_packets, 0, NR_BAD_CASES);
    tcase_add_loop_test(tc, test_ring_protocol_violations, 0, 16);
    tcase_add_loop_test(tc, test_rx_bad_grants, 0, 2);
    tcase_add_test(tc, test_rx_junk_from_the_world);
    tcase_add_loop_test(tc, test_fuzz_tx, 0, 4);
    tcase_add_test(tc, test_isolation);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(hostile_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
