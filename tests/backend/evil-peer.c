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
