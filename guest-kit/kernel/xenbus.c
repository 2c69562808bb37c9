/* xenbus.c: xenstore from a guest: requests, watches, transactions, device handshakes. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <guest-kit/console.h>
#include <guest-kit/events.h>
#include <guest-kit/guest-kit.h>
#include <guest-kit/hypercall.h>
#include <guest-kit/smp.h>
#include <guest-kit/spinlock.h>
#include <guest-kit/time.h>
#include <guest-kit/xenbus.h>
#include <xen/event_channel.h>
#include <xen/hvm/hvm_op.h>
#include <xen/hvm/params.h>
#include <xen/io/xs_wire.h>
#include <xen/sched.h>
#include <xen/xen.h>

#include "../internal.h"

/*
 * The response ring is read in process context only (the event handler
 * merely wakes whoever waits): by a caller waiting for its reply, or by
 * gk_xenbus_dispatch() at idle.  One request is in flight at a time; its
 * reply is matched by req_id.  Watch events are queued and their callbacks
 * run by dispatch, never inside a request, so callbacks may use xenbus.
 * xb.lock protects the ring indexes we own, the assembly buffer and the
 * queues; nobody holds it while waiting.
 */

struct watch {
    char *path, *token;
    gk_xs_watch_fn *fn;
    void *arg;
    struct watch *next;
};

struct event {
    struct event *next;
    char *token;
    char path[];
};

static struct {
    struct xenstore_domain_interface *ring;
    evtchn_port_t port;
    bool up;
    bool broken;                    /* xenstored broke the ring protocol */
    gk_spinlock_t lock;
    /* The message being assembled from the response ring. */
    struct xsd_sockmsg hdr;
    size_t hdr_have;
    char body[XENSTORE_PAYLOAD_MAX + 1];
    size_t body_have;
    /* The request in flight. */
    bool busy;
    uint32_t req_id;
    bool answered;
    uint32_t reply_type;
    char *reply;                    /* malloc'd, NUL-terminated */
    size_t reply_len;
    struct event *events, **events_tail;
    struct watch *watches;
    bool dispatching;
    bool lazy;                      /* connect on first use (gk_xenbus_init_lazy) */
    bool tried;                     /* connecting was attempted */
    uint32_t waiters;               /* vCPUs sleeping in a xenbus call (bit per id) */
    gk_shutdown_hook_fn *shutdown_hook;
    void *shutdown_arg;
} xb = { .events_tail = &xb.events };

/*
 * Waking is all: the ring is read in process context. The port is bound
 * to vCPU 0; callers sleeping on other vCPUs are kicked.
 */
static void wake_waiters(void)
{
    uint32_t self = gk_this_cpu()->id;
    uint32_t w = __atomic_load_n(&xb.waiters, __ATOMIC_ACQUIRE) & ~(1u << self);

    while (w) {
        unsigned int cpu = (unsigned int)__builtin_ctz(w);

        w &= w - 1;
        gk_smp_kick(cpu);
    }
}

static void store_event(evtchn_port_t port, void *arg)
{
    wake_waiters();
}

static void timer_fired(struct gk_timer *t, void *arg)
{
}

static void ensure_connected(void);

bool gk_xenbus_connected(void)
{
    ensure_connected();
    return xb.up && !xb.broken;
}

/*
 * Copies to and from the rings in at most two pieces (where the index
 * wraps): guest instructions are dear under emulation, string moves not.
 */
static void ring_copy_out(char *dst, const char *ring, XENSTORE_RING_IDX idx, size_t n)
{
    size_t off = MASK_XENSTORE_IDX(idx), first = XENSTORE_RING_SIZE - off;

    if (first > n)
        first = n;
    memcpy(dst, ring + off, first);
    memcpy(dst + first, ring, n - first);
}

static void ring_copy_in(char *ring, XENSTORE_RING_IDX idx, const char *src, size_t n)
{
    size_t off = MASK_XENSTORE_IDX(idx), first = XENSTORE_RING_SIZE - off;

    if (first > n)
        first = n;
    memcpy(ring + off, src, first);
    memcpy(ring, src + first, n - first);
}

/* A complete message arrived (lock held). */
static void deliver(void)
{
    size_t len = xb.hdr.len;

    xb.body[len] = '\0';
    if (xb.hdr.type == XS_WATCH_EVENT) {
        const char *token = memchr(xb.body, '\0', len);
        struct event *e;

        if (!token || token + 1 >= xb.body + len + 1)
            return;     /* malformed: dropped */
        e = malloc(sizeof(*e) + len + 1);
        if (!e)
            return;
        memcpy(e->path, xb.body, len + 1);
        e->token = e->path + (token + 1 - xb.body);
        e->next = NULL;
        *xb.events_tail = e;
        xb.events_tail = &e->next;
        return;
    }
    if (!xb.busy || xb.hdr.req_id != xb.req_id || xb.answered)
        return;         /* nobody asked: dropped */
    xb.reply = malloc(len + 1);
    if (xb.reply) {
        memcpy(xb.reply, xb.body, len + 1);
        xb.reply_len = len;
    }
    xb.reply_type = xb.reply ? xb.hdr.type : XS_ERROR;
    xb.answered = true;
}

/*
 * Take what xenstored has written (lock held). True if the ring was full:
 * xenstored may then wait for room and must be told there is some. (It
 * writes what fits, so a ring with room left means it is not waiting;
 * skipping the other notifications saves a hypercall and a wake-up of
 * xenstored per reply.)
 */
static bool pump_locked(void)
{
    struct xenstore_domain_interface *r = xb.ring;
    bool was_full = false;

    while (!xb.broken) {
        XENSTORE_RING_IDX cons = r->rsp_cons;
        XENSTORE_RING_IDX prod = __atomic_load_n(&r->rsp_prod, __ATOMIC_ACQUIRE);
        size_t avail = prod - cons, want, n;
        char *dst;

        if (avail > XENSTORE_RING_SIZE) {
            xb.broken = true;
            break;
        }
        if (!avail)
            break;
        if (avail == XENSTORE_RING_SIZE)
            was_full = true;
        if (xb.hdr_have < sizeof(xb.hdr)) {
            dst = (char *)&xb.hdr + xb.hdr_have;
            want = sizeof(xb.hdr) - xb.hdr_have;
        } else {
            dst = xb.body + xb.body_have;
            want = xb.hdr.len - xb.body_have;
        }
        n = avail < want ? avail : want;
        ring_copy_out(dst, r->rsp, cons, n);
        __atomic_store_n(&r->rsp_cons, cons + (XENSTORE_RING_IDX)n, __ATOMIC_RELEASE);
        if (xb.hdr_have < sizeof(xb.hdr)) {
            xb.hdr_have += n;
            if (xb.hdr_have < sizeof(xb.hdr))
                continue;
            if (xb.hdr.len > XENSTORE_PAYLOAD_MAX) {
                xb.broken = true;
                break;
            }
        } else {
            xb.body_have += n;
        }
        if (xb.hdr_have == sizeof(xb.hdr) && xb.body_have == xb.hdr.len) {
            deliver();
            xb.hdr_have = 0;
            xb.body_have = 0;
        }
    }
    return was_full;
}

static void pump(void)
{
    unsigned long flags = gk_spin_lock_irqsave(&xb.lock);
    bool was_full = pump_locked();

    gk_spin_unlock_irqrestore(&xb.lock, flags);
    if (was_full)
        gk_evtchn_send(xb.port);    /* room in the ring: xenstored may write on */
}

static bool ring_unread(void)
{
    return __atomic_load_n(&xb.ring->rsp_prod, __ATOMIC_ACQUIRE) != xb.ring->rsp_cons;
}

static bool reply_ready(void *arg)
{
    return xb.answered || xb.broken || ring_unread();
}

static bool req_space(void *arg)
{
    return xb.broken || __atomic_load_n(&xb.ring->req_cons, __ATOMIC_ACQUIRE) + XENSTORE_RING_SIZE -
                        xb.ring->req_prod >= sizeof(struct xsd_sockmsg);
}

static bool slot_free(void *arg)
{
    return !__atomic_load_n(&xb.busy, __ATOMIC_ACQUIRE) || xb.broken;
}

/*
 * Sleep until cond(arg) holds or the deadline passes: 0 or -ETIMEDOUT.
 * The check and the wait happen with interrupts off, so an event that
 * arrives in between still ends the wait. For waits outside a request.
 */
static int wait_for(bool (*cond)(void *), void *arg, uint64_t deadline)
{
    uint32_t bit = 1u << gk_this_cpu()->id;
    unsigned long flags = gk_irq_save();
    struct gk_timer timer;
    int rc = 0;

    gk_timer_init(&timer, timer_fired, NULL);
    gk_timer_start(&timer, deadline, 0);
    __atomic_fetch_or(&xb.waiters, bit, __ATOMIC_ACQ_REL);
    while (!cond(arg)) {
        if (gk_monotonic_ns() >= deadline) {
            rc = -ETIMEDOUT;
            break;
        }
        gk_block();
    }
    __atomic_fetch_and(&xb.waiters, ~bit, __ATOMIC_ACQ_REL);
    gk_timer_stop(&timer);
    gk_irq_restore(flags);
    return rc;
}

/*
 * The request's own waits (ring space, the reply): SCHEDOP_poll on the
 * store port, masked meanwhile, so that xenstored's events cost neither
 * an upcall nor a timer; the hypervisor keeps the deadline. Only the
 * request holder masks the port (requests are one at a time). The vCPU's
 * kick port is polled too, and cleared: a kick only ends the wait.
 */
static int poll_for(bool (*cond)(void *), void *arg, uint64_t deadline)
{
    struct gk_cpu *cpu = gk_this_cpu();
    evtchn_port_t ports[2] = { xb.port, cpu->ipi_port };
    struct sched_poll op = { .nr_ports = cpu->ipi_port ? 2 : 1, .timeout = deadline };
    unsigned long flags = gk_irq_save();
    int rc = 0;

    set_xen_guest_handle(op.ports, ports);
    gk_evtchn_mask(xb.port);
    for (;;) {
        gk_evtchn_clear(xb.port);
        if (cpu->ipi_port)
            gk_evtchn_clear(cpu->ipi_port);
        if (cond(arg))
            break;
        HYPERVISOR_sched_op(SCHEDOP_poll, &op);
        if (!gk_evtchn_is_pending(xb.port) && gk_monotonic_ns() >= deadline) {
            rc = cond(arg) ? 0 : -ETIMEDOUT;
            break;
        }
    }
    gk_evtchn_unmask(xb.port);
    gk_irq_restore(flags);
    return rc;
}

static int write_bytes(const void *data, size_t len, uint64_t deadline)
{
    struct xenstore_domain_interface *r = xb.ring;
    const char *p = data;

    while (len) {
        XENSTORE_RING_IDX prod = r->req_prod;
        XENSTORE_RING_IDX cons = __atomic_load_n(&r->req_cons, __ATOMIC_ACQUIRE);
        size_t space = XENSTORE_RING_SIZE - (prod - cons), n;

        if (prod - cons > XENSTORE_RING_SIZE)
            return -EIO;
        if (!space) {
            gk_evtchn_send(xb.port);
            if (poll_for(req_space, NULL, deadline) < 0)
                return -ETIMEDOUT;
            continue;
        }
        n = space < len ? space : len;
        ring_copy_in(r->req, prod, p, n);
        __atomic_store_n(&r->req_prod, prod + (XENSTORE_RING_IDX)n, __ATOMIC_RELEASE);
        p += n;
        len -= n;
    }
    return 0;
}

static int xs_errno(const char *name)
{
    for (size_t i = 0; i < sizeof(xsd_errors) / sizeof(xsd_errors[0]); i++)
        if (!strcmp(name, xsd_errors[i].errstring))
            return -xsd_errors[i].errnum;
    return -EIO;
}

/*
 * One request: a type, a transaction and payload pieces sent back to back.
 * On success the reply (NUL-terminated) is in *reply for the caller to free.
 */
static int request(uint32_t type, gk_xs_transaction_t t, const void *const *parts,
                   const size_t *lens, unsigned int nparts, char **reply, size_t *reply_len)
{
    struct xsd_sockmsg hdr = { .type = type, .tx_id = t };
    uint64_t deadline = gk_monotonic_ns() + GK_XS_TIMEOUT_NS;
    unsigned long flags;
    int rc = 0;

    if (!xb.up)
        ensure_connected();
    if (!xb.up || xb.broken)
        return -ENOTCONN;
    for (unsigned int i = 0; i < nparts; i++)
        hdr.len += (uint32_t)lens[i];
    if (hdr.len > XENSTORE_PAYLOAD_MAX)
        return -E2BIG;

    /* Take the one request slot. */
    for (;;) {
        flags = gk_spin_lock_irqsave(&xb.lock);
        if (!xb.busy) {
            xb.busy = true;
            xb.answered = false;
            xb.reply = NULL;
            hdr.req_id = ++xb.req_id;
            gk_spin_unlock_irqrestore(&xb.lock, flags);
            break;
        }
        gk_spin_unlock_irqrestore(&xb.lock, flags);
        if (wait_for(slot_free, NULL, deadline) < 0)
            return -ETIMEDOUT;
    }

    rc = write_bytes(&hdr, sizeof(hdr), deadline);
    for (unsigned int i = 0; !rc && i < nparts; i++)
        rc = write_bytes(parts[i], lens[i], deadline);
    if (!rc)
        gk_evtchn_send(xb.port);
    while (!rc) {
        pump();
        if (xb.answered || xb.broken)
            break;
        rc = poll_for(reply_ready, NULL, deadline);
    }

    flags = gk_spin_lock_irqsave(&xb.lock);
    if (!rc && xb.broken)
        rc = -EIO;
    if (!rc && xb.reply_type == XS_ERROR)
        rc = xb.reply ? xs_errno(xb.reply) : -ENOMEM;
    if (!rc) {
        *reply = xb.reply;
        if (reply_len)
            *reply_len = xb.reply_len;
    } else {
        free(xb.reply);
    }
    xb.reply = NULL;
    xb.busy = false;
    gk_spin_unlock_irqrestore(&xb.lock, flags);
    wake_waiters();         /* someone may wait for the request slot */
    if (rc == -EIO && xb.broken)
        printf("xenbus: xenstored broke the ring protocol: xenstore is no longer used\n");
    return rc;
}

/* A request whose payload is a path, then optional extra bytes. */
static int path_request(uint32_t type, gk_xs_transaction_t t, const char *path,
                        const void *extra, size_t extra_len, char **reply, size_t *reply_len)
{
    const void *parts[2] = { path, extra };
    size_t lens[2] = { strlen(path) + 1, extra_len };
    char *r = NULL;
    int rc = request(type, t, parts, lens, extra ? 2 : 1, &r, reply_len);

    if (rc == 0) {
        if (reply)
            *reply = r;
        else
            free(r);
    }
    return rc;
}

int gk_xs_read(gk_xs_transaction_t t, const char *path, char *buf, size_t size)
{
    char *v = NULL;
    size_t len = 0;
    int rc = path_request(XS_READ, t, path, NULL, 0, &v, &len);

    if (rc < 0)
        return rc;
    if (size) {
        size_t n = len < size - 1 ? len : size - 1;

        memcpy(buf, v, n);
        buf[n] = '\0';
    }
    free(v);
    return (int)len;
}

int gk_xs_read_long(gk_xs_transaction_t t, const char *path, long *value)
{
    char buf[32], *end;
    int rc = gk_xs_read(t, path, buf, sizeof(buf));

    if (rc < 0)
        return rc;
    *value = strtol(buf, &end, 10);
    return end == buf || *end ? -EINVAL : 0;
}

int gk_xs_write(gk_xs_transaction_t t, const char *path, const char *value)
{
    return path_request(XS_WRITE, t, path, value, strlen(value), NULL, NULL);
}

int gk_xs_printf(gk_xs_transaction_t t, const char *path, const char *fmt, ...)
{
    char value[256];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(value, sizeof(value), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(value))
        return -E2BIG;
    return gk_xs_write(t, path, value);
}

int gk_xs_mkdir(gk_xs_transaction_t t, const char *path)
{
    return path_request(XS_MKDIR, t, path, NULL, 0, NULL, NULL);
}

int gk_xs_rm(gk_xs_transaction_t t, const char *path)
{
    return path_request(XS_RM, t, path, NULL, 0, NULL, NULL);
}

int gk_xs_directory(gk_xs_transaction_t t, const char *path, char **names, unsigned int *count)
{
    size_t len = 0;
    int rc = path_request(XS_DIRECTORY, t, path, NULL, 0, names, &len);

    if (rc < 0)
        return rc;
    *count = 0;
    for (size_t i = 0; i < len; i++)
        if ((*names)[i] == '\0')
            (*count)++;
    return 0;
}

int gk_xs_transaction_start(gk_xs_transaction_t *t)
{
    const void *parts[1] = { "" };
    size_t lens[1] = { 1 };
    char *id;
    int rc = request(XS_TRANSACTION_START, GK_XBT_NIL, parts, lens, 1, &id, NULL);

    if (rc < 0)
        return rc;
    *t = (gk_xs_transaction_t)strtoul(id, NULL, 10);
    free(id);
    return *t ? 0 : -EIO;
}

int gk_xs_transaction_end(gk_xs_transaction_t t, bool abort)
{
    const void *parts[1] = { abort ? "F" : "T" };
    size_t lens[1] = { 2 };
    char *r;
    int rc = request(XS_TRANSACTION_END, t, parts, lens, 1, &r, NULL);

    if (rc == 0)
        free(r);
    return rc;
}

int gk_xs_watch(const char *path, const char *token, gk_xs_watch_fn *fn, void *arg)
{
    struct watch *w = calloc(1, sizeof(*w));
    unsigned long flags;
    int rc;

    if (!w || !(w->path = strdup(path)) || !(w->token = strdup(token))) {
        if (w) {
            free(w->path);
            free(w);
        }
        return -ENOMEM;
    }
    w->fn = fn;
    w->arg = arg;
    /* Registered first: the initial event may arrive with the reply. */
    flags = gk_spin_lock_irqsave(&xb.lock);
    w->next = xb.watches;
    xb.watches = w;
    gk_spin_unlock_irqrestore(&xb.lock, flags);
    rc = path_request(XS_WATCH, GK_XBT_NIL, path, token, strlen(token) + 1, NULL, NULL);
    if (rc < 0)
        gk_xs_unwatch(path, token);
    return rc;
}

int gk_xs_unwatch(const char *path, const char *token)
{
    struct watch **pp, *w = NULL;
    unsigned long flags;
    int rc = path_request(XS_UNWATCH, GK_XBT_NIL, path, token, strlen(token) + 1, NULL, NULL);

    flags = gk_spin_lock_irqsave(&xb.lock);
    for (pp = &xb.watches; *pp; pp = &(*pp)->next) {
        if (!strcmp((*pp)->path, path) && !strcmp((*pp)->token, token)) {
            w = *pp;
            *pp = w->next;
            break;
        }
    }
    gk_spin_unlock_irqrestore(&xb.lock, flags);
    if (w) {
        free(w->path);
        free(w->token);
        free(w);
    }
    return rc == -ENOENT && w ? 0 : rc;
}

/* Watch events queued, or unread messages that may be ones: work for dispatch. */
static bool dispatch_pending(void)
{
    if (!xb.up)
        return xb.lazy && !xb.tried;
    return !xb.busy && !xb.dispatching && (xb.events || (!xb.broken && ring_unread()));
}

void gk_xenbus_dispatch(void)
{
    ensure_connected();
    if (!xb.up || xb.busy || xb.dispatching)
        return;
    xb.dispatching = true;
    pump();
    for (;;) {
        unsigned long flags = gk_spin_lock_irqsave(&xb.lock);
        struct event *e = xb.events;
        gk_xs_watch_fn *fn = NULL;
        void *arg = NULL;

        if (e) {
            xb.events = e->next;
            if (!xb.events)
                xb.events_tail = &xb.events;
            for (struct watch *w = xb.watches; w; w = w->next) {
                if (!strcmp(w->token, e->token)) {
                    fn = w->fn;
                    arg = w->arg;
                    break;
                }
            }
        }
        gk_spin_unlock_irqrestore(&xb.lock, flags);
        if (!e)
            break;
        if (fn)
            fn(e->path, e->token, arg);
        free(e);
    }
    xb.dispatching = false;
}

enum xenbus_state gk_xenbus_read_state(const char *dir)
{
    char path[256];
    long v;

    snprintf(path, sizeof(path), "%s/state", dir);
    if (gk_xs_read_long(GK_XBT_NIL, path, &v) < 0 || v < 0 || v > XenbusStateReconfigured)
        return XenbusStateUnknown;
    return (enum xenbus_state)v;
}

int gk_xenbus_switch_state(const char *dir, enum xenbus_state state)
{
    char path[256], probe[8];
    int rc = -EAGAIN;

    if ((size_t)snprintf(path, sizeof(path), "%s/state", dir) >= sizeof(path))
        return -EINVAL;
    for (int tries = 0; tries < 10 && rc == -EAGAIN; tries++) {
        gk_xs_transaction_t t;

        rc = gk_xs_transaction_start(&t);
        if (rc < 0)
            return rc;
        rc = gk_xs_read(t, dir, probe, sizeof(probe));
        if (rc >= 0)
            rc = gk_xs_printf(t, path, "%d", (int)state);
        if (rc < 0) {
            gk_xs_transaction_end(t, true);
            return rc;
        }
        rc = gk_xs_transaction_end(t, false);
    }
    return rc;
}

int gk_xenbus_read_uint(const char *dir, const char *key, uint64_t max, uint64_t *out)
{
    char path[192], buf[32];
    uint64_t v = 0;
    int n;

    if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, key) >= sizeof(path))
        return -EINVAL;
    n = gk_xs_read(GK_XBT_NIL, path, buf, sizeof(buf));
    if (n < 0)
        return n;
    if (n == 0 || n >= (int)sizeof(buf))
        return -EINVAL;
    for (const char *p = buf; *p; p++) {
        uint64_t d = (uint64_t)(*p - '0');

        if (*p < '0' || *p > '9' || d > max || v > (max - d) / 10)
            return -EINVAL;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

uint64_t gk_xenbus_read_feature(const char *dir, const char *key, uint64_t max, uint64_t dflt)
{
    uint64_t v;

    return gk_xenbus_read_uint(dir, key, max, &v) == 0 ? v : dflt;
}

static int parse_devid(const char *s, uint32_t *out)
{
    uint64_t v = 0;

    if (!*s)
        return -EINVAL;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > UINT32_MAX / 10)
            return -EINVAL;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    if (v > UINT32_MAX)
        return -EINVAL;
    *out = (uint32_t)v;
    return 0;
}

int gk_xenbus_list_devices(const char *type, uint32_t *ids, unsigned int max)
{
    char dir[32], *names, *p;
    unsigned int count, n = 0;
    int rc;

    if ((size_t)snprintf(dir, sizeof(dir), "device/%s", type) >= sizeof(dir))
        return -EINVAL;
    rc = gk_xs_directory(GK_XBT_NIL, dir, &names, &count);
    if (rc == -ENOENT)
        return 0;
    if (rc < 0)
        return rc;
    p = names;
    for (unsigned int i = 0; i < count; i++, p += strlen(p) + 1) {
        unsigned int have = n < max ? n : max, at = have;
        uint32_t id;

        if (parse_devid(p, &id) < 0)
            continue;
        /* Insertion into the sorted ids kept so far; the largest falls off when full. */
        while (at > 0 && ids[at - 1] > id)
            at--;
        if (at < max) {
            unsigned int end = have < max ? have : max - 1;

            memmove(&ids[at + 1], &ids[at], (end - at) * sizeof(*ids));
            ids[at] = id;
        }
        n++;
    }
    free(names);
    return (int)n;
}

/* Room kept after a backend's path for the keys read below it. */
#define BACKEND_KEY_ROOM 16

int gk_xenbus_read_backend(const char *fe, char *be, size_t size, uint16_t *backend_id)
{
    char path[192];
    uint64_t id;
    int rc;

    if ((size_t)snprintf(path, sizeof(path), "%s/backend", fe) >= sizeof(path))
        return -EINVAL;
    rc = gk_xs_read(GK_XBT_NIL, path, be, size);
    if (rc < 0)
        return rc == -ENOENT ? -ENODEV : rc;
    if (rc == 0 || (size_t)rc + BACKEND_KEY_ROOM >= size || be[0] != '/')
        return -EINVAL;
    rc = gk_xenbus_read_uint(fe, "backend-id", DOMID_FIRST_RESERVED - 1, &id);
    if (rc < 0)
        return rc == -ENOENT ? -ENODEV : rc;
    *backend_id = (uint16_t)id;
    return 0;
}

int gk_xenbus_frontend_start(const char *fe, const char *be, uint64_t timeout_ns,
                             enum xenbus_state *now)
{
    enum xenbus_state s = gk_xenbus_read_state(fe);
    int rc;

    if (s == XenbusStateInitialised || s == XenbusStateConnected)
        return -EBUSY;
    if (s != XenbusStateInitialising) {
        /* Closed from an earlier connection: start over, and the backend does too. */
        rc = gk_xenbus_switch_state(fe, XenbusStateInitialising);
        if (rc < 0)
            return rc;
    }
    /* Unknown: a state that is gone or garbage, which no waiting will mend. */
    rc = gk_xenbus_wait_state(be, 1u << XenbusStateInitWait | 1u << XenbusStateConnected |
                              1u << XenbusStateClosing | 1u << XenbusStateUnknown,
                              timeout_ns, now);
    if (rc < 0)
        return rc;
    return *now == XenbusStateInitWait || *now == XenbusStateConnected ? 0 : -ENODEV;
}

int gk_xenbus_frontend_wait_connected(const char *be, uint64_t timeout_ns,
                                      enum xenbus_state *now)
{
    int rc = gk_xenbus_wait_state(be, 1u << XenbusStateConnected | 1u << XenbusStateClosing |
                                  1u << XenbusStateClosed | 1u << XenbusStateUnknown,
                                  timeout_ns, now);

    if (rc < 0)
        return rc;
    return *now == XenbusStateConnected ? 0 : -ENODEV;
}

static bool hp_known(const struct gk_xenbus_hotplug *hp, uint32_t id)
{
    for (unsigned int i = 0; i < hp->n; i++)
        if (hp->ids[i] == id)
            return true;
    return false;
}

static void hp_rescan(struct gk_xenbus_hotplug *hp)
{
    uint32_t ids[GK_XENBUS_HOTPLUG_MAX], old[GK_XENBUS_HOTPLUG_MAX];
    unsigned int nold = hp->n, i = 0, j = 0;
    int n = gk_xenbus_list_devices(hp->type, ids, GK_XENBUS_HOTPLUG_MAX);

    if (n < 0)
        return;
    if (n > GK_XENBUS_HOTPLUG_MAX)
        n = GK_XENBUS_HOTPLUG_MAX;
    memcpy(old, hp->ids, sizeof(old));
    memcpy(hp->ids, ids, sizeof(ids));
    hp->n = (unsigned int)n;
    /* Both sorted: one merge walk reports the differences. */
    while (i < nold || j < (unsigned int)n) {
        if (j == (unsigned int)n || (i < nold && old[i] < ids[j])) {
            if (hp->fn)
                hp->fn(old[i], false, hp->arg);
            i++;
        } else if (i == nold || ids[j] < old[i]) {
            if (hp->fn)
                hp->fn(ids[j], true, hp->arg);
            j++;
        } else {
            i++;
            j++;
        }
    }
}

/* Only a device's own directory coming or going matters, not changes inside it. */
static void hotplug_event(const char *path, const char *token, void *arg)
{
    struct gk_xenbus_hotplug *hp = arg;
    size_t len = strlen(hp->dir);
    const char *rest, *slash;
    char id[16];
    uint32_t devid;

    (void)token;
    if (strncmp(path, hp->dir, len) != 0)
        return;
    rest = path + len;
    if (*rest == '/') {
        rest++;
        slash = strchr(rest, '/');
        if (slash && (size_t)(slash - rest) < sizeof(id)) {
            memcpy(id, rest, (size_t)(slash - rest));
            id[slash - rest] = '\0';
            if (parse_devid(id, &devid) == 0 && hp_known(hp, devid))
                return;
        }
    }
    hp_rescan(hp);
}

int gk_xenbus_watch_devices(struct gk_xenbus_hotplug *hp, gk_xenbus_device_fn *fn, void *arg)
{
    int rc = 0;

    hp->fn = fn;
    hp->arg = arg;
    if (fn && !hp->watching) {
        if ((size_t)snprintf(hp->dir, sizeof(hp->dir), "device/%s", hp->type) >=
            sizeof(hp->dir))
            return -EINVAL;
        snprintf(hp->token, sizeof(hp->token), "gk-%s-hotplug", hp->type);
        hp->n = 0;
        rc = gk_xs_watch(hp->dir, hp->token, hotplug_event, hp);
        hp->watching = rc == 0;
    } else if (!fn && hp->watching) {
        rc = gk_xs_unwatch(hp->dir, hp->token);
        hp->watching = false;
    }
    return rc;
}

static void state_changed(const char *path, const char *token, void *arg)
{
    *(bool *)arg = true;
}

/* Something to do for gk_xenbus_wait_state(): a watch fired, or events to fetch. */
static bool state_news(void *arg)
{
    return *(bool *)arg || xb.events || ring_unread();
}

int gk_xenbus_wait_state(const char *dir, unsigned int mask, uint64_t timeout_ns,
                         enum xenbus_state *now)
{
    uint64_t deadline = gk_monotonic_ns() + timeout_ns;
    char path[256], token[48];
    bool changed = true;
    enum xenbus_state s = XenbusStateUnknown;
    int rc;

    snprintf(path, sizeof(path), "%s/state", dir);
    snprintf(token, sizeof(token), "gk-state-%p", (void *)&changed);
    rc = gk_xs_watch(path, token, state_changed, &changed);
    if (rc < 0)
        return rc;
    for (;;) {
        if (changed) {
            changed = false;
            s = gk_xenbus_read_state(dir);
            if (mask & (1u << s))
                break;
        }
        rc = wait_for(state_news, &changed, deadline);
        if (rc < 0)
            break;
        gk_xenbus_dispatch();
    }
    gk_xs_unwatch(path, token);
    if (now)
        *now = s;
    return rc;
}

void gk_xenbus_on_shutdown(gk_shutdown_hook_fn *fn, void *arg)
{
    xb.shutdown_hook = fn;
    xb.shutdown_arg = arg;
}

/* control/shutdown, as the toolstack's `shutdown` and `reboot` write it. */
static void shutdown_requested(const char *path, const char *token, void *arg)
{
    char req[32];

    if (gk_xs_read(GK_XBT_NIL, "control/shutdown", req, sizeof(req)) <= 0)
        return;     /* the initial event, or nothing asked */
    /* Acknowledge, as Linux does, so a later request is seen anew. */
    gk_xs_write(GK_XBT_NIL, "control/shutdown", "");
    if (xb.shutdown_hook) {
        xb.shutdown_hook(req, xb.shutdown_arg);
        return;
    }
    if (!strcmp(req, "poweroff") || !strcmp(req, "halt")) {
        printf("xenbus: shutdown requested\n");
        gk_shutdown(SHUTDOWN_poweroff);
    }
    if (!strcmp(req, "reboot")) {
        printf("xenbus: reboot requested\n");
        gk_shutdown(SHUTDOWN_reboot);
    }
    printf("xenbus: control/shutdown '%s' is not supported; ignored\n", req);
}

static int hvm_param(uint32_t index, uint64_t *value)
{
    struct xen_hvm_param p = { .domid = DOMID_SELF, .index = index };
    int rc = HYPERVISOR_hvm_op(HVMOP_get_param, &p);

    *value = p.value;
    return rc;
}

/* Map the ring, take the port, then announce and watch control/shutdown. */
static int connect(void)
{
    struct evtchn_status st = { .dom = DOMID_SELF };
    uint64_t pfn, port;
    int rc;

    if (hvm_param(HVM_PARAM_STORE_PFN, &pfn) < 0 || hvm_param(HVM_PARAM_STORE_EVTCHN, &port) < 0 ||
        !pfn || !port || port >= EVTCHN_2L_NR_CHANNELS || pfn >= gk_paging_limit() >> 12)
        return -ENODEV;
    /* No xenstored has bound our end yet: nobody would answer. */
    st.port = (evtchn_port_t)port;
    if (HYPERVISOR_event_channel_op(EVTCHNOP_status, &st) < 0 ||
        st.status != EVTCHNSTAT_interdomain)
        return -ENOTCONN;
    rc = gk_evtchn_init();
    if (rc < 0)
        return rc;
    xb.ring = (struct xenstore_domain_interface *)(uintptr_t)(pfn << 12);
    xb.port = (evtchn_port_t)port;
    rc = gk_evtchn_set_handler(xb.port, store_event, NULL);
    if (rc < 0)
        return rc;
    gk_evtchn_unmask(xb.port);
    xb.up = true;

    rc = gk_xs_write(GK_XBT_NIL, "control/feature-poweroff", "1");
    if (!rc)
        rc = gk_xs_write(GK_XBT_NIL, "control/feature-reboot", "1");
    if (!rc)
        rc = gk_xs_watch("control/shutdown", "gk-shutdown", shutdown_requested, NULL);
    if (rc < 0)
        printf("xenbus: cannot watch control/shutdown (error %d): shutdown requests are not "
               "seen\n", rc);
    return 0;
}

static void install_hooks(void)
{
    gk_idle_pending = dispatch_pending;
    gk_idle_hook = gk_xenbus_dispatch;
}

/*
 * guest-kit's start-up: connect on the first xenbus call or when vCPU 0
 * first waits, so that a program's first output does not wait for
 * xenstore round trips.
 */
void gk_xenbus_init_lazy(void)
{
    xb.lazy = true;
    install_hooks();
}

static void ensure_connected(void)
{
    int rc;

    if (xb.up || !xb.lazy || xb.tried)
        return;
    xb.tried = true;
    rc = connect();
    if (rc < 0 && rc != -ENODEV)
        printf("xenbus: not connected (error %d): xenstore is not used\n", rc);
}

int gk_xenbus_init(void)
{
    if (xb.up)
        return 0;
    if (xb.tried)
        return -ENOTCONN;
    xb.tried = true;
    install_hooks();
    return connect();
}
