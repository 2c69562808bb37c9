/* block.c: disks: the vbd directories as libxl writes them; block-attach/detach/list. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <lamina/ctl-wire.h>
#include <xen/io/xenbus.h>
#include <xenstore.h>

#include "cli.h"
#include "diskspec.h"

static void backend_path(char *buf, size_t size, uint32_t domid, uint32_t devid)
{
    snprintf(buf, size, "/local/domain/0/backend/vbd/%u/%u", domid, devid);
}

static void frontend_path(char *buf, size_t size, uint32_t domid, uint32_t devid)
{
    snprintf(buf, size, "/local/domain/%u/device/vbd/%u", domid, devid);
}

char *cli_xs_read(struct xs_handle *xs, const char *dir, const char *node)
{
    char path[256];
    unsigned int len;

    if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, node) >= sizeof(path)) {
        errno = ENAMETOOLONG;
        return NULL;
    }
    return xs_read(xs, XBT_NULL, path, &len);
}

int cli_xs_read_int(struct xs_handle *xs, const char *dir, const char *node, int dflt)
{
    char *v = cli_xs_read(xs, dir, node);
    int n = v ? atoi(v) : dflt;

    free(v);
    return n;
}

bool cli_xs_write(struct xs_handle *xs, xs_transaction_t t, const char *dir, const char *node,
                  const char *value)
{
    char path[256];

    if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, node) >= sizeof(path)) {
        errno = ENAMETOOLONG;
        return false;
    }
    return xs_write(xs, t, path, value, (unsigned int)strlen(value));
}

int cli_devctx_open(struct cli_devctx *c, const char *domain)
{
    *c = (struct cli_devctx){ 0 };
    c->xch = cli_open(0, 0);
    if (!c->xch)
        return -1;
    if (cli_find_domain(c->xch, domain, &c->domid) < 0) {
        cli_devctx_close(c);
        return -1;
    }
    c->xs = xs_open(0);
    if (!c->xs) {
        cli_err("cannot connect to xenstored: %s", strerror(errno));
        cli_devctx_close(c);
        return -1;
    }
    return 0;
}

void cli_devctx_close(struct cli_devctx *c)
{
    if (c->xs)
        xs_close(c->xs);
    if (c->xch)
        xc_interface_close(c->xch);
    *c = (struct cli_devctx){ 0 };
}

int64_t cli_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Polled: the backend's first steps take milliseconds, and a watch would
 * need its own handle.
 */
int cli_wait_backend(struct xs_handle *xs, const char *be, const char *backend,
                     const char *what, const char *log)
{
    int64_t deadline = cli_now_ms() + CLI_BACKEND_WAIT_MS;

    for (;;) {
        char *hs = cli_xs_read(xs, be, "hotplug-status");
        int state = cli_xs_read_int(xs, be, "state", 0);

        if (hs && !strcmp(hs, "error")) {
            char *why = cli_xs_read(xs, be, "hotplug-error");

            cli_err("the %s refused %s: %s", backend, what, why ? why : "(no reason given)");
            free(why);
            free(hs);
            return -1;
        }
        if (hs && !strcmp(hs, "connected") && state >= XenbusStateInitWait) {
            free(hs);
            return 0;
        }
        free(hs);
        if (cli_now_ms() > deadline) {
            cli_err("the %s did not take %s within %d s: see %s/%s", backend, what,
                    CLI_BACKEND_WAIT_MS / 1000, lamina_logdir(), log);
            return -1;
        }
        usleep(5000);
    }
}

int cli_device_remove(struct xs_handle *xs, const char *be, const char *fe)
{
    int64_t deadline = cli_now_ms() + CLI_BACKEND_WAIT_MS;
    char *be_state = cli_xs_read(xs, be, "state");

    if (!be_state)
        return -1;
    free(be_state);
    cli_xs_write(xs, XBT_NULL, be, "online", "0");
    cli_xs_write(xs, XBT_NULL, be, "state", "5");
    while (cli_now_ms() < deadline) {
        int state = cli_xs_read_int(xs, be, "state", XenbusStateClosed);

        if (state == XenbusStateClosed || state == XenbusStateUnknown)
            break;
        usleep(10000);
    }
    xs_rm(xs, XBT_NULL, fe);
    xs_rm(xs, XBT_NULL, be);
    return 0;
}

int cli_vbd_add(uint32_t domid, const char *spec)
{
    struct xs_permissions be_perms[2] = { { 0, XS_PERM_NONE }, { domid, XS_PERM_READ } };
    struct xs_permissions fe_perms[2] = { { domid, XS_PERM_NONE }, { 0, XS_PERM_READ } };
    char be[128], fe[128], devid[16], dom[16], err[256];
    struct diskspec d;
    struct xs_handle *xs;
    xs_transaction_t t;
    int rc = -1;

    if (diskspec_parse(spec, &d, err, sizeof(err)) < 0) {
        cli_err("disk '%s': %s", spec, err);
        return -1;
    }
    if (lamina_daemon_start("lamina-blkback", 30000) < 0) {
        cli_err("cannot start lamina-blkback: see its messages above and %s/blkback.log",
                lamina_logdir());
        return -1;
    }
    xs = xs_open(0);
    if (!xs) {
        cli_err("cannot connect to xenstored: %s", strerror(errno));
        return -1;
    }
    backend_path(be, sizeof(be), domid, d.devid);
    frontend_path(fe, sizeof(fe), domid, d.devid);
    snprintf(devid, sizeof(devid), "%u", d.devid);
    snprintf(dom, sizeof(dom), "%u", domid);
    for (int tries = 0; tries < 16; tries++) {
        char *existing = cli_xs_read(xs, be, "frontend");
        bool ok;

        if (existing) {
            free(existing);
            cli_err("domain %u already has a disk %s (device %u)", domid, d.vdev, d.devid);
            goto out;
        }
        t = xs_transaction_start(xs);
        if (t == XBT_NULL)
            break;
        /* Both directories at once, as libxl does: the backend watches for them. */
        ok = xs_mkdir(xs, t, be) && xs_set_permissions(xs, t, be, be_perms, 2) &&
             cli_xs_write(xs, t, be, "frontend", fe) &&
             cli_xs_write(xs, t, be, "frontend-id", dom) &&
             cli_xs_write(xs, t, be, "params", d.target) &&
             cli_xs_write(xs, t, be, "mode", d.readonly ? "r" : "w") &&
             cli_xs_write(xs, t, be, "device-type", d.cdrom ? "cdrom" : "disk") &&
             cli_xs_write(xs, t, be, "dev", d.vdev) &&
             cli_xs_write(xs, t, be, "removable", d.cdrom ? "1" : "0") &&
             cli_xs_write(xs, t, be, "bootable", "1") &&
             cli_xs_write(xs, t, be, "online", "1") &&
             (d.discard < 0 ||
              cli_xs_write(xs, t, be, "discard-enable", d.discard ? "1" : "0")) &&
             cli_xs_write(xs, t, be, "state", "1") &&
             xs_mkdir(xs, t, fe) && xs_set_permissions(xs, t, fe, fe_perms, 2) &&
             cli_xs_write(xs, t, fe, "backend", be) &&
             cli_xs_write(xs, t, fe, "backend-id", "0") &&
             cli_xs_write(xs, t, fe, "virtual-device", devid) &&
             cli_xs_write(xs, t, fe, "device-type", d.cdrom ? "cdrom" : "disk") &&
             cli_xs_write(xs, t, fe, "state", "1");
        if (!ok) {
            xs_transaction_end(xs, t, true);
            break;
        }
        if (xs_transaction_end(xs, t, false)) {
            rc = cli_wait_backend(xs, be, "disk backend", d.vdev, "blkback.log");
            if (rc < 0) {
                /* A disk the backend refused leaves nothing behind. */
                xs_rm(xs, XBT_NULL, fe);
                xs_rm(xs, XBT_NULL, be);
            }
            goto out;
        }
        if (errno != EAGAIN)
            break;
    }
    cli_err("cannot write the disk %s of domain %u into xenstore: %s", d.vdev, domid,
            strerror(errno));
out:
    xs_close(xs);
    return rc;
}

static int vbd_remove(struct xs_handle *xs, uint32_t domid, uint32_t devid)
{
    char be[128], fe[128];

    backend_path(be, sizeof(be), domid, devid);
    frontend_path(fe, sizeof(fe), domid, devid);
    if (cli_device_remove(xs, be, fe) < 0) {
        cli_err("domain %u has no disk with device number %u", domid, devid);
        return -1;
    }
    return 0;
}

/* `lamina block-attach <domain> <diskspec>` */
int cmd_block_attach(int argc, char **argv)
{
    struct diskspec d;
    char err[256], canon[4400], *cwd;
    xc_interface *xch;
    uint32_t domid;
    int status = CLI_FAILED;

    if (argc == 2 && !strcmp(argv[1], "-h"))
        return cli_help("block-attach");
    if (argc != 3)
        return cli_usage("block-attach");
    if (diskspec_parse(argv[2], &d, err, sizeof(err)) < 0) {
        cli_err("disk '%s': %s", argv[2], err);
        return CLI_USAGE;
    }
    /* A relative target is relative to where the command runs. */
    if (d.target[0] && d.target[0] != '/') {
        cwd = getcwd(NULL, 0);
        if (!cwd || strlen(cwd) + strlen(d.target) + 2 > sizeof(d.target)) {
            free(cwd);
            cli_err("cannot make the target '%s' absolute", d.target);
            return CLI_FAILED;
        }
        memmove(d.target + strlen(cwd) + 1, d.target, strlen(d.target) + 1);
        memcpy(d.target, cwd, strlen(cwd));
        d.target[strlen(cwd)] = '/';
        free(cwd);
    }
    if (diskspec_format(&d, canon, sizeof(canon)) < 0)
        return CLI_FAILED;
    xch = cli_open(0, 0);
    if (!xch)
        return CLI_FAILED;
    if (cli_find_domain(xch, argv[1], &domid) == 0) {
        if (domid == 0)
            cli_err("disks attach to guests, not to domain 0");
        else if (cli_vbd_add(domid, canon) == 0)
            status = CLI_OK;
    }
    xc_interface_close(xch);
    return status;
}

/* `lamina block-detach <domain> <vdev|devid>` */
int cmd_block_detach(int argc, char **argv)
{
    struct cli_devctx c;
    uint32_t devid;
    char *end;
    int status = CLI_FAILED;

    if (argc == 2 && !strcmp(argv[1], "-h"))
        return cli_help("block-detach");
    if (argc != 3)
        return cli_usage("block-detach");
    devid = (uint32_t)strtoul(argv[2], &end, 10);
    if ((*end || end == argv[2]) && diskspec_vdev_to_devid(argv[2], &devid) < 0) {
        cli_err("'%s' is neither a device name (xvda ...) nor a device number", argv[2]);
        return CLI_USAGE;
    }
    if (cli_devctx_open(&c, argv[1]) < 0)
        return CLI_FAILED;
    if (vbd_remove(c.xs, c.domid, devid) == 0)
        status = CLI_OK;
    cli_devctx_close(&c);
    return status;
}

/* `lamina block-list <domain>`: xl's columns. */
int cmd_block_list(int argc, char **argv)
{
    struct cli_devctx c;
    struct xs_handle *xs;
    char path[96], **devs = NULL;
    unsigned int n = 0;

    if (argc == 2 && !strcmp(argv[1], "-h"))
        return cli_help("block-list");
    if (argc != 2)
        return cli_usage("block-list");
    if (cli_devctx_open(&c, argv[1]) < 0)
        return CLI_FAILED;
    xs = c.xs;
    snprintf(path, sizeof(path), "/local/domain/%u/device/vbd", c.domid);
    devs = xs_directory(xs, XBT_NULL, path, &n);
    printf("%-5s %-3s %-6s %-5s %-6s %-8s %-30s\n", "Vdev", "BE", "handle", "state", "evt-ch",
           "ring-ref", "BE-path");
    for (unsigned int i = 0; i < n; i++) {
        char fe[128], *be;

        snprintf(fe, sizeof(fe), "%s/%s", path, devs[i]);
        be = cli_xs_read(xs, fe, "backend");
        printf("%-5s %-3d %-6u %-5d %-6d %-8d %-30s\n", devs[i],
               cli_xs_read_int(xs, fe, "backend-id", -1), c.domid,
               cli_xs_read_int(xs, fe, "state", -1),
               cli_xs_read_int(xs, fe, "event-channel", -1),
               cli_xs_read_int(xs, fe, "ring-ref", -1), be ? be : "");
        free(be);
    }
    free(devs);
    cli_devctx_close(&c);
    return CLI_OK;
}
