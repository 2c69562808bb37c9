/* console.c: each domain's console: history, log file and attached readers. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lamina/ctl-wire.h>

#include <xen/xen.h>

#include "console.h"
#include "guest_mem.h"
#include "hv.h"

struct console {
    pthread_mutex_t lock;
    uint8_t hist[CONSOLE_HISTORY];
    uint64_t head;              /* bytes ever written */
    int log_fd;
    bool log_failed;
};

static void (*notify_fn)(void);

void console_set_notify(void (*fn)(void))
{
    notify_fn = fn;
}

int console_init(struct domain *d)
{
    struct console *c = calloc(1, sizeof(*c));
    char path[PATH_MAX];

    if (!c)
        return -ENOMEM;
    pthread_mutex_init(&c->lock, NULL);
    c->log_fd = -1;
    if (snprintf(path, sizeof(path), "%s/console/guest-%s.log", lamina_logdir(), d->name) <
        (int)sizeof(path)) {
        c->log_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
        if (c->log_fd < 0)
            dlog(LOG_WARN, d, "cannot open console log %s: %s", path, strerror(errno));
    }
    d->console = c;
    return 0;
}

void console_free(struct domain *d)
{
    struct console *c = d->console;

    if (!c)
        return;
    if (c->log_fd >= 0)
        close(c->log_fd);
    pthread_mutex_destroy(&c->lock);
    free(c);
    d->console = NULL;
}

void console_write(struct domain *d, const void *buf, size_t len)
{
    struct console *c = d->console;
    const uint8_t *p = buf;

    if (!c || !len)
        return;
    pthread_mutex_lock(&c->lock);
    if (c->log_fd >= 0 && !c->log_failed) {
        size_t done = 0;

        while (done < len) {
            ssize_t n = write(c->log_fd, p + done, len - done);

            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                c->log_failed = true;
                dlog(LOG_WARN, d, "console log write failed: %s; log stopped",
                     strerror(errno));
                break;
            }
            done += (size_t)n;
        }
    }
    if (len > CONSOLE_HISTORY) {
        c->head += len - CONSOLE_HISTORY;
        p += len - CONSOLE_HISTORY;
        len = CONSOLE_HISTORY;
    }
    for (size_t i = 0; i < len; ) {
        size_t at = c->head % CONSOLE_HISTORY;
        size_t chunk = CONSOLE_HISTORY - at;

        if (chunk > len - i)
            chunk = len - i;
        memcpy(c->hist + at, p + i, chunk);
        c->head += chunk;
        i += chunk;
    }
    pthread_mutex_unlock(&c->lock);
    if (notify_fn)
        notify_fn();
}

size_t console_fetch(struct domain *d, uint64_t *cursor, void *dst, size_t max, uint64_t *lost)
{
    struct console *c = d->console;
    uint8_t *out = dst;
    size_t copied = 0;

    *lost = 0;
    if (!c)
        return 0;
    pthread_mutex_lock(&c->lock);
    if (*cursor > c->head)
        *cursor = c->head;
    if (c->head - *cursor > CONSOLE_HISTORY) {
        *lost = c->head - CONSOLE_HISTORY - *cursor;
        *cursor = c->head - CONSOLE_HISTORY;
    }
    while (copied < max && *cursor < c->head) {
        size_t at = *cursor % CONSOLE_HISTORY;
        size_t chunk = CONSOLE_HISTORY - at;

        if (chunk > c->head - *cursor)
            chunk = c->head - *cursor;
        if (chunk > max - copied)
            chunk = max - copied;
        memcpy(out + copied, c->hist + at, chunk);
        copied += chunk;
        *cursor += chunk;
    }
    pthread_mutex_unlock(&c->lock);
    return copied;
}

uint64_t console_head(struct domain *d)
{
    uint64_t h;

    if (!d->console)
        return 0;
    pthread_mutex_lock(&d->console->lock);
    h = d->console->head;
    pthread_mutex_unlock(&d->console->lock);
    return h;
}

uint64_t console_replay_start(struct domain *d)
{
    uint64_t h = console_head(d);

    return h > CONSOLE_HISTORY ? h - CONSOLE_HISTORY : 0;
}

long do_console_io(struct vcpu *v, const uint64_t a[6])
{
    uint64_t cmd = a[0], count = a[1], buffer = a[2];
    char chunk[512];
    uint64_t done = 0;

    switch (cmd) {
    case CONSOLEIO_write:
        /* Bounded per call so one guest cannot hold its vCPU thread forever. */
        if (count > CONSOLE_HISTORY)
            return -EINVAL;
        while (done < count) {
            size_t n = count - done > sizeof(chunk) ? sizeof(chunk) : (size_t)(count - done);
            int rc = copy_from_guest(v, chunk, buffer + done, n);

            if (rc < 0)
                return done ? (long)done : rc;
            console_write(v->d, chunk, n);
            done += n;
        }
        return (long)count;
    case CONSOLEIO_read:
        /* Input reaches guests through their console ring, not this call. */
        return -EPERM;
    default:
        return -ENOSYS;
    }
}
