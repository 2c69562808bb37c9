/* conn.c: client connections: transports, framing, bounded input and output queues. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "domain.h"
#include "log.h"
#include "proto.h"
#include "quota.h"
#include "txn.h"
#include "watch.h"

/*
 * Every connection has at most CONN_IN_BUF bytes of unread input and a
 * bounded output queue. A client that sends requests without reading the
 * replies stops being read once its quota of unanswered replies is queued
 * (it stalls only itself); one that never reads its watch events is
 * dropped once too many are queued. A header announcing more than
 * XENSTORE_PAYLOAD_MAX bytes loses the framing, so it closes the
 * connection, as in Xen.
 */

struct out_msg {
    struct out_msg *next;
    size_t size;                    /* header + payload */
    size_t sent;
    bool event;
    char data[];
};

static struct {
    struct conn *all;
    unsigned int count;
    unsigned int serial;
    struct conn *work;
    struct conn **work_tail;
} cs = { .work_tail = &cs.work };

static void mark_work(struct conn *c)
{
    if (c->on_work)
        return;
    c->on_work = true;
    c->work_next = NULL;
    *cs.work_tail = c;
    cs.work_tail = &c->work_next;
}

static void unlink_work(struct conn *c)
{
    if (!c->on_work)
        return;
    for (struct conn **pp = &cs.work; *pp; pp = &(*pp)->work_next) {
        if (*pp == c) {
            *pp = c->work_next;
            if (cs.work_tail == &c->work_next)
                cs.work_tail = pp;
            break;
        }
    }
    c->on_work = false;
}

struct conn *conn_new(const struct transport_ops *ops, void *priv, unsigned int domid,
                      bool privileged)
{
    struct conn *c = calloc(1, sizeof(*c));

    if (!c)
        return NULL;
    c->ops = ops;
    c->priv = priv;
    c->domid = domid;
    c->target = NO_TARGET;
    c->privileged = privileged;
    c->out_tail = &c->out_head;
    c->serial = ++cs.serial;
    c->next_txn_id = 1;
    c->next = cs.all;
    if (cs.all)
        cs.all->prev = c;
    cs.all = c;
    cs.count++;
    /* Input may already be waiting (a ring written before INTRODUCE). */
    c->input_pending = true;
    mark_work(c);
    return c;
}

static void close_at(struct conn *c, enum log_level level, const char *reason)
{
    if (c->closing)
        return;
    c->closing = true;
    log_msg(level, "connection %u (%s, domain %u) closed: %s", c->serial, c->ops->name,
            c->domid, reason);
    mark_work(c);
}

void conn_close(struct conn *c, const char *reason)
{
    close_at(c, LOG_INFO, reason);
}

/* A transport failed; a client hanging up is routine. */
static void transport_failed(struct conn *c, ssize_t err)
{
    if (err == -EPIPE)
        close_at(c, LOG_DEBUG, "closed by the client");
    else
        close_at(c, LOG_INFO, strerror((int)-err));
}

void conn_reset(struct conn *c)
{
    watch_remove_all(c);
    while (c->txns) {
        struct txn *t = c->txns;

        c->txns = t->next;
        txn_free(t);
    }
    c->ntxns = 0;
}

static void conn_destroy(struct conn *c)
{
    unlink_work(c);
    conn_reset(c);
    while (c->out_head) {
        struct out_msg *m = c->out_head;

        c->out_head = m->next;
        free(m);
    }
    if (c->domain)
        domain_conn_gone(c);
    if (c->ops->close)
        c->ops->close(c);
    if (c->prev)
        c->prev->next = c->next;
    else
        cs.all = c->next;
    if (c->next)
        c->next->prev = c->prev;
    cs.count--;
    free(c);
}

static unsigned int outstanding_limit(const struct conn *c)
{
    return c->privileged ? PRIV_OUTSTANDING : quota[Q_OUTSTANDING];
}

static void handle_one(struct conn *c, const struct xsd_sockmsg *hdr, const char *payload)
{
    /* Handlers get the payload NUL-terminated, so string scans stay in bounds. */
    static char buf[XENSTORE_PAYLOAD_MAX + 1];

    memcpy(buf, payload, hdr->len);
    buf[hdr->len] = '\0';
    c->nrequests++;
    proto_handle(c, hdr, buf);
}

static void kick(struct conn *c)
{
    if (c->defer_kick)
        c->kick_owed = true;
    else if (c->ops->kick)
        c->ops->kick(c);
}

void conn_input(struct conn *c)
{
    unsigned int budget = CONN_BUDGET;
    bool progress = false;

    while (!c->closing) {
        size_t avail = c->in_len - c->in_start;
        struct xsd_sockmsg hdr;
        ssize_t n;

        if (avail >= XS_HDR_SIZE) {
            memcpy(&hdr, c->in + c->in_start, sizeof(hdr));
            if (hdr.len > XENSTORE_PAYLOAD_MAX) {
                if (c->ops->protocol_error)
                    c->ops->protocol_error(c);
                conn_close(c, "message longer than XENSTORE_PAYLOAD_MAX");
                break;
            }
            if (avail >= XS_HDR_SIZE + hdr.len) {
                if (budget == 0) {
                    c->input_pending = true;
                    mark_work(c);
                    break;
                }
                if (c->out_replies >= outstanding_limit(c)) {
                    c->throttled = true;
                    if (c->ops->want_read)
                        c->ops->want_read(c, false);
                    break;
                }
                handle_one(c, &hdr, c->in + c->in_start + XS_HDR_SIZE);
                c->in_start += XS_HDR_SIZE + hdr.len;
                budget--;
                continue;
            }
        }
        /* Need more bytes: make room at the end, then ask the transport. */
        if (c->in_start > 0) {
            memmove(c->in, c->in + c->in_start, avail);
            c->in_start = 0;
            c->in_len = avail;
        }
        n = c->ops->read(c, c->in + c->in_len, sizeof(c->in) - c->in_len);
        if (n < 0) {
            transport_failed(c, n);
            break;
        }
        if (n == 0) {
            c->input_pending = false;
            break;
        }
        c->in_len += (size_t)n;
        progress = true;
    }
    if (progress && !c->closing)
        kick(c);
}

void conn_output(struct conn *c)
{
    bool progress = false;

    while (c->out_head && !c->closing) {
        struct out_msg *m = c->out_head;
        ssize_t n = c->ops->write(c, m->data + m->sent, m->size - m->sent);

        if (n < 0) {
            transport_failed(c, n);
            return;
        }
        if (n == 0) {
            if (!c->write_blocked && c->ops->want_write)
                c->ops->want_write(c, true);
            c->write_blocked = true;
            break;
        }
        progress = true;
        m->sent += (size_t)n;
        if (m->sent < m->size)
            continue;
        c->out_head = m->next;
        if (!c->out_head)
            c->out_tail = &c->out_head;
        if (m->event)
            c->out_events--;
        else
            c->out_replies--;
        c->out_bytes -= m->size;
        free(m);
    }
    if (!c->out_head && c->write_blocked) {
        c->write_blocked = false;
        if (c->ops->want_write)
            c->ops->want_write(c, false);
    }
    if (c->throttled && c->out_replies < outstanding_limit(c)) {
        c->throttled = false;
        if (c->ops->want_read)
            c->ops->want_read(c, true);
        c->input_pending = true;
        mark_work(c);
    }
    if (progress)
        kick(c);
}

void conn_service(struct conn *c)
{
    c->defer_kick = true;
    conn_input(c);
    if (!c->closing)
        conn_output(c);
    c->defer_kick = false;
    if (c->kick_owed && !c->closing && c->ops->kick)
        c->ops->kick(c);
    c->kick_owed = false;
}

static struct out_msg *new_msg(uint32_t type, uint32_t req_id, uint32_t tx_id, size_t len)
{
    struct out_msg *m = malloc(sizeof(*m) + XS_HDR_SIZE + len);
    struct xsd_sockmsg hdr = { .type = type, .req_id = req_id, .tx_id = tx_id,
                               .len = (uint32_t)len };

    if (!m)
        return NULL;
    m->next = NULL;
    m->size = XS_HDR_SIZE + len;
    m->sent = 0;
    m->event = false;
    memcpy(m->data, &hdr, sizeof(hdr));
    return m;
}

static void enqueue(struct conn *c, struct out_msg *m)
{
    *c->out_tail = m;
    c->out_tail = &m->next;
    c->out_last = m;
    c->out_bytes += m->size;
    if (m->event)
        c->out_events++;
    else
        c->out_replies++;
    mark_work(c);
}

static void trace_reply(const struct conn *c, const struct xsd_sockmsg *req, uint32_t type,
                        size_t len)
{
    if (log_trace)
        log_info("conn %u domain %u: reply type %u req %u tx %u len %zu", c->serial, c->domid,
                 type, req->req_id, req->tx_id, len);
}

int conn_reply2(struct conn *c, const struct xsd_sockmsg *req, uint32_t type, const void *a,
                size_t alen, const void *b, size_t blen)
{
    struct out_msg *m;

    if (c->closing)
        return 0;
    if (alen + blen > XENSTORE_PAYLOAD_MAX)
        return -E2BIG;
    m = new_msg(type, req->req_id, req->tx_id, alen + blen);
    if (!m)
        return -ENOMEM;
    if (alen)
        memcpy(m->data + XS_HDR_SIZE, a, alen);
    if (blen)
        memcpy(m->data + XS_HDR_SIZE + alen, b, blen);
    trace_reply(c, req, type, alen + blen);
    enqueue(c, m);
    return 0;
}

int conn_reply(struct conn *c, const struct xsd_sockmsg *req, uint32_t type, const void *data,
               size_t len)
{
    return conn_reply2(c, req, type, data, len, NULL, 0);
}

void conn_reply_error(struct conn *c, const struct xsd_sockmsg *req, int err)
{
    const char *name = "EINVAL";

    for (size_t i = 0; i < sizeof(xsd_errors) / sizeof(xsd_errors[0]); i++) {
        if (xsd_errors[i].errnum == err) {
            name = xsd_errors[i].errstring;
            break;
        }
    }
    if (conn_reply(c, req, XS_ERROR, name, strlen(name) + 1) < 0)
        conn_close(c, "out of memory for a reply");
}

void conn_reply_ok(struct conn *c, const struct xsd_sockmsg *req)
{
    if (conn_reply(c, req, req->type, "OK", 3) < 0)
        conn_close(c, "out of memory for a reply");
}

void conn_send_event(struct conn *c, const char *path, const char *token)
{
    size_t plen = strlen(path) + 1, tlen = strlen(token) + 1;
    struct out_msg *m;

    if (c->closing || plen + tlen > XENSTORE_PAYLOAD_MAX)
        return;
    /* The same event right behind an unsent identical one adds nothing. */
    if (c->out_head) {
        const struct out_msg *last = c->out_last;

        if (last->event && last->sent == 0 && last->size == XS_HDR_SIZE + plen + tlen &&
            memcmp(last->data + XS_HDR_SIZE, path, plen) == 0 &&
            memcmp(last->data + XS_HDR_SIZE + plen, token, tlen) == 0)
            return;
    }
    if (c->privileged ? c->out_bytes + plen + tlen > PRIV_OUT_BYTES
                      : c->out_events >= quota[Q_WATCH_EVENTS]) {
        conn_close(c, "too many watch events waiting to be read");
        return;
    }
    m = new_msg(XS_WATCH_EVENT, 0, 0, plen + tlen);
    if (!m) {
        conn_close(c, "out of memory for a watch event");
        return;
    }
    m->event = true;
    memcpy(m->data + XS_HDR_SIZE, path, plen);
    memcpy(m->data + XS_HDR_SIZE + plen, token, tlen);
    enqueue(c, m);
}

unsigned int conn_perm(const struct conn *c, const struct xs_permissions *perms,
                       unsigned int nperms)
{
    const unsigned int all = XS_PERM_READ | XS_PERM_WRITE | XS_PERM_OWNER;

    if (c->privileged || nperms == 0)
        return all;
    if (perms[0].id == c->domid || (c->target != NO_TARGET && perms[0].id == c->target))
        return all;
    for (unsigned int i = 1; i < nperms; i++)
        if (perms[i].id == c->domid || (c->target != NO_TARGET && perms[i].id == c->target))
            return perms[i].perms & (XS_PERM_READ | XS_PERM_WRITE);
    return perms[0].perms & (XS_PERM_READ | XS_PERM_WRITE);
}

void conns_run(void)
{
    struct conn *list = cs.work;

    cs.work = NULL;
    cs.work_tail = &cs.work;
    while (list) {
        struct conn *c = list;

        list = c->work_next;
        c->on_work = false;
        if (!c->closing && c->input_pending && !c->throttled)
            conn_input(c);
        if (!c->closing)
            conn_output(c);
        if (c->closing) {
            /* c may have queued itself again while being handled. */
            conn_destroy(c);
        }
    }
}

bool conns_busy(void)
{
    return cs.work != NULL;
}

void conns_fini(void)
{
    while (cs.all) {
        cs.all->closing = true;
        conn_destroy(cs.all);
    }
    cs.work = NULL;
    cs.work_tail = &cs.work;
    cs.serial = 0;
}

unsigned int conns_count(void)
{
    return cs.count;
}

struct conn *conns_first(void)
{
    return cs.all;
}
