/* ctl_evtchn.c: event channels for dom0 processes over the control socket. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "control.h"
#include "hv.h"

/* Only an eventfd may be written by the hypervisor on a process's behalf. */
static bool is_eventfd(int fd)
{
    char path[64], line[128];
    bool found = false;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
    f = fopen(path, "re");
    if (!f)
        return false;
    while (!found && fgets(line, sizeof(line), f))
        found = !strncmp(line, "eventfd-count:", 14);
    fclose(f);
    return found;
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
    if (!is_eventfd(m->fds[0]) || !is_eventfd(m->fds[1])) {
        ctl_reply_err(c, &m->hdr, -EINVAL, "event-channel binds take two eventfds");
        return;
    }
    owner.notify_fd = fcntl(m->fds[0], F_DUPFD_CLOEXEC, 0);
    owner.kick_fd = fcntl(m->fds[1], F_DUPFD_CLOEXEC, 0);
    if (owner.notify_fd < 0 || owner.kick_fd < 0) {
        rc = -errno;
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
