/* xs_lib.c: socket location and permission-string helpers shared by libxenstore and xenstored. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xenstore_lib.h>

#define XS_DEFAULT_RUNDIR "/var/run/xenstored"

/*
 * XENSTORED_RUNDIR as in Xen; else, for a private Lamina instance (tests,
 * several instances on one host), $LAMINA_RUNDIR/xenstored; else Xen's
 * default, where Debian's xenstore-utils look.
 */
const char *xs_daemon_rundir(void)
{
    static __thread char lamina_dir[4096];
    const char *dir = getenv("XENSTORED_RUNDIR");
    const char *lamina = getenv("LAMINA_RUNDIR");

    if (dir && *dir)
        return dir;
    if (lamina && *lamina &&
        (size_t)snprintf(lamina_dir, sizeof(lamina_dir), "%s/xenstored", lamina) <
            sizeof(lamina_dir))
        return lamina_dir;
    return XS_DEFAULT_RUNDIR;
}

const char *xs_daemon_socket(void)
{
    static __thread char path[4096];
    const char *env = getenv("XENSTORED_PATH");

    if (env && *env)
        return env;
    if ((size_t)snprintf(path, sizeof(path), "%s/socket", xs_daemon_rundir()) >= sizeof(path))
        return XS_DEFAULT_RUNDIR "/socket";
    return path;
}

const char *xs_daemon_socket_ro(void)
{
    return xs_daemon_socket();
}

bool xs_write_all(int fd, const void *data, unsigned int len)
{
    const char *p = data;

    while (len > 0) {
        ssize_t n = write(fd, p, len);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            return false;
        }
        p += n;
        len -= (unsigned int)n;
    }
    return true;
}

static bool perm_from_letter(char c, unsigned int *perms)
{
    switch (c) {
    case 'n':
        *perms = XS_PERM_NONE;
        return true;
    case 'r':
        *perms = XS_PERM_READ;
        return true;
    case 'w':
        *perms = XS_PERM_WRITE;
        return true;
    case 'b':
        *perms = XS_PERM_READ | XS_PERM_WRITE;
        return true;
    default:
        return false;
    }
}

/* A domain id in a permission: decimal digits only, at most 65535. */
static bool parse_perm_domid(const char *s, unsigned int *id)
{
    unsigned long v = 0;

    if (*s < '0' || *s > '9')
        return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        v = v * 10 + (unsigned long)(*s - '0');
        if (v > 65535)
            return false;
    }
    *id = (unsigned int)v;
    return true;
}

bool xs_strings_to_perms(struct xs_permissions *perms, unsigned int num, const char *strings)
{
    const char *p = strings;

    for (unsigned int i = 0; i < num; i++) {
        if (!perm_from_letter(p[0], &perms[i].perms) || !parse_perm_domid(p + 1, &perms[i].id)) {
            errno = EINVAL;
            return false;
        }
        p += strlen(p) + 1;
    }
    return true;
}

bool xs_perm_to_string(const struct xs_permissions *perm, char *buffer, size_t buf_len)
{
    char letter;
    int n;

    switch (perm->perms & ~(unsigned int)(XS_PERM_OWNER | XS_PERM_IGNORE)) {
    case XS_PERM_NONE:
        letter = 'n';
        break;
    case XS_PERM_READ:
        letter = 'r';
        break;
    case XS_PERM_WRITE:
        letter = 'w';
        break;
    case XS_PERM_READ | XS_PERM_WRITE:
        letter = 'b';
        break;
    default:
        errno = EINVAL;
        return false;
    }
    n = snprintf(buffer, buf_len, "%c%u", letter, perm->id);
    if (n < 0 || (size_t)n >= buf_len) {
        errno = ENOBUFS;
        return false;
    }
    return true;
}

unsigned int xs_count_strings(const char *strings, unsigned int len)
{
    unsigned int n = 0;

    for (unsigned int i = 0; i < len; i++)
        if (strings[i] == '\0')
            n++;
    return n;
}
