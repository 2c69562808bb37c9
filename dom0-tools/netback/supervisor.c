/* supervisor.c: lamina-netback's daemon: watches backend/vif and runs one worker per vif. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <lamina/ctl-wire.h>
#include <xenstore.h>

#include <lamina/log.h>
#include "supervisor.h"
#include "vif.h"

/*
 * One worker process per vif: a frontend that finds a bug in the
 * engine takes down its own vif only, and the other vifs (other guests)
 * keep being served. A worker holds a lock file while it serves, so a
 * restarted daemon leaves running workers alone and only starts workers
 * for vifs nobody serves.
 */

#define RESTART_WINDOW 60       /* seconds */
#define RESTART_MAX 5           /* crashes within the window before giving up */
#define STOP_GRACE_MS 10000

extern char **environ;

struct worker {
    uint32_t domid, devid;
    pid_t pid;                  /* running child, or 0 */
    bool done;                  /* finished or failed: not started again while it exists */
    bool foreign;               /* served by a process we did not start */
    bool present;               /* its directory exists */
    unsigned int restarts;
    time_t window;
};

static struct worker *workers;
static size_t nworkers;
static bool stopping;

int vif_lock(uint32_t domid, uint32_t devid)
{
    char path[512];
    int fd;

    snprintf(path, sizeof(path), "%s/netback", lamina_rundir());
    if (mkdir(path, 0700) < 0 && errno != EEXIST)
        return -errno;
    snprintf(path, sizeof(path), "%s/netback/vif-%u-%u.lock", lamina_rundir(), domid, devid);
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return -errno;
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        int err = errno == EWOULDBLOCK ? EBUSY : errno;

        close(fd);
        return -err;
    }
    return fd;
}

static struct worker *find(uint32_t domid, uint32_t devid)
{
    for (size_t i = 0; i < nworkers; i++)
        if (workers[i].domid == domid && workers[i].devid == devid)
            return &workers[i];
    return NULL;
}

static struct worker *find_pid(pid_t pid)
{
    for (size_t i = 0; i < nworkers; i++)
        if (workers[i].pid == pid)
            return &workers[i];
    return NULL;
}

static struct worker *add(uint32_t domid, uint32_t devid)
{
    struct worker *w = realloc(workers, (nworkers + 1) * sizeof(*w));

    if (!w)
        return NULL;
    workers = w;
    w = &workers[nworkers++];
    *w = (struct worker){ .domid = domid, .devid = devid };
    return w;
}

static void forget(struct worker *w)
{
    *w = workers[--nworkers];
}

static bool parse_id(const char *s, uint32_t *out)
{
    unsigned long long v = 0;

    if (!*s || strlen(s) > 10)
        return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        v = v * 10 + (unsigned long long)(*s - '0');
    }
    if (v > UINT32_MAX)
        return false;
    *out = (uint32_t)v;
    return true;
}

static void spawn(const struct supervisor_config *cfg, struct worker *w)
{
    char dev[32];
    char *argv[64];
    size_t n = 0;
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    sigset_t none;
    pid_t pid;
    int rc;

    snprintf(dev, sizeof(dev), "%u/%u", w->domid, w->devid);
    argv[n++] = (char *)cfg->self;
    argv[n++] = "--device";
    argv[n++] = dev;
    for (size_t i = 0; cfg->worker_args && cfg->worker_args[i] && n < 63; i++)
        argv[n++] = cfg->worker_args[i];
    argv[n] = NULL;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawnattr_init(&attr);
    /* Our signals are blocked for the signalfd: the worker starts with none blocked. */
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
    rc = posix_spawn(&pid, cfg->self, &fa, &attr, argv, environ);
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        log_err("vif %s: cannot start a worker (%s): %s", dev, cfg->self, strerror(rc));
        w->done = true;
        return;
    }
    w->pid = pid;
    log_info("vif %s: worker %d started", dev, (int)pid);
}

/* The vif exists: make sure somebody serves it. */
static void ensure(const struct supervisor_config *cfg, uint32_t domid, uint32_t devid)
{
    struct worker *w = find(domid, devid);
    int fd;

    if (!w && !(w = add(domid, devid))) {
        log_err("vif %u/%u: out of memory", domid, devid);
        return;
    }
    w->present = true;
    if (w->pid || w->done || w->foreign || stopping)
        return;
    fd = vif_lock(domid, devid);
    if (fd == -EBUSY) {
        log_info("vif %u/%u: already served by another process", domid, devid);
        w->foreign = true;
        return;
    }
    if (fd >= 0)
        close(fd);
    spawn(cfg, w);
}

static bool vif_exists(struct xs_handle *xs, uint32_t domid, uint32_t devid)
{
    char path[96], *v;

    snprintf(path, sizeof(path), "%s/%u/%u", VIF_BACKEND_ROOT, domid, devid);
    v = xs_read(xs, XBT_NULL, path, NULL);
    free(v);
    return v != NULL;
}

static void gone(struct worker *w)
{
    w->present = false;
    /* A running worker sees the removal itself and exits; it is forgotten when reaped. */
    if (!w->pid)
        forget(w);
}

static void scan(struct xs_handle *xs, const struct supervisor_config *cfg)
{
    unsigned int nd = 0, nv;
    char **doms = xs_directory(xs, XBT_NULL, VIF_BACKEND_ROOT, &nd);

    for (size_t i = 0; i < nworkers; i++)
        workers[i].present = false;
    for (unsigned int i = 0; doms && i < nd; i++) {
        char path[64];
        char **devs;
        uint32_t domid, devid;

        if (!parse_id(doms[i], &domid))
            continue;
        snprintf(path, sizeof(path), "%s/%u", VIF_BACKEND_ROOT, domid);
        nv = 0;
        devs = xs_directory(xs, XBT_NULL, path, &nv);
        for (unsigned int k = 0; devs && k < nv; k++)
            if (parse_id(devs[k], &devid))
                ensure(cfg, domid, devid);
        free(devs);
    }
    free(doms);
    for (size_t i = nworkers; i-- > 0;)
        if (!workers[i].present)
            gone(&workers[i]);
}

/* A watch event: look at the vif it names, or everything. */
static void on_event(struct xs_handle *xs, const struct supervisor_config *cfg, const char *path)
{
    size_t root = strlen(VIF_BACKEND_ROOT);
    char dom[16], dev[16];
    uint32_t domid, devid;
    struct worker *w;
    const char *p, *slash;

    if (strncmp(path, VIF_BACKEND_ROOT, root) != 0 || path[root] != '/') {
        scan(xs, cfg);
        return;
    }
    p = path + root + 1;
    slash = strchr(p, '/');
    if (!slash || (size_t)(slash - p) >= sizeof(dom)) {
        scan(xs, cfg);
        return;
    }
    memcpy(dom, p, (size_t)(slash - p));
    dom[slash - p] = '\0';
    p = slash + 1;
    slash = strchr(p, '/');
    if (!slash)
        slash = p + strlen(p);
    if ((size_t)(slash - p) >= sizeof(dev)) {
        scan(xs, cfg);
        return;
    }
    memcpy(dev, p, (size_t)(slash - p));
    dev[slash - p] = '\0';
    if (!parse_id(dom, &domid) || !parse_id(dev, &devid))
        return;
    if (vif_exists(xs, domid, devid)) {
        w = find(domid, devid);
        /* Only a new vif needs us: workers handle their own vifs' changes. */
        if (!w || !w->present || (!w->pid && !w->done && !w->foreign))
            ensure(cfg, domid, devid);
    } else if ((w = find(domid, devid))) {
        gone(w);
    }
}

static void reap(struct xs_handle *xs, const struct supervisor_config *cfg)
{
    time_t now = time(NULL);
    int status;
    pid_t pid;

    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        struct worker *w = find_pid(pid);
        bool crashed = !WIFEXITED(status) ||
                       (WEXITSTATUS(status) != VIF_FINISHED && WEXITSTATUS(status) != VIF_FAILED);

        if (!w)
            continue;
        w->pid = 0;
        if (WIFSIGNALED(status))
            log_warn("vif %u/%u: worker %d killed by signal %d", w->domid, w->devid, (int)pid,
                     WTERMSIG(status));
        else
            log_info("vif %u/%u: worker %d exited with status %d", w->domid, w->devid,
                     (int)pid, WEXITSTATUS(status));
        if (stopping || !vif_exists(xs, w->domid, w->devid)) {
            forget(w);
            continue;
        }
        if (!crashed) {
            w->done = true;
            continue;
        }
        /* The vif is still there and its frontend may still be waiting: resume it. */
        if (now - w->window > RESTART_WINDOW) {
            w->window = now;
            w->restarts = 0;
        }
        if (++w->restarts > RESTART_MAX) {
            log_err("vif %u/%u: worker keeps failing (%d times in %d s): giving up; see "
                    "the messages above", w->domid, w->devid, RESTART_MAX, RESTART_WINDOW);
            w->done = true;
            continue;
        }
        spawn(cfg, w);
    }
}

/* Ask every worker to detach and wait for them (then insist). */
static void stop_workers(void)
{
    int waited = 0;

    for (size_t i = 0; i < nworkers; i++)
        if (workers[i].pid)
            kill(workers[i].pid, SIGTERM);
    for (;;) {
        bool any = false;
        int status;

        for (size_t i = 0; i < nworkers; i++) {
            if (!workers[i].pid)
                continue;
            if (waitpid(workers[i].pid, &status, WNOHANG) == workers[i].pid)
                workers[i].pid = 0;
            else
                any = true;
        }
        if (!any)
            return;
        if (waited >= STOP_GRACE_MS) {
            for (size_t i = 0; i < nworkers; i++) {
                if (!workers[i].pid)
                    continue;
                log_warn("vif %u/%u: worker %d does not stop: killing it", workers[i].domid,
                         workers[i].devid, (int)workers[i].pid);
                kill(workers[i].pid, SIGKILL);
                waitpid(workers[i].pid, &status, 0);
                workers[i].pid = 0;
            }
            return;
        }
        usleep(20000);
        waited += 20;
    }
}

int supervisor_run(struct xs_handle *xs, const struct supervisor_config *cfg)
{
    while (!stopping) {
        struct pollfd pfd[2] = {
            { .fd = xs_fileno(xs), .events = POLLIN },
            { .fd = cfg->signal_fd, .events = POLLIN },
        };
        char **w;

        if (poll(pfd, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            log_err("poll: %s", strerror(errno));
            break;
        }
        if (pfd[1].revents) {
            struct signalfd_siginfo si;

            while (read(cfg->signal_fd, &si, sizeof(si)) == sizeof(si)) {
                if (si.ssi_signo == SIGCHLD) {
                    reap(xs, cfg);
                } else {
                    log_info("signal %u: stopping (workers detach; a new daemon resumes them)",
                             si.ssi_signo);
                    stopping = true;
                }
            }
        }
        while ((w = xs_check_watch(xs))) {
            if (!stopping)
                on_event(xs, cfg, w[XS_WATCH_PATH]);
            free(w);
        }
    }
    stop_workers();
    free(workers);
    workers = NULL;
    nworkers = 0;
    return 0;
}
