## tests/bench/events.mk: event-channel and grant benchmarks (run-events.sh); built
## with `make check` so they don't rot, run by hand: they print numbers.

check_PROGRAMS += tests/bench/gnttab-bench
tests_bench_gnttab_bench_SOURCES = tests/bench/gnttab-bench.c
tests_bench_gnttab_bench_CPPFLAGS = $(AM_CPPFLAGS) $(XENCTRL_CPPFLAGS)
tests_bench_gnttab_bench_LDADD = dom0-tools/libxenctrl/libxenctrl-core.la

EXTRA_DIST += tests/bench/run-events.sh
