/* test_xs_harness.h: drive lamina-xenstored's engine with in-memory connections in unit tests. */
/* SPDX-License-Identifier: MIT */
#ifndef TEST_XS_HARNESS_H
#define TEST_XS_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xenstore_lib.h>

#include "conn.h"

#define XT_BUF (1u << 20)
#define XT_MAX_EVENTS 4096

/* A fake client: bytes it "sends" wait in in[], what the daemon writes lands in out[]. */
struct tconn {
    struct conn *c;
    unsigned int domid;
    uint8_t *in;
    size_t in_len, in_pos;
    uint8_t *out;
    size_t out_len, out_pos;
    size_t write_room;              /* bytes the client accepts before it "stops reading" */
    bool closed;                    /* the daemon dropped us */
    uint32_t next_req;
    /* Parsed from out[]. */
    unsigned int nevents;
    char *event_path[XT_MAX_EVENTS];
    char *event_token[XT_MAX_EVENTS];
    unsigned int ev_pos;
};

/* A reply. */
struct xmsg {
    struct xsd_sockmsg hdr;
    char body[XENSTORE_PAYLOAD_MAX + 1];
};

struct domain_backend;

void xt_setup(void);
/* xt_setup() with another way to reach domains (the ring tests). */
void xt_setup_backend(const struct domain_backend *backend);
void xt_teardown(void);

struct tconn *xt_dom0(void);
/* Introduce domid (fake backend) and connect a client as that domain. */
struct tconn *xt_domu(unsigned int domid);
/* Queue raw bytes / a message as if the client sent them; does not run the daemon. */
void xt_send_raw(struct tconn *t, const void *bytes, size_t len);
uint32_t xt_send(struct tconn *t, uint32_t type, uint32_t tx, const void *payload, size_t len);
/* Let the daemon handle everything queued, until it is idle. */
void xt_run(void);
/* Next reply (events are collected on the side); false if none. */
bool xt_reply(struct tconn *t, struct xmsg *m);

/*
 * Send one request and return its reply payload as a string: the value,
 * or "E<name>" for an error (e.g. "EACCES"). Payload strings are given as
 * one buffer with embedded NULs and its length. The result is a static
 * buffer, valid until the next call.
 */
const char *xt_req(struct tconn *t, uint32_t type, uint32_t tx, const void *payload, size_t len);
/* Shorthands; strings include their NUL. */
const char *xt_read(struct tconn *t, uint32_t tx, const char *path);
const char *xt_write(struct tconn *t, uint32_t tx, const char *path, const char *value);
const char *xt_mkdir(struct tconn *t, uint32_t tx, const char *path);
const char *xt_rm(struct tconn *t, uint32_t tx, const char *path);
/* DIRECTORY as "a,b,c" (or "E<name>"). */
const char *xt_dir(struct tconn *t, uint32_t tx, const char *path);
/* GET_PERMS as "n0,r5" (or "E<name>"). */
const char *xt_getperms(struct tconn *t, uint32_t tx, const char *path);
/* SET_PERMS from "n0,r5". */
const char *xt_setperms(struct tconn *t, uint32_t tx, const char *path, const char *perms);
const char *xt_watch(struct tconn *t, const char *path, const char *token);
const char *xt_unwatch(struct tconn *t, const char *path, const char *token);
uint32_t xt_txn_start(struct tconn *t);
const char *xt_txn_end(struct tconn *t, uint32_t tx, bool commit);
const char *xt_control(struct tconn *t, const char *cmd, const char *arg);

/* Next collected watch event as "path|token"; NULL when none left. */
const char *xt_event(struct tconn *t);
unsigned int xt_events_pending(struct tconn *t);
void xt_drop_events(struct tconn *t);

/* CONTROL check through a privileged connection: "OK" when consistent. */
const char *xt_check(void);

#endif /* TEST_XS_HARNESS_H */
