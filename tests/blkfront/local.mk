## tests/blkfront/local.mk: guest-kit's blkfront end to end: guests whose disks
## lamina-blkback serves on a private lamina-hv (data round trips, flush durability
## with the guest or the backend worker killed, read-only disks, hotplug, a hostile
## frontend beside a good one), and the benchmark (built by make check, run by hand:
## tests/blkfront/run-bench.sh). The scripts skip (77) without a usable /dev/kvm.

BLKFRONT_GUEST_CPPFLAGS = $(GUEST_CPPFLAGS) -I$(top_srcdir)/tests/guests \
	-I$(top_srcdir)/guest-kit/examples/blk-verify
BLKFRONT_GUESTS = tests/blkfront/blktest tests/blkfront/blkhostile tests/blkfront/blkbench
check_PROGRAMS += $(BLKFRONT_GUESTS)

tests_blkfront_blktest_SOURCES = tests/blkfront/blktest.c $(TEST_GUEST_COMMON)
tests_blkfront_blktest_CPPFLAGS = $(BLKFRONT_GUEST_CPPFLAGS)
tests_blkfront_blktest_CFLAGS = $(GUEST_ALL_CFLAGS)
tests_blkfront_blktest_LDADD = $(GUEST_LIB)
tests_blkfront_blktest_LINK = $(GUEST_LINK)
EXTRA_tests_blkfront_blktest_DEPENDENCIES = $(GUEST_LD_SCRIPT)

tests_blkfront_blkhostile_SOURCES = tests/blkfront/blkhostile.c $(TEST_GUEST_COMMON)
tests_blkfront_blkhostile_CPPFLAGS = $(BLKFRONT_GUEST_CPPFLAGS)
tests_blkfront_blkhostile_CFLAGS = $(GUEST_ALL_CFLAGS)
tests_blkfront_blkhostile_LDADD = $(GUEST_LIB)
tests_blkfront_blkhostile_LINK = $(GUEST_LINK)
EXTRA_tests_blkfront_blkhostile_DEPENDENCIES = $(GUEST_LD_SCRIPT)

tests_blkfront_blkbench_SOURCES = tests/blkfront/blkbench.c $(TEST_GUEST_COMMON)
tests_blkfront_blkbench_CPPFLAGS = $(BLKFRONT_GUEST_CPPFLAGS)
tests_blkfront_blkbench_CFLAGS = $(GUEST_ALL_CFLAGS)
tests_blkfront_blkbench_LDADD = $(GUEST_LIB)
tests_blkfront_blkbench_LINK = $(GUEST_LINK)
EXTRA_tests_blkfront_blkbench_DEPENDENCIES = $(GUEST_LD_SCRIPT)

# Host programs: stamps written or checked in an image from dom0; the benchmark's
# io_uring reference.
check_PROGRAMS += tests/blkfront/blk-pattern tests/blkfront/blk-uring
tests_blkfront_blk_pattern_SOURCES = tests/blkfront/blk-pattern.c \
	guest-kit/examples/blk-verify/pattern.h
tests_blkfront_blk_pattern_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/guest-kit/examples/blk-verify
tests_blkfront_blk_uring_SOURCES = tests/blkfront/blk-uring.c
tests_blkfront_blk_uring_CPPFLAGS = $(AM_CPPFLAGS) $(LIBURING_CFLAGS)
tests_blkfront_blk_uring_LDADD = $(LIBURING_LIBS)

BLKFRONT_TESTS = \
	tests/blkfront/no-simd.sh \
	tests/blkfront/data.sh \
	tests/blkfront/readonly.sh \
	tests/blkfront/hotplug.sh \
	tests/blkfront/hostile.sh
TESTS += $(BLKFRONT_TESTS)
EXTRA_DIST += $(BLKFRONT_TESTS) tests/blkfront/run-bench.sh

# A dom0 backend that lies to blkfront (tests/blkfront/evil.sh).
check_PROGRAMS += tests/blkfront/evil-backend
tests_blkfront_evil_backend_SOURCES = tests/blkfront/evil-backend.c \
	tests/backend/evil-peer.c tests/backend/evil-peer.h
tests_blkfront_evil_backend_CPPFLAGS = $(AM_CPPFLAGS) $(XENCTRL_CPPFLAGS) $(XENSTORE_CPPFLAGS) \
	-I$(top_srcdir)/tests/backend
tests_blkfront_evil_backend_LDADD = dom0-tools/libxenctrl/libxenctrl-core.la \
	dom0-tools/libxenstore/libxenstore-core.la
TESTS += tests/blkfront/evil.sh
EXTRA_DIST += tests/blkfront/evil.sh
