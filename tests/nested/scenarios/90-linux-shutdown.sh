# 90-linux-shutdown.sh: nested scenario: `lamina shutdown` ends a Linux guest cleanly through control/shutdown.
# SPDX-License-Identifier: MIT
# needs: hypervisor/lamina-hv dom0-tools/lamina dom0-tools/xenstored/lamina-xenstored
# linux-guest
# timeout: 240
. /lib/nested/lib.sh

cat > "$NESTED_DIR/linux.cfg" <<'CFG'
name = "linux-down"
type = "pvh"
kernel = "/guest/vmlinuz"
ramdisk = "/guest/initrd.gz"
cmdline = "console=hvc0 loglevel=6 lamina.test=wait"
memory = 256
CFG
hv_start
guest_bg down 180 "$NESTED_DIR/linux.cfg"
wait_line down '^LINUX: waiting for the toolstack' 120
timeout 60 ./dom0-tools/lamina shutdown -w linux-down > "$NESTED_DIR/shutdown.out" 2>&1 ||
    fail "lamina shutdown -w failed: $(tail -n 2 "$NESTED_DIR/shutdown.out" | tr '\n' ' ')"
guest_wait down
grep -q '^LINUX: powering off' "$NESTED_DIR/down.out" ||
    fail "the guest's init was not asked to power off (no 'LINUX: powering off' line)"
guest_ok
exit 0
