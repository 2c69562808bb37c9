/* vcpu.c: one thread per vCPU: run the guest, serve its exits. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xen/sched.h>

#include "../loader/acpi.h"
#include "console.h"
#include "hv.h"

static __thread struct vcpu *this_vcpu;

struct vcpu *current_vcpu(void)
{
    return this_vcpu;
}

int vcpu_create(struct domain *d, uint32_t id, struct vcpu **out)
{
    struct vcpu *v = calloc(1, sizeof(*v));
    pthread_condattr_t attr;
    int rc;

    if (!v)
        return -ENOMEM;
    v->d = d;
    v->id = id;
    v->state = id == 0 ? VCPU_RUNNABLE : VCPU_DOWN;
    v->singleshot.fd = v->periodic.fd = -1;
    /* Poll timeouts are system times, which follow CLOCK_MONOTONIC. */
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&v->wake, &attr);
    pthread_condattr_destroy(&attr);
    atomic_init(&v->kick, false);
    atomic_init(&v->blocked, false);
    if (id < XEN_LEGACY_MAX_VCPUS)
        v->vcpu_info = &d->shared_info->vcpu_info[id];
    rc = vcpu_timers_init(v);
    if (!rc)
        rc = arch_vcpu_init(v);
    if (rc < 0) {
        vcpu_free(v);
        return rc;
    }
    *out = v;
    return 0;
}

void vcpu_free(struct vcpu *v)
{
    vcpu_timers_fini(v);
    if (v->arch)
        arch_vcpu_destroy(v);
    pthread_cond_destroy(&v->wake);
    free(v);
}

void vcpu_kick(struct vcpu *v)
{
    atomic_store(&v->kick, true);
    if (v->thread_started)
        arch_vcpu_kick(v);
}

void vcpu_wake(struct vcpu *v)
{
    pthread_mutex_lock(&v->d->lock);
    pthread_cond_broadcast(&v->wake);
    pthread_mutex_unlock(&v->d->lock);
}

/* Caller holds d->lock. */
static bool must_park(const struct vcpu *v)
{
    const struct domain *d = v->d;

    return !d->dying && (d->paused || d->shutdown || !d->built ||
                         (v->state == VCPU_DOWN && v->hold));
}

static void serve_io(struct vcpu *v, struct vcpu_exit *e)
{
    size_t n = e->u.io.len;

    if (e->u.io.port == LAMINA_DEBUGCON_PORT) {
        if (e->u.io.write)
            console_write(v->d, e->u.io.data, n);
        else
            memset(e->u.io.data, LAMINA_DEBUGCON_PORT, n);
        return;
    }
    /* The ACPI sleep control and reset registers the FADT names. */
    if (e->u.io.port == ACPI_SLEEP_CONTROL_PORT || e->u.io.port == ACPI_SLEEP_STATUS_PORT ||
        e->u.io.port == ACPI_RESET_PORT) {
        uint8_t val = n ? e->u.io.data[0] : 0;

        if (!e->u.io.write) {
            memset(e->u.io.data, 0, n);
        } else if (e->u.io.port == ACPI_SLEEP_CONTROL_PORT && (val & ACPI_SLEEP_ENABLE) &&
                   ACPI_SLEEP_TYPE(val) == ACPI_S5_SLEEP_TYPE) {
            domain_shutdown(v->d, SHUTDOWN_poweroff);
        } else if (e->u.io.port == ACPI_RESET_PORT && (val & 0x04)) {
            domain_shutdown(v->d, SHUTDOWN_reboot);
        }
        return;
    }
    /*
     * No devices live on ports: reads float high, writes vanish. But for
     * the PIT's counters, which read 0: Linux calibrates the TSC against
     * channel 2 and, reading 0xff, would wait for the count to move for
     * 100000 exits; reading 0 it gives up at once (the TSC rate is in
     * CPUID and vcpu_time_info anyway).
     */
    if (!e->u.io.write)
        memset(e->u.io.data, e->u.io.port >= 0x40 && e->u.io.port <= 0x42 ? 0 : 0xff, n);
    if (log_get_level() >= LOG_DEBUG)
        vlog_guest(LOG_DEBUG, v, "ignored %s of port %#x", e->u.io.write ? "write" : "read",
                   e->u.io.port);
}

static void serve_mmio(struct vcpu *v, struct vcpu_exit *e)
{
    if (!e->u.mmio.write)
        memset(e->u.mmio.data, 0xff, e->u.mmio.len);
    if (log_get_level() >= LOG_DEBUG)
        vlog_guest(LOG_DEBUG, v, "ignored %s of unbacked address %#llx",
                   e->u.mmio.write ? "write" : "read", (unsigned long long)e->u.mmio.gpa);
}

static void serve_msr(struct vcpu *v, struct vcpu_exit *e)
{
    e->u.msr.fault = true;
    if (e->u.msr.index != XEN_HYPERCALL_MSR) {
        if (log_get_level() >= LOG_DEBUG)
            vlog_guest(LOG_DEBUG, v, "#GP for %s of MSR %#x",
                       e->kind == VEXIT_MSR_WRITE ? "write" : "read", e->u.msr.index);
        return;
    }
    if (e->kind == VEXIT_MSR_WRITE) {
        if (hypercall_page_write(v, e->u.msr.value) == 0)
            e->u.msr.fault = false;
    } else {
        e->u.msr.value = v->d->hypercall_page_msr;
        e->u.msr.fault = false;
    }
}

/*
 * A down vCPU that exits for anything but a kick has run guest code: some
 * other vCPU started it with INIT/SIPI, which KVM handled. It is up.
 */
static void started_by_sipi(struct vcpu *v)
{
    struct domain *d = v->d;
    bool up = false;

    pthread_mutex_lock(&d->lock);
    if (v->state == VCPU_DOWN && !v->hold) {
        v->state = VCPU_RUNNABLE;
        v->initialised = true;
        up = true;
    }
    pthread_mutex_unlock(&d->lock);
    if (up) {
        vlog(LOG_DEBUG, v, "started by INIT/SIPI");
        vcpu_update_time(v);
    }
}

static void *vcpu_thread(void *arg)
{
    struct vcpu *v = arg;
    struct domain *d = v->d;
    struct vcpu_exit e;
    char name[16];

    this_vcpu = v;
    snprintf(name, sizeof(name), "d%uv%u", d->domid, v->id);
    pthread_setname_np(pthread_self(), name);

    for (;;) {
        pthread_mutex_lock(&d->lock);
        if (must_park(v)) {
            v->parked = true;
            pthread_cond_broadcast(&d->state_cond);
            while (must_park(v))
                pthread_cond_wait(&v->wake, &d->lock);
            v->parked = false;
        }
        if (d->dying) {
            pthread_mutex_unlock(&d->lock);
            break;
        }
        atomic_store(&v->kick, false);
        pthread_mutex_unlock(&d->lock);

        if (arch_vcpu_run(v, &e) < 0) {
            domain_crash(d, "the vCPU could not be run");
            continue;
        }
        if (v->state == VCPU_DOWN && e.kind != VEXIT_KICKED)
            started_by_sipi(v);
        switch (e.kind) {
        case VEXIT_HYPERCALL:
            arch_vcpu_get_paging(v, &v->paging);
            arch_vcpu_set_hypercall_result(
                v, (uint64_t)hypercall_dispatch(v, e.u.hypercall.nr, e.u.hypercall.args));
            break;
        case VEXIT_IO:
            serve_io(v, &e);
            break;
        case VEXIT_MMIO:
            serve_mmio(v, &e);
            break;
        case VEXIT_MSR_READ:
        case VEXIT_MSR_WRITE:
            serve_msr(v, &e);
            break;
        case VEXIT_KICKED:
            break;
        case VEXIT_TRIPLE_FAULT:
            domain_crash(d, "triple fault");
            break;
        case VEXIT_FAILED:
            domain_crash(d, e.u.failed.why);
            break;
        }
    }
    return NULL;
}

int vcpu_thread_start(struct vcpu *v)
{
    sigset_t all, old;
    int rc;

    /* vCPU threads take no signals but the backend's kick. */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    rc = pthread_create(&v->thread, NULL, vcpu_thread, v);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc)
        return -rc;
    v->thread_started = true;
    pthread_getcpuclockid(v->thread, &v->cpu_clock);
    return 0;
}

void vcpu_thread_join(struct vcpu *v)
{
    struct timespec ts;

    if (!v || !v->thread_started)
        return;
    if (!clock_gettime(v->cpu_clock, &ts))
        v->d->cpu_time_dead_ns += (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
    pthread_join(v->thread, NULL);
    v->thread_started = false;
}
