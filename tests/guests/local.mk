## tests/guests/local.mk: test guests (guest-kit programs) run by the scripts in
## tests/integration and tests/bench: event channels, grants, timers, SMP and a
## hostile guest. Built with the guest flags and linked like any guest-kit program.

TEST_GUESTS = tests/guests/peer tests/guests/grants tests/guests/timers tests/guests/smp \
	tests/guests/hostile tests/guests/xenbus
check_PROGRAMS += $(TEST_GUESTS)
TEST_GUEST_COMMON = tests/guests/gtest.c tests/guests/gtest.h

tests_guests_peer_SOURCES = tests/guests/peer.c $(TEST_GUEST_COMMON)
tests_guests_peer_CPPFLAGS = $(GUEST_CPPFLAGS)
tests_guests_peer_CFLAGS = $(GUEST_ALL_CFLAGS)
tests_guests_peer_LDADD = $(GUEST_LIB)
tests_guests_peer_LINK = $(GUEST_LINK)
EXTRA_tests_guests_peer_DEPENDENCIES = $(GUEST_LD_SCRIPT)

tests_guests_grants_SOURCES = tests/guests/grants.c $(TEST_GUEST_COMMON)
tests_guests_grants_CPPFLAGS = $(GUEST_CPPFLAGS)
tests_guests_grants_CFLAGS = $(GUEST_ALL_CFLAGS)
tests_guests_grants_LDADD = $(GUEST_LIB)
tests_guests_grants_LINK = $(GUEST_LINK)
EXTRA_tests_guests_grants_DEPENDENCIES = $(GUEST_LD_SCRIPT)

tests_guests_timers_SOURCES = tests/guests/timers.c $(TEST_GUEST_COMMON)
tests_guests_timers_CPPFLAGS = $(GUEST_CPPFLAGS)
tests_guests_timers_CFLAGS = $(GUEST_ALL_CFLAGS)
tests_guests_timers_LDADD = $(GUEST_LIB)
tests_guests_timers_LINK = $(GUEST_LINK)
EXTRA_tests_guests_timers_DEPENDENCIES = $(GUEST_LD_SCRIPT)

tests_guests_smp_SOURCES = tests/guests/smp.c $(TEST_GUEST_COMMON)
tests_guests_smp_CPPFLAGS = $(GUEST_CPPFLAGS)
tests_guests_smp_CFLAGS = $(GUEST_ALL_CFLAGS)
tests_guests_smp_LDADD = $(GUEST_LIB)
tests_guests_smp_LINK = $(GUEST_LINK)
EXTRA_tests_guests_smp_DEPENDENCIES = $(GUEST_LD_SCRIPT)

tests_guests_hostile_SOURCES = tests/guests/hostile.c $(TEST_GUEST_COMMON)
tests_guests_hostile_CPPFLAGS = $(GUEST_CPPFLAGS)
tests_guests_hostile_CFLAGS = $(GUEST_ALL_CFLAGS)
tests_guests_hostile_LDADD = $(GUEST_LIB)
tests_guests_hostile_LINK = $(GUEST_LINK)
EXTRA_tests_guests_hostile_DEPENDENCIES = $(GUEST_LD_SCRIPT)

tests_guests_xenbus_SOURCES = tests/guests/xenbus.c $(TEST_GUEST_COMMON)
tests_guests_xenbus_CPPFLAGS = $(GUEST_CPPFLAGS)
tests_guests_xenbus_CFLAGS = $(GUEST_ALL_CFLAGS)
tests_guests_xenbus_LDADD = $(GUEST_LIB)
tests_guests_xenbus_LINK = $(GUEST_LINK)
EXTRA_tests_guests_xenbus_DEPENDENCIES = $(GUEST_LD_SCRIPT)

# The same check guest-kit's own code gets: nothing KVM's emulator cannot run.
TESTS += tests/guests/no-simd.sh
EXTRA_DIST += tests/guests/no-simd.sh
