/* xenbus.c: the backend half of a split device's xenbus handshake (blkback, netback). */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <lamina/log.h>

#include "xenbus.h"

/* Room left after the frontend's path for the keys read under it. */
#define FE_KEY_ROOM 32

void xb_dev_init(struct xb_dev *d, const struct xb_ops *ops, const char *type,
                 struct xs_handle *xs, uint32_t domid, uint32_t devid, int stop_fd,
                 int (*domain_alive)(void *arg, uint32_t domid), void *alive_arg)
{
    *d = (struct xb_dev){
        .ops = ops, .xs = xs, .domain_alive = domain_alive, .alive_arg = alive_arg,
        .stop_fd = stop_fd, .domid = domid, .devid = devid, .state = XenbusStateUnknown,
        .broken_fd = -1,
    };
    snprintf(d->be, sizeof(d->be), "/local/domain/0/backend/%s/%u/%u", type, domid, devid);
    snprintf(d->name, sizeof(d->name), "%s %u/%u", type, domid, devid);
}

const char *xb_state_name(int s)
{
    static const char *const names[] = {
        "Unknown", "Initialising", "InitWait", "Initialised", "Connected", "Closing", "Closed",
        "Reconfiguring", "Reconfigured",
    };

    return s >= 0 && s <= XenbusStateReconfigured ? names[s] : "invalid";
}

const char *xb_printable(const char *s, char *buf, size_t size)
{
    size_t i;

    for (i = 0; s[i] && i + 1 < size; i++)
        buf[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
    buf[i] = '\0';
    return buf;
}

bool xb_parse_uint(const char *s, unsigned long long max, unsigned long long *out)
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

char *xb_read(const struct xb_dev *d, const char *dir, const char *key)
{
    char path[256];

    if (snprintf(path, sizeof(path), "%s/%s", dir, key) >= (int)sizeof(path)) {
        errno = ENAMETOOLONG;
        return NULL;
    }
    return xs_read(d->xs, XBT_NULL, path, NULL);
}

int xb_read_uint(const struct xb_dev *d, const char *dir, const char *key,
                 unsigned long long max, unsigned long long *out)
{
    char *s = xb_read(d, dir, key);
    int rc;

    if (!s)
        return -ENOENT;
    rc = xb_parse_uint(s, max, out) ? 0 : -EINVAL;
    free(s);
    return rc;
}

bool xb_fe_feature(const struct xb_dev *d, const char *key)
{
    unsigned long long val;

    return xb_read_uint(d, d->fe, key, UINT32_MAX, &val) == 0 && val != 0;
}

bool xb_write(const struct xb_dev *d, xs_transaction_t t, const char *dir, const char *key,
              const char *fmt, ...)
{
    char path[256], val[256];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(val, sizeof(val), fmt, ap);
    va_end(ap);
    if (n < 0 || n >= (int)sizeof(val) ||
        snprintf(path, sizeof(path), "%s/%s", dir, key) >= (int)sizeof(path)) {
        errno = ENAMETOOLONG;
        return false;
    }
    return xs_write(d->xs, t, path, val, (unsigned int)n);
}

bool xb_in_transaction(struct xb_dev *d, bool (*fn)(struct xb_dev *d, xs_transaction_t t,
                                                     int arg), int arg)
{
    for (int tries = 0; tries < 100; tries++) {
        xs_transaction_t t = xs_transaction_start(d->xs);
        char path[128], *cur;
        int err;

        if (t == XBT_NULL)
            return false;
        if (snprintf(path, sizeof(path), "%s/state", d->be) >= (int)sizeof(path)) {
            xs_transaction_end(d->xs, t, true);
            errno = ENAMETOOLONG;
            return false;
        }
        cur = xs_read(d->xs, t, path, NULL);
        free(cur);
        if (!cur) {
            xs_transaction_end(d->xs, t, true);
            errno = ENOENT;
            return false;
        }
        if (!fn(d, t, arg)) {
            err = errno;
            xs_transaction_end(d->xs, t, true);
            errno = err;
            return false;
        }
        if (xs_transaction_end(d->xs, t, false))
            return true;
        if (errno != EAGAIN)
            return false;
    }
    errno = EAGAIN;
    return false;
}

static bool write_state(struct xb_dev *d, xs_transaction_t t, int state)
{
    return xb_write(d, t, d->be, "state", "%d", state);
}

static void switch_state(struct xb_dev *d, XenbusState s)
{
    if (!xb_in_transaction(d, write_state, s)) {
        if (errno != ENOENT)
            log_warn("%s: cannot switch to %s: %s", d->name, xb_state_name(s), strerror(errno));
        return;
    }
    log_debug("%s: %s -> %s", d->name, xb_state_name(d->state), xb_state_name(s));
    d->state = s;
}

static void finish(struct xb_dev *d, enum xb_result r)
{
    d->done = true;
    d->result = r;
}

/* Like Linux's xenbus_dev_fatal(): report under error/, stop serving, ask to close. */
void xb_fatal(struct xb_dev *d, int err, const char *fmt, ...)
{
    char msg[256], path[192], val[300];
    va_list ap;
    int n;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    log_err("%s: %s", d->name, msg);
    /* be is /local/domain/0/backend/...: the error goes to /local/domain/0/error/backend/... */
    snprintf(path, sizeof(path), "/local/domain/0/error/%s/error",
             d->be + strlen("/local/domain/0/"));
    n = snprintf(val, sizeof(val), "%d %s", err, msg);
    if (n > 0 && n < (int)sizeof(val))
        xs_write(d->xs, XBT_NULL, path, val, (unsigned int)n);
    d->ops->disconnect(d);
    if (d->state != XenbusStateClosing && d->state != XenbusStateClosed)
        switch_state(d, XenbusStateClosing);
}

static bool write_hotplug_error(struct xb_dev *d, xs_transaction_t t, int unused)
{
    (void)unused;
    return xb_write(d, t, d->be, "hotplug-status", "error");
}

void xb_config_error(struct xb_dev *d, int err, const char *msg)
{
    xb_fatal(d, err, "%s", msg);
    xb_write(d, XBT_NULL, d->be, "hotplug-error", "%s", msg);
    xb_in_transaction(d, write_hotplug_error, 0);
    finish(d, XB_FAILED);
}

static bool publish_connected(struct xb_dev *d, xs_transaction_t t, int unused)
{
    (void)unused;
    return d->ops->write_features(d, t) &&
           (!d->ops->write_connected || d->ops->write_connected(d, t)) &&
           write_state(d, t, XenbusStateConnected);
}

bool xb_connected(struct xb_dev *d, bool resume)
{
    if (!resume && !xb_in_transaction(d, publish_connected, 0)) {
        if (errno != ENOENT)
            xb_fatal(d, errno, "cannot publish Connected: %s", strerror(errno));
        return false;
    }
    d->state = XenbusStateConnected;
    return true;
}

void xb_signal_broken(struct xb_dev *d)
{
    uint64_t one = 1;

    /* From a queue's thread: the main loop does the xenstore work. */
    if (write(d->broken_fd, &one, sizeof(one)) < 0) {
        /* The counter is full: already signalled. */
    }
}

static bool publish_initwait(struct xb_dev *d, xs_transaction_t t, int unused)
{
    (void)unused;
    return d->ops->write_features(d, t) &&
           xb_write(d, t, d->be, "hotplug-status", "connected") &&
           write_state(d, t, XenbusStateInitWait);
}

static void go_initwait(struct xb_dev *d)
{
    if (!xb_in_transaction(d, publish_initwait, 0)) {
        if (errno != ENOENT)
            log_warn("%s: cannot publish features: %s", d->name, strerror(errno));
        return;
    }
    log_debug("%s: %s -> InitWait", d->name, xb_state_name(d->state));
    d->state = XenbusStateInitWait;
}

static void disconnect(struct xb_dev *d)
{
    uint64_t n;

    d->ops->disconnect(d);
    if (read(d->broken_fd, &n, sizeof(n)) < 0) {
        /* Not signalled: nothing to clear. */
    }
}

static void close_and_finish(struct xb_dev *d, const char *why)
{
    log_info("%s: %s", d->name, why);
    disconnect(d);
    if (d->state != XenbusStateClosed)
        switch_state(d, XenbusStateClosed);
    finish(d, XB_FINISHED);
}

static bool online(const struct xb_dev *d)
{
    unsigned long long val;

    return xb_read_uint(d, d->be, "online", 1, &val) == 0 && val == 1;
}

/* Frontend's state; Unknown when missing or not a number. */
static int frontend_state(const struct xb_dev *d)
{
    unsigned long long s;

    return xb_read_uint(d, d->fe, "state", 255, &s) == 0 ? (int)s : XenbusStateUnknown;
}

/* The frontend's directory, checked to be its domain's, and a watch on its state. */
static bool find_frontend(struct xb_dev *d)
{
    char *fe, *id, prefix[40], buf[64], path[160];
    unsigned long long fid;

    if (!d->fe[0]) {
        fe = xb_read(d, d->be, "frontend");
        if (!fe)
            return false;           /* the toolstack is not done yet */
        snprintf(prefix, sizeof(prefix), "/local/domain/%u/", d->domid);
        if (strncmp(fe, prefix, strlen(prefix)) != 0 ||
            strlen(fe) >= sizeof(d->fe) - FE_KEY_ROOM) {
            xb_fatal(d, EINVAL, "frontend path '%s' is not in domain %u's directory",
                     xb_printable(fe, buf, sizeof(buf)), d->domid);
            free(fe);
            finish(d, XB_FAILED);
            return false;
        }
        id = xb_read(d, d->be, "frontend-id");
        if (id && (!xb_parse_uint(id, UINT32_MAX, &fid) || fid != d->domid)) {
            xb_fatal(d, EINVAL, "frontend-id '%s' is not domain %u",
                     xb_printable(id, buf, 16), d->domid);
            free(id);
            free(fe);
            finish(d, XB_FAILED);
            return false;
        }
        free(id);
        snprintf(d->fe, sizeof(d->fe), "%s", fe);
        free(fe);
    }
    if (!d->fe_watched) {
        snprintf(path, sizeof(path), "%s/state", d->fe);
        if (!xs_watch(d->xs, path, "fe")) {
            log_err("%s: cannot watch %s: %s", d->name, path, strerror(errno));
            finish(d, XB_FAILED);
            return false;
        }
        d->fe_watched = true;
    }
    return true;
}

/* First look at the device: find the frontend, open it, pick up where it stands. */
static bool attach(struct xb_dev *d)
{
    unsigned long long be_state = XenbusStateUnknown;
    int fs, rc;

    if (!find_frontend(d))
        return false;
    rc = d->ops->open(d);
    if (rc < 0) {
        if (rc != -EAGAIN && !d->done)
            finish(d, XB_FAILED);
        return false;
    }
    d->opened = true;
    xb_read_uint(d, d->be, "state", 255, &be_state);
    fs = frontend_state(d);
    if (be_state == XenbusStateConnected &&
        (fs == XenbusStateInitialised || fs == XenbusStateConnected)) {
        /* A backend before us served this device: carry on with its rings. */
        d->state = XenbusStateInitWait;
        d->ops->connect(d, true);
    } else if (be_state == XenbusStateClosing || be_state == XenbusStateClosed) {
        d->state = (XenbusState)be_state;
    } else {
        go_initwait(d);
    }
    return true;
}

static void update(struct xb_dev *d, bool check_domain)
{
    unsigned long long be_state;
    char *node;
    int fs;

    if (d->done)
        return;
    node = xs_read(d->xs, XBT_NULL, d->be, NULL);
    if (!node) {
        log_info("%s: removed by the toolstack", d->name);
        disconnect(d);
        finish(d, XB_FINISHED);
        return;
    }
    free(node);
    if (check_domain && d->domain_alive && d->domain_alive(d->alive_arg, d->domid) == 0) {
        close_and_finish(d, "its domain is gone");
        return;
    }
    if (!d->opened && !attach(d))
        return;
    if (d->done)
        return;
    fs = frontend_state(d);
    if (fs != XenbusStateUnknown)
        d->fe_seen = true;
    /*
     * The toolstack removing a device whose frontend never connected (or
     * went away): it wrote Closing on our node and online = 0, and no
     * frontend will answer. Close at once instead of waiting for its timeout.
     */
    if (!online(d) && xb_read_uint(d, d->be, "state", 255, &be_state) == 0 &&
        be_state == XenbusStateClosing &&
        (fs == XenbusStateUnknown || fs == XenbusStateInitialising ||
         fs == XenbusStateClosed)) {
        close_and_finish(d, "closed by the toolstack");
        return;
    }
    switch (fs) {
    case XenbusStateInitialising:
        if (d->state == XenbusStateClosed) {
            log_info("%s: frontend reconnects", d->name);
            go_initwait(d);
        }
        break;
    case XenbusStateInitWait:
        break;
    case XenbusStateInitialised:
    case XenbusStateConnected:
        if (d->state == XenbusStateInitWait) {
            disconnect(d);
            d->ops->connect(d, false);
        }
        break;
    case XenbusStateClosing:
        if (d->state != XenbusStateClosing && d->state != XenbusStateClosed)
            switch_state(d, XenbusStateClosing);
        break;
    case XenbusStateClosed:
        disconnect(d);
        if (d->state != XenbusStateClosed)
            switch_state(d, XenbusStateClosed);
        if (!online(d)) {
            log_info("%s: closed and off-line: done", d->name);
            finish(d, XB_FINISHED);
        }
        break;
    case XenbusStateUnknown:
        if (d->fe_seen)
            close_and_finish(d, "the frontend is gone");
        break;
    default:
        if (d->state != XenbusStateClosing && d->state != XenbusStateClosed)
            xb_fatal(d, EINVAL, "frontend in unexpected state %d (%s)", fs, xb_state_name(fs));
        break;
    }
}

static void on_broken(struct xb_dev *d)
{
    uint64_t n;

    if (read(d->broken_fd, &n, sizeof(n)) < 0)
        return;
    d->ops->broken(d);
}

enum xb_result xb_serve(struct xb_dev *d)
{
    char path[160];
    bool check = true;

    d->broken_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (d->broken_fd < 0) {
        log_err("%s: eventfd: %s", d->name, strerror(errno));
        return XB_FAILED;
    }
    if (!xs_watch(d->xs, d->be, "be") || !xs_watch(d->xs, "@releaseDomain", "rel")) {
        log_err("%s: cannot watch xenstore: %s", d->name, strerror(errno));
        close(d->broken_fd);
        return XB_FAILED;
    }
    while (!d->done) {
        struct pollfd pfd[3] = {
            { .fd = xs_fileno(d->xs), .events = POLLIN },
            { .fd = d->broken_fd, .events = POLLIN },
            { .fd = d->stop_fd, .events = POLLIN },
        };
        char **w;

        update(d, check);
        if (d->done)
            break;
        check = false;
        if (poll(pfd, 3, -1) < 0 && errno != EINTR) {
            log_err("%s: poll: %s", d->name, strerror(errno));
            finish(d, XB_FAILED);
            break;
        }
        if (pfd[2].revents) {
            log_info("%s: detaching (it stays as it is for the next backend)", d->name);
            finish(d, XB_DETACHED);
            break;
        }
        if (pfd[1].revents)
            on_broken(d);
        while ((w = xs_check_watch(d->xs))) {
            if (!strcmp(w[XS_WATCH_TOKEN], "rel"))
                check = true;
            free(w);
        }
    }
    d->ops->disconnect(d);
    d->ops->close(d);
    xs_unwatch(d->xs, d->be, "be");
    xs_unwatch(d->xs, "@releaseDomain", "rel");
    if (d->fe_watched) {
        snprintf(path, sizeof(path), "%s/state", d->fe);
        xs_unwatch(d->xs, path, "fe");
    }
    close(d->broken_fd);
    return d->result;
}
