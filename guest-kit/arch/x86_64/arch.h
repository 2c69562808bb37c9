/* arch.h: x86-64 constants shared by guest-kit's assembly and C arch code. */
/* SPDX-License-Identifier: MIT */
#ifndef GUEST_KIT_ARCH_X86_64_H
#define GUEST_KIT_ARCH_X86_64_H

/* GDT selectors (entry.S builds the table). */
#define GK_SEL_CODE64       0x08
#define GK_SEL_DATA         0x10

#define GK_CR0_WP           0x00010000
#define GK_CR0_PG           0x80000000
#define GK_CR4_PAE          0x00000020
#define GK_MSR_EFER         0xc0000080
#define GK_EFER_LME         0x00000100

#define GK_PTE_PRESENT      0x001
#define GK_PTE_WRITE        0x002
#define GK_PTE_LARGE        0x080

/* The boot page tables map this much with 2 MiB pages (pagetables.S). */
#define GK_BOOT_MAP_GIB     4

#define GK_BOOT_STACK_SIZE  0x10000

/* The IDT (trap_stubs.S): gates for the 32 exceptions, room for all vectors. */
#define GK_IDT_ENTRIES          256
#define GK_IDT_INTERRUPT_GATE   0x8e    /* present, DPL 0, 64-bit interrupt gate */

/* Exceptions that push an error code (bit n set for vector n). */
#define GK_TRAP_ERRCODE_MASK 0x60227d00

#ifndef __ASSEMBLER__
#include <stdint.h>

/* The boot PDPT: entries beyond GK_BOOT_MAP_GIB are free for 1 GiB mappings. */
extern uint64_t gk_boot_pdpt[512];
#endif

#endif /* GUEST_KIT_ARCH_X86_64_H */
