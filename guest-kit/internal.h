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
void gk_shared_info_init(void);                         /* kernel/xen.c */
void gk_mm_init(const struct hvm_start_info *si);       /* kernel/mm.c */

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
