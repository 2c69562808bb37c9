/* sched.c: SCHEDOP_* and set_timer_op: yielding, blocking, polling, shutting down. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>

#include <xen/sched.h>

#include "guest_mem.h"
#include "hv.h"

#define POLL_MAX_PORTS  128     /* as on Xen */

static bool upcall_pending(struct vcpu *v)
{
    return v->vcpu_info &&
           __atomic_load_n(&v->vcpu_info->evtchn_upcall_pending, __ATOMIC_SEQ_CST);
}

/*
 * Sleep until `done` holds.  `blocked` is published before the condition is
 * checked and event delivery sets its bits before reading `blocked`, so one
 * of the two always sees the other: no wake-up is lost.  Caller holds d->lock.
 */
static void block_until(struct vcpu *v, bool (*done)(struct vcpu *v), uint64_t deadline_ns)
{
    struct domain *d = v->d;

    atomic_store(&v->blocked, true);
    pthread_cond_broadcast(&d->state_cond);
    while (!d->dying && !d->shutdown && !done(v)) {
        if (deadline_ns) {
            struct timespec ts = { (time_t)(deadline_ns / 1000000000ull),
                                   (long)(deadline_ns % 1000000000ull) };

            if (pthread_cond_timedwait(&v->wake, &d->lock, &ts) == ETIMEDOUT)
                break;
        } else {
            pthread_cond_wait(&v->wake, &d->lock);
        }
    }
    atomic_store(&v->blocked, false);
}

void vcpu_block(struct vcpu *v)
{
    struct domain *d = v->d;

    pthread_mutex_lock(&d->lock);
    /* Blocking re-enables event delivery, as on Xen. */
    if (v->vcpu_info)
        __atomic_store_n(&v->vcpu_info->evtchn_upcall_mask, 0, __ATOMIC_SEQ_CST);
    block_until(v, upcall_pending, 0);
    pthread_mutex_unlock(&d->lock);
    vcpu_update_time(v);
}

static bool poll_done(struct vcpu *v)
{
    return evtchn_check_pending(v->d, v->poll_ports, v->poll_nr);
}

static long sched_poll(struct vcpu *v, uint64_t arg)
{
    struct domain *d = v->d;
    struct sched_poll op;
    uint32_t ports[POLL_MAX_PORTS];
    uint64_t deadline = 0;
    int rc = copy_from_guest(v, &op, arg, sizeof(op));

    if (rc < 0)
        return rc;
    if (op.nr_ports > POLL_MAX_PORTS)
        return -EINVAL;
    rc = copy_from_guest(v, ports, (uint64_t)(uintptr_t)op.ports.p,
                         op.nr_ports * sizeof(ports[0]));
    if (rc < 0)
        return rc;
    for (unsigned int i = 0; i < op.nr_ports; i++)
        if (ports[i] >= d->evtchn.max_ports)
            return -EINVAL;
    if (op.timeout)
        deadline = domain_time_to_host(d, op.timeout);

    pthread_mutex_lock(&d->lock);
    v->poll_ports = ports;
    v->poll_nr = op.nr_ports;
    atomic_fetch_add(&d->pollers, 1);
    if (op.nr_ports)
        block_until(v, poll_done, deadline);
    else if (deadline)
        block_until(v, upcall_pending, deadline);
    atomic_fetch_sub(&d->pollers, 1);
    v->poll_nr = 0;
    v->poll_ports = NULL;
    pthread_mutex_unlock(&d->lock);
    return 0;
}

long do_sched_op(struct vcpu *v, const uint64_t a[6])
{
    uint64_t cmd = a[0], arg = a[1];

    switch (cmd) {
    case SCHEDOP_yield:
        sched_yield();
        return 0;
    case SCHEDOP_block:
        vcpu_block(v);
        return 0;
    case SCHEDOP_poll:
        return sched_poll(v, arg);
    case SCHEDOP_shutdown: {
        struct sched_shutdown s;
        int rc = copy_from_guest(v, &s, arg, sizeof(s));

        if (rc < 0)
            return rc;
        if (s.reason > SHUTDOWN_MAX)
            return -EINVAL;
        domain_shutdown(v->d, s.reason);
        return 0;
    }
    case SCHEDOP_shutdown_code: {
        struct sched_shutdown s;
        int rc = copy_from_guest(v, &s, arg, sizeof(s));

        if (rc < 0)
            return rc;
        if (s.reason > SHUTDOWN_MAX)
            return -EINVAL;
        v->d->shutdown_code = s.reason;
        return 0;
    }
    case SCHEDOP_remote_shutdown:
    case SCHEDOP_pin_override:
        return v->d->is_privileged ? -ENOSYS : -EPERM;
    default:
        return -ENOSYS;
    }
}

/* set_timer_op: the calling vCPU's one-shot timer, at a system time (0: stop). */
long do_set_timer_op(struct vcpu *v, const uint64_t a[6])
{
    return vcpu_set_singleshot(v, a[0]);
}
