#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# make demo: boot a VM with emulated VT-d, load ioasid and run the sample.
set -uo pipefail
top=$(cd "$(dirname "$0")/../../.." && pwd)
out=$top/build/vm/demo
guest=$(mktemp)
trap 'rm -f "$guest"' EXIT
cat >"$guest" <<'GUEST'
echo "# insmod ioasid.ko test_mode=1"
insmod /lib/modules/ioasid.ko test_mode=1 || exit 1
ls -l /dev/ioasid
/root/ioasid-mock-demo
rc=$?
echo "# module counters after the demo (/sys/kernel/debug/ioasid/stats):"
tr '\n' ' ' </sys/kernel/debug/ioasid/stats; echo
rmmod ioasid && echo "# rmmod ioasid: ok"
exit $rc
GUEST

echo "Booting Debian's $("$top/scripts/kver.sh") under QEMU with an emulated VT-d IOMMU..."
"$top/tools/testing/vm/vm.sh" --iommu intel-ir --out "$out" --script "$guest" \
	--add "$top/drivers/ioasid/ioasid.ko:/lib/modules/ioasid.ko" \
	--add "$top/build/samples/ioasid-mock-demo:/root/ioasid-mock-demo"
rc=$?
# The guest's console without kernel messages
tr -d '\r' <"$out/console.log" | grep -v '^\[ *[0-9]*\.[0-9]*\]' | grep -v '^IOASID-VM: BOOTED'
[ $rc -eq 0 ] && echo "demo finished: ok" || echo "demo failed (status $rc); full log: $out/console.log"
exit $rc
