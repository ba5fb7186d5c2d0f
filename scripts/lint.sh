#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Style and static checks of the kernel code, one PASS/FAIL line each:
# checkpatch --strict, a W=1 build and sparse on every file; shellcheck on
# every script; the documentation's sentences the selftests quote.
#   lint.sh <path to checkpatch.pl>
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
checkpatch=$1
kdir=/lib/modules/$("$top/scripts/kver.sh")/build
# make -s upstream would hide the CHECK lines that prove sparse ran
unset MAKEFLAGS MFLAGS
logs=$top/build/logs
mkdir -p "$logs"
cd "$top" || exit 1

count() { grep -cE '\.[ch]:[0-9]+(:[0-9]+)?: (warning|error):' "$1"; }

if git rev-parse --git-dir >/dev/null 2>&1; then
	files=$(git ls-files 'drivers/*.[ch]' 'include/*.h')
else
	files=$(find drivers include -name '*.[ch]' ! -name '*.mod.c' | sort)
fi
# shellcheck disable=SC2086
perl "$checkpatch" --no-tree --strict --terse --show-types -f $files \
	>"$logs/checkpatch.log" 2>&1
n=$(grep -cE '(ERROR|WARNING|CHECK):' "$logs/checkpatch.log")
if [ "$n" -ne 0 ]; then
	echo "FAIL lint/checkpatch-strict $n findings, see build/logs/checkpatch.log"
else
	echo "PASS lint/checkpatch-strict"
fi

# Both builds, every object rebuilt with W=1 (anything gcc says is a
# finding), then sparse with the same flags, so nothing recompiles and every
# line is sparse's (C=2: all files).  The production build in the tree, the
# test build (CONFIG_DEV_IOASID_TEST=y) in a copy of its own.
lint_build() {
	local name=$1 dir=$2 log
	shift 2

	log=$logs/build-w1$name.log
	make -s -C "$kdir" M="$dir" "$@" clean >/dev/null 2>&1
	if ! make -C "$kdir" M="$dir" "$@" W=1 modules >"$log" 2>&1; then
		echo "FAIL lint/build-W=1$name the build failed, see ${log#"$top"/}"
	elif [ "$(count "$log")" -ne 0 ]; then
		echo "FAIL lint/build-W=1$name $(count "$log") warnings, see ${log#"$top"/}"
	else
		echo "PASS lint/build-W=1$name"
	fi

	log=$logs/sparse$name.log
	make -C "$kdir" M="$dir" "$@" W=1 C=2 modules >"$log" 2>&1
	if ! grep -q '  CHECK ' "$log"; then
		echo "FAIL lint/sparse$name sparse did not run, see ${log#"$top"/}"
	elif [ "$(count "$log")" -ne 0 ]; then
		echo "FAIL lint/sparse$name $(count "$log") warnings, see ${log#"$top"/}"
	else
		echo "PASS lint/sparse$name"
	fi
	make -s -C "$kdir" M="$dir" "$@" modules >/dev/null 2>&1
}

# Every shell script, the busybox guest scripts included, the package's
# maintainer script and dkms.conf (which dkms sources as bash)
if ! command -v shellcheck >/dev/null; then
	echo "FAIL lint/shellcheck shellcheck is not installed (scripts/setup.sh installs it)"
else
	if git rev-parse --git-dir >/dev/null 2>&1; then
		scripts=$(git ls-files '*.sh' .ci/run 'debian/*.postinst' dkms.conf)
	else
		scripts=$(find . -name '*.sh' -not -path './build/*'; echo .ci/run debian/ioasid-dkms.postinst dkms.conf)
	fi
	# shellcheck disable=SC2086 # one file per word
	shellcheck -x -f gcc $scripts >"$logs/shellcheck.log" 2>&1
	n=$(grep -c ': \(error\|warning\|note\|info\|style\):' "$logs/shellcheck.log")
	if [ "$n" -ne 0 ]; then
		echo "FAIL lint/shellcheck $n findings, see build/logs/shellcheck.log"
	else
		echo "PASS lint/shellcheck"
	fi
fi

# The uAPI documentation against the tests that quote it
"$top/scripts/doc-quotes.sh"

lint_build "" "$top"
"$top/scripts/module-src.sh" "$top/build/ktest"
lint_build -test "$top/build/ktest" CONFIG_DEV_IOASID_TEST=y
