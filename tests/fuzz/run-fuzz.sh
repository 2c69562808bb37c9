#!/bin/sh
# run-fuzz.sh: build the fuzz targets with clang's libFuzzer and run each for a while.
# SPDX-License-Identifier: MIT
#
# Usage: run-fuzz.sh [-t SECONDS] [-o OUTDIR] [-b BUILDDIR] [TARGET...]
#   TARGET: elf, bzimage, ctl_recv, guest_mem (default: all of them)
#   -t  seconds per target (default 60)
#   -o  where binaries, corpora, logs and crash inputs go (default ./fuzz-out)
#   -b  a configured build directory whose config.h to use (optional)
# Environment: CLANG (default clang), FUZZ_JOBS (libFuzzer -jobs, default 1).
# Exits 77 when no compiler here supports -fsanitize=fuzzer, 1 when a target
# crashed (the input is kept as OUTDIR/crash-TARGET-*), 0 otherwise.  A crash
# replays with OUTDIR/TARGET-replay OUTDIR/crash-TARGET-<hash>.

set -u

time=60
out=$(pwd)/fuzz-out
build=
while getopts t:o:b: opt; do
    case $opt in
    t) time=$OPTARG ;;
    o) out=$OPTARG ;;
    b) build=$OPTARG ;;
    *) sed -n '4,15p' "$0" >&2; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
targets=${*:-elf bzimage ctl_recv guest_mem}

src=$(cd "$(dirname "$0")/../.." && pwd)
clang=${CLANG:-clang}
jobs=${FUZZ_JOBS:-1}

mkdir -p "$out" || exit 1
probe=$out/probe.c
echo 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { return !d && n; }' \
    >"$probe"
if ! "$clang" -fsanitize=fuzzer "$probe" -o "$out/probe" 2>/dev/null; then
    echo "SKIP: $clang cannot build libFuzzer targets (-fsanitize=fuzzer); install clang"
    exit 77
fi
rm -f "$probe" "$out/probe"

# The same sources the replay tests compile, with clang and sanitizers.
cppflags="-D_GNU_SOURCE -I$src/pv-abi -I$src/hypervisor/core -I$src/hypervisor"
cppflags="$cppflags -I$src/tests/unit -I$src/tests/fuzz"
config=$build/config.h
if [ -z "$build" ] || [ ! -f "$config" ]; then
    # Without a configured tree: just what the fuzzed sources use.
    config=$out/config.h
    printf '#define LAMINA_RUNDIR "/run/lamina"\n#define LAMINA_LOGDIR "/var/log/lamina"\n' \
        >"$config"
fi
cppflags="$cppflags -include $config"
cflags="-g -O1 -std=gnu11 -fno-omit-frame-pointer"
san="address,undefined"

# Source files of a target, relative to the top of the tree.
sources() {
    case $1 in
    elf) echo tests/fuzz/fuzz_elf.c tests/unit/elf_writer.c hypervisor/loader/elf.c ;;
    bzimage) echo tests/fuzz/fuzz_bzimage.c tests/unit/elf_writer.c tests/unit/bzimage_writer.c \
        hypervisor/loader/elf.c hypervisor/loader/bzimage.c ;;
    ctl_recv) echo tests/fuzz/fuzz_ctl_recv.c pv-abi/lamina/ctl-wire.c ;;
    guest_mem) echo tests/fuzz/fuzz_guest_mem.c tests/unit/stub_arch.c \
        hypervisor/core/guest_mem.c ;;
    *) return 1 ;;
    esac
}

status=0
for t in $targets; do
    rel=$(sources "$t") || { echo "unknown target '$t'" >&2; exit 2; }
    srcs=
    for f in $rel tests/fuzz/fuzz_common.c; do
        srcs="$srcs $src/$f"
    done
    libs="-lpthread"
    [ "$t" = bzimage ] && libs="$libs -llzma -lz -lzstd"
    echo "== $t: building"
    # shellcheck disable=SC2086
    "$clang" $cflags $cppflags -fsanitize=fuzzer,$san -fno-sanitize-recover=undefined \
        $srcs -o "$out/$t-fuzz" $libs || exit 1
    # shellcheck disable=SC2086
    "$clang" $cflags $cppflags -fsanitize=$san $srcs "$src/tests/fuzz/replay.c" \
        -o "$out/$t-replay" $libs || exit 1
    mkdir -p "$out/corpus-$t"
    "$out/$t-replay" --seeds "$out/corpus-$t" || exit 1
    max_len=$("$out/$t-replay" --max-len)
    echo "== $t: fuzzing for ${time}s (corpus $out/corpus-$t, max_len $max_len)"
    parallel=
    [ "$jobs" -gt 1 ] && parallel="-jobs=$jobs -workers=$jobs"
    # Parallel jobs write fuzz-N.log in the working directory: keep them in $out.
    # shellcheck disable=SC2086
    (cd "$out" && "$out/$t-fuzz" "$out/corpus-$t" -max_total_time="$time" \
        -max_len="$max_len" -print_final_stats=1 -artifact_prefix="$out/crash-$t-" \
        $parallel) >"$out/$t.log" 2>&1
    rc=$?
    grep -E '^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)' \
        "$out/$t.log" | sed "s/^/   $t /"
    if [ "$rc" -ne 0 ] || ls "$out/crash-$t-"* >/dev/null 2>&1; then
        echo "== $t: CRASH (exit $rc); see $out/$t.log and $out/crash-$t-*"
        status=1
    else
        echo "== $t: no crash"
    fi
done
exit $status
