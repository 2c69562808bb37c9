#!/bin/sh
# tap.sh: a guest-kit guest on a TAP device in a Linux bridge, inside a private network namespace.
# SPDX-License-Identifier: MIT
#
# The net-echo example gets vif "bridge=br0": lamina-netback (running in the
# namespace) makes TAP device vif<domid>.0 a port of br0, which holds the
# host side's address. From the namespace: ping of 56 to 1472 bytes, UDP
# echo of many sizes and TCP echo (tests/net/net-client, which compares
# every byte). A nettest guest on the same bridge pings the host side
# itself, so frames also start in a guest. Nothing leaves the namespace.
. "${srcdir:-.}/tests/netfront/lib.sh"

nt=$lt_top/tests/netfront/nettest
echo_kernel=$lt_top/guest-kit/examples/net-echo/net-echo
client=$lt_top/tests/net/net-client
nf_init netfront-tap "$nt" "$echo_kernel" "$client"
command -v ping >/dev/null 2>&1 || { echo "SKIP: netfront-tap: no ping(8)"; exit 77; }

nf_ns_run ip link add br0 type bridge || { lt_fail "cannot create bridge br0"; lt_finish; }
nf_ns_run ip addr add 10.78.0.1/24 dev br0 || lt_fail "address on br0"
nf_ns_run ip link set br0 up || lt_fail "br0 up"

lt_cfg srv "$echo_kernel" "vif = [ 'bridge=br0' ]" 'cmdline = "ip=10.78.0.2/24 gw=10.78.0.1"'
lt_guest srv
lt_wait_line srv 'answers ping' 60 || lt_finish
domid=$("$lt_lamina" domid srv)
nf_ns_run ip link show "vif$domid.0" > "$lt_tmp/link.out" 2>&1 ||
    lt_fail "no TAP device vif$domid.0 in the namespace"
grep -q "master br0" "$lt_tmp/link.out" || lt_fail "vif$domid.0 is not a port of br0"

run() {
    echo "netfront-tap: $*"
    nf_ns_run "$@" > "$lt_tmp/step.out" 2>&1
    status=$?
    sed 's/^/    /' "$lt_tmp/step.out"
    return $status
}
for size in 56 1000 1472; do
    run ping -c 3 -i 0.2 -W 3 -s $size -M do 10.78.0.2 || lt_fail "ping -s $size"
done
run "$client" udp 10.78.0.2 7 60 || lt_fail "UDP echo from the host side"
run "$client" tcp 10.78.0.2 7 65536 1 3 || lt_fail "TCP echo, 3 connections in a row"
run "$client" tcp 10.78.0.2 7 131072 2 || lt_fail "TCP echo, 2 connections at once"

# A guest's own echo requests to the host side.
lt_cfg cl "$nt" "vif = [ 'bridge=br0' ]"
lt_guest cl 'extra="ip=10.78.0.3/24 peer=10.78.0.1 pings=6 udp=0 tcp=0"'
lt_wait_line cl '^nettest: tests done' 120
nf_shutdown cl srv
lt_expect cl '^PASS vif 0: ping: 6 echo replies'
lt_expect cl '^nettest: done, 0 failures'
lt_no_fail cl
lt_expect srv 'the network interface went away|answers ping'
lt_finish
