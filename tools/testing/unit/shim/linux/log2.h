/* SPDX-License-Identifier: GPL-2.0-only */
/* Host shim for <linux/log2.h>. */
#ifndef __UNIT_SHIM_LINUX_LOG2_H
#define __UNIT_SHIM_LINUX_LOG2_H

#include <linux/bitops.h>
#include <linux/types.h>

static inline bool is_power_of_2(unsigned long n)
{
	return n && !(n & (n - 1));
}

/*
 * Smallest power of two >= @n.  Like the kernel's, the result is undefined
 * for 0 and for @n above 1UL << (BITS_PER_LONG - 1).
 */
static inline unsigned long roundup_pow_of_two(unsigned long n)
{
	return 1UL << fls_long(n - 1);
}

static inline unsigned long rounddown_pow_of_two(unsigned long n)
{
	return 1UL << __fls(n);
}

static inline int ilog2(unsigned long n)
{
	return (int)__fls(n);
}

#endif
