/* stdlib.c: number conversions (strtol and friends, atoi) and abs. */
/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>

/* x86-64 is LP64: the long versions are the long long ones. */
_Static_assert(sizeof(long) == sizeof(long long), "long is 64 bits");

int errno;

static int digit_value(char c)
{
    if (isdigit(c))
        return c - '0';
    if (islower(c))
        return c - 'a' + 10;
    if (isupper(c))
        return c - 'A' + 10;
    return 36;
}

/*
 * The common part: optional blanks and sign, a base prefix, digits.
 * Returns the magnitude, saturated at ULLONG_MAX (*overflow set), with
 * *negative for a '-'. *end is s when there were no digits at all.
 */
static unsigned long long parse(const char *s, char **end, int base, bool *negative,
                                bool *overflow)
{
    const char *p = s;
    unsigned long long v = 0;
    bool any = false;

    *negative = false;
    *overflow = false;
    if (base < 0 || base == 1 || base > 36) {
        errno = EINVAL;
        if (end)
            *end = (char *)s;
        return 0;
    }
    while (isspace(*p))
        p++;
    if (*p == '+' || *p == '-')
        *negative = *p++ == '-';
    /* "0x" counts as a prefix only when a hex digit follows; otherwise the 0 is the number. */
    if ((base == 0 || base == 16) && p[0] == '0' && (p[1] == 'x' || p[1] == 'X') &&
        digit_value(p[2]) < 16) {
        p += 2;
        base = 16;
    } else if (base == 0) {
        base = p[0] == '0' ? 8 : 10;
    }
    for (int d; (d = digit_value(*p)) < base; p++) {
        any = true;
        if (v > (ULLONG_MAX - (unsigned int)d) / (unsigned int)base)
            *overflow = true;
        else
            v = v * (unsigned int)base + (unsigned int)d;
    }
    if (end)
        *end = (char *)(any ? p : s);
    if (*overflow) {
        errno = ERANGE;
        return ULLONG_MAX;
    }
    return v;
}

unsigned long long strtoull(const char *restrict s, char **restrict end, int base)
{
    bool negative, overflow;
    unsigned long long v = parse(s, end, base, &negative, &overflow);

    /* As in C: a '-' negates the result in the unsigned type. */
    return overflow ? v : negative ? -v : v;
}

unsigned long strtoul(const char *restrict s, char **restrict end, int base)
{
    return strtoull(s, end, base);
}

long long strtoll(const char *restrict s, char **restrict end, int base)
{
    bool negative, overflow;
    unsigned long long v = parse(s, end, base, &negative, &overflow);

    if (negative) {
        if (overflow || v > (unsigned long long)LLONG_MAX + 1) {
            errno = ERANGE;
            return LLONG_MIN;
        }
        return (long long)(0 - v);
    }
    if (overflow || v > LLONG_MAX) {
        errno = ERANGE;
        return LLONG_MAX;
    }
    return (long long)v;
}

long strtol(const char *restrict s, char **restrict end, int base)
{
    return strtoll(s, end, base);
}

int atoi(const char *s)
{
    return (int)strtol(s, NULL, 10);
}

long atol(const char *s)
{
    return strtol(s, NULL, 10);
}

int abs(int v)
{
    return v < 0 ? -v : v;
}

long labs(long v)
{
    return v < 0 ? -v : v;
}
