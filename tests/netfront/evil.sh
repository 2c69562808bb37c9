#!/bin/sh
# evil.sh: guest-kit's netfront against a dom0 backend that lies (tests/netfront/evil-netback).
# SPDX-License-Identifier: MIT
#
# A nettest guest (mode=evil) has vif 0 on switch "lan" with net-echo, and
# is offered twelve more vifs by evil-netback, one after the other, each
# answering wrongly in one way: tx answers with ids never sent, twice, or
# rsp_prod far ahead; rx answers with another buffer's id, rsp_prod far
# ahead, more_data on every buffer, an endless extra-info chain; a garbage
# state; directories vanishing; and frames crossing their page, larger than
# a page or marked as errors (each then followed by a good frame). The
# driver must stop and close the vif in the first nine cases (or refuse it
# while connecting, when the lie comes that early), drop the bad frame and
# deliver the good one in the last three, let nothing else through, keep
# the guest's memory intact and vif 0 working.
. "${srcdir:-.}/tests/netfront/lib.sh"

nt=$lt_top/tests/netfront/nettest
evil=$lt_top/tests/netfront/evil-netback
echo_kernel=$lt_top/guest-kit/examples/net-echo/net-echo
nf_init netfront-evil "$nt" "$evil" "$echo_kernel"

lt_cfg srv "$echo_kernel" "vif = [ 'switch=lan' ]" 'cmdline = "ip=10.77.0.1/24"'
lt_cfg g "$nt" "vif = [ 'switch=lan' ]"
lt_guest srv
lt_wait_line srv 'answers ping' 60 || lt_finish
lt_guest g 'extra="mode=evil rounds=12 ip=10.77.0.2/24 peer=10.77.0.1 pings=2 udp=2 tcp=0"'
lt_wait_line g '^EVIL watching' 60 || lt_finish
lt_dom0 evil "$evil" "$("$lt_lamina" domid g)"
lt_wait_line g '^nettest: tests done' 60

nf_shutdown g srv
for s in tx-bad-id tx-rsp-jump tx-twice rx-bad-id rx-rsp-jump rx-more-forever \
    rx-extra-loop bad-state; do
    lt_expect evil "^evil-netback: $s: the frontend closed the vif"
done
lt_expect evil '^evil-netback: vanish: directories removed'
for s in rx-bad-offset rx-huge rx-error; do
    lt_expect evil "^evil-netback: $s: the frontend stayed Connected"
done
grep -q 'FAIL' "$lt_tmp/evil.out" && lt_fail "evil-netback: $(grep FAIL "$lt_tmp/evil.out")"
n=$(grep -ac '^EVIL vif .*: stopped; 1 good frame(s), 0 other, 1 dropped' "$lt_tmp/g.out")
[ "$n" -eq 3 ] || lt_fail "the guest saw $n of 3 bad-then-good frame pairs right"
lt_expect g '^PASS 12 lying backends'
lt_expect g '^PASS vif 0 after the evil backends: ping: 2 echo replies'
lt_expect g '^nettest: done, 0 failures'
lt_no_fail g
grep -aE '^EVIL|^PASS' "$lt_tmp/g.out"
cat "$lt_tmp/evil.out"
lt_finish
