/* main.c: lamina-hv, the hypervisor daemon: start-up, daemonizing, shutdown. */
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

#include <lamina/ctl-wire.h>
#include <lamina/daemon.h>

#include "core/control.h"
#include "core/hv.h"
#include "core/loop.h"

static char pid_path[PATH_MAX];

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: lamina-hv [OPTIONS]\n"
            "Run the Lamina hypervisor: one process that owns every domain.\n"
            "\n"
            "  -F, --foreground   stay in the foreground (log to stderr unless --log)\n"
            "  -l, --log FILE     log to FILE (default: $LAMINA_LOGDIR/lamina-hv.log)\n"
            "  -v, --verbose      log debug messages (every hypercall)\n"
            "  -h, --help         show this help\n"
            "  -V, --version      show the version\n"
            "\n"
            "Without -F, lamina-hv detaches and its first process exits 0 once the\n"
            "control socket accepts connections, or 1 with a message if start-up failed.\n"
            "SIGTERM and SIGINT destroy every domain and stop it; SIGHUP reopens the log.\n"
            "Environment: LAMINA_RUNDIR (socket, pid file; default %s),\n"
            "             LAMINA_LOGDIR (logs; default %s).\n",
            LAMINA_RUNDIR, LAMINA_LOGDIR);
}

static void on_signal(int fd, uint32_t events, void *arg)
{
    struct signalfd_siginfo si;

    if (read(fd, &si, sizeof(si)) != sizeof(si))
        return;
    if (si.ssi_signo == SIGHUP) {
        /* For log rotation, as with lamina-xenstored. */
        if (log_reopen() == 0)
            log_info("log reopened on SIGHUP");
        return;
    }
    log_info("signal %u: shutting down", si.ssi_signo);
    loop_stop();
}

static int setup_signals(void)
{
    sigset_t set;
    int fd;

    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0)
        return -EINVAL;
    fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (fd < 0)
        return -errno;
    return loop_add(main_loop, fd, 0x001 /* EPOLLIN */, on_signal, NULL);
}

/* Each domain holds a VM, vCPU and memory descriptors: allow many. */
static void raise_fd_limit(void)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static int start(const char *log_path, bool foreground, bool verbose)
{
    char path[PATH_MAX];
    int rc;

    if (verbose)
        log_set_level(LOG_DEBUG);
    if ((rc = mkdir_p(lamina_rundir(), 0700)) < 0) {
        fprintf(stderr, "lamina-hv: cannot create %s: %s\n", lamina_rundir(), strerror(-rc));
        return rc;
    }
    snprintf(path, sizeof(path), "%s/console", lamina_logdir());
    if ((rc = mkdir_p(path, 0750)) < 0) {
        fprintf(stderr, "lamina-hv: cannot create %s: %s\n", path, strerror(-rc));
        return rc;
    }
    if (!log_path && !foreground) {
        snprintf(path, sizeof(path), "%s/lamina-hv.log", lamina_logdir());
        log_path = path;
    }
    if (log_path && (rc = log_open(log_path)) < 0) {
        fprintf(stderr, "lamina-hv: cannot open log %s: %s\n", log_path, strerror(-rc));
        return rc;
    }
    raise_fd_limit();
    log_info("lamina-hv %s starting (pid %d)", PACKAGE_VERSION, (int)getpid());
    if ((rc = loops_init()) < 0 || (rc = setup_signals()) < 0 || (rc = domain_table_init()) < 0) {
        fprintf(stderr, "lamina-hv: start-up failed: %s\n", strerror(-rc));
        return rc;
    }
    if ((rc = event_loop_start()) < 0) {
        fprintf(stderr, "lamina-hv: cannot start the event thread: %s\n", strerror(-rc));
        return rc;
    }
    if ((rc = arch_init()) < 0) {
        fprintf(stderr, "lamina-hv: KVM is not usable here (see %s)\n",
                log_path ? log_path : "the messages above");
        return rc;
    }
    if ((rc = control_init()) < 0) {
        fprintf(stderr, "lamina-hv: cannot serve the control socket in %s: %s\n",
                lamina_rundir(), strerror(-rc));
        return rc;
    }
    snprintf(pid_path, sizeof(pid_path), "%s/lamina-hv.pid", lamina_rundir());
    if ((rc = write_pid_file(pid_path)) < 0)
        log_warn("cannot write %s: %s", pid_path, strerror(-rc));
    log_info("serving %s/%s", lamina_rundir(), LAMINA_CTL_SOCKET_NAME);
    return 0;
}

static void stop(void)
{
    domain_destroy_all();
    control_fini();
    event_loop_stop();
    if (pid_path[0])
        unlink(pid_path);
    log_info("lamina-hv stopped");
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "foreground", no_argument, NULL, 'F' },
        { "log", required_argument, NULL, 'l' },
        { "verbose", no_argument, NULL, 'v' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    const char *log_path = NULL;
    bool foreground = false, verbose = false;
    int c, rc;

    while ((c = getopt_long(argc, argv, "Fl:vhV", opts, NULL)) != -1) {
        switch (c) {
        case 'F':
            foreground = true;
            break;
        case 'l':
            log_path = optarg;
            break;
        case 'v':
            verbose = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        case 'V':
            printf("lamina-hv %s\n", PACKAGE_VERSION);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return 2;
    }
    if (!foreground && (rc = daemon_detach()) < 0) {
        fprintf(stderr, "lamina-hv: cannot detach: %s\n", strerror(-rc));
        return 1;
    }
    rc = start(log_path, foreground, verbose);
    daemon_ready(rc);
    if (rc < 0)
        return 1;
    loop_run();
    stop();
    return 0;
}
