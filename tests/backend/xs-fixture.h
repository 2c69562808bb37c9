/* xs-fixture.h: a private lamina-xenstored for backend tests, and the test's connection to it. */
/* SPDX-License-Identifier: MIT */
#ifndef LAMINA_TEST_XS_FIXTURE_H
#define LAMINA_TEST_XS_FIXTURE_H

#include <stdbool.h>

#include <xenstore.h>

/* The test's connection: it plays the toolstack and the frontend. */
extern struct xs_handle *ts;

/*
 * Start `xenstored` (a lamina-xenstored binary, --fake-domains) in a new
 * directory /tmp/<tag>-XXXXXX, which also becomes LAMINA_RUNDIR, and connect.
 */
void xs_fixture_start(const char *xenstored, const char *tag);
/* Disconnect, stop it, remove the directory. */
void xs_fixture_stop(void);

/* Write path (the test fails if it cannot). */
void xsw(const char *path, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The value of path, "" when missing; static buffer. */
const char *xsr(const char *path);
/* Wait (up to 5 s) for path to read want. */
bool wait_for(const char *path, const char *want);

#endif /* LAMINA_TEST_XS_FIXTURE_H */
