#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Can the ratios of a make bench run be trusted?  A run measured while the
# host was busy overstates or hides gaps (the 2026-12-03 results, taken at
# a load average of about 4 next to another VM, showed W3 4 KiB at 1.58
# where a quiet host measures 0.96), so scripts/bench.sh asks this script
# before it publishes anything.
#
#   bench-trust.sh probe
#       Times a fixed piece of single-threaded work on the host (an awk
#       loop, about 0.13 s on the 2-core machines of 2026-12) ten times,
#       0.3 s apart, and prints the fastest and the median in
#       milliseconds.  The load average cannot see a host whose cores are
#       slowed from outside (a shared machine, clock changes): on
#       2026-12-07 a run at load average 0.7-0.9 found type1 itself taking
#       twice as long as in a run two hours before, and on an idle host
#       on 2026-12-08 the loop took either about 125 or about 170 ms,
#       switching within seconds.  The fastest of ten is steady to about
#       5 %; the median says how much of the time the host ran slow.
#
#   bench-trust.sh verdict SETUP...
#       SETUP: build/bench/setup-<iommu>.txt of each VM run, with the
#       host-load-before, host-other-vms, host-probe-before and
#       host-probe-after lines bench.sh records just before the VM boots
#       and after it ends.  Prints "reliable" and exits 0 when every run
#       started with a 1-minute load average of at most BENCH_MAX_LOAD (1.0
#       by default) and no other QEMU process, and when no probe of the
#       run took more than BENCH_MAX_SLOWDOWN (1.25) times the run's
#       fastest: the host kept one speed from the first VM to the last,
#       so the ratios of one VM and those across VMs (the upstream
#       column) were measured alike.  Otherwise prints "unreliable: " and
#       the reasons, and exits 1.  A file without those lines is a reason
#       too: nothing says the host was quiet.
#
#   bench-trust.sh mark <TABLE >MARKED
#       The markdown result table of one IOMMU with every ratio and every
#       "met" marked unreliable: "0.96" becomes "0.96 (unreliable)", a
#       met column "yes", "NO" or "noise" becomes "unreliable".  Ratio
#       columns are those whose header has "/type1" (ioasid/type1,
#       iommufd/type1, and both in the table against upstream iommufd).
set -euo pipefail

max_load=${BENCH_MAX_LOAD:-1.0}
max_slowdown=${BENCH_MAX_SLOWDOWN:-1.25}

probe() {
	local t0 t1 us=""

	for _ in 1 2 3 4 5 6 7 8 9 10; do
		t0=$(date +%s%N)
		awk 'BEGIN { for (i = 0; i < 2000000; i++) x += i % 7 }'
		t1=$(date +%s%N)
		us="$us $(( (t1 - t0) / 1000 ))"
		sleep 0.3
	done
	echo "$us" | tr ' ' '\n' | sed '/^$/d' | sort -n |
		awk '{ v[NR] = $1 }
		     END { printf "%.1f %.1f\n", v[1] / 1000, (v[5] + v[6]) / 2000 }'
}

# The fastest probe of all the files, empty if none has one
fastest_probe() {
	sed -n 's/^host-probe-\(before\|after\) \([0-9][0-9.]*\).*/\2/p' "$@" \
		2>/dev/null | sort -g | head -n 1
}

verdict() {
	local f reasons="" load others iommu pb pa fastest slow

	[ $# -gt 0 ] || { echo "unreliable: no VM run recorded"; return 1; }
	fastest=$(fastest_probe "$@")
	for f in "$@"; do
		iommu=${f##*/setup-}
		iommu=${iommu%.txt}
		load=$(sed -n 's/^host-load-before \([^ ]*\).*/\1/p' "$f" 2>/dev/null)
		others=$(sed -n 's/^host-other-vms //p' "$f" 2>/dev/null)
		if [ -z "$load" ] || [ -z "$others" ]; then
			reasons="$reasons; $iommu: the host's load was not recorded"
			continue
		fi
		if awk -v l="$load" -v m="$max_load" 'BEGIN { exit !(l + 0 > m + 0) }'; then
			reasons="$reasons; $iommu: load average $load at the start (above $max_load)"
		fi
		if [ "$others" -gt 0 ]; then
			reasons="$reasons; $iommu: $others other QEMU process(es) running"
		fi
		pb=$(sed -n 's/^host-probe-before \([0-9][0-9.]*\).*/\1/p' "$f")
		pa=$(sed -n 's/^host-probe-after \([0-9][0-9.]*\).*/\1/p' "$f")
		if [ -z "$pb" ] || [ -z "$pa" ]; then
			reasons="$reasons; $iommu: the host's speed was not recorded"
			continue
		fi
		slow=$(awk -v b="$pb" -v a="$pa" -v f="$fastest" -v m="$max_slowdown" '
			BEGIN {
				w = b > a ? b : a
				if (w > f * m)
					printf "%.2f", w / f
			}')
		if [ -n "$slow" ]; then
			reasons="$reasons; $iommu: the host probe's fastest took $pb ms before and $pa ms after the VM, up to ${slow}x the run's fastest $fastest ms (above $max_slowdown)"
		fi
	done
	if [ -n "$reasons" ]; then
		echo "unreliable: ${reasons#; }"
		return 1
	fi
	echo "reliable"
}

# The table's header names its columns: mark the ratio and "met" ones
mark() {
	awk -F'|' -v OFS='|' '
		/^\| *workload *\|/ {
			split("", rc)
			for (i = 2; i < NF; i++) {
				h = $i; gsub(/^ +| +$/, "", h)
				if (h ~ /\/type1/) rc[i] = 1
				if (h == "met") mc = i
			}
			print; next
		}
		/^\|---/ || !/^\|/ { print; next }
		{
			for (i in rc) {
				v = $i; gsub(/^ +| +$/, "", v)
				if (v != "-" && v != "")
					$i = " " v " (unreliable) "
			}
			v = $mc; gsub(/^ +| +$/, "", v)
			if (mc && v != "-" && v != "")
				$mc = " unreliable "
			print
		}'
}

case "${1:-}" in
probe) probe ;;
verdict) shift; verdict "$@" ;;
mark) mark ;;
*) echo "usage: bench-trust.sh probe | verdict SETUP... | mark <TABLE" >&2; exit 2 ;;
esac
