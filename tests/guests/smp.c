/* smp.c: test guest for several vCPUs: bring-up, per-CPU data, IPIs both ways, blocking. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <guest-kit/guest-kit.h>

#include "gtest.h"

/* Run with vcpus=2 (or more: the IPI tests use vCPUs 0 and 1). Argument: rounds=N. */

#define MS 1000000ul

const char gk_program_name[] = "smp";

static evtchn_port_t to_cpu[2];         /* an IPI port bound to each of vCPUs 0 and 1 */
static volatile uint32_t got[2];        /* IPIs each vCPU's handler took */
static volatile uint32_t wrong_cpu;     /* handlers that ran on the wrong vCPU */
static volatile bool echo[2];           /* vCPU n's handler answers on the other's port */
static unsigned long rounds;

static void ipi(evtchn_port_t port, void *arg)
{
    unsigned int me = (unsigned int)(uintptr_t)arg;

    (void)port;
    if (gk_vcpu_id() != me || gk_this_cpu()->id != me)
        wrong_cpu++;
    got[me]++;
    if (echo[me])
        gk_evtchn_send(to_cpu[!me]);
}

/*
 * `me` sends to the other vCPU, which answers: `rounds` round trips,
 * timed in blocks (reading the clock costs about an exit here).
 */
#define RTT_BLOCK 20

static void ping_from(unsigned int me, struct gt_stats *rtt)
{
    uint64_t t0 = gk_monotonic_ns();

    echo[!me] = true;
    for (unsigned long i = 0; i < rounds; i++) {
        uint32_t before = got[me];

        gk_evtchn_send(to_cpu[!me]);
        gk_wait_event(got[me] != before);
        if ((i + 1) % RTT_BLOCK == 0) {
            uint64_t t1 = gk_monotonic_ns();

            gt_stats_add(rtt, (t1 - t0) / RTT_BLOCK);
            t0 = t1;
        }
    }
    echo[!me] = false;
}

static struct gt_stats rtt1;
static uint32_t seen_id;
static void *seen_cpu;

static void on_cpu1_ping(void *arg)
{
    (void)arg;
    ping_from(1, &rtt1);
}

static void whoami(void *arg)
{
    (void)arg;
    seen_id = gk_vcpu_id();
    seen_cpu = gk_this_cpu();
}

static void test_bringup(void)
{
    int n = gk_smp_init();
    bool ok = true;

    if (!GT_CHECK(n >= 2, "gk_smp_init gave %d vCPUs: run this guest with vcpus=2", n))
        gk_panic("cannot go on without a second vCPU");
    ok &= GT_CHECK(gk_smp_cpus() == (unsigned int)n, "gk_smp_cpus");
    ok &= GT_CHECK(gk_smp_init() == n, "a second gk_smp_init");
    ok &= GT_CHECK(gk_vcpu_id() == 0 && gk_cpu(0) == gk_this_cpu(), "vCPU 0's record");
    ok &= GT_CHECK(gk_smp_call(1, whoami, NULL) == 0, "gk_smp_call");
    gk_smp_wait(1);
    ok &= GT_CHECK(seen_id == 1 && seen_cpu == gk_cpu(1) && seen_cpu != gk_this_cpu(),
                   "vCPU 1 saw id %u", seen_id);
    ok &= GT_CHECK(gk_smp_call(0, whoami, NULL) == -EINVAL, "calling ourselves");
    ok &= GT_CHECK(gk_cpu(GK_MAX_CPUS) == NULL && gk_cpu((unsigned int)n) == NULL, "gk_cpu");
    if (ok)
        printf("PASS %d vCPUs up, per-CPU data\n", n);
}

static void test_ipis(void)
{
    struct gt_stats rtt0 = { 0 };
    bool ok = true;

    for (unsigned int c = 0; c < 2; c++) {
        int port = gk_evtchn_bind_ipi(c, ipi, (void *)(uintptr_t)c);

        if (!GT_CHECK(port > 0, "bind_ipi(%u): %d", c, port))
            return;
        to_cpu[c] = (evtchn_port_t)port;
    }
    ping_from(0, &rtt0);
    ok &= GT_CHECK(got[0] == rounds && got[1] == rounds, "vCPU 0 pinging: %u and %u IPIs",
                   got[0], got[1]);
    ok &= GT_CHECK(gk_smp_call(1, on_cpu1_ping, NULL) == 0, "start vCPU 1's pings");
    gk_smp_wait(1);
    ok &= GT_CHECK(got[0] == 2 * rounds && got[1] == 2 * rounds, "vCPU 1 pinging: %u and %u",
                   got[0], got[1]);
    ok &= GT_CHECK(wrong_cpu == 0, "%u handlers ran on the wrong vCPU", wrong_cpu);
    gt_stats_print("smp", "ipi-rtt-from-0", &rtt0);
    gt_stats_print("smp", "ipi-rtt-from-1", &rtt1);
    if (ok)
        printf("PASS %lu IPI round trips each way\n", rounds);
}

/* vCPU 0 blocks (SCHEDOP_block) until vCPU 1, after a sleep of its own, sends. */
static void late_send(void *arg)
{
    (void)arg;
    gk_sleep_ns(20 * MS);
    gk_evtchn_send(to_cpu[0]);
}

static void test_block_wakes_on_event(void)
{
    uint32_t before = got[0];
    uint64_t t0 = gk_monotonic_ns(), waited;

    GT_CHECK(gk_smp_call(1, late_send, NULL) == 0, "start");
    gk_wait_event(got[0] != before);
    waited = gk_monotonic_ns() - t0;
    gk_smp_wait(1);
    if (GT_CHECK(waited >= 20 * MS, "woke after %lu ns, before the event was sent", waited))
        printf("PASS SCHEDOP_block wakes on another vCPU's event\n");
}

/* A loopback channel whose delivery moves to vCPU 1 (EVTCHNOP_bind_vcpu). */
static volatile uint32_t loop_on[2];

static void loop_handler(evtchn_port_t port, void *arg)
{
    (void)port;
    (void)arg;
    loop_on[gk_vcpu_id() ? 1 : 0]++;
}

static void test_bind_vcpu(void)
{
    int a = gk_evtchn_alloc_unbound(gk_domid(), loop_handler, NULL);
    int b = a > 0 ? gk_evtchn_bind_interdomain(DOMID_SELF, (evtchn_port_t)a, NULL, NULL) : a;
    /* The same once more naming ourselves by id, not DOMID_SELF. */
    int c = gk_evtchn_alloc_unbound(DOMID_SELF, NULL, NULL);
    int d = c > 0 ? gk_evtchn_bind_interdomain(gk_domid(), (evtchn_port_t)c, NULL, NULL) : c;
    bool ok = true;

    if (!GT_CHECK(a > 0 && b > 0 && c > 0 && d > 0, "loopback channels: %d %d %d %d", a, b, c, d))
        return;
    ok &= GT_CHECK(gk_evtchn_close((evtchn_port_t)c) == 0 && gk_evtchn_close((evtchn_port_t)d) == 0,
                   "close");
    gk_evtchn_send((evtchn_port_t)b);
    gk_wait_event(loop_on[0] == 1);
    ok &= GT_CHECK(gk_evtchn_bind_vcpu((evtchn_port_t)a, 1) == 0, "bind_vcpu");
    gk_evtchn_send((evtchn_port_t)b);
    gk_sleep_ns(20 * MS);
    ok &= GT_CHECK(loop_on[1] == 1 && loop_on[0] == 1, "after bind_vcpu: %u on 0, %u on 1",
                   loop_on[0], loop_on[1]);
    ok &= GT_CHECK(gk_evtchn_bind_vcpu(to_cpu[0], 1) == -EINVAL, "an IPI port cannot move");
    ok &= GT_CHECK(gk_evtchn_close((evtchn_port_t)a) == 0 && gk_evtchn_close((evtchn_port_t)b) == 0,
                   "close");
    if (ok)
        printf("PASS loopback channel delivered on the vCPU it is bound to\n");
}

/* Both vCPUs allocate, free and print at once: the heap and console locks hold. */
static volatile bool stir_ok;

static void stir(void)
{
    void *keep[16] = { 0 };

    for (unsigned int i = 0; i < 400; i++) {
        unsigned int slot = i % 16;
        size_t size = 16 + (i * 37) % 700;

        free(keep[slot]);
        keep[slot] = malloc(size);
        if (!keep[slot])
            return;
        memset(keep[slot], (int)slot, size);
        if (i % 100 == 0)
            printf("smp: vCPU %u stirring the heap, round %u\n", gk_vcpu_id(), i);
    }
    for (unsigned int i = 0; i < 16; i++)
        free(keep[i]);
}

static void stir_on_1(void *arg)
{
    (void)arg;
    stir();
    stir_ok = true;
}

static void test_concurrency(void)
{
    GT_CHECK(gk_smp_call(1, stir_on_1, NULL) == 0, "start");
    stir();
    gk_smp_wait(1);
    if (GT_CHECK(stir_ok, "vCPU 1 ran out of memory"))
        printf("PASS concurrent malloc and printf\n");
}

int main(int argc, char **argv)
{
    rounds = gt_arg_num(argc, argv, "rounds", 500);
    test_bringup();
    test_ipis();
    test_block_wakes_on_event();
    test_bind_vcpu();
    test_concurrency();
    return gt_finish("smp");
}
