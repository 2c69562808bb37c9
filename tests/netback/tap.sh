#!/bin/sh
# tap.sh: netback's engine on a TAP device in a Linux bridge, inside a private network namespace.
# SPDX-License-Identifier: MIT
#
# Run by `make check` from the top build directory. tests/netback/tap-guest
# serves a fake netfront whose vif is a TAP device added to a bridge; the
# fake guest answers ARP, ping and UDP echo by itself. From the namespace's
# side: UDP echo (checked by tap-guest before it says it is ready), ping of
# several sizes up to jumbo frames (the bridge has MTU 9000, which the TAP
# device takes over), and a missing bridge refused with a clear message.
# Nothing leaves the namespace; it is deleted on exit.
# Skipped (77) without root, /dev/net/tun, ip(8) or ping(8).
set -u

skip() { echo "tap.sh: SKIP: $*"; exit 77; }
fail() {
    echo "tap.sh: FAIL: $*" >&2
    [ -s "$tmp/guest.log" ] && sed 's/^/  guest: /' "$tmp/guest.log" | tail -20 >&2
    exit 1
}

[ "$(id -u)" = 0 ] || skip "needs root (network namespaces and TAP devices)"
[ -c /dev/net/tun ] || skip "no /dev/net/tun"
command -v ip >/dev/null 2>&1 || skip "no ip(8): install iproute2"
command -v ping >/dev/null 2>&1 || skip "no ping(8): install iputils-ping"
guest=tests/netback/tap-guest
[ -x "$guest" ] || { echo "tap.sh: $guest is missing (make check builds it)" >&2; exit 99; }

ns="lnbtap-$$-$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')"
host_ip=10.214.0.1
guest_ip=10.214.0.2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/netback-tap.XXXXXX") || exit 99
guest_pid=

cleanup() {
    [ -n "$guest_pid" ] && kill "$guest_pid" 2>/dev/null
    wait 2>/dev/null
    ip netns delete "$ns" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

in_ns() { ip netns exec "$ns" "$@"; }

ip netns add "$ns" 2>"$tmp/netns.log" ||
    skip "cannot create a network namespace: $(cat "$tmp/netns.log")"
in_ns ip link set lo up || fail "lo up"
in_ns ip link add br0 type bridge 2>"$tmp/br.log" ||
    skip "cannot create a bridge: $(cat "$tmp/br.log")"
in_ns ip link set br0 mtu 9000 || fail "bridge mtu"
in_ns ip addr add "$host_ip/24" dev br0 || fail "address on br0"
in_ns ip link set br0 up || fail "br0 up"

# A vif on a bridge that does not exist: refused, saying what to do.
out=$(in_ns "$guest" vif9.1 nobr 10.214.0.3 --seconds 1 2>&1)
status=$?
[ $status -eq 2 ] || fail "a missing bridge gave status $status: $out"
echo "$out" | grep -q "bridge nobr does not exist" || fail "unclear message: $out"

# The guest; ready once UDP echo worked through the bridge.
# Not through in_ns: $! must be the program itself (ip netns exec execs it).
ip netns exec "$ns" "$guest" vif9.0 br0 "$guest_ip" --ready "$tmp/ready" --seconds 60 \
    >"$tmp/guest.log" 2>&1 &
guest_pid=$!
i=0
while [ ! -e "$tmp/ready" ]; do
    kill -0 "$guest_pid" 2>/dev/null || fail "tap-guest exited before it was ready"
    i=$((i + 1))
    [ $i -lt 200 ] || fail "tap-guest not ready after 10 s"
    sleep 0.05
done

in_ns ip link show vif9.0 | grep -q "master br0" || fail "vif9.0 is not a port of br0"
in_ns ip link show vif9.0 | grep -q "mtu 9000" || fail "vif9.0 did not take the bridge's MTU"
in_ns ip link show vif9.0 | grep -q "fe:ff:ff:ff:ff:ff" || fail "vif9.0 has not Xen's address"
for size in 56 1000 1472 4000 8972; do
    in_ns ping -c 2 -i 0.2 -W 3 -s $size -M do "$guest_ip" >"$tmp/ping.log" 2>&1 ||
        fail "ping -s $size: $(tail -3 "$tmp/ping.log")"
done

kill "$guest_pid"
wait "$guest_pid"
status=$?
guest_pid=
[ $status -eq 0 ] || fail "tap-guest found something wrong (status $status)"
grep "tap-guest:" "$tmp/guest.log"
grep -q "icmp 10 " "$tmp/guest.log" || fail "not every ping was answered by the guest"
echo "tap.sh: ok"
