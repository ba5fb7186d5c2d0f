#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Copy the sources of the two modules (Kbuild, drivers/, include/), and
# nothing a build left next to them, into DEST:
#   module-src.sh DEST
# Modification times are kept and a file is copied only when the tree's is
# newer, so a kbuild run in DEST rebuilds only what changed.  Used for the
# test build (build/ktest), the debug kernel's builds and the DKMS sources.
set -eu
[ $# -eq 1 ] || { echo "usage: module-src.sh DEST" >&2; exit 2; }
top=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$1"
dest=$(cd "$1" && pwd)
cd "$top"
find Kbuild drivers include -type f \
	\( -name Kbuild -o -name Makefile -o -name '*.[ch]' \) ! -name '*.mod.c' \
	-print0 | xargs -0 cp --parents -pu -t "$dest"
