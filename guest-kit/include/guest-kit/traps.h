/* traps.h: CPU exceptions: the saved register frame and per-vector handlers. */
/* SPDX-License-Identifier: MIT */
#ifndef GUEST_KIT_TRAPS_H
#define GUEST_KIT_TRAPS_H

#include <stdbool.h>
#include <stdint.h>

/* Exception vectors the x86-64 architecture defines. */
#define GK_TRAP_DIVIDE_ERROR        0
#define GK_TRAP_DEBUG               1
#define GK_TRAP_NMI                 2
#define GK_TRAP_BREAKPOINT          3
#define GK_TRAP_OVERFLOW            4
#define GK_TRAP_BOUND_RANGE         5
#define GK_TRAP_INVALID_OPCODE      6
#define GK_TRAP_DEVICE_NOT_AVAIL    7
#define GK_TRAP_DOUBLE_FAULT        8
#define GK_TRAP_INVALID_TSS         10
#define GK_TRAP_SEGMENT_NOT_PRESENT 11
#define GK_TRAP_STACK_FAULT         12
#define GK_TRAP_GENERAL_PROTECTION  13
#define GK_TRAP_PAGE_FAULT          14
#define GK_TRAP_X87_FPU             16
#define GK_TRAP_ALIGNMENT_CHECK     17
#define GK_TRAP_MACHINE_CHECK       18
#define GK_TRAP_SIMD_FPU            19
#define GK_TRAP_VIRTUALIZATION      20
#define GK_TRAP_CONTROL_PROTECTION  21
#define GK_TRAP_COUNT               32

/* The registers at the time of the exception, lowest address first. */
struct gk_trap_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector;
    uint64_t error_code;        /* 0 for vectors without one */
    /* Pushed by the CPU. */
    uint64_t rip, cs, rflags, rsp, ss;
};

/*
 * A handler returns true when it dealt with the exception: execution then
 * resumes at frame->rip with the frame's registers (a handler may change
 * them). Returning false, or having no handler, prints the registers and
 * a backtrace on the console and shuts the domain down as crashed.
 */
typedef bool gk_trap_handler_fn(struct gk_trap_frame *frame);

/* Returns 0, or -EINVAL for a vector outside 0..GK_TRAP_COUNT-1. NULL removes. */
int gk_trap_set_handler(unsigned int vector, gk_trap_handler_fn *handler);

/* Prints the frame, control registers and a backtrace on the console. */
void gk_trap_dump(const struct gk_trap_frame *frame);

/* Prints the return addresses found by following a chain of saved frame pointers. */
void gk_backtrace(uint64_t rbp);

#endif /* GUEST_KIT_TRAPS_H */
