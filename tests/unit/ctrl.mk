## tests/unit/ctrl.mk: Check unit tests for the control library (against a fake
## hypervisor) and the CLI's list formatting.

check_PROGRAMS += tests/unit/test_ctrl
TESTS += tests/unit/test_ctrl

tests_unit_test_ctrl_SOURCES = tests/unit/test_ctrl.c dom0-tools/cli/list-format.c
tests_unit_test_ctrl_CPPFLAGS = $(AM_CPPFLAGS) $(XENCTRL_CPPFLAGS) $(XLCFG_CPPFLAGS) \
	-I$(top_srcdir)/dom0-tools/cli $(CHECK_CFLAGS)
tests_unit_test_ctrl_LDADD = dom0-tools/libxenctrl/libxenctrl-core.la $(CHECK_LIBS)

# The CLI against a real lamina-hv (skipped without a usable /dev/kvm), with a
# tiny PVH guest. The guest is linked on its own: no C library, no sanitizers.
check_PROGRAMS += tests/integration/cli-guest
tests_integration_cli_guest_SOURCES = tests/integration/cli-guest.S
tests_integration_cli_guest_CPPFLAGS =
tests_integration_cli_guest_CCASFLAGS =
tests_integration_cli_guest_LINK = $(CCLD) $(GUEST_LDFLAGS) -Wl,-Ttext-segment=0x100000 -o $@

TESTS += tests/integration/cli-lifecycle.sh
EXTRA_DIST += tests/integration/cli-lifecycle.sh
