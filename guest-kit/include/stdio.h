/* stdio.h: guest-kit's C library: formatted output to the domain console. */
/* SPDX-License-Identifier: MIT */
#ifndef GUEST_KIT_STDIO_H
#define GUEST_KIT_STDIO_H

#include <stdarg.h>
#include <stddef.h>

#define EOF (-1)

/*
 * Conversions: %d %i %u %x %X %o %s %c %p %%, with the flags - 0 + space #,
 * a width and a precision (either may be *), and the length modifiers
 * hh h l ll z j t. Output goes to the console a line at a time.
 */
int printf(const char *restrict fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char *restrict fmt, va_list ap) __attribute__((format(printf, 1, 0)));
int snprintf(char *restrict buf, size_t size, const char *restrict fmt, ...)
    __attribute__((format(printf, 3, 4)));
int vsnprintf(char *restrict buf, size_t size, const char *restrict fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
int puts(const char *s);
int putchar(int c);

#endif /* GUEST_KIT_STDIO_H */
