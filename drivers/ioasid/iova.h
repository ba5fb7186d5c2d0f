/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Pure IOVA arithmetic: walking the holes and used parts of interval trees,
 * choosing automatic IOVAs and range checks.  Nothing here sleeps, allocates
 * or locks, so the host unit tests build this file unchanged against a few
 * shim headers.
 *
 * Vocabulary used everywhere in ioasid: "last" is inclusive, "end" is
 * exclusive.  A range is [start, last], so the full 64-bit space is
 * [0, ULONG_MAX] and never needs an end that cannot be represented.
 */
#ifndef __IOASID_IOVA_H
#define __IOASID_IOVA_H

#include <linux/interval_tree.h>
#include <linux/types.h>

/**
 * struct ioasid_span - one step of a walk over the union of interval trees
 * @roots: the trees; a point is used if any node of any tree covers it
 * @nroots: number of @roots
 * @walk_last: last index the walk covers
 * @start: first index of the current span
 * @last: last index of the current span
 * @is_hole: the current span is covered by no node
 * @done: the walk is over; @start, @last and @is_hole are meaningless
 *
 * The walk splits [start, last] into maximal alternating used and hole
 * spans.  Nodes may overlap, inside a tree or across trees.
 */
struct ioasid_span {
	struct rb_root_cached *const *roots;
	unsigned int nroots;
	unsigned long walk_last;
	unsigned long start;
	unsigned long last;
	bool is_hole;
	bool done;
};

void ioasid_span_first(struct ioasid_span *span,
		       struct rb_root_cached *const *roots,
		       unsigned int nroots, unsigned long start,
		       unsigned long last);
void ioasid_span_next(struct ioasid_span *span);

int ioasid_range_last(unsigned long start, unsigned long length,
		      unsigned long *last);
unsigned long ioasid_auto_iova_align(unsigned long uptr, unsigned long length);
int ioasid_find_iova(struct rb_root_cached *allowed,
		     struct rb_root_cached *reserved,
		     struct rb_root_cached *areas, unsigned long uptr,
		     unsigned long length, unsigned long min_align,
		     unsigned long *iova);
unsigned long ioasid_pfn_run(const unsigned long *pfns, unsigned long n);

#endif
