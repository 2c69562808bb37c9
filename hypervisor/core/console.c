/* console.c: each domain's console: history, log file and attached readers. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lamina/ctl-wire.h>

#include <xen/io/console.h>
#include <xen/xen.h>

#include "console.h"
#include "guest_mem.h"
#include "hv.h"

struct console {
    pthread_mutex_t lock;
    uint8_t hist[CONSOLE_HISTORY];
    uint64_t head;              /* bytes ever written */
    int log_fd;
    bool log_failed;
};

static void (*notify_fn)(void);

void console_set_notify(void (*fn)(void))
{
    notify_fn = fn;
}

int console_init(struct domain *d)
{
    struct console *c = calloc(1, sizeof(*c));
    char path[PATH_MAX];

    if (!c)
        return -ENOMEM;
    pthread_mutex_init(&c->lock, NULL);
    c->log_fd = -1;
    if (snprintf(path, sizeof(path), "%s/console/guest-%s.log", lamina_logdir(), d->name) <
        (int)sizeof(path)) {
        c->log_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
        if (c->log_fd < 0)
            dlog(LOG_WARN, d, "cannot open console log %s: %s", path, strerror(errno));
    }
    d->console = c;
    return 0;
}

void console_free(struct domain *d)
{
    struct console *c = d->console;

    if (!c)
        return;
    if (c->log_fd >= 0)
        close(c->log_fd);
    pthread_mutex_destroy(&c->lock);
    free(c);
    d->console = NULL;
}

void console_write(struct domain *d, const void *buf, size_t len)
{
    struct console *c = d->console;
    const uint8_t *p = buf;

    if (!c || !len)
        return;
    pthread_mutex_lock(&c->lock);
    if (c->log_fd >= 0 && !c->log_failed) {
        size_t done = 0;

        while (done < len) {
            ssize_t n = write(c->log_fd, p + done, len - done);

            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                c->log_failed = true;
                dlog(LOG_WARN, d, "console log write failed: %s; log stopped",
                     strerror(errno));
                break;
            }
            done += (size_t)n;
        }
    }
    if (len > CONSOLE_HISTORY) {
        c->head += len - CONSOLE_HISTORY;
        p += len - CONSOLE_HISTORY;
        len = CONSOLE_HISTORY;
    }
    for (size_t i = 0; i < len; ) {
        size_t at = c->head % CONSOLE_HISTORY;
        size_t chunk = CONSOLE_HISTORY - at;

        if (chunk > len - i)
            chunk = len - i;
        memcpy(c->hist + at, p + i, chunk);
        c->head += chunk;
        i += chunk;
    }
    pthread_mutex_unlock(&c->lock);
    if (notify_fn)
        notify_fn();
}

size_t console_fetch(struct domain *d, uint64_t *cursor, void *dst, size_t max, uint64_t *lost)
{
    struct console *c = d->console;
    uint8_t *out = dst;
    size_t copied = 0;

    *lost = 0;
    if (!c)
        return 0;
    pthread_mutex_lock(&c->lock);
    if (*cursor > c->head)
        *cursor = c->head;
    if (c->head - *cursor > CONSOLE_HISTORY) {
        *lost = c->head - CONSOLE_HISTORY - *cursor;
        *cursor = c->head - CONSOLE_HISTORY;
    }
    while (copied < max && *cursor < c->head) {
        size_t at = *cursor % CONSOLE_HISTORY;
        size_t chunk = CONSOLE_HISTORY - at;

        if (chunk > c->head - *cursor)
            chunk = c->head - *cursor;
        if (chunk > max - copied)
            chunk = max - copied;
        memcpy(out + copied, c->hist + at, chunk);
        copied += chunk;
        *cursor += chunk;
    }
    pthread_mutex_unlock(&c->lock);
    return copied;
}

uint64_t console_head(struct domain *d)
{
    uint64_t h;

    if (!d->console)
        return 0;
    pthread_mutex_lock(&d->console->lock);
    h = d->console->head;
    pthread_mutex_unlock(&d->console->lock);
    return h;
}

uint64_t console_replay_start(struct domain *d)
{
    uint64_t h = console_head(d);

    return h > CONSOLE_HISTORY ? h - CONSOLE_HISTORY : 0;
}

long do_console_io(struct vcpu *v, const uint64_t a[6])
{
    uint64_t cmd = a[0], count = a[1], buffer = a[2];
    char chunk[512];
    uint64_t done = 0;

    switch (cmd) {
    case CONSOLEIO_write:
        /* Bounded per call so one guest cannot hold its vCPU thread forever. */
        if (count > CONSOLE_HISTORY)
            return -EINVAL;
        while (done < count) {
            size_t n = count - done > sizeof(chunk) ? sizeof(chunk) : (size_t)(count - done);
            int rc = copy_from_guest(v, chunk, buffer + done, n);

            if (rc < 0)
                return done ? (long)done : rc;
            console_write(v->d, chunk, n);
            done += n;
        }
        return (long)count;
    case CONSOLEIO_read:
        /* Input reaches guests through their console ring, not this call. */
        return -EPERM;
    default:
        return -ENOSYS;
    }
}

static struct xencons_interface *ring(struct domain *d)
{
    return (struct xencons_interface *)(d->mem + d->special_offset +
                                        SPECIAL_PAGE_CONSOLE * HV_PAGE_SIZE);
}

/*
 * The guest notified its console channel: drain the output ring.  The
 * guest owns the producer index, so it is read once and checked: a ring
 * claiming more than it can hold is reset rather than trusted.
 */
static void console_ring_event(void *arg, uint32_t port)
{
    struct domain *d = arg;
    struct xencons_interface *r = ring(d);
    XENCONS_RING_IDX cons = __atomic_load_n(&r->out_cons, __ATOMIC_ACQUIRE);
    XENCONS_RING_IDX prod = __atomic_load_n(&r->out_prod, __ATOMIC_ACQUIRE);
    char buf[sizeof(r->out)];
    size_t n = 0;

    if (prod - cons > sizeof(r->out)) {
        dlog_guest(LOG_WARN, d, "console ring indexes are corrupt (cons %u, prod %u); resetting",
             cons, prod);
        __atomic_store_n(&r->out_cons, prod, __ATOMIC_RELEASE);
        return;
    }
    while (cons != prod)
        buf[n++] = r->out[MASK_XENCONS_IDX(cons++, r->out)];
    __atomic_store_n(&r->out_cons, cons, __ATOMIC_RELEASE);
    console_write(d, buf, n);
    evtchn_send(dom0, port, NULL);
}

int console_connect(struct domain *d)
{
    struct evtchn_owner owner = {
        .notify_fd = -1,
        .kick_fd = -1,
        .internal = console_ring_event,
        .internal_arg = d,
    };
    int rc;

    rc = evtchn_alloc_unbound(d, 0, NULL, &d->console_port);
    if (rc < 0)
        return rc;
    rc = evtchn_bind_interdomain(dom0, (domid_t)d->domid, d->console_port, &owner,
                                 &d->console_dom0_port);
    if (rc < 0) {
        evtchn_close(d, d->console_port, NULL);
        d->console_port = 0;
    }
    return rc;
}

void console_disconnect(struct domain *d)
{
    if (d->console_dom0_port) {
        evtchn_close(dom0, d->console_dom0_port, NULL);
        d->console_dom0_port = 0;
    }
}

int console_input(struct domain *d, const void *buf, size_t len)
{
    struct xencons_interface *r;
    XENCONS_RING_IDX cons, prod;
    const uint8_t *p = buf;
    size_t n = 0;

    if (!d->console_dom0_port)
        return -ENOTCONN;
    r = ring(d);
    cons = __atomic_load_n(&r->in_cons, __ATOMIC_ACQUIRE);
    prod = __atomic_load_n(&r->in_prod, __ATOMIC_ACQUIRE);
    if (prod - cons > sizeof(r->in)) {
        dlog_guest(LOG_WARN, d, "console input ring indexes are corrupt; input dropped");
        return -EIO;
    }
    while (n < len && prod - cons < sizeof(r->in))
        r->in[MASK_XENCONS_IDX(prod++, r->in)] = p[n++];
    __atomic_store_n(&r->in_prod, prod, __ATOMIC_RELEASE);
    evtchn_send(dom0, d->console_dom0_port, NULL);
    return (int)n;
}
