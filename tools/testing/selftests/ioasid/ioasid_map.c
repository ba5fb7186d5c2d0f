// SPDX-License-Identifier: GPL-2.0-only
/*
 * IOAS mapping semantics: IOMMU_IOAS_MAP, IOMMU_IOAS_UNMAP, IOMMU_IOAS_COPY,
 * IOMMU_IOAS_IOVA_RANGES and IOMMU_IOAS_ALLOW_IOVAS.
 *
 * Every test runs twice: on an IOAS without a domain (the whole 64-bit IOVA
 * space, alignment 1, lazy pinning) and on an IOAS with a mock domain
 * attached (IOVA window [MOCK_APERTURE_START, MOCK_APERTURE_LAST], alignment
 * PAGE_SIZE / 2, pages pinned at MAP time).
 */
#include "ioasid_utils.h"

/* The buffer every test maps from: 4 MiB, 2 MiB aligned, filled with data */
#define BUF_SZ (2 * HUGE_SZ)
/* A fixed IOVA inside the usable window of both variants */
#define BASE ((__u64)MOCK_APERTURE_START)
#define SZ_1M (1024UL * 1024)
#define SZ_1G (1024UL * 1024 * 1024)
/* Kernel addresses, never valid user memory */
#define KERNEL_VA1 0xffff888000000000ULL
#define KERNEL_VA2 0xffffffff81000000ULL
/* A flag bit no ioasid version knows */
#define MAP_BAD_FLAG (1U << 3)
#define NR_ACCESS 3

FIXTURE(map) {
	int fd;
	int access_fd[NR_ACCESS];
	__u32 ioas;
	__u32 stdev;	/* mock variant: the device of the fixture's domain */
	__u32 hwpt;
	__u32 ioas2;	/* second IOAS, made by tests that need one */
	__u32 hwpt2;
	void *buf;
	__u64 lo, hi, align;	/* usable IOVA window and alignment */
	struct ioasid_env env;
};

FIXTURE_VARIANT(map) {
	bool mock;
};

FIXTURE_VARIANT_ADD(map, no_domain) {
	.mock = false,
};

FIXTURE_VARIANT_ADD(map, mock_domain) {
	.mock = true,
};

/* Every 32-bit word of the buffer is different */
static void fill_words(void *p, size_t len, __u32 seed)
{
	__u32 *w = p;
	size_t i;

	for (i = 0; i != len / sizeof(*w); i++)
		w[i] = (__u32)(i + seed) * 2654435761u;
}

/*
 * An anonymous buffer aligned to @align that transparent huge pages never
 * back: pins on a large folio are counted for the whole folio, so
 * check_refs() over a part of one could not tell pinned pages from others.
 */
static void *alloc_small_pages(size_t length, size_t align)
{
	char *buf = mmap_aligned(length, align, 0);

	if (!buf)
		return NULL;
	if (madvise(buf, length, MADV_NOHUGEPAGE)) {
		munmap(buf, length);
		return NULL;
	}
	return buf;
}

FIXTURE_SETUP(map)
{
	int i;

	env_begin(&self->env);
	for (i = 0; i != NR_ACCESS; i++)
		self->access_fd[i] = -1;
	self->fd = ioasid_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, ioas_alloc(self->fd, &self->ioas));
	self->buf = alloc_small_pages(BUF_SZ, HUGE_SZ);
	ASSERT_NE(NULL, self->buf);
	fill_words(self->buf, BUF_SZ, 0);

	if (variant->mock) {
		ASSERT_EQ(0, mock_domain(self->fd, self->ioas, &self->stdev,
					 &self->hwpt, NULL));
		self->lo = MOCK_APERTURE_START;
		self->hi = MOCK_APERTURE_LAST;
		self->align = MOCK_PSZ;
	} else {
		self->lo = 0;
		self->hi = UINT64_MAX;
		self->align = 1;
	}
}

FIXTURE_TEARDOWN(map)
{
	int i;

	for (i = 0; i != NR_ACCESS; i++)
		if (self->access_fd[i] >= 0)
			close(self->access_fd[i]);
	if (self->fd >= 0)
		close(self->fd);
	if (self->buf)
		EXPECT_EQ(0, munmap(self->buf, BUF_SZ));
	env_end(&self->env);
}

#define BUF(off) ((char *)self->buf + (off))

/* A non-pinning access on @ioas, closed by the teardown */
static int new_access(struct __test_metadata *_metadata,
		      FIXTURE_DATA(map) *self, __u32 ioas)
{
	int i;

	for (i = 0; i != NR_ACCESS; i++) {
		if (self->access_fd[i] >= 0)
			continue;
		ASSERT_EQ(0, create_access(self->fd, ioas, 0,
					   &self->access_fd[i]));
		ASSERT_LE(0, self->access_fd[i]);
		return self->access_fd[i];
	}
	ASSERT_TRUE(false);
	return -1;
}

/* The second IOAS; it gets a mock domain in the mock variant */
static void make_ioas2(struct __test_metadata *_metadata,
		       FIXTURE_DATA(map) *self, bool with_domain)
{
	ASSERT_EQ(0, ioas_alloc(self->fd, &self->ioas2));
	if (with_domain)
		ASSERT_EQ(0, mock_domain(self->fd, self->ioas2, NULL,
					 &self->hwpt2, NULL));
}

/*
 * 0 if the access reads the bytes at @want from [iova, iova + len), the
 * errno of ACCESS_RW, or EILSEQ for different data.
 */
static int iova_has(int fd, int access_fd, __u64 iova, const void *want,
		    size_t len)
{
	void *tmp = malloc(len);
	int rc;

	if (!tmp)
		return ENOMEM;
	memset(tmp, 0xcc, len);
	rc = access_rw(fd, access_fd, iova, tmp, len, 0);
	if (!rc && memcmp(tmp, want, len))
		rc = EILSEQ;
	free(tmp);
	return rc;
}

static int map_cmd(int fd, struct iommu_ioas_map *cmd)
{
	cmd->size = sizeof(*cmd);
	return xioctl(fd, IOMMU_IOAS_MAP, cmd);
}

static int copy_cmd(int fd, struct iommu_ioas_copy *cmd)
{
	cmd->size = sizeof(*cmd);
	return xioctl(fd, IOMMU_IOAS_COPY, cmd);
}

/* Unmap exactly one range and return how much went, or ~0 on an error */
static __u64 unmap_len(int fd, __u32 ioas, __u64 iova, __u64 length)
{
	__u64 unmapped = 0;

	if (ioas_unmap(fd, ioas, iova, length, &unmapped))
		return ~0ULL;
	return unmapped;
}

static __u64 unmap_all(int fd, __u32 ioas)
{
	return unmap_len(fd, ioas, 0, UINT64_MAX);
}

/* Assert the IOAS reports exactly one usable range */
static void expect_one_range(struct __test_metadata *_metadata, int fd,
			     __u32 ioas, __u64 start, __u64 last, __u64 align)
{
	struct iommu_iova_range r[2];
	__u64 got_align = 0;
	__u32 num = 2;

	memset(r, 0xa5, sizeof(r));
	ASSERT_EQ(0, ioas_ranges(fd, ioas, r, &num, &got_align));
	ASSERT_EQ(1, num);
	EXPECT_EQ(start, r[0].start);
	EXPECT_EQ(last, r[0].last);
	EXPECT_EQ(align, got_align);
	/* Nothing written past the entries reported */
	EXPECT_EQ(0xa5a5a5a5a5a5a5a5ULL, r[1].start);
}

static bool ranges_intersect(__u64 a, __u64 alen, __u64 b, __u64 blen)
{
	return a <= b + blen - 1 && b <= a + alen - 1;
}

/* ------------------------------------------------------------------ MAP */

TEST_F(map, map_fixed)
{
	__u64 len = 16 * PSZ, iova;
	int afd = new_access(_metadata, self, self->ioas);

	iova = BASE + len;
	ASSERT_EQ(0, ioas_map_flags(self->fd, self->ioas, BUF(0), len, &iova,
				    MAP_FIXED_RW));
	EXPECT_EQ(BASE + len, iova);
	/* Directly before and directly after */
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, BUF(len), len, BASE));
	iova = BASE + 2 * len;
	ASSERT_EQ(0, ioas_map_flags(self->fd, self->ioas, BUF(2 * len), len,
				    &iova, IOMMU_IOAS_MAP_FIXED_IOVA |
				    IOMMU_IOAS_MAP_READABLE));
	EXPECT_EQ(BASE + 2 * len, iova);
	iova = BASE + 3 * len;
	ASSERT_EQ(0, ioas_map_flags(self->fd, self->ioas, BUF(3 * len), len,
				    &iova, IOMMU_IOAS_MAP_FIXED_IOVA |
				    IOMMU_IOAS_MAP_WRITEABLE));

	EXPECT_EQ(0, iova_has(self->fd, afd, BASE, BUF(len), len));
	EXPECT_EQ(0, iova_has(self->fd, afd, BASE + len, BUF(0), len));
	EXPECT_EQ(0, iova_has(self->fd, afd, BASE + 2 * len, BUF(2 * len),
			      len));
	if (variant->mock) {
		EXPECT_EQ(0, check_map(self->fd, self->hwpt, BASE, BUF(len),
				       len));
		EXPECT_EQ(0, check_map(self->fd, self->hwpt, BASE + len,
				       BUF(0), len));
		EXPECT_EQ(0, check_map(self->fd, self->hwpt, BASE + 2 * len,
				       BUF(2 * len), 2 * len));
	}

	EXPECT_EQ(len, unmap_len(self->fd, self->ioas, BASE + len, len));
	EXPECT_EQ(len, unmap_len(self->fd, self->ioas, BASE, len));
	EXPECT_EQ(len, unmap_len(self->fd, self->ioas, BASE + 2 * len, len));
	EXPECT_EQ(len, unmap_len(self->fd, self->ioas, BASE + 3 * len, len));
	EXPECT_EQ(0, unmap_all(self->fd, self->ioas));
}

TEST_F(map, map_auto)
{
	__u64 len = 16 * PSZ, iova, iova2;
	int afd = new_access(_metadata, self, self->ioas);

	/* Without FIXED_IOVA the input IOVA is ignored, even a bad one */
	iova = self->align == 1 ? UINT64_MAX - 1 : BASE + 1;
	ASSERT_EQ(0, ioas_map_auto(self->fd, self->ioas, BUF(0), len, &iova));
	EXPECT_NE(0, iova);
	EXPECT_LE(self->lo, iova);
	EXPECT_GE(self->hi, iova + len - 1);
	EXPECT_EQ(0, iova % len);
	EXPECT_EQ(0, iova_has(self->fd, afd, iova, BUF(0), len));

	iova2 = 0;
	ASSERT_EQ(0, ioas_map_auto(self->fd, self->ioas, BUF(len), len,
				   &iova2));
	EXPECT_FALSE(ranges_intersect(iova, len, iova2, len));
	EXPECT_LE(self->lo, iova2);
	EXPECT_GE(self->hi, iova2 + len - 1);
	EXPECT_EQ(0, iova_has(self->fd, afd, iova2, BUF(len), len));
	if (variant->mock) {
		EXPECT_EQ(0, check_map(self->fd, self->hwpt, iova, BUF(0), len));
		EXPECT_EQ(0, check_map(self->fd, self->hwpt, iova2, BUF(len),
				       len));
	}
	/* The IOVA returned is where the mapping is */
	EXPECT_EQ(EEXIST, ioas_map(self->fd, self->ioas, BUF(0), len, iova));
	EXPECT_EQ(len, unmap_len(self->fd, self->ioas, iova, len));
	EXPECT_EQ(len, unmap_len(self->fd, self->ioas, iova2, len));
}

TEST_F(map, map_flags)
{
	struct iommu_ioas_map cmd = {
		.flags = MAP_FIXED_RW,
		.ioas_id = self->ioas,
		.user_va = (uintptr_t)self->buf,
		.length = 4 * PSZ,
		.iova = BASE,
	};

	cmd.flags = MAP_FIXED_RW | MAP_BAD_FLAG;
	EXPECT_EQ(EOPNOTSUPP, map_cmd(self->fd, &cmd));
	cmd.flags = MAP_FIXED_RW | (1U << 31);
	EXPECT_EQ(EOPNOTSUPP, map_cmd(self->fd, &cmd));
	cmd.flags = MAP_RW | MAP_BAD_FLAG;
	EXPECT_EQ(EOPNOTSUPP, map_cmd(self->fd, &cmd));

	cmd.flags = MAP_FIXED_RW;
	cmd.__reserved = 1;
	EXPECT_EQ(EOPNOTSUPP, map_cmd(self->fd, &cmd));
	cmd.__reserved = 1U << 31;
	EXPECT_EQ(EOPNOTSUPP, map_cmd(self->fd, &cmd));
	cmd.__reserved = 0;

	/* Neither readable nor writable */
	cmd.flags = IOMMU_IOAS_MAP_FIXED_IOVA;
	EXPECT_EQ(EINVAL, map_cmd(self->fd, &cmd));
	cmd.flags = 0;
	EXPECT_EQ(EINVAL, map_cmd(self->fd, &cmd));

	/* None of that mapped anything */
	EXPECT_EQ(0, unmap_all(self->fd, self->ioas));

	cmd.flags = MAP_FIXED_RW;
	cmd.iova = BASE;
	ASSERT_EQ(0, map_cmd(self->fd, &cmd));
	EXPECT_EQ(BASE, cmd.iova);
	EXPECT_EQ(4 * PSZ, unmap_len(self->fd, self->ioas, BASE, 4 * PSZ));
}

TEST_F(map, map_bad_values)
{
	__u64 top = UINT64_MAX - PSZ + 1;
	__u64 iova;

	/* iova or length of UINT64_MAX */
	EXPECT_EQ(EOVERFLOW, ioas_map(self->fd, self->ioas, BUF(0), PSZ,
				      UINT64_MAX));
	EXPECT_EQ(EOVERFLOW, ioas_map(self->fd, self->ioas, BUF(0),
				      UINT64_MAX, BASE));
	iova = 0;
	EXPECT_EQ(EOVERFLOW, ioas_map_auto(self->fd, self->ioas, BUF(0),
					   UINT64_MAX, &iova));

	/* Empty */
	EXPECT_EQ(EINVAL, ioas_map(self->fd, self->ioas, BUF(0), 0, BASE));
	iova = 0;
	EXPECT_EQ(EINVAL, ioas_map_auto(self->fd, self->ioas, BUF(0), 0,
					&iova));

	/* iova + length wraps around */
	EXPECT_EQ(EOVERFLOW, ioas_map(self->fd, self->ioas, BUF(0), 2 * PSZ,
				      top));
	EXPECT_EQ(EOVERFLOW, ioas_map(self->fd, self->ioas, BUF(0), 4 * PSZ,
				      UINT64_MAX - 2 * PSZ + 1));

	/* Unknown IOAS */
	EXPECT_EQ(ENOENT, ioas_map(self->fd, 0, BUF(0), PSZ, BASE));
	EXPECT_EQ(0, unmap_all(self->fd, self->ioas));
}

TEST_F(map, map_overlap)
{
	__u64 a = self->align;
	__u64 x = BASE + 8 * PSZ, xlen = 8 * PSZ;
	int afd = new_access(_metadata, self, self->ioas);

	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, BUF(0), xlen, x));

	EXPECT_EQ(EEXIST, ioas_map(self->fd, self->ioas, BUF(0), xlen, x));
	/* Partly at the start, partly at the end, around, inside */
	EXPECT_EQ(EEXIST, ioas_map(self->fd, self->ioas, BUF(0), 8 * PSZ,
				   x - 4 * PSZ));
	EXPECT_EQ(EEXIST, ioas_map(self->fd, self->ioas, BUF(0), 8 * PSZ,
				   x + 4 * PSZ));
	EXPECT_EQ(EEXIST, ioas_map(self->fd, self->ioas, BUF(0), 16 * PSZ,
				   x - 4 * PSZ));
	EXPECT_EQ(EEXIST, ioas_map(self->fd, self->ioas, BUF(0), PSZ,
				   x + 2 * PSZ));
	/* By a single alignment unit at either end */
	EXPECT_EQ(EEXIST, ioas_map(self->fd, self->ioas, BUF(0), 2 * a,
				   x - a));
	EXPECT_EQ(EEXIST, ioas_map(self->fd, self->ioas, BUF(0), 2 * a,
				   x + xlen - a));
	EXPECT_EQ(EEXIST, ioas_map(self->fd, self->ioas, BUF(0), a, x));
	EXPECT_EQ(EEXIST, ioas_map(self->fd, self->ioas, BUF(0), a,
				   x + xlen - a));

	/* The original is intact */
	EXPECT_EQ(0, iova_has(self->fd, afd, x, BUF(0), xlen));
	if (variant->mock)
		EXPECT_EQ(0, check_map(self->fd, self->hwpt, x, BUF(0), xlen));

	/* Touching it on both sides is fine */
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, BUF(xlen), 8 * PSZ,
			      x - 8 * PSZ));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, BUF(2 * xlen), 8 * PSZ,
			      x + xlen));
	EXPECT_EQ(24 * PSZ, unmap_all(self->fd, self->ioas));
}

TEST_F(map, map_reserved)
{
	__u64 r = BASE + 16 * PSZ, rlen = 4 * PSZ;
	struct iommu_iova_range ranges[4];
	__u32 num = 4;

	ASSERT_EQ(0, add_reserved(self->fd, self->ioas, r, rlen));

	/* Across the start, inside, across the end, its last unit, around */
	EXPECT_EQ(EINVAL, ioas_map(self->fd, self->ioas, BUF(0), 8 * PSZ,
				   r - 4 * PSZ));
	EXPECT_EQ(EINVAL, ioas_map(self->fd, self->ioas, BUF(0), PSZ,
				   r + PSZ));
	EXPECT_EQ(EINVAL, ioas_map(self->fd, self->ioas, BUF(0), 4 * PSZ,
				   r + 3 * PSZ));
	EXPECT_EQ(EINVAL, ioas_map(self->fd, self->ioas, BUF(0), self->align,
				   r + rlen - self->align));
	EXPECT_EQ(EINVAL, ioas_map(self->fd, self->ioas, BUF(0), 16 * PSZ,
				   r - 8 * PSZ));
	EXPECT_EQ(0, unmap_all(self->fd, self->ioas));

	/* Right up to it on both sides */
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, BUF(0), 4 * PSZ,
			      r - 4 * PSZ));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, BUF(0), 4 * PSZ, r + rlen));

	/* A reservation cannot cover a mapping */
	EXPECT_EQ(EADDRINUSE, add_reserved(self->fd, self->ioas,
					   r - 2 * PSZ, PSZ));
	EXPECT_EQ(EADDRINUSE, add_reserved(self->fd, self->ioas,
					   r + rlen + 3 * PSZ, 4 * PSZ));

	/* The hole shows in IOVA_RANGES */
	ASSERT_EQ(0, ioas_ranges(self->fd, self->ioas, ranges, &num, NULL));
	ASSERT_EQ(2, num);
	EXPECT_EQ(self->lo, ranges[0].start);
	EXPECT_EQ(r - 1, ranges[0].last);
	EXPECT_EQ(r + rlen, ranges[1].start);
	EXPECT_EQ(self->hi, ranges[1].last);

	EXPECT_EQ(8 * PSZ, unmap_all(self->fd, self->ioas));
}

TEST_F(map, map_bad_ioas)
{
	__u32 ioas2, stdev, hwpt, idev, gone;

	ASSERT_EQ(0, ioas_alloc(self->fd, &ioas2));
	ASSERT_EQ(0, mock_domain(self->fd, ioas2, &stdev, &hwpt, &idev));
	ASSERT_EQ(0, ioas_alloc(self->fd, &gone));
	ASSERT_EQ(0, destroy_obj(self->fd, gone));

	EXPECT_EQ(ENOENT, ioas_map(self->fd, 0, BUF(0), PSZ, BASE));
	EXPECT_EQ(ENOENT, ioas_map(self->fd, gone, BUF(0), PSZ, BASE));
	EXPECT_EQ(ENOENT, ioas_map(self->fd, gone + 1000, BUF(0), PSZ, BASE));
	EXPECT_EQ(ENOENT, ioas_map(self->fd, UINT32_MAX, BUF(0), PSZ, BASE));
	/* IDs of objects that are not an IOAS */
	EXPECT_EQ(ENOENT, ioas_map(self->fd, stdev, BUF(0), PSZ, BASE));
	EXPECT_EQ(ENOENT, ioas_map(self->fd, hwpt, BUF(0), PSZ, BASE));
	EXPECT_EQ(ENOENT, ioas_map(self->fd, idev, BUF(0), PSZ, BASE));
	if (variant->mock) {
		EXPECT_EQ(ENOENT, ioas_map(self->fd, self->hwpt, BUF(0), PSZ,
					   BASE));
		EXPECT_EQ(ENOENT, ioas_map(self->fd, self->stdev, BUF(0), PSZ,
					   BASE));
	}
	EXPECT_EQ(0, unmap_all(self->fd, self->ioas));
	EXPECT_EQ(0, unmap_all(self->fd, ioas2));
}

TEST_F(map, map_kernel_va)
{
	__u64 iova = 0;

	EXPECT_EQ(EFAULT, ioas_map(self->fd, self->ioas,
				   (void *)(uintptr_t)KERNEL_VA1, 4 * PSZ,
				   BASE));
	EXPECT_EQ(EFAULT, ioas_map(self->fd, self->ioas,
				   (void *)(uintptr_t)KERNEL_VA2, PSZ, BASE));
	EXPECT_EQ(EFAULT, ioas_map_auto(self->fd, self->ioas,
					(void *)(uintptr_t)KERNEL_VA1, 4 * PSZ,
					&iova));
	EXPECT_EQ(0, unmap_all(self->fd, self->ioas));
}

TEST_F(map, map_alignment)
{
	int afd = new_access(_metadata, self, self->ioas);
	__u64 iova;

	if (variant->mock) {
		__u64 m = MOCK_PSZ;

		/* Unaligned IOVA, length or user address */
		EXPECT_EQ(EINVAL, ioas_map(self->fd, self->ioas, BUF(0), PSZ,
					   BASE + 1));
		EXPECT_EQ(EINVAL, ioas_map(self->fd, self->ioas, BUF(0), PSZ,
					   BASE + m / 2));
		EXPECT_EQ(EINVAL, ioas_map(self->fd, self->ioas, BUF(0), m + 1,
					   BASE));
		EXPECT_EQ(EINVAL, ioas_map(self->fd, self->ioas, BUF(0), 1,
					   BASE));
		EXPECT_EQ(EINVAL, ioas_map(self->fd, self->ioas, BUF(1), m,
					   BASE));
		iova = 0;
		EXPECT_EQ(EINVAL, ioas_map_auto(self->fd, self->ioas, BUF(1), m,
						&iova));
		iova = 0;
		EXPECT_EQ(EINVAL, ioas_map_auto(self->fd, self->ioas, BUF(0),
						m + 100, &iova));
		EXPECT_EQ(0, unmap_all(self->fd, self->ioas));

		/* Half pages are fine: the IOVA, the length, the address */
		ASSERT_EQ(0, ioas_map(self->fd, self->ioas, BUF(0), m,
				      BASE + m));
		EXPECT_EQ(0, check_map(self->fd, self->hwpt, BASE + m, BUF(0),
				       m));
		ASSERT_EQ(0, ioas_map(self->fd, self->ioas, BUF(m), 3 * m,
				      BASE + 4 * PSZ));
		EXPECT_EQ(0, check_map(self->fd, self->hwpt, BASE + 4 * PSZ,
				       BUF(m), 3 * m));
		EXPECT_EQ(0, iova_has(self->fd, afd, BASE + 4 * PSZ, BUF(m),
				      3 * m));
		EXPECT_EQ(m, unmap_len(self->fd, self->ioas, BASE + m, m));
		EXPECT_EQ(3 * m, unmap_len(self->fd, self->ioas,
					   BASE + 4 * PSZ, 3 * m));
	} else {
		/* Any byte will do */
		ASSERT_EQ(0, ioas_map(self->fd, self->ioas, BUF(5), 3,
				      BASE + 1));
		EXPECT_EQ(0, iova_has(self->fd, afd, BASE + 1, BUF(5), 3));
		ASSERT_EQ(0, ioas_map(self->fd, self->ioas, BUF(PSZ - 7), 1,
				      0x12345));
		EXPECT_EQ(0, iova_has(self->fd, afd, 0x12345, BUF(PSZ - 7), 1));
		/* Across a page boundary of the user memory */
		ASSERT_EQ(0, ioas_map(self->fd, self->ioas, BUF(PSZ - 100), 201,
				      BASE + 4 * PSZ + 3));
		EXPECT_EQ(0, iova_has(self->fd, afd, BASE + 4 * PSZ + 3,
				      BUF(PSZ - 100), 201));
		/* Adjacent byte-sized mappings */
		ASSERT_EQ(0, ioas_map(self->fd, self->ioas, BUF(9), 1, BASE));
		ASSERT_EQ(0, ioas_map(self->fd, self->ioas, BUF(9), 1,
				      BASE + 4));
		EXPECT_EQ(EEXIST, ioas_map(self->fd, self->ioas, BUF(0), 1,
					   BASE + 3));
		EXPECT_EQ(3, unmap_len(self->fd, self->ioas, BASE + 1, 3));
		EXPECT_EQ(204, unmap_all(self->fd, self->ioas));
	}
	expect_one_range(_metadata, self->fd, self->ioas, self->lo, self->hi,
			 self->align);
}

TEST_F(map, map_aperture)
{
	__u64 top = UINT64_MAX - PSZ + 1;
	int afd = new_access(_metadata, self, self->ioas);

	if (variant->mock) {
		__u64 end = (__u64)MOCK_APERTURE_LAST + 1;

		EXPECT_EQ(EINVAL, ioas_map(self->fd, self->ioas, BUF(0), PSZ,
					   0));
		EXPECT_EQ(EINVAL, ioas_map(self->fd, self->ioas, BUF(0), PSZ,
					   BASE - PSZ));
		EXPECT_EQ(EINVAL, ioas_map(self->fd, self->ioas, BUF(0), PSZ,
					   BASE - MOCK_PSZ));
		EXPECT_EQ(EINVAL, ioas_map(self->fd, self->ioas, BUF(0),
					   2 * PSZ, end - PSZ));
		EXPECT_EQ(EINVAL, ioas_map(self->fd, self->ioas, BUF(0), PSZ,
					   end));
		EXPECT_EQ(EINVAL, ioas_map(self->fd, self->ioas, BUF(0), PSZ,
					   4 * SZ_1G));
		EXPECT_EQ(EINVAL, ioas_map(self->fd, self->ioas, BUF(0), PSZ,
					   top));
		EXPECT_EQ(0, unmap_all(self->fd, self->ioas));

		/* The first and last page of the aperture */
		ASSERT_EQ(0, ioas_map(self->fd, self->ioas, BUF(0), PSZ, BASE));
		ASSERT_EQ(0, ioas_map(self->fd, self->ioas, BUF(PSZ), PSZ,
				      end - PSZ));
		EXPECT_EQ(0, check_map(self->fd, self->hwpt, BASE, BUF(0),
				       PSZ));
		EXPECT_EQ(0, check_map(self->fd, self->hwpt, end - PSZ,
				       BUF(PSZ), PSZ));
		EXPECT_EQ(0, iova_has(self->fd, afd, end - PSZ, BUF(PSZ), PSZ));
		EXPECT_EQ(PSZ, unmap_len(self->fd, self->ioas, end - PSZ,
					 PSZ));
		EXPECT_EQ(PSZ, unmap_len(self->fd, self->ioas, BASE, PSZ));
	} else {
		/* IOVA 0 and the last page of the 64-bit space */
		ASSERT_EQ(0, ioas_map(self->fd, self->ioas, BUF(0), PSZ, 0));
		ASSERT_EQ(0, ioas_map(self->fd, self->ioas, BUF(PSZ), PSZ,
				      top));
		EXPECT_EQ(0, iova_has(self->fd, afd, 0, BUF(0), PSZ));
		EXPECT_EQ(0, iova_has(self->fd, afd, top, BUF(PSZ), PSZ));
		/* Not the unmap-all form: length is not UINT64_MAX */
		EXPECT_EQ(PSZ, unmap_len(self->fd, self->ioas, 0, PSZ));
		EXPECT_EQ(PSZ, unmap_len(self->fd, self->ioas, top, PSZ));
	}
	EXPECT_EQ(0, unmap_all(self->fd, self->ioas));
}

/* Address of @len bytes of the address space that nothing maps */
static void *unmapped_va(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	munmap(p, len);
	return p;
}

TEST_F(map, map_unmapped_va)
{
	size_t len = 8 * PSZ;
	__u32 stdev, hwpt;
	void *hole, *half;
	__u64 iova;

	if (variant->mock) {
		long vmpin;
		void *none;

		/* Pinned at MAP time, so it fails at once */
		hole = unmapped_va(len);
		ASSERT_NE(NULL, hole);
		EXPECT_EQ(EFAULT, ioas_map(self->fd, self->ioas, hole, len,
					   BASE));
		iova = 0;
		EXPECT_EQ(EFAULT, ioas_map_auto(self->fd, self->ioas, hole,
						len, &iova));

		none = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
			    -1, 0);
		ASSERT_NE(MAP_FAILED, none);
		EXPECT_EQ(EFAULT, ioas_map(self->fd, self->ioas, none, len,
					   BASE));
		munmap(none, len);

		/* Only the second half is missing: nothing stays pinned */
		half = mmap(NULL, len, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		ASSERT_NE(MAP_FAILED, half);
		memset(half, 1, len);
		ASSERT_EQ(0, munmap((char *)half + len / 2, len / 2));
		vmpin = proc_status_kb("VmPin");
		EXPECT_EQ(EFAULT, ioas_map(self->fd, self->ioas, half, len,
					   BASE));
		EXPECT_EQ(0, check_refs(self->fd, half, len / 2, 0));
		/* The charge of the pages it did get went back too */
		EXPECT_EQ(vmpin, proc_status_kb("VmPin"));
		munmap(half, len / 2);
		EXPECT_EQ(0, unmap_all(self->fd, self->ioas));
		EXPECT_EQ(EINVAL, check_map(self->fd, self->hwpt, BASE,
					    self->buf, MOCK_PSZ));

		/* Without the domain the IOAS pins lazily */
		ASSERT_EQ(0, destroy_obj(self->fd, self->stdev));
		self->stdev = 0;
	}

	/* No domain: accepted, the pages are not touched yet */
	hole = unmapped_va(len);
	ASSERT_NE(NULL, hole);
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, hole, len, BASE));
	/* Now a domain needs the pages and cannot have them */
	EXPECT_EQ(EFAULT, mock_domain(self->fd, self->ioas, &stdev, &hwpt,
				      NULL));
	/* The failed attach left no reservation and no alignment behind */
	expect_one_range(_metadata, self->fd, self->ioas, 0, UINT64_MAX, 1);
	EXPECT_EQ(len, unmap_len(self->fd, self->ioas, BASE, len));

	/* Without the bad mapping the attach works */
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, BUF(0), len, BASE));
	ASSERT_EQ(0, mock_domain(self->fd, self->ioas, &stdev, &hwpt, NULL));
	EXPECT_EQ(0, check_map(self->fd, hwpt, BASE, BUF(0), len));
	EXPECT_EQ(0, check_refs(self->fd, BUF(0), len, 1));
	EXPECT_EQ(len, unmap_all(self->fd, self->ioas));
	EXPECT_EQ(0, check_refs(self->fd, BUF(0), len, 0));
}

/*
 * The answer of MAP and COPY cannot be written back (the command sits in a
 * read-only page): EFAULT, and the mapping the call made is undone.
 */
TEST_F(map, copy_back_fault)
{
	struct iommu_ioas_map *map;
	struct iommu_ioas_copy *copy;
	__u64 dst = BASE + 64 * PSZ;
	void *page;

	make_ioas2(_metadata, self, variant->mock);
	page = mmap(NULL, PSZ, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, page);
	map = page;
	*map = (struct iommu_ioas_map){
		.size = sizeof(*map),
		.flags = MAP_FIXED_RW,
		.ioas_id = self->ioas,
		.user_va = (uintptr_t)BUF(0),
		.length = 4 * PSZ,
		.iova = BASE,
	};
	copy = (void *)((char *)page + 256);
	*copy = (struct iommu_ioas_copy){
		.size = sizeof(*copy),
		.flags = MAP_FIXED_RW,
		.dst_ioas_id = self->ioas2,
		.src_ioas_id = self->ioas,
		.length = 4 * PSZ,
		.dst_iova = dst,
		.src_iova = BASE,
	};
	ASSERT_EQ(0, mprotect(page, PSZ, PROT_READ));

	EXPECT_EQ(EFAULT, xioctl(self->fd, IOMMU_IOAS_MAP, map));
	EXPECT_EQ(0, unmap_all(self->fd, self->ioas));
	EXPECT_EQ(0, check_refs(self->fd, BUF(0), 4 * PSZ, 0));

	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, BUF(0), 4 * PSZ, BASE));
	EXPECT_EQ(EFAULT, xioctl(self->fd, IOMMU_IOAS_COPY, copy));
	EXPECT_EQ(0, unmap_all(self->fd, self->ioas2));
	if (variant->mock)
		EXPECT_EQ(0, check_refs(self->fd, BUF(0), 4 * PSZ, 1));

	/* Both IOVAs are free for the same calls from writable memory */
	EXPECT_EQ(0, ioas_copy(self->fd, self->ioas2, self->ioas, BASE,
			       4 * PSZ, &dst, MAP_FIXED_RW));
	EXPECT_EQ(4 * PSZ, unmap_all(self->fd, self->ioas2));
	EXPECT_EQ(4 * PSZ, unmap_all(self->fd, self->ioas));
	EXPECT_EQ(0, check_refs(self->fd, BUF(0), 4 * PSZ, 0));
	munmap(page, PSZ);
}

/* ---------------------------------------------------------------- UNMAP */

TEST_F(map, unmap_exact)
{
	__u64 len[3] = { 4 * PSZ, 8 * PSZ, self->align == 1 ? 3 : MOCK_PSZ };
	__u64 iova[3] = { BASE, BASE + 16 * PSZ, BASE + 64 * PSZ };
	__u64 unmapped;
	int i;

	for (i = 0; i != 3; i++)
		ASSERT_EQ(0, ioas_map(self->fd, self->ioas, BUF(i * 32 * PSZ),
				      len[i], iova[i]));
	for (i = 2; i >= 0; i--) {
		unmapped = 0;
		ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas, iova[i], len[i],
					&unmapped));
		EXPECT_EQ(len[i], unmapped);
		/* Gone: the same range again finds nothing */
		EXPECT_EQ(ENOENT, ioas_unmap(self->fd, self->ioas, iova[i],
					     len[i], NULL));
		if (variant->mock)
			EXPECT_EQ(EINVAL, check_map(self->fd, self->hwpt,
						    iova[i] & ~(MOCK_PSZ - 1),
						    self->buf, MOCK_PSZ));
	}
	EXPECT_EQ(0, unmap_all(self->fd, self->ioas));
}

TEST_F(map, unmap_holes)
{
	__u64 unmapped = 0;
	int i;

	/* Four mappings of 8 pages with 8 page holes between them */
	for (i = 0; i != 4; i++)
		ASSERT_EQ(0, ioas_map(self->fd, self->ioas, BUF(i * 8 * PSZ),
				      8 * PSZ, BASE + i * 16 * PSZ));
	/* A range reaching into the holes before and after */
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas, BASE, 64 * PSZ + 8 * PSZ,
				&unmapped));
	EXPECT_EQ(32 * PSZ, unmapped);
	if (variant->mock)
		EXPECT_EQ(EINVAL, check_map(self->fd, self->hwpt,
					    BASE + 48 * PSZ, BUF(24 * PSZ),
					    8 * PSZ));
	EXPECT_EQ(0, unmap_all(self->fd, self->ioas));

	/* Covering only the middle two, holes on both sides included */
	for (i = 0; i != 4; i++)
		ASSERT_EQ(0, ioas_map(self->fd, self->ioas, BUF(i * 8 * PSZ),
				      8 * PSZ, BASE + i * 16 * PSZ));
	EXPECT_EQ(16 * PSZ, unmap_len(self->fd, self->ioas, BASE + 12 * PSZ,
				      32 * PSZ));
	EXPECT_EQ(16 * PSZ, unmap_all(self->fd, self->ioas));
}

TEST_F(map, unmap_cut)
{
	__u64 a = BASE, b = BASE + 16 * PSZ, c = BASE + 32 * PSZ;
	__u64 len = 8 * PSZ, al = self->align;
	int afd = new_access(_metadata, self, self->ioas);

	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, BUF(0), len, a));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, BUF(len), len, b));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, BUF(2 * len), len, c));

	/* Whole A and B but the start of C */
	EXPECT_EQ(ENOENT, ioas_unmap(self->fd, self->ioas, a, c + 4 * PSZ - a,
				     NULL));
	/* The end of A and whole B and C */
	EXPECT_EQ(ENOENT, ioas_unmap(self->fd, self->ioas, a + 4 * PSZ,
				     c + len - a - 4 * PSZ, NULL));
	/* Inside B */
	EXPECT_EQ(ENOENT, ioas_unmap(self->fd, self->ioas, b + 2 * PSZ,
				     2 * PSZ, NULL));
	/* One alignment unit short at either end */
	EXPECT_EQ(ENOENT, ioas_unmap(self->fd, self->ioas, a, len - al, NULL));
	EXPECT_EQ(ENOENT, ioas_unmap(self->fd, self->ioas, a + al, len - al,
				     NULL));
	EXPECT_EQ(ENOENT, ioas_unmap(self->fd, self->ioas, a,
				     c + len - al - a, NULL));
	EXPECT_EQ(ENOENT, ioas_unmap(self->fd, self->ioas, a + al,
				     c + len - a - al, NULL));

	/* Nothing was removed, not even what lay fully inside */
	EXPECT_EQ(0, iova_has(self->fd, afd, a, BUF(0), len));
	EXPECT_EQ(0, iova_has(self->fd, afd, b, BUF(len), len));
	EXPECT_EQ(0, iova_has(self->fd, afd, c, BUF(2 * len), len));
	if (variant->mock) {
		EXPECT_EQ(0, check_map(self->fd, self->hwpt, a, BUF(0), len));
		EXPECT_EQ(0, check_map(self->fd, self->hwpt, b, BUF(len), len));
		EXPECT_EQ(0, check_map(self->fd, self->hwpt, c, BUF(2 * len),
				       len));
		EXPECT_EQ(0, check_refs(self->fd, BUF(0), 3 * len, 1));
	}
	EXPECT_EQ(EEXIST, ioas_map(self->fd, self->ioas, BUF(0), len, a));
	EXPECT_EQ(EEXIST, ioas_map(self->fd, self->ioas, BUF(0), len, b));
	EXPECT_EQ(EEXIST, ioas_map(self->fd, self->ioas, BUF(0), len, c));

	EXPECT_EQ(3 * len, unmap_len(self->fd, self->ioas, a, c + len - a));
}

TEST_F(map, unmap_nothing)
{
	EXPECT_EQ(ENOENT, ioas_unmap(self->fd, self->ioas, BASE, PSZ, NULL));
	EXPECT_EQ(ENOENT, ioas_unmap(self->fd, self->ioas, BASE, SZ_1G, NULL));

	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, BUF(0), 8 * PSZ,
			      BASE + 8 * PSZ));
	/* Just before, just after, in a hole */
	EXPECT_EQ(ENOENT, ioas_unmap(self->fd, self->ioas, BASE, 8 * PSZ,
				     NULL));
	EXPECT_EQ(ENOENT, ioas_unmap(self->fd, self->ioas, BASE + 16 * PSZ,
				     8 * PSZ, NULL));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, BUF(0), 8 * PSZ,
			      BASE + 32 * PSZ));
	EXPECT_EQ(ENOENT, ioas_unmap(self->fd, self->ioas, BASE + 16 * PSZ,
				     16 * PSZ, NULL));
	EXPECT_EQ(16 * PSZ, unmap_all(self->fd, self->ioas));
}

TEST_F(map, unmap_all)
{
	__u64 unmapped = 12345, iova = 0;

	/* Empty: success, nothing unmapped */
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas, 0, UINT64_MAX,
				&unmapped));
	EXPECT_EQ(0, unmapped);

	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, BUF(0), 4 * PSZ, BASE));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, BUF(0), 8 * PSZ,
			      BASE + SZ_1M));
	ASSERT_EQ(0, ioas_map_auto(self->fd, self->ioas, BUF(HUGE_SZ),
				   16 * PSZ, &iova));
	if (variant->mock)
		EXPECT_EQ(0, check_refs(self->fd, BUF(HUGE_SZ), 16 * PSZ, 1));

	unmapped = 0;
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas, 0, UINT64_MAX,
				&unmapped));
	EXPECT_EQ(28 * PSZ, unmapped);
	if (variant->mock) {
		EXPECT_EQ(EINVAL, check_map(self->fd, self->hwpt, iova,
					    BUF(HUGE_SZ), MOCK_PSZ));
		EXPECT_EQ(EINVAL, check_map(self->fd, self->hwpt, BASE,
					    BUF(0), MOCK_PSZ));
	}
	EXPECT_EQ(0, check_refs(self->fd, BUF(0), BUF_SZ, 0));
	EXPECT_EQ(ENOENT, ioas_unmap(self->fd, self->ioas, BASE, 4 * PSZ,
				     NULL));
	EXPECT_EQ(0, unmap_all(self->fd, self->ioas));
	/* Everything can be mapped again */
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, BUF(0), 4 * PSZ, BASE));
	EXPECT_EQ(4 * PSZ, unmap_all(self->fd, self->ioas));
}

TEST_F(map, unmap_bad_args)
{
	__u64 top = UINT64_MAX - PSZ + 1;

	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, BUF(0), 8 * PSZ, BASE));

	EXPECT_EQ(EINVAL, ioas_unmap(self->fd, self->ioas, BASE, 0, NULL));
	EXPECT_EQ(EINVAL, ioas_unmap(self->fd, self->ioas, 0, 0, NULL));
	EXPECT_EQ(EOVERFLOW, ioas_unmap(self->fd, self->ioas, UINT64_MAX, 1,
					NULL));
	EXPECT_EQ(EOVERFLOW, ioas_unmap(self->fd, self->ioas, UINT64_MAX,
					UINT64_MAX, NULL));
	EXPECT_EQ(EOVERFLOW, ioas_unmap(self->fd, self->ioas, 1, UINT64_MAX,
					NULL));
	EXPECT_EQ(EOVERFLOW, ioas_unmap(self->fd, self->ioas, BASE,
					UINT64_MAX, NULL));
	EXPECT_EQ(EOVERFLOW, ioas_unmap(self->fd, self->ioas, top, 2 * PSZ,
					NULL));
	EXPECT_EQ(EOVERFLOW, ioas_unmap(self->fd, self->ioas, BASE,
					UINT64_MAX - BASE + 2, NULL));
	EXPECT_EQ(ENOENT, ioas_unmap(self->fd, 0, BASE, 8 * PSZ, NULL));
	EXPECT_EQ(ENOENT, ioas_unmap(self->fd, self->ioas + 100, BASE,
				     8 * PSZ, NULL));
	EXPECT_EQ(ENOENT, ioas_unmap(self->fd, self->ioas + 100, 0,
				     UINT64_MAX, NULL));

	/* The mapping survived all of it */
	if (variant->mock)
		EXPECT_EQ(0, check_map(self->fd, self->hwpt, BASE, BUF(0),
				       8 * PSZ));
	EXPECT_EQ(8 * PSZ, unmap_len(self->fd, self->ioas, BASE, 8 * PSZ));
}

/* ------------------------------------------------------- automatic IOVA */

TEST_F(map, auto_iova_lengths)
{
	__u64 lens[24], iovas[24], total = 0;
	int n = 0, i, j;

	for (i = 1; i <= 16; i++)
		lens[n++] = i * PSZ;
	lens[n++] = 32 * PSZ;
	lens[n++] = 64 * PSZ + MOCK_PSZ;
	lens[n++] = 3 * MOCK_PSZ;
	lens[n++] = MOCK_PSZ;
	if (!variant->mock) {
		lens[n++] = 1;
		lens[n++] = 3;
		lens[n++] = 100;
		lens[n++] = PSZ + 8;
	}

	for (i = 0; i != n; i++) {
		iovas[i] = 0;
		ASSERT_EQ(0, ioas_map_auto(self->fd, self->ioas, BUF(0),
					   lens[i], &iovas[i]));
		EXPECT_NE(0, iovas[i]);
		EXPECT_EQ(0, iovas[i] % (1ULL << (ffsll(lens[i]) - 1)));
		EXPECT_LE(self->lo, iovas[i]);
		EXPECT_GE(self->hi, iovas[i] + lens[i] - 1);
		for (j = 0; j != i; j++)
			EXPECT_FALSE(ranges_intersect(iovas[i], lens[i],
						      iovas[j], lens[j]));
		if (variant->mock && lens[i] % MOCK_PSZ == 0)
			EXPECT_EQ(0, check_map(self->fd, self->hwpt, iovas[i],
					       BUF(0), lens[i]));
		total += lens[i];
	}
	for (i = 0; i != n; i += 2) {
		EXPECT_EQ(lens[i], unmap_len(self->fd, self->ioas, iovas[i],
					     lens[i]));
		total -= lens[i];
	}
	EXPECT_EQ(total, unmap_all(self->fd, self->ioas));
}

TEST_F(map, auto_iova_huge)
{
	__u64 small = 0, huge = 0, huge2 = 0, off = 0;
	void *thp;

	/* Something below, so the lowest hole is not aligned by chance */
	ASSERT_EQ(0, ioas_map_auto(self->fd, self->ioas, BUF(0), PSZ, &small));
	ASSERT_EQ(0, ioas_map_auto(self->fd, self->ioas, BUF(0), HUGE_SZ,
				   &huge));
	EXPECT_EQ(0, huge % HUGE_SZ);
	EXPECT_FALSE(ranges_intersect(small, PSZ, huge, HUGE_SZ));
	ASSERT_EQ(0, ioas_map_auto(self->fd, self->ioas, BUF(HUGE_SZ), HUGE_SZ,
				   &huge2));
	EXPECT_EQ(0, huge2 % HUGE_SZ);
	EXPECT_FALSE(ranges_intersect(huge, HUGE_SZ, huge2, HUGE_SZ));

	/* A page aligned address gets a page aligned IOVA */
	ASSERT_EQ(0, ioas_map_auto(self->fd, self->ioas, BUF(PSZ),
				   HUGE_SZ - PSZ, &off));
	EXPECT_EQ(0, off % PSZ);
	if (variant->mock) {
		EXPECT_EQ(0, check_map(self->fd, self->hwpt, huge, BUF(0),
				       HUGE_SZ));
		EXPECT_EQ(0, check_map(self->fd, self->hwpt, huge2,
				       BUF(HUGE_SZ), HUGE_SZ));
		EXPECT_EQ(0, check_map(self->fd, self->hwpt, off, BUF(PSZ),
				       HUGE_SZ - PSZ));
	}
	EXPECT_EQ(3 * HUGE_SZ, unmap_all(self->fd, self->ioas));

	/* Memory that may be one transparent huge page, mapped whole */
	thp = alloc_buffer(HUGE_SZ, HUGE_SZ, 0);
	ASSERT_NE(NULL, thp);
	fill_words(thp, HUGE_SZ, 7);
	huge = 0;
	ASSERT_EQ(0, ioas_map_auto(self->fd, self->ioas, thp, HUGE_SZ, &huge));
	EXPECT_EQ(0, huge % HUGE_SZ);
	if (variant->mock) {
		EXPECT_EQ(0, check_map(self->fd, self->hwpt, huge, thp,
				       HUGE_SZ));
		EXPECT_EQ(0, check_refs(self->fd, thp, HUGE_SZ, 1));
	} else {
		EXPECT_EQ(0, check_refs(self->fd, thp, HUGE_SZ, 0));
	}
	EXPECT_EQ(HUGE_SZ, unmap_all(self->fd, self->ioas));
	EXPECT_EQ(0, check_refs(self->fd, thp, HUGE_SZ, 0));
	munmap(thp, HUGE_SZ);
}

TEST_F(map, auto_iova_subpage)
{
	int afd = new_access(_metadata, self, self->ioas);
	__u64 iova;

	if (variant->mock) {
		iova = 0;
		ASSERT_EQ(0, ioas_map_auto(self->fd, self->ioas,
					   BUF(MOCK_PSZ), MOCK_PSZ, &iova));
		EXPECT_EQ(MOCK_PSZ, iova % PSZ);
		EXPECT_EQ(0, check_map(self->fd, self->hwpt, iova,
				       BUF(MOCK_PSZ), MOCK_PSZ));
		EXPECT_EQ(0, iova_has(self->fd, afd, iova, BUF(MOCK_PSZ),
				      MOCK_PSZ));
		/* Across a page boundary */
		iova = 0;
		ASSERT_EQ(0, ioas_map_auto(self->fd, self->ioas,
					   BUF(3 * MOCK_PSZ), 2 * MOCK_PSZ,
					   &iova));
		EXPECT_EQ(MOCK_PSZ, iova % PSZ);
		EXPECT_EQ(0, check_map(self->fd, self->hwpt, iova,
				       BUF(3 * MOCK_PSZ), 2 * MOCK_PSZ));
		/* An offset the domain cannot express */
		iova = 0;
		EXPECT_EQ(EINVAL, ioas_map_auto(self->fd, self->ioas, BUF(100),
						MOCK_PSZ, &iova));
		EXPECT_EQ(3 * MOCK_PSZ, unmap_all(self->fd, self->ioas));
	} else {
		static const unsigned long offs[] = { 100, 1, 2048, 4000 };
		__u64 lens[] = { 200, 1, 512, PSZ };
		__u64 iovas[4], total = 0;
		unsigned int i;

		for (i = 0; i != 4; i++) {
			unsigned long off = offs[i] % PSZ;

			iovas[i] = 0;
			ASSERT_EQ(0, ioas_map_auto(self->fd, self->ioas,
						   BUF(PSZ + off), lens[i],
						   &iovas[i]));
			EXPECT_EQ(off, iovas[i] % PSZ);
			EXPECT_NE(0, iovas[i]);
			EXPECT_EQ(0, iova_has(self->fd, afd, iovas[i],
					      BUF(PSZ + off), lens[i]));
			total += lens[i];
		}
		EXPECT_EQ(total, unmap_all(self->fd, self->ioas));
	}
}

TEST_F(map, auto_iova_avoids)
{
	__u64 r_last = SZ_1G - 1, iova = 0;

	/* Everything usable below 1 GiB is reserved */
	ASSERT_EQ(0, add_reserved(self->fd, self->ioas, self->lo,
				  SZ_1G - self->lo));
	ASSERT_EQ(0, ioas_map_auto(self->fd, self->ioas, BUF(0), 16 * PSZ,
				   &iova));
	EXPECT_LT(r_last, iova);
	EXPECT_GE(self->hi, iova + 16 * PSZ - 1);
	EXPECT_EQ(16 * PSZ, unmap_all(self->fd, self->ioas));

	/* Mappings at 1 GiB with a hole too small for 16 pages */
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, BUF(0), 64 * PSZ, SZ_1G));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, BUF(0), 8 * PSZ,
			      SZ_1G + 72 * PSZ));
	iova = 0;
	ASSERT_EQ(0, ioas_map_auto(self->fd, self->ioas, BUF(0), 16 * PSZ,
				   &iova));
	EXPECT_LE(SZ_1G + 80 * PSZ, iova);
	EXPECT_GE(self->hi, iova + 16 * PSZ - 1);
	EXPECT_EQ(0, iova % (16 * PSZ));
	/* The small hole is still usable for a small mapping */
	iova = 0;
	ASSERT_EQ(0, ioas_map_auto(self->fd, self->ioas, BUF(0), 8 * PSZ,
				   &iova));
	EXPECT_EQ(SZ_1G + 64 * PSZ, iova);
	if (variant->mock)
		EXPECT_EQ(0, check_map(self->fd, self->hwpt, iova, BUF(0),
				       8 * PSZ));
	EXPECT_EQ(96 * PSZ, unmap_all(self->fd, self->ioas));

	/* The rest of the window reserved too: no room at all */
	ASSERT_EQ(0, add_reserved(self->fd, self->ioas, SZ_1G,
				  self->hi - SZ_1G + 1));
	iova = 0;
	EXPECT_EQ(ENOSPC, ioas_map_auto(self->fd, self->ioas, BUF(0), PSZ,
					&iova));
	EXPECT_EQ(0, unmap_all(self->fd, self->ioas));
}

TEST_F(map, auto_iova_allowed)
{
	struct iommu_iova_range allow[2] = {
		/* Unsorted on purpose */
		{ .start = BASE + 4 * SZ_1M,
		  .last = BASE + 4 * SZ_1M + 64 * PSZ - 1 },
		{ .start = BASE + SZ_1M, .last = BASE + SZ_1M + 64 * PSZ - 1 },
	};
	__u64 iovas[8], iova;
	int i, j, in_first = 0;

	ASSERT_EQ(0, ioas_allow(self->fd, self->ioas, allow, 2));
	/* Eight mappings of 16 pages fill both ranges exactly */
	for (i = 0; i != 8; i++) {
		bool in0, in1;

		iovas[i] = 0;
		ASSERT_EQ(0, ioas_map_auto(self->fd, self->ioas, BUF(0),
					   16 * PSZ, &iovas[i]));
		in0 = iovas[i] >= allow[0].start &&
		      iovas[i] + 16 * PSZ - 1 <= allow[0].last;
		in1 = iovas[i] >= allow[1].start &&
		      iovas[i] + 16 * PSZ - 1 <= allow[1].last;
		EXPECT_TRUE(in0 || in1);
		in_first += in1;
		for (j = 0; j != i; j++)
			EXPECT_FALSE(ranges_intersect(iovas[i], 16 * PSZ,
						      iovas[j], 16 * PSZ));
	}
	EXPECT_EQ(4, in_first);
	iova = 0;
	EXPECT_EQ(ENOSPC, ioas_map_auto(self->fd, self->ioas, BUF(0), 16 * PSZ,
					&iova));
	iova = 0;
	EXPECT_EQ(ENOSPC, ioas_map_auto(self->fd, self->ioas, BUF(0), PSZ,
					&iova));
	/* Fixed IOVAs are not limited by the allowed ranges */
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, BUF(0), 16 * PSZ,
			      BASE + 8 * SZ_1M));

	/* An empty list allows everything again */
	ASSERT_EQ(0, ioas_allow(self->fd, self->ioas, NULL, 0));
	iova = 0;
	ASSERT_EQ(0, ioas_map_auto(self->fd, self->ioas, BUF(0), 16 * PSZ,
				   &iova));
	for (i = 0; i != 8; i++)
		EXPECT_FALSE(ranges_intersect(iova, 16 * PSZ, iovas[i],
					      16 * PSZ));
	EXPECT_EQ(10 * 16 * PSZ, unmap_all(self->fd, self->ioas));

	/* A single range too small for the mapping */
	allow[0].start = BASE + 8 * SZ_1M;
	allow[0].last = BASE + 8 * SZ_1M + 4 * PSZ - 1;
	ASSERT_EQ(0, ioas_allow(self->fd, self->ioas, allow, 1));
	iova = 0;
	EXPECT_EQ(ENOSPC, ioas_map_auto(self->fd, self->ioas, BUF(0), 8 * PSZ,
					&iova));
	iova = 0;
	ASSERT_EQ(0, ioas_map_auto(self->fd, self->ioas, BUF(0), 4 * PSZ,
				   &iova));
	EXPECT_EQ(allow[0].start, iova);
	EXPECT_EQ(4 * PSZ, unmap_all(self->fd, self->ioas));
}

/* ----------------------------------------------------------- IOVA_RANGES */

TEST_F(map, ranges_default)
{
	__u32 fresh;

	expect_one_range(_metadata, self->fd, self->ioas, self->lo, self->hi,
			 self->align);
	/* A new IOAS has no domain in either variant */
	ASSERT_EQ(0, ioas_alloc(self->fd, &fresh));
	expect_one_range(_metadata, self->fd, fresh, 0, UINT64_MAX, 1);
	/* Mappings do not change the ranges */
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, BUF(0), 8 * PSZ, BASE));
	expect_one_range(_metadata, self->fd, self->ioas, self->lo, self->hi,
			 self->align);
	EXPECT_EQ(8 * PSZ, unmap_all(self->fd, self->ioas));
}

TEST_F(map, ranges_emsgsize)
{
	__u64 r = self->lo + PSZ;
	struct iommu_iova_range ranges[3];
	__u64 align;
	__u32 num;

	/* Capacity 0: the count comes back */
	num = 0;
	EXPECT_EQ(EMSGSIZE, ioas_ranges(self->fd, self->ioas, NULL, &num,
					NULL));
	EXPECT_EQ(1, num);

	ASSERT_EQ(0, add_reserved(self->fd, self->ioas, r, PSZ));

	num = 0;
	EXPECT_EQ(EMSGSIZE, ioas_ranges(self->fd, self->ioas, NULL, &num,
					NULL));
	EXPECT_EQ(2, num);
	/* Capacity 0 with a pointer nobody may write: nothing is written */
	num = 0;
	EXPECT_EQ(EMSGSIZE, ioas_ranges(self->fd, self->ioas,
					(void *)(uintptr_t)8, &num, NULL));
	EXPECT_EQ(2, num);

	/* Capacity 1: the first range is written, the count is 2 */
	memset(ranges, 0xa5, sizeof(ranges));
	num = 1;
	EXPECT_EQ(EMSGSIZE, ioas_ranges(self->fd, self->ioas, ranges, &num,
					NULL));
	EXPECT_EQ(2, num);
	EXPECT_EQ(self->lo, ranges[0].start);
	EXPECT_EQ(r - 1, ranges[0].last);
	EXPECT_EQ(0xa5a5a5a5a5a5a5a5ULL, ranges[1].start);
	EXPECT_EQ(0xa5a5a5a5a5a5a5a5ULL, ranges[1].last);

	/* Enough room */
	memset(ranges, 0xa5, sizeof(ranges));
	num = 3;
	align = 0;
	ASSERT_EQ(0, ioas_ranges(self->fd, self->ioas, ranges, &num, &align));
	ASSERT_EQ(2, num);
	EXPECT_EQ(self->lo, ranges[0].start);
	EXPECT_EQ(r - 1, ranges[0].last);
	EXPECT_EQ(r + PSZ, ranges[1].start);
	EXPECT_EQ(self->hi, ranges[1].last);
	EXPECT_EQ(0xa5a5a5a5a5a5a5a5ULL, ranges[2].start);
	EXPECT_EQ(self->align, align);
	if (!variant->mock) {
		/* [0, PAGE_SIZE - 1] and [2 * PAGE_SIZE, UINT64_MAX] */
		EXPECT_EQ(0, ranges[0].start);
		EXPECT_EQ(PSZ - 1, ranges[0].last);
		EXPECT_EQ(2 * PSZ, ranges[1].start);
		EXPECT_EQ(UINT64_MAX, ranges[1].last);
	}
}

TEST_F(map, ranges_errors)
{
	struct iommu_iova_range range;
	struct iommu_ioas_iova_ranges cmd = {
		.size = sizeof(cmd),
		.ioas_id = self->ioas,
		.num_iovas = 1,
		.__reserved = 1,
		.allowed_iovas = (uintptr_t)&range,
	};
	__u32 num, gone;

	EXPECT_EQ(EOPNOTSUPP, xioctl(self->fd, IOMMU_IOAS_IOVA_RANGES, &cmd));
	cmd.__reserved = 1U << 31;
	EXPECT_EQ(EOPNOTSUPP, xioctl(self->fd, IOMMU_IOAS_IOVA_RANGES, &cmd));

	num = 1;
	EXPECT_EQ(EFAULT, ioas_ranges(self->fd, self->ioas,
				      (void *)(uintptr_t)8, &num, NULL));
	num = 4;
	EXPECT_EQ(EFAULT, ioas_ranges(self->fd, self->ioas,
				      (void *)(uintptr_t)KERNEL_VA1, &num,
				      NULL));

	ASSERT_EQ(0, ioas_alloc(self->fd, &gone));
	ASSERT_EQ(0, destroy_obj(self->fd, gone));
	num = 1;
	EXPECT_EQ(ENOENT, ioas_ranges(self->fd, 0, &range, &num, NULL));
	num = 1;
	EXPECT_EQ(ENOENT, ioas_ranges(self->fd, gone, &range, &num, NULL));
	if (variant->mock) {
		num = 1;
		EXPECT_EQ(ENOENT, ioas_ranges(self->fd, self->hwpt, &range,
					      &num, NULL));
	}
	/* Still works */
	expect_one_range(_metadata, self->fd, self->ioas, self->lo, self->hi,
			 self->align);
}

TEST_F(map, ranges_follow_domain)
{
	__u64 aperture_last = MOCK_APERTURE_LAST;
	__u32 stdev, stdev2;

	if (!variant->mock) {
		/* A mapping outside the aperture keeps a domain out */
		ASSERT_EQ(0, ioas_map(self->fd, self->ioas, BUF(0), PSZ, 0));
		EXPECT_EQ(EADDRINUSE, mock_domain(self->fd, self->ioas, NULL,
						  NULL, NULL));
		EXPECT_EQ(PSZ, unmap_all(self->fd, self->ioas));
		/* So does one the domain's page size cannot map */
		ASSERT_EQ(0, ioas_map(self->fd, self->ioas, BUF(0), 3,
				      BASE + 1));
		EXPECT_EQ(EADDRINUSE, mock_domain(self->fd, self->ioas, NULL,
						  NULL, NULL));
		EXPECT_EQ(3, unmap_all(self->fd, self->ioas));
		expect_one_range(_metadata, self->fd, self->ioas, 0,
				 UINT64_MAX, 1);
	}

	ASSERT_EQ(0, mock_domain(self->fd, self->ioas, &stdev, NULL, NULL));
	expect_one_range(_metadata, self->fd, self->ioas, MOCK_APERTURE_START,
			 aperture_last, MOCK_PSZ);
	ASSERT_EQ(0, mock_domain(self->fd, self->ioas, &stdev2, NULL, NULL));
	expect_one_range(_metadata, self->fd, self->ioas, MOCK_APERTURE_START,
			 aperture_last, MOCK_PSZ);
	if (variant->mock) {
		ASSERT_EQ(0, destroy_obj(self->fd, self->stdev));
		self->stdev = 0;
		expect_one_range(_metadata, self->fd, self->ioas,
				 MOCK_APERTURE_START, aperture_last, MOCK_PSZ);
	}
	ASSERT_EQ(0, destroy_obj(self->fd, stdev));
	expect_one_range(_metadata, self->fd, self->ioas, MOCK_APERTURE_START,
			 aperture_last, MOCK_PSZ);
	/* The last device goes: the whole space, byte alignment */
	ASSERT_EQ(0, destroy_obj(self->fd, stdev2));
	expect_one_range(_metadata, self->fd, self->ioas, 0, UINT64_MAX, 1);

	/* And IOVA 0 and the mock's MSI window are usable again */
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, BUF(0), 3, 0));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, BUF(0), PSZ,
			      MOCK_MSI_START));
	EXPECT_EQ(3 + PSZ, unmap_all(self->fd, self->ioas));
}

/* ---------------------------------------------------------- ALLOW_IOVAS */

TEST_F(map, allow_errors)
{
	struct iommu_iova_range r[2];
	struct iommu_ioas_allow_iovas cmd = {
		.size = sizeof(cmd),
		.ioas_id = self->ioas,
		.num_iovas = 1,
		.__reserved = 1,
		.allowed_iovas = (uintptr_t)r,
	};
	__u64 iova;

	/* One byte, and start above last */
	r[0].start = BASE + PSZ;
	r[0].last = BASE + PSZ;
	EXPECT_EQ(EINVAL, ioas_allow(self->fd, self->ioas, r, 1));
	r[0].last = BASE;
	EXPECT_EQ(EINVAL, ioas_allow(self->fd, self->ioas, r, 1));

	/* Overlapping by one byte, nested, identical */
	r[0].start = BASE;
	r[0].last = BASE + 4 * PSZ - 1;
	r[1].start = BASE + 4 * PSZ - 1;
	r[1].last = BASE + 8 * PSZ - 1;
	EXPECT_EQ(EINVAL, ioas_allow(self->fd, self->ioas, r, 2));
	r[1].start = BASE + PSZ;
	r[1].last = BASE + 2 * PSZ - 1;
	EXPECT_EQ(EINVAL, ioas_allow(self->fd, self->ioas, r, 2));
	r[1] = r[0];
	EXPECT_EQ(EINVAL, ioas_allow(self->fd, self->ioas, r, 2));

	/* None of those took effect, or 16 pages would not fit */
	iova = 0;
	ASSERT_EQ(0, ioas_map_auto(self->fd, self->ioas, BUF(0), 16 * PSZ,
				   &iova));
	EXPECT_EQ(16 * PSZ, unmap_all(self->fd, self->ioas));

	/* Two bytes, and adjacent ranges, are fine */
	r[0].start = BASE;
	r[0].last = BASE + 1;
	EXPECT_EQ(0, ioas_allow(self->fd, self->ioas, r, 1));
	r[0].last = BASE + 4 * PSZ - 1;
	r[1].start = BASE + 4 * PSZ;
	r[1].last = BASE + 8 * PSZ - 1;
	EXPECT_EQ(0, ioas_allow(self->fd, self->ioas, r, 2));

	EXPECT_EQ(EOPNOTSUPP, xioctl(self->fd, IOMMU_IOAS_ALLOW_IOVAS, &cmd));
	cmd.__reserved = 1U << 31;
	EXPECT_EQ(EOPNOTSUPP, xioctl(self->fd, IOMMU_IOAS_ALLOW_IOVAS, &cmd));
	EXPECT_EQ(EFAULT, ioas_allow(self->fd, self->ioas,
				     (void *)(uintptr_t)8, 1));
	EXPECT_EQ(EFAULT, ioas_allow(self->fd, self->ioas,
				     (void *)(uintptr_t)KERNEL_VA1, 2));
	EXPECT_EQ(ENOENT, ioas_allow(self->fd, 0, r, 2));
	EXPECT_EQ(ENOENT, ioas_allow(self->fd, self->ioas + 100, r, 2));
	if (variant->mock)
		EXPECT_EQ(ENOENT, ioas_allow(self->fd, self->hwpt, r, 2));

	/* Clearing with no array at all */
	EXPECT_EQ(0, ioas_allow(self->fd, self->ioas, NULL, 0));
	EXPECT_EQ(0, ioas_allow(self->fd, self->ioas, (void *)(uintptr_t)8,
				0));
}

TEST_F(map, allow_reserved)
{
	__u64 l1 = BASE + SZ_1M, res = BASE + 4 * SZ_1M;
	struct iommu_iova_range r[2] = {
		{ .start = l1, .last = l1 + 64 * PSZ - 1 },
	};
	__u64 iova;

	ASSERT_EQ(0, ioas_allow(self->fd, self->ioas, r, 1));
	ASSERT_EQ(0, add_reserved(self->fd, self->ioas, res, 4 * PSZ));

	/* New lists that hit the reservation are refused */
	r[0].start = res + 2 * PSZ;
	r[0].last = res + 64 * PSZ;
	EXPECT_EQ(EADDRINUSE, ioas_allow(self->fd, self->ioas, r, 1));
	r[0].start = res - 64 * PSZ;
	r[0].last = res;
	EXPECT_EQ(EADDRINUSE, ioas_allow(self->fd, self->ioas, r, 1));
	r[0].start = BASE + 8 * SZ_1M;
	r[0].last = BASE + 9 * SZ_1M - 1;
	r[1].start = res + 3 * PSZ;
	r[1].last = res + 5 * PSZ;
	EXPECT_EQ(EADDRINUSE, ioas_allow(self->fd, self->ioas, r, 2));
	if (variant->mock) {
		/* The domain reserves everything outside its aperture */
		r[0].start = 16 * PSZ;
		r[0].last = SZ_1M - 1;
		EXPECT_EQ(EADDRINUSE, ioas_allow(self->fd, self->ioas, r, 1));
		r[0].start = (__u64)MOCK_APERTURE_LAST - PSZ;
		r[0].last = (__u64)MOCK_APERTURE_LAST + PSZ;
		EXPECT_EQ(EADDRINUSE, ioas_allow(self->fd, self->ioas, r, 1));
	}

	/* The old list stays in force */
	iova = 0;
	ASSERT_EQ(0, ioas_map_auto(self->fd, self->ioas, BUF(0), 16 * PSZ,
				   &iova));
	EXPECT_LE(l1, iova);
	EXPECT_GE(l1 + 64 * PSZ - 1, iova + 16 * PSZ - 1);

	/* Reservations may not intersect an allowed range */
	EXPECT_EQ(EADDRINUSE, add_reserved(self->fd, self->ioas,
					   l1 + 60 * PSZ, 8 * PSZ));
	EXPECT_EQ(EADDRINUSE, add_reserved(self->fd, self->ioas, l1 - PSZ,
					   PSZ + 1));
	EXPECT_EQ(0, add_reserved(self->fd, self->ioas, l1 + 64 * PSZ, PSZ));
	EXPECT_EQ(0, add_reserved(self->fd, self->ioas, l1 - PSZ, PSZ));

	/* Once the list is cleared, they may */
	ASSERT_EQ(0, ioas_allow(self->fd, self->ioas, NULL, 0));
	EXPECT_EQ(0, add_reserved(self->fd, self->ioas, l1 + 60 * PSZ,
				  4 * PSZ));
	EXPECT_EQ(16 * PSZ, unmap_all(self->fd, self->ioas));
}

TEST_F(map, allow_attach)
{
	struct iommu_iova_range r = {
		.start = 16 * PSZ, .last = SZ_1M - 1,
	};
	__u32 ioas2, hwpt2;

	if (variant->mock) {
		/* Already reserved by the aperture of the domain */
		EXPECT_EQ(EADDRINUSE, ioas_allow(self->fd, self->ioas, &r, 1));
		r.start = BASE - SZ_1M;
		r.last = BASE + SZ_1M;
		EXPECT_EQ(EADDRINUSE, ioas_allow(self->fd, self->ioas, &r, 1));
	}

	/* An allowed range below 16 MiB keeps a mock domain out */
	ASSERT_EQ(0, ioas_alloc(self->fd, &ioas2));
	r.start = 16 * PSZ;
	r.last = SZ_1M - 1;
	ASSERT_EQ(0, ioas_allow(self->fd, ioas2, &r, 1));
	EXPECT_EQ(EADDRINUSE, mock_domain(self->fd, ioas2, NULL, NULL, NULL));
	r.start = BASE - SZ_1M;
	r.last = BASE + SZ_1M;
	ASSERT_EQ(0, ioas_allow(self->fd, ioas2, &r, 1));
	EXPECT_EQ(EADDRINUSE, mock_domain(self->fd, ioas2, NULL, NULL, NULL));
	/* Nothing of the failed attaches stayed behind */
	expect_one_range(_metadata, self->fd, ioas2, 0, UINT64_MAX, 1);

	/* Inside the aperture it is fine */
	r.start = BASE;
	r.last = BASE + SZ_1M;
	ASSERT_EQ(0, ioas_allow(self->fd, ioas2, &r, 1));
	ASSERT_EQ(0, mock_domain(self->fd, ioas2, NULL, &hwpt2, NULL));
	expect_one_range(_metadata, self->fd, ioas2, MOCK_APERTURE_START,
			 MOCK_APERTURE_LAST, MOCK_PSZ);
	/* And the new domain mirrors what is mapped there */
	ASSERT_EQ(0, ioas_map(self->fd, ioas2, BUF(0), 4 * PSZ, BASE));
	EXPECT_EQ(0, check_map(self->fd, hwpt2, BASE, BUF(0), 4 * PSZ));
	EXPECT_EQ(4 * PSZ, unmap_all(self->fd, ioas2));

	/* A cleared list lets the domain in too */
	if (!variant->mock) {
		r.start = 16 * PSZ;
		r.last = SZ_1M - 1;
		ASSERT_EQ(0, ioas_allow(self->fd, self->ioas, &r, 1));
		EXPECT_EQ(EADDRINUSE, mock_domain(self->fd, self->ioas, NULL,
						  NULL, NULL));
		ASSERT_EQ(0, ioas_allow(self->fd, self->ioas, NULL, 0));
		ASSERT_EQ(0, mock_domain(self->fd, self->ioas, NULL, NULL,
					 NULL));
		expect_one_range(_metadata, self->fd, self->ioas,
				 MOCK_APERTURE_START, MOCK_APERTURE_LAST,
				 MOCK_PSZ);
	}
}

/* ----------------------------------------------------------------- COPY */

TEST_F(map, copy_basic)
{
	__u64 len = 32 * PSZ, dst = BASE + 64 * PSZ, dst2 = 0;
	int afd, afd2;
	char data[64];

	make_ioas2(_metadata, self, variant->mock);
	afd = new_access(_metadata, self, self->ioas);
	afd2 = new_access(_metadata, self, self->ioas2);

	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, BUF(0), len, BASE));
	ASSERT_EQ(0, ioas_copy(self->fd, self->ioas2, self->ioas, BASE, len,
			       &dst, MAP_FIXED_RW));
	EXPECT_EQ(BASE + 64 * PSZ, dst);
	/* Automatic destination IOVA */
	ASSERT_EQ(0, ioas_copy(self->fd, self->ioas2, self->ioas, BASE, len,
			       &dst2, MAP_RW));
	EXPECT_NE(0, dst2);
	EXPECT_FALSE(ranges_intersect(dst, len, dst2, len));
	EXPECT_LE(self->lo, dst2);
	EXPECT_GE(self->hi, dst2 + len - 1);

	EXPECT_EQ(0, iova_has(self->fd, afd, BASE, BUF(0), len));
	EXPECT_EQ(0, iova_has(self->fd, afd2, dst, BUF(0), len));
	EXPECT_EQ(0, iova_has(self->fd, afd2, dst2, BUF(0), len));

	/* The same memory: a write through the copy shows everywhere */
	memset(data, 0x5c, sizeof(data));
	ASSERT_EQ(0, access_rw(self->fd, afd2, dst + 3 * PSZ + 10, data,
			       sizeof(data), MOCK_ACCESS_RW_WRITE));
	EXPECT_EQ(0, memcmp(BUF(3 * PSZ + 10), data, sizeof(data)));
	EXPECT_EQ(0, iova_has(self->fd, afd, BASE + 3 * PSZ + 10, data,
			      sizeof(data)));
	EXPECT_EQ(0, iova_has(self->fd, afd2, dst2 + 3 * PSZ + 10, data,
			      sizeof(data)));

	if (variant->mock) {
		EXPECT_EQ(0, check_map(self->fd, self->hwpt2, dst, BUF(0), len));
		EXPECT_EQ(0, check_map(self->fd, self->hwpt2, dst2, BUF(0),
				       len));
		EXPECT_EQ(0, check_refs(self->fd, BUF(0), len, 1));
	} else {
		EXPECT_EQ(0, check_refs(self->fd, BUF(0), len, 0));
	}

	/* The copies outlive the source mapping */
	EXPECT_EQ(len, unmap_len(self->fd, self->ioas, BASE, len));
	EXPECT_EQ(0, iova_has(self->fd, afd2, dst, BUF(0), len));
	if (variant->mock)
		EXPECT_EQ(0, check_map(self->fd, self->hwpt2, dst, BUF(0), len));
	EXPECT_EQ(len, unmap_len(self->fd, self->ioas2, dst, len));
	EXPECT_EQ(len, unmap_len(self->fd, self->ioas2, dst2, len));
	EXPECT_EQ(0, check_refs(self->fd, BUF(0), len, 0));
}

TEST_F(map, copy_sweep)
{
	__u64 src_len = 8 * PSZ, step = variant->mock ? MOCK_PSZ : 511;
	__u64 off, n = 0;
	int afd2;

	make_ioas2(_metadata, self, variant->mock);
	afd2 = new_access(_metadata, self, self->ioas2);
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, BUF(0), src_len, BASE));

	for (off = 0; off + MOCK_PSZ <= src_len; off += step, n++) {
		__u64 dst = BASE + 64 * PSZ + off;
		__u32 flags = MAP_FIXED_RW;

		/* Every other copy picks its own IOVA */
		if (n & 1) {
			flags = MAP_RW;
			dst = 0;
		}
		ASSERT_EQ(0, ioas_copy(self->fd, self->ioas2, self->ioas,
				       BASE + off, MOCK_PSZ, &dst, flags));
		if (n & 1) {
			EXPECT_NE(0, dst);
			/* Keeps the offset inside the page */
			EXPECT_EQ(off % PSZ, dst % PSZ);
		} else {
			EXPECT_EQ(BASE + 64 * PSZ + off, dst);
		}
		EXPECT_EQ(0, iova_has(self->fd, afd2, dst, BUF(off), MOCK_PSZ));
		if (variant->mock)
			EXPECT_EQ(0, check_map(self->fd, self->hwpt2, dst,
					       BUF(off), MOCK_PSZ));
		ASSERT_EQ(MOCK_PSZ, unmap_len(self->fd, self->ioas2, dst,
					      MOCK_PSZ));
	}
	EXPECT_LE(15, n);
	EXPECT_EQ(0, unmap_all(self->fd, self->ioas2));
	if (variant->mock)
		EXPECT_EQ(0, check_refs(self->fd, BUF(0), src_len, 1));
	EXPECT_EQ(src_len, unmap_all(self->fd, self->ioas));
}

TEST_F(map, copy_span)
{
	__u64 dst = BASE + 32 * PSZ, dst2 = 0;
	int afd2;

	make_ioas2(_metadata, self, variant->mock);
	afd2 = new_access(_metadata, self, self->ioas2);
	/* Two adjacent mappings of unrelated memory */
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, BUF(0), 4 * PSZ, BASE));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, BUF(64 * PSZ), 4 * PSZ,
			      BASE + 4 * PSZ));

	/* The end of one and the start of the other */
	ASSERT_EQ(0, ioas_copy(self->fd, self->ioas2, self->ioas,
			       BASE + 2 * PSZ, 4 * PSZ, &dst, MAP_FIXED_RW));
	EXPECT_EQ(0, iova_has(self->fd, afd2, dst, BUF(2 * PSZ), 2 * PSZ));
	EXPECT_EQ(0, iova_has(self->fd, afd2, dst + 2 * PSZ, BUF(64 * PSZ),
			      2 * PSZ));
	/* Both whole */
	ASSERT_EQ(0, ioas_copy(self->fd, self->ioas2, self->ioas, BASE,
			       8 * PSZ, &dst2, MAP_RW));
	EXPECT_EQ(0, iova_has(self->fd, afd2, dst2, BUF(0), 4 * PSZ));
	EXPECT_EQ(0, iova_has(self->fd, afd2, dst2 + 4 * PSZ, BUF(64 * PSZ),
			      4 * PSZ));
	if (variant->mock) {
		EXPECT_EQ(0, check_map(self->fd, self->hwpt2, dst, BUF(2 * PSZ),
				       2 * PSZ));
		EXPECT_EQ(0, check_map(self->fd, self->hwpt2, dst + 2 * PSZ,
				       BUF(64 * PSZ), 2 * PSZ));
		EXPECT_EQ(0, check_map(self->fd, self->hwpt2, dst2, BUF(0),
				       4 * PSZ));
		EXPECT_EQ(0, check_refs(self->fd, BUF(0), 4 * PSZ, 1));
		EXPECT_EQ(0, check_refs(self->fd, BUF(64 * PSZ), 4 * PSZ, 1));
	}
	/* The copy is unmapped with the range it was made with */
	EXPECT_EQ(4 * PSZ, unmap_len(self->fd, self->ioas2, dst, 4 * PSZ));
	EXPECT_EQ(8 * PSZ, unmap_len(self->fd, self->ioas2, dst2, 8 * PSZ));
	EXPECT_EQ(8 * PSZ, unmap_all(self->fd, self->ioas));
}

TEST_F(map, copy_hole)
{
	__u64 dst;

	make_ioas2(_metadata, self, variant->mock);
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, BUF(0), 4 * PSZ, BASE));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, BUF(8 * PSZ), 4 * PSZ,
			      BASE + 8 * PSZ));

	/* Across the hole, inside it, starting or ending in it, past the end */
	dst = BASE;
	EXPECT_EQ(ENOENT, ioas_copy(self->fd, self->ioas2, self->ioas,
				    BASE + 2 * PSZ, 8 * PSZ, &dst,
				    MAP_FIXED_RW));
	EXPECT_EQ(ENOENT, ioas_copy(self->fd, self->ioas2, self->ioas,
				    BASE + 4 * PSZ, 2 * PSZ, &dst,
				    MAP_FIXED_RW));
	EXPECT_EQ(ENOENT, ioas_copy(self->fd, self->ioas2, self->ioas,
				    BASE + 6 * PSZ, 4 * PSZ, &dst,
				    MAP_FIXED_RW));
	EXPECT_EQ(ENOENT, ioas_copy(self->fd, self->ioas2, self->ioas,
				    BASE + 2 * PSZ, 4 * PSZ, &dst,
				    MAP_FIXED_RW));
	EXPECT_EQ(ENOENT, ioas_copy(self->fd, self->ioas2, self->ioas,
				    BASE + 10 * PSZ, 4 * PSZ, &dst,
				    MAP_FIXED_RW));
	EXPECT_EQ(ENOENT, ioas_copy(self->fd, self->ioas2, self->ioas,
				    BASE - 4 * PSZ, 4 * PSZ, &dst,
				    MAP_FIXED_RW));
	dst = 0;
	EXPECT_EQ(ENOENT, ioas_copy(self->fd, self->ioas2, self->ioas,
				    BASE + 2 * PSZ, 8 * PSZ, &dst, MAP_RW));
	/* Nothing of that was mapped */
	EXPECT_EQ(0, unmap_all(self->fd, self->ioas2));

	/* Each side alone is fine */
	dst = BASE;
	EXPECT_EQ(0, ioas_copy(self->fd, self->ioas2, self->ioas,
			       BASE + 8 * PSZ, 4 * PSZ, &dst, MAP_FIXED_RW));
	EXPECT_EQ(4 * PSZ, unmap_all(self->fd, self->ioas2));
	EXPECT_EQ(8 * PSZ, unmap_all(self->fd, self->ioas));
}

/*
 * A COPY whose source areas meet inside a page (an IOAS without domains, or
 * with the mock's half pages, allows that) puts its pieces back to back.
 * Where the destination needs whole pages, that is EINVAL and nothing is
 * mapped, not a mapping no domain could hold.
 */
TEST_F(map, copy_subpage_pieces)
{
	__u64 half = PSZ / 2, dst = 0, fixed = BASE + 64 * PSZ;
	int pin_fd;

	/* [BASE, +1.5 pages) and [+1.5 pages, +2 pages) */
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, BUF(0), 3 * half, BASE));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, BUF(8 * PSZ), half,
			      BASE + 3 * half));

	/* Where half pages are fine, so is the copy */
	make_ioas2(_metadata, self, variant->mock);
	ASSERT_EQ(0, ioas_copy(self->fd, self->ioas2, self->ioas, BASE,
			       2 * PSZ, &dst, MAP_RW));
	/* and then a pinning access, which needs whole pages, cannot come */
	EXPECT_EQ(EADDRINUSE,
		  create_access(self->fd, self->ioas2,
				MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
				&pin_fd));
	EXPECT_EQ(2 * PSZ, unmap_all(self->fd, self->ioas2));

	/* With the access first, the copy is refused, placed or fixed */
	ASSERT_EQ(0, create_access(self->fd, self->ioas2,
				   MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
				   &pin_fd));
	dst = 0;
	EXPECT_EQ(EINVAL, ioas_copy(self->fd, self->ioas2, self->ioas, BASE,
				    2 * PSZ, &dst, MAP_RW));
	EXPECT_EQ(EINVAL, ioas_copy(self->fd, self->ioas2, self->ioas, BASE,
				    2 * PSZ, &fixed, MAP_FIXED_RW));
	EXPECT_EQ(0, unmap_all(self->fd, self->ioas2));
	/* A whole page of the first area alone still copies */
	EXPECT_EQ(0, ioas_copy(self->fd, self->ioas2, self->ioas, BASE, PSZ,
			       &fixed, MAP_FIXED_RW));
	EXPECT_EQ(PSZ, unmap_all(self->fd, self->ioas2));
	close(pin_fd);
	EXPECT_EQ(2 * PSZ, unmap_all(self->fd, self->ioas));
}

TEST_F(map, copy_readonly)
{
	__u32 ro = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE;
	__u64 dst = BASE, iova = BASE;
	char data[16];
	int afd2;

	make_ioas2(_metadata, self, variant->mock);
	afd2 = new_access(_metadata, self, self->ioas2);
	ASSERT_EQ(0, ioas_map_flags(self->fd, self->ioas, BUF(0), 8 * PSZ,
				    &iova, ro));

	EXPECT_EQ(EPERM, ioas_copy(self->fd, self->ioas2, self->ioas, BASE,
				   8 * PSZ, &dst, MAP_FIXED_RW));
	EXPECT_EQ(EPERM, ioas_copy(self->fd, self->ioas2, self->ioas, BASE,
				   8 * PSZ, &dst, IOMMU_IOAS_MAP_FIXED_IOVA |
				   IOMMU_IOAS_MAP_WRITEABLE));
	dst = 0;
	EXPECT_EQ(EPERM, ioas_copy(self->fd, self->ioas2, self->ioas,
				   BASE + PSZ, PSZ, &dst,
				   IOMMU_IOAS_MAP_WRITEABLE));
	EXPECT_EQ(0, unmap_all(self->fd, self->ioas2));

	dst = BASE;
	ASSERT_EQ(0, ioas_copy(self->fd, self->ioas2, self->ioas, BASE,
			       8 * PSZ, &dst, ro));
	EXPECT_EQ(0, iova_has(self->fd, afd2, BASE, BUF(0), 8 * PSZ));
	/* The read-only copy cannot be written through */
	memset(data, 0x77, sizeof(data));
	EXPECT_EQ(EPERM, access_rw(self->fd, afd2, BASE, data, sizeof(data),
				   MOCK_ACCESS_RW_WRITE));
	EXPECT_NE(0, memcmp(BUF(0), data, sizeof(data)));
	if (variant->mock)
		EXPECT_EQ(0, check_map(self->fd, self->hwpt2, BASE, BUF(0),
				       8 * PSZ));
	EXPECT_EQ(8 * PSZ, unmap_all(self->fd, self->ioas2));

	/* A writable mapping may be copied read-only */
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, BUF(0), 8 * PSZ,
			      BASE + 16 * PSZ));
	dst = BASE;
	EXPECT_EQ(0, ioas_copy(self->fd, self->ioas2, self->ioas,
			       BASE + 16 * PSZ, 8 * PSZ, &dst, ro));
	EXPECT_EQ(8 * PSZ, unmap_all(self->fd, self->ioas2));
	EXPECT_EQ(16 * PSZ, unmap_all(self->fd, self->ioas));
}

TEST_F(map, copy_same_ioas)
{
	__u64 dst = BASE + 32 * PSZ, dst2 = 0;
	int afd = new_access(_metadata, self, self->ioas);

	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, BUF(0), 8 * PSZ, BASE));
	ASSERT_EQ(0, ioas_copy(self->fd, self->ioas, self->ioas, BASE, 8 * PSZ,
			       &dst, MAP_FIXED_RW));
	ASSERT_EQ(0, ioas_copy(self->fd, self->ioas, self->ioas, BASE + PSZ,
			       2 * PSZ, &dst2, MAP_RW));
	EXPECT_FALSE(ranges_intersect(dst2, 2 * PSZ, BASE, 8 * PSZ));
	EXPECT_FALSE(ranges_intersect(dst2, 2 * PSZ, dst, 8 * PSZ));
	EXPECT_EQ(0, iova_has(self->fd, afd, dst, BUF(0), 8 * PSZ));
	EXPECT_EQ(0, iova_has(self->fd, afd, dst2, BUF(PSZ), 2 * PSZ));

	/* Not over itself */
	dst2 = BASE + 4 * PSZ;
	EXPECT_EQ(EEXIST, ioas_copy(self->fd, self->ioas, self->ioas, BASE,
				    8 * PSZ, &dst2, MAP_FIXED_RW));
	dst2 = BASE;
	EXPECT_EQ(EEXIST, ioas_copy(self->fd, self->ioas, self->ioas, BASE,
				    8 * PSZ, &dst2, MAP_FIXED_RW));

	if (variant->mock) {
		EXPECT_EQ(0, check_map(self->fd, self->hwpt, dst, BUF(0),
				       8 * PSZ));
		EXPECT_EQ(0, check_refs(self->fd, BUF(0), 8 * PSZ, 1));
	}
	EXPECT_EQ(8 * PSZ, unmap_len(self->fd, self->ioas, BASE, 8 * PSZ));
	EXPECT_EQ(0, iova_has(self->fd, afd, dst, BUF(0), 8 * PSZ));
	EXPECT_EQ(10 * PSZ, unmap_all(self->fd, self->ioas));
}

TEST_F(map, copy_errors)
{
	__u64 top = UINT64_MAX - PSZ + 1;
	struct iommu_ioas_copy cmd = {
		.flags = MAP_FIXED_RW,
		.src_ioas_id = self->ioas,
		.length = 4 * PSZ,
		.dst_iova = BASE,
		.src_iova = BASE,
	};
	__u32 gone;

	make_ioas2(_metadata, self, variant->mock);
	cmd.dst_ioas_id = self->ioas2;
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, BUF(0), 8 * PSZ, BASE));
	ASSERT_EQ(0, ioas_alloc(self->fd, &gone));
	ASSERT_EQ(0, destroy_obj(self->fd, gone));

	cmd.flags = MAP_FIXED_RW | MAP_BAD_FLAG;
	EXPECT_EQ(EOPNOTSUPP, copy_cmd(self->fd, &cmd));
	cmd.flags = MAP_RW | (1U << 31);
	EXPECT_EQ(EOPNOTSUPP, copy_cmd(self->fd, &cmd));
	cmd.flags = IOMMU_IOAS_MAP_FIXED_IOVA;
	EXPECT_EQ(EINVAL, copy_cmd(self->fd, &cmd));
	cmd.flags = MAP_FIXED_RW;

	cmd.length = 0;
	EXPECT_EQ(EINVAL, copy_cmd(self->fd, &cmd));
	cmd.length = UINT64_MAX;
	EXPECT_EQ(EOVERFLOW, copy_cmd(self->fd, &cmd));
	cmd.length = 4 * PSZ;
	cmd.src_iova = UINT64_MAX;
	EXPECT_EQ(EOVERFLOW, copy_cmd(self->fd, &cmd));
	cmd.src_iova = top;
	cmd.length = 2 * PSZ;
	EXPECT_EQ(EOVERFLOW, copy_cmd(self->fd, &cmd));
	cmd.src_iova = BASE;
	cmd.dst_iova = UINT64_MAX;
	EXPECT_EQ(EOVERFLOW, copy_cmd(self->fd, &cmd));
	cmd.dst_iova = top;
	EXPECT_EQ(EOVERFLOW, copy_cmd(self->fd, &cmd));
	cmd.dst_iova = BASE;
	cmd.length = 4 * PSZ;

	cmd.src_ioas_id = gone;
	EXPECT_EQ(ENOENT, copy_cmd(self->fd, &cmd));
	cmd.src_ioas_id = 0;
	EXPECT_EQ(ENOENT, copy_cmd(self->fd, &cmd));
	cmd.src_ioas_id = self->ioas;
	cmd.dst_ioas_id = gone;
	EXPECT_EQ(ENOENT, copy_cmd(self->fd, &cmd));
	/*
	 * As upstream, the source range answers before the destination ID is
	 * looked up: a bad length, a range past the end, a hole
	 */
	cmd.length = 0;
	EXPECT_EQ(EINVAL, copy_cmd(self->fd, &cmd));
	cmd.length = 2 * PSZ;
	cmd.src_iova = top;
	EXPECT_EQ(EOVERFLOW, copy_cmd(self->fd, &cmd));
	cmd.src_iova = BASE + 6 * PSZ;
	cmd.length = 4 * PSZ;
	EXPECT_EQ(ENOENT, copy_cmd(self->fd, &cmd));
	cmd.src_iova = BASE;
	if (variant->mock) {
		cmd.dst_ioas_id = self->hwpt2;
		EXPECT_EQ(ENOENT, copy_cmd(self->fd, &cmd));
		cmd.dst_ioas_id = self->ioas2;
		cmd.src_ioas_id = self->hwpt;
		EXPECT_EQ(ENOENT, copy_cmd(self->fd, &cmd));
		cmd.src_ioas_id = self->ioas;

		/* The destination's domain rules apply */
		cmd.dst_iova = BASE + 1;
		EXPECT_EQ(EINVAL, copy_cmd(self->fd, &cmd));
		cmd.dst_iova = BASE - 4 * PSZ;
		EXPECT_EQ(EINVAL, copy_cmd(self->fd, &cmd));
		cmd.dst_iova = BASE;
	}
	cmd.dst_ioas_id = self->ioas2;
	EXPECT_EQ(0, unmap_all(self->fd, self->ioas2));

	/* The destination range must be free and not reserved */
	ASSERT_EQ(0, copy_cmd(self->fd, &cmd));
	EXPECT_EQ(BASE, cmd.dst_iova);
	cmd.dst_iova = BASE + 2 * PSZ;
	EXPECT_EQ(EEXIST, copy_cmd(self->fd, &cmd));
	ASSERT_EQ(0, add_reserved(self->fd, self->ioas2, BASE + 8 * PSZ, PSZ));
	cmd.dst_iova = BASE + 6 * PSZ;
	EXPECT_EQ(EINVAL, copy_cmd(self->fd, &cmd));
	EXPECT_EQ(4 * PSZ, unmap_all(self->fd, self->ioas2));
	EXPECT_EQ(8 * PSZ, unmap_all(self->fd, self->ioas));
}

TEST_F(map, copy_refs)
{
	__u64 len = 16 * PSZ, dst = BASE;
	__u32 ioas3, hwpt3, hwpt;

	/* Both copies land in domains in either variant */
	make_ioas2(_metadata, self, true);
	ASSERT_EQ(0, ioas_alloc(self->fd, &ioas3));
	ASSERT_EQ(0, mock_domain(self->fd, ioas3, NULL, &hwpt3, NULL));

	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, BUF(0), len, BASE));
	EXPECT_EQ(0, check_refs(self->fd, BUF(0), len, variant->mock ? 1 : 0));

	ASSERT_EQ(0, ioas_copy(self->fd, self->ioas2, self->ioas, BASE, len,
			       &dst, MAP_FIXED_RW));
	EXPECT_EQ(0, check_map(self->fd, self->hwpt2, BASE, BUF(0), len));
	EXPECT_EQ(0, check_refs(self->fd, BUF(0), len, 1));
	dst = BASE + len;
	ASSERT_EQ(0, ioas_copy(self->fd, ioas3, self->ioas2, BASE, len, &dst,
			       MAP_FIXED_RW));
	EXPECT_EQ(0, check_map(self->fd, hwpt3, BASE + len, BUF(0), len));
	EXPECT_EQ(0, check_refs(self->fd, BUF(0), len, 1));

	/* Another domain on the source pins nothing more either */
	ASSERT_EQ(0, mock_domain(self->fd, self->ioas, NULL, &hwpt, NULL));
	EXPECT_EQ(0, check_map(self->fd, hwpt, BASE, BUF(0), len));
	EXPECT_EQ(0, check_refs(self->fd, BUF(0), len, 1));

	/* The pages stay pinned until the last copy goes */
	EXPECT_EQ(len, unmap_all(self->fd, self->ioas));
	EXPECT_EQ(0, check_refs(self->fd, BUF(0), len, 1));
	EXPECT_EQ(len, unmap_all(self->fd, self->ioas2));
	EXPECT_EQ(0, check_refs(self->fd, BUF(0), len, 1));
	EXPECT_EQ(0, check_map(self->fd, hwpt3, BASE + len, BUF(0), len));
	EXPECT_EQ(len, unmap_all(self->fd, ioas3));
	EXPECT_EQ(0, check_refs(self->fd, BUF(0), len, 0));
}

/*
 * Mappings inside one page are small areas, which hold their page
 * themselves; a copy, an access or a new domain must see them exactly as a
 * longer mapping: one pin per page, one pages object per mapping, the
 * same data, and everything back at the end.
 */
TEST_F(map, small_areas)
{
	struct ioasid_counters c0 = counters_now(), c;
	__u64 len = 8 * PSZ, dst = BASE, iova;
	char word[8];
	__u32 hwpt;
	int i, afd;

	make_ioas2(_metadata, self, variant->mock);
	for (i = 0; i != 8; i++)
		ASSERT_EQ(0, ioas_map(self->fd, self->ioas, BUF(i * PSZ), PSZ,
				      BASE + i * PSZ));
	c = counters_now();
	EXPECT_EQ(c0.pages_objs + 8, c.pages_objs);
	EXPECT_EQ(c0.pinned + (variant->mock ? 8 : 0), c.pinned);
	EXPECT_EQ(0, check_refs(self->fd, BUF(0), len, variant->mock ? 1 : 0));
	if (variant->mock)
		EXPECT_EQ(0, check_map(self->fd, self->hwpt, BASE, BUF(0), len));

	/* A copy shares the pages of the small areas it covers */
	ASSERT_EQ(0, ioas_copy(self->fd, self->ioas2, self->ioas, BASE + PSZ,
			       6 * PSZ, &dst, MAP_FIXED_RW));
	c = counters_now();
	EXPECT_EQ(c0.pages_objs + 8, c.pages_objs);
	EXPECT_EQ(c0.pinned + (variant->mock ? 8 : 0), c.pinned);
	EXPECT_EQ(0, check_refs(self->fd, BUF(0), len, variant->mock ? 1 : 0));
	if (variant->mock)
		EXPECT_EQ(0, check_map(self->fd, self->hwpt2, BASE, BUF(PSZ),
				       6 * PSZ));

	/* An access reads and writes through small areas and their copies */
	afd = new_access(_metadata, self, self->ioas);
	memcpy(BUF(7 * PSZ + 8), "smallmap", 8);
	EXPECT_EQ(0, iova_has(self->fd, afd, BASE + 7 * PSZ + 8, "smallmap",
			      8));
	memcpy(word, "written!", 8);
	ASSERT_EQ(0, access_rw(self->fd, afd, BASE, word, 8,
			       MOCK_ACCESS_RW_WRITE));
	EXPECT_EQ(0, memcmp(BUF(0), "written!", 8));

	/* A domain attached later maps and pins them once */
	ASSERT_EQ(0, mock_domain(self->fd, self->ioas, NULL, &hwpt, NULL));
	EXPECT_EQ(0, check_map(self->fd, hwpt, BASE, BUF(0), len));
	EXPECT_EQ(0, check_refs(self->fd, BUF(0), len, 1));
	EXPECT_EQ(c0.pinned + 8, counters_now().pinned);

	/* A part of a page is a small area too, at its offset */
	if (!variant->mock) {
		iova = 0;
		ASSERT_EQ(0, ioas_map_auto(self->fd, self->ioas2,
					   BUF(9 * PSZ + 512), 256, &iova));
		EXPECT_EQ(c0.pages_objs + 9, counters_now().pages_objs);
		afd = new_access(_metadata, self, self->ioas2);
		memcpy(BUF(9 * PSZ + 512 + 100), "sub-page", 8);
		EXPECT_EQ(0, iova_has(self->fd, afd, iova + 100, "sub-page",
				      8));
		EXPECT_EQ(256, unmap_len(self->fd, self->ioas2, iova, 256));
	}

	/* The copy keeps the pages pinned until it goes too */
	EXPECT_EQ(len, unmap_all(self->fd, self->ioas));
	EXPECT_EQ(0, check_refs(self->fd, BUF(PSZ), 6 * PSZ,
				variant->mock ? 1 : 0));
	EXPECT_EQ(0, check_refs(self->fd, BUF(0), PSZ, 0));
	EXPECT_EQ(0, check_refs(self->fd, BUF(7 * PSZ), PSZ, 0));
	EXPECT_EQ(c0.pages_objs + 6, counters_now().pages_objs);
	EXPECT_EQ(6 * PSZ, unmap_all(self->fd, self->ioas2));
	c = counters_now();
	EXPECT_EQ(c0.pages_objs, c.pages_objs);
	EXPECT_EQ(c0.pinned, c.pinned);
	EXPECT_EQ(c0.charged, c.charged);
	EXPECT_EQ(0, check_refs(self->fd, BUF(0), len, 0));
}

/*
 * Map @np pages' worth (@len bytes) of the views at @uptr at BASE + @off,
 * twice.  First it is mapped into the fixture's domain (mock variant) and
 * a domain attached later, and unpinned by the unmap (mock variant) or
 * the domain's detach.  Then again, with an access that turns it into a
 * long mapping: a pinning access on its middle pages if it starts on a
 * page (a pinning access needs page aligned IOVAs), else one reading it.
 * One pin per page throughout, and everything back each time.
 */
static void small_multi_round(struct __test_metadata *_metadata,
			      FIXTURE_DATA(map) *self, bool mock, int rfd,
			      char *uptr, __u64 off, __u64 len, __u64 np)
{
	struct ioasid_counters c0 = counters_now(), c;
	__u64 apages = np >= 3 ? np - 2 : 1;
	long small = np <= 16;
	__u32 stdev, hwpt, id = 0;
	int afd = -1;

	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, uptr + off, len,
			      BASE + off));
	c = counters_now();
	EXPECT_EQ(c0.pages_objs + 1, c.pages_objs);
	EXPECT_EQ(c0.small_areas + small, c.small_areas);
	EXPECT_EQ(c0.pinned + (mock ? (long)np : 0), c.pinned);
	EXPECT_EQ(0, check_refs(self->fd, uptr, np * PSZ, mock ? 1 : 0));
	if (mock)
		EXPECT_EQ(0, check_map(self->fd, self->hwpt, BASE + off,
				       uptr + off, len));
	/* A domain attached later gets the PFNs the mapping recorded */
	ASSERT_EQ(0, mock_domain(self->fd, self->ioas, &stdev, &hwpt, NULL));
	EXPECT_EQ(0, check_map(self->fd, hwpt, BASE + off, uptr + off, len));
	EXPECT_EQ(0, check_refs(self->fd, uptr, np * PSZ, 1));
	EXPECT_EQ(c0.pinned + (long)np, counters_now().pinned);
	if (mock) {
		EXPECT_EQ(len, unmap_len(self->fd, self->ioas, BASE + off,
					 len));
		EXPECT_EQ(0, check_refs(self->fd, uptr, np * PSZ, 0));
		EXPECT_EQ(0, destroy_obj(self->fd, stdev));
	} else {
		EXPECT_EQ(0, destroy_obj(self->fd, stdev));
		EXPECT_EQ(0, check_refs(self->fd, uptr, np * PSZ, 0));
		EXPECT_EQ(len, unmap_len(self->fd, self->ioas, BASE + off,
					 len));
	}
	c = counters_now();
	EXPECT_EQ(c0.pages_objs, c.pages_objs);
	EXPECT_EQ(c0.small_areas, c.small_areas);
	EXPECT_EQ(c0.pinned, c.pinned);
	EXPECT_EQ(c0.charged, c.charged);

	if (!off)
		ASSERT_EQ(0, create_access(self->fd, self->ioas,
					   MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
					   &afd));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, uptr + off, len,
			      BASE + off));
	ASSERT_EQ(0, mock_domain(self->fd, self->ioas, &stdev, &hwpt, NULL));
	/* An access keeps one pin per page */
	if (afd >= 0)
		ASSERT_EQ(0, access_pages(self->fd, afd, BASE + PSZ,
					  apages * PSZ, uptr + PSZ, 0, &id));
	EXPECT_EQ(0, iova_has(self->fd, rfd, BASE + off, uptr + off, len));
	c = counters_now();
	EXPECT_EQ(c0.pages_objs + 1, c.pages_objs);
	EXPECT_EQ(c0.small_areas, c.small_areas);
	EXPECT_EQ(c0.pinned + (long)np, c.pinned);
	EXPECT_EQ(0, check_map(self->fd, hwpt, BASE + off, uptr + off, len));
	if (afd >= 0) {
		EXPECT_EQ(0, destroy_access_pages(self->fd, afd, id));
		close(afd);
	}
	EXPECT_EQ(0, check_refs(self->fd, uptr, np * PSZ, 1));

	EXPECT_EQ(0, destroy_obj(self->fd, stdev));
	EXPECT_EQ(c0.pinned + (mock ? (long)np : 0), counters_now().pinned);
	EXPECT_EQ(len, unmap_len(self->fd, self->ioas, BASE + off, len));
	c = counters_now();
	EXPECT_EQ(c0.pages_objs, c.pages_objs);
	EXPECT_EQ(c0.pinned, c.pinned);
	EXPECT_EQ(c0.charged, c.charged);
	EXPECT_EQ(0, check_refs(self->fd, uptr, np * PSZ, 0));
}

/*
 * Mappings of up to 16 pages are small areas too, holding the PFN of each
 * of their pages.  Those need not be physically contiguous: views of a
 * shmem file in a scrambled order give runs of one to five pages.  Each
 * page must reach a domain, a domain attached later, an access (which
 * turns the mapping into a long one) and the unpin.  17 pages, or 16
 * pages' worth from inside a page, are long mappings from the start.  A
 * read-only mapping over several VMAs is pinned VMA by VMA, and undone if
 * one of them cannot be pinned.
 */
TEST_F(map, small_multi_page)
{
	static const int order[17] = { 0, 1, 2, 7, 8, 3, 16, 15, 4,
				       5, 6, 9, 10, 11, 12, 13, 14 };
	static const struct {
		__u64 first, np;	/* views */
		bool off;		/* start MOCK_PSZ into the first */
	} maps[] = {
		{ 0, 2 }, { 3, 5 }, { 0, 16 }, { 0, 17 },
		{ 1, 16, true }, { 0, 17, true },
	};
	__u32 ro = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE;
	__u32 stdev, hwpt;
	int sfd, rfd = new_access(_metadata, self, self->ioas);
	struct ioasid_counters c0, c;
	char *win, *p;
	__u64 iova;
	size_t i;

	sfd = memfd_create("small_multi", MFD_CLOEXEC);
	ASSERT_LE(0, sfd);
	ASSERT_EQ(0, ftruncate(sfd, 17 * PSZ));
	win = mmap_aligned(17 * PSZ, PSZ, 0);
	ASSERT_NE(NULL, win);
	/* File pages in order first, so that they tend to be contiguous */
	p = mmap(NULL, 17 * PSZ, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_POPULATE, sfd, 0);
	ASSERT_NE(MAP_FAILED, p);
	fill_words(p, 17 * PSZ, 3);
	EXPECT_EQ(0, munmap(p, 17 * PSZ));
	for (i = 0; i != 17; i++)
		ASSERT_NE(MAP_FAILED, mmap(win + i * PSZ, PSZ,
					   PROT_READ | PROT_WRITE,
					   MAP_SHARED | MAP_FIXED |
					   MAP_POPULATE, sfd,
					   order[i] * PSZ));

	for (i = 0; i != ARRAY_SIZE(maps); i++) {
		__u64 off = maps[i].off ? MOCK_PSZ : 0;
		__u64 len = maps[i].np * PSZ - (maps[i].off ? PSZ : 0);

		small_multi_round(_metadata, self, variant->mock, rfd,
				  win + maps[i].first * PSZ, off, len,
				  maps[i].np);
	}
	EXPECT_EQ(0, munmap(win, 17 * PSZ));
	close(sfd);

	/* Read-only, private, over three VMAs: pinned a VMA at a time */
	p = alloc_buffer(4 * PSZ, PSZ, 0);
	ASSERT_NE(NULL, p);
	fill_words(p, 4 * PSZ, 5);
	ASSERT_EQ(0, mprotect(p + 2 * PSZ, PSZ, PROT_READ));
	iova = BASE;
	ASSERT_EQ(0, ioas_map_flags(self->fd, self->ioas, p, 4 * PSZ, &iova,
				    ro));
	ASSERT_EQ(0, mock_domain(self->fd, self->ioas, &stdev, &hwpt, NULL));
	EXPECT_EQ(0, check_map(self->fd, hwpt, BASE, p, 4 * PSZ));
	EXPECT_EQ(0, check_refs(self->fd, p, 4 * PSZ, 1));
	EXPECT_EQ(0, destroy_obj(self->fd, stdev));
	EXPECT_EQ(4 * PSZ, unmap_len(self->fd, self->ioas, BASE, 4 * PSZ));
	EXPECT_EQ(0, check_refs(self->fd, p, 4 * PSZ, 0));

	/*
	 * Read-only over a page nobody may read: the pages of the first VMA
	 * get pinned, then the pin fails, and all of it is undone
	 */
	ASSERT_EQ(0, mprotect(p + 2 * PSZ, PSZ, PROT_NONE));
	c0 = counters_now();
	if (variant->mock) {
		EXPECT_EQ(EFAULT, ioas_map_flags(self->fd, self->ioas, p,
						 4 * PSZ, &iova, ro));
	} else {
		ASSERT_EQ(0, ioas_map_flags(self->fd, self->ioas, p, 4 * PSZ,
					    &iova, ro));
		EXPECT_EQ(EFAULT, mock_domain(self->fd, self->ioas, NULL,
					      NULL, NULL));
		EXPECT_EQ(4 * PSZ, unmap_len(self->fd, self->ioas, BASE,
					     4 * PSZ));
	}
	c = counters_now();
	EXPECT_EQ(c0.pages_objs, c.pages_objs);
	EXPECT_EQ(c0.pinned, c.pinned);
	EXPECT_EQ(c0.charged, c.charged);
	/* The pages pinned before the failure (the third cannot be looked at) */
	EXPECT_EQ(0, check_refs(self->fd, p, 2 * PSZ, 0));
	EXPECT_EQ(0, munmap(p, 4 * PSZ));
}

/*
 * Pin [0, cut) of the mapping of @uptr at BASE through @afd, then [cut,
 * len), or the other way round; then all of it, checked against the
 * user's page tables; then fill a new domain from what was recorded and
 * check it, and undo it all.
 */
static void pfn_runs_round(struct __test_metadata *_metadata,
			   FIXTURE_DATA(map) *self, bool mock, int afd,
			   char *uptr, __u64 len, __u64 cut, bool low_first)
{
	struct ioasid_counters c0 = counters_now();
	__u32 id[3], hwpt, stdev;
	int i;

	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, uptr, len, BASE));
	for (i = 0; i != 2; i++) {
		if ((i == 0) == low_first) {
			ASSERT_EQ(0, access_pages(self->fd, afd, BASE, cut,
						  uptr, 0, &id[0]));
		} else {
			ASSERT_EQ(0, access_pages(self->fd, afd, BASE + cut,
						  len - cut, uptr + cut, 0,
						  &id[1]));
		}
	}
	ASSERT_EQ(0, access_pages(self->fd, afd, BASE, len, uptr, 0, &id[2]));
	EXPECT_EQ(c0.pinned + (long)(len / PSZ), counters_now().pinned);

	ASSERT_EQ(0, mock_domain(self->fd, self->ioas, &stdev, &hwpt, NULL));
	EXPECT_EQ(0, check_map(self->fd, hwpt, BASE, uptr, len));
	if (mock)
		EXPECT_EQ(0, check_map(self->fd, self->hwpt, BASE, uptr, len));
	EXPECT_EQ(0, destroy_obj(self->fd, stdev));
	for (i = 0; i != 3; i++)
		EXPECT_EQ(0, destroy_access_pages(self->fd, afd, id[i]));
	EXPECT_EQ(len, unmap_all(self->fd, self->ioas));
	EXPECT_EQ(c0.pinned, counters_now().pinned);
	EXPECT_EQ(c0.charged, counters_now().charged);
	EXPECT_EQ(0, check_refs(self->fd, uptr, len, 0));
}

/*
 * PFNs are kept per 2 MiB of the user's address space, as one value when
 * the pinned pages there are one physically contiguous run and as an
 * array otherwise.  Every index must get its own page, to the access, to
 * a domain filled later from what was recorded, and to the unpin:
 *  - one hugetlb page mapped twice, back to back, from the middle of the
 *    first view: two value chunks whose runs do not continue each other;
 *  - one 4 KiB page mapped six times across a 2 MiB boundary, pinned a
 *    page first: a value chunk that becomes an array, and a last chunk
 *    that holds three slots.
 */
TEST_F(map, pfn_runs)
{
	size_t rsv = HUGE_SZ + 8 * PSZ;
	char *view, *win, *uptr;
	int mfd, sfd, i, afd;
	bool low_first;

	ASSERT_EQ(0, create_access(self->fd, self->ioas,
				   MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
				   &afd));

	/* Six views of one 4 KiB shmem page, the first at slot 509 */
	sfd = memfd_create("pfn_runs_4k", MFD_CLOEXEC);
	ASSERT_LE(0, sfd);
	ASSERT_EQ(0, ftruncate(sfd, PSZ));
	win = mmap_aligned(rsv, HUGE_SZ, 0);
	ASSERT_NE(NULL, win);
	uptr = win + HUGE_SZ - 3 * PSZ;
	for (i = 0; i != 6; i++)
		ASSERT_NE(MAP_FAILED, mmap(uptr + i * PSZ, PSZ,
					   PROT_READ | PROT_WRITE,
					   MAP_SHARED | MAP_FIXED |
					   MAP_POPULATE, sfd, 0));
	memset(uptr, 0x5a, PSZ);
	for (low_first = true; ; low_first = false) {
		pfn_runs_round(_metadata, self, variant->mock, afd, uptr,
			       6 * PSZ, PSZ, low_first);
		if (!low_first)
			break;
	}
	EXPECT_EQ(0, munmap(win, rsv));
	close(sfd);

	mfd = memfd_create("pfn_runs", MFD_CLOEXEC | MFD_HUGETLB);
	if (mfd < 0 || ftruncate(mfd, HUGE_SZ)) {
		if (mfd >= 0)
			close(mfd);
		close(afd);
		SKIP(return, "no hugetlbfs memfd");
	}
	view = mmap_aligned(2 * HUGE_SZ, HUGE_SZ, 0);
	ASSERT_NE(NULL, view);
	for (i = 0; i != 2; i++)
		if (mmap(view + i * HUGE_SZ, HUGE_SZ, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_FIXED | MAP_POPULATE, mfd,
			 0) == MAP_FAILED) {
			munmap(view, 2 * HUGE_SZ);
			close(mfd);
			close(afd);
			SKIP(return, "no 2 MiB hugetlb page");
		}
	fill_words(view, HUGE_SZ, 7);
	for (low_first = true; ; low_first = false) {
		pfn_runs_round(_metadata, self, variant->mock, afd,
			       view + HUGE_SZ / 2, 3 * HUGE_SZ / 2,
			       HUGE_SZ / 2, low_first);
		if (!low_first)
			break;
	}
	close(afd);
	EXPECT_EQ(0, munmap(view, 2 * HUGE_SZ));
	close(mfd);
}

/* -------------------------------------------------------- the domain view */

TEST_F(map, domain_mirror)
{
	__u64 len = 16 * PSZ, iova = 0, ro;
	__u32 hwpt = self->hwpt, stdev = self->stdev;

	if (!variant->mock)
		ASSERT_EQ(0, mock_domain(self->fd, self->ioas, &stdev, &hwpt,
					 NULL));

	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, BUF(0), len, BASE));
	EXPECT_EQ(0, check_map(self->fd, hwpt, BASE, BUF(0), len));
	EXPECT_EQ(0, check_map(self->fd, hwpt, BASE + 4 * PSZ, BUF(4 * PSZ),
			       4 * PSZ));
	/* Other memory is not what the domain maps */
	EXPECT_EQ(EINVAL, check_map(self->fd, hwpt, BASE, BUF(len), len));
	EXPECT_EQ(EINVAL, check_map(self->fd, hwpt, BASE + len, BUF(len),
				    MOCK_PSZ));
	EXPECT_EQ(0, check_refs(self->fd, BUF(0), len, 1));
	EXPECT_EQ(0, check_refs(self->fd, BUF(len), len, 0));

	ASSERT_EQ(0, ioas_map_auto(self->fd, self->ioas, BUF(2 * len), len,
				   &iova));
	EXPECT_EQ(0, check_map(self->fd, hwpt, iova, BUF(2 * len), len));
	ro = BASE + SZ_1M;
	ASSERT_EQ(0, ioas_map_flags(self->fd, self->ioas, BUF(4 * len), len,
				    &ro, IOMMU_IOAS_MAP_FIXED_IOVA |
				    IOMMU_IOAS_MAP_READABLE));
	EXPECT_EQ(0, check_map(self->fd, hwpt, ro, BUF(4 * len), len));
	EXPECT_EQ(0, check_refs(self->fd, BUF(4 * len), len, 1));

	EXPECT_EQ(len, unmap_len(self->fd, self->ioas, BASE, len));
	EXPECT_EQ(EINVAL, check_map(self->fd, hwpt, BASE, BUF(0), len));
	EXPECT_EQ(EINVAL, check_map(self->fd, hwpt, BASE + len - MOCK_PSZ,
				    BUF(len - MOCK_PSZ), MOCK_PSZ));
	EXPECT_EQ(0, check_refs(self->fd, BUF(0), len, 0));
	/* The others are untouched */
	EXPECT_EQ(0, check_map(self->fd, hwpt, iova, BUF(2 * len), len));
	EXPECT_EQ(0, check_refs(self->fd, BUF(2 * len), len, 1));

	EXPECT_EQ(2 * len, unmap_all(self->fd, self->ioas));
	EXPECT_EQ(EINVAL, check_map(self->fd, hwpt, iova, BUF(2 * len), len));
	EXPECT_EQ(EINVAL, check_map(self->fd, hwpt, ro, BUF(4 * len), len));
	EXPECT_EQ(0, check_refs(self->fd, BUF(0), BUF_SZ, 0));
	(void)stdev;
}

TEST_F(map, domain_lazy_pin)
{
	__u64 len = 16 * PSZ;
	__u32 stdev, hwpt;

	if (variant->mock) {
		/* Pinned at MAP time */
		ASSERT_EQ(0, ioas_map(self->fd, self->ioas, BUF(0), len, BASE));
		EXPECT_EQ(0, check_refs(self->fd, BUF(0), len, 1));
		/* The mapping outlives the domain, the pins do not */
		ASSERT_EQ(0, destroy_obj(self->fd, self->stdev));
		self->stdev = 0;
		EXPECT_EQ(0, check_refs(self->fd, BUF(0), len, 0));
		EXPECT_EQ(len, unmap_all(self->fd, self->ioas));
	}

	/* No domain: mapped but not pinned */
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, BUF(0), len, BASE));
	EXPECT_EQ(0, check_refs(self->fd, BUF(0), len, 0));
	/* A domain pins and maps what is there */
	ASSERT_EQ(0, mock_domain(self->fd, self->ioas, &stdev, &hwpt, NULL));
	EXPECT_EQ(0, check_refs(self->fd, BUF(0), len, 1));
	EXPECT_EQ(0, check_map(self->fd, hwpt, BASE, BUF(0), len));
	/* Its departure unpins and leaves the mapping */
	ASSERT_EQ(0, destroy_obj(self->fd, stdev));
	EXPECT_EQ(0, check_refs(self->fd, BUF(0), len, 0));
	EXPECT_EQ(EEXIST, ioas_map(self->fd, self->ioas, BUF(0), len, BASE));
	EXPECT_EQ(len, unmap_len(self->fd, self->ioas, BASE, len));
	EXPECT_EQ(0, check_refs(self->fd, BUF(0), len, 0));
}

TEST_HARNESS_MAIN
