/* vcpu_op.c: VCPUOP_* — per-vCPU registration and state. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include <xen/vcpu.h>

#include "guest_mem.h"
#include "hv.h"

static long register_vcpu_info(struct vcpu *v, struct vcpu *target, uint64_t arg)
{
    struct domain *d = v->d;
    struct vcpu_register_vcpu_info r;
    struct vcpu_info *vi;
    int rc = copy_from_guest(v, &r, arg, sizeof(r));

    if (rc < 0)
        return rc;
    if (r.rsvd != 0 || r.offset > HV_PAGE_SIZE - sizeof(struct vcpu_info) ||
        r.mfn >= (1ull << (52 - HV_PAGE_SHIFT)))
        return -EINVAL;
    vi = gpa_ptr(d, (r.mfn << HV_PAGE_SHIFT) + r.offset, sizeof(*vi));
    if (!vi)
        return -EINVAL;
    pthread_mutex_lock(&d->lock);
    /* As on Xen, a vCPU's vcpu_info moves once, carrying its state along. */
    if (target->vcpu_info && target->vcpu_info !=
        &d->shared_info->vcpu_info[target->id < XEN_LEGACY_MAX_VCPUS ? target->id : 0]) {
        pthread_mutex_unlock(&d->lock);
        return -EINVAL;
    }
    if (target->vcpu_info)
        memcpy(vi, target->vcpu_info, sizeof(*vi));
    else
        memset(vi, 0, sizeof(*vi));
    target->vcpu_info = vi;
    pthread_mutex_unlock(&d->lock);
    vcpu_update_time(target);
    return 0;
}

long do_vcpu_op(struct vcpu *v, const uint64_t a[6])
{
    struct domain *d = v->d;
    uint64_t cmd = a[0], vcpuid = a[1], arg = a[2];
    struct vcpu *target;

    if (vcpuid >= d->max_vcpus)
        return -ENOENT;
    target = d->vcpus[vcpuid];
    switch (cmd) {
    case VCPUOP_register_vcpu_info:
        return register_vcpu_info(v, target, arg);
    case VCPUOP_is_up: {
        long up;

        pthread_mutex_lock(&d->lock);
        up = target->state != VCPU_DOWN;
        pthread_mutex_unlock(&d->lock);
        return up;
    }
    default:
        return -ENOSYS;
    }
}
