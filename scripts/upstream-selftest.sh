#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Fetch upstream Linux's iommufd selftests from Debian's kernel source and
# build them, to run against /dev/ioasid in the test VM (make check) and on
# the debug kernel (make check-debug).  Nothing of upstream's is ever kept
# in this tree: the files are fetched at test time and cached outside it.
# See Documentation/dev-tools/upstream-selftest.rst.
#
#   upstream-selftest.sh     fetch (or reuse the cache) and build
#
# Environment:
#   UPSTREAM_CACHE_DIR=dir   cache the extracted files there, used as given
#   UPSTREAM_OUT=dir         where the binaries go (default build/upstream)
#
# The source is Debian's linux 6.12.57-1~bpo12+1 from bookworm-backports,
# exactly that version: its selftests build against its own uAPI headers,
# while those of the newest Debian 6.12 releases use symbols their headers
# do not define.  Only the upstream orig tarball is used (Debian's patches
# do not touch these files), and its SHA-256 is checked.
#
# By default the cache is ${XDG_CACHE_HOME:-~/.cache}/ioasid-upstream/
# linux-<upstream version>, shared by the checkouts of one user and kept by
# make clean.  Layout:
#   src/         the few files the tests need, at their paths in the
#                kernel tree (tools/testing/selftests/iommu/..., the
#                kselftest harness, drivers/iommu/iommufd/iommufd_test.h,
#                include/uapi/linux/{iommufd,vfio}.h)
#   usr/include/ those uAPI headers prepared for user space, as the
#                kernel's headers_install does (no __user annotations)
#   key          what the cache was made from (version, checksum, file
#                list, layout); fetch-time.txt how long
#
# Needs root the first time on a machine when apt knows no source of that
# version: it then adds deb-src entries for the Debian archives apt already
# uses (as scripts/qemu-build.sh does) and, if bookworm-backports is still
# missing, one for it; then apt-get update.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
# The Debian source package and what it unpacks from
deb_version=6.12.57-1~bpo12+1
up_version=6.12.57
orig=linux_$up_version.orig.tar.xz
orig_sha256=9b5e1773ad8aec2895bc35564850f82c2acc71b24bc1743333f8f5c29c851b99
backports=bookworm-backports
# The layout fetch() leaves in the cache
cache_format=1
# What the tests are built from, relative to the top of the kernel tree
files=(
	tools/testing/selftests/iommu/iommufd.c
	tools/testing/selftests/iommu/iommufd_fail_nth.c
	tools/testing/selftests/iommu/iommufd_utils.h
	tools/testing/selftests/kselftest_harness.h
	tools/testing/selftests/kselftest.h
	drivers/iommu/iommufd/iommufd_test.h
	include/uapi/linux/iommufd.h
	include/uapi/linux/vfio.h
)
uapi=(iommufd vfio)
tests=(iommufd iommufd_fail_nth)

# log, die, cache_open, apt_download_dir, apt_add_deb_src,
# apt_add_backports_src
# shellcheck source=scripts/fetch-lib.sh
. "$top/scripts/fetch-lib.sh"

# Does apt know the source package version we want?
src_known() {
	{ apt-cache showsrc linux 2>/dev/null || true; } |
		grep -qx "Version: $deb_version"
}

# Make sure apt can fetch the source of linux $deb_version
apt_sources() {
	src_known && return 0
	[ "$(id -u)" -eq 0 ] ||
		die "apt knows no source of linux $deb_version; run once as root to add deb-src entries for $backports"
	log "adding deb-src entries; apt-get update"
	apt_add_deb_src
	apt-get update -qq
	src_known && return 0
	log "adding a deb-src entry for $backports; apt-get update"
	apt_add_backports_src "$backports"
	apt-get update -qq
	src_known || die "apt knows no source of linux $deb_version even with $backports; has Debian removed it from the archive?"
}

cache_valid() {
	local f

	[ "$(cat "$cache/key" 2>/dev/null)" = "$key" ] || return 1
	for f in "${files[@]}"; do
		[ -s "$cache/src/$f" ] || return 1
	done
}

fetch() {
	local start secs h

	rm -f "$cache/key"
	rm -rf "${cache:?}/src" "${cache:?}/usr" "${cache:?}/get"
	apt_download_dir "$cache/get"
	start=$(date +%s)
	apt_sources
	log "apt-get source --download-only linux=$deb_version (150 MB)"
	(cd "$cache/get" && apt-get source -q --download-only "linux=$deb_version") \
		>"$cache/fetch.log" 2>&1 ||
		{ tail -n 20 "$cache/fetch.log" >&2; die "apt-get source failed; see $cache/fetch.log"; }
	[ -s "$cache/get/$orig" ] || die "apt-get source gave no $orig; see $cache/fetch.log"
	echo "$orig_sha256  $cache/get/$orig" | sha256sum -c --quiet - ||
		die "$orig does not have the SHA-256 this script expects"

	log "extracting ${#files[@]} files"
	mkdir -p "$cache/src"
	tar -xJf "$cache/get/$orig" -C "$cache/src" --strip-components=1 \
		"${files[@]/#/linux-$up_version/}" ||
		die "$orig lacks some of: ${files[*]}"
	rm -rf "$cache/get"

	# What headers_install does to these two: drop the __user sparse
	# annotation, which means nothing to a user space compiler
	mkdir -p "$cache/usr/include/linux"
	for h in "${uapi[@]}"; do
		sed -E 's/([[:space:](])__user([[:space:]])/\1\2/g' \
			"$cache/src/include/uapi/linux/$h.h" \
			>"$cache/usr/include/linux/$h.h"
		! grep -qw '__user\|__KERNEL__' "$cache/usr/include/linux/$h.h" ||
			die "$h.h has kernel-only parts this script does not strip"
	done
	secs=$(( $(date +%s) - start ))
	printf 'fetched linux %s and extracted %d files in %ds, %s\n' \
		"$deb_version" "${#files[@]}" "$secs" \
		"$(date -u +%Y-%m-%dT%H:%MZ)" >"$cache/fetch-time.txt"
	# Written last: the cache is valid only once everything above is done
	echo "$key" >"$cache/key"
}

# Static binaries (the VM's initramfs has no libc), built as upstream's
# Makefile does, against the cached uAPI headers only.  Our one addition,
# tools/testing/upstream/time_scale.c, stretches the harness's per-case
# timeouts by IOASID_TIME_SCALE (the debug kernel's VMs are slow).
build() {
	# shellcheck disable=SC2054 # -Wl,--wrap=alarm is one word
	local t cflags=(-Wall -O2 -Wno-unused-function -D_GNU_SOURCE
		-isystem "$cache/usr/include" -static -Wl,--wrap=alarm)

	mkdir -p "$out"
	for t in "${tests[@]}"; do
		gcc "${cflags[@]}" -o "$out/$t.new" \
			"$cache/src/tools/testing/selftests/iommu/$t.c" \
			"$top/tools/testing/upstream/time_scale.c" \
			>"$out/$t.build.log" 2>&1 ||
			{ cat "$out/$t.build.log" >&2; die "$t does not build; see $out/$t.build.log"; }
		mv "$out/$t.new" "$out/$t"
	done
	echo "$deb_version" >"$out/version"
	log "built ${tests[*]} of linux $deb_version in $out"
}

main() {
	[ $# -eq 0 ] || { echo "usage: upstream-selftest.sh" >&2; exit 2; }

	# What the cache holds depends on these alone, not on the rest of this
	# script (the build is redone every time): editing it refetches
	# nothing.  Bump cache_format when fetch() changes what it leaves.
	key=$( {
		echo "linux $deb_version $orig $orig_sha256 format $cache_format"
		printf '%s\n' "${files[@]}" "${uapi[@]}"
	} | sha256sum | cut -d' ' -f1)
	out=${UPSTREAM_OUT:-$top/build/upstream}
	# A failed run must not leave an older build to be run in its place
	rm -f "${tests[@]/#/$out/}"
	cache_open "${UPSTREAM_CACHE_DIR:-}" \
		"${XDG_CACHE_HOME:-$HOME/.cache}/ioasid-upstream/linux-$up_version"

	if cache_valid; then
		log "cached: $(cat "$cache/fetch-time.txt" 2>/dev/null || echo "$cache")"
	else
		fetch
	fi
	build
}

main "$@"; exit $?
