## tests/fuzz/local.mk: fuzz targets for the hypervisor's input parsers.
##
## libFuzzer builds need clang: `make fuzz` (or tests/fuzz/run-fuzz.sh) builds
## and runs them when clang is there, and says so when it is not.  `make check`
## builds each target with the ordinary compiler and the replay driver, and
## runs it over its seeds and a few thousand mutations of them.

FUZZ_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/hypervisor/core -I$(top_srcdir)/hypervisor \
	-I$(top_srcdir)/tests/unit -I$(top_srcdir)/tests/fuzz
FUZZ_COMMON = tests/fuzz/fuzz.h tests/fuzz/fuzz_common.c tests/fuzz/replay.c

FUZZ_REPLAYS = tests/fuzz/fuzz_elf_replay tests/fuzz/fuzz_bzimage_replay \
	tests/fuzz/fuzz_ctl_recv_replay tests/fuzz/fuzz_guest_mem_replay
check_PROGRAMS += $(FUZZ_REPLAYS)
TESTS += $(FUZZ_REPLAYS)

tests_fuzz_fuzz_elf_replay_SOURCES = tests/fuzz/fuzz_elf.c $(FUZZ_COMMON) \
	tests/unit/elf_writer.c tests/unit/elf_writer.h hypervisor/loader/elf.c
tests_fuzz_fuzz_elf_replay_CPPFLAGS = $(FUZZ_CPPFLAGS)

tests_fuzz_fuzz_bzimage_replay_SOURCES = tests/fuzz/fuzz_bzimage.c $(FUZZ_COMMON) \
	tests/unit/elf_writer.c tests/unit/bzimage_writer.c tests/unit/bzimage_writer.h \
	hypervisor/loader/elf.c hypervisor/loader/bzimage.c
tests_fuzz_fuzz_bzimage_replay_CPPFLAGS = $(FUZZ_CPPFLAGS) $(KERNEL_UNPACK_CFLAGS)
tests_fuzz_fuzz_bzimage_replay_LDADD = $(KERNEL_UNPACK_LIBS)

tests_fuzz_fuzz_ctl_recv_replay_SOURCES = tests/fuzz/fuzz_ctl_recv.c $(FUZZ_COMMON)
tests_fuzz_fuzz_ctl_recv_replay_CPPFLAGS = $(FUZZ_CPPFLAGS)
tests_fuzz_fuzz_ctl_recv_replay_LDADD = pv-abi/lamina/libctlwire.la

tests_fuzz_fuzz_guest_mem_replay_SOURCES = tests/fuzz/fuzz_guest_mem.c $(FUZZ_COMMON) \
	tests/unit/stub_arch.c tests/unit/stub_arch.h hypervisor/core/guest_mem.c
tests_fuzz_fuzz_guest_mem_replay_CPPFLAGS = $(FUZZ_CPPFLAGS)

EXTRA_DIST += tests/fuzz/run-fuzz.sh

# make fuzz [FUZZ_TIME=seconds per target] [FUZZ_TARGETS="elf bzimage ctl_recv guest_mem"]
FUZZ_TIME = 60
FUZZ_TARGETS =
fuzz:
	$(SHELL) $(top_srcdir)/tests/fuzz/run-fuzz.sh -t $(FUZZ_TIME) -b $(abs_top_builddir) \
		-o $(abs_top_builddir)/fuzz-out $(FUZZ_TARGETS)
.PHONY: fuzz
