// SPDX-License-Identifier: GPL-2.0-only
/*
 * The companion driver next to the rest of vfio on Linux 6.1: what one
 * device's user can do to another device of its bus or group.
 *
 *  - Closing a device must not reset the bus under a sibling that is still
 *    open: vfio-pci-core resets a bus on close only when no other device of
 *    the dev_set is open, and counts open devices by vfio_device.open_count,
 *    which this driver keeps for it.
 *
 * The edu and the NVMe controller behind the second bridge share a bus (one
 * dev_set) and an iommu_group.  edu has no function reset, so closing it
 * leaves it dirty and asks vfio-pci-core for a bus reset; the NVMe
 * controller forgets its registers in a reset, which shows whether one
 * happened.
 */
#include "vfio_utils.h"

#define NVME_REG_CC	0x14
/* IOCQES 4, IOSQES 6, the controller disabled: nothing starts */
#define NVME_CC_IDLE	0x00460000

/* The edu and the NVMe controller of the second bridge's bus */
static int find_bus_pair(struct vdev_info *edu, struct vdev_info *nvme)
{
	int i;

	if (find_dev(DEV_NVME_BRIDGE, 0, nvme))
		return ENODEV;
	for (i = 0; !find_dev(DEV_EDU_BRIDGE, i, edu); i++)
		if (pci_same_bus(edu->bdf, nvme->bdf))
			return 0;
	return ENODEV;
}

/* Open @cdev and bind it to @fd; the fd, or -errno */
static int open_bound(const char *cdev, int fd)
{
	int dfd = open(cdev, O_RDWR | O_CLOEXEC);
	int rc;

	if (dfd < 0)
		return -errno;
	rc = dev_bind(dfd, fd, NULL);
	if (rc) {
		close(dfd);
		return -rc;
	}
	return dfd;
}

/* ======================================================= sibling reset */

FIXTURE(bus_pair) {
	struct ioasid_env env;
	struct vdev_info edu, nvme;
	int fd, de, dn;
};

FIXTURE_SETUP(bus_pair)
{
	__u32 val = 0;

	self->fd = self->de = self->dn = -1;
	env_begin(&self->env);
	ASSERT_EQ(0, find_bus_pair(&self->edu, &self->nvme));
	ASSERT_EQ(self->edu.group, self->nvme.group);
	self->fd = ioasid_open();
	ASSERT_LE(0, self->fd);
	self->dn = open_bound(self->nvme.cdev, self->fd);
	ASSERT_LE(0, self->dn);
	ASSERT_EQ(0, set_bus_master(self->dn));
	ASSERT_EQ(0, bar_w32(self->dn, NVME_REG_CC, NVME_CC_IDLE));
	ASSERT_EQ(0, bar_r32(self->dn, NVME_REG_CC, &val));
	ASSERT_EQ(NVME_CC_IDLE, val);
}

FIXTURE_TEARDOWN(bus_pair)
{
	if (self->de >= 0)
		close(self->de);
	if (self->dn >= 0)
		close(self->dn);
	if (self->fd >= 0)
		close(self->fd);
	env_end(&self->env);
}

/*
 * The edu is used and closed while the NVMe controller stays open: the
 * controller keeps its registers, so its bus was not reset under it.
 */
TEST_F(bus_pair, close_keeps_open_sibling)
{
	__u32 val = 0;
	__u16 cmd = 0;
	int i;

	for (i = 0; i != 3; i++) {
		ASSERT_EQ(0, bar_w32(self->dn, NVME_REG_CC, NVME_CC_IDLE));
		self->de = open_bound(self->edu.cdev, self->fd);
		ASSERT_LE(0, self->de);
		ASSERT_EQ(0, set_bus_master(self->de));
		close(self->de);
		self->de = -1;

		ASSERT_EQ(0, bar_r32(self->dn, NVME_REG_CC, &val));
		EXPECT_EQ(NVME_CC_IDLE, val) {
			TH_LOG("round %d: the NVMe controller was reset when the edu next to it closed",
			       i);
		}
	}
	/* And vfio-pci-core's view of the still open device is intact */
	ASSERT_EQ(0, cfg_read(self->dn, PCI_COMMAND, &cmd, sizeof(cmd)));
	EXPECT_EQ(PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER,
		  cmd & (PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER));
}

/*
 * The edu is only opened (parked, never bound) and closed: a parked fd is
 * no user of the device and closing it changes nothing either.
 */
TEST_F(bus_pair, parked_close_keeps_open_sibling)
{
	__u32 val = 0;

	self->de = open(self->edu.cdev, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->de);
	close(self->de);
	self->de = -1;
	ASSERT_EQ(0, bar_r32(self->dn, NVME_REG_CC, &val));
	EXPECT_EQ(NVME_CC_IDLE, val);
}

/*
 * Once the NVMe controller closes too, nothing of the bus is open and
 * vfio-pci-core may reset it (the edu asked for it): a new user finds the
 * controller's registers cleared, by its function reset or the bus's.
 */
TEST_F(bus_pair, last_close_resets)
{
	__u32 val = ~0U;

	self->de = open_bound(self->edu.cdev, self->fd);
	ASSERT_LE(0, self->de);
	close(self->de);
	self->de = -1;
	close(self->dn);
	self->dn = open_bound(self->nvme.cdev, self->fd);
	ASSERT_LE(0, self->dn);
	ASSERT_EQ(0, set_bus_master(self->dn));
	ASSERT_EQ(0, bar_r32(self->dn, NVME_REG_CC, &val));
	EXPECT_EQ(0, val);
}

TEST_HARNESS_MAIN
