#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Print the vm.sh arguments that copy a QEMU system emulator, and all it
# needs to boot the nested test's payload, into the test VM's initramfs:
#
#   [QEMU_FIRMWARE_PATH=dir:dir] [QEMU_MODULE_DIR=dir] \
#       qemu-bundle.sh [--prefix DIR] QEMU_BINARY
#
# One "--add SRC:DST" pair per line (no spaces in paths), for
#   vm.sh ... $(qemu-bundle.sh /path/to/qemu-system-x86_64)
#
# In the guest:
#   DIR/bin/qemu-system-x86_64     the binary (DIR is /opt/qemu by default)
#   DIR/share/                     firmware; QEMU finds it by itself through
#                                  its <bindir>/../share/qemu search path
#                                  only for some builds, so pass -L DIR/share
#   DIR/modules/                   modules of a modular build (Debian's):
#                                  set QEMU_MODULE_DIR=DIR/modules.  With
#                                  QEMU_MODULE_DIR set here, every module
#                                  in it (an unpacked Debian QEMU's, see
#                                  scripts/qemu-stock.sh); without, only
#                                  the TCG accelerator module, if the build
#                                  has one (Debian's 7.2 does; 10.x has TCG
#                                  built in)
#   every shared library at the path ldd resolved it to on this host,
#   and the dynamic loader at its own path, so no LD_LIBRARY_PATH is needed
#
# Firmware: SeaBIOS (bios-256k.bin), the multiboot loader option ROM that
# -kernel uses for a multiboot ELF (multiboot_dma.bin, and multiboot.bin
# for machines without fw_cfg DMA), and kvmvapic.bin, which the x86 APIC
# model loads even under TCG.  The payload runs with -nodefaults -vga none
# and vfio-pci with rombar=0, so no VGA BIOS and no NIC or device ROM.
set -euo pipefail

prefix=/opt/qemu
while [ $# -gt 1 ]; do
	case "$1" in
	--prefix) prefix=$2; shift 2 ;;
	*) break ;;
	esac
done
[ $# = 1 ] || { echo "usage: qemu-bundle.sh [--prefix DIR] QEMU_BINARY" >&2; exit 2; }
bin=$(readlink -f "$1")
[ -x "$bin" ] || { echo "qemu-bundle.sh: $1 is not an executable" >&2; exit 2; }

declare -A seen=()
out=()
add() {
	local src=$1 dst=$2
	[ -n "${seen[$dst]:-}" ] && return 0
	case "$src$dst" in
	*[[:space:]:]*)
		echo "qemu-bundle.sh: cannot pass '$src' -> '$dst' to vm.sh --add" >&2
		exit 1 ;;
	esac
	seen[$dst]=1
	out+=("--add $src:$dst")
}

# The shared libraries of an ELF file and the dynamic loader, at the paths
# this host's loader resolves them to
add_libs() {
	local file=$1 line lib
	while read -r line; do
		case "$line" in
		*"not found"*)
			echo "qemu-bundle.sh: $file: $line" >&2
			exit 1 ;;
		*"=> /"*) lib=${line#*=> }; lib=${lib%% (*} ;;
		/*) lib=${line%% (*} ;;	# the dynamic loader
		*) continue ;;		# linux-vdso
		esac
		add "$lib" "$lib"
	done < <(ldd "$file")
}

add "$bin" "$prefix/bin/qemu-system-x86_64"
add_libs "$bin"

# Firmware, from QEMU_FIRMWARE_PATH (':'-separated), then the binary's own
# search path ("-L help"): an uninstalled build searches only below its
# build tree, and scripts/qemu-build.sh's env file names the directories it
# was configured with; an unpacked package's binary would search the
# host's /usr/share/qemu, whose firmware belongs to the host's QEMU, so
# scripts/qemu-stock.sh's env file names its own directories, which come
# first
IFS=: read -r -a fwdirs <<<"${QEMU_FIRMWARE_PATH:-}"
mapfile -t -O "${#fwdirs[@]}" fwdirs < <("$bin" -L help)
for fw in bios-256k.bin multiboot_dma.bin multiboot.bin kvmvapic.bin; do
	found=""
	for d in "${fwdirs[@]}"; do
		if [ -r "$d/$fw" ]; then
			found=$(readlink -f "$d/$fw")
			break
		fi
	done
	if [ -z "$found" ]; then
		echo "qemu-bundle.sh: no $fw in $bin's firmware path: ${fwdirs[*]}" >&2
		exit 1
	fi
	add "$found" "$prefix/share/$fw"
done

add_module() {
	local m
	m=$(readlink -f "$1")
	add "$m" "$prefix/modules/$(basename "$m")"
	add_libs "$m"
}
if [ -n "${QEMU_MODULE_DIR:-}" ]; then
	# Every module: in the VM nothing else has a module directory, so
	# whatever the inner QEMU loads on demand must be here
	[ -d "$QEMU_MODULE_DIR" ] || {
		echo "qemu-bundle.sh: QEMU_MODULE_DIR=$QEMU_MODULE_DIR is not a directory" >&2
		exit 1
	}
	for m in "$QEMU_MODULE_DIR"/*.so; do
		[ -r "$m" ] && add_module "$m"
	done
else
	# A modular 7.2 build keeps TCG itself in a module:
	# accel-tcg-x86_64.so.  Look where QEMU does: the build directory (an
	# uninstalled build) and the module directory relative to an
	# installed binary.
	bindir=$(dirname "$bin")
	for d in "$bindir" "$bindir/../lib/x86_64-linux-gnu/qemu" "$bindir/../lib/qemu"; do
		for m in "$d"/accel-tcg-x86_64.so "$d"/accel-tcg-i386.so; do
			[ -r "$m" ] && add_module "$m"
		done
	done
fi

printf '%s\n' "${out[@]}"
