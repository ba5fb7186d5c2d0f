#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make check's test of make bench's publishing rule (scripts/bench-trust.sh
# and its use in scripts/bench.sh): a run whose VMs started on a busy host
# is not published and its results.md marks every ratio unreliable, and so
# is one during which the host's own speed changed (the probe); a
# quiet run is published unmarked; BENCH_PUBLISH=force publishes a busy run,
# marked.  bench.sh runs with BENCH_REPORT_ONLY=1 in a scratch copy of the
# scripts, on a result table of the shape the guest writes: no VM boots.
# Then the upstream iommufd column: an IOMMU whose upstream VM ran gets
# ioasid/type1 next to iommufd/type1, with rows more than 10 % worse than
# upstream's flagged as missed targets; one without it gets no column; and
# a busy host at the upstream VM's start makes the run unreliable too.
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

# setup FILE LOAD OTHERS [PROBE]: PROBE is the fastest host probe before
# and after the VM, 100 ms unless given
setup() {
	printf 'memory 5917916 kB\nhost-load-before %s 0.50 0.50\nhost-other-vms %s\nhost-probe-before %s 130.0\nhost-probe-after %s 140.0\n' \
		"$2" "$3" "${4:-100.0}" "${4:-100.0}" >"$1"
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

# verdict: the host's speed, the fastest probe of each VM against the
# run's fastest (BENCH_MAX_SLOWDOWN, 1.25)
setup "$tmp/setup-f.txt" 0.40 0 125.0
setup "$tmp/setup-g.txt" 0.40 0 126.0
grep -v '^host-probe-after' "$tmp/setup-a.txt" >"$tmp/setup-h.txt"
sed 's/^host-probe-after .*/host-probe-after 150.0 160.0/' "$tmp/setup-a.txt" \
	>"$tmp/setup-i.txt"
check trust/probe-same-speed "$trust" verdict "$tmp/setup-a.txt" "$tmp/setup-f.txt"
check trust/probe-slower not "$trust" verdict "$tmp/setup-a.txt" "$tmp/setup-g.txt"
check trust/probe-slower-during-vm not "$trust" verdict "$tmp/setup-i.txt"
check trust/probe-not-recorded not "$trust" verdict "$tmp/setup-h.txt"
check trust/probe-says-why grep -q "g: the host probe's fastest took 126.0 ms before and 126.0 ms after the VM, up to 1.26x the run's fastest 100.0 ms" \
	<("$trust" verdict "$tmp/setup-a.txt" "$tmp/setup-g.txt")
check trust/probe-knob env BENCH_MAX_SLOWDOWN=1.3 "$trust" verdict \
	"$tmp/setup-a.txt" "$tmp/setup-g.txt"
check trust/probe-knob-lowers not env BENCH_MAX_SLOWDOWN=1.2 "$trust" verdict \
	"$tmp/setup-a.txt" "$tmp/setup-f.txt"
printf 'host-load-before 0.40 0.50 0.50\nhost-other-vms 0\nhost-probe-before 100.0 130.0\nhost-probe-after \n' \
	>"$tmp/setup-j.txt"
check trust/probe-empty-not-recorded grep -q "j: the host's speed was not recorded" \
	<("$trust" verdict "$tmp/setup-a.txt" "$tmp/setup-j.txt")
check trust/probe-prints grep -Eqx '[0-9]+\.[0-9] [0-9]+\.[0-9]' \
	<("$trust" probe)

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
	echo "x,W2,thp,map,ms,,3676,,,3752,,,,1.02,ratio<=1,noise"
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
check no-upstream/no-column not grep -qi 'upstream' "$doc"
check quiet/target-noise grep -qxF -e '- x W2 thp map: ratio 1.02 (target ratio<=1): within noise, not shown missed (sign test on the repetitions)' "$doc"

run 3.50 0 force
check force/published-marked grep -q '| 0.90 (unreliable) |' "$doc"

# BENCH_REPORT_ONLY=1 later still dates the run by its last VM's end
setup "$tree/build/bench/setup-x.txt" 0.20 0
touch -d '2026-01-02 03:04:00 UTC' "$tree/build/bench/setup-x.txt"
env -u BENCH_MAX_LOAD BENCH_REPORT_ONLY=1 BENCH_IOMMUS=x BENCH_PUBLISH=0 \
	"$tree/scripts/bench.sh" >"$tmp/out.log" 2>&1
check report-only/dated-by-run grep -q '^Measured 2026-01-02 03:04 UTC by' "$md"

# The upstream column.  IOMMU y ran on 6.1 and on the upstream kernel, x on
# 6.1 only.  Rows of y (ratio to type1, 6.1 against 6.12): W1 4k map 1.05
# against 1.00 (within 10 %), W3 4k 0.90 against 0.95 (better), W5 unmap
# all 1.87 against 1.20 and slab 4.08 against 3.00 (worse: missed), W5
# mappings made (a count: not compared), W6 own-ioas-copy (no type1: not
# compared).
b=$tree/build/bench
hdr="iommu,workload,case,metric,unit,reps,type1_median,type1_min,type1_max,ioasid_median,ioasid_min,ioasid_max,floor_median,ratio,target,met,type1_text,ioasid_text,note"
{
	echo "$hdr"
	echo "y,W1,4k,map,ms,5,100,99,101,105,104,106,50,1.05,ratio<=1,NO,,,"
	echo "y,W3,4k,map+unmap,us,5,30,29,31,27,26,28,20,0.90,ratio<=0.9,yes,,,"
	echo "y,W3,64k,map+unmap,us,5,30,30,30,24,20,27,20,0.80,ratio<=1,yes,,,"
	echo "y,W5,65535,mappings made,n,3,65535,65535,65535,65535,65535,65535,,,ioasid=65535,yes,,,"
	echo "y,W5,65535,unmap all per mapping,us,3,3.65,3.6,3.7,6.82,6.8,6.9,,1.87,-,-,,,"
	echo "y,W5,65535,slab per mapping,B,3,97,97,97,396,396,396,,4.08,-,-,,,"
	echo "y,W6,own-ioas-copy,open+domain+fill,ms,5,,,,12,11,13,,,-,-,,,"
} >"$b/results-y.csv"
{
	echo "${hdr//ioasid/iommufd}"
	echo "y,W1,4k,map,ms,5,100,99,101,100,99,101,,1.00,ratio<=1,yes,,,"
	echo "y,W3,4k,map+unmap,us,5,30,29,31,28.5,28,29,,0.95,ratio<=0.9,NO,,,"
	echo "y,W3,64k,map+unmap,us,5,30,30,30,21,18,27,,0.70,ratio<=1,yes,,,"
	echo "y,W5,65535,mappings made,n,3,65535,65535,65535,65535,65535,65535,,,iommufd=65535,yes,,,"
	echo "y,W5,65535,unmap all per mapping,us,3,3.5,3.4,3.6,4.2,4.1,4.3,,1.20,-,-,,,"
	echo "y,W5,65535,slab per mapping,B,3,100,100,100,300,300,300,,3.00,-,-,,,"
	echo "y,W6,own-ioas-copy,open+domain+fill,ms,5,,,,10,9,11,,,-,-,,,"
} >"$b/results-y-upstream.csv"
{
	echo "| workload | case | metric | unit | type1 median [min-max] | ioasid median [min-max] | floor | ioasid/type1 | target | met |"
	echo "|---|---|---|---|---|---|---|---|---|---|"
	echo "| W5 | 65535 | unmap all per mapping | us | 3.65 [3.6-3.7] | 6.82 [6.8-6.9] | - | 1.87 | - | - |"
} >"$b/table-y.md"
{
	echo "| workload | case | metric | unit | type1 median [min-max] | iommufd median [min-max] | floor | iommufd/type1 | target | met |"
	echo "|---|---|---|---|---|---|---|---|---|---|"
	echo "| W5 | 65535 | unmap all per mapping | us | 3.50 [3.4-3.6] | 4.20 [4.1-4.3] | - | 1.20 | - | - |"
} >"$b/table-y-upstream.md"
# Per-repetition values: W5 unmap all 3 and 3 repetitions, every ioasid
# ratio above every upstream one raised by 10 % (p = 1/20: shown worse);
# W3 64k 5 and 5, the medians 0.80 against 0.70 but the repetitions
# mixed (within noise); W5 slab has none (the medians decide)
{
	echo "iommu,workload,case,metric,unit,side,rep,value"
	for i in 1 2 3; do
		echo "y,W5,65535,unmap all per mapping,us,type1,$i,3.6$i"
		echo "y,W5,65535,unmap all per mapping,us,ioasid,$i,6.8$i"
		echo "y,W5,65535,unmap all per mapping,us,floor,$i,1"
	done
	i=0
	for v in 24 20 27 21 24; do
		i=$((i + 1))
		echo "y,W3,64k,map+unmap,us,type1,$i,30"
		echo "y,W3,64k,map+unmap,us,ioasid,$i,$v"
	done
} >"$b/samples-y.csv"
{
	echo "iommu,workload,case,metric,unit,side,rep,value"
	for i in 1 2 3; do
		echo "y,W5,65535,unmap all per mapping,us,type1,$i,3.5$i"
		echo "y,W5,65535,unmap all per mapping,us,iommufd,$i,4.2$i"
	done
	i=0
	for v in 21 27 18 24 21; do
		i=$((i + 1))
		echo "y,W3,64k,map+unmap,us,type1,$i,30"
		echo "y,W3,64k,map+unmap,us,iommufd,$i,$v"
	done
} >"$b/samples-y-upstream.csv"
: >"$b/counts-y.csv"
: >"$b/counts-y-upstream.csv"

# The scratch tree's bench.sh for IOMMUs x and y, the upstream VM of y
# starting at load average $1
run_up() {
	setup "$b/setup-x.txt" 0.20 0
	setup "$b/setup-y.txt" 0.20 0
	setup "$b/setup-y-upstream.txt" "$1" 0
	echo "kernel 6.12.0-test-upstream" >>"$b/setup-y-upstream.txt"
	echo "published before" >"$tree/Documentation/bench/results.md"
	rm -f "$tree/Documentation/bench/results-y-upstream.csv"
	env -u BENCH_MAX_LOAD -u BENCH_UPSTREAM_MARGIN BENCH_REPORT_ONLY=1 \
		BENCH_IOMMUS="x y" "$tree/scripts/bench.sh" >"$tmp/out.log" 2>&1
}

run_up 0.20
check upstream/runs test -s "$md"
check upstream/column grep -q '^### y: ioasid on 6.1 against upstream iommufd on 6.12' "$md"
check upstream/row-better grep -qxF '| W3 | 4k | map+unmap | us | 0.90 | 0.95 | ratio<=1.04 | yes |' "$md"
check upstream/row-within-margin grep -qxF '| W1 | 4k | map | ms | 1.05 | 1.00 | ratio<=1.10 | yes |' "$md"
check upstream/row-worse grep -qxF '| W5 | 65535 | unmap all per mapping | us | 1.87 | 1.20 | ratio<=1.32 | NO |' "$md"
check upstream/slab-worse grep -qxF '| W5 | 65535 | slab per mapping | B | 4.08 | 3.00 | ratio<=3.30 | NO |' "$md"
check upstream/counts-not-compared not grep -q '^| W5 | 65535 | mappings made | n | [0-9]' "$md"
check upstream/no-type1-not-compared not grep -q '^| W6 | own-ioas-copy | open+domain+fill | ms | [0-9]' "$md"
check upstream/target-missed grep -qxF -e "- y W5 65535 slab per mapping: ratio 4.08, upstream iommufd's 3.00 (target ratio<=3.30, upstream +10 %): **missed**" "$md"
check upstream/within-margin-not-listed not grep -q '^- y W1 4k map: ratio 1.05, upstream' "$md"
check upstream/target-count grep -qxF -e "- y against upstream iommufd: 2 of 5 rows with a ratio at most 10 % above upstream's, 1 more within noise: met" "$md"
check upstream/row-noise grep -qxF '| W3 | 64k | map+unmap | us | 0.80 | 0.70 | ratio<=0.77 | noise |' "$md"
check upstream/target-noise grep -qxF -e "- y W3 64k map+unmap: ratio 0.80, upstream iommufd's 0.70 (target ratio<=0.77, upstream +10 %, p=0.544 over 5 and 5 repetitions): within noise, not shown worse" "$md"
check upstream/target-shown-worse grep -qxF -e "- y W5 65535 unmap all per mapping: ratio 1.87, upstream iommufd's 1.20 (target ratio<=1.32, upstream +10 %, p=0.050 over 3 and 3 repetitions): **missed**" "$md"
check upstream/full-table grep -qxF '| W5 | 65535 | unmap all per mapping | us | 3.50 [3.4-3.6] | 4.20 [4.1-4.3] | - | 1.20 | - | - |' "$md"
check upstream/vm-line grep -q '^VM: Linux 6.12.0-test-upstream (Debian' "$md"
check upstream/missing-no-column not grep -q '^### x: .*upstream' "$md"
check upstream/missing-no-target not grep -q '^- x .*upstream' "$md"
check upstream/published test -s "$tree/Documentation/bench/results-y-upstream.csv"
check upstream/chart-series grep -qxF "$(printf 'y-upstream\t"W5 65535 unmap all per mapping"\t1.20')" "$b/ratios.dat"
check upstream/margin-knob env BENCH_UPSTREAM_MARGIN=200 BENCH_REPORT_ONLY=1 \
	BENCH_IOMMUS=y BENCH_PUBLISH=0 "$tree/scripts/bench.sh"
check upstream/margin-knob-applies grep -qxF '| W5 | 65535 | slab per mapping | B | 4.08 | 3.00 | ratio<=9.00 | yes |' "$md"

run_up 3.50
check upstream-busy/not-published grep -qx 'published before' "$doc"
check upstream-busy/says-why grep -q '^\*\*Unreliable run\*\* (y-upstream: load average 3.50' "$md"
check upstream-busy/row-marked grep -qxF '| W5 | 65535 | unmap all per mapping | us | 1.87 (unreliable) | 1.20 (unreliable) | ratio<=1.32 | unreliable |' "$md"
check upstream-busy/table-marked grep -qF '| 1.20 (unreliable) | - | - |' "$md"
check upstream-busy/target-unjudged grep -q '^- y W5 65535 unmap all per mapping: .*: unreliable$' "$md"
check upstream-busy/count-unjudged grep -q '^- y against upstream iommufd: ? of 5 rows .*: unreliable$' "$md"

# The guest's own verdicts (ioasid-bench --check-verdicts): a ratio target
# the medians miss is missed only if the sign test on the repetitions'
# ratios shows it, or if there are too few repetitions to tell
if make -s -C "$top/tools/testing/bench" OUTPUT="$tmp/bench" \
	>"$tmp/bench-build.log" 2>&1; then
	"$tmp/bench/ioasid-bench" --check-verdicts >"$tmp/verdicts.log"
	vrc=$?
	sed 's#^\(PASS\|FAIL\) #\1 bench/#' "$tmp/verdicts.log"
	if [ $vrc -ne 0 ] || [ "$(grep -c '^PASS ' "$tmp/verdicts.log")" -ne 7 ]; then
		echo "FAIL bench/verdict-run: status $vrc, $(grep -c '^PASS ' "$tmp/verdicts.log") of 7 passed"
	fi
else
	echo "FAIL bench/verdict-build: make -C tools/testing/bench failed"
	sed 's/^/# /' "$tmp/bench-build.log"
fi
