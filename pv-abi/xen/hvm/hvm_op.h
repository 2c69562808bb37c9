/* xen/hvm/hvm_op.h: HYPERVISOR_hvm_op: HVM parameters, upcall vector, time, memory types. */
/* SPDX-License-Identifier: MIT */
#ifndef __LAMINA_XEN_PUBLIC_HVM_HVM_OP_H__
#define __LAMINA_XEN_PUBLIC_HVM_HVM_OP_H__

#include <stdint.h>

#include "../xen.h"
#include "../event_channel.h"

/* Read or write one HVM_PARAM_* (xen/hvm/params.h) of a domain. */
#define HVMOP_set_param 0
#define HVMOP_get_param 1
struct xen_hvm_param {
    domid_t domid;
    uint16_t pad;
    uint32_t index;
    uint64_t value;
};
typedef struct xen_hvm_param xen_hvm_param_t;
DEFINE_XEN_GUEST_HANDLE(xen_hvm_param_t);

/* Flush every vCPU's TLB of the calling domain. */
#define HVMOP_flush_tlbs 5

/* Memory types reported by HVMOP_get_mem_type. */
typedef enum {
    HVMMEM_ram_rw,
    HVMMEM_ram_ro,
    HVMMEM_mmio_dm,
    HVMMEM_unused,
    HVMMEM_ioreq_server
} hvmmem_type_t;

/*
 * The guest is about to stop using the page table rooted at gpa, so the
 * hypervisor can drop any shadow of it.
 */
#define HVMOP_pagetable_dying 9
struct xen_hvm_pagetable_dying {
    domid_t domid;
    uint16_t pad[3];
    uint64_t gpa;
};
typedef struct xen_hvm_pagetable_dying xen_hvm_pagetable_dying_t;
DEFINE_XEN_GUEST_HANDLE(xen_hvm_pagetable_dying_t);

/* Current system time in ns. */
#define HVMOP_get_time 10
struct xen_hvm_get_time {
    uint64_t now;
};
typedef struct xen_hvm_get_time xen_hvm_get_time_t;
DEFINE_XEN_GUEST_HANDLE(xen_hvm_get_time_t);

#define HVMOP_xentrace 11

/* Page access control (toolstack). */
#define HVMOP_set_mem_access 12
#define HVMOP_get_mem_access 13

/* Type (hvmmem_type_t) of guest frame pfn of domid. */
#define HVMOP_get_mem_type 15
struct xen_hvm_get_mem_type {
    domid_t domid;
    uint16_t mem_type;
    uint16_t pad[2];
    uint64_t pfn;
};
typedef struct xen_hvm_get_mem_type xen_hvm_get_mem_type_t;
DEFINE_XEN_GUEST_HANDLE(xen_hvm_get_mem_type_t);

/* How an ioreq server wants buffered I/O requests delivered. */
#define HVM_IOREQSRV_BUFIOREQ_OFF 0
#define HVM_IOREQSRV_BUFIOREQ_LEGACY 1
#define HVM_IOREQSRV_BUFIOREQ_ATOMIC 2

/*
 * Deliver this vCPU's event upcalls as an interrupt on the given IDT
 * vector (per-vCPU alternative to HVM_PARAM_CALLBACK_IRQ's vector type).
 */
#define HVMOP_set_evtchn_upcall_vector 23
struct xen_hvm_evtchn_upcall_vector {
    uint32_t vcpu;
    uint8_t vector;
};
typedef struct xen_hvm_evtchn_upcall_vector xen_hvm_evtchn_upcall_vector_t;
DEFINE_XEN_GUEST_HANDLE(xen_hvm_evtchn_upcall_vector_t);

/* Send a vm_event to the domain's monitor. */
#define HVMOP_guest_request_vm_event 24

/* Alternate p2m views; the sub-commands go in xen_hvm_altp2m_op.cmd. */
#define HVMOP_altp2m 25
#define HVMOP_ALTP2M_INTERFACE_VERSION 0x00000001
#define HVMOP_altp2m_get_domain_state 1
#define HVMOP_altp2m_set_domain_state 2
#define HVMOP_altp2m_vcpu_enable_notify 3
#define HVMOP_altp2m_create_p2m 4
#define HVMOP_altp2m_destroy_p2m 5
#define HVMOP_altp2m_switch_p2m 6
#define HVMOP_altp2m_set_mem_access 7
#define HVMOP_altp2m_change_gfn 8
#define HVMOP_altp2m_set_mem_access_multi 9
#define HVMOP_altp2m_set_suppress_ve 10
#define HVMOP_altp2m_get_suppress_ve 11
#define HVMOP_altp2m_get_mem_access 12
#define HVMOP_altp2m_vcpu_disable_notify 13
#define HVMOP_altp2m_get_p2m_idx 14
#define HVMOP_altp2m_set_suppress_ve_multi 15
#define HVMOP_altp2m_set_visibility 16

#endif /* __LAMINA_XEN_PUBLIC_HVM_HVM_OP_H__ */
