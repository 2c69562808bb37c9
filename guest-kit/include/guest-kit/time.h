/* time.h: time from Xen's vcpu_time_info and the wallclock in shared_info. */
/* SPDX-License-Identifier: MIT */
#ifndef GUEST_KIT_TIME_H
#define GUEST_KIT_TIME_H

#include <stdint.h>

#define GK_NSEC_PER_SEC 1000000000ull

/* Nanoseconds since the domain was created; never goes backwards. */
uint64_t gk_monotonic_ns(void);

/* Nanoseconds since 1970-01-01 00:00 UTC. */
uint64_t gk_wallclock(void);

#endif /* GUEST_KIT_TIME_H */
