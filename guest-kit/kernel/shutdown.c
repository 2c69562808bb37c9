/* shutdown.c: leaving: exit(), abort(), assert failures, gk_panic() and gk_shutdown(). */
/* SPDX-License-Identifier: MIT */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xen/sched.h>

#include <guest-kit/guest-kit.h>

#include "../internal.h"

static bool crashing;

_Noreturn static void halt_forever(void)
{
    gk_irq_disable();
    for (;;)
        gk_halt();
}

/*
 * With no way to tell the hypervisor (no hypercalls yet, or a refused
 * shutdown), a crash is made a triple fault: an empty IDT turns the #UD
 * into a double and then a triple fault, which any hypervisor sees
 * (lamina-hv reports the domain crashed; a plain VM resets).
 */
_Noreturn static void triple_fault(void)
{
    static const struct {
        uint16_t limit;
        uint64_t base;
    } __attribute__((packed)) no_idt = { 0, 0 };

    __asm__ volatile("cli\n\tlidt %0\n\tud2" : : "m"(no_idt) : "memory");
    __builtin_unreachable();
}

/*
 * The hypervisor stops the vCPU once the shutdown is recorded; should the
 * call fail the domain must still not carry on, so it asks for a crash,
 * and failing that triple-faults.
 */
_Noreturn static void shutdown_now(unsigned int reason)
{
    struct sched_shutdown s = { .reason = reason };

    if (gk_hypercall_init() < 0) {
        if (reason == SHUTDOWN_crash)
            triple_fault();
        halt_forever();
    }
    if (HYPERVISOR_sched_op(SCHEDOP_shutdown, &s) < 0) {
        s.reason = SHUTDOWN_crash;
        HYPERVISOR_sched_op(SCHEDOP_shutdown, &s);
        triple_fault();
    }
    halt_forever();
}

_Noreturn void gk_shutdown(unsigned int reason)
{
    gk_console_flush();
    shutdown_now(reason);
}

void gk_crash_enter(void)
{
    static const char msg[] = "\nguest-kit: fault while reporting a crash\n";

    if (crashing) {
        gk_console_write_direct(msg, sizeof(msg) - 1);
        shutdown_now(SHUTDOWN_crash);
    }
    crashing = true;
}

_Noreturn void gk_panic(const char *fmt, ...)
{
    va_list ap;

    gk_crash_enter();
    printf("panic: ");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\nbacktrace (addr2line -e <kernel> <address>):\n");
    gk_backtrace((uintptr_t)__builtin_frame_address(0));
    gk_shutdown(SHUTDOWN_crash);
}

_Noreturn void gk_assert_failed(const char *expr, const char *file, unsigned int line,
                                const char *func)
{
    gk_panic("%s:%u: %s: assertion \"%s\" failed", file, line, func, expr);
}

_Noreturn void exit(int status)
{
    if (status == 0)
        gk_shutdown(SHUTDOWN_poweroff);
    printf("exit status %d\n", status);
    gk_shutdown(SHUTDOWN_crash);
}

_Noreturn void abort(void)
{
    gk_panic("abort() called");
}
