## dom0-tools/local.mk: dom0 libraries and programs: the libxenctrl-compatible
## control library, the xl.cfg parser and the `lamina` CLI.

include $(srcdir)/dom0-tools/xlcfg/local.mk

# Users of the control library add this to their _CPPFLAGS and
# #include <xenctrl.h> / <lamina_ctrl.h>.
XENCTRL_CPPFLAGS = -I$(top_srcdir)/dom0-tools/include

XENCTRL_SOURCES = \
	dom0-tools/include/xenctrl.h \
	dom0-tools/include/lamina_ctrl.h \
	dom0-tools/libxenctrl/xc_private.h \
	dom0-tools/libxenctrl/xc_core.c \
	dom0-tools/libxenctrl/xc_domain.c \
	dom0-tools/libxenctrl/lamina_console.c \
	dom0-tools/libxenctrl/lamina_hv.c \
	dom0-tools/include/xenevtchn.h \
	dom0-tools/libxenctrl/xenevtchn.c \
	dom0-tools/include/xengnttab.h \
	dom0-tools/libxenctrl/xengnttab.c

# Linked statically into our own programs, so that build-tree binaries are
# real executables.
noinst_LTLIBRARIES += dom0-tools/libxenctrl/libxenctrl-core.la
dom0_tools_libxenctrl_libxenctrl_core_la_SOURCES = $(XENCTRL_SOURCES)
dom0_tools_libxenctrl_libxenctrl_core_la_CPPFLAGS = $(AM_CPPFLAGS) $(XENCTRL_CPPFLAGS) \
	-DLAMINA_SBINDIR='"$(sbindir)"'
dom0_tools_libxenctrl_libxenctrl_core_la_LIBADD = pv-abi/lamina/libctlwire.la

# The same code as an installed shared library for other toolstacks. Only the
# public API is exported: xc_* and the lamina_* calls of lamina_ctrl.h (the
# framing helpers, also named lamina_*, stay internal).
lib_LTLIBRARIES += dom0-tools/libxenctrl/liblamina-xenctrl.la
dom0_tools_libxenctrl_liblamina_xenctrl_la_SOURCES =
dom0_tools_libxenctrl_liblamina_xenctrl_la_LIBADD = dom0-tools/libxenctrl/libxenctrl-core.la
XENCTRL_EXPORTS = ^(xc_[a-z]|xenevtchn_|xengnttab_|lamina_(domain_|console_|subscribe|next_event|fd|set_reply_timeout|hv_|daemon_))
dom0_tools_libxenctrl_liblamina_xenctrl_la_LDFLAGS = $(AM_LDFLAGS) -version-info 0:0:0 \
	-no-undefined -export-symbols-regex '$(XENCTRL_EXPORTS)'

lamina_xenctrlincdir = $(includedir)/lamina
lamina_xenctrlinc_HEADERS = dom0-tools/include/xenctrl.h dom0-tools/include/lamina_ctrl.h \
	dom0-tools/include/xenevtchn.h dom0-tools/include/xengnttab.h

pkgconfig_DATA += dom0-tools/lamina-xenctrl.pc

# The xl-like command line tool.
bin_PROGRAMS += dom0-tools/lamina
dom0_tools_lamina_SOURCES = \
	dom0-tools/cli/cli.h \
	dom0-tools/cli/main.c \
	dom0-tools/cli/util.c \
	dom0-tools/cli/create.c \
	dom0-tools/cli/build.c \
	dom0-tools/cli/monitor.c \
	dom0-tools/cli/list.c \
	dom0-tools/cli/list-format.c \
	dom0-tools/cli/console.c \
	dom0-tools/cli/domctl.c \
	dom0-tools/cli/block.c \
	dom0-tools/cli/network.c \
	dom0-tools/cli/domtree.c \
	dom0-tools/cli/info.c
dom0_tools_lamina_CPPFLAGS = $(AM_CPPFLAGS) $(XENCTRL_CPPFLAGS) $(XLCFG_CPPFLAGS) \
	$(YAJL_CFLAGS) $(UUID_CFLAGS)
dom0_tools_lamina_LDADD = dom0-tools/libxenctrl/libxenctrl-core.la \
	dom0-tools/libxenstore/libxenstore-core.la \
	dom0-tools/xlcfg/libxlcfg.la $(YAJL_LIBS) $(UUID_LIBS)

dist_man_MANS += docs/man/lamina.1
EXTRA_DIST += dom0-tools/README.md

include $(srcdir)/dom0-tools/libxenstore/local.mk
include $(srcdir)/dom0-tools/xenstored/local.mk
include $(srcdir)/dom0-tools/backend/local.mk
include $(srcdir)/dom0-tools/blkback/local.mk
include $(srcdir)/dom0-tools/netback/local.mk
