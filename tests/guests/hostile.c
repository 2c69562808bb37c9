/* hostile.c: test guest that throws random hypercalls and bad pointers at the hypervisor. */
/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>

#include <xen/event_channel.h>
#include <xen/grant_table.h>
#include <xen/hvm/hvm_op.h>
#include <xen/hvm/hvm_vcpu.h>
#include <xen/hvm/params.h>
#include <xen/io/console.h>
#include <xen/memory.h>
#include <xen/sched.h>
#include <xen/vcpu.h>

#include <guest-kit/guest-kit.h>

#include "gtest.h"

/*
 * seed=<n> calls=<n> victim=<domid> vport=<port>
 *
 * Every hypercall number (known ones, unknown ones, numbers past the
 * hypercall page) with random sub-operations and arguments: pointers into
 * our scratch pages, across page boundaries, across the end of RAM, into
 * the MMIO hole and the hypervisor's special pages, above the canonical
 * range and wrapping around; random EVTCHNOP/GNTTABOP/VCPUOP/HVMOP/MEMOP
 * structures; garbage in our own grant table and console ring; odd port
 * I/O and MSR accesses. A fixed seed makes a run repeatable.
 *
 * The hypervisor must survive all of it. We must mostly survive too, so
 * a few things are kept from hurting ourselves (the calls are still made,
 * with targets we can afford): no SCHEDOP_shutdown or VCPUOP_down of
 * vCPU 0 (a second vCPU, given vcpus=2, is fair game and mostly told to
 * halt in a loop; a random start state may crash the domain), no
 * SCHEDOP_block and only short SCHEDOP_poll timeouts (nothing would wake
 * us), and nothing that makes the hypervisor write or remap our image
 * (memory and grant operations name scratch pages or frames that do not
 * exist). Events stay undelivered: the local APIC is never enabled.
 *
 * The victim is another domain, which offered `vport` to dom0: we must
 * not be able to bind it or copy its grants.
 */

const char gk_program_name[] = "hostile";

#define SCRATCH_PAGES       16
#define HYPERCALL_PORT      0xe4
#define XEN_MSR_BASE        0x40000000u     /* the hypercall MSR */
#define XEN_MSR_ALT         0x40000200u     /* where Xen moves its MSRs next to Viridian's */
#define PROGRESS_EVERY      500

static uint8_t scratch[SCRATCH_PAGES][GK_PAGE_SIZE]
    __attribute__((aligned(GK_PAGE_SIZE), section(".bss.noinit")));

static uint64_t rng;
static uint64_t ram_top;
static domid_t self, victim;
static evtchn_port_t vport;
static uint64_t console_gfn, store_gfn;
static evtchn_port_t console_port;
static unsigned long nmis, gps;

struct family {
    const char *name;
    unsigned long calls, ok;
};

enum { F_RAW, F_EVTCHN, F_GNTTAB, F_VCPU, F_HVM, F_MEM, F_SCHED, F_CONSOLE, F_IO, F_MAX };

static struct family families[F_MAX] = {
    [F_RAW] = { "raw" }, [F_EVTCHN] = { "evtchn" }, [F_GNTTAB] = { "gnttab" },
    [F_VCPU] = { "vcpu" }, [F_HVM] = { "hvm" }, [F_MEM] = { "memory" },
    [F_SCHED] = { "sched" }, [F_CONSOLE] = { "console" }, [F_IO] = { "io/msr" },
};

static uint64_t rnd(void)
{
    /* xorshift64* */
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545f4914f6cdd1dull;
}

static uint64_t below(uint64_t n)
{
    return n ? rnd() % n : 0;
}

static long hcall(uint32_t nr, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5)
{
    register uint64_t r1 __asm__("rdi") = a1;
    register uint64_t r2 __asm__("rsi") = a2;
    register uint64_t r3 __asm__("rdx") = a3;
    register uint64_t r4 __asm__("r10") = a4;
    register uint64_t r5 __asm__("r8") = a5;
    uint64_t ret = nr;

    __asm__ volatile("out %%eax, %[port]"
                     : "+a"(ret), "+r"(r1), "+r"(r2), "+r"(r3), "+r"(r4), "+r"(r5)
                     : [port] "i"(HYPERCALL_PORT)
                     : "memory", "r9", "rcx", "r11");
    return (long)ret;
}

static void count(int family, long rc)
{
    families[family].calls++;
    if (rc >= 0)
        families[family].ok++;
}

static uint64_t scratch_addr(void)
{
    return (uintptr_t)scratch + below(SCRATCH_PAGES * GK_PAGE_SIZE - 256);
}

/* A guest address of one of many kinds; none inside our image. */
static uint64_t pointer(void)
{
    switch (below(12)) {
    case 0:
    case 1:
        return scratch_addr();
    case 2:     /* a structure split across two of our pages */
        return (uintptr_t)scratch[1 + below(SCRATCH_PAGES - 2)] - 1 - below(48);
    case 3:     /* split across the end of RAM */
        return ram_top - 1 - below(48);
    case 4:     /* the hypervisor's special pages (console, xenstore rings) */
        return console_gfn * GK_PAGE_SIZE + below(GK_PAGE_SIZE);
    case 5:     /* canonical, but not mapped by our page tables */
        return 0xffff800000000000ull + below(1ull << 46);
    case 6:     /* not canonical */
        return 0x0000800000000000ull | rnd();
    case 7:     /* wraps around */
        return ~0ull - below(64);
    case 8:     /* the local APIC's MMIO page and the hole below 4 GiB */
        return below(2) ? 0xfee00000ull + below(GK_PAGE_SIZE) : 0xf0000000ull + below(1 << 24);
    case 9:     /* the end of the 4 GiB identity map */
        return 0x100000000ull - 1 - below(48);
    case 10:
        return rnd();
    default:
        return below(GK_PAGE_SIZE);     /* page zero: nothing of ours lives there */
    }
}

/* A guest frame the hypervisor may map things over or take away: never one of our image. */
static uint64_t frame(void)
{
    switch (below(8)) {
    case 0:
    case 1:
    case 2:
        return (uintptr_t)scratch[below(SCRATCH_PAGES)] / GK_PAGE_SIZE;
    case 3:
        return below(2) ? console_gfn : store_gfn;
    case 4:
        return ram_top / GK_PAGE_SIZE + below(4096);
    case 5:
        return 0xfee00;
    case 6:
        return (1ull << 40) - 1 - below(4);
    default:
        return rnd();
    }
}

static domid_t domain(void)
{
    static const domid_t some[] = { DOMID_SELF, 0, DOMID_IO, DOMID_XEN, DOMID_INVALID };

    switch (below(6)) {
    case 0:
        return self;
    case 1:
        return victim;
    case 2:
        return (domid_t)rnd();
    default:
        return some[below(sizeof(some) / sizeof(some[0]))];
    }
}

static uint32_t port(void)
{
    switch (below(4)) {
    case 0:
        return vport;
    case 1:
        return (uint32_t)below(16);
    case 2:
        return (uint32_t)below(1100);
    default:
        return (uint32_t)rnd();
    }
}

static uint64_t number(void)
{
    switch (below(4)) {
    case 0:
        return below(8);
    case 1:
        return below(70);
    case 2:
        return (uint64_t)-(int64_t)below(4);
    default:
        return rnd();
    }
}

/* Eight random bytes per step: every guest instruction costs ~0.4 us here. */
static void fill(void *p, size_t len)
{
    uint8_t *b = p;

    for (; len >= 8; len -= 8, b += 8) {
        uint64_t r = rnd();

        memcpy(b, &r, 8);
    }
    while (len--)
        *b++ = (uint8_t)rnd();
}

/* Where a structure goes: in scratch, sometimes straddling two pages. */
static void *slot(size_t len)
{
    uint8_t *p;

    if (below(3) == 0)
        p = scratch[1 + below(SCRATCH_PAGES - 2)] - 1 - below(len);
    else
        p = scratch[below(SCRATCH_PAGES - 1)] + below(GK_PAGE_SIZE - len);
    return p;
}

static uint64_t now(void)
{
    struct xen_hvm_get_time t = { 0 };

    HYPERVISOR_hvm_op(HVMOP_get_time, &t);
    return t.now;
}

static void fuzz_evtchn(void)
{
    union {
        struct evtchn_alloc_unbound au;
        struct evtchn_bind_interdomain bi;
        struct evtchn_bind_virq bv;
        struct evtchn_bind_ipi ip;
        struct evtchn_close cl;
        struct evtchn_status st;
        struct evtchn_bind_vcpu bc;
        struct evtchn_reset rs;
        uint8_t raw[32];
    } *u = slot(sizeof(*u));
    uint32_t cmd = below(8) ? (uint32_t)below(14) : (uint32_t)rnd();

    fill(u, sizeof(*u));
    switch (cmd) {
    case EVTCHNOP_alloc_unbound:
        u->au.dom = below(2) ? DOMID_SELF : domain();
        u->au.remote_dom = domain();
        break;
    case EVTCHNOP_bind_interdomain:
        u->bi.remote_dom = domain();
        u->bi.remote_port = port();
        break;
    case EVTCHNOP_bind_virq:
        u->bv.virq = (uint32_t)below(30);
        u->bv.vcpu = (uint32_t)below(3);
        break;
    case EVTCHNOP_bind_ipi:
        u->ip.vcpu = (uint32_t)number();
        break;
    case EVTCHNOP_close:
    case EVTCHNOP_send:
    case EVTCHNOP_unmask:
        u->cl.port = port();
        break;
    case EVTCHNOP_status:
        u->st.dom = domain();
        u->st.port = port();
        break;
    case EVTCHNOP_bind_vcpu:
        u->bc.port = port();
        u->bc.vcpu = (uint32_t)number();
        break;
    case EVTCHNOP_reset:
        u->rs.dom = domain();
        break;
    }
    count(F_EVTCHN, hcall(__HYPERVISOR_event_channel_op, cmd,
                          below(10) ? (uintptr_t)u : pointer(), 0, 0, 0));
}

/* Our own table: garbage entries whose frames are still ones we can afford. */
static void scribble_grants(struct grant_entry_v1 *table, unsigned int n)
{
    for (unsigned int i = 0; i < 8; i++) {
        struct grant_entry_v1 *e = &table[GNTTAB_NR_RESERVED_ENTRIES + below(n - 8)];

        e->flags = (uint16_t)rnd();
        e->domid = below(2) ? self : domain();
        e->frame = (uint32_t)frame();
    }
}

static void fuzz_gnttab(void)
{
    uint32_t cmd = below(8) ? (uint32_t)below(12) : (uint32_t)rnd();
    uint64_t arg = pointer(), nr = below(4) ? 1 : number();

    if (cmd == GNTTABOP_copy) {
        /* Mostly a few ops; sometimes a batch past the hypervisor's limit of 512. */
        unsigned int n = (unsigned int)(below(8) ? 1 + below(4) : below(600));
        unsigned int distinct = n < 8 ? n : 8;
        struct gnttab_copy *ops;

        if (n > 8 * GK_PAGE_SIZE / sizeof(*ops))
            n = 8 * GK_PAGE_SIZE / sizeof(*ops);
        ops = (struct gnttab_copy *)scratch[SCRATCH_PAGES - 8] - below(2);
        for (unsigned int i = 0; i < distinct; i++) {
            struct gnttab_copy_ptr *sides[2] = { &ops[i].source, &ops[i].dest };

            ops[i].flags = (uint16_t)(below(4) ? below(4) : rnd());
            ops[i].len = (uint16_t)(below(2) ? below(64) : rnd());
            for (unsigned int s = 0; s < 2; s++) {
                sides[s]->domid = domain();
                sides[s]->offset = (uint16_t)(below(2) ? below(GK_PAGE_SIZE) : rnd());
                if (below(2))
                    sides[s]->u.ref = (grant_ref_t)(below(2) ? below(600) : rnd());
                else
                    sides[s]->u.gmfn = frame();
            }
        }
        for (unsigned int i = distinct; i < n; i += distinct)
            memcpy(&ops[i], ops, (n - i < distinct ? n - i : distinct) * sizeof(*ops));
        arg = (uintptr_t)ops;
        nr = n;
    } else if (cmd == GNTTABOP_setup_table) {
        struct gnttab_setup_table *st = slot(sizeof(*st));

        st->dom = below(2) ? DOMID_SELF : domain();
        st->nr_frames = (uint32_t)(below(2) ? below(70) : rnd());
        set_xen_guest_handle(st->frame_list, (xen_pfn_t *)(uintptr_t)pointer());
        if (below(2))
            set_xen_guest_handle(st->frame_list, (xen_pfn_t *)(uintptr_t)scratch_addr());
        arg = (uintptr_t)st;
    } else if (below(2)) {
        uint8_t *p = slot(32);

        fill(p, 32);
        if (below(2))
            memcpy(p, &(domid_t){ DOMID_SELF }, sizeof(domid_t));
        arg = (uintptr_t)p;
    }
    count(F_GNTTAB, hcall(__HYPERVISOR_grant_table_op, cmd, arg, nr, 0, 0));
}

/* Where a second vCPU, if we have one, is sent: it halts forever. */
static _Noreturn void parked(void)
{
    for (;;)
        __asm__ volatile("cli; hlt");
}

static uint8_t park_stack[1024] __attribute__((aligned(16)));

/*
 * A start state for vCPU 1: mostly one it can live with (our page tables,
 * a halting loop), sometimes random registers in either mode.
 */
static void start_state(struct vcpu_hvm_context *ctx)
{
    struct vcpu_hvm_x86_64 *r = &ctx->cpu_regs.x86_64;

    if (below(4) == 0) {
        ctx->mode = (uint32_t)below(3);
        return;             /* the random bytes fill() left */
    }
    memset(ctx, 0, sizeof(*ctx));
    ctx->mode = VCPU_HVM_MODE_64B;
    r->cr0 = gk_read_cr0();
    r->cr3 = gk_read_cr3();
    r->cr4 = gk_read_cr4();
    r->efer = gk_rdmsr(0xc0000080u);
    r->rip = (uintptr_t)parked;
    r->rsp = (uintptr_t)park_stack + sizeof(park_stack);
    r->rflags = below(2) ? 2 : rnd();
}

static void fuzz_vcpu(void)
{
    uint32_t cmd = below(8) ? (uint32_t)below(16) : (uint32_t)rnd();
    uint64_t vcpu = below(4) ? below(2) : number();
    uint8_t *p = slot(sizeof(struct vcpu_hvm_context));
    uint64_t arg = below(4) ? pointer() : (uintptr_t)p;

    fill(p, sizeof(struct vcpu_hvm_context));
    switch (cmd) {
    case VCPUOP_down:
        if (vcpu == 0)
            vcpu = 1;       /* vCPU 0 would never come back */
        break;
    case VCPUOP_initialise:
        start_state((struct vcpu_hvm_context *)p);
        arg = (uintptr_t)p;
        break;
    case VCPUOP_set_singleshot_timer: {
        struct vcpu_set_singleshot_timer *t = (void *)p;

        t->timeout_abs_ns = below(2) ? now() + below(1000000) : rnd();
        t->flags = (uint32_t)below(3);
        arg = (uintptr_t)p;
        break;
    }
    case VCPUOP_set_periodic_timer: {
        struct vcpu_set_periodic_timer *t = (void *)p;

        t->period_ns = below(2) ? 1000000 + below(100000000) : rnd();
        arg = (uintptr_t)p;
        break;
    }
    case VCPUOP_register_vcpu_info: {
        /* It moves at most once, into memory we can spare; our clock then stands still. */
        struct vcpu_register_vcpu_info *r = (void *)p;

        r->mfn = frame();
        r->offset = (uint32_t)(below(2) ? below(GK_PAGE_SIZE) : rnd());
        r->rsvd = (uint32_t)below(2);
        arg = (uintptr_t)p;
        break;
    }
    case VCPUOP_register_runstate_memory_area: {
        struct vcpu_register_runstate_memory_area *r = (void *)p;

        r->addr.p = pointer();
        arg = (uintptr_t)p;
        break;
    }
    default:
        break;
    }
    count(F_VCPU, hcall(__HYPERVISOR_vcpu_op, cmd, vcpu, arg, 0, 0));
}

static void fuzz_hvm(void)
{
    uint64_t op = below(8) ? below(30) : rnd();
    union {
        struct xen_hvm_param param;
        struct xen_hvm_evtchn_upcall_vector vec;
        uint8_t raw[32];
    } *u = slot(sizeof(*u));

    fill(u, sizeof(*u));
    if (op == HVMOP_set_param || op == HVMOP_get_param) {
        u->param.domid = below(2) ? DOMID_SELF : domain();
        u->param.index = (uint32_t)(below(4) ? below(HVM_NR_PARAMS + 4) : rnd());
        if (u->param.index == HVM_PARAM_CALLBACK_IRQ && below(2))
            u->param.value = ((uint64_t)below(4) << 56) | below(256);
    } else if (op == HVMOP_set_evtchn_upcall_vector) {
        u->vec.vcpu = (uint32_t)number();
        u->vec.vector = (uint8_t)rnd();
    }
    count(F_HVM, hcall(__HYPERVISOR_hvm_op, op, below(8) ? (uintptr_t)u : pointer(), 0, 0, 0));
}

static void fuzz_memory(void)
{
    static const uint32_t cmds[] = {
        XENMEM_add_to_physmap, XENMEM_remove_from_physmap, XENMEM_memory_map,
        XENMEM_current_reservation, XENMEM_maximum_reservation, XENMEM_maximum_gpfn,
        XENMEM_maximum_ram_page, XENMEM_increase_reservation, XENMEM_decrease_reservation,
        XENMEM_populate_physmap, XENMEM_exchange, XENMEM_add_to_physmap_batch,
    };
    uint32_t cmd = cmds[below(sizeof(cmds) / sizeof(cmds[0]))];
    uint64_t arg;

    switch (cmd) {
    case XENMEM_add_to_physmap: {
        struct xen_add_to_physmap *x = slot(sizeof(*x));

        x->domid = below(4) ? DOMID_SELF : domain();
        x->space = (unsigned int)(below(4) ? below(2) : below(8));
        x->size = (uint16_t)rnd();
        x->idx = below(2) ? below(70) : rnd();
        x->gpfn = frame();
        arg = (uintptr_t)x;
        break;
    }
    case XENMEM_remove_from_physmap: {
        struct xen_remove_from_physmap *x = slot(sizeof(*x));

        x->domid = below(4) ? DOMID_SELF : domain();
        x->gpfn = frame();
        arg = (uintptr_t)x;
        break;
    }
    case XENMEM_memory_map: {
        struct xen_memory_map *m = slot(sizeof(*m));

        m->nr_entries = (unsigned int)number();
        set_xen_guest_handle(m->buffer, (void *)(uintptr_t)(below(2) ? scratch_addr()
                                                                      : pointer()));
        arg = (uintptr_t)m;
        break;
    }
    case XENMEM_add_to_physmap_batch:
    case XENMEM_exchange:
        /* Unsupported here; their arrays would name frames of ours. */
        arg = pointer();
        break;
    default: {
        uint8_t *p = slot(16);

        fill(p, 16);
        if (below(2))
            memcpy(p, &(domid_t){ DOMID_SELF }, sizeof(domid_t));
        arg = below(4) ? (uintptr_t)p : pointer();
        break;
    }
    }
    /* The bits above the command carry a start index for continuations: garbage there too. */
    if (below(4) == 0)
        cmd |= (uint32_t)rnd() << 6;
    count(F_MEM, hcall(__HYPERVISOR_memory_op, cmd, arg, 0, 0, 0));
}

static void fuzz_sched(void)
{
    uint64_t cmd = below(8) ? below(12) : rnd();
    uint64_t arg = pointer();

    switch (cmd) {
    case SCHEDOP_block:
    case SCHEDOP_shutdown:
        cmd = SCHEDOP_yield;
        break;
    case SCHEDOP_poll: {
        struct sched_poll *p = slot(sizeof(*p));
        evtchn_port_t *ports = slot(140 * sizeof(*ports));

        p->nr_ports = (unsigned int)(below(4) ? below(140) : rnd());
        for (unsigned int i = 0; i < p->nr_ports && i < 140; i++)
            ports[i] = port();
        set_xen_guest_handle(p->ports, below(8) ? ports : (evtchn_port_t *)(uintptr_t)pointer());
        /* Never 0 (no limit): nothing would wake us. */
        p->timeout = now() + 1 + below(200000);
        arg = (uintptr_t)p;
        break;
    }
    case SCHEDOP_shutdown_code:
    case SCHEDOP_remote_shutdown: {
        uint8_t *p = slot(16);

        fill(p, 16);
        arg = (uintptr_t)p;
        break;
    }
    default:
        break;
    }
    count(F_SCHED, hcall(__HYPERVISOR_sched_op, cmd, arg, 0, 0, 0));
    if (below(16) == 0)
        count(F_SCHED, hcall(__HYPERVISOR_set_timer_op, below(2) ? now() + below(1000000)
                                                                 : rnd(), 0, 0, 0, 0));
}

/* Garbage indexes (and bytes) in our console ring, then a kick on its channel. */
static void fuzz_console(void)
{
    struct xencons_interface *ring = (void *)(uintptr_t)(console_gfn * GK_PAGE_SIZE);

    if (below(2)) {
        /* The identity map covers the first 4 GiB. */
        if (console_gfn && console_gfn < (1ull << 32) / GK_PAGE_SIZE) {
            ring->out_cons = (uint32_t)(below(2) ? rnd() : below(4096));
            ring->out_prod = (uint32_t)(below(2) ? rnd() : ring->out_cons + below(3000));
            ring->in_cons = (uint32_t)rnd();
            ring->in_prod = (uint32_t)rnd();
            fill(ring->out, 64);
        }
        count(F_CONSOLE, hcall(__HYPERVISOR_event_channel_op, EVTCHNOP_send,
                               (uintptr_t)&(struct evtchn_send){ .port = console_port }, 0, 0,
                               0));
        return;
    }
    /* console_io: short writes mostly (they land in the log), reads, unknown commands. */
    count(F_CONSOLE, hcall(__HYPERVISOR_console_io, below(4) ? CONSOLEIO_write : number(),
                           below(16) ? below(64) : rnd(), below(2) ? scratch_addr() : pointer(),
                           0, 0));
}

/* A #GP from an MSR access we made on purpose: skip the 2-byte instruction. */
static bool msr_fault(struct gk_trap_frame *f)
{
    const uint8_t *insn = (const uint8_t *)(uintptr_t)f->rip;

    if (insn[0] != 0x0f || (insn[1] != 0x30 && insn[1] != 0x32))
        return false;
    gps++;
    f->rip += 2;
    return true;
}

static bool nmi(struct gk_trap_frame *f)
{
    (void)f;
    nmis++;
    return true;
}

static void fuzz_io(void)
{
    uint64_t v = 0;

    switch (below(8)) {
    case 0:     /* the hypercall port, wrong sizes and directions */
        __asm__ volatile("outb %%al, %1" : : "a"((uint8_t)rnd()), "i"(HYPERCALL_PORT));
        break;
    case 1:
        __asm__ volatile("outw %%ax, %1" : : "a"((uint16_t)rnd()), "i"(HYPERCALL_PORT));
        break;
    case 2:
        __asm__ volatile("inl %1, %%eax" : "=a"(v) : "i"(HYPERCALL_PORT));
        break;
    case 3: {   /* a string write to it: a repeat count, not one hypercall */
        const void *src = scratch[0];
        size_t n = 2 + below(4);

        __asm__ volatile("rep outsl" : "+S"(src), "+c"(n) : "d"(HYPERCALL_PORT) : "memory");
        break;
    }
    case 4:     /* MSRs nobody implements (KVM's Hyper-V range below 0x40000200 is avoided) */
        v = gk_rdmsr(XEN_MSR_ALT + (uint32_t)below(0x100));
        break;
    case 5:
        gk_wrmsr(XEN_MSR_ALT + (uint32_t)below(0x100), rnd());
        break;
    case 6: {   /* the hypercall MSR: our page again, or an address it must refuse */
        static const uint64_t bad[] = { 1, 0xfee00000, 0xfffffffffffff000ull, 0x100000001ull };

        gk_wrmsr(XEN_MSR_BASE, below(2) ? (uintptr_t)gk_hypercall_page
                                        : bad[below(sizeof(bad) / sizeof(bad[0]))]);
        break;
    }
    default:    /* the debug console, read */
        v = gk_inb(0xe9);
        break;
    }
    (void)v;
    count(F_IO, 0);
}

/* Any number, random registers (pointers of every kind among them). */
static void fuzz_raw(void)
{
    uint64_t a[5];
    uint32_t nr = below(4) ? (uint32_t)below(64) : (uint32_t)rnd();

    for (unsigned int i = 0; i < 5; i++)
        a[i] = below(2) ? pointer() : number();
    /* Sub-operations that would end or wedge us, or rewrite our image, get a structured turn. */
    switch (nr) {
    case __HYPERVISOR_sched_op:
        fuzz_sched();
        return;
    case __HYPERVISOR_vcpu_op:
        fuzz_vcpu();
        return;
    case __HYPERVISOR_memory_op:
        fuzz_memory();
        return;
    case __HYPERVISOR_grant_table_op:
        fuzz_gnttab();
        return;
    default:
        break;
    }
    count(F_RAW, hcall(nr, a[0], a[1], a[2], a[3], a[4]));
}

/* Direct attempts on the victim: none may work. */
static void attack_victim(void)
{
    struct evtchn_bind_interdomain bi = { .remote_dom = victim, .remote_port = vport };
    int rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_interdomain, &bi);

    GT_CHECK(rc < 0, "bound the victim's port %u offered to dom0", vport);
    for (grant_ref_t ref = 0; ref < 16; ref++) {
        int r = gk_grant_copy_from(victim, ref, 0, scratch[2], 64);

        GT_CHECK(r < 0, "copied the victim's grant %u", ref);
    }
}

static void find_ram_top(void)
{
    const struct hvm_start_info *si = gk_start_info();
    const struct hvm_memmap_table_entry *map = (const void *)(uintptr_t)si->memmap_paddr;

    for (uint32_t i = 0; i < si->memmap_entries; i++)
        if (map[i].type == XEN_HVM_MEMMAP_TYPE_RAM && map[i].addr + map[i].size > ram_top)
            ram_top = map[i].addr + map[i].size;
}

static uint64_t param(uint32_t index)
{
    struct xen_hvm_param p = { .domid = DOMID_SELF, .index = index };

    return HYPERVISOR_hvm_op(HVMOP_get_param, &p) == 0 ? p.value : 0;
}

int main(int argc, char **argv)
{
    unsigned long calls = gt_arg_num(argc, argv, "calls", 5000);
    struct xen_add_to_physmap map = { .domid = DOMID_SELF, .space = XENMAPSPACE_grant_table };
    unsigned long i;

    rng = gt_arg_num(argc, argv, "seed", 1) * 0x9e3779b97f4a7c15ull | 1;
    victim = (domid_t)gt_arg_num(argc, argv, "victim", DOMID_INVALID);
    vport = (evtchn_port_t)gt_arg_num(argc, argv, "vport", 0);
    self = gk_domid();
    find_ram_top();
    console_gfn = param(HVM_PARAM_CONSOLE_PFN);
    store_gfn = param(HVM_PARAM_STORE_PFN);
    console_port = (evtchn_port_t)param(HVM_PARAM_CONSOLE_EVTCHN);
    gk_trap_set_handler(GK_TRAP_NMI, nmi);
    gk_trap_set_handler(GK_TRAP_GENERAL_PROTECTION, msr_fault);
    fill(scratch, sizeof(scratch));
    printf("hostile: seed %lu, %lu calls, RAM ends at %#lx, console ring %#lx port %u, "
           "victim %u port %u\n", gt_arg_num(argc, argv, "seed", 1), calls, ram_top, console_gfn,
           console_port, victim, vport);

    attack_victim();
    /* Our grant table where we can scribble on it. */
    map.gpfn = (uintptr_t)scratch[SCRATCH_PAGES - 1] / GK_PAGE_SIZE;
    GT_CHECK(HYPERVISOR_memory_op(XENMEM_add_to_physmap, &map) == 0, "map grant frame 0");

    for (i = 0; i < calls; i++) {
        switch (below(10)) {
        case 0:
        case 1:
            fuzz_raw();
            break;
        case 2:
            fuzz_evtchn();
            break;
        case 3:
            fuzz_gnttab();
            if (below(4) == 0)
                scribble_grants((void *)scratch[SCRATCH_PAGES - 1], 512);
            break;
        case 4:
            fuzz_vcpu();
            break;
        case 5:
            fuzz_hvm();
            break;
        case 6:
            fuzz_memory();
            break;
        case 7:
            fuzz_sched();
            break;
        case 8:
            fuzz_console();
            break;
        default:
            fuzz_io();
            break;
        }
        if ((i + 1) % PROGRESS_EVERY == 0)
            printf("hostile: progress %lu/%lu\n", i + 1, calls);
    }

    attack_victim();
    /* The hypervisor still answers us properly. */
    GT_CHECK(HYPERVISOR_xen_version(XENVER_version, NULL) == (4 << 16 | 17), "xen_version");
    for (int f = 0; f < F_MAX; f++)
        printf("hostile: %-8s %6lu calls, %6lu succeeded\n", families[f].name, families[f].calls,
               families[f].ok);
    printf("hostile: %lu NMIs, %lu #GPs from MSR accesses\n", nmis, gps);
    printf("hostile: completed %lu calls\n", i);
    return gt_finish("hostile");
}
