## dom0-tools/backend/local.mk: the daemon side lamina-blkback and lamina-netback share
## (pid file, log, one supervised worker process per device, lock files).

noinst_LTLIBRARIES += dom0-tools/backend/libbackend.la
dom0_tools_backend_libbackend_la_SOURCES = \
	dom0-tools/backend/backend.h \
	dom0-tools/backend/supervisor.c
dom0_tools_backend_libbackend_la_CPPFLAGS = $(AM_CPPFLAGS) $(XENSTORE_CPPFLAGS)
