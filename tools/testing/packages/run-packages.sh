#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The package test of make check: what a Debian 12 user gets from the
# packages, from nothing.  One PASS/FAIL line per check, names pkg/...;
# exit status 0 only if every check passed.  As root.
#
#   run-packages.sh
#
# 1. make deb, and lintian on everything it built (no error or warning
#    tag; pedantic and info tags are listed in the log).
# 2. A fresh Debian 12 in a chroot (debootstrap --variant=minbase, Debian's
#    archive): the headers of the previous kernel ABI only, then the four
#    packages with apt: DKMS must build both modules for that kernel, the
#    group must exist, and the build must be the production one.  Then the
#    headers of the current ABI, as a kernel update brings them: DKMS must
#    build for it by itself.  Kernels with an iommufd of their own (a .config
#    with CONFIG_IOMMUFD, Linux 6.12): DKMS must skip them, without error.
# 3. libioasid-dev: a program written for upstream iommufd
#    (iommufd_client.c, <linux/iommufd.h>, <linux/vfio.h>, /dev/iommu)
#    compiles in the chroot with the flags of pkg-config alone.
# 4. A VM boots Debian's kernel of the current ABI with the modules DKMS
#    built and what the packages installed (guest-packages.sh): the
#    modules-load.d entry, the real udevd with the package's rule
#    (/dev/iommu, the group on the nodes), modprobe by both names, the two
#    programs as a member of the group without privileges.
# 5. apt purge ioasid-dkms removes every module and the sources.
# 6. Without packages, in the same chroot: make dkms-install from the source
#    package builds for both kernels, make dkms-uninstall removes it all.
#
# The chroot is build/pkgtest/root (removed at the start of the next run);
# its mounts live in a mount namespace of their own and vanish with it.
# Logs: build/logs/pkg-*.log, build/pkgtest/.  PKGTEST_MIRROR overrides
# the Debian mirror (default: the first http(s) archive of apt's sources).
set -uo pipefail
top=$(cd "$(dirname "$0")/../../.." && pwd)
here=$top/tools/testing/packages
out=$top/build/pkgtest
root=$out/root
logs=$top/build/logs
debs=$top/build/deb
kver=$("$top/scripts/kver.sh")
# The packages' version (a native package: the DKMS version too)
ver=$(awk -F'[()]' 'NR == 1 { print $2 }' "$top/debian/changelog")
mkdir -p "$out" "$logs"

failed=0
res() {
	echo "$1 pkg/$2${3:+ $3}"
	[ "$1" = PASS ] || failed=1
}
pass_fail() { if [ "$1" = 0 ]; then res PASS "$2"; else res FAIL "$2" "$3"; fi; }

# The Debian archive apt uses here, for the chroot
mirror() {
	local m
	m=${PKGTEST_MIRROR:-$(grep -hoE 'https?://[^ ]*/debian/?( |$)' \
		/etc/apt/sources.list.d/*.sources /etc/apt/sources.list \
		2>/dev/null | head -n 1 | tr -d ' ')}
	echo "${m:-http://deb.debian.org/debian}"
}

# A command in the chroot; apt never asks and never starts services
in_root() {
	chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 HOME=/root "$@"
}

apt_in_root() {
	in_root apt-get -o Dpkg::Use-Pty=0 -o APT::Install-Recommends=false \
		-y -q "$@"
}

# "installed" lines of dkms status for one kernel
dkms_installed() {
	in_root dkms status -m ioasid -k "$1" 2>/dev/null | grep -c ': installed'
}

# Everything runs in a mount namespace of its own: the chroot's mounts go
# when it ends, whatever way it ends
if [ "${1:-}" != --in-namespace ]; then
	exec unshare --mount --propagation private "$0" --in-namespace
fi

# ---------------------------------------------------------------- 1. build
make -s -C "$top" deb >"$logs/pkg-build.log" 2>&1
pass_fail $? build "see build/logs/pkg-build.log"
mapfile -t pkgs < <(ls "$debs"/ioasid-dkms_*_all.deb "$debs"/libioasid0_*.deb \
	"$debs"/libioasid-dev_*.deb "$debs"/ioasid-tools_*.deb 2>/dev/null)
if [ ${#pkgs[@]} -ne 4 ]; then
	res FAIL packages "make deb left ${#pkgs[@]} of the 4 packages in build/deb"
	exit 1
fi
res PASS packages "$(cd "$debs" && echo ioasid-dkms_*_all.deb libioasid0_*.deb libioasid-dev_*.deb ioasid-tools_*.deb)"

# Lintian reads the .changes: the source package and every .deb.  It warns
# about running as root and nothing else changes when it does.
lintian -I -E --pedantic "$debs"/ioasid_*.changes >"$logs/pkg-lintian.log" 2>&1
lint_rc=$?
tags=$(grep -E '^[EW]: ' "$logs/pkg-lintian.log" | head -n 5 | tr '\n' ' ')
[ $lint_rc -eq 0 ] && [ -z "$tags" ]
pass_fail $? lintian "exit $lint_rc: $tags"

# ---------------------------------------------------------------- 2. chroot
rm -rf "$root"
debootstrap --variant=minbase bookworm "$root" "$(mirror)" \
	>"$logs/pkg-debootstrap.log" 2>&1
pass_fail $? chroot/debootstrap "see build/logs/pkg-debootstrap.log"
[ -x "$root/usr/bin/apt-get" ] || exit 1
# From here on, the chroot is mounted: leave it clean for the next run
trap 'umount -R "$root/dev" "$root/sys" "$root/proc" 2>/dev/null' EXIT
mount -t proc proc "$root/proc"
mount -t sysfs sysfs "$root/sys"
mount --rbind /dev "$root/dev"
# Services must not start in the chroot
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 0755 "$root/usr/sbin/policy-rc.d"
cp /etc/resolv.conf "$root/etc/resolv.conf"
m=$(mirror)
cat >"$root/etc/apt/sources.list" <<EOF
deb $m bookworm main
deb $m bookworm-updates main
deb ${m%/debian*}/debian-security bookworm-security main
EOF

apt_in_root update >"$logs/pkg-apt.log" 2>&1
pass_fail $? chroot/apt-update "see build/logs/pkg-apt.log"

# The kernel ABI before the current one, as a machine that has not been
# updated for a while has it
abi=${kver#6.1.0-}
abi=${abi%%-*}
prev=""
for n in $(seq $((abi - 1)) -1 $((abi - 4))); do
	if in_root apt-cache show "linux-headers-6.1.0-$n-amd64" >/dev/null 2>&1; then
		prev=6.1.0-$n-amd64
		break
	fi
done
[ -n "$prev" ]; pass_fail $? chroot/previous-abi "kernel $kver, previous ${prev:-none in the archive}"
[ -n "$prev" ] || exit 1


apt_in_root install "linux-headers-$prev" >>"$logs/pkg-apt.log" 2>&1
pass_fail $? chroot/headers-previous "linux-headers-$prev"

# The packages, as the README says: apt install ./...
mkdir -p "$root/tmp/debs"
cp "${pkgs[@]}" "$root/tmp/debs/"
apt_in_root install "${pkgs[@]/#*\//\/tmp\/debs\/}" >"$logs/pkg-install.log" 2>&1
pass_fail $? install "see build/logs/pkg-install.log"

n=$(dkms_installed "$prev")
[ "$n" = 1 ] && [ -f "$root/lib/modules/$prev/updates/dkms/ioasid-core.ko" ] &&
	[ -f "$root/lib/modules/$prev/updates/dkms/vfio-ioasid-pci.ko" ]
pass_fail $? dkms/built-on-install "$prev: $(in_root dkms status -m ioasid 2>&1 | tr '\n' ' ')"

getent_out=$(in_root getent group ioasid)
[ -n "$getent_out" ]; pass_fail $? group "${getent_out:-no group ioasid}"

parms=$(in_root /sbin/modinfo -F parm "/lib/modules/$prev/updates/dkms/ioasid-core.ko" 2>&1 | cut -d: -f1 | tr '\n' ' ')
[ "$parms" = "allow_unsafe_interrupts " ]
pass_fail $? dkms/production-build "parameters: $parms"
syms=$(nm "$root/lib/modules/$prev/updates/dkms/ioasid-core.ko" 2>&1 | grep -cE 'ioasid_should_fail|mock_|selftest')
[ "$syms" = 0 ]; pass_fail $? dkms/no-test-symbols "$syms test symbols"

# A kernel update: new headers, and DKMS builds without being asked
apt_in_root install "linux-headers-$kver" >>"$logs/pkg-apt.log" 2>&1
pass_fail $? chroot/headers-current "linux-headers-$kver"
n=$(dkms_installed "$kver")
[ "$n" = 1 ] && [ -f "$root/lib/modules/$kver/updates/dkms/ioasid-core.ko" ]
pass_fail $? dkms/built-on-kernel-update "$kver: $(in_root dkms status -m ioasid 2>&1 | tr '\n' ' ')"

# On a machine that runs one of its kernels, DKMS builds at install time
# only for the running and the newest kernel; the package's postinst
# builds for the others with dkms-build-all.  Here every kernel got built
# (the chroot's host runs none of them), so take one build away and let
# the script put it back, leaving the other alone.
in_root dkms remove -m ioasid -v "$ver" -k "$prev" >"$logs/pkg-build-all.log" 2>&1
in_root /usr/libexec/ioasid-dkms/dkms-build-all "$ver" >>"$logs/pkg-build-all.log" 2>&1
rc=$?
[ $rc -eq 0 ] && [ "$(dkms_installed "$prev")" = 1 ] && [ "$(dkms_installed "$kver")" = 1 ] &&
	[ "$(grep -c 'built and installed' "$logs/pkg-build-all.log")" = 1 ]
pass_fail $? dkms/build-all-kernels "exit $rc: $(grep '^ioasid:' "$logs/pkg-build-all.log" | tr '\n' ' ')"

# Kernels ioasid is not for, as DKMS meets them when their headers are
# installed (the header_postinst.d hook, which must succeed or apt fails):
# a 6.1 release with iommufd in its .config, and Linux 6.12
# (bookworm-backports).  Header trees with just a .config are enough:
# dkms.conf must turn them down before a build would find them empty.
for k in 6.1.0-99-iommufd 6.12.0-99-amd64; do
	mkdir -p "$root/lib/modules/$k/build/include"
	printf 'CONFIG_IOMMU_API=y\nCONFIG_VFIO_PCI_CORE=m\n%s\n' \
		"$( [ "$k" = 6.12.0-99-amd64 ] || echo CONFIG_IOMMUFD=m)" \
		>"$root/lib/modules/$k/build/.config"
	in_root /etc/kernel/header_postinst.d/dkms "$k" >"$logs/pkg-exclusive-$k.log" 2>&1
	rc=$?
	n=$(dkms_installed "$k")
	[ $rc -eq 0 ] && [ "$n" = 0 ] && [ ! -e "$root/lib/modules/$k/updates" ]
	pass_fail $? "dkms/skips-$k" "hook exit $rc, $n builds: $(tail -n 2 "$logs/pkg-exclusive-$k.log" | tr '\n' ' ')"
	rm -rf "${root:?}/lib/modules/$k"
done

# The files that make it all work after a reboot
for f in /lib/udev/rules.d/60-ioasid.rules /lib/modules-load.d/ioasid.conf \
	 /lib/modprobe.d/ioasid.conf; do
	[ -f "$root$f" ]; pass_fail $? "files${f//\//-}" "$f"
done

# ---------------------------------------------------------------- 3. -dev
apt_in_root install gcc pkgconf udev systemd >>"$logs/pkg-apt.log" 2>&1
pass_fail $? chroot/tools "gcc pkgconf udev systemd"
cp "$here/iommufd_client.c" "$root/tmp/"
# shellcheck disable=SC2016 # pkg-config runs in the chroot's shell
in_root sh -c 'cd /tmp && gcc -O2 -Wall -Wextra -Werror \
	$(pkg-config --cflags libioasid) -o iommufd_client iommufd_client.c \
	$(pkg-config --libs libioasid)' >"$logs/pkg-dev.log" 2>&1
pass_fail $? dev/upstream-program-compiles "see build/logs/pkg-dev.log"

# ---------------------------------------------------------------- 4. VM
# The kernel's modules the companion needs and those DKMS built, with
# depmod's files, as a tree under /lib/modules/<release>
stage=$out/stage
rm -rf "$stage"
mkdir -p "$stage/lib/modules/$kver/updates/dkms"
cp "$root/lib/modules/$kver/updates/dkms/"*.ko "$stage/lib/modules/$kver/updates/dkms/"
for f in modules.order modules.builtin modules.builtin.modinfo; do
	cp "/lib/modules/$kver/$f" "$stage/lib/modules/$kver/"
done
add_kmod() {
	local path dep rel
	path=$(modinfo -k "$kver" -n "$1") || return 1
	rel=${path#/lib/modules/"$kver"/}
	[ -e "$stage/lib/modules/$kver/$rel" ] && return 0
	mkdir -p "$(dirname "$stage/lib/modules/$kver/$rel")"
	cp "$path" "$stage/lib/modules/$kver/$rel"
	for dep in $(modinfo -k "$kver" -F depends "$1" | tr ',' ' '); do
		add_kmod "$dep"
	done
}
add_kmod vfio-pci-core
depmod -b "$stage" "$kver"

adds=()
while IFS= read -r f; do
	adds+=(--add "$stage/${f#./}:/${f#./}")
done < <(cd "$stage" && find . -type f)

# Binaries from the chroot with the libraries its loader resolves
declare -A seen=()
add_root() {
	[ -n "${seen[$1]:-}" ] && return 0
	seen[$1]=1
	adds+=(--add "$root$1:$1")
}
add_elf() {
	local line lib
	add_root "$1"
	while read -r line; do
		case "$line" in
		*"=> /"*) lib=${line#*=> }; lib=${lib%% (*} ;;
		/*) lib=${line%% (*} ;;
		*) continue ;;
		esac
		add_root "$lib"
	done < <(in_root ldd "$1")
}
for b in /usr/bin/kmod /bin/udevadm /lib/systemd/systemd-modules-load \
	 /usr/bin/ioasid-edu-demo; do
	add_elf "$b"
done
# systemd-udevd is udevadm under another name
adds+=(--add "$root/bin/udevadm:/lib/systemd/systemd-udevd")
add_elf /tmp/iommufd_client
adds+=(--add "$root/tmp/iommufd_client:/root/iommufd_client")
for f in /etc/group /etc/passwd /lib/udev/rules.d/60-ioasid.rules \
	 /lib/modules-load.d/ioasid.conf /lib/modprobe.d/ioasid.conf; do
	add_root "$f"
done
gcc -static -O2 -Wall -Wextra -Werror -o "$out/runas" \
	"$top/tools/testing/qemu/runas.c" >"$logs/pkg-runas.log" 2>&1
adds+=(--add "$out/runas:/root/runas")

vm=$out/vm
"$top/tools/testing/vm/vm.sh" --iommu intel-ir --out "$vm" --timeout 600 \
	--script "$here/guest-packages.sh" --qemu "-device edu" "${adds[@]}" \
	>"$logs/pkg-vm.log" 2>&1
vm_rc=$?
awk -v prefix=pkg/vm -f "$top/tools/testing/vm/parse-results.awk" \
	"$vm/results.log" >"$out/vm-summary.txt"
cat "$out/vm-summary.txt"
grep -qv '^PASS ' "$out/vm-summary.txt" && failed=1
[ $vm_rc -eq 124 ] && res FAIL vm/timeout
[ $vm_rc -eq 0 ] || res FAIL vm/exit "exit $vm_rc, see build/pkgtest/vm/console.log"

# ---------------------------------------------------------------- 5. purge
# Removing the package removes every module DKMS built and the sources
installed_kos() {
	find "$root/lib/modules" -path '*/updates/dkms/*ioasid*.ko' 2>/dev/null | wc -l
}
apt_in_root purge ioasid-dkms >"$logs/pkg-purge.log" 2>&1
rc=$?
n=$(installed_kos)
[ $rc -eq 0 ] && [ "$n" = 0 ] && [ -z "$(in_root dkms status -m ioasid 2>&1)" ] &&
	! ls -d "$root"/usr/src/ioasid-* >/dev/null 2>&1
pass_fail $? purge "apt exit $rc, $n modules left: $(in_root dkms status -m ioasid 2>&1 | tr '\n' ' ')"

# ---------------------------------------------------------------- 6. no packages
# make dkms-install from the source package make deb built, in the same
# Debian 12: both kernels get the modules; make dkms-uninstall takes them
rm -rf "$root/tmp/src"
mkdir -p "$root/tmp/src"
tar -C "$root/tmp/src" -xf "$debs/ioasid_$ver.tar.xz"
in_root make -C "/tmp/src/ioasid-$ver" dkms-install >"$logs/pkg-dkms-install.log" 2>&1
rc=$?
[ $rc -eq 0 ] && [ "$(dkms_installed "$prev")" = 1 ] && [ "$(dkms_installed "$kver")" = 1 ]
pass_fail $? make-dkms-install "exit $rc: $(in_root dkms status -m ioasid 2>&1 | tr '\n' ' ')"
in_root make -C "/tmp/src/ioasid-$ver" dkms-uninstall >>"$logs/pkg-dkms-install.log" 2>&1
rc=$?
n=$(installed_kos)
[ $rc -eq 0 ] && [ "$n" = 0 ] && [ ! -e "$root/usr/src/ioasid-$ver" ]
pass_fail $? make-dkms-uninstall "exit $rc, $n modules left"
exit "$failed"
