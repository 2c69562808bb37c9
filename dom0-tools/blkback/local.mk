## dom0-tools/blkback/local.mk: lamina-blkback, the block backend daemon (Xen's
## blkif protocol served with io_uring), its engine library and man page.

BLKBACK_CPPFLAGS = $(AM_CPPFLAGS) $(XENCTRL_CPPFLAGS) $(XENSTORE_CPPFLAGS) \
	-I$(top_srcdir)/dom0-tools/blkback -I$(top_srcdir)/dom0-tools/backend \
	$(LIBURING_CFLAGS)

# The engine (rings, requests, io_uring), the backing stores and the xenbus
# state machine, without a transport: the daemon adds xengnttab/xenevtchn,
# the tests a fake frontend. Users also link libxenstore-core.
noinst_LTLIBRARIES += dom0-tools/blkback/libblkback.la
dom0_tools_blkback_libblkback_la_SOURCES = \
	dom0-tools/blkback/disk.c \
	dom0-tools/blkback/disk.h \
	dom0-tools/blkback/pgrant.c \
	dom0-tools/blkback/pgrant.h \
	dom0-tools/blkback/engine.c \
	dom0-tools/blkback/engine.h \
	dom0-tools/blkback/transport.h \
	dom0-tools/blkback/vbd.c \
	dom0-tools/blkback/vbd.h
dom0_tools_blkback_libblkback_la_CPPFLAGS = $(BLKBACK_CPPFLAGS)
dom0_tools_blkback_libblkback_la_LIBADD = pv-abi/lamina/libctlwire.la \
	dom0-tools/backend/libxenbus-backend.la $(LIBURING_LIBS)

sbin_PROGRAMS += dom0-tools/blkback/lamina-blkback
dom0_tools_blkback_lamina_blkback_SOURCES = \
	dom0-tools/blkback/main.c \
	dom0-tools/blkback/transport-xen.c
dom0_tools_blkback_lamina_blkback_CPPFLAGS = $(BLKBACK_CPPFLAGS)
dom0_tools_blkback_lamina_blkback_LDADD = dom0-tools/backend/libbackend.la \
	dom0-tools/blkback/libblkback.la \
	dom0-tools/libxenstore/libxenstore-core.la dom0-tools/libxenctrl/libxenctrl-core.la

dist_man_MANS += docs/man/lamina-blkback.8
EXTRA_DIST += docs/blkback.md
