/* ctl_evtchn.c: event channels for dom0 processes over the control socket. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "control.h"
#include "hv.h"

/*
 * Open our own description of a pipe a process passed (non-blocking, so no
 * read or write of ours can wait on the process, whatever it does to its
 * descriptors).  Only pipes are accepted.
 */
static int reopen_pipe(int fd, int flags)
{
    char path[64];
    struct stat st;

    if (fstat(fd, &st) < 0 || !S_ISFIFO(st.st_mode))
        return -EINVAL;
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    fd = open(path, flags | O_NONBLOCK | O_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

static bool want(struct ctl_conn *c, const struct lamina_ctl_msg *m, size_t len, unsigned int nfds)
{
    if (m->hdr.len == len && m->nfds == nfds)
        return true;
    ctl_reply_err(c, &m->hdr, -EINVAL, "malformed event-channel request");
    return false;
}

static void op_open(struct ctl_conn *c, const struct lamina_ctl_msg *m)
{
    int fd = evtchn_dom0_page_fd();

    if (!want(c, m, 0, 0))
        return;
    ctl_reply_fds(c, &m->hdr, 0, NULL, 0, &fd, 1);
}

static void op_bind(struct ctl_conn *c, const struct lamina_ctl_msg *m)
{
    struct lamina_ctl_evtchn_bind req;
    struct lamina_ctl_evtchn_port rep = { 0, 0 };
    struct evtchn_owner owner = { .conn = c, .notify_fd = -1, .kick_fd = -1 };
    int rc;

    if (!want(c, m, sizeof(req), 2))
        return;
    memcpy(&req, m->payload, sizeof(req));
    owner.notify_fd = reopen_pipe(m->fds[0], O_WRONLY);
    owner.kick_fd = reopen_pipe(m->fds[1], O_RDONLY);
    if (owner.notify_fd < 0 || owner.kick_fd < 0) {
        rc = owner.notify_fd < 0 ? owner.notify_fd : owner.kick_fd;
        if (rc == -EINVAL) {
            ctl_reply_err(c, &m->hdr, rc, "event-channel binds take two pipe ends "
                          "(notify: a write end, kick: a read end)");
            rc = 0;
        }
        goto fail;
    }
    switch (req.kind) {
    case LAMINA_EVTCHN_BIND_UNBOUND:
        rc = req.remote_domid < DOMID_FIRST_RESERVED
                 ? evtchn_alloc_unbound(dom0, (domid_t)req.remote_domid, &owner, &rep.port)
                 : -EINVAL;
        break;
    case LAMINA_EVTCHN_BIND_INTERDOMAIN:
        rc = req.remote_domid < DOMID_FIRST_RESERVED && req.remote_domid != 0
                 ? evtchn_bind_interdomain(dom0, (domid_t)req.remote_domid, req.remote_port,
                                           &owner, &rep.port)
                 : -EINVAL;
        break;
    case LAMINA_EVTCHN_BIND_VIRQ:
        rc = evtchn_bind_virq(dom0, req.virq, 0, &owner, &rep.port);
        break;
    default:
        rc = -EINVAL;
        break;
    }
    if (rc == 0) {
        *ctl_conn_priv(c, CTL_PRIV_EVTCHN) = c;  /* has ports to release at close */
        ctl_reply(c, &m->hdr, 0, &rep, sizeof(rep));
        return;
    }
fail:
    if (owner.notify_fd >= 0)
        close(owner.notify_fd);
    if (owner.kick_fd >= 0)
        close(owner.kick_fd);
    if (rc == 0)
        return;     /* already answered */
    ctl_reply_err(c, &m->hdr, rc, "cannot bind the event channel (kind %u, domain %u, port %u, "
                  "virq %u): %s", req.kind, req.remote_domid, req.remote_port, req.virq,
                  strerror(-rc));
}

static void op_port(struct ctl_conn *c, const struct lamina_ctl_msg *m)
{
    struct lamina_ctl_evtchn_port req;
    int rc;

    if (!want(c, m, sizeof(req), 0))
        return;
    memcpy(&req, m->payload, sizeof(req));
    if (m->hdr.type == LAMINA_CTL_OP_EVTCHN_UNBIND)
        rc = evtchn_close(dom0, req.port, c);
    else
        rc = evtchn_send(dom0, req.port, c);
    if (rc < 0)
        ctl_reply_err(c, &m->hdr, rc, "dom0 port %u is not bound by this connection", req.port);
    else
        ctl_reply(c, &m->hdr, 0, NULL, 0);
}

static void on_close(struct ctl_conn *c)
{
    if (*ctl_conn_priv(c, CTL_PRIV_EVTCHN))
        evtchn_release_conn(c);
}

void ctl_evtchn_init(void)
{
    control_register(LAMINA_CTL_OP_EVTCHN_OPEN, op_open);
    control_register(LAMINA_CTL_OP_EVTCHN_BIND, op_bind);
    control_register(LAMINA_CTL_OP_EVTCHN_UNBIND, op_port);
    control_register(LAMINA_CTL_OP_EVTCHN_NOTIFY, op_port);
    control_on_close(on_close);
}
