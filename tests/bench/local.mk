## tests/bench/local.mk: benchmarks. Built with `make check` so they don't rot;
## run by hand (they print numbers, they assert nothing): see tests/README.md.

check_PROGRAMS += tests/bench/bare-exit tests/bench/boot-bench tests/bench/hcall-bench
tests_bench_bare_exit_SOURCES = tests/bench/bare-exit.c

tests_bench_boot_bench_SOURCES = tests/bench/boot-bench.c
tests_bench_boot_bench_CPPFLAGS = $(AM_CPPFLAGS) $(XENCTRL_CPPFLAGS)
tests_bench_boot_bench_LDADD = dom0-tools/libxenctrl/libxenctrl-core.la

tests_bench_hcall_bench_SOURCES = tests/bench/hcall-bench.c
tests_bench_hcall_bench_CPPFLAGS = $(GUEST_CPPFLAGS)
tests_bench_hcall_bench_CFLAGS = $(GUEST_ALL_CFLAGS)
tests_bench_hcall_bench_LDADD = $(GUEST_LIB)
tests_bench_hcall_bench_LINK = $(GUEST_LINK)
EXTRA_tests_bench_hcall_bench_DEPENDENCIES = $(GUEST_LD_SCRIPT)

EXTRA_DIST += tests/bench/run-boot.sh tests/bench/hcall-bench.cfg tests/bench/run-xenbus.sh
