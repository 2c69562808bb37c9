#!/bin/sh
# ring-check.sh: the ring and helper macros behave exactly like Xen's (ring-semantics.c).
# SPDX-License-Identifier: MIT
#
# Environment: CC, top_srcdir (absolute), ABI_WORKDIR (scratch dir),
# WARN_CFLAGS, optionally XEN_INCLUDE (default /usr/include).
# Builds ring-semantics.c against pv-abi (with the project's warnings, and
# pv-abi's default barriers) and against Xen's headers, in both flavours of
# RING_HAS_UNCONSUMED_*, and requires identical logs.
set -eu

: "${CC:=cc}"
: "${WARN_CFLAGS:=-Wall -Wextra -Werror}"
: "${XEN_INCLUDE:=/usr/include}"
top_srcdir=${top_srcdir:?top_srcdir must be set}
work=${ABI_WORKDIR:?ABI_WORKDIR must be set}
src=$top_srcdir/tests/abi/ring-semantics.c

if [ ! -f "$XEN_INCLUDE/xen/io/ring.h" ]; then
    echo "SKIP: libxen-dev headers not installed (apt-get install libxen-dev)"
    exit 77
fi
xen_inc=
[ "$XEN_INCLUDE" = /usr/include ] || xen_inc="-I$XEN_INCLUDE"

rm -rf "$work"
mkdir -p "$work"
for flavour in count bool; do
    extra=
    [ $flavour = count ] || extra=-DXEN_RING_HAS_UNCONSUMED_IS_BOOL
    # shellcheck disable=SC2086 # the flag variables are lists of words
    $CC -std=gnu11 $WARN_CFLAGS -Werror $extra -DLAMINA_ABI_PV -I"$top_srcdir/pv-abi" \
        -o "$work/ring-pv" "$src" ||
        { echo "FAIL: ring-semantics.c does not build against pv-abi"; exit 1; }
    # shellcheck disable=SC2086
    $CC -std=gnu11 -w $extra -D__XEN_TOOLS__ $xen_inc -o "$work/ring-xen" "$src" ||
        { echo "FAIL: ring-semantics.c does not build against Xen's headers"; exit 99; }
    "$work/ring-pv" > "$work/pv-$flavour.log"
    "$work/ring-xen" > "$work/xen-$flavour.log"
    if ! cmp -s "$work/pv-$flavour.log" "$work/xen-$flavour.log"; then
        echo "FAIL: ring macros ($flavour flavour) behave differently from Xen's:"
        diff "$work/xen-$flavour.log" "$work/pv-$flavour.log" | head -40
        echo "(logs kept in $work)"
        exit 1
    fi
    lines=$(wc -l < "$work/pv-$flavour.log")
    echo "ring macros ($flavour flavour): $lines log lines identical to Xen's"
done
rm -rf "$work"
