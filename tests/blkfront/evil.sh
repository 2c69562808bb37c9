#!/bin/sh
# evil.sh: a backend that lies cannot crash or hang guest-kit's blkfront.
# SPDX-License-Identifier: MIT
#
# tests/blkfront/evil-backend plays the backend for one disk after the other
# (outside lamina-blkback's directory) and misbehaves: answers for requests
# never made, a wrong operation, rsp_prod far ahead, a duplicate answer, a
# garbage state, vanishing with a request taken, a write into the guest's
# page after the frontend closed, a bad sector size, a disk of 2^64 - 1
# sectors, a 2 GiB sector size, a request never answered. The guest
# (tests/blkfront/blktest mode=evil) must see its I/O fail (-EIO for a
# broken or stalled ring, -ENODEV for a backend gone), refuse the bad
# geometries, give up on the unanswered request after its I/O timeout
# (3 s here) and not before, never complete a read before the backend let
# go of its page, and close every disk.
. "${srcdir:-.}/tests/integration/lib.sh"

bt=$lt_top/tests/blkfront/blktest
evil=$lt_top/tests/blkfront/evil-backend
lt_init blkfront-evil "$bt" "$evil"
lt_start_hv

lt_cfg ev "$bt"
lt_guest ev 'extra="mode=evil rounds=11 timeout_ms=3000"'
lt_wait_line ev '^HOTPLUG watching: evil backend' 60 || lt_finish
domid=$("$lt_lamina" domid ev 2>/dev/null)
lt_dom0 evil "$evil" "${domid:-0}"
lt_wait ev
[ "$lt_rc" -eq 0 ] || lt_fail "blktest exited with $lt_rc"

# expect ROUND PATTERN: the guest's line for that round.
expect() {
    lt_expect ev "^EVIL round $1 devid=[0-9]+ $2\$"
    lt_expect ev "^EVIL round $1 closed|^EVIL round $1 devid=[0-9]+ open=-"
}
expect 0 'open=0 read1=-5 read2=-19 marker=0 connected=0'
expect 1 'open=0 read1=-5 read2=-19 marker=0 connected=0'
expect 2 'open=0 read1=-5 read2=-19 marker=0 connected=0'
expect 3 'open=0 read1=-5 read2=-19 marker=0 connected=0'
expect 4 'open=0 read1=-19 read2=-19 marker=0 connected=0'
expect 5 'open=0 read1=-19 read2=-19 marker=0 connected=0'
expect 6 'open=0 read1=-19 read2=-19 marker=1 connected=0'
expect 7 'open=-5'
expect 8 'open=-5'
expect 9 'open=-5'
expect 10 'open=0 read1=-5 read2=-19 marker=0 connected=0'
lt_expect ev 'left a request unanswered for more than 3000 ms'
stall_ms=$(sed -n 's/^EVIL round 10 read1 took \([0-9]*\) ms.*/\1/p' "$lt_tmp/ev.out")
[ "${stall_ms:-0}" -ge 3000 ] && [ "${stall_ms:-0}" -lt 10000 ] ||
    lt_fail "the unanswered read ended after ${stall_ms:-?} ms, not 3-10 s"
lt_expect ev '^blktest: done, 0 failures'
lt_expect ev 'the backend broke the ring protocol'
lt_no_fail ev
grep -aE '^EVIL round [0-9]+ (devid|read1)' "$lt_tmp/ev.out"
grep -aE '^evil-backend' "$lt_tmp/evil.out"
lt_finish
