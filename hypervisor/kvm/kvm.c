/* kvm.c: the KVM backend: VMs, memory slots, vCPUs, exits, interrupts. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <xen/arch-x86/cpuid.h>
#include <xen/hvm/hvm_vcpu.h>

#include "../core/hv.h"

/* The signal that knocks a vCPU thread out of KVM_RUN. */
#define SIG_KICK        SIGUSR1

/* Intel needs these below 4 GiB and outside guest memory; AMD ignores them. */
#define KVM_TSS_ADDR            0xfffbd000ull
#define KVM_IDENTITY_MAP_ADDR   0xfffbc000ull

#define APIC_MSI_BASE   0xfee00000u

struct arch_domain {
    int vm_fd;
};

/*
 * The last exits of a vCPU, kept for the report of a crash. On AMD, KVM
 * re-initialises a vCPU that shut down (the VMCB is undefined after a
 * SHUTDOWN intercept), so the registers at a triple fault are lost and
 * these are all that is left of where the guest was.
 */
#define EXIT_HISTORY    16

struct exit_record {
    uint64_t ns;                /* hv_now_ns() at the exit */
    uint64_t rip, rsp, cr3;
    uint64_t detail;            /* hypercall number, port, MSR, MMIO address */
    uint32_t reason;            /* KVM_EXIT_* */
};

struct arch_vcpu {
    int fd;
    struct kvm_run *run;
    uint32_t tsc_khz;
    uint64_t tsc_offset;
    bool kick_ready;            /* SIG_KICK unblocked on the vCPU thread */
    bool xen_hcall;             /* the exit being served is KVM_EXIT_XEN */
    struct vcpu_exit *pending_msr;
    char why[192];
    struct exit_record history[EXIT_HISTORY];
    uint64_t exits;             /* exits recorded so far */
};

static int kvm_fd = -1;
static int run_size;
static struct kvm_cpuid2 *host_cpuid;
#ifdef KVM_CAP_XEN_HVM
static void pin_xen_key(void);
#endif
static bool xen_intercept;

static void kick_handler(int sig)
{
    (void)sig;  /* Its only job is to interrupt KVM_RUN. */
}

static int check_cap(int cap, const char *name)
{
    int r = ioctl(kvm_fd, KVM_CHECK_EXTENSION, cap);

    if (r <= 0) {
        log_err("KVM lacks %s, which lamina-hv needs", name);
        return -ENOSYS;
    }
    return r;
}

static struct kvm_cpuid2 *get_supported_cpuid(void)
{
    for (int n = 64; n <= 4096; n *= 2) {
        struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));

        if (!c)
            return NULL;
        c->nent = (uint32_t)n;
        if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0)
            return c;
        free(c);
        if (errno != E2BIG)
            return NULL;
    }
    return NULL;
}

int arch_init(void)
{
    struct sigaction sa;
    int sync;

    kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (kvm_fd < 0) {
        int err = errno;

        log_err("cannot open /dev/kvm: %s (load the kvm module; lamina-hv must run as root)",
                strerror(err));
        return -err;
    }
    if (ioctl(kvm_fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
        log_err("unsupported KVM API version");
        return -ENOSYS;
    }
    if (check_cap(KVM_CAP_IRQCHIP, "an in-kernel irqchip") < 0 ||
        check_cap(KVM_CAP_USER_MEMORY, "user memory slots") < 0 ||
        check_cap(KVM_CAP_IMMEDIATE_EXIT, "immediate exit") < 0 ||
        check_cap(KVM_CAP_SIGNAL_MSI, "MSI injection") < 0 ||
        check_cap(KVM_CAP_X86_USER_SPACE_MSR, "user-space MSR exits") < 0 ||
        check_cap(KVM_CAP_EXT_CPUID, "CPUID control") < 0 ||
        check_cap(KVM_CAP_GET_TSC_KHZ, "TSC frequency reporting") < 0)
        return -ENOSYS;
    sync = check_cap(KVM_CAP_SYNC_REGS, "synchronised registers");
    if (sync < 0 || (sync & (KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS)) !=
                        (KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS))
        return -ENOSYS;
    run_size = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (run_size < (int)sizeof(struct kvm_run))
        return -ENOSYS;
    host_cpuid = get_supported_cpuid();
    if (!host_cpuid) {
        log_err("cannot read KVM's supported CPUID");
        return -ENOSYS;
    }
#ifdef KVM_CAP_XEN_HVM
    xen_intercept = (ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_XEN_HVM) &
                     KVM_XEN_HVM_CONFIG_INTERCEPT_HCALL) != 0;
    if (xen_intercept)
        pin_xen_key();
#endif

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = kick_handler;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;    /* no SA_RESTART: KVM_RUN must return EINTR */
    if (sigaction(SIG_KICK, &sa, NULL) < 0)
        return -errno;
    log_info("KVM ready: %s", xen_intercept ? "Xen hypercall intercept available"
                                            : "no Xen intercept, hypercalls exit via port I/O");
    return 0;
}

#ifdef KVM_CAP_XEN_HVM
/*
 * KVM switches its Xen support on with a static key, incremented by every
 * VM configured for it and dropped (a second later) when the last goes:
 * each flip rewrites KVM's code while other VMs may run it. An idle VM
 * holding the key for lamina-hv's lifetime keeps domains' coming and going
 * from patching code under running vCPUs (on the TCG-emulated test host
 * that race oopsed in vcpu_run). Failing to pin costs nothing but that.
 */
static void pin_xen_key(void)
{
    static int keeper = -1;
    struct kvm_xen_hvm_config xc = {
        .flags = KVM_XEN_HVM_CONFIG_INTERCEPT_HCALL,
        .msr = XEN_HYPERCALL_MSR,
    };

    if (keeper >= 0)
        return;
    keeper = ioctl(kvm_fd, KVM_CREATE_VM, 0);
    if (keeper >= 0 && ioctl(keeper, KVM_XEN_HVM_CONFIG, &xc) < 0) {
        close(keeper);
        keeper = -1;
    }
}
#endif

bool arch_has_xen_intercept(void)
{
    return xen_intercept;
}

int arch_domain_init(struct domain *d)
{
    struct arch_domain *a = calloc(1, sizeof(*a));
    struct kvm_enable_cap cap;
    uint64_t idmap = KVM_IDENTITY_MAP_ADDR;

    if (!a)
        return -ENOMEM;
    d->arch = a;
    a->vm_fd = ioctl(kvm_fd, KVM_CREATE_VM, 0);
    if (a->vm_fd < 0) {
        a->vm_fd = -1;
        return -errno;
    }
    fcntl(a->vm_fd, F_SETFD, FD_CLOEXEC);
    if (ioctl(a->vm_fd, KVM_SET_TSS_ADDR, KVM_TSS_ADDR) < 0 ||
        ioctl(a->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &idmap) < 0)
        return -errno;
    if (ioctl(a->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
        return -errno;
    /*
     * The hypercall-page MSR must come to us.  Xen's number, 0x40000000, is
     * Hyper-V's on a KVM that emulates Hyper-V (which would answer with #GP),
     * so a filter denies it to KVM; denied and unknown MSRs exit to us.
     */
    memset(&cap, 0, sizeof(cap));
    cap.cap = KVM_CAP_X86_USER_SPACE_MSR;
    cap.args[0] = KVM_MSR_EXIT_REASON_UNKNOWN | KVM_MSR_EXIT_REASON_FILTER;
    if (ioctl(a->vm_fd, KVM_ENABLE_CAP, &cap) < 0)
        return -errno;
    if (ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_X86_MSR_FILTER) > 0) {
        static uint8_t deny[1];
        struct kvm_msr_filter filter = {
            .flags = KVM_MSR_FILTER_DEFAULT_ALLOW,
            .ranges[0] = {
                .flags = KVM_MSR_FILTER_READ | KVM_MSR_FILTER_WRITE,
                .nmsrs = 1,
                .base = XEN_HYPERCALL_MSR,
                .bitmap = deny,
            },
        };

        if (ioctl(a->vm_fd, KVM_X86_SET_MSR_FILTER, &filter) < 0)
            return -errno;
    }
#ifdef KVM_CAP_XEN_HVM
    /*
     * With KVM's Xen support, `vmcall`/`vmmcall` from the guest (which stock
     * Linux uses instead of the hypercall page) exit to us as KVM_EXIT_XEN.
     * The hypercall page itself stays ours (the filter above wins), so every
     * guest sees the same page on every KVM.
     */
    if (xen_intercept) {
        struct kvm_xen_hvm_config xc = {
            .flags = KVM_XEN_HVM_CONFIG_INTERCEPT_HCALL,
            .msr = XEN_HYPERCALL_MSR,
        };

        if (ioctl(a->vm_fd, KVM_XEN_HVM_CONFIG, &xc) < 0)
            return -errno;
    }
#endif
    return 0;
}

void arch_domain_destroy(struct domain *d)
{
    struct arch_domain *a = d->arch;

    if (a->vm_fd >= 0)
        close(a->vm_fd);
    free(a);
    d->arch = NULL;
}

int arch_set_memory(struct domain *d, uint32_t slot, uint64_t gpa, uint64_t size, void *hva)
{
    struct kvm_userspace_memory_region r = {
        .slot = slot,
        .guest_phys_addr = gpa,
        .memory_size = size,
        .userspace_addr = (uint64_t)(uintptr_t)hva,
    };

    return ioctl(d->arch->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0 ? -errno : 0;
}

int arch_clear_memory(struct domain *d, uint32_t slot)
{
    struct kvm_userspace_memory_region r = { .slot = slot };

    return ioctl(d->arch->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0 ? -errno : 0;
}

static void set_leaf(struct kvm_cpuid_entry2 *e, uint32_t fn, uint32_t idx, uint32_t eax,
                     uint32_t ebx, uint32_t ecx, uint32_t edx)
{
    memset(e, 0, sizeof(*e));
    e->function = fn;
    e->index = idx;
    e->eax = eax;
    e->ebx = ebx;
    e->ecx = ecx;
    e->edx = edx;
}

/* KVM's own CPUID, minus its paravirt leaves, plus Xen's. */
static int setup_cpuid(struct vcpu *v)
{
    struct arch_vcpu *a = v->arch;
    uint32_t n = 0, max = host_cpuid->nent + 8;
    struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + max * sizeof(c->entries[0]));
    int rc;

    if (!c)
        return -ENOMEM;
    for (uint32_t i = 0; i < host_cpuid->nent; i++) {
        struct kvm_cpuid_entry2 e = host_cpuid->entries[i];

        if (e.function >= 0x40000000u && e.function < 0x50000000u)
            continue;
        if (e.function == 1) {
            e.ecx |= 1u << 31;                                  /* hypervisor present */
            e.ebx = (e.ebx & 0x00ffffffu) | (v->id << 24);      /* initial APIC id */
        } else if (e.function == 0xb || e.function == 0x1f) {
            e.edx = v->id;                                      /* x2APIC id */
        }
        c->entries[n++] = e;
    }
    set_leaf(&c->entries[n++], XEN_CPUID_LEAF(0), 0,
             XEN_CPUID_LEAF(XEN_CPUID_MAX_NUM_LEAVES), XEN_CPUID_SIGNATURE_EBX,
             XEN_CPUID_SIGNATURE_ECX, XEN_CPUID_SIGNATURE_EDX);
    set_leaf(&c->entries[n++], XEN_CPUID_LEAF(1), 0, (HV_XEN_MAJOR << 16) | HV_XEN_MINOR, 0, 0,
             0);
    set_leaf(&c->entries[n++], XEN_CPUID_LEAF(2), 0, 1, XEN_HYPERCALL_MSR, 0, 0);
    set_leaf(&c->entries[n], XEN_CPUID_LEAF(3), 0, 0, 0, a->tsc_khz, 0);
    c->entries[n++].flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
    set_leaf(&c->entries[n++], XEN_CPUID_LEAF(4), 0,
             XEN_HVM_CPUID_VCPU_ID_PRESENT | XEN_HVM_CPUID_DOMID_PRESENT |
             XEN_HVM_CPUID_UPCALL_VECTOR, v->id, v->d->domid, 0);
    set_leaf(&c->entries[n++], XEN_CPUID_LEAF(5), 0, 0, 0, 0, 0);
    c->nent = n;
    rc = ioctl(a->fd, KVM_SET_CPUID2, c) < 0 ? -errno : 0;
    free(c);
    return rc;
}

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;

    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

/* guest TSC = host TSC + offset; measure the offset KVM chose. */
static int measure_tsc_offset(struct vcpu *v)
{
    struct arch_vcpu *a = v->arch;
    struct kvm_device_attr attr = {
        .group = KVM_VCPU_TSC_CTRL,
        .attr = KVM_VCPU_TSC_OFFSET,
        .addr = (uint64_t)(uintptr_t)&a->tsc_offset,
    };
    struct {
        struct kvm_msrs hdr;
        struct kvm_msr_entry e;
    } m;
    uint64_t before, after;

    if (ioctl(a->fd, KVM_HAS_DEVICE_ATTR, &attr) == 0 &&
        ioctl(a->fd, KVM_GET_DEVICE_ATTR, &attr) == 0)
        return 0;
    memset(&m, 0, sizeof(m));
    m.hdr.nmsrs = 1;
    m.e.index = 0x10;   /* IA32_TIME_STAMP_COUNTER */
    before = rdtsc();
    if (ioctl(a->fd, KVM_GET_MSRS, &m) != 1)
        return -EIO;
    after = rdtsc();
    a->tsc_offset = m.e.data - (before + (after - before) / 2);
    return 0;
}

int arch_vcpu_init(struct vcpu *v)
{
    struct arch_vcpu *a = calloc(1, sizeof(*a));
    int rc, khz;

    if (!a)
        return -ENOMEM;
    v->arch = a;
    a->fd = ioctl(v->d->arch->vm_fd, KVM_CREATE_VCPU, v->id);
    if (a->fd < 0) {
        rc = -errno;
        a->fd = -1;
        return rc;
    }
    fcntl(a->fd, F_SETFD, FD_CLOEXEC);
    a->run = mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE, MAP_SHARED, a->fd, 0);
    if (a->run == MAP_FAILED) {
        a->run = NULL;
        return -errno;
    }
    khz = ioctl(a->fd, KVM_GET_TSC_KHZ, 0);
    if (khz <= 0)
        return -EIO;
    a->tsc_khz = (uint32_t)khz;
    rc = measure_tsc_offset(v);
    if (!rc)
        rc = setup_cpuid(v);
    return rc;
}

void arch_vcpu_destroy(struct vcpu *v)
{
    struct arch_vcpu *a = v->arch;

    if (a->run)
        munmap(a->run, (size_t)run_size);
    if (a->fd >= 0)
        close(a->fd);
    free(a);
    v->arch = NULL;
}

int arch_vcpu_set_pvh_entry(struct vcpu *v, uint32_t entry, uint32_t start_info)
{
    struct arch_vcpu *a = v->arch;
    struct kvm_sregs s;
    struct kvm_regs r;
    struct kvm_segment code = {
        .base = 0, .limit = 0xffffffff, .selector = 0x10, .type = 0xb,
        .present = 1, .dpl = 0, .db = 1, .s = 1, .l = 0, .g = 1,
    };
    struct kvm_segment data = code;
    struct kvm_segment tss = {
        .base = 0, .limit = 0x67, .selector = 0x18, .type = 0xb, .present = 1, .s = 0,
    };

    if (ioctl(a->fd, KVM_GET_SREGS, &s) < 0)
        return -errno;
    data.selector = 0x18;
    data.type = 0x3;
    tss.selector = 0x20;
    s.cs = code;
    s.ds = s.es = s.fs = s.gs = s.ss = data;
    s.tr = tss;
    s.ldt.unusable = 1;
    s.cr0 = 0x11;       /* PE | ET: protected mode, paging off */
    s.cr3 = 0;
    s.cr4 = 0;
    s.efer = 0;
    if (ioctl(a->fd, KVM_SET_SREGS, &s) < 0)
        return -errno;
    memset(&r, 0, sizeof(r));
    r.rip = entry;
    r.rbx = start_info;
    r.rflags = 0x2;
    return ioctl(a->fd, KVM_SET_REGS, &r) < 0 ? -errno : 0;
}

static void seg_from_ar(struct kvm_segment *seg, uint32_t base, uint32_t limit, uint16_t ar,
                        uint16_t sel)
{
    /* Xen's "ar" is the VMX access-rights layout: type, s, dpl, p, avl, l, db, g. */
    seg->base = base;
    seg->limit = limit;
    seg->selector = sel;
    seg->type = ar & 0xf;
    seg->s = (ar >> 4) & 1;
    seg->dpl = (ar >> 5) & 3;
    seg->present = (ar >> 7) & 1;
    seg->avl = (ar >> 12) & 1;
    seg->l = (ar >> 13) & 1;
    seg->db = (ar >> 14) & 1;
    seg->g = (ar >> 15) & 1;
    seg->unusable = !seg->present;
}

int arch_vcpu_set_hvm_context(struct vcpu *v, const struct vcpu_hvm_context *ctx)
{
    struct arch_vcpu *a = v->arch;
    struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };
    struct kvm_sregs s;
    struct kvm_regs r;

    if (ioctl(a->fd, KVM_GET_SREGS, &s) < 0)
        return -errno;
    memset(&r, 0, sizeof(r));
    if (ctx->mode == VCPU_HVM_MODE_64B) {
        const struct vcpu_hvm_x86_64 *c = &ctx->cpu_regs.x86_64;
        struct kvm_segment code = {
            .limit = 0xffffffff, .selector = 0x10, .type = 0xb, .present = 1, .s = 1,
            .l = 1, .g = 1,
        };
        struct kvm_segment data = {
            .limit = 0xffffffff, .selector = 0x18, .type = 0x3, .present = 1, .s = 1,
            .db = 1, .g = 1,
        };

        s.cs = code;
        s.ds = s.es = s.fs = s.gs = s.ss = data;
        s.cr0 = c->cr0;
        s.cr3 = c->cr3;
        s.cr4 = c->cr4;
        s.efer = c->efer;
        r = (struct kvm_regs){ .rax = c->rax, .rcx = c->rcx, .rdx = c->rdx, .rbx = c->rbx,
                               .rsp = c->rsp, .rbp = c->rbp, .rsi = c->rsi, .rdi = c->rdi,
                               .rip = c->rip, .rflags = c->rflags | 2 };
    } else {
        const struct vcpu_hvm_x86_32 *c = &ctx->cpu_regs.x86_32;

        seg_from_ar(&s.cs, c->cs_base, c->cs_limit, c->cs_ar, 0x10);
        seg_from_ar(&s.ds, c->ds_base, c->ds_limit, c->ds_ar, 0x18);
        seg_from_ar(&s.ss, c->ss_base, c->ss_limit, c->ss_ar, 0x18);
        seg_from_ar(&s.es, c->es_base, c->es_limit, c->es_ar, 0x18);
        seg_from_ar(&s.tr, c->tr_base, c->tr_limit, c->tr_ar, 0x20);
        s.fs = s.gs = s.ds;
        s.cr0 = c->cr0;
        s.cr3 = c->cr3;
        s.cr4 = c->cr4;
        s.efer = c->efer;
        r = (struct kvm_regs){ .rax = c->eax, .rcx = c->ecx, .rdx = c->edx, .rbx = c->ebx,
                               .rsp = c->esp, .rbp = c->ebp, .rsi = c->esi, .rdi = c->edi,
                               .rip = c->eip, .rflags = c->eflags | 2 };
    }
    if (s.tr.type == 0) {
        s.tr = (struct kvm_segment){ .limit = 0x67, .selector = 0x20, .type = 0xb,
                                     .present = 1 };
    }
    s.ldt.unusable = 1;
    if (ioctl(a->fd, KVM_SET_SREGS, &s) < 0 || ioctl(a->fd, KVM_SET_REGS, &r) < 0 ||
        ioctl(a->fd, KVM_SET_MP_STATE, &mp) < 0)
        return -EINVAL;
    return 0;
}

static const char *internal_error(unsigned int sub)
{
    switch (sub) {
    case KVM_INTERNAL_ERROR_EMULATION:
        return "KVM could not emulate a guest instruction";
    case KVM_INTERNAL_ERROR_SIMUL_EX:
        return "a guest exception happened while delivering another";
    case KVM_INTERNAL_ERROR_DELIVERY_EV:
        return "KVM could not deliver an event to the guest";
    default:
        return "KVM internal error";
    }
}

static void record_exit(struct arch_vcpu *a)
{
    const struct kvm_run *run = a->run;
    struct exit_record *r = &a->history[a->exits++ % EXIT_HISTORY];

    r->ns = hv_now_ns();
    r->reason = run->exit_reason;
    r->rip = run->s.regs.regs.rip;
    r->rsp = run->s.regs.regs.rsp;
    r->cr3 = run->s.regs.sregs.cr3;
    switch (run->exit_reason) {
#ifdef KVM_CAP_XEN_HVM
    case KVM_EXIT_XEN:
        r->detail = run->xen.u.hcall.input;
        break;
#endif
    case KVM_EXIT_IO:
        r->detail = run->io.port;
        break;
    case KVM_EXIT_MMIO:
        r->detail = run->mmio.phys_addr;
        break;
    case KVM_EXIT_X86_RDMSR:
    case KVM_EXIT_X86_WRMSR:
        r->detail = run->msr.index;
        break;
    default:
        r->detail = 0;
        break;
    }
}

static const char *exit_name(uint32_t reason)
{
    switch (reason) {
#ifdef KVM_CAP_XEN_HVM
    case KVM_EXIT_XEN: return "xen-hypercall";
#endif
    case KVM_EXIT_IO: return "io";
    case KVM_EXIT_MMIO: return "mmio";
    case KVM_EXIT_X86_RDMSR: return "rdmsr";
    case KVM_EXIT_X86_WRMSR: return "wrmsr";
    case KVM_EXIT_INTR: return "signal";
    case KVM_EXIT_SHUTDOWN: return "shutdown";
    case KVM_EXIT_SYSTEM_EVENT: return "system-event";
    case KVM_EXIT_INTERNAL_ERROR: return "internal-error";
    case KVM_EXIT_FAIL_ENTRY: return "fail-entry";
    default: return "other";
    }
}

/* The recorded exits, oldest first, each as one line of the log. */
static void log_exit_history(struct vcpu *v)
{
    struct arch_vcpu *a = v->arch;
    uint64_t n = a->exits < EXIT_HISTORY ? a->exits : EXIT_HISTORY;
    uint64_t last = a->history[(a->exits - 1) % EXIT_HISTORY].ns;

    vlog(LOG_ERR, v, "its last %llu of %llu exits, oldest first (ms before the last):",
         (unsigned long long)n, (unsigned long long)a->exits);
    for (uint64_t i = a->exits - n; i < a->exits; i++) {
        const struct exit_record *r = &a->history[i % EXIT_HISTORY];

        vlog(LOG_ERR, v, "  -%llu.%03llu %s %#llx at rip %#llx rsp %#llx cr3 %#llx",
             (unsigned long long)((last - r->ns) / 1000000),
             (unsigned long long)((last - r->ns) / 1000 % 1000), exit_name(r->reason),
             (unsigned long long)r->detail, (unsigned long long)r->rip,
             (unsigned long long)r->rsp, (unsigned long long)r->cr3);
    }
}

int arch_vcpu_run(struct vcpu *v, struct vcpu_exit *e)
{
    struct arch_vcpu *a = v->arch;
    struct kvm_run *run = a->run;
    int r;

    if (!a->kick_ready) {
        sigset_t kick;

        sigemptyset(&kick);
        sigaddset(&kick, SIG_KICK);
        pthread_sigmask(SIG_UNBLOCK, &kick, NULL);
        a->kick_ready = true;
    }
    if (a->pending_msr) {
        run->msr.error = a->pending_msr->u.msr.fault ? 1 : 0;
        if (a->pending_msr->kind == VEXIT_MSR_READ)
            run->msr.data = a->pending_msr->u.msr.value;
        a->pending_msr = NULL;
    }
    run->kvm_valid_regs = KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS;
again:
    r = ioctl(a->fd, KVM_RUN, 0);
    run->kvm_dirty_regs = 0;
    if (r < 0) {
        if (errno == EINTR || errno == EAGAIN) {
            __atomic_store_n(&run->immediate_exit, 0, __ATOMIC_RELAXED);
            e->kind = VEXIT_KICKED;
            return 0;
        }
        snprintf(a->why, sizeof(a->why), "KVM_RUN failed: %s", strerror(errno));
        e->kind = VEXIT_FAILED;
        e->u.failed.why = a->why;
        return 0;
    }
    record_exit(a);

    a->xen_hcall = false;
    switch (run->exit_reason) {
#ifdef KVM_CAP_XEN_HVM
    case KVM_EXIT_XEN:
        if (run->xen.type != KVM_EXIT_XEN_HCALL) {
            snprintf(a->why, sizeof(a->why), "unexpected Xen exit type %u", run->xen.type);
            break;
        }
        if (run->xen.u.hcall.cpl != 0) {
            /* Hypercalls belong to the guest kernel, as on Xen. */
            run->xen.u.hcall.result = (uint64_t)-EPERM;
            goto again;
        }
        e->kind = VEXIT_HYPERCALL;
        e->u.hypercall.nr = run->xen.u.hcall.input;
        for (int i = 0; i < 6; i++)
            e->u.hypercall.args[i] = run->xen.u.hcall.params[i];
        a->xen_hcall = true;
        return 0;
#endif
    case KVM_EXIT_IO: {
        uint8_t *data = (uint8_t *)run + run->io.data_offset;
        bool out = run->io.direction == KVM_EXIT_IO_OUT;

        if (run->io.port == LAMINA_HYPERCALL_PORT && out && run->io.size == 4 &&
            run->io.count == 1) {
            const struct kvm_regs *g = &run->s.regs.regs;
            uint32_t nr;

            memcpy(&nr, data, 4);
            e->kind = VEXIT_HYPERCALL;
            e->u.hypercall.nr = nr;
            if ((run->s.regs.sregs.efer & (1u << 10)) && run->s.regs.sregs.cs.l) {
                e->u.hypercall.args[0] = g->rdi;
                e->u.hypercall.args[1] = g->rsi;
                e->u.hypercall.args[2] = g->rdx;
                e->u.hypercall.args[3] = g->r10;
                e->u.hypercall.args[4] = g->r8;
                e->u.hypercall.args[5] = g->r9;
            } else {
                /* 32-bit callers follow Xen's 32-bit register convention. */
                e->u.hypercall.args[0] = (uint32_t)g->rbx;
                e->u.hypercall.args[1] = (uint32_t)g->rcx;
                e->u.hypercall.args[2] = (uint32_t)g->rdx;
                e->u.hypercall.args[3] = (uint32_t)g->rsi;
                e->u.hypercall.args[4] = (uint32_t)g->rdi;
                e->u.hypercall.args[5] = (uint32_t)g->rbp;
            }
            return 0;
        }
        e->kind = VEXIT_IO;
        e->u.io.port = run->io.port;
        e->u.io.len = (uint32_t)run->io.size * run->io.count;
        e->u.io.write = out;
        e->u.io.data = data;
        return 0;
    }
    case KVM_EXIT_MMIO:
        e->kind = VEXIT_MMIO;
        e->u.mmio.gpa = run->mmio.phys_addr;
        e->u.mmio.len = run->mmio.len > 8 ? 8 : run->mmio.len;
        e->u.mmio.write = run->mmio.is_write;
        e->u.mmio.data = run->mmio.data;
        return 0;
    case KVM_EXIT_X86_RDMSR:
    case KVM_EXIT_X86_WRMSR:
        e->kind = run->exit_reason == KVM_EXIT_X86_RDMSR ? VEXIT_MSR_READ : VEXIT_MSR_WRITE;
        e->u.msr.index = run->msr.index;
        e->u.msr.value = run->msr.data;
        e->u.msr.fault = true;
        a->pending_msr = e;
        return 0;
    case KVM_EXIT_INTR:
        e->kind = VEXIT_KICKED;
        return 0;
    case KVM_EXIT_SHUTDOWN: {
        /* Where it happened is what anyone debugging the guest asks first. */
        const struct kvm_regs *gr = &run->s.regs.regs;
        const struct kvm_sregs *sr = &run->s.regs.sregs;

        if (gr->rip == 0xfff0 && sr->cr0 == 0x10 && sr->cs.selector == 0xf000)
            snprintf(a->why, sizeof(a->why), "triple fault (KVM reset the vCPU, so its "
                     "registers are lost; its last exits are in the log)");
        else
            snprintf(a->why, sizeof(a->why), "triple fault at rip %#llx (rsp %#llx, cr0 %#llx, "
                     "cr2 %#llx, cr3 %#llx, cr4 %#llx, efer %#llx)",
                     (unsigned long long)gr->rip, (unsigned long long)gr->rsp,
                     (unsigned long long)sr->cr0, (unsigned long long)sr->cr2,
                     (unsigned long long)sr->cr3, (unsigned long long)sr->cr4,
                     (unsigned long long)sr->efer);
        log_exit_history(v);
        break;
    }
    case KVM_EXIT_SYSTEM_EVENT:
        e->kind = VEXIT_TRIPLE_FAULT;
        return 0;
    case KVM_EXIT_INTERNAL_ERROR:
        snprintf(a->why, sizeof(a->why), "%s (suberror %u, rip %#llx)",
                 internal_error(run->internal.suberror), run->internal.suberror,
                 (unsigned long long)run->s.regs.regs.rip);
        break;
    case KVM_EXIT_FAIL_ENTRY:
        snprintf(a->why, sizeof(a->why), "the CPU refused to enter the guest (reason %#llx)",
                 (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
        break;
    default:
        snprintf(a->why, sizeof(a->why), "unexpected KVM exit %u", run->exit_reason);
        break;
    }
    e->kind = VEXIT_FAILED;
    e->u.failed.why = a->why;
    return 0;
}

void arch_vcpu_set_hypercall_result(struct vcpu *v, uint64_t ret)
{
    struct kvm_run *run = v->arch->run;

#ifdef KVM_CAP_XEN_HVM
    if (v->arch->xen_hcall) {
        run->xen.u.hcall.result = ret;      /* KVM puts it in rax */
        return;
    }
#endif
    run->s.regs.regs.rax = ret;
    run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
}

void arch_vcpu_get_paging(struct vcpu *v, struct vcpu_paging *p)
{
    const struct kvm_sregs *s = &v->arch->run->s.regs.sregs;

    p->cr0 = s->cr0;
    p->cr3 = s->cr3;
    p->cr4 = s->cr4;
    p->efer = s->efer;
}

void arch_vcpu_kick(struct vcpu *v)
{
    __atomic_store_n(&v->arch->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
    pthread_kill(v->thread, SIG_KICK);
}

int arch_vcpu_inject_vector(struct vcpu *v, uint8_t vector)
{
    struct kvm_msi msi = {
        .address_lo = APIC_MSI_BASE | (v->id << 12),
        .data = vector,
    };
    int r = ioctl(v->d->arch->vm_fd, KVM_SIGNAL_MSI, &msi);

    return r < 0 ? -errno : r;
}

int arch_vcpu_inject_nmi(struct vcpu *v)
{
    struct kvm_msi msi = {
        .address_lo = APIC_MSI_BASE | (v->id << 12),
        .data = 4u << 8,    /* delivery mode: NMI */
    };

    return ioctl(v->d->arch->vm_fd, KVM_SIGNAL_MSI, &msi) < 0 ? -errno : 0;
}

uint32_t arch_tsc_khz(struct domain *d)
{
    return d->vcpus && d->vcpus[0] ? d->vcpus[0]->arch->tsc_khz : 0;
}

uint64_t arch_vcpu_tsc_offset(struct vcpu *v)
{
    return v->arch->tsc_offset;
}
