// SPDX-License-Identifier: GPL-2.0-only
/*
 * Pure IOVA arithmetic for ioasid.  See iova.h.
 */
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/log2.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/overflow.h>

#include "iova.h"

/*
 * Is @point covered by a node of any tree?  If so, return in @used_last the
 * largest last index among the covering nodes.
 */
static bool span_point_used(const struct ioasid_span *span,
			    unsigned long point, unsigned long *used_last)
{
	struct interval_tree_node *node;
	bool used = false;
	unsigned int i;

	for (i = 0; i != span->nroots; i++) {
		for (node = interval_tree_iter_first(span->roots[i], point,
						     point);
		     node; node = interval_tree_iter_next(node, point, point)) {
			if (!used || node->last > *used_last)
				*used_last = node->last;
			used = true;
		}
	}
	return used;
}

static void span_fill(struct ioasid_span *span, unsigned long cur)
{
	struct interval_tree_node *node;
	unsigned long used_last;
	unsigned long more_last;
	unsigned int i;

	span->start = cur;
	if (span_point_used(span, cur, &used_last)) {
		/* Overlapping or adjacent nodes extend the used span */
		while (used_last < span->walk_last &&
		       span_point_used(span, used_last + 1, &more_last))
			used_last = more_last;
		span->last = min(used_last, span->walk_last);
		span->is_hole = false;
		return;
	}

	/* @cur is free: the hole runs up to the nearest node start */
	span->last = span->walk_last;
	for (i = 0; i != span->nroots; i++) {
		node = interval_tree_iter_first(span->roots[i], cur,
						span->walk_last);
		if (node && node->start - 1 < span->last)
			span->last = node->start - 1;
	}
	span->is_hole = true;
}

/**
 * ioasid_span_first() - start a walk over [start, last]
 * @span: iterator state
 * @roots: trees whose union defines the used parts
 * @nroots: number of @roots
 * @start: first index of the walk
 * @last: last index of the walk (inclusive)
 */
void ioasid_span_first(struct ioasid_span *span,
		       struct rb_root_cached *const *roots,
		       unsigned int nroots, unsigned long start,
		       unsigned long last)
{
	span->roots = roots;
	span->nroots = nroots;
	span->walk_last = last;
	span->done = start > last;
	if (!span->done)
		span_fill(span, start);
}

/**
 * ioasid_span_next() - advance to the next span
 * @span: iterator state
 */
void ioasid_span_next(struct ioasid_span *span)
{
	if (span->last >= span->walk_last) {
		span->done = true;
		return;
	}
	span_fill(span, span->last + 1);
}

/**
 * ioasid_range_last() - last index of [start, start + length)
 * @start: first index
 * @length: number of bytes
 * @last: output, start + length - 1
 *
 * Return: 0, -EINVAL for an empty range or -EOVERFLOW when the range does not
 * fit below ULONG_MAX + 1.
 */
int ioasid_range_last(unsigned long start, unsigned long length,
		      unsigned long *last)
{
	if (!length)
		return -EINVAL;
	if (check_add_overflow(start, length - 1, last))
		return -EOVERFLOW;
	return 0;
}

/**
 * ioasid_auto_iova_align() - alignment of an automatically placed IOVA
 * @uptr: user address being mapped, or 0 if there is none
 * @length: length of the mapping, 0 < length < ULONG_MAX / 2
 *
 * The IOVA keeps the alignment of the user address up to the size of the
 * mapping, so memory backed by huge pages can use huge IOPTEs.
 *
 * Return: a power of two.
 */
unsigned long ioasid_auto_iova_align(unsigned long uptr, unsigned long length)
{
	unsigned long align = roundup_pow_of_two(length);

	if (uptr)
		align = min(align, 1UL << __ffs(uptr));
	return align;
}

/*
 * Lowest IOVA in [start, last] that can hold @length bytes, is aligned to
 * @align and, for sub-page alignments, sits at the same offset inside its
 * page as the user address.
 */
static bool iova_fits(unsigned long start, unsigned long last,
		      unsigned long length, unsigned long align,
		      unsigned long page_offset, unsigned long *iova)
{
	unsigned long cand;

	if (align >= PAGE_SIZE) {
		if (check_add_overflow(start, align - 1, &cand))
			return false;
		cand &= ~(align - 1);
	} else {
		cand = (start & PAGE_MASK) | page_offset;
		if (cand < start &&
		    check_add_overflow(cand, (unsigned long)PAGE_SIZE, &cand))
			return false;
	}
	if (cand > last || last - cand < length - 1)
		return false;
	*iova = cand;
	return true;
}

/**
 * ioasid_find_iova() - choose an IOVA for an automatic mapping
 * @allowed: allowed ranges; an empty tree allows everything
 * @reserved: reserved ranges
 * @areas: existing mappings
 * @uptr: user address of the mapping (its alignment is kept), or 0
 * @length: length in bytes
 * @min_align: alignment the IOAS requires
 * @iova: output
 *
 * The lowest fitting IOVA inside [PAGE_SIZE, ULONG_MAX - PAGE_SIZE] is
 * chosen, so IOVA 0 is never returned.
 *
 * Return: 0, -EOVERFLOW for a length that cannot be aligned, -EINVAL when
 * the natural alignment of the mapping is below @min_align, -ENOSPC when no
 * hole is large enough.
 */
int ioasid_find_iova(struct rb_root_cached *allowed,
		     struct rb_root_cached *reserved,
		     struct rb_root_cached *areas, unsigned long uptr,
		     unsigned long length, unsigned long min_align,
		     unsigned long *iova)
{
	struct rb_root_cached *const used_roots[] = { reserved, areas };
	unsigned long page_offset = uptr % PAGE_SIZE;
	bool all_allowed = RB_EMPTY_ROOT(&allowed->rb_root);
	struct ioasid_span allowed_span;
	struct ioasid_span hole;
	unsigned long align;

	if (!length || length >= ULONG_MAX / 2)
		return -EOVERFLOW;
	align = ioasid_auto_iova_align(uptr, length);
	if (align < min_align)
		return -EINVAL;

	for (ioasid_span_first(&allowed_span, &allowed, 1, PAGE_SIZE,
			       ULONG_MAX - PAGE_SIZE);
	     !allowed_span.done; ioasid_span_next(&allowed_span)) {
		if (allowed_span.is_hole && !all_allowed)
			continue;
		for (ioasid_span_first(&hole, used_roots, ARRAY_SIZE(used_roots),
				       allowed_span.start, allowed_span.last);
		     !hole.done; ioasid_span_next(&hole)) {
			if (hole.is_hole &&
			    iova_fits(hole.start, hole.last, length, align,
				      page_offset, iova))
				return 0;
		}
	}
	return -ENOSPC;
}

/**
 * ioasid_pfn_run() - length of the physically contiguous run at @pfns
 * @pfns: page frame numbers
 * @n: number of entries, at least 1
 *
 * Return: the number of leading entries that follow pfns[0] without a gap.
 */
unsigned long ioasid_pfn_run(const unsigned long *pfns, unsigned long n)
{
	unsigned long i;

	for (i = 1; i < n; i++)
		if (pfns[i] != pfns[0] + i)
			break;
	return i;
}
