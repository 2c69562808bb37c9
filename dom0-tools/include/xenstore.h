/* xenstore.h: libxenstore-compatible client API for lamina-xenstored. */
/* SPDX-License-Identifier: MIT */
#ifndef __LAMINA_XENSTORE_H__
#define __LAMINA_XENSTORE_H__

/*
 * The subset of Xen 4.17's xenstore.h that Lamina implements, with the same
 * names, types and signatures. A handle talks to the daemon over its UNIX
 * socket (see xs_daemon_socket() in <xenstore_lib.h>); dom0 programs are
 * the only users, so there is no /dev/xen/xenbus fallback.
 *
 * Calls return true / a pointer to free() on success and false / NULL with
 * errno set on failure; the daemon's errors arrive as their errno values
 * (ENOENT, EACCES, EAGAIN for a transaction that must be retried, ...).
 *
 * Handles are thread-safe: requests from several threads are serialised,
 * and watch events that arrive while a thread waits for its reply are
 * queued for xs_read_watch(). The first xs_watch() (or xs_fileno()) starts
 * one reader thread per handle, as Xen's library does, so that the
 * descriptor from xs_fileno() becomes readable exactly when an event is
 * queued.
 */

#include <stdbool.h>
#include <stdint.h>
#include <xenstore_lib.h>

#ifdef __cplusplus
extern "C" {
#endif

#define XBT_NULL 0

/* xs_open() flags: READONLY and SOCKETONLY are accepted and change nothing. */
#define XS_OPEN_READONLY (1UL << 0)
#define XS_OPEN_SOCKETONLY (1UL << 1)
/* Drop queued events of a watch when it is removed with xs_unwatch(). */
#define XS_UNWATCH_FILTER (1UL << 2)

struct xs_handle;
typedef uint32_t xs_transaction_t;

struct xs_handle *xs_open(unsigned long flags);
void xs_close(struct xs_handle *xsh);

/* Older names of xs_open(0) / xs_open(XS_OPEN_READONLY) / xs_close(). */
struct xs_handle *xs_daemon_open(void);
struct xs_handle *xs_daemon_open_readonly(void);
struct xs_handle *xs_domain_open(void);
void xs_daemon_close(struct xs_handle *h);
/* In a child after fork(): free the parent's handle without touching its thread or socket. */
void xs_daemon_destroy_postfork(struct xs_handle *h);

/* Obsolete in Xen too (the daemon dropped XS_RESTRICT): fails with ENOSYS. */
bool xs_restrict(struct xs_handle *h, unsigned domid);

/* Children of path: one malloc'ed block, *num entries. */
char **xs_directory(struct xs_handle *h, xs_transaction_t t, const char *path, unsigned int *num);

/* Value of path, NUL-terminated for convenience; *len (may be NULL) excludes the NUL. */
void *xs_read(struct xs_handle *h, xs_transaction_t t, const char *path, unsigned int *len);

bool xs_write(struct xs_handle *h, xs_transaction_t t, const char *path, const void *data,
              unsigned int len);
bool xs_mkdir(struct xs_handle *h, xs_transaction_t t, const char *path);
bool xs_rm(struct xs_handle *h, xs_transaction_t t, const char *path);

struct xs_permissions *xs_get_permissions(struct xs_handle *h, xs_transaction_t t,
                                          const char *path, unsigned int *num);
bool xs_set_permissions(struct xs_handle *h, xs_transaction_t t, const char *path,
                        struct xs_permissions *perms, unsigned int num_perms);

/*
 * Watches: the daemon sends one event when the watch is set up and one
 * per change at or below path. xs_read_watch() blocks for the next event
 * and returns a vector indexed by XS_WATCH_PATH / XS_WATCH_TOKEN (*num is
 * set to 2); xs_check_watch() returns NULL with errno EAGAIN when no event
 * is queued. Free the vector with free().
 */
bool xs_watch(struct xs_handle *h, const char *path, const char *token);
bool xs_unwatch(struct xs_handle *h, const char *path, const char *token);
int xs_fileno(struct xs_handle *h);
char **xs_check_watch(struct xs_handle *h);
char **xs_read_watch(struct xs_handle *h, unsigned int *num);

/* XBT_NULL on failure; ending with abort=false fails with EAGAIN on a conflict. */
xs_transaction_t xs_transaction_start(struct xs_handle *h);
bool xs_transaction_end(struct xs_handle *h, xs_transaction_t t, bool abort);

/* Domain management (privileged callers only). */
bool xs_introduce_domain(struct xs_handle *h, unsigned int domid, unsigned long mfn,
                         unsigned int eventchn);
bool xs_set_target(struct xs_handle *h, unsigned int domid, unsigned int target);
bool xs_resume_domain(struct xs_handle *h, unsigned int domid);
bool xs_release_domain(struct xs_handle *h, unsigned int domid);
bool xs_is_domain_introduced(struct xs_handle *h, unsigned int domid);
char *xs_get_domain_path(struct xs_handle *h, unsigned int domid);

/*
 * The guest's suspend event channel from
 * /local/domain/<domid>/device/suspend/event-channel (its own connection),
 * or -1.
 */
int xs_suspend_evtchn_port(int domid);

/* Whether child is parent or lies below it. */
bool xs_path_is_subpath(const char *parent, const char *child);

/*
 * A daemon-specific CONTROL command (see lamina-xenstored(8)); data holds
 * len bytes of NUL-separated arguments. Returns the daemon's answer.
 */
char *xs_control_command(struct xs_handle *h, const char *cmd, void *data, unsigned int len);
char *xs_debug_command(struct xs_handle *h, const char *cmd, void *data, unsigned int len);

#ifdef __cplusplus
}
#endif

#endif /* __LAMINA_XENSTORE_H__ */
