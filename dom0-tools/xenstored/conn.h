/* conn.h: client connections: transports, framing, bounded input and output queues. */
/* SPDX-License-Identifier: MIT */
#ifndef XSD_CONN_H
#define XSD_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <xenstore_lib.h>

struct conn;
struct domain;
struct txn;
struct watch;

/*
 * What a transport (UNIX socket, guest ring, a test harness) provides. The
 * core pulls input with read() and pushes output with write(); both are
 * non-blocking and return 0 when nothing can move, a negative errno when
 * the connection failed or was closed by the peer (-EPIPE).
 */
struct transport_ops {
    const char *name;
    ssize_t (*read)(struct conn *c, void *buf, size_t len);
    ssize_t (*write)(struct conn *c, const void *buf, size_t len);
    /* Output is stuck (true) or drained (false): e.g. arm EPOLLOUT. Optional. */
    void (*want_write)(struct conn *c, bool want);
    /* Input is paused because too many replies wait (false) or resumed. Optional. */
    void (*want_read)(struct conn *c, bool want);
    /* End of a batch of reads or writes: e.g. notify the guest. Optional. */
    void (*kick)(struct conn *c);
    /* The client broke the framing (the connection is being closed). Optional. */
    void (*protocol_error)(struct conn *c);
    /* The connection is going away: release the transport's resources. */
    void (*close)(struct conn *c);
};

#define XS_HDR_SIZE sizeof(struct xsd_sockmsg)
#define CONN_IN_BUF (2 * (XS_HDR_SIZE + XENSTORE_PAYLOAD_MAX))
/* Messages handled per connection before others get their turn. */
#define CONN_BUDGET 32
/* Privileged connections are exempt from quotas but not from these memory bounds. */
#define PRIV_OUTSTANDING 1024u
#define PRIV_OUT_BYTES (16u << 20)
/* No target domain (SET_TARGET). */
#define NO_TARGET UINT32_MAX

struct out_msg;

struct conn {
    struct conn *next;              /* all connections */
    struct conn *prev;
    struct conn *work_next;         /* connections with work for conns_run() */
    bool on_work;
    const struct transport_ops *ops;
    void *priv;                     /* the transport's */
    unsigned int serial;            /* for logs */
    unsigned int domid;
    unsigned int target;
    bool privileged;
    bool closing;
    struct domain *domain;          /* set for a domain's connection */
    /* Input: bytes read but not yet handled live in in[in_start, in_len). */
    size_t in_start;
    size_t in_len;
    bool input_pending;             /* handle more input in the next round */
    bool throttled;                 /* too many replies queued: input paused */
    /* Output queue. */
    struct out_msg *out_head;
    struct out_msg **out_tail;
    struct out_msg *out_last;
    unsigned int out_replies;
    unsigned int out_events;
    size_t out_bytes;
    bool write_blocked;
    /* conn_service() sends one kick for its reads and writes together. */
    bool defer_kick;
    bool kick_owed;
    /* Watches and transactions (watch.c, proto.c). */
    struct watch *watches;
    unsigned int nwatches;
    struct txn *txns;
    unsigned int ntxns;
    uint32_t next_txn_id;
    uint64_t nrequests;
    char in[CONN_IN_BUF];
};

struct conn *conn_new(const struct transport_ops *ops, void *priv, unsigned int domid,
                      bool privileged);
/* Stop serving c; it is freed by conns_run(). reason goes to the log. */
void conn_close(struct conn *c, const char *reason);
/* Drop c's watches and transactions (RESET_WATCHES, a re-introduced domain). */
void conn_reset(struct conn *c);
/* Read and handle what c's transport has, up to CONN_BUDGET messages. */
void conn_input(struct conn *c);
/* Push queued output to the transport. */
void conn_output(struct conn *c);
/*
 * conn_input() then conn_output(), with one kick for both: a guest's
 * request and its reply then cost it one event, not two.
 */
void conn_service(struct conn *c);

/* Queue a reply to req: data is the payload; -E2BIG if it would be too long. */
int conn_reply(struct conn *c, const struct xsd_sockmsg *req, uint32_t type, const void *data,
               size_t len);
int conn_reply2(struct conn *c, const struct xsd_sockmsg *req, uint32_t type, const void *a,
                size_t alen, const void *b, size_t blen);
void conn_reply_error(struct conn *c, const struct xsd_sockmsg *req, int err);
void conn_reply_ok(struct conn *c, const struct xsd_sockmsg *req);
/* Queue a watch event; drops the connection past its event limit. */
void conn_send_event(struct conn *c, const char *path, const char *token);

/* The XS_PERM_* a connection has on a node with these permissions. */
unsigned int conn_perm(const struct conn *c, const struct xs_permissions *perms,
                       unsigned int nperms);

/* Run pending work: leftover input, output, closed connections. */
void conns_run(void);
/* Whether conns_run() has work left (the event loop should not sleep). */
bool conns_busy(void);
/* Close and free every connection. */
void conns_fini(void);
unsigned int conns_count(void);
struct conn *conns_first(void);

#endif /* XSD_CONN_H */
