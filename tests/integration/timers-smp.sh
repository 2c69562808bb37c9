#!/bin/sh
# timers-smp.sh: timers, sleeping, SCHEDOP_poll, NMIs on one vCPU; IPIs and blocking on two.
# SPDX-License-Identifier: MIT
. "${srcdir:-.}/tests/integration/lib.sh"

timers=$lt_top/tests/guests/timers
smp=$lt_top/tests/guests/smp
lt_init timers-smp "$timers" "$smp"
lt_start_hv

lt_cfg timers "$timers"
lt_cfg smp "$smp" "vcpus = 2"
lt_guest timers
lt_guest smp "extra=\"rounds=500\""
lt_wait timers
[ "$lt_rc" -eq 0 ] || lt_fail "timers: lamina create exited with $lt_rc"
lt_wait smp
[ "$lt_rc" -eq 0 ] || lt_fail "smp: lamina create exited with $lt_rc"

lt_expect timers '^PASS SCHEDOP_poll on a port and on timeout, hypervisor one-shot and periodic'
lt_expect timers '^PASS sleep'
lt_expect timers '^PASS one-shot timers in order, the stopped one silent'
lt_expect timers '^PASS periodic timer'
lt_expect timers '^PASS VCPUOP_send_nmi'
lt_expect timers '^timers: done, 0 failures'
lt_expect smp '^PASS [0-9]+ vCPUs up, per-CPU data'
lt_expect smp '^PASS 500 IPI round trips each way'
lt_expect smp '^PASS SCHEDOP_block wakes on another vCPU'
lt_expect smp '^PASS loopback channel delivered on the vCPU it is bound to'
lt_expect smp '^PASS concurrent malloc and printf'
lt_expect smp '^smp: done, 0 failures'
lt_no_fail timers
lt_no_fail smp
grep -E ': time ' "$lt_tmp/timers.out" "$lt_tmp/smp.out"
lt_finish
