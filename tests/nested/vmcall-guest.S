/* vmcall-guest.S: a PVH guest that makes Xen hypercalls with `vmcall`, as stock Linux does. */
/* SPDX-License-Identifier: MIT */
/*
 * No hypercall page: each call is `mov $nr, %eax; vmcall`, which only works
 * where KVM intercepts Xen hypercalls (KVM_CAP_XEN_HVM), i.e. in the nested
 * test host.  It prints "vmcall: xen <major>.<minor>" through console_io and
 * powers off; on a failure it prints why and crashes itself.
 */
#define HC_CONSOLE_IO   18
#define HC_XEN_VERSION  17
#define HC_SCHED_OP     29

    .section .note.Xen, "a"
    .align 4
    .long 4, 4, 18                  /* "Xen", XEN_ELFNOTE_PHYS32_ENTRY */
    .asciz "Xen"
    .long pvh_start

    .text
    .code32
    .globl pvh_start
pvh_start:
    /* Identity-map the first GiB with 2 MiB pages, enter long mode. */
    movl $(pd + 3), pdpt
    movl $(pdpt + 3), pml4
    xor %ecx, %ecx
1:  mov %ecx, %eax
    shl $21, %eax
    or $0x83, %eax
    mov %eax, pd(,%ecx,8)
    inc %ecx
    cmp $512, %ecx
    jne 1b
    mov $pml4, %eax
    mov %eax, %cr3
    mov %cr4, %eax
    or $0x20, %eax
    mov %eax, %cr4
    mov $0xc0000080, %ecx
    rdmsr
    or $0x100, %eax
    wrmsr
    mov %cr0, %eax
    or $0x80000001, %eax
    mov %eax, %cr0
    lgdt gdtr
    ljmp $8, $long64

    .code64
long64:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %ss
    lea stack_top(%rip), %rsp

    mov $HC_XEN_VERSION, %eax       /* xen_version(XENVER_version, NULL) */
    xor %edi, %edi
    xor %esi, %esi
    vmcall
    cmp $0x40000, %eax              /* at least 4.0 */
    jb bad
    mov %eax, %ebx
    shr $16, %eax                   /* major: one digit */
    add $'0', %al
    mov %al, msg_major(%rip)
    movzwl %bx, %eax                /* minor: two digits */
    mov $10, %cl
    div %cl
    add $'0', %al
    add $'0', %ah
    mov %al, msg_minor(%rip)
    mov %ah, msg_minor + 1(%rip)

    mov $HC_CONSOLE_IO, %eax        /* console_io(CONSOLEIO_write, len, msg) */
    xor %edi, %edi
    mov $msg_len, %esi
    lea msg(%rip), %rdx
    vmcall
    cmp $msg_len, %eax
    jne bad

    movl $0, reason(%rip)           /* sched_op(SCHEDOP_shutdown, poweroff) */
    jmp shutdown
bad:
    mov $HC_CONSOLE_IO, %eax
    xor %edi, %edi
    mov $bad_len, %esi
    lea bad_msg(%rip), %rdx
    vmcall
    movl $3, reason(%rip)           /* SHUTDOWN_crash */
shutdown:
    mov $HC_SCHED_OP, %eax
    mov $2, %edi
    lea reason(%rip), %rsi
    vmcall
    hlt
    jmp shutdown

    .data
    .align 16
gdt:
    .quad 0
    .quad 0x00af9a000000ffff        /* 64-bit code */
    .quad 0x00cf92000000ffff        /* data */
gdtr:
    .word 23
    .long gdt
msg:
    .ascii "vmcall: xen "
msg_major:
    .ascii "?."
msg_minor:
    .ascii "??\n"
    .set msg_len, . - msg
bad_msg:
    .ascii "vmcall: FAILED\n"
    .set bad_len, . - bad_msg
reason:
    .long 0

    .bss
    .align 4096
pml4: .skip 4096
pdpt: .skip 4096
pd: .skip 4096
    .skip 4096
stack_top:
