#!/bin/sh
# fetch.sh: fetches Debian trixie's kernel and busybox-static for the nested test host, cached.
# SPDX-License-Identifier: MIT
#
# Usage: fetch.sh CACHE-DIR
# Leaves CACHE-DIR/current.env (shell assignments: KVER, KERNEL, KVM_MODULES,
# GUEST_MODULES, BUSYBOX, KERNEL_TREE) and prints nothing else on success.
# The same kernel runs as the test host and as the Linux guest under Lamina:
# GUEST_MODULES holds the guest's modules (Xen frontends, ext4), decompressed. Exit 77 with the
# reason on stderr when the packages cannot be had (no network, no apt), 1 on
# other errors.
#
# The packages come through a PRIVATE apt configuration under CACHE-DIR/apt:
# its own sources list, state, status and cache directories. The system's
# sources and package state are never read or written. A cache that is
# complete is used as it is, without network, unless LAMINA_NESTED_REFRESH=1.
#
# LAMINA_NESTED_SUITE (default trixie) picks the suite; LAMINA_NESTED_KERNEL_PKG
# names a kernel package to use instead of the one linux-image-amd64 depends on.
set -u

cache=${1:?usage: fetch.sh CACHE-DIR}
suite=${LAMINA_NESTED_SUITE:-trixie}
mirror=http://deb.debian.org/debian

# A refresh that cannot reach the registry falls back to a complete cache.
have_cache=0
skip() {
    if [ "$have_cache" = 1 ]; then
        echo "nested: $* -- using the cached packages" >&2
        exit 0
    fi
    echo "nested: $*" >&2
    exit 77
}
die() {
    echo "nested: $*" >&2
    exit 1
}

for tool in apt-get apt-cache dpkg-deb xz flock; do
    command -v "$tool" >/dev/null 2>&1 || skip "$tool is not available (needs a Debian host)"
done

mkdir -p "$cache" || die "cannot create the cache directory $cache"
cache=$(cd "$cache" && pwd)

# One fetch at a time per cache; another run waits (bounded) for it.
exec 9>"$cache/lock"
flock -w 600 9 || die "the cache $cache stays locked by another run (waited 10 minutes)"

# extract_modules TREE KVER DIR NAME...: decompress modules found under TREE's
# kernel/ (by path relative to it) into DIR; the package ships no modules.dep,
# and decompressing here keeps the VMs independent of insmod's xz support.
extract_modules() {
    x_tree=$1/usr/lib/modules/$2/kernel
    x_dir=$3
    shift 3
    rm -rf "$x_dir"
    mkdir -p "$x_dir" || die "cannot create $x_dir"
    for m in "$@"; do
        name=$(basename "$m")
        if [ -f "$x_tree/$m.ko.xz" ]; then
            xz -dc "$x_tree/$m.ko.xz" > "$x_dir/$name.ko" || die "cannot decompress $m.ko.xz"
        elif [ -f "$x_tree/$m.ko" ]; then
            cp "$x_tree/$m.ko" "$x_dir/$name.ko" || die "cannot copy $m.ko"
        else
            die "the kernel package has no module $m"
        fi
    done
}
# The test host's modules: KVM, and TAP devices and a bridge for the guests' vifs.
KVM_MODS="virt/lib/irqbypass drivers/crypto/ccp/ccp arch/x86/kvm/kvm arch/x86/kvm/kvm-amd
    drivers/net/tun net/llc/llc net/802/stp net/bridge/bridge"
# In load order (ext4 needs jbd2, crc16, mbcache; mounting asks for crc32c).
GUEST_MODS="drivers/block/xen-blkfront drivers/net/xen-netfront crypto/crc32c_generic
    lib/crc16 fs/mbcache fs/jbd2/jbd2 fs/ext4/ext4"

if [ -f "$cache/current.env" ]; then
    # shellcheck disable=SC1091
    . "$cache/current.env"
    if [ -f "$KERNEL" ] && [ -x "$BUSYBOX" ] && [ -f "$KVM_MODULES/kvm-amd.ko" ]; then
        # A cache from before the network modules: add them from the kernel tree.
        if [ ! -f "$KVM_MODULES/bridge.ko" ] && [ -d "$KERNEL_TREE" ]; then
            # shellcheck disable=SC2086 # a list of module paths
            extract_modules "$KERNEL_TREE" "$KVER" "$KVM_MODULES" $KVM_MODS
        fi
        # A cache from before the guest modules: add them from the kernel tree.
        if [ ! -f "${GUEST_MODULES:-/nonexistent}/ext4.ko" ] && [ -d "$KERNEL_TREE" ]; then
            GUEST_MODULES=$cache/guest-modules-$KVER
            # shellcheck disable=SC2086 # a list of module paths
            extract_modules "$KERNEL_TREE" "$KVER" "$GUEST_MODULES" $GUEST_MODS
            grep -v '^GUEST_MODULES=' "$cache/current.env" > "$cache/current.env.new"
            echo "GUEST_MODULES='$GUEST_MODULES'" >> "$cache/current.env.new"
            mv "$cache/current.env.new" "$cache/current.env"
        fi
        [ "${LAMINA_NESTED_REFRESH:-0}" = 1 ] || exit 0
        have_cache=1
    fi
fi

apt=$cache/apt
mkdir -p "$apt/sources.list.d" "$apt/preferences.d" "$apt/state/lists/partial" \
         "$apt/cache/archives/partial" "$apt/debs" || die "cannot populate $apt"
echo "deb $mirror $suite main" > "$apt/sources.list"
: > "$apt/state/status"

# Every directory and list apt would otherwise take from the system is
# pointed into the cache; a private state needs no system lock.
set -- -o Dir::Etc::sourcelist="$apt/sources.list" \
       -o Dir::Etc::sourceparts="$apt/sources.list.d" \
       -o Dir::Etc::preferences="$apt/preferences" \
       -o Dir::Etc::preferencesparts="$apt/preferences.d" \
       -o Dir::State="$apt/state" \
       -o Dir::State::status="$apt/state/status" \
       -o Dir::Cache="$apt/cache" \
       -o Debug::NoLocking=1 \
       -o APT::Sandbox::User=root \
       -o Acquire::Retries=2 \
       -o Acquire::http::Timeout=30 \
       -o quiet=1

echo "nested: updating the private $suite package index in $apt" >&2
timeout 180 apt-get "$@" update > "$apt/update.log" 2>&1 ||
    skip "cannot read the $suite package index from $mirror (offline?): " \
         "$(grep -E '^(E|W):' "$apt/update.log" | head -n 3 | tr '\n' ' ')"
grep -q '^E:' "$apt/update.log" &&
    skip "apt reported errors reading the $suite index: $(grep '^E:' "$apt/update.log" | head -n 2)"

# linux-image-amd64 depends on the current signed image; the -unsigned
# package has the same kernel and modules without the signing wrapper.
kpkg=${LAMINA_NESTED_KERNEL_PKG:-}
if [ -z "$kpkg" ]; then
    dep=$(apt-cache "$@" show --no-all-versions linux-image-amd64 2>/dev/null |
          sed -n 's/^Depends: *\(linux-image-[^ ,]*\).*/\1/p' | head -n 1)
    [ -n "$dep" ] || skip "linux-image-amd64 has no kernel dependency in $suite's index"
    kpkg=$dep-unsigned
fi
kver=${kpkg#linux-image-}
kver=${kver%-unsigned}
if [ "$have_cache" = 1 ] && [ "$KERNEL_TREE" = "$cache/$kpkg" ]; then
    echo "nested: the cached $kpkg is still current" >&2
    exit 0
fi

cd "$apt/debs" || die "cannot enter $apt/debs"
rm -f ./*.deb
echo "nested: downloading $kpkg and busybox-static" >&2
timeout 300 apt-get "$@" download "$kpkg" busybox-static > "$apt/download.log" 2>&1 ||
    skip "cannot download $kpkg and busybox-static: $(grep '^E:' "$apt/download.log" | head -n 2)"

tree=$cache/$kpkg
have_cache=0    # from here on the old cache is being replaced
rm -rf "$tree" "$cache/busybox-static"
dpkg-deb -x ./"$kpkg"_*.deb "$tree" || die "cannot unpack $kpkg"
dpkg-deb -x ./busybox-static_*.deb "$cache/busybox-static" || die "cannot unpack busybox-static"
rm -f ./*.deb

kernel=$tree/boot/vmlinuz-$kver
[ -f "$kernel" ] || die "$kpkg has no boot/vmlinuz-$kver"
grep -q '^CONFIG_KVM_XEN=y' "$tree/boot/config-$kver" ||
    echo "nested: warning: $kpkg lacks CONFIG_KVM_XEN; KVM_CAP_XEN_HVM will be 0" >&2

modules=$cache/kvm-modules-$kver
guest_modules=$cache/guest-modules-$kver
# shellcheck disable=SC2086 # lists of module paths
extract_modules "$tree" "$kver" "$modules" $KVM_MODS
# shellcheck disable=SC2086
extract_modules "$tree" "$kver" "$guest_modules" $GUEST_MODS

cat > "$cache/current.env.new" <<EOF
KVER='$kver'
KERNEL='$kernel'
KVM_MODULES='$modules'
GUEST_MODULES='$guest_modules'
BUSYBOX='$cache/busybox-static/usr/bin/busybox'
KERNEL_TREE='$tree'
EOF
mv "$cache/current.env.new" "$cache/current.env"
for old in "$cache"/linux-image-* "$cache"/kvm-modules-* "$cache"/guest-modules-*; do
    [ "$old" = "$tree" ] || [ "$old" = "$modules" ] || [ "$old" = "$guest_modules" ] ||
        rm -rf "$old"
done
echo "nested: cached $kpkg and busybox-static in $cache" >&2
