/* peer.c: test guest for event channels and grant copies between two domains, or with dom0. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xen/hvm/hvm_op.h>
#include <xen/hvm/params.h>
#include <xen/io/console.h>

#include <guest-kit/guest-kit.h>

#include "gtest.h"

/*
 * role=a peer=<B's domid> count=N
 *   Offers B a port and two grants (read-only `ro`, writable `rw`), and a
 *   port and a grant meant for someone else (dom0: `dom0port`, `other`),
 *   prints them on one "peer-a: ..." line, then answers each of B's
 *   events with one of its own. Afterwards it checks what B wrote into
 *   `rw`, ends `ro`, and finally exhausts its ports.
 * role=b peer=<A's domid> port= ro= rw= other= dom0port= count=N
 *   Binds A's port, sends N pings timing each round trip, then copies to
 *   and from A's grants, tries what it must not be able to do, and
 *   finally exhausts its grant table.
 * role=d count=N
 *   The same pinger against a dom0 program: offers dom0 a port (and a
 *   second one to domain 1234, which dom0 must not be able to bind),
 *   prints "peer-d: port=<p> foreign=<q>", waits for dom0's first event,
 *   then pings N times.
 */

const char gk_program_name[] = "peer";

#define PATTERN_A(i)    ((uint8_t)(0x5a ^ (i) ^ ((i) >> 8)))
#define PATTERN_B(i)    ((uint8_t)(0xc3 + (i) * 7))

static uint8_t ro_page[GK_PAGE_SIZE] __attribute__((aligned(GK_PAGE_SIZE)));
static uint8_t rw_page[GK_PAGE_SIZE] __attribute__((aligned(GK_PAGE_SIZE)));
static uint8_t other_page[GK_PAGE_SIZE] __attribute__((aligned(GK_PAGE_SIZE)));
static uint8_t buf[2 * GK_PAGE_SIZE] __attribute__((aligned(GK_PAGE_SIZE)));

static volatile uint32_t events;
static evtchn_port_t port;
static uint32_t pong_limit;

static void count_event(evtchn_port_t p, void *arg)
{
    (void)p;
    (void)arg;
    events++;
}

/* The answering side: send back from the handler, as a backend would, pong_limit times. */
static void pong(evtchn_port_t p, void *arg)
{
    (void)arg;
    if (++events <= pong_limit)
        gk_evtchn_send(p);
}

static void wait_events(uint32_t n)
{
    gk_wait_event(events >= n);
}

static void time_up(struct gk_timer *t, void *arg)
{
    (void)t;
    *(volatile bool *)arg = true;
}

/* Like wait_events(), for at most timeout_ns; says whether they came. */
static bool wait_events_for(uint32_t n, uint64_t timeout_ns)
{
    volatile bool late = false;
    struct gk_timer t;

    gk_timer_init(&t, time_up, (void *)&late);
    gk_timer_start(&t, gk_monotonic_ns() + timeout_ns, 0);
    gk_wait_event(events >= n || late);
    gk_timer_stop(&t);
    return events >= n;
}

/*
 * N round trips on `port`; the other side answers every event. Timed in
 * blocks of RTT_BLOCK, as the floor is: reading the clock costs about an
 * exit here.
 */
#define RTT_BLOCK 20

static void ping(const char *who, unsigned long count)
{
    struct gt_stats rtt = { 0 };
    uint64_t t0 = gk_monotonic_ns();
    bool ok = true;

    for (unsigned long i = 0; i < count; i++) {
        uint32_t before = events;
        int rc = gk_evtchn_send(port);

        if (!GT_CHECK(rc == 0, "send %lu: error %d", i, rc)) {
            ok = false;
            break;
        }
        gk_wait_event(events != before);
        if ((i + 1) % RTT_BLOCK == 0) {
            uint64_t t1 = gk_monotonic_ns();

            gt_stats_add(&rtt, (t1 - t0) / RTT_BLOCK);
            t0 = t1;
        }
    }
    gt_stats_print(who, "event-rtt", &rtt);
    if (ok)
        printf("PASS ping-pong %lu round trips\n", count);
}

static void exhaust_ports(void)
{
    int *ports = malloc(EVTCHN_2L_NR_CHANNELS * sizeof(*ports));
    int n = 0, rc;

    if (!ports)
        gk_panic("out of memory");
    while (n < (int)EVTCHN_2L_NR_CHANNELS && (rc = gk_evtchn_alloc_unbound(0, NULL, NULL)) > 0)
        ports[n++] = rc;
    GT_CHECK(rc == -ENOSPC, "port allocation ended with %d, not -ENOSPC", rc);
    GT_CHECK(n > 100, "only %d ports", n);
    for (int i = 0; i < n; i++)
        GT_CHECK(gk_evtchn_close((evtchn_port_t)ports[i]) == 0, "close %d", ports[i]);
    rc = gk_evtchn_alloc_unbound(0, NULL, NULL);
    GT_CHECK(rc > 0, "no port after closing all: %d", rc);
    if (rc > 0)
        gk_evtchn_close((evtchn_port_t)rc);
    free(ports);
    printf("PASS port exhaustion after %d ports\n", n);
}

static void exhaust_grants(domid_t to)
{
    int *refs = malloc(GK_GNTTAB_MAX_FRAMES * 512 * sizeof(*refs));
    int n = 0, rc;

    if (!refs)
        gk_panic("out of memory");
    while (n < GK_GNTTAB_MAX_FRAMES * 512 &&
           (rc = gk_grant_access(to, (uintptr_t)buf / GK_PAGE_SIZE, true)) >= 0)
        refs[n++] = rc;
    GT_CHECK(rc == -ENOSPC, "grant allocation ended with %d, not -ENOSPC", rc);
    GT_CHECK(n > 1000, "only %d grants", n);
    for (int i = 0; i < n; i++)
        if (gk_grant_end_access((grant_ref_t)refs[i]) != 0)
            GT_CHECK(false, "end_access %d", refs[i]);
    GT_CHECK(gk_grant_end_access((grant_ref_t)refs[0]) == -EINVAL, "a second end_access worked");
    rc = gk_grant_access(to, (uintptr_t)buf / GK_PAGE_SIZE, true);
    GT_CHECK(rc >= 0, "no grant after ending all: %d", rc);
    if (rc >= 0)
        gk_grant_end_access((grant_ref_t)rc);
    free(refs);
    printf("PASS grant exhaustion after %d grants\n", n);
}

static int role_a(int argc, char **argv)
{
    domid_t peer = (domid_t)gt_arg_num(argc, argv, "peer", DOMID_INVALID);
    unsigned long count = gt_arg_num(argc, argv, "count", 1000);
    int p, ro, rw, other, dom0port, rc;
    bool same = true;

    for (unsigned int i = 0; i < GK_PAGE_SIZE; i++)
        ro_page[i] = PATTERN_A(i);
    pong_limit = (uint32_t)count;
    p = gk_evtchn_alloc_unbound(peer, pong, NULL);
    ro = gk_grant_access(peer, (uintptr_t)ro_page / GK_PAGE_SIZE, true);
    rw = gk_grant_access(peer, (uintptr_t)rw_page / GK_PAGE_SIZE, false);
    other = gk_grant_access(0, (uintptr_t)other_page / GK_PAGE_SIZE, false);
    dom0port = gk_evtchn_alloc_unbound(0, NULL, NULL);
    if (p < 0 || ro < 0 || rw < 0 || other < 0 || dom0port < 0)
        gk_panic("set-up failed: port %d, grants %d %d %d, dom0 port %d", p, ro, rw, other,
                 dom0port);
    printf("peer-a: domid=%u port=%d ro=%d rw=%d other=%d dom0port=%d\n", gk_domid(), p, ro, rw,
           other, dom0port);

    /* B's pings, then "copied"; we end `ro` and answer; then B's "bye". */
    wait_events(count + 1);
    for (unsigned int i = 0; i < GK_PAGE_SIZE; i++)
        same &= rw_page[i] == PATTERN_B(i);
    GT_CHECK(same, "B's copy into the writable grant is not there");
    rc = gk_grant_end_access((grant_ref_t)ro);
    GT_CHECK(rc == 0, "end_access of the read-only grant: %d", rc);
    GT_CHECK(gk_grant_end_access((grant_ref_t)rw) == 0, "end_access of rw");
    gk_evtchn_send((evtchn_port_t)p);
    wait_events(count + 2);
    if (same && rc == 0)
        printf("PASS grants seen by the granter\n");

    exhaust_ports();
    return gt_finish("peer-a");
}

static int role_b(int argc, char **argv)
{
    domid_t peer = (domid_t)gt_arg_num(argc, argv, "peer", DOMID_INVALID);
    unsigned long count = gt_arg_num(argc, argv, "count", 1000);
    grant_ref_t ro = (grant_ref_t)gt_arg_num(argc, argv, "ro", 0);
    grant_ref_t rw = (grant_ref_t)gt_arg_num(argc, argv, "rw", 0);
    grant_ref_t other = (grant_ref_t)gt_arg_num(argc, argv, "other", 0);
    evtchn_port_t dom0port = (evtchn_port_t)gt_arg_num(argc, argv, "dom0port", 0);
    uint32_t base;
    bool same = true;
    int p, rc;

    gt_measure_floor("peer-b");
    p = gk_evtchn_bind_interdomain(peer, (evtchn_port_t)gt_arg_num(argc, argv, "port", 0),
                                   count_event, NULL);
    if (p < 0)
        gk_panic("cannot bind to domain %u's port: %d", peer, p);
    port = (evtchn_port_t)p;
    /* Binding raises our new port once (Xen does so too): let it pass. */
    gk_sleep_ns(1000000);
    events = 0;
    ping("peer-b", count);

    /* Grants: a page of each, across a page boundary of ours. */
    rc = gk_grant_copy_from(peer, ro, 0, buf + 100, GK_PAGE_SIZE);
    GT_CHECK(rc == 0, "copy from the read-only grant: %d", rc);
    for (unsigned int i = 0; i < GK_PAGE_SIZE; i++)
        same &= buf[100 + i] == PATTERN_A(i);
    GT_CHECK(same, "the read-only grant's contents differ");
    rc = gk_grant_copy_to(peer, ro, 0, buf, 16);
    GT_CHECK(rc == -EPERM, "copy into the read-only grant gave %d, not -EPERM", rc);
    for (unsigned int i = 0; i < GK_PAGE_SIZE; i++)
        buf[1000 + i] = PATTERN_B(i);
    rc = gk_grant_copy_to(peer, rw, 0, buf + 1000, GK_PAGE_SIZE);
    GT_CHECK(rc == 0, "copy into the writable grant: %d", rc);
    rc = gk_grant_copy_from(peer, other, 0, buf, 16);
    GT_CHECK(rc == -EPERM, "copy from a grant for dom0 gave %d, not -EPERM", rc);
    rc = gk_grant_copy_from(peer, 40000, 0, buf, 16);
    GT_CHECK(rc == -EINVAL, "copy from a reference beyond the table gave %d", rc);
    {
        struct gnttab_copy op = {
            .source = { .u.ref = ro, .domid = peer, .offset = 4000 },
            .dest = { .u.gmfn = (uintptr_t)buf / GK_PAGE_SIZE, .domid = DOMID_SELF },
            .len = 200,
            .flags = GNTCOPY_source_gref,
        };

        rc = gk_grant_copy(&op, 1);
        GT_CHECK(rc == 0 && op.status == GNTST_bad_copy_arg,
                 "copy across the end of a granted page gave %d, status %d", rc, op.status);
    }
    rc = gk_grant_copy_from(DOMID_FIRST_RESERVED - 1, ro, 0, buf, 16);
    GT_CHECK(rc == -ESRCH, "copy from a domain that does not exist gave %d", rc);
    rc = gk_evtchn_bind_interdomain(peer, dom0port, NULL, NULL);
    GT_CHECK(rc == -EINVAL, "binding a port offered to dom0 gave %d, not -EINVAL", rc);
    if (rc > 0)
        gk_evtchn_close((evtchn_port_t)rc);

    base = events;
    gk_evtchn_send(port);                   /* "copied" */
    gk_wait_event(events != base);          /* A ended `ro` */
    rc = gk_grant_copy_from(peer, ro, 0, buf, 16);
    GT_CHECK(rc == -EPERM, "copy from an ended grant gave %d, not -EPERM", rc);
    gk_evtchn_send(port);                   /* "bye" */
    rc = gk_evtchn_close(port);
    GT_CHECK(rc == 0, "close: %d", rc);
    rc = gk_evtchn_send(port);
    GT_CHECK(rc == -EINVAL, "send on a closed port gave %d, not -EINVAL", rc);
    if (!gt_failures)
        printf("PASS grant copies and isolation between guests\n");

    exhaust_grants(peer);
    return gt_finish("peer-b");
}

static uint64_t param(uint32_t index)
{
    struct xen_hvm_param p = { .domid = DOMID_SELF, .index = index };

    return HYPERVISOR_hvm_op(HVMOP_get_param, &p) == 0 ? p.value : 0;
}

/*
 * The console ring's far end is the hypervisor itself (a dom0 port with an
 * internal consumer): every kick must drain the ring, not only the first.
 */
static void console_ring(void)
{
    struct xencons_interface *r = (void *)(uintptr_t)(param(HVM_PARAM_CONSOLE_PFN) * GK_PAGE_SIZE);
    evtchn_port_t cport = (evtchn_port_t)param(HVM_PARAM_CONSOLE_EVTCHN);
    bool ok = GT_CHECK(r && cport, "no console ring (pfn %p, port %u)", (void *)r, cport);

    for (int k = 1; ok && k <= 3; k++) {
        char line[64];
        int n = snprintf(line, sizeof(line), "peer-d: console ring line %d\n", k);
        XENCONS_RING_IDX prod = r->out_prod;
        uint64_t deadline;

        for (int i = 0; i < n; i++)
            r->out[MASK_XENCONS_IDX(prod++, r->out)] = line[i];
        __atomic_store_n(&r->out_prod, prod, __ATOMIC_RELEASE);
        gk_evtchn_send(cport);
        deadline = gk_monotonic_ns() + 2000000000ull;
        while (__atomic_load_n(&r->out_cons, __ATOMIC_ACQUIRE) != prod &&
               gk_monotonic_ns() < deadline)
            gk_sleep_ns(1000000);
        ok &= GT_CHECK(r->out_cons == prod, "kick %d: the hypervisor left the ring unread", k);
    }
    if (ok)
        printf("PASS console ring drained on every kick\n");
}

static int role_d(int argc, char **argv)
{
    unsigned long count = gt_arg_num(argc, argv, "count", 1000);
    int p = gk_evtchn_alloc_unbound(0, count_event, NULL);
    int foreign = gk_evtchn_alloc_unbound(1234, NULL, NULL);

    if (p < 0 || foreign < 0)
        gk_panic("cannot offer ports: %d %d", p, foreign);
    port = (evtchn_port_t)p;
    gt_measure_floor("peer-d");
    console_ring();
    printf("peer-d: domid=%u port=%d foreign=%d\n", gk_domid(), p, foreign);
    wait_events(1);                         /* dom0 is bound */
    events = 0;
    ping("peer-d", count);
    gk_evtchn_send(port);                   /* "bye": dom0 counts count + 1 */
    /* dom0 notifies once more and closes at once: the notify must not be lost. */
    if (GT_CHECK(wait_events_for(count + 1, 10 * GK_NSEC_PER_SEC),
                 "dom0's last notify, sent just before it closed, never came"))
        printf("PASS a notify right before dom0 closes arrives\n");
    return gt_finish("peer-d");
}

int main(int argc, char **argv)
{
    const char *role = gt_arg(argc, argv, "role");

    if (!role)
        gk_panic("usage: role=a|b|d ...");
    if (!strcmp(role, "a"))
        return role_a(argc, argv);
    if (!strcmp(role, "b"))
        return role_b(argc, argv);
    if (!strcmp(role, "d"))
        return role_d(argc, argv);
    gk_panic("unknown role '%s'", role);
}
