/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vfio-ioasid-pci: private definitions.
 *
 * Lifetimes
 *   struct vioasid_device is the vfio_device of one bound PCI device; its
 *   memory belongs to the struct device inside the vfio_device and is freed
 *   by vfio when the last reference goes.  The cdev is a child of that
 *   struct device, so an open file keeps the memory alive.  Each open file
 *   also holds a registration reference (vfio_device.refcount), so removing
 *   the PCI device waits for every file to close, calling the request
 *   callback (the user's request eventfd) meanwhile.  cdev_del() does not
 *   stop opens through an inode that already caches the cdev, so remove sets
 *   @removing first and open and BIND refuse with ENODEV from then on.
 *
 * Lock order
 *   vioasid_device.bind_lock
 *     -> vioasid_groups_lock (group.c)
 *          -> the vfio group's group_lock (opening and closing its node)
 *     -> vfio_device_set.lock (vfio_pci_core enable and disable)
 *     -> the ioasid core's locks (ioasid_device_bind, _unbind)
 *
 * Fields of struct vfio_device that include/linux/vfio.h calls private and
 * that this driver must use because Linux 6.1's vfio core has no device
 * cdev: index (the N of vfioN and the cdev minor), refcount and comp (the
 * registration reference of an open file), open_count (devices of a
 * dev_set that are open, read by vfio-pci-core before a bus reset).  They
 * change exactly as vfio_main.c changes them, in the same order and under
 * the same lock:
 *   open      refcount_inc_not_zero(refcount), or ENODEV once remove began
 *   BIND      dev_set lock; open_count++; open_device when it became 1
 *             (open_count-- if that fails)
 *   close     dev_set lock; close_device while open_count is still 1;
 *             then open_count--
 *   release   refcount_dec_and_test(refcount) -> complete(comp), which
 *             vfio_unregister_group_dev() waits for
 * Only a bound fd counts in open_count: a parked fd has not opened the
 * device.
 */
#ifndef __VFIO_IOASID_H
#define __VFIO_IOASID_H

#include <linux/cdev.h>
#include <linux/mutex.h>
#include <linux/vfio_pci_core.h>

struct ioasid_device;

struct vioasid_group;

struct vioasid_device {
	struct vfio_pci_core_device core;	/* first, for vfio_alloc_device */
	struct cdev cdev;
	struct mutex bind_lock;		/* protects the members below */
	struct vioasid_file *bound;	/* the file bound to a context */
	struct vioasid_group *group;	/* held while @bound */
	bool removing;			/* no new opens or binds */
};

/* An open device fd; parked while @idev is NULL */
struct vioasid_file {
	struct vioasid_device *vdev;
	struct ioasid_device *idev;	/* set once by BIND, read with acquire */
};

extern const struct file_operations vioasid_fops;

int vioasid_group_hold(struct vioasid_device *vdev);
void vioasid_group_release(struct vioasid_device *vdev);

#endif
