/* loop.c: the main thread's event loop (epoll) and deferred work. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"

struct loop_fd {
    int fd;
    loop_fd_fn fn;
    void *arg;
    struct loop_fd *next;
};

struct work {
    loop_work_fn fn;
    void *arg;
    struct work *next;
};

static int epfd = -1;
static int wake_fd = -1;
static struct loop_fd *fds;             /* main thread only */
static struct loop_fd *graveyard;       /* deleted this round, freed after it */
static pthread_mutex_t work_lock = PTHREAD_MUTEX_INITIALIZER;
static struct work *work_head, **work_tail = &work_head;
static volatile bool stopping;

static struct loop_fd *find_fd(int fd)
{
    for (struct loop_fd *f = fds; f; f = f->next)
        if (f->fd == fd)
            return f;
    return NULL;
}

int loop_add(int fd, uint32_t events, loop_fd_fn fn, void *arg)
{
    struct loop_fd *f = malloc(sizeof(*f));
    struct epoll_event ev = { .events = events };

    if (!f)
        return -ENOMEM;
    f->fd = fd;
    f->fn = fn;
    f->arg = arg;
    ev.data.ptr = f;
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
        int err = -errno;

        free(f);
        return err;
    }
    f->next = fds;
    fds = f;
    return 0;
}

int loop_mod(int fd, uint32_t events, loop_fd_fn fn, void *arg)
{
    struct loop_fd *f = find_fd(fd);
    struct epoll_event ev = { .events = events };

    if (!f)
        return -ENOENT;
    f->fn = fn;
    f->arg = arg;
    ev.data.ptr = f;
    return epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev) < 0 ? -errno : 0;
}

void loop_del(int fd)
{
    struct loop_fd **pp;

    for (pp = &fds; *pp; pp = &(*pp)->next) {
        if ((*pp)->fd == fd) {
            struct loop_fd *f = *pp;

            epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
            *pp = f->next;
            /* Events already fetched for this fd in this round are skipped. */
            f->fn = NULL;
            f->next = graveyard;
            graveyard = f;
            return;
        }
    }
}

int loop_defer(loop_work_fn fn, void *arg)
{
    struct work *w = malloc(sizeof(*w));
    uint64_t one = 1;

    if (!w) {
        log_err("out of memory queueing deferred work");
        return -ENOMEM;
    }
    w->fn = fn;
    w->arg = arg;
    w->next = NULL;
    pthread_mutex_lock(&work_lock);
    *work_tail = w;
    work_tail = &w->next;
    pthread_mutex_unlock(&work_lock);
    if (write(wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
        log_err("event loop wake-up failed: errno %d", errno);
    return 0;
}

static void run_work(int fd, uint32_t events, void *arg)
{
    uint64_t n;
    struct work *list;

    if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
        log_err("event loop wake-up read failed: errno %d", errno);
    pthread_mutex_lock(&work_lock);
    list = work_head;
    work_head = NULL;
    work_tail = &work_head;
    pthread_mutex_unlock(&work_lock);
    while (list) {
        struct work *w = list;

        list = w->next;
        w->fn(w->arg);
        free(w);
    }
}

int loop_init(void)
{
    epfd = epoll_create1(EPOLL_CLOEXEC);
    if (epfd < 0)
        return -errno;
    wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wake_fd < 0)
        return -errno;
    return loop_add(wake_fd, EPOLLIN, run_work, NULL);
}

void loop_stop(void)
{
    uint64_t one = 1;

    stopping = true;
    if (wake_fd >= 0 && write(wake_fd, &one, sizeof(one)) < 0) {
        /* The loop sees `stopping` at its next wake-up anyway. */
    }
}

int loop_run(void)
{
    struct epoll_event evs[32];

    while (!stopping) {
        int n = epoll_wait(epfd, evs, 32, -1);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            log_err("epoll_wait failed: errno %d", errno);
            return -errno;
        }
        for (int i = 0; i < n; i++) {
            struct loop_fd *f = evs[i].data.ptr;

            if (f->fn)
                f->fn(f->fd, evs[i].events, f->arg);
        }
        while (graveyard) {
            struct loop_fd *f = graveyard;

            graveyard = f->next;
            free(f);
        }
    }
    return 0;
}
