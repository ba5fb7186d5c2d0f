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
