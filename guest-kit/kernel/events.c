/* events.c: Xen's 2-level event channels: ports, handlers, the upcall, blocking and polling. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>

#include <xen/event_channel.h>
#include <xen/hvm/hvm_op.h>
#include <xen/hvm/params.h>
#include <xen/sched.h>

#include <guest-kit/guest-kit.h>

#include "../internal.h"

#define NR_PORTS    EVTCHN_2L_NR_CHANNELS
#define WORD_BITS   64

struct handler {
    gk_evtchn_handler_fn *fn;
    void *arg;
    uint32_t cpu;               /* the vCPU the hypervisor delivers the port to */
};

/*
 * A handler entry is only read while its bit in has_handler is set, so the
 * table itself needs no zeroing at boot (64 KiB would cost milliseconds).
 */
static struct handler handlers[NR_PORTS] GK_NOINIT;
static uint64_t has_handler[NR_PORTS / WORD_BITS];
static bool ready;

/* Called from trap_stubs.S only. */
void gk_evtchn_irq(void);

static uint64_t *pending_word(evtchn_port_t port)
{
    return (uint64_t *)&gk_shared_info()->evtchn_pending[port / WORD_BITS];
}

static uint64_t *mask_word(evtchn_port_t port)
{
    return (uint64_t *)&gk_shared_info()->evtchn_mask[port / WORD_BITS];
}

static uint64_t bit(evtchn_port_t port)
{
    return 1ull << (port % WORD_BITS);
}

bool gk_evtchn_ready(void)
{
    return __atomic_load_n(&ready, __ATOMIC_ACQUIRE);
}

void gk_evtchn_mask(evtchn_port_t port)
{
    if (port < NR_PORTS)
        __atomic_fetch_or(mask_word(port), bit(port), __ATOMIC_SEQ_CST);
}

/*
 * The mask is cleared here; only if the port became pending while masked
 * does the hypervisor have to look (EVTCHNOP_unmask), as it then owes
 * the port's vCPU the upcall it held back. Linux does the same.
 */
void gk_evtchn_unmask(evtchn_port_t port)
{
    if (port >= NR_PORTS)
        return;
    __atomic_fetch_and(mask_word(port), ~bit(port), __ATOMIC_SEQ_CST);
    if (__atomic_load_n(pending_word(port), __ATOMIC_SEQ_CST) & bit(port)) {
        struct evtchn_unmask op = { .port = port };

        HYPERVISOR_event_channel_op(EVTCHNOP_unmask, &op);
    }
}

bool gk_evtchn_is_pending(evtchn_port_t port)
{
    return port < NR_PORTS && (__atomic_load_n(pending_word(port), __ATOMIC_SEQ_CST) & bit(port));
}

void gk_evtchn_clear(evtchn_port_t port)
{
    if (port < NR_PORTS)
        __atomic_fetch_and(pending_word(port), ~bit(port), __ATOMIC_SEQ_CST);
}

static void set_handler(evtchn_port_t port, gk_evtchn_handler_fn *fn, void *arg, uint32_t cpu)
{
    uint64_t *word = &has_handler[port / WORD_BITS];

    /* The upcall reads the entry only after seeing its bit: clear, fill, set. */
    __atomic_fetch_and(word, ~bit(port), __ATOMIC_SEQ_CST);
    if (!fn)
        return;
    handlers[port] = (struct handler){ fn, arg, cpu };
    __atomic_fetch_or(word, bit(port), __ATOMIC_SEQ_CST);
}

int gk_evtchn_set_handler(evtchn_port_t port, gk_evtchn_handler_fn *fn, void *arg)
{
    uint32_t cpu = 0;

    if (port == 0 || port >= NR_PORTS)
        return -EINVAL;
    if (has_handler[port / WORD_BITS] & bit(port))
        cpu = handlers[port].cpu;
    set_handler(port, fn, arg, cpu);
    return 0;
}

/* Ports no handler claims are taken by whichever vCPU sees them: the event is dropped. */
static void take_port(struct gk_cpu *cpu, evtchn_port_t port)
{
    bool claimed = __atomic_load_n(&has_handler[port / WORD_BITS], __ATOMIC_ACQUIRE) & bit(port);
    struct handler h;

    if (claimed) {
        h = handlers[port];
        if (h.cpu != cpu->id)
            return;
    }
    __atomic_fetch_and(pending_word(port), ~bit(port), __ATOMIC_SEQ_CST);
    if (claimed)
        h.fn(port, h.arg);
}

/*
 * The upcall's work, with interrupts disabled: clear the vCPU's
 * upcall-pending flag, take its selector word by word, and in each
 * selected word take every pending, unmasked port, clearing its pending
 * bit before calling its handler. Events that arrive meanwhile set the
 * flag again: loop until it stays clear.
 */
void gk_evtchn_do_upcall(void)
{
    struct gk_cpu *cpu = gk_this_cpu();
    struct vcpu_info *vi = cpu->vcpu_info;
    struct shared_info *s = gk_shared_info();

    cpu->in_handlers++;
    do {
        uint64_t sel;

        __atomic_store_n(&vi->evtchn_upcall_pending, 0, __ATOMIC_SEQ_CST);
        sel = __atomic_exchange_n(&vi->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
        while (sel) {
            unsigned int w = gk_ffs64(sel);
            uint64_t live;

            sel &= sel - 1;
            live = __atomic_load_n(&s->evtchn_pending[w], __ATOMIC_SEQ_CST) &
                   ~__atomic_load_n(&s->evtchn_mask[w], __ATOMIC_SEQ_CST);
            while (live) {
                unsigned int b = gk_ffs64(live);

                live &= live - 1;
                take_port(cpu, w * WORD_BITS + b);
            }
        }
    } while (__atomic_load_n(&vi->evtchn_upcall_pending, __ATOMIC_SEQ_CST));
    cpu->in_handlers--;
}

void gk_evtchn_irq(void)
{
    gk_this_cpu()->upcalls++;
    gk_evtchn_do_upcall();
    gk_lapic_eoi();
}

uint64_t gk_evtchn_upcalls(void)
{
    return gk_this_cpu()->upcalls;
}

/*
 * Per vCPU: enable the local APIC before naming the vector, so that no
 * event is injected into an APIC that drops it. One the hypervisor marked
 * before there was a vector was never injected: take it here.
 */
int gk_evtchn_cpu_init(struct gk_cpu *cpu)
{
    struct xen_hvm_evtchn_upcall_vector op = { .vcpu = cpu->id, .vector = GK_UPCALL_VECTOR };
    unsigned long flags;
    int rc;

    gk_lapic_enable();
    rc = HYPERVISOR_hvm_op(HVMOP_set_evtchn_upcall_vector, &op);
    if (rc == -ENOSYS && cpu->id == 0) {
        /* Older interface: one vector for every vCPU. */
        struct xen_hvm_param p = {
            .domid = DOMID_SELF,
            .index = HVM_PARAM_CALLBACK_IRQ,
            .value = ((uint64_t)HVM_PARAM_CALLBACK_TYPE_VECTOR << 56) | GK_UPCALL_VECTOR,
        };

        rc = HYPERVISOR_hvm_op(HVMOP_set_param, &p);
    }
    if (rc < 0)
        return rc;
    flags = gk_irq_save();
    if (__atomic_load_n(&cpu->vcpu_info->evtchn_upcall_pending, __ATOMIC_SEQ_CST))
        gk_evtchn_do_upcall();
    gk_irq_restore(flags);
    return 0;
}

int gk_evtchn_init(void)
{
    struct shared_info *s = gk_shared_info();
    int rc;

    if (ready)
        return 0;
    if (gk_vcpu_id() != 0)
        return -EINVAL;     /* vCPU 0 sets events up before the others come up */
    gk_idt_set_gate(GK_UPCALL_VECTOR, gk_upcall_entry);
    gk_idt_set_gate(GK_SPURIOUS_VECTOR, gk_spurious_entry);
    /* Every port starts masked, those the toolstack bound included. */
    for (unsigned int w = 0; w < NR_PORTS / WORD_BITS; w++)
        __atomic_store_n(&s->evtchn_mask[w], ~0ul, __ATOMIC_SEQ_CST);
    rc = gk_evtchn_cpu_init(gk_this_cpu());
    if (rc < 0)
        return rc;
    __atomic_store_n(&ready, true, __ATOMIC_RELEASE);
    gk_irq_enable();
    return 0;
}

/* A port the hypervisor just bound: note its handler; unmask it if it has one. */
static int bound(int rc, evtchn_port_t port, uint32_t cpu, gk_evtchn_handler_fn *fn, void *arg)
{
    if (rc < 0)
        return rc;
    if (port == 0 || port >= NR_PORTS) {
        struct evtchn_close op = { .port = port };

        HYPERVISOR_event_channel_op(EVTCHNOP_close, &op);
        return -EIO;
    }
    set_handler(port, fn, arg, cpu);
    if (fn)
        gk_evtchn_unmask(port);
    return (int)port;
}

int gk_evtchn_alloc_unbound(domid_t remote, gk_evtchn_handler_fn *fn, void *arg)
{
    struct evtchn_alloc_unbound op = { .dom = DOMID_SELF, .remote_dom = remote };
    int rc = gk_evtchn_init();

    if (rc == 0)
        rc = HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, &op);
    return bound(rc, op.port, 0, fn, arg);
}

int gk_evtchn_bind_interdomain(domid_t remote, evtchn_port_t remote_port,
                               gk_evtchn_handler_fn *fn, void *arg)
{
    struct evtchn_bind_interdomain op = { .remote_dom = remote, .remote_port = remote_port };
    int rc = gk_evtchn_init();

    if (rc == 0)
        rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_interdomain, &op);
    return bound(rc, op.local_port, 0, fn, arg);
}

int gk_evtchn_bind_virq(uint32_t virq, unsigned int cpu, gk_evtchn_handler_fn *fn, void *arg)
{
    struct evtchn_bind_virq op = { .virq = virq, .vcpu = cpu };
    int rc = gk_evtchn_init();

    if (rc == 0)
        rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_virq, &op);
    return bound(rc, op.port, cpu, fn, arg);
}

int gk_evtchn_bind_ipi(unsigned int cpu, gk_evtchn_handler_fn *fn, void *arg)
{
    struct evtchn_bind_ipi op = { .vcpu = cpu };
    int rc = gk_evtchn_init();

    if (rc == 0)
        rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_ipi, &op);
    return bound(rc, op.port, cpu, fn, arg);
}

int gk_evtchn_bind_vcpu(evtchn_port_t port, unsigned int cpu)
{
    struct evtchn_bind_vcpu op = { .port = port, .vcpu = cpu };
    int rc;

    if (port == 0 || port >= NR_PORTS)
        return -EINVAL;
    rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_vcpu, &op);
    if (rc == 0)
        handlers[port].cpu = cpu;   /* read only with the bit set: harmless if unclaimed */
    return rc;
}

int gk_evtchn_close(evtchn_port_t port)
{
    struct evtchn_close op = { .port = port };
    int rc;

    if (port == 0 || port >= NR_PORTS)
        return -EINVAL;
    gk_evtchn_mask(port);
    set_handler(port, NULL, NULL, 0);
    rc = HYPERVISOR_event_channel_op(EVTCHNOP_close, &op);
    gk_evtchn_clear(port);
    return rc;
}

int gk_evtchn_send(evtchn_port_t port)
{
    struct evtchn_send op = { .port = port };

    return HYPERVISOR_event_channel_op(EVTCHNOP_send, &op);
}

/*
 * The wait is SCHEDOP_block: the hypervisor sleeps until the vCPU's
 * upcall-pending flag is set, shows the vCPU as blocked, and refreshes its
 * time record on the way out (a vCPU that only ever halted inside KVM
 * would run on TSC extrapolation alone; and halting there measured no
 * faster round trips on the test machines). The hypervisor injects the
 * upcall vector whenever it sets that flag, and with interrupts off since
 * the check nothing can have taken it: it is pending in the local APIC.
 * `sti; hlt` takes it (sti's one-instruction shadow covers the hlt, and
 * hlt returns at once with an interrupt pending); a bare `sti; nop` window
 * is not enough, KVM's instruction emulator on the test machines delivers
 * few interrupts inside it. Should the flag still be set afterwards, the
 * handlers run here.
 */
void (*gk_idle_hook)(void);
bool (*gk_idle_pending)(void);

void gk_block(void)
{
    unsigned long flags = gk_irq_save();
    struct gk_cpu *cpu = gk_this_cpu();
    bool idle_work = gk_idle_hook && cpu->id == 0 && !cpu->in_handlers;
    struct vcpu_info *vi;

    if (!ready && gk_evtchn_init() < 0)
        gk_panic("gk_block: event channels cannot be set up");
    /* Work already waiting for the idle hook: no sleeping on it. */
    if (idle_work && gk_idle_pending()) {
        gk_irq_restore(flags);
        gk_idle_hook();
        return;
    }
    gk_irq_disable();
    vi = cpu->vcpu_info;
    if (!__atomic_load_n(&vi->evtchn_upcall_pending, __ATOMIC_SEQ_CST))
        HYPERVISOR_sched_op(SCHEDOP_block, NULL);
    __asm__ volatile("sti\n\thlt\n\tcli" : : : "memory");
    if (__atomic_load_n(&vi->evtchn_upcall_pending, __ATOMIC_SEQ_CST))
        gk_evtchn_do_upcall();
    gk_irq_restore(flags);
    if (idle_work)
        gk_idle_hook();
}

int gk_poll(const evtchn_port_t *ports, unsigned int n, uint64_t timeout_ns)
{
    uint64_t deadline = 0;
    struct sched_poll op = { .nr_ports = n };
    int rc;

    if (n == 0 && timeout_ns == GK_POLL_FOREVER)
        return -EINVAL;     /* nothing could ever end the wait */
    if (timeout_ns != GK_POLL_FOREVER) {
        deadline = gk_monotonic_ns() + timeout_ns;
        if (deadline == 0)
            deadline = 1;   /* 0 would mean no time limit */
    }
    set_xen_guest_handle(op.ports, (evtchn_port_t *)ports);
    op.timeout = deadline;
    for (;;) {
        for (unsigned int i = 0; i < n; i++)
            if (gk_evtchn_is_pending(ports[i]))
                return (int)ports[i];
        if (deadline && gk_monotonic_ns() >= deadline)
            return -ETIMEDOUT;
        rc = HYPERVISOR_sched_op(SCHEDOP_poll, &op);
        if (rc < 0)
            return rc;
    }
}
