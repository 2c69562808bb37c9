/* control.c: the control socket: dom0 requests, replies and events. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <lamina/ctl-wire.h>
#include <xen/sched.h>

#include "console.h"
#include "control.h"
#include "events.h"
#include "hv.h"
#include "loop.h"

#define MAX_CONNS           1024
#define MAX_ATTACH          8
#define OUTQ_LIMIT          (4u << 20)  /* a client this far behind is dropped */
#define OUTQ_FD_LIMIT       64          /* ... or holding this many of our descriptors */
#define CONSOLE_CHUNK       (16u * 1024u)

struct packet {
    struct lamina_ctl_hdr hdr;
    struct packet *next;
    int fds[LAMINA_CTL_MAX_FDS];    /* our duplicates, closed once sent */
    unsigned int nfds;
    uint8_t payload[];
};

struct attach {
    struct domain *d;       /* a reference, so output can be drained after destroy */
    uint64_t cursor;
};

struct ctl_conn {
    int fd;
    uid_t uid;
    pid_t pid;
    char client[32];
    bool hello;
    bool dead;
    bool subscribed;
    uint32_t sub_domid;
    struct attach attach[MAX_ATTACH];
    unsigned int nattach;
    struct packet *outq, **outq_tail;
    size_t outq_bytes;
    unsigned int outq_fds;
    void *priv[CTL_PRIV_MAX];      /* per-family state (event channels, grants) */
    struct ctl_conn *next;
};

static ctl_op_fn *extra_ops[LAMINA_CTL_OP_MAX];
static void (*close_hooks[4])(struct ctl_conn *c);
static int listen_fd = -1;
static char sock_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
static struct ctl_conn *conns;
static unsigned int nconns;
static atomic_bool console_pending;

static void conn_close(struct ctl_conn *c);
static void conn_want_write(struct ctl_conn *c, bool want);
static void reap_dead(void *arg);

/*
 * Connections die where they fail but are freed only by deferred work at
 * the top of the loop, never under a handler that may still use them.
 */
static void mark_dead(struct ctl_conn *c)
{
    static bool reap_queued;

    if (c->dead)
        return;
    c->dead = true;
    if (!reap_queued && loop_defer(reap_dead, &reap_queued) == 0)
        reap_queued = true;
}

static void packet_free(struct packet *p)
{
    for (unsigned int i = 0; i < p->nfds; i++)
        close(p->fds[i]);
    free(p);
}

static int conn_flush(struct ctl_conn *c)
{
    while (c->outq) {
        struct packet *p = c->outq;
        int rc = lamina_ctl_send(c->fd, &p->hdr, p->payload, p->fds, p->nfds, MSG_DONTWAIT);

        if (rc == -EAGAIN)
            return 0;
        if (rc < 0)
            return rc;
        c->outq = p->next;
        if (!c->outq)
            c->outq_tail = &c->outq;
        c->outq_bytes -= sizeof(p->hdr) + p->hdr.len;
        c->outq_fds -= p->nfds;
        packet_free(p);
    }
    conn_want_write(c, false);
    return 0;
}

/* Queue one packet behind earlier ones; send at once when nothing waits. */
static int conn_send(struct ctl_conn *c, const struct lamina_ctl_hdr *hdr, const void *payload,
                     const int *fds, unsigned int nfds)
{
    struct packet *p;
    int rc;

    if (c->dead)
        return -EPIPE;
    if (!c->outq) {
        rc = lamina_ctl_send(c->fd, hdr, payload, fds, nfds, MSG_DONTWAIT);
        if (rc != -EAGAIN) {
            if (rc < 0)
                mark_dead(c);
            return rc;
        }
    }
    if (c->outq_bytes + sizeof(*hdr) + hdr->len > OUTQ_LIMIT ||
        c->outq_fds + nfds > OUTQ_FD_LIMIT) {
        log_warn("control: dropping client %s (pid %d): it stopped reading", c->client,
                 (int)c->pid);
        mark_dead(c);
        return -ENOBUFS;
    }
    p = malloc(sizeof(*p) + hdr->len);
    if (!p) {
        mark_dead(c);
        return -ENOMEM;
    }
    p->hdr = *hdr;
    p->next = NULL;
    p->nfds = 0;
    for (unsigned int i = 0; i < nfds; i++) {
        int dup_fd = fcntl(fds[i], F_DUPFD_CLOEXEC, 0);

        if (dup_fd < 0) {
            packet_free(p);
            mark_dead(c);
            return -errno;
        }
        p->fds[p->nfds++] = dup_fd;
    }
    if (hdr->len)
        memcpy(p->payload, payload, hdr->len);
    *c->outq_tail = p;
    c->outq_tail = &p->next;
    c->outq_bytes += sizeof(*hdr) + hdr->len;
    c->outq_fds += p->nfds;
    conn_want_write(c, true);
    return 0;
}

void ctl_reply_fds(struct ctl_conn *c, const struct lamina_ctl_hdr *req, int status,
                   const void *payload, uint32_t len, const int *fds, unsigned int nfds)
{
    struct lamina_ctl_hdr h;

    lamina_ctl_hdr_init(&h, req->type, req->seq, len, LAMINA_CTL_F_REPLY);
    h.status = status;
    conn_send(c, &h, payload, fds, nfds);
}

void ctl_reply(struct ctl_conn *c, const struct lamina_ctl_hdr *req, int status,
               const void *payload, uint32_t len)
{
    ctl_reply_fds(c, req, status, payload, len, NULL, 0);
}

/* An error reply carries a NUL-terminated message for the user. */
void ctl_reply_err(struct ctl_conn *c, const struct lamina_ctl_hdr *req, int status,
                   const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    if ((size_t)n >= sizeof(msg))
        n = sizeof(msg) - 1;
    ctl_reply(c, req, status, msg, (uint32_t)n + 1);
}

void **ctl_conn_priv(struct ctl_conn *c, enum ctl_priv slot)
{
    return &c->priv[slot];
}

void control_register(uint16_t op, ctl_op_fn *fn)
{
    if (op < LAMINA_CTL_OP_MAX)
        extra_ops[op] = fn;
}

void control_on_close(void (*fn)(struct ctl_conn *c))
{
    for (unsigned int i = 0; i < sizeof(close_hooks) / sizeof(close_hooks[0]); i++) {
        if (!close_hooks[i]) {
            close_hooks[i] = fn;
            return;
        }
    }
}

static void send_event(struct ctl_conn *c, uint16_t type, const void *payload, uint32_t len)
{
    struct lamina_ctl_hdr h;

    lamina_ctl_hdr_init(&h, type, 0, len, LAMINA_CTL_F_EVENT);
    conn_send(c, &h, payload, NULL, 0);
}

/* Push pending console output of attachment a to c; false if c is backed up. */
static bool console_drain(struct ctl_conn *c, struct attach *a)
{
    uint8_t buf[sizeof(struct lamina_ctl_ev_console) + CONSOLE_CHUNK];
    struct lamina_ctl_ev_console *ev = (struct lamina_ctl_ev_console *)buf;

    for (;;) {
        uint64_t lost;
        size_t n;

        if (c->dead || c->outq_bytes > OUTQ_LIMIT / 2)
            return false;
        n = console_fetch(a->d, &a->cursor, buf + sizeof(*ev), CONSOLE_CHUNK, &lost);
        if (lost) {
            int m = snprintf((char *)buf + sizeof(*ev), CONSOLE_CHUNK,
                             "\r\n[lamina: %llu bytes of console output were lost]\r\n",
                             (unsigned long long)lost);

            ev->domid = a->d->domid;
            ev->len = (uint32_t)m;
            send_event(c, LAMINA_CTL_EV_CONSOLE, buf, (uint32_t)(sizeof(*ev) + (size_t)m));
            continue;
        }
        if (!n)
            return true;
        ev->domid = a->d->domid;
        ev->len = (uint32_t)n;
        send_event(c, LAMINA_CTL_EV_CONSOLE, buf, (uint32_t)(sizeof(*ev) + n));
    }
}

static void reap_dead(void *arg)
{
    struct ctl_conn **pp = &conns;

    *(bool *)arg = false;
    while (*pp) {
        struct ctl_conn *c = *pp;

        if (c->dead) {
            *pp = c->next;
            conn_close(c);
        } else {
            pp = &c->next;
        }
    }
}

static void console_flush_all(void *arg)
{
    atomic_store(&console_pending, false);
    for (struct ctl_conn *c = conns; c; c = c->next)
        for (unsigned int i = 0; i < c->nattach; i++)
            console_drain(c, &c->attach[i]);
}

static void console_notify(void)
{
    if (!atomic_exchange(&console_pending, true))
        loop_defer(console_flush_all, NULL);
}

static void detach(struct ctl_conn *c, unsigned int i)
{
    domain_put(c->attach[i].d);
    c->attach[i] = c->attach[--c->nattach];
}

void events_domain(uint32_t domid, uint32_t event, uint32_t reason, uint32_t action)
{
    struct lamina_ctl_ev_domain ev = { domid, event, reason, action };

    for (struct ctl_conn *c = conns; c; c = c->next) {
        bool attached = false;

        for (unsigned int i = 0; i < c->nattach; i++) {
            if (c->attach[i].d->domid != domid)
                continue;
            /* Output first: a console reader must see the last line before the end. */
            console_drain(c, &c->attach[i]);
            attached = true;
            if (event == LAMINA_DOMEV_DESTROYED) {
                detach(c, i);
                i--;
            }
        }
        if (attached ||
            (c->subscribed && (c->sub_domid == LAMINA_DOMID_ANY || c->sub_domid == domid)))
            send_event(c, LAMINA_CTL_EV_DOMAIN, &ev, sizeof(ev));
    }
}

/* Payload of exactly `size` bytes, or reply -EINVAL. */
static bool want_len(struct ctl_conn *c, const struct lamina_ctl_msg *m, size_t size)
{
    if (m->hdr.len == size && m->nfds == 0)
        return true;
    ctl_reply_err(c, &m->hdr, -EINVAL, "malformed request: payload %u bytes, %u descriptors",
              m->hdr.len, m->nfds);
    return false;
}

static struct domain *want_domain(struct ctl_conn *c, const struct lamina_ctl_hdr *h, uint32_t domid,
                                  bool allow_dom0)
{
    struct domain *d = domain_get(domid);

    if (!d) {
        ctl_reply_err(c, h, -ESRCH, "no domain with id %u", domid);
        return NULL;
    }
    if (d->is_privileged && !allow_dom0) {
        ctl_reply_err(c, h, -EPERM, "domain 0 is the host; it cannot be controlled this way");
        domain_put(d);
        return NULL;
    }
    return d;
}

static void op_hello(struct ctl_conn *c, const struct lamina_ctl_msg *m)
{
    struct lamina_ctl_hello req;
    struct lamina_ctl_hello_reply rep;

    if (!want_len(c, m, sizeof(req)))
        return;
    memcpy(&req, m->payload, sizeof(req));
    req.client[sizeof(req.client) - 1] = '\0';
    /* The name goes into the log: nothing in it may forge a line. */
    for (char *p = req.client; *p; p++)
        if (*p < 0x20 || *p > 0x7e)
            *p = '?';
    snprintf(c->client, sizeof(c->client), "%s", req.client);
    if (req.version != LAMINA_CTL_VERSION) {
        ctl_reply_err(c, &m->hdr, -EPROTONOSUPPORT,
                  "control protocol version %u is not supported (lamina-hv speaks %u)",
                  req.version, LAMINA_CTL_VERSION);
        return;
    }
    memset(&rep, 0, sizeof(rep));
    rep.version = LAMINA_CTL_VERSION;
    rep.features = arch_has_xen_intercept() ? LAMINA_CTL_FEAT_KVM_XEN : 0;
    rep.xen_major = HV_XEN_MAJOR;
    rep.xen_minor = HV_XEN_MINOR;
    snprintf(rep.hv_version, sizeof(rep.hv_version), "%s", PACKAGE_VERSION);
    c->hello = true;
    ctl_reply(c, &m->hdr, 0, &rep, sizeof(rep));
}

static void op_domain_create(struct ctl_conn *c, const struct lamina_ctl_msg *m)
{
    struct lamina_ctl_domain_create req;
    struct lamina_ctl_domid rep = { 0 };
    struct domain *d;
    int rc;

    if (m->hdr.len < sizeof(req) || m->nfds) {
        ctl_reply_err(c, &m->hdr, -EINVAL, "malformed create request");
        return;
    }
    memcpy(&req, m->payload, sizeof(req));
    if (req.config_len != m->hdr.len - sizeof(req)) {
        ctl_reply_err(c, &m->hdr, -EINVAL, "create request: config length %u does not match the "
                  "payload", req.config_len);
        return;
    }
    if (strnlen(req.name, sizeof(req.name)) == sizeof(req.name)) {
        ctl_reply_err(c, &m->hdr, -EINVAL, "domain name is not terminated");
        return;
    }
    rc = domain_create(&req, m->payload + sizeof(req), &d);
    if (rc == -EEXIST) {
        ctl_reply_err(c, &m->hdr, rc, "a domain named '%s' or with the same UUID already exists",
                  req.name);
        return;
    }
    if (rc == -EINVAL) {
        ctl_reply_err(c, &m->hdr, rc, "invalid domain parameters (name '%s', %llu KiB, %u vCPUs)",
                  req.name, (unsigned long long)req.memory_kb, req.max_vcpus);
        return;
    }
    if (rc < 0) {
        ctl_reply_err(c, &m->hdr, rc, "cannot create domain '%s': %s", req.name, strerror(-rc));
        return;
    }
    rep.domid = d->domid;
    ctl_reply(c, &m->hdr, 0, &rep, sizeof(rep));
}

static void op_domain_build(struct ctl_conn *c, const struct lamina_ctl_msg *m)
{
    struct lamina_ctl_domain_build_pvh req;
    struct lamina_ctl_domain_build_reply rep;
    struct domain *d;
    const char *cmdline;
    char err[256] = "";
    int rc;

    if (m->hdr.len < sizeof(req) || m->nfds < 1 || m->nfds > 2) {
        ctl_reply_err(c, &m->hdr, -EINVAL, "malformed build request");
        return;
    }
    memcpy(&req, m->payload, sizeof(req));
    cmdline = (const char *)m->payload + sizeof(req);
    if (req.cmdline_len != m->hdr.len - sizeof(req) || req.cmdline_len == 0 ||
        strnlen(cmdline, req.cmdline_len) != req.cmdline_len - 1) {
        ctl_reply_err(c, &m->hdr, -EINVAL, "build request: bad command line");
        return;
    }
    d = want_domain(c, &m->hdr, req.domid, false);
    if (!d)
        return;
    rc = domain_build_pvh(d, m->fds[0], m->nfds > 1 ? m->fds[1] : -1, cmdline, &rep, err,
                          sizeof(err));
    if (rc < 0) {
        dlog(LOG_ERR, d, "build failed: %s", err);
        ctl_reply_err(c, &m->hdr, rc, "%s", err);
    } else {
        ctl_reply(c, &m->hdr, 0, &rep, sizeof(rep));
    }
    domain_put(d);
}

static void op_domain_simple(struct ctl_conn *c, const struct lamina_ctl_msg *m)
{
    struct lamina_ctl_domid req;
    struct domain *d;
    int rc;

    if (!want_len(c, m, sizeof(req)))
        return;
    memcpy(&req, m->payload, sizeof(req));
    d = want_domain(c, &m->hdr, req.domid, false);
    if (!d)
        return;
    switch (m->hdr.type) {
    case LAMINA_CTL_OP_DOMAIN_PAUSE:
        rc = domain_pause(d);
        break;
    case LAMINA_CTL_OP_DOMAIN_UNPAUSE:
        rc = domain_unpause(d);
        if (rc == -EINVAL && !d->built) {
            ctl_reply_err(c, &m->hdr, rc, "domain %u has no kernel yet", d->domid);
            domain_put(d);
            return;
        }
        break;
    default:
        dlog(LOG_INFO, d, "destroy asked for by %s (pid %d)", c->client, (int)c->pid);
        rc = domain_destroy(d);
        break;
    }
    if (rc < 0)
        ctl_reply_err(c, &m->hdr, rc, "domain %u: %s", d->domid, strerror(-rc));
    else
        ctl_reply(c, &m->hdr, 0, NULL, 0);
    domain_put(d);
}

static void op_domain_shutdown(struct ctl_conn *c, const struct lamina_ctl_msg *m)
{
    struct lamina_ctl_domain_shutdown req;
    struct domain *d;

    if (!want_len(c, m, sizeof(req)))
        return;
    memcpy(&req, m->payload, sizeof(req));
    if (req.reason > SHUTDOWN_MAX) {
        ctl_reply_err(c, &m->hdr, -EINVAL, "unknown shutdown reason %u", req.reason);
        return;
    }
    d = want_domain(c, &m->hdr, req.domid, false);
    if (!d)
        return;
    domain_shutdown(d, req.reason);
    ctl_reply(c, &m->hdr, 0, NULL, 0);
    domain_put(d);
}

struct getinfo_ctx {
    struct lamina_ctl_dominfo *out;
    uint32_t max, count;
};

static int fill_dominfo(struct domain *d, void *arg)
{
    struct getinfo_ctx *g = arg;
    struct lamina_ctl_dominfo *i;

    if (g->count == g->max)
        return 1;
    i = &g->out[g->count++];
    memset(i, 0, sizeof(*i));
    i->domid = d->domid;
    i->flags = domain_flags(d);
    memcpy(i->uuid, d->uuid, sizeof(i->uuid));
    memcpy(i->name, d->name, sizeof(i->name));
    if (d->is_privileged) {
        long pages = sysconf(_SC_PHYS_PAGES);
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        struct timespec ts;

        i->tot_pages = i->max_pages = pages > 0 ? (uint64_t)pages : 0;
        i->nr_online_vcpus = cpus > 0 ? (uint32_t)cpus : 1;
        i->max_vcpu_id = i->nr_online_vcpus - 1;
        if (!clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts))
            i->cpu_time_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
    } else {
        i->tot_pages = d->ram_pages;
        i->max_pages = d->maxmem_kb / 4;
        i->shared_info_frame = d->shared_info_gfn;
        i->cpu_time_ns = domain_cpu_time_ns(d);
        pthread_mutex_lock(&d->lock);
        for (uint32_t v = 0; v < d->max_vcpus; v++)
            if (d->vcpus[v]->state != VCPU_DOWN)
                i->nr_online_vcpus++;
        pthread_mutex_unlock(&d->lock);
        i->max_vcpu_id = d->max_vcpus - 1;
        memcpy(&i->on_poweroff, d->actions, 4);
    }
    i->uptime_ns = domain_system_time(d);
    return 0;
}

static void op_domain_getinfo(struct ctl_conn *c, const struct lamina_ctl_msg *m)
{
    enum { MAX_RECORDS = (LAMINA_CTL_MAX_PAYLOAD - sizeof(struct lamina_ctl_getinfo_reply)) /
                         sizeof(struct lamina_ctl_dominfo) };
    struct lamina_ctl_getinfo req;
    struct getinfo_ctx g;
    uint8_t *buf;

    if (!want_len(c, m, sizeof(req)))
        return;
    memcpy(&req, m->payload, sizeof(req));
    buf = calloc(1, LAMINA_CTL_MAX_PAYLOAD);
    if (!buf) {
        ctl_reply_err(c, &m->hdr, -ENOMEM, "out of memory");
        return;
    }
    g.out = (struct lamina_ctl_dominfo *)(buf + sizeof(struct lamina_ctl_getinfo_reply));
    g.max = req.max < MAX_RECORDS ? req.max : MAX_RECORDS;
    g.count = 0;
    if (req.first_domid < HV_MAX_DOMAINS)
        domain_for_each(req.first_domid, fill_dominfo, &g);
    ((struct lamina_ctl_getinfo_reply *)buf)->count = g.count;
    ctl_reply(c, &m->hdr, 0, buf,
          (uint32_t)(sizeof(struct lamina_ctl_getinfo_reply) + g.count * sizeof(*g.out)));
    free(buf);
}

static void op_domain_get_config(struct ctl_conn *c, const struct lamina_ctl_msg *m)
{
    struct lamina_ctl_domid req;
    struct domain *d;

    if (!want_len(c, m, sizeof(req)))
        return;
    memcpy(&req, m->payload, sizeof(req));
    d = want_domain(c, &m->hdr, req.domid, false);
    if (!d)
        return;
    ctl_reply(c, &m->hdr, 0, d->config_json, d->config_len);
    domain_put(d);
}

static void op_console_attach(struct ctl_conn *c, const struct lamina_ctl_msg *m)
{
    struct lamina_ctl_console_attach req;
    struct domain *d;

    if (!want_len(c, m, sizeof(req)))
        return;
    memcpy(&req, m->payload, sizeof(req));
    if (req.flags & ~LAMINA_CONSOLE_F_REPLAY) {
        ctl_reply_err(c, &m->hdr, -EINVAL, "unknown console flags %#x", req.flags);
        return;
    }
    for (unsigned int i = 0; i < c->nattach; i++) {
        if (c->attach[i].d->domid == req.domid) {
            ctl_reply_err(c, &m->hdr, -EBUSY, "already attached to domain %u", req.domid);
            return;
        }
    }
    if (c->nattach == MAX_ATTACH) {
        ctl_reply_err(c, &m->hdr, -ENOSPC, "too many consoles on one connection");
        return;
    }
    d = want_domain(c, &m->hdr, req.domid, false);
    if (!d)
        return;
    c->attach[c->nattach].d = d;
    c->attach[c->nattach].cursor = (req.flags & LAMINA_CONSOLE_F_REPLAY) ? console_replay_start(d)
                                                                         : console_head(d);
    c->nattach++;
    ctl_reply(c, &m->hdr, 0, NULL, 0);
    console_drain(c, &c->attach[c->nattach - 1]);
}

static void op_console_detach(struct ctl_conn *c, const struct lamina_ctl_msg *m)
{
    struct lamina_ctl_domid req;

    if (!want_len(c, m, sizeof(req)))
        return;
    memcpy(&req, m->payload, sizeof(req));
    for (unsigned int i = 0; i < c->nattach; i++) {
        if (c->attach[i].d->domid == req.domid) {
            detach(c, i);
            ctl_reply(c, &m->hdr, 0, NULL, 0);
            return;
        }
    }
    ctl_reply_err(c, &m->hdr, -ENOENT, "not attached to domain %u", req.domid);
}

static void op_console_input(struct ctl_conn *c, const struct lamina_ctl_msg *m)
{
    struct lamina_ctl_console_input req;
    struct domain *d;
    int n;

    if (m->hdr.len < sizeof(req) || m->nfds) {
        ctl_reply_err(c, &m->hdr, -EINVAL, "malformed console input");
        return;
    }
    memcpy(&req, m->payload, sizeof(req));
    if (req.len != m->hdr.len - sizeof(req)) {
        ctl_reply_err(c, &m->hdr, -EINVAL, "console input: length %u does not match the payload",
                      req.len);
        return;
    }
    d = want_domain(c, &m->hdr, req.domid, false);
    if (!d)
        return;
    n = console_input(d, m->payload + sizeof(req), req.len);
    if (n < 0) {
        ctl_reply_err(c, &m->hdr, n, "domain %u has no console ring connected", req.domid);
    } else {
        struct lamina_ctl_domid rep = { (uint32_t)n, 0 };

        /* How many bytes fitted: a full ring takes the rest later. */
        ctl_reply(c, &m->hdr, 0, &rep, sizeof(rep));
    }
    domain_put(d);
}

static void op_subscribe(struct ctl_conn *c, const struct lamina_ctl_msg *m)
{
    struct lamina_ctl_subscribe req;

    if (!want_len(c, m, sizeof(req)))
        return;
    memcpy(&req, m->payload, sizeof(req));
    if (req.mask & ~LAMINA_EVMASK_DOMAIN) {
        ctl_reply_err(c, &m->hdr, -EINVAL, "unknown event mask %#x", req.mask);
        return;
    }
    c->subscribed = req.mask != 0;
    c->sub_domid = req.domid;
    ctl_reply(c, &m->hdr, 0, NULL, 0);
}

static void op_xen_version(struct ctl_conn *c, const struct lamina_ctl_msg *m)
{
    struct lamina_ctl_xen_version_reply rep;

    if (!want_len(c, m, 0))
        return;
    memset(&rep, 0, sizeof(rep));
    rep.major = HV_XEN_MAJOR;
    rep.minor = HV_XEN_MINOR;
    snprintf(rep.extra, sizeof(rep.extra), "%s", HV_XEN_EXTRAVERSION);
    ctl_reply(c, &m->hdr, 0, &rep, sizeof(rep));
}

static void dispatch(struct ctl_conn *c, struct lamina_ctl_msg *m)
{
    static ctl_op_fn *const ops[LAMINA_CTL_OP_MAX] = {
        [LAMINA_CTL_OP_HELLO] = op_hello,
        [LAMINA_CTL_OP_DOMAIN_CREATE] = op_domain_create,
        [LAMINA_CTL_OP_DOMAIN_BUILD_PVH] = op_domain_build,
        [LAMINA_CTL_OP_DOMAIN_UNPAUSE] = op_domain_simple,
        [LAMINA_CTL_OP_DOMAIN_PAUSE] = op_domain_simple,
        [LAMINA_CTL_OP_DOMAIN_DESTROY] = op_domain_simple,
        [LAMINA_CTL_OP_DOMAIN_SHUTDOWN] = op_domain_shutdown,
        [LAMINA_CTL_OP_DOMAIN_GETINFO] = op_domain_getinfo,
        [LAMINA_CTL_OP_DOMAIN_GET_CONFIG] = op_domain_get_config,
        [LAMINA_CTL_OP_CONSOLE_ATTACH] = op_console_attach,
        [LAMINA_CTL_OP_CONSOLE_DETACH] = op_console_detach,
        [LAMINA_CTL_OP_CONSOLE_INPUT] = op_console_input,
        [LAMINA_CTL_OP_SUBSCRIBE] = op_subscribe,
        [LAMINA_CTL_OP_XEN_VERSION] = op_xen_version,
    };
    uint16_t type = m->hdr.type;
    ctl_op_fn *fn;

    if (m->hdr.flags != 0 || m->hdr.status != 0) {
        ctl_reply_err(c, &m->hdr, -EINVAL, "requests carry no flags or status");
        return;
    }
    fn = type < LAMINA_CTL_OP_MAX ? (ops[type] ? ops[type] : extra_ops[type]) : NULL;
    if (!fn) {
        ctl_reply_err(c, &m->hdr, -EOPNOTSUPP, "unknown operation %u", type);
        return;
    }
    if (!c->hello && type != LAMINA_CTL_OP_HELLO) {
        ctl_reply_err(c, &m->hdr, -EPROTO, "the first request must be HELLO");
        return;
    }
    fn(c, m);
}

static void conn_close(struct ctl_conn *c)
{
    for (unsigned int i = 0; i < sizeof(close_hooks) / sizeof(close_hooks[0]); i++)
        if (close_hooks[i])
            close_hooks[i](c);
    loop_del(main_loop, c->fd);
    close(c->fd);
    while (c->nattach)
        detach(c, c->nattach - 1);
    while (c->outq) {
        struct packet *p = c->outq;

        c->outq = p->next;
        packet_free(p);
    }
    nconns--;
    free(c);
}

static void conn_event(int fd, uint32_t events, void *arg);

static void conn_want_write(struct ctl_conn *c, bool want)
{
    loop_mod(main_loop, c->fd, EPOLLIN | (want ? EPOLLOUT : 0), conn_event, c);
}

static void conn_event(int fd, uint32_t events, void *arg)
{
    struct ctl_conn *c = arg;

    if (events & EPOLLOUT && conn_flush(c) < 0)
        mark_dead(c);
    /* A few packets per wake-up, so one busy client cannot starve the rest. */
    for (int budget = 16; !c->dead && budget > 0 && (events & (EPOLLIN | EPOLLHUP)); budget--) {
        struct lamina_ctl_msg m;
        int rc = lamina_ctl_recv(fd, &m, MSG_DONTWAIT);

        if (rc == -EAGAIN)
            break;
        if (rc == 0 || (rc < 0 && rc != -EPROTO)) {
            mark_dead(c);
            break;
        }
        if (rc == -EPROTO) {
            /* The packet is gone; say so with a reply nobody can match. */
            struct lamina_ctl_hdr bad;

            lamina_ctl_hdr_init(&bad, 0, 0, 0, 0);
            log_warn("control: malformed packet from %s (pid %d)", c->client, (int)c->pid);
            ctl_reply_err(c, &bad, -EPROTO, "malformed packet");
            continue;
        }
        dispatch(c, &m);
        lamina_ctl_msg_release(&m);
    }
    if (events & EPOLLERR)
        mark_dead(c);
}

static void accept_event(int fd, uint32_t events, void *arg)
{
    int s = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    struct ucred cred;
    socklen_t len = sizeof(cred);
    struct ctl_conn *c;

    if (s < 0)
        return;
    if (getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
        (cred.uid != 0 && cred.uid != geteuid())) {
        log_warn("control: refused a client with uid %d", (int)cred.uid);
        close(s);
        return;
    }
    if (nconns >= MAX_CONNS) {
        log_warn("control: too many clients; refused pid %d", (int)cred.pid);
        close(s);
        return;
    }
    c = calloc(1, sizeof(*c));
    if (!c) {
        close(s);
        return;
    }
    c->fd = s;
    c->uid = cred.uid;
    c->pid = cred.pid;
    snprintf(c->client, sizeof(c->client), "pid %d", (int)cred.pid);
    c->outq_tail = &c->outq;
    if (loop_add(main_loop, s, EPOLLIN, conn_event, c) < 0) {
        close(s);
        free(c);
        return;
    }
    c->next = conns;
    conns = c;
    nconns++;
}

int control_init(void)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    int fd, rc;

    rc = lamina_ctl_socket_path(sock_path, sizeof(sock_path));
    if (rc < 0) {
        log_err("control socket path under %s is too long", lamina_rundir());
        return rc;
    }
    memcpy(addr.sun_path, sock_path, sizeof(sock_path));
    fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -errno;
    /* A socket file nobody answers on is left over from a crash: replace it. */
    if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0) {
        log_err("another lamina-hv already serves %s", sock_path);
        close(fd);
        return -EADDRINUSE;
    }
    close(fd);
    unlink(sock_path);
    fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -errno;
    if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || chmod(sock_path, 0600) < 0 ||
        listen(fd, 64) < 0) {
        rc = -errno;
        log_err("cannot listen on %s: %s", sock_path, strerror(-rc));
        close(fd);
        return rc;
    }
    listen_fd = fd;
    console_set_notify(console_notify);
    ctl_evtchn_init();
    ctl_gnttab_init();
    return loop_add(main_loop, fd, EPOLLIN, accept_event, NULL);
}

void control_fini(void)
{
    while (conns) {
        struct ctl_conn *c = conns;

        conns = c->next;
        conn_close(c);
    }
    if (listen_fd >= 0) {
        loop_del(main_loop, listen_fd);
        close(listen_fd);
        unlink(sock_path);
        listen_fd = -1;
    }
}
