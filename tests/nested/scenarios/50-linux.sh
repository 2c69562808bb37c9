# 50-linux.sh: nested scenario: stock Debian Linux boots as a PVH domain under lamina-hv.
# SPDX-License-Identifier: MIT
# needs: hypervisor/lamina-hv dom0-tools/lamina dom0-tools/xenstored/lamina-xenstored
# linux-guest
# timeout: 240
. /lib/nested/lib.sh

cat > "$NESTED_DIR/linux.cfg" <<'CFG'
name = "linux"
type = "pvh"
kernel = "/guest/vmlinuz"
ramdisk = "/guest/initrd.gz"
cmdline = "console=hvc0 loglevel=6 lamina.test=info"
memory = 256
CFG
hv_start
guest linux 120 "$NESTED_DIR/linux.cfg"
grep -q '^LINUX: init started' "$NESTED_DIR/linux.out" ||
    fail "Linux did not reach /init; it said: $(grep -v '^$' "$NESTED_DIR/linux.out" | tail -n 3 | tr '\n' ' ')"
guest_ok
note "lamina create to poweroff in $ms ms"
exit 0
