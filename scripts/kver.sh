#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Print the release of the kernel the project builds for: the one Debian's
# linux-headers-amd64 points to (never the running kernel, which may differ).
# KVER in the environment overrides it.
set -e
if [ -n "$KVER" ]; then
	echo "$KVER"
	exit 0
fi
dep=$(dpkg-query -W -f='${Depends}' linux-headers-amd64 2>/dev/null) || {
	echo "kver.sh: linux-headers-amd64 is not installed (run scripts/setup.sh)" >&2
	exit 1
}
# "linux-headers-6.1.0-56-amd64 (= 6.1.192-2)" -> "6.1.0-56-amd64"
echo "$dep" | sed -n 's/^linux-headers-\([^ ,]*\).*/\1/p'
