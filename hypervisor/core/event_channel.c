/* event_channel.c: Xen's 2-level event channels between domains and dom0. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xen/event_channel.h>

#include "event_channel.h"
#include "guest_mem.h"
#include "hv.h"
#include "loop.h"

/*
 * Locking: each domain's port table has one lock (d->evtchn.lock).  An
 * operation touching two domains (binding or closing an inter-domain
 * channel) takes both, lower domid first.  Raising an event on a port only
 * needs the lock that keeps the port's binding stable: the sender's lock
 * for an inter-domain send, since the pair can only be undone with both
 * locks held.  Waking a vCPU takes d->lock after the event-channel locks,
 * never the other way round.  Hypervisor-internal consumers of dom0 ports
 * are called with no event-channel lock held.
 *
 * Event state itself (pending, mask, selector, upcall-pending bits) lives
 * in memory the guest shares and is changed with atomic operations only.
 */

#define BITS_PER_WORD   64

/* A hypervisor-internal consumer to call once locks are dropped. */
struct deferred_call {
    void (*fn)(void *arg, uint32_t port);
    void *arg;
    uint32_t port;
};

/* The event thread's watch on a dom0 process's kick eventfd for one port. */
struct evtchn_kick {
    int fd;
    uint32_t port;
    void *conn;
};

static bool virq_is_global(uint32_t virq)
{
    switch (virq) {
    case VIRQ_TIMER:
    case VIRQ_DEBUG:
    case VIRQ_XENOPROF:
    case VIRQ_XENPMU:
        return false;
    default:
        return true;
    }
}

int evtchn_domain_init(struct domain *d, uint32_t max_ports)
{
    pthread_mutex_init(&d->evtchn.lock, NULL);
    d->evtchn.ports = calloc(max_ports, sizeof(*d->evtchn.ports));
    if (!d->evtchn.ports)
        return -ENOMEM;
    d->evtchn.max_ports = max_ports;
    for (uint32_t i = 0; i < max_ports; i++) {
        d->evtchn.ports[i].owner.notify_fd = -1;
        d->evtchn.ports[i].owner.kick_fd = -1;
    }
    /* Port 0 is never handed out: guests use it to mean "no port". */
    d->evtchn.ports[0].state = ECS_RESERVED;
    return 0;
}

static struct evtchn *port_get(struct domain *d, uint32_t port)
{
    if (port == 0 || port >= d->evtchn.max_ports)
        return NULL;
    return &d->evtchn.ports[port];
}

/* Caller holds d->evtchn.lock. */
static int port_alloc(struct domain *d)
{
    for (uint32_t p = 1; p < d->evtchn.max_ports; p++) {
        struct evtchn *chn = &d->evtchn.ports[p];

        if (chn->state == ECS_FREE) {
            memset(chn, 0, sizeof(*chn));
            chn->owner.notify_fd = -1;
            chn->owner.kick_fd = -1;
            return (int)p;
        }
    }
    return -ENOSPC;
}

static xen_ulong_t *pending_word(struct domain *d, uint32_t port)
{
    return &d->shared_info->evtchn_pending[port / BITS_PER_WORD];
}

static xen_ulong_t *mask_word(struct domain *d, uint32_t port)
{
    return &d->shared_info->evtchn_mask[port / BITS_PER_WORD];
}

static bool test_and_set(xen_ulong_t *w, unsigned int bit)
{
    xen_ulong_t m = 1ul << bit;

    return __atomic_fetch_or(w, m, __ATOMIC_SEQ_CST) & m;
}

static bool test(xen_ulong_t *w, unsigned int bit)
{
    return __atomic_load_n(w, __ATOMIC_SEQ_CST) & (1ul << bit);
}

static void clear(xen_ulong_t *w, unsigned int bit)
{
    __atomic_fetch_and(w, ~(1ul << bit), __ATOMIC_SEQ_CST);
}

/*
 * Tell a vCPU it has events: set its upcall-pending flag, raise its
 * upcall vector and end its block. The vector is raised for every newly
 * pending port, even when the flag was already set: KVM drops an
 * interrupt sent while the guest's local APIC is software-disabled (Xen's
 * vLAPIC would have kept it in the IRR), and a flag left set after such a
 * loss would otherwise silence the vCPU for good. An extra upcall finds
 * the flag clear and costs the guest one look at it.
 */
static void mark_events_pending(struct vcpu *v)
{
    bool was = __atomic_exchange_n(&v->vcpu_info->evtchn_upcall_pending, 1, __ATOMIC_SEQ_CST);

    if (v->upcall_vector) {
        int rc = arch_vcpu_inject_vector(v, v->upcall_vector);

        atomic_fetch_add(&v->upcall_raises, 1);

        if (rc <= 0 && log_get_level() >= LOG_DEBUG)
            vlog(LOG_DEBUG, v, "upcall vector %#x not accepted (%d)%s", v->upcall_vector, rc,
                 was ? ", flag was set" : "");
    }
    if (atomic_load(&v->blocked))
        vcpu_wake(v);
}

/*
 * A new upcall vector delivers what is already pending, as Xen does:
 * events marked while the vCPU had no vector (xenstored's first notify
 * comes before any guest has set one up) were never injected, and with
 * the upcall-pending flag already set nothing else would inject them.
 */
void vcpu_set_upcall_vector(struct vcpu *v, uint8_t vector)
{
    __atomic_store_n(&v->upcall_vector, vector, __ATOMIC_SEQ_CST);
    timer_set(&v->upcall_watch, vector ? hv_now_ns() + UPCALL_WATCH_NS : 0,
              vector ? UPCALL_WATCH_NS : 0);
    if (vector && v->vcpu_info &&
        __atomic_load_n(&v->vcpu_info->evtchn_upcall_pending, __ATOMIC_SEQ_CST)) {
        int rc = arch_vcpu_inject_vector(v, vector);

        if (log_get_level() >= LOG_DEBUG)
            vlog(LOG_DEBUG, v, "upcall vector %#x: pending events injected (%d)", vector, rc);
    }
}

/*
 * Event thread, every UPCALL_WATCH_NS while the vCPU has an upcall vector:
 * an upcall announced (the flag set, the vector sent) that the guest has
 * not taken for a whole period, with no new one sent meanwhile, is raised
 * again. An interrupt can be lost on its way (KVM drops one sent while the
 * guest's local APIC is software-disabled); a guest that never sees its
 * timer or xenstore event waits forever. Xen's callback vector is level-
 * triggered on the flag for the same reason. Costs the guest one extra
 * upcall, in which it finds what was pending.
 */
void evtchn_upcall_watch(struct vcpu *v)
{
    unsigned int raises = atomic_load(&v->upcall_raises);
    uint8_t vector = __atomic_load_n(&v->upcall_vector, __ATOMIC_SEQ_CST);

    if (vector && v->vcpu_info && raises == v->upcall_raises_seen &&
        __atomic_load_n(&v->vcpu_info->evtchn_upcall_pending, __ATOMIC_SEQ_CST)) {
        int rc = arch_vcpu_inject_vector(v, vector);

        raises = atomic_fetch_add(&v->upcall_raises, 1) + 1;
        if (log_get_level() >= LOG_DEBUG)
            vlog(LOG_DEBUG, v, "upcall not taken for %llu ms: vector %#x raised again (%d)",
                 (unsigned long long)(UPCALL_WATCH_NS / 1000000), vector, rc);
        if (atomic_load(&v->blocked))
            vcpu_wake(v);
    }
    v->upcall_raises_seen = raises;
}

static void wake_pollers(struct domain *d)
{
    pthread_mutex_lock(&d->lock);
    for (uint32_t i = 0; i < d->max_vcpus; i++)
        if (d->vcpus[i]->poll_nr)
            pthread_cond_broadcast(&d->vcpus[i]->wake);
    pthread_mutex_unlock(&d->lock);
}

static void notify_fd(int fd)
{
    /* Non-blocking: a full pipe already holds a wake-up for the process. */
    if (fd >= 0 && write(fd, "e", 1) < 0) {
        /* EAGAIN (full) or EPIPE (the process went away): nothing to do. */
    }
}

/*
 * Mark port pending in d and deliver it.  The caller holds a lock that
 * keeps the port's binding stable.  A hypervisor-internal consumer is not
 * called here but recorded in *call, for the caller to run once unlocked.
 */
static void set_pending(struct domain *d, uint32_t port, struct deferred_call *call)
{
    struct evtchn *chn = &d->evtchn.ports[port];
    unsigned int bit = port % BITS_PER_WORD;
    struct vcpu *v;

    if (test_and_set(pending_word(d, port), bit))
        return;
    if (d->is_privileged) {
        if (test(mask_word(d, port), bit))
            return;
        if (chn->owner.internal) {
            /* Nobody clears the bit for the hypervisor's own consumers: it is taken now. */
            clear(pending_word(d, port), bit);
            *call = (struct deferred_call){ chn->owner.internal, chn->owner.internal_arg, port };
        } else
            notify_fd(chn->owner.notify_fd);
        return;
    }
    if (atomic_load(&d->pollers))
        wake_pollers(d);
    if (test(mask_word(d, port), bit) || chn->notify_vcpu >= d->max_vcpus)
        return;
    v = d->vcpus[chn->notify_vcpu];
    if (!v->vcpu_info)
        return;
    test_and_set(&v->vcpu_info->evtchn_pending_sel, port / BITS_PER_WORD);
    mark_events_pending(v);
}

static void run_deferred(const struct deferred_call *call)
{
    if (call->fn)
        call->fn(call->arg, call->port);
}

static void kick_event(int fd, uint32_t events, void *arg)
{
    struct evtchn_kick *k = arg;
    char buf[64];
    ssize_t n;
    bool kicked = false;

    /* Drain (non-blocking); any number of kicks makes one send. */
    while ((n = read(fd, buf, sizeof(buf))) > 0)
        kicked = true;
    if (kicked)
        evtchn_send(dom0, k->port, k->conn);
    if (n == 0) {
        /* Every write end is closed: no more kicks can come. */
        loop_del(event_loop, fd);
    }
}

/* Watch a dom0 process's kick eventfd; called with no event-channel lock held. */
static void kick_attach(uint32_t port, const struct evtchn_owner *owner)
{
    struct evtchn_kick *k;

    if (!owner || owner->kick_fd < 0)
        return;
    k = malloc(sizeof(*k));
    if (!k)
        return;     /* sends from that process then stay unheard; logged below */
    k->fd = owner->kick_fd;
    k->port = port;
    k->conn = owner->conn;
    pthread_mutex_lock(&dom0->evtchn.lock);
    if (dom0->evtchn.ports[port].owner.kick_fd == owner->kick_fd &&
        loop_add(event_loop, k->fd, 0x001 /* EPOLLIN */, kick_event, k) == 0) {
        dom0->evtchn.ports[port].owner.kick = k;
        k = NULL;
    }
    pthread_mutex_unlock(&dom0->evtchn.lock);
    if (k) {
        log_warn("dom0 port %u: cannot watch its kick descriptor", port);
        free(k);
    }
}

static void kick_release(struct evtchn_kick *k)
{
    if (!k)
        return;
    loop_del(event_loop, k->fd);
    free(k);
}

/* Lock two domains' tables in a fixed order (lower domid first). */
static void double_lock(struct domain *a, struct domain *b)
{
    if (a == b) {
        pthread_mutex_lock(&a->evtchn.lock);
    } else if (a->domid < b->domid) {
        pthread_mutex_lock(&a->evtchn.lock);
        pthread_mutex_lock(&b->evtchn.lock);
    } else {
        pthread_mutex_lock(&b->evtchn.lock);
        pthread_mutex_lock(&a->evtchn.lock);
    }
}

static void double_unlock(struct domain *a, struct domain *b)
{
    pthread_mutex_unlock(&a->evtchn.lock);
    if (a != b)
        pthread_mutex_unlock(&b->evtchn.lock);
}

static void set_owner(struct domain *d, struct evtchn *chn, uint32_t port,
                      const struct evtchn_owner *owner)
{
    if (!d->is_privileged)
        return;
    if (owner) {
        chn->owner = *owner;
        chn->owner.kick = NULL;
    }
    /* A new dom0 binding starts clean: nothing pending, unmasked. */
    clear(pending_word(d, port), port % BITS_PER_WORD);
    clear(mask_word(d, port), port % BITS_PER_WORD);
}

int evtchn_alloc_unbound(struct domain *d, domid_t remote, const struct evtchn_owner *owner,
                         uint32_t *port)
{
    int p;

    pthread_mutex_lock(&d->evtchn.lock);
    p = port_alloc(d);
    if (p > 0) {
        struct evtchn *chn = &d->evtchn.ports[p];

        chn->state = ECS_UNBOUND;
        chn->u.unbound.remote_domid = remote == DOMID_SELF ? (domid_t)d->domid : remote;
        set_owner(d, chn, (uint32_t)p, owner);
        *port = (uint32_t)p;
    }
    pthread_mutex_unlock(&d->evtchn.lock);
    if (p > 0 && d->is_privileged)
        kick_attach((uint32_t)p, owner);
    return p < 0 ? p : 0;
}

int evtchn_bind_interdomain(struct domain *d, domid_t remote, uint32_t remote_port,
                            const struct evtchn_owner *owner, uint32_t *port)
{
    struct domain *rd = remote == DOMID_SELF ? d : domain_get(remote);
    struct evtchn *lchn, *rchn;
    struct deferred_call call = { 0 };
    int p, rc = 0;

    if (!rd)
        return -ESRCH;
    /* DOMID_SELF took no reference; our own id through domain_get() already did. */
    if (remote == DOMID_SELF)
        atomic_fetch_add(&d->refcnt, 1);
    double_lock(d, rd);
    rchn = port_get(rd, remote_port);
    if (rd->dying || d->dying) {
        rc = -ESRCH;
    } else if (!rchn || rchn->state != ECS_UNBOUND ||
               rchn->u.unbound.remote_domid != d->domid) {
        rc = -EINVAL;
    } else if ((p = port_alloc(d)) < 0) {
        rc = p;
    } else {
        lchn = &d->evtchn.ports[p];
        lchn->state = ECS_INTERDOMAIN;
        lchn->u.interdomain.remote = rd;            /* keeps our reference */
        lchn->u.interdomain.remote_port = remote_port;
        set_owner(d, lchn, (uint32_t)p, owner);
        rchn->state = ECS_INTERDOMAIN;
        rchn->u.interdomain.remote = d;
        rchn->u.interdomain.remote_port = (uint32_t)p;
        atomic_fetch_add(&d->refcnt, 1);
        /* As on Xen: the binder sees anything it may have missed. */
        set_pending(d, (uint32_t)p, &call);
        *port = (uint32_t)p;
    }
    double_unlock(d, rd);
    if (rc < 0) {
        domain_put(rd);
        return rc;
    }
    if (d->is_privileged)
        kick_attach(*port, owner);
    run_deferred(&call);
    return 0;
}

int evtchn_bind_virq(struct domain *d, uint32_t virq, uint32_t vcpu,
                     const struct evtchn_owner *owner, uint32_t *port)
{
    uint32_t *slot;
    int p;

    if (virq >= EVTCHN_NR_VIRQS)
        return -EINVAL;
    if (virq_is_global(virq) && vcpu != 0)
        return -EINVAL;
    if (!virq_is_global(virq) && (d->is_privileged || vcpu >= d->max_vcpus))
        return -ENOENT;
    pthread_mutex_lock(&d->evtchn.lock);
    slot = virq_is_global(virq) ? &d->evtchn.global_virq[virq]
                                : &d->vcpus[vcpu]->virq_to_port[virq];
    if (*slot) {
        pthread_mutex_unlock(&d->evtchn.lock);
        return -EEXIST;
    }
    p = port_alloc(d);
    if (p > 0) {
        struct evtchn *chn = &d->evtchn.ports[p];

        chn->state = ECS_VIRQ;
        chn->u.virq = virq;
        chn->notify_vcpu = vcpu;
        set_owner(d, chn, (uint32_t)p, owner);
        *slot = (uint32_t)p;
        *port = (uint32_t)p;
    }
    pthread_mutex_unlock(&d->evtchn.lock);
    if (p > 0 && d->is_privileged)
        kick_attach((uint32_t)p, owner);
    return p < 0 ? p : 0;
}

static int bind_ipi(struct domain *d, uint32_t vcpu, uint32_t *port)
{
    int p;

    if (vcpu >= d->max_vcpus)
        return -ENOENT;
    pthread_mutex_lock(&d->evtchn.lock);
    p = port_alloc(d);
    if (p > 0) {
        d->evtchn.ports[p].state = ECS_IPI;
        d->evtchn.ports[p].notify_vcpu = vcpu;
        *port = (uint32_t)p;
    }
    pthread_mutex_unlock(&d->evtchn.lock);
    return p < 0 ? p : 0;
}

/*
 * Free a port whose binding is undone.  Caller holds d's lock; the kick
 * watch, if any, is handed back to be released once the lock is dropped.
 */
static void port_free(struct domain *d, uint32_t port, struct evtchn_owner *old)
{
    struct evtchn *chn = &d->evtchn.ports[port];

    *old = chn->owner;
    clear(pending_word(d, port), port % BITS_PER_WORD);
    memset(chn, 0, sizeof(*chn));
    chn->owner.notify_fd = -1;
    chn->owner.kick_fd = -1;
    chn->state = ECS_FREE;
}

/*
 * A dom0 process sends by writing its kick pipe, which the event thread
 * reads later: a send followed at once by an unbind (or by the process
 * closing its connection) would otherwise race with the unbind and be
 * lost, where Xen's notify is done before it returns. So stop watching the
 * pipe and deliver what is still in it while the port is bound.
 * Called on the owner's behalf (the main thread), with no lock held.
 */
static int flush_kicks(uint32_t port, const void *conn)
{
    struct evtchn *chn;
    struct evtchn_kick *k;
    char buf[64];
    bool kicked = false;
    int fd;

    pthread_mutex_lock(&dom0->evtchn.lock);
    chn = port_get(dom0, port);
    if (!chn || chn->state == ECS_FREE || chn->state == ECS_RESERVED) {
        pthread_mutex_unlock(&dom0->evtchn.lock);
        return -EINVAL;
    }
    if (chn->owner.conn != conn) {
        pthread_mutex_unlock(&dom0->evtchn.lock);
        return -EPERM;
    }
    k = chn->owner.kick;
    chn->owner.kick = NULL;
    fd = chn->owner.kick_fd;
    pthread_mutex_unlock(&dom0->evtchn.lock);
    kick_release(k);
    while (fd >= 0 && read(fd, buf, sizeof(buf)) > 0)
        kicked = true;
    if (kicked)
        evtchn_send(dom0, port, conn);
    return 0;
}

int evtchn_close(struct domain *d, uint32_t port, const void *conn)
{
    struct domain *rd = NULL, *put = NULL;
    struct evtchn_owner old;
    struct evtchn *chn;
    int rc;

    if (d->is_privileged && (rc = flush_kicks(port, conn)) < 0)
        return rc;
again:
    pthread_mutex_lock(&d->evtchn.lock);
    chn = port_get(d, port);
    if (!chn || chn->state == ECS_FREE || chn->state == ECS_RESERVED) {
        pthread_mutex_unlock(&d->evtchn.lock);
        return -EINVAL;
    }
    if (d->is_privileged && chn->owner.conn != conn) {
        pthread_mutex_unlock(&d->evtchn.lock);
        return -EPERM;
    }
    if (chn->state == ECS_INTERDOMAIN && !rd) {
        /* Retake the locks in order; the binding may change meanwhile. */
        rd = chn->u.interdomain.remote;
        atomic_fetch_add(&rd->refcnt, 1);
        pthread_mutex_unlock(&d->evtchn.lock);
        double_lock(d, rd);
        chn = port_get(d, port);
        if (chn->state != ECS_INTERDOMAIN || chn->u.interdomain.remote != rd) {
            double_unlock(d, rd);
            domain_put(rd);
            rd = NULL;
            goto again;
        }
    }
    switch (chn->state) {
    case ECS_INTERDOMAIN: {
        struct evtchn *rchn = &rd->evtchn.ports[chn->u.interdomain.remote_port];

        rchn->state = ECS_UNBOUND;
        rchn->u.unbound.remote_domid = (domid_t)d->domid;
        domain_put(d);          /* the remote port's reference to us; we hold others */
        put = rd;               /* our port's reference to the remote */
        break;
    }
    case ECS_VIRQ:
        if (virq_is_global(chn->u.virq))
            d->evtchn.global_virq[chn->u.virq] = 0;
        else
            d->vcpus[chn->notify_vcpu]->virq_to_port[chn->u.virq] = 0;
        break;
    default:
        break;
    }
    port_free(d, port, &old);
    if (rd)
        double_unlock(d, rd);
    else
        pthread_mutex_unlock(&d->evtchn.lock);
    /* The watch goes first: its handler may be sending on this port now. */
    kick_release(old.kick);     /* NULL for dom0: flush_kicks() took it */
    if (old.kick_fd >= 0)
        close(old.kick_fd);
    if (old.notify_fd >= 0)
        close(old.notify_fd);
    if (put)
        domain_put(put);
    if (rd)
        domain_put(rd);     /* the one taken to relock */
    return 0;
}

int evtchn_send(struct domain *d, uint32_t port, const void *conn)
{
    struct deferred_call call = { 0 };
    struct evtchn *chn;
    int rc = 0;

    pthread_mutex_lock(&d->evtchn.lock);
    chn = port_get(d, port);
    if (!chn) {
        rc = -EINVAL;
    } else if (d->is_privileged && chn->owner.conn != conn) {
        rc = -EPERM;
    } else {
        switch (chn->state) {
        case ECS_INTERDOMAIN:
            set_pending(chn->u.interdomain.remote, chn->u.interdomain.remote_port, &call);
            break;
        case ECS_IPI:
            set_pending(d, port, &call);
            break;
        case ECS_UNBOUND:
            break;      /* nobody listens yet: the event is dropped, as on Xen */
        default:
            rc = -EINVAL;
            break;
        }
    }
    pthread_mutex_unlock(&d->evtchn.lock);
    run_deferred(&call);
    return rc;
}

int evtchn_unmask(struct domain *d, uint32_t port)
{
    struct evtchn *chn;
    struct vcpu *v;
    unsigned int bit = port % BITS_PER_WORD;

    if (port >= d->evtchn.max_ports)
        return -EINVAL;
    chn = &d->evtchn.ports[port];
    clear(mask_word(d, port), bit);
    if (!test(pending_word(d, port), bit))
        return 0;
    if (d->is_privileged) {
        notify_fd(chn->owner.notify_fd);
        return 0;
    }
    if (chn->notify_vcpu >= d->max_vcpus)
        return 0;
    v = d->vcpus[chn->notify_vcpu];
    if (v->vcpu_info) {
        test_and_set(&v->vcpu_info->evtchn_pending_sel, port / BITS_PER_WORD);
        mark_events_pending(v);
    }
    return 0;
}

static int bind_vcpu(struct domain *d, uint32_t port, uint32_t vcpu)
{
    struct evtchn *chn;
    int rc = 0;

    if (vcpu >= d->max_vcpus)
        return -ENOENT;
    pthread_mutex_lock(&d->evtchn.lock);
    chn = port_get(d, port);
    if (!chn) {
        rc = -EINVAL;
    } else {
        switch (chn->state) {
        case ECS_VIRQ:
            if (!virq_is_global(chn->u.virq)) {
                rc = -EINVAL;
                break;
            }
            /* fall through */
        case ECS_UNBOUND:
        case ECS_INTERDOMAIN:
        case ECS_PIRQ:
            chn->notify_vcpu = vcpu;
            break;
        default:
            rc = -EINVAL;
            break;
        }
    }
    pthread_mutex_unlock(&d->evtchn.lock);
    return rc;
}

static int status(struct domain *d, struct evtchn_status *st)
{
    struct evtchn *chn;
    int rc = 0;

    if (st->port >= d->evtchn.max_ports)
        return -EINVAL;
    pthread_mutex_lock(&d->evtchn.lock);
    chn = &d->evtchn.ports[st->port];
    memset(&st->u, 0, sizeof(st->u));
    st->vcpu = chn->notify_vcpu;
    switch (chn->state) {
    case ECS_FREE:
    case ECS_RESERVED:
        st->status = EVTCHNSTAT_closed;
        break;
    case ECS_UNBOUND:
        st->status = EVTCHNSTAT_unbound;
        st->u.unbound.dom = chn->u.unbound.remote_domid;
        break;
    case ECS_INTERDOMAIN:
        st->status = EVTCHNSTAT_interdomain;
        st->u.interdomain.dom = (domid_t)chn->u.interdomain.remote->domid;
        st->u.interdomain.port = chn->u.interdomain.remote_port;
        break;
    case ECS_PIRQ:
        st->status = EVTCHNSTAT_pirq;
        break;
    case ECS_VIRQ:
        st->status = EVTCHNSTAT_virq;
        st->u.virq = chn->u.virq;
        break;
    case ECS_IPI:
        st->status = EVTCHNSTAT_ipi;
        break;
    default:
        rc = -EINVAL;
    }
    pthread_mutex_unlock(&d->evtchn.lock);
    return rc;
}

/* Close every port of d; for a domain going away or EVTCHNOP_reset. */
static void close_all(struct domain *d, bool owned_too)
{
    for (uint32_t p = 1; p < d->evtchn.max_ports; p++) {
        struct evtchn *chn = &d->evtchn.ports[p];
        void *conn;

        pthread_mutex_lock(&d->evtchn.lock);
        conn = chn->owner.conn;
        if (chn->state == ECS_FREE || (!owned_too && conn)) {
            pthread_mutex_unlock(&d->evtchn.lock);
            continue;
        }
        pthread_mutex_unlock(&d->evtchn.lock);
        evtchn_close(d, p, conn);
    }
}

void evtchn_domain_destroy(struct domain *d)
{
    if (!d->evtchn.ports)
        return;
    close_all(d, true);
    free(d->evtchn.ports);
    d->evtchn.ports = NULL;
    pthread_mutex_destroy(&d->evtchn.lock);
}

void evtchn_release_conn(void *conn)
{
    struct domain *d = dom0;

    for (uint32_t p = 1; p < d->evtchn.max_ports; p++) {
        bool mine;

        pthread_mutex_lock(&d->evtchn.lock);
        mine = d->evtchn.ports[p].state != ECS_FREE && d->evtchn.ports[p].owner.conn == conn;
        pthread_mutex_unlock(&d->evtchn.lock);
        if (mine)
            evtchn_close(d, p, conn);
    }
}

void evtchn_send_virq(struct vcpu *v, uint32_t virq)
{
    struct domain *d = v->d;
    struct deferred_call call = { 0 };
    uint32_t port;

    if (virq >= EVTCHN_NR_VIRQS || virq_is_global(virq))
        return;
    pthread_mutex_lock(&d->evtchn.lock);
    port = v->virq_to_port[virq];
    if (port)
        set_pending(d, port, &call);
    pthread_mutex_unlock(&d->evtchn.lock);
    run_deferred(&call);
}

void evtchn_send_global_virq(struct domain *d, uint32_t virq)
{
    struct deferred_call call = { 0 };
    uint32_t port;

    if (virq >= EVTCHN_NR_VIRQS || !virq_is_global(virq) || !d->evtchn.ports)
        return;
    pthread_mutex_lock(&d->evtchn.lock);
    port = d->evtchn.global_virq[virq];
    if (port)
        set_pending(d, port, &call);
    pthread_mutex_unlock(&d->evtchn.lock);
    run_deferred(&call);
}

int evtchn_check_pending(struct domain *d, const uint32_t *ports, unsigned int n)
{
    for (unsigned int i = 0; i < n; i++)
        if (ports[i] < d->evtchn.max_ports &&
            test(pending_word(d, ports[i]), ports[i] % BITS_PER_WORD))
            return 1;
    return 0;
}

int evtchn_dom0_page_fd(void)
{
    return dom0->memfd;
}

long do_event_channel_op(struct vcpu *v, const uint64_t a[6])
{
    struct domain *d = v->d;
    uint64_t cmd = a[0], arg = a[1];
    int rc;

    switch (cmd) {
    case EVTCHNOP_alloc_unbound: {
        struct evtchn_alloc_unbound op;

        if ((rc = copy_from_guest(v, &op, arg, sizeof(op))) < 0)
            return rc;
        if (op.dom != DOMID_SELF && op.dom != d->domid)
            return -EPERM;
        if ((rc = evtchn_alloc_unbound(d, op.remote_dom, NULL, &op.port)) < 0)
            return rc;
        return copy_to_guest(v, arg, &op, sizeof(op));
    }
    case EVTCHNOP_bind_interdomain: {
        struct evtchn_bind_interdomain op;

        if ((rc = copy_from_guest(v, &op, arg, sizeof(op))) < 0)
            return rc;
        rc = evtchn_bind_interdomain(d, op.remote_dom, op.remote_port, NULL, &op.local_port);
        if (rc < 0)
            return rc;
        return copy_to_guest(v, arg, &op, sizeof(op));
    }
    case EVTCHNOP_bind_virq: {
        struct evtchn_bind_virq op;

        if ((rc = copy_from_guest(v, &op, arg, sizeof(op))) < 0)
            return rc;
        if ((rc = evtchn_bind_virq(d, op.virq, op.vcpu, NULL, &op.port)) < 0)
            return rc;
        return copy_to_guest(v, arg, &op, sizeof(op));
    }
    case EVTCHNOP_bind_ipi: {
        struct evtchn_bind_ipi op;

        if ((rc = copy_from_guest(v, &op, arg, sizeof(op))) < 0)
            return rc;
        if ((rc = bind_ipi(d, op.vcpu, &op.port)) < 0)
            return rc;
        return copy_to_guest(v, arg, &op, sizeof(op));
    }
    case EVTCHNOP_close:
    case EVTCHNOP_send:
    case EVTCHNOP_unmask: {
        uint32_t port;

        if ((rc = copy_from_guest(v, &port, arg, sizeof(port))) < 0)
            return rc;
        if (cmd == EVTCHNOP_close)
            return evtchn_close(d, port, NULL);
        if (cmd == EVTCHNOP_send)
            return evtchn_send(d, port, NULL);
        return evtchn_unmask(d, port);
    }
    case EVTCHNOP_status: {
        struct evtchn_status op;

        if ((rc = copy_from_guest(v, &op, arg, sizeof(op))) < 0)
            return rc;
        if (op.dom != DOMID_SELF && op.dom != d->domid)
            return -EPERM;
        if ((rc = status(d, &op)) < 0)
            return rc;
        return copy_to_guest(v, arg, &op, sizeof(op));
    }
    case EVTCHNOP_bind_vcpu: {
        struct evtchn_bind_vcpu op;

        if ((rc = copy_from_guest(v, &op, arg, sizeof(op))) < 0)
            return rc;
        return bind_vcpu(d, op.port, op.vcpu);
    }
    case EVTCHNOP_reset: {
        struct evtchn_reset op;

        if ((rc = copy_from_guest(v, &op, arg, sizeof(op))) < 0)
            return rc;
        if (op.dom != DOMID_SELF && op.dom != d->domid)
            return -EPERM;
        close_all(d, true);
        return 0;
    }
    case EVTCHNOP_bind_pirq:
        return -EPERM;      /* no physical IRQs are passed through */
    default:
        /* Including the FIFO ABI (init_control...): guests fall back to 2-level. */
        return -ENOSYS;
    }
}
