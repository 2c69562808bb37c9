## tests/net/local.mk: guest-kit's network stack built for the host: unit tests
## (Check) and a run against Linux's stack over a TAP device in a private netns.

# The stack's own sources, a second time, with the host's compiler flags (and
# sanitizers under --enable-asan); -iquote finds "guest-kit/net.h" without
# letting guest-kit's C library headers shadow the host's.
NET_HOST_CPPFLAGS = $(AM_CPPFLAGS) -iquote $(top_srcdir)/guest-kit/include
NET_HOST_SOURCES = $(GK_NET_SOURCES) \
	guest-kit/examples/net-echo/echo-services.c \
	guest-kit/examples/net-echo/echo-services.h

check_PROGRAMS += tests/net/test_net_unit tests/net/tap-driver tests/net/net-client
TESTS += tests/net/test_net_unit tests/net/tap-echo.sh
EXTRA_DIST += tests/net/tap-echo.sh

tests_net_test_net_unit_SOURCES = tests/net/test_net_unit.c tests/net/net_test_frames.c \
	tests/net/net_test_frames.h $(NET_HOST_SOURCES)
tests_net_test_net_unit_CPPFLAGS = $(NET_HOST_CPPFLAGS) $(CHECK_CFLAGS)
tests_net_test_net_unit_LDADD = $(CHECK_LIBS)

# The "guest" on the host: the stack and net-echo's services on a TAP device.
tests_net_tap_driver_SOURCES = tests/net/tap-driver.c $(NET_HOST_SOURCES)
tests_net_tap_driver_CPPFLAGS = $(NET_HOST_CPPFLAGS)

# Linux's side: ping, UDP and TCP echo clients, and a TCP echo server.
tests_net_net_client_SOURCES = tests/net/net-client.c
