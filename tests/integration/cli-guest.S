/* cli-guest.S: a tiny PVH guest for the CLI tests: says hello, then does what its cmdline says. */
/* SPDX-License-Identifier: MIT */

/*
 * The first letter of the command line picks the ending: "reboot", "crash",
 * "triplefault" (an exception with an empty IDT), "spin" (print a dot now
 * and then, forever) or anything else to power off.
 * It needs no hypercall page: the port-I/O exit its stubs use is taken
 * directly, and output goes to the debug console port.
 */

#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define DEBUGCON_PORT           0xe9
#define HYPERCALL_PORT          0xe4
#define HYPERVISOR_sched_op     29
#define SCHEDOP_shutdown        2
#define START_INFO_CMDLINE      24      /* hvm_start_info.cmdline_paddr */

    .section .note.Xen, "a"
    .align 4
    .long 4, 4, XEN_ELFNOTE_PHYS32_ENTRY
    .asciz "Xen"
    .align 4
    .long _start

    .text
    .code32
    .globl _start
_start:
    /* 32-bit protected mode, paging off, %ebx = hvm_start_info. */
    mov $stack_top, %esp
    mov %ebx, %ebp
    mov $hello, %esi
    call puts
    mov START_INFO_CMDLINE(%ebp), %esi
    test %esi, %esi
    jz poweroff
    movzbl (%esi), %eax
    cmp $'r', %al
    je reboot
    cmp $'c', %al
    je crash
    cmp $'s', %al
    je spin
    cmp $'t', %al
    je triplefault
poweroff:
    xor %eax, %eax
    jmp shutdown
reboot:
    mov $1, %eax
    jmp shutdown
crash:
    mov $3, %eax
shutdown:
    mov %eax, reason
    mov $HYPERVISOR_sched_op, %eax
    mov $SCHEDOP_shutdown, %ebx
    mov $reason, %ecx
    out %eax, $HYPERCALL_PORT
1:  hlt
    jmp 1b

triplefault:
    /* #UD cannot be delivered, nor the #GP that follows, nor the #DF. */
    lidt empty_idt
    ud2

spin:
    mov $2000000, %ecx
2:  loop 2b
    mov $DEBUGCON_PORT, %dx
    mov $'.', %al
    outb %al, %dx
    jmp spin

/* Print the NUL-terminated string at %esi. */
puts:
    mov $DEBUGCON_PORT, %dx
3:  lodsb
    test %al, %al
    jz 4f
    outb %al, %dx
    jmp 3b
4:  ret

    .data
hello:
    .asciz "hello from cli-guest\r\n"
    .align 4
reason:
    .long 0
empty_idt:
    .word 0
    .long 0
    .align 16
    .space 256
stack_top:
