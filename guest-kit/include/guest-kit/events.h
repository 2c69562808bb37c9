/* events.h: Xen event channels (2-level ABI): binding, sending, handlers, blocking. */
/* SPDX-License-Identifier: MIT */
#ifndef GUEST_KIT_EVENTS_H
#define GUEST_KIT_EVENTS_H

#include <stdbool.h>
#include <stdint.h>

#include <xen/xen.h>
#include <xen/event_channel.h>

#include <guest-kit/x86.h>

/*
 * Events arrive as an interrupt on the vCPU a port is bound to (vCPU 0
 * unless bound elsewhere): guest-kit asks the hypervisor for vector
 * GK_UPCALL_VECTOR on each vCPU, enables the local APIC and, once set up,
 * runs with interrupts enabled. The upcall calls each pending port's
 * handler in interrupt context: interrupts disabled, on the interrupted
 * stack. A handler should be short (set a flag, queue work, send an
 * event); it may use printf and malloc, which lock with interrupts off.
 *
 * Every port starts masked. Binding with a handler unmasks it; a port
 * bound without one stays masked, for gk_poll(). Functions returning int
 * give a port (> 0) or 0 on success, and a negative Xen errno on failure.
 */
#define GK_UPCALL_VECTOR    0xf3
#define GK_SPURIOUS_VECTOR  0xff

typedef void gk_evtchn_handler_fn(evtchn_port_t port, void *arg);

/*
 * Sets event delivery up on the calling vCPU (vCPU 0 first); every other
 * function here does it on first use. Returns 0 or a negative errno.
 */
int gk_evtchn_init(void);

/* A port for domain `remote` to bind (EVTCHNOP_alloc_unbound). */
int gk_evtchn_alloc_unbound(domid_t remote, gk_evtchn_handler_fn *fn, void *arg);

/* Binds to `remote_port` of domain `remote`, which offered it to us. */
int gk_evtchn_bind_interdomain(domid_t remote, evtchn_port_t remote_port,
                               gk_evtchn_handler_fn *fn, void *arg);

/* A virtual IRQ (VIRQ_*); per-vCPU ones (VIRQ_TIMER) go to `cpu`, global ones need 0. */
int gk_evtchn_bind_virq(uint32_t virq, unsigned int cpu, gk_evtchn_handler_fn *fn, void *arg);

/* An inter-processor interrupt delivered to `cpu`; any vCPU may send on it. */
int gk_evtchn_bind_ipi(unsigned int cpu, gk_evtchn_handler_fn *fn, void *arg);

/* Delivers the port to another vCPU from now on (not VIRQ_TIMER or IPI ports). */
int gk_evtchn_bind_vcpu(evtchn_port_t port, unsigned int cpu);

/* Closes the port (its peer sees it unbound) and forgets its handler. */
int gk_evtchn_close(evtchn_port_t port);

/* Raises the port's other end (or, for an IPI, the port itself). */
int gk_evtchn_send(evtchn_port_t port);

/*
 * Installs (fn != NULL) or removes a handler; neither masks nor unmasks.
 * Change a live port's handler while it is masked, or on its own vCPU.
 */
int gk_evtchn_set_handler(evtchn_port_t port, gk_evtchn_handler_fn *fn, void *arg);

void gk_evtchn_mask(evtchn_port_t port);
/* Clears the mask; an event that came meanwhile is delivered now. */
void gk_evtchn_unmask(evtchn_port_t port);
bool gk_evtchn_is_pending(evtchn_port_t port);
/* Forgets a pending event (after gk_poll() reported it). */
void gk_evtchn_clear(evtchn_port_t port);

/*
 * Waits for an event on this vCPU and runs the handlers of what arrived.
 * Call it with interrupts disabled, after checking that what you wait for
 * has not happened yet: then an event between the check and the wait
 * cannot be missed. Returns with interrupts as they were. gk_wait_event()
 * does this dance for a condition.
 */
void gk_block(void);

#define gk_wait_event(cond) do {                                \
        unsigned long gk_we_flags = gk_irq_save();              \
        while (!(cond))                                         \
            gk_block();                                         \
        gk_irq_restore(gk_we_flags);                            \
    } while (0)

/* No time limit for gk_poll(). */
#define GK_POLL_FOREVER UINT64_MAX

/*
 * Waits, for at most timeout_ns, until one of the n ports (masked ones: an
 * unmasked port's handler takes the event first) is pending
 * (SCHEDOP_poll). Returns the first pending port, -ETIMEDOUT, or a
 * negative errno. The event stays pending: gk_evtchn_clear() takes it.
 */
int gk_poll(const evtchn_port_t *ports, unsigned int n, uint64_t timeout_ns);

/* Upcalls taken by the calling vCPU since it started. */
uint64_t gk_evtchn_upcalls(void);

#endif /* GUEST_KIT_EVENTS_H */
