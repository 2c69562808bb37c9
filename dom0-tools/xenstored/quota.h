/* quota.h: per-domain limits of lamina-xenstored and where they come from. */
/* SPDX-License-Identifier: MIT */
#ifndef XSD_QUOTA_H
#define XSD_QUOTA_H

#include <stdio.h>

/*
 * Limits applied to unprivileged (guest) connections; dom0 is exempt, as
 * with Xen's xenstored. Names are those of `--quota NAME=VALUE`, of the
 * configuration file and of CONTROL quota.
 */
enum quota_id {
    Q_NODES,            /* nodes a domain owns: ENOSPC */
    Q_NODE_SIZE,        /* bytes of value + children names + 8 per permission: ENOSPC */
    Q_WATCHES,          /* watches per domain: E2BIG */
    Q_TRANSACTIONS,     /* open transactions per domain: ENOSPC */
    Q_PERMS,            /* permission entries per node: ENOSPC */
    Q_PATH_LENGTH,      /* path length below /local/domain/<id>/: EINVAL */
    Q_DEPTH,            /* path components: EINVAL */
    Q_TXN_NODES,        /* nodes one transaction may touch: ENOSPC */
    Q_OUTSTANDING,      /* unanswered requests before input is paused */
    Q_WATCH_EVENTS,     /* queued watch events before the connection is dropped */
    Q_COUNT
};

extern unsigned int quota[Q_COUNT];

void quota_defaults(void);
const char *quota_name(enum quota_id q);
const char *quota_help(enum quota_id q);

/* Set one quota from its name and a decimal value: -ENOENT (unknown name) or -EINVAL. */
int quota_set(const char *name, const char *value);

/* "NAME=VALUE" as given to --quota. */
int quota_set_assignment(const char *assignment);

/*
 * Read "NAME = VALUE" lines ('#' starts a comment). Problems are reported
 * on err with the file name and line, and fail the whole load with -EINVAL
 * (nothing is changed); a missing file is -ENOENT.
 */
int quota_load_file(const char *path, FILE *err);

#endif /* XSD_QUOTA_H */
