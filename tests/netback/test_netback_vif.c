/* test_netback_vif.c: Check tests of netback's xenbus state machine against lamina-xenstored. */
/* SPDX-License-Identifier: MIT */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <xenstore.h>

#include "fake.h"
#include "xs-fixture.h"
#include "mac.h"
#include "vif.h"

#ifndef NETBACK_XENSTORED
#error "NETBACK_XENSTORED must name the lamina-xenstored binary to test against"
#endif

/*
 * The toolstack's and the frontend's sides are played by the test through
 * its own xenstore connection, writing what libxl and Linux's netfront
 * write; the rings are the fake frontend's, and the link a socket pair the
 * test reads and writes as "the world".
 */

#define DOMID 7u
#define WAIT 5000

static const uint8_t mac_a[6] = { 0x00, 0x16, 0x3e, 0x00, 0x00, 0x0a };
static const uint8_t mac_b[6] = { 0x00, 0x16, 0x3e, 0x00, 0x00, 0x0b };
static uint8_t frame[70000], got[70000];

static char be[96], fe[96];

static const char *bek(const char *key)
{
    static char p[160];

    snprintf(p, sizeof(p), "%s/%s", be, key);
    return p;
}

static const char *fek(const char *key)
{
    static char p[160];

    snprintf(p, sizeof(p), "%s/%s", fe, key);
    return p;
}

/* What libxl writes for a vif (the extra keys come in pairs: key, value). */
static void add_vif(uint32_t devid, const char *const *extra)
{
    xs_transaction_t t;

    snprintf(be, sizeof(be), "/local/domain/0/backend/vif/%u/%u", DOMID, devid);
    snprintf(fe, sizeof(fe), "/local/domain/%u/device/vif/%u", DOMID, devid);
    do {
        t = xs_transaction_start(ts);
        ck_assert_uint_ne(t, XBT_NULL);
#define W(dir_, key, val) \
        do { \
            char p_[160]; \
            snprintf(p_, sizeof(p_), "%s/%s", dir_, key); \
            ck_assert(xs_write(ts, t, p_, val, (unsigned int)strlen(val))); \
        } while (0)
        W(be, "frontend", fe);
        W(be, "frontend-id", "7");
        W(be, "online", "1");
        W(be, "state", "1");
        W(be, "script", "/etc/xen/scripts/vif-bridge");
        W(be, "type", "vif");
        W(be, "handle", "0");
        for (unsigned int i = 0; extra && extra[i]; i += 2)
            if (*extra[i + 1])
                W(be, extra[i], extra[i + 1]);
        W(fe, "backend", be);
        W(fe, "backend-id", "0");
        W(fe, "state", "1");
        W(fe, "handle", "0");
        W(fe, "mac", "00:16:3e:00:00:0a");
#undef W
    } while (!xs_transaction_end(ts, t, false) && errno == EAGAIN);
}

static const char *const default_keys[] = { "mac", "00:16:3e:00:00:0a", "bridge", "xenbr0",
                                            NULL };

struct served {
    pthread_t th;
    struct vif_env env;
    uint32_t devid;
    enum vif_result result;
    int finished;
    int alive;
    struct fake_vif *fv;
    struct vif_link_spec spec;      /* what the vif asked for */
    int links;                      /* links opened */
    int link_error;                 /* make link_open fail with this errno */
};

static int alive(void *arg, uint32_t domid)
{
    struct served *s = arg;

    return __atomic_load_n(&s->alive, __ATOMIC_RELAXED);
}

/* The test's link: the fake frontend's socket pair, as many times as asked. */
static int link_open(void *arg, const struct vif_link_spec *spec, struct nb_link **out, char *err,
                     size_t errlen)
{
    struct served *s = arg;

    s->spec = *spec;
    if (s->link_error) {
        snprintf(err, errlen, "bridge %s does not exist", spec->tap.bridge);
        return -s->link_error;
    }
    s->links++;
    *out = &s->fv->link;
    return 0;
}

static void *serve_thread(void *arg)
{
    struct served *s = arg;

    s->result = vif_serve(&s->env, DOMID, s->devid);
    __atomic_store_n(&s->finished, 1, __ATOMIC_RELEASE);
    return NULL;
}

static void serve(struct served *s, struct fake_vif *fv, uint32_t devid)
{
    memset(s, 0, sizeof(*s));
    s->devid = devid;
    s->alive = 1;
    s->fv = fv;
    s->env.xs = xs_open(0);
    ck_assert_ptr_nonnull(s->env.xs);
    s->env.transport = fake_factory(fv->g);
    s->env.domain_alive = alive;
    s->env.alive_arg = s;
    s->env.link_open = link_open;
    s->env.link_arg = s;
    s->env.stop_fd = eventfd(0, EFD_CLOEXEC);
}

static void run(struct served *s)
{
    ck_assert_int_eq(pthread_create(&s->th, NULL, serve_thread, s), 0);
}

static bool finished(struct served *s)
{
    for (int i = 0; i < 500; i++) {
        if (__atomic_load_n(&s->finished, __ATOMIC_ACQUIRE))
            return true;
        usleep(10000);
    }
    return false;
}

static enum vif_result reap(struct served *s)
{
    pthread_join(s->th, NULL);
    xs_close(s->env.xs);
    close(s->env.stop_fd);
    return s->result;
}

static enum vif_result detach(struct served *s)
{
    uint64_t one = 1;

    ck_assert_int_eq(write(s->env.stop_fd, &one, sizeof(one)), sizeof(one));
    return reap(s);
}

/* What netfront writes, then Connected (netfront skips Initialised). */
static void frontend_connect(struct fake_vif *v, bool split)
{
    xsw(fek("tx-ring-ref"), "%u", v->ref_base);
    xsw(fek("rx-ring-ref"), "%u", v->ref_base + 1);
    if (split) {
        xs_rm(ts, XBT_NULL, fek("event-channel"));
        xsw(fek("event-channel-tx"), "%u", v->tx_port);
        xsw(fek("event-channel-rx"), "%u", v->rx_port);
    } else {
        xsw(fek("event-channel"), "%u", v->tx_port);
    }
    xsw(fek("multi-queue-num-queues"), "1");
    xsw(fek("request-rx-copy"), "1");
    xsw(fek("feature-rx-notify"), "1");
    xsw(fek("feature-sg"), "1");
    xsw(fek("feature-gso-tcpv4"), "1");
    xsw(fek("feature-gso-tcpv6"), "1");
    xsw(fek("feature-ipv6-csum-offload"), "1");
    xsw(fek("state"), "4");
}

/* A frame each way through the connected vif, checked. */
static void traffic(struct fake_vif *v, uint8_t seed)
{
    netif_tx_response_t rsp;
    struct virtio_net_hdr h;
    struct fake_rx_info info;
    size_t len = fake_frame(frame, &(struct fake_l4){ mac_b, mac_a, false, true, 3000, seed,
                                                      1 });

    ck_assert_uint_gt(fake_tx_packet(v, frame, len, NULL), 0);
    fake_tx_push(v);
    ck_assert_uint_eq(fake_tx_responses(v, &rsp, 1, WAIT), 1);
    ck_assert_int_eq(rsp.status, XEN_NETIF_RSP_OKAY);
    ck_assert_int_eq(fake_world_recv(v, &h, got, sizeof(got), WAIT), (ssize_t)len);
    ck_assert(memcmp(got, frame, len) == 0);
    fake_rx_post(v, 4);
    fake_world_send(v, NULL, frame, len);
    ck_assert_int_eq(fake_rx_packet(v, got, sizeof(got), &info, WAIT), (ssize_t)len);
    ck_assert(memcmp(got, frame, len) == 0);
}

static struct fake_guest *new_guest(struct fake_vif *v, uint32_t tx_port, uint32_t rx_port)
{
    struct fake_guest *g = fake_guest_create(FAKE_VIF_PAGES, DOMID, FAKE_VIF_PAGES + 8);

    fake_vif_init(v, g, 0, 0, tx_port, rx_port, 0);
    return g;
}

static void done_guest(struct fake_vif *v, struct fake_guest *g)
{
    fake_vif_fini(v);
    ck_assert_int_eq(fake_mapped(g), 0);
    fake_guest_destroy(g);
}

START_TEST(test_handshake_traffic_close)
{
    static const char *const features[][2] = {
        { "feature-sg", "1" }, { "feature-gso-tcpv4", "1" }, { "feature-gso-tcpv6", "1" },
        { "feature-ipv6-csum-offload", "1" }, { "feature-rx-copy", "1" },
        { "feature-rx-flip", "0" }, { "feature-split-event-channels", "1" },
        { "feature-multicast-control", "0" }, { "multi-queue-max-queues", "1" },
        { "hotplug-status", "connected" }, { "vifname", "vif7.0" }, { "handle", "0" },
    };
    struct fake_vif v;
    struct fake_guest *g = new_guest(&v, 1, 1);
    struct served s;

    add_vif(0, default_keys);
    serve(&s, &v, 0);
    run(&s);
    ck_assert(wait_for(bek("state"), "2"));
    for (size_t i = 0; i < sizeof(features) / sizeof(features[0]); i++)
        ck_assert_msg(!strcmp(xsr(bek(features[i][0])), features[i][1]), "%s is '%s'",
                      features[i][0], xsr(bek(features[i][0])));
    ck_assert(!s.spec.use_switch);
    ck_assert_str_eq(s.spec.tap.ifname, "vif7.0");
    ck_assert_str_eq(s.spec.tap.bridge, "xenbr0");
    frontend_connect(&v, false);
    ck_assert(wait_for(bek("state"), "4"));
    traffic(&v, 1);

    /* The frontend goes away and comes back with split event channels. */
    xsw(fek("state"), "5");
    ck_assert(wait_for(bek("state"), "5"));
    xsw(fek("state"), "6");
    ck_assert(wait_for(bek("state"), "6"));
    ck_assert_int_eq(fake_mapped(g), 0);
    ck_assert(!__atomic_load_n(&s.finished, __ATOMIC_ACQUIRE));
    fake_vif_fini(&v);
    fake_vif_init(&v, g, 0, 0, 2, 3, 0);
    xsw(fek("state"), "1");
    ck_assert(wait_for(bek("state"), "2"));
    frontend_connect(&v, true);
    ck_assert(wait_for(bek("state"), "4"));
    traffic(&v, 2);
    ck_assert_int_ge(fake_notifies(g, 3), 1);
    /* The link was opened once: a reconnecting frontend keeps its TAP device. */
    ck_assert_int_eq(s.links, 1);

    /* libxl removes the vif: online=0 and Closing on our node. */
    xsw(bek("online"), "0");
    xsw(bek("state"), "5");
    xsw(fek("state"), "5");
    xsw(fek("state"), "6");
    ck_assert(wait_for(bek("state"), "6"));
    ck_assert(finished(&s));
    ck_assert_int_eq(reap(&s), VIF_FINISHED);
    done_guest(&v, g);
}
END_TEST

/* Frontend settings that must be refused. */
static const struct {
    const char *key, *value;
} refusals[] = {
    { "request-rx-copy", "0" },
    { "request-rx-copy", "" },
    { "feature-rx-notify", "" },
    { "multi-queue-num-queues", "2" },
    { "multi-queue-num-queues", "0" },
    { "multi-queue-num-queues", "1x" },
    { "tx-ring-ref", "" },
    { "tx-ring-ref", "abc" },
    { "rx-ring-ref", "99999999999" },
    { "rx-ring-ref", "4000000" },       /* a ref that is not granted */
    { "event-channel", "" },            /* and no -tx/-rx either */
    { "event-channel", "74" },          /* a port that cannot be bound */
    { "event-channel", "-1" },
};

START_TEST(test_refused_frontends)
{
    struct fake_vif v;
    struct fake_guest *g = new_guest(&v, 1, 1);
    struct served s;
    char err[160];

    add_vif(10 + (uint32_t)_i, default_keys);
    serve(&s, &v, 10 + (uint32_t)_i);
    run(&s);
    ck_assert(wait_for(bek("state"), "2"));
    frontend_connect(&v, false);
    ck_assert(wait_for(bek("state"), "4"));
    xsw(fek("state"), "6");
    ck_assert(wait_for(bek("state"), "6"));
    /* Now the same frontend again, with one bad setting. */
    if (*refusals[_i].value)
        xsw(fek(refusals[_i].key), "%s", refusals[_i].value);
    else
        xs_rm(ts, XBT_NULL, fek(refusals[_i].key));
    xsw(fek("state"), "1");
    ck_assert(wait_for(bek("state"), "2"));
    xsw(fek("state"), "4");
    ck_assert_msg(wait_for(bek("state"), "5"), "%s=%s not refused", refusals[_i].key,
                  refusals[_i].value);
    snprintf(err, sizeof(err), "/local/domain/0/error/backend/vif/7/%u/error", 10 + _i);
    ck_assert_str_ne(xsr(err), "");
    ck_assert_int_eq(fake_mapped(g), 0);
    xsw(bek("online"), "0");
    xsw(fek("state"), "6");
    ck_assert(wait_for(bek("state"), "6"));
    ck_assert(finished(&s));
    ck_assert_int_eq(reap(&s), VIF_FINISHED);
    done_guest(&v, g);
}
END_TEST

/* Toolstack configurations that cannot be served: hotplug-status = error, and why. */
static const char *const bad_configs[][5] = {
    { "switch", "../etc", NULL },
    { "bridge", "lamina:", NULL },
    { "vifname", "a/b", NULL },
    { "vifname", "a-name-longer-than-ifnamsiz", NULL },
    { "mac", "00:16:3e:zz:00:01", NULL },
    { "mac", "01:00:5e:00:00:01", NULL },
    { "mtu", "12", NULL },
    { "bridge", "nobr", "link-error", "", NULL },
};

START_TEST(test_bad_configs)
{
    struct fake_vif v;
    struct fake_guest *g = new_guest(&v, 1, 1);
    struct served s;
    const char *keys[] = { bad_configs[_i][0], bad_configs[_i][1], NULL };

    add_vif(20 + (uint32_t)_i, keys);
    serve(&s, &v, 20 + (uint32_t)_i);
    if (bad_configs[_i][2])
        s.link_error = ENODEV;
    run(&s);
    ck_assert_msg(wait_for(bek("hotplug-status"), "error"), "%s=%s accepted",
                  bad_configs[_i][0], bad_configs[_i][1]);
    ck_assert_str_ne(xsr(bek("hotplug-error")), "");
    ck_assert(wait_for(bek("state"), "5"));
    ck_assert(finished(&s));
    ck_assert_int_eq(reap(&s), VIF_FAILED);
    ck_assert_int_eq(s.links, 0);
    done_guest(&v, g);
}
END_TEST

START_TEST(test_switch_and_generated_mac)
{
    static const char *const keys[][3] = {
        { "switch", "lan0", NULL }, { "bridge", "lamina:lan1", NULL },
    };
    struct fake_vif v;
    struct fake_guest *g = new_guest(&v, 1, 1);
    struct served s;
    uint8_t uuid[16] = { 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0,
                         0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef };
    uint8_t mac[6];
    char want[NB_MAC_STRLEN];

    xsw("/local/domain/7/vm", "/vm/12345678-9abc-def0-0123-456789abcdef");
    add_vif(30 + (uint32_t)_i, keys[_i]);
    xs_rm(ts, XBT_NULL, fek("mac"));
    serve(&s, &v, 30 + (uint32_t)_i);
    run(&s);
    ck_assert(wait_for(bek("state"), "2"));
    ck_assert(s.spec.use_switch);
    ck_assert_str_eq(s.spec.switch_name, _i ? "lan1" : "lan0");
    ck_assert_str_eq(xsr(bek("vifname")), "");
    netback_mac_generate(uuid, 30 + (uint32_t)_i, mac);
    nb_mac_format(mac, want);
    ck_assert_str_eq(xsr(bek("mac")), want);
    ck_assert_str_eq(xsr(fek("mac")), want);
    ck_assert_int_eq(mac[0], 0x00);
    ck_assert_int_eq(mac[1], 0x16);
    ck_assert_int_eq(mac[2], 0x3e);
    frontend_connect(&v, false);
    ck_assert(wait_for(bek("state"), "4"));
    traffic(&v, 3);
    xs_rm(ts, XBT_NULL, be);
    ck_assert(finished(&s));
    ck_assert_int_eq(reap(&s), VIF_FINISHED);
    done_guest(&v, g);
}
END_TEST

START_TEST(test_domain_death)
{
    struct fake_vif v;
    struct fake_guest *g = new_guest(&v, 1, 1);
    struct served s;

    ck_assert(xs_introduce_domain(ts, DOMID, 0, 0));
    add_vif(40, default_keys);
    serve(&s, &v, 40);
    run(&s);
    ck_assert(wait_for(bek("state"), "2"));
    frontend_connect(&v, false);
    ck_assert(wait_for(bek("state"), "4"));
    traffic(&v, 4);
    /* Packets in flight when the domain dies. */
    for (unsigned int i = 0; i < 20; i++)
        fake_tx_packet(&v, frame, 1000, NULL);
    fake_tx_push(&v);
    __atomic_store_n(&s.alive, 0, __ATOMIC_RELAXED);
    fake_guest_kill(g);
    ck_assert(xs_release_domain(ts, DOMID));
    ck_assert(wait_for(bek("state"), "6"));
    ck_assert(finished(&s));
    ck_assert_int_eq(reap(&s), VIF_FINISHED);
    done_guest(&v, g);
}
END_TEST

START_TEST(test_broken_ring_closes)
{
    struct fake_vif v;
    struct fake_guest *g = new_guest(&v, 1, 1);
    struct served s;

    add_vif(41, default_keys);
    serve(&s, &v, 41);
    run(&s);
    ck_assert(wait_for(bek("state"), "2"));
    frontend_connect(&v, false);
    ck_assert(wait_for(bek("state"), "4"));
    v.tx.sring->req_prod += 1000;
    fake_kick(&v, false);
    ck_assert(wait_for(bek("state"), "5"));
    ck_assert_str_ne(xsr("/local/domain/0/error/backend/vif/7/41/error"), "");
    ck_assert_int_eq(fake_mapped(g), 0);
    xsw(fek("state"), "6");
    ck_assert(wait_for(bek("state"), "6"));
    xs_rm(ts, XBT_NULL, be);
    ck_assert(finished(&s));
    ck_assert_int_eq(reap(&s), VIF_FINISHED);
    done_guest(&v, g);
}
END_TEST

START_TEST(test_restart_resumes)
{
    struct fake_vif v;
    struct fake_guest *g = new_guest(&v, 1, 1);
    struct served s;
    netif_tx_response_t rsp[8];
    struct virtio_net_hdr h;

    add_vif(42, default_keys);
    serve(&s, &v, 42);
    run(&s);
    ck_assert(wait_for(bek("state"), "2"));
    frontend_connect(&v, false);
    ck_assert(wait_for(bek("state"), "4"));
    traffic(&v, 5);
    ck_assert_int_eq(detach(&s), VIF_DETACHED);
    ck_assert_str_eq(xsr(bek("state")), "4");
    ck_assert_int_eq(fake_mapped(g), 0);
    /* The guest keeps sending while no backend runs ... */
    for (unsigned int i = 0; i < 8; i++) {
        fake_raw_frame(frame, mac_b, mac_a, 100 + i, (uint8_t)i);
        fake_tx_packet(&v, frame, 100 + i, NULL);
    }
    fake_tx_push(&v);
    /* ... and the next one picks its packets up without a handshake. */
    serve(&s, &v, 42);
    run(&s);
    ck_assert_uint_eq(fake_tx_responses(&v, rsp, 8, WAIT), 8);
    for (unsigned int i = 0; i < 8; i++) {
        ck_assert_int_eq(rsp[i].status, XEN_NETIF_RSP_OKAY);
        ck_assert_int_eq(fake_world_recv(&v, &h, got, sizeof(got), WAIT), 100 + i);
    }
    ck_assert_str_eq(xsr(bek("state")), "4");
    traffic(&v, 6);
    xs_rm(ts, XBT_NULL, be);
    ck_assert(finished(&s));
    ck_assert_int_eq(reap(&s), VIF_FINISHED);
    done_guest(&v, g);
}
END_TEST

/* libxl removing a vif whose frontend never came up: no frontend answers, we close at once. */
START_TEST(test_removed_before_connecting)
{
    struct fake_vif v;
    struct fake_guest *g = new_guest(&v, 1, 1);
    struct served s;

    add_vif(43, default_keys);
    serve(&s, &v, 43);
    run(&s);
    ck_assert(wait_for(bek("state"), "2"));
    xsw(bek("online"), "0");
    xsw(bek("state"), "5");
    ck_assert(wait_for(bek("state"), "6"));
    ck_assert(finished(&s));
    ck_assert_int_eq(reap(&s), VIF_FINISHED);
    done_guest(&v, g);
}
END_TEST

static void start_xenstored(void)
{
    xs_fixture_start(NETBACK_XENSTORED, "netback-vif");
}

static Suite *vif_suite(void)
{
    Suite *s = suite_create("netback-vif");
    TCase *tc = tcase_create("xenbus");

    tcase_add_checked_fixture(tc, start_xenstored, xs_fixture_stop);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_handshake_traffic_close);
    tcase_add_loop_test(tc, test_refused_frontends, 0, sizeof(refusals) / sizeof(refusals[0]));
    tcase_add_loop_test(tc, test_bad_configs, 0, sizeof(bad_configs) / sizeof(bad_configs[0]));
    tcase_add_loop_test(tc, test_switch_and_generated_mac, 0, 2);
    tcase_add_test(tc, test_domain_death);
    tcase_add_test(tc, test_broken_ring_closes);
    tcase_add_test(tc, test_restart_resumes);
    tcase_add_test(tc, test_removed_before_connecting);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(vif_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
