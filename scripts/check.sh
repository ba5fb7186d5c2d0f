#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# make check: builds, host unit tests, style checks and the VM suites on
# VT-d (with and without interrupt remapping) and AMD-Vi.  One PASS/FAIL/SKIP line per check; the last line is
# "N passed, N failed" (a skipped check counts as failed).  Exit status 0
# only if nothing failed.  The summary also lands in build/check-summary.txt.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
logs=$top/build/logs
results=$top/build/check-results.txt
mkdir -p "$logs"
: >"$results"

# shellcheck source=scripts/check-lib.sh
. "$top/scripts/check-lib.sh"

start=$(date +%s)
step build/modules make -s modules
step build/test-modules make -s test-modules
step build/selftests make -s selftests
step build/samples make -s samples
# Upstream's iommufd selftests, fetched from Debian's 6.12 source into
# ~/.cache and built in build/upstream (scripts/upstream-selftest.sh)
upstream_start=$(date +%s)
step build/upstream-selftest scripts/upstream-selftest.sh
upstream_build=$(( $(date +%s) - upstream_start ))

# Host unit tests: TAP from cmocka, "ok N - name"
make -s unit >"$logs/unit.log" 2>&1
unit_rc=$?
awk '/^(not )?ok [0-9]+ - / {
	st = ($1 == "not") ? "FAIL" : "PASS"
	name = $0; sub(/^(not )?ok [0-9]+ - /, "", name)
	if (name ~ /# *SKIP/) st = "SKIP"
	print st " unit/" name
}' "$logs/unit.log" | record
[ $unit_rc -eq 0 ] || echo "FAIL unit/make (see build/logs/unit.log)" | record

make -s lint 2>"$logs/lint.log" | grep --line-buffered -E '^(PASS|FAIL) ' | record

# libioasid, its headers and the tools installed as a package build does
# it (tools/testing/install)
tools/testing/install/check-install.sh 2>"$logs/install.log" |
	grep --line-buffered -E '^(PASS|FAIL|SKIP) ' | record

# make bench's rule for publishing only runs of a quiet host
tools/testing/bench/test-trust.sh 2>"$logs/bench-trust.log" | record

# The Debian packages: make deb, lintian, a fresh Debian 12 chroot where
# DKMS builds them for two kernels, a VM booting what they installed
# (tools/testing/packages).  Needs root (debootstrap, chroot) and the
# network (Debian's archive).
if [ "$(id -u)" -eq 0 ]; then
	tools/testing/packages/run-packages.sh 2>"$logs/packages.log" |
		grep --line-buffered -E '^(PASS|FAIL|SKIP) ' | record
else
	echo "FAIL pkg/not-run the package test needs root (debootstrap, chroot)" | record
fi

if grep -q '^FAIL build/\(modules\|test-modules\|selftests\)' "$results"; then
	echo "FAIL vm/not-run the build failed" | record
else
	# Upstream's iommufd suite runs after ours in both VMs (about 6 s
	# each); if it was not built, run-tests.sh says so with a FAIL line
	for iommu in intel-ir amd; do
		UPSTREAM=iommufd tools/testing/vm/run-tests.sh "$iommu" |
			tee "$logs/vm-$iommu.out" |
			grep --line-buffered -E '^(PASS|FAIL|SKIP) ' | record
	done
	# VT-d without interrupt remapping: the companion's MSI isolation rule
	SUITES="ioasid_vfio" tools/testing/vm/run-tests.sh intel |
		grep --line-buffered -E '^(PASS|FAIL|SKIP) ' | record
	# The user space NVMe driver of samples/nvme against the kernel's, and
	# its unplugged-cable cases (tools/testing/nvme)
	for iommu in intel-ir amd; do
		nvme_out=build/vm/nvme-$iommu
		mkdir -p "$nvme_out"
		: >"$nvme_out/results.log"
		NVME_SECS=1 NVME_OUT=$top/$nvme_out \
			tools/testing/nvme/run-nvme.sh "$iommu" \
			>"$logs/nvme-$iommu.log" 2>&1 &
		nvme_pid=$!
		# Its checks as the guest writes them
		tail -n +1 -F --pid="$nvme_pid" "$nvme_out/results.log" 2>/dev/null |
			awk -v prefix="nvme-$iommu" \
				-f tools/testing/vm/parse-results.awk |
			tee "$nvme_out/summary.txt" | record
		wait "$nvme_pid"
		nvme_rc=$?
		if [ $nvme_rc -ne 0 ] && ! grep -q '^FAIL ' "$nvme_out/summary.txt"; then
			echo "FAIL nvme-$iommu/run exit $nvme_rc (see build/logs/nvme-$iommu.log)" | record
		fi
	done
fi

passed=$(grep -c '^PASS ' "$results")
failed=$(grep -vc '^PASS ' "$results")
echo
if [ "$failed" -ne 0 ]; then
	echo "Failed or skipped:"
	grep -v '^PASS ' "$results"
	# What the guest said about the first failed VM tests, so that a CI
	# log alone is enough to start on them
	grep -E '^(FAIL|SKIP) (intel|intel-ir|amd)/(ioasid_|upstream-)' "$results" |
	head -n 5 |
	while read -r _ name _; do
		iommu=${name%%/*}; rest=${name#*/}; suite=${rest%%/*}
		tst=${rest#*/}
		echo
		echo "--- $name: end of its output in build/vm/$iommu/results.log"
		awk -v suite="$suite" -v t="$tst" \
			-f tools/testing/vm/failure-detail.awk \
			"build/vm/$iommu/results.log" 2>/dev/null
	done
	for iommu in intel-ir amd; do
		grep -q "^FAIL nvme-$iommu/" "$results" || continue
		echo
		echo "--- nvme-$iommu: end of build/vm/nvme-$iommu/console.log"
		tr -d '\r' <"build/vm/nvme-$iommu/console.log" 2>/dev/null |
			tail -n 30
	done
fi
echo "upstream selftest: built in ${upstream_build}s;$(sed -n 's/^# \(.*\): upstream-\(.*\) took \(.*\) s$/ \2 \3s on \1;/p' \
	"$logs"/vm-*.out 2>/dev/null | tr -d '\n')"
echo "check took $(( $(date +%s) - start ))s"
echo "$passed passed, $failed failed" | tee "$top/build/check-summary.txt"
[ "$failed" -eq 0 ]
