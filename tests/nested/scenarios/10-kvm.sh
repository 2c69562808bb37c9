# 10-kvm.sh: nested scenario: the test host's KVM runs a VM and reports KVM_CAP_XEN_HVM.
# SPDX-License-Identifier: MIT
# timeout: 60
. /lib/nested/lib.sh

kvm-probe > "$NESTED_DIR/probe.out" 2>&1 || fail "kvm-probe: $(tail -n 1 "$NESTED_DIR/probe.out")"
cat "$NESTED_DIR/probe.out"
cap=$(sed -n 's/^KVM_CAP_XEN_HVM=//p' "$NESTED_DIR/probe.out")
note "KVM_CAP_XEN_HVM=$cap"
[ -n "$cap" ] || fail "kvm-probe printed no KVM_CAP_XEN_HVM line"
[ $((cap)) -ne 0 ] || fail "KVM_CAP_XEN_HVM is 0: the test host's kernel lacks CONFIG_KVM_XEN"
# Bit 1, KVM_XEN_HVM_CONFIG_INTERCEPT_HCALL: what stock Linux PVH guests need.
[ $((cap & 2)) -ne 0 ] || fail "KVM_CAP_XEN_HVM=$cap lacks INTERCEPT_HCALL"
exit 0
