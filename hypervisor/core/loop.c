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

/*
 * Handlers run with no loop lock held, so they may take any lock (and add
 * or delete descriptors).  A deletion from another thread waits until the
 * handler of that very descriptor is not running; deleted entries are freed
 * at the end of the round, so events already fetched for them are skipped.
 */
struct loop {
    int epfd;
    int wake_fd;
    pthread_mutex_t lock;
    pthread_cond_t idle;            /* `running` went back to NULL */
    struct loop_fd *fds;
    struct loop_fd *graveyard;      /* deleted this round, freed after it */
    struct loop_fd *running;        /* whose handler runs now */
    volatile bool stopping;
    pthread_t thread;               /* the thread running the loop */
    bool thread_known;
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
            f->fn = NULL;
            f->next = l->graveyard;
            l->graveyard = f;
            /* Unless its handler deletes it, let a running handler finish. */
            while (l->running == f &&
                   !(l->thread_known && pthread_equal(l->thread, pthread_self())))
                pthread_cond_wait(&l->idle, &l->lock);
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

    if (!l)
        return NULL;
    pthread_mutex_init(&l->lock, NULL);
    pthread_cond_init(&l->idle, NULL);
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

    pthread_mutex_lock(&l->lock);
    l->thread = pthread_self();
    l->thread_known = true;
    pthread_mutex_unlock(&l->lock);
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
            loop_fd_fn fn = f->fn;
            void *arg = f->arg;

            if (!fn)
                continue;
            l->running = f;
            pthread_mutex_unlock(&l->lock);
            fn(f->fd, evs[i].events, arg);
            pthread_mutex_lock(&l->lock);
            l->running = NULL;
            pthread_cond_broadcast(&l->idle);
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
