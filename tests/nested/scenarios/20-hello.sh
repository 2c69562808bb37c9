# 20-hello.sh: nested scenario: the guest-kit hello example on lamina-hv over the standard KVM.
# SPDX-License-Identifier: MIT
# needs: hypervisor/lamina-hv dom0-tools/lamina dom0-tools/xenstored/lamina-xenstored
# needs: guest-kit/examples/hello/hello guest-kit/examples/hello/hello.cfg
# timeout: 120
. /lib/nested/lib.sh

hv_start
guest hello 60 guest-kit/examples/hello/hello.cfg
guest_ok
grep -qE '^Hello from Lamina domain [0-9]+$' "$NESTED_DIR/hello.out" ||
    fail "no \"Hello from Lamina domain <id>\" line from hello"
note "lamina create to exit in $ms ms"
exit 0
