/* start.c: from the PVH entry to main(): per-CPU data, hypercalls, shared_info, heap, argv. */
/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include <guest-kit/guest-kit.h>

#include "../internal.h"
#include "cmdline.h"

__attribute__((weak)) const char gk_program_name[] = "guest";

static const struct hvm_start_info *start_info;
static const char *cmdline = "";

const char *gk_cmdline(void)
{
    return cmdline;
}

const struct hvm_start_info *gk_start_info(void)
{
    return start_info;
}

/*
 * One allocation holds argv, a copy of the command line (so that one
 * whose NUL lies beyond GK_CMDLINE_MAX is cut, not overrun) and the split
 * arguments. Every argument takes at least two bytes of the line (one
 * character and a blank), hence the bound on their number.
 */
static char **make_argv(const struct hvm_start_info *si, int *argc)
{
    size_t len = si->cmdline_paddr ? gk_boot_strlen(si->cmdline_paddr, "command line") : 0;
    size_t max_args = len / 2 + 1;
    char **argv = malloc((max_args + 2) * sizeof(*argv) + 2 * (len + 1));
    char *line, *strings;
    int n;

    if (!argv)
        gk_panic("no memory for a %zu-byte command line", len);
    line = (char *)(argv + max_args + 2);
    strings = line + len + 1;
    if (len)
        memcpy(line, gk_boot_data(si->cmdline_paddr, len, "command line"), len);
    line[len] = '\0';
    cmdline = line;

    n = gk_cmdline_split(line, strings, argv + 1);
    argv[0] = (char *)gk_program_name;
    argv[n + 1] = NULL;
    *argc = n + 1;
    return argv;
}

_Noreturn void gk_start(uint32_t start_info_paddr)
{
    const struct hvm_start_info *si = (const void *)(uintptr_t)start_info_paddr;
    char **argv;
    int argc;

    gk_cpu_boot_init();
    /* Before the hypercall page: a panic here still reaches the console through the debug port. */
    if (si->magic != XEN_HVM_START_MAGIC_VALUE)
        gk_panic("no PVH start info at %#x (magic %#x, expected %#x): boot this kernel as a "
                 "PVH guest", start_info_paddr, si->magic, XEN_HVM_START_MAGIC_VALUE);
    if (gk_hypercall_init() < 0)
        gk_panic("no Xen-compatible hypervisor found: CPUID has no \"XenVMMXenVMM\" leaves");
    start_info = si;
    gk_shared_info_init();
    gk_cpu_boot_identify(gk_boot_vcpu_id());
    gk_mm_init(si);
    argv = make_argv(si, &argc);
    /* A domain the toolstack built has xenstore; connecting waits for first use. */
    gk_xenbus_init_lazy();
    exit(main(argc, argv));
}
