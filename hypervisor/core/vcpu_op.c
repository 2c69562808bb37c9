/* vcpu_op.c: VCPUOP_* — bringing vCPUs up and down, timers, registrations. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include <xen/hvm/hvm_vcpu.h>
#include <xen/vcpu.h>

#include "guest_mem.h"
#include "hv.h"

#define MIN_PERIOD_NS   1000000ull      /* Xen refuses periodic timers under 1 ms */

static long register_vcpu_info(struct vcpu *v, struct vcpu *target, uint64_t arg)
{
    struct domain *d = v->d;
    struct vcpu_register_vcpu_info r;
    struct vcpu_info *vi, *legacy;
    int rc = copy_from_guest(v, &r, arg, sizeof(r));

    if (rc < 0)
        return rc;
    /* Misaligned, its atomics would split cache lines (and be undefined behaviour here). */
    if (r.rsvd != 0 || r.offset > HV_PAGE_SIZE - sizeof(struct vcpu_info) ||
        (r.offset & (_Alignof(struct vcpu_info) - 1)) || r.mfn >= (1ull << (52 - HV_PAGE_SHIFT)))
        return -EINVAL;
    vi = gpa_ptr(d, (r.mfn << HV_PAGE_SHIFT) + r.offset, sizeof(*vi));
    if (!vi)
        return -EINVAL;
    legacy = target->id < XEN_LEGACY_MAX_VCPUS ? &d->shared_info->vcpu_info[target->id] : NULL;
    pthread_mutex_lock(&d->lock);
    /* As on Xen, a vCPU's vcpu_info moves once, carrying its state along. */
    if (target->vcpu_info && target->vcpu_info != legacy) {
        pthread_mutex_unlock(&d->lock);
        return -EINVAL;
    }
    if (target->vcpu_info)
        memcpy(vi, target->vcpu_info, sizeof(*vi));
    else
        memset(vi, 0, sizeof(*vi));
    __atomic_store_n(&target->vcpu_info, vi, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&d->lock);
    vcpu_update_time(target);
    return 0;
}

static void runstate_fill(struct vcpu *target, struct vcpu_runstate_info *rs)
{
    uint64_t now = domain_system_time(target->d);

    memset(rs, 0, sizeof(*rs));
    rs->state = target->state == VCPU_DOWN ? RUNSTATE_offline : RUNSTATE_running;
    rs->state_entry_time = now;
    rs->time[rs->state] = now;
}

static long register_runstate(struct vcpu *v, struct vcpu *target, uint64_t arg)
{
    struct vcpu_register_runstate_memory_area r;
    struct vcpu_runstate_info rs;
    int rc = copy_from_guest(v, &r, arg, sizeof(r));

    if (rc < 0)
        return rc;
    if (v != target)
        return -EINVAL;
    runstate_fill(target, &rs);
    /* Steal time is never reported: the runnable and offline times stay 0. */
    return copy_to_guest(v, r.addr.p, &rs, sizeof(rs));
}

static bool canonical(uint64_t a)
{
    return (uint64_t)((int64_t)(a << 16) >> 16) == a;
}

/* Check a start state the way Xen does before accepting it. */
static int check_hvm_context(const struct vcpu_hvm_context *ctx)
{
    if (ctx->mode == VCPU_HVM_MODE_64B) {
        const struct vcpu_hvm_x86_64 *r = &ctx->cpu_regs.x86_64;

        if (!(r->cr0 & 1) || !(r->cr0 & (1u << 31)) || !(r->cr4 & (1u << 5)) ||
            (r->efer & 0x500) != 0x500 || !canonical(r->rip) || !canonical(r->rsp) ||
            r->cr3 >> 52)
            return -EINVAL;
        return 0;
    }
    if (ctx->mode == VCPU_HVM_MODE_32B) {
        const struct vcpu_hvm_x86_32 *r = &ctx->cpu_regs.x86_32;

        if (!(r->cr0 & 1) || (r->efer & 0x400))
            return -EINVAL;
        return 0;
    }
    return -EINVAL;
}

static long vcpu_initialise(struct vcpu *v, struct vcpu *target, uint64_t arg)
{
    struct domain *d = v->d;
    struct vcpu_hvm_context ctx;
    int rc = copy_from_guest(v, &ctx, arg, sizeof(ctx));

    if (rc < 0)
        return rc;
    if ((rc = check_hvm_context(&ctx)) < 0)
        return rc;
    pthread_mutex_lock(&d->lock);
    if (target->initialised || target->state != VCPU_DOWN) {
        pthread_mutex_unlock(&d->lock);
        return -EEXIST;
    }
    /* Out of KVM (where it waits for a SIPI) and parked: its registers are ours to set. */
    target->hold = true;
    if (target != v)
        vcpu_kick(target);
    while (target->thread_started && !target->parked && !d->dying)
        pthread_cond_wait(&d->state_cond, &d->lock);
    rc = arch_vcpu_set_hvm_context(target, &ctx);
    if (!rc)
        target->initialised = true;
    pthread_mutex_unlock(&d->lock);
    return rc;
}

static long vcpu_up(struct vcpu *v, struct vcpu *target)
{
    struct domain *d = v->d;
    int rc = 0;

    pthread_mutex_lock(&d->lock);
    if (!target->initialised)
        rc = -EINVAL;
    else if (target->state == VCPU_DOWN) {
        target->state = VCPU_RUNNABLE;
        target->hold = false;
        pthread_cond_broadcast(&target->wake);
    }
    pthread_mutex_unlock(&d->lock);
    if (!rc)
        vcpu_update_time(target);
    return rc;
}

static long vcpu_down(struct vcpu *v, struct vcpu *target)
{
    struct domain *d = v->d;

    pthread_mutex_lock(&d->lock);
    target->state = VCPU_DOWN;
    target->hold = true;            /* parked, its state kept for VCPUOP_up */
    if (target != v)
        vcpu_kick(target);
    pthread_mutex_unlock(&d->lock);
    return 0;
}

long do_vcpu_op(struct vcpu *v, const uint64_t a[6])
{
    struct domain *d = v->d;
    uint64_t cmd = a[0], vcpuid = a[1], arg = a[2];
    struct vcpu *target;
    int rc;

    if (vcpuid >= d->max_vcpus)
        return -ENOENT;
    target = d->vcpus[vcpuid];
    switch (cmd) {
    case VCPUOP_initialise:
        return vcpu_initialise(v, target, arg);
    case VCPUOP_up:
        return vcpu_up(v, target);
    case VCPUOP_down:
        return vcpu_down(v, target);
    case VCPUOP_is_up: {
        long up;

        pthread_mutex_lock(&d->lock);
        up = target->state != VCPU_DOWN;
        pthread_mutex_unlock(&d->lock);
        return up;
    }
    case VCPUOP_register_vcpu_info:
        return register_vcpu_info(v, target, arg);
    case VCPUOP_register_runstate_memory_area:
        return register_runstate(v, target, arg);
    case VCPUOP_get_runstate_info: {
        struct vcpu_runstate_info rs;

        runstate_fill(target, &rs);
        return copy_to_guest(v, arg, &rs, sizeof(rs));
    }
    case VCPUOP_set_singleshot_timer: {
        struct vcpu_set_singleshot_timer t;

        if (target != v)
            return -EINVAL;
        if ((rc = copy_from_guest(v, &t, arg, sizeof(t))) < 0)
            return rc;
        if (t.flags & ~VCPU_SSHOTTMR_future)
            return -EINVAL;
        if ((t.flags & VCPU_SSHOTTMR_future) && t.timeout_abs_ns < domain_system_time(d))
            return -ETIME;
        return vcpu_set_singleshot(v, t.timeout_abs_ns ? t.timeout_abs_ns : 1);
    }
    case VCPUOP_stop_singleshot_timer:
        if (target != v)
            return -EINVAL;
        return vcpu_set_singleshot(v, 0);
    case VCPUOP_set_periodic_timer: {
        struct vcpu_set_periodic_timer t;

        if ((rc = copy_from_guest(v, &t, arg, sizeof(t))) < 0)
            return rc;
        if (t.period_ns < MIN_PERIOD_NS)
            return -EINVAL;
        target->periodic_ns = t.period_ns;
        return timer_set(&target->periodic, hv_now_ns() + t.period_ns, t.period_ns);
    }
    case VCPUOP_stop_periodic_timer:
        target->periodic_ns = 0;
        return timer_set(&target->periodic, 0, 0);
    case VCPUOP_send_nmi:
        return arch_vcpu_inject_nmi(target);
    case VCPUOP_get_physid:
        return -EINVAL;     /* there are no physical CPUs to name */
    default:
        return -ENOSYS;
    }
}

/*
 * vm_assist: for HVM-like guests Xen accepts only runstate_update_flag
 * (Linux enables it at boot). Runstate areas here are written whole while
 * the vCPU cannot be reading them, so the flag needs no work; it is
 * recorded for get-style queries to come.
 */
long do_vm_assist(struct vcpu *v, const uint64_t a[6])
{
    uint64_t cmd = a[0], type = a[1];

    if (type != VMASST_TYPE_runstate_update_flag)
        return -EINVAL;
    switch (cmd) {
    case VMASST_CMD_enable:
        __atomic_fetch_or(&v->d->vm_assist, 1u << type, __ATOMIC_RELAXED);
        return 0;
    case VMASST_CMD_disable:
        __atomic_fetch_and(&v->d->vm_assist, ~(1u << type), __ATOMIC_RELAXED);
        return 0;
    default:
        return -EINVAL;
    }
}
