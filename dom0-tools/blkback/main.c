/* main.c: lamina-blkback, the block backend: options, daemon start-up, per-device workers. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lamina/log.h>
#include <xenstore.h>

#include "backend.h"
#include "engine.h"
#include "transport.h"
#include "vbd.h"

static const struct backend_kind blkback_kind = {
    .program = "lamina-blkback",
    .type = "vbd",
    .rundir = "blkback",
    .logname = "blkback.log",
    .finished = VBD_FINISHED,
    .failed = VBD_FAILED,
};

struct options {
    bool foreground, verbose, direct;
    const char *log_path;
    const char *xenstore;
    const char *device;
    unsigned int max_queues, max_ring_order, max_indirect, max_persistent;
    /* Options as given, for the workers. */
    char *worker_args[24];
    unsigned int nworker_args;
};

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: lamina-blkback [OPTIONS]\n"
            "Serve guests' virtual block devices (Xen blkif) from raw images and block\n"
            "devices: every device the toolstack adds under %s.\n"
            "\n"
            "  -F, --foreground           stay in the foreground (log to stderr unless --log)\n"
            "  -l, --log FILE             log to FILE (default: $LAMINA_LOGDIR/blkback.log)\n"
            "  -v, --verbose              log debug messages\n"
            "  -s, --xenstore SOCKET      lamina-xenstored's socket (default: $XENSTORED_PATH,\n"
            "                             else the standard path)\n"
            "  -d, --device DOMID/DEVID   serve this one device in the foreground and exit when\n"
            "                             it is gone (what the daemon runs for each device)\n"
            "  -q, --max-queues N         queues (rings) per device (default: CPUs, at most %d)\n"
            "      --max-ring-order N     max-ring-page-order offered (0-%d, default %d)\n"
            "      --max-indirect N       segments per indirect request (0-%u, default 256)\n"
            "      --max-persistent N     grants kept mapped per queue (0 disables\n"
            "                             feature-persistent; default 1056)\n"
            "      --no-direct            never use O_DIRECT on backing stores\n"
            "  -h, --help                 show this help\n"
            "  -V, --version              show the version\n"
            "\n"
            "Without -F and -d, lamina-blkback detaches and its first process exits 0 once\n"
            "the daemon watches xenstore (also when a daemon is already running), or 1\n"
            "with a message if start-up failed.\n"
            "Environment: LAMINA_RUNDIR (pid and lock files; default %s),\n"
            "             LAMINA_LOGDIR (log; default %s), XENSTORED_PATH.\n",
            VBD_BACKEND_ROOT, VBD_MAX_QUEUES, BLK_MAX_RING_ORDER, BLK_MAX_RING_ORDER,
            (unsigned int)BLK_MAX_INDIRECT_SEGMENTS, LAMINA_RUNDIR, LAMINA_LOGDIR);
}

static void add_worker_arg(struct options *o, const char *a)
{
    if (o->nworker_args < sizeof(o->worker_args) / sizeof(o->worker_args[0]) - 1)
        o->worker_args[o->nworker_args++] = (char *)a;
}

static int parse_options(int argc, char **argv, struct options *o)
{
    enum { OPT_RING = 256, OPT_INDIRECT, OPT_PERSISTENT, OPT_NO_DIRECT };
    static const struct option opts[] = {
        { "foreground", no_argument, NULL, 'F' },
        { "log", required_argument, NULL, 'l' },
        { "verbose", no_argument, NULL, 'v' },
        { "xenstore", required_argument, NULL, 's' },
        { "device", required_argument, NULL, 'd' },
        { "max-queues", required_argument, NULL, 'q' },
        { "max-ring-order", required_argument, NULL, OPT_RING },
        { "max-indirect", required_argument, NULL, OPT_INDIRECT },
        { "max-persistent", required_argument, NULL, OPT_PERSISTENT },
        { "no-direct", no_argument, NULL, OPT_NO_DIRECT },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    int c;

    o->direct = true;
    o->max_queues = cpus < 1 ? 1 : cpus > VBD_MAX_QUEUES ? VBD_MAX_QUEUES : (unsigned int)cpus;
    o->max_ring_order = BLK_MAX_RING_ORDER;
    o->max_indirect = 256;
    o->max_persistent = 1056;
    while ((c = getopt_long(argc, argv, "Fl:vs:d:q:hV", opts, NULL)) != -1) {
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
            add_worker_arg(o, "-v");
            break;
        case 's':
            o->xenstore = optarg;
            break;
        case 'd':
            o->device = optarg;
            break;
        case 'q':
            ok = backend_parse_uint(optarg, VBD_MAX_QUEUES, &o->max_queues) && o->max_queues > 0;
            add_worker_arg(o, "-q");
            add_worker_arg(o, optarg);
            break;
        case OPT_RING:
            ok = backend_parse_uint(optarg, BLK_MAX_RING_ORDER, &o->max_ring_order);
            add_worker_arg(o, "--max-ring-order");
            add_worker_arg(o, optarg);
            break;
        case OPT_INDIRECT:
            ok = backend_parse_uint(optarg, BLK_MAX_INDIRECT_SEGMENTS, &o->max_indirect);
            add_worker_arg(o, "--max-indirect");
            add_worker_arg(o, optarg);
            break;
        case OPT_PERSISTENT:
            ok = backend_parse_uint(optarg, 1u << 20, &o->max_persistent);
            add_worker_arg(o, "--max-persistent");
            add_worker_arg(o, optarg);
            break;
        case OPT_NO_DIRECT:
            o->direct = false;
            add_worker_arg(o, "--no-direct");
            break;
        case 'h':
            usage(stdout);
            exit(0);
        case 'V':
            printf("lamina-blkback %s\n", PACKAGE_VERSION);
            exit(0);
        default:
            usage(stderr);
            return -EINVAL;
        }
        if (!ok) {
            fprintf(stderr, "lamina-blkback: bad value '%s' for --%s (see --help)\n", optarg,
                    c == 'q' ? "max-queues" : c == OPT_RING ? "max-ring-order"
                    : c == OPT_INDIRECT ? "max-indirect" : "max-persistent");
            return -EINVAL;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "lamina-blkback: unexpected argument '%s' (see --help)\n", argv[optind]);
        return -EINVAL;
    }
    return 0;
}

static int run_worker(const struct options *o)
{
    struct backend_worker w;
    struct vbd_env env;
    enum vbd_result r;
    int rc;

    rc = backend_worker_begin(&blkback_kind, o->device, o->log_path, &w);
    if (rc || w.lock < 0)
        return rc;
    env = (struct vbd_env){
        .xs = w.xs,
        .transport = blk_transport_xen,
        .domain_alive = backend_domain_alive,
        .alive_arg = &w,
        .stop_fd = w.stop_fd,
        .cfg = {
            .max_queues = o->max_queues,
            .max_ring_order = o->max_ring_order,
            .max_indirect_segments = o->max_indirect,
            .max_persistent = o->max_persistent,
            .allow_direct = o->direct,
        },
    };
    r = vbd_serve(&env, w.domid, w.devid);
    backend_worker_end(&w);
    return (int)r;
}

static int run_daemon(struct options *o)
{
    return backend_daemon_run(&blkback_kind, o->foreground, o->log_path, o->worker_args);
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
    if (o.device)
        return run_worker(&o);
    return run_daemon(&o);
}
