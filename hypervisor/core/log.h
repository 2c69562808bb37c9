/* log.h: the hypervisor's log. */
/* SPDX-License-Identifier: MIT */
#ifndef LAMINA_HV_LOG_H
#define LAMINA_HV_LOG_H

#include <stdio.h>

enum log_level { LOG_ERR, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* Send the log to a file (line-buffered); NULL means stderr. */
int log_open(const char *path);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_err(...)    log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...)   log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)   log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) \
    do { if (log_get_level() >= LOG_DEBUG) log_msg(LOG_DEBUG, __VA_ARGS__); } while (0)

/* Per-domain messages carry the domain id, as Xen's "d3v0" prefixes do. */
#define dlog(lvl, d, fmt, ...)      log_msg(lvl, "d%u: " fmt, (d)->domid, ##__VA_ARGS__)
#define vlog(lvl, v, fmt, ...) \
    log_msg(lvl, "d%uv%u: " fmt, (v)->d->domid, (v)->id, ##__VA_ARGS__)

#endif /* LAMINA_HV_LOG_H */
