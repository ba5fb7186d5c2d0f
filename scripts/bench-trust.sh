#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Can the ratios of a make bench run be trusted?  A run measured while the
# host was busy overstates or hides gaps (the 2026-12-03 results, taken at
# a load average of about 4 next to another VM, showed W3 4 KiB at 1.58
# where a quiet host measures 0.96), so scripts/bench.sh asks this script
# before it publishes anything.
#
#   bench-trust.sh verdict SETUP...
#       SETUP: build/bench/setup-<iommu>.txt of each VM run, with the
#       host-load-before and host-other-vms lines bench.sh records just
#       before the VM boots.  Prints "reliable" and exits 0 when every
#       run started with a 1-minute load average of at most BENCH_MAX_LOAD
#       (1.0 by default) and no other QEMU process; otherwise prints
#       "unreliable: " and the reasons, and exits 1.  A file without
#       those lines is a reason too: nothing says the host was quiet.
#
#   bench-trust.sh mark <TABLE >MARKED
#       The markdown result table of one IOMMU with every ratio and every
#       "met" marked unreliable: "0.96" becomes "0.96 (unreliable)", a
#       met column "yes" or "no" becomes "unreliable".  Ratio columns are
#       those whose header has "/type1" (ioasid/type1, iommufd/type1, and
#       both in the table against upstream iommufd).
set -euo pipefail

max_load=${BENCH_MAX_LOAD:-1.0}

verdict() {
	local f reasons="" load others iommu

	[ $# -gt 0 ] || { echo "unreliable: no VM run recorded"; return 1; }
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
verdict) shift; verdict "$@" ;;
mark) mark ;;
*) echo "usage: bench-trust.sh verdict SETUP... | mark <TABLE" >&2; exit 2 ;;
esac
