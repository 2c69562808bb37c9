/* vbd.c: one virtual block device's xenbus backend: xenstore keys, states, rings. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xenstore.h>
#include <xen/io/protocols.h>

#include "disk.h"
#include "engine.h"
#include <lamina/log.h>
#include "vbd.h"
#include "xenbus.h"

/*
 * A disk's part of the xenbus handshake (backend/xenbus.h runs the state
 * machine), as Linux's xen-blkback plays it and blkfront expects it: the
 * backing store is opened before InitWait, the rings (one or more queues,
 * one or more pages each) are mapped on Initialised, and the disk's
 * geometry is published with Connected.
 */

struct vbd {
    struct xb_dev xb;               /* first: the handshake hands it to the ops */
    const struct vbd_env *env;
    struct blk_disk *disk;
    unsigned int info;              /* VDISK_* */
    bool discard;                   /* offered to the frontend */
    unsigned int nr_queues;
    struct blk_queue *queues[VBD_MAX_QUEUES];
};

static struct vbd *vbd_of(struct xb_dev *d)
{
    return (struct vbd *)d;
}

static void vbd_disconnect(struct xb_dev *d)
{
    struct vbd *v = vbd_of(d);

    if (!v->nr_queues)
        return;
    /* Each queue answers what is in flight and unmaps everything before it goes. */
    for (unsigned int i = 0; i < v->nr_queues; i++)
        blk_queue_destroy(v->queues[i]);
    v->nr_queues = 0;
    log_info("%s: disconnected", d->name);
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

/* 0, -EAGAIN while the toolstack has not written params yet, or another negative errno. */
static int vbd_open(struct xb_dev *d)
{
    struct vbd *v = vbd_of(d);
    char *params = xb_read(d, d->be, "params"), *mode, *type, buf[128], msg[256];
    const char *path, *bad, *why;
    unsigned long long val;
    bool readonly;
    int rc;

    if (!params)
        return -EAGAIN;
    mode = xb_read(d, d->be, "mode");
    readonly = !mode || !strchr(mode, 'w');
    free(mode);
    path = params_path(params, &bad);
    if (!path || !*path) {
        snprintf(msg, sizeof(msg), "cannot use params '%s': only raw images and block devices "
                 "are served", xb_printable(params, buf, 64));
        xb_config_error(d, EINVAL, msg);
        free(params);
        return -EINVAL;
    }
    rc = blk_disk_open(&v->disk, path, readonly, v->env->cfg.allow_direct, &why);
    if (rc < 0) {
        snprintf(msg, sizeof(msg), "%s: %s (%s)", xb_printable(path, buf, sizeof(buf)), why,
                 strerror(-rc));
        xb_config_error(d, -rc, msg);
        free(params);
        return rc;
    }
    v->info = readonly ? VDISK_READONLY : 0;
    type = xb_read(d, d->be, "device-type");
    if (type && !strcmp(type, "cdrom"))
        v->info |= VDISK_CDROM;
    free(type);
    if (xb_read_uint(d, d->be, "removable", 1, &val) == 0 && val)
        v->info |= VDISK_REMOVABLE;
    v->discard = v->disk->discard;
    if (xb_read_uint(d, d->be, "discard-enable", 1, &val) == 0 && !val)
        v->discard = false;
    log_info("%s: %s %s, %llu sectors, %s%s", d->name,
             v->disk->blockdev ? "block device" : "image",
             xb_printable(path, buf, sizeof(buf)), (unsigned long long)v->disk->sectors,
             readonly ? "read-only" : "read-write", v->disk->direct ? ", O_DIRECT" : "");
    free(params);
    return 0;
}

/* Xenstore conversation. */

static bool vbd_write_features(struct xb_dev *d, xs_transaction_t t)
{
    struct vbd *v = vbd_of(d);
    const struct vbd_config *c = &v->env->cfg;

    if (!xb_write(d, t, d->be, "feature-max-indirect-segments", "%u",
                  c->max_indirect_segments) ||
        !xb_write(d, t, d->be, "multi-queue-max-queues", "%u", c->max_queues) ||
        !xb_write(d, t, d->be, "max-ring-page-order", "%u", c->max_ring_order) ||
        !xb_write(d, t, d->be, "feature-persistent", "%u", c->max_persistent ? 1u : 0u) ||
        !xb_write(d, t, d->be, "feature-flush-cache", "1") ||
        !xb_write(d, t, d->be, "feature-barrier", "0") ||
        !xb_write(d, t, d->be, "feature-discard", "%u", v->discard ? 1u : 0u))
        return false;
    if (v->discard &&
        (!xb_write(d, t, d->be, "discard-granularity", "%u", v->disk->discard_granularity) ||
         !xb_write(d, t, d->be, "discard-alignment", "%u", v->disk->discard_alignment) ||
         !xb_write(d, t, d->be, "discard-secure", "%u", v->disk->discard_secure ? 1u : 0u)))
        return false;
    return true;
}

static bool vbd_write_connected(struct xb_dev *d, xs_transaction_t t)
{
    struct vbd *v = vbd_of(d);

    return xb_write(d, t, d->be, "sectors", "%llu", (unsigned long long)v->disk->sectors) &&
           xb_write(d, t, d->be, "info", "%u", v->info) &&
           xb_write(d, t, d->be, "sector-size", "%u", v->disk->sector_size) &&
           xb_write(d, t, d->be, "physical-sector-size", "%u", v->disk->physical_sector_size);
}

/* From a queue's thread. */
static void on_queue_broken(void *arg, unsigned int queue, const char *why)
{
    (void)queue;
    (void)why;
    xb_signal_broken(arg);
}

/* Frontend's queue q: ring refs and event channel. 0 or -1 after xb_fatal(). */
static int read_queue(struct vbd *v, unsigned int q, unsigned int nr_queues, unsigned int nr_pages,
                      bool single_ref, struct blk_queue_params *p, unsigned long long *port)
{
    char dir[160], key[24];
    unsigned long long ref;
    int rc;

    if (nr_queues == 1)
        snprintf(dir, sizeof(dir), "%s", v->xb.fe);
    else
        snprintf(dir, sizeof(dir), "%s/queue-%u", v->xb.fe, q);
    rc = xb_read_uint(&v->xb, dir, "event-channel", UINT32_MAX, port);
    if (rc < 0) {
        xb_fatal(&v->xb, -rc, "reading %s/event-channel: %s", dir,
                 rc == -ENOENT ? "missing" : "invalid");
        return -1;
    }
    p->nr_ring_pages = nr_pages;
    for (unsigned int i = 0; i < nr_pages; i++) {
        if (single_ref)
            snprintf(key, sizeof(key), "ring-ref");
        else
            snprintf(key, sizeof(key), "ring-ref%u", i);
        rc = xb_read_uint(&v->xb, dir, key, UINT32_MAX, &ref);
        if (rc < 0) {
            xb_fatal(&v->xb, -rc, "reading %s/%s: %s", dir, key,
                     rc == -ENOENT ? "missing" : "invalid");
            return -1;
        }
        p->ring_refs[i] = (grant_ref_t)ref;
    }
    return 0;
}

/* Map the frontend's rings and start serving them; resume: they are live already. */
static void vbd_connect(struct xb_dev *d, bool resume)
{
    struct vbd *v = vbd_of(d);
    const struct vbd_config *c = &v->env->cfg;
    unsigned long long nq = 1, order = 0, val, port;
    unsigned int nr_pages = 1;
    bool persistent = false, single_ref = true;
    char *proto, buf[40], qname[48];
    int rc;

    proto = xb_read(d, d->fe, "protocol");
    if (proto && strcmp(proto, XEN_IO_PROTO_ABI_X86_64) != 0) {
        xb_fatal(d, ENOSYS, "frontend protocol '%s' is not supported (only %s)",
                 xb_printable(proto, buf, sizeof(buf)), XEN_IO_PROTO_ABI_X86_64);
        free(proto);
        return;
    }
    free(proto);
    if (xb_read_uint(d, d->fe, "feature-persistent", UINT32_MAX, &val) == 0)
        persistent = val != 0 && c->max_persistent > 0;
    rc = xb_read_uint(d, d->fe, "multi-queue-num-queues", UINT32_MAX, &nq);
    if (rc == -ENOENT)
        nq = 1;
    if (rc == -EINVAL || nq == 0 || nq > c->max_queues) {
        xb_fatal(d, EINVAL, "frontend asks for %s queues (at most %u)",
                 rc == -EINVAL ? "an invalid number of" : nq == 0 ? "0" : "too many",
                 c->max_queues);
        return;
    }
    rc = xb_read_uint(d, d->fe, "ring-page-order", UINT32_MAX, &order);
    if (rc == -EINVAL || (rc == 0 && order > c->max_ring_order)) {
        xb_fatal(d, EINVAL, "frontend asks for ring-page-order %s (at most %u)",
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
            .on_broken = on_queue_broken,
            .arg = d,
            .queue = q,
        };
        struct blk_transport *t;

        if (read_queue(v, q, (unsigned int)nq, nr_pages, single_ref, &p, &port) < 0)
            return;
        snprintf(qname, sizeof(qname), "%s q%u", d->name, q);
        t = v->env->transport.open(v->env->transport.arg, d->domid, (uint32_t)port);
        if (!t) {
            int err = errno;

            xb_fatal(d, err, "cannot bind event channel %llu of domain %u: %s%s", port, d->domid,
                     strerror(err),
                     err == ENOENT || err == ECONNREFUSED ? " (is lamina-hv running?)" : "");
            return;
        }
        rc = blk_queue_create(&v->queues[q], v->disk, t, &p);
        if (rc < 0) {
            xb_fatal(d, -rc, "cannot map ring %u of the frontend: %s", q, strerror(-rc));
            return;
        }
        v->nr_queues = q + 1;
    }
    for (unsigned int q = 0; q < v->nr_queues; q++) {
        rc = blk_queue_start(v->queues[q]);
        if (rc < 0) {
            xb_fatal(d, -rc, "cannot start queue %u: %s", q, strerror(-rc));
            return;
        }
    }
    if (!xb_connected(d, resume))
        return;
    log_info("%s: %s: %llu queue(s), %u ring page(s) each%s", d->name,
             resume ? "resumed" : "connected", nq, nr_pages,
             persistent ? ", persistent grants" : "");
}

static void vbd_broken(struct xb_dev *d)
{
    struct vbd *v = vbd_of(d);

    for (unsigned int q = 0; q < v->nr_queues; q++) {
        if (blk_queue_broken(v->queues[q])) {
            xb_fatal(d, EPROTO, "frontend broke the ring protocol on queue %u", q);
            return;
        }
    }
}

static void vbd_close(struct xb_dev *d)
{
    struct vbd *v = vbd_of(d);

    blk_disk_close(v->disk);
    v->disk = NULL;
}

static const struct xb_ops vbd_ops = {
    .open = vbd_open,
    .write_features = vbd_write_features,
    .write_connected = vbd_write_connected,
    .connect = vbd_connect,
    .disconnect = vbd_disconnect,
    .broken = vbd_broken,
    .close = vbd_close,
};

_Static_assert(VBD_FINISHED == (int)XB_FINISHED && VBD_FAILED == (int)XB_FAILED &&
               VBD_DETACHED == (int)XB_DETACHED, "vbd results are the handshake's");

enum vbd_result vbd_serve(const struct vbd_env *env, uint32_t domid, uint32_t devid)
{
    struct vbd v = { .env = env };

    xb_dev_init(&v.xb, &vbd_ops, "vbd", env->xs, domid, devid, env->stop_fd, env->domain_alive,
                env->alive_arg);
    return (enum vbd_result)xb_serve(&v.xb);
}
