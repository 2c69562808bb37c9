/* time.c: system time, vcpu_time_info and the wallclock in shared_info. */
/* SPDX-License-Identifier: MIT */
#include <time.h>

#include "hv.h"

uint64_t hv_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* A domain's system time counts nanoseconds since the domain was created. */
uint64_t domain_system_time(struct domain *d)
{
    uint64_t created = (uint64_t)d->created.tv_sec * 1000000000ull + (uint64_t)d->created.tv_nsec;

    return hv_now_ns() - created;
}

/*
 * Express "nanoseconds per TSC tick" as Xen's (mul, shift) pair:
 *   ns = ((ticks << shift) * mul) >> 32   (shift may be negative)
 * Scale the frequency into (1e9, 2e9] by powers of two, then mul is the
 * 32-bit fraction 1e9 / scaled_freq.
 */
static void time_scale(uint64_t ticks_per_sec, uint32_t *mul, int8_t *shift)
{
    const uint64_t one_sec_ns = 1000000000ull;
    uint64_t tps = ticks_per_sec ? ticks_per_sec : one_sec_ns;
    int s = 0;

    while (tps > 2 * one_sec_ns) {
        tps >>= 1;
        s--;
    }
    while (tps <= one_sec_ns) {
        tps <<= 1;
        s++;
    }
    *mul = (uint32_t)((one_sec_ns << 32) / tps);
    *shift = (int8_t)s;
}

static inline uint64_t host_rdtsc(void)
{
    uint32_t lo, hi;

    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

void vcpu_update_time(struct vcpu *v)
{
    struct vcpu_info *vi = v->vcpu_info;
    struct vcpu_time_info *t;
    uint32_t mul;
    int8_t shift;
    uint64_t tsc, now;

    if (!vi)
        return;
    t = &vi->time;
    time_scale((uint64_t)arch_tsc_khz(v->d) * 1000ull, &mul, &shift);
    tsc = host_rdtsc() + arch_vcpu_tsc_offset(v);
    now = domain_system_time(v->d);

    /* Odd version: the guest retries while the record is being written. */
    __atomic_store_n(&t->version, t->version | 1, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_RELEASE);
    t->tsc_timestamp = tsc;
    t->system_time = now;
    t->tsc_to_system_mul = mul;
    t->tsc_shift = shift;
    t->flags = XEN_PVCLOCK_TSC_STABLE_BIT;
    __atomic_thread_fence(__ATOMIC_RELEASE);
    __atomic_store_n(&t->version, t->version + 1, __ATOMIC_RELAXED);
}

void domain_update_wallclock(struct domain *d)
{
    struct shared_info *s = d->shared_info;
    uint64_t sec = (uint64_t)d->created_wall.tv_sec;

    __atomic_store_n(&s->wc_version, s->wc_version | 1, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_RELEASE);
    s->wc_sec = (uint32_t)sec;
    s->wc_sec_hi = (uint32_t)(sec >> 32);
    s->wc_nsec = (uint32_t)d->created_wall.tv_nsec;
    __atomic_thread_fence(__ATOMIC_RELEASE);
    __atomic_store_n(&s->wc_version, s->wc_version + 1, __ATOMIC_RELAXED);
}

uint64_t domain_time_to_host(struct domain *d, uint64_t system_time)
{
    uint64_t created = (uint64_t)d->created.tv_sec * 1000000000ull + (uint64_t)d->created.tv_nsec;
    uint64_t t = created + system_time;

    /* Far-future times saturate; a time of 0 would disarm a timerfd. */
    if (t < created)
        t = UINT64_MAX / 2;
    return t ? t : 1;
}

static void singleshot_expired(void *arg)
{
    struct vcpu *v = arg;

    evtchn_send_virq(v, VIRQ_TIMER);
}

static void periodic_expired(void *arg)
{
    struct vcpu *v = arg;

    evtchn_send_virq(v, VIRQ_TIMER);
}

static void upcall_watch_expired(void *arg)
{
    evtchn_upcall_watch(arg);
}

int vcpu_timers_init(struct vcpu *v)
{
    int rc = timer_init(&v->singleshot, singleshot_expired, v);

    if (!rc)
        rc = timer_init(&v->periodic, periodic_expired, v);
    if (!rc)
        rc = timer_init(&v->upcall_watch, upcall_watch_expired, v);
    return rc;
}

void vcpu_timers_fini(struct vcpu *v)
{
    timer_fini(&v->singleshot);
    timer_fini(&v->periodic);
    timer_fini(&v->upcall_watch);
}

int vcpu_set_singleshot(struct vcpu *v, uint64_t t)
{
    return timer_set(&v->singleshot, t ? domain_time_to_host(v->d, t) : 0, 0);
}
