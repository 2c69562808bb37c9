/* traps.c: exception dispatch, and the register dump and backtrace of a fatal exception. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>

#include <xen/sched.h>

#include <guest-kit/guest-kit.h>

#include "../../internal.h"

#define BACKTRACE_MAX       16

static gk_trap_handler_fn *handlers[GK_TRAP_COUNT];

static const char *const trap_names[GK_TRAP_COUNT] = {
    [GK_TRAP_DIVIDE_ERROR] = "#DE divide error",
    [GK_TRAP_DEBUG] = "#DB debug",
    [GK_TRAP_NMI] = "NMI",
    [GK_TRAP_BREAKPOINT] = "#BP breakpoint",
    [GK_TRAP_OVERFLOW] = "#OF overflow",
    [GK_TRAP_BOUND_RANGE] = "#BR bound range exceeded",
    [GK_TRAP_INVALID_OPCODE] = "#UD invalid opcode",
    [GK_TRAP_DEVICE_NOT_AVAIL] = "#NM device not available",
    [GK_TRAP_DOUBLE_FAULT] = "#DF double fault",
    [GK_TRAP_INVALID_TSS] = "#TS invalid TSS",
    [GK_TRAP_SEGMENT_NOT_PRESENT] = "#NP segment not present",
    [GK_TRAP_STACK_FAULT] = "#SS stack fault",
    [GK_TRAP_GENERAL_PROTECTION] = "#GP general protection",
    [GK_TRAP_PAGE_FAULT] = "#PF page fault",
    [GK_TRAP_X87_FPU] = "#MF x87 floating point",
    [GK_TRAP_ALIGNMENT_CHECK] = "#AC alignment check",
    [GK_TRAP_MACHINE_CHECK] = "#MC machine check",
    [GK_TRAP_SIMD_FPU] = "#XM SIMD floating point",
    [GK_TRAP_VIRTUALIZATION] = "#VE virtualization",
    [GK_TRAP_CONTROL_PROTECTION] = "#CP control protection",
};

/* Called from trap_stubs.S only. */
void gk_trap_dispatch(struct gk_trap_frame *frame);

int gk_trap_set_handler(unsigned int vector, gk_trap_handler_fn *handler)
{
    if (vector >= GK_TRAP_COUNT)
        return -EINVAL;
    handlers[vector] = handler;
    return 0;
}

/* A saved frame pointer is followed only if it points into mapped memory, upwards. */
static bool frame_ok(uint64_t rbp, uint64_t below)
{
    return rbp > below && !(rbp & 7) && rbp + 16 <= gk_paging_limit();
}

static bool in_image(uint64_t addr)
{
    return addr >= (uintptr_t)__gk_image_start && addr < (uintptr_t)__gk_image_end;
}

void gk_backtrace(uint64_t rbp)
{
    uint64_t below = 0;

    for (unsigned int i = 0; i < BACKTRACE_MAX && frame_ok(rbp, below); i++) {
        const uint64_t *frame = (const uint64_t *)(uintptr_t)rbp;
        uint64_t ret = frame[1];

        if (!in_image(ret))
            break;
        /* The return address points after the call: show the call itself. */
        printf("  0x%016lx\n", ret - 1);
        below = rbp;
        rbp = frame[0];
    }
}

void gk_trap_dump(const struct gk_trap_frame *f)
{
    const char *name = f->vector < GK_TRAP_COUNT && trap_names[f->vector]
                       ? trap_names[f->vector] : "reserved vector";

    printf("*** exception %lu (%s), error code %#lx ***\n", f->vector, name, f->error_code);
    printf("rip %016lx  rsp %016lx  rflags %016lx\n", f->rip, f->rsp, f->rflags);
    printf("cr2 %016lx  cr3 %016lx  cs %04lx  ss %04lx\n", gk_read_cr2(), gk_read_cr3(),
           f->cs, f->ss);
    printf("rax %016lx  rbx %016lx  rcx %016lx\n", f->rax, f->rbx, f->rcx);
    printf("rdx %016lx  rsi %016lx  rdi %016lx\n", f->rdx, f->rsi, f->rdi);
    printf("rbp %016lx  r8  %016lx  r9  %016lx\n", f->rbp, f->r8, f->r9);
    printf("r10 %016lx  r11 %016lx  r12 %016lx\n", f->r10, f->r11, f->r12);
    printf("r13 %016lx  r14 %016lx  r15 %016lx\n", f->r13, f->r14, f->r15);
    printf("backtrace (addr2line -e <kernel> <address>):\n  0x%016lx\n", f->rip);
    gk_backtrace(f->rbp);
}

void gk_trap_dispatch(struct gk_trap_frame *frame)
{
    gk_trap_handler_fn *handler = frame->vector < GK_TRAP_COUNT ? handlers[frame->vector] : NULL;

    if (handler && handler(frame))
        return;
    gk_crash_enter();
    gk_console_flush();
    gk_trap_dump(frame);
    gk_shutdown(SHUTDOWN_crash);
}
