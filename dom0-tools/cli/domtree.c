/* domtree.c: a domain's xenstore tree, written and removed as xl's toolstack does. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uuid/uuid.h>

#include <lamina/ctl-wire.h>
#include <xenstore.h>

#include "cli.h"

#define TREE_RETRIES    16      /* transactions that conflict are retried */

struct tree {
    struct xs_handle *xs;
    xs_transaction_t t;
    bool failed;
    char path[256];             /* the first failing path, for the message */
};

static void tree_write(struct tree *tr, const char *value, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void tree_vpath(struct tree *tr, char *buf, size_t size, const char *fmt, va_list ap)
{
    if ((size_t)vsnprintf(buf, size, fmt, ap) >= size && !tr->failed) {
        tr->failed = true;
        snprintf(tr->path, sizeof(tr->path), "%s", "(path too long)");
    }
}

static void note_failure(struct tree *tr, const char *path)
{
    if (!tr->failed) {
        tr->failed = true;
        snprintf(tr->path, sizeof(tr->path), "%s", path);
    }
}

static void tree_write(struct tree *tr, const char *value, const char *fmt, ...)
{
    char path[256];
    va_list ap;

    va_start(ap, fmt);
    tree_vpath(tr, path, sizeof(path), fmt, ap);
    va_end(ap);
    if (!tr->failed && !xs_write(tr->xs, tr->t, path, value, (unsigned int)strlen(value)))
        note_failure(tr, path);
}

/* mkdir with permissions: owner first, then per-domain entries. */
static void tree_dir(struct tree *tr, struct xs_permissions *perms, unsigned int n,
                     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void tree_dir(struct tree *tr, struct xs_permissions *perms, unsigned int n,
                     const char *fmt, ...)
{
    char path[256];
    va_list ap;

    va_start(ap, fmt);
    tree_vpath(tr, path, sizeof(path), fmt, ap);
    va_end(ap);
    if (!tr->failed && (!xs_mkdir(tr->xs, tr->t, path) ||
                        !xs_set_permissions(tr->xs, tr->t, path, perms, n)))
        note_failure(tr, path);
}

static void write_tree(struct tree *tr, const struct domcfg *dc, uint32_t d,
                       const struct lamina_build_info *bi)
{
    /*
     * As libxl does: the domain may read its own tree but only dom0 may change
     * it, except for the nodes it uses to talk back (control/shutdown, data,
     * feature, ...), which the domain owns.
     */
    struct xs_permissions ro[2] = { { 0, XS_PERM_NONE }, { d, XS_PERM_READ } };
    struct xs_permissions rw[1] = { { d, XS_PERM_NONE } };
    static const char *const guest_owned[] = { "data", "drivers", "feature", "attr", "error" };
    static const char *const control_owned[] = {
        "shutdown", "feature-poweroff", "feature-reboot", "feature-suspend", "sysrq",
        "platform-feature-multiprocessor-suspend", "platform-feature-xs_reset_watches",
    };
    char uuid[37], value[64];

    uuid_unparse_lower(dc->uuid, uuid);
    tree_dir(tr, ro, 2, "/local/domain/%u", d);
    tree_dir(tr, ro, 2, "/vm/%s", uuid);
    tree_write(tr, uuid, "/vm/%s/uuid", uuid);
    tree_write(tr, dc->name, "/vm/%s/name", uuid);
    tree_write(tr, "hvm", "/vm/%s/image/ostype", uuid);
    snprintf(value, sizeof(value), "%lld", (long long)time(NULL));
    tree_write(tr, value, "/vm/%s/start_time", uuid);

    snprintf(value, sizeof(value), "/vm/%s", uuid);
    tree_write(tr, value, "/local/domain/%u/vm", d);
    tree_write(tr, dc->name, "/local/domain/%u/name", d);
    snprintf(value, sizeof(value), "%u", d);
    tree_write(tr, value, "/local/domain/%u/domid", d);
    snprintf(value, sizeof(value), "%llu", (unsigned long long)dc->memory_mib * 1024);
    tree_write(tr, value, "/local/domain/%u/memory/target", d);
    snprintf(value, sizeof(value), "%llu", (unsigned long long)dc->maxmem_mib * 1024);
    tree_write(tr, value, "/local/domain/%u/memory/static-max", d);
    for (unsigned int cpu = 0; cpu < dc->maxvcpus; cpu++)
        tree_write(tr, cpu < dc->vcpus ? "online" : "offline",
                   "/local/domain/%u/cpu/%u/availability", d, cpu);

    tree_dir(tr, ro, 2, "/local/domain/%u/device", d);
    tree_dir(tr, ro, 2, "/local/domain/%u/control", d);
    for (unsigned int i = 0; i < sizeof(control_owned) / sizeof(control_owned[0]); i++)
        tree_dir(tr, rw, 1, "/local/domain/%u/control/%s", d, control_owned[i]);
    for (unsigned int i = 0; i < sizeof(guest_owned) / sizeof(guest_owned[0]); i++)
        tree_dir(tr, rw, 1, "/local/domain/%u/%s", d, guest_owned[i]);

    /* The rings the builder set up (the console is served by lamina-hv). */
    snprintf(value, sizeof(value), "%llu", (unsigned long long)bi->store_pfn);
    tree_write(tr, value, "/local/domain/%u/store/ring-ref", d);
    snprintf(value, sizeof(value), "%u", bi->store_port);
    tree_write(tr, value, "/local/domain/%u/store/port", d);
    snprintf(value, sizeof(value), "%llu", (unsigned long long)bi->console_pfn);
    tree_write(tr, value, "/local/domain/%u/console/ring-ref", d);
    snprintf(value, sizeof(value), "%u", bi->console_port);
    tree_write(tr, value, "/local/domain/%u/console/port", d);
    tree_write(tr, "lamina-hv", "/local/domain/%u/console/type", d);
    tree_write(tr, "1048576", "/local/domain/%u/console/limit", d);
}

int cli_xenstored_ensure(int quiet)
{
    struct xs_handle *xs = xs_open(0);
    char bin[4096];

    if (xs) {
        xs_close(xs);
        return 0;
    }
    if (errno != ENOENT && errno != ECONNREFUSED) {
        cli_err("cannot connect to xenstored at %s: %s", xs_daemon_socket(), strerror(errno));
        return -1;
    }
    if (lamina_daemon_binary("lamina-xenstored", bin, sizeof(bin)) < 0) {
        cli_err("cannot find lamina-xenstored: %s (set LAMINA_XENSTORED to its path)",
                strerror(errno));
        return -1;
    }
    if (!quiet)
        fprintf(stderr, "Starting xenstored (%s)\n", bin);
    if (lamina_daemon_start(bin, 30000) < 0) {
        /* Another lamina may have started it meanwhile. */
        xs = xs_open(0);
        if (xs) {
            xs_close(xs);
            return 0;
        }
        cli_err("cannot start xenstored (%s): see its messages above and %s/xenstored.log",
                bin, lamina_logdir());
        return -1;
    }
    return 0;
}

int cli_domtree_create(const struct domcfg *dc, uint32_t domid, const struct lamina_build_info *bi)
{
    struct xs_handle *xs = xs_open(0);
    struct tree tr = { .xs = xs };
    int tries = 0;

    if (!xs) {
        cli_err("cannot connect to xenstored at %s: %s", xs_daemon_socket(), strerror(errno));
        return -1;
    }
    /* A stale tree from an earlier domain with this id goes first, as in libxl. */
    cli_domtree_remove(domid, NULL);
    for (;;) {
        tr.failed = false;
        tr.t = xs_transaction_start(xs);
        if (tr.t == XBT_NULL) {
            note_failure(&tr, "starting a transaction");
            break;
        }
        write_tree(&tr, dc, domid, bi);
        if (tr.failed) {
            int err = errno;

            xs_transaction_end(xs, tr.t, true);
            errno = err;
            break;
        }
        if (xs_transaction_end(xs, tr.t, false))
            break;
        if (errno != EAGAIN || ++tries == TREE_RETRIES) {
            note_failure(&tr, "committing the transaction");
            break;
        }
    }
    if (!tr.failed && !xs_introduce_domain(xs, domid, bi->store_pfn, bi->store_port))
        note_failure(&tr, "introducing the domain");
    if (tr.failed) {
        cli_err("cannot set up domain %u in xenstore (%s%s): %s", domid,
                tr.path[0] == '/' ? "writing " : "", tr.path, strerror(errno));
        xs_close(xs);
        return -1;
    }
    xs_close(xs);
    return 0;
}

void cli_domtree_remove(uint32_t domid, const uint8_t uuid[16])
{
    struct xs_handle *xs = xs_open(0);
    char path[64];

    if (!xs)
        return;     /* nothing to clean without xenstored */
    snprintf(path, sizeof(path), "/local/domain/%u", domid);
    xs_rm(xs, XBT_NULL, path);
    /* The backends' side of its devices (their workers stop when it goes). */
    snprintf(path, sizeof(path), "/local/domain/0/backend/vbd/%u", domid);
    xs_rm(xs, XBT_NULL, path);
    snprintf(path, sizeof(path), "/local/domain/0/backend/vif/%u", domid);
    xs_rm(xs, XBT_NULL, path);
    snprintf(path, sizeof(path), "/local/domain/0/error/backend/vif/%u", domid);
    xs_rm(xs, XBT_NULL, path);
    if (uuid) {
        char str[37];

        uuid_unparse_lower(uuid, str);
        snprintf(path, sizeof(path), "/vm/%s", str);
        xs_rm(xs, XBT_NULL, path);
    }
    xs_close(xs);
}
