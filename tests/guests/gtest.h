/* gtest.h: helpers shared by the test guests: checks, key=value arguments, timing statistics. */
/* SPDX-License-Identifier: MIT */
#ifndef LAMINA_TESTS_GTEST_H
#define LAMINA_TESTS_GTEST_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Test guests print one "PASS <what>" or "FAIL <what>: <why>" line per
 * check group and end with "<name>: done, <n> failures"; the scripts
 * assert on these lines.
 */
extern int gt_failures;

#define GT_CHECK(cond, ...) gt_check((cond), #cond, __LINE__, __VA_ARGS__)
bool gt_check(bool ok, const char *expr, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The value of `key=value` among argv[1..], or NULL. */
const char *gt_arg(int argc, char **argv, const char *key);
/* The same as a number (strtoul, any base), or `def` when absent; panics on garbage. */
unsigned long gt_arg_num(int argc, char **argv, const char *key, unsigned long def);

/* Running minimum, mean and maximum of nanosecond samples. */
struct gt_stats {
    uint64_t n, sum, min, max;
};
void gt_stats_add(struct gt_stats *s, uint64_t ns);
uint64_t gt_stats_mean(const struct gt_stats *s);
void gt_stats_print(const char *prefix, const char *what, const struct gt_stats *s);

/* The floor for event timings: 1000 port writes and 1000 null hypercalls, timed in blocks. */
void gt_measure_floor(const char *prefix);

/* Ends the program: prints the summary line and returns main's status. */
int gt_finish(const char *name);

#endif /* LAMINA_TESTS_GTEST_H */
