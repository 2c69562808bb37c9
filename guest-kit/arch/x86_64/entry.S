/* entry.S: the PVH entry point: 32-bit protected mode to long mode, then gk_start(). */
/* SPDX-License-Identifier: MIT */
#include <xen/elfnote.h>

#include "arch.h"

/*
 * Xen's loaders find the entry point in a "Xen" ELF note. The descriptor
 * is the physical address where the vCPU starts, in 32-bit protected mode
 * with paging off and %ebx pointing at struct hvm_start_info.
 */
    .section .note.Xen, "a", @note
    .balign 4
    .long 4, 4, XEN_ELFNOTE_PHYS32_ENTRY
    .asciz "Xen"
    .long gk_pvh_entry

    .balign 4
    .long 4, 2f - 1f, XEN_ELFNOTE_GUEST_OS
    .asciz "Xen"
1:  .asciz "guest-kit"
2:  .balign 4

    .section .text.entry, "ax"
    .code32
    .globl gk_pvh_entry
    .type gk_pvh_entry, @function
gk_pvh_entry:
    cli
    cld
    /* %ebx (start info) is left alone until it becomes gk_start's argument. */
    mov %cr4, %eax
    or $GK_CR4_PAE, %eax
    mov %eax, %cr4
    mov $gk_boot_pml4, %eax
    mov %eax, %cr3
    mov $GK_MSR_EFER, %ecx
    rdmsr
    or $GK_EFER_LME, %eax
    wrmsr
    mov %cr0, %eax
    or $(GK_CR0_PG | GK_CR0_WP), %eax
    mov %eax, %cr0
    lgdt gk_gdt_ptr
    ljmp $GK_SEL_CODE64, $long_mode
    .size gk_pvh_entry, . - gk_pvh_entry

    .code64
long_mode:
    mov $GK_SEL_DATA, %eax
    mov %eax, %ds
    mov %eax, %es
    mov %eax, %ss
    xor %eax, %eax
    mov %eax, %fs
    mov %eax, %gs
    mov $gk_boot_stack + GK_BOOT_STACK_SIZE, %rsp
    lidt gk_idt_ptr             /* from here on a fault is reported, not a triple fault */

    /*
     * Zero .bss with one string instruction: KVM's emulator runs it far
     * faster than a loop. The linker script keeps the bounds 8-aligned.
     */
    mov $__bss_start, %edi
    mov $__bss_end, %ecx
    sub %edi, %ecx
    shr $3, %ecx
    rep stosq

    xor %ebp, %ebp              /* ends backtraces */
    mov %ebx, %edi              /* zero-extends: the upper half is undefined here */
    call gk_start
    ud2

/*
 * Secondary vCPUs start here (VCPUOP_initialise, 64-bit mode) on the boot
 * page tables, with %rsp at the top of their stack and %rdi pointing at
 * their struct gk_cpu. The hypervisor's flat segments use its own
 * selectors, which mean nothing in our GDT: load ours, reload every
 * segment register (%cs with a far return), then the IDT and %gs's base.
 */
    .text
    .globl gk_ap_entry
    .type gk_ap_entry, @function
gk_ap_entry:
    cli
    cld
    lgdt gk_gdt_ptr
    mov $GK_SEL_DATA, %eax
    mov %eax, %ds
    mov %eax, %es
    mov %eax, %ss
    xor %eax, %eax
    mov %eax, %fs
    mov %eax, %gs
    pushq $GK_SEL_CODE64
    lea 1f(%rip), %rax
    push %rax
    lretq
1:  lidt gk_idt_ptr
    mov %rdi, %rbx              /* callee-saved: the argument survives the call below */
    call gk_set_gs_base
    mov %rbx, %rdi
    xor %ebp, %ebp              /* ends backtraces */
    call gk_ap_start
    ud2
    .size gk_ap_entry, . - gk_ap_entry

/*
 * Flat 64-bit code and data. The accessed bits are preset so the CPU never
 * writes to this read-only table.
 */
    .section .rodata
    .balign 16
gk_gdt:
    .quad 0
    .quad 0x00af9b000000ffff    /* GK_SEL_CODE64: present, DPL 0, code, L */
    .quad 0x00cf93000000ffff    /* GK_SEL_DATA: present, DPL 0, data, writable */
gk_gdt_end:
    .balign 2
gk_gdt_ptr:
    .word gk_gdt_end - gk_gdt - 1
    .quad gk_gdt

/*
 * The hypervisor writes its stubs here when gk_hypercall_init() names this
 * page in the hypercall MSR. Until then the page is all ud2, so that a
 * premature hypercall raises #UD and is reported (KVM's emulator cannot
 * run int3 outside real mode: it would stop the domain without a word).
 */
    .section .data.page_aligned, "aw"
    .balign 4096
    .globl gk_hypercall_page
gk_hypercall_page:
    .rept 2048
    .byte 0x0f, 0x0b
    .endr
    .size gk_hypercall_page, 4096

/* The boot stack is not zeroed: nothing reads it before writing. */
    .section .bss.noinit, "aw", @nobits
    .balign 16
    .globl gk_boot_stack
gk_boot_stack:
    .skip GK_BOOT_STACK_SIZE
    .size gk_boot_stack, GK_BOOT_STACK_SIZE

    .section .note.GNU-stack, "", @progbits
