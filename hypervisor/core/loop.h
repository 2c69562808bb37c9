/* loop.h: event loops (epoll): the main loop and the event thread's loop. */
/* SPDX-License-Identifier: MIT */
#ifndef LAMINA_HV_LOOP_H
#define LAMINA_HV_LOOP_H

#include <stdint.h>

/*
 * Two loops run in lamina-hv: the main loop (control socket, deferred
 * work; the only thread that creates and destroys domains) and the event
 * loop, a thread of its own for latency-sensitive descriptors: vCPU timers
 * and dom0 event-channel kicks.  Handlers of one loop never block on the
 * other.  Descriptors may be added and removed from any thread; removal
 * waits for a running handler of that loop to finish, so after loop_del()
 * returns the handler's argument may be freed.
 */
struct loop;

typedef void (*loop_fd_fn)(int fd, uint32_t events, void *arg);
typedef void (*loop_work_fn)(void *arg);

extern struct loop *main_loop;
extern struct loop *event_loop;

int loops_init(void);
int event_loop_start(void);
void event_loop_stop(void);

int loop_add(struct loop *l, int fd, uint32_t events, loop_fd_fn fn, void *arg);
int loop_mod(struct loop *l, int fd, uint32_t events, loop_fd_fn fn, void *arg);
void loop_del(struct loop *l, int fd);

/*
 * Run fn(arg) on the main loop's thread soon.  Callable from any thread;
 * returns -ENOMEM (and logs) if the work could not be queued.
 */
int loop_defer(loop_work_fn fn, void *arg);

/* Run the main loop until loop_stop(). */
int loop_run(void);
void loop_stop(void);

#endif /* LAMINA_HV_LOOP_H */
