#!/bin/sh
# data.sh: blkfront end to end: data round trips, and flushed data surviving a killed guest or
# a killed backend worker.
# SPDX-License-Identifier: MIT
#
# guest-kit/examples/blk-verify writes stamped sectors (sector number, tag)
# through blkfront into an image that lamina-blkback serves, flushes, reads
# them back and checks them; tests/blkfront/blk-pattern then checks the
# image from dom0. Runs: 8 MiB in 1 MiB I/Os at 512-byte-aligned buffers
# (257 pages each: an indirect request of 256 segments and one more,
# persistent grants); 4 KiB I/Os through a one-page ring without indirect
# requests or persistent grants (1024 requests through 32 slots: the ring
# wraps 32 times); 2 MiB I/Os at an odd sector through that small ring (47
# requests each: I/Os wait in the driver's queue for slots); a fresh
# connection reading the first run's data back. Then durability: a guest
# prints FLUSHED after its flush and is destroyed at once; another one's
# backend worker is killed (SIGKILL) right after FLUSHED; the image must
# hold the data both times. The daemon restarts the worker, which resumes
# the ring: the guest, told to go on (`lamina shutdown`, which blk-verify's
# hold mode takes as "continue"), must read the data back through it.
. "${srcdir:-.}/tests/integration/lib.sh"

bv=$lt_top/guest-kit/examples/blk-verify/blk-verify
pat=$lt_top/tests/blkfront/blk-pattern
lt_init blkfront-data "$bv" "$pat"
lt_start_hv

img=$lt_tmp/disk.img
truncate -s 64M "$img" || lt_fail "truncate"
# cfg NAME: a domain NAME running blk-verify on the image.
cfg() {
    lt_cfg "$1" "$bv" "disk = [ \"$img,raw,xvda,rw\" ]"
}

# run_bv NAME EXTRA: one blk-verify run to its end; it must pass.
run_bv() {
    cfg "$1"
    lt_guest "$1" "extra=\"$2\""
    lt_wait "$1"
    [ "$lt_rc" -eq 0 ] || lt_fail "$1: blk-verify exited with $lt_rc"
    lt_expect "$1" '^blk-verify: all passed'
}

# check NAME FIRST COUNT TAG: the image holds the stamps (read by dom0).
check() {
    "$pat" check "$img" "$2" "$3" "$4" > "$lt_tmp/$1-check.out" 2>&1 ||
        lt_fail "$1: the image lacks what the guest wrote: $(head -3 "$lt_tmp/$1-check.out")"
}

run_bv big "sectors=16384 tag=11 io=2048 depth=4"
lt_expect big '256 segments per request, persistent grants'
lt_expect big 'stats requests=[0-9]+ indirect=[1-9][0-9]* .* grant_hits=[1-9]'
check big 0 16384 11

run_bv wrap "start=16384 sectors=8192 tag=12 io=8 depth=32 ring=1 indirect=0 persistent=0"
lt_expect wrap 'ring 1 page\(s\) \(32 requests\), 11 segments per request, flush'
lt_expect wrap 'stats requests=20[0-9][0-9] indirect=0 responses=20[0-9][0-9] '
check wrap 16384 8192 12

run_bv split "start=24577 sectors=12288 tag=13 io=4096 depth=2 align=4096 ring=1 indirect=0"
lt_expect split 'stats .* queued=[1-9]'
check split 24577 12288 13

run_bv reread "sectors=16384 tag=11 mode=verify io=512 depth=4"

# Durability 1: the guest destroyed right after its flush.
cfg hold
lt_guest hold "extra=\"mode=hold start=40000 sectors=4096 tag=21\""
if lt_wait_line hold '^FLUSHED tag=21 sectors=40000-44095' 60; then
    "$lt_lamina" destroy hold > "$lt_tmp/destroy.out" 2>&1 ||
        lt_fail "lamina destroy hold: $(cat "$lt_tmp/destroy.out")"
    check hold 40000 4096 21
fi
lt_wait hold

# Durability 2: the backend's worker killed right after the flush; then the
# guest reads the range back through the worker the daemon started instead.
cfg kill
lt_guest kill "extra=\"mode=hold after=verify start=50000 sectors=4096 tag=22\""
if lt_wait_line kill '^FLUSHED tag=22 sectors=50000-54095' 60; then
    domid=$("$lt_lamina" domid kill 2>/dev/null)
    worker=$(sed -n "s/.*vbd $domid\/51712: worker \([0-9]*\) started.*/\1/p" \
        "$LAMINA_LOGDIR/blkback.log" | tail -n1)
    if [ -n "$worker" ] && kill -0 "$worker" 2>/dev/null; then
        kill -KILL "$worker"
        check kill 50000 4096 22
        "$lt_lamina" shutdown kill > "$lt_tmp/shutdown.out" 2>&1 ||
            lt_fail "lamina shutdown kill: $(cat "$lt_tmp/shutdown.out")"
    else
        lt_fail "no worker serving domain ${domid:-?} in blkback.log"
        "$lt_lamina" destroy kill > /dev/null 2>&1
    fi
fi
lt_wait kill
[ "$lt_rc" -eq 0 ] || lt_fail "kill: blk-verify exited with $lt_rc"
lt_expect kill '^blk-verify: PASS verify sectors 50000-54095 tag=22'
grep -q "worker ${worker:-x} killed by signal 9" "$LAMINA_LOGDIR/blkback.log" ||
    lt_fail "blkback.log does not report the killed worker"
grep -q "vbd ${domid:-x}/51712: resumed" "$LAMINA_LOGDIR/blkback.log" ||
    lt_fail "no worker resumed the ring after the kill"

for g in big wrap split reread hold kill; do
    grep -aE '^blk-verify: (PASS|FAIL)' "$lt_tmp/$g.out" | sed "s/^/$g: /"
done
lt_finish
