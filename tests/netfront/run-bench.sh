#!/bin/sh
# run-bench.sh: netfront + lamina-netback throughput and packet rate, against a veth pair.
# SPDX-License-Identifier: MIT
#
# Run by hand, as root, from the top build directory (after make check):
#     sh ../tests/netfront/run-bench.sh [SECONDS]
# In one private network namespace and one lamina-hv, UDP bursts of
# SECONDS (3) each, 18-byte payloads (60-byte frames: the packet rate) and
# 1472-byte payloads (1514-byte frames: the throughput):
#   guest -> guest    two tests/netfront/netbench guests on the built-in switch,
#                     through the guest's UDP stack and as ready-made frames
#   guest -> host     a netbench guest on a TAP device in bridge br0, to a
#                     socket on br0's address (tests/netfront/netbench-host)
#   host -> guest     the other way
#   veth (floor)      netbench-host between two namespaces over a veth pair,
#                     no guest, no backend: what the kernel alone does
# Rates are counted by the receiver, first to last datagram; Mbit/s count
# UDP payload. The sender's line says how often it found the ring full.
. "${srcdir:-.}/tests/netfront/lib.sh"

secs=${1:-3}
nb=$lt_top/tests/netfront/netbench
host=$lt_top/tests/netfront/netbench-host
nf_init netfront-bench "$nb" "$host"
sizes=18,1472
ns2=

bench_cleanup() {
    [ -n "$ns2" ] && ip netns delete "$ns2" 2>/dev/null
    nf_cleanup
}
trap bench_cleanup EXIT

# rx_rate FILE SIZE [N]: "pps mbit" of the Nth (1) burst of SIZE in FILE (warm-up
# bursts of a few datagrams left out).
rx_rate() {
    grep -a "^NETBENCH rx size=$2 " "$1" |
        sed 's/.*pkts=\([0-9]*\).*pps=\([0-9]*\) mbit=\([0-9.]*\).*/\1 \2 \3/' |
        awk -v n="${3:-1}" '$1 > 100 && ++seen == n { print $2, $3 }'
}

row() {
    printf '%-38s %6s %12s %10s\n' "$1" "$2" "${3:-n/a}" "${4:-n/a}"
}

# ---- guest -> guest, built-in switch
lt_cfg sink "$nb" "vif = [ 'switch=lan' ]"
lt_cfg src "$nb" "vif = [ 'switch=lan' ]"
lt_guest sink 'extra="ip=10.77.0.2/24"'
lt_wait_line sink '^NETBENCH up' 60 || lt_finish
lt_guest src "extra=\"ip=10.77.0.1/24 to=10.77.0.2 sizes=$sizes secs=$secs raw=1\""
lt_wait_line src '^NETBENCH sender done' $((secs * 8 + 60)) || lt_finish
sleep 1
nf_shutdown src sink

# ---- guest <-> host, TAP device in bridge br0
nf_ns_run ip link add br0 type bridge || { lt_fail "cannot create bridge br0"; lt_finish; }
nf_ns_run ip addr add 10.78.0.1/24 dev br0
nf_ns_run ip link set br0 up
lt_cfg tap "$nb" "vif = [ 'bridge=br0' ]"
nf_ns_run "$host" recv 9000 4 $((secs * 8 + 60)) > "$lt_tmp/host-rx.out" 2>&1 &
hrx=$!
lt_guest tap "extra=\"ip=10.78.0.2/24 to=10.78.0.1 sizes=$sizes secs=$secs raw=1\""
lt_wait_line tap '^NETBENCH sender done' $((secs * 8 + 60)) || lt_finish
wait $hrx
nf_ns_run "$host" send 10.78.0.2 9000 $sizes "$secs" > "$lt_tmp/host-tx.out" 2>&1 ||
    lt_fail "netbench-host send: $(cat "$lt_tmp/host-tx.out")"
sleep 1
nf_shutdown tap

# ---- the floor: two namespaces over a veth pair
ns2="lnfb-$$-$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')"
ip netns add "$ns2" || { lt_fail "cannot create a second namespace"; lt_finish; }
nf_ns_run ip link add vA type veth peer name vB netns "$ns2" || lt_fail "veth pair"
nf_ns_run ip addr add 10.79.0.1/24 dev vA
nf_ns_run ip link set vA up
ip netns exec "$ns2" ip link set lo up
ip netns exec "$ns2" ip addr add 10.79.0.2/24 dev vB
ip netns exec "$ns2" ip link set vB up
ip netns exec "$ns2" "$host" recv 9000 2 $((secs * 4 + 30)) > "$lt_tmp/veth-rx.out" 2>&1 &
vrx=$!
sleep 0.5
nf_ns_run "$host" send 10.79.0.2 9000 $sizes "$secs" > "$lt_tmp/veth-tx.out" 2>&1 ||
    lt_fail "netbench-host send over veth: $(cat "$lt_tmp/veth-tx.out")"
wait $vrx

echo
echo "netfront benchmark: UDP bursts of $secs s, rates at the receiver ($(nproc) CPUs)"
grep -ah '^NETBENCH floor' "$lt_tmp/sink.out" | sed 's/^NETBENCH /guest instruction /'
echo "(guest code runs under KVM's instruction emulator here: guest rates scale with that)"
row "path" "frame" "packets/s" "Mbit/s"
for size in 18 1472; do
    frame=$((size + 42))
    [ $frame -lt 60 ] && frame=60
    row "guest -> guest, switch (UDP stack)" $frame $(rx_rate "$lt_tmp/sink.out" $size)
    row "guest -> guest, switch (raw frames)" $frame $(rx_rate "$lt_tmp/sink.out" $size 2)
    row "guest -> host, TAP (UDP stack)" $frame $(rx_rate "$lt_tmp/host-rx.out" $size)
    row "guest -> host, TAP (raw frames)" $frame $(rx_rate "$lt_tmp/host-rx.out" $size 2)
    row "host -> guest, bridge + TAP" $frame $(rx_rate "$lt_tmp/tap.out" $size)
    row "namespace -> namespace, veth" $frame $(rx_rate "$lt_tmp/veth-rx.out" $size)
done
echo
echo "senders (packets/s offered; nobufs: times the ring or socket was full):"
grep -ah '^NETBENCH tx' "$lt_tmp/src.out" | sed 's/^/  guest on the switch: /'
grep -ah '^NETBENCH tx' "$lt_tmp/tap.out" | sed 's/^/  guest on the TAP:    /'
grep -ah '^NETBENCH tx' "$lt_tmp/host-tx.out" | sed 's/^/  host to the guest:   /'
grep -ah '^NETBENCH tx' "$lt_tmp/veth-tx.out" | sed 's/^/  veth:                /'
lt_finish
