## dom0-tools/xenstored/local.mk: lamina-xenstored, the xenstore daemon, and
## its man page.

XENSTORED_CPPFLAGS = $(AM_CPPFLAGS) $(XENCTRL_CPPFLAGS) $(XENSTORE_CPPFLAGS) \
	-I$(top_srcdir)/dom0-tools/xenstored

# The engine: database, transactions, watches, domains, the protocol and the
# socket transport, without main() and without the guest rings. The daemon,
# the unit tests and the benchmark link it.
noinst_LTLIBRARIES += dom0-tools/xenstored/libxsd.la
dom0_tools_xenstored_libxsd_la_SOURCES = \
	dom0-tools/xenstored/conn.c \
	dom0-tools/xenstored/conn.h \
	dom0-tools/xenstored/control.c \
	dom0-tools/xenstored/domain.c \
	dom0-tools/xenstored/domain.h \
	dom0-tools/xenstored/log.h \
	dom0-tools/xenstored/loop.c \
	dom0-tools/xenstored/loop.h \
	dom0-tools/xenstored/proto.c \
	dom0-tools/xenstored/proto.h \
	dom0-tools/xenstored/quota.c \
	dom0-tools/xenstored/quota.h \
	dom0-tools/xenstored/socket.c \
	dom0-tools/xenstored/socket.h \
	dom0-tools/xenstored/store.c \
	dom0-tools/xenstored/store.h \
	dom0-tools/xenstored/txn.c \
	dom0-tools/xenstored/txn.h \
	dom0-tools/xenstored/watch.c \
	dom0-tools/xenstored/watch.h \
	dom0-tools/xenstored/xsd.c \
	dom0-tools/xenstored/xsd.h
dom0_tools_xenstored_libxsd_la_CPPFLAGS = $(XENSTORED_CPPFLAGS)
dom0_tools_xenstored_libxsd_la_LIBADD = dom0-tools/libxenstore/libxenstore-core.la \
	pv-abi/lamina/libctlwire.la

# Guests are reached through ring.c (lamina's xenevtchn/xengnttab libraries
# in libxenctrl-core). Switch to ring-none.c, which makes INTRODUCE fail
# with ENOSYS, to build without them.
XENSTORED_RING = dom0-tools/xenstored/ring.c
EXTRA_DIST += dom0-tools/xenstored/ring.c dom0-tools/xenstored/ring-none.c

sbin_PROGRAMS += dom0-tools/xenstored/lamina-xenstored
dom0_tools_xenstored_lamina_xenstored_SOURCES = \
	dom0-tools/xenstored/main.c \
	dom0-tools/xenstored/ring.h \
	$(XENSTORED_RING)
dom0_tools_xenstored_lamina_xenstored_CPPFLAGS = $(XENSTORED_CPPFLAGS) \
	-DXENSTORED_CONF='"$(sysconfdir)/lamina/xenstored.conf"'
dom0_tools_xenstored_lamina_xenstored_LDADD = dom0-tools/xenstored/libxsd.la \
	dom0-tools/libxenctrl/libxenctrl-core.la

dist_man_MANS += docs/man/lamina-xenstored.8
EXTRA_DIST += docs/xenstore.md
