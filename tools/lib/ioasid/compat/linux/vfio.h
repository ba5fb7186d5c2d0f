/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * <linux/vfio.h> for programs written for upstream Linux (6.6 and later),
 * on Debian 12: the system's own header (linux-libc-dev, Linux 6.1), then
 * what it lacks for VFIO device cdevs bound to /dev/ioasid, from
 * <linux/ioasid_vfio.h>: VFIO_DEVICE_BIND_IOMMUFD (with the VF token of
 * Linux 6.17, VFIO_DEVICE_BIND_FLAG_TOKEN), VFIO_DEVICE_ATTACH_IOMMUFD_PT,
 * VFIO_DEVICE_DETACH_IOMMUFD_PT and their structures, with upstream's
 * numbers and layouts.
 *
 * Installed as <includedir>/ioasid/linux/vfio.h, found through
 * `pkg-config --cflags libioasid` (or ioasid-uapi) ahead of the system's
 * header, which it includes.  Never copy it over /usr/include/linux/vfio.h.
 */
#ifndef _IOASID_COMPAT_LINUX_VFIO_H
#define _IOASID_COMPAT_LINUX_VFIO_H

/* #include_next is a GCC extension (clang has it too): no -Wpedantic warning */
#pragma GCC system_header
#include_next <linux/vfio.h>
#include <linux/ioasid_vfio.h>

#endif /* _IOASID_COMPAT_LINUX_VFIO_H */
