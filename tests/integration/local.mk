## tests/integration/local.mk: guests on a private lamina-hv, with dom0 programs on
## the other end: event channels, grants, timers, SMP, a hostile guest. Each script
## skips (77) without a usable /dev/kvm; tests/integration/lib.sh holds their helpers.

# dom0 programs the scripts run against the test guests (tests/guests).
check_PROGRAMS += tests/integration/evtchn-dom0 tests/integration/gnttab-dom0
tests_integration_evtchn_dom0_SOURCES = tests/integration/evtchn-dom0.c \
	tests/integration/rawctl.c tests/integration/rawctl.h
tests_integration_evtchn_dom0_CPPFLAGS = $(AM_CPPFLAGS) $(XENCTRL_CPPFLAGS)
tests_integration_evtchn_dom0_LDADD = dom0-tools/libxenctrl/libxenctrl-core.la
tests_integration_gnttab_dom0_SOURCES = tests/integration/gnttab-dom0.c
tests_integration_gnttab_dom0_CPPFLAGS = $(AM_CPPFLAGS) $(XENCTRL_CPPFLAGS)
tests_integration_gnttab_dom0_LDADD = dom0-tools/libxenctrl/libxenctrl-core.la

EVENTS_TESTS = \
	tests/integration/events-guests.sh \
	tests/integration/events-dom0.sh \
	tests/integration/grants-dom0.sh \
	tests/integration/timers-smp.sh \
	tests/integration/hostile.sh \
	tests/integration/xenbus-guest.sh
TESTS += $(EVENTS_TESTS)
EXTRA_DIST += $(EVENTS_TESTS) tests/integration/lib.sh
