// SPDX-License-Identifier: GPL-2.0-only
/*
 * ACCESS objects: in-kernel users of an IOAS.  An emulated device (or the
 * test mock) reads and writes through IOVAs, or pins the pages behind them,
 * without an IOMMU.
 */
#include "io_pagetable.h"
#include "ioasid_private.h"

/**
 * ioasid_access_create() - create an in-kernel user of a context
 * @ctx: context
 * @ops: callbacks; @ops->unmap is required when pages will be pinned
 * @data: passed to @ops->unmap
 * @id: output, the ACCESS object ID
 *
 * The access keeps @ctx alive until ioasid_access_destroy().
 *
 * Return: the access or an ERR_PTR.
 */
struct ioasid_access *ioasid_access_create(struct ioasid_ctx *ctx,
					   const struct ioasid_access_ops *ops,
					   void *data, u32 *id)
{
	struct ioasid_access *access;

	if (ops->needs_pin_pages && !ops->unmap)
		return ERR_PTR(-EINVAL);

	access = ioasid_object_alloc(ctx, struct ioasid_access,
				     IOASID_OBJ_ACCESS);
	if (IS_ERR(access))
		return access;
	access->ctx = ctx;
	access->ops = ops;
	access->data = data;
	/* Pinned pages are whole CPU pages */
	access->iova_alignment = ops->needs_pin_pages ? PAGE_SIZE : 1;
	mutex_init(&access->ioas_lock);
	ioasid_ctx_get(ctx);
	/* The driver's reference, given up by ioasid_access_destroy() */
	refcount_inc(&access->obj.users);
	ioasid_object_finalize(ctx, &access->obj);
	*id = access->obj.id;
	return access;
}
EXPORT_SYMBOL_NS_GPL(ioasid_access_create, IOASID);

void ioasid_access_destroy_object(struct ioasid_object *obj)
{
	struct ioasid_access *access =
		container_of(obj, struct ioasid_access, obj);

	ioasid_access_detach(access);
	mutex_destroy(&access->ioas_lock);
}

/**
 * ioasid_access_destroy() - destroy an access
 * @access: the access; everything it pinned must be unpinned
 */
void ioasid_access_destroy(struct ioasid_access *access)
{
	struct ioasid_ctx *ctx = access->ctx;

	/*
	 * Leave the IOAS first: an unmap that already found the access holds
	 * a reference, which the removal waits for, and later ones cannot
	 * find it any more.
	 */
	ioasid_access_detach(access);
	ioasid_object_remove(ctx, &access->obj);
	ioasid_ctx_put(ctx);
}
EXPORT_SYMBOL_NS_GPL(ioasid_access_destroy, IOASID);

/**
 * ioasid_access_attach() - make an access use an IOAS
 * @access: an access that uses no IOAS yet
 * @ioas_id: the IOAS
 *
 * Return: 0, -ENOENT if @ioas_id is not an IOAS, -EINVAL if the access
 * already uses one, -EADDRINUSE if a pinning access meets mappings that are
 * not PAGE_SIZE aligned.
 */
int ioasid_access_attach(struct ioasid_access *access, u32 ioas_id)
{
	struct ioasid_ioas *ioas;
	int rc;

	ioas = ioasid_get_ioas(access->ctx, ioas_id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);

	mutex_lock(&access->ioas_lock);
	if (access->ioas) {
		rc = -EINVAL;
		goto err_unlock;
	}
	rc = iopt_add_access(&ioas->iopt, access);
	if (rc)
		goto err_unlock;
	/* The lookup reference becomes the access's dependency on the IOAS */
	access->ioas = ioas;
	mutex_unlock(&access->ioas_lock);
	return 0;

err_unlock:
	mutex_unlock(&access->ioas_lock);
	ioasid_put_object(access->ctx, &ioas->obj);
	return rc;
}
EXPORT_SYMBOL_NS_GPL(ioasid_access_attach, IOASID);

/**
 * ioasid_access_detach() - stop using the IOAS
 * @access: the access; everything it pinned must be unpinned
 */
void ioasid_access_detach(struct ioasid_access *access)
{
	struct ioasid_ioas *ioas;

	mutex_lock(&access->ioas_lock);
	ioas = access->ioas;
	access->ioas = NULL;
	mutex_unlock(&access->ioas_lock);
	if (!ioas)
		return;
	iopt_remove_access(&ioas->iopt, access);
	ioasid_put_object(access->ctx, &ioas->obj);
}
EXPORT_SYMBOL_NS_GPL(ioasid_access_detach, IOASID);

/**
 * ioasid_access_replace() - move an attached access to another IOAS
 * @access: the access
 * @ioas_id: the IOAS it uses from now on
 *
 * The access's unmap callback is asked to drop every pin first, for the
 * whole IOVA space, since pins of the old IOAS mean nothing in the new one.
 * If the new IOAS cannot take the access, it stays on the old one.
 *
 * Return: 0; -ENOENT if @ioas_id is no IOAS; -EINVAL if the access is not
 * attached; -EBUSY if a pin or a detach raced with the replace; -EINVAL or
 * -ENOMEM if the new IOAS refuses the access (alignment, memory).
 */
int ioasid_access_replace(struct ioasid_access *access, u32 ioas_id)
{
	struct ioasid_ioas *new, *old;
	u32 old_list_id;
	int rc;

	new = ioasid_get_ioas(access->ctx, ioas_id);
	if (IS_ERR(new))
		return PTR_ERR(new);

	mutex_lock(&access->ioas_lock);
	old = access->ioas;
	if (!old || old == new) {
		rc = old ? 0 : -EINVAL;
		goto err_unlock;
	}
	if (access->npins && access->ops->unmap) {
		mutex_unlock(&access->ioas_lock);
		access->ops->unmap(access->data, 0, ULONG_MAX);
		mutex_lock(&access->ioas_lock);
	}
	if (access->ioas != old || access->npins) {
		rc = -EBUSY;
		goto err_unlock;
	}
	old_list_id = access->iopt_access_list_id;
	rc = iopt_add_access(&new->iopt, access);
	if (rc) {
		access->iopt_access_list_id = old_list_id;
		goto err_unlock;
	}
	swap(access->iopt_access_list_id, old_list_id);
	iopt_remove_access(&old->iopt, access);
	access->iopt_access_list_id = old_list_id;
	/* The lookup reference becomes the dependency on the new IOAS */
	access->ioas = new;
	mutex_unlock(&access->ioas_lock);
	ioasid_put_object(access->ctx, &old->obj);
	return 0;

err_unlock:
	mutex_unlock(&access->ioas_lock);
	ioasid_put_object(access->ctx, &new->obj);
	return rc;
}
EXPORT_SYMBOL_NS_GPL(ioasid_access_replace, IOASID);

/* Ask every access of the IOAS to unpin what intersects the range */
void ioasid_access_notify_unmap(struct ioasid_iopt *iopt, unsigned long iova,
				unsigned long length)
{
	struct ioasid_access *access;
	unsigned long index;

	xa_lock(&iopt->access_list);
	xa_for_each(&iopt->access_list, index, access) {
		if (!access->ops->unmap ||
		    !refcount_inc_not_zero(&access->obj.users))
			continue;
		xa_unlock(&iopt->access_list);
		access->ops->unmap(access->data, iova, length);
		ioasid_put_object(access->ctx, &access->obj);
		xa_lock(&iopt->access_list);
	}
	xa_unlock(&iopt->access_list);
}

/**
 * ioasid_access_pin_pages() - pin the pages behind an IOVA range
 * @access: a pinning access attached to an IOAS
 * @iova: first IOVA
 * @length: bytes
 * @out_pages: one entry per CPU page the range touches
 * @flags: IOASID_ACCESS_RW_WRITE if the pages will be written
 *
 * The pages stay pinned until ioasid_access_unpin_pages() with the same
 * range, which the access must call from its unmap callback when user space
 * unmaps them.
 *
 * Return: 0; -EINVAL for a non-pinning access or an empty range; -ENOENT if
 * the access has no IOAS or the range is not fully mapped; -EPERM to write
 * read-only memory; an errno from pinning.
 */
int ioasid_access_pin_pages(struct ioasid_access *access, unsigned long iova,
			    unsigned long length, struct page **out_pages,
			    unsigned int flags)
{
	int rc;

	if (!access->ops->needs_pin_pages)
		return -EINVAL;
	if (flags & ~IOASID_ACCESS_RW_WRITE)
		return -EINVAL;

	mutex_lock(&access->ioas_lock);
	if (access->ioas)
		rc = iopt_access_pin(&access->ioas->iopt, iova, length,
				     out_pages, flags & IOASID_ACCESS_RW_WRITE);
	else
		rc = -ENOENT;
	if (!rc)
		access->npins++;
	mutex_unlock(&access->ioas_lock);
	return rc;
}
EXPORT_SYMBOL_NS_GPL(ioasid_access_pin_pages, IOASID);

void ioasid_access_unpin_pages(struct ioasid_access *access,
			       unsigned long iova, unsigned long length)
{
	mutex_lock(&access->ioas_lock);
	if (!WARN_ON(!access->ioas || !access->npins)) {
		iopt_access_unpin(&access->ioas->iopt, iova, length);
		access->npins--;
	}
	mutex_unlock(&access->ioas_lock);
}
EXPORT_SYMBOL_NS_GPL(ioasid_access_unpin_pages, IOASID);

/**
 * ioasid_access_rw() - copy between a kernel buffer and an IOVA range
 * @access: an access attached to an IOAS
 * @iova: first IOVA
 * @data: kernel buffer
 * @length: bytes
 * @flags: IOASID_ACCESS_RW_WRITE to write the IOAS, else read it
 *
 * Return: 0; -ENOENT if the range is not fully mapped or no IOAS is used;
 * -EPERM if the mapping forbids the direction; -EFAULT; -EINVAL for an
 * empty range or unknown flags.
 */
int ioasid_access_rw(struct ioasid_access *access, unsigned long iova,
		     void *data, size_t length, unsigned int flags)
{
	int rc;

	if (flags & ~(IOASID_ACCESS_RW_WRITE | IOASID_ACCESS_RW_SLOW_PATH))
		return -EINVAL;

	mutex_lock(&access->ioas_lock);
	if (access->ioas)
		rc = iopt_access_rw(&access->ioas->iopt, iova, data, length,
				    flags);
	else
		rc = -ENOENT;
	mutex_unlock(&access->ioas_lock);
	return rc;
}
EXPORT_SYMBOL_NS_GPL(ioasid_access_rw, IOASID);
