/* log.h: lamina-xenstored's log: timestamped lines to a file or stderr. */
/* SPDX-License-Identifier: MIT */
#ifndef XSD_LOG_H
#define XSD_LOG_H

#include <stdbool.h>

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* Append to path (NULL: back to stderr). */
int log_open(const char *path);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* CONTROL log|on: every request and reply is logged at info level. */
extern bool log_trace;

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif /* XSD_LOG_H */
