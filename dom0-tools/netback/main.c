/* main.c: lamina-netback, the network backend: options, daemon start-up, workers, switches. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lamina/ctl-wire.h>
#include <lamina/daemon.h>
#include <lamina/log.h>
#include <xenstore.h>

#include "backend.h"
#include "switchd.h"
#include "tap.h"
#include "transport.h"
#include "vif.h"

#define DEFAULT_AGING_S 300
#define DEFAULT_IDLE_S 60

static const struct backend_kind netback_kind = {
    .program = "lamina-netback",
    .type = "vif",
    .rundir = "netback",
    .logname = "netback.log",
    .finished = VIF_FINISHED,
    .failed = VIF_FAILED,
};

struct options {
    bool foreground, verbose;
    const char *log_path;
    const char *xenstore;
    const char *device;
    const char *switch_name;
    unsigned int aging_s, idle_s;
    /* Options as given, for the workers and the switches they start. */
    char *worker_args[24];
    unsigned int nworker_args;
    char *switch_args[16];
    unsigned int nswitch_args;
};

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: lamina-netback [OPTIONS]\n"
            "Serve guests' virtual network interfaces (Xen netif): every vif the toolstack\n"
            "adds under %s, as a TAP device (on a Linux bridge)\n"
            "or as a port of a built-in switch.\n"
            "\n"
            "  -F, --foreground           stay in the foreground (log to stderr unless --log)\n"
            "  -l, --log FILE             log to FILE (default: $LAMINA_LOGDIR/netback.log)\n"
            "  -v, --verbose              log debug messages\n"
            "  -s, --xenstore SOCKET      lamina-xenstored's socket (default: $XENSTORED_PATH,\n"
            "                             else the standard path)\n"
            "  -d, --device DOMID/DEVID   serve this one vif in the foreground and exit when\n"
            "                             it is gone (what the daemon runs for each vif)\n"
            "      --switch NAME          run the built-in switch NAME (what a vif's worker\n"
            "                             starts when its switch is not running yet)\n"
            "      --aging SECONDS        switch: forget addresses not seen for this long\n"
            "                             (default %d)\n"
            "      --idle SECONDS         switch: exit after this long without ports\n"
            "                             (default %d; 0: never)\n"
            "  -h, --help                 show this help\n"
            "  -V, --version              show the version\n"
            "\n"
            "Without -F, -d and --switch, lamina-netback detaches and its first process exits\n"
            "0 once the daemon watches xenstore (also when a daemon is already running), or 1\n"
            "with a message if start-up failed. --switch detaches the same way.\n"
            "Environment: LAMINA_RUNDIR (pid, lock and switch sockets; default %s),\n"
            "             LAMINA_LOGDIR (log; default %s), XENSTORED_PATH.\n",
            VIF_BACKEND_ROOT, DEFAULT_AGING_S, DEFAULT_IDLE_S, LAMINA_RUNDIR, LAMINA_LOGDIR);
}

static void add_arg(char **args, unsigned int *n, unsigned int max, const char *a)
{
    if (*n < max - 1)
        args[(*n)++] = (char *)a;
}

static void add_worker_arg(struct options *o, const char *a)
{
    add_arg(o->worker_args, &o->nworker_args, 24, a);
}

/* Options a switch needs as well as the workers. */
static void add_common_arg(struct options *o, const char *a)
{
    add_worker_arg(o, a);
    add_arg(o->switch_args, &o->nswitch_args, 16, a);
}

static int parse_options(int argc, char **argv, struct options *o)
{
    enum { OPT_SWITCH = 256, OPT_AGING, OPT_IDLE };
    static const struct option opts[] = {
        { "foreground", no_argument, NULL, 'F' },
        { "log", required_argument, NULL, 'l' },
        { "verbose", no_argument, NULL, 'v' },
        { "xenstore", required_argument, NULL, 's' },
        { "device", required_argument, NULL, 'd' },
        { "switch", required_argument, NULL, OPT_SWITCH },
        { "aging", required_argument, NULL, OPT_AGING },
        { "idle", required_argument, NULL, OPT_IDLE },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    int c;

    o->aging_s = DEFAULT_AGING_S;
    o->idle_s = DEFAULT_IDLE_S;
    while ((c = getopt_long(argc, argv, "Fl:vs:d:hV", opts, NULL)) != -1) {
        bool ok = true;

        switch (c) {
        case 'F':
            o->foreground = true;
            break;
        case 'l':
            o->log_path = optarg;
            break;
        case 'v':
            o->verbose = true;
            add_common_arg(o, "-v");
            break;
        case 's':
            o->xenstore = optarg;
            break;
        case 'd':
            o->device = optarg;
            break;
        case OPT_SWITCH:
            o->switch_name = optarg;
            break;
        case OPT_AGING:
            ok = backend_parse_uint(optarg, 1000000, &o->aging_s) && o->aging_s > 0;
            add_common_arg(o, "--aging");
            add_common_arg(o, optarg);
            break;
        case OPT_IDLE:
            ok = backend_parse_uint(optarg, 1000000, &o->idle_s);
            add_common_arg(o, "--idle");
            add_common_arg(o, optarg);
            break;
        case 'h':
            usage(stdout);
            exit(0);
        case 'V':
            printf("lamina-netback %s\n", PACKAGE_VERSION);
            exit(0);
        default:
            usage(stderr);
            return -EINVAL;
        }
        if (!ok) {
            fprintf(stderr, "lamina-netback: bad value '%s' for --%s (see --help)\n", optarg,
                    c == OPT_AGING ? "aging" : "idle");
            return -EINVAL;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "lamina-netback: unexpected argument '%s' (see --help)\n", argv[optind]);
        return -EINVAL;
    }
    if (o->switch_name && !nb_switch_name_ok(o->switch_name)) {
        fprintf(stderr, "lamina-netback: '%s' is not a valid switch name (letters, digits, "
                "'-', '_' and '.', at most %d)\n", o->switch_name, NB_SWITCH_NAME_MAX);
        return -EINVAL;
    }
    return 0;
}

static bool self_path(char *buf, size_t size)
{
    ssize_t n = readlink("/proc/self/exe", buf, size - 1);

    if (n <= 0) {
        fprintf(stderr, "lamina-netback: cannot find my own executable: %s\n", strerror(errno));
        return false;
    }
    buf[n] = '\0';
    return true;
}

/* Log to the given file, else (detached) to $LAMINA_LOGDIR/netback.log; -1 on failure. */
static int open_log(const struct options *o, char *buf, size_t size)
{
    const char *path = o->log_path;
    int rc;

    if (!path && !o->foreground) {
        if ((rc = mkdir_p(lamina_logdir(), 0750)) < 0) {
            fprintf(stderr, "lamina-netback: cannot create %s: %s\n", lamina_logdir(),
                    strerror(-rc));
            return -1;
        }
        snprintf(buf, size, "%s/netback.log", lamina_logdir());
        path = buf;
    }
    if (path && (rc = log_open(path)) < 0) {
        fprintf(stderr, "lamina-netback: cannot open log %s: %s\n", path, strerror(-rc));
        return -1;
    }
    return 0;
}

struct link_ctx {
    const char *self;
    char *const *switch_args;
};

static int open_link(void *arg, const struct vif_link_spec *spec, struct nb_link **out,
                     char *err, size_t errlen)
{
    const struct link_ctx *ctx = arg;

    if (spec->use_switch)
        return nb_switch_link_open(out, spec->switch_name, spec->port, ctx->self,
                                   ctx->switch_args, err, errlen);
    return nb_tap_link_open(out, &spec->tap, err, errlen);
}

static int run_worker(struct options *o)
{
    struct backend_worker w;
    char self[PATH_MAX];
    struct vif_env env;
    struct link_ctx ctx;
    enum vif_result r;
    int rc;

    if (!self_path(self, sizeof(self)))
        return 1;
    if (o->log_path) {
        add_arg(o->switch_args, &o->nswitch_args, 16, "-l");
        add_arg(o->switch_args, &o->nswitch_args, 16, o->log_path);
    }
    rc = backend_worker_begin(&netback_kind, o->device, o->log_path, &w);
    if (rc || w.lock < 0)
        return rc;
    ctx = (struct link_ctx){ .self = self, .switch_args = o->switch_args };
    env = (struct vif_env){
        .xs = w.xs,
        .transport = nb_transport_xen,
        .domain_alive = backend_domain_alive,
        .alive_arg = &w,
        .link_open = open_link,
        .link_arg = &ctx,
        .stop_fd = w.stop_fd,
    };
    r = vif_serve(&env, w.domid, w.devid);
    backend_worker_end(&w);
    return (int)r;
}

static int run_switch(struct options *o)
{
    struct nb_switchd_config cfg = {
        .aging_ms = (uint64_t)o->aging_s * 1000, .idle_ms = o->idle_s * 1000,
    };
    char log_path[PATH_MAX], pid_path[PATH_MAX];
    struct nb_switchd *sd;
    int sig, rc;

    if (!o->foreground && (rc = daemon_detach()) < 0) {
        fprintf(stderr, "lamina-netback: cannot detach: %s\n", strerror(-rc));
        return 1;
    }
    if (open_log(o, log_path, sizeof(log_path)) < 0)
        return 1;
    sig = backend_signal_fd(false);
    if (sig < 0) {
        fprintf(stderr, "lamina-netback: cannot set up signals: %s\n", strerror(-sig));
        return 1;
    }
    rc = nb_switchd_open(&sd, o->switch_name, &cfg);
    if (rc == -EBUSY) {
        /* Starting on demand is idempotent: the running switch serves. */
        if (o->foreground)
            fprintf(stderr, "lamina-netback: switch %s is already running\n", o->switch_name);
        daemon_ready(0);
        return o->foreground ? 1 : 0;
    }
    if (rc < 0) {
        fprintf(stderr, "lamina-netback: cannot start switch %s in %s/netback: %s\n",
                o->switch_name, lamina_rundir(), strerror(-rc));
        return 1;
    }
    snprintf(pid_path, sizeof(pid_path), "%s/netback/switch-%s.pid", lamina_rundir(),
             o->switch_name);
    rc = write_pid_file(pid_path);
    if (rc < 0)
        log_warn("switch %s: cannot write %s: %s", o->switch_name, pid_path, strerror(-rc));
    daemon_ready(0);
    rc = nb_switchd_run(sd, sig);
    if (rc < 0)
        log_err("switch %s: %s", o->switch_name, strerror(-rc));
    unlink(pid_path);
    nb_switchd_close(sd);
    log_info("switch %s stopped", o->switch_name);
    return rc < 0 ? 1 : 0;
}

static int run_daemon(struct options *o)
{
    return backend_daemon_run(&netback_kind, o->foreground, o->log_path, o->worker_args);
}

int main(int argc, char **argv)
{
    struct options o;

    memset(&o, 0, sizeof(o));
    if (parse_options(argc, argv, &o) < 0)
        return 1;
    if (o.xenstore)
        setenv("XENSTORED_PATH", o.xenstore, 1);
    if (o.verbose)
        log_set_level(LOG_DEBUG);
    if (o.switch_name)
        return run_switch(&o);
    if (o.device)
        return run_worker(&o);
    return run_daemon(&o);
}
