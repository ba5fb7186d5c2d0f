// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-ioasid-pci: a VFIO PCI driver whose devices get their DMA from
 * /dev/ioasid.
 *
 * Built on Linux 6.1's vfio-pci-core, which does config space
 * virtualisation, BAR access, interrupts and reset.  Each bound device gets
 * a character device /dev/vfio/devices/vfioN, the upstream VFIO device cdev:
 * open, VFIO_DEVICE_BIND_IOMMUFD to an ioasid fd, then
 * VFIO_DEVICE_ATTACH_IOMMUFD_PT.  Bind with driver_override only:
 *
 *   echo vfio-ioasid-pci > /sys/bus/pci/devices/$BDF/driver_override
 *   echo $BDF > /sys/bus/pci/drivers_probe
 *
 * vfio-pci-core also registers the device with the vfio group path
 * (/dev/vfio/$GROUP); this driver refuses to open devices that way, so DMA
 * only ever goes through /dev/ioasid.
 */
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/pci.h>

#include "vfio_ioasid.h"

#define DRIVER_NAME "vfio-ioasid-pci"

static dev_t vioasid_devt;

static char *vioasid_devnode(struct device *dev, umode_t *mode, kuid_t *uid,
			     kgid_t *gid)
{
	return kasprintf(GFP_KERNEL, "vfio/devices/%s", dev_name(dev));
}

static const struct device_type vioasid_device_type = {
	.name = "vfio-ioasid-dev",
	.devnode = vioasid_devnode,
};

static int vioasid_group_open(struct vfio_device *vfio)
{
	dev_info(vfio->dev, "the vfio group path is not supported: open /dev/vfio/devices/%s and bind it to /dev/ioasid\n",
		 dev_name(&vfio->device));
	return -EPERM;
}

static int vioasid_init_dev(struct vfio_device *vfio)
{
	struct vioasid_device *vdev =
		container_of(vfio, struct vioasid_device, core.vdev);

	mutex_init(&vdev->bind_lock);
	return vfio_pci_core_init_dev(vfio);
}

/*
 * The last reference: an open through a stale inode may have looked at
 * bind_lock until now, so it is destroyed here and not in remove.
 */
static void vioasid_release_dev(struct vfio_device *vfio)
{
	struct vioasid_device *vdev =
		container_of(vfio, struct vioasid_device, core.vdev);

	mutex_destroy(&vdev->bind_lock);
	vfio_pci_core_release_dev(vfio);
}

static const struct vfio_device_ops vioasid_vfio_ops = {
	.name = DRIVER_NAME,
	.init = vioasid_init_dev,
	.release = vioasid_release_dev,
	.open_device = vioasid_group_open,
	.request = vfio_pci_core_request,
};

static int vioasid_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct vioasid_device *vdev;
	struct vfio_device *vfio;
	int rc;

	vdev = vfio_alloc_device(vioasid_device, core.vdev, &pdev->dev,
				 &vioasid_vfio_ops);
	if (IS_ERR(vdev))
		return PTR_ERR(vdev);
	vfio = &vdev->core.vdev;
	dev_set_drvdata(&pdev->dev, &vdev->core);

	/* Registration adds vfio->device: give it our node first */
	vfio->device.devt = MKDEV(MAJOR(vioasid_devt), vfio->index);
	vfio->device.type = &vioasid_device_type;
	cdev_init(&vdev->cdev, &vioasid_fops);
	vdev->cdev.owner = THIS_MODULE;
	cdev_set_parent(&vdev->cdev, &vfio->device.kobj);
	rc = cdev_add(&vdev->cdev, vfio->device.devt, 1);
	if (rc)
		goto err_put_vdev;

	rc = vfio_pci_core_register_device(&vdev->core);
	if (rc)
		goto err_cdev_del;
	return 0;

err_cdev_del:
	cdev_del(&vdev->cdev);
err_put_vdev:
	vfio_put_device(vfio);
	return rc;
}

static void vioasid_remove(struct pci_dev *pdev)
{
	struct vfio_pci_core_device *core = dev_get_drvdata(&pdev->dev);
	struct vioasid_device *vdev =
		container_of(core, struct vioasid_device, core);

	/* No new opens; then wait for the open files, asking users to close */
	mutex_lock(&vdev->bind_lock);
	vdev->removing = true;
	mutex_unlock(&vdev->bind_lock);
	cdev_del(&vdev->cdev);
	vfio_pci_core_unregister_device(core);
	vfio_put_device(&core->vdev);
}

/* Not const: vfio_pci_core_register_device() sets driver.pm */
static struct pci_driver vioasid_pci_driver = {
	.name = DRIVER_NAME,
	.id_table = NULL,	/* driver_override only */
	.probe = vioasid_probe,
	.remove = vioasid_remove,
	.err_handler = &vfio_pci_core_err_handlers,
	/* DMA ownership is claimed by /dev/ioasid at BIND, not at probe */
	.driver_managed_dma = true,
};

static int __init vioasid_init(void)
{
	int rc;

	rc = alloc_chrdev_region(&vioasid_devt, 0, MINORMASK + 1,
				 "vfio-ioasid-dev");
	if (rc)
		return rc;
	rc = pci_register_driver(&vioasid_pci_driver);
	if (rc)
		goto err_unregister_chrdev;
	return 0;

err_unregister_chrdev:
	unregister_chrdev_region(vioasid_devt, MINORMASK + 1);
	return rc;
}

static void __exit vioasid_exit(void)
{
	pci_unregister_driver(&vioasid_pci_driver);
	unregister_chrdev_region(vioasid_devt, MINORMASK + 1);
}

module_init(vioasid_init);
module_exit(vioasid_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("VFIO PCI devices with DMA through /dev/ioasid");
MODULE_IMPORT_NS(IOASID);
