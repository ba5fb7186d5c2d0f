// SPDX-License-Identifier: GPL-2.0-only
/*
 * The VFIO type1 container ioctls on an ioasid fd, acting on one IOAS of the
 * context (IOMMU_VFIO_IOAS), so code written for a VFIO container can drive
 * an IOAS.  Groups are not involved: devices come through the device cdev.
 *
 * Semantics and errnos follow upstream iommufd's emulation of
 * vfio_iommu_type1: MAP_DMA at a fixed IOVA; UNMAP_DMA of a range with no
 * mapping succeeds with size 0; VFIO_TYPE1v2_IOMMU refuses to cut through
 * a mapping (ENOENT, where type1 says EINVAL) while VFIO_TYPE1_IOMMU (v1)
 * turns large pages off for the IOAS and splits mappings at the edges of
 * the range.
 */
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>

#include "io_pagetable.h"
#include "ioasid_private.h"

/* The compat IOAS with a reference, or ERR_PTR(-ENODEV) */
static struct ioasid_ioas *compat_ioas_get(struct ioasid_ctx *ctx)
{
	struct ioasid_ioas *ioas = ERR_PTR(-ENODEV);

	mutex_lock(&ctx->compat_lock);
	if (ctx->vfio_ioas) {
		ioas = ioasid_get_ioas(ctx, ctx->vfio_ioas_id);
		if (IS_ERR(ioas) || ioas != ctx->vfio_ioas) {
			if (!IS_ERR(ioas))
				ioasid_put_object(ctx, &ioas->obj);
			ioas = ERR_PTR(-ENODEV);
		}
	}
	mutex_unlock(&ctx->compat_lock);
	return ioas;
}

int ioasid_vfio_ioas(struct ioasid_ucmd *ucmd)
{
	struct iommu_vfio_ioas *cmd = ucmd->cmd;
	struct ioasid_ctx *ctx = ucmd->ctx;
	struct ioasid_ioas *ioas;
	int rc;

	if (cmd->__reserved)
		return -EOPNOTSUPP;
	switch (cmd->op) {
	case IOMMU_VFIO_IOAS_GET:
		ioas = compat_ioas_get(ctx);
		if (IS_ERR(ioas))
			return PTR_ERR(ioas);
		cmd->ioas_id = ioas->obj.id;
		ioasid_put_object(ctx, &ioas->obj);
		return ioasid_ucmd_respond(ucmd, sizeof(*cmd));
	case IOMMU_VFIO_IOAS_SET:
		ioas = ioasid_get_ioas(ctx, cmd->ioas_id);
		if (IS_ERR(ioas))
			return PTR_ERR(ioas);
		mutex_lock(&ctx->compat_lock);
		ctx->vfio_ioas = ioas;
		ctx->vfio_ioas_id = ioas->obj.id;
		mutex_unlock(&ctx->compat_lock);
		ioasid_put_object(ctx, &ioas->obj);
		return 0;
	case IOMMU_VFIO_IOAS_CLEAR:
		mutex_lock(&ctx->compat_lock);
		ctx->vfio_ioas = NULL;
		ctx->vfio_ioas_id = 0;
		mutex_unlock(&ctx->compat_lock);
		return 0;
	default:
		rc = -EOPNOTSUPP;
	}
	return rc;
}

/*
 * VFIO_DMA_CC_IOMMU: 1 if every HWPT of the compat IOAS blocks no-snoop
 * DMA (so KVM need not emulate WBINVD for its devices), as upstream
 */
static long compat_cc_iommu(struct ioasid_ctx *ctx)
{
	struct ioasid_hwpt *hwpt;
	struct ioasid_ioas *ioas;
	long rc = 1;

	ioas = compat_ioas_get(ctx);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	mutex_lock(&ioas->mutex);
	list_for_each_entry(hwpt, &ioas->hwpt_list, hwpt_item) {
		if (!hwpt->enforce_cc) {
			rc = 0;
			break;
		}
	}
	mutex_unlock(&ioas->mutex);
	ioasid_put_object(ctx, &ioas->obj);
	return rc;
}

static long compat_check_extension(struct ioasid_ctx *ctx, unsigned long type)
{
	switch (type) {
	case VFIO_TYPE1_IOMMU:
	case VFIO_TYPE1v2_IOMMU:
	case VFIO_UNMAP_ALL:
		return 1;
	case VFIO_DMA_CC_IOMMU:
		return compat_cc_iommu(ctx);
	default:
		return 0;
	}
}

static long compat_set_iommu(struct ioasid_ctx *ctx, unsigned long type)
{
	struct ioasid_ioas *ioas;
	int rc = 0;

	if (type != VFIO_TYPE1_IOMMU && type != VFIO_TYPE1v2_IOMMU)
		return -EINVAL;
	/*
	 * As upstream, which creates a compat IOAS only when VFIO attaches a
	 * group to the context: without one there is nothing to set up
	 */
	ioas = compat_ioas_get(ctx);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	/* v1 lets users unmap part of a mapping: one IO page per map call */
	if (type == VFIO_TYPE1_IOMMU)
		rc = iopt_set_large_pages(&ioas->iopt, false);
	ioasid_put_object(ctx, &ioas->obj);
	return rc;
}

/*
 * iova_pgsizes as upstream reports it: the page sizes every domain of the
 * IOAS supports (all of them without a domain), those below PAGE_SIZE
 * replaced by PAGE_SIZE as VFIO type1 does, and then no smaller, as a
 * number, than the IOVA alignment.
 */
static u64 compat_pgsizes(struct ioasid_ioas *ioas)
{
	struct ioasid_iopt *iopt = &ioas->iopt;
	unsigned long sizes = ULONG_MAX;
	struct iommu_domain *domain;
	unsigned long index;

	down_read(&iopt->domains_rwsem);
	xa_for_each(&iopt->domains, index, domain)
		sizes &= domain->pgsize_bitmap;
	if (sizes & ~PAGE_MASK)
		sizes = (sizes & PAGE_MASK) | PAGE_SIZE;
	sizes = max(sizes, iopt->iova_alignment);
	up_read(&iopt->domains_rwsem);
	return sizes;
}

/*
 * Write the usable IOVA ranges (at most @cap of them) to @ranges under the
 * iova_rwsem and return how many there are.
 */
static u32 compat_fill_ranges(struct ioasid_ioas *ioas,
			      struct vfio_iova_range *ranges, u32 cap)
{
	struct rb_root_cached *reserved = &ioas->iopt.reserved_itree;
	struct ioasid_span span;
	u32 n = 0;

	lockdep_assert_held(&ioas->iopt.iova_rwsem);

	for (ioasid_span_first(&span, &reserved, 1, 0, ULONG_MAX); !span.done;
	     ioasid_span_next(&span)) {
		if (!span.is_hole)
			continue;
		if (n < cap) {
			ranges[n].start = span.start;
			ranges[n].end = span.last;
		}
		n++;
	}
	return n;
}

/*
 * The usable IOVA ranges, in a buffer the caller frees: reserved ranges
 * change on attach and detach, so count, allocate, and count again.
 */
static struct vfio_iova_range *compat_get_ranges(struct ioasid_ioas *ioas,
						 u32 *nr)
{
	struct vfio_iova_range *ranges = NULL;
	u32 cap = 0;

	for (;;) {
		down_read(&ioas->iopt.iova_rwsem);
		*nr = compat_fill_ranges(ioas, ranges, cap);
		up_read(&ioas->iopt.iova_rwsem);
		if (*nr <= cap)
			return ranges;
		kfree(ranges);
		cap = *nr;
		ranges = ioasid_kcalloc(cap, sizeof(*ranges), GFP_KERNEL_ACCOUNT);
		if (!ranges)
			return ERR_PTR(-ENOMEM);
	}
}

/*
 * Copy @len bytes to offset @off of the caller's buffer if all of them fit
 * below @argsz, the size the caller gave: what does not fit is not
 * written at all, and nothing is ever written past @argsz.
 */
static int compat_put(void __user *arg, u32 argsz, size_t off,
		      const void *src, size_t len)
{
	if (off + len > argsz)
		return 0;
	if (ioasid_should_fail(IOASID_FAULT_UACCESS) ||
	    copy_to_user(arg + off, src, len))
		return -EFAULT;
	return 0;
}

/*
 * VFIO_IOMMU_GET_INFO in upstream iommufd's layout: the info, then the
 * capability VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL (U32_MAX: there is no limit
 * of 65,535 mappings) in a slot of 8-byte aligned size, then
 * VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE.  argsz always returns the size of
 * the whole chain, and cap_offset is set only when all of it fits.  A
 * capability, or range of the range list, is written only if it fits
 * whole below the caller's argsz, and the list's header only with the
 * whole list.
 */
static long compat_get_info(struct ioasid_ctx *ctx, void __user *arg)
{
	const size_t avail_off = sizeof(struct vfio_iommu_type1_info);
	const size_t iovas_off =
		avail_off +
		ALIGN(sizeof(struct vfio_iommu_type1_info_dma_avail), 8);
	size_t minsz = offsetofend(struct vfio_iommu_type1_info, iova_pgsizes);
	struct vfio_iommu_type1_info_cap_iova_range iovas = {};
	struct vfio_iommu_type1_info_dma_avail avail = {};
	struct vfio_iommu_type1_info info = {};
	struct vfio_iova_range *ranges;
	struct ioasid_ioas *ioas;
	size_t total;
	u32 argsz, nr, i;
	long rc;

	if (ioasid_should_fail(IOASID_FAULT_UACCESS) ||
	    copy_from_user(&info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	argsz = info.argsz;
	ioas = compat_ioas_get(ctx);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);

	ranges = compat_get_ranges(ioas, &nr);
	if (IS_ERR(ranges)) {
		rc = PTR_ERR(ranges);
		goto out_put;
	}
	total = iovas_off + struct_size(&iovas, iova_ranges, nr);

	avail.header.id = VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL;
	avail.header.version = 1;
	/* The link to the next capability is written only if that fits */
	if (argsz >= iovas_off)
		avail.header.next = iovas_off;
	avail.avail = U32_MAX;
	rc = compat_put(arg, argsz, avail_off, &avail, sizeof(avail));
	for (i = 0; i != nr && !rc; i++)
		rc = compat_put(arg, argsz,
				iovas_off + struct_size(&iovas, iova_ranges, i),
				&ranges[i], sizeof(ranges[i]));
	if (rc)
		goto out_free;
	iovas.header.id = VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE;
	iovas.header.version = 1;
	iovas.nr_iovas = nr;
	if (argsz >= total) {
		rc = compat_put(arg, argsz, iovas_off, &iovas, sizeof(iovas));
		if (rc)
			goto out_free;
		info.cap_offset = avail_off;
	}

	info.argsz = total;
	info.flags = VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS;
	info.iova_pgsizes = compat_pgsizes(ioas);
	rc = compat_put(arg, argsz, 0, &info, min_t(size_t, argsz, sizeof(info)));
out_free:
	kfree(ranges);
out_put:
	ioasid_put_object(ctx, &ioas->obj);
	return rc;
}

static long compat_map_dma(struct ioasid_ctx *ctx, void __user *arg)
{
	size_t minsz = offsetofend(struct vfio_iommu_type1_dma_map, size);
	u32 supported = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	struct vfio_iommu_type1_dma_map map;
	struct ioasid_ioas *ioas;
	unsigned long iova;
	int prot = IOMMU_CACHE;
	long rc;

	if (ioasid_should_fail(IOASID_FAULT_UACCESS) ||
	    copy_from_user(&map, arg, minsz))
		return -EFAULT;
	/*
	 * Neither READ nor WRITE is accepted, as upstream does (type1 says
	 * EINVAL): nothing can use such a mapping, and IOMMU drivers that
	 * refuse to map it fail the map with EINVAL
	 */
	if (map.argsz < minsz || map.flags & ~supported)
		return -EINVAL;
	if (map.vaddr > ULONG_MAX || map.iova > ULONG_MAX ||
	    map.size > ULONG_MAX)
		return -EOVERFLOW;
	if (map.flags & VFIO_DMA_MAP_FLAG_READ)
		prot |= IOMMU_READ;
	if (map.flags & VFIO_DMA_MAP_FLAG_WRITE)
		prot |= IOMMU_WRITE;
	ioas = compat_ioas_get(ctx);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	iova = map.iova;
	rc = iopt_map_user(ctx, &ioas->iopt, &iova, map.vaddr, map.size, prot,
			   true);
	ioasid_put_object(ctx, &ioas->obj);
	return rc;
}

static long compat_unmap_dma(struct ioasid_ctx *ctx, void __user *arg)
{
	size_t minsz = offsetofend(struct vfio_iommu_type1_dma_unmap, size);
	struct vfio_iommu_type1_dma_unmap __user *uunmap = arg;
	struct vfio_iommu_type1_dma_unmap unmap;
	unsigned long unmapped = 0, last;
	struct ioasid_ioas *ioas;
	long rc;

	if (ioasid_should_fail(IOASID_FAULT_UACCESS) ||
	    copy_from_user(&unmap, arg, minsz))
		return -EFAULT;
	if (unmap.argsz < minsz || unmap.flags & ~VFIO_DMA_UNMAP_FLAG_ALL)
		return -EINVAL;
	ioas = compat_ioas_get(ctx);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);

	if (unmap.flags & VFIO_DMA_UNMAP_FLAG_ALL) {
		rc = -EINVAL;
		if (unmap.iova || unmap.size)
			goto out_put;
		rc = iopt_unmap_all(&ioas->iopt, &unmapped);
		goto out_answer;
	}
	if (unmap.iova > ULONG_MAX || unmap.size > ULONG_MAX) {
		rc = -EOVERFLOW;
		goto out_answer;
	}
	rc = ioasid_range_last(unmap.iova, unmap.size, &last);
	if (rc)
		goto out_answer;
	/* Nothing there: success, with nothing unmapped */
	if (!iopt_has_area(&ioas->iopt, unmap.iova, last))
		goto out_answer;
	if (READ_ONCE(ioas->iopt.disable_large_pages)) {
		/* v1: the range may cut mappings; make it not cut them */
		rc = iopt_cut_iova(&ioas->iopt, unmap.iova);
		if (!rc && last != ULONG_MAX)
			rc = iopt_cut_iova(&ioas->iopt, last + 1);
		if (rc)
			goto out_put;
	}
	/*
	 * v2: a mapping that sticks out of the range is ENOENT, as upstream
	 * answers (type1 says EINVAL)
	 */
	rc = iopt_unmap(&ioas->iopt, unmap.iova, unmap.size, &unmapped);
out_answer:
	/*
	 * As upstream, size returns the bytes unmapped, also when the unmap
	 * failed (then 0: nothing is removed unless all of it can be)
	 */
	if (ioasid_should_fail(IOASID_FAULT_UACCESS) ||
	    put_user((u64)unmapped, &uunmap->size))
		rc = -EFAULT;
out_put:
	ioasid_put_object(ctx, &ioas->obj);
	return rc;
}

/**
 * ioasid_vfio_ioctl() - the VFIO container ioctls of an ioasid fd
 * @ctx: the context
 * @cmd: an ioctl number below the iommufd range
 * @arg: its argument
 *
 * They act on the compat IOAS, which only IOMMU_VFIO_IOAS SET chooses.
 *
 * Return: as the VFIO container would; -ENOTTY for anything else, and
 * -ENODEV for IOMMU ioctls, VFIO_SET_IOMMU included, while there is no
 * compat IOAS.
 */
long ioasid_vfio_ioctl(struct ioasid_ctx *ctx, unsigned int cmd,
		       unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case VFIO_GET_API_VERSION:
		return VFIO_API_VERSION;
	case VFIO_CHECK_EXTENSION:
		return compat_check_extension(ctx, arg);
	case VFIO_SET_IOMMU:
		return compat_set_iommu(ctx, arg);
	case VFIO_IOMMU_GET_INFO:
		return compat_get_info(ctx, uarg);
	case VFIO_IOMMU_MAP_DMA:
		return compat_map_dma(ctx, uarg);
	case VFIO_IOMMU_UNMAP_DMA:
		return compat_unmap_dma(ctx, uarg);
	default:
		return -ENOTTY;
	}
}
