#!/bin/sh
# daemon.sh: lamina-blkback as a daemon on a private lamina-xenstored: start-up, workers, restarts.
# SPDX-License-Identifier: MIT
#
# Needs $XENSTORED and $BLKBACK (the make check wrapper sets them) and
# Debian's xenstore-utils (SKIP without). No hypervisor runs here, so the
# workers get as far as InitWait and refuse frontends that try to connect;
# the data path is covered by the Check tests.

set -u

skip() {
    echo "daemon.sh: skipped: $*"
    exit 77
}
fail() {
    echo "daemon.sh: failed: $*"
    [ -n "${work:-}" ] && [ -f "$work/log/blkback.log" ] &&
        sed 's/^/  log: /' "$work/log/blkback.log" | tail -25
    exit 1
}

: "${XENSTORED:?set XENSTORED to the lamina-xenstored binary}"
: "${BLKBACK:?set BLKBACK to the lamina-blkback binary}"
[ -x "$XENSTORED" ] || fail "$XENSTORED is not executable (build it first)"
[ -x "$BLKBACK" ] || fail "$BLKBACK is not executable (build it first)"
command -v xenstore-read >/dev/null 2>&1 || skip "xenstore-utils not installed"

work=$(mktemp -d "${TMPDIR:-/tmp}/blkback-daemon.XXXXXX") || fail "mktemp"
XENSTORED_PATH="$work/xs.sock"
LAMINA_RUNDIR="$work/run"
LAMINA_LOGDIR="$work/log"
export XENSTORED_PATH LAMINA_RUNDIR LAMINA_LOGDIR

cleanup() {
    if [ -f "$LAMINA_RUNDIR/lamina-blkback.pid" ]; then
        kill "$(cat "$LAMINA_RUNDIR/lamina-blkback.pid")" 2>/dev/null
        sleep 0.5
    fi
    [ -f "$work/xs.pid" ] && kill "$(cat "$work/xs.pid")" 2>/dev/null
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
    sed -n "s/.*vbd $1\/$2: worker \([0-9]*\) started.*/\1/p" "$LAMINA_LOGDIR/blkback.log" | tail -1
}

# add_disk DOMID DEVID IMAGE: the directories libxl writes.
add_disk() {
    be=/local/domain/0/backend/vbd/$1/$2
    fe=/local/domain/$1/device/vbd/$2
    xenstore-write "$be/frontend" "$fe" "$be/frontend-id" "$1" "$be/online" 1 \
        "$be/state" 1 "$be/params" "$3" "$be/mode" w "$be/device-type" disk \
        "$fe/backend" "$be" "$fe/backend-id" 0 "$fe/state" 1 "$fe/virtual-device" "$2" ||
        fail "xenstore-write"
}

"$XENSTORED" --fake-domains -p "$work/xs.pid" -l "$work/xenstored.log" ||
    fail "lamina-xenstored did not start"

# Started on demand: exits 0 once it watches xenstore; a second start is a no-op.
"$BLKBACK" || fail "lamina-blkback did not start"
[ -f "$LAMINA_RUNDIR/lamina-blkback.pid" ] || fail "no pid file"
daemon=$(cat "$LAMINA_RUNDIR/lamina-blkback.pid")
kill -0 "$daemon" 2>/dev/null || fail "the daemon is not running"
"$BLKBACK" || fail "a second start should succeed"
[ "$(cat "$LAMINA_RUNDIR/lamina-blkback.pid")" = "$daemon" ] || fail "a second daemon started"

truncate -s 8M "$work/a.img" "$work/b.img"
add_disk 3 51712 "$work/a.img"
add_disk 4 51712 "$work/b.img"
wait_for /local/domain/0/backend/vbd/3/51712/state 2
wait_for /local/domain/0/backend/vbd/4/51712/state 2
wait_for /local/domain/0/backend/vbd/3/51712/sectors ""
[ "$(xenstore-read /local/domain/0/backend/vbd/3/51712/hotplug-status)" = connected ] ||
    fail "hotplug-status"
[ "$(xenstore-read /local/domain/0/backend/vbd/3/51712/feature-persistent)" = 1 ] ||
    fail "feature-persistent"
a=$(worker_pid 3 51712)
b=$(worker_pid 4 51712)
[ -n "$a" ] && [ -n "$b" ] && [ "$a" != "$b" ] || fail "one worker per disk expected"

# A worker that crashes is restarted, and the other disk's worker is untouched.
kill -9 "$a"
i=0
while [ "$(worker_pid 3 51712)" = "$a" ] && [ $i -lt 100 ]; do
    sleep 0.05
    i=$((i + 1))
done
a2=$(worker_pid 3 51712)
[ "$a2" != "$a" ] || fail "the crashed worker was not restarted"
kill -0 "$b" 2>/dev/null || fail "the other worker died too"

# A missing backing file: reported to the toolstack, not retried.
add_disk 5 51712 "$work/missing.img"
wait_for /local/domain/0/backend/vbd/5/51712/hotplug-status error
wait_for /local/domain/0/backend/vbd/5/51712/state 5

# Frontends that cannot be connected here (no hypervisor) are refused cleanly.
xenstore-write /local/domain/4/device/vbd/51712/ring-ref 8 \
    /local/domain/4/device/vbd/51712/event-channel 5 /local/domain/4/device/vbd/51712/state 3
wait_for /local/domain/0/backend/vbd/4/51712/state 5
kill -0 "$daemon" 2>/dev/null || fail "the daemon died"

# The toolstack removes a device: its worker exits.
xenstore-rm /local/domain/0/backend/vbd/4/51712
i=0
while kill -0 "$b" 2>/dev/null && [ $i -lt 100 ]; do
    sleep 0.05
    i=$((i + 1))
done
kill -0 "$b" 2>/dev/null && fail "the worker of a removed device did not exit"

# Stopping the daemon stops its workers; a new daemon serves the devices again.
kill "$daemon"
i=0
while kill -0 "$daemon" 2>/dev/null && [ $i -lt 200 ]; do
    sleep 0.05
    i=$((i + 1))
done
kill -0 "$daemon" 2>/dev/null && fail "the daemon did not stop"
kill -0 "$a2" 2>/dev/null && fail "a worker outlived the daemon"
"$BLKBACK" || fail "restart"
i=0
while [ "$(worker_pid 3 51712)" = "$a2" ] && [ $i -lt 100 ]; do
    sleep 0.05
    i=$((i + 1))
done
[ "$(worker_pid 3 51712)" != "$a2" ] || fail "the new daemon did not take the disk over"
wait_for /local/domain/0/backend/vbd/3/51712/state 2
echo "daemon.sh: ok"
