/* rawctl.c: a bare control-socket client for tests that must bypass the libraries' checks. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <lamina/ctl-wire.h>

#include "rawctl.h"

static uint32_t seq;

int rawctl_call(int sock, uint16_t op, const void *payload, uint32_t len)
{
    struct lamina_ctl_hdr h;
    struct lamina_ctl_msg reply;
    int rc;

    lamina_ctl_hdr_init(&h, op, ++seq, len, 0);
    rc = lamina_ctl_send(sock, &h, payload, NULL, 0, 0);
    if (rc < 0)
        return rc;
    /* Replies come in request order; events are not subscribed to. */
    rc = lamina_ctl_recv(sock, &reply, 0);
    if (rc <= 0)
        return rc < 0 ? rc : -ECONNRESET;
    rc = reply.hdr.seq == seq && (reply.hdr.flags & LAMINA_CTL_F_REPLY) ? reply.hdr.status
                                                                        : -EPROTO;
    lamina_ctl_msg_release(&reply);
    return rc;
}

int rawctl_open(void)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    struct lamina_ctl_hello hello = { .version = LAMINA_CTL_VERSION };
    int sock, rc;

    if (lamina_ctl_socket_path(addr.sun_path, sizeof(addr.sun_path)) < 0)
        return -ENAMETOOLONG;
    sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (sock < 0)
        return -errno;
    if (connect(sock, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        rc = -errno;
        close(sock);
        return rc;
    }
    strncpy(hello.client, "rawctl-test", sizeof(hello.client) - 1);
    rc = rawctl_call(sock, LAMINA_CTL_OP_HELLO, &hello, sizeof(hello));
    if (rc < 0) {
        close(sock);
        return rc;
    }
    return sock;
}
