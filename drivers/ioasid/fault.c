// SPDX-License-Identifier: GPL-2.0-only
/*
 * Fault injection for the selftests: make the Nth fallible step of one
 * thread fail, so that every error path of the core and of the companion
 * driver can be walked in turn.
 *
 * Every step that can fail for reasons user space does not control (an
 * allocation, an ID, pinning, the locked_vm charge, iommu_domain_alloc(),
 * iommu_map(), attaching a group, enabling a device, a user copy) asks
 * ioasid_should_fail() first and takes its own error path when told to.
 *
 * With test_mode=1 the module adds, under /sys/kernel/debug/ioasid/:
 *   fail_nth   write N > 0: the Nth step the writing thread takes from now
 *              fails, once; write 0 to disarm.  Reads the steps still to
 *              go (0 once the fault fired or when disarmed).
 *   fail_site  the step that failed since the last write of fail_nth, as
 *              "<site> <caller>", or empty.
 * Only the thread that armed the fault is affected, so the steps other
 * threads and workqueues take do not shift the count.
 *
 * On a kernel built with CONFIG_FAULT_INJECTION (the debug kernel of make
 * check-debug; Debian's has none) every step but an allocation also asks
 * the kernel's fault injection, through the attribute fail_ioasid (in
 * debugfs under ioasid/, quiet by default), as upstream iommufd's steps ask
 * fail_iommufd: a thread's /proc/self/task/<tid>/fail-nth then counts our
 * steps among the kernel's allocations, which failslab and fail_page_alloc
 * already cover, and upstream's iommufd_fail_nth sweeps our error paths.
 */
#define pr_fmt(fmt) "ioasid: " fmt

#include <linux/debugfs.h>
#include <linux/fault-inject.h>
#include <linux/ioasid_core.h>
#include <linux/kallsyms.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/spinlock.h>

#include "ioasid_private.h"

static const char *const ioasid_fault_names[IOASID_FAULT_NR] = {
	[IOASID_FAULT_ALLOC] = "alloc",
	[IOASID_FAULT_ID] = "id",
	[IOASID_FAULT_PIN] = "pin",
	[IOASID_FAULT_CHARGE] = "charge",
	[IOASID_FAULT_DOMAIN] = "domain",
	[IOASID_FAULT_MAP] = "map",
	[IOASID_FAULT_ATTACH] = "attach",
	[IOASID_FAULT_ENABLE] = "enable",
	[IOASID_FAULT_UACCESS] = "uaccess",
};

static struct {
	spinlock_t lock;	/* @site and @ip, and arming against firing */
	pid_t tid;		/* armed thread, 0 when disarmed */
	atomic_t nth;		/* steps to go; the one that reaches 0 fails */
	int site;		/* the site that fired, -1 for none */
	unsigned long ip;	/* and who called it */
} ioasid_fault = {
	.lock = __SPIN_LOCK_UNLOCKED(ioasid_fault.lock),
	.site = -1,
};

#if IS_ENABLED(CONFIG_FAULT_INJECTION)
static struct fault_attr fail_ioasid = FAULT_ATTR_INITIALIZER;

/* The kernel's fault injection, for what its own hooks do not cover */
static bool ioasid_kernel_should_fail(enum ioasid_fault_site site)
{
	return site != IOASID_FAULT_ALLOC && ioasid_test_enabled &&
	       should_fail(&fail_ioasid, 1);
}
#else
static bool ioasid_kernel_should_fail(enum ioasid_fault_site site)
{
	return false;
}
#endif

/**
 * ioasid_should_fail - whether this fallible step is the one to fail
 * @site: what kind of step it is
 *
 * Cheap when nothing is armed: one load (and, on a kernel with fault
 * injection, the kernel's check of the thread's fail-nth).  Callable in any
 * context.
 */
bool ioasid_should_fail(enum ioasid_fault_site site)
{
	unsigned long flags;

	if (ioasid_kernel_should_fail(site))
		return true;
	if (likely(!READ_ONCE(ioasid_fault.tid)))
		return false;
	if (READ_ONCE(ioasid_fault.tid) != current->pid)
		return false;
	/* Only the step that takes the count from 1 to 0 fails */
	if (atomic_dec_if_positive(&ioasid_fault.nth) != 0)
		return false;

	spin_lock_irqsave(&ioasid_fault.lock, flags);
	ioasid_fault.site = site;
	ioasid_fault.ip = _RET_IP_;
	WRITE_ONCE(ioasid_fault.tid, 0);
	spin_unlock_irqrestore(&ioasid_fault.lock, flags);
	return true;
}
EXPORT_SYMBOL_NS_GPL(ioasid_should_fail, IOASID);

static int fail_nth_get(void *data, u64 *val)
{
	*val = atomic_read(&ioasid_fault.nth);
	return 0;
}

static int fail_nth_set(void *data, u64 val)
{
	unsigned long flags;

	if (val > INT_MAX)
		return -EINVAL;
	spin_lock_irqsave(&ioasid_fault.lock, flags);
	ioasid_fault.site = -1;
	ioasid_fault.ip = 0;
	atomic_set(&ioasid_fault.nth, val);
	WRITE_ONCE(ioasid_fault.tid, val ? current->pid : 0);
	spin_unlock_irqrestore(&ioasid_fault.lock, flags);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(fail_nth_fops, fail_nth_get, fail_nth_set, "%llu\n");

static int fail_site_show(struct seq_file *m, void *unused)
{
	unsigned long flags, ip;
	int site;

	spin_lock_irqsave(&ioasid_fault.lock, flags);
	site = ioasid_fault.site;
	ip = ioasid_fault.ip;
	spin_unlock_irqrestore(&ioasid_fault.lock, flags);
	if (site >= 0)
		seq_printf(m, "%s %pS\n", ioasid_fault_names[site], (void *)ip);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(fail_site);

void ioasid_fault_debugfs_init(struct dentry *dir)
{
	debugfs_create_file_unsafe("fail_nth", 0600, dir, NULL, &fail_nth_fops);
	debugfs_create_file("fail_site", 0400, dir, NULL, &fail_site_fops);
#if IS_ENABLED(CONFIG_FAULT_INJECTION)
	/* No stack dump per injected fault: the test runs check the log */
	fail_ioasid.verbose = 0;
#if IS_ENABLED(CONFIG_FAULT_INJECTION_DEBUG_FS)
	fault_create_debugfs_attr("fail_ioasid", dir, &fail_ioasid);
#endif
#endif
}
