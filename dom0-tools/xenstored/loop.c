/* loop.c: lamina-xenstored's epoll event loop. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "loop.h"

struct loop_source {
    int fd;
    uint32_t events;
    loop_cb cb;
    void *arg;
    bool dead;
    struct loop_source *next_dead;
};

static struct {
    int epfd;
    bool running;
    struct loop_source *dead;       /* freed after the current batch */
} lp = { .epfd = -1 };

int loop_init(void)
{
    lp.epfd = epoll_create1(EPOLL_CLOEXEC);
    if (lp.epfd < 0)
        return -errno;
    lp.running = true;
    return 0;
}

static void free_dead(void)
{
    while (lp.dead) {
        struct loop_source *s = lp.dead;

        lp.dead = s->next_dead;
        free(s);
    }
}

void loop_fini(void)
{
    free_dead();
    if (lp.epfd >= 0)
        close(lp.epfd);
    lp.epfd = -1;
}

struct loop_source *loop_add(int fd, uint32_t events, loop_cb cb, void *arg)
{
    struct loop_source *s = calloc(1, sizeof(*s));
    struct epoll_event ev = { .events = events };

    if (!s)
        return NULL;
    s->fd = fd;
    s->events = events;
    s->cb = cb;
    s->arg = arg;
    ev.data.ptr = s;
    if (epoll_ctl(lp.epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
        int saved = errno;

        free(s);
        errno = saved;
        return NULL;
    }
    return s;
}

int loop_mod(struct loop_source *s, uint32_t events)
{
    struct epoll_event ev = { .events = events, .data.ptr = s };

    if (s->dead || s->events == events)
        return 0;
    if (epoll_ctl(lp.epfd, EPOLL_CTL_MOD, s->fd, &ev) < 0)
        return -errno;
    s->events = events;
    return 0;
}

void loop_del(struct loop_source *s)
{
    if (!s || s->dead)
        return;
    epoll_ctl(lp.epfd, EPOLL_CTL_DEL, s->fd, NULL);
    s->dead = true;
    s->next_dead = lp.dead;
    lp.dead = s;
}

int loop_once(int timeout_ms)
{
    struct epoll_event evs[64];
    int n = epoll_wait(lp.epfd, evs, 64, timeout_ms);

    if (n < 0)
        return errno == EINTR ? 0 : -errno;
    for (int i = 0; i < n; i++) {
        struct loop_source *s = evs[i].data.ptr;

        if (!s->dead)
            s->cb(s->fd, evs[i].events, s->arg);
    }
    free_dead();
    return n;
}

void loop_stop(void)
{
    lp.running = false;
}

bool loop_running(void)
{
    return lp.running;
}
