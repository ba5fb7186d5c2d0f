/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Host shim for <linux/types.h>: the fixed width kernel types and bool.
 * The host's uAPI header (if any) is pulled in first so that libc headers
 * which expect __u32 and friends keep working.
 */
#ifndef __UNIT_SHIM_LINUX_TYPES_H
#define __UNIT_SHIM_LINUX_TYPES_H

#if defined(__has_include_next)
#if __has_include_next(<linux/types.h>)
#include_next <linux/types.h>
#endif
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;

#endif
