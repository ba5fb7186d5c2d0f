#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make check-debug: the VM suites on the debug kernel of
# scripts/debug-kernel.sh (KASAN, lockdep, kmemleak, UBSAN, debug objects),
# on VT-d with interrupt remapping and on AMD-Vi.  Builds (or reuses) the
# kernel, builds our modules against it in build/debug-modules (the normal
# build in drivers/ is not touched) and the selftests.  One PASS/FAIL/SKIP
# line per check; the last line is "N passed, N failed" (a skipped check
# counts as failed).  Exit status 0 only if nothing failed.
#
#   check-debug.sh            the checks
#   check-debug.sh --shell    build the same, then the test VM with a shell
#                             (make vm-shell DEBUG=1)
#
# Environment: DEBUG_KERNEL_DIR (see debug-kernel.sh); RUN_TAG (default
# -dbg) keeps the VM logs in build/vm/<iommu>-dbg, apart from make check's;
# VM_TIMEOUT (default 3600) bounds one VM run, which is several times slower
# than on the stock kernel; IOMMUS="intel-ir amd" picks the IOMMUs;
# TIME_SCALE (default 4) stretches the tests' own time bounds (harness
# timeouts, fuzz and stress budgets and watchdogs) by that factor, through
# IOASID_TIME_SCALE on the guest's command line.  Upstream's iommufd
# selftests run after ours (Documentation/dev-tools/upstream-selftest.rst):
# iommufd in every VM, and iommufd_fail_nth, which needs the kernel's
# fault injection, in the first (UPSTREAM_FIRST, default "iommufd
# iommufd_fail_nth"; UPSTREAM_REST, default "iommufd", for the others).
# KERNEL_FLAVOUR=coverage runs the same on the coverage kernel (make
# coverage, scripts/coverage.sh: results in build/check-coverage-*.txt).
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
logs=$top/build/logs
flavour=${KERNEL_FLAVOUR:-debug}
results=$top/build/check-$flavour-results.txt
# debug-kernel.sh's defaults: symlinks into ~/.cache (see there why)
kernel_dir=${DEBUG_KERNEL_DIR:-$top/build/$flavour-kernel}
modules_dir=${DEBUG_MODULES_DIR:-$top/build/$flavour-modules}
mkdir -p "$logs"

# shellcheck source=scripts/check-lib.sh
. "$top/scripts/check-lib.sh"

# The harness' overrides, from the env file debug-kernel.sh leaves in the
# cache: boot the debug bzImage, take vfio-pci-core and friends from its
# modules_install tree, and our modules from build/debug-modules.
use_debug_kernel() {
	local env=$kernel_dir/env

	[ -r "$env" ] || return 1
	# shellcheck source=/dev/null
	. "$env"
	export VM_KERNEL=$DEBUG_KERNEL_IMAGE
	export VM_MODULES=$DEBUG_KERNEL_MODULES
	export VM_KVER=$DEBUG_KERNEL_RELEASE
	export IOASID_KO_DIR=$modules_dir
	export VM_TIMEOUT=${VM_TIMEOUT:-3600}
}

if [ "${1:-}" = --shell ]; then
	set -e
	scripts/debug-kernel.sh --modules
	make -s selftests samples
	use_debug_kernel
	exec tools/testing/vm/shell.sh
fi

: >"$results"
start=$(date +%s)
time_scale=${TIME_SCALE:-4}
# The kernel first: minutes to an hour when the cache is cold, nothing when
# it is warm.  Its own line, so a broken kernel build is not mistaken for a
# broken module.
step "build/$flavour-kernel" scripts/debug-kernel.sh
echo "# $(sed "s/^/$flavour kernel: /" "$kernel_dir/build-time.txt" 2>/dev/null)"
if grep -q "^PASS build/$flavour-kernel" "$results"; then
	step "build/$flavour-modules" scripts/debug-kernel.sh --modules
fi
step build/selftests make -s selftests
step build/upstream-selftest scripts/upstream-selftest.sh

if grep -q '^FAIL build/' "$results"; then
	echo "FAIL vm/not-run the build failed" | record
else
	use_debug_kernel
	upstream=${UPSTREAM_FIRST-iommufd iommufd_fail_nth}
	for iommu in ${IOMMUS:-intel-ir amd}; do
		# VT-d without interrupt remapping only for the companion's MSI
		# isolation rule, as in make check: the kernel's vfio_iommu_type1
		# refuses that IOMMU, which other suites use
		suites=${SUITES-}
		if [ "$iommu" = intel ]; then
			suites=ioasid_vfio
			upstream=""
		fi
		SUITES=$suites UPSTREAM=$upstream RUN_TAG=${RUN_TAG:--$([ "$flavour" = debug ] && echo dbg || echo cov)} \
			tools/testing/vm/run-tests.sh "$iommu" \
			--append "IOASID_TIME_SCALE=$time_scale" |
			grep --line-buffered -E '^(PASS|FAIL|SKIP) |^# ' | record
		upstream=${UPSTREAM_REST-iommufd}
	done
fi

passed=$(grep -c '^PASS ' "$results")
failed=$(grep -Evc '^(PASS |# )' "$results")
echo
if [ "$failed" -ne 0 ]; then
	echo "Failed or skipped:"
	grep -Ev '^(PASS |# )' "$results"
fi
echo "check-$flavour took $(( $(date +%s) - start ))s"
echo "$passed passed, $failed failed" | tee "$top/build/check-$flavour-summary.txt"
[ "$failed" -eq 0 ]
