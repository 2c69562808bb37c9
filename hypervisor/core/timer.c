/* timer.c: one-shot and periodic timers on the event thread (timerfd). */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "timer.h"

static void timer_expired(int fd, uint32_t events, void *arg)
{
    struct hv_timer *t = arg;
    uint64_t n;

    if (read(fd, &n, sizeof(n)) == sizeof(n) && n > 0)
        t->fn(t->arg);
}

int timer_init(struct hv_timer *t, void (*fn)(void *arg), void *arg)
{
    int rc;

    t->fn = fn;
    t->arg = arg;
    t->fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    if (t->fd < 0)
        return -errno;
    rc = loop_add(event_loop, t->fd, EPOLLIN, timer_expired, t);
    if (rc < 0) {
        close(t->fd);
        t->fd = -1;
    }
    return rc;
}

void timer_fini(struct hv_timer *t)
{
    if (t->fd < 0)
        return;
    loop_del(event_loop, t->fd);
    close(t->fd);
    t->fd = -1;
}

int timer_set(struct hv_timer *t, uint64_t abs_ns, uint64_t period_ns)
{
    struct itimerspec its = {
        .it_value = { (time_t)(abs_ns / 1000000000ull), (long)(abs_ns % 1000000000ull) },
        .it_interval = { (time_t)(period_ns / 1000000000ull), (long)(period_ns % 1000000000ull) },
    };

    if (abs_ns == 0)
        its.it_interval = its.it_value;     /* both zero: disarm */
    return timerfd_settime(t->fd, TFD_TIMER_ABSTIME, &its, NULL) < 0 ? -errno : 0;
}
