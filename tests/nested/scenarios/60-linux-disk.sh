# 60-linux-disk.sh: nested scenario: xvda from lamina-blkback in a Linux guest: ext4, fsync, intact after `lamina reboot`.
# SPDX-License-Identifier: MIT
# needs: hypervisor/lamina-hv dom0-tools/lamina dom0-tools/xenstored/lamina-xenstored
# needs: dom0-tools/blkback/lamina-blkback
# linux-guest
# timeout: 300
. /lib/nested/lib.sh

# The ext4 image the host made with mkfs.ext4; a copy, so that each run starts empty.
cp /guest/disk.img "$NESTED_DIR/disk.img" || fail "cannot copy the disk image"
cat > "$NESTED_DIR/linux.cfg" <<CFG
name = "linux-disk"
type = "pvh"
kernel = "/guest/vmlinuz"
ramdisk = "/guest/initrd.gz"
cmdline = "console=hvc0 loglevel=6 lamina.test=disk,wait"
memory = 256
disk = [ 'format=raw, vdev=xvda, access=rw, target=$NESTED_DIR/disk.img' ]
on_reboot = "restart"
CFG
hv_start
guest_bg disk 240 "$NESTED_DIR/linux.cfg"
wait_line disk '^LINUX: (disk file written and synced|FAIL)' 120
case $line in *FAIL*) fail "first boot: $line" ;; esac
./dom0-tools/lamina block-list linux-disk > "$NESTED_DIR/block-list.out" 2>&1
grep -q '^51712 ' "$NESTED_DIR/block-list.out" ||
    fail "block-list does not show xvda (51712): $(cat "$NESTED_DIR/block-list.out")"
timeout 60 ./dom0-tools/lamina reboot -w linux-disk > "$NESTED_DIR/reboot.out" 2>&1 ||
    fail "lamina reboot -w failed: $(tail -n 2 "$NESTED_DIR/reboot.out" | tr '\n' ' ')"
# The console follows the restarted domain; its second boot finds the file.
wait_line disk '^LINUX: (disk file intact|FAIL)' 120
case $line in *FAIL*) fail "after the reboot: $line" ;; esac
timeout 60 ./dom0-tools/lamina shutdown -w linux-disk > "$NESTED_DIR/shutdown.out" 2>&1 ||
    fail "lamina shutdown -w failed: $(tail -n 2 "$NESTED_DIR/shutdown.out" | tr '\n' ' ')"
guest_wait disk
guest_ok
note "$line"
exit 0
