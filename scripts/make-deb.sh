#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# make deb: build the Debian packages (ioasid-dkms, libioasid0,
# libioasid-dev, ioasid-tools, and the native source package) from a copy
# of the tree, so nothing the build leaves lands in the checkout:
#   make-deb.sh OUTDIR
# The copy holds what git tracks plus new files not ignored (the checkout
# as it is, uncommitted changes included); without git, everything but
# build/.  The packages land in OUTDIR; the copy is OUTDIR/ioasid-<version>.
# Needs debhelper, dh-dkms and dpkg-dev (scripts/setup.sh installs them).
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: make-deb.sh OUTDIR" >&2; exit 2; }
top=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$1"
out=$(cd "$1" && pwd)
ver=$(awk -F'[()]' 'NR == 1 { print $2 }' "$top/debian/changelog")
src=$out/ioasid-$ver

rm -rf "$src"
rm -f "$out"/ioasid*.deb "$out"/libioasid*.deb "$out"/ioasid_*
mkdir -p "$src"
cd "$top"
if git rev-parse --git-dir >/dev/null 2>&1; then
	# A file deleted in the work tree is still in git's index: skip it
	git ls-files -z --cached --others --exclude-standard |
		while IFS= read -r -d '' f; do
			[ -e "$f" ] && printf '%s\0' "$f"
		done | xargs -0 tar -cf - --no-recursion | tar -C "$src" -xf -
else
	tar -cf - --exclude=./build --exclude=.git . | tar -C "$src" -xf -
fi
cd "$src"
echo "make-deb: dpkg-buildpackage in ${src#"$top"/}"
dpkg-buildpackage -us -uc --build=full >"$out/build.log" 2>&1 || {
	tail -n 40 "$out/build.log" >&2
	echo "make-deb: dpkg-buildpackage failed; see $out/build.log" >&2
	exit 1
}
ls "$out"/*.deb
