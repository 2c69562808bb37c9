/* socket.c: the UNIX socket transport: dom0 tools such as xenstore-utils connect here. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "conn.h"
#include <lamina/daemon.h>

#include "log.h"
#include "loop.h"
#include "socket.h"

struct sock {
    int fd;
    struct loop_source *src;
    bool want_read;
    bool want_write;
};

static struct {
    int fd;
    struct loop_source *src;
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
} ls = { .fd = -1 };

static ssize_t sock_read(struct conn *c, void *buf, size_t len)
{
    struct sock *s = c->priv;

    for (;;) {
        ssize_t n = recv(s->fd, buf, len, MSG_DONTWAIT);

        if (n > 0)
            return n;
        if (n == 0)
            return -EPIPE;
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return 0;
        return errno == ECONNRESET ? -EPIPE : -errno;
    }
}

static ssize_t sock_write(struct conn *c, const void *buf, size_t len)
{
    struct sock *s = c->priv;

    for (;;) {
        ssize_t n = send(s->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);

        if (n >= 0)
            return n;
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return 0;
        return errno == ECONNRESET ? -EPIPE : -errno;
    }
}

static void sock_update(struct sock *s)
{
    uint32_t ev = (s->want_read ? EPOLLIN : 0) | (s->want_write ? EPOLLOUT : 0);

    loop_mod(s->src, ev);
}

static void sock_want_write(struct conn *c, bool want)
{
    struct sock *s = c->priv;

    s->want_write = want;
    sock_update(s);
}

static void sock_want_read(struct conn *c, bool want)
{
    struct sock *s = c->priv;

    s->want_read = want;
    sock_update(s);
}

static void sock_close(struct conn *c)
{
    struct sock *s = c->priv;

    loop_del(s->src);
    close(s->fd);
    free(s);
}

static const struct transport_ops sock_ops = {
    .name = "socket",
    .read = sock_read,
    .write = sock_write,
    .want_write = sock_want_write,
    .want_read = sock_want_read,
    .close = sock_close,
};

static void on_conn(int fd, uint32_t events, void *arg)
{
    struct conn *c = arg;

    if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
        conn_input(c);
    if ((events & EPOLLOUT) && !c->closing)
        conn_output(c);
}

static bool peer_allowed(int fd)
{
    struct ucred cred;
    socklen_t len = sizeof(cred);

    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
        return false;
    return cred.uid == 0 || cred.uid == geteuid();
}

static void on_listen(int fd, uint32_t events, void *arg)
{
    for (int i = 0; i < 16; i++) {
        int cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        struct sock *s;
        struct conn *c;

        if (cfd < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                log_warn("accept on %s: %s", ls.path, strerror(errno));
            return;
        }
        if (!peer_allowed(cfd)) {
            log_warn("refused a connection from another user on %s", ls.path);
            close(cfd);
            continue;
        }
        s = calloc(1, sizeof(*s));
        c = s ? conn_new(&sock_ops, s, 0, true) : NULL;
        if (!c) {
            free(s);
            close(cfd);
            log_err("out of memory accepting a connection");
            continue;
        }
        s->fd = cfd;
        s->want_read = true;
        s->src = loop_add(cfd, EPOLLIN, on_conn, c);
        if (!s->src) {
            log_err("cannot watch a new connection: %s", strerror(errno));
            /* sock_close() must not see a source it does not have. */
            s->src = NULL;
            conn_close(c, "cannot be watched");
        }
    }
}

/* The directories above the socket file. */
static int mkdir_parents(const char *path)
{
    char dir[PATH_MAX];
    char *slash;

    if (strlen(path) >= sizeof(dir))
        return -ENAMETOOLONG;
    strcpy(dir, path);
    slash = strrchr(dir, '/');
    if (!slash || slash == dir)
        return 0;
    *slash = '\0';
    return mkdir_p(dir, 0755);
}

int socket_listen(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd, rc;

    if (strlen(path) >= sizeof(sa.sun_path))
        return -ENAMETOOLONG;
    strcpy(sa.sun_path, path);
    if ((rc = mkdir_parents(path)) < 0)
        return rc;
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -errno;
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        int probe;
        bool live;

        if (errno != EADDRINUSE)
            goto fail;
        /* A socket file is there: in use by a live daemon, or left behind? */
        probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        live = probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0;
        if (probe >= 0)
            close(probe);
        if (live) {
            close(fd);
            return -EADDRINUSE;
        }
        unlink(path);
        if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
            goto fail;
    }
    if (chmod(path, 0600) < 0 || listen(fd, 128) < 0)
        goto fail;
    ls.src = loop_add(fd, EPOLLIN, on_listen, NULL);
    if (!ls.src)
        goto fail;
    ls.fd = fd;
    strcpy(ls.path, path);
    return 0;
fail:
    rc = -errno;
    close(fd);
    return rc;
}

void socket_fini(void)
{
    if (ls.fd < 0)
        return;
    loop_del(ls.src);
    close(ls.fd);
    unlink(ls.path);
    ls.fd = -1;
}
