/* timer.c: per-vCPU timer lists on the one-shot hypervisor timer (VIRQ_TIMER), and sleeping. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>

#include <xen/vcpu.h>

#include <guest-kit/guest-kit.h>

#include "../internal.h"

/*
 * Everything here runs on the vCPU that owns the list, with interrupts
 * disabled: the timer handler runs there too, so no lock is needed.
 */

/* Give the hypervisor the earliest deadline, if it does not have it already. */
static void program(struct gk_cpu *cpu)
{
    uint64_t want = cpu->timers ? cpu->timers->deadline : 0;

    if (want == cpu->timer_programmed)
        return;
    if (want) {
        /* A deadline already past fires at once (no VCPU_SSHOTTMR_future). */
        struct vcpu_set_singleshot_timer t = { .timeout_abs_ns = want, .flags = 0 };

        if (HYPERVISOR_vcpu_op(VCPUOP_set_singleshot_timer, cpu->id, &t) < 0)
            gk_panic("vCPU %u: the hypervisor refused a one-shot timer", cpu->id);
    } else {
        HYPERVISOR_vcpu_op(VCPUOP_stop_singleshot_timer, cpu->id, NULL);
    }
    cpu->timer_programmed = want;
}

static void insert(struct gk_cpu *cpu, struct gk_timer *t)
{
    struct gk_timer **link = &cpu->timers;

    while (*link && (*link)->deadline <= t->deadline)
        link = &(*link)->next;
    t->next = *link;
    *link = t;
    t->cpu = cpu;
}

static void unlink(struct gk_timer *t)
{
    for (struct gk_timer **link = &t->cpu->timers; *link; link = &(*link)->next) {
        if (*link == t) {
            *link = t->next;
            break;
        }
    }
    t->next = NULL;
    t->cpu = NULL;
}

/* VIRQ_TIMER: the hypervisor's one-shot has fired (or an old one did). */
static void timer_virq(evtchn_port_t port, void *arg)
{
    struct gk_cpu *cpu = gk_this_cpu();
    uint64_t now = gk_monotonic_ns();

    (void)port;
    (void)arg;
    cpu->timer_programmed = 0;
    while (cpu->timers && cpu->timers->deadline <= now) {
        struct gk_timer *t = cpu->timers;

        unlink(t);
        if (t->period) {
            t->deadline += t->period;
            if (t->deadline <= now)
                t->deadline = now + t->period;
            insert(cpu, t);
        }
        t->fn(t, t->arg);
    }
    program(cpu);
}

void gk_timer_init(struct gk_timer *t, gk_timer_fn *fn, void *arg)
{
    *t = (struct gk_timer){ .fn = fn, .arg = arg };
}

bool gk_timer_armed(const struct gk_timer *t)
{
    return __atomic_load_n(&t->cpu, __ATOMIC_ACQUIRE) != NULL;
}

int gk_timer_start(struct gk_timer *t, uint64_t deadline, uint64_t period_ns)
{
    unsigned long flags = gk_irq_save();
    struct gk_cpu *cpu = gk_this_cpu();
    int rc = 0;

    if (t->cpu && t->cpu != cpu) {
        rc = -EINVAL;
        goto out;
    }
    if (!cpu->timer_port) {
        rc = gk_evtchn_bind_virq(VIRQ_TIMER, cpu->id, timer_virq, NULL);
        if (rc < 0)
            goto out;
        cpu->timer_port = (evtchn_port_t)rc;
        rc = 0;
    }
    if (t->cpu)
        unlink(t);
    t->deadline = deadline ? deadline : 1;
    t->period = period_ns;
    insert(cpu, t);
    program(cpu);
out:
    gk_irq_restore(flags);
    return rc;
}

int gk_timer_stop(struct gk_timer *t)
{
    unsigned long flags = gk_irq_save();
    struct gk_cpu *cpu = gk_this_cpu();
    int rc = 0;

    if (t->cpu && t->cpu != cpu)
        rc = -EINVAL;
    else if (t->cpu) {
        unlink(t);
        program(cpu);
    }
    gk_irq_restore(flags);
    return rc;
}

static void wake(struct gk_timer *t, void *arg)
{
    (void)t;
    *(volatile bool *)arg = true;
}

void gk_sleep_until(uint64_t deadline)
{
    struct gk_timer t;
    volatile bool done = false;
    int rc;

    if (gk_monotonic_ns() >= deadline)
        return;
    gk_timer_init(&t, wake, (void *)&done);
    rc = gk_timer_start(&t, deadline, 0);
    if (rc < 0)
        gk_panic("gk_sleep_until: no timer (error %d)", rc);
    gk_wait_event(done);
}

void gk_sleep_ns(uint64_t ns)
{
    gk_sleep_until(gk_monotonic_ns() + ns);
}
