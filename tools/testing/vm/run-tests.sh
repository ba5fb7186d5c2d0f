#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Run the selftests in a VM with one emulated IOMMU and print one line per
# check (PASS/FAIL/SKIP name).  Exits non-zero unless everything passed.
#   run-tests.sh intel-ir|intel|amd [extra vm.sh options]
# Environment: SUITES="ioasid_map ioasid_mock" runs only those binaries;
# RUN_TAG=x keeps logs in build/vm/<iommu>x so parallel runs do not collide.
set -uo pipefail
top=$(cd "$(dirname "$0")/../../.." && pwd)
iommu=$1; shift
out=$top/build/vm/$iommu${RUN_TAG:-}

adds=(--add "$top/drivers/ioasid/ioasid.ko:/lib/modules/ioasid.ko")
for t in "$top"/build/selftests/ioasid_*; do
	name=$(basename "$t")
	if [ -n "${SUITES:-}" ] && [ "$name" != ioasid_notest ] &&
	   ! [[ " $SUITES " == *" $name "* ]]; then
		continue
	fi
	adds+=(--add "$t:/tests/$name")
done

start=$(date +%s)
"$top/tools/testing/vm/vm.sh" --iommu "$iommu" --out "$out" \
	--script "$top/tools/testing/vm/guest-tests.sh" "${adds[@]}" "$@"
vm_rc=$?
secs=$(( $(date +%s) - start ))

awk -v prefix="$iommu" -f "$top/tools/testing/vm/parse-results.awk" \
	"$out/results.log" >"$out/summary.txt"
[ $vm_rc -eq 124 ] && echo "FAIL $iommu/vm/timeout" >>"$out/summary.txt"
cat "$out/summary.txt"
echo "# $iommu: VM run took ${secs}s; logs in $out"
! grep -qv '^PASS ' "$out/summary.txt"
