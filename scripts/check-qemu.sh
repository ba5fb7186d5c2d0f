#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The nested QEMU test: a QEMU inside the test VM assigns the VM's edu to its
# own guest (the payload of tools/testing/qemu/payload) through /dev/ioasid,
# on VT-d (with interrupt remapping) and on AMD-Vi.  One PASS/FAIL line per
# check; the last line is "N passed, N failed".  Exit status 0 only if
# nothing failed.
#
# The inner QEMU is the patched one (iommufd backend) that
# scripts/qemu-build.sh builds; QEMU=path overrides it.
# QEMU_MODE=emulated runs the harness with the host's stock QEMU instead and
# an edu emulated by the inner QEMU: no assignment, no ioasid; it checks the
# bundle, nested TCG and the script's plumbing, and times an inner run.
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

# $qemu: the patched QEMU binary, from what scripts/qemu-build.sh left in
# build/qemu: a link to its cache directory, whose env file names the
# binary (QEMU_BIN) and its firmware directories (QEMU_FIRMWARE_PATH, for
# qemu-bundle.sh)
find_qemu() {
	local q=$top/build/qemu c
	if [ -r "$q/env" ]; then
		# shellcheck disable=SC1091
		. "$q/env"
		export QEMU_FIRMWARE_PATH
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

if [ "$mode" = emulated ]; then
	qemu=${QEMU:-/usr/bin/qemu-system-x86_64}
elif [ -n "${QEMU:-}" ]; then
	qemu=$QEMU
elif [ ! -x scripts/qemu-build.sh ]; then
	echo "FAIL qemu/build scripts/qemu-build.sh does not exist: the patched QEMU with the iommufd backend is not in this tree yet (QEMU_MODE=emulated checks the harness with the stock QEMU)" | record
	finish
else
	step qemu/build scripts/qemu-build.sh
	if ! find_qemu; then
		echo "FAIL qemu/binary scripts/qemu-build.sh left no qemu-system-x86_64 in build/qemu" | record
		finish
	fi
fi
echo "# inner QEMU: $qemu"

if grep -q '^FAIL build/' "$results"; then
	echo "FAIL vm/not-run the build failed" | record
	finish
fi
if ! bundle=$(tools/testing/vm/qemu-bundle.sh "$qemu" 2>"$logs/qemu-bundle.log"); then
	echo "FAIL qemu/bundle (see build/logs/qemu-bundle.log)" | record
	finish
fi

for iommu in intel-ir amd; do
	out=$top/build/vm/$iommu-qemu
	[ "$mode" = emulated ] && out=$out-emulated
	mkdir -p "$out"
	t0=$(date +%s)
	# shellcheck disable=SC2086 # one --add SRC:DST per word
	tools/testing/vm/vm.sh --iommu "$iommu" --out "$out" --timeout 1800 \
		--script tools/testing/vm/qemu-guest.sh \
		--add drivers/ioasid/ioasid.ko:/lib/modules/ioasid.ko \
		--add drivers/vfio/pci/ioasid/vfio-ioasid-pci.ko:/lib/modules/vfio-ioasid-pci.ko \
		--kmod vfio-pci-core \
		--add build/payload/payload.elf:/root/payload.elf \
		--add build/payload/runas:/root/runas $bundle \
		--qemu "-device edu" \
		--append "memmap=4K\$0x0C000000 IOASID_QEMU_MODE=$mode" \
		>"$out/vm.out" 2>&1
	vm_rc=$?
	awk -v prefix="$iommu" -f tools/testing/vm/parse-results.awk \
		"$out/results.log" | record
	[ $vm_rc -eq 124 ] && echo "FAIL $iommu/vm/timeout" | record
	echo "# $iommu: VM run took $(( $(date +%s) - t0 ))s; logs in ${out#"$top"/}"
done
finish
