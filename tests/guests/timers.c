/* timers.c: test guest for time: one-shot and periodic timers, sleeping, SCHEDOP_poll. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>

#include <xen/vcpu.h>

#include <guest-kit/guest-kit.h>

#include "gtest.h"

/*
 * What "on time" means here. Every timer is checked against the guest's
 * own clock (gk_monotonic_ns) and must never run before its deadline:
 * that is exact by construction (guest-kit re-arms if the hypervisor's
 * timer fires a little before the guest's clock agrees), so it is asserted
 * strictly. Lateness is only bounded loosely, LATE_LIMIT_NS: a timer goes
 * through the host's timerfd, the hypervisor's event thread, an MSI and
 * KVM's instruction emulator (~10 us per exit, ~0.4 us per instruction on
 * the test machines), and a loaded 2-core CI machine can deschedule the
 * vCPU thread for far longer than that. The typical lateness is printed,
 * not asserted.
 */
#define MS              1000000ul
#define LATE_LIMIT_NS   (1000 * MS)

const char gk_program_name[] = "timers";

static struct gt_stats late;

static bool on_time(uint64_t deadline, uint64_t now, const char *what)
{
    bool ok = GT_CHECK(now >= deadline, "%s ran %lu ns early", what, deadline - now);

    if (now >= deadline) {
        ok &= GT_CHECK(now - deadline < LATE_LIMIT_NS, "%s ran %lu ms late", what,
                       (now - deadline) / MS);
        gt_stats_add(&late, now - deadline);
    }
    return ok;
}

static void test_sleep(void)
{
    static const uint64_t lengths[] = { 1 * MS, 5 * MS, 20 * MS, 2 * MS, 0, 1000 };
    bool ok = true;

    for (unsigned int i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++) {
        uint64_t deadline = gk_monotonic_ns() + lengths[i];

        gk_sleep_until(deadline);
        ok &= on_time(deadline, gk_monotonic_ns(), "sleep");
    }
    if (ok)
        printf("PASS sleep\n");
}

#define NR_ONESHOT 16

struct shot {
    struct gk_timer timer;
    uint64_t ran_at;
    unsigned int order;
};

static unsigned int ran;

static void shot_fired(struct gk_timer *t, void *arg)
{
    struct shot *s = arg;

    (void)t;
    s->ran_at = gk_monotonic_ns();
    s->order = ran++;
}

/* Started out of order, they must run in deadline order, none early, the stopped one never. */
static void test_oneshot(void)
{
    struct shot shots[NR_ONESHOT];
    uint64_t base = gk_monotonic_ns() + 2 * MS;
    unsigned long flags;
    bool ok = true;
    int rc;

    /* However slow the set-up, no timer may run before all are armed and one stopped. */
    flags = gk_irq_save();
    ran = 0;
    for (unsigned int i = 0; i < NR_ONESHOT; i++) {
        /* 0, 7, 14, 5, 12, ... ms: a permutation of 0..15 ms */
        uint64_t at = base + (i * 7 % NR_ONESHOT) * MS;

        shots[i] = (struct shot){ .ran_at = 0 };
        gk_timer_init(&shots[i].timer, shot_fired, &shots[i]);
        rc = gk_timer_start(&shots[i].timer, at, 0);
        ok &= GT_CHECK(rc == 0, "timer %u: %d", i, rc);
    }
    ok &= GT_CHECK(gk_timer_stop(&shots[3].timer) == 0, "stop");
    gk_irq_restore(flags);
    gk_sleep_until(base + (NR_ONESHOT + 10) * MS);
    for (unsigned int i = 0; i < NR_ONESHOT; i++) {
        uint64_t at = base + (i * 7 % NR_ONESHOT) * MS;

        if (i == 3) {
            ok &= GT_CHECK(shots[i].ran_at == 0, "a stopped timer ran");
            continue;
        }
        ok &= GT_CHECK(shots[i].ran_at != 0, "timer %u never ran", i);
        ok &= on_time(at, shots[i].ran_at, "one-shot timer");
        ok &= GT_CHECK(gk_timer_armed(&shots[i].timer) == false, "timer %u still armed", i);
    }
    /* Deadline order: timer i has slot i*7%16; the stopped one's slot is skipped. */
    for (unsigned int i = 0; i < NR_ONESHOT; i++) {
        for (unsigned int j = 0; j < NR_ONESHOT; j++) {
            if (i == 3 || j == 3 || (i * 7 % NR_ONESHOT) >= (j * 7 % NR_ONESHOT))
                continue;
            ok &= GT_CHECK(shots[i].order < shots[j].order, "timers %u and %u out of order", i,
                           j);
        }
    }
    if (ok)
        printf("PASS one-shot timers in order, the stopped one silent\n");
}

struct tick {
    struct gk_timer timer;
    uint64_t first, period;
    unsigned int n;
    bool ok;
};

static void ticked(struct gk_timer *t, void *arg)
{
    struct tick *k = arg;

    /* Tick n is due no earlier than first + n * period, however late earlier ones ran. */
    k->ok &= on_time(k->first + k->n * k->period, gk_monotonic_ns(), "periodic tick");
    if (++k->n == 10)
        gk_timer_stop(t);
}

static void test_periodic(void)
{
    struct tick k = { .period = 3 * MS, .ok = true };

    k.first = gk_monotonic_ns() + 2 * MS;
    gk_timer_init(&k.timer, ticked, &k);
    GT_CHECK(gk_timer_start(&k.timer, k.first, k.period) == 0, "start");
    gk_wait_event(k.n == 10);
    gk_sleep_ns(10 * MS);
    k.ok &= GT_CHECK(k.n == 10, "ticks after the stop: %u", k.n);
    if (k.ok)
        printf("PASS periodic timer\n");
}

/*
 * The hypervisor's side on its own: VIRQ_TIMER bound masked (no handler),
 * so only SCHEDOP_poll sees it.
 */
static void test_poll_and_hypervisor_timers(void)
{
    int port = gk_evtchn_bind_virq(VIRQ_TIMER, 0, NULL, NULL);
    evtchn_port_t p;
    struct vcpu_set_singleshot_timer st;
    struct vcpu_set_periodic_timer pt = { .period_ns = 2 * MS };
    uint64_t t0, deadline;
    bool ok = true;
    int rc;

    if (!GT_CHECK(port > 0, "bind VIRQ_TIMER: %d", port))
        return;
    p = (evtchn_port_t)port;

    /* Poll ends on the port. */
    deadline = gk_monotonic_ns() + 5 * MS;
    st = (struct vcpu_set_singleshot_timer){ .timeout_abs_ns = deadline };
    ok &= GT_CHECK(HYPERVISOR_vcpu_op(VCPUOP_set_singleshot_timer, 0, &st) == 0, "singleshot");
    rc = gk_poll(&p, 1, 2000 * MS);
    ok &= GT_CHECK(rc == (int)p, "poll returned %d, not the port", rc);
    ok &= on_time(deadline, gk_monotonic_ns(), "single-shot timer (poll)");
    gk_evtchn_clear(p);

    /* Poll ends at its timeout: nothing is armed. */
    t0 = gk_monotonic_ns();
    rc = gk_poll(&p, 1, 10 * MS);
    ok &= GT_CHECK(rc == -ETIMEDOUT, "poll with nothing armed returned %d", rc);
    ok &= on_time(t0 + 10 * MS, gk_monotonic_ns(), "poll timeout");

    /* A deadline in the past with VCPU_SSHOTTMR_future is refused. */
    st = (struct vcpu_set_singleshot_timer){ .timeout_abs_ns = 1, .flags = VCPU_SSHOTTMR_future };
    rc = HYPERVISOR_vcpu_op(VCPUOP_set_singleshot_timer, 0, &st);
    ok &= GT_CHECK(rc == -ETIME, "a past deadline with VCPU_SSHOTTMR_future gave %d", rc);
    /* Another vCPU's one-shot timer is not ours to set. */
    rc = HYPERVISOR_vcpu_op(VCPUOP_set_singleshot_timer, 1, &st);
    ok &= GT_CHECK(rc == -EINVAL || rc == -ENOENT, "another vCPU's timer gave %d", rc);

    /* The periodic timer: tick k no earlier than k periods after it was set. */
    t0 = gk_monotonic_ns();
    ok &= GT_CHECK(HYPERVISOR_vcpu_op(VCPUOP_set_periodic_timer, 0, &pt) == 0, "periodic");
    for (unsigned int k = 1; k <= 5; k++) {
        rc = gk_poll(&p, 1, 2000 * MS);
        ok &= GT_CHECK(rc == (int)p, "periodic tick %u: poll gave %d", k, rc);
        ok &= on_time(t0 + k * pt.period_ns, gk_monotonic_ns(), "hypervisor periodic tick");
        gk_evtchn_clear(p);
    }
    ok &= GT_CHECK(HYPERVISOR_vcpu_op(VCPUOP_stop_periodic_timer, 0, NULL) == 0, "stop");
    pt.period_ns = 1000;
    rc = HYPERVISOR_vcpu_op(VCPUOP_set_periodic_timer, 0, &pt);
    ok &= GT_CHECK(rc == -EINVAL, "a 1 us period gave %d", rc);
    gk_evtchn_clear(p);
    rc = gk_poll(&p, 1, 20 * MS);
    ok &= GT_CHECK(rc == -ETIMEDOUT, "the stopped periodic timer still ticks (%d)", rc);

    ok &= GT_CHECK(gk_evtchn_close(p) == 0, "close");
    if (ok)
        printf("PASS SCHEDOP_poll on a port and on timeout, hypervisor one-shot and periodic\n");
}

static volatile unsigned int nmis;

static bool on_nmi(struct gk_trap_frame *f)
{
    (void)f;
    nmis++;
    return true;
}

/* Not a timer, but the same vCPU machinery: VCPUOP_send_nmi to ourselves. */
static void test_nmi(void)
{
    uint64_t deadline;
    int rc;

    gk_trap_set_handler(GK_TRAP_NMI, on_nmi);
    rc = HYPERVISOR_vcpu_op(VCPUOP_send_nmi, 0, NULL);
    deadline = gk_monotonic_ns() + 1000 * MS;
    while (!nmis && gk_monotonic_ns() < deadline)
        gk_cpu_relax();
    if (GT_CHECK(rc == 0 && nmis == 1, "VCPUOP_send_nmi gave %d, %u NMIs arrived", rc, nmis))
        printf("PASS VCPUOP_send_nmi\n");
    gk_trap_set_handler(GK_TRAP_NMI, NULL);
}

int main(int argc, char **argv)
{
    uint64_t upcalls;

    (void)argc;
    (void)argv;
    test_poll_and_hypervisor_timers();
    upcalls = gk_evtchn_upcalls();
    test_sleep();
    /* Sleeping blocked (SCHEDOP_block) and was woken by the timer's event. */
    GT_CHECK(gk_evtchn_upcalls() > upcalls, "sleeping took no event upcall");
    test_oneshot();
    test_periodic();
    test_nmi();
    gt_stats_print("timers", "lateness", &late);
    return gt_finish("timers");
}
