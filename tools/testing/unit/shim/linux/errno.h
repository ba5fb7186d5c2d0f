/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Host shim for <linux/errno.h>.  glibc's <errno.h> includes <linux/errno.h>
 * too, so this header must also satisfy libc: it forwards to the host's uAPI
 * header and only fills in what iova.c needs if that one is missing.  The
 * values are the Linux ABI values, identical on host and kernel.
 */
#ifndef __UNIT_SHIM_LINUX_ERRNO_H
#define __UNIT_SHIM_LINUX_ERRNO_H

#if defined(__has_include_next)
#if __has_include_next(<linux/errno.h>)
#include_next <linux/errno.h>
#endif
#endif

#ifndef EINVAL
#define EINVAL		22
#endif
#ifndef ENOSPC
#define ENOSPC		28
#endif
#ifndef EOVERFLOW
#define EOVERFLOW	75
#endif

#endif
