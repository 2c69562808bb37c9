## tests/blkback/local.mk: Check tests of lamina-blkback's engine and xenbus
## state machine against a fake frontend, and the engine benchmark (built by
## make check, not run).

BLKBACK_TEST_CPPFLAGS = $(BLKBACK_CPPFLAGS) -I$(top_srcdir)/tests/blkback \
	-I$(top_srcdir)/tests/backend $(CHECK_CFLAGS)
BLKBACK_TEST_FAKE = tests/blkback/fake.c tests/blkback/fake.h \
	tests/backend/fake-guest.c tests/backend/fake-guest.h
BLKBACK_TEST_LIBS = dom0-tools/blkback/libblkback.la dom0-tools/libxenstore/libxenstore-core.la $(CHECK_LIBS)

BLKBACK_TESTS = \
	tests/blkback/test_blkback_engine \
	tests/blkback/test_blkback_hostile \
	tests/blkback/test_blkback_vbd
check_PROGRAMS += $(BLKBACK_TESTS)
TESTS += $(BLKBACK_TESTS)

tests_blkback_test_blkback_engine_SOURCES = tests/blkback/test_blkback_engine.c \
	$(BLKBACK_TEST_FAKE)
tests_blkback_test_blkback_engine_CPPFLAGS = $(BLKBACK_TEST_CPPFLAGS)
tests_blkback_test_blkback_engine_LDADD = $(BLKBACK_TEST_LIBS)

tests_blkback_test_blkback_hostile_SOURCES = tests/blkback/test_blkback_hostile.c \
	$(BLKBACK_TEST_FAKE)
tests_blkback_test_blkback_hostile_CPPFLAGS = $(BLKBACK_TEST_CPPFLAGS)
tests_blkback_test_blkback_hostile_LDADD = $(BLKBACK_TEST_LIBS)

# The xenbus tests run the lamina-xenstored built here (in --fake-domains mode).
tests_blkback_test_blkback_vbd_SOURCES = tests/blkback/test_blkback_vbd.c $(BLKBACK_TEST_FAKE) \
	tests/backend/xs-fixture.c tests/backend/xs-fixture.h
tests_blkback_test_blkback_vbd_CPPFLAGS = $(BLKBACK_TEST_CPPFLAGS) \
	-DBLKBACK_XENSTORED='"$(abs_top_builddir)/dom0-tools/xenstored/lamina-xenstored"'
tests_blkback_test_blkback_vbd_LDADD = $(BLKBACK_TEST_LIBS)

# Built by make check, run by hand: see docs/blkback.md.
check_PROGRAMS += tests/blkback/bench-engine
tests_blkback_bench_engine_SOURCES = tests/blkback/bench-engine.c $(BLKBACK_TEST_FAKE)
tests_blkback_bench_engine_CPPFLAGS = $(BLKBACK_CPPFLAGS) -I$(top_srcdir)/tests/blkback \
	-I$(top_srcdir)/tests/backend
tests_blkback_bench_engine_LDADD = dom0-tools/blkback/libblkback.la

# The daemon on a private lamina-xenstored; the wrapper names the binaries.
BLKBACK_SCRIPT_TESTS = tests/blkback/daemon
check_SCRIPTS += $(BLKBACK_SCRIPT_TESTS)
TESTS += $(BLKBACK_SCRIPT_TESTS)
CLEANFILES += $(BLKBACK_SCRIPT_TESTS)
EXTRA_DIST += tests/blkback/daemon.sh

$(BLKBACK_SCRIPT_TESTS): Makefile
	$(AM_V_GEN)$(MKDIR_P) tests/blkback && { \
	  echo '#!/bin/sh'; \
	  echo "XENSTORED='$(abs_top_builddir)/dom0-tools/xenstored/lamina-xenstored'"; \
	  echo "BLKBACK='$(abs_top_builddir)/dom0-tools/blkback/lamina-blkback'"; \
	  echo 'export XENSTORED BLKBACK'; \
	  echo "exec $(SHELL) '$(abs_top_srcdir)/$@.sh' \"\$$@\""; \
	} > $@.tmp && chmod +x $@.tmp && mv $@.tmp $@
