/* diskspec.h: xl's disk specification strings (xl-disk-configuration(5)). */
/* SPDX-License-Identifier: MIT */
#ifndef LAMINA_DISKSPEC_H
#define LAMINA_DISKSPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A DISKSPEC is comma-separated: key=value pairs, flags, and positional
 * parameters target, format, vdev, access (in that order, empty meaning
 * the default); `target=` must come last and takes the rest of the string.
 * The deprecated form "prefix:target,vdev[:cdrom],access" (prefix raw:,
 * phy:, file:, aio:, tap:aio:, ...) is accepted: its prefix stands for the
 * format slot.  Lamina serves raw images and block devices only.
 */
struct diskspec {
    char target[4096];          /* as given; relative paths are resolved by the caller */
    char vdev[32];              /* xvda, sdb, hdc, d0p1 ... */
    uint32_t devid;             /* Xen's virtual device number for vdev */
    bool readonly;
    bool cdrom;
    int discard;                /* 1 discard, 0 no-discard, -1 unspecified */
};

/* Parse one spec; on failure writes a message for the user into err. */
int diskspec_parse(const char *spec, struct diskspec *d, char *err, size_t errlen);

/*
 * Xen's virtual device number for a device name (docs/misc/vbd-interface):
 * xvd<disk>[<part>], sd<disk>[<part>], hd<disk>[<part>], d<N>[p<M>].
 * Returns 0 and the number, or -EINVAL.
 */
int diskspec_vdev_to_devid(const char *vdev, uint32_t *devid);

/*
 * The canonical form: "format=raw, vdev=..., access=rw|ro, devtype=disk|cdrom
 * [, discard|no-discard], target=...", which parses back to the same spec.
 * Returns the length written (truncated output is an error: -ENAMETOOLONG).
 */
int diskspec_format(const struct diskspec *d, char *buf, size_t size);

#endif /* LAMINA_DISKSPEC_H */
