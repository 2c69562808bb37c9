/* create.c: `lamina create`: parse a config, build the domain, start it. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <lamina/ctl-wire.h>

#include "cli.h"

/* How long `create -c` waits for the monitor to bring a rebooting domain back. */
#define RESTART_WAIT_MS     30000
#define RESTART_GIVEUP_MS   5000    /* ... or to destroy the old one */

struct create_opts {
    int console;
    int paused;
    int quiet;
    int dry_run;
    int debug;
};

static void report_diag(void *opaque, const struct xlcfg_error *diag)
{
    const struct create_opts *o = opaque;

    if (!o->quiet || diag->severity == XLCFG_ERROR)
        fprintf(stderr, "%s\n", diag->text);
}

/* Parse the file and the key=value overrides into dc and its JSON. */
static int load_config(const char *file, char **overrides, int nr_overrides,
                       struct create_opts *o, struct domcfg *dc, char **json)
{
    struct xlcfg_error err;
    struct xlcfg *cfg;
    int rc;

    if (xlcfg_parse_file(file, &cfg, &err) < 0) {
        fprintf(stderr, "%s\n", err.text);
        return -1;
    }
    for (int i = 0; i < nr_overrides; i++) {
        if (xlcfg_parse_append(cfg, overrides[i], "<command line>", &err) < 0) {
            fprintf(stderr, "%s\n", err.text);
            xlcfg_free(cfg);
            return -1;
        }
    }
    rc = domcfg_from_xlcfg(cfg, o->debug ? DOMCFG_VERBOSE : 0, report_diag, o, dc, &err);
    xlcfg_free(cfg);
    if (rc < 0) {
        fprintf(stderr, "%s\n", err.text);
        return -1;
    }
    rc = domcfg_to_json(dc, json);
    if (rc < 0) {
        cli_err("cannot store the config of domain '%s': %s", dc->name, strerror(-rc));
        domcfg_free(dc);
        return -1;
    }
    return 0;
}

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int is_restart(uint32_t action)
{
    return action == LAMINA_ACTION_RESTART || action == LAMINA_ACTION_RENAME_RESTART ||
           action == LAMINA_ACTION_COREDUMP_RESTART;
}

/*
 * After a reboot the monitor recreates the domain under the same name:
 * find it and attach to its console, replaying what it printed before we
 * got there.  Returns 0 with *domid updated, or -1 (message printed).
 */
static int wait_restart(xc_interface *xch, const char *name, uint32_t *domid)
{
    int64_t start = now_ms();
    struct lamina_event ev;
    uint32_t old = *domid, id = 0;

    for (;;) {
        struct lamina_dominfo info;
        int64_t waited = now_ms() - start;
        int found = 0, rc;

        if (waited >= RESTART_WAIT_MS) {
            cli_err("domain '%s' is restarting, but no new domain appeared within %d s "
                    "(see %s/lamina-%s.log)", name, RESTART_WAIT_MS / 1000, lamina_logdir(),
                    name);
            return -1;
        }
        rc = lamina_next_event(xch, &ev, 1000);
        if (rc < 0) {
            if (errno == EPROTO)
                continue;
            cli_xc_err(xch);
            return -1;
        }
        if (rc == 0) {
            /*
             * The monitor destroys the old domain first thing: if it is
             * still there after a while, the monitor has given up on it.
             */
            if (waited >= RESTART_GIVEUP_MS &&
                lamina_domain_getinfo_single(xch, old, &info) == 0) {
                cli_err("domain '%s' (id %u) was not restarted: see %s/lamina-%s.log", name,
                        old, lamina_logdir(), name);
                return -1;
            }
            continue;
        }
        if (ev.type == LAMINA_EVENT_DOMAIN && ev.u.domain.event == LAMINA_DOMEV_CREATED) {
            found = lamina_domain_getinfo_single(xch, ev.domid, &info) == 0 &&
                    strcmp(info.name, name) == 0;
            id = ev.domid;
        } else if (ev.type == LAMINA_EVENT_LOST) {
            found = lamina_domain_lookup(xch, name, &id) == 0 && id != old;
        }
        if (found) {
            if (lamina_console_attach(xch, id, LAMINA_CONSOLE_F_REPLAY) < 0) {
                if (errno == ESRCH)
                    continue;   /* already gone again: wait for the next one */
                cli_xc_err(xch);
                return -1;
            }
            *domid = id;
            return 0;
        }
    }
}

/* Show the console until the domain is gone for good; the command's exit status. */
static int follow_console(xc_interface *xch, const char *name, uint32_t domid)
{
    struct cli_console_result res;

    for (;;) {
        int failed = 0;

        cli_console_run(xch, domid, &res);
        switch (res.end) {
        case CLI_CONSOLE_DETACHED:
            lamina_console_detach(xch, domid);
            return CLI_OK;
        case CLI_CONSOLE_DESTROYED:
            return CLI_OK;
        case CLI_CONSOLE_FAILED:
            return CLI_FAILED;
        case CLI_CONSOLE_SHUTDOWN:
            break;
        }
        if (res.reason == SHUTDOWN_crash) {
            cli_err("domain '%s' (id %u) crashed", name, domid);
            failed = 1;
        } else if (res.reason == SHUTDOWN_watchdog) {
            cli_err("domain '%s' (id %u) was stopped by its watchdog", name, domid);
            failed = 1;
        }
        if (!is_restart(res.action))
            return failed ? CLI_FAILED : CLI_OK;
        if (wait_restart(xch, name, &domid) < 0)
            return CLI_FAILED;
    }
}

int cmd_create(int argc, char **argv)
{
    struct create_opts o = { 0 };
    struct cli_build_opts bo = { 0 };
    struct domcfg dc;
    const char *file;
    char *json = NULL;
    xc_interface *xch = NULL;
    uint32_t domid, existing;
    int opt, status = CLI_FAILED, built = 0;

    while ((opt = getopt(argc, argv, "cpqndh")) != -1) {
        switch (opt) {
        case 'c':
            o.console = 1;
            break;
        case 'p':
            o.paused = 1;
            break;
        case 'q':
            o.quiet = 1;
            break;
        case 'n':
            o.dry_run = 1;
            break;
        case 'd':
            o.debug = 1;
            break;
        case 'h':
            return cli_help("create");
        default:
            return cli_usage("create");
        }
    }
    if (optind >= argc)
        return cli_usage("create");
    file = argv[optind];
    for (int i = optind + 1; i < argc; i++) {
        const char *eq = strchr(argv[i], '=');

        if (!eq || eq == argv[i]) {
            cli_err("'%s' is not a key=value setting", argv[i]);
            return cli_usage("create");
        }
    }

    memset(&dc, 0, sizeof(dc));
    if (!o.quiet)
        fprintf(stderr, "Parsing config from %s\n", file);
    if (load_config(file, argv + optind + 1, argc - optind - 1, &o, &dc, &json) < 0)
        return CLI_FAILED;
    if (o.dry_run) {
        fputs(json, stdout);
        if (!*json || json[strlen(json) - 1] != '\n')
            putchar('\n');
        status = fflush(stdout) == 0 ? CLI_OK : CLI_FAILED;
        goto out;
    }
    if (dc.vcpus < dc.maxvcpus && !o.quiet)
        cli_err("warning: vcpus=%u is below maxvcpus=%u: the guest may bring up all %u",
                dc.vcpus, dc.maxvcpus, dc.maxvcpus);

    xch = cli_open(1, o.quiet);
    if (!xch || cli_xenstored_ensure(o.quiet) < 0)
        goto out;
    if (lamina_domain_lookup(xch, dc.name, &existing) == 0) {
        cli_err("a domain named '%s' already exists (id %u)", dc.name, existing);
        goto out;
    }
    if (errno != ESRCH) {
        cli_xc_err(xch);
        goto out;
    }

    bo.debug = o.debug;
    if (cli_domain_build(xch, &dc, json, &bo, &domid) < 0)
        goto out;
    built = 1;
    /* Attach before the guest runs, so that not one byte of its output is missed. */
    if (o.console && (lamina_subscribe(xch, LAMINA_DOMID_ANY, LAMINA_EVMASK_DOMAIN) < 0 ||
                      lamina_console_attach(xch, domid, 0) < 0)) {
        cli_xc_err(xch);
        goto out;
    }
    if (cli_monitor_spawn(xch, dc.name, domid) < 0)
        goto out;
    if (!o.paused && xc_domain_unpause(xch, domid) < 0) {
        cli_xc_err(xch);
        goto out;
    }
    built = 0;                  /* the domain is complete: it stays */
    status = o.console ? follow_console(xch, dc.name, domid) : CLI_OK;

out:
    if (built) {
        if (xc_domain_destroy(xch, domid) < 0)
            cli_err("could not destroy the half-built domain '%s' (id %u): run 'lamina destroy %u'",
                    dc.name, domid, domid);
        cli_domtree_remove(domid, dc.uuid);
    }
    xc_interface_close(xch);
    free(json);
    domcfg_free(&dc);
    return status;
}
