/* test_xlcfg.c: unit tests for the xl.cfg-style configuration parser. */
/* SPDX-License-Identifier: MIT */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xlcfg.h"

#ifndef XLCFG_TEST_DATA
#error "XLCFG_TEST_DATA must name the directory with the test configuration files"
#endif

static const char *data_path(const char *name)
{
    static char path[4096];

    snprintf(path, sizeof(path), "%s/%s", XLCFG_TEST_DATA, name);
    return path;
}

static struct xlcfg *parse_ok(const char *text)
{
    struct xlcfg_error err;
    struct xlcfg *cfg = NULL;
    int rc = xlcfg_parse_string(text, strlen(text), "t.cfg", &cfg, &err);

    ck_assert_msg(rc == 0, "unexpected error: %s", err.text);
    ck_assert_ptr_nonnull(cfg);
    return cfg;
}

/* Parse text that must fail with exactly this formatted message. */
static void parse_fails(const char *text, size_t len, const char *want)
{
    struct xlcfg_error err;
    struct xlcfg *cfg = (struct xlcfg *)&err;
    int rc = xlcfg_parse_string(text, len, "t.cfg", &cfg, &err);

    ck_assert_msg(rc == -EINVAL, "parsing %s: rc %d, wanted -EINVAL", text, rc);
    ck_assert_ptr_null(cfg);
    ck_assert_int_eq(err.code, -EINVAL);
    ck_assert_int_eq(err.severity, XLCFG_ERROR);
    ck_assert_msg(strcmp(err.text, want) == 0, "parsing \"%s\"\n got: %s\nwant: %s", text,
                  err.text, want);
}

#define FAILS(text, want) parse_fails((text), strlen(text), (want))

static void make_temp_dir(char *dir, size_t size)
{
    const char *tmp = getenv("TMPDIR");

    snprintf(dir, size, "%s/xlcfg-test-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void write_file(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");

    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
}

/* Value types, positions and syntax */

START_TEST(test_all_types_file)
{
    struct xlcfg_error err;
    struct xlcfg *cfg;
    const struct xlcfg_value *v;
    const char *s;
    long long n;

    ck_assert_int_eq(xlcfg_parse_file(data_path("all-types.cfg"), &cfg, &err), 0);
    ck_assert_str_eq(xlcfg_name(cfg), data_path("all-types.cfg"));

    v = xlcfg_get(cfg, "name");
    ck_assert_int_eq(v->type, XLCFG_STRING);
    ck_assert_str_eq(v->u.string, "all");
    ck_assert_uint_eq(v->pos.line, 2);
    ck_assert_uint_eq(v->pos.col, 8);
    ck_assert_str_eq(v->pos.origin, data_path("all-types.cfg"));
    ck_assert_str_eq(v->pos.dir, XLCFG_TEST_DATA);

    ck_assert_int_eq(xlcfg_get_number(cfg, "count", &n, &err), 0);
    ck_assert_int_eq(n, 42);
    ck_assert_int_eq(xlcfg_get_number(cfg, "negative", &n, &err), 0);
    ck_assert_int_eq(n, -7);
    v = xlcfg_get(cfg, "negative");
    ck_assert_uint_eq(v->pos.line, 3);
    ck_assert_uint_eq(v->pos.col, 24);
    ck_assert_uint_eq(xlcfg_find(cfg, "negative")->pos.col, 13);
    ck_assert_int_eq(xlcfg_get_number(cfg, "hex", &n, &err), 0);
    ck_assert_int_eq(n, 0x1f);
    ck_assert_uint_eq(xlcfg_get(cfg, "hex")->pos.col, 35);
    ck_assert_int_eq(xlcfg_get_number(cfg, "biggest", &n, &err), 0);
    ck_assert_int_eq(n, 9223372036854775807LL);
    ck_assert_int_eq(xlcfg_get_number(cfg, "smallest", &n, &err), 0);
    ck_assert_int_eq(n, -9223372036854775807LL - 1);
    ck_assert_int_eq(xlcfg_get_number(cfg, "zero", &n, &err), 0);
    ck_assert_int_eq(n, 0);

    ck_assert_int_eq(xlcfg_get_string(cfg, "escapes", &s, &err), 0);
    ck_assert_str_eq(s, "tab\there \"q\" \\ AA 'single' \n");
    ck_assert_int_eq(xlcfg_get_string(cfg, "single", &s, &err), 0);
    ck_assert_str_eq(s, "it's \"fine\"");
    ck_assert_int_eq(xlcfg_get_string(cfg, "empty", &s, &err), 0);
    ck_assert_str_eq(s, "");

    /* Multi-line list with a comment and trailing comma, then two appends. */
    ck_assert_int_eq(xlcfg_get_list(cfg, "list", &v, &err), 0);
    ck_assert_uint_eq(v->pos.line, 10);
    ck_assert_uint_eq(v->pos.col, 8);
    ck_assert_uint_eq(v->u.list.count, 6);
    ck_assert_int_eq(v->u.list.items[0].type, XLCFG_STRING);
    ck_assert_str_eq(v->u.list.items[0].u.string, "a");
    ck_assert_uint_eq(v->u.list.items[0].pos.line, 10);
    ck_assert_uint_eq(v->u.list.items[0].pos.col, 10);
    ck_assert_int_eq(v->u.list.items[1].type, XLCFG_NUMBER);
    ck_assert_int_eq(v->u.list.items[1].u.number, 1);
    ck_assert_uint_eq(v->u.list.items[1].pos.col, 15);
    ck_assert_str_eq(v->u.list.items[2].u.string, "b");
    ck_assert_uint_eq(v->u.list.items[2].pos.line, 12);
    ck_assert_uint_eq(v->u.list.items[2].pos.col, 10);
    ck_assert_int_eq(v->u.list.items[3].u.number, 16);
    ck_assert_uint_eq(v->u.list.items[3].pos.col, 15);
    ck_assert_str_eq(v->u.list.items[4].u.string, "c");
    ck_assert_uint_eq(v->u.list.items[4].pos.line, 17);
    ck_assert_str_eq(v->u.list.items[5].u.string, "d");
    ck_assert_uint_eq(v->u.list.items[5].pos.line, 18);

    ck_assert_int_eq(xlcfg_get_list(cfg, "empty_list", &v, &err), 0);
    ck_assert_uint_eq(v->u.list.count, 0);

    /* '+=' on a string concatenates and keeps the first position. */
    ck_assert_int_eq(xlcfg_get_string(cfg, "text", &s, &err), 0);
    ck_assert_str_eq(s, "abcdef");
    ck_assert_uint_eq(xlcfg_get(cfg, "text")->pos.line, 15);

    /* Last assignment wins. */
    ck_assert_int_eq(xlcfg_get_string(cfg, "dup", &s, &err), 0);
    ck_assert_str_eq(s, "second");
    ck_assert_uint_eq(xlcfg_find(cfg, "dup")->pos.line, 20);

    v = xlcfg_get(cfg, "indented");
    ck_assert_str_eq(v->u.string, "tabs");
    ck_assert_uint_eq(xlcfg_find(cfg, "indented")->pos.col, 4);
    ck_assert_uint_eq(v->pos.col, 15);

    xlcfg_free(cfg);
}
END_TEST

START_TEST(test_iteration_order)
{
    static const char *const want[] = { "b", "a", "c", "z" };
    struct xlcfg *cfg = parse_ok("b = 1\na = 2\nc = 3\nb = 4\nz = 5\n");

    ck_assert_uint_eq(xlcfg_count(cfg), 4);
    for (size_t i = 0; i < 4; i++) {
        ck_assert_str_eq(xlcfg_setting_at(cfg, i)->key, want[i]);
    }
    ck_assert_ptr_null(xlcfg_setting_at(cfg, 4));
    /* The redefined key keeps its place but has the new value and position. */
    ck_assert_int_eq(xlcfg_setting_at(cfg, 0)->value.u.number, 4);
    ck_assert_uint_eq(xlcfg_setting_at(cfg, 0)->pos.line, 4);
    xlcfg_free(cfg);
}
END_TEST

START_TEST(test_separators_and_comments)
{
    struct xlcfg *cfg = parse_ok("a=1;b=2;;; c = 3 ;\n\n# only a comment\n   \n"
                                 "d = \"x # not a comment\" # a comment\n;e=4");
    struct xlcfg_error err;
    const char *s;
    long long n;

    ck_assert_uint_eq(xlcfg_count(cfg), 5);
    ck_assert_int_eq(xlcfg_get_number(cfg, "c", &n, &err), 0);
    ck_assert_int_eq(n, 3);
    ck_assert_int_eq(xlcfg_get_string(cfg, "d", &s, &err), 0);
    ck_assert_str_eq(s, "x # not a comment");
    ck_assert_int_eq(xlcfg_get_number(cfg, "e", &n, &err), 0);
    ck_assert_int_eq(n, 4);
    ck_assert_uint_eq(xlcfg_get(cfg, "e")->pos.line, 6);
    xlcfg_free(cfg);
}
END_TEST

START_TEST(test_crlf_and_no_final_newline)
{
    struct xlcfg *cfg = parse_ok("a = \"x\"\r\nb = [ 1,\r\n 2 ]\r\nc = 3");
    const struct xlcfg_value *v;
    struct xlcfg_error err;

    ck_assert_str_eq(xlcfg_get(cfg, "a")->u.string, "x");
    ck_assert_int_eq(xlcfg_get_list(cfg, "b", &v, &err), 0);
    ck_assert_uint_eq(v->u.list.count, 2);
    ck_assert_int_eq(xlcfg_get(cfg, "c")->u.number, 3);
    xlcfg_free(cfg);
}
END_TEST

START_TEST(test_empty_inputs)
{
    struct xlcfg *cfg = parse_ok("");

    ck_assert_uint_eq(xlcfg_count(cfg), 0);
    ck_assert_ptr_null(xlcfg_get(cfg, "name"));
    xlcfg_free(cfg);

    cfg = parse_ok("# nothing but comments\n\n   # and blanks\n");
    ck_assert_uint_eq(xlcfg_count(cfg), 0);
    xlcfg_free(cfg);
}
END_TEST

START_TEST(test_escapes)
{
    struct xlcfg *cfg = parse_ok("s = \"\\a\\b\\f\\n\\r\\t\\v\\\\\\\"\\'\"\n"
                                 "o = \"\\1\\12\\123\\1234\"\n"
                                 "x = '\\x41\\xff\\xAb\\x7e'\n"
                                 "u = \"caf\xc3\xa9\"\n");
    const char *s;
    struct xlcfg_error err;

    ck_assert_int_eq(xlcfg_get_string(cfg, "s", &s, &err), 0);
    ck_assert_str_eq(s, "\a\b\f\n\r\t\v\\\"'");
    ck_assert_int_eq(xlcfg_get_string(cfg, "o", &s, &err), 0);
    ck_assert_str_eq(s, "\001\012\123\1234");
    ck_assert_int_eq(xlcfg_get_string(cfg, "x", &s, &err), 0);
    ck_assert_str_eq(s, "A\xff\xab~");
    ck_assert_int_eq(xlcfg_get_string(cfg, "u", &s, &err), 0);
    ck_assert_str_eq(s, "caf\xc3\xa9");
    xlcfg_free(cfg);

    FAILS("x = '\\x00'", "t.cfg:1:6: invalid escape in string: strings cannot contain NUL "
          "characters");
}
END_TEST

START_TEST(test_numbers)
{
    struct xlcfg *cfg = parse_ok("a = 0x7fffffffffffffff\nb = -0x8000000000000000\n"
                                 "c = 0XaBc\nd = -0\ne = 0\nf = -12345\n");

    ck_assert_int_eq(xlcfg_get(cfg, "a")->u.number, 0x7fffffffffffffffLL);
    ck_assert_int_eq(xlcfg_get(cfg, "b")->u.number, -0x7fffffffffffffffLL - 1);
    ck_assert_int_eq(xlcfg_get(cfg, "c")->u.number, 0xabc);
    ck_assert_int_eq(xlcfg_get(cfg, "d")->u.number, 0);
    ck_assert_int_eq(xlcfg_get(cfg, "e")->u.number, 0);
    ck_assert_int_eq(xlcfg_get(cfg, "f")->u.number, -12345);
    xlcfg_free(cfg);
}
END_TEST

START_TEST(test_append)
{
    struct xlcfg *cfg = parse_ok("s = \"a\"\ns += \"b\"\n"
                                 "l = [1]\nl += [2, \"three\"]\nl += 4\nl += []\n"
                                 "new += \"fresh\"\nnewlist += [ 1 ]\nnewnum += 5\n");
    const struct xlcfg_value *v;
    struct xlcfg_error err;
    const char *s;

    ck_assert_int_eq(xlcfg_get_string(cfg, "s", &s, &err), 0);
    ck_assert_str_eq(s, "ab");
    ck_assert_int_eq(xlcfg_get_list(cfg, "l", &v, &err), 0);
    ck_assert_uint_eq(v->u.list.count, 4);
    ck_assert_int_eq(v->u.list.items[1].u.number, 2);
    ck_assert_str_eq(v->u.list.items[2].u.string, "three");
    ck_assert_int_eq(v->u.list.items[3].u.number, 4);
    /* '+=' on an unset key is a plain assignment. */
    ck_assert_int_eq(xlcfg_get_string(cfg, "new", &s, &err), 0);
    ck_assert_str_eq(s, "fresh");
    ck_assert_int_eq(xlcfg_get_list(cfg, "newlist", &v, &err), 0);
    ck_assert_uint_eq(v->u.list.count, 1);
    ck_assert_int_eq(xlcfg_get(cfg, "newnum")->u.number, 5);
    xlcfg_free(cfg);
}
END_TEST

START_TEST(test_append_errors)
{
    FAILS("n = 1\nn += 2", "t.cfg:2:3: '+=' cannot extend 'n': it is a number; use '=' to "
          "replace it");
    FAILS("s = \"x\"\ns += 2", "t.cfg:2:3: '+=' cannot extend 's' (a string) with a number; "
          "use '=' to replace it");
    FAILS("s = \"x\"\ns += [\"y\"]", "t.cfg:2:3: '+=' cannot extend 's' (a string) with a "
          "list; use '=' to replace it");
}
END_TEST

/* Typed lookups */

START_TEST(test_typed_getters)
{
    struct xlcfg *cfg = parse_ok("name = \"web\"\nmemory = \"lots\"\nvcpus = 2\ndisk = []\n");
    const struct xlcfg_value *v;
    struct xlcfg_error err;
    const char *s;
    long long n;

    ck_assert_int_eq(xlcfg_get_number(cfg, "memory", &n, &err), -EINVAL);
    ck_assert_str_eq(err.text, "t.cfg:2:10: 'memory' must be a number, got a string");
    ck_assert_str_eq(err.message, "'memory' must be a number, got a string");
    ck_assert_str_eq(err.origin, "t.cfg");
    ck_assert_uint_eq(err.line, 2);
    ck_assert_uint_eq(err.col, 10);

    ck_assert_int_eq(xlcfg_get_string(cfg, "vcpus", &s, &err), -EINVAL);
    ck_assert_str_eq(err.text, "t.cfg:3:9: 'vcpus' must be a string, got a number");
    ck_assert_int_eq(xlcfg_get_list(cfg, "name", &v, &err), -EINVAL);
    ck_assert_str_eq(err.text, "t.cfg:1:8: 'name' must be a list, got a string");
    ck_assert_int_eq(xlcfg_get_string(cfg, "disk", &s, &err), -EINVAL);
    ck_assert_str_eq(err.text, "t.cfg:4:8: 'disk' must be a string, got a list");

    ck_assert_int_eq(xlcfg_get_string(cfg, "kernel", &s, &err), -ENOENT);
    ck_assert_int_eq(xlcfg_get_number(cfg, "maxmem", &n, &err), -ENOENT);
    ck_assert_int_eq(xlcfg_get_list(cfg, "vif", &v, &err), -ENOENT);
    ck_assert_ptr_null(xlcfg_find(cfg, "Name"));
    xlcfg_free(cfg);
}
END_TEST

/* Command-line overrides */

START_TEST(test_overrides)
{
    struct xlcfg_error err;
    struct xlcfg *cfg;
    const struct xlcfg_value *v;
    const char *s;
    long long n;

    ck_assert_int_eq(xlcfg_parse_file(data_path("hello.cfg"), &cfg, &err), 0);
    ck_assert_int_eq(xlcfg_parse_append(cfg, "memory=512", "<command line>", &err), 0);
    ck_assert_int_eq(xlcfg_parse_append(cfg, "name=\"x\"", "<command line>", &err), 0);
    ck_assert_int_eq(xlcfg_parse_append(cfg, "vcpus = 2 ; maxvcpus = 4", "<command line>",
                                        &err), 0);
    ck_assert_int_eq(xlcfg_parse_append(cfg, "cmdline += ' quiet'", "<command line>", &err),
                     0);

    ck_assert_int_eq(xlcfg_get_number(cfg, "memory", &n, &err), 0);
    ck_assert_int_eq(n, 512);
    v = xlcfg_get(cfg, "memory");
    ck_assert_str_eq(v->pos.origin, "<command line>");
    ck_assert_ptr_null(v->pos.dir);
    ck_assert_uint_eq(v->pos.line, 1);
    ck_assert_uint_eq(v->pos.col, 8);

    ck_assert_int_eq(xlcfg_get_string(cfg, "name", &s, &err), 0);
    ck_assert_str_eq(s, "x");
    /* New keys from overrides come after the file's keys. */
    ck_assert_str_eq(xlcfg_setting_at(cfg, xlcfg_count(cfg) - 2)->key, "vcpus");
    ck_assert_str_eq(xlcfg_setting_at(cfg, xlcfg_count(cfg) - 1)->key, "maxvcpus");
    ck_assert_int_eq(xlcfg_get_string(cfg, "cmdline", &s, &err), 0);
    ck_assert_str_eq(s, "console=hvc0 quiet");
    /* The kernel still comes from the file, relative to its directory. */
    v = xlcfg_get(cfg, "kernel");
    ck_assert_str_eq(v->pos.dir, XLCFG_TEST_DATA);
    ck_assert_str_eq(xlcfg_name(cfg), data_path("hello.cfg"));
    xlcfg_free(cfg);
}
END_TEST

START_TEST(test_override_fixes_bad_value)
{
    struct xlcfg *cfg = parse_ok("memory = \"lots\"\n");
    struct xlcfg_error err;
    long long n;

    ck_assert_int_eq(xlcfg_get_number(cfg, "memory", &n, &err), -EINVAL);
    ck_assert_int_eq(xlcfg_parse_append(cfg, "memory = 64", "<command line>", &err), 0);
    ck_assert_int_eq(xlcfg_get_number(cfg, "memory", &n, &err), 0);
    ck_assert_int_eq(n, 64);
    xlcfg_free(cfg);
}
END_TEST

START_TEST(test_override_errors)
{
    struct xlcfg *cfg = parse_ok("name = \"x\"\n");
    struct xlcfg_error err;

    ck_assert_int_eq(xlcfg_parse_append(cfg, "memory=", "<command line>", &err), -EINVAL);
    ck_assert_str_eq(err.text, "<command line>:1:8: expected a value (string, number or list) "
                     "after '=', got end of file");
    ck_assert_int_eq(xlcfg_parse_append(cfg, "name=x", "argument 3", &err), -EINVAL);
    ck_assert_str_eq(err.text, "argument 3:1:6: expected a value (string, number or list) "
                     "after '=', got 'x' (strings need quotes: \"x\")");
    ck_assert_int_eq(xlcfg_parse_append(cfg, "name+=1", NULL, &err), -EINVAL);
    ck_assert_str_eq(err.text, "<command line>:1:5: '+=' cannot extend 'name' (a string) with "
                     "a number; use '=' to replace it");
    xlcfg_free(cfg);
}
END_TEST

/* Malformed input */

START_TEST(test_unterminated)
{
    struct xlcfg_error err;
    struct xlcfg *cfg;

    FAILS("name = \"abc", "t.cfg:1:8: unterminated string: no closing \" before end of file");
    FAILS("a = 1\nname = 'abc\nb = 2\n",
          "t.cfg:2:8: unterminated string: no closing ' before end of line");
    FAILS("name = \"abc\\", "t.cfg:1:8: unterminated string: no closing \" before end of file");
    FAILS("name = \"abc\\\n\"", "t.cfg:1:8: unterminated string: no closing \" before end of "
          "line");
    FAILS("l = [ 1, 2", "t.cfg:1:5: unterminated list: no closing ']' before end of file");
    FAILS("l = [ 1,\n# c\n", "t.cfg:1:5: unterminated list: no closing ']' before end of file");

    ck_assert_int_eq(xlcfg_parse_file(data_path("unterminated-list.cfg"), &cfg, &err), -EINVAL);
    ck_assert_ptr_null(cfg);
    ck_assert_str_eq(err.origin, data_path("unterminated-list.cfg"));
    ck_assert_uint_eq(err.line, 2);
    ck_assert_uint_eq(err.col, 8);
    ck_assert_str_eq(err.message, "unterminated list: no closing ']' before end of file");
}
END_TEST

START_TEST(test_bad_keys_and_equals)
{
    FAILS("name \"x\"", "t.cfg:1:6: expected '=' or '+=' after 'name', got '\"'");
    FAILS("a = 1\nname\nb = 2", "t.cfg:2:5: expected '=' or '+=' after 'name', got end of line");
    FAILS("name", "t.cfg:1:5: expected '=' or '+=' after 'name', got end of file");
    FAILS("name + = 1", "t.cfg:1:6: expected '=' or '+=' after 'name', got '+'");
    FAILS("1abc = 2", "t.cfg:1:1: expected a setting (KEY = VALUE), got '1' (keys cannot start "
          "with a digit)");
    FAILS("  on-reboot = \"x\"", "t.cfg:1:5: expected '=' or '+=' after 'on', got '-'");
    FAILS("= 1", "t.cfg:1:1: expected a setting (KEY = VALUE), got '='");
    FAILS("x = 1\n  @", "t.cfg:2:3: expected a setting (KEY = VALUE), got '@'");
    FAILS("\xff = 1", "t.cfg:1:1: expected a setting (KEY = VALUE), got byte 0xff");
    FAILS("a = 1\n\"quoted\" = 2", "t.cfg:2:1: expected a setting (KEY = VALUE), got '\"'");
}
END_TEST

START_TEST(test_bad_values)
{
    FAILS("x = ", "t.cfg:1:5: expected a value (string, number or list) after '=', got end of "
          "file");
    FAILS("a = 1\n\nweb =\nb = 2", "t.cfg:3:6: expected a value (string, number or list) "
          "after '=', got end of line");
    FAILS("x += ;", "t.cfg:1:6: expected a value (string, number or list) after '+=', got ';'");
    FAILS("type = pvh", "t.cfg:1:8: expected a value (string, number or list) after '=', got "
          "'pvh' (strings need quotes: \"pvh\")");
    FAILS("kernel = /boot/vmlinuz", "t.cfg:1:10: expected a value (string, number or list) "
          "after '=', got '/boot/vmlinuz' (strings need quotes: \"/boot/vmlinuz\")");
    FAILS("k = /a/very/long/unquoted/path/to/some/kernel/image/file", "t.cfg:1:5: expected a "
          "value (string, number or list) after '=', got '/a/very/long/unquoted/path/to/some/"
          "kernel/im...' (strings need quotes: \"/a/very/long/unquoted/path/to/some/kernel/im..."
          "\")");
    FAILS("x = @", "t.cfg:1:5: expected a value (string, number or list) after '=', got '@'");
    FAILS("a = 1 2", "t.cfg:1:7: expected ';' or end of line after the value of 'a', got '2'");
    FAILS("a = \"x\"\"y\"", "t.cfg:1:8: expected ';' or end of line after the value of 'a', "
          "got '\"'");
}
END_TEST

START_TEST(test_bad_lists)
{
    FAILS("disk = [ [ \"a\" ] ]", "t.cfg:1:10: nested lists are not supported: list items "
          "must be strings or numbers");
    FAILS("l = [1 2]", "t.cfg:1:8: expected ',' or ']' after a list item, got '2'");
    FAILS("l = [ , ]", "t.cfg:1:7: expected a value (string or number) or ']', got ','");
    FAILS("l = [ 1,, ]", "t.cfg:1:9: expected a value (string or number) or ']', got ','");
    FAILS("l = [ a ]", "t.cfg:1:7: expected a value (string or number) or ']', got 'a' "
          "(strings need quotes: \"a\")");
    FAILS("l = [ 1 ] ]", "t.cfg:1:11: expected ';' or end of line after the value of 'l', "
          "got ']'");
    FAILS("l = [\n  \"ok\",\n  \"bad\n]", "t.cfg:3:3: unterminated string: no closing \" "
          "before end of line");
}
END_TEST

START_TEST(test_bad_escapes)
{
    FAILS("s = \"a\\qb\"", "t.cfg:1:7: invalid escape '\\q' in string (write '\\\\' for a "
          "backslash)");
    FAILS("s = \"\\x4\"", "t.cfg:1:6: invalid escape in string: '\\x' must be followed by "
          "exactly two hexadecimal digits");
    FAILS("s = \"\\xg0\"", "t.cfg:1:6: invalid escape in string: '\\x' must be followed by "
          "exactly two hexadecimal digits");
    FAILS("s = \"\\400\"", "t.cfg:1:6: invalid escape in string: octal escape '\\400' is "
          "larger than \\377");
    FAILS("s = \"ab\\0\"", "t.cfg:1:8: invalid escape in string: strings cannot contain NUL "
          "characters");
    FAILS("s = \"\\000\"", "t.cfg:1:6: invalid escape in string: strings cannot contain NUL "
          "characters");
    FAILS("s = '\\\xc3\xa9'", "t.cfg:1:6: invalid escape in string: backslash followed by "
          "byte 0xc3 (write '\\\\' for a backslash)");
    FAILS("s = \"a\x01\"", "t.cfg:1:7: control character 0x01 in string (write it as an "
          "escape such as \\x01)");
    FAILS("s = \"a\rb\"", "t.cfg:1:7: control character 0x0d in string (write it as an "
          "escape such as \\x0d)");
}
END_TEST

START_TEST(test_bad_numbers)
{
    FAILS("n = 9223372036854775808", "t.cfg:1:5: number '9223372036854775808' is out of range "
          "(it must fit in a signed 64-bit integer)");
    FAILS("n = -9223372036854775809", "t.cfg:1:5: number '-9223372036854775809' is out of "
          "range (it must fit in a signed 64-bit integer)");
    FAILS("n = 0x8000000000000000", "t.cfg:1:5: number '0x8000000000000000' is out of range "
          "(it must fit in a signed 64-bit integer)");
    FAILS("n = 99999999999999999999999999999999", "t.cfg:1:5: number "
          "'99999999999999999999999999999999' is out of range (it must fit in a signed "
          "64-bit integer)");
    FAILS("n = 123456789012345678901234567890123456789012345", "t.cfg:1:5: number "
          "'123456789012345678901234567890123456789...' is too long");
    FAILS("n = 1.5", "t.cfg:1:5: invalid number '1.5': only whole numbers are supported");
    FAILS("n = 12abc", "t.cfg:1:5: invalid number '12abc': expected a decimal number or a "
          "hexadecimal one starting with 0x");
    FAILS("n = 0x", "t.cfg:1:5: invalid number '0x': '0x' must be followed by hexadecimal "
          "digits");
    FAILS("n = 0x1g", "t.cfg:1:5: invalid number '0x1g': expected a decimal number or a "
          "hexadecimal one starting with 0x");
    FAILS("n = 0755", "t.cfg:1:5: invalid number '0755': a leading 0 is ambiguous (xl reads "
          "it as octal); write the number without it, or in hex with 0x");
    FAILS("n = -", "t.cfg:1:5: expected a digit after '-'");
    FAILS("n = - 5", "t.cfg:1:5: expected a digit after '-'");
    FAILS("n = -x", "t.cfg:1:5: expected a digit after '-'");
}
END_TEST

START_TEST(test_nul_bytes)
{
    static const char text[] = "a = 1\nb = \"x\0y\"\n";
    char dir[256], path[300];
    struct xlcfg_error err;
    struct xlcfg *cfg;

    parse_fails(text, sizeof(text) - 1, "t.cfg:2:7: NUL byte in configuration text (is this a "
                "binary file?)");
    parse_fails("\0", 1, "t.cfg:1:1: NUL byte in configuration text (is this a binary file?)");

    make_temp_dir(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/nul.cfg", dir);
    write_file(path, text, sizeof(text) - 1);
    ck_assert_int_eq(xlcfg_parse_file(path, &cfg, &err), -EINVAL);
    ck_assert_str_eq(err.origin, path);
    ck_assert_uint_eq(err.line, 2);
    ck_assert_uint_eq(err.col, 7);
    unlink(path);
    rmdir(dir);
}
END_TEST

/* Limits */

START_TEST(test_limits)
{
    size_t big = XLCFG_MAX_STRING_LEN + 16;
    char *text = malloc(big + 64);
    struct xlcfg_error err;
    struct xlcfg *cfg;
    size_t n;

    ck_assert_ptr_nonnull(text);

    /* A string just at the limit is fine, one byte more is not. */
    n = (size_t)sprintf(text, "s = \"");
    memset(text + n, 'a', XLCFG_MAX_STRING_LEN);
    strcpy(text + n + XLCFG_MAX_STRING_LEN, "\"");
    cfg = parse_ok(text);
    ck_assert_uint_eq(strlen(xlcfg_get(cfg, "s")->u.string), XLCFG_MAX_STRING_LEN);
    ck_assert_int_eq(xlcfg_parse_append(cfg, "s += \"b\"", "<command line>", &err), -EINVAL);
    ck_assert_str_eq(err.text, "<command line>:1:3: '+=' makes 's' too long (the limit is "
                     "65536 bytes)");
    xlcfg_free(cfg);
    strcpy(text + n + XLCFG_MAX_STRING_LEN, "a\"");
    FAILS(text, "t.cfg:1:5: string is too long (the limit is 65536 bytes)");

    /* Keys. */
    memset(text, 'k', XLCFG_MAX_KEY_LEN);
    strcpy(text + XLCFG_MAX_KEY_LEN, " = 1");
    cfg = parse_ok(text);
    xlcfg_free(cfg);
    memset(text, 'k', XLCFG_MAX_KEY_LEN + 1);
    strcpy(text + XLCFG_MAX_KEY_LEN + 1, " = 1");
    FAILS(text, "t.cfg:1:1: key is too long (the limit is 64 characters)");
    free(text);

    /* Lists. */
    text = malloc(XLCFG_MAX_LIST_ITEMS * 3 + 64);
    ck_assert_ptr_nonnull(text);
    n = (size_t)sprintf(text, "l = [");
    for (int i = 0; i < XLCFG_MAX_LIST_ITEMS; i++) {
        n += (size_t)sprintf(text + n, "1,");
    }
    strcpy(text + n, "]");
    cfg = parse_ok(text);
    ck_assert_uint_eq(xlcfg_get(cfg, "l")->u.list.count, XLCFG_MAX_LIST_ITEMS);
    ck_assert_int_eq(xlcfg_parse_append(cfg, "l += 1", "<command line>", &err), -EINVAL);
    ck_assert_str_eq(err.text, "<command line>:1:3: '+=' makes 'l' too long (the limit is "
                     "1024 items)");
    ck_assert_int_eq(xlcfg_parse_append(cfg, "l += [1]", "<command line>", &err), -EINVAL);
    xlcfg_free(cfg);
    strcpy(text + n, "2]");
    FAILS(text, "t.cfg:1:2054: list has too many items (the limit is 1024)");
    free(text);

    /* Settings. */
    text = malloc((XLCFG_MAX_SETTINGS + 1) * 16);
    ck_assert_ptr_nonnull(text);
    n = 0;
    for (int i = 0; i < XLCFG_MAX_SETTINGS; i++) {
        n += (size_t)sprintf(text + n, "k%d=1\n", i);
    }
    cfg = parse_ok(text);
    ck_assert_uint_eq(xlcfg_count(cfg), XLCFG_MAX_SETTINGS);
    /* Reassigning an existing key still works at the limit. */
    ck_assert_int_eq(xlcfg_parse_append(cfg, "k0 = 2", "<command line>", &err), 0);
    ck_assert_int_eq(xlcfg_parse_append(cfg, "extra = 2", "<command line>", &err), -EINVAL);
    ck_assert_str_eq(err.text, "<command line>:1:1: too many settings (the limit is 1024 "
                     "different keys)");
    xlcfg_free(cfg);
    free(text);
}
END_TEST

START_TEST(test_too_large)
{
    size_t len = XLCFG_MAX_FILE_SIZE + 1;
    char *text = malloc(len);
    char dir[256], path[300];
    struct xlcfg_error err;
    struct xlcfg *cfg = (struct xlcfg *)&err;

    ck_assert_ptr_nonnull(text);
    memset(text, '#', len);
    ck_assert_int_eq(xlcfg_parse_string(text, len, "big.cfg", &cfg, &err), -EFBIG);
    ck_assert_ptr_null(cfg);
    ck_assert_str_eq(err.text, "big.cfg: configuration is too large (1048577 bytes; the limit "
                     "is 1048576)");

    make_temp_dir(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/big.cfg", dir);
    write_file(path, text, len);
    ck_assert_int_eq(xlcfg_parse_file(path, &cfg, &err), -EFBIG);
    ck_assert_str_eq(err.message, "configuration file is too large (the limit is 1048576 "
                     "bytes)");
    ck_assert_str_eq(err.origin, path);

    /* Exactly at the limit (all comment) is accepted. */
    write_file(path, text, len - 1);
    ck_assert_int_eq(xlcfg_parse_file(path, &cfg, &err), 0);
    ck_assert_uint_eq(xlcfg_count(cfg), 0);
    xlcfg_free(cfg);
    unlink(path);
    rmdir(dir);
    free(text);
}
END_TEST

/* Files */

START_TEST(test_file_errors)
{
    struct xlcfg_error err;
    struct xlcfg *cfg = (struct xlcfg *)&err;

    ck_assert_int_eq(xlcfg_parse_file("/nonexistent/web.cfg", &cfg, &err), -ENOENT);
    ck_assert_ptr_null(cfg);
    ck_assert_int_eq(err.code, -ENOENT);
    ck_assert_uint_eq(err.line, 0);
    ck_assert_str_eq(err.text, "/nonexistent/web.cfg: cannot read configuration file: "
                     "No such file or directory");

    ck_assert_int_eq(xlcfg_parse_file(XLCFG_TEST_DATA, &cfg, &err), -EISDIR);
    ck_assert_str_eq(err.message, "cannot read configuration file: Is a directory");
}
END_TEST

START_TEST(test_file_dirs)
{
    struct xlcfg_error err;
    struct xlcfg *cfg;
    char *cwd = getcwd(NULL, 0);

    ck_assert_int_eq(xlcfg_parse_file(data_path("sub/relative.cfg"), &cfg, &err), 0);
    ck_assert_str_eq(xlcfg_get(cfg, "kernel")->pos.dir, XLCFG_TEST_DATA "/sub");
    xlcfg_free(cfg);

    /* A bare file name's directory is ".". */
    ck_assert_int_eq(chdir(XLCFG_TEST_DATA), 0);
    ck_assert_int_eq(xlcfg_parse_file("hello.cfg", &cfg, &err), 0);
    ck_assert_str_eq(xlcfg_get(cfg, "kernel")->pos.dir, ".");
    xlcfg_free(cfg);
    ck_assert_int_eq(xlcfg_parse_file("sub//relative.cfg", &cfg, &err), 0);
    ck_assert_str_eq(xlcfg_get(cfg, "kernel")->pos.dir, "sub");
    xlcfg_free(cfg);
    ck_assert_int_eq(chdir(cwd), 0);
    free(cwd);

    /* Strings have no directory: relative to the current one. */
    cfg = parse_ok("kernel = \"k\"");
    ck_assert_ptr_null(xlcfg_get(cfg, "kernel")->pos.dir);
    xlcfg_free(cfg);
}
END_TEST

START_TEST(test_diag)
{
    struct xlcfg_pos pos = { .origin = "web.cfg", .line = 7, .col = 1 };
    struct xlcfg_error e;

    xlcfg_diag(&e, XLCFG_WARNING, 0, &pos, NULL, "unknown key '%s' ignored", "foo");
    ck_assert_str_eq(e.text, "web.cfg:7:1: warning: unknown key 'foo' ignored");
    xlcfg_diag(&e, XLCFG_NOTE, 0, NULL, "web.cfg", "hello");
    ck_assert_str_eq(e.text, "web.cfg: note: hello");
    xlcfg_diag(&e, XLCFG_ERROR, -EINVAL, NULL, NULL, "bare");
    ck_assert_str_eq(e.text, "bare");
    ck_assert_str_eq(xlcfg_type_name(XLCFG_LIST), "a list");
}
END_TEST

static Suite *xlcfg_suite(void)
{
    Suite *s = suite_create("xlcfg");
    TCase *tc = tcase_create("syntax");

    tcase_add_test(tc, test_all_types_file);
    tcase_add_test(tc, test_iteration_order);
    tcase_add_test(tc, test_separators_and_comments);
    tcase_add_test(tc, test_crlf_and_no_final_newline);
    tcase_add_test(tc, test_empty_inputs);
    tcase_add_test(tc, test_escapes);
    tcase_add_test(tc, test_numbers);
    tcase_add_test(tc, test_append);
    tcase_add_test(tc, test_append_errors);
    tcase_add_test(tc, test_typed_getters);
    suite_add_tcase(s, tc);

    tc = tcase_create("overrides");
    tcase_add_test(tc, test_overrides);
    tcase_add_test(tc, test_override_fixes_bad_value);
    tcase_add_test(tc, test_override_errors);
    suite_add_tcase(s, tc);

    tc = tcase_create("malformed");
    tcase_add_test(tc, test_unterminated);
    tcase_add_test(tc, test_bad_keys_and_equals);
    tcase_add_test(tc, test_bad_values);
    tcase_add_test(tc, test_bad_lists);
    tcase_add_test(tc, test_bad_escapes);
    tcase_add_test(tc, test_bad_numbers);
    tcase_add_test(tc, test_nul_bytes);
    tcase_add_test(tc, test_limits);
    tcase_add_test(tc, test_too_large);
    suite_add_tcase(s, tc);

    tc = tcase_create("files");
    tcase_add_test(tc, test_file_errors);
    tcase_add_test(tc, test_file_dirs);
    tcase_add_test(tc, test_diag);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(xlcfg_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
