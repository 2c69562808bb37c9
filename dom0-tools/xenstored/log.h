/* log.h: lamina-xenstored's log (Lamina's common host log) and request tracing. */
/* SPDX-License-Identifier: MIT */
#ifndef XSD_LOG_H
#define XSD_LOG_H

#include <stdbool.h>

#include <lamina/log.h>

/* CONTROL log|on: every request and reply is logged at info level. */
extern bool log_trace;

#endif /* XSD_LOG_H */
