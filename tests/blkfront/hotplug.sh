#!/bin/sh
# hotplug.sh: disks attached to and detached from a running guest-kit guest.
# SPDX-License-Identifier: MIT
#
# tests/blkfront/blktest (mode=hotplug) boots with one disk and watches
# device/vbd. Twice: `lamina block-attach` gives it xvdb; the guest must
# see it, connect, write and read back 1 MiB, discard a few sectors (they
# must read back as zeros), then keep reads in flight;
# `lamina block-list` must show the disk; `lamina block-detach` must
# return, the guest's reads must all end (done, or failed with -ENODEV:
# no hang) and the guest must see the disk go; block-list must no longer
# show it. The second round reattaches the same device number.
. "${srcdir:-.}/tests/integration/lib.sh"

bt=$lt_top/tests/blkfront/blktest
pat=$lt_top/tests/blkfront/blk-pattern
lt_init blkfront-hotplug "$bt" "$pat"
lt_start_hv

truncate -s 8M "$lt_tmp/boot.img" "$lt_tmp/hot.img" || lt_fail "truncate"
lt_cfg hp "$bt" "disk = [ \"$lt_tmp/boot.img,raw,xvda,rw\" ]"
lt_guest hp 'extra="mode=hotplug rounds=2"'
lt_wait_line hp '^HOTPLUG watching: 1 disk' 60 || lt_finish

# list_has DEVID [STATE]: block-list shows the device (in that xenbus state).
list_has() {
    timeout 30 "$lt_lamina" block-list hp > "$lt_tmp/list.out" 2>&1 ||
        lt_fail "lamina block-list failed: $(cat "$lt_tmp/list.out")"
    awk -v d="$1" -v s="${2:-}" '$1 == d && (s == "" || $4 == s) { found = 1 }
        END { exit !found }' "$lt_tmp/list.out"
}

for round in 0 1; do
    timeout 60 "$lt_lamina" block-attach hp "$lt_tmp/hot.img,raw,xvdb,rw" \
        > "$lt_tmp/attach-$round.out" 2>&1 ||
        lt_fail "round $round: block-attach failed: $(cat "$lt_tmp/attach-$round.out")"
    lt_wait_line hp "^HOTPLUG busy devid=51728 round=$round" 60 || break
    list_has 51728 4 ||
        lt_fail "round $round: block-list does not show xvdb connected: $(cat "$lt_tmp/list.out")"
    list_has 51712 || lt_fail "round $round: block-list does not show xvda"
    timeout 60 "$lt_lamina" block-detach hp xvdb > "$lt_tmp/detach-$round.out" 2>&1 ||
        lt_fail "round $round: block-detach failed: $(cat "$lt_tmp/detach-$round.out")"
    lt_wait_line hp "^PASS round $round: disk 51728 detached" 60 || break
    ! list_has 51728 || lt_fail "round $round: xvdb still listed after block-detach"
    "$pat" check "$lt_tmp/hot.img" 0 2048 $((100 + round)) > "$lt_tmp/check.out" 2>&1 ||
        lt_fail "round $round: the image does not hold the guest's data"
done

lt_wait_line hp '^HOTPLUG waiting for shutdown' 60
timeout 60 "$lt_lamina" shutdown hp > "$lt_tmp/shutdown.out" 2>&1 ||
    lt_fail "lamina shutdown hp: $(cat "$lt_tmp/shutdown.out")"
lt_wait hp
[ "$lt_rc" -eq 0 ] || lt_fail "blktest exited with $lt_rc"
lt_expect hp '^PASS round 0: disk 51728 attached, connected, written and verified'
lt_expect hp '^PASS round 1: disk 51728 attached, connected, written and verified'
lt_expect hp '^PASS round 0: discarded sectors read back as zeros'
lt_expect hp '^blktest: done, 0 failures'
lt_no_fail hp
grep -aE '^PASS' "$lt_tmp/hp.out"
lt_finish
