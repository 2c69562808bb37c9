## tests/unit/xenstore.mk: tests of lamina-xenstored and libxenstore: Check
## unit tests of the engine (in-memory connections) and of the client library
## (against a forked daemon), the xenstore-utils integration script, and the
## xs-bench benchmark (built, not run by make check).

XS_TEST_CPPFLAGS = $(XENSTORED_CPPFLAGS) $(CHECK_CFLAGS)
XS_TEST_LIBS = dom0-tools/xenstored/libxsd.la dom0-tools/libxenstore/libxenstore-core.la \
	$(CHECK_LIBS)
XS_HARNESS = tests/unit/test_xs_harness.c tests/unit/test_xs_harness.h

XS_UNIT_TESTS = \
	tests/unit/test_xs_proto \
	tests/unit/test_xs_txn \
	tests/unit/test_xs_malformed \
	tests/unit/test_xs_ring \
	tests/unit/test_xs_client
check_PROGRAMS += $(XS_UNIT_TESTS)
TESTS += $(XS_UNIT_TESTS)

tests_unit_test_xs_proto_SOURCES = tests/unit/test_xs_proto.c $(XS_HARNESS)
tests_unit_test_xs_proto_CPPFLAGS = $(XS_TEST_CPPFLAGS)
tests_unit_test_xs_proto_LDADD = $(XS_TEST_LIBS)

tests_unit_test_xs_txn_SOURCES = tests/unit/test_xs_txn.c $(XS_HARNESS)
tests_unit_test_xs_txn_CPPFLAGS = $(XS_TEST_CPPFLAGS)
tests_unit_test_xs_txn_LDADD = $(XS_TEST_LIBS)

tests_unit_test_xs_malformed_SOURCES = tests/unit/test_xs_malformed.c $(XS_HARNESS)
tests_unit_test_xs_malformed_CPPFLAGS = $(XS_TEST_CPPFLAGS)
tests_unit_test_xs_malformed_LDADD = $(XS_TEST_LIBS)

# ring.c against fake xenevtchn/xengnttab/xenctrl functions (in the test).
tests_unit_test_xs_ring_SOURCES = tests/unit/test_xs_ring.c dom0-tools/xenstored/ring.c \
	$(XS_HARNESS)
tests_unit_test_xs_ring_CPPFLAGS = $(XS_TEST_CPPFLAGS)
tests_unit_test_xs_ring_LDADD = $(XS_TEST_LIBS)

tests_unit_test_xs_client_SOURCES = tests/unit/test_xs_client.c
tests_unit_test_xs_client_CPPFLAGS = $(XS_TEST_CPPFLAGS)
tests_unit_test_xs_client_LDADD = $(XS_TEST_LIBS)

# The integration script runs Debian's xenstore-utils against the daemon
# built here; the wrapper tells it where that is.
XS_INTEGRATION_TESTS = tests/integration/xenstore-utils
check_SCRIPTS += $(XS_INTEGRATION_TESTS)
TESTS += $(XS_INTEGRATION_TESTS)
CLEANFILES += $(XS_INTEGRATION_TESTS)
EXTRA_DIST += tests/integration/xenstore-utils.sh

$(XS_INTEGRATION_TESTS): Makefile
	$(AM_V_GEN)$(MKDIR_P) tests/integration && { \
	  echo '#!/bin/sh'; \
	  echo "XENSTORED='$(abs_top_builddir)/dom0-tools/xenstored/lamina-xenstored'"; \
	  echo 'export XENSTORED'; \
	  echo "exec $(SHELL) '$(abs_top_srcdir)/$@.sh' \"\$$@\""; \
	} > $@.tmp && chmod +x $@.tmp && mv $@.tmp $@

noinst_PROGRAMS += tests/bench/xs-bench
tests_bench_xs_bench_SOURCES = tests/bench/xs-bench.c
tests_bench_xs_bench_CPPFLAGS = $(AM_CPPFLAGS) $(XENSTORE_CPPFLAGS)
tests_bench_xs_bench_LDADD = dom0-tools/libxenstore/libxenstore-core.la
