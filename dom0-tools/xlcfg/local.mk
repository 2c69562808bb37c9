## dom0-tools/xlcfg/local.mk: the xl.cfg-style parser and the domain-config
## layer built on it (libxlcfg), plus the lamina.cfg(5) man page.

noinst_LTLIBRARIES += dom0-tools/xlcfg/libxlcfg.la
dom0_tools_xlcfg_libxlcfg_la_SOURCES = \
	dom0-tools/xlcfg/xlcfg.c \
	dom0-tools/xlcfg/xlcfg.h \
	dom0-tools/xlcfg/diskspec.c \
	dom0-tools/xlcfg/diskspec.h \
	dom0-tools/xlcfg/domcfg.c \
	dom0-tools/xlcfg/domcfg.h
dom0_tools_xlcfg_libxlcfg_la_CPPFLAGS = $(AM_CPPFLAGS) $(YAJL_CFLAGS) $(UUID_CFLAGS)
dom0_tools_xlcfg_libxlcfg_la_LIBADD = $(YAJL_LIBS) $(UUID_LIBS)

# Users of the library add this to their _CPPFLAGS and #include "xlcfg.h" / "domcfg.h".
XLCFG_CPPFLAGS = -I$(top_srcdir)/dom0-tools/xlcfg

dist_man_MANS += docs/man/lamina.cfg.5
