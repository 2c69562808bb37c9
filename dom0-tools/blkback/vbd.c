/* vbd.c: one virtual block device's xenbus backend: xenstore keys, states, rings. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <xenstore.h>
#include <xen/io/protocols.h>
#include <xen/io/xenbus.h>

#include "disk.h"
#include "engine.h"
#include <lamina/log.h>
#include "vbd.h"

/*
 * The backend half of the xenbus handshake, as Linux's xen-blkback runs it
 * and blkfront expects it:
 *
 *   toolstack writes backend + frontend directories, both Initialising
 *   we open the backing store, publish our features  -> InitWait
 *   frontend publishes ring-ref(s), event-channel(s)  -> Initialised
 *   we map the rings, bind the channels, publish the
 *   disk's geometry                                   -> Connected
 *   either side (or the toolstack, on our node) asks  -> Closing
 *   frontend Closed: we unmap everything              -> Closed
 *   and finish if the toolstack set online=0, else wait for the frontend
 *   to come back (Initialising -> InitWait again).
 *
 * Every watch event just re-reads the states and acts on what they are
 * now ("level-triggered"), so missed intermediate states do no harm. All
 * frontend nodes are guest-written: parsed strictly, never trusted.
 */

struct vbd {
    const struct vbd_env *env;
    uint32_t domid, devid;
    char be[96];
    char fe[128];
    char name[40];
    XenbusState state;              /* ours, as last written */
    bool fe_seen;                   /* the frontend had a state once */
    bool fe_watched;
    struct blk_disk *disk;
    unsigned int info;              /* VDISK_* */
    bool discard;                   /* offered to the frontend */
    unsigned int nr_queues;
    struct blk_queue *queues[VBD_MAX_QUEUES];
    int broken_fd;
    bool done;
    enum vbd_result result;
};

static const char *state_name(int s)
{
    static const char *const names[] = {
        "Unknown", "Initialising", "InitWait", "Initialised", "Connected", "Closing", "Closed",
        "Reconfiguring", "Reconfigured",
    };

    return s >= 0 && s <= XenbusStateReconfigured ? names[s] : "invalid";
}

/* A guest-written string made safe for one log line. */
static const char *printable(const char *s, char *buf, size_t size)
{
    size_t i;

    for (i = 0; s[i] && i + 1 < size; i++)
        buf[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
    buf[i] = '\0';
    return buf;
}

/* Decimal digits only, at most max. */
static bool parse_uint(const char *s, unsigned long long max, unsigned long long *out)
{
    unsigned long long v = 0;

    if (!*s)
        return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > (max - (unsigned long long)(*s - '0')) / 10)
            return false;
        v = v * 10 + (unsigned long long)(*s - '0');
    }
    *out = v;
    return true;
}

static char *xread(struct vbd *v, const char *dir, const char *key)
{
    char path[256];

    if (snprintf(path, sizeof(path), "%s/%s", dir, key) >= (int)sizeof(path)) {
        errno = ENAMETOOLONG;
        return NULL;
    }
    return xs_read(v->env->xs, XBT_NULL, path, NULL);
}

/* 0 and *out, -ENOENT when missing, -EINVAL when not a number up to max. */
static int read_uint(struct vbd *v, const char *dir, const char *key, unsigned long long max,
                     unsigned long long *out)
{
    char *s = xread(v, dir, key);
    int rc;

    if (!s)
        return -ENOENT;
    rc = parse_uint(s, max, out) ? 0 : -EINVAL;
    free(s);
    return rc;
}

static bool xwrite(struct vbd *v, xs_transaction_t t, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static bool xwrite(struct vbd *v, xs_transaction_t t, const char *key, const char *fmt, ...)
{
    char path[256], val[256];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(val, sizeof(val), fmt, ap);
    va_end(ap);
    if (n < 0 || n >= (int)sizeof(val) ||
        snprintf(path, sizeof(path), "%s/%s", v->be, key) >= (int)sizeof(path)) {
        errno = ENAMETOOLONG;
        return false;
    }
    return xs_write(v->env->xs, t, path, val, (unsigned int)n);
}

/*
 * Run fn in a transaction on our directory, retrying conflicts. Nothing is
 * written once the toolstack has removed the device: we never re-create it.
 */
static bool in_transaction(struct vbd *v, bool (*fn)(struct vbd *v, xs_transaction_t t, int arg),
                           int arg)
{
    for (int tries = 0; tries < 100; tries++) {
        xs_transaction_t t = xs_transaction_start(v->env->xs);
        char path[128], *cur;
        int err;

        if (t == XBT_NULL)
            return false;
        snprintf(path, sizeof(path), "%s/state", v->be);
        cur = xs_read(v->env->xs, t, path, NULL);
        if (!cur) {
            xs_transaction_end(v->env->xs, t, true);
            errno = ENOENT;
            return false;
        }
        free(cur);
        if (!fn(v, t, arg)) {
            err = errno;
            xs_transaction_end(v->env->xs, t, true);
            errno = err;
            return false;
        }
        if (xs_transaction_end(v->env->xs, t, false))
            return true;
        if (errno != EAGAIN)
            return false;
    }
    errno = EAGAIN;
    return false;
}

static bool write_state(struct vbd *v, xs_transaction_t t, int state)
{
    return xwrite(v, t, "state", "%d", state);
}

static void switch_state(struct vbd *v, XenbusState s)
{
    if (!in_transaction(v, write_state, s)) {
        if (errno != ENOENT)
            log_warn("%s: cannot switch to %s: %s", v->name, state_name(s), strerror(errno));
        return;
    }
    log_debug("%s: %s -> %s", v->name, state_name(v->state), state_name(s));
    v->state = s;
}

static void disconnect(struct vbd *v)
{
    uint64_t n;

    if (!v->nr_queues)
        return;
    /* Each queue answers what is in flight and unmaps everything before it goes. */
    for (unsigned int i = 0; i < v->nr_queues; i++)
        blk_queue_destroy(v->queues[i]);
    v->nr_queues = 0;
    if (read(v->broken_fd, &n, sizeof(n)) < 0) {
        /* Not signalled: nothing to clear. */
    }
    log_info("%s: disconnected", v->name);
}

static void finish(struct vbd *v, enum vbd_result r)
{
    v->done = true;
    v->result = r;
}

/* Like Linux's xenbus_dev_fatal(): report under error/, stop serving, ask to close. */
static void fatal(struct vbd *v, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fatal(struct vbd *v, int err, const char *fmt, ...)
{
    char msg[256], path[192], val[300];
    va_list ap;
    int n;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    log_err("%s: %s", v->name, msg);
    /* v->be is /local/domain/0/backend/...: the error goes to /local/domain/0/error/backend/... */
    snprintf(path, sizeof(path), "/local/domain/0/error/%s/error",
             v->be + strlen("/local/domain/0/"));
    n = snprintf(val, sizeof(val), "%d %s", err, msg);
    if (n > 0 && n < (int)sizeof(val))
        xs_write(v->env->xs, XBT_NULL, path, val, (unsigned int)n);
    disconnect(v);
    if (v->state != XenbusStateClosing && v->state != XenbusStateClosed)
        switch_state(v, XenbusStateClosing);
}

/* Backing store. */

/* The path in params, without a format prefix ("aio:/img", "raw:/img": libxl's qdisk style). */
static const char *params_path(const char *params, const char **bad_format)
{
    static const char *const ok[] = { "aio", "raw", "file", "phy" };
    const char *colon = strchr(params, ':'), *slash = strchr(params, '/');

    *bad_format = NULL;
    if (!colon || (slash && slash < colon))
        return params;
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        if ((size_t)(colon - params) == strlen(ok[i]) && !strncmp(params, ok[i], strlen(ok[i])))
            return colon + 1;
    *bad_format = params;
    return NULL;
}

static bool write_hotplug_error(struct vbd *v, xs_transaction_t t, int unused)
{
    return xwrite(v, t, "hotplug-status", "error");
}

/* 0, -EAGAIN while the toolstack has not written params yet, or another negative errno. */
static int open_disk(struct vbd *v)
{
    char *params = xread(v, v->be, "params"), *mode, *type, buf[128];
    const char *path, *bad, *why;
    unsigned long long val;
    bool readonly;
    int rc;

    if (!params)
        return -EAGAIN;
    mode = xread(v, v->be, "mode");
    readonly = !mode || !strchr(mode, 'w');
    free(mode);
    path = params_path(params, &bad);
    if (!path || !*path) {
        fatal(v, EINVAL, "cannot use params '%s': only raw images and block devices are served",
              printable(params, buf, 64));
        xwrite(v, XBT_NULL, "hotplug-error", "unsupported disk format in params");
        in_transaction(v, write_hotplug_error, 0);
        free(params);
        return -EINVAL;
    }
    rc = blk_disk_open(&v->disk, path, readonly, v->env->cfg.allow_direct, &why);
    if (rc < 0) {
        fatal(v, -rc, "%s: %s (%s)", printable(path, buf, sizeof(buf)), why, strerror(-rc));
        xwrite(v, XBT_NULL, "hotplug-error", "%s: %s", printable(path, buf, sizeof(buf)), why);
        in_transaction(v, write_hotplug_error, 0);
        free(params);
        return rc;
    }
    v->info = readonly ? VDISK_READONLY : 0;
    type = xread(v, v->be, "device-type");
    if (type && !strcmp(type, "cdrom"))
        v->info |= VDISK_CDROM;
    free(type);
    if (read_uint(v, v->be, "removable", 1, &val) == 0 && val)
        v->info |= VDISK_REMOVABLE;
    v->discard = v->disk->discard;
    if (read_uint(v, v->be, "discard-enable", 1, &val) == 0 && !val)
        v->discard = false;
    log_info("%s: %s %s, %llu sectors, %s%s", v->name, v->disk->blockdev ? "block device" : "image",
             printable(path, buf, sizeof(buf)), (unsigned long long)v->disk->sectors,
             readonly ? "read-only" : "read-write", v->disk->direct ? ", O_DIRECT" : "");
    free(params);
    return 0;
}

/* Xenstore conversation. */

static bool write_features(struct vbd *v, xs_transaction_t t)
{
    const struct vbd_config *c = &v->env->cfg;

    if (!xwrite(v, t, "feature-max-indirect-segments", "%u", c->max_indirect_segments) ||
        !xwrite(v, t, "multi-queue-max-queues", "%u", c->max_queues) ||
        !xwrite(v, t, "max-ring-page-order", "%u", c->max_ring_order) ||
        !xwrite(v, t, "feature-persistent", "%u", c->max_persistent ? 1u : 0u) ||
        !xwrite(v, t, "feature-flush-cache", "1") ||
        !xwrite(v, t, "feature-barrier", "0") ||
        !xwrite(v, t, "feature-discard", "%u", v->discard ? 1u : 0u))
        return false;
    if (v->discard &&
        (!xwrite(v, t, "discard-granularity", "%u", v->disk->discard_granularity) ||
         !xwrite(v, t, "discard-alignment", "%u", v->disk->discard_alignment) ||
         !xwrite(v, t, "discard-secure", "%u", v->disk->discard_secure ? 1u : 0u)))
        return false;
    return true;
}

static bool publish_initwait(struct vbd *v, xs_transaction_t t, int unused)
{
    return write_features(v, t) && xwrite(v, t, "hotplug-status", "connected") &&
           write_state(v, t, XenbusStateInitWait);
}

static bool publish_connected(struct vbd *v, xs_transaction_t t, int unused)
{
    return write_features(v, t) &&
           xwrite(v, t, "sectors", "%llu", (unsigned long long)v->disk->sectors) &&
           xwrite(v, t, "info", "%u", v->info) &&
           xwrite(v, t, "sector-size", "%u", v->disk->sector_size) &&
           xwrite(v, t, "physical-sector-size", "%u", v->disk->physical_sector_size) &&
           write_state(v, t, XenbusStateConnected);
}

static void go_initwait(struct vbd *v)
{
    if (!in_transaction(v, publish_initwait, 0)) {
        if (errno != ENOENT)
            log_warn("%s: cannot publish features: %s", v->name, strerror(errno));
        return;
    }
    log_debug("%s: %s -> InitWait", v->name, state_name(v->state));
    v->state = XenbusStateInitWait;
}

static void on_broken(void *arg, unsigned int queue, const char *why)
{
    struct vbd *v = arg;
    uint64_t one = 1;

    /* From a queue's thread: the main loop does the xenstore work. */
    if (write(v->broken_fd, &one, sizeof(one)) < 0) {
        /* The counter is full: already signalled. */
    }
}

/* Frontend's queue q: ring refs and event channel. 0 or -1 after fatal(). */
static int read_queue(struct vbd *v, unsigned int q, unsigned int nr_queues, unsigned int nr_pages,
                      bool single_ref, struct blk_queue_params *p, unsigned long long *port)
{
    char dir[160], key[24];
    unsigned long long ref;
    int rc;

    if (nr_queues == 1)
        snprintf(dir, sizeof(dir), "%s", v->fe);
    else
        snprintf(dir, sizeof(dir), "%s/queue-%u", v->fe, q);
    rc = read_uint(v, dir, "event-channel", UINT32_MAX, port);
    if (rc < 0) {
        fatal(v, -rc, "reading %s/event-channel: %s", dir, rc == -ENOENT ? "missing" : "invalid");
        return -1;
    }
    p->nr_ring_pages = nr_pages;
    for (unsigned int i = 0; i < nr_pages; i++) {
        if (single_ref)
            snprintf(key, sizeof(key), "ring-ref");
        else
            snprintf(key, sizeof(key), "ring-ref%u", i);
        rc = read_uint(v, dir, key, UINT32_MAX, &ref);
        if (rc < 0) {
            fatal(v, -rc, "reading %s/%s: %s", dir, key, rc == -ENOENT ? "missing" : "invalid");
            return -1;
        }
        p->ring_refs[i] = (grant_ref_t)ref;
    }
    return 0;
}

/* Map the frontend's rings and start serving them; resume: they are live already. */
static void connect_rings(struct vbd *v, bool resume)
{
    const struct vbd_config *c = &v->env->cfg;
    unsigned long long nq = 1, order = 0, val, port;
    unsigned int nr_pages = 1;
    bool persistent = false, single_ref = true;
    char *proto, buf[40], qname[48];
    int rc;

    proto = xread(v, v->fe, "protocol");
    if (proto && strcmp(proto, XEN_IO_PROTO_ABI_X86_64) != 0) {
        fatal(v, ENOSYS, "frontend protocol '%s' is not supported (only %s)",
              printable(proto, buf, sizeof(buf)), XEN_IO_PROTO_ABI_X86_64);
        free(proto);
        return;
    }
    free(proto);
    if (read_uint(v, v->fe, "feature-persistent", UINT32_MAX, &val) == 0)
        persistent = val != 0 && c->max_persistent > 0;
    rc = read_uint(v, v->fe, "multi-queue-num-queues", UINT32_MAX, &nq);
    if (rc == -ENOENT)
        nq = 1;
    if (rc == -EINVAL || nq == 0 || nq > c->max_queues) {
        fatal(v, EINVAL, "frontend asks for %s queues (at most %u)",
              rc == -EINVAL ? "an invalid number of" : nq == 0 ? "0" : "too many", c->max_queues);
        return;
    }
    rc = read_uint(v, v->fe, "ring-page-order", UINT32_MAX, &order);
    if (rc == -EINVAL || (rc == 0 && order > c->max_ring_order)) {
        fatal(v, EINVAL, "frontend asks for ring-page-order %s (at most %u)",
              rc == -EINVAL ? "invalid" : "too big", c->max_ring_order);
        return;
    }
    if (rc == 0) {
        nr_pages = 1u << order;
        single_ref = false;
    }
    for (unsigned int q = 0; q < nq; q++) {
        struct blk_queue_params p = {
            .name = qname,
            .persistent = persistent,
            .max_persistent = c->max_persistent,
            .max_indirect_segments = c->max_indirect_segments,
            .discard_secure = v->disk->discard_secure,
            .on_broken = on_broken,
            .arg = v,
            .queue = q,
        };
        struct blk_transport *t;

        if (read_queue(v, q, (unsigned int)nq, nr_pages, single_ref, &p, &port) < 0)
            return;
        snprintf(qname, sizeof(qname), "%s q%u", v->name, q);
        t = v->env->transport.open(v->env->transport.arg, v->domid, (uint32_t)port);
        if (!t) {
            int err = errno;

            fatal(v, err, "cannot bind event channel %llu of domain %u: %s%s", port, v->domid,
                  strerror(err),
                  err == ENOENT || err == ECONNREFUSED ? " (is lamina-hv running?)" : "");
            return;
        }
        rc = blk_queue_create(&v->queues[q], v->disk, t, &p);
        if (rc < 0) {
            fatal(v, -rc, "cannot map ring %u of the frontend: %s", q, strerror(-rc));
            return;
        }
        v->nr_queues = q + 1;
    }
    for (unsigned int q = 0; q < v->nr_queues; q++) {
        rc = blk_queue_start(v->queues[q]);
        if (rc < 0) {
            fatal(v, -rc, "cannot start queue %u: %s", q, strerror(-rc));
            return;
        }
    }
    if (resume) {
        v->state = XenbusStateConnected;
    } else if (!in_transaction(v, publish_connected, 0)) {
        if (errno != ENOENT)
            fatal(v, errno, "cannot publish the disk: %s", strerror(errno));
        return;
    } else {
        v->state = XenbusStateConnected;
    }
    log_info("%s: %s: %llu queue(s), %u ring page(s) each%s", v->name,
             resume ? "resumed" : "connected", nq, nr_pages,
             persistent ? ", persistent grants" : "");
}

static bool online(struct vbd *v)
{
    unsigned long long val;

    return read_uint(v, v->be, "online", 1, &val) == 0 && val == 1;
}

/* Frontend's state; Unknown when missing or not a number. */
static int frontend_state(struct vbd *v)
{
    unsigned long long s;

    return read_uint(v, v->fe, "state", 255, &s) == 0 ? (int)s : XenbusStateUnknown;
}

/* First look at the device: find the frontend, open the store, pick up where it stands. */
static bool attach(struct vbd *v)
{
    char *fe, *id, prefix[40], buf[64];
    unsigned long long be_state = XenbusStateUnknown, fid;
    int fs, rc;

    if (!v->fe[0]) {
        fe = xread(v, v->be, "frontend");
        if (!fe)
            return false;           /* the toolstack is not done yet */
        snprintf(prefix, sizeof(prefix), "/local/domain/%u/", v->domid);
        if (strncmp(fe, prefix, strlen(prefix)) != 0 || strlen(fe) >= sizeof(v->fe) - 16) {
            fatal(v, EINVAL, "frontend path '%s' is not in domain %u's directory",
                  printable(fe, buf, sizeof(buf)), v->domid);
            free(fe);
            finish(v, VBD_FAILED);
            return false;
        }
        id = xread(v, v->be, "frontend-id");
        if (id && (!parse_uint(id, UINT32_MAX, &fid) || fid != v->domid)) {
            fatal(v, EINVAL, "frontend-id '%s' is not domain %u", printable(id, buf, 16),
                  v->domid);
            free(id);
            free(fe);
            finish(v, VBD_FAILED);
            return false;
        }
        free(id);
        snprintf(v->fe, sizeof(v->fe), "%s", fe);
        free(fe);
    }
    if (!v->fe_watched) {
        char path[160];

        snprintf(path, sizeof(path), "%s/state", v->fe);
        if (!xs_watch(v->env->xs, path, "fe")) {
            log_err("%s: cannot watch %s: %s", v->name, path, strerror(errno));
            finish(v, VBD_FAILED);
            return false;
        }
        v->fe_watched = true;
    }
    rc = open_disk(v);
    if (rc == -EAGAIN)
        return false;
    if (rc < 0) {
        finish(v, VBD_FAILED);
        return false;
    }
    read_uint(v, v->be, "state", 255, &be_state);
    fs = frontend_state(v);
    if (be_state == XenbusStateConnected &&
        (fs == XenbusStateInitialised || fs == XenbusStateConnected)) {
        /* A backend before us served this device: carry on with its rings. */
        v->state = XenbusStateInitWait;
        connect_rings(v, true);
    } else if (be_state == XenbusStateClosing || be_state == XenbusStateClosed) {
        v->state = (XenbusState)be_state;
    } else {
        go_initwait(v);
    }
    return true;
}

static void update(struct vbd *v, bool check_domain)
{
    char *node;
    int fs;

    if (v->done)
        return;
    node = xs_read(v->env->xs, XBT_NULL, v->be, NULL);
    if (!node) {
        log_info("%s: removed by the toolstack", v->name);
        disconnect(v);
        finish(v, VBD_FINISHED);
        return;
    }
    free(node);
    if (check_domain && v->env->domain_alive &&
        v->env->domain_alive(v->env->alive_arg, v->domid) == 0) {
        log_info("%s: domain %u is gone", v->name, v->domid);
        disconnect(v);
        if (v->state != XenbusStateClosed)
            switch_state(v, XenbusStateClosed);
        finish(v, VBD_FINISHED);
        return;
    }
    if (!v->disk && !attach(v))
        return;
    if (v->done)
        return;
    fs = frontend_state(v);
    if (fs != XenbusStateUnknown)
        v->fe_seen = true;
    switch (fs) {
    case XenbusStateInitialising:
        if (v->state == XenbusStateClosed) {
            log_info("%s: frontend reconnects", v->name);
            go_initwait(v);
        }
        break;
    case XenbusStateInitialised:
    case XenbusStateConnected:
        if (v->state == XenbusStateInitWait) {
            disconnect(v);
            connect_rings(v, false);
        }
        break;
    case XenbusStateClosing:
        if (v->state != XenbusStateClosing && v->state != XenbusStateClosed)
            switch_state(v, XenbusStateClosing);
        break;
    case XenbusStateClosed:
        disconnect(v);
        if (v->state != XenbusStateClosed)
            switch_state(v, XenbusStateClosed);
        if (!online(v)) {
            log_info("%s: closed and off-line: done", v->name);
            finish(v, VBD_FINISHED);
        }
        break;
    case XenbusStateUnknown:
        if (v->fe_seen) {
            log_info("%s: the frontend is gone", v->name);
            disconnect(v);
            if (v->state != XenbusStateClosed)
                switch_state(v, XenbusStateClosed);
            finish(v, VBD_FINISHED);
        }
        break;
    default:
        if (v->state != XenbusStateClosing && v->state != XenbusStateClosed)
            fatal(v, EINVAL, "frontend in unexpected state %d (%s)", fs, state_name(fs));
        break;
    }
}

static void on_queue_broken(struct vbd *v)
{
    uint64_t n;

    if (read(v->broken_fd, &n, sizeof(n)) < 0)
        return;
    for (unsigned int q = 0; q < v->nr_queues; q++) {
        if (blk_queue_broken(v->queues[q])) {
            fatal(v, EPROTO, "frontend broke the ring protocol on queue %u", q);
            return;
        }
    }
}

enum vbd_result vbd_serve(const struct vbd_env *env, uint32_t domid, uint32_t devid)
{
    struct vbd v = { .env = env, .domid = domid, .devid = devid, .state = XenbusStateUnknown };
    char fe_state_path[160];
    bool check = true;

    snprintf(v.be, sizeof(v.be), "%s/%u/%u", VBD_BACKEND_ROOT, domid, devid);
    snprintf(v.name, sizeof(v.name), "vbd %u/%u", domid, devid);
    v.broken_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (v.broken_fd < 0) {
        log_err("%s: eventfd: %s", v.name, strerror(errno));
        return VBD_FAILED;
    }
    if (!xs_watch(env->xs, v.be, "be") || !xs_watch(env->xs, "@releaseDomain", "rel")) {
        log_err("%s: cannot watch xenstore: %s", v.name, strerror(errno));
        close(v.broken_fd);
        return VBD_FAILED;
    }
    while (!v.done) {
        struct pollfd pfd[3] = {
            { .fd = xs_fileno(env->xs), .events = POLLIN },
            { .fd = v.broken_fd, .events = POLLIN },
            { .fd = env->stop_fd, .events = POLLIN },
        };
        char **w;

        update(&v, check);
        if (v.done)
            break;
        check = false;
        if (poll(pfd, 3, -1) < 0 && errno != EINTR) {
            log_err("%s: poll: %s", v.name, strerror(errno));
            finish(&v, VBD_FAILED);
            break;
        }
        if (pfd[2].revents) {
            log_info("%s: detaching (the device stays as it is for the next backend)", v.name);
            finish(&v, VBD_DETACHED);
            break;
        }
        if (pfd[1].revents)
            on_queue_broken(&v);
        while ((w = xs_check_watch(env->xs))) {
            if (!strcmp(w[XS_WATCH_TOKEN], "rel"))
                check = true;
            free(w);
        }
    }
    disconnect(&v);
    blk_disk_close(v.disk);
    xs_unwatch(env->xs, v.be, "be");
    xs_unwatch(env->xs, "@releaseDomain", "rel");
    if (v.fe_watched) {
        snprintf(fe_state_path, sizeof(fe_state_path), "%s/state", v.fe);
        xs_unwatch(env->xs, fe_state_path, "fe");
    }
    close(v.broken_fd);
    return v.result;
}
