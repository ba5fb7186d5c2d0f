# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0-only
# Sourced by check.sh, check-debug.sh and check-qemu.sh.  The caller sets
# $top (the tree), $logs (where step logs go) and $results (the file every
# PASS/FAIL line is appended to).
# shellcheck disable=SC2154

# Show a line and keep it in $results
record() { tee -a "$results"; }

# One PASS/FAIL line for a command, its output in $logs/<name>.log
step() {
	local name=$1 log
	shift
	log=$logs/${name//\//-}.log
	if "$@" >"$log" 2>&1; then
		echo "PASS $name" | record
	else
		echo "FAIL $name (see ${log#"$top"/})" | record
	fi
}
