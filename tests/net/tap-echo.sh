#!/bin/sh
# tap-echo.sh: guest-kit's network stack on a TAP device against Linux's stack, in a private netns.
# SPDX-License-Identifier: MIT
#
# Run by `make check` from the top build directory. tests/net/tap-driver runs
# the stack with net-echo's services on a TAP device inside a network
# namespace made for this run; Linux's side of the namespace pings it, sends
# UDP datagrams and TCP streams through its echo services (tests/net/net-client),
# and serves an echo for the stack's own active open. Then TCP again with
# frames lost on the way. Nothing leaves the namespace; it is deleted on exit.
# Skipped (77) without root, /dev/net/tun or ip(8).
set -u

skip() { echo "tap-echo: SKIP: $*"; exit 77; }
fail() { echo "tap-echo: FAIL: $*" >&2; show_logs; exit 1; }

[ "$(id -u)" = 0 ] || skip "needs root (network namespaces and TAP devices)"
[ -c /dev/net/tun ] || skip "no /dev/net/tun"
command -v ip >/dev/null 2>&1 || skip "no ip(8): install iproute2"
for p in tests/net/tap-driver tests/net/net-client; do
    [ -x "$p" ] || { echo "tap-echo: $p is missing (make check builds it)" >&2; exit 99; }
done

ns="gknet-$$-$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')"
tap=gknet0
linux_ip=10.213.0.1
stack_ip=10.213.0.2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tap-echo.XXXXXX") || exit 99
driver_pid=
server_pid=

show_logs() {
    for f in "$tmp"/*.log; do
        [ -s "$f" ] || continue
        echo "--- $(basename "$f")" >&2
        tail -20 "$f" >&2
    done
}

cleanup() {
    [ -n "$driver_pid" ] && kill "$driver_pid" 2>/dev/null
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
    wait 2>/dev/null
    ip netns delete "$ns" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' HUP INT PIPE TERM

in_ns() { ip netns exec "$ns" "$@"; }

ip netns add "$ns" 2>"$tmp/netns.log" ||
    skip "cannot create a network namespace: $(cat "$tmp/netns.log")"
in_ns ip link set lo up || fail "lo up"
in_ns ip tuntap add dev "$tap" mode tap || skip "cannot create a TAP device"
in_ns ip addr add "$linux_ip/24" dev "$tap" || fail "address on $tap"
in_ns ip link set "$tap" up || fail "$tap up"

# start_driver NAME [driver options]: the stack on the TAP device, ready when it says so.
start_driver() {
    name=$1
    shift
    rm -f "$tmp/ready"
    # Not through in_ns: $! must be the driver itself (ip netns exec execs it).
    ip netns exec "$ns" tests/net/tap-driver "$tap" "$stack_ip/24" --ready "$tmp/ready" \
        --seconds 60 "$@" >"$tmp/$name.log" 2>&1 &
    driver_pid=$!
    i=0
    while [ ! -e "$tmp/ready" ]; do
        kill -0 "$driver_pid" 2>/dev/null || fail "tap-driver exited at start"
        i=$((i + 1))
        [ $i -lt 100 ] || fail "tap-driver not ready after 5 s"
        sleep 0.05
    done
}

stop_driver() {
    kill "$driver_pid" 2>/dev/null
    wait "$driver_pid"
    status=$?
    driver_pid=
    return $status
}

run() {
    echo "tap-echo: $*"
    in_ns "$@" >"$tmp/step.log" 2>&1
    status=$?
    sed 's/^/    /' "$tmp/step.log"
    return $status
}

# --- A clean link ---
start_driver clean
if command -v ping >/dev/null 2>&1; then
    run ping -c 5 -w 5 -i 0.2 -W 2 "$stack_ip" || fail "ping (all 5 answered within 5 s)"
else
    run tests/net/net-client ping "$stack_ip" 5 || fail "ping (no ping(8), net-client's own)"
fi
run tests/net/net-client udp "$stack_ip" 7 200 || fail "UDP echo"
run tests/net/net-client tcp "$stack_ip" 7 65536 1 10 || fail "TCP echo, 10 connections in a row"
run tests/net/net-client tcp "$stack_ip" 7 1048576 4 || fail "TCP echo, 4 connections at once"
run tests/net/net-client tcp "$stack_ip" 7 1048576 1 || fail "TCP echo, 1 MiB"

stop_driver || fail "tap-driver (clean run)"
sed 's/^/    /' "$tmp/clean.log"

# --- The stack's own connection (gk_tcp_connect) to an echo server on Linux's side ---
ip netns exec "$ns" tests/net/net-client serve 9007 >"$tmp/server.log" 2>&1 &
server_pid=$!
sleep 0.1
echo "tap-echo: the stack connects to $linux_ip:9007 and sends 1 MiB through Linux's echo"
start_driver connect --connect "$linux_ip:9007" --bytes 1048576
i=0
while kill -0 "$server_pid" 2>/dev/null && [ $i -lt 200 ]; do
    sleep 0.05
    i=$((i + 1))
done
wait "$server_pid" || fail "the Linux echo server for the stack's active open"
server_pid=
sed 's/^/    /' "$tmp/server.log"
stop_driver || fail "tap-driver (active open)"
grep '^connect:' "$tmp/connect.log" | sed 's/^/    /'
grep -q '^connect: 1048576 bytes sent and echoed back' "$tmp/connect.log" ||
    fail "the stack's active open did not complete"

# --- Lost frames, simulated by the driver (no need for sch_netem). First 5%
# --- of what the stack sends: its retransmission timer, fast retransmit and
# --- NewReno against a Linux receiver. ---
start_driver lossy-tx --tx-loss 5
run tests/net/net-client tcp "$stack_ip" 7 262144 2 ||
    fail "TCP echo, 5% of the stack's frames lost"
run tests/net/net-client udp "$stack_ip" 7 50 || fail "UDP echo, 5% lost (3 tries each)"
stop_driver || fail "tap-driver (lossy-tx run)"
sed 's/^/    /' "$tmp/lossy-tx.log"
grep -q 'retransmits [1-9]' "$tmp/lossy-tx.log" || fail "no retransmissions on a lossy link?"

# --- Then 3% of what Linux sends: the stack drops the out-of-order segments
# --- after each hole and Linux recovers them (slowly: no SACK, no reassembly). ---
start_driver lossy-rx --rx-loss 3
run tests/net/net-client tcp "$stack_ip" 7 32768 1 || fail "TCP echo, 3% of Linux's frames lost"
stop_driver || fail "tap-driver (lossy-rx run)"
sed 's/^/    /' "$tmp/lossy-rx.log"
echo "tap-echo: PASS"
