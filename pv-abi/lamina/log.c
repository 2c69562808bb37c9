/* log.c: the log of Lamina's host programs: timestamped lines to a file or stderr. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include <lamina/log.h>

static FILE *log_file;
static enum log_level log_level = LOG_INFO;

int log_open(const char *path)
{
    FILE *f = NULL;

    if (path) {
        f = fopen(path, "ae");
        if (!f)
            return -errno;
        setvbuf(f, NULL, _IOLBF, 0);
    }
    if (log_file)
        fclose(log_file);
    log_file = f;
    return 0;
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
    FILE *f = log_file ? log_file : stderr;
    struct timespec ts;
    struct tm tm;
    char stamp[32];
    va_list ap;

    if (level > log_level)
        return;
    clock_gettime(CLOCK_REALTIME, &ts);
    localtime_r(&ts.tv_sec, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm);
    /* One line at a time, whichever thread writes. */
    flockfile(f);
    fprintf(f, "%s.%03ld %s: ", stamp, ts.tv_nsec / 1000000, names[level]);
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    fputc('\n', f);
    funlockfile(f);
}
