/* hv.h: domains, vCPUs and the services the hypervisor core offers itself. */
/* SPDX-License-Identifier: MIT */
#ifndef LAMINA_HV_H
#define LAMINA_HV_H

/*
 * Locking rules (written once, here):
 *
 *  - domtab_lock protects the domain table and domid allocation.  A lookup
 *    takes a reference (domain_get); domain_put drops it; the last put frees.
 *  - d->lock protects a domain's life-cycle state (paused, shutdown, dying,
 *    built), its vCPUs' run state and HVM params.  vCPU threads sleep on
 *    v->wake under d->lock.  Never held across a call into the backend's
 *    KVM_RUN, nor while taking another domain's lock.
 *  - d->physmap_lock (rwlock) protects the guest-physical map; readers
 *    translate addresses, writers change slots.  Host pointers obtained from
 *    the translator stay valid until the domain is freed because guest
 *    memory is mapped once, whole, for the domain's lifetime.
 *  - the console has its own lock (console.c); it nests inside nothing.
 *
 * Threads: the main thread runs the event loop (control socket, deferred
 * work, timers); each vCPU has one thread running the guest and serving its
 * hypercalls.  Only the main thread destroys domains and joins vCPU threads.
 */

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <lamina/control.h>
#include <xen/xen.h>
#include <xen/hvm/params.h>

#include "arch.h"
#include "event_channel.h"
#include "grant_table.h"
#include "log.h"
#include "timer.h"

#define HV_MAX_DOMAINS          DOMID_FIRST_RESERVED
#define HV_MAX_VCPUS            128
#define HV_MAX_MEMORY_MB        (64u * 1024u)
#define HV_MIN_MEMORY_MB        2u
#define HV_PAGE_SIZE            4096ull
#define HV_PAGE_SHIFT           12

/* Guest-physical layout. */
#define HV_LOWMEM_END           0xf0000000ull   /* start of the MMIO hole below 4 GiB */
#define HV_HIGHMEM_START        0x100000000ull
#define HV_SPECIAL_END_GFN      0xff000ull      /* special pages end here, as in Xen */
#define HV_SPECIAL_PAGE_COUNT   8               /* console, xenstore, ... */

/* Special pages, counted down from HV_SPECIAL_END_GFN. */
enum hv_special_page {
    SPECIAL_PAGE_CONSOLE = 0,
    SPECIAL_PAGE_XENSTORE = 1,
    SPECIAL_PAGE_ACPI = 2,          /* RSDP and tables (loader/acpi.c) */
};

struct physmap;
struct console;
struct arch_domain;
struct arch_vcpu;

enum vcpu_state {
    VCPU_DOWN,          /* not brought up (secondary vCPUs at boot) */
    VCPU_RUNNABLE,
};

struct vcpu {
    struct domain *d;
    uint32_t id;
    struct arch_vcpu *arch;

    pthread_t thread;
    bool thread_started;
    pthread_cond_t wake;            /* under d->lock */
    enum vcpu_state state;          /* under d->lock */
    atomic_bool blocked;            /* in SCHEDOP_block/poll; set under d->lock */
    bool initialised;               /* has a register state to start from */
    /*
     * A down vCPU's thread waits inside KVM for INIT/SIPI from another
     * vCPU (how Linux starts its CPUs) unless held: parked, its registers
     * ours to set (VCPUOP_initialise, VCPUOP_down). Under d->lock.
     */
    bool hold;
    bool parked;                    /* stopped at the pause point, under d->lock */
    atomic_bool kick;               /* leave guest mode and look at d's state */

    struct vcpu_paging paging;      /* at the current hypercall */
    struct vcpu_info *vcpu_info;    /* host pointer into guest memory */
    uint8_t upcall_vector;          /* 0: none */
    uint32_t virq_to_port[EVTCHN_NR_VIRQS];     /* under d->evtchn.lock */

    /* SCHEDOP_poll: the ports a blocked vCPU waits for, under d->lock. */
    const uint32_t *poll_ports;
    unsigned int poll_nr;

    struct hv_timer singleshot;     /* set_timer_op, VCPUOP_set_singleshot_timer */
    struct hv_timer periodic;       /* VCPUOP_set_periodic_timer */
    struct hv_timer upcall_watch;   /* raises again an upcall the guest has not taken */
    atomic_uint upcall_raises;      /* upcall vectors sent */
    unsigned int upcall_raises_seen;    /* ... at the watch's last look (event thread) */
    uint64_t periodic_ns;
    clockid_t cpu_clock;
    uint64_t hypercalls;
};

struct domain {
    uint32_t domid;
    char name[LAMINA_NAME_MAX];
    uint8_t uuid[16];
    atomic_int refcnt;
    bool is_privileged;             /* dom0: host processes, no VM */

    pthread_mutex_t lock;
    pthread_cond_t state_cond;      /* life-cycle changes, under lock */
    bool built;
    bool paused;                    /* by control software */
    bool shutdown;
    bool shutdown_announced;        /* its SHUTDOWN event went out: getinfo shows it */
    bool dying;
    uint32_t shutdown_reason;       /* SHUTDOWN_* when shutdown */
    uint8_t actions[4];             /* enum lamina_action: poweroff, reboot, crash, watchdog */

    uint64_t memory_kb;
    uint64_t maxmem_kb;
    uint32_t max_vcpus;
    struct vcpu **vcpus;

    /* Guest memory: one memfd holding RAM, then the hypervisor's own pages. */
    int memfd;
    uint8_t *mem;
    uint64_t mem_size;
    uint64_t ram_pages;
    struct physmap *physmap;
    pthread_rwlock_t physmap_lock;

    struct shared_info *shared_info;    /* hypervisor-owned page */
    uint64_t shared_info_offset;        /* its offset in the memfd */
    uint64_t shared_info_gfn;           /* where the guest mapped it, or ~0 */
    uint64_t special_offset;            /* memfd offset of the special pages */
    uint32_t vm_assist;                 /* VMASST_TYPE_* bits enabled */
    /* Rate limit of the messages a guest can cause (domain_log_ratelimit()). */
    pthread_mutex_t log_lock;
    uint64_t log_refill_ns;
    uint32_t log_tokens, log_suppressed;

    uint64_t hvm_params[HVM_NR_PARAMS];
    struct hv_e820 {
        uint64_t addr, size;
        uint32_t type;
    } e820[8];                          /* the memory map the builder gave */
    uint32_t e820_nr;
    uint32_t shutdown_code;             /* SCHEDOP_shutdown_code */
    uint64_t hypercall_page_msr;

    struct evtchn_table evtchn;
    atomic_int pollers;                 /* vCPUs in SCHEDOP_poll */
    struct grant_table gnttab;
    uint32_t console_port;              /* guest end of the console channel */
    uint32_t console_dom0_port;         /* the hypervisor's end (dom0 port) */

    struct console *console;
    char *config_json;
    uint32_t config_len;

    struct timespec created;            /* CLOCK_MONOTONIC */
    struct timespec created_wall;       /* CLOCK_REALTIME */
    uint64_t cpu_time_dead_ns;          /* of vCPU threads that ended */

    struct arch_domain *arch;
};

/* Domain table (domain.c). */
int domain_table_init(void);
struct domain *domain_get(uint32_t domid);
void domain_put(struct domain *d);
struct domain *domain_get_by_name(const char *name);
int domain_create(const struct lamina_ctl_domain_create *req, const void *config,
                  struct domain **out);
int domain_destroy(struct domain *d);
int domain_pause(struct domain *d);
int domain_unpause(struct domain *d);
void domain_shutdown(struct domain *d, uint32_t reason);
/*
 * True if a message the guest brought about may be logged now: a burst of
 * 10, then one a second per domain. The first message after a quiet spell
 * says how many were dropped.
 */
bool domain_log_ratelimit(struct domain *d);
void domain_crash(struct domain *d, const char *why);
int domain_start_vcpu(struct vcpu *v);
uint32_t domain_flags(struct domain *d);
uint64_t domain_cpu_time_ns(struct domain *d);
/* Visit every live domain in domid order; stop when fn returns non-zero. */
int domain_for_each(uint32_t first, int (*fn)(struct domain *d, void *arg), void *arg);
void domain_destroy_all(void);
extern struct domain *dom0;

/* vCPU threads (vcpu.c). */
int vcpu_create(struct domain *d, uint32_t id, struct vcpu **out);
void vcpu_free(struct vcpu *v);
int vcpu_thread_start(struct vcpu *v);
void vcpu_thread_join(struct vcpu *v);
void vcpu_wake(struct vcpu *v);
void vcpu_kick(struct vcpu *v);
struct vcpu *current_vcpu(void);

/* Hypercall dispatch (hypercall.c). */
long hypercall_dispatch(struct vcpu *v, uint64_t nr, const uint64_t args[6]);
int hypercall_page_write(struct vcpu *v, uint64_t msr_value);

/*
 * Hypercall families, one dispatcher each, named after Xen's.  Arguments
 * are the guest's registers, untrusted: a[0] is the first argument.
 */
typedef long hypercall_fn(struct vcpu *v, const uint64_t a[6]);
hypercall_fn do_xen_version;
hypercall_fn do_console_io;
hypercall_fn do_sched_op;
hypercall_fn do_hvm_op;
hypercall_fn do_memory_op;
hypercall_fn do_vcpu_op;
hypercall_fn do_set_timer_op;
hypercall_fn do_vm_assist;

/* Block the calling vCPU until an event is pending for it (sched.c). */
void vcpu_block(struct vcpu *v);

/* Time (time.c). */
uint64_t hv_now_ns(void);
uint64_t domain_system_time(struct domain *d);
/* A domain's system time as the host's CLOCK_MONOTONIC time (at least 1). */
uint64_t domain_time_to_host(struct domain *d, uint64_t system_time);
/* Arm the vCPU's one-shot timer for system time t (0 stops it); VIRQ_TIMER fires. */
int vcpu_set_singleshot(struct vcpu *v, uint64_t t);
int vcpu_timers_init(struct vcpu *v);
void vcpu_timers_fini(struct vcpu *v);
void vcpu_update_time(struct vcpu *v);
void domain_update_wallclock(struct domain *d);

/* Build (pvh.c). */
#define HV_CMDLINE_MAX          4096    /* bytes, NUL included */
#define HV_KERNEL_MAX           (512ull << 20)
int domain_build_pvh(struct domain *d, int kernel_fd, int ramdisk_fd, const char *cmdline,
                     struct lamina_ctl_domain_build_reply *out, char *err, size_t errlen);

/* Xen version the guest ABI reports. */
#define HV_XEN_MAJOR            4
#define HV_XEN_MINOR            17
#define HV_XEN_EXTRAVERSION     ".0-lamina"

#endif /* LAMINA_HV_H */
