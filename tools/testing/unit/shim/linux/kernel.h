/* SPDX-License-Identifier: GPL-2.0-only */
/* Host shim for the parts of <linux/kernel.h> the pure ioasid code uses. */
#ifndef __UNIT_SHIM_LINUX_KERNEL_H
#define __UNIT_SHIM_LINUX_KERNEL_H

#include <limits.h>
#include <stddef.h>

#include <linux/bitops.h>
#include <linux/compiler.h>
#include <linux/minmax.h>
#include <linux/types.h>

#define ARRAY_SIZE(arr)	(sizeof(arr) / sizeof((arr)[0]))

#ifndef container_of
#define container_of(ptr, type, member)					\
	((type *)((char *)(ptr) - offsetof(type, member)))
#endif

#define ALIGN(x, a)	(((x) + ((__typeof__(x))(a) - 1)) &		\
			 ~((__typeof__(x))(a) - 1))
#define IS_ALIGNED(x, a)	(((x) & ((__typeof__(x))(a) - 1)) == 0)

#endif
