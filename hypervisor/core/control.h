/* control.h: the control socket server and how operation families join it. */
/* SPDX-License-Identifier: MIT */
#ifndef LAMINA_HV_CONTROL_H
#define LAMINA_HV_CONTROL_H

#include <stdint.h>

#include <lamina/ctl-wire.h>

struct ctl_conn;

/* Per-connection state slots of the operation families. */
enum ctl_priv {
    CTL_PRIV_EVTCHN,
    CTL_PRIV_GNTTAB,
    CTL_PRIV_MAX
};

/* A handler answers the request exactly once, with ctl_reply* (main thread). */
typedef void ctl_op_fn(struct ctl_conn *c, const struct lamina_ctl_msg *m);

int control_init(void);
void control_fini(void);

/* Families register their operations and a hook run when a connection closes. */
void control_register(uint16_t op, ctl_op_fn *fn);
void control_on_close(void (*fn)(struct ctl_conn *c));
void **ctl_conn_priv(struct ctl_conn *c, enum ctl_priv slot);

void ctl_reply(struct ctl_conn *c, const struct lamina_ctl_hdr *req, int status,
               const void *payload, uint32_t len);
/* The descriptors are duplicated into the reply; the caller keeps its own. */
void ctl_reply_fds(struct ctl_conn *c, const struct lamina_ctl_hdr *req, int status,
                   const void *payload, uint32_t len, const int *fds, unsigned int nfds);
void ctl_reply_err(struct ctl_conn *c, const struct lamina_ctl_hdr *req, int status,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* The event-channel and grant-table families (ctl_evtchn.c, ctl_gnttab.c). */
void ctl_evtchn_init(void);
void ctl_gnttab_init(void);

#endif /* LAMINA_HV_CONTROL_H */
