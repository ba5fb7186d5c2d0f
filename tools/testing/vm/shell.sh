#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# make vm-shell: the test VM with a shell on this terminal.  ioasid-core.ko is in
# /lib/modules (not loaded), the selftests in /tests, the samples in /root.
# IOMMU=amd|intel|intel-ir|none picks the emulated IOMMU (default intel-ir).
set -euo pipefail
top=$(cd "$(dirname "$0")/../../.." && pwd)
# The test build of ioasid-core.ko (make test-modules); IOASID_KO_DIR: from there
# (the debug build, make vm-shell DEBUG=1)
adds=(--add "${IOASID_KO_DIR:-$top/build/ktest/drivers/ioasid}/ioasid-core.ko:/lib/modules/ioasid-core.ko")
for f in "$top"/build/selftests/ioasid_* "$top"/build/samples/*; do
	[ -f "$f" ] || continue
	case "$f" in
	*/selftests/*) adds+=(--add "$f:/tests/$(basename "$f")") ;;
	*) adds+=(--add "$f") ;;
	esac
done
echo "Try: insmod /lib/modules/ioasid-core.ko test_mode=1; /root/ioasid-mock-demo; /tests/ioasid_basic"
exec "$top/tools/testing/vm/vm.sh" --shell --iommu "${IOMMU:-intel-ir}" \
	--out "$top/build/vm/shell" "${adds[@]}"
