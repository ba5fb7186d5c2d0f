#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Runs inside the test VM (busybox sh) for tools/testing/packages: what a
# Debian 12 machine with the ioasid packages does at boot, with the files
# those packages installed in a Debian 12 chroot.  The modules are the ones
# DKMS built there, in /lib/modules/<release>/updates/dkms next to the
# kernel's own modules; kmod, systemd-modules-load, systemd-udevd, udevadm,
# ioasid-edu-demo (ioasid-tools, on libioasid.so.0) and iommufd_client (a
# program written for upstream iommufd, compiled in the chroot against
# libioasid-dev) come from the chroot with their libraries; /etc/group and
# /etc/passwd are the chroot's, so the group is the one the package made.
# Results: "@@RESULT PASS|FAIL <name> [detail]" lines on /dev/ttyS1.
R=/dev/ttyS1
res() { echo "@@RESULT $*" >$R; }
pass_fail() { if [ "$1" = 0 ]; then res PASS "$2"; else res FAIL "$2" "$3"; fi; }
oneline() { tr '\n' ' ' | cut -c1-300; }

kver=$(uname -r)
mkdir -p /run
mount -t tmpfs tmpfs /run
# What systemd-tmpfiles and the packages' maintainer scripts leave on a
# real machine; kmod's tools dispatch on their name
mkdir -p /run/udev /sbin
for t in modprobe modinfo rmmod lsmod; do
	ln -s /usr/bin/kmod /sbin/$t
done

# udevd before any module: it must see the uevents of the new nodes
/lib/systemd/systemd-udevd --daemon >/tmp/udevd.log 2>&1
pass_fail $? udev/start "$(oneline </tmp/udevd.log)"

# What systemd does at every boot: the modules of modules-load.d
/lib/systemd/systemd-modules-load >/tmp/modload.log 2>&1
pass_fail $? boot/modules-load "$(oneline </tmp/modload.log)"
loaded=""
for m in vfio_ioasid_pci ioasid_core vfio_pci_core; do
	[ -d /sys/module/$m ] && loaded="$loaded $m"
done
[ "$loaded" = " vfio_ioasid_pci ioasid_core vfio_pci_core" ]
pass_fail $? boot/companion-pulls-core "loaded:$loaded"
# The DKMS build
f=$(/sbin/modinfo -n ioasid_core 2>&1)
[ "$f" = "/lib/modules/$kver/updates/dkms/ioasid-core.ko" ]
pass_fail $? boot/ioasid-from-dkms "$f"
params=$(cd /sys/module/ioasid_core/parameters && echo *)
[ "$params" = allow_unsafe_interrupts ]
pass_fail $? boot/production-build "parameters: $params"

udevadm settle -t 30
node=$(stat -c '%G %a' /dev/ioasid 2>&1)
[ "$node" = "ioasid 660" ]; pass_fail $? udev/ioasid-node "$node"
link=$(readlink /dev/iommu 2>&1)
[ "$link" = ioasid ]; pass_fail $? udev/dev-iommu-link "/dev/iommu -> $link"

# Bind the edu the way the README says
bdf=""
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor"):$(cat "$d/device")" = 0x1234:0x11e8 ] && bdf=${d##*/}
done
echo vfio-ioasid-pci >"/sys/bus/pci/devices/$bdf/driver_override"
echo "$bdf" >/sys/bus/pci/drivers_probe
udevadm settle -t 30
vdev=$(ls "/sys/bus/pci/devices/$bdf/vfio-dev" 2>/dev/null)
node=$(stat -c '%G %a' "/dev/vfio/devices/$vdev" 2>&1)
[ -n "$vdev" ] && [ "$node" = "ioasid 660" ]
pass_fail $? udev/vfio-dev-node "$bdf: ${vdev:-not bound} $node"

# A member of the group, no capabilities, 1 MiB of RLIMIT_MEMLOCK
gid=$(sed -n 's/^ioasid:[^:]*:\([0-9]*\):.*/\1/p' /etc/group)
[ -n "$gid" ]; pass_fail $? pkg/group-exists "$(grep '^ioasid:' /etc/group)"
user="/root/runas -l 1024 1000 $gid"

$user /root/iommufd_client "/dev/vfio/devices/$vdev" >/tmp/client.log 2>&1
rc=$?
cat /tmp/client.log
[ $rc = 0 ] && grep -q '^iommufd_client: ok$' /tmp/client.log
pass_fail $? user/upstream-program "$(tail -n 3 /tmp/client.log | oneline)"

$user /usr/bin/ioasid-edu-demo "$bdf" >/tmp/edu.log 2>&1
rc=$?
cat /tmp/edu.log
[ $rc = 0 ]; pass_fail $? user/edu-demo "exit $rc: $(tail -n 3 /tmp/edu.log | oneline)"

stats=$(grep -v ' 0$' /sys/kernel/debug/ioasid/stats |
	grep -Ev '^(map_calls|faults_dropped|fault_responses) ' | oneline)
[ -z "$stats" ]; pass_fail $? module/counters-zero "$stats"
echo "$bdf" >/sys/bus/pci/drivers/vfio-ioasid-pci/unbind
/sbin/modprobe -r vfio-ioasid-pci >/tmp/rm.log 2>&1
rc=$?
[ $rc = 0 ] && [ ! -d /sys/module/ioasid_core ] && [ ! -d /sys/module/vfio_ioasid_pci ]
pass_fail $? module/unload "exit $rc: $(oneline </tmp/rm.log)"

# By hand, by the module's name and by the name people will type anyway:
# Linux 6.1 has a built-in "ioasid" (its PASID allocator) in
# modules.builtin, which the package's modprobe.d alias overrides
for name in ioasid-core ioasid; do
	/sbin/modprobe "$name" >/tmp/mp.log 2>&1
	rc=$?
	[ $rc = 0 ] && [ -e /sys/module/ioasid_core/parameters/allow_unsafe_interrupts ]
	pass_fail $? "module/modprobe-$name" "exit $rc: $(oneline </tmp/mp.log)"
	/sbin/modprobe -r "$name" >/tmp/mp.log 2>&1
	rc=$?
	[ $rc = 0 ] && [ ! -d /sys/module/ioasid_core ]
	pass_fail $? "module/modprobe-r-$name" "exit $rc: $(oneline </tmp/mp.log)"
	rmmod ioasid_core 2>/dev/null
done

bad=$(dmesg | grep -E 'WARNING:|BUG:|Oops|general protection|refcount_t:|UBSAN:|KASAN:|kernel BUG|corruption|Call Trace:' | head -n 5 | oneline)
[ -z "$bad" ]; pass_fail $? kernel/log-clean "$bad"
echo "@@DONE" >$R
