#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Boot the test VM with a file-backed NVMe controller and run
# guest-nvme.sh: the kernel's nvme driver and samples/nvme's ioasid-nvme on
# the same controller (benchmarks, the ratio), then the unplugged-cable
# cases.  Prints the guest's results; exits non-zero unless all passed.
#   run-nvme.sh [intel-ir|intel|amd] [extra vm.sh options]
# Environment: NVME_OUT=dir (default build/vm/nvme-<iommu>), NVME_SECS=s per
# benchmark (default 3), NVME_QD=n the deep queue depth (default 16),
# NVME_DEMO=1 (make demo): only the two drivers and the ratio, and their
# output shown as it ran.
set -euo pipefail
top=$(cd "$(dirname "$0")/../../.." && pwd)
iommu=${1:-intel-ir}
[ $# -gt 0 ] && shift
out=${NVME_OUT:-$top/build/vm/nvme-$iommu}
mkdir -p "$out"

make -s -C "$top" modules
make -s -C "$top/samples/nvme" OUTPUT="$out/bin"
# runas: drops to an unprivileged user with a RLIMIT_MEMLOCK (busybox has no su)
cc -O2 -static -o "$out/bin/runas" "$top/tools/testing/qemu/runas.c"

# A real backing file: null-co would discard the patterns
img=$out/nvme.img
rm -f "$img"
truncate -s 64M "$img"

rc=0
"$top/tools/testing/vm/vm.sh" --iommu "$iommu" --out "$out" \
	--add "$top/drivers/ioasid/ioasid-core.ko:/lib/modules/ioasid-core.ko" \
	--add "$top/drivers/vfio/pci/ioasid/vfio-ioasid-pci.ko:/lib/modules/vfio-ioasid-pci.ko" \
	--kmod vfio-pci-core --kmod nvme \
	--kmod crct10dif_generic --kmod crc64_rocksoft_generic \
	--add "$out/bin/ioasid-nvme:/root/ioasid-nvme" \
	--add "$out/bin/nvme-kbench:/root/nvme-kbench" \
	--add "$out/bin/runas:/root/runas" \
	--script "$top/tools/testing/nvme/guest-nvme.sh" \
	--append "NVME_SECS=${NVME_SECS:-3} NVME_QD=${NVME_QD:-16} NVME_DEMO=${NVME_DEMO:-0}" \
	--qemu "-drive file=$img,if=none,id=nv0,format=raw -device nvme,serial=ioasid-nvme,drive=nv0" \
	"$@" || rc=$?
rm -f "$img"
if [ "${NVME_DEMO:-0}" = 1 ]; then
	# What the two drivers printed, without the kernel's messages
	tr -d '\r' <"$out/console.log" |
		sed -n '/^=== kernel nvme driver/,/^@@RESULT [A-Z]* ratio/p' |
		grep -v '^\[ *[0-9.]*\]\|^@@RESULT' || true
else
	grep -E '^(RESULT|RATIO)' "$out/console.log" | tr -d '\r' || true
fi
tr -d '\r' <"$out/results.log" | sed -n 's/^@@RESULT //p'
if [ $rc -ne 0 ] || ! grep -q '^@@DONE' "$out/results.log" ||
   grep -q '^@@RESULT FAIL' "$out/results.log"; then
	echo "run-nvme.sh: $iommu: FAILED (vm.sh $rc); see $out/console.log"
	exit 1
fi
echo "run-nvme.sh: $iommu: all passed; logs in $out"
