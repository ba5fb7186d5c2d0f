#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Boot Debian's kernel under QEMU (TCG) with a busybox initramfs and run a
# guest script, or give an interactive shell.
#
#   vm.sh [options]
#     --iommu intel|intel-ir|amd|none  emulated IOMMU (default intel-ir:
#                                      VT-d with interrupt remapping)
#     --mem SIZE          guest memory (default 2G)
#     --smp N             guest CPUs (default 2)
#     --append STR        extra kernel command line
#     --qemu "ARGS"       extra QEMU arguments (repeatable)
#     --add SRC[:DST]     copy a file into the initramfs (default DST
#                         /root/<name>); repeatable
#     --kmod NAME         include a module of the booted kernel and what it
#                         depends on, in /lib/modules/NAME.ko; repeatable
#     --script FILE       guest script, run as /test.sh
#     --shell             interactive: console on this terminal, then a shell
#     --timeout SEC       kill QEMU after this long (default 1200, or
#                         VM_TIMEOUT)
#     --out DIR           console.log and results.log go here (default
#                         build/vm)
#
# The guest's console (kernel messages, script output) is ttyS0 ->
# DIR/console.log.  Test results go to ttyS1 -> DIR/results.log, so kernel
# messages can never garble them.
#
# Environment, to boot another kernel than Debian's (the debug kernel of
# scripts/debug-kernel.sh); unset, nothing changes:
#   VM_KERNEL=bzImage   the kernel to boot (default /boot/vmlinuz-<KVER>)
#   VM_MODULES=dir      --kmod looks in dir/lib/modules/<release> (a
#                       modules_install INSTALL_MOD_PATH) instead of
#                       /lib/modules/<KVER>
#   VM_KVER=release     the release under VM_MODULES; by default the only
#                       directory in dir/lib/modules
#   VM_TIMEOUT=sec      the default of --timeout
#
# Exit status: the guest script's, 124 if QEMU timed out, 125 if the guest
# died before the script finished (panic, triple fault).
set -euo pipefail

top=$(cd "$(dirname "$0")/../../.." && pwd)
iommu=intel-ir
mem=2G
smp=2
append=""
qemu_extra=()
adds=()
kmods=()
script=""
shell=0
timeout=${VM_TIMEOUT:-1200}
out="$top/build/vm"

while [ $# -gt 0 ]; do
	case "$1" in
	--iommu) iommu=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--smp) smp=$2; shift 2 ;;
	--append) append="$append $2"; shift 2 ;;
	--qemu) read -r -a extra <<<"$2"; qemu_extra+=("${extra[@]}"); shift 2 ;;
	--add) adds+=("$2"); shift 2 ;;
	--kmod) kmods+=("$2"); shift 2 ;;
	--script) script=$2; shift 2 ;;
	--shell) shell=1; shift ;;
	--timeout) timeout=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	*) echo "vm.sh: unknown option $1" >&2; exit 2 ;;
	esac
done

# modinfo finds the modules of another kernel by base directory and release
modinfo_base=()
if [ -n "${VM_MODULES:-}" ]; then
	modinfo_base=(-b "$VM_MODULES")
	kver=${VM_KVER:-}
	if [ -z "$kver" ]; then
		kver=$(ls "$VM_MODULES/lib/modules" 2>/dev/null || true)
		[ "$(echo "$kver" | wc -w)" = 1 ] || {
			echo "vm.sh: set VM_KVER: $VM_MODULES/lib/modules holds '$kver'" >&2
			exit 2
		}
	fi
else
	kver=$("$top/scripts/kver.sh")
fi
kernel=${VM_KERNEL:-/boot/vmlinuz-$kver}
[ -r "$kernel" ] || { echo "vm.sh: cannot read $kernel (run scripts/setup.sh)" >&2; exit 2; }
mkdir -p "$out"

root=$(mktemp -d)
# mktemp -d is 0700, and it becomes the guest's /: tests that run as an
# unprivileged user need to reach /bin and /lib
chmod 0755 "$root"
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,proc,sys,dev,tmp,root,etc,lib/modules,tests}
cp /bin/busybox "$root/bin/busybox"
for applet in $("$root/bin/busybox" --list); do
	# "busybox" is in the list too: linking it would replace the binary
	[ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"
done

for spec in ${adds[@]+"${adds[@]}"}; do
	src=${spec%%:*}
	dst=${spec#*:}
	[ "$dst" = "$spec" ] && dst=/root/$(basename "$src")
	mkdir -p "$root$(dirname "$dst")"
	cp "$src" "$root$dst"
done

# Modules of the booted kernel, with their dependencies
add_kmod() {
	local name=$1 path dep
	[ -e "$root/lib/modules/$name.ko" ] && return 0
	path=$(modinfo ${modinfo_base[@]+"${modinfo_base[@]}"} -k "$kver" -n "$name")
	case "$path" in
	*.ko.xz) xz -dc "$path" >"$root/lib/modules/$name.ko" ;;
	*) cp "$path" "$root/lib/modules/$name.ko" ;;
	esac
	for dep in $(modinfo ${modinfo_base[@]+"${modinfo_base[@]}"} -k "$kver" \
			-F depends "$name" | tr ',' ' '); do
		add_kmod "$dep"
	done
}
for m in ${kmods[@]+"${kmods[@]}"}; do
	add_kmod "$m"
done

if [ -n "$script" ]; then
	cp "$script" "$root/test.sh"
fi

cat >"$root/init" <<EOF
#!/bin/sh
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t debugfs debugfs /sys/kernel/debug
mount -t tmpfs tmpfs /tmp
mkdir -p /dev/hugepages /dev/pts
mount -t hugetlbfs hugetlbfs /dev/hugepages
mount -t devpts devpts /dev/pts
echo "IOASID-VM: BOOTED \$(cut -d' ' -f1 /proc/uptime)"
if [ $shell = 1 ]; then
	echo "IOASID-VM: shell; modules in /lib/modules, files in /root and /tests; poweroff -f to leave"
	setsid cttyhack sh -l
else
	sh /test.sh
	echo "IOASID-VM: EXIT \$? \$(cut -d' ' -f1 /proc/uptime)"
fi
echo o >/proc/sysrq-trigger
sleep 10
EOF
chmod +x "$root/init"

initrd="$out/initrd.gz"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$initrd"

# no_timer_check: under a loaded host the TCG guest can miss the kernel's
# IO-APIC timer check ("timer doesn't work through Interrupt-remapped
# IO-APIC") and panic at boot; the timer works, the check is too tight.
cmdline="console=ttyS0 panic=-1 quiet log_buf_len=32M no_timer_check"
dev=()
# QEMU's options: the commas are QEMU's, not array separators
# shellcheck disable=SC2054
case "$iommu" in
intel) dev=(-device intel-iommu,intremap=off); cmdline="$cmdline intel_iommu=on" ;;
intel-ir) dev=(-device intel-iommu,intremap=on); cmdline="$cmdline intel_iommu=on" ;;
amd) dev=(-device amd-iommu) ;;
none) ;;
*) echo "vm.sh: unknown IOMMU $iommu" >&2; exit 2 ;;
esac
# Unknown name=value parameters reach /init, and so the guest script, as
# environment variables
cmdline="$cmdline IOASID_IOMMU=$iommu$append"

# shellcheck disable=SC2054 # QEMU's commas
qemu=(qemu-system-x86_64 -accel tcg,thread=multi -M q35 -cpu max
	-m "$mem" -smp "$smp" -no-reboot -net none
	-kernel "$kernel" -initrd "$initrd" -append "$cmdline"
	${dev[@]+"${dev[@]}"} ${qemu_extra[@]+"${qemu_extra[@]}"})

if [ $shell = 1 ]; then
	exec "${qemu[@]}" -display none -serial mon:stdio \
		-serial "file:$out/results.log"
fi

: >"$out/console.log"
: >"$out/results.log"
rc=0
timeout --foreground -k 5 "$timeout" "${qemu[@]}" -display none \
	-monitor none -serial "file:$out/console.log" \
	-serial "file:$out/results.log" </dev/null || rc=$?
if [ $rc -eq 124 ]; then
	echo "vm.sh: QEMU timed out after ${timeout}s" >&2
	exit 124
fi
status=$(sed -n 's/^IOASID-VM: EXIT \([0-9]*\).*/\1/p' "$out/console.log" | tail -n 1)
if [ -z "$status" ]; then
	echo "vm.sh: the guest died before its script finished; see $out/console.log" >&2
	exit 125
fi
exit "$status"
