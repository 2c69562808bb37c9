## dom0-tools/backend/local.mk: what lamina-blkback and lamina-netback share: the daemon
## (pid file, log, one supervised worker process per device, lock files) and the
## backend half of the xenbus handshake.

noinst_LTLIBRARIES += dom0-tools/backend/libbackend.la
dom0_tools_backend_libbackend_la_SOURCES = \
	dom0-tools/backend/backend.h \
	dom0-tools/backend/supervisor.c \
	dom0-tools/backend/xen-queue.c \
	dom0-tools/backend/xen-queue.h
dom0_tools_backend_libbackend_la_CPPFLAGS = $(AM_CPPFLAGS) $(XENCTRL_CPPFLAGS) $(XENSTORE_CPPFLAGS)

# The backend half of the xenbus handshake, in the backends' engine libraries
# (libblkback, libnetback), which their tests link too.
noinst_LTLIBRARIES += dom0-tools/backend/libxenbus-backend.la
dom0_tools_backend_libxenbus_backend_la_SOURCES = \
	dom0-tools/backend/xenbus.c \
	dom0-tools/backend/xenbus.h
dom0_tools_backend_libxenbus_backend_la_CPPFLAGS = $(AM_CPPFLAGS) $(XENSTORE_CPPFLAGS)
