#!/bin/busybox sh
# init.sh: /init of the nested test host: loads KVM, runs /scenarios/*.sh, reports, powers off.
# SPDX-License-Identifier: MIT
#
# Built into the initramfs by nested.sh. Everything it says that the host
# parses starts with "NESTED ": BEGIN, INFO, one PASS/FAIL/SKIP per scenario
# (scenarios may add NOTE lines), END. Other output is for people.

/bin/busybox --install -s /bin
export PATH=/bin
umask 022

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts -o newinstance,ptmxmode=0666 devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
exec </dev/console >/dev/console 2>&1
# Only emergencies from the kernel: its messages would split our lines.
echo 1 > /proc/sys/kernel/printk
hostname lamina-test-host

# uptime_ms: the test host's uptime in milliseconds (10 ms resolution).
uptime_ms() {
    read -r up _ < /proc/uptime
    echo $(( ${up%.*} * 1000 + 1${up#*.} * 10 - 1000 ))
}

power_off() {
    sync
    poweroff -f
    echo o > /proc/sysrq-trigger
}

echo "NESTED BEGIN uptime_ms=$(uptime_ms) kernel=$(uname -r) cpus=$(nproc)"

# No modules.dep in the kernel package: load in dependency order.
kvm_problem=
for m in irqbypass ccp kvm kvm-amd; do
    if ! out=$(insmod "/lib/modules/kvm/$m.ko" 2>&1); then
        kvm_problem="insmod $m.ko failed: $out"
        break
    fi
done
if [ ! -c /dev/kvm ]; then
    kvm_problem="${kvm_problem:-no /dev/kvm after loading kvm-amd}"
    kvm_problem="$kvm_problem; $(grep -c '^flags.* svm' /proc/cpuinfo) cpus have svm"
fi
holder=
if [ -z "$kvm_problem" ]; then
    # An idle VM for the whole run, first of all: the scenarios' VMs then
    # come and go without KVM patching kernel code (see kvm-probe.c).
    kvm-probe --hold > /tmp/kvm-hold.out 2>&1 &
    holder=$!
    n=0
    while ! grep -q holding /tmp/kvm-hold.out 2>/dev/null && kill -0 "$holder" 2>/dev/null &&
          [ $n -lt 50 ]; do
        sleep 0.1
        n=$((n + 1))
    done
    grep -q holding /tmp/kvm-hold.out 2>/dev/null ||
        echo "NESTED INFO no idle VM held: $(tail -n 1 /tmp/kvm-hold.out 2>/dev/null)"
    kvm-probe > /tmp/kvm-probe.out 2>&1 || kvm_problem="kvm-probe: $(tail -n 1 /tmp/kvm-probe.out)"
    sed 's/^/kvm-probe| /' /tmp/kvm-probe.out
    echo "NESTED INFO kvm loaded at uptime_ms=$(uptime_ms);" \
         "$(grep -E '^(api|KVM_CAP_XEN_HVM)=' /tmp/kvm-probe.out | tr '\n' ' ' | sed 's/ $//')"
fi
[ -z "$kvm_problem" ] || echo "NESTED INFO KVM is not usable: $kvm_problem"

# attempt FILE: runs one scenario once, with its own rundir, logdir and time
# limit; sets name, rc, ms and reason, and shows its output.
attempt() {
    file=$1
    name=$(basename "$file" .sh)
    name=${name#[0-9][0-9]-}
    limit=$(sed -n 's/^# timeout: *\([0-9][0-9]*\).*/\1/p' "$file" | head -n 1)
    limit=${limit:-240}
    dir=/tmp/scenario/$name
    rm -rf "$dir"
    mkdir -p "$dir/run" "$dir/log"
    echo "--- scenario $name (limit ${limit}s)"
    before=$(pids)
    start=$(uptime_ms)
    (
        exec < /dev/null
        cd /build || exit 99
        export NESTED_NAME="$name" NESTED_DIR="$dir" NESTED_REASON="$dir/reason"
        export LAMINA_RUNDIR="$dir/run" LAMINA_LOGDIR="$dir/log"
        exec timeout -k 5 "$limit" sh "$file"
    ) > "$dir/out" 2>&1
    rc=$?
    ms=$(( $(uptime_ms) - start ))
    sed "/^NESTED NOTE /!s/^/$name| /" "$dir/out"
    reason=$(cat "$dir/reason" 2>/dev/null)
    if [ "$rc" != 0 ] && [ "$rc" != 77 ]; then
        for f in "$dir"/*.out; do
            [ -f "$f" ] && [ "$f" != "$dir/out" ] || continue
            echo "--- $name: last lines of ${f#"$dir"/}"
            tail -n 30 "$f"
        done
        for f in "$dir"/log/*; do
            [ -f "$f" ] || continue
            echo "--- $name: last lines of ${f#"$dir"/}"
            tail -n 40 "$f"
        done
    fi
    # What the scenario left running (lamina-hv, daemons, monitors, nc) must
    # not disturb the next one, or its second run: lamina-hv first, so that
    # its domains go down cleanly, then everything else it started.
    if [ -f "$dir/run/lamina-hv.pid" ]; then
        kill "$(cat "$dir/run/lamina-hv.pid")" 2>/dev/null
    fi
    stop_new_pids "$before"
}

# pids: the processes running now, one line.
pids() {
    for p in /proc/[0-9]*; do
        echo "${p#/proc/}"
    done | tr '\n' ' '
}

# stop_new_pids "PIDS": ends every process not in PIDS (kernel threads
# ignore signals), after up to 5 s for a polite SIGTERM.
stop_new_pids() {
    new=
    for p in $(pids); do
        case " $1 " in *" $p "*) continue ;; esac
        [ "$p" = $$ ] || new="$new $p"
    done
    [ -n "$new" ] || return 0
    kill $new 2>/dev/null
    n=0
    while [ $n -lt 50 ]; do
        alive=
        for p in $new; do
            [ -d "/proc/$p" ] && [ -n "$(cat "/proc/$p/cmdline" 2>/dev/null)" ] && alive="$alive $p"
        done
        [ -n "$alive" ] || return 0
        sleep 0.1
        n=$((n + 1))
    done
    kill -9 $alive 2>/dev/null
}

# run_scenario FILE: runs a scenario and reports it. A guest that triple-faults
# now and then (seen for a Linux guest early in boot, about once in 20 boots
# when the build host is busy, only in this emulated test host; lamina-hv's
# log then lists its last exits) gets the scenario one more run, after what
# the first run left has been stopped; the NOTE keeps the first failure in
# the summary, and a second failure stands.
run_scenario() {
    if [ -n "$kvm_problem" ]; then
        name=$(basename "$1" .sh)
        echo "NESTED FAIL ${name#[0-9][0-9]-}: $kvm_problem"
        return
    fi
    attempt "$1"
    if [ "$rc" != 0 ] && [ "$rc" != 77 ] &&
       crash=$(grep -m 1 'crashed: triple fault' "$dir/log/lamina-hv.log" 2>/dev/null); then
        first=${reason:-exit status $rc}
        attempt "$1"
        [ "$rc" = 0 ] &&
            echo "NESTED NOTE $name: passed on a second run; the first failed: $first" \
                 "(lamina-hv: ${crash#*: })"
    fi
    case $rc in
    0)
        echo "NESTED PASS $name (${ms} ms)"
        ;;
    77)
        echo "NESTED SKIP $name: ${reason:-no reason given}"
        ;;
    137|143)
        echo "NESTED FAIL $name: timed out after ${limit}s${reason:+ ($reason)}"
        ;;
    *)
        [ -n "$reason" ] || reason="exit status $rc: $(grep -v '^NESTED' "$dir/out" | tail -n 1)"
        echo "NESTED FAIL $name: $reason"
        ;;
    esac
}

# nested.only=NAME[,NAME...]: just those (a second test host after the first died).
only=$(tr ' ' '\n' < /proc/cmdline | sed -n 's/^nested\.only=//p' | tr ',' ' ')
for s in /scenarios/*.sh; do
    [ -f "$s" ] || continue
    if [ -n "$only" ]; then
        n=$(basename "$s" .sh)
        case " $only " in *" ${n#[0-9][0-9]-} "*) ;; *) continue ;; esac
    fi
    run_scenario "$s"
done
[ -n "$holder" ] && kill "$holder" 2>/dev/null
echo "NESTED END uptime_ms=$(uptime_ms)"
# For people: `nested.shell` on the kernel command line leaves a shell on the console.
if grep -qw nested.shell /proc/cmdline; then
    echo "nested.shell: a shell on the console; the test host powers off when it exits"
    setsid cttyhack sh
fi
power_off
