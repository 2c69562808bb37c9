# lib.sh: helpers for netfront's end-to-end tests, on top of tests/integration/lib.sh.
# SPDX-License-Identifier: MIT
#
# Sourced from the top build directory:  . "${srcdir:-.}/tests/netfront/lib.sh"
#
#   nf_init NAME PROGRAM...   lt_init (skip without /dev/kvm), then a private network
#                             namespace ($nf_ns; skip 77 if one cannot be made), lamina-hv,
#                             lamina-xenstored and lamina-netback (inside the namespace,
#                             so its TAP devices live there); all stopped by pid at exit,
#                             the namespace deleted
#   nf_ns_run CMD...          run a command inside the namespace
#   nf_netback_pid            the daemon's pid now (from its pid file)
#   nf_shutdown NAME...       `lamina shutdown` each guest, then wait for each to end;
#                             a failure unless each exits 0
#   nf_list NAME              `lamina network-list NAME` into $lt_tmp/list.out
#
# Guests talk only to each other and to the namespace; nothing leaves it.

. "${srcdir:-.}/tests/integration/lib.sh"

nf_ns=

nf_cleanup() {
    lt_cleanup
    [ -n "$nf_ns" ] && ip netns delete "$nf_ns" 2>/dev/null
}

nf_ns_run() {
    ip netns exec "$nf_ns" "$@"
}

nf_init() {
    nf_name=$1
    lt_init "$@"
    trap nf_cleanup EXIT
    command -v ip >/dev/null 2>&1 || { echo "SKIP: $nf_name: no ip(8): install iproute2"; exit 77; }
    nf_ns="lnf-$$-$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')"
    if ! ip netns add "$nf_ns" 2>"$lt_tmp/netns.err"; then
        nf_ns=
        echo "SKIP: $nf_name: cannot create a network namespace: $(cat "$lt_tmp/netns.err")"
        exit 77
    fi
    nf_ns_run ip link set lo up || { lt_fail "lo up in $nf_ns"; lt_finish; }
    lt_start_hv
    ASAN_OPTIONS=$lt_asan UBSAN_OPTIONS=$lt_ubsan "$lt_top/dom0-tools/xenstored/lamina-xenstored" ||
        { echo "ERROR: $nf_name: lamina-xenstored did not start" >&2; exit 99; }
    ASAN_OPTIONS=$lt_asan UBSAN_OPTIONS=$lt_ubsan \
        ip netns exec "$nf_ns" "$lt_top/dom0-tools/netback/lamina-netback" ||
        { echo "ERROR: $nf_name: lamina-netback did not start" >&2; exit 99; }
}

nf_netback_pid() {
    cat "$LAMINA_RUNDIR/lamina-netback.pid" 2>/dev/null
}

nf_shutdown() {
    for g in "$@"; do
        timeout 60 "$lt_lamina" shutdown "$g" > "$lt_tmp/shutdown-$g.out" 2>&1 ||
            lt_fail "lamina shutdown $g: $(cat "$lt_tmp/shutdown-$g.out")"
    done
    for g in "$@"; do
        lt_wait "$g"
        [ "$lt_rc" -eq 0 ] || lt_fail "guest $g exited with $lt_rc"
    done
}

nf_list() {
    timeout 30 "$lt_lamina" network-list "$1" > "$lt_tmp/list.out" 2>&1 ||
        lt_fail "lamina network-list $1: $(cat "$lt_tmp/list.out")"
}
