/* xenevtchn.h: event channels for dom0 programs (Xen's libxenevtchn API). */
/* SPDX-License-Identifier: MIT */
#ifndef LAMINA_XENEVTCHN_H
#define LAMINA_XENEVTCHN_H

/*
 * The same functions, types and semantics as Xen 4.17's xenevtchn.h, served
 * by lamina-hv over its control socket: link with -llamina-xenctrl.
 *
 * A handle owns the ports it binds.  xenevtchn_fd() is a pipe that is
 * readable while the handle has events; xenevtchn_pending() returns one
 * port, which stays masked until xenevtchn_unmask().  xenevtchn_pending()
 * never blocks: with nothing pending it returns -1 with errno EAGAIN (poll
 * the descriptor to wait), so an event loop may call it until it fails.
 */

#include <stdint.h>

#include <xen/event_channel.h>

typedef int xenevtchn_port_or_error_t;
typedef struct xenevtchn_handle xenevtchn_handle;
struct xentoollog_logger;

#define XENEVTCHN_NO_CLOEXEC (1 << 0)

xenevtchn_handle *xenevtchn_open(struct xentoollog_logger *logger, unsigned int open_flags);
int xenevtchn_close(xenevtchn_handle *xce);
int xenevtchn_fd(xenevtchn_handle *xce);
int xenevtchn_notify(xenevtchn_handle *xce, evtchn_port_t port);
xenevtchn_port_or_error_t xenevtchn_bind_unbound_port(xenevtchn_handle *xce, uint32_t domid);
xenevtchn_port_or_error_t xenevtchn_bind_interdomain(xenevtchn_handle *xce, uint32_t domid,
                                                     evtchn_port_t remote_port);
xenevtchn_port_or_error_t xenevtchn_bind_virq(xenevtchn_handle *xce, unsigned int virq);
int xenevtchn_unbind(xenevtchn_handle *xce, evtchn_port_t port);
xenevtchn_port_or_error_t xenevtchn_pending(xenevtchn_handle *xce);
int xenevtchn_unmask(xenevtchn_handle *xce, evtchn_port_t port);
/* Unbind every port of the handle. */
int xenevtchn_reset(xenevtchn_handle *xce);

#endif /* LAMINA_XENEVTCHN_H */
