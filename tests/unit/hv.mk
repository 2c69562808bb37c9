## tests/unit/hv.mk: tests of the hypervisor's trust boundaries: the PVH loader (ELF,
## bzImage), the guest-memory translator and the control socket under hostile clients.

HV_TEST_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/hypervisor/core \
	-I$(top_srcdir)/hypervisor -I$(top_srcdir)/tests/unit $(CHECK_CFLAGS)

check_PROGRAMS += tests/unit/test_elf tests/unit/test_guest_mem tests/unit/test_acpi
TESTS += tests/unit/test_elf tests/unit/test_guest_mem tests/unit/test_acpi

# The ACPI tables of PVH domains (hypervisor/loader/acpi.c).
tests_unit_test_acpi_SOURCES = tests/unit/test_acpi.c hypervisor/loader/acpi.c
tests_unit_test_acpi_CPPFLAGS = $(HV_TEST_CPPFLAGS)
tests_unit_test_acpi_LDADD = $(CHECK_LIBS)

# The loader's parsers alone (ELF, bzImage), against images the test writes itself.
tests_unit_test_elf_SOURCES = tests/unit/test_elf.c tests/unit/elf_writer.c \
	tests/unit/elf_writer.h tests/unit/bzimage_writer.c tests/unit/bzimage_writer.h \
	hypervisor/loader/elf.c hypervisor/loader/bzimage.c
tests_unit_test_elf_CPPFLAGS = $(HV_TEST_CPPFLAGS) $(KERNEL_UNPACK_CFLAGS)
tests_unit_test_elf_LDADD = $(KERNEL_UNPACK_LIBS) $(CHECK_LIBS)

# The physmap and page-table walker over a fake domain; memory slots go to a
# test double of the KVM backend.
tests_unit_test_guest_mem_SOURCES = tests/unit/test_guest_mem.c tests/unit/stub_arch.c \
	tests/unit/stub_arch.h hypervisor/core/guest_mem.c
tests_unit_test_guest_mem_CPPFLAGS = $(HV_TEST_CPPFLAGS)
tests_unit_test_guest_mem_LDADD = $(CHECK_LIBS)

# A private lamina-hv against hostile control clients (skipped without a
# usable /dev/kvm).
check_PROGRAMS += tests/unit/test_control_hostile
TESTS += tests/unit/test_control_hostile
tests_unit_test_control_hostile_SOURCES = tests/unit/test_control_hostile.c \
	tests/unit/elf_writer.c tests/unit/elf_writer.h tests/unit/bzimage_writer.c \
	tests/unit/bzimage_writer.h
tests_unit_test_control_hostile_CPPFLAGS = $(HV_TEST_CPPFLAGS) $(KERNEL_UNPACK_CFLAGS) \
	-DLAMINA_HV_PROGRAM=\"$(abs_top_builddir)/hypervisor/lamina-hv\"
tests_unit_test_control_hostile_LDADD = pv-abi/lamina/libctlwire.la $(KERNEL_UNPACK_LIBS) \
	$(CHECK_LIBS)
