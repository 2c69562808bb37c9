#!/bin/sh
# headers-check.sh: every pv-abi/xen header compiles on its own, for guests and for hosts.
# SPDX-License-Identifier: MIT
#
# Environment: CC, top_srcdir (absolute), ABI_WORKDIR (scratch dir),
# GUEST_CFLAGS (configure's freestanding guest flags), WARN_CFLAGS.
# Each header is included twice (to exercise its guard) into an otherwise
# empty file and compiled:
#   - freestanding, as guest-kit code is built (-nostdinc, gcc's own headers);
#   - hosted, as strict ISO C11 with -pedantic-errors and -Wundef.
# Also checks the layout rules tests/abi relies on and the house style:
# first-line description, SPDX line, guard name derived from the path,
# no tabs, lines of at most 100 columns.
set -eu

: "${CC:=cc}"
: "${GUEST_CFLAGS:=-ffreestanding -nostdinc -isystem $($CC -print-file-name=include)}"
: "${WARN_CFLAGS:=-Wall -Wextra -Werror}"
top_srcdir=${top_srcdir:?top_srcdir must be set}
work=${ABI_WORKDIR:?ABI_WORKDIR must be set}
pvabi=$top_srcdir/pv-abi

rm -rf "$work"
mkdir -p "$work"
failed=0
count=0

for h in $(cd "$pvabi" && find xen -name '*.h' | LC_ALL=C sort); do
    count=$((count + 1))
    f=$pvabi/$h
    guard=$(echo "$h" | sed -e 's|^xen/||' -e 's|\.h$||' -e 's|[/.-]|_|g' | tr 'a-z' 'A-Z')
    guard="__LAMINA_XEN_PUBLIC_${guard}_H__"

    problems=$(awk -v h="$h" -v guard="$guard" '
        FNR == 1 && index($0, "/* " h ": ") != 1 {
            print "line 1 must be \"/* " h ": <what it is> */\""
        }
        FNR == 2 && $0 != "/* SPDX-License-Identifier: MIT */" {
            print "line 2 must be the SPDX line"
        }
        /\t/ { print FNR ": tab character" }
        length($0) > 100 { print FNR ": longer than 100 columns" }
        /^#ifndef / && !seen_guard {
            seen_guard = 1
            if ($2 != guard)
                print "include guard must be " guard
        }
        END { if (!seen_guard) print "no include guard" }
    ' "$f")
    if [ -n "$problems" ]; then
        echo "FAIL: $h:"
        echo "$problems" | sed 's/^/    /'
        failed=$((failed + 1))
    fi

    if ! awk -v p="pv-abi/$h" '{ for (i = 1; i <= NF; i++) if ($i == p) found = 1 }
            END { exit !found }' "$pvabi/local.mk"; then
        echo "FAIL: $h is not listed in pv-abi/local.mk (it would not be installed)"
        failed=$((failed + 1))
    fi

    printf '#include <%s>\n#include <%s>\nextern int lamina_header_check;\n' "$h" "$h" > "$work/t.c"
    # shellcheck disable=SC2086 # the flag variables are lists of words
    if ! $CC -std=gnu11 $GUEST_CFLAGS $WARN_CFLAGS -Werror -I"$pvabi" -fsyntax-only \
            "$work/t.c" > "$work/err" 2>&1; then
        echo "FAIL: $h does not compile freestanding (guest flags):"
        sed 's/^/    /' "$work/err"
        failed=$((failed + 1))
    fi
    # shellcheck disable=SC2086
    if ! $CC -std=c11 -pedantic-errors $WARN_CFLAGS -Werror -Wundef -I"$pvabi" -fsyntax-only \
            "$work/t.c" > "$work/err" 2>&1; then
        echo "FAIL: $h does not compile hosted as strict C11:"
        sed 's/^/    /' "$work/err"
        failed=$((failed + 1))
    fi
done

rm -rf "$work"
echo "$count pv-abi headers: each compiled freestanding and hosted, $failed failures"
[ $failed -eq 0 ]
