#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Run the selftests in a VM with one emulated IOMMU and print one line per
# check (PASS/FAIL/SKIP name).  Exits non-zero unless everything passed.
#   run-tests.sh intel-ir|intel|amd [extra vm.sh options]
# intel is VT-d without interrupt remapping: the companion suites run with
# ioasid's allow_unsafe_interrupts=1 there.
# Environment: SUITES="ioasid_map ioasid_mock" runs only those binaries;
# RUN_TAG=x keeps logs in build/vm/<iommu>x so parallel runs do not collide;
# SELFTESTS_DIR=dir takes the test binaries from dir (default build/selftests);
# IOASID_KO_DIR=dir takes the test build's ioasid-core.ko and vfio-ioasid-pci.ko
# from dir (default build/ktest, make test-modules), and the production
# ioasid-core.ko, which the guest checks last, from dir/prod (default drivers/,
# make modules).  vm.sh's VM_KERNEL, VM_MODULES and VM_TIMEOUT pass
# through: scripts/check-debug.sh sets all four for the debug kernel.
# Upstream's iommufd selftests (scripts/upstream-selftest.sh builds them in
# build/upstream, UPSTREAM_DIR=dir takes them from dir): UPSTREAM="iommufd
# iommufd_fail_nth" runs those binaries after our suites, as suites
# upstream-<name> (SUITES="upstream_iommufd" selects one too); UPSTREAM_ARGS
# passes options to them (-f fixture, -v variant, -t test: the kselftest
# harness's filters).  Their expected failures are mapped on the host with
# tools/testing/upstream/<name>.xfail (xfail.awk); a binary that is not
# built is a FAIL, never a silent skip.
set -uo pipefail
top=$(cd "$(dirname "$0")/../../.." && pwd)
iommu=$1; shift
out=$top/build/vm/$iommu${RUN_TAG:-}

ioasid_ko=$top/build/ktest/drivers/ioasid/ioasid-core.ko
companion_ko=$top/build/ktest/drivers/vfio/pci/ioasid/vfio-ioasid-pci.ko
prod_ko=$top/drivers/ioasid/ioasid-core.ko
if [ -n "${IOASID_KO_DIR:-}" ]; then
	ioasid_ko=$IOASID_KO_DIR/ioasid-core.ko
	companion_ko=$IOASID_KO_DIR/vfio-ioasid-pci.ko
	prod_ko=$IOASID_KO_DIR/prod/ioasid-core.ko
fi
adds=(--add "$ioasid_ko:/lib/modules/ioasid-core.ko"
	--add "$companion_ko:/lib/modules/vfio-ioasid-pci.ko"
	--add "$prod_ko:/lib/modules/prod/ioasid-core.ko"
	--kmod vfio-pci-core --kmod vfio-pci --kmod vfio_iommu_type1
	--kmod pci-pf-stub)
# Two edu devices on the root bus (one iommu_group each), two behind a
# conventional PCI bridge (one shared group), and an NVMe controller for
# MSI-X and function reset.  edu: at most 4095 bytes per DMA, IOVAs below
# 256 MiB (28-bit DMA mask).  Behind a second bridge, an edu (no function
# reset) and an NVMe controller (whose registers a reset clears) share a
# bus, so vfio-pci-core's bus reset on close has a victim to spare.  Behind
# a PCIe root port, an NVMe controller with SR-IOV (one VF), which the
# guest script leaves without driver for ioasid_vfio_sriov.
devices="-device edu -device edu \
	-device pci-bridge,id=br1,chassis_nr=1 \
	-device edu,bus=br1,addr=1 -device edu,bus=br1,addr=2 \
	-blockdev driver=null-co,node-name=nvm0,size=67108864 \
	-device nvme,serial=ioasid0,drive=nvm0 \
	-device pci-bridge,id=br2,chassis_nr=2 \
	-device edu,bus=br2,addr=1 \
	-blockdev driver=null-co,node-name=nvm1,size=67108864 \
	-device nvme,serial=ioasid1,drive=nvm1,bus=br2,addr=2 \
	-device pcie-root-port,id=rp1,chassis=3 \
	-device nvme-subsys,id=nvss0 \
	-device nvme,serial=ioasid-pf,subsys=nvss0,bus=rp1,sriov_max_vfs=1,sriov_vq_flexible=2,sriov_vi_flexible=1"
for t in "${SELFTESTS_DIR:-$top/build/selftests}"/ioasid_*; do
	name=$(basename "$t")
	if [ -n "${SUITES:-}" ] && [ "$name" != ioasid_notest ] &&
	   ! [[ " $SUITES " == *" $name "* ]]; then
		continue
	fi
	adds+=(--add "$t:/tests/$name")
done

# ioasidctl (tools/ioasidctl, built static by make selftests and make
# samples), for ioasid_netlink and the guest script's own checks
ctl=${IOASIDCTL:-$top/build/samples/ioasidctl}
[ -x "$ctl" ] && adds+=(--add "$ctl:/tests/ioasidctl")

upstream_dir=${UPSTREAM_DIR:-$top/build/upstream}
upstream=" ${UPSTREAM:-} "
for s in ${SUITES:-}; do
	case $s in upstream_*) upstream="$upstream${s#upstream_} " ;; esac
done
upstream_missing=()
upstream_run=()
for u in $upstream; do
	[[ " ${upstream_run[*]} ${upstream_missing[*]} " == *" $u "* ]] && continue
	if [ -x "$upstream_dir/$u" ]; then
		adds+=(--add "$upstream_dir/$u:/tests/upstream_$u")
		upstream_run+=("$u")
	else
		upstream_missing+=("$u")
	fi
done
if [ ${#upstream_run[@]} -ne 0 ] && [ -n "${UPSTREAM_ARGS:-}" ]; then
	mkdir -p "$out"
	echo "$UPSTREAM_ARGS" >"$out/upstream.args"
	adds+=(--add "$out/upstream.args:/etc/upstream.args")
fi

xfails=()
for u in ${upstream_run[@]+"${upstream_run[@]}"}; do
	[ -e "$top/tools/testing/upstream/$u.xfail" ] &&
		xfails+=("tools/testing/upstream/$u.xfail")
done
# Upstream's lines go through their expected-failure lists, others pass
apply_xfails() {
	if [ ${#xfails[@]} -ne 0 ]; then
		(cd "$top" && awk -v full="$([ -z "${UPSTREAM_ARGS:-}" ] && echo 1)" \
			-f tools/testing/upstream/xfail.awk "${xfails[@]}" -)
	else
		cat
	fi
}

# The VM runs in the background while its results are shown as the guest
# writes them, one line per check as it finishes: someone watching, or a
# CI log cut short, sees how far the run got
start=$(date +%s)
mkdir -p "$out"
: >"$out/results.log"
"$top/tools/testing/vm/vm.sh" --iommu "$iommu" --out "$out" \
	--script "$top/tools/testing/vm/guest-tests.sh" "${adds[@]}" \
	--qemu "$devices" "$@" &
vm_pid=$!
tail -n +1 -F --pid="$vm_pid" "$out/results.log" 2>/dev/null |
	awk -v prefix="$iommu" -f "$top/tools/testing/vm/parse-results.awk" |
	apply_xfails | tee "$out/summary.txt"
wait "$vm_pid"
vm_rc=$?
secs=$(( $(date +%s) - start ))

for u in ${upstream_missing[@]+"${upstream_missing[@]}"}; do
	echo "FAIL $iommu/upstream-$u/not-built $upstream_dir/$u is missing: run scripts/upstream-selftest.sh"
done | tee -a "$out/summary.txt"
[ $vm_rc -eq 124 ] && echo "FAIL $iommu/vm/timeout" | tee -a "$out/summary.txt"
tr -d '\r' <"$out/results.log" | sed -n "s/^# \(upstream-.* took .*\)/# $iommu: \1/p"
echo "# $iommu: VM run took ${secs}s; logs in $out"
! grep -qv '^PASS ' "$out/summary.txt"
