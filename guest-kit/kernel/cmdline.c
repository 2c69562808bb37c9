/* cmdline.c: splitting the domain's command line into argv, with quotes and backslashes. */
/* SPDX-License-Identifier: MIT */
#include <stdbool.h>
#include <stddef.h>

#include "cmdline.h"

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int gk_cmdline_split(const char *in, char *out, char **argv)
{
    size_t w = 0;
    int argc = 0;

    for (;;) {
        size_t start;
        char quote = 0;

        while (is_blank(*in))
            in++;
        if (!*in)
            break;
        start = w;
        while (*in && (quote || !is_blank(*in))) {
            char c = *in++;

            if (quote == '\'') {
                if (c == '\'')
                    quote = 0;
                else
                    out[w++] = c;
            } else if (c == '\\' && *in && (!quote || *in == '"' || *in == '\\')) {
                out[w++] = *in;
                in++;
            } else if (quote == '"' && c == '"') {
                quote = 0;
            } else if (!quote && (c == '"' || c == '\'')) {
                quote = c;
            } else {
                out[w++] = c;
            }
        }
        out[w++] = '\0';
        argv[argc++] = out + start;
    }
    return argc;
}
