/* network.c: network interfaces as libxl sets them up; network-attach, -detach and -list. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lamina/ctl-wire.h>
#include <xen/io/xenbus.h>
#include <xenstore.h>

#include "cli.h"
#include "vifspec.h"

#define VIF_DEVID_MAX   4095    /* far beyond any real use; keeps paths and lists short */

static void backend_path(char *buf, size_t size, uint32_t domid, uint32_t devid)
{
    snprintf(buf, size, "/local/domain/0/backend/vif/%u/%u", domid, devid);
}

static void frontend_path(char *buf, size_t size, uint32_t domid, uint32_t devid)
{
    snprintf(buf, size, "/local/domain/%u/device/vif/%u", domid, devid);
}

/* The keys lamina-netback reads (docs/netback.md), and the frontend's, in one transaction. */
static bool write_vif(struct xs_handle *xs, xs_transaction_t t, uint32_t domid, uint32_t devid,
                      const struct vifspec *v, const char *be, const char *fe)
{
    struct xs_permissions be_perms[2] = { { 0, XS_PERM_NONE }, { domid, XS_PERM_READ } };
    struct xs_permissions fe_perms[2] = { { domid, XS_PERM_NONE }, { 0, XS_PERM_READ } };
    char dom[16], handle[16], mac[24], mtu[16];

    snprintf(dom, sizeof(dom), "%u", domid);
    snprintf(handle, sizeof(handle), "%u", devid);
    snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", v->mac[0], v->mac[1],
             v->mac[2], v->mac[3], v->mac[4], v->mac[5]);
    snprintf(mtu, sizeof(mtu), "%u", v->mtu);
    return xs_mkdir(xs, t, be) && xs_set_permissions(xs, t, be, be_perms, 2) &&
           cli_xs_write(xs, t, be, "frontend", fe) &&
           cli_xs_write(xs, t, be, "frontend-id", dom) &&
           cli_xs_write(xs, t, be, "online", "1") &&
           cli_xs_write(xs, t, be, "mac", mac) &&
           cli_xs_write(xs, t, be, "handle", handle) &&
           cli_xs_write(xs, t, be, "type", "vif") &&
           (!v->bridge[0] || cli_xs_write(xs, t, be, "bridge", v->bridge)) &&
           (!v->sw[0] || cli_xs_write(xs, t, be, "switch", v->sw)) &&
           (!v->vifname[0] || cli_xs_write(xs, t, be, "vifname", v->vifname)) &&
           (!v->mtu || cli_xs_write(xs, t, be, "mtu", mtu)) &&
           cli_xs_write(xs, t, be, "state", "1") &&
           xs_mkdir(xs, t, fe) && xs_set_permissions(xs, t, fe, fe_perms, 2) &&
           cli_xs_write(xs, t, fe, "backend", be) &&
           cli_xs_write(xs, t, fe, "backend-id", "0") &&
           cli_xs_write(xs, t, fe, "handle", handle) &&
           cli_xs_write(xs, t, fe, "mac", mac) &&
           cli_xs_write(xs, t, fe, "state", "1");
}

/* The backend's error node for one vif (Linux's xenbus_dev_fatal() writes one). */
static void remove_error_node(struct xs_handle *xs, uint32_t domid, uint32_t devid)
{
    char path[96];

    snprintf(path, sizeof(path), "/local/domain/0/error/backend/vif/%u/%u", domid, devid);
    xs_rm(xs, XBT_NULL, path);
}

int cli_vif_add(uint32_t domid, uint32_t devid, const char *spec)
{
    char be[128], fe[128], err[256], what[32];
    struct vifspec v;
    struct xs_handle *xs;
    xs_transaction_t t;
    int rc = -1;

    if (vifspec_parse(spec, &v, NULL, NULL, err, sizeof(err)) < 0 || !v.has_mac) {
        cli_err("vif '%s': %s", spec, v.has_mac ? err : "no mac");
        return -1;
    }
    if (lamina_daemon_start("lamina-netback", 30000) < 0) {
        cli_err("cannot start lamina-netback: see its messages above and %s/netback.log",
                lamina_logdir());
        return -1;
    }
    xs = xs_open(0);
    if (!xs) {
        cli_err("cannot connect to xenstored: %s", strerror(errno));
        return -1;
    }
    backend_path(be, sizeof(be), domid, devid);
    frontend_path(fe, sizeof(fe), domid, devid);
    snprintf(what, sizeof(what), "vif %u", devid);
    for (int tries = 0; tries < 16; tries++) {
        char *existing = cli_xs_read(xs, be, "frontend");

        if (existing) {
            free(existing);
            cli_err("domain %u already has a network interface %u", domid, devid);
            goto out;
        }
        t = xs_transaction_start(xs);
        if (t == XBT_NULL)
            break;
        /* Both directories at once, as libxl does: the backend watches for them. */
        if (!write_vif(xs, t, domid, devid, &v, be, fe)) {
            int e = errno;

            xs_transaction_end(xs, t, true);
            errno = e;
            break;
        }
        if (xs_transaction_end(xs, t, false)) {
            rc = cli_wait_backend(xs, be, "network backend", what, "netback.log");
            if (rc < 0) {
                /* A vif the backend refused leaves nothing behind. */
                xs_rm(xs, XBT_NULL, fe);
                xs_rm(xs, XBT_NULL, be);
                remove_error_node(xs, domid, devid);
            }
            goto out;
        }
        if (errno != EAGAIN)
            break;
    }
    cli_err("cannot write network interface %u of domain %u into xenstore: %s", devid, domid,
            strerror(errno));
out:
    xs_close(xs);
    return rc;
}

/* A directory's entries that are device numbers, as numbers. */
static unsigned int list_devids(struct xs_handle *xs, const char *dir, uint32_t *ids,
                                unsigned int max)
{
    unsigned int n = 0, count = 0;
    char **names = xs_directory(xs, XBT_NULL, dir, &n);

    for (unsigned int i = 0; i < n && count < max; i++) {
        char *end;
        unsigned long id = strtoul(names[i], &end, 10);

        if (*end || end == names[i] || id > VIF_DEVID_MAX)
            continue;
        ids[count++] = (uint32_t)id;
    }
    free(names);
    return count;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

    return x < y ? -1 : x > y;
}

/* The domain's vifs (backend and frontend side), sorted, without duplicates. */
static unsigned int domain_vifs(struct xs_handle *xs, uint32_t domid, uint32_t *ids,
                                unsigned int max)
{
    char path[96];
    unsigned int n, out = 0;

    snprintf(path, sizeof(path), "/local/domain/0/backend/vif/%u", domid);
    n = list_devids(xs, path, ids, max);
    snprintf(path, sizeof(path), "/local/domain/%u/device/vif", domid);
    n += list_devids(xs, path, ids + n, max - n);
    qsort(ids, n, sizeof(*ids), cmp_u32);
    for (unsigned int i = 0; i < n; i++)
        if (!out || ids[out - 1] != ids[i])
            ids[out++] = ids[i];
    return out;
}

static void print_warning(void *arg, const char *message)
{
    cli_err("warning: vif '%s': %s", (const char *)arg, message);
}

/* `lamina network-attach <domain> <vifspec>` */
int cmd_network_attach(int argc, char **argv)
{
    struct lamina_dominfo info;
    struct xs_handle *xs = NULL;
    struct vifspec v;
    uint32_t domid, devid = 0, ids[2 * (VIF_DEVID_MAX + 1)];
    char err[256], canon[256];
    xc_interface *xch;
    unsigned int n;
    int status = CLI_FAILED;

    if (argc == 2 && !strcmp(argv[1], "-h"))
        return cli_help("network-attach");
    if (argc != 3)
        return cli_usage("network-attach");
    if (vifspec_parse(argv[2], &v, print_warning, argv[2], err, sizeof(err)) < 0) {
        cli_err("vif '%s': %s", argv[2], err);
        return CLI_USAGE;
    }
    xch = cli_open(0, 0);
    if (!xch)
        return CLI_FAILED;
    if (cli_find_domain(xch, argv[1], &domid) < 0)
        goto out;
    if (domid == 0) {
        cli_err("network interfaces attach to guests, not to domain 0");
        goto out;
    }
    if (lamina_domain_getinfo_single(xch, domid, &info) < 0) {
        cli_xc_err(xch);
        goto out;
    }
    xs = xs_open(0);
    if (!xs) {
        cli_err("cannot connect to xenstored: %s", strerror(errno));
        goto out;
    }
    /* As libxl: the next number after the highest in use. */
    n = domain_vifs(xs, domid, ids, sizeof(ids) / sizeof(ids[0]));
    if (n)
        devid = ids[n - 1] + 1;
    if (devid > VIF_DEVID_MAX) {
        cli_err("domain %u has no free network interface number left", domid);
        goto out;
    }
    if (!v.has_mac) {
        vifspec_generate_mac(info.uuid, devid, v.mac);
        v.has_mac = true;
    }
    for (unsigned int i = 0; i < n; i++) {
        char fe[128], *mac;
        uint8_t other[6];

        frontend_path(fe, sizeof(fe), domid, ids[i]);
        mac = cli_xs_read(xs, fe, "mac");
        if (mac && vifspec_parse_mac(mac, other) && !memcmp(other, v.mac, 6)) {
            cli_err("domain %u's network interface %u already has address %s", domid, ids[i],
                    mac);
            free(mac);
            goto out;
        }
        free(mac);
    }
    if (vifspec_format(&v, canon, sizeof(canon)) < 0 || cli_vif_add(domid, devid, canon) < 0)
        goto out;
    status = CLI_OK;
out:
    if (xs)
        xs_close(xs);
    xc_interface_close(xch);
    return status;
}

/* `lamina network-detach <domain> <devid|mac>` */
int cmd_network_detach(int argc, char **argv)
{
    struct cli_devctx c;
    struct xs_handle *xs;
    uint32_t domid, devid = 0, ids[2 * (VIF_DEVID_MAX + 1)];
    uint8_t mac[6];
    bool by_mac = false, found = false;
    char be[128], fe[128], *end;
    unsigned long id = 0;
    int status = CLI_FAILED;

    if (argc == 2 && !strcmp(argv[1], "-h"))
        return cli_help("network-detach");
    if (argc != 3)
        return cli_usage("network-detach");
    if (vifspec_parse_mac(argv[2], mac)) {
        by_mac = true;
    } else {
        id = strtoul(argv[2], &end, 10);
        if (*end || end == argv[2] || id > VIF_DEVID_MAX) {
            cli_err("'%s' is neither a device number nor a MAC address", argv[2]);
            return CLI_USAGE;
        }
        devid = (uint32_t)id;
    }
    if (cli_devctx_open(&c, argv[1]) < 0)
        return CLI_FAILED;
    xs = c.xs;
    domid = c.domid;
    if (by_mac) {
        unsigned int n = domain_vifs(xs, domid, ids, sizeof(ids) / sizeof(ids[0]));

        for (unsigned int i = 0; i < n && !found; i++) {
            char *s;
            uint8_t other[6];

            backend_path(be, sizeof(be), domid, ids[i]);
            s = cli_xs_read(xs, be, "mac");
            if (s && vifspec_parse_mac(s, other) && !memcmp(other, mac, 6)) {
                devid = ids[i];
                found = true;
            }
            free(s);
        }
        if (!found) {
            cli_err("domain %u has no network interface with address %s", domid, argv[2]);
            goto out;
        }
    }
    backend_path(be, sizeof(be), domid, devid);
    frontend_path(fe, sizeof(fe), domid, devid);
    if (cli_device_remove(xs, be, fe) < 0) {
        cli_err("domain %u has no network interface %u", domid, devid);
        goto out;
    }
    remove_error_node(xs, domid, devid);
    status = CLI_OK;
out:
    cli_devctx_close(&c);
    return status;
}

/* `lamina network-list <domain>`: xl's columns. */
int cmd_network_list(int argc, char **argv)
{
    struct cli_devctx c;
    struct xs_handle *xs;
    uint32_t domid, ids[VIF_DEVID_MAX + 1];
    char path[96];
    unsigned int n;

    if (argc == 2 && !strcmp(argv[1], "-h"))
        return cli_help("network-list");
    if (argc != 2)
        return cli_usage("network-list");
    if (cli_devctx_open(&c, argv[1]) < 0)
        return CLI_FAILED;
    xs = c.xs;
    domid = c.domid;
    snprintf(path, sizeof(path), "/local/domain/%u/device/vif", domid);
    n = list_devids(xs, path, ids, sizeof(ids) / sizeof(ids[0]));
    qsort(ids, n, sizeof(*ids), cmp_u32);
    printf("%-3s %-2s %-17s %-6s %-5s %-6s %-15s %s\n", "Idx", "BE", "Mac Addr.", "handle",
           "state", "evt-ch", "tx-/rx-ring-ref", "BE-path");
    for (unsigned int i = 0; i < n; i++) {
        char fe[128], refs[32], *be, *mac;
        int evtch;

        frontend_path(fe, sizeof(fe), domid, ids[i]);
        be = cli_xs_read(xs, fe, "backend");
        mac = cli_xs_read(xs, fe, "mac");
        /* Split channels: the tx one, as xl shows. */
        evtch = cli_xs_read_int(xs, fe, "event-channel", -1);
        if (evtch < 0)
            evtch = cli_xs_read_int(xs, fe, "event-channel-tx", -1);
        snprintf(refs, sizeof(refs), "%d/%d", cli_xs_read_int(xs, fe, "tx-ring-ref", -1),
                 cli_xs_read_int(xs, fe, "rx-ring-ref", -1));
        printf("%-3u %-2d %-17.17s %-6d %-5d %-6d %-15s %s\n", ids[i],
               cli_xs_read_int(xs, fe, "backend-id", -1), mac ? mac : "-",
               cli_xs_read_int(xs, fe, "handle", -1), cli_xs_read_int(xs, fe, "state", -1),
               evtch, refs, be ? be : "");
        free(be);
        free(mac);
    }
    cli_devctx_close(&c);
    return CLI_OK;
}
