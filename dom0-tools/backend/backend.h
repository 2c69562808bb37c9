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

/*
 * SIGTERM, SIGINT and SIGHUP (and SIGCHLD with children) blocked and
 * delivered on a non-blocking signalfd; SIGPIPE ignored. -errno on failure.
 */
int backend_signal_fd(bool children);

#endif /* LAMINA_BACKEND_H */
