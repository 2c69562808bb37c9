/* evil-peer.c: what the dom0 test programs that play a lying backend share. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "evil-peer.h"

int evil_peer_open(struct evil_peer *p, const char *prog, int argc, char **argv)
{
    char *end;

    *p = (struct evil_peer){ .prog = prog };
    if (argc != 2) {
        fprintf(stderr, "usage: %s DOMID\n", prog);
        return 2;
    }
    p->domid = (uint32_t)strtoul(argv[1], &end, 10);
    if (*end || end == argv[1]) {
        fprintf(stderr, "%s: '%s' is not a domain id\n", prog, argv[1]);
        return 2;
    }
    p->xs = xs_open(0);
    p->gt = xengnttab_open(NULL, 0);
    p->xce = xenevtchn_open(NULL, 0);
    if (!p->xs || !p->gt || !p->xce) {
        fprintf(stderr, "%s: cannot reach xenstored or lamina-hv: %s\n", prog, strerror(errno));
        evil_peer_close(p);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    return 0;
}

int evil_peer_close(struct evil_peer *p)
{
    if (p->xce)
        xenevtchn_close(p->xce);
    if (p->gt)
        xengnttab_close(p->gt);
    if (p->xs)
        xs_close(p->xs);
    p->xce = NULL;
    p->gt = NULL;
    p->xs = NULL;
    return p->failures ? 1 : 0;
}

void evil_fail(struct evil_peer *p, const char *fmt, ...)
{
    va_list ap;

    p->failures++;
    printf("%s: FAIL ", p->prog);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
}

void evil_sleep_ms(long ms)
{
    struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

    nanosleep(&ts, NULL);
}

bool evil_put(struct evil_peer *p, xs_transaction_t t, const char *dir, const char *key,
              const char *fmt, ...)
{
    char path[256], val[128];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(val, sizeof(val), fmt, ap);
    va_end(ap);
    snprintf(path, sizeof(path), "%s/%s", dir, key);
    return xs_write(p->xs, t, path, val, (unsigned int)strlen(val));
}

bool evil_device_begin(struct evil_peer *p, const char *be_kind, const char *fe_kind,
                       uint32_t devid, xs_transaction_t *t)
{
    struct xs_permissions be_perms[2] = { { 0, XS_PERM_NONE }, { p->domid, XS_PERM_READ } };
    struct xs_permissions fe_perms[2] = { { p->domid, XS_PERM_NONE }, { 0, XS_PERM_READ } };

    snprintf(p->be, sizeof(p->be), "/local/domain/0/backend/%s/%u/%u", be_kind, p->domid, devid);
    snprintf(p->fe, sizeof(p->fe), "/local/domain/%u/device/%s/%u", p->domid, fe_kind, devid);
    *t = xs_transaction_start(p->xs);
    return *t != XBT_NULL && xs_mkdir(p->xs, *t, p->be) &&
           xs_set_permissions(p->xs, *t, p->be, be_perms, 2) &&
           evil_put(p, *t, p->be, "frontend", "%s", p->fe) &&
           evil_put(p, *t, p->be, "frontend-id", "%u", p->domid) &&
           xs_mkdir(p->xs, *t, p->fe) && xs_set_permissions(p->xs, *t, p->fe, fe_perms, 2) &&
           evil_put(p, *t, p->fe, "backend", "%s", p->be) &&
           evil_put(p, *t, p->fe, "backend-id", "0");
}

bool evil_device_end(struct evil_peer *p, xs_transaction_t t, bool ok)
{
    if (t == XBT_NULL)
        return false;
    return xs_transaction_end(p->xs, t, !ok) && ok;
}

void evil_device_remove(struct evil_peer *p)
{
    xs_rm(p->xs, XBT_NULL, p->fe);
    xs_rm(p->xs, XBT_NULL, p->be);
}

long evil_get(struct evil_peer *p, const char *dir, const char *key, long dflt)
{
    char path[256], *v, *end;
    long n;

    snprintf(path, sizeof(path), "%s/%s", dir, key);
    v = xs_read(p->xs, XBT_NULL, path, NULL);
    if (!v)
        return dflt;
    n = strtol(v, &end, 10);
    if (end == v || *end)
        n = dflt;
    free(v);
    return n;
}

int evil_wait_frontend(struct evil_peer *p, unsigned int mask, int ms)
{
    for (int waited = 0; waited < ms; waited += 5) {
        long s = evil_get(p, p->fe, "state", -1);

        if (s < 0 || (s <= 31 && (mask & (1u << s))))
            return (int)s;
        evil_sleep_ms(5);
    }
    return -ETIMEDOUT;
}
