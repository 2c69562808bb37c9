## tests/netfront/local.mk: guest-kit's netfront end to end, with lamina-netback on a
## private lamina-hv: guests on the built-in switch, a guest on a TAP device in a bridge
## in a private network namespace, network-attach/detach while a guest runs, a hostile
## frontend beside good ones, a dom0 backend that lies; and the benchmark (built by make
## check, run by hand: tests/netfront/run-bench.sh). The scripts skip (77) without a
## usable /dev/kvm or without network namespaces.

NETFRONT_GUEST_CPPFLAGS = $(GUEST_CPPFLAGS) -I$(top_srcdir)/tests/guests
NETFRONT_GUESTS = tests/netfront/nettest tests/netfront/nethostile tests/netfront/netbench
check_PROGRAMS += $(NETFRONT_GUESTS)

tests_netfront_nettest_SOURCES = tests/netfront/nettest.c $(TEST_GUEST_COMMON)
tests_netfront_nettest_CPPFLAGS = $(NETFRONT_GUEST_CPPFLAGS)
tests_netfront_nettest_CFLAGS = $(GUEST_ALL_CFLAGS)
tests_netfront_nettest_LDADD = $(GUEST_LIB)
tests_netfront_nettest_LINK = $(GUEST_LINK)
EXTRA_tests_netfront_nettest_DEPENDENCIES = $(GUEST_LD_SCRIPT)

tests_netfront_nethostile_SOURCES = tests/netfront/nethostile.c $(TEST_GUEST_COMMON)
tests_netfront_nethostile_CPPFLAGS = $(NETFRONT_GUEST_CPPFLAGS)
tests_netfront_nethostile_CFLAGS = $(GUEST_ALL_CFLAGS)
tests_netfront_nethostile_LDADD = $(GUEST_LIB)
tests_netfront_nethostile_LINK = $(GUEST_LINK)
EXTRA_tests_netfront_nethostile_DEPENDENCIES = $(GUEST_LD_SCRIPT)

tests_netfront_netbench_SOURCES = tests/netfront/netbench.c $(TEST_GUEST_COMMON)
tests_netfront_netbench_CPPFLAGS = $(NETFRONT_GUEST_CPPFLAGS)
tests_netfront_netbench_CFLAGS = $(GUEST_ALL_CFLAGS)
tests_netfront_netbench_LDADD = $(GUEST_LIB)
tests_netfront_netbench_LINK = $(GUEST_LINK)
EXTRA_tests_netfront_netbench_DEPENDENCIES = $(GUEST_LD_SCRIPT)

# The host's side of the benchmark: UDP senders and sinks, also the veth floor.
check_PROGRAMS += tests/netfront/netbench-host
tests_netfront_netbench_host_SOURCES = tests/netfront/netbench-host.c

# A dom0 netif backend that lies to netfront (tests/netfront/evil.sh).
check_PROGRAMS += tests/netfront/evil-netback
tests_netfront_evil_netback_SOURCES = tests/netfront/evil-netback.c \
	tests/backend/evil-peer.c tests/backend/evil-peer.h
tests_netfront_evil_netback_CPPFLAGS = $(AM_CPPFLAGS) $(XENCTRL_CPPFLAGS) $(XENSTORE_CPPFLAGS) \
	-I$(top_srcdir)/tests/backend
tests_netfront_evil_netback_LDADD = dom0-tools/libxenctrl/libxenctrl-core.la \
	dom0-tools/libxenstore/libxenstore-core.la

NETFRONT_TESTS = \
	tests/netfront/no-simd.sh \
	tests/netfront/switch.sh \
	tests/netfront/tap.sh \
	tests/netfront/hotplug.sh \
	tests/netfront/hostile.sh \
	tests/netfront/evil.sh
TESTS += $(NETFRONT_TESTS)
EXTRA_DIST += $(NETFRONT_TESTS) tests/netfront/lib.sh tests/netfront/run-bench.sh
