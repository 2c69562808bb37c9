#!/bin/sh
# test.sh: install dependencies and run the whole test suite (`make check`),
# in the normal build and in the AddressSanitizer/UBSan build.
#
# Build directories: ./_build and ./_build-asan.  Test logs: <build>/tests/**/*.log
# and <build>/test-suite.log.  LAMINA_TEST_CONFIGS="default" runs only the first.
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
    if ! (cd "$dir" && make -j"$(nproc)" check); then
        echo "=== $config: make check FAILED (see $dir/test-suite.log)" >&2
        cat "$dir/test-suite.log" >&2 || true
        status=1
    fi
done
exit $status
