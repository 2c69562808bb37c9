#!/bin/sh
# hotplug.sh: network-attach and network-detach while a guest-kit guest runs and talks.
# SPDX-License-Identifier: MIT
#
# net-echo (10.77.0.1) and a nettest guest in hotplug mode share switch
# "lan". Twice, `lamina network-attach` gives the guest a second interface
# (a generated address and switch= the first time, a given address and
# bridge=lamina: the second); the guest connects it (defaults, then one
# event channel, no sg and few buffers), pings, UDP- and TCP-echoes over
# it, then keeps UDP flowing while `lamina network-detach` takes it away (by
# number, then by address). The guest must see it go, fail to send on it
# with -ENODEV and still reach net-echo through vif 0. network-list is
# checked at each step, and attaching what cannot work (a malformed spec, a
# bridge that does not exist, an address already in use) must fail and
# leave nothing behind.
. "${srcdir:-.}/tests/netfront/lib.sh"

nt=$lt_top/tests/netfront/nettest
echo_kernel=$lt_top/guest-kit/examples/net-echo/net-echo
nf_init netfront-hotplug "$nt" "$echo_kernel"

lt_cfg srv "$echo_kernel" "vif = [ 'switch=lan' ]" 'cmdline = "ip=10.77.0.1/24"'
lt_cfg h "$nt" "vif = [ 'mac=00:16:3e:77:00:02,switch=lan' ]"
lt_guest srv
lt_wait_line srv 'answers ping' 60 || lt_finish
lt_guest h \
    'extra="mode=hotplug rounds=2 ip=10.77.0.2/24 hotip=10.77.0.12/24 peer=10.77.0.1 tcp=16384"'
lt_wait_line h '^HOTPLUG watching' 60 || lt_finish

# vifs_are "0 1": the devids network-list shows, each Connected (4).
vifs_are() {
    nf_list h
    got=$(awk 'NR > 1 && $5 == 4 { printf "%s%s", sep, $1; sep = " " }' "$lt_tmp/list.out")
    [ "$got" = "$1" ] || lt_fail "network-list h: connected vifs '$got', expected '$1':
$(cat "$lt_tmp/list.out")"
}

attach() {
    timeout 60 "$lt_lamina" network-attach h "$1" > "$lt_tmp/attach.out" 2>&1 ||
        { lt_fail "network-attach h '$1': $(cat "$lt_tmp/attach.out")"; lt_finish; }
}

detach() {
    timeout 60 "$lt_lamina" network-detach h "$1" > "$lt_tmp/detach.out" 2>&1 ||
        lt_fail "network-detach h $1: $(cat "$lt_tmp/detach.out")"
}

# What must fail, leaving the domain's vifs alone. (The bridge refusal goes to
# net-echo: the backend refuses a vif that the guest would already have seen.)
refused() {
    if timeout 60 "$lt_lamina" network-attach "$1" "$2" > "$lt_tmp/refused.out" 2>&1; then
        lt_fail "network-attach $1 '$2' succeeded"
    elif ! grep -qE -- "$3" "$lt_tmp/refused.out"; then
        lt_fail "network-attach $1 '$2': no message matching '$3': $(cat "$lt_tmp/refused.out")"
    fi
}
refused h 'mac=00:16:3e:77:00:02,switch=lan' 'already has address'
refused h 'mac=01:00:5e:00:00:01' 'multicast'
refused h 'switch=lan,bridge=br0' 'not both'
refused srv 'bridge=nosuchbr0' 'nosuchbr0'
timeout 30 "$lt_lamina" network-list srv > "$lt_tmp/srvlist.out" 2>&1
[ "$(awk 'NR > 1' "$lt_tmp/srvlist.out" | wc -l)" -eq 1 ] ||
    lt_fail "a refused vif was left behind: $(cat "$lt_tmp/srvlist.out")"
vifs_are "0"

round() {
    r=$1
    attach "$2"
    lt_wait_line h "^HOTPLUG busy devid=1 round=$r" 60 || lt_finish
    vifs_are "0 1"
    case "$2" in
    mac=*) mac=${2%%,*}; mac=${mac#mac=}
           grep -q "^1 .* $mac " "$lt_tmp/list.out" ||
               lt_fail "network-list does not show vif 1 with $mac: $(cat "$lt_tmp/list.out")" ;;
    esac
    detach "$3"
    lt_wait_line h "^PASS round $r: vif 1 detached" 60 || lt_finish
    vifs_are "0"
    # Both directories gone (Debian's xenstore-utils, when installed, speak to ours).
    if command -v xenstore-exists >/dev/null 2>&1; then
        for d in /local/domain/0/backend/vif/$domid/1 /local/domain/$domid/device/vif/1; do
            XENSTORED_PATH=$LAMINA_RUNDIR/xenstored/socket xenstore-exists "$d" 2>/dev/null &&
                lt_fail "round $r: $d is still there after network-detach"
        done
    fi
}
domid=$("$lt_lamina" domid h)
round 0 'switch=lan' 1
round 1 'mac=00:16:3e:77:00:22,bridge=lamina:lan' 00:16:3e:77:00:22
lt_wait_line h '^nettest: tests done' 120

nf_shutdown h srv
lt_expect h '^PASS round 0 vif 1: attached and connected \(defaults\)'
lt_expect h '^PASS round 1 vif 1: attached and connected \(one event channel'
for r in 0 1; do
    lt_expect h "^PASS round $r vif 1: ping: 4 echo replies"
    lt_expect h "^PASS round $r vif 1: UDP echo: 12 datagrams"
    lt_expect h "^PASS round $r vif 1: TCP echo: 1 connection"
    lt_expect h "^PASS round $r: vif 1 detached and closed"
done
lt_expect h '^PASS vif 0 after detach: ping: 2 echo replies'
lt_expect h '^nettest: done, 0 failures'
lt_no_fail h
grep -ahE '^PASS|^HOTPLUG' "$lt_tmp/h.out"
lt_finish
