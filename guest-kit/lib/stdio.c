/* stdio.c: printf and friends over the formatting engine: to the console or into a buffer. */
/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>

#include "../internal.h"
#include "format.h"

struct buffer {
    char *buf;
    size_t size;        /* room, NUL included */
    size_t len;         /* bytes stored so far, NUL excluded */
};

static void buffer_put(void *ctx, const char *s, size_t n)
{
    struct buffer *b = ctx;
    size_t room = b->size ? b->size - 1 - b->len : 0;

    if (n > room)
        n = room;
    memcpy(b->buf + b->len, s, n);
    b->len += n;
}

static void console_put(void *ctx, const char *s, size_t n)
{
    (void)ctx;
    gk_console_put(s, n);
}

int vsnprintf(char *restrict buf, size_t size, const char *restrict fmt, va_list ap)
{
    struct buffer b = { buf, size, 0 };
    int n = gk_vformat(buffer_put, &b, fmt, ap);

    if (size)
        buf[b.len] = '\0';
    return n;
}

int snprintf(char *restrict buf, size_t size, const char *restrict fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

int vprintf(const char *restrict fmt, va_list ap)
{
    /* One printf's pieces stay together when vCPUs print at once. */
    unsigned long flags = gk_console_lock();
    int n = gk_vformat(console_put, NULL, fmt, ap);

    gk_console_unlock(flags);
    return n;
}

int printf(const char *restrict fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vprintf(fmt, ap);
    va_end(ap);
    return n;
}

int puts(const char *s)
{
    unsigned long flags = gk_console_lock();

    gk_console_put(s, strlen(s));
    gk_console_put("\n", 1);
    gk_console_unlock(flags);
    return 0;
}

int putchar(int c)
{
    char ch = (char)c;

    gk_console_put(&ch, 1);
    return (unsigned char)ch;
}
