/* supervisor.h: lamina-blkback's daemon: watches backend/vbd and runs one worker per device. */
/* SPDX-License-Identifier: MIT */
#ifndef BLKBACK_SUPERVISOR_H
#define BLKBACK_SUPERVISOR_H

#include <stdint.h>

struct xs_handle;

struct supervisor_config {
    const char *self;           /* our executable, to start workers */
    char *const *worker_args;   /* options every worker gets (NULL-terminated) */
    int signal_fd;              /* signalfd: SIGCHLD, SIGTERM, SIGINT, SIGHUP */
};

/*
 * Serve until SIGTERM/SIGINT/SIGHUP: start a worker (`<self> --device
 * <domid>/<devid> <worker_args>`) for every device under
 * /local/domain/0/backend/vbd that no process serves yet, restart workers
 * that crash while their device exists, and on the way out ask every
 * worker to detach. The watch must already be set with token "vbd".
 */
int supervisor_run(struct xs_handle *xs, const struct supervisor_config *cfg);

/*
 * The lock file a worker holds while it serves domid/devid. Returns an fd
 * holding the lock, -EBUSY when another process holds it, or another
 * negative errno.
 */
int vbd_lock(uint32_t domid, uint32_t devid);

#endif /* BLKBACK_SUPERVISOR_H */
