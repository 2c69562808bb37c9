## tests/unit/xlcfg.mk: Check unit tests for the xl.cfg parser and domcfg.

XLCFG_TEST_CPPFLAGS = $(AM_CPPFLAGS) $(XLCFG_CPPFLAGS) $(CHECK_CFLAGS) \
	-DXLCFG_TEST_DATA=\"$(abs_top_srcdir)/tests/unit/data/xlcfg\"
XLCFG_TEST_LIBS = dom0-tools/xlcfg/libxlcfg.la $(CHECK_LIBS)

check_PROGRAMS += tests/unit/test_xlcfg tests/unit/test_domcfg tests/unit/test_diskspec \
	tests/unit/test_vifspec
TESTS += tests/unit/test_xlcfg tests/unit/test_domcfg tests/unit/test_diskspec \
	tests/unit/test_vifspec

tests_unit_test_diskspec_SOURCES = tests/unit/test_diskspec.c
tests_unit_test_diskspec_CPPFLAGS = $(XLCFG_TEST_CPPFLAGS)
tests_unit_test_diskspec_LDADD = $(XLCFG_TEST_LIBS)

tests_unit_test_vifspec_SOURCES = tests/unit/test_vifspec.c
tests_unit_test_vifspec_CPPFLAGS = $(XLCFG_TEST_CPPFLAGS)
tests_unit_test_vifspec_LDADD = $(XLCFG_TEST_LIBS)

tests_unit_test_xlcfg_SOURCES = tests/unit/test_xlcfg.c
tests_unit_test_xlcfg_CPPFLAGS = $(XLCFG_TEST_CPPFLAGS)
tests_unit_test_xlcfg_LDADD = $(XLCFG_TEST_LIBS)

tests_unit_test_domcfg_SOURCES = tests/unit/test_domcfg.c
tests_unit_test_domcfg_CPPFLAGS = $(XLCFG_TEST_CPPFLAGS) $(YAJL_CFLAGS) $(UUID_CFLAGS)
tests_unit_test_domcfg_LDADD = $(XLCFG_TEST_LIBS) $(YAJL_LIBS) $(UUID_LIBS)

EXTRA_DIST += \
	tests/unit/data/xlcfg/hello.cfg \
	tests/unit/data/xlcfg/linux.cfg \
	tests/unit/data/xlcfg/all-types.cfg \
	tests/unit/data/xlcfg/unterminated-list.cfg \
	tests/unit/data/xlcfg/unknown-keys.cfg \
	tests/unit/data/xlcfg/sub/relative.cfg
