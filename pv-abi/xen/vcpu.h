/* xen/vcpu.h: HYPERVISOR_vcpu_op: vCPU bring-up, runstate, timers, vcpu_info placement. */
/* SPDX-License-Identifier: MIT */
#ifndef __LAMINA_XEN_PUBLIC_VCPU_H__
#define __LAMINA_XEN_PUBLIC_VCPU_H__

#include <stdint.h>

#include "xen.h"

/*
 * Set a vCPU's initial register state before its first VCPUOP_up. HVM
 * and PVH domains pass a vcpu_hvm_context_t (xen/hvm/hvm_vcpu.h).
 */
#define VCPUOP_initialise 0
/* Start / stop a vCPU; is_up returns 1 when it is running. */
#define VCPUOP_up 1
#define VCPUOP_down 2
#define VCPUOP_is_up 3

/* Copy a vCPU's runstate accounting into a vcpu_runstate_info. */
#define VCPUOP_get_runstate_info 4

/*
 * Time a vCPU has spent in each RUNSTATE_*, in ns of system time.
 * state_entry_time has XEN_RUNSTATE_UPDATE set while the hypervisor is
 * rewriting the record (only when the guest enabled
 * VMASST_TYPE_runstate_update_flag).
 */
struct vcpu_runstate_info {
    int state;
    uint64_t state_entry_time;
    uint64_t time[4];
};
typedef struct vcpu_runstate_info vcpu_runstate_info_t;
DEFINE_XEN_GUEST_HANDLE(vcpu_runstate_info_t);

#define XEN_RUNSTATE_UPDATE (xen_mk_ullong(1) << 63)

/* Scheduled on a physical CPU. */
#define RUNSTATE_running 0
/* Ready to run but waiting for a physical CPU. */
#define RUNSTATE_runnable 1
/* Waiting for an event (blocked or polling). */
#define RUNSTATE_blocked 2
/* Down, or paused by the toolstack. */
#define RUNSTATE_offline 3

/* Have the hypervisor keep a vcpu_runstate_info current at a guest address. */
#define VCPUOP_register_runstate_memory_area 5
struct vcpu_register_runstate_memory_area {
    union {
        XEN_GUEST_HANDLE(vcpu_runstate_info_t) h;
        struct vcpu_runstate_info *v;
        uint64_t p;
    } addr;
};
typedef struct vcpu_register_runstate_memory_area vcpu_register_runstate_memory_area_t;
DEFINE_XEN_GUEST_HANDLE(vcpu_register_runstate_memory_area_t);

/* Periodic VIRQ_TIMER ticks for this vCPU. */
#define VCPUOP_set_periodic_timer 6
#define VCPUOP_stop_periodic_timer 7
struct vcpu_set_periodic_timer {
    uint64_t period_ns;
};
typedef struct vcpu_set_periodic_timer vcpu_set_periodic_timer_t;
DEFINE_XEN_GUEST_HANDLE(vcpu_set_periodic_timer_t);

/* One VIRQ_TIMER at an absolute system time. */
#define VCPUOP_set_singleshot_timer 8
#define VCPUOP_stop_singleshot_timer 9
struct vcpu_set_singleshot_timer {
    uint64_t timeout_abs_ns;
    uint32_t flags;
};
typedef struct vcpu_set_singleshot_timer vcpu_set_singleshot_timer_t;
DEFINE_XEN_GUEST_HANDLE(vcpu_set_singleshot_timer_t);

/* Fail with -ETIME instead of firing at once when the timeout is already past. */
#define _VCPU_SSHOTTMR_future (0)
#define VCPU_SSHOTTMR_future (1U << _VCPU_SSHOTTMR_future)

/* Move this vCPU's vcpu_info out of shared_info, to frame mfn at offset. */
#define VCPUOP_register_vcpu_info 10
struct vcpu_register_vcpu_info {
    uint64_t mfn;
    uint32_t offset;
    uint32_t rsvd;
};
typedef struct vcpu_register_vcpu_info vcpu_register_vcpu_info_t;
DEFINE_XEN_GUEST_HANDLE(vcpu_register_vcpu_info_t);

/* Inject an NMI into a vCPU. */
#define VCPUOP_send_nmi 11

/* Physical identity of the CPU (control domain): APIC id low, ACPI id high. */
#define VCPUOP_get_physid 12
struct vcpu_get_physid {
    uint64_t phys_id;
};
typedef struct vcpu_get_physid vcpu_get_physid_t;
DEFINE_XEN_GUEST_HANDLE(vcpu_get_physid_t);
#define xen_vcpu_physid_to_x86_apicid(physid) ((uint32_t)(physid))
#define xen_vcpu_physid_to_x86_acpiid(physid) ((uint32_t)((physid) >> 32))

/* Have the hypervisor keep a second copy of vcpu_time_info at a guest address. */
#define VCPUOP_register_vcpu_time_memory_area 13
DEFINE_XEN_GUEST_HANDLE(vcpu_time_info_t);
struct vcpu_register_time_memory_area {
    union {
        XEN_GUEST_HANDLE(vcpu_time_info_t) h;
        struct vcpu_time_info *v;
        uint64_t p;
    } addr;
};
typedef struct vcpu_register_time_memory_area vcpu_register_time_memory_area_t;
DEFINE_XEN_GUEST_HANDLE(vcpu_register_time_memory_area_t);

#endif /* __LAMINA_XEN_PUBLIC_VCPU_H__ */
