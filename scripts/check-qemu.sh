#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The nested QEMU test: a QEMU inside the test VM assigns the VM's edu to its
# own guest (the payload of tools/testing/qemu/payload) through /dev/ioasid,
# on VT-d (with interrupt remapping) and on AMD-Vi, once with each of two
# inner QEMUs; one VM per QEMU and IOMMU.  One PASS/FAIL line per check,
# named <qemu>/<iommu>/...; the last line is "N passed, N failed".  Exit
# status 0 only if nothing failed.
#
# The inner QEMUs:
#   qemu72  Debian 12's QEMU 7.2 with the iommufd backend of tools/qemu,
#           built by scripts/qemu-build.sh; QEMU=path overrides it
#   qemu10  Debian's stock QEMU from bookworm-backports (10.x, upstream's
#           iommufd backend), unpacked by scripts/qemu-stock.sh, never
#           installed; QEMU_STOCK=path overrides it (with QEMU_MODULE_DIR
#           and QEMU_FIRMWARE_PATH for its modules and firmware)
# QEMU_RUNS="qemu72 qemu10" (the default) chooses which of them run.
# QEMU_MODE=emulated runs the harness once with the host's QEMU 7.2 instead
# and an edu emulated by the inner QEMU: no assignment, no ioasid; it
# checks the bundle, nested TCG and the script's plumbing, and times an
# inner run.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
logs=$top/build/logs
results=$top/build/check-qemu-results.txt
mode=${QEMU_MODE:-assign}
mkdir -p "$logs"
: >"$results"

# shellcheck source=scripts/check-lib.sh
. "$top/scripts/check-lib.sh"

# $qemu, $fwpath, $moddir: a QEMU binary, its firmware and module
# directories, from what scripts/qemu-build.sh or scripts/qemu-stock.sh
# left in build/$1: a link to its cache directory, whose env file names the
# binary (QEMU_BIN), its firmware directories (QEMU_FIRMWARE_PATH) and
# module directory (QEMU_MODULE_DIR, the stock QEMU only), for
# qemu-bundle.sh
find_qemu() {
	local q=$top/build/$1 c QEMU_BIN="" QEMU_FIRMWARE_PATH="" QEMU_MODULE_DIR=""
	fwpath=""
	moddir=""
	if [ -r "$q/env" ]; then
		# shellcheck disable=SC1091 # written by the build scripts
		. "$q/env"
		fwpath=$QEMU_FIRMWARE_PATH
		moddir=$QEMU_MODULE_DIR
		[ -x "${QEMU_BIN:-}" ] && { qemu=$QEMU_BIN; return; }
	fi
	if [ -f "$q" ] && [ -x "$q" ]; then
		qemu=$(readlink -f "$q")
		return
	fi
	for c in "$q/qemu-system-x86_64" "$q/bin/qemu-system-x86_64" \
		 "$q/build/qemu-system-x86_64"; do
		[ -x "$c" ] && { qemu=$(readlink -f "$c"); return; }
	done
	return 1
}

finish() {
	local passed failed
	passed=$(grep -c '^PASS ' "$results")
	failed=$(grep -vc '^PASS ' "$results")
	echo
	[ "$failed" -ne 0 ] && { echo "Failed:"; grep -v '^PASS ' "$results"; }
	echo "check-qemu took $(( $(date +%s) - start ))s"
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit
}

start=$(date +%s)
step build/modules make -s modules
step build/payload make -s -C tools/testing/qemu/payload OUTPUT="$top/build/payload"
# The guest's way to run QEMU as an unprivileged user (busybox has no su
# that works without /etc/passwd, nor a setpriv that changes ids)
step build/runas gcc -static -O2 -Wall -Wextra -Werror \
	-o "$top/build/payload/runas" tools/testing/qemu/runas.c

# Each run: its name, its QEMU ($qemu, $fwpath, $moddir), how the guest
# script treats it ($flavour)
if [ "$mode" = emulated ]; then
	runs=emulated
else
	runs=${QEMU_RUNS:-qemu72 qemu10}
fi
declare -A run_qemu=() run_fw=() run_mod=() run_flavour=()
for run in $runs; do
	qemu="" fwpath="" moddir=""
	case "$run" in
	emulated)
		qemu=${QEMU:-/usr/bin/qemu-system-x86_64}
		flavour=patched ;;
	qemu72)
		flavour=patched
		if [ -n "${QEMU:-}" ]; then
			qemu=$QEMU
		else
			step qemu72/build scripts/qemu-build.sh
			find_qemu qemu || {
				echo "FAIL qemu72/binary scripts/qemu-build.sh left no qemu-system-x86_64 in build/qemu" | record
				continue
			}
		fi ;;
	qemu10)
		flavour=stock
		if [ -n "${QEMU_STOCK:-}" ]; then
			qemu=$QEMU_STOCK
			fwpath=${QEMU_FIRMWARE_PATH:-}
			moddir=${QEMU_MODULE_DIR:-}
		else
			step qemu10/fetch scripts/qemu-stock.sh
			find_qemu qemu-stock || {
				echo "FAIL qemu10/binary scripts/qemu-stock.sh left no qemu-system-x86_64 in build/qemu-stock" | record
				continue
			}
		fi ;;
	*)
		echo "FAIL $run/unknown QEMU_RUNS has $run: neither qemu72 nor qemu10" | record
		continue ;;
	esac
	run_qemu[$run]=$qemu
	run_fw[$run]=$fwpath
	run_mod[$run]=$moddir
	run_flavour[$run]=$flavour
	echo "# $run: inner QEMU $qemu"
done

if grep -q '^FAIL build/' "$results"; then
	echo "FAIL vm/not-run the build failed" | record
	finish
fi

for run in $runs; do
	[ -n "${run_qemu[$run]:-}" ] || continue
	if ! bundle=$(QEMU_FIRMWARE_PATH=${run_fw[$run]} \
			QEMU_MODULE_DIR=${run_mod[$run]} \
			tools/testing/vm/qemu-bundle.sh "${run_qemu[$run]}" \
			2>"$logs/qemu-bundle-$run.log"); then
		echo "FAIL $run/bundle (see build/logs/qemu-bundle-$run.log)" | record
		continue
	fi
	for iommu in intel-ir amd; do
		out=$top/build/vm/$run-$iommu
		mkdir -p "$out"
		t0=$(date +%s)
		: >"$out/results.log"
		# shellcheck disable=SC2086 # one --add SRC:DST per word
		tools/testing/vm/vm.sh --iommu "$iommu" --out "$out" --timeout 1800 \
			--script tools/testing/vm/qemu-guest.sh \
			--add drivers/ioasid/ioasid-core.ko:/lib/modules/ioasid-core.ko \
			--add drivers/vfio/pci/ioasid/vfio-ioasid-pci.ko:/lib/modules/vfio-ioasid-pci.ko \
			--kmod vfio-pci-core \
			--add build/payload/payload.elf:/root/payload.elf \
			--add build/payload/runas:/root/runas $bundle \
			--qemu "-device edu" \
			--append "memmap=4K\$0x0C000000 IOASID_QEMU_MODE=$mode IOASID_QEMU_FLAVOUR=${run_flavour[$run]}" \
			>"$out/vm.out" 2>&1 &
		vm_pid=$!
		# The checks as the guest writes them
		tail -n +1 -F --pid="$vm_pid" "$out/results.log" 2>/dev/null |
			awk -v prefix="$run/$iommu" \
				-f tools/testing/vm/parse-results.awk | record
		wait "$vm_pid"
		vm_rc=$?
		[ $vm_rc -eq 124 ] && echo "FAIL $run/$iommu/vm/timeout" | record
		echo "# $run/$iommu: VM run took $(( $(date +%s) - t0 ))s; logs in ${out#"$top"/}"
	done
done
finish
