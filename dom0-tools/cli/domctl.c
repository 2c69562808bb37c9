/* domctl.c: `lamina pause`, `unpause`, `destroy` and `shutdown`. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <getopt.h>

#include "cli.h"

/* Parse `<command> <domain>` (with -h), connect and resolve the domain. */
static xc_interface *open_domain(const char *command, int argc, char **argv, uint32_t *domid,
                                 int *status)
{
    xc_interface *xch;
    int opt;

    while ((opt = getopt(argc, argv, "h")) != -1) {
        *status = opt == 'h' ? cli_help(command) : cli_usage(command);
        return NULL;
    }
    if (optind != argc - 1) {
        *status = cli_usage(command);
        return NULL;
    }
    *status = CLI_FAILED;
    xch = cli_open(0, 0);
    if (!xch)
        return NULL;
    if (cli_find_domain(xch, argv[optind], domid) < 0) {
        xc_interface_close(xch);
        return NULL;
    }
    return xch;
}

static int simple_op(const char *command, int (*op)(xc_interface *, uint32_t), int argc,
                     char **argv)
{
    uint32_t domid;
    int status;
    xc_interface *xch = open_domain(command, argc, argv, &domid, &status);

    if (!xch)
        return status;
    status = CLI_OK;
    if (op(xch, domid) < 0) {
        cli_xc_err(xch);
        status = CLI_FAILED;
    }
    xc_interface_close(xch);
    return status;
}

int cmd_pause(int argc, char **argv)
{
    return simple_op("pause", xc_domain_pause, argc, argv);
}

int cmd_unpause(int argc, char **argv)
{
    return simple_op("unpause", xc_domain_unpause, argc, argv);
}

int cmd_destroy(int argc, char **argv)
{
    return simple_op("destroy", xc_domain_destroy, argc, argv);
}

/* Whether the domain has shut down or gone: 1, 0, or -1 on error. */
static int gone_or_down(xc_interface *xch, uint32_t domid)
{
    struct lamina_dominfo info;

    if (lamina_domain_getinfo_single(xch, domid, &info) < 0)
        return errno == ESRCH ? 1 : -1;
    return !!(info.flags & LAMINA_DOMINF_SHUTDOWN);
}

/* Wait for the domain to shut down or be destroyed; the caller has subscribed. */
static int wait_shutdown(xc_interface *xch, uint32_t domid)
{
    struct lamina_event ev;
    int rc = gone_or_down(xch, domid);

    while (rc == 0) {
        if (lamina_next_event(xch, &ev, -1) < 0)
            return -1;
        if (ev.type == LAMINA_EVENT_LOST)
            rc = gone_or_down(xch, domid);
        else if (ev.type == LAMINA_EVENT_DOMAIN && ev.domid == domid &&
                 (ev.u.domain.event == LAMINA_DOMEV_SHUTDOWN ||
                  ev.u.domain.event == LAMINA_DOMEV_DESTROYED))
            rc = 1;
    }
    return rc < 0 ? -1 : 0;
}

int cmd_shutdown(int argc, char **argv)
{
    int force = 0, wait = 0, opt, status;
    uint32_t domid;
    xc_interface *xch;

    while ((opt = getopt(argc, argv, "wFh")) != -1) {
        switch (opt) {
        case 'w':
            wait = 1;
            break;
        case 'F':
            force = 1;
            break;
        case 'h':
            return cli_help("shutdown");
        default:
            return cli_usage("shutdown");
        }
    }
    if (optind != argc - 1)
        return cli_usage("shutdown");
    if (!force) {
        /* A guest is asked to shut down through xenstore, which Lamina does not have yet. */
        cli_err("asking a guest to shut down needs xenstore, which Lamina does not have yet; "
                "use 'lamina shutdown -F %s' to force it off", argv[optind]);
        return CLI_FAILED;
    }
    xch = cli_open(0, 0);
    if (!xch)
        return CLI_FAILED;
    status = CLI_FAILED;
    if (cli_find_domain(xch, argv[optind], &domid) < 0)
        goto out;
    if (wait && lamina_subscribe(xch, domid, LAMINA_EVMASK_DOMAIN) < 0) {
        cli_xc_err(xch);
        goto out;
    }
    if (xc_domain_shutdown(xch, domid, SHUTDOWN_poweroff) < 0) {
        cli_xc_err(xch);
        goto out;
    }
    if (wait && wait_shutdown(xch, domid) < 0) {
        cli_xc_err(xch);
        goto out;
    }
    status = CLI_OK;
out:
    xc_interface_close(xch);
    return status;
}
