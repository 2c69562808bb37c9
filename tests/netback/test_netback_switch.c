/* test_netback_switch.c: Check tests of the built-in switch: learning, flooding, aging, vifs. */
/* SPDX-License-Identifier: MIT */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "fake.h"
#include "frame.h"
#include "switch.h"
#include "switchd.h"

#define WAIT 5000
#define QUIET 200               /* how long "nothing arrives" is watched */

static const uint8_t mac[3][6] = {
    { 0x00, 0x16, 0x3e, 0x00, 0x00, 0x0a },
    { 0x00, 0x16, 0x3e, 0x00, 0x00, 0x0b },
    { 0x00, 0x16, 0x3e, 0x00, 0x00, 0x0c },
};
static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t mcast[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };
static const uint8_t unknown[6] = { 0x00, 0x16, 0x3e, 0x7f, 0x7f, 0x7f };
static uint8_t frame[70000], got[70000];

/* The table on its own, with a clock the test moves. */

static struct nb_switch *table(unsigned int ports, unsigned int entries, unsigned int per_port)
{
    struct nb_switch_config cfg = { .max_ports = ports, .max_entries = entries,
                                    .max_per_port = per_port, .aging_ms = 1000 };
    struct nb_switch *sw = nb_switch_create(&cfg);

    ck_assert_ptr_nonnull(sw);
    return sw;
}

static int route(struct nb_switch *sw, unsigned int port, const uint8_t *dst, const uint8_t *src,
                 uint64_t now)
{
    uint8_t f[60];

    fake_raw_frame(f, dst, src, sizeof(f), 0);
    return nb_switch_route(sw, port, f, sizeof(f), now);
}

START_TEST(test_table_learning)
{
    struct nb_switch *sw = table(4, 64, 16);
    uint8_t f[10] = { 0 };

    /* Unknown and broadcast destinations flood; sources are learned on the way. */
    ck_assert_int_eq(route(sw, 0, bcast, mac[0], 0), NB_SWITCH_FLOOD);
    ck_assert_int_eq(route(sw, 1, unknown, mac[1], 1), NB_SWITCH_FLOOD);
    ck_assert_int_eq(route(sw, 1, mac[0], mac[1], 2), 0);
    ck_assert_int_eq(route(sw, 0, mac[1], mac[0], 3), 1);
    ck_assert_int_eq(route(sw, 2, mcast, mac[2], 4), NB_SWITCH_FLOOD);
    /* A frame for a station on its own port goes nowhere. */
    ck_assert_int_eq(route(sw, 0, mac[0], mac[2], 5), NB_SWITCH_DROP);
    /* mac[2] was seen on port 0 last: it moved. */
    ck_assert_int_eq(nb_switch_lookup(sw, mac[2], 5), 0);
    /* Multicast and zero sources are not stations. */
    ck_assert_int_eq(route(sw, 3, bcast, mcast, 6), NB_SWITCH_FLOOD);
    ck_assert_int_eq(nb_switch_lookup(sw, mcast, 6), -1);
    ck_assert_int_eq(route(sw, 3, bcast, (const uint8_t[6]){ 0 }, 6), NB_SWITCH_FLOOD);
    ck_assert_uint_eq(nb_switch_entries(sw), 3);
    /* Runts and unknown ports go nowhere. */
    ck_assert_int_eq(nb_switch_route(sw, 0, f, sizeof(f), 7), NB_SWITCH_DROP);
    ck_assert_int_eq(route(sw, 4, mac[0], mac[1], 7), NB_SWITCH_DROP);
    /* A port that goes away takes its stations with it. */
    nb_switch_port_gone(sw, 0);
    ck_assert_int_eq(nb_switch_lookup(sw, mac[0], 8), -1);
    ck_assert_int_eq(nb_switch_lookup(sw, mac[1], 8), 1);
    ck_assert_int_eq(route(sw, 1, mac[0], mac[1], 9), NB_SWITCH_FLOOD);
    nb_switch_destroy(sw);
}
END_TEST

START_TEST(test_table_aging)
{
    struct nb_switch *sw = table(4, 64, 16);

    ck_assert_int_eq(route(sw, 0, bcast, mac[0], 0), NB_SWITCH_FLOOD);
    ck_assert_int_eq(route(sw, 1, mac[0], mac[1], 900), 0);
    /* Refreshed at 950, so alive at 1900; not refreshed after: gone at 2000. */
    ck_assert_int_eq(route(sw, 0, bcast, mac[0], 950), NB_SWITCH_FLOOD);
    ck_assert_int_eq(route(sw, 1, mac[0], mac[1], 1900), 0);
    ck_assert_int_eq(route(sw, 1, mac[0], mac[1], 1951), NB_SWITCH_FLOOD);
    ck_assert_int_eq(nb_switch_lookup(sw, mac[1], 1951), 1);
    ck_assert_uint_eq(nb_switch_age(sw, 3000), 1);
    ck_assert_uint_eq(nb_switch_entries(sw), 0);
    nb_switch_destroy(sw);
}
END_TEST

START_TEST(test_table_bounds)
{
    struct nb_switch *sw = table(3, 32, 16);
    uint8_t m[6] = { 0x00, 0x16, 0x3e, 0x55, 0, 0 };

    /* A port that makes addresses up owns at most its share... */
    for (unsigned int i = 0; i < 100; i++) {
        m[5] = (uint8_t)i;
        route(sw, 0, bcast, m, 10);
    }
    ck_assert_uint_eq(nb_switch_entries(sw), 16);
    for (unsigned int i = 0; i < 100; i++) {
        m[4] = 1;
        m[5] = (uint8_t)i;
        route(sw, 2, bcast, m, 10);
    }
    ck_assert_uint_eq(nb_switch_entries(sw), 32);
    /* ... a full table learns nothing new (frames to unknown stations flood) ... */
    ck_assert_int_eq(route(sw, 1, bcast, mac[1], 10), NB_SWITCH_FLOOD);
    ck_assert_int_eq(nb_switch_lookup(sw, mac[1], 10), -1);
    /* ... until entries age out and make room. */
    route(sw, 1, bcast, mac[2], 5000);
    ck_assert_int_eq(nb_switch_lookup(sw, mac[2], 5000), 1);
    nb_switch_age(sw, 5000);
    ck_assert_uint_eq(nb_switch_entries(sw), 1);
    nb_switch_destroy(sw);
}
END_TEST

/* The switch process, in a thread, with three fake vifs on it. */

struct sw_run {
    struct nb_switchd *sd;
    pthread_t th;
    int stop;
};

static char rundir[64];
static struct sw_run sw;
static struct fake_guest *g[3];
static struct fake_vif v[3];
static struct nb_link *links[3];

static void *switch_thread(void *arg)
{
    struct sw_run *r = arg;

    nb_switchd_run(r->sd, r->stop);
    return NULL;
}

static void switch_start(uint64_t aging_ms)
{
    struct nb_switchd_config cfg = { .aging_ms = aging_ms };

    ck_assert_int_eq(nb_switchd_open(&sw.sd, "test0", &cfg), 0);
    sw.stop = eventfd(0, EFD_CLOEXEC);
    ck_assert_int_eq(pthread_create(&sw.th, NULL, switch_thread, &sw), 0);
}

static void switch_stop(void)
{
    uint64_t one = 1;

    ck_assert_int_eq(write(sw.stop, &one, sizeof(one)), sizeof(one));
    pthread_join(sw.th, NULL);
    close(sw.stop);
    nb_switchd_close(sw.sd);
}

/* Vif i on the switch; gso: whether its frontend takes large TCP frames. */
static void vif_start(unsigned int i, bool gso)
{
    char err[200], port[16];

    g[i] = fake_guest_create(FAKE_VIF_PAGES, 10 + i, FAKE_VIF_PAGES + 8);
    fake_vif_init(&v[i], g[i], 0, 0, 1, 1, 0);
    close(v[i].link.fd);
    close(v[i].world);
    v[i].world = -1;
    snprintf(port, sizeof(port), "vif%u.0", 10 + i);
    ck_assert_msg(nb_switch_link_open(&links[i], "test0", port, NULL, NULL, err,
                                      sizeof(err)) == 0, "%s", err);
    v[i].p.link = links[i];
    v[i].p.fe.gso_tcpv4 = v[i].p.fe.gso_tcpv6 = gso;
    fake_vif_start(&v[i], true);
    fake_rx_post(&v[i], 128);
}

/* Until every vif's port said hello: frames are only sent to ports that did. */
static void wait_ports(unsigned int n)
{
    struct nb_switchd_stats st;

    for (int i = 0; i < 500; i++) {
        nb_switchd_stats(sw.sd, &st);
        if (st.ports == n)
            return;
        usleep(10000);
    }
    ck_abort_msg("%u of %u ports on the switch", st.ports, n);
}

static void setup_switch(uint64_t aging_ms, bool gso_everywhere)
{
    snprintf(rundir, sizeof(rundir), "/tmp/netback-switch-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(rundir));
    setenv("LAMINA_RUNDIR", rundir, 1);
    switch_start(aging_ms);
    for (unsigned int i = 0; i < 3; i++)
        vif_start(i, gso_everywhere || i != 2);
    wait_ports(3);
}

static void setup(void)
{
    setup_switch(300000, false);
}

static void teardown(void)
{
    char cmd[128];

    for (unsigned int i = 0; i < 3; i++) {
        nb_queue_destroy(v[i].q);
        v[i].q = NULL;
        nb_link_close(links[i]);
        ck_assert_int_eq(fake_mapped(g[i]), 0);
        fake_guest_destroy(g[i]);
    }
    switch_stop();
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", rundir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", rundir);
}

/* Vif i sends a frame to dst. */
static size_t send_from(unsigned int i, const uint8_t *dst, size_t len, uint8_t seed)
{
    netif_tx_response_t rsp;

    fake_raw_frame(frame, dst, mac[i], len, seed);
    ck_assert_uint_gt(fake_tx_packet(&v[i], frame, len, NULL), 0);
    fake_tx_push(&v[i]);
    ck_assert_uint_eq(fake_tx_responses(&v[i], &rsp, 1, WAIT), 1);
    ck_assert_int_eq(rsp.status, XEN_NETIF_RSP_OKAY);
    return len;
}

/* Whether vif i receives that frame (within timeout_ms). */
static bool receives(unsigned int i, size_t len, int timeout_ms)
{
    struct fake_rx_info info;
    ssize_t n = fake_rx_packet(&v[i], got, sizeof(got), &info, timeout_ms);

    if (n < 0)
        return false;
    fake_rx_post(&v[i], info.slots);
    ck_assert_int_eq(n, (ssize_t)len);
    ck_assert(memcmp(got, frame, len) == 0);
    return true;
}

START_TEST(test_vifs_learn_and_flood)
{
    size_t len;

    /* A broadcast reaches everyone else. */
    len = send_from(0, bcast, 300, 1);
    ck_assert(receives(1, len, WAIT));
    ck_assert(receives(2, len, WAIT));
    ck_assert(!receives(0, len, QUIET));
    /* B answers A: A was learned, so only A hears it. */
    len = send_from(1, mac[0], 1500, 2);
    ck_assert(receives(0, len, WAIT));
    ck_assert(!receives(2, len, QUIET));
    /* And now A reaches B alone. */
    len = send_from(0, mac[1], 9000, 3);
    ck_assert(receives(1, len, WAIT));
    ck_assert(!receives(2, len, QUIET));
    /* Multicast and unknown stations are flooded. */
    len = send_from(2, mcast, 100, 4);
    ck_assert(receives(0, len, WAIT));
    ck_assert(receives(1, len, WAIT));
    len = send_from(1, unknown, 100, 5);
    ck_assert(receives(0, len, WAIT));
    ck_assert(receives(2, len, WAIT));
    ck_assert(!receives(1, len, QUIET));
}
END_TEST

START_TEST(test_vifs_aging)
{
    size_t len;

    /* A switch that forgets after 300 ms (it ages once a second). */
    teardown();
    setup_switch(300, true);
    len = send_from(1, bcast, 100, 1);
    ck_assert(receives(0, len, WAIT));
    ck_assert(receives(2, len, WAIT));
    len = send_from(0, mac[1], 100, 2);
    ck_assert(receives(1, len, WAIT));
    ck_assert(!receives(2, len, QUIET));
    usleep(1500 * 1000);
    /* B was forgotten: A's next frame to it is flooded again. */
    len = send_from(0, mac[1], 100, 3);
    ck_assert(receives(1, len, WAIT));
    ck_assert(receives(2, len, WAIT));
}
END_TEST

/* A guest's large TCP frame reaches a guest that takes it whole, and one that does not. */
START_TEST(test_vifs_gso)
{
    struct fake_l4 spec = { unknown, mac[0], false, true, 30000, 7, 1000 };
    struct fake_tx_opts o = {
        .flags = NETTXF_csum_blank | NETTXF_data_validated,
        .gso_type = XEN_NETIF_GSO_TYPE_TCPV4, .gso_size = 1448,
    };
    netif_tx_response_t rsp[32];
    struct fake_rx_info info;
    struct nb_l4 l4;
    size_t len = fake_frame(frame, &spec);
    uint32_t seen = 0;
    unsigned int slots;
    ssize_t n;

    ck_assert_int_eq(nb_frame_parse(frame, len, &l4), 0);
    nb_csum_set_partial(frame, &l4);
    slots = fake_tx_packet(&v[0], frame, len, &o);
    fake_tx_push(&v[0]);
    ck_assert_uint_eq(fake_tx_responses(&v[0], rsp, slots + 1, WAIT), slots + 1);
    /* vif 1 takes it as one GSO packet with a partial checksum... */
    n = fake_rx_packet(&v[1], got, sizeof(got), &info, WAIT);
    ck_assert_int_eq(n, (ssize_t)len);
    ck_assert(info.gso);
    ck_assert_uint_eq(info.extra.u.gso.size, 1448);
    ck_assert(info.flags & NETRXF_csum_blank);
    ck_assert(memcmp(got, frame, len) == 0);
    /* ... vif 2 as MSS-sized segments with finished checksums. */
    while (seen < 30000) {
        n = fake_rx_packet(&v[2], got, sizeof(got), &info, WAIT);
        ck_assert_int_gt(n, 54);
        ck_assert_int_eq(fake_check_l4(got, (size_t)n), 0);
        ck_assert(memcmp(got + 54, frame + 54 + seen, (size_t)n - 54) == 0);
        seen += (uint32_t)n - 54;
        fake_rx_post(&v[2], info.slots);
    }
}
END_TEST

/* A guest that never takes its frames costs the others nothing. */
START_TEST(test_vifs_stuck_receiver)
{
    struct nb_switchd_stats st;
    unsigned int heard = 0;

    /* More than vif 2's buffers and its socket hold together. */
    for (unsigned int i = 0; i < 1000; i++) {
        size_t len = send_from(0, bcast, 4000, (uint8_t)i);

        /* vif 2 never collects; vif 1 does. */
        if (receives(1, len, WAIT))
            heard++;
    }
    ck_assert_uint_eq(heard, 1000);
    nb_switchd_stats(sw.sd, &st);
    ck_assert_uint_ge(st.frames, 1000);
    ck_assert_uint_gt(st.dropped, 0);
}
END_TEST

/* The switch process goes away and comes back: the vifs reconnect by themselves. */
START_TEST(test_vifs_switch_restart)
{
    size_t len;

    switch_stop();
    switch_start(300000);
    /* The vifs find the new switch by themselves (they retry once a second). */
    wait_ports(3);
    len = send_from(0, bcast, 400, 9);
    ck_assert(receives(1, len, WAIT));
    ck_assert(receives(2, len, WAIT));
}
END_TEST

static Suite *switch_suite(void)
{
    Suite *s = suite_create("netback-switch");
    TCase *tc = tcase_create("table");
    TCase *tv = tcase_create("vifs");

    tcase_add_test(tc, test_table_learning);
    tcase_add_test(tc, test_table_aging);
    tcase_add_test(tc, test_table_bounds);
    suite_add_tcase(s, tc);
    tcase_add_checked_fixture(tv, setup, teardown);
    tcase_set_timeout(tv, 60);
    tcase_add_test(tv, test_vifs_learn_and_flood);
    tcase_add_test(tv, test_vifs_aging);
    tcase_add_test(tv, test_vifs_gso);
    tcase_add_test(tv, test_vifs_stuck_receiver);
    tcase_add_test(tv, test_vifs_switch_restart);
    suite_add_tcase(s, tv);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(switch_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
