#!/bin/busybox sh
# guest-init.sh: /init of the stock Linux guest that nested scenarios boot under Lamina.
# SPDX-License-Identifier: MIT
#
# Built into the guest's initramfs by nested.sh, with busybox and the
# guest's modules (Xen frontends, ext4). What the scenarios parse starts
# with "LINUX: " on the console (hvc0). The steps to run come from the
# kernel command line, lamina.test=STEP[,STEP...]:
#   info    print the CPUs, memory and what /sys/hypervisor says
#   disk    mount /dev/xvda (ext4): if lamina-test.txt is there, check it,
#           else write it and fsync; then stay mounted until the end
#   net     bring eth0 up as lamina.ip (e.g. 10.0.0.2/24), ping lamina.peer,
#           fetch lamina.peer's /data with nc and serve /data back
#   wait    wait for the toolstack: `lamina shutdown` (the kernel runs
#           /sbin/poweroff), `lamina reboot` (the kernel runs /sbin/reboot)
# and then power off.

/bin/busybox --install -s /bin
export PATH=/bin:/sbin
umask 022
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /tmp /mnt /sbin
mount -t tmpfs tmpfs /tmp

say() {
    echo "LINUX: $*"
}

uptime_ms() {
    read -r up _ < /proc/uptime
    echo $(( ${up%.*} * 1000 + 1${up#*.} * 10 - 1000 ))
}

arg() {
    tr ' ' '\n' < /proc/cmdline | sed -n "s/^$1=//p" | head -n 1
}

finish() {
    grep -q " /mnt " /proc/mounts && umount /mnt
    sync
    say "$1 at uptime_ms=$(uptime_ms)"
    if [ "$1" = rebooting ]; then
        reboot -f
    fi
    poweroff -f
}

say "init started uptime_ms=$(uptime_ms) kernel=$(uname -r)"

# The kernel's orderly poweroff and reboot (control/shutdown = poweroff or
# reboot) run /sbin/poweroff and /sbin/reboot: both tell init, which
# unmounts the disk before it goes.
cat > /sbin/poweroff <<'EOF'
#!/bin/sh
kill -USR2 1
EOF
cat > /sbin/reboot <<'EOF'
#!/bin/sh
kill -INT 1
EOF
chmod 755 /sbin/poweroff /sbin/reboot
trap 'finish "powering off"' USR2
trap 'finish rebooting' INT

while read -r m; do
    [ -f "/lib/modules/guest/$m.ko" ] || continue
    insmod "/lib/modules/guest/$m.ko" || say "FAIL insmod $m"
done < /lib/modules/guest/order

step_info() {
    say "cpus=$(grep -c '^processor' /proc/cpuinfo) online=$(cat /sys/devices/system/cpu/online)"
    say "mem_kb=$(sed -n 's/^MemTotal: *\([0-9]*\).*/\1/p' /proc/meminfo)"
    say "hypervisor=$(cat /sys/hypervisor/type 2>/dev/null)" \
        "version=$(cat /sys/hypervisor/version/major 2>/dev/null).$(cat /sys/hypervisor/version/minor 2>/dev/null)"
    say "clocksource=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
}

step_disk() {
    n=0
    while [ ! -b /dev/xvda ] && [ $n -lt 100 ]; do
        sleep 0.1
        n=$((n + 1))
    done
    [ -b /dev/xvda ] || { say "FAIL disk: no /dev/xvda"; return; }
    say "xvda sectors=$(cat /sys/block/xvda/size)"
    mount -t ext4 /dev/xvda /mnt || { say "FAIL disk: mount failed"; return; }
    if [ -f /mnt/lamina-test.txt ]; then
        if [ "$(cat /mnt/lamina-test.txt)" = "written by boot $(cat /mnt/lamina-boot)" ]; then
            say "disk file intact: $(cat /mnt/lamina-test.txt)"
        else
            say "FAIL disk: the file says '$(cat /mnt/lamina-test.txt)'"
        fi
    else
        echo 1 > /mnt/lamina-boot
        echo "written by boot 1" > /mnt/lamina-test.txt
        sync
        say "disk file written and synced"
    fi
}

step_net() {
    ip=$(arg lamina.ip)
    peer=$(arg lamina.peer)
    n=0
    while [ ! -e /sys/class/net/eth0 ] && [ $n -lt 100 ]; do
        sleep 0.1
        n=$((n + 1))
    done
    [ -e /sys/class/net/eth0 ] || { say "FAIL net: no eth0"; return; }
    say "eth0 mac=$(cat /sys/class/net/eth0/address)"
    ip link set lo up
    ip addr add "$ip" dev eth0 && ip link set eth0 up || { say "FAIL net: cannot set up eth0"; return; }
    if ping -c 3 -W 5 "$peer" > /tmp/ping.out 2>&1; then
        say "ping ok: $(tail -n 1 /tmp/ping.out)"
    else
        say "FAIL net: ping $peer: $(tail -n 2 /tmp/ping.out | tr '\n' ' ')"
        return
    fi
    # Data both ways: fetch the host's file, then offer one back. busybox nc
    # quits when its peer closes, so senders use -e cat: the reader's early
    # shutdown of its own direction cannot cut the transfer short.
    if nc -w 10 "$peer" 7001 > /tmp/from-host < /dev/null; then
        say "received bytes=$(wc -c < /tmp/from-host) md5=$(md5sum < /tmp/from-host | cut -d' ' -f1)"
    else
        say "FAIL net: nothing from $peer:7001"
    fi
    dd if=/dev/urandom of=/tmp/to-host bs=1024 count=512 2>/dev/null
    say "offering bytes=$(wc -c < /tmp/to-host) md5=$(md5sum < /tmp/to-host | cut -d' ' -f1)"
    nc -l -p 7002 -e cat /tmp/to-host &
    wait $!
}

for step in $(arg lamina.test | tr ',' ' '); do
    case $step in
    info | disk | net) "step_$step" ;;
    wait)
        say "waiting for the toolstack"
        while :; do
            sleep 1 &
            wait $!
        done
        ;;
    *) say "FAIL unknown step $step" ;;
    esac
done
finish "powering off"
