// SPDX-License-Identifier: GPL-2.0-only
/*
 * HWPT objects: one iommu_domain kept in sync with the IOAS it belongs to,
 * or a nested one: the user's stage-1 translation on top of a parent HWPT.
 */
#include <linux/uaccess.h>

#include "io_pagetable.h"
#include "ioasid_private.h"

/**
 * ioasid_hwpt_alloc() - create a HWPT with an empty domain for @dev
 * @ctx: context
 * @ioas: the IOAS the domain will mirror
 * @dev: a device the domain must be able to serve
 * @auto_domain: remove the HWPT when its last device detaches
 *
 * The domain joins the IOAS (ioasid_hwpt_add_to_ioas()) once a group is
 * attached, because Linux 6.1's IOMMU drivers settle the aperture and page
 * sizes of a domain at its first attach; a domain that is complete at
 * allocation (@complete: the mock IOMMU's) may join it earlier.
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
	hwpt->complete = ioasid_selftest_domain_init(dev, hwpt->domain);
	strscpy(hwpt->iommu, ioasid_iommu_name(dev), sizeof(hwpt->iommu));
	return hwpt;
}

/*
 * Start mirroring the IOAS into the domain; see ioasid_hwpt_alloc().  A
 * HWPT that blocks no-snoop DMA tells its domain first: VT-d sets the
 * snoop bit only in PTEs made after it was told.  Whether it does is
 * settled before: at its first attach for an automatic HWPT, by
 * IOMMU_HWPT_ALLOC (which may fill it at once) for the others.  A nested
 * HWPT's IOAS is its parent's, which does the mirroring.
 */
int ioasid_hwpt_add_to_ioas(struct ioasid_hwpt *hwpt)
{
	const struct iommu_domain_ops *ops = hwpt->domain->ops;
	int rc;

	if (hwpt->in_iopt || hwpt->parent)
		return 0;
	if (WARN_ON(!hwpt->cc_decided))
		return -EINVAL;
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
	/* After its domain, whose fault handler feeds the queue */
	ioasid_hwpt_put_fault(hwpt);
	/* After its domain: a nested domain refers to its parent's */
	if (hwpt->parent)
		ioasid_put_object(hwpt->ctx, &hwpt->parent->obj);
	ioasid_put_object(hwpt->ctx, &ioas->obj);
}

/**
 * ioasid_copy_user_data() - copy an IOMMU's structure from user space
 * @dst: the kernel's structure
 * @size: its size
 * @min_size: the size of its first revision
 * @src: the user's data
 *
 * The rules of upstream's iommu_copy_struct_from_user(): the user's data
 * may be any revision from the first to the kernel's, and a shorter one is
 * zero-extended.
 *
 * Return: 0; -EINVAL if the data is shorter than @min_size or longer than
 * @size; -EFAULT if it cannot be read.
 */
int ioasid_copy_user_data(void *dst, size_t size, size_t min_size,
			  const struct ioasid_user_data *src)
{
	if (src->len < min_size || src->len > size)
		return -EINVAL;
	if (ioasid_should_fail(IOASID_FAULT_UACCESS))
		return -EFAULT;
	return copy_struct_from_user(dst, size, src->uptr, src->len);
}

/**
 * ioasid_copy_user_entry() - copy entry @index of a user array
 * @dst: the kernel's structure
 * @size: its size
 * @min_size: the size of its first revision
 * @array: the user's array; its type must have been checked
 * @index: the entry, below @array->entry_num
 *
 * Return: as ioasid_copy_user_data(), with the array's entry_len.
 */
int ioasid_copy_user_entry(void *dst, size_t size, size_t min_size,
			   const struct ioasid_user_array *array, u32 index)
{
	struct ioasid_user_data src = {
		.type = array->type,
		.uptr = array->uptr + (unsigned long)array->entry_len * index,
		.len = array->entry_len,
	};

	if (WARN_ON(index >= array->entry_num))
		return -EINVAL;
	return ioasid_copy_user_data(dst, size, min_size, &src);
}

/*
 * What a HWPT on an IOAS may be asked for, as upstream's
 * iommufd_hwpt_paging_alloc() checks it: Linux 6.1's drivers take no data
 * for such a domain, no PASID, and only IOMMUs that can nest or track dirty
 * pages (the mock) make nesting parents or dirty-tracking domains.
 */
static int hwpt_paging_check(struct ioasid_device *idev,
			     const struct iommu_hwpt_alloc *cmd)
{
	if (cmd->flags & ~(IOMMU_HWPT_ALLOC_NEST_PARENT |
			   IOMMU_HWPT_ALLOC_DIRTY_TRACKING |
			   IOMMU_HWPT_FAULT_ID_VALID))
		return -EOPNOTSUPP;
	if (cmd->data_len)
		return -EOPNOTSUPP;
	if ((cmd->flags & IOMMU_HWPT_ALLOC_NEST_PARENT) &&
	    !ioasid_selftest_nest_ops(idev->dev))
		return -EOPNOTSUPP;
	if ((cmd->flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING) &&
	    !ioasid_selftest_dirty_ops(idev->dev))
		return -EOPNOTSUPP;
	/* As upstream: a nesting parent takes no fault queue, its children do */
	if ((cmd->flags & IOMMU_HWPT_FAULT_ID_VALID) &&
	    (cmd->flags & IOMMU_HWPT_ALLOC_NEST_PARENT))
		return -EOPNOTSUPP;
	return 0;
}

/*
 * A HWPT on an IOAS, checked by hwpt_paging_check().  @enforce_cc: whether
 * @idev's IOMMU can block no-snoop DMA, and so the new domain must.
 */
static struct ioasid_hwpt *hwpt_alloc_paging(struct ioasid_ctx *ctx,
					     struct ioasid_ioas *ioas,
					     struct ioasid_device *idev,
					     const struct iommu_hwpt_alloc *cmd,
					     bool enforce_cc)
{
	struct ioasid_hwpt *hwpt;
	int rc;

	lockdep_assert_held(&ioas->mutex);

	hwpt = ioasid_hwpt_alloc(ctx, ioas, idev->dev, false);
	if (IS_ERR(hwpt))
		return hwpt;
	if (cmd->flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING)
		hwpt->dirty_ops = ioasid_selftest_dirty_ops(idev->dev);
	if (cmd->flags & IOMMU_HWPT_ALLOC_NEST_PARENT) {
		hwpt->nest_parent = true;
		hwpt->nest_ops = ioasid_selftest_nest_ops(idev->dev);
	}
	/*
	 * As upstream, the HWPT blocks no-snoop DMA if the IOMMU of the
	 * device it is made for can; ioasid_hwpt_add_to_ioas() tells the
	 * domain before it fills it
	 */
	hwpt->enforce_cc = enforce_cc;
	hwpt->cc_decided = true;
	/*
	 * As upstream, a complete domain mirrors the IOAS from now on, before
	 * any device attaches: dirty tracking and the IOVA ranges see it
	 */
	if (hwpt->complete) {
		rc = ioasid_hwpt_add_to_ioas(hwpt);
		if (rc) {
			ioasid_object_abort_and_destroy(ctx, &hwpt->obj);
			return ERR_PTR(rc);
		}
	}
	return hwpt;
}

/*
 * A nested HWPT on @parent: a domain of the parent's IOMMU that translates
 * through the user's stage-1 and then through the parent.  It holds the
 * parent (and the parent's IOAS) until it goes, and joins no IOAS itself.
 */
static struct ioasid_hwpt *hwpt_alloc_nested(struct ioasid_ctx *ctx,
					     struct ioasid_hwpt *parent,
					     struct ioasid_device *idev,
					     const struct iommu_hwpt_alloc *cmd)
{
	const struct ioasid_nest_ops *ops = ioasid_selftest_nest_ops(idev->dev);
	const struct ioasid_user_data data = {
		.type = cmd->data_type,
		.uptr = u64_to_user_ptr(cmd->data_uptr),
		.len = cmd->data_len,
	};
	struct ioasid_hwpt *hwpt;
	struct iommu_domain *domain;

	if ((cmd->flags & ~IOMMU_HWPT_FAULT_ID_VALID) || !cmd->data_len ||
	    !ops)
		return ERR_PTR(-EOPNOTSUPP);
	if (parent->auto_domain || !parent->nest_parent ||
	    parent->nest_ops != ops)
		return ERR_PTR(-EINVAL);

	hwpt = ioasid_object_alloc(ctx, struct ioasid_hwpt, IOASID_OBJ_HWPT);
	if (IS_ERR(hwpt))
		return hwpt;
	INIT_LIST_HEAD(&hwpt->hwpt_item);
	hwpt->ctx = ctx;
	hwpt->ioas = parent->ioas;
	refcount_inc(&hwpt->ioas->obj.users);
	hwpt->parent = parent;
	refcount_inc(&parent->obj.users);
	memcpy(hwpt->iommu, parent->iommu, sizeof(hwpt->iommu));
	hwpt->nest_ops = ops;
	/* DMA goes through the parent's page tables, and its coherency */
	hwpt->enforce_cc = parent->enforce_cc;
	hwpt->cc_decided = true;

	domain = ops->alloc_nested(parent->domain, &data);
	if (IS_ERR(domain)) {
		ioasid_object_abort_and_destroy(ctx, &hwpt->obj);
		return ERR_CAST(domain);
	}
	hwpt->domain = domain;
	atomic_long_inc(&ioasid_stats.domains);
	return hwpt;
}

/*
 * IOMMU_HWPT_ALLOC: a HWPT that lives until IOMMU_DESTROY, on an IOAS or,
 * nested, on a parent HWPT.  The checks come in upstream's order: the data
 * length against the type, the device, the parent object (EINVAL if it
 * names nothing), what the device's IOMMU supports, the allocation, and
 * last the fault queue (fault_queue.c), which any HWPT but a nesting
 * parent may have.
 */
int ioasid_hwpt_alloc_ioctl(struct ioasid_ucmd *ucmd)
{
	struct iommu_hwpt_alloc *cmd = ucmd->cmd;
	struct ioasid_ioas *ioas = NULL;
	struct ioasid_device *idev;
	struct ioasid_object *pt;
	struct ioasid_hwpt *hwpt;
	bool enforce_cc;
	int rc;

	/* Ours only: upstream does not look at __reserved2 */
	if (cmd->__reserved || cmd->__reserved2)
		return -EOPNOTSUPP;
	/*
	 * Data comes with a type other than IOMMU_HWPT_DATA_NONE (0), and
	 * such a type with data
	 */
	if (!cmd->data_type != !cmd->data_len)
		return -EINVAL;

	idev = ioasid_get_device(ucmd->ctx, cmd->dev_id);
	if (IS_ERR(idev))
		return PTR_ERR(idev);
	/* Upstream answers EINVAL for a pt_id that names nothing */
	pt = ioasid_get_object(ucmd->ctx, cmd->pt_id, IOASID_OBJ_ANY);
	if (IS_ERR(pt)) {
		rc = -EINVAL;
		goto out_put_idev;
	}

	if (pt->type == IOASID_OBJ_IOAS) {
		rc = hwpt_paging_check(idev, cmd);
		if (rc)
			goto out_put_pt;
		/* Before ioas->mutex, which nests inside the group's lock */
		rc = ioasid_device_cc_capable(idev, &enforce_cc);
		if (rc)
			goto out_put_pt;
		ioas = container_of(pt, struct ioasid_ioas, obj);
		mutex_lock(&ioas->mutex);
		hwpt = hwpt_alloc_paging(ucmd->ctx, ioas, idev, cmd, enforce_cc);
	} else if (pt->type == IOASID_OBJ_HWPT) {
		hwpt = hwpt_alloc_nested(ucmd->ctx,
					 container_of(pt, struct ioasid_hwpt,
						      obj),
					 idev, cmd);
	} else {
		hwpt = ERR_PTR(-EINVAL);
	}
	if (IS_ERR(hwpt)) {
		rc = PTR_ERR(hwpt);
		goto out_unlock;
	}
	/* As upstream, fault_id is looked up once the HWPT exists */
	if (cmd->flags & IOMMU_HWPT_FAULT_ID_VALID) {
		rc = ioasid_hwpt_set_fault(hwpt, cmd->fault_id);
		if (rc)
			goto out_abort;
	}

	cmd->out_hwpt_id = hwpt->obj.id;
	rc = ioasid_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc)
		goto out_abort;
	/* Automatic HWPTs of the IOAS are looked up there; nested ones not */
	if (ioas)
		list_add_tail(&hwpt->hwpt_item, &ioas->hwpt_list);
	ioasid_object_finalize(ucmd->ctx, &hwpt->obj);
	goto out_unlock;

out_abort:
	ioasid_object_abort_and_destroy(ucmd->ctx, &hwpt->obj);
out_unlock:
	if (ioas)
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
	/* A nested HWPT is no paging HWPT at all, as upstream sees it */
	if (hwpt->parent || !hwpt->dirty_ops) {
		ioasid_put_object(ctx, obj);
		return ERR_PTR(hwpt->parent ? -ENOENT : -EOPNOTSUPP);
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
	/* A nested HWPT is no paging HWPT at all, as upstream sees it */
	if (hwpt->parent) {
		rc = -ENOENT;
		goto out_put;
	}
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
	d.bits = ioasid_kcalloc(DIRTY_CHUNK_WORDS, sizeof(u64),
				GFP_KERNEL_ACCOUNT);
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

/*
 * IOMMU_HWPT_INVALIDATE: the nested HWPT's IOMMU handles the requests; how
 * many it handled goes back to the user whatever the result.
 */
int ioasid_hwpt_invalidate(struct ioasid_ucmd *ucmd)
{
	struct iommu_hwpt_invalidate *cmd = ucmd->cmd;
	struct ioasid_user_array array = {
		.type = cmd->data_type,
		.uptr = u64_to_user_ptr(cmd->data_uptr),
		.entry_len = cmd->entry_len,
		.entry_num = cmd->entry_num,
	};
	struct ioasid_object *obj;
	struct ioasid_hwpt *hwpt;
	u32 done = 0;
	int rc;

	if (cmd->__reserved) {
		rc = -EOPNOTSUPP;
		goto out;
	}
	if (cmd->entry_num && (!cmd->data_uptr || !cmd->entry_len)) {
		rc = -EINVAL;
		goto out;
	}
	obj = ioasid_get_object(ucmd->ctx, cmd->hwpt_id, IOASID_OBJ_HWPT);
	if (IS_ERR(obj)) {
		rc = PTR_ERR(obj);
		goto out;
	}
	hwpt = container_of(obj, struct ioasid_hwpt, obj);
	if (!hwpt->parent) {
		/* Only a user-managed (nested) HWPT has caches to flush */
		rc = -ENOENT;
	} else {
		rc = hwpt->nest_ops->cache_invalidate(hwpt->domain, &array);
		done = array.entry_num;
	}
	ioasid_put_object(ucmd->ctx, obj);
out:
	cmd->entry_num = done;
	if (ioasid_ucmd_respond(ucmd, sizeof(*cmd)))
		return -EFAULT;
	return rc;
}
