/* sched.c: SCHEDOP_* — yielding, blocking and shutting down. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <sched.h>

#include <xen/sched.h>

#include "guest_mem.h"
#include "hv.h"

/* Caller holds d->lock. */
static bool block_over(struct vcpu *v)
{
    const struct domain *d = v->d;

    return d->dying || d->shutdown ||
           (v->vcpu_info && __atomic_load_n(&v->vcpu_info->evtchn_upcall_pending,
                                             __ATOMIC_ACQUIRE));
}

void vcpu_block(struct vcpu *v)
{
    struct domain *d = v->d;

    pthread_mutex_lock(&d->lock);
    /* Blocking re-enables event delivery, as on Xen. */
    if (v->vcpu_info)
        __atomic_store_n(&v->vcpu_info->evtchn_upcall_mask, 0, __ATOMIC_RELEASE);
    while (!block_over(v)) {
        v->blocked = true;
        pthread_cond_broadcast(&d->state_cond);
        pthread_cond_wait(&v->wake, &d->lock);
    }
    v->blocked = false;
    pthread_mutex_unlock(&d->lock);
    vcpu_update_time(v);
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
