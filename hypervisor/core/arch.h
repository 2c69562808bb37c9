/* arch.h: the interface between the hypervisor core and its backend (KVM). */
/* SPDX-License-Identifier: MIT */
#ifndef LAMINA_HV_ARCH_H
#define LAMINA_HV_ARCH_H

/*
 * The core never sees a KVM structure.  The backend turns every reason a
 * vCPU stops running into a struct vcpu_exit, and offers the few actions the
 * core needs: memory slots, initial register state, interrupt injection and
 * kicking a vCPU out of guest mode.
 */

#include <stdbool.h>
#include <stdint.h>

struct domain;
struct vcpu;

/* The port the hypercall page's stubs write the hypercall number to. */
#define LAMINA_HYPERCALL_PORT   0xe4
/* Bochs-style debug port: bytes written here go to the domain's console. */
#define LAMINA_DEBUGCON_PORT    0xe9

/* Xen's hypercall-page MSR (CPUID 0x40000002 ebx names it to the guest). */
#define XEN_HYPERCALL_MSR       0x40000000u

/* Paging state of a vCPU at an exit: what the linear-address walker needs. */
struct vcpu_paging {
    uint64_t cr0, cr3, cr4, efer;
};

enum vcpu_exit_kind {
    VEXIT_HYPERCALL,    /* Xen hypercall: nr and args filled */
    VEXIT_IO,           /* port I/O the core may want (debug console) */
    VEXIT_MMIO,         /* access to unbacked guest-physical memory */
    VEXIT_MSR_WRITE,    /* WRMSR the backend could not handle */
    VEXIT_MSR_READ,     /* RDMSR the backend could not handle */
    VEXIT_KICKED,       /* another thread asked the vCPU to stop */
    VEXIT_TRIPLE_FAULT, /* the guest reset itself: a crash for a PVH guest */
    VEXIT_FAILED,       /* the backend cannot run this vCPU any more */
};

struct vcpu_exit {
    enum vcpu_exit_kind kind;
    union {
        struct {
            uint64_t nr;
            uint64_t args[6];
        } hypercall;
        struct {
            uint16_t port;
            uint32_t len;       /* bytes: access size times repeat count */
            bool write;
            uint8_t *data;      /* len bytes; the core fills them on reads */
        } io;
        struct {
            uint64_t gpa;
            uint32_t len;
            bool write;
            uint8_t *data;
        } mmio;
        struct {
            uint32_t index;
            uint64_t value;     /* in for writes, out for reads */
            bool fault;         /* out: inject #GP */
        } msr;
        struct {
            const char *why;
        } failed;
    } u;
};

/* Backend life cycle, called by the core. */
int arch_init(void);
bool arch_has_xen_intercept(void);
int arch_domain_init(struct domain *d);
void arch_domain_destroy(struct domain *d);

/* Map size bytes at host address hva to guest-physical gpa in slot `slot`. */
int arch_set_memory(struct domain *d, uint32_t slot, uint64_t gpa, uint64_t size, void *hva);
int arch_clear_memory(struct domain *d, uint32_t slot);

/* vCPU life cycle.  arch_vcpu_* calls other than kick run on the vCPU's thread. */
int arch_vcpu_init(struct vcpu *v);
void arch_vcpu_destroy(struct vcpu *v);
int arch_vcpu_run(struct vcpu *v, struct vcpu_exit *exit);
void arch_vcpu_set_hypercall_result(struct vcpu *v, uint64_t ret);
void arch_vcpu_get_paging(struct vcpu *v, struct vcpu_paging *p);
void arch_vcpu_kick(struct vcpu *v);

/* PVH entry: 32-bit flat protected mode, paging off, %ebx = start_info. */
int arch_vcpu_set_pvh_entry(struct vcpu *v, uint32_t entry, uint32_t start_info);

/*
 * Start state for a secondary vCPU (VCPUOP_initialise), also making it
 * runnable for the backend.  Called while the vCPU's thread is parked.
 */
struct vcpu_hvm_context;
int arch_vcpu_set_hvm_context(struct vcpu *v, const struct vcpu_hvm_context *ctx);

/* Deliver an interrupt vector (or an NMI) to the vCPU's local APIC (any thread). */
int arch_vcpu_inject_vector(struct vcpu *v, uint8_t vector);
int arch_vcpu_inject_nmi(struct vcpu *v);

/* Guest TSC frequency, and guest TSC = host TSC + offset, for vcpu_time_info. */
uint32_t arch_tsc_khz(struct domain *d);
uint64_t arch_vcpu_tsc_offset(struct vcpu *v);

#endif /* LAMINA_HV_ARCH_H */
