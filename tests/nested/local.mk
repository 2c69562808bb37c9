## tests/nested/local.mk: the nested test host: Lamina on a standard KVM (kvm_amd, with
## KVM_CAP_XEN_HVM) inside qemu -accel tcg, from Debian packages fetched at test time.
## See docs/testing-nested.md.

# Runs in the test host's initramfs, which has no C library: linked statically
# (-all-static: this is a libtool link), so without the sanitizers of AM_CFLAGS.
check_PROGRAMS += tests/nested/kvm-probe
tests_nested_kvm_probe_SOURCES = tests/nested/kvm-probe.c
tests_nested_kvm_probe_CFLAGS = $(WARN_CFLAGS)
tests_nested_kvm_probe_LDFLAGS = -all-static

# A guest making hypercalls with vmcall, as stock Linux does: it needs KVM's
# Xen intercept, so it only runs in the test host.
check_PROGRAMS += tests/nested/vmcall-guest
tests_nested_vmcall_guest_SOURCES = tests/nested/vmcall-guest.S
tests_nested_vmcall_guest_CCASFLAGS = $(GUEST_ALL_CFLAGS)
tests_nested_vmcall_guest_LINK = $(CCLD) $(GUEST_LDFLAGS) \
	-Wl,--no-warn-rwx-segments -Wl,-T,$(srcdir)/tests/nested/vmcall-guest.ld -o $@
EXTRA_tests_nested_vmcall_guest_DEPENDENCIES = $(srcdir)/tests/nested/vmcall-guest.ld

TESTS += tests/nested/nested.sh
CLEANFILES += tests/nested/nested-serial.log tests/nested/nested-serial-retry.log \
	tests/nested/qemu-install.log
EXTRA_DIST += \
	tests/nested/nested.sh \
	tests/nested/fetch.sh \
	tests/nested/init.sh \
	tests/nested/lib.sh \
	tests/nested/scenarios/10-kvm.sh \
	tests/nested/scenarios/20-hello.sh \
	tests/nested/scenarios/30-selftest.sh \
	tests/nested/scenarios/40-vmcall.sh \
	tests/nested/scenarios/50-linux.sh \
	tests/nested/scenarios/60-linux-disk.sh \
	tests/nested/scenarios/70-linux-net.sh \
	tests/nested/scenarios/80-linux-smp.sh \
	tests/nested/scenarios/90-linux-shutdown.sh \
	tests/nested/scenarios/95-linux-vs-qemu.sh \
	tests/nested/guest-init.sh \
	tests/nested/vmcall-guest.cfg \
	tests/nested/vmcall-guest.ld \
	docs/testing-nested.md
