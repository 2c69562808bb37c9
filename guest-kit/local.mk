## guest-kit/local.mk: the guest SDK (libguest-kit.a, its headers and linker
## script, lamina-guest-kit.pc), its examples and tests.

gkdir = $(libdir)/lamina/guest-kit
gk_LIBRARIES = guest-kit/libguest-kit.a
dist_gk_DATA = guest-kit/arch/x86_64/guest-kit.ld

# "cr": the default "cru" makes ar warn.
guest_kit_libguest_kit_a_AR = $(AR) cr
guest_kit_libguest_kit_a_CPPFLAGS = $(GUEST_CPPFLAGS)
guest_kit_libguest_kit_a_CFLAGS = $(GUEST_ALL_CFLAGS)
guest_kit_libguest_kit_a_CCASFLAGS = $(GUEST_ALL_CFLAGS)
guest_kit_libguest_kit_a_SOURCES = \
	guest-kit/internal.h \
	guest-kit/arch/x86_64/arch.h \
	guest-kit/arch/x86_64/entry.S \
	guest-kit/arch/x86_64/pagetables.S \
	guest-kit/arch/x86_64/trap_stubs.S \
	guest-kit/arch/x86_64/traps.c \
	guest-kit/arch/x86_64/hypervisor.c \
	guest-kit/arch/x86_64/irq.c \
	guest-kit/arch/x86_64/paging.c \
	guest-kit/arch/x86_64/string.c \
	guest-kit/drivers/blkfront.c \
	guest-kit/drivers/netfront.c \
	guest-kit/drivers/netfront-netif.c \
	guest-kit/kernel/start.c \
	guest-kit/kernel/cmdline.c \
	guest-kit/kernel/cmdline.h \
	guest-kit/kernel/console.c \
	guest-kit/kernel/events.c \
	guest-kit/kernel/gnttab.c \
	guest-kit/kernel/mm.c \
	guest-kit/kernel/shutdown.c \
	guest-kit/kernel/smp.c \
	guest-kit/kernel/time.c \
	guest-kit/kernel/timer.c \
	guest-kit/kernel/xen.c \
	guest-kit/kernel/xenbus.c \
	guest-kit/lib/format.c \
	guest-kit/lib/format.h \
	guest-kit/lib/malloc.c \
	guest-kit/lib/stdio.c \
	guest-kit/lib/stdlib.c \
	guest-kit/lib/string.c

# Users compile with -I$(includedir)/lamina/guest-kit (see lamina-guest-kit.pc):
# the C library subset at its top, the SDK's own headers under guest-kit/.
gkincdir = $(includedir)/lamina/guest-kit
gkinc_HEADERS = \
	guest-kit/include/assert.h \
	guest-kit/include/ctype.h \
	guest-kit/include/errno.h \
	guest-kit/include/limits.h \
	guest-kit/include/stdio.h \
	guest-kit/include/stdlib.h \
	guest-kit/include/string.h

gkinc_gkdir = $(includedir)/lamina/guest-kit/guest-kit
gkinc_gk_HEADERS = \
	guest-kit/include/guest-kit/blkfront.h \
	guest-kit/include/guest-kit/console.h \
	guest-kit/include/guest-kit/events.h \
	guest-kit/include/guest-kit/gnttab.h \
	guest-kit/include/guest-kit/guest-kit.h \
	guest-kit/include/guest-kit/hypercall.h \
	guest-kit/include/guest-kit/netfront.h \
	guest-kit/include/guest-kit/smp.h \
	guest-kit/include/guest-kit/spinlock.h \
	guest-kit/include/guest-kit/time.h \
	guest-kit/include/guest-kit/traps.h \
	guest-kit/include/guest-kit/x86.h \
	guest-kit/include/guest-kit/xenbus.h

pkgconfig_DATA += guest-kit/lamina-guest-kit.pc

# Example guests. A guest program is built with the guest flags, linked with
# $(GUEST_LINK) against $(GUEST_LIB); the linker script is a dependency too.
gk_hellodir = $(datadir)/lamina/examples/hello
gk_hello_PROGRAMS = guest-kit/examples/hello/hello
dist_gk_hello_DATA = \
	guest-kit/examples/hello/hello.c \
	guest-kit/examples/hello/hello.cfg
guest_kit_examples_hello_hello_SOURCES = guest-kit/examples/hello/hello.c
guest_kit_examples_hello_hello_CPPFLAGS = $(GUEST_CPPFLAGS)
guest_kit_examples_hello_hello_CFLAGS = $(GUEST_ALL_CFLAGS)
guest_kit_examples_hello_hello_LDADD = $(GUEST_LIB)
guest_kit_examples_hello_hello_LINK = $(GUEST_LINK)
EXTRA_guest_kit_examples_hello_hello_DEPENDENCIES = $(GUEST_LD_SCRIPT)

# Writes a pattern over a disk, flushes, reads it back (blkfront); installed.
gk_blk_verifydir = $(datadir)/lamina/examples/blk-verify
gk_blk_verify_PROGRAMS = guest-kit/examples/blk-verify/blk-verify
dist_gk_blk_verify_DATA = \
	guest-kit/examples/blk-verify/blk-verify.c \
	guest-kit/examples/blk-verify/blk-verify.cfg \
	guest-kit/examples/blk-verify/pattern.h
guest_kit_examples_blk_verify_blk_verify_SOURCES = guest-kit/examples/blk-verify/blk-verify.c \
	guest-kit/examples/blk-verify/pattern.h
guest_kit_examples_blk_verify_blk_verify_CPPFLAGS = $(GUEST_CPPFLAGS)
guest_kit_examples_blk_verify_blk_verify_CFLAGS = $(GUEST_ALL_CFLAGS)
guest_kit_examples_blk_verify_blk_verify_LDADD = $(GUEST_LIB)
guest_kit_examples_blk_verify_blk_verify_LINK = $(GUEST_LINK)
EXTRA_guest_kit_examples_blk_verify_blk_verify_DEPENDENCIES = $(GUEST_LD_SCRIPT)

# Faults on purpose to show the crash report; built, not installed.
noinst_PROGRAMS += guest-kit/examples/crash/crash
guest_kit_examples_crash_crash_SOURCES = guest-kit/examples/crash/crash.c
guest_kit_examples_crash_crash_CPPFLAGS = $(GUEST_CPPFLAGS)
guest_kit_examples_crash_crash_CFLAGS = $(GUEST_ALL_CFLAGS)
guest_kit_examples_crash_crash_LDADD = $(GUEST_LIB)
guest_kit_examples_crash_crash_LINK = $(GUEST_LINK)
EXTRA_guest_kit_examples_crash_crash_DEPENDENCIES = $(GUEST_LD_SCRIPT)
EXTRA_DIST += guest-kit/examples/crash/crash.cfg

# Tests. Host unit tests of the parts that need no guest (Check), the check
# that guest code has no instruction KVM's emulator cannot run, and real
# guests on a private lamina-hv (skipped without /dev/kvm).
check_PROGRAMS += guest-kit/tests/test_format guest-kit/tests/test_cmdline
guest_kit_tests_test_format_SOURCES = guest-kit/tests/test_format.c guest-kit/lib/format.c \
	guest-kit/lib/format.h
guest_kit_tests_test_format_CPPFLAGS = $(AM_CPPFLAGS) $(CHECK_CFLAGS)
guest_kit_tests_test_format_LDADD = $(CHECK_LIBS)
guest_kit_tests_test_cmdline_SOURCES = guest-kit/tests/test_cmdline.c guest-kit/kernel/cmdline.c \
	guest-kit/kernel/cmdline.h
guest_kit_tests_test_cmdline_CPPFLAGS = $(AM_CPPFLAGS) $(CHECK_CFLAGS)
guest_kit_tests_test_cmdline_LDADD = $(CHECK_LIBS)

check_PROGRAMS += guest-kit/tests/selftest
guest_kit_tests_selftest_SOURCES = guest-kit/tests/selftest.c
guest_kit_tests_selftest_CPPFLAGS = $(GUEST_CPPFLAGS)
guest_kit_tests_selftest_CFLAGS = $(GUEST_ALL_CFLAGS)
guest_kit_tests_selftest_LDADD = $(GUEST_LIB)
guest_kit_tests_selftest_LINK = $(GUEST_LINK)
EXTRA_guest_kit_tests_selftest_DEPENDENCIES = $(GUEST_LD_SCRIPT)

TESTS += \
	guest-kit/tests/test_format \
	guest-kit/tests/test_cmdline \
	guest-kit/tests/no-simd.sh \
	guest-kit/tests/guests.sh
EXTRA_DIST += guest-kit/tests/no-simd.sh guest-kit/tests/guests.sh guest-kit/README.md

# In a separate build directory the example configs are copied next to the
# kernels they name (kernel paths are relative to the config file), so that
# `lamina create guest-kit/examples/hello/hello.cfg` works from the build tree.
GK_EXAMPLE_CONFIGS = guest-kit/examples/hello/hello.cfg guest-kit/examples/crash/crash.cfg \
	guest-kit/examples/blk-verify/blk-verify.cfg
all-local: gk-example-configs
gk-example-configs:
	@if test "$(srcdir)" != "."; then \
	  for f in $(GK_EXAMPLE_CONFIGS); do \
	    $(MKDIR_P) `dirname $$f` && cp -f $(srcdir)/$$f $$f || exit 1; \
	  done; \
	fi
clean-local: gk-example-configs-clean
gk-example-configs-clean:
	@if test "$(srcdir)" != "."; then rm -f $(GK_EXAMPLE_CONFIGS); fi
.PHONY: gk-example-configs gk-example-configs-clean

include $(srcdir)/guest-kit/net/local.mk
