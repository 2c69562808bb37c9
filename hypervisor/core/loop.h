/* loop.h: the main thread's event loop (epoll) and deferred work. */
/* SPDX-License-Identifier: MIT */
#ifndef LAMINA_HV_LOOP_H
#define LAMINA_HV_LOOP_H

#include <stdint.h>

typedef void (*loop_fd_fn)(int fd, uint32_t events, void *arg);
typedef void (*loop_work_fn)(void *arg);

int loop_init(void);
int loop_add(int fd, uint32_t events, loop_fd_fn fn, void *arg);
int loop_mod(int fd, uint32_t events, loop_fd_fn fn, void *arg);
void loop_del(int fd);

/*
 * Run fn(arg) on the main thread soon.  Callable from any thread; never
 * fails silently: returns -ENOMEM if the work could not be queued.
 */
int loop_defer(loop_work_fn fn, void *arg);

/* Run until loop_stop(); returns 0. */
int loop_run(void);
void loop_stop(void);

#endif /* LAMINA_HV_LOOP_H */
