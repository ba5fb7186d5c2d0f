# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0-only
# Sourced by check.sh, check-debug.sh and check-qemu.sh.  The caller sets
# $top (the tree), $logs (where step logs go) and $results (the file every
# PASS/FAIL line is appended to).
# shellcheck disable=SC2154

# Keep each line in $results and show it with the running count of checks
# so far, passed and not, so that someone watching (or a CI log cut short)
# sees how far the run got: "[ 412 ok   0 bad] PASS amd/ioasid_map/..."
record() {
	local line ok bad

	ok=$(grep -c '^PASS ' "$results")
	bad=$(grep -Ec '^(FAIL|SKIP) ' "$results")
	while IFS= read -r line; do
		printf '%s\n' "$line" >>"$results"
		case $line in
		"PASS "*) ok=$((ok + 1)) ;;
		"FAIL "*|"SKIP "*) bad=$((bad + 1)) ;;
		*) printf '%s\n' "$line"; continue ;;
		esac
		printf '[%4d ok %3d bad] %s\n' "$ok" "$bad" "$line"
	done
}

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
