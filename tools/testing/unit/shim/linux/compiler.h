/* SPDX-License-Identifier: GPL-2.0-only */
/* Host shim for the few <linux/compiler.h> helpers the other shims use. */
#ifndef __UNIT_SHIM_LINUX_COMPILER_H
#define __UNIT_SHIM_LINUX_COMPILER_H

#ifndef __always_inline
#define __always_inline	inline __attribute__((__always_inline__))
#endif
#ifndef __must_check
#define __must_check	__attribute__((__warn_unused_result__))
#endif
#ifndef likely
#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)
#endif

#endif
