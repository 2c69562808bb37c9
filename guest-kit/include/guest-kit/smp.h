/* smp.h: more than one vCPU: bringing them up, per-CPU data, running work on another vCPU. */
/* SPDX-License-Identifier: MIT */
#ifndef GUEST_KIT_SMP_H
#define GUEST_KIT_SMP_H

#include <stdbool.h>
#include <stdint.h>

#include <xen/xen.h>
#include <xen/event_channel.h>

/*
 * vCPUs are numbered as the hypervisor numbers them: 0 boots and runs
 * main(), the others sleep until gk_smp_init() brings them up. Each vCPU
 * has its vcpu_info in shared_info, which holds XEN_LEGACY_MAX_VCPUS of
 * them: guest-kit uses at most that many.
 */
#define GK_MAX_CPUS XEN_LEGACY_MAX_VCPUS

struct gk_timer;

/*
 * One per vCPU; %gs points at it. Programs may read `id` and `online` and
 * keep what they like in `user`; the rest is guest-kit's.
 */
struct gk_cpu {
    struct gk_cpu *self;            /* first: gk_this_cpu() loads it from %gs:0 */
    uint32_t id;                    /* the vCPU id */
    bool online;
    void *user;

    struct vcpu_info *vcpu_info;
    uint64_t upcalls;               /* event upcalls taken */
    unsigned int in_handlers;       /* nesting of event handler runs */
    evtchn_port_t ipi_port;         /* an IPI that only wakes this vCPU (gk_smp_kick) */
    evtchn_port_t timer_port;       /* its VIRQ_TIMER, bound on first use */
    struct gk_timer *timers;        /* armed timers, earliest first */
    uint64_t timer_programmed;      /* the deadline the hypervisor has, 0: none */
    bool call_busy;                 /* gk_smp_call(): work given and not yet finished */
    void (*call_fn)(void *arg);
    void *call_arg;
    uint32_t call_from;             /* who to wake when it is done */
    void *stack;
};

/* The calling vCPU's record. */
static inline struct gk_cpu *gk_this_cpu(void)
{
    struct gk_cpu *cpu;

    __asm__ volatile("mov %%gs:0, %0" : "=r"(cpu));
    return cpu;
}

/*
 * Brings up every vCPU the domain has (up to GK_MAX_CPUS). Each runs an
 * idle loop that takes events (its timers, IPIs) and work handed to it
 * with gk_smp_call(). Sets up event channels first if need be. Returns
 * how many vCPUs are online, or a negative errno; calling it again only
 * returns the count.
 */
int gk_smp_init(void);

/* vCPUs online (1 before gk_smp_init()). */
unsigned int gk_smp_cpus(void);

/* The record of vCPU `id`, or NULL if it is not online. */
struct gk_cpu *gk_cpu(unsigned int id);

/*
 * Runs fn(arg) on vCPU `cpu` (another one, online), in its idle loop with
 * interrupts enabled, and returns at once. -EBUSY while that vCPU still
 * runs earlier work, -EINVAL for the caller's own or an offline vCPU.
 */
int gk_smp_call(unsigned int cpu, void (*fn)(void *arg), void *arg);

/* Waits until vCPU `cpu` has finished what gk_smp_call() gave it. */
void gk_smp_wait(unsigned int cpu);

/* Wakes vCPU `cpu` if it waits in gk_block() (an IPI with no handler of its own). */
int gk_smp_kick(unsigned int cpu);

#endif /* GUEST_KIT_SMP_H */
