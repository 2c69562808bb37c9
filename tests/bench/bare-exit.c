/* bare-exit.c: the floor: a minimal KVM VM looping on `out`, timed per exit. */
/* SPDX-License-Identifier: MIT */
/*
 * No hypervisor code at all: one vCPU in long mode executing `out %al, $0x80;
 * jmp .`, so each KVM_RUN returns after exactly one guest exit.  Lamina's
 * hypercall costs are reported against this number, measured in the same run.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define MEM_SIZE    0x200000ul
#define CODE_GPA    0x10000ul

static double now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int die(const char *what)
{
    fprintf(stderr, "bare-exit: %s: %s\n", what, strerror(errno));
    return 1;
}

int main(int argc, char **argv)
{
    long iters = argc > 1 ? strtol(argv[1], NULL, 10) : 5000;
    static const uint8_t code[] = { 0xe6, 0x80, 0xeb, 0xfc };  /* out %al,$0x80; jmp .-2 */
    struct kvm_userspace_memory_region region;
    struct kvm_segment cs, ds;
    struct kvm_sregs sregs;
    struct kvm_regs regs;
    struct kvm_run *run;
    uint64_t *pml4, *pdpt, *pd;
    uint8_t *mem;
    int kvm, vm, vcpu, run_size;
    double t0, best = 1e30, total = 0;

    if (iters < 1)
        iters = 1;
    kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (kvm < 0)
        return die("/dev/kvm");
    vm = ioctl(kvm, KVM_CREATE_VM, 0);
    if (vm < 0)
        return die("KVM_CREATE_VM");
    mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED)
        return die("mmap");
    region = (struct kvm_userspace_memory_region){ 0, 0, 0, MEM_SIZE, (uint64_t)(uintptr_t)mem };
    if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
        return die("KVM_SET_USER_MEMORY_REGION");
    vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
    run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (vcpu < 0 || run_size <= 0)
        return die("KVM_CREATE_VCPU");
    run = mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
    if (run == MAP_FAILED)
        return die("mmap kvm_run");

    /* Identity-map the first 2 MiB with one large page. */
    pml4 = (uint64_t *)(mem + 0x1000);
    pdpt = (uint64_t *)(mem + 0x2000);
    pd = (uint64_t *)(mem + 0x3000);
    pml4[0] = 0x2000 | 3;
    pdpt[0] = 0x3000 | 3;
    pd[0] = 0x83;
    memcpy(mem + CODE_GPA, code, sizeof(code));

    if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0)
        return die("KVM_GET_SREGS");
    cs = (struct kvm_segment){ .limit = 0xffffffff, .selector = 8, .type = 11, .present = 1,
                               .s = 1, .l = 1, .g = 1 };
    ds = (struct kvm_segment){ .limit = 0xffffffff, .selector = 16, .type = 3, .present = 1,
                               .s = 1, .db = 1, .g = 1 };
    sregs.cs = cs;
    sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = ds;
    sregs.cr3 = 0x1000;
    sregs.cr4 = 0x20;
    sregs.cr0 = 0x80000011;
    sregs.efer = 0x500;
    if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0)
        return die("KVM_SET_SREGS");
    memset(&regs, 0, sizeof(regs));
    regs.rip = CODE_GPA;
    regs.rflags = 2;
    regs.rsp = 0x8000;
    if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0)
        return die("KVM_SET_REGS");

    /* Five rounds; the best round is the floor, the mean shows the noise. */
    for (int round = 0; round < 5; round++) {
        double per;

        t0 = now_us();
        for (long i = 0; i < iters; i++) {
            if (ioctl(vcpu, KVM_RUN, 0) < 0)
                return die("KVM_RUN");
            if (run->exit_reason != KVM_EXIT_IO) {
                fprintf(stderr, "bare-exit: unexpected exit %u\n", run->exit_reason);
                return 1;
            }
        }
        per = (now_us() - t0) / (double)iters;
        total += per;
        if (per < best)
            best = per;
    }
    printf("bare port-I/O exit round trip: best %.2f us, mean %.2f us (%ld exits x 5)\n", best,
           total / 5, iters);
    return 0;
}
