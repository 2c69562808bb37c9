/* main.c: lamina-xenstored: options, daemonizing, the event loop. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <xenstore_lib.h>

#include "conn.h"
#include "domain.h"
#include <lamina/daemon.h>

#include "log.h"
#include "loop.h"
#include "quota.h"
#include "ring.h"
#include "socket.h"
#include "xsd.h"

#ifndef XENSTORED_CONF
#define XENSTORED_CONF "/etc/lamina/xenstored.conf"
#endif

struct options {
    bool foreground;
    bool verbose;
    bool fake_domains;
    const char *pid_file;
    const char *socket_path;
    const char *log_path;
    const char *config;
    const char *quotas[64];         /* "name=value" from the command line, in order */
    unsigned int nquotas;
};

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: lamina-xenstored [OPTIONS]\n"
            "Serve the xenstore database to dom0 tools (UNIX socket) and guests (rings).\n"
            "\n"
            "  -F, --foreground        stay in the foreground (log to stderr unless --log)\n"
            "  -p, --pid-file FILE     write the daemon's pid to FILE (detached, the default\n"
            "                          is xenstored.pid beside the socket)\n"
            "  -s, --socket PATH       listen on PATH (default: $XENSTORED_PATH, else\n"
            "                          $XENSTORED_RUNDIR/socket, else %s)\n"
            "  -l, --log FILE          log to FILE (default when detached:\n"
            "                          $LAMINA_LOGDIR/xenstored.log, LAMINA_LOGDIR=%s)\n"
            "  -c, --config FILE       read quotas from FILE (default: %s if present)\n"
            "  -Q, --quota NAME=N      set a quota (repeatable; see below)\n"
            "  -E, --entry-nb N        same as --quota nodes=N\n"
            "  -S, --entry-size N      same as --quota node-size=N\n"
            "  -W, --watch-nb N        same as --quota watches=N\n"
            "  -t, --transaction N     same as --quota transactions=N\n"
            "  -A, --perm-nb N         same as --quota node-permissions=N\n"
            "  -M, --path-max N        same as --quota path-length=N\n"
            "      --fake-domains      test mode: INTRODUCE maps no ring, and a socket client\n"
            "                          may act as a domain (CONTROL attach-domain)\n"
            "  -v, --verbose           log debug messages\n"
            "  -h, --help              show this help\n"
            "  -V, --version           show the version\n"
            "\n"
            "Quotas bind guests only; dom0 is exempt:\n",
            "/var/run/xenstored/socket", LAMINA_LOGDIR, XENSTORED_CONF);
    for (int i = 0; i < Q_COUNT; i++)
        fprintf(f, "  %-18s %6u  %s\n", quota_name(i), quota[i], quota_help(i));
    fprintf(f, "\nWithout -F the first process exits 0 once the socket accepts connections,\n"
               "or 1 with a message if start-up failed.\n");
}

static int add_quota(struct options *o, const char *name, const char *value)
{
    static char buf[64][80];

    if (o->nquotas >= sizeof(o->quotas) / sizeof(o->quotas[0]))
        return -E2BIG;
    if (name)
        snprintf(buf[o->nquotas], sizeof(buf[0]), "%s=%s", name, value);
    else
        snprintf(buf[o->nquotas], sizeof(buf[0]), "%s", value);
    o->quotas[o->nquotas] = buf[o->nquotas];
    o->nquotas++;
    return 0;
}

static int parse_options(int argc, char **argv, struct options *o)
{
    enum { OPT_FAKE = 256 };
    static const struct option opts[] = {
        { "foreground", no_argument, NULL, 'F' },
        { "pid-file", required_argument, NULL, 'p' },
        { "socket", required_argument, NULL, 's' },
        { "log", required_argument, NULL, 'l' },
        { "config", required_argument, NULL, 'c' },
        { "quota", required_argument, NULL, 'Q' },
        { "entry-nb", required_argument, NULL, 'E' },
        { "entry-size", required_argument, NULL, 'S' },
        { "watch-nb", required_argument, NULL, 'W' },
        { "transaction", required_argument, NULL, 't' },
        { "perm-nb", required_argument, NULL, 'A' },
        { "path-max", required_argument, NULL, 'M' },
        { "fake-domains", no_argument, NULL, OPT_FAKE },
        { "verbose", no_argument, NULL, 'v' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    int c, rc = 0;

    while ((c = getopt_long(argc, argv, "Fp:s:l:c:Q:E:S:W:t:A:M:vhV", opts, NULL)) != -1) {
        switch (c) {
        case 'F':
            o->foreground = true;
            break;
        case 'p':
            o->pid_file = optarg;
            break;
        case 's':
            o->socket_path = optarg;
            break;
        case 'l':
            o->log_path = optarg;
            break;
        case 'c':
            o->config = optarg;
            break;
        case 'Q':
            rc = add_quota(o, NULL, optarg);
            break;
        case 'E':
            rc = add_quota(o, "nodes", optarg);
            break;
        case 'S':
            rc = add_quota(o, "node-size", optarg);
            break;
        case 'W':
            rc = add_quota(o, "watches", optarg);
            break;
        case 't':
            rc = add_quota(o, "transactions", optarg);
            break;
        case 'A':
            rc = add_quota(o, "node-permissions", optarg);
            break;
        case 'M':
            rc = add_quota(o, "path-length", optarg);
            break;
        case OPT_FAKE:
            o->fake_domains = true;
            break;
        case 'v':
            o->verbose = true;
            break;
        case 'h':
            usage(stdout);
            exit(0);
        case 'V':
            printf("lamina-xenstored %s\n", PACKAGE_VERSION);
            exit(0);
        default:
            usage(stderr);
            return -EINVAL;
        }
        if (rc < 0) {
            fprintf(stderr, "lamina-xenstored: too many quota options\n");
            return rc;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "lamina-xenstored: unexpected argument '%s' (see --help)\n",
                argv[optind]);
        return -EINVAL;
    }
    return 0;
}

/* Defaults, then the configuration file, then the command line. */
static int load_quotas(const struct options *o)
{
    const char *file = o->config ? o->config : XENSTORED_CONF;
    int rc = quota_load_file(file, stderr);

    if (rc == -ENOENT && !o->config)
        rc = 0;
    if (rc < 0) {
        if (rc != -EINVAL)
            fprintf(stderr, "lamina-xenstored: cannot read %s: %s\n", file, strerror(-rc));
        return rc;
    }
    for (unsigned int i = 0; i < o->nquotas; i++) {
        rc = quota_set_assignment(o->quotas[i]);
        if (rc < 0) {
            fprintf(stderr, "lamina-xenstored: bad quota '%s': %s (see --help)\n", o->quotas[i],
                    rc == -ENOENT ? "no such quota" : "expected NAME=N with N > 0");
            return rc;
        }
    }
    return 0;
}

static void on_signal(int fd, uint32_t events, void *arg)
{
    struct signalfd_siginfo si;

    if (read(fd, &si, sizeof(si)) != sizeof(si))
        return;
    if (si.ssi_signo == SIGHUP) {
        if (log_reopen() == 0)
            log_info("log reopened on SIGHUP");
        return;
    }
    log_info("signal %u: shutting down", si.ssi_signo);
    loop_stop();
}

static struct loop_source *signal_source;
static int signal_fd = -1;

static int setup_signals(void)
{
    sigset_t set;
    int fd;

    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
        return -errno;
    fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (fd < 0)
        return -errno;
    signal_source = loop_add(fd, 0x001 /* EPOLLIN */, on_signal, NULL);
    if (!signal_source) {
        int err = errno;

        close(fd);
        return -err;
    }
    signal_fd = fd;
    return 0;
}

static void teardown_signals(void)
{
    if (signal_source)
        loop_del(signal_source);
    signal_source = NULL;
    if (signal_fd >= 0)
        close(signal_fd);
    signal_fd = -1;
}

/* Each domain and each tool holds a descriptor: allow many. */
static void raise_fd_limit(void)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static int start(struct options *o)
{
    const char *sock = o->socket_path ? o->socket_path : xs_daemon_socket();
    const char *log_path = o->log_path;
    const char *logdir = getenv("LAMINA_LOGDIR");
    char default_log[PATH_MAX];
    int rc;

    if (!log_path && !o->foreground) {
        if (!logdir || !*logdir)
            logdir = LAMINA_LOGDIR;
        mkdir(logdir, 0750);
        snprintf(default_log, sizeof(default_log), "%s/xenstored.log", logdir);
        log_path = default_log;
    }
    if (log_path && (rc = log_open(log_path)) < 0) {
        fprintf(stderr, "lamina-xenstored: cannot open log %s: %s\n", log_path, strerror(-rc));
        return rc;
    }
    if (o->verbose)
        log_set_level(LOG_DEBUG);
    raise_fd_limit();
    log_info("lamina-xenstored %s starting (pid %d)", PACKAGE_VERSION, (int)getpid());
    if ((rc = loop_init()) < 0 || (rc = setup_signals()) < 0) {
        fprintf(stderr, "lamina-xenstored: start-up failed: %s\n", strerror(-rc));
        return rc;
    }
    rc = xsd_init(o->fake_domains ? &fake_backend : ring_backend(), o->fake_domains);
    if (rc < 0) {
        fprintf(stderr, "lamina-xenstored: start-up failed: %s\n", strerror(-rc));
        return rc;
    }
    if ((rc = socket_listen(sock)) < 0) {
        if (rc == -EADDRINUSE)
            fprintf(stderr, "lamina-xenstored: a xenstored already serves %s\n", sock);
        else
            fprintf(stderr, "lamina-xenstored: cannot listen on %s: %s\n", sock, strerror(-rc));
        return rc;
    }
    /* Detached, it always says where it is, so that it can be stopped by pid. */
    if (!o->pid_file && !o->foreground) {
        static char default_pid[4200];

        snprintf(default_pid, sizeof(default_pid), "%s/xenstored.pid", xs_daemon_rundir());
        o->pid_file = default_pid;
    }
    if (o->pid_file && (rc = write_pid_file(o->pid_file)) < 0) {
        fprintf(stderr, "lamina-xenstored: cannot write %s: %s\n", o->pid_file, strerror(-rc));
        socket_fini();
        return rc;
    }
    log_info("serving %s (domains: %s)", sock, domain_backend()->name);
    return 0;
}

int main(int argc, char **argv)
{
    struct options o = { 0 };
    int rc;

    quota_defaults();
    if (parse_options(argc, argv, &o) < 0)
        return 2;
    if (load_quotas(&o) < 0)
        return 2;
    if (!o.foreground && (rc = daemon_detach()) < 0) {
        fprintf(stderr, "lamina-xenstored: cannot detach: %s\n", strerror(-rc));
        return 1;
    }
    rc = start(&o);
    daemon_ready(rc);
    if (rc < 0)
        return 1;
    while (loop_running()) {
        if ((rc = loop_once(conns_busy() ? 0 : -1)) < 0) {
            log_err("event loop failed: %s", strerror(-rc));
            break;
        }
        conns_run();
    }
    socket_fini();
    xsd_fini();
    ring_fini();
    teardown_signals();
    loop_fini();
    if (o.pid_file)
        unlink(o.pid_file);
    log_info("lamina-xenstored stopped");
    return 0;
}
