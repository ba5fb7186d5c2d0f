#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# busybox ash, which has "local" as dash does:
# shellcheck shell=dash
# The nested test, run inside the test VM (busybox sh) by vm.sh: a QEMU in
# this VM boots the payload (tools/testing/qemu/payload) as its guest, with
# an edu of this VM assigned through /dev/ioasid (QEMU's iommufd backend:
# the patched Debian 7.2 of tools/qemu, or upstream's in a stock QEMU 10.x).
# Results go to /dev/ttyS1 as "@@RESULT PASS|FAIL <name> [detail]", then
# "@@DONE"; parse-results.awk turns them into PASS/FAIL lines.
#
# Settings, as name=value on the kernel command line (vm.sh --append):
#   IOASID_QEMU=path       the QEMU (default /opt/qemu/bin/qemu-system-x86_64,
#                          where qemu-bundle.sh puts it)
#   IOASID_QEMU_FLAVOUR=patched|stock
#       patched (default): the QEMU of scripts/qemu-build.sh, which opens
#           /dev/ioasid by itself.
#       stock: Debian's QEMU from bookworm-backports (scripts/qemu-stock.sh),
#           which opens /dev/iommu: the script checks that it fails
#           without that node, then makes it a symlink to /dev/ioasid, as
#           the project's udev rule does on a real system.
#   IOASID_QEMU_MODE=assign|emulated
#       assign (default): the edu is this VM's, bound to vfio-ioasid-pci and
#           given to the inner QEMU with -object iommufd -device vfio-pci.
#       emulated: the inner QEMU emulates its own edu; nothing is assigned.
#           Checks the bundle, nested TCG, the payload and this script's
#           unplug and kill plumbing with a stock QEMU, and times an inner
#           run.  Its results are named qemu-emulated/*: none of them is
#           about ioasid.
# Files: /root/payload.elf, /root/runas (tools/testing/qemu/runas.c, to run
# QEMU as an unprivileged user).  The VM needs one edu (-device edu) and
# memmap=4K$0x0C000000 on its command line (see outside_page below).
R=/dev/ttyS1
res() { echo "@@RESULT $*" >$R; }
pass_fail() { if [ "$1" = 0 ]; then res PASS "$2" "$3"; else res FAIL "$2" "$3"; fi; }

QEMU=${IOASID_QEMU:-/opt/qemu/bin/qemu-system-x86_64}
MODE=${IOASID_QEMU_MODE:-assign}
FLAVOUR=${IOASID_QEMU_FLAVOUR:-patched}
PAYLOAD=/root/payload.elf
QDIR=$(dirname "$QEMU")/..
export QEMU_MODULE_DIR=$QDIR/modules
STATS=/sys/kernel/debug/ioasid/stats
# The payload's outside-RAM address; the inner guest has 64 MiB
OUTSIDE=0x0c000000
OUTSIDE_PFN=$((0x0c000000 / 4096))
T=/tmp/qemu-test
mkdir -p $T

uptime_ms() { awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime; }

# ---- the inner QEMU ----

# Start QEMU in the background: $qpid, serial output in $T/$1.serial, its
# own messages in $T/$1.err, an HMP monitor on the pipe $T/$1.mon.{in,out}.
# $2... are the arguments that differ between runs.  With $QRUN set (see
# run_as_user), QEMU runs under that command, and the files QEMU opens
# itself belong to $QOWNER.  With QFD=1, QEMU inherits /dev/ioasid open as
# fd 3 and the device's cdev as fd 4 (for -object iommufd,fd=3 and
# -device vfio-pci,fd=4), and this shell keeps no copy.
QRUN=""
QOWNER=""
QFD=""
start_qemu() {
	local tag=$1
	shift
	rm -f "$T/$tag".* && mkfifo "$T/$tag.mon.in" "$T/$tag.mon.out"
	if [ -n "$QOWNER" ]; then
		: >"$T/$tag.serial"
		chown "$QOWNER" "$T/$tag.serial" "$T/$tag.mon.in" "$T/$tag.mon.out"
	fi
	[ -n "$QFD" ] && exec 3<>/dev/ioasid 4<>"/dev/vfio/devices/$vdev"
	# shellcheck disable=SC2086 # $QRUN is a command and its arguments
	$QRUN "$QEMU" -L "$QDIR/share" -accel tcg -M q35 -m 64M -nodefaults \
		-vga none -display none -no-reboot \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
		-kernel $PAYLOAD -serial file:"$T/$tag.serial" \
		-monitor pipe:"$T/$tag.mon" "$@" </dev/null >"$T/$tag.err" 2>&1 &
	qpid=$!
	qtag=$tag
	[ -n "$QFD" ] && exec 3>&- 4>&-
	# A QEMU that fails before it opens the pipe leaves this reader blocked
	# in open(): wait_exit kills it
	cat "$T/$tag.mon.out" >"$T/$tag.mon.log" &
	rpid=$!
	qstart=$(uptime_ms)
}

# An HMP command to run $1; opening the pipe would block if QEMU were gone
mon() { timeout 5 sh -c "echo '$2' >$T/$1.mon.in"; }

# Wait up to $2 s for the serial output of run $1 to have a line matching
# $3; fails early if QEMU exits
wait_serial() {
	local n=0
	while [ $n -lt $(($2 * 5)) ]; do
		grep -q "$3" "$T/$1.serial" 2>/dev/null && return 0
		kill -0 $qpid 2>/dev/null || { grep -q "$3" "$T/$1.serial" 2>/dev/null; return; }
		sleep 0.2
		n=$((n + 1))
	done
	return 1
}

# Wait up to $1 s for QEMU to exit; $qrc its status (124: had to be killed).
# What QEMU said goes to the console log.
wait_exit() {
	local n=0
	while kill -0 $qpid 2>/dev/null && [ $n -lt $(($1 * 5)) ]; do
		sleep 0.2
		n=$((n + 1))
	done
	if kill -0 $qpid 2>/dev/null; then
		kill -9 $qpid
		wait $qpid
		qrc=124
	else
		wait $qpid
		qrc=$?
	fi
	qsecs=$(since_start)
	kill $rpid 2>/dev/null
	wait $rpid 2>/dev/null
	echo "inner QEMU run $qtag: exit $qrc after ${qsecs}s"
	head -n 20 "$T/$qtag.err" | sed "s/^/  $qtag: /"
}

# Seconds since start_qemu, one decimal
since_start() {
	local t=$(( ($(uptime_ms) - qstart) / 100 ))
	echo "$((t / 10)).$((t % 10))"
}

# A one-line summary of a run for a result's detail
why() {
	echo "rc=$qrc $(grep -E 'PAYLOAD (FAIL|RESULT|HALTED)' "$T/$1.serial" 2>/dev/null |
		head -n 3 | tr -d '\r' | tr '\n' ' ') $(head -c 300 "$T/$1.err" | tr '\n' ' ')"
}

# ---- what the outer VM can check ----

# The files of the /dev/ioasid kind QEMU holds, "ioasid=N vfio=M": its
# fds that are /dev/ioasid (/dev/iommu is a link to it) and device cdevs
qemu_fds() {
	local f l ioasid=0 vfio=0

	for f in "/proc/$qpid/fd/"*; do
		l=$(readlink "$f" 2>/dev/null) || continue
		case "$l" in
		/dev/ioasid) ioasid=$((ioasid + 1)) ;;
		/dev/vfio/devices/*) vfio=$((vfio + 1)) ;;
		esac
	done
	echo "ioasid=$ioasid vfio=$vfio"
}

# The counters of the stats file that must come back (map_calls,
# faults_dropped and fault_responses only grow)
counters() {
	grep -Ev '^(map_calls|faults_dropped|fault_responses) ' $STATS 2>/dev/null |
		tr '\n' ' '
}
counter() { awk -v n="$1" '$1 == n { print $2 }' $STATS; }
# The value after word $1 in the string $2
field() { echo "$2" | tr ' ' '\n' | awk -v n="$1" 'p == n { print; exit } { p = $0 }'; }

# Counters back to $1 within a few seconds (the last fput of a killed
# process may still be on its way)
counters_back() {
	local n=0
	while [ "$(counters)" != "$1" ] && [ $n -lt 25 ]; do
		sleep 0.2
		n=$((n + 1))
	done
	[ "$(counters)" = "$1" ]
}

# Result $1: the counters came back to $start after a run that held
# something through /dev/ioasid ($2: the counters while it ran); after a run
# that never got that far, coming back proves nothing
check_counters_back() {
	if [ -z "$2" ] || [ "$(field contexts "$2")" -le "$(field contexts "$start")" ]; then
		res FAIL "$1" "not exercised: the run held no ioasid context (during: $2)"
		return
	fi
	counters_back "$start"
	pass_fail $? "$1" "start: $start during: $2 now: $(counters)"
}

# The page of THIS VM at the payload's outside address: reserved with
# memmap= so that no one else uses it and /dev/mem may reach it.  An inner
# DMA that escaped the IOMMU domain (an identity or passthrough domain, a
# device still in its default DMA domain) would land here, as IOVA ==
# physical address then; a read would fetch it.
outside_page_ok=1
if ! grep -qi '0c000000-0c000fff : reserved' /proc/iomem; then
	outside_page_ok=0
	res FAIL qemu/outer-page "physical page $OUTSIDE is not reserved: boot with memmap=4K\$$OUTSIDE"
fi
# Distinctive content, not zeros: a blocked read gives the device zeros
yes IOASID-OUTER-SENTINEL | head -c 4096 >$T/sentinel
fill_outside_page() {
	[ $outside_page_ok = 1 ] || return 1
	dd if=$T/sentinel of=/dev/mem bs=4096 seek=$OUTSIDE_PFN count=1 \
		conv=notrunc 2>/dev/null &&
	outside_page_unchanged
}
outside_page_unchanged() {
	[ $outside_page_ok = 1 ] || return 1
	dd if=/dev/mem of=$T/outside bs=4096 skip=$OUTSIDE_PFN count=1 2>/dev/null &&
	cmp -s $T/sentinel $T/outside
}
# Fill the page, and show that the check sees a one-word change
outer_page_setup() {
	fill_outside_page || return 1
	devmem $((OUTSIDE + 2048)) 32 0x12345678 || return 1
	! outside_page_unchanged || return 1
	fill_outside_page
}

# ---- the payload's own verdicts ----

# The lines the payload prints for its DMA checks, as results $1/...
payload_results() {
	local p=$1 s="$T/$2.serial"
	grep -q '^PAYLOAD DMA OK' "$s"
	pass_fail $? "$p/dma-roundtrip" "$(grep -m1 -E '^PAYLOAD (DMA OK|FAIL)' "$s" | tr -d '\r')"
	grep -q '^PAYLOAD OUTSIDE READ .* zeros' "$s"
	pass_fail $? "$p/outside-read-zeros" "$(grep -m1 '^PAYLOAD OUTSIDE READ' "$s" | tr -d '\r')"
	grep -q '^PAYLOAD OUTSIDE CLEAN' "$s" && grep -q '^PAYLOAD AFTER OUTSIDE OK' "$s"
	pass_fail $? "$p/outside-write-not-in-guest" \
		"$(grep -m1 -E '^PAYLOAD (OUTSIDE CLEAN|FAIL outside)' "$s" | tr -d '\r')"
	# Only a payload that did the outside DMA can pass this
	grep -q '^PAYLOAD OUTSIDE DONE' "$s" && outside_page_unchanged
	pass_fail $? "$p/outside-not-in-host-page" "this VM's page $OUTSIDE starts: $(head -n 1 "$T/outside" 2>/dev/null | head -c 32)"
}

# ---- the runs ----

if ! "$QEMU" -version >$T/version 2>&1; then
	res FAIL qemu/binary "$QEMU does not run: $(head -c 300 $T/version | tr '\n' ' ')"
	echo "@@DONE" >$R
	exit 1
fi
echo "inner QEMU: $(head -n 1 $T/version)"

if [ "$MODE" = emulated ]; then
	P=qemu-emulated
	outer_page_setup
	pass_fail $? $P/outer-page-check "sentinel in, a changed word seen"
	start_qemu emu -device edu
	wait_serial emu 600 'PAYLOAD START' && boot=$(since_start)
	wait_exit 600
	[ $qrc = 33 ]; pass_fail $? $P/payload "inner run took ${qsecs}s, ${boot:-?}s to the payload's first line: $(why emu)"
	echo "inner run (emulated edu): ${qsecs}s, payload started after ${boot:-?}s"
	payload_results $P emu

	# device_del, the payload powers the slot off, QEMU removes the edu
	start_qemu emu-unplug -global ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off \
		-device pcie-root-port,id=rp0,chassis=1,slot=1 \
		-device edu,bus=rp0,id=edu0 -append mode=unplug
	if wait_serial emu-unplug 600 'PAYLOAD WAIT UNPLUG'; then
		mon emu-unplug "device_del edu0"
		wait_serial emu-unplug 60 'PAYLOAD UNPLUGGED'
		gone=$?
		mon emu-unplug "info pci"
		sleep 1
		mon emu-unplug quit
	else
		gone=1
	fi
	wait_exit 60
	[ $gone = 0 ] && [ $qrc = 0 ] && ! grep -q 11e8 $T/emu-unplug.mon.log
	pass_fail $? $P/unplug "$(why emu-unplug)"

	# SIGKILL in the middle of DMA
	start_qemu emu-kill -device edu -append mode=hold
	wait_serial emu-kill 600 'PAYLOAD HOLD round 2'
	held=$?
	kill -9 $qpid
	wait_exit 30
	[ $held = 0 ] && [ $qrc = 137 ]; pass_fail $? $P/kill "$(why emu-kill)"
	echo "@@DONE" >$R
	exit 0
fi

# ---- assign mode ----

insmod /lib/modules/ioasid-core.ko
pass_fail $? module/load
for m in irqbypass vfio vfio_virqfd vfio-pci-core; do
	insmod /lib/modules/$m.ko || res FAIL "module/load-$m"
done
insmod /lib/modules/vfio-ioasid-pci.ko
pass_fail $? companion/load

bdf=""
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor"):$(cat "$d/device")" = 0x1234:0x11e8 ] || continue
	echo vfio-ioasid-pci >"$d/driver_override"
	echo "${d##*/}" >/sys/bus/pci/drivers_probe
	bdf=${d##*/}
	break
done
vdev=$(ls "/sys/bus/pci/devices/$bdf/vfio-dev" 2>/dev/null)
[ -n "$bdf" ] && [ -c "/dev/vfio/devices/$vdev" ]
pass_fail $? companion/bind-edu "edu $bdf -> /dev/vfio/devices/$vdev"

if ! "$QEMU" -object help 2>/dev/null | grep -qw iommufd; then
	res FAIL iommufd-backend "$QEMU has no -object iommufd: no iommufd backend"
	echo "@@DONE" >$R
	exit 1
fi

iommufd=iommufd,id=iommufd0
vfio="vfio-pci,host=$bdf,iommufd=iommufd0,rombar=0"

# The node QEMU opens by itself for -object iommufd without fd=.  The
# stock QEMU (upstream's backend) opens /dev/iommu: without that node it
# must refuse to start, with nothing else to fall back on; then it gets
# the symlink to /dev/ioasid that udev/60-ioasid.rules makes on a real
# system.  The patched QEMU opens /dev/ioasid (/dev/iommu only when there
# is no /dev/ioasid), so its runs have no /dev/iommu at all.
case "$FLAVOUR" in
stock)
	rm -f /dev/iommu
	start_qemu noiommu -object $iommufd -device "$vfio"
	wait_exit 120
	nodev=$(grep -m1 '/dev/iommu' $T/noiommu.err)
	[ $qrc != 0 ] && [ $qrc != 124 ] && [ -n "$nodev" ] &&
		! grep -q 'PAYLOAD START' $T/noiommu.serial
	pass_fail $? dev-iommu/required "rc=$qrc ${nodev:-$(why noiommu)}"
	ln -s ioasid /dev/iommu
	;;
patched) ;;
*) res FAIL qemu/flavour "IOASID_QEMU_FLAVOUR=$FLAVOUR: neither patched nor stock" ;;
esac

start=$(counters)
echo "counters at start: $start"

# 1. The payload's DMA through ioasid, and nothing outside its RAM
outer_page_setup
pass_fail $? outer-page-check "sentinel in, a changed word seen"
start_qemu assign -object $iommufd -device "$vfio"
during=""
if wait_serial assign 600 'PAYLOAD EDU OK'; then
	during=$(counters)
fi
wait_exit 600
echo "assigned run: ${qsecs}s, while running: $during"
[ $qrc = 33 ]; pass_fail $? assign/payload "inner run took ${qsecs}s: $(why assign)"
# The inner guest's RAM was pinned and mapped through /dev/ioasid: 64 MiB
# is 16384 pages
[ -n "$during" ] &&
	[ "$(field pinned "$during")" -ge $(( $(field pinned "$start") + 16384 )) ]
pass_fail $? assign/ram-pinned "while the payload ran: $during; at start: $start"
# Root has CAP_IPC_LOCK: pinned, not charged (the user runs below are)
[ -n "$during" ] && [ "$(field charged "$during")" = "$(field charged "$start")" ]
pass_fail $? assign/root-not-charged "charged while the payload ran: $(field charged "$during"), at start: $(field charged "$start")"
payload_results assign assign
# VT-d reports the blocked read and the blocked write at the outside
# address (the first faults of this boot); QEMU 7.2's AMD-Vi reports
# nothing, so there the data checks above are all
case "$IOASID_IOMMU" in
intel*)
	dmesg | grep 'fault addr 0xc000000' >$T/faults
	grep -q 'DMA Read.* fault addr 0xc000000 ' $T/faults &&
	grep -q 'DMA Write.* fault addr 0xc000000 ' $T/faults
	pass_fail $? assign/outside-faults-logged "$(grep -c . $T/faults) DMAR faults at $OUTSIDE: $(head -n 2 $T/faults | sed 's/.*DMAR: //' | tr -s ' \n' ' ')" ;;
esac
check_counters_back assign/counters-back "$during"

# 2. device_del while the guest runs: the guest powers the slot off, QEMU
# removes the device and closes its fd, then QEMU quits
start_qemu unplug -object $iommufd \
	-global ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off \
	-device pcie-root-port,id=rp0,chassis=1,slot=1 \
	-device "$vfio,bus=rp0,id=hostdev0" -append mode=unplug
fd_closed=1
during=""
if wait_serial unplug 600 'PAYLOAD WAIT UNPLUG'; then
	during=$(counters)
	mon unplug "device_del hostdev0"
	if wait_serial unplug 60 'PAYLOAD UNPLUGGED'; then
		# QEMU finishes the removal after the guest's config write
		n=0
		while ! qemu_fds | grep -q ' vfio=0$' && [ $n -lt 50 ]; do
			sleep 0.2
			n=$((n + 1))
		done
		qemu_fds | grep -q ' vfio=0$' && fd_closed=0
	fi
	mon unplug quit
fi
wait_exit 60
[ $fd_closed = 0 ]
pass_fail $? unplug/device-released "$(why unplug)"
check_counters_back unplug/counters-back "$during"

# 3. SIGKILL with the device assigned, in the middle of DMA
start_qemu kill -object $iommufd -device "$vfio" -append mode=hold
wait_serial kill 600 'PAYLOAD HOLD round 2'
held=$?
during=$(counters)
fds=$(qemu_fds)
kill -9 $qpid
wait_exit 30
[ $held = 0 ] && [ $qrc = 137 ]; pass_fail $? kill/killed-during-dma "$(why kill)"
# QEMU opened one context and the device's cdev, itself
[ $held = 0 ] && [ "$fds" = "ioasid=1 vfio=1" ]
pass_fail $? kill/qemu-opened-nodes "QEMU held $fds"
check_counters_back kill/counters-back "$during"
# The device works for the next user, this time a QEMU given /dev/ioasid
# and the device's cdev open (fd=), as a management tool would: it uses
# those, opens no other
start_qemu_fd() { QFD=1; start_qemu "$@"; QFD=""; }
start_qemu_fd reuse -object iommufd,id=iommufd0,fd=3 \
	-device vfio-pci,fd=4,iommufd=iommufd0,rombar=0 -append mode=hold
during=""
fds=""
if wait_serial reuse 600 'PAYLOAD HOLD round 2'; then
	during=$(counters)
	fds="$(qemu_fds) fd3=$(readlink /proc/$qpid/fd/3) fd4=$(readlink /proc/$qpid/fd/4)"
	mon reuse quit
fi
wait_exit 60
[ -n "$during" ] && [ $qrc = 0 ] && grep -q '^PAYLOAD DMA OK' $T/reuse.serial
pass_fail $? kill/device-reusable "$(why reuse)"
[ "$fds" = "ioasid=1 vfio=1 fd3=/dev/ioasid fd4=/dev/vfio/devices/$vdev" ]
pass_fail $? kill/passed-fds-used "QEMU held ${fds:-nothing}"
check_counters_back kill/counters-back-after-reuse "$during"

# 4. QEMU as an unprivileged user of the ioasid group, without
# CAP_IPC_LOCK: its pins are charged to the user's RLIMIT_MEMLOCK
# (user mode: user_struct::locked_vm, which /proc shows nowhere; the
# stats' charged counter is the evidence).  The low limit runs first: a
# charge of more than 3.75 MiB it leaked to the user would make the
# second run fail, whose limit is that much above what it pins.
USER_ID=1000
USER_GROUPS=1000,990	# the first is the primary group; 990 is "ioasid"
IOASID_GROUP=990
RUNAS=/root/runas
# QEMU under runas with RLIMIT_MEMLOCK $1 KiB; the runs' files are the user's
run_as_user() {
	QRUN="$RUNAS -l $1 $USER_ID $USER_GROUPS"
	QOWNER=$USER_ID:${USER_GROUPS%%,*}
}
run_as_root() { QRUN=""; QOWNER=""; }
# The line runas prints once it has dropped to the user with limit $1 KiB
runas_ok() {
	grep -q "^runas: uid=$USER_ID gid=${USER_GROUPS%%,*} groups=.*$IOASID_GROUP.* memlock=$2 KiB cap_eff=0 cap_prm=0" "$T/$1.err"
}

# vm.sh packs the initramfs from a mktemp -d directory: / is 0700, and no
# one but root could reach /bin, /opt/qemu or the libraries
chmod 0755 /
# What udev/60-ioasid.rules does on a real system; the user cannot open
# /dev/ioasid before (0600 root), and can after
# (the stock QEMU opens it as /dev/iommu: through the link)
node=/dev/ioasid
[ "$FLAVOUR" = stock ] && node=/dev/iommu
$RUNAS $USER_ID $USER_GROUPS sh -c ": <>$node" 2>/dev/null
denied=$?
chgrp $IOASID_GROUP /dev/ioasid "/dev/vfio/devices/$vdev" &&
	chmod 0660 /dev/ioasid "/dev/vfio/devices/$vdev" &&
	$RUNAS $USER_ID $USER_GROUPS sh -c ": <>$node" 2>$T/access.err
allowed=$?
[ $denied != 0 ] && [ $allowed = 0 ]
pass_fail $? user/device-access "open $node as uid $USER_ID before chgrp+chmod: rc=$denied, after: rc=$allowed; $(stat -c '%A %u %g %n' /dev/ioasid "/dev/vfio/devices/$vdev" | tr '\n' ' ')"

# 4a. RLIMIT_MEMLOCK 16 MiB for a 64 MiB guest: QEMU cannot map its RAM
# and must say so (ENOMEM's text; each QEMU words the rest its own way),
# exit before the guest starts, and leave nothing behind; the kernel log
# says which limit
low_kib=16384
limit_msg="would exceed RLIMIT_MEMLOCK ($low_kib KiB) of uid $USER_ID"
msgs_before=$(dmesg | grep -cF "$limit_msg")
run_as_user $low_kib
start_qemu lowlimit -object $iommufd -device "$vfio"
run_as_root
wait_exit 120
enomem=$(grep 'Cannot allocate memory' $T/lowlimit.err | head -n 3 | tr '\n' ' ' | head -c 400)
runas_ok lowlimit $low_kib && [ -n "$enomem" ] && [ $qrc != 0 ] &&
	[ $qrc != 124 ] && ! grep -q 'PAYLOAD START' $T/lowlimit.serial
pass_fail $? user-lowlimit/refused "rc=$qrc $(grep -m1 '^runas:' $T/lowlimit.err); ${enomem:-$(why lowlimit)}"
msg=$(dmesg | grep -F "$limit_msg" | tail -n 1 | sed 's/^\[[^]]*\] //')
refused_map=1
[ "$(dmesg | grep -cF "$limit_msg")" -gt "$msgs_before" ] && refused_map=0
pass_fail $refused_map user-lowlimit/kernel-message "${msg:-no new line with: $limit_msg}"
# Only a QEMU whose MAP the kernel refused can show that a failed MAP
# leaks nothing
if [ $refused_map = 0 ]; then
	counters_back "$start"
	pass_fail $? user-lowlimit/counters-back "start: $start now: $(counters)"
else
	res FAIL user-lowlimit/counters-back "not exercised: the kernel refused no IOMMU_IOAS_MAP"
fi

# 4b. RLIMIT_MEMLOCK the guest's RAM and 4 MiB: the payload's DMA works,
# and every pinned page is charged while it runs
memlock_ok=$(( (64 + 4) * 1024 ))
run_as_user $memlock_ok
start_qemu user -object $iommufd -device "$vfio" -append mode=hold
run_as_root
during=""
status=""
if wait_serial user 600 'PAYLOAD HOLD round 2'; then
	during=$(counters)
	status=$(grep -E '^(Uid|Gid|Groups|CapEff|VmLck|VmPin):' /proc/$qpid/status |
		tr -s '\t ' '  ' | tr '\n' ' ')
	mon user quit
fi
wait_exit 60
echo "unprivileged run: ${qsecs}s, while running: $during; $status"
uids=$(echo "$status" | sed -n 's/.*Uid: \([0-9 ]*\) Gid:.*/\1/p')
runas_ok user $memlock_ok && [ "$uids" = "$USER_ID $USER_ID $USER_ID $USER_ID" ] &&
	echo "$status" | grep -q 'CapEff: 0000000000000000 '
pass_fail $? user/unprivileged "$(grep -m1 '^runas:' $T/user.err); /proc: $status"
[ -n "$during" ] && [ $qrc = 0 ] && grep -q '^PAYLOAD DMA OK' $T/user.serial
pass_fail $? user/payload "held and quit: $(why user)"
pinned=$(field pinned "$during")
charged=$(field charged "$during")
pinned=$(( ${pinned:-0} - $(field pinned "$start") ))
charged=$(( ${charged:-0} - $(field charged "$start") ))
[ -n "$during" ] && [ $pinned -ge 16384 ] && [ $charged = $pinned ]
pass_fail $? user/charged-equals-pinned "pinned +$pinned charged +$charged pages (during: $during)"
# Pinned pages show in the process's VmPin; a user-mode charge is not VmLck
vmpin=$(echo "$status" | sed -n 's/.*VmPin: \([0-9]*\) kB.*/\1/p')
vmlck=$(echo "$status" | sed -n 's/.*VmLck: \([0-9]*\) kB.*/\1/p')
[ -n "$during" ] && [ "$vmpin" = $((pinned * 4)) ] && [ "$vmlck" = 0 ]
pass_fail $? user/vmpin "VmPin ${vmpin:-?} kB for $pinned pinned pages, VmLck ${vmlck:-?} kB"
check_counters_back user/counters-back "$during"

# Nothing left: the companion unbinds, both modules unload
echo "$bdf" >/sys/bus/pci/drivers/vfio-ioasid-pci/unbind
rmmod vfio-ioasid-pci
pass_fail $? companion/unload
rmmod ioasid_core
pass_fail $? module/unload
bad=$(dmesg | grep -E 'WARNING:|BUG:|Oops|general protection|refcount_t:|UBSAN:|KASAN:|kernel BUG|corruption|circular locking|Call Trace:' | head -n 5 | tr '\n' '|')
[ -z "$bad" ]; pass_fail $? kernel/log-clean "$bad"
echo "@@DONE" >$R
