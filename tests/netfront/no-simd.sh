#!/bin/sh
# no-simd.sh: netfront's test guests and the net-echo example must not contain instructions
# KVM's emulator cannot run.
# SPDX-License-Identifier: MIT
exec "${srcdir:-.}/guest-kit/tests/no-simd.sh" guest-kit/examples/net-echo/net-echo \
    tests/netfront/nettest tests/netfront/nethostile tests/netfront/netbench
