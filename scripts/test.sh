#!/bin/sh
# test.sh: install dependencies and run the whole test suite (`make check`),
# in the normal build and in the AddressSanitizer/UBSan build.
#
# Build directories: ./_build and ./_build-asan.  Each test's output is in
# <build>/tests/**/<test>.log; <build>/test-suite.log collects those of the tests
# that failed, and is printed when any did.  Everything is built in parallel; the
# tests run one at a time (they share /dev/kvm, the CPU and timing-sensitive
# paths).  LAMINA_TEST_CONFIGS="default" runs only the first configuration.
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/deps.sh"

lamina_install_deps
configs=${LAMINA_TEST_CONFIGS:-"default asan"}
status=0
for config in $configs; do
    case $config in
    default) dir=$top/_build; opts= ;;
    asan) dir=$top/_build-asan; opts=--enable-asan ;;
    *) echo "unknown configuration '$config'" >&2; exit 2 ;;
    esac
    echo "=== $config build: $dir"
    # shellcheck disable=SC2086
    (lamina_build "$dir" $opts)
    # TESTS= builds the test programs without running any.
    if ! (cd "$dir" && make -j"$(nproc)" check TESTS= >/dev/null && make check); then
        cat "$dir/test-suite.log" >&2 || true
        # The end of the output is what a CI summary keeps: name the failures last.
        echo "=== $config: make check FAILED; the failed tests (logs above, and in $dir):" >&2
        (cd "$dir" && grep -rl -E '^:test-result: (FAIL|XPASS|ERROR)' \
            --include='*.trs' . | sed 's/\.trs$//; s/^/===   /') >&2 || true
        status=1
    fi
done
exit $status
