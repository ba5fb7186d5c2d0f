#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Build and install ioasid VERSION (already added to DKMS) for every kernel
# in /lib/modules that has headers:
#   dkms-build-all.sh VERSION
# DKMS by itself builds only for the running and the newest kernel when a
# package is installed; a machine that boots an older kernel should have
# /dev/ioasid too.  Kernels dkms.conf excludes (not Linux 6.1, or with an
# iommufd of their own) are skipped; a failed build is reported with its
# log and does not stop the others.  Exit status 1 if any build failed.
# The ioasid-dkms package runs it from its postinst as
# /usr/libexec/ioasid-dkms/dkms-build-all; "make dkms-install" from the tree.
set -u
[ $# -eq 1 ] || { echo "usage: dkms-build-all.sh VERSION" >&2; exit 2; }
ver=$1
rc=0
for dir in /lib/modules/*/; do
	k=${dir%/}
	k=${k##*/}
	# No headers, no build (dkms would only complain)
	[ -e "$dir/build/include" ] || continue
	case "$(dkms status -m ioasid -v "$ver" -k "$k" 2>/dev/null)" in
	*installed*) continue ;;
	esac
	dkms install -m ioasid -v "$ver" -k "$k" >/dev/null 2>&1
	case $? in
	0) echo "ioasid: built and installed for $k" ;;
	77) echo "ioasid: $k skipped (ioasid is for Linux 6.1 kernels without iommufd)" ;;
	*)
		echo "ioasid: building for $k failed; see /var/lib/dkms/ioasid/$ver/build/make.log" >&2
		rc=1
		;;
	esac
done
exit $rc
