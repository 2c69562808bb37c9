/* xlcfg.h: parser for xl.cfg-style domain configuration files. */
/* SPDX-License-Identifier: MIT */
#ifndef LAMINA_XLCFG_H
#define LAMINA_XLCFG_H

#include <stdbool.h>
#include <stddef.h>

/*
 * A configuration is a list of settings `KEY = VALUE` (or `KEY += VALUE`),
 * one per line or separated by ';', with '#' comments. A value is a quoted
 * string, a 64-bit signed integer (decimal or 0x hexadecimal) or a flat
 * list of strings and numbers in [ ... ]. Setting a key again replaces the
 * earlier value, as xl does. docs/man/lamina.cfg.5 describes the syntax for
 * users; the notes below are for callers.
 *
 * Every value remembers where it came from (origin, line, column, 1-based;
 * columns count bytes) so that later layers can report errors such as
 *     web.cfg:5:10: 'memory' must be a number, got a string
 * Functions return 0 or a negative errno value and, on failure, fill the
 * caller's struct xlcfg_error.
 */

/* Limits on hostile input. */
#define XLCFG_MAX_FILE_SIZE   (1024 * 1024)   /* bytes in one file or text */
#define XLCFG_MAX_KEY_LEN     64              /* bytes in a key */
#define XLCFG_MAX_STRING_LEN  (64 * 1024)     /* bytes in a string, also after += */
#define XLCFG_MAX_LIST_ITEMS  1024            /* items in a list, also after += */
#define XLCFG_MAX_SETTINGS    1024            /* distinct keys in a configuration */

struct xlcfg;

enum xlcfg_type {
    XLCFG_STRING,
    XLCFG_NUMBER,
    XLCFG_LIST,
};

/*
 * Where something was written. origin is the file name as given to
 * xlcfg_parse_file() or the name given to the other parse functions. dir is
 * the directory relative paths in a value from this origin are relative to:
 * the directory part of the file's path ("." for a bare file name), or NULL
 * for text that did not come from a file (meaning the current directory).
 * Both strings live as long as the configuration.
 */
struct xlcfg_pos {
    const char *origin;
    const char *dir;
    unsigned int line;
    unsigned int col;
};

struct xlcfg_value {
    enum xlcfg_type type;
    struct xlcfg_pos pos;               /* start of the value */
    union {
        const char *string;             /* NUL-terminated, never contains NUL */
        long long number;
        struct {
            const struct xlcfg_value *items;   /* strings and numbers only */
            size_t count;
        } list;
    } u;
};

/*
 * One key and its current value. pos is where the key was last assigned
 * with '='; '+=' extends the value in place and keeps that position (a
 * string grown by '+=' keeps the position, and so the directory, of its
 * first part).
 */
struct xlcfg_setting {
    const char *key;
    struct xlcfg_pos pos;
    struct xlcfg_value value;
};

enum xlcfg_severity {
    XLCFG_ERROR,
    XLCFG_WARNING,
    XLCFG_NOTE,
};

/*
 * A diagnostic. line and col are 0 when it has no position (a missing key,
 * an unreadable file). text is the whole message ready to print:
 *     origin:line:col: message            (errors)
 *     origin:line:col: warning: message   (warnings; "note: " for notes)
 * Long origins and messages are truncated, never overflowed.
 */
struct xlcfg_error {
    int code;                           /* negative errno; 0 for warnings and notes */
    enum xlcfg_severity severity;
    unsigned int line;
    unsigned int col;
    char origin[1024];
    char message[512];
    char text[1600];
};

/*
 * Parse a whole file. On success *cfgp holds a new configuration (free it
 * with xlcfg_free()); on failure *cfgp is NULL and err says why. A file that
 * cannot be read gives an error naming the path and strerror(), e.g.
 *     web.cfg: cannot read configuration file: No such file or directory
 */
int xlcfg_parse_file(const char *path, struct xlcfg **cfgp, struct xlcfg_error *err);

/*
 * Parse len bytes of text (need not be NUL-terminated). name is the origin
 * used in messages; relative paths in the text are relative to the current
 * directory.
 */
int xlcfg_parse_string(const char *text, size_t len, const char *name,
                       struct xlcfg **cfgp, struct xlcfg_error *err);

/*
 * Parse one more NUL-terminated piece of configuration into cfg, after what
 * is already there: this is how `lamina create web.cfg memory=512` applies
 * its extra arguments, one call per argument. origin names the text in
 * messages (e.g. "<command line>"); relative paths in it are relative to
 * the current directory. On failure cfg may hold part of the text: the
 * caller is expected to give up and free it.
 */
int xlcfg_parse_append(struct xlcfg *cfg, const char *text, const char *origin,
                       struct xlcfg_error *err);

void xlcfg_free(struct xlcfg *cfg);

/* Origin of the first text parsed into cfg (the configuration file). */
const char *xlcfg_name(const struct xlcfg *cfg);

/* Settings in the order their keys first appeared. */
size_t xlcfg_count(const struct xlcfg *cfg);
const struct xlcfg_setting *xlcfg_setting_at(const struct xlcfg *cfg, size_t index);

/* The setting or value for key, or NULL when the key is not set. */
const struct xlcfg_setting *xlcfg_find(const struct xlcfg *cfg, const char *key);
const struct xlcfg_value *xlcfg_get(const struct xlcfg *cfg, const char *key);

/*
 * Typed lookups: 0 on success, -ENOENT when the key is not set (err is left
 * alone), -EINVAL when it has another type (err says so with the position).
 * Returned pointers live as long as cfg.
 */
int xlcfg_get_string(const struct xlcfg *cfg, const char *key, const char **out,
                     struct xlcfg_error *err);
int xlcfg_get_number(const struct xlcfg *cfg, const char *key, long long *out,
                     struct xlcfg_error *err);
int xlcfg_get_list(const struct xlcfg *cfg, const char *key, const struct xlcfg_value **out,
                   struct xlcfg_error *err);

/* Check that a setting's value has the wanted type; same errors as above. */
int xlcfg_check_type(const struct xlcfg_setting *setting, enum xlcfg_type want,
                     struct xlcfg_error *err);

/* "a string", "a number", "a list": for messages. */
const char *xlcfg_type_name(enum xlcfg_type type);

/*
 * Fill a diagnostic, for layers built on the parser. pos may be NULL: the
 * message then carries only origin (which may also be NULL).
 */
void xlcfg_diag(struct xlcfg_error *err, enum xlcfg_severity severity, int code,
                const struct xlcfg_pos *pos, const char *origin, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

#endif /* LAMINA_XLCFG_H */
