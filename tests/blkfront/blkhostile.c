/* blkhostile.c: test guest that speaks blkif badly on purpose, to lamina-blkback. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <guest-kit/blkfront.h>
#include <guest-kit/guest-kit.h>
#include <guest-kit/xenbus.h>
#include <xen/io/blkif.h>
#include <xen/io/protocols.h>

#include "gtest.h"

/*
 * [flood=N]
 *   Connects to its first disk itself (not through blkfront) with a
 *   one-page ring and sends what a broken or malicious frontend would:
 *   unknown operations, bad segment counts and sector ranges, ranges past
 *   the end or overflowing, grant references that are unknown, granted to
 *   another domain, revoked or read-only, broken indirect requests, a
 *   FLUSH with segments, duplicate ids, a flood of mixed requests and
 *   notifications. Each bad request must be answered with an error (or the
 *   device closed); good ones in between must still work. If it has a
 *   second disk (read-only), a write to it must fail. Then it moves
 *   req_prod far ahead: the backend must close the device; it reconnects,
 *   checks that I/O works again, breaks the ring once more by moving the
 *   index backwards, and ends with "blkhostile: done, <n> failures".
 */
const char gk_program_name[] = "blkhostile";

#define S               1000000000ull
#define MS              1000000ull
#define ANSWER_NS       (5 * S)
#define STATE_NS        (10 * S)

struct conn {
    uint32_t devid;
    char fe[32], be[128];
    domid_t beid;
    blkif_front_ring_t ring;
    struct blkif_sring *sring;
    int ring_ref;
    evtchn_port_t port;
    uint64_t sectors;
    unsigned int max_indirect;
    bool readonly;
};

static volatile unsigned int events;
static volatile bool timed_out;
static void *page;                  /* data page, granted read-write as data_ref */
static void *ind_page;              /* indirect segments, granted read-only as ind_ref */
static int data_ref, ind_ref;
static uint64_t next_id = 1000;

static void on_event(evtchn_port_t port, void *arg)
{
    events++;
}

static void on_timer(struct gk_timer *t, void *arg)
{
    timed_out = true;
}

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

static int connect(struct conn *c)
{
    enum xenbus_state now;
    char path[96];
    uint64_t v;
    int rc;

    snprintf(c->fe, sizeof(c->fe), "device/vbd/%u", c->devid);
    snprintf(path, sizeof(path), "%s/backend", c->fe);
    if (gk_xs_read(GK_XBT_NIL, path, c->be, sizeof(c->be)) <= 0 ||
        read_num(c->fe, "backend-id", &v) < 0)
        return -ENODEV;
    c->beid = (domid_t)v;
    if (gk_xenbus_read_state(c->fe) != XenbusStateInitialising)
        gk_xenbus_switch_state(c->fe, XenbusStateInitialising);
    rc = gk_xenbus_wait_state(c->be, 1u << XenbusStateInitWait, STATE_NS, &now);
    if (rc < 0)
        return rc;
    c->max_indirect = read_num(c->be, "feature-max-indirect-segments", &v) == 0 ? (unsigned)v : 0;
    if (!c->sring)
        c->sring = aligned_alloc(4096, 4096);
    SHARED_RING_INIT(c->sring);
    FRONT_RING_INIT(&c->ring, c->sring, 4096);
    c->ring_ref = gk_grant_access(c->beid, (uintptr_t)c->sring >> 12, false);
    if (c->ring_ref < 0)
        return c->ring_ref;
    rc = gk_evtchn_alloc_unbound(c->beid, on_event, NULL);
    if (rc < 0)
        return rc;
    c->port = (evtchn_port_t)rc;
    snprintf(path, sizeof(path), "%s/ring-ref", c->fe);
    rc = gk_xs_printf(GK_XBT_NIL, path, "%d", c->ring_ref);
    snprintf(path, sizeof(path), "%s/event-channel", c->fe);
    rc = rc ? rc : gk_xs_printf(GK_XBT_NIL, path, "%u", c->port);
    snprintf(path, sizeof(path), "%s/protocol", c->fe);
    rc = rc ? rc : gk_xs_write(GK_XBT_NIL, path, XEN_IO_PROTO_ABI_X86_64);
    rc = rc ? rc : gk_xenbus_switch_state(c->fe, XenbusStateInitialised);
    if (rc < 0)
        return rc;
    rc = gk_xenbus_wait_state(c->be, 1u << XenbusStateConnected, STATE_NS, &now);
    if (rc < 0)
        return rc;
    if (read_num(c->be, "sectors", &c->sectors) < 0 || read_num(c->be, "info", &v) < 0)
        return -EIO;
    c->readonly = v & VDISK_READONLY;
    return gk_xenbus_switch_state(c->fe, XenbusStateConnected);
}

/* Closed, and everything of the old ring taken back. */
static void disconnect(struct conn *c)
{
    enum xenbus_state now;

    gk_xenbus_switch_state(c->fe, XenbusStateClosing);
    gk_xenbus_switch_state(c->fe, XenbusStateClosed);
    gk_xenbus_wait_state(c->be, 1u << XenbusStateClosed, STATE_NS, &now);
    gk_evtchn_close(c->port);
    for (int i = 0; i < 100 && gk_grant_end_access((grant_ref_t)c->ring_ref) == -EBUSY; i++)
        gk_sleep_ns(10 * MS);
}

static struct blkif_request *slot(struct conn *c)
{
    struct blkif_request *r = RING_GET_REQUEST(&c->ring, c->ring.req_prod_pvt);

    memset(r, 0, sizeof(*r));
    c->ring.req_prod_pvt++;
    return r;
}

/* A read of sectors from s into the data page (8 sectors at most). */
static struct blkif_request *good_read(struct conn *c, uint64_t s, uint64_t id)
{
    struct blkif_request *r = slot(c);

    r->operation = BLKIF_OP_READ;
    r->nr_segments = 1;
    r->id = id;
    r->sector_number = s;
    r->seg[0] = (struct blkif_request_segment){ (grant_ref_t)data_ref, 0, 7 };
    return r;
}

static void push(struct conn *c)
{
    int notify;

    RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&c->ring, notify);
    (void)notify;
    gk_evtchn_send(c->port);      /* whether asked or not: a hostile frontend does */
}

static bool answered(struct conn *c, unsigned int want)
{
    return timed_out || __atomic_load_n(&c->sring->rsp_prod, __ATOMIC_ACQUIRE) -
                        c->ring.rsp_cons >= want;
}

/*
 * Up to `want` answers (their statuses and ids into st/ids): how many came
 * before ANSWER_NS passed.
 */
static unsigned int collect(struct conn *c, unsigned int want, int16_t *st, uint64_t *ids)
{
    struct gk_timer t;
    unsigned int got = 0;

    timed_out = false;
    gk_timer_init(&t, on_timer, NULL);
    gk_timer_start(&t, gk_monotonic_ns() + ANSWER_NS, 0);
    while (got < want) {
        RING_IDX prod;

        /* Ask to be told when the last answer wanted is there. */
        c->sring->rsp_event = c->ring.rsp_cons + (want - got);
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        gk_wait_event(answered(c, want - got));
        prod = __atomic_load_n(&c->sring->rsp_prod, __ATOMIC_ACQUIRE);
        if (prod - c->ring.rsp_cons > RING_SIZE(&c->ring))
            break;
        for (; c->ring.rsp_cons != prod && got < want; c->ring.rsp_cons++, got++) {
            struct blkif_response r;

            RING_COPY_RESPONSE(&c->ring, c->ring.rsp_cons, &r);
            if (st)
                st[got] = r.status;
            if (ids)
                ids[got] = r.id;
        }
        if (timed_out)
            break;
    }
    gk_timer_stop(&t);
    return got;
}

/* One request, one answer: its status, or 1 when none came. */
static int one(struct conn *c)
{
    int16_t st;

    push(c);
    return collect(c, 1, &st, NULL) == 1 ? st : 1;
}

static bool connected(struct conn *c)
{
    return gk_xenbus_read_state(c->be) == XenbusStateConnected;
}

/*
 * A bad request must fail: an error status, or the backend closing the
 * device (then this guest connects again and goes on).
 */
static void expect_error(struct conn *c, const char *what)
{
    int st = one(c);

    if (st == 1 && !connected(c)) {
        printf("blkhostile: %s: the backend closed the device; connecting again\n", what);
        disconnect(c);
        GT_CHECK(connect(c) == 0, "%s: cannot connect again", what);
        return;
    }
    GT_CHECK(st < 0, "%s: answered %d", what, st);
}

static void test_operations(struct conn *c)
{
    static const uint8_t ops[] = { BLKIF_OP_WRITE_BARRIER, BLKIF_OP_RESERVED_1, 7, 8, 200, 255 };
    int before = gt_failures;

    for (size_t i = 0; i < sizeof(ops); i++) {
        char what[32];

        good_read(c, 0, next_id++)->operation = ops[i];
        snprintf(what, sizeof(what), "operation %u", ops[i]);
        expect_error(c, what);
    }
    if (gt_failures == before)
        printf("PASS unknown and unsupported operations answered with errors\n");
}

static void test_segments(struct conn *c)
{
    static const uint8_t counts[] = { 0, 12, 255 };
    int before = gt_failures;
    struct blkif_request *r;

    for (size_t i = 0; i < sizeof(counts); i++) {
        good_read(c, 0, next_id++)->nr_segments = counts[i];
        expect_error(c, "bad segment count");
    }
    r = good_read(c, 0, next_id++);
    r->seg[0].first_sect = 5;
    r->seg[0].last_sect = 3;
    expect_error(c, "first_sect > last_sect");
    good_read(c, 0, next_id++)->seg[0].last_sect = 8;
    expect_error(c, "last_sect 8");
    r = good_read(c, 0, next_id++);
    r->seg[0].first_sect = 255;
    r->seg[0].last_sect = 255;
    expect_error(c, "first_sect 255");
    good_read(c, c->sectors, next_id++);
    expect_error(c, "sector at the end");
    good_read(c, c->sectors - 4, next_id++);
    expect_error(c, "range across the end");
    good_read(c, UINT64_MAX - 3, next_id++);
    expect_error(c, "range overflowing");
    r = slot(c);
    r->operation = BLKIF_OP_FLUSH_DISKCACHE;
    r->nr_segments = 12;
    r->id = next_id++;
    expect_error(c, "flush with 12 segments");
    r = slot(c);
    r->operation = BLKIF_OP_DISCARD;
    ((struct blkif_request_discard *)r)->sector_number = c->sectors - 1;
    ((struct blkif_request_discard *)r)->nr_sectors = UINT64_MAX;
    r->id = next_id++;
    expect_error(c, "discard overflowing");
    if (gt_failures == before)
        printf("PASS bad segment counts, sector fields and ranges answered with errors\n");
}

static void test_grants(struct conn *c)
{
    static const grant_ref_t bad[] = { 6, 7, 30000, 0xfffffffeu, 0xffffffffu };
    int before = gt_failures, other, revoked, ro;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        good_read(c, 0, next_id++)->seg[0].gref = bad[i];
        expect_error(c, "unknown grant reference");
    }
    /* Granted, but to a domain that is not the backend. */
    other = gk_grant_access((domid_t)(gk_domid() + 100), (uintptr_t)page >> 12, false);
    good_read(c, 0, next_id++)->seg[0].gref = (grant_ref_t)other;
    expect_error(c, "grant for another domain");
    gk_grant_end_access((grant_ref_t)other);
    /* Granted and revoked before the request goes out. */
    revoked = gk_grant_access(c->beid, (uintptr_t)page >> 12, false);
    gk_grant_end_access((grant_ref_t)revoked);
    good_read(c, 0, next_id++)->seg[0].gref = (grant_ref_t)revoked;
    expect_error(c, "revoked grant");
    /* A read must write into the page: a read-only grant cannot do. */
    ro = gk_grant_access(c->beid, (uintptr_t)page >> 12, true);
    good_read(c, 0, next_id++)->seg[0].gref = (grant_ref_t)ro;
    expect_error(c, "read into a read-only grant");
    for (int i = 0; i < 100 && gk_grant_end_access((grant_ref_t)ro) == -EBUSY; i++)
        gk_sleep_ns(10 * MS);
    if (gt_failures == before)
        printf("PASS unknown, foreign, revoked and read-only grants answered with errors\n");

    /* Revoked while the backend may be using it: any answer, but one. */
    revoked = gk_grant_access(c->beid, (uintptr_t)page >> 12, false);
    good_read(c, 0, next_id++)->seg[0].gref = (grant_ref_t)revoked;
    push(c);
    for (int i = 0; i < 500 && gk_grant_end_access((grant_ref_t)revoked) == -EBUSY; i++)
        gk_sleep_ns(MS);
    if (GT_CHECK(collect(c, 1, NULL, NULL) == 1, "no answer to a request whose grant was "
                 "revoked in flight"))
        printf("PASS a grant revoked in flight: answered\n");
}

static void test_indirect(struct conn *c)
{
    struct blkif_request_segment *seg = ind_page;
    int before = gt_failures;
    struct blkif_request_indirect *r;
    struct {
        uint16_t nseg;
        uint8_t op;
        grant_ref_t ind, data;
        uint8_t last;
        const char *what;
    } cases[] = {
        { 0, BLKIF_OP_READ, 0, 0, 7, "indirect with no segments" },
        { 600, BLKIF_OP_READ, 0, 0, 7, "indirect with 600 segments" },
        { 65535, BLKIF_OP_READ, 0, 0, 7, "indirect with 65535 segments" },
        { 1, BLKIF_OP_WRITE_BARRIER, 0, 0, 7, "indirect barrier" },
        { 1, 200, 0, 0, 7, "indirect operation 200" },
        { 1, BLKIF_OP_READ, 30000, 0, 7, "unknown indirect page" },
        { 1, BLKIF_OP_READ, 0, 30000, 7, "unknown grant in the indirect page" },
        { 1, BLKIF_OP_READ, 0, 0, 9, "last_sect 9 in the indirect page" },
    };

    if (!c->max_indirect) {
        printf("PASS indirect requests: not offered\n");
        return;
    }
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        for (unsigned int k = 0; k < 8; k++)
            seg[k] = (struct blkif_request_segment){
                cases[i].data ? cases[i].data : (grant_ref_t)data_ref, 0, cases[i].last };
        r = (struct blkif_request_indirect *)slot(c);
        r->operation = BLKIF_OP_INDIRECT;
        r->indirect_op = cases[i].op;
        r->nr_segments = cases[i].nseg;
        r->id = next_id++;
        r->sector_number = 0;
        r->indirect_grefs[0] = cases[i].ind ? cases[i].ind : (grant_ref_t)ind_ref;
        expect_error(c, cases[i].what);
    }
    if (gt_failures == before)
        printf("PASS broken indirect requests answered with errors\n");
}

static void test_duplicates_and_flood(struct conn *c, unsigned int rounds)
{
    unsigned int size = RING_SIZE(&c->ring), good = 0, bad = 0, answers = 0;
    int16_t st[64] = { 0 };
    uint64_t ids[64] = { 0 };
    int before = gt_failures;

    good_read(c, 0, 77);
    good_read(c, 8, 77);
    push(c);
    if (GT_CHECK(collect(c, 2, st, ids) == 2 && ids[0] == 77 && ids[1] == 77 && !st[0] &&
                 !st[1], "duplicate ids: %d %d", st[0], st[1]))
        printf("PASS two requests with one id: both answered\n");

    /* Full rings of good reads and garbage, as fast as they go; every answer checked. */
    for (unsigned int round = 0; round < rounds; round++) {
        for (unsigned int i = 0; i < size; i++) {
            struct blkif_request *r = good_read(c, (i * 8) % (c->sectors - 8), i);

            if (i % 4 == 3)
                r->operation = (uint8_t)(100 + i);
        }
        push(c);
        if (collect(c, size, st, ids) != size) {
            GT_CHECK(false, "flood round %u: not every request answered", round);
            break;
        }
        for (unsigned int i = 0; i < size; i++) {
            answers++;
            if (ids[i] % 4 == 3)
                bad += GT_CHECK(st[i] < 0, "flood: garbage id %lu answered %d", ids[i], st[i]);
            else
                good += GT_CHECK(st[i] == 0, "flood: read id %lu answered %d", ids[i], st[i]);
        }
        for (int k = 0; k < 20; k++)
            gk_evtchn_send(c->port);
    }
    if (gt_failures == before)
        printf("PASS flood: %u requests in %u full rings, %u good ones done, %u bad ones refused\n",
               answers, rounds, good, bad);
}

/* A broken ring index must end in the device closing; then a fresh connection works. */
static void test_broken_ring(struct conn *c, int32_t jump, const char *what)
{
    enum xenbus_state now = XenbusStateUnknown;
    int rc;

    c->sring->req_prod = c->ring.req_prod_pvt + (RING_IDX)jump;
    gk_evtchn_send(c->port);
    rc = gk_xenbus_wait_state(c->be, 1u << XenbusStateClosing | 1u << XenbusStateClosed,
                              STATE_NS, &now);
    if (GT_CHECK(rc == 0, "%s: the backend stays in state %d", what, now))
        printf("PASS %s: the backend closed the device\n", what);
    disconnect(c);
    rc = connect(c);
    if (!GT_CHECK(rc == 0, "reconnect after %s: %d", what, rc))
        return;
    good_read(c, 0, next_id++);
    if (GT_CHECK(one(c) == 0, "a read after reconnecting failed"))
        printf("PASS reconnected after %s, reads work\n", what);
}

static void test_readonly_disk(uint32_t devid)
{
    struct conn ro = { .devid = devid };
    struct blkif_request *r;
    int rc = connect(&ro);

    if (!GT_CHECK(rc == 0, "connect to the second disk: %d", rc))
        return;
    GT_CHECK(ro.readonly, "the second disk is not read-only");
    r = good_read(&ro, 0, next_id++);
    r->operation = BLKIF_OP_WRITE;
    expect_error(&ro, "write to a read-only disk");
    good_read(&ro, 0, next_id++);
    if (GT_CHECK(one(&ro) == 0, "a read of the read-only disk failed"))
        printf("PASS a write to a read-only disk refused by the backend, reads work\n");
    disconnect(&ro);
}

int main(int argc, char **argv)
{
    unsigned int flood = (unsigned int)gt_arg_num(argc, argv, "flood", 40);
    struct conn c = { 0 };
    uint32_t ids[4];
    int n = gk_blk_list(ids, 4), rc;

    page = aligned_alloc(4096, 4096);
    ind_page = aligned_alloc(4096, 4096);
    if (!GT_CHECK(n >= 1 && page && ind_page, "no disk (%d) or no memory", n))
        return gt_finish("blkhostile");
    c.devid = ids[0];
    rc = connect(&c);
    if (!GT_CHECK(rc == 0, "connect to disk %u: %d", c.devid, rc))
        return gt_finish("blkhostile");
    data_ref = gk_grant_access(c.beid, (uintptr_t)page >> 12, false);
    ind_ref = gk_grant_access(c.beid, (uintptr_t)ind_page >> 12, true);
    printf("blkhostile: disk %u connected: %lu sectors, ring of %u, indirect %u\n", c.devid,
           c.sectors, RING_SIZE(&c.ring), c.max_indirect);
    good_read(&c, 0, next_id++);
    if (GT_CHECK(one(&c) == 0, "a plain read failed"))
        printf("PASS a valid read works\n");

    test_operations(&c);
    test_segments(&c);
    test_grants(&c);
    test_indirect(&c);
    test_duplicates_and_flood(&c, flood);
    if (n >= 2)
        test_readonly_disk(ids[1]);
    for (int i = 0; i < 2000; i++)
        gk_evtchn_send(c.port);
    good_read(&c, 0, next_id++);
    if (GT_CHECK(one(&c) == 0, "a read after 2000 notifications failed"))
        printf("PASS 2000 notifications for nothing, reads still work\n");

    test_broken_ring(&c, 1000, "req_prod 1000 ahead");
    test_broken_ring(&c, -5, "req_prod moved backwards");
    disconnect(&c);
    return gt_finish("blkhostile");
}
