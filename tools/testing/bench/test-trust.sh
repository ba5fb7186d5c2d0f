#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make check's test of make bench's publishing rule (scripts/bench-trust.sh
# and its use in scripts/bench.sh): a run whose VMs started on a busy host
# is not published and its results.md marks every ratio unreliable; a
# quiet run is published unmarked; BENCH_PUBLISH=force publishes a busy run,
# marked.  bench.sh runs with BENCH_REPORT_ONLY=1 in a scratch copy of the
# scripts, on a result table of the shape the guest writes: no VM boots.
# One "PASS|FAIL bench/<name> [detail]" line per check.
set -uo pipefail
top=$(cd "$(dirname "$0")/../../.." && pwd)
trust=$top/scripts/bench-trust.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

check() {
	local name=$1
	shift
	if "$@" >/dev/null 2>&1; then
		echo "PASS bench/$name"
	else
		echo "FAIL bench/$name"
	fi
}

# "check NAME not CMD...": passes when CMD fails
not() { ! "$@"; }

setup() {
	printf 'memory 5917916 kB\nhost-load-before %s 0.50 0.50\nhost-other-vms %s\n' \
		"$2" "$3" >"$1"
}

# verdict: the load average at the start and other QEMU processes
setup "$tmp/setup-a.txt" 0.40 0
setup "$tmp/setup-b.txt" 1.00 0
setup "$tmp/setup-c.txt" 1.01 0
setup "$tmp/setup-d.txt" 0.10 1
printf 'memory 1 kB\n' >"$tmp/setup-e.txt"
check trust/quiet "$trust" verdict "$tmp/setup-a.txt" "$tmp/setup-b.txt"
check trust/load-above-max not "$trust" verdict "$tmp/setup-a.txt" "$tmp/setup-c.txt"
check trust/other-vm not "$trust" verdict "$tmp/setup-d.txt"
check trust/load-not-recorded not "$trust" verdict "$tmp/setup-e.txt"
check trust/no-run not "$trust" verdict
check trust/max-load-knob env BENCH_MAX_LOAD=2 "$trust" verdict "$tmp/setup-c.txt"
check trust/says-why grep -q 'c: load average 1.01 at the start' \
	<("$trust" verdict "$tmp/setup-c.txt")

# A scratch tree: bench.sh and bench-trust.sh, a setup.sh that installs
# nothing, a published results.md to protect, and one IOMMU's results
tree=$tmp/tree
mkdir -p "$tree/scripts" "$tree/Documentation/bench" "$tree/build/bench"
cp "$top/scripts/bench.sh" "$trust" "$tree/scripts/"
printf '#!/bin/sh\nexit 0\n' >"$tree/scripts/setup.sh"
chmod +x "$tree/scripts/setup.sh"
cat >"$tree/build/bench/table-x.md" <<'EOF'
| workload | case | metric | unit | type1 median [min-max] | ioasid median [min-max] | floor | ioasid/type1 | target | met |
|---|---|---|---|---|---|---|---|---|---|
| W3 | 4k | map+unmap | us | 30.00 [29-31] | 27.00 [26-28] | 20.00 | 0.90 | ratio<=0.9 | yes |
| W3 | 4k | IOTLB syncs | n | 4 | 2 | - | - | - | - |
EOF
{
	echo "iommu,workload,case,metric,unit,a,type1,b,c,ioasid,d,e,f,ratio,target,met"
	echo "x,W3,4k,map+unmap,us,,30.00,,,27.00,,,,0.90,ratio<=0.9,yes"
} >"$tree/build/bench/results-x.csv"
: >"$tree/build/bench/counts-x.csv"

# Runs the scratch tree's bench.sh with the host state $1 $2
run() {
	setup "$tree/build/bench/setup-x.txt" "$1" "$2"
	echo "published before" >"$tree/Documentation/bench/results.md"
	env -u BENCH_MAX_LOAD BENCH_REPORT_ONLY=1 BENCH_IOMMUS=x \
		${3:+BENCH_PUBLISH=$3} "$tree/scripts/bench.sh" \
		>"$tmp/out.log" 2>&1
}
md=$tree/build/bench/results.md
doc=$tree/Documentation/bench/results.md

run 3.50 0
check busy/runs test -s "$md"
check busy/not-published grep -qx 'published before' "$doc"
check busy/says-unreliable grep -q '^\*\*Unreliable run\*\* (x: load average 3.50' "$md"
check busy/ratio-marked grep -q '| 0.90 (unreliable) | ratio<=0.9 | unreliable |' "$md"
check busy/counts-unmarked grep -q '| IOTLB syncs | n | 4 | 2 | - | - | - | - |' "$md"
check busy/target-unjudged grep -q '^- x W3 4k map+unmap: ratio 0.90 (target ratio<=0.9): unreliable$' "$md"
check busy/log-says-why grep -q 'not published (the host was busy)' "$tmp/out.log"

run 0.20 1
check other-vm/not-published grep -qx 'published before' "$doc"

run 0.20 0
check quiet/published grep -q '^Run conditions: reliable' "$doc"
check quiet/unmarked not grep -q 'unreliable' "$doc"
check quiet/target-met grep -q '^- x W3 4k map+unmap: ratio 0.90 (target ratio<=0.9): met$' "$doc"

run 3.50 0 force
check force/published-marked grep -q '| 0.90 (unreliable) |' "$doc"
