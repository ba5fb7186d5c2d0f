#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The reliability figures of the last VM runs: fault points swept per
# scenario, fuzzer seeds and operations, stress time and DMA checks, and the
# findings (failed checks, kernel log, kmemleak).
#
#   reliability-summary.sh [RUN_DIR...]
#
# A RUN_DIR is a directory of tools/testing/vm/run-tests.sh (results.log
# and summary.txt); default: every build/vm/*/ that has them, so after
# `make check` the stock-kernel runs and after `make check-debug` the debug
# kernel's runs (suffix -dbg) are included.  Exit status 1 if any run had a
# finding.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)

dirs=("$@")
if [ ${#dirs[@]} -eq 0 ]; then
	for d in "$top"/build/vm/*/; do
		[ -s "$d/results.log" ] && dirs+=("${d%/}")
	done
fi
if [ ${#dirs[@]} -eq 0 ]; then
	echo "reliability-summary: no VM runs under build/vm; run make check first" >&2
	exit 2
fi

# "# key: a=1 b=2" lines of one kind from every run, prefixed with the run
lines() {
	local kind=$1 d
	for d in "${dirs[@]}"; do
		sed -n "s/^# $kind: //p" "$d/results.log" |
			sed "s|^|run=$(basename "$d") |"
	done
}

echo "Fault injection sweeps (ioasid_fault; Documentation/dev-tools/fault-injection.rst)"
lines fault | awk '
function val(k,   i, kv) {
	for (i = 1; i <= NF; i++) {
		split($i, kv, "=")
		if (kv[1] == k)
			return kv[2]
	}
	return ""
}
{
	if (!n++)
		printf "  %-14s %-28s %7s %10s %8s\n", "run", "scenario", "points", "recovered", "ms"
	printf "  %-14s %-28s %7d %10d %8d\n", val("run"), val("scenario"), val("points"), val("recovered"), val("ms")
	points += val("points"); runs[val("run")] = 1; sc[val("scenario")] = 1
}
END {
	if (!n) { print "  (no sweep ran)"; exit }
	for (r in runs) nr++
	for (s in sc) ns++
	printf "  total: %d scenarios on %d runs, %d fault points injected\n", ns, nr, points
}'

echo
echo "Fuzzer (ioasid_fuzz; Documentation/dev-tools/fuzzing.rst)"
lines fuzz | awk '/ seeds=/ { n++; print "  " $0 }
	END { if (!n) print "  (no fuzz run)" }'

echo
echo "Stress (ioasid_stress)"
lines stress | awk '/ secs=.* threads=/ { n++; print "  " $0 }
	END { if (!n) print "  (no stress run)" }'

echo
echo "Findings"
findings=0
for d in "${dirs[@]}"; do
	run=$(basename "$d")
	[ -s "$d/summary.txt" ] || continue
	bad=$(grep -cv '^PASS ' "$d/summary.txt")
	checks=$(wc -l <"$d/summary.txt")
	fz=$( (sed -n 's/^# \(fuzz\|stress\): .*findings=\([0-9]*\).*/\2/p' "$d/results.log"; echo 0) |
		awk '{ s += $1 } END { print s }')
	printf "  %-14s %4d checks, %d failed, fuzz/stress findings %d\n" \
		"$run" "$checks" "$bad" "$fz"
	grep -v '^PASS ' "$d/summary.txt" | sed 's/^/    /'
	findings=$((findings + bad + fz))
done
echo "  total findings: $findings"
[ "$findings" -eq 0 ]
