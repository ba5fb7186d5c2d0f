/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Host shim for <linux/minmax.h>.  Like the kernel's, min() and max()
 * evaluate each argument once and complain (-Wall: "comparison of distinct
 * pointer types") when the two arguments have different types.
 */
#ifndef __UNIT_SHIM_LINUX_MINMAX_H
#define __UNIT_SHIM_LINUX_MINMAX_H

#define __shim_cmp(a, b, op) ({					\
	__typeof__(a) __shim_a = (a);				\
	__typeof__(b) __shim_b = (b);				\
	(void)(&__shim_a == &__shim_b);				\
	__shim_a op __shim_b ? __shim_a : __shim_b; })

#define min(a, b)	__shim_cmp(a, b, <)
#define max(a, b)	__shim_cmp(a, b, >)

#define min_t(type, a, b)	min((type)(a), (type)(b))
#define max_t(type, a, b)	max((type)(a), (type)(b))

#endif
