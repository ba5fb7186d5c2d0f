#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# make bench: ioasid against VFIO type1, side by side in one VM per IOMMU.
# Builds the modules and tools/testing/bench/ioasid-bench, boots a VM with
# emulated VT-d (interrupt remapping on) and then one with AMD-Vi, each with
# four edu devices (two on vfio-pci, two on vfio-ioasid-pci), runs the
# benchmark (tools/testing/vm/bench-guest.sh) and collects:
#   build/bench/results-<iommu>.csv   medians, spread, ratio, floor, targets
#   build/bench/samples-<iommu>.csv   every measurement
#   build/bench/counts-<iommu>.csv    iommu_map calls, IOPTE sizes, syncs
#   build/bench/table-<iommu>.txt     the table printed at the end
#   build/bench/results.md            both tables, the date and the VM setup
#   build/bench/ratios.svg            ioasid/type1 per metric (gnuplot)
# and copies the CSVs, results.md and the chart to Documentation/bench/,
# but only if the host was quiet: a VM that started at a 1-minute load
# average above BENCH_MAX_LOAD (1.0) or next to another QEMU makes the run
# unreliable (scripts/bench-trust.sh): it is not published, and its
# results.md marks every ratio "(unreliable)".  BENCH_PUBLISH=force
# publishes it anyway, marked.  results.md compares with the results
# published before the run (kept in build/bench/prev/).
# Documentation/dev-tools/bench.rst describes the method.
#
# Environment: BENCH_IOMMUS="intel-ir amd" (the VMs to boot),
# BENCH_PUBLISH=0 (leave Documentation/bench/ alone) or force (publish
# an unreliable run too), BENCH_MAX_LOAD (1.0), BENCH_REPORT_ONLY=1
# (boot nothing, redo the report from build/bench), BENCH_MEM (guest
# memory, default 6G), and the BENCH_* knobs of ioasid-bench (BENCH_REPS,
# BENCH_SIZE, BENCH_CHURN, BENCH_SCALE, BENCH_PAR, BENCH_ONLY,
# BENCH_NOCOUNT), which reach the guest on the kernel command line.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
out=$top/build/bench
doc=$top/Documentation/bench
iommus=${BENCH_IOMMUS:-intel-ir amd}
mem=${BENCH_MEM:-6G}

scripts/setup.sh
if ! command -v gnuplot >/dev/null; then
	if [ "$(id -u)" -eq 0 ]; then
		echo "bench: installing gnuplot-nox for the chart"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends gnuplot-nox >/dev/null ||
			{ apt-get update -qq &&
			  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
				--no-install-recommends gnuplot-nox >/dev/null; } ||
			echo "bench: gnuplot-nox did not install; no chart" >&2
	else
		echo "bench: gnuplot is missing (apt-get install gnuplot-nox); no chart" >&2
	fi
fi
if [ "${BENCH_REPORT_ONLY:-0}" != 1 ]; then
	make -s test-modules
	make -s -C tools/testing/bench OUTPUT="$out"
fi
mkdir -p "$out"

# The benchmark's knobs travel on the kernel command line
knobs=""
for v in BENCH_REPS BENCH_SIZE BENCH_CHURN BENCH_SCALE BENCH_PAR BENCH_ONLY \
	 BENCH_NOCOUNT; do
	[ -n "${!v:-}" ] && knobs="$knobs $v=${!v}"
done

# Split a results.log into its @@FILE sections
extract() {
	local log=$1 iommu=$2
	tr -d '\r' <"$log" | awk -v dir="$out" -v tag="$iommu" '
		/^@@FILE / { name = $2; sub(/\./, "-" tag ".", name)
			     file = dir "/" name; printf "" >file; next }
		/^@@END / { close(file); file = ""; next }
		/^@@INFO / { sub(/^@@INFO /, ""); print >(dir "/setup-" tag ".txt"); next }
		file != "" { print >>file }'
}

# The published results before this run, for the comparison in results.md
if [ "${BENCH_REPORT_ONLY:-0}" != 1 ] && ls "$doc"/results-*.csv >/dev/null 2>&1; then
	rm -rf "$out/prev"
	mkdir -p "$out/prev"
	cp "$doc"/results-*.csv "$out/prev/"
	sed -n 's/^Measured \([^`]*\) by .*/\1/p' "$doc/results.md" 2>/dev/null |
		head -n 1 >"$out/prev/date"
	git -C "$top" log -1 --format=%h -- Documentation/bench/results.md \
		>"$out/prev/commit" 2>/dev/null || true
fi

start=$(date +%s)
rc=0
# BENCH_REPORT_ONLY=1: only redo the tables, chart and results.md from
# what build/bench holds
[ "${BENCH_REPORT_ONLY:-0}" = 1 ] && vm_iommus="" || vm_iommus=$iommus
for iommu in $vm_iommus; do
	vmout=$top/build/vm/bench-$iommu
	rm -f "$out"/*-"$iommu".* 2>/dev/null || true
	load_before=$(cut -d' ' -f1-3 /proc/loadavg)
	# Other VMs on the host (ours is not running yet)
	others=$(pgrep -c qemu-system-x86 2>/dev/null || true)
	echo "bench: $iommu: booting the VM (host load average $load_before)"
	if awk -v l="${load_before%% *}" -v m="${BENCH_MAX_LOAD:-1.0}" \
		'BEGIN { exit !(l + 0 > m + 0) }' || [ "${others:-0}" -gt 0 ]; then
		echo "bench: $iommu: the host is busy (load average ${load_before%% *}," \
			"${others:-0} other QEMU): this run's ratios will be marked" \
			"unreliable and not published" >&2
	fi
	t0=$(date +%s)
	mkdir -p "$vmout"
	: >"$vmout/console.log"
	tools/testing/vm/vm.sh --iommu "$iommu" --mem "$mem" --smp 2 \
		--timeout 3000 --out "$vmout" \
		--append "no_timer_check hugepagesz=1G hugepages=1 hugepagesz=2M hugepages=520 default_hugepagesz=2M$knobs" \
		--kmod vfio-pci --kmod vfio_iommu_type1 --kmod vfio-pci-core \
		--add "$top/build/ktest/drivers/ioasid/ioasid-core.ko:/lib/modules/ioasid-core.ko" \
		--add "$top/build/ktest/drivers/vfio/pci/ioasid/vfio-ioasid-pci.ko:/lib/modules/vfio-ioasid-pci.ko" \
		--add "$out/ioasid-bench:/root/ioasid-bench" \
		--script "$top/tools/testing/vm/bench-guest.sh" \
		--qemu "-device edu -device edu -device edu -device edu" &
	vm_pid=$!
	# Progress while it runs: the benchmark's workload and repetition
	# lines from the guest's console
	tail -n +1 -F --pid="$vm_pid" "$vmout/console.log" 2>/dev/null |
		grep --line-buffered -E '^#+ W[0-9]' |
		sed -u -e 's/\r$//' -e "s/^#* */bench: $iommu: /"
	vm_rc=0
	wait "$vm_pid" || vm_rc=$?
	secs=$(( $(date +%s) - t0 ))
	extract "$vmout/results.log" "$iommu"
	{
		echo "host-load-before $load_before"
		echo "host-load-after $(cut -d' ' -f1-3 /proc/loadavg)"
		echo "vm-seconds $secs"
		echo "host-other-vms ${others:-0}"
	} >>"$out/setup-$iommu.txt"
	if [ $vm_rc -ne 0 ] || [ ! -s "$out/results-$iommu.csv" ]; then
		echo "bench: $iommu: the run failed (status $vm_rc); see $vmout/console.log" >&2
		rc=1
		continue
	fi
	echo
	echo "=== $iommu ($(sed -n 's/^memory //p' "$out/setup-$iommu.txt") guest," \
		"VM run ${secs}s; ratio = ioasid median / type1 median)"
	cat "$out/table-$iommu.txt"
	echo
done

# Was every VM started on a quiet host?
setups=()
for iommu in $iommus; do
	[ -s "$out/setup-$iommu.txt" ] && setups+=("$out/setup-$iommu.txt")
done
if trust=$(scripts/bench-trust.sh verdict "${setups[@]}"); then
	reliable=1
else
	reliable=0
	echo "bench: $trust" >&2
fi

# The chart: ioasid/type1 of every timed metric that has a type1 median
chart_data=$out/ratios.dat
: >"$chart_data"
for iommu in $iommus; do
	[ -s "$out/results-$iommu.csv" ] || continue
	awk -F, -v tag="$iommu" 'NR > 1 && $14 != "" && ($5 == "ms" || $5 == "us") {
		printf "%s\t\"%s %s %s\"\t%s\n", tag, $2, $3, $4, $14 }' \
		"$out/results-$iommu.csv" >>"$chart_data"
done
chart=""
if command -v gnuplot >/dev/null && [ -s "$chart_data" ]; then
	# One column per IOMMU, metrics in the order of the first IOMMU
	awk -F'\t' -v list="$iommus" '
		BEGIN { n = split(list, io, " ") }
		{ if (!($2 in seen)) { seen[$2] = 1; order[++m] = $2 }
		  v[$2, $1] = $3 }
		END { printf "metric"; for (i = 1; i <= n; i++) printf "\t%s", io[i]; print ""
		      for (j = 1; j <= m; j++) { printf "%s", order[j]
			for (i = 1; i <= n; i++) printf "\t%s", ((order[j], io[i]) in v) ? v[order[j], io[i]] : "NaN"
			print "" } }' "$chart_data" >"$out/ratios.tsv"
	ncol=$(echo "$iommus" | wc -w)
	gnuplot <<EOF || echo "bench: gnuplot failed" >&2
set terminal svg size 1100,560 dynamic font "sans,11"
set output "$out/ratios.svg"
set title "ioasid / VFIO type1, median time per metric ($(date -u +%Y-%m-%d); lower is better)$([ $reliable = 1 ] || echo ": UNRELIABLE, busy host")"
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set datafile separator "\t"
set logscale y
set yrange [0.005:50]
set ylabel "ratio ioasid / type1 (log)"
set xtics rotate by -40 left font "sans,9"
set key top left
set grid ytics
set arrow from graph 0, first 1 to graph 1, first 1 nohead lw 2 lc rgb "red"
set arrow from graph 0, first 0.5 to graph 1, first 0.5 nohead dt 2 lc rgb "red"
set label "1.0" at graph 1.005, first 1 tc rgb "red"
set label "0.5" at graph 1.005, first 0.5 tc rgb "red"
set bmargin 9
set rmargin 10
plot for [i=2:$((ncol + 1))] "$out/ratios.tsv" using i:xtic(1) title columnheader(i)
EOF
	[ -s "$out/ratios.svg" ] && chart=$out/ratios.svg
fi

# results.md: the date, the VM setup and both tables
{
	echo "# ioasid vs VFIO type1: benchmark results"
	echo
	echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') by \`make bench\`" \
		"(scripts/bench.sh, method in Documentation/dev-tools/bench.rst)."
	echo "Host: $(nproc) CPUs, QEMU $(qemu-system-x86_64 --version | sed -n '1s/.*version \([^ ]*\).*/\1/p') TCG (no KVM)."
	if [ $reliable = 1 ]; then
		echo "Run conditions: reliable: every VM started with a 1-minute host" \
			"load average of at most ${BENCH_MAX_LOAD:-1.0} and no other QEMU running."
	else
		echo "**Unreliable run** (${trust#unreliable: }). Every ratio below" \
			"is marked \"(unreliable)\" and no target counts as met or missed:" \
			"a busy host overstates or hides the gaps. Rerun on a quiet host."
	fi
	echo
	for iommu in $iommus; do
		[ -s "$out/table-$iommu.md" ] || continue
		s=$out/setup-$iommu.txt
		echo "## $iommu"
		echo
		echo "VM: Debian $(sed -n 's/^kernel //p' "$s"), $(sed -n 's/^cpus //p' "$s") vCPUs," \
			"$(sed -n 's/^memory //p' "$s") RAM, hugetlb pools 2M x $(sed -n 's/^hugepages-2M //p' "$s")" \
			"and 1G x $(sed -n 's/^hugepages-1G //p' "$s") (pdpe1gb $(sed -n 's/^pdpe1gb //p' "$s")), THP $(sed -n 's/^thp //p' "$s")," \
			"four edu devices ($(sed -n 's/^type1 //p' "$s"))." \
			"Host load average before/after: $(sed -n 's/^host-load-before //p' "$s") / $(sed -n 's/^host-load-after //p' "$s")," \
			"other QEMU processes at boot: $(sed -n 's/^host-other-vms //p' "$s");" \
			"VM run $(sed -n 's/^vm-seconds //p' "$s") s."
		echo
		if [ $reliable = 1 ]; then
			cat "$out/table-$iommu.md"
		else
			scripts/bench-trust.sh mark <"$out/table-$iommu.md"
		fi
		echo
	done
	# Against the results published before this run (same rows only)
	if [ -d "$out/prev" ]; then
		echo "## Against the previous run"
		echo
		echo "Previous: the results published in Documentation/bench/ before this run" \
			"($(cat "$out/prev/date" 2>/dev/null)$( [ -s "$out/prev/commit" ] && echo ", commit $(cat "$out/prev/commit")"))." \
			"Rows with a target, every IOTLB sync count and W4; rows whose name" \
			"changed (W6 own-domain) are not matched."
		echo
		echo "| iommu | workload | case | metric | unit | type1 before | type1 now | ioasid before | ioasid now | ratio before | ratio now |"
		echo "|---|---|---|---|---|---|---|---|---|---|---|"
		for iommu in $iommus; do
			if [ ! -s "$out/results-$iommu.csv" ] || [ ! -s "$out/prev/results-$iommu.csv" ]; then
				continue
			fi
			awk -F, -v mark="$([ $reliable = 1 ] || echo " (unreliable)")" 'function f(v,  x) { if (v == "") return "-"
					if (v !~ /^[-+0-9.e]+$/) return v
					x = v + 0
					return x == int(x) ? sprintf("%d", x) : sprintf("%.4g", x) }
				NR == FNR { if (FNR > 1) { k = $2 SUBSEP $3 SUBSEP $4
					t[k] = $7; i[k] = $10; r[k] = $14; have[k] = 1 }
					next }
				FNR == 1 { next }
				{ k = $2 SUBSEP $3 SUBSEP $4 }
				have[k] && ($15 != "-" || $4 ~ /^IOTLB syncs/ || $2 == "W4") {
					printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
						$1, $2, $3, $4, $5, f(t[k]), f($7), f(i[k]), f($10),
						f(r[k]), f($14) ($14 == "" ? "" : mark) }' \
				"$out/prev/results-$iommu.csv" "$out/results-$iommu.csv"
		done
		echo
	fi
	echo "## Targets"
	echo
	echo "Ratio = ioasid median / type1 median, same boot."
	echo
	for iommu in $iommus; do
		[ -s "$out/results-$iommu.csv" ] || continue
		awk -F, -v tag="$iommu" -v reliable=$reliable 'NR > 1 && $15 != "-" && $15 != "" {
			v = ($15 ~ /^ratio/) ? "ratio " $14 : sprintf("ioasid %.10g", $10)
			m = ($16 == "yes") ? "met" : "**missed**"
			if (!reliable) m = "unreliable"
			printf "- %s %s %s %s: %s (target %s): %s\n", tag, $2, $3, $4, v, $15, m }' \
			"$out/results-$iommu.csv"
	done
} >"$out/results.md"

publish=${BENCH_PUBLISH:-1}
if [ "$publish" = 1 ] && [ $reliable = 0 ]; then
	echo "bench: not published (the host was busy); build/bench/results.md" \
		"has the run with every ratio marked unreliable; BENCH_PUBLISH=force" \
		"publishes it anyway" >&2
	publish=0
fi
if [ "$publish" != 0 ] && [ $rc -eq 0 ]; then
	mkdir -p "$doc"
	cp "$out/results.md" "$doc/results.md"
	for iommu in $iommus; do
		cp "$out/results-$iommu.csv" "$out/counts-$iommu.csv" "$doc/"
	done
	[ -n "$chart" ] && cp "$chart" "$doc/ratios.svg"
	echo "bench: published results.md, the CSVs and the chart in ${doc#"$top"/}"
fi
echo "bench: done in $(( $(date +%s) - start ))s; results in ${out#"$top"/}"
exit $rc
