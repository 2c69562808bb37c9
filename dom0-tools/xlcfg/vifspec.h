/* vifspec.h: xl's network interface specification strings (xl-network-configuration(5)). */
/* SPDX-License-Identifier: MIT */
#ifndef LAMINA_VIFSPEC_H
#define LAMINA_VIFSPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A VIFSPEC is a comma-separated list of key=value pairs (and the flags
 * trusted/untrusted); every key is optional, so "" is a valid spec.
 * Lamina's backend (lamina-netback, docs/netback.md) connects a vif in one
 * of three ways: a TAP device that joins Linux bridge `bridge=`, a port of
 * the built-in switch `switch=<name>` (also written `bridge=lamina:<name>`),
 * or, with neither, a TAP device the host configures itself.
 *
 * Accepted and ignored, with a warning: model= (emulated NICs only),
 * script= (no hotplug scripts run), ip=, rate=, gatewaydev=, accel=,
 * devid= (vifs are numbered in list order), and keys nobody knows.
 * Refused: type=ioemu (no emulated devices), backend= other than domain 0.
 */

#define VIFSPEC_IFNAME_MAX      15      /* Linux's IFNAMSIZ - 1 */
#define VIFSPEC_SWITCH_MAX      32      /* as lamina-netback's switch names */
#define VIFSPEC_MTU_MIN         68
#define VIFSPEC_MTU_MAX         65535
#define VIFSPEC_MAX_LEN         1024    /* bytes of a spec accepted */

struct vifspec {
    bool has_mac;                   /* else the toolstack generates one */
    uint8_t mac[6];
    char bridge[VIFSPEC_IFNAME_MAX + 1];    /* "" for none */
    char sw[VIFSPEC_SWITCH_MAX + 1];        /* built-in switch; "" for none */
    char vifname[VIFSPEC_IFNAME_MAX + 1];   /* "" for the default vif<domid>.<devid> */
    unsigned int mtu;               /* 0: the bridge's (or 1500) */
};

/* Warnings (ignored settings) are passed here one at a time, ready to print. */
typedef void vifspec_warn_fn(void *arg, const char *message);

/*
 * Parse one spec. On failure returns -EINVAL and writes a message for the
 * user into err; warn (may be NULL) gets what is accepted but ignored.
 */
int vifspec_parse(const char *spec, struct vifspec *v, vifspec_warn_fn *warn, void *arg,
                  char *err, size_t errlen);

/*
 * The canonical form, "mac=xx:xx:xx:xx:xx:xx[, bridge=B | , switch=S]
 * [, vifname=N][, mtu=M]", which parses back to the same spec. The MAC must
 * be set (has_mac). Returns the length written, -EINVAL without a MAC, or
 * -ENAMETOOLONG when buf is too small.
 */
int vifspec_format(const struct vifspec *v, char *buf, size_t size);

/* "xx:xx:xx:xx:xx:xx" (either case); false for anything else. */
bool vifspec_parse_mac(const char *s, uint8_t mac[6]);

/*
 * The stable address Lamina gives vif `devid` of the domain with this
 * UUID when the configuration names none (the same rule lamina-netback
 * falls back on): 00:16:3e:xx:xx:xx, as xl's.
 */
void vifspec_generate_mac(const uint8_t uuid[16], uint32_t devid, uint8_t mac[6]);

#endif /* LAMINA_VIFSPEC_H */
