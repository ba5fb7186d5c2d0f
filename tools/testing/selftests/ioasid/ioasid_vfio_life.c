// SPDX-License-Identifier: GPL-2.0-only
/*
 * The companion driver next to the rest of vfio on Linux 6.1: what one
 * device's user can do to another device of its bus or group.
 *
 *  - Closing a device must not reset the bus under a sibling that is still
 *    open: vfio-pci-core resets a bus on close only when no other device of
 *    the dev_set is open, and counts open devices by vfio_device.open_count,
 *    which this driver keeps for it.
 *  - The vfio group path and the cdev exclude each other, as upstream: a
 *    group fd is proof of owning the group's devices (a bus reset takes
 *    it), so it cannot be opened while one of them is bound through its
 *    cdev, and BIND fails while it is open.
 *  - A device fd's close, and the PCI remove behind it, wait for the ioctls
 *    that still use the device's DEVICE object only so long: an ioctl
 *    stalled on user memory (userfaultfd here, FUSE in real life) cannot
 *    hold them forever.
 *
 * The edu and the NVMe controller behind the second bridge share a bus (one
 * dev_set) and an iommu_group.  edu has no function reset, so closing it
 * leaves it dirty and asks vfio-pci-core for a bus reset; the NVMe
 * controller forgets its registers in a reset, which shows whether one
 * happened.
 */
#include <poll.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <linux/userfaultfd.h>

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
	self->dn = dev_open_bound(self->nvme.cdev, self->fd, NULL);
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
		self->de = dev_open_bound(self->edu.cdev, self->fd, NULL);
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

	self->de = dev_open_bound(self->edu.cdev, self->fd, NULL);
	ASSERT_LE(0, self->de);
	close(self->de);
	self->de = -1;
	close(self->dn);
	self->dn = dev_open_bound(self->nvme.cdev, self->fd, NULL);
	ASSERT_LE(0, self->dn);
	ASSERT_EQ(0, set_bus_master(self->dn));
	ASSERT_EQ(0, bar_r32(self->dn, NVME_REG_CC, &val));
	EXPECT_EQ(0, val);
}

/* ======================================================= group path */

static int hot_reset_with(int dfd, int group_fd)
{
	struct {
		struct vfio_pci_hot_reset hdr;
		__s32 fds[1];
	} hr = { .hdr = { .argsz = sizeof(hr), .count = 1 },
		 .fds = { group_fd } };

	return xioctl(dfd, VFIO_DEVICE_PCI_HOT_RESET, &hr);
}

/*
 * The two edus behind the first bridge: one bus, one iommu_group.  A stays
 * with the companion, B goes to the kernel's vfio-pci, whose only way in is
 * the group path.
 */
FIXTURE(group_path) {
	struct ioasid_env env;
	struct vdev_info ia, ib;
	int fd, da, gfd, cfd, vb;
	bool moved;
};

FIXTURE_SETUP(group_path)
{
	self->fd = self->da = self->gfd = self->cfd = self->vb = -1;
	env_begin(&self->env);
	ASSERT_EQ(0, companion_restore_all());
	ASSERT_EQ(0, find_dev(DEV_EDU_BRIDGE, 0, &self->ia));
	ASSERT_EQ(0, find_dev(DEV_EDU_BRIDGE, 1, &self->ib));
	ASSERT_TRUE(pci_same_bus(self->ia.bdf, self->ib.bdf));
	ASSERT_EQ(self->ia.group, self->ib.group);
	self->fd = ioasid_open();
	ASSERT_LE(0, self->fd);
	self->moved = true;
	ASSERT_EQ(0, pci_rebind(self->ib.bdf, "vfio-pci"));
}

FIXTURE_TEARDOWN(group_path)
{
	if (self->vb >= 0)
		close(self->vb);
	if (self->gfd >= 0)
		close(self->gfd);
	if (self->cfd >= 0)
		close(self->cfd);
	if (self->da >= 0)
		close(self->da);
	if (self->fd >= 0)
		close(self->fd);
	if (self->moved) {
		EXPECT_EQ(0, pci_rebind(self->ib.bdf, COMPANION_NAME));
		EXPECT_EQ(0, companion_restore(self->ib.bdf));
	}
	env_end(&self->env);
}

/* B's user through the group path: group, container, type1, device fd */
static int group_path_open(FIXTURE_DATA(group_path) *self)
{
	int rc;

	rc = group_type1_open(self->ib.group, &self->gfd, &self->cfd);
	if (rc)
		return rc;
	self->vb = ioctl(self->gfd, VFIO_GROUP_GET_DEVICE_FD, self->ib.bdf);
	return self->vb < 0 ? errno : 0;
}

static void group_path_close(FIXTURE_DATA(group_path) *self)
{
	close(self->vb);
	close(self->cfd);
	close(self->gfd);
	self->vb = self->cfd = self->gfd = -1;
}

/*
 * While A is bound through its cdev, B's user cannot open the group: no
 * device fd for B, and no group fd to prove a bus reset of A's bus with.
 */
TEST_F(group_path, sibling_locked_out_while_bound)
{
	int err;

	self->da = dev_open_bound(self->ia.cdev, self->fd, NULL);
	ASSERT_LE(0, self->da);
	err = group_path_open(self);
	EXPECT_EQ(EBUSY, err);
	if (self->vb >= 0 && self->gfd >= 0) {
		EXPECT_NE(0, hot_reset_with(self->vb, self->gfd)) {
			TH_LOG("vfio-pci's user reset the bus under a cdev user");
		}
	}
	if (self->gfd >= 0)
		group_path_close(self);

	/* Unbound, the group path works, and a bus reset through B too */
	close(self->da);
	self->da = -1;
	ASSERT_EQ(0, group_path_open(self));
	EXPECT_EQ(0, hot_reset_with(self->vb, self->gfd));
	group_path_close(self);
}

/* While B's user has the group open, A cannot be bound; then it can */
TEST_F(group_path, bind_refused_while_group_open)
{
	ASSERT_EQ(0, group_path_open(self));
	self->da = open(self->ia.cdev, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->da);
	EXPECT_EQ(EBUSY, dev_bind(self->da, self->fd, NULL));
	/* The group fd alone, without device fd and container, is enough */
	close(self->vb);
	self->vb = -1;
	ASSERT_EQ(0, xioctl(self->gfd, VFIO_GROUP_UNSET_CONTAINER, NULL));
	EXPECT_EQ(EBUSY, dev_bind(self->da, self->fd, NULL));
	close(self->gfd);
	self->gfd = -1;
	EXPECT_EQ(0, dev_bind(self->da, self->fd, NULL));
}

/* =================================================== stalled ioctl */

/*
 * How long ioasid_object_remove() waits for an ioctl (drivers/ioasid/main.c),
 * and how long the test gives a close that should be bounded by it.
 */
#define REMOVE_TIMEOUT_S	10
#define CLOSE_LIMIT_S		(3 * REMOVE_TIMEOUT_S)

/* IOMMU_GET_HW_INFO whose output lands on the stalling page */
struct hw_info_call {
	pthread_t thread;
	int fd, rc;
	__u32 dev_id;
	void *data;
};

static void *hw_info_thread(void *arg)
{
	struct hw_info_call *c = arg;
	struct iommu_hw_info info = {
		.size = sizeof(info),
		.dev_id = c->dev_id,
		.data_len = 64,
		.data_uptr = (uintptr_t)c->data,
	};

	c->rc = xioctl(c->fd, IOMMU_GET_HW_INFO, &info);
	return NULL;
}

/* close() in a thread of its own, timed */
struct close_call {
	pthread_t thread;
	int fd;
	volatile bool done;
	struct timespec end;
};

static void *close_thread(void *arg)
{
	struct close_call *c = arg;

	close(c->fd);
	clock_gettime(CLOCK_MONOTONIC, &c->end);
	c->done = true;
	return NULL;
}

static bool close_call_wait(struct close_call *c, int ms)
{
	for (; ms > 0 && !c->done; ms -= 10)
		usleep(10 * 1000);
	return c->done;
}

FIXTURE(stalled) {
	struct ioasid_env env;
	struct vdev_info info;
	struct stall sp;
	struct hw_info_call hw;
	struct close_call cl;
	struct sysfs_writer writer;
	bool hw_started, cl_started;
	int fd, fd2, dfd, kmsg;
	__u32 devid;
};

FIXTURE_SETUP(stalled)
{
	self->fd = self->fd2 = self->dfd = self->kmsg = -1;
	self->sp.uffd = -1;
	env_begin(&self->env);
	ASSERT_EQ(0, companion_restore_all());
	ASSERT_EQ(0, find_dev(DEV_EDU, 1, &self->info));
	ASSERT_EQ(0, stall_init(&self->sp));
	self->kmsg = kmsg_open();
	ASSERT_LE(0, self->kmsg);
	self->fd = ioasid_open();
	ASSERT_LE(0, self->fd);
	self->dfd = dev_open_bound(self->info.cdev, self->fd, &self->devid);
	ASSERT_LE(0, self->dfd);
}

FIXTURE_TEARDOWN(stalled)
{
	/* Whatever happened, let the stalled ioctl and the close finish */
	if (self->sp.uffd >= 0)
		stall_resolve(&self->sp);
	if (self->hw_started)
		pthread_join(self->hw.thread, NULL);
	if (self->cl_started)
		pthread_join(self->cl.thread, NULL);
	if (self->dfd >= 0)
		close(self->dfd);
	if (self->fd2 >= 0)
		close(self->fd2);
	if (self->fd >= 0)
		close(self->fd);
	EXPECT_TRUE(sysfs_writer_wait(&self->writer, 15000));
	EXPECT_EQ(0, companion_restore(self->info.bdf));
	EXPECT_EQ(COMPANION_NR_DEVICES, companion_count());
	stall_fini(&self->sp);
	if (self->kmsg >= 0)
		close(self->kmsg);
	env_end(&self->env);
}

/*
 * An ioctl holds the DEVICE object while user memory stalls it.  Closing
 * the device fd unbinds the device and removes the object: that waits for
 * the ioctl, but only for a bounded time, and the driver unbind (PCI
 * remove) queued behind the close finishes too.  The object then stays in
 * its context without an owner, keeping the device's iommu_group, until
 * IOMMU_DESTROY.
 */
TEST_F_TIMEOUT(stalled, close_while_ioctl_stalls, 180)
{
	struct vdev_info info;
	struct timespec start;
	char path[128];
	long secs;
	__u32 devid2;
	int dfd2;

	self->hw.fd = self->fd;
	self->hw.dev_id = self->devid;
	self->hw.data = self->sp.page;
	ASSERT_EQ(0, pthread_create(&self->hw.thread, NULL, hw_info_thread,
				    &self->hw));
	self->hw_started = true;
	ASSERT_TRUE(stall_faulted(&self->sp, 5000 * time_scale()));

	/* Close the device fd, and unbind the driver behind it */
	clock_gettime(CLOCK_MONOTONIC, &start);
	self->cl.fd = self->dfd;
	self->dfd = -1;
	ASSERT_EQ(0, pthread_create(&self->cl.thread, NULL, close_thread,
				    &self->cl));
	self->cl_started = true;
	usleep(200 * 1000);
	snprintf(path, sizeof(path), "%s/unbind", COMPANION);
	ASSERT_EQ(0, sysfs_writer_start(&self->writer, path, self->info.bdf));

	EXPECT_TRUE(close_call_wait(&self->cl, CLOSE_LIMIT_S * 1000 *
				    time_scale())) {
		TH_LOG("close() of the device fd still waits for the stalled ioctl after %d s",
		       CLOSE_LIMIT_S * time_scale());
	}
	if (!self->cl.done)
		return;
	secs = self->cl.end.tv_sec - start.tv_sec;
	TH_LOG("close() returned after %ld s", secs);
	EXPECT_LE(REMOVE_TIMEOUT_S - 1, secs);
	EXPECT_TRUE(kmsg_wait(self->kmsg, "is still in use by an ioctl", 2000));
	/* The PCI remove behind it is not held up either */
	EXPECT_TRUE(sysfs_writer_wait(&self->writer, 10000 * time_scale()));
	EXPECT_EQ(0, self->writer.rc);
	EXPECT_FALSE(companion_bound(self->info.bdf));

	/* The ioctl still holds the object: IOMMU_DESTROY is refused */
	EXPECT_EQ(EBUSY, destroy_obj(self->fd, self->devid));
	ASSERT_EQ(0, stall_resolve(&self->sp));
	pthread_join(self->hw.thread, NULL);
	self->hw_started = false;
	EXPECT_EQ(0, self->hw.rc);

	/* The device is back with the companion, its group still owned */
	ASSERT_EQ(0, companion_restore(self->info.bdf));
	ASSERT_EQ(0, vdev_info_by_bdf(self->info.bdf, &info));
	self->fd2 = ioasid_open();
	ASSERT_LE(0, self->fd2);
	dfd2 = open(info.cdev, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, dfd2);
	EXPECT_EQ(EBUSY, dev_bind(dfd2, self->fd2, &devid2));
	/* Ownerless now: IOMMU_DESTROY frees it and the group */
	EXPECT_EQ(0, destroy_obj(self->fd, self->devid));
	EXPECT_EQ(ENOENT, destroy_obj(self->fd, self->devid));
	EXPECT_EQ(0, dev_bind(dfd2, self->fd2, &devid2));
	close(dfd2);
}

/*
 * Without IOMMU_DESTROY the context's close frees the object left behind,
 * whichever of the two fds goes first.
 */
TEST_F_TIMEOUT(stalled, context_close_frees_leftover, 180)
{
	self->hw.fd = self->fd;
	self->hw.dev_id = self->devid;
	self->hw.data = self->sp.page;
	ASSERT_EQ(0, pthread_create(&self->hw.thread, NULL, hw_info_thread,
				    &self->hw));
	self->hw_started = true;
	ASSERT_TRUE(stall_faulted(&self->sp, 5000 * time_scale()));

	self->cl.fd = self->dfd;
	self->dfd = -1;
	ASSERT_EQ(0, pthread_create(&self->cl.thread, NULL, close_thread,
				    &self->cl));
	self->cl_started = true;
	EXPECT_TRUE(close_call_wait(&self->cl, CLOSE_LIMIT_S * 1000 *
				    time_scale()));
	if (!self->cl.done)
		return;
	ASSERT_EQ(0, stall_resolve(&self->sp));
	pthread_join(self->hw.thread, NULL);
	self->hw_started = false;
	EXPECT_EQ(0, self->hw.rc);
	/* env_end() in the teardown checks the close of fd freed it all */
}

TEST_HARNESS_MAIN
