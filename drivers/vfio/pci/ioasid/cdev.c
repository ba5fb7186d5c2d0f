// SPDX-License-Identifier: GPL-2.0-only
/*
 * The device cdev /dev/vfio/devices/vfioN: a parked fd until BIND, then the
 * VFIO device uAPI of vfio-pci-core with DMA through an ioasid context.
 */
#include <linux/compat.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/ioasid_core.h>
#include <linux/pm_runtime.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/uuid.h>
#include <uapi/linux/ioasid_vfio.h>

#include "vfio_ioasid.h"

static struct vfio_device *vioasid_vfio(struct vioasid_device *vdev)
{
	return &vdev->core.vdev;
}

static int vioasid_open(struct inode *inode, struct file *filep)
{
	struct vioasid_device *vdev =
		container_of(inode->i_cdev, struct vioasid_device, cdev);
	struct vioasid_file *df;
	bool live;

	mutex_lock(&vdev->bind_lock);
	live = !vdev->removing &&
	       refcount_inc_not_zero(&vioasid_vfio(vdev)->refcount);
	mutex_unlock(&vdev->bind_lock);
	if (!live)
		return -ENODEV;

	df = ioasid_should_fail(IOASID_FAULT_ALLOC) ? NULL :
	     kzalloc(sizeof(*df), GFP_KERNEL_ACCOUNT);
	if (!df) {
		if (refcount_dec_and_test(&vioasid_vfio(vdev)->refcount))
			complete(&vioasid_vfio(vdev)->comp);
		return -ENOMEM;
	}
	df->vdev = vdev;
	filep->private_data = df;
	return 0;
}

/*
 * Power the device up and let it be used.  The order is that of Linux 6.1's
 * vfio_device_open(): open_count counts the device before its open_device
 * runs and goes back down only if that fails, all under the dev_set lock.
 */
static int vioasid_enable(struct vioasid_device *vdev)
{
	struct vfio_device *vfio = vioasid_vfio(vdev);
	int rc = 0;

	mutex_lock(&vfio->dev_set->lock);
	vfio->open_count++;
	if (vfio->open_count == 1) {
		rc = ioasid_should_fail(IOASID_FAULT_ENABLE) ? -ENOMEM :
		     vfio_pci_core_enable(&vdev->core);
		if (rc)
			vfio->open_count--;
		else
			vfio_pci_core_finish_enable(&vdev->core);
	}
	mutex_unlock(&vfio->dev_set->lock);
	return rc;
}

/*
 * The order of Linux 6.1's vfio_device_fops_release(): close_device runs
 * while open_count still counts the device, and only then does the count
 * drop.  vfio-pci-core's close resets the whole bus or slot when it finds
 * no other device of the dev_set open (vfio_device_set_open_count() <= 1,
 * the closing device included); counting this one out first would let it
 * reset a sibling that is in use, without that sibling's memory_lock.
 */
static void vioasid_disable(struct vioasid_device *vdev)
{
	struct vfio_device *vfio = vioasid_vfio(vdev);

	mutex_lock(&vfio->dev_set->lock);
	if (vfio->open_count == 1)
		vfio_pci_core_close_device(vfio);
	vfio->open_count--;
	mutex_unlock(&vfio->dev_set->lock);
}

/*
 * The VF token rules of vfio-pci-core: a VF whose PF vfio-pci owns (and
 * enabled SR-IOV on) needs the token the PF's user set with
 * VFIO_DEVICE_FEATURE_PCI_VF_TOKEN; a PF whose VFs are in use needs their
 * token; anything else must not be given one.  Linux 6.1 checks them only
 * for the device names of the group path, through vfio_pci_core_match(),
 * its one export of them: hand it such a name, "<device> vf_token=<uuid>".
 * Return: 0, -EACCES for a missing or wrong token, -EINVAL for a token the
 * device does not take.
 */
static int vioasid_check_token(struct vioasid_device *vdev,
			       const uuid_t *token)
{
	const char *dev_name = pci_name(vdev->core.pdev);
	char name[32 + UUID_STRING_LEN];
	int rc;

	if (token)
		snprintf(name, sizeof(name), "%s vf_token=%pUb", dev_name,
			 token);
	else
		snprintf(name, sizeof(name), "%s", dev_name);
	rc = vfio_pci_core_match(vioasid_vfio(vdev), name);
	if (rc < 0)
		return rc;
	/* 1 is a match; the name is the device's own, so 0 cannot be */
	return rc == 1 ? 0 : -EINVAL;
}

/*
 * VFIO_DEVICE_BIND_IOMMUFD with the layout and size rules of Linux 6.17:
 * at least the 16 bytes up to out_devid; token_uuid_ptr is read when the
 * caller's struct has it, and bytes beyond the kernel's struct must be 0.
 */
static long vioasid_bind(struct vioasid_file *df,
			 struct vfio_device_bind_iommufd __user *arg)
{
	const size_t minsz = offsetofend(struct vfio_device_bind_iommufd,
					 out_devid);
	struct vioasid_device *vdev = df->vdev;
	struct vfio_device_bind_iommufd bind;
	struct ioasid_device *idev;
	struct ioasid_ctx *ctx;
	uuid_t token;
	u32 user_size;
	struct fd f;
	long rc;
	u32 id;

	if (ioasid_should_fail(IOASID_FAULT_UACCESS) ||
	    get_user(user_size, &arg->argsz))
		return -EFAULT;
	if (user_size < minsz)
		return -EINVAL;
	rc = copy_struct_from_user(&bind, sizeof(bind), arg, user_size);
	if (rc)
		return rc;
	if (bind.flags & ~VFIO_DEVICE_BIND_FLAG_TOKEN || bind.iommufd < 0)
		return -EINVAL;
	if ((bind.flags & VFIO_DEVICE_BIND_FLAG_TOKEN) &&
	    (ioasid_should_fail(IOASID_FAULT_UACCESS) ||
	     copy_from_user(&token, u64_to_user_ptr(bind.token_uuid_ptr),
			    sizeof(token))))
		return -EFAULT;

	f = fdget(bind.iommufd);
	if (!f.file)
		return -EBADF;
	ctx = ioasid_ctx_from_file(f.file);
	fdput(f);
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);

	mutex_lock(&vdev->bind_lock);
	if (vdev->removing) {
		rc = -ENODEV;
		goto out_unlock;
	}
	/* One fd at a time uses a device, and binds only once */
	if (vdev->bound) {
		rc = -EINVAL;
		goto out_unlock;
	}
	/* The vfio group path and the cdev exclude each other */
	rc = vioasid_group_hold(vdev);
	if (rc)
		goto out_unlock;
	rc = vioasid_check_token(vdev, bind.flags & VFIO_DEVICE_BIND_FLAG_TOKEN ?
				 &token : NULL);
	if (rc)
		goto err_release_group;

	idev = ioasid_device_bind(ctx, &vdev->core.pdev->dev, &id);
	if (IS_ERR(idev)) {
		rc = PTR_ERR(idev);
		goto err_release_group;
	}

	rc = vioasid_enable(vdev);
	if (rc)
		goto err_unbind;

	if (ioasid_should_fail(IOASID_FAULT_UACCESS) ||
	    put_user(id, &arg->out_devid)) {
		rc = -EFAULT;
		goto err_disable;
	}
	vdev->bound = df;
	/* Unparks the fd: other ioctls on it may now see @idev */
	smp_store_release(&df->idev, idev);
	mutex_unlock(&vdev->bind_lock);
	ioasid_ctx_put(ctx);
	return 0;

err_disable:
	vioasid_disable(vdev);
err_unbind:
	ioasid_device_unbind(idev);
err_release_group:
	vioasid_group_release(vdev);
out_unlock:
	mutex_unlock(&vdev->bind_lock);
	ioasid_ctx_put(ctx);
	return rc;
}

static long vioasid_attach(struct ioasid_device *idev,
			   struct vfio_device_attach_iommufd_pt __user *arg)
{
	struct vfio_device_attach_iommufd_pt attach;
	int rc;

	if (ioasid_should_fail(IOASID_FAULT_UACCESS) ||
	    copy_from_user(&attach, arg, sizeof(attach)))
		return -EFAULT;
	if (attach.argsz < sizeof(attach) || attach.flags)
		return -EINVAL;

	rc = ioasid_device_attach(idev, &attach.pt_id);
	if (rc)
		return rc;
	/* A caller that cannot learn the HWPT does not get the attachment */
	if (ioasid_should_fail(IOASID_FAULT_UACCESS) ||
	    put_user(attach.pt_id, &arg->pt_id)) {
		ioasid_device_detach(idev);
		return -EFAULT;
	}
	return 0;
}

static long vioasid_detach(struct ioasid_device *idev,
			   struct vfio_device_detach_iommufd_pt __user *arg)
{
	struct vfio_device_detach_iommufd_pt detach;

	if (ioasid_should_fail(IOASID_FAULT_UACCESS) ||
	    copy_from_user(&detach, arg, sizeof(detach)))
		return -EFAULT;
	if (detach.argsz < sizeof(detach) || detach.flags)
		return -EINVAL;

	ioasid_device_detach(idev);
	return 0;
}

/*
 * VFIO_DEVICE_FEATURE is parsed by the vfio core on the group path; do the
 * same checks here.  Migration and DMA logging need a vfio-pci variant
 * driver this module does not have, so only vfio-pci-core's own features
 * (low power entry and exit, the VF token) are offered.
 */
static long vioasid_feature(struct vioasid_device *vdev,
			    struct vfio_device_feature __user *arg)
{
	size_t minsz = offsetofend(struct vfio_device_feature, flags);
	struct vfio_device_feature feature;

	if (copy_from_user(&feature, arg, minsz))
		return -EFAULT;
	if (feature.argsz < minsz)
		return -EINVAL;
	if (feature.flags & ~(VFIO_DEVICE_FEATURE_MASK |
			      VFIO_DEVICE_FEATURE_SET |
			      VFIO_DEVICE_FEATURE_GET |
			      VFIO_DEVICE_FEATURE_PROBE))
		return -EINVAL;
	if (!(feature.flags & VFIO_DEVICE_FEATURE_PROBE) &&
	    (feature.flags & VFIO_DEVICE_FEATURE_SET) &&
	    (feature.flags & VFIO_DEVICE_FEATURE_GET))
		return -EINVAL;

	return vfio_pci_core_ioctl_feature(vioasid_vfio(vdev), feature.flags,
					   arg->data, feature.argsz - minsz);
}

/* The fd's device once it is bound; NULL while parked */
static struct ioasid_device *vioasid_file_idev(struct vioasid_file *df)
{
	/* Pairs with the release in vioasid_bind(): a bound device is enabled */
	return smp_load_acquire(&df->idev);
}

static long vioasid_ioctl(struct file *filep, unsigned int cmd,
			  unsigned long arg)
{
	struct vioasid_file *df = filep->private_data;
	struct vioasid_device *vdev = df->vdev;
	struct device *dev = &vdev->core.pdev->dev;
	void __user *uarg = (void __user *)arg;
	struct ioasid_device *idev;
	long rc;

	if (cmd == VFIO_DEVICE_BIND_IOMMUFD)
		return vioasid_bind(df, uarg);

	idev = vioasid_file_idev(df);
	if (!idev)
		return -EINVAL;

	/* The device may sit in D3 after a low power entry */
	rc = pm_runtime_resume_and_get(dev);
	if (rc) {
		dev_info_ratelimited(dev, "runtime resume failed: %ld\n", rc);
		return -EIO;
	}

	switch (cmd) {
	case VFIO_DEVICE_ATTACH_IOMMUFD_PT:
		rc = vioasid_attach(idev, uarg);
		break;
	case VFIO_DEVICE_DETACH_IOMMUFD_PT:
		rc = vioasid_detach(idev, uarg);
		break;
	case VFIO_DEVICE_FEATURE:
		rc = vioasid_feature(vdev, uarg);
		break;
	default:
		rc = vfio_pci_core_ioctl(vioasid_vfio(vdev), cmd, arg);
		break;
	}

	pm_runtime_put(dev);
	return rc;
}

static ssize_t vioasid_read(struct file *filep, char __user *buf,
			    size_t count, loff_t *ppos)
{
	struct vioasid_file *df = filep->private_data;

	if (!vioasid_file_idev(df))
		return -EINVAL;
	return vfio_pci_core_read(vioasid_vfio(df->vdev), buf, count, ppos);
}

static ssize_t vioasid_write(struct file *filep, const char __user *buf,
			     size_t count, loff_t *ppos)
{
	struct vioasid_file *df = filep->private_data;

	if (!vioasid_file_idev(df))
		return -EINVAL;
	return vfio_pci_core_write(vioasid_vfio(df->vdev), buf, count, ppos);
}

static int vioasid_mmap(struct file *filep, struct vm_area_struct *vma)
{
	struct vioasid_file *df = filep->private_data;

	if (!vioasid_file_idev(df))
		return -EINVAL;
	return vfio_pci_core_mmap(vioasid_vfio(df->vdev), vma);
}

/* Closing the fd unbinds: DMA blocked, device disabled, ownership given up */
static int vioasid_release(struct inode *inode, struct file *filep)
{
	struct vioasid_file *df = filep->private_data;
	struct vioasid_device *vdev = df->vdev;
	struct vfio_device *vfio = vioasid_vfio(vdev);

	if (df->idev) {
		mutex_lock(&vdev->bind_lock);
		vioasid_disable(vdev);
		ioasid_device_unbind(df->idev);
		vioasid_group_release(vdev);
		vdev->bound = NULL;
		mutex_unlock(&vdev->bind_lock);
	}
	kfree(df);
	if (refcount_dec_and_test(&vfio->refcount))
		complete(&vfio->comp);
	return 0;
}

/*
 * /proc/<pid>/fdinfo/<fd>: the PCI device, and once bound the ioasid
 * context (its global ID, as ioasidctl shows it), the DEVICE object ID and
 * the HWPT the device is attached to (0: DMA blocked).  A bound fd stays
 * bound until it is released, which cannot run while fdinfo holds it.
 */
static void vioasid_show_fdinfo(struct seq_file *m, struct file *filep)
{
	struct vioasid_file *df = filep->private_data;
	struct ioasid_device *idev = vioasid_file_idev(df);

	seq_printf(m, "vfio-device:\t%s\n", pci_name(df->vdev->core.pdev));
	if (!idev) {
		seq_puts(m, "ioasid-bound:\tno\n");
		return;
	}
	seq_puts(m, "ioasid-bound:\tyes\n");
	seq_printf(m, "ioasid-ctx:\t%u\n",
		   ioasid_ctx_id(ioasid_device_ctx(idev)));
	seq_printf(m, "ioasid-dev-id:\t%u\n", ioasid_device_id(idev));
	seq_printf(m, "ioasid-hwpt-id:\t%u\n", ioasid_device_hwpt_id(idev));
}

const struct file_operations vioasid_fops = {
	.owner = THIS_MODULE,
	.open = vioasid_open,
	.release = vioasid_release,
	.read = vioasid_read,
	.write = vioasid_write,
	.unlocked_ioctl = vioasid_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.mmap = vioasid_mmap,
	.show_fdinfo = vioasid_show_fdinfo,
};
