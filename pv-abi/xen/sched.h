/* xen/sched.h: HYPERVISOR_sched_op: yielding, blocking, polling and shutdown. */
/* SPDX-License-Identifier: MIT */
#ifndef __LAMINA_XEN_PUBLIC_SCHED_H__
#define __LAMINA_XEN_PUBLIC_SCHED_H__

#include <stdint.h>

#include "event_channel.h"

/* Give up the CPU but stay runnable. No argument. */
#define SCHEDOP_yield 0
/* Sleep until an event is pending for this vCPU (clears the upcall mask). */
#define SCHEDOP_block 1
/* Stop the whole domain for a reason (struct sched_shutdown). */
#define SCHEDOP_shutdown 2
/* Sleep until one of the listed ports is pending or the timeout passes. */
#define SCHEDOP_poll 3
/* Shut another domain down (control domain only). */
#define SCHEDOP_remote_shutdown 4
/* Record a reason for a later shutdown without shutting down now. */
#define SCHEDOP_shutdown_code 5
/* Arm, re-arm (id != 0) or destroy (timeout == 0) a domain watchdog. */
#define SCHEDOP_watchdog 6
#define SCHEDOP_pin_override 7

struct sched_shutdown {
    unsigned int reason;
};
typedef struct sched_shutdown sched_shutdown_t;
DEFINE_XEN_GUEST_HANDLE(sched_shutdown_t);

/* timeout is absolute system time in ns; 0 means wait forever. */
struct sched_poll {
    XEN_GUEST_HANDLE(evtchn_port_t) ports;
    unsigned int nr_ports;
    uint64_t timeout;
};
typedef struct sched_poll sched_poll_t;
DEFINE_XEN_GUEST_HANDLE(sched_poll_t);

struct sched_remote_shutdown {
    domid_t domain_id;
    unsigned int reason;
};
typedef struct sched_remote_shutdown sched_remote_shutdown_t;
DEFINE_XEN_GUEST_HANDLE(sched_remote_shutdown_t);

/* id 0 allocates a new watchdog (its id is returned); timeout in seconds. */
struct sched_watchdog {
    uint32_t id;
    uint32_t timeout;
};
typedef struct sched_watchdog sched_watchdog_t;
DEFINE_XEN_GUEST_HANDLE(sched_watchdog_t);

struct sched_pin_override {
    int32_t pcpu;
};
typedef struct sched_pin_override sched_pin_override_t;
DEFINE_XEN_GUEST_HANDLE(sched_pin_override_t);

/* Shutdown reasons, as reported to the toolstack. */
#define SHUTDOWN_poweroff 0
#define SHUTDOWN_reboot 1
#define SHUTDOWN_suspend 2
#define SHUTDOWN_crash 3
#define SHUTDOWN_watchdog 4
/* Reset the domain to its boot state, keeping its memory. */
#define SHUTDOWN_soft_reset 5
#define SHUTDOWN_MAX 5

#endif /* __LAMINA_XEN_PUBLIC_SCHED_H__ */
