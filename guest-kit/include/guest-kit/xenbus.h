/* xenbus.h: xenstore from a guest: requests, watches, transactions, device handshakes. */
/* SPDX-License-Identifier: MIT */
#ifndef GUEST_KIT_XENBUS_H
#define GUEST_KIT_XENBUS_H

/*
 * The guest's xenstore connection is the ring page and event channel the
 * toolstack gave it (HVM_PARAM_STORE_PFN/STORE_EVTCHN).  Calls block until
 * xenstored answers (at most GK_XS_TIMEOUT_NS) and return 0 or a length, or
 * a negative errno: xenstored's own errors (-ENOENT, -EACCES, -EAGAIN for a
 * conflicting transaction, ...) or -ETIMEDOUT / -ENOTCONN.  Paths may be
 * absolute or relative to the domain's /local/domain/<id>.
 *
 * Watch callbacks never run inside another xenbus call or an event
 * handler: they run from gk_xenbus_dispatch(), which guest-kit also calls
 * on vCPU 0 each time the program waits (gk_block(), and so
 * gk_wait_event(), gk_sleep(), ...). A callback may itself use xenbus;
 * the program must not hold a lock across a wait that a callback takes.
 *
 * guest-kit connects on the first xenbus call, or when vCPU 0 first waits
 * (gk_block()), and then watches control/shutdown, as Linux does:
 * "poweroff"/"halt" and "reboot" from `lamina shutdown`/`reboot` shut the
 * domain down, or call the hook set with gk_xenbus_on_shutdown(). A
 * program that never waits and never uses xenbus does not see them.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xen/io/xenbus.h>

typedef uint32_t gk_xs_transaction_t;
#define GK_XBT_NIL          0u
#define GK_XS_TIMEOUT_NS    (10ull * 1000000000ull)

/* Connect now: 0, -ENODEV (the domain has no xenstore) or -ENOTCONN. */
int gk_xenbus_init(void);
/* Connected (connecting first if that was not tried yet). */
bool gk_xenbus_connected(void);

/* Read a node into buf (always NUL-terminated); returns the value's length. */
int gk_xs_read(gk_xs_transaction_t t, const char *path, char *buf, size_t size);
int gk_xs_read_long(gk_xs_transaction_t t, const char *path, long *value);
int gk_xs_write(gk_xs_transaction_t t, const char *path, const char *value);
int gk_xs_printf(gk_xs_transaction_t t, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int gk_xs_mkdir(gk_xs_transaction_t t, const char *path);
int gk_xs_rm(gk_xs_transaction_t t, const char *path);
/*
 * A node's children: *names is one malloc'd block of NUL-separated names,
 * *count of them (free(*names) when done).
 */
int gk_xs_directory(gk_xs_transaction_t t, const char *path, char **names, unsigned int *count);

int gk_xs_transaction_start(gk_xs_transaction_t *t);
/* Commit (abort false: -EAGAIN means "conflict, start again") or abort. */
int gk_xs_transaction_end(gk_xs_transaction_t t, bool abort);

typedef void gk_xs_watch_fn(const char *path, const char *token, void *arg);
/* Watch path and everything below it; the callback first runs once at once. */
int gk_xs_watch(const char *path, const char *token, gk_xs_watch_fn *fn, void *arg);
int gk_xs_unwatch(const char *path, const char *token);

/* Run the watch callbacks whose events have arrived. */
void gk_xenbus_dispatch(void);

/* Split-driver handshakes: <dir>/state of a frontend or backend. */
enum xenbus_state gk_xenbus_read_state(const char *dir);
/*
 * Write <dir>/state, only while <dir> exists (in a transaction): a device
 * the toolstack removed must not be re-created by a stray write. -ENOENT
 * when it is gone.
 */
int gk_xenbus_switch_state(const char *dir, enum xenbus_state state);
/* Wait (watching <dir>/state) until the state is one in mask (1 << state bits). */
int gk_xenbus_wait_state(const char *dir, unsigned int mask, uint64_t timeout_ns,
                         enum xenbus_state *now);

/*
 * For frontends: <dir>/<key> as an unsigned decimal number of at most max
 * (the other end writes it: digits only). 0, -ENOENT or -EINVAL.
 */
int gk_xenbus_read_uint(const char *dir, const char *key, uint64_t max, uint64_t *out);
/* A feature flag or limit the other end may leave out: dflt when missing or garbage. */
uint64_t gk_xenbus_read_feature(const char *dir, const char *key, uint64_t max,
                                uint64_t dflt);
/*
 * The ids of device/<type> (e.g. "vbd"), ascending, at most max of them
 * stored; returns how many there are, or a negative errno.
 */
int gk_xenbus_list_devices(const char *type, uint32_t *ids, unsigned int max);
/*
 * The frontend <fe>'s backend: <fe>/backend (an absolute path, stored in
 * be with room left for its keys) and <fe>/backend-id. 0; -ENODEV when the
 * toolstack has not written them; -EINVAL when they are malformed.
 */
int gk_xenbus_read_backend(const char *fe, char *be, size_t size, uint16_t *backend_id);

/*
 * A frontend's first step: <fe> back to Initialising if an earlier
 * connection left it Closed, then wait for the backend at <be> to be ready:
 * InitWait, or Connected (still serving an earlier connection's rings).
 * 0 with *now the backend's state; -EBUSY when <fe> is connected already;
 * -ENODEV when the backend closes or its state is gone or garbage (no use
 * waiting); -ETIMEDOUT.
 */
int gk_xenbus_frontend_start(const char *fe, const char *be, uint64_t timeout_ns,
                             enum xenbus_state *now);
/*
 * After publishing its rings: wait for the backend's Connected. 0; -ENODEV
 * when it closes instead or its state goes bad (*now says which); -ETIMEDOUT.
 */
int gk_xenbus_frontend_wait_connected(const char *be, uint64_t timeout_ns,
                                      enum xenbus_state *now);

/* Devices of one type coming and going (hotplug). */
#define GK_XENBUS_HOTPLUG_MAX 64
typedef void gk_xenbus_device_fn(uint32_t devid, bool present, void *arg);
struct gk_xenbus_hotplug {
    const char *type;           /* set before the first call: "vbd", "vif" */
    gk_xenbus_device_fn *fn;
    void *arg;
    bool watching;
    uint32_t ids[GK_XENBUS_HOTPLUG_MAX];
    unsigned int n;
    char dir[32], token[40];
};
/*
 * Call fn(devid, true, arg) for each device of hp->type there now, and
 * later for each one attached (true) or detached (false), from
 * gk_xenbus_dispatch(). fn NULL stops watching.
 */
int gk_xenbus_watch_devices(struct gk_xenbus_hotplug *hp, gk_xenbus_device_fn *fn, void *arg);

/* What to do on a control/shutdown request ("poweroff", "reboot"). */
typedef void gk_shutdown_hook_fn(const char *request, void *arg);
void gk_xenbus_on_shutdown(gk_shutdown_hook_fn *fn, void *arg);

#endif /* GUEST_KIT_XENBUS_H */
