#!/bin/sh
# no-simd.sh: the test guests must not contain instructions KVM's emulator cannot run.
# SPDX-License-Identifier: MIT
exec "${srcdir:-.}/guest-kit/tests/no-simd.sh" tests/guests/peer tests/guests/grants \
    tests/guests/timers tests/guests/smp tests/guests/hostile
