/* trap_stubs.S: the IDT and the exception entry stubs that build a struct gk_trap_frame. */
/* SPDX-License-Identifier: MIT */
#include "arch.h"

/*
 * Each stub makes the stack look the same whatever the vector: a zero
 * error code where the CPU pushes none, then the vector number. A stub
 * is at most 9 bytes, so with .balign 16 stub n sits at base + 16 * n.
 */
    .macro trap_stub vec
    .balign 16
    .if ((GK_TRAP_ERRCODE_MASK >> \vec) & 1) == 0
    push $0
    .endif
    push $\vec
    jmp trap_common
    .endm

    .text
    /* 512-aligned, the 32 stubs share address bits 9 and up (see the IDT below). */
    .balign 512
    .globl gk_trap_stub_base
gk_trap_stub_base:
    .irp vec, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    trap_stub \vec
    .endr

/*
 * The CPU aligned %rsp to 16 before pushing its 5-word frame; with the
 * error code, the vector and 15 registers the total is 22 words, so the
 * call below is made on a 16-byte aligned stack, as the ABI wants.
 * Register order must match struct gk_trap_frame (guest-kit/traps.h).
 */
trap_common:
    push %rax
    push %rbx
    push %rcx
    push %rdx
    push %rsi
    push %rdi
    push %rbp
    push %r8
    push %r9
    push %r10
    push %r11
    push %r12
    push %r13
    push %r14
    push %r15
    cld
    mov %rsp, %rdi
    call gk_trap_dispatch
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %r11
    pop %r10
    pop %r9
    pop %r8
    pop %rbp
    pop %rdi
    pop %rsi
    pop %rdx
    pop %rcx
    pop %rbx
    pop %rax
    add $16, %rsp               /* vector and error code */
    iretq

/*
 * The event-channel upcall (GK_UPCALL_VECTOR). Only the registers a C
 * function may clobber are saved: 9 words on the CPU's 5-word frame, so
 * the call is again made on a 16-byte aligned stack.
 */
    .globl gk_upcall_entry
    .type gk_upcall_entry, @function
gk_upcall_entry:
    push %rax
    push %rcx
    push %rdx
    push %rsi
    push %rdi
    push %r8
    push %r9
    push %r10
    push %r11
    cld
    call gk_evtchn_irq
    pop %r11
    pop %r10
    pop %r9
    pop %r8
    pop %rdi
    pop %rsi
    pop %rdx
    pop %rcx
    pop %rax
    iretq
    .size gk_upcall_entry, . - gk_upcall_entry

/* The APIC's spurious vector: nothing to do, and no EOI is owed for it. */
    .globl gk_spurious_entry
    .type gk_spurious_entry, @function
gk_spurious_entry:
    iretq
    .size gk_spurious_entry, . - gk_spurious_entry

/*
 * The IDT is data, not built at boot: filling it in a loop costs half a
 * millisecond under KVM's emulator. A gate splits the handler address
 * into three fields, which no relocation can do to a symbol; the linker
 * script computes the pieces of gk_trap_stub_base (gk_trap_stub_lo16,
 * _mid16, _hi32) and stub n only adds 16 * n to the low piece. Vectors 32
 * and up stay absent (delivering one raises #NP) until gk_idt_set_gate()
 * fills them (irq.c).
 */
    .data
    .balign 16
    .globl gk_idt
gk_idt:
    .irp vec, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    .word gk_trap_stub_lo16 + 16 * \vec
    .word GK_SEL_CODE64
    .byte 0                     /* no IST: exceptions run on the current stack */
    .byte GK_IDT_INTERRUPT_GATE
    .word gk_trap_stub_mid16
    .long gk_trap_stub_hi32
    .long 0
    .endr
    .fill (GK_IDT_ENTRIES - 32) * 16, 1, 0
gk_idt_end:

    .section .rodata
    .balign 2
    .globl gk_idt_ptr
gk_idt_ptr:
    .word gk_idt_end - gk_idt - 1
    .quad gk_idt

    .section .note.GNU-stack, "", @progbits
