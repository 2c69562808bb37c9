/* log.h: the log of Lamina's host programs: timestamped lines to a file or stderr. */
/* SPDX-License-Identifier: MIT */
#ifndef __LAMINA_LOG_H__
#define __LAMINA_LOG_H__

#include <stdio.h>

enum log_level { LOG_ERR, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* Append to the file at path (line-buffered); NULL sends the log back to stderr. */
int log_open(const char *path);
/* Open the current log file again (after log rotation); 0 when logging to stderr. */
int log_reopen(void);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_err(...)    log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...)   log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)   log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) \
    do { if (log_get_level() >= LOG_DEBUG) log_msg(LOG_DEBUG, __VA_ARGS__); } while (0)

#endif /* __LAMINA_LOG_H__ */
