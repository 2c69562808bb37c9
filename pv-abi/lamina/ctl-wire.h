/* ctl-wire.h: sending and receiving control-protocol packets (both ends). */
/* SPDX-License-Identifier: MIT */
#ifndef __LAMINA_CTL_WIRE_H__
#define __LAMINA_CTL_WIRE_H__

#include <stddef.h>
#include <stdint.h>
#include <lamina/control.h>

/* One received packet: header, payload and descriptors, owned by the caller. */
struct lamina_ctl_msg {
    struct lamina_ctl_hdr hdr;
    uint8_t *payload;           /* hdr.len bytes, NULL when empty */
    int fds[LAMINA_CTL_MAX_FDS];
    unsigned int nfds;
};

/*
 * Send one packet.  flags are MSG_* flags for sendmsg (e.g. MSG_DONTWAIT).
 * Returns 0 or a negative errno (-EAGAIN when non-blocking and full).
 */
int lamina_ctl_send(int sock, const struct lamina_ctl_hdr *hdr, const void *payload,
                    const int *fds, unsigned int nfds, int flags);

/*
 * Receive one packet into msg.  Returns 1 on a packet, 0 on orderly
 * shutdown, or a negative errno: -EPROTO for a packet that is not a valid
 * control message (the descriptors it carried are closed).
 */
int lamina_ctl_recv(int sock, struct lamina_ctl_msg *msg, int flags);

/* Close the descriptors and free the payload of a received packet. */
void lamina_ctl_msg_release(struct lamina_ctl_msg *msg);

/* Fill a header for a request, reply or event. */
void lamina_ctl_hdr_init(struct lamina_ctl_hdr *hdr, uint16_t type, uint32_t seq,
                         uint32_t len, uint16_t flags);

/*
 * The socket path: $LAMINA_RUNDIR/hv.sock, or under the configured default
 * run directory.  Returns 0 or -ENAMETOOLONG.
 */
int lamina_ctl_socket_path(char *buf, size_t size);

/* The run directory ($LAMINA_RUNDIR or the configured default). */
const char *lamina_rundir(void);

/* The log directory ($LAMINA_LOGDIR or the configured default). */
const char *lamina_logdir(void);

#endif /* __LAMINA_CTL_WIRE_H__ */
