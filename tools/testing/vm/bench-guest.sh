#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Runs inside the benchmark VM (busybox sh), booted by scripts/bench.sh.
# Binds the first two edu devices to the kernel's vfio-pci (VFIO type1) and
# the other two to vfio-ioasid-pci, runs /root/ioasid-bench, and sends its
# output files to /dev/ttyS1 between "@@FILE name" and "@@END name" lines.
# BENCH_* variables from the kernel command line reach ioasid-bench.
# With BENCH_UPSTREAM=1 (the upstream kernel of make bench-upstream, which
# has VFIO, vfio-pci and iommufd built in and no modules) all four go to
# vfio-pci, and ioasid-bench --upstream uses the other two through their
# cdevs and /dev/iommu.
R=/dev/ttyS1
OUT=/tmp/bench
info() { echo "@@INFO $*" >$R; echo "bench: $*"; }
fail() { echo "bench: $*"; echo "@@FAIL $*" >$R; exit 1; }
# Device nodes of the companion: how many there are
nodes() {
	set -- /dev/vfio/devices/vfio*
	if [ -e "$1" ]; then echo $#; else echo 0; fi
}

mkdir -p /sys/kernel/tracing
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null

if [ "${BENCH_UPSTREAM:-0}" = 1 ]; then
	side=iommufd
	driver=vfio-pci
	[ -e /dev/iommu ] || fail "no /dev/iommu: not the upstream kernel?"
else
	side=ioasid
	driver=vfio-ioasid-pci
	for m in irqbypass vfio vfio_iommu_type1 vfio_virqfd vfio-pci-core vfio-pci; do
		insmod /lib/modules/$m.ko || fail "insmod $m"
	done
	# test_mode for the floor (IOMMU_TEST_CMD ACCESS_PAGES) and CHECK_REFS
	insmod /lib/modules/ioasid-core.ko test_mode=1 || fail "insmod ioasid"
	insmod /lib/modules/vfio-ioasid-pci.ko || fail "insmod vfio-ioasid-pci"
fi

edus=$(for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d"/vendor):$(cat "$d"/device)" = 0x1234:0x11e8 ] && echo "${d##*/}"
done | sort)
# One edu address per word
# shellcheck disable=SC2086
set -- $edus
[ $# -ge 4 ] || fail "need 4 edu devices, found $#"

bind() {
	echo "$2" >/sys/bus/pci/devices/"$1"/driver_override
	echo "$1" >/sys/bus/pci/drivers_probe
	[ "$(basename "$(readlink /sys/bus/pci/devices/"$1"/driver)")" = "$2" ] ||
		fail "$1 did not bind to $2"
}
bind "$1" vfio-pci
bind "$2" vfio-pci
bind "$3" $driver
bind "$4" $driver
# devtmpfs creates the nodes asynchronously
for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
	[ "$(nodes)" -ge 2 ] &&
		[ -e "/dev/vfio/$(basename "$(readlink /sys/bus/pci/devices/"$2"/iommu_group)")" ] &&
		break
	sleep 0.1
done

info "kernel $(uname -r)"
info "iommu $IOASID_IOMMU"
info "cpus $(grep -c ^processor /proc/cpuinfo)"
info "memory $(sed -n 's/^MemTotal: *//p' /proc/meminfo)"
info "hugepages-2M $(cat /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages 2>/dev/null)"
info "hugepages-1G $(cat /sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages 2>/dev/null)"
info "pdpe1gb $(grep -qw pdpe1gb /proc/cpuinfo && echo yes || echo no)"
info "thp $(cat /sys/kernel/mm/transparent_hugepage/enabled)"
info "type1 $1 $2, $side $3 $4"

rm -rf $OUT
if [ $side = iommufd ]; then
	/root/ioasid-bench --type1 "$1,$2" --ioasid "$3,$4" --out $OUT --upstream
else
	/root/ioasid-bench --type1 "$1,$2" --ioasid "$3,$4" --out $OUT
fi
rc=$?
for f in results.csv samples.csv counts.csv table.txt table.md; do
	[ -e $OUT/$f ] || continue
	echo "@@FILE $f" >$R
	cat $OUT/$f >$R
	echo "@@END $f" >$R
done
bad=$(dmesg | grep -E 'WARNING:|BUG:|Oops|general protection|refcount_t:' |
	head -n 3 | tr '\n' '|')
[ -z "$bad" ] || info "kernel log: $bad"
echo "@@RC $rc" >$R
exit $rc
