#!/bin/sh
# run-boot.sh: issue-2 benchmark: boot/teardown times and the hypercall round
# trip, against a bare KVM port-I/O exit measured in the same run.
# Usage: tests/bench/run-boot.sh [BUILDDIR]   (default: ./_build)
set -e
build=$(cd "${1:-_build}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/lamina-bench.XXXXXX)
export LAMINA_RUNDIR=$work/run LAMINA_LOGDIR=$work/log
cleanup() {
    "$here/../stop-daemons.sh" "$LAMINA_RUNDIR"
    rm -rf "$work"
}
trap cleanup EXIT

"$build/hypervisor/lamina-hv"
floor=$("$build/tests/bench/bare-exit" 5000)
boot=$("$build/tests/bench/boot-bench" "$build/guest-kit/examples/hello/hello" 20)
hc=$("$build/dom0-tools/lamina" create -q -c "$here/hcall-bench.cfg" \
     kernel=\""$build/tests/bench/hcall-bench"\")
echo "$floor"
echo "$boot"
echo "$hc" | grep -v '^BENCH'
floor_us=$(echo "$floor" | sed -n 's/.*best \([0-9.]*\) us.*/\1/p')
hc_ns=$(echo "$hc" | sed -n 's/^BENCH hcall_ns=\([0-9]*\).*/\1/p')
out_ns=$(echo "$hc" | sed -n 's/^BENCH.*out_ns=\([0-9]*\).*/\1/p')
awk -v f="$floor_us" -v h="$hc_ns" -v o="$out_ns" 'BEGIN {
    printf "ratio xen_version / bare exit (minimal VM): %.2f\n", h / 1000 / f
    printf "ratio in-guest port exit / bare exit:       %.2f\n", o / 1000 / f
}'
