/* test_format.c: host unit tests for guest-kit's printf engine, against the C library's. */
/* SPDX-License-Identifier: MIT */
#include <check.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../lib/format.h"

struct sink {
    char buf[512];
    size_t len;
    unsigned int calls;
};

static void put(void *ctx, const char *s, size_t n)
{
    struct sink *k = ctx;

    ck_assert_uint_gt(n, 0);
    ck_assert_uint_le(k->len + n, sizeof(k->buf) - 1);
    memcpy(k->buf + k->len, s, n);
    k->len += n;
    k->buf[k->len] = '\0';
    k->calls++;
}

static int gk_format(struct sink *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int gk_format(struct sink *k, const char *fmt, ...)
{
    va_list ap;
    int n;

    memset(k, 0, sizeof(*k));
    va_start(ap, fmt);
    n = gk_vformat(put, k, fmt, ap);
    va_end(ap);
    return n;
}

/* For formats gcc would rightly reject (unknown conversions): no format attribute. */
static int raw_format(struct sink *k, const char *fmt, ...)
{
    va_list ap;
    int n;

    memset(k, 0, sizeof(*k));
    va_start(ap, fmt);
    n = gk_vformat(put, k, fmt, ap);
    va_end(ap);
    return n;
}

/* Both engines must produce the same text and the same count. */
#define SAME(...) do {                                                          \
        char want[512];                                                        \
        struct sink got;                                                       \
        int nw = snprintf(want, sizeof(want), __VA_ARGS__);                   \
        int ng = gk_format(&got, __VA_ARGS__);                                \
        ck_assert_msg(!strcmp(got.buf, want) && ng == nw,                      \
                      "%s: got \"%s\" (%d), want \"%s\" (%d)", #__VA_ARGS__,   \
                      got.buf, ng, want, nw);                                  \
    } while (0)

START_TEST(test_integers)
{
    SAME("%d %i %u", 0, -1, 4000000000u);
    SAME("%d %d", INT_MAX, INT_MIN);
    SAME("%ld %lu %lld %llu", LONG_MIN, ULONG_MAX, LLONG_MIN, ULLONG_MAX);
    SAME("%hd %hu %hhd %hhu", 70000, 70000, 200, 300);
    SAME("%zu %zd %jd %ju %td", (size_t)7, (ssize_t)-7, INTMAX_MIN, UINTMAX_MAX,
         (ptrdiff_t)-3);
    SAME("%x %X %o %lx %#lo", 0xabcdefu, 0xabcdefu, 0777u, 0xfedcba9876543210ul, 8ul);
}
END_TEST

/* Flags C says are ignored in some combinations are tested on purpose: gcc warns about them. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat"
START_TEST(test_flags_width_precision)
{
    SAME("[%5d][%-5d][%05d][%+d][% d][%+5d][%-+5d]", 42, 42, 42, 42, 42, 42, 42);
    SAME("[%05d][%-05d][%+05d][% 05d]", -42, -42, 42, 42);
    SAME("[%.3d][%.0d][%.0d][%5.3d][%-5.3d][%05.3d]", 7, 0, 1, -7, 7, 7);
    SAME("[%#x][%#X][%#o][%#o][%#.0o][%#x][%#08x]", 255u, 255u, 8u, 0u, 0u, 0u, 255u);
    SAME("[%*d][%-*d][%*d][%.*d][%.*d]", 6, 1, 6, 1, -6, 1, 4, 1, -4, 1);
    SAME("[%+u][% u][%+x]", 5u, 5u, 5u);
    SAME("[%020llu][%-20lld|]", ULLONG_MAX, LLONG_MIN);
}
END_TEST
#pragma GCC diagnostic pop

START_TEST(test_strings_chars_pointers)
{
    const char *volatile nothing = NULL;

    SAME("[%s][%8s][%-8s][%.2s][%8.2s][%.0s]", "abc", "abc", "abc", "abc", "abc", "abc");
    SAME("[%c][%3c][%-3c]", 'x', 'y', 'z');
    SAME("[%p][%p][%20p][%-20p]", (void *)0x1234, (void *)0xffffffffffffffffull,
         (void *)0x10, (void *)0x10);
    SAME("[%p][%10p]", (void *)NULL, (void *)NULL);
    SAME("%s", "a string longer than sixteen bytes, padded: ");
    SAME("[%40s]", "padding beyond the 16-byte runs");
    SAME("%%%d%%", 5);
    /* glibc prints "(null)" for a null %s too; both are conventions, kept alike. */
    SAME("[%s][%.3s]", nothing, nothing);
}
END_TEST

START_TEST(test_edges)
{
    struct sink k;

    ck_assert_int_eq(gk_format(&k, "%s", ""), 0);
    ck_assert_uint_eq(k.calls, 0);
    ck_assert_int_eq(gk_format(&k, "no conversions"), 14);
    ck_assert_str_eq(k.buf, "no conversions");
    ck_assert_uint_eq(k.calls, 1);
    /* An unknown conversion, and %n, are printed as written; a trailing % too. */
    ck_assert_int_eq(raw_format(&k, "%y|%n|50%"), 9);
    ck_assert_str_eq(k.buf, "%y|%n|50%");
    ck_assert_int_eq(gk_format(&k, "%.300d", 1), 300);
    ck_assert_uint_eq(strspn(k.buf, "0"), 299);
}
END_TEST

static Suite *format_suite(void)
{
    Suite *s = suite_create("guest-kit format");
    TCase *tc = tcase_create("format");

    tcase_add_test(tc, test_integers);
    tcase_add_test(tc, test_flags_width_precision);
    tcase_add_test(tc, test_strings_chars_pointers);
    tcase_add_test(tc, test_edges);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(format_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
