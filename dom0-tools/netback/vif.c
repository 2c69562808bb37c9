/* vif.c: one virtual network interface's xenbus backend: xenstore keys, states, rings. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xenstore.h>

#include <lamina/log.h>

#include "engine.h"
#include "mac.h"
#include "vif.h"
#include "xenbus.h"

/*
 * A vif's part of the xenbus handshake (backend/xenbus.h runs the state
 * machine), as Linux's xen-netback plays it and xen-netfront expects it:
 * the link (TAP device or switch port) is opened before InitWait and
 * stays open until the vif goes away, so that a reconnecting frontend
 * finds its TAP device (and its place on the bridge) where it was; the
 * rings are mapped when the frontend says Initialised or, as netfront
 * does, goes straight to Connected.
 */

struct vif {
    struct xb_dev xb;               /* first: the handshake hands it to the ops */
    const struct vif_env *env;
    bool tap;                       /* the link is a TAP device */
    struct nb_link *link;
    struct nb_queue *q;
};

static struct vif *vif_of(struct xb_dev *d)
{
    return (struct vif *)d;
}

static void vif_disconnect(struct xb_dev *d)
{
    struct vif *v = vif_of(d);

    if (!v->q)
        return;
    nb_queue_destroy(v->q);
    v->q = NULL;
    log_info("%s: disconnected", d->name);
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

/* Fill spec from "switch", "bridge", "vifname" and "mtu". 0, or -1 after xb_config_error(). */
static int link_spec(struct vif *v, struct vif_link_spec *spec)
{
    char *sw = xb_read(&v->xb, v->xb.be, "switch"), *bridge = xb_read(&v->xb, v->xb.be, "bridge");
    char *vifname = xb_read(&v->xb, v->xb.be, "vifname"), msg[200], buf[48];
    const char *swname = sw;
    unsigned long long mtu = 0;
    int rc = 0;

    memset(spec, 0, sizeof(*spec));
    snprintf(spec->port, sizeof(spec->port), "vif%u.%u", v->xb.domid, v->xb.devid);
    if (!swname && bridge && !strncmp(bridge, "lamina:", 7))
        swname = bridge + 7;
    if (swname) {
        if (!nb_switch_name_ok(swname)) {
            snprintf(msg, sizeof(msg), "'%s' is not a valid switch name (letters, digits, '-', "
                     "'_' and '.', at most %d)", xb_printable(swname, buf, sizeof(buf)),
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
                     xb_printable(vifname, buf, sizeof(buf)));
            goto bad;
        }
        snprintf(spec->tap.ifname, sizeof(spec->tap.ifname), "%s", vifname);
    } else if (snprintf(spec->tap.ifname, sizeof(spec->tap.ifname), "vif%u.%u", v->xb.domid,
                        v->xb.devid) >= (int)sizeof(spec->tap.ifname)) {
        snprintf(msg, sizeof(msg), "the interface name vif%u.%u is too long: set vifname",
                 v->xb.domid, v->xb.devid);
        goto bad;
    }
    if (bridge && *bridge) {
        if (!ifname_ok(bridge)) {
            snprintf(msg, sizeof(msg), "bridge '%s' is not a valid interface name",
                     xb_printable(bridge, buf, sizeof(buf)));
            goto bad;
        }
        snprintf(spec->tap.bridge, sizeof(spec->tap.bridge), "%s", bridge);
    }
    rc = xb_read_uint(&v->xb, v->xb.be, "mtu", 65535, &mtu);
    if (rc == -EINVAL || (rc == 0 && mtu < 68)) {
        snprintf(msg, sizeof(msg), "mtu is not a number from 68 to 65535");
        goto bad;
    }
    spec->tap.mtu = (unsigned int)mtu;
    rc = 0;
    goto out;
bad:
    xb_config_error(&v->xb, EINVAL, msg);
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

    snprintf(dir, sizeof(dir), "/local/domain/%u", v->xb.domid);
    vm = xb_read(&v->xb, dir, "vm");
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
    char *s = xb_read(&v->xb, v->xb.be, "mac"), str[NB_MAC_STRLEN], buf[32], msg[120];
    uint8_t mac[NB_MAC_LEN], uuid[16];
    char *fe_mac;

    if (s) {
        bool ok = nb_mac_parse(s, mac);

        if (!ok || nb_mac_is_multicast(mac) || nb_mac_is_zero(mac)) {
            snprintf(msg, sizeof(msg), "mac '%s' is not a unicast Ethernet address",
                     xb_printable(s, buf, sizeof(buf)));
            free(s);
            xb_config_error(&v->xb, EINVAL, msg);
            return -1;
        }
        free(s);
        nb_mac_format(mac, str);
    } else {
        if (!domain_uuid(v, uuid)) {
            memset(uuid, 0, sizeof(uuid));
            memcpy(uuid, &v->xb.domid, sizeof(v->xb.domid));
        }
        netback_mac_generate(uuid, v->xb.devid, mac);
        nb_mac_format(mac, str);
        log_info("%s: no mac from the toolstack: using %s", v->xb.name, str);
        xb_write(&v->xb, XBT_NULL, v->xb.be, "mac", "%s", str);
    }
    /* netfront reads its own directory's copy. */
    fe_mac = xb_read(&v->xb, v->xb.fe, "mac");
    if (!fe_mac)
        xb_write(&v->xb, XBT_NULL, v->xb.fe, "mac", "%s", str);
    free(fe_mac);
    return 0;
}

/* Open the link named by the toolstack's keys. 0, or -1 after xb_config_error(). */
static int vif_open(struct xb_dev *d)
{
    struct vif *v = vif_of(d);
    struct vif_link_spec spec;
    unsigned long long handle;
    char err[256];
    int rc;

    if (link_spec(v, &spec) < 0 || check_mac(v) < 0)
        return -1;
    if (xb_read_uint(d, d->be, "handle", UINT32_MAX, &handle) == -ENOENT)
        xb_write(d, XBT_NULL, d->be, "handle", "%u", d->devid);
    err[0] = '\0';
    rc = v->env->link_open(v->env->link_arg, &spec, &v->link, err, sizeof(err));
    if (rc < 0) {
        xb_config_error(d, -rc, err[0] ? err : strerror(-rc));
        return -1;
    }
    v->tap = !spec.use_switch;
    if (v->tap)
        xb_write(d, XBT_NULL, d->be, "vifname", "%s", spec.tap.ifname);
    log_info("%s: %s", d->name, v->link->desc);
    return 0;
}

/* Xenstore conversation. */

static bool vif_write_features(struct xb_dev *d, xs_transaction_t t)
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
        if (!xb_write(d, t, d->be, features[i].key, "%u", features[i].val))
            return false;
    return true;
}

/* From the queue's thread. */
static void on_queue_broken(void *arg, const char *why)
{
    (void)why;
    xb_signal_broken(arg);
}

/* A required ring ref or event channel of the frontend; -1 after xb_fatal(). */
static int fe_number(struct vif *v, const char *key, unsigned long long *out)
{
    int rc = xb_read_uint(&v->xb, v->xb.fe, key, UINT32_MAX, out);

    if (rc < 0)
        xb_fatal(&v->xb, -rc, "reading %s/%s: %s", v->xb.fe, key,
                 rc == -ENOENT ? "missing" : "invalid");
    return rc < 0 ? -1 : 0;
}

/* Map the frontend's rings and start serving them; resume: they are live already. */
static void vif_connect(struct xb_dev *d, bool resume)
{
    struct vif *v = vif_of(d);
    unsigned long long nq = 1, tx_ref, rx_ref, tx_port, rx_port, val;
    struct nb_queue_params p = { .name = d->name, .link = v->link, .on_broken = on_queue_broken,
                                 .arg = d };
    struct nb_transport *t;
    int rc;

    if (xb_read_uint(d, d->fe, "request-rx-copy", UINT32_MAX, &val) < 0 || val != 1) {
        xb_fatal(d, EOPNOTSUPP, "frontend does not ask for rx-copy (request-rx-copy = 1): "
                 "page flipping is not supported");
        return;
    }
    if (!xb_fe_feature(d, "feature-rx-notify")) {
        xb_fatal(d, EINVAL, "frontend lacks feature-rx-notify, which is mandatory");
        return;
    }
    rc = xb_read_uint(d, d->fe, "multi-queue-num-queues", UINT32_MAX, &nq);
    if (rc == -EINVAL || (rc == 0 && nq != 1)) {
        xb_fatal(d, EINVAL, "frontend asks for %s queues (multi-queue-max-queues is 1)",
                 rc == -EINVAL ? "an invalid number of" : nq == 0 ? "0" : "several");
        return;
    }
    if (fe_number(v, "tx-ring-ref", &tx_ref) < 0 || fe_number(v, "rx-ring-ref", &rx_ref) < 0)
        return;
    rc = xb_read_uint(d, d->fe, "event-channel", UINT32_MAX, &tx_port);
    if (rc == -ENOENT) {
        if (fe_number(v, "event-channel-tx", &tx_port) < 0 ||
            fe_number(v, "event-channel-rx", &rx_port) < 0)
            return;
    } else if (rc < 0) {
        xb_fatal(d, EINVAL, "reading %s/event-channel: invalid", d->fe);
        return;
    } else {
        rx_port = tx_port;
    }
    p.tx_ring_ref = (grant_ref_t)tx_ref;
    p.rx_ring_ref = (grant_ref_t)rx_ref;
    p.fe.sg = xb_fe_feature(d, "feature-sg");
    p.fe.gso_tcpv4 = xb_fe_feature(d, "feature-gso-tcpv4");
    p.fe.gso_tcpv6 = xb_fe_feature(d, "feature-gso-tcpv6");
    p.fe.csum = !xb_fe_feature(d, "feature-no-csum-offload");
    p.fe.ipv6_csum = xb_fe_feature(d, "feature-ipv6-csum-offload");
    t = v->env->transport.open(v->env->transport.arg, d->domid, (uint32_t)tx_port,
                               (uint32_t)rx_port);
    if (!t) {
        int err = errno;

        xb_fatal(d, err, "cannot bind event channel(s) %llu/%llu of domain %u: %s%s", tx_port,
                 rx_port, d->domid, strerror(err),
                 err == ENOENT || err == ECONNREFUSED ? " (is lamina-hv running?)" : "");
        return;
    }
    rc = nb_queue_create(&v->q, t, &p);
    if (rc < 0) {
        xb_fatal(d, -rc, "cannot map the frontend's rings: %s", strerror(-rc));
        return;
    }
    if (v->link->set_offload) {
        bool csum = p.fe.csum || p.fe.ipv6_csum;

        rc = v->link->set_offload(v->link, csum, p.fe.sg && p.fe.gso_tcpv4 && p.fe.csum,
                                  p.fe.sg && p.fe.gso_tcpv6 && p.fe.ipv6_csum);
        if (rc < 0)
            log_warn("%s: %s: cannot set offloads: %s", d->name, v->link->desc, strerror(-rc));
    }
    rc = nb_queue_start(v->q);
    if (rc < 0) {
        xb_fatal(d, -rc, "cannot start the queue: %s", strerror(-rc));
        return;
    }
    if (!xb_connected(d, resume))
        return;
    log_info("%s: %s: %s event channel%s, features%s%s%s%s%s", d->name,
             resume ? "resumed" : "connected", tx_port == rx_port ? "one" : "split",
             tx_port == rx_port ? "" : "s", p.fe.sg ? " sg" : "",
             p.fe.gso_tcpv4 ? " gso-tcpv4" : "", p.fe.gso_tcpv6 ? " gso-tcpv6" : "",
             p.fe.csum ? " csum" : "", p.fe.ipv6_csum ? " ipv6-csum" : "");
}

static void vif_broken(struct xb_dev *d)
{
    struct vif *v = vif_of(d);

    if (v->q && nb_queue_broken(v->q))
        xb_fatal(d, EPROTO, "frontend broke the ring protocol");
}

static void vif_close(struct xb_dev *d)
{
    struct vif *v = vif_of(d);

    nb_link_close(v->link);
    v->link = NULL;
}

static const struct xb_ops vif_ops = {
    .open = vif_open,
    .write_features = vif_write_features,
    .connect = vif_connect,
    .disconnect = vif_disconnect,
    .broken = vif_broken,
    .close = vif_close,
};

_Static_assert(VIF_FINISHED == (int)XB_FINISHED && VIF_FAILED == (int)XB_FAILED &&
               VIF_DETACHED == (int)XB_DETACHED, "vif results are the handshake's");

enum vif_result vif_serve(const struct vif_env *env, uint32_t domid, uint32_t devid)
{
    struct vif v = { .env = env };

    xb_dev_init(&v.xb, &vif_ops, "vif", env->xs, domid, devid, env->stop_fd, env->domain_alive,
                env->alive_arg);
    return (enum vif_result)xb_serve(&v.xb);
}
