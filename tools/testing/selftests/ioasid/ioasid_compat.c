// SPDX-License-Identifier: GPL-2.0-only
/*
 * The VFIO type1 container ioctls on an ioasid fd (IOMMU_VFIO_IOAS and
 * VFIO_*), on mock domains and with a real edu device doing DMA through a
 * mapping made with VFIO_IOMMU_MAP_DMA.
 */
#include "vfio_utils.h"

#define IOVA_A 0x1000000ULL	/* in the mock aperture, below edu's mask */
#define NPAGES 16
#define XFER 1024

static int vfio_ioas(int fd, __u16 op, __u32 *id)
{
	struct iommu_vfio_ioas cmd = { .size = sizeof(cmd), .op = op,
				       .ioas_id = id ? *id : 0 };
	int rc = xioctl(fd, IOMMU_VFIO_IOAS, &cmd);

	if (!rc && id)
		*id = cmd.ioas_id;
	return rc;
}

static int map_dma(int fd, void *buf, __u64 iova, __u64 size, __u32 flags)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map), .flags = flags,
		.vaddr = (uintptr_t)buf, .iova = iova, .size = size,
	};

	return xioctl(fd, VFIO_IOMMU_MAP_DMA, &map);
}

#define RW (VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)

/*
 * What a VFIO container user does once the compat IOAS is chosen: a new
 * IOAS made the compat IOAS with IOMMU_VFIO_IOAS, then VFIO_SET_IOMMU
 */
static int compat_start(int fd, unsigned long type, __u32 *id)
{
	__u32 ioas;
	int rc;

	rc = ioas_alloc(fd, &ioas);
	if (!rc)
		rc = vfio_ioas(fd, IOMMU_VFIO_IOAS_SET, &ioas);
	if (!rc)
		rc = xioctl(fd, VFIO_SET_IOMMU, (void *)type);
	if (!rc && id)
		*id = ioas;
	return rc;
}

static int unmap_dma(int fd, __u64 iova, __u64 size, __u32 flags,
		     __u64 *done)
{
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap), .flags = flags, .iova = iova,
		.size = size,
	};
	int rc = xioctl(fd, VFIO_IOMMU_UNMAP_DMA, &unmap);

	if (!rc && done)
		*done = unmap.size;
	return rc;
}

FIXTURE(compat) {
	int fd;
	char *buf;
	struct ioasid_env env;
};

FIXTURE_SETUP(compat)
{
	env_begin(&self->env);
	self->fd = ioasid_open();
	ASSERT_LE(0, self->fd);
	self->buf = alloc_buffer(NPAGES * PSZ, PSZ, 0);
	ASSERT_NE(NULL, self->buf);
}

FIXTURE_TEARDOWN(compat)
{
	close(self->fd);
	env_end(&self->env);
	munmap(self->buf, NPAGES * PSZ);
}

TEST_F(compat, container_basics)
{
	EXPECT_EQ(VFIO_API_VERSION, ioctl(self->fd, VFIO_GET_API_VERSION));
	EXPECT_EQ(1, ioctl(self->fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU));
	EXPECT_EQ(1, ioctl(self->fd, VFIO_CHECK_EXTENSION,
			   VFIO_TYPE1v2_IOMMU));
	EXPECT_EQ(1, ioctl(self->fd, VFIO_CHECK_EXTENSION, VFIO_UNMAP_ALL));
	/* About the compat IOAS's HWPTs: there is no compat IOAS yet */
	EXPECT_EQ(ENODEV, xioctl(self->fd, VFIO_CHECK_EXTENSION,
				 (void *)VFIO_DMA_CC_IOMMU));
	EXPECT_EQ(0, ioctl(self->fd, VFIO_CHECK_EXTENSION,
			   VFIO_SPAPR_TCE_IOMMU));
	EXPECT_EQ(0, ioctl(self->fd, VFIO_CHECK_EXTENSION,
			   VFIO_TYPE1_NESTING_IOMMU));
	EXPECT_EQ(0, ioctl(self->fd, VFIO_CHECK_EXTENSION, VFIO_NOIOMMU_IOMMU));
	EXPECT_EQ(0, ioctl(self->fd, VFIO_CHECK_EXTENSION, VFIO_UPDATE_VADDR));
	/* Group, device and dirty-page ioctls are not the container's here */
	EXPECT_EQ(ENOTTY, xioctl(self->fd, VFIO_GROUP_GET_STATUS, NULL));
	EXPECT_EQ(ENOTTY, xioctl(self->fd, VFIO_IOMMU_DIRTY_PAGES, NULL));
	EXPECT_EQ(ENOTTY, xioctl(self->fd, _IO(VFIO_TYPE, 0x7f), NULL));

	/* Nothing to act on before SET_IOMMU */
	EXPECT_EQ(ENODEV, map_dma(self->fd, self->buf, IOVA_A, PSZ, RW));
	EXPECT_EQ(ENODEV, unmap_dma(self->fd, IOVA_A, PSZ, 0, NULL));
	EXPECT_EQ(EINVAL, xioctl(self->fd, VFIO_SET_IOMMU,
				 (void *)VFIO_SPAPR_TCE_IOMMU));
	EXPECT_EQ(EINVAL, xioctl(self->fd, VFIO_SET_IOMMU,
				 (void *)VFIO_NOIOMMU_IOMMU));
}

/*
 * As upstream: only IOMMU_VFIO_IOAS makes a compat IOAS (VFIO's group
 * attach would too, and there are no groups here).  VFIO_SET_IOMMU on a
 * context without one is ENODEV and creates nothing; the type is
 * checked first.
 */
TEST_F(compat, set_iommu_needs_compat_ioas)
{
	struct ioasid_counters c0, c1;
	__u32 id, got;

	ASSERT_EQ(0, read_counters(&c0));
	EXPECT_EQ(ENODEV, xioctl(self->fd, VFIO_SET_IOMMU,
				 (void *)VFIO_TYPE1v2_IOMMU));
	EXPECT_EQ(ENODEV, xioctl(self->fd, VFIO_SET_IOMMU,
				 (void *)VFIO_TYPE1_IOMMU));
	EXPECT_EQ(EINVAL, xioctl(self->fd, VFIO_SET_IOMMU,
				 (void *)VFIO_SPAPR_TCE_IOMMU));
	EXPECT_EQ(ENODEV, vfio_ioas(self->fd, IOMMU_VFIO_IOAS_GET, &got));
	ASSERT_EQ(0, read_counters(&c1));
	EXPECT_EQ(c0.objects, c1.objects);

	ASSERT_EQ(0, ioas_alloc(self->fd, &id));
	ASSERT_EQ(0, vfio_ioas(self->fd, IOMMU_VFIO_IOAS_SET, &id));
	EXPECT_EQ(0, xioctl(self->fd, VFIO_SET_IOMMU,
			    (void *)VFIO_TYPE1v2_IOMMU));
	ASSERT_EQ(0, vfio_ioas(self->fd, IOMMU_VFIO_IOAS_GET, &got));
	EXPECT_EQ(id, got);
	/* Cleared again: nothing to set the type of */
	ASSERT_EQ(0, vfio_ioas(self->fd, IOMMU_VFIO_IOAS_CLEAR, NULL));
	EXPECT_EQ(ENODEV, xioctl(self->fd, VFIO_SET_IOMMU,
				 (void *)VFIO_TYPE1v2_IOMMU));
	EXPECT_EQ(ENODEV, vfio_ioas(self->fd, IOMMU_VFIO_IOAS_GET, &got));
}

TEST_F(compat, vfio_ioas_op)
{
	__u32 id, ioas, got;
	struct iommu_vfio_ioas cmd = { .size = sizeof(cmd) };

	EXPECT_EQ(ENODEV, vfio_ioas(self->fd, IOMMU_VFIO_IOAS_GET, &id));
	ASSERT_EQ(0, compat_start(self->fd, VFIO_TYPE1v2_IOMMU, NULL));
	ASSERT_EQ(0, vfio_ioas(self->fd, IOMMU_VFIO_IOAS_GET, &id));
	/* A real IOAS the iommufd ioctls see */
	ASSERT_EQ(0, ioas_map(self->fd, id, self->buf, PSZ, IOVA_A));
	EXPECT_EQ(0, unmap_dma(self->fd, IOVA_A, PSZ, 0, NULL));
	/* SET_IOMMU again keeps it */
	ASSERT_EQ(0, xioctl(self->fd, VFIO_SET_IOMMU,
			    (void *)VFIO_TYPE1v2_IOMMU));
	ASSERT_EQ(0, vfio_ioas(self->fd, IOMMU_VFIO_IOAS_GET, &got));
	EXPECT_EQ(id, got);

	ASSERT_EQ(0, ioas_alloc(self->fd, &ioas));
	EXPECT_EQ(0, vfio_ioas(self->fd, IOMMU_VFIO_IOAS_SET, &ioas));
	ASSERT_EQ(0, vfio_ioas(self->fd, IOMMU_VFIO_IOAS_GET, &got));
	EXPECT_EQ(ioas, got);
	got = 9999;
	EXPECT_EQ(ENOENT, vfio_ioas(self->fd, IOMMU_VFIO_IOAS_SET, &got));
	EXPECT_EQ(0, vfio_ioas(self->fd, IOMMU_VFIO_IOAS_CLEAR, NULL));
	EXPECT_EQ(ENODEV, vfio_ioas(self->fd, IOMMU_VFIO_IOAS_GET, &got));
	EXPECT_EQ(EOPNOTSUPP, vfio_ioas(self->fd, 3, &got));
	cmd.__reserved = 1;
	EXPECT_EQ(EOPNOTSUPP, xioctl(self->fd, IOMMU_VFIO_IOAS, &cmd));

	/* Destroying the compat IOAS ends it as the compat IOAS */
	EXPECT_EQ(0, vfio_ioas(self->fd, IOMMU_VFIO_IOAS_SET, &ioas));
	EXPECT_EQ(0, destroy_obj(self->fd, ioas));
	EXPECT_EQ(ENODEV, vfio_ioas(self->fd, IOMMU_VFIO_IOAS_GET, &got));
	EXPECT_EQ(ENODEV, map_dma(self->fd, self->buf, IOVA_A, PSZ, RW));
}

/* v2: whole mappings only; holes unmap as nothing */
TEST_F(compat, map_unmap_v2)
{
	__u32 id, stdev, hwpt;
	__u64 done;
	struct vfio_iommu_type1_dma_map map = { .argsz = 16 };

	ASSERT_EQ(0, compat_start(self->fd, VFIO_TYPE1v2_IOMMU, &id));
	ASSERT_EQ(0, mock_domain(self->fd, id, &stdev, &hwpt, NULL));

	ASSERT_EQ(0, map_dma(self->fd, self->buf, IOVA_A, NPAGES * PSZ, RW));
	EXPECT_EQ(0, check_map(self->fd, hwpt, IOVA_A, self->buf,
			       NPAGES * PSZ));
	EXPECT_EQ(0, check_refs(self->fd, self->buf, NPAGES * PSZ, 1));
	EXPECT_EQ(EEXIST, map_dma(self->fd, self->buf, IOVA_A + PSZ, PSZ, RW));
	EXPECT_EQ(EINVAL, map_dma(self->fd, self->buf, IOVA_A, PSZ,
				  VFIO_DMA_MAP_FLAG_VADDR));
	EXPECT_EQ(EINVAL, map_dma(self->fd, self->buf, IOVA_A + 64 * PSZ, 0,
				  RW));
	EXPECT_EQ(EINVAL, xioctl(self->fd, VFIO_IOMMU_MAP_DMA, &map));

	/*
	 * Cutting through a mapping is ENOENT, as upstream's v2 emulation
	 * answers (type1 itself says EINVAL): inside it, over its start, over
	 * its end; then an empty range; then exact
	 */
	EXPECT_EQ(ENOENT, unmap_dma(self->fd, IOVA_A + 4 * PSZ, 4 * PSZ, 0,
				    NULL));
	EXPECT_EQ(ENOENT, unmap_dma(self->fd, IOVA_A - PSZ, 2 * PSZ, 0, NULL));
	EXPECT_EQ(ENOENT, unmap_dma(self->fd, IOVA_A + (NPAGES - 1) * PSZ,
				    2 * PSZ, 0, NULL));
	EXPECT_EQ(0, check_map(self->fd, hwpt, IOVA_A, self->buf,
			       NPAGES * PSZ));
	ASSERT_EQ(0, unmap_dma(self->fd, IOVA_A + 64 * PSZ, PSZ, 0, &done));
	EXPECT_EQ(0, done);
	EXPECT_EQ(EINVAL, unmap_dma(self->fd, IOVA_A, PSZ,
				    VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP,
				    NULL));
	ASSERT_EQ(0, unmap_dma(self->fd, IOVA_A, NPAGES * PSZ, 0, &done));
	EXPECT_EQ(NPAGES * PSZ, done);
	EXPECT_EQ(0, check_refs(self->fd, self->buf, NPAGES * PSZ, 0));

	/* UNMAP_ALL takes everything, and only with iova and size 0 */
	ASSERT_EQ(0, map_dma(self->fd, self->buf, IOVA_A, 4 * PSZ, RW));
	ASSERT_EQ(0, map_dma(self->fd, self->buf + 8 * PSZ, IOVA_A + 64 * PSZ,
			     4 * PSZ, VFIO_DMA_MAP_FLAG_READ));
	EXPECT_EQ(EINVAL, unmap_dma(self->fd, IOVA_A, 0,
				    VFIO_DMA_UNMAP_FLAG_ALL, NULL));
	ASSERT_EQ(0, unmap_dma(self->fd, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, &done));
	EXPECT_EQ(8 * PSZ, done);
	EXPECT_EQ(0, check_refs(self->fd, self->buf, NPAGES * PSZ, 0));
}

/* v1: unmapping part of a mapping splits it, down to the page */
TEST_F(compat, unmap_split_v1)
{
	__u32 id, stdev, hwpt;
	__u64 done;

	ASSERT_EQ(0, compat_start(self->fd, VFIO_TYPE1_IOMMU, &id));
	ASSERT_EQ(0, mock_domain(self->fd, id, &stdev, &hwpt, NULL));
	ASSERT_EQ(0, map_dma(self->fd, self->buf, IOVA_A, NPAGES * PSZ, RW));

	ASSERT_EQ(0, unmap_dma(self->fd, IOVA_A + 4 * PSZ, 4 * PSZ, 0, &done));
	EXPECT_EQ(4 * PSZ, done);
	EXPECT_EQ(0, check_map(self->fd, hwpt, IOVA_A, self->buf, 4 * PSZ));
	EXPECT_EQ(0, check_map(self->fd, hwpt, IOVA_A + 8 * PSZ,
			       self->buf + 8 * PSZ, 8 * PSZ));
	EXPECT_NE(0, check_map(self->fd, hwpt, IOVA_A + 4 * PSZ,
			       self->buf + 4 * PSZ, PSZ));
	EXPECT_EQ(0, check_refs(self->fd, self->buf + 4 * PSZ, 4 * PSZ, 0));
	EXPECT_EQ(0, check_refs(self->fd, self->buf, 4 * PSZ, 1));

	/* The pieces are mappings of their own now */
	ASSERT_EQ(0, ioas_unmap(self->fd, id, IOVA_A, 4 * PSZ, NULL));
	/* A range that starts inside one and runs past its end */
	ASSERT_EQ(0, unmap_dma(self->fd, IOVA_A + 15 * PSZ, 8 * PSZ, 0,
			       &done));
	EXPECT_EQ(PSZ, done);
	ASSERT_EQ(0, unmap_dma(self->fd, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, &done));
	EXPECT_EQ(7 * PSZ, done);
	EXPECT_EQ(0, check_refs(self->fd, self->buf, NPAGES * PSZ, 0));
}

/* The info and its capability chain agree with IOMMU_IOAS_IOVA_RANGES */
TEST_F(compat, get_info)
{
	struct vfio_iommu_type1_info *info;
	struct vfio_iommu_type1_info_cap_iova_range *cap;
	struct vfio_iommu_type1_info_dma_avail *avail;
	struct iommu_iova_range ranges[8];
	__u32 id, stdev, num = 8;
	char big[4096] = {};
	__u32 i;

	ASSERT_EQ(0, compat_start(self->fd, VFIO_TYPE1v2_IOMMU, &id));
	ASSERT_EQ(0, mock_domain(self->fd, id, &stdev, NULL, NULL));
	ASSERT_EQ(0, ioas_ranges(self->fd, id, ranges, &num, NULL));

	info = (void *)big;
	info->argsz = 15;
	EXPECT_EQ(EINVAL, xioctl(self->fd, VFIO_IOMMU_GET_INFO, info));
	/* The old 16-byte struct: page sizes, and the size needed */
	info->argsz = 16;
	ASSERT_EQ(0, xioctl(self->fd, VFIO_IOMMU_GET_INFO, info));
	EXPECT_EQ(VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS, info->flags);
	EXPECT_EQ(PSZ, info->iova_pgsizes);
	EXPECT_LT(sizeof(*info), info->argsz);
	info->argsz = sizeof(*info);
	ASSERT_EQ(0, xioctl(self->fd, VFIO_IOMMU_GET_INFO, info));
	EXPECT_EQ(VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS, info->flags);
	EXPECT_EQ(0, info->cap_offset);

	/* The chain: DMA_AVAIL, then the IOVA ranges; argsz says its end */
	info->argsz = sizeof(big);
	ASSERT_EQ(0, xioctl(self->fd, VFIO_IOMMU_GET_INFO, info));
	ASSERT_EQ(sizeof(*info), info->cap_offset);
	avail = (void *)(big + info->cap_offset);
	EXPECT_EQ(VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL, avail->header.id);
	EXPECT_EQ(1, avail->header.version);
	EXPECT_EQ(UINT32_MAX, avail->avail);
	ASSERT_NE(0, avail->header.next);
	cap = (void *)(big + avail->header.next);
	EXPECT_EQ(VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE, cap->header.id);
	EXPECT_EQ(1, cap->header.version);
	EXPECT_EQ(0, cap->header.next);
	ASSERT_EQ(num, cap->nr_iovas);
	for (i = 0; i != num; i++) {
		EXPECT_EQ(ranges[i].start, cap->iova_ranges[i].start);
		EXPECT_EQ(ranges[i].last, cap->iova_ranges[i].end);
	}
	EXPECT_EQ((char *)&cap->iova_ranges[num] - big, info->argsz);
}

#define CANARY 0xa5
/* Offsets upstream uses: the info, DMA_AVAIL, then IOVA_RANGE */
#define INFO_SZ sizeof(struct vfio_iommu_type1_info)
#define AVAIL_OFF INFO_SZ
#define IOVAS_OFF (INFO_SZ + 16)

/* The first byte at or after @from that is not the canary, or @len */
static size_t canary_broken(const unsigned char *buf, size_t from, size_t len)
{
	for (; from < len; from++)
		if (buf[from] != CANARY)
			break;
	return from;
}

/*
 * Bytes past argsz are never written, whatever argsz is: below the fixed
 * structure, inside it, between it and the end of the capability chain.
 * What lands below argsz is what upstream writes: the info with argsz
 * set to the whole size, padding zeroed, and each capability that fits
 * whole, DMA_AVAIL first.
 */
TEST_F(compat, get_info_argsz)
{
	unsigned char buf[1024];
	struct vfio_iommu_type1_info *info = (void *)buf;
	struct vfio_iommu_type1_info_dma_avail *avail;
	struct vfio_iommu_type1_info_cap_iova_range *iovas;
	__u32 sizes[32], nsizes = 0, total, id, stdev, i, argsz, num = 8;
	struct iommu_iova_range ranges[8];
	size_t broken;

	ASSERT_EQ(0, compat_start(self->fd, VFIO_TYPE1v2_IOMMU, &id));
	ASSERT_EQ(0, mock_domain(self->fd, id, &stdev, NULL, NULL));
	memset(buf, 0, sizeof(buf));
	info->argsz = sizeof(buf);
	ASSERT_EQ(0, xioctl(self->fd, VFIO_IOMMU_GET_INFO, info));
	ASSERT_EQ(0, ioas_ranges(self->fd, id, ranges, &num, NULL));
	total = IOVAS_OFF + 16 + num * 16;
	EXPECT_EQ(total, info->argsz);

	for (argsz = 16; argsz <= IOVAS_OFF + 16; argsz += 4)
		sizes[nsizes++] = argsz;
	sizes[nsizes++] = total - 16;
	sizes[nsizes++] = total - 1;
	sizes[nsizes++] = total;
	sizes[nsizes++] = total + 8;
	for (i = 0; i != nsizes; i++) {
		argsz = sizes[i];
		memset(buf, CANARY, sizeof(buf));
		info->argsz = argsz;
		ASSERT_EQ(0, xioctl(self->fd, VFIO_IOMMU_GET_INFO, info));
		broken = canary_broken(buf, argsz, sizeof(buf));
		EXPECT_EQ(sizeof(buf), broken) {
			TH_LOG("argsz %u: byte %zu written", argsz, broken);
		}
		EXPECT_EQ(total, info->argsz);
		EXPECT_EQ(VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS,
			  info->flags);
		if (argsz < INFO_SZ)
			continue;
		EXPECT_EQ(argsz >= total ? INFO_SZ : 0, info->cap_offset);
		/* The padding after cap_offset */
		EXPECT_EQ(0, *(__u32 *)(buf + 20)) {
			TH_LOG("argsz %u: padding not zeroed", argsz);
		}
		avail = (void *)(buf + AVAIL_OFF);
		if (argsz >= AVAIL_OFF + sizeof(*avail)) {
			EXPECT_EQ(VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL,
				  avail->header.id);
			EXPECT_EQ(1, avail->header.version);
			EXPECT_EQ(argsz >= IOVAS_OFF ? IOVAS_OFF : 0,
				  avail->header.next);
			EXPECT_EQ(UINT32_MAX, avail->avail);
		} else {
			EXPECT_EQ(argsz, canary_broken(buf, INFO_SZ, argsz));
		}
		iovas = (void *)(buf + IOVAS_OFF);
		if (argsz >= total) {
			EXPECT_EQ(VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE,
				  iovas->header.id);
			EXPECT_EQ(1, iovas->header.version);
			EXPECT_EQ(0, iovas->header.next);
			EXPECT_EQ(num, iovas->nr_iovas);
		}
	}
}

static __u64 compat_pgsizes(int fd)
{
	struct vfio_iommu_type1_info info = { .argsz = sizeof(info) };

	if (xioctl(fd, VFIO_IOMMU_GET_INFO, &info))
		return 0;
	return info.iova_pgsizes;
}

/*
 * iova_pgsizes as upstream computes it: the sizes all domains share,
 * those below PAGE_SIZE replaced by PAGE_SIZE (the mock's half pages
 * too), all sizes from PAGE_SIZE up without a domain; type1 v1 does not
 * narrow it
 */
TEST_F(compat, get_info_pgsizes)
{
	__u32 id, stdev;
	int fd2;

	ASSERT_EQ(0, compat_start(self->fd, VFIO_TYPE1v2_IOMMU, &id));
	EXPECT_EQ(~(__u64)(PSZ - 1), compat_pgsizes(self->fd));
	ASSERT_EQ(0, mock_domain(self->fd, id, &stdev, NULL, NULL));
	EXPECT_EQ(PSZ, compat_pgsizes(self->fd));

	fd2 = ioasid_open();
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, compat_start(fd2, VFIO_TYPE1_IOMMU, &id));
	EXPECT_EQ(~(__u64)(PSZ - 1), compat_pgsizes(fd2));
	ASSERT_EQ(0, mock_domain(fd2, id, &stdev, NULL, NULL));
	EXPECT_EQ(PSZ, compat_pgsizes(fd2));
	close(fd2);
}

/*
 * MAP_DMA takes a mapping with neither READ nor WRITE, as upstream does
 * (only type1 itself refuses it); nothing can use it
 */
TEST_F(compat, map_dma_no_access)
{
	__u32 id, stdev, hwpt;
	__u64 done;

	ASSERT_EQ(0, compat_start(self->fd, VFIO_TYPE1v2_IOMMU, &id));
	EXPECT_EQ(0, map_dma(self->fd, self->buf, IOVA_A, 2 * PSZ, 0));
	ASSERT_EQ(0, mock_domain(self->fd, id, &stdev, &hwpt, NULL));
	EXPECT_EQ(0, map_dma(self->fd, self->buf + 4 * PSZ, IOVA_A + 4 * PSZ,
			     2 * PSZ, 0));
	EXPECT_EQ(EEXIST, map_dma(self->fd, self->buf, IOVA_A, PSZ, 0));
	EXPECT_EQ(EINVAL, map_dma(self->fd, self->buf, IOVA_A + 8 * PSZ, PSZ,
				  1 << 2));
	ASSERT_EQ(0, unmap_dma(self->fd, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, &done));
	EXPECT_EQ(4 * PSZ, done);
}

/*
 * As upstream, UNMAP_DMA writes size back also when it fails (with the
 * bytes it removed: none, here), except for a refused UNMAP_ALL and a v1
 * split that cannot be made
 */
TEST_F(compat, unmap_dma_answers_size)
{
	struct vfio_iommu_type1_dma_unmap unmap = { .argsz = sizeof(unmap) };
	__u32 id, stdev;

	ASSERT_EQ(0, compat_start(self->fd, VFIO_TYPE1v2_IOMMU, &id));
	ASSERT_EQ(0, mock_domain(self->fd, id, &stdev, NULL, NULL));
	ASSERT_EQ(0, map_dma(self->fd, self->buf, IOVA_A, 4 * PSZ, RW));

	unmap.iova = IOVA_A + PSZ;
	unmap.size = PSZ;
	EXPECT_EQ(ENOENT, xioctl(self->fd, VFIO_IOMMU_UNMAP_DMA, &unmap));
	EXPECT_EQ(0, unmap.size);
	unmap.iova = IOVA_A;
	unmap.size = 0;
	EXPECT_EQ(EINVAL, xioctl(self->fd, VFIO_IOMMU_UNMAP_DMA, &unmap));
	EXPECT_EQ(0, unmap.size);
	unmap.iova = -PSZ;
	unmap.size = 2 * PSZ;
	EXPECT_EQ(EOVERFLOW, xioctl(self->fd, VFIO_IOMMU_UNMAP_DMA, &unmap));
	EXPECT_EQ(0, unmap.size);
	unmap.flags = VFIO_DMA_UNMAP_FLAG_ALL;
	unmap.iova = PSZ;
	unmap.size = 12345;
	EXPECT_EQ(EINVAL, xioctl(self->fd, VFIO_IOMMU_UNMAP_DMA, &unmap));
	EXPECT_EQ(12345, unmap.size);
	unmap.iova = 0;
	unmap.size = 0;
	EXPECT_EQ(0, xioctl(self->fd, VFIO_IOMMU_UNMAP_DMA, &unmap));
	EXPECT_EQ(4 * PSZ, unmap.size);
}

/*
 * v1 cannot split a mapping an in-kernel access pins: EINVAL, as
 * upstream answers, and the mapping stays whole
 */
TEST_F(compat, unmap_v1_split_pinned)
{
	__u32 id, stdev, hwpt, pages;
	__u64 done;
	int afd;

	ASSERT_EQ(0, compat_start(self->fd, VFIO_TYPE1_IOMMU, &id));
	ASSERT_EQ(0, mock_domain(self->fd, id, &stdev, &hwpt, NULL));
	ASSERT_EQ(0, map_dma(self->fd, self->buf, IOVA_A, 8 * PSZ, RW));
	ASSERT_EQ(0, create_access(self->fd, id,
				   MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
				   &afd));
	ASSERT_EQ(0, access_pages(self->fd, afd, IOVA_A, PSZ, self->buf, 0,
				  &pages));
	EXPECT_EQ(EINVAL, unmap_dma(self->fd, IOVA_A + 2 * PSZ, 2 * PSZ, 0,
				    NULL));
	EXPECT_EQ(0, check_map(self->fd, hwpt, IOVA_A, self->buf, 8 * PSZ));
	ASSERT_EQ(0, destroy_access_pages(self->fd, afd, pages));
	ASSERT_EQ(0, unmap_dma(self->fd, IOVA_A + 2 * PSZ, 2 * PSZ, 0, &done));
	EXPECT_EQ(2 * PSZ, done);
	close(afd);
}

/*
 * v1 cuts mappings only at page boundaries: a range starting (or ending)
 * inside a page of a mapping is EINVAL, size is not written back, and the
 * mapping stays mapped and pinned, whole
 */
TEST_F(compat, unmap_v1_split_unaligned)
{
	struct vfio_iommu_type1_dma_unmap unmap = { .argsz = sizeof(unmap) };
	__u32 id, stdev, hwpt;
	__u64 done;

	ASSERT_EQ(0, compat_start(self->fd, VFIO_TYPE1_IOMMU, &id));
	ASSERT_EQ(0, mock_domain(self->fd, id, &stdev, &hwpt, NULL));
	ASSERT_EQ(0, map_dma(self->fd, self->buf, IOVA_A, 8 * PSZ, RW));

	unmap.iova = IOVA_A + 2 * PSZ + 512;
	unmap.size = 2 * PSZ;
	EXPECT_EQ(EINVAL, xioctl(self->fd, VFIO_IOMMU_UNMAP_DMA, &unmap));
	EXPECT_EQ(2 * PSZ, unmap.size);
	unmap.iova = IOVA_A + 2 * PSZ;
	unmap.size = 2 * PSZ - 512;
	EXPECT_EQ(EINVAL, xioctl(self->fd, VFIO_IOMMU_UNMAP_DMA, &unmap));
	EXPECT_EQ(2 * PSZ - 512, unmap.size);
	EXPECT_EQ(0, check_map(self->fd, hwpt, IOVA_A, self->buf, 8 * PSZ));
	EXPECT_EQ(0, check_refs(self->fd, self->buf, 8 * PSZ, 1));
	ASSERT_EQ(0, unmap_dma(self->fd, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, &done));
	EXPECT_EQ(8 * PSZ, done);
	EXPECT_EQ(0, check_refs(self->fd, self->buf, 8 * PSZ, 0));
}

/* A type1-style map through the compat IOAS reaches a real device */
TEST(edu_through_compat)
{
	struct vfio_iommu_type1_info info = { .argsz = sizeof(info) };
	struct ioasid_env env;
	struct vdev_info vi;
	struct edu e = {};
	__u32 id, devid, pt;
	int fd, dfd;
	char *buf;
	__u64 done;
	unsigned int i;

	env_begin(&env);
	ASSERT_EQ(0, find_dev(DEV_EDU, 0, &vi));
	fd = ioasid_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, compat_start(fd, VFIO_TYPE1v2_IOMMU, &id));
	dfd = dev_open_bound(vi.cdev, fd, &devid);
	ASSERT_LE(0, dfd);
	pt = id;
	ASSERT_EQ(0, dev_attach(dfd, &pt));
	ASSERT_EQ(0, xioctl(fd, VFIO_IOMMU_GET_INFO, &info));
	EXPECT_TRUE(info.iova_pgsizes & PSZ);
	EXPECT_EQ(0, info.iova_pgsizes & (PSZ - 1));

	buf = alloc_buffer(2 * PSZ, PSZ, 0);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, map_dma(fd, buf, IOVA_A, 2 * PSZ, RW));
	ASSERT_EQ(0, edu_setup(&e, dfd));
	for (i = 0; i != XFER; i++)
		buf[i] = (char)(i * 3 + 1);
	ASSERT_EQ(0, edu_copy(&e, IOVA_A, IOVA_A + PSZ, XFER));
	EXPECT_EQ(0, memcmp(buf, buf + PSZ, XFER));
	ASSERT_EQ(0, unmap_dma(fd, IOVA_A, 2 * PSZ, 0, &done));
	EXPECT_EQ(2 * PSZ, done);

	edu_teardown(&e);
	close(dfd);
	close(fd);
	munmap(buf, 2 * PSZ);
	env_end(&env);
}

TEST_HARNESS_MAIN
