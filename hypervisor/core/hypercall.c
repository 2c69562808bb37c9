/* hypercall.c: hypercall dispatch and the hypercall page. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include "guest_mem.h"
#include "hv.h"

static const struct {
    const char *name;
    hypercall_fn *fn;
} hypercalls[] = {
    [__HYPERVISOR_memory_op] = { "memory_op", do_memory_op },
    [__HYPERVISOR_set_timer_op] = { "set_timer_op", do_set_timer_op },
    [__HYPERVISOR_grant_table_op] = { "grant_table_op", do_grant_table_op },
    [__HYPERVISOR_event_channel_op] = { "event_channel_op", do_event_channel_op },
    [__HYPERVISOR_xen_version] = { "xen_version", do_xen_version },
    [__HYPERVISOR_console_io] = { "console_io", do_console_io },
    [__HYPERVISOR_vcpu_op] = { "vcpu_op", do_vcpu_op },
    [__HYPERVISOR_sched_op] = { "sched_op", do_sched_op },
    [__HYPERVISOR_hvm_op] = { "hvm_op", do_hvm_op },
    [__HYPERVISOR_vm_assist] = { "vm_assist", do_vm_assist },
};

long hypercall_dispatch(struct vcpu *v, uint64_t nr, const uint64_t args[6])
{
    long ret;

    v->hypercalls++;
    if (nr >= sizeof(hypercalls) / sizeof(hypercalls[0]) || !hypercalls[nr].fn) {
        vlog(LOG_DEBUG, v, "unknown hypercall %llu", (unsigned long long)nr);
        return -ENOSYS;
    }
    ret = hypercalls[nr].fn(v, args);
    if (log_get_level() >= LOG_DEBUG)
        vlog(LOG_DEBUG, v, "%s(%#llx, %#llx, %#llx) = %ld", hypercalls[nr].name,
             (unsigned long long)args[0], (unsigned long long)args[1],
             (unsigned long long)args[2], ret);
    return ret;
}

/*
 * The page a guest asks for through the hypercall MSR: 128 stubs of 32
 * bytes.  A stub loads the hypercall number and leaves guest mode through
 * port I/O, which every KVM can intercept (vmcall cannot be relied on when
 * KVM has no Xen support), then returns to the caller.
 */
int hypercall_page_write(struct vcpu *v, uint64_t msr_value)
{
    uint8_t page[HV_PAGE_SIZE];
    uint64_t gpa = msr_value & ~(HV_PAGE_SIZE - 1);

    if (msr_value & (HV_PAGE_SIZE - 1))
        return -EINVAL;         /* only page 0 of one page exists */
    memset(page, 0xcc, sizeof(page));       /* int3 between stubs */
    for (unsigned int i = 0; i < HV_PAGE_SIZE / 32; i++) {
        uint8_t *stub = page + i * 32;

        stub[0] = 0xb8;                     /* mov $i, %eax */
        memcpy(stub + 1, &i, 4);
        stub[5] = 0xe7;                     /* out %eax, $port */
        stub[6] = LAMINA_HYPERCALL_PORT;
        stub[7] = 0xc3;                     /* ret */
    }
    if (copy_to_gpa(v->d, gpa, page, sizeof(page)) < 0) {
        vlog_guest(LOG_WARN, v, "hypercall page at %#llx is not RAM", (unsigned long long)gpa);
        return -EFAULT;
    }
    v->d->hypercall_page_msr = msr_value;
    return 0;
}
