## dom0-tools/netback/local.mk: lamina-netback, the network backend daemon (Xen's
## netif protocol, TAP devices and a built-in switch), its engine library and man page.

NETBACK_CPPFLAGS = $(AM_CPPFLAGS) $(XENCTRL_CPPFLAGS) $(XENSTORE_CPPFLAGS) \
	-I$(top_srcdir)/dom0-tools/netback -I$(top_srcdir)/dom0-tools/backend

# The engine (rings, packets, offloads), the switch, the links and the xenbus
# state machine, without a transport: the daemon adds xengnttab/xenevtchn,
# the tests a fake frontend. Users also link libxenstore-core.
noinst_LTLIBRARIES += dom0-tools/netback/libnetback.la
dom0_tools_netback_libnetback_la_SOURCES = \
	dom0-tools/netback/engine.c \
	dom0-tools/netback/engine.h \
	dom0-tools/netback/frame.c \
	dom0-tools/netback/frame.h \
	dom0-tools/netback/gso.c \
	dom0-tools/netback/gso.h \
	dom0-tools/netback/link.h \
	dom0-tools/netback/switch.c \
	dom0-tools/netback/switch.h \
	dom0-tools/netback/switchd.c \
	dom0-tools/netback/switchd.h \
	dom0-tools/netback/tap.c \
	dom0-tools/netback/tap.h \
	dom0-tools/netback/transport.h \
	dom0-tools/netback/vif.c \
	dom0-tools/netback/vif.h
dom0_tools_netback_libnetback_la_CPPFLAGS = $(NETBACK_CPPFLAGS)
dom0_tools_netback_libnetback_la_LIBADD = pv-abi/lamina/libctlwire.la \
	dom0-tools/netback/libvifmac.la dom0-tools/backend/libxenbus-backend.la

# MAC addresses of vifs (parsing, printing, netback_mac_generate()): shared with
# the toolstack, whose libxlcfg links it too, so both generate the same addresses.
noinst_LTLIBRARIES += dom0-tools/netback/libvifmac.la
dom0_tools_netback_libvifmac_la_SOURCES = dom0-tools/netback/mac.c dom0-tools/netback/mac.h
dom0_tools_netback_libvifmac_la_CPPFLAGS = $(AM_CPPFLAGS)

sbin_PROGRAMS += dom0-tools/netback/lamina-netback
dom0_tools_netback_lamina_netback_SOURCES = \
	dom0-tools/netback/main.c \
	dom0-tools/netback/transport-xen.c
dom0_tools_netback_lamina_netback_CPPFLAGS = $(NETBACK_CPPFLAGS)
dom0_tools_netback_lamina_netback_LDADD = dom0-tools/backend/libbackend.la \
	dom0-tools/netback/libnetback.la \
	dom0-tools/libxenstore/libxenstore-core.la dom0-tools/libxenctrl/libxenctrl-core.la

dist_man_MANS += docs/man/lamina-netback.8
EXTRA_DIST += docs/netback.md
