/* domcfg.h: a domain's configuration as the domain builder needs it. */
/* SPDX-License-Identifier: MIT */
#ifndef LAMINA_DOMCFG_H
#define LAMINA_DOMCFG_H

#include <stddef.h>
#include <stdint.h>

#include "xlcfg.h"

/*
 * struct domcfg is filled from a parsed configuration (domcfg_from_xlcfg)
 * or from the JSON the toolstack keeps with a running domain
 * (domcfg_from_json). Both paths apply the same validation, so a domcfg is
 * always consistent: every string is valid UTF-8, paths are absolute and the
 * numbers are within the limits below. docs/man/lamina.cfg.5 documents the
 * keys, defaults and limits for users.
 */

#define DOMCFG_NAME_MAX         63              /* bytes in a domain name */
#define DOMCFG_MEMORY_MIN_MIB   1
#define DOMCFG_MEMORY_MAX_MIB   (1024 * 1024)   /* 1 TiB */
#define DOMCFG_MEMORY_DEFAULT_MIB 128           /* xl's default */
#define DOMCFG_VCPUS_MAX        128
#define DOMCFG_CMDLINE_MAX      4095            /* bytes, without the NUL */
#define DOMCFG_PATH_MAX         4095            /* bytes in a resolved path */
#define DOMCFG_JSON_VERSION     1
#define DOMCFG_JSON_MAX         (256 * 1024)    /* bytes of JSON accepted */

enum domcfg_type {
    DOMCFG_TYPE_PVH,        /* the only guest type Lamina runs */
};

/* What to do when a guest powers off, reboots, crashes or its watchdog fires. */
enum domcfg_action {
    DOMCFG_ACTION_DESTROY,
    DOMCFG_ACTION_RESTART,
    DOMCFG_ACTION_RENAME_RESTART,
    DOMCFG_ACTION_PRESERVE,
    DOMCFG_ACTION_COREDUMP_DESTROY,
    DOMCFG_ACTION_COREDUMP_RESTART,
    DOMCFG_ACTION_SOFT_RESET,
};

struct domcfg {
    char *name;                     /* 1..63 of [A-Za-z0-9_.-], not all digits */
    unsigned char uuid[16];         /* binary, as libuuid's uuid_t */
    enum domcfg_type type;
    char *kernel;                   /* absolute path */
    char *ramdisk;                  /* absolute path, or NULL for none */
    char *cmdline;                  /* never NULL; "" for none */
    uint64_t memory_mib;            /* memory at boot */
    uint64_t maxmem_mib;            /* >= memory_mib */
    unsigned int vcpus;             /* vCPUs online at boot */
    unsigned int maxvcpus;          /* >= vcpus */
    enum domcfg_action on_poweroff;
    enum domcfg_action on_reboot;
    enum domcfg_action on_crash;
    enum domcfg_action on_watchdog;
    /*
     * Disks, in the canonical form of diskspec_format() (absolute target,
     * every parameter named), in configuration order; devids are distinct.
     */
    char **disks;
    size_t ndisks;
    /*
     * Network interfaces, in the canonical form of vifspec_format() (the
     * MAC always given: generated from the UUID and devid when the
     * configuration has none), in configuration order: vifs[i] is devid i.
     */
    char **vifs;
    size_t nvifs;
};

#define DOMCFG_DISKS_MAX        64
#define DOMCFG_VIFS_MAX         64

/*
 * Warnings (unknown or not yet supported keys, ignored settings) and, with
 * DOMCFG_VERBOSE, notes about defaults are passed to this callback one at a
 * time; diag->text is ready to print. Without a callback they are dropped.
 */
typedef void domcfg_report_fn(void *opaque, const struct xlcfg_error *diag);

#define DOMCFG_VERBOSE  0x1u

/*
 * Build dc from cfg. Relative kernel and ramdisk paths are made absolute
 * against their value's directory (struct xlcfg_pos.dir: the configuration
 * file's directory, or the current directory for command-line overrides).
 * A missing uuid is generated. On failure dc is left empty (all members
 * zero) and err says what is wrong, with the position of the bad setting.
 */
int domcfg_from_xlcfg(const struct xlcfg *cfg, unsigned int flags, domcfg_report_fn *report,
                      void *opaque, struct domcfg *dc, struct xlcfg_error *err);

/* Release what dc owns and zero it. Safe on a zeroed or already freed dc. */
void domcfg_free(struct domcfg *dc);

/*
 * Serialise dc as a JSON object with "version": 1. *json is a new
 * NUL-terminated string for the caller to free(). Fails with -EINVAL if dc
 * holds a string that is not valid UTF-8.
 */
int domcfg_to_json(const struct domcfg *dc, char **json);

/*
 * Parse JSON written by domcfg_to_json(). The text is untrusted: every field
 * is required (except "ramdisk") and checked as a configuration file would
 * be; unknown fields, duplicate fields and other versions are errors.
 */
int domcfg_from_json(const char *json, size_t len, struct domcfg *dc, struct xlcfg_error *err);

/* xl's name for an action ("rename-restart"), and back: -EINVAL if unknown. */
const char *domcfg_action_name(enum domcfg_action action);
int domcfg_action_from_name(const char *name, enum domcfg_action *action);

#endif /* LAMINA_DOMCFG_H */
