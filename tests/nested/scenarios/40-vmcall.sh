# 40-vmcall.sh: nested scenario: hypercalls by `vmcall`, intercepted by KVM's Xen support.
# SPDX-License-Identifier: MIT
# needs: hypervisor/lamina-hv dom0-tools/lamina dom0-tools/xenstored/lamina-xenstored
# needs: tests/nested/vmcall-guest tests/nested/vmcall-guest.cfg
# timeout: 120
. /lib/nested/lib.sh

hv_start
guest vmcall 60 tests/nested/vmcall-guest.cfg
guest_ok
grep -qE '^vmcall: xen 4\.17$' "$NESTED_DIR/vmcall.out" ||
    fail "no \"vmcall: xen 4.17\" line from the vmcall guest"
note "lamina create to exit in $ms ms"
exit 0
