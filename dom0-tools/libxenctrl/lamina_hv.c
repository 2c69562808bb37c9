/* lamina_hv.c: finding and starting Lamina's daemons (lamina-hv, lamina-xenstored, ...). */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "xc_private.h"

#ifndef LAMINA_SBINDIR
#error "LAMINA_SBINDIR must name the directory lamina-hv is installed in"
#endif

extern char **environ;

static int copy_path(char *buf, size_t size, const char *path)
{
    int n = snprintf(buf, size, "%s", path);

    if (n < 0 || (size_t)n >= size) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

/* Each daemon: its override variable and where a build tree keeps it. */
static const struct {
    const char *name;
    const char *env;
    const char *build_path;     /* relative to dom0-tools/ in a build tree */
} daemons[] = {
    { "lamina-hv", "LAMINA_HV", "../hypervisor/lamina-hv" },
    { "lamina-xenstored", "LAMINA_XENSTORED", "xenstored/lamina-xenstored" },
    { "lamina-blkback", "LAMINA_BLKBACK", "blkback/lamina-blkback" },
    { "lamina-netback", "LAMINA_NETBACK", "netback/lamina-netback" },
};

int lamina_daemon_binary(const char *name, char *buf, size_t size)
{
    char exe[PATH_MAX], candidate[PATH_MAX + 64], resolved[PATH_MAX];
    const char *env;
    unsigned int i;
    ssize_t n;

    for (i = 0; i < sizeof(daemons) / sizeof(daemons[0]); i++)
        if (!strcmp(daemons[i].name, name))
            break;
    if (i == sizeof(daemons) / sizeof(daemons[0])) {
        errno = EINVAL;
        return -1;
    }
    env = getenv(daemons[i].env);
    if (env && *env)
        return copy_path(buf, size, env);

    /* A program run from a build tree finds the daemons built next to it. */
    n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n > 0) {
        char *slash;

        exe[n] = '\0';
        slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            snprintf(candidate, sizeof(candidate), "%s/%s", exe, daemons[i].build_path);
            if (access(candidate, X_OK) == 0 && realpath(candidate, resolved))
                return copy_path(buf, size, resolved);
        }
    }
    snprintf(candidate, sizeof(candidate), "%s/%s", LAMINA_SBINDIR, name);
    return copy_path(buf, size, candidate);
}

int lamina_hv_binary(char *buf, size_t size)
{
    return lamina_daemon_binary("lamina-hv", buf, size);
}

static void sleep_ms(long ms)
{
    struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

int lamina_hv_start(const char *binary, int timeout_ms)
{
    return lamina_daemon_start(binary ? binary : "lamina-hv", timeout_ms);
}

int lamina_daemon_start(const char *binary, int timeout_ms)
{
    char path[PATH_MAX];
    char *argv[2];
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    sigset_t sigs;
    pid_t pid;
    int waited = 0, status, rc;

    if (!strchr(binary, '/')) {
        if (lamina_daemon_binary(binary, path, sizeof(path)) < 0)
            return -1;
        binary = path;
    }
    argv[0] = (char *)binary;
    argv[1] = NULL;

    /*
     * The daemon reports failures on stderr; its stdout goes there too so
     * that a caller reading our stdout never waits on the daemon.
     */
    rc = posix_spawn_file_actions_init(&fa);
    if (rc != 0) {
        errno = rc;
        return -1;
    }
    rc = posix_spawnattr_init(&attr);
    if (rc != 0) {
        posix_spawn_file_actions_destroy(&fa);
        errno = rc;
        return -1;
    }
    rc = posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    if (rc == 0)
        rc = posix_spawn_file_actions_adddup2(&fa, STDERR_FILENO, STDOUT_FILENO);
    /* The daemon starts with default signal handling, whatever its caller ignores or blocks. */
    sigemptyset(&sigs);
    if (rc == 0)
        rc = posix_spawnattr_setsigmask(&attr, &sigs);
    sigaddset(&sigs, SIGPIPE);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGHUP);
    if (rc == 0)
        rc = posix_spawnattr_setsigdefault(&attr, &sigs);
    if (rc == 0)
        rc = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    if (rc == 0)
        rc = posix_spawn(&pid, binary, &fa, &attr, argv, environ);
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        errno = rc;
        return -1;
    }

    for (;;) {
        pid_t w = waitpid(pid, &status, WNOHANG);

        if (w == pid)
            break;
        if (w < 0 && errno != EINTR)
            return -1;
        if (timeout_ms >= 0 && waited >= timeout_ms) {
            kill(pid, SIGKILL);
            while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
            errno = ETIMEDOUT;
            return -1;
        }
        sleep_ms(10);
        waited += 10;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        errno = EIO;
        return -1;
    }
    return 0;
}
