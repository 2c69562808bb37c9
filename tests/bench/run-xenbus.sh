#!/bin/sh
# run-xenbus.sh: issue-4 benchmark, the guest side: xenstore reads, writes and
# watch round trips from a guest-kit guest, with 1, 100 and 1000 domains
# introduced to the one lamina-xenstored, against the null hypercall and port
# exit floors measured in the same guest. (The dom0 side, over the socket with
# 1..1000 introduced fake domains: tests/bench/xs-bench.)
#
# Usage: tests/bench/run-xenbus.sh [BUILDDIR] [COUNTS]
#   BUILDDIR defaults to ./_build (after `make check` built the test guests);
#   COUNTS to "1 100 1000" (domains introduced while the guest measures: the
#   guest itself plus paused filler domains). Needs root and /dev/kvm.
set -e
build=$(cd "${1:-_build}" && pwd)
counts=${2:-1 100 1000}
here=$(cd "$(dirname "$0")" && pwd)
guest=$build/tests/guests/xenbus
filler=$build/guest-kit/examples/hello/hello
lamina=$build/dom0-tools/lamina
[ -x "$guest" ] || { echo "run-xenbus: $guest is not built (make check builds it)" >&2; exit 1; }
work=$(mktemp -d /tmp/lamina-xbbench.XXXXXX)
export LAMINA_RUNDIR=$work/run LAMINA_LOGDIR=$work/log
cleanup() {
    "$here/../stop-daemons.sh" "$LAMINA_RUNDIR"
    rm -rf "$work"
}
trap cleanup EXIT
ulimit -n 65536 2>/dev/null || true

cat > "$work/filler.cfg" <<EOF
type = "pvh"
kernel = "$filler"
memory = 8
on_poweroff = "destroy"
EOF
cat > "$work/xb.cfg" <<EOF
name = "xb"
type = "pvh"
kernel = "$guest"
memory = 32
EOF

printf '%-8s %-22s %10s %10s %10s\n' domains operation mean_us min_us ops/s
for n in $counts; do
    "$here/../stop-daemons.sh" "$LAMINA_RUNDIR"
    rm -rf "$LAMINA_RUNDIR"
    mkdir -p "$LAMINA_RUNDIR" "$LAMINA_LOGDIR"
    "$build/hypervisor/lamina-hv"
    i=1
    while [ "$i" -lt "$n" ]; do
        "$lamina" create -q -p "$work/filler.cfg" "name=\"filler$i\"" ||
            { echo "run-xenbus: creating filler domain $i failed" >&2; exit 1; }
        i=$((i + 1))
    done
    out=$("$lamina" create -q -c "$work/xb.cfg" 'extra="name=xb count=300"')
    if ! echo "$out" | grep -q '^xenbus: done, 0 failures'; then
        echo "$out" >&2
        echo "run-xenbus: the guest reported failures" >&2
        exit 1
    fi
    echo "$out" | sed -n 's/^xenbus: time \([a-z-]*\) n=[0-9]* mean_ns=\([0-9]*\) min_ns=\([0-9]*\).*/\1 \2 \3/p' |
        while read -r what mean min; do
            awk -v n="$n" -v w="$what" -v m="$mean" -v mi="$min" 'BEGIN {
                printf "%-8d %-22s %10.1f %10.1f %10.0f\n", n, w, m / 1000, mi / 1000, 1e9 / m }'
        done
done
