/* quota.c: per-domain limits of lamina-xenstored: defaults, options and the configuration file. */
/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "quota.h"

/* Defaults are those of Xen 4.17's C xenstored where it has the limit. */
static const struct {
    const char *name;
    unsigned int def;
    const char *help;
} quota_desc[Q_COUNT] = {
    [Q_NODES] = { "nodes", 1000, "nodes a domain may own" },
    [Q_NODE_SIZE] = { "node-size", 2048, "bytes per node (value, children names, permissions)" },
    [Q_WATCHES] = { "watches", 128, "watches per domain" },
    [Q_TRANSACTIONS] = { "transactions", 10, "open transactions per domain" },
    [Q_PERMS] = { "node-permissions", 5, "permission entries per node" },
    [Q_PATH_LENGTH] = { "path-length", 2048, "path length below the domain's home" },
    [Q_DEPTH] = { "path-depth", 128, "components of a path" },
    [Q_TXN_NODES] = { "transaction-nodes", 1024, "nodes one transaction may touch" },
    [Q_OUTSTANDING] = { "outstanding", 20, "unanswered requests per connection" },
    [Q_WATCH_EVENTS] = { "watch-events", 1024, "queued watch events per connection" },
};

unsigned int quota[Q_COUNT];

void quota_defaults(void)
{
    for (int i = 0; i < Q_COUNT; i++)
        quota[i] = quota_desc[i].def;
}

const char *quota_name(enum quota_id q)
{
    return quota_desc[q].name;
}

const char *quota_help(enum quota_id q)
{
    return quota_desc[q].help;
}

static int parse_value(const char *s, unsigned int *out)
{
    unsigned long v;
    char *end;

    if (!isdigit((unsigned char)*s))
        return -EINVAL;
    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno || *end || v == 0 || v > INT_MAX)
        return -EINVAL;
    *out = (unsigned int)v;
    return 0;
}

static int find_quota(const char *name, size_t len)
{
    for (int i = 0; i < Q_COUNT; i++)
        if (strlen(quota_desc[i].name) == len && strncmp(quota_desc[i].name, name, len) == 0)
            return i;
    return -ENOENT;
}

int quota_set(const char *name, const char *value)
{
    int q = find_quota(name, strlen(name));
    unsigned int v;
    int rc;

    if (q < 0)
        return q;
    if ((rc = parse_value(value, &v)) < 0)
        return rc;
    quota[q] = v;
    return 0;
}

int quota_set_assignment(const char *assignment)
{
    const char *eq = strchr(assignment, '=');
    unsigned int v;
    int q, rc;

    if (!eq)
        return -EINVAL;
    q = find_quota(assignment, (size_t)(eq - assignment));
    if (q < 0)
        return q;
    if ((rc = parse_value(eq + 1, &v)) < 0)
        return rc;
    quota[q] = v;
    return 0;
}

static char *trim(char *s)
{
    char *end;

    while (isspace((unsigned char)*s))
        s++;
    end = s + strlen(s);
    while (end > s && isspace((unsigned char)end[-1]))
        *--end = '\0';
    return s;
}

int quota_load_file(const char *path, FILE *err)
{
    unsigned int values[Q_COUNT];
    char line[512];
    unsigned int lineno = 0;
    int rc = 0;
    FILE *f = fopen(path, "re");

    if (!f)
        return -errno;
    memcpy(values, quota, sizeof(values));
    while (fgets(line, sizeof(line), f)) {
        char *hash, *eq, *name, *value;
        int q;

        lineno++;
        if (!strchr(line, '\n') && !feof(f)) {
            fprintf(err, "%s:%u: line too long\n", path, lineno);
            rc = -EINVAL;
            break;
        }
        if ((hash = strchr(line, '#')))
            *hash = '\0';
        name = trim(line);
        if (!*name)
            continue;
        eq = strchr(name, '=');
        if (!eq) {
            fprintf(err, "%s:%u: expected NAME = VALUE\n", path, lineno);
            rc = -EINVAL;
            continue;
        }
        *eq = '\0';
        value = trim(eq + 1);
        name = trim(name);
        q = find_quota(name, strlen(name));
        if (q < 0) {
            fprintf(err, "%s:%u: unknown quota '%s' (see lamina-xenstored --help)\n", path,
                    lineno, name);
            rc = -EINVAL;
        } else if (parse_value(value, &values[q]) < 0) {
            fprintf(err, "%s:%u: '%s' is not a positive number\n", path, lineno, value);
            rc = -EINVAL;
        }
    }
    fclose(f);
    if (rc == 0)
        memcpy(quota, values, sizeof(values));
    return rc;
}
