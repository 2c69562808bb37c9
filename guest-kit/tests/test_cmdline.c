/* test_cmdline.c: host unit tests for splitting the domain's command line into argv. */
/* SPDX-License-Identifier: MIT */
#include <check.h>
#include <string.h>

#include "../kernel/cmdline.h"

/* Splits `in` and compares with the NULL-terminated list `want`. */
static void splits(const char *in, const char *const *want)
{
    size_t len = strlen(in);
    char out[256];
    char *argv[64];
    int argc, n = 0;

    ck_assert_uint_lt(len, sizeof(out));
    memset(out, 'X', sizeof(out));
    argc = gk_cmdline_split(in, out, argv);
    while (want[n])
        n++;
    ck_assert_msg(argc == n, "\"%s\": %d arguments, want %d", in, argc, n);
    ck_assert_int_le(argc, (int)(len / 2 + 1));
    for (int i = 0; i < n; i++) {
        ck_assert_msg(!strcmp(argv[i], want[i]), "\"%s\": argv[%d] is \"%s\", want \"%s\"",
                      in, i, argv[i], want[i]);
        ck_assert_msg(argv[i] >= out && argv[i] + strlen(argv[i]) < out + len + 1,
                      "\"%s\": argv[%d] lies outside the output buffer", in, i);
    }
}

#define SPLITS(in, ...) splits(in, (const char *const[]){ __VA_ARGS__, NULL })

START_TEST(test_plain)
{
    SPLITS("greeting=hi", "greeting=hi");
    SPLITS("  a  b\tc\n", "a", "b", "c");
    SPLITS("a b c d e f", "a", "b", "c", "d", "e", "f");
    splits("", (const char *const[]){ NULL });
    splits(" \t ", (const char *const[]){ NULL });
}
END_TEST

START_TEST(test_quotes)
{
    SPLITS("\"two words\" x", "two words", "x");
    SPLITS("'single \"quoted\"'", "single \"quoted\"");
    SPLITS("a\"b c\"d", "ab cd");
    SPLITS("'it''s'", "its");
    SPLITS("\"\" ''", "", "");
    SPLITS("\"unterminated quote", "unterminated quote");
    SPLITS("\"a\\\"b\\\\c\\d\"", "a\"b\\c\\d");
}
END_TEST

START_TEST(test_backslashes)
{
    SPLITS("a\\ b c", "a b", "c");
    SPLITS("\\\"x", "\"x");
    SPLITS("'a\\ b'", "a\\ b");
    SPLITS("end\\", "end\\");
}
END_TEST

static Suite *cmdline_suite(void)
{
    Suite *s = suite_create("guest-kit cmdline");
    TCase *tc = tcase_create("split");

    tcase_add_test(tc, test_plain);
    tcase_add_test(tc, test_quotes);
    tcase_add_test(tc, test_backslashes);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(cmdline_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
