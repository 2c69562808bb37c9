/* hypercall.h: Xen hypercalls through the hypercall page, with Xen's 64-bit calling convention. */
/* SPDX-License-Identifier: MIT */
#ifndef GUEST_KIT_HYPERCALL_H
#define GUEST_KIT_HYPERCALL_H

#include <xen/xen.h>

/*
 * The hypervisor fills this page with one 32-byte stub per hypercall when
 * guest-kit starts (before main). Hypercall N is a call to page + N * 32
 * with arguments in rdi, rsi, rdx, r10, r8, r9 and the result in rax: a
 * negative Xen errno (XEN_E*, <xen/errno.h>) on failure. Xen may clobber
 * every argument register and, like syscall, rcx and r11.
 * Buffers are passed by their linear address: guest-kit maps memory
 * one-to-one, so that is also the guest-physical address. The call pushes
 * a return address below the caller's stack pointer, one reason guest code
 * is built with -mno-red-zone (the pkg-config flags have it).
 */
extern unsigned char gk_hypercall_page[4096];

#define GK_HYPERCALL_CALL "call gk_hypercall_page + %c[gk_hc_offset]"
#define GK_HYPERCALL_OFFSET(nr) [gk_hc_offset] "i"((nr) * 32)

#define gk_hypercall2(nr, a1, a2) __extension__({                               \
    register unsigned long gk_hc_a1 __asm__("rdi") = (unsigned long)(a1);     \
    register unsigned long gk_hc_a2 __asm__("rsi") = (unsigned long)(a2);     \
    long gk_hc_ret;                                                           \
    __asm__ volatile(GK_HYPERCALL_CALL                                        \
                     : "=a"(gk_hc_ret), "+r"(gk_hc_a1), "+r"(gk_hc_a2)        \
                     : GK_HYPERCALL_OFFSET(nr)                                \
                     : "memory", "rdx", "r10", "r8", "r9", "rcx", "r11");     \
    gk_hc_ret;                                                                \
})

#define gk_hypercall3(nr, a1, a2, a3) __extension__({                           \
    register unsigned long gk_hc_a1 __asm__("rdi") = (unsigned long)(a1);     \
    register unsigned long gk_hc_a2 __asm__("rsi") = (unsigned long)(a2);     \
    register unsigned long gk_hc_a3 __asm__("rdx") = (unsigned long)(a3);     \
    long gk_hc_ret;                                                           \
    __asm__ volatile(GK_HYPERCALL_CALL                                        \
                     : "=a"(gk_hc_ret), "+r"(gk_hc_a1), "+r"(gk_hc_a2),       \
                       "+r"(gk_hc_a3)                                         \
                     : GK_HYPERCALL_OFFSET(nr)                                \
                     : "memory", "r10", "r8", "r9", "rcx", "r11");            \
    gk_hc_ret;                                                                \
})

static inline int HYPERVISOR_xen_version(int cmd, void *arg)
{
    return (int)gk_hypercall2(__HYPERVISOR_xen_version, cmd, arg);
}

static inline int HYPERVISOR_console_io(int cmd, int count, const char *str)
{
    return (int)gk_hypercall3(__HYPERVISOR_console_io, cmd, count, str);
}

static inline int HYPERVISOR_sched_op(int cmd, void *arg)
{
    return (int)gk_hypercall2(__HYPERVISOR_sched_op, cmd, arg);
}

static inline int HYPERVISOR_hvm_op(int op, void *arg)
{
    return (int)gk_hypercall2(__HYPERVISOR_hvm_op, op, arg);
}

/* Some operations return a count or a frame number, hence long. */
static inline long HYPERVISOR_memory_op(unsigned int cmd, void *arg)
{
    return gk_hypercall2(__HYPERVISOR_memory_op, cmd, arg);
}

static inline int HYPERVISOR_vcpu_op(int cmd, unsigned int vcpuid, void *extra_args)
{
    return (int)gk_hypercall3(__HYPERVISOR_vcpu_op, cmd, vcpuid, extra_args);
}

static inline int HYPERVISOR_event_channel_op(int cmd, void *op)
{
    return (int)gk_hypercall2(__HYPERVISOR_event_channel_op, cmd, op);
}

static inline int HYPERVISOR_grant_table_op(unsigned int cmd, void *uop, unsigned int count)
{
    return (int)gk_hypercall3(__HYPERVISOR_grant_table_op, cmd, uop, count);
}

#endif /* GUEST_KIT_HYPERCALL_H */
