/* supervisor.c: the backend daemons: watch backend/<type>, run one worker process per device. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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
#include <lamina/daemon.h>
#include <lamina/log.h>
#include <xenctrl.h>
#include <xenstore.h>

#include "backend.h"

/*
 * One worker process per device: a frontend that finds a bug in an
 * engine takes down its own device only, and the other devices (other
 * guests) keep being served. A worker holds a lock file while it serves,
 * so a restarted daemon leaves running workers alone and only starts
 * workers for devices nobody serves.
 */

#define RESTART_WINDOW 60       /* seconds */
#define RESTART_MAX 5           /* crashes within the window before giving up */
#define STOP_GRACE_MS 10000

extern char **environ;

/* What the loop needs besides the worker table. */
struct supervisor {
    const struct backend_kind *k;
    char root[64];              /* /local/domain/0/backend/<type> */
    const char *self;           /* our executable, to start workers */
    char *const *worker_args;   /* NULL-terminated */
    int signal_fd;
};

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

int backend_lock(const struct backend_kind *k, uint32_t domid, uint32_t devid)
{
    char path[PATH_MAX];
    int fd;

    snprintf(path, sizeof(path), "%s/%s", lamina_rundir(), k->rundir);
    if (mkdir(path, 0700) < 0 && errno != EEXIST)
        return -errno;
    snprintf(path, sizeof(path), "%s/%s/%s-%u-%u.lock", lamina_rundir(), k->rundir, k->type,
             domid, devid);
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

int backend_signal_fd(bool children)
{
    sigset_t set;
    int fd;

    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    if (children)
        sigaddset(&set, SIGCHLD);
    if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
        return -errno;
    fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    return fd < 0 ? -errno : fd;
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

static void spawn(const struct supervisor *s, struct worker *w)
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
    argv[n++] = (char *)s->self;
    argv[n++] = "--device";
    argv[n++] = dev;
    for (size_t i = 0; s->worker_args && s->worker_args[i] && n < 63; i++)
        argv[n++] = s->worker_args[i];
    argv[n] = NULL;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawnattr_init(&attr);
    /* Our signals are blocked for the signalfd: the worker starts with none blocked. */
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
    rc = posix_spawn(&pid, s->self, &fa, &attr, argv, environ);
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        log_err("%s %s: cannot start a worker (%s): %s", s->k->type, dev, s->self,
                strerror(rc));
        w->done = true;
        return;
    }
    w->pid = pid;
    log_info("%s %s: worker %d started", s->k->type, dev, (int)pid);
}

/* The device exists: make sure somebody serves it. */
static void ensure(const struct supervisor *s, uint32_t domid, uint32_t devid)
{
    struct worker *w = find(domid, devid);
    int fd;

    if (!w && !(w = add(domid, devid))) {
        log_err("%s %u/%u: out of memory", s->k->type, domid, devid);
        return;
    }
    w->present = true;
    if (w->pid || w->done || w->foreign || stopping)
        return;
    fd = backend_lock(s->k, domid, devid);
    if (fd == -EBUSY) {
        log_info("%s %u/%u: already served by another process", s->k->type, domid, devid);
        w->foreign = true;
        return;
    }
    if (fd >= 0)
        close(fd);
    spawn(s, w);
}

static bool device_exists(struct xs_handle *xs, const struct supervisor *s, uint32_t domid,
                          uint32_t devid)
{
    char path[96], *v;

    snprintf(path, sizeof(path), "%s/%u/%u", s->root, domid, devid);
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

static void scan(struct xs_handle *xs, const struct supervisor *s)
{
    unsigned int nd = 0, nv;
    char **doms = xs_directory(xs, XBT_NULL, s->root, &nd);

    for (size_t i = 0; i < nworkers; i++)
        workers[i].present = false;
    for (unsigned int i = 0; doms && i < nd; i++) {
        char path[96];
        char **devs;
        uint32_t domid, devid;

        if (!parse_id(doms[i], &domid))
            continue;
        snprintf(path, sizeof(path), "%s/%u", s->root, domid);
        nv = 0;
        devs = xs_directory(xs, XBT_NULL, path, &nv);
        for (unsigned int k = 0; devs && k < nv; k++)
            if (parse_id(devs[k], &devid))
                ensure(s, domid, devid);
        free(devs);
    }
    free(doms);
    for (size_t i = nworkers; i-- > 0;)
        if (!workers[i].present)
            gone(&workers[i]);
}

/* A watch event: look at the device it names, or everything. */
static void on_event(struct xs_handle *xs, const struct supervisor *s, const char *path)
{
    size_t root = strlen(s->root);
    char dom[16], dev[16];
    uint32_t domid, devid;
    struct worker *w;
    const char *p, *slash;

    if (strncmp(path, s->root, root) != 0 || path[root] != '/') {
        scan(xs, s);
        return;
    }
    p = path + root + 1;
    slash = strchr(p, '/');
    if (!slash || (size_t)(slash - p) >= sizeof(dom)) {
        scan(xs, s);
        return;
    }
    memcpy(dom, p, (size_t)(slash - p));
    dom[slash - p] = '\0';
    p = slash + 1;
    slash = strchr(p, '/');
    if (!slash)
        slash = p + strlen(p);
    if ((size_t)(slash - p) >= sizeof(dev)) {
        scan(xs, s);
        return;
    }
    memcpy(dev, p, (size_t)(slash - p));
    dev[slash - p] = '\0';
    if (!parse_id(dom, &domid) || !parse_id(dev, &devid))
        return;
    if (device_exists(xs, s, domid, devid)) {
        w = find(domid, devid);
        /* Only a new device needs us: workers handle their own devices' changes. */
        if (!w || !w->present || (!w->pid && !w->done && !w->foreign))
            ensure(s, domid, devid);
    } else if ((w = find(domid, devid))) {
        gone(w);
    }
}

static void reap(struct xs_handle *xs, const struct supervisor *s)
{
    time_t now = time(NULL);
    int status;
    pid_t pid;

    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        struct worker *w = find_pid(pid);
        bool crashed = !WIFEXITED(status) || (WEXITSTATUS(status) != s->k->finished &&
                                              WEXITSTATUS(status) != s->k->failed);

        if (!w)
            continue;
        w->pid = 0;
        if (WIFSIGNALED(status))
            log_warn("%s %u/%u: worker %d killed by signal %d", s->k->type, w->domid, w->devid,
                     (int)pid, WTERMSIG(status));
        else
            log_info("%s %u/%u: worker %d exited with status %d", s->k->type, w->domid,
                     w->devid, (int)pid, WEXITSTATUS(status));
        if (stopping || !device_exists(xs, s, w->domid, w->devid)) {
            forget(w);
            continue;
        }
        if (!crashed) {
            w->done = true;
            continue;
        }
        /* The device is still there and its frontend may still be waiting: resume it. */
        if (now - w->window > RESTART_WINDOW) {
            w->window = now;
            w->restarts = 0;
        }
        if (++w->restarts > RESTART_MAX) {
            log_err("%s %u/%u: worker keeps failing (%d times in %d s): giving up; see "
                    "the messages above", s->k->type, w->domid, w->devid, RESTART_MAX,
                    RESTART_WINDOW);
            w->done = true;
            continue;
        }
        spawn(s, w);
    }
}

/* Ask every worker to detach and wait for them (then insist). */
static void stop_workers(const struct supervisor *s)
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
                log_warn("%s %u/%u: worker %d does not stop: killing it", s->k->type,
                         workers[i].domid, workers[i].devid, (int)workers[i].pid);
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

static int supervise(struct xs_handle *xs, const struct supervisor *s)
{
    while (!stopping) {
        struct pollfd pfd[2] = {
            { .fd = xs_fileno(xs), .events = POLLIN },
            { .fd = s->signal_fd, .events = POLLIN },
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

            while (read(s->signal_fd, &si, sizeof(si)) == sizeof(si)) {
                if (si.ssi_signo == SIGCHLD) {
                    reap(xs, s);
                } else {
                    log_info("signal %u: stopping (workers detach; a new daemon resumes them)",
                             si.ssi_signo);
                    stopping = true;
                }
            }
        }
        while ((w = xs_check_watch(xs))) {
            if (!stopping)
                on_event(xs, s, w[XS_WATCH_PATH]);
            free(w);
        }
    }
    stop_workers(s);
    free(workers);
    workers = NULL;
    nworkers = 0;
    return 0;
}

#define MAX_WORKER_ARGS 32

int backend_daemon_run(const struct backend_kind *k, bool foreground, const char *log_path,
                       char *const *worker_args)
{
    char pid_path[PATH_MAX], default_log[PATH_MAX], self[PATH_MAX];
    char *args[MAX_WORKER_ARGS + 3];
    struct supervisor s = { .k = k, .self = self, .worker_args = args };
    struct xs_handle *xs;
    size_t nargs = 0;
    ssize_t n;
    int pid_fd, rc;

    n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n <= 0) {
        fprintf(stderr, "%s: cannot find my own executable: %s\n", k->program, strerror(errno));
        return 1;
    }
    self[n] = '\0';
    snprintf(s.root, sizeof(s.root), "/local/domain/0/backend/%s", k->type);
    for (; worker_args && worker_args[nargs]; nargs++) {
        if (nargs == MAX_WORKER_ARGS) {
            fprintf(stderr, "%s: too many options for the workers\n", k->program);
            return 1;
        }
        args[nargs] = worker_args[nargs];
    }
    if (!foreground && (rc = daemon_detach()) < 0) {
        fprintf(stderr, "%s: cannot detach: %s\n", k->program, strerror(-rc));
        return 1;
    }
    if ((rc = mkdir_p(lamina_rundir(), 0700)) < 0) {
        fprintf(stderr, "%s: cannot create %s: %s\n", k->program, lamina_rundir(),
                strerror(-rc));
        return 1;
    }
    snprintf(pid_path, sizeof(pid_path), "%s/%s.pid", lamina_rundir(), k->program);
    pid_fd = open(pid_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (pid_fd < 0) {
        fprintf(stderr, "%s: cannot open %s: %s\n", k->program, pid_path, strerror(errno));
        return 1;
    }
    if (flock(pid_fd, LOCK_EX | LOCK_NB) < 0) {
        /* Starting on demand is idempotent: one daemon serves everything. */
        if (foreground)
            fprintf(stderr, "%s: already running (see %s)\n", k->program, pid_path);
        daemon_ready(0);
        close(pid_fd);
        return foreground ? 1 : 0;
    }
    if (!log_path && !foreground) {
        if ((rc = mkdir_p(lamina_logdir(), 0750)) < 0) {
            fprintf(stderr, "%s: cannot create %s: %s\n", k->program, lamina_logdir(),
                    strerror(-rc));
            return 1;
        }
        snprintf(default_log, sizeof(default_log), "%s/%s", lamina_logdir(), k->logname);
        log_path = default_log;
    }
    if (log_path) {
        if ((rc = log_open(log_path)) < 0) {
            fprintf(stderr, "%s: cannot open log %s: %s\n", k->program, log_path,
                    strerror(-rc));
            return 1;
        }
        args[nargs++] = "-l";
        args[nargs++] = (char *)log_path;
    }
    args[nargs] = NULL;
    s.signal_fd = backend_signal_fd(true);
    if (s.signal_fd < 0) {
        fprintf(stderr, "%s: cannot set up signals: %s\n", k->program, strerror(-s.signal_fd));
        return 1;
    }
    xs = xs_open(0);
    if (!xs || !xs_watch(xs, s.root, k->type)) {
        fprintf(stderr, "%s: cannot watch %s in xenstored at %s: %s "
                "(is lamina-xenstored running?)\n", k->program, s.root, xs_daemon_socket(),
                strerror(errno));
        return 1;
    }
    if (ftruncate(pid_fd, 0) == 0)
        dprintf(pid_fd, "%d\n", (int)getpid());
    log_info("%s %s serving %s (pid %d)", k->program, PACKAGE_VERSION, s.root, (int)getpid());
    daemon_ready(0);
    rc = supervise(xs, &s);
    xs_close(xs);
    close(s.signal_fd);
    unlink(pid_path);
    close(pid_fd);
    log_info("%s stopped", k->program);
    return rc < 0 ? 1 : 0;
}

bool backend_parse_uint(const char *s, unsigned int max, unsigned int *out)
{
    char *end;
    unsigned long v;

    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno || end == s || *end || v > max || *s == '-')
        return false;
    *out = (unsigned int)v;
    return true;
}

int backend_worker_begin(const struct backend_kind *k, const char *device,
                         const char *log_path, struct backend_worker *w)
{
    char id[32], *slash;
    int rc;

    *w = (struct backend_worker){ .lock = -1, .stop_fd = -1 };
    snprintf(id, sizeof(id), "%s", device);
    slash = strchr(id, '/');
    if (!slash || (*slash = '\0', !backend_parse_uint(id, UINT32_MAX, &w->domid)) ||
        !backend_parse_uint(slash + 1, UINT32_MAX, &w->devid)) {
        fprintf(stderr, "%s: --device wants DOMID/DEVID, e.g. 1/%u\n", k->program,
                strcmp(k->type, "vbd") ? 0 : 51712);
        return 1;
    }
    if (log_path && (rc = log_open(log_path)) < 0) {
        fprintf(stderr, "%s: cannot open log %s: %s\n", k->program, log_path, strerror(-rc));
        return 1;
    }
    if ((rc = mkdir_p(lamina_rundir(), 0700)) < 0) {
        log_err("cannot create %s: %s", lamina_rundir(), strerror(-rc));
        return 1;
    }
    w->lock = backend_lock(k, w->domid, w->devid);
    if (w->lock == -EBUSY) {
        log_info("%s %u/%u: already served by another process", k->type, w->domid, w->devid);
        return 0;
    }
    if (w->lock < 0) {
        log_err("%s %u/%u: cannot take its lock in %s/%s: %s", k->type, w->domid, w->devid,
                lamina_rundir(), k->rundir, strerror(-w->lock));
        return 1;
    }
    w->stop_fd = backend_signal_fd(false);
    w->xs = xs_open(0);
    if (w->stop_fd < 0 || !w->xs) {
        log_err("cannot connect to xenstored at %s: %s (is lamina-xenstored running?)",
                xs_daemon_socket(), strerror(errno));
        backend_worker_end(w);
        return 1;
    }
    log_debug("%s %u/%u: serving (pid %d)", k->type, w->domid, w->devid, (int)getpid());
    return 0;
}

void backend_worker_end(struct backend_worker *w)
{
    if (w->xs)
        xs_close(w->xs);
    if (w->xch)
        xc_interface_close(w->xch);
    if (w->stop_fd >= 0)
        close(w->stop_fd);
    if (w->lock >= 0)
        close(w->lock);
    *w = (struct backend_worker){ .lock = -1, .stop_fd = -1 };
}

int backend_domain_alive(void *arg, uint32_t domid)
{
    struct backend_worker *w = arg;
    xc_domaininfo_t info;

    if (!w->xch)
        w->xch = xc_interface_open(NULL, NULL, 0);
    if (!w->xch)
        return -1;
    if (xc_domain_getinfo_single(w->xch, domid, &info) < 0) {
        if (errno == ESRCH)
            return 0;
        xc_interface_close(w->xch);
        w->xch = NULL;
        return -1;
    }
    return (info.flags & XEN_DOMINF_dying) ? 0 : 1;
}
