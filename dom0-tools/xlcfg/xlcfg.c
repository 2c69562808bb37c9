/* xlcfg.c: parser for xl.cfg-style domain configuration files. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xlcfg.h"

/*
 * A hand-written recursive-descent parser over an in-memory buffer. Text
 * is read whole (it is capped at XLCFG_MAX_FILE_SIZE), which keeps line and
 * column tracking trivial and lets errors point at the opening quote or
 * bracket of something left unterminated.
 *
 * Where xl is lenient we are strict and say why in the message: xl drops
 * an unknown escape silently and reads a number with a leading 0 as octal;
 * both are errors here, so a config never means something other than it
 * appears to.
 */

struct origin {
    char *name;
    char *dir;
};

struct xlcfg {
    /* Pointers, so that settings handed out stay put when the array grows. */
    struct xlcfg_setting **settings;
    size_t nsettings;
    size_t settings_cap;
    struct origin *origins;
    size_t norigins;
};

struct parser {
    struct xlcfg *cfg;
    struct xlcfg_error *err;
    const char *buf;
    size_t len;
    size_t pos;
    unsigned int line;
    unsigned int col;
    const char *origin;
    const char *dir;
};

enum assign_op {
    OP_SET,
    OP_APPEND,
};

#define NO_CHAR (-1)

/* Diagnostics */

static void diag_v(struct xlcfg_error *err, enum xlcfg_severity severity, int code,
                   const struct xlcfg_pos *pos, const char *origin, const char *fmt, va_list ap)
    __attribute__((format(printf, 6, 0)));

static void diag_v(struct xlcfg_error *err, enum xlcfg_severity severity, int code,
                   const struct xlcfg_pos *pos, const char *origin, const char *fmt, va_list ap)
{
    static const char *const prefix[] = {
        [XLCFG_ERROR] = "",
        [XLCFG_WARNING] = "warning: ",
        [XLCFG_NOTE] = "note: ",
    };
    char where[sizeof(err->origin) + 32];

    if (!err) {
        return;
    }
    if (pos) {
        origin = pos->origin;
    }
    err->code = code;
    err->severity = severity;
    err->line = pos ? pos->line : 0;
    err->col = pos ? pos->col : 0;
    snprintf(err->origin, sizeof(err->origin), "%s", origin ? origin : "");
    vsnprintf(err->message, sizeof(err->message), fmt, ap);

    if (err->line) {
        snprintf(where, sizeof(where), "%s:%u:%u: ", err->origin, err->line, err->col);
    } else if (err->origin[0]) {
        snprintf(where, sizeof(where), "%s: ", err->origin);
    } else {
        where[0] = '\0';
    }
    snprintf(err->text, sizeof(err->text), "%s%s%s", where, prefix[severity], err->message);
}

void xlcfg_diag(struct xlcfg_error *err, enum xlcfg_severity severity, int code,
                const struct xlcfg_pos *pos, const char *origin, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    diag_v(err, severity, code, pos, origin, fmt, ap);
    va_end(ap);
}

static struct xlcfg_pos here(const struct parser *p)
{
    return (struct xlcfg_pos){
        .origin = p->origin, .dir = p->dir, .line = p->line, .col = p->col,
    };
}

static int fail(struct parser *p, const struct xlcfg_pos *pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct parser *p, const struct xlcfg_pos *pos, const char *fmt, ...)
{
    struct xlcfg_pos now = here(p);
    va_list ap;

    va_start(ap, fmt);
    diag_v(p->err, XLCFG_ERROR, -EINVAL, pos ? pos : &now, NULL, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

static int fail_nomem(struct parser *p)
{
    xlcfg_diag(p->err, XLCFG_ERROR, -ENOMEM, NULL, p->origin, "out of memory");
    return -ENOMEM;
}

const char *xlcfg_type_name(enum xlcfg_type type)
{
    switch (type) {
    case XLCFG_STRING:
        return "a string";
    case XLCFG_NUMBER:
        return "a number";
    case XLCFG_LIST:
        return "a list";
    }
    return "an unknown type";
}

/* Releasing memory */

static void value_release(struct xlcfg_value *v)
{
    if (v->type == XLCFG_STRING) {
        free((char *)v->u.string);
    } else if (v->type == XLCFG_LIST) {
        struct xlcfg_value *items = (struct xlcfg_value *)v->u.list.items;

        for (size_t i = 0; i < v->u.list.count; i++) {
            value_release(&items[i]);
        }
        free(items);
    }
    memset(v, 0, sizeof(*v));
}

static void setting_free(struct xlcfg_setting *s)
{
    if (!s) {
        return;
    }
    free((char *)s->key);
    value_release(&s->value);
    free(s);
}

void xlcfg_free(struct xlcfg *cfg)
{
    if (!cfg) {
        return;
    }
    for (size_t i = 0; i < cfg->nsettings; i++) {
        setting_free(cfg->settings[i]);
    }
    free(cfg->settings);
    for (size_t i = 0; i < cfg->norigins; i++) {
        free(cfg->origins[i].name);
        free(cfg->origins[i].dir);
    }
    free(cfg->origins);
    free(cfg);
}

/* Lexical helpers */

static int peek_at(const struct parser *p, size_t off)
{
    if (off >= p->len - p->pos) {
        return NO_CHAR;
    }
    return (unsigned char)p->buf[p->pos + off];
}

static int peek(const struct parser *p)
{
    return peek_at(p, 0);
}

static void advance(struct parser *p)
{
    if (p->pos >= p->len) {
        return;
    }
    if (p->buf[p->pos] == '\n') {
        p->line++;
        p->col = 1;
    } else if (p->col < UINT_MAX) {
        p->col++;
    }
    p->pos++;
}

static bool is_key_start(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_key_char(int c)
{
    return is_key_start(c) || (c >= '0' && c <= '9');
}

static bool is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static int hex_digit(int c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* Spaces, tabs, carriage returns (files written on Windows) and comments. */
static void skip_blank(struct parser *p)
{
    for (;;) {
        int c = peek(p);

        if (c == ' ' || c == '\t' || c == '\r') {
            advance(p);
        } else if (c == '#') {
            while (peek(p) != NO_CHAR && peek(p) != '\n') {
                advance(p);
            }
        } else {
            return;
        }
    }
}

/* Inside a list newlines are blanks too. */
static void skip_blank_lines(struct parser *p)
{
    for (;;) {
        skip_blank(p);
        if (peek(p) != '\n') {
            return;
        }
        advance(p);
    }
}

/* Name what is at the current position, for "expected X, got Y". */
static const char *describe(const struct parser *p, char *buf, size_t size)
{
    int c = peek(p);

    if (c == NO_CHAR) {
        return "end of file";
    }
    if (c == '\n') {
        return "end of line";
    }
    if (c > ' ' && c < 0x7f) {
        snprintf(buf, size, "'%c'", c);
    } else {
        snprintf(buf, size, "byte 0x%02x", (unsigned int)c);
    }
    return buf;
}

/* The word-like run at the current position, for "strings need quotes" hints. */
static const char *word_here(const struct parser *p, char *buf, size_t size)
{
    size_t n = 0;
    int c;

    while ((c = peek_at(p, n)) != NO_CHAR &&
           (is_key_char(c) || c == '.' || c == '-' || c == '/' || c == '+')) {
        if (n + 1 == size) {
            memcpy(buf + size - 4, "...", 3);
            break;
        }
        buf[n] = (char)c;
        n++;
    }
    buf[n] = '\0';
    return buf;
}

/* Growable byte buffer for strings under construction. */
struct strbuf {
    char *data;
    size_t len;
    size_t cap;
};

static int strbuf_put(struct strbuf *sb, char c)
{
    if (sb->len + 1 >= sb->cap) {
        size_t cap = sb->cap ? sb->cap * 2 : 32;
        char *data = realloc(sb->data, cap);

        if (!data) {
            return -ENOMEM;
        }
        sb->data = data;
        sb->cap = cap;
    }
    sb->data[sb->len++] = c;
    sb->data[sb->len] = '\0';
    return 0;
}

/* Strings, numbers and lists */

/* Escapes that stand for one character, as in C (and xl). */
static int simple_escape(int c)
{
    static const char from[] = "\\\"'abfnrtv";
    static const char to[] = "\\\"'\a\b\f\n\r\t\v";
    const char *hit = c > 0 ? strchr(from, c) : NULL;

    return hit ? (unsigned char)to[hit - from] : -1;
}

/* At a backslash: parse one escape sequence and append its byte to sb. */
static int parse_escape(struct parser *p, struct strbuf *sb)
{
    struct xlcfg_pos at = here(p);
    unsigned int byte = 0;
    int c;

    advance(p);
    c = peek(p);
    if (c == NO_CHAR || c == '\n') {
        /* Leave it to the caller to report the unterminated string. */
        return 0;
    }
    if (simple_escape(c) >= 0) {
        byte = (unsigned int)simple_escape(c);
        advance(p);
    } else if (c == 'x') {
        int hi = hex_digit(peek_at(p, 1));
        int lo = hex_digit(peek_at(p, 2));

        if (hi < 0 || lo < 0) {
            return fail(p, &at, "invalid escape in string: '\\x' must be followed by "
                        "exactly two hexadecimal digits");
        }
        byte = (unsigned int)(hi * 16 + lo);
        for (int i = 0; i < 3; i++) {
            advance(p);
        }
    } else if (c >= '0' && c <= '7') {
        for (int n = 0; n < 3 && peek(p) >= '0' && peek(p) <= '7'; n++) {
            byte = byte * 8 + (unsigned int)(peek(p) - '0');
            advance(p);
        }
        if (byte > 0377) {
            return fail(p, &at, "invalid escape in string: octal escape '\\%o' is larger "
                        "than \\377", byte);
        }
    } else if (c > ' ' && c < 0x7f) {
        return fail(p, &at, "invalid escape '\\%c' in string (write '\\\\' for a backslash)",
                    c);
    } else {
        return fail(p, &at, "invalid escape in string: backslash followed by byte 0x%02x "
                    "(write '\\\\' for a backslash)", (unsigned int)c);
    }
    if (byte == 0) {
        return fail(p, &at, "invalid escape in string: strings cannot contain NUL characters");
    }
    return strbuf_put(sb, (char)byte) ? fail_nomem(p) : 0;
}

static int parse_string(struct parser *p, struct xlcfg_value *out)
{
    struct xlcfg_pos start = here(p);
    int quote = peek(p);
    struct strbuf sb = { 0 };
    int rc;

    advance(p);
    if (strbuf_put(&sb, '\0')) {
        return fail_nomem(p);
    }
    sb.len = 0;
    for (;;) {
        int c = peek(p);

        if (c == NO_CHAR || c == '\n') {
            rc = fail(p, &start, "unterminated string: no closing %c before end of %s",
                      quote, c == NO_CHAR ? "file" : "line");
            goto out_free;
        }
        if (c == quote) {
            advance(p);
            break;
        }
        if (sb.len >= XLCFG_MAX_STRING_LEN) {
            rc = fail(p, &start, "string is too long (the limit is %d bytes)",
                      XLCFG_MAX_STRING_LEN);
            goto out_free;
        }
        if (c == '\\') {
            rc = parse_escape(p, &sb);
            if (rc) {
                goto out_free;
            }
            continue;
        }
        if ((c < ' ' && c != '\t') || c == 0x7f) {
            rc = fail(p, NULL, "control character 0x%02x in string (write it as an escape "
                      "such as \\x%02x)", (unsigned int)c, (unsigned int)c);
            goto out_free;
        }
        if (strbuf_put(&sb, (char)c)) {
            rc = fail_nomem(p);
            goto out_free;
        }
        advance(p);
    }
    out->type = XLCFG_STRING;
    out->pos = start;
    out->u.string = sb.data;
    return 0;

out_free:
    free(sb.data);
    return rc;
}

static int parse_number(struct parser *p, struct xlcfg_value *out)
{
    struct xlcfg_pos start = here(p);
    char token[40];
    size_t n = 0, i = 0;
    bool negative = false, truncated = false;
    unsigned long long magnitude = 0, limit;
    unsigned int base = 10;
    int c;

    /* Take the whole word so "12abc" or "1.5" is one bad number, not two tokens. */
    if (peek(p) == '-') {
        token[n++] = '-';
        advance(p);
    }
    while ((c = peek(p)) != NO_CHAR && (is_key_char(c) || c == '.')) {
        if (n + 1 < sizeof(token)) {
            token[n++] = (char)c;
        } else {
            truncated = true;
        }
        advance(p);
    }
    token[n] = '\0';

    if (token[i] == '-') {
        negative = true;
        i++;
    }
    if (!is_digit((unsigned char)token[i])) {
        return fail(p, &start, "expected a digit after '-'");
    }
    if (truncated) {
        return fail(p, &start, "number '%s...' is too long", token);
    }
    if (strchr(token, '.')) {
        return fail(p, &start, "invalid number '%s': only whole numbers are supported", token);
    }
    if (token[i] == '0' && (token[i + 1] == 'x' || token[i + 1] == 'X')) {
        base = 16;
        i += 2;
        if (!token[i]) {
            return fail(p, &start, "invalid number '%s': '0x' must be followed by "
                        "hexadecimal digits", token);
        }
    } else if (token[i] == '0' && token[i + 1]) {
        if (token[strspn(token + i, "0123456789") + i] == '\0') {
            return fail(p, &start, "invalid number '%s': a leading 0 is ambiguous (xl reads "
                        "it as octal); write the number without it, or in hex with 0x",
                        token);
        }
    }
    limit = negative ? (unsigned long long)LLONG_MAX + 1 : (unsigned long long)LLONG_MAX;
    for (; token[i]; i++) {
        int d = base == 16 ? hex_digit((unsigned char)token[i])
                           : (is_digit((unsigned char)token[i]) ? token[i] - '0' : -1);

        if (d < 0) {
            return fail(p, &start, "invalid number '%s': expected a decimal number or a "
                        "hexadecimal one starting with 0x", token);
        }
        if (magnitude > (limit - (unsigned int)d) / base) {
            return fail(p, &start, "number '%s' is out of range (it must fit in a signed "
                        "64-bit integer)", token);
        }
        magnitude = magnitude * base + (unsigned int)d;
    }

    out->type = XLCFG_NUMBER;
    out->pos = start;
    if (negative) {
        /* -(LLONG_MAX + 1) written without overflowing. */
        out->u.number = magnitude ? -(long long)(magnitude - 1) - 1 : 0;
    } else {
        out->u.number = (long long)magnitude;
    }
    return 0;
}

static int list_push(struct xlcfg_value *list, const struct xlcfg_value *item)
{
    struct xlcfg_value *items = (struct xlcfg_value *)list->u.list.items;
    size_t n = list->u.list.count;

    /* Grow to powers of two: reallocate when n is 0 or a power of two. */
    if ((n & (n - 1)) == 0) {
        size_t cap = n ? n * 2 : 4;

        items = realloc(items, cap * sizeof(*items));
        if (!items) {
            return -ENOMEM;
        }
        list->u.list.items = items;
    }
    items[n] = *item;
    list->u.list.count = n + 1;
    return 0;
}

static int parse_value(struct parser *p, struct xlcfg_value *out, const char *after);

static int parse_list(struct parser *p, struct xlcfg_value *out)
{
    struct xlcfg_pos start = here(p);
    char what[16];
    int rc;

    out->type = XLCFG_LIST;
    out->pos = start;
    out->u.list.items = NULL;
    out->u.list.count = 0;
    advance(p);

    for (;;) {
        struct xlcfg_value item = { 0 };

        skip_blank_lines(p);
        if (peek(p) == NO_CHAR) {
            rc = fail(p, &start, "unterminated list: no closing ']' before end of file");
            goto out_free;
        }
        if (peek(p) == ']') {
            advance(p);
            return 0;
        }
        if (out->u.list.count >= XLCFG_MAX_LIST_ITEMS) {
            rc = fail(p, NULL, "list has too many items (the limit is %d)",
                      XLCFG_MAX_LIST_ITEMS);
            goto out_free;
        }
        rc = parse_value(p, &item, NULL);
        if (rc) {
            goto out_free;
        }
        if (list_push(out, &item)) {
            value_release(&item);
            rc = fail_nomem(p);
            goto out_free;
        }
        skip_blank_lines(p);
        if (peek(p) == ',') {
            advance(p);
        } else if (peek(p) == NO_CHAR) {
            rc = fail(p, &start, "unterminated list: no closing ']' before end of file");
            goto out_free;
        } else if (peek(p) != ']') {
            rc = fail(p, NULL, "expected ',' or ']' after a list item, got %s",
                      describe(p, what, sizeof(what)));
            goto out_free;
        }
    }

out_free:
    value_release(out);
    return rc;
}

/* after is the operator before a setting's value ("'='"), or NULL for a list item. */
static int parse_value(struct parser *p, struct xlcfg_value *out, const char *after)
{
    bool in_list = !after;
    const char *want = in_list ? "a value (string or number) or ']'"
                               : "a value (string, number or list) after ";
    char what[16], word[48];
    int c = peek(p);

    if (in_list) {
        after = "";
    }
    if (c == '"' || c == '\'') {
        return parse_string(p, out);
    }
    if (is_digit(c) || c == '-') {
        return parse_number(p, out);
    }
    if (c == '[') {
        if (in_list) {
            return fail(p, NULL, "nested lists are not supported: list items must be strings "
                        "or numbers");
        }
        return parse_list(p, out);
    }
    if (is_key_start(c) || c == '/' || c == '.') {
        word_here(p, word, sizeof(word));
        return fail(p, NULL, "expected %s%s, got '%s' (strings need quotes: \"%s\")", want,
                    after, word, word);
    }
    return fail(p, NULL, "expected %s%s, got %s", want, after, describe(p, what, sizeof(what)));
}

/* Settings */

static struct xlcfg_setting **find_slot(const struct xlcfg *cfg, const char *key)
{
    for (size_t i = 0; i < cfg->nsettings; i++) {
        if (strcmp(cfg->settings[i]->key, key) == 0) {
            return &cfg->settings[i];
        }
    }
    return NULL;
}

/* Extend an existing setting with '+='. Consumes v on success. */
static int append_value(struct parser *p, struct xlcfg_setting *s, struct xlcfg_value *v,
                        const struct xlcfg_pos *op)
{
    struct xlcfg_value *old = &s->value;

    if (old->type == XLCFG_NUMBER) {
        return fail(p, op, "'+=' cannot extend '%s': it is a number; use '=' to replace it",
                    s->key);
    }
    if (old->type == XLCFG_STRING && v->type != XLCFG_STRING) {
        return fail(p, op, "'+=' cannot extend '%s' (a string) with %s; use '=' to replace it",
                    s->key, xlcfg_type_name(v->type));
    }
    if (old->type == XLCFG_STRING) {
        size_t a = strlen(old->u.string), b = strlen(v->u.string);
        char *joined;

        if (a + b > XLCFG_MAX_STRING_LEN) {
            return fail(p, op, "'+=' makes '%s' too long (the limit is %d bytes)", s->key,
                        XLCFG_MAX_STRING_LEN);
        }
        joined = malloc(a + b + 1);
        if (!joined) {
            return fail_nomem(p);
        }
        memcpy(joined, old->u.string, a);
        memcpy(joined + a, v->u.string, b + 1);
        free((char *)old->u.string);
        old->u.string = joined;
        value_release(v);
        return 0;
    }

    /* A list grows by a list's items or by a single string or number. */
    if (v->type == XLCFG_LIST) {
        struct xlcfg_value *items = (struct xlcfg_value *)v->u.list.items;
        size_t n = v->u.list.count;

        if (old->u.list.count + n > XLCFG_MAX_LIST_ITEMS) {
            return fail(p, op, "'+=' makes '%s' too long (the limit is %d items)", s->key,
                        XLCFG_MAX_LIST_ITEMS);
        }
        for (size_t i = 0; i < n; i++) {
            if (list_push(old, &items[i])) {
                /* Items already moved belong to old now; release the rest. */
                for (size_t j = i; j < n; j++) {
                    value_release(&items[j]);
                }
                free(items);
                memset(v, 0, sizeof(*v));
                return fail_nomem(p);
            }
        }
        free(items);
        memset(v, 0, sizeof(*v));
        return 0;
    }
    if (old->u.list.count + 1 > XLCFG_MAX_LIST_ITEMS) {
        return fail(p, op, "'+=' makes '%s' too long (the limit is %d items)", s->key,
                    XLCFG_MAX_LIST_ITEMS);
    }
    if (list_push(old, v)) {
        return fail_nomem(p);
    }
    memset(v, 0, sizeof(*v));
    return 0;
}

/* Store KEY = VALUE or KEY += VALUE. Consumes key and v on success. */
static int store(struct parser *p, char *key, const struct xlcfg_pos *key_pos,
                 enum assign_op op, const struct xlcfg_pos *op_pos, struct xlcfg_value *v)
{
    struct xlcfg *cfg = p->cfg;
    struct xlcfg_setting **slot = find_slot(cfg, key);
    struct xlcfg_setting *s;
    int rc;

    if (slot && op == OP_APPEND) {
        rc = append_value(p, *slot, v, op_pos);
        if (!rc) {
            free(key);
        }
        return rc;
    }
    if (slot) {
        /* Last assignment wins; the key keeps its place in the order. */
        s = *slot;
        value_release(&s->value);
        free((char *)s->key);
        s->key = key;
        s->pos = *key_pos;
        s->value = *v;
        memset(v, 0, sizeof(*v));
        return 0;
    }
    if (cfg->nsettings >= XLCFG_MAX_SETTINGS) {
        return fail(p, key_pos, "too many settings (the limit is %d different keys)",
                    XLCFG_MAX_SETTINGS);
    }
    if (cfg->nsettings == cfg->settings_cap) {
        size_t cap = cfg->settings_cap ? cfg->settings_cap * 2 : 16;
        struct xlcfg_setting **settings = realloc(cfg->settings, cap * sizeof(*settings));

        if (!settings) {
            return fail_nomem(p);
        }
        cfg->settings = settings;
        cfg->settings_cap = cap;
    }
    s = calloc(1, sizeof(*s));
    if (!s) {
        return fail_nomem(p);
    }
    s->key = key;
    s->pos = *key_pos;
    s->value = *v;
    memset(v, 0, sizeof(*v));
    cfg->settings[cfg->nsettings++] = s;
    return 0;
}

static int parse_setting(struct parser *p)
{
    struct xlcfg_pos key_pos = here(p), op_pos;
    struct xlcfg_value v = { 0 };
    enum assign_op op;
    char what[16];
    char *key;
    size_t n = 0;
    int rc;

    while (is_key_char(peek_at(p, n))) {
        n++;
    }
    if (n > XLCFG_MAX_KEY_LEN) {
        return fail(p, NULL, "key is too long (the limit is %d characters)", XLCFG_MAX_KEY_LEN);
    }
    key = strndup(p->buf + p->pos, n);
    if (!key) {
        return fail_nomem(p);
    }
    for (size_t i = 0; i < n; i++) {
        advance(p);
    }

    skip_blank(p);
    op_pos = here(p);
    if (peek(p) == '=') {
        op = OP_SET;
        advance(p);
    } else if (peek(p) == '+' && peek_at(p, 1) == '=') {
        op = OP_APPEND;
        advance(p);
        advance(p);
    } else {
        rc = fail(p, NULL, "expected '=' or '+=' after '%s', got %s", key,
                  describe(p, what, sizeof(what)));
        goto out_free;
    }

    skip_blank(p);
    rc = parse_value(p, &v, op == OP_SET ? "'='" : "'+='");
    if (rc) {
        goto out_free;
    }

    skip_blank(p);
    if (peek(p) != NO_CHAR && peek(p) != '\n' && peek(p) != ';') {
        rc = fail(p, NULL, "expected ';' or end of line after the value of '%s', got %s", key,
                  describe(p, what, sizeof(what)));
        goto out_free;
    }

    rc = store(p, key, &key_pos, op, &op_pos, &v);
    if (rc) {
        goto out_free;
    }
    return 0;

out_free:
    value_release(&v);
    free(key);
    return rc;
}

static int parse_text(struct parser *p)
{
    const char *nul = memchr(p->buf, '\0', p->len);
    char what[16];

    if (nul) {
        /* Walk to the NUL so the error carries its line and column. */
        while (p->buf + p->pos < nul) {
            advance(p);
        }
        return fail(p, NULL, "NUL byte in configuration text (is this a binary file?)");
    }

    for (;;) {
        int c;
        int rc;

        skip_blank(p);
        c = peek(p);
        if (c == NO_CHAR) {
            return 0;
        }
        if (c == '\n' || c == ';') {
            advance(p);
            continue;
        }
        if (!is_key_start(c)) {
            return fail(p, NULL, "expected a setting (KEY = VALUE), got %s%s",
                        describe(p, what, sizeof(what)),
                        is_digit(c) ? " (keys cannot start with a digit)" : "");
        }
        rc = parse_setting(p);
        if (rc) {
            return rc;
        }
    }
}

/* Origins and entry points */

static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    size_t n;

    if (!slash) {
        return strdup(".");
    }
    n = (size_t)(slash - path);
    while (n > 0 && path[n - 1] == '/') {
        n--;
    }
    if (n == 0) {
        return strdup("/");
    }
    return strndup(path, n);
}

static int add_origin(struct xlcfg *cfg, const char *name, const char *file,
                      struct origin **out)
{
    struct origin *origins = realloc(cfg->origins, (cfg->norigins + 1) * sizeof(*origins));
    struct origin *o;

    if (!origins) {
        return -ENOMEM;
    }
    cfg->origins = origins;
    o = &origins[cfg->norigins];
    o->name = strdup(name);
    o->dir = file ? dir_of(file) : NULL;
    if (!o->name || (file && !o->dir)) {
        free(o->name);
        free(o->dir);
        return -ENOMEM;
    }
    cfg->norigins++;
    *out = o;
    return 0;
}

/* Parse text from one origin into cfg; file is its path when it came from one. */
static int parse_into(struct xlcfg *cfg, const char *text, size_t len, const char *name,
                      const char *file, struct xlcfg_error *err)
{
    struct origin *o;
    struct parser p;

    if (len > XLCFG_MAX_FILE_SIZE) {
        xlcfg_diag(err, XLCFG_ERROR, -EFBIG, NULL, name,
                   "configuration is too large (%zu bytes; the limit is %d)", len,
                   XLCFG_MAX_FILE_SIZE);
        return -EFBIG;
    }
    if (add_origin(cfg, name, file, &o)) {
        xlcfg_diag(err, XLCFG_ERROR, -ENOMEM, NULL, name, "out of memory");
        return -ENOMEM;
    }
    p = (struct parser){
        .cfg = cfg, .err = err, .buf = text, .len = len, .pos = 0, .line = 1, .col = 1,
        .origin = o->name, .dir = o->dir,
    };
    return parse_text(&p);
}

int xlcfg_parse_string(const char *text, size_t len, const char *name,
                       struct xlcfg **cfgp, struct xlcfg_error *err)
{
    struct xlcfg *cfg = calloc(1, sizeof(*cfg));
    int rc;

    *cfgp = NULL;
    if (!name) {
        name = "<string>";
    }
    if (!cfg) {
        xlcfg_diag(err, XLCFG_ERROR, -ENOMEM, NULL, name, "out of memory");
        return -ENOMEM;
    }
    rc = parse_into(cfg, text, len, name, NULL, err);
    if (rc) {
        xlcfg_free(cfg);
        return rc;
    }
    *cfgp = cfg;
    return 0;
}

int xlcfg_parse_append(struct xlcfg *cfg, const char *text, const char *origin,
                       struct xlcfg_error *err)
{
    return parse_into(cfg, text, strlen(text), origin ? origin : "<command line>", NULL, err);
}

/* Read at most XLCFG_MAX_FILE_SIZE + 1 bytes so an oversized file is noticed. */
static int read_file(const char *path, char **bufp, size_t *lenp, struct xlcfg_error *err)
{
    size_t cap = 4096, len = 0;
    char *buf = NULL;
    int fd, rc;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        rc = -errno;
        goto fail_io;
    }
    for (;;) {
        ssize_t n;

        if (len == cap || !buf) {
            char *nbuf;

            if (buf) {
                cap *= 2;
            }
            if (cap > XLCFG_MAX_FILE_SIZE + 1) {
                cap = XLCFG_MAX_FILE_SIZE + 1;
            }
            nbuf = realloc(buf, cap);
            if (!nbuf) {
                rc = -ENOMEM;
                goto fail_io;
            }
            buf = nbuf;
        }
        n = read(fd, buf + len, cap - len);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            rc = -errno;
            goto fail_io;
        }
        if (n == 0) {
            break;
        }
        len += (size_t)n;
        if (len > XLCFG_MAX_FILE_SIZE) {
            close(fd);
            free(buf);
            xlcfg_diag(err, XLCFG_ERROR, -EFBIG, NULL, path,
                       "configuration file is too large (the limit is %d bytes)",
                       XLCFG_MAX_FILE_SIZE);
            return -EFBIG;
        }
    }
    close(fd);
    *bufp = buf;
    *lenp = len;
    return 0;

fail_io:
    if (fd >= 0) {
        close(fd);
    }
    free(buf);
    xlcfg_diag(err, XLCFG_ERROR, rc, NULL, path, "cannot read configuration file: %s",
               strerror(-rc));
    return rc;
}

int xlcfg_parse_file(const char *path, struct xlcfg **cfgp, struct xlcfg_error *err)
{
    struct xlcfg *cfg;
    size_t len = 0;
    char *buf = NULL;
    int rc;

    *cfgp = NULL;
    rc = read_file(path, &buf, &len, err);
    if (rc) {
        return rc;
    }
    cfg = calloc(1, sizeof(*cfg));
    if (!cfg) {
        free(buf);
        xlcfg_diag(err, XLCFG_ERROR, -ENOMEM, NULL, path, "out of memory");
        return -ENOMEM;
    }
    rc = parse_into(cfg, buf, len, path, path, err);
    free(buf);
    if (rc) {
        xlcfg_free(cfg);
        return rc;
    }
    *cfgp = cfg;
    return 0;
}

/* Lookups */

const char *xlcfg_name(const struct xlcfg *cfg)
{
    return cfg->norigins ? cfg->origins[0].name : "";
}

size_t xlcfg_count(const struct xlcfg *cfg)
{
    return cfg->nsettings;
}

const struct xlcfg_setting *xlcfg_setting_at(const struct xlcfg *cfg, size_t index)
{
    return index < cfg->nsettings ? cfg->settings[index] : NULL;
}

const struct xlcfg_setting *xlcfg_find(const struct xlcfg *cfg, const char *key)
{
    struct xlcfg_setting **slot = find_slot(cfg, key);

    return slot ? *slot : NULL;
}

const struct xlcfg_value *xlcfg_get(const struct xlcfg *cfg, const char *key)
{
    const struct xlcfg_setting *s = xlcfg_find(cfg, key);

    return s ? &s->value : NULL;
}

int xlcfg_check_type(const struct xlcfg_setting *setting, enum xlcfg_type want,
                     struct xlcfg_error *err)
{
    if (setting->value.type == want) {
        return 0;
    }
    xlcfg_diag(err, XLCFG_ERROR, -EINVAL, &setting->value.pos, NULL,
               "'%s' must be %s, got %s", setting->key, xlcfg_type_name(want),
               xlcfg_type_name(setting->value.type));
    return -EINVAL;
}

static int get_typed(const struct xlcfg *cfg, const char *key, enum xlcfg_type want,
                     const struct xlcfg_value **out, struct xlcfg_error *err)
{
    const struct xlcfg_setting *s = xlcfg_find(cfg, key);
    int rc;

    if (!s) {
        return -ENOENT;
    }
    rc = xlcfg_check_type(s, want, err);
    if (rc) {
        return rc;
    }
    *out = &s->value;
    return 0;
}

int xlcfg_get_string(const struct xlcfg *cfg, const char *key, const char **out,
                     struct xlcfg_error *err)
{
    const struct xlcfg_value *v;
    int rc = get_typed(cfg, key, XLCFG_STRING, &v, err);

    if (!rc) {
        *out = v->u.string;
    }
    return rc;
}

int xlcfg_get_number(const struct xlcfg *cfg, const char *key, long long *out,
                     struct xlcfg_error *err)
{
    const struct xlcfg_value *v;
    int rc = get_typed(cfg, key, XLCFG_NUMBER, &v, err);

    if (!rc) {
        *out = v->u.number;
    }
    return rc;
}

int xlcfg_get_list(const struct xlcfg *cfg, const char *key, const struct xlcfg_value **out,
                   struct xlcfg_error *err)
{
    return get_typed(cfg, key, XLCFG_LIST, out, err);
}
