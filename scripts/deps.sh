#!/bin/sh
# deps.sh: install what building and testing Lamina needs (Debian 12).
# Sourced by setup.sh and test.sh; safe to run again.
set -e

LAMINA_DEB_PACKAGES="build-essential autoconf automake libtool pkg-config
    libyajl-dev uuid-dev check linux-libc-dev liblzma-dev zlib1g-dev libzstd-dev
    libxen-dev xenstore-utils liburing-dev"

lamina_install_deps() {
    missing=
    for p in $LAMINA_DEB_PACKAGES; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
            missing="$missing $p"
    done
    [ -z "$missing" ] && return 0
    if [ "$(id -u)" != 0 ]; then
        echo "Missing Debian packages:$missing" >&2
        echo "Run as root, or: apt-get install$missing" >&2
        exit 1
    fi
    echo "Installing:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq || apt-get update
    # shellcheck disable=SC2086
    apt-get install -y -qq $missing
}

# Configure (once) and build in $1 with the configure options that follow.
lamina_build() {
    dir=$1
    shift
    top=$(cd "$(dirname "$0")/.." && pwd)
    [ -x "$top/configure" ] || (cd "$top" && autoreconf -fi)
    mkdir -p "$dir"
    cd "$dir"
    [ -f Makefile ] || "$top/configure" "$@"
    make -j"$(nproc)"
}
