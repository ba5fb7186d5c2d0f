#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Fetch and cache Debian's stock QEMU from bookworm-backports (10.x, which
# has upstream's iommufd backend) for the nested VM test, without installing
# it: the host keeps Debian 12's QEMU 7.2, which the VM tests themselves run.
# See tools/qemu/README.rst.
#
#   qemu-stock.sh        fetch and unpack QEMU, or reuse the cached copy
#
# Environment:
#   QEMU_STOCK_DIR=dir   cache it there, used as given
#   QEMU_STOCK_SUITE     the suite to take QEMU from (bookworm-backports)
#
# By default build/qemu-stock is a symlink to the cache directory
# ${XDG_CACHE_HOME:-~/.cache}/ioasid-qemu-stock/<version> (the Debian
# version without its epoch).  A second run with the same packages and this
# same script only checks the host's libraries and prints where it is.
#
# Cache layout (DIR):
#   debs/        the packages, from apt-get download
#   root/        each of them unpacked with dpkg -x: root/usr/bin/...
#   env          shell assignments for the harness: QEMU_BIN,
#                QEMU_FIRMWARE_PATH (':'-separated directories; give each to
#                -L), QEMU_MODULE_DIR (export it: the binary would load
#                the host's 7.2 modules otherwise), QEMU_DEB_VERSION,
#                QEMU_PACKAGES (what was unpacked, name=version)
#   key          what the cache was made from; fetch-time.txt how long
#
# The binary runs with Debian 12's own libraries.  Needs root the first
# time on a machine when apt has no bookworm-backports entry (it adds one,
# /etc/apt/sources.list.d/ioasid-backports.sources, and pins nothing to
# it), or when a library the packages depend on is not installed (it
# installs it from Debian 12).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
suite=${QEMU_STOCK_SUITE:-bookworm-backports}
codename=${suite%-backports}
# Unpacked at QEMU's version: the emulator, its modules and helpers, its
# firmware and data
qemu_pkgs=(qemu-system-x86 qemu-system-common qemu-system-data)
# Unpacked at the suite's version if it has one (QEMU 10 needs a newer
# SeaBIOS than Debian 12's)
fw_pkgs=(seabios)

# log, die, cache_open, apt_download_dir, apt_add_backports
# shellcheck source=scripts/fetch-lib.sh
. "$top/scripts/fetch-lib.sh"

# The newest version of binary package $1 that apt knows in $suite (not
# the source packages madison lists too, which a deb-src entry may know
# without a deb entry); empty, not an error, when it knows none
suite_version() {
	{ apt-cache madison "$1" 2>/dev/null || true; } |
		awk -F'|' -v s=" $suite/" 'index($3, s) && $3 ~ / Packages *$/ {
			gsub(/ /, "", $2); print $2 }' |
		sort -V | tail -n 1 || true
}

# Does apt have a "deb" entry for $suite (any source format), downloaded
# or not?
suite_configured() {
	# shellcheck disable=SC2016 # $(...) is apt's format syntax, not the shell's
	{ apt-get indextargets --no-release-info \
		--format '$(TARGET_OF) $(RELEASE)' 2>/dev/null || true; } |
		grep -qx "deb $suite"
}

# A "deb" entry for $suite in a file of our own, a twin of the Debian
# archive's entry for $codename that apt already has (apt_add_backports:
# same URIs, components and key).  Nothing is pinned: apt ranks backports
# below Debian 12, so nothing is installed from there unless asked for.
add_suite() {
	[ "$(id -u)" -eq 0 ] ||
		die "apt has no $suite entry; run once as root to add $apt_etc/sources.list.d/ioasid-backports.sources"
	apt_add_backports "$suite"
}

apt_update() {
	[ "$(id -u)" -eq 0 ] ||
		die "apt knows no qemu-system-x86 in $suite; run apt-get update as root"
	log "apt-get update"
	apt-get update -qq
}

cache_valid() {
	[ "$(cat "$cache/key" 2>/dev/null)" = "$key" ] &&
		[ -s "$cache/env" ] && [ -x "$cache/root/usr/bin/qemu-system-x86_64" ]
}

# name=version of every package to unpack, one a line
package_list() {
	local p v

	for p in "${qemu_pkgs[@]}"; do
		echo "$p=$version"
	done
	for p in "${fw_pkgs[@]}"; do
		v=$(suite_version "$p")
		if [ -z "$v" ]; then
			v=$({ apt-cache policy "$p" 2>/dev/null || true; } |
				sed -n 's/^ *Candidate: //p')
		fi
		if [ -z "$v" ] || [ "$v" = "(none)" ]; then
			die "apt knows no $p"
		fi
		echo "$p=$v"
	done
}

fetch() {
	local start ms deb

	rm -f "$cache/key" "$cache/env"
	rm -rf "$cache/debs" "$cache/root"
	apt_download_dir "$cache/debs"
	start=$(date +%s%N)
	log "apt-get download ${packages[*]}"
	(cd "$cache/debs" && apt-get download -q "${packages[@]}") \
		>"$cache/download.log" 2>&1 ||
		{ tail -n 20 "$cache/download.log" >&2; die "apt-get download failed; see $cache/download.log"; }
	mkdir -p "$cache/root"
	for deb in "$cache"/debs/*.deb; do
		dpkg -x "$deb" "$cache/root"
	done
	ms=$(( ($(date +%s%N) - start) / 1000000 ))
	printf 'fetched and unpacked %s in %d.%01ds, %s\n' "${packages[*]}" \
		$((ms / 1000)) $((ms % 1000 / 100)) \
		"$(date -u +%Y-%m-%dT%H:%MZ)" >"$cache/fetch-time.txt"
	log "$(cat "$cache/fetch-time.txt")"
}

# Is the dependency $1 ("name", "name (op version)" or "a | b") met by
# what is unpacked or installed?
dep_met() {
	local alt name op want have re='\(([<>=]+) *([^)]+)\)'

	while read -r alt; do
		name=${alt%% *}
		name=${name%:any}
		op="" want=""
		if [[ $alt =~ $re ]]; then
			op=${BASH_REMATCH[1]}
			want=${BASH_REMATCH[2]}
		fi
		have=${unpacked[$name]:-}
		if [ -z "$have" ] &&
		   dpkg-query -W -f='${Status}' "$name" 2>/dev/null |
			grep -q 'install ok installed'; then
			have=$(dpkg-query -W -f='${Version}' "$name")
		fi
		[ -n "$have" ] || continue
		[ -z "$op" ] && return 0
		dpkg --compare-versions "$have" "$op" "$want" && return 0
	done < <(echo "$1" | tr '|' '\n' | sed 's/^ *//; s/ *$//')
	return 1
}

# The unpacked packages' dependencies that the host does not meet, one a
# line: what the host has to install
unmet_deps() {
	local deb dep f

	for deb in "$cache"/debs/*.deb; do
		for f in Pre-Depends Depends; do
			dpkg-deb -f "$deb" "$f" | tr ',\n' '\n ' |
				sed 's/^ *//; s/ *$//' | grep . || true
		done
	done | sort -u | while read -r dep; do
		dep_met "$dep" || echo "$dep"
	done
}

# Install from Debian 12 what the unpacked binaries need and the host
# lacks: the libraries the emulator and its modules link against
install_deps() {
	local unmet names deb

	declare -gA unpacked=()
	for deb in "$cache"/debs/*.deb; do
		unpacked[$(dpkg-deb -f "$deb" Package)]=$(dpkg-deb -f "$deb" Version)
	done
	unmet=$(unmet_deps)
	[ -z "$unmet" ] && return 0
	# The first alternative of each
	names=$(echo "$unmet" | sed 's/ *|.*//; s/ *(.*//; s/:any$//' | sort -u | tr '\n' ' ')
	[ "$(id -u)" -eq 0 ] ||
		die "the host lacks what QEMU $version needs: $(echo "$unmet" | tr '\n' ',' | sed 's/,$//'); run as root to install ${names}from Debian $codename"
	log "installing from Debian $codename: $names"
	export DEBIAN_FRONTEND=noninteractive
	# shellcheck disable=SC2086 # one package name per word
	apt-get install -y -qq --no-install-recommends $names >"$cache/install.log" 2>&1 ||
		{ tail -n 20 "$cache/install.log" >&2; die "apt-get install failed; see $cache/install.log"; }
	unmet=$(unmet_deps)
	[ -z "$unmet" ] ||
		die "Debian $codename does not meet QEMU $version's dependencies: $(echo "$unmet" | tr '\n' ',' | sed 's/,$//'); they would have to come from $suite"
}

# Every library of the binary and of its modules resolves on this host
check_libs() {
	local f missing=""

	for f in "$cache/root/usr/bin/qemu-system-x86_64" \
		 "$cache"/root/usr/lib/x86_64-linux-gnu/qemu/*.so; do
		[ -e "$f" ] || continue
		if ldd "$f" | grep -q 'not found'; then
			missing="$missing ${f##*/}: $(ldd "$f" | awk '/not found/ { print $1 }' | tr '\n' ' ')"
		fi
	done
	[ -z "$missing" ] || die "unresolved libraries:$missing"
}

# What the harness relies on: it runs, the devices, the backend object and
# its property on vfio-pci, and the firmware and modules it finds
verify_binary() {
	local q=$cache/root/usr/bin/qemu-system-x86_64 l=$cache/verify.log
	local -a fw=()
	local d

	for d in ${fwpath//:/ }; do
		fw+=(-L "$d")
	done
	export QEMU_MODULE_DIR=$moddir
	"$q" -version >"$l" 2>&1 || die "$q does not run: $(head -n 3 "$l")"
	grep -qF "$version)" "$l" || die "$q is not $version: $(head -n 1 "$l")"
	# Not "-device help": it loads every module the build knows, and those
	# not unpacked here (the GUI, OpenGL and SPICE ones) it looks for in
	# /usr/lib/x86_64-linux-gnu/qemu, where Debian 12's QEMU keeps its
	# 7.2 modules: QEMU refuses them and aborts
	"$q" -device edu,help >"$l" 2>&1
	grep -q '^edu options:' "$l" || die "$q has no edu device: $(head -n 1 "$l")"
	"$q" -device vfio-pci,help >"$l" 2>&1
	grep -q '^vfio-pci options:' "$l" || die "$q has no vfio-pci device: $(head -n 1 "$l")"
	grep -q 'iommufd=<link<iommufd>>' "$l" || die "$q: vfio-pci has no iommufd property"
	"$q" -object iommufd,help >"$l" 2>&1 || die "$q has no iommufd object"
	# It starts with its own firmware: a stopped PC starts and quits
	echo quit | "$q" "${fw[@]}" -M q35 -nodefaults -display none \
		-monitor stdio -S >"$l" 2>&1 || die "$q does not start; see $l"
}

main() {
	local t0 ver_dir

	[ $# -eq 0 ] || { echo "usage: qemu-stock.sh" >&2; exit 2; }
	[ "$(uname -m)" = x86_64 ] || die "only x86_64 hosts are supported"
	t0=$(date +%s)

	version=$(suite_version qemu-system-x86)
	if [ -z "$version" ]; then
		suite_configured || add_suite
		apt_update
		version=$(suite_version qemu-system-x86)
		[ -n "$version" ] || die "apt knows no qemu-system-x86 in $suite"
	fi
	mapfile -t packages < <(package_list)
	[ ${#packages[@]} -eq $(( ${#qemu_pkgs[@]} + ${#fw_pkgs[@]} )) ] ||
		die "could not choose the packages"

	key=$( {
		printf '%s\n' "${packages[@]}"
		sha256sum <"$0"
	} | sha256sum | cut -d' ' -f1)

	# The directory's name: no epoch (a ':' would not survive vm.sh --add)
	ver_dir=${version#*:}
	cache_open "${QEMU_STOCK_DIR:-}" \
		"${XDG_CACHE_HOME:-$HOME/.cache}/ioasid-qemu-stock/$ver_dir" \
		"$top/build/qemu-stock"
	fwpath=$cache/root/usr/share/qemu:$cache/root/usr/share/seabios:/usr/lib/ipxe/qemu
	moddir=$cache/root/usr/lib/x86_64-linux-gnu/qemu

	if cache_valid; then
		install_deps
		check_libs
		log "cached: $(cat "$cache/fetch-time.txt" 2>/dev/null || echo "$cache")"
	else
		fetch
		install_deps
		check_libs
		verify_binary
		cat >"$cache/env" <<-EOF
		QEMU_BIN=$cache/root/usr/bin/qemu-system-x86_64
		QEMU_FIRMWARE_PATH=$fwpath
		QEMU_MODULE_DIR=$moddir
		QEMU_DEB_VERSION=$version
		QEMU_PACKAGES="${packages[*]}"
		EOF
		# Written last: the cache is valid only once everything above
		# is done
		echo "$key" >"$cache/key"
	fi
	log "QEMU $version: $cache/root/usr/bin/qemu-system-x86_64, env $cache/env ($(( $(date +%s) - t0 ))s)"
}

main "$@"; exit $?
