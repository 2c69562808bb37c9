/* domcfg.c: turn a parsed xl.cfg (or stored JSON) into a validated domain configuration. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uuid/uuid.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "diskspec.h"
#include "domcfg.h"
#include "vifspec.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define JSON_ORIGIN "domain config JSON"
#define JSON_MAX_DEPTH 8

/*
 * Where a value came from, for messages: a position in a configuration, or
 * just an origin (JSON carries no positions we could use).
 */
struct where {
    const struct xlcfg_pos *pos;
    const char *origin;
};

/* State while one domcfg is being built. */
struct build {
    struct domcfg *dc;
    struct xlcfg_error *err;
    domcfg_report_fn *report;
    void *opaque;
    unsigned int flags;
    bool from_json;
    const char *origin;             /* for messages about missing keys */
    char *cwd;                      /* fetched on first use */
    /* The pieces of the kernel command line, combined at the end. */
    const char *cmdline, *root, *extra;
    const struct xlcfg_pos *root_pos, *extra_pos;
    bool have_uuid;
    /* vif = [ ... ], parsed; MACs are filled in and the list stored once the UUID is known. */
    struct vifspec *vifs;
    struct where *vif_where;
    size_t nvifs;
};

struct scalar {
    const char *string;
    long long number;
};

/*
 * One entry per key xl knows. Keys with a handler are supported; the ones
 * without are xl keys Lamina does not implement yet, which get a "not
 * supported yet" warning instead of "unknown key". Supporting a key means
 * giving it a handler (and a field in struct domcfg, and in the JSON).
 */
struct key_handler {
    const char *key;
    enum xlcfg_type type;
    int (*apply)(struct build *b, const struct key_handler *h, const struct where *w,
                 const struct scalar *v);
    size_t field;                   /* offsetof(struct domcfg, ...) for generic handlers */
    unsigned int flags;
};

#define IN_JSON         0x1u        /* stored in the JSON */
#define JSON_OPTIONAL   0x2u        /* may be absent from the JSON */

/* Diagnostics */

static int bad(struct build *b, const struct where *w, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int bad(struct build *b, const struct where *w, const char *fmt, ...)
{
    char message[sizeof(b->err->message)];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    xlcfg_diag(b->err, XLCFG_ERROR, -EINVAL, w ? w->pos : NULL, w ? w->origin : b->origin,
               "%s", message);
    return -EINVAL;
}

static int nomem(struct build *b)
{
    xlcfg_diag(b->err, XLCFG_ERROR, -ENOMEM, NULL, b->origin, "out of memory");
    return -ENOMEM;
}

static void tell(struct build *b, enum xlcfg_severity severity, const struct xlcfg_pos *pos,
                 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void tell(struct build *b, enum xlcfg_severity severity, const struct xlcfg_pos *pos,
                 const char *fmt, ...)
{
    char message[sizeof(b->err->message)];
    struct xlcfg_error diag;
    va_list ap;

    if (!b->report) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    xlcfg_diag(&diag, severity, 0, pos, b->origin, "%s", message);
    b->report(b->opaque, &diag);
}

/* Checks shared by both input paths */

static bool utf8_valid(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    while (*p) {
        unsigned int cp, min;
        int more;

        if (*p < 0x80) {
            p++;
            continue;
        }
        if ((*p & 0xe0) == 0xc0) {
            cp = *p & 0x1fu;
            min = 0x80;
            more = 1;
        } else if ((*p & 0xf0) == 0xe0) {
            cp = *p & 0x0fu;
            min = 0x800;
            more = 2;
        } else if ((*p & 0xf8) == 0xf0) {
            cp = *p & 0x07u;
            min = 0x10000;
            more = 3;
        } else {
            return false;
        }
        p++;
        /* The terminating NUL fails this test, so we never read past it. */
        for (; more > 0; more--, p++) {
            if ((*p & 0xc0) != 0x80) {
                return false;
            }
            cp = (cp << 6) | (*p & 0x3fu);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
            return false;
        }
    }
    return true;
}

static int check_text(struct build *b, const struct where *w, const char *key, const char *s,
                      size_t max)
{
    size_t len = strlen(s);

    if (len > max) {
        return bad(b, w, "'%s' is too long (%zu bytes; the limit is %zu)", key, len, max);
    }
    if (!utf8_valid(s)) {
        return bad(b, w, "'%s' is not valid UTF-8", key);
    }
    return 0;
}

static int set_string(struct build *b, char **field, const char *value)
{
    char *copy = strdup(value);

    if (!copy) {
        return nomem(b);
    }
    free(*field);
    *field = copy;
    return 0;
}

/* Handlers */

static int apply_name(struct build *b, const struct key_handler *h, const struct where *w,
                      const struct scalar *v)
{
    const char *name = v->string;
    size_t len = strlen(name);
    bool all_digits = true;

    if (len == 0) {
        return bad(b, w, "'name' must not be empty");
    }
    if (len > DOMCFG_NAME_MAX) {
        return bad(b, w, "'name' is too long (%zu characters; the limit is %d)", len,
                   DOMCFG_NAME_MAX);
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];

        if (c >= '0' && c <= '9') {
            continue;
        }
        all_digits = false;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '.' ||
            c == '-') {
            continue;
        }
        if (c > ' ' && c < 0x7f) {
            return bad(b, w, "'name' contains '%c': use only letters, digits, '_', '.' "
                       "and '-'", c);
        }
        return bad(b, w, "'name' contains byte 0x%02x: use only letters, digits, '_', '.' "
                   "and '-'", c);
    }
    if (all_digits) {
        return bad(b, w, "'name' must not be all digits (\"%s\" would be taken for a domain "
                   "ID); add a letter", name);
    }
    if (name[0] == '-') {
        return bad(b, w, "'name' must not start with '-' (it would look like a command-line "
                   "option)");
    }
    if (strcmp(name, "Domain-0") == 0) {
        return bad(b, w, "'name' \"Domain-0\" is reserved for dom0; choose another name");
    }
    return set_string(b, &b->dc->name, name);
}

static int apply_uuid(struct build *b, const struct key_handler *h, const struct where *w,
                      const struct scalar *v)
{
    uuid_t u;

    if (strlen(v->string) != 36 || uuid_parse(v->string, u) != 0) {
        return bad(b, w, "'uuid' \"%.40s\" is not a valid UUID (expected the form "
                   "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, hexadecimal)", v->string);
    }
    if (uuid_is_null(u)) {
        return bad(b, w, "'uuid' must not be the all-zero UUID (dom0 uses it)");
    }
    memcpy(b->dc->uuid, u, sizeof(b->dc->uuid));
    b->have_uuid = true;
    return 0;
}

static int apply_type(struct build *b, const struct key_handler *h, const struct where *w,
                      const struct scalar *v)
{
    if (strcmp(v->string, "pvh") == 0) {
        b->dc->type = DOMCFG_TYPE_PVH;
        return 0;
    }
    if (strcmp(v->string, "pv") == 0 || strcmp(v->string, "hvm") == 0) {
        return bad(b, w, "'type' \"%s\" is not supported: Lamina runs PVH guests only; set "
                   "type = \"pvh\" and use a kernel with Xen PVH boot support", v->string);
    }
    return bad(b, w, "'type' \"%.64s\" is unknown: Lamina runs PVH guests only; set "
               "type = \"pvh\"", v->string);
}

static int apply_builder(struct build *b, const struct key_handler *h, const struct where *w,
                         const struct scalar *v)
{
    if (strcmp(v->string, "hvm") == 0) {
        return bad(b, w, "'builder' = \"hvm\" asks for an HVM guest, but Lamina runs PVH "
                   "guests only; remove 'builder' and set type = \"pvh\"");
    }
    if (strcmp(v->string, "generic") == 0) {
        return bad(b, w, "'builder' = \"generic\" asks for a PV guest, but Lamina runs PVH "
                   "guests only; remove 'builder' and set type = \"pvh\"");
    }
    return bad(b, w, "'builder' is a legacy key and \"%.64s\" is not one of its values; "
               "remove it and set type = \"pvh\"", v->string);
}

static int get_cwd(struct build *b)
{
    if (b->cwd) {
        return 0;
    }
    b->cwd = getcwd(NULL, 0);
    if (!b->cwd) {
        int rc = -errno;

        xlcfg_diag(b->err, XLCFG_ERROR, rc, NULL, b->origin,
                   "cannot resolve relative paths: current directory: %s", strerror(errno));
        return rc;
    }
    return 0;
}

/*
 * Make a path from a configuration absolute: the JSON is read back by
 * other toolstack commands, running in other directories.
 */
static int resolve_path(struct build *b, const struct where *w, const char *key,
                        const char *path, char **out)
{
    const char *dir = w->pos ? w->pos->dir : NULL;
    const char *sep1 = "", *sep2 = "/";
    const char *base = "";
    char *joined;
    int n, rc;

    if (path[0] == '/') {
        return set_string(b, out, path);
    }
    if (b->from_json) {
        return bad(b, w, "'%s' must be an absolute path, got \"%.64s\"", key, path);
    }
    while (path[0] == '.' && path[1] == '/') {
        path += 2;
        while (path[0] == '/') {
            path++;
        }
    }
    if (!dir || strcmp(dir, ".") == 0) {
        dir = "";
    }
    if (dir[0] != '/') {
        rc = get_cwd(b);
        if (rc) {
            return rc;
        }
        base = b->cwd;
        if (dir[0]) {
            sep1 = "/";
        }
    }
    /* Avoid "//" after a base of "/". */
    if ((dir[0] && dir[strlen(dir) - 1] == '/') || (!dir[0] && strcmp(base, "/") == 0)) {
        sep2 = "";
    }
    if (!path[0]) {
        return bad(b, w, "'%s' names a directory, not a file", key);
    }
    n = asprintf(&joined, "%s%s%s%s%s", base, sep1, dir, sep2, path);
    if (n < 0) {
        return nomem(b);
    }
    if ((size_t)n > DOMCFG_PATH_MAX) {
        free(joined);
        return bad(b, w, "'%s' is too long once made absolute (%d bytes; the limit is %d)",
                   key, n, DOMCFG_PATH_MAX);
    }
    free(*out);
    *out = joined;
    return 0;
}

static int apply_path(struct build *b, const struct key_handler *h, const struct where *w,
                      const struct scalar *v)
{
    char **field = (char **)((char *)b->dc + h->field);
    int rc;

    if (!v->string[0]) {
        /* An empty ramdisk means "none", so that an override can drop it. */
        if (h->flags & JSON_OPTIONAL) {
            free(*field);
            *field = NULL;
            return b->from_json ? bad(b, w, "'%s' must not be empty", h->key) : 0;
        }
        return bad(b, w, "'%s' must not be empty", h->key);
    }
    rc = check_text(b, w, h->key, v->string, DOMCFG_PATH_MAX);
    if (rc) {
        return rc;
    }
    return resolve_path(b, w, h->key, v->string, field);
}

static int apply_cmdline_part(struct build *b, const struct key_handler *h,
                              const struct where *w, const struct scalar *v)
{
    int rc = check_text(b, w, h->key, v->string, DOMCFG_CMDLINE_MAX);

    if (rc) {
        return rc;
    }
    if (strcmp(h->key, "root") == 0) {
        b->root = v->string;
        b->root_pos = w->pos;
    } else if (strcmp(h->key, "extra") == 0) {
        b->extra = v->string;
        b->extra_pos = w->pos;
    } else {
        b->cmdline = v->string;
    }
    return 0;
}

static int apply_mib(struct build *b, const struct key_handler *h, const struct where *w,
                     const struct scalar *v)
{
    uint64_t *field = (uint64_t *)(void *)((char *)b->dc + h->field);

    if (v->number < DOMCFG_MEMORY_MIN_MIB || v->number > DOMCFG_MEMORY_MAX_MIB) {
        return bad(b, w, "'%s' must be between %d and %d (MiB), got %lld", h->key,
                   DOMCFG_MEMORY_MIN_MIB, DOMCFG_MEMORY_MAX_MIB, v->number);
    }
    *field = (uint64_t)v->number;
    return 0;
}

static int apply_vcpus(struct build *b, const struct key_handler *h, const struct where *w,
                       const struct scalar *v)
{
    unsigned int *field = (unsigned int *)(void *)((char *)b->dc + h->field);

    if (v->number < 1 || v->number > DOMCFG_VCPUS_MAX) {
        return bad(b, w, "'%s' must be between 1 and %d, got %lld", h->key, DOMCFG_VCPUS_MAX,
                   v->number);
    }
    *field = (unsigned int)v->number;
    return 0;
}

static const char *const action_names[] = {
    [DOMCFG_ACTION_DESTROY] = "destroy",
    [DOMCFG_ACTION_RESTART] = "restart",
    [DOMCFG_ACTION_RENAME_RESTART] = "rename-restart",
    [DOMCFG_ACTION_PRESERVE] = "preserve",
    [DOMCFG_ACTION_COREDUMP_DESTROY] = "coredump-destroy",
    [DOMCFG_ACTION_COREDUMP_RESTART] = "coredump-restart",
    [DOMCFG_ACTION_SOFT_RESET] = "soft-reset",
};

const char *domcfg_action_name(enum domcfg_action action)
{
    if ((size_t)action < ARRAY_SIZE(action_names)) {
        return action_names[action];
    }
    return NULL;
}

int domcfg_action_from_name(const char *name, enum domcfg_action *action)
{
    for (size_t i = 0; i < ARRAY_SIZE(action_names); i++) {
        if (strcmp(name, action_names[i]) == 0) {
            *action = (enum domcfg_action)i;
            return 0;
        }
    }
    return -EINVAL;
}

static int apply_action(struct build *b, const struct key_handler *h, const struct where *w,
                        const struct scalar *v)
{
    enum domcfg_action *field = (enum domcfg_action *)(void *)((char *)b->dc + h->field);

    if (domcfg_action_from_name(v->string, field) != 0) {
        return bad(b, w, "'%s' \"%.64s\" is not an action: use destroy, restart, "
                   "rename-restart, preserve, coredump-destroy, coredump-restart or soft-reset",
                   h->key, v->string);
    }
    return 0;
}

/* One item of disk = [ ... ]: an xl DISKSPEC, kept in canonical form. */
static int apply_disk(struct build *b, const struct key_handler *h, const struct where *w,
                      const struct scalar *v)
{
    struct diskspec *d = malloc(sizeof(*d));
    char err[256], *target = NULL, *canon, **grown;
    int rc;

    if (!d)
        return nomem(b);
    rc = check_text(b, w, h->key, v->string, DOMCFG_PATH_MAX);
    if (!rc && diskspec_parse(v->string, d, err, sizeof(err)) < 0)
        rc = bad(b, w, "disk '%.80s': %s", v->string, err);
    if (!rc && d->target[0]) {
        rc = resolve_path(b, w, "disk target", d->target, &target);
        if (!rc && strlen(target) >= sizeof(d->target))
            rc = bad(b, w, "disk target '%.80s' is too long once made absolute", d->target);
        if (!rc)
            strcpy(d->target, target);
    }
    for (size_t i = 0; !rc && i < b->dc->ndisks; i++) {
        struct diskspec other;

        if (diskspec_parse(b->dc->disks[i], &other, err, sizeof(err)) == 0 &&
            other.devid == d->devid)
            rc = bad(b, w, "disk '%.80s': vdev %s is already used by another disk", v->string,
                     d->vdev);
    }
    if (!rc && b->dc->ndisks == DOMCFG_DISKS_MAX)
        rc = bad(b, w, "too many disks (at most %d)", DOMCFG_DISKS_MAX);
    if (!rc) {
        canon = malloc(DOMCFG_PATH_MAX + 128);
        grown = realloc(b->dc->disks, (b->dc->ndisks + 1) * sizeof(*grown));
        if (grown)
            b->dc->disks = grown;
        if (!canon || !grown || diskspec_format(d, canon, DOMCFG_PATH_MAX + 128) < 0) {
            free(canon);
            rc = nomem(b);
        } else {
            b->dc->disks[b->dc->ndisks++] = canon;
        }
    }
    free(target);
    free(d);
    return rc;
}

struct vif_warning {
    struct build *b;
    const struct where *w;
    const char *spec;
};

static void vif_warn(void *arg, const char *message)
{
    const struct vif_warning *vw = arg;

    tell(vw->b, XLCFG_WARNING, vw->w->pos, "vif '%.80s': %s", vw->spec, message);
}

/*
 * One item of vif = [ ... ]: an xl VIFSPEC. Kept parsed until the end,
 * since a missing MAC is made from the UUID, which may come later.
 */
static int apply_vif(struct build *b, const struct key_handler *h, const struct where *w,
                     const struct scalar *v)
{
    struct vif_warning vw = { .b = b, .w = w, .spec = v->string };
    struct vifspec spec, *grown;
    struct where *grown_where;
    char err[256];
    int rc;

    rc = check_text(b, w, h->key, v->string, VIFSPEC_MAX_LEN);
    if (rc)
        return rc;
    if (vifspec_parse(v->string, &spec, vif_warn, &vw, err, sizeof(err)) < 0)
        return bad(b, w, "vif '%.80s': %s", v->string, err);
    if (b->nvifs == DOMCFG_VIFS_MAX)
        return bad(b, w, "too many network interfaces (at most %d)", DOMCFG_VIFS_MAX);
    grown = realloc(b->vifs, (b->nvifs + 1) * sizeof(*grown));
    if (!grown)
        return nomem(b);
    b->vifs = grown;
    grown_where = realloc(b->vif_where, (b->nvifs + 1) * sizeof(*grown_where));
    if (!grown_where)
        return nomem(b);
    b->vif_where = grown_where;
    b->vifs[b->nvifs] = spec;
    b->vif_where[b->nvifs] = *w;
    b->nvifs++;
    return 0;
}

/* Addresses for the vifs without one, duplicates refused, the canonical list stored. */
static int finish_vifs(struct build *b)
{
    struct domcfg *dc = b->dc;
    int rc = 0;

    if (!b->nvifs)
        return 0;
    dc->vifs = calloc(b->nvifs, sizeof(*dc->vifs));
    if (!dc->vifs)
        return nomem(b);
    for (size_t i = 0; i < b->nvifs; i++) {
        struct vifspec *vs = &b->vifs[i];
        char canon[256];

        if (!vs->has_mac) {
            vifspec_generate_mac(dc->uuid, (uint32_t)i, vs->mac);
            vs->has_mac = true;
        }
        for (size_t j = 0; j < i; j++) {
            if (!memcmp(b->vifs[j].mac, vs->mac, sizeof(vs->mac)))
                return bad(b, &b->vif_where[i], "vif %zu: mac %02x:%02x:%02x:%02x:%02x:%02x "
                           "is already the address of vif %zu", i, vs->mac[0], vs->mac[1],
                           vs->mac[2], vs->mac[3], vs->mac[4], vs->mac[5], j);
        }
        rc = vifspec_format(vs, canon, sizeof(canon));
        if (rc < 0)
            return bad(b, &b->vif_where[i], "vif %zu cannot be stored (%s)", i, strerror(-rc));
        dc->vifs[i] = strdup(canon);
        if (!dc->vifs[i])
            return nomem(b);
        dc->nvifs = i + 1;
    }
    return 0;
}

static void free_build(struct build *b)
{
    free(b->cwd);
    free(b->vifs);
    free(b->vif_where);
}

#define SUPPORTED(k, t, fn, fl) { .key = (k), .type = (t), .apply = (fn), .flags = (fl) }
#define FIELD(k, t, fn, f, fl) \
    { .key = (k), .type = (t), .apply = (fn), .field = offsetof(struct domcfg, f), .flags = (fl) }
#define LATER(k, t) { .key = (k), .type = (t), .apply = NULL }

static const struct key_handler keys[] = {
    SUPPORTED("name", XLCFG_STRING, apply_name, IN_JSON),
    SUPPORTED("uuid", XLCFG_STRING, apply_uuid, IN_JSON),
    SUPPORTED("type", XLCFG_STRING, apply_type, IN_JSON),
    SUPPORTED("builder", XLCFG_STRING, apply_builder, 0),
    FIELD("kernel", XLCFG_STRING, apply_path, kernel, IN_JSON),
    FIELD("ramdisk", XLCFG_STRING, apply_path, ramdisk, IN_JSON | JSON_OPTIONAL),
    SUPPORTED("cmdline", XLCFG_STRING, apply_cmdline_part, IN_JSON),
    SUPPORTED("root", XLCFG_STRING, apply_cmdline_part, 0),
    SUPPORTED("extra", XLCFG_STRING, apply_cmdline_part, 0),
    FIELD("memory", XLCFG_NUMBER, apply_mib, memory_mib, IN_JSON),
    FIELD("maxmem", XLCFG_NUMBER, apply_mib, maxmem_mib, IN_JSON),
    FIELD("vcpus", XLCFG_NUMBER, apply_vcpus, vcpus, IN_JSON),
    FIELD("maxvcpus", XLCFG_NUMBER, apply_vcpus, maxvcpus, IN_JSON),
    FIELD("on_poweroff", XLCFG_STRING, apply_action, on_poweroff, IN_JSON),
    FIELD("on_reboot", XLCFG_STRING, apply_action, on_reboot, IN_JSON),
    FIELD("on_crash", XLCFG_STRING, apply_action, on_crash, IN_JSON),
    FIELD("on_watchdog", XLCFG_STRING, apply_action, on_watchdog, IN_JSON),

    /* Devices. */
    SUPPORTED("disk", XLCFG_LIST, apply_disk, IN_JSON | JSON_OPTIONAL),
    SUPPORTED("vif", XLCFG_LIST, apply_vif, IN_JSON | JSON_OPTIONAL),
    LATER("vfb", XLCFG_LIST),
    LATER("vkb", XLCFG_LIST),
    LATER("vtpm", XLCFG_LIST),
    LATER("p9", XLCFG_LIST),
    LATER("pvcalls", XLCFG_LIST),
    LATER("channel", XLCFG_LIST),
    LATER("vdispl", XLCFG_LIST),
    LATER("vsnd", XLCFG_LIST),
    LATER("usbctrl", XLCFG_LIST),
    LATER("usbdev", XLCFG_LIST),
    LATER("pci", XLCFG_LIST),
    LATER("dtdev", XLCFG_LIST),
    LATER("iomem", XLCFG_LIST),
    LATER("ioports", XLCFG_LIST),
    LATER("irqs", XLCFG_LIST),
    LATER("rdm", XLCFG_STRING),
    /* Boot. */
    LATER("bootloader", XLCFG_STRING),
    LATER("bootloader_args", XLCFG_LIST),
    LATER("device_tree", XLCFG_STRING),
    /* CPUs and scheduling. */
    LATER("cpus", XLCFG_STRING),
    LATER("cpus_soft", XLCFG_STRING),
    LATER("cpu_weight", XLCFG_NUMBER),
    LATER("cap", XLCFG_NUMBER),
    LATER("period", XLCFG_NUMBER),
    LATER("slice", XLCFG_NUMBER),
    LATER("latency", XLCFG_NUMBER),
    LATER("extratime", XLCFG_NUMBER),
    LATER("pool", XLCFG_STRING),
    LATER("cpuid", XLCFG_STRING),
    LATER("vnuma", XLCFG_LIST),
    /* Actions and lifecycle. */
    LATER("on_soft_reset", XLCFG_STRING),
    LATER("nomigrate", XLCFG_NUMBER),
    LATER("driver_domain", XLCFG_NUMBER),
    /* Limits. */
    LATER("max_grant_frames", XLCFG_NUMBER),
    LATER("max_maptrack_frames", XLCFG_NUMBER),
    LATER("max_grant_version", XLCFG_NUMBER),
    LATER("max_event_channels", XLCFG_NUMBER),
    LATER("shadow_memory", XLCFG_NUMBER),
    LATER("tsc_mode", XLCFG_STRING),
    LATER("e820_host", XLCFG_NUMBER),
    LATER("claim_mode", XLCFG_NUMBER),
    LATER("vpmu", XLCFG_NUMBER),
    /* Security. */
    LATER("seclabel", XLCFG_STRING),
    LATER("init_seclabel", XLCFG_STRING),
    LATER("device_model_stubdomain_seclabel", XLCFG_STRING),
    /* Device model (HVM). */
    LATER("device_model_version", XLCFG_STRING),
    LATER("device_model_override", XLCFG_STRING),
    LATER("device_model_stubdomain_override", XLCFG_NUMBER),
    LATER("device_model_args", XLCFG_LIST),
    LATER("device_model_args_pv", XLCFG_LIST),
    LATER("device_model_args_hvm", XLCFG_LIST),
    LATER("device_model_user", XLCFG_STRING),
    LATER("dm_restrict", XLCFG_NUMBER),
    /* HVM-style platform options. */
    LATER("acpi", XLCFG_NUMBER),
    LATER("apic", XLCFG_NUMBER),
    LATER("pae", XLCFG_NUMBER),
    LATER("hap", XLCFG_NUMBER),
    LATER("nestedhvm", XLCFG_NUMBER),
    LATER("altp2m", XLCFG_STRING),
    LATER("viridian", XLCFG_LIST),
    LATER("localtime", XLCFG_NUMBER),
    LATER("rtc_timeoffset", XLCFG_NUMBER),
    LATER("timer_mode", XLCFG_STRING),
    LATER("boot", XLCFG_STRING),
    LATER("serial", XLCFG_STRING),
    LATER("vga", XLCFG_STRING),
    LATER("videoram", XLCFG_NUMBER),
    LATER("vnc", XLCFG_NUMBER),
    LATER("vnclisten", XLCFG_STRING),
    LATER("vncpasswd", XLCFG_STRING),
    LATER("vncdisplay", XLCFG_NUMBER),
    LATER("vncunused", XLCFG_NUMBER),
    LATER("sdl", XLCFG_NUMBER),
    LATER("keymap", XLCFG_STRING),
    LATER("usb", XLCFG_NUMBER),
    LATER("usbdevice", XLCFG_LIST),
    LATER("soundhw", XLCFG_STRING),
    LATER("xen_platform_pci", XLCFG_NUMBER),
    LATER("gfx_passthru", XLCFG_NUMBER),
    LATER("nographic", XLCFG_NUMBER),
    LATER("stdvga", XLCFG_NUMBER),
    LATER("gic_version", XLCFG_STRING),
    LATER("tee", XLCFG_STRING),
};

static const struct key_handler *find_key(const char *key)
{
    for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
        if (strcmp(keys[i].key, key) == 0) {
            return &keys[i];
        }
    }
    return NULL;
}

/* Edit distance counting a swap of neighbours as one edit, capped at 3. */
static unsigned int distance(const char *a, const char *b)
{
    enum { MAXLEN = XLCFG_MAX_KEY_LEN + 1 };
    unsigned int d[MAXLEN + 1][MAXLEN + 1];
    size_t la = strlen(a), lb = strlen(b);

    if (la > MAXLEN || lb > MAXLEN) {
        return 3;
    }
    for (size_t i = 0; i <= la; i++) {
        d[i][0] = (unsigned int)i;
    }
    for (size_t j = 0; j <= lb; j++) {
        d[0][j] = (unsigned int)j;
    }
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            unsigned int cost = a[i - 1] != b[j - 1];
            unsigned int best = d[i - 1][j - 1] + cost;

            if (d[i - 1][j] + 1 < best) {
                best = d[i - 1][j] + 1;
            }
            if (d[i][j - 1] + 1 < best) {
                best = d[i][j - 1] + 1;
            }
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < best) {
                best = d[i - 2][j - 2] + 1;
            }
            d[i][j] = best;
        }
    }
    return d[la][lb] < 3 ? d[la][lb] : 3;
}

/* A supported key that looks like a typo of key, or NULL. */
static const char *suggest(const char *key)
{
    unsigned int best = strlen(key) >= 5 ? 2 : 1;
    const char *found = NULL;

    for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
        unsigned int d;

        if (!keys[i].apply) {
            continue;
        }
        d = distance(key, keys[i].key);
        if (d <= best && (!found || d < best)) {
            best = d;
            found = keys[i].key;
        }
    }
    return found;
}

static void warn_unused_keys(struct build *b, const struct xlcfg *cfg)
{
    for (size_t i = 0; i < xlcfg_count(cfg); i++) {
        const struct xlcfg_setting *s = xlcfg_setting_at(cfg, i);
        const struct key_handler *h = find_key(s->key);
        const char *hint;

        if (h && !h->apply) {
            tell(b, XLCFG_WARNING, &s->pos, "'%s' is not supported yet, ignored", s->key);
        } else if (!h && (hint = suggest(s->key))) {
            tell(b, XLCFG_WARNING, &s->pos, "unknown key '%s' ignored (did you mean '%s'?)",
                 s->key, hint);
        } else if (!h) {
            tell(b, XLCFG_WARNING, &s->pos, "unknown key '%s' ignored", s->key);
        }
    }
}

/* Defaults and rules that involve several keys */

static void set_defaults(struct domcfg *dc)
{
    memset(dc, 0, sizeof(*dc));
    dc->type = DOMCFG_TYPE_PVH;
    dc->memory_mib = DOMCFG_MEMORY_DEFAULT_MIB;
    dc->vcpus = 1;
    dc->on_poweroff = DOMCFG_ACTION_DESTROY;
    dc->on_reboot = DOMCFG_ACTION_RESTART;
    dc->on_crash = DOMCFG_ACTION_DESTROY;
    dc->on_watchdog = DOMCFG_ACTION_DESTROY;
}

/* root and extra make "root=<root> <extra>", unless cmdline is given. */
static int build_cmdline(struct build *b)
{
    const char *root = b->root && b->root[0] ? b->root : NULL;
    const char *extra = b->extra && b->extra[0] ? b->extra : NULL;
    char *line;
    int n;

    if (b->cmdline) {
        if (b->root) {
            tell(b, XLCFG_WARNING, b->root_pos, "'root' is ignored because 'cmdline' is set");
        }
        if (b->extra) {
            tell(b, XLCFG_WARNING, b->extra_pos, "'extra' is ignored because 'cmdline' is set");
        }
        return set_string(b, &b->dc->cmdline, b->cmdline);
    }
    n = asprintf(&line, "%s%s%s%s", root ? "root=" : "", root ? root : "",
                 root && extra ? " " : "", extra ? extra : "");
    if (n < 0) {
        return nomem(b);
    }
    if ((size_t)n > DOMCFG_CMDLINE_MAX) {
        free(line);
        return bad(b, NULL, "the kernel command line made from 'root' and 'extra' is too long "
                   "(%d bytes; the limit is %d)", n, DOMCFG_CMDLINE_MAX);
    }
    free(b->dc->cmdline);
    b->dc->cmdline = line;
    return 0;
}

static int check_maxima(struct build *b, const struct where *maxmem_w,
                        const struct where *maxvcpus_w)
{
    struct domcfg *dc = b->dc;

    if (dc->maxmem_mib < dc->memory_mib) {
        return bad(b, maxmem_w, "'maxmem' (%llu MiB) must not be less than 'memory' "
                   "(%llu MiB)", (unsigned long long)dc->maxmem_mib,
                   (unsigned long long)dc->memory_mib);
    }
    if (dc->maxvcpus < dc->vcpus) {
        return bad(b, maxvcpus_w, "'maxvcpus' (%u) must not be less than 'vcpus' (%u)",
                   dc->maxvcpus, dc->vcpus);
    }
    return 0;
}

/* From a configuration */

static int apply_setting(struct build *b, const struct key_handler *h,
                         const struct xlcfg_setting *s)
{
    struct where w = { .pos = &s->value.pos };
    struct scalar v = { 0 };
    int rc;

    rc = xlcfg_check_type(s, h->type, b->err);
    if (rc) {
        return rc;
    }
    if (h->type == XLCFG_LIST) {
        /* Each item on its own, with its own position for messages. */
        for (size_t i = 0; i < s->value.u.list.count; i++) {
            const struct xlcfg_value *item = &s->value.u.list.items[i];
            struct where iw = { .pos = &item->pos };

            if (item->type != XLCFG_STRING) {
                return bad(b, &iw, "'%s' items must be strings, got %s", h->key,
                           xlcfg_type_name(item->type));
            }
            v.string = item->u.string;
            rc = h->apply(b, h, &iw, &v);
            if (rc) {
                return rc;
            }
        }
        return 0;
    }
    if (h->type == XLCFG_STRING) {
        v.string = s->value.u.string;
    } else {
        v.number = s->value.u.number;
    }
    return h->apply(b, h, &w, &v);
}

int domcfg_from_xlcfg(const struct xlcfg *cfg, unsigned int flags, domcfg_report_fn *report,
                      void *opaque, struct domcfg *dc, struct xlcfg_error *err)
{
    struct build b = {
        .dc = dc, .err = err, .report = report, .opaque = opaque, .flags = flags,
        .origin = xlcfg_name(cfg),
    };
    const struct xlcfg_setting *s;
    struct where maxmem_w = { 0 }, maxvcpus_w = { 0 };
    int rc = 0;

    set_defaults(dc);
    warn_unused_keys(&b, cfg);

    for (size_t i = 0; i < xlcfg_count(cfg); i++) {
        const struct key_handler *h;

        s = xlcfg_setting_at(cfg, i);
        h = find_key(s->key);
        if (h && h->apply) {
            rc = apply_setting(&b, h, s);
            if (rc) {
                goto fail;
            }
        }
    }

    if (!dc->name) {
        rc = bad(&b, NULL, "no 'name' given: every domain needs one (e.g. name = \"web\")");
        goto fail;
    }
    if (!dc->kernel) {
        rc = bad(&b, NULL, "no 'kernel' given: a PVH guest boots from a kernel image "
                 "(e.g. kernel = \"/boot/vmlinuz\")");
        goto fail;
    }
    if (!xlcfg_find(cfg, "type") && (flags & DOMCFG_VERBOSE)) {
        tell(&b, XLCFG_NOTE, NULL, "no 'type' given, using \"pvh\" (the only type Lamina runs)");
    }

    s = xlcfg_find(cfg, "maxmem");
    if (s) {
        maxmem_w.pos = &s->value.pos;
    } else {
        dc->maxmem_mib = dc->memory_mib;
    }
    s = xlcfg_find(cfg, "maxvcpus");
    if (s) {
        maxvcpus_w.pos = &s->value.pos;
    } else {
        dc->maxvcpus = dc->vcpus;
    }
    rc = check_maxima(&b, &maxmem_w, &maxvcpus_w);
    if (rc) {
        goto fail;
    }

    rc = build_cmdline(&b);
    if (rc) {
        goto fail;
    }
    if (!b.have_uuid) {
        uuid_generate(dc->uuid);
    }
    rc = finish_vifs(&b);
    if (rc) {
        goto fail;
    }
    free_build(&b);
    return 0;

fail:
    free_build(&b);
    domcfg_free(dc);
    return rc;
}

void domcfg_free(struct domcfg *dc)
{
    if (!dc) {
        return;
    }
    free(dc->name);
    free(dc->kernel);
    free(dc->ramdisk);
    free(dc->cmdline);
    for (size_t i = 0; i < dc->ndisks; i++) {
        free(dc->disks[i]);
    }
    free(dc->disks);
    for (size_t i = 0; i < dc->nvifs; i++) {
        free(dc->vifs[i]);
    }
    free(dc->vifs);
    memset(dc, 0, sizeof(*dc));
}

/* To JSON */

static int gen_string(yajl_gen g, const char *s)
{
    return yajl_gen_string(g, (const unsigned char *)s, strlen(s)) == yajl_gen_status_ok ? 0 : -1;
}

static int gen_pair(yajl_gen g, const char *key, const char *value)
{
    return gen_string(g, key) || gen_string(g, value) ? -1 : 0;
}

static int gen_number(yajl_gen g, const char *key, long long value)
{
    return gen_string(g, key) || yajl_gen_integer(g, value) != yajl_gen_status_ok ? -1 : 0;
}

static int gen_string_array(yajl_gen g, const char *key, char *const *items, size_t n)
{
    if (gen_string(g, key) || yajl_gen_array_open(g) != yajl_gen_status_ok) {
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (gen_string(g, items[i])) {
            return -1;
        }
    }
    return yajl_gen_array_close(g) == yajl_gen_status_ok ? 0 : -1;
}

int domcfg_to_json(const struct domcfg *dc, char **json)
{
    char uuid[37];
    const unsigned char *buf;
    size_t len;
    yajl_gen g;
    int bad_gen;

    *json = NULL;
    if (!dc->name || !dc->kernel || !dc->cmdline) {
        return -EINVAL;
    }
    g = yajl_gen_alloc(NULL);
    if (!g) {
        return -ENOMEM;
    }
    yajl_gen_config(g, yajl_gen_beautify, 1);
    /* Refuse bytes the reader would reject, rather than write unreadable JSON. */
    yajl_gen_config(g, yajl_gen_validate_utf8, 1);
    uuid_unparse_lower(dc->uuid, uuid);

    bad_gen = yajl_gen_map_open(g) != yajl_gen_status_ok ||
              gen_number(g, "version", DOMCFG_JSON_VERSION) ||
              gen_pair(g, "name", dc->name) ||
              gen_pair(g, "uuid", uuid) ||
              gen_pair(g, "type", "pvh") ||
              gen_pair(g, "kernel", dc->kernel) ||
              (dc->ramdisk && gen_pair(g, "ramdisk", dc->ramdisk)) ||
              gen_pair(g, "cmdline", dc->cmdline) ||
              gen_number(g, "memory", (long long)dc->memory_mib) ||
              gen_number(g, "maxmem", (long long)dc->maxmem_mib) ||
              gen_number(g, "vcpus", dc->vcpus) ||
              gen_number(g, "maxvcpus", dc->maxvcpus) ||
              !domcfg_action_name(dc->on_poweroff) || !domcfg_action_name(dc->on_reboot) ||
              !domcfg_action_name(dc->on_crash) || !domcfg_action_name(dc->on_watchdog) ||
              gen_pair(g, "on_poweroff", domcfg_action_name(dc->on_poweroff)) ||
              gen_pair(g, "on_reboot", domcfg_action_name(dc->on_reboot)) ||
              gen_pair(g, "on_crash", domcfg_action_name(dc->on_crash)) ||
              gen_pair(g, "on_watchdog", domcfg_action_name(dc->on_watchdog)) ||
              (dc->ndisks && gen_string_array(g, "disk", dc->disks, dc->ndisks)) ||
              (dc->nvifs && gen_string_array(g, "vif", dc->vifs, dc->nvifs)) ||
              yajl_gen_map_close(g) != yajl_gen_status_ok ||
              yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok;
    if (bad_gen) {
        yajl_gen_free(g);
        return -EINVAL;
    }
    *json = strndup((const char *)buf, len);
    yajl_gen_free(g);
    return *json ? 0 : -ENOMEM;
}

/* From JSON */

static const char *json_type_name(yajl_val v)
{
    switch (v->type) {
    case yajl_t_string:
        return "a string";
    case yajl_t_number:
        return "a number";
    case yajl_t_object:
        return "an object";
    case yajl_t_array:
        return "an array";
    case yajl_t_true:
    case yajl_t_false:
        return "a boolean";
    case yajl_t_null:
        return "null";
    case yajl_t_any:
        break;
    }
    return "an unknown value";
}

/*
 * Reject what yajl would accept but we must not: NUL bytes and "\u0000"
 * (yajl_tree hands out C strings, which would silently end there),
 * comments (which yajl_tree allows and which would hide quotes from this
 * scan) and deep nesting (yajl_tree_free() recurses).
 */
static int json_prescan(struct build *b, const char *s, size_t len)
{
    bool in_string = false;
    int depth = 0;

    for (size_t i = 0; i < len; i++) {
        char c = s[i];

        if (c == '\0') {
            return bad(b, NULL, "NUL byte at offset %zu", i);
        }
        if (in_string) {
            if (c == '"') {
                in_string = false;
            } else if (c == '\\' && i + 1 < len) {
                if (s[i + 1] == 'u' && len - i >= 6 && memcmp(s + i + 2, "0000", 4) == 0) {
                    return bad(b, NULL, "string with \\u0000 at offset %zu", i);
                }
                i++;
            }
        } else if (c == '"') {
            in_string = true;
        } else if (c == '/') {
            return bad(b, NULL, "unexpected '/' at offset %zu (comments are not allowed)", i);
        } else if (c == '{' || c == '[') {
            if (++depth > JSON_MAX_DEPTH) {
                return bad(b, NULL, "nested too deeply at offset %zu", i);
            }
        } else if (c == '}' || c == ']') {
            depth--;
        }
    }
    return 0;
}

static int json_field(struct build *b, const struct key_handler *h, yajl_val v)
{
    struct where w = { .origin = JSON_ORIGIN };
    struct scalar sv = { 0 };

    if (h->type == XLCFG_LIST) {
        if (!YAJL_IS_ARRAY(v)) {
            return bad(b, &w, "'%s' must be an array, got %s", h->key, json_type_name(v));
        }
        for (size_t i = 0; i < v->u.array.len; i++) {
            yajl_val item = v->u.array.values[i];
            int rc;

            if (!YAJL_IS_STRING(item)) {
                return bad(b, &w, "'%s' items must be strings, got %s", h->key,
                           json_type_name(item));
            }
            sv.string = YAJL_GET_STRING(item);
            rc = h->apply(b, h, &w, &sv);
            if (rc) {
                return rc;
            }
        }
        return 0;
    }
    if (h->type == XLCFG_STRING) {
        if (!YAJL_IS_STRING(v)) {
            return bad(b, &w, "'%s' must be a string, got %s", h->key, json_type_name(v));
        }
        sv.string = YAJL_GET_STRING(v);
    } else {
        if (!YAJL_IS_NUMBER(v)) {
            return bad(b, &w, "'%s' must be a number, got %s", h->key, json_type_name(v));
        }
        if (!YAJL_IS_INTEGER(v)) {
            return bad(b, &w, "'%s' must be a whole number that fits in 64 bits, got %.40s",
                       h->key, YAJL_GET_NUMBER(v) ? YAJL_GET_NUMBER(v) : "?");
        }
        sv.number = YAJL_GET_INTEGER(v);
    }
    return h->apply(b, h, &w, &sv);
}

static int json_version(struct build *b, yajl_val v)
{
    struct where w = { .origin = JSON_ORIGIN };

    if (!YAJL_IS_INTEGER(v)) {
        return bad(b, &w, "'version' must be a whole number, got %s", json_type_name(v));
    }
    if (YAJL_GET_INTEGER(v) != DOMCFG_JSON_VERSION) {
        return bad(b, &w, "unsupported 'version' %lld (this Lamina reads version %d)",
                   YAJL_GET_INTEGER(v), DOMCFG_JSON_VERSION);
    }
    return 0;
}

static int json_apply_all(struct build *b, yajl_val root)
{
    bool seen[ARRAY_SIZE(keys)] = { false };
    bool seen_version = false;
    struct where w = { .origin = JSON_ORIGIN };
    int rc;

    if (!YAJL_IS_OBJECT(root)) {
        return bad(b, &w, "expected an object at the top level, got %s", json_type_name(root));
    }
    for (size_t i = 0; i < root->u.object.len; i++) {
        const char *key = root->u.object.keys[i];
        yajl_val v = root->u.object.values[i];
        const struct key_handler *h;

        if (strcmp(key, "version") == 0) {
            if (seen_version) {
                return bad(b, &w, "duplicate field 'version'");
            }
            seen_version = true;
            rc = json_version(b, v);
            if (rc) {
                return rc;
            }
            continue;
        }
        h = find_key(key);
        if (!h || !(h->flags & IN_JSON)) {
            return bad(b, &w, "unknown field '%.64s'", key);
        }
        if (seen[h - keys]) {
            return bad(b, &w, "duplicate field '%s'", key);
        }
        seen[h - keys] = true;
        rc = json_field(b, h, v);
        if (rc) {
            return rc;
        }
    }

    if (!seen_version) {
        return bad(b, &w, "missing field 'version'");
    }
    for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
        if ((keys[i].flags & IN_JSON) && !(keys[i].flags & JSON_OPTIONAL) && !seen[i]) {
            return bad(b, &w, "missing field '%s'", keys[i].key);
        }
    }
    rc = check_maxima(b, &w, &w);
    if (rc) {
        return rc;
    }
    rc = finish_vifs(b);
    if (rc) {
        return rc;
    }
    return set_string(b, &b->dc->cmdline, b->cmdline);
}

int domcfg_from_json(const char *json, size_t len, struct domcfg *dc, struct xlcfg_error *err)
{
    struct build b = { .dc = dc, .err = err, .from_json = true, .origin = JSON_ORIGIN };
    char errbuf[256];
    yajl_val root;
    char *text;
    int rc;

    set_defaults(dc);
    if (len > DOMCFG_JSON_MAX) {
        rc = bad(&b, NULL, "too large (%zu bytes; the limit is %d)", len, DOMCFG_JSON_MAX);
        goto out;
    }
    rc = json_prescan(&b, json, len);
    if (rc) {
        goto out;
    }
    text = strndup(json, len);
    if (!text) {
        rc = nomem(&b);
        goto out;
    }
    errbuf[0] = '\0';
    root = yajl_tree_parse(text, errbuf, sizeof(errbuf));
    free(text);
    if (!root) {
        /* yajl adds the offending text on further lines; the first says what is wrong. */
        errbuf[strcspn(errbuf, "\n")] = '\0';
        rc = bad(&b, NULL, "invalid JSON: %s", errbuf[0] ? errbuf : "parse error");
        goto out;
    }
    rc = json_apply_all(&b, root);
    yajl_tree_free(root);
out:
    free_build(&b);
    if (rc) {
        domcfg_free(dc);
    }
    return rc;
}
