/* test_xs_ring.c: Check tests of lamina-xenstored's ring transport over fake evtchn/gnttab. */
/* SPDX-License-Identifier: MIT */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <xen/io/xs_wire.h>
#include <xenctrl.h>
#include <xenevtchn.h>
#include <xengnttab.h>

#include "conn.h"
#include "domain.h"
#include "loop.h"
#include "quota.h"
#include "ring.h"
#include "test_xs_harness.h"
#include "watch.h"
#include "xsd.h"

/*
 * The fakes stand for lamina's libraries: one "guest page" per domain,
 * local port = 100 + domid, VIRQ_DOM_EXC on port 99, and an eventfd that
 * is readable while ports are pending.
 */
#define VIRQ_PORT 99
#define MAX_DOMS 8

struct xenevtchn_handle {
    int fd;
};
struct xengntdev_handle {
    int unused;
};
struct xc_interface_core {
    int unused;
};

static struct {
    struct xenevtchn_handle xce;
    struct xengntdev_handle xgt;
    struct xc_interface_core xch;
    struct xenstore_domain_interface page[MAX_DOMS];
    bool mapped[MAX_DOMS];
    bool bound[MAX_DOMS];
    unsigned int notified[MAX_DOMS];
    int pending[64];
    unsigned int npending;
    uint32_t dominfo_flags[MAX_DOMS];
    bool gone[MAX_DOMS];
    bool fail_map;
} fk;

xenevtchn_handle *xenevtchn_open(struct xentoollog_logger *logger, unsigned int open_flags)
{
    fk.xce.fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    return &fk.xce;
}

int xenevtchn_close(xenevtchn_handle *xce)
{
    close(xce->fd);
    return 0;
}

int xenevtchn_fd(xenevtchn_handle *xce)
{
    return xce->fd;
}

int xenevtchn_notify(xenevtchn_handle *xce, evtchn_port_t port)
{
    if (port >= 100 && port < 100 + MAX_DOMS)
        fk.notified[port - 100]++;
    return 0;
}

xenevtchn_port_or_error_t xenevtchn_bind_interdomain(xenevtchn_handle *xce, uint32_t domid,
                                                     evtchn_port_t remote_port)
{
    ck_assert_uint_lt(domid, MAX_DOMS);
    fk.bound[domid] = true;
    return (xenevtchn_port_or_error_t)(100 + domid);
}

xenevtchn_port_or_error_t xenevtchn_bind_virq(xenevtchn_handle *xce, unsigned int virq)
{
    ck_assert_uint_eq(virq, VIRQ_DOM_EXC);
    return VIRQ_PORT;
}

int xenevtchn_unbind(xenevtchn_handle *xce, evtchn_port_t port)
{
    if (port >= 100 && port < 100 + MAX_DOMS)
        fk.bound[port - 100] = false;
    return 0;
}

xenevtchn_port_or_error_t xenevtchn_pending(xenevtchn_handle *xce)
{
    uint64_t v;

    if (fk.npending == 0) {
        if (read(xce->fd, &v, sizeof(v)) < 0) {
            /* Drained already. */
        }
        errno = EAGAIN;
        return -1;
    }
    return fk.pending[--fk.npending];
}

int xenevtchn_unmask(xenevtchn_handle *xce, evtchn_port_t port)
{
    return 0;
}

xengnttab_handle *xengnttab_open(struct xentoollog_logger *logger, unsigned open_flags)
{
    return &fk.xgt;
}

int xengnttab_close(xengnttab_handle *xgt)
{
    return 0;
}

void *xengnttab_map_grant_ref(xengnttab_handle *xgt, uint32_t domid, uint32_t ref, int prot)
{
    ck_assert_uint_eq(ref, 1);
    if (fk.fail_map || domid >= MAX_DOMS) {
        errno = EINVAL;
        return NULL;
    }
    fk.mapped[domid] = true;
    return &fk.page[domid];
}

int xengnttab_unmap(xengnttab_handle *xgt, void *start_address, uint32_t count)
{
    for (int d = 0; d < MAX_DOMS; d++)
        if (start_address == &fk.page[d])
            fk.mapped[d] = false;
    return 0;
}

xc_interface *xc_interface_open(xentoollog_logger *logger, xentoollog_logger *dombuild_logger,
                                unsigned open_flags)
{
    return &fk.xch;
}

int xc_interface_close(xc_interface *xch)
{
    return 0;
}

int xc_domain_getinfo_single(xc_interface *xch, uint32_t domid, xc_domaininfo_t *info)
{
    if (domid >= MAX_DOMS || fk.gone[domid]) {
        errno = ESRCH;
        return -1;
    }
    memset(info, 0, sizeof(*info));
    info->domain = (domid_t)domid;
    info->flags = fk.dominfo_flags[domid];
    return 0;
}

/* ---- The guest side ---- */

static void raise_event(int port)
{
    uint64_t one = 1;

    fk.pending[fk.npending++] = port;
    ck_assert_int_eq(write(fk.xce.fd, &one, sizeof(one)), sizeof(one));
}

/* Let the daemon run: event callbacks, then its work list, until idle. */
static void settle(void)
{
    for (int i = 0; i < 1000; i++) {
        loop_once(0);
        conns_run();
        if (!conns_busy() && fk.npending == 0)
            return;
    }
}

/* Put as much of buf as fits into the request ring; returns bytes written. */
static size_t guest_put(unsigned int d, const void *buf, size_t len)
{
    struct xenstore_domain_interface *p = &fk.page[d];
    size_t room = XENSTORE_RING_SIZE - (p->req_prod - p->req_cons), n = len < room ? len : room;

    for (size_t i = 0; i < n; i++)
        p->req[MASK_XENSTORE_IDX(p->req_prod + i)] = ((const char *)buf)[i];
    p->req_prod += (XENSTORE_RING_IDX)n;
    return n;
}

static size_t guest_get(unsigned int d, void *buf, size_t len)
{
    struct xenstore_domain_interface *p = &fk.page[d];
    size_t avail = p->rsp_prod - p->rsp_cons, n = len < avail ? len : avail;

    for (size_t i = 0; i < n; i++)
        ((char *)buf)[i] = p->rsp[MASK_XENSTORE_IDX(p->rsp_cons + i)];
    p->rsp_cons += (XENSTORE_RING_IDX)n;
    return n;
}

/* Send a whole request, feeding the ring as the daemon drains it. */
static void guest_send(unsigned int d, uint32_t type, uint32_t req_id, const void *payload,
                       size_t len)
{
    struct xsd_sockmsg hdr = { .type = type, .req_id = req_id, .len = (uint32_t)len };
    char msg[sizeof(hdr) + XENSTORE_PAYLOAD_MAX];
    size_t off = 0;

    memcpy(msg, &hdr, sizeof(hdr));
    memcpy(msg + sizeof(hdr), payload, len);
    for (int tries = 0; off < sizeof(hdr) + len; tries++) {
        ck_assert_int_lt(tries, 100);
        off += guest_put(d, msg + off, sizeof(hdr) + len - off);
        raise_event(100 + (int)d);
        settle();
    }
}

/* Receive one whole message, consuming the response ring as it fills. */
static void guest_recv(unsigned int d, struct xsd_sockmsg *hdr, char *body)
{
    size_t got = 0, want = sizeof(*hdr);
    char buf[sizeof(*hdr) + XENSTORE_PAYLOAD_MAX];

    for (int tries = 0; got < want; tries++) {
        ck_assert_int_lt(tries, 100);
        got += guest_get(d, buf + got, want - got);
        if (got >= sizeof(*hdr)) {
            memcpy(hdr, buf, sizeof(*hdr));
            ck_assert_uint_le(hdr->len, XENSTORE_PAYLOAD_MAX);
            want = sizeof(*hdr) + hdr->len;
        }
        if (got < want) {
            /* The guest freed space: tell the daemon. */
            raise_event(100 + (int)d);
            settle();
        }
    }
    memcpy(body, buf + sizeof(*hdr), hdr->len);
    body[hdr->len] = '\0';
}

static void setup(void)
{
    memset(&fk, 0, sizeof(fk));
    ck_assert_int_eq(loop_init(), 0);
    xt_setup_backend(ring_backend());
}

static void teardown(void)
{
    xt_teardown();
    ring_fini();
    loop_fini();
}

START_TEST(test_introduce_maps_and_binds)
{
    ck_assert_int_eq(domain_introduce(3, 0xabc, 7), 0);
    ck_assert(fk.mapped[3]);
    ck_assert(fk.bound[3]);
    ck_assert_ptr_nonnull(domain_find(3)->conn);
    ck_assert_uint_eq(fk.page[3].server_features,
                      XENSTORE_SERVER_FEATURE_RECONNECTION | XENSTORE_SERVER_FEATURE_ERROR);
    /* The guest gets a kick in case it wrote before being introduced. */
    ck_assert_uint_ge(fk.notified[3], 1);
    ck_assert_int_eq(domain_release(3), 0);
    settle();
    ck_assert(!fk.mapped[3]);
    ck_assert(!fk.bound[3]);
    fk.fail_map = true;
    ck_assert_int_eq(domain_introduce(4, 1, 1), -EINVAL);
    ck_assert_ptr_null(domain_find(4));
}
END_TEST

START_TEST(test_requests_over_the_ring)
{
    struct xsd_sockmsg hdr;
    static char body[XENSTORE_PAYLOAD_MAX + 1];

    ck_assert_int_eq(domain_introduce(2, 1, 1), 0);
    settle();
    guest_send(2, XS_GET_DOMAIN_PATH, 5, "2", 2);
    guest_recv(2, &hdr, body);
    ck_assert_uint_eq(hdr.type, XS_GET_DOMAIN_PATH);
    ck_assert_uint_eq(hdr.req_id, 5);
    ck_assert_str_eq(body, "/local/domain/2");
    /* Relative paths are the guest's, permissions apply. */
    guest_send(2, XS_WRITE, 6, "data\0x", 6);
    guest_recv(2, &hdr, body);
    ck_assert_uint_eq(hdr.type, XS_ERROR);
    ck_assert_str_eq(body, "EACCES");
    ck_assert_uint_gt(fk.notified[2], 2);
}
END_TEST

START_TEST(test_big_messages_wrap)
{
    struct tconn *dom0 = xt_dom0();
    struct xsd_sockmsg hdr;
    static char body[XENSTORE_PAYLOAD_MAX + 1];
    static char msg[XENSTORE_PAYLOAD_MAX];

    quota[Q_NODE_SIZE] = 8192;
    ck_assert_int_eq(domain_introduce(2, 1, 1), 0);
    settle();
    ck_assert_str_eq(xt_setperms(dom0, 0, "/", "n0,b2"), "OK");
    for (uint32_t round = 0; round < 5; round++) {
        /* A 4 KiB request crosses the 1 KiB ring several times... */
        memcpy(msg, "/big", 5);
        memset(msg + 5, 'a' + (int)round, sizeof(msg) - 5);
        guest_send(2, XS_WRITE, 200 + round, msg, sizeof(msg));
        guest_recv(2, &hdr, body);
        ck_assert_uint_eq(hdr.req_id, 200 + round);
        ck_assert_str_eq(body, "OK");
        /* ...and so does the reply to reading it back. */
        guest_send(2, XS_READ, 300 + round, "/big", 5);
        guest_recv(2, &hdr, body);
        ck_assert_uint_eq(hdr.req_id, 300 + round);
        ck_assert_uint_eq(hdr.len, sizeof(msg) - 5);
        ck_assert_mem_eq(body, msg + 5, sizeof(msg) - 5);
    }
    /* Indexes are free-running counters: past one lap, they still work. */
    ck_assert_uint_gt(fk.page[2].req_prod, 5 * XENSTORE_RING_SIZE);
    {
        const char *v = xt_read(dom0, 0, "/big");

        ck_assert_uint_eq(strlen(v), sizeof(msg) - 5);
        ck_assert_mem_eq(v, msg + 5, sizeof(msg) - 5);
    }
}
END_TEST

START_TEST(test_watch_events_reach_the_guest)
{
    struct tconn *dom0 = xt_dom0();
    struct xsd_sockmsg hdr;
    static char body[XENSTORE_PAYLOAD_MAX + 1];

    ck_assert_int_eq(domain_introduce(3, 1, 1), 0);
    settle();
    ck_assert_str_eq(xt_mkdir(dom0, 0, "/local/domain/3"), "OK");
    ck_assert_str_eq(xt_setperms(dom0, 0, "/local/domain/3", "n3"), "OK");
    guest_send(3, XS_WATCH, 1, "device\0be", 10);
    guest_recv(3, &hdr, body);
    ck_assert_str_eq(body, "OK");
    guest_recv(3, &hdr, body);
    ck_assert_uint_eq(hdr.type, XS_WATCH_EVENT);
    ck_assert_str_eq(body, "device");
    ck_assert_str_eq(body + 7, "be");
    ck_assert_str_eq(xt_write(dom0, 0, "/local/domain/3/device/vif/0", "x"), "OK");
    settle();
    guest_recv(3, &hdr, body);
    ck_assert_uint_eq(hdr.type, XS_WATCH_EVENT);
    ck_assert_str_eq(body, "device/vif/0");
}
END_TEST

START_TEST(test_bad_indexes_end_the_connection)
{
    struct xenstore_domain_interface *p = &fk.page[5];

    ck_assert_int_eq(domain_introduce(5, 1, 1), 0);
    settle();
    p->req_prod = p->req_cons + XENSTORE_RING_SIZE + 1;
    raise_event(105);
    settle();
    ck_assert_ptr_null(domain_find(5)->conn);
    ck_assert_uint_eq(p->error, XENSTORE_ERROR_RINGIDX);
    /* The domain stays introduced; events for it are ignored. */
    raise_event(105);
    settle();
    /* A guest may ask to start afresh. */
    p->connection = XENSTORE_RECONNECT;
    raise_event(105);
    settle();
    ck_assert_ptr_nonnull(domain_find(5)->conn);
    ck_assert_uint_eq(p->connection, XENSTORE_CONNECTED);
    ck_assert_uint_eq(p->error, XENSTORE_ERROR_NONE);
    ck_assert_uint_eq(p->req_prod, 0);
    {
        struct xsd_sockmsg hdr;
        char body[XENSTORE_PAYLOAD_MAX + 1];

        guest_send(5, XS_GET_DOMAIN_PATH, 9, "5", 2);
        guest_recv(5, &hdr, body);
        ck_assert_str_eq(body, "/local/domain/5");
    }
    /* Response ring indexes from another world, too. */
    p->rsp_cons = p->rsp_prod + 5000;
    guest_put(5, "\2\0\0\0\1\0\0\0\0\0\0\0\2\0\0\0" "5", 18);
    raise_event(105);
    settle();
    ck_assert_ptr_null(domain_find(5)->conn);
}
END_TEST

START_TEST(test_oversize_over_ring)
{
    struct xsd_sockmsg hdr = { .type = XS_READ, .len = XENSTORE_PAYLOAD_MAX + 1 };

    ck_assert_int_eq(domain_introduce(6, 1, 1), 0);
    settle();
    guest_put(6, &hdr, sizeof(hdr));
    raise_event(106);
    settle();
    ck_assert_ptr_null(domain_find(6)->conn);
    ck_assert_uint_eq(fk.page[6].error, XENSTORE_ERROR_PROTO);
}
END_TEST

START_TEST(test_dom_exc)
{
    ck_assert_int_eq(domain_introduce(1, 1, 1), 0);
    ck_assert_int_eq(domain_introduce(2, 1, 1), 0);
    ck_assert_int_eq(domain_introduce(3, 1, 1), 0);
    settle();
    fk.dominfo_flags[1] = XEN_DOMINF_shutdown;
    fk.dominfo_flags[2] = XEN_DOMINF_dying;
    fk.gone[3] = true;
    raise_event(VIRQ_PORT);
    settle();
    ck_assert_ptr_nonnull(domain_find(1));
    ck_assert(domain_find(1)->shutdown_fired);
    ck_assert_ptr_null(domain_find(2));
    ck_assert_ptr_null(domain_find(3));
    ck_assert(!fk.mapped[2] && !fk.mapped[3]);
}
END_TEST

static Suite *ring_suite(void)
{
    Suite *s = suite_create("xenstored-ring");
    TCase *tc = tcase_create("ring");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_introduce_maps_and_binds);
    tcase_add_test(tc, test_requests_over_the_ring);
    tcase_add_test(tc, test_big_messages_wrap);
    tcase_add_test(tc, test_watch_events_reach_the_guest);
    tcase_add_test(tc, test_bad_indexes_end_the_connection);
    tcase_add_test(tc, test_oversize_over_ring);
    tcase_add_test(tc, test_dom_exc);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(ring_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
