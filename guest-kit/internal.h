/* internal.h: interfaces between guest-kit's own files; not installed. */
/* SPDX-License-Identifier: MIT */
#ifndef GUEST_KIT_INTERNAL_H
#define GUEST_KIT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xen/hvm/start_info.h>

/*
 * Zeroing .bss at boot costs ~0.6 us per 8 bytes under KVM's emulator:
 * buffers whose contents are only read after being written go here.
 */
#define GK_NOINIT __attribute__((section(".bss.noinit")))

/* Start-up, in the order kernel/start.c runs it. */
_Noreturn void gk_start(uint32_t start_info_paddr);
int gk_hypercall_init(void);                            /* arch: CPUID, hypercall MSR */
bool gk_hypercall_ready(void);
uint32_t gk_boot_vcpu_id(void);                         /* from CPUID, at gk_hypercall_init() */
void gk_shared_info_init(void);                         /* kernel/xen.c */
void gk_mm_init(const struct hvm_start_info *si);       /* kernel/mm.c */

/* Per-CPU data: vCPU 0's record, %gs pointing at it, from the first instruction of C. */
struct gk_cpu;
void gk_cpu_boot_init(void);                            /* kernel/smp.c */
void gk_cpu_boot_identify(uint32_t vcpu_id);            /* once CPUID and shared_info are known */
void gk_set_gs_base(struct gk_cpu *cpu);                /* arch */

/* Interrupts (arch/x86_64/irq.c): the local APIC and IDT gates. */
void gk_lapic_enable(void);
void gk_lapic_disable(void);
void gk_lapic_eoi(void);
void gk_idt_set_gate(unsigned int vector, void (*entry)(void));
/* Entry stubs (trap_stubs.S) and the secondary vCPUs' entry (entry.S). */
void gk_upcall_entry(void);
void gk_spurious_entry(void);
void gk_ap_entry(void);

/* Events (kernel/events.c): per-vCPU set-up, and the upcall's work with interrupts off. */
int gk_evtchn_cpu_init(struct gk_cpu *cpu);
void gk_evtchn_do_upcall(void);
bool gk_evtchn_ready(void);
/*
 * Run by gk_block() on vCPU 0 after each wait, outside event handlers:
 * xenbus delivers its watch events from here. While gk_idle_pending()
 * says work is waiting, gk_block() runs the hook instead of sleeping.
 */
extern void (*gk_idle_hook)(void);
extern bool (*gk_idle_pending)(void);
/* Start-up: xenbus connects on first use (kernel/xenbus.c). */
void gk_xenbus_init_lazy(void);

/*
 * The console lock (kernel/console.c), also held across one printf() so
 * that its pieces stay together. It nests on the same vCPU: a fault
 * while printing can still report itself.
 */
unsigned long gk_console_lock(void);
void gk_console_unlock(unsigned long flags);

/* The kernel image's bounds (linker script). */
extern char __gk_image_start[], __gk_image_end[];

/* The longest command line read from boot data, NUL included. */
#define GK_CMDLINE_MAX 4096

/*
 * A pointer to `len` bytes of boot data (start info, memory map, modules)
 * at `paddr`; panics naming `what` if the range is not mapped.
 */
const void *gk_boot_data(uint64_t paddr, uint64_t len, const char *what);

/* The length of a string in boot data, read no further than GK_CMDLINE_MAX - 1 bytes. */
size_t gk_boot_strlen(uint64_t paddr, const char *what);

/* Memory reachable through the page tables: [0, limit) identity-mapped. */
uint64_t gk_paging_limit(void);
/* Extends the identity map towards `top` where the CPU allows; returns the new limit. */
uint64_t gk_paging_extend(uint64_t top);

/* The heap (lib/malloc.c) takes memory a region at a time. */
void gk_heap_add(uintptr_t base, size_t len);

/*
 * Crash paths (panic, fatal exceptions) call this first: a second crash
 * while one is being reported stops the domain at once.
 */
void gk_crash_enter(void);

/* printf's output: gathered into lines, each sent with one hypercall. */
void gk_console_put(const char *s, size_t n);

/* Prints without the console line buffer, for failure paths. */
void gk_console_write_direct(const char *buf, size_t len);

#endif /* GUEST_KIT_INTERNAL_H */
