## tests/nested/local.mk: the nested test host: Lamina on a standard KVM (kvm_amd, with
## KVM_CAP_XEN_HVM) inside qemu -accel tcg, from Debian packages fetched at test time.
## See docs/testing-nested.md.

# Runs in the test host's initramfs, which has no C library: linked statically
# (-all-static: this is a libtool link), so without the sanitizers of AM_CFLAGS.
check_PROGRAMS += tests/nested/kvm-probe
tests_nested_kvm_probe_SOURCES = tests/nested/kvm-probe.c
tests_nested_kvm_probe_CFLAGS = $(WARN_CFLAGS)
tests_nested_kvm_probe_LDFLAGS = -all-static

TESTS += tests/nested/nested.sh
CLEANFILES += tests/nested/nested-serial.log tests/nested/qemu-install.log
EXTRA_DIST += \
	tests/nested/nested.sh \
	tests/nested/fetch.sh \
	tests/nested/init.sh \
	tests/nested/lib.sh \
	tests/nested/scenarios/10-kvm.sh \
	tests/nested/scenarios/20-hello.sh \
	tests/nested/scenarios/30-selftest.sh \
	docs/testing-nested.md
