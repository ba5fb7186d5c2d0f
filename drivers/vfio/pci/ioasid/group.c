// SPDX-License-Identifier: GPL-2.0-only
/*
 * The vfio group of a device in use through its cdev.
 *
 * A vfio group fd stands for owning every device of the group: with it as
 * proof, VFIO_DEVICE_PCI_HOT_RESET of any device of the bus or slot resets
 * them all.  So upstream Linux refuses to open /dev/vfio/<group> while a
 * device of the group is bound through its cdev, and refuses BIND while the
 * group is open, both with EBUSY.  Linux 6.1's vfio core has neither rule,
 * but it lets a group node be open only once at a time (EBUSY).  So the
 * first BIND of a device of a group opens the group's node here, in the
 * kernel, and the file stays open until the last device of the group bound
 * through this driver is unbound: meanwhile no one else can open the group,
 * and while someone has it open, BIND fails.
 *
 * The node is opened by its dev_t through an inode of a private pseudo
 * filesystem, mounted only while a group is held, so neither the caller's
 * mount namespace nor the node's permissions play a part.  Linux 6.1 offers
 * no way from a vfio_device to its group's node other than the group's
 * class device, /sys/devices/virtual/vfio/<iommu_group id>, found by name;
 * the file opened is then checked to be the vfio group of the device.
 */
#include <linux/device.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/ioasid_core.h>
#include <linux/iommu.h>
#include <linux/kernfs.h>
#include <linux/mount.h>
#include <linux/pseudo_fs.h>
#include <linux/slab.h>
#include <linux/vfio.h>

#include "vfio_ioasid.h"

#define VIOASID_FS_MAGIC 0x76696f61	/* "vioa" */

/* One iommu_group with devices bound through this driver */
struct vioasid_group {
	struct list_head item;
	struct iommu_group *iommu_group;	/* the key; a reference */
	struct file *file;			/* its vfio group node, open */
	unsigned int users;			/* devices bound */
};

/*
 * Protects vioasid_groups and the pin of vioasid_mnt.  Taken inside
 * vioasid_device.bind_lock; the vfio group's own lock nests inside it.
 */
static DEFINE_MUTEX(vioasid_groups_lock);
static LIST_HEAD(vioasid_groups);
static struct vfsmount *vioasid_mnt;
static int vioasid_mnt_count;

static int vioasid_fs_init_fs_context(struct fs_context *fc)
{
	return init_pseudo(fc, VIOASID_FS_MAGIC) ? 0 : -ENOMEM;
}

/* Its superblock holds a module reference while a group file is open */
static struct file_system_type vioasid_fs_type = {
	.owner = THIS_MODULE,
	.name = "vfio-ioasid",
	.init_fs_context = vioasid_fs_init_fs_context,
	.kill_sb = kill_anon_super,
};

/* The dev_t of the vfio group node of iommu_group @id, which @dev is in */
static int vioasid_group_devt(struct device *dev, int id, dev_t *devt)
{
	struct kernfs_node *virt, *class = NULL, *kn = NULL;
	struct kobject *top = &dev->kobj;
	char name[16];
	int rc = -ENODEV;

	/* /sys/devices, the top of every device's sysfs path */
	while (top->parent)
		top = top->parent;
	snprintf(name, sizeof(name), "%d", id);
	virt = sysfs_get_dirent(top->sd, "virtual");
	if (virt)
		class = sysfs_get_dirent(virt, "vfio");
	if (class)
		kn = sysfs_get_dirent(class, name);
	/* A directory of a class device: its priv is the kobject */
	if (kn && kernfs_type(kn) == KERNFS_DIR) {
		*devt = kobj_to_dev(kn->priv)->devt;
		if (MAJOR(*devt))
			rc = 0;
	}
	kernfs_put(kn);
	kernfs_put(class);
	kernfs_put(virt);
	return rc;
}

/* Open the character device @devt in the kernel */
static struct file *vioasid_open_chrdev(dev_t devt)
{
	struct inode *inode;
	struct file *file;
	struct path path;
	int rc;

	rc = simple_pin_fs(&vioasid_fs_type, &vioasid_mnt, &vioasid_mnt_count);
	if (rc)
		return ERR_PTR(rc);
	inode = alloc_anon_inode(vioasid_mnt->mnt_sb);
	if (IS_ERR(inode)) {
		file = ERR_CAST(inode);
		goto err_release_fs;
	}
	init_special_inode(inode, S_IFCHR | 0600, devt);
	path.mnt = vioasid_mnt;
	path.dentry = d_alloc_anon(vioasid_mnt->mnt_sb);
	if (!path.dentry) {
		iput(inode);
		file = ERR_PTR(-ENOMEM);
		goto err_release_fs;
	}
	d_instantiate(path.dentry, inode);
	/* The file takes its own references on the mount and the dentry */
	file = dentry_open(&path, O_RDWR, current_cred());
	dput(path.dentry);
	if (IS_ERR(file))
		goto err_release_fs;
	return file;

err_release_fs:
	simple_release_fs(&vioasid_mnt, &vioasid_mnt_count);
	return file;
}

/* Close a file of vioasid_open_chrdev(); with vioasid_groups_lock held */
static void vioasid_close_chrdev(struct file *file)
{
	fput(file);
	simple_release_fs(&vioasid_mnt, &vioasid_mnt_count);
}

/**
 * vioasid_group_hold() - keep the vfio group path off the group of @vdev
 * @vdev: a device about to be bound, with its bind_lock held
 *
 * Return: 0; -EBUSY if user space has the group's node open; -ENODEV if the
 * device has no iommu_group or its vfio group cannot be found; -ENOMEM.
 */
int vioasid_group_hold(struct vioasid_device *vdev)
{
	struct device *dev = &vdev->core.pdev->dev;
	struct iommu_group *iommu_group;
	struct vioasid_group *group;
	struct file *file;
	dev_t devt;
	int rc = 0;

	lockdep_assert_held(&vdev->bind_lock);
	iommu_group = iommu_group_get(dev);
	if (!iommu_group)
		return -ENODEV;

	mutex_lock(&vioasid_groups_lock);
	list_for_each_entry(group, &vioasid_groups, item) {
		if (group->iommu_group == iommu_group) {
			group->users++;
			goto out_hold;
		}
	}

	group = ioasid_should_fail(IOASID_FAULT_ALLOC) ? NULL :
		kzalloc(sizeof(*group), GFP_KERNEL);
	if (!group) {
		rc = -ENOMEM;
		goto out_unlock;
	}
	rc = vioasid_group_devt(dev, iommu_group_id(iommu_group), &devt);
	if (rc) {
		dev_warn(dev, "no vfio group node found for iommu_group %d\n",
			 iommu_group_id(iommu_group));
		goto err_free_group;
	}
	file = vioasid_open_chrdev(devt);
	if (IS_ERR(file)) {
		rc = PTR_ERR(file);
		if (rc == -EBUSY)
			dev_info_ratelimited(dev, "/dev/vfio/%d is open: close it to use the device through /dev/vfio/devices/%s\n",
					     iommu_group_id(iommu_group),
					     dev_name(&vdev->core.vdev.device));
		goto err_free_group;
	}
	if (!vfio_file_has_dev(file, &vdev->core.vdev)) {
		dev_warn(dev, "the vfio group node of iommu_group %d is not what it should be\n",
			 iommu_group_id(iommu_group));
		rc = -ENODEV;
		goto err_close_file;
	}
	group->file = file;
	group->iommu_group = iommu_group;
	group->users = 1;
	list_add(&group->item, &vioasid_groups);
	/* The group keeps the reference */
	iommu_group = NULL;
out_hold:
	vdev->group = group;
	goto out_unlock;

err_close_file:
	vioasid_close_chrdev(file);
err_free_group:
	kfree(group);
out_unlock:
	mutex_unlock(&vioasid_groups_lock);
	if (iommu_group)
		iommu_group_put(iommu_group);
	return rc;
}

/**
 * vioasid_group_release() - undo vioasid_group_hold()
 * @vdev: the device, unbound, with its bind_lock held
 *
 * The group's node may be opened again once its file is released, which
 * happens before the caller returns to user space.
 */
void vioasid_group_release(struct vioasid_device *vdev)
{
	struct vioasid_group *group = vdev->group;

	lockdep_assert_held(&vdev->bind_lock);
	vdev->group = NULL;
	mutex_lock(&vioasid_groups_lock);
	if (--group->users) {
		mutex_unlock(&vioasid_groups_lock);
		return;
	}
	list_del(&group->item);
	vioasid_close_chrdev(group->file);
	mutex_unlock(&vioasid_groups_lock);
	iommu_group_put(group->iommu_group);
	kfree(group);
}
