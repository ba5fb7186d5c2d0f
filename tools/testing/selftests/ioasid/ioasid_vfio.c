// SPDX-License-Identifier: GPL-2.0-only
/*
 * The companion driver with real DMA: edu devices bound to vfio-ioasid-pci
 * move bytes through the emulated VT-d or AMD-Vi domains that /dev/ioasid
 * manages.  Also the parked fd, BIND errors, DMA ownership and ATTACH.
 */
#include "vfio_utils.h"

/* Below edu's 28-bit DMA mask, above the first MiB */
#define IOVA_A 0x100000ULL
#define IOVA_B 0x200000ULL
#define BUF_LEN (4 * PSZ)
#define XFER 2048

static void fill(void *p, size_t len, unsigned int seed)
{
	unsigned char *c = p;
	size_t i;

	for (i = 0; i != len; i++)
		c[i] = (unsigned char)(i * 7 + seed + (i >> 9));
}

FIXTURE(dma) {
	int fd;
	int dfd;
	__u32 ioas, devid, hwpt;
	struct edu edu;
	char *buf;
	struct vdev_info info;
	struct ioasid_env env;
};

FIXTURE_SETUP(dma)
{
	self->dfd = -1;
	env_begin(&self->env);
	ASSERT_EQ(0, find_dev(DEV_EDU, 0, &self->info));
	self->fd = ioasid_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, ioas_alloc(self->fd, &self->ioas));
	self->dfd = open(self->info.cdev, O_RDWR);
	ASSERT_LE(0, self->dfd);
	ASSERT_EQ(0, dev_bind(self->dfd, self->fd, &self->devid));
	self->hwpt = self->ioas;
	ASSERT_EQ(0, dev_attach(self->dfd, &self->hwpt));
	ASSERT_EQ(0, edu_setup(&self->edu, self->dfd));
	self->buf = alloc_buffer(BUF_LEN, PSZ, 0);
	ASSERT_NE(NULL, self->buf);
}

FIXTURE_TEARDOWN(dma)
{
	edu_teardown(&self->edu);
	if (self->dfd >= 0)
		close(self->dfd);
	if (self->fd >= 0)
		close(self->fd);
	env_end(&self->env);
	if (self->buf)
		munmap(self->buf, BUF_LEN);
}

/* RAM -> device -> RAM through mapped IOVAs moves the right bytes */
TEST_F(dma, roundtrip)
{
	char *src = self->buf, *dst = self->buf + 2 * PSZ;

	fill(src, XFER, 1);
	memset(dst, 0, XFER);
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, self->buf, BUF_LEN,
			      IOVA_A));
	ASSERT_EQ(0, edu_dma(&self->edu, IOVA_A, 0, XFER, false));
	ASSERT_EQ(0, edu_dma(&self->edu, IOVA_A + 2 * PSZ, 0, XFER, true));
	EXPECT_EQ(0, memcmp(src, dst, XFER));
	EXPECT_NE(self->ioas, self->hwpt);
}

TEST_HARNESS_MAIN
