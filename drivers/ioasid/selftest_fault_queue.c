// SPDX-License-Identifier: GPL-2.0-only
/*
 * The test operations of fault queues (test build only, test_mode=1):
 *
 * IOMMU_TEST_OP_TRIGGER_IOPF, upstream's: a bound device sends a page
 * request, as a device with PRI would, to the fault queue of its HWPT.
 *
 * IOMMU_TEST_OP_IOASID_REPORT_DMA_FAULT, ours: the path of Linux 6.1's
 * real DMA faults.  It calls report_iommu_fault() on the domain a bound
 * device is attached to, as AMD-Vi does for an I/O page fault, on mock
 * devices and on real ones behind VT-d or AMD-Vi alike, from hard
 * interrupt context, which is stricter than AMD-Vi's interrupt thread:
 * anything in the handler that sleeps shows on the debug kernel.  No
 * emulated IOMMU raises such faults (see Documentation/userspace-api/
 * ioasid.rst, "Test mode").
 */
#include <linux/irq_work.h>

#include "ioasid_private.h"
#include "ioasid_test.h"

/* As upstream's: any bound device; 0 whether the request found a queue */
int ioasid_test_trigger_iopf(struct ioasid_ucmd *ucmd,
			     struct iommu_test_cmd *cmd)
{
	struct iommu_hwpt_pgfault req = {
		.flags = IOMMU_PGFAULT_FLAGS_LAST_PAGE,
		.pasid = cmd->trigger_iopf.pasid,
		.grpid = cmd->trigger_iopf.grpid,
		.perm = cmd->trigger_iopf.perm,
		.addr = cmd->trigger_iopf.addr,
	};
	struct ioasid_device *idev;
	int rc;

	idev = ioasid_get_device(ucmd->ctx, cmd->trigger_iopf.dev_id);
	if (IS_ERR(idev))
		return PTR_ERR(idev);
	if (req.pasid)
		req.flags |= IOMMU_PGFAULT_FLAGS_PASID_VALID;
	rc = ioasid_fault_report_iopf(idev, &req);
	ioasid_put_object(ucmd->ctx, &idev->obj);
	return rc;
}

struct test_dma_fault {
	struct irq_work work;
	struct iommu_domain *domain;
	struct device *dev;
	unsigned long iova;
	int flags;
	u32 count;
	u32 handled;
};

static void test_dma_fault_irq(struct irq_work *work)
{
	struct test_dma_fault *f = container_of(work, struct test_dma_fault,
						work);
	u32 i;

	for (i = 0; i != f->count; i++)
		if (!report_iommu_fault(f->domain, f->dev, f->iova, f->flags))
			f->handled++;
}

int ioasid_test_report_dma_fault(struct ioasid_ucmd *ucmd,
				 struct iommu_test_cmd *cmd)
{
	struct test_dma_fault f = {
		.iova = cmd->report_dma_fault.iova,
		.count = cmd->report_dma_fault.count,
		.flags = cmd->report_dma_fault.flags & MOCK_DMA_FAULT_WRITE ?
			 IOMMU_FAULT_WRITE : IOMMU_FAULT_READ,
	};
	struct ioasid_device *idev;
	struct ioasid_hwpt *hwpt;
	int rc = 0;

	if (cmd->report_dma_fault.flags & ~MOCK_DMA_FAULT_WRITE)
		return -EOPNOTSUPP;
	if (!f.count || f.count > IOASID_TEST_DMA_FAULT_MAX ||
	    cmd->report_dma_fault.iova > ULONG_MAX)
		return -EINVAL;
	idev = ioasid_get_device(ucmd->ctx, cmd->report_dma_fault.dev_id);
	if (IS_ERR(idev))
		return PTR_ERR(idev);
	/* The HWPT's reference keeps its domain while the IRQ work uses it */
	hwpt = ioasid_device_get_hwpt(idev);
	if (!hwpt) {
		rc = -EINVAL;
		goto out_put_idev;
	}
	f.domain = hwpt->domain;
	f.dev = idev->dev;

	init_irq_work(&f.work, test_dma_fault_irq);
	irq_work_queue(&f.work);
	irq_work_sync(&f.work);

	cmd->report_dma_fault.out_handled = f.handled;
	rc = ioasid_ucmd_respond(ucmd, sizeof(*cmd));
	ioasid_put_object(ucmd->ctx, &hwpt->obj);
out_put_idev:
	ioasid_put_object(ucmd->ctx, &idev->obj);
	return rc;
}
