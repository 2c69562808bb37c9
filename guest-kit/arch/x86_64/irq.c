/* irq.c: the local APIC, IDT gates for interrupt vectors, the per-CPU base register. */
/* SPDX-License-Identifier: MIT */
#include <guest-kit/guest-kit.h>

#include "../../internal.h"
#include "arch.h"

/*
 * The local APIC is KVM's in-kernel one at its reset address; the identity
 * map covers it, so its registers are plain MMIO. Events come as MSIs the
 * hypervisor sends to an APIC that software has enabled: a disabled one
 * drops them.
 */
#define LAPIC_BASE      0xfee00000ul
#define LAPIC_TPR       0x080
#define LAPIC_EOI       0x0b0
#define LAPIC_SVR       0x0f0
#define LAPIC_SVR_ENABLE 0x100

#define MSR_GS_BASE     0xc0000101u

struct idt_gate {
    uint16_t offset_lo;
    uint16_t selector;
    uint8_t ist;
    uint8_t type;
    uint16_t offset_mid;
    uint32_t offset_hi;
    uint32_t reserved;
};

_Static_assert(sizeof(struct idt_gate) == 16, "an IDT gate is 16 bytes in long mode");

extern struct idt_gate gk_idt[GK_IDT_ENTRIES];

static void lapic_write(unsigned int reg, uint32_t value)
{
    *(volatile uint32_t *)(LAPIC_BASE + reg) = value;
}

void gk_lapic_enable(void)
{
    lapic_write(LAPIC_TPR, 0);
    lapic_write(LAPIC_SVR, LAPIC_SVR_ENABLE | GK_SPURIOUS_VECTOR);
}

/* Software-disables the local APIC: KVM drops what is sent to it meanwhile (tests use this). */
void gk_lapic_disable(void)
{
    lapic_write(LAPIC_SVR, GK_SPURIOUS_VECTOR);
}

void gk_lapic_eoi(void)
{
    lapic_write(LAPIC_EOI, 0);
}

/* The IDT is shared by every vCPU; gates are filled before their vector can arrive. */
void gk_idt_set_gate(unsigned int vector, void (*entry)(void))
{
    uintptr_t a = (uintptr_t)entry;
    volatile struct idt_gate *g = &gk_idt[vector];

    g->offset_lo = (uint16_t)a;
    g->selector = GK_SEL_CODE64;
    g->ist = 0;
    g->offset_mid = (uint16_t)(a >> 16);
    g->offset_hi = (uint32_t)(a >> 32);
    g->reserved = 0;
    g->type = GK_IDT_INTERRUPT_GATE;
}

void gk_set_gs_base(struct gk_cpu *cpu)
{
    gk_wrmsr(MSR_GS_BASE, (uintptr_t)cpu);
}
