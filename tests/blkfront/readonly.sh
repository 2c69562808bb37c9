#!/bin/sh
# readonly.sh: a read-only disk through blkfront: reads work, writes fail in the guest, the
# image stays as it was.
# SPDX-License-Identifier: MIT
#
# The image is stamped from dom0 (tests/blkfront/blk-pattern) and given to
# tests/blkfront/blktest as "access=ro". The guest reads and checks it,
# must see VDISK_READONLY and get -EROFS for writes and discards and
# -EINVAL for bad ranges and buffers, reads from its second vCPU, closes
# and reopens the disk, and closes it from the vCPU that did not open it. The image's checksum must not change.
. "${srcdir:-.}/tests/integration/lib.sh"

bt=$lt_top/tests/blkfront/blktest
pat=$lt_top/tests/blkfront/blk-pattern
lt_init blkfront-readonly "$bt" "$pat"
lt_start_hv

img=$lt_tmp/ro.img
truncate -s 8M "$img" || lt_fail "truncate"
"$pat" write "$img" 0 4096 77 > "$lt_tmp/stamp.out" 2>&1 || lt_fail "blk-pattern write failed"
before=$(cksum < "$img")

lt_cfg ro "$bt" "disk = [ \"vdev=xvda, access=ro, target=$img\" ]" "vcpus = 2"
lt_guest ro 'extra="mode=ro tag=77 sectors=4096"'
lt_wait ro
[ "$lt_rc" -eq 0 ] || lt_fail "blktest exited with $lt_rc"
lt_expect ro '^PASS the disk is read-only'
lt_expect ro '^PASS read 4096 sectors holding tag 77'
lt_expect ro '^PASS writes and discards refused with -EROFS'
lt_expect ro '^PASS bad ranges and buffers refused with -EINVAL'
lt_expect ro '^PASS reads from vCPU 1'
lt_expect ro '^PASS closed and opened again'
lt_expect ro '^PASS closed on vCPU 1, opened on vCPU 0'
lt_expect ro '^blktest: done, 0 failures'
lt_no_fail ro

[ "$(cksum < "$img")" = "$before" ] || lt_fail "the read-only image changed"
"$pat" check "$img" 0 4096 77 > "$lt_tmp/check.out" 2>&1 ||
    lt_fail "the read-only image lost its stamps: $(head -3 "$lt_tmp/check.out")"
grep -aE '^PASS' "$lt_tmp/ro.out"
lt_finish
