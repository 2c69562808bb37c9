/* xc_core.c: the control library's connection, request/reply matching and error reporting. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "xc_private.h"

#define XC_DEFAULT_REPLY_TIMEOUT_MS 60000

/* Largest errno a reply status may carry, as in Linux's MAX_ERRNO. */
#define XC_MAX_ERRNO 4095

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds left until deadline (-1: no deadline), never negative. */
static int remaining_ms(int64_t deadline)
{
    int64_t left;

    if (deadline < 0)
        return -1;
    left = deadline - now_ms();
    if (left < 0)
        return 0;
    return left > INT32_MAX ? INT32_MAX : (int)left;
}

static int64_t deadline_after(int timeout_ms)
{
    return timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
}

/* Wait for the socket to become readable: 1, 0 on timeout, or -errno. */
static int wait_readable(int sock, int64_t deadline)
{
    for (;;) {
        struct pollfd pfd = { .fd = sock, .events = POLLIN };
        int n = poll(&pfd, 1, remaining_ms(deadline));

        if (n > 0)
            return 1;
        if (n == 0)
            return 0;
        if (errno != EINTR)
            return -errno;
    }
}

void xc__begin(xc_interface *xch)
{
    xch->last_error.code = XC_ERROR_NONE;
    xch->last_error.message[0] = '\0';
    xch->hv_message[0] = '\0';
}

int xc__fail(xc_interface *xch, int rc, const char *fmt, ...)
{
    int err = rc < 0 ? -rc : EIO;
    size_t used;
    va_list ap;

    switch (err) {
    case EINVAL:
        xch->last_error.code = XC_INVALID_PARAM;
        break;
    case ENOMEM:
        xch->last_error.code = XC_OUT_OF_MEMORY;
        break;
    case ENOEXEC:
        xch->last_error.code = XC_INVALID_KERNEL;
        break;
    default:
        xch->last_error.code = XC_INTERNAL_ERROR;
        break;
    }
    va_start(ap, fmt);
    vsnprintf(xch->last_error.message, sizeof(xch->last_error.message), fmt, ap);
    va_end(ap);
    used = strlen(xch->last_error.message);
    snprintf(xch->last_error.message + used, sizeof(xch->last_error.message) - used, ": %s",
             xch->hv_message[0] ? xch->hv_message : strerror(err));
    xch->hv_message[0] = '\0';
    errno = err;
    return -1;
}

/* After this the connection can no longer be trusted to pair replies with requests. */
static int mark_dead(xc_interface *xch, int rc)
{
    if (!xch->dead)
        xch->dead = -rc;
    return rc;
}

static int is_disconnect(int rc)
{
    return rc == -EPIPE || rc == -ECONNRESET || rc == -ENOTCONN;
}

void xc__evq_push(xc_interface *xch, struct lamina_ctl_msg *msg)
{
    struct xc_evq_entry *e;

    /* Descriptors have no business on events; hdr.nfds still says they came. */
    for (unsigned int i = 0; i < msg->nfds; i++)
        close(msg->fds[i]);
    msg->nfds = 0;

    if (xch->evq_count >= LAMINA_EVENT_QUEUE_MAX ||
        xch->evq_bytes + msg->hdr.len > LAMINA_EVENT_QUEUE_BYTES ||
        !(e = calloc(1, sizeof(*e)))) {
        if (msg->hdr.type == LAMINA_CTL_EV_CONSOLE) {
            xch->lost_console++;
            if (msg->hdr.len > sizeof(struct lamina_ctl_ev_console))
                xch->lost_bytes += msg->hdr.len - sizeof(struct lamina_ctl_ev_console);
        } else {
            xch->lost_domain++;
        }
        lamina_ctl_msg_release(msg);
        return;
    }
    e->msg = *msg;
    memset(msg, 0, sizeof(*msg));
    if (xch->evq_tail)
        xch->evq_tail->next = e;
    else
        xch->evq_head = e;
    xch->evq_tail = e;
    xch->evq_count++;
    xch->evq_bytes += e->msg.hdr.len;
}

static int evq_pop(xc_interface *xch, struct lamina_ctl_msg *msg)
{
    struct xc_evq_entry *e = xch->evq_head;

    if (!e)
        return 0;
    xch->evq_head = e->next;
    if (!xch->evq_head)
        xch->evq_tail = NULL;
    xch->evq_count--;
    xch->evq_bytes -= e->msg.hdr.len;
    *msg = e->msg;
    free(e);
    return 1;
}

/*
 * Error replies may explain themselves with a NUL-terminated message.  It
 * reaches a terminal, so anything but printable ASCII is replaced.
 */
static void keep_hv_message(xc_interface *xch, const struct lamina_ctl_msg *msg)
{
    size_t len = msg->hdr.len, n = 0;

    xch->hv_message[0] = '\0';
    if (len < 2 || msg->payload[len - 1] != '\0')
        return;
    for (size_t i = 0; i < len - 1 && n < sizeof(xch->hv_message) - 1; i++) {
        uint8_t c = msg->payload[i];

        xch->hv_message[n++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    xch->hv_message[n] = '\0';
}

static int is_event(const struct lamina_ctl_hdr *hdr)
{
    return (hdr->flags & (LAMINA_CTL_F_EVENT | LAMINA_CTL_F_REPLY)) == LAMINA_CTL_F_EVENT;
}

int xc__call(xc_interface *xch, const struct xc_request *req, struct lamina_ctl_msg *reply)
{
    size_t len = req->fixed_len + req->tail_len;
    struct lamina_ctl_hdr hdr;
    uint8_t *buf = NULL;
    const void *payload = req->fixed;
    int64_t deadline;
    uint32_t seq;
    int rc;

    memset(reply, 0, sizeof(*reply));
    if (xch->sock < 0)
        return -ENOTCONN;
    if (xch->dead)
        return -xch->dead;
    if (req->tail_len > LAMINA_CTL_MAX_PAYLOAD || len > LAMINA_CTL_MAX_PAYLOAD)
        return -EMSGSIZE;
    if (req->tail_len) {
        buf = malloc(len);
        if (!buf)
            return -ENOMEM;
        memcpy(buf, req->fixed, req->fixed_len);
        memcpy(buf + req->fixed_len, req->tail, req->tail_len);
        payload = buf;
    }

    seq = ++xch->seq;
    if (seq == 0)               /* events carry seq 0 */
        seq = ++xch->seq;
    lamina_ctl_hdr_init(&hdr, req->op, seq, (uint32_t)len, 0);
    rc = lamina_ctl_send(xch->sock, &hdr, payload, req->fds, req->nfds, 0);
    free(buf);
    if (rc < 0)
        return is_disconnect(rc) ? mark_dead(xch, rc) : rc;

    deadline = deadline_after(xch->reply_timeout_ms);
    for (;;) {
        struct lamina_ctl_msg msg;

        rc = wait_readable(xch->sock, deadline);
        if (rc == 0)
            return mark_dead(xch, -ETIMEDOUT);
        if (rc < 0)
            return mark_dead(xch, rc);
        rc = lamina_ctl_recv(xch->sock, &msg, MSG_DONTWAIT);
        if (rc == -EAGAIN)
            continue;
        if (rc == 0)
            return mark_dead(xch, -ECONNRESET);
        if (rc < 0)
            return mark_dead(xch, rc);
        if (is_event(&msg.hdr)) {
            xc__evq_push(xch, &msg);
            continue;
        }
        if (!(msg.hdr.flags & LAMINA_CTL_F_REPLY) || (msg.hdr.flags & LAMINA_CTL_F_EVENT) ||
            msg.hdr.type != req->op || msg.hdr.seq != seq) {
            lamina_ctl_msg_release(&msg);
            return mark_dead(xch, -EPROTO);
        }
        /* The reply is ours: the stream stays in step whatever is wrong with its content. */
        if (msg.hdr.status > 0 || msg.hdr.status < -XC_MAX_ERRNO ||
            msg.hdr.nfds > (msg.hdr.status ? 0 : req->max_reply_fds)) {
            lamina_ctl_msg_release(&msg);
            return -EPROTO;
        }
        if (msg.hdr.status < 0) {
            rc = msg.hdr.status;
            keep_hv_message(xch, &msg);
            lamina_ctl_msg_release(&msg);
            return rc;
        }
        *reply = msg;
        return 0;
    }
}

int xc__call_simple(xc_interface *xch, uint16_t op, const void *fixed, size_t fixed_len)
{
    struct xc_request req = { .op = op, .fixed = fixed, .fixed_len = fixed_len };
    struct lamina_ctl_msg reply;
    int rc = xc__call(xch, &req, &reply);

    if (rc < 0)
        return rc;
    rc = reply.hdr.len ? -EPROTO : 0;
    lamina_ctl_msg_release(&reply);
    return rc;
}

static int say_hello(xc_interface *xch)
{
    struct lamina_ctl_hello hello;
    struct xc_request req = {
        .op = LAMINA_CTL_OP_HELLO, .fixed = &hello, .fixed_len = sizeof(hello),
    };
    struct lamina_ctl_msg reply;
    int rc;

    memset(&hello, 0, sizeof(hello));
    hello.version = LAMINA_CTL_VERSION;
    snprintf(hello.client, sizeof(hello.client), "%s", program_invocation_short_name);
    rc = xc__call(xch, &req, &reply);
    if (rc < 0)
        return rc;
    /* A later protocol may append fields; the ones we know must be there. */
    if (reply.hdr.len < sizeof(xch->hello)) {
        lamina_ctl_msg_release(&reply);
        return -EPROTO;
    }
    memcpy(&xch->hello, reply.payload, sizeof(xch->hello));
    lamina_ctl_msg_release(&reply);
    if (xch->hello.version != LAMINA_CTL_VERSION)
        return -EPROTONOSUPPORT;
    return 0;
}

xc_interface *xc_interface_open(xentoollog_logger *logger, xentoollog_logger *dombuild_logger,
                                unsigned open_flags)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    xc_interface *xch;
    int rc;

    xch = calloc(1, sizeof(*xch));
    if (!xch)
        return NULL;
    xch->sock = -1;
    xch->reply_timeout_ms = XC_DEFAULT_REPLY_TIMEOUT_MS;
    if (open_flags & XC_OPENFLAG_DUMMY)
        return xch;

    rc = lamina_ctl_socket_path(addr.sun_path, sizeof(addr.sun_path));
    if (rc < 0)
        goto fail;
    xch->sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (xch->sock < 0) {
        rc = -errno;
        goto fail;
    }
    if (connect(xch->sock, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        rc = -errno;
        goto fail;
    }
    rc = say_hello(xch);
    if (rc < 0)
        goto fail;
    return xch;

fail:
    xc_interface_close(xch);
    errno = -rc;
    return NULL;
}

int xc_interface_close(xc_interface *xch)
{
    struct lamina_ctl_msg msg;

    if (!xch)
        return 0;
    while (evq_pop(xch, &msg))
        lamina_ctl_msg_release(&msg);
    lamina_ctl_msg_release(&xch->delivered);
    if (xch->sock >= 0)
        close(xch->sock);
    free(xch);
    return 0;
}

/* Turn an event packet into the caller's view of it, or -EPROTO. */
static int decode_event(const struct lamina_ctl_msg *msg, struct lamina_event *ev)
{
    memset(ev, 0, sizeof(*ev));
    if (msg->hdr.nfds)
        return -EPROTO;
    switch (msg->hdr.type) {
    case LAMINA_CTL_EV_DOMAIN: {
        struct lamina_ctl_ev_domain d;

        if (msg->hdr.len != sizeof(d))
            return -EPROTO;
        memcpy(&d, msg->payload, sizeof(d));
        if (d.domid >= XC_DOMID_LIMIT || d.event < LAMINA_DOMEV_CREATED ||
            d.event > LAMINA_DOMEV_DESTROYED || d.action >= LAMINA_ACTION_MAX)
            return -EPROTO;
        ev->type = LAMINA_EVENT_DOMAIN;
        ev->domid = d.domid;
        ev->u.domain.event = d.event;
        ev->u.domain.reason = d.reason;
        ev->u.domain.action = d.action;
        return 0;
    }
    case LAMINA_CTL_EV_CONSOLE: {
        struct lamina_ctl_ev_console c;

        if (msg->hdr.len < sizeof(c))
            return -EPROTO;
        memcpy(&c, msg->payload, sizeof(c));
        if (c.domid >= XC_DOMID_LIMIT || c.len != msg->hdr.len - sizeof(c))
            return -EPROTO;
        ev->type = LAMINA_EVENT_CONSOLE;
        ev->domid = c.domid;
        ev->u.console.data = msg->payload + sizeof(c);
        ev->u.console.len = c.len;
        return 0;
    }
    default:
        return -EPROTO;
    }
}

/* Hand one packet out as *ev, keeping it alive until the next call. */
static int deliver(xc_interface *xch, struct lamina_ctl_msg *msg, struct lamina_event *ev)
{
    int rc = decode_event(msg, ev);

    if (rc < 0) {
        unsigned int type = msg->hdr.type, len = msg->hdr.len;

        lamina_ctl_msg_release(msg);
        return xc__fail(xch, rc, "malformed event (type %#x, %u bytes) from lamina-hv",
                        type, len);
    }
    xch->delivered = *msg;
    return 1;
}

int lamina_next_event(xc_interface *xch, struct lamina_event *ev, int timeout_ms)
{
    struct lamina_ctl_msg msg;
    int64_t deadline = deadline_after(timeout_ms);
    int rc;

    xc__begin(xch);
    lamina_ctl_msg_release(&xch->delivered);
    if (evq_pop(xch, &msg))
        return deliver(xch, &msg, ev);
    if (xch->lost_domain || xch->lost_console) {
        memset(ev, 0, sizeof(*ev));
        ev->type = LAMINA_EVENT_LOST;
        ev->u.lost.domain_events = xch->lost_domain;
        ev->u.lost.console_events = xch->lost_console;
        ev->u.lost.console_bytes = xch->lost_bytes;
        xch->lost_domain = xch->lost_console = xch->lost_bytes = 0;
        return 1;
    }
    if (xch->sock < 0)
        return xc__fail(xch, -ENOTCONN, "no connection to lamina-hv");
    if (xch->dead)
        return xc__fail(xch, -xch->dead, "connection to lamina-hv lost");

    for (;;) {
        rc = wait_readable(xch->sock, deadline);
        if (rc == 0)
            return 0;
        if (rc < 0)
            return xc__fail(xch, mark_dead(xch, rc), "waiting for lamina-hv");
        rc = lamina_ctl_recv(xch->sock, &msg, MSG_DONTWAIT);
        if (rc == -EAGAIN)
            continue;
        if (rc == 0)
            return xc__fail(xch, mark_dead(xch, -ECONNRESET), "lamina-hv closed the connection");
        if (rc < 0)
            return xc__fail(xch, mark_dead(xch, rc), "receiving from lamina-hv");
        if (!is_event(&msg.hdr)) {
            /* No request is outstanding, so no reply can be right. */
            lamina_ctl_msg_release(&msg);
            return xc__fail(xch, mark_dead(xch, -EPROTO), "unexpected reply from lamina-hv");
        }
        return deliver(xch, &msg, ev);
    }
}

int lamina_fd(xc_interface *xch)
{
    return xch->sock;
}

void lamina_set_reply_timeout(xc_interface *xch, int timeout_ms)
{
    xch->reply_timeout_ms = timeout_ms < 0 ? -1 : timeout_ms;
}

int lamina_hv_info(xc_interface *xch, struct lamina_hv_info *info)
{
    xc__begin(xch);
    if (xch->sock < 0)
        return xc__fail(xch, -ENOTCONN, "lamina_hv_info");
    memset(info, 0, sizeof(*info));
    info->protocol_version = xch->hello.version;
    info->features = xch->hello.features;
    info->xen_major = xch->hello.xen_major;
    info->xen_minor = xch->hello.xen_minor;
    memcpy(info->hv_version, xch->hello.hv_version, sizeof(xch->hello.hv_version));
    info->hv_version[sizeof(xch->hello.hv_version)] = '\0';
    return 0;
}

const char *xc_error_code_to_desc(int code)
{
    switch (code) {
    case XC_ERROR_NONE:
        return "No error details";
    case XC_INTERNAL_ERROR:
        return "Internal error";
    case XC_INVALID_KERNEL:
        return "Invalid kernel";
    case XC_INVALID_PARAM:
        return "Invalid configuration";
    case XC_OUT_OF_MEMORY:
        return "Out of memory";
    }
    return "Unknown error code";
}

const char *xc_strerror(xc_interface *xch, int errcode)
{
    return strerror(errcode);
}

const xc_error *xc_get_last_error(xc_interface *xch)
{
    return &xch->last_error;
}

void xc_clear_last_error(xc_interface *xch)
{
    xc__begin(xch);
}
