#!/bin/sh
# hostile.sh: a guest abusing the netif protocol cannot disturb lamina-netback's other vifs.
# SPDX-License-Identifier: MIT
#
# net-echo (10.77.0.1) and a good nettest guest (mode=loop: ping, UDP and
# TCP echo against net-echo over and over) share switch "lan" with
# tests/netfront/nethostile, which drives its own vif with hand-made rings:
# malformed packets (short, crossing pages, bad offsets, unknown, foreign
# and revoked grants, too many slots, bad extra info and GSO, blank
# checksums without a header, repeated ids), receive buffers with bad
# grants, floods of notifications and random slots, and ring index games
# that must make the backend close its vif (it reconnects after each).
# The good guest must pass every round before, during and after, its vif
# must stay Connected, and lamina-netback's daemon must still run.
. "${srcdir:-.}/tests/netfront/lib.sh"

nt=$lt_top/tests/netfront/nettest
nh=$lt_top/tests/netfront/nethostile
echo_kernel=$lt_top/guest-kit/examples/net-echo/net-echo
nf_init netfront-hostile "$nt" "$nh" "$echo_kernel"

lt_cfg srv "$echo_kernel" "vif = [ 'switch=lan' ]" 'cmdline = "ip=10.77.0.1/24"'
lt_cfg good "$nt" "vif = [ 'switch=lan' ]"
lt_cfg bad "$nh" "vif = [ 'switch=lan' ]"
lt_guest srv
lt_wait_line srv 'answers ping' 60 || lt_finish
lt_guest good 'extra="mode=loop ip=10.77.0.2/24 peer=10.77.0.1 pings=2 udp=4 tcp=8192"'
lt_wait_line good '^LOOP round=0 ok' 60 || lt_finish
daemon=$(nf_netback_pid)

lt_guest bad 'extra="ip=10.77.0.9 peer=10.77.0.1 fuzz=100"'
lt_wait bad
[ "$lt_rc" -eq 0 ] || lt_fail "nethostile exited with $lt_rc"
before=$(grep -ac '^LOOP round=[0-9]* ok' "$lt_tmp/good.out")
for what in 'a valid frame is sent' \
    '13 malformed packets answered with errors' \
    'two packets with one id' \
    '2000 notifications for nothing' \
    'rx buffers with unknown, foreign, read-only and revoked grants answered with errors' \
    'good rx buffers afterwards' \
    'tx req_prod 1000 ahead: the backend closed the vif' \
    'reconnected after tx req_prod 1000 ahead' \
    'tx req_prod moved backwards: the backend closed the vif' \
    'reconnected after tx req_prod moved backwards' \
    'a packet continuing past req_prod: the backend closed the vif' \
    'reconnected after a packet continuing past req_prod' \
    '21 data slots: the backend closed the vif' \
    'reconnected after 21 data slots' \
    'rx req_prod 1000 ahead: the backend closed the vif' \
    'reconnected after rx req_prod 1000 ahead' \
    'fuzz: 100 rounds'; do
    lt_expect bad "^PASS $what"
done
lt_expect bad '^nethostile: done, 0 failures'
lt_no_fail bad

# The good guest carries on after the hostile one is gone.
lt_wait_line good "^LOOP round=$before ok" 60
nf_list good
awk 'NR == 2 && $5 == 4 { ok = 1 } END { exit !ok }' "$lt_tmp/list.out" ||
    lt_fail "the good guest's vif is not Connected: $(cat "$lt_tmp/list.out")"
[ -n "$daemon" ] && kill -0 "$daemon" 2>/dev/null || lt_fail "lamina-netback's daemon is gone"
grep -q "broke the ring protocol" "$LAMINA_LOGDIR/netback.log" ||
    lt_fail "netback.log does not report the broken rings"

# The good guest first: without its peer, a round in progress would wait for timeouts.
nf_shutdown good
nf_shutdown srv
lt_no_fail good
rounds=$(grep -ac '^LOOP round=[0-9]* ok' "$lt_tmp/good.out")
total=$(grep -ac '^LOOP round=' "$lt_tmp/good.out")
[ "$rounds" -ge 2 ] || lt_fail "the good guest passed only $rounds round(s)"
echo "good guest: $rounds rounds passed beside the hostile one"
grep -aE '^PASS|^nethostile:' "$lt_tmp/bad.out"
lt_finish
