## dom0-tools/xlcfg/local.mk: the xl.cfg-style parser and the domain-config
## layer built on it (libxlcfg), plus the lamina.cfg(5) man page.

noinst_LTLIBRARIES += dom0-tools/xlcfg/libxlcfg.la
dom0_tools_xlcfg_libxlcfg_la_SOURCES = \
	dom0-tools/xlcfg/xlcfg.c \
	dom0-tools/xlcfg/xlcfg.h \
	dom0-tools/xlcfg/diskspec.c \
	dom0-tools/xlcfg/diskspec.h \
	dom0-tools/xlcfg/vifspec.c \
	dom0-tools/xlcfg/vifspec.h \
	dom0-tools/xlcfg/domcfg.c \
	dom0-tools/xlcfg/domcfg.h
# vifspec.c shares lamina-netback's MAC address rules (dom0-tools/netback/mac.h).
dom0_tools_xlcfg_libxlcfg_la_CPPFLAGS = $(AM_CPPFLAGS) $(YAJL_CFLAGS) $(UUID_CFLAGS) \
	-I$(top_srcdir)/dom0-tools/netback
dom0_tools_xlcfg_libxlcfg_la_LIBADD = dom0-tools/netback/libvifmac.la $(YAJL_LIBS) $(UUID_LIBS)

# Users of the library add this to their _CPPFLAGS and #include "xlcfg.h" / "domcfg.h".
XLCFG_CPPFLAGS = -I$(top_srcdir)/dom0-tools/xlcfg

dist_man_MANS += docs/man/lamina.cfg.5
