// SPDX-License-Identifier: GPL-2.0-only
/*
 * In-kernel users of an IOAS (accesses): pinning the pages behind IOVAs,
 * unmapping what an access pinned, copying data through IOVAs, lifetimes.
 */
#include <sched.h>
#include <sys/resource.h>

#include "ioasid_utils.h"

#define BASE_IOVA ((__u64)MOCK_APERTURE_START)
#define NEEDS_PIN MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES

/* ---------------------------------------------------------------------- */

/*
 * Pins at both ends of the IOVA space, unmapped by the unmap-all form:
 * the range to ask the access about is all 2^64 bytes, whose length a
 * u64 cannot hold, so it is asked in two halves and lets go of both pins.
 * No domain: the mock's aperture holds neither end.
 */
TEST(access_unmap_all_pins_at_both_ends)
{
	__u64 top = UINT64_MAX - PSZ + 1, unmapped = 0;
	struct ioasid_env env;
	int fd, afd;
	__u32 ioas, id, id2;
	char *buf;

	env_begin(&env);
	fd = ioasid_open();
	ASSERT_LE(0, fd);
	buf = alloc_buffer(2 * PSZ, PSZ, 0);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, ioas_alloc(fd, &ioas));
	ASSERT_EQ(0, ioas_map(fd, ioas, buf, PSZ, 0));
	ASSERT_EQ(0, ioas_map(fd, ioas, buf + PSZ, PSZ, top));
	ASSERT_EQ(0, create_access(fd, ioas, NEEDS_PIN, &afd));
	ASSERT_EQ(0, access_pages(fd, afd, 0, PSZ, buf, 0, &id));
	ASSERT_EQ(0, access_pages(fd, afd, top, PSZ, buf + PSZ, 0, &id2));
	EXPECT_EQ(0, check_refs(fd, buf, 2 * PSZ, 1));

	ASSERT_EQ(0, ioas_unmap(fd, ioas, 0, UINT64_MAX, &unmapped));
	EXPECT_EQ(2 * PSZ, unmapped);
	EXPECT_EQ(ENOENT, destroy_access_pages(fd, afd, id));
	EXPECT_EQ(ENOENT, destroy_access_pages(fd, afd, id2));
	EXPECT_EQ(0, check_refs(fd, buf, 2 * PSZ, 0));

	close(afd);
	close(fd);
	munmap(buf, 2 * PSZ);
	env_end(&env);
}

FIXTURE(access_pin) {
	int fd;
	int afd;
	int afd2;
	__u32 ioas;
	__u32 stdev;
	__u32 hwpt;
	unsigned int idle;	/* pins of a mapped page nobody else uses */
	size_t len;
	char *buf;
	struct ioasid_env env;
};

FIXTURE_VARIANT(access_pin) {
	bool domain;
};

FIXTURE_VARIANT_ADD(access_pin, no_domain) {
	.domain = false,
};

FIXTURE_VARIANT_ADD(access_pin, domain) {
	.domain = true,
};

FIXTURE_SETUP(access_pin)
{
	self->afd = -1;
	self->afd2 = -1;
	env_begin(&self->env);
	self->fd = ioasid_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, ioas_alloc(self->fd, &self->ioas));
	if (variant->domain)
		ASSERT_EQ(0, mock_domain(self->fd, self->ioas, &self->stdev,
					 &self->hwpt, NULL));
	self->idle = variant->domain ? 1 : 0;
	self->len = 16 * PSZ;
	self->buf = alloc_buffer(self->len, PSZ, 0);
	ASSERT_NE(NULL, self->buf);
	fill_pattern(self->buf, self->len, 1);
}

FIXTURE_TEARDOWN(access_pin)
{
	if (self->afd >= 0)
		close(self->afd);
	if (self->afd2 >= 0)
		close(self->afd2);
	if (self->fd >= 0)
		close(self->fd);
	env_end(&self->env);
	if (self->buf)
		munmap(self->buf, self->len);
}

TEST_F(access_pin, pin_and_unpin)
{
	char *buf = self->buf;
	__u32 id1, id2, id3, id4;

	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, buf, 8 * PSZ, BASE_IOVA));
	EXPECT_EQ(0, check_refs(self->fd, buf, 8 * PSZ, self->idle));
	ASSERT_EQ(0, create_access(self->fd, self->ioas, NEEDS_PIN, &self->afd));

	/* One pin per page, with or without a domain */
	ASSERT_EQ(0, access_pages(self->fd, self->afd, BASE_IOVA, 8 * PSZ, buf,
				  0, &id1));
	EXPECT_EQ(0, check_refs(self->fd, buf, 8 * PSZ, 1));
	/* Pinning the same range again adds no pin */
	ASSERT_EQ(0, access_pages(self->fd, self->afd, BASE_IOVA, 8 * PSZ, buf,
				  MOCK_FLAGS_ACCESS_WRITE, &id2));
	EXPECT_NE(id1, id2);
	EXPECT_EQ(0, check_refs(self->fd, buf, 8 * PSZ, 1));
	EXPECT_EQ(0, destroy_access_pages(self->fd, self->afd, id1));
	EXPECT_EQ(0, check_refs(self->fd, buf, 8 * PSZ, 1));
	EXPECT_EQ(ENOENT, destroy_access_pages(self->fd, self->afd, id1));
	EXPECT_EQ(0, destroy_access_pages(self->fd, self->afd, id2));
	EXPECT_EQ(0, check_refs(self->fd, buf, 8 * PSZ, self->idle));
	EXPECT_EQ(ENOENT, destroy_access_pages(self->fd, self->afd, id2));

	/* Overlapping ranges: [0, 4) and [2, 6) */
	ASSERT_EQ(0, access_pages(self->fd, self->afd, BASE_IOVA, 4 * PSZ, buf,
				  0, &id3));
	ASSERT_EQ(0, access_pages(self->fd, self->afd, BASE_IOVA + 2 * PSZ,
				  4 * PSZ, buf + 2 * PSZ, 0, &id4));
	EXPECT_EQ(0, check_refs(self->fd, buf, 6 * PSZ, 1));
	EXPECT_EQ(0, check_refs(self->fd, buf + 6 * PSZ, 2 * PSZ, self->idle));
	EXPECT_EQ(0, destroy_access_pages(self->fd, self->afd, id3));
	EXPECT_EQ(0, check_refs(self->fd, buf, 2 * PSZ, self->idle));
	EXPECT_EQ(0, check_refs(self->fd, buf + 2 * PSZ, 4 * PSZ, 1));
	EXPECT_EQ(0, destroy_access_pages(self->fd, self->afd, id4));
	EXPECT_EQ(0, check_refs(self->fd, buf, 8 * PSZ, self->idle));

	/* A sub-page range pins each page it touches */
	ASSERT_EQ(0, access_pages(self->fd, self->afd, BASE_IOVA + PSZ + 100,
				  PSZ, buf + PSZ + 100, 0, &id1));
	EXPECT_EQ(0, check_refs(self->fd, buf + PSZ, 2 * PSZ, 1));
	EXPECT_EQ(0, check_refs(self->fd, buf, PSZ, self->idle));
	EXPECT_EQ(0, check_refs(self->fd, buf + 3 * PSZ, PSZ, self->idle));
	ASSERT_EQ(0, access_pages(self->fd, self->afd, BASE_IOVA + 5 * PSZ + 7,
				  1, buf + 5 * PSZ + 7, 0, &id2));
	EXPECT_EQ(0, check_refs(self->fd, buf + 5 * PSZ, PSZ, 1));
	EXPECT_EQ(0, destroy_access_pages(self->fd, self->afd, id1));
	EXPECT_EQ(0, destroy_access_pages(self->fd, self->afd, id2));
	EXPECT_EQ(0, check_refs(self->fd, buf, 8 * PSZ, self->idle));
}

TEST_F(access_pin, pin_errors)
{
	char *buf = self->buf;
	char *other = alloc_buffer(8 * PSZ, PSZ, 0);
	struct ioasid_counters before;
	char *gone;
	int plain = -1;
	__u32 id;

	ASSERT_NE(NULL, other);
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, buf, 8 * PSZ, BASE_IOVA));
	ASSERT_EQ(0, ioas_map_flags(self->fd, self->ioas, buf + 8 * PSZ,
				    4 * PSZ, &(__u64){ BASE_IOVA + 32 * PSZ },
				    IOMMU_IOAS_MAP_FIXED_IOVA |
					    IOMMU_IOAS_MAP_READABLE));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, buf + 12 * PSZ, 2 * PSZ,
			      BASE_IOVA + 30 * PSZ));
	ASSERT_EQ(0, create_access(self->fd, self->ioas, NEEDS_PIN, &self->afd));
	before = counters_now();

	EXPECT_EQ(ENOENT, destroy_access_pages(self->fd, self->afd, 12345));
	EXPECT_EQ(EOPNOTSUPP, access_pages(self->fd, self->afd, BASE_IOVA, PSZ,
					   buf, 1 << 3, &id));
	EXPECT_EQ(EOPNOTSUPP, access_pages(self->fd, self->afd, BASE_IOVA, PSZ,
					   buf, 1U << 31, &id));
	EXPECT_EQ(EINVAL, access_pages(self->fd, self->afd, BASE_IOVA, 0, buf,
				       0, &id));
	/* Not mapped at all, or only at the start */
	EXPECT_EQ(ENOENT, access_pages(self->fd, self->afd,
				       BASE_IOVA + 64 * PSZ, PSZ, NULL, 0,
				       &id));
	EXPECT_EQ(ENOENT, access_pages(self->fd, self->afd, BASE_IOVA - PSZ,
				       2 * PSZ, NULL, 0, &id));
	EXPECT_EQ(ENOENT, access_pages(self->fd, self->afd,
				       BASE_IOVA + 4 * PSZ, 8 * PSZ, NULL, 0,
				       &id));
	/* The pages behind the IOVA are not those of another buffer */
	EXPECT_EQ(EBADE, access_pages(self->fd, self->afd, BASE_IOVA,
				      4 * PSZ, other, 0, &id));
	EXPECT_EQ(EBADE, access_pages(self->fd, self->afd, BASE_IOVA,
				      4 * PSZ, buf + PSZ, 0, &id));
	/* Writing is not allowed through a read-only mapping */
	EXPECT_EQ(EPERM, access_pages(self->fd, self->afd,
				      BASE_IOVA + 32 * PSZ, PSZ,
				      buf + 8 * PSZ, MOCK_FLAGS_ACCESS_WRITE,
				      &id));
	/* A writable range whose second mapping is read-only: rolled back */
	EXPECT_EQ(EPERM, access_pages(self->fd, self->afd,
				      BASE_IOVA + 30 * PSZ, 4 * PSZ, NULL,
				      MOCK_FLAGS_ACCESS_WRITE, &id));
	EXPECT_EQ(0, check_refs(self->fd, buf + 12 * PSZ, 2 * PSZ,
				self->idle));
	/* Larger than the mock handles, or past the end of the IOVA space */
	EXPECT_EQ(ENOMEM, access_pages(self->fd, self->afd, BASE_IOVA,
				       (16UL << 20) + PSZ, NULL, 0, &id));
	EXPECT_EQ(EOVERFLOW, access_pages(self->fd, self->afd,
					  UINT64_MAX - PSZ + 1, 2 * PSZ, NULL,
					  0, &id));
	/* Not an access fd: EBADFD, as upstream's test driver answers */
	EXPECT_EQ(EBADFD, access_pages(self->fd, self->fd, BASE_IOVA, PSZ, buf,
				       0, &id));
	EXPECT_EQ(EBADFD, access_pages(self->fd, -1, BASE_IOVA, PSZ, buf, 0,
				       &id));
	EXPECT_EQ(EBADFD, access_pages(self->fd, 1000, BASE_IOVA, PSZ, buf, 0,
				       &id));
	EXPECT_EQ(EBADFD, destroy_access_pages(self->fd, self->fd, 0));
	EXPECT_EQ(EBADFD, destroy_access_pages(self->fd, -1, 0));

	/* None of it left a pin behind */
	EXPECT_EQ(before.pinned, counters_now().pinned);
	EXPECT_EQ(0, check_refs(self->fd, buf, 8 * PSZ, self->idle));
	EXPECT_EQ(0, check_refs(self->fd, other, 8 * PSZ, 0));

	/* Pinning memory that was unmapped from the process */
	gone = alloc_buffer(2 * PSZ, PSZ, 0);
	ASSERT_NE(NULL, gone);
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, gone, 2 * PSZ,
			      BASE_IOVA + 48 * PSZ));
	ASSERT_EQ(0, munmap(gone, 2 * PSZ));
	before = counters_now();
	if (variant->domain) {
		/* Pinned by the domain since the map: still there */
		ASSERT_EQ(0, access_pages(self->fd, self->afd,
					  BASE_IOVA + 48 * PSZ, 2 * PSZ, NULL,
					  0, &id));
		EXPECT_EQ(0, destroy_access_pages(self->fd, self->afd, id));
	} else {
		EXPECT_EQ(EFAULT, access_pages(self->fd, self->afd,
					       BASE_IOVA + 48 * PSZ, 2 * PSZ,
					       NULL, 0, &id));
	}
	EXPECT_EQ(before.pinned, counters_now().pinned);
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas, BASE_IOVA + 48 * PSZ,
				2 * PSZ, NULL));

	/* A read pin of read-only memory is fine */
	ASSERT_EQ(0, access_pages(self->fd, self->afd, BASE_IOVA + 32 * PSZ,
				  4 * PSZ, buf + 8 * PSZ, 0, &id));
	EXPECT_EQ(0, check_refs(self->fd, buf + 8 * PSZ, 4 * PSZ, 1));
	EXPECT_EQ(0, destroy_access_pages(self->fd, self->afd, id));

	/* An access created without NEEDS_PIN cannot pin */
	ASSERT_EQ(0, create_access(self->fd, self->ioas, 0, &plain));
	EXPECT_EQ(EOPNOTSUPP, access_pages(self->fd, plain, BASE_IOVA, PSZ,
					   buf, 0, &id));
	close(plain);

	/* CREATE_ACCESS itself */
	EXPECT_EQ(EOPNOTSUPP, create_access(self->fd, self->ioas, 1 << 1,
					    &plain));
	EXPECT_EQ(ENOENT, create_access(self->fd, 12345, NEEDS_PIN, &plain));
	EXPECT_EQ(ENOENT, create_access(self->fd, 0, 0, &plain));
	if (variant->domain)
		EXPECT_EQ(ENOENT, create_access(self->fd, self->hwpt, 0,
						&plain));
	EXPECT_EQ(before.objects, counters_now().objects);
	munmap(other, 8 * PSZ);
}

/* Pins may span mappings that touch, never a hole */
TEST_F(access_pin, holes_and_adjacent_maps)
{
	char *buf = self->buf;
	__u32 id;

	/* [0, 4) and [4, 8) back to back, [8, 12) after a hole */
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, buf, 4 * PSZ, BASE_IOVA));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, buf + 4 * PSZ, 4 * PSZ,
			      BASE_IOVA + 4 * PSZ));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, buf + 8 * PSZ, 4 * PSZ,
			      BASE_IOVA + 16 * PSZ));
	ASSERT_EQ(0, create_access(self->fd, self->ioas, NEEDS_PIN, &self->afd));

	ASSERT_EQ(0, access_pages(self->fd, self->afd, BASE_IOVA + 2 * PSZ,
				  4 * PSZ, buf + 2 * PSZ, 0, &id));
	EXPECT_EQ(0, check_refs(self->fd, buf + 2 * PSZ, 4 * PSZ, 1));
	EXPECT_EQ(0, check_refs(self->fd, buf, 2 * PSZ, self->idle));
	EXPECT_EQ(0, check_refs(self->fd, buf + 6 * PSZ, 2 * PSZ, self->idle));

	/* Across the hole: refused and rolled back */
	EXPECT_EQ(ENOENT, access_pages(self->fd, self->afd,
				       BASE_IOVA + 6 * PSZ, 12 * PSZ, NULL, 0,
				       NULL));
	EXPECT_EQ(ENOENT, access_pages(self->fd, self->afd,
				       BASE_IOVA + 8 * PSZ, PSZ, NULL, 0,
				       NULL));
	EXPECT_EQ(ENOENT, access_pages(self->fd, self->afd,
				       BASE_IOVA + 15 * PSZ, 2 * PSZ, NULL, 0,
				       NULL));
	EXPECT_EQ(0, check_refs(self->fd, buf + 6 * PSZ, 2 * PSZ, self->idle));
	EXPECT_EQ(0, check_refs(self->fd, buf + 8 * PSZ, 4 * PSZ, self->idle));
	EXPECT_EQ(0, check_refs(self->fd, buf + 2 * PSZ, 4 * PSZ, 1));

	EXPECT_EQ(0, destroy_access_pages(self->fd, self->afd, id));
	EXPECT_EQ(0, check_refs(self->fd, buf, 12 * PSZ, self->idle));

	/* The whole of both adjacent maps */
	ASSERT_EQ(0, access_pages(self->fd, self->afd, BASE_IOVA, 8 * PSZ, buf,
				  MOCK_FLAGS_ACCESS_WRITE, &id));
	EXPECT_EQ(0, check_refs(self->fd, buf, 8 * PSZ, 1));
	/* An unmap of one of them unpins everything the access holds */
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas, BASE_IOVA + 4 * PSZ,
				4 * PSZ, NULL));
	EXPECT_EQ(ENOENT, destroy_access_pages(self->fd, self->afd, id));
	EXPECT_EQ(0, check_refs(self->fd, buf, 4 * PSZ, self->idle));
	EXPECT_EQ(0, check_refs(self->fd, buf + 4 * PSZ, 4 * PSZ, 0));
}

TEST_F(access_pin, unmap_while_pinned)
{
	char *buf = self->buf;
	__u64 unmapped = 0;
	__u32 id, id2, id3;

	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, buf, 8 * PSZ, BASE_IOVA));
	ASSERT_EQ(0, create_access(self->fd, self->ioas, NEEDS_PIN, &self->afd));
	ASSERT_EQ(0, access_pages(self->fd, self->afd, BASE_IOVA, 8 * PSZ, buf,
				  0, &id));
	EXPECT_EQ(0, check_refs(self->fd, buf, 8 * PSZ, 1));

	/* The unmap asks the access to let go and succeeds */
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas, BASE_IOVA, 8 * PSZ,
				&unmapped));
	EXPECT_EQ(8 * PSZ, unmapped);
	EXPECT_EQ(ENOENT, destroy_access_pages(self->fd, self->afd, id));
	EXPECT_EQ(0, check_refs(self->fd, buf, 8 * PSZ, 0));
	if (variant->domain)
		EXPECT_EQ(EINVAL, check_map(self->fd, self->hwpt, BASE_IOVA,
					    buf, PSZ));
	EXPECT_EQ(ENOENT, access_pages(self->fd, self->afd, BASE_IOVA, PSZ,
				       buf, 0, NULL));

	/* Two accesses, three pins, the unmap-all form */
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, buf, 8 * PSZ, BASE_IOVA));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, buf + 8 * PSZ, 8 * PSZ,
			      BASE_IOVA + 64 * PSZ));
	ASSERT_EQ(0, create_access(self->fd, self->ioas, NEEDS_PIN,
				   &self->afd2));
	ASSERT_EQ(0, access_pages(self->fd, self->afd, BASE_IOVA, 8 * PSZ, buf,
				  0, &id));
	ASSERT_EQ(0, access_pages(self->fd, self->afd2, BASE_IOVA + PSZ,
				  2 * PSZ, buf + PSZ, 0, &id2));
	ASSERT_EQ(0, access_pages(self->fd, self->afd2, BASE_IOVA + 64 * PSZ,
				  8 * PSZ, buf + 8 * PSZ, 0, &id3));
	EXPECT_EQ(0, check_refs(self->fd, buf, 16 * PSZ, 1));
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas, 0, UINT64_MAX,
				&unmapped));
	EXPECT_EQ(16 * PSZ, unmapped);
	EXPECT_EQ(ENOENT, destroy_access_pages(self->fd, self->afd, id));
	EXPECT_EQ(ENOENT, destroy_access_pages(self->fd, self->afd2, id2));
	EXPECT_EQ(ENOENT, destroy_access_pages(self->fd, self->afd2, id3));
	EXPECT_EQ(0, check_refs(self->fd, buf, 16 * PSZ, 0));

	/* A pin that missed the unmapped range survives */
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, buf, 4 * PSZ, BASE_IOVA));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, buf + 8 * PSZ, 4 * PSZ,
			      BASE_IOVA + 64 * PSZ));
	ASSERT_EQ(0, access_pages(self->fd, self->afd, BASE_IOVA, 4 * PSZ, buf,
				  0, &id));
	ASSERT_EQ(0, access_pages(self->fd, self->afd2, BASE_IOVA + 64 * PSZ,
				  4 * PSZ, buf + 8 * PSZ, 0, &id2));
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas, BASE_IOVA + 64 * PSZ,
				4 * PSZ, NULL));
	EXPECT_EQ(ENOENT, destroy_access_pages(self->fd, self->afd2, id2));
	EXPECT_EQ(0, check_refs(self->fd, buf + 8 * PSZ, 4 * PSZ, 0));
	EXPECT_EQ(0, check_refs(self->fd, buf, 4 * PSZ, 1));
	EXPECT_EQ(0, destroy_access_pages(self->fd, self->afd, id));
	EXPECT_EQ(0, check_refs(self->fd, buf, 4 * PSZ, self->idle));
}

/*
 * An access that pins the range again from its unmap callback is refused:
 * the unmap finishes instead of chasing new pins.
 */
TEST_F(access_pin, unmap_refuses_new_pins)
{
	__u64 unmapped = 0;
	__u32 id;

	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, self->buf, 4 * PSZ,
			      BASE_IOVA));
	ASSERT_EQ(0, create_access(self->fd, self->ioas,
				   NEEDS_PIN |
				   MOCK_FLAGS_ACCESS_CREATE_REPIN_ON_UNMAP,
				   &self->afd));
	ASSERT_EQ(0, access_pages(self->fd, self->afd, BASE_IOVA, 4 * PSZ,
				  self->buf, 0, &id));
	EXPECT_EQ(0, ioas_unmap(self->fd, self->ioas, BASE_IOVA, 4 * PSZ,
				&unmapped));
	EXPECT_EQ(4 * PSZ, unmapped);
	EXPECT_EQ(ENOENT, destroy_access_pages(self->fd, self->afd, id));
	EXPECT_EQ(0, check_refs(self->fd, self->buf, 4 * PSZ, 0));
}

/*
 * A one-page mapping is kept small until an access or a copy first needs
 * it, and is then made a full mapping.  When that first access comes from
 * an unmap callback, while the unmap waits for the accesses to let go of
 * the range, the full mapping must stay closed to accesses as the small
 * one was, or the unmap would find a new pin every time it looks.
 */
TEST_F(access_pin, unmap_refuses_pins_of_small_mappings)
{
	__u64 unmapped = 0;
	__u32 id, id2;

	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, self->buf, 2 * PSZ,
			      BASE_IOVA));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, self->buf + 2 * PSZ, PSZ,
			      BASE_IOVA + 2 * PSZ));
	ASSERT_EQ(0, create_access(self->fd, self->ioas, NEEDS_PIN,
				   &self->afd));
	ASSERT_EQ(0, access_pages(self->fd, self->afd, BASE_IOVA, 2 * PSZ,
				  self->buf, 0, &id));
	/* The small mapping, pinned by the unmap callback below */
	ASSERT_EQ(0, access_pages(self->fd, self->afd, BASE_IOVA + 2 * PSZ,
				  PSZ, NULL, MOCK_FLAGS_ACCESS_PIN_ON_UNMAP,
				  &id2));
	EXPECT_EQ(0, ioas_unmap(self->fd, self->ioas, BASE_IOVA, 3 * PSZ,
				&unmapped));
	EXPECT_EQ(3 * PSZ, unmapped);
	EXPECT_EQ(ENOENT, destroy_access_pages(self->fd, self->afd, id));
	/* The pin in the callback was refused, as for the long mapping */
	EXPECT_EQ(EINVAL, destroy_access_pages(self->fd, self->afd, id2));
	EXPECT_EQ(0, check_refs(self->fd, self->buf, 3 * PSZ, 0));
}

/* A pinning access needs PAGE_SIZE alignment of the IOAS */
TEST_F(access_pin, alignment)
{
	unsigned long off = variant->domain ? MOCK_PSZ : 1;
	unsigned long base_align = variant->domain ? MOCK_PSZ : 1;
	char *buf = self->buf;
	struct ioasid_counters before;
	__u64 align = 0;
	int plain = -1;

	/* A mapping that is not page aligned blocks it */
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, buf + off, PSZ,
			      BASE_IOVA + off));
	before = counters_now();
	EXPECT_EQ(EADDRINUSE, create_access(self->fd, self->ioas, NEEDS_PIN,
					    &self->afd));
	self->afd = -1;
	EXPECT_EQ(before.objects, counters_now().objects);
	ASSERT_EQ(0, ioas_alignment(self->fd, self->ioas, &align));
	EXPECT_EQ(base_align, align);
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas, 0, UINT64_MAX, NULL));
	/* Page-aligned IOVA, but the user address or the length is not */
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, buf + MOCK_PSZ, PSZ,
			      BASE_IOVA));
	EXPECT_EQ(EADDRINUSE, create_access(self->fd, self->ioas, NEEDS_PIN,
					    &self->afd));
	self->afd = -1;
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas, 0, UINT64_MAX, NULL));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, buf, PSZ + MOCK_PSZ,
			      BASE_IOVA));
	EXPECT_EQ(EADDRINUSE, create_access(self->fd, self->ioas, NEEDS_PIN,
					    &self->afd));
	self->afd = -1;
	EXPECT_EQ(before.objects, counters_now().objects);
	/* An access that does not pin does not care */
	ASSERT_EQ(0, create_access(self->fd, self->ioas, 0, &plain));
	ASSERT_EQ(0, ioas_alignment(self->fd, self->ioas, &align));
	EXPECT_EQ(base_align, align);
	close(plain);

	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas, 0, UINT64_MAX, NULL));
	ASSERT_EQ(0, create_access(self->fd, self->ioas, NEEDS_PIN, &self->afd));
	ASSERT_EQ(0, ioas_alignment(self->fd, self->ioas, &align));
	EXPECT_EQ(PSZ, align);
	EXPECT_EQ(EINVAL, ioas_map(self->fd, self->ioas, buf + MOCK_PSZ, PSZ,
				   BASE_IOVA + MOCK_PSZ));
	EXPECT_EQ(EINVAL, ioas_map(self->fd, self->ioas, buf, MOCK_PSZ,
				   BASE_IOVA));
	EXPECT_EQ(EINVAL, ioas_map(self->fd, self->ioas, buf, PSZ,
				   BASE_IOVA + MOCK_PSZ));
	EXPECT_EQ(EINVAL, ioas_map(self->fd, self->ioas, buf + 1, PSZ,
				   BASE_IOVA));
	EXPECT_EQ(EINVAL, ioas_map(self->fd, self->ioas, buf, 100, BASE_IOVA));
	EXPECT_EQ(0, ioas_map(self->fd, self->ioas, buf, PSZ, BASE_IOVA));

	/* Without the access the alignment drops again */
	close(self->afd);
	self->afd = -1;
	ASSERT_EQ(0, ioas_alignment(self->fd, self->ioas, &align));
	EXPECT_EQ(base_align, align);
	EXPECT_EQ(0, ioas_map(self->fd, self->ioas, buf + PSZ + off, PSZ,
			      BASE_IOVA + 4 * PSZ + off));
}

/* Copies through the IOVA use the pinned pages */
TEST_F(access_pin, rw_through_pins)
{
	char *buf = self->buf;
	char data[300], out[300];
	__u32 id;

	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, buf, 4 * PSZ, BASE_IOVA));
	ASSERT_EQ(0, create_access(self->fd, self->ioas, NEEDS_PIN, &self->afd));
	ASSERT_EQ(0, access_pages(self->fd, self->afd, BASE_IOVA, 4 * PSZ, buf,
				  MOCK_FLAGS_ACCESS_WRITE, &id));
	fill_pattern(data, sizeof(data), 77);
	ASSERT_EQ(0, access_rw(self->fd, self->afd, BASE_IOVA + PSZ - 100,
			       data, sizeof(data),
			       MOCK_ACCESS_RW_WRITE | MOCK_ACCESS_RW_SLOW_PATH));
	EXPECT_EQ(0, memcmp(buf + PSZ - 100, data, sizeof(data)));
	buf[PSZ] ^= 0x55;
	data[100] ^= 0x55;
	memset(out, 0, sizeof(out));
	ASSERT_EQ(0, access_rw(self->fd, self->afd, BASE_IOVA + PSZ - 100,
			       out, sizeof(out), 0));
	EXPECT_EQ(0, memcmp(out, data, sizeof(out)));
	EXPECT_EQ(0, destroy_access_pages(self->fd, self->afd, id));
}

/* A copy in another IOAS shares the pins */
TEST_F(access_pin, pin_through_copy)
{
	char *buf = self->buf;
	__u64 dst = BASE_IOVA + 256 * PSZ;
	__u32 ioas2, id;

	ASSERT_EQ(0, ioas_alloc(self->fd, &ioas2));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, buf, 8 * PSZ, BASE_IOVA));
	ASSERT_EQ(0, ioas_copy(self->fd, ioas2, self->ioas, BASE_IOVA,
			       8 * PSZ, &dst, MAP_FIXED_RW));
	ASSERT_EQ(0, create_access(self->fd, ioas2, NEEDS_PIN, &self->afd));
	ASSERT_EQ(0, access_pages(self->fd, self->afd, dst + 2 * PSZ, 4 * PSZ,
				  buf + 2 * PSZ, 0, &id));
	EXPECT_EQ(0, check_refs(self->fd, buf + 2 * PSZ, 4 * PSZ, 1));
	EXPECT_EQ(0, check_refs(self->fd, buf, 2 * PSZ, self->idle));

	/* The original goes; the copy and its pin stay */
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas, BASE_IOVA, 8 * PSZ,
				NULL));
	EXPECT_EQ(0, check_refs(self->fd, buf + 2 * PSZ, 4 * PSZ, 1));
	EXPECT_EQ(0, check_refs(self->fd, buf, 2 * PSZ, 0));
	EXPECT_EQ(EBUSY, destroy_obj(self->fd, ioas2));
	EXPECT_EQ(0, destroy_access_pages(self->fd, self->afd, id));
	EXPECT_EQ(0, check_refs(self->fd, buf, 8 * PSZ, 0));
	close(self->afd);
	self->afd = -1;
	EXPECT_EQ(0, destroy_obj(self->fd, ioas2));
}

/* A domain attached while an access holds pins adds no pin */
TEST_F(access_pin, attach_while_pinned)
{
	char *buf = self->buf;
	__u32 id, stdev2, hwpt2;

	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, buf, 8 * PSZ, BASE_IOVA));
	ASSERT_EQ(0, create_access(self->fd, self->ioas, NEEDS_PIN, &self->afd));
	ASSERT_EQ(0, access_pages(self->fd, self->afd, BASE_IOVA + 2 * PSZ,
				  4 * PSZ, buf + 2 * PSZ, 0, &id));
	ASSERT_EQ(0, mock_domain(self->fd, self->ioas, &stdev2, &hwpt2, NULL));
	if (variant->domain)
		EXPECT_EQ(self->hwpt, hwpt2);
	EXPECT_EQ(0, check_map(self->fd, hwpt2, BASE_IOVA, buf, 8 * PSZ));
	EXPECT_EQ(0, check_refs(self->fd, buf, 8 * PSZ, 1));
	/* The access's pins outlive the domain */
	EXPECT_EQ(0, destroy_obj(self->fd, stdev2));
	EXPECT_EQ(0, check_refs(self->fd, buf, 2 * PSZ, self->idle));
	EXPECT_EQ(0, check_refs(self->fd, buf + 2 * PSZ, 4 * PSZ, 1));
	EXPECT_EQ(0, check_refs(self->fd, buf + 6 * PSZ, 2 * PSZ, self->idle));
	EXPECT_EQ(0, destroy_access_pages(self->fd, self->afd, id));
	EXPECT_EQ(0, check_refs(self->fd, buf, 8 * PSZ, self->idle));
}

TEST_F(access_pin, ioas_busy)
{
	ASSERT_EQ(0, create_access(self->fd, self->ioas, NEEDS_PIN, &self->afd));
	EXPECT_EQ(EBUSY, destroy_obj(self->fd, self->ioas));
	ASSERT_EQ(0, create_access(self->fd, self->ioas, 0, &self->afd2));
	close(self->afd);
	self->afd = -1;
	EXPECT_EQ(EBUSY, destroy_obj(self->fd, self->ioas));
	close(self->afd2);
	self->afd2 = -1;
	if (variant->domain) {
		EXPECT_EQ(EBUSY, destroy_obj(self->fd, self->ioas));
		EXPECT_EQ(0, destroy_obj(self->fd, self->stdev));
	}
	EXPECT_EQ(0, destroy_obj(self->fd, self->ioas));
}

/* Closing the access fd first unpins what it held */
TEST_F(access_pin, close_access_first)
{
	char *buf = self->buf;
	struct ioasid_counters start = counters_now();

	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, buf, 8 * PSZ, BASE_IOVA));
	ASSERT_EQ(0, create_access(self->fd, self->ioas, NEEDS_PIN, &self->afd));
	ASSERT_EQ(0, access_pages(self->fd, self->afd, BASE_IOVA, 4 * PSZ, buf,
				  0, NULL));
	ASSERT_EQ(0, access_pages(self->fd, self->afd, BASE_IOVA + 2 * PSZ,
				  6 * PSZ, buf + 2 * PSZ, 0, NULL));
	EXPECT_EQ(0, check_refs(self->fd, buf, 8 * PSZ, 1));
	close(self->afd);
	self->afd = -1;
	EXPECT_EQ(0, check_refs(self->fd, buf, 8 * PSZ, self->idle));
	EXPECT_EQ(start.objects, counters_now().objects);
	EXPECT_EQ(start.contexts, counters_now().contexts);
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas, BASE_IOVA, 8 * PSZ,
				NULL));
	EXPECT_EQ(0, check_refs(self->fd, buf, 8 * PSZ, 0));
}

/* The access keeps the context alive after /dev/ioasid is closed */
TEST_F(access_pin, close_ctx_first)
{
	char *buf = self->buf;
	struct ioasid_counters start = counters_now();

	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, buf, 8 * PSZ, BASE_IOVA));
	ASSERT_EQ(0, create_access(self->fd, self->ioas, NEEDS_PIN, &self->afd));
	ASSERT_EQ(0, access_pages(self->fd, self->afd, BASE_IOVA + PSZ,
				  4 * PSZ, buf + PSZ, 0, NULL));
	EXPECT_EQ(0, check_refs(self->fd, buf + PSZ, 4 * PSZ, 1));

	close(self->fd);
	self->fd = ioasid_open();
	ASSERT_LE(0, self->fd);
	/* Old and new context both exist; the pins are still there */
	EXPECT_EQ(start.contexts + 1, counters_now().contexts);
	EXPECT_EQ(start.objects + 1, counters_now().objects);
	EXPECT_EQ(0, check_refs(self->fd, buf + PSZ, 4 * PSZ, 1));
	EXPECT_EQ(0, check_refs(self->fd, buf, PSZ, self->idle));

	close(self->afd);
	self->afd = -1;
	/* Now the old context and everything in it went */
	EXPECT_EQ(start.contexts, counters_now().contexts);
	EXPECT_EQ(0, check_refs(self->fd, buf, 8 * PSZ, 0));
	EXPECT_EQ(self->env.start.pinned, counters_now().pinned);
	EXPECT_EQ(self->env.start.domains, counters_now().domains);
}

/* ---------------------------------------------------------------------- */

/*
 * A page the access wrote is dirty when it is unpinned: reclaim of a
 * MADV_FREE page keeps the data instead of dropping the page.
 */
TEST(unpin_marks_dirty)
{
	size_t len = 4 * PSZ, i, bad = 0;
	struct ioasid_env env;
	cpu_set_t cpus;
	char *buf, *pat;
	__u32 ioas, id;
	int fd, afd;

	/* One CPU, so the per-CPU LRU caches MADV_PAGEOUT drains are ours */
	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(cpus), &cpus));
	env_begin(&env);
	fd = ioasid_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioas_alloc(fd, &ioas));
	buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, buf);
	ASSERT_EQ(0, madvise(buf, len, MADV_NOHUGEPAGE));
	memset(buf, 1, len);
	/* Clean and free to drop, unless someone dirties it */
	ASSERT_EQ(0, madvise(buf, len, MADV_FREE));
	pat = malloc(len);
	ASSERT_NE(NULL, pat);
	memset(pat, 0x5a, len);

	ASSERT_EQ(0, ioas_map(fd, ioas, buf, len, BASE_IOVA));
	ASSERT_EQ(0, create_access(fd, ioas, NEEDS_PIN, &afd));
	ASSERT_EQ(0, access_pages(fd, afd, BASE_IOVA, len, NULL,
				  MOCK_FLAGS_ACCESS_WRITE, &id));
	/* Only the "device" writes; the CPU never touches the mapping */
	ASSERT_EQ(0, access_rw(fd, afd, BASE_IOVA, pat, len,
			       MOCK_ACCESS_RW_WRITE));
	ASSERT_EQ(0, destroy_access_pages(fd, afd, id));
	ASSERT_EQ(0, madvise(buf, len, MADV_PAGEOUT));
	for (i = 0; i != len; i++)
		bad += buf[i] != 0x5a;
	EXPECT_EQ(0, bad);

	close(afd);
	close(fd);
	env_end(&env);
	free(pat);
	munmap(buf, len);
}

/*
 * CREATE_ACCESS with no fd number left under RLIMIT_NOFILE: EMFILE, and
 * the access it made is gone again (the IOAS has no user left); with the
 * limit back it works
 */
TEST(create_access_emfile)
{
	struct rlimit old, low;
	struct ioasid_env env;
	__u32 ioas;
	int fd, afd = -1, lowest, rc;

	env_begin(&env);
	fd = ioasid_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioas_alloc(fd, &ioas));
	ASSERT_EQ(0, getrlimit(RLIMIT_NOFILE, &old));
	/* Every fd below the lowest free one is open: make that the limit */
	lowest = dup(0);
	ASSERT_LE(0, lowest);
	close(lowest);
	low = old;
	low.rlim_cur = lowest;
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &low));
	rc = create_access(fd, ioas, NEEDS_PIN, &afd);
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &old));
	EXPECT_EQ(EMFILE, rc);
	EXPECT_EQ(-1, afd);
	EXPECT_EQ(0, destroy_obj(fd, ioas));

	ASSERT_EQ(0, ioas_alloc(fd, &ioas));
	ASSERT_EQ(0, create_access(fd, ioas, NEEDS_PIN, &afd));
	EXPECT_EQ(lowest, afd);
	EXPECT_EQ(EBUSY, destroy_obj(fd, ioas));
	close(afd);
	EXPECT_EQ(0, destroy_obj(fd, ioas));
	close(fd);
	env_end(&env);
}

/* ---------------------------------------------------------------------- */

/*
 * Two mappings back to back: IOVA BASE_IOVA + x is byte x of the buffer for
 * x in [a, 4 pages), the boundary between them at 2 pages + a.
 */
FIXTURE(access_rw) {
	int fd;
	int afd;
	__u32 ioas;
	__u32 stdev;
	__u32 hwpt;
	size_t a;
	size_t len;
	char *buf;
	char *shadow;
	char *tmp;
	__u32 flags;
	struct ioasid_env env;
};

FIXTURE_VARIANT(access_rw) {
	bool domain;
	bool slow;
};

FIXTURE_VARIANT_ADD(access_rw, plain) {
	.domain = false,
	.slow = false,
};

FIXTURE_VARIANT_ADD(access_rw, slow) {
	.domain = false,
	.slow = true,
};

FIXTURE_VARIANT_ADD(access_rw, domain) {
	.domain = true,
	.slow = false,
};

FIXTURE_VARIANT_ADD(access_rw, domain_slow) {
	.domain = true,
	.slow = true,
};

FIXTURE_SETUP(access_rw)
{
	self->afd = -1;
	env_begin(&self->env);
	self->fd = ioasid_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, ioas_alloc(self->fd, &self->ioas));
	if (variant->domain)
		ASSERT_EQ(0, mock_domain(self->fd, self->ioas, &self->stdev,
					 &self->hwpt, NULL));
	self->flags = variant->slow ? MOCK_ACCESS_RW_SLOW_PATH : 0;
	/* With a domain, mappings must be in IO pages */
	self->a = variant->domain ? MOCK_PSZ : 5;
	self->len = 4 * PSZ;
	self->buf = alloc_buffer(self->len, PSZ, 0);
	self->shadow = malloc(self->len);
	self->tmp = malloc(self->len);
	ASSERT_NE(NULL, self->buf);
	ASSERT_NE(NULL, self->shadow);
	ASSERT_NE(NULL, self->tmp);
	fill_pattern(self->buf, self->len, 3);
	memcpy(self->shadow, self->buf, self->len);

	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, self->buf + self->a,
			      2 * PSZ, BASE_IOVA + self->a));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas,
			      self->buf + 2 * PSZ + self->a,
			      2 * PSZ - self->a,
			      BASE_IOVA + 2 * PSZ + self->a));
	ASSERT_EQ(0, create_access(self->fd, self->ioas, 0, &self->afd));
}

FIXTURE_TEARDOWN(access_rw)
{
	if (self->afd >= 0)
		close(self->afd);
	if (self->fd >= 0)
		close(self->fd);
	env_end(&self->env);
	if (self->buf)
		munmap(self->buf, self->len);
	free(self->shadow);
	free(self->tmp);
}

/* Offsets and lengths relative to the page size */
static void rw_case_resolve(size_t a, size_t psz, unsigned int i,
			    size_t *off, size_t *len)
{
	const size_t end = 4 * psz;
	const size_t b = 2 * psz + a;	/* the boundary between mappings */

	switch (i) {
	case 0: *off = a; *len = 1; break;
	case 1: *off = a + 1; *len = 13; break;
	case 2: *off = psz - 3; *len = 7; break;		/* page */
	case 3: *off = b - 5; *len = 10; break;		/* mapping */
	case 4: *off = b - 1; *len = 1; break;
	case 5: *off = b; *len = 1; break;
	case 6: *off = psz + 100; *len = 2 * psz; break;	/* both */
	case 7: *off = end - 9; *len = 9; break;
	default: *off = a; *len = end - a; break;		/* all */
	}
}

#define RW_CASES 9

/* Reading through the IOVA returns what the CPU wrote */
TEST_F(access_rw, read)
{
	unsigned int i;

	for (i = 0; i != RW_CASES; i++) {
		size_t off, len;

		rw_case_resolve(self->a, PSZ, i, &off, &len);
		memset(self->tmp, 0, len);
		ASSERT_EQ(0, access_rw(self->fd, self->afd, BASE_IOVA + off,
				       self->tmp, len, self->flags));
		EXPECT_EQ(0, memcmp(self->tmp, self->buf + off, len))
			TH_LOG("case %u: off %zu len %zu", i, off, len);
	}
	/* A CPU write is visible at once */
	self->buf[2 * PSZ + self->a] ^= 0xa5;
	ASSERT_EQ(0, access_rw(self->fd, self->afd,
			       BASE_IOVA + 2 * PSZ + self->a - 1, self->tmp, 2,
			       self->flags));
	EXPECT_EQ(0, memcmp(self->tmp, self->buf + 2 * PSZ + self->a - 1, 2));
}

/* Writing through the IOVA changes exactly those bytes of the buffer */
TEST_F(access_rw, write)
{
	unsigned int i;

	for (i = 0; i != RW_CASES; i++) {
		size_t off, len;

		rw_case_resolve(self->a, PSZ, i, &off, &len);
		fill_pattern(self->tmp, len, 100 + i);
		ASSERT_EQ(0, access_rw(self->fd, self->afd, BASE_IOVA + off,
				       self->tmp, len,
				       self->flags | MOCK_ACCESS_RW_WRITE));
		memcpy(self->shadow + off, self->tmp, len);
		EXPECT_EQ(0, memcmp(self->buf, self->shadow, self->len))
			TH_LOG("case %u: off %zu len %zu", i, off, len);
	}
	/* And reads back the same way */
	ASSERT_EQ(0, access_rw(self->fd, self->afd, BASE_IOVA + self->a,
			       self->tmp, self->len - self->a, self->flags));
	EXPECT_EQ(0, memcmp(self->tmp, self->shadow + self->a,
			    self->len - self->a));
	/* A domain still maps the pages that were written */
	if (variant->domain)
		EXPECT_EQ(0, check_map(self->fd, self->hwpt,
				       BASE_IOVA + self->a, self->buf + self->a,
				       self->len - self->a));
}

TEST_F(access_rw, errors)
{
	size_t a = self->a;
	char b[16];

	/* Not mapped, or only in part */
	EXPECT_EQ(ENOENT, access_rw(self->fd, self->afd, BASE_IOVA + 64 * PSZ,
				    b, 8, self->flags));
	EXPECT_EQ(ENOENT, access_rw(self->fd, self->afd,
				    BASE_IOVA + 4 * PSZ - 4, b, 8,
				    self->flags));
	EXPECT_EQ(ENOENT, access_rw(self->fd, self->afd, BASE_IOVA + a - 1, b,
				    4, self->flags | MOCK_ACCESS_RW_WRITE));
	EXPECT_EQ(ENOENT, access_rw(self->fd, self->afd, BASE_IOVA + 4 * PSZ,
				    b, 1, self->flags | MOCK_ACCESS_RW_WRITE));
	EXPECT_EQ(EINVAL, access_rw(self->fd, self->afd, BASE_IOVA + a, b, 0,
				    self->flags));
	EXPECT_EQ(EOPNOTSUPP, access_rw(self->fd, self->afd, BASE_IOVA + a, b,
					4, self->flags | (1 << 1)));
	EXPECT_EQ(EOPNOTSUPP, access_rw(self->fd, self->afd, BASE_IOVA + a, b,
					4, self->flags | (1U << 31)));
	EXPECT_EQ(ENOMEM, access_rw(self->fd, self->afd, BASE_IOVA + a, b,
				    (16UL << 20) + 1, self->flags));
	EXPECT_EQ(EOVERFLOW, access_rw(self->fd, self->afd, UINT64_MAX - 3, b,
				       8, self->flags));
	EXPECT_EQ(EBADFD, access_rw(self->fd, self->fd, BASE_IOVA + a, b, 4,
				    self->flags));
	EXPECT_EQ(EBADFD, access_rw(self->fd, -1, BASE_IOVA + a, b, 4,
				    self->flags));
	/* A bad user pointer on our side of the copy */
	EXPECT_EQ(EFAULT, access_rw(self->fd, self->afd, BASE_IOVA + a, NULL,
				    4, self->flags));
	/* Nothing was written by the failed calls */
	EXPECT_EQ(0, memcmp(self->buf, self->shadow, self->len));
}

/* The direction must be allowed by the mapping */
TEST_F(access_rw, permissions)
{
	char *ro = alloc_buffer(2 * PSZ, PSZ, 0);
	char b[64], c[64];
	__u64 ro_iova = BASE_IOVA + 32 * PSZ, wo_iova = BASE_IOVA + 40 * PSZ;

	ASSERT_NE(NULL, ro);
	fill_pattern(ro, 2 * PSZ, 9);
	ASSERT_EQ(0, ioas_map_flags(self->fd, self->ioas, ro, PSZ, &ro_iova,
				    IOMMU_IOAS_MAP_FIXED_IOVA |
					    IOMMU_IOAS_MAP_READABLE));
	ASSERT_EQ(0, ioas_map_flags(self->fd, self->ioas, ro + PSZ, PSZ,
				    &wo_iova,
				    IOMMU_IOAS_MAP_FIXED_IOVA |
					    IOMMU_IOAS_MAP_WRITEABLE));
	fill_pattern(b, sizeof(b), 200);

	EXPECT_EQ(EPERM, access_rw(self->fd, self->afd, ro_iova + 10, b,
				   sizeof(b),
				   self->flags | MOCK_ACCESS_RW_WRITE));
	EXPECT_EQ(EPERM, access_rw(self->fd, self->afd, wo_iova + 10, c,
				   sizeof(c), self->flags));
	EXPECT_NE(0, memcmp(ro + 10, b, sizeof(b)));

	EXPECT_EQ(0, access_rw(self->fd, self->afd, ro_iova + 10, c, sizeof(c),
			       self->flags));
	EXPECT_EQ(0, memcmp(ro + 10, c, sizeof(c)));
	EXPECT_EQ(0, access_rw(self->fd, self->afd, wo_iova + 10, b, sizeof(b),
			       self->flags | MOCK_ACCESS_RW_WRITE));
	EXPECT_EQ(0, memcmp(ro + PSZ + 10, b, sizeof(b)));
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas, ro_iova, PSZ, NULL));
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas, wo_iova, PSZ, NULL));
	munmap(ro, 2 * PSZ);
}

/*
 * From a forked child the IOVA still reaches the parent's memory, not the
 * child's copy of it.
 */
TEST_F(access_rw, from_child)
{
	size_t off = PSZ + 3;
	char data[64];
	int status;
	pid_t pid;

	fill_pattern(data, sizeof(data), 55);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		memset(self->buf, 0, self->len);
		memset(self->tmp, 0xff, self->len);
		if (access_rw(self->fd, self->afd, BASE_IOVA + self->a,
			      self->tmp, self->len - self->a, self->flags))
			_exit(1);
		if (memcmp(self->tmp, self->shadow + self->a,
			   self->len - self->a))
			_exit(2);
		if (access_rw(self->fd, self->afd, BASE_IOVA + off, data,
			      sizeof(data),
			      self->flags | MOCK_ACCESS_RW_WRITE))
			_exit(3);
		_exit(self->buf[off] ? 4 : 0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
	memcpy(self->shadow + off, data, sizeof(data));
	EXPECT_EQ(0, memcmp(self->buf, self->shadow, self->len));
	if (variant->domain)
		EXPECT_EQ(0, check_map(self->fd, self->hwpt,
				       BASE_IOVA + self->a, self->buf + self->a,
				       self->len - self->a));
}

/* Memory that went away: a domain's pins keep it, otherwise EFAULT */
TEST_F(access_rw, after_munmap)
{
	char *gone = alloc_buffer(2 * PSZ, PSZ, 0);
	__u64 iova = BASE_IOVA + 64 * PSZ;
	char expect[100];

	ASSERT_NE(NULL, gone);
	fill_pattern(gone, 2 * PSZ, 21);
	memcpy(expect, gone + PSZ - 50, sizeof(expect));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, gone, 2 * PSZ, iova));
	ASSERT_EQ(0, munmap(gone, 2 * PSZ));

	memset(self->tmp, 0, sizeof(expect));
	if (variant->domain) {
		EXPECT_EQ(0, access_rw(self->fd, self->afd, iova + PSZ - 50,
				       self->tmp, sizeof(expect),
				       self->flags));
		EXPECT_EQ(0, memcmp(self->tmp, expect, sizeof(expect)));
		EXPECT_EQ(0, access_rw(self->fd, self->afd, iova + PSZ - 50,
				       self->tmp, sizeof(expect),
				       self->flags | MOCK_ACCESS_RW_WRITE));
	} else {
		EXPECT_EQ(EFAULT, access_rw(self->fd, self->afd,
					    iova + PSZ - 50, self->tmp,
					    sizeof(expect), self->flags));
		EXPECT_EQ(EFAULT, access_rw(self->fd, self->afd, iova,
					    self->tmp, sizeof(expect),
					    self->flags |
						    MOCK_ACCESS_RW_WRITE));
	}
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas, iova, 2 * PSZ, NULL));
	/* The main mappings are fine */
	EXPECT_EQ(0, access_rw(self->fd, self->afd, BASE_IOVA + self->a,
			       self->tmp, PSZ, self->flags));
	EXPECT_EQ(0, memcmp(self->tmp, self->buf + self->a, PSZ));
}

TEST_HARNESS_MAIN
