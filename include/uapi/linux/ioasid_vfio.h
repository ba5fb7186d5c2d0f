/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * The VFIO device cdev ioctls of the ioasid companion driver
 * (vfio-ioasid-pci), for device nodes /dev/vfio/devices/vfioN.
 *
 * Linux 6.1's <linux/vfio.h> predates the VFIO device cdev.  The numbers and
 * layouts below are those of the upstream cdev (Linux 6.6 and later; the VF
 * token of BIND is 6.17's), so code written for upstream builds by including
 * this header after <linux/vfio.h>.
 * Every other device ioctl (GET_INFO, GET_REGION_INFO, SET_IRQS, RESET, ...)
 * is the unchanged one of <linux/vfio.h>.
 *
 * A freshly opened device fd is parked: every ioctl except
 * VFIO_DEVICE_BIND_IOMMUFD, and read, write and mmap, fail with EINVAL until
 * the fd is bound to a /dev/ioasid context.
 */
#ifndef _UAPI_LINUX_IOASID_VFIO_H
#define _UAPI_LINUX_IOASID_VFIO_H

#include <linux/types.h>
#include <linux/ioctl.h>
#include <linux/vfio.h>

#ifndef VFIO_DEVICE_BIND_IOMMUFD

/**
 * struct vfio_device_bind_iommufd - VFIO_DEVICE_BIND_IOMMUFD
 * @argsz: user filled size of this data, at least 16 (the first revision,
 *	   without @token_uuid_ptr); bytes past the structure must be 0
 * @flags: 0 or VFIO_DEVICE_BIND_FLAG_TOKEN
 * @iommufd: an fd of /dev/ioasid
 * @out_devid: output, the ID of the DEVICE object in that context
 * @token_uuid_ptr: with VFIO_DEVICE_BIND_FLAG_TOKEN, the address of the
 *		    16-byte VF token (a UUID, as VFIO_DEVICE_FEATURE_PCI_VF_TOKEN
 *		    takes it); ignored without
 *
 * Bind the device to the context of @iommufd: its iommu_group's DMA is owned
 * by that context and blocked until VFIO_DEVICE_ATTACH_IOMMUFD_PT.  The fd
 * is unparked.  Closing the device fd unbinds.
 *
 * An SR-IOV VF whose PF is bound to vfio-pci, which enabled its VFs, needs
 * the VF token the PF's user set; a PF whose VFs are in use needs it too.
 * Other devices must not be given one.  Layout and rules are those of
 * Linux 6.17 (@token_uuid_ptr and the flag were added there).
 *
 * Return: 0 on success; EINVAL for an argsz below 16, unknown flags, a
 * negative @iommufd, a token for a device that takes none, an fd bound
 * already or a device bound through another fd; E2BIG for non-zero bytes
 * past the structure; EFAULT if the token cannot be read; EACCES for a
 * missing or wrong VF token; EBADF if @iommufd is not an open fd; EBADFD if
 * it is not /dev/ioasid; EBUSY if the device's VFIO group node
 * (/dev/vfio/<group>) is open, or a driver or another context owns the
 * group's DMA; EPERM if the IOMMU does not isolate the device's MSIs (see
 * the ioasid module parameter allow_unsafe_interrupts); ENODEV if the device
 * is being unbound from the driver or removed.  (A device without an IOMMU
 * cannot be bound to vfio-ioasid-pci at all.)
 */
struct vfio_device_bind_iommufd {
	__u32 argsz;
	__u32 flags;
#define VFIO_DEVICE_BIND_FLAG_TOKEN (1 << 0)
	__s32 iommufd;
	__u32 out_devid;
	__aligned_u64 token_uuid_ptr;
};

#define VFIO_DEVICE_BIND_IOMMUFD	_IO(VFIO_TYPE, VFIO_BASE + 18)

/**
 * struct vfio_device_attach_iommufd_pt - VFIO_DEVICE_ATTACH_IOMMUFD_PT
 * @argsz: user filled size of this data, at least 12
 * @flags: must be 0
 * @pt_id: in: an IOAS or HWPT ID; out: the HWPT the device now uses
 *
 * Let the device DMA through an I/O address space.  For an IOAS, a
 * compatible automatic HWPT of that IOAS is reused or created.  Attaching an
 * attached device replaces its HWPT; on Linux 6.1 this is a detach followed
 * by an attach, so it is not hitless.
 *
 * Return: 0 on success; EINVAL for a bad argsz or flags, an fd that is not
 * bound, or a @pt_id that is neither an IOAS nor a HWPT; ENOENT for an
 * unknown @pt_id; EADDRINUSE if the IOMMU aperture or a reserved region of
 * the device collides with a mapping or an allowed range of the IOAS.
 */
struct vfio_device_attach_iommufd_pt {
	__u32 argsz;
	__u32 flags;
	__u32 pt_id;
};

#define VFIO_DEVICE_ATTACH_IOMMUFD_PT	_IO(VFIO_TYPE, VFIO_BASE + 19)

/**
 * struct vfio_device_detach_iommufd_pt - VFIO_DEVICE_DETACH_IOMMUFD_PT
 * @argsz: user filled size of this data, at least 8
 * @flags: must be 0
 *
 * Return the device to blocked DMA.  Detaching a detached device is not an
 * error.
 */
struct vfio_device_detach_iommufd_pt {
	__u32 argsz;
	__u32 flags;
};

#define VFIO_DEVICE_DETACH_IOMMUFD_PT	_IO(VFIO_TYPE, VFIO_BASE + 20)

#endif /* VFIO_DEVICE_BIND_IOMMUFD */

#endif
