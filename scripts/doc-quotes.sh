#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The uAPI documentation and the tests that prove it cannot drift apart:
# every DOC(WHERE, "words") in the selftests (tools/testing/selftests/ioasid,
# ioasid_errno.c's rows) quotes words that must stand in WHERE, compared
# with runs of white space (and the " * " of a header comment) squeezed to
# one space.  Rewording a documented rule then fails here until its test
# is updated, and a test cannot claim a rule the documentation lacks.
#   doc-quotes.sh            one PASS/FAIL line (make lint)
#   doc-quotes.sh -v         and every quote with its verdict
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
verbose=${1:-}
logs=$top/build/logs
mkdir -p "$logs"
log=$logs/doc-quotes.log

declare -A file=(
	[RST]=Documentation/userspace-api/ioasid.rst
	[UAPI]=include/uapi/linux/ioasid.h
	[VFIO_UAPI]=include/uapi/linux/ioasid_vfio.h
	[README]=README.md
)

# One line of text per file: comment leaders gone, white space squeezed
flat() {
	case $1 in
	*.h) sed -e 's/^[[:space:]]*\/\?\*\+\/\?[[:space:]]\?//' "$1" ;;
	*) cat "$1" ;;
	esac | tr '\n\t' '  ' | tr -s ' '
}

declare -A text
for k in "${!file[@]}"; do
	text[$k]=$(flat "${file[$k]}")
done

# Every quote as WHERE<tab>words: DOC(WHERE, "words"), and DOC(WHERE, Q_X)
# with the words of a "#define Q_X "words"" of the same file
quotes() {
	local f
	for f in tools/testing/selftests/ioasid/*.c; do
		awk '
		match($0, /^#define Q_[A-Z0-9_]+ "[^"]*"/) {
			name = $2
			w = substr($0, index($0, "\"") + 1)
			sub(/"[^"]*$/, "", w)
			def[name] = w
		}
		{
			line = $0
			while (match(line, /DOC\([A-Z_]+, ("[^"]*"|Q_[A-Z0-9_]+)\)/)) {
				d = substr(line, RSTART + 4, RLENGTH - 5)
				line = substr(line, RSTART + RLENGTH)
				where = d; sub(/,.*/, "", where)
				arg = d; sub(/^[A-Z_]+, /, "", arg)
				if (arg ~ /^"/) {
					gsub(/^"|"$/, "", arg)
					print where "\t" arg
				} else if (arg in def) {
					print where "\t" def[arg]
				} else {
					print where "\t<undefined " arg ">"
				}
			}
		}' "$f"
	done
}

n=0 bad=0
: >"$log"
while IFS=$'\t' read -r where words; do
	words=$(printf '%s' "$words" | tr -s ' ')
	n=$((n + 1))
	if [ -z "${file[$where]:-}" ]; then
		echo "unknown place $where: \"$words\"" >>"$log"
		bad=$((bad + 1))
	elif [[ "${text[$where]}" != *"$words"* ]]; then
		echo "not in ${file[$where]}: \"$words\"" >>"$log"
		bad=$((bad + 1))
	elif [ -n "$verbose" ]; then
		echo "ok ${file[$where]}: \"$words\"" >>"$log"
	fi
done < <(quotes)

[ -n "$verbose" ] && cat "$log"
if [ "$n" -eq 0 ]; then
	echo "FAIL lint/doc-quotes no DOC() quote found in the selftests"
elif [ "$bad" -ne 0 ]; then
	echo "FAIL lint/doc-quotes $bad of $n quotes are not in the documentation, see build/logs/doc-quotes.log"
else
	echo "PASS lint/doc-quotes"
fi
