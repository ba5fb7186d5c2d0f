// SPDX-License-Identifier: GPL-2.0-only
/*
 * The VFIO device uAPI of a bound vfio-ioasid-pci device fd, served by
 * vfio-pci-core: device, region and IRQ info, config space, BAR access,
 * INTx, MSI, MSI-X and request interrupts through eventfds, reset, device
 * features and hot reset.  Then the lifetimes of a bound device: fds closed
 * in either order, busy objects, and the driver unbound or the PCI device
 * removed while a process holds the device.
 *
 * Tests that unbind or remove a device use the second root-bus edu
 * (DEV_EDU index 1) and bind it back in their teardown, so the suites that
 * run afterwards find all seven devices bound.
 */
#include <stddef.h>

#include "vfio_utils.h"

#define offsetofend(type, member) \
	(offsetof(type, member) + sizeof(((type *)0)->member))
#define PCI_SLOT(devfn) (((devfn) >> 3) & 0x1f)
#define PCI_FUNC(devfn) ((devfn) & 0x07)

/* Below edu's 28-bit DMA mask */
#define IOVA_A 0x100000ULL
#define BUF_LEN (4 * PSZ)
#define XFER 2048

#define EDU_FACT		0x08
#define EDU_STATUS		0x20
#define EDU_STATUS_COMPUTING	0x01
#define EDU_STATUS_IRQFACT	0x80
#define EDU_FACT_IRQ		0x01

#define NVME_REG_CC		0x14

#define CFG_OFFSET ((__u64)VFIO_PCI_CONFIG_REGION_INDEX << 40)
#define REGION_OFFSET(i) ((__u64)(i) << 40)

#define IRQ_FLAGS_INTX (VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_MASKABLE | \
			VFIO_IRQ_INFO_AUTOMASKED)
#define IRQ_FLAGS_OTHER (VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE)

/* How long an interrupt may take to reach its eventfd, and the quiet time */
#define IRQ_WAIT_MS 2000
#define QUIET_MS 200

/*
 * RAM -> edu -> RAM through the IOAS: @buf is mapped at IOVA_A and at
 * least 3 pages long.  0, an errno, or -1 if the data differ.
 */
static int edu_roundtrip(struct edu *e, char *buf, unsigned int seed)
{
	int rc;

	fill_pattern(buf, XFER, seed);
	memset(buf + 2 * PSZ, 0, XFER);
	rc = edu_copy(e, IOVA_A, IOVA_A + 2 * PSZ, XFER);
	if (!rc && memcmp(buf, buf + 2 * PSZ, XFER))
		rc = -1;
	return rc;
}

/* n! as edu computes it, in 32 bits; ETIMEDOUT if it never finishes */
static int edu_factorial(struct edu *e, __u32 n, __u32 *out)
{
	int ms;

	edu_w32(e, EDU_FACT, n);
	for (ms = 0; edu_r32(e, EDU_STATUS) & EDU_STATUS_COMPUTING; ms++) {
		if (ms == 2000)
			return ETIMEDOUT;
		usleep(1000);
	}
	*out = edu_r32(e, EDU_FACT);
	return 0;
}

/* Offset of capability @id in config space, 0 if the device has none */
static __u8 find_cap(int dfd, __u8 id)
{
	__u8 pos = 0, hdr[2];
	__u16 status;
	int n;

	if (cfg_read(dfd, PCI_STATUS, &status, sizeof(status)) ||
	    !(status & PCI_STATUS_CAP_LIST))
		return 0;
	if (cfg_read(dfd, PCI_CAPABILITY_LIST, &pos, 1))
		return 0;
	for (n = 0; pos && n != 48; n++) {
		if (cfg_read(dfd, pos, hdr, sizeof(hdr)))
			return 0;
		if (hdr[0] == id)
			return pos;
		pos = hdr[1] & ~3;
	}
	return 0;
}

/* The vector counts config space advertises for MSI and MSI-X */
static __u32 msi_vectors(int dfd)
{
	__u8 pos = find_cap(dfd, PCI_CAP_ID_MSI);
	__u16 flags;

	if (!pos || cfg_read(dfd, pos + PCI_MSI_FLAGS, &flags, sizeof(flags)))
		return 0;
	return 1U << ((flags & PCI_MSI_FLAGS_QMASK) >> 1);
}

static __u32 msix_vectors(int dfd, int *bir)
{
	__u8 pos = find_cap(dfd, PCI_CAP_ID_MSIX);
	__u32 table;
	__u16 flags;

	*bir = -1;
	if (!pos || cfg_read(dfd, pos + PCI_MSIX_FLAGS, &flags, sizeof(flags)) ||
	    cfg_read(dfd, pos + PCI_MSIX_TABLE, &table, sizeof(table)))
		return 0;
	*bir = table & PCI_MSIX_TABLE_BIR;
	return (flags & PCI_MSIX_FLAGS_QSIZE) + 1;
}

static int power_state(const char *bdf, char *state, size_t len)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/power_state",
		 bdf);
	return sysfs_read(path, state, len);
}

/* Wait up to @ms for the device's power state to become @want */
static bool power_state_wait(const char *bdf, const char *want, int ms)
{
	char state[32] = "";

	for (ms *= time_scale(); ms > 0; ms -= 10) {
		if (!power_state(bdf, state, sizeof(state)) &&
		    !strcmp(state, want))
			return true;
		usleep(10 * 1000);
	}
	return false;
}

/* ============================================================ edu */

/* An edu on the root bus, bound, attached, BAR0 mapped, bus master */
FIXTURE(root_edu) {
	struct ioasid_env env;
	struct vdev_info info;
	struct edu edu;
	int fd, dfd;
	__u32 ioas, devid, hwpt;
	char *buf;
};

FIXTURE_SETUP(root_edu)
{
	self->fd = -1;
	self->dfd = -1;
	env_begin(&self->env);
	ASSERT_EQ(0, find_dev(DEV_EDU, 1, &self->info));
	self->buf = alloc_buffer(BUF_LEN, PSZ, 0);
	ASSERT_NE(NULL, self->buf);
	self->fd = ioasid_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, ioas_alloc(self->fd, &self->ioas));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, self->buf, BUF_LEN,
			      IOVA_A));
	self->dfd = dev_open_bound(self->info.cdev, self->fd, &self->devid);
	ASSERT_LE(0, self->dfd);
	self->hwpt = self->ioas;
	ASSERT_EQ(0, dev_attach(self->dfd, &self->hwpt));
	ASSERT_EQ(0, edu_setup(&self->edu, self->dfd));
}

FIXTURE_TEARDOWN(root_edu)
{
	/* Leave no interrupt line asserted behind a freed handler */
	if (self->edu.bar) {
		edu_w32(&self->edu, EDU_STATUS, 0);
		edu_w32(&self->edu, EDU_IRQ_ACK, ~0U);
	}
	edu_teardown(&self->edu);
	if (self->dfd >= 0)
		close(self->dfd);
	if (self->fd >= 0)
		close(self->fd);
	env_end(&self->env);
	if (self->buf)
		munmap(self->buf, BUF_LEN);
}

TEST_F(root_edu, device_info)
{
	struct vfio_device_info di = { .argsz = sizeof(di) };

	ASSERT_EQ(0, xioctl(self->dfd, VFIO_DEVICE_GET_INFO, &di));
	/* edu has neither FLR nor PM reset: no RESET flag */
	EXPECT_EQ(VFIO_DEVICE_FLAGS_PCI, di.flags);
	EXPECT_EQ(VFIO_PCI_NUM_REGIONS, di.num_regions);
	EXPECT_EQ(VFIO_PCI_NUM_IRQS, di.num_irqs);
	EXPECT_EQ(9, di.num_regions);
	EXPECT_EQ(5, di.num_irqs);

	di.argsz = offsetofend(struct vfio_device_info, num_irqs) - 1;
	EXPECT_EQ(EINVAL, xioctl(self->dfd, VFIO_DEVICE_GET_INFO, &di));
	EXPECT_EQ(EFAULT, xioctl(self->dfd, VFIO_DEVICE_GET_INFO, NULL));
}

TEST_F(root_edu, region_info)
{
	struct vfio_region_info r;
	int i;

	ASSERT_EQ(0, region_info(self->dfd, VFIO_PCI_BAR0_REGION_INDEX, &r));
	EXPECT_EQ(0x100000, r.size);
	EXPECT_EQ(0, r.offset);
	EXPECT_EQ(VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE |
		  VFIO_REGION_INFO_FLAG_MMAP, r.flags);
	/* Unimplemented BARs and the absent ROM are empty regions */
	for (i = VFIO_PCI_BAR1_REGION_INDEX; i <= VFIO_PCI_ROM_REGION_INDEX;
	     i++) {
		ASSERT_EQ(0, region_info(self->dfd, i, &r));
		EXPECT_EQ(0, r.size);
		EXPECT_EQ(0, r.flags);
		EXPECT_EQ(REGION_OFFSET(i), r.offset);
	}
	/* Conventional PCI: 256 bytes of config space */
	ASSERT_EQ(0, region_info(self->dfd, VFIO_PCI_CONFIG_REGION_INDEX, &r));
	EXPECT_EQ(256, r.size);
	EXPECT_EQ(CFG_OFFSET, r.offset);
	EXPECT_EQ(VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE,
		  r.flags);
	/* No VGA, no device-specific regions */
	EXPECT_EQ(EINVAL, region_info(self->dfd, VFIO_PCI_VGA_REGION_INDEX,
				      &r));
	EXPECT_EQ(EINVAL, region_info(self->dfd, VFIO_PCI_NUM_REGIONS, &r));

	memset(&r, 0, sizeof(r));
	r.argsz = offsetofend(struct vfio_region_info, offset) - 1;
	EXPECT_EQ(EINVAL, xioctl(self->dfd, VFIO_DEVICE_GET_REGION_INFO, &r));
}

TEST_F(root_edu, irq_info)
{
	struct vfio_irq_info ii;

	ASSERT_EQ(0, irq_info(self->dfd, VFIO_PCI_INTX_IRQ_INDEX, &ii));
	EXPECT_EQ(1, ii.count);
	EXPECT_EQ(IRQ_FLAGS_INTX, ii.flags);
	/* One MSI vector, no MSI-X */
	ASSERT_EQ(0, irq_info(self->dfd, VFIO_PCI_MSI_IRQ_INDEX, &ii));
	EXPECT_EQ(1, ii.count);
	EXPECT_EQ(msi_vectors(self->dfd), ii.count);
	EXPECT_EQ(IRQ_FLAGS_OTHER, ii.flags);
	ASSERT_EQ(0, irq_info(self->dfd, VFIO_PCI_MSIX_IRQ_INDEX, &ii));
	EXPECT_EQ(0, ii.count);
	EXPECT_EQ(IRQ_FLAGS_OTHER, ii.flags);
	ASSERT_EQ(0, irq_info(self->dfd, VFIO_PCI_REQ_IRQ_INDEX, &ii));
	EXPECT_EQ(1, ii.count);
	EXPECT_EQ(IRQ_FLAGS_OTHER, ii.flags);
	/* AER error reporting exists for PCIe devices only */
	EXPECT_EQ(EINVAL, irq_info(self->dfd, VFIO_PCI_ERR_IRQ_INDEX, &ii));
	EXPECT_EQ(EINVAL, irq_info(self->dfd, VFIO_PCI_NUM_IRQS, &ii));

	memset(&ii, 0, sizeof(ii));
	ii.argsz = offsetofend(struct vfio_irq_info, count) - 1;
	EXPECT_EQ(EINVAL, xioctl(self->dfd, VFIO_DEVICE_GET_IRQ_INFO, &ii));
}

TEST_F(root_edu, config_space)
{
	__u16 vendor = 0, device = 0, cmd = 0, junk = 0xffff;
	__u32 id = 0;
	char b[4];

	ASSERT_EQ(0, cfg_read(self->dfd, PCI_VENDOR_ID, &vendor, 2));
	ASSERT_EQ(0, cfg_read(self->dfd, PCI_DEVICE_ID, &device, 2));
	EXPECT_EQ(0x1234, vendor);
	EXPECT_EQ(0x11e8, device);
	ASSERT_EQ(0, cfg_read(self->dfd, PCI_VENDOR_ID, &id, 4));
	EXPECT_EQ(0x11e81234, id);
	/* The ID is read-only: the write is accepted and dropped */
	ASSERT_EQ(0, cfg_write(self->dfd, PCI_VENDOR_ID, &junk, 2));
	ASSERT_EQ(0, cfg_read(self->dfd, PCI_VENDOR_ID, &vendor, 2));
	EXPECT_EQ(0x1234, vendor);

	/* edu_setup() turned memory and bus master on */
	ASSERT_EQ(0, cfg_read(self->dfd, PCI_COMMAND, &cmd, 2));
	EXPECT_EQ(PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER,
		  cmd & (PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER));
	cmd &= ~PCI_COMMAND_MASTER;
	ASSERT_EQ(0, cfg_write(self->dfd, PCI_COMMAND, &cmd, 2));
	ASSERT_EQ(0, cfg_read(self->dfd, PCI_COMMAND, &cmd, 2));
	EXPECT_EQ(PCI_COMMAND_MEMORY,
		  cmd & (PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER));
	cmd |= PCI_COMMAND_MASTER;
	ASSERT_EQ(0, cfg_write(self->dfd, PCI_COMMAND, &cmd, 2));
	ASSERT_EQ(0, cfg_read(self->dfd, PCI_COMMAND, &cmd, 2));
	EXPECT_EQ(PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER,
		  cmd & (PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER));
	/* With master back on, DMA works */
	EXPECT_EQ(0, edu_roundtrip(&self->edu, self->buf, 1));

	/* Past the end of config space, or of the regions */
	EXPECT_EQ(-1, pread(self->dfd, b, 4, CFG_OFFSET + 256));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, pread(self->dfd, b, 4, CFG_OFFSET + 254));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, pread(self->dfd, b, 4, REGION_OFFSET(10)));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(root_edu, bar_access)
{
	static const __u32 vals[] = { 0, 0x12345678, 0xffffffff, 0xa5a55a5a };
	struct edu *e = &self->edu;
	__u32 v, f = 0;
	unsigned int i;

	EXPECT_EQ(0x010000ed, edu_r32(e, EDU_ID));
	/* Liveness: the register reads back inverted */
	for (i = 0; i != sizeof(vals) / sizeof(vals[0]); i++) {
		edu_w32(e, EDU_LIVENESS, vals[i]);
		EXPECT_EQ(~vals[i], edu_r32(e, EDU_LIVENESS));
	}
	/* Factorials, in 32 bits: 13! wraps */
	ASSERT_EQ(0, edu_factorial(e, 6, &f));
	EXPECT_EQ(720, f);
	ASSERT_EQ(0, edu_factorial(e, 12, &f));
	EXPECT_EQ(479001600, f);
	ASSERT_EQ(0, edu_factorial(e, 13, &f));
	EXPECT_EQ((__u32)6227020800ULL, f);

	/* The same registers through read() and write() of the region */
	ASSERT_EQ(0, bar_r32(self->dfd, EDU_ID, &v));
	EXPECT_EQ(0x010000ed, v);
	ASSERT_EQ(0, bar_w32(self->dfd, EDU_LIVENESS, 0x0badcafe));
	ASSERT_EQ(0, bar_r32(self->dfd, EDU_LIVENESS, &v));
	EXPECT_EQ(~0x0badcafeU, v);
	EXPECT_EQ(~0x0badcafeU, edu_r32(e, EDU_LIVENESS));
}

/* INTx: automasked on every interrupt, unmasked by SET_IRQS UNMASK */
TEST_F(root_edu, intx)
{
	struct edu *e = &self->edu;
	int efd = efd_new();

	ASSERT_LE(0, efd);
	ASSERT_EQ(0, set_irq_eventfds(self->dfd, VFIO_PCI_INTX_IRQ_INDEX, 0, 1,
				      &efd));
	EXPECT_EQ(0, efd_wait(efd, QUIET_MS));

	/* Raised: one interrupt, then the line is masked */
	edu_w32(e, EDU_IRQ_RAISE, 1);
	EXPECT_EQ(1, efd_wait(efd, IRQ_WAIT_MS));
	EXPECT_EQ(1, edu_r32(e, EDU_IRQ_STATUS));
	edu_w32(e, EDU_IRQ_RAISE, 2);
	EXPECT_EQ(0, efd_wait(efd, QUIET_MS));

	/* Unmasked while still asserted: signalled again, stays masked */
	ASSERT_EQ(0, intx_unmask(self->dfd));
	EXPECT_EQ(1, efd_wait(efd, IRQ_WAIT_MS));
	EXPECT_EQ(0, efd_wait(efd, QUIET_MS));

	/* Acknowledged, then unmasked: quiet until the next raise */
	edu_w32(e, EDU_IRQ_ACK, 3);
	EXPECT_EQ(0, edu_r32(e, EDU_IRQ_STATUS));
	ASSERT_EQ(0, intx_unmask(self->dfd));
	EXPECT_EQ(0, efd_wait(efd, QUIET_MS));
	edu_w32(e, EDU_IRQ_RAISE, 4);
	EXPECT_EQ(1, efd_wait(efd, IRQ_WAIT_MS));
	edu_w32(e, EDU_IRQ_ACK, 4);
	ASSERT_EQ(0, intx_unmask(self->dfd));
	EXPECT_EQ(0, efd_wait(efd, QUIET_MS));

	/* Masked by the user: nothing until unmasked */
	ASSERT_EQ(0, intx_mask(self->dfd));
	edu_w32(e, EDU_IRQ_RAISE, 8);
	EXPECT_EQ(0, efd_wait(efd, QUIET_MS));
	ASSERT_EQ(0, intx_unmask(self->dfd));
	EXPECT_EQ(1, efd_wait(efd, IRQ_WAIT_MS));
	edu_w32(e, EDU_IRQ_ACK, 8);
	ASSERT_EQ(0, intx_unmask(self->dfd));
	EXPECT_EQ(0, efd_wait(efd, QUIET_MS));

	/* Loopback trigger */
	ASSERT_EQ(0, irq_trigger(self->dfd, VFIO_PCI_INTX_IRQ_INDEX));
	EXPECT_EQ(1, efd_take(efd));
	/* MSI cannot be enabled over INTx; MASK by eventfd is not offered */
	EXPECT_EQ(EINVAL, set_irq_eventfds(self->dfd, VFIO_PCI_MSI_IRQ_INDEX,
					   0, 1, &efd));
	EXPECT_EQ(ENOTTY, set_irqs(self->dfd, VFIO_IRQ_SET_DATA_EVENTFD |
				   VFIO_IRQ_SET_ACTION_MASK,
				   VFIO_PCI_INTX_IRQ_INDEX, 0, 1, &efd,
				   sizeof(efd)));

	/* Disabled: count 0; then unmask and loopback have nothing to act on */
	ASSERT_EQ(0, irq_disable(self->dfd, VFIO_PCI_INTX_IRQ_INDEX));
	EXPECT_EQ(EINVAL, intx_unmask(self->dfd));
	EXPECT_EQ(EINVAL, irq_trigger(self->dfd, VFIO_PCI_INTX_IRQ_INDEX));
	EXPECT_EQ(0, efd_take(efd));
	close(efd);
}

/* MSI: one message per raise, and the factorial unit's completion IRQ */
TEST_F(root_edu, msi)
{
	struct edu *e = &self->edu;
	int efd = efd_new(), efd2 = efd_new(), fds[2];
	__u8 on = 1, off = 0;
	__u32 f;

	ASSERT_LE(0, efd);
	ASSERT_LE(0, efd2);
	ASSERT_EQ(0, set_irq_eventfds(self->dfd, VFIO_PCI_MSI_IRQ_INDEX, 0, 1,
				      &efd));
	EXPECT_EQ(0, efd_wait(efd, QUIET_MS));
	/* INTx cannot be enabled over MSI; edu has one vector and no MSI-X */
	EXPECT_EQ(EINVAL, set_irq_eventfds(self->dfd, VFIO_PCI_INTX_IRQ_INDEX,
					   0, 1, &efd2));
	fds[0] = fds[1] = efd2;
	EXPECT_EQ(EINVAL, set_irq_eventfds(self->dfd, VFIO_PCI_MSI_IRQ_INDEX,
					   0, 2, fds));
	EXPECT_EQ(EINVAL, set_irq_eventfds(self->dfd, VFIO_PCI_MSIX_IRQ_INDEX,
					   0, 1, &efd2));
	/* MSI masking is not implemented by vfio-pci-core */
	EXPECT_EQ(ENOTTY, set_irq_none(self->dfd, VFIO_IRQ_SET_ACTION_MASK,
				       VFIO_PCI_MSI_IRQ_INDEX, 0, 1));
	EXPECT_EQ(ENOTTY, set_irq_none(self->dfd, VFIO_IRQ_SET_ACTION_UNMASK,
				       VFIO_PCI_MSI_IRQ_INDEX, 0, 1));

	/* Every raise sends one message, acknowledged or not */
	edu_w32(e, EDU_IRQ_RAISE, 1);
	EXPECT_EQ(1, efd_wait(efd, IRQ_WAIT_MS));
	EXPECT_EQ(0, efd_wait(efd, QUIET_MS));
	edu_w32(e, EDU_IRQ_RAISE, 2);
	EXPECT_EQ(1, efd_wait(efd, IRQ_WAIT_MS));
	EXPECT_EQ(3, edu_r32(e, EDU_IRQ_STATUS));
	edu_w32(e, EDU_IRQ_ACK, 3);
	EXPECT_EQ(0, edu_r32(e, EDU_IRQ_STATUS));
	EXPECT_EQ(0, efd_wait(efd, QUIET_MS));

	/* The factorial unit interrupts when it is done */
	edu_w32(e, EDU_STATUS, EDU_STATUS_IRQFACT);
	ASSERT_EQ(0, edu_factorial(e, 5, &f));
	EXPECT_EQ(120, f);
	EXPECT_EQ(1, efd_wait(efd, IRQ_WAIT_MS));
	EXPECT_EQ(EDU_FACT_IRQ, edu_r32(e, EDU_IRQ_STATUS));
	edu_w32(e, EDU_IRQ_ACK, EDU_FACT_IRQ);
	edu_w32(e, EDU_STATUS, 0);

	/* Loopback, with DATA_NONE and DATA_BOOL */
	ASSERT_EQ(0, irq_trigger(self->dfd, VFIO_PCI_MSI_IRQ_INDEX));
	EXPECT_EQ(1, efd_take(efd));
	ASSERT_EQ(0, set_irqs(self->dfd, VFIO_IRQ_SET_DATA_BOOL |
			      VFIO_IRQ_SET_ACTION_TRIGGER,
			      VFIO_PCI_MSI_IRQ_INDEX, 0, 1, &off, 1));
	EXPECT_EQ(0, efd_take(efd));
	ASSERT_EQ(0, set_irqs(self->dfd, VFIO_IRQ_SET_DATA_BOOL |
			      VFIO_IRQ_SET_ACTION_TRIGGER,
			      VFIO_PCI_MSI_IRQ_INDEX, 0, 1, &on, 1));
	EXPECT_EQ(1, efd_take(efd));

	/* Another eventfd takes over the vector */
	ASSERT_EQ(0, set_irq_eventfds(self->dfd, VFIO_PCI_MSI_IRQ_INDEX, 0, 1,
				      &efd2));
	edu_w32(e, EDU_IRQ_RAISE, 1);
	EXPECT_EQ(1, efd_wait(efd2, IRQ_WAIT_MS));
	EXPECT_EQ(0, efd_take(efd));
	edu_w32(e, EDU_IRQ_ACK, 1);

	/* Disabled: nothing to trigger; INTx may be used again */
	ASSERT_EQ(0, irq_disable(self->dfd, VFIO_PCI_MSI_IRQ_INDEX));
	EXPECT_EQ(EINVAL, irq_trigger(self->dfd, VFIO_PCI_MSI_IRQ_INDEX));
	ASSERT_EQ(0, set_irq_eventfds(self->dfd, VFIO_PCI_INTX_IRQ_INDEX, 0, 1,
				      &efd));
	ASSERT_EQ(0, irq_disable(self->dfd, VFIO_PCI_INTX_IRQ_INDEX));
	EXPECT_EQ(0, efd_take(efd));
	EXPECT_EQ(0, efd_take(efd2));
	close(efd);
	close(efd2);
}

/* The request eventfd: what the driver signals when it wants the device */
TEST_F(root_edu, req_eventfd)
{
	int efd = efd_new(), efd2 = efd_new(), none = -1;
	__u8 on = 1, off = 0;

	ASSERT_LE(0, efd);
	ASSERT_LE(0, efd2);
	ASSERT_EQ(0, set_irq_eventfds(self->dfd, VFIO_PCI_REQ_IRQ_INDEX, 0, 1,
				      &efd));
	EXPECT_EQ(0, efd_take(efd));
	ASSERT_EQ(0, irq_trigger(self->dfd, VFIO_PCI_REQ_IRQ_INDEX));
	EXPECT_EQ(1, efd_take(efd));
	ASSERT_EQ(0, set_irqs(self->dfd, VFIO_IRQ_SET_DATA_BOOL |
			      VFIO_IRQ_SET_ACTION_TRIGGER,
			      VFIO_PCI_REQ_IRQ_INDEX, 0, 1, &off, 1));
	EXPECT_EQ(0, efd_take(efd));
	ASSERT_EQ(0, set_irqs(self->dfd, VFIO_IRQ_SET_DATA_BOOL |
			      VFIO_IRQ_SET_ACTION_TRIGGER,
			      VFIO_PCI_REQ_IRQ_INDEX, 0, 1, &on, 1));
	EXPECT_EQ(1, efd_take(efd));

	/* One vector, trigger only */
	EXPECT_EQ(EINVAL, set_irq_none(self->dfd, VFIO_IRQ_SET_ACTION_TRIGGER,
				       VFIO_PCI_REQ_IRQ_INDEX, 0, 2));
	EXPECT_EQ(EINVAL, set_irq_none(self->dfd, VFIO_IRQ_SET_ACTION_TRIGGER,
				       VFIO_PCI_REQ_IRQ_INDEX, 1, 1));
	EXPECT_EQ(ENOTTY, set_irq_none(self->dfd, VFIO_IRQ_SET_ACTION_MASK,
				       VFIO_PCI_REQ_IRQ_INDEX, 0, 1));
	EXPECT_EQ(ENOTTY, set_irq_none(self->dfd, VFIO_IRQ_SET_ACTION_UNMASK,
				       VFIO_PCI_REQ_IRQ_INDEX, 0, 1));

	/* Replaced, then removed */
	ASSERT_EQ(0, set_irq_eventfds(self->dfd, VFIO_PCI_REQ_IRQ_INDEX, 0, 1,
				      &efd2));
	ASSERT_EQ(0, irq_trigger(self->dfd, VFIO_PCI_REQ_IRQ_INDEX));
	EXPECT_EQ(1, efd_take(efd2));
	EXPECT_EQ(0, efd_take(efd));
	ASSERT_EQ(0, set_irq_eventfds(self->dfd, VFIO_PCI_REQ_IRQ_INDEX, 0, 1,
				      &none));
	EXPECT_EQ(EINVAL, irq_trigger(self->dfd, VFIO_PCI_REQ_IRQ_INDEX));
	EXPECT_EQ(0, efd_take(efd2));

	/* edu is conventional PCI: no error (AER) interrupt to set */
	EXPECT_EQ(EINVAL, set_irq_eventfds(self->dfd, VFIO_PCI_ERR_IRQ_INDEX,
					   0, 1, &efd));
	close(efd);
	close(efd2);
}

TEST_F(root_edu, set_irqs_errors)
{
	struct vfio_irq_set set = {
		.argsz = sizeof(set),
		.flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
		.index = VFIO_PCI_REQ_IRQ_INDEX,
		.count = 1,
	};
	int efd = efd_new(), null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int closed = 1000;

	ASSERT_LE(0, efd);
	ASSERT_LE(0, null);
	/* No room for the eventfd after the header */
	EXPECT_EQ(EINVAL, xioctl(self->dfd, VFIO_DEVICE_SET_IRQS, &set));
	set.argsz = offsetofend(struct vfio_irq_set, count) - 1;
	EXPECT_EQ(EINVAL, xioctl(self->dfd, VFIO_DEVICE_SET_IRQS, &set));
	EXPECT_EQ(EFAULT, xioctl(self->dfd, VFIO_DEVICE_SET_IRQS, NULL));

	/* Unknown flag, two data types, unknown index; two actions match none */
	EXPECT_EQ(EINVAL, set_irqs(self->dfd, VFIO_IRQ_SET_DATA_NONE |
				   VFIO_IRQ_SET_ACTION_TRIGGER | (1U << 6),
				   VFIO_PCI_REQ_IRQ_INDEX, 0, 1, NULL, 0));
	EXPECT_EQ(EINVAL, set_irqs(self->dfd, VFIO_IRQ_SET_DATA_NONE |
				   VFIO_IRQ_SET_DATA_BOOL |
				   VFIO_IRQ_SET_ACTION_TRIGGER,
				   VFIO_PCI_REQ_IRQ_INDEX, 0, 1, "\1", 1));
	EXPECT_EQ(ENOTTY, set_irqs(self->dfd, VFIO_IRQ_SET_DATA_NONE |
				   VFIO_IRQ_SET_ACTION_MASK |
				   VFIO_IRQ_SET_ACTION_UNMASK,
				   VFIO_PCI_INTX_IRQ_INDEX, 0, 1, NULL, 0));
	EXPECT_EQ(EINVAL, set_irq_none(self->dfd, VFIO_IRQ_SET_ACTION_TRIGGER,
				       VFIO_PCI_NUM_IRQS, 0, 1));
	/* start + count overflowing */
	EXPECT_EQ(EINVAL, set_irq_none(self->dfd, VFIO_IRQ_SET_ACTION_TRIGGER,
				       VFIO_PCI_REQ_IRQ_INDEX, 0xffffffff, 1));
	/* Not an eventfd; not an fd */
	EXPECT_EQ(EINVAL, set_irq_eventfds(self->dfd, VFIO_PCI_REQ_IRQ_INDEX,
					   0, 1, &null));
	EXPECT_EQ(EBADF, set_irq_eventfds(self->dfd, VFIO_PCI_REQ_IRQ_INDEX,
					  0, 1, &closed));
	EXPECT_EQ(EINVAL, set_irq_eventfds(self->dfd, VFIO_PCI_INTX_IRQ_INDEX,
					   0, 1, &null));
	EXPECT_EQ(EBADF, set_irq_eventfds(self->dfd, VFIO_PCI_MSI_IRQ_INDEX,
					  0, 1, &closed));
	/* Nothing was left enabled by the failures */
	EXPECT_EQ(EINVAL, irq_trigger(self->dfd, VFIO_PCI_INTX_IRQ_INDEX));
	EXPECT_EQ(EINVAL, irq_trigger(self->dfd, VFIO_PCI_MSI_IRQ_INDEX));
	EXPECT_EQ(EINVAL, irq_trigger(self->dfd, VFIO_PCI_REQ_IRQ_INDEX));
	ASSERT_EQ(0, set_irq_eventfds(self->dfd, VFIO_PCI_MSI_IRQ_INDEX, 0, 1,
				      &efd));
	ASSERT_EQ(0, irq_disable(self->dfd, VFIO_PCI_MSI_IRQ_INDEX));
	close(null);
	close(efd);
}

/* edu has no function reset: vfio-pci-core refuses with EINVAL */
TEST_F(root_edu, reset)
{
	EXPECT_EQ(EINVAL, xioctl(self->dfd, VFIO_DEVICE_RESET, NULL));
	/* And the device is untouched */
	edu_w32(&self->edu, EDU_LIVENESS, 0x5a5a0000);
	EXPECT_EQ(~0x5a5a0000U, edu_r32(&self->edu, EDU_LIVENESS));
	EXPECT_EQ(0, edu_roundtrip(&self->edu, self->buf, 2));
}

TEST_F(root_edu, feature)
{
	const __u32 sz = sizeof(struct vfio_device_feature);
	const __u32 probe_set = VFIO_DEVICE_FEATURE_PROBE |
				VFIO_DEVICE_FEATURE_SET;
	const __u32 probe_get = VFIO_DEVICE_FEATURE_PROBE |
				VFIO_DEVICE_FEATURE_GET;
	int dfd = self->dfd;

	/* vfio-pci-core's power features can be set, not read */
	EXPECT_EQ(0, dev_feature(dfd, probe_set |
				 VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY, sz));
	EXPECT_EQ(0, dev_feature(dfd, probe_set |
		  VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP, sz));
	EXPECT_EQ(0, dev_feature(dfd, probe_set |
				 VFIO_DEVICE_FEATURE_LOW_POWER_EXIT, sz));
	EXPECT_EQ(EINVAL, dev_feature(dfd, probe_get |
				      VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY, sz));
	EXPECT_EQ(EINVAL, dev_feature(dfd, probe_get | probe_set |
				      VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY, sz));
	/* Neither GET nor SET nor PROBE */
	EXPECT_EQ(EINVAL, dev_feature(dfd, VFIO_DEVICE_FEATURE_LOW_POWER_EXIT,
				      sz));

	/* Features this driver does not have */
	EXPECT_EQ(ENOTTY, dev_feature(dfd, probe_set | 0x1234, sz));
	EXPECT_EQ(ENOTTY, dev_feature(dfd, probe_get |
				      VFIO_DEVICE_FEATURE_MIGRATION, sz));
	EXPECT_EQ(ENOTTY, dev_feature(dfd, VFIO_DEVICE_FEATURE_GET |
				      VFIO_DEVICE_FEATURE_MIGRATION, sz + 8));
	EXPECT_EQ(ENOTTY, dev_feature(dfd, probe_set |
				      VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE,
				      sz));
	EXPECT_EQ(ENOTTY, dev_feature(dfd, probe_set | 6 /* DMA logging */,
				      sz));
	/* Not an SR-IOV PF: no VF token */
	EXPECT_EQ(ENOTTY, dev_feature(dfd, probe_set |
				      VFIO_DEVICE_FEATURE_PCI_VF_TOKEN, sz));

	/* The header checks come first, whatever the feature */
	EXPECT_EQ(EINVAL, dev_feature(dfd, probe_set | (1U << 19) |
				      VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY, sz));
	EXPECT_EQ(EINVAL, dev_feature(dfd, VFIO_DEVICE_FEATURE_GET |
				      VFIO_DEVICE_FEATURE_SET | 0x1234, sz));
	EXPECT_EQ(EINVAL, dev_feature(dfd, VFIO_DEVICE_FEATURE_GET |
				      VFIO_DEVICE_FEATURE_SET |
				      VFIO_DEVICE_FEATURE_MIGRATION, sz));
	EXPECT_EQ(EINVAL, dev_feature(dfd, probe_set |
				      VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY,
				      sz - 1));
	EXPECT_EQ(EINVAL, dev_feature(dfd, probe_set | 0x1234, 0));
	EXPECT_EQ(EFAULT, xioctl(dfd, VFIO_DEVICE_FEATURE, NULL));

	/* Nothing changed the device */
	EXPECT_EQ(0, edu_roundtrip(&self->edu, self->buf, 3));
}

/* A root-bus device has neither a slot nor a bus reset */
TEST_F(root_edu, hot_reset_root_bus)
{
	struct vfio_pci_hot_reset_info hi = { .argsz = sizeof(hi) };
	struct {
		struct vfio_pci_hot_reset hdr;
		__s32 fds[1];
	} hr = { .hdr = { .argsz = sizeof(hr), .count = 1 },
		 .fds = { self->fd } };

	EXPECT_EQ(ENODEV, xioctl(self->dfd, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO,
				 &hi));
	EXPECT_EQ(ENODEV, xioctl(self->dfd, VFIO_DEVICE_PCI_HOT_RESET, &hr));
}

/* =========================================================== NVMe */

/* The NVMe controller, bound, attached, memory and bus master on */
FIXTURE(nvme) {
	struct ioasid_env env;
	struct vdev_info info;
	int fd, dfd;
	__u32 ioas, hwpt;
};

static int nvme_open(FIXTURE_DATA(nvme) *self)
{
	self->dfd = open(self->info.cdev, O_RDWR | O_CLOEXEC);
	if (self->dfd < 0)
		return errno;
	self->hwpt = self->ioas;
	return dev_bind(self->dfd, self->fd, NULL) ?:
	       dev_attach(self->dfd, &self->hwpt) ?:
	       set_bus_master(self->dfd);
}

FIXTURE_SETUP(nvme)
{
	self->fd = -1;
	self->dfd = -1;
	env_begin(&self->env);
	ASSERT_EQ(0, find_dev(DEV_NVME, 0, &self->info));
	self->fd = ioasid_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, ioas_alloc(self->fd, &self->ioas));
	ASSERT_EQ(0, nvme_open(self));
}

FIXTURE_TEARDOWN(nvme)
{
	if (self->dfd >= 0)
		close(self->dfd);
	if (self->fd >= 0)
		close(self->fd);
	env_end(&self->env);
}

TEST_F(nvme, device_info)
{
	struct vfio_device_info di = { .argsz = sizeof(di) };
	__u16 vendor = 0, device = 0;

	ASSERT_EQ(0, xioctl(self->dfd, VFIO_DEVICE_GET_INFO, &di));
	/* QEMU's NVMe has FLR */
	EXPECT_EQ(VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET, di.flags);
	EXPECT_EQ(VFIO_PCI_NUM_REGIONS, di.num_regions);
	EXPECT_EQ(VFIO_PCI_NUM_IRQS, di.num_irqs);
	ASSERT_EQ(0, cfg_read(self->dfd, PCI_VENDOR_ID, &vendor, 2));
	ASSERT_EQ(0, cfg_read(self->dfd, PCI_DEVICE_ID, &device, 2));
	EXPECT_EQ(0x1b36, vendor);
	EXPECT_EQ(0x0010, device);
}

/* The BAR with the MSI-X table says it may be mmapped whole */
TEST_F(nvme, region_info)
{
	struct {
		struct vfio_region_info info;
		__u8 caps[64];
	} big;
	struct vfio_info_cap_header *hdr;
	struct vfio_region_info r;
	int bir, i;

	ASSERT_EQ(0, region_info(self->dfd, VFIO_PCI_CONFIG_REGION_INDEX, &r));
	EXPECT_EQ(4096, r.size);
	ASSERT_LT(1, msix_vectors(self->dfd, &bir));
	ASSERT_LE(0, bir);
	TH_LOG("MSI-X table in BAR%d", bir);
	for (i = VFIO_PCI_BAR0_REGION_INDEX; i <= VFIO_PCI_BAR5_REGION_INDEX;
	     i++) {
		ASSERT_EQ(0, region_info(self->dfd, i, &r));
		if (i != bir) {
			EXPECT_FALSE(r.flags & VFIO_REGION_INFO_FLAG_CAPS);
			continue;
		}
		EXPECT_EQ(VFIO_REGION_INFO_FLAG_READ |
			  VFIO_REGION_INFO_FLAG_WRITE |
			  VFIO_REGION_INFO_FLAG_MMAP |
			  VFIO_REGION_INFO_FLAG_CAPS, r.flags);
		/* Too small for the capability: told the size it needs */
		EXPECT_EQ(sizeof(r) + sizeof(*hdr), r.argsz);
		EXPECT_EQ(0, r.cap_offset);

		memset(&big, 0, sizeof(big));
		big.info.argsz = sizeof(big);
		big.info.index = i;
		ASSERT_EQ(0, xioctl(self->dfd, VFIO_DEVICE_GET_REGION_INFO,
				    &big));
		ASSERT_EQ(sizeof(r), big.info.cap_offset);
		hdr = (void *)big.caps;
		EXPECT_EQ(VFIO_REGION_INFO_CAP_MSIX_MAPPABLE, hdr->id);
		EXPECT_EQ(1, hdr->version);
		EXPECT_EQ(0, hdr->next);
	}
}

TEST_F(nvme, irq_info)
{
	struct vfio_irq_info ii;
	int bir;

	ASSERT_EQ(0, irq_info(self->dfd, VFIO_PCI_MSIX_IRQ_INDEX, &ii));
	EXPECT_EQ(msix_vectors(self->dfd, &bir), ii.count);
	EXPECT_LE(4, ii.count);
	EXPECT_EQ(IRQ_FLAGS_OTHER, ii.flags);
	TH_LOG("MSI-X vectors %u, MSI vectors %u", ii.count,
	       msi_vectors(self->dfd));
	ASSERT_EQ(0, irq_info(self->dfd, VFIO_PCI_MSI_IRQ_INDEX, &ii));
	EXPECT_EQ(msi_vectors(self->dfd), ii.count);
	ASSERT_EQ(0, irq_info(self->dfd, VFIO_PCI_INTX_IRQ_INDEX, &ii));
	EXPECT_EQ(1, ii.count);
	EXPECT_EQ(IRQ_FLAGS_INTX, ii.flags);
	/* PCIe: an error interrupt exists */
	ASSERT_EQ(0, irq_info(self->dfd, VFIO_PCI_ERR_IRQ_INDEX, &ii));
	EXPECT_EQ(1, ii.count);
	EXPECT_EQ(IRQ_FLAGS_OTHER, ii.flags);
	ASSERT_EQ(0, irq_info(self->dfd, VFIO_PCI_REQ_IRQ_INDEX, &ii));
	EXPECT_EQ(1, ii.count);
}

TEST_F(nvme, msix)
{
	__u8 bools[4] = { 1, 0, 1, 0 };
	int efd[4], none = -1, extra, i;

	for (i = 0; i != 4; i++) {
		efd[i] = efd_new();
		ASSERT_LE(0, efd[i]);
	}
	extra = efd_new();
	ASSERT_LE(0, extra);
	ASSERT_EQ(0, set_irq_eventfds(self->dfd, VFIO_PCI_MSIX_IRQ_INDEX, 0, 4,
				      efd));
	/* INTx cannot be enabled over MSI-X */
	EXPECT_EQ(EINVAL, set_irq_eventfds(self->dfd, VFIO_PCI_INTX_IRQ_INDEX,
					   0, 1, &extra));

	/* One vector fired: only its eventfd counts */
	ASSERT_EQ(0, set_irq_none(self->dfd, VFIO_IRQ_SET_ACTION_TRIGGER,
				  VFIO_PCI_MSIX_IRQ_INDEX, 2, 1));
	for (i = 0; i != 4; i++)
		EXPECT_EQ(i == 2, efd_take(efd[i]));

	/* DATA_BOOL picks vectors */
	ASSERT_EQ(0, set_irqs(self->dfd, VFIO_IRQ_SET_DATA_BOOL |
			      VFIO_IRQ_SET_ACTION_TRIGGER,
			      VFIO_PCI_MSIX_IRQ_INDEX, 0, 4, bools, 4));
	for (i = 0; i != 4; i++)
		EXPECT_EQ(bools[i], efd_take(efd[i]));

	/* A vector without an eventfd is skipped */
	ASSERT_EQ(0, set_irq_eventfds(self->dfd, VFIO_PCI_MSIX_IRQ_INDEX, 1, 1,
				      &none));
	ASSERT_EQ(0, set_irq_none(self->dfd, VFIO_IRQ_SET_ACTION_TRIGGER,
				  VFIO_PCI_MSIX_IRQ_INDEX, 0, 4));
	for (i = 0; i != 4; i++)
		EXPECT_EQ(i != 1, efd_take(efd[i]));
	/* And gets one again */
	ASSERT_EQ(0, set_irq_eventfds(self->dfd, VFIO_PCI_MSIX_IRQ_INDEX, 1, 1,
				      &extra));
	ASSERT_EQ(0, set_irq_none(self->dfd, VFIO_IRQ_SET_ACTION_TRIGGER,
				  VFIO_PCI_MSIX_IRQ_INDEX, 1, 1));
	EXPECT_EQ(1, efd_take(extra));
	EXPECT_EQ(0, efd_take(efd[1]));

	/* Only the 4 enabled vectors exist until MSI-X is re-enabled */
	EXPECT_EQ(EINVAL, set_irq_none(self->dfd, VFIO_IRQ_SET_ACTION_TRIGGER,
				       VFIO_PCI_MSIX_IRQ_INDEX, 4, 1));
	EXPECT_EQ(EINVAL, set_irq_eventfds(self->dfd, VFIO_PCI_MSIX_IRQ_INDEX,
					   4, 1, &extra));
	EXPECT_EQ(ENOTTY, set_irq_none(self->dfd, VFIO_IRQ_SET_ACTION_MASK,
				       VFIO_PCI_MSIX_IRQ_INDEX, 0, 1));

	/* Disabled with count 0: nothing left to fire */
	ASSERT_EQ(0, irq_disable(self->dfd, VFIO_PCI_MSIX_IRQ_INDEX));
	EXPECT_EQ(EINVAL, irq_trigger(self->dfd, VFIO_PCI_MSIX_IRQ_INDEX));
	for (i = 0; i != 4; i++)
		EXPECT_EQ(0, efd_take(efd[i]));

	/* Re-enabled with more vectors, starting past 0 */
	ASSERT_EQ(0, set_irq_eventfds(self->dfd, VFIO_PCI_MSIX_IRQ_INDEX, 5, 1,
				      &extra));
	ASSERT_EQ(0, set_irq_none(self->dfd, VFIO_IRQ_SET_ACTION_TRIGGER,
				  VFIO_PCI_MSIX_IRQ_INDEX, 0, 6));
	EXPECT_EQ(1, efd_take(extra));
	ASSERT_EQ(0, irq_disable(self->dfd, VFIO_PCI_MSIX_IRQ_INDEX));
	for (i = 0; i != 4; i++)
		close(efd[i]);
	close(extra);
}

/* FLR through VFIO_DEVICE_RESET: the controller's registers go back */
TEST_F(nvme, reset)
{
	const __u32 cc = 0x00460000;	/* IOCQES 4, IOSQES 6, disabled */
	__u32 val = 0;
	__u16 vendor = 0;

	ASSERT_EQ(0, bar_w32(self->dfd, NVME_REG_CC, cc));
	ASSERT_EQ(0, bar_r32(self->dfd, NVME_REG_CC, &val));
	ASSERT_EQ(cc, val);
	ASSERT_EQ(0, xioctl(self->dfd, VFIO_DEVICE_RESET, NULL));
	ASSERT_EQ(0, bar_r32(self->dfd, NVME_REG_CC, &val));
	EXPECT_EQ(0, val);
	/* Config space is restored around the reset */
	ASSERT_EQ(0, cfg_read(self->dfd, PCI_VENDOR_ID, &vendor, 2));
	EXPECT_EQ(0x1b36, vendor);
	ASSERT_EQ(0, bar_w32(self->dfd, NVME_REG_CC, cc));
	ASSERT_EQ(0, bar_r32(self->dfd, NVME_REG_CC, &val));
	EXPECT_EQ(cc, val);
	ASSERT_EQ(0, xioctl(self->dfd, VFIO_DEVICE_RESET, NULL));
	ASSERT_EQ(0, bar_r32(self->dfd, NVME_REG_CC, &val));
	EXPECT_EQ(0, val);
}

/* Low power entry and exit through VFIO_DEVICE_FEATURE, and close in D3 */
TEST_F(nvme, low_power)
{
	const __u32 sz = sizeof(struct vfio_device_feature);
	const __u32 entry = VFIO_DEVICE_FEATURE_SET |
			    VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY;
	const __u32 exit_ = VFIO_DEVICE_FEATURE_SET |
			    VFIO_DEVICE_FEATURE_LOW_POWER_EXIT;
	char state[32] = "";

	ASSERT_EQ(0, power_state(self->info.bdf, state, sizeof(state)));
	EXPECT_STREQ("D0", state);
	ASSERT_EQ(0, dev_feature(self->dfd, entry, sz));
	EXPECT_TRUE(power_state_wait(self->info.bdf, "D3hot", 2000));
	/* Entered already (the ioctl itself resumes the device) */
	EXPECT_EQ(EINVAL, dev_feature(self->dfd, entry, sz));
	ASSERT_EQ(0, dev_feature(self->dfd, exit_, sz));
	EXPECT_TRUE(power_state_wait(self->info.bdf, "D0", 2000));
	/* Exit when not in low power is a no-op */
	EXPECT_EQ(0, dev_feature(self->dfd, exit_, sz));
	usleep(QUIET_MS * 1000);
	ASSERT_EQ(0, power_state(self->info.bdf, state, sizeof(state)));
	EXPECT_STREQ("D0", state);

	/* Closed while in low power; a new user gets a working device */
	ASSERT_EQ(0, dev_feature(self->dfd, entry, sz));
	EXPECT_TRUE(power_state_wait(self->info.bdf, "D3hot", 2000));
	close(self->dfd);
	self->dfd = -1;
	ASSERT_EQ(0, nvme_open(self));
	ASSERT_EQ(0, power_state(self->info.bdf, state, sizeof(state)));
	EXPECT_STREQ("D0", state);
	EXPECT_EQ(0, xioctl(self->dfd, VFIO_DEVICE_RESET, NULL));
}

/* ===================================================== hot reset */

/* The two edus behind the bridge share a bus reset and a group */
FIXTURE(bridge) {
	struct ioasid_env env;
	struct vdev_info ia, ib;
	int fd, da, db, gfd;
	__u32 ioas;
	char *buf;
};

FIXTURE_SETUP(bridge)
{
	__u32 pt;

	self->fd = self->da = self->db = self->gfd = -1;
	env_begin(&self->env);
	ASSERT_EQ(0, find_dev(DEV_EDU_BRIDGE, 0, &self->ia));
	ASSERT_EQ(0, find_dev(DEV_EDU_BRIDGE, 1, &self->ib));
	ASSERT_EQ(self->ia.group, self->ib.group);
	self->buf = alloc_buffer(BUF_LEN, PSZ, 0);
	ASSERT_NE(NULL, self->buf);
	self->fd = ioasid_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, ioas_alloc(self->fd, &self->ioas));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, self->buf, BUF_LEN,
			      IOVA_A));
	self->da = dev_open_bound(self->ia.cdev, self->fd, NULL);
	ASSERT_LE(0, self->da);
	pt = self->ioas;
	ASSERT_EQ(0, dev_attach(self->da, &pt));
}

FIXTURE_TEARDOWN(bridge)
{
	if (self->gfd >= 0)
		close(self->gfd);
	if (self->db >= 0)
		close(self->db);
	if (self->da >= 0)
		close(self->da);
	if (self->fd >= 0)
		close(self->fd);
	env_end(&self->env);
	if (self->buf)
		munmap(self->buf, BUF_LEN);
}

static bool bdf_is(const char *bdf, __u16 seg, __u8 bus, __u8 devfn)
{
	unsigned int s, b, d, f;

	if (sscanf(bdf, "%x:%x:%x.%x", &s, &b, &d, &f) != 4)
		return false;
	return s == seg && b == bus && d == PCI_SLOT(devfn) &&
	       f == PCI_FUNC(devfn);
}

TEST_F(bridge, hot_reset_info)
{
	struct {
		struct vfio_pci_hot_reset_info hdr;
		struct vfio_pci_dependent_device devs[4];
	} hi;
	int i, seen_a = 0, seen_b = 0;

	/* No room for the devices: ENOSPC and the count needed */
	memset(&hi, 0, sizeof(hi));
	hi.hdr.argsz = sizeof(hi.hdr);
	EXPECT_EQ(ENOSPC, xioctl(self->da, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO,
				 &hi));
	EXPECT_EQ(2, hi.hdr.count);
	hi.hdr.argsz = offsetofend(struct vfio_pci_hot_reset_info, count) - 1;
	EXPECT_EQ(EINVAL, xioctl(self->da, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO,
				 &hi));

	memset(&hi, 0, sizeof(hi));
	hi.hdr.argsz = sizeof(hi);
	ASSERT_EQ(0, xioctl(self->da, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO,
			    &hi));
	EXPECT_EQ(0, hi.hdr.flags);
	ASSERT_EQ(2, hi.hdr.count);
	for (i = 0; i != 2; i++) {
		EXPECT_EQ(self->ia.group, hi.devs[i].group_id);
		seen_a += bdf_is(self->ia.bdf, hi.devs[i].segment,
				 hi.devs[i].bus, hi.devs[i].devfn);
		seen_b += bdf_is(self->ib.bdf, hi.devs[i].segment,
				 hi.devs[i].bus, hi.devs[i].devfn);
	}
	EXPECT_EQ(1, seen_a);
	EXPECT_EQ(1, seen_b);
}

static int hot_reset(int dfd, __u32 count, const __s32 *fds)
{
	struct {
		struct vfio_pci_hot_reset hdr;
		__s32 fds[4];
	} hr = { .hdr = { .argsz = sizeof(hr), .count = count } };

	memcpy(hr.fds, fds, count * sizeof(*fds));
	return xioctl(dfd, VFIO_DEVICE_PCI_HOT_RESET, &hr);
}

/*
 * VFIO_DEVICE_PCI_HOT_RESET needs proof of owning every device the reset
 * affects.  Upstream's device cdev takes an empty list for a device bound
 * to an iommufd; Linux 6.1's vfio-pci-core cannot, so that is EINVAL here.
 * It takes vfio group fds, but the group of a device bound through its
 * cdev cannot be opened (EBUSY, as upstream): a bound device cannot be
 * bus reset, and nothing here reset it.
 */
TEST_F(bridge, hot_reset)
{
	struct vfio_pci_hot_reset hr = { .argsz = sizeof(hr), .count = 1 };
	__s32 fds[3] = { self->fd, self->fd, self->fd };
	struct edu e = {};
	char path[64];

	hr.argsz = offsetofend(struct vfio_pci_hot_reset, count) - 1;
	EXPECT_EQ(EINVAL, xioctl(self->da, VFIO_DEVICE_PCI_HOT_RESET, &hr));
	hr.argsz = sizeof(hr);
	hr.flags = 1;
	EXPECT_EQ(EINVAL, xioctl(self->da, VFIO_DEVICE_PCI_HOT_RESET, &hr));
	EXPECT_EQ(EINVAL, hot_reset(self->da, 0, fds));
	/* More fds than devices the reset affects */
	EXPECT_EQ(EINVAL, hot_reset(self->da, 3, fds));
	/* An ioasid fd is not a group fd; a closed fd is no fd */
	EXPECT_EQ(EINVAL, hot_reset(self->da, 1, fds));
	fds[0] = 1000;
	EXPECT_EQ(EBADF, hot_reset(self->da, 1, fds));

	/* The group's fd of the legacy path is not to be had */
	snprintf(path, sizeof(path), "/dev/vfio/%d", self->ia.group);
	self->gfd = open(path, O_RDWR | O_CLOEXEC);
	EXPECT_EQ(-1, self->gfd);
	EXPECT_EQ(EBUSY, errno);
	if (self->gfd >= 0) {
		fds[0] = self->gfd;
		EXPECT_EQ(EBUSY, hot_reset(self->da, 1, fds)) {
			TH_LOG("a group fd reset the bus under a cdev user");
		}
	}
	ASSERT_EQ(0, edu_setup(&e, self->da));
	EXPECT_EQ(0, edu_roundtrip(&e, self->buf, 30));
	edu_teardown(&e);
}

/* ===================================================== lifetimes */

/* A device bound and attached to an IOAS that maps @buf at IOVA_A */
struct bound_dev {
	int fd, dfd;
	__u32 ioas, devid, hwpt;
	struct edu edu;
};

static int bound_dev_open(struct bound_dev *b, const char *cdev, char *buf,
			  bool ioasid_first)
{
	int rc;

	memset(b, 0, sizeof(*b));
	b->fd = b->dfd = -1;
	if (!ioasid_first) {
		b->dfd = open(cdev, O_RDWR | O_CLOEXEC);
		if (b->dfd < 0)
			return errno;
	}
	b->fd = ioasid_open();
	if (b->fd < 0)
		return errno;
	if (ioasid_first) {
		b->dfd = open(cdev, O_RDWR | O_CLOEXEC);
		if (b->dfd < 0)
			return errno;
	}
	rc = ioas_alloc(b->fd, &b->ioas) ?:
	     ioas_map(b->fd, b->ioas, buf, BUF_LEN, IOVA_A) ?:
	     dev_bind(b->dfd, b->fd, &b->devid);
	if (rc)
		return rc;
	b->hwpt = b->ioas;
	return dev_attach(b->dfd, &b->hwpt) ?: edu_setup(&b->edu, b->dfd);
}

static void bound_dev_close(struct bound_dev *b)
{
	edu_teardown(&b->edu);
	if (b->dfd >= 0)
		close(b->dfd);
	if (b->fd >= 0)
		close(b->fd);
	b->dfd = b->fd = -1;
}

/* Closing the device fd first unbinds it and frees its objects at once */
/* Entries of directory @path, or -1 */
static int dir_entries(const char *path)
{
	struct dirent *de;
	int n = 0;
	DIR *d;

	d = opendir(path);
	if (!d)
		return -1;
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

/*
 * The companion refuses a device vfio-pci-core cannot serve: a PCI bridge
 * (header type 1) bound to it through driver_override gets EINVAL from
 * the bind write, is left without a driver, and no companion device is
 * left behind
 */
TEST(probe_refuses_bridge)
{
	char bdf[32] = "", path[128], val[64];
	struct ioasid_env env;
	struct dirent *de;
	bool found = false;
	int nr, nodes, rc;
	DIR *d;

	env_begin(&env);
	d = opendir("/sys/bus/pci/devices");
	ASSERT_NE(NULL, d);
	while (!found && (de = readdir(d))) {
		if (de->d_name[0] == '.' || strlen(de->d_name) >= sizeof(bdf))
			continue;
		strcpy(bdf, de->d_name);
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/class",
			 bdf);
		found = !sysfs_read(path, val, sizeof(val)) &&
			!strcmp(val, "0x060400") &&
			pci_dev_driver(bdf, val, sizeof(val));
	}
	closedir(d);
	ASSERT_TRUE(found) {
		TH_LOG("no PCI bridge without a driver");
	}
	nr = companion_count();
	nodes = dir_entries("/dev/vfio/devices");
	ASSERT_LT(0, nodes);

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override",
		 bdf);
	ASSERT_EQ(0, sysfs_write(path, COMPANION_NAME));
	rc = sysfs_write("/sys/bus/pci/drivers/" COMPANION_NAME "/bind", bdf);
	EXPECT_EQ(0, sysfs_write(path, "\n"));
	EXPECT_EQ(EINVAL, rc);
	EXPECT_NE(0, pci_dev_driver(bdf, val, sizeof(val))) {
		TH_LOG("%s is bound to %s", bdf, val);
	}
	EXPECT_EQ(nr, companion_count());
	EXPECT_EQ(nodes, dir_entries("/dev/vfio/devices"));
	env_end(&env);
}

TEST(close_device_first)
{
	struct ioasid_counters before, now;
	struct ioasid_env env;
	struct vdev_info info;
	struct bound_dev b;
	int fd2, dfd2;
	__u32 pt;
	char *buf;

	env_begin(&env);
	ASSERT_EQ(0, find_dev(DEV_EDU, 1, &info));
	buf = alloc_buffer(BUF_LEN, PSZ, 0);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, read_counters(&before));
	ASSERT_EQ(0, bound_dev_open(&b, info.cdev, buf, true));
	ASSERT_EQ(0, edu_roundtrip(&b.edu, buf, 4));
	ASSERT_EQ(0, read_counters(&now));
	EXPECT_EQ(before.groups + 1, now.groups);
	EXPECT_EQ(before.domains + 1, now.domains);
	EXPECT_EQ(before.pinned + BUF_LEN / PSZ, now.pinned);
	/* IOAS, DEVICE, HWPT */
	EXPECT_EQ(before.objects + 3, now.objects);

	edu_teardown(&b.edu);
	close(b.dfd);
	b.dfd = -1;
	ASSERT_EQ(0, read_counters(&now));
	EXPECT_EQ(before.groups, now.groups);
	EXPECT_EQ(before.domains, now.domains);
	EXPECT_EQ(before.objects + 1, now.objects);
	/* No domain left to map into: nothing stays pinned */
	EXPECT_EQ(before.pinned, now.pinned);
	EXPECT_EQ(ENOENT, destroy_obj(b.fd, b.devid));
	EXPECT_EQ(ENOENT, destroy_obj(b.fd, b.hwpt));

	/* The group's DMA is free for another context at once */
	fd2 = ioasid_open();
	ASSERT_LE(0, fd2);
	dfd2 = open(info.cdev, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, dfd2);
	EXPECT_EQ(0, dev_bind(dfd2, fd2, NULL));
	close(dfd2);
	close(fd2);

	/* The IOAS kept its mapping: attached again, the device uses it */
	b.dfd = dev_open_bound(info.cdev, b.fd, NULL);
	ASSERT_LE(0, b.dfd);
	pt = b.ioas;
	ASSERT_EQ(0, dev_attach(b.dfd, &pt));
	ASSERT_EQ(0, edu_setup(&b.edu, b.dfd));
	EXPECT_EQ(0, edu_roundtrip(&b.edu, buf, 5));
	ASSERT_EQ(0, read_counters(&now));
	EXPECT_EQ(before.pinned + BUF_LEN / PSZ, now.pinned);
	bound_dev_close(&b);
	env_end(&env);
	munmap(buf, BUF_LEN);
}

/*
 * Closing the ioasid fd first: the bound device keeps the context, its
 * mapping and its domain; DMA, DETACH and ATTACH go on working.
 */
TEST(close_ioasid_first)
{
	struct ioasid_counters before, now;
	struct ioasid_env env;
	struct vdev_info info;
	struct bound_dev b;
	__u32 pt;
	char *buf;
	int i;

	env_begin(&env);
	ASSERT_EQ(0, find_dev(DEV_EDU, 1, &info));
	buf = alloc_buffer(BUF_LEN, PSZ, 0);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, read_counters(&before));
	ASSERT_EQ(0, bound_dev_open(&b, info.cdev, buf, false));
	close(b.fd);
	b.fd = -1;
	ASSERT_EQ(0, read_counters(&now));
	EXPECT_EQ(before.contexts + 1, now.contexts);
	EXPECT_EQ(before.objects + 3, now.objects);
	EXPECT_EQ(before.pinned + BUF_LEN / PSZ, now.pinned);
	EXPECT_EQ(before.groups + 1, now.groups);
	EXPECT_EQ(before.domains + 1, now.domains);

	/* The device still DMAs into the mapped buffer */
	EXPECT_EQ(0, edu_roundtrip(&b.edu, buf, 5));
	EXPECT_EQ(0, edu_roundtrip(&b.edu, buf, 6));

	/* Detached: the device's writes go nowhere */
	ASSERT_EQ(0, dev_detach(b.dfd));
	memset(buf + 3 * PSZ, 0, XFER);
	ASSERT_EQ(0, edu_dma(&b.edu, IOVA_A + 3 * PSZ, 0, XFER, true));
	for (i = 0; i != XFER; i++)
		if (buf[3 * PSZ + i])
			break;
	EXPECT_EQ(XFER, i);
	/* Attached again by the IOAS's ID in the orphaned context */
	pt = b.ioas;
	ASSERT_EQ(0, dev_attach(b.dfd, &pt));
	EXPECT_EQ(0, edu_roundtrip(&b.edu, buf, 7));

	edu_teardown(&b.edu);
	close(b.dfd);
	b.dfd = -1;
	ASSERT_EQ(0, read_counters(&now));
	EXPECT_EQ(before.contexts, now.contexts);
	EXPECT_EQ(before.pinned, now.pinned);
	env_end(&env);
	munmap(buf, BUF_LEN);
}

/* A process exiting with everything open, fds closed in either order */
TEST(exit_with_fds_open)
{
	struct ioasid_counters before, now;
	struct ioasid_env env;
	struct vdev_info info;
	int order, status, fd, dfd;
	char *buf;
	pid_t pid;

	env_begin(&env);
	ASSERT_EQ(0, find_dev(DEV_EDU, 1, &info));
	ASSERT_EQ(0, read_counters(&before));
	for (order = 0; order != 2; order++) {
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid) {
			struct bound_dev b;

			buf = alloc_buffer(BUF_LEN, PSZ, 0);
			if (!buf)
				_exit(1);
			if (bound_dev_open(&b, info.cdev, buf, order))
				_exit(2);
			if (edu_roundtrip(&b.edu, buf, 8 + order))
				_exit(3);
			/* exit closes the lower fd first */
			if ((b.fd < b.dfd) != order)
				_exit(4);
			_exit(0);
		}
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		ASSERT_TRUE(WIFEXITED(status));
		EXPECT_EQ(0, WEXITSTATUS(status));
		ASSERT_EQ(0, read_counters(&now));
		EXPECT_EQ(before.contexts, now.contexts);
		EXPECT_EQ(before.objects, now.objects);
		EXPECT_EQ(before.pinned, now.pinned);
		EXPECT_EQ(before.groups, now.groups);
		EXPECT_EQ(before.domains, now.domains);
	}
	/* Nothing of the children holds the device */
	fd = ioasid_open();
	ASSERT_LE(0, fd);
	dfd = open(info.cdev, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, dfd);
	EXPECT_EQ(0, dev_bind(dfd, fd, NULL));
	close(dfd);
	close(fd);
	env_end(&env);
}

/* Objects a bound device uses cannot be destroyed under it */
TEST(destroy_busy)
{
	struct ioasid_env env;
	struct vdev_info info;
	struct bound_dev b;
	char *buf;

	env_begin(&env);
	ASSERT_EQ(0, find_dev(DEV_EDU, 1, &info));
	buf = alloc_buffer(BUF_LEN, PSZ, 0);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, bound_dev_open(&b, info.cdev, buf, true));
	EXPECT_NE(b.ioas, b.hwpt);
	EXPECT_EQ(EBUSY, destroy_obj(b.fd, b.devid));
	EXPECT_EQ(EBUSY, destroy_obj(b.fd, b.ioas));
	EXPECT_EQ(EBUSY, destroy_obj(b.fd, b.hwpt));
	/* The failed destroys changed nothing */
	EXPECT_EQ(0, edu_roundtrip(&b.edu, buf, 10));

	/* Detached: the auto HWPT is gone, the IOAS free; DEVICE stays busy */
	ASSERT_EQ(0, dev_detach(b.dfd));
	EXPECT_EQ(ENOENT, destroy_obj(b.fd, b.hwpt));
	EXPECT_EQ(EBUSY, destroy_obj(b.fd, b.devid));
	EXPECT_EQ(0, destroy_obj(b.fd, b.ioas));
	EXPECT_EQ(ENOENT, destroy_obj(b.fd, b.ioas));
	/* Only closing the device fd releases the DEVICE */
	edu_teardown(&b.edu);
	close(b.dfd);
	b.dfd = -1;
	EXPECT_EQ(ENOENT, destroy_obj(b.fd, b.devid));
	bound_dev_close(&b);
	env_end(&env);
	munmap(buf, BUF_LEN);
}

/* ============================================ unbind and removal */

/*
 * The second root-bus edu, bound and attached, BAR0 mapped, with a request
 * eventfd.  The teardown closes everything, waits for a pending unbind or
 * removal and binds the device back to the companion.
 */
FIXTURE(unplug) {
	struct ioasid_env env;
	struct vdev_info info;
	struct sysfs_writer writer;
	struct edu edu;
	int fd, dfd, dfd2, efd;
	__u32 ioas;
	char *buf;
};

FIXTURE_SETUP(unplug)
{
	__u32 pt;

	self->fd = self->dfd = self->dfd2 = self->efd = -1;
	env_begin(&self->env);
	/* Whatever an earlier, killed test left unbound */
	ASSERT_EQ(0, companion_restore_all());
	ASSERT_EQ(0, find_dev(DEV_EDU, 1, &self->info));
	self->buf = alloc_buffer(BUF_LEN, PSZ, 0);
	ASSERT_NE(NULL, self->buf);
	self->fd = ioasid_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, ioas_alloc(self->fd, &self->ioas));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, self->buf, BUF_LEN,
			      IOVA_A));
	self->dfd = dev_open_bound(self->info.cdev, self->fd, NULL);
	ASSERT_LE(0, self->dfd);
	pt = self->ioas;
	ASSERT_EQ(0, dev_attach(self->dfd, &pt));
	ASSERT_EQ(0, edu_setup(&self->edu, self->dfd));
	self->efd = efd_new();
	ASSERT_LE(0, self->efd);
	ASSERT_EQ(0, set_irq_eventfds(self->dfd, VFIO_PCI_REQ_IRQ_INDEX, 0, 1,
				      &self->efd));
}

FIXTURE_TEARDOWN(unplug)
{
	edu_teardown(&self->edu);
	if (self->dfd >= 0)
		close(self->dfd);
	if (self->dfd2 >= 0)
		close(self->dfd2);
	if (self->fd >= 0)
		close(self->fd);
	if (self->efd >= 0)
		close(self->efd);
	EXPECT_TRUE(sysfs_writer_wait(&self->writer, 15000));
	EXPECT_EQ(0, companion_restore(self->info.bdf));
	EXPECT_EQ(COMPANION_NR_DEVICES, companion_count());
	env_end(&self->env);
	if (self->buf)
		munmap(self->buf, BUF_LEN);
}

/* Open, bind and attach the device at @bdf to @ioas of @fd; DMA works */
static int fresh_user(const char *bdf, int fd, __u32 ioas, char *buf)
{
	struct vdev_info info;
	struct edu e = {};
	int dfd, rc;
	__u32 pt = ioas;

	rc = vdev_info_by_bdf(bdf, &info);
	if (rc)
		return rc;
	dfd = open(info.cdev, O_RDWR | O_CLOEXEC);
	if (dfd < 0)
		return errno;
	rc = dev_bind(dfd, fd, NULL) ?: dev_attach(dfd, &pt) ?:
	     edu_setup(&e, dfd) ?: edu_roundtrip(&e, buf, 20);
	edu_teardown(&e);
	close(dfd);
	return rc;
}

/*
 * While the driver is unbinding or the device is being removed, the device
 * node must not give out new fds: upstream deletes the node before it
 * waits for the open ones, and vfio-ioasid-pci's open() answers ENODEV for
 * a device on its way out.  0 if the open failed (the errno is in *err); an
 * fd that did open is closed at once so that it cannot hold the removal up.
 */
static int open_during_removal(const char *cdev, int *err)
{
	int fd = open(cdev, O_RDWR | O_CLOEXEC);

	*err = errno;
	if (fd < 0)
		return 0;
	close(fd);
	return -1;
}

/*
 * Unbinding the driver waits for every open fd and mapping of the device,
 * asking the user through the request eventfd.  The device works until
 * then.
 */
TEST_F_TIMEOUT(unplug, driver_unbind, 120)
{
	const char *bdf = self->info.bdf;
	char drv[64], override[64], path[128];
	struct ioasid_counters now;
	struct vdev_info other;
	__u32 ioas2;
	int fd2, err;

	ASSERT_EQ(0, edu_roundtrip(&self->edu, self->buf, 11));
	/* A second fd, parked, holds the device as well */
	self->dfd2 = open(self->info.cdev, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->dfd2);

	ASSERT_EQ(0, sysfs_writer_start(&self->writer, COMPANION "/unbind",
					bdf));
	/* Asked once to give the device back */
	ASSERT_EQ(1, efd_wait(self->efd, 5000));
	EXPECT_FALSE(sysfs_writer_done(&self->writer));

	/* No new users; the bound fd keeps working */
	EXPECT_EQ(0, open_during_removal(self->info.cdev, &err));
	EXPECT_EQ(ENODEV, err);
	edu_w32(&self->edu, EDU_LIVENESS, 0x600df00d);
	EXPECT_EQ(~0x600df00dU, edu_r32(&self->edu, EDU_LIVENESS));
	EXPECT_EQ(0, edu_roundtrip(&self->edu, self->buf, 12));

	/* Closed, but BAR0 is still mapped: the file and its binding live */
	close(self->dfd);
	self->dfd = -1;
	usleep(300 * 1000);
	EXPECT_FALSE(sysfs_writer_done(&self->writer));
	ASSERT_EQ(0, read_counters(&now));
	EXPECT_EQ(self->env.start.groups + 1, now.groups);
	EXPECT_EQ(self->env.start.domains + 1, now.domains);
	/* Unmapped: released and unbound from the context */
	edu_teardown(&self->edu);
	ASSERT_EQ(0, read_counters(&now));
	EXPECT_EQ(self->env.start.groups, now.groups);
	EXPECT_EQ(self->env.start.domains, now.domains);
	/* The parked fd holds the device still */
	usleep(300 * 1000);
	EXPECT_FALSE(sysfs_writer_done(&self->writer));
	close(self->dfd2);
	self->dfd2 = -1;

	ASSERT_TRUE(sysfs_writer_wait(&self->writer, 10000));
	EXPECT_EQ(0, self->writer.rc);
	/* Asked only once */
	EXPECT_EQ(0, efd_take(self->efd));
	EXPECT_TRUE(pci_dev_present(bdf));
	EXPECT_EQ(ENOENT, pci_dev_driver(bdf, drv, sizeof(drv)));
	EXPECT_NE(0, access(self->info.cdev, F_OK));
	/* Only one root-bus edu is left with the companion */
	EXPECT_EQ(ENODEV, find_dev(DEV_EDU, 1, &other));

	/* driver_override survives the unbind: probing binds it again */
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override",
		 bdf);
	ASSERT_EQ(0, sysfs_read(path, override, sizeof(override)));
	EXPECT_STREQ(COMPANION_NAME, override);
	ASSERT_EQ(0, sysfs_write("/sys/bus/pci/drivers_probe", bdf));
	ASSERT_TRUE(companion_bound(bdf));
	/* A new user of the old context gets working DMA */
	EXPECT_EQ(0, fresh_user(bdf, self->fd, self->ioas, self->buf));
	/* And one of a new context */
	fd2 = ioasid_open();
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, ioas_alloc(fd2, &ioas2));
	ASSERT_EQ(0, ioas_map(fd2, ioas2, self->buf, BUF_LEN, IOVA_A));
	EXPECT_EQ(0, fresh_user(bdf, fd2, ioas2, self->buf));
	close(fd2);
}

/*
 * Removing the PCI device works the same way; a rescan brings a new
 * device back without driver_override, which has to be set again.
 */
TEST_F_TIMEOUT(unplug, pci_remove, 120)
{
	const char *bdf = self->info.bdf;
	char path[128], override[64];
	struct ioasid_counters now;
	__u32 ioas2;
	int fd2, err;

	ASSERT_EQ(0, edu_roundtrip(&self->edu, self->buf, 13));
	/* The device alone keeps the context alive */
	close(self->fd);
	self->fd = -1;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/remove", bdf);
	ASSERT_EQ(0, sysfs_writer_start(&self->writer, path, "1"));
	ASSERT_EQ(1, efd_wait(self->efd, 5000));
	EXPECT_FALSE(sysfs_writer_done(&self->writer));
	EXPECT_EQ(0, open_during_removal(self->info.cdev, &err));
	EXPECT_EQ(ENODEV, err);
	EXPECT_EQ(0, edu_roundtrip(&self->edu, self->buf, 14));
	ASSERT_EQ(0, read_counters(&now));
	EXPECT_EQ(self->env.start.contexts + 1, now.contexts);

	edu_teardown(&self->edu);
	close(self->dfd);
	self->dfd = -1;
	ASSERT_TRUE(sysfs_writer_wait(&self->writer, 10000));
	EXPECT_EQ(0, self->writer.rc);
	EXPECT_EQ(0, efd_take(self->efd));
	EXPECT_FALSE(pci_dev_present(bdf));
	EXPECT_NE(0, access(self->info.cdev, F_OK));
	/* The context went with the device */
	ASSERT_EQ(0, read_counters(&now));
	EXPECT_EQ(self->env.start.contexts, now.contexts);
	EXPECT_EQ(self->env.start.pinned, now.pinned);
	EXPECT_EQ(self->env.start.groups, now.groups);

	/* A rescan finds the device again, with no driver_override */
	ASSERT_EQ(0, sysfs_write("/sys/bus/pci/rescan", "1"));
	ASSERT_TRUE(pci_dev_present(bdf));
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override",
		 bdf);
	ASSERT_EQ(0, sysfs_read(path, override, sizeof(override)));
	EXPECT_STREQ("(null)", override);
	EXPECT_FALSE(companion_bound(bdf));
	ASSERT_EQ(0, sysfs_write(path, COMPANION_NAME));
	ASSERT_EQ(0, sysfs_write("/sys/bus/pci/drivers_probe", bdf));
	ASSERT_TRUE(companion_bound(bdf));

	fd2 = ioasid_open();
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, ioas_alloc(fd2, &ioas2));
	ASSERT_EQ(0, ioas_map(fd2, ioas2, self->buf, BUF_LEN, IOVA_A));
	EXPECT_EQ(0, fresh_user(bdf, fd2, ioas2, self->buf));
	close(fd2);
}

TEST_HARNESS_MAIN
