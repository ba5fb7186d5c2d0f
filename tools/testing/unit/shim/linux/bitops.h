/* SPDX-License-Identifier: GPL-2.0-only */
/* Host shim for the bit searching helpers of <linux/bitops.h>. */
#ifndef __UNIT_SHIM_LINUX_BITOPS_H
#define __UNIT_SHIM_LINUX_BITOPS_H

#include <linux/compiler.h>

#define BITS_PER_LONG	(8 * (int)sizeof(long))

/* Index of the lowest set bit; undefined for 0, as in the kernel. */
static __always_inline unsigned long __ffs(unsigned long word)
{
	return (unsigned long)__builtin_ctzl(word);
}

/* Index of the highest set bit; undefined for 0, as in the kernel. */
static __always_inline unsigned long __fls(unsigned long word)
{
	return (unsigned long)(BITS_PER_LONG - 1 - __builtin_clzl(word));
}

/* 1-based index of the highest set bit, 0 for 0. */
static __always_inline int fls_long(unsigned long word)
{
	return word ? BITS_PER_LONG - __builtin_clzl(word) : 0;
}

#endif
