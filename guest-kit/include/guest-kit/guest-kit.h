/* guest-kit.h: the guest-kit SDK: start-up, domain information, shutdown and panic. */
/* SPDX-License-Identifier: MIT */
#ifndef GUEST_KIT_H
#define GUEST_KIT_H

/*
 * A guest-kit program is an ordinary C program: guest-kit boots the vCPU
 * (long mode, identity-mapped memory, exception handlers, hypercall page,
 * shared_info, heap), splits the command line into argv and calls
 *
 *     int main(int argc, char **argv);
 *
 * Returning 0 (or exit(0)) powers the domain off; any other status is
 * printed and the domain shuts down as crashed.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xen/xen.h>
#include <xen/version.h>
#include <xen/hvm/start_info.h>

#include <guest-kit/console.h>
#include <guest-kit/events.h>
#include <guest-kit/gnttab.h>
#include <guest-kit/hypercall.h>
#include <guest-kit/smp.h>
#include <guest-kit/spinlock.h>
#include <guest-kit/time.h>
#include <guest-kit/traps.h>
#include <guest-kit/x86.h>

#define GK_PAGE_SIZE 4096u

int main(int argc, char **argv);

/*
 * argv[0]. A program names itself by defining
 *     const char gk_program_name[] = "myos";
 * otherwise it is "guest".
 */
extern const char gk_program_name[];

/* This domain's id (DOMID_INVALID if the hypervisor does not tell) and the caller's vCPU id. */
domid_t gk_domid(void);
uint32_t gk_vcpu_id(void);

struct gk_xen_version {
    unsigned int major, minor;
    char extra[XEN_EXTRAVERSION_LEN];   /* e.g. ".0-lamina", NUL-terminated */
};

/* Asks the hypervisor; returns 0 or a negative Xen errno. */
int gk_xen_version(struct gk_xen_version *version);

/* The command line exactly as the domain got it (argv holds it split). */
const char *gk_cmdline(void);

/* What the domain builder handed over: memory map, modules, command line. */
const struct hvm_start_info *gk_start_info(void);

/* This domain's shared_info page, mapped by guest-kit at start-up. */
struct shared_info *gk_shared_info(void);

/*
 * Flushes the console and asks the hypervisor to stop the domain with a
 * SHUTDOWN_* reason (<xen/sched.h>): poweroff, reboot or crash.
 */
_Noreturn void gk_shutdown(unsigned int reason);

/* Prints "panic: <message>" and a backtrace, then shuts down as crashed. */
_Noreturn void gk_panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* GUEST_KIT_H */
