// SPDX-License-Identifier: GPL-2.0-only
/*
 * HWPT objects: one iommu_domain kept in sync with the IOAS it belongs to.
 */
#include "ioasid_private.h"

/**
 * ioasid_hwpt_alloc() - create a HWPT with an empty domain for @dev
 * @ctx: context
 * @ioas: the IOAS the domain will mirror
 * @dev: a device the domain must be able to serve
 * @auto_domain: remove the HWPT when its last device detaches
 *
 * The domain joins the IOAS (ioasid_hwpt_add_to_ioas()) only once a group is
 * attached, because IOMMU drivers settle the aperture and page sizes of a
 * domain at its first attach.
 *
 * Return: an unpublished HWPT, or an ERR_PTR.
 */
struct ioasid_hwpt *ioasid_hwpt_alloc(struct ioasid_ctx *ctx,
				      struct ioasid_ioas *ioas,
				      struct device *dev, bool auto_domain)
{
	struct ioasid_hwpt *hwpt;

	hwpt = ioasid_object_alloc(ctx, struct ioasid_hwpt, IOASID_OBJ_HWPT);
	if (IS_ERR(hwpt))
		return hwpt;
	INIT_LIST_HEAD(&hwpt->hwpt_item);
	hwpt->ctx = ctx;
	hwpt->ioas = ioas;
	refcount_inc(&ioas->obj.users);
	hwpt->auto_domain = auto_domain;

	hwpt->domain = ioasid_should_fail(IOASID_FAULT_DOMAIN) ? NULL :
		       iommu_domain_alloc(dev->bus);
	if (!hwpt->domain) {
		ioasid_object_abort_and_destroy(ctx, &hwpt->obj);
		return ERR_PTR(-ENOMEM);
	}
	atomic_long_inc(&ioasid_stats.domains);
	return hwpt;
}

/* Start mirroring the IOAS into the domain; see ioasid_hwpt_alloc() */
int ioasid_hwpt_add_to_ioas(struct ioasid_hwpt *hwpt)
{
	int rc;

	if (hwpt->in_iopt)
		return 0;
	rc = iopt_add_domain(&hwpt->ioas->iopt, hwpt->domain);
	if (!rc)
		hwpt->in_iopt = true;
	return rc;
}

void ioasid_hwpt_destroy(struct ioasid_object *obj)
{
	struct ioasid_hwpt *hwpt = container_of(obj, struct ioasid_hwpt, obj);
	struct ioasid_ioas *ioas = hwpt->ioas;

	if (!list_empty(&hwpt->hwpt_item)) {
		mutex_lock(&ioas->mutex);
		list_del_init(&hwpt->hwpt_item);
		mutex_unlock(&ioas->mutex);
	}
	if (hwpt->in_iopt)
		iopt_remove_domain(&ioas->iopt, hwpt->domain);
	if (hwpt->domain) {
		iommu_domain_free(hwpt->domain);
		atomic_long_dec(&ioasid_stats.domains);
	}
	ioasid_put_object(hwpt->ctx, &ioas->obj);
}

/*
 * IOMMU_HWPT_ALLOC: a paging HWPT for one device's IOMMU that lives until
 * IOMMU_DESTROY.  Linux 6.1 offers neither nesting, dirty tracking, fault
 * queues nor PASIDs, so those requests are refused as unsupported.
 */
int ioasid_hwpt_alloc_ioctl(struct ioasid_ucmd *ucmd)
{
	struct iommu_hwpt_alloc *cmd = ucmd->cmd;
	struct ioasid_device *idev;
	struct ioasid_object *pt;
	struct ioasid_hwpt *hwpt;
	struct ioasid_ioas *ioas;
	int rc;

	if (cmd->__reserved || cmd->__reserved2)
		return -EOPNOTSUPP;
	if (cmd->flags & ~(IOMMU_HWPT_ALLOC_NEST_PARENT |
			   IOMMU_HWPT_ALLOC_DIRTY_TRACKING |
			   IOMMU_HWPT_FAULT_ID_VALID | IOMMU_HWPT_ALLOC_PASID))
		return -EOPNOTSUPP;
	if (cmd->data_type > IOMMU_HWPT_DATA_ARM_SMMUV3)
		return -EOPNOTSUPP;

	idev = container_of(ioasid_get_object(ucmd->ctx, cmd->dev_id,
					      IOASID_OBJ_DEVICE),
			    struct ioasid_device, obj);
	if (IS_ERR(idev))
		return PTR_ERR(idev);
	pt = ioasid_get_object(ucmd->ctx, cmd->pt_id, IOASID_OBJ_ANY);
	if (IS_ERR(pt)) {
		rc = PTR_ERR(pt);
		goto out_put_idev;
	}
	/* A HWPT parent would make a nested HWPT; there are no parents */
	if (pt->type != IOASID_OBJ_IOAS) {
		rc = -EINVAL;
		goto out_put_pt;
	}
	if (cmd->data_type != IOMMU_HWPT_DATA_NONE) {
		rc = -EINVAL;
		goto out_put_pt;
	}
	if (cmd->data_len || cmd->data_uptr) {
		rc = -EINVAL;
		goto out_put_pt;
	}
	/* Understood, but nothing in Linux 6.1 can do it */
	if (cmd->flags) {
		rc = -EOPNOTSUPP;
		goto out_put_pt;
	}
	ioas = container_of(pt, struct ioasid_ioas, obj);

	mutex_lock(&ioas->mutex);
	hwpt = ioasid_hwpt_alloc(ucmd->ctx, ioas, idev->dev, false);
	if (IS_ERR(hwpt)) {
		rc = PTR_ERR(hwpt);
		goto out_unlock;
	}
	cmd->out_hwpt_id = hwpt->obj.id;
	rc = ioasid_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc) {
		ioasid_object_abort_and_destroy(ucmd->ctx, &hwpt->obj);
		goto out_unlock;
	}
	list_add_tail(&hwpt->hwpt_item, &ioas->hwpt_list);
	ioasid_object_finalize(ucmd->ctx, &hwpt->obj);
out_unlock:
	mutex_unlock(&ioas->mutex);
out_put_pt:
	ioasid_put_object(ucmd->ctx, pt);
out_put_idev:
	ioasid_put_object(ucmd->ctx, &idev->obj);
	return rc;
}
