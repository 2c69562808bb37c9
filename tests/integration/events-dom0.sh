#!/bin/sh
# events-dom0.sh: a guest and a dom0 program (xenevtchn) ping-pong; dom0-side isolation.
# SPDX-License-Identifier: MIT
. "${srcdir:-.}/tests/integration/lib.sh"

peer=$lt_top/tests/guests/peer
dom0=$lt_top/tests/integration/evtchn-dom0
count=1000
lt_init events-dom0 "$peer" "$dom0"
lt_start_hv

lt_cfg peer-d "$peer"
lt_guest peer-d "extra=\"role=d count=$count\""
if lt_wait_line peer-d 'peer-d: domid=' 60; then
    lt_dom0 evtchn-dom0 "$dom0" "$(lt_field domid)" "$(lt_field port)" "$(lt_field foreign)" \
        "$count"
fi
lt_wait peer-d
[ "$lt_rc" -eq 0 ] || lt_fail "peer-d: lamina create exited with $lt_rc"

lt_expect peer-d "^PASS ping-pong $count round trips"
lt_expect peer-d '^PASS console ring drained on every kick'
lt_expect peer-d '^PASS a notify right before dom0 closes arrives'
for k in 1 2 3; do
    lt_expect peer-d "^peer-d: console ring line $k\$"
done
lt_expect peer-d '^peer-d: done, 0 failures'
lt_expect evtchn-dom0 "^PASS dom0 answered $count events"
lt_expect evtchn-dom0 '^PASS dom0 isolation'
lt_expect evtchn-dom0 '^evtchn-dom0: done, 0 failures'
lt_no_fail peer-d
grep -E 'time (event-rtt|floor)' "$lt_tmp/peer-d.out"
lt_finish
