/* diskspec.c: xl's disk specification strings (xl-disk-configuration(5)). */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diskspec.h"

enum { POS_TARGET, POS_FORMAT, POS_VDEV, POS_ACCESS, POS_COUNT };

struct state {
    struct diskspec *d;
    bool given[POS_COUNT];
    bool devtype_given;
    char format[16];
    char access[8];
    char *err;
    size_t errlen;
};

static int fail(struct state *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct state *s, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(s->err, s->errlen, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

static int copy(struct state *s, char *dst, size_t size, const char *src, size_t len,
                const char *what)
{
    if (len >= size)
        return fail(s, "the %s is too long (%zu bytes, at most %zu)", what, len, size - 1);
    memcpy(dst, src, len);
    dst[len] = '\0';
    return 0;
}

/* Disk letters count like spreadsheet columns: a=0 ... z=25, aa=26 ... */
static int letters(const char **p, uint32_t *disk)
{
    uint64_t n = 0;
    const char *q = *p;

    if (*q < 'a' || *q > 'z')
        return -EINVAL;
    while (*q >= 'a' && *q <= 'z') {
        n = n * 26 + (uint64_t)(*q - 'a' + 1);
        if (n > (1u << 20))
            return -EINVAL;
        q++;
    }
    *disk = (uint32_t)(n - 1);
    *p = q;
    return 0;
}

static int number(const char **p, uint32_t *value, uint32_t max)
{
    uint64_t n = 0;
    const char *q = *p;

    if (*q < '0' || *q > '9' || (q[0] == '0' && q[1] >= '0' && q[1] <= '9'))
        return -EINVAL;
    while (*q >= '0' && *q <= '9') {
        n = n * 10 + (uint64_t)(*q - '0');
        if (n > max)
            return -EINVAL;
        q++;
    }
    *value = (uint32_t)n;
    *p = q;
    return 0;
}

/* The xvd/d<N> scheme: small numbers fit major 202, larger ones the extended form. */
static int xvd_devid(uint32_t disk, uint32_t part, uint32_t *devid)
{
    if (disk < 16 && part < 16)
        *devid = (202u << 8) | (disk << 4) | part;
    else if (disk < (1u << 20) && part < 256)
        *devid = (1u << 28) | (disk << 8) | part;
    else
        return -EINVAL;
    return 0;
}

int diskspec_vdev_to_devid(const char *vdev, uint32_t *devid)
{
    /* IDE majors for hda..hdt, two disks per major (Linux's numbering). */
    static const uint8_t hd_major[] = { 3, 22, 33, 34, 56, 57, 88, 89, 90, 91 };
    const char *p = vdev;
    uint32_t disk, part = 0;

    if (!strncmp(p, "xvd", 3)) {
        p += 3;
        if (letters(&p, &disk) < 0 || (*p && number(&p, &part, 255) < 0) || *p)
            return -EINVAL;
        return xvd_devid(disk, part, devid);
    }
    if (!strncmp(p, "sd", 2)) {
        p += 2;
        if (letters(&p, &disk) < 0 || (*p && number(&p, &part, 255) < 0) || *p)
            return -EINVAL;
        if (disk < 16 && part < 16) {
            *devid = (8u << 8) | (disk << 4) | part;
            return 0;
        }
        return xvd_devid(disk, part, devid);
    }
    if (!strncmp(p, "hd", 2)) {
        p += 2;
        if (letters(&p, &disk) < 0 || (*p && number(&p, &part, 63) < 0) || *p ||
            disk >= 2 * sizeof(hd_major))
            return -EINVAL;
        *devid = ((uint32_t)hd_major[disk / 2] << 8) | ((disk & 1) << 6) | part;
        return 0;
    }
    if (p[0] == 'd' && p[1] >= '0' && p[1] <= '9') {
        p++;
        if (number(&p, &disk, (1u << 20) - 1) < 0)
            return -EINVAL;
        if (*p == 'p') {
            p++;
            if (number(&p, &part, 255) < 0)
                return -EINVAL;
        }
        if (*p)
            return -EINVAL;
        return xvd_devid(disk, part, devid);
    }
    return -EINVAL;
}

/* Deprecated "raw:", "phy:", "tap:aio:" ... prefixes on the target. */
static const char *strip_prefixes(struct state *s, const char *target, size_t *len)
{
    static const struct {
        const char *prefix;
        const char *format;
    } prefixes[] = {
        { "raw:", "raw" }, { "phy:", "raw" }, { "file:", "raw" }, { "aio:", "raw" },
        { "tap:", NULL }, { "tap2:", NULL }, { "qcow:", "qcow" }, { "qcow2:", "qcow2" },
        { "vhd:", "vhd" }, { "qed:", "qed" },
    };
    bool again = true;

    while (again) {
        again = false;
        for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
            size_t n = strlen(prefixes[i].prefix);

            if (*len >= n && !strncmp(target, prefixes[i].prefix, n)) {
                target += n;
                *len -= n;
                if (prefixes[i].format)
                    snprintf(s->format, sizeof(s->format), "%s", prefixes[i].format);
                s->given[POS_FORMAT] = true;
                again = true;
                break;
            }
        }
    }
    return target;
}

static int set_vdev(struct state *s, const char *v, size_t len)
{
    const char *colon = memchr(v, ':', len);

    /* Deprecated "hdc:cdrom". */
    if (colon) {
        if ((size_t)(v + len - colon - 1) != 5 || strncmp(colon + 1, "cdrom", 5))
            return fail(s, "bad vdev '%.*s' (only the ':cdrom' suffix is known)", (int)len, v);
        s->d->cdrom = true;
        s->devtype_given = true;
        len = (size_t)(colon - v);
    }
    return copy(s, s->d->vdev, sizeof(s->d->vdev), v, len, "vdev");
}

static int positional(struct state *s, const char *v, size_t len)
{
    int slot = 0;

    while (slot < POS_COUNT && s->given[slot])
        slot++;
    if (slot == POS_COUNT)
        return fail(s, "too many positional parameters at '%.*s'", (int)len, v);
    s->given[slot] = true;
    switch (slot) {
    case POS_TARGET:
        v = strip_prefixes(s, v, &len);
        return copy(s, s->d->target, sizeof(s->d->target), v, len, "target");
    case POS_FORMAT:
        return copy(s, s->format, sizeof(s->format), v, len, "format");
    case POS_VDEV:
        return set_vdev(s, v, len);
    default:
        return copy(s, s->access, sizeof(s->access), v, len, "access");
    }
}

static int keyword(struct state *s, const char *key, size_t klen, const char *v, size_t len)
{
#define IS(k) (klen == sizeof(k) - 1 && !strncmp(key, k, klen))
    if (IS("format") || IS("vdev") || IS("access")) {
        int slot = IS("format") ? POS_FORMAT : IS("vdev") ? POS_VDEV : POS_ACCESS;

        if (s->given[slot])
            return fail(s, "'%.*s' is given twice", (int)klen, key);
        s->given[slot] = true;
        if (slot == POS_VDEV)
            return set_vdev(s, v, len);
        return slot == POS_FORMAT ? copy(s, s->format, sizeof(s->format), v, len, "format")
                                  : copy(s, s->access, sizeof(s->access), v, len, "access");
    }
    if (IS("devtype")) {
        if (s->devtype_given)
            return fail(s, "'devtype' is given twice");
        s->devtype_given = true;
        if (len == 5 && !strncmp(v, "cdrom", 5))
            s->d->cdrom = true;
        else if (!(len == 4 && !strncmp(v, "disk", 4)) && len)
            return fail(s, "unknown devtype '%.*s' (disk or cdrom)", (int)len, v);
        return 0;
    }
    if (IS("backendtype")) {
        /* One backend serves every kind: lamina-blkback. */
        if ((len == 3 && !strncmp(v, "phy", 3)) || (len == 5 && !strncmp(v, "qdisk", 5)) ||
            (len == 3 && !strncmp(v, "tap", 3)) || !len)
            return 0;
        return fail(s, "unknown backendtype '%.*s'", (int)len, v);
    }
    if (IS("backend")) {
        if ((len == 1 && v[0] == '0') || (len == 8 && !strncmp(v, "Domain-0", 8)) || !len)
            return 0;
        return fail(s, "backend '%.*s': Lamina's disk backend runs in domain 0 only",
                    (int)len, v);
    }
    if (IS("script"))
        return fail(s, "block scripts (script=) are not supported: give an image file or a "
                    "block device as the target");
    return fail(s, "unknown disk parameter '%.*s'", (int)klen, key);
#undef IS
}

static int flag(struct state *s, const char *v, size_t len)
{
#define IS(k) (len == sizeof(k) - 1 && !strncmp(v, k, len))
    if (IS("cdrom")) {
        s->d->cdrom = true;
        s->devtype_given = true;
        return 0;
    }
    if (IS("discard") || IS("no-discard")) {
        s->d->discard = IS("discard");
        return 0;
    }
    if (IS("direct-io-safe") || IS("trusted") || IS("untrusted"))
        return 0;   /* about qemu's backend and driver domains: nothing to do here */
    return -ENOENT;
#undef IS
}

int diskspec_parse(const char *spec, struct diskspec *d, char *err, size_t errlen)
{
    struct state s = { .d = d, .err = err, .errlen = errlen };
    const char *p = spec;
    int rc;

    memset(d, 0, sizeof(*d));
    d->discard = -1;
    while (*p) {
        const char *end, *eq;
        size_t len;

        while (*p == ' ' || *p == '\t')
            p++;
        if (!strncmp(p, "target=", 7)) {
            /* The rest of the string, commas included. */
            if (s.given[POS_TARGET])
                return fail(&s, "the target is given twice");
            s.given[POS_TARGET] = true;
            p += 7;
            rc = copy(&s, d->target, sizeof(d->target), p, strlen(p), "target");
            if (rc)
                return rc;
            break;
        }
        end = strchr(p, ',');
        len = end ? (size_t)(end - p) : strlen(p);
        while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        eq = memchr(p, '=', len);
        if (eq)
            rc = keyword(&s, p, (size_t)(eq - p), eq + 1, len - (size_t)(eq - p) - 1);
        else if ((rc = flag(&s, p, len)) == -ENOENT)
            rc = positional(&s, p, len);
        if (rc)
            return rc;
        if (!end)
            break;
        p = end + 1;
    }

    if (s.format[0] && strcmp(s.format, "raw"))
        return fail(&s, "format '%s' is not supported: Lamina serves raw images and block "
                    "devices (convert with: qemu-img convert -O raw)", s.format);
    if (!s.access[0])
        d->readonly = d->cdrom;
    else if (!strcmp(s.access, "r") || !strcmp(s.access, "ro"))
        d->readonly = true;
    else if (!strcmp(s.access, "w") || !strcmp(s.access, "rw"))
        d->readonly = false;
    else
        return fail(&s, "unknown access '%s' (ro or rw)", s.access);
    if (!d->vdev[0])
        return fail(&s, "no vdev: name the guest's device, e.g. vdev=xvda");
    if (diskspec_vdev_to_devid(d->vdev, &d->devid) < 0)
        return fail(&s, "bad vdev '%s' (e.g. xvda, xvdb2, sdc, hdc, d0p1)", d->vdev);
    if (!d->target[0] && !d->cdrom)
        return fail(&s, "no target: give the image file or block device");
    if (d->cdrom && !d->readonly)
        return fail(&s, "a cdrom is read-only: drop access=rw");
    return 0;
}

int diskspec_format(const struct diskspec *d, char *buf, size_t size)
{
    int n = snprintf(buf, size, "format=raw, vdev=%s, access=%s, devtype=%s%s, target=%s",
                     d->vdev, d->readonly ? "ro" : "rw", d->cdrom ? "cdrom" : "disk",
                     d->discard == 1 ? ", discard" : d->discard == 0 ? ", no-discard" : "",
                     d->target);

    return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : n;
}
