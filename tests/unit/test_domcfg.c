/* test_domcfg.c: unit tests for building a domain configuration from xl.cfg and JSON. */
/* SPDX-License-Identifier: MIT */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uuid/uuid.h>
#include <yajl/yajl_tree.h>

#include "domcfg.h"
#include "xlcfg.h"

#ifndef XLCFG_TEST_DATA
#error "XLCFG_TEST_DATA must name the directory with the test configuration files"
#endif

/* Diagnostics reported through the callback, in order. */
#define MAX_DIAGS 16
static char diags[MAX_DIAGS][sizeof(((struct xlcfg_error *)0)->text)];
static size_t ndiags;

static void collect(void *opaque, const struct xlcfg_error *diag)
{
    ck_assert_ptr_eq(opaque, diags);
    ck_assert_int_eq(diag->code, 0);
    ck_assert_uint_lt(ndiags, MAX_DIAGS);
    snprintf(diags[ndiags++], sizeof(diags[0]), "%s", diag->text);
}

static const char *data_path(const char *name)
{
    static char path[4096];

    snprintf(path, sizeof(path), "%s/%s", XLCFG_TEST_DATA, name);
    return path;
}

static char *cwd_path(const char *name)
{
    char *cwd = getcwd(NULL, 0);
    char *path;

    ck_assert_ptr_nonnull(cwd);
    ck_assert_int_ge(asprintf(&path, "%s/%s", strcmp(cwd, "/") ? cwd : "", name), 0);
    free(cwd);
    return path;
}

/* Build from text (plus optional overrides); returns the rc, err filled on failure. */
static int build(const char *text, const char *override, unsigned int flags, struct domcfg *dc,
                 struct xlcfg_error *err)
{
    struct xlcfg *cfg;
    int rc;

    ndiags = 0;
    rc = xlcfg_parse_string(text, strlen(text), "t.cfg", &cfg, err);
    ck_assert_msg(rc == 0, "parse error: %s", err->text);
    if (override) {
        rc = xlcfg_parse_append(cfg, override, "<command line>", err);
        ck_assert_msg(rc == 0, "override error: %s", err->text);
    }
    rc = domcfg_from_xlcfg(cfg, flags, collect, diags, dc, err);
    xlcfg_free(cfg);
    return rc;
}

static int build_file(const char *path, struct domcfg *dc, struct xlcfg_error *err)
{
    struct xlcfg *cfg;
    int rc;

    ndiags = 0;
    rc = xlcfg_parse_file(path, &cfg, err);
    ck_assert_msg(rc == 0, "parse error: %s", err->text);
    rc = domcfg_from_xlcfg(cfg, 0, collect, diags, dc, err);
    xlcfg_free(cfg);
    return rc;
}

#define MINIMAL "name = \"web\"\nkernel = \"/boot/vmlinuz\"\n"

static void build_fails(const char *text, const char *want)
{
    struct xlcfg_error err;
    struct domcfg dc;
    int rc = build(text, NULL, 0, &dc, &err);

    ck_assert_msg(rc == -EINVAL, "building from \"%.200s\": rc %d, wanted -EINVAL", text, rc);
    ck_assert_msg(strcmp(err.text, want) == 0, "building from \"%.200s\"\n got: %s\nwant: %s",
                  text, err.text, want);
    /* A failed build leaves nothing behind. */
    ck_assert_ptr_null(dc.name);
    ck_assert_ptr_null(dc.kernel);
    ck_assert_ptr_null(dc.cmdline);
}

static bool uuid_zero(const unsigned char *u)
{
    for (int i = 0; i < 16; i++) {
        if (u[i]) {
            return false;
        }
    }
    return true;
}

/* Defaults and the example files */

START_TEST(test_defaults)
{
    struct xlcfg_error err;
    struct domcfg dc, dc2;

    ck_assert_int_eq(build(MINIMAL, NULL, 0, &dc, &err), 0);
    ck_assert_str_eq(dc.name, "web");
    ck_assert_int_eq(dc.type, DOMCFG_TYPE_PVH);
    ck_assert_str_eq(dc.kernel, "/boot/vmlinuz");
    ck_assert_ptr_null(dc.ramdisk);
    ck_assert_str_eq(dc.cmdline, "");
    ck_assert_uint_eq(dc.memory_mib, 128);
    ck_assert_uint_eq(dc.maxmem_mib, 128);
    ck_assert_uint_eq(dc.vcpus, 1);
    ck_assert_uint_eq(dc.maxvcpus, 1);
    ck_assert_int_eq(dc.on_poweroff, DOMCFG_ACTION_DESTROY);
    ck_assert_int_eq(dc.on_reboot, DOMCFG_ACTION_RESTART);
    ck_assert_int_eq(dc.on_crash, DOMCFG_ACTION_DESTROY);
    ck_assert_int_eq(dc.on_watchdog, DOMCFG_ACTION_DESTROY);
    ck_assert(!uuid_zero(dc.uuid));
    /* No 'type': silent unless verbose. */
    ck_assert_uint_eq(ndiags, 0);

    /* Every domain gets its own generated UUID. */
    ck_assert_int_eq(build(MINIMAL, NULL, DOMCFG_VERBOSE, &dc2, &err), 0);
    ck_assert_int_ne(memcmp(dc.uuid, dc2.uuid, 16), 0);
    ck_assert_uint_eq(ndiags, 1);
    ck_assert_str_eq(diags[0], "t.cfg: note: no 'type' given, using \"pvh\" (the only type "
                     "Lamina runs)");
    domcfg_free(&dc);
    domcfg_free(&dc2);
    /* Freeing twice is harmless. */
    domcfg_free(&dc);
    ck_assert_ptr_null(dc.name);
}
END_TEST

START_TEST(test_hello_file)
{
    struct xlcfg_error err;
    struct domcfg dc;

    ck_assert_int_eq(build_file(data_path("hello.cfg"), &dc, &err), 0);
    ck_assert_str_eq(dc.name, "hello");
    ck_assert_str_eq(dc.kernel, XLCFG_TEST_DATA "/hello.elf");
    ck_assert_str_eq(dc.cmdline, "console=hvc0");
    ck_assert_uint_eq(dc.memory_mib, 32);
    ck_assert_uint_eq(dc.maxmem_mib, 32);
    ck_assert_uint_eq(ndiags, 0);
    domcfg_free(&dc);
}
END_TEST

START_TEST(test_linux_file)
{
    struct xlcfg_error err;
    struct domcfg dc;
    uuid_t want;

    ck_assert_int_eq(build_file(data_path("linux.cfg"), &dc, &err), 0);
    ck_assert_str_eq(dc.name, "web");
    ck_assert_str_eq(dc.kernel, "/boot/vmlinuz-6.1.0-amd64");
    ck_assert_str_eq(dc.ramdisk, XLCFG_TEST_DATA "/initrd.img");
    ck_assert_str_eq(dc.cmdline, "root=/dev/xvda1 ro console=hvc0 quiet");
    ck_assert_uint_eq(dc.memory_mib, 1024);
    ck_assert_uint_eq(dc.maxmem_mib, 2048);
    ck_assert_uint_eq(dc.vcpus, 2);
    ck_assert_uint_eq(dc.maxvcpus, 4);
    ck_assert_int_eq(uuid_parse("0b9c0a7e-5b37-4b8a-9f51-1f7d0c2e3a44", want), 0);
    ck_assert_int_eq(memcmp(dc.uuid, want, 16), 0);
    ck_assert_int_eq(dc.on_poweroff, DOMCFG_ACTION_DESTROY);
    ck_assert_int_eq(dc.on_reboot, DOMCFG_ACTION_RENAME_RESTART);
    ck_assert_int_eq(dc.on_crash, DOMCFG_ACTION_COREDUMP_RESTART);
    ck_assert_int_eq(dc.on_watchdog, DOMCFG_ACTION_PRESERVE);
    ck_assert_uint_eq(ndiags, 0);
    domcfg_free(&dc);
}
END_TEST

/* Kernel command line */

START_TEST(test_cmdline_combinations)
{
    static const struct {
        const char *text;
        const char *want;
    } cases[] = {
        { "root = \"/dev/xvda1\"", "root=/dev/xvda1" },
        { "extra = \"quiet splash\"", "quiet splash" },
        { "root = \"/dev/xvda1 ro\"\nextra = \"quiet\"", "root=/dev/xvda1 ro quiet" },
        { "root = \"\"\nextra = \"quiet\"", "quiet" },
        { "root = \"/dev/xvda\"\nextra = \"\"", "root=/dev/xvda" },
        { "root = \"\"\nextra = \"\"", "" },
        { "cmdline = \"console=hvc0\"", "console=hvc0" },
        { "cmdline = \"\"", "" },
    };
    struct xlcfg_error err;
    struct domcfg dc;
    char text[256];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(text, sizeof(text), MINIMAL "%s\n", cases[i].text);
        ck_assert_msg(build(text, NULL, 0, &dc, &err) == 0, "%s", err.text);
        ck_assert_str_eq(dc.cmdline, cases[i].want);
        ck_assert_uint_eq(ndiags, 0);
        domcfg_free(&dc);
    }
}
END_TEST

START_TEST(test_cmdline_overrides_root_extra)
{
    struct xlcfg_error err;
    struct domcfg dc;

    ck_assert_int_eq(build(MINIMAL "root = \"/dev/xvda\"\nextra = \"quiet\"\n"
                           "cmdline = \"console=hvc0\"\n", NULL, 0, &dc, &err), 0);
    ck_assert_str_eq(dc.cmdline, "console=hvc0");
    ck_assert_uint_eq(ndiags, 2);
    ck_assert_str_eq(diags[0], "t.cfg:3:8: warning: 'root' is ignored because 'cmdline' is "
                     "set");
    ck_assert_str_eq(diags[1], "t.cfg:4:9: warning: 'extra' is ignored because 'cmdline' is "
                     "set");
    domcfg_free(&dc);

    /* An override can add to the command line. */
    ck_assert_int_eq(build(MINIMAL "extra = \"quiet\"\n", "extra += \" debug\"", 0, &dc,
                           &err), 0);
    ck_assert_str_eq(dc.cmdline, "quiet debug");
    domcfg_free(&dc);
}
END_TEST

START_TEST(test_cmdline_errors)
{
    char *text = malloc(DOMCFG_CMDLINE_MAX + 128);
    size_t n;

    ck_assert_ptr_nonnull(text);
    n = (size_t)sprintf(text, MINIMAL "cmdline = \"");
    memset(text + n, 'x', DOMCFG_CMDLINE_MAX + 1);
    strcpy(text + n + DOMCFG_CMDLINE_MAX + 1, "\"\n");
    build_fails(text, "t.cfg:3:11: 'cmdline' is too long (4096 bytes; the limit is 4095)");

    /* root= and a space count too. */
    n = (size_t)sprintf(text, MINIMAL "root = \"r\"\nextra = \"");
    memset(text + n, 'x', DOMCFG_CMDLINE_MAX - 6);
    strcpy(text + n + DOMCFG_CMDLINE_MAX - 6, "\"\n");
    build_fails(text, "t.cfg: the kernel command line made from 'root' and 'extra' is too long "
                "(4096 bytes; the limit is 4095)");
    free(text);

    build_fails(MINIMAL "cmdline = \"\\xff\"", "t.cfg:3:11: 'cmdline' is not valid UTF-8");
    build_fails(MINIMAL "cmdline = \"\\xc0\\x80\"", "t.cfg:3:11: 'cmdline' is not valid UTF-8");
    build_fails(MINIMAL "extra = \"\\xed\\xa0\\x80\"", "t.cfg:3:9: 'extra' is not valid UTF-8");
    build_fails(MINIMAL "root = \"\\xe2\\x82\"", "t.cfg:3:8: 'root' is not valid UTF-8");
    build_fails(MINIMAL "cmdline = 5", "t.cfg:3:11: 'cmdline' must be a string, got a number");
}
END_TEST

/* Validation errors */

START_TEST(test_name_errors)
{
    struct xlcfg_error err;
    struct domcfg dc;
    char text[256];

    build_fails("", "t.cfg: no 'name' given: every domain needs one (e.g. name = \"web\")");
    build_fails("kernel = \"/k\"", "t.cfg: no 'name' given: every domain needs one "
                "(e.g. name = \"web\")");
    build_fails("name = \"\"", "t.cfg:1:8: 'name' must not be empty");
    build_fails("name = \"a/b\"", "t.cfg:1:8: 'name' contains '/': use only letters, digits, "
                "'_', '.' and '-'");
    build_fails("name = \"a b\"", "t.cfg:1:8: 'name' contains byte 0x20: use only letters, "
                "digits, '_', '.' and '-'");
    build_fails("name = \"caf\xc3\xa9\"", "t.cfg:1:8: 'name' contains byte 0xc3: use only "
                "letters, digits, '_', '.' and '-'");
    build_fails("name = \"123\"", "t.cfg:1:8: 'name' must not be all digits (\"123\" would be "
                "taken for a domain ID); add a letter");
    build_fails("name = \"-web\"", "t.cfg:1:8: 'name' must not start with '-' (it would look "
                "like a command-line option)");
    build_fails("name = \"Domain-0\"", "t.cfg:1:8: 'name' \"Domain-0\" is reserved for dom0; "
                "choose another name");
    build_fails("name = 7", "t.cfg:1:8: 'name' must be a string, got a number");
    build_fails("name = [\"a\"]", "t.cfg:1:8: 'name' must be a string, got a list");
    build_fails("name = \"0123456789012345678901234567890123456789012345678901234567890123\"",
                "t.cfg:1:8: 'name' is too long (64 characters; the limit is 63)");

    /* 63 characters, dots, underscores and digits are fine. */
    snprintf(text, sizeof(text), "name = \"%s\"\nkernel = \"/k\"",
             "a12345678901234567890123456789012345678901234567890123456789.-_");
    ck_assert_int_eq(build(text, NULL, 0, &dc, &err), 0);
    ck_assert_uint_eq(strlen(dc.name), 63);
    domcfg_free(&dc);
    ck_assert_int_eq(build("name = \"1web\"\nkernel = \"/k\"", NULL, 0, &dc, &err), 0);
    domcfg_free(&dc);
}
END_TEST

START_TEST(test_uuid)
{
    struct xlcfg_error err;
    struct domcfg dc;
    uuid_t want;

    ck_assert_int_eq(build(MINIMAL "uuid = \"0B9C0A7E-5B37-4B8A-9F51-1F7D0C2E3A44\"", NULL, 0,
                           &dc, &err), 0);
    ck_assert_int_eq(uuid_parse("0b9c0a7e-5b37-4b8a-9f51-1f7d0c2e3a44", want), 0);
    ck_assert_int_eq(memcmp(dc.uuid, want, 16), 0);
    domcfg_free(&dc);

    build_fails(MINIMAL "uuid = \"not-a-uuid\"", "t.cfg:3:8: 'uuid' \"not-a-uuid\" is not a "
                "valid UUID (expected the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, "
                "hexadecimal)");
    build_fails(MINIMAL "uuid = \"0b9c0a7e-5b37-4b8a-9f51-1f7d0c2e3a4g\"", "t.cfg:3:8: 'uuid' "
                "\"0b9c0a7e-5b37-4b8a-9f51-1f7d0c2e3a4g\" is not a valid UUID (expected the "
                "form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, hexadecimal)");
    build_fails(MINIMAL "uuid = \"0b9c0a7e-5b37-4b8a-9f51-1f7d0c2e3a44 \"", "t.cfg:3:8: 'uuid' "
                "\"0b9c0a7e-5b37-4b8a-9f51-1f7d0c2e3a44 \" is not a valid UUID (expected the "
                "form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, hexadecimal)");
    build_fails(MINIMAL "uuid = \"00000000-0000-0000-0000-000000000000\"", "t.cfg:3:8: 'uuid' "
                "must not be the all-zero UUID (dom0 uses it)");
    build_fails(MINIMAL "uuid = 12", "t.cfg:3:8: 'uuid' must be a string, got a number");
}
END_TEST

START_TEST(test_type_and_builder)
{
    struct xlcfg_error err;
    struct domcfg dc;

    ck_assert_int_eq(build(MINIMAL "type = \"pvh\"", NULL, DOMCFG_VERBOSE, &dc, &err), 0);
    ck_assert_uint_eq(ndiags, 0);
    domcfg_free(&dc);

    build_fails(MINIMAL "type = \"pv\"", "t.cfg:3:8: 'type' \"pv\" is not supported: Lamina "
                "runs PVH guests only; set type = \"pvh\" and use a kernel with Xen PVH boot "
                "support");
    build_fails(MINIMAL "type = \"hvm\"", "t.cfg:3:8: 'type' \"hvm\" is not supported: Lamina "
                "runs PVH guests only; set type = \"pvh\" and use a kernel with Xen PVH boot "
                "support");
    build_fails(MINIMAL "type = \"PVH\"", "t.cfg:3:8: 'type' \"PVH\" is unknown: Lamina runs "
                "PVH guests only; set type = \"pvh\"");
    build_fails(MINIMAL "builder = \"hvm\"", "t.cfg:3:11: 'builder' = \"hvm\" asks for an HVM "
                "guest, but Lamina runs PVH guests only; remove 'builder' and set "
                "type = \"pvh\"");
    build_fails(MINIMAL "builder = \"generic\"", "t.cfg:3:11: 'builder' = \"generic\" asks for "
                "a PV guest, but Lamina runs PVH guests only; remove 'builder' and set "
                "type = \"pvh\"");
    build_fails(MINIMAL "type = \"pvh\"\nbuilder = \"pvh\"", "t.cfg:4:11: 'builder' is a "
                "legacy key and \"pvh\" is not one of its values; remove it and set "
                "type = \"pvh\"");
}
END_TEST

START_TEST(test_kernel_and_ramdisk)
{
    struct xlcfg_error err;
    struct domcfg dc;

    build_fails("name = \"web\"", "t.cfg: no 'kernel' given: a PVH guest boots from a kernel "
                "image (e.g. kernel = \"/boot/vmlinuz\")");
    build_fails("name = \"web\"\nkernel = \"\"", "t.cfg:2:10: 'kernel' must not be empty");
    build_fails("name = \"web\"\nkernel = [\"/k\"]", "t.cfg:2:10: 'kernel' must be a string, "
                "got a list");
    build_fails("name = \"web\"\nkernel = \"/k\\xff\"", "t.cfg:2:10: 'kernel' is not valid "
                "UTF-8");
    build_fails("name = \"web\"\nkernel = \"./\"", "t.cfg:2:10: 'kernel' names a directory, "
                "not a file");

    /* An empty ramdisk means none, so an override can drop one. */
    ck_assert_int_eq(build(MINIMAL "ramdisk = \"/boot/initrd\"", "ramdisk = \"\"", 0, &dc,
                           &err), 0);
    ck_assert_ptr_null(dc.ramdisk);
    domcfg_free(&dc);
    ck_assert_int_eq(build(MINIMAL "ramdisk = \"/boot/initrd\"", NULL, 0, &dc, &err), 0);
    ck_assert_str_eq(dc.ramdisk, "/boot/initrd");
    domcfg_free(&dc);
}
END_TEST

START_TEST(test_memory_and_vcpus)
{
    struct xlcfg_error err;
    struct domcfg dc;

    ck_assert_int_eq(build(MINIMAL "memory = 1\nmaxmem = 1048576\nvcpus = 128", NULL, 0, &dc,
                           &err), 0);
    ck_assert_uint_eq(dc.memory_mib, 1);
    ck_assert_uint_eq(dc.maxmem_mib, 1048576);
    ck_assert_uint_eq(dc.vcpus, 128);
    ck_assert_uint_eq(dc.maxvcpus, 128);
    domcfg_free(&dc);

    /* maxmem and maxvcpus default to memory and vcpus. */
    ck_assert_int_eq(build(MINIMAL "memory = 0x200\nvcpus = 3", NULL, 0, &dc, &err), 0);
    ck_assert_uint_eq(dc.maxmem_mib, 512);
    ck_assert_uint_eq(dc.maxvcpus, 3);
    domcfg_free(&dc);
    /* maxvcpus alone raises the ceiling and keeps one vCPU online. */
    ck_assert_int_eq(build(MINIMAL "maxvcpus = 8\nmaxmem = 256", NULL, 0, &dc, &err), 0);
    ck_assert_uint_eq(dc.vcpus, 1);
    ck_assert_uint_eq(dc.maxvcpus, 8);
    ck_assert_uint_eq(dc.memory_mib, 128);
    ck_assert_uint_eq(dc.maxmem_mib, 256);
    domcfg_free(&dc);

    build_fails(MINIMAL "memory = 0", "t.cfg:3:10: 'memory' must be between 1 and 1048576 "
                "(MiB), got 0");
    build_fails(MINIMAL "memory = -128", "t.cfg:3:10: 'memory' must be between 1 and 1048576 "
                "(MiB), got -128");
    build_fails(MINIMAL "memory = 1048577", "t.cfg:3:10: 'memory' must be between 1 and "
                "1048576 (MiB), got 1048577");
    build_fails(MINIMAL "memory = 0x7fffffffffffffff", "t.cfg:3:10: 'memory' must be between "
                "1 and 1048576 (MiB), got 9223372036854775807");
    build_fails(MINIMAL "memory = \"512\"", "t.cfg:3:10: 'memory' must be a number, got a "
                "string");
    build_fails(MINIMAL "memory = 256\nmaxmem = 128", "t.cfg:4:10: 'maxmem' (128 MiB) must "
                "not be less than 'memory' (256 MiB)");
    build_fails(MINIMAL "maxmem = 64", "t.cfg:3:10: 'maxmem' (64 MiB) must not be less than "
                "'memory' (128 MiB)");
    build_fails(MINIMAL "vcpus = 0", "t.cfg:3:9: 'vcpus' must be between 1 and 128, got 0");
    build_fails(MINIMAL "vcpus = 129", "t.cfg:3:9: 'vcpus' must be between 1 and 128, got 129");
    build_fails(MINIMAL "maxvcpus = -1", "t.cfg:3:12: 'maxvcpus' must be between 1 and 128, "
                "got -1");
    build_fails(MINIMAL "vcpus = 4\nmaxvcpus = 2", "t.cfg:4:12: 'maxvcpus' (2) must not be "
                "less than 'vcpus' (4)");
    build_fails(MINIMAL "vcpus = [1]", "t.cfg:3:9: 'vcpus' must be a number, got a list");
}
END_TEST

START_TEST(test_actions)
{
    static const char *const names[] = {
        "destroy", "restart", "rename-restart", "preserve", "coredump-destroy",
        "coredump-restart", "soft-reset",
    };
    struct xlcfg_error err;
    struct domcfg dc;
    enum domcfg_action a;
    char text[256];

    for (int i = 0; i < 7; i++) {
        snprintf(text, sizeof(text), MINIMAL "on_poweroff = \"%s\"\non_reboot = \"%s\"\n"
                 "on_crash = \"%s\"\non_watchdog = \"%s\"", names[i], names[i], names[i],
                 names[i]);
        ck_assert_msg(build(text, NULL, 0, &dc, &err) == 0, "%s", err.text);
        ck_assert_int_eq(dc.on_poweroff, i);
        ck_assert_int_eq(dc.on_reboot, i);
        ck_assert_int_eq(dc.on_crash, i);
        ck_assert_int_eq(dc.on_watchdog, i);
        domcfg_free(&dc);

        ck_assert_str_eq(domcfg_action_name((enum domcfg_action)i), names[i]);
        ck_assert_int_eq(domcfg_action_from_name(names[i], &a), 0);
        ck_assert_int_eq(a, i);
    }
    ck_assert_ptr_null(domcfg_action_name((enum domcfg_action)7));
    ck_assert_int_eq(domcfg_action_from_name("reboot", &a), -EINVAL);

    build_fails(MINIMAL "on_crash = \"reboot\"", "t.cfg:3:12: 'on_crash' \"reboot\" is not an "
                "action: use destroy, restart, rename-restart, preserve, coredump-destroy, "
                "coredump-restart or soft-reset");
    build_fails(MINIMAL "on_poweroff = \"Destroy\"", "t.cfg:3:15: 'on_poweroff' \"Destroy\" is "
                "not an action: use destroy, restart, rename-restart, preserve, "
                "coredump-destroy, coredump-restart or soft-reset");
    build_fails(MINIMAL "on_watchdog = 1", "t.cfg:3:15: 'on_watchdog' must be a string, got a "
                "number");
}
END_TEST

/* Paths */

START_TEST(test_relative_paths)
{
    struct xlcfg_error err;
    struct xlcfg *cfg;
    struct domcfg dc;
    char *cwd = getcwd(NULL, 0);
    char *data = realpath(XLCFG_TEST_DATA, NULL);
    char *want;

    ck_assert_int_eq(build_file(data_path("sub/relative.cfg"), &dc, &err), 0);
    ck_assert_str_eq(dc.kernel, XLCFG_TEST_DATA "/sub/vmlinuz");
    ck_assert_str_eq(dc.ramdisk, XLCFG_TEST_DATA "/sub/../initrd.img");
    domcfg_free(&dc);

    /* Overrides are relative to the current directory, not the file's. */
    ck_assert_int_eq(xlcfg_parse_file(data_path("sub/relative.cfg"), &cfg, &err), 0);
    ck_assert_int_eq(xlcfg_parse_append(cfg, "kernel = \"./k2\"", "<command line>", &err), 0);
    ck_assert_int_eq(domcfg_from_xlcfg(cfg, 0, NULL, NULL, &dc, &err), 0);
    want = cwd_path("k2");
    ck_assert_str_eq(dc.kernel, want);
    free(want);
    ck_assert_str_eq(dc.ramdisk, XLCFG_TEST_DATA "/sub/../initrd.img");
    domcfg_free(&dc);
    xlcfg_free(cfg);

    /* A relative configuration path is made absolute with the current directory. */
    ck_assert_ptr_nonnull(data);
    ck_assert_int_eq(chdir(data), 0);
    ck_assert_int_eq(build_file("sub/relative.cfg", &dc, &err), 0);
    ck_assert_int_ge(asprintf(&want, "%s/sub/vmlinuz", data), 0);
    ck_assert_str_eq(dc.kernel, want);
    free(want);
    domcfg_free(&dc);
    ck_assert_int_eq(build_file("./hello.cfg", &dc, &err), 0);
    ck_assert_int_ge(asprintf(&want, "%s/hello.elf", data), 0);
    ck_assert_str_eq(dc.kernel, want);
    free(want);
    domcfg_free(&dc);
    free(data);

    /* From the root directory there is no doubled slash. */
    ck_assert_int_eq(chdir("/"), 0);
    ck_assert_int_eq(build("name = \"r\"\nkernel = \"boot/k\"", NULL, 0, &dc, &err), 0);
    ck_assert_str_eq(dc.kernel, "/boot/k");
    domcfg_free(&dc);
    ck_assert_int_eq(chdir(cwd), 0);

    /* Text that is not a file: relative to the current directory. */
    ck_assert_int_eq(build("name = \"r\"\nkernel = \"k\"\nramdisk = \".//i\"", NULL, 0, &dc,
                           &err), 0);
    want = cwd_path("k");
    ck_assert_str_eq(dc.kernel, want);
    free(want);
    want = cwd_path("i");
    ck_assert_str_eq(dc.ramdisk, want);
    free(want);
    domcfg_free(&dc);
    free(cwd);
}
END_TEST

static void json_fails(const char *json, size_t len, const char *want);

/* Disks */

START_TEST(test_disks)
{
    struct xlcfg_error err;
    struct domcfg dc, back;
    char *json, *dir = cwd_path("imgs/web.img"), want[8300];

    ck_assert_int_eq(build(MINIMAL "disk = [ 'phy:/dev/vg/web,xvda,w',\n"
                           "  'imgs/web.img,,xvdb,ro', 'format=raw,vdev=hdc,cdrom,target=/r.iso' ]",
                           NULL, 0, &dc, &err), 0);
    ck_assert_uint_eq(dc.ndisks, 3);
    ck_assert_str_eq(dc.disks[0],
                     "format=raw, vdev=xvda, access=rw, devtype=disk, target=/dev/vg/web");
    /* A relative target is made absolute against the file's directory (here: cwd). */
    snprintf(want, sizeof(want), "format=raw, vdev=xvdb, access=ro, devtype=disk, target=%s",
             dir);
    ck_assert_str_eq(dc.disks[1], want);
    ck_assert_str_eq(dc.disks[2], "format=raw, vdev=hdc, access=ro, devtype=cdrom, target=/r.iso");
    ck_assert_int_eq(domcfg_to_json(&dc, &json), 0);
    ck_assert_int_eq(domcfg_from_json(json, strlen(json), &back, &err), 0);
    ck_assert_uint_eq(back.ndisks, 3);
    for (int i = 0; i < 3; i++)
        ck_assert_str_eq(back.disks[i], dc.disks[i]);
    free(json);
    domcfg_free(&back);
    domcfg_free(&dc);
    free(dir);

    /* An override replaces the list, as xl does. */
    ck_assert_int_eq(build(MINIMAL "disk = [ '/a.img,,xvda' ]", "disk = [ '/b.img,,xvdc' ]", 0,
                           &dc, &err), 0);
    ck_assert_uint_eq(dc.ndisks, 1);
    ck_assert_str_eq(dc.disks[0], "format=raw, vdev=xvdc, access=rw, devtype=disk, target=/b.img");
    domcfg_free(&dc);

    build_fails(MINIMAL "disk = [ '/a.img,,xvda', '/b.img,,d0' ]",
                "t.cfg:3:26: disk '/b.img,,d0': vdev d0 is already used by another disk");
    build_fails(MINIMAL "disk = [ '/a.img,qcow2,xvda' ]",
                "t.cfg:3:10: disk '/a.img,qcow2,xvda': format 'qcow2' is not supported: Lamina "
                "serves raw images and block devices (convert with: qemu-img convert -O raw)");
    build_fails(MINIMAL "disk = [ 7 ]", "t.cfg:3:10: 'disk' items must be strings, got a number");
    build_fails(MINIMAL "disk = '/a.img,,xvda'",
                "t.cfg:3:8: 'disk' must be a list, got a string");
    json_fails("{\"version\": 1, \"disk\": [1]}", strlen("{\"version\": 1, \"disk\": [1]}"),
               "domain config JSON: 'disk' items must be strings, got a number");
    json_fails("{\"version\": 1, \"disk\": [\"rel.img,,xvda\"]}",
               strlen("{\"version\": 1, \"disk\": [\"rel.img,,xvda\"]}"),
               "domain config JSON: 'disk target' must be an absolute path, got \"rel.img\"");
}
END_TEST

/* Network interfaces */

START_TEST(test_vifs)
{
#define UUID_LINE "uuid = \"0b9c0a7e-5b37-4b8a-9f51-1f7d0c2e3a44\"\n"
    struct xlcfg_error err;
    struct domcfg dc, back, again;
    char *json;

    /* The UUID comes after the list: generated addresses still use it. */
    ck_assert_int_eq(build(MINIMAL "vif = [ 'mac=00:16:3E:0a:0B:0c,bridge=br0',\n"
                           "  'switch=lan', '', 'bridge=lamina:lan2,model=e1000',\n"
                           "  'vifname=web0, mtu=9000, script=vif-bridge' ]\n"
                           UUID_LINE, NULL, 0, &dc, &err), 0);
    ck_assert_uint_eq(dc.nvifs, 5);
    ck_assert_str_eq(dc.vifs[0], "mac=00:16:3e:0a:0b:0c, bridge=br0");
    ck_assert_str_eq(dc.vifs[1], "mac=00:16:3e:7b:12:b5, switch=lan");
    ck_assert_int_eq(strncmp(dc.vifs[2], "mac=00:16:3e:", 13), 0);
    ck_assert_uint_eq(strlen(dc.vifs[2]), 21);
    ck_assert_int_eq(strncmp(dc.vifs[3], "mac=00:16:3e:", 13), 0);
    ck_assert_str_eq(dc.vifs[3] + 21, ", switch=lan2");
    ck_assert_str_eq(dc.vifs[4] + 21, ", vifname=web0, mtu=9000");
    /* Ignored settings are reported where they are. */
    ck_assert_uint_eq(ndiags, 2);
    ck_assert_str_eq(diags[0], "t.cfg:4:21: warning: vif 'bridge=lamina:lan2,model=e1000': "
                     "model=e1000 is ignored: it chooses an emulated NIC, and PVH guests use "
                     "the paravirtual one");
    ck_assert_str_eq(diags[1], "t.cfg:5:3: warning: vif 'vifname=web0, mtu=9000, "
                     "script=vif-bridge': script=vif-bridge is ignored: lamina-netback sets "
                     "the vif up itself (no hotplug scripts run)");

    /* The same UUID and devid give the same address; the JSON keeps them. */
    ck_assert_int_eq(build(MINIMAL UUID_LINE "vif = [ 'bridge=x', 'switch=lan' ]", NULL, 0,
                           &again, &err), 0);
    ck_assert_str_eq(again.vifs[1], dc.vifs[1]);
    ck_assert_str_ne(again.vifs[0] + 4, again.vifs[1] + 4);
    domcfg_free(&again);
    ck_assert_int_eq(domcfg_to_json(&dc, &json), 0);
    ck_assert_int_eq(domcfg_from_json(json, strlen(json), &back, &err), 0);
    ck_assert_uint_eq(back.nvifs, 5);
    for (int i = 0; i < 5; i++)
        ck_assert_str_eq(back.vifs[i], dc.vifs[i]);
    free(json);
    domcfg_free(&back);
    domcfg_free(&dc);

    /* An unknown key warns (with where it is) and is ignored, as unknown keys of the file. */
    ck_assert_int_eq(build(MINIMAL "vif = [ 'brdige=br0' ]", NULL, 0, &dc, &err), 0);
    ck_assert_uint_eq(dc.nvifs, 1);
    ck_assert_uint_eq(ndiags, 1);
    ck_assert_str_eq(diags[0], "t.cfg:3:9: warning: vif 'brdige=br0': unknown vif parameter "
                     "'brdige' is ignored (known: mac, bridge, switch, vifname, mtu, type, "
                     "model, script, ip, rate, backend)");
    domcfg_free(&dc);

    /* Overrides replace the list. */
    ck_assert_int_eq(build(MINIMAL "vif = [ 'bridge=a', 'bridge=b' ]",
                           "vif = [ 'mac=02:00:00:00:00:01' ]", 0, &dc, &err), 0);
    ck_assert_uint_eq(dc.nvifs, 1);
    ck_assert_str_eq(dc.vifs[0], "mac=02:00:00:00:00:01");
    domcfg_free(&dc);

    build_fails(MINIMAL "vif = [ 'mac=00:16:3e:00:00:01', 'mac=00:16:3E:00:00:01' ]",
                "t.cfg:3:34: vif 1: mac 00:16:3e:00:00:01 is already the address of vif 0");
    build_fails(MINIMAL "vif = [ 'bridge=br0,switch=lan' ]",
                "t.cfg:3:9: vif 'bridge=br0,switch=lan': give either a bridge or a switch, "
                "not both");
    build_fails(MINIMAL "vif = [ 'mac=01:16:3e:00:00:01' ]",
                "t.cfg:3:9: vif 'mac=01:16:3e:00:00:01': mac '01:16:3e:00:00:01' is a "
                "multicast address (the first octet is odd): a NIC needs a unicast address, "
                "e.g. 00:16:3e:xx:xx:xx");
    build_fails(MINIMAL "vif = [ 'type=ioemu' ]",
                "t.cfg:3:9: vif 'type=ioemu': type=ioemu asks for an emulated NIC, but Lamina "
                "runs PVH guests, which have none: drop type= (or use type=vif)");
    build_fails(MINIMAL "vif = [ 'backend=1' ]",
                "t.cfg:3:9: vif 'backend=1': backend '1': Lamina's network backend runs in "
                "domain 0 only");
    build_fails(MINIMAL "vif = [ 3 ]", "t.cfg:3:9: 'vif' items must be strings, got a number");
    build_fails(MINIMAL "vif = 'bridge=br0'", "t.cfg:3:7: 'vif' must be a list, got a string");
    json_fails("{\"version\": 1, \"vif\": [\"mtu=1\"]}",
               strlen("{\"version\": 1, \"vif\": [\"mtu=1\"]}"),
               "domain config JSON: vif 'mtu=1': mtu 1 is out of range (68 to 65535)");
#undef UUID_LINE
}
END_TEST

/* Keys Lamina does not use */

START_TEST(test_unknown_keys)
{
    struct xlcfg_error err;
    struct domcfg dc;
    char want[4][4200];

    ck_assert_int_eq(build_file(data_path("unknown-keys.cfg"), &dc, &err), 0);
    snprintf(want[0], sizeof(want[0]), "%s:3:1: warning: unknown key 'memroy' ignored (did "
             "you mean 'memory'?)", data_path("unknown-keys.cfg"));
    snprintf(want[1], sizeof(want[1]), "%s:4:1: warning: unknown key 'foo' ignored",
             data_path("unknown-keys.cfg"));
    snprintf(want[2], sizeof(want[2]), "%s:5:1: warning: 'vfb' is not supported yet, ignored",
             data_path("unknown-keys.cfg"));
    snprintf(want[3], sizeof(want[3]), "%s:6:1: warning: 'vkb' is not supported yet, ignored",
             data_path("unknown-keys.cfg"));
    ck_assert_uint_eq(ndiags, 4);
    for (int i = 0; i < 4; i++) {
        ck_assert_str_eq(diags[i], want[i]);
    }
    /* The misspelt key did not set memory. */
    ck_assert_uint_eq(dc.memory_mib, 128);
    domcfg_free(&dc);

    ck_assert_int_eq(build(MINIMAL "  bootloader = \"pygrub\"\nkernal = \"x\"\nNAME = \"y\"\n"
                           "on_soft_reset = \"destroy\"\nxyzzy = 1\n", NULL, 0, &dc, &err), 0);
    ck_assert_uint_eq(ndiags, 5);
    ck_assert_str_eq(diags[0], "t.cfg:3:3: warning: 'bootloader' is not supported yet, "
                     "ignored");
    ck_assert_str_eq(diags[1], "t.cfg:4:1: warning: unknown key 'kernal' ignored (did you mean "
                     "'kernel'?)");
    ck_assert_str_eq(diags[2], "t.cfg:5:1: warning: unknown key 'NAME' ignored");
    ck_assert_str_eq(diags[3], "t.cfg:6:1: warning: 'on_soft_reset' is not supported yet, "
                     "ignored");
    ck_assert_str_eq(diags[4], "t.cfg:7:1: warning: unknown key 'xyzzy' ignored");
    domcfg_free(&dc);

    /* Warnings are reported even when a later key is in error. */
    build_fails("foo = 1\nname = \"\"", "t.cfg:2:8: 'name' must not be empty");
    ck_assert_uint_eq(ndiags, 1);
}
END_TEST

START_TEST(test_override_fixes_bad_value)
{
    static const char text[] = "name = \"web\"\nkernel = \"/k\"\nmemory = \"lots\"\n";
    struct xlcfg_error err;
    struct domcfg dc;

    build_fails(text, "t.cfg:3:10: 'memory' must be a number, got a string");
    ck_assert_int_eq(build(text, "memory = 64", 0, &dc, &err), 0);
    ck_assert_uint_eq(dc.memory_mib, 64);
    domcfg_free(&dc);

    /* An override with a bad value names the command line. */
    ck_assert_int_eq(build(MINIMAL, "vcpus = 0", 0, &dc, &err), -EINVAL);
    ck_assert_str_eq(err.text, "<command line>:1:9: 'vcpus' must be between 1 and 128, got 0");
}
END_TEST

/* JSON */

static void assert_same(const struct domcfg *a, const struct domcfg *b)
{
    ck_assert_str_eq(a->name, b->name);
    ck_assert_int_eq(memcmp(a->uuid, b->uuid, 16), 0);
    ck_assert_int_eq(a->type, b->type);
    ck_assert_str_eq(a->kernel, b->kernel);
    if (a->ramdisk || b->ramdisk) {
        ck_assert_ptr_nonnull(a->ramdisk);
        ck_assert_ptr_nonnull(b->ramdisk);
        ck_assert_str_eq(a->ramdisk, b->ramdisk);
    }
    ck_assert_str_eq(a->cmdline, b->cmdline);
    ck_assert_uint_eq(a->memory_mib, b->memory_mib);
    ck_assert_uint_eq(a->maxmem_mib, b->maxmem_mib);
    ck_assert_uint_eq(a->vcpus, b->vcpus);
    ck_assert_uint_eq(a->maxvcpus, b->maxvcpus);
    ck_assert_int_eq(a->on_poweroff, b->on_poweroff);
    ck_assert_int_eq(a->on_reboot, b->on_reboot);
    ck_assert_int_eq(a->on_crash, b->on_crash);
    ck_assert_int_eq(a->on_watchdog, b->on_watchdog);
    ck_assert_uint_eq(a->ndisks, b->ndisks);
    for (size_t i = 0; i < a->ndisks; i++) {
        ck_assert_str_eq(a->disks[i], b->disks[i]);
    }
    ck_assert_uint_eq(a->nvifs, b->nvifs);
    for (size_t i = 0; i < a->nvifs; i++) {
        ck_assert_str_eq(a->vifs[i], b->vifs[i]);
    }
}

static void round_trip(const struct domcfg *dc)
{
    struct xlcfg_error err;
    struct domcfg back;
    char *json, *again;

    ck_assert_int_eq(domcfg_to_json(dc, &json), 0);
    ck_assert_msg(domcfg_from_json(json, strlen(json), &back, &err) == 0, "%s\n%s", err.text,
                  json);
    assert_same(dc, &back);
    ck_assert_int_eq(domcfg_to_json(&back, &again), 0);
    ck_assert_str_eq(json, again);
    free(json);
    free(again);
    domcfg_free(&back);
}

START_TEST(test_json_round_trip)
{
    struct xlcfg_error err;
    struct domcfg dc;
    char *json;
    yajl_val root, v;
    const char *version_path[] = { "version", NULL };
    const char *uuid_path[] = { "uuid", NULL };
    const char *ramdisk_path[] = { "ramdisk", NULL };
    char uuid[37];

    ck_assert_int_eq(build_file(data_path("linux.cfg"), &dc, &err), 0);
    round_trip(&dc);

    /* The stored form: version 1, the UUID as text. */
    ck_assert_int_eq(domcfg_to_json(&dc, &json), 0);
    root = yajl_tree_parse(json, NULL, 0);
    ck_assert_ptr_nonnull(root);
    v = yajl_tree_get(root, version_path, yajl_t_number);
    ck_assert(YAJL_IS_INTEGER(v));
    ck_assert_int_eq(YAJL_GET_INTEGER(v), 1);
    v = yajl_tree_get(root, uuid_path, yajl_t_string);
    ck_assert_str_eq(YAJL_GET_STRING(v), "0b9c0a7e-5b37-4b8a-9f51-1f7d0c2e3a44");
    yajl_tree_free(root);
    free(json);
    domcfg_free(&dc);

    /* No ramdisk, generated UUID, awkward but valid strings. */
    ck_assert_int_eq(build("name = \"a.b_c-1\"\nkernel = \"/k \\\"q\\\" \\\\ caf\xc3\xa9\"\n"
                           "cmdline = \"tab\\tnl\\n\\x01 \xf0\x9f\x90\xa7 </script>\"\n"
                           "on_crash = \"soft-reset\"", NULL, 0, &dc, &err), 0);
    ck_assert_ptr_null(dc.ramdisk);
    round_trip(&dc);
    ck_assert_int_eq(domcfg_to_json(&dc, &json), 0);
    root = yajl_tree_parse(json, NULL, 0);
    ck_assert_ptr_nonnull(root);
    ck_assert_ptr_null(yajl_tree_get(root, ramdisk_path, yajl_t_any));
    uuid_unparse_lower(dc.uuid, uuid);
    ck_assert_str_eq(YAJL_GET_STRING(yajl_tree_get(root, uuid_path, yajl_t_string)), uuid);
    yajl_tree_free(root);
    free(json);
    domcfg_free(&dc);
}
END_TEST

START_TEST(test_json_refuses_bad_domcfg)
{
    struct xlcfg_error err;
    struct domcfg dc;
    char *json = (char *)&err;

    ck_assert_int_eq(build(MINIMAL, NULL, 0, &dc, &err), 0);
    free(dc.cmdline);
    dc.cmdline = strdup("\xff");
    ck_assert_int_eq(domcfg_to_json(&dc, &json), -EINVAL);
    ck_assert_ptr_null(json);
    dc.on_crash = (enum domcfg_action)42;
    free(dc.cmdline);
    dc.cmdline = strdup("");
    ck_assert_int_eq(domcfg_to_json(&dc, &json), -EINVAL);
    free(dc.name);
    dc.name = NULL;
    ck_assert_int_eq(domcfg_to_json(&dc, &json), -EINVAL);
    domcfg_free(&dc);
}
END_TEST

/*
 * Hostile JSON: start from a valid document and replace (or drop, with a
 * NULL value) one field.
 */
static const char *const json_fields[][2] = {
    { "version", "1" },
    { "name", "\"web\"" },
    { "uuid", "\"0b9c0a7e-5b37-4b8a-9f51-1f7d0c2e3a44\"" },
    { "type", "\"pvh\"" },
    { "kernel", "\"/boot/vmlinuz\"" },
    { "ramdisk", "\"/boot/initrd\"" },
    { "cmdline", "\"console=hvc0\"" },
    { "memory", "256" },
    { "maxmem", "512" },
    { "vcpus", "2" },
    { "maxvcpus", "4" },
    { "on_poweroff", "\"destroy\"" },
    { "on_reboot", "\"restart\"" },
    { "on_crash", "\"preserve\"" },
    { "on_watchdog", "\"destroy\"" },
};

static char *json_with(const char *field, const char *value)
{
    size_t n = sizeof(json_fields) / sizeof(json_fields[0]);
    char *buf = malloc(8192);
    size_t len = 0;
    bool first = true;

    ck_assert_ptr_nonnull(buf);
    len += (size_t)sprintf(buf + len, "{");
    for (size_t i = 0; i < n; i++) {
        const char *v = json_fields[i][1];

        if (field && strcmp(field, json_fields[i][0]) == 0) {
            v = value;
        }
        if (!v) {
            continue;
        }
        len += (size_t)sprintf(buf + len, "%s\"%s\": %s", first ? "" : ", ",
                               json_fields[i][0], v);
        first = false;
    }
    sprintf(buf + len, "}");
    return buf;
}

static void json_fails(const char *json, size_t len, const char *want)
{
    struct xlcfg_error err;
    struct domcfg dc;
    int rc = domcfg_from_json(json, len, &dc, &err);

    ck_assert_msg(rc == -EINVAL, "JSON %s: rc %d, wanted -EINVAL", json, rc);
    ck_assert_msg(strcmp(err.text, want) == 0, "JSON %s\n got: %s\nwant: %s", json, err.text,
                  want);
    ck_assert_int_eq(err.line, 0);
    ck_assert_ptr_null(dc.name);
    ck_assert_ptr_null(dc.kernel);
    ck_assert_ptr_null(dc.ramdisk);
    ck_assert_ptr_null(dc.cmdline);
}

static void field_fails(const char *field, const char *value, const char *want)
{
    char *json = json_with(field, value);

    json_fails(json, strlen(json), want);
    free(json);
}

START_TEST(test_json_valid_template)
{
    struct xlcfg_error err;
    struct domcfg dc;
    char *json = json_with(NULL, NULL);

    ck_assert_msg(domcfg_from_json(json, strlen(json), &dc, &err) == 0, "%s", err.text);
    ck_assert_str_eq(dc.ramdisk, "/boot/initrd");
    ck_assert_int_eq(dc.on_crash, DOMCFG_ACTION_PRESERVE);
    ck_assert_uint_eq(dc.maxvcpus, 4);
    round_trip(&dc);
    domcfg_free(&dc);
    free(json);

    /* ramdisk is the one optional field. */
    json = json_with("ramdisk", NULL);
    ck_assert_int_eq(domcfg_from_json(json, strlen(json), &dc, &err), 0);
    ck_assert_ptr_null(dc.ramdisk);
    domcfg_free(&dc);
    free(json);
}
END_TEST

START_TEST(test_json_missing_fields)
{
    char want[128];

    for (size_t i = 0; i < sizeof(json_fields) / sizeof(json_fields[0]); i++) {
        if (strcmp(json_fields[i][0], "ramdisk") == 0) {
            continue;
        }
        snprintf(want, sizeof(want), "domain config JSON: missing field '%s'",
                 json_fields[i][0]);
        field_fails(json_fields[i][0], NULL, want);
    }
}
END_TEST

START_TEST(test_json_wrong_types)
{
    field_fails("version", "\"1\"", "domain config JSON: 'version' must be a whole number, "
                "got a string");
    field_fails("version", "2", "domain config JSON: unsupported 'version' 2 (this Lamina "
                "reads version 1)");
    field_fails("version", "1.0", "domain config JSON: 'version' must be a whole number, got "
                "a number");
    field_fails("name", "5", "domain config JSON: 'name' must be a string, got a number");
    field_fails("name", "null", "domain config JSON: 'name' must be a string, got null");
    field_fails("name", "[\"web\"]", "domain config JSON: 'name' must be a string, got an "
                "array");
    field_fails("kernel", "{}", "domain config JSON: 'kernel' must be a string, got an object");
    field_fails("ramdisk", "false", "domain config JSON: 'ramdisk' must be a string, got a "
                "boolean");
    field_fails("memory", "\"256\"", "domain config JSON: 'memory' must be a number, got a "
                "string");
    field_fails("memory", "true", "domain config JSON: 'memory' must be a number, got a "
                "boolean");
    field_fails("vcpus", "1.5", "domain config JSON: 'vcpus' must be a whole number that fits "
                "in 64 bits, got 1.5");
    field_fails("memory", "99999999999999999999999", "domain config JSON: 'memory' must be a "
                "whole number that fits in 64 bits, got 99999999999999999999999");
    field_fails("memory", "1e400", "domain config JSON: 'memory' must be a whole number that "
                "fits in 64 bits, got 1e400");
    field_fails("on_crash", "3", "domain config JSON: 'on_crash' must be a string, got a "
                "number");
}
END_TEST

START_TEST(test_json_bad_values)
{
    field_fails("name", "\"\"", "domain config JSON: 'name' must not be empty");
    field_fails("name", "\"42\"", "domain config JSON: 'name' must not be all digits (\"42\" "
                "would be taken for a domain ID); add a letter");
    field_fails("name", "\"a/../b\"", "domain config JSON: 'name' contains '/': use only "
                "letters, digits, '_', '.' and '-'");
    field_fails("uuid", "\"nope\"", "domain config JSON: 'uuid' \"nope\" is not a valid UUID "
                "(expected the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, hexadecimal)");
    field_fails("uuid", "\"00000000-0000-0000-0000-000000000000\"", "domain config JSON: "
                "'uuid' must not be the all-zero UUID (dom0 uses it)");
    field_fails("type", "\"hvm\"", "domain config JSON: 'type' \"hvm\" is not supported: "
                "Lamina runs PVH guests only; set type = \"pvh\" and use a kernel with Xen PVH "
                "boot support");
    field_fails("kernel", "\"vmlinuz\"", "domain config JSON: 'kernel' must be an absolute "
                "path, got \"vmlinuz\"");
    field_fails("kernel", "\"\"", "domain config JSON: 'kernel' must not be empty");
    field_fails("ramdisk", "\"\"", "domain config JSON: 'ramdisk' must not be empty");
    field_fails("ramdisk", "\"../initrd\"", "domain config JSON: 'ramdisk' must be an absolute "
                "path, got \"../initrd\"");
    field_fails("cmdline", "\"\\udc00\"", "domain config JSON: 'cmdline' is not valid UTF-8");
    field_fails("memory", "0", "domain config JSON: 'memory' must be between 1 and 1048576 "
                "(MiB), got 0");
    field_fails("memory", "-1", "domain config JSON: 'memory' must be between 1 and 1048576 "
                "(MiB), got -1");
    field_fails("memory", "9223372036854775807", "domain config JSON: 'memory' must be "
                "between 1 and 1048576 (MiB), got 9223372036854775807");
    field_fails("maxmem", "128", "domain config JSON: 'maxmem' (128 MiB) must not be less than "
                "'memory' (256 MiB)");
    field_fails("vcpus", "4294967297", "domain config JSON: 'vcpus' must be between 1 and 128, "
                "got 4294967297");
    field_fails("maxvcpus", "1", "domain config JSON: 'maxvcpus' (1) must not be less than "
                "'vcpus' (2)");
    field_fails("on_reboot", "\"reboot\"", "domain config JSON: 'on_reboot' \"reboot\" is not "
                "an action: use destroy, restart, rename-restart, preserve, coredump-destroy, "
                "coredump-restart or soft-reset");
}
END_TEST

START_TEST(test_json_structure)
{
    static const char nul[] = "{\"name\": \"a\0b\"}";
    struct xlcfg_error err;
    struct domcfg dc;
    char *json, *deep;

    json_fails("", 0, "domain config JSON: invalid JSON: parse error: premature EOF");
    json_fails("   ", 3, "domain config JSON: invalid JSON: parse error: premature EOF");
    json_fails("{", 1, "domain config JSON: invalid JSON: parse error: premature EOF");
    json_fails("[]", 2, "domain config JSON: expected an object at the top level, got an "
               "array");
    json_fails("\"x\"", 3, "domain config JSON: expected an object at the top level, got a "
               "string");
    json_fails("{}", 2, "domain config JSON: missing field 'version'");
    json_fails("{\"version\": 1}", 14, "domain config JSON: missing field 'name'");
    json_fails("garbage", 7, "domain config JSON: invalid JSON: lexical error: invalid char in "
               "json text.");
    json_fails(nul, sizeof(nul) - 1, "domain config JSON: NUL byte at offset 11");
    json_fails("{\"name\": \"a\\u0000b\"}", 20, "domain config JSON: string with \\u0000 at "
               "offset 11");
    json_fails("{/* c */}", 9, "domain config JSON: unexpected '/' at offset 1 (comments are "
               "not allowed)");
    json_fails("[[[[[[[[[]]]]]]]]]", 18, "domain config JSON: nested too deeply at offset 8");

    /* Brackets, slashes and an escaped "\\u0000" inside a string are only text. */
    json = json_with("cmdline", "\"[[[[[[[[[[ /* \\\\u0000 \\\" \"");
    ck_assert_msg(domcfg_from_json(json, strlen(json), &dc, &err) == 0, "%s", err.text);
    ck_assert_str_eq(dc.cmdline, "[[[[[[[[[[ /* \\u0000 \" ");
    domcfg_free(&dc);
    free(json);

    json = json_with(NULL, NULL);
    json[strlen(json) - 1] = ',';
    strcat(json, " \"bogus\": 1}");
    json_fails(json, strlen(json), "domain config JSON: unknown field 'bogus'");
    json[strlen(json) - strlen(" \"bogus\": 1}")] = '\0';
    strcat(json, " \"name\": \"again\"}");
    json_fails(json, strlen(json), "domain config JSON: duplicate field 'name'");
    json[strlen(json) - strlen(" \"name\": \"again\"}")] = '\0';
    strcat(json, " \"version\": 1}");
    json_fails(json, strlen(json), "domain config JSON: duplicate field 'version'");
    json[strlen(json) - strlen(" \"version\": 1}")] = '\0';
    strcat(json, " \"root\": \"/dev/xvda\"}");
    json_fails(json, strlen(json), "domain config JSON: unknown field 'root'");
    json[strlen(json) - strlen(" \"root\": \"/dev/xvda\"}")] = '\0';
    strcat(json, " \"vfb\": []}");
    json_fails(json, strlen(json), "domain config JSON: unknown field 'vfb'");
    json[strlen(json) - strlen(" \"vfb\": []}")] = '\0';
    json[strlen(json) - 1] = '}';
    strcat(json, " {}");
    json_fails(json, strlen(json), "domain config JSON: invalid JSON: parse error: trailing "
               "garbage");
    free(json);

    /* Oversized input is refused before it is parsed. */
    deep = malloc(DOMCFG_JSON_MAX + 1);
    ck_assert_ptr_nonnull(deep);
    memset(deep, ' ', DOMCFG_JSON_MAX + 1);
    json_fails(deep, DOMCFG_JSON_MAX + 1, "domain config JSON: too large (262145 bytes; the "
               "limit is 262144)");
    free(deep);
}
END_TEST

static Suite *domcfg_suite(void)
{
    Suite *s = suite_create("domcfg");
    TCase *tc = tcase_create("config");

    tcase_add_test(tc, test_defaults);
    tcase_add_test(tc, test_hello_file);
    tcase_add_test(tc, test_linux_file);
    tcase_add_test(tc, test_cmdline_combinations);
    tcase_add_test(tc, test_cmdline_overrides_root_extra);
    tcase_add_test(tc, test_cmdline_errors);
    tcase_add_test(tc, test_name_errors);
    tcase_add_test(tc, test_uuid);
    tcase_add_test(tc, test_type_and_builder);
    tcase_add_test(tc, test_kernel_and_ramdisk);
    tcase_add_test(tc, test_memory_and_vcpus);
    tcase_add_test(tc, test_actions);
    tcase_add_test(tc, test_relative_paths);
    tcase_add_test(tc, test_unknown_keys);
    tcase_add_test(tc, test_disks);
    tcase_add_test(tc, test_vifs);
    tcase_add_test(tc, test_override_fixes_bad_value);
    suite_add_tcase(s, tc);

    tc = tcase_create("json");
    tcase_add_test(tc, test_json_round_trip);
    tcase_add_test(tc, test_json_refuses_bad_domcfg);
    tcase_add_test(tc, test_json_valid_template);
    tcase_add_test(tc, test_json_missing_fields);
    tcase_add_test(tc, test_json_wrong_types);
    tcase_add_test(tc, test_json_bad_values);
    tcase_add_test(tc, test_json_structure);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(domcfg_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
