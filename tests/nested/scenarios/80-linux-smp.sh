# 80-linux-smp.sh: nested scenario: a Linux PVH domain with vcpus=2 sees and uses two CPUs.
# SPDX-License-Identifier: MIT
# needs: hypervisor/lamina-hv dom0-tools/lamina dom0-tools/xenstored/lamina-xenstored
# linux-guest
# timeout: 240
. /lib/nested/lib.sh

cat > "$NESTED_DIR/smp.cfg" <<'CFG'
name = "linux-smp"
type = "pvh"
kernel = "/guest/vmlinuz"
ramdisk = "/guest/initrd.gz"
cmdline = "console=hvc0 loglevel=6 lamina.test=info"
memory = 256
vcpus = 2
CFG
hv_start
guest smp 120 "$NESTED_DIR/smp.cfg"
grep -q '^LINUX: init started' "$NESTED_DIR/smp.out" ||
    fail "Linux did not reach /init; it said: $(grep -v '^$' "$NESTED_DIR/smp.out" | tail -n 3 | tr '\n' ' ')"
line=$(grep -m 1 '^LINUX: cpus=' "$NESTED_DIR/smp.out")
case $line in
*"cpus=2 online=0-1"*) ;;
*) fail "the guest should see 2 online CPUs, it said: ${line:-nothing}" ;;
esac
guest_ok
note "lamina create to poweroff in $ms ms with 2 vCPUs"
exit 0
