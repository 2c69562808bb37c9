/* daemon.h: starting Lamina's daemons: detaching with a readiness report. */
/* SPDX-License-Identifier: MIT */
#ifndef __LAMINA_DAEMON_H__
#define __LAMINA_DAEMON_H__

#include <sys/types.h>

/*
 * Every Lamina daemon starts the same way, so that whoever launches one
 * (the CLI, a test, an init script) can use it as soon as the command
 * returns: daemon_detach() forks; the parent waits and exits 0 once the
 * child calls daemon_ready(0) (its socket accepts connections), or 1 if the
 * child reports failure or dies first.  The child's messages until then go
 * to the launcher's stderr; after daemon_ready(0) stdio is /dev/null.
 */
int daemon_detach(void);
void daemon_ready(int rc);

/* mkdir -p with the given mode for the directories it creates. */
int mkdir_p(const char *path, mode_t mode);

/* Write our pid to path ("%d\n"). */
int write_pid_file(const char *path);

#endif /* __LAMINA_DAEMON_H__ */
