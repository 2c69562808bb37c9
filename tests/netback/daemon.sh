#!/bin/sh
# daemon.sh: lamina-netback as a daemon on a private lamina-xenstored: start-up, workers, switches.
# SPDX-License-Identifier: MIT
#
# Needs $XENSTORED and $NETBACK (the make check wrapper sets them) and
# Debian's xenstore-utils (SKIP without). No hypervisor runs here, so the
# workers get as far as InitWait and refuse frontends that try to connect;
# the data path is covered by the Check tests. As root, everything runs in
# a private network namespace, where a vif on a missing bridge is tried too.

set -u

skip() {
    echo "daemon.sh: skipped: $*"
    exit 77
}
fail() {
    echo "daemon.sh: failed: $*"
    [ -n "${work:-}" ] && [ -f "$work/log/netback.log" ] &&
        sed 's/^/  log: /' "$work/log/netback.log" | tail -30
    exit 1
}

: "${XENSTORED:?set XENSTORED to the lamina-xenstored binary}"
: "${NETBACK:?set NETBACK to the lamina-netback binary}"
[ -x "$XENSTORED" ] || fail "$XENSTORED is not executable (build it first)"
[ -x "$NETBACK" ] || fail "$NETBACK is not executable (build it first)"
command -v xenstore-read >/dev/null 2>&1 || skip "xenstore-utils not installed"

work=$(mktemp -d "${TMPDIR:-/tmp}/netback-daemon.XXXXXX") || fail "mktemp"
XENSTORED_PATH="$work/xs.sock"
LAMINA_RUNDIR="$work/run"
LAMINA_LOGDIR="$work/log"
export XENSTORED_PATH LAMINA_RUNDIR LAMINA_LOGDIR
ns=
wrap=
if [ "$(id -u)" = 0 ] && command -v ip >/dev/null 2>&1; then
    ns="lnbd-$$-$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')"
    ip netns add "$ns" 2>/dev/null && wrap="ip netns exec $ns" || ns=
fi

pid_of() {
    [ -f "$1" ] && cat "$1"
}

cleanup() {
    d=$(pid_of "$LAMINA_RUNDIR/lamina-netback.pid")
    [ -n "$d" ] && kill "$d" 2>/dev/null && sleep 0.5
    for f in "$LAMINA_RUNDIR"/netback/switch-*.pid; do
        s=$(pid_of "$f")
        [ -n "$s" ] && kill "$s" 2>/dev/null
    done
    x=$(pid_of "$work/xs.pid")
    [ -n "$x" ] && kill "$x" 2>/dev/null
    [ -n "$ns" ] && ip netns delete "$ns" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# wait_for PATH VALUE: up to 5 s.
wait_for() {
    i=0
    while [ $i -lt 100 ]; do
        [ "$(xenstore-read "$1" 2>/dev/null)" = "$2" ] && return 0
        sleep 0.05
        i=$((i + 1))
    done
    fail "$1 is '$(xenstore-read "$1" 2>/dev/null)', expected '$2'"
}

# worker_pid DOMID DEVID: the pid of the process serving it, from the log.
worker_pid() {
    sed -n "s/.*vif $1\/$2: worker \([0-9]*\) started.*/\1/p" "$LAMINA_LOGDIR/netback.log" | tail -1
}

# gone PID: wait up to 5 s for it to exit.
gone() {
    i=0
    while kill -0 "$1" 2>/dev/null && [ $i -lt 100 ]; do
        sleep 0.05
        i=$((i + 1))
    done
    ! kill -0 "$1" 2>/dev/null
}

# add_vif DOMID DEVID KEY VALUE: the directories libxl writes, with one link key.
add_vif() {
    be=/local/domain/0/backend/vif/$1/$2
    fe=/local/domain/$1/device/vif/$2
    xenstore-write "$be/frontend" "$fe" "$be/frontend-id" "$1" "$be/online" 1 \
        "$be/state" 1 "$be/mac" "00:16:3e:00:0$1:0$2" "$be/handle" "$2" "$be/type" vif \
        "$be/$3" "$4" "$fe/backend" "$be" "$fe/backend-id" 0 "$fe/state" 1 "$fe/handle" "$2" \
        "$fe/mac" "00:16:3e:00:0$1:0$2" || fail "xenstore-write"
}

"$XENSTORED" --fake-domains -p "$work/xs.pid" -l "$work/xenstored.log" ||
    fail "lamina-xenstored did not start"

# Started on demand: exits 0 once it watches xenstore; a second start is a no-op.
$wrap "$NETBACK" --idle 1 || fail "lamina-netback did not start"
[ -f "$LAMINA_RUNDIR/lamina-netback.pid" ] || fail "no pid file"
daemon=$(cat "$LAMINA_RUNDIR/lamina-netback.pid")
kill -0 "$daemon" 2>/dev/null || fail "the daemon is not running"
$wrap "$NETBACK" || fail "a second start should succeed"
[ "$(cat "$LAMINA_RUNDIR/lamina-netback.pid")" = "$daemon" ] || fail "a second daemon started"

# Two vifs on one built-in switch: one worker each, one switch process for both.
add_vif 3 0 switch lanA
add_vif 4 0 bridge lamina:lanA
wait_for /local/domain/0/backend/vif/3/0/state 2
wait_for /local/domain/0/backend/vif/4/0/state 2
wait_for /local/domain/0/backend/vif/3/0/hotplug-status connected
wait_for /local/domain/0/backend/vif/3/0/feature-rx-copy 1
wait_for /local/domain/0/backend/vif/4/0/feature-split-event-channels 1
a=$(worker_pid 3 0)
b=$(worker_pid 4 0)
[ -n "$a" ] && [ -n "$b" ] && [ "$a" != "$b" ] || fail "one worker per vif expected"
sw=$(pid_of "$LAMINA_RUNDIR/netback/switch-lanA.pid")
[ -n "$sw" ] && kill -0 "$sw" 2>/dev/null || fail "no switch process for lanA"
i=0
while [ "$(grep -c 'switch lanA: port .* connected' "$LAMINA_LOGDIR/netback.log")" -lt 2 ]; do
    i=$((i + 1))
    [ $i -lt 100 ] || fail "both vifs should be ports of lanA"
    sleep 0.05
done

# A worker that crashes is restarted, and the other vif's worker is untouched.
kill -9 "$a"
i=0
while [ "$(worker_pid 3 0)" = "$a" ] && [ $i -lt 100 ]; do
    sleep 0.05
    i=$((i + 1))
done
a2=$(worker_pid 3 0)
[ "$a2" != "$a" ] || fail "the crashed worker was not restarted"
kill -0 "$b" 2>/dev/null || fail "the other worker died too"
kill -0 "$sw" 2>/dev/null || fail "the switch died with a worker"
wait_for /local/domain/0/backend/vif/3/0/state 2

# Bad configurations are reported to the toolstack, not retried.
add_vif 5 0 switch "../etc"
wait_for /local/domain/0/backend/vif/5/0/hotplug-status error
wait_for /local/domain/0/backend/vif/5/0/state 5
if [ -n "$wrap" ]; then
    add_vif 6 0 bridge nobr
    wait_for /local/domain/0/backend/vif/6/0/hotplug-status error
    xenstore-read /local/domain/0/backend/vif/6/0/hotplug-error | grep -q "does not exist" ||
        fail "unclear hotplug-error for a missing bridge"
fi

# Frontends that cannot be connected here (no hypervisor) are refused cleanly.
fe=/local/domain/4/device/vif/0
xenstore-write "$fe/tx-ring-ref" 8 "$fe/rx-ring-ref" 9 "$fe/event-channel" 5 \
    "$fe/request-rx-copy" 1 "$fe/feature-rx-notify" 1 "$fe/state" 4
wait_for /local/domain/0/backend/vif/4/0/state 5
kill -0 "$daemon" 2>/dev/null || fail "the daemon died"

# The toolstack removes a vif: its worker exits.
xenstore-rm /local/domain/0/backend/vif/4/0
gone "$b" || fail "the worker of a removed vif did not exit"

# Stopping the daemon stops its workers; the idle switch goes by itself;
# a new daemon serves the vifs again.
kill "$daemon"
gone "$daemon" || fail "the daemon did not stop"
kill -0 "$a2" 2>/dev/null && fail "a worker outlived the daemon"
i=0
while kill -0 "$sw" 2>/dev/null && [ $i -lt 60 ]; do
    sleep 0.1
    i=$((i + 1))
done
kill -0 "$sw" 2>/dev/null && fail "the switch did not exit once idle"
$wrap "$NETBACK" --idle 1 || fail "restart"
i=0
while [ "$(worker_pid 3 0)" = "$a2" ] && [ $i -lt 100 ]; do
    sleep 0.05
    i=$((i + 1))
done
[ "$(worker_pid 3 0)" != "$a2" ] || fail "the new daemon did not take the vif over"
wait_for /local/domain/0/backend/vif/3/0/state 2
echo "daemon.sh: ok"
