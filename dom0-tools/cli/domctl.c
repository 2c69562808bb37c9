/* domctl.c: `lamina pause`, `unpause`, `destroy`, `shutdown`, `domid` and `domname`. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xenstore.h>

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

/* `lamina domid <name>` and `lamina domname <id>`, as xl has them. */
int cmd_domid(int argc, char **argv)
{
    uint32_t domid;
    int status;
    xc_interface *xch = open_domain("domid", argc, argv, &domid, &status);

    if (!xch)
        return status;
    printf("%u\n", domid);
    xc_interface_close(xch);
    return CLI_OK;
}

int cmd_domname(int argc, char **argv)
{
    struct lamina_dominfo info;
    uint32_t domid;
    int status;
    xc_interface *xch = open_domain("domname", argc, argv, &domid, &status);

    if (!xch)
        return status;
    status = CLI_OK;
    if (lamina_domain_getinfo_single(xch, domid, &info) < 0) {
        cli_xc_err(xch);
        status = CLI_FAILED;
    } else {
        printf("%s\n", info.name);
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
    struct lamina_dominfo info;
    uint32_t domid;
    int status;
    xc_interface *xch = open_domain("destroy", argc, argv, &domid, &status);

    if (!xch)
        return status;
    status = CLI_OK;
    if (lamina_domain_getinfo_single(xch, domid, &info) < 0 || xc_domain_destroy(xch, domid) < 0) {
        cli_xc_err(xch);
        status = CLI_FAILED;
    } else {
        cli_domtree_remove(domid, info.uuid);
    }
    xc_interface_close(xch);
    return status;
}

/*
 * Ask the guest through xenstore, as xl does: write the request to its
 * control/shutdown node; a guest with PV drivers says it listens by writing
 * control/feature-<action> = "1".  With -F, a guest that does not listen is
 * shut down by the hypervisor instead (as if it had asked), and so is one
 * that has not obeyed within the -w wait.
 */
struct pvcontrol {
    const char *command;
    const char *request;        /* "poweroff" or "reboot" */
    uint32_t reason;            /* SHUTDOWN_* for the forced form */
};

static int pv_listens(struct xs_handle *xs, uint32_t domid, const char *request)
{
    char path[96];
    unsigned int len;
    char *v;
    int yes;

    snprintf(path, sizeof(path), "/local/domain/%u/control/feature-%s", domid, request);
    v = xs_read(xs, XBT_NULL, path, &len);
    yes = v && len == 1 && v[0] == '1';
    free(v);
    return yes;
}

static int pv_request(struct xs_handle *xs, uint32_t domid, const char *request)
{
    char path[96];

    snprintf(path, sizeof(path), "/local/domain/%u/control/shutdown", domid);
    return xs_write(xs, XBT_NULL, path, request, (unsigned int)strlen(request)) ? 0 : -1;
}

/* Wait until the domain is gone (or shut down and kept); -1 on error or timeout. */
static int wait_gone(xc_interface *xch, uint32_t domid, int timeout_s)
{
    struct lamina_dominfo info;
    struct lamina_event ev;
    int left_ms = timeout_s > 0 ? timeout_s * 1000 : -1;

    for (;;) {
        int rc;

        if (lamina_domain_getinfo_single(xch, domid, &info) < 0)
            return errno == ESRCH ? 0 : -1;
        if ((info.flags & LAMINA_DOMINF_SHUTDOWN) &&
            cli_shutdown_action(&info, lamina_dominfo_shutdown_reason(info.flags)) ==
                LAMINA_ACTION_PRESERVE)
            return 0;
        /* Events only wake us: the state is read again each time. */
        rc = lamina_next_event(xch, &ev, left_ms < 0 ? 1000 : (left_ms < 1000 ? left_ms : 1000));
        if (rc < 0)
            return -1;
        if (left_ms >= 0 && rc == 0 && (left_ms -= 1000) <= 0) {
            errno = ETIMEDOUT;
            return -1;
        }
    }
}

static int pv_command(const struct pvcontrol *pc, int argc, char **argv)
{
    int force = 0, wait = 0, timeout_s = 0, opt, status = CLI_FAILED;
    struct xs_handle *xs = NULL;
    xc_interface *xch;
    uint32_t domid;

    while ((opt = getopt(argc, argv, "wFt:h")) != -1) {
        switch (opt) {
        case 'w':
            wait = 1;
            break;
        case 'F':
            force = 1;
            break;
        case 't':
            timeout_s = atoi(optarg);
            if (timeout_s <= 0)
                return cli_usage(pc->command);
            break;
        case 'h':
            return cli_help(pc->command);
        default:
            return cli_usage(pc->command);
        }
    }
    if (optind != argc - 1)
        return cli_usage(pc->command);
    xch = cli_open(0, 0);
    if (!xch)
        return CLI_FAILED;
    if (cli_find_domain(xch, argv[optind], &domid) < 0)
        goto out;
    if (domid == 0) {
        cli_err("domain 0 is the host: shut it down with the host's own tools");
        goto out;
    }
    if (wait && lamina_subscribe(xch, domid, LAMINA_EVMASK_DOMAIN) < 0) {
        cli_xc_err(xch);
        goto out;
    }
    xs = xs_open(0);
    if (xs && pv_listens(xs, domid, pc->request)) {
        if (pv_request(xs, domid, pc->request) < 0) {
            cli_err("cannot write the %s request for domain %u: %s", pc->request, domid,
                    strerror(errno));
            goto out;
        }
        if (!wait) {
            status = CLI_OK;
            goto out;
        }
        /* A -F wait has a deadline, after which the hypervisor acts. */
        if (wait_gone(xch, domid, force ? (timeout_s ? timeout_s : 60) : timeout_s) == 0) {
            status = CLI_OK;
            goto out;
        }
        if (!force || errno != ETIMEDOUT) {
            if (errno == ETIMEDOUT)
                cli_err("domain %u did not %s within %d s (add -F to force it)", domid,
                        pc->request, timeout_s);
            else
                cli_xc_err(xch);
            goto out;
        }
        fprintf(stderr, "Domain %u did not %s in time: forcing it\n", domid, pc->request);
    } else if (!force) {
        cli_err("domain %u has no PV control interface (its guest has not set "
                "control/feature-%s): use -F to have the hypervisor %s it", domid, pc->request,
                pc->request);
        goto out;
    }
    if (xc_domain_shutdown(xch, domid, pc->reason) < 0) {
        cli_xc_err(xch);
        goto out;
    }
    if (wait && wait_gone(xch, domid, 0) < 0) {
        cli_xc_err(xch);
        goto out;
    }
    status = CLI_OK;
out:
    if (xs)
        xs_close(xs);
    xc_interface_close(xch);
    return status;
}

int cmd_shutdown(int argc, char **argv)
{
    static const struct pvcontrol pc = { "shutdown", "poweroff", SHUTDOWN_poweroff };

    return pv_command(&pc, argc, argv);
}

int cmd_reboot(int argc, char **argv)
{
    static const struct pvcontrol pc = { "reboot", "reboot", SHUTDOWN_reboot };

    return pv_command(&pc, argc, argv);
}
