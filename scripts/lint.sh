#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Style and static checks of the kernel code, one PASS/FAIL line each:
# checkpatch --strict, a W=1 build and sparse on every file.
#   lint.sh <path to checkpatch.pl>
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
checkpatch=$1
kdir=/lib/modules/$("$top/scripts/kver.sh")/build
# make -s upstream would hide the CHECK lines that prove sparse ran
unset MAKEFLAGS MFLAGS
logs=$top/build/logs
mkdir -p "$logs"
cd "$top"

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

# Every object rebuilt with W=1: anything gcc says is a finding
make -s -C "$kdir" M="$top" clean >/dev/null 2>&1
if ! make -C "$kdir" M="$top" W=1 modules >"$logs/build-w1.log" 2>&1; then
	echo "FAIL lint/build-W=1 the build failed, see build/logs/build-w1.log"
elif [ "$(count "$logs/build-w1.log")" -ne 0 ]; then
	echo "FAIL lint/build-W=1 $(count "$logs/build-w1.log") warnings, see build/logs/build-w1.log"
else
	echo "PASS lint/build-W=1"
fi

# Same flags, so nothing recompiles and every line is sparse's (C=2: all files)
make -C "$kdir" M="$top" W=1 C=2 modules >"$logs/sparse.log" 2>&1
if ! grep -q '  CHECK ' "$logs/sparse.log"; then
	echo "FAIL lint/sparse sparse did not run, see build/logs/sparse.log"
elif [ "$(count "$logs/sparse.log")" -ne 0 ]; then
	echo "FAIL lint/sparse $(count "$logs/sparse.log") warnings, see build/logs/sparse.log"
else
	echo "PASS lint/sparse"
fi
make -s -C "$kdir" M="$top" modules >/dev/null 2>&1
