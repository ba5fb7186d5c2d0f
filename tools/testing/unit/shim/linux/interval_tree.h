/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Host shim for <linux/interval_tree.h>: the same interface over a sorted
 * linked list, written independently of the kernel so that it serves as an
 * oracle.  Intervals are [start, last], both inclusive.
 *
 * interval_tree_iter_first() returns, among the nodes intersecting
 * [start, last], the one that comes first in start order;
 * interval_tree_iter_next() returns the next intersecting node after @node in
 * that order.  Nodes with equal starts keep their insertion order.
 */
#ifndef __UNIT_SHIM_LINUX_INTERVAL_TREE_H
#define __UNIT_SHIM_LINUX_INTERVAL_TREE_H

#include <linux/rbtree.h>
#include <linux/types.h>

struct interval_tree_node {
	struct rb_node rb;
	unsigned long start;
	unsigned long last;
	unsigned long __subtree_last;
};

void interval_tree_insert(struct interval_tree_node *node,
			  struct rb_root_cached *root);
void interval_tree_remove(struct interval_tree_node *node,
			  struct rb_root_cached *root);
struct interval_tree_node *
interval_tree_iter_first(struct rb_root_cached *root, unsigned long start,
			 unsigned long last);
struct interval_tree_node *
interval_tree_iter_next(struct interval_tree_node *node, unsigned long start,
			unsigned long last);

#endif
