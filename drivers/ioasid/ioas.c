// SPDX-License-Identifier: GPL-2.0-only
/*
 * IOAS objects and the ioctls that act on them.
 */
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "io_pagetable.h"
#include "ioasid_private.h"

#define IOASID_MAP_FLAGS                                                     \
	(IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_WRITEABLE |              \
	 IOMMU_IOAS_MAP_READABLE)

void ioasid_ioas_destroy(struct ioasid_object *obj)
{
	struct ioasid_ioas *ioas = container_of(obj, struct ioasid_ioas, obj);
	struct ioasid_ctx *ctx = ioas->ctx;
	int rc;

	mutex_lock(&ctx->compat_lock);
	if (ctx->vfio_ioas == ioas) {
		ctx->vfio_ioas = NULL;
		ctx->vfio_ioas_id = 0;
	}
	mutex_unlock(&ctx->compat_lock);

	/* Nothing holds the IOAS, so no mapping can be busy */
	rc = iopt_unmap_all(&ioas->iopt, NULL);
	WARN_ON(rc);
	iopt_destroy(&ioas->iopt);
	mutex_destroy(&ioas->mutex);
}

/* An empty IOAS, not yet visible: finalize or abort it */
struct ioasid_ioas *ioasid_ioas_create(struct ioasid_ctx *ctx)
{
	struct ioasid_ioas *ioas;

	ioas = ioasid_object_alloc(ctx, struct ioasid_ioas, IOASID_OBJ_IOAS);
	if (IS_ERR(ioas))
		return ioas;
	ioas->ctx = ctx;
	iopt_init(&ioas->iopt);
	mutex_init(&ioas->mutex);
	INIT_LIST_HEAD(&ioas->hwpt_list);
	return ioas;
}

int ioasid_ioas_alloc_ioctl(struct ioasid_ucmd *ucmd)
{
	struct iommu_ioas_alloc *cmd = ucmd->cmd;
	struct ioasid_ioas *ioas;
	int rc;

	if (cmd->flags)
		return -EOPNOTSUPP;

	ioas = ioasid_ioas_create(ucmd->ctx);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);

	cmd->out_ioas_id = ioas->obj.id;
	rc = ioasid_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc)
		goto err_destroy;
	ioasid_object_finalize(ucmd->ctx, &ioas->obj);
	return 0;

err_destroy:
	ioasid_object_abort_and_destroy(ucmd->ctx, &ioas->obj);
	return rc;
}

int ioasid_ioas_iova_ranges(struct ioasid_ucmd *ucmd)
{
	struct iommu_ioas_iova_ranges *cmd = ucmd->cmd;
	struct iommu_iova_range __user *uranges;
	struct rb_root_cached *reserved;
	struct ioasid_ioas *ioas;
	struct ioasid_span span;
	u32 capacity;
	int rc = 0;

	if (cmd->__reserved)
		return -EOPNOTSUPP;

	ioas = ioasid_get_ioas(ucmd->ctx, cmd->ioas_id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);

	uranges = u64_to_user_ptr(cmd->allowed_iovas);
	capacity = cmd->num_iovas;
	cmd->num_iovas = 0;
	reserved = &ioas->iopt.reserved_itree;

	down_read(&ioas->iopt.iova_rwsem);
	cmd->out_iova_alignment = ioas->iopt.iova_alignment;
	for (ioasid_span_first(&span, &reserved, 1, 0, ULONG_MAX); !span.done;
	     ioasid_span_next(&span)) {
		struct iommu_iova_range range = {
			.start = span.start,
			.last = span.last,
		};

		if (!span.is_hole)
			continue;
		if (cmd->num_iovas < capacity &&
		    (ioasid_should_fail(IOASID_FAULT_UACCESS) ||
		     copy_to_user(&uranges[cmd->num_iovas], &range,
				  sizeof(range)))) {
			rc = -EFAULT;
			break;
		}
		cmd->num_iovas++;
	}
	up_read(&ioas->iopt.iova_rwsem);

	if (!rc)
		rc = ioasid_ucmd_respond(ucmd, sizeof(*cmd));
	if (!rc && cmd->num_iovas > capacity)
		rc = -EMSGSIZE;
	ioasid_put_object(ucmd->ctx, &ioas->obj);
	return rc;
}

static void ioasid_free_range_tree(struct rb_root_cached *root)
{
	struct interval_tree_node *node;

	while ((node = interval_tree_iter_first(root, 0, ULONG_MAX))) {
		interval_tree_remove(node, root);
		kfree(node);
	}
}

static int ioasid_load_allowed(struct rb_root_cached *root,
			       struct iommu_iova_range __user *uranges,
			       u32 num)
{
	struct interval_tree_node *node;
	struct iommu_iova_range range;
	u32 i;

	for (i = 0; i != num; i++) {
		if (ioasid_should_fail(IOASID_FAULT_UACCESS) ||
		    copy_from_user(&range, &uranges[i], sizeof(range)))
			return -EFAULT;
		/* A range needs at least two bytes, and they may not overlap */
		if (range.start >= range.last)
			return -EINVAL;
		if (interval_tree_iter_first(root, range.start, range.last))
			return -EINVAL;

		node = ioasid_kzalloc(sizeof(*node), GFP_KERNEL_ACCOUNT);
		if (!node)
			return -ENOMEM;
		node->start = range.start;
		node->last = range.last;
		interval_tree_insert(node, root);
		cond_resched();
	}
	return 0;
}

int ioasid_ioas_allow_iovas(struct ioasid_ucmd *ucmd)
{
	struct iommu_ioas_allow_iovas *cmd = ucmd->cmd;
	struct rb_root_cached allowed = RB_ROOT_CACHED;
	struct ioasid_ioas *ioas;
	int rc;

	if (cmd->__reserved)
		return -EOPNOTSUPP;

	ioas = ioasid_get_ioas(ucmd->ctx, cmd->ioas_id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);

	rc = ioasid_load_allowed(&allowed, u64_to_user_ptr(cmd->allowed_iovas),
				 cmd->num_iovas);
	/* On success the old list comes back in @allowed */
	if (!rc)
		rc = iopt_set_allowed(&ioas->iopt, &allowed);
	ioasid_free_range_tree(&allowed);
	ioasid_put_object(ucmd->ctx, &ioas->obj);
	return rc;
}

/*
 * Devices must be cache coherent (checked at bind), so every mapping is
 * IOMMU_CACHE and user space never needs to flush CPU caches.
 */
static int ioasid_map_prot(u32 flags)
{
	int prot = IOMMU_CACHE;

	if (flags & IOMMU_IOAS_MAP_WRITEABLE)
		prot |= IOMMU_WRITE;
	if (flags & IOMMU_IOAS_MAP_READABLE)
		prot |= IOMMU_READ;
	return prot;
}

int ioasid_ioas_map(struct ioasid_ucmd *ucmd)
{
	struct iommu_ioas_map *cmd = ucmd->cmd;
	struct ioasid_ioas *ioas;
	unsigned long iova;
	int rc;

	if ((cmd->flags & ~IOASID_MAP_FLAGS) || cmd->__reserved)
		return -EOPNOTSUPP;
	if (cmd->iova >= ULONG_MAX || cmd->length >= ULONG_MAX)
		return -EOVERFLOW;
	if (!(cmd->flags &
	      (IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_READABLE)))
		return -EINVAL;

	ioas = ioasid_get_ioas(ucmd->ctx, cmd->ioas_id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);

	iova = cmd->iova;
	rc = iopt_map_user(ucmd->ctx, &ioas->iopt, &iova, cmd->user_va,
			   cmd->length, ioasid_map_prot(cmd->flags),
			   cmd->flags & IOMMU_IOAS_MAP_FIXED_IOVA);
	if (rc)
		goto out_put;

	cmd->iova = iova;
	rc = ioasid_ucmd_respond(ucmd, sizeof(*cmd));
	/* A mapping the caller cannot learn about must not stay */
	if (rc)
		iopt_unmap(&ioas->iopt, iova, cmd->length, NULL);
	else
		ioasid_nl_map_event(ucmd->ctx, IOASID_NL_EVENT_MAP,
				    cmd->ioas_id, iova, cmd->length,
				    ioasid_map_prot(cmd->flags));
out_put:
	ioasid_put_object(ucmd->ctx, &ioas->obj);
	return rc;
}

int ioasid_ioas_copy(struct ioasid_ucmd *ucmd)
{
	struct iommu_ioas_copy *cmd = ucmd->cmd;
	struct ioasid_ioas *src_ioas;
	struct ioasid_ioas *dst_ioas;
	unsigned long iova;
	int rc;

	if (cmd->flags & ~IOASID_MAP_FLAGS)
		return -EOPNOTSUPP;
	if (cmd->length >= ULONG_MAX || cmd->src_iova >= ULONG_MAX ||
	    cmd->dst_iova >= ULONG_MAX)
		return -EOVERFLOW;
	if (!(cmd->flags &
	      (IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_READABLE)))
		return -EINVAL;

	src_ioas = ioasid_get_ioas(ucmd->ctx, cmd->src_ioas_id);
	if (IS_ERR(src_ioas))
		return PTR_ERR(src_ioas);
	/* As upstream, the source range answers before the destination ID */
	rc = iopt_check_contig(&src_ioas->iopt, cmd->src_iova, cmd->length);
	if (rc)
		goto out_put_src;
	dst_ioas = ioasid_get_ioas(ucmd->ctx, cmd->dst_ioas_id);
	if (IS_ERR(dst_ioas)) {
		rc = PTR_ERR(dst_ioas);
		goto out_put_src;
	}

	iova = cmd->dst_iova;
	rc = iopt_copy(&dst_ioas->iopt, &src_ioas->iopt, cmd->src_iova,
		       cmd->length, &iova, ioasid_map_prot(cmd->flags),
		       cmd->flags & IOMMU_IOAS_MAP_FIXED_IOVA);
	if (rc)
		goto out_put_dst;

	cmd->dst_iova = iova;
	rc = ioasid_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc)
		iopt_unmap(&dst_ioas->iopt, iova, cmd->length, NULL);
	else
		ioasid_nl_map_event(ucmd->ctx, IOASID_NL_EVENT_MAP,
				    cmd->dst_ioas_id, iova, cmd->length,
				    ioasid_map_prot(cmd->flags));
out_put_dst:
	ioasid_put_object(ucmd->ctx, &dst_ioas->obj);
out_put_src:
	ioasid_put_object(ucmd->ctx, &src_ioas->obj);
	return rc;
}

int ioasid_ioas_unmap(struct ioasid_ucmd *ucmd)
{
	struct iommu_ioas_unmap *cmd = ucmd->cmd;
	struct ioasid_ioas *ioas;
	unsigned long unmapped = 0;
	int rc;

	ioas = ioasid_get_ioas(ucmd->ctx, cmd->ioas_id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);

	if (cmd->iova == 0 && cmd->length == U64_MAX) {
		rc = iopt_unmap_all(&ioas->iopt, &unmapped);
	} else if (cmd->iova >= ULONG_MAX || cmd->length >= ULONG_MAX) {
		rc = -EOVERFLOW;
	} else {
		rc = iopt_unmap(&ioas->iopt, cmd->iova, cmd->length,
				&unmapped);
	}
	if (!rc) {
		cmd->length = unmapped;
		rc = ioasid_ucmd_respond(ucmd, sizeof(*cmd));
		ioasid_nl_map_event(ucmd->ctx, IOASID_NL_EVENT_UNMAP,
				    cmd->ioas_id, cmd->iova, unmapped, 0);
	}
	ioasid_put_object(ucmd->ctx, &ioas->obj);
	return rc;
}

int ioasid_option_rlimit_mode(struct iommu_option *cmd,
			      struct ioasid_ctx *ctx)
{
	int rc = 0;

	if (cmd->object_id)
		return -EOPNOTSUPP;

	switch (cmd->op) {
	case IOMMU_OPTION_OP_GET:
		cmd->val64 = ctx->account_mm;
		return 0;
	case IOMMU_OPTION_OP_SET:
		if (!capable(CAP_SYS_RESOURCE))
			return -EPERM;
		/* Pages already charged one way cannot change to the other */
		xa_lock(&ctx->objects);
		if (!xa_empty(&ctx->objects))
			rc = -EBUSY;
		else if (cmd->val64 > 1)
			rc = -EINVAL;
		else
			ctx->account_mm = cmd->val64;
		xa_unlock(&ctx->objects);
		return rc;
	default:
		return -EOPNOTSUPP;
	}
}

int ioasid_ioas_option(struct ioasid_ucmd *ucmd)
{
	struct iommu_option *cmd = ucmd->cmd;
	struct ioasid_ioas *ioas;
	int rc;

	ioas = ioasid_get_ioas(ucmd->ctx, cmd->object_id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);

	switch (cmd->op) {
	case IOMMU_OPTION_OP_GET:
		cmd->val64 = !READ_ONCE(ioas->iopt.disable_large_pages);
		rc = 0;
		break;
	case IOMMU_OPTION_OP_SET:
		if (cmd->val64 > 1)
			rc = -EINVAL;
		else
			rc = iopt_set_large_pages(&ioas->iopt, cmd->val64);
		break;
	default:
		rc = -EOPNOTSUPP;
	}
	ioasid_put_object(ucmd->ctx, &ioas->obj);
	return rc;
}
