// SPDX-License-Identifier: GPL-2.0-only
/*
 * Naive interval "tree" for the host unit tests: a singly linked list sorted
 * by start.  Everything is linear, which is fine for test sized inputs and
 * keeps it obviously correct.
 */
#include <assert.h>
#include <stddef.h>

#include <linux/interval_tree.h>

#define to_itn(rbn)							\
	((struct interval_tree_node *)((char *)(rbn) -			\
		offsetof(struct interval_tree_node, rb)))

static bool itn_intersects(const struct interval_tree_node *node,
			   unsigned long start, unsigned long last)
{
	return node->start <= last && node->last >= start;
}

void interval_tree_insert(struct interval_tree_node *node,
			  struct rb_root_cached *root)
{
	struct rb_node **link = &root->rb_root.rb_node;

	assert(node->start <= node->last);
	/* Equal starts go after the nodes already there */
	while (*link && to_itn(*link)->start <= node->start)
		link = &(*link)->shim_next;
	node->rb.shim_next = *link;
	*link = &node->rb;
	node->__subtree_last = node->last;
	root->rb_leftmost = root->rb_root.rb_node;
}

void interval_tree_remove(struct interval_tree_node *node,
			  struct rb_root_cached *root)
{
	struct rb_node **link = &root->rb_root.rb_node;

	while (*link && *link != &node->rb)
		link = &(*link)->shim_next;
	assert(*link);
	*link = node->rb.shim_next;
	node->rb.shim_next = NULL;
	root->rb_leftmost = root->rb_root.rb_node;
}

static struct interval_tree_node *itn_scan(struct rb_node *rbn,
					   unsigned long start,
					   unsigned long last)
{
	for (; rbn; rbn = rbn->shim_next) {
		struct interval_tree_node *node = to_itn(rbn);

		/* Sorted by start: nothing further on can intersect */
		if (node->start > last)
			return NULL;
		if (itn_intersects(node, start, last))
			return node;
	}
	return NULL;
}

struct interval_tree_node *
interval_tree_iter_first(struct rb_root_cached *root, unsigned long start,
			 unsigned long last)
{
	return itn_scan(root->rb_root.rb_node, start, last);
}

struct interval_tree_node *
interval_tree_iter_next(struct interval_tree_node *node, unsigned long start,
			unsigned long last)
{
	return itn_scan(node->rb.shim_next, start, last);
}
