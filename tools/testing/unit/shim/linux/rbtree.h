/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Host shim for the root types of <linux/rbtree.h>.  There is no tree: the
 * interval tree shim keeps its nodes on a singly linked list sorted by
 * start, hanging off rb_root.rb_node, so RB_EMPTY_ROOT() keeps its meaning.
 */
#ifndef __UNIT_SHIM_LINUX_RBTREE_H
#define __UNIT_SHIM_LINUX_RBTREE_H

#include <linux/types.h>

struct rb_node {
	struct rb_node *shim_next;
};

struct rb_root {
	struct rb_node *rb_node;
};

struct rb_root_cached {
	struct rb_root rb_root;
	struct rb_node *rb_leftmost;
};

#define RB_ROOT			((struct rb_root) { NULL })
#define RB_ROOT_CACHED		((struct rb_root_cached) { { NULL }, NULL })
#define RB_EMPTY_ROOT(root)	((root)->rb_node == NULL)

#endif
