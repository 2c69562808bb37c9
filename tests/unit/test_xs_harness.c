/* test_xs_harness.c: drive lamina-xenstored's engine with in-memory connections in unit tests. */
/* SPDX-License-Identifier: MIT */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain.h"
#include "log.h"
#include "quota.h"
#include "test_xs_harness.h"
#include "xsd.h"

#define XT_MAX_CONNS 64

static struct tconn *conns[XT_MAX_CONNS];
static unsigned int nconns;
static struct tconn *checker;

static ssize_t t_read(struct conn *c, void *buf, size_t len)
{
    struct tconn *t = c->priv;
    size_t n = t->in_len - t->in_pos;

    if (n > len)
        n = len;
    memcpy(buf, t->in + t->in_pos, n);
    t->in_pos += n;
    return (ssize_t)n;
}

static ssize_t t_write(struct conn *c, const void *buf, size_t len)
{
    struct tconn *t = c->priv;
    size_t n = len < t->write_room ? len : t->write_room;

    if (t->out_pos == t->out_len)
        t->out_pos = t->out_len = 0;
    ck_assert_uint_le(t->out_len + n, XT_BUF);
    memcpy(t->out + t->out_len, buf, n);
    t->out_len += n;
    t->write_room -= n;
    return (ssize_t)n;
}

static void t_close(struct conn *c)
{
    struct tconn *t = c->priv;

    t->closed = true;
    t->c = NULL;
}

static const struct transport_ops t_ops = {
    .name = "test",
    .read = t_read,
    .write = t_write,
    .close = t_close,
};

void xt_setup_backend(const struct domain_backend *backend)
{
    /* Tests provoke failures on purpose: only unexpected trouble is worth printing. */
    log_set_level(LOG_ERR);
    quota_defaults();
    ck_assert_int_eq(xsd_init(backend, true), 0);
    nconns = 0;
    checker = NULL;
}

void xt_setup(void)
{
    xt_setup_backend(&fake_backend);
}

void xt_teardown(void)
{
    xsd_fini();
    for (unsigned int i = 0; i < nconns; i++) {
        struct tconn *t = conns[i];

        for (unsigned int e = 0; e < t->nevents; e++) {
            free(t->event_path[e]);
            free(t->event_token[e]);
        }
        free(t->in);
        free(t->out);
        free(t);
    }
    nconns = 0;
}

static struct tconn *new_tconn(unsigned int domid, bool privileged)
{
    struct tconn *t = calloc(1, sizeof(*t));

    ck_assert_ptr_nonnull(t);
    ck_assert_uint_lt(nconns, XT_MAX_CONNS);
    t->in = malloc(XT_BUF);
    t->out = malloc(XT_BUF);
    ck_assert(t->in && t->out);
    t->write_room = SIZE_MAX;
    t->domid = domid;
    t->next_req = 1;
    t->c = conn_new(&t_ops, t, domid, privileged);
    ck_assert_ptr_nonnull(t->c);
    conns[nconns++] = t;
    return t;
}

struct tconn *xt_dom0(void)
{
    return new_tconn(0, true);
}

struct tconn *xt_domu(unsigned int domid)
{
    struct tconn *t;
    struct domain *d = domain_find(domid);

    if (!d) {
        ck_assert_int_eq(domain_introduce(domid, 1000 + domid, 1), 0);
        d = domain_find(domid);
    }
    t = new_tconn(domid, false);
    ck_assert_int_eq(domain_attach(d, t->c), 0);
    return t;
}

void xt_send_raw(struct tconn *t, const void *bytes, size_t len)
{
    if (t->in_pos == t->in_len)
        t->in_pos = t->in_len = 0;
    ck_assert_uint_le(t->in_len + len, XT_BUF);
    memcpy(t->in + t->in_len, bytes, len);
    t->in_len += len;
}

uint32_t xt_send(struct tconn *t, uint32_t type, uint32_t tx, const void *payload, size_t len)
{
    struct xsd_sockmsg hdr = { .type = type, .req_id = t->next_req++, .tx_id = tx,
                               .len = (uint32_t)len };

    xt_send_raw(t, &hdr, sizeof(hdr));
    if (len)
        xt_send_raw(t, payload, len);
    return hdr.req_id;
}

void xt_run(void)
{
    for (int round = 0; round < 100000; round++) {
        bool more = false;

        for (unsigned int i = 0; i < nconns; i++) {
            struct tconn *t = conns[i];

            if (t->c && !t->c->closing && !t->c->throttled && t->in_pos < t->in_len) {
                conn_input(t->c);
                more = true;
            }
        }
        conns_run();
        if (!more && !conns_busy())
            return;
    }
    ck_abort_msg("the daemon never went idle");
}

/* Collect events; return the next reply if one is complete. */
bool xt_reply(struct tconn *t, struct xmsg *m)
{
    while (t->out_len - t->out_pos >= sizeof(m->hdr)) {
        memcpy(&m->hdr, t->out + t->out_pos, sizeof(m->hdr));
        ck_assert_uint_le(m->hdr.len, XENSTORE_PAYLOAD_MAX);
        if (t->out_len - t->out_pos < sizeof(m->hdr) + m->hdr.len)
            return false;
        memcpy(m->body, t->out + t->out_pos + sizeof(m->hdr), m->hdr.len);
        m->body[m->hdr.len] = '\0';
        t->out_pos += sizeof(m->hdr) + m->hdr.len;
        if (m->hdr.type == XS_WATCH_EVENT) {
            size_t plen = strnlen(m->body, m->hdr.len);

            ck_assert_uint_lt(plen, m->hdr.len);
            ck_assert_uint_eq(m->hdr.req_id, 0);
            if (t->ev_pos == t->nevents) {
                for (unsigned int e = 0; e < t->nevents; e++) {
                    free(t->event_path[e]);
                    free(t->event_token[e]);
                }
                t->nevents = t->ev_pos = 0;
            }
            ck_assert_uint_lt(t->nevents, XT_MAX_EVENTS);
            t->event_path[t->nevents] = strdup(m->body);
            t->event_token[t->nevents] = strdup(m->body + plen + 1);
            t->nevents++;
            continue;
        }
        return true;
    }
    return false;
}

const char *xt_req(struct tconn *t, uint32_t type, uint32_t tx, const void *payload, size_t len)
{
    static char result[XENSTORE_PAYLOAD_MAX + 8];
    static struct xmsg m;
    uint32_t id = xt_send(t, type, tx, payload, len);

    xt_run();
    if (!xt_reply(t, &m)) {
        ck_assert_msg(t->closed, "no reply to a request of type %u", type);
        return "closed";
    }
    ck_assert_uint_eq(m.hdr.req_id, id);
    ck_assert_uint_eq(m.hdr.tx_id, tx);
    if (m.hdr.type == XS_ERROR)
        return strcpy(result, m.body);
    ck_assert_uint_eq(m.hdr.type, type);
    memcpy(result, m.body, m.hdr.len + 1);
    /* Make NUL-separated lists readable: "a\0b\0" -> "a,b". */
    for (uint32_t i = 0; m.hdr.len && i + 1 < m.hdr.len; i++)
        if (result[i] == '\0')
            result[i] = ',';
    return result;
}

static const char *req_path(struct tconn *t, uint32_t type, uint32_t tx, const char *path)
{
    return xt_req(t, type, tx, path, strlen(path) + 1);
}

const char *xt_read(struct tconn *t, uint32_t tx, const char *path)
{
    return req_path(t, XS_READ, tx, path);
}

const char *xt_write(struct tconn *t, uint32_t tx, const char *path, const char *value)
{
    char buf[XENSTORE_PAYLOAD_MAX];
    size_t plen = strlen(path) + 1, vlen = strlen(value);

    ck_assert_uint_le(plen + vlen, sizeof(buf));
    memcpy(buf, path, plen);
    memcpy(buf + plen, value, vlen);
    return xt_req(t, XS_WRITE, tx, buf, plen + vlen);
}

const char *xt_mkdir(struct tconn *t, uint32_t tx, const char *path)
{
    return req_path(t, XS_MKDIR, tx, path);
}

const char *xt_rm(struct tconn *t, uint32_t tx, const char *path)
{
    return req_path(t, XS_RM, tx, path);
}

const char *xt_dir(struct tconn *t, uint32_t tx, const char *path)
{
    const char *r = req_path(t, XS_DIRECTORY, tx, path);
    static char buf[XENSTORE_PAYLOAD_MAX + 8];
    size_t n;

    /* A list ends with a NUL that became ','... only when non-empty. */
    strcpy(buf, r);
    n = strlen(buf);
    if (n && buf[n - 1] == ',')
        buf[n - 1] = '\0';
    return buf;
}

const char *xt_getperms(struct tconn *t, uint32_t tx, const char *path)
{
    return req_path(t, XS_GET_PERMS, tx, path);
}

const char *xt_setperms(struct tconn *t, uint32_t tx, const char *path, const char *perms)
{
    char buf[XENSTORE_PAYLOAD_MAX];
    size_t plen = strlen(path) + 1, len = strlen(perms) + 1;

    memcpy(buf, path, plen);
    memcpy(buf + plen, perms, len);
    for (size_t i = plen; i < plen + len; i++)
        if (buf[i] == ',')
            buf[i] = '\0';
    return xt_req(t, XS_SET_PERMS, tx, buf, plen + len);
}

static const char *two(struct tconn *t, uint32_t type, const char *a, const char *b)
{
    char buf[XENSTORE_PAYLOAD_MAX];
    size_t alen = strlen(a) + 1, blen = strlen(b) + 1;

    memcpy(buf, a, alen);
    memcpy(buf + alen, b, blen);
    return xt_req(t, type, 0, buf, alen + blen);
}

const char *xt_watch(struct tconn *t, const char *path, const char *token)
{
    return two(t, XS_WATCH, path, token);
}

const char *xt_unwatch(struct tconn *t, const char *path, const char *token)
{
    return two(t, XS_UNWATCH, path, token);
}

uint32_t xt_txn_start(struct tconn *t)
{
    const char *r = xt_req(t, XS_TRANSACTION_START, 0, "", 1);

    ck_assert_msg(r[0] >= '1' && r[0] <= '9', "TRANSACTION_START failed: %s", r);
    return (uint32_t)strtoul(r, NULL, 10);
}

const char *xt_txn_end(struct tconn *t, uint32_t tx, bool commit)
{
    return xt_req(t, XS_TRANSACTION_END, tx, commit ? "T" : "F", 2);
}

const char *xt_control(struct tconn *t, const char *cmd, const char *arg)
{
    if (!arg)
        return xt_req(t, XS_CONTROL, 0, cmd, strlen(cmd) + 1);
    return two(t, XS_CONTROL, cmd, arg);
}

const char *xt_event(struct tconn *t)
{
    static char buf[2 * XENSTORE_PAYLOAD_MAX];
    struct xmsg m;

    while (xt_reply(t, &m)) {
        /* Replies are not expected here; keep events flowing. */
    }
    if (t->ev_pos >= t->nevents)
        return NULL;
    snprintf(buf, sizeof(buf), "%s|%s", t->event_path[t->ev_pos], t->event_token[t->ev_pos]);
    t->ev_pos++;
    return buf;
}

unsigned int xt_events_pending(struct tconn *t)
{
    struct xmsg m;

    while (xt_reply(t, &m)) {
    }
    return t->nevents - t->ev_pos;
}

void xt_drop_events(struct tconn *t)
{
    while (xt_event(t)) {
    }
}

const char *xt_check(void)
{
    if (!checker)
        checker = xt_dom0();
    return xt_control(checker, "check", NULL);
}
