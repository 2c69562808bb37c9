#!/bin/sh
# switch.sh: guest-kit guests talking over lamina-netback's built-in switch.
# SPDX-License-Identifier: MIT
#
# Three guests on switch "lan": the net-echo example (10.77.0.1) and two
# tests/netfront/nettest clients, one with split event channels (the
# default), one with a single channel and reached as bridge=lamina:lan. Each
# client pings net-echo (ICMP echo of 8 to 1472 bytes, payload compared),
# sends it UDP datagrams of 1 to 1472 bytes and a TCP stream, comparing every
# echoed byte, and exchanges raw frames of 1515 to 65535 bytes with the other
# client (several ring slots each way, compared on both sides).
. "${srcdir:-.}/tests/netfront/lib.sh"

nt=$lt_top/tests/netfront/nettest
echo_kernel=$lt_top/guest-kit/examples/net-echo/net-echo
nf_init netfront-switch "$nt" "$echo_kernel"

lt_cfg srv "$echo_kernel" "vif = [ 'switch=lan' ]" 'cmdline = "ip=10.77.0.1/24"'
lt_cfg b "$nt" "vif = [ 'mac=00:16:3e:77:00:02,switch=lan' ]"
lt_cfg c "$nt" "vif = [ 'mac=00:16:3e:77:00:03,bridge=lamina:lan' ]"
lt_guest srv
lt_wait_line srv 'answers ping' 60 || lt_finish
lt_guest b 'extra="ip=10.77.0.2/24 peer=10.77.0.1 jumbo=00:16:3e:77:00:03 tcp=65536"'
lt_guest c 'extra="ip=10.77.0.3/24 peer=10.77.0.1 single=1 jumbo=00:16:3e:77:00:02"'
lt_wait_line b '^nettest: tests done' 120
lt_wait_line c '^nettest: tests done' 120

nf_list b
awk '$1 == 0 && $3 == "00:16:3e:77:00:02" && $5 == 4 { ok = 1 } END { exit !ok }' \
    "$lt_tmp/list.out" ||
    lt_fail "network-list b does not show vif 0 connected: $(cat "$lt_tmp/list.out")"

nf_shutdown b c srv
for g in b c; do
    lt_expect $g '^PASS vif 0: ping: 4 echo replies'
    lt_expect $g '^PASS vif 0: UDP echo: 12 datagrams'
    lt_expect $g '^PASS vif 0: TCP echo: 1 connection'
    lt_expect $g '^PASS vif 0: jumbo frames: 8 of 1515 to 65535 bytes echoed intact'
    lt_expect $g '^nettest: done, 0 failures'
    lt_no_fail $g
done
lt_expect b 'split event channels'
lt_expect c 'one event channel'
lt_expect srv 'net-echo: the network interface went away|answers ping'
grep -ahE '^PASS|^nettest: vif' "$lt_tmp/b.out" "$lt_tmp/c.out"
lt_finish
