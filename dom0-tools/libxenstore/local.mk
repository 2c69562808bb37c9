## dom0-tools/libxenstore/local.mk: the libxenstore-compatible client library
## (xenstore.h, xenstore_lib.h) for dom0 programs.

# Users add this to their _CPPFLAGS and #include <xenstore.h>.
XENSTORE_CPPFLAGS = -I$(top_srcdir)/dom0-tools/include

# Linked statically into our own programs (and xenstored, for xs_lib.c).
noinst_LTLIBRARIES += dom0-tools/libxenstore/libxenstore-core.la
dom0_tools_libxenstore_libxenstore_core_la_SOURCES = \
	dom0-tools/include/xenstore.h \
	dom0-tools/include/xenstore_lib.h \
	dom0-tools/libxenstore/xs.c \
	dom0-tools/libxenstore/xs_lib.c
dom0_tools_libxenstore_libxenstore_core_la_CPPFLAGS = $(AM_CPPFLAGS) $(XENSTORE_CPPFLAGS)

# The same code as an installed shared library exporting only xs_*.
lib_LTLIBRARIES += dom0-tools/libxenstore/liblamina-xenstore.la
dom0_tools_libxenstore_liblamina_xenstore_la_SOURCES =
dom0_tools_libxenstore_liblamina_xenstore_la_LIBADD = dom0-tools/libxenstore/libxenstore-core.la
dom0_tools_libxenstore_liblamina_xenstore_la_LDFLAGS = $(AM_LDFLAGS) -version-info 0:0:0 \
	-no-undefined -export-symbols-regex '^xs_'

lamina_xenstoreincdir = $(includedir)/lamina
lamina_xenstoreinc_HEADERS = dom0-tools/include/xenstore.h dom0-tools/include/xenstore_lib.h
