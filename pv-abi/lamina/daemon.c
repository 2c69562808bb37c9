/* daemon.c: starting Lamina's daemons: detaching with a readiness report. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <lamina/daemon.h>

static int report_fd = -1;

int daemon_detach(void)
{
    int p[2];
    pid_t pid;
    char status = 0;

    if (pipe2(p, O_CLOEXEC) < 0)
        return -errno;
    pid = fork();
    if (pid < 0) {
        int err = -errno;

        close(p[0]);
        close(p[1]);
        return err;
    }
    if (pid > 0) {
        close(p[1]);
        if (read(p[0], &status, 1) != 1)
            status = 0;
        if (status != 1)
            waitpid(pid, NULL, 0);
        exit(status == 1 ? 0 : 1);
    }
    close(p[0]);
    setsid();
    report_fd = p[1];
    return 0;
}

static void detach_stdio(void)
{
    int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

    if (fd < 0)
        return;
    dup2(fd, STDIN_FILENO);
    dup2(fd, STDOUT_FILENO);
    dup2(fd, STDERR_FILENO);
    if (fd > STDERR_FILENO)
        close(fd);
}

void daemon_ready(int rc)
{
    char ok = rc == 0 ? 1 : 0;

    if (report_fd < 0)
        return;     /* running in the foreground */
    if (write(report_fd, &ok, 1) != 1) {
        /* The launcher is gone; nobody is left to tell. */
    }
    close(report_fd);
    report_fd = -1;
    if (rc == 0)
        detach_stdio();
}

int mkdir_p(const char *path, mode_t mode)
{
    char buf[PATH_MAX];
    size_t len = strlen(path);

    if (len == 0 || len >= sizeof(buf))
        return -ENAMETOOLONG;
    memcpy(buf, path, len + 1);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, mode) < 0 && errno != EEXIST)
            return -errno;
        *p = '/';
    }
    if (mkdir(buf, mode) < 0 && errno != EEXIST)
        return -errno;
    return 0;
}

int write_pid_file(const char *path)
{
    FILE *f = fopen(path, "we");

    if (!f)
        return -errno;
    fprintf(f, "%d\n", (int)getpid());
    return fclose(f) == 0 ? 0 : -errno;
}
