#!/bin/sh
# hostile.sh: a guest abusing the blkif protocol cannot disturb lamina-blkback's other guests.
# SPDX-License-Identifier: MIT
#
# A good guest (guest-kit/examples/blk-verify, mode=loop) writes, flushes
# and checks its own disk over and over while tests/blkfront/blkhostile
# talks to its own disks with a hand-made ring: unknown operations, bad
# segment counts, sector fields and ranges, unknown, foreign, revoked and
# read-only grants, broken indirect requests, duplicate ids, floods of
# requests and notifications, a write to a read-only disk, and ring
# indexes moved far ahead and backwards. Every bad request must get an
# error (or the device closed); the broken rings must close the device and
# a new connection must work. The good guest must pass every round, its
# image must hold its data, and lamina-blkback's daemon must still run.
. "${srcdir:-.}/tests/integration/lib.sh"

bv=$lt_top/guest-kit/examples/blk-verify/blk-verify
bh=$lt_top/tests/blkfront/blkhostile
pat=$lt_top/tests/blkfront/blk-pattern
lt_init blkfront-hostile "$bv" "$bh" "$pat"
lt_start_hv

truncate -s 16M "$lt_tmp/good.img" "$lt_tmp/bad.img" "$lt_tmp/bad-ro.img" || lt_fail "truncate"
lt_cfg good "$bv" "disk = [ \"$lt_tmp/good.img,raw,xvda,rw\" ]"
lt_cfg bad "$bh" "disk = [ \"$lt_tmp/bad.img,raw,xvda,rw\", \"$lt_tmp/bad-ro.img,raw,xvdb,r\" ]"

lt_guest good 'extra="mode=loop sectors=4096 io=64 depth=8 tag=500"'
lt_wait_line good '^blk-verify: loop pass 0 passed' 60 || lt_finish
daemon=$(cat "$LAMINA_RUNDIR/lamina-blkback.pid" 2>/dev/null)

lt_guest bad 'extra="flood=40"'
lt_wait bad
[ "$lt_rc" -eq 0 ] || lt_fail "blkhostile exited with $lt_rc"
for what in 'a valid read works' \
    'unknown and unsupported operations answered with errors' \
    'bad segment counts, sector fields and ranges answered with errors' \
    'unknown, foreign, revoked and read-only grants answered with errors' \
    'a grant revoked in flight: answered' \
    'broken indirect requests answered with errors' \
    'two requests with one id: both answered' \
    'flood: ' \
    'a write to a read-only disk refused by the backend' \
    '2000 notifications for nothing' \
    'req_prod 1000 ahead: the backend closed the device' \
    'reconnected after req_prod 1000 ahead, reads work' \
    'req_prod moved backwards: the backend closed the device' \
    'reconnected after req_prod moved backwards, reads work'; do
    lt_expect bad "^PASS $what"
done
lt_expect bad '^blkhostile: done, 0 failures'
lt_no_fail bad

[ -n "$daemon" ] && kill -0 "$daemon" 2>/dev/null || lt_fail "lamina-blkback's daemon is gone"
grep -q "broke the ring protocol" "$LAMINA_LOGDIR/blkback.log" ||
    lt_fail "blkback.log does not report the broken rings"

timeout 60 "$lt_lamina" shutdown good > "$lt_tmp/shutdown.out" 2>&1 ||
    lt_fail "lamina shutdown good: $(cat "$lt_tmp/shutdown.out")"
lt_wait good
[ "$lt_rc" -eq 0 ] || lt_fail "the good guest exited with $lt_rc"
lt_expect good '^blk-verify: all passed'
lt_no_fail good
passes=$(grep -ac '^blk-verify: loop pass [0-9]* passed' "$lt_tmp/good.out")
[ "$passes" -ge 2 ] || lt_fail "the good guest finished only $passes round(s)"
tag=$(grep -aE '^blk-verify: PASS verify ' "$lt_tmp/good.out" | tail -n1 |
    sed 's/.*tag=\([0-9]*\).*/\1/')
"$pat" check "$lt_tmp/good.img" 0 4096 "${tag:-0}" > "$lt_tmp/check.out" 2>&1 ||
    lt_fail "the good guest's image does not hold its last round: $(head -3 "$lt_tmp/check.out")"
echo "good guest: $passes rounds passed beside the hostile one"
grep -aE '^PASS' "$lt_tmp/bad.out"
lt_finish
