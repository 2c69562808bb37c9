## tests/netback/local.mk: Check tests of lamina-netback (engine, switch, xenbus, TAP), the
## daemon script and the benchmark (built by make check, not run).

NETBACK_TEST_CPPFLAGS = $(NETBACK_CPPFLAGS) -I$(top_srcdir)/tests/netback \
	-I$(top_srcdir)/tests/backend $(CHECK_CFLAGS)
NETBACK_TEST_FAKE = tests/netback/fake.c tests/netback/fake.h \
	tests/backend/fake-guest.c tests/backend/fake-guest.h
NETBACK_TEST_LIBS = dom0-tools/netback/libnetback.la dom0-tools/libxenstore/libxenstore-core.la \
	$(CHECK_LIBS)

NETBACK_TESTS = \
	tests/netback/test_netback_engine \
	tests/netback/test_netback_hostile \
	tests/netback/test_netback_switch \
	tests/netback/test_netback_vif
check_PROGRAMS += $(NETBACK_TESTS)
TESTS += $(NETBACK_TESTS)

tests_netback_test_netback_engine_SOURCES = tests/netback/test_netback_engine.c \
	$(NETBACK_TEST_FAKE)
tests_netback_test_netback_engine_CPPFLAGS = $(NETBACK_TEST_CPPFLAGS)
tests_netback_test_netback_engine_LDADD = $(NETBACK_TEST_LIBS)

tests_netback_test_netback_hostile_SOURCES = tests/netback/test_netback_hostile.c \
	$(NETBACK_TEST_FAKE)
tests_netback_test_netback_hostile_CPPFLAGS = $(NETBACK_TEST_CPPFLAGS)
tests_netback_test_netback_hostile_LDADD = $(NETBACK_TEST_LIBS)

# The xenbus tests run the lamina-xenstored built here (in --fake-domains mode).
tests_netback_test_netback_vif_SOURCES = tests/netback/test_netback_vif.c $(NETBACK_TEST_FAKE) \
	tests/backend/xs-fixture.c tests/backend/xs-fixture.h
tests_netback_test_netback_vif_CPPFLAGS = $(NETBACK_TEST_CPPFLAGS) \
	-DNETBACK_XENSTORED='"$(abs_top_builddir)/dom0-tools/xenstored/lamina-xenstored"'
tests_netback_test_netback_vif_LDADD = $(NETBACK_TEST_LIBS)

tests_netback_test_netback_switch_SOURCES = tests/netback/test_netback_switch.c \
	$(NETBACK_TEST_FAKE)
tests_netback_test_netback_switch_CPPFLAGS = $(NETBACK_TEST_CPPFLAGS)
tests_netback_test_netback_switch_LDADD = $(NETBACK_TEST_LIBS)

# A fake guest on a TAP device in a bridge, in a private network namespace (root only).
check_PROGRAMS += tests/netback/tap-guest
tests_netback_tap_guest_SOURCES = tests/netback/tap-guest.c $(NETBACK_TEST_FAKE)
tests_netback_tap_guest_CPPFLAGS = $(NETBACK_CPPFLAGS) -I$(top_srcdir)/tests/netback \
	-I$(top_srcdir)/tests/backend
tests_netback_tap_guest_LDADD = dom0-tools/netback/libnetback.la \
	dom0-tools/libxenstore/libxenstore-core.la
TESTS += tests/netback/tap.sh
EXTRA_DIST += tests/netback/tap.sh

# The daemon on a private lamina-xenstored; the wrapper names the binaries.
NETBACK_SCRIPT_TESTS = tests/netback/daemon
check_SCRIPTS += $(NETBACK_SCRIPT_TESTS)
TESTS += $(NETBACK_SCRIPT_TESTS)
CLEANFILES += $(NETBACK_SCRIPT_TESTS)
EXTRA_DIST += tests/netback/daemon.sh

$(NETBACK_SCRIPT_TESTS): Makefile
	$(AM_V_GEN)$(MKDIR_P) tests/netback && { \
	  echo '#!/bin/sh'; \
	  echo "XENSTORED='$(abs_top_builddir)/dom0-tools/xenstored/lamina-xenstored'"; \
	  echo "NETBACK='$(abs_top_builddir)/dom0-tools/netback/lamina-netback'"; \
	  echo 'export XENSTORED NETBACK'; \
	  echo "exec $(SHELL) '$(abs_top_srcdir)/$@.sh' \"\$$@\""; \
	} > $@.tmp && chmod +x $@.tmp && mv $@.tmp $@

# Built by make check, run by hand (as root): see docs/netback.md.
check_PROGRAMS += tests/netback/bench-netback
tests_netback_bench_netback_SOURCES = tests/netback/bench-netback.c $(NETBACK_TEST_FAKE)
tests_netback_bench_netback_CPPFLAGS = $(NETBACK_CPPFLAGS) -I$(top_srcdir)/tests/netback \
	-I$(top_srcdir)/tests/backend
tests_netback_bench_netback_LDADD = dom0-tools/netback/libnetback.la \
	dom0-tools/libxenstore/libxenstore-core.la
