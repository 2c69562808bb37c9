/* test_netback_engine.c: Check tests of netback's engine: tx, rx, offloads, rings, events. */
/* SPDX-License-Identifier: MIT */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake.h"
#include "frame.h"

/*
 * Each test runs the engine against one fake netfront; _i picks whether
 * the queue has its own thread (1) or is driven by the waits (0).
 */

#define DOMID 5
#define PAGES (FAKE_VIF_PAGES + 16)
#define WAIT 5000

static const uint8_t mac_a[6] = { 0x00, 0x16, 0x3e, 0x00, 0x00, 0x0a };
static const uint8_t mac_b[6] = { 0x00, 0x16, 0x3e, 0x00, 0x00, 0x0b };

static struct fake_guest *g;
static struct fake_vif v;
static uint8_t frame[70000], got[70000];

static void setup_idx(RING_IDX idx)
{
    g = fake_guest_create(PAGES, DOMID, PAGES + 16);
    fake_vif_init(&v, g, 0, 0, 1, 1, idx);
}

static void setup(void)
{
    setup_idx(0);
}

static void teardown(void)
{
    fake_vif_fini(&v);
    ck_assert_int_eq(fake_mapped(g), 0);
    fake_guest_destroy(g);
}

static void start(int threaded)
{
    fake_vif_start(&v, threaded != 0);
}

/* Send one frame and check the world gets it unchanged, with the expected header. */
static void tx_check(size_t len, const struct fake_tx_opts *o, struct virtio_net_hdr *h)
{
    netif_tx_response_t rsp[32];
    unsigned int slots = fake_tx_packet(&v, frame, len, o), want;
    ssize_t n;

    ck_assert_uint_gt(slots, 0);
    want = slots + (o && o->gso_type ? 1 : 0);
    fake_tx_push(&v);
    ck_assert_uint_eq(fake_tx_responses(&v, rsp, want, WAIT), want);
    for (unsigned int i = 0; i < want; i++)
        ck_assert_int_eq(rsp[i].status, (o && o->gso_type && i == 1) ? XEN_NETIF_RSP_NULL
                                                                      : XEN_NETIF_RSP_OKAY);
    n = fake_world_recv(&v, h, got, sizeof(got), WAIT);
    ck_assert_int_eq(n, (ssize_t)len);
}

START_TEST(test_tx_single_slot)
{
    struct virtio_net_hdr h;
    size_t len = fake_frame(frame, &(struct fake_l4){ mac_b, mac_a, false, false, 100, 1, 0 });

    start(_i);
    tx_check(len, NULL, &h);
    ck_assert(memcmp(got, frame, len) == 0);
    ck_assert_uint_eq(h.flags, 0);
    ck_assert_uint_eq(h.gso_type, 0);
}
END_TEST

START_TEST(test_tx_multi_slot)
{
    static const struct {
        size_t len;
        uint32_t chunk;
        uint16_t offset;
    } cases[] = {
        { 3000, 1000, 0 },          /* three slots */
        { 3000, 0, 2000 },          /* first slot short of its page */
        { 60000, 0, 0 },            /* 15 whole pages */
        { 65535, 0, 100 },          /* the largest packet, 17 slots */
    };
    struct virtio_net_hdr h;

    start(_i);
    for (unsigned int c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        struct fake_tx_opts o = { .chunk = cases[c].chunk, .offset = cases[c].offset };

        fake_raw_frame(frame, mac_b, mac_a, cases[c].len, (uint8_t)c);
        tx_check(cases[c].len, &o, &h);
        ck_assert_msg(memcmp(got, frame, cases[c].len) == 0, "case %u", c);
    }
}
END_TEST

/* A partial checksum: what a frontend with csum_blank sends (pseudo-header sum, or junk). */
static size_t partial_frame(bool ipv6, bool tcp, uint32_t payload, bool junk)
{
    size_t len = fake_frame(frame, &(struct fake_l4){ mac_b, mac_a, ipv6, tcp, payload, 3, 77 });
    struct nb_l4 l4;

    ck_assert_int_eq(nb_frame_parse(frame, len, &l4), 0);
    if (junk)
        nb_put16(frame + l4.l4_off + l4.csum_off, 0xbeef);
    else
        nb_csum_set_partial(frame, &l4);
    return len;
}

START_TEST(test_tx_checksum_offload)
{
    struct virtio_net_hdr h;

    start(_i);
    for (unsigned int c = 0; c < 8; c++) {
        bool ipv6 = c & 1, tcp = c & 2, junk = c & 4;
        size_t len = partial_frame(ipv6, tcp, 1000 + c, junk);
        struct fake_tx_opts o = { .flags = NETTXF_csum_blank | NETTXF_data_validated,
                                  .chunk = 700 };

        ck_assert_int_ne(fake_check_l4(frame, len), 0);
        tx_check(len, &o, &h);
        ck_assert_uint_eq(h.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
        ck_assert_uint_eq(h.csum_start, 14 + (ipv6 ? 40 : 20));
        ck_assert_uint_eq(h.csum_offset, tcp ? 16 : 6);
        /* Whoever finishes it, as a NIC would, gets the right checksum. */
        ck_assert_int_eq(nb_csum_complete(got, len, h.csum_start, h.csum_offset), 0);
        ck_assert_msg(fake_check_l4(got, len) == 0, "case %u", c);
    }
    /* data_validated alone: the checksum is good and says so. */
    {
        size_t len = fake_frame(frame, &(struct fake_l4){ mac_b, mac_a, false, true, 10, 1, 1 });
        struct fake_tx_opts o = { .flags = NETTXF_data_validated };

        tx_check(len, &o, &h);
        ck_assert_uint_eq(h.flags, VIRTIO_NET_HDR_F_DATA_VALID);
        ck_assert(memcmp(got, frame, len) == 0);
    }
}
END_TEST

START_TEST(test_tx_gso)
{
    struct virtio_net_hdr h;

    start(_i);
    for (unsigned int c = 0; c < 2; c++) {
        bool ipv6 = c;
        size_t len = partial_frame(ipv6, true, 30000, false);
        struct fake_tx_opts o = {
            .flags = NETTXF_csum_blank | NETTXF_data_validated,
            .gso_type = ipv6 ? XEN_NETIF_GSO_TYPE_TCPV6 : XEN_NETIF_GSO_TYPE_TCPV4,
            .gso_size = 1448,
        };

        tx_check(len, &o, &h);
        ck_assert_uint_eq(h.gso_type, ipv6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4);
        ck_assert_uint_eq(h.gso_size, 1448);
        ck_assert_uint_eq(h.hdr_len, 14 + (ipv6 ? 40 : 20) + 20);
        ck_assert_uint_eq(h.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
        ck_assert(memcmp(got, frame, len) == 0);
    }
}
END_TEST

/* Receive one frame (after posting buffers) and return its length. */
static ssize_t rx_one(struct fake_rx_info *info)
{
    return fake_rx_packet(&v, got, sizeof(got), info, WAIT);
}

START_TEST(test_rx_single_and_sg)
{
    static const size_t sizes[] = { 60, 1514, 4096, 4097, 20000, 65535 };
    struct fake_rx_info info;

    start(_i);
    fake_rx_post(&v, 64);
    for (unsigned int c = 0; c < sizeof(sizes) / sizeof(sizes[0]); c++) {
        fake_raw_frame(frame, mac_a, mac_b, sizes[c], (uint8_t)c);
        fake_world_send(&v, NULL, frame, sizes[c]);
        ck_assert_int_eq(rx_one(&info), (ssize_t)sizes[c]);
        ck_assert(memcmp(got, frame, sizes[c]) == 0);
        ck_assert_uint_eq(info.slots, (sizes[c] + 4095) / 4096);
        ck_assert_uint_eq(info.flags & ~NETRXF_more_data, 0);
        fake_rx_post(&v, info.slots);
    }
}
END_TEST

START_TEST(test_rx_without_sg)
{
    struct fake_rx_info info;
    struct nb_queue_stats st;

    v.p.fe.sg = false;
    start(_i);
    fake_rx_post(&v, 16);
    fake_raw_frame(frame, mac_a, mac_b, 9000, 1);
    fake_world_send(&v, NULL, frame, 9000);
    fake_raw_frame(frame, mac_a, mac_b, 4096, 2);
    fake_world_send(&v, NULL, frame, 4096);
    /* The jumbo frame cannot be delivered in one page: only the second arrives. */
    ck_assert_int_eq(rx_one(&info), 4096);
    ck_assert(memcmp(got, frame, 4096) == 0);
    ck_assert_uint_eq(info.slots, 1);
    nb_queue_stats(v.q, &st);
    ck_assert_uint_eq(st.rx_dropped, 1);
}
END_TEST

START_TEST(test_rx_checksum)
{
    struct fake_rx_info info;
    struct virtio_net_hdr h = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM };
    struct nb_queue_stats st;
    size_t len;

    /* Odd cases: a frontend that takes IPv4 partial checksums but not IPv6 ones. */
    v.p.fe.ipv6_csum = false;
    start(_i);
    fake_rx_post(&v, 64);
    for (unsigned int c = 0; c < 4; c++) {
        bool ipv6 = c & 1, tcp = c & 2;

        len = partial_frame(ipv6, tcp, 500, false);
        h.csum_start = (uint16_t)(14 + (ipv6 ? 40 : 20));
        h.csum_offset = tcp ? 16 : 6;
        fake_world_send(&v, &h, frame, len);
        ck_assert_int_eq(rx_one(&info), (ssize_t)len);
        if (ipv6) {
            /* Finished here, and marked good. */
            ck_assert_uint_eq(info.flags, NETRXF_data_validated);
            ck_assert_int_eq(fake_check_l4(got, len), 0);
        } else {
            /* Left to the frontend, as it asked. */
            ck_assert_uint_eq(info.flags, NETRXF_csum_blank | NETRXF_data_validated);
            ck_assert(memcmp(got, frame, len) == 0);
        }
    }
    nb_queue_stats(v.q, &st);
    ck_assert_uint_eq(st.csum_completed, 2);
    /* DATA_VALID from the world becomes data_validated. */
    len = fake_frame(frame, &(struct fake_l4){ mac_a, mac_b, false, true, 10, 1, 1 });
    h = (struct virtio_net_hdr){ .flags = VIRTIO_NET_HDR_F_DATA_VALID };
    fake_world_send(&v, &h, frame, len);
    ck_assert_int_eq(rx_one(&info), (ssize_t)len);
    ck_assert_uint_eq(info.flags, NETRXF_data_validated);
}
END_TEST

START_TEST(test_rx_gso_passed_on)
{
    struct fake_rx_info info;
    size_t len = partial_frame(false, true, 30000, false);
    struct virtio_net_hdr h = {
        .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM, .gso_type = VIRTIO_NET_HDR_GSO_TCPV4,
        .gso_size = 1448, .hdr_len = 54, .csum_start = 34, .csum_offset = 16,
    };

    start(_i);
    fake_rx_post(&v, 32);
    fake_world_send(&v, &h, frame, len);
    ck_assert_int_eq(rx_one(&info), (ssize_t)len);
    ck_assert(memcmp(got, frame, len) == 0);
    ck_assert(info.gso);
    ck_assert_uint_eq(info.extra.u.gso.type, XEN_NETIF_GSO_TYPE_TCPV4);
    ck_assert_uint_eq(info.extra.u.gso.size, 1448);
    ck_assert_uint_eq(info.flags & (NETRXF_csum_blank | NETRXF_data_validated | NETRXF_extra_info),
                      NETRXF_csum_blank | NETRXF_data_validated | NETRXF_extra_info);
}
END_TEST

START_TEST(test_rx_gso_segmented)
{
    struct fake_rx_info info;
    uint32_t payload = 30000, mss = 1448, seen = 0, seq = 77;
    size_t len;
    struct virtio_net_hdr h = {
        .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM, .gso_type = VIRTIO_NET_HDR_GSO_TCPV6,
        .gso_size = (uint16_t)mss, .hdr_len = 74, .csum_start = 54, .csum_offset = 16,
    };
    uint8_t orig[40000];

    v.p.fe.gso_tcpv6 = false;
    start(_i);
    len = partial_frame(true, true, payload, false);
    memcpy(orig, frame, len);
    /* Fewer buffers than segments: the rest follows as buffers are posted. */
    fake_rx_post(&v, 8);
    fake_world_send(&v, &h, frame, len);
    while (seen < payload) {
        ssize_t n = rx_one(&info);

        if (n == -1) {
            fake_rx_post(&v, 8);
            continue;
        }
        ck_assert_int_gt(n, 74);
        ck_assert_uint_le((size_t)n - 74, mss);
        ck_assert_int_eq(fake_check_l4(got, (size_t)n), 0);
        ck_assert_uint_eq(nb_get32(got + 54 + 4), seq + seen);
        ck_assert(memcmp(got + 74, orig + 74 + seen, (size_t)n - 74) == 0);
        ck_assert(!info.gso);
        ck_assert_uint_eq(info.flags, NETRXF_data_validated);
        seen += (uint32_t)n - 74;
        fake_rx_post(&v, 1);
    }
    ck_assert_uint_eq(seen, payload);
}
END_TEST

START_TEST(test_rx_waits_for_buffers)
{
    struct fake_rx_info info;

    start(_i);
    for (unsigned int i = 0; i < 3; i++) {
        fake_raw_frame(frame, mac_a, mac_b, 100 + i, (uint8_t)i);
        fake_world_send(&v, NULL, frame, 100 + i);
    }
    fake_settle(&v, 50);
    ck_assert_int_eq(fake_rx_packet(&v, got, sizeof(got), &info, 50), -1);
    /* Waiting for buffers, the backend asked to hear about the next one. */
    ck_assert_uint_eq(v.rx.sring->req_event, v.rx.sring->req_prod + 1);
    for (unsigned int i = 0; i < 3; i++) {
        fake_rx_post(&v, 1);
        ck_assert_int_eq(rx_one(&info), 100 + i);
        ck_assert_uint_eq(got[14], (uint8_t)(i + 14 * 3));
    }
}
END_TEST

/* Ring indexes that wrap at 2^32 while both rings are busy. */
START_TEST(test_wraparound)
{
    struct virtio_net_hdr h;
    struct fake_rx_info info;

    teardown();
    setup_idx(0xffffff00u);
    start(_i);
    fake_rx_post(&v, 200);
    for (unsigned int i = 0; i < 700; i++) {
        size_t len = 60 + (i % 1400);

        fake_raw_frame(frame, mac_b, mac_a, len, (uint8_t)i);
        tx_check(len, NULL, &h);
        ck_assert(memcmp(got, frame, len) == 0);
        fake_raw_frame(frame, mac_a, mac_b, len, (uint8_t)(i + 1));
        fake_world_send(&v, NULL, frame, len);
        ck_assert_int_eq(rx_one(&info), (ssize_t)len);
        ck_assert(memcmp(got, frame, len) == 0);
        fake_rx_post(&v, 1);
    }
    ck_assert_uint_lt(v.tx.sring->req_prod, 0x1000u);
}
END_TEST

/* Many packets in one push: batched into few copies, all answered in order. */
START_TEST(test_tx_batch)
{
    netif_tx_response_t rsp[NB_TX_RING_SIZE];
    struct nb_queue_stats st;
    struct virtio_net_hdr h;
    unsigned int n = 0;

    start(_i);
    for (unsigned int i = 0; i < 100; i++) {
        fake_raw_frame(frame, mac_b, mac_a, 200 + i, (uint8_t)i);
        n += fake_tx_packet(&v, frame, 200 + i, &(struct fake_tx_opts){ .chunk = 128 });
    }
    fake_tx_push(&v);
    ck_assert_uint_eq(fake_tx_responses(&v, rsp, n, WAIT), n);
    for (unsigned int i = 0; i < n; i++)
        ck_assert_int_eq(rsp[i].status, XEN_NETIF_RSP_OKAY);
    for (unsigned int i = 0; i < 100; i++) {
        fake_raw_frame(frame, mac_b, mac_a, 200 + i, (uint8_t)i);
        ck_assert_int_eq(fake_world_recv(&v, &h, got, sizeof(got), WAIT), 200 + i);
        ck_assert(memcmp(got, frame, 200 + i) == 0);
    }
    nb_queue_stats(v.q, &st);
    ck_assert_uint_eq(st.tx_packets, 100);
    ck_assert_uint_lt(st.copies, 10);
}
END_TEST

START_TEST(test_notifications)
{
    netif_tx_response_t rsp[4];
    struct virtio_net_hdr h;
    struct fake_rx_info info;
    long before;
    size_t len = fake_raw_frame(frame, mac_b, mac_a, 100, 1);

    teardown();
    g = fake_guest_create(PAGES, DOMID, PAGES + 16);
    fake_vif_init(&v, g, 0, 0, 1, 2, 0);        /* split channels: tx 1, rx 2 */
    start(_i);
    tx_check(len, NULL, &h);
    fake_settle(&v, 20);
    /* Idle, the backend asked to hear about the next tx request. */
    ck_assert_uint_eq(v.tx.sring->req_event, v.tx.req_prod_pvt + 1);
    /* A frontend that does not want to hear about responses is not told. */
    before = fake_notifies(g, 1);
    v.tx.sring->rsp_event = v.tx.rsp_cons + 1000;
    fake_tx_packet(&v, frame, len, NULL);
    fake_tx_push(&v);
    ck_assert_int_eq(fake_world_recv(&v, &h, got, sizeof(got), WAIT), (ssize_t)len);
    fake_settle(&v, 20);
    ck_assert_int_eq(fake_notifies(g, 1), before);
    ck_assert_uint_eq(fake_tx_responses(&v, rsp, 1, WAIT), 1);
    /* One that asks is told, on the tx channel only. */
    before = fake_notifies(g, 1);
    v.tx.sring->rsp_event = v.tx.rsp_cons + 1;
    fake_tx_packet(&v, frame, len, NULL);
    fake_tx_push(&v);
    ck_assert_uint_eq(fake_tx_responses(&v, rsp, 1, WAIT), 1);
    ck_assert_int_eq(fake_notifies(g, 1), before + 1);
    ck_assert_int_eq(fake_notifies(g, 2), 0);
    /* rx responses go to the rx channel. */
    fake_rx_post(&v, 4);
    fake_world_send(&v, NULL, frame, len);
    ck_assert_int_eq(rx_one(&info), (ssize_t)len);
    ck_assert_int_ge(fake_notifies(g, 2), 1);
    ck_assert_int_eq(fake_notifies(g, 1), before + 1);
}
END_TEST

/*
 * Full-speed traffic both ways at once, from four threads (frontend tx and
 * rx, world in and out): nothing stalls, nothing is lost or reordered.
 */
#define FLOOD 20000

static void *flood_world_send(void *arg)
{
    static uint8_t f[2000];

    for (uint32_t i = 0; i < FLOOD; i++) {
        size_t len = 60 + i % 1400;

        fake_raw_frame(f, mac_a, mac_b, len, 0);
        memcpy(f + 14, &i, sizeof(i));
        fake_world_send(arg, NULL, f, len);
    }
    return NULL;
}

static void *flood_guest_send(void *arg)
{
    static uint8_t f[2000];
    netif_tx_response_t rsp[NB_TX_RING_SIZE];
    struct fake_vif *fv = arg;

    for (uint32_t i = 0; i < FLOOD;) {
        size_t len = 60 + i % 1400;

        fake_raw_frame(f, mac_b, mac_a, len, 0);
        memcpy(f + 14, &i, sizeof(i));
        if (fake_tx_packet(fv, f, len, NULL)) {
            i++;
            if (i % 16 == 0)
                fake_tx_push(fv);
            continue;
        }
        fake_tx_push(fv);
        fake_tx_responses(fv, rsp, 1, WAIT);
        while (fake_tx_responses(fv, rsp, NB_TX_RING_SIZE, 0)) {
        }
    }
    fake_tx_push(fv);
    return NULL;
}

static void *flood_world_recv(void *arg)
{
    static uint8_t f[2000];
    struct virtio_net_hdr h;
    uintptr_t bad = 0;

    for (uint32_t i = 0; i < FLOOD; i++) {
        uint32_t seq;

        if (fake_world_recv(arg, &h, f, sizeof(f), WAIT) != (ssize_t)(60 + i % 1400))
            return (void *)(uintptr_t)(i + 1);
        memcpy(&seq, f + 14, sizeof(seq));
        if (seq != i)
            bad = i + 1;
    }
    return (void *)bad;
}

START_TEST(test_flood_both_ways)
{
    pthread_t ws, gs, wr;
    struct fake_rx_info info;
    void *res;

    teardown();
    g = fake_guest_create(PAGES, DOMID, PAGES + 16);
    fake_vif_init(&v, g, 0, 0, 1, 2, 0);
    start(1);
    fake_rx_post(&v, NB_RX_RING_SIZE);
    ck_assert_int_eq(pthread_create(&ws, NULL, flood_world_send, &v), 0);
    ck_assert_int_eq(pthread_create(&gs, NULL, flood_guest_send, &v), 0);
    ck_assert_int_eq(pthread_create(&wr, NULL, flood_world_recv, &v), 0);
    for (uint32_t i = 0; i < FLOOD; i++) {
        uint32_t seq;

        ck_assert_int_eq(rx_one(&info), (ssize_t)(60 + i % 1400));
        memcpy(&seq, got + 14, sizeof(seq));
        ck_assert_uint_eq(seq, i);
        fake_rx_post(&v, info.slots);
    }
    pthread_join(ws, NULL);
    pthread_join(gs, NULL);
    pthread_join(wr, &res);
    ck_assert_msg(res == NULL, "world side: frame %lu lost or out of order",
                  (unsigned long)(uintptr_t)res);
}
END_TEST

/*
 * A frontend that keeps the engine busy pass after pass: the engine must
 * still ask for notifications when it stops to look at its descriptors.
 */
#define SMALL_FLOOD 200000

static void *small_flood_drain(void *arg)
{
    static uint8_t f[128];
    struct virtio_net_hdr h;
    uintptr_t n = 0;

    while (n < SMALL_FLOOD && fake_world_recv(arg, &h, f, sizeof(f), WAIT) == 60)
        n++;
    return (void *)n;
}

START_TEST(test_tx_small_frames_flood)
{
    netif_tx_response_t rsp[NB_TX_RING_SIZE];
    pthread_t th;
    void *res;
    size_t len = fake_raw_frame(frame, mac_b, mac_a, 60, 1);

    start(1);
    ck_assert_int_eq(pthread_create(&th, NULL, small_flood_drain, &v), 0);
    for (unsigned int i = 0; i < SMALL_FLOOD;) {
        if (fake_tx_packet(&v, frame, len, NULL)) {
            fake_tx_push(&v);
            i++;
            continue;
        }
        ck_assert_uint_ge(fake_tx_responses(&v, rsp, 1, WAIT), 1);
        while (fake_tx_responses(&v, rsp, NB_TX_RING_SIZE, 0)) {
        }
    }
    pthread_join(th, &res);
    ck_assert_uint_eq((uintptr_t)res, SMALL_FLOOD);
}
END_TEST

static Suite *engine_suite(void)
{
    Suite *s = suite_create("netback-engine");
    TCase *tc = tcase_create("engine");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_tx_single_slot, 0, 2);
    tcase_add_loop_test(tc, test_tx_multi_slot, 0, 2);
    tcase_add_loop_test(tc, test_tx_checksum_offload, 0, 2);
    tcase_add_loop_test(tc, test_tx_gso, 0, 2);
    tcase_add_loop_test(tc, test_tx_batch, 0, 2);
    tcase_add_loop_test(tc, test_rx_single_and_sg, 0, 2);
    tcase_add_loop_test(tc, test_rx_without_sg, 0, 2);
    tcase_add_loop_test(tc, test_rx_checksum, 0, 2);
    tcase_add_loop_test(tc, test_rx_gso_passed_on, 0, 2);
    tcase_add_loop_test(tc, test_rx_gso_segmented, 0, 2);
    tcase_add_loop_test(tc, test_rx_waits_for_buffers, 0, 2);
    tcase_add_loop_test(tc, test_wraparound, 0, 2);
    tcase_add_loop_test(tc, test_notifications, 0, 2);
    tcase_add_test(tc, test_flood_both_ways);
    tcase_add_test(tc, test_tx_small_frames_flood);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(engine_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
