/* kvm-probe.c: reports the test host's KVM (API, Xen capability) and runs a tiny VM on it. */
/* SPDX-License-Identifier: MIT */
/*
 * Runs inside the nested test host's initramfs, which has no C library of
 * its own: hence linked statically. Prints "key=value" lines that scenario
 * scripts grep; exits 0 only when the VM ran as expected.
 *
 * `kvm-probe --hold` instead keeps an idle VM (configured for Xen when KVM
 * can) until it is killed. KVM flips static keys when the first VM comes
 * and the last goes (preempt notifiers in the scheduler, its Xen support),
 * and when the number of vCPUs whose local APIC is software-disabled goes
 * from 0 to 1 and back (every new vCPU counts until its guest enables its
 * APIC; the drop is deferred by a second). Each flip patches kernel code
 * while other CPUs run it; qemu's multi-threaded TCG occasionally lets a
 * CPU run the half-patched code, and the test host oopses on a stray int3
 * (seen in __apic_accept_irq, under KVM_SIGNAL_MSI). Holding a VM with an
 * in-kernel APIC and one vCPU that never runs, so never enables its APIC,
 * for the whole run makes every scenario's VMs and vCPUs come and go
 * without a flip. The probe's own VM has an in-kernel APIC too, as
 * lamina-hv's do: a vCPU without one would flip a key of its own.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define GUEST_MEM_SIZE  0x2000
#define CODE_GPA        0x1000
#define PROBE_PORT      0x10
#define PROBE_VALUE     0x42
#define DONE_PORT       0x11

/*
 * Real mode: mov al, PROBE_VALUE; out PROBE_PORT, al; out DONE_PORT, al;
 * hlt. (With the in-kernel APIC, KVM keeps a hlt to itself: the second out
 * is the end.)
 */
static const uint8_t guest_code[] = { 0xb0, PROBE_VALUE, 0xe6, PROBE_PORT, 0xe6, DONE_PORT,
                                      0xf4 };

struct named_cap {
    const char *name;
    int cap;
};

/* What lamina-hv relies on (see hypervisor/kvm/kvm.c), printed for the log. */
static const struct named_cap caps[] = {
    { "KVM_CAP_IRQCHIP", KVM_CAP_IRQCHIP },
    { "KVM_CAP_USER_MEMORY", KVM_CAP_USER_MEMORY },
    { "KVM_CAP_IMMEDIATE_EXIT", KVM_CAP_IMMEDIATE_EXIT },
    { "KVM_CAP_SIGNAL_MSI", KVM_CAP_SIGNAL_MSI },
    { "KVM_CAP_X86_USER_SPACE_MSR", KVM_CAP_X86_USER_SPACE_MSR },
    { "KVM_CAP_EXT_CPUID", KVM_CAP_EXT_CPUID },
    { "KVM_CAP_GET_TSC_KHZ", KVM_CAP_GET_TSC_KHZ },
    { "KVM_CAP_SYNC_REGS", KVM_CAP_SYNC_REGS },
    { "KVM_CAP_X86_MSR_FILTER", KVM_CAP_X86_MSR_FILTER },
};

static int fail(const char *what)
{
    fprintf(stderr, "kvm-probe: %s: %s\n", what, strerror(errno));
    return 1;
}

/* Runs guest_code in a fresh VM; returns 0 when it did exactly its two outs. */
static int run_vm(int kvm)
{
    struct kvm_userspace_memory_region region;
    struct kvm_sregs sregs;
    struct kvm_regs regs;
    struct kvm_run *run;
    uint8_t *mem;
    int vm, vcpu, run_size, exits = 0;
    bool saw_out = false;

    vm = ioctl(kvm, KVM_CREATE_VM, 0);
    if (vm < 0)
        return fail("KVM_CREATE_VM");
    if (ioctl(vm, KVM_CREATE_IRQCHIP, 0) < 0)
        return fail("KVM_CREATE_IRQCHIP");
    mem = mmap(NULL, GUEST_MEM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED)
        return fail("mmap guest memory");
    memcpy(mem + CODE_GPA, guest_code, sizeof(guest_code));
    memset(&region, 0, sizeof(region));
    region.memory_size = GUEST_MEM_SIZE;
    region.userspace_addr = (uint64_t)(uintptr_t)mem;
    if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
        return fail("KVM_SET_USER_MEMORY_REGION");
    vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
    if (vcpu < 0)
        return fail("KVM_CREATE_VCPU");
    run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (run_size < (int)sizeof(*run))
        return fail("KVM_GET_VCPU_MMAP_SIZE");
    run = mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
    if (run == MAP_FAILED)
        return fail("mmap kvm_run");
    if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0)
        return fail("KVM_GET_SREGS");
    sregs.cs.base = 0;
    sregs.cs.selector = 0;
    if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0)
        return fail("KVM_SET_SREGS");
    memset(&regs, 0, sizeof(regs));
    regs.rip = CODE_GPA;
    regs.rflags = 0x2;
    if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0)
        return fail("KVM_SET_REGS");

    /* Two exits are expected; a few more leave room for spurious ones. */
    while (exits++ < 8) {
        if (ioctl(vcpu, KVM_RUN, 0) < 0) {
            if (errno == EINTR)
                continue;
            return fail("KVM_RUN");
        }
        switch (run->exit_reason) {
        case KVM_EXIT_IO: {
            const uint8_t *data = (const uint8_t *)run + run->io.data_offset;
            uint16_t want = saw_out ? DONE_PORT : PROBE_PORT;

            if (run->io.direction != KVM_EXIT_IO_OUT || run->io.port != want ||
                run->io.size != 1 || run->io.data_offset > (uint64_t)run_size - 1 ||
                *data != PROBE_VALUE) {
                fprintf(stderr, "kvm-probe: unexpected port I/O exit (port 0x%x)\n",
                        run->io.port);
                return 1;
            }
            if (saw_out) {
                printf("vm=ok (out 0x%x to ports 0x%x and 0x%x)\n", PROBE_VALUE, PROBE_PORT,
                       DONE_PORT);
                return 0;
            }
            saw_out = true;
            break;
        }
        default:
            fprintf(stderr, "kvm-probe: unexpected exit reason %u\n", run->exit_reason);
            return 1;
        }
    }
    fprintf(stderr, "kvm-probe: the VM never reached its second out\n");
    return 1;
}

static int hold(int kvm)
{
    int vm = ioctl(kvm, KVM_CREATE_VM, 0);

    if (vm < 0)
        return fail("KVM_CREATE_VM");
#ifdef KVM_CAP_XEN_HVM
    if (ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_XEN_HVM) > 0) {
        struct kvm_xen_hvm_config xc = { .flags = KVM_XEN_HVM_CONFIG_INTERCEPT_HCALL,
                                         .msr = 0x40000000 };

        if (ioctl(vm, KVM_XEN_HVM_CONFIG, &xc) < 0)
            return fail("KVM_XEN_HVM_CONFIG");
    }
#endif
    /* A vCPU that never runs: its APIC stays software-disabled (see the top). */
    if (ioctl(vm, KVM_CREATE_IRQCHIP, 0) < 0)
        return fail("KVM_CREATE_IRQCHIP");
    if (ioctl(vm, KVM_CREATE_VCPU, 0) < 0)
        return fail("KVM_CREATE_VCPU");
    printf("holding a VM\n");
    fflush(stdout);
    for (;;)
        pause();
}

int main(int argc, char **argv)
{
    int kvm, api, xen;
    size_t i;

    kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (kvm < 0)
        return fail("open /dev/kvm");
    if (argc == 2 && !strcmp(argv[1], "--hold"))
        return hold(kvm);
    api = ioctl(kvm, KVM_GET_API_VERSION, 0);
    printf("api=%d\n", api);
    if (api != KVM_API_VERSION) {
        fprintf(stderr, "kvm-probe: KVM API version %d, expected %d\n", api, KVM_API_VERSION);
        return 1;
    }
    xen = ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_XEN_HVM);
    printf("KVM_CAP_XEN_HVM=0x%x\n", xen < 0 ? 0 : (unsigned int)xen);
    for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
        printf("%s=%d\n", caps[i].name, ioctl(kvm, KVM_CHECK_EXTENSION, caps[i].cap));
    fflush(stdout);
    return run_vm(kvm);
}
