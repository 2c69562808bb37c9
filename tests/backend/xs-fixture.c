/* xs-fixture.c: a private lamina-xenstored for backend tests, and the test's connection to it. */
/* SPDX-License-Identifier: MIT */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <check.h>

#include "xs-fixture.h"

struct xs_handle *ts;
static char dir[64];
static pid_t xenstored = -1;

void xs_fixture_start(const char *binary, const char *tag)
{
    char sock[128];

    snprintf(dir, sizeof(dir), "/tmp/%s-XXXXXX", tag);
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(sock, sizeof(sock), "%s/socket", dir);
    setenv("XENSTORED_PATH", sock, 1);
    setenv("LAMINA_RUNDIR", dir, 1);
    xenstored = fork();
    ck_assert_int_ge(xenstored, 0);
    if (xenstored == 0) {
        char log[128];

        snprintf(log, sizeof(log), "%s/xenstored.log", dir);
        execl(binary, binary, "-F", "-s", sock, "-l", log, "--fake-domains", (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 500 && !(ts = xs_open(0)); i++)
        usleep(10000);
    ck_assert_msg(ts != NULL, "lamina-xenstored (%s) did not come up", binary);
}

void xs_fixture_stop(void)
{
    char cmd[128];

    if (ts)
        xs_close(ts);
    ts = NULL;
    if (xenstored > 0) {
        kill(xenstored, SIGTERM);
        waitpid(xenstored, NULL, 0);
    }
    xenstored = -1;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", dir);
}

void xsw(const char *path, const char *fmt, ...)
{
    char val[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(val, sizeof(val), fmt, ap);
    va_end(ap);
    ck_assert_msg(xs_write(ts, XBT_NULL, path, val, (unsigned int)strlen(val)), "write %s", path);
}

const char *xsr(const char *path)
{
    static char buf[256];
    char *v = xs_read(ts, XBT_NULL, path, NULL);

    snprintf(buf, sizeof(buf), "%s", v ? v : "");
    free(v);
    return buf;
}

bool wait_for(const char *path, const char *want)
{
    for (int i = 0; i < 500; i++) {
        if (!strcmp(xsr(path), want))
            return true;
        usleep(10000);
    }
    return false;
}
