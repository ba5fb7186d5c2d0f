#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Build and cache Debian 12's QEMU 7.2 (qemu-system-x86_64 only) with the
# iommufd backend of tools/qemu/patches, for the nested VM test and for
# assigning devices through /dev/ioasid.  See tools/qemu/README.rst.
#
#   qemu-build.sh        build QEMU, or reuse the cached build
#
# Environment: QEMU_BUILD_DIR=dir caches the build there, used as given.
#
# By default build/qemu is a symlink to the cache directory
# ${XDG_CACHE_HOME:-~/.cache}/ioasid-qemu/<key>, where <key> hashes the
# patches (in order), this script, the Debian source version of qemu and
# the compiler: a second run with the same inputs does nothing.  The cache
# survives make clean, which removes only the link, and is shared by the
# checkouts of one user.
#
# Cache layout (DIR):
#   src/         the Debian source, Debian's patches applied (dpkg-source),
#                then ours
#   build/       the meson build tree: build/qemu-system-x86_64
#   env          shell assignments for the harness: QEMU_BIN,
#                QEMU_FIRMWARE_PATH (':'-separated directories, compiled in
#                as --firmwarepath; give each to -L elsewhere),
#                QEMU_DEB_VERSION, QEMU_SRC
#                The binary runs from build/: it finds those directories
#                through links in build/qemu-bundle
#   key          what the cache was built from; build-time.txt how long
#
# Needs root the first time on a machine: it adds a deb-src entry for the
# Debian archives apt already uses, and installs the build dependencies.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
patchdir=$top/tools/qemu/patches
# The QEMU release the patches are for: Debian 12's
qemu_series=7.2
# Where Debian's qemu-system-data, seabios and ipxe-qemu put firmware
fwpath=/usr/share/qemu:/usr/share/seabios:/usr/lib/ipxe/qemu

# log, die, cache_open, apt_add_deb_src
# shellcheck source=scripts/fetch-lib.sh
. "$top/scripts/fetch-lib.sh"

cache_valid() {
	[ "$(cat "$cache/key" 2>/dev/null)" = "$key" ] &&
		[ -s "$cache/env" ] && [ -x "$cache/build/qemu-system-x86_64" ]
}

# A deb-src twin of every Debian "deb" source apt already has
# (apt_add_deb_src: ioasid-deb-src.sources, ioasid-deb-src.list), then
# apt-get update
add_deb_src() {
	[ "$(id -u)" -eq 0 ] || die "no deb-src entry for qemu; run once as root"
	apt_add_deb_src
	log "added deb-src entries; apt-get update"
	apt-get update -qq
}

install_deps() {
	local need_pkgs missing p

	# dpkg-dev unpacks the source package (dpkg-source); the rest is what
	# a minimal qemu-system-x86_64 build needs, and the firmware it loads
	need_pkgs=(dpkg-dev patch gcc make pkg-config ninja-build meson
		python3-venv flex bison libglib2.0-dev libpixman-1-dev
		libfdt-dev zlib1g-dev seabios qemu-system-data)
	missing=()
	for p in "${need_pkgs[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q 'install ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	[ "$(id -u)" -eq 0 ] ||
		die "missing packages: ${missing[*]}; install them as root"
	log "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# The newest Debian 12 qemu 7.2 source package apt knows (the patches are
# for 7.2; with bookworm-backports in deb-src apt also lists 10.x, whose
# source is not what they apply to).  Empty, not an error, when apt knows
# no qemu source at all (no deb-src entry yet).
src_version() {
	{ apt-cache showsrc qemu 2>/dev/null || true; } |
		sed -n 's/^Version: //p' |
		awk -v s="1:${qemu_series}+" 'index($0, s) == 1' |
		sort -V | tail -n 1 || true
}

build_qemu() {
	local start secs p tmp

	rm -f "$cache/key" "$cache/env"
	rm -rf "$cache/src" "$cache/build" "$cache/get"

	log "apt-get source qemu=$srcver"
	mkdir -p "$cache/get"
	(cd "$cache/get" && apt-get source -q "qemu=$srcver") \
		>"$cache/source.log" 2>&1 ||
		{ tail -n 20 "$cache/source.log" >&2; die "apt-get source failed"; }
	tmp=$(find "$cache/get" -mindepth 1 -maxdepth 1 -type d -name 'qemu-*')
	if [ -z "$tmp" ] || [ ! -x "$tmp/configure" ]; then
		die "no source tree from apt-get source; see $cache/source.log"
	fi
	mv "$tmp" "$cache/src"
	rm -rf "$cache/get"

	for p in "${patches[@]}"; do
		log "applying ${p#"$top"/}"
		patch -d "$cache/src" -p1 --batch --forward --quiet <"$p" ||
			die "${p##*/} does not apply to qemu $srcver"
	done

	log "configuring (x86_64-softmmu, TCG and KVM, no default features)"
	mkdir -p "$cache/build"
	(cd "$cache/build" && "$cache/src/configure" \
		--target-list=x86_64-softmmu --without-default-features \
		--enable-tcg --enable-kvm --enable-fdt=system --disable-docs \
		--firmwarepath="$fwpath") >"$cache/configure.log" 2>&1 ||
		{ tail -n 30 "$cache/configure.log" >&2; die "configure failed; see $cache/configure.log"; }

	log "building with ninja on $(nproc) CPUs; log in $cache/build.log"
	start=$(date +%s)
	ninja -C "$cache/build" qemu-system-x86_64 >"$cache/build.log" 2>&1 ||
		{ tail -n 30 "$cache/build.log" >&2; die "build failed; see $cache/build.log"; }
	secs=$(( $(date +%s) - start ))

	link_firmware
	verify_binary "$cache/build/qemu-system-x86_64"

	printf 'built qemu %s + %d patches in %dm%02ds (%ss) on %s CPUs, %s\n' \
		"$srcver" "${#patches[@]}" $((secs / 60)) $((secs % 60)) "$secs" \
		"$(nproc)" "$(date -u +%Y-%m-%dT%H:%MZ)" |
		tee "$cache/build-time.txt" | sed 's/^/qemu-build: /'

	cat >"$cache/env" <<-EOF
	QEMU_BIN=$cache/build/qemu-system-x86_64
	QEMU_FIRMWARE_PATH=$fwpath
	QEMU_DEB_VERSION=$srcver
	QEMU_SRC=$cache/src
	EOF
	# Written last: the cache is valid only once everything above is done
	echo "$key" >"$cache/key"
}

# A binary run from its build tree finds data and firmware below
# build/qemu-bundle, at the paths it would have once installed; Debian's
# source has no firmware of its own, so point those at Debian's packages.
link_firmware() {
	local d bundle=$cache/build/qemu-bundle

	for d in ${fwpath//:/ }; do
		[ -e "$bundle$d" ] && continue
		mkdir -p "$(dirname "$bundle$d")"
		ln -s "$d" "$bundle$d"
	done
}

# What the harness relies on: the devices, the backend object and its
# property on vfio-pci.  Warnings in the files the patches add fail too.
verify_binary() {
	local q=$1 w

	"$q" -device help 2>&1 | grep -q '^name "vfio-pci"' ||
		die "$q has no vfio-pci device"
	"$q" -device help 2>&1 | grep -q '^name "edu"' ||
		die "$q has no edu device"
	"$q" -object iommufd,help >/dev/null 2>&1 ||
		die "$q has no iommufd object"
	"$q" -device vfio-pci,help 2>&1 | grep -q 'iommufd=<link<iommufd>>' ||
		die "$q: vfio-pci has no iommufd property"
	# It finds its firmware: a stopped PC starts and quits
	echo quit | "$q" -nodefaults -display none -monitor stdio -S \
		>"$cache/firmware-check.log" 2>&1 ||
		die "$q does not start; see $cache/firmware-check.log"
	w=$(grep -E '(backends|hw/vfio)/iommufd\.c.*warning:' "$cache/build.log" || true)
	[ -z "$w" ] || die "compiler warnings in the iommufd code: $w"
}

# Everything runs from main, and the last line exits: bash reads a script
# as it goes, and a build is long enough for someone to edit this file.
main() {
	[ $# -eq 0 ] || { echo "usage: qemu-build.sh" >&2; exit 2; }
	[ "$(uname -m)" = x86_64 ] || die "only x86_64 hosts are supported"

	patches=("$patchdir"/*.patch)
	[ -e "${patches[0]}" ] || die "no patches in $patchdir"

	srcver=$(src_version)
	if [ -z "$srcver" ]; then
		add_deb_src
		srcver=$(src_version)
		[ -n "$srcver" ] ||
			die "apt knows no qemu $qemu_series source package (Debian 12's)"
	fi

	key=$( {
		echo "qemu $srcver"
		gcc --version 2>/dev/null | head -n 1
		sha256sum <"$0"
		cat "${patches[@]}" | sha256sum
		printf '%s\n' "${patches[@]##*/}"
	} | sha256sum | cut -d' ' -f1)

	cache_open "${QEMU_BUILD_DIR:-}" \
		"${XDG_CACHE_HOME:-$HOME/.cache}/ioasid-qemu/${key:0:16}" \
		"$top/build/qemu"

	if cache_valid; then
		log "cached: $(cat "$cache/build-time.txt" 2>/dev/null || echo "$cache")"
	else
		install_deps
		build_qemu
	fi
	log "binary $cache/build/qemu-system-x86_64, env $cache/env"
}

main "$@"; exit $?
