#!/bin/sh
# abi-gen.sh: generate the ABI probe program from whatever pv-abi/xen declares.
# SPDX-License-Identifier: MIT
#
# Usage: abi-gen.sh PV_ABI_DIR WORK_DIR     (environment: CC, AWK)
#
# Writes WORK_DIR/probe.c: a program that prints one "key<TAB>value" line
# per name pv-abi defines (constant values and types, aggregate and member
# sizes/offsets/types, typedef sizes, guest handles, data tables, and for
# macros that are not constants just "defined"). Built once against pv-abi
# and once against Xen's headers, the two outputs must agree.
#
# Every probe line in main() starts with /*@key@*/ so that a line which does
# not compile against Xen's headers can be replaced by a "MISSING" report.
set -eu

pvabi=$1
work=$2
: "${CC:=cc}"
: "${AWK:=awk}"

fail() {
    echo "abi-gen: $*" >&2
    exit 99
}

[ -f "$pvabi/xen/xen.h" ] || fail "no pv-abi headers under $pvabi"
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$work"

# 1. The headers, xen/xen.h first, then in path order.
(cd "$pvabi" && find xen -name '*.h' | LC_ALL=C sort) > "$work/headers.lst"
{
    echo "xen/xen.h"
    grep -v '^xen/xen\.h$' "$work/headers.lst"
} > "$work/headers.tmp"
mv "$work/headers.tmp" "$work/headers.lst"

# The includes shared by every generated file. <errno.h> comes first so that
# xs_wire.h declares its error table. Headers pv-abi has and Xen lacks are
# skipped on the Xen side, which then reports their names as missing.
{
    echo "#include <errno.h>"
    echo "#include <stddef.h>"
    echo "#include <stdint.h>"
    echo "#include <stdio.h>"
    while read -r h; do
        echo "#if __has_include(<$h>)"
        echo "#include <$h>"
        echo "#endif"
    done < "$work/headers.lst"
} > "$work/includes.h"

# 2. Declarations, from the header text.
(cd "$pvabi" && $AWK -f "$here/abi-parse.awk" $(cat "$work/headers.lst")) > "$work/parse.lst"
if grep '^W ' "$work/parse.lst" >&2; then
    fail "pv-abi headers do not follow the layout abi-parse.awk expects (see pv-abi/README.md)"
fi

# 3. Macros, from the preprocessor: every #define made in a pv-abi/xen file.
#    Also catch a pv-abi header that pulls in a system Xen header.
cp "$work/includes.h" "$work/macros.c"
$CC -E -dD -I"$pvabi" "$work/macros.c" > "$work/macros.i" ||
    fail "preprocessing the pv-abi headers failed"
$AWK -v pv="$pvabi/xen/" '
    /^# [0-9]+ "/ {
        file = $3
        gsub(/"/, "", file)
        inpv = index(file, pv) == 1
        if (!inpv && file ~ /\/include\/xen\//)
            leak[file] = 1
        next
    }
    /^#define / && inpv {
        d = substr($0, 9)
        if (match(d, /^[A-Za-z_][A-Za-z0-9_]*\(/)) {
            name = substr(d, 1, RLENGTH - 1)
            rest = substr(d, RLENGTH + 1)
            params = substr(rest, 1, index(rest, ")") - 1)
            gsub(/[ \t]/, "", params)
            n = params == "" ? 0 : split(params, p, ",")
            print "F " name " " n
            next
        }
        match(d, /^[A-Za-z_][A-Za-z0-9_]*/)
        name = substr(d, 1, RLENGTH)
        body = substr(d, RLENGTH + 1)
        gsub(/[ \t]/, "", body)
        print (body == "" && name ~ /^__LAMINA_XEN_PUBLIC_.*_H__$/ ? "G " : "O ") name
    }
    END {
        for (f in leak)
            print "X " f
    }
' "$work/macros.i" | LC_ALL=C sort -u -k2,2 > "$work/macros.lst"
if grep '^X ' "$work/macros.lst" >&2; then
    fail "pv-abi headers include Xen system headers (listed above)"
fi

# 4. Classify constants with the compiler. Each candidate gets test lines;
#    a line that fails to compile rules that use out:
#      I  integer constant expression of integer type
#      S  string literal
#      Y  type name
#    Candidates: object-like macros, enumerators, ring sizes per ring, and
#    function-like macros called with a few sample arguments.
$AWK '
    $1 == "O" { print "I " $2; print "S " $2; print "Y " $2 }
    $1 == "F" {
        n = $3
        for (s = 0; s < 3; s++) {
            args = ""
            for (i = 0; i < n; i++) {
                if (s == 0)
                    v = i
                else if (s == 1)
                    v = 5 + i
                else
                    v = sprintf("0x%x", 74565 + i)
                args = args (i ? ", " : "") v
            }
            print "I " $2 "(" args ")"
            if (n == 0)
                break
        }
    }
' "$work/macros.lst" > "$work/candidates.lst"
$AWK '
    $1 == "C" { print "I " $2 }
    $1 == "R" { print "I __CONST_RING_SIZE(" $2 ", 4096)" }
' "$work/parse.lst" >> "$work/candidates.lst"

{
    cat "$work/includes.h"
    echo "#define LAMINA_ABI_IS_INT(x) _Generic((x), _Bool: 1, char: 1, signed char: 1, \\"
    echo "    unsigned char: 1, short: 1, unsigned short: 1, int: 1, unsigned int: 1, long: 1, \\"
    echo "    unsigned long: 1, long long: 1, unsigned long long: 1)"
} > "$work/classify.c"
base=$(wc -l < "$work/classify.c")
$AWK '{
    e = substr($0, 3)
    if ($1 == "I")
        print "_Static_assert(LAMINA_ABI_IS_INT(" e ") && ((" e ") || 1), \"\");"
    else if ($1 == "S")
        print "static const char lamina_abi_s" NR "[] __attribute__((unused)) = " e ";"
    else
        print "typedef " e " lamina_abi_t" NR ";"
}' "$work/candidates.lst" >> "$work/classify.c"

# Drop failing lines until the rest compiles; the survivors are the answer.
round=0
while :; do
    if (cd "$work" && $CC -std=c11 -pedantic-errors -ftrack-macro-expansion=0 -fsyntax-only \
            -I"$pvabi" classify.c) 2> "$work/classify.err"; then
        break
    fi
    round=$((round + 1))
    [ $round -le 8 ] || fail "classification does not converge; see $work/classify.err"
    grep -o '^classify\.c:[0-9]*:[0-9]*: error' "$work/classify.err" | cut -d: -f2 |
        LC_ALL=C sort -un > "$work/classify.bad"
    if [ ! -s "$work/classify.bad" ]; then
        cat "$work/classify.err" >&2
        fail "pv-abi headers do not compile as strict C11"
    fi
    $AWK -v base="$base" 'NR == FNR { bad[$1] = 1; next }
        FNR <= base { print; next }
        !((FNR) in bad) { print; next }
        { print "/* rejected */" }' "$work/classify.bad" "$work/classify.c" > "$work/classify.tmp"
    mv "$work/classify.tmp" "$work/classify.c"
done
$AWK -v base="$base" 'NR > base && $0 == "/* rejected */" { print NR - base }' \
    "$work/classify.c" > "$work/rejected.lst"
$AWK -v rejfile="$work/rejected.lst" '
    BEGIN { while ((getline l < rejfile) > 0) rej[l] = 1 }
    !(FNR in rej)' "$work/candidates.lst" > "$work/accepted.lst"

# 5. The probe.
{
    cat <<'EOF'
/* probe.c: generated by tests/abi/abi-gen.sh; prints pv-abi's names with their values. */
EOF
    cat "$work/includes.h"
    cat <<'EOF'
#define LAMINA_TYPE(x) _Generic((x), _Bool: "bool", char: "char", signed char: "s8", \
    unsigned char: "u8", short: "s16", unsigned short: "u16", int: "s32", \
    unsigned int: "u32", long: "slong", unsigned long: "ulong", long long: "sllong", \
    unsigned long long: "ullong", float: "float", double: "double", default: "other")

static void lamina_int(const char *key, int neg, unsigned long long v, const char *type)
{
    if (neg)
        printf("%s\t%lld %s\n", key, (long long)v, type);
    else
        printf("%s\t%llu %s\n", key, v, type);
}

static void lamina_str(const char *key, const char *s)
{
    printf("%s\t\"%s\"\n", key, s);
}

static void lamina_size(const char *key, size_t size, size_t align, const char *type)
{
    printf("%s\tsize=%zu align=%zu %s\n", key, size, align, type);
}

static void lamina_member(const char *key, size_t offset, size_t size, const char *type)
{
    if (size == (size_t)-1)
        printf("%s\toffset=%zu flexible %s\n", key, offset, type);
    else
        printf("%s\toffset=%zu size=%zu %s\n", key, offset, size, type);
}

static void lamina_field_i(const char *key, size_t i, const char *m, long long v)
{
    printf("%s[%zu].%s\t%lld\n", key, i, m, v);
}

static void lamina_field_s(const char *key, size_t i, const char *m, const char *s)
{
    printf("%s[%zu].%s\t\"%s\"\n", key, i, m, s);
}

#define LAMINA_FIELD(key, i, m, e) _Generic((e), char *: lamina_field_s, \
    const char *: lamina_field_s, default: lamina_field_i)(key, i, m, e)

#define PROBE_INT(key, e) lamina_int(key, (e) < 0, (unsigned long long)(e), LAMINA_TYPE(e))
#define PROBE_TYPE(key, t) lamina_size(key, sizeof(t), _Alignof(t), LAMINA_TYPE(*(t *)0))
#define PROBE_AGGREGATE(key, t) lamina_size(key, sizeof(t), _Alignof(t), "-")
#define PROBE_MEMBER(key, t, m) \
    lamina_member(key, offsetof(t, m), sizeof(((t *)0)->m), LAMINA_TYPE(((t *)0)->m))
#define PROBE_FLEX_MEMBER(key, t, m) \
    lamina_member(key, offsetof(t, m), (size_t)-1, LAMINA_TYPE(((t *)0)->m))
#define PROBE_TABLE(key, a, body) do { \
    size_t i; \
    lamina_int(key " count", 0, sizeof(a) / sizeof((a)[0]), "count"); \
    for (i = 0; i < sizeof(a) / sizeof((a)[0]); i++) \
        body \
} while (0)

static void lamina_present(const char *key)
{
    printf("%s\tdefined\n", key);
}

static void lamina_missing(const char *key)
{
    printf("%s\tMISSING\n", key);
}

int main(void)
{
EOF
    # Constants: integers, strings, type names. Macros with none of these
    # forms are only checked for existence.
    $AWK '
        FILENAME ~ /accepted/ { kind[$1, substr($0, 3)] = 1; next }
        $1 == "I" && (("I", substr($0, 3)) in kind) {
            e = substr($0, 3)
            printf "/*@const %s@*/ PROBE_INT(\"const %s\", %s);\n", e, e, e
        }
    ' "$work/accepted.lst" "$work/candidates.lst"
    $AWK '
        FILENAME ~ /accepted/ { kind[$1, $2] = 1; next }
        $1 == "O" && (("S", $2) in kind) {
            printf "/*@string %s@*/ lamina_str(\"string %s\", %s);\n", $2, $2, $2
            next
        }
        $1 == "O" && (("Y", $2) in kind) {
            printf "/*@type %s@*/ PROBE_TYPE(\"type %s\", %s);\n", $2, $2, $2
            next
        }
        $1 == "F" || ($1 == "O" && !(("I", $2) in kind)) {
            printf "#ifdef %s\n", $2
            printf "/*@macro %s@*/ lamina_present(\"macro %s\");\n", $2, $2
            printf "#else\n"
            printf "/*@macro %s@*/ lamina_missing(\"macro %s\");\n", $2, $2
            printf "#endif\n"
        }
    ' "$work/accepted.lst" "$work/macros.lst"
    # Aggregates, members, typedefs, enum types, guest handles, data tables.
    $AWK -F'|' '
        /^A / {
            t = substr($0, 3)
            printf "/*@aggregate %s@*/ PROBE_AGGREGATE(\"aggregate %s\", %s);\n", t, t, t
            next
        }
        /^M / {
            t = substr($1, 3)
            m = $2
            how = $3 == 1 ? "PROBE_FLEX_MEMBER" : "PROBE_MEMBER"
            printf "/*@member %s.%s@*/ %s(\"member %s.%s\", %s, %s);\n", t, m, how, t, m, t, m
            members[t] = members[t] " " m
            next
        }
        /^T / {
            t = substr($0, 3)
            printf "/*@typedef %s@*/ PROBE_TYPE(\"typedef %s\", %s);\n", t, t, t
            next
        }
        /^E / {
            t = substr($0, 3)
            printf "/*@enum %s@*/ PROBE_AGGREGATE(\"enum %s\", %s);\n", t, t, t
            next
        }
        /^H / {
            h = "XEN_GUEST_HANDLE(" substr($0, 3) ")"
            printf "/*@handle %s@*/ PROBE_AGGREGATE(\"handle %s\", %s);\n", h, h, h
            next
        }
        /^D / {
            t = substr($1, 3)
            a = $2
            n = split(members[t], ms, " ")
            line = sprintf("/*@data %s@*/ PROBE_TABLE(\"data %s\", %s, {", a, a, a)
            for (k = 1; k <= n; k++)
                line = line sprintf(" LAMINA_FIELD(\"data %s\", i, \"%s\", %s[i].%s);", \
                                    a, ms[k], a, ms[k])
            print line " });"
            next
        }
    ' "$work/parse.lst"
    echo "    return 0;"
    echo "}"
} > "$work/probe.c"
