/* ctl-wire.c: sending and receiving control-protocol packets (both ends). */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <lamina/ctl-wire.h>

void lamina_ctl_hdr_init(struct lamina_ctl_hdr *hdr, uint16_t type, uint32_t seq,
                         uint32_t len, uint16_t flags)
{
    memset(hdr, 0, sizeof(*hdr));
    hdr->magic = LAMINA_CTL_MAGIC;
    hdr->version = LAMINA_CTL_VERSION;
    hdr->type = type;
    hdr->seq = seq;
    hdr->len = len;
    hdr->flags = flags;
}

int lamina_ctl_send(int sock, const struct lamina_ctl_hdr *hdr, const void *payload,
                    const int *fds, unsigned int nfds, int flags)
{
    union {
        char buf[CMSG_SPACE(sizeof(int) * LAMINA_CTL_MAX_FDS)];
        struct cmsghdr align;
    } control;
    struct lamina_ctl_hdr h = *hdr;
    struct iovec iov[2] = {
        { .iov_base = &h, .iov_len = sizeof(h) },
        { .iov_base = (void *)payload, .iov_len = hdr->len },
    };
    struct msghdr mh = {
        .msg_iov = iov,
        .msg_iovlen = hdr->len ? 2 : 1,
    };
    ssize_t n;

    if (hdr->len > LAMINA_CTL_MAX_PAYLOAD || nfds > LAMINA_CTL_MAX_FDS)
        return -EMSGSIZE;
    h.nfds = (uint16_t)nfds;
    if (nfds) {
        struct cmsghdr *cm;

        memset(&control, 0, sizeof(control));
        mh.msg_control = control.buf;
        mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
        cm = CMSG_FIRSTHDR(&mh);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
        memcpy(CMSG_DATA(cm), fds, sizeof(int) * nfds);
    }
    do {
        n = sendmsg(sock, &mh, flags | MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        return -errno;
    if ((size_t)n != sizeof(h) + hdr->len)
        return -EIO;    /* a packet socket never sends part of a packet */
    return 0;
}

static void close_fds(int *fds, unsigned int n)
{
    for (unsigned int i = 0; i < n; i++)
        close(fds[i]);
}

int lamina_ctl_recv(int sock, struct lamina_ctl_msg *msg, int flags)
{
    union {
        char buf[CMSG_SPACE(sizeof(int) * (LAMINA_CTL_MAX_FDS + 1))];
        struct cmsghdr align;
    } control;
    uint8_t *buf;
    struct iovec iov;
    struct msghdr mh;
    struct cmsghdr *cm;
    ssize_t n;
    int err = 0;

    memset(msg, 0, sizeof(*msg));
    buf = malloc(sizeof(struct lamina_ctl_hdr) + LAMINA_CTL_MAX_PAYLOAD);
    if (!buf)
        return -ENOMEM;
    iov.iov_base = buf;
    iov.iov_len = sizeof(struct lamina_ctl_hdr) + LAMINA_CTL_MAX_PAYLOAD;
    memset(&mh, 0, sizeof(mh));
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = control.buf;
    mh.msg_controllen = sizeof(control.buf);
    do {
        n = recvmsg(sock, &mh, flags | MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        free(buf);
        return -errno;
    }

    /* Collect every descriptor first, so that none leaks on a bad packet. */
    for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
        size_t count;

        if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
            continue;
        count = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < count; i++) {
            int fd;

            memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
            if (msg->nfds < LAMINA_CTL_MAX_FDS)
                msg->fds[msg->nfds++] = fd;
            else {
                close(fd);
                err = -EPROTO;
            }
        }
    }
    if (n == 0) {
        /* End of stream, or an empty packet: either way nothing to keep. */
        close_fds(msg->fds, msg->nfds);
        free(buf);
        memset(msg, 0, sizeof(*msg));
        return 0;
    }
    if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
        err = -EPROTO;
    if ((size_t)n < sizeof(struct lamina_ctl_hdr))
        err = -EPROTO;
    if (!err) {
        memcpy(&msg->hdr, buf, sizeof(msg->hdr));
        if (msg->hdr.magic != LAMINA_CTL_MAGIC || msg->hdr.version != LAMINA_CTL_VERSION ||
            msg->hdr.len != (size_t)n - sizeof(msg->hdr) || msg->hdr.nfds != msg->nfds)
            err = -EPROTO;
    }
    if (err) {
        close_fds(msg->fds, msg->nfds);
        free(buf);
        memset(msg, 0, sizeof(*msg));
        return err;
    }
    if (msg->hdr.len) {
        memmove(buf, buf + sizeof(msg->hdr), msg->hdr.len);
        msg->payload = realloc(buf, msg->hdr.len) ?: buf;
    } else {
        free(buf);
    }
    return 1;
}

void lamina_ctl_msg_release(struct lamina_ctl_msg *msg)
{
    close_fds(msg->fds, msg->nfds);
    free(msg->payload);
    memset(msg, 0, sizeof(*msg));
}

const char *lamina_rundir(void)
{
    const char *dir = getenv("LAMINA_RUNDIR");

    return dir && *dir ? dir : LAMINA_RUNDIR;
}

const char *lamina_logdir(void)
{
    const char *dir = getenv("LAMINA_LOGDIR");

    return dir && *dir ? dir : LAMINA_LOGDIR;
}

int lamina_ctl_socket_path(char *buf, size_t size)
{
    int n = snprintf(buf, size, "%s/%s", lamina_rundir(), LAMINA_CTL_SOCKET_NAME);

    return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}
