/* backend.h: the daemon lamina-blkback and lamina-netback share: a worker process per device. */
/* SPDX-License-Identifier: MIT */
#ifndef LAMINA_BACKEND_H
#define LAMINA_BACKEND_H

#include <stdbool.h>
#include <stdint.h>

/* A kind of split device and the backend program that serves it. */
struct backend_kind {
    const char *program;        /* "lamina-blkback": messages and the pid file */
    const char *type;           /* "vbd": /local/domain/0/backend/<type>, messages, locks */
    const char *rundir;         /* "blkback": lock files in $LAMINA_RUNDIR/<rundir> */
    const char *logname;        /* "blkback.log": the daemon's log in $LAMINA_LOGDIR */
    int finished, failed;       /* worker exit statuses that are not crashes */
};

/*
 * Run the daemon: detach (unless foreground), take the pid file (a second
 * daemon reports success and exits: starting on demand is idempotent),
 * open the log (log_path, else the default unless foreground), watch
 * /local/domain/0/backend/<type> and serve until SIGTERM/SIGINT/SIGHUP:
 * start `<self> --device <domid>/<devid> <worker_args> [-l LOG]` for
 * every device no process serves yet, restart workers that crash while
 * their device exists (5 times a minute at most), and on the way out ask
 * every worker to detach. Returns the process's exit status.
 */
int backend_daemon_run(const struct backend_kind *k, bool foreground, const char *log_path,
                       char *const *worker_args);

/*
 * The lock file a worker holds while it serves domid/devid. Returns an fd
 * holding the lock, -EBUSY when another process holds it, or another
 * negative errno.
 */
int backend_lock(const struct backend_kind *k, uint32_t domid, uint32_t devid);

/* What a worker (`--device DOMID/DEVID`) holds while it serves its device. */
struct backend_worker {
    uint32_t domid, devid;
    int lock;                   /* backend_lock()'s descriptor */
    int stop_fd;                /* backend_signal_fd(false) */
    struct xs_handle *xs;
    struct xc_interface_core *xch;  /* for backend_domain_alive(), opened when first needed */
};

/*
 * Set up a worker for `device` ("DOMID/DEVID"): log to log_path (if any),
 * take the device's lock, connect to xenstored. Returns 0 when ready to
 * serve; otherwise the process's exit status: 0 when another process
 * serves the device already, 1 on errors (reported).
 */
int backend_worker_begin(const struct backend_kind *k, const char *device,
                         const char *log_path, struct backend_worker *w);
/* Release what backend_worker_begin() took. */
void backend_worker_end(struct backend_worker *w);
/*
 * For a device's domain_alive hook, with arg a struct backend_worker: 1 the
 * domain lives, 0 it is dead or dying, -1 cannot tell (lamina-hv may start
 * after us: connects when first needed, and again after a broken connection).
 */
int backend_domain_alive(void *arg, uint32_t domid);

/* A decimal option value up to max; false for anything else (signs, junk, overflow). */
bool backend_parse_uint(const char *s, unsigned int max, unsigned int *out);

/*
 * SIGTERM, SIGINT and SIGHUP (and SIGCHLD with children) blocked and
 * delivered on a non-blocking signalfd; SIGPIPE ignored. -errno on failure.
 */
int backend_signal_fd(bool children);

#endif /* LAMINA_BACKEND_H */
