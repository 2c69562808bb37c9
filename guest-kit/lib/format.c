/* format.c: the printf formatting engine: conversions, flags, width, precision, lengths. */
/* SPDX-License-Identifier: MIT */
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "format.h"

#define F_LEFT      0x01u   /* '-' */
#define F_ZERO      0x02u   /* '0' */
#define F_PLUS      0x04u   /* '+' */
#define F_SPACE     0x08u   /* ' ' */
#define F_ALT       0x10u   /* '#' */

enum length { LEN_NONE, LEN_HH, LEN_H, LEN_L, LEN_LL, LEN_Z, LEN_J, LEN_T };

struct out {
    gk_format_put_fn *put;
    void *ctx;
    size_t total;
};

struct spec {
    unsigned int flags;
    int width;              /* 0: none */
    int precision;          /* -1: none */
    enum length length;
    char conv;
};

static void emit(struct out *o, const char *s, size_t n)
{
    if (n) {
        o->put(o->ctx, s, n);
        o->total += n;
    }
}

/* Widths and counts are longs: a width near INT_MAX plus a prefix must not overflow. */
static void pad(struct out *o, char c, long n)
{
    static const char spaces[16] = "                ";
    static const char zeroes[16] = "0000000000000000";
    const char *run = c == '0' ? zeroes : spaces;

    while (n > 0) {
        long k = n < (long)sizeof(spaces) ? n : (long)sizeof(spaces);

        emit(o, run, (size_t)k);
        n -= k;
    }
}

/* A field of `len` bytes, padded to the width. */
static void emit_field(struct out *o, const struct spec *sp, const char *s, size_t len)
{
    long fill = (long)sp->width > (long)len ? (long)sp->width - (long)len : 0;

    if (!(sp->flags & F_LEFT))
        pad(o, ' ', fill);
    emit(o, s, len);
    if (sp->flags & F_LEFT)
        pad(o, ' ', fill);
}

static void emit_int(struct out *o, const struct spec *sp, uint64_t value, bool negative)
{
    static const char lower[] = "0123456789abcdef", upper[] = "0123456789ABCDEF";
    const char *set = sp->conv == 'X' ? upper : lower;
    unsigned int base = sp->conv == 'o' ? 8 : (sp->conv == 'x' || sp->conv == 'X' ||
                                               sp->conv == 'p') ? 16 : 10;
    bool is_signed = sp->conv == 'd' || sp->conv == 'i';
    char digits[24], prefix[2];
    int nd = 0, np = 0;
    long zeroes, len;
    char *end = digits + sizeof(digits);

    if (value != 0 || sp->precision != 0) {
        uint64_t v = value;

        do {
            *--end = set[v % base];
            v /= base;
            nd++;
        } while (v);
    }

    if (is_signed && negative) {
        prefix[np++] = '-';
    } else if (is_signed && (sp->flags & F_PLUS)) {
        prefix[np++] = '+';
    } else if (is_signed && (sp->flags & F_SPACE)) {
        prefix[np++] = ' ';
    } else if ((sp->flags & F_ALT) && base == 16 && value != 0) {
        prefix[np++] = '0';
        prefix[np++] = sp->conv == 'X' ? 'X' : 'x';
    }

    zeroes = sp->precision > nd ? (long)sp->precision - nd : 0;
    /* '#' with 'o' makes the first digit a 0. */
    if ((sp->flags & F_ALT) && base == 8 && zeroes == 0 && (nd == 0 || *end != '0'))
        zeroes = 1;
    len = (long)np + zeroes + nd;
    if ((sp->flags & F_ZERO) && !(sp->flags & F_LEFT) && sp->precision < 0 && sp->width > len) {
        zeroes += sp->width - len;
        len = sp->width;
    }

    if (!(sp->flags & F_LEFT) && sp->width > len)
        pad(o, ' ', sp->width - len);
    emit(o, prefix, (size_t)np);
    pad(o, '0', zeroes);
    emit(o, end, (size_t)nd);
    if ((sp->flags & F_LEFT) && sp->width > len)
        pad(o, ' ', sp->width - len);
}

static int64_t arg_signed(enum length length, va_list *ap)
{
    switch (length) {
    case LEN_HH:
        return (signed char)va_arg(*ap, int);
    case LEN_H:
        return (short)va_arg(*ap, int);
    case LEN_L:
        return va_arg(*ap, long);
    case LEN_LL:
        return va_arg(*ap, long long);
    case LEN_Z:
        return va_arg(*ap, long);           /* the signed type of size_t's width */
    case LEN_J:
        return va_arg(*ap, intmax_t);
    case LEN_T:
        return va_arg(*ap, ptrdiff_t);
    default:
        return va_arg(*ap, int);
    }
}

static uint64_t arg_unsigned(enum length length, va_list *ap)
{
    switch (length) {
    case LEN_HH:
        return (unsigned char)va_arg(*ap, unsigned int);
    case LEN_H:
        return (unsigned short)va_arg(*ap, unsigned int);
    case LEN_L:
        return va_arg(*ap, unsigned long);
    case LEN_LL:
        return va_arg(*ap, unsigned long long);
    case LEN_Z:
        return va_arg(*ap, size_t);
    case LEN_J:
        return va_arg(*ap, uintmax_t);
    case LEN_T:
        return (uint64_t)va_arg(*ap, ptrdiff_t);
    default:
        return va_arg(*ap, unsigned int);
    }
}

/* Digits of a width or precision; absurd values saturate rather than overflow. */
static int parse_number(const char **p)
{
    int n = 0;

    while (**p >= '0' && **p <= '9') {
        if (n <= (INT_MAX - 9) / 10)
            n = n * 10 + (**p - '0');
        (*p)++;
    }
    return n;
}

/* Parses flags, width, precision and length after '%'; leaves *p at the conversion. */
static void parse_spec(const char **p, struct spec *sp, va_list *ap)
{
    const char *f = *p;

    *sp = (struct spec){ .precision = -1 };
    for (;; f++) {
        if (*f == '-')
            sp->flags |= F_LEFT;
        else if (*f == '0')
            sp->flags |= F_ZERO;
        else if (*f == '+')
            sp->flags |= F_PLUS;
        else if (*f == ' ')
            sp->flags |= F_SPACE;
        else if (*f == '#')
            sp->flags |= F_ALT;
        else
            break;
    }
    if (*f == '*') {
        int w = va_arg(*ap, int);

        f++;
        if (w < 0) {
            sp->flags |= F_LEFT;
            w = w == INT_MIN ? INT_MAX : -w;
        }
        sp->width = w;
    } else {
        sp->width = parse_number(&f);
    }
    if (*f == '.') {
        f++;
        if (*f == '*') {
            int prec = va_arg(*ap, int);

            f++;
            sp->precision = prec < 0 ? -1 : prec;
        } else {
            sp->precision = parse_number(&f);
        }
    }
    switch (*f) {
    case 'h':
        sp->length = f[1] == 'h' ? LEN_HH : LEN_H;
        f += f[1] == 'h' ? 2 : 1;
        break;
    case 'l':
        sp->length = f[1] == 'l' ? LEN_LL : LEN_L;
        f += f[1] == 'l' ? 2 : 1;
        break;
    case 'z':
        sp->length = LEN_Z;
        f++;
        break;
    case 'j':
        sp->length = LEN_J;
        f++;
        break;
    case 't':
        sp->length = LEN_T;
        f++;
        break;
    default:
        break;
    }
    sp->conv = *f;
    *p = f;
}

static void convert(struct out *o, struct spec *sp, va_list *ap)
{
    switch (sp->conv) {
    case 'd':
    case 'i': {
        int64_t v = arg_signed(sp->length, ap);

        emit_int(o, sp, v < 0 ? -(uint64_t)v : (uint64_t)v, v < 0);
        break;
    }
    case 'u':
    case 'x':
    case 'X':
    case 'o':
        emit_int(o, sp, arg_unsigned(sp->length, ap), false);
        break;
    case 'p': {
        uintptr_t v = (uintptr_t)va_arg(*ap, void *);

        if (!v) {
            emit_field(o, sp, "(nil)", 5);
            break;
        }
        sp->flags |= F_ALT;
        emit_int(o, sp, v, false);
        break;
    }
    case 'c': {
        char c = (char)va_arg(*ap, int);

        emit_field(o, sp, &c, 1);
        break;
    }
    case 's': {
        const char *s = va_arg(*ap, const char *);

        /* As glibc does: "(null)", or nothing if the precision cuts it. */
        if (!s)
            s = sp->precision < 0 || sp->precision >= 6 ? "(null)" : "";
        emit_field(o, sp, s, sp->precision < 0 ? strlen(s) : strnlen(s, (size_t)sp->precision));
        break;
    }
    case '%':
        emit(o, "%", 1);
        break;
    default:
        /* Not a conversion we know (%n included): print it as written. */
        emit(o, "%", 1);
        emit(o, &sp->conv, 1);
        break;
    }
}

int gk_vformat(gk_format_put_fn *put, void *ctx, const char *fmt, va_list ap)
{
    struct out o = { put, ctx, 0 };
    const char *p = fmt, *end = fmt + strlen(fmt);
    va_list args;

    va_copy(args, ap);
    while (p < end) {
        const char *pct = memchr(p, '%', (size_t)(end - p));
        struct spec sp;

        emit(&o, p, (size_t)((pct ? pct : end) - p));
        if (!pct)
            break;
        p = pct + 1;
        parse_spec(&p, &sp, &args);
        if (!sp.conv) {
            emit(&o, "%", 1);       /* a lone '%' ends the format */
            break;
        }
        convert(&o, &sp, &args);
        p++;
    }
    va_end(args);
    return o.total > INT_MAX ? INT_MAX : (int)o.total;
}
