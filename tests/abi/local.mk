## tests/abi/local.mk: pv-abi against Xen's own headers (Debian's libxen-dev):
## every constant, layout and ring macro must match (see pv-abi/README.md).

ABI_TESTS = \
	tests/abi/abi-check \
	tests/abi/headers-check \
	tests/abi/ring-check
check_SCRIPTS += $(ABI_TESTS)
TESTS += $(ABI_TESTS)
CLEANFILES += $(ABI_TESTS)
EXTRA_DIST += \
	tests/abi/abi-check.sh \
	tests/abi/abi-dwarf.awk \
	tests/abi/abi-gen.sh \
	tests/abi/abi-parse.awk \
	tests/abi/headers-check.sh \
	tests/abi/lamina-only.txt \
	tests/abi/ring-check.sh \
	tests/abi/ring-semantics.c

# Each test is a small wrapper around tests/abi/<name>.sh that fixes this
# build's compiler, flags and directories; the scripts print SKIP and exit 77
# when Xen's headers are not installed.
$(ABI_TESTS): Makefile
	$(AM_V_GEN)$(MKDIR_P) tests/abi && { \
	  echo '#!/bin/sh'; \
	  echo "CC='$(CC)'"; \
	  echo "AWK='$(AWK)'"; \
	  echo "GUEST_CFLAGS='$(GUEST_CFLAGS)'"; \
	  echo "WARN_CFLAGS='$(WARN_CFLAGS)'"; \
	  echo "top_srcdir='$(abs_top_srcdir)'"; \
	  echo "ABI_WORKDIR='$(abs_top_builddir)/$@.work'"; \
	  echo 'export CC AWK GUEST_CFLAGS WARN_CFLAGS top_srcdir ABI_WORKDIR'; \
	  echo "exec $(SHELL) '$(abs_top_srcdir)/$@.sh' \"\$$@\""; \
	} > $@.tmp && chmod +x $@.tmp && mv $@.tmp $@
