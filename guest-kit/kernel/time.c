/* time.c: system time from vcpu_time_info and the TSC, wallclock from shared_info. */
/* SPDX-License-Identifier: MIT */
#include <xen/hvm/hvm_op.h>

#include <guest-kit/guest-kit.h>

/*
 * (delta * mul) >> 32 without a 128-bit product (which would need a
 * libgcc helper): split delta into 32-bit halves, each product fits.
 */
static uint64_t scale_delta(uint64_t delta, uint32_t mul, int8_t shift)
{
    if (shift < 0)
        delta >>= -shift;
    else
        delta <<= shift;
    return (delta >> 32) * mul + (((delta & 0xffffffffu) * mul) >> 32);
}

/* Before vCPU 0 knows its vcpu_info there is no time record to read. */
static uint64_t hypervisor_time(void)
{
    struct xen_hvm_get_time t = { 0 };

    HYPERVISOR_hvm_op(HVMOP_get_time, &t);
    return t.now;
}

uint64_t gk_monotonic_ns(void)
{
    const struct vcpu_info *vi = gk_this_cpu()->vcpu_info;
    const volatile struct vcpu_time_info *t;
    uint32_t version;
    uint64_t ns;

    if (!vi)
        return hypervisor_time();
    t = &vi->time;

    /* An odd or changed version means the hypervisor was updating the record: read again. */
    do {
        version = t->version;
        gk_barrier();
        ns = t->system_time + scale_delta(gk_rdtsc() - t->tsc_timestamp,
                                          t->tsc_to_system_mul, t->tsc_shift);
        gk_barrier();
    } while ((version & 1) || version != t->version);
    return ns;
}

uint64_t gk_wallclock(void)
{
    const volatile struct shared_info *s = gk_shared_info();
    uint32_t version;
    uint64_t sec, nsec;

    do {
        version = s->wc_version;
        gk_barrier();
        sec = (uint64_t)s->wc_sec_hi << 32 | s->wc_sec;
        nsec = s->wc_nsec;
        gk_barrier();
    } while ((version & 1) || version != s->wc_version);
    return sec * GK_NSEC_PER_SEC + nsec + gk_monotonic_ns();
}
