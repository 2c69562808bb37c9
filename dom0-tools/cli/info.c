/* info.c: `lamina info`: what the hypervisor reports about itself. */
/* SPDX-License-Identifier: MIT */
#include <getopt.h>
#include <stdlib.h>
#include <sys/un.h>

#include <lamina/ctl-wire.h>

#include "cli.h"

/* Keys padded as `xl info` pads them. */
static void field(const char *key, const char *value)
{
    printf("%-23s: %s\n", key, value);
}

int cmd_info(int argc, char **argv)
{
    struct lamina_hv_info hv;
    struct lamina_dominfo *doms = NULL;
    xen_extraversion_t extra;
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    char buf[128];
    xc_interface *xch;
    int opt, version, n, status = CLI_FAILED;

    while ((opt = getopt(argc, argv, "h")) != -1)
        return opt == 'h' ? cli_help("info") : cli_usage("info");
    if (optind != argc)
        return cli_usage("info");
    xch = cli_open(0, 0);
    if (!xch)
        return CLI_FAILED;
    if (lamina_hv_info(xch, &hv) < 0 || (version = xc_version(xch, XENVER_version, NULL)) < 0 ||
        xc_version(xch, XENVER_extraversion, extra) < 0) {
        cli_xc_err(xch);
        goto out;
    }
    n = cli_list_domains(xch, &doms);
    if (n < 0)
        goto out;
    if (lamina_ctl_socket_path(path, sizeof(path)) < 0)
        path[0] = '\0';

    field("hv_version", hv.hv_version);
    snprintf(buf, sizeof(buf), "%u", hv.protocol_version);
    field("control_protocol", buf);
    snprintf(buf, sizeof(buf), "%d.%d%s", version >> 16, version & 0xffff, extra);
    field("xen_version", buf);
    field("features", hv.features & LAMINA_CTL_FEAT_KVM_XEN ?
          "kvm_xen (the host KVM intercepts Xen hypercalls)" : "none");
    snprintf(buf, sizeof(buf), "%d", n);
    field("nr_domains", buf);
    field("control_socket", path);
    status = CLI_OK;
out:
    free(doms);
    xc_interface_close(xch);
    return status;
}
