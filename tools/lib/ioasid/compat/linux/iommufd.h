/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * <linux/iommufd.h> for programs written for upstream Linux's iommufd, on
 * Debian 12, whose Linux 6.1 headers have none: /dev/ioasid's
 * <linux/ioasid.h> has the same ioctl numbers, structures and names.  Open
 * /dev/ioasid where such a program opens /dev/iommu.
 *
 * Installed as <includedir>/ioasid/linux/iommufd.h, found through
 * `pkg-config --cflags libioasid` (or ioasid-uapi).
 */
#ifndef _IOASID_COMPAT_LINUX_IOMMUFD_H
#define _IOASID_COMPAT_LINUX_IOMMUFD_H

#include <linux/ioasid.h>

#endif /* _IOASID_COMPAT_LINUX_IOMMUFD_H */
