/* loop.c: event loops (epoll): the main loop and the event thread's loop. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
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

struct loop {
    int epfd;
    int wake_fd;
    /* Recursive: handlers may add and delete descriptors of their own loop. */
    pthread_mutex_t lock;
    struct loop_fd *fds;
    struct loop_fd *graveyard;      /* deleted this round, freed after it */
    volatile bool stopping;
    pthread_t thread;
    bool threaded;
};

struct loop *main_loop;
struct loop *event_loop;

static pthread_mutex_t work_lock = PTHREAD_MUTEX_INITIALIZER;
static struct work *work_head, **work_tail = &work_head;

static struct loop_fd *find_fd(struct loop *l, int fd)
{
    for (struct loop_fd *f = l->fds; f; f = f->next)
        if (f->fd == fd)
            return f;
    return NULL;
}

int loop_add(struct loop *l, int fd, uint32_t events, loop_fd_fn fn, void *arg)
{
    struct loop_fd *f = malloc(sizeof(*f));
    struct epoll_event ev = { .events = events };
    int rc = 0;

    if (!f)
        return -ENOMEM;
    f->fd = fd;
    f->fn = fn;
    f->arg = arg;
    ev.data.ptr = f;
    pthread_mutex_lock(&l->lock);
    if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
        rc = -errno;
        free(f);
    } else {
        f->next = l->fds;
        l->fds = f;
    }
    pthread_mutex_unlock(&l->lock);
    return rc;
}

int loop_mod(struct loop *l, int fd, uint32_t events, loop_fd_fn fn, void *arg)
{
    struct epoll_event ev = { .events = events };
    struct loop_fd *f;
    int rc = -ENOENT;

    pthread_mutex_lock(&l->lock);
    f = find_fd(l, fd);
    if (f) {
        f->fn = fn;
        f->arg = arg;
        ev.data.ptr = f;
        rc = epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) < 0 ? -errno : 0;
    }
    pthread_mutex_unlock(&l->lock);
    return rc;
}

void loop_del(struct loop *l, int fd)
{
    struct loop_fd **pp;

    pthread_mutex_lock(&l->lock);
    for (pp = &l->fds; *pp; pp = &(*pp)->next) {
        if ((*pp)->fd == fd) {
            struct loop_fd *f = *pp;

            epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
            *pp = f->next;
            /* Events already fetched for this fd in this round are skipped. */
            f->fn = NULL;
            f->next = l->graveyard;
            l->graveyard = f;
            break;
        }
    }
    pthread_mutex_unlock(&l->lock);
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
    if (write(main_loop->wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
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

static void drain_wake(int fd, uint32_t events, void *arg)
{
    uint64_t n;

    if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
        log_err("event loop wake-up read failed: errno %d", errno);
}

static struct loop *loop_new(loop_fd_fn on_wake)
{
    struct loop *l = calloc(1, sizeof(*l));
    pthread_mutexattr_t attr;

    if (!l)
        return NULL;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&l->lock, &attr);
    pthread_mutexattr_destroy(&attr);
    l->epfd = epoll_create1(EPOLL_CLOEXEC);
    l->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (l->epfd < 0 || l->wake_fd < 0 || loop_add(l, l->wake_fd, EPOLLIN, on_wake, NULL) < 0)
        return NULL;
    return l;
}

int loops_init(void)
{
    main_loop = loop_new(run_work);
    event_loop = loop_new(drain_wake);
    return main_loop && event_loop ? 0 : -ENOMEM;
}

static int loop_iterate(struct loop *l)
{
    struct epoll_event evs[32];

    while (!l->stopping) {
        int n = epoll_wait(l->epfd, evs, 32, -1);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            log_err("epoll_wait failed: errno %d", errno);
            return -errno;
        }
        pthread_mutex_lock(&l->lock);
        for (int i = 0; i < n; i++) {
            struct loop_fd *f = evs[i].data.ptr;

            if (f->fn)
                f->fn(f->fd, evs[i].events, f->arg);
        }
        while (l->graveyard) {
            struct loop_fd *f = l->graveyard;

            l->graveyard = f->next;
            free(f);
        }
        pthread_mutex_unlock(&l->lock);
    }
    return 0;
}

static void loop_wake_stop(struct loop *l)
{
    uint64_t one = 1;

    l->stopping = true;
    if (write(l->wake_fd, &one, sizeof(one)) < 0) {
        /* The loop sees `stopping` at its next wake-up anyway. */
    }
}

int loop_run(void)
{
    return loop_iterate(main_loop);
}

void loop_stop(void)
{
    loop_wake_stop(main_loop);
}

static void *event_thread(void *arg)
{
    pthread_setname_np(pthread_self(), "events");
    loop_iterate(arg);
    return NULL;
}

int event_loop_start(void)
{
    sigset_t all, old;
    int rc;

    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    rc = pthread_create(&event_loop->thread, NULL, event_thread, event_loop);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc)
        return -rc;
    event_loop->threaded = true;
    return 0;
}

void event_loop_stop(void)
{
    if (!event_loop || !event_loop->threaded)
        return;
    loop_wake_stop(event_loop);
    pthread_join(event_loop->thread, NULL);
    event_loop->threaded = false;
}
