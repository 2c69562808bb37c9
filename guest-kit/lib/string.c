/* string.c: the string functions, built on the string-instruction ones in arch/x86_64/string.c. */
/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

/*
 * Scanning twice with string instructions still beats a byte loop
 * several times over under KVM's emulator (see arch/x86_64/string.c),
 * hence the strlen-then-memcmp shapes.
 */

size_t strnlen(const char *s, size_t maxlen)
{
    const char *nul = memchr(s, '\0', maxlen);

    return nul ? (size_t)(nul - s) : maxlen;
}

int strcmp(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);

    /* Up to the shorter string's terminator, which then compares below any character. */
    return memcmp(a, b, (la < lb ? la : lb) + 1);
}

int strncmp(const char *a, const char *b, size_t n)
{
    size_t la = strnlen(a, n), lb = strnlen(b, n), m = la < lb ? la : lb;

    return memcmp(a, b, m < n ? m + 1 : n);
}

char *strchr(const char *s, int c)
{
    return memchr(s, c, strlen(s) + 1);
}

char *strrchr(const char *s, int c)
{
    const char *last = NULL, *end = s + strlen(s) + 1;

    for (const char *p = s; (p = memchr(p, c, (size_t)(end - p))); p++)
        last = p;
    return (char *)last;
}

char *strcpy(char *restrict dst, const char *restrict src)
{
    return memcpy(dst, src, strlen(src) + 1);
}

char *strncpy(char *restrict dst, const char *restrict src, size_t n)
{
    size_t len = strnlen(src, n);

    memcpy(dst, src, len);
    memset(dst + len, 0, n - len);
    return dst;
}

char *strstr(const char *haystack, const char *needle)
{
    size_t n = strlen(needle);
    const char *p = haystack, *end = haystack + strlen(haystack);

    if (!n)
        return (char *)haystack;
    while ((size_t)(end - p) >= n && (p = memchr(p, needle[0], (size_t)(end - p) - n + 1))) {
        if (!memcmp(p, needle, n))
            return (char *)p;
        p++;
    }
    return NULL;
}

char *strndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *d = malloc(len + 1);

    if (d) {
        memcpy(d, s, len);
        d[len] = '\0';
    }
    return d;
}

char *strdup(const char *s)
{
    return strndup(s, strlen(s));
}
