/* test_blkback_vbd.c: Check tests of blkback's xenbus state machine against lamina-xenstored. */
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
#include "vbd.h"

#ifndef BLKBACK_XENSTORED
#error "BLKBACK_XENSTORED must name the lamina-xenstored binary to test against"
#endif

/*
 * The toolstack's and the frontend's sides are played by the test through
 * its own xenstore connection, writing what libxl and Linux's blkfront
 * write; the rings are the fake frontend's.
 */

#define DOMID 7u
#define SECTORS 8192u

#define BE "/local/domain/0/backend/vbd/7/"
#define FE "/local/domain/7/device/vbd/"

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

/* What libxl writes for a disk, backend and frontend in one transaction. */
static void add_device(uint32_t devid, const char *params, const char *mode)
{
    xs_transaction_t t;

    snprintf(be, sizeof(be), BE "%u", devid);
    snprintf(fe, sizeof(fe), FE "%u", devid);
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
        W(be, "removable", "0");
        W(be, "bootable", "1");
        W(be, "state", "1");
        W(be, "dev", "xvda");
        W(be, "type", "phy");
        W(be, "mode", mode);
        W(be, "device-type", "disk");
        W(be, "discard-enable", "1");
        W(be, "params", params);
        W(fe, "backend", be);
        W(fe, "backend-id", "0");
        W(fe, "state", "1");
        W(fe, "virtual-device", "51712");
        W(fe, "device-type", "disk");
#undef W
    } while (!xs_transaction_end(ts, t, false) && errno == EAGAIN);
}

struct served {
    pthread_t th;
    struct vbd_env env;
    uint32_t devid;
    enum vbd_result result;
    int finished;
    int alive;
};

static int alive(void *arg, uint32_t domid)
{
    struct served *s = arg;

    return __atomic_load_n(&s->alive, __ATOMIC_RELAXED);
}

static void *serve_thread(void *arg)
{
    struct served *s = arg;

    s->result = vbd_serve(&s->env, DOMID, s->devid);
    __atomic_store_n(&s->finished, 1, __ATOMIC_RELEASE);
    return NULL;
}

static void serve(struct served *s, struct fake_guest *g, uint32_t devid)
{
    memset(s, 0, sizeof(*s));
    s->devid = devid;
    s->alive = 1;
    s->env.xs = xs_open(0);
    ck_assert_ptr_nonnull(s->env.xs);
    s->env.transport = fake_factory(g);
    s->env.domain_alive = alive;
    s->env.alive_arg = s;
    s->env.stop_fd = eventfd(0, EFD_CLOEXEC);
    s->env.cfg = (struct vbd_config){
        .max_queues = 4, .max_ring_order = 4, .max_indirect_segments = 256,
        .max_persistent = 64, .allow_direct = true,
    };
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

static enum vbd_result reap(struct served *s)
{
    pthread_join(s->th, NULL);
    xs_close(s->env.xs);
    close(s->env.stop_fd);
    return s->result;
}

static enum vbd_result detach(struct served *s)
{
    uint64_t one = 1;

    ck_assert_int_eq(write(s->env.stop_fd, &one, sizeof(one)), sizeof(one));
    return reap(s);
}

/* Publish one single-page ring the way blkfront does, and say Initialised. */
static void frontend_init(struct fake_dev *d, bool persistent)
{
    xsw(fek("ring-ref"), "%u", d->fr.refs[0]);
    xsw(fek("event-channel"), "%u", d->fr.port);
    xsw(fek("protocol"), "x86_64-abi");
    xsw(fek("feature-persistent"), "%u", persistent ? 1u : 0u);
    xsw(fek("state"), "3");
}

/* A write and a read back through ring fr, checked. */
static void roundtrip(struct fake_dev *d, struct fake_ring *fr, uint64_t sector, uint32_t page)
{
    blkif_response_t rsp;
    blkif_request_t *req;

    for (unsigned int i = 0; i < 4096; i++)
        fake_page(d->g, page)[i] = (uint8_t)(i * 13 + sector);
    req = fake_ring_next(fr);
    *req = (blkif_request_t){ .operation = BLKIF_OP_WRITE, .nr_segments = 1, .id = 1,
                              .sector_number = sector };
    req->seg[0] = (struct blkif_request_segment){ FAKE_REF(page), 0, 7 };
    fake_ring_push(fr);
    ck_assert_uint_eq(fake_ring_wait(fr, &rsp, 1, 5000), 1);
    ck_assert_int_eq(rsp.status, BLKIF_RSP_OKAY);
    req = fake_ring_next(fr);
    *req = (blkif_request_t){ .operation = BLKIF_OP_READ, .nr_segments = 1, .id = 2,
                              .sector_number = sector };
    req->seg[0] = (struct blkif_request_segment){ FAKE_REF(page + 1), 0, 7 };
    fake_ring_push(fr);
    ck_assert_uint_eq(fake_ring_wait(fr, &rsp, 1, 5000), 1);
    ck_assert_int_eq(rsp.status, BLKIF_RSP_OKAY);
    ck_assert(memcmp(fake_page(d->g, page), fake_page(d->g, page + 1), 4096) == 0);
}

START_TEST(test_handshake_io_and_close)
{
    struct fake_dev d;
    struct fake_ring q0, q1;
    struct served s;

    fake_dev_init(&d, SECTORS, "vbd", 1, 0);
    add_device(51712, d.image, "w");
    serve(&s, d.g, 51712);
    ck_assert(wait_for(bek("state"), "2"));
    ck_assert_str_eq(xsr(bek("feature-max-indirect-segments")), "256");
    ck_assert_str_eq(xsr(bek("multi-queue-max-queues")), "4");
    ck_assert_str_eq(xsr(bek("max-ring-page-order")), "4");
    ck_assert_str_eq(xsr(bek("feature-persistent")), "1");
    ck_assert_str_eq(xsr(bek("feature-flush-cache")), "1");
    ck_assert_str_eq(xsr(bek("feature-barrier")), "0");
    ck_assert_str_eq(xsr(bek("feature-discard")), "1");
    ck_assert_str_ne(xsr(bek("discard-granularity")), "");
    ck_assert_str_eq(xsr(bek("hotplug-status")), "connected");
    /* The disk itself is described only when connecting. */
    ck_assert_str_eq(xsr(bek("sectors")), "");
    frontend_init(&d, true);
    ck_assert(wait_for(bek("state"), "4"));
    ck_assert_str_eq(xsr(bek("sectors")), "8192");
    ck_assert_str_eq(xsr(bek("info")), "0");
    ck_assert_str_eq(xsr(bek("sector-size")), "512");
    ck_assert_str_ne(xsr(bek("physical-sector-size")), "");
    xsw(fek("state"), "4");
    roundtrip(&d, &d.fr, 100, FAKE_DATA_PAGE);

    /* The frontend goes away and comes back with two queues of four-page rings. */
    xsw(fek("state"), "5");
    ck_assert(wait_for(bek("state"), "5"));
    xsw(fek("state"), "6");
    ck_assert(wait_for(bek("state"), "6"));
    ck_assert_int_eq(fake_mapped(d.g), 0);
    ck_assert(!__atomic_load_n(&s.finished, __ATOMIC_ACQUIRE));
    xsw(fek("state"), "1");
    ck_assert(wait_for(bek("state"), "2"));
    fake_ring_init(&q0, d.g, 1, 16, 4, 40, 0);
    fake_ring_init(&q1, d.g, 2, 20, 4, 50, 0);
    xs_rm(ts, XBT_NULL, fek("ring-ref"));
    xs_rm(ts, XBT_NULL, fek("event-channel"));
    xsw(fek("multi-queue-num-queues"), "2");
    xsw(fek("ring-page-order"), "2");
    for (unsigned int i = 0; i < 4; i++) {
        char key[64];

        snprintf(key, sizeof(key), "queue-0/ring-ref%u", i);
        xsw(fek(key), "%u", q0.refs[i]);
        snprintf(key, sizeof(key), "queue-1/ring-ref%u", i);
        xsw(fek(key), "%u", q1.refs[i]);
    }
    xsw(fek("queue-0/event-channel"), "1");
    xsw(fek("queue-1/event-channel"), "2");
    xsw(fek("state"), "3");
    ck_assert(wait_for(bek("state"), "4"));
    roundtrip(&d, &q0, 200, FAKE_DATA_PAGE + 10);
    roundtrip(&d, &q1, 300, FAKE_DATA_PAGE + 20);

    /* libxl removes the device: online=0 and Closing on our node. */
    xsw(bek("online"), "0");
    xsw(bek("state"), "5");
    xsw(fek("state"), "5");
    xsw(fek("state"), "6");
    ck_assert(wait_for(bek("state"), "6"));
    ck_assert(finished(&s));
    ck_assert_int_eq(reap(&s), VBD_FINISHED);
    fake_dev_fini(&d);
}
END_TEST

/* Frontend settings that must be refused, each with what it breaks. */
static const struct {
    const char *key, *value;
} refusals[] = {
    { "protocol", "x86_32-abi" },
    { "multi-queue-num-queues", "5" },
    { "multi-queue-num-queues", "0" },
    { "multi-queue-num-queues", "12abc" },
    { "ring-page-order", "5" },
    { "ring-page-order", "-1" },
    { "ring-ref", "abc" },
    { "ring-ref", "99999999999" },
    { "ring-ref", "4000000" },          /* a ref that is not granted */
    { "event-channel", "" },
    { "event-channel", "74" },          /* a port that cannot be bound */
};

START_TEST(test_refused_frontends)
{
    struct fake_dev d;
    struct served s;
    char err[160];

    fake_dev_init(&d, SECTORS, "refuse", 1, 0);
    add_device(768 + (uint32_t)_i, d.image, "w");
    serve(&s, d.g, 768 + (uint32_t)_i);
    ck_assert(wait_for(bek("state"), "2"));
    xsw(fek("ring-ref"), "%u", d.fr.refs[0]);
    xsw(fek("event-channel"), "%u", d.fr.port);
    if (!strcmp(refusals[_i].key, "event-channel") && !*refusals[_i].value)
        xs_rm(ts, XBT_NULL, fek("event-channel"));
    else
        xsw(fek(refusals[_i].key), "%s", refusals[_i].value);
    xsw(fek("state"), "3");
    ck_assert_msg(wait_for(bek("state"), "5"), "%s=%s not refused", refusals[_i].key,
                  refusals[_i].value);
    snprintf(err, sizeof(err), "/local/domain/0/error/backend/vbd/7/%u/error", 768 + _i);
    ck_assert_str_ne(xsr(err), "");
    ck_assert_str_eq(xsr(bek("sectors")), "");
    ck_assert_int_eq(fake_mapped(d.g), 0);
    xsw(bek("online"), "0");
    xsw(fek("state"), "6");
    ck_assert(wait_for(bek("state"), "6"));
    ck_assert(finished(&s));
    ck_assert_int_eq(reap(&s), VBD_FINISHED);
    fake_dev_fini(&d);
}
END_TEST

START_TEST(test_bad_backing_store)
{
    struct fake_dev d;
    struct served s;

    fake_dev_init(&d, SECTORS, "badstore", 1, 0);
    add_device(832 + (uint32_t)_i, _i == 0 ? "/nonexistent/disk.img" :
                                   _i == 1 ? "qcow2:/var/lib/disk.qcow2" : "/dev/null", "w");
    serve(&s, d.g, 832 + (uint32_t)_i);
    ck_assert(wait_for(bek("hotplug-status"), "error"));
    ck_assert_str_ne(xsr(bek("hotplug-error")), "");
    ck_assert(wait_for(bek("state"), "5"));
    ck_assert(finished(&s));
    ck_assert_int_eq(reap(&s), VBD_FAILED);
    fake_dev_fini(&d);
}
END_TEST

START_TEST(test_readonly_disk)
{
    struct fake_dev d;
    struct served s;
    blkif_response_t rsp;

    fake_dev_init(&d, SECTORS, "rovbd", 1, 0);
    add_device(2, d.image, "r");
    serve(&s, d.g, 2);
    ck_assert(wait_for(bek("state"), "2"));
    ck_assert_str_eq(xsr(bek("feature-discard")), "0");
    frontend_init(&d, false);
    ck_assert(wait_for(bek("state"), "4"));
    ck_assert_str_eq(xsr(bek("info")), "4");
    fake_rw(&d, BLKIF_OP_WRITE, 1, 0, 1, FAKE_DATA_PAGE);
    ck_assert_uint_eq(fake_do(&d, &rsp, 1), 1);
    ck_assert_int_eq(rsp.status, BLKIF_RSP_ERROR);
    ck_assert(wait_for(bek("state"), "4"));
    xs_rm(ts, XBT_NULL, be);
    ck_assert(finished(&s));
    ck_assert_int_eq(reap(&s), VBD_FINISHED);
    fake_dev_fini(&d);
}
END_TEST

START_TEST(test_domain_death)
{
    struct fake_dev d;
    struct served s;

    fake_dev_init(&d, SECTORS, "death", 1, 0);
    ck_assert(xs_introduce_domain(ts, DOMID, 0, 0));
    add_device(3, d.image, "w");
    serve(&s, d.g, 3);
    ck_assert(wait_for(bek("state"), "2"));
    frontend_init(&d, true);
    ck_assert(wait_for(bek("state"), "4"));
    roundtrip(&d, &d.fr, 8, FAKE_DATA_PAGE);
    /* Requests in flight when the domain dies. */
    for (unsigned int i = 0; i < 30; i++)
        fake_rw(&d, BLKIF_OP_READ, i, i * 88, 11, FAKE_DATA_PAGE + i * 11);
    fake_ring_push(&d.fr);
    __atomic_store_n(&s.alive, 0, __ATOMIC_RELAXED);
    fake_guest_kill(d.g);
    ck_assert(xs_release_domain(ts, DOMID));
    ck_assert(wait_for(bek("state"), "6"));
    ck_assert(finished(&s));
    ck_assert_int_eq(reap(&s), VBD_FINISHED);
    fake_dev_fini(&d);
}
END_TEST

START_TEST(test_broken_ring_closes)
{
    struct fake_dev d;
    struct served s;

    fake_dev_init(&d, SECTORS, "brokenring", 1, 0);
    add_device(4, d.image, "w");
    serve(&s, d.g, 4);
    ck_assert(wait_for(bek("state"), "2"));
    frontend_init(&d, false);
    ck_assert(wait_for(bek("state"), "4"));
    d.fr.front.sring->req_prod += 1000;
    fake_ring_kick(&d.fr);
    ck_assert(wait_for(bek("state"), "5"));
    ck_assert_str_ne(xsr("/local/domain/0/error/backend/vbd/7/4/error"), "");
    ck_assert_int_eq(fake_mapped(d.g), 0);
    xsw(fek("state"), "6");
    ck_assert(wait_for(bek("state"), "6"));
    xs_rm(ts, XBT_NULL, be);
    ck_assert(finished(&s));
    ck_assert_int_eq(reap(&s), VBD_FINISHED);
    fake_dev_fini(&d);
}
END_TEST

START_TEST(test_restart_resumes)
{
    struct fake_dev d;
    struct served s;
    blkif_response_t rsp[8];

    fake_dev_init(&d, SECTORS, "resume", 1, 0);
    add_device(5, d.image, "w");
    serve(&s, d.g, 5);
    ck_assert(wait_for(bek("state"), "2"));
    frontend_init(&d, true);
    ck_assert(wait_for(bek("state"), "4"));
    xsw(fek("state"), "4");
    roundtrip(&d, &d.fr, 16, FAKE_DATA_PAGE);
    ck_assert_int_eq(detach(&s), VBD_DETACHED);
    ck_assert_str_eq(xsr(bek("state")), "4");
    ck_assert_int_eq(fake_mapped(d.g), 0);
    /* The guest keeps going while no backend runs ... */
    for (unsigned int i = 0; i < 8; i++)
        fake_rw(&d, BLKIF_OP_READ, 100 + i, i * 8, 1, FAKE_DATA_PAGE + 10 + i);
    fake_ring_push(&d.fr);
    /* ... and the next one picks up its requests without a handshake. */
    serve(&s, d.g, 5);
    ck_assert_uint_eq(fake_ring_wait(&d.fr, rsp, 8, 5000), 8);
    for (unsigned int i = 0; i < 8; i++)
        ck_assert_int_eq(rsp[i].status, BLKIF_RSP_OKAY);
    ck_assert_str_eq(xsr(bek("state")), "4");
    roundtrip(&d, &d.fr, 24, FAKE_DATA_PAGE + 30);
    xs_rm(ts, XBT_NULL, be);
    ck_assert(finished(&s));
    ck_assert_int_eq(reap(&s), VBD_FINISHED);
    fake_dev_fini(&d);
}
END_TEST

static void start_xenstored(void)
{
    xs_fixture_start(BLKBACK_XENSTORED, "blkback-vbd");
}

static Suite *vbd_suite(void)
{
    Suite *s = suite_create("blkback-vbd");
    TCase *tc = tcase_create("xenbus");

    tcase_add_checked_fixture(tc, start_xenstored, xs_fixture_stop);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_handshake_io_and_close);
    tcase_add_loop_test(tc, test_refused_frontends, 0, sizeof(refusals) / sizeof(refusals[0]));
    tcase_add_loop_test(tc, test_bad_backing_store, 0, 3);
    tcase_add_test(tc, test_readonly_disk);
    tcase_add_test(tc, test_domain_death);
    tcase_add_test(tc, test_broken_ring_closes);
    tcase_add_test(tc, test_restart_resumes);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(vbd_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
