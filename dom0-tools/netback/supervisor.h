/* supervisor.h: lamina-netback's daemon: watches backend/vif and runs one worker per vif. */
/* SPDX-License-Identifier: MIT */
#ifndef NETBACK_SUPERVISOR_H
#define NETBACK_SUPERVISOR_H

#include <stdint.h>

struct xs_handle;

struct supervisor_config {
    const char *self;           /* our executable, to start workers */
    char *const *worker_args;   /* options every worker gets (NULL-terminated) */
    int signal_fd;              /* signalfd: SIGCHLD, SIGTERM, SIGINT, SIGHUP */
};

/*
 * Serve until SIGTERM/SIGINT/SIGHUP: start a worker (`<self> --device
 * <domid>/<devid> <worker_args>`) for every vif under
 * /local/domain/0/backend/vif that no process serves yet, restart workers
 * that crash while their vif exists, and on the way out ask every worker
 * to detach. The watch must already be set with token "vif".
 */
int supervisor_run(struct xs_handle *xs, const struct supervisor_config *cfg);

/*
 * The lock file a worker holds while it serves domid/devid. Returns an fd
 * holding the lock, -EBUSY when another process holds it, or another
 * negative errno.
 */
int vif_lock(uint32_t domid, uint32_t devid);

#endif /* NETBACK_SUPERVISOR_H */
