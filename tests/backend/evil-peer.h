/* evil-peer.h: what the dom0 test programs that play a lying backend share. */
/* SPDX-License-Identifier: MIT */
#ifndef LAMINA_TEST_EVIL_PEER_H
#define LAMINA_TEST_EVIL_PEER_H

#include <stdbool.h>
#include <stdint.h>

#include <xenevtchn.h>
#include <xengnttab.h>
#include <xenstore.h>

/* A backend in dom0 for one guest, on lamina-hv and lamina-xenstored. */
struct evil_peer {
    const char *prog;           /* for messages */
    struct xs_handle *xs;
    xengnttab_handle *gt;
    xenevtchn_handle *xce;
    uint32_t domid;             /* the guest's */
    char be[128], fe[128];      /* the device's directories, once made */
    int failures;
};

/* `prog DOMID`: connect everything. 0, or the exit status after a message. */
int evil_peer_open(struct evil_peer *p, const char *prog, int argc, char **argv);
/* Disconnect; the process's exit status (1 when anything failed). */
int evil_peer_close(struct evil_peer *p);

/* A failed check, printed as "<prog>: FAIL ..." and counted. */
void evil_fail(struct evil_peer *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void evil_sleep_ms(long ms);
/* Write <dir>/<key> (in t, or XBT_NULL). */
bool evil_put(struct evil_peer *p, xs_transaction_t t, const char *dir, const char *key,
              const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/*
 * Make a device's two directories as the toolstack would, in one
 * transaction: /local/domain/0/backend/<be_kind>/<domid>/<devid> and
 * /local/domain/<domid>/device/<fe_kind>/<devid> (in p->be and p->fe), each
 * owned by its side and readable by the other, linked to each other. The
 * caller adds its own keys in *t, then ends it with evil_device_end().
 */
bool evil_device_begin(struct evil_peer *p, const char *be_kind, const char *fe_kind,
                       uint32_t devid, xs_transaction_t *t);
/* Commit (ok) or abort the transaction; whether the device now exists. */
bool evil_device_end(struct evil_peer *p, xs_transaction_t t, bool ok);
/* Remove both directories. */
void evil_device_remove(struct evil_peer *p);
/* <dir>/<key> as a number; dflt when missing or not a number. */
long evil_get(struct evil_peer *p, const char *dir, const char *key, long dflt);
/*
 * Wait up to ms for the frontend's state to be one of mask's bits: that
 * state, -1 when its directory is gone, -ETIMEDOUT.
 */
int evil_wait_frontend(struct evil_peer *p, unsigned int mask, int ms);

#endif /* LAMINA_TEST_EVIL_PEER_H */
