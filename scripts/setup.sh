#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Install what building and testing ioasid needs, from Debian's repositories.
# Idempotent and quick when everything is there.  Needs root to install.
set -euo pipefail

pkgs=(
	gcc make libc6-dev perl
	kmod cpio gzip xz-utils
	linux-headers-amd64	# the headers the modules build against
	linux-image-amd64	# the matching kernel booted in the test VM
	linux-source-6.1	# checkpatch.pl and kselftest_harness.h
	qemu-system-x86
	busybox-static
	libcmocka-dev
	libnl-3-dev libnl-genl-3-dev	# ioasidctl (static in the VM, shared in the packages)
	sparse
	shellcheck		# make lint
	# make deb and the package test of make check (a Debian 12 chroot)
	debhelper dh-dkms dpkg-dev fakeroot lintian debootstrap
)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done

if [ ${#missing[@]} -ne 0 ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "setup.sh: missing packages: ${missing[*]}; run as root" >&2
		exit 1
	fi
	echo "setup.sh: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# linux-headers-amd64 and linux-image-amd64 come from one source version, so
# the headers and /boot/vmlinuz of scripts/kver.sh always match.
kver=$("$(dirname "$0")/kver.sh")
for f in "/boot/vmlinuz-$kver" "/lib/modules/$kver/build/Makefile"; do
	if [ ! -e "$f" ]; then
		echo "setup.sh: $f is missing; reinstall linux-image-amd64 and linux-headers-amd64" >&2
		exit 1
	fi
done
# The kernel image is root-only on Debian; QEMU runs as whoever runs make
