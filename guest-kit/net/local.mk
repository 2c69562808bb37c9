## guest-kit/net/local.mk: the network stack (Ethernet, ARP, IPv4, ICMP, UDP, TCP),
## built into libguest-kit.a, and the net-echo example (on netfront). Included from
## guest-kit/local.mk.

# The same sources build for the host tests (tests/net/local.mk): they use only
# <string.h>, <stdlib.h> (malloc, free) and the freestanding headers.
GK_NET_SOURCES = \
	guest-kit/net/stack.h \
	guest-kit/net/tcp.h \
	guest-kit/net/checksum.c \
	guest-kit/net/netif.c \
	guest-kit/net/arp.c \
	guest-kit/net/ipv4.c \
	guest-kit/net/icmp.c \
	guest-kit/net/udp.c \
	guest-kit/net/tcp.c \
	guest-kit/net/tcp_input.c

guest_kit_libguest_kit_a_SOURCES += $(GK_NET_SOURCES)
gkinc_gk_HEADERS += guest-kit/include/guest-kit/net.h
EXTRA_DIST += guest-kit/net/README.md

# The echo services (ping, UDP and TCP port 7) are one file the host test
# driver builds too, so the example's own code meets Linux's stack in make check.
# The example runs on netfront (guest-kit/drivers/netfront.c); installed.
gk_net_echodir = $(datadir)/lamina/examples/net-echo
gk_net_echo_PROGRAMS = guest-kit/examples/net-echo/net-echo
dist_gk_net_echo_DATA = \
	guest-kit/examples/net-echo/net-echo.c \
	guest-kit/examples/net-echo/net-echo.cfg \
	guest-kit/examples/net-echo/echo-services.c \
	guest-kit/examples/net-echo/echo-services.h
guest_kit_examples_net_echo_net_echo_SOURCES = \
	guest-kit/examples/net-echo/net-echo.c \
	guest-kit/examples/net-echo/echo-services.c \
	guest-kit/examples/net-echo/echo-services.h
guest_kit_examples_net_echo_net_echo_CPPFLAGS = $(GUEST_CPPFLAGS)
guest_kit_examples_net_echo_net_echo_CFLAGS = $(GUEST_ALL_CFLAGS)
guest_kit_examples_net_echo_net_echo_LDADD = $(GUEST_LIB)
guest_kit_examples_net_echo_net_echo_LINK = $(GUEST_LINK)
EXTRA_guest_kit_examples_net_echo_net_echo_DEPENDENCIES = $(GUEST_LD_SCRIPT)
GK_EXAMPLE_CONFIGS += guest-kit/examples/net-echo/net-echo.cfg
