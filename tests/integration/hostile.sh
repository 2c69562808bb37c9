#!/bin/sh
# hostile.sh: a guest throwing random hypercalls cannot crash or wedge lamina-hv.
# SPDX-License-Identifier: MIT
#
# tests/guests/hostile.c (two vCPUs, the second one for VCPUOP_initialise,
# _up and _down to play with) runs alongside a normal domain that keeps
# ping-ponging with a dom0 program. Afterwards lamina-hv must still answer,
# the normal domain must have finished cleanly, and the hostile one must
# have finished, or crashed only after most of its calls. The seed is
# fixed (LAMINA_HOSTILE_SEEDS overrides) so a failure can be replayed.
. "${srcdir:-.}/tests/integration/lib.sh"

hostile=$lt_top/tests/guests/hostile
peer=$lt_top/tests/guests/peer
dom0=$lt_top/tests/integration/evtchn-dom0
seeds=${LAMINA_HOSTILE_SEEDS:-"1 2"}
calls=${LAMINA_HOSTILE_CALLS:-4000}
lt_init hostile "$hostile" "$peer" "$dom0"
lt_start_hv
hvpid=$(cat "$LAMINA_RUNDIR/lamina-hv.pid")

lt_cfg victim "$peer"
for seed in $seeds; do
    lt_guest victim "extra=\"role=d count=2000\""
    lt_wait_line victim 'peer-d: domid=' 60 || break
    victim=$(lt_field domid)
    vport=$(lt_field port)
    foreign=$(lt_field foreign)
    lt_cfg hostile-$seed "$hostile" "vcpus = 2"
    lt_guest hostile-$seed "extra=\"seed=$seed calls=$calls victim=$victim vport=$vport\""
    lt_dom0 evtchn-dom0-$seed "$dom0" "$victim" "$vport" "$foreign" 2000
    lt_wait victim
    [ "$lt_rc" -eq 0 ] || lt_fail "seed $seed: the victim exited with $lt_rc"
    grep -q '^PASS ping-pong 2000 round trips' "$lt_tmp/victim.out" ||
        lt_fail "seed $seed: the victim's ping-pong did not finish"
    cp "$lt_tmp/victim.out" "$lt_tmp/victim-$seed.out"
    lt_wait hostile-$seed
    out=$lt_tmp/hostile-$seed.out
    if grep -aqE "hostile: done, 0 failures" "$out"; then
        grep -aqE "hostile: completed $calls calls" "$out" ||
            lt_fail "seed $seed: the hostile guest did not complete its calls"
        [ "$lt_rc" -eq 0 ] || lt_fail "seed $seed: hostile guest finished, but exited $lt_rc"
    else
        # It may have crashed itself; it must have got far, and crashed cleanly.
        last=$(grep -aoE 'hostile: progress [0-9]+' "$out" | tail -n1 | awk '{ print $3 }')
        grep -aq "crashed" "$out" ||
            lt_fail "seed $seed: the hostile guest neither finished nor crashed"
        [ "${last:-0}" -ge $((calls * 8 / 10)) ] ||
            lt_fail "seed $seed: the hostile guest stopped after ${last:-0} of $calls calls"
    fi
    grep -aqE 'FAIL line [0-9]+: ' "$out" &&
        lt_fail "seed $seed: the hostile guest got at the victim"
    kill -0 "$hvpid" 2>/dev/null || { lt_fail "seed $seed: lamina-hv died"; break; }
    timeout 20 "$lt_lamina" list > "$lt_tmp/list.out" 2>&1 || {
        lt_fail "seed $seed: lamina-hv does not answer"; cat "$lt_tmp/list.out"; break; }
    grep -qE '^(hostile|victim)' "$lt_tmp/list.out" &&
        lt_fail "seed $seed: a domain is left over: $(cat "$lt_tmp/list.out")"
    # One line of statistics: calls and successes per family.
    grep -aoE 'hostile: +[a-z/]+ +[0-9]+ calls, +[0-9]+ succeeded' "$out" |
        awk '{ printf "%s %s/%s ", $2, $5, $3 } END { print "" }' | sed "s/^/hostile seed $seed: /"
done
lt_finish
