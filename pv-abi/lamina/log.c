/* log.c: the log of Lamina's host programs: timestamped lines to a file or stderr. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <lamina/log.h>

/*
 * Each message is formatted whole and written with one write() to a file
 * opened O_APPEND, so threads and processes sharing a log (a daemon and
 * its workers) never interleave within a line.
 */
static int log_fd = -1;
static char log_path[PATH_MAX];     /* the file log_fd appends to; "" for stderr */
static enum log_level log_level = LOG_INFO;

int log_open(const char *path)
{
    int fd = -1;

    if (path) {
        if (strlen(path) >= sizeof(log_path))
            return -ENAMETOOLONG;
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
        if (fd < 0)
            return -errno;
    }
    if (log_fd >= 0)
        close(log_fd);
    log_fd = fd;
    if (path != log_path)
        snprintf(log_path, sizeof(log_path), "%s", path ? path : "");
    return 0;
}

int log_reopen(void)
{
    return log_path[0] ? log_open(log_path) : 0;
}

void log_set_level(enum log_level level)
{
    log_level = level;
}

enum log_level log_get_level(void)
{
    return log_level;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    static const char *const names[] = { "error", "warning", "info", "debug" };
    char line[1024];
    struct timespec ts;
    struct tm tm;
    size_t len;
    va_list ap;
    int n;

    if (level > log_level)
        return;
    clock_gettime(CLOCK_REALTIME, &ts);
    localtime_r(&ts.tv_sec, &tm);
    len = strftime(line, sizeof(line), "%Y-%m-%d %H:%M:%S", &tm);
    n = snprintf(line + len, sizeof(line) - len, ".%03ld %s: ", ts.tv_nsec / 1000000,
                 names[level]);
    len += n > 0 ? (size_t)n : 0;
    va_start(ap, fmt);
    n = vsnprintf(line + len, sizeof(line) - len, fmt, ap);
    va_end(ap);
    len += n > 0 ? (size_t)n : 0;
    if (len > sizeof(line) - 2)
        len = sizeof(line) - 2;     /* a long message is cut, the line still ends */
    line[len++] = '\n';
    if (write(log_fd >= 0 ? log_fd : STDERR_FILENO, line, len) < 0) {
        /* Nowhere left to report a failing log. */
    }
}
