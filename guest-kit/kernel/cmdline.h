/* cmdline.h: splitting the domain's command line into argv. */
/* SPDX-License-Identifier: MIT */
#ifndef GUEST_KIT_CMDLINE_H
#define GUEST_KIT_CMDLINE_H

/*
 * Splits `in` into arguments separated by blanks. "Double" and 'single'
 * quotes group words and are removed; a backslash makes the next
 * character literal, except inside single quotes (and inside double
 * quotes it only escapes " and \). An unterminated quote runs to the end.
 *
 * The arguments are copied, NUL-terminated, to `out` (strlen(in) + 1
 * bytes always suffice) and argv[i] points at each; there are at most
 * strlen(in) / 2 + 1 of them. Returns their number.
 */
int gk_cmdline_split(const char *in, char *out, char **argv);

#endif /* GUEST_KIT_CMDLINE_H */
