#!/bin/sh
# run-events.sh: event-channel round trips and grant throughput, against floors of the same run.
# SPDX-License-Identifier: MIT
#
# Run from the top build directory after `make check` (which builds the
# guests and programs):  sh ../tests/bench/run-events.sh [ROUNDS]
# Needs root and /dev/kvm. Prints two tables, asserts nothing.
#
# Floors: `out` to an unused port and a null hypercall (xen_version),
# each timed in the pinging guest itself (in blocks: reading the clock
# costs about an exit, so every number here is a block's time divided by
# its length; "min" is the best block), and tests/bench/bare-exit (a
# bare KVM VM looping on `out`, no hypervisor at all). An event round
# trip needs at least two exits (a send each way) plus two interrupt
# deliveries and two wake-ups of a blocked vCPU, so ratios against the
# floor are what to compare across machines, not microseconds.
srcdir=${srcdir:-$(dirname "$0")/../..}
. "$srcdir/tests/integration/lib.sh"

rounds=${1:-2000}
peer=$lt_top/tests/guests/peer
smp=$lt_top/tests/guests/smp
grants=$lt_top/tests/guests/grants
dom0=$lt_top/tests/integration/evtchn-dom0
gbench=$lt_top/tests/bench/gnttab-bench
bare=$lt_top/tests/bench/bare-exit
lt_init run-events "$peer" "$smp" "$grants" "$dom0" "$gbench" "$bare"
lt_start_hv

# Guest <-> guest (A answers in its event handler; B times the round trips).
lt_cfg peer-a "$peer"
lt_cfg peer-b "$peer"
lt_guest peer-a "extra=\"role=a peer=2 count=$rounds\""
lt_wait_line peer-a 'peer-a: domid=' 60 || lt_finish
lt_guest peer-b "extra=\"role=b peer=$(lt_field domid) count=$rounds port=$(lt_field port) \
ro=$(lt_field ro) rw=$(lt_field rw) other=$(lt_field other) dom0port=$(lt_field dom0port)\""
lt_wait peer-b
lt_wait peer-a

# Guest <-> dom0 (the dom0 program answers; the guest times).
lt_cfg peer-d "$peer"
lt_guest peer-d "extra=\"role=d count=$rounds\""
lt_wait_line peer-d 'peer-d: domid=' 60 || lt_finish
lt_dom0 evtchn-dom0 "$dom0" "$(lt_field domid)" "$(lt_field port)" "$(lt_field foreign)" "$rounds"
lt_wait peer-d

# vCPU <-> vCPU inside one domain.
lt_cfg smp "$smp" "vcpus = 2"
lt_guest smp "extra=\"rounds=$((rounds / 2))\""
lt_wait smp

bare_line=$("$bare" 5000 2>&1)

# "<prefix>: time <what> n=.. mean_ns=.. min_ns=.. max_ns=.." -> "mean min" in microseconds
get() {
    grep -h ": time $2 " "$lt_tmp/$1.out" | head -n1 |
        sed -n 's/.*mean_ns=\([0-9]*\) min_ns=\([0-9]*\).*/\1 \2/p' |
        awk '{ printf "%.1f %.1f", $1 / 1000, $2 / 1000 }'
}

floor_out=$(get peer-b floor-out)
floor_hc=$(get peer-b floor-hypercall)
bare_mean=$(echo "$bare_line" | sed -n 's/.*mean \([0-9.]*\) us.*/\1/p')
floor_mean=${floor_out%% *}

echo
echo "Event channels (us; floor = one 'out' exit timed in the same guest: $floor_mean us)"
printf '%-34s %10s %10s %10s %8s\n' operation mean min floor ratio
row() {
    set -- "$1" $2
    [ $# -eq 3 ] || { printf '%-34s %10s\n' "$1" "(no data)"; return; }
    printf '%-34s %10s %10s %10s %8s\n' "$1" "$2" "$3" "$floor_mean" \
        "$(awk -v a="$2" -v b="$floor_mean" 'BEGIN { printf "%.1f", a / b }')"
}
row "out to an unused port (floor)" "$floor_out"
row "null hypercall (xen_version)" "$floor_hc"
row "clock read (gk_monotonic_ns)" "$(get peer-b clock-read)"
row "event round trip guest <-> guest" "$(get peer-b event-rtt)"
row "event round trip guest <-> dom0" "$(get peer-d event-rtt)"
row "IPI round trip vCPU 0 -> 1 -> 0" "$(get smp ipi-rtt-from-0)"
row "IPI round trip vCPU 1 -> 0 -> 1" "$(get smp ipi-rtt-from-1)"
echo "bare KVM exit loop, no hypervisor (tests/bench/bare-exit): ${bare_mean:-?} us mean"

# Grants: 256 pages of a guest, read by dom0.
lt_cfg grants "$grants"
lt_guest grants "extra=\"bench=256\""
if lt_wait_line grants 'grants: bench' 60; then
    echo
    "$gbench" "$(lt_field domid)" "$(lt_field port)" "$(lt_field first)" "$(lt_field pages)" 50 ||
        lt_fail "gnttab-bench failed"
fi
lt_wait grants
lt_finish
