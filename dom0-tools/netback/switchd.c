/* switchd.c: the built-in switch: one process per switch, vifs as SOCK_SEQPACKET ports. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <lamina/ctl-wire.h>
#include <lamina/daemon.h>
#include <lamina/log.h>

#include "engine.h"
#include "frame.h"
#include "switch.h"
#include "switchd.h"

/*
 * Why a process of its own: vifs live in separate worker processes (a
 * crashing worker takes down one vif only), so frames between them have
 * to cross a process boundary anyway. One SOCK_SEQPACKET connection per
 * vif keeps frame boundaries and is cheap to poll; the switch never
 * blocks on a port: a port with a full socket buffer loses that copy of
 * the frame (as a busy switch port does), so a guest that stops reading
 * cannot stall the others.
 */

#define HELLO_MAGIC "lnbswtch"
#define HELLO_VERSION 1
#define PORT_NAME_MAX 32
#define SOCKET_BUFFER (1024 * 1024)
#define FRAMES_PER_WAKEUP 32
#define EV_LISTEN UINT64_MAX
#define EV_STOP (UINT64_MAX - 1)

struct hello {
    char magic[8];
    uint32_t version;
    char port[PORT_NAME_MAX];
};

struct port {
    int fd;                     /* -1: free */
    bool greeted;
    char name[PORT_NAME_MAX];
};

struct nb_switchd {
    char name[NB_SWITCH_NAME_MAX + 1];
    struct nb_switchd_config cfg;
    int lock_fd, listen_fd, ep;
    struct nb_switch *sw;
    struct port *ports;
    unsigned int nports;            /* connected */
    unsigned int greeted;           /* of those, past their hello */
    uint8_t *buf;
    uint64_t frames, flooded, dropped;
};

extern char **environ;

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

bool nb_switch_name_ok(const char *name)
{
    size_t n = strlen(name);

    if (n == 0 || n > NB_SWITCH_NAME_MAX || name[0] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.'))
            return false;
    }
    return true;
}

int nb_switch_socket_path(const char *name, char *buf, size_t size)
{
    int n = snprintf(buf, size, "%s/netback/switch-%s.sock", lamina_rundir(), name);

    return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* The server. */

int nb_switchd_open(struct nb_switchd **out, const char *name,
                    const struct nb_switchd_config *cfg)
{
    struct nb_switchd *sd;
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    char path[PATH_MAX];
    struct epoll_event ev = { .events = EPOLLIN, .data.u64 = EV_LISTEN };
    struct nb_switch_config scfg;
    int rc;

    *out = NULL;
    if (!nb_switch_name_ok(name))
        return -EINVAL;
    sd = calloc(1, sizeof(*sd));
    if (!sd)
        return -ENOMEM;
    snprintf(sd->name, sizeof(sd->name), "%s", name);
    sd->cfg = *cfg;
    if (!sd->cfg.max_ports)
        sd->cfg.max_ports = 256;
    if (!sd->cfg.aging_ms)
        sd->cfg.aging_ms = 300000;
    sd->lock_fd = sd->listen_fd = sd->ep = -1;
    scfg = (struct nb_switch_config){
        .max_ports = sd->cfg.max_ports, .max_entries = 8192, .max_per_port = 256,
        .aging_ms = sd->cfg.aging_ms,
    };
    sd->sw = nb_switch_create(&scfg);
    sd->ports = calloc(sd->cfg.max_ports, sizeof(*sd->ports));
    sd->buf = malloc(NB_VNET_HDR_LEN + NB_MAX_FRAME + 1);
    if (!sd->sw || !sd->ports || !sd->buf) {
        rc = -ENOMEM;
        goto fail;
    }
    for (unsigned int i = 0; i < sd->cfg.max_ports; i++)
        sd->ports[i].fd = -1;
    snprintf(path, sizeof(path), "%s/netback", lamina_rundir());
    rc = mkdir_p(path, 0700);
    if (rc < 0)
        goto fail;
    snprintf(path, sizeof(path), "%s/netback/switch-%s.lock", lamina_rundir(), name);
    sd->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (sd->lock_fd < 0) {
        rc = -errno;
        goto fail;
    }
    if (flock(sd->lock_fd, LOCK_EX | LOCK_NB) < 0) {
        rc = errno == EWOULDBLOCK ? -EBUSY : -errno;
        goto fail;
    }
    rc = nb_switch_socket_path(name, sa.sun_path, sizeof(sa.sun_path));
    if (rc < 0)
        goto fail;
    /* We hold the lock: a socket file left there belongs to a switch that died. */
    unlink(sa.sun_path);
    sd->listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (sd->listen_fd < 0 || bind(sd->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        chmod(sa.sun_path, 0600) < 0 || listen(sd->listen_fd, 64) < 0) {
        rc = -errno;
        goto fail;
    }
    sd->ep = epoll_create1(EPOLL_CLOEXEC);
    if (sd->ep < 0 || epoll_ctl(sd->ep, EPOLL_CTL_ADD, sd->listen_fd, &ev) < 0) {
        rc = -errno;
        goto fail;
    }
    *out = sd;
    return 0;
fail:
    nb_switchd_close(sd);
    return rc;
}

static void port_gone(struct nb_switchd *sd, unsigned int i, const char *why)
{
    struct port *p = &sd->ports[i];

    if (p->fd < 0)
        return;
    log_info("switch %s: port %u (%s) %s", sd->name, i, p->greeted ? p->name : "?", why);
    if (p->greeted)
        __atomic_fetch_sub(&sd->greeted, 1, __ATOMIC_RELAXED);
    epoll_ctl(sd->ep, EPOLL_CTL_DEL, p->fd, NULL);
    close(p->fd);
    p->fd = -1;
    p->greeted = false;
    nb_switch_port_gone(sd->sw, i);
    __atomic_fetch_sub(&sd->nports, 1, __ATOMIC_RELAXED);
}

static void accept_ports(struct nb_switchd *sd)
{
    for (;;) {
        int fd = accept4(sd->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC), size;
        struct epoll_event ev = { .events = EPOLLIN };
        unsigned int i;

        if (fd < 0)
            return;
        for (i = 0; i < sd->cfg.max_ports && sd->ports[i].fd >= 0; i++) {
        }
        if (i == sd->cfg.max_ports) {
            log_warn("switch %s: all %u ports in use: refusing a connection", sd->name,
                     sd->cfg.max_ports);
            close(fd);
            continue;
        }
        size = SOCKET_BUFFER;
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
        ev.data.u64 = i;
        if (epoll_ctl(sd->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
            close(fd);
            continue;
        }
        sd->ports[i] = (struct port){ .fd = fd };
        __atomic_fetch_add(&sd->nports, 1, __ATOMIC_RELAXED);
    }
}

static void send_to(struct nb_switchd *sd, unsigned int i, size_t len)
{
    struct port *p = &sd->ports[i];

    if (p->fd < 0 || !p->greeted)
        return;
    if (send(p->fd, sd->buf, len, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0)
        return;
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)
        __atomic_fetch_add(&sd->dropped, 1, __ATOMIC_RELAXED);
    else
        port_gone(sd, i, "went away");
}

static void on_message(struct nb_switchd *sd, unsigned int i, size_t n)
{
    struct port *p = &sd->ports[i];
    int dst;

    if (!p->greeted) {
        struct hello h;

        if (n != sizeof(h)) {
            port_gone(sd, i, "did not say hello");
            return;
        }
        memcpy(&h, sd->buf, sizeof(h));
        if (memcmp(h.magic, HELLO_MAGIC, sizeof(h.magic)) || h.version != HELLO_VERSION) {
            port_gone(sd, i, "speaks another protocol");
            return;
        }
        h.port[sizeof(h.port) - 1] = '\0';
        for (char *c = h.port; *c; c++)
            if (*c < 0x20 || *c >= 0x7f)
                *c = '?';
        snprintf(p->name, sizeof(p->name), "%s", h.port);
        p->greeted = true;
        __atomic_fetch_add(&sd->greeted, 1, __ATOMIC_RELAXED);
        log_info("switch %s: port %u (%s) connected", sd->name, i, p->name);
        return;
    }
    if (n < NB_VNET_HDR_LEN + NB_ETH_HLEN || n > NB_VNET_HDR_LEN + NB_MAX_FRAME) {
        __atomic_fetch_add(&sd->dropped, 1, __ATOMIC_RELAXED);
        return;
    }
    __atomic_fetch_add(&sd->frames, 1, __ATOMIC_RELAXED);
    dst = nb_switch_route(sd->sw, i, sd->buf + NB_VNET_HDR_LEN, n - NB_VNET_HDR_LEN, now_ms());
    if (dst >= 0) {
        send_to(sd, (unsigned int)dst, n);
    } else if (dst == NB_SWITCH_FLOOD) {
        __atomic_fetch_add(&sd->flooded, 1, __ATOMIC_RELAXED);
        for (unsigned int k = 0; k < sd->cfg.max_ports; k++)
            if (k != i)
                send_to(sd, k, n);
    }
}

static void read_port(struct nb_switchd *sd, unsigned int i, uint32_t events)
{
    for (unsigned int f = 0; f < FRAMES_PER_WAKEUP && sd->ports[i].fd >= 0; f++) {
        ssize_t n = recv(sd->ports[i].fd, sd->buf, NB_VNET_HDR_LEN + NB_MAX_FRAME + 1,
                         MSG_DONTWAIT);

        if (n > 0) {
            on_message(sd, i, (size_t)n);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (events & (EPOLLHUP | EPOLLERR))
                port_gone(sd, i, "disconnected");
            return;
        }
        port_gone(sd, i, "disconnected");
        return;
    }
}

int nb_switchd_run(struct nb_switchd *sd, int stop_fd)
{
    struct epoll_event ev = { .events = EPOLLIN, .data.u64 = EV_STOP };
    uint64_t idle_since = now_ms(), last_age = idle_since;

    if (stop_fd >= 0 && epoll_ctl(sd->ep, EPOLL_CTL_ADD, stop_fd, &ev) < 0)
        return -errno;
    log_info("switch %s: serving (aging %llu s)", sd->name,
             (unsigned long long)(sd->cfg.aging_ms / 1000));
    for (;;) {
        struct epoll_event evs[64];
        int n = epoll_wait(sd->ep, evs, 64, 1000);
        uint64_t now;

        if (n < 0 && errno != EINTR)
            return -errno;
        for (int k = 0; k < n; k++) {
            uint64_t what = evs[k].data.u64;

            if (what == EV_STOP) {
                epoll_ctl(sd->ep, EPOLL_CTL_DEL, stop_fd, NULL);
                return 0;
            }
            if (what == EV_LISTEN)
                accept_ports(sd);
            else if (what < sd->cfg.max_ports)
                read_port(sd, (unsigned int)what, evs[k].events);
        }
        now = now_ms();
        if (now - last_age >= 1000) {
            nb_switch_age(sd->sw, now);
            last_age = now;
        }
        if (__atomic_load_n(&sd->nports, __ATOMIC_RELAXED)) {
            idle_since = now;
        } else if (sd->cfg.idle_ms && now - idle_since >= sd->cfg.idle_ms) {
            log_info("switch %s: no ports for %u s: exiting", sd->name, sd->cfg.idle_ms / 1000);
            return 0;
        }
    }
}

void nb_switchd_close(struct nb_switchd *sd)
{
    char path[PATH_MAX];

    if (!sd)
        return;
    for (unsigned int i = 0; sd->ports && i < sd->cfg.max_ports; i++)
        if (sd->ports[i].fd >= 0)
            close(sd->ports[i].fd);
    if (sd->listen_fd >= 0) {
        close(sd->listen_fd);
        if (nb_switch_socket_path(sd->name, path, sizeof(path)) == 0)
            unlink(path);
    }
    if (sd->ep >= 0)
        close(sd->ep);
    if (sd->lock_fd >= 0)
        close(sd->lock_fd);
    nb_switch_destroy(sd->sw);
    free(sd->ports);
    free(sd->buf);
    free(sd);
}

void nb_switchd_stats(struct nb_switchd *sd, struct nb_switchd_stats *out)
{
    out->frames = __atomic_load_n(&sd->frames, __ATOMIC_RELAXED);
    out->flooded = __atomic_load_n(&sd->flooded, __ATOMIC_RELAXED);
    out->dropped = __atomic_load_n(&sd->dropped, __ATOMIC_RELAXED);
    out->ports = __atomic_load_n(&sd->greeted, __ATOMIC_RELAXED);
}

/* The client. */

int nb_switch_connect(const char *name, const char *port)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct hello h;
    int fd, rc, size = SOCKET_BUFFER;

    if (!nb_switch_name_ok(name))
        return -EINVAL;
    rc = nb_switch_socket_path(name, sa.sun_path, sizeof(sa.sun_path));
    if (rc < 0)
        return rc;
    fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        rc = -errno;
        close(fd);
        return rc;
    }
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
    memset(&h, 0, sizeof(h));
    memcpy(h.magic, HELLO_MAGIC, sizeof(h.magic));
    h.version = HELLO_VERSION;
    snprintf(h.port, sizeof(h.port), "%s", port);
    if (send(fd, &h, sizeof(h), MSG_NOSIGNAL) != (ssize_t)sizeof(h) ||
        fcntl(fd, F_SETFL, O_NONBLOCK) < 0) {
        rc = -errno;
        close(fd);
        return rc;
    }
    return fd;
}

struct switch_link {
    struct nb_link link;
    char name[NB_SWITCH_NAME_MAX + 1];
    char port[PORT_NAME_MAX];
    char *self;
    char **extra;
};

/* Run `self --switch name extra...`, which returns once the switch listens. */
static int start_switch(struct switch_link *s)
{
    char *argv[32];
    size_t n = 0;
    posix_spawnattr_t attr;
    sigset_t none;
    pid_t pid;
    int rc, status;

    argv[n++] = s->self;
    argv[n++] = "--switch";
    argv[n++] = s->name;
    for (size_t i = 0; s->extra && s->extra[i] && n < 31; i++)
        argv[n++] = s->extra[i];
    argv[n] = NULL;
    posix_spawnattr_init(&attr);
    /* Whatever our signal mask is (a signalfd's), the switch starts with none blocked. */
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
    rc = posix_spawn(&pid, s->self, NULL, &attr, argv, environ);
    posix_spawnattr_destroy(&attr);
    if (rc != 0)
        return -rc;
    if (waitpid(pid, &status, 0) < 0)
        return -errno;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

static int switch_connect(struct switch_link *s)
{
    int fd = nb_switch_connect(s->name, s->port);

    if ((fd == -ENOENT || fd == -ECONNREFUSED) && s->self) {
        int rc = start_switch(s);

        if (rc < 0)
            return rc;
        fd = nb_switch_connect(s->name, s->port);
    }
    return fd;
}

static int switch_reopen(struct nb_link *l)
{
    struct switch_link *s = l->priv;
    int fd;

    close(l->fd);
    l->fd = -1;
    fd = switch_connect(s);
    if (fd < 0)
        return fd;
    l->fd = fd;
    return 0;
}

static void switch_close(struct nb_link *l)
{
    struct switch_link *s = l->priv;

    if (l->fd >= 0)
        close(l->fd);
    free(s->self);
    for (size_t i = 0; s->extra && s->extra[i]; i++)
        free(s->extra[i]);
    free(s->extra);
    free(s);
}

int nb_switch_link_open(struct nb_link **out, const char *name, const char *port,
                        const char *self, char *const *extra_args, char *err, size_t errlen)
{
    struct switch_link *s;
    size_t n = 0;
    int fd;

    *out = NULL;
    if (!nb_switch_name_ok(name)) {
        snprintf(err, errlen, "'%.40s' is not a valid switch name (letters, digits, '-', '_' "
                 "and '.', at most %d)", name, NB_SWITCH_NAME_MAX);
        return -EINVAL;
    }
    s = calloc(1, sizeof(*s));
    if (!s)
        goto nomem;
    s->link.fd = -1;
    snprintf(s->name, sizeof(s->name), "%s", name);
    snprintf(s->port, sizeof(s->port), "%s", port);
    while (extra_args && extra_args[n])
        n++;
    s->self = self ? strdup(self) : NULL;
    s->extra = calloc(n + 1, sizeof(*s->extra));
    if ((self && !s->self) || !s->extra)
        goto nomem;
    for (size_t i = 0; i < n; i++)
        if (!(s->extra[i] = strdup(extra_args[i])))
            goto nomem;
    s->link.priv = s;
    s->link.reopen = switch_reopen;
    s->link.close = switch_close;
    snprintf(s->link.desc, sizeof(s->link.desc), "switch %s", name);
    fd = switch_connect(s);
    if (fd < 0) {
        snprintf(err, errlen, "cannot connect to switch %s: %s%s", name, strerror(-fd),
                 s->self ? "" : " (is its switch process running?)");
        switch_close(&s->link);
        return fd;
    }
    s->link.fd = fd;
    *out = &s->link;
    return 0;
nomem:
    if (s)
        switch_close(&s->link);
    snprintf(err, errlen, "out of memory");
    return -ENOMEM;
}
