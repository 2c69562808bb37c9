## tests/local.mk
include $(srcdir)/tests/unit/xlcfg.mk
include $(srcdir)/tests/unit/ctrl.mk
include $(srcdir)/tests/abi/local.mk
include $(srcdir)/tests/unit/xenstore.mk
include $(srcdir)/tests/unit/hv.mk
include $(srcdir)/tests/bench/local.mk
include $(srcdir)/tests/nested/local.mk
include $(srcdir)/tests/fuzz/local.mk
include $(srcdir)/tests/guests/local.mk
include $(srcdir)/tests/integration/local.mk
include $(srcdir)/tests/bench/events.mk
include $(srcdir)/tests/net/local.mk
include $(srcdir)/tests/blkback/local.mk
EXTRA_DIST += tests/stop-daemons.sh tests/README.md
include $(srcdir)/tests/netback/local.mk
include $(srcdir)/tests/blkfront/local.mk
include $(srcdir)/tests/netfront/local.mk
