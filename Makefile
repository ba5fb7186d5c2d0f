# SPDX-License-Identifier: GPL-2.0-only
#
# ioasid: /dev/ioasid and its companion driver for Debian 12 (Linux 6.1).
#
#   make              build the modules against Debian's linux-headers-amd64:
#                     the production build, in drivers/
#   make test-modules the test build (mock IOMMU, IOMMU_TEST_CMD, fault
#                     injection) in build/ktest/drivers/; make check loads it
#   make demo         install what is missing, boot a VM and run the user
#                     space NVMe driver, then the edu sample, watched by
#                     ioasidctl (list, show and monitor of what it did)
#   make check        host unit tests, style checks and the VM test suites
#   make upstream-selftest  upstream's iommufd selftests, fetched from
#                     Debian's 6.12 source (cached), built in build/upstream
#   make check-debug  the VM test suites on a KASAN/lockdep/kmemleak kernel
#                     built from linux-source-6.1 (cached in build/)
#   make coverage     gcov line and function coverage of both modules from
#                     the VM suites on a gcov kernel (build/coverage/)
#   make reliability-summary  fault points, fuzz and stress figures and
#                     findings of the last make check / check-debug
#   make vm-shell     boot the test VM with the modules and a shell
#                     (DEBUG=1: on the debug kernel of make check-debug)
#   make lint         checkpatch --strict, W=1 and sparse (C=1)
#   make bench        ioasid against VFIO type1 in a VM per IOMMU (about
#                     half an hour; Documentation/dev-tools/bench.rst),
#                     and upstream iommufd against it on 6.12 if that
#                     kernel is cached
#   make bench-upstream  build (and cache) Debian's 6.12 with iommufd, then
#                     run make bench's upstream VMs alone
#   make qemu         Debian's QEMU 7.2 with the iommufd backend of
#                     tools/qemu (cached; about 6 minutes the first time)
#   make check-qemu   a QEMU in the test VM assigns an edu to its guest
#                     through /dev/ioasid, on VT-d and AMD-Vi
#   make deb          the Debian packages, in build/deb (ioasid-dkms,
#                     libioasid0, libioasid-dev, ioasid-tools)
#   make install      without packages: both modules for the kernel of KVER,
#                     the udev rule, modules-load.d and modprobe.d files,
#                     the group, libioasid, its headers and the tools
#                     (PREFIX=/usr/local, DESTDIR); make uninstall
#   make dkms-install without packages: the module sources under
#                     /usr/src/ioasid-<version>, built by DKMS for every
#                     kernel with headers and each new one; dkms-uninstall
#
# KVER=<release> builds for another installed kernel than the one
# linux-headers-amd64 points to; it never defaults to the running kernel.

KVER ?= $(shell scripts/kver.sh 2>/dev/null)
KDIR ?= /lib/modules/$(KVER)/build
BUILD := $(CURDIR)/build
SRCTAR := /usr/src/linux-source-6.1.tar.xz
KSFT := $(BUILD)/ksft
KTEST := $(BUILD)/ktest

.PHONY: all modules test-modules dkms-src clean setup selftests samples unit lint check demo \
	vm-shell install check-debug reliability-summary bench qemu check-qemu \
	upstream-selftest coverage bench-upstream

all: modules

setup:
	@scripts/setup.sh

modules:
	@test -n "$(KVER)" || { echo "no kernel headers: run 'make setup'" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

# The same sources built with CONFIG_DEV_IOASID_TEST=y in a copy of their
# own, so the production objects in drivers/ stay as they are
test-modules:
	@test -n "$(KVER)" || { echo "no kernel headers: run 'make setup'" >&2; exit 1; }
	@scripts/module-src.sh $(KTEST)
	$(MAKE) -C $(KDIR) M=$(KTEST) CONFIG_DEV_IOASID_TEST=y modules

# checkpatch.pl and the kselftest harness come from Debian's linux-source-6.1
$(KSFT)/.extracted: | setup
	@mkdir -p $(KSFT)
	tar -xJf $(SRCTAR) -C $(KSFT) --strip-components=1 \
		linux-source-6.1/tools/testing/selftests/kselftest_harness.h \
		linux-source-6.1/tools/testing/selftests/kselftest.h \
		linux-source-6.1/scripts/checkpatch.pl \
		linux-source-6.1/scripts/spelling.txt \
		linux-source-6.1/scripts/const_structs.checkpatch
	@touch $@

# ioasid_netlink runs ioasidctl too
selftests: $(KSFT)/.extracted
	$(MAKE) -C tools/testing/selftests/ioasid \
		KSFT_DIR=$(KSFT)/tools/testing/selftests OUTPUT=$(BUILD)/selftests
	$(MAKE) -C tools/ioasidctl OUTPUT=$(BUILD)/samples

# Nothing of upstream's is kept in the tree: see
# Documentation/dev-tools/upstream-selftest.rst
upstream-selftest:
	scripts/upstream-selftest.sh

samples:
	$(MAKE) -C samples/ioasid OUTPUT=$(BUILD)/samples
	$(MAKE) -C samples/nvme OUTPUT=$(BUILD)/samples
	$(MAKE) -C tools/ioasidctl OUTPUT=$(BUILD)/samples

unit:
	$(MAKE) -C tools/testing/unit OUTPUT=$(BUILD)/unit run

lint: $(KSFT)/.extracted
	scripts/lint.sh $(KSFT)/scripts/checkpatch.pl

check: setup
	scripts/check.sh

# Builds the debug kernel on first use (see
# Documentation/dev-tools/debug-kernel.rst)
check-debug: setup
	scripts/check-debug.sh

# Builds the coverage kernel on first use (see
# Documentation/dev-tools/coverage.rst)
coverage: setup
	scripts/coverage.sh

# Fault points, fuzz seeds, stress time and findings of the last VM runs
reliability-summary:
	@scripts/reliability-summary.sh

# The kernel release is known only after setup, hence the sub-makes
# The edu sample last: it ends with what ioasidctl saw of it
demo: setup
	$(MAKE) -s modules samples
	NVME_DEMO=1 NVME_SECS=1 NVME_OUT=$(BUILD)/vm/demo-nvme \
		tools/testing/nvme/run-nvme.sh intel-ir
	tools/testing/vm/demo.sh

vm-shell: setup
ifeq ($(DEBUG),1)
	scripts/check-debug.sh --shell
else
	$(MAKE) -s test-modules selftests samples
	tools/testing/vm/shell.sh
endif

# The patched QEMU, cached in ~/.cache/ioasid-qemu; build/qemu links to it
# (tools/qemu/README.rst)
qemu: setup
	scripts/qemu-build.sh

# Builds the modules, the payload and (first time) the QEMU itself
check-qemu: setup
	scripts/check-qemu.sh

# Builds what it needs itself; results in build/bench and Documentation/bench
bench: setup
	scripts/bench.sh

# The upstream kernel of make bench (Debian's 6.12 with iommufd, vfio-pci
# built in; cached in ~/.cache/ioasid-upstream-kernel, or
# UPSTREAM_KERNEL_DIR), then make bench's upstream VMs alone, reported next
# to the 6.1 results already in build/bench; publishes nothing unless
# BENCH_PUBLISH is set
bench-upstream: setup
	KERNEL_FLAVOUR=upstream $(if $(UPSTREAM_KERNEL_DIR),DEBUG_KERNEL_DIR=$(UPSTREAM_KERNEL_DIR)) \
		scripts/debug-kernel.sh
	BENCH_UPSTREAM=only BENCH_PUBLISH=$${BENCH_PUBLISH:-0} scripts/bench.sh

# A long fuzz and stress run on demand, in the VM on VT-d and AMD-Vi (make
# check runs the same two suites for seconds only).  FUZZ_SECS and
# STRESS_SECS are the budgets in seconds, FUZZ_SEED and STRESS_SEED replay a
# run, FUZZ_IOMMUS picks the IOMMUs, FUZZ_ARGS adds name=value words for the
# guest (IOASID_FUZZ_TEST=sequential ...).  Logs in build/vm/<iommu>-fuzz;
# see Documentation/dev-tools/fuzzing.rst.
FUZZ_SECS ?= 600
STRESS_SECS ?= $(FUZZ_SECS)
FUZZ_IOMMUS ?= intel-ir amd
.PHONY: fuzz
fuzz: setup
	$(MAKE) -s modules test-modules selftests
	@rc=0; for iommu in $(FUZZ_IOMMUS); do \
		SUITES="ioasid_fuzz ioasid_stress" RUN_TAG=-fuzz \
		tools/testing/vm/run-tests.sh $$iommu \
			--timeout $$(( $(FUZZ_SECS) + $(STRESS_SECS) + 900 )) \
			--append "IOASID_FUZZ_SECS=$(FUZZ_SECS) IOASID_STRESS_SECS=$(STRESS_SECS)$(if $(FUZZ_SEED), IOASID_FUZZ_SEED=$(FUZZ_SEED))$(if $(STRESS_SEED), IOASID_STRESS_SEED=$(STRESS_SEED))$(if $(FUZZ_ARGS), $(FUZZ_ARGS))" \
			|| rc=1; \
		grep -h '^# \(fuzz: seeds\|stress: secs\)' \
			build/vm/$$iommu-fuzz/results.log; \
	done; exit $$rc

# The version, from debian/changelog: the packages, DKMS and libioasid's
# pkg-config file agree on it
VERSION := $(shell awk -F'[()]' 'NR == 1 { print $$2 }' $(CURDIR)/debian/changelog)

# Installation.  PREFIX and DESTDIR as usual; the system-wide
# configuration goes where the local administrator's belongs, /etc (the
# packages put it in /lib, the distribution's place).
PREFIX ?= /usr/local
DESTDIR ?=
UDEVRULESDIR ?= /etc/udev/rules.d
MODULESLOADDIR ?= /etc/modules-load.d
MODPROBEDIR ?= /etc/modprobe.d
USER_OUT := $(BUILD)/user
USER_VARS = PREFIX=$(PREFIX) $(if $(LIBDIR),LIBDIR=$(LIBDIR)) \
	$(if $(INCLUDEDIR),INCLUDEDIR=$(INCLUDEDIR)) \
	$(if $(BINDIR),BINDIR=$(BINDIR)) $(if $(MANDIR),MANDIR=$(MANDIR))
USER_DIRS := samples/ioasid samples/nvme tools/ioasidctl

.PHONY: user install install-modules install-config install-user uninstall \
	uninstall-modules uninstall-config uninstall-user dkms-install \
	dkms-uninstall deb

# libioasid (static and shared) and the tools linked with libioasid.so
user:
	$(MAKE) -C tools/lib/ioasid OUTPUT=$(USER_OUT)/lib $(USER_VARS)
	for d in $(USER_DIRS); do \
		$(MAKE) -C $$d STATIC=0 OUTPUT=$(USER_OUT) $(USER_VARS) || exit; \
	done

install: install-modules install-config install-user

# Both modules under /lib/modules/$(KVER)/extra, then depmod
install-modules: modules
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_PATH=$(DESTDIR) modules_install
	$(if $(DESTDIR),,depmod -a $(KVER))

# The udev rule (group ioasid, /dev/iommu), loading at boot, the options
# file, and on the real system the group itself
install-config:
	install -D -m 0644 udev/60-ioasid.rules $(DESTDIR)$(UDEVRULESDIR)/60-ioasid.rules
	install -D -m 0644 conf/modules-load.d/ioasid.conf \
		$(DESTDIR)$(MODULESLOADDIR)/ioasid.conf
	install -D -m 0644 conf/modprobe.d/ioasid.conf $(DESTDIR)$(MODPROBEDIR)/ioasid.conf
	$(if $(DESTDIR),,getent group ioasid >/dev/null || groupadd --system ioasid)

install-user: user
	$(MAKE) -C tools/lib/ioasid OUTPUT=$(USER_OUT)/lib $(USER_VARS) install
	for d in $(USER_DIRS); do \
		$(MAKE) -C $$d STATIC=0 OUTPUT=$(USER_OUT) $(USER_VARS) install || exit; \
	done

uninstall: uninstall-modules uninstall-config uninstall-user

uninstall-modules:
	rm -f $(DESTDIR)/lib/modules/$(KVER)/extra/drivers/ioasid/ioasid-core.ko \
		$(DESTDIR)/lib/modules/$(KVER)/extra/drivers/vfio/pci/ioasid/vfio-ioasid-pci.ko
	$(if $(DESTDIR),,depmod -a $(KVER))

# The group stays: files may belong to it
uninstall-config:
	rm -f $(DESTDIR)$(UDEVRULESDIR)/60-ioasid.rules \
		$(DESTDIR)$(MODULESLOADDIR)/ioasid.conf $(DESTDIR)$(MODPROBEDIR)/ioasid.conf

uninstall-user:
	$(MAKE) -C tools/lib/ioasid OUTPUT=$(USER_OUT)/lib $(USER_VARS) uninstall
	for d in $(USER_DIRS); do \
		$(MAKE) -C $$d OUTPUT=$(USER_OUT) $(USER_VARS) uninstall || exit; \
	done

# The DKMS source tree: the modules' sources and dkms.conf with the version
DKMS_SRC = $(DESTDIR)/usr/src/ioasid-$(VERSION)
dkms-src:
	rm -rf $(DKMS_SRC)
	scripts/module-src.sh $(DKMS_SRC)
	sed 's/#MODULE_VERSION#/$(VERSION)/' dkms.conf >$(DKMS_SRC)/dkms.conf

# Without packages, as root: DKMS builds for every kernel with headers now,
# and for each new kernel's headers later (dkms.conf's AUTOINSTALL)
dkms-install: dkms-src install-config
	dkms remove -m ioasid -v $(VERSION) --all >/dev/null 2>&1 || true
	dkms add -m ioasid -v $(VERSION)
	scripts/dkms-build-all.sh $(VERSION)

dkms-uninstall: uninstall-config
	dkms remove -m ioasid -v $(VERSION) --all
	rm -rf $(DKMS_SRC)

# The Debian packages, built from a copy of the tree so that nothing the
# build leaves lands in the checkout; in build/deb
deb:
	scripts/make-deb.sh $(BUILD)/deb

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	rm -rf $(BUILD)
