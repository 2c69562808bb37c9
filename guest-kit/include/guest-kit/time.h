/* time.h: time from Xen's vcpu_time_info, the wallclock in shared_info, timers and sleeping. */
/* SPDX-License-Identifier: MIT */
#ifndef GUEST_KIT_TIME_H
#define GUEST_KIT_TIME_H

#include <stdbool.h>
#include <stdint.h>

#define GK_NSEC_PER_SEC 1000000000ull

/* Nanoseconds since the domain was created; never goes backwards. */
uint64_t gk_monotonic_ns(void);

/* Nanoseconds since 1970-01-01 00:00 UTC. */
uint64_t gk_wallclock(void);

/*
 * Timers run a callback once their deadline (gk_monotonic_ns() time) has
 * passed, never before: on the vCPU that started them, in interrupt
 * context (see events.h). Each vCPU keeps its timers in one list and
 * gives the hypervisor the earliest deadline (VCPUOP_set_singleshot_timer,
 * delivered as VIRQ_TIMER).
 */
struct gk_timer;
typedef void gk_timer_fn(struct gk_timer *timer, void *arg);

struct gk_timer {
    uint64_t deadline;
    uint64_t period;            /* 0: one-shot */
    gk_timer_fn *fn;
    void *arg;
    struct gk_timer *next;
    struct gk_cpu *cpu;         /* where it is armed, NULL when not */
};

void gk_timer_init(struct gk_timer *timer, gk_timer_fn *fn, void *arg);

/*
 * Arms the timer on the calling vCPU for `deadline` and, if period_ns is
 * not 0, every period_ns after it (a late period is not made up for:
 * the next deadline is one period after the late one ran). Re-arming an
 * armed timer moves it. Returns 0, or -EINVAL if it is armed on another
 * vCPU, or a negative errno from binding VIRQ_TIMER.
 */
int gk_timer_start(struct gk_timer *timer, uint64_t deadline, uint64_t period_ns);

/* Disarms it; -EINVAL if it is armed on another vCPU. Disarming a disarmed timer is 0. */
int gk_timer_stop(struct gk_timer *timer);

bool gk_timer_armed(const struct gk_timer *timer);

/* Sleeps (blocked, events still handled) until gk_monotonic_ns() >= deadline. */
void gk_sleep_until(uint64_t deadline);
void gk_sleep_ns(uint64_t ns);

#endif /* GUEST_KIT_TIME_H */
