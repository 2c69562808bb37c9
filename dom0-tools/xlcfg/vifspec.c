/* vifspec.c: xl's network interface specification strings (xl-network-configuration(5)). */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mac.h"
#include "vifspec.h"

#define SWITCH_PREFIX "lamina:"

struct state {
    struct vifspec *v;
    vifspec_warn_fn *warn;
    void *arg;
    char *err;
    size_t errlen;
    unsigned int seen;              /* keys given, one bit each (see enum key) */
};

enum key { K_MAC, K_BRIDGE, K_SWITCH, K_VIFNAME, K_MTU, K_TYPE, K_MODEL, K_SCRIPT, K_IP,
           K_RATE, K_BACKEND, K_GATEWAYDEV, K_ACCEL, K_DEVID, K_COUNT };

static const char *const key_names[K_COUNT] = {
    [K_MAC] = "mac", [K_BRIDGE] = "bridge", [K_SWITCH] = "switch", [K_VIFNAME] = "vifname",
    [K_MTU] = "mtu", [K_TYPE] = "type", [K_MODEL] = "model", [K_SCRIPT] = "script",
    [K_IP] = "ip", [K_RATE] = "rate", [K_BACKEND] = "backend", [K_GATEWAYDEV] = "gatewaydev",
    [K_ACCEL] = "accel", [K_DEVID] = "devid",
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

static void warn(struct state *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void warn(struct state *s, const char *fmt, ...)
{
    char msg[256];
    va_list ap;

    if (!s->warn)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    s->warn(s->arg, msg);
}

static bool is(const char *v, size_t len, const char *word)
{
    return len == strlen(word) && !strncmp(v, word, len);
}

/* What the Linux kernel accepts as an interface name (dev_valid_name()). */
static bool ifname_ok(const char *v, size_t len)
{
    if (len == 0 || len > VIFSPEC_IFNAME_MAX || is(v, len, ".") || is(v, len, ".."))
        return false;
    for (size_t i = 0; i < len; i++)
        if (v[i] == '/' || v[i] == ':' || v[i] <= ' ' || v[i] >= 0x7f)
            return false;
    return true;
}

/* lamina-netback's rule for switch names. */
static bool switch_name_ok(const char *v, size_t len)
{
    if (len == 0 || len > VIFSPEC_SWITCH_MAX || v[0] == '.')
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = v[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.'))
            return false;
    }
    return true;
}

static int set_switch(struct state *s, const char *v, size_t len, const char *how)
{
    if (s->v->sw[0] || s->v->bridge[0])
        return fail(s, "give either a bridge or a switch, not both");
    if (!switch_name_ok(v, len))
        return fail(s, "%s '%.*s' is not a valid switch name (letters, digits, '-', '_' and "
                    "'.', at most %d, not starting with '.')", how, (int)len, v,
                    VIFSPEC_SWITCH_MAX);
    memcpy(s->v->sw, v, len);
    s->v->sw[len] = '\0';
    return 0;
}

static int set_mac(struct state *s, const char *v, size_t len)
{
    char buf[NB_MAC_STRLEN];
    uint8_t *mac = s->v->mac;

    if (len != NB_MAC_STRLEN - 1)
        return fail(s, "mac '%.*s' is not six pairs of hex digits like 00:16:3e:12:34:56",
                    (int)len, v);
    memcpy(buf, v, len);
    buf[len] = '\0';
    if (!nb_mac_parse(buf, mac))
        return fail(s, "mac '%s' is not six pairs of hex digits like 00:16:3e:12:34:56", buf);
    if (nb_mac_is_multicast(mac))
        return fail(s, "mac '%s' is a multicast address (the first octet is odd): a NIC needs "
                    "a unicast address, e.g. 00:16:3e:xx:xx:xx", buf);
    if (nb_mac_is_zero(mac))
        return fail(s, "mac '%s' is all zero: give a unicast address or leave mac= out to "
                    "have one generated", buf);
    s->v->has_mac = true;
    return 0;
}

static int set_mtu(struct state *s, const char *v, size_t len)
{
    unsigned long n = 0;

    if (len == 0 || len > 5)
        return fail(s, "mtu '%.*s' is not a number from %d to %d", (int)len, v,
                    VIFSPEC_MTU_MIN, VIFSPEC_MTU_MAX);
    for (size_t i = 0; i < len; i++) {
        if (v[i] < '0' || v[i] > '9')
            return fail(s, "mtu '%.*s' is not a number from %d to %d", (int)len, v,
                        VIFSPEC_MTU_MIN, VIFSPEC_MTU_MAX);
        n = n * 10 + (unsigned long)(v[i] - '0');
    }
    if (n < VIFSPEC_MTU_MIN || n > VIFSPEC_MTU_MAX)
        return fail(s, "mtu %lu is out of range (%d to %d)", n, VIFSPEC_MTU_MIN,
                    VIFSPEC_MTU_MAX);
    s->v->mtu = (unsigned int)n;
    return 0;
}

static int keyword(struct state *s, const char *key, size_t klen, const char *v, size_t len)
{
    enum key k;

    for (k = 0; k < K_COUNT; k++)
        if (is(key, klen, key_names[k]))
            break;
    if (k == K_COUNT) {
        if (klen == 0)
            return fail(s, "'=%.*s' has no key", (int)len, v);
        /* As with unknown keys of the file: a newer xl's setting should not stop a guest. */
        warn(s, "unknown vif parameter '%.*s' is ignored (known: mac, bridge, switch, vifname, "
             "mtu, type, model, script, ip, rate, backend)", (int)klen, key);
        return 0;
    }
    if (s->seen & (1u << k))
        return fail(s, "'%s' is given twice", key_names[k]);
    s->seen |= 1u << k;

    switch (k) {
    case K_MAC:
        return set_mac(s, v, len);
    case K_BRIDGE:
        if (len >= strlen(SWITCH_PREFIX) && !strncmp(v, SWITCH_PREFIX, strlen(SWITCH_PREFIX)))
            return set_switch(s, v + strlen(SWITCH_PREFIX), len - strlen(SWITCH_PREFIX),
                              "bridge=" SWITCH_PREFIX);
        if (s->v->sw[0])
            return fail(s, "give either a bridge or a switch, not both");
        if (!ifname_ok(v, len))
            return fail(s, "bridge '%.*s' is not a valid interface name (at most %d "
                        "characters, no '/', ':' or blanks)", (int)len, v, VIFSPEC_IFNAME_MAX);
        memcpy(s->v->bridge, v, len);
        s->v->bridge[len] = '\0';
        return 0;
    case K_SWITCH:
        return set_switch(s, v, len, "switch");
    case K_VIFNAME:
        if (!ifname_ok(v, len))
            return fail(s, "vifname '%.*s' is not a valid interface name (at most %d "
                        "characters, no '/', ':' or blanks)", (int)len, v, VIFSPEC_IFNAME_MAX);
        memcpy(s->v->vifname, v, len);
        s->v->vifname[len] = '\0';
        return 0;
    case K_MTU:
        return set_mtu(s, v, len);
    case K_TYPE:
        if (is(v, len, "vif") || is(v, len, "vif-only"))
            return 0;
        if (is(v, len, "ioemu"))
            return fail(s, "type=ioemu asks for an emulated NIC, but Lamina runs PVH guests, "
                        "which have none: drop type= (or use type=vif)");
        return fail(s, "unknown type '%.*s' (vif)", (int)len, v);
    case K_MODEL:
        warn(s, "model=%.*s is ignored: it chooses an emulated NIC, and PVH guests use the "
             "paravirtual one", (int)len, v);
        return 0;
    case K_SCRIPT:
        warn(s, "script=%.*s is ignored: lamina-netback sets the vif up itself (no hotplug "
             "scripts run)", (int)len, v);
        return 0;
    case K_IP:
        warn(s, "ip=%.*s is ignored: Lamina neither routes nor filters by address; configure "
             "the address inside the guest", (int)len, v);
        return 0;
    case K_RATE:
        warn(s, "rate=%.*s is ignored: lamina-netback does not limit rates", (int)len, v);
        return 0;
    case K_GATEWAYDEV:
        warn(s, "gatewaydev=%.*s is ignored: it is for the vif-nat script, which Lamina does "
             "not run", (int)len, v);
        return 0;
    case K_ACCEL:
        warn(s, "accel=%.*s is ignored", (int)len, v);
        return 0;
    case K_DEVID:
        warn(s, "devid=%.*s is ignored: Lamina numbers a domain's vifs in list order from 0 "
             "(network-attach: the next free number)", (int)len, v);
        return 0;
    case K_BACKEND:
        if (is(v, len, "0") || is(v, len, "Domain-0") || len == 0)
            return 0;
        return fail(s, "backend '%.*s': Lamina's network backend runs in domain 0 only",
                    (int)len, v);
    case K_COUNT:
        break;
    }
    return -EINVAL;
}

int vifspec_parse(const char *spec, struct vifspec *v, vifspec_warn_fn *warn_fn, void *arg,
                  char *err, size_t errlen)
{
    struct state s = { .v = v, .warn = warn_fn, .arg = arg, .err = err, .errlen = errlen };
    const char *p = spec;
    size_t total = strlen(spec);

    memset(v, 0, sizeof(*v));
    if (errlen)
        err[0] = '\0';
    if (total > VIFSPEC_MAX_LEN)
        return fail(&s, "the spec is too long (%zu bytes, at most %d)", total, VIFSPEC_MAX_LEN);
    while (*p) {
        const char *end = strchr(p, ','), *eq;
        size_t len;
        int rc;

        while (*p == ' ' || *p == '\t')
            p++;
        len = end ? (size_t)(end - p) : strlen(p);
        while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        for (size_t i = 0; i < len; i++)
            if ((unsigned char)p[i] < 0x20 || (unsigned char)p[i] >= 0x7f)
                return fail(&s, "byte 0x%02x in '%.*s': only printable ASCII is allowed",
                            (unsigned char)p[i], (int)len, p);
        eq = memchr(p, '=', len);
        if (eq) {
            const char *val = eq + 1;
            size_t klen = (size_t)(eq - p), vlen = len - klen - 1;

            while (klen && (p[klen - 1] == ' ' || p[klen - 1] == '\t'))
                klen--;
            while (vlen && (*val == ' ' || *val == '\t')) {
                val++;
                vlen--;
            }
            rc = keyword(&s, p, klen, val, vlen);
        } else if (is(p, len, "trusted") || is(p, len, "untrusted")) {
            rc = 0;     /* about driver domains: the backend is dom0's own */
        } else if (len == 0) {
            rc = end ? fail(&s, "empty item between commas") : 0;
        } else {
            rc = fail(&s, "'%.*s' is not a key=value setting", (int)len, p);
        }
        if (rc)
            return rc;
        if (!end)
            break;
        p = end + 1;
        if (!*p)
            return fail(&s, "the spec ends with a comma");
    }
    if (v->sw[0] && v->vifname[0])
        warn(&s, "vifname=%s is ignored: a switch port has no host interface", v->vifname);
    if (v->sw[0] && v->mtu)
        warn(&s, "mtu=%u is ignored: a switch port has no host interface", v->mtu);
    if (v->sw[0]) {
        v->vifname[0] = '\0';
        v->mtu = 0;
    }
    return 0;
}

int vifspec_format(const struct vifspec *v, char *buf, size_t size)
{
    char mac[NB_MAC_STRLEN], mtu[24] = "";
    int n;

    if (!v->has_mac)
        return -EINVAL;
    nb_mac_format(v->mac, mac);
    if (v->mtu)
        snprintf(mtu, sizeof(mtu), ", mtu=%u", v->mtu);
    n = snprintf(buf, size, "mac=%s%s%s%s%s%s%s", mac,
                 v->bridge[0] ? ", bridge=" : "", v->bridge,
                 v->sw[0] ? ", switch=" : "", v->sw,
                 v->vifname[0] ? ", vifname=" : "", v->vifname);
    if (n < 0 || (size_t)n >= size)
        return -ENAMETOOLONG;
    if ((size_t)n + strlen(mtu) >= size)
        return -ENAMETOOLONG;
    strcpy(buf + n, mtu);
    return n + (int)strlen(mtu);
}

bool vifspec_parse_mac(const char *s, uint8_t mac[6])
{
    return nb_mac_parse(s, mac);
}

void vifspec_generate_mac(const uint8_t uuid[16], uint32_t devid, uint8_t mac[6])
{
    netback_mac_generate(uuid, devid, mac);
}
