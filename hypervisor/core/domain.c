/* domain.c: the domain table and each domain's life cycle. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <xen/sched.h>

#include "console.h"
#include "events.h"
#include "guest_mem.h"
#include "hv.h"
#include "loop.h"

static pthread_mutex_t domtab_lock = PTHREAD_MUTEX_INITIALIZER;
static struct domain *domtab[HV_MAX_DOMAINS];
static uint32_t next_domid = 1;
struct domain *dom0;

#define LOG_BURST       10      /* guest-caused messages logged at once, then 1/s */

/* Pages after RAM in a domain's memfd: shared_info, special pages, grant frames. */
#define HV_EXTRA_PAGES  (1 + HV_SPECIAL_PAGE_COUNT + GNTTAB_MAX_FRAMES)

int domain_table_init(void)
{
    struct domain *d = calloc(1, sizeof(*d));
    int rc;

    if (!d)
        return -ENOMEM;
    d->domid = 0;
    snprintf(d->name, sizeof(d->name), "Domain-0");
    d->is_privileged = true;
    d->built = true;
    d->memfd = -1;
    atomic_init(&d->refcnt, 1);
    pthread_mutex_init(&d->lock, NULL);
    pthread_mutex_init(&d->log_lock, NULL);
    d->log_tokens = LOG_BURST;
    pthread_cond_init(&d->state_cond, NULL);
    pthread_rwlock_init(&d->physmap_lock, NULL);
    clock_gettime(CLOCK_MONOTONIC, &d->created);
    clock_gettime(CLOCK_REALTIME, &d->created_wall);
    /* dom0's event bitmaps live in a page its processes can map. */
    d->memfd = memfd_create("lamina-dom0-events", MFD_CLOEXEC);
    if (d->memfd < 0 || ftruncate(d->memfd, HV_PAGE_SIZE) < 0)
        return -errno;
    d->mem_size = HV_PAGE_SIZE;
    d->mem = mmap(NULL, HV_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, d->memfd, 0);
    if (d->mem == MAP_FAILED)
        return -errno;
    d->shared_info = (struct shared_info *)d->mem;
    rc = evtchn_domain_init(d, EVTCHN_DOM0_MAX_PORTS);
    if (rc < 0)
        return rc;
    dom0 = d;
    domtab[0] = d;
    return 0;
}

struct domain *domain_get(uint32_t domid)
{
    struct domain *d = NULL;

    if (domid >= HV_MAX_DOMAINS)
        return NULL;
    pthread_mutex_lock(&domtab_lock);
    d = domtab[domid];
    if (d)
        atomic_fetch_add(&d->refcnt, 1);
    pthread_mutex_unlock(&domtab_lock);
    return d;
}

struct domain *domain_get_by_name(const char *name)
{
    struct domain *found = NULL;

    pthread_mutex_lock(&domtab_lock);
    for (uint32_t i = 0; i < HV_MAX_DOMAINS && !found; i++) {
        if (domtab[i] && !strcmp(domtab[i]->name, name)) {
            found = domtab[i];
            atomic_fetch_add(&found->refcnt, 1);
        }
    }
    pthread_mutex_unlock(&domtab_lock);
    return found;
}

static void domain_free(struct domain *d)
{
    evtchn_domain_destroy(d);
    gnttab_domain_destroy(d);
    if (d->vcpus) {
        for (uint32_t i = 0; i < d->max_vcpus; i++)
            if (d->vcpus[i])
                vcpu_free(d->vcpus[i]);
        free(d->vcpus);
    }
    physmap_free(d);
    if (d->arch)
        arch_domain_destroy(d);
    if (d->mem)
        munmap(d->mem, d->mem_size);
    if (d->memfd >= 0)
        close(d->memfd);
    console_free(d);
    free(d->config_json);
    pthread_rwlock_destroy(&d->physmap_lock);
    pthread_cond_destroy(&d->state_cond);
    pthread_mutex_destroy(&d->log_lock);
    pthread_mutex_destroy(&d->lock);
    free(d);
}

bool domain_log_ratelimit(struct domain *d)
{
    struct timespec ts;
    uint64_t now;
    uint32_t dropped = 0;
    bool ok;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
    pthread_mutex_lock(&d->log_lock);
    if (now - d->log_refill_ns >= 1000000000ull) {
        uint64_t add = (now - d->log_refill_ns) / 1000000000ull;

        d->log_tokens = add >= LOG_BURST || d->log_tokens + add >= LOG_BURST
                            ? LOG_BURST : d->log_tokens + (uint32_t)add;
        d->log_refill_ns = now;
    }
    ok = d->log_tokens > 0;
    if (ok) {
        d->log_tokens--;
        dropped = d->log_suppressed;
        d->log_suppressed = 0;
    } else {
        d->log_suppressed++;
    }
    pthread_mutex_unlock(&d->log_lock);
    if (dropped)
        dlog(LOG_WARN, d, "%u messages caused by the guest were not logged", dropped);
    return ok;
}

void domain_put(struct domain *d)
{
    if (d && atomic_fetch_sub(&d->refcnt, 1) == 1)
        domain_free(d);
}

int domain_for_each(uint32_t first, int (*fn)(struct domain *d, void *arg), void *arg)
{
    for (uint32_t id = first; id < HV_MAX_DOMAINS; id++) {
        struct domain *d = domain_get(id);
        int rc;

        if (!d)
            continue;
        rc = fn(d, arg);
        domain_put(d);
        if (rc)
            return rc;
    }
    return 0;
}

static bool name_valid(const char *name, size_t max)
{
    size_t len = strnlen(name, max);
    bool all_digits = true;

    if (len == 0 || len == max)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.'))
            return false;
        if (c < '0' || c > '9')
            all_digits = false;
    }
    return !all_digits;
}

static int uuid_in_use(const uint8_t uuid[16])
{
    static const uint8_t zero[16];

    if (!memcmp(uuid, zero, 16))
        return 0;
    for (uint32_t i = 1; i < HV_MAX_DOMAINS; i++)
        if (domtab[i] && !memcmp(domtab[i]->uuid, uuid, 16))
            return 1;
    return 0;
}

/* Caller holds domtab_lock. */
static int domid_alloc(void)
{
    for (uint32_t n = 0; n < HV_MAX_DOMAINS - 1; n++) {
        uint32_t id = next_domid;

        next_domid = next_domid + 1 >= HV_MAX_DOMAINS ? 1 : next_domid + 1;
        if (!domtab[id])
            return (int)id;
    }
    return -ENOSPC;
}

static int domain_alloc_memory(struct domain *d)
{
    char name[32];

    snprintf(name, sizeof(name), "lamina-d%u", d->domid);
    d->memfd = memfd_create(name, MFD_CLOEXEC);
    if (d->memfd < 0)
        return -errno;
    d->mem_size = (d->ram_pages + HV_EXTRA_PAGES) << HV_PAGE_SHIFT;
    if (ftruncate(d->memfd, (off_t)d->mem_size) < 0)
        return -errno;
    d->mem = mmap(NULL, d->mem_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE,
                  d->memfd, 0);
    if (d->mem == MAP_FAILED) {
        d->mem = NULL;
        return -errno;
    }
    madvise(d->mem, d->mem_size, MADV_DONTDUMP);
    d->shared_info_offset = d->ram_pages << HV_PAGE_SHIFT;
    d->shared_info = (struct shared_info *)(d->mem + d->shared_info_offset);
    d->shared_info_gfn = GFN_INVALID;
    d->special_offset = d->shared_info_offset + HV_PAGE_SIZE;
    d->gnttab.offset = d->special_offset + HV_SPECIAL_PAGE_COUNT * HV_PAGE_SIZE;
    return 0;
}

int domain_create(const struct lamina_ctl_domain_create *req, const void *config,
                  struct domain **out)
{
    struct domain *d;
    int rc, id;

    if (!name_valid(req->name, sizeof(req->name)))
        return -EINVAL;
    if (req->memory_kb < HV_MIN_MEMORY_MB * 1024ull ||
        req->memory_kb > HV_MAX_MEMORY_MB * 1024ull || req->maxmem_kb < req->memory_kb)
        return -EINVAL;
    if (req->max_vcpus == 0 || req->max_vcpus > HV_MAX_VCPUS)
        return -EINVAL;
    if (req->on_poweroff >= LAMINA_ACTION_MAX || req->on_reboot >= LAMINA_ACTION_MAX ||
        req->on_crash >= LAMINA_ACTION_MAX || req->on_watchdog >= LAMINA_ACTION_MAX)
        return -EINVAL;
    if (req->flags & ~LAMINA_CREATE_F_MASK)
        return -EINVAL;

    d = calloc(1, sizeof(*d));
    if (!d)
        return -ENOMEM;
    atomic_init(&d->refcnt, 1);
    d->memfd = -1;
    pthread_mutex_init(&d->lock, NULL);
    pthread_mutex_init(&d->log_lock, NULL);
    d->log_tokens = LOG_BURST;
    pthread_cond_init(&d->state_cond, NULL);
    pthread_rwlock_init(&d->physmap_lock, NULL);
    memcpy(d->name, req->name, sizeof(d->name));
    memcpy(d->uuid, req->uuid, sizeof(d->uuid));
    d->paused = true;
    d->memory_kb = req->memory_kb & ~3ull;
    d->maxmem_kb = req->maxmem_kb;
    d->ram_pages = d->memory_kb / 4;
    d->max_vcpus = req->max_vcpus;
    d->actions[0] = req->on_poweroff;
    d->actions[1] = req->on_reboot;
    d->actions[2] = req->on_crash;
    d->actions[3] = req->on_watchdog;
    clock_gettime(CLOCK_MONOTONIC, &d->created);
    clock_gettime(CLOCK_REALTIME, &d->created_wall);
    if (req->config_len) {
        d->config_json = malloc(req->config_len);
        if (!d->config_json) {
            domain_free(d);
            return -ENOMEM;
        }
        memcpy(d->config_json, config, req->config_len);
        d->config_len = req->config_len;
    }

    pthread_mutex_lock(&domtab_lock);
    for (uint32_t i = 0; i < HV_MAX_DOMAINS; i++) {
        if (domtab[i] && !strcmp(domtab[i]->name, d->name)) {
            pthread_mutex_unlock(&domtab_lock);
            domain_free(d);
            return -EEXIST;
        }
    }
    if (uuid_in_use(d->uuid)) {
        pthread_mutex_unlock(&domtab_lock);
        domain_free(d);
        return -EEXIST;
    }
    id = domid_alloc();
    pthread_mutex_unlock(&domtab_lock);
    if (id < 0) {
        domain_free(d);
        return id;
    }
    d->domid = (uint32_t)id;

    rc = domain_alloc_memory(d);
    if (!rc)
        rc = evtchn_domain_init(d, EVTCHN_GUEST_MAX_PORTS);
    if (!rc)
        rc = gnttab_domain_init(d);
    if (!rc)
        rc = arch_domain_init(d);
    if (!rc)
        rc = physmap_init(d);
    if (!rc)
        rc = console_init(d);
    if (!rc) {
        d->vcpus = calloc(d->max_vcpus, sizeof(*d->vcpus));
        if (!d->vcpus)
            rc = -ENOMEM;
    }
    for (uint32_t i = 0; !rc && i < d->max_vcpus; i++)
        rc = vcpu_create(d, i, &d->vcpus[i]);
    domain_update_wallclock(d);
    for (uint32_t i = 0; !rc && i < d->max_vcpus; i++)
        rc = vcpu_thread_start(d->vcpus[i]);
    if (rc) {
        dlog(LOG_ERR, d, "creating domain '%s' failed: %s", d->name, strerror(-rc));
        pthread_mutex_lock(&d->lock);
        d->dying = true;
        for (uint32_t i = 0; d->vcpus && i < d->max_vcpus; i++)
            if (d->vcpus[i])
                pthread_cond_broadcast(&d->vcpus[i]->wake);
        pthread_mutex_unlock(&d->lock);
        for (uint32_t i = 0; d->vcpus && i < d->max_vcpus; i++)
            if (d->vcpus[i])
                vcpu_thread_join(d->vcpus[i]);
        domain_free(d);
        return rc;
    }

    /* The slot was free when allocated and only this thread fills slots. */
    pthread_mutex_lock(&domtab_lock);
    domtab[d->domid] = d;
    pthread_mutex_unlock(&domtab_lock);
    dlog(LOG_INFO, d, "created '%s': %llu MiB, %u vCPU(s)", d->name,
         (unsigned long long)(d->memory_kb / 1024), d->max_vcpus);
    events_domain(d->domid, LAMINA_DOMEV_CREATED, 0, 0);
    *out = d;
    return 0;
}

static bool vcpu_quiescent(const struct vcpu *v)
{
    return !v->thread_started || v->parked || v->blocked;
}

static void kick_all(struct domain *d, const struct vcpu *except)
{
    for (uint32_t i = 0; i < d->max_vcpus; i++) {
        struct vcpu *v = d->vcpus[i];

        if (v && v != except) {
            pthread_cond_broadcast(&v->wake);
            vcpu_kick(v);
        }
    }
}

int domain_destroy(struct domain *d)
{
    if (d->is_privileged)
        return -EPERM;
    pthread_mutex_lock(&d->lock);
    if (d->dying) {
        pthread_mutex_unlock(&d->lock);
        return -EBUSY;
    }
    d->dying = true;
    kick_all(d, NULL);
    pthread_mutex_unlock(&d->lock);

    for (uint32_t i = 0; i < d->max_vcpus; i++) {
        vcpu_thread_join(d->vcpus[i]);
        vcpu_timers_fini(d->vcpus[i]);
    }
    /* Peers see their channels to this domain unbound from here on. */
    console_disconnect(d);
    evtchn_domain_destroy(d);

    pthread_mutex_lock(&domtab_lock);
    domtab[d->domid] = NULL;
    pthread_mutex_unlock(&domtab_lock);
    evtchn_send_global_virq(dom0, VIRQ_DOM_EXC);
    dlog(LOG_INFO, d, "destroyed '%s'", d->name);
    events_domain(d->domid, LAMINA_DOMEV_DESTROYED, d->shutdown_reason,
                  d->shutdown ? LAMINA_ACTION_DESTROY : 0);
    domain_put(d);  /* the table's reference */
    return 0;
}

void domain_destroy_all(void)
{
    for (uint32_t id = 1; id < HV_MAX_DOMAINS; id++) {
        struct domain *d = domain_get(id);

        if (d) {
            domain_destroy(d);
            domain_put(d);
        }
    }
}

int domain_pause(struct domain *d)
{
    if (d->is_privileged)
        return -EPERM;
    pthread_mutex_lock(&d->lock);
    if (d->dying) {
        pthread_mutex_unlock(&d->lock);
        return -EINVAL;
    }
    if (!d->paused) {
        d->paused = true;
        kick_all(d, NULL);
        for (uint32_t i = 0; i < d->max_vcpus; i++)
            while (!vcpu_quiescent(d->vcpus[i]))
                pthread_cond_wait(&d->state_cond, &d->lock);
    }
    pthread_mutex_unlock(&d->lock);
    events_domain(d->domid, LAMINA_DOMEV_PAUSED, 0, 0);
    return 0;
}

int domain_unpause(struct domain *d)
{
    if (d->is_privileged)
        return -EPERM;
    pthread_mutex_lock(&d->lock);
    if (d->dying || !d->built) {
        pthread_mutex_unlock(&d->lock);
        return -EINVAL;
    }
    if (d->paused) {
        d->paused = false;
        for (uint32_t i = 0; i < d->max_vcpus; i++)
            pthread_cond_broadcast(&d->vcpus[i]->wake);
    }
    pthread_mutex_unlock(&d->lock);
    events_domain(d->domid, LAMINA_DOMEV_UNPAUSED, 0, 0);
    return 0;
}

static unsigned int action_index(uint32_t reason)
{
    switch (reason) {
    case SHUTDOWN_reboot:
        return 1;
    case SHUTDOWN_crash:
        return 2;
    case SHUTDOWN_watchdog:
        return 3;
    default:
        return 0;
    }
}

static const char *reason_name(uint32_t reason)
{
    switch (reason) {
    case SHUTDOWN_poweroff:
        return "poweroff";
    case SHUTDOWN_reboot:
        return "reboot";
    case SHUTDOWN_suspend:
        return "suspend";
    case SHUTDOWN_crash:
        return "crash";
    case SHUTDOWN_watchdog:
        return "watchdog";
    case SHUTDOWN_soft_reset:
        return "soft_reset";
    default:
        return "unknown";
    }
}

/*
 * Main thread: tell the toolstack and apply the domain's on_* action.
 * Until this runs, getinfo does not show the shutdown either: whoever
 * learns of it has had the SHUTDOWN event first (its action says whether a
 * DESTROYED event that follows ends the domain for good or a restart).
 */
static void shutdown_work(void *arg)
{
    struct domain *d = arg;
    uint32_t reason = d->shutdown_reason;
    uint8_t action = d->actions[action_index(reason)];
    bool gone;

    if (reason == SHUTDOWN_suspend || reason == SHUTDOWN_soft_reset)
        action = LAMINA_ACTION_PRESERVE;    /* the toolstack decides what follows */
    pthread_mutex_lock(&d->lock);
    gone = d->dying;
    d->shutdown_announced = !gone;
    pthread_mutex_unlock(&d->lock);
    if (gone) {
        /* Destroyed meanwhile: its DESTROYED event said all there was to say. */
        dlog(LOG_INFO, d, "'%s' shut down (%s) as it was destroyed", d->name,
             reason_name(reason));
        domain_put(d);
        return;
    }
    dlog(LOG_INFO, d, "'%s' shut down (%s)", d->name, reason_name(reason));
    events_domain(d->domid, LAMINA_DOMEV_SHUTDOWN, reason, action);
    evtchn_send_global_virq(dom0, VIRQ_DOM_EXC);
    switch (action) {
    case LAMINA_ACTION_DESTROY:
        domain_destroy(d);
        break;
    case LAMINA_ACTION_COREDUMP_DESTROY:
        dlog(LOG_WARN, d, "core dumps are not supported; destroying without one");
        domain_destroy(d);
        break;
    default:
        /* preserve: keep it for inspection; restart: the toolstack rebuilds. */
        break;
    }
    domain_put(d);
}

void domain_shutdown(struct domain *d, uint32_t reason)
{
    pthread_mutex_lock(&d->lock);
    if (d->shutdown || d->dying || d->is_privileged) {
        pthread_mutex_unlock(&d->lock);
        return;
    }
    d->shutdown = true;
    d->shutdown_reason = reason;
    kick_all(d, current_vcpu());
    pthread_mutex_unlock(&d->lock);
    atomic_fetch_add(&d->refcnt, 1);
    if (loop_defer(shutdown_work, d) < 0) {
        pthread_mutex_lock(&d->lock);
        d->shutdown_announced = true;   /* no event then, but getinfo must tell */
        pthread_mutex_unlock(&d->lock);
        evtchn_send_global_virq(dom0, VIRQ_DOM_EXC);
        domain_put(d);
    }
}

void domain_crash(struct domain *d, const char *why)
{
    dlog(LOG_ERR, d, "crashed: %s", why);
    domain_shutdown(d, SHUTDOWN_crash);
}

uint64_t domain_cpu_time_ns(struct domain *d)
{
    uint64_t total = d->cpu_time_dead_ns;

    for (uint32_t i = 0; d->vcpus && i < d->max_vcpus; i++) {
        struct vcpu *v = d->vcpus[i];
        struct timespec ts;

        if (v && v->thread_started && !clock_gettime(v->cpu_clock, &ts))
            total += (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
    }
    return total;
}

uint32_t domain_flags(struct domain *d)
{
    uint32_t f = 0;
    bool running = false, all_blocked = true;

    pthread_mutex_lock(&d->lock);
    if (d->dying)
        f |= LAMINA_DOMINF_DYING;
    if (d->shutdown && d->shutdown_announced) {
        f |= LAMINA_DOMINF_SHUTDOWN |
             ((d->shutdown_reason & LAMINA_DOMINF_SHUTDOWN_MASK) << LAMINA_DOMINF_SHUTDOWN_SHIFT);
        if (d->shutdown_reason == SHUTDOWN_crash)
            f |= LAMINA_DOMINF_CRASHED;
    }
    if (d->paused)
        f |= LAMINA_DOMINF_PAUSED;
    if (d->built)
        f |= LAMINA_DOMINF_BUILT;
    if (!d->is_privileged)
        f |= LAMINA_DOMINF_HVM_GUEST | LAMINA_DOMINF_HAP;
    for (uint32_t i = 0; d->vcpus && i < d->max_vcpus; i++) {
        const struct vcpu *v = d->vcpus[i];

        if (v->state == VCPU_DOWN)
            continue;
        if (v->blocked)
            continue;
        all_blocked = false;
        if (!v->parked)
            running = true;
    }
    if (d->is_privileged)
        running = true;
    else if (!d->paused && !d->shutdown && d->built && all_blocked)
        f |= LAMINA_DOMINF_BLOCKED;
    if (running)
        f |= LAMINA_DOMINF_RUNNING;
    pthread_mutex_unlock(&d->lock);
    return f;
}
