/* smp.c: per-CPU records and bringing up the secondary vCPUs (VCPUOP_initialise, VCPUOP_up). */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <xen/hvm/hvm_vcpu.h>
#include <xen/vcpu.h>

#include <guest-kit/guest-kit.h>

#include "../internal.h"

#define AP_STACK_SIZE   0x8000
#define MSR_EFER        0xc0000080u

/* Called from entry.S only. */
_Noreturn void gk_ap_start(struct gk_cpu *cpu);

static struct gk_cpu cpu0;
static struct gk_cpu *cpus[GK_MAX_CPUS];
static unsigned int nr_online = 1;
static bool smp_started;

void gk_cpu_boot_init(void)
{
    cpu0.self = &cpu0;
    cpu0.online = true;
    cpus[0] = &cpu0;
    gk_set_gs_base(&cpu0);
}

void gk_cpu_boot_identify(uint32_t vcpu_id)
{
    /* vCPU 0 boots; an id beyond the legacy vcpu_info array would have no time record. */
    if (vcpu_id >= GK_MAX_CPUS)
        gk_panic("booted on vCPU %u; guest-kit handles vCPUs 0..%u", vcpu_id, GK_MAX_CPUS - 1);
    cpu0.id = vcpu_id;
    cpu0.vcpu_info = &gk_shared_info()->vcpu_info[vcpu_id];
}

uint32_t gk_vcpu_id(void)
{
    return gk_this_cpu()->id;
}

unsigned int gk_smp_cpus(void)
{
    return __atomic_load_n(&nr_online, __ATOMIC_ACQUIRE);
}

struct gk_cpu *gk_cpu(unsigned int id)
{
    struct gk_cpu *cpu = id < GK_MAX_CPUS ? __atomic_load_n(&cpus[id], __ATOMIC_ACQUIRE) : NULL;

    return cpu && __atomic_load_n(&cpu->online, __ATOMIC_ACQUIRE) ? cpu : NULL;
}

int gk_smp_kick(unsigned int id)
{
    struct gk_cpu *cpu = id < GK_MAX_CPUS ? __atomic_load_n(&cpus[id], __ATOMIC_ACQUIRE) : NULL;

    if (!cpu || !cpu->ipi_port)
        return -EINVAL;
    return gk_evtchn_send(cpu->ipi_port);
}

/* The kick IPI only ends a gk_block(); the woken code looks at its own state. */
static void kick_handler(evtchn_port_t port, void *arg)
{
    (void)port;
    (void)arg;
}

static int bind_kick(struct gk_cpu *cpu)
{
    int port = gk_evtchn_bind_ipi(cpu->id, kick_handler, NULL);

    if (port < 0)
        return port;
    cpu->ipi_port = (evtchn_port_t)port;
    return 0;
}

/* Secondary vCPUs wait here for work from gk_smp_call(). */
_Noreturn static void idle_loop(struct gk_cpu *cpu)
{
    for (;;) {
        void (*fn)(void *);

        gk_wait_event(__atomic_load_n(&cpu->call_fn, __ATOMIC_ACQUIRE));
        fn = cpu->call_fn;
        fn(cpu->call_arg);
        __atomic_store_n(&cpu->call_fn, NULL, __ATOMIC_RELAXED);
        __atomic_store_n(&cpu->call_busy, false, __ATOMIC_RELEASE);
        gk_smp_kick(cpu->call_from);
    }
}

_Noreturn void gk_ap_start(struct gk_cpu *cpu)
{
    int rc = gk_evtchn_cpu_init(cpu);

    if (rc < 0)
        gk_panic("vCPU %u: cannot set up events (error %d)", cpu->id, rc);
    __atomic_store_n(&cpu->online, true, __ATOMIC_RELEASE);
    __atomic_fetch_add(&nr_online, 1, __ATOMIC_ACQ_REL);
    gk_smp_kick(0);
    gk_irq_enable();
    idle_loop(cpu);
}

/* vCPUs exist up to the first id the hypervisor does not know. */
static unsigned int count_vcpus(void)
{
    unsigned int n = 1;

    while (n < GK_MAX_CPUS && HYPERVISOR_vcpu_op(VCPUOP_is_up, n, NULL) >= 0)
        n++;
    return n;
}

static int start_cpu(unsigned int id)
{
    struct gk_cpu *cpu = calloc(1, sizeof(*cpu));
    struct vcpu_hvm_context ctx = { .mode = VCPU_HVM_MODE_64B };
    struct vcpu_hvm_x86_64 *r = &ctx.cpu_regs.x86_64;
    int rc;

    if (!cpu)
        return -ENOMEM;
    cpu->stack = aligned_alloc(16, AP_STACK_SIZE);
    if (!cpu->stack) {
        free(cpu);
        return -ENOMEM;
    }
    cpu->self = cpu;
    cpu->id = id;
    cpu->vcpu_info = &gk_shared_info()->vcpu_info[id];
    rc = bind_kick(cpu);
    if (rc < 0)
        goto fail;
    __atomic_store_n(&cpus[id], cpu, __ATOMIC_RELEASE);

    /* Our own paging state: the secondary shares the boot page tables. */
    r->cr0 = gk_read_cr0();
    r->cr3 = gk_read_cr3();
    r->cr4 = gk_read_cr4();
    r->efer = gk_rdmsr(MSR_EFER);
    r->rflags = 0x2;
    r->rip = (uintptr_t)gk_ap_entry;
    r->rsp = (uintptr_t)cpu->stack + AP_STACK_SIZE;
    r->rdi = (uintptr_t)cpu;
    rc = HYPERVISOR_vcpu_op(VCPUOP_initialise, id, &ctx);
    if (rc == 0)
        rc = HYPERVISOR_vcpu_op(VCPUOP_up, id, NULL);
    if (rc < 0)
        goto fail_bound;
    gk_wait_event(__atomic_load_n(&cpu->online, __ATOMIC_ACQUIRE));
    return 0;

fail_bound:
    __atomic_store_n(&cpus[id], NULL, __ATOMIC_RELEASE);
    gk_evtchn_close(cpu->ipi_port);
fail:
    free(cpu->stack);
    free(cpu);
    return rc;
}

int gk_smp_init(void)
{
    unsigned int n;
    int rc;

    if (smp_started)
        return (int)gk_smp_cpus();
    if (gk_vcpu_id() != 0)
        return -EINVAL;
    rc = gk_evtchn_init();
    if (rc < 0)
        return rc;
    if (!cpu0.ipi_port && (rc = bind_kick(&cpu0)) < 0)
        return rc;
    smp_started = true;
    n = count_vcpus();
    for (unsigned int id = 1; id < n; id++) {
        rc = start_cpu(id);
        if (rc < 0) {
            printf("guest-kit: vCPU %u did not come up (error %d); going on with %u\n",
                   id, rc, gk_smp_cpus());
            break;
        }
    }
    return (int)gk_smp_cpus();
}

int gk_smp_call(unsigned int id, void (*fn)(void *arg), void *arg)
{
    struct gk_cpu *cpu = gk_cpu(id);
    bool idle = false;

    if (!cpu || cpu == gk_this_cpu() || !fn)
        return -EINVAL;
    if (!__atomic_compare_exchange_n(&cpu->call_busy, &idle, true, false, __ATOMIC_ACQUIRE,
                                     __ATOMIC_RELAXED))
        return -EBUSY;
    cpu->call_arg = arg;
    cpu->call_from = gk_vcpu_id();
    __atomic_store_n(&cpu->call_fn, fn, __ATOMIC_RELEASE);
    return gk_smp_kick(id);
}

void gk_smp_wait(unsigned int id)
{
    struct gk_cpu *cpu = gk_cpu(id);

    if (cpu)
        gk_wait_event(!__atomic_load_n(&cpu->call_busy, __ATOMIC_ACQUIRE));
}
