#!/bin/sh
# nested.sh: runs Lamina in a "test host" VM with a standard KVM (qemu TCG, Debian trixie kernel).
# SPDX-License-Identifier: MIT
#
# Usage, from the top build directory (as `make check` runs it):
#     tests/nested/nested.sh [SCENARIO...]        e.g. ../tests/nested/nested.sh hello
# Without arguments (and without LAMINA_NESTED_SCENARIOS) it runs every
# tests/nested/scenarios/*.sh. See docs/testing-nested.md.
#
# Steps: install qemu-system-x86 if missing (root only); fetch the trixie
# kernel and busybox-static into the cache (fetch.sh); build an initramfs
# with busybox, the kvm modules, kvm-probe, init.sh, the scenarios and the
# build-tree files they list with their shared libraries; boot it under
# qemu -accel tcg -cpu max (AMD SVM with nested paging, so the test host has
# kvm_amd); read the NESTED lines from its serial console.
#
# Exit: 0 when every scenario passed (skipped ones are listed), 1 when one
# failed, 77 when none could run (the reason is printed), 99 on a harness error.
#
# Environment: LAMINA_NESTED=0 skips the test; LAMINA_NESTED_SCENARIOS names
# scenarios; LAMINA_NESTED_CACHE (default .cache/nested in the source
# directory, else in the build directory); LAMINA_NESTED_TIMEOUT, seconds for
# the whole test host run (default 540); LAMINA_NESTED_MEM, MiB (default
# 2048); LAMINA_NESTED_APPEND, more kernel arguments; LAMINA_NESTED_KEEP=1
# keeps the work directory (initramfs tree); LAMINA_NESTED_REFRESH=1 asks the
# registry for a newer kernel.
set -u

here=$(cd "$(dirname "$0")" && pwd)
srcroot=$(cd "$here/../.." && pwd)
top=$(pwd)
# One cache for all build directories of a source tree (fetch.sh locks it),
# unless the sources are read-only (distcheck).
if [ -n "${LAMINA_NESTED_CACHE:-}" ]; then
    cache=$LAMINA_NESTED_CACHE
elif [ -w "$srcroot" ]; then
    cache=$srcroot/.cache/nested
else
    cache=$top/.cache/nested
fi
limit=${LAMINA_NESTED_TIMEOUT:-540}
mem=${LAMINA_NESTED_MEM:-2048}
log=$top/tests/nested/nested-serial.log
work=
qpid=

say() {
    echo "nested: $*"
}
skip() {
    say "SKIP: $*"
    exit 77
}
die() {
    say "ERROR: $*" >&2
    exit 99
}
now_ms() {
    echo $(( $(date +%s%N) / 1000000 ))
}

# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
    [ -z "$qpid" ] || kill "$qpid" 2>/dev/null
    if [ -n "$work" ]; then
        if [ "${LAMINA_NESTED_KEEP:-0}" = 1 ]; then
            say "work directory kept: $work"
        else
            rm -rf "$work"
        fi
    fi
}
trap cleanup EXIT
trap 'exit 99' INT TERM HUP

[ "${LAMINA_NESTED:-1}" != 0 ] || skip "LAMINA_NESTED=0"
[ "$(uname -m)" = x86_64 ] || skip "the build is not x86_64"
[ -f "$top/config.status" ] ||
    die "run this from the top build directory (no config.status in $top)"

# The scenarios: all of them, or those named (NAME or NN-NAME).
names=${*:-${LAMINA_NESTED_SCENARIOS:-}}
scenarios=
if [ -z "$names" ]; then
    for f in "$here"/scenarios/*.sh; do
        [ -f "$f" ] && scenarios="$scenarios $f"
    done
else
    for n in $names; do
        f=
        for g in "$here/scenarios/$n.sh" "$here"/scenarios/[0-9][0-9]-"$n".sh; do
            [ -f "$g" ] && f=$g
        done
        [ -n "$f" ] || die "no scenario '$n' in $here/scenarios"
        scenarios="$scenarios $f"
    done
fi
[ -n "$scenarios" ] || die "no scenarios in $here/scenarios"

scenario_name() {
    n=$(basename "$1" .sh)
    echo "${n#[0-9][0-9]-}"
}

# qemu-system-x86 is big: installed here, on first use, rather than by deps.sh.
if ! command -v qemu-system-x86_64 >/dev/null 2>&1; then
    [ "$(id -u)" = 0 ] ||
        skip "qemu-system-x86_64 is missing (apt-get install qemu-system-x86, or run as root)"
    command -v apt-get >/dev/null 2>&1 ||
        skip "qemu-system-x86_64 is missing and there is no apt-get"
    say "installing qemu-system-x86 (once; it is not in scripts/deps.sh)"
    ilog=$top/tests/nested/qemu-install.log
    mkdir -p "$top/tests/nested"
    export DEBIAN_FRONTEND=noninteractive
    set -- -y -q --no-install-recommends -o DPkg::Lock::Timeout=120 qemu-system-x86
    if ! timeout 300 apt-get install "$@" > "$ilog" 2>&1; then
        timeout 180 apt-get update -q >> "$ilog" 2>&1
        timeout 300 apt-get install "$@" >> "$ilog" 2>&1 ||
            skip "cannot install qemu-system-x86: $(grep '^E:' "$ilog" | head -n 2 | tr '\n' ' ')"
    fi
    command -v qemu-system-x86_64 >/dev/null 2>&1 ||
        skip "qemu-system-x86 installed no qemu-system-x86_64 (see $ilog)"
fi
set --

t0=$(now_ms)
"$here/fetch.sh" "$cache"
rc=$?
[ $rc -eq 0 ] || { [ $rc -eq 77 ] && skip "the test host's packages cannot be had (see above)"; }
[ $rc -eq 0 ] || die "fetch.sh failed"
# shellcheck disable=SC1091
. "$cache/current.env"
t_fetch=$(( $(now_ms) - t0 ))

# --- the initramfs
t0=$(now_ms)
work=$(mktemp -d "${TMPDIR:-/tmp}/lamina-nested.XXXXXX") || die "mktemp failed"
root=$work/root
mkdir -p "$root/bin" "$root/lib/modules/kvm" "$root/lib/nested" "$root/lib/x86_64-linux-gnu" \
         "$root/scenarios" "$root/build" "$root/proc" "$root/sys" "$root/dev" "$root/tmp" \
         "$root/run" || die "cannot populate $root"
cp "$BUSYBOX" "$root/bin/busybox" || die "cannot copy busybox"
for m in irqbypass ccp kvm kvm-amd tun llc stp bridge; do
    cp "$KVM_MODULES/$m.ko" "$root/lib/modules/kvm/" || die "cannot copy $m.ko"
done
probe=$top/tests/nested/kvm-probe
[ -x "$probe" ] || die "$probe is missing: run make check (or make tests/nested/kvm-probe)"
cp "$probe" "$root/bin/" || die "cannot copy kvm-probe"
{ cp "$here/init.sh" "$root/init" && chmod 755 "$root/init"; } || die "cannot install /init"
cp "$here/lib.sh" "$root/lib/nested/lib.sh" || die "cannot copy lib.sh"

# add_libs FILE: copies the shared libraries FILE needs, as ldd resolves them
# on this host (libtool's environment included), and its dynamic loader.
add_libs() {
    "$top/libtool" --mode=execute ldd "$1" > "$work/ldd.out" 2>&1 ||
        die "ldd $1 failed: $(cat "$work/ldd.out")"
    ! grep -q 'not found' "$work/ldd.out" || die "$1: $(grep 'not found' "$work/ldd.out")"
    while read -r a b c _; do
        case $a in
        linux-vdso.so.*|statically|not) ;;
        /*)
            mkdir -p "$root$(dirname "$a")"
            cp -L "$a" "$root$a" || die "cannot copy the loader $a"
            ;;
        *)
            [ "$b" = "=>" ] && [ -f "$c" ] || continue
            cp -L "$c" "$root/lib/x86_64-linux-gnu/$a" || die "cannot copy $c"
            ;;
        esac
    done < "$work/ldd.out"
}

# add_file PATH: a file of the build tree (else the source tree) at /build/PATH;
# programs bring their libraries. A libtool wrapper is replaced by its program.
add_file() {
    src=$top/$1
    [ -e "$src" ] || src=$srcroot/$1
    [ -e "$src" ] || return 1
    dst=$root/build/$1
    mkdir -p "$(dirname "$dst")"
    real=$src
    if head -c 2 "$src" | grep -q '^#!' && grep -q 'libtool' "$src"; then
        real=$("$top/libtool" --mode=execute echo "$src") || die "cannot resolve libtool wrapper $1"
    fi
    cp "$real" "$dst" || die "cannot copy $real"
    if readelf -l "$real" 2>/dev/null | grep -q 'program interpreter'; then
        strip -d "$dst" 2>/dev/null
        add_libs "$src"
    fi
}

# add_host_file PATH: a file of this machine at the same path (a program with its
# libraries); missing ones are left out, and the scenario that wanted them skips.
add_host_file() {
    [ -f "$1" ] || return 0
    mkdir -p "$root$(dirname "$1")"
    cp -L "$1" "$root$1" || die "cannot copy $1"
    if readelf -l "$1" 2>/dev/null | grep -q 'program interpreter'; then
        add_libs "$1"
    fi
}

command -v readelf >/dev/null 2>&1 || die "readelf (binutils) is missing"
for s in $scenarios; do
    name=$(scenario_name "$s")
    cp "$s" "$root/scenarios/" || die "cannot copy $s"
    for need in $(sed -n 's/^# needs://p' "$s"); do
        add_file "$need" ||
            die "scenario $name needs $need: neither built nor in the sources (make check?)"
    done
    for need in $(sed -n 's/^# needs-host://p' "$s"); do
        add_host_file "$need"
    done
done
# The Linux guest (scenarios with a "# linux-guest" line): the test host's own
# kernel, an initramfs of busybox, guest-init.sh and the guest's modules, and
# an empty ext4 image for its disk.
if grep -q '^# linux-guest' $scenarios; then
    groot=$work/guest-root
    mkdir -p "$groot/bin" "$groot/lib/modules/guest" "$groot/proc" "$groot/sys" "$groot/dev" \
             "$root/guest" || die "cannot populate $groot"
    cp "$BUSYBOX" "$groot/bin/busybox" || die "cannot copy busybox for the guest"
    { cp "$here/guest-init.sh" "$groot/init" && chmod 755 "$groot/init"; } ||
        die "cannot install the guest's /init"
    : > "$groot/lib/modules/guest/order"
    for m in xen-blkfront xen-netfront crc32c_generic crc16 mbcache jbd2 ext4; do
        cp "$GUEST_MODULES/$m.ko" "$groot/lib/modules/guest/" ||
            die "cannot copy the guest module $m.ko"
        echo "$m" >> "$groot/lib/modules/guest/order"
    done
    (cd "$groot" && find . | "$BUSYBOX" cpio -o -H newc -R 0:0 2>/dev/null) | gzip -1 \
        > "$root/guest/initrd.gz" || die "cannot build the guest's initramfs"
    cp "$KERNEL" "$root/guest/vmlinuz" || die "cannot copy the guest kernel"
    command -v mkfs.ext4 >/dev/null 2>&1 || die "mkfs.ext4 (e2fsprogs) is missing"
    mkfs.ext4 -q -F "$root/guest/disk.img" 32M > "$work/mkfs.out" 2>&1 ||
        die "mkfs.ext4 failed: $(cat "$work/mkfs.out")"
fi

initrd=$work/initrd.gz
(cd "$root" && find . | "$BUSYBOX" cpio -o -H newc -R 0:0 2>/dev/null) | gzip -1 > "$initrd" ||
    die "cannot build the initramfs"
t_initrd=$(( $(now_ms) - t0 ))
say "initramfs: $(( $(wc -c < "$initrd") / 1024 )) KiB; kernel $KVER"

# --- the test host
# boot_host LOG [APPEND]: one run of the test host, its console in LOG (also
# shown); sets qrc and adds the run's lines to $work/serial.
boot_host() {
    b_log=$1
    cmdline="console=ttyS0 quiet panic=-1 rdinit=/init ${LAMINA_NESTED_APPEND:-} ${2:-}"
    say "booting the test host (qemu TCG, up to ${limit}s); serial log: $b_log"
    mkdir -p "$(dirname "$b_log")"
    # -nodefaults: no network card, nothing shared with the host but the console.
    set -- -accel tcg -cpu max -smp 2 -m "$mem" -nodefaults -display none -no-reboot \
        -serial stdio -kernel "$KERNEL" -initrd "$initrd"
    say "qemu-system-x86_64 $* -append '$cmdline'"
    set -- "$@" -append "$cmdline"
    : > "$b_log"    # before tail starts, so that it never shows an earlier run
    timeout -k 10 "$limit" qemu-system-x86_64 "$@" < /dev/null > "$b_log" 2> "$work/qemu.err" &
    qpid=$!
    tail -n +1 -f --pid="$qpid" "$b_log" | tr -d '\r'
    wait "$qpid"
    qrc=$?
    qpid=
    if [ -s "$work/qemu.err" ]; then
        say "qemu said:"
        sed 's/^/    /' "$work/qemu.err"
    fi
    [ $qrc -ne 124 ] || say "the test host was stopped after ${limit}s"
    tr -d '\r' < "$b_log" >> "$work/serial"
}

t0=$(now_ms)
: > "$work/serial"
boot_host "$log"
grep -q '^NESTED BEGIN' "$work/serial" ||
    die "the test host never ran /init (qemu exit status $qrc; see $log)"
# The test host's own kernel dying (an Oops, a panic) ends every scenario left.
oops=$(grep -m 1 -E 'Oops:|Kernel panic' "$work/serial" | sed 's/^\[ *[0-9.]*\] //')
stopped="the test host stopped; qemu status $qrc${oops:+; its kernel said: $oops}"
# A test host that stopped before its /init reached the end (NESTED END),
# other than by running out of time, left scenarios without a result. Seen
# here: qemu's multi-threaded TCG letting a CPU of the test host run kernel
# code while it is being patched (see kvm-probe.c), a stray int3 killing
# the test host; a test-host kernel panic on a corrupted stack; a test host
# that reset without a word. Those are the emulator's flakes, not findings
# about Lamina, so the scenarios left get one more test host, and the
# summary says so.
left=
for s in $scenarios; do
    name=$(scenario_name "$s")
    grep -qE "^NESTED (PASS|FAIL|SKIP) ${name}[: ]" "$work/serial" || left="$left${left:+,}$name"
done
retried=
if [ -n "$left" ] && [ $qrc -ne 124 ] && ! grep -q '^NESTED END' "$work/serial"; then
    died="the test host stopped early (qemu status $qrc${oops:+; its kernel said: $oops})"
    say "$died: running $left again in a new one"
    retried="$died; $left ran in a second one"
    boot_host "${log%.log}-retry.log" "nested.only=$left"
    oops=$(grep -m 1 -E 'Oops:|Kernel panic' "${log%.log}-retry.log" | tr -d '\r' |
           sed 's/^\[ *[0-9.]*\] //')
    stopped="the test host stopped; qemu status $qrc${oops:+; its kernel said: $oops}"
fi
t_boot=$(( $(now_ms) - t0 ))

# --- results
pass=0 failed=0 skipped=0
summary=
for s in $scenarios; do
    name=$(scenario_name "$s")
    line=$(grep -E "^NESTED (PASS|FAIL|SKIP) ${name}[: ]" "$work/serial" | head -n 1)
    [ -n "$line" ] || [ $qrc -ne 124 ] || line="NESTED FAIL $name: no result, the run timed out"
    [ -n "$line" ] || line="NESTED FAIL $name: no result ($stopped)"
    case $line in
    "NESTED PASS"*) pass=$((pass + 1)) ;;
    "NESTED SKIP"*) skipped=$((skipped + 1)) ;;
    *) failed=$((failed + 1)) ;;
    esac
    summary="$summary${line#NESTED }
"
done
begin=$(sed -n 's/^NESTED BEGIN uptime_ms=\([0-9]*\).*/\1/p' "$work/serial" | head -n 1)
echo
say "summary"
printf '%s' "$summary" | sed 's/^/    /'
[ -z "$retried" ] || echo "    NOTE $retried"
grep -E '^NESTED (INFO|NOTE) ' "$work/serial" | sed 's/^NESTED /    /'
say "times: fetch ${t_fetch} ms, initramfs ${t_initrd} ms, test host run ${t_boot} ms" \
    "(its /init started at ${begin:-?} ms of its uptime)"
say "$pass passed, $failed failed, $skipped skipped"
[ $failed -eq 0 ] || exit 1
[ $pass -gt 0 ] || skip "no scenario could run (all skipped)"
exit 0
