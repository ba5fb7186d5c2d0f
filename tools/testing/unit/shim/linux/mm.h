/* SPDX-License-Identifier: GPL-2.0-only */
/* Host shim for the page size constants of <linux/mm.h> (x86-64: 4 KiB). */
#ifndef __UNIT_SHIM_LINUX_MM_H
#define __UNIT_SHIM_LINUX_MM_H

#include <linux/kernel.h>

#define PAGE_SHIFT	12
#define PAGE_SIZE	(1UL << PAGE_SHIFT)
#define PAGE_MASK	(~(PAGE_SIZE - 1))

#endif
