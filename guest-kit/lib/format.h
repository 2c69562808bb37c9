/* format.h: the printf formatting engine shared by printf() and snprintf(). */
/* SPDX-License-Identifier: MIT */
#ifndef GUEST_KIT_FORMAT_H
#define GUEST_KIT_FORMAT_H

#include <stdarg.h>
#include <stddef.h>

/* Receives the output in pieces (literal runs, padding, converted fields). */
typedef void gk_format_put_fn(void *ctx, const char *s, size_t n);

/* Returns the number of bytes produced (at most INT_MAX), as printf does. */
int gk_vformat(gk_format_put_fn *put, void *ctx, const char *fmt, va_list ap);

#endif /* GUEST_KIT_FORMAT_H */
