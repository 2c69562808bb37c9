#!/bin/sh
# no-simd.sh: blkfront's test guests and the blk-verify example must not contain instructions
# KVM's emulator cannot run.
# SPDX-License-Identifier: MIT
exec "${srcdir:-.}/guest-kit/tests/no-simd.sh" guest-kit/examples/blk-verify/blk-verify \
    tests/blkfront/blktest tests/blkfront/blkhostile tests/blkfront/blkbench
