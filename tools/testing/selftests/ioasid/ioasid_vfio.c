// SPDX-License-Identifier: GPL-2.0-only
/*
 * The companion driver with real DMA: edu devices bound to vfio-ioasid-pci
 * move bytes through the emulated VT-d or AMD-Vi domains that /dev/ioasid
 * manages.  Also the parked fd, BIND errors, DMA ownership and ATTACH.
 */
#include <pthread.h>

#include "vfio_utils.h"

/* Below edu's 28-bit DMA mask, above the first MiB */
#define IOVA_A 0x100000ULL
#define IOVA_B 0x200000ULL
#define BUF_LEN (4 * PSZ)
#define XFER 2048

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
	self->dfd = dev_open_bound(self->info.cdev, self->fd, &self->devid);
	ASSERT_LE(0, self->dfd);
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

	fill_pattern(src, XFER, 1);
	memset(dst, 0, XFER);
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, self->buf, BUF_LEN,
			      IOVA_A));
	ASSERT_EQ(0, edu_copy(&self->edu, IOVA_A, IOVA_A + 2 * PSZ, XFER));
	EXPECT_EQ(0, memcmp(src, dst, XFER));
	EXPECT_NE(self->ioas, self->hwpt);
}


/* A device write to an unmapped IOVA leaves memory alone */
TEST_F(dma, unmapped_iova)
{
	int kfd = kmsg_open();
	size_t i, bad = 0;

	ASSERT_LE(0, kfd);
	memset(self->buf, 0, BUF_LEN);
	fill_pattern(self->buf, XFER, 2);
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, self->buf, 2 * PSZ,
			      IOVA_A));
	/* Load the device buffer, then write it where nothing is mapped */
	ASSERT_EQ(0, edu_copy(&self->edu, IOVA_A, IOVA_B, XFER));
	for (i = PSZ; i != BUF_LEN; i++)
		bad += self->buf[i] != 0;
	EXPECT_EQ(0, bad);
	/* VT-d reports the fault; QEMU's AMD-Vi drops it silently */
	if (vm_is_intel())
		EXPECT_TRUE(kmsg_wait(kfd, "DMAR: [DMA Write", 2000));
	/* The device had the data: a mapped IOVA gets it */
	ASSERT_EQ(0, edu_dma(&self->edu, IOVA_A + PSZ, 0, XFER, true));
	EXPECT_EQ(0, memcmp(self->buf, self->buf + PSZ, XFER));
	close(kfd);
}

/* A read-only mapping can be read by the device but not written */
TEST_F(dma, readonly_mapping)
{
	char *ro = self->buf, *rw = self->buf + 2 * PSZ;
	int kfd = kmsg_open();
	__u64 iova = IOVA_A;
	char want[XFER];

	ASSERT_LE(0, kfd);
	fill_pattern(ro, XFER, 3);
	memcpy(want, ro, XFER);
	fill_pattern(rw, XFER, 4);
	ASSERT_EQ(0, ioas_map_flags(self->fd, self->ioas, ro, 2 * PSZ,
				    &iova, IOMMU_IOAS_MAP_FIXED_IOVA |
				    IOMMU_IOAS_MAP_READABLE));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, rw, 2 * PSZ, IOVA_B));
	/*
	 * The write first: QEMU's VT-d reports a permission fault only on a
	 * page walk, not when a read has cached the translation.
	 */
	ASSERT_EQ(0, edu_copy(&self->edu, IOVA_B, IOVA_A, XFER));
	EXPECT_EQ(0, memcmp(ro, want, XFER));
	if (vm_is_intel())
		EXPECT_TRUE(kmsg_wait(kfd, "DMAR: [DMA Write", 2000));
	/* Reading it works */
	ASSERT_EQ(0, edu_copy(&self->edu, IOVA_A, IOVA_B, XFER));
	EXPECT_EQ(0, memcmp(rw, want, XFER));
	close(kfd);
}

/* After UNMAP the IOVA no longer reaches the old page */
TEST_F(dma, after_unmap)
{
	char *page = self->buf;
	char *other = self->buf + 2 * PSZ;
	char want[XFER];

	fill_pattern(page, XFER, 5);
	memcpy(want, page, XFER);
	fill_pattern(other, XFER, 6);
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, other, PSZ, IOVA_B));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, page, PSZ, IOVA_A));
	ASSERT_EQ(0, edu_dma(&self->edu, IOVA_B, 0, XFER, false));
	EXPECT_EQ(0, ioas_unmap(self->fd, self->ioas, IOVA_A, PSZ, NULL));
	ASSERT_EQ(0, edu_dma(&self->edu, IOVA_A, 0, XFER, true));
	EXPECT_EQ(0, memcmp(page, want, XFER));
	/* Mapped again, elsewhere in memory: the new page gets the data */
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, self->buf + PSZ, PSZ,
			      IOVA_A));
	ASSERT_EQ(0, edu_dma(&self->edu, IOVA_A, 0, XFER, true));
	EXPECT_EQ(0, memcmp(self->buf + PSZ, other, XFER));
	EXPECT_EQ(0, memcmp(page, want, XFER));
}

/*
 * One UNMAP of many small adjacent mappings syncs the IOTLB once per
 * domain, not once per mapping, and still flushes: an IOVA whose
 * translation the IOMMU had cached no longer reaches the old page.
 */
TEST_F(dma, unmap_many_one_sync)
{
	const size_t n = 256, len = n * PSZ;
	char *big = alloc_buffer(len, PSZ, 0), want[XFER];
	__u64 last_iova = IOVA_A + len - PSZ;
	long before, after;
	int probe;
	size_t i;

	ASSERT_NE(NULL, big);
	for (i = 0; i != n; i++)
		ASSERT_EQ(0, ioas_map(self->fd, self->ioas, big + i * PSZ, PSZ,
				      IOVA_A + i * PSZ));
	fill_pattern(big + len - PSZ, XFER, 7);
	memcpy(want, big + len - PSZ, XFER);
	/* The device reads through the last page: its IOTLB entry is cached */
	ASSERT_EQ(0, edu_dma(&self->edu, last_iova, 0, XFER, false));
	fill_pattern(self->buf, XFER, 8);
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, self->buf, PSZ,
			      IOVA_A + len));
	ASSERT_EQ(0, edu_dma(&self->edu, IOVA_A + len, 0, XFER, false));

	/* The debug kernel has no kprobes: there only the flush is checked */
	probe = iotlb_probe_arm();
	if (probe)
		TH_LOG("no kprobe events (%s): IOTLB syncs not counted",
		       strerror(probe));
	before = iotlb_probe_hits();
	EXPECT_EQ(0, ioas_unmap(self->fd, self->ioas, IOVA_A, len, NULL));
	after = iotlb_probe_hits();
	if (!probe) {
		iotlb_probe_disarm();
		ASSERT_LE(0, before);
		EXPECT_EQ(1, after - before) {
			TH_LOG("%ld IOTLB syncs for one UNMAP of %zu mappings",
			       after - before, n);
		}
	}
	/*
	 * Flushed: the device's write through the old IOVA goes nowhere.
	 * QEMU's VT-d uses a cached translation until it is invalidated, so
	 * there this fails without the sync; QEMU 7.2's AMD-Vi walks again.
	 */
	ASSERT_EQ(0, edu_dma(&self->edu, last_iova, 0, XFER, true));
	EXPECT_EQ(0, memcmp(big + len - PSZ, want, XFER));
	munmap(big, len);
}

/* DETACH blocks DMA, a new ATTACH restores it, replace switches IOAS */
TEST_F(dma, detach_and_replace)
{
	__u32 ioas2, hwpt2 = 0, old = self->hwpt;
	char *a = self->buf, *b = self->buf + PSZ;

	memset(self->buf, 0, BUF_LEN);
	fill_pattern(self->buf + 2 * PSZ, XFER, 7);
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, self->buf, BUF_LEN,
			      IOVA_A));
	ASSERT_EQ(0, edu_dma(&self->edu, IOVA_A + 2 * PSZ, 0, XFER, false));

	ASSERT_EQ(0, dev_detach(self->dfd));
	EXPECT_EQ(0, dev_detach(self->dfd));
	/* The automatic HWPT went with its last device */
	EXPECT_EQ(ENOENT, destroy_obj(self->fd, old));
	ASSERT_EQ(0, edu_dma(&self->edu, IOVA_A, 0, XFER, true));
	EXPECT_EQ(0, a[0] | a[XFER / 2] | a[XFER - 1]);

	self->hwpt = self->ioas;
	ASSERT_EQ(0, dev_attach(self->dfd, &self->hwpt));
	ASSERT_EQ(0, edu_dma(&self->edu, IOVA_A, 0, XFER, true));
	EXPECT_EQ(0, memcmp(a, self->buf + 2 * PSZ, XFER));

	/* Replace: the same IOVA now means another page */
	ASSERT_EQ(0, ioas_alloc(self->fd, &ioas2));
	ASSERT_EQ(0, ioas_map(self->fd, ioas2, b, PSZ, IOVA_A));
	hwpt2 = ioas2;
	ASSERT_EQ(0, dev_attach(self->dfd, &hwpt2));
	EXPECT_NE(ioas2, hwpt2);
	EXPECT_EQ(ENOENT, destroy_obj(self->fd, self->hwpt));
	ASSERT_EQ(0, edu_dma(&self->edu, IOVA_A, 0, XFER, true));
	EXPECT_EQ(0, memcmp(b, self->buf + 2 * PSZ, XFER));
	/* The first IOAS is free to go, the second is busy */
	EXPECT_EQ(EBUSY, destroy_obj(self->fd, ioas2));
	EXPECT_EQ(EBUSY, destroy_obj(self->fd, hwpt2));
	EXPECT_EQ(0, dev_detach(self->dfd));
	EXPECT_EQ(0, destroy_obj(self->fd, ioas2));
}

/* ATTACH and DETACH argument checks */
TEST_F(dma, attach_errors)
{
	struct vfio_device_attach_iommufd_pt at = {
		.argsz = sizeof(at), .pt_id = self->ioas,
	};
	struct vfio_device_detach_iommufd_pt de = { .argsz = sizeof(de) };
	struct vfio_device_attach_iommufd_pt *ro;
	__u32 id, same = self->hwpt;

	at.argsz = sizeof(at) - 1;
	EXPECT_EQ(EINVAL, xioctl(self->dfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT,
				 &at));
	at.argsz = sizeof(at);
	at.flags = 1;
	EXPECT_EQ(EINVAL, xioctl(self->dfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT,
				 &at));
	de.argsz = sizeof(de) - 1;
	EXPECT_EQ(EINVAL, xioctl(self->dfd, VFIO_DEVICE_DETACH_IOMMUFD_PT,
				 &de));
	de.argsz = sizeof(de);
	de.flags = 1;
	EXPECT_EQ(EINVAL, xioctl(self->dfd, VFIO_DEVICE_DETACH_IOMMUFD_PT,
				 &de));
	EXPECT_EQ(EFAULT, xioctl(self->dfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT,
				 NULL));

	id = 0xdead;
	EXPECT_EQ(ENOENT, dev_attach(self->dfd, &id));
	id = self->devid;
	EXPECT_EQ(EINVAL, dev_attach(self->dfd, &id));
	/* Failed attaches left the device where it was */
	EXPECT_EQ(EBUSY, destroy_obj(self->fd, self->hwpt));
	/* Attaching to its own HWPT changes nothing */
	ASSERT_EQ(0, dev_attach(self->dfd, &same));
	EXPECT_EQ(self->hwpt, same);

	EXPECT_EQ(EBUSY, destroy_obj(self->fd, self->devid));
	EXPECT_EQ(EBUSY, destroy_obj(self->fd, self->ioas));

	/* pt_id cannot be written back: EFAULT and not attached */
	ro = mmap(NULL, PSZ, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	*ro = (struct vfio_device_attach_iommufd_pt){
		.argsz = sizeof(*ro), .pt_id = self->ioas,
	};
	ASSERT_EQ(0, mprotect(ro, PSZ, PROT_READ));
	ASSERT_EQ(0, dev_detach(self->dfd));
	EXPECT_EQ(EFAULT, xioctl(self->dfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT,
				 ro));
	EXPECT_EQ(0, destroy_obj(self->fd, self->ioas));
	munmap(ro, PSZ);
}

/* ------------------------------------------------------------ one IOAS */

/* Parse /sys/kernel/iommu_groups/N/reserved_regions */
static int group_reserved(int group, struct iommu_iova_range *r, int max)
{
	char path[128], line[256];
	unsigned long long s, e;
	int n = 0;
	FILE *f;

	snprintf(path, sizeof(path),
		 "/sys/kernel/iommu_groups/%d/reserved_regions", group);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (n < max && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx %llx", &s, &e) != 2)
			continue;
		r[n].start = s;
		r[n].last = e;
		n++;
	}
	fclose(f);
	return n;
}

static int cmp_range(const void *a, const void *b)
{
	const struct iommu_iova_range *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* IOVA_RANGES is the aperture minus every reserved region of the group */
TEST(iova_ranges)
{
	struct iommu_iova_range resv[16], want[18], got[18];
	__u64 ap_last, align = 0, pos;
	struct vdev_info info;
	struct ioasid_env env;
	int fd, dfd, nresv, nwant = 0, i;
	__u32 ioas, pt, num = 18;

	env_begin(&env);
	ASSERT_EQ(0, find_dev(DEV_EDU, 0, &info));
	fd = ioasid_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioas_alloc(fd, &ioas));
	dfd = dev_open_bound(info.cdev, fd, NULL);
	ASSERT_LE(0, dfd);
	pt = ioas;
	ASSERT_EQ(0, dev_attach(dfd, &pt));

	/* QEMU's VT-d has 39 address bits; AMD-Vi domains take all 64 */
	ap_last = vm_is_intel() ? (1ULL << 39) - 1 : UINT64_MAX;
	nresv = group_reserved(info.group, resv, 16);
	ASSERT_LE(1, nresv);
	qsort(resv, nresv, sizeof(resv[0]), cmp_range);
	pos = 0;
	for (i = 0; i != nresv && pos <= ap_last; i++) {
		TH_LOG("reserved 0x%llx-0x%llx", (unsigned long long)resv[i].start,
		       (unsigned long long)resv[i].last);
		if (resv[i].start > pos)
			want[nwant++] = (struct iommu_iova_range){
				pos, (resv[i].start - 1 < ap_last ?
				      resv[i].start - 1 : ap_last) };
		if (resv[i].last >= pos)
			pos = resv[i].last + 1;
		if (!pos)
			break;
	}
	if (pos && pos <= ap_last)
		want[nwant++] = (struct iommu_iova_range){ pos, ap_last };

	ASSERT_EQ(0, ioas_ranges(fd, ioas, got, &num, &align));
	EXPECT_EQ(PSZ, align);
	ASSERT_EQ(nwant, num);
	for (i = 0; i != nwant; i++) {
		TH_LOG("range 0x%llx-0x%llx", (unsigned long long)got[i].start,
		       (unsigned long long)got[i].last);
		EXPECT_EQ(want[i].start, got[i].start);
		EXPECT_EQ(want[i].last, got[i].last);
	}
	/* The x86 MSI window is never usable */
	for (i = 0; i != num; i++)
		EXPECT_FALSE(got[i].start <= 0xfee00000ULL &&
			     got[i].last >= 0xfee00000ULL);

	/* After the detach the IOAS is the whole space again */
	ASSERT_EQ(0, dev_detach(dfd));
	num = 18;
	ASSERT_EQ(0, ioas_ranges(fd, ioas, got, &num, &align));
	EXPECT_EQ(1, num);
	EXPECT_EQ(0, got[0].start);
	EXPECT_EQ(UINT64_MAX, got[0].last);
	EXPECT_EQ(1, align);
	close(dfd);
	close(fd);
	env_end(&env);
}

/* Reserved regions and the aperture collide with mappings and allowances */
TEST(reserved_collisions)
{
	struct iommu_iova_range allow = { 0x1000000, 0xffffffff };
	struct vdev_info info;
	struct ioasid_env env;
	int fd, dfd;
	__u32 ioas, pt;
	void *buf;

	env_begin(&env);
	ASSERT_EQ(0, find_dev(DEV_EDU, 0, &info));
	buf = alloc_buffer(PSZ, PSZ, 0);
	ASSERT_NE(NULL, buf);
	fd = ioasid_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioas_alloc(fd, &ioas));
	dfd = dev_open_bound(info.cdev, fd, NULL);
	ASSERT_LE(0, dfd);

	/* A mapping in the MSI window keeps the device out */
	ASSERT_EQ(0, ioas_map(fd, ioas, buf, PSZ, 0xfee00000ULL));
	pt = ioas;
	EXPECT_EQ(EADDRINUSE, dev_attach(dfd, &pt));
	EXPECT_EQ(0, ioas_unmap(fd, ioas, 0xfee00000ULL, PSZ, NULL));
	/* So does an allowed range that covers it */
	ASSERT_EQ(0, ioas_allow(fd, ioas, &allow, 1));
	pt = ioas;
	EXPECT_EQ(EADDRINUSE, dev_attach(dfd, &pt));
	ASSERT_EQ(0, ioas_allow(fd, ioas, NULL, 0));
	if (vm_is_intel()) {
		/* And a mapping beyond VT-d's 39-bit aperture */
		ASSERT_EQ(0, ioas_map(fd, ioas, buf, PSZ, 1ULL << 40));
		pt = ioas;
		EXPECT_EQ(EADDRINUSE, dev_attach(dfd, &pt));
		EXPECT_EQ(0, ioas_unmap(fd, ioas, 1ULL << 40, PSZ, NULL));
	}

	pt = ioas;
	ASSERT_EQ(0, dev_attach(dfd, &pt));
	/* Attached: the window cannot be mapped or allowed */
	EXPECT_EQ(EINVAL, ioas_map(fd, ioas, buf, PSZ, 0xfee00000ULL));
	EXPECT_EQ(EADDRINUSE, ioas_allow(fd, ioas, &allow, 1));
	close(dfd);
	/* Unbound by the close: the window is free */
	EXPECT_EQ(0, ioas_map(fd, ioas, buf, PSZ, 0xfee00000ULL));
	close(fd);
	env_end(&env);
	munmap(buf, PSZ);
}

/* Two devices in their own groups share one IOAS and its pages */
TEST(two_devices_one_ioas)
{
	struct ioasid_counters before, now;
	struct vdev_info i0, i1;
	struct edu e0 = {}, e1 = {};
	struct ioasid_env env;
	__u32 ioas, pt0, pt1;
	int fd, d0, d1;
	char *buf;

	env_begin(&env);
	ASSERT_EQ(0, find_dev(DEV_EDU, 0, &i0));
	ASSERT_EQ(0, find_dev(DEV_EDU, 1, &i1));
	ASSERT_NE(i0.group, i1.group);
	buf = alloc_buffer(BUF_LEN, PSZ, 0);
	ASSERT_NE(NULL, buf);
	fd = ioasid_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioas_alloc(fd, &ioas));
	d0 = dev_open_bound(i0.cdev, fd, NULL);
	ASSERT_LE(0, d0);
	d1 = dev_open_bound(i1.cdev, fd, NULL);
	ASSERT_LE(0, d1);
	ASSERT_EQ(0, read_counters(&before));
	ASSERT_EQ(0, ioas_map(fd, ioas, buf, BUF_LEN, IOVA_A));
	pt0 = pt1 = ioas;
	ASSERT_EQ(0, dev_attach(d0, &pt0));
	ASSERT_EQ(0, dev_attach(d1, &pt1));
	/* One IOMMU, one compatible domain: the automatic HWPT is shared */
	EXPECT_EQ(pt0, pt1);
	ASSERT_EQ(0, read_counters(&now));
	EXPECT_EQ(before.pinned + BUF_LEN / PSZ, now.pinned);
	EXPECT_EQ(before.domains + 1, now.domains);
	ASSERT_EQ(0, edu_setup(&e0, d0));
	ASSERT_EQ(0, edu_setup(&e1, d1));

	/* Device 0 writes what device 1 reads */
	memset(buf, 0, BUF_LEN);
	fill_pattern(buf, XFER, 8);
	ASSERT_EQ(0, edu_copy(&e0, IOVA_A, IOVA_A + PSZ, XFER));
	ASSERT_EQ(0, edu_copy(&e1, IOVA_A + PSZ, IOVA_A + 2 * PSZ, XFER));
	EXPECT_EQ(0, memcmp(buf, buf + 2 * PSZ, XFER));

	/* Device 0 leaves; device 1 keeps working */
	edu_teardown(&e0);
	close(d0);
	EXPECT_EQ(EBUSY, destroy_obj(fd, pt1));
	fill_pattern(buf + PSZ, XFER, 9);
	ASSERT_EQ(0, edu_copy(&e1, IOVA_A + PSZ, IOVA_A + 3 * PSZ, XFER));
	EXPECT_EQ(0, memcmp(buf + PSZ, buf + 3 * PSZ, XFER));
	edu_teardown(&e1);
	close(d1);
	EXPECT_EQ(ENOENT, destroy_obj(fd, pt1));
	close(fd);
	env_end(&env);
	munmap(buf, BUF_LEN);
}

/* Two IOASes sharing pages by COPY, one device each: pinned once */
TEST(copy_between_devices)
{
	struct ioasid_counters before, now;
	struct vdev_info i0, i1;
	struct edu e0 = {}, e1 = {};
	struct ioasid_env env;
	__u32 ioas0, ioas1, pt0, pt1;
	__u64 dst = IOVA_B;
	int fd, d0, d1;
	char *buf;

	env_begin(&env);
	ASSERT_EQ(0, find_dev(DEV_EDU, 0, &i0));
	ASSERT_EQ(0, find_dev(DEV_EDU, 1, &i1));
	buf = alloc_buffer(BUF_LEN, PSZ, 0);
	ASSERT_NE(NULL, buf);
	fd = ioasid_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioas_alloc(fd, &ioas0));
	ASSERT_EQ(0, ioas_alloc(fd, &ioas1));
	d0 = dev_open_bound(i0.cdev, fd, NULL);
	ASSERT_LE(0, d0);
	d1 = dev_open_bound(i1.cdev, fd, NULL);
	ASSERT_LE(0, d1);
	pt0 = ioas0;
	pt1 = ioas1;
	ASSERT_EQ(0, dev_attach(d0, &pt0));
	ASSERT_EQ(0, dev_attach(d1, &pt1));
	EXPECT_NE(pt0, pt1);
	ASSERT_EQ(0, read_counters(&before));
	ASSERT_EQ(0, ioas_map(fd, ioas0, buf, BUF_LEN, IOVA_A));
	ASSERT_EQ(0, ioas_copy(fd, ioas1, ioas0, IOVA_A, BUF_LEN, &dst,
			       MAP_FIXED_RW));
	ASSERT_EQ(0, read_counters(&now));
	EXPECT_EQ(before.pinned + BUF_LEN / PSZ, now.pinned);
	ASSERT_EQ(0, edu_setup(&e0, d0));
	ASSERT_EQ(0, edu_setup(&e1, d1));

	memset(buf, 0, BUF_LEN);
	fill_pattern(buf, XFER, 10);
	/* Device 0 at IOAS 0's IOVA, device 1 at IOAS 1's: one buffer */
	ASSERT_EQ(0, edu_copy(&e0, IOVA_A, IOVA_A + PSZ, XFER));
	ASSERT_EQ(0, edu_copy(&e1, IOVA_B + PSZ, IOVA_B + 2 * PSZ, XFER));
	EXPECT_EQ(0, memcmp(buf, buf + 2 * PSZ, XFER));
	edu_teardown(&e0);
	edu_teardown(&e1);
	close(d0);
	close(d1);
	close(fd);
	env_end(&env);
	munmap(buf, BUF_LEN);
}

/*
 * One IOAS, two domains (the real IOMMU's and a mock one): every mapping is
 * mirrored into both and each page pinned once.
 */
TEST(real_and_mock_domains)
{
	struct ioasid_counters before, now;
	struct vdev_info info;
	struct edu e = {};
	struct ioasid_env env;
	__u32 ioas, pt, mock_hwpt, stdev, id;
	int fd, dfd;
	char *buf;

	env_begin(&env);
	ASSERT_EQ(0, find_dev(DEV_EDU, 0, &info));
	buf = alloc_buffer(BUF_LEN, PSZ, 0);
	ASSERT_NE(NULL, buf);
	fd = ioasid_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioas_alloc(fd, &ioas));
	dfd = dev_open_bound(info.cdev, fd, NULL);
	ASSERT_LE(0, dfd);
	/* The mock's domain first: the real device must not reuse it */
	ASSERT_EQ(0, mock_domain(fd, ioas, &stdev, &mock_hwpt, NULL));
	pt = ioas;
	ASSERT_EQ(0, dev_attach(dfd, &pt));
	EXPECT_NE(pt, mock_hwpt);
	/* Nor can it be forced onto another IOMMU's domain */
	id = mock_hwpt;
	EXPECT_EQ(EINVAL, dev_attach(dfd, &id));
	EXPECT_EQ(EBUSY, destroy_obj(fd, pt));
	/* The mock aperture starts at 16 MiB: map above it, below 256 MiB */
	ASSERT_EQ(0, read_counters(&before));
	ASSERT_EQ(0, ioas_map(fd, ioas, buf, BUF_LEN, MOCK_APERTURE_START));
	ASSERT_EQ(0, read_counters(&now));
	EXPECT_EQ(before.pinned + BUF_LEN / PSZ, now.pinned);
	EXPECT_EQ(0, check_refs(fd, buf, BUF_LEN, 1));
	EXPECT_EQ(0, check_map(fd, mock_hwpt, MOCK_APERTURE_START, buf,
			       BUF_LEN));

	/* The real domain has the same pages */
	ASSERT_EQ(0, edu_setup(&e, dfd));
	memset(buf, 0, BUF_LEN);
	fill_pattern(buf, XFER, 12);
	ASSERT_EQ(0, edu_copy(&e, MOCK_APERTURE_START, MOCK_APERTURE_START + PSZ,
			      XFER));
	EXPECT_EQ(0, memcmp(buf, buf + PSZ, XFER));

	/* The mock leaves; the real domain keeps the mapping */
	ASSERT_EQ(0, destroy_obj(fd, stdev));
	EXPECT_EQ(0, check_refs(fd, buf, BUF_LEN, 1));
	fill_pattern(buf + 2 * PSZ, XFER, 13);
	ASSERT_EQ(0, edu_dma(&e, MOCK_APERTURE_START + 2 * PSZ, 0, XFER,
			     false));
	ASSERT_EQ(0, edu_dma(&e, MOCK_APERTURE_START + 3 * PSZ, 0, XFER,
			     true));
	EXPECT_EQ(0, memcmp(buf + 2 * PSZ, buf + 3 * PSZ, XFER));
	edu_teardown(&e);
	close(dfd);
	EXPECT_EQ(0, check_refs(fd, buf, BUF_LEN, 0));
	close(fd);
	env_end(&env);
	munmap(buf, BUF_LEN);
}

/* The process unmaps its memory while a device uses it: pins hold */
TEST(munmap_while_attached)
{
	struct ioasid_counters before, now;
	struct vdev_info info;
	struct edu e = {};
	struct ioasid_env env;
	__u32 ioas, pt;
	char *buf, *out;
	int fd, dfd;

	env_begin(&env);
	ASSERT_EQ(0, find_dev(DEV_EDU, 0, &info));
	buf = alloc_buffer(2 * PSZ, PSZ, 0);
	out = alloc_buffer(PSZ, PSZ, 0);
	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, out);
	fd = ioasid_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioas_alloc(fd, &ioas));
	dfd = dev_open_bound(info.cdev, fd, NULL);
	ASSERT_LE(0, dfd);
	pt = ioas;
	ASSERT_EQ(0, dev_attach(dfd, &pt));
	ASSERT_EQ(0, ioas_map(fd, ioas, buf, 2 * PSZ, IOVA_A));
	ASSERT_EQ(0, ioas_map(fd, ioas, out, PSZ, IOVA_B));
	ASSERT_EQ(0, edu_setup(&e, dfd));
	fill_pattern(buf, XFER, 14);
	ASSERT_EQ(0, read_counters(&before));
	ASSERT_EQ(0, munmap(buf, 2 * PSZ));

	/* The device still reads what was there, from the pinned pages */
	ASSERT_EQ(0, edu_copy(&e, IOVA_A, IOVA_A + PSZ, XFER));
	ASSERT_EQ(0, edu_copy(&e, IOVA_A + PSZ, IOVA_B, XFER));
	buf = malloc(XFER);
	ASSERT_NE(NULL, buf);
	fill_pattern(buf, XFER, 14);
	EXPECT_EQ(0, memcmp(buf, out, XFER));
	ASSERT_EQ(0, read_counters(&now));
	EXPECT_EQ(before.pinned, now.pinned);
	/* Unmapping the IOVA gives the orphaned pages back */
	EXPECT_EQ(0, ioas_unmap(fd, ioas, IOVA_A, 2 * PSZ, NULL));
	ASSERT_EQ(0, read_counters(&now));
	EXPECT_EQ(before.pinned - 2, now.pinned);
	free(buf);
	edu_teardown(&e);
	close(fd);
	close(dfd);
	env_end(&env);
	munmap(out, PSZ);
}

/* ---------------------------------------------------------- parked fd */

TEST(parked_fd)
{
	static const unsigned long blocked[] = {
		VFIO_DEVICE_GET_INFO, VFIO_DEVICE_GET_REGION_INFO,
		VFIO_DEVICE_GET_IRQ_INFO, VFIO_DEVICE_SET_IRQS,
		VFIO_DEVICE_RESET, VFIO_DEVICE_FEATURE,
		VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, VFIO_DEVICE_PCI_HOT_RESET,
		VFIO_DEVICE_IOEVENTFD, VFIO_DEVICE_ATTACH_IOMMUFD_PT,
		VFIO_DEVICE_DETACH_IOMMUFD_PT, _IO(VFIO_TYPE, VFIO_BASE + 99),
		IOMMU_IOAS_ALLOC,
	};
	struct vdev_info info;
	struct ioasid_env env;
	char arg[256], b[4];
	unsigned int i;
	int dfd;

	env_begin(&env);
	ASSERT_EQ(0, find_dev(DEV_EDU, 0, &info));
	dfd = open(info.cdev, O_RDWR);
	ASSERT_LE(0, dfd);
	for (i = 0; i != sizeof(blocked) / sizeof(blocked[0]); i++) {
		memset(arg, 0, sizeof(arg));
		*(__u32 *)arg = 128;	/* a plausible argsz */
		EXPECT_EQ(EINVAL, xioctl(dfd, blocked[i], arg));
	}
	EXPECT_EQ(-1, pread(dfd, b, sizeof(b), 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, pread(dfd, b, sizeof(b), 7ULL << 40));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, pwrite(dfd, b, sizeof(b), 7ULL << 40));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, PSZ, PROT_READ, MAP_SHARED, dfd, 0));
	EXPECT_EQ(EINVAL, errno);
	close(dfd);
	env_end(&env);
}

TEST(bind_errors)
{
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	struct vfio_device_bind_iommufd *ro;
	struct ioasid_counters before, now;
	struct vdev_info info;
	struct ioasid_env env;
	int fd, fd2, dfd, dfd2, null;
	__u8 token[16] = { 1 };
	__u32 devid = 0;

	env_begin(&env);
	ASSERT_EQ(0, find_dev(DEV_EDU, 0, &info));
	fd = ioasid_open();
	fd2 = ioasid_open();
	ASSERT_LE(0, fd);
	ASSERT_LE(0, fd2);
	dfd = open(info.cdev, O_RDWR);
	ASSERT_LE(0, dfd);
	null = open("/dev/null", O_RDWR);
	ASSERT_LE(0, null);

	/* Below the first revision's 16 bytes */
	bind.argsz = 15;
	bind.iommufd = fd;
	EXPECT_EQ(EINVAL, xioctl(dfd, VFIO_DEVICE_BIND_IOMMUFD, &bind));
	bind.argsz = sizeof(bind);
	bind.flags = 1U << 1;
	EXPECT_EQ(EINVAL, xioctl(dfd, VFIO_DEVICE_BIND_IOMMUFD, &bind));
	/*
	 * A VF token: none to read (the pointer is 0, or past an argsz of 16,
	 * which reads as 0), and none this device takes (neither PF nor VF)
	 */
	bind.flags = VFIO_DEVICE_BIND_FLAG_TOKEN;
	EXPECT_EQ(EFAULT, xioctl(dfd, VFIO_DEVICE_BIND_IOMMUFD, &bind));
	bind.token_uuid_ptr = (uintptr_t)token;
	bind.argsz = 16;
	EXPECT_EQ(EFAULT, xioctl(dfd, VFIO_DEVICE_BIND_IOMMUFD, &bind));
	bind.argsz = sizeof(bind);
	EXPECT_EQ(EINVAL, xioctl(dfd, VFIO_DEVICE_BIND_IOMMUFD, &bind));
	bind.flags = 0;
	bind.token_uuid_ptr = 0;
	bind.iommufd = -1;
	EXPECT_EQ(EINVAL, xioctl(dfd, VFIO_DEVICE_BIND_IOMMUFD, &bind));
	bind.iommufd = 1000;
	EXPECT_EQ(EBADF, xioctl(dfd, VFIO_DEVICE_BIND_IOMMUFD, &bind));
	bind.iommufd = null;
	EXPECT_EQ(EBADFD, xioctl(dfd, VFIO_DEVICE_BIND_IOMMUFD, &bind));
	bind.iommufd = dfd;
	EXPECT_EQ(EBADFD, xioctl(dfd, VFIO_DEVICE_BIND_IOMMUFD, &bind));
	EXPECT_EQ(EFAULT, xioctl(dfd, VFIO_DEVICE_BIND_IOMMUFD, NULL));

	/* out_devid cannot be written: EFAULT and nothing bound */
	ASSERT_EQ(0, read_counters(&before));
	ro = mmap(NULL, PSZ, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	*ro = (struct vfio_device_bind_iommufd){
		.argsz = sizeof(*ro), .iommufd = fd,
	};
	ASSERT_EQ(0, mprotect(ro, PSZ, PROT_READ));
	EXPECT_EQ(EFAULT, xioctl(dfd, VFIO_DEVICE_BIND_IOMMUFD, ro));
	munmap(ro, PSZ);
	ASSERT_EQ(0, read_counters(&now));
	EXPECT_EQ(before.objects, now.objects);
	EXPECT_EQ(before.groups, now.groups);
	EXPECT_EQ(EINVAL, xioctl(dfd, VFIO_DEVICE_GET_INFO, &bind));

	ASSERT_EQ(0, dev_bind(dfd, fd, &devid));
	EXPECT_NE(0, devid);
	/* Bound once only, and by one fd at a time, whatever the context */
	EXPECT_EQ(EINVAL, dev_bind(dfd, fd, NULL));
	EXPECT_EQ(EINVAL, dev_bind(dfd, fd2, NULL));
	dfd2 = open(info.cdev, O_RDWR);
	ASSERT_LE(0, dfd2);
	EXPECT_EQ(EINVAL, dev_bind(dfd2, fd, NULL));
	EXPECT_EQ(EINVAL, dev_bind(dfd2, fd2, NULL));
	/* The DEVICE object belongs to the driver */
	EXPECT_EQ(EBUSY, destroy_obj(fd, devid));
	/* Once the first fd is closed the second may bind, elsewhere */
	close(dfd);
	EXPECT_EQ(ENOENT, destroy_obj(fd, devid));
	EXPECT_EQ(0, dev_bind(dfd2, fd2, NULL));
	close(dfd2);
	close(null);
	close(fd);
	close(fd2);
	env_end(&env);
}

/* --------------------------------------------------------- ownership */

/*
 * The legacy vfio group path and a bound fd exclude each other, as
 * upstream: while the group's node is open, with a container or without,
 * BIND is EBUSY; while a device of the group is bound, opening the node is
 * EBUSY.
 */
TEST(ownership_group_path)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	struct vdev_info info;
	struct ioasid_env env;
	int fd, dfd, gfd, cfd, container;
	char path[64];

	env_begin(&env);
	ASSERT_EQ(0, find_dev(DEV_EDU, 0, &info));
	fd = ioasid_open();
	ASSERT_LE(0, fd);
	dfd = open(info.cdev, O_RDWR);
	ASSERT_LE(0, dfd);
	snprintf(path, sizeof(path), "/dev/vfio/%d", info.group);
	gfd = open(path, O_RDWR);
	ASSERT_LE(0, gfd);
	cfd = open("/dev/vfio/vfio", O_RDWR);
	ASSERT_LE(0, cfd);

	/* The group path has the group */
	container = cfd;
	ASSERT_EQ(0, xioctl(gfd, VFIO_GROUP_SET_CONTAINER, &container));
	EXPECT_EQ(EBUSY, dev_bind(dfd, fd, NULL));
	ASSERT_EQ(0, xioctl(gfd, VFIO_GROUP_UNSET_CONTAINER, NULL));
	EXPECT_EQ(EBUSY, dev_bind(dfd, fd, NULL));
	close(gfd);

	/* Now the ioasid context has it, and the node stays shut */
	ASSERT_EQ(0, dev_bind(dfd, fd, NULL));
	gfd = open(path, O_RDWR);
	EXPECT_EQ(-1, gfd);
	EXPECT_EQ(EBUSY, errno);
	if (gfd >= 0)
		close(gfd);
	close(dfd);

	/* Released with the device fd */
	gfd = open(path, O_RDWR);
	ASSERT_LE(0, gfd);
	ASSERT_EQ(0, xioctl(gfd, VFIO_GROUP_GET_STATUS, &status));
	EXPECT_TRUE(status.flags & VFIO_GROUP_FLAGS_VIABLE);
	EXPECT_EQ(0, xioctl(gfd, VFIO_GROUP_SET_CONTAINER, &container));
	close(gfd);
	close(cfd);
	close(fd);
	env_end(&env);
}

/* Devices of one iommu_group belong to one context and share a HWPT */
TEST(shared_group)
{
	struct vdev_info ia, ib, i0;
	struct edu eb = {};
	struct ioasid_env env;
	__u32 ioas, ioas2, pta, ptb;
	int fd, fd2, da, db, d0;
	char *buf;

	env_begin(&env);
	ASSERT_EQ(0, find_dev(DEV_EDU_BRIDGE, 0, &ia));
	ASSERT_EQ(0, find_dev(DEV_EDU_BRIDGE, 1, &ib));
	ASSERT_EQ(0, find_dev(DEV_EDU, 0, &i0));
	ASSERT_EQ(ia.group, ib.group);
	buf = alloc_buffer(BUF_LEN, PSZ, 0);
	ASSERT_NE(NULL, buf);
	fd = ioasid_open();
	fd2 = ioasid_open();
	ASSERT_LE(0, fd);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, ioas_alloc(fd, &ioas));
	ASSERT_EQ(0, ioas_alloc(fd, &ioas2));
	da = open(ia.cdev, O_RDWR);
	db = open(ib.cdev, O_RDWR);
	d0 = open(i0.cdev, O_RDWR);
	ASSERT_LE(0, da);
	ASSERT_LE(0, db);
	ASSERT_LE(0, d0);

	ASSERT_EQ(0, dev_bind(da, fd, NULL));
	/* The group's DMA belongs to the first context */
	EXPECT_EQ(EBUSY, dev_bind(db, fd2, NULL));
	/* Another group is free for the second context */
	EXPECT_EQ(0, dev_bind(d0, fd2, NULL));
	ASSERT_EQ(0, dev_bind(db, fd, NULL));

	ASSERT_EQ(0, ioas_map(fd, ioas, buf, BUF_LEN, IOVA_A));
	pta = ioas;
	ASSERT_EQ(0, dev_attach(da, &pta));
	/* One HWPT per group: b cannot go elsewhere, but may join a */
	ptb = ioas2;
	EXPECT_EQ(EINVAL, dev_attach(db, &ptb));
	ptb = ioas;
	ASSERT_EQ(0, dev_attach(db, &ptb));
	EXPECT_EQ(pta, ptb);
	/* a cannot replace while b shares the group's HWPT */
	pta = ioas2;
	EXPECT_EQ(EINVAL, dev_attach(da, &pta));

	/* a leaves; the group stays attached for b, whose DMA works */
	ASSERT_EQ(0, dev_detach(da));
	ASSERT_EQ(0, edu_setup(&eb, db));
	memset(buf, 0, BUF_LEN);
	fill_pattern(buf, XFER, 11);
	ASSERT_EQ(0, edu_copy(&eb, IOVA_A, IOVA_A + PSZ, XFER));
	EXPECT_EQ(0, memcmp(buf, buf + PSZ, XFER));
	edu_teardown(&eb);
	close(db);
	close(da);
	close(d0);
	close(fd);
	close(fd2);
	env_end(&env);
	munmap(buf, BUF_LEN);
}

struct bind_racer {
	pthread_barrier_t *barrier;
	int dfd, fd, rc;
	__u32 pt;
};

static void *bind_racer_fn(void *arg)
{
	struct bind_racer *r = arg;

	pthread_barrier_wait(r->barrier);
	r->rc = dev_bind(r->dfd, r->fd, NULL);
	if (!r->rc)
		r->rc = -dev_attach(r->dfd, &r->pt);
	return NULL;
}

/* Fds of one device racing to bind, to two contexts: exactly one wins */
TEST(bind_race)
{
	enum { NR = 4, ROUNDS = 20 };
	struct bind_racer r[NR];
	pthread_barrier_t barrier;
	pthread_t th[NR];
	struct vdev_info info;
	struct ioasid_env env;
	int fd[2], round, i, won;
	__u32 ioas[2];

	env_begin(&env);
	ASSERT_EQ(0, find_dev(DEV_EDU, 0, &info));
	for (i = 0; i != 2; i++) {
		fd[i] = ioasid_open();
		ASSERT_LE(0, fd[i]);
		ASSERT_EQ(0, ioas_alloc(fd[i], &ioas[i]));
	}
	for (round = 0; round != ROUNDS; round++) {
		ASSERT_EQ(0, pthread_barrier_init(&barrier, NULL, NR));
		for (i = 0; i != NR; i++) {
			r[i] = (struct bind_racer){ .barrier = &barrier,
						    .fd = fd[i & 1],
						    .pt = ioas[i & 1] };
			r[i].dfd = open(info.cdev, O_RDWR);
			ASSERT_LE(0, r[i].dfd);
			ASSERT_EQ(0, pthread_create(&th[i], NULL,
						    bind_racer_fn, &r[i]));
		}
		won = 0;
		for (i = 0; i != NR; i++) {
			ASSERT_EQ(0, pthread_join(th[i], NULL));
			if (!r[i].rc)
				won++;
			else
				EXPECT_EQ(EINVAL, r[i].rc);
		}
		EXPECT_EQ(1, won);
		/* Close in a different order every round */
		for (i = 0; i != NR; i++)
			close(r[(i + round) % NR].dfd);
		pthread_barrier_destroy(&barrier);
	}
	close(fd[0]);
	close(fd[1]);
	env_end(&env);
}

/* Without MSI isolation, BIND needs ioasid's allow_unsafe_interrupts */
TEST(msi_isolation)
{
	static const char *param =
		"/sys/module/ioasid_core/parameters/allow_unsafe_interrupts";
	struct vdev_info info;
	struct ioasid_env env;
	char saved[8];
	int fd, dfd, kfd;

	env_begin(&env);
	ASSERT_EQ(0, find_dev(DEV_EDU, 0, &info));
	ASSERT_EQ(0, sysfs_read(param, saved, sizeof(saved)));
	fd = ioasid_open();
	ASSERT_LE(0, fd);
	dfd = open(info.cdev, O_RDWR);
	ASSERT_LE(0, dfd);
	kfd = kmsg_open();
	ASSERT_LE(0, kfd);

	ASSERT_EQ(0, sysfs_write(param, "0"));
	if (!strcmp(vm_iommu(), "intel")) {
		/* VT-d without interrupt remapping */
		EXPECT_EQ(EPERM, dev_bind(dfd, fd, NULL));
		EXPECT_TRUE(kmsg_has(kfd, "interrupt remapping is off"));
		ASSERT_EQ(0, sysfs_write(param, "1"));
		EXPECT_EQ(0, dev_bind(dfd, fd, NULL));
		EXPECT_TRUE(kmsg_has(kfd, "without MSI isolation"));
	} else {
		EXPECT_EQ(0, dev_bind(dfd, fd, NULL));
	}
	EXPECT_EQ(0, sysfs_write(param, saved));
	close(kfd);
	close(dfd);
	close(fd);
	env_end(&env);
}

struct race_map {
	int fd;
	__u32 ioas;
	volatile int stop;
	long pairs;
	int rc;
};

static void *race_mapper(void *arg)
{
	struct race_map *r = arg;
	char *buf = alloc_buffer(16 * PSZ, PSZ, 0);

	if (!buf) {
		r->rc = ENOMEM;
		return NULL;
	}
	while (!r->stop) {
		r->rc = ioas_map(r->fd, r->ioas, buf, 16 * PSZ, IOVA_A);
		if (!r->rc)
			r->rc = ioas_unmap(r->fd, r->ioas, IOVA_A, 16 * PSZ,
					   NULL);
		if (r->rc)
			break;
		r->pairs++;
	}
	munmap(buf, 16 * PSZ);
	return NULL;
}

/*
 * Map and unmap while the IOAS's only device attaches and detaches: VT-d
 * on 6.1 frees a domain's per-IOMMU state at detach, which its map and
 * flush paths read unlocked, so the detach must wait for them (an oops
 * once before the core excluded maps around iommu_detach_group()).
 */
TEST(detach_races_map)
{
	struct race_map r = {};
	struct ioasid_env env;
	struct vdev_info info;
	struct timespec t0, now;
	long cycles = 0;
	pthread_t t;
	int dfd;
	__u32 pt;

	env_begin(&env);
	ASSERT_EQ(0, find_dev(DEV_EDU, 0, &info));
	r.fd = ioasid_open();
	ASSERT_LE(0, r.fd);
	ASSERT_EQ(0, ioas_alloc(r.fd, &r.ioas));
	dfd = dev_open_bound(info.cdev, r.fd, NULL);
	ASSERT_LE(0, dfd);
	ASSERT_EQ(0, pthread_create(&t, NULL, race_mapper, &r));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		pt = r.ioas;
		if (dev_attach(dfd, &pt) || dev_detach(dfd))
			break;
		cycles++;
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (now.tv_sec - t0.tv_sec < 4 * (long)time_scale());
	r.stop = 1;
	ASSERT_EQ(0, pthread_join(t, NULL));
	EXPECT_EQ(0, r.rc);
	EXPECT_LT(100, cycles);
	EXPECT_LT(100, r.pairs);
	TH_LOG("%ld attach/detach cycles, %ld map/unmap pairs", cycles,
	       r.pairs);
	close(dfd);
	close(r.fd);
	env_end(&env);
}

TEST_HARNESS_MAIN
