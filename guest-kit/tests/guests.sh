#!/bin/sh
# guests.sh: boots the guest-kit examples and self-test on a private lamina-hv.
# SPDX-License-Identifier: MIT
#
# Run by `make check` from the top build directory. Needs /dev/kvm (root);
# skipped (exit 77) without it. Each guest is created with the real CLI
# (`lamina create <cfg> -c`), its console output checked line by line.
set -u

top=$(pwd)
srcdir=${srcdir:-.}
hv=$top/hypervisor/lamina-hv
lamina=$top/dom0-tools/lamina

if [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
    echo "guests: /dev/kvm is not usable here (not root?): skipped"
    exit 77
fi
for f in "$hv" "$lamina" guest-kit/examples/hello/hello guest-kit/examples/crash/crash \
         guest-kit/tests/selftest; do
    if [ ! -x "$f" ]; then
        echo "guests: $f is missing: build it first" >&2
        exit 99
    fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/guest-kit-test.XXXXXX") || exit 99
LAMINA_RUNDIR=$tmp/run
LAMINA_LOGDIR=$tmp/log
export LAMINA_RUNDIR LAMINA_LOGDIR
mkdir -p "$LAMINA_RUNDIR" "$LAMINA_LOGDIR"

stop_hv() {
    "$srcdir/tests/stop-daemons.sh" "$LAMINA_RUNDIR"
}
trap 'stop_hv; rm -rf "$tmp"' EXIT
trap 'exit 99' INT TERM

"$hv" || { echo "guests: lamina-hv did not start" >&2; exit 99; }

status=0
fail() {
    echo "FAIL: $*" >&2
    status=1
}

# boot NAME CONFIG KEY=VALUE...: runs one guest; its output lands in $tmp/NAME.out,
# the CLI's exit status in $rc and the time from start to exit in $ms.
boot() {
    name=$1
    cfg=$2
    shift 2
    start=$(date +%s%N)
    timeout 60 "$lamina" create -q "$cfg" "$@" -c > "$tmp/$name.out" 2>&1
    rc=$?
    ms=$(( ($(date +%s%N) - start) / 1000000 ))
}

# expect NAME TEXT: the guest printed a line that is exactly TEXT.
expect() {
    grep -qxF -- "$2" "$tmp/$1.out" || fail "$1: no line \"$2\""
}

kernel() {
    printf 'kernel="%s"' "$top/$1"
}

# The example exactly as shipped, but with the kernel from this build directory.
boot hello "$srcdir/guest-kit/examples/hello/hello.cfg" "$(kernel guest-kit/examples/hello/hello)"
[ $rc -eq 0 ] || fail "hello: lamina create exited with $rc"
expect hello "Command line: greeting=hi"
grep -qE '^Hello from Lamina domain [0-9]+$' "$tmp/hello.out" ||
    fail "hello: no \"Hello from Lamina domain <id>\" line"
grep -qE '^Xen version [0-9]+\.[0-9]+' "$tmp/hello.out" || fail "hello: no version line"
echo "guests: hello ran in $ms ms (create to exit)"

# selftest.c expects exactly these arguments.
cat > "$tmp/selftest.cfg" <<'EOF'
name = "selftest"
type = "pvh"
memory = 32
cmdline = "one \"two words\" 'it''s' a\\ b"
EOF
boot selftest "$tmp/selftest.cfg" "$(kernel guest-kit/tests/selftest)"
[ $rc -eq 0 ] || fail "selftest: lamina create exited with $rc"
grep -q '^selftest: all [0-9]* checks passed$' "$tmp/selftest.out" || fail "selftest failed"

for how in divide pagefault panic assert exit; do
    boot "crash-$how" "$srcdir/guest-kit/examples/crash/crash.cfg" \
        "$(kernel guest-kit/examples/crash/crash)" "cmdline=\"$how\""
    [ $rc -ne 0 ] || fail "crash $how: lamina create exited with 0"
    grep -q "domain 'crash' (id [0-9]*) crashed" "$tmp/crash-$how.out" ||
        fail "crash $how: the domain did not crash"
done
expect crash-divide "*** exception 0 (#DE divide error), error code 0 ***"
expect crash-pagefault "*** exception 14 (#PF page fault), error code 0 ***"
grep -q '^cr2 0000100000000000 ' "$tmp/crash-pagefault.out" || fail "crash pagefault: wrong cr2"
grep -q '^backtrace' "$tmp/crash-divide.out" || fail "crash divide: no backtrace"
expect crash-panic "panic: asked to panic"
grep -q 'assertion "zero == 1" failed$' "$tmp/crash-assert.out" || fail "crash assert: no message"
expect crash-exit "exit status 3"

if [ $status -ne 0 ]; then
    for f in "$tmp"/*.out; do
        echo "--- $(basename "$f")"
        cat "$f"
    done
fi
exit $status
