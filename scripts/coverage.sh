#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make coverage: which lines of ioasid-core.ko and vfio-ioasid-pci.ko the
# VM suites execute.  Builds (or reuses) the coverage kernel
# (scripts/debug-kernel.sh with KERNEL_FLAVOUR=coverage: Debian's 6.1
# source with gcov, no sanitizers) and our test modules against it with
# GCOV_PROFILE=y, runs make check-debug's VM suites on it (ours and
# upstream's iommufd selftests, on VT-d with interrupt remapping and on
# AMD-Vi), takes the gcov counters each VM sends at the end of its run
# (tools/testing/vm/guest-tests.sh), merges the IOMMUs with lcov and
# writes:
#   build/coverage/coverage.info   the merged lcov data
#   build/coverage/html/           the report (open index.html)
#   build/coverage/summary.txt     one line per file and per module:
#                                  lines and functions hit/total
# Documentation/dev-tools/coverage.rst says how to read it.
#
# Environment: IOMMUS ("intel-ir amd intel": intel is VT-d without interrupt
# remapping, for the companion's MSI isolation rule), TIME_SCALE (2), VM_TIMEOUT, and
# COVERAGE_REPORT_ONLY=1 to redo the report from the last run's VM logs.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
out=$top/build/coverage
iommus=${IOMMUS:-intel-ir amd intel}
export KERNEL_FLAVOUR=coverage

log() { echo "coverage: $*"; }
die() { echo "coverage: $*" >&2; exit 1; }

if ! command -v lcov >/dev/null || ! command -v genhtml >/dev/null; then
	[ "$(id -u)" -eq 0 ] || die "lcov is missing; apt-get install lcov as root"
	log "installing lcov"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends lcov >/dev/null ||
		{ apt-get update -qq &&
		  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends lcov >/dev/null; } ||
		die "could not install lcov"
fi
mkdir -p "$out"

if [ "${COVERAGE_REPORT_ONLY:-0}" != 1 ]; then
	# The kernel and the links build/coverage-{kernel,modules} first, so
	# that check-debug.sh gets them as given
	scripts/debug-kernel.sh --modules || die "the coverage kernel did not build"
	DEBUG_KERNEL_DIR=$top/build/coverage-kernel \
	DEBUG_MODULES_DIR=$top/build/coverage-modules \
	TIME_SCALE=${TIME_SCALE:-2} IOMMUS=$iommus \
		scripts/check-debug.sh | tee "$out/check.log"
fi

# Where the modules were built: the .gcno files, and the paths the guest
# names its .gcda files by
# (as check-debug.sh gave debug-kernel.sh the directory: not resolved)
src=$top/build/coverage-modules/src
[ -d "$src" ] || die "no modules built in build/coverage-modules"

infos=()
for iommu in $iommus; do
	results=build/vm/$iommu-cov/results.log
	[ -s "$results" ] || { log "$iommu: no VM results ($results)"; continue; }
	find "$src" -name '*.gcda' -delete
	rm -rf "$out/gcda-$iommu"
	mkdir -p "$out/gcda-$iommu"
	# Each @@GCDA block to DIR/<n>.b64, its path in DIR/<n>.path
	tr -d '\r' <"$results" | awk -v dir="$out/gcda-$iommu" '
		/^@@GCDA-END/ { close(f); f = ""; next }
		/^@@GCDA / { n++; f = dir "/" n ".b64"; printf "" >f
			     print $2 >(dir "/" n ".path"); close(dir "/" n ".path"); next }
		f != "" { print >>f }'
	n=0
	for p in "$out/gcda-$iommu"/*.path; do
		[ -e "$p" ] || continue
		path=$(cat "$p")
		# Only files of the tree the modules were built in
		case "$path" in
		"$src"/*) ;;
		*) die "$iommu: gcov data for $path, outside $src (modules rebuilt elsewhere?)" ;;
		esac
		base64 -d <"${p%.path}.b64" >"$path" || die "$iommu: bad base64 for $path"
		n=$((n + 1))
	done
	[ $n -gt 0 ] || { log "$iommu: the VM sent no gcov data"; continue; }
	lcov --quiet --capture --directory "$src/drivers" \
		--output-file "$out/$iommu.info" 2>"$out/lcov-$iommu.log" ||
		die "lcov --capture failed for $iommu; see $out/lcov-$iommu.log"
	infos+=(--add-tracefile "$out/$iommu.info")
	log "$iommu: $n gcov files"
done
[ ${#infos[@]} -gt 0 ] || die "no coverage data from any VM"
lcov --quiet "${infos[@]}" --output-file "$out/all.info" ||
	die "lcov could not merge the runs"
# Our sources only: the kernel headers' inline functions are not ours
lcov --quiet --extract "$out/all.info" '*/drivers/ioasid/*' \
	'*/drivers/vfio/pci/ioasid/*' --output-file "$out/coverage.info" ||
	die "lcov could not extract our files"
genhtml --quiet --output-directory "$out/html" --title "ioasid ($iommus)" \
	"$out/coverage.info" >"$out/genhtml.log" 2>&1 ||
	die "genhtml failed; see $out/genhtml.log"

# One line per source file of ours and one per module, from the tracefile
awk -v src="$src/" '
	/^SF:/ { f = substr($0, 4); sub("^" src, "", f); next }
	/^LF:/ { lf[f] += substr($0, 4) } /^LH:/ { lh[f] += substr($0, 4) }
	/^FNF:/ { ff[f] += substr($0, 5) } /^FNH:/ { fh[f] += substr($0, 5) }
	END { for (f in lf) if (f ~ /^drivers\//) print f, lh[f], lf[f], fh[f], ff[f] }' \
	"$out/coverage.info" | sort | awk '
	function pct(a, b) { return b ? sprintf("%5.1f%%", 100 * a / b) : "     -" }
	function line(name, a, b, c, d) {
		printf "%-40s lines %5d/%-5d %s  functions %3d/%-3d %s\n",
			name, a, b, pct(a, b), c, d, pct(c, d)
	}
	{
		line($1, $2, $3, $4, $5)
		m = ($1 ~ /^drivers\/vfio\//) ? "vfio-ioasid-pci.ko" : "ioasid-core.ko"
		lh[m] += $2; lf[m] += $3; fh[m] += $4; ff[m] += $5
	}
	END {
		line("ioasid-core.ko", lh["ioasid-core.ko"], lf["ioasid-core.ko"],
		     fh["ioasid-core.ko"], ff["ioasid-core.ko"])
		line("vfio-ioasid-pci.ko", lh["vfio-ioasid-pci.ko"], lf["vfio-ioasid-pci.ko"],
		     fh["vfio-ioasid-pci.ko"], ff["vfio-ioasid-pci.ko"])
	}' >"$out/summary.txt"
cat "$out/summary.txt"

# Every block of lines no run reached, by function, with the reason from
# tools/testing/coverage/uncovered.txt ("<file> <function> <reason>"), or
# "NO REASON" when a test should reach it and none does yet
reasons=$top/tools/testing/coverage/uncovered.txt
awk -v src="$src/" -v reasons="$reasons" '
	BEGIN {
		while ((getline l <reasons) > 0) {
			if (l ~ /^#/ || l !~ /[^ ]/) continue
			split(l, w, " ")
			r = l; sub(/^[^ ]+ +[^ ]+ +/, "", r)
			why[w[1] " " w[2]] = r
		}
	}
	/^SF:/ { f = substr($0, 4); sub("^" src, "", f); nfn = 0; delete fnl; delete fnn; next }
	/^FN:/ { split(substr($0, 4), a, ","); nfn++; fnl[nfn] = a[1] + 0; fnn[nfn] = a[2]; next }
	/^DA:/ {
		split(substr($0, 4), a, ","); ln = a[1] + 0
		if (a[2] + 0 != 0) { prev = ""; next }
		fn = "-"; best = 0
		for (i = 1; i <= nfn; i++)
			if (fnl[i] <= ln && fnl[i] >= best) { best = fnl[i]; fn = fnn[i] }
		key = f " " fn
		if (key == prev && ln <= last + 3) { last = ln; next }
		prev = key; last = ln
		printf "%s:%d %s: %s\n", f, ln, fn, (key in why) ? why[key] : "NO REASON"
	}' "$out/coverage.info" >"$out/uncovered.txt"
echo
echo "Blocks no run reached ($(wc -l <"$out/uncovered.txt"); $(grep -c ': NO REASON$' "$out/uncovered.txt") without a reason in tools/testing/coverage/uncovered.txt):"
cat "$out/uncovered.txt"
log "report: ${out#"$top"/}/html/index.html; summary: ${out#"$top"/}/summary.txt"
