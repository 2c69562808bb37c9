/* hypervisor.c: finding Xen's CPUID leaves, installing the hypercall page, domain id. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>

#include <xen/arch-x86/cpuid.h>

#include <guest-kit/guest-kit.h>

#include "../../internal.h"

/* Other hypervisors' leaves may come first: Xen's sit at the first 0x100 step with its name. */
#define XEN_CPUID_SCAN_END  0x40010000u
#define XEN_CPUID_STEP      0x100u

/* 1 until the first attempt; then 0, or why there is no hypercall page. */
static int init_rc = 1;
static domid_t domid = DOMID_INVALID;
static uint32_t boot_vcpu;

/* Returns the base leaf, and the last leaf in *max. */
static uint32_t find_xen_leaves(uint32_t *max)
{
    for (uint32_t base = XEN_CPUID_FIRST_LEAF; base < XEN_CPUID_SCAN_END;
         base += XEN_CPUID_STEP) {
        struct gk_cpuid r = gk_cpuid(base, 0);

        /* Leaf 2 names the hypercall MSR: without it the leaves are no use. */
        if (r.ebx == XEN_CPUID_SIGNATURE_EBX && r.ecx == XEN_CPUID_SIGNATURE_ECX &&
            r.edx == XEN_CPUID_SIGNATURE_EDX && r.eax >= base + 2) {
            *max = r.eax;
            return base;
        }
    }
    return 0;
}

int gk_hypercall_init(void)
{
    struct gk_cpuid r;
    uint32_t base, max;

    if (init_rc <= 0)
        return init_rc;
    /*
     * A wrmsr the hypervisor refuses raises #GP, reported like any fault;
     * the crash path then finds -EIO here instead of faulting again.
     */
    init_rc = -EIO;
    base = find_xen_leaves(&max);
    if (!base)
        return init_rc = -ENODEV;
    r = gk_cpuid(base + 2, 0);
    gk_wrmsr(r.ebx, (uintptr_t)gk_hypercall_page);
    init_rc = 0;

    if (max < base + 4)
        return 0;
    r = gk_cpuid(base + 4, 0);
    if (r.eax & XEN_HVM_CPUID_VCPU_ID_PRESENT)
        boot_vcpu = r.ebx;
    if (r.eax & XEN_HVM_CPUID_DOMID_PRESENT)
        domid = (domid_t)r.ecx;
    return 0;
}

bool gk_hypercall_ready(void)
{
    return init_rc == 0;
}

domid_t gk_domid(void)
{
    return domid;
}

uint32_t gk_boot_vcpu_id(void)
{
    return boot_vcpu;
}
