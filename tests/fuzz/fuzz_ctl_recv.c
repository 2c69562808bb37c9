/* fuzz_ctl_recv.c: fuzz target for the control protocol's packet framing (lamina_ctl_recv). */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <lamina/ctl-wire.h>

#include "fuzz.h"

/*
 * Input: one byte saying how many descriptors (0..7) travel with the
 * packet, then the packet itself, sent whole over a SOCK_SEQPACKET pair as
 * lamina-hv receives its clients' packets.  The receiver must accept
 * exactly the well-framed packets, hand back their bytes and descriptors,
 * and leak no descriptor either way.
 */

#define HDR     sizeof(struct lamina_ctl_hdr)

const size_t fuzz_max_len = 1 + sizeof(struct lamina_ctl_hdr) + LAMINA_CTL_MAX_PAYLOAD + 64;
const unsigned long fuzz_replay_mutations = 2000;

static int sv[2] = { -1, -1 };
static int spare = -1;

static void setup(void)
{
    int big = 1 << 20;

    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
        abort();
    setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
    spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (spare < 0)
        abort();
}

/* Received descriptors take the lowest free numbers: a leak moves this. */
static int lowest_free_fd(void)
{
    int fd = fcntl(spare, F_DUPFD, 0);

    close(fd);
    return fd;
}

static bool send_packet(const uint8_t *p, size_t len, unsigned int nfds)
{
    union {
        char buf[CMSG_SPACE(sizeof(int) * 8)];
        struct cmsghdr align;
    } control;
    struct iovec iov = { .iov_base = (void *)p, .iov_len = len };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

    if (nfds) {
        struct cmsghdr *cm;
        int fds[8];

        for (unsigned int i = 0; i < nfds; i++)
            fds[i] = spare;
        memset(&control, 0, sizeof(control));
        mh.msg_control = control.buf;
        mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
        cm = CMSG_FIRSTHDR(&mh);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
        memcpy(CMSG_DATA(cm), fds, sizeof(int) * nfds);
    }
    return sendmsg(sv[0], &mh, MSG_DONTWAIT | MSG_NOSIGNAL) == (ssize_t)len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct lamina_ctl_msg m;
    const uint8_t *pkt = data + 1;
    size_t len = size ? size - 1 : 0;
    unsigned int nfds;
    int before, rc;

    if (size < 1)
        return 0;
    if (sv[0] < 0)
        setup();
    nfds = data[0] % 8;
    before = lowest_free_fd();
    if (!send_packet(pkt, len, nfds))
        return 0;
    rc = lamina_ctl_recv(sv[1], &m, MSG_DONTWAIT);
    if (rc == 1) {
        struct lamina_ctl_hdr h;

        FUZZ_CHECK(len >= HDR && len - HDR <= LAMINA_CTL_MAX_PAYLOAD);
        memcpy(&h, pkt, HDR);
        FUZZ_CHECK(memcmp(&m.hdr, &h, HDR) == 0);
        FUZZ_CHECK(m.hdr.magic == LAMINA_CTL_MAGIC && m.hdr.version == LAMINA_CTL_VERSION);
        FUZZ_CHECK(m.hdr.len == len - HDR);
        FUZZ_CHECK(m.nfds == nfds && m.hdr.nfds == nfds && nfds <= LAMINA_CTL_MAX_FDS);
        FUZZ_CHECK((m.payload == NULL) == (m.hdr.len == 0));
        if (m.hdr.len)
            FUZZ_CHECK(memcmp(m.payload, pkt + HDR, m.hdr.len) == 0);
        for (unsigned int i = 0; i < m.nfds; i++)
            FUZZ_CHECK(fcntl(m.fds[i], F_GETFD) == FD_CLOEXEC);
        lamina_ctl_msg_release(&m);
    } else {
        /* A zero-length packet reads as end-of-file; anything else refused is -EPROTO. */
        FUZZ_CHECK(rc == -EPROTO || (rc == 0 && len == 0));
    }
    FUZZ_CHECK(lowest_free_fd() == before);
    return 0;
}

static void emit_packet(fuzz_emit_fn *emit, void *arg, unsigned int nfds, uint16_t type,
                        const void *payload, uint32_t len)
{
    uint8_t buf[1 + HDR + 64];
    struct lamina_ctl_hdr h;

    lamina_ctl_hdr_init(&h, type, 7, len, 0);
    h.nfds = (uint16_t)nfds;
    buf[0] = (uint8_t)nfds;
    memcpy(buf + 1, &h, HDR);
    if (len)
        memcpy(buf + 1 + HDR, payload, len);
    emit(buf, 1 + HDR + len, arg);
}

void fuzz_seeds(fuzz_emit_fn *emit, void *arg)
{
    struct lamina_ctl_hello hello = { .version = LAMINA_CTL_VERSION, .client = "fuzz" };
    struct lamina_ctl_getinfo gi = { 0, 16 };
    struct lamina_ctl_evtchn_bind bind = { LAMINA_EVTCHN_BIND_UNBOUND, 1, 0, 0 };

    emit_packet(emit, arg, 0, LAMINA_CTL_OP_HELLO, &hello, sizeof(hello));
    emit_packet(emit, arg, 0, LAMINA_CTL_OP_XEN_VERSION, NULL, 0);
    emit_packet(emit, arg, 0, LAMINA_CTL_OP_DOMAIN_GETINFO, &gi, sizeof(gi));
    emit_packet(emit, arg, 2, LAMINA_CTL_OP_EVTCHN_BIND, &bind, sizeof(bind));
    emit_packet(emit, arg, 1, LAMINA_CTL_OP_DOMAIN_BUILD_PVH, "\x01\0\0\0\x01\0\0\0", 9);
}
