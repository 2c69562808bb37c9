/* crash.c: a guest that fails on purpose, to show guest-kit's crash reports. */
/* SPDX-License-Identifier: MIT */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <guest-kit/guest-kit.h>

const char gk_program_name[] = "crash";

/*
 * A handled exception: skip the 2-byte ud2 and carry on. (Not int3: KVM's
 * instruction emulator cannot run it in long mode.)
 */
static bool skip_ud2(struct gk_trap_frame *frame)
{
    printf("crash: invalid opcode at %#lx handled, resuming\n", frame->rip);
    frame->rip += 2;
    return true;
}

/*
 * A few real frames, so the backtrace has something to show; the
 * volatiles keep the compiler from folding the recursion into a loop and
 * the division into a comparison.
 */
__attribute__((noipa)) static int fail(const char *how, int depth)
{
    volatile int one = 1, zero = 0, result;

    if (depth > 0) {
        result = fail(how, depth - 1);
        return result;
    }
    if (!strcmp(how, "divide"))
        return one / zero;
    if (!strcmp(how, "pagefault"))
        return *(volatile int *)0x100000000000ull;     /* far beyond mapped memory */
    if (!strcmp(how, "panic"))
        gk_panic("asked to panic");
    if (!strcmp(how, "assert"))
        assert(zero == 1);
    if (!strcmp(how, "exit"))
        exit(3);
    printf("crash: unknown way to fail \"%s\" (divide, pagefault, panic, assert, exit)\n", how);
    return 0;
}

int main(int argc, char **argv)
{
    const char *how = argc > 1 ? argv[1] : "divide";

    gk_trap_set_handler(GK_TRAP_INVALID_OPCODE, skip_ud2);
    __asm__ volatile("ud2");
    gk_trap_set_handler(GK_TRAP_INVALID_OPCODE, NULL);
    printf("crash: failing by \"%s\"\n", how);
    return fail(how, 2);
}
