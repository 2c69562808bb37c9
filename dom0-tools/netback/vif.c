/* vif.c: one virtual network interface's xenbus backend: xenstore keys, states, rings. */
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
#include <xen/io/xenbus.h>

#include <lamina/log.h>

#include "engine.h"
#include "mac.h"
#include "vif.h"

/*
 * The backend half of the xenbus handshake, as Linux's xen-netback runs it
 * and xen-netfront expects it:
 *
 *   toolstack writes backend + frontend directories, both Initialising
 *   we open the link (TAP device or switch port),
 *   publish our features and hotplug-status        -> InitWait
 *   netfront writes ring refs, event channel(s) and
 *   its features, and goes straight to Connected
 *   (another frontend may say Initialised first)
 *   we map the rings, bind the channels            -> Connected
 *   either side (or the toolstack, on our node)    -> Closing
 *   frontend Closed: we unmap everything           -> Closed
 *   and finish if the toolstack set online=0, else wait for the frontend
 *   to come back (Initialising -> InitWait again).
 *
 * Every watch event re-reads the states and acts on what they are now, so
 * missed intermediate states do no harm. The link stays open from InitWait
 * until the vif goes away: a reconnecting frontend finds its TAP device
 * (and its place on the bridge) where it was. All frontend nodes are
 * guest-written: parsed strictly, never trusted.
 */

struct vif {
    const struct vif_env *env;
    uint32_t domid, devid;
    char be[96];
    char fe[128];
    char name[40];
    XenbusState state;              /* ours, as last written */
    bool fe_seen;                   /* the frontend had a state once */
    bool fe_watched;
    bool tap;                       /* the link is a TAP device */
    struct nb_link *link;
    struct nb_queue *q;
    int broken_fd;
    bool done;
    enum vif_result result;
};

static const char *state_name(int s)
{
    static const char *const names[] = {
        "Unknown", "Initialising", "InitWait", "Initialised", "Connected", "Closing", "Closed",
        "Reconfiguring", "Reconfigured",
    };

    return s >= 0 && s <= XenbusStateReconfigured ? names[s] : "invalid";
}

/* A guest- or toolstack-written string made safe for one log line. */
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

static char *xread(struct vif *v, const char *dir, const char *key)
{
    char path[256];

    if (snprintf(path, sizeof(path), "%s/%s", dir, key) >= (int)sizeof(path)) {
        errno = ENAMETOOLONG;
        return NULL;
    }
    return xs_read(v->env->xs, XBT_NULL, path, NULL);
}

/* 0 and *out, -ENOENT when missing, -EINVAL when not a number up to max. */
static int read_uint(struct vif *v, const char *dir, const char *key, unsigned long long max,
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

/* A frontend's feature flag: present and non-zero. */
static bool fe_feature(struct vif *v, const char *key)
{
    unsigned long long val;

    return read_uint(v, v->fe, key, UINT32_MAX, &val) == 0 && val != 0;
}

static bool xwrite_path(struct vif *v, xs_transaction_t t, const char *path, const char *fmt,
                        va_list ap)
{
    char val[256];
    int n = vsnprintf(val, sizeof(val), fmt, ap);

    if (n < 0 || n >= (int)sizeof(val)) {
        errno = ENAMETOOLONG;
        return false;
    }
    return xs_write(v->env->xs, t, path, val, (unsigned int)n);
}

static bool xwrite_in(struct vif *v, xs_transaction_t t, const char *dir, const char *key,
                      const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static bool xwrite_in(struct vif *v, xs_transaction_t t, const char *dir, const char *key,
                      const char *fmt, ...)
{
    char path[256];
    va_list ap;
    bool ok;

    if (snprintf(path, sizeof(path), "%s/%s", dir, key) >= (int)sizeof(path)) {
        errno = ENAMETOOLONG;
        return false;
    }
    va_start(ap, fmt);
    ok = xwrite_path(v, t, path, fmt, ap);
    va_end(ap);
    return ok;
}

#define xwrite(v, t, key, ...) xwrite_in(v, t, (v)->be, key, __VA_ARGS__)

/*
 * Run fn in a transaction on our directory, retrying conflicts. Nothing is
 * written once the toolstack has removed the vif: we never re-create it.
 */
static bool in_transaction(struct vif *v, bool (*fn)(struct vif *v, xs_transaction_t t, int arg),
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

static bool write_state(struct vif *v, xs_transaction_t t, int state)
{
    return xwrite(v, t, "state", "%d", state);
}

static void switch_state(struct vif *v, XenbusState s)
{
    if (!in_transaction(v, write_state, s)) {
        if (errno != ENOENT)
            log_warn("%s: cannot switch to %s: %s", v->name, state_name(s), strerror(errno));
        return;
    }
    log_debug("%s: %s -> %s", v->name, state_name(v->state), state_name(s));
    v->state = s;
}

static void disconnect(struct vif *v)
{
    uint64_t n;

    if (!v->q)
        return;
    nb_queue_destroy(v->q);
    v->q = NULL;
    if (read(v->broken_fd, &n, sizeof(n)) < 0) {
        /* Not signalled: nothing to clear. */
    }
    log_info("%s: disconnected", v->name);
}

static void finish(struct vif *v, enum vif_result r)
{
    v->done = true;
    v->result = r;
}

/* Like Linux's xenbus_dev_fatal(): report under error/, stop serving, ask to close. */
static void fatal(struct vif *v, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fatal(struct vif *v, int err, const char *fmt, ...)
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

/* The link and the toolstack's keys. */

/* An interface name the kernel accepts (dev_valid_name()). */
static bool ifname_ok(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n >= IFNAMSIZ || !strcmp(s, ".") || !strcmp(s, ".."))
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] == '/' || s[i] == ':' || s[i] <= ' ' || s[i] >= 0x7f)
            return false;
    return true;
}

static bool write_hotplug_error(struct vif *v, xs_transaction_t t, int unused)
{
    return xwrite(v, t, "hotplug-status", "error");
}

/* Refuse the configuration: the toolstack sees hotplug-status = error and why. */
static void config_error(struct vif *v, int err, const char *msg)
{
    fatal(v, err, "%s", msg);
    xwrite(v, XBT_NULL, "hotplug-error", "%s", msg);
    in_transaction(v, write_hotplug_error, 0);
    finish(v, VIF_FAILED);
}

/* Fill spec from "switch", "bridge", "vifname" and "mtu". 0, or -1 after config_error(). */
static int link_spec(struct vif *v, struct vif_link_spec *spec)
{
    char *sw = xread(v, v->be, "switch"), *bridge = xread(v, v->be, "bridge");
    char *vifname = xread(v, v->be, "vifname"), msg[200], buf[48];
    const char *swname = sw;
    unsigned long long mtu = 0;
    int rc = 0;

    memset(spec, 0, sizeof(*spec));
    snprintf(spec->port, sizeof(spec->port), "vif%u.%u", v->domid, v->devid);
    if (!swname && bridge && !strncmp(bridge, "lamina:", 7))
        swname = bridge + 7;
    if (swname) {
        if (!nb_switch_name_ok(swname)) {
            snprintf(msg, sizeof(msg), "'%s' is not a valid switch name (letters, digits, '-', "
                     "'_' and '.', at most %d)", printable(swname, buf, sizeof(buf)),
                     NB_SWITCH_NAME_MAX);
            goto bad;
        }
        spec->use_switch = true;
        snprintf(spec->switch_name, sizeof(spec->switch_name), "%s", swname);
        goto out;
    }
    if (vifname) {
        if (!ifname_ok(vifname)) {
            snprintf(msg, sizeof(msg), "vifname '%s' is not a valid interface name",
                     printable(vifname, buf, sizeof(buf)));
            goto bad;
        }
        snprintf(spec->tap.ifname, sizeof(spec->tap.ifname), "%s", vifname);
    } else if (snprintf(spec->tap.ifname, sizeof(spec->tap.ifname), "vif%u.%u", v->domid,
                        v->devid) >= (int)sizeof(spec->tap.ifname)) {
        snprintf(msg, sizeof(msg), "the interface name vif%u.%u is too long: set vifname",
                 v->domid, v->devid);
        goto bad;
    }
    if (bridge && *bridge) {
        if (!ifname_ok(bridge)) {
            snprintf(msg, sizeof(msg), "bridge '%s' is not a valid interface name",
                     printable(bridge, buf, sizeof(buf)));
            goto bad;
        }
        snprintf(spec->tap.bridge, sizeof(spec->tap.bridge), "%s", bridge);
    }
    rc = read_uint(v, v->be, "mtu", 65535, &mtu);
    if (rc == -EINVAL || (rc == 0 && mtu < 68)) {
        snprintf(msg, sizeof(msg), "mtu is not a number from 68 to 65535");
        goto bad;
    }
    spec->tap.mtu = (unsigned int)mtu;
    rc = 0;
    goto out;
bad:
    config_error(v, EINVAL, msg);
    rc = -1;
out:
    free(sw);
    free(bridge);
    free(vifname);
    return rc;
}

/* The domain's UUID from /local/domain/<domid>/vm (= /vm/<uuid>), for a generated address. */
static bool domain_uuid(struct vif *v, uint8_t uuid[16])
{
    char dir[48], *vm, *s;
    unsigned int n = 0;
    bool ok;

    snprintf(dir, sizeof(dir), "/local/domain/%u", v->domid);
    vm = xread(v, dir, "vm");
    if (!vm)
        return false;
    s = strrchr(vm, '/');
    for (s = s ? s + 1 : vm; *s && n < 32; s++) {
        int d = *s >= '0' && *s <= '9' ? *s - '0' : *s >= 'a' && *s <= 'f' ? *s - 'a' + 10
                : *s >= 'A' && *s <= 'F' ? *s - 'A' + 10 : -1;

        if (*s == '-')
            continue;
        if (d < 0)
            break;
        uuid[n / 2] = (uint8_t)(n % 2 ? uuid[n / 2] | d : d << 4);
        n++;
    }
    ok = n == 32 && !*s;
    free(vm);
    return ok;
}

/*
 * The guest's address: the toolstack's "mac", checked. When it wrote none,
 * one is made from the domain's UUID (or id) and devid. A frontend
 * directory without one gets it too, since netfront cannot come up
 * without. 0 or -1.
 */
static int check_mac(struct vif *v)
{
    char *s = xread(v, v->be, "mac"), str[NB_MAC_STRLEN], buf[32], msg[120];
    uint8_t mac[NB_MAC_LEN], uuid[16];
    char *fe_mac;

    if (s) {
        bool ok = nb_mac_parse(s, mac);

        if (!ok || nb_mac_is_multicast(mac) || nb_mac_is_zero(mac)) {
            snprintf(msg, sizeof(msg), "mac '%s' is not a unicast Ethernet address",
                     printable(s, buf, sizeof(buf)));
            free(s);
            config_error(v, EINVAL, msg);
            return -1;
        }
        free(s);
        nb_mac_format(mac, str);
    } else {
        if (!domain_uuid(v, uuid)) {
            memset(uuid, 0, sizeof(uuid));
            memcpy(uuid, &v->domid, sizeof(v->domid));
        }
        netback_mac_generate(uuid, v->devid, mac);
        nb_mac_format(mac, str);
        log_info("%s: no mac from the toolstack: using %s", v->name, str);
        xwrite(v, XBT_NULL, "mac", "%s", str);
    }
    /* netfront reads its own directory's copy. */
    fe_mac = xread(v, v->fe, "mac");
    if (!fe_mac)
        xwrite_in(v, XBT_NULL, v->fe, "mac", "%s", str);
    free(fe_mac);
    return 0;
}

/* Open the link named by the toolstack's keys. 0, or -1 after config_error(). */
static int open_link(struct vif *v)
{
    struct vif_link_spec spec;
    unsigned long long handle;
    char err[256];
    int rc;

    if (link_spec(v, &spec) < 0 || check_mac(v) < 0)
        return -1;
    if (read_uint(v, v->be, "handle", UINT32_MAX, &handle) == -ENOENT)
        xwrite(v, XBT_NULL, "handle", "%u", v->devid);
    err[0] = '\0';
    rc = v->env->link_open(v->env->link_arg, &spec, &v->link, err, sizeof(err));
    if (rc < 0) {
        config_error(v, -rc, err[0] ? err : strerror(-rc));
        return -1;
    }
    v->tap = !spec.use_switch;
    if (v->tap)
        xwrite(v, XBT_NULL, "vifname", "%s", spec.tap.ifname);
    log_info("%s: %s", v->name, v->link->desc);
    return 0;
}

/* Xenstore conversation. */

static bool write_features(struct vif *v, xs_transaction_t t)
{
    static const struct {
        const char *key;
        unsigned int val;
    } features[] = {
        { "feature-sg", 1 },
        { "feature-gso-tcpv4", 1 },
        { "feature-gso-tcpv6", 1 },
        { "feature-ipv6-csum-offload", 1 },
        { "feature-rx-copy", 1 },
        { "feature-rx-flip", 0 },
        { "feature-multicast-control", 0 },
        { "feature-dynamic-multicast-control", 0 },
        { "feature-split-event-channels", 1 },
        { "feature-ctrl-ring", 0 },
        { "multi-queue-max-queues", 1 },
    };

    for (size_t i = 0; i < sizeof(features) / sizeof(features[0]); i++)
        if (!xwrite(v, t, features[i].key, "%u", features[i].val))
            return false;
    return true;
}

static bool publish_initwait(struct vif *v, xs_transaction_t t, int unused)
{
    return write_features(v, t) && xwrite(v, t, "hotplug-status", "connected") &&
           write_state(v, t, XenbusStateInitWait);
}

static void go_initwait(struct vif *v)
{
    if (!in_transaction(v, publish_initwait, 0)) {
        if (errno != ENOENT)
            log_warn("%s: cannot publish features: %s", v->name, strerror(errno));
        return;
    }
    log_debug("%s: %s -> InitWait", v->name, state_name(v->state));
    v->state = XenbusStateInitWait;
}

static void on_broken(void *arg, const char *why)
{
    struct vif *v = arg;
    uint64_t one = 1;

    /* From the queue's thread: the main loop does the xenstore work. */
    if (write(v->broken_fd, &one, sizeof(one)) < 0) {
        /* The counter is full: already signalled. */
    }
}

/* A required ring ref or event channel of the frontend; -1 after fatal(). */
static int fe_number(struct vif *v, const char *key, unsigned long long *out)
{
    int rc = read_uint(v, v->fe, key, UINT32_MAX, out);

    if (rc < 0)
        fatal(v, -rc, "reading %s/%s: %s", v->fe, key, rc == -ENOENT ? "missing" : "invalid");
    return rc < 0 ? -1 : 0;
}

/* Map the frontend's rings and start serving them; resume: they are live already. */
static void connect_rings(struct vif *v, bool resume)
{
    unsigned long long nq = 1, tx_ref, rx_ref, tx_port, rx_port, val;
    struct nb_queue_params p = { .name = v->name, .link = v->link, .on_broken = on_broken,
                                 .arg = v };
    struct nb_transport *t;
    int rc;

    if (read_uint(v, v->fe, "request-rx-copy", UINT32_MAX, &val) < 0 || val != 1) {
        fatal(v, EOPNOTSUPP, "frontend does not ask for rx-copy (request-rx-copy = 1): "
              "page flipping is not supported");
        return;
    }
    if (!fe_feature(v, "feature-rx-notify")) {
        fatal(v, EINVAL, "frontend lacks feature-rx-notify, which is mandatory");
        return;
    }
    rc = read_uint(v, v->fe, "multi-queue-num-queues", UINT32_MAX, &nq);
    if (rc == -EINVAL || (rc == 0 && nq != 1)) {
        fatal(v, EINVAL, "frontend asks for %s queues (multi-queue-max-queues is 1)",
              rc == -EINVAL ? "an invalid number of" : nq == 0 ? "0" : "several");
        return;
    }
    if (fe_number(v, "tx-ring-ref", &tx_ref) < 0 || fe_number(v, "rx-ring-ref", &rx_ref) < 0)
        return;
    rc = read_uint(v, v->fe, "event-channel", UINT32_MAX, &tx_port);
    if (rc == -ENOENT) {
        if (fe_number(v, "event-channel-tx", &tx_port) < 0 ||
            fe_number(v, "event-channel-rx", &rx_port) < 0)
            return;
    } else if (rc < 0) {
        fatal(v, EINVAL, "reading %s/event-channel: invalid", v->fe);
        return;
    } else {
        rx_port = tx_port;
    }
    p.tx_ring_ref = (grant_ref_t)tx_ref;
    p.rx_ring_ref = (grant_ref_t)rx_ref;
    p.fe.sg = fe_feature(v, "feature-sg");
    p.fe.gso_tcpv4 = fe_feature(v, "feature-gso-tcpv4");
    p.fe.gso_tcpv6 = fe_feature(v, "feature-gso-tcpv6");
    p.fe.csum = !fe_feature(v, "feature-no-csum-offload");
    p.fe.ipv6_csum = fe_feature(v, "feature-ipv6-csum-offload");
    t = v->env->transport.open(v->env->transport.arg, v->domid, (uint32_t)tx_port,
                               (uint32_t)rx_port);
    if (!t) {
        int err = errno;

        fatal(v, err, "cannot bind event channel(s) %llu/%llu of domain %u: %s%s", tx_port,
              rx_port, v->domid, strerror(err),
              err == ENOENT || err == ECONNREFUSED ? " (is lamina-hv running?)" : "");
        return;
    }
    rc = nb_queue_create(&v->q, t, &p);
    if (rc < 0) {
        fatal(v, -rc, "cannot map the frontend's rings: %s", strerror(-rc));
        return;
    }
    if (v->link->set_offload) {
        bool csum = p.fe.csum || p.fe.ipv6_csum;

        rc = v->link->set_offload(v->link, csum, p.fe.sg && p.fe.gso_tcpv4 && p.fe.csum,
                                  p.fe.sg && p.fe.gso_tcpv6 && p.fe.ipv6_csum);
        if (rc < 0)
            log_warn("%s: %s: cannot set offloads: %s", v->name, v->link->desc, strerror(-rc));
    }
    rc = nb_queue_start(v->q);
    if (rc < 0) {
        fatal(v, -rc, "cannot start the queue: %s", strerror(-rc));
        return;
    }
    if (!resume) {
        switch_state(v, XenbusStateConnected);
        if (v->state != XenbusStateConnected)
            return;
    }
    v->state = XenbusStateConnected;
    log_info("%s: %s: %s event channel%s, features%s%s%s%s%s", v->name,
             resume ? "resumed" : "connected", tx_port == rx_port ? "one" : "split",
             tx_port == rx_port ? "" : "s", p.fe.sg ? " sg" : "",
             p.fe.gso_tcpv4 ? " gso-tcpv4" : "", p.fe.gso_tcpv6 ? " gso-tcpv6" : "",
             p.fe.csum ? " csum" : "", p.fe.ipv6_csum ? " ipv6-csum" : "");
}

static bool online(struct vif *v)
{
    unsigned long long val;

    return read_uint(v, v->be, "online", 1, &val) == 0 && val == 1;
}

/* Frontend's state; Unknown when missing or not a number. */
static int frontend_state(struct vif *v)
{
    unsigned long long s;

    return read_uint(v, v->fe, "state", 255, &s) == 0 ? (int)s : XenbusStateUnknown;
}

/* First look at the vif: find the frontend, open the link, pick up where it stands. */
static bool attach(struct vif *v)
{
    char *fe, *id, prefix[40], buf[64];
    unsigned long long be_state = XenbusStateUnknown, fid;
    int fs;

    if (!v->fe[0]) {
        fe = xread(v, v->be, "frontend");
        if (!fe)
            return false;           /* the toolstack is not done yet */
        snprintf(prefix, sizeof(prefix), "/local/domain/%u/", v->domid);
        if (strncmp(fe, prefix, strlen(prefix)) != 0 || strlen(fe) >= sizeof(v->fe) - 32) {
            fatal(v, EINVAL, "frontend path '%s' is not in domain %u's directory",
                  printable(fe, buf, sizeof(buf)), v->domid);
            free(fe);
            finish(v, VIF_FAILED);
            return false;
        }
        id = xread(v, v->be, "frontend-id");
        if (id && (!parse_uint(id, UINT32_MAX, &fid) || fid != v->domid)) {
            fatal(v, EINVAL, "frontend-id '%s' is not domain %u", printable(id, buf, 16),
                  v->domid);
            free(id);
            free(fe);
            finish(v, VIF_FAILED);
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
            finish(v, VIF_FAILED);
            return false;
        }
        v->fe_watched = true;
    }
    read_uint(v, v->be, "state", 255, &be_state);
    if (open_link(v) < 0)
        return false;
    fs = frontend_state(v);
    if (be_state == XenbusStateConnected &&
        (fs == XenbusStateInitialised || fs == XenbusStateConnected)) {
        /* A backend before us served this vif: carry on with its rings. */
        v->state = XenbusStateInitWait;
        connect_rings(v, true);
    } else if (be_state == XenbusStateClosing || be_state == XenbusStateClosed) {
        v->state = (XenbusState)be_state;
    } else {
        go_initwait(v);
    }
    return true;
}

static void close_and_finish(struct vif *v, const char *why)
{
    log_info("%s: %s", v->name, why);
    disconnect(v);
    if (v->state != XenbusStateClosed)
        switch_state(v, XenbusStateClosed);
    finish(v, VIF_FINISHED);
}

static void update(struct vif *v, bool check_domain)
{
    unsigned long long be_state;
    char *node;
    int fs;

    if (v->done)
        return;
    node = xs_read(v->env->xs, XBT_NULL, v->be, NULL);
    if (!node) {
        log_info("%s: removed by the toolstack", v->name);
        disconnect(v);
        finish(v, VIF_FINISHED);
        return;
    }
    free(node);
    if (check_domain && v->env->domain_alive &&
        v->env->domain_alive(v->env->alive_arg, v->domid) == 0) {
        close_and_finish(v, "its domain is gone");
        return;
    }
    if (!v->link && !attach(v))
        return;
    if (v->done)
        return;
    fs = frontend_state(v);
    if (fs != XenbusStateUnknown)
        v->fe_seen = true;
    /*
     * The toolstack removing a vif whose frontend never connected (or went
     * away): it wrote Closing on our node and online = 0, and no frontend
     * will answer. Close at once instead of waiting for its timeout.
     */
    if (!online(v) && read_uint(v, v->be, "state", 255, &be_state) == 0 &&
        be_state == XenbusStateClosing &&
        (fs == XenbusStateUnknown || fs == XenbusStateInitialising ||
         fs == XenbusStateClosed)) {
        close_and_finish(v, "closed by the toolstack");
        return;
    }
    switch (fs) {
    case XenbusStateInitialising:
        if (v->state == XenbusStateClosed) {
            log_info("%s: frontend reconnects", v->name);
            go_initwait(v);
        }
        break;
    case XenbusStateInitWait:
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
            finish(v, VIF_FINISHED);
        }
        break;
    case XenbusStateUnknown:
        if (v->fe_seen)
            close_and_finish(v, "the frontend is gone");
        break;
    default:
        if (v->state != XenbusStateClosing && v->state != XenbusStateClosed)
            fatal(v, EINVAL, "frontend in unexpected state %d (%s)", fs, state_name(fs));
        break;
    }
}

static void on_queue_broken(struct vif *v)
{
    uint64_t n;

    if (read(v->broken_fd, &n, sizeof(n)) < 0)
        return;
    if (v->q && nb_queue_broken(v->q))
        fatal(v, EPROTO, "frontend broke the ring protocol");
}

enum vif_result vif_serve(const struct vif_env *env, uint32_t domid, uint32_t devid)
{
    struct vif v = { .env = env, .domid = domid, .devid = devid, .state = XenbusStateUnknown };
    char fe_state_path[160];
    bool check = true;

    snprintf(v.be, sizeof(v.be), "%s/%u/%u", VIF_BACKEND_ROOT, domid, devid);
    snprintf(v.name, sizeof(v.name), "vif %u/%u", domid, devid);
    v.broken_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (v.broken_fd < 0) {
        log_err("%s: eventfd: %s", v.name, strerror(errno));
        return VIF_FAILED;
    }
    if (!xs_watch(env->xs, v.be, "be") || !xs_watch(env->xs, "@releaseDomain", "rel")) {
        log_err("%s: cannot watch xenstore: %s", v.name, strerror(errno));
        close(v.broken_fd);
        return VIF_FAILED;
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
            finish(&v, VIF_FAILED);
            break;
        }
        if (pfd[2].revents) {
            log_info("%s: detaching (the vif stays as it is for the next backend)", v.name);
            finish(&v, VIF_DETACHED);
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
    nb_link_close(v.link);
    xs_unwatch(env->xs, v.be, "be");
    xs_unwatch(env->xs, "@releaseDomain", "rel");
    if (v.fe_watched) {
        snprintf(fe_state_path, sizeof(fe_state_path), "%s/state", v.fe);
        xs_unwatch(env->xs, fe_state_path, "fe");
    }
    close(v.broken_fd);
    return v.result;
}
