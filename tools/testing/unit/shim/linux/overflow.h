/* SPDX-License-Identifier: GPL-2.0-only */
/* Host shim for <linux/overflow.h>, on top of the compiler builtins. */
#ifndef __UNIT_SHIM_LINUX_OVERFLOW_H
#define __UNIT_SHIM_LINUX_OVERFLOW_H

#include <linux/compiler.h>
#include <linux/types.h>

static inline bool __must_check __shim_must_check_overflow(bool overflow)
{
	return unlikely(overflow);
}

/* *d = a + b; true if the exact result does not fit in *d */
#define check_add_overflow(a, b, d)					\
	__shim_must_check_overflow(__builtin_add_overflow(a, b, d))
#define check_sub_overflow(a, b, d)					\
	__shim_must_check_overflow(__builtin_sub_overflow(a, b, d))
#define check_mul_overflow(a, b, d)					\
	__shim_must_check_overflow(__builtin_mul_overflow(a, b, d))

#endif
