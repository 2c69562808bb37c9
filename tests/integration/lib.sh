# lib.sh: helpers for the integration scripts that run guests on a private lamina-hv.
# SPDX-License-Identifier: MIT
#
# Sourced (not run) from the top build directory, as `make check` runs the
# scripts:  . "${srcdir:-.}/tests/integration/lib.sh"
#
#   lt_init NAME PROGRAM...     skip (77) without a usable /dev/kvm, fail (99) when
#                               a program is not built; make a temporary directory
#                               ($lt_tmp) holding LAMINA_RUNDIR and LAMINA_LOGDIR
#   lt_start_hv                 start lamina-hv there; it and the daemons started there
#                               later (xenstored) are stopped by pid at exit
#   lt_dom0 NAME PROGRAM ARG... run a dom0 program (120 s at most); output in $lt_tmp/NAME.out,
#                               status in $lt_rc, a failure unless it is 0
#   lt_cfg NAME KERNEL [LINE...]  write $lt_tmp/NAME.cfg for a guest
#   lt_guest NAME [KEY=VALUE...]  run `lamina create -c` on NAME.cfg in the background;
#                               its output goes to $lt_tmp/NAME.out
#   lt_wait_line NAME REGEX [SECONDS]  wait until NAME printed a line matching REGEX;
#                               the line lands in $lt_line
#   lt_wait NAME                wait for NAME's `lamina create -c` to end; status in $lt_rc
#                               (it gives up after 120 s)
#   lt_field KEY                the value of KEY=value in $lt_line
#   lt_expect NAME REGEX        fail unless NAME printed a matching line
#   lt_no_fail NAME             fail if NAME printed a "FAIL" line
#   lt_fail MESSAGE             count a failure
#   lt_finish                   stop the daemons; fail on any sanitizer report of lamina-hv or
#                               a dom0 program (--enable-asan builds); show the outputs if
#                               anything failed; exit 0 or 1
#
# LAMINA_TEST_KEEP=1 keeps the temporary directory (outputs, logs) for a look.
# Guests print "PASS ..."/"FAIL ..." lines; the scripts assert on them.

set -u

lt_top=$(pwd)
lt_hv=$lt_top/hypervisor/lamina-hv
lt_lamina=$lt_top/dom0-tools/lamina
lt_failures=0
lt_pids=
lt_tmp=
lt_name=

# Stops the daemons of the private run directory by the pids in their pid
# files (lamina-hv, and the xenstored `lamina create` starts) and waits up
# to 10 s for each to finish its exit; one still there is killed, and fails
# the test.
lt_stop_daemons() {
    [ -n "$lt_tmp" ] && [ -d "$lt_tmp/run" ] || return 0
    for pidfile in $(find "$lt_tmp/run" -name '*.pid'); do
        dpid=$(cat "$pidfile" 2>/dev/null)
        case "$dpid" in
        '' | *[!0-9]*) continue ;;
        esac
        kill "$dpid" 2>/dev/null || continue
        for _ in $(seq 50); do
            kill -0 "$dpid" 2>/dev/null || break
            sleep 0.2
        done
        # A daemon that ignores SIGTERM is a bug, and must not outlive the test.
        if kill -0 "$dpid" 2>/dev/null; then
            kill -9 "$dpid" 2>/dev/null
            lt_fail "$(basename "$pidfile" .pid) (pid $dpid) did not exit within 10 s of SIGTERM"
        fi
    done
}

lt_cleanup() {
    for pid in $lt_pids; do
        kill "$pid" 2>/dev/null
    done
    lt_stop_daemons
    if [ -n "${LAMINA_TEST_KEEP:-}" ]; then
        echo "$lt_name: kept $lt_tmp"
    elif [ -n "$lt_tmp" ]; then
        rm -rf "$lt_tmp"
    fi
}

lt_init() {
    lt_name=$1
    shift
    if [ ! -c /dev/kvm ] || [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
        echo "SKIP: $lt_name: /dev/kvm is not usable here (not root, or no KVM)"
        exit 77
    fi
    for f in "$lt_hv" "$lt_lamina" "$@"; do
        if [ ! -x "$f" ]; then
            echo "ERROR: $lt_name: $f is not built (make check builds it)" >&2
            exit 99
        fi
    done
    lt_tmp=$(mktemp -d "${TMPDIR:-/tmp}/lamina-$lt_name.XXXXXX") || exit 99
    LAMINA_RUNDIR=$lt_tmp/run
    LAMINA_LOGDIR=$lt_tmp/log
    export LAMINA_RUNDIR LAMINA_LOGDIR
    mkdir -p "$LAMINA_RUNDIR" "$LAMINA_LOGDIR"
    # Reports of lamina-hv's and the dom0 test programs' sanitizers (--enable-asan
    # builds) land here; lt_finish fails on any.
    lt_asan="${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$lt_tmp/sanitizer"
    lt_ubsan="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}log_path=$lt_tmp/sanitizer"
    trap lt_cleanup EXIT
    trap 'exit 99' INT TERM
}

lt_start_hv() {
    ASAN_OPTIONS=$lt_asan UBSAN_OPTIONS=$lt_ubsan "$lt_hv" ||
        { echo "ERROR: $lt_name: lamina-hv did not start" >&2; exit 99; }
}

lt_dom0() {
    out=$1
    shift
    ASAN_OPTIONS=$lt_asan UBSAN_OPTIONS=$lt_ubsan timeout 120 "$@" > "$lt_tmp/$out.out" 2>&1
    lt_rc=$?
    [ "$lt_rc" -eq 0 ] || lt_fail "$out exited with $lt_rc"
}

lt_fail() {
    echo "FAIL: $lt_name: $*"
    lt_failures=$((lt_failures + 1))
}

lt_cfg() {
    cfg_name=$1
    cfg_kernel=$2
    shift 2
    {
        echo "name = \"$cfg_name\""
        echo "type = \"pvh\""
        echo "kernel = \"$cfg_kernel\""
        echo "memory = 32"
        for line in "$@"; do
            echo "$line"
        done
    } > "$lt_tmp/$cfg_name.cfg"
}

lt_guest() {
    g=$1
    shift
    timeout 120 "$lt_lamina" create -q -c "$lt_tmp/$g.cfg" "$@" > "$lt_tmp/$g.out" 2>&1 \
        < /dev/null &
    eval "lt_pid_$(echo "$g" | tr -c 'a-zA-Z0-9\n' _)=$!"
    lt_pids="$lt_pids $!"
}

lt_wait_line() {
    g=$1
    re=$2
    limit=$(( ${3:-60} * 10 ))
    n=0
    while [ $n -lt "$limit" ]; do
        lt_line=$(grep -aE -m1 -- "$re" "$lt_tmp/$g.out" 2>/dev/null)
        [ -n "$lt_line" ] && return 0
        sleep 0.1
        n=$((n + 1))
    done
    lt_fail "$g printed no line matching '$re' within ${3:-60} s"
    lt_line=
    return 1
}

lt_wait() {
    g=$1
    var=lt_pid_$(echo "$g" | tr -c 'a-zA-Z0-9\n' _)
    eval "pid=\${$var:-}"
    if [ -z "$pid" ]; then
        lt_rc=99
        return
    fi
    wait "$pid"
    lt_rc=$?
}

lt_field() {
    echo "$lt_line" | tr ' ' '\n' | sed -n "s/^$1=//p" | head -n1
}

lt_expect() {
    grep -aqE -- "$2" "$lt_tmp/$1.out" || lt_fail "$1 printed no line matching '$2'"
}

lt_no_fail() {
    if grep -aq '^FAIL' "$lt_tmp/$1.out"; then
        lt_fail "$1 reported failures"
    fi
}

lt_finish() {
    lt_stop_daemons
    for f in "$lt_tmp"/sanitizer.*; do
        [ -f "$f" ] || continue
        lt_fail "a sanitizer reported an error ($f):"
        head -n 40 "$f"
    done
    if [ "$lt_failures" -ne 0 ]; then
        for f in "$lt_tmp"/*.out "$LAMINA_LOGDIR"/lamina-hv.log; do
            [ -f "$f" ] || continue
            echo "--- $f (last 60 lines)"
            tail -n 60 "$f"
        done
        echo "$lt_name: $lt_failures check(s) failed"
        exit 1
    fi
    echo "$lt_name: all checks passed"
    exit 0
}
