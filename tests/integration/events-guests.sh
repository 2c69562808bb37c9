#!/bin/sh
# events-guests.sh: two guest-kit domains: event ping-pong, grant copies, isolation, exhaustion.
# SPDX-License-Identifier: MIT
#
# Domain A offers B a port and grants; the script reads them from A's
# console and hands them to B on its command line (tests/guests/peer.c).
# A must name B's domid before B exists: on a private hypervisor domids
# are handed out in order, so B is A + 1, which is checked once B runs.
. "${srcdir:-.}/tests/integration/lib.sh"

peer=$lt_top/tests/guests/peer
count=1000
lt_init events-guests "$peer"
lt_start_hv

lt_cfg peer-a "$peer"
lt_cfg peer-b "$peer"
# A's id is the first the hypervisor gives out: 1.
lt_guest peer-a "extra=\"role=a peer=2 count=$count\""
if lt_wait_line peer-a 'peer-a: domid=' 60; then
    a=$(lt_field domid)
    [ "$a" = 1 ] || lt_fail "domain A got id $a, not 1"
    lt_guest peer-b "extra=\"role=b peer=$a count=$count port=$(lt_field port) ro=$(lt_field ro) \
rw=$(lt_field rw) other=$(lt_field other) dom0port=$(lt_field dom0port)\""
    lt_wait_line peer-b 'peer-b: time' 60 && {
        b=$("$lt_lamina" list peer-b | awk 'NR == 2 { print $2 }')
        [ "$b" = 2 ] || lt_fail "domain B got id $b, not 2: the rendezvous named the wrong domain"
    }
    lt_wait peer-b
    [ "$lt_rc" -eq 0 ] || lt_fail "peer-b: lamina create exited with $lt_rc"
fi
lt_wait peer-a
[ "$lt_rc" -eq 0 ] || lt_fail "peer-a: lamina create exited with $lt_rc"

lt_expect peer-b "^PASS ping-pong $count round trips"
lt_expect peer-b '^PASS grant copies and isolation between guests'
lt_expect peer-b '^PASS grant exhaustion after [0-9]+ grants'
lt_expect peer-b '^peer-b: done, 0 failures'
lt_expect peer-a '^PASS grants seen by the granter'
lt_expect peer-a '^PASS port exhaustion after [0-9]+ ports'
lt_expect peer-a '^peer-a: done, 0 failures'
lt_no_fail peer-a
lt_no_fail peer-b
grep -E 'time (event-rtt|floor)' "$lt_tmp/peer-b.out"
lt_finish
