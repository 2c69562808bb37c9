/* timer.h: one-shot and periodic timers on the event thread (timerfd). */
/* SPDX-License-Identifier: MIT */
#ifndef LAMINA_HV_TIMER_H
#define LAMINA_HV_TIMER_H

#include <stdint.h>

struct hv_timer {
    int fd;
    void (*fn)(void *arg);
    void *arg;
};

/* fn runs on the event thread when the timer expires. */
int timer_init(struct hv_timer *t, void (*fn)(void *arg), void *arg);
void timer_fini(struct hv_timer *t);
/* Fire at CLOCK_MONOTONIC time abs_ns, then every period_ns (0: once); abs_ns 0 stops it. */
int timer_set(struct hv_timer *t, uint64_t abs_ns, uint64_t period_ns);

#endif /* LAMINA_HV_TIMER_H */
