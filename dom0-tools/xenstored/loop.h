/* loop.h: lamina-xenstored's epoll event loop. */
/* SPDX-License-Identifier: MIT */
#ifndef XSD_LOOP_H
#define XSD_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct loop_source;
typedef void (*loop_cb)(int fd, uint32_t events, void *arg);

int loop_init(void);
void loop_fini(void);
/* Watch fd for events (EPOLLIN, EPOLLOUT); NULL with errno on failure. */
struct loop_source *loop_add(int fd, uint32_t events, loop_cb cb, void *arg);
int loop_mod(struct loop_source *s, uint32_t events);
/* Stop watching; safe from inside a callback. The caller closes the fd afterwards. */
void loop_del(struct loop_source *s);
/* Wait up to timeout_ms (-1: forever) and run the callbacks of ready sources. */
int loop_once(int timeout_ms);
void loop_stop(void);
bool loop_running(void);

#endif /* XSD_LOOP_H */
