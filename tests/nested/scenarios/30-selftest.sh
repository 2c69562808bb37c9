# 30-selftest.sh: nested scenario: the guest-kit self-test guest passes over the standard KVM.
# SPDX-License-Identifier: MIT
# needs: hypervisor/lamina-hv dom0-tools/lamina dom0-tools/xenstored/lamina-xenstored
# needs: guest-kit/tests/selftest
# timeout: 120
. /lib/nested/lib.sh

# selftest.c checks that it received exactly these arguments (as guest-kit/tests/guests.sh).
cat > "$NESTED_DIR/selftest.cfg" <<'CFG'
name = "selftest"
type = "pvh"
memory = 32
cmdline = "one \"two words\" 'it''s' a\\ b"
CFG
hv_start
guest selftest 60 "$NESTED_DIR/selftest.cfg" kernel=\"/build/guest-kit/tests/selftest\"
guest_ok
grep -q '^selftest: all [0-9]* checks passed$' "$NESTED_DIR/selftest.out" ||
    fail "$(grep -m 1 -i 'fail' "$NESTED_DIR/selftest.out" || echo 'no "all checks passed" line')"
note "lamina create to exit in $ms ms"
exit 0
