/* build.c: create and build a domain from a validated config (create and the monitor). */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static int open_image(const char *what, const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        cli_err("cannot open %s '%s': %s", what, path, strerror(errno));
    return fd;
}

int cli_domain_build(xc_interface *xch, const struct domcfg *dc, const char *json,
                     const struct cli_build_opts *opts, uint32_t *domid)
{
    struct lamina_domain_create_args args;
    struct lamina_build_info bi;
    int kernel_fd, ramdisk_fd = -1, rc = -1;
    uint32_t id;

    /* Open the images first: a typo in a path should not leave a domain behind. */
    kernel_fd = open_image("kernel", dc->kernel);
    if (kernel_fd < 0)
        return -1;
    if (dc->ramdisk) {
        ramdisk_fd = open_image("ramdisk", dc->ramdisk);
        if (ramdisk_fd < 0)
            goto out;
    }

    memset(&args, 0, sizeof(args));
    args.name = dc->name;
    memcpy(args.uuid, dc->uuid, sizeof(args.uuid));
    args.memory_kb = dc->memory_mib * 1024;
    args.maxmem_kb = dc->maxmem_mib * 1024;
    args.max_vcpus = dc->maxvcpus;
    /* enum domcfg_action and enum lamina_action list xl's actions in the same order. */
    args.on_poweroff = (uint8_t)dc->on_poweroff;
    args.on_reboot = (uint8_t)dc->on_reboot;
    args.on_crash = (uint8_t)dc->on_crash;
    args.on_watchdog = (uint8_t)dc->on_watchdog;
    args.config_json = json;
    if (lamina_domain_create(xch, &args, &id) < 0) {
        cli_xc_err(xch);
        goto out;
    }

    if (lamina_domain_build_pvh(xch, id, kernel_fd, ramdisk_fd, dc->cmdline, &bi) < 0) {
        const char *msg = xc_get_last_error(xch)->message;
        const char *why = strstr(msg, ": ");

        /* The library says "building domain N: <why>"; name the file instead. */
        if (errno == ECONNRESET || errno == EPIPE || errno == ETIMEDOUT || !why)
            cli_xc_err(xch);
        else
            cli_err("cannot load kernel '%s' into domain '%s': %s", dc->kernel, dc->name,
                    why + 2);
        if (xc_domain_destroy(xch, id) < 0)
            cli_err("could not destroy the half-built domain '%s' (id %u): run 'lamina destroy %u'",
                    dc->name, id, id);
        goto out;
    }
    rc = cli_domtree_create(dc, id, &bi);
    for (size_t i = 0; rc == 0 && i < dc->ndisks; i++)
        rc = cli_vbd_add(id, dc->disks[i]);
    for (size_t i = 0; rc == 0 && i < dc->nvifs; i++)
        rc = cli_vif_add(id, (uint32_t)i, dc->vifs[i]);
    if (rc < 0) {
        rc = -1;
        if (xc_domain_destroy(xch, id) < 0)
            cli_err("could not destroy the half-built domain '%s' (id %u): run 'lamina destroy %u'",
                    dc->name, id, id);
        cli_domtree_remove(id, dc->uuid);
        goto out;
    }
    if (opts && opts->debug)
        fprintf(stderr, "domain '%s' (id %u): entry %#llx, start_info %#llx, console pfn %#llx "
                "port %u, xenstore pfn %#llx port %u\n", dc->name, id,
                (unsigned long long)bi.entry, (unsigned long long)bi.start_info,
                (unsigned long long)bi.console_pfn, bi.console_port,
                (unsigned long long)bi.store_pfn, bi.store_port);
    *domid = id;
    rc = 0;
out:
    close(kernel_fd);
    if (ramdisk_fd >= 0)
        close(ramdisk_fd);
    return rc;
}
