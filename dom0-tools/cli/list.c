/* list.c: `lamina list`: the domains, as `xl list` shows them, or their stored configs. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "cli.h"

/* Deeper JSON than any config we write is refused before yajl sees it. */
#define JSON_MAX_DEPTH 32

static int json_depth_ok(const char *s)
{
    int depth = 0, in_string = 0;

    for (; *s; s++) {
        if (in_string) {
            if (*s == '\\' && s[1])
                s++;
            else if (*s == '"')
                in_string = 0;
        } else if (*s == '"') {
            in_string = 1;
        } else if (*s == '{' || *s == '[') {
            if (++depth > JSON_MAX_DEPTH)
                return 0;
        } else if (*s == '}' || *s == ']') {
            depth--;
        }
    }
    return 1;
}

static yajl_gen_status gen_value(yajl_gen g, yajl_val v)
{
    const unsigned char *s;
    yajl_gen_status rc = yajl_gen_status_ok;

    switch (v->type) {
    case yajl_t_string:
        s = (const unsigned char *)v->u.string;
        return yajl_gen_string(g, s, strlen(v->u.string));
    case yajl_t_number:
        return yajl_gen_number(g, v->u.number.r, strlen(v->u.number.r));
    case yajl_t_true:
    case yajl_t_false:
        return yajl_gen_bool(g, v->type == yajl_t_true);
    case yajl_t_null:
        return yajl_gen_null(g);
    case yajl_t_object:
        rc = yajl_gen_map_open(g);
        for (size_t i = 0; rc == yajl_gen_status_ok && i < v->u.object.len; i++) {
            s = (const unsigned char *)v->u.object.keys[i];
            rc = yajl_gen_string(g, s, strlen(v->u.object.keys[i]));
            if (rc == yajl_gen_status_ok)
                rc = gen_value(g, v->u.object.values[i]);
        }
        return rc == yajl_gen_status_ok ? yajl_gen_map_close(g) : rc;
    case yajl_t_array:
        rc = yajl_gen_array_open(g);
        for (size_t i = 0; rc == yajl_gen_status_ok && i < v->u.array.len; i++)
            rc = gen_value(g, v->u.array.values[i]);
        return rc == yajl_gen_status_ok ? yajl_gen_array_close(g) : rc;
    default:
        return yajl_gen_invalid_string;
    }
}

/* One {"domid": N, "config": ...} element; a config that is not JSON shows as null. */
static int gen_domain(xc_interface *xch, yajl_gen g, const struct lamina_dominfo *d)
{
    static const unsigned char k_domid[] = "domid", k_config[] = "config";
    char errbuf[256];
    char *json = NULL;
    yajl_val tree = NULL;
    yajl_gen_status rc;

    if (lamina_domain_get_config(xch, d->domid, &json) < 0) {
        /* Domain 0 is the host: lamina-hv keeps no config for it. */
        if (errno != EPERM) {
            cli_xc_err(xch);
            return -1;
        }
    } else if (*json) {
        if (json_depth_ok(json))
            tree = yajl_tree_parse(json, errbuf, sizeof(errbuf));
        if (!tree)
            cli_err("domain '%s' (id %u) has a stored config that is not valid JSON", d->name,
                    d->domid);
    }
    rc = yajl_gen_map_open(g);
    if (rc == yajl_gen_status_ok)
        rc = yajl_gen_string(g, k_domid, sizeof(k_domid) - 1);
    if (rc == yajl_gen_status_ok)
        rc = yajl_gen_integer(g, d->domid);
    if (rc == yajl_gen_status_ok)
        rc = yajl_gen_string(g, k_config, sizeof(k_config) - 1);
    if (rc == yajl_gen_status_ok)
        rc = tree ? gen_value(g, tree) : yajl_gen_null(g);
    if (rc == yajl_gen_status_ok)
        rc = yajl_gen_map_close(g);
    yajl_tree_free(tree);
    free(json);
    if (rc != yajl_gen_status_ok) {
        cli_err("cannot format the config of domain '%s' (id %u)", d->name, d->domid);
        return -1;
    }
    return 0;
}

static int print_configs(xc_interface *xch, const struct lamina_dominfo *info, int n)
{
    const unsigned char *out;
    size_t len;
    yajl_gen g = yajl_gen_alloc(NULL);
    int ok = g != NULL;

    if (ok) {
        yajl_gen_config(g, yajl_gen_beautify, 1);
        yajl_gen_config(g, yajl_gen_indent_string, "    ");
        ok = yajl_gen_array_open(g) == yajl_gen_status_ok;
    }
    for (int i = 0; ok && i < n; i++)
        ok = gen_domain(xch, g, &info[i]) == 0;
    if (ok)
        ok = yajl_gen_array_close(g) == yajl_gen_status_ok &&
             yajl_gen_get_buf(g, &out, &len) == yajl_gen_status_ok;
    if (ok) {
        fwrite(out, 1, len, stdout);
        if (len && out[len - 1] != '\n')
            putchar('\n');
    } else if (!g) {
        cli_err("out of memory");
    }
    if (g)
        yajl_gen_free(g);
    return ok ? 0 : -1;
}

int cmd_list(int argc, char **argv)
{
    struct lamina_dominfo *info = NULL;
    xc_interface *xch;
    int long_format = 0, n, opt, status = CLI_FAILED;
    char line[256];

    while ((opt = getopt(argc, argv, "lh")) != -1) {
        switch (opt) {
        case 'l':
            long_format = 1;
            break;
        case 'h':
            return cli_help("list");
        default:
            return cli_usage("list");
        }
    }
    xch = cli_open(0, 0);
    if (!xch)
        return CLI_FAILED;

    if (optind < argc) {
        n = argc - optind;
        info = calloc((size_t)n, sizeof(*info));
        if (!info) {
            cli_err("out of memory");
            goto out;
        }
        for (int i = 0; i < n; i++) {
            uint32_t domid;

            if (cli_find_domain(xch, argv[optind + i], &domid) < 0)
                goto out;
            if (lamina_domain_getinfo_single(xch, domid, &info[i]) < 0) {
                cli_xc_err(xch);
                goto out;
            }
        }
    } else {
        n = cli_list_domains(xch, &info);
        if (n < 0)
            goto out;
    }

    if (long_format) {
        if (print_configs(xch, info, n) < 0)
            goto out;
    } else {
        puts(CLI_LIST_HEADER);
        for (int i = 0; i < n; i++) {
            cli_list_format(line, sizeof(line), &info[i]);
            puts(line);
        }
    }
    status = fflush(stdout) == 0 ? CLI_OK : CLI_FAILED;
    if (status != CLI_OK)
        cli_err("cannot write the list: %s", strerror(errno));
out:
    free(info);
    xc_interface_close(xch);
    return status;
}
