#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Runs inside the test VM (busybox sh), booted by run-nvme.sh: the kernel's
# nvme driver and ioasid-nvme on the same emulated controller, then the
# unplugged-cable cases (not with NVME_DEMO=1).  Results go to /dev/ttyS1 as "@@RESULT PASS|FAIL
# name [detail]" lines, measurements as "RESULT ..." lines, then "@@DONE".
R=/dev/ttyS1
res() { echo "@@RESULT $*" >$R; echo "@@RESULT $*"; }
pass_fail() { if [ "$1" = 0 ]; then res PASS "$2"; else res FAIL "$2" "$3"; fi; }
T=${NVME_SECS:-3}
QD=${NVME_QD:-16}

unsafe=0
[ "$IOASID_IOMMU" = intel ] && unsafe=1
insmod /lib/modules/ioasid-core.ko allow_unsafe_interrupts=$unsafe
pass_fail $? module/load
for m in irqbypass vfio vfio_virqfd vfio-pci-core; do
	insmod /lib/modules/$m.ko || res FAIL "module/load-$m"
done
insmod /lib/modules/vfio-ioasid-pci.ko
pass_fail $? companion/load

bdf=
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d"/vendor):$(cat "$d"/device)" = 0x1b36:0x0010 ] || continue
	# The one with a file behind it: serial "ioasid-nvme" (the test VM's
	# null-co controller may be there too)
	bdf=${d##*/}
done
[ -n "$bdf" ]; pass_fail $? nvme/found "$bdf"
dev=/sys/bus/pci/devices/$bdf

to_companion() {
	[ -e "$dev"/driver ] && echo "$bdf" >"$dev"/driver/unbind
	echo vfio-ioasid-pci >"$dev"/driver_override
	echo "$bdf" >/sys/bus/pci/drivers_probe
	[ -d "$dev"/vfio-dev ]
}
to_kernel() {
	[ -e "$dev"/driver ] && echo "$bdf" >"$dev"/driver/unbind
	echo nvme >"$dev"/driver_override
	echo "$bdf" >/sys/bus/pci/drivers_probe
}

# 1. The kernel's driver on the controller (it may have bound already)
for m in crct10dif_common crct10dif_generic crc-t10dif crc64 \
		crc64_rocksoft_generic crc64-rocksoft t10-pi nvme-core nvme; do
	insmod /lib/modules/$m.ko || res FAIL "kernel/load-$m"
done
to_kernel
i=0
while [ ! -b /dev/nvme0n1 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -b /dev/nvme0n1 ]; pass_fail $? kernel/bound "$(cd /dev && echo nvme*)"
echo "=== kernel nvme driver: $(cat /sys/block/nvme0n1/device/model 2>/dev/null)"
/root/nvme-kbench -t "$T" -Q "$QD" /dev/nvme0n1 | tee /tmp/kernel.txt
pass_fail $? kernel/bench

# 2. ioasid-nvme on the same controller
to_companion; pass_fail $? companion/bind "$(ls "$dev"/vfio-dev 2>/dev/null)"
echo "=== ioasid-nvme"
/root/ioasid-nvme -t "$T" -Q "$QD" "$bdf" | tee /tmp/ioasid.txt
rc=$?
grep -q '^ioasid-nvme: ok' /tmp/ioasid.txt; pass_fail $? ioasid/run "exit $rc"
grep -q '^verify: .*all match' /tmp/ioasid.txt; pass_fail $? ioasid/verify

# The ratio, per workload, at QD1 (irq and poll) and at the deep QD
echo "=== ours / kernel"
for w in 4k-randread 128k-seqread; do
	k1=$(sed -n "s/^RESULT kernel $w qd1: \([0-9]*\) IOPS.*/\1/p" /tmp/kernel.txt)
	kq=$(sed -n "s/^RESULT kernel $w qd$QD: \([0-9]*\) IOPS.*/\1/p" /tmp/kernel.txt)
	for m in "qd1 irq:$k1" "qd1 poll:$k1" "qd$QD poll:$kq"; do
		k=${m#*:}; m=${m%:*}
		o=$(sed -n "s/^RESULT ioasid $w $m: \([0-9]*\) IOPS.*/\1/p" /tmp/ioasid.txt)
		[ -n "$o" ] && [ -n "$k" ] && [ "$k" != 0 ] &&
			echo "RATIO $w $m: ioasid $o / kernel $k IOPS = $(awk "BEGIN{printf \"%.2f\", $o/$k}")"
	done
done | tee /tmp/ratio.txt
[ -s /tmp/ratio.txt ]; pass_fail $? ratio

# make demo (NVME_DEMO=1) stops here: the error and unplug cases are tests
if [ "${NVME_DEMO:-0}" != 1 ]; then

# 3. What ioasid-nvme wrote is on the disk: the kernel reads LBA 0
to_kernel
i=0
while [ ! -b /dev/nvme0n1 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
lba0=$(dd if=/dev/nvme0n1 bs=512 count=1 2>/dev/null | od -A n -t x8 -N 8 | tr -d ' ')
[ "$lba0" = 0000000000000000 ] && lba1=$(dd if=/dev/nvme0n1 bs=512 skip=1 count=1 2>/dev/null | od -A n -t x8 -N 8 | tr -d ' ')
[ "$lba1" = 0000000000000001 ]; pass_fail $? kernel/sees-pattern "LBA 1 starts with $lba1"

# Errors that say what to do.  Not bound to the companion: how to bind it
echo "=== ioasid-nvme on a device the kernel's nvme driver has"
/root/ioasid-nvme -s "$bdf" 2>&1 | tee /tmp/err.txt
grep -q 'not bound to vfio-ioasid-pci' /tmp/err.txt &&
	grep -q "bound to driver: nvme" /tmp/err.txt &&
	grep -q "driver_override" /tmp/err.txt
pass_fail $? errors/not-bound "$(head -c 300 /tmp/err.txt)"

to_companion
# No interrupt remapping and the unsafe knob off: BIND refuses
if [ "$IOASID_IOMMU" = intel ]; then
	echo 0 >/sys/module/ioasid_core/parameters/allow_unsafe_interrupts
	echo "=== ioasid-nvme without interrupt remapping"
	/root/ioasid-nvme -s "$bdf" 2>&1 | tee /tmp/err.txt
	grep -q 'BIND_IOMMUFD failed: EPERM' /tmp/err.txt &&
		grep -q allow_unsafe_interrupts /tmp/err.txt
	pass_fail $? errors/bind-eperm "$(head -c 300 /tmp/err.txt)"
	echo 1 >/sys/module/ioasid_core/parameters/allow_unsafe_interrupts
fi
# An unprivileged user with a 1 MiB RLIMIT_MEMLOCK: MAP says how much
chmod 0755 /
chmod 0666 /dev/ioasid /dev/vfio/devices/*
echo "=== ioasid-nvme as uid 1000 with RLIMIT_MEMLOCK 1 MiB"
/root/runas -l 1024 1000 1000 /root/ioasid-nvme -s -n "$bdf" 2>&1 | tee /tmp/err.txt
grep -q 'IOMMU_IOAS_MAP failed: ENOMEM' /tmp/err.txt &&
	grep -q 'RLIMIT_MEMLOCK: 1024 KiB' /tmp/err.txt
pass_fail $? errors/map-enomem "$(head -c 300 /tmp/err.txt)"
chmod 0600 /dev/ioasid /dev/vfio/devices/*

# 4. Unplugged cable: the device unbound from the companion mid-run
/root/ioasid-nvme -s -t 20 -Q 4 "$bdf" >/tmp/unbind.txt 2>&1 &
pid=$!
i=0
# The benchmarks start after the verify line; let them run a little
while ! grep -q '^verify:' /tmp/unbind.txt && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
sleep 1
# Meanwhile a second instance cannot have the device
echo "=== a second ioasid-nvme while the first runs"
/root/ioasid-nvme -s -n "$bdf" 2>&1 | tee /tmp/err.txt
grep -q "BIND_IOMMUFD failed: EINVAL" /tmp/err.txt && grep -q "one user at a time" /tmp/err.txt
pass_fail $? errors/second-user "$(head -c 300 /tmp/err.txt)"
t0=$(cut -d' ' -f1 /proc/uptime)
echo "$bdf" >/sys/bus/pci/drivers/vfio-ioasid-pci/unbind &
upid=$!
wait $pid; rc=$?
wait $upid
t1=$(cut -d' ' -f1 /proc/uptime)
cat /tmp/unbind.txt
took=$(awk "BEGIN{print $t1-$t0}")
echo "unbind under a running ioasid-nvme: it exited $rc, the unbind took ${took} s"
[ $rc != 0 ] && grep -q 'being unbound' /tmp/unbind.txt && grep -q '^close: ' /tmp/unbind.txt
pass_fail $? unplug/unbind "exit $rc, unbind took ${took} s"
[ ! -e "$dev"/driver ] && [ -z "$(ls /dev/vfio/devices 2>/dev/null)" ]
pass_fail $? unplug/unbound

# 5. The function reset under a running driver
to_companion
/root/ioasid-nvme -s -t 20 -Q 4 "$bdf" >/tmp/reset.txt 2>&1 &
pid=$!
i=0
while ! grep -q '^verify:' /tmp/reset.txt && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
sleep 1
echo 1 >"$dev"/reset
wait $pid; rc=$?
cat /tmp/reset.txt
[ $rc != 0 ] && grep -q 'reset or disabled' /tmp/reset.txt && grep -q '^close: ' /tmp/reset.txt
pass_fail $? unplug/reset "exit $rc"
/root/ioasid-nvme -s -n "$bdf" >/tmp/after.txt 2>&1
pass_fail $? unplug/reset-then-run "$(tail -n 2 /tmp/after.txt | tr '\n' ' ')"

fi # NVME_DEMO

# Nothing left behind
[ -e "$dev"/driver ] && echo "$bdf" >"$dev"/driver/unbind
stats=$(grep -v ' 0$' /sys/kernel/debug/ioasid/stats 2>/dev/null |
	grep -Ev '^(map_calls|faults_dropped|fault_responses) ' | tr '\n' ' ')
[ -z "$stats" ]; pass_fail $? module/counters-zero "$stats"
rmmod vfio-ioasid-pci; pass_fail $? companion/unload
rmmod ioasid_core; pass_fail $? module/unload
bad=$(dmesg | grep -E 'WARNING:|BUG:|Oops|general protection|refcount_t:|Call Trace:' | head -n 5 | tr '\n' '|')
[ -z "$bad" ]; pass_fail $? kernel/log-clean "$bad"
echo "@@DONE" >$R
