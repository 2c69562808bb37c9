/* xenbus.h: the backend half of a split device's xenbus handshake (blkback, netback). */
/* SPDX-License-Identifier: MIT */
#ifndef LAMINA_BACKEND_XENBUS_H
#define LAMINA_BACKEND_XENBUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xenstore.h>
#include <xen/io/xenbus.h>

/*
 * The state machine, as Linux's backends run it and its frontends expect:
 *
 *   toolstack writes backend + frontend directories, both Initialising
 *   we open what serves the device (open), publish our
 *   features (write_features) and hotplug-status      -> InitWait
 *   frontend publishes ring refs, event channels       -> Initialised
 *   (netfront goes straight to Connected)
 *   we map the rings and start serving (connect)       -> Connected
 *   either side (or the toolstack, on our node) asks   -> Closing
 *   frontend Closed: we unmap everything (disconnect)  -> Closed
 *   and finish if the toolstack set online = 0, else wait for the
 *   frontend to come back (Initialising -> InitWait again).
 *
 * Every watch event re-reads the states and acts on what they are now
 * ("level-triggered"), so missed intermediate states do no harm. A device
 * found Connected with its frontend Initialised or Connected (a backend
 * before us served it) is resumed on the same rings. All frontend nodes
 * are guest-written: read with the checked helpers below, never trusted.
 */

enum xb_result {
    XB_FINISHED = 0,    /* removed, closed off-line, or its domain died */
    XB_FAILED = 1,      /* cannot be served (bad configuration, backing store, link) */
    XB_DETACHED = 2,    /* stop_fd: left as it is for the next backend to resume */
};

struct xb_dev;

/* What a kind of device adds to the handshake. */
struct xb_ops {
    /*
     * Open what serves the device from the toolstack's keys. 0; -EAGAIN
     * while the toolstack has not written them yet (called again on the
     * next event); or another negative errno after xb_config_error().
     */
    int (*open)(struct xb_dev *d);
    /* The keys published with InitWait (feature-*), in transaction t. */
    bool (*write_features)(struct xb_dev *d, xs_transaction_t t);
    /* More keys published with Connected (a disk's geometry), in t; may be NULL. */
    bool (*write_connected)(struct xb_dev *d, xs_transaction_t t);
    /*
     * Map the frontend's rings and serve them; resume: they are live
     * already and the state stays Connected. Ends with xb_connected(), or
     * with xb_fatal().
     */
    void (*connect)(struct xb_dev *d, bool resume);
    /* Stop serving the rings and unmap them; nothing to do when not connected. */
    void (*disconnect)(struct xb_dev *d);
    /* xb_signal_broken() was called: find the broken queue and xb_fatal(). */
    void (*broken)(struct xb_dev *d);
    /* Release what open() took (called at the end whether or not it ran or worked). */
    void (*close)(struct xb_dev *d);
};

struct xb_dev {
    const struct xb_ops *ops;
    struct xs_handle *xs;
    /* 1: the domain lives, 0: it is dead or dying, < 0: cannot tell. */
    int (*domain_alive)(void *arg, uint32_t domid);
    void *alive_arg;
    int stop_fd;                /* readable: detach and return */
    uint32_t domid, devid;
    char be[96];                /* /local/domain/0/backend/<type>/<domid>/<devid> */
    char fe[128];               /* the frontend's directory, once checked */
    char name[40];              /* "<type> <domid>/<devid>", for messages */
    XenbusState state;          /* ours, as last written */
    bool fe_seen;               /* the frontend had a state once */
    bool fe_watched;
    bool opened;
    bool done;
    int broken_fd;
    enum xb_result result;
};

/* Name a device of the given type (`vbd`, `vif`) and its environment. */
void xb_dev_init(struct xb_dev *d, const struct xb_ops *ops, const char *type,
                 struct xs_handle *xs, uint32_t domid, uint32_t devid, int stop_fd,
                 int (*domain_alive)(void *arg, uint32_t domid), void *alive_arg);

/*
 * Serve the device until it finishes, fails, or stop_fd becomes readable.
 * On start it is taken as it stands in xenstore.
 */
enum xb_result xb_serve(struct xb_dev *d);

/* --- for the ops --- */

/* Close the device with an error: log it, write error/<be>/error, disconnect, Closing. */
void xb_fatal(struct xb_dev *d, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Refuse the configuration: xb_fatal(), hotplug-error and hotplug-status = error, fail. */
void xb_config_error(struct xb_dev *d, int err, const char *msg);
/* The rings are served: switch to Connected unless resuming. False if that failed. */
bool xb_connected(struct xb_dev *d, bool resume);
/* From any thread: a queue found the frontend breaking the protocol (ops->broken follows). */
void xb_signal_broken(struct xb_dev *d);

/* <dir>/<key> as a new string, NULL when missing. */
char *xb_read(const struct xb_dev *d, const char *dir, const char *key);
/* 0 and *out, -ENOENT when missing, -EINVAL when not decimal digits up to max. */
int xb_read_uint(const struct xb_dev *d, const char *dir, const char *key,
                 unsigned long long max, unsigned long long *out);
/* A frontend's feature flag: present and non-zero. */
bool xb_fe_feature(const struct xb_dev *d, const char *key);
/* Write <dir>/<key> (in t, or XBT_NULL). */
bool xb_write(const struct xb_dev *d, xs_transaction_t t, const char *dir, const char *key,
              const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/*
 * Run fn in a transaction on the backend directory, retrying conflicts.
 * Nothing is written once the toolstack has removed the device (ENOENT):
 * it is never re-created.
 */
bool xb_in_transaction(struct xb_dev *d, bool (*fn)(struct xb_dev *d, xs_transaction_t t,
                                                     int arg), int arg);

const char *xb_state_name(int s);
/* A guest- or toolstack-written string made safe for one log line. */
const char *xb_printable(const char *s, char *buf, size_t size);
/* Decimal digits only, at most max. */
bool xb_parse_uint(const char *s, unsigned long long max, unsigned long long *out);

#endif /* LAMINA_BACKEND_XENBUS_H */
