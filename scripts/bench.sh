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
# Upstream iommufd as a third column: when the upstream kernel of make
# bench-upstream is cached (scripts/debug-kernel.sh KERNEL_FLAVOUR=upstream:
# Debian's 6.12 with iommufd, VFIO and vfio-pci built in), each IOMMU's 6.1
# VM is followed by one booting that kernel in the same setup, running the
# same workloads with type1 against upstream iommufd (/dev/iommu and the
# stock vfio-pci's cdev): build/bench/*-<iommu>-upstream.*.  results.md
# then shows ioasid/type1 on 6.1 next to iommufd/type1 on 6.12 per row, and
# a row where ioasid's ratio is more than 10 % above upstream's
# (BENCH_UPSTREAM_MARGIN) is a missed target.  The trust rule covers these
# VMs too.
#
# Environment: BENCH_IOMMUS="intel-ir amd" (the VMs to boot),
# BENCH_PUBLISH=0 (leave Documentation/bench/ alone) or force (publish
# an unreliable run too), BENCH_MAX_LOAD (1.0), BENCH_SETTLE (180: seconds
# each VM waits at most for the load average to fall below BENCH_MAX_LOAD,
# which the previous VM of the run raised), BENCH_REPORT_ONLY=1
# (boot nothing, redo the report from build/bench), BENCH_MEM (guest
# memory, default 6G), and the BENCH_* knobs of ioasid-bench (BENCH_REPS,
# BENCH_SIZE, BENCH_CHURN, BENCH_SCALE, BENCH_PAR, BENCH_ONLY,
# BENCH_NOCOUNT), which reach the guest on the kernel command line.
# BENCH_UPSTREAM: auto (default: the upstream VMs if the kernel is cached),
# 0 (never), 1 (required), only (the upstream VMs alone, next to the 6.1
# results already in build/bench; what make bench-upstream runs);
# UPSTREAM_KERNEL_DIR: the upstream kernel's cache (default
# ~/.cache/ioasid-upstream-kernel).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
out=$top/build/bench
doc=$top/Documentation/bench
iommus=${BENCH_IOMMUS:-intel-ir amd}
mem=${BENCH_MEM:-6G}
# ioasid's ratio may exceed upstream's by this many percent (noise)
margin=${BENCH_UPSTREAM_MARGIN:-10}

# The upstream kernel, from the env file scripts/debug-kernel.sh leaves
upstream=${BENCH_UPSTREAM:-auto}
upstream_env=${UPSTREAM_KERNEL_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ioasid-upstream-kernel}/env
upstream_image=""
if [ "${BENCH_REPORT_ONLY:-0}" != 1 ] && [ "$upstream" != 0 ]; then
	if [ -r "$upstream_env" ]; then
		upstream_image=$(sed -n 's/^DEBUG_KERNEL_IMAGE=//p' "$upstream_env")
	fi
	if [ -n "$upstream_image" ] && [ -r "$upstream_image" ]; then
		upstream=${upstream/auto/1}
	elif [ "$upstream" = auto ]; then
		echo "bench: no upstream kernel (make bench-upstream builds it): no upstream iommufd column"
		upstream=0
	else
		echo "bench: no upstream kernel in ${upstream_env%/env}; run make bench-upstream" >&2
		exit 1
	fi
fi

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
	[ "$upstream" = only ] || make -s test-modules
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

# One VM: IOMMU $1, tag $2 (the IOMMU, or <iommu>-upstream for the
# upstream kernel, whose VM has no modules to load: VFIO, vfio-pci and
# iommufd are built in).  Its files in build/bench are named after the tag.
run_vm() {
	local iommu=$1 tag=$2 vmout=$top/build/vm/bench-$2 side=ioasid
	local load_before others probe_before t0 secs vm_pid vm_rc=0
	local vm=(tools/testing/vm/vm.sh) what=()

	if [ "$tag" = "$iommu" ]; then
		what=(--kmod vfio-pci --kmod vfio_iommu_type1 --kmod vfio-pci-core
			--add "$top/build/ktest/drivers/ioasid/ioasid-core.ko:/lib/modules/ioasid-core.ko"
			--add "$top/build/ktest/drivers/vfio/pci/ioasid/vfio-ioasid-pci.ko:/lib/modules/vfio-ioasid-pci.ko"
			--append "$knobs")
	else
		side=iommufd
		vm=(env VM_KERNEL="$upstream_image" "${vm[@]}")
		what=(--append "$knobs BENCH_UPSTREAM=1")
	fi
	rm -f "$out"/*-"$tag".* 2>/dev/null || true
	# The previous VM of this run kept both CPUs busy: let the 1-minute
	# load average decay below the limit first (it halves in about 42 s),
	# for at most BENCH_SETTLE seconds; what it is then is recorded
	settle_end=$(( $(date +%s) + ${BENCH_SETTLE:-180} ))
	while awk -v l="$(cut -d' ' -f1 /proc/loadavg)" \
		-v m="${BENCH_MAX_LOAD:-1.0}" 'BEGIN { exit !(l + 0 > m + 0) }' &&
	      [ "$(date +%s)" -lt "$settle_end" ]; do
		sleep 5
	done
	load_before=$(cut -d' ' -f1-3 /proc/loadavg)
	# Other VMs on the host (ours is not running yet)
	others=$(pgrep -c qemu-system-x86 2>/dev/null || true)
	# How fast the host's cores run now, and again after the VM
	probe_before=$(scripts/bench-trust.sh probe)
	echo "bench: $tag: booting the VM (host load average $load_before)"
	if awk -v l="${load_before%% *}" -v m="${BENCH_MAX_LOAD:-1.0}" \
		'BEGIN { exit !(l + 0 > m + 0) }' || [ "${others:-0}" -gt 0 ]; then
		echo "bench: $tag: the host is busy (load average ${load_before%% *}," \
			"${others:-0} other QEMU): this run's ratios will be marked" \
			"unreliable and not published" >&2
	fi
	t0=$(date +%s)
	mkdir -p "$vmout"
	: >"$vmout/console.log"
	"${vm[@]}" --iommu "$iommu" --mem "$mem" --smp 2 \
		--timeout 3000 --out "$vmout" \
		--append "no_timer_check hugepagesz=1G hugepages=1 hugepagesz=2M hugepages=520 default_hugepagesz=2M" \
		"${what[@]}" \
		--add "$out/ioasid-bench:/root/ioasid-bench" \
		--script "$top/tools/testing/vm/bench-guest.sh" \
		--qemu "-device edu -device edu -device edu -device edu" &
	vm_pid=$!
	# Progress while it runs: the benchmark's workload and repetition
	# lines from the guest's console
	tail -n +1 -F --pid="$vm_pid" "$vmout/console.log" 2>/dev/null |
		grep --line-buffered -E '^#+ W[0-9]' |
		sed -u -e 's/\r$//' -e "s/^#* */bench: $tag: /"
	wait "$vm_pid" || vm_rc=$?
	secs=$(( $(date +%s) - t0 ))
	extract "$vmout/results.log" "$tag"
	{
		echo "host-load-before $load_before"
		echo "host-load-after $(cut -d' ' -f1-3 /proc/loadavg)"
		echo "vm-seconds $secs"
		echo "host-other-vms ${others:-0}"
		echo "host-probe-before $probe_before"
		echo "host-probe-after $(scripts/bench-trust.sh probe)"
	} >>"$out/setup-$tag.txt"
	if [ $vm_rc -ne 0 ] || [ ! -s "$out/results-$tag.csv" ]; then
		echo "bench: $tag: the run failed (status $vm_rc); see $vmout/console.log" >&2
		rc=1
		return 0
	fi
	echo
	echo "=== $tag ($(sed -n 's/^kernel //p' "$out/setup-$tag.txt")," \
		"$(sed -n 's/^memory //p' "$out/setup-$tag.txt") guest," \
		"VM run ${secs}s; ratio = $side median / type1 median)"
	cat "$out/table-$tag.txt"
	echo
}

start=$(date +%s)
rc=0
# BENCH_REPORT_ONLY=1: only redo the tables, chart and results.md from
# what build/bench holds
[ "${BENCH_REPORT_ONLY:-0}" = 1 ] && vm_iommus="" || vm_iommus=$iommus
for iommu in $vm_iommus; do
	[ "$upstream" = only ] || run_vm "$iommu" "$iommu"
	if [ "$upstream" = 0 ]; then
		# No upstream VM: an older run's files must not pass for this one's
		rm -f "$out"/*-"$iommu"-upstream.* 2>/dev/null || true
	else
		run_vm "$iommu" "$iommu-upstream"
	fi
done

# Was every VM started on a quiet host?  The upstream VMs' too
setups=()
for iommu in $iommus; do
	for f in "$out/setup-$iommu.txt" "$out/setup-$iommu-upstream.txt"; do
		[ -s "$f" ] && setups+=("$f")
	done
done
if trust=$(scripts/bench-trust.sh verdict "${setups[@]}"); then
	reliable=1
else
	reliable=0
	echo "bench: $trust" >&2
fi

# The chart: ioasid/type1 of every timed metric that has a type1 median,
# and iommufd/type1 where the upstream VM ran: one series per VM
chart_data=$out/ratios.dat
: >"$chart_data"
series=""
for iommu in $iommus; do
	for tag in "$iommu" "$iommu-upstream"; do
		[ -s "$out/results-$tag.csv" ] || continue
		series="$series $tag"
		awk -F, -v tag="$tag" 'NR > 1 && $14 != "" && ($5 == "ms" || $5 == "us") {
			printf "%s\t\"%s %s %s\"\t%s\n", tag, $2, $3, $4, $14 }' \
			"$out/results-$tag.csv" >>"$chart_data"
	done
done
chart=""
if command -v gnuplot >/dev/null && [ -s "$chart_data" ]; then
	# One column per VM, metrics in the order of the first; the upstream
	# VMs' columns say so
	awk -F'\t' -v list="$series" '
		BEGIN { n = split(list, io, " ") }
		{ if (!($2 in seen)) { seen[$2] = 1; order[++m] = $2 }
		  v[$2, $1] = $3 }
		END { printf "metric"
		      for (i = 1; i <= n; i++) {
			h = io[i]
			if (sub(/-upstream$/, "", h))
				h = h " iommufd 6.12"
			else
				h = h " ioasid 6.1"
			printf "\t%s", h
		      }
		      print ""
		      for (j = 1; j <= m; j++) { printf "%s", order[j]
			for (i = 1; i <= n; i++) printf "\t%s", ((order[j], io[i]) in v) ? v[order[j], io[i]] : "NaN"
			print "" } }' "$chart_data" >"$out/ratios.tsv"
	ncol=$(echo "$series" | wc -w)
	chart_title="ioasid / VFIO type1 on 6.1"
	width=1100
	if [[ "$series" == *-upstream* ]]; then
		chart_title="$chart_title and iommufd / type1 on 6.12"
		width=1500
	fi
	gnuplot <<EOF || echo "bench: gnuplot failed" >&2
set terminal svg size $width,560 dynamic font "sans,11"
set output "$out/ratios.svg"
set title "$chart_title, median time per metric ($(date -u +%Y-%m-%d); lower is better)$([ $reliable = 1 ] || echo ": UNRELIABLE, busy host")"
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set datafile separator "\t"
set logscale y
set yrange [0.005:50]
set ylabel "ratio to type1 in the same boot (log)"
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

# The setup of the VM tagged $1, one sentence
vm_line() {
	local s=$out/setup-$1.txt kernel

	kernel="Debian $(sed -n 's/^kernel //p' "$s")"
	case "$1" in
	*-upstream) kernel="Linux $(sed -n 's/^kernel //p' "$s") (Debian's 6.12 source and config, modules built in)" ;;
	esac
	echo "VM: $kernel, $(sed -n 's/^cpus //p' "$s") vCPUs," \
		"$(sed -n 's/^memory //p' "$s") RAM, hugetlb pools 2M x $(sed -n 's/^hugepages-2M //p' "$s")" \
		"and 1G x $(sed -n 's/^hugepages-1G //p' "$s") (pdpe1gb $(sed -n 's/^pdpe1gb //p' "$s")), THP $(sed -n 's/^thp //p' "$s")," \
		"four edu devices ($(sed -n 's/^type1 //p' "$s"))." \
		"Host load average before/after: $(sed -n 's/^host-load-before //p' "$s") / $(sed -n 's/^host-load-after //p' "$s")," \
		"other QEMU processes at boot: $(sed -n 's/^host-other-vms //p' "$s");" \
		"host probe (fastest and median of ten, ms) before/after: $(sed -n 's/^host-probe-before //p' "$s") / $(sed -n 's/^host-probe-after //p' "$s");" \
		"VM run $(sed -n 's/^vm-seconds //p' "$s") s."
}

# A table for the VM of $1 (results.md's markdown), marked on a busy host
table_md() {
	if [ $reliable = 1 ]; then
		cat "$out/table-$1.md"
	else
		scripts/bench-trust.sh mark <"$out/table-$1.md"
	fi
}

# ioasid/type1 on 6.1 against iommufd/type1 on 6.12, per row of the IOMMU
# $2 with a ratio in both runs (rows matched by workload, case and metric;
# ratios from the medians).  A row whose ioasid ratio exceeds upstream's by
# more than $margin % misses its target if the repetitions show it: each
# repetition has a ratio of its own (type1 and the other side run back to
# back), and the Mann-Whitney test asks whether ioasid's are larger than
# upstream's raised by the margin.  A one-sided p of at most 0.05 shows
# the miss (NO), a larger one leaves it to noise; with too few
# repetitions to reach 0.05 (one each, or 1 and 2...) the medians decide
# alone.  $1: "table" prints the markdown table, "targets" the Targets
# lines (the missed rows, those within noise, and a count).
vs_upstream() {
	local samples=() f

	for f in "$out/samples-$2-upstream.csv" "$out/samples-$2.csv"; do
		[ -s "$f" ] && samples+=("$f")
	done
	awk -F, -v mode="$1" -v tag="$2" -v margin="$margin" -v reliable=$reliable '
		function ratio(t, i) { return (t != "" && i != "" && t + 0 > 0) ? i / t : "" }
		function f(x) { return sprintf("%.2f", x) }
		# Per-repetition values of the samples files: side 2 is ioasid
		# or iommufd, the floor is left out
		function sample(which,   k) {
			if (FNR == 1 || $6 == "floor")
				return
			k = which SUBSEP $2 SUBSEP $3 SUBSEP $4
			if ($6 == "type1")
				t1[k, $7] = $8
			else
				o[k, $7] = $8
			if ($7 > nrep[k])
				nrep[k] = $7
		}
		# The per-repetition ratios of row k of run "which" into v[];
		# their number.  None unless both sides have every repetition:
		# a side that skipped one (W5 when nothing was mapped) would
		# pair repetitions that did not run back to back
		function reps(which, k, v, scale,   n, i, kk) {
			kk = which SUBSEP k
			n = 0
			for (i = 1; i <= nrep[kk]; i++) {
				if (!((kk, i) in t1) || !((kk, i) in o) || t1[kk, i] + 0 <= 0)
					return 0
				v[++n] = o[kk, i] / t1[kk, i] * scale
			}
			return n
		}
		# C(n, k)
		function binom(n, k,   c, i) {
			c = 1
			for (i = 1; i <= k; i++)
				c = c * (n - k + i) / i
			return c
		}
		# One-sided Mann-Whitney: the chance that the rank sum of x (n1
		# values) is at least the one observed when x and y (n2 values)
		# come from one distribution.  Exact given the ties: tied values
		# share their mean rank, and the subsets of n1 of the n ranks
		# that reach each sum are counted with those ranks (doubled, to
		# stay whole numbers)
		function mw_p(x, n1, y, n2,   z, rk, n, i, j, w, lt, eq, cnt, s, smax, hit) {
			n = n1 + n2
			for (i = 1; i <= n1; i++) z[i] = x[i]
			for (i = 1; i <= n2; i++) z[n1 + i] = y[i]
			smax = 0
			for (i = 1; i <= n; i++) {
				lt = 0; eq = 0
				for (j = 1; j <= n; j++)
					if (z[j] < z[i]) lt++
					else if (z[j] == z[i]) eq++
				rk[i] = 2 * lt + eq + 1
				smax += rk[i]
			}
			w = 0
			for (i = 1; i <= n1; i++)
				w += rk[i]
			cnt[0, 0] = 1
			for (i = 1; i <= n; i++)
				for (j = (i < n1 ? i : n1); j >= 1; j--)
					for (s = smax; s >= rk[i]; s--)
						if ((j - 1, s - rk[i]) in cnt)
							cnt[j, s] += cnt[j - 1, s - rk[i]]
			hit = 0
			for (s = w; s <= smax; s++)
				if ((n1, s) in cnt)
					hit += cnt[n1, s]
			return hit / binom(n, n1)
		}
		FILENAME ~ /(^|\/)samples-[^\/]*-upstream\.csv$/ { sample("up"); next }
		FILENAME ~ /(^|\/)samples-[^\/]*\.csv$/ { sample("io"); next }
		FILENAME ~ /-upstream\.csv$/ {
			if (FNR > 1 && ($5 == "ms" || $5 == "us" || $5 == "B")) {
				r = ratio($7, $10)
				if (r != "") up[$2 SUBSEP $3 SUBSEP $4] = r
			}
			next }
		FNR == 1 { if (mode == "table") {
				print "| workload | case | metric | unit | ioasid/type1 6.1 | iommufd/type1 6.12 | target | met |"
				print "|---|---|---|---|---|---|---|---|"
			}
			next }
		{ k = $2 SUBSEP $3 SUBSEP $4 }
		!(k in up) || ($5 != "ms" && $5 != "us" && $5 != "B") { next }
		{
			r = ratio($7, $10)
			if (r == "")
				next
			lim = up[k] * (1 + margin / 100)
			v = "yes"; why = ""
			if (r > lim) {
				delete xi; delete yu
				n1 = reps("io", k, xi, 1)
				n2 = reps("up", k, yu, 1 + margin / 100)
				v = "NO"
				if (n1 && n2 && 1 / binom(n1 + n2, n1) <= 0.05) {
					p = mw_p(xi, n1, yu, n2)
					why = sprintf(", p=%.3f over %d and %d repetitions", p, n1, n2)
					if (p > 0.05)
						v = "noise"
				}
			}
			n++; met += v == "yes"; noise += v == "noise"
			if (mode == "table")
				printf "| %s | %s | %s | %s | %s | %s | ratio<=%s | %s |\n",
					$2, $3, $4, $5, f(r), f(up[k]), f(lim), v
			else if (v != "yes")
				printf "- %s %s %s %s: ratio %s, upstream iommufd%s %s (target ratio<=%s, upstream +%s %%%s): %s\n",
					tag, $2, $3, $4, f(r), "\047s", f(up[k]), f(lim), margin, why,
					!reliable ? "unreliable" : v == "NO" ? "**missed**" : "within noise, not shown worse"
		}
		END { if (mode == "targets" && n)
			printf "- %s against upstream iommufd: %s of %d rows with a ratio at most %s %% above upstream%ss, %s more within noise: %s\n",
				tag, reliable ? met : "?", n, margin, "\047",
				reliable ? noise : "?", reliable ? "met" : "unreliable" }' \
		"${samples[@]}" "$out/results-$2-upstream.csv" "$out/results-$2.csv"
}

# When the last VM of the run ended (its setup file is written then): the
# same as now after a run, and still right when BENCH_REPORT_ONLY=1 redoes
# the report later
measured() {
	local newest

	if [ ${#setups[@]} -gt 0 ]; then
		# shellcheck disable=SC2012 # names of our own making
		newest=$(ls -t "${setups[@]}" | head -n 1)
		date -u -r "$newest" '+%Y-%m-%d %H:%M UTC'
	else
		date -u '+%Y-%m-%d %H:%M UTC'
	fi
}

# results.md: the date, the VM setup and both tables
{
	echo "# ioasid vs VFIO type1: benchmark results"
	echo
	echo "Measured $(measured) by \`make bench\`" \
		"(scripts/bench.sh, method in Documentation/dev-tools/bench.rst)."
	echo "Host: $(nproc) CPUs, QEMU $(qemu-system-x86_64 --version | sed -n '1s/.*version \([^ ]*\).*/\1/p') TCG (no KVM)."
	if [ $reliable = 1 ]; then
		echo "Run conditions: reliable: every VM started with a 1-minute host" \
			"load average of at most ${BENCH_MAX_LOAD:-1.0} and no other QEMU running," \
			"and the host probe's fastest before and after every VM was within" \
			"${BENCH_MAX_SLOWDOWN:-1.25}x of the run's fastest."
	else
		echo "**Unreliable run** (${trust#unreliable: }). Every ratio below" \
			"is marked \"(unreliable)\" and no target counts as met or missed:" \
			"a busy host overstates or hides the gaps. Rerun on a quiet host."
	fi
	echo
	for iommu in $iommus; do
		up=$iommu-upstream
		if [ ! -s "$out/table-$iommu.md" ] && [ ! -s "$out/table-$up.md" ]; then
			continue
		fi
		echo "## $iommu"
		echo
		if [ -s "$out/table-$iommu.md" ]; then
			vm_line "$iommu"
			echo
			table_md "$iommu"
			echo
		fi
		[ -s "$out/table-$up.md" ] || continue
		if [ -s "$out/results-$iommu.csv" ] && [ -s "$out/results-$up.csv" ]; then
			echo "### $iommu: ioasid on 6.1 against upstream iommufd on 6.12"
			echo
			echo "Each ratio is to VFIO type1 in the same boot: ioasid/type1 on" \
				"Debian's 6.1 (above), iommufd/type1 on 6.12 (below), for every" \
				"row timed in both. Target: ioasid's ratio at most $margin %" \
				"above upstream's."
			echo
			if [ $reliable = 1 ]; then
				vs_upstream table "$iommu"
			else
				vs_upstream table "$iommu" | scripts/bench-trust.sh mark
			fi
			echo
		fi
		echo "### $iommu: upstream iommufd on 6.12, every row"
		echo
		vm_line "$up"
		echo "Upstream has no ioasid test build: the floor, the pins per page" \
			"and ioasid's own counters show \"-\"; the targets of this table" \
			"are ioasid's, applied to iommufd for reference."
		echo
		table_md "$up"
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
			m = ($16 == "yes") ? "met" : ($16 == "noise") ? "within noise, not shown missed (sign test on the repetitions)" : "**missed**"
			if (!reliable) m = "unreliable"
			printf "- %s %s %s %s: %s (target %s): %s\n", tag, $2, $3, $4, v, $15, m }' \
			"$out/results-$iommu.csv"
	done
	# ioasid's ratios against upstream iommufd's, where the upstream VM ran
	for iommu in $iommus; do
		if [ -s "$out/results-$iommu.csv" ] && [ -s "$out/results-$iommu-upstream.csv" ]; then
			vs_upstream targets "$iommu"
		fi
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
		rm -f "$doc/results-$iommu-upstream.csv" "$doc/counts-$iommu-upstream.csv"
		if [ -s "$out/results-$iommu-upstream.csv" ]; then
			cp "$out/results-$iommu-upstream.csv" \
				"$out/counts-$iommu-upstream.csv" "$doc/"
		fi
	done
	[ -n "$chart" ] && cp "$chart" "$doc/ratios.svg"
	echo "bench: published results.md, the CSVs and the chart in ${doc#"$top"/}"
fi
echo "bench: done in $(( $(date +%s) - start ))s; results in ${out#"$top"/}"
exit $rc
