/* hvm.c: HVMOP_* — HVM parameters, the event upcall vector, time. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>

#include <xen/hvm/hvm_op.h>
#include <xen/hvm/params.h>

#include "guest_mem.h"
#include "hv.h"

/* Parameters a guest may set on itself; the rest belong to the toolstack. */
static bool guest_may_set(uint32_t index)
{
    switch (index) {
    case HVM_PARAM_CALLBACK_IRQ:
    case HVM_PARAM_VM86_TSS:
    case HVM_PARAM_VM86_TSS_SIZED:
    case HVM_PARAM_ACPI_IOPORTS_LOCATION:
    case HVM_PARAM_VM_GENERATION_ID_ADDR:
    case HVM_PARAM_STORE_EVTCHN:
    case HVM_PARAM_CONSOLE_EVTCHN:
    case HVM_PARAM_X87_FIP_WIDTH:
        return true;
    default:
        return false;
    }
}

static bool guest_may_get(uint32_t index)
{
    switch (index) {
    case HVM_PARAM_IOREQ_PFN:
    case HVM_PARAM_BUFIOREQ_PFN:
    case HVM_PARAM_BUFIOREQ_EVTCHN:
        return false;
    default:
        return true;
    }
}

static int set_callback_irq(struct domain *d, uint64_t value)
{
    uint64_t type = (value & HVM_PARAM_CALLBACK_IRQ_TYPE_MASK) >> 56;
    uint8_t vector = 0;

    switch (value ? type : HVM_PARAM_CALLBACK_TYPE_VECTOR) {
    case HVM_PARAM_CALLBACK_TYPE_VECTOR:
        vector = (uint8_t)value;
        if (value && vector < 0x10)
            return -EINVAL;
        break;
    case HVM_PARAM_CALLBACK_TYPE_GSI:
    case HVM_PARAM_CALLBACK_TYPE_PCI_INTX:
        /*
         * There are no GSIs or PCI pins to raise. Accepted, as Xen does,
         * because guests using per-vCPU upcall vectors (Linux) still set
         * one "to look enlightened"; the per-vCPU vectors keep working.
         */
        return 0;
    default:
        return -EINVAL;
    }
    for (uint32_t i = 0; i < d->max_vcpus; i++)
        vcpu_set_upcall_vector(d->vcpus[i], vector);
    return 0;
}

static long hvmop_param(struct vcpu *v, uint64_t arg, bool set)
{
    struct domain *d = v->d;
    struct xen_hvm_param p;
    int rc = copy_from_guest(v, &p, arg, sizeof(p));

    if (rc < 0)
        return rc;
    if (p.domid != DOMID_SELF && p.domid != d->domid)
        return -EPERM;
    if (p.index >= HVM_NR_PARAMS)
        return -EINVAL;
    if (!set) {
        if (!guest_may_get(p.index))
            return -EPERM;
        pthread_mutex_lock(&d->lock);
        p.value = d->hvm_params[p.index];
        pthread_mutex_unlock(&d->lock);
        return copy_to_guest(v, arg, &p, sizeof(p));
    }
    if (!guest_may_set(p.index))
        return -EPERM;
    pthread_mutex_lock(&d->lock);
    rc = p.index == HVM_PARAM_CALLBACK_IRQ ? set_callback_irq(d, p.value) : 0;
    if (!rc)
        d->hvm_params[p.index] = p.value;
    pthread_mutex_unlock(&d->lock);
    return rc;
}

static long hvmop_set_evtchn_upcall_vector(struct vcpu *v, uint64_t arg)
{
    struct xen_hvm_evtchn_upcall_vector op;
    struct domain *d = v->d;
    int rc = copy_from_guest(v, &op, arg, sizeof(op));

    if (rc < 0)
        return rc;
    if (op.vector < 0x10)
        return -EINVAL;
    if (op.vcpu >= d->max_vcpus)
        return -ENOENT;
    vcpu_set_upcall_vector(d->vcpus[op.vcpu], op.vector);
    return 0;
}

long do_hvm_op(struct vcpu *v, const uint64_t a[6])
{
    switch (a[0]) {
    case HVMOP_set_param:
        return hvmop_param(v, a[1], true);
    case HVMOP_get_param:
        return hvmop_param(v, a[1], false);
    case HVMOP_set_evtchn_upcall_vector:
        return hvmop_set_evtchn_upcall_vector(v, a[1]);
    case HVMOP_get_time: {
        struct xen_hvm_get_time t = { .now = domain_system_time(v->d) };

        return copy_to_guest(v, a[1], &t, sizeof(t));
    }
    default:
        return -ENOSYS;
    }
}
