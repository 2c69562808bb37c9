#!/bin/sh
# run-bench.sh: blkfront throughput: a guest's 4 KiB random and 1 MiB sequential I/O, and the
# same patterns from a host process with io_uring on the same image.
# SPDX-License-Identifier: MIT
#
# From the top build directory, after make check built the programs:
#     sh ../tests/blkfront/run-bench.sh [SECONDS [IMAGE_MB [DIR]]]
# SECONDS per phase (3), an image of IMAGE_MB (512, written out so that reads
# hit real blocks) in DIR (a temporary directory; pick one on the file
# system to measure). tests/blkfront/blkbench runs the four phases through
# blkfront and lamina-blkback (32 4 KiB I/Os in flight, 4 of 1 MiB); the
# worker process serving the disk is sampled (utime + stime from
# /proc/<pid>/stat) at each phase's begin and end. Then
# tests/blkfront/blk-uring issues the same patterns with O_DIRECT. Guest
# instructions run under KVM's emulator on the project's machines: the
# in-guest floor (a port exit and a null hypercall, measured in the same
# guest) is printed with the numbers; only ratios carry over.
srcdir=${srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$srcdir/tests/integration/lib.sh"

secs=${1:-3}
mb=${2:-512}
bench=$lt_top/tests/blkfront/blkbench
uring=$lt_top/tests/blkfront/blk-uring
lt_init blkfront-bench "$bench" "$uring"
dir=${3:-$lt_tmp}
img=$dir/blkbench-$$.img
trap 'rm -f "$img"; lt_cleanup' EXIT
lt_start_hv

echo "blkfront bench: writing a $mb MiB image at $img"
dd if=/dev/zero of="$img" bs=1M count="$mb" oflag=direct status=none ||
    { echo "cannot write $img" >&2; exit 1; }
lt_cfg bench "$bench" "disk = [ \"$img,raw,xvda,rw\" ]"
lt_guest bench memory=64 "extra=\"secs=$secs\""
lt_wait_line bench '^blkbench: disk' 60 || lt_finish
domid=$("$lt_lamina" domid bench 2>/dev/null)
worker=$(sed -n "s/.*vbd $domid\/51712: worker \([0-9]*\) started.*/\1/p" \
    "$LAMINA_LOGDIR/blkback.log" | tail -n1)
hz=$(getconf CLK_TCK)

# cpu_ticks PID: utime + stime of the process (all its threads).
cpu_ticks() {
    awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null || echo 0
}

for phase in randread randwrite seqread seqwrite; do
    lt_wait_line bench "^PHASE $phase begin" $((secs * 10 + 60)) || break
    c0=$(cpu_ticks "$worker")
    lt_wait_line bench "^PHASE $phase end" $((secs * 10 + 60)) || break
    c1=$(cpu_ticks "$worker")
    eval "cpu_$phase=$((c1 - c0))"
done
lt_wait bench
[ "$lt_rc" -eq 0 ] || lt_fail "blkbench exited with $lt_rc"
"$uring" "$img" "$secs" > "$lt_tmp/host.out" 2>&1 || lt_fail "blk-uring: $(cat "$lt_tmp/host.out")"

echo
grep -a '^blkbench: disk' "$lt_tmp/bench.out"
printf '%-10s %14s %14s %9s %12s   %s\n' phase guest host guest/host "worker CPU" \
    "guest requests, notifies, events"
for phase in randread randwrite seqread seqwrite; do
    g=$(grep -a "^PHASE $phase end" "$lt_tmp/bench.out")
    h=$(grep -a "^HOST $phase " "$lt_tmp/host.out")
    [ -n "$g" ] && [ -n "$h" ] || continue
    field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
    eval "ticks=\${cpu_$phase:-0}"
    case $phase in
    rand*) unit=IOPS; gv=$(field "$g" iops); hv=$(field "$h" iops) ;;
    *) unit=MB/s; gv=$(($(field "$g" kib_per_s) * 1024 / 1000000));
       hv=$(($(field "$h" kib_per_s) * 1024 / 1000000)) ;;
    esac
    ns=$(field "$g" ns)
    awk -v p="$phase" -v g="$gv" -v h="$hv" -v u="$unit" -v t="$ticks" -v hz="$hz" -v ns="$ns" \
        -v r="$(field "$g" requests)" -v n="$(field "$g" notifies)" -v e="$(field "$g" events)" \
        'BEGIN { printf "%-10s %9d %-4s %9d %-4s %9.4f %10.1f %%   %s, %s, %s\n", p, g, u, h, u,
                 h ? g / h : 0, ns ? 100 * t / hz / (ns / 1e9) : 0, r, n, e }'
done
echo
grep -aE '^blkbench: time (floor|clock)' "$lt_tmp/bench.out"
lt_finish
