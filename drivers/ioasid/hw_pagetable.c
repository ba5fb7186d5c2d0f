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

/*
 * Start mirroring the IOAS into the domain; see ioasid_hwpt_alloc().  A
 * HWPT that blocks no-snoop DMA tells its domain first: VT-d sets the
 * snoop bit only in PTEs made after it was told.
 */
int ioasid_hwpt_add_to_ioas(struct ioasid_hwpt *hwpt)
{
	const struct iommu_domain_ops *ops = hwpt->domain->ops;
	int rc;

	if (hwpt->in_iopt)
		return 0;
	if (hwpt->enforce_cc &&
	    !(ops->enforce_cache_coherency &&
	      ops->enforce_cache_coherency(hwpt->domain)))
		return -EINVAL;
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
 * IOMMU_DESTROY.  The checks come in upstream's order, with the answers an
 * upstream kernel gives for IOMMU drivers that, like Linux 6.1's, offer
 * neither nesting, PASIDs nor driver data for paging domains, and while no
 * fault queue exists.
 */
int ioasid_hwpt_alloc_ioctl(struct ioasid_ucmd *ucmd)
{
	const u32 known_flags = IOMMU_HWPT_ALLOC_NEST_PARENT |
				IOMMU_HWPT_ALLOC_DIRTY_TRACKING |
				IOMMU_HWPT_FAULT_ID_VALID |
				IOMMU_HWPT_ALLOC_PASID;
	const struct ioasid_dirty_ops *dirty_ops;
	struct iommu_hwpt_alloc *cmd = ucmd->cmd;
	struct ioasid_device *idev;
	struct ioasid_object *pt;
	struct ioasid_hwpt *hwpt;
	struct ioasid_ioas *ioas;
	bool enforce_cc;
	int rc;

	if (cmd->__reserved || cmd->__reserved2)
		return -EOPNOTSUPP;
	/* Data comes with a type and a type with data */
	if ((cmd->data_type == IOMMU_HWPT_DATA_NONE && cmd->data_len) ||
	    (cmd->data_type != IOMMU_HWPT_DATA_NONE && !cmd->data_len))
		return -EINVAL;

	idev = container_of(ioasid_get_object(ucmd->ctx, cmd->dev_id,
					      IOASID_OBJ_DEVICE),
			    struct ioasid_device, obj);
	if (IS_ERR(idev))
		return PTR_ERR(idev);
	/* Upstream answers EINVAL for a pt_id that names nothing */
	pt = ioasid_get_object(ucmd->ctx, cmd->pt_id, IOASID_OBJ_ANY);
	if (IS_ERR(pt)) {
		rc = -EINVAL;
		goto out_put_idev;
	}
	switch (pt->type) {
	case IOASID_OBJ_IOAS:
		break;
	case IOASID_OBJ_HWPT:
		/* A nested HWPT on this parent: no 6.1 driver can nest */
		rc = -EOPNOTSUPP;
		goto out_put_pt;
	default:
		rc = -EINVAL;
		goto out_put_pt;
	}
	/* What a paging domain of a Linux 6.1 IOMMU driver cannot be */
	if ((cmd->flags & ~known_flags) || cmd->data_len ||
	    (cmd->flags &
	     (IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_ALLOC_PASID))) {
		rc = -EOPNOTSUPP;
		goto out_put_pt;
	}
	dirty_ops = ioasid_selftest_dirty_ops(idev->dev);
	if ((cmd->flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING) && !dirty_ops) {
		rc = -EOPNOTSUPP;
		goto out_put_pt;
	}
	/*
	 * fault_id is looked up last: there is no IOMMU_FAULT_QUEUE_ALLOC,
	 * so it names no fault queue
	 */
	if (cmd->flags & IOMMU_HWPT_FAULT_ID_VALID) {
		rc = -ENOENT;
		goto out_put_pt;
	}
	/*
	 * As upstream, the HWPT blocks no-snoop DMA if the IOMMU of the
	 * device it is made for can; the domain is told before its first fill
	 */
	rc = ioasid_device_cc_capable(idev, &enforce_cc);
	if (rc)
		goto out_put_pt;
	ioas = container_of(pt, struct ioasid_ioas, obj);

	mutex_lock(&ioas->mutex);
	hwpt = ioasid_hwpt_alloc(ucmd->ctx, ioas, idev->dev, false);
	if (IS_ERR(hwpt)) {
		rc = PTR_ERR(hwpt);
		goto out_unlock;
	}
	if (cmd->flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING)
		hwpt->dirty_ops = dirty_ops;
	hwpt->enforce_cc = enforce_cc;
	hwpt->cc_decided = true;
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

static struct ioasid_hwpt *ioasid_get_dirty_hwpt(struct ioasid_ctx *ctx,
						 u32 id)
{
	struct ioasid_object *obj;
	struct ioasid_hwpt *hwpt;

	obj = ioasid_get_object(ctx, id, IOASID_OBJ_HWPT);
	if (IS_ERR(obj))
		return ERR_CAST(obj);
	hwpt = container_of(obj, struct ioasid_hwpt, obj);
	if (!hwpt->dirty_ops) {
		ioasid_put_object(ctx, obj);
		return ERR_PTR(-EOPNOTSUPP);
	}
	return hwpt;
}

int ioasid_hwpt_set_dirty_tracking(struct ioasid_ucmd *ucmd)
{
	struct iommu_hwpt_set_dirty_tracking *cmd = ucmd->cmd;
	struct ioasid_hwpt *hwpt;
	int rc;

	if (cmd->flags & ~IOMMU_HWPT_DIRTY_TRACKING_ENABLE || cmd->__reserved)
		return -EOPNOTSUPP;
	hwpt = ioasid_get_dirty_hwpt(ucmd->ctx, cmd->hwpt_id);
	if (IS_ERR(hwpt))
		return PTR_ERR(hwpt);
	rc = hwpt->dirty_ops->set_tracking(hwpt->domain,
					   cmd->flags &
					   IOMMU_HWPT_DIRTY_TRACKING_ENABLE);
	ioasid_put_object(ucmd->ctx, &hwpt->obj);
	return rc;
}

/* Set the bits of [iova, iova + length) that fall inside @d */
void ioasid_dirty_record(struct ioasid_dirty *d, unsigned long iova,
			 unsigned long length)
{
	unsigned long last = iova + length - 1;

	if (!length || last < d->iova || iova > d->last)
		return;
	iova = max(iova, d->iova);
	last = min(last, d->last);
	bitmap_set(d->bits, (iova - d->iova) >> d->pgshift,
		   ((last - d->iova) >> d->pgshift) -
		   ((iova - d->iova) >> d->pgshift) + 1);
}

/* Bits read, updated and written back per round */
#define DIRTY_CHUNK_WORDS 64

/*
 * The range of GET_DIRTY_BITMAP, checked in upstream's order: it must not
 * wrap, must fit an unsigned long, and must start and end on the IOAS
 * alignment and on page_size.  Ours also wants page_size a power of two
 * (upstream's mask test lets some other sizes through and then uses the
 * lowest bit) and length not 0.
 */
static int dirty_check_range(const struct iommu_hwpt_get_dirty_bitmap *cmd,
			     unsigned long align)
{
	u64 last;

	if (check_add_overflow(cmd->iova, cmd->length - 1, &last))
		return -EOVERFLOW;
	if (cmd->iova > ULONG_MAX || last > ULONG_MAX)
		return -EOVERFLOW;
	if ((cmd->iova & (align - 1)) || ((last + 1) & (align - 1)))
		return -EINVAL;
	if (!cmd->page_size)
		return -EINVAL;
	if ((cmd->iova & (cmd->page_size - 1)) ||
	    ((last + 1) & (cmd->page_size - 1)))
		return -EINVAL;
	if (!is_power_of_2(cmd->page_size) || !cmd->length)
		return -EINVAL;
	return 0;
}

int ioasid_hwpt_get_dirty_bitmap(struct ioasid_ucmd *ucmd)
{
	struct iommu_hwpt_get_dirty_bitmap *cmd = ucmd->cmd;
	u64 __user *ubits = u64_to_user_ptr(cmd->data);
	unsigned long align, nbits, nwords, word;
	bool clear = !(cmd->flags & IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR);
	struct ioasid_dirty d = {};
	struct ioasid_object *obj;
	struct ioasid_hwpt *hwpt;
	int rc = 0;

	if (cmd->flags & ~IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR ||
	    cmd->__reserved)
		return -EOPNOTSUPP;
	obj = ioasid_get_object(ucmd->ctx, cmd->hwpt_id, IOASID_OBJ_HWPT);
	if (IS_ERR(obj))
		return PTR_ERR(obj);
	hwpt = container_of(obj, struct ioasid_hwpt, obj);
	align = READ_ONCE(hwpt->ioas->iopt.iova_alignment);
	rc = dirty_check_range(cmd, align);
	if (rc)
		goto out_put;
	/* Only then, as upstream: does the HWPT track at all */
	if (!hwpt->dirty_ops) {
		rc = -EOPNOTSUPP;
		goto out_put;
	}

	d.pgshift = ilog2(cmd->page_size);
	d.bits = kcalloc(DIRTY_CHUNK_WORDS, sizeof(u64), GFP_KERNEL_ACCOUNT);
	if (!d.bits) {
		rc = -ENOMEM;
		goto out_put;
	}
	nbits = cmd->length >> d.pgshift;
	nwords = DIV_ROUND_UP(nbits, 64);
	for (word = 0; word < nwords; word += DIRTY_CHUNK_WORDS) {
		unsigned long n = min_t(unsigned long, DIRTY_CHUNK_WORDS,
					nwords - word);
		unsigned long first_bit = word * 64;
		unsigned long span = min(n * 64, nbits - first_bit);

		if (ioasid_should_fail(IOASID_FAULT_UACCESS) ||
		    copy_from_user(d.bits, ubits + word, n * sizeof(u64))) {
			rc = -EFAULT;
			break;
		}
		d.iova = cmd->iova + (first_bit << d.pgshift);
		d.last = d.iova + (span << d.pgshift) - 1;
		rc = hwpt->dirty_ops->read_and_clear(hwpt->domain, &d, clear);
		if (rc)
			break;
		if (ioasid_should_fail(IOASID_FAULT_UACCESS) ||
		    copy_to_user(ubits + word, d.bits, n * sizeof(u64))) {
			rc = -EFAULT;
			break;
		}
		cond_resched();
	}
	kfree(d.bits);
out_put:
	ioasid_put_object(ucmd->ctx, &hwpt->obj);
	return rc;
}
