#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# make demo: boot a VM with emulated VT-d and QEMU's edu device, load ioasid
# and the companion driver, bind the edu to it and run the sample user space
# driver samples/ioasid/edu_demo.c, then unbind and unload everything.  It
# ends with what ioasidctl (tools/ioasidctl) saw: the sample's context while
# it ran (list, show) and its events (monitor).
set -uo pipefail
top=$(cd "$(dirname "$0")/../../.." && pwd)
out=$top/build/vm/demo
guest=$(mktemp)
trap 'rm -f "$guest"' EXIT

for f in drivers/ioasid/ioasid-core.ko drivers/vfio/pci/ioasid/vfio-ioasid-pci.ko \
	 build/samples/ioasid-edu-demo build/samples/ioasidctl; do
	[ -r "$top/$f" ] || { echo "demo: $f is missing: run make demo" >&2; exit 2; }
done

cat >"$guest" <<'GUEST'
# Each command is shown as "# command" before it runs
run() { echo "# $*"; "$@"; }
# The same for a sysfs write: sh_echo VALUE FILE
sh_echo() { echo "# echo ${1:+$1 }> $2"; echo "$1" >"$2"; }
fail() { echo "demo: $*"; exit 1; }

echo "## load the modules"
echo "# modprobe vfio-pci-core    (here: insmod irqbypass vfio vfio_virqfd vfio-pci-core)"
for m in irqbypass vfio vfio_virqfd vfio-pci-core; do
	insmod /lib/modules/$m.ko || fail "insmod $m failed"
done
run insmod /lib/modules/ioasid-core.ko || fail "insmod ioasid failed"
run insmod /lib/modules/vfio-ioasid-pci.ko || fail "insmod vfio-ioasid-pci failed"

bdf=
for d in /sys/bus/pci/devices/*; do
	[ "$(cat $d/vendor):$(cat $d/device)" = 0x1234:0x11e8 ] && bdf=${d##*/}
done
[ -n "$bdf" ] || fail "the VM has no edu device"
echo
echo "## bind the edu device ($bdf) to vfio-ioasid-pci"
sh_echo vfio-ioasid-pci /sys/bus/pci/devices/$bdf/driver_override
sh_echo $bdf /sys/bus/pci/drivers_probe
# devtmpfs creates the node asynchronously
for i in 1 2 3 4 5 6 7 8 9 10; do
	[ -n "$(ls /dev/vfio/devices 2>/dev/null)" ] && break
	sleep 0.1
done
ls -l /dev/ioasid /dev/vfio/devices/* | sed 's/^/  /'

echo
echo "## run the user space driver, watched by ioasidctl"
echo "# ioasidctl monitor >/tmp/events &"
ioasidctl monitor >/tmp/events 2>/dev/null &
mon=$!
sleep 0.3
echo "# /root/ioasid-edu-demo"
/root/ioasid-edu-demo >/tmp/sample.out 2>&1 &
pid=$!
# While it runs (each edu DMA takes 100 ms): its context once it has a
# device attached and a mapping
: >/tmp/show
while kill -0 $pid 2>/dev/null; do
	ioasidctl show $pid >/tmp/show.now 2>/dev/null
	if grep -q '^  areas:' /tmp/show.now && grep -q '^  devices:' /tmp/show.now; then
		ioasidctl list >/tmp/list 2>&1
		mv /tmp/show.now /tmp/show
		break
	fi
	sleep 0.02
done
wait $pid
rc=$?
cat /tmp/sample.out
sleep 0.3
kill $mon 2>/dev/null

echo
echo "## unbind and unload"
sh_echo $bdf /sys/bus/pci/drivers/vfio-ioasid-pci/unbind || rc=1
sh_echo "" /sys/bus/pci/devices/$bdf/driver_override || rc=1
run rmmod vfio-ioasid-pci || rc=1
echo "# cat /sys/kernel/debug/ioasid/stats    (all 0 but the counts that only grow)"
tr '\n' ' ' </sys/kernel/debug/ioasid/stats | sed 's/^/  /'; echo
left=$(grep -Ev '^(map_calls|faults_dropped|fault_responses) ' \
	/sys/kernel/debug/ioasid/stats | grep -v ' 0$' | tr '\n' ' ')
[ -z "$left" ] || { echo "demo: left behind: $left"; rc=1; }
run rmmod ioasid_core || rc=1

echo
echo "## what ioasidctl saw while the sample ran"
echo "# ioasidctl list"
cat /tmp/list
echo "# ioasidctl show $pid"
cat /tmp/show
grep -q '^  devices:' /tmp/show || { echo "demo: ioasidctl did not see the sample's device"; rc=1; }
echo
echo "## the sample's events"
echo "# ioasidctl monitor"
cat /tmp/events
grep -q ' close ' /tmp/events || { echo "demo: ioasidctl monitor saw no close"; rc=1; }
bad=$(dmesg | grep -E 'WARNING:|BUG:|Oops|general protection|refcount_t:|UBSAN:' |
	head -n 3)
[ -z "$bad" ] || { echo "demo: the kernel complained:"; echo "$bad"; rc=1; }
exit $rc
GUEST
echo "Booting Debian's $("$top/scripts/kver.sh") under QEMU with an emulated VT-d IOMMU and an edu device..."
start=$(date +%s)
"$top/tools/testing/vm/vm.sh" --iommu intel-ir --out "$out" --script "$guest" \
	--qemu "-device edu" --kmod vfio-pci-core \
	--add "$top/drivers/ioasid/ioasid-core.ko:/lib/modules/ioasid-core.ko" \
	--add "$top/drivers/vfio/pci/ioasid/vfio-ioasid-pci.ko:/lib/modules/vfio-ioasid-pci.ko" \
	--add "$top/build/samples/ioasid-edu-demo:/root/ioasid-edu-demo" \
	--add "$top/build/samples/ioasidctl:/bin/ioasidctl"
rc=$?
# The guest's console without kernel messages (and QEMU's own)
tr -d '\r' <"$out/console.log" | grep -v '^\[ *[0-9]*\.[0-9]*\]' |
	grep -v '^IOASID-VM: \(BOOTED\|EXIT\)' | grep -v '^qemu-system'
secs=$(( $(date +%s) - start ))
if [ $rc -eq 0 ]; then
	echo "demo finished: ok (${secs}s)"
else
	echo "demo failed (status $rc); full log: $out/console.log"
fi
exit $rc
