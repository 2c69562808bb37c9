/* xc_private.h: internals shared by the control library's source files. */
/* SPDX-License-Identifier: MIT */
#ifndef __LAMINA_XC_PRIVATE_H__
#define __LAMINA_XC_PRIVATE_H__

#include <stddef.h>
#include <stdint.h>

#include <lamina/control.h>
#include <lamina/ctl-wire.h>
#include <lamina_ctrl.h>
#include <xenctrl.h>

/* One queued event packet. */
struct xc_evq_entry {
    struct xc_evq_entry *next;
    struct lamina_ctl_msg msg;  /* descriptors already closed; hdr.nfds kept */
};

struct xc_interface_core {
    int sock;                   /* -1 for a XC_OPENFLAG_DUMMY handle */
    int dead;                   /* errno that made the connection unusable, or 0 */
    uint32_t seq;               /* of the last request sent */
    int reply_timeout_ms;
    struct lamina_ctl_hello_reply hello;
    xc_error last_error;
    char hv_message[256];       /* what lamina-hv said about the last failed request */

    struct xc_evq_entry *evq_head;
    struct xc_evq_entry *evq_tail;
    unsigned int evq_count;
    size_t evq_bytes;           /* payload bytes queued */
    uint64_t lost_domain;       /* dropped since the last LAMINA_EVENT_LOST */
    uint64_t lost_console;
    uint64_t lost_bytes;        /* console data bytes in the dropped events */
    struct lamina_ctl_msg delivered; /* backs the event handed out last */
};

/* A request: a fixed part and an optional variable tail, sent as one packet. */
struct xc_request {
    uint16_t op;
    const void *fixed;
    size_t fixed_len;
    const void *tail;
    size_t tail_len;
    const int *fds;
    unsigned int nfds;
    unsigned int max_reply_fds; /* descriptors a successful reply may carry */
};

/*
 * Send a request and wait for its reply, queueing events that arrive in
 * between.  On 0, *reply holds a reply with status 0 and at most
 * req->max_reply_fds descriptors, to release with lamina_ctl_msg_release().  Otherwise a negative errno:
 * the hypervisor's status, or a transport/protocol failure.
 */
int xc__call(xc_interface *xch, const struct xc_request *req, struct lamina_ctl_msg *reply);

/* xc__call for operations whose reply has no payload. */
int xc__call_simple(xc_interface *xch, uint16_t op, const void *fixed, size_t fixed_len);

/*
 * Record a failure (rc: negative errno) as "<message>: <reason>", where the
 * reason is lamina-hv's own explanation when its error reply carried one,
 * else strerror().  Sets errno, returns -1.
 */
int xc__fail(xc_interface *xch, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Clear the last error at the start of a public call. */
void xc__begin(xc_interface *xch);

/* Queue an event packet (taking ownership of it) or count it as lost. */
void xc__evq_push(xc_interface *xch, struct lamina_ctl_msg *msg);

/* Raw getinfo: up to max wire records with domid >= first, validated. */
int xc__getinfo(xc_interface *xch, uint32_t first, unsigned int max,
                struct lamina_ctl_dominfo *out);

/* Largest record count one GETINFO reply can carry. */
#define XC_GETINFO_CHUNK \
    ((LAMINA_CTL_MAX_PAYLOAD - sizeof(struct lamina_ctl_getinfo_reply)) / \
     sizeof(struct lamina_ctl_dominfo))

/* Domain ids a domain can have, as in Xen (DOMID_FIRST_RESERVED). */
#define XC_DOMID_LIMIT 0x7ff0u

#endif /* __LAMINA_XC_PRIVATE_H__ */
