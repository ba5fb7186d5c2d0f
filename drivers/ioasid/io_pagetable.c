// SPDX-License-Identifier: GPL-2.0-only
/*
 * The IOVA map of an IOAS: areas (mappings), reserved and allowed ranges,
 * and the set of iommu_domains that mirror the areas.
 *
 * An area is inserted unpublished, which reserves its IOVA range while its
 * pages are pinned and mapped without the iova_rwsem held, then published.
 * Unmap unpublishes it again before tearing it down.  Everything that walks
 * areas for user data (unmap, copy, accesses) treats an unpublished area as
 * busy or absent.  Domains are added and removed with domains_rwsem held for
 * write, which excludes every map and unmap in flight, so they only ever see
 * published areas.
 */
#define pr_fmt(fmt) "ioasid: " fmt

#include <linux/slab.h>
#include <linux/sched/mm.h>

#include "io_pagetable.h"
#include "ioasid_private.h"

struct iopt_reserved {
	struct interval_tree_node node;
	void *owner;
};

/*
 * One piece of pages to become one area of a new mapping: [start_byte,
 * start_byte + length) of @pages for a full area, or of the pages of
 * @area if that is a small one (@pages is NULL then)
 */
struct iopt_piece {
	struct ioasid_pages *pages;
	unsigned long start_byte;
	unsigned long length;
	struct ioasid_area *area;
};

/* The user address a piece starts at, which automatic IOVAs align to */
static unsigned long iopt_piece_uptr(const struct iopt_piece *piece)
{
	if (piece->area && piece->area->small)
		return piece->area->sp.uptr + piece->start_byte;
	return piece->pages->uptr + piece->start_byte;
}

static struct ioasid_area *iopt_area_first(struct ioasid_iopt *iopt,
					   unsigned long start,
					   unsigned long last)
{
	struct interval_tree_node *node;

	node = interval_tree_iter_first(&iopt->area_itree, start, last);
	return node ? container_of(node, struct ioasid_area, node) : NULL;
}

static struct ioasid_area *iopt_area_next(struct ioasid_area *area,
					  unsigned long start,
					  unsigned long last)
{
	struct interval_tree_node *node;

	node = interval_tree_iter_next(&area->node, start, last);
	return node ? container_of(node, struct ioasid_area, node) : NULL;
}

/*
 * Walk the published areas that cover [iova, last] back to back.  The walk
 * stops early at a hole or a busy area; @complete tells whether it reached
 * @last.  @cur is the first IOVA of the current area that is inside the walk.
 */
struct iopt_contig {
	struct ioasid_iopt *iopt;
	unsigned long cur;
	unsigned long last;
	bool complete;
};

static struct ioasid_area *iopt_contig_at(struct iopt_contig *c)
{
	struct ioasid_area *area = iopt_area_first(c->iopt, c->cur, c->cur);

	return area && area->published ? area : NULL;
}

static struct ioasid_area *iopt_contig_first(struct iopt_contig *c,
					     struct ioasid_iopt *iopt,
					     unsigned long iova,
					     unsigned long last)
{
	lockdep_assert_held(&iopt->iova_rwsem);

	c->iopt = iopt;
	c->cur = iova;
	c->last = last;
	c->complete = false;
	return iopt_contig_at(c);
}

static struct ioasid_area *iopt_contig_next(struct iopt_contig *c,
					    struct ioasid_area *area)
{
	unsigned long area_last = ioasid_area_last_iova(area);

	if (area_last >= c->last) {
		c->complete = true;
		return NULL;
	}
	c->cur = area_last + 1;
	return iopt_contig_at(c);
}

/* Last IOVA of the current piece of a contiguous walk */
static unsigned long iopt_contig_piece_last(struct iopt_contig *c,
					    struct ioasid_area *area)
{
	return min(c->last, ioasid_area_last_iova(area));
}

void iopt_init(struct ioasid_iopt *iopt)
{
	init_rwsem(&iopt->domains_rwsem);
	init_rwsem(&iopt->iova_rwsem);
	iopt->area_itree = RB_ROOT_CACHED;
	iopt->allowed_itree = RB_ROOT_CACHED;
	iopt->reserved_itree = RB_ROOT_CACHED;
	xa_init_flags(&iopt->domains, XA_FLAGS_ALLOC | XA_FLAGS_ACCOUNT);
	xa_init_flags(&iopt->access_list, XA_FLAGS_ALLOC | XA_FLAGS_ACCOUNT);
	/* With no domain any byte-granular IOVA is fine */
	iopt->iova_alignment = 1;
}

/* The IOAS is unused: no area, domain or access is left */
void iopt_destroy(struct ioasid_iopt *iopt)
{
	struct interval_tree_node *node;

	/* Test reservations have no owner */
	iopt_unreserve(iopt, NULL);
	while ((node = interval_tree_iter_first(&iopt->allowed_itree, 0,
						ULONG_MAX))) {
		interval_tree_remove(node, &iopt->allowed_itree);
		kfree(node);
	}
	WARN_ON(!RB_EMPTY_ROOT(&iopt->reserved_itree.rb_root));
	WARN_ON(!RB_EMPTY_ROOT(&iopt->area_itree.rb_root));
	WARN_ON(!xa_empty(&iopt->domains));
	WARN_ON(!xa_empty(&iopt->access_list));
	xa_destroy(&iopt->domains);
	xa_destroy(&iopt->access_list);
}

/* Every area still fits when the alignment grows to @align */
static int iopt_check_alignment(struct ioasid_iopt *iopt, unsigned long align)
{
	unsigned long mask = align - 1;
	struct ioasid_area *area;

	lockdep_assert_held(&iopt->iova_rwsem);

	for (area = iopt_area_first(iopt, 0, ULONG_MAX); area;
	     area = iopt_area_next(area, 0, ULONG_MAX))
		if ((ioasid_area_iova(area) & mask) ||
		    (ioasid_area_length(area) & mask) ||
		    (area->page_offset & mask))
			return -EADDRINUSE;
	return 0;
}

/* The alignment is the largest need of the domains, accesses and options */
static int iopt_update_alignment(struct ioasid_iopt *iopt)
{
	struct iommu_domain *domain;
	struct ioasid_access *access;
	unsigned long align;
	unsigned long index;
	int rc;

	lockdep_assert_held_write(&iopt->domains_rwsem);
	lockdep_assert_held_write(&iopt->iova_rwsem);

	/* Without large pages every PAGE_SIZE is mapped on its own */
	align = iopt->disable_large_pages ? PAGE_SIZE : 1;
	xa_for_each(&iopt->domains, index, domain)
		align = max(align, 1UL << __ffs(domain->pgsize_bitmap));
	xa_for_each(&iopt->access_list, index, access)
		align = max(align, access->iova_alignment);

	if (align > iopt->iova_alignment) {
		rc = iopt_check_alignment(iopt, align);
		if (rc)
			return rc;
	}
	iopt->iova_alignment = align;
	return 0;
}

static int iopt_reserve_locked(struct ioasid_iopt *iopt, unsigned long start,
			       unsigned long last, void *owner)
{
	struct iopt_reserved *resv;

	lockdep_assert_held_write(&iopt->iova_rwsem);

	if (interval_tree_iter_first(&iopt->area_itree, start, last) ||
	    interval_tree_iter_first(&iopt->allowed_itree, start, last))
		return -EADDRINUSE;

	resv = ioasid_kzalloc(sizeof(*resv), GFP_KERNEL_ACCOUNT);
	if (!resv)
		return -ENOMEM;
	resv->node.start = start;
	resv->node.last = last;
	resv->owner = owner;
	interval_tree_insert(&resv->node, &iopt->reserved_itree);
	return 0;
}

/**
 * iopt_reserve() - keep [start, last] out of every mapping
 * @iopt: the IOVA map
 * @start: first IOVA
 * @last: last IOVA (inclusive)
 * @owner: cookie that iopt_unreserve() removes the range with
 *
 * Return: 0, -EADDRINUSE if the range intersects a mapping or an allowed
 * range, or -ENOMEM.
 */
int iopt_reserve(struct ioasid_iopt *iopt, unsigned long start,
		 unsigned long last, void *owner)
{
	int rc;

	down_write(&iopt->iova_rwsem);
	rc = iopt_reserve_locked(iopt, start, last, owner);
	up_write(&iopt->iova_rwsem);
	return rc;
}

static void iopt_unreserve_locked(struct ioasid_iopt *iopt, void *owner)
{
	struct interval_tree_node *node, *next;

	lockdep_assert_held_write(&iopt->iova_rwsem);

	for (node = interval_tree_iter_first(&iopt->reserved_itree, 0,
					     ULONG_MAX);
	     node; node = next) {
		struct iopt_reserved *resv =
			container_of(node, struct iopt_reserved, node);

		next = interval_tree_iter_next(node, 0, ULONG_MAX);
		if (resv->owner == owner) {
			interval_tree_remove(node, &iopt->reserved_itree);
			kfree(resv);
		}
	}
}

void iopt_unreserve(struct ioasid_iopt *iopt, void *owner)
{
	down_write(&iopt->iova_rwsem);
	iopt_unreserve_locked(iopt, owner);
	up_write(&iopt->iova_rwsem);
}

/**
 * iopt_reserve_group_regions() - reserve the IOMMU reserved regions of a group
 * @iopt: the IOVA map
 * @group: the iommu_group about to be attached
 * @owner: cookie for iopt_unreserve()
 *
 * MSI windows, firmware ranges and holes the IOMMU cannot translate become
 * reserved.  Relaxable direct mappings (which the device can live without)
 * are not.
 *
 * Return: 0, -EADDRINUSE if a region intersects a mapping or an allowed
 * range (nothing is reserved then), or -ENOMEM.
 */
int iopt_reserve_group_regions(struct ioasid_iopt *iopt,
			       struct iommu_group *group, void *owner)
{
	struct iommu_resv_region *resv;
	LIST_HEAD(regions);
	unsigned long last;
	int rc;

	down_write(&iopt->iova_rwsem);
	rc = iommu_get_group_resv_regions(group, &regions);
	if (rc)
		goto out_unlock;

	list_for_each_entry(resv, &regions, list) {
		if (resv->type == IOMMU_RESV_DIRECT_RELAXABLE || !resv->length)
			continue;
		if (check_add_overflow((unsigned long)resv->start,
				       (unsigned long)resv->length - 1, &last))
			last = ULONG_MAX;
		rc = iopt_reserve_locked(iopt, resv->start, last, owner);
		if (rc) {
			iopt_unreserve_locked(iopt, owner);
			break;
		}
	}
out_unlock:
	up_write(&iopt->iova_rwsem);
	iommu_put_resv_regions(NULL, &regions);
	return rc;
}

/**
 * iopt_set_allowed() - replace the allowed ranges
 * @iopt: the IOVA map
 * @allowed: the new ranges; receives the old ones, which the caller frees
 *
 * Return: 0, or -EADDRINUSE if a new range intersects a reserved range, in
 * which case nothing changes and @allowed still holds the new ranges.
 */
int iopt_set_allowed(struct ioasid_iopt *iopt, struct rb_root_cached *allowed)
{
	struct interval_tree_node *node;
	int rc = 0;

	down_write(&iopt->iova_rwsem);
	for (node = interval_tree_iter_first(allowed, 0, ULONG_MAX); node;
	     node = interval_tree_iter_next(node, 0, ULONG_MAX)) {
		if (interval_tree_iter_first(&iopt->reserved_itree, node->start,
					     node->last)) {
			rc = -EADDRINUSE;
			goto out_unlock;
		}
	}
	swap(*allowed, iopt->allowed_itree);
out_unlock:
	up_write(&iopt->iova_rwsem);
	return rc;
}

/* A fixed IOVA range for a new mapping */
static int iopt_check_iova(struct ioasid_iopt *iopt, unsigned long iova,
			   unsigned long length)
{
	unsigned long last;
	int rc;

	lockdep_assert_held(&iopt->iova_rwsem);

	if (iova & (iopt->iova_alignment - 1))
		return -EINVAL;
	rc = ioasid_range_last(iova, length, &last);
	if (rc)
		return rc;
	if (interval_tree_iter_first(&iopt->reserved_itree, iova, last))
		return -EINVAL;
	if (interval_tree_iter_first(&iopt->area_itree, iova, last))
		return -EEXIST;
	return 0;
}

/* Insert the unpublished area of @piece at @iova */
static int iopt_insert_area(struct ioasid_iopt *iopt, struct iopt_piece *piece,
			    unsigned long iova, int iommu_prot)
{
	struct ioasid_area *area = piece->area;
	struct ioasid_pages *pages = piece->pages;
	unsigned long last_byte;

	lockdep_assert_held_write(&iopt->iova_rwsem);

	if ((iommu_prot & IOMMU_WRITE) && pages && !pages->writable)
		return -EPERM;
	area->page_offset = piece->start_byte % PAGE_SIZE;
	if (area->page_offset & (iopt->iova_alignment - 1))
		return -EINVAL;
	/*
	 * A COPY whose source has areas of sub-page size (an IOAS without
	 * domains allows any alignment) puts pieces back to back: each one
	 * must start aligned here too, or no domain could map it.
	 */
	if (iova & (iopt->iova_alignment - 1))
		return -EINVAL;
	if (ioasid_range_last(iova, piece->length, &area->node.last) ||
	    ioasid_range_last(piece->start_byte, piece->length, &last_byte))
		return -EOVERFLOW;
	if (WARN_ON(last_byte / PAGE_SIZE >=
		    (pages ? pages->npages : area->sp.npages)))
		return -EOVERFLOW;

	area->node.start = iova;
	area->iommu_prot = iommu_prot;
	area->iopt = iopt;
	if (area->small) {
		iopt->nsmall++;
	} else {
		area->pages_node.start = piece->start_byte / PAGE_SIZE;
		area->pages_node.last = last_byte / PAGE_SIZE;
		area->pages = pages;
		ioasid_pages_get(pages);
	}
	interval_tree_insert(&area->node, &iopt->area_itree);
	return 0;
}

/* Remove an area that holds no pins and no domain mappings */
static void iopt_free_area(struct ioasid_iopt *iopt, struct ioasid_area *area)
{
	lockdep_assert_held_write(&iopt->iova_rwsem);

	interval_tree_remove(&area->node, &iopt->area_itree);
	if (area->small)
		iopt->nsmall--;
	else
		ioasid_pages_put(area->pages);
	ioasid_area_free(area);
}

/*
 * Map @pieces back to back at *@iova.  The caller holds references on the
 * pages of every piece, each new full area takes its own; a piece with a
 * small area passes it to the mapping, which frees it on failure.
 */
static int iopt_map_pieces(struct ioasid_iopt *iopt, struct iopt_piece *pieces,
			   unsigned int npieces, unsigned long length,
			   unsigned long *iova, int iommu_prot, bool fixed)
{
	unsigned long cur;
	unsigned int i, filled = 0;
	int rc = 0;

	for (i = 0; i != npieces; i++) {
		if (pieces[i].area)
			continue;
		pieces[i].area = ioasid_kzalloc(sizeof(*pieces[i].area),
						GFP_KERNEL_ACCOUNT);
		if (!pieces[i].area) {
			rc = -ENOMEM;
			goto out_free;
		}
	}

	/* Domains cannot come or go until the areas are published */
	down_read(&iopt->domains_rwsem);
	down_write(&iopt->iova_rwsem);
	if (!length || (length & (iopt->iova_alignment - 1))) {
		rc = -EINVAL;
		goto out_unlock_iova;
	}
	if (fixed)
		rc = iopt_check_iova(iopt, *iova, length);
	else
		rc = ioasid_find_iova(&iopt->allowed_itree,
				      &iopt->reserved_itree, &iopt->area_itree,
				      iopt_piece_uptr(&pieces[0]), length,
				      iopt->iova_alignment, iova);
	if (rc)
		goto out_unlock_iova;

	cur = *iova;
	for (i = 0; i != npieces; i++) {
		rc = iopt_insert_area(iopt, &pieces[i], cur, iommu_prot);
		if (rc)
			goto out_remove;
		cur += pieces[i].length;
	}
	up_write(&iopt->iova_rwsem);

	/* Pin and map without the iova_rwsem: the areas hold their IOVA */
	for (filled = 0; filled != npieces; filled++) {
		rc = ioasid_area_fill_domains(pieces[filled].area, iopt);
		if (rc)
			break;
	}

	if (rc) {
		for (i = 0; i != filled; i++)
			ioasid_area_unfill_domains(pieces[i].area, iopt);
	}

	down_write(&iopt->iova_rwsem);
	if (!rc) {
		for (i = 0; i != npieces; i++) {
			pieces[i].area->published = true;
			pieces[i].area = NULL;
		}
		goto out_unlock_iova;
	}
	i = npieces;
out_remove:
	while (i--) {
		iopt_free_area(iopt, pieces[i].area);
		pieces[i].area = NULL;
	}
out_unlock_iova:
	up_write(&iopt->iova_rwsem);
	up_read(&iopt->domains_rwsem);
out_free:
	for (i = 0; i != npieces; i++)
		ioasid_area_free(pieces[i].area);
	return rc;
}

/**
 * iopt_map_user() - map user memory
 * @ctx: context whose accounting mode applies
 * @iopt: the IOVA map
 * @iova: in: the IOVA if @fixed; out: the IOVA used
 * @uptr: user address
 * @length: bytes
 * @iommu_prot: IOMMU_READ/WRITE/CACHE
 * @fixed: use *@iova rather than choosing one
 *
 * With domains attached the pages are pinned and mapped now, otherwise when
 * the first domain or access needs them.
 *
 * Return: 0 or a negative errno; nothing changes on failure.
 */
int iopt_map_user(struct ioasid_ctx *ctx, struct ioasid_iopt *iopt,
		  unsigned long *iova, unsigned long uptr,
		  unsigned long length, int iommu_prot, bool fixed)
{
	struct iopt_piece piece = { .length = length };
	struct ioasid_pinner *pinner;
	unsigned long last;
	int rc;

	rc = ioasid_range_last(uptr, length, &last);
	if (rc)
		return rc;
	if (!access_ok((void __user *)uptr, length))
		return -EFAULT;
	pinner = ioasid_pinner_get(ctx);
	if (!pinner)
		return -ENOMEM;
	ioasid_nl_ctx_mapper(ctx);

	piece.start_byte = uptr % PAGE_SIZE;
	if (last / PAGE_SIZE - uptr / PAGE_SIZE < IOASID_SMALL_MAX_PAGES) {
		/* A few pages: a small area, unless it gets copied or cut */
		piece.area = ioasid_small_area_alloc(pinner, uptr,
						     last / PAGE_SIZE -
						     uptr / PAGE_SIZE + 1);
		ioasid_pinner_put(pinner);
		if (!piece.area)
			return -ENOMEM;
		return iopt_map_pieces(iopt, &piece, 1, length, iova,
				       iommu_prot, fixed);
	}

	piece.pages = ioasid_pages_alloc(pinner, uptr, length,
					 iommu_prot & IOMMU_WRITE);
	ioasid_pinner_put(pinner);
	if (IS_ERR(piece.pages))
		return PTR_ERR(piece.pages);
	rc = iopt_map_pieces(iopt, &piece, 1, length, iova, iommu_prot, fixed);
	ioasid_pages_put(piece.pages);
	return rc;
}

/*
 * Replace the published small area @small by a full area with the same
 * IOVA, protection and pin.  iova_rwsem held for writing keeps every
 * reader away, and domains cannot change without it.
 */
static int iopt_promote_area(struct ioasid_iopt *iopt,
			     struct ioasid_area *small)
{
	struct ioasid_pages *pages;
	struct ioasid_area *area;

	lockdep_assert_held_write(&iopt->iova_rwsem);

	area = ioasid_kzalloc(sizeof(*area), GFP_KERNEL_ACCOUNT);
	if (!area)
		return -ENOMEM;
	pages = ioasid_pages_from_small(small);
	if (!pages) {
		kfree(area);
		return -ENOMEM;
	}
	area->node.start = small->node.start;
	area->node.last = small->node.last;
	area->iopt = iopt;
	area->page_offset = small->page_offset;
	area->iommu_prot = small->iommu_prot;
	area->published = true;
	/* An unmap that waits for accesses keeps new pins out of it */
	area->prevent_access = small->prevent_access;
	area->pages = pages;
	/* pages_node is every index, where the pins of the small area now are */
	area->pages_node.start = 0;
	area->pages_node.last = pages->npages - 1;
	if (small->sp.pinned)
		interval_tree_insert(&area->pages_node, &pages->domain_itree);

	interval_tree_remove(&small->node, &iopt->area_itree);
	interval_tree_insert(&area->node, &iopt->area_itree);
	iopt->nsmall--;
	small->sp.pinned = false;
	ioasid_area_free(small);
	return 0;
}

/*
 * Take iova_rwsem for reading with no small area published in [start,
 * last]: copies and accesses share or pin a struct ioasid_pages.  The
 * first of them to reach a small area replaces it by a full one, with the
 * lock held for writing and then downgraded, so nothing can map a new
 * small area there before the caller's walk.
 *
 * Return: 0, or -ENOMEM; either way iova_rwsem is held for reading.
 */
static int iopt_read_lock_full(struct ioasid_iopt *iopt, unsigned long start,
			       unsigned long last)
{
	struct ioasid_area *area, *next;
	bool found = false;
	int rc = 0;

	down_read(&iopt->iova_rwsem);
	if (!iopt->nsmall)
		return 0;
	for (area = iopt_area_first(iopt, start, last); area && !found;
	     area = iopt_area_next(area, start, last))
		found = area->small && area->published;
	if (!found)
		return 0;
	up_read(&iopt->iova_rwsem);

	down_write(&iopt->iova_rwsem);
	for (area = iopt_area_first(iopt, start, last); area; area = next) {
		next = iopt_area_next(area, start, last);
		if (!area->small || !area->published)
			continue;
		rc = iopt_promote_area(iopt, area);
		if (rc)
			break;
	}
	downgrade_write(&iopt->iova_rwsem);
	return rc;
}

/*
 * Count in *@nareas the areas that cover [@iova, @last]; true if they cover
 * it without a hole.  The caller holds iova_rwsem.
 */
static bool iopt_contig_count(struct ioasid_iopt *iopt, unsigned long iova,
			      unsigned long last, unsigned int *nareas)
{
	struct ioasid_area *area;
	struct iopt_contig c;

	lockdep_assert_held(&iopt->iova_rwsem);
	*nareas = 0;
	for (area = iopt_contig_first(&c, iopt, iova, last); area;
	     area = iopt_contig_next(&c, area))
		(*nareas)++;
	return c.complete;
}

/**
 * iopt_check_contig() - is a range covered by mappings without a hole
 * @iopt: the IOVA map
 * @iova: first IOVA
 * @length: bytes
 *
 * Return: 0; -ENOENT if the range has a hole; -EINVAL or -EOVERFLOW for a
 * bad range.  A snapshot: the caller's next step checks again.
 */
int iopt_check_contig(struct ioasid_iopt *iopt, unsigned long iova,
		      unsigned long length)
{
	unsigned int nareas;
	unsigned long last;
	bool complete;
	int rc;

	rc = ioasid_range_last(iova, length, &last);
	if (rc)
		return rc;
	down_read(&iopt->iova_rwsem);
	complete = iopt_contig_count(iopt, iova, last, &nareas);
	up_read(&iopt->iova_rwsem);
	return complete ? 0 : -ENOENT;
}

/**
 * iopt_copy() - map the pages behind a range of another IOVA map
 * @dst: the IOVA map that receives the mapping
 * @src: the IOVA map the pages come from (may be @dst)
 * @src_iova: first IOVA of the source range
 * @length: bytes
 * @dst_iova: in: the IOVA if @fixed; out: the IOVA used
 * @iommu_prot: IOMMU_READ/WRITE/CACHE
 * @fixed: use *@dst_iova rather than choosing one
 *
 * The pages are shared, not pinned or charged again.
 *
 * Return: 0, -ENOENT if the source range has a hole, -EPERM for a writable
 * copy of read-only memory, or another negative errno.
 */
int iopt_copy(struct ioasid_iopt *dst, struct ioasid_iopt *src,
	      unsigned long src_iova, unsigned long length,
	      unsigned long *dst_iova, int iommu_prot, bool fixed)
{
	struct iopt_piece *pieces = NULL;
	struct ioasid_area *area;
	unsigned int npieces = 0, i;
	struct iopt_contig c;
	unsigned long last;
	int rc;

	rc = ioasid_range_last(src_iova, length, &last);
	if (rc)
		return rc;

	rc = iopt_read_lock_full(src, src_iova, last);
	if (rc)
		goto out_unlock;
	if (!iopt_contig_count(src, src_iova, last, &npieces)) {
		rc = -ENOENT;
		goto out_unlock;
	}
	pieces = ioasid_kcalloc(npieces, sizeof(*pieces), GFP_KERNEL_ACCOUNT);
	if (!pieces) {
		rc = -ENOMEM;
		goto out_unlock;
	}
	i = 0;
	for (area = iopt_contig_first(&c, src, src_iova, last); area;
	     area = iopt_contig_next(&c, area)) {
		pieces[i].pages = area->pages;
		ioasid_pages_get(area->pages);
		pieces[i].start_byte = ioasid_area_start_byte(area, c.cur);
		pieces[i].length = iopt_contig_piece_last(&c, area) - c.cur + 1;
		i++;
	}
out_unlock:
	up_read(&src->iova_rwsem);
	if (rc)
		return rc;

	rc = iopt_map_pieces(dst, pieces, npieces, length, dst_iova,
			     iommu_prot, fixed);
	for (i = 0; i != npieces; i++)
		ioasid_pages_put(pieces[i].pages);
	kfree(pieces);
	return rc;
}

/*
 * Every area that intersects [start, last] must lie inside it and be idle.
 * Nothing is removed unless the whole request can be honoured.  The span of
 * the areas in-kernel users still pin is returned in [*pin_first,
 * *pin_last], empty (first > last) if there are none.
 */
static int iopt_check_unmap(struct ioasid_iopt *iopt, unsigned long start,
			    unsigned long last, unsigned long *pin_first,
			    unsigned long *pin_last)
{
	struct ioasid_area *area;
	bool found = false;

	lockdep_assert_held_write(&iopt->iova_rwsem);

	*pin_first = ULONG_MAX;
	*pin_last = 0;
	for (area = iopt_area_first(iopt, start, last); area;
	     area = iopt_area_next(area, start, last)) {
		if (ioasid_area_iova(area) < start ||
		    ioasid_area_last_iova(area) > last)
			return -ENOENT;
		/* User space should not race a map or unmap of the area */
		if (!area->published)
			return -EBUSY;
		if (area->num_accesses) {
			*pin_first = min(*pin_first, ioasid_area_iova(area));
			*pin_last = max(*pin_last, ioasid_area_last_iova(area));
		}
		found = true;
	}
	return found ? 0 : -ENOENT;
}

static void iopt_set_prevent_access(struct ioasid_iopt *iopt,
				    unsigned long start, unsigned long last,
				    bool prevent)
{
	struct ioasid_area *area;

	lockdep_assert_held_write(&iopt->iova_rwsem);

	for (area = iopt_area_first(iopt, start, last); area;
	     area = iopt_area_next(area, start, last))
		area->prevent_access = prevent;
}

/* Ask accesses to unpin [first, last]; the callback takes a length */
static void iopt_notify_unmap(struct ioasid_iopt *iopt, unsigned long first,
			      unsigned long last)
{
	unsigned long half = ULONG_MAX / 2;

	if (first == 0 && last == ULONG_MAX) {
		ioasid_access_notify_unmap(iopt, 0, half + 1);
		ioasid_access_notify_unmap(iopt, half + 1, half + 1);
		return;
	}
	ioasid_access_notify_unmap(iopt, first, last - first + 1);
}

/* Give up waiting for accesses after this many rounds of unmap callbacks */
#define IOPT_UNMAP_ACCESS_RETRIES 100

static int iopt_unmap_range(struct ioasid_iopt *iopt, unsigned long start,
			    unsigned long last, unsigned long *unmapped)
{
	unsigned long pin_first, pin_last;
	struct ioasid_area *area, *claimed = NULL;
	unsigned int retries = 0;
	bool prevented = false;
	unsigned long done = 0;
	int rc;

again:
	down_read(&iopt->domains_rwsem);
	down_write(&iopt->iova_rwsem);
	rc = iopt_check_unmap(iopt, start, last, &pin_first, &pin_last);
	if (rc)
		goto out_unlock;

	if (pin_first <= pin_last) {
		/*
		 * In-kernel users pinned some of it: stop new pins anywhere in
		 * the range, ask the users to let go, and look again.
		 */
		if (++retries > IOPT_UNMAP_ACCESS_RETRIES) {
			pr_warn_ratelimited("an in-kernel user keeps IOVA 0x%lx pinned, unmap gives up\n",
					    pin_first);
			rc = -EDEADLOCK;
			goto out_unlock;
		}
		iopt_set_prevent_access(iopt, start, last, true);
		prevented = true;
		up_write(&iopt->iova_rwsem);
		up_read(&iopt->domains_rwsem);
		iopt_notify_unmap(iopt, pin_first, pin_last);
		cond_resched();
		goto again;
	}

	/*
	 * Claim exactly the areas checked above.  Unpublished, they keep their
	 * IOVA while they are torn down without the lock, and nobody else can
	 * touch them; areas mapped meanwhile by others are not ours to remove.
	 */
	for (area = iopt_area_first(iopt, start, last); area;
	     area = iopt_area_next(area, start, last)) {
		area->published = false;
		area->next_claimed = claimed;
		claimed = area;
	}
	prevented = false;
	up_write(&iopt->iova_rwsem);

	ioasid_areas_unfill_domains(claimed, iopt);

	down_write(&iopt->iova_rwsem);
	while (claimed) {
		area = claimed;
		claimed = area->next_claimed;
		done += ioasid_area_length(area);
		iopt_free_area(iopt, area);
	}
out_unlock:
	if (prevented)
		iopt_set_prevent_access(iopt, start, last, false);
	up_write(&iopt->iova_rwsem);
	up_read(&iopt->domains_rwsem);
	if (unmapped)
		*unmapped = done;
	return rc;
}

/**
 * iopt_unmap() - remove every mapping inside [iova, iova + length)
 * @iopt: the IOVA map
 * @iova: first IOVA
 * @length: bytes
 * @unmapped: output, bytes removed (may be NULL)
 *
 * Return: 0; -ENOENT if nothing is mapped there or a mapping sticks out of
 * the range (nothing is removed then); -EBUSY if a mapping is being set up
 * or torn down by another thread; -EINVAL or -EOVERFLOW for a bad range.
 */
int iopt_unmap(struct ioasid_iopt *iopt, unsigned long iova,
	       unsigned long length, unsigned long *unmapped)
{
	unsigned long last;
	int rc;

	rc = ioasid_range_last(iova, length, &last);
	if (rc)
		return rc;
	return iopt_unmap_range(iopt, iova, last, unmapped);
}

int iopt_unmap_all(struct ioasid_iopt *iopt, unsigned long *unmapped)
{
	int rc;

	rc = iopt_unmap_range(iopt, 0, ULONG_MAX, unmapped);
	/* An empty IOAS is fully unmapped */
	return rc == -ENOENT ? 0 : rc;
}

/**
 * iopt_add_domain() - mirror the IOVA map into a new domain
 * @iopt: the IOVA map
 * @domain: an empty paging domain
 *
 * The area outside the domain's aperture becomes reserved and the IOAS
 * alignment grows to the domain's smallest page size.
 *
 * Return: 0; -EINVAL if the domain cannot map PAGE_SIZE; -EADDRINUSE if an
 * existing mapping is outside the aperture or not aligned for the domain;
 * an errno from pinning (-EFAULT, -ENOMEM) or mapping.  On failure the
 * domain is left empty.
 */
int iopt_add_domain(struct ioasid_iopt *iopt, struct iommu_domain *domain)
{
	const struct iommu_domain_geometry *geo = &domain->geometry;
	struct ioasid_area *area, *failed = NULL;
	unsigned long align;
	u32 index;
	int rc;

	down_write(&iopt->domains_rwsem);
	down_write(&iopt->iova_rwsem);

	/* ioasid_pages works in PAGE_SIZE units; smaller IO pages are fine */
	align = max(1UL << __ffs(domain->pgsize_bitmap), iopt->iova_alignment);
	if (align > PAGE_SIZE) {
		rc = -EINVAL;
		goto out_unlock;
	}
	if (align != iopt->iova_alignment) {
		rc = iopt_check_alignment(iopt, align);
		if (rc)
			goto out_unlock;
	}

	if (geo->aperture_start) {
		rc = iopt_reserve_locked(iopt, 0, geo->aperture_start - 1,
					 domain);
		if (rc)
			goto out_unreserve;
	}
	if (geo->aperture_end != ULONG_MAX) {
		rc = iopt_reserve_locked(iopt, geo->aperture_end + 1, ULONG_MAX,
					 domain);
		if (rc)
			goto out_unreserve;
	}

	/* Reserve the slot now so that nothing can fail after filling */
	rc = ioasid_should_fail(IOASID_FAULT_ID) ? -ENOMEM :
	     xa_alloc(&iopt->domains, &index, NULL, xa_limit_32b,
		      GFP_KERNEL_ACCOUNT);
	if (rc)
		goto out_unreserve;

	for (area = iopt_area_first(iopt, 0, ULONG_MAX); area;
	     area = iopt_area_next(area, 0, ULONG_MAX)) {
		rc = ioasid_area_fill_domain(area, domain, !iopt->ndomains);
		if (rc) {
			failed = area;
			goto out_unfill;
		}
	}

	xa_store(&iopt->domains, index, domain, GFP_KERNEL);
	iopt->ndomains++;
	iopt->iova_alignment = align;
	goto out_unlock;

out_unfill:
	for (area = iopt_area_first(iopt, 0, ULONG_MAX); area;
	     area = iopt_area_next(area, 0, ULONG_MAX)) {
		if (area == failed)
			break;
		ioasid_area_unfill_domain(area, domain, !iopt->ndomains);
	}
	xa_erase(&iopt->domains, index);
out_unreserve:
	iopt_unreserve_locked(iopt, domain);
out_unlock:
	up_write(&iopt->iova_rwsem);
	up_write(&iopt->domains_rwsem);
	return rc;
}

/**
 * iopt_remove_domain() - stop mirroring into a domain and empty it
 * @iopt: the IOVA map
 * @domain: a domain added with iopt_add_domain()
 *
 * When the last domain goes, pages that no access pins are unpinned.
 */
void iopt_remove_domain(struct ioasid_iopt *iopt, struct iommu_domain *domain)
{
	struct iommu_domain *iter;
	struct ioasid_area *area;
	unsigned long index;

	down_write(&iopt->domains_rwsem);
	down_write(&iopt->iova_rwsem);
	xa_for_each(&iopt->domains, index, iter)
		if (iter == domain)
			break;
	if (WARN_ON(iter != domain))
		goto out_unlock;
	xa_erase(&iopt->domains, index);
	iopt->ndomains--;

	for (area = iopt_area_first(iopt, 0, ULONG_MAX); area;
	     area = iopt_area_next(area, 0, ULONG_MAX))
		ioasid_area_unfill_domain(area, domain, !iopt->ndomains);
	iopt_unreserve_locked(iopt, domain);
	/* The alignment can only shrink */
	WARN_ON(iopt_update_alignment(iopt));
out_unlock:
	up_write(&iopt->iova_rwsem);
	up_write(&iopt->domains_rwsem);
}

/**
 * iopt_set_large_pages() - IOMMU_OPTION_HUGE_PAGES
 * @iopt: the IOVA map
 * @enable: map contiguous memory with large IOPTEs
 *
 * Return: 0; -EINVAL to disable while domains hold mappings (they may
 * already use large IOPTEs); -EADDRINUSE if a mapping is not PAGE_SIZE
 * aligned.
 */
int iopt_set_large_pages(struct ioasid_iopt *iopt, bool enable)
{
	int rc = 0;

	down_write(&iopt->domains_rwsem);
	down_write(&iopt->iova_rwsem);
	if (enable == !iopt->disable_large_pages)
		goto out_unlock;
	if (!enable && iopt->ndomains &&
	    !RB_EMPTY_ROOT(&iopt->area_itree.rb_root)) {
		rc = -EINVAL;
		goto out_unlock;
	}
	WRITE_ONCE(iopt->disable_large_pages, !enable);
	rc = iopt_update_alignment(iopt);
	if (rc)
		WRITE_ONCE(iopt->disable_large_pages, enable);
out_unlock:
	up_write(&iopt->iova_rwsem);
	up_write(&iopt->domains_rwsem);
	return rc;
}

int iopt_add_access(struct ioasid_iopt *iopt, struct ioasid_access *access)
{
	int rc;

	down_write(&iopt->domains_rwsem);
	down_write(&iopt->iova_rwsem);
	rc = ioasid_should_fail(IOASID_FAULT_ID) ? -ENOMEM :
	     xa_alloc(&iopt->access_list, &access->iopt_access_list_id,
		      access, xa_limit_16b, GFP_KERNEL_ACCOUNT);
	if (rc)
		goto out_unlock;
	rc = iopt_update_alignment(iopt);
	if (rc)
		xa_erase(&iopt->access_list, access->iopt_access_list_id);
out_unlock:
	up_write(&iopt->iova_rwsem);
	up_write(&iopt->domains_rwsem);
	return rc;
}

void iopt_remove_access(struct ioasid_iopt *iopt, struct ioasid_access *access)
{
	down_write(&iopt->domains_rwsem);
	down_write(&iopt->iova_rwsem);
	WARN_ON(xa_erase(&iopt->access_list, access->iopt_access_list_id) !=
		access);
	WARN_ON(iopt_update_alignment(iopt));
	up_write(&iopt->iova_rwsem);
	up_write(&iopt->domains_rwsem);
}

/*
 * The walk every access makes: @fn for each piece [iova, last] of the range,
 * in IOVA order, one piece per published area that covers it back to back.
 * Caller holds iova_rwsem.
 *
 * Return: 0 once every piece is done; else @fn's errno, or -ENOENT at a hole
 * or a busy area, with c->cur the first IOVA not done.
 */
static int iopt_access_walk(struct iopt_contig *c, struct ioasid_iopt *iopt,
			    unsigned long iova, unsigned long last,
			    int (*fn)(struct ioasid_area *area,
				      unsigned long iova, unsigned long last,
				      void *arg),
			    void *arg)
{
	struct ioasid_area *area;
	int rc;

	for (area = iopt_contig_first(c, iopt, iova, last); area;
	     area = iopt_contig_next(c, area)) {
		rc = fn(area, c->cur, iopt_contig_piece_last(c, area), arg);
		if (rc)
			return rc;
	}
	return c->complete ? 0 : -ENOENT;
}

static int iopt_unpin_piece(struct ioasid_area *area, unsigned long iova,
			    unsigned long last, void *arg)
{
	/* Only a full area can hold an access's pins */
	if (WARN_ON_ONCE(area->small))
		return -EINVAL;
	ioasid_area_unpin_access(area, ioasid_area_index(area, iova),
				 ioasid_area_index(area, last));
	return 0;
}

static void iopt_access_unpin_locked(struct ioasid_iopt *iopt,
				     unsigned long iova, unsigned long last)
{
	struct iopt_contig c;

	WARN_ON(iopt_access_walk(&c, iopt, iova, last, iopt_unpin_piece,
				 NULL));
}

struct iopt_pin_args {
	struct page **out_pages;
	bool write;
};

static int iopt_pin_piece(struct ioasid_area *area, unsigned long iova,
			  unsigned long last, void *arg)
{
	struct iopt_pin_args *pin = arg;
	unsigned long first_index = ioasid_area_index(area, iova);
	unsigned long last_index = ioasid_area_index(area, last);
	int rc;

	/* iopt_read_lock_full() promoted every small area of the range */
	if (WARN_ON_ONCE(area->small))
		return -EINVAL;
	if (area->prevent_access)
		return -EINVAL;
	if (pin->write && !(area->iommu_prot & IOMMU_WRITE))
		return -EPERM;
	rc = ioasid_area_pin_access(area, first_index, last_index,
				    pin->out_pages);
	if (rc)
		return rc;
	pin->out_pages += last_index - first_index + 1;
	return 0;
}

/**
 * iopt_access_pin() - pin the pages behind an IOVA range for an access
 * @iopt: the IOVA map
 * @iova: first IOVA
 * @length: bytes
 * @out_pages: one entry per page the range touches
 * @write: the access will write to the pages
 *
 * Return: 0, -ENOENT if the range has a hole, -EPERM to write read-only
 * memory, -EINVAL while an unmap of the range waits, or an errno from
 * pinning.
 */
int iopt_access_pin(struct ioasid_iopt *iopt, unsigned long iova,
		    unsigned long length, struct page **out_pages, bool write)
{
	struct iopt_pin_args pin = { .out_pages = out_pages, .write = write };
	struct iopt_contig c;
	unsigned long last;
	int rc;

	rc = ioasid_range_last(iova, length, &last);
	if (rc)
		return rc;

	rc = iopt_read_lock_full(iopt, iova, last);
	if (rc)
		goto out_unlock;
	rc = iopt_access_walk(&c, iopt, iova, last, iopt_pin_piece, &pin);
	if (rc && c.cur != iova)
		iopt_access_unpin_locked(iopt, iova, c.cur - 1);
out_unlock:
	up_read(&iopt->iova_rwsem);
	return rc;
}

void iopt_access_unpin(struct ioasid_iopt *iopt, unsigned long iova,
		       unsigned long length)
{
	unsigned long last;

	if (WARN_ON(ioasid_range_last(iova, length, &last)))
		return;
	down_read(&iopt->iova_rwsem);
	iopt_access_unpin_locked(iopt, iova, last);
	up_read(&iopt->iova_rwsem);
}

struct iopt_rw_args {
	void *data;
	unsigned int flags;
};

static int iopt_rw_piece(struct ioasid_area *area, unsigned long iova,
			 unsigned long last, void *arg)
{
	struct iopt_rw_args *rw = arg;
	int need = (rw->flags & IOASID_ACCESS_RW_WRITE) ? IOMMU_WRITE :
							  IOMMU_READ;
	unsigned long piece = last - iova + 1;
	int rc;

	if (WARN_ON_ONCE(area->small))
		return -EINVAL;
	if (!(area->iommu_prot & need))
		return -EPERM;
	rc = ioasid_pages_rw(area->pages, ioasid_area_start_byte(area, iova),
			     rw->data, piece, rw->flags);
	if (rc)
		return rc;
	rw->data += piece;
	return 0;
}

/**
 * iopt_access_rw() - copy between a kernel buffer and an IOVA range
 * @iopt: the IOVA map
 * @iova: first IOVA
 * @data: kernel buffer
 * @length: bytes
 * @flags: IOASID_ACCESS_RW_*
 *
 * Return: 0, -ENOENT if the range has a hole, -EPERM if the mapping does not
 * allow the direction, -EFAULT if the memory is gone.
 */
int iopt_access_rw(struct ioasid_iopt *iopt, unsigned long iova, void *data,
		   unsigned long length, unsigned int flags)
{
	struct iopt_rw_args rw = { .data = data, .flags = flags };
	struct iopt_contig c;
	unsigned long last;
	int rc;

	rc = ioasid_range_last(iova, length, &last);
	if (rc)
		return rc;

	rc = iopt_read_lock_full(iopt, iova, last);
	if (!rc)
		rc = iopt_access_walk(&c, iopt, iova, last, iopt_rw_piece,
				      &rw);
	up_read(&iopt->iova_rwsem);
	return rc;
}

/**
 * iopt_cut_iova() - make @iova the first IOVA of an area if one covers it
 * @iopt: the IOVA map
 * @iova: where to cut
 *
 * For the VFIO type1 v1 unmap rule, where unmapping part of a mapping is
 * allowed.  Only an IOAS with large pages off can be cut: every page of it
 * went into the domains with an iommu_map() call of its own, so the two
 * halves can later be unmapped separately without touching the domains now.
 *
 * Return: 0, also when no area covers @iova or one starts there; -EBUSY if
 * the area is being set up or torn down; -EINVAL if large pages are on,
 * @iova is not page aligned or an in-kernel access pins the area (as
 * upstream answers); -ENOMEM.
 */
int iopt_cut_iova(struct ioasid_iopt *iopt, unsigned long iova)
{
	struct ioasid_area *area, *tail;
	struct ioasid_pages *pages;
	bool filled;
	int rc = 0;

	tail = ioasid_kzalloc(sizeof(*tail), GFP_KERNEL_ACCOUNT);
	if (!tail)
		return -ENOMEM;

	/* The domain set, and so whether areas are filled, cannot change */
	down_read(&iopt->domains_rwsem);
	down_write(&iopt->iova_rwsem);
	area = iopt_area_first(iopt, iova, iova);
	if (!area || ioasid_area_iova(area) == iova)
		goto out_unlock;
	/* In upstream's order: busy, then misaligned, then pinned by accesses */
	if (!area->published || area->prevent_access) {
		rc = -EBUSY;
		goto out_unlock;
	}
	/*
	 * Large pages off make every area's IOVA, length and offset page
	 * aligned (iopt_update_alignment()), so a page aligned @iova falls
	 * on a boundary of the area's pages
	 */
	if (!iopt->disable_large_pages || area->page_offset ||
	    iova % PAGE_SIZE) {
		rc = -EINVAL;
		goto out_unlock;
	}
	/* An access's pins are kept by range, which a cut would break */
	if (area->num_accesses) {
		rc = -EINVAL;
		goto out_unlock;
	}
	/* The halves share one struct ioasid_pages */
	if (area->small) {
		rc = iopt_promote_area(iopt, area);
		if (rc)
			goto out_unlock;
		area = iopt_area_first(iopt, iova, iova);
	}

	pages = area->pages;
	filled = iopt->ndomains;
	mutex_lock(&pages->mutex);
	if (filled)
		interval_tree_remove(&area->pages_node, &pages->domain_itree);
	interval_tree_remove(&area->node, &iopt->area_itree);

	tail->iopt = iopt;
	tail->pages = pages;
	ioasid_pages_get(pages);
	tail->iommu_prot = area->iommu_prot;
	tail->published = true;
	tail->node.start = iova;
	tail->node.last = area->node.last;
	tail->pages_node.start = area->pages_node.start +
				 (iova - ioasid_area_iova(area)) / PAGE_SIZE;
	tail->pages_node.last = area->pages_node.last;
	area->node.last = iova - 1;
	area->pages_node.last = tail->pages_node.start - 1;

	interval_tree_insert(&area->node, &iopt->area_itree);
	interval_tree_insert(&tail->node, &iopt->area_itree);
	if (filled) {
		interval_tree_insert(&area->pages_node, &pages->domain_itree);
		interval_tree_insert(&tail->pages_node, &pages->domain_itree);
	}
	mutex_unlock(&pages->mutex);
	tail = NULL;
out_unlock:
	up_write(&iopt->iova_rwsem);
	up_read(&iopt->domains_rwsem);
	kfree(tail);
	return rc;
}

/* Does any area intersect [start, last]? */
bool iopt_has_area(struct ioasid_iopt *iopt, unsigned long start,
		   unsigned long last)
{
	bool found;

	down_read(&iopt->iova_rwsem);
	found = iopt_area_first(iopt, start, last);
	up_read(&iopt->iova_rwsem);
	return found;
}

/**
 * iopt_detach_group() - detach a group from a domain of the IOVA map
 * @iopt: the IOVA map @domain mirrors
 * @domain: the domain
 * @group: an attached group
 *
 * With no map or unmap of the IOAS in flight: Linux 6.1's VT-d driver
 * frees a domain's per-IOMMU state when the last device behind that IOMMU
 * detaches, while its map and IOTLB flush paths walk that state unlocked,
 * and every map and unmap of a domain runs under domains_rwsem for reading.
 */
void iopt_detach_group(struct ioasid_iopt *iopt, struct iommu_domain *domain,
		       struct iommu_group *group)
{
	down_write(&iopt->domains_rwsem);
	iommu_detach_group(domain, group);
	up_write(&iopt->domains_rwsem);
}
