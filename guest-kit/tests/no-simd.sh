#!/bin/sh
# no-simd.sh: guest code must not contain instructions KVM's emulator cannot run.
# SPDX-License-Identifier: MIT
#
# Run by `make check` from the top build directory, with the files to check
# as arguments or, without any, guest-kit's own. SSE/AVX/x87, their state
# save/restore and cmpxchg16b end the domain with a KVM internal error.
set -u

objdump=${OBJDUMP:-objdump}
files=${*:-"guest-kit/libguest-kit.a guest-kit/examples/hello/hello guest-kit/examples/crash/crash
       guest-kit/tests/selftest"}
# Register names, x87 and state-saving mnemonics, SSE moves, cmpxchg16b.
pattern='%[xyz]mm[0-9]|%mm[0-7]|%st(\(|$|,)|mxcsr|movap|movup|movdq|cmpxchg16b|emms'
pattern="$pattern"'|(^|[^a-z])f(ld|st|ild|ist|x?save|x?rstor|init|wait|nstenv|ldenv)'
pattern="$pattern"'|(^|[^a-z])x(save|rstor)'
status=0

for f in $files; do
    if [ ! -e "$f" ]; then
        echo "no-simd: $f is missing (build it first)" >&2
        exit 99
    fi
    # The instruction column only: symbol names in <...> must not match.
    bad=$("$objdump" -d --no-show-raw-insn "$f" |
          awk -F'\t' 'NF >= 2 && $1 ~ /^ *[0-9a-f]+:$/ {
                         sub(/<[^>]*>/, "", $2); print $1 "\t" $2 }' |
          grep -E "$pattern")
    if [ -n "$bad" ]; then
        echo "no-simd: $f contains instructions KVM's emulator cannot run:" >&2
        echo "$bad" | head -20 >&2
        status=1
    fi
done
[ $status -eq 0 ] && echo "no-simd: no SSE/AVX/x87/cmpxchg16b in:" $files
exit $status
