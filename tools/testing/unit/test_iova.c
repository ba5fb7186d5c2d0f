// SPDX-License-Identifier: GPL-2.0-only
/*
 * Host unit tests for drivers/ioasid/iova.c, which is compiled unchanged
 * against the headers in shim/.  The interval trees are the naive list
 * implementation of shim/interval_tree.c, so the span walker and the IOVA
 * search are checked against an independent model.
 *
 * Run with CMOCKA_MESSAGE_OUTPUT=TAP for TAP output.  IOVA_TEST_SEED=<n>
 * replays the randomized tests with another seed.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/log2.h>
#include <linux/minmax.h>
#include <linux/mm.h>

#include "iova.h"

/* The walk as a loop, the way the module's callers write it out */
#define ioasid_for_each_span(span, roots, nroots, start, last)              \
	for (ioasid_span_first(span, roots, nroots, start, last);           \
	     !(span)->done; ioasid_span_next(span))

#ifndef TEST_GROUP
#define TEST_GROUP	"iova"
#endif

#define UMAX		ULONG_MAX
#define SZ_4K		0x1000UL
#define SZ_2M		0x200000UL
#define SZ_1G		0x40000000UL
#define WIN_FIRST	PAGE_SIZE		/* lowest IOVA find_iova may use */
#define WIN_LAST	(UMAX - PAGE_SIZE)	/* highest byte it may use */

/* ---------------------------------------------------------------------- */
/* Fixture: three trees and a pool of nodes                                 */

/* A walk that never ends must not hang "make run": SIGALRM kills it */
#define TEST_TIMEOUT	120

#define NTREES		3
#define MAX_NODES	4096

struct find_model;

struct fx {
	struct find_model *fm;		/* randomized find_iova tests only */
	struct rb_root_cached roots[NTREES];
	struct rb_root_cached *rootp[NTREES];
	struct interval_tree_node *pool;
	unsigned int used;
};

static int fx_setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	unsigned int i;

	if (!fx)
		return -1;
	fx->pool = calloc(MAX_NODES, sizeof(*fx->pool));
	if (!fx->pool) {
		free(fx);
		return -1;
	}
	for (i = 0; i != NTREES; i++) {
		fx->roots[i] = RB_ROOT_CACHED;
		fx->rootp[i] = &fx->roots[i];
	}
	*state = fx;
	alarm(TEST_TIMEOUT);
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *fx = *state;

	alarm(0);
	free(fx->fm);
	free(fx->pool);
	free(fx);
	return 0;
}

static void fx_reset(struct fx *fx)
{
	unsigned int i;

	for (i = 0; i != NTREES; i++)
		fx->roots[i] = RB_ROOT_CACHED;
	memset(fx->pool, 0, MAX_NODES * sizeof(*fx->pool));
	fx->used = 0;
}

static struct interval_tree_node *add(struct fx *fx, unsigned int tree,
				      unsigned long start, unsigned long last)
{
	struct interval_tree_node *node;

	assert_true(tree < NTREES);
	assert_true(fx->used < MAX_NODES);
	assert_true(start <= last);
	node = &fx->pool[fx->used++];
	node->start = start;
	node->last = last;
	interval_tree_insert(node, &fx->roots[tree]);
	return node;
}

/* ---------------------------------------------------------------------- */
/* Span walk checking                                                       */

struct xspan {
	unsigned long start;
	unsigned long last;
	bool hole;
};

#define HOLE(s, l)	{ (s), (l), true }
#define USED(s, l)	{ (s), (l), false }

static void check_walk(struct rb_root_cached *const *roots,
		       unsigned int nroots, unsigned long start,
		       unsigned long last, const struct xspan *want,
		       unsigned int nwant)
{
	struct ioasid_span span;
	unsigned int i = 0;

	ioasid_for_each_span(&span, roots, nroots, start, last) {
		if (i >= nwant)
			fail_msg("walk [%#lx, %#lx]: unexpected span %u [%#lx, %#lx] %s",
				 start, last, i, span.start, span.last,
				 span.is_hole ? "hole" : "used");
		if (span.start != want[i].start || span.last != want[i].last ||
		    span.is_hole != want[i].hole)
			fail_msg("walk [%#lx, %#lx]: span %u is [%#lx, %#lx] %s, want [%#lx, %#lx] %s",
				 start, last, i, span.start, span.last,
				 span.is_hole ? "hole" : "used", want[i].start,
				 want[i].last, want[i].hole ? "hole" : "used");
		i++;
	}
	if (i != nwant)
		fail_msg("walk [%#lx, %#lx]: %u spans, want %u", start, last, i,
			 nwant);
}

#define CHECK_WALK(roots, nroots, start, last, ...) do {		\
	const struct xspan __want[] = { __VA_ARGS__ };			\
	check_walk(roots, nroots, start, last, __want,			\
		   ARRAY_SIZE(__want));					\
} while (0)

#define CHECK_WALK_EMPTY(roots, nroots, start, last)			\
	check_walk(roots, nroots, start, last, NULL, 0)

/* ---------------------------------------------------------------------- */
/* Shim sanity: the oracle must itself behave like the kernel interval tree */

static void test_shim_interval_tree(void **state)
{
	struct fx *fx = *state;
	struct rb_root_cached *root = &fx->roots[0];
	struct interval_tree_node *a, *b, *c, *d, *n;

	assert_true(RB_EMPTY_ROOT(&root->rb_root));
	assert_null(interval_tree_iter_first(root, 0, UMAX));

	c = add(fx, 0, 30, 40);
	a = add(fx, 0, 10, 100);
	b = add(fx, 0, 20, 25);
	d = add(fx, 0, 10, 12);		/* equal start: after @a */
	assert_false(RB_EMPTY_ROOT(&root->rb_root));

	assert_ptr_equal(interval_tree_iter_first(root, 0, UMAX), a);
	n = interval_tree_iter_next(a, 0, UMAX);
	assert_ptr_equal(n, d);
	n = interval_tree_iter_next(n, 0, UMAX);
	assert_ptr_equal(n, b);
	n = interval_tree_iter_next(n, 0, UMAX);
	assert_ptr_equal(n, c);
	assert_null(interval_tree_iter_next(n, 0, UMAX));

	/* [26, 29] is inside @a only */
	assert_ptr_equal(interval_tree_iter_first(root, 26, 29), a);
	assert_null(interval_tree_iter_next(a, 26, 29));
	/* [13, 20]: @a and @b, not @d */
	assert_ptr_equal(interval_tree_iter_first(root, 13, 20), a);
	assert_ptr_equal(interval_tree_iter_next(a, 13, 20), b);
	assert_null(interval_tree_iter_next(b, 13, 20));
	assert_null(interval_tree_iter_first(root, 101, UMAX));
	assert_null(interval_tree_iter_first(root, 0, 9));

	interval_tree_remove(a, root);
	assert_ptr_equal(interval_tree_iter_first(root, 26, 40), c);
	interval_tree_remove(b, root);
	interval_tree_remove(c, root);
	interval_tree_remove(d, root);
	assert_true(RB_EMPTY_ROOT(&root->rb_root));
}

static void test_shim_helpers(void **state)
{
	(void)state;
	assert_int_equal(PAGE_SIZE, 4096);
	assert_int_equal(PAGE_MASK, 0xfffffffffffff000UL);
	assert_int_equal(roundup_pow_of_two(1), 1);
	assert_int_equal(roundup_pow_of_two(2), 2);
	assert_int_equal(roundup_pow_of_two(3), 4);
	assert_int_equal(roundup_pow_of_two(0x1001), 0x2000);
	assert_int_equal(roundup_pow_of_two(1UL << 63), 1UL << 63);
	assert_int_equal(roundup_pow_of_two((1UL << 62) + 1), 1UL << 63);
	assert_int_equal(__ffs(1), 0);
	assert_int_equal(__ffs(0x800), 11);
	assert_int_equal(__ffs(1UL << 63), 63);
	assert_int_equal(min(3UL, 7UL), 3);
	assert_int_equal(max(3UL, 7UL), 7);
}

/* ---------------------------------------------------------------------- */
/* Span walk: directed edge cases                                           */

static void test_span_empty_tree_full_range(void **state)
{
	struct fx *fx = *state;

	CHECK_WALK(fx->rootp, 1, 0, UMAX, HOLE(0, UMAX));
	CHECK_WALK(fx->rootp, 3, 0, UMAX, HOLE(0, UMAX));
	CHECK_WALK(fx->rootp, 1, 0, 0, HOLE(0, 0));
	CHECK_WALK(fx->rootp, 1, UMAX, UMAX, HOLE(UMAX, UMAX));
	CHECK_WALK(fx->rootp, 1, 1234, 5678, HOLE(1234, 5678));
}

static void test_span_no_roots(void **state)
{
	struct fx *fx = *state;

	add(fx, 0, 0, UMAX);
	/* nroots == 0: the populated tree is not looked at */
	CHECK_WALK(fx->rootp, 0, 0, UMAX, HOLE(0, UMAX));
	CHECK_WALK(fx->rootp, 0, 7, 7, HOLE(7, 7));
}

static void test_span_start_after_last(void **state)
{
	struct fx *fx = *state;
	struct ioasid_span span;

	CHECK_WALK_EMPTY(fx->rootp, 1, 1, 0);
	CHECK_WALK_EMPTY(fx->rootp, 1, UMAX, 0);
	CHECK_WALK_EMPTY(fx->rootp, 1, UMAX, UMAX - 1);
	add(fx, 0, 0, UMAX);
	CHECK_WALK_EMPTY(fx->rootp, 1, 100, 99);

	ioasid_span_first(&span, fx->rootp, 1, 5, 4);
	assert_true(span.done);
}

static void test_span_single_point_walks(void **state)
{
	struct fx *fx = *state;

	add(fx, 0, 10, 20);
	CHECK_WALK(fx->rootp, 1, 10, 10, USED(10, 10));
	CHECK_WALK(fx->rootp, 1, 20, 20, USED(20, 20));
	CHECK_WALK(fx->rootp, 1, 15, 15, USED(15, 15));
	CHECK_WALK(fx->rootp, 1, 9, 9, HOLE(9, 9));
	CHECK_WALK(fx->rootp, 1, 21, 21, HOLE(21, 21));
}

static void test_span_node_at_zero(void **state)
{
	struct fx *fx = *state;

	add(fx, 0, 0, 0);
	CHECK_WALK(fx->rootp, 1, 0, 10, USED(0, 0), HOLE(1, 10));
	CHECK_WALK(fx->rootp, 1, 0, UMAX, USED(0, 0), HOLE(1, UMAX));
	CHECK_WALK(fx->rootp, 1, 1, UMAX, HOLE(1, UMAX));
	CHECK_WALK(fx->rootp, 1, 0, 0, USED(0, 0));
}

static void test_span_node_at_ulong_max(void **state)
{
	struct fx *fx = *state;

	add(fx, 0, UMAX, UMAX);
	CHECK_WALK(fx->rootp, 1, 0, UMAX, HOLE(0, UMAX - 1),
		   USED(UMAX, UMAX));
	CHECK_WALK(fx->rootp, 1, UMAX - 5, UMAX, HOLE(UMAX - 5, UMAX - 1),
		   USED(UMAX, UMAX));
	CHECK_WALK(fx->rootp, 1, UMAX, UMAX, USED(UMAX, UMAX));
	CHECK_WALK(fx->rootp, 1, 0, UMAX - 1, HOLE(0, UMAX - 1));
}

static void test_span_node_covers_everything(void **state)
{
	struct fx *fx = *state;

	add(fx, 1, 0, UMAX);
	CHECK_WALK(fx->rootp, 2, 0, UMAX, USED(0, UMAX));
	CHECK_WALK(fx->rootp, 2, 5, 9, USED(5, 9));
	CHECK_WALK(fx->rootp, 2, UMAX, UMAX, USED(UMAX, UMAX));
	CHECK_WALK(fx->rootp, 2, 0, 0, USED(0, 0));
	/* Only tree 0 (empty) is walked */
	CHECK_WALK(fx->rootp, 1, 0, UMAX, HOLE(0, UMAX));
}

static void test_span_nodes_at_both_ends(void **state)
{
	struct fx *fx = *state;

	add(fx, 0, 0, 9);
	add(fx, 1, UMAX - 9, UMAX);
	add(fx, 2, 0x1000, 0x1fff);
	CHECK_WALK(fx->rootp, 3, 0, UMAX, USED(0, 9), HOLE(10, 0xfff),
		   USED(0x1000, 0x1fff), HOLE(0x2000, UMAX - 10),
		   USED(UMAX - 9, UMAX));
	CHECK_WALK(fx->rootp, 3, 5, UMAX - 5, USED(5, 9), HOLE(10, 0xfff),
		   USED(0x1000, 0x1fff), HOLE(0x2000, UMAX - 10),
		   USED(UMAX - 9, UMAX - 5));
}

static void test_span_adjacent_same_tree(void **state)
{
	struct fx *fx = *state;

	add(fx, 0, 20, 29);
	add(fx, 0, 10, 19);
	add(fx, 0, 30, 30);
	CHECK_WALK(fx->rootp, 1, 0, 100, HOLE(0, 9), USED(10, 30),
		   HOLE(31, 100));
	CHECK_WALK(fx->rootp, 1, 19, 20, USED(19, 20));
}

static void test_span_adjacent_across_trees(void **state)
{
	struct fx *fx = *state;

	add(fx, 0, 10, 19);
	add(fx, 1, 20, 29);
	add(fx, 2, 30, 39);
	add(fx, 0, 40, 49);
	CHECK_WALK(fx->rootp, 3, 0, 100, HOLE(0, 9), USED(10, 49),
		   HOLE(50, 100));
	/* Without tree 2 the chain breaks at 30 */
	CHECK_WALK(fx->rootp, 2, 0, 100, HOLE(0, 9), USED(10, 29),
		   HOLE(30, 39), USED(40, 49), HOLE(50, 100));
}

static void test_span_adjacent_up_to_ulong_max(void **state)
{
	struct fx *fx = *state;

	add(fx, 0, UMAX - 99, UMAX - 50);
	add(fx, 1, UMAX - 49, UMAX);
	CHECK_WALK(fx->rootp, 2, UMAX - 200, UMAX, HOLE(UMAX - 200, UMAX - 100),
		   USED(UMAX - 99, UMAX));
	CHECK_WALK(fx->rootp, 2, 0, UMAX, HOLE(0, UMAX - 100),
		   USED(UMAX - 99, UMAX));
}

static void test_span_one_index_gap(void **state)
{
	struct fx *fx = *state;

	add(fx, 0, 10, 19);
	add(fx, 1, 21, 30);
	CHECK_WALK(fx->rootp, 2, 10, 30, USED(10, 19), HOLE(20, 20),
		   USED(21, 30));
	CHECK_WALK(fx->rootp, 2, 20, 20, HOLE(20, 20));
}

static void test_span_overlap_same_tree(void **state)
{
	struct fx *fx = *state;

	add(fx, 0, 10, 30);
	add(fx, 0, 20, 40);
	add(fx, 0, 35, 37);
	CHECK_WALK(fx->rootp, 1, 0, 50, HOLE(0, 9), USED(10, 40),
		   HOLE(41, 50));
}

static void test_span_overlap_across_trees(void **state)
{
	struct fx *fx = *state;

	add(fx, 0, 10, 20);
	add(fx, 1, 15, 50);
	add(fx, 0, 51, 60);	/* adjacent to the tree 1 node */
	add(fx, 2, 55, 58);
	CHECK_WALK(fx->rootp, 3, 0, 100, HOLE(0, 9), USED(10, 60),
		   HOLE(61, 100));
	CHECK_WALK(fx->rootp, 1, 0, 100, HOLE(0, 9), USED(10, 20),
		   HOLE(21, 50), USED(51, 60), HOLE(61, 100));
}

static void test_span_nested(void **state)
{
	struct fx *fx = *state;

	add(fx, 0, 20, 30);
	add(fx, 0, 10, 100);
	add(fx, 1, 50, 60);
	CHECK_WALK(fx->rootp, 2, 0, 200, HOLE(0, 9), USED(10, 100),
		   HOLE(101, 200));
	/* Start inside the inner node */
	CHECK_WALK(fx->rootp, 2, 25, 200, USED(25, 100), HOLE(101, 200));
}

static void test_span_same_start_short_first(void **state)
{
	struct fx *fx = *state;

	/* Equal starts; the longer node comes later in start order */
	add(fx, 0, 10, 15);
	add(fx, 0, 10, 100);
	add(fx, 1, 0, 5);
	add(fx, 2, 0, 50);
	CHECK_WALK(fx->rootp, 1, 0, 200, HOLE(0, 9), USED(10, 100),
		   HOLE(101, 200));
	CHECK_WALK(fx->rootp, 3, 0, 200, USED(0, 100), HOLE(101, 200));
}

static void test_span_longest_in_later_tree(void **state)
{
	struct fx *fx = *state;

	add(fx, 0, 0, 5);
	add(fx, 1, 0, 50);
	add(fx, 2, 3, 4);
	CHECK_WALK(fx->rootp, 3, 0, 60, USED(0, 50), HOLE(51, 60));
}

static void test_span_identical_nodes(void **state)
{
	struct fx *fx = *state;

	add(fx, 0, 100, 199);
	add(fx, 0, 100, 199);
	add(fx, 1, 100, 199);
	add(fx, 2, 100, 199);
	CHECK_WALK(fx->rootp, 3, 0, 300, HOLE(0, 99), USED(100, 199),
		   HOLE(200, 300));
}

static void test_span_walk_starts_inside_node(void **state)
{
	struct fx *fx = *state;

	add(fx, 0, 10, 20);
	CHECK_WALK(fx->rootp, 1, 15, 30, USED(15, 20), HOLE(21, 30));
	CHECK_WALK(fx->rootp, 1, 20, 30, USED(20, 20), HOLE(21, 30));
	CHECK_WALK(fx->rootp, 1, 21, 30, HOLE(21, 30));
}

static void test_span_walk_ends_inside_node(void **state)
{
	struct fx *fx = *state;

	add(fx, 0, 10, 20);
	add(fx, 1, 21, 40);
	CHECK_WALK(fx->rootp, 2, 0, 15, HOLE(0, 9), USED(10, 15));
	CHECK_WALK(fx->rootp, 2, 0, 10, HOLE(0, 9), USED(10, 10));
	CHECK_WALK(fx->rootp, 2, 0, 9, HOLE(0, 9));
	/* Ends inside the second of two adjacent nodes */
	CHECK_WALK(fx->rootp, 2, 0, 30, HOLE(0, 9), USED(10, 30));
}

static void test_span_walk_inside_node(void **state)
{
	struct fx *fx = *state;

	add(fx, 0, 0, 1000);
	CHECK_WALK(fx->rootp, 1, 100, 200, USED(100, 200));
}

static void test_span_walk_inside_hole(void **state)
{
	struct fx *fx = *state;

	add(fx, 0, 0, 9);
	add(fx, 0, 100, 109);
	add(fx, 1, 200, 209);
	CHECK_WALK(fx->rootp, 2, 20, 90, HOLE(20, 90));
	CHECK_WALK(fx->rootp, 2, 10, 99, HOLE(10, 99));
}

static void test_span_hole_stops_at_nearest_tree(void **state)
{
	struct fx *fx = *state;

	/* The nearest node is in the last tree, behind later ones */
	add(fx, 0, 500, 600);
	add(fx, 1, 300, 400);
	add(fx, 2, 50, 60);
	add(fx, 2, 0, 5);
	CHECK_WALK(fx->rootp, 3, 10, 1000, HOLE(10, 49), USED(50, 60),
		   HOLE(61, 299), USED(300, 400), HOLE(401, 499),
		   USED(500, 600), HOLE(601, 1000));
}

static void test_span_node_before_walk_ignored(void **state)
{
	struct fx *fx = *state;

	add(fx, 0, 0, 5);
	add(fx, 0, 20, 30);
	CHECK_WALK(fx->rootp, 1, 10, 25, HOLE(10, 19), USED(20, 25));
}

static void test_span_top_hole_no_wrap(void **state)
{
	struct fx *fx = *state;
	struct ioasid_span span;
	unsigned int n = 0;

	add(fx, 0, 0, UMAX - 1);
	CHECK_WALK(fx->rootp, 1, 0, UMAX, USED(0, UMAX - 1),
		   HOLE(UMAX, UMAX));

	/* Walking to the very end must terminate, not wrap to index 0 */
	ioasid_for_each_span(&span, fx->rootp, 1, UMAX - 1, UMAX) {
		assert_true(n < 3);
		n++;
	}
	assert_int_equal(n, 2);
	assert_true(span.done);
}

static void test_span_many_adjacent_nodes(void **state)
{
	struct fx *fx = *state;
	unsigned long i;

	/* 1000 one-index nodes round-robin over three trees, inserted
	 * backwards, form a single used span
	 */
	for (i = 1000; i-- > 0;)
		add(fx, i % NTREES, 1000 + i, 1000 + i);
	CHECK_WALK(fx->rootp, 3, 0, UMAX, HOLE(0, 999), USED(1000, 1999),
		   HOLE(2000, UMAX));
}

static void test_span_manual_iteration(void **state)
{
	struct fx *fx = *state;
	struct ioasid_span span;

	add(fx, 0, 10, 19);
	ioasid_span_first(&span, fx->rootp, 1, 0, 19);
	assert_false(span.done);
	assert_true(span.is_hole);
	assert_int_equal(span.start, 0);
	assert_int_equal(span.last, 9);
	assert_int_equal(span.walk_last, 19);
	ioasid_span_next(&span);
	assert_false(span.done);
	assert_false(span.is_hole);
	assert_int_equal(span.start, 10);
	assert_int_equal(span.last, 19);
	ioasid_span_next(&span);
	assert_true(span.done);
}

/* ---------------------------------------------------------------------- */
/* ioasid_range_last()                                                      */

static void check_range_last(unsigned long start, unsigned long length,
			     int want_ret, unsigned long want_last)
{
	unsigned long last = 0xdeadbeefUL;
	int ret = ioasid_range_last(start, length, &last);

	if (ret != want_ret)
		fail_msg("range_last(%#lx, %#lx) = %d, want %d", start, length,
			 ret, want_ret);
	if (!ret && last != want_last)
		fail_msg("range_last(%#lx, %#lx): last %#lx, want %#lx", start,
			 length, last, want_last);
}

static void test_range_last(void **state)
{
	(void)state;
	check_range_last(0, 1, 0, 0);
	check_range_last(0, 0x1000, 0, 0xfff);
	check_range_last(0x1000, 0x1000, 0, 0x1fff);
	check_range_last(0, UMAX, 0, UMAX - 1);
	check_range_last(1, UMAX, 0, UMAX);
	check_range_last(UMAX, 1, 0, UMAX);
	check_range_last(UMAX - 1, 2, 0, UMAX);
	check_range_last(UMAX - 0xfff, 0x1000, 0, UMAX);
	check_range_last(1UL << 63, 1UL << 63, 0, UMAX);
	check_range_last(0x8000000000000000UL, 0x7fffffffffffffffUL, 0,
			 UMAX - 1);
}

static void test_range_last_errors(void **state)
{
	(void)state;
	check_range_last(0, 0, -EINVAL, 0);
	check_range_last(UMAX, 0, -EINVAL, 0);
	check_range_last(0x1000, 0, -EINVAL, 0);
	check_range_last(UMAX, 2, -EOVERFLOW, 0);
	check_range_last(2, UMAX, -EOVERFLOW, 0);
	check_range_last(UMAX, UMAX, -EOVERFLOW, 0);
	check_range_last(UMAX - 0xfff, 0x1001, -EOVERFLOW, 0);
	check_range_last((1UL << 63) + 1, 1UL << 63, -EOVERFLOW, 0);
}

/* ---------------------------------------------------------------------- */
/* ioasid_auto_iova_align()                                                 */

static void test_auto_align_no_uptr(void **state)
{
	(void)state;
	assert_int_equal(ioasid_auto_iova_align(0, 1), 1);
	assert_int_equal(ioasid_auto_iova_align(0, 2), 2);
	assert_int_equal(ioasid_auto_iova_align(0, 3), 4);
	assert_int_equal(ioasid_auto_iova_align(0, 0x800), 0x800);
	assert_int_equal(ioasid_auto_iova_align(0, 0x1000), 0x1000);
	assert_int_equal(ioasid_auto_iova_align(0, 0x1001), 0x2000);
	assert_int_equal(ioasid_auto_iova_align(0, 0x3000), 0x4000);
	assert_int_equal(ioasid_auto_iova_align(0, SZ_2M), SZ_2M);
	assert_int_equal(ioasid_auto_iova_align(0, 1UL << 62), 1UL << 62);
	assert_int_equal(ioasid_auto_iova_align(0, (1UL << 62) + 1),
			 1UL << 63);
	assert_int_equal(ioasid_auto_iova_align(0, UMAX / 2 - 1), 1UL << 63);
}

static void test_auto_align_uptr_limits(void **state)
{
	(void)state;
	assert_int_equal(ioasid_auto_iova_align(0x1, 0x100000), 1);
	assert_int_equal(ioasid_auto_iova_align(0x3, 8), 1);
	assert_int_equal(ioasid_auto_iova_align(0x800, 0x800), 0x800);
	assert_int_equal(ioasid_auto_iova_align(0x7ff800, 0x10000), 0x800);
	assert_int_equal(ioasid_auto_iova_align(0x201000, SZ_2M), 0x1000);
	assert_int_equal(ioasid_auto_iova_align(SZ_2M, SZ_2M), SZ_2M);
	assert_int_equal(ioasid_auto_iova_align(SZ_2M, 2 * SZ_2M), SZ_2M);
	assert_int_equal(ioasid_auto_iova_align(SZ_1G, SZ_1G), SZ_1G);
	assert_int_equal(ioasid_auto_iova_align(1UL << 63, 0x1000), 0x1000);
	assert_int_equal(ioasid_auto_iova_align(1UL << 63, (1UL << 62) + 1),
			 1UL << 63);
	assert_int_equal(ioasid_auto_iova_align(UMAX, 0x1000), 1);
	/* Length limits even a better aligned uptr */
	assert_int_equal(ioasid_auto_iova_align(0x400000, 0x1000), 0x1000);
	assert_int_equal(ioasid_auto_iova_align(0x400000, 5), 8);
}

/* ---------------------------------------------------------------------- */
/* ioasid_pfn_run()                                                         */

static void test_pfn_run(void **state)
{
	static const unsigned long one[] = { 42 };
	static const unsigned long all[] = { 100, 101, 102, 103, 104 };
	static const unsigned long second[] = { 100, 102, 103 };
	static const unsigned long later[] = { 7, 8, 9, 11, 12 };
	static const unsigned long down[] = { 9, 8, 7 };
	static const unsigned long dup[] = { 5, 5, 6 };
	static const unsigned long back[] = { 5, 6, 7, 6, 7 };
	static const unsigned long top[] = { UMAX - 2, UMAX - 1, UMAX };
	static const unsigned long zero[] = { 0, 1, 2, 0 };

	(void)state;
	assert_int_equal(ioasid_pfn_run(one, 1), 1);
	assert_int_equal(ioasid_pfn_run(all, 5), 5);
	assert_int_equal(ioasid_pfn_run(all, 3), 3);
	assert_int_equal(ioasid_pfn_run(all, 1), 1);
	assert_int_equal(ioasid_pfn_run(second, 3), 1);
	assert_int_equal(ioasid_pfn_run(later, 5), 3);
	assert_int_equal(ioasid_pfn_run(down, 3), 1);
	assert_int_equal(ioasid_pfn_run(dup, 3), 1);
	assert_int_equal(ioasid_pfn_run(back, 5), 3);
	assert_int_equal(ioasid_pfn_run(top, 3), 3);
	assert_int_equal(ioasid_pfn_run(zero, 4), 3);
}

/* ---------------------------------------------------------------------- */
/* ioasid_find_iova(): directed cases                                      */

/* Trees: 0 = allowed, 1 = reserved, 2 = areas */
enum { T_ALLOWED, T_RESERVED, T_AREAS };

static int fx_find(struct fx *fx, unsigned long uptr, unsigned long length,
		   unsigned long min_align, unsigned long *iova)
{
	return ioasid_find_iova(&fx->roots[T_ALLOWED], &fx->roots[T_RESERVED],
				&fx->roots[T_AREAS], uptr, length, min_align,
				iova);
}

static void check_find(struct fx *fx, unsigned long uptr,
		       unsigned long length, unsigned long min_align,
		       int want_ret, unsigned long want_iova)
{
	unsigned long iova = 0xdeadbeefUL;
	int ret = fx_find(fx, uptr, length, min_align, &iova);

	if (ret != want_ret)
		fail_msg("find_iova(uptr %#lx, len %#lx, min_align %#lx) = %d (iova %#lx), want %d",
			 uptr, length, min_align, ret, iova, want_ret);
	if (ret)
		return;
	if (iova != want_iova)
		fail_msg("find_iova(uptr %#lx, len %#lx, min_align %#lx): iova %#lx, want %#lx",
			 uptr, length, min_align, iova, want_iova);
	/* Whatever the case, a success stays inside the window */
	assert_true(iova >= WIN_FIRST);
	assert_true(iova <= WIN_LAST);
	assert_true(length - 1 <= WIN_LAST - iova);
}

static void test_find_empty_lowest(void **state)
{
	struct fx *fx = *state;

	/* Lowest placement is PAGE_SIZE, never 0 */
	check_find(fx, 0, 1, 1, 0, 0x1000);
	check_find(fx, 0, 0x1000, 1, 0, 0x1000);
	check_find(fx, 0x1000, 0x1000, 0x1000, 0, 0x1000);
	check_find(fx, 0x7000, 0x5000, 1, 0, 0x1000);
	/* Length rounds the alignment up */
	check_find(fx, 0, 0x3000, 1, 0, 0x4000);
	check_find(fx, 0, 0x2000, 1, 0, 0x2000);
}

static void test_find_allowed_covering_zero(void **state)
{
	struct fx *fx = *state;

	add(fx, T_ALLOWED, 0, UMAX);
	check_find(fx, 0, 0x1000, 1, 0, 0x1000);
	check_find(fx, 0x123, 0x10, 1, 0, 0x1123);
}

static void test_find_allowed_only_page_zero(void **state)
{
	struct fx *fx = *state;

	add(fx, T_ALLOWED, 0, 0xfff);
	check_find(fx, 0, 1, 1, -ENOSPC, 0);
	check_find(fx, 0x800, 0x10, 1, -ENOSPC, 0);
}

static void test_find_allowed_straddles_page_size(void **state)
{
	struct fx *fx = *state;

	add(fx, T_ALLOWED, 0, 0x1fff);
	check_find(fx, 0, 0x1000, 1, 0, 0x1000);
	check_find(fx, 0, 0x1001, 1, -ENOSPC, 0);
	check_find(fx, 0x10, 0x10, 1, 0, 0x1010);
}

static void test_find_sub_page_offset(void **state)
{
	struct fx *fx = *state;
	unsigned long iova = 0;

	/* uptr ending in 0x800, length 0x800 */
	assert_int_equal(fx_find(fx, 0x7f0000001800UL, 0x800, 1, &iova), 0);
	assert_int_equal(iova % PAGE_SIZE, 0x800);
	assert_int_equal(iova, 0x1800);

	check_find(fx, 0x12345, 0x10, 1, 0, 0x1345);
	check_find(fx, 0xabc, 0x1, 1, 0, 0x1abc);
	check_find(fx, 0xfff, 0x2000, 1, 0, 0x1fff);
	/* Offset kept over several pages */
	check_find(fx, 0x40, 0x5000, 1, 0, 0x1040);
	/* Page aligned uptr with a tiny length: offset 0 */
	check_find(fx, 0x5000, 0x10, 1, 0, 0x1000);
}

static void test_find_sub_page_after_partial_page(void **state)
{
	struct fx *fx = *state;

	/* Free from 0x1901: the 0x800 slot of page 0x1000 is gone */
	add(fx, T_RESERVED, 0, 0x1900);
	check_find(fx, 0x800, 0x100, 1, 0, 0x2800);
	/* ... but an offset above 0x900 still fits in that page */
	check_find(fx, 0xa00, 0x100, 1, 0, 0x1a00);
	check_find(fx, 0x901, 0x1, 1, 0, 0x1901);
	check_find(fx, 0x900, 0x1, 1, 0, 0x2900);
}

static void test_find_sub_page_hole_inside_page(void **state)
{
	struct fx *fx = *state;

	add(fx, T_RESERVED, 0x1000, 0x17ff);
	add(fx, T_AREAS, 0x1900, 0x2fff);
	/* [0x1800, 0x18ff] is free: 0x100 bytes at offset 0x800 fit */
	check_find(fx, 0x800, 0x100, 1, 0, 0x1800);
	check_find(fx, 0x880, 0x80, 1, 0, 0x1880);
	/* One more byte does not */
	check_find(fx, 0x800, 0x101, 1, 0, 0x3800);
	check_find(fx, 0x881, 0x80, 1, 0, 0x3881);
}

static void test_find_huge_alignment(void **state)
{
	struct fx *fx = *state;
	unsigned long iova = 0;

	assert_int_equal(fx_find(fx, 0x7f1234400000UL, SZ_2M, 1, &iova), 0);
	assert_int_equal(iova % SZ_2M, 0);
	assert_int_equal(iova, SZ_2M);

	check_find(fx, SZ_2M, 2 * SZ_2M, SZ_2M, 0, SZ_2M);
	check_find(fx, 0, SZ_2M, 1, 0, SZ_2M);
	check_find(fx, SZ_1G, SZ_1G, 1, 0, SZ_1G);
	/* 2 MiB aligned uptr but a 4 KiB length: 4 KiB alignment */
	check_find(fx, SZ_2M, 0x1000, 1, 0, 0x1000);
}

static void test_find_huge_alignment_skips_reserved(void **state)
{
	struct fx *fx = *state;

	add(fx, T_RESERVED, SZ_1G, SZ_1G + 0xfff);
	check_find(fx, SZ_1G, SZ_1G, 1, 0, 2 * SZ_1G);
	add(fx, T_AREAS, SZ_2M, SZ_2M);
	check_find(fx, SZ_2M, SZ_2M, 1, 0, 2 * SZ_2M);
	/* A small mapping still goes low */
	check_find(fx, 0, 0x1000, 1, 0, 0x1000);
}

static void test_find_giant_lengths(void **state)
{
	struct fx *fx = *state;

	check_find(fx, 0, 1UL << 62, 1, 0, 1UL << 62);
	check_find(fx, 0, (1UL << 62) + 1, 1, 0, 1UL << 63);
	/* Needs [1 << 63, 1 << 63 + 0x7ffffffffffffffd]: past the window */
	check_find(fx, 0, UMAX / 2 - 1, 1, -ENOSPC, 0);
	/* Page aligned uptr: align 4K, so it fits right after PAGE_SIZE */
	check_find(fx, 0x1000, UMAX / 2 - 1, 1, 0, 0x1000);
	/* Reserving [0, 1 << 62] pushes a (1 << 62) mapping to 1 << 63 */
	add(fx, T_RESERVED, 0, 1UL << 62);
	check_find(fx, 0, 1UL << 62, 1, 0, 1UL << 63);
}

static void test_find_skips_reserved(void **state)
{
	struct fx *fx = *state;

	add(fx, T_RESERVED, 0x1000, 0x1fff);
	check_find(fx, 0, 0x1000, 1, 0, 0x2000);
	check_find(fx, 0, 0x10, 1, 0, 0x2000);
	/* One byte reserved at the start of a page spoils that page */
	add(fx, T_RESERVED, 0x2000, 0x2000);
	check_find(fx, 0, 0x1000, 1, 0, 0x3000);
	check_find(fx, 0x1, 0x10, 1, 0, 0x2001);
}

static void test_find_skips_areas(void **state)
{
	struct fx *fx = *state;

	add(fx, T_AREAS, 0x1000, 0x4fff);
	add(fx, T_AREAS, 0x6000, 0x6fff);
	check_find(fx, 0, 0x1000, 1, 0, 0x5000);
	check_find(fx, 0, 0x2000, 1, 0, 0x8000);
	check_find(fx, 0x1000, 0x2000, 1, 0, 0x7000);
}

static void test_find_reserved_and_areas_chain(void **state)
{
	struct fx *fx = *state;

	add(fx, T_RESERVED, 0, 0xffff);
	add(fx, T_AREAS, 0x10000, 0x1ffff);
	add(fx, T_RESERVED, 0x18000, 0x20fff);	/* overlaps the area */
	check_find(fx, 0, 0x1000, 1, 0, 0x21000);
	check_find(fx, 0, 0x10000, 1, 0, 0x30000);
}

static void test_find_hole_too_small(void **state)
{
	struct fx *fx = *state;

	add(fx, T_RESERVED, 0x1000, 0x1fff);
	add(fx, T_AREAS, 0x3000, 0x3fff);
	/* The hole [0x2000, 0x2fff] takes exactly one page */
	check_find(fx, 0x1000, 0x1000, 1, 0, 0x2000);
	check_find(fx, 0x1000, 0x1001, 1, 0, 0x4000);
	check_find(fx, 0x1000, 0x2000, 1, 0, 0x4000);
}

static void test_find_respects_allowed(void **state)
{
	struct fx *fx = *state;

	add(fx, T_ALLOWED, 0x100000, 0x1fffff);
	check_find(fx, 0, 0x1000, 1, 0, 0x100000);
	check_find(fx, 0, 0x100000, 1, 0, 0x100000);
	check_find(fx, 0, 0x100001, 1, -ENOSPC, 0);
	add(fx, T_RESERVED, 0x100000, 0x100fff);
	check_find(fx, 0, 0x1000, 1, 0, 0x101000);
	check_find(fx, 0x800, 0x800, 1, 0, 0x101800);
}

static void test_find_allowed_too_small(void **state)
{
	struct fx *fx = *state;

	add(fx, T_ALLOWED, 0x100000, 0x100fff);
	add(fx, T_ALLOWED, 0x300000, 0x301ffe);
	check_find(fx, 0, 0x2000, 1, -ENOSPC, 0);
	/* [0x300000, 0x301ffe] holds exactly 0x1fff bytes */
	check_find(fx, 0, 0x1fff, 1, 0, 0x300000);
	check_find(fx, 0x1000, 0x1fff, 1, 0, 0x300000);
	check_find(fx, 0x1000, 0x2000, 1, -ENOSPC, 0);
	check_find(fx, 0x800, 0x1fff, 1, -ENOSPC, 0);
	check_find(fx, 0x1000, 0x1000, 1, 0, 0x100000);
}

static void test_find_allowed_adjacent_merge(void **state)
{
	struct fx *fx = *state;

	add(fx, T_ALLOWED, 0x101000, 0x101fff);
	add(fx, T_ALLOWED, 0x100000, 0x100fff);
	check_find(fx, 0, 0x2000, 1, 0, 0x100000);
	check_find(fx, 0x1000, 0x2000, 1, 0, 0x100000);
	/* Overlapping allowed nodes behave as their union */
	add(fx, T_ALLOWED, 0x101800, 0x102fff);
	check_find(fx, 0x1000, 0x3000, 1, 0, 0x100000);
}

static void test_find_allowed_blocked_by_reserved(void **state)
{
	struct fx *fx = *state;

	add(fx, T_ALLOWED, 0x100000, 0x10ffff);
	add(fx, T_RESERVED, 0x100000, 0x10ffff);
	check_find(fx, 0, 1, 1, -ENOSPC, 0);
	/* Only allowed ranges count, even with reserved ones elsewhere */
	add(fx, T_ALLOWED, 0x200000, 0x200fff);
	check_find(fx, 0, 1, 1, 0, 0x200000);
}

static void test_find_top_of_window(void **state)
{
	struct fx *fx = *state;

	/* Everything below the last two pages of the window is taken */
	add(fx, T_RESERVED, 0, UMAX - 0x2000);
	check_find(fx, 0, 0x1000, 1, 0, UMAX - 0x1fff);
	check_find(fx, 0x1000, 0x1000, 1, 0, 0xffffffffffffe000UL);
	check_find(fx, 0x800, 0x800, 1, 0, 0xffffffffffffe800UL);
	check_find(fx, 0xfff, 1, 1, 0, 0xffffffffffffefffUL);
	/* The last page is outside the window */
	check_find(fx, 0, 0x1001, 1, -ENOSPC, 0);
	check_find(fx, 0, 0x2000, 1, -ENOSPC, 0);
	check_find(fx, 0x801, 0x800, 1, -ENOSPC, 0);
}

static void test_find_allowed_at_top(void **state)
{
	struct fx *fx = *state;

	add(fx, T_ALLOWED, UMAX - 0xffff, UMAX);
	check_find(fx, 0, 0x1000, 1, 0, 0xffffffffffff0000UL);
	/* Ends exactly at the top of the window */
	check_find(fx, 0, 0xf000, 1, 0, 0xffffffffffff0000UL);
	check_find(fx, 0x1000, 0xf000, 1, 0, 0xffffffffffff0000UL);
	check_find(fx, 0x1000, 0xf001, 1, -ENOSPC, 0);
	check_find(fx, 0, 0x10000, 1, -ENOSPC, 0);
	add(fx, T_AREAS, UMAX - 0xffff, UMAX - 0x2000);
	check_find(fx, 0x1000, 0x1000, 1, 0, 0xffffffffffffe000UL);
	check_find(fx, 0x1000, 0x2000, 1, -ENOSPC, 0);
}

static void test_find_allowed_only_last_page(void **state)
{
	struct fx *fx = *state;

	add(fx, T_ALLOWED, UMAX - 0xfff, UMAX);
	check_find(fx, 0, 1, 1, -ENOSPC, 0);
	check_find(fx, 0x800, 0x10, 1, -ENOSPC, 0);
}

static void test_find_everything_reserved(void **state)
{
	struct fx *fx = *state;

	add(fx, T_RESERVED, PAGE_SIZE, WIN_LAST);
	check_find(fx, 0, 1, 1, -ENOSPC, 0);
	check_find(fx, 0x10, 0x10, 1, -ENOSPC, 0);
	fx_reset(fx);
	add(fx, T_AREAS, 0x1000, UMAX);
	check_find(fx, 0, 1, 1, -ENOSPC, 0);
	fx_reset(fx);
	add(fx, T_RESERVED, 0, UMAX);
	check_find(fx, 0, 1, 1, -ENOSPC, 0);
	/* The window's edges only: still nothing usable inside it */
	fx_reset(fx);
	add(fx, T_RESERVED, 0x1000, 0x7fffffffffffffffUL);
	add(fx, T_AREAS, 0x8000000000000000UL, WIN_LAST);
	check_find(fx, 0, 1, 1, -ENOSPC, 0);
}

static void test_find_min_align(void **state)
{
	struct fx *fx = *state;

	check_find(fx, 0x1000, 0x1000, 0x2000, -EINVAL, 0);
	check_find(fx, 0x800, 0x2000, 0x1000, -EINVAL, 0);
	check_find(fx, 0, 0x1000, 0x2000, -EINVAL, 0);
	check_find(fx, 0x3, 0x1000, 2, -EINVAL, 0);
	/* Equal to the natural alignment is fine */
	check_find(fx, 0, 0x1000, 0x1000, 0, 0x1000);
	check_find(fx, SZ_2M, SZ_2M, SZ_2M, 0, SZ_2M);
	check_find(fx, 0x800, 0x800, 0x800, 0, 0x1800);
	/* min_align does not raise the alignment, it only checks it */
	check_find(fx, 0x2000, 0x2000, 0x1000, 0, 0x2000);
	add(fx, T_RESERVED, 0x1000, 0x1fff);
	check_find(fx, 0x1000, 0x1000, 0x1000, 0, 0x2000);
}

static void test_find_bad_length(void **state)
{
	struct fx *fx = *state;

	check_find(fx, 0, 0, 1, -EOVERFLOW, 0);
	check_find(fx, 0x1000, 0, 1, -EOVERFLOW, 0);
	check_find(fx, 0, UMAX / 2, 1, -EOVERFLOW, 0);
	check_find(fx, 0, UMAX / 2 + 1, 1, -EOVERFLOW, 0);
	check_find(fx, 0, UMAX, 1, -EOVERFLOW, 0);
	check_find(fx, 0x1000, 1UL << 63, 1, -EOVERFLOW, 0);
	/* Length is checked before min_align */
	check_find(fx, 0, 0, 1UL << 63, -EOVERFLOW, 0);
}

static void test_find_trees_untouched(void **state)
{
	struct fx *fx = *state;
	struct interval_tree_node *r, *a, *al;
	unsigned long iova = 0;

	al = add(fx, T_ALLOWED, 0x10000, 0x1ffff);
	r = add(fx, T_RESERVED, 0x10000, 0x10fff);
	a = add(fx, T_AREAS, 0x11000, 0x11fff);
	assert_int_equal(fx_find(fx, 0, 0x1000, 1, &iova), 0);
	assert_int_equal(iova, 0x12000);
	assert_int_equal(al->start, 0x10000);
	assert_int_equal(al->last, 0x1ffff);
	assert_int_equal(r->start, 0x10000);
	assert_int_equal(r->last, 0x10fff);
	assert_int_equal(a->start, 0x11000);
	assert_int_equal(a->last, 0x11fff);
	assert_ptr_equal(interval_tree_iter_first(&fx->roots[T_AREAS], 0, UMAX),
			 a);
	assert_null(interval_tree_iter_next(a, 0, UMAX));
}

/* ---------------------------------------------------------------------- */
/* Randomized cross-checks                                                  */

static unsigned long seed;
static unsigned long rng_state;

static unsigned long rnd(void)
{
	/* splitmix64 */
	unsigned long z = (rng_state += 0x9e3779b97f4a7c15UL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9UL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebUL;
	return z ^ (z >> 31);
}

/* Uniform-ish in [0, n) */
static unsigned long rnd_below(unsigned long n)
{
	return rnd() % n;
}

static int rng_setup(void **state)
{
	/* Each randomized test restarts from the seed, in any order */
	rng_state = seed;
	return fx_setup(state);
}

/* --- span walk against a bitmap ---------------------------------------- */

#define SPAN_N		301	/* indexes base .. base + 300 */

struct span_model {
	unsigned long base;
	bool used[SPAN_N];
};

static bool sm_used(const struct span_model *m, unsigned long x)
{
	return x >= m->base && x - m->base < SPAN_N && m->used[x - m->base];
}

/* Last index of the run of equal usedness starting at @x, capped at @wl */
static unsigned long sm_run_last(const struct span_model *m, unsigned long x,
				 unsigned long wl)
{
	bool u = sm_used(m, x);

	while (x < wl) {
		unsigned long nx = x + 1;

		if (sm_used(m, nx) != u)
			break;
		if (!u && nx < m->base)
			x = min(m->base - 1, wl);	/* free below the region */
		else if (!u && nx - m->base >= SPAN_N)
			x = wl;				/* free above it */
		else
			x = nx;
	}
	return x;
}

static void sm_dump(const struct fx *fx, unsigned int ntrees)
{
	unsigned int t;

	for (t = 0; t != ntrees; t++) {
		struct rb_node *rbn = fx->roots[t].rb_root.rb_node;

		print_message("#   tree %u:", t);
		for (; rbn; rbn = rbn->shim_next) {
			const struct interval_tree_node *n =
				(const void *)((const char *)rbn -
					offsetof(struct interval_tree_node, rb));

			print_message(" [%#lx, %#lx]", n->start, n->last);
		}
		print_message("\n");
	}
}

static unsigned long span_pick_point(const struct span_model *m)
{
	switch (rnd_below(10)) {
	case 0:
		return 0;
	case 1:
		return UMAX;
	case 2:
		return m->base ? m->base - 1 : 0;
	case 3:
		return m->base + SPAN_N < m->base ? UMAX : m->base + SPAN_N;
	default:
		return m->base + rnd_below(SPAN_N);
	}
}

static void span_random_round(struct fx *fx, unsigned long base,
			      unsigned int round)
{
	struct span_model m = { .base = base };
	unsigned int ntrees = 1 + rnd_below(NTREES);
	unsigned int t, k, w;

	fx_reset(fx);
	for (t = 0; t != ntrees; t++) {
		unsigned int nnodes = rnd_below(10);
		unsigned long prev_last = 0;

		for (k = 0; k != nnodes; k++) {
			unsigned long s, len, i;

			if (k && prev_last + 1 < SPAN_N && rnd_below(4) == 0)
				s = prev_last + 1;	/* adjacent */
			else
				s = rnd_below(SPAN_N);
			switch (rnd_below(4)) {
			case 0:
				len = 1;
				break;
			case 1:
				len = 1 + rnd_below(SPAN_N);
				break;
			default:
				len = 1 + rnd_below(30);
				break;
			}
			if (len > SPAN_N - s)
				len = SPAN_N - s;
			add(fx, t, base + s, base + s + len - 1);
			for (i = s; i != s + len; i++)
				m.used[i] = true;
			prev_last = s + len - 1;
		}
	}

	for (w = 0; w != 8; w++) {
		unsigned long ws = span_pick_point(&m);
		unsigned long wl = span_pick_point(&m);
		struct ioasid_span span;
		unsigned long x = ws;
		bool ended = ws > wl;
		unsigned int n = 0;

		ioasid_for_each_span(&span, fx->rootp, ntrees, ws, wl) {
			unsigned long want_last;
			bool bad;

			if (ended) {
				print_message("# seed %#lx round %u\n", seed,
					      round);
				sm_dump(fx, ntrees);
				fail_msg("walk [%#lx, %#lx]: extra span [%#lx, %#lx]",
					 ws, wl, span.start, span.last);
			}
			want_last = sm_run_last(&m, x, wl);
			bad = span.start != x || span.last != want_last ||
			      span.is_hole == sm_used(&m, x);
			if (bad) {
				print_message("# seed %#lx round %u\n", seed,
					      round);
				sm_dump(fx, ntrees);
				fail_msg("walk [%#lx, %#lx] span %u: [%#lx, %#lx] %s, want [%#lx, %#lx] %s",
					 ws, wl, n, span.start, span.last,
					 span.is_hole ? "hole" : "used", x,
					 want_last,
					 sm_used(&m, x) ? "used" : "hole");
			}
			if (want_last == wl)
				ended = true;
			else
				x = want_last + 1;
			n++;
			assert_true(n <= 2 * SPAN_N + 4);
		}
		if (!ended) {
			print_message("# seed %#lx round %u\n", seed, round);
			sm_dump(fx, ntrees);
			fail_msg("walk [%#lx, %#lx] stopped early before %#lx",
				 ws, wl, x);
		}
	}
}

static void test_random_span_low(void **state)
{
	unsigned int round;

	for (round = 0; round != 3000; round++)
		span_random_round(*state, 0, round);
}

static void test_random_span_high(void **state)
{
	unsigned int round;

	for (round = 0; round != 3000; round++)
		span_random_round(*state, UMAX - SPAN_N + 1, round);
}

static void test_random_span_middle(void **state)
{
	unsigned int round;

	for (round = 0; round != 3000; round++)
		span_random_round(*state, 0x123456789abcUL, round);
}

/* --- find_iova against a brute-force search ---------------------------- */

/*
 * All nodes lie in the byte region [base, base + FIND_N), apart from an
 * optional reserved [0, base - 1] (@block_below).  The model keeps its own
 * copy of the intervals and answers "does [x, x + len - 1] fit" the
 * obvious way: no used interval may intersect it and, if there are allowed
 * intervals, their union must cover it.
 */
#define FIND_N		0x20000UL
#define FIND_MAX	32

struct mrange {
	unsigned long start;
	unsigned long last;
};

struct find_model {
	unsigned long base;
	bool block_below;
	unsigned int nallowed;
	unsigned int nused;
	struct mrange allowed[FIND_MAX];
	struct mrange used[FIND_MAX];
};

static bool fm_covered(const struct find_model *m, unsigned long x,
		       unsigned long xl)
{
	unsigned long cur = x;
	unsigned int i;

	for (;;) {
		bool found = false;
		unsigned long reach = 0;

		for (i = 0; i != m->nallowed; i++) {
			const struct mrange *a = &m->allowed[i];

			if (a->start <= cur && a->last >= cur) {
				if (a->last >= xl)
					return true;
				if (!found || a->last > reach)
					reach = a->last;
				found = true;
			}
		}
		if (!found)
			return false;
		cur = reach + 1;
	}
}

/* Does [x, x + len - 1] fit?  The caller ensures it does not wrap. */
static bool fm_fits(const struct find_model *m, unsigned long x,
		    unsigned long len)
{
	unsigned long xl = x + len - 1;
	unsigned int i;

	for (i = 0; i != m->nused; i++)
		if (m->used[i].start <= xl && m->used[i].last >= x)
			return false;
	return !m->nallowed || fm_covered(m, x, xl);
}

static unsigned long model_align(unsigned long uptr, unsigned long length)
{
	unsigned long a = 1;

	while (a < length)
		a <<= 1;
	if (uptr && (uptr & -uptr) < a)
		a = uptr & -uptr;
	return a;
}

/*
 * Brute force: the lowest candidate that respects alignment, the window and
 * the model.  Candidates are every address congruent to the required
 * residue, so the scan is exact; it only has to reach past the region.
 */
static int fm_search(const struct find_model *m, unsigned long uptr,
		     unsigned long length, unsigned long min_align,
		     unsigned long *iova)
{
	unsigned long align = model_align(uptr, length);
	unsigned long step, x, stop;

	if (align < min_align)
		return -EINVAL;
	if (align >= PAGE_SIZE) {
		step = align;
		x = align;		/* lowest nonzero multiple */
	} else {
		step = PAGE_SIZE;
		x = PAGE_SIZE + uptr % PAGE_SIZE;
	}
	/* Past the region plus one step everything is free */
	if (m->base + FIND_N < m->base)
		stop = UMAX;
	else
		stop = m->base + FIND_N + step + length;
	/* Jump close to the region: below it nothing changes either */
	if (m->base > 2 * step && x < m->base - 2 * step &&
	    (m->nallowed || m->block_below))
		x += (m->base - 2 * step - x) / step * step;
	for (;;) {
		if (x >= WIN_FIRST && x <= WIN_LAST &&
		    length - 1 <= WIN_LAST - x && fm_fits(m, x, length)) {
			*iova = x;
			return 0;
		}
		if (x >= stop || x > UMAX - step)
			return -ENOSPC;
		x += step;
	}
}

static unsigned long rnd_find_len(void)
{
	switch (rnd_below(6)) {
	case 0:
		return 1 + rnd_below(0x100);
	case 1:
		return PAGE_SIZE * (1 + rnd_below(4));
	case 2:
		return 1UL << rnd_below(15);
	case 3:
		return 0x100 * (1 + rnd_below(0x40));
	default:
		return 1 + rnd_below(0x6000);
	}
}

static unsigned long rnd_uptr(void)
{
	unsigned int shift;

	if (rnd_below(8) == 0)
		return 0;
	shift = rnd_below(4) ? 8 + rnd_below(15) : rnd_below(8);
	return (rnd() << (shift + 1)) | (1UL << shift);
}

static unsigned long rnd_region_start(void)
{
	switch (rnd_below(4)) {
	case 0:
		return rnd_below(FIND_N / PAGE_SIZE) * PAGE_SIZE;
	case 1:
		return rnd_below(FIND_N / 0x100) * 0x100;
	default:
		return rnd_below(FIND_N);
	}
}

static void fm_add_random(struct fx *fx, struct find_model *m,
			  unsigned int tree)
{
	unsigned long s = rnd_region_start();
	unsigned long len = rnd_below(3) ? rnd_find_len() :
					   1 + rnd_below(FIND_N);
	struct mrange *r;

	if (len > FIND_N - s)
		len = FIND_N - s;
	if (rnd_below(2)) {
		/* end on a page or 0x100 boundary more often than not */
		unsigned long gran = rnd_below(2) ? PAGE_SIZE : 0x100;
		unsigned long end = (s + len + gran - 1) / gran * gran;

		if (end <= FIND_N)
			len = end - s;
	}
	if (rnd_below(8) == 0)
		len--;			/* one short of the boundary */
	if (!len)
		len = 1;
	add(fx, tree, m->base + s, m->base + s + len - 1);
	if (tree == T_ALLOWED) {
		assert_true(m->nallowed < FIND_MAX);
		r = &m->allowed[m->nallowed++];
	} else {
		assert_true(m->nused < FIND_MAX);
		r = &m->used[m->nused++];
	}
	r->start = m->base + s;
	r->last = m->base + s + len - 1;
}

static void find_random_round(struct fx *fx, struct find_model *m,
			      unsigned long base, bool allowed,
			      bool block_below, unsigned int round)
{
	unsigned int i, nallowed, q;

	fx_reset(fx);
	memset(m, 0, sizeof(*m));
	m->base = base;
	m->block_below = block_below;
	if (block_below) {
		add(fx, T_RESERVED, 0, base - 1);
		m->used[m->nused++] = (struct mrange){ 0, base - 1 };
	}

	nallowed = allowed ? 1 + rnd_below(4) : 0;
	for (i = 0; i != nallowed; i++)
		fm_add_random(fx, m, T_ALLOWED);
	for (i = rnd_below(7); i; i--)
		fm_add_random(fx, m, T_RESERVED);
	for (i = rnd_below(7); i; i--)
		fm_add_random(fx, m, T_AREAS);

	for (q = 0; q != 32; q++) {
		unsigned long uptr = rnd_uptr();
		unsigned long length = rnd_find_len();
		unsigned long min_align = 1;
		unsigned long want_iova = 0, got_iova = 0;
		int want, got;

		if (rnd_below(8) == 0)
			min_align = 1UL << rnd_below(17);
		want = fm_search(m, uptr, length, min_align, &want_iova);
		got = fx_find(fx, uptr, length, min_align, &got_iova);
		if (got != want || (!got && got_iova != want_iova)) {
			print_message("# seed %#lx round %u query %u\n", seed,
				      round, q);
			sm_dump(fx, NTREES);
			fail_msg("find_iova(uptr %#lx, len %#lx, min_align %#lx) = %d iova %#lx, want %d iova %#lx",
				 uptr, length, min_align, got,
				 got ? 0 : got_iova, want,
				 want ? 0 : want_iova);
		}
	}
}

static void run_find_random(void **state, unsigned long base, bool allowed,
			    bool block_below)
{
	struct fx *fx = *state;
	unsigned int round;

	/* Owned by the fixture, so a failing round does not leak it */
	fx->fm = malloc(sizeof(*fx->fm));
	assert_non_null(fx->fm);
	for (round = 0; round != 2000; round++)
		find_random_round(fx, fx->fm, base, allowed, block_below,
				  round);
}

/* Region [0, FIND_N): crosses the PAGE_SIZE lower bound of the window */
static void test_random_find_low_allowed(void **state)
{
	run_find_random(state, 0, true, false);
}

/* No allowed ranges: the search may leave the region upwards */
static void test_random_find_low_all_allowed(void **state)
{
	run_find_random(state, 0, false, false);
}

/* Region at the top: crosses the ULONG_MAX - PAGE_SIZE upper bound */
static void test_random_find_top_allowed(void **state)
{
	run_find_random(state, UMAX - FIND_N + 1, true, false);
}

static void test_random_find_top_all_allowed(void **state)
{
	run_find_random(state, UMAX - FIND_N + 1, false, true);
}

/* Somewhere in the middle, region not aligned to large powers of two */
static void test_random_find_middle(void **state)
{
	run_find_random(state, 0x7f0000013000UL, false, true);
}

static void test_random_find_middle_allowed(void **state)
{
	run_find_random(state, 0x7f0000013000UL, true, false);
}

/* --- ioasid_range_last / ioasid_auto_iova_align random ------------------ */

static void test_random_scalar(void **state)
{
	unsigned int i;

	(void)state;
	for (i = 0; i != 100000; i++) {
		unsigned long start = rnd() >> rnd_below(64);
		unsigned long length = rnd() >> rnd_below(64);
		unsigned long last = 0;
		int ret = ioasid_range_last(start, length, &last);
		unsigned long uptr = rnd() >> rnd_below(64);
		unsigned long alen = 1 + (rnd() >> (2 + rnd_below(62)));

		if (!length)
			assert_int_equal(ret, -EINVAL);
		else if (UMAX - start < length - 1)
			assert_int_equal(ret, -EOVERFLOW);
		else {
			assert_int_equal(ret, 0);
			assert_int_equal(last, start + (length - 1));
		}
		if (alen >= UMAX / 2)
			alen = UMAX / 2 - 1;
		assert_int_equal(ioasid_auto_iova_align(uptr, alen),
				 model_align(uptr, alen));
	}
}

/* ---------------------------------------------------------------------- */

#define T(fn)	cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
#define TR(fn)	cmocka_unit_test_setup_teardown(fn, rng_setup, fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_shim_interval_tree),
		T(test_shim_helpers),

		T(test_span_empty_tree_full_range),
		T(test_span_no_roots),
		T(test_span_start_after_last),
		T(test_span_single_point_walks),
		T(test_span_node_at_zero),
		T(test_span_node_at_ulong_max),
		T(test_span_node_covers_everything),
		T(test_span_nodes_at_both_ends),
		T(test_span_adjacent_same_tree),
		T(test_span_adjacent_across_trees),
		T(test_span_adjacent_up_to_ulong_max),
		T(test_span_one_index_gap),
		T(test_span_overlap_same_tree),
		T(test_span_overlap_across_trees),
		T(test_span_nested),
		T(test_span_same_start_short_first),
		T(test_span_longest_in_later_tree),
		T(test_span_identical_nodes),
		T(test_span_walk_starts_inside_node),
		T(test_span_walk_ends_inside_node),
		T(test_span_walk_inside_node),
		T(test_span_walk_inside_hole),
		T(test_span_hole_stops_at_nearest_tree),
		T(test_span_node_before_walk_ignored),
		T(test_span_top_hole_no_wrap),
		T(test_span_many_adjacent_nodes),
		T(test_span_manual_iteration),

		T(test_range_last),
		T(test_range_last_errors),
		T(test_auto_align_no_uptr),
		T(test_auto_align_uptr_limits),
		T(test_pfn_run),

		T(test_find_empty_lowest),
		T(test_find_allowed_covering_zero),
		T(test_find_allowed_only_page_zero),
		T(test_find_allowed_straddles_page_size),
		T(test_find_sub_page_offset),
		T(test_find_sub_page_after_partial_page),
		T(test_find_sub_page_hole_inside_page),
		T(test_find_huge_alignment),
		T(test_find_huge_alignment_skips_reserved),
		T(test_find_giant_lengths),
		T(test_find_skips_reserved),
		T(test_find_skips_areas),
		T(test_find_reserved_and_areas_chain),
		T(test_find_hole_too_small),
		T(test_find_respects_allowed),
		T(test_find_allowed_too_small),
		T(test_find_allowed_adjacent_merge),
		T(test_find_allowed_blocked_by_reserved),
		T(test_find_top_of_window),
		T(test_find_allowed_at_top),
		T(test_find_allowed_only_last_page),
		T(test_find_everything_reserved),
		T(test_find_min_align),
		T(test_find_bad_length),
		T(test_find_trees_untouched),

		TR(test_random_span_low),
		TR(test_random_span_high),
		TR(test_random_span_middle),
		TR(test_random_find_low_allowed),
		TR(test_random_find_low_all_allowed),
		TR(test_random_find_top_allowed),
		TR(test_random_find_top_all_allowed),
		TR(test_random_find_middle),
		TR(test_random_find_middle_allowed),
		TR(test_random_scalar),
	};
	const char *env = getenv("IOVA_TEST_SEED");

	seed = env && *env ? strtoul(env, NULL, 0) : 0x10a5d1dUL;
	printf("# test_iova: random seed %#lx (IOVA_TEST_SEED to change)\n",
	       seed);
	fflush(stdout);
	return cmocka_run_group_tests_name(TEST_GROUP, tests, NULL, NULL) ? 1 : 0;
}
