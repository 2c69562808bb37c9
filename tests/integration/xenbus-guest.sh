#!/bin/sh
# xenbus-guest.sh: guests use xenstore through their ring; `lamina shutdown` ends them through it.
# SPDX-License-Identifier: MIT
#
# Two guests run tests/guests/xenbus: the first checks its own tree and
# waits; the second, given the first one's domid, also checks that it can
# neither read nor write the first one's tree. Then `lamina shutdown -w`
# must end the first through control/shutdown (a clean poweroff, its
# console saying so), and its xenstore tree must be gone afterwards.
. "${srcdir:-.}/tests/integration/lib.sh"

xb=$lt_top/tests/guests/xenbus
lt_init xenbus-guest "$xb"
lt_start_hv

# dom0's view is read with Debian's xenstore-utils where they are (or can be) installed.
if ! command -v xenstore-read > /dev/null 2>&1 && [ "$(id -u)" = 0 ] &&
    command -v apt-get > /dev/null 2>&1; then
    apt-get install -y -q xenstore-utils > /dev/null 2>&1
fi
XENSTORED_PATH=$LAMINA_RUNDIR/xenstored/socket
export XENSTORED_PATH
have_utils=
command -v xenstore-read > /dev/null 2>&1 && have_utils=1
[ -n "$have_utils" ] ||
    echo "SKIP: xenbus-guest: dom0-side tree checks (xenstore-utils missing, apt-get failed)"

lt_cfg xb-a "$xb" 'on_poweroff = "destroy"'
lt_cfg xb-b "$xb"
lt_guest xb-a "extra=\"name=xb-a wait=1 count=100\""
lt_wait_line xb-a '^xenbus: waiting for shutdown' 120 || lt_finish
a_id=$("$lt_lamina" domid xb-a 2>/dev/null)
[ -n "$a_id" ] || lt_fail "lamina domid xb-a printed nothing"
lt_guest xb-b "extra=\"name=xb-b peer=${a_id:-1} count=100\""
lt_wait xb-b
[ "$lt_rc" -eq 0 ] || lt_fail "xb-b: lamina create exited with $lt_rc"

# While xb-a runs: its tree holds what the guest wrote, as dom0 sees it.
if [ -n "$have_utils" ]; then
    feature=$(xenstore-read "/local/domain/${a_id:-1}/control/feature-poweroff" 2>&1)
    [ "$feature" = 1 ] || lt_fail "control/feature-poweroff of xb-a reads '$feature', expected 1"
fi

timeout 60 "$lt_lamina" shutdown -w xb-a > "$lt_tmp/shutdown.out" 2>&1 ||
    lt_fail "lamina shutdown -w xb-a failed: $(cat "$lt_tmp/shutdown.out")"
lt_wait xb-a
[ "$lt_rc" -eq 0 ] || lt_fail "xb-a: lamina create exited with $lt_rc after the shutdown"
if "$lt_lamina" list xb-a > /dev/null 2>&1; then
    lt_fail "xb-a still listed after lamina shutdown -w"
fi
if [ -n "$have_utils" ] && xenstore-exists "/local/domain/${a_id:-1}" 2> /dev/null; then
    lt_fail "xb-a's tree outlived it: $(xenstore-ls "/local/domain/${a_id:-1}" 2>&1 | head -5)"
fi

for g in xb-a xb-b; do
    lt_expect $g '^PASS own tree'
    lt_expect $g '^PASS read, write, mkdir, directory, rm, missing nodes'
    lt_expect $g '^PASS values larger than the ring, over quota and over-long refused'
    lt_expect $g '^PASS transactions: commit, conflict \(EAGAIN\), abort, unknown id'
    lt_expect $g '^PASS watches: initial event, relative and absolute paths, unwatch'
    lt_expect $g '^PASS state handshake helpers'
    lt_expect $g '^xenbus: done, 0 failures'
    lt_no_fail $g
done
lt_expect xb-a '^PASS denied: dom0.s tree, /tool, dom0-owned nodes, bad paths$'
lt_expect xb-b '^PASS denied: .*, another domain.s tree'
lt_expect xb-a '^xenbus: shutdown requested'
grep -aE ': time ' "$lt_tmp/xb-a.out" "$lt_tmp/xb-b.out"
lt_finish
