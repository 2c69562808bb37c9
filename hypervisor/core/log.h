/* log.h: the hypervisor's log, with Xen-style domain and vCPU prefixes. */
/* SPDX-License-Identifier: MIT */
#ifndef LAMINA_HV_LOG_H
#define LAMINA_HV_LOG_H

#include <lamina/log.h>

/* Per-domain messages carry the domain id, as Xen's "d3v0" prefixes do. */
#define dlog(lvl, d, fmt, ...)      log_msg(lvl, "d%u: " fmt, (d)->domid, ##__VA_ARGS__)
#define vlog(lvl, v, fmt, ...) \
    log_msg(lvl, "d%uv%u: " fmt, (v)->d->domid, (v)->id, ##__VA_ARGS__)

/* Messages a guest can provoke at will: rate-limited per domain. */
#define dlog_guest(lvl, d, fmt, ...) do {                                   \
        if (domain_log_ratelimit(d))                                        \
            dlog(lvl, d, fmt, ##__VA_ARGS__);                               \
    } while (0)
#define vlog_guest(lvl, v, fmt, ...) do {                                   \
        if (domain_log_ratelimit((v)->d))                                   \
            vlog(lvl, v, fmt, ##__VA_ARGS__);                               \
    } while (0)

#endif /* LAMINA_HV_LOG_H */
