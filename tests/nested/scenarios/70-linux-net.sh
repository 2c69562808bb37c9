# 70-linux-net.sh: nested scenario: eth0 from lamina-netback in a Linux guest: a TAP device in the test host's bridge, ping and data both ways.
# SPDX-License-Identifier: MIT
# needs: hypervisor/lamina-hv dom0-tools/lamina dom0-tools/xenstored/lamina-xenstored
# needs: dom0-tools/netback/lamina-netback
# linux-guest
# timeout: 300
. /lib/nested/lib.sh

# The host side: a bridge with an address; lamina-netback makes the guest's
# TAP device (vif<domid>.0) one of its ports.
# (A second run of the scenario finds the modules loaded and the bridge there.)
for m in tun llc stp bridge; do
    [ -d "/sys/module/$m" ] && continue
    out=$(insmod "/lib/modules/kvm/$m.ko" 2>&1) || fail "insmod $m.ko: $out"
done
[ -c /dev/net/tun ] || fail "no /dev/net/tun after loading tun.ko"
if [ -d /sys/class/net/br-lamina ]; then
    ip link set br-lamina down
    brctl delbr br-lamina || fail "cannot remove the br-lamina of an earlier run"
fi
brctl addbr br-lamina || fail "brctl addbr br-lamina failed"
ip addr add 10.77.0.1/24 dev br-lamina || fail "cannot give br-lamina an address"
ip link set lo up
ip link set br-lamina up || fail "cannot bring br-lamina up"

cat > "$NESTED_DIR/linux.cfg" <<CFG
name = "linux-net"
type = "pvh"
kernel = "/guest/vmlinuz"
ramdisk = "/guest/initrd.gz"
cmdline = "console=hvc0 loglevel=6 lamina.test=net,wait lamina.ip=10.77.0.2/24 lamina.peer=10.77.0.1"
memory = 256
vif = [ 'bridge=br-lamina' ]
CFG

# What the guest fetches from the host (port 7001): one connection, then nc
# exits; cat writes it (busybox nc quits when its peer closes its direction).
dd if=/dev/urandom of="$NESTED_DIR/to-guest" bs=1024 count=768 2>/dev/null
sent_md5=$(md5sum < "$NESTED_DIR/to-guest" | cut -d' ' -f1)
nc -l -p 7001 -e cat "$NESTED_DIR/to-guest" &
nc_pid=$!

hv_start
guest_bg net 240 "$NESTED_DIR/linux.cfg"
wait_line net '^LINUX: (eth0 mac=|FAIL)' 120
case $line in *FAIL*) kill "$nc_pid" 2>/dev/null; fail "$line" ;; esac
mac=${line##*mac=}
./dom0-tools/lamina network-list linux-net > "$NESTED_DIR/network-list.out" 2>&1
grep -qi "$mac" "$NESTED_DIR/network-list.out" ||
    fail "network-list does not show $mac: $(tr '\n' ' ' < "$NESTED_DIR/network-list.out")"
ports=$(ls /sys/class/net/br-lamina/brif 2>/dev/null | tr '\n' ' ')
case $ports in vif*) ;; *) fail "no vif port in br-lamina (ports: '$ports')" ;; esac

wait_line net '^LINUX: (ping ok|FAIL)' 90
case $line in *FAIL*) kill "$nc_pid" 2>/dev/null; fail "$line" ;; esac
ping_line=$line
wait_line net '^LINUX: (received bytes|FAIL)' 60
case $line in
*"md5=$sent_md5"*) ;;
*) kill "$nc_pid" 2>/dev/null; fail "host -> guest: sent md5=$sent_md5, guest says: $line" ;;
esac
wait "$nc_pid"

# And back: the guest serves its file on port 7002.
wait_line net '^LINUX: (offering bytes|FAIL)' 60
case $line in *FAIL*) fail "$line" ;; esac
offered_md5=${line##*md5=}
got=
n=0
while [ $n -lt 20 ]; do
    timeout 30 nc 10.77.0.2 7002 < /dev/null > "$NESTED_DIR/from-guest" 2>/dev/null
    got=$(md5sum < "$NESTED_DIR/from-guest" | cut -d' ' -f1)
    [ "$got" = "$offered_md5" ] && break
    sleep 0.5       # the guest's listener may not be up yet
    n=$((n + 1))
done
[ "$got" = "$offered_md5" ] ||
    fail "guest -> host: the guest offered md5=$offered_md5, the host got md5=$got" \
         "($(wc -c < "$NESTED_DIR/from-guest") bytes)"
ping -c 3 -W 5 10.77.0.2 > "$NESTED_DIR/ping.out" 2>&1 ||
    fail "the host cannot ping the guest: $(tail -n 2 "$NESTED_DIR/ping.out" | tr '\n' ' ')"

timeout 60 ./dom0-tools/lamina shutdown -w linux-net > "$NESTED_DIR/shutdown.out" 2>&1 ||
    fail "lamina shutdown -w failed: $(tail -n 2 "$NESTED_DIR/shutdown.out" | tr '\n' ' ')"
guest_wait net
guest_ok
note "${ping_line#LINUX: }; 768 KiB to the guest and 512 KiB back intact"
exit 0
