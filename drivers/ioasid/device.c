// SPDX-License-Identifier: GPL-2.0-only
/*
 * DEVICE objects: devices bound to a context by a driver, and their
 * attachment to HWPTs.
 *
 * DMA ownership and domain attachment are per iommu_group on Linux 6.1, so a
 * struct ioasid_group tracks each group whose DMA a context owns.  All bound
 * devices of a group belong to one context, and all attached devices of a
 * group share one HWPT.
 */
#include <linux/device.h>
#include <linux/irqdomain.h>
#include <linux/slab.h>

#include "io_pagetable.h"
#include "ioasid_private.h"

struct ioasid_group {
	struct kref kref;
	struct ioasid_ctx *ctx;
	struct iommu_group *group;
	struct mutex lock;		/* protects the members below */
	struct ioasid_hwpt *hwpt;
	struct list_head devices;	/* attached struct ioasid_device */
	/*
	 * Whether the group's IOMMU can block DMA that bypasses the CPU
	 * caches (PCIe no-snoop), once learnt; always known while attached
	 */
	bool cc_known;
	bool cc_capable;
};

/* Protects ioasid_groups: iommu_group ID -> struct ioasid_group */
static DEFINE_MUTEX(ioasid_groups_lock);
static DEFINE_XARRAY(ioasid_groups);

static int ioasid_group_report_user(struct device *dev, void *group_id)
{
	if (dev->driver)
		dev_info(dev, "iommu_group %d is busy: this device is bound to driver %s\n",
			 *(int *)group_id, dev->driver->name);
	return 0;
}

static struct ioasid_group *ioasid_group_get(struct ioasid_ctx *ctx,
					     struct device *dev)
{
	struct ioasid_group *igroup;
	struct iommu_group *group;
	int id, rc;

	group = iommu_group_get(dev);
	if (!group)
		return ERR_PTR(-ENODEV);
	id = iommu_group_id(group);

	mutex_lock(&ioasid_groups_lock);
	igroup = xa_load(&ioasid_groups, id);
	if (igroup) {
		if (igroup->ctx == ctx)
			kref_get(&igroup->kref);
		else
			igroup = ERR_PTR(-EBUSY);
		goto out_unlock;
	}

	igroup = ioasid_kzalloc(sizeof(*igroup), GFP_KERNEL);
	if (!igroup) {
		igroup = ERR_PTR(-ENOMEM);
		goto out_unlock;
	}
	/* Fails if any driver, VFIO or another user owns the group's DMA */
	rc = iommu_group_claim_dma_owner(group, ctx);
	if (rc) {
		dev_info(dev, "ioasid cannot own DMA of iommu_group %d (%d)\n",
			 id, rc);
		iommu_group_for_each_dev(group, &id, ioasid_group_report_user);
		kfree(igroup);
		igroup = ERR_PTR(-EBUSY);
		goto out_unlock;
	}
	kref_init(&igroup->kref);
	igroup->ctx = ctx;
	igroup->group = group;
	mutex_init(&igroup->lock);
	INIT_LIST_HEAD(&igroup->devices);
	rc = ioasid_should_fail(IOASID_FAULT_ID) ? -ENOMEM :
	     xa_err(xa_store(&ioasid_groups, id, igroup, GFP_KERNEL));
	if (rc) {
		iommu_group_release_dma_owner(group);
		kfree(igroup);
		igroup = ERR_PTR(rc);
		goto out_unlock;
	}
	atomic_long_inc(&ioasid_stats.groups);
	/* The new ioasid_group keeps the iommu_group reference */
	group = NULL;
out_unlock:
	mutex_unlock(&ioasid_groups_lock);
	if (group)
		iommu_group_put(group);
	return igroup;
}

/* Called by kref_put_mutex() with ioasid_groups_lock held; drops it */
static void ioasid_group_release(struct kref *kref)
{
	struct ioasid_group *igroup =
		container_of(kref, struct ioasid_group, kref);

	xa_erase(&ioasid_groups, iommu_group_id(igroup->group));
	mutex_unlock(&ioasid_groups_lock);

	WARN_ON(igroup->hwpt || !list_empty(&igroup->devices));
	iommu_group_release_dma_owner(igroup->group);
	iommu_group_put(igroup->group);
	mutex_destroy(&igroup->lock);
	kfree(igroup);
	atomic_long_dec(&ioasid_stats.groups);
}

static void ioasid_group_put(struct ioasid_group *igroup)
{
	kref_put_mutex(&igroup->kref, ioasid_group_release, &ioasid_groups_lock);
}

int ioasid_groups_init(void)
{
	return 0;
}

void ioasid_groups_exit(void)
{
	WARN_ON(!xa_empty(&ioasid_groups));
}

static bool ioasid_device_msi_isolated(struct device *dev)
{
	return device_iommu_capable(dev, IOMMU_CAP_INTR_REMAP) ||
	       irq_domain_check_msi_remap();
}

struct ioasid_device *__ioasid_device_bind(struct ioasid_ctx *ctx,
					   struct device *dev, bool hold_ctx)
{
	struct ioasid_device *idev;
	struct ioasid_group *igroup;

	/* There is no uAPI to flush CPU caches for non-coherent DMA */
	if (!device_iommu_capable(dev, IOMMU_CAP_CACHE_COHERENCY))
		return ERR_PTR(-EINVAL);

	if (!ioasid_device_msi_isolated(dev)) {
		if (!ioasid_allow_unsafe_interrupts) {
			dev_warn(dev, "ioasid: refusing to bind: the IOMMU does not isolate this device's MSIs (interrupt remapping is off), so its user could forge interrupts. Enable interrupt remapping, or load ioasid with allow_unsafe_interrupts=1 if every user of /dev/ioasid is trusted\n");
			return ERR_PTR(-EPERM);
		}
		dev_warn(dev, "ioasid: binding without MSI isolation because allow_unsafe_interrupts=1\n");
	}

	igroup = ioasid_group_get(ctx, dev);
	if (IS_ERR(igroup))
		return ERR_CAST(igroup);

	idev = ioasid_object_alloc(ctx, struct ioasid_device,
				   IOASID_OBJ_DEVICE);
	if (IS_ERR(idev)) {
		ioasid_group_put(igroup);
		return idev;
	}
	idev->ctx = ctx;
	idev->igroup = igroup;
	idev->dev = get_device(dev);
	idev->group_id = iommu_group_id(igroup->group);
	strscpy(idev->iommu, ioasid_iommu_name(dev), sizeof(idev->iommu));
	INIT_LIST_HEAD(&idev->group_item);
	idev->holds_ctx = hold_ctx;
	if (hold_ctx)
		ioasid_ctx_get(ctx);
	/* The driver's reference, given up by ioasid_device_unbind() */
	refcount_inc(&idev->obj.users);
	ioasid_object_finalize(ctx, &idev->obj);
	ioasid_nl_device_event(idev, IOASID_NL_EVENT_BIND, NULL);
	return idev;
}

/**
 * ioasid_device_bind() - give a context ownership of a device's DMA
 * @ctx: context, from ioasid_ctx_from_file()
 * @dev: the device; its driver must set driver_managed_dma
 * @id: output, the DEVICE object ID user space refers to
 *
 * DMA ownership of the device's whole iommu_group passes to @ctx and the
 * group's DMA is blocked until ioasid_device_attach().  The context stays
 * alive until ioasid_device_unbind(), even after user space closes it.
 *
 * Return: the device, or ERR_PTR: -EINVAL if the IOMMU cannot keep DMA cache
 * coherent, -ENODEV without an iommu_group, -EPERM without MSI isolation
 * (see allow_unsafe_interrupts), -EBUSY if a driver or another context owns
 * the group's DMA.
 */
struct ioasid_device *ioasid_device_bind(struct ioasid_ctx *ctx,
					 struct device *dev, u32 *id)
{
	struct ioasid_device *idev;

	idev = __ioasid_device_bind(ctx, dev, true);
	if (!IS_ERR(idev))
		*id = idev->obj.id;
	return idev;
}
EXPORT_SYMBOL_NS_GPL(ioasid_device_bind, IOASID);

void ioasid_device_destroy(struct ioasid_object *obj)
{
	struct ioasid_device *idev =
		container_of(obj, struct ioasid_device, obj);

	WARN_ON(idev->hwpt);
	ioasid_group_put(idev->igroup);
	put_device(idev->dev);
}

/**
 * ioasid_device_unbind() - give up a device bound by ioasid_device_bind()
 * @idev: the device
 *
 * Detaches the device if needed and removes the DEVICE object once no ioctl
 * uses it.  Must not be called with locks an ioasid ioctl could wait on.
 */
void ioasid_device_unbind(struct ioasid_device *idev)
{
	struct ioasid_ctx *ctx = idev->ctx;
	bool holds_ctx = idev->holds_ctx;

	ioasid_device_detach(idev);
	ioasid_nl_device_event(idev, IOASID_NL_EVENT_UNBIND, NULL);
	ioasid_object_remove(ctx, &idev->obj);
	if (holds_ctx)
		ioasid_ctx_put(ctx);
}
EXPORT_SYMBOL_NS_GPL(ioasid_device_unbind, IOASID);

struct ioasid_ctx *ioasid_device_ctx(struct ioasid_device *idev)
{
	return idev->ctx;
}
EXPORT_SYMBOL_NS_GPL(ioasid_device_ctx, IOASID);

u32 ioasid_device_id(struct ioasid_device *idev)
{
	return idev->obj.id;
}
EXPORT_SYMBOL_NS_GPL(ioasid_device_id, IOASID);

/**
 * ioasid_device_hwpt_id() - the HWPT a device is attached to
 * @idev: the device
 *
 * Return: the HWPT's ID, or 0 while the device's DMA is blocked.
 */
u32 ioasid_device_hwpt_id(struct ioasid_device *idev)
{
	struct ioasid_group *igroup = idev->igroup;
	u32 id;

	mutex_lock(&igroup->lock);
	id = idev->hwpt ? idev->hwpt->obj.id : 0;
	mutex_unlock(&igroup->lock);
	return id;
}
EXPORT_SYMBOL_NS_GPL(ioasid_device_hwpt_id, IOASID);

/*
 * Linux 6.1's iommu_attach_group() does not check that a domain belongs to
 * the device's IOMMU driver, and the drivers do not either: a VT-d domain
 * handed a mock device oopses, a mock domain handed a PCI device would
 * leave the real IOMMU unprogrammed.  Every 6.1 driver takes its domain ops
 * from iommu_ops.default_domain_ops, so compare those.
 */
static bool hwpt_serves_device(struct ioasid_hwpt *hwpt, struct device *dev)
{
	/* A nested domain has ops of its own, its parent the IOMMU's */
	if (hwpt->parent)
		hwpt = hwpt->parent;
	return hwpt->domain->ops == dev_iommu_ops(dev)->default_domain_ops;
}

/*
 * Cache coherency.  Every mapping is IOMMU_CACHE, but a device may still
 * set no-snoop in its requests (PCI_EXP_DEVCTL_NOSNOOP_EN, which its user
 * can write through config space) and have them bypass the CPU caches.
 * An IOMMU that can refuse that does so for a domain once asked through
 * enforce_cache_coherency(), and VT-d only for PTEs made afterwards, so
 * every domain is asked before it is first filled, as VFIO type1 and
 * upstream iommufd do.  A HWPT then serves only groups whose IOMMU can
 * do what its domain does: a group that can enforce never lands on a
 * HWPT that does not, and the other way round (VT-d refuses to attach a
 * unit without Snoop Control to an enforcing domain anyway).
 *
 * Linux 6.1 has no IOMMU_CAP_ENFORCE_CACHE_COHERENCY to ask a device's
 * IOMMU beforehand, and VT-d answers enforce_cache_coherency() for the
 * devices attached to the domain.  So a group's answer is learnt from the
 * first domain it is attached to while still empty, or, when its first
 * attach is to a HWPT in use, from an empty domain attached for the
 * purpose and thrown away.
 */
static bool dev_iommu_has_enforce_cc(struct device *dev)
{
	return dev_iommu_ops(dev)->default_domain_ops->enforce_cache_coherency;
}

/* Learn whether the IOMMU of the unattached @igroup can enforce */
static int group_probe_cc(struct ioasid_group *igroup, struct device *dev)
{
	struct iommu_domain *domain;
	int rc;

	lockdep_assert_held(&igroup->lock);

	if (igroup->cc_known)
		return 0;
	if (!dev_iommu_has_enforce_cc(dev)) {
		igroup->cc_capable = false;
		igroup->cc_known = true;
		return 0;
	}
	/* Always known while attached */
	if (WARN_ON(igroup->hwpt))
		return -EINVAL;

	domain = ioasid_should_fail(IOASID_FAULT_DOMAIN) ? NULL :
		 iommu_domain_alloc(dev->bus);
	if (!domain)
		return -ENOMEM;
	rc = ioasid_should_fail(IOASID_FAULT_ATTACH) ? -ENOMEM :
	     iommu_attach_group(domain, igroup->group);
	if (rc)
		goto out_free;
	igroup->cc_capable = domain->ops->enforce_cache_coherency(domain);
	igroup->cc_known = true;
	iommu_detach_group(domain, igroup->group);
out_free:
	iommu_domain_free(domain);
	return rc;
}

/**
 * ioasid_device_cc_capable() - can the device's IOMMU enforce coherency
 * @idev: the device
 * @capable: output, whether it can block no-snoop DMA
 *
 * Return: 0, or an errno from the probe (-ENOMEM, or the attach's).
 */
int ioasid_device_cc_capable(struct ioasid_device *idev, bool *capable)
{
	struct ioasid_group *igroup = idev->igroup;
	int rc;

	mutex_lock(&igroup->lock);
	rc = group_probe_cc(igroup, idev->dev);
	*capable = igroup->cc_capable;
	mutex_unlock(&igroup->lock);
	return rc;
}

/*
 * The first attach of a new automatic HWPT, with @igroup attached and the
 * domain still empty: the group it was made for decides whether it
 * enforces, by asking the domain.  ioasid_hwpt_add_to_ioas() asks again,
 * which changes nothing.
 */
static int group_settle_cc(struct ioasid_group *igroup,
			   struct ioasid_hwpt *hwpt)
{
	const struct iommu_domain_ops *ops = hwpt->domain->ops;
	bool enforced;

	enforced = ops->enforce_cache_coherency &&
		   ops->enforce_cache_coherency(hwpt->domain);
	if (igroup->cc_known && igroup->cc_capable != enforced)
		return -EINVAL;
	hwpt->enforce_cc = enforced;
	hwpt->cc_decided = true;
	igroup->cc_capable = enforced;
	igroup->cc_known = true;
	return 0;
}

/*
 * Attach the unattached group of @idev to @hwpt.  The first group to use a
 * new automatic HWPT settles its coherency; the first to use any HWPT
 * whose domain does not mirror the IOAS yet makes it do so.
 */
static int group_attach_hwpt(struct ioasid_device *idev,
			     struct ioasid_hwpt *hwpt)
{
	struct ioasid_group *igroup = idev->igroup;
	struct ioasid_ioas *ioas = hwpt->ioas;
	int rc;

	lockdep_assert_held(&igroup->lock);
	lockdep_assert_held(&ioas->mutex);

	if (hwpt->dying)
		return -ENOENT;
	/* Another IOMMU's domain: EINVAL, like a domain the driver refuses */
	if (!hwpt_serves_device(hwpt, idev->dev))
		return -EINVAL;
	/* A dirty-tracking domain only for devices whose IOMMU tracks */
	if (hwpt->dirty_ops &&
	    ioasid_selftest_dirty_ops(idev->dev) != hwpt->dirty_ops)
		return -EINVAL;
	if (hwpt->cc_decided) {
		rc = group_probe_cc(igroup, idev->dev);
		if (rc)
			return rc;
		if (igroup->cc_capable != hwpt->enforce_cc)
			return -EINVAL;
	}
	rc = iopt_reserve_group_regions(&ioas->iopt, igroup->group, igroup);
	if (rc)
		return rc;
	rc = ioasid_should_fail(IOASID_FAULT_ATTACH) ? -ENOMEM :
	     iommu_attach_group(hwpt->domain, igroup->group);
	if (rc)
		goto err_unreserve;
	if (!hwpt->cc_decided) {
		rc = group_settle_cc(igroup, hwpt);
		if (rc)
			goto err_detach;
	}
	rc = ioasid_hwpt_add_to_ioas(hwpt);
	if (rc)
		goto err_detach;
	hwpt->ngroups++;
	igroup->hwpt = hwpt;
	return 0;

err_detach:
	iommu_detach_group(hwpt->domain, igroup->group);
err_unreserve:
	iopt_unreserve(&ioas->iopt, igroup);
	return rc;
}

/* Back to blocked DMA */
static void group_detach_hwpt(struct ioasid_group *igroup)
{
	struct ioasid_hwpt *hwpt = igroup->hwpt;

	lockdep_assert_held(&igroup->lock);
	lockdep_assert_held(&hwpt->ioas->mutex);

	iopt_detach_group(&hwpt->ioas->iopt, hwpt->domain, igroup->group);
	iopt_unreserve(&hwpt->ioas->iopt, igroup);
	igroup->hwpt = NULL;
	hwpt->ngroups--;
}

/*
 * An automatic HWPT without groups leaves the IOAS's list at once and the
 * caller removes the object after dropping its locks.
 */
static bool hwpt_release_if_unused(struct ioasid_hwpt *hwpt)
{
	lockdep_assert_held(&hwpt->ioas->mutex);

	if (!hwpt->auto_domain || hwpt->ngroups || hwpt->dying)
		return false;
	hwpt->dying = true;
	list_del_init(&hwpt->hwpt_item);
	return true;
}

/* Drop a device's reference on @hwpt, removing it if it became unused */
static void hwpt_put_for_device(struct ioasid_ctx *ctx,
				struct ioasid_hwpt *hwpt, bool remove)
{
	if (remove)
		ioasid_object_remove(ctx, &hwpt->obj);
	else
		ioasid_put_object(ctx, &hwpt->obj);
}

/* Reuse a compatible automatic HWPT of @ioas or create one */
static struct ioasid_hwpt *group_attach_ioas(struct ioasid_device *idev,
					     struct ioasid_ioas *ioas)
{
	struct ioasid_hwpt *hwpt;
	int rc;

	mutex_lock(&ioas->mutex);
	list_for_each_entry(hwpt, &ioas->hwpt_list, hwpt_item) {
		if (!hwpt->auto_domain || hwpt->dying)
			continue;
		rc = group_attach_hwpt(idev, hwpt);
		/* EINVAL: this domain cannot serve the device, try another */
		if (rc == -EINVAL)
			continue;
		if (rc)
			hwpt = ERR_PTR(rc);
		else
			refcount_inc(&hwpt->obj.users);
		goto out_unlock;
	}

	hwpt = ioasid_hwpt_alloc(idev->ctx, ioas, idev->dev, true);
	if (IS_ERR(hwpt))
		goto out_unlock;
	rc = group_attach_hwpt(idev, hwpt);
	if (rc) {
		ioasid_object_abort_and_destroy(idev->ctx, &hwpt->obj);
		hwpt = ERR_PTR(rc);
		goto out_unlock;
	}
	list_add_tail(&hwpt->hwpt_item, &ioas->hwpt_list);
	/* One reference for the device, the initial one for the xarray */
	refcount_inc(&hwpt->obj.users);
	ioasid_object_finalize(idev->ctx, &hwpt->obj);
out_unlock:
	mutex_unlock(&ioas->mutex);
	return hwpt;
}

static struct ioasid_hwpt *group_attach_pt(struct ioasid_device *idev,
					   struct ioasid_object *pt)
{
	struct ioasid_hwpt *hwpt;
	int rc;

	if (pt->type == IOASID_OBJ_IOAS)
		return group_attach_ioas(idev,
					 container_of(pt, struct ioasid_ioas, obj));

	hwpt = container_of(pt, struct ioasid_hwpt, obj);
	mutex_lock(&hwpt->ioas->mutex);
	rc = group_attach_hwpt(idev, hwpt);
	if (!rc)
		refcount_inc(&hwpt->obj.users);
	mutex_unlock(&hwpt->ioas->mutex);
	return rc ? ERR_PTR(rc) : hwpt;
}

/* The HWPT @idev uses from now on; its faults follow (fault_queue.c) */
static void idev_set_hwpt(struct ioasid_device *idev, struct ioasid_hwpt *hwpt)
{
	lockdep_assert_held(&idev->igroup->lock);

	ioasid_fault_route_dev(idev, hwpt);
	idev->hwpt = hwpt;
}

/* Does attaching to @pt change nothing for a group attached to @hwpt? */
static bool hwpt_matches(struct ioasid_hwpt *hwpt, struct ioasid_object *pt)
{
	if (pt->type == IOASID_OBJ_HWPT)
		return pt == &hwpt->obj;
	return hwpt->auto_domain && &hwpt->ioas->obj == pt;
}

/**
 * ioasid_device_attach() - let a bound device DMA through an IOAS or HWPT
 * @idev: the device
 * @pt_id: in: an IOAS or HWPT ID; out: the HWPT the device uses
 *
 * For an IOAS, a compatible automatic HWPT of that IOAS is reused or a new
 * one created.  The domain's aperture and the group's reserved regions
 * become reserved in the IOAS.  Attaching an attached device replaces its
 * HWPT; on Linux 6.1 this is a detach and an attach, so DMA in flight during
 * the switch faults.  If the new attach fails the device stays on the old
 * HWPT.  Devices of one iommu_group always share a HWPT.
 *
 * Return: 0; -ENOENT for an unknown ID; -EINVAL if @pt_id is neither an IOAS
 * nor a HWPT, if another device of the group uses a different HWPT, or if
 * the domain cannot serve the device; -EADDRINUSE if a reserved region of
 * the device collides with a mapping or an allowed range; -EFAULT or -ENOMEM
 * from pinning memory mapped before the first attach.
 */
int ioasid_device_attach(struct ioasid_device *idev, u32 *pt_id)
{
	struct ioasid_group *igroup = idev->igroup;
	struct ioasid_ctx *ctx = idev->ctx;
	struct ioasid_hwpt *old = NULL, *hwpt, *attached = NULL;
	struct ioasid_object *pt;
	bool remove_old = false;
	int rc = 0;

	pt = ioasid_get_object(ctx, *pt_id, IOASID_OBJ_ANY);
	if (IS_ERR(pt))
		return PTR_ERR(pt);
	if (pt->type != IOASID_OBJ_IOAS && pt->type != IOASID_OBJ_HWPT) {
		rc = -EINVAL;
		goto out_put;
	}

	mutex_lock(&igroup->lock);
	hwpt = igroup->hwpt;
	if (hwpt && hwpt_matches(hwpt, pt)) {
		/* Another device of the group got there first, or a no-op */
		if (!idev->hwpt) {
			refcount_inc(&hwpt->obj.users);
			list_add_tail(&idev->group_item, &igroup->devices);
			idev_set_hwpt(idev, hwpt);
			attached = hwpt;
		}
		*pt_id = hwpt->obj.id;
		goto out_unlock;
	}
	if (hwpt) {
		/* Replace, possible only for the group's single device */
		if (idev->hwpt != hwpt || !list_is_singular(&igroup->devices)) {
			rc = -EINVAL;
			goto out_unlock;
		}
		old = hwpt;
		mutex_lock(&old->ioas->mutex);
		group_detach_hwpt(igroup);
		mutex_unlock(&old->ioas->mutex);
		list_del_init(&idev->group_item);
		idev_set_hwpt(idev, NULL);
	}

	hwpt = group_attach_pt(idev, pt);
	if (IS_ERR(hwpt)) {
		rc = PTR_ERR(hwpt);
		if (old) {
			struct ioasid_ioas *old_ioas = old->ioas;

			mutex_lock(&old_ioas->mutex);
			if (!group_attach_hwpt(idev, old)) {
				/* The device keeps its reference on @old */
				list_add_tail(&idev->group_item,
					      &igroup->devices);
				idev_set_hwpt(idev, old);
				old = NULL;
			} else {
				dev_warn(idev->dev, "ioasid: replace failed and the old HWPT cannot be restored; DMA stays blocked\n");
			}
			mutex_unlock(&old_ioas->mutex);
		}
		goto out_release_old;
	}
	list_add_tail(&idev->group_item, &igroup->devices);
	idev_set_hwpt(idev, hwpt);
	*pt_id = hwpt->obj.id;
	attached = hwpt;

out_release_old:
	if (old) {
		mutex_lock(&old->ioas->mutex);
		remove_old = hwpt_release_if_unused(old);
		mutex_unlock(&old->ioas->mutex);
	}
out_unlock:
	/* Under the lock, while the device holds @attached */
	if (attached)
		ioasid_nl_device_event(idev, IOASID_NL_EVENT_ATTACH, attached);
	mutex_unlock(&igroup->lock);
	if (old)
		hwpt_put_for_device(ctx, old, remove_old);
out_put:
	ioasid_put_object(ctx, pt);
	return rc;
}
EXPORT_SYMBOL_NS_GPL(ioasid_device_attach, IOASID);

/**
 * ioasid_device_detach() - return a device to blocked DMA
 * @idev: the device; nothing happens if it is not attached
 *
 * The group stays attached while another of its devices is.  An automatic
 * HWPT goes away with its last group.
 */
void ioasid_device_detach(struct ioasid_device *idev)
{
	struct ioasid_group *igroup = idev->igroup;
	struct ioasid_hwpt *hwpt;
	bool remove = false;

	mutex_lock(&igroup->lock);
	hwpt = idev->hwpt;
	if (!hwpt) {
		mutex_unlock(&igroup->lock);
		return;
	}
	list_del_init(&idev->group_item);
	idev_set_hwpt(idev, NULL);
	if (list_empty(&igroup->devices)) {
		mutex_lock(&hwpt->ioas->mutex);
		group_detach_hwpt(igroup);
		remove = hwpt_release_if_unused(hwpt);
		mutex_unlock(&hwpt->ioas->mutex);
	}
	ioasid_nl_device_event(idev, IOASID_NL_EVENT_DETACH, hwpt);
	mutex_unlock(&igroup->lock);
	hwpt_put_for_device(idev->ctx, hwpt, remove);
}
EXPORT_SYMBOL_NS_GPL(ioasid_device_detach, IOASID);

#if IS_ENABLED(CONFIG_DEV_IOASID_TEST)
/**
 * ioasid_device_get_hwpt() - the HWPT a device is attached to (test build:
 * the DMA faults of IOMMU_TEST_OP_IOASID_REPORT_DMA_FAULT)
 * @idev: the device
 *
 * Return: the HWPT with one more user, to be dropped with
 * ioasid_put_object(), or NULL if @idev is not attached.
 */
struct ioasid_hwpt *ioasid_device_get_hwpt(struct ioasid_device *idev)
{
	struct ioasid_hwpt *hwpt;

	mutex_lock(&idev->igroup->lock);
	hwpt = idev->hwpt;
	if (hwpt)
		refcount_inc(&hwpt->obj.users);
	mutex_unlock(&idev->igroup->lock);
	return hwpt;
}
#endif

/*
 * IOMMU_GET_HW_INFO.  Linux 6.1's IOMMU drivers give modules no vendor
 * registers and no capability query beyond iommu_capable(), so a real
 * device reports IOMMU_HW_INFO_TYPE_NONE and no capabilities; only mock
 * devices have data, for the selftests.
 */
int ioasid_get_hw_info(struct ioasid_ucmd *ucmd)
{
	struct iommu_hw_info *cmd = ucmd->cmd;
	void __user *udata = u64_to_user_ptr(cmd->data_uptr);
	struct ioasid_device *idev;
	u8 data[IOASID_HW_INFO_MAX];
	u32 type = IOMMU_HW_INFO_TYPE_NONE;
	size_t len = 0, copy;
	int rc;

	if (cmd->flags || cmd->__reserved)
		return -EOPNOTSUPP;
	idev = ioasid_get_device(ucmd->ctx, cmd->dev_id);
	if (IS_ERR(idev))
		return PTR_ERR(idev);

	rc = ioasid_selftest_hw_info(idev->dev, data, sizeof(data), &type);
	if (rc < 0)
		goto out_put;
	len = rc;
	copy = min_t(size_t, len, cmd->data_len);
	rc = 0;
	if (copy && (ioasid_should_fail(IOASID_FAULT_UACCESS) ||
		     copy_to_user(udata, data, copy))) {
		rc = -EFAULT;
		goto out_put;
	}
	/* What the kernel has no data for reads as zero */
	if (cmd->data_len > copy &&
	    clear_user(udata + copy, cmd->data_len - copy)) {
		rc = -EFAULT;
		goto out_put;
	}
	cmd->data_len = len;
	cmd->out_data_type = type;
	cmd->out_capabilities = ioasid_selftest_dirty_ops(idev->dev) ?
				IOMMU_HW_CAP_DIRTY_TRACKING : 0;
	rc = ioasid_ucmd_respond(ucmd, sizeof(*cmd));
out_put:
	ioasid_put_object(ucmd->ctx, &idev->obj);
	return rc;
}
