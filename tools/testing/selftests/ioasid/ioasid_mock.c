// SPDX-License-Identifier: GPL-2.0-only
/*
 * Mock domains: what they map, when user pages get pinned and unpinned, IOVA
 * alignment below PAGE_SIZE, huge pages, batching, and object lifetimes.
 */
#include "ioasid_utils.h"

#define BASE_IOVA ((__u64)MOCK_APERTURE_START)

/*
 * A 2 MiB aligned anonymous buffer.  @hugetlb: backed by hugetlb pages;
 * otherwise THP is requested with MADV_HUGEPAGE before the first touch.
 */
static void *huge_buffer(size_t len, bool hugetlb)
{
	char *buf;

	if (hugetlb) {
		buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB |
				   MAP_POPULATE,
			   -1, 0);
		return buf == MAP_FAILED ? NULL : buf;
	}
	buf = mmap_aligned(len, HUGE_SZ, 0);
	if (!buf)
		return NULL;
	madvise(buf, len, MADV_HUGEPAGE);
	memset(buf, 0x5a, len);
	return buf;
}

/* kB of AnonHugePages in the VMA that starts at @buf, or -1 */
static long thp_kb(void *buf)
{
	char line[256], start[32];
	bool in_vma = false;
	long val = -1;
	FILE *f = fopen("/proc/self/smaps", "r");

	if (!f)
		return -1;
	snprintf(start, sizeof(start), "%lx-", (unsigned long)buf);
	while (fgets(line, sizeof(line), f)) {
		if (strchr(line, '-') && strchr(line, ' ') &&
		    strchr(line, '-') < strchr(line, ' '))
			in_vma = !strncmp(line, start, strlen(start));
		else if (in_vma && !strncmp(line, "AnonHugePages:", 14))
			val = strtol(line + 14, NULL, 10);
	}
	fclose(f);
	return val;
}

/* ---------------------------------------------------------------------- */

FIXTURE(mock) {
	int fd;
	__u32 ioas;
	bool limit_changed;
	struct ioasid_env env;
};

FIXTURE_SETUP(mock)
{
	env_begin(&self->env);
	self->fd = ioasid_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, ioas_alloc(self->fd, &self->ioas));
}

FIXTURE_TEARDOWN(mock)
{
	/* The batch limit is global to the module: never leave it small */
	if (self->limit_changed && self->fd >= 0)
		EXPECT_EQ(0, set_temp_memory_limit(self->fd, 65536));
	if (self->fd >= 0)
		close(self->fd);
	env_end(&self->env);
}

/* ---------------------------------------------------------------------- */

FIXTURE(mock_order) {
	int fd;
	__u32 ioas;
	struct ioasid_env env;
};

FIXTURE_VARIANT(mock_order) {
	bool map_first;
};

FIXTURE_VARIANT_ADD(mock_order, map_then_attach) {
	.map_first = true,
};

FIXTURE_VARIANT_ADD(mock_order, attach_then_map) {
	.map_first = false,
};

FIXTURE_SETUP(mock_order)
{
	env_begin(&self->env);
	self->fd = ioasid_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, ioas_alloc(self->fd, &self->ioas));
}

FIXTURE_TEARDOWN(mock_order)
{
	if (self->fd >= 0)
		close(self->fd);
	env_end(&self->env);
}

/*
 * Whatever the order, the domain maps the user pages, they are pinned once
 * while a domain exists, and unpinned when the last domain goes.
 */
TEST_F(mock_order, domains_and_pins)
{
	size_t len = 16 * PSZ;
	__u64 iova = BASE_IOVA + 64 * PSZ;
	__u32 stdev[3], hwpt[3], idev[3], hwpt2;
	char *buf = alloc_buffer(len, PSZ, 0);
	struct ioasid_counters start = counters_now();
	struct iommu_iova_range ranges[4];
	__u64 unmapped = 0, align = 0;
	__u32 num = 4;

	ASSERT_NE(NULL, buf);
	fill_pattern(buf, len, 1);
	if (variant->map_first) {
		ASSERT_EQ(0, ioas_map(self->fd, self->ioas, buf, len, iova));
		/* No domain: nothing needs the pages yet */
		EXPECT_EQ(0, check_refs(self->fd, buf, len, 0));
		ASSERT_EQ(0, mock_domain(self->fd, self->ioas, &stdev[0],
					 &hwpt[0], &idev[0]));
	} else {
		ASSERT_EQ(0, mock_domain(self->fd, self->ioas, &stdev[0],
					 &hwpt[0], &idev[0]));
		EXPECT_EQ(EINVAL, check_map(self->fd, hwpt[0], iova, buf, len));
		EXPECT_EQ(0, check_refs(self->fd, buf, len, 0));
		ASSERT_EQ(0, ioas_map(self->fd, self->ioas, buf, len, iova));
	}
	EXPECT_EQ(0, check_map(self->fd, hwpt[0], iova, buf, len));
	EXPECT_EQ(0, check_refs(self->fd, buf, len, 1));
	/* check_map does notice a wrong page or an unmapped IOVA */
	EXPECT_EQ(EINVAL, check_map(self->fd, hwpt[0], iova + PSZ, buf, PSZ));
	EXPECT_EQ(EINVAL, check_map(self->fd, hwpt[0], iova - MOCK_PSZ,
				    buf, MOCK_PSZ));
	EXPECT_EQ(EIO, check_refs(self->fd, buf, len, 2));

	/* A second device on the IOAS reuses its automatic HWPT */
	ASSERT_EQ(0, mock_domain(self->fd, self->ioas, &stdev[1], &hwpt[1],
				 &idev[1]));
	EXPECT_EQ(hwpt[0], hwpt[1]);
	/* A third one asks for that HWPT by ID and gets it back */
	ASSERT_EQ(0, mock_domain(self->fd, hwpt[0], &stdev[2], &hwpt[2],
				 &idev[2]));
	EXPECT_EQ(hwpt[0], hwpt[2]);
	EXPECT_NE(stdev[1], stdev[2]);
	EXPECT_NE(idev[1], idev[2]);
	EXPECT_EQ(start.domains + 1, counters_now().domains);
	EXPECT_EQ(0, check_map(self->fd, hwpt[0], iova, buf, len));
	EXPECT_EQ(0, check_refs(self->fd, buf, len, 1));

	/* Devices go one by one; the pages stay pinned while one is left */
	EXPECT_EQ(0, destroy_obj(self->fd, stdev[0]));
	EXPECT_EQ(0, check_refs(self->fd, buf, len, 1));
	EXPECT_EQ(0, check_map(self->fd, hwpt[0], iova, buf, len));
	EXPECT_EQ(0, destroy_obj(self->fd, stdev[2]));
	EXPECT_EQ(0, check_refs(self->fd, buf, len, 1));
	EXPECT_EQ(0, check_map(self->fd, hwpt[0], iova, buf, len));
	EXPECT_EQ(0, destroy_obj(self->fd, stdev[1]));
	/* The automatic HWPT went with its last device */
	EXPECT_EQ(ENOENT, check_map(self->fd, hwpt[0], iova, buf, len));
	EXPECT_EQ(start.domains, counters_now().domains);
	/* Still mapped but no longer pinned */
	EXPECT_EQ(0, check_refs(self->fd, buf, len, 0));
	/* Nothing of the domain is left in the IOAS */
	ASSERT_EQ(0, ioas_ranges(self->fd, self->ioas, ranges, &num, &align));
	EXPECT_EQ(1, align);
	ASSERT_EQ(1, num);
	EXPECT_EQ(0, ranges[0].start);
	EXPECT_EQ(UINT64_MAX, ranges[0].last);

	/* A new domain picks the mapping up again */
	ASSERT_EQ(0, mock_domain(self->fd, self->ioas, &stdev[0], &hwpt2,
				 NULL));
	EXPECT_EQ(0, check_map(self->fd, hwpt2, iova, buf, len));
	EXPECT_EQ(0, check_refs(self->fd, buf, len, 1));

	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas, iova, len, &unmapped));
	EXPECT_EQ(len, unmapped);
	EXPECT_EQ(EINVAL, check_map(self->fd, hwpt2, iova, buf, len));
	EXPECT_EQ(EINVAL, check_map(self->fd, hwpt2, iova, buf, MOCK_PSZ));
	EXPECT_EQ(0, check_refs(self->fd, buf, len, 0));
	EXPECT_EQ(0, destroy_obj(self->fd, stdev[0]));
	munmap(buf, len);
}

/* Two domains (one per IOAS) share the pages of a copy: one pin per page */
TEST_F(mock, two_domains_share_pages)
{
	size_t len = 32 * PSZ;
	char *buf = alloc_buffer(len, PSZ, 0);
	struct ioasid_counters start = counters_now();
	__u32 ioas2, stdev1, stdev2, hwpt1, hwpt2;
	__u64 dst = BASE_IOVA + 1024 * PSZ;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, ioas_alloc(self->fd, &ioas2));
	ASSERT_EQ(0, mock_domain(self->fd, self->ioas, &stdev1, &hwpt1, NULL));
	ASSERT_EQ(0, mock_domain(self->fd, ioas2, &stdev2, &hwpt2, NULL));
	EXPECT_NE(hwpt1, hwpt2);
	EXPECT_EQ(start.domains + 2, counters_now().domains);

	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, buf, len, BASE_IOVA));
	ASSERT_EQ(0, ioas_copy(self->fd, ioas2, self->ioas, BASE_IOVA, len,
			       &dst, MAP_FIXED_RW));
	EXPECT_EQ(BASE_IOVA + 1024 * PSZ, dst);
	EXPECT_EQ(0, check_map(self->fd, hwpt1, BASE_IOVA, buf, len));
	EXPECT_EQ(0, check_map(self->fd, hwpt2, dst, buf, len));
	EXPECT_EQ(0, check_refs(self->fd, buf, len, 1));
	EXPECT_EQ(start.pinned + (long)(len / PSZ), counters_now().pinned);

	/* The first domain goes: the copy's domain still holds the pins */
	EXPECT_EQ(0, destroy_obj(self->fd, stdev1));
	EXPECT_EQ(0, check_refs(self->fd, buf, len, 1));
	EXPECT_EQ(0, check_map(self->fd, hwpt2, dst, buf, len));
	/* Unmapping the original does not unpin what the copy uses */
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas, BASE_IOVA, len, NULL));
	EXPECT_EQ(0, check_refs(self->fd, buf, len, 1));
	EXPECT_EQ(0, check_map(self->fd, hwpt2, dst, buf, len));
	EXPECT_EQ(0, destroy_obj(self->fd, stdev2));
	EXPECT_EQ(0, check_refs(self->fd, buf, len, 0));
	EXPECT_EQ(start.pinned, counters_now().pinned);
	munmap(buf, len);
}

/* A mock domain has IO pages of PAGE_SIZE / 2 */
TEST_F(mock, sub_page_alignment)
{
	size_t len = 8 * PSZ;
	char *buf = alloc_buffer(len, PSZ, 0);
	__u64 align = 0, iova, unmapped;
	struct iommu_iova_range ranges[4];
	__u32 stdev, hwpt, num = 4;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, mock_domain(self->fd, self->ioas, &stdev, &hwpt, NULL));
	ASSERT_EQ(0, ioas_ranges(self->fd, self->ioas, ranges, &num, &align));
	EXPECT_EQ(MOCK_PSZ, align);
	ASSERT_EQ(1, num);
	EXPECT_EQ(MOCK_APERTURE_START, ranges[0].start);
	EXPECT_EQ(MOCK_APERTURE_LAST, ranges[0].last);

	/* Half a page in at both ends, one page long: three IO pages */
	iova = BASE_IOVA + MOCK_PSZ;
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, buf + MOCK_PSZ, PSZ, iova));
	EXPECT_EQ(0, check_map(self->fd, hwpt, iova, buf + MOCK_PSZ, PSZ));
	EXPECT_EQ(EINVAL, check_map(self->fd, hwpt, iova, buf, PSZ));
	EXPECT_EQ(0, check_refs(self->fd, buf, 2 * PSZ, 1));
	EXPECT_EQ(0, check_refs(self->fd, buf + 2 * PSZ, PSZ, 0));

	/* The IOVA and the user address need not share their page offset */
	iova = BASE_IOVA + 4 * PSZ;
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, buf + 2 * PSZ + MOCK_PSZ,
			      2 * PSZ, iova));
	EXPECT_EQ(0, check_map(self->fd, hwpt, iova, buf + 2 * PSZ + MOCK_PSZ,
			       2 * PSZ));
	EXPECT_EQ(0, check_refs(self->fd, buf + 2 * PSZ, 3 * PSZ, 1));

	/* One IO page alone */
	iova = BASE_IOVA + 8 * PSZ + MOCK_PSZ;
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, buf + 6 * PSZ, MOCK_PSZ,
			      iova));
	EXPECT_EQ(0, check_map(self->fd, hwpt, iova, buf + 6 * PSZ, MOCK_PSZ));
	EXPECT_EQ(EINVAL, check_map(self->fd, hwpt, iova + MOCK_PSZ,
				    buf + 6 * PSZ + MOCK_PSZ, MOCK_PSZ));
	EXPECT_EQ(0, check_refs(self->fd, buf + 6 * PSZ, PSZ, 1));

	/* Lengths, IOVAs and user offsets off the IO page size */
	iova = BASE_IOVA + 16 * PSZ;
	EXPECT_EQ(EINVAL, ioas_map(self->fd, self->ioas, buf, PSZ + 1, iova));
	EXPECT_EQ(EINVAL, ioas_map(self->fd, self->ioas, buf, MOCK_PSZ / 2,
				   iova));
	EXPECT_EQ(EINVAL, ioas_map(self->fd, self->ioas, buf, 100, iova));
	EXPECT_EQ(EINVAL, ioas_map(self->fd, self->ioas, buf, PSZ, iova + 1));
	EXPECT_EQ(EINVAL, ioas_map(self->fd, self->ioas, buf, PSZ,
				   iova + MOCK_PSZ / 2));
	EXPECT_EQ(EINVAL, ioas_map(self->fd, self->ioas, buf + 8, PSZ, iova));
	EXPECT_EQ(EINVAL, ioas_map(self->fd, self->ioas, buf + MOCK_PSZ / 2,
				   MOCK_PSZ, iova));
	/* Outside the aperture */
	EXPECT_EQ(EINVAL, ioas_map(self->fd, self->ioas, buf, PSZ,
				   BASE_IOVA - PSZ));
	EXPECT_EQ(EINVAL, ioas_map(self->fd, self->ioas, buf, PSZ,
				   (__u64)MOCK_APERTURE_LAST + 1 - MOCK_PSZ));
	EXPECT_EQ(EINVAL, check_map(self->fd, hwpt, iova + 1, buf, MOCK_PSZ));

	/* Nothing above was half-done */
	EXPECT_EQ(0, check_refs(self->fd, buf + 7 * PSZ, PSZ, 0));
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas, 0, UINT64_MAX, &unmapped));
	EXPECT_EQ(PSZ + 2 * PSZ + MOCK_PSZ, unmapped);
	EXPECT_EQ(0, check_refs(self->fd, buf, len, 0));
	EXPECT_EQ(0, destroy_obj(self->fd, stdev));
	munmap(buf, len);
}

/* A byte-aligned mapping cannot live in a mock domain */
TEST_F(mock, unaligned_mapping_blocks_attach)
{
	size_t len = 4 * PSZ;
	char *buf = alloc_buffer(len, PSZ, 0);
	struct ioasid_counters before;
	struct iommu_iova_range ranges[4];
	__u32 stdev, hwpt, num = 4;
	__u64 align = 0, unmapped;

	ASSERT_NE(NULL, buf);
	/* One byte into the page, odd length, odd IOVA */
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, buf + 1, 1001,
			      BASE_IOVA + 3));
	before = counters_now();
	EXPECT_EQ(EADDRINUSE, mock_domain(self->fd, self->ioas, &stdev, &hwpt,
					  NULL));
	/* Nothing of the failed attach is left */
	EXPECT_EQ(before.objects, counters_now().objects);
	EXPECT_EQ(before.domains, counters_now().domains);
	EXPECT_EQ(0, check_refs(self->fd, buf, len, 0));
	ASSERT_EQ(0, ioas_ranges(self->fd, self->ioas, ranges, &num, &align));
	EXPECT_EQ(1, align);
	ASSERT_EQ(1, num);
	EXPECT_EQ(0, ranges[0].start);
	EXPECT_EQ(UINT64_MAX, ranges[0].last);

	/* The IOAS still works: more byte-aligned maps, then an attach */
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, buf + 7, 5,
			      BASE_IOVA + PSZ + 9));
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas, 0, UINT64_MAX, &unmapped));
	EXPECT_EQ(1006, unmapped);

	/* A page-aligned mapping outside the aperture blocks it too */
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, buf, PSZ, PSZ));
	EXPECT_EQ(EADDRINUSE, mock_domain(self->fd, self->ioas, &stdev, &hwpt,
					  NULL));
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas, PSZ, PSZ, NULL));

	ASSERT_EQ(0, mock_domain(self->fd, self->ioas, &stdev, &hwpt, NULL));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, buf, len, BASE_IOVA));
	EXPECT_EQ(0, check_map(self->fd, hwpt, BASE_IOVA, buf, len));
	EXPECT_EQ(0, check_refs(self->fd, buf, len, 1));
	/* Now the byte-aligned map is refused */
	EXPECT_EQ(EINVAL, ioas_map(self->fd, self->ioas, buf + 1, 1001,
				   BASE_IOVA + 64 * PSZ + 3));
	EXPECT_EQ(0, destroy_obj(self->fd, stdev));
	EXPECT_EQ(0, check_refs(self->fd, buf, len, 0));
	munmap(buf, len);
}

/* Without huge pages the IOAS needs whole CPU pages */
TEST_F(mock, huge_pages_off)
{
	size_t len = HUGE_SZ;
	char *buf = huge_buffer(len, false);
	char *small = alloc_buffer(4 * PSZ, PSZ, 0);
	__u64 val = 0, align = 0, iova = BASE_IOVA + HUGE_SZ;
	__u32 stdev, hwpt;

	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, small);
	ASSERT_EQ(0, ioasid_option(self->fd, IOMMU_OPTION_HUGE_PAGES,
				   IOMMU_OPTION_OP_SET, self->ioas, &val));
	ASSERT_EQ(0, mock_domain(self->fd, self->ioas, &stdev, &hwpt, NULL));
	ASSERT_EQ(0, ioas_alignment(self->fd, self->ioas, &align));
	EXPECT_EQ(PSZ, align);

	EXPECT_EQ(EINVAL, ioas_map(self->fd, self->ioas, small + MOCK_PSZ, PSZ,
				   iova + MOCK_PSZ));
	EXPECT_EQ(EINVAL, ioas_map(self->fd, self->ioas, small, MOCK_PSZ,
				   iova));
	EXPECT_EQ(EINVAL, ioas_map(self->fd, self->ioas, small, PSZ,
				   iova + MOCK_PSZ));
	EXPECT_EQ(EINVAL, ioas_map(self->fd, self->ioas, small + MOCK_PSZ, PSZ,
				   iova));

	/* A (possibly) physically contiguous buffer, mapped page by page */
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, buf, len, BASE_IOVA));
	EXPECT_EQ(0, check_map(self->fd, hwpt, BASE_IOVA, buf, len));
	EXPECT_EQ(0, check_refs(self->fd, buf, len, 1));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, small, 4 * PSZ, iova));
	EXPECT_EQ(0, check_map(self->fd, hwpt, iova, small, 4 * PSZ));
	EXPECT_EQ(0, check_refs(self->fd, small, 4 * PSZ, 1));
	/* Unmap a part that was mapped as single pages */
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas, BASE_IOVA, len, NULL));
	EXPECT_EQ(0, check_refs(self->fd, buf, len, 0));
	EXPECT_EQ(0, check_map(self->fd, hwpt, iova, small, 4 * PSZ));

	val = 1;
	EXPECT_EQ(0, ioasid_option(self->fd, IOMMU_OPTION_HUGE_PAGES,
				   IOMMU_OPTION_OP_GET, self->ioas, &val));
	EXPECT_EQ(0, val);
	EXPECT_EQ(0, destroy_obj(self->fd, stdev));
	/* The device went; the option still holds the alignment */
	ASSERT_EQ(0, ioas_alignment(self->fd, self->ioas, &align));
	EXPECT_EQ(PSZ, align);
	EXPECT_EQ(0, check_refs(self->fd, small, 4 * PSZ, 0));
	munmap(buf, len);
	munmap(small, 4 * PSZ);
}

/* ---------------------------------------------------------------------- */

FIXTURE(mock_huge) {
	int fd;
	__u32 ioas;
	__u32 stdev;
	__u32 hwpt;
	struct ioasid_env env;
};

FIXTURE_VARIANT(mock_huge) {
	size_t len;
	bool hugetlb;
};

FIXTURE_VARIANT_ADD(mock_huge, hugetlb_2m) {
	.len = 2UL << 20,
	.hugetlb = true,
};

FIXTURE_VARIANT_ADD(mock_huge, hugetlb_4m) {
	.len = 4UL << 20,
	.hugetlb = true,
};

FIXTURE_VARIANT_ADD(mock_huge, thp_2m) {
	.len = 2UL << 20,
	.hugetlb = false,
};

FIXTURE_SETUP(mock_huge)
{
	env_begin(&self->env);
	self->fd = ioasid_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, ioas_alloc(self->fd, &self->ioas));
	ASSERT_EQ(0, mock_domain(self->fd, self->ioas, &self->stdev,
				 &self->hwpt, NULL));
}

FIXTURE_TEARDOWN(mock_huge)
{
	if (self->fd >= 0)
		close(self->fd);
	env_end(&self->env);
}

TEST_F(mock_huge, whole_buffer)
{
	size_t len = variant->len;
	char *buf = huge_buffer(len, variant->hugetlb);
	__u64 unmapped = 0;

	ASSERT_NE(NULL, buf);
	/* The THP variant is only worth something if THP backs the buffer */
	if (!variant->hugetlb)
		ASSERT_EQ((long)(len >> 10), thp_kb(buf));
	fill_pattern(buf, len, 3);
	EXPECT_EQ(0, check_refs(self->fd, buf, len, 0));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, buf, len, BASE_IOVA));
	EXPECT_EQ(0, check_map(self->fd, self->hwpt, BASE_IOVA, buf, len));
	EXPECT_EQ(0, check_refs(self->fd, buf, len, 1));
	EXPECT_EQ(EIO, check_refs(self->fd, buf, len, 2));
	/* A page from elsewhere in the buffer does not match */
	EXPECT_EQ(EINVAL, check_map(self->fd, self->hwpt, BASE_IOVA,
				    buf + PSZ, PSZ));
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas, BASE_IOVA, len,
				&unmapped));
	EXPECT_EQ(len, unmapped);
	EXPECT_EQ(0, check_refs(self->fd, buf, len, 0));
	EXPECT_EQ(EINVAL, check_map(self->fd, self->hwpt, BASE_IOVA, buf,
				    MOCK_PSZ));

	/* Mapped before the domain came: the attach maps it the same way */
	EXPECT_EQ(0, destroy_obj(self->fd, self->stdev));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, buf, len,
			      BASE_IOVA + 3 * HUGE_SZ));
	EXPECT_EQ(0, check_refs(self->fd, buf, len, 0));
	ASSERT_EQ(0, mock_domain(self->fd, self->ioas, &self->stdev,
				 &self->hwpt, NULL));
	EXPECT_EQ(0, check_map(self->fd, self->hwpt, BASE_IOVA + 3 * HUGE_SZ,
			       buf, len));
	EXPECT_EQ(0, check_refs(self->fd, buf, len, 1));
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas, 0, UINT64_MAX,
				&unmapped));
	EXPECT_EQ(len, unmapped);
	EXPECT_EQ(0, check_refs(self->fd, buf, len, 0));
	munmap(buf, len);
}

/* Maps of part of a huge page, each on its own */
TEST_F(mock_huge, partial)
{
	size_t len = variant->len;
	char *buf = huge_buffer(len, variant->hugetlb);
	struct ioasid_counters start = counters_now();
	size_t off = HUGE_SZ / 2 + 3 * PSZ;
	__u64 iova = BASE_IOVA + 16 * HUGE_SZ + 5 * MOCK_PSZ;

	ASSERT_NE(NULL, buf);
	/* The first half of the first huge page */
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, buf, HUGE_SZ / 2,
			      BASE_IOVA));
	EXPECT_EQ(0, check_map(self->fd, self->hwpt, BASE_IOVA, buf,
			       HUGE_SZ / 2));
	EXPECT_EQ(0, check_refs(self->fd, buf, HUGE_SZ / 2, 1));
	/* The other half is not pinned */
	EXPECT_EQ(EIO, check_refs(self->fd, buf, HUGE_SZ, 1));
	EXPECT_EQ(start.pinned + (long)(HUGE_SZ / 2 / PSZ),
		  counters_now().pinned);
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas, BASE_IOVA, HUGE_SZ / 2,
				NULL));
	EXPECT_EQ(0, check_refs(self->fd, buf, len, 0));

	/* 64 pages at an offset inside it, at an IOVA with another offset */
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, buf + off, 64 * PSZ, iova));
	EXPECT_EQ(0, check_map(self->fd, self->hwpt, iova, buf + off,
			       64 * PSZ));
	EXPECT_EQ(EINVAL, check_map(self->fd, self->hwpt, iova, buf,
				    64 * PSZ));
	EXPECT_EQ(0, check_refs(self->fd, buf + off, 64 * PSZ, 1));
	EXPECT_EQ(start.pinned + 64, counters_now().pinned);
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas, iova, 64 * PSZ, NULL));
	EXPECT_EQ(0, check_refs(self->fd, buf, len, 0));

	/* Across the boundary of two huge pages */
	if (len > HUGE_SZ) {
		ASSERT_EQ(0, ioas_map(self->fd, self->ioas,
				      buf + HUGE_SZ - 8 * PSZ, 16 * PSZ,
				      iova));
		EXPECT_EQ(0, check_map(self->fd, self->hwpt, iova,
				       buf + HUGE_SZ - 8 * PSZ, 16 * PSZ));
		EXPECT_EQ(0, check_refs(self->fd, buf + HUGE_SZ - 8 * PSZ,
					16 * PSZ, 1));
		EXPECT_EQ(start.pinned + 16, counters_now().pinned);
		ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas, 0, UINT64_MAX,
					NULL));
		EXPECT_EQ(0, check_refs(self->fd, buf, len, 0));
	}
	EXPECT_EQ(start.pinned, counters_now().pinned);
	munmap(buf, len);
}

/*
 * A physically contiguous run goes into a domain in one iommu_map() call,
 * which lets the IOMMU driver use its largest page sizes; with HUGE_PAGES
 * off every page is mapped on its own.
 */
TEST_F(mock_huge, contiguous_runs_map_once)
{
	size_t len = variant->len;
	char *buf = huge_buffer(len, variant->hugetlb);
	unsigned long hugepages = len / HUGE_SZ;
	__u64 val = 0;
	long calls;

	ASSERT_NE(NULL, buf);
	if (!variant->hugetlb)
		ASSERT_EQ((long)(len >> 10), thp_kb(buf));
	calls = counters_now().map_calls;
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, buf, len, BASE_IOVA));
	/* Each huge page is contiguous; neighbours may be contiguous too */
	EXPECT_GE(hugepages, counters_now().map_calls - calls);
	EXPECT_LE(1, counters_now().map_calls - calls);
	EXPECT_EQ(0, check_map(self->fd, self->hwpt, BASE_IOVA, buf, len));

	/* Another device on the same HWPT shares the domain: no new calls */
	calls = counters_now().map_calls;
	ASSERT_EQ(0, mock_domain(self->fd, self->hwpt, NULL, NULL, NULL));
	EXPECT_EQ(0, counters_now().map_calls - calls);
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas, 0, UINT64_MAX, NULL));

	/* One call per page without large pages */
	ASSERT_EQ(0, ioasid_option(self->fd, IOMMU_OPTION_HUGE_PAGES,
				   IOMMU_OPTION_OP_SET, self->ioas, &val));
	calls = counters_now().map_calls;
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, buf, len, BASE_IOVA));
	EXPECT_EQ((long)(len / PSZ), counters_now().map_calls - calls);
	EXPECT_EQ(0, check_map(self->fd, self->hwpt, BASE_IOVA, buf, len));
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas, 0, UINT64_MAX, NULL));
	munmap(buf, len);
}

/* ---------------------------------------------------------------------- */

/* Batches of two pages still pin and map everything */
TEST_F(mock, tiny_batches)
{
	size_t len = 8UL << 20;
	char *buf = alloc_buffer(len, PSZ, 0);
	__u64 iova2 = BASE_IOVA + 2 * len;
	__u32 stdev, hwpt;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, set_temp_memory_limit(self->fd, 16));
	self->limit_changed = true;

	/* Pinned when the domain is added */
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, buf, len / 2, BASE_IOVA));
	ASSERT_EQ(0, mock_domain(self->fd, self->ioas, &stdev, &hwpt, NULL));
	/* Pinned at map time */
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, buf + len / 2, len / 2,
			      iova2));
	EXPECT_EQ(0, check_map(self->fd, hwpt, BASE_IOVA, buf, len / 2));
	EXPECT_EQ(0, check_map(self->fd, hwpt, iova2, buf + len / 2, len / 2));
	EXPECT_EQ(0, check_refs(self->fd, buf, len, 1));

	/* Both together under one IOVA range too */
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas, 0, UINT64_MAX, NULL));
	EXPECT_EQ(0, check_refs(self->fd, buf, len, 0));
	ASSERT_EQ(0, set_temp_memory_limit(self->fd,
					   IOASID_TEST_MIN_MEMORY_LIMIT));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, buf, len, BASE_IOVA));
	EXPECT_EQ(0, check_map(self->fd, hwpt, BASE_IOVA, buf, len));
	EXPECT_EQ(0, check_refs(self->fd, buf, len, 1));

	ASSERT_EQ(0, set_temp_memory_limit(self->fd, 65536));
	self->limit_changed = false;
	EXPECT_EQ(0, destroy_obj(self->fd, stdev));
	EXPECT_EQ(0, check_refs(self->fd, buf, len, 0));
	munmap(buf, len);
}

/* 512 separate one-page mappings */
TEST_F(mock, many_areas)
{
	const unsigned int n = 512;
	size_t len = n * PSZ;
	char *buf = alloc_buffer(len, PSZ, 0);
	unsigned int i, bad = 0;
	__u64 unmapped = 0;
	__u32 stdev, hwpt;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, mock_domain(self->fd, self->ioas, &stdev, &hwpt, NULL));
	for (i = 0; i != n; i++)
		ASSERT_EQ(0, ioas_map(self->fd, self->ioas, buf + i * PSZ, PSZ,
				      BASE_IOVA + 2 * i * PSZ));
	for (i = 0; i != n; i++) {
		__u64 iova = BASE_IOVA + 2 * i * PSZ;

		if (check_map(self->fd, hwpt, iova, buf + i * PSZ, PSZ) ||
		    check_map(self->fd, hwpt, iova + PSZ, buf + i * PSZ,
			      MOCK_PSZ) != EINVAL)
			bad++;
	}
	EXPECT_EQ(0, bad);
	EXPECT_EQ(0, check_refs(self->fd, buf, len, 1));

	/* A range that cuts a mapping removes nothing */
	EXPECT_EQ(ENOENT, ioas_unmap(self->fd, self->ioas, BASE_IOVA,
				     2 * PSZ + MOCK_PSZ, NULL));
	EXPECT_EQ(ENOENT, ioas_unmap(self->fd, self->ioas,
				     BASE_IOVA + MOCK_PSZ, 4 * PSZ, NULL));
	EXPECT_EQ(0, check_map(self->fd, hwpt, BASE_IOVA, buf, PSZ));
	EXPECT_EQ(0, check_map(self->fd, hwpt, BASE_IOVA + 2 * PSZ,
			       buf + PSZ, PSZ));

	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas, 0, UINT64_MAX,
				&unmapped));
	EXPECT_EQ(len, unmapped);
	EXPECT_EQ(0, check_refs(self->fd, buf, len, 0));
	EXPECT_EQ(EINVAL, check_map(self->fd, hwpt, BASE_IOVA, buf, PSZ));
	/* Nothing left */
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas, 0, UINT64_MAX,
				&unmapped));
	EXPECT_EQ(0, unmapped);
	EXPECT_EQ(0, destroy_obj(self->fd, stdev));
	munmap(buf, len);
}

/* Who may be destroyed while what is attached */
TEST_F(mock, destroy_order)
{
	char *buf = alloc_buffer(4 * PSZ, PSZ, 0);
	__u32 stdev, hwpt, idev, stdev2, hwpt2, idev2, ioas2;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, mock_domain(self->fd, self->ioas, &stdev, &hwpt, &idev));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, buf, 4 * PSZ, BASE_IOVA));
	EXPECT_EQ(EBUSY, destroy_obj(self->fd, self->ioas));
	EXPECT_EQ(EBUSY, destroy_obj(self->fd, hwpt));
	EXPECT_EQ(EBUSY, destroy_obj(self->fd, idev));
	/* Refused destroys changed nothing */
	EXPECT_EQ(0, check_map(self->fd, hwpt, BASE_IOVA, buf, 4 * PSZ));
	EXPECT_EQ(0, check_refs(self->fd, buf, 4 * PSZ, 1));

	/* Attach targets that are not an IOAS or a HWPT */
	EXPECT_EQ(ENOENT, mock_domain(self->fd, 1000000, NULL, NULL, NULL));
	EXPECT_EQ(ENOENT, mock_domain(self->fd, 0, NULL, NULL, NULL));
	EXPECT_EQ(EINVAL, mock_domain(self->fd, stdev, NULL, NULL, NULL));
	EXPECT_EQ(EINVAL, mock_domain(self->fd, idev, NULL, NULL, NULL));

	/* A second device shares the HWPT; the HWPT lives on with it */
	ASSERT_EQ(0, mock_domain(self->fd, hwpt, &stdev2, &hwpt2, &idev2));
	EXPECT_EQ(hwpt, hwpt2);
	EXPECT_EQ(0, destroy_obj(self->fd, stdev));
	EXPECT_EQ(ENOENT, destroy_obj(self->fd, stdev));
	EXPECT_EQ(ENOENT, destroy_obj(self->fd, idev));
	EXPECT_EQ(EBUSY, destroy_obj(self->fd, hwpt));
	EXPECT_EQ(EBUSY, destroy_obj(self->fd, self->ioas));
	EXPECT_EQ(0, check_map(self->fd, hwpt, BASE_IOVA, buf, 4 * PSZ));
	EXPECT_EQ(0, check_refs(self->fd, buf, 4 * PSZ, 1));

	EXPECT_EQ(0, destroy_obj(self->fd, stdev2));
	EXPECT_EQ(ENOENT, destroy_obj(self->fd, hwpt));
	EXPECT_EQ(ENOENT, destroy_obj(self->fd, idev2));
	EXPECT_EQ(ENOENT, mock_domain(self->fd, hwpt, NULL, NULL, NULL));
	EXPECT_EQ(0, check_refs(self->fd, buf, 4 * PSZ, 0));

	/* A mapped IOAS without users can go, a destroyed one is unknown */
	ASSERT_EQ(0, ioas_alloc(self->fd, &ioas2));
	EXPECT_EQ(0, destroy_obj(self->fd, self->ioas));
	EXPECT_EQ(ENOENT, mock_domain(self->fd, self->ioas, NULL, NULL, NULL));
	EXPECT_EQ(ENOENT, destroy_obj(self->fd, self->ioas));
	EXPECT_EQ(0, destroy_obj(self->fd, ioas2));
	munmap(buf, 4 * PSZ);
}

/* Closing the fd tears down a web of objects; env_end checks the rest */
TEST_F(mock, close_with_everything_alive)
{
	size_t len = 64 * PSZ;
	char *buf = alloc_buffer(len, PSZ, 0);
	char *hbuf = huge_buffer(HUGE_SZ, true);
	struct ioasid_counters start = counters_now();
	__u32 ioas2, ioas3, hwpt1, hwpt3;
	__u64 iova;

	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, hbuf);
	ASSERT_EQ(0, ioas_alloc(self->fd, &ioas2));
	ASSERT_EQ(0, ioas_alloc(self->fd, &ioas3));
	ASSERT_EQ(0, mock_domain(self->fd, self->ioas, NULL, &hwpt1, NULL));
	ASSERT_EQ(0, mock_domain(self->fd, self->ioas, NULL, NULL, NULL));
	ASSERT_EQ(0, mock_domain(self->fd, ioas3, NULL, &hwpt3, NULL));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, buf, len, BASE_IOVA));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, hbuf, HUGE_SZ,
			      BASE_IOVA + HUGE_SZ));
	/* IOAS 2 has no domain: a byte-aligned copy is fine there */
	iova = 0x100003;
	ASSERT_EQ(0, ioas_copy(self->fd, ioas2, self->ioas, BASE_IOVA + 1,
			       len - 2, &iova, MAP_FIXED_RW));
	ASSERT_EQ(0, ioas_map(self->fd, ioas2, buf + 5, 77, 0x1));
	/* IOAS 3 has a domain and copies of both mappings */
	iova = BASE_IOVA;
	ASSERT_EQ(0, ioas_copy(self->fd, ioas3, self->ioas,
			       BASE_IOVA + HUGE_SZ, HUGE_SZ, &iova,
			       MAP_FIXED_RW));
	iova = BASE_IOVA + HUGE_SZ;
	ASSERT_EQ(0, ioas_copy(self->fd, ioas3, self->ioas, BASE_IOVA,
			       len, &iova, MAP_FIXED_RW));
	EXPECT_EQ(0, check_map(self->fd, hwpt3, BASE_IOVA, hbuf, HUGE_SZ));
	EXPECT_EQ(0, check_map(self->fd, hwpt3, BASE_IOVA + HUGE_SZ, buf, len));
	EXPECT_EQ(0, check_map(self->fd, hwpt1, BASE_IOVA, buf, len));
	EXPECT_EQ(0, check_refs(self->fd, buf, len, 1));
	EXPECT_EQ(0, check_refs(self->fd, hbuf, HUGE_SZ, 1));
	EXPECT_EQ(start.domains + 2, counters_now().domains);

	close(self->fd);
	self->fd = ioasid_open();
	ASSERT_LE(0, self->fd);
	EXPECT_EQ(0, check_refs(self->fd, buf, len, 0));
	EXPECT_EQ(0, check_refs(self->fd, hbuf, HUGE_SZ, 0));
	EXPECT_EQ(start.domains, counters_now().domains);
	EXPECT_EQ(start.pinned, counters_now().pinned);
	munmap(buf, len);
	munmap(hbuf, HUGE_SZ);
}

/* A child closing its copy of the fd frees nothing the parent uses */
TEST_F(mock, fork_child_closes_fd)
{
	size_t len = 16 * PSZ;
	char *buf = alloc_buffer(len, PSZ, 0);
	char *check = malloc(len);
	__u32 stdev, hwpt, stdev2;
	int status, afd;
	pid_t pid;

	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, check);
	fill_pattern(buf, len, 9);
	memcpy(check, buf, len);
	ASSERT_EQ(0, mock_domain(self->fd, self->ioas, &stdev, &hwpt, NULL));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, buf, len, BASE_IOVA));

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		/* The child's writes go to its own copy of the pages */
		memset(buf, 0xee, len);
		close(self->fd);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));

	EXPECT_EQ(0, memcmp(buf, check, len));
	EXPECT_EQ(0, check_map(self->fd, hwpt, BASE_IOVA, buf, len));
	EXPECT_EQ(0, check_refs(self->fd, buf, len, 1));
	EXPECT_EQ(EBUSY, destroy_obj(self->fd, self->ioas));
	/* The context works as before */
	ASSERT_EQ(0, mock_domain(self->fd, self->ioas, &stdev2, NULL, NULL));
	ASSERT_EQ(0, create_access(self->fd, self->ioas, 0, &afd));
	memset(check, 0, len);
	EXPECT_EQ(0, access_rw(self->fd, afd, BASE_IOVA, check, len, 0));
	EXPECT_EQ(0, memcmp(buf, check, len));
	close(afd);
	EXPECT_EQ(0, destroy_obj(self->fd, stdev2));
	EXPECT_EQ(0, destroy_obj(self->fd, stdev));
	EXPECT_EQ(0, check_refs(self->fd, buf, len, 0));
	free(check);
	munmap(buf, len);
}

/* Memory mapped by a child that exited: pinned memory outlives it */
TEST_F(mock, fork_child_maps_and_exits)
{
	__u32 ioas2, stdev, hwpt;
	struct ioasid_counters before;
	int status;
	pid_t pid;

	ASSERT_EQ(0, ioas_alloc(self->fd, &ioas2));
	ASSERT_EQ(0, mock_domain(self->fd, ioas2, &stdev, &hwpt, NULL));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		char *b = alloc_buffer(8 * PSZ, PSZ, 0);

		/* Lazily into the IOAS without domain, pinned into ioas2 */
		if (!b || ioas_map(self->fd, self->ioas, b, 8 * PSZ, BASE_IOVA))
			_exit(1);
		_exit(ioas_map(self->fd, ioas2, b, 8 * PSZ, BASE_IOVA) ? 2 : 0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, WEXITSTATUS(status));

	/* The lazily mapped memory is gone with the child's mm */
	before = counters_now();
	EXPECT_EQ(EFAULT, mock_domain(self->fd, self->ioas, NULL, NULL, NULL));
	EXPECT_EQ(before.objects, counters_now().objects);
	EXPECT_EQ(before.domains, counters_now().domains);
	EXPECT_EQ(before.pinned, counters_now().pinned);
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas, 0, UINT64_MAX, NULL));
	ASSERT_EQ(0, mock_domain(self->fd, self->ioas, NULL, NULL, NULL));

	/* The pinned memory is still mapped and can be unmapped */
	ASSERT_EQ(0, ioas_unmap(self->fd, ioas2, BASE_IOVA, 8 * PSZ, NULL));
	EXPECT_EQ(before.pinned - 8, counters_now().pinned);
	EXPECT_EQ(0, destroy_obj(self->fd, stdev));
}

/* Pages of a lazily pinned mapping that went away: EFAULT at attach */
TEST_F(mock, lazy_pin_efault)
{
	size_t len = 8 * PSZ;
	char *buf = alloc_buffer(len, PSZ, 0);
	char *good = alloc_buffer(len, PSZ, 0);
	struct ioasid_counters before;
	struct iommu_iova_range ranges[4];
	__u32 stdev, hwpt, num = 4;
	__u64 align = 0;

	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, good);
	/* A good mapping first, so the failure has something to undo */
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, good, len, BASE_IOVA));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, buf, len,
			      BASE_IOVA + 2 * len));
	ASSERT_EQ(0, munmap(buf, len));

	before = counters_now();
	EXPECT_EQ(EFAULT, mock_domain(self->fd, self->ioas, &stdev, &hwpt,
				      NULL));
	/* Nothing stayed attached or pinned */
	EXPECT_EQ(before.objects, counters_now().objects);
	EXPECT_EQ(before.domains, counters_now().domains);
	EXPECT_EQ(before.pinned, counters_now().pinned);
	EXPECT_EQ(0, check_refs(self->fd, good, len, 0));
	ASSERT_EQ(0, ioas_ranges(self->fd, self->ioas, ranges, &num, &align));
	EXPECT_EQ(1, align);
	EXPECT_EQ(1, num);

	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas, BASE_IOVA + 2 * len, len,
				NULL));
	ASSERT_EQ(0, mock_domain(self->fd, self->ioas, &stdev, &hwpt, NULL));
	EXPECT_EQ(0, check_map(self->fd, hwpt, BASE_IOVA, good, len));
	EXPECT_EQ(0, check_refs(self->fd, good, len, 1));
	EXPECT_EQ(0, destroy_obj(self->fd, stdev));
	EXPECT_EQ(0, check_refs(self->fd, good, len, 0));
	munmap(good, len);
}

/* Copies of sub-ranges keep the IO page offsets and pin page by page */
TEST_F(mock, copy_sub_range)
{
	size_t len = 8 * PSZ;
	char *buf = alloc_buffer(len, PSZ, 0);
	__u32 ioas2, stdev1, stdev2, hwpt2;
	__u64 dst1 = BASE_IOVA + 16 * PSZ, dst2 = BASE_IOVA + 32 * PSZ;
	__u64 dst3 = BASE_IOVA + 48 * PSZ;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, ioas_alloc(self->fd, &ioas2));
	ASSERT_EQ(0, mock_domain(self->fd, self->ioas, &stdev1, NULL, NULL));
	ASSERT_EQ(0, mock_domain(self->fd, ioas2, &stdev2, &hwpt2, NULL));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, buf, len, BASE_IOVA));

	/* Bytes [MOCK_PSZ, 4 * MOCK_PSZ): pages 0 and 1 */
	ASSERT_EQ(0, ioas_copy(self->fd, ioas2, self->ioas,
			       BASE_IOVA + MOCK_PSZ, 3 * MOCK_PSZ, &dst1,
			       MAP_FIXED_RW));
	EXPECT_EQ(0, check_map(self->fd, hwpt2, dst1, buf + MOCK_PSZ,
			       3 * MOCK_PSZ));
	/* Bytes [3 pages + MOCK_PSZ, 5 pages + MOCK_PSZ): pages 3 to 5 */
	ASSERT_EQ(0, ioas_copy(self->fd, ioas2, self->ioas,
			       BASE_IOVA + 3 * PSZ + MOCK_PSZ, 2 * PSZ, &dst2,
			       MAP_FIXED_RW));
	EXPECT_EQ(0, check_map(self->fd, hwpt2, dst2, buf + 3 * PSZ + MOCK_PSZ,
			       2 * PSZ));
	/* The same, to an IOVA with a different offset */
	dst3 += MOCK_PSZ;
	ASSERT_EQ(0, ioas_copy(self->fd, ioas2, self->ioas,
			       BASE_IOVA + 4 * PSZ, PSZ, &dst3, MAP_FIXED_RW));
	EXPECT_EQ(0, check_map(self->fd, hwpt2, dst3, buf + 4 * PSZ, PSZ));

	/* Offsets the destination domain cannot map, holes */
	dst3 = BASE_IOVA + 64 * PSZ;
	EXPECT_EQ(EINVAL, ioas_copy(self->fd, ioas2, self->ioas,
				    BASE_IOVA + 1, MOCK_PSZ, &dst3,
				    MAP_FIXED_RW));
	EXPECT_EQ(ENOENT, ioas_copy(self->fd, ioas2, self->ioas,
				    BASE_IOVA + len - MOCK_PSZ, PSZ, &dst3,
				    MAP_FIXED_RW));
	EXPECT_EQ(0, check_refs(self->fd, buf, len, 1));

	/* Without the source's domain only the copied pages stay pinned */
	EXPECT_EQ(0, destroy_obj(self->fd, stdev1));
	EXPECT_EQ(0, check_refs(self->fd, buf, 2 * PSZ, 1));
	EXPECT_EQ(0, check_refs(self->fd, buf + 2 * PSZ, PSZ, 0));
	EXPECT_EQ(0, check_refs(self->fd, buf + 3 * PSZ, 3 * PSZ, 1));
	EXPECT_EQ(0, check_refs(self->fd, buf + 6 * PSZ, 2 * PSZ, 0));
	ASSERT_EQ(0, ioas_unmap(self->fd, ioas2, dst2, 2 * PSZ, NULL));
	EXPECT_EQ(0, check_refs(self->fd, buf + 3 * PSZ, PSZ, 0));
	EXPECT_EQ(0, check_refs(self->fd, buf + 4 * PSZ, PSZ, 1));
	EXPECT_EQ(0, check_refs(self->fd, buf + 5 * PSZ, PSZ, 0));
	EXPECT_EQ(0, destroy_obj(self->fd, stdev2));
	EXPECT_EQ(0, check_refs(self->fd, buf, len, 0));
	munmap(buf, len);
}

/* Read-only memory can be mapped read-only, never writable */
TEST_F(mock, readonly_memory)
{
	size_t len = 4 * PSZ;
	char *buf = alloc_buffer(len, PSZ, 0);
	struct ioasid_counters before;
	__u64 iova = BASE_IOVA;
	__u32 stdev, hwpt;

	ASSERT_NE(NULL, buf);
	fill_pattern(buf, len, 5);
	ASSERT_EQ(0, mprotect(buf, len, PROT_READ));
	ASSERT_EQ(0, mock_domain(self->fd, self->ioas, &stdev, &hwpt, NULL));
	ASSERT_EQ(0, ioas_map_flags(self->fd, self->ioas, buf, len, &iova,
				    IOMMU_IOAS_MAP_FIXED_IOVA |
					    IOMMU_IOAS_MAP_READABLE));
	EXPECT_EQ(0, check_map(self->fd, hwpt, iova, buf, len));
	EXPECT_EQ(0, check_refs(self->fd, buf, len, 1));

	before = counters_now();
	EXPECT_EQ(EFAULT, ioas_map(self->fd, self->ioas, buf, len,
				   BASE_IOVA + 8 * PSZ));
	EXPECT_EQ(before.pinned, counters_now().pinned);
	EXPECT_EQ(before.pages_objs, counters_now().pages_objs);
	EXPECT_EQ(0, check_refs(self->fd, buf, len, 1));
	EXPECT_EQ(EINVAL, check_map(self->fd, hwpt, BASE_IOVA + 8 * PSZ, buf,
				    MOCK_PSZ));
	/* A writable copy of read-only memory */
	iova = BASE_IOVA + 16 * PSZ;
	EXPECT_EQ(EPERM, ioas_copy(self->fd, self->ioas, self->ioas, BASE_IOVA,
				   len, &iova, MAP_FIXED_RW));
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas, 0, UINT64_MAX, NULL));
	EXPECT_EQ(0, check_refs(self->fd, buf, len, 0));

	/* Lazily: the writable map is taken, the attach fails */
	EXPECT_EQ(0, destroy_obj(self->fd, stdev));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, buf, len, BASE_IOVA));
	EXPECT_EQ(EFAULT, mock_domain(self->fd, self->ioas, &stdev, &hwpt,
				      NULL));
	EXPECT_EQ(0, check_refs(self->fd, buf, len, 0));
	munmap(buf, len);
}

/*
 * A read-only map pins the page the process keeps using, whatever the
 * mapping: a later write by the process must not move it to a copy the
 * IOMMU does not see.  Linux 6.4's GUP unshares such pins; on 6.1 the
 * module breaks COW itself (upstream's iommufd_mock_domain.*.ro_unshare).
 */
TEST_F(mock, readonly_unshare)
{
	__u64 iova = BASE_IOVA;
	char *file, *anon, *ro, *rw;
	__u32 stdev, hwpt;
	int fd;

	ASSERT_EQ(0, mock_domain(self->fd, self->ioas, &stdev, &hwpt, NULL));

	/* A private file mapping: the page cache page is not the process's */
	fd = open("/proc/self/exe", O_RDONLY);
	ASSERT_LE(0, fd);
	file = mmap(NULL, PSZ, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	ASSERT_NE(MAP_FAILED, file);
	ASSERT_EQ(0, ioas_map_flags(self->fd, self->ioas, file, PSZ, &iova,
				    IOMMU_IOAS_MAP_FIXED_IOVA |
					    IOMMU_IOAS_MAP_READABLE));
	EXPECT_EQ(0, check_map(self->fd, hwpt, iova, file, PSZ));
	memset(file, 1, PSZ);
	EXPECT_EQ(0, check_map(self->fd, hwpt, iova, file, PSZ));
	munmap(file, PSZ);

	/* The same, mapped PROT_READ while the pin is taken */
	file = mmap(NULL, PSZ, PROT_READ, MAP_PRIVATE, fd, 0);
	ASSERT_NE(MAP_FAILED, file);
	iova += PSZ;
	ASSERT_EQ(0, ioas_map_flags(self->fd, self->ioas, file, PSZ, &iova,
				    IOMMU_IOAS_MAP_FIXED_IOVA |
					    IOMMU_IOAS_MAP_READABLE));
	EXPECT_EQ(0, check_map(self->fd, hwpt, iova, file, PSZ));
	ASSERT_EQ(0, mprotect(file, PSZ, PROT_READ | PROT_WRITE));
	memset(file, 2, PSZ);
	EXPECT_EQ(0, check_map(self->fd, hwpt, iova, file, PSZ));
	close(fd);

	/* Untouched anonymous memory: the shared zero page */
	anon = mmap(NULL, PSZ, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, anon);
	iova += PSZ;
	ASSERT_EQ(0, ioas_map_flags(self->fd, self->ioas, anon, PSZ, &iova,
				    IOMMU_IOAS_MAP_FIXED_IOVA |
					    IOMMU_IOAS_MAP_READABLE));
	memset(anon, 3, PSZ);
	EXPECT_EQ(0, check_map(self->fd, hwpt, iova, anon, PSZ));

	/* A shared mapping has nothing to unshare, and is no COW to break */
	fd = memfd_create("ro", 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, PSZ));
	ro = mmap(NULL, PSZ, PROT_READ, MAP_SHARED, fd, 0);
	rw = mmap(NULL, PSZ, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, ro);
	ASSERT_NE(MAP_FAILED, rw);
	rw[0] = 4;
	iova += PSZ;
	ASSERT_EQ(0, ioas_map_flags(self->fd, self->ioas, ro, PSZ, &iova,
				    IOMMU_IOAS_MAP_FIXED_IOVA |
					    IOMMU_IOAS_MAP_READABLE));
	rw[1] = 5;
	EXPECT_EQ(0, check_map(self->fd, hwpt, iova, ro, PSZ));
	EXPECT_EQ(0, check_map(self->fd, hwpt, iova, rw, PSZ));
	close(fd);

	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas, 0, UINT64_MAX, NULL));
	munmap(file, PSZ);
	munmap(anon, PSZ);
	munmap(ro, PSZ);
	munmap(rw, PSZ);
}

/*
 * A read-only shared mapping of a file, mapped READABLE: the pages are
 * pinned and checked without asking for write access, which the VMA
 * could not grant (and a write fault on it would be SIGBUS or EFAULT).
 */
TEST_F(mock, readonly_file_mapping)
{
	char path[] = "/tmp/ioasid_ro_XXXXXX";
	size_t len = 4 * PSZ;
	char *data = malloc(len), *out = malloc(len), *ro;
	__u64 iova = BASE_IOVA;
	__u32 stdev, hwpt, pages_id;
	int fd, afd;

	ASSERT_NE(NULL, data);
	ASSERT_NE(NULL, out);
	fd = mkstemp(path);
	ASSERT_LE(0, fd);
	fill_pattern(data, len, 9);
	ASSERT_EQ((ssize_t)len, write(fd, data, len));
	close(fd);
	/* Opened read-only: the VMA cannot even become writable */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	unlink(path);
	ro = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, ro);
	/* Not faulted in yet: the checks must fault it in for reading */
	ASSERT_EQ(0, ioas_map_flags(self->fd, self->ioas, ro, len, &iova,
				    IOMMU_IOAS_MAP_FIXED_IOVA |
					    IOMMU_IOAS_MAP_READABLE));
	ASSERT_EQ(0, create_access(self->fd, self->ioas, 0, &afd));
	memset(out, 0, len);
	EXPECT_EQ(0, access_rw(self->fd, afd, iova, out, len, 0));
	EXPECT_EQ(0, memcmp(out, data, len));
	EXPECT_EQ(0, access_rw(self->fd, afd, iova + 3, out, 64,
			       MOCK_ACCESS_RW_SLOW_PATH));
	EXPECT_EQ(0, memcmp(out, data + 3, 64));
	EXPECT_EQ(EPERM, access_rw(self->fd, afd, iova, out, 64,
				   MOCK_ACCESS_RW_WRITE));
	close(afd);
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas, 0, UINT64_MAX, NULL));

	/* Mapped with a domain attached: pinned at MAP */
	ASSERT_EQ(0, mock_domain(self->fd, self->ioas, &stdev, &hwpt, NULL));
	ASSERT_EQ(0, ioas_map_flags(self->fd, self->ioas, ro, len, &iova,
				    IOMMU_IOAS_MAP_FIXED_IOVA |
					    IOMMU_IOAS_MAP_READABLE));
	EXPECT_EQ(0, check_map(self->fd, hwpt, iova, ro, len));
	EXPECT_EQ(0, check_map(self->fd, hwpt, iova + MOCK_PSZ,
			       ro + MOCK_PSZ, len - MOCK_PSZ));
	EXPECT_EQ(0, check_refs(self->fd, ro, len, 1));
	/* An access reads it and pins it without write */
	ASSERT_EQ(0, create_access(self->fd, self->ioas,
				   MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
				   &afd));
	EXPECT_EQ(0, access_pages(self->fd, afd, iova, len, ro, 0,
				  &pages_id));
	EXPECT_EQ(EPERM, access_pages(self->fd, afd, iova, len, ro,
				      MOCK_FLAGS_ACCESS_WRITE, NULL));
	EXPECT_EQ(0, destroy_access_pages(self->fd, afd, pages_id));
	close(afd);
	/* Never writable */
	EXPECT_EQ(EFAULT, ioas_map(self->fd, self->ioas, ro, len,
				   BASE_IOVA + 8 * PSZ));
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas, 0, UINT64_MAX, NULL));
	EXPECT_EQ(0, check_refs(self->fd, ro, len, 0));

	/* Mapped first, pinned by the attach */
	EXPECT_EQ(0, destroy_obj(self->fd, stdev));
	ASSERT_EQ(0, ioas_map_flags(self->fd, self->ioas, ro, len, &iova,
				    IOMMU_IOAS_MAP_FIXED_IOVA |
					    IOMMU_IOAS_MAP_READABLE));
	ASSERT_EQ(0, mock_domain(self->fd, self->ioas, &stdev, &hwpt, NULL));
	EXPECT_EQ(0, check_map(self->fd, hwpt, iova, ro, len));
	EXPECT_EQ(0, check_refs(self->fd, ro, len, 1));
	EXPECT_EQ(0, memcmp(ro, data, len));
	EXPECT_EQ(0, destroy_obj(self->fd, stdev));
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas, 0, UINT64_MAX, NULL));
	munmap(ro, len);
	close(fd);
	free(data);
	free(out);
}

/* A map that cannot pin all of its pages leaves nothing behind */
TEST_F(mock, map_efault_rollback)
{
	static const unsigned int limits[] = { 65536, 16, 24 };
	size_t len = 16 * PSZ;
	char *buf = alloc_buffer(len, PSZ, 0);
	struct ioasid_counters before;
	__u32 stdev, hwpt;
	unsigned int i;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, munmap(buf + len / 2, len / 2));
	ASSERT_EQ(0, mock_domain(self->fd, self->ioas, &stdev, &hwpt, NULL));
	self->limit_changed = true;
	for (i = 0; i != sizeof(limits) / sizeof(limits[0]); i++) {
		ASSERT_EQ(0, set_temp_memory_limit(self->fd, limits[i]));
		before = counters_now();
		EXPECT_EQ(EFAULT, ioas_map(self->fd, self->ioas, buf, len,
					   BASE_IOVA));
		EXPECT_EQ(before.pinned, counters_now().pinned);
		EXPECT_EQ(before.pages_objs, counters_now().pages_objs);
		EXPECT_EQ(0, check_refs(self->fd, buf, len / 2, 0));
		EXPECT_EQ(EINVAL, check_map(self->fd, hwpt, BASE_IOVA, buf,
					    MOCK_PSZ));
		/* The IOVA is free again */
		ASSERT_EQ(0, ioas_map(self->fd, self->ioas, buf, len / 2,
				      BASE_IOVA));
		EXPECT_EQ(0, check_map(self->fd, hwpt, BASE_IOVA, buf,
				       len / 2));
		EXPECT_EQ(0, check_refs(self->fd, buf, len / 2, 1));
		ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas, BASE_IOVA,
					len / 2, NULL));
		EXPECT_EQ(0, check_refs(self->fd, buf, len / 2, 0));
	}
	ASSERT_EQ(0, set_temp_memory_limit(self->fd, 65536));
	self->limit_changed = false;
	EXPECT_EQ(0, destroy_obj(self->fd, stdev));
	munmap(buf, len / 2);
}

/*
 * The test ops check in upstream's order and answer its errnos: the access
 * ops size, flags, access fd (EBADFD), the access's kind, then the range;
 * pages that are not the user's EBADE; MD_CHECK_MAP EINVAL for odd values
 * and 0 for nothing to check; ADD_RESERVED the IOAS first
 */
TEST_F(mock, test_op_errnos)
{
	size_t len = 4 * PSZ;
	char *buf = alloc_buffer(len, PSZ, 0);
	char *other = alloc_buffer(len, PSZ, 0);
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_ACCESS_REPLACE_IOAS,
		.id = self->fd,
		.access_replace_ioas = { .ioas_id = self->ioas },
	};
	__u32 stdev, hwpt, pages;
	int afd, afd_nopin;

	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, other);
	ASSERT_EQ(0, mock_domain(self->fd, self->ioas, &stdev, &hwpt, NULL));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, buf, len, BASE_IOVA));
	ASSERT_EQ(0, create_access(self->fd, self->ioas,
				   MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
				   &afd));
	ASSERT_EQ(0, create_access(self->fd, self->ioas, 0, &afd_nopin));

	EXPECT_EQ(ENOMEM, access_pages(self->fd, -1, BASE_IOVA,
				       (16UL << 20) + PSZ, NULL, 1 << 3, NULL));
	EXPECT_EQ(EOPNOTSUPP, access_pages(self->fd, -1, BASE_IOVA, 0, NULL,
					   1 << 3, NULL));
	EXPECT_EQ(EBADFD, access_pages(self->fd, -1, BASE_IOVA, 0, NULL, 0,
				       NULL));
	EXPECT_EQ(EBADFD, access_pages(self->fd, self->fd, BASE_IOVA, 0, NULL,
				       0, NULL));
	EXPECT_EQ(EOPNOTSUPP, access_pages(self->fd, afd_nopin, BASE_IOVA, 0,
					   NULL, 0, NULL));
	EXPECT_EQ(EINVAL, access_pages(self->fd, afd, BASE_IOVA, 0, NULL, 0,
				       NULL));
	EXPECT_EQ(EBADE, access_pages(self->fd, afd, BASE_IOVA, PSZ, other, 0,
				      NULL));
	ASSERT_EQ(0, access_pages(self->fd, afd, BASE_IOVA, PSZ, buf, 0,
				  &pages));
	EXPECT_EQ(0, destroy_access_pages(self->fd, afd, pages));

	EXPECT_EQ(ENOMEM, access_rw(self->fd, -1, BASE_IOVA, other,
				    (16UL << 20) + 1, 1 << 1));
	EXPECT_EQ(EOPNOTSUPP, access_rw(self->fd, -1, BASE_IOVA, other, 0,
					1 << 1));
	EXPECT_EQ(EBADFD, access_rw(self->fd, -1, BASE_IOVA, other, 0, 0));
	EXPECT_EQ(EINVAL, access_rw(self->fd, afd, BASE_IOVA, other, 0, 0));
	EXPECT_EQ(EBADFD, destroy_access_pages(self->fd, self->fd, 0));
	EXPECT_EQ(EBADFD, test_cmd(self->fd, &cmd));

	EXPECT_EQ(0, check_map(self->fd, hwpt, BASE_IOVA, buf, 0));
	EXPECT_EQ(ENOENT, check_map(self->fd, 9999, BASE_IOVA, buf, 0));
	EXPECT_EQ(EINVAL, check_map(self->fd, hwpt, -MOCK_PSZ, buf,
				    2 * MOCK_PSZ));
	EXPECT_EQ(EINVAL, check_map(self->fd, hwpt, BASE_IOVA,
				    (void *)-MOCK_PSZ, 2 * MOCK_PSZ));
	EXPECT_EQ(EINVAL, check_refs(self->fd, (void *)-PSZ, 2 * PSZ, 0));

	EXPECT_EQ(ENOENT, add_reserved(self->fd, 9999, 0, 0));
	EXPECT_EQ(ENOENT, add_reserved(self->fd, 9999, UINT64_MAX, PSZ));
	EXPECT_EQ(EINVAL, add_reserved(self->fd, self->ioas, BASE_IOVA, 0));

	close(afd);
	close(afd_nopin);
	EXPECT_EQ(0, destroy_obj(self->fd, stdev));
	munmap(buf, len);
	munmap(other, len);
}

/* Data written by the CPU is what the IOVA reads */
TEST_F(mock, data_through_iova)
{
	size_t len = 8 * PSZ;
	char *buf = alloc_buffer(len, PSZ, 0);
	char *out = malloc(len);
	__u32 stdev, hwpt;
	int afd;

	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, out);
	fill_pattern(buf, len, 42);
	ASSERT_EQ(0, mock_domain(self->fd, self->ioas, &stdev, &hwpt, NULL));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, buf, len, BASE_IOVA));
	ASSERT_EQ(0, create_access(self->fd, self->ioas, 0, &afd));

	memset(out, 0, len);
	EXPECT_EQ(0, access_rw(self->fd, afd, BASE_IOVA, out, len, 0));
	EXPECT_EQ(0, memcmp(out, buf, len));
	/* A later CPU write is seen too: the domain maps the same page */
	buf[3 * PSZ + 17] ^= 0xff;
	memset(out, 0, len);
	EXPECT_EQ(0, access_rw(self->fd, afd, BASE_IOVA + 3 * PSZ, out, PSZ,
			       0));
	EXPECT_EQ(0, memcmp(out, buf + 3 * PSZ, PSZ));
	EXPECT_EQ(0, check_map(self->fd, hwpt, BASE_IOVA, buf, len));
	close(afd);
	EXPECT_EQ(0, destroy_obj(self->fd, stdev));
	free(out);
	munmap(buf, len);
}

TEST_HARNESS_MAIN
