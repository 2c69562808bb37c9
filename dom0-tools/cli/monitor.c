/* monitor.c: the per-domain background process that carries out on_reboot=restart. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <lamina/ctl-wire.h>

#include "cli.h"

/*
 * lamina-hv applies `destroy` and `preserve` itself; for the restart
 * actions it leaves the domain shut down and reports it, and this monitor
 * (one per domain, like xl's) destroys it and builds it again from the
 * config stored with it.  It ends when the domain is gone for good.
 */

/* A domain that restarts this often is left shut down instead of looping. */
#define RESTART_BURST       10
#define RESTART_WINDOW_S    60

struct monitor {
    xc_interface *xch;
    char name[LAMINA_NAME_MAX];
    uint32_t domid;
    uint8_t uuid[16];
    time_t restarts[RESTART_BURST];
    unsigned int nr_restarts;
};

static void mlog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void mlog(const char *fmt, ...)
{
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    va_list ap;

    strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", localtime_r(&now, &tm));
    fprintf(stderr, "%s lamina-monitor[%d]: ", stamp, (int)getpid());
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static const char *reason_name(uint32_t reason)
{
    static const char *const names[] = { "powered off", "rebooted", "suspended", "crashed",
                                         "was stopped by its watchdog", "asked for a soft reset" };

    return reason < sizeof(names) / sizeof(names[0]) ? names[reason] : "shut down";
}

static int too_many_restarts(struct monitor *m)
{
    time_t now = time(NULL);
    unsigned int slot = m->nr_restarts % RESTART_BURST;

    if (m->nr_restarts >= RESTART_BURST && now - m->restarts[slot] < RESTART_WINDOW_S)
        return 1;
    m->restarts[slot] = now;
    m->nr_restarts++;
    return 0;
}

/* Destroy the shut-down domain and build it again: 0, or -1 to stop monitoring. */
static int restart(struct monitor *m, uint32_t action)
{
    struct xlcfg_error err;
    struct domcfg dc;
    char *json = NULL;
    uint32_t domid;
    int rc = -1;

    memset(&dc, 0, sizeof(dc));
    if (too_many_restarts(m)) {
        mlog("domain '%s' restarted %d times within %d s: leaving it shut down "
             "('lamina destroy %s' removes it)", m->name, RESTART_BURST, RESTART_WINDOW_S,
             m->name);
        return -1;
    }
    if (lamina_domain_get_config(m->xch, m->domid, &json) < 0) {
        mlog("cannot read the config of domain %u: %s", m->domid, strerror(errno));
        return -1;
    }
    if (!*json) {
        mlog("domain %u has no stored config: it cannot be restarted", m->domid);
        goto out;
    }
    if (domcfg_from_json(json, strlen(json), &dc, &err) < 0) {
        mlog("the stored config of domain %u is not usable: %s", m->domid, err.text);
        goto out;
    }
    if (action == LAMINA_ACTION_RENAME_RESTART)
        mlog("rename-restart: renaming is not supported yet, the old domain is not kept");
    else if (action == LAMINA_ACTION_COREDUMP_RESTART)
        mlog("coredump-restart: core dumps are not supported yet, restarting without one");
    if (xc_domain_destroy(m->xch, m->domid) < 0) {
        mlog("cannot destroy domain %u: %s", m->domid, strerror(errno));
        goto out;
    }
    cli_domtree_remove(m->domid, m->uuid);
    if (cli_domain_build(m->xch, &dc, json, NULL, &domid) < 0) {
        mlog("cannot rebuild domain '%s' (see the message above)", m->name);
        goto out;
    }
    if (xc_domain_unpause(m->xch, domid) < 0) {
        mlog("cannot unpause the new domain %u: %s", domid, strerror(errno));
        xc_domain_destroy(m->xch, domid);
        goto out;
    }
    mlog("domain '%s' restarted as id %u", m->name, domid);
    m->domid = domid;
    rc = 0;
out:
    domcfg_free(&dc);
    free(json);
    return rc;
}

/* The domain shut down: 0 to go on monitoring, 1 when done. */
static int on_shutdown(struct monitor *m, uint32_t reason, uint32_t action)
{
    mlog("domain '%s' (id %u) %s", m->name, m->domid, reason_name(reason));
    switch (action) {
    case LAMINA_ACTION_RESTART:
    case LAMINA_ACTION_RENAME_RESTART:
    case LAMINA_ACTION_COREDUMP_RESTART:
        return restart(m, action) == 0 ? 0 : 1;
    case LAMINA_ACTION_PRESERVE:
        mlog("keeping it shut down (preserve)");
        return 1;
    case LAMINA_ACTION_SOFT_RESET:
        mlog("soft-reset is not supported yet: leaving it shut down");
        return 1;
    default:
        /* Its xenstore tree goes once the destroyed event confirms it. */
        mlog("lamina-hv destroys it");
        return 0;
    }
}

/* The domain is gone for good: its xenstore tree goes too, as with xl. */
static int on_destroyed(struct monitor *m)
{
    mlog("domain '%s' (id %u) was destroyed", m->name, m->domid);
    cli_domtree_remove(m->domid, m->uuid);
    return 1;
}

/* Act on the domain's current state (at start, or after lost events): 0 or 1 as above. */
static int check_state(struct monitor *m)
{
    struct lamina_dominfo info;
    unsigned int reason;

    if (lamina_domain_getinfo_single(m->xch, m->domid, &info) < 0) {
        if (errno == ESRCH)
            return on_destroyed(m);
        mlog("cannot read the state of domain %u: %s", m->domid, strerror(errno));
        return 1;
    }
    memcpy(m->uuid, info.uuid, sizeof(m->uuid));
    if (!(info.flags & LAMINA_DOMINF_SHUTDOWN))
        return 0;
    reason = lamina_dominfo_shutdown_reason(info.flags);
    return on_shutdown(m, reason, cli_shutdown_action(&info, reason));
}

static int monitor_main(const char *name, uint32_t domid)
{
    struct monitor m = { .domid = domid };
    int done;

    snprintf(m.name, sizeof(m.name), "%s", name);
    m.xch = xc_interface_open(NULL, NULL, 0);
    if (!m.xch) {
        mlog("cannot connect to lamina-hv: %s", strerror(errno));
        return 1;
    }
    /* Any domain, so that the subscription survives the id changing on restart. */
    if (lamina_subscribe(m.xch, LAMINA_DOMID_ANY, LAMINA_EVMASK_DOMAIN) < 0) {
        mlog("cannot subscribe to domain events: %s", strerror(errno));
        xc_interface_close(m.xch);
        return 1;
    }
    mlog("monitoring domain '%s' (id %u)", m.name, m.domid);
    done = check_state(&m);
    while (!done) {
        struct lamina_event ev;

        if (lamina_next_event(m.xch, &ev, -1) < 0) {
            if (errno == EPROTO) {
                mlog("ignoring a malformed event from lamina-hv");
                continue;
            }
            mlog("lost the connection to lamina-hv: %s", strerror(errno));
            break;
        }
        if (ev.type == LAMINA_EVENT_LOST) {
            done = check_state(&m);
        } else if (ev.type == LAMINA_EVENT_DOMAIN && ev.domid == m.domid) {
            if (ev.u.domain.event == LAMINA_DOMEV_SHUTDOWN) {
                done = on_shutdown(&m, ev.u.domain.reason, ev.u.domain.action);
            } else if (ev.u.domain.event == LAMINA_DOMEV_DESTROYED) {
                done = on_destroyed(&m);
            }
        }
    }
    mlog("monitor for domain '%s' exiting", m.name);
    xc_interface_close(m.xch);
    return 0;
}

static int open_log(const char *name)
{
    const char *dir = lamina_logdir();
    char path[PATH_MAX];
    int fd = -1;

    if (mkdir(dir, 0755) < 0 && errno != EEXIST)
        cli_err("warning: cannot create %s: %s", dir, strerror(errno));
    if (snprintf(path, sizeof(path), "%s/lamina-%s.log", dir, name) < (int)sizeof(path))
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) {
        cli_err("warning: cannot open %s/lamina-%s.log: %s: the domain's monitor will not log",
                dir, name, strerror(errno));
        fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    }
    return fd;
}

int cli_monitor_spawn(xc_interface *xch, const char *name, uint32_t domid)
{
    int logfd = open_log(name), status;
    pid_t pid;

    if (logfd < 0) {
        cli_err("cannot start the monitor of domain '%s': %s", name, strerror(errno));
        return -1;
    }
    fflush(stdout);
    fflush(stderr);
    pid = fork();
    if (pid < 0) {
        cli_err("cannot start the monitor of domain '%s': %s", name, strerror(errno));
        close(logfd);
        return -1;
    }
    if (pid == 0) {
        int null_fd;

        /* Detach from our session, then fork again so that init adopts the monitor. */
        if (setsid() < 0)
            _exit(1);
        pid = fork();
        if (pid != 0)
            _exit(pid < 0 ? 1 : 0);
        null_fd = open("/dev/null", O_RDONLY);
        if (null_fd < 0 || dup2(null_fd, STDIN_FILENO) < 0 ||
            dup2(logfd, STDOUT_FILENO) < 0 || dup2(logfd, STDERR_FILENO) < 0)
            _exit(1);
        if (null_fd > STDERR_FILENO)
            close(null_fd);
        close(logfd);
        if (chdir("/") < 0)
            _exit(1);
        /* The parent's connection is not ours to use: close our copy of it. */
        xc_interface_close(xch);
        _exit(monitor_main(name, domid));
    }
    close(logfd);
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            status = -1;
            break;
        }
    }
    if (status != 0) {
        cli_err("cannot start the monitor of domain '%s'", name);
        return -1;
    }
    return 0;
}
