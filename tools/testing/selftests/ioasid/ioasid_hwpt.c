// SPDX-License-Identifier: GPL-2.0-only
/*
 * IOMMU_HWPT_ALLOC and IOMMU_GET_HW_INFO: manual HWPTs on mock devices and
 * on real edu devices behind VT-d or AMD-Vi, what Linux 6.1 refuses, and
 * the vendor data a device reports.
 */
#include "vfio_utils.h"

#define IOVA_A 0x1000000ULL	/* in the mock aperture, below edu's mask */
#define BUF_LEN (4 * PSZ)
#define XFER 1024

/* The newest layout (48 bytes) with a size the caller chooses */
static int hwpt_alloc_raw(int fd, struct iommu_hwpt_alloc *cmd, __u32 size)
{
	cmd->size = size;
	return xioctl(fd, IOMMU_HWPT_ALLOC, cmd);
}

static int hwpt_alloc(int fd, __u32 dev_id, __u32 pt_id, __u32 *hwpt)
{
	struct iommu_hwpt_alloc cmd = { .dev_id = dev_id, .pt_id = pt_id };
	int rc = hwpt_alloc_raw(fd, &cmd, sizeof(cmd));

	if (!rc)
		*hwpt = cmd.out_hwpt_id;
	return rc;
}

static int hw_info(int fd, __u32 dev_id, void *data, __u32 *len,
		   __u32 *type, __u64 *caps)
{
	struct iommu_hw_info cmd = {
		.size = sizeof(cmd),
		.dev_id = dev_id,
		.data_len = *len,
		.data_uptr = (uintptr_t)data,
		.out_data_type = 0x5a5a5a5a,
		.out_capabilities = ~0ULL,
	};
	int rc = xioctl(fd, IOMMU_GET_HW_INFO, &cmd);

	*len = cmd.data_len;
	*type = cmd.out_data_type;
	*caps = cmd.out_capabilities;
	return rc;
}

FIXTURE(mock_hwpt) {
	int fd;
	__u32 ioas, stdev, hwpt, idev;
	char *buf;
	struct ioasid_env env;
};

FIXTURE_SETUP(mock_hwpt)
{
	env_begin(&self->env);
	self->fd = ioasid_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, ioas_alloc(self->fd, &self->ioas));
	ASSERT_EQ(0, mock_domain(self->fd, self->ioas, &self->stdev,
				 &self->hwpt, &self->idev));
	self->buf = alloc_buffer(BUF_LEN, PSZ, 0);
	ASSERT_NE(NULL, self->buf);
}

FIXTURE_TEARDOWN(mock_hwpt)
{
	close(self->fd);
	env_end(&self->env);
	munmap(self->buf, BUF_LEN);
}

/* A manual HWPT: devices attach by ID, it outlives them, DESTROY ends it */
TEST_F(mock_hwpt, alloc_attach_destroy)
{
	struct ioasid_counters c0, c1;
	__u32 hwpt, stdev2, got;

	ASSERT_EQ(0, read_counters(&c0));
	ASSERT_EQ(0, hwpt_alloc(self->fd, self->idev, self->ioas, &hwpt));
	EXPECT_NE(self->hwpt, hwpt);
	ASSERT_EQ(0, read_counters(&c1));
	EXPECT_EQ(c0.domains + 1, c1.domains);
	/* Nothing attached: it goes */
	EXPECT_EQ(0, destroy_obj(self->fd, hwpt));
	ASSERT_EQ(0, read_counters(&c1));
	EXPECT_EQ(c0.domains, c1.domains);

	/* Mapped before the first device, filled at its attach */
	ASSERT_EQ(0, hwpt_alloc(self->fd, self->idev, self->ioas, &hwpt));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, self->buf, BUF_LEN,
			      IOVA_A));
	ASSERT_EQ(0, mock_domain(self->fd, hwpt, &stdev2, &got, NULL));
	EXPECT_EQ(hwpt, got);
	EXPECT_EQ(0, check_map(self->fd, hwpt, IOVA_A, self->buf, BUF_LEN));
	/* Each page pinned once for two domains */
	EXPECT_EQ(0, check_refs(self->fd, self->buf, BUF_LEN, 1));
	EXPECT_EQ(EBUSY, destroy_obj(self->fd, hwpt));
	EXPECT_EQ(EBUSY, destroy_obj(self->fd, self->ioas));

	/* Its last device gone, the HWPT stays and keeps mirroring */
	ASSERT_EQ(0, destroy_obj(self->fd, stdev2));
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas, IOVA_A, BUF_LEN, NULL));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, self->buf, BUF_LEN,
			      IOVA_A));
	ASSERT_EQ(0, mock_domain(self->fd, hwpt, &stdev2, &got, NULL));
	EXPECT_EQ(0, check_map(self->fd, hwpt, IOVA_A, self->buf, BUF_LEN));
	ASSERT_EQ(0, destroy_obj(self->fd, stdev2));
	EXPECT_EQ(0, destroy_obj(self->fd, hwpt));
	EXPECT_EQ(ENOENT, destroy_obj(self->fd, hwpt));
}

/* Closing the context with a manual HWPT alive frees everything */
TEST_F(mock_hwpt, close_with_hwpt)
{
	__u32 hwpt, stdev2;

	ASSERT_EQ(0, hwpt_alloc(self->fd, self->idev, self->ioas, &hwpt));
	ASSERT_EQ(0, mock_domain(self->fd, hwpt, &stdev2, NULL, NULL));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, self->buf, BUF_LEN,
			      IOVA_A));
}

TEST_F(mock_hwpt, alloc_errors)
{
	struct iommu_hwpt_alloc cmd;
	__u8 big[64] = {};
	__u32 hwpt;

#define CMD(...) (cmd = (struct iommu_hwpt_alloc){ .dev_id = self->idev, \
			 .pt_id = self->ioas, __VA_ARGS__ })
	CMD();
	EXPECT_EQ(EINVAL, hwpt_alloc_raw(self->fd, &cmd, 23));
	CMD();
	EXPECT_EQ(0, hwpt_alloc_raw(self->fd, &cmd, 24));
	EXPECT_EQ(0, destroy_obj(self->fd, cmd.out_hwpt_id));
	CMD();
	EXPECT_EQ(0, hwpt_alloc_raw(self->fd, &cmd, 40));
	EXPECT_EQ(0, destroy_obj(self->fd, cmd.out_hwpt_id));

	/* Larger than the kernel knows: only zeroes */
	CMD();
	memcpy(big, &cmd, sizeof(cmd));
	((struct iommu_hwpt_alloc *)big)->size = sizeof(big);
	EXPECT_EQ(0, xioctl(self->fd, IOMMU_HWPT_ALLOC, big));
	EXPECT_EQ(0, destroy_obj(self->fd,
				 ((struct iommu_hwpt_alloc *)big)->out_hwpt_id));
	big[sizeof(cmd)] = 1;
	EXPECT_EQ(E2BIG, xioctl(self->fd, IOMMU_HWPT_ALLOC, big));

	/*
	 * Upstream's order and answers: reserved fields, then data without a
	 * type or a type without data (EINVAL), then dev_id (ENOENT), then
	 * pt_id (EINVAL if it names nothing or no IOAS, EOPNOTSUPP for a
	 * HWPT, as a nesting parent of a driver that cannot nest), then the
	 * flags and data a paging domain cannot take (EOPNOTSUPP), and
	 * fault_id last (ENOENT when it names no fault queue; the suite
	 * ioasid_fault_queue has the rest)
	 */
	EXPECT_EQ(ENOENT, hwpt_alloc(self->fd, self->ioas, self->ioas, &hwpt));
	EXPECT_EQ(ENOENT, hwpt_alloc(self->fd, 9999, self->ioas, &hwpt));
	EXPECT_EQ(EINVAL, hwpt_alloc(self->fd, self->idev, 9999, &hwpt));
	/*
	 * A device is no IOAS; on a HWPT the new one would be nested and
	 * needs data first, EOPNOTSUPP as upstream (nested has the rest)
	 */
	EXPECT_EQ(EINVAL, hwpt_alloc(self->fd, self->idev, self->idev, &hwpt));
	EXPECT_EQ(EOPNOTSUPP, hwpt_alloc(self->fd, self->idev, self->hwpt,
					 &hwpt));
	CMD(.data_len = 8);
	cmd.dev_id = 9999;
	EXPECT_EQ(EINVAL, hwpt_alloc_raw(self->fd, &cmd, sizeof(cmd)));
	CMD(.flags = 1 << 4);
	cmd.dev_id = 9999;
	EXPECT_EQ(ENOENT, hwpt_alloc_raw(self->fd, &cmd, sizeof(cmd)));
	CMD(.flags = IOMMU_HWPT_ALLOC_NEST_PARENT);
	cmd.pt_id = 9999;
	EXPECT_EQ(EINVAL, hwpt_alloc_raw(self->fd, &cmd, sizeof(cmd)));

	/* The mock IOMMU nests (nested), and tracks dirty pages */
	CMD(.flags = IOMMU_HWPT_ALLOC_NEST_PARENT);
	EXPECT_EQ(0, hwpt_alloc_raw(self->fd, &cmd, sizeof(cmd)));
	EXPECT_EQ(0, destroy_obj(self->fd, cmd.out_hwpt_id));
	CMD(.flags = IOMMU_HWPT_ALLOC_DIRTY_TRACKING);
	EXPECT_EQ(0, hwpt_alloc_raw(self->fd, &cmd, sizeof(cmd)));
	EXPECT_EQ(0, destroy_obj(self->fd, cmd.out_hwpt_id));
	/* fault_id 1 is the IOAS */
	CMD(.flags = IOMMU_HWPT_FAULT_ID_VALID, .fault_id = 1);
	EXPECT_EQ(ENOENT, hwpt_alloc_raw(self->fd, &cmd, sizeof(cmd)));
	CMD(.flags = IOMMU_HWPT_FAULT_ID_VALID | IOMMU_HWPT_ALLOC_PASID);
	EXPECT_EQ(EOPNOTSUPP, hwpt_alloc_raw(self->fd, &cmd, sizeof(cmd)));
	CMD(.flags = IOMMU_HWPT_ALLOC_PASID);
	EXPECT_EQ(EOPNOTSUPP, hwpt_alloc_raw(self->fd, &cmd, sizeof(cmd)));
	CMD(.flags = 1 << 4);
	EXPECT_EQ(EOPNOTSUPP, hwpt_alloc_raw(self->fd, &cmd, sizeof(cmd)));
	CMD(.__reserved = 1);
	EXPECT_EQ(EOPNOTSUPP, hwpt_alloc_raw(self->fd, &cmd, sizeof(cmd)));
	/* Ours only: upstream does not look at __reserved2 */
	CMD(.__reserved2 = 1);
	EXPECT_EQ(EOPNOTSUPP, hwpt_alloc_raw(self->fd, &cmd, sizeof(cmd)));
	/*
	 * As upstream: a type other than NONE without data, and data with
	 * NONE, are EINVAL before anything else; data for a domain on an IOAS
	 * is unsupported; a pointer without a length is ignored.  (Ours said
	 * EOPNOTSUPP, EINVAL and EINVAL for the first three until nesting.)
	 */
	CMD(.data_type = 3);
	EXPECT_EQ(EINVAL, hwpt_alloc_raw(self->fd, &cmd, sizeof(cmd)));
	CMD(.data_type = 3);
	cmd.dev_id = 9999;
	EXPECT_EQ(EINVAL, hwpt_alloc_raw(self->fd, &cmd, sizeof(cmd)));
	CMD(.data_len = 8);
	EXPECT_EQ(EINVAL, hwpt_alloc_raw(self->fd, &cmd, sizeof(cmd)));
	/* Data for a paging domain, known type or not, or the mock's own */
	CMD(.data_type = IOMMU_HWPT_DATA_VTD_S1, .data_len = 8,
	    .data_uptr = (uintptr_t)big);
	EXPECT_EQ(EOPNOTSUPP, hwpt_alloc_raw(self->fd, &cmd, sizeof(cmd)));
	CMD(.data_type = 99, .data_len = 8, .data_uptr = (uintptr_t)big);
	EXPECT_EQ(EOPNOTSUPP, hwpt_alloc_raw(self->fd, &cmd, sizeof(cmd)));
	CMD(.data_type = IOMMU_HWPT_DATA_SELFTEST, .data_len = 4,
	    .data_uptr = (uintptr_t)big);
	EXPECT_EQ(EOPNOTSUPP, hwpt_alloc_raw(self->fd, &cmd, sizeof(cmd)));
	/* A pointer without a length is not looked at */
	CMD(.data_uptr = (uintptr_t)big);
	EXPECT_EQ(0, hwpt_alloc_raw(self->fd, &cmd, sizeof(cmd)));
	EXPECT_EQ(0, destroy_obj(self->fd, cmd.out_hwpt_id));
	/* The device is looked up before what the flags ask of it */
	CMD(.flags = 1 << 4);
	cmd.dev_id = 9999;
	EXPECT_EQ(ENOENT, hwpt_alloc_raw(self->fd, &cmd, sizeof(cmd)));
	/* A nesting parent takes no fault queue, as upstream */
	CMD(.flags = IOMMU_HWPT_FAULT_ID_VALID | IOMMU_HWPT_ALLOC_NEST_PARENT);
	EXPECT_EQ(EOPNOTSUPP, hwpt_alloc_raw(self->fd, &cmd, sizeof(cmd)));
#undef CMD
}

TEST_F(mock_hwpt, hw_info)
{
	struct iommu_test_hw_info info;
	__u8 data[32];
	__u32 len, type;
	__u64 caps;
	struct iommu_hw_info cmd;

	memset(data, 0xff, sizeof(data));
	len = sizeof(data);
	ASSERT_EQ(0, hw_info(self->fd, self->idev, data, &len, &type, &caps));
	EXPECT_EQ(IOMMU_HW_INFO_TYPE_SELFTEST, type);
	EXPECT_EQ(sizeof(info), len);
	EXPECT_EQ(IOMMU_HW_CAP_DIRTY_TRACKING, caps);
	memcpy(&info, data, sizeof(info));
	EXPECT_EQ(0, info.flags);
	EXPECT_EQ(IOMMU_HW_INFO_SELFTEST_REGVAL, info.test_reg);
	/* The rest of the user's buffer reads as zero */
	while (len != sizeof(data))
		EXPECT_EQ(0, data[len++]);

	/* A short buffer gets what fits; the length says what there is */
	memset(data, 0xff, sizeof(data));
	len = 4;
	ASSERT_EQ(0, hw_info(self->fd, self->idev, data, &len, &type, &caps));
	EXPECT_EQ(sizeof(info), len);
	EXPECT_EQ(0, memcmp(data, &info, 4));
	EXPECT_EQ(0xff, data[4]);
	len = 0;
	ASSERT_EQ(0, hw_info(self->fd, self->idev, NULL, &len, &type, &caps));
	EXPECT_EQ(sizeof(info), len);
	len = sizeof(data);
	EXPECT_EQ(EFAULT, hw_info(self->fd, self->idev, (void *)8, &len,
				  &type, &caps));

	len = 0;
	EXPECT_EQ(ENOENT, hw_info(self->fd, self->ioas, NULL, &len, &type,
				  &caps));
	EXPECT_EQ(ENOENT, hw_info(self->fd, 9999, NULL, &len, &type, &caps));
	cmd = (struct iommu_hw_info){ .size = sizeof(cmd), .flags = 1,
				      .dev_id = self->idev };
	EXPECT_EQ(EOPNOTSUPP, xioctl(self->fd, IOMMU_GET_HW_INFO, &cmd));
	cmd = (struct iommu_hw_info){ .size = sizeof(cmd), .__reserved = 1,
				      .dev_id = self->idev };
	EXPECT_EQ(EOPNOTSUPP, xioctl(self->fd, IOMMU_GET_HW_INFO, &cmd));
	/* The Linux 6.6 layout: 32 bytes, no capabilities written */
	cmd = (struct iommu_hw_info){ .size = 32, .dev_id = self->idev,
				      .out_capabilities = 77 };
	EXPECT_EQ(0, xioctl(self->fd, IOMMU_GET_HW_INFO, &cmd));
	EXPECT_EQ(IOMMU_HW_INFO_TYPE_SELFTEST, cmd.out_data_type);
	EXPECT_EQ(77, cmd.out_capabilities);
	cmd.size = 31;
	EXPECT_EQ(EINVAL, xioctl(self->fd, IOMMU_GET_HW_INFO, &cmd));
}

static int access_replace(int fd, int access_fd, __u32 ioas)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_ACCESS_REPLACE_IOAS,
		.id = access_fd,
		.access_replace_ioas = { .ioas_id = ioas },
	};

	return test_cmd(fd, &cmd);
}

/* MOCK_DOMAIN_REPLACE: between IOASes and HWPTs; a failure changes nothing */
TEST_F(mock_hwpt, domain_replace)
{
	char *buf2 = alloc_buffer(BUF_LEN, PSZ, 0);
	__u32 ioas2, pt, manual;

	ASSERT_NE(NULL, buf2);
	ASSERT_EQ(0, ioas_alloc(self->fd, &ioas2));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, self->buf, BUF_LEN,
			      IOVA_A));
	ASSERT_EQ(0, ioas_map(self->fd, ioas2, buf2, BUF_LEN, IOVA_A));

	pt = ioas2;
	ASSERT_EQ(0, mock_domain_replace(self->fd, self->stdev, pt, &pt));
	EXPECT_NE(self->hwpt, pt);
	EXPECT_EQ(0, check_map(self->fd, pt, IOVA_A, buf2, BUF_LEN));
	/* The automatic HWPT left with its last device */
	EXPECT_EQ(ENOENT, destroy_obj(self->fd, self->hwpt));
	EXPECT_EQ(0, check_refs(self->fd, self->buf, BUF_LEN, 0));

	/* Failures leave it where it was */
	manual = 9999;
	EXPECT_EQ(ENOENT, mock_domain_replace(self->fd, self->stdev, manual, &manual));
	manual = self->idev;
	EXPECT_EQ(EINVAL, mock_domain_replace(self->fd, self->stdev, manual, &manual));
	EXPECT_EQ(0, check_map(self->fd, pt, IOVA_A, buf2, BUF_LEN));
	EXPECT_EQ(ENOENT, mock_domain_replace(self->fd, self->ioas, pt, &pt));

	/* To a manual HWPT of the first IOAS, and back to the IOAS */
	ASSERT_EQ(0, hwpt_alloc(self->fd, self->idev, self->ioas, &manual));
	pt = manual;
	ASSERT_EQ(0, mock_domain_replace(self->fd, self->stdev, pt, &pt));
	EXPECT_EQ(manual, pt);
	EXPECT_EQ(0, check_map(self->fd, manual, IOVA_A, self->buf, BUF_LEN));
	EXPECT_EQ(0, check_refs(self->fd, buf2, BUF_LEN, 0));
	EXPECT_EQ(EBUSY, destroy_obj(self->fd, manual));
	pt = ioas2;
	ASSERT_EQ(0, mock_domain_replace(self->fd, self->stdev, pt, &pt));
	EXPECT_EQ(0, destroy_obj(self->fd, manual));
	munmap(buf2, BUF_LEN);
}

/* ACCESS_REPLACE_IOAS drops the pins of the old IOAS, then reads the new */
TEST_F(mock_hwpt, access_replace)
{
	char *buf2 = alloc_buffer(BUF_LEN, PSZ, 0);
	__u32 ioas2, pages_id;
	char data[16];
	int afd;

	ASSERT_NE(NULL, buf2);
	ASSERT_EQ(0, ioas_alloc(self->fd, &ioas2));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, self->buf, BUF_LEN,
			      IOVA_A));
	ASSERT_EQ(0, ioas_map(self->fd, ioas2, buf2, BUF_LEN, IOVA_A));
	memset(self->buf, 'a', BUF_LEN);
	memset(buf2, 'b', BUF_LEN);
	/* No domain: what is pinned is the access's doing */
	ASSERT_EQ(0, destroy_obj(self->fd, self->stdev));
	ASSERT_EQ(0, create_access(self->fd, self->ioas,
				   MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
				   &afd));
	ASSERT_EQ(0, access_pages(self->fd, afd, IOVA_A, PSZ, self->buf, 0,
				  &pages_id));
	EXPECT_EQ(0, check_refs(self->fd, self->buf, PSZ, 1));

	EXPECT_EQ(ENOENT, access_replace(self->fd, afd, 9999));
	EXPECT_EQ(ENOENT, access_replace(self->fd, afd, self->idev));
	EXPECT_EQ(0, check_refs(self->fd, self->buf, PSZ, 1));
	ASSERT_EQ(0, access_replace(self->fd, afd, ioas2));
	EXPECT_EQ(0, check_refs(self->fd, self->buf, PSZ, 0));
	EXPECT_EQ(ENOENT, destroy_access_pages(self->fd, afd, pages_id));
	ASSERT_EQ(0, access_rw(self->fd, afd, IOVA_A, data, sizeof(data), 0));
	EXPECT_EQ('b', data[0]);
	/* The old IOAS is free of it; the new one is not */
	EXPECT_EQ(0, destroy_obj(self->fd, self->ioas));
	EXPECT_EQ(EBUSY, destroy_obj(self->fd, ioas2));
	ASSERT_EQ(0, access_pages(self->fd, afd, IOVA_A, PSZ, buf2, 0,
				  &pages_id));
	EXPECT_EQ(0, check_refs(self->fd, buf2, PSZ, 1));
	close(afd);
	EXPECT_EQ(0, check_refs(self->fd, buf2, PSZ, 0));
	EXPECT_EQ(0, destroy_obj(self->fd, ioas2));
	munmap(buf2, BUF_LEN);
}

/* Replacing onto the IOAS the access already uses is a no-op: 0, pins kept */
TEST_F(mock_hwpt, access_replace_same)
{
	__u32 pages_id;
	char data[16];
	int afd;

	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, self->buf, BUF_LEN,
			      IOVA_A));
	memset(self->buf, 'a', BUF_LEN);
	ASSERT_EQ(0, destroy_obj(self->fd, self->stdev));
	ASSERT_EQ(0, create_access(self->fd, self->ioas,
				   MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
				   &afd));
	ASSERT_EQ(0, access_pages(self->fd, afd, IOVA_A, PSZ, self->buf, 0,
				  &pages_id));
	EXPECT_EQ(0, access_replace(self->fd, afd, self->ioas));
	/* Not unpinned: the pin and its ID are still there */
	EXPECT_EQ(0, check_refs(self->fd, self->buf, PSZ, 1));
	EXPECT_EQ(0, destroy_access_pages(self->fd, afd, pages_id));
	EXPECT_EQ(0, check_refs(self->fd, self->buf, PSZ, 0));
	ASSERT_EQ(0, access_rw(self->fd, afd, IOVA_A, data, sizeof(data), 0));
	EXPECT_EQ('a', data[0]);
	EXPECT_EQ(EBUSY, destroy_obj(self->fd, self->ioas));
	close(afd);
}

/*
 * An access whose unmap callback pins again keeps pins on the old IOAS
 * through the replace: EBUSY, and it stays on the old IOAS, usable
 */
TEST_F(mock_hwpt, access_replace_repinned)
{
	__u32 ioas2, pages_id;
	char data[16];
	int afd;

	ASSERT_EQ(0, ioas_alloc(self->fd, &ioas2));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, self->buf, BUF_LEN,
			      IOVA_A));
	memset(self->buf, 'a', BUF_LEN);
	ASSERT_EQ(0, destroy_obj(self->fd, self->stdev));
	ASSERT_EQ(0, create_access(self->fd, self->ioas,
				   MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES |
				   MOCK_FLAGS_ACCESS_CREATE_REPIN_ON_UNMAP,
				   &afd));
	ASSERT_EQ(0, access_pages(self->fd, afd, IOVA_A, PSZ, self->buf, 0,
				  &pages_id));
	EXPECT_EQ(EBUSY, access_replace(self->fd, afd, ioas2));
	/* Still pinned once, still on the old IOAS, not on the new one */
	EXPECT_EQ(0, check_refs(self->fd, self->buf, PSZ, 1));
	EXPECT_EQ(0, destroy_obj(self->fd, ioas2));
	EXPECT_EQ(EBUSY, destroy_obj(self->fd, self->ioas));
	ASSERT_EQ(0, access_rw(self->fd, afd, IOVA_A, data, sizeof(data), 0));
	EXPECT_EQ('a', data[0]);
	EXPECT_EQ(0, destroy_access_pages(self->fd, afd, pages_id));
	EXPECT_EQ(0, check_refs(self->fd, self->buf, PSZ, 0));
	close(afd);
	EXPECT_EQ(0, check_refs(self->fd, self->buf, PSZ, 0));
}

/*
 * A pinning access needs page-aligned areas: an IOAS holding one that is
 * not refuses it with EADDRINUSE, and the access stays where it was
 */
TEST_F(mock_hwpt, access_replace_unaligned)
{
	char *buf2 = alloc_buffer(BUF_LEN, PSZ, 0);
	__u32 ioas2, pages_id;
	char data[16];
	int afd;

	ASSERT_NE(NULL, buf2);
	ASSERT_EQ(0, ioas_alloc(self->fd, &ioas2));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, self->buf, BUF_LEN,
			      IOVA_A));
	/* No domain, no access: alignment 1, so this map is allowed */
	ASSERT_EQ(0, ioas_map(self->fd, ioas2, buf2 + 100, 200, IOVA_A + 100));
	memset(self->buf, 'a', BUF_LEN);
	ASSERT_EQ(0, destroy_obj(self->fd, self->stdev));
	ASSERT_EQ(0, create_access(self->fd, self->ioas,
				   MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
				   &afd));
	ASSERT_EQ(0, access_pages(self->fd, afd, IOVA_A, PSZ, self->buf, 0,
				  &pages_id));
	EXPECT_EQ(EADDRINUSE, access_replace(self->fd, afd, ioas2));
	/* The replace dropped the pins first; the access is on the old IOAS */
	EXPECT_EQ(0, check_refs(self->fd, self->buf, PSZ, 0));
	EXPECT_EQ(0, destroy_obj(self->fd, ioas2));
	EXPECT_EQ(EBUSY, destroy_obj(self->fd, self->ioas));
	ASSERT_EQ(0, access_rw(self->fd, afd, IOVA_A, data, sizeof(data), 0));
	EXPECT_EQ('a', data[0]);
	ASSERT_EQ(0, access_pages(self->fd, afd, IOVA_A, PSZ, self->buf, 0,
				  &pages_id));
	EXPECT_EQ(0, check_refs(self->fd, self->buf, PSZ, 1));
	close(afd);
	EXPECT_EQ(0, check_refs(self->fd, self->buf, PSZ, 0));
	munmap(buf2, BUF_LEN);
}

static int set_dirty(int fd, __u32 hwpt, __u32 flags)
{
	struct iommu_hwpt_set_dirty_tracking cmd = {
		.size = sizeof(cmd), .flags = flags, .hwpt_id = hwpt,
	};

	return xioctl(fd, IOMMU_HWPT_SET_DIRTY_TRACKING, &cmd);
}

static int get_dirty(int fd, __u32 hwpt, __u64 iova, __u64 length,
		     __u64 page_size, void *bits, __u32 flags)
{
	struct iommu_hwpt_get_dirty_bitmap cmd = {
		.size = sizeof(cmd), .hwpt_id = hwpt, .flags = flags,
		.iova = iova, .length = length, .page_size = page_size,
		.data = (uintptr_t)bits,
	};

	return xioctl(fd, IOMMU_HWPT_GET_DIRTY_BITMAP, &cmd);
}

/* The mock device "writes" the pages whose bits are set */
static int mock_dirty(int fd, __u32 hwpt, __u64 iova, __u64 length,
		      __u64 page_size, void *bits, __u64 *nr)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_DIRTY,
		.id = hwpt,
		.dirty = { .iova = iova, .length = length,
			   .page_size = page_size, .uptr = (uintptr_t)bits },
	};
	int rc = test_cmd(fd, &cmd);

	if (!rc && nr)
		*nr = cmd.dirty.out_nr_dirty;
	return rc;
}

static unsigned int count_bits(const __u64 *bits, size_t nwords)
{
	unsigned int n = 0;
	size_t i;

	for (i = 0; i != nwords; i++)
		n += __builtin_popcountll(bits[i]);
	return n;
}

#define TEST_BIT(b, i) (((b)[(i) / 64] >> ((i) % 64)) & 1)
#define SET_BIT(b, i) ((b)[(i) / 64] |= 1ULL << ((i) % 64))

/* Only IOMMUs that track dirty pages get dirty-tracking HWPTs */
TEST_F(mock_hwpt, dirty_capability)
{
	__u32 stdev, idev_nd, h, len = 0, type, s2, i2;
	__u64 caps;

	ASSERT_EQ(0, mock_domain_flags(self->fd, self->ioas,
				       MOCK_FLAGS_DEVICE_NO_DIRTY, &stdev, NULL,
				       &idev_nd));
	ASSERT_EQ(0, hw_info(self->fd, idev_nd, NULL, &len, &type, &caps));
	EXPECT_EQ(0, caps);
	/* 1 << 1 is MOCK_FLAGS_DEVICE_HUGE_IOVA; 1 << 2 (upstream: PASID) none */
	EXPECT_EQ(EINVAL, mock_domain_flags(self->fd, self->ioas, 1 << 2, &s2,
					    NULL, &i2));

	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd), .flags = IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
		.dev_id = idev_nd, .pt_id = self->ioas,
	};
	EXPECT_EQ(EOPNOTSUPP, xioctl(self->fd, IOMMU_HWPT_ALLOC, &cmd));
	cmd.dev_id = self->idev;
	ASSERT_EQ(0, xioctl(self->fd, IOMMU_HWPT_ALLOC, &cmd));
	h = cmd.out_hwpt_id;
	/* A device that cannot track stays off it; one that can attaches */
	EXPECT_EQ(EINVAL, mock_domain_flags(self->fd, h,
					    MOCK_FLAGS_DEVICE_NO_DIRTY, &s2,
					    NULL, &i2));
	ASSERT_EQ(0, mock_domain_flags(self->fd, h, 0, &s2, NULL, &i2));

	/* HWPTs made without the flag do not track */
	EXPECT_EQ(EOPNOTSUPP, set_dirty(self->fd, self->hwpt,
					IOMMU_HWPT_DIRTY_TRACKING_ENABLE));
	EXPECT_EQ(ENOENT, set_dirty(self->fd, 9999, 0));
	EXPECT_EQ(ENOENT, set_dirty(self->fd, self->ioas, 0));
	EXPECT_EQ(EOPNOTSUPP, set_dirty(self->fd, h, 2));
	struct iommu_hwpt_set_dirty_tracking sd = {
		.size = sizeof(sd), .hwpt_id = h, .__reserved = 1,
	};
	EXPECT_EQ(EOPNOTSUPP, xioctl(self->fd, IOMMU_HWPT_SET_DIRTY_TRACKING,
				     &sd));
	EXPECT_EQ(0, set_dirty(self->fd, h, IOMMU_HWPT_DIRTY_TRACKING_ENABLE));
	EXPECT_EQ(0, set_dirty(self->fd, h, 0));
}

/* What the device wrote shows in the bitmap once, or until cleared */
TEST_F(mock_hwpt, dirty_bitmap)
{
	size_t len = 16UL << 20, npages = len / PSZ;
	char *big = alloc_buffer(len, PSZ, 0);
	__u64 in[2] = {}, nr, *bits;
	__u32 h, s2, i2;
	size_t nwords;

	ASSERT_NE(NULL, big);
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd), .flags = IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
		.dev_id = self->idev, .pt_id = self->ioas,
	};
	ASSERT_EQ(0, xioctl(self->fd, IOMMU_HWPT_ALLOC, &cmd));
	h = cmd.out_hwpt_id;
	ASSERT_EQ(0, mock_domain_flags(self->fd, h, 0, &s2, NULL, &i2));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, big, len, IOVA_A));
	nwords = npages * 2 / 64;	/* enough for MOCK_PSZ bits */
	bits = calloc(nwords, sizeof(*bits));
	ASSERT_NE(NULL, bits);

	/* Tracking off: nothing to read, nothing to mark */
	SET_BIT(in, 1);
	EXPECT_EQ(EINVAL, mock_dirty(self->fd, h, IOVA_A, 64 * PSZ, PSZ, in,
				     NULL));
	EXPECT_EQ(EINVAL, get_dirty(self->fd, h, IOVA_A, len, PSZ, bits, 0));
	ASSERT_EQ(0, set_dirty(self->fd, h, IOMMU_HWPT_DIRTY_TRACKING_ENABLE));
	EXPECT_EQ(0, get_dirty(self->fd, h, IOVA_A, len, PSZ, bits, 0));
	EXPECT_EQ(0, count_bits(bits, nwords));

	/* Pages 1, 5 and 100 written */
	SET_BIT(in, 5);
	SET_BIT(in, 100);
	ASSERT_EQ(0, mock_dirty(self->fd, h, IOVA_A, 128 * PSZ, PSZ, in, &nr));
	EXPECT_EQ(3, nr);
	EXPECT_EQ(0, get_dirty(self->fd, h, IOVA_A, len, PSZ, bits,
			       IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR));
	EXPECT_EQ(3, count_bits(bits, nwords));
	EXPECT_TRUE(TEST_BIT(bits, 1) && TEST_BIT(bits, 5) &&
		    TEST_BIT(bits, 100));
	/* NO_CLEAR kept them; a plain read reports and clears */
	memset(bits, 0, nwords * 8);
	EXPECT_EQ(0, get_dirty(self->fd, h, IOVA_A, len, PSZ, bits, 0));
	EXPECT_EQ(3, count_bits(bits, nwords));
	memset(bits, 0, nwords * 8);
	EXPECT_EQ(0, get_dirty(self->fd, h, IOVA_A, len, PSZ, bits, 0));
	EXPECT_EQ(0, count_bits(bits, nwords));

	/* Half-page bits: one page written is two bits; set bits stay set */
	memset(in, 0, sizeof(in));
	SET_BIT(in, 0);
	ASSERT_EQ(0, mock_dirty(self->fd, h, IOVA_A + 3 * PSZ, PSZ, PSZ, in,
				&nr));
	EXPECT_EQ(1, nr);
	SET_BIT(bits, 0);
	EXPECT_EQ(0, get_dirty(self->fd, h, IOVA_A, len, MOCK_PSZ, bits, 0));
	EXPECT_EQ(3, count_bits(bits, nwords));
	EXPECT_TRUE(TEST_BIT(bits, 0) && TEST_BIT(bits, 6) &&
		    TEST_BIT(bits, 7));

	/* A page past the first 4096 bits (the kernel's chunk) */
	memset(bits, 0, nwords * 8);
	ASSERT_EQ(0, mock_dirty(self->fd, h, IOVA_A + 3000 * PSZ, PSZ, PSZ, in,
				&nr));
	EXPECT_EQ(0, get_dirty(self->fd, h, IOVA_A, len, MOCK_PSZ, bits, 0));
	EXPECT_EQ(2, count_bits(bits, nwords));
	EXPECT_TRUE(TEST_BIT(bits, 6000) && TEST_BIT(bits, 6001));

	/* Errors */
	EXPECT_EQ(EINVAL, get_dirty(self->fd, h, IOVA_A, len, 0, bits, 0));
	EXPECT_EQ(EINVAL, get_dirty(self->fd, h, IOVA_A, len, 3 * PSZ, bits,
				    0));
	EXPECT_EQ(EINVAL, get_dirty(self->fd, h, IOVA_A + 1, PSZ, PSZ, bits,
				    0));
	EXPECT_EQ(EINVAL, get_dirty(self->fd, h, IOVA_A, PSZ + 1, PSZ, bits,
				    0));
	/* length 0: the last IOVA wraps, so EOVERFLOW, as upstream */
	EXPECT_EQ(EOVERFLOW, get_dirty(self->fd, h, IOVA_A, 0, PSZ, bits, 0));
	EXPECT_EQ(EOVERFLOW, get_dirty(self->fd, h, -PSZ, 2 * PSZ, PSZ, bits,
				       0));
	EXPECT_EQ(EOPNOTSUPP, get_dirty(self->fd, h, IOVA_A, len, PSZ, bits,
					2));
	EXPECT_EQ(EFAULT, get_dirty(self->fd, h, IOVA_A, len, PSZ, NULL, 0));
	EXPECT_EQ(EOPNOTSUPP, get_dirty(self->fd, self->hwpt, IOVA_A, len, PSZ,
					bits, 0));
	EXPECT_EQ(ENOENT, get_dirty(self->fd, 9999, IOVA_A, len, PSZ, bits, 0));
	/*
	 * Upstream's order: the HWPT, then the range, then whether the HWPT
	 * tracks at all
	 */
	EXPECT_EQ(ENOENT, get_dirty(self->fd, 9999, IOVA_A + 1, len, PSZ, bits,
				    0));
	EXPECT_EQ(ENOENT, get_dirty(self->fd, self->ioas, -PSZ, 2 * PSZ, PSZ,
				    bits, 0));
	EXPECT_EQ(EINVAL, get_dirty(self->fd, self->hwpt, IOVA_A + 1, len, PSZ,
				    bits, 0));
	EXPECT_EQ(EINVAL, get_dirty(self->fd, self->hwpt, IOVA_A, len, 0, bits,
				    0));
	EXPECT_EQ(EOVERFLOW, get_dirty(self->fd, self->hwpt, -PSZ, 2 * PSZ, PSZ,
				       bits, 0));

	ASSERT_EQ(0, set_dirty(self->fd, h, 0));
	EXPECT_EQ(EINVAL, mock_dirty(self->fd, h, IOVA_A, PSZ, PSZ, in, NULL));
	free(bits);
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas, IOVA_A, len, NULL));
	munmap(big, len);
}

/*
 * IOMMU_TEST_OP_DIRTY's own errors: no such HWPT (ENOENT), a HWPT made
 * without dirty tracking (EINVAL), and a bitmap it cannot read (EFAULT,
 * nothing marked)
 */
TEST_F(mock_hwpt, mock_dirty_errors)
{
	__u64 in[1] = { 0xf }, nr = 0xdead, bits[1] = {};
	__u32 h, s2, i2;
	void *hole;

	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd), .flags = IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
		.dev_id = self->idev, .pt_id = self->ioas,
	};
	ASSERT_EQ(0, xioctl(self->fd, IOMMU_HWPT_ALLOC, &cmd));
	h = cmd.out_hwpt_id;
	ASSERT_EQ(0, mock_domain_flags(self->fd, h, 0, &s2, NULL, &i2));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, self->buf, BUF_LEN,
			      IOVA_A));
	ASSERT_EQ(0, set_dirty(self->fd, h, IOMMU_HWPT_DIRTY_TRACKING_ENABLE));

	EXPECT_EQ(ENOENT, mock_dirty(self->fd, 9999, IOVA_A, 4 * PSZ, PSZ, in,
				     &nr));
	EXPECT_EQ(ENOENT, mock_dirty(self->fd, self->ioas, IOVA_A, 4 * PSZ,
				     PSZ, in, &nr));
	EXPECT_EQ(EINVAL, mock_dirty(self->fd, self->hwpt, IOVA_A, 4 * PSZ,
				     PSZ, in, &nr));
	hole = mmap(NULL, PSZ, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, hole);
	ASSERT_EQ(0, munmap(hole, PSZ));
	EXPECT_EQ(EFAULT, mock_dirty(self->fd, h, IOVA_A, 4 * PSZ, PSZ, hole,
				     &nr));
	EXPECT_EQ(0xdead, nr);
	/* None of the failures marked a page */
	EXPECT_EQ(0, get_dirty(self->fd, h, IOVA_A, BUF_LEN, PSZ, bits, 0));
	EXPECT_EQ(0, bits[0]);
	/* The same call with a readable bitmap marks the four */
	ASSERT_EQ(0, mock_dirty(self->fd, h, IOVA_A, 4 * PSZ, PSZ, in, &nr));
	EXPECT_EQ(4, nr);
	EXPECT_EQ(0, get_dirty(self->fd, h, IOVA_A, BUF_LEN, PSZ, bits, 0));
	EXPECT_EQ(0xf, bits[0]);
	ASSERT_EQ(0, set_dirty(self->fd, h, 0));
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas, IOVA_A, BUF_LEN, NULL));
}

static int alloc_nested(int fd, __u32 dev, __u32 parent, __u32 flags,
			__u32 type, void *data, __u32 len, __u32 *out)
{
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd), .flags = flags, .dev_id = dev,
		.pt_id = parent, .data_type = type, .data_len = len,
		.data_uptr = (uintptr_t)data,
	};
	int rc = xioctl(fd, IOMMU_HWPT_ALLOC, &cmd);

	if (!rc && out)
		*out = cmd.out_hwpt_id;
	return rc;
}

/* *num: in requests, out requests handled */
static int invalidate(int fd, __u32 hwpt, void *reqs, __u32 type,
		      __u32 entry_len, __u32 *num)
{
	struct iommu_hwpt_invalidate cmd = {
		.size = sizeof(cmd), .hwpt_id = hwpt,
		.data_uptr = (uintptr_t)reqs, .data_type = type,
		.entry_len = entry_len, .entry_num = *num,
	};
	int rc = xioctl(fd, IOMMU_HWPT_INVALIDATE, &cmd);

	*num = cmd.entry_num;
	return rc;
}

/* 0 when IOTLB entry @id of nested mock HWPT @hwpt holds @val */
static int check_iotlb(int fd, __u32 hwpt, __u32 id, __u32 val)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_MD_CHECK_IOTLB, .id = hwpt,
		.check_iotlb = { .id = id, .iotlb = val },
	};

	return test_cmd(fd, &cmd);
}

/* The four IOTLB entries of nested mock HWPT @hwpt, as a bit per entry */
static unsigned int iotlb_set(int fd, __u32 hwpt)
{
	unsigned int i, set = 0;

	for (i = 0; i != MOCK_NESTED_DOMAIN_IOTLB_NUM; i++)
		set |= !check_iotlb(fd, hwpt, i, IOMMU_TEST_IOTLB_DEFAULT) << i;
	return set;
}

/*
 * Nested HWPTs on the mock: a nesting parent, two nested HWPTs on it with
 * the mock's stage-1 data, their IOTLB invalidations, and a device moving
 * between them.  Upstream's iommufd_ioas.*.alloc_hwpt_nested does the same
 * around its fault queue steps (ioasid_fault_queue tests those).
 */
TEST_F(mock_hwpt, nested)
{
	struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
	struct iommu_hwpt_invalidate_selftest inv[2] = {};
	__u32 parent, plain, n0, n1, h, num, pt;
	__u64 bits[1] = {};

	ASSERT_EQ(0, alloc_nested(self->fd, self->idev, self->ioas,
				  IOMMU_HWPT_ALLOC_NEST_PARENT,
				  IOMMU_HWPT_DATA_NONE, NULL, 0, &parent));
	ASSERT_EQ(0, hwpt_alloc(self->fd, self->idev, self->ioas, &plain));

	/* What a nested HWPT needs */
	EXPECT_EQ(EINVAL, alloc_nested(self->fd, self->idev, parent, 0,
				       IOMMU_HWPT_DATA_NONE, &data,
				       sizeof(data), &h));
	EXPECT_EQ(EOPNOTSUPP, alloc_nested(self->fd, self->idev, parent, 0,
					   IOMMU_HWPT_DATA_SELFTEST + 1, &data,
					   sizeof(data), &h));
	EXPECT_EQ(EINVAL, alloc_nested(self->fd, self->idev, parent, 0,
				       IOMMU_HWPT_DATA_SELFTEST, &data,
				       sizeof(data) - 1, &h));
	EXPECT_EQ(EINVAL, alloc_nested(self->fd, self->idev, parent, 0,
				       IOMMU_HWPT_DATA_SELFTEST, &data,
				       sizeof(data) + 1, &h));
	EXPECT_EQ(EFAULT, alloc_nested(self->fd, self->idev, parent, 0,
				       IOMMU_HWPT_DATA_SELFTEST, NULL,
				       sizeof(data), &h));
	EXPECT_EQ(EOPNOTSUPP, alloc_nested(self->fd, self->idev, parent,
					   IOMMU_HWPT_ALLOC_NEST_PARENT,
					   IOMMU_HWPT_DATA_SELFTEST, &data,
					   sizeof(data), &h));
	/*
	 * As upstream, fault_id is looked up last, once the nested HWPT
	 * exists: ENOENT, as fault_id 0 names no fault queue, after what
	 * the allocation answers
	 */
	EXPECT_EQ(ENOENT, alloc_nested(self->fd, self->idev, parent,
				       IOMMU_HWPT_FAULT_ID_VALID,
				       IOMMU_HWPT_DATA_SELFTEST, &data,
				       sizeof(data), &h));
	EXPECT_EQ(EOPNOTSUPP, alloc_nested(self->fd, self->idev, parent,
					   IOMMU_HWPT_FAULT_ID_VALID,
					   IOMMU_HWPT_DATA_SELFTEST + 1, &data,
					   sizeof(data), &h));
	/* Parents: of HWPT_ALLOC, with NEST_PARENT, not nested themselves */
	EXPECT_EQ(EINVAL, alloc_nested(self->fd, self->idev, plain, 0,
				       IOMMU_HWPT_DATA_SELFTEST, &data,
				       sizeof(data), &h));
	EXPECT_EQ(EINVAL, alloc_nested(self->fd, self->idev, self->hwpt, 0,
				       IOMMU_HWPT_DATA_SELFTEST, &data,
				       sizeof(data), &h));
	EXPECT_EQ(EINVAL, alloc_nested(self->fd, self->idev, self->idev, 0,
				       IOMMU_HWPT_DATA_SELFTEST, &data,
				       sizeof(data), &h));

	ASSERT_EQ(0, alloc_nested(self->fd, self->idev, parent, 0,
				  IOMMU_HWPT_DATA_SELFTEST, &data,
				  sizeof(data), &n0));
	ASSERT_EQ(0, alloc_nested(self->fd, self->idev, parent, 0,
				  IOMMU_HWPT_DATA_SELFTEST, &data,
				  sizeof(data), &n1));
	EXPECT_EQ(0xf, iotlb_set(self->fd, n0));
	EXPECT_EQ(0xf, iotlb_set(self->fd, n1));
	EXPECT_EQ(EINVAL, alloc_nested(self->fd, self->idev, n0, 0,
				       IOMMU_HWPT_DATA_SELFTEST, &data,
				       sizeof(data), &h));
	EXPECT_EQ(EBUSY, destroy_obj(self->fd, parent));
	/* A nested HWPT is not a paging one */
	EXPECT_EQ(ENOENT, check_map(self->fd, n0, IOVA_A, self->buf, PSZ));
	EXPECT_EQ(ENOENT, get_dirty(self->fd, n0, IOVA_A, PSZ, PSZ, bits, 0));
	EXPECT_EQ(ENOENT, check_iotlb(self->fd, parent, 0, 0));
	EXPECT_EQ(EINVAL, check_iotlb(self->fd, n0, 4, 0));

	/* Invalidation: only nested HWPTs, in the mock's format */
	num = 1;
	EXPECT_EQ(ENOENT, invalidate(self->fd, parent, inv,
				     IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				     sizeof(*inv), &num));
	EXPECT_EQ(0, num);
	num = 0;
	EXPECT_EQ(0, invalidate(self->fd, n0, NULL,
				IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, 0, &num));
	num = 0;
	EXPECT_EQ(EINVAL, invalidate(self->fd, n0, NULL,
				     IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID,
				     0, &num));
	num = 1;
	EXPECT_EQ(EINVAL, invalidate(self->fd, n0, inv,
				     IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				     sizeof(*inv) + 1, &num));
	EXPECT_EQ(0, num);
	num = 1;
	EXPECT_EQ(EINVAL, invalidate(self->fd, n0, inv,
				     IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, 1,
				     &num));
	num = 1;
	EXPECT_EQ(EINVAL, invalidate(self->fd, n0, NULL,
				     IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				     sizeof(*inv), &num));
	num = 1;
	EXPECT_EQ(EINVAL, invalidate(self->fd, n0, inv,
				     IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, 0,
				     &num));
	num = 1;
	inv[0].flags = 0xffffffff;
	EXPECT_EQ(EOPNOTSUPP, invalidate(self->fd, n0, inv,
					 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
					 sizeof(*inv), &num));
	EXPECT_EQ(0, num);
	num = 1;
	inv[0].flags = 0;
	inv[0].iotlb_id = MOCK_NESTED_DOMAIN_IOTLB_ID_MAX + 1;
	EXPECT_EQ(EINVAL, invalidate(self->fd, n0, inv,
				     IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				     sizeof(*inv), &num));
	EXPECT_EQ(0, num);
	EXPECT_EQ(0xf, iotlb_set(self->fd, n0));

	/* The first request done, the second refused: num says one */
	num = 2;
	inv[0].iotlb_id = 0;
	inv[1].flags = 0xffffffff;
	inv[1].iotlb_id = 1;
	EXPECT_EQ(EOPNOTSUPP, invalidate(self->fd, n0, inv,
					 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
					 sizeof(*inv), &num));
	EXPECT_EQ(1, num);
	EXPECT_EQ(0xe, iotlb_set(self->fd, n0));
	EXPECT_EQ(0, check_iotlb(self->fd, n0, 0, 0));
	num = 2;
	inv[0].iotlb_id = 2;
	inv[1].flags = 0;
	inv[1].iotlb_id = 3;
	EXPECT_EQ(0, invalidate(self->fd, n0, inv,
				IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				sizeof(*inv), &num));
	EXPECT_EQ(2, num);
	EXPECT_EQ(0x2, iotlb_set(self->fd, n0));
	/* The mock's first format is its only one: no shorter entries */
	num = 1;
	inv[0].flags = 0;
	EXPECT_EQ(EINVAL, invalidate(self->fd, n0, inv,
				     IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				     sizeof(*inv) - 1, &num));
	EXPECT_EQ(0, num);
	num = 1;
	inv[0].flags = IOMMU_TEST_INVALIDATE_FLAG_ALL;
	EXPECT_EQ(0, invalidate(self->fd, n1, inv,
				IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				sizeof(*inv), &num));
	EXPECT_EQ(0, iotlb_set(self->fd, n1));
	EXPECT_EQ(0x2, iotlb_set(self->fd, n0));

	/* A device on a nested HWPT keeps it; it moves on to the parent */
	pt = n0;
	ASSERT_EQ(0, mock_domain_replace(self->fd, self->stdev, pt, &pt));
	EXPECT_EQ(n0, pt);
	EXPECT_EQ(EBUSY, destroy_obj(self->fd, n0));
	pt = n1;
	ASSERT_EQ(0, mock_domain_replace(self->fd, self->stdev, pt, &pt));
	EXPECT_EQ(0, destroy_obj(self->fd, n0));
	EXPECT_EQ(EBUSY, destroy_obj(self->fd, n1));
	pt = parent;
	ASSERT_EQ(0, mock_domain_replace(self->fd, self->stdev, pt, &pt));
	EXPECT_EQ(0, destroy_obj(self->fd, n1));
	EXPECT_EQ(EBUSY, destroy_obj(self->fd, parent));
	pt = self->ioas;
	ASSERT_EQ(0, mock_domain_replace(self->fd, self->stdev, pt, &pt));
	self->hwpt = pt;
	EXPECT_EQ(0, destroy_obj(self->fd, parent));
	EXPECT_EQ(0, destroy_obj(self->fd, plain));

	/* Left alive, nested HWPTs and their parent go with the context */
	ASSERT_EQ(0, alloc_nested(self->fd, self->idev, self->ioas,
				  IOMMU_HWPT_ALLOC_NEST_PARENT,
				  IOMMU_HWPT_DATA_NONE, NULL, 0, &parent));
	ASSERT_EQ(0, alloc_nested(self->fd, self->idev, parent, 0,
				  IOMMU_HWPT_DATA_SELFTEST, &data,
				  sizeof(data), &n0));
	pt = n0;
	ASSERT_EQ(0, mock_domain_replace(self->fd, self->stdev, pt, &pt));
}

/* MD_CHECK_IOTLB on an ID that is no HWPT at all, or not a nested one */
TEST_F(mock_hwpt, check_iotlb_not_nested)
{
	EXPECT_EQ(ENOENT, check_iotlb(self->fd, 9999, 0,
				      IOMMU_TEST_IOTLB_DEFAULT));
	EXPECT_EQ(ENOENT, check_iotlb(self->fd, self->ioas, 0,
				      IOMMU_TEST_IOTLB_DEFAULT));
	EXPECT_EQ(ENOENT, check_iotlb(self->fd, self->idev, 0,
				      IOMMU_TEST_IOTLB_DEFAULT));
	EXPECT_EQ(ENOENT, check_iotlb(self->fd, self->hwpt, 0,
				      IOMMU_TEST_IOTLB_DEFAULT));
}

/*
 * INVALIDATE whose command cannot be written back (entry_num): EFAULT, but
 * the requests it handled before the copy-out stay done
 */
TEST_F(mock_hwpt, invalidate_efault)
{
	struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
	struct iommu_hwpt_invalidate_selftest inv[2] = {
		{ .iotlb_id = 0 }, { .iotlb_id = 2 },
	};
	struct iommu_hwpt_invalidate *cmd;
	__u32 parent, n0;

	ASSERT_EQ(0, alloc_nested(self->fd, self->idev, self->ioas,
				  IOMMU_HWPT_ALLOC_NEST_PARENT,
				  IOMMU_HWPT_DATA_NONE, NULL, 0, &parent));
	ASSERT_EQ(0, alloc_nested(self->fd, self->idev, parent, 0,
				  IOMMU_HWPT_DATA_SELFTEST, &data,
				  sizeof(data), &n0));
	ASSERT_EQ(0xf, iotlb_set(self->fd, n0));

	cmd = mmap(NULL, PSZ, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, cmd);
	*cmd = (struct iommu_hwpt_invalidate){
		.size = sizeof(*cmd), .hwpt_id = n0,
		.data_uptr = (uintptr_t)inv,
		.data_type = IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
		.entry_len = sizeof(*inv), .entry_num = 2,
	};
	ASSERT_EQ(0, mprotect(cmd, PSZ, PROT_READ));
	EXPECT_EQ(EFAULT, xioctl(self->fd, IOMMU_HWPT_INVALIDATE, cmd));
	EXPECT_EQ(2, cmd->entry_num);
	/* Entries 0 and 2 were flushed all the same */
	EXPECT_EQ(0xa, iotlb_set(self->fd, n0));
	EXPECT_EQ(0, check_iotlb(self->fd, n0, 0, 0));
	EXPECT_EQ(0, check_iotlb(self->fd, n0, 2, 0));

	/* A refused command does the same: EFAULT, not its own errno */
	ASSERT_EQ(0, mprotect(cmd, PSZ, PROT_READ | PROT_WRITE));
	cmd->hwpt_id = parent;
	cmd->entry_num = 1;
	ASSERT_EQ(0, mprotect(cmd, PSZ, PROT_READ));
	EXPECT_EQ(EFAULT, xioctl(self->fd, IOMMU_HWPT_INVALIDATE, cmd));
	munmap(cmd, PSZ);
	EXPECT_EQ(0, destroy_obj(self->fd, n0));
	EXPECT_EQ(0, destroy_obj(self->fd, parent));
}

/*
 * A HWPT of IOMMU_HWPT_ALLOC on a domain that is complete at allocation (the
 * mock's) mirrors its IOAS at once, as upstream's does: before any device
 * attaches, it maps what the IOAS maps, its aperture bounds the IOAS, and
 * dirty tracking works on it.  (VT-d and AMD-Vi domains of Linux 6.1 wait
 * for their first attach: edu_hwpt.)
 */
TEST_F(mock_hwpt, filled_at_alloc)
{
	struct iommu_iova_range r[4];
	__u64 in[1] = { 1 }, nr, bits[1] = {};
	__u32 ioas2, h, hd, num = 4;
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd), .flags = IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
		.dev_id = self->idev,
	};

	ASSERT_EQ(0, ioas_alloc(self->fd, &ioas2));
	ASSERT_EQ(0, ioas_map(self->fd, ioas2, self->buf, BUF_LEN, IOVA_A));
	ASSERT_EQ(0, ioas_ranges(self->fd, ioas2, r, &num, NULL));
	EXPECT_EQ(1, num);
	EXPECT_EQ(0, r[0].start);

	ASSERT_EQ(0, hwpt_alloc(self->fd, self->idev, ioas2, &h));
	EXPECT_EQ(0, check_map(self->fd, h, IOVA_A, self->buf, BUF_LEN));
	EXPECT_EQ(0, check_refs(self->fd, self->buf, BUF_LEN, 1));
	num = 4;
	ASSERT_EQ(0, ioas_ranges(self->fd, ioas2, r, &num, NULL));
	EXPECT_EQ(1, num);
	EXPECT_EQ(MOCK_APERTURE_START, r[0].start);
	/* Maps made now go into it too */
	ASSERT_EQ(0, ioas_map(self->fd, ioas2, self->buf, PSZ,
			      IOVA_A + BUF_LEN));
	EXPECT_EQ(0, check_map(self->fd, h, IOVA_A + BUF_LEN, self->buf, PSZ));
	ASSERT_EQ(0, ioas_unmap(self->fd, ioas2, IOVA_A + BUF_LEN, PSZ, NULL));

	/* A dirty-tracking HWPT no device ever attached to */
	cmd.pt_id = ioas2;
	ASSERT_EQ(0, xioctl(self->fd, IOMMU_HWPT_ALLOC, &cmd));
	hd = cmd.out_hwpt_id;
	ASSERT_EQ(0, set_dirty(self->fd, hd, IOMMU_HWPT_DIRTY_TRACKING_ENABLE));
	ASSERT_EQ(0, mock_dirty(self->fd, hd, IOVA_A + PSZ, PSZ, PSZ, in, &nr));
	EXPECT_EQ(1, nr);
	ASSERT_EQ(0, get_dirty(self->fd, hd, IOVA_A, BUF_LEN, PSZ, bits, 0));
	EXPECT_EQ(1ULL << 1, bits[0]);

	/* Destroyed, they let go of the pages and of the IOAS */
	EXPECT_EQ(EBUSY, destroy_obj(self->fd, ioas2));
	EXPECT_EQ(0, destroy_obj(self->fd, hd));
	EXPECT_EQ(0, destroy_obj(self->fd, h));
	EXPECT_EQ(0, check_refs(self->fd, self->buf, BUF_LEN, 0));
	num = 4;
	ASSERT_EQ(0, ioas_ranges(self->fd, ioas2, r, &num, NULL));
	EXPECT_EQ(0, r[0].start);
	EXPECT_EQ(0, destroy_obj(self->fd, ioas2));
}

/* An IOAS mapping outside the aperture keeps a complete domain out */
TEST_F(mock_hwpt, filled_at_alloc_conflict)
{
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd), .flags = IOMMU_HWPT_FAULT_ID_VALID,
		.dev_id = self->idev, .fault_id = 1,
	};
	__u32 ioas2, h;

	ASSERT_EQ(0, ioas_alloc(self->fd, &ioas2));
	ASSERT_EQ(0, ioas_map(self->fd, ioas2, self->buf, PSZ, PSZ));
	EXPECT_EQ(EADDRINUSE, hwpt_alloc(self->fd, self->idev, ioas2, &h));
	EXPECT_EQ(0, check_refs(self->fd, self->buf, PSZ, 0));
	/* The fill fails before fault_id is looked up, as upstream */
	cmd.pt_id = ioas2;
	EXPECT_EQ(EADDRINUSE, xioctl(self->fd, IOMMU_HWPT_ALLOC, &cmd));
	ASSERT_EQ(0, ioas_unmap(self->fd, ioas2, PSZ, PSZ, NULL));
	EXPECT_EQ(ENOENT, xioctl(self->fd, IOMMU_HWPT_ALLOC, &cmd));
	ASSERT_EQ(0, hwpt_alloc(self->fd, self->idev, ioas2, &h));
	EXPECT_EQ(0, destroy_obj(self->fd, h));
	EXPECT_EQ(0, destroy_obj(self->fd, ioas2));
}

/*
 * MOCK_FLAGS_DEVICE_HUGE_IOVA: the domains of such a device also map with
 * 512-IO-page IOPTEs, and one write dirties a whole IOPTE
 */
TEST_F(mock_hwpt, huge_iopte)
{
	size_t len = 2 * HUGE_SZ, huge = 512 * MOCK_PSZ;
	size_t nbits = len / MOCK_PSZ, i;
	__u64 iova = MOCK_APERTURE_START + HUGE_SZ, nr, *bits, in[1] = {};
	__u32 stdev, idev, h;
	char *hbuf;

	hbuf = mmap(NULL, len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_POPULATE,
		    -1, 0);
	ASSERT_NE(MAP_FAILED, hbuf);
	bits = calloc(nbits / 64, sizeof(*bits));
	ASSERT_NE(NULL, bits);
	ASSERT_EQ(0, mock_domain_flags(self->fd, self->ioas,
				       MOCK_FLAGS_DEVICE_HUGE_IOVA, &stdev,
				       NULL, &idev));
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd), .flags = IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
		.dev_id = idev, .pt_id = self->ioas,
	};
	ASSERT_EQ(0, xioctl(self->fd, IOMMU_HWPT_ALLOC, &cmd));
	h = cmd.out_hwpt_id;

	/* Huge pages, an unaligned piece of them and 4 KiB pages side by side */
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, hbuf, len, iova));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, hbuf + PSZ, huge,
			      iova + len + huge));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, self->buf, BUF_LEN,
			      iova + len + 4 * huge));
	EXPECT_EQ(0, check_map(self->fd, h, iova, hbuf, len));
	EXPECT_EQ(0, check_map(self->fd, h, iova + len + huge, hbuf + PSZ,
			       huge));
	EXPECT_EQ(0, check_map(self->fd, h, iova + len + 4 * huge, self->buf,
			       BUF_LEN));

	/* One IO page written in the second and the fourth IOPTE */
	ASSERT_EQ(0, set_dirty(self->fd, h, IOMMU_HWPT_DIRTY_TRACKING_ENABLE));
	in[0] = 1ULL << 1 | 1ULL << 3;
	ASSERT_EQ(0, mock_dirty(self->fd, h, iova, 4 * huge, huge, in, &nr));
	EXPECT_EQ(2, nr);
	ASSERT_EQ(0, get_dirty(self->fd, h, iova, len, MOCK_PSZ, bits,
			       IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR));
	for (i = 0; i != nbits; i++)
		ASSERT_EQ(i / 512 == 1 || i / 512 == 3, TEST_BIT(bits, i));
	/* Read from the middle of an IOPTE: the part asked for, cleared */
	memset(bits, 0, nbits / 8);
	ASSERT_EQ(0, get_dirty(self->fd, h, iova + huge + huge / 2, huge,
			       MOCK_PSZ, bits, 0));
	EXPECT_EQ(256, count_bits(bits, 512 / 64));
	memset(bits, 0, nbits / 8);
	ASSERT_EQ(0, get_dirty(self->fd, h, iova, len, MOCK_PSZ, bits, 0));
	EXPECT_EQ(512 + 256, count_bits(bits, nbits / 64));
	memset(bits, 0, nbits / 8);
	ASSERT_EQ(0, get_dirty(self->fd, h, iova, len, MOCK_PSZ, bits, 0));
	EXPECT_EQ(0, count_bits(bits, nbits / 64));

	/* Unmaps that cut nothing, then the rest */
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas, iova + len + huge, huge,
				NULL));
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas, 0, UINT64_MAX, NULL));
	EXPECT_EQ(0, destroy_obj(self->fd, h));
	EXPECT_EQ(0, destroy_obj(self->fd, stdev));
	free(bits);
	munmap(hbuf, len);
}

/* ------------------------------------------------ cache coherency */

/* VFIO_CHECK_EXTENSION(VFIO_DMA_CC_IOMMU) about @ioas: 0, 1 or -errno */
static int cc_of(int fd, __u32 ioas)
{
	struct iommu_vfio_ioas cmd = {
		.size = sizeof(cmd), .op = IOMMU_VFIO_IOAS_SET, .ioas_id = ioas,
	};
	int rc;

	if (ioctl(fd, IOMMU_VFIO_IOAS, &cmd))
		return -errno;
	rc = ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_DMA_CC_IOMMU);
	return rc < 0 ? -errno : rc;
}

#define CC MOCK_FLAGS_DEVICE_ENFORCE_CC

FIXTURE(mock_cc) {
	int fd;
	__u32 ioas;
	char *buf;
	struct ioasid_env env;
};

FIXTURE_SETUP(mock_cc)
{
	env_begin(&self->env);
	self->fd = ioasid_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, ioas_alloc(self->fd, &self->ioas));
	self->buf = alloc_buffer(BUF_LEN, PSZ, 0);
	ASSERT_NE(NULL, self->buf);
}

FIXTURE_TEARDOWN(mock_cc)
{
	close(self->fd);
	env_end(&self->env);
	munmap(self->buf, BUF_LEN);
}

/*
 * The extension is 1 exactly when every HWPT of the compat IOAS blocks
 * no-snoop DMA; without a compat IOAS it is ENODEV, as upstream
 */
TEST_F(mock_cc, extension)
{
	__u32 s_cc, h_cc, s_cc2, h_cc2, s_no, h_no;

	EXPECT_EQ(ENODEV, xioctl(self->fd, VFIO_CHECK_EXTENSION,
				 (void *)VFIO_DMA_CC_IOMMU));
	/* No HWPT: nothing that could let no-snoop through */
	EXPECT_EQ(1, cc_of(self->fd, self->ioas));
	ASSERT_EQ(0, mock_domain_flags(self->fd, self->ioas, CC, &s_cc, &h_cc,
				       NULL));
	EXPECT_EQ(1, cc_of(self->fd, self->ioas));
	/* The same kind shares the HWPT, the other kind gets its own */
	ASSERT_EQ(0, mock_domain_flags(self->fd, self->ioas, CC, &s_cc2, &h_cc2,
				       NULL));
	EXPECT_EQ(h_cc, h_cc2);
	ASSERT_EQ(0, mock_domain_flags(self->fd, self->ioas, 0, &s_no, &h_no,
				       NULL));
	EXPECT_NE(h_cc, h_no);
	EXPECT_EQ(0, cc_of(self->fd, self->ioas));
	/* Its automatic HWPT goes with it */
	ASSERT_EQ(0, destroy_obj(self->fd, s_no));
	EXPECT_EQ(1, cc_of(self->fd, self->ioas));
	ASSERT_EQ(0, destroy_obj(self->fd, s_cc));
	ASSERT_EQ(0, destroy_obj(self->fd, s_cc2));
	EXPECT_EQ(1, cc_of(self->fd, self->ioas));

	/* A device that cannot enforce alone: 0 */
	ASSERT_EQ(0, mock_domain_flags(self->fd, self->ioas, 0, &s_no, &h_no,
				       NULL));
	EXPECT_EQ(0, cc_of(self->fd, self->ioas));
}

/*
 * The domain is told before it is first filled: the mock domain, like
 * VT-d, refuses once it holds mappings, so memory mapped before the
 * first attach must not keep the HWPT from enforcing
 */
TEST_F(mock_cc, enforced_before_first_map)
{
	__u32 s1, h1, i1, h2, s2, got;

	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, self->buf, BUF_LEN,
			      IOVA_A));
	ASSERT_EQ(0, mock_domain_flags(self->fd, self->ioas, CC, &s1, &h1,
				       &i1));
	EXPECT_EQ(0, check_map(self->fd, h1, IOVA_A, self->buf, BUF_LEN));
	EXPECT_EQ(1, cc_of(self->fd, self->ioas));

	/*
	 * A HWPT_ALLOC domain of the mock is filled at allocation, and told
	 * before: the allocation fails (EINVAL) if the fill comes first
	 */
	ASSERT_EQ(0, hwpt_alloc(self->fd, i1, self->ioas, &h2));
	EXPECT_EQ(0, check_map(self->fd, h2, IOVA_A, self->buf, BUF_LEN));
	EXPECT_EQ(1, cc_of(self->fd, self->ioas));
	ASSERT_EQ(0, mock_domain_flags(self->fd, h2, CC, &s2, &got, NULL));
	EXPECT_EQ(h2, got);
	EXPECT_EQ(0, check_map(self->fd, h2, IOVA_A, self->buf, BUF_LEN));
	EXPECT_EQ(1, cc_of(self->fd, self->ioas));
	ASSERT_EQ(0, destroy_obj(self->fd, s2));
	ASSERT_EQ(0, destroy_obj(self->fd, h2));
}

/*
 * A HWPT serves devices of its own kind only: a device that can enforce
 * never lands on a HWPT that does not, and the other way round
 */
TEST_F(mock_cc, attach_rules)
{
	__u32 s_cc, h_auto, i_cc, s_no, h_no_auto, i_no, h_cc, h_no, s, h;

	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, self->buf, BUF_LEN,
			      IOVA_A));
	ASSERT_EQ(0, mock_domain_flags(self->fd, self->ioas, CC, &s_cc, &h_auto,
				       &i_cc));
	ASSERT_EQ(0, mock_domain_flags(self->fd, self->ioas, 0, &s_no,
				       &h_no_auto, &i_no));
	ASSERT_EQ(0, hwpt_alloc(self->fd, i_cc, self->ioas, &h_cc));
	ASSERT_EQ(0, hwpt_alloc(self->fd, i_no, self->ioas, &h_no));

	EXPECT_EQ(EINVAL, mock_domain_flags(self->fd, h_cc, 0, &s, NULL, NULL));
	EXPECT_EQ(EINVAL, mock_domain_flags(self->fd, h_no, CC, &s, NULL,
					    NULL));
	EXPECT_EQ(EINVAL, mock_domain_flags(self->fd, h_auto, 0, &s, NULL,
					    NULL));
	EXPECT_EQ(EINVAL, mock_domain_flags(self->fd, h_no_auto, CC, &s, NULL,
					    NULL));

	/* Replace is refused the same way and leaves the device where it was */
	h = h_no;
	EXPECT_EQ(EINVAL, mock_domain_replace(self->fd, s_cc, h, &h));
	h = h_cc;
	EXPECT_EQ(EINVAL, mock_domain_replace(self->fd, s_no, h, &h));
	EXPECT_EQ(EBUSY, destroy_obj(self->fd, h_auto));
	EXPECT_EQ(0, check_map(self->fd, h_auto, IOVA_A, self->buf, BUF_LEN));
	/* Onto its own kind it moves */
	h = h_cc;
	ASSERT_EQ(0, mock_domain_replace(self->fd, s_cc, h, &h));
	EXPECT_EQ(h_cc, h);
	h = h_no;
	ASSERT_EQ(0, mock_domain_replace(self->fd, s_no, h, &h));
	EXPECT_EQ(h_no, h);
	EXPECT_EQ(0, check_map(self->fd, h_cc, IOVA_A, self->buf, BUF_LEN));
	EXPECT_EQ(0, check_map(self->fd, h_no, IOVA_A, self->buf, BUF_LEN));
	EXPECT_EQ(0, cc_of(self->fd, self->ioas));

	ASSERT_EQ(0, destroy_obj(self->fd, s_no));
	ASSERT_EQ(0, destroy_obj(self->fd, h_no));
	EXPECT_EQ(1, cc_of(self->fd, self->ioas));
	ASSERT_EQ(0, destroy_obj(self->fd, s_cc));
	ASSERT_EQ(0, destroy_obj(self->fd, h_cc));
}

/*
 * A nested HWPT translates through its parent's page tables, so it serves
 * the devices its parent serves: those that can enforce on an enforcing
 * parent, the others on one that does not
 */
TEST_F(mock_cc, nested)
{
	struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
	__u32 s_cc, i_cc, s_no, i_no, p_cc, p_no, n_cc, n_no, s, h;

	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, self->buf, BUF_LEN,
			      IOVA_A));
	ASSERT_EQ(0, mock_domain_flags(self->fd, self->ioas, CC, &s_cc, NULL,
				       &i_cc));
	ASSERT_EQ(0, mock_domain_flags(self->fd, self->ioas, 0, &s_no, NULL,
				       &i_no));
	ASSERT_EQ(0, alloc_nested(self->fd, i_cc, self->ioas,
				  IOMMU_HWPT_ALLOC_NEST_PARENT,
				  IOMMU_HWPT_DATA_NONE, NULL, 0, &p_cc));
	ASSERT_EQ(0, alloc_nested(self->fd, i_no, self->ioas,
				  IOMMU_HWPT_ALLOC_NEST_PARENT,
				  IOMMU_HWPT_DATA_NONE, NULL, 0, &p_no));
	ASSERT_EQ(0, alloc_nested(self->fd, i_cc, p_cc, 0,
				  IOMMU_HWPT_DATA_SELFTEST, &data,
				  sizeof(data), &n_cc));
	ASSERT_EQ(0, alloc_nested(self->fd, i_no, p_no, 0,
				  IOMMU_HWPT_DATA_SELFTEST, &data,
				  sizeof(data), &n_no));
	EXPECT_EQ(0, cc_of(self->fd, self->ioas));

	EXPECT_EQ(EINVAL, mock_domain_flags(self->fd, n_cc, 0, &s, NULL, NULL));
	EXPECT_EQ(EINVAL, mock_domain_flags(self->fd, n_no, CC, &s, NULL,
					    NULL));
	h = n_no;
	EXPECT_EQ(EINVAL, mock_domain_replace(self->fd, s_cc, h, &h));
	h = n_cc;
	EXPECT_EQ(EINVAL, mock_domain_replace(self->fd, s_no, h, &h));
	ASSERT_EQ(0, mock_domain_flags(self->fd, n_cc, CC, &s, &h, NULL));
	EXPECT_EQ(n_cc, h);
	h = n_cc;
	ASSERT_EQ(0, mock_domain_replace(self->fd, s_cc, h, &h));
	h = n_no;
	ASSERT_EQ(0, mock_domain_replace(self->fd, s_no, h, &h));
	EXPECT_EQ(0xf, iotlb_set(self->fd, n_cc));
	EXPECT_EQ(0xf, iotlb_set(self->fd, n_no));

	ASSERT_EQ(0, destroy_obj(self->fd, s));
	ASSERT_EQ(0, destroy_obj(self->fd, s_cc));
	ASSERT_EQ(0, destroy_obj(self->fd, s_no));
	ASSERT_EQ(0, destroy_obj(self->fd, n_cc));
	ASSERT_EQ(0, destroy_obj(self->fd, n_no));
	ASSERT_EQ(0, destroy_obj(self->fd, p_cc));
	ASSERT_EQ(0, destroy_obj(self->fd, p_no));
	EXPECT_EQ(1, cc_of(self->fd, self->ioas));
}

/* ------------------------------------------------ real devices */

FIXTURE(edu_hwpt) {
	int fd, dfd;
	__u32 ioas, ioas2, devid;
	struct edu edu;
	char *buf, *buf2;
	struct vdev_info info;
	struct ioasid_env env;
};

FIXTURE_SETUP(edu_hwpt)
{
	self->dfd = -1;
	env_begin(&self->env);
	ASSERT_EQ(0, find_dev(DEV_EDU, 0, &self->info));
	self->fd = ioasid_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, ioas_alloc(self->fd, &self->ioas));
	ASSERT_EQ(0, ioas_alloc(self->fd, &self->ioas2));
	self->dfd = dev_open_bound(self->info.cdev, self->fd, &self->devid);
	ASSERT_LE(0, self->dfd);
	self->buf = alloc_buffer(BUF_LEN, PSZ, 0);
	self->buf2 = alloc_buffer(BUF_LEN, PSZ, 0);
	ASSERT_NE(NULL, self->buf);
	ASSERT_NE(NULL, self->buf2);
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, self->buf, BUF_LEN,
			      IOVA_A));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas2, self->buf2, BUF_LEN,
			      IOVA_A));
}

FIXTURE_TEARDOWN(edu_hwpt)
{
	edu_teardown(&self->edu);
	if (self->dfd >= 0)
		close(self->dfd);
	close(self->fd);
	env_end(&self->env);
	munmap(self->buf, BUF_LEN);
	munmap(self->buf2, BUF_LEN);
}

/* RAM -> device -> RAM at IOVA_A: lands in @mem */
static int roundtrip(struct edu *e, char *mem, unsigned char seed)
{
	unsigned int i;
	int rc;

	for (i = 0; i != XFER; i++)
		mem[i] = (char)(i * 5 + seed);
	memset(mem + PSZ, 0, XFER);
	rc = edu_copy(e, IOVA_A, IOVA_A + PSZ, XFER);
	if (rc)
		return rc;
	return memcmp(mem, mem + PSZ, XFER) ? EIO : 0;
}

/* A real IOMMU reports no vendor data on Linux 6.1, and says so */
TEST_F(edu_hwpt, hw_info_none)
{
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd), .flags = IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
		.dev_id = self->devid, .pt_id = self->ioas,
	};
	__u8 data[16];
	__u32 len = sizeof(data), type;
	__u64 caps;
	unsigned int i;

	memset(data, 0xff, sizeof(data));
	ASSERT_EQ(0, hw_info(self->fd, self->devid, data, &len, &type, &caps));
	EXPECT_EQ(IOMMU_HW_INFO_TYPE_NONE, type);
	EXPECT_EQ(0, len);
	EXPECT_EQ(0, caps);
	for (i = 0; i != sizeof(data); i++)
		EXPECT_EQ(0, data[i]);
	/* No dirty tracking in Linux 6.1's VT-d or AMD-Vi driver */
	EXPECT_EQ(EOPNOTSUPP, xioctl(self->fd, IOMMU_HWPT_ALLOC, &cmd));
	/* No nesting either */
	cmd.flags = IOMMU_HWPT_ALLOC_NEST_PARENT;
	EXPECT_EQ(EOPNOTSUPP, xioctl(self->fd, IOMMU_HWPT_ALLOC, &cmd));
}

/* Manual HWPTs: DMA through them, replace between them, DESTROY rules */
TEST_F(edu_hwpt, attach_replace_destroy)
{
	__u32 h1, h2, pt;

	ASSERT_EQ(0, hwpt_alloc(self->fd, self->devid, self->ioas, &h1));
	ASSERT_EQ(0, hwpt_alloc(self->fd, self->devid, self->ioas2, &h2));
	pt = h1;
	ASSERT_EQ(0, dev_attach(self->dfd, &pt));
	EXPECT_EQ(h1, pt);
	ASSERT_EQ(0, edu_setup(&self->edu, self->dfd));
	EXPECT_EQ(0, roundtrip(&self->edu, self->buf, 1));
	EXPECT_EQ(EBUSY, destroy_obj(self->fd, h1));

	/* Replace: the same IOVA now reaches the other IOAS's memory */
	pt = h2;
	ASSERT_EQ(0, dev_attach(self->dfd, &pt));
	EXPECT_EQ(h2, pt);
	memset(self->buf, 0, BUF_LEN);
	EXPECT_EQ(0, roundtrip(&self->edu, self->buf2, 2));
	EXPECT_EQ(0, self->buf[PSZ]);
	/* The old one is free to go; the new one is not */
	EXPECT_EQ(0, destroy_obj(self->fd, h1));
	EXPECT_EQ(EBUSY, destroy_obj(self->fd, h2));

	/* To the IOAS itself: an automatic HWPT, then h2 is unused */
	pt = self->ioas;
	ASSERT_EQ(0, dev_attach(self->dfd, &pt));
	EXPECT_NE(h2, pt);
	EXPECT_EQ(0, roundtrip(&self->edu, self->buf, 3));
	EXPECT_EQ(0, destroy_obj(self->fd, h2));
	ASSERT_EQ(0, dev_detach(self->dfd));
}

/*
 * Whether the IOMMU of @bdf can block no-snoop DMA, read from the
 * hardware's own report: VT-d when its ECAP has Snoop Control (bit 7;
 * QEMU's intel-iommu only with snoop-control=on), AMD-Vi always (Linux
 * 6.1 sets the force-coherent bit in every PTE).  -1 if unknown.
 */
static int iommu_enforces_cc(const char *bdf)
{
	char path[512], link[256], text[64], *name;
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -1;
	link[n] = 0;
	name = strrchr(link, '/') ? strrchr(link, '/') + 1 : link;
	if (strncmp(name, "dmar", 4))
		return 1;
	snprintf(path, sizeof(path), "/sys/class/iommu/%s/intel-iommu/ecap",
		 name);
	if (sysfs_read(path, text, sizeof(text)))
		return -1;
	return (strtoull(text, NULL, 16) >> 7) & 1;
}

/* The extension tells the truth about the real IOMMU, and DMA works */
TEST_F(edu_hwpt, cc_extension)
{
	int want = iommu_enforces_cc(self->info.bdf);
	__u32 pt, h;

	ASSERT_LE(0, want);
	TH_LOG("%s: the IOMMU of %s %s no-snoop DMA", vm_iommu(),
	       self->info.bdf, want ? "blocks" : "cannot block");
	EXPECT_EQ(1, cc_of(self->fd, self->ioas));
	pt = self->ioas;
	ASSERT_EQ(0, dev_attach(self->dfd, &pt));
	EXPECT_EQ(want, cc_of(self->fd, self->ioas));
	ASSERT_EQ(0, edu_setup(&self->edu, self->dfd));
	EXPECT_EQ(0, roundtrip(&self->edu, self->buf, 4));

	/* A HWPT made for it, and the device moved onto it */
	ASSERT_EQ(0, hwpt_alloc(self->fd, self->devid, self->ioas2, &h));
	EXPECT_EQ(want, cc_of(self->fd, self->ioas2));
	pt = h;
	ASSERT_EQ(0, dev_attach(self->dfd, &pt));
	EXPECT_EQ(0, roundtrip(&self->edu, self->buf2, 5));
	EXPECT_EQ(want, cc_of(self->fd, self->ioas2));
	/* The automatic HWPT went with the replace */
	EXPECT_EQ(1, cc_of(self->fd, self->ioas));
	ASSERT_EQ(0, dev_detach(self->dfd));
}

/* A HWPT of the mock IOMMU cannot serve an edu, and the reverse */
TEST_F(edu_hwpt, foreign_iommu)
{
	__u32 stdev, mock_hwpt, midev, h, pt;

	ASSERT_EQ(0, mock_domain(self->fd, self->ioas, &stdev, &mock_hwpt,
				 &midev));
	pt = mock_hwpt;
	EXPECT_EQ(EINVAL, dev_attach(self->dfd, &pt));
	ASSERT_EQ(0, hwpt_alloc(self->fd, midev, self->ioas, &h));
	pt = h;
	EXPECT_EQ(EINVAL, dev_attach(self->dfd, &pt));
	ASSERT_EQ(0, hwpt_alloc(self->fd, self->devid, self->ioas, &h));
	EXPECT_NE(0, mock_domain(self->fd, h, NULL, NULL, NULL));
}

TEST_HARNESS_MAIN
