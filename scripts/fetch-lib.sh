# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Sourced by scripts/qemu-build.sh, qemu-stock.sh and upstream-selftest.sh,
# which fetch packages from Debian's archive into a cache outside the tree:
# the helpers they share, and the entries they add to apt's sources on a
# machine that lacks one they need.
#
# Helpers:
#   log, die             a message prefixed with the script's name
#                        (qemu-build: ...); die exits 1
#   link_to PATH DIR     make the in-tree PATH a symlink to DIR
#   cache_open GIVEN DEFAULT [LINK]
#                        set $cache (GIVEN if set, else DEFAULT linked from
#                        LINK), create it and hold its lock
#   apt_download_dir DIR a directory apt-get download/source can write to
#
# apt's sources.  Each function below derives entries from the Debian
# entries apt already has (the same archive URIs, components and
# Signed-By key), in files of our own in $apt_etc/sources.list.d; apt_etc
# is /etc/apt unless the caller sets it (scripts/apt-sources-check.sh
# points it at copies).  Every one of them:
#   - needs root, to write there; the callers check first, each with its
#     own message, and run apt-get update afterwards;
#   - rewrites its files whole from what apt has (never from its own
#     files), so calling it again gives the same files;
#   - never pins anything (apt ranks bookworm-backports below Debian 12,
#     so nothing comes from there unless asked for) and never installs
#     anything;
#   - is undone by removing the files it names.
#
#   apt_add_deb_src      a deb-src twin of every Debian "deb" entry:
#                        deb822 stanzas of sources.list.d/*.sources into
#                        ioasid-deb-src.sources, one-line entries of
#                        sources.list into ioasid-deb-src.list (as
#                        qemu-build.sh and upstream-selftest.sh need)
#   apt_add_backports SUITE
#                        a "deb" entry for SUITE (bookworm-backports) made
#                        from the entry for its Debian release (bookworm),
#                        in ioasid-backports.sources, deb822 whatever the
#                        format of the entry it copies (qemu-stock.sh)
#   apt_add_backports_src SUITE
#                        a "deb-src" entry for SUITE made the same way, in
#                        ioasid-backports-src.sources, or in
#                        ioasid-backports-src.list when the entry it copies
#                        is a one-line one of sources.list
#                        (upstream-selftest.sh)

prog=${0##*/}
prog=${prog%.sh}
apt_etc=${apt_etc:-/etc/apt}

log() { echo "$prog: $*"; }
die() { echo "$prog: $*" >&2; exit 1; }

# Make the in-tree path $1 a symlink to the directory $2
link_to() {
	mkdir -p "$(dirname "$1")"
	[ "$(readlink "$1" 2>/dev/null)" = "$2" ] && return 0
	rm -rf "$1"
	ln -s "$2" "$1"
}

# Set $cache to the cache directory, created and resolved: $1 if not empty
# (used as given), else $2, to which the in-tree path $3 (if given) is made
# a symlink.  Then take its lock, held until the script exits: one builder
# per cache directory, a second caller waits, then finds the cache valid.
cache_open() {
	if [ -n "$1" ]; then
		cache=$1
		mkdir -p "$cache"
	else
		cache=$2
		mkdir -p "$cache"
		[ -z "${3:-}" ] || link_to "$3" "$cache"
	fi
	cache=$(cd -P "$cache" && pwd)
	exec 9>"$cache/.lock"
	flock 9
}

# Create the directory $1 for apt-get to download into: apt downloads as
# _apt where it can write
apt_download_dir() {
	mkdir -p "$1"
	if [ "$(id -u)" -eq 0 ] && id _apt >/dev/null 2>&1; then
		chown _apt "$1"
	fi
}

# A deb-src twin of every Debian "deb" source apt already has, in a file of
# our own: same archives, suites and keys
apt_add_deb_src() {
	local d=$apt_etc/sources.list.d src
	local f=$d/ioasid-deb-src.sources

	: >"$f.new"
	for src in "$d"/*.sources; do
		# Not our own file: its stanzas are deb-src twins already
		if [ ! -e "$src" ] || [ "$src" = "$f" ]; then
			continue
		fi
		# Stanzas are separated by blank lines; keep those of type deb
		# that point to a Debian archive
		awk 'BEGIN { RS = ""; ORS = "\n\n" }
		     /debian/ {
			n = split($0, line, "\n"); deb = 0
			for (i = 1; i <= n; i++)
				if (line[i] ~ /^Types:/) {
					m = split(substr(line[i], 7), t, /[ \t]+/)
					for (k = 1; k <= m; k++)
						deb = deb || t[k] == "deb"
				}
			if (!deb)
				next
			sub(/Types:[^\n]*/, "Types: deb-src"); print }' \
			"$src" >>"$f.new"
	done
	if [ -e "$apt_etc/sources.list" ]; then
		# One-line format: write the deb-src lines to a .list file
		sed -n 's/^deb \(.*debian.*\)$/deb-src \1/p' "$apt_etc/sources.list" \
			>"$d/ioasid-deb-src.list"
		[ -s "$d/ioasid-deb-src.list" ] || rm -f "$d/ioasid-deb-src.list"
	fi
	if [ -s "$f.new" ]; then
		mv "$f.new" "$f"
	else
		rm -f "$f.new"
	fi
}

# The first enabled deb822 stanza of the file $1 for the Debian release $2
# (in its Suites), not the security archive's, with Types: $4 and
# Suites: $3.  For $4 = deb (qemu-stock.sh's): a stanza of type deb,
# comments kept.  For $4 = deb-src (upstream-selftest.sh's): a stanza of
# type deb or deb-src whose URI is a Debian archive, comments left out.
apt_derived_stanza() {
	awk -v codename="$2" -v suite="$3" -v type="$4" '
	BEGIN { RS = ""; FS = "\n"; src = type == "deb-src" }
	{
		t = s = u = ""; off = 0
		for (i = 1; i <= NF; i++) {
			if ($i ~ /^Types:/) t = " " substr($i, 7) " "
			else if ($i ~ /^Suites:/) s = " " substr($i, 8) " "
			else if ($i ~ /^URIs:/) u = $i
			else if ($i ~ /^Enabled:[ \t]*no/) off = 1
		}
		gsub(/\t/, " ", t); gsub(/\t/, " ", s)
		if (off || index(s, " " codename " ") == 0 || u ~ /security/)
			next
		if (src ? (t !~ / deb(-src)? / || u !~ /debian/) : index(t, " deb ") == 0)
			next
		for (i = 1; i <= NF; i++) {
			if ($i ~ /^Types:/) print "Types: " type
			else if ($i ~ /^Suites:/) print "Suites: " suite
			else if (!src || $i !~ /^#/) print $i
		}
		exit
	}' "$1"
}

# A "deb" entry for the suite $1 in a file of our own, a twin of the Debian
# archive's entry for its release (same URIs, components and key)
apt_add_backports() {
	local suite=$1 codename=${1%-backports} src stanza=""
	local d=$apt_etc/sources.list.d
	local f=$d/ioasid-backports.sources

	for src in "$d"/*.sources; do
		if [ ! -e "$src" ] || [ "$src" = "$f" ]; then
			continue
		fi
		stanza=$(apt_derived_stanza "$src" "$codename" "$suite" deb)
		[ -n "$stanza" ] && break
	done
	if [ -z "$stanza" ]; then
		# One-line format: deb [options] URI SUITE COMPONENTS...
		stanza=$(cat "$apt_etc/sources.list" "$d"/*.list 2>/dev/null |
			awk -v codename="$codename" -v suite="$suite" '
			$1 != "deb" { next }
			{
				opts = ""; i = 2
				if ($2 ~ /^\[/) {
					while (i <= NF && $i !~ /\]$/) { opts = opts " " $i; i++ }
					opts = opts " " $i; i++
				}
				uri = $i; s = $(i + 1)
				if (s != codename || uri ~ /security/) next
				comps = ""
				for (j = i + 2; j <= NF && $j !~ /^#/; j++) comps = comps " " $j
				print "Types: deb"
				print "URIs: " uri
				print "Suites: " suite
				print "Components:" comps
				gsub(/[][]/, "", opts)
				n = split(opts, o, " ")
				for (j = 1; j <= n; j++)
					if (o[j] ~ /^signed-by=/)
						print "Signed-By: " substr(o[j], 11)
				exit
			}' || true)
	fi
	[ -n "$stanza" ] ||
		die "apt has no Debian $codename entry to derive a $suite entry from"
	printf '# Added by ioasid scripts/qemu-stock.sh: Debian %s, for its QEMU.\n# Nothing is pinned to it; remove this file to undo.\n%s\n' \
		"$suite" "$stanza" >"$f.new"
	mv "$f.new" "$f"
	log "added $f:"
	sed 's/^/    /' "$f"
}

# A "deb-src" entry for the suite $1, made from the Debian entry apt has
# for its release (its URI, components and key), for machines that never
# had backports
apt_add_backports_src() {
	local suite=$1 codename=${1%-backports} src stanza=""
	local d=$apt_etc/sources.list.d
	local f=$d/ioasid-backports-src.sources

	# One file at a time: a file need not end with a blank line
	for src in "$d"/*.sources; do
		if [ ! -e "$src" ] || [ "$src" = "$f" ]; then
			continue
		fi
		stanza=$(apt_derived_stanza "$src" "$codename" "$suite" deb-src)
		[ -n "$stanza" ] && break
	done
	if [ -z "$stanza" ] && [ -e "$apt_etc/sources.list" ]; then
		# One-line format: deb [options] URI RELEASE COMPONENTS...
		stanza=$(awk -v codename="$codename" -v suite="$suite" '
			$1 == "deb" && $0 ~ /debian/ && $0 !~ /security/ {
				for (i = 2; i <= NF; i++)
					if ($i == codename) { $i = suite; $1 = "deb-src"; print; exit }
			}' "$apt_etc/sources.list")
		if [ -n "$stanza" ]; then
			echo "$stanza" >"$d/ioasid-backports-src.list"
			return 0
		fi
	fi
	[ -n "$stanza" ] ||
		die "apt has no Debian $codename entry to derive a $suite deb-src entry from"
	printf '# Added by ioasid scripts/upstream-selftest.sh: the sources of Debian %s.\n%s\n' \
		"$suite" "$stanza" >"$f"
}
