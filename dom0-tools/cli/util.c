/* util.c: helpers shared by the lamina commands: messages, connecting, lookups. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include <lamina/ctl-wire.h>

#include "cli.h"

/* How long lamina-hv may take to get its socket ready. */
#define HV_START_TIMEOUT_MS 30000

void cli_err(const char *fmt, ...)
{
    va_list ap;

    fputs("lamina: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void cli_xc_err(xc_interface *xch)
{
    int err = errno;
    const xc_error *e = xc_get_last_error(xch);
    const char *msg = e->message[0] ? e->message : strerror(err);

    switch (err) {
    case ECONNRESET:
    case EPIPE:
        cli_err("%s (lamina-hv closed the connection: see %s/lamina-hv.log)", msg,
                lamina_logdir());
        break;
    case ETIMEDOUT:
        cli_err("%s (lamina-hv did not answer: see %s/lamina-hv.log)", msg, lamina_logdir());
        break;
    case EPROTO:
        cli_err("%s (lamina-hv's answer was malformed: are lamina and lamina-hv from the same "
                "build? see %s/lamina-hv.log)", msg, lamina_logdir());
        break;
    default:
        cli_err("%s", msg);
        break;
    }
}

static void report_connect_error(int err)
{
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];

    if (lamina_ctl_socket_path(path, sizeof(path)) < 0)
        snprintf(path, sizeof(path), "%s", "(path too long)");
    switch (err) {
    case ENOENT:
    case ECONNREFUSED:
        cli_err("the hypervisor is not running (start it with 'lamina-hv' or 'lamina create')");
        break;
    case EACCES:
    case EPERM:
        cli_err("cannot connect to the hypervisor at %s: %s (lamina must run as root)", path,
                strerror(err));
        break;
    case EPROTONOSUPPORT:
        cli_err("the hypervisor at %s speaks another protocol version: use the lamina and "
                "lamina-hv of one installation", path);
        break;
    default:
        cli_err("cannot connect to the hypervisor at %s: %s", path, strerror(err));
        break;
    }
}

static int start_hv(int quiet)
{
    char bin[PATH_MAX];

    if (lamina_hv_binary(bin, sizeof(bin)) < 0) {
        cli_err("cannot find lamina-hv: %s (set LAMINA_HV to its path)", strerror(errno));
        return -1;
    }
    if (!quiet)
        fprintf(stderr, "Starting the hypervisor (%s)\n", bin);
    if (lamina_hv_start(bin, HV_START_TIMEOUT_MS) == 0)
        return 0;
    switch (errno) {
    case ENOENT:
        cli_err("cannot start the hypervisor: %s does not exist (set LAMINA_HV to its path)",
                bin);
        break;
    case EIO:
        cli_err("the hypervisor (%s) failed to start: see its messages above and %s/lamina-hv.log",
                bin, lamina_logdir());
        break;
    case ETIMEDOUT:
        cli_err("the hypervisor (%s) was not ready after %d s: see %s/lamina-hv.log", bin,
                HV_START_TIMEOUT_MS / 1000, lamina_logdir());
        break;
    default:
        cli_err("cannot start the hypervisor %s: %s", bin, strerror(errno));
        break;
    }
    return -1;
}

xc_interface *cli_open(int start, int quiet)
{
    xc_interface *xch = xc_interface_open(NULL, NULL, 0);
    int err;

    if (xch)
        return xch;
    err = errno;
    if (start && (err == ENOENT || err == ECONNREFUSED)) {
        int started = start_hv(quiet);

        /* Another lamina may have started it meanwhile: try even if we failed. */
        xch = xc_interface_open(NULL, NULL, 0);
        if (xch)
            return xch;
        err = errno;
        if (started < 0)
            return NULL;
    }
    report_connect_error(err);
    return NULL;
}

int cli_find_domain(xc_interface *xch, const char *arg, uint32_t *domid)
{
    const char *p;

    if (lamina_domain_lookup(xch, arg, domid) == 0)
        return 0;
    if (errno != ESRCH && errno != EINVAL) {
        cli_xc_err(xch);
        return -1;
    }
    for (p = arg; *p >= '0' && *p <= '9'; p++)
        ;
    if (*arg && !*p)
        cli_err("no domain with id %s (see 'lamina list')", arg);
    else
        cli_err("no domain named '%s' (see 'lamina list')", arg);
    return -1;
}

int cli_list_domains(xc_interface *xch, struct lamina_dominfo **out)
{
    struct lamina_dominfo *info = NULL;
    size_t cap = 0, n = 0;
    uint32_t first = 0;

    for (;;) {
        struct lamina_dominfo *bigger;
        unsigned int want;
        int rc;

        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            bigger = realloc(info, cap * sizeof(*info));
            if (!bigger) {
                free(info);
                cli_err("out of memory");
                return -1;
            }
            info = bigger;
        }
        want = (unsigned int)(cap - n);
        rc = lamina_domain_getinfo(xch, first, want, info + n);
        if (rc < 0) {
            cli_xc_err(xch);
            free(info);
            return -1;
        }
        n += (size_t)rc;
        if ((unsigned int)rc < want || n > INT32_MAX / 2)
            break;
        first = info[n - 1].domid + 1;
    }
    *out = info;
    return (int)n;
}

int cli_write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;

    while (len) {
        ssize_t n = write(fd, p, len);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

uint32_t cli_shutdown_action(const struct lamina_dominfo *info, unsigned int reason)
{
    switch (reason) {
    case SHUTDOWN_poweroff:
        return info->on_poweroff;
    case SHUTDOWN_reboot:
        return info->on_reboot;
    case SHUTDOWN_crash:
        return info->on_crash;
    case SHUTDOWN_watchdog:
        return info->on_watchdog;
    default:
        return LAMINA_ACTION_PRESERVE;  /* suspend and soft reset leave it as it is */
    }
}
