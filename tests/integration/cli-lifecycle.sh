#!/bin/sh
# cli-lifecycle.sh: the lamina CLI against a real lamina-hv: start, create, console, restart.
# SPDX-License-Identifier: MIT
#
# Run from the top build directory (as `make check` does). Skipped (77) when
# /dev/kvm is not usable. Everything lives in a private LAMINA_RUNDIR and
# LAMINA_LOGDIR; the hypervisor this test starts is stopped at the end.

set -u

build=$(pwd)
lamina=$build/dom0-tools/lamina
guest=$build/tests/integration/cli-guest

if [ ! -c /dev/kvm ] || [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
    echo "SKIP: /dev/kvm is not usable"
    exit 77
fi
if [ ! -x "$build/hypervisor/lamina-hv" ] || [ ! -x "$lamina" ] || [ ! -x "$guest" ]; then
    echo "SKIP: lamina-hv, lamina or the test guest is not built"
    exit 77
fi

tmp=$(mktemp -d /tmp/lamina-cli-XXXXXX)
export LAMINA_RUNDIR="$tmp/run" LAMINA_LOGDIR="$tmp/log"
unset LAMINA_HV     # exercise the build-tree lookup next to dom0-tools/lamina
failures=0

cleanup() {
    "${srcdir:-.}/tests/stop-daemons.sh" "$LAMINA_RUNDIR"
    if [ "$failures" -ne 0 ]; then
        for f in "$LAMINA_LOGDIR"/*.log; do
            [ -f "$f" ] && { echo "--- $f"; tail -n 20 "$f"; }
        done
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT

fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}

# run EXPECTED-STATUS NAME COMMAND...: run with a time limit, keep output in $out.
run() {
    want=$1 name=$2
    shift 2
    timeout 60 "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
    got=$?
    out=$(cat "$tmp/out" "$tmp/err")
    if [ "$got" -ne "$want" ]; then
        fail "$name: exit status $got, expected $want"
        echo "$out" | sed 's/^/    /'
    fi
}

expect() {
    case "$out" in
    *"$2"*) ;;
    *) fail "$1: output lacks '$2'"; echo "$out" | sed 's/^/    /' ;;
    esac
}

cat >"$tmp/t.cfg" <<CFG
name = "cli-t"
kernel = "$guest"
memory = 16
cmdline = "poweroff"
CFG

run 2 "usage" "$lamina" create
run 2 "unknown command" "$lamina" frobnicate
run 1 "list without hypervisor" "$lamina" list
expect "list without hypervisor" "the hypervisor is not running"
run 0 "dry run" "$lamina" create -n "$tmp/t.cfg"
expect "dry run" '"name": "cli-t"'

run 0 "create -c (poweroff)" "$lamina" create -c "$tmp/t.cfg"
expect "create -c (poweroff)" "hello from cli-guest"
expect "create -c (poweroff)" "Parsing config from $tmp/t.cfg"
run 0 "info" "$lamina" info
expect "info" "xen_version"

run 1 "create -c (crash)" "$lamina" create -c "$tmp/t.cfg" 'name="cli-c"' 'cmdline="crash"'
expect "create -c (crash)" "lamina: domain 'cli-c' (id "
expect "create -c (crash)" ") crashed"

# A triple fault: the domain crashes, and lamina-hv's log says where the
# guest was (its registers, or its last exits where KVM has reset them).
run 1 "create -c (triple fault)" "$lamina" create -c "$tmp/t.cfg" 'name="cli-tf"' \
    'cmdline="triplefault"'
expect "create -c (triple fault)" "lamina: domain 'cli-tf' (id "
expect "create -c (triple fault)" ") crashed"
hvlog=$(cat "$LAMINA_LOGDIR/lamina-hv.log" 2>/dev/null)
case $hvlog in *"crashed: triple fault"*) ;; *) fail "lamina-hv.log reports no triple fault" ;; esac
case $hvlog in
*"exits, oldest first"*"  -0.000 shutdown "*) ;;
*) fail "lamina-hv.log does not list the last exits before the triple fault" ;;
esac

run 0 "create (spin)" "$lamina" create -q "$tmp/t.cfg" 'name="cli-s"' 'cmdline="spin"'
run 0 "list" "$lamina" list
expect "list" "Domain-0 "
expect "list" "cli-s "
# SIGHUP reopens lamina-hv's log (log rotation); the domains run on.
mv "$LAMINA_LOGDIR/lamina-hv.log" "$LAMINA_LOGDIR/lamina-hv.log.1"
kill -HUP "$(cat "$LAMINA_RUNDIR/lamina-hv.pid")"
n=0
while [ ! -s "$LAMINA_LOGDIR/lamina-hv.log" ] && [ $n -lt 100 ]; do
    sleep 0.1
    n=$((n + 1))
done
grep -q "log reopened on SIGHUP" "$LAMINA_LOGDIR/lamina-hv.log" 2>/dev/null ||
    fail "lamina-hv did not reopen its log on SIGHUP"
run 0 "list after SIGHUP" "$lamina" list cli-s
expect "list after SIGHUP" "cli-s "
run 1 "create a duplicate" "$lamina" create -q "$tmp/t.cfg" 'name="cli-s"'
expect "create a duplicate" "a domain named 'cli-s' already exists"
run 0 "pause" "$lamina" pause cli-s
run 0 "list paused" "$lamina" list cli-s
expect "list paused" "--p---"
run 0 "unpause" "$lamina" unpause cli-s
run 0 "list -l" "$lamina" list -l cli-s
expect "list -l" '"cmdline": "spin"'

printf '\035' >"$tmp/detach"
timeout 60 "$lamina" console -r cli-s <"$tmp/detach" >"$tmp/out" 2>&1
got=$?
out=$(cat "$tmp/out")
[ "$got" -eq 0 ] || fail "console -r: exit status $got"
expect "console -r" "hello from cli-guest"

# cli-guest has no PV drivers: a plain shutdown is refused, -F makes lamina-hv do it.
run 1 "shutdown without PV control" "$lamina" shutdown cli-s
expect "shutdown without PV control" "no PV control interface"
run 0 "shutdown -F -w" "$lamina" shutdown -F -w cli-s
run 1 "gone after shutdown" "$lamina" list cli-s
expect "gone after shutdown" "no domain named 'cli-s'"
run 1 "shutdown of dom0" "$lamina" shutdown 0
expect "shutdown of dom0" "domain 0 is the host"
run 1 "no such id" "$lamina" pause 4242
expect "no such id" "no domain with id 4242"

# on_reboot=restart: the monitor rebuilds the domain until it loops too fast.
run 1 "create -c (reboot loop)" "$lamina" create -c "$tmp/t.cfg" 'name="cli-r"' 'cmdline="reboot"'
expect "create -c (reboot loop)" "was not restarted"
run 0 "list after restarts" "$lamina" list cli-r
expect "list after restarts" "---sr-"
grep -q "domain 'cli-r' restarted as id" "$LAMINA_LOGDIR/lamina-cli-r.log" ||
    fail "the monitor log shows no restart"
run 0 "destroy" "$lamina" destroy cli-r
run 1 "gone after destroy" "$lamina" list cli-r

if [ "$failures" -ne 0 ]; then
    echo "$failures check(s) failed"
    exit 1
fi
echo "cli-lifecycle: all checks passed"
exit 0
