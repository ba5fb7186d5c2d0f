#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Runs inside the test VM (busybox sh).  Results go to /dev/ttyS1 as:
#   @@RESULT PASS|FAIL <name> [detail]   one check done by this script
#   @@SUITE <binary>, then its raw TAP output, then @@END <binary> <status>
#   @@DONE                               the script finished
R=/dev/ttyS1
res() { echo "@@RESULT $*" >$R; }
pass_fail() { if [ "$1" = 0 ]; then res PASS "$2"; else res FAIL "$2" "$3"; fi; }

# The selftests use hugetlb-backed buffers
echo 64 >/proc/sys/vm/nr_hugepages

# Without interrupt remapping the companion suites need the unsafe knob;
# ioasid_vfio's msi_isolation test checks the refusal with it off.
unsafe=0
[ "$IOASID_IOMMU" = intel ] && unsafe=1
insmod /lib/modules/ioasid-core.ko test_mode=1 allow_unsafe_interrupts=$unsafe
pass_fail $? module/load
[ -c /dev/ioasid ] || { res FAIL module/devnode; echo "@@DONE" >$R; exit 1; }

# The companion driver and what it needs, then every edu and NVMe device
# bound to it with driver_override, but for the SR-IOV PF
for m in irqbypass vfio vfio_virqfd vfio-pci-core; do
	insmod /lib/modules/$m.ko || res FAIL "module/load-$m"
done
insmod /lib/modules/vfio-ioasid-pci.ko
pass_fail $? companion/load
bound=0
for d in /sys/bus/pci/devices/*; do
	case "$(cat "$d/vendor"):$(cat "$d/device")" in
	0x1234:0x11e8|0x1b36:0x0010) ;;
	*) continue ;;
	esac
	[ -e "$d/sriov_totalvfs" ] && continue
	echo vfio-ioasid-pci >"$d/driver_override"
	echo "${d##*/}" >/sys/bus/pci/drivers_probe
	for v in "$d"/vfio-dev/vfio*; do
		[ -c "/dev/vfio/devices/${v##*/}" ] && bound=$((bound + 1))
	done
done
[ $bound = 7 ]; pass_fail $? companion/bind-devices "$bound of 7 bound"
# The kernel's vfio-pci (with SR-IOV, for the VF token) and type1, for
# the tests of the two paths side by side, and pci-pf-stub, a PF driver
# that is not vfio-pci; both bind nothing by themselves (driver_override
# only)
insmod /lib/modules/vfio_iommu_type1.ko || res FAIL module/load-vfio_iommu_type1
insmod /lib/modules/vfio-pci.ko enable_sriov=1 || res FAIL module/load-vfio-pci
insmod /lib/modules/pci-pf-stub.ko || res FAIL module/load-pci-pf-stub

for t in /tests/ioasid_*; do
	name=${t##*/}
	[ "$name" = ioasid_notest ] && continue
	echo "@@SUITE $name" >$R
	echo "=== $name"
	( cd /tmp && "$t"; echo $? >/tmp/rc ) 2>&1 | tee $R
	echo "@@END $name $(cat /tmp/rc)" >$R
done

# Upstream's iommufd selftests (scripts/upstream-selftest.sh), if
# run-tests.sh added them, with the options of UPSTREAM_ARGS.  They open
# /dev/iommu, as the udev rule provides it.  Their largest hugetlb user is
# iommufd_dirty_tracking's domain_dirty128M_huge variant: 128 MiB of 2 MiB
# pages at once, so the pool needs 64 pages (our suites' pool already has
# them; set it again in case a suite changed it).
for t in /tests/upstream_*; do
	[ -x "$t" ] || continue
	[ -e /dev/iommu ] || ln -s ioasid /dev/iommu
	echo 64 >/proc/sys/vm/nr_hugepages
	name=upstream-${t##*/upstream_}
	echo "@@SUITE $name" >$R
	echo "=== $name $(cat /etc/upstream.args 2>/dev/null)"
	t0=$(cut -d' ' -f1 /proc/uptime)
	# shellcheck disable=SC2046 # the options are words
	( cd /tmp && "$t" $(cat /etc/upstream.args 2>/dev/null); echo $? >/tmp/rc ) 2>&1 | tee $R
	t1=$(cut -d' ' -f1 /proc/uptime)
	echo "@@END $name $(cat /tmp/rc)" >$R
	# What the suite costs a run, for run-tests.sh to print
	echo "# $name took $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s" >$R
done

# After every suite: nothing left behind, then the modules unload.  On a
# kernel with kmemleak its report, made after the unload, names our frames
# only by address: log where the modules sat to map them back.
[ -e /sys/kernel/debug/kmemleak ] && grep -E '^(ioasid_core|vfio_ioasid_pci) ' /proc/modules
# map_calls, faults_dropped and fault_responses only ever grow
stats=$(grep -v ' 0$' /sys/kernel/debug/ioasid/stats |
	grep -Ev '^(map_calls|faults_dropped|fault_responses) ' | tr '\n' ' ')
[ -z "$stats" ]; pass_fail $? module/counters-zero "$stats"
for d in /sys/bus/pci/drivers/vfio-ioasid-pci/0000:*; do
	[ -e "$d" ] && echo "${d##*/}" >/sys/bus/pci/drivers/vfio-ioasid-pci/unbind
done
left=$(cd /dev/vfio/devices 2>/dev/null && echo vfio*)
[ -z "$left" ] || [ "$left" = "vfio*" ]; pass_fail $? companion/unbind-all "$left"
rmmod vfio-ioasid-pci
pass_fail $? companion/unload
rmmod ioasid_core
pass_fail $? module/unload
! grep -q '^ioasid_core ' /proc/modules; pass_fail $? module/gone

# ioasidctl (run-tests.sh adds it) says when the module is not loaded:
# exit status 3 and a message naming it
# (a kernel without networking, the debug kernel's, has no netlink at all)
if [ ! -e /proc/net/netlink ]; then
	res SKIP ioasidctl/module-not-loaded "this kernel has no netlink (CONFIG_NET is off)"
elif [ -x /tests/ioasidctl ]; then
	out=$(/tests/ioasidctl list 2>&1)
	rc=$?
	[ $rc = 3 ] && echo "$out" | grep -q 'ioasid module is not loaded'
	pass_fail $? ioasidctl/module-not-loaded "exit $rc: $out"
else
	res FAIL ioasidctl/module-not-loaded "/tests/ioasidctl is missing: make selftests builds it"
fi

# The test build without test_mode: the test command does not exist
insmod /lib/modules/ioasid-core.ko
( cd /tmp && /tests/ioasid_notest; echo $? >/tmp/rc ) 2>&1 | tee /tmp/notest.log
pass_fail "$(cat /tmp/rc)" module/test-cmd-refused "$(tail -n 3 /tmp/notest.log | tr '\n' ' ')"
rmmod ioasid_core
pass_fail $? module/unload-plain

# The production build (what the packages ship): no test code at all.  Its
# only parameter is allow_unsafe_interrupts, it has no fault injection
# knob, and the test command does not exist.
insmod /lib/modules/prod/ioasid-core.ko
pass_fail $? prod/load
params=$(cd /sys/module/ioasid_core/parameters && echo *)
[ "$params" = allow_unsafe_interrupts ]; pass_fail $? prod/params-only-unsafe "$params"
[ -e /sys/kernel/debug/ioasid/stats ] && [ ! -e /sys/kernel/debug/ioasid/fail_nth ]
pass_fail $? prod/no-fault-injection "$(cd /sys/kernel/debug/ioasid && echo *)"
( cd /tmp && /tests/ioasid_notest; echo $? >/tmp/rc ) 2>&1 | tee /tmp/notest.log
pass_fail "$(cat /tmp/rc)" prod/test-cmd-refused "$(tail -n 3 /tmp/notest.log | tr '\n' ' ')"
# The netlink family is in the production build too
if [ -e /proc/net/netlink ]; then
	out=$(/tests/ioasidctl stats 2>&1)
	echo "$out" | grep -q '^contexts  *0$'; pass_fail $? prod/ioasidctl-stats "$out"
else
	res SKIP prod/ioasidctl-stats "this kernel has no netlink (CONFIG_NET is off)"
fi
rmmod ioasid_core
pass_fail $? prod/unload

# kmemleak, on the debug kernel only (the stock kernel has no such file and
# this reports nothing).  With the modules gone, whatever they allocated and
# never freed has no pointer left to it.  An object is reported only when it
# is older than 5 s and a scan found no reference; a pointer can linger in a
# stack or register for one scan, so scan twice, a few seconds apart, and
# count what the second scan still holds.  Any object fails the check.
kml=/sys/kernel/debug/kmemleak
if [ -e $kml ]; then
	# A kmemleak that switched itself off (its pool ran out) refuses the
	# scan, and its empty report would read as no leaks
	if ! { echo scan >$kml && sleep 6 && echo scan >$kml; }; then
		res FAIL kernel/kmemleak "scan refused: kmemleak is off"
	else
		leaks=$(grep -c '^unreferenced object' $kml)
		if [ "$leaks" != 0 ]; then
			echo "=== kmemleak"
			cat $kml
		fi
		[ "$leaks" = 0 ]; pass_fail $? kernel/kmemleak \
			"$leaks unreferenced objects: $(grep -m 1 -A 12 '^unreferenced object' $kml |
				grep -E '^ *(\[<|unreferenced)' | tr -s ' \n' ' ')"
	fi
fi

# One warning of the kernel itself is left out, counted on a line of its
# own: on the debug kernel (lockdep), Linux 6.1.192's hugetlb_split()
# asserts the i_mmap lock, which __vma_adjust() does not hold yet, whenever
# part of a shared hugetlb mapping is unmapped.  Upstream's
# iommufd_mock_domain.*_hugepage.basic does that; so does a program that
# only mmaps and munmaps, with no module loaded.  Its whole report, "cut
# here" to "end trace", goes.
dmesg | awk '/WARNING: CPU: [0-9]+ PID: [0-9]+ at include\/linux\/fs\.h:[0-9]+ hugetlb_split\+/ {
		skip = 1; known++
	}
	skip { if (/---\[ end trace/) skip = 0; next }
	{ print }
	END { print known + 0 >"/tmp/known-warnings" }' >/tmp/dmesg.checked
known=$(cat /tmp/known-warnings)
[ "$known" = 0 ] ||
	res PASS kernel/known-warnings "$known hugetlb_split lockdep warnings of Linux 6.1.192 itself, left out of kernel/log-clean"

# Any other warning, BUG or oops anywhere in the run fails it.  kmemleak's
# own start-up line is not a report.
bad=$(grep -v 'kmemleak: Kernel memory leak detector initialized' /tmp/dmesg.checked | grep -E 'WARNING:|BUG:|Oops|general protection|refcount_t:|UBSAN:|KASAN:|kernel BUG|corruption|circular locking|kmemleak:|Call Trace:' | head -n 5 | tr '\n' '|')
[ -z "$bad" ]; pass_fail $? kernel/log-clean "$bad"

# make coverage (scripts/coverage.sh): the coverage kernel keeps the gcov
# counters of unloaded modules; send ours, each file base64 between
# "@@GCDA <path>" and "@@GCDA-END" (debugfs reports a size of 0, so
# tar would store nothing: cat reads them)
if [ -d /sys/kernel/debug/gcov ]; then
	find /sys/kernel/debug/gcov -name '*.gcda' |
		grep -E '/drivers/(ioasid|vfio/pci/ioasid)/[^/]+\.gcda$' >/tmp/gcda
	while read -r f; do
		echo "@@GCDA ${f#/sys/kernel/debug/gcov}"
		base64 <"$f"
		echo "@@GCDA-END"
	done </tmp/gcda >$R
	[ -s /tmp/gcda ]; pass_fail $? coverage/gcda "$(wc -l </tmp/gcda) files"
fi
echo "@@DONE" >$R
