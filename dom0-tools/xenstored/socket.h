/* socket.h: the UNIX socket transport: dom0 tools such as xenstore-utils connect here. */
/* SPDX-License-Identifier: MIT */
#ifndef XSD_SOCKET_H
#define XSD_SOCKET_H

/*
 * Listen on path (creating its directory). Fails with -EADDRINUSE when a
 * daemon already answers there. Connections from root or from our own
 * user are dom0's; others are refused.
 */
int socket_listen(const char *path);
void socket_fini(void);

#endif /* XSD_SOCKET_H */
