# 95-linux-vs-qemu.sh: nested scenario: the Linux guest's boot to /init under Lamina and under QEMU/KVM.
# SPDX-License-Identifier: MIT
# needs: hypervisor/lamina-hv dom0-tools/lamina dom0-tools/xenstored/lamina-xenstored
# needs-host: /usr/bin/qemu-system-x86_64 /usr/share/qemu/bios-microvm.bin
# linux-guest
# timeout: 300
#
# The same kernel and initramfs, 256 MiB and one vCPU: as a PVH domain from a
# config file, and by Debian's QEMU on the same KVM as a microvm (qboot, direct
# kernel boot, serial console). The guest's own uptime at /init is compared;
# the numbers go on NOTE lines. Only the Lamina boot can fail the scenario.
. /lib/nested/lib.sh

cat > "$NESTED_DIR/linux.cfg" <<'CFG'
name = "linux-cmp"
type = "pvh"
kernel = "/guest/vmlinuz"
ramdisk = "/guest/initrd.gz"
cmdline = "console=hvc0 loglevel=4 lamina.test=info"
memory = 256
CFG
hv_start
guest lamina 120 "$NESTED_DIR/linux.cfg"
guest_ok
lamina_ms=$(sed -n 's/^LINUX: init started uptime_ms=\([0-9]*\).*/\1/p' "$NESTED_DIR/lamina.out")
[ -n "$lamina_ms" ] || fail "no 'LINUX: init started' line from the Lamina boot"
lamina_wall=$ms

[ -x /usr/bin/qemu-system-x86_64 ] && [ -f /usr/share/qemu/bios-microvm.bin ] ||
    skip "Lamina: /init at $lamina_ms ms; no QEMU to compare with (qemu-system-x86 on the build host)"
start=$(uptime_ms)
timeout -k 5 120 /usr/bin/qemu-system-x86_64 -L /usr/share/qemu \
    -M microvm,x-option-roms=off,rtc=off,pic=off,pit=on -accel kvm -cpu host -smp 1 -m 256 \
    -nodefaults -no-user-config -display none -serial stdio -no-reboot \
    -kernel /guest/vmlinuz -initrd /guest/initrd.gz \
    -append "console=ttyS0 loglevel=4 lamina.test=info" < /dev/null > "$NESTED_DIR/qemu.out" 2>&1
qrc=$?
qemu_wall=$(( $(uptime_ms) - start ))
sed 's/^/  qemu> /' "$NESTED_DIR/qemu.out" | tr -d '\r'
qemu_ms=$(tr -d '\r' < "$NESTED_DIR/qemu.out" | sed -n 's/^LINUX: init started uptime_ms=\([0-9]*\).*/\1/p')
if [ -z "$qemu_ms" ]; then
    note "Lamina: /init at $lamina_ms ms; QEMU did not boot the guest (status $qrc)"
    exit 0
fi
note "Linux to /init: Lamina $lamina_ms ms, QEMU/KVM microvm $qemu_ms ms" \
     "(ratio $(awk -v a="$lamina_ms" -v b="$qemu_ms" 'BEGIN { printf "%.2f", a / b }'));" \
     "start to poweroff: Lamina $lamina_wall ms, QEMU $qemu_wall ms"
exit 0
