# lib.sh: helpers for nested scenarios, sourced as /lib/nested/lib.sh inside the test host.
# SPDX-License-Identifier: MIT
#
# A scenario runs in /build (the build-tree files it asked for), with
# LAMINA_RUNDIR and LAMINA_LOGDIR of its own, under a time limit. It ends
# with exit 0 (pass), `skip WHY` or `fail WHY`.

# fail WHY: the scenario failed; WHY becomes the NESTED FAIL line's reason.
fail() {
    echo "$*" > "$NESTED_REASON"
    echo "FAIL: $*"
    exit 1
}

# skip WHY: the scenario cannot run here; WHY goes on the NESTED SKIP line.
skip() {
    echo "$*" > "$NESTED_REASON"
    exit 77
}

# note TEXT: a fact the host prints in its summary (timings, capability values).
note() {
    echo "NESTED NOTE $NESTED_NAME: $*"
}

# uptime_ms: milliseconds since the test host booted (10 ms resolution).
uptime_ms() {
    read -r up _ < /proc/uptime
    echo $(( ${up%.*} * 1000 + 1${up#*.} * 10 - 1000 ))
}

# hv_start [ARG...]: starts lamina-hv from the build tree (it daemonizes and
# writes its pid file); init stops it after the scenario.
hv_start() {
    ./hypervisor/lamina-hv "$@" || fail "lamina-hv did not start (exit status $?)"
    [ -f "$LAMINA_RUNDIR/lamina-hv.pid" ] || fail "lamina-hv left no pid file in $LAMINA_RUNDIR"
}

# guest NAME TIMEOUT CONFIG [KEY=VALUE...]: `lamina create CONFIG -c` with a time
# limit; output in $NESTED_DIR/NAME.out, exit status in $rc (124 when the time
# ran out: the console detaches on SIGTERM and exits 0), duration in $ms.
guest() {
    g_name=$1
    g_limit=$2
    shift 2
    g_start=$(uptime_ms)
    timeout -k 5 "$g_limit" ./dom0-tools/lamina create -q "$@" -c \
        > "$NESTED_DIR/$g_name.out" 2>&1
    rc=$?
    ms=$(( $(uptime_ms) - g_start ))
    [ "$ms" -lt $(( g_limit * 1000 )) ] || rc=124
    sed "s/^/  $g_name> /" "$NESTED_DIR/$g_name.out"
}

# guest_bg NAME TIMEOUT CONFIG [KEY=VALUE...]: `guest` in the background; then
# wait_line NAME REGEX [SECONDS] waits for a line of its output (the line lands
# in $line, failing the scenario when it does not come) and guest_wait NAME
# waits for it to end (status in $rc, duration in $ms, as `guest`).
guest_bg() {
    g_name=$1
    g_limit=$2
    shift 2
    g_start=$(uptime_ms)
    timeout -k 5 "$g_limit" ./dom0-tools/lamina create -q "$@" -c \
        > "$NESTED_DIR/$g_name.out" 2>&1 &
    g_pid=$!
}

wait_line() {
    w_limit=$(( ${3:-60} * 10 ))
    w_n=0
    while [ "$w_n" -lt "$w_limit" ]; do
        line=$(grep -a -m 1 -E -- "$2" "$NESTED_DIR/$1.out" 2>/dev/null | tr -d '\r')
        [ -n "$line" ] && return 0
        kill -0 "$g_pid" 2>/dev/null || break
        sleep 0.1
        w_n=$((w_n + 1))
    done
    sed "s/^/  $1> /" "$NESTED_DIR/$1.out"
    fail "$1 printed no line matching '$2'; it said: $(grep -v '^$' "$NESTED_DIR/$1.out" |
        tail -n 2 | tr '\n' ' ')"
}

guest_wait() {
    wait "$g_pid"
    rc=$?
    ms=$(( $(uptime_ms) - g_start ))
    [ "$ms" -lt $(( g_limit * 1000 )) ] || rc=124
    sed "s/^/  $1> /" "$NESTED_DIR/$1.out"
}

# guest_ok: fails the scenario unless the last `guest` ended on its own with status 0.
guest_ok() {
    # The most telling line: a guest's crash report or error, else its last line.
    g_why=$(grep -m 1 -E '^\*\*\*|panic|crash|rror' "$NESTED_DIR/$g_name.out" ||
            tail -n 1 "$NESTED_DIR/$g_name.out")
    case $rc in
    0) ;;
    124) fail "$g_name did not end within ${g_limit}s; it said: $g_why" ;;
    *) fail "$g_name: lamina create -c exited with $rc; the guest said: $g_why" ;;
    esac
}

# hypercall_summary: with `hv_start -v`, each distinct hypercall (name, first
# argument, result) the guests made, with counts, from lamina-hv's log.
hypercall_summary() {
    sed -n 's/.*: \([a-z_]*\)(\([0-9a-fx]*\), .*) = \(-*[0-9]*\)$/\1 \2 = \3/p' \
        "$LAMINA_LOGDIR/lamina-hv.log" | sort | uniq -c | sort -rn
    grep -E 'unknown hypercall|warn' "$LAMINA_LOGDIR/lamina-hv.log" | sort | uniq -c | head -n 20
    grep -vE 'event_channel_op\(0x4,' "$LAMINA_LOGDIR/lamina-hv.log" | head -n "${1:-0}"
}
