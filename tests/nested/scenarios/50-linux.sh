# 50-linux.sh: nested scenario: stock Debian Linux boots as a PVH domain; `lamina console` reaches hvc0.
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
start=$(uptime_ms)
./dom0-tools/lamina create -q "$NESTED_DIR/linux.cfg" > "$NESTED_DIR/create.out" 2>&1 ||
    fail "lamina create failed: $(tail -n 2 "$NESTED_DIR/create.out" | tr '\n' ' ')"
# The console from its start (-r: what it said before we attached), until the domain is gone.
timeout -k 5 120 ./dom0-tools/lamina console -r linux > "$NESTED_DIR/linux.out" 2>&1
rc=$?
ms=$(( $(uptime_ms) - start ))
sed 's/^/  linux> /' "$NESTED_DIR/linux.out"
[ "$rc" -ne 124 ] || fail "the console was still attached after 120 s"
grep -q '^LINUX: init started' "$NESTED_DIR/linux.out" ||
    fail "Linux did not reach /init; it said: $(grep -v '^$' "$NESTED_DIR/linux.out" | tail -n 3 | tr '\n' ' ')"
grep -q '^LINUX: hypervisor=xen version=4.17' "$NESTED_DIR/linux.out" ||
    fail "the guest did not see Xen 4.17 in /sys/hypervisor"
grep -q 'reboot: Power down' "$NESTED_DIR/linux.out" ||
    fail "the guest did not power down"
[ "$rc" -eq 0 ] || fail "lamina console exited with $rc"
./dom0-tools/lamina list linux > /dev/null 2>&1 && fail "the domain is still there after powering off"
booted=$(sed -n 's/^LINUX: init started uptime_ms=\([0-9]*\).*/\1/p' "$NESTED_DIR/linux.out")
note "Linux reached /init at ${booted:-?} ms of its uptime; lamina create to poweroff in $ms ms"
exit 0
