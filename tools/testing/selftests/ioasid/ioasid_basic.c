// SPDX-License-Identifier: GPL-2.0-only
/*
 * The ioctl dispatcher, object IDs and lifetimes, IOMMU_DESTROY and
 * IOMMU_OPTION.
 */
#include <sys/resource.h>

#include "ioasid_utils.h"

FIXTURE(basic) {
	int fd;
	struct ioasid_env env;
};

FIXTURE_SETUP(basic)
{
	env_begin(&self->env);
	self->fd = ioasid_open();
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(basic)
{
	if (self->fd >= 0)
		close(self->fd);
	env_end(&self->env);
}

TEST_F(basic, unknown_ioctls)
{
	__u64 buf[16] = { sizeof(buf) };

	/* Below the iommufd range, holes in it, above it, wrong type */
	EXPECT_EQ(ENOTTY, xioctl(self->fd, _IO(IOMMUFD_TYPE, 0x7f), buf));
	EXPECT_EQ(ENOTTY, xioctl(self->fd, _IO(IOMMUFD_TYPE, 0x00), buf));
	EXPECT_EQ(ENOTTY, xioctl(self->fd, _IO(IOMMUFD_TYPE, 0x8f), buf));
	EXPECT_EQ(ENOTTY, xioctl(self->fd, _IO(IOMMUFD_TYPE, 0xa1), buf));
	EXPECT_EQ(ENOTTY, xioctl(self->fd, _IO(IOMMUFD_TYPE, 0xff), buf));
	EXPECT_EQ(ENOTTY, xioctl(self->fd, _IO('Q', 0x80), buf));
	/* Size or direction bits make it another ioctl */
	EXPECT_EQ(ENOTTY, xioctl(self->fd, _IOWR(IOMMUFD_TYPE, 0x80, __u64),
				 buf));
}

TEST_F(basic, bad_pointer)
{
	EXPECT_EQ(EFAULT, xioctl(self->fd, IOMMU_DESTROY, NULL));
	EXPECT_EQ(EFAULT, xioctl(self->fd, IOMMU_IOAS_ALLOC, (void *)8));
}

struct size_case {
	unsigned long cmd;
	__u32 min_size;
	__u32 size;
};

static const struct size_case size_cases[] = {
	{ IOMMU_DESTROY, 8, sizeof(struct iommu_destroy) },
	{ IOMMU_IOAS_ALLOC, 12, sizeof(struct iommu_ioas_alloc) },
	{ IOMMU_IOAS_ALLOW_IOVAS, 24, sizeof(struct iommu_ioas_allow_iovas) },
	{ IOMMU_IOAS_COPY, 40, sizeof(struct iommu_ioas_copy) },
	{ IOMMU_IOAS_IOVA_RANGES, 32, sizeof(struct iommu_ioas_iova_ranges) },
	{ IOMMU_IOAS_MAP, 40, sizeof(struct iommu_ioas_map) },
	{ IOMMU_IOAS_UNMAP, 24, sizeof(struct iommu_ioas_unmap) },
	{ IOMMU_OPTION, 24, sizeof(struct iommu_option) },
	{ IOMMU_HWPT_INVALIDATE, 32, sizeof(struct iommu_hwpt_invalidate) },
	{ IOMMU_TEST_CMD, 52, sizeof(struct iommu_test_cmd) },
};

/* Every ioctl: EINVAL below the minimum size, E2BIG for a non-zero tail */
TEST_F(basic, struct_size_rules)
{
	unsigned char buf[256];
	unsigned int i;

	for (i = 0; i != sizeof(size_cases) / sizeof(size_cases[0]); i++) {
		const struct size_case *c = &size_cases[i];
		int base;

		/* Too small is EINVAL whatever the other bytes say */
		memset(buf, 0xff, sizeof(buf));
		*(__u32 *)buf = c->min_size - 1;
		EXPECT_EQ(EINVAL, xioctl(self->fd, c->cmd, buf));

		/* Non-zero byte past the kernel's structure */
		memset(buf, 0, sizeof(buf));
		*(__u32 *)buf = c->size + 8;
		buf[c->size + 7] = 1;
		EXPECT_EQ(E2BIG, xioctl(self->fd, c->cmd, buf));

		/* Zero tail: the same answer as the exact size */
		memset(buf, 0, sizeof(buf));
		*(__u32 *)buf = c->size;
		base = xioctl(self->fd, c->cmd, buf);
		memset(buf, 0, sizeof(buf));
		*(__u32 *)buf = c->size + 8;
		EXPECT_EQ(base, xioctl(self->fd, c->cmd, buf));
		TH_LOG("ioctl %lx: answer %d", c->cmd, base);
	}
}

/* The structure is copied back only up to the size the caller gave */
TEST_F(basic, partial_copy_back)
{
	struct {
		struct iommu_ioas_alloc cmd;
		__u32 after;
	} buf = {};
	struct {
		struct iommu_ioas_alloc cmd;
		__u32 after[4];
	} big = {};

	buf.cmd.size = sizeof(buf.cmd);
	buf.after = 0xdeadbeef;
	ASSERT_EQ(0, xioctl(self->fd, IOMMU_IOAS_ALLOC, &buf));
	EXPECT_EQ(1, buf.cmd.out_ioas_id);
	EXPECT_EQ(0xdeadbeef, buf.after);

	/* A larger, zero-tailed structure keeps its tail zero */
	big.cmd.size = sizeof(big);
	ASSERT_EQ(0, xioctl(self->fd, IOMMU_IOAS_ALLOC, &big));
	EXPECT_EQ(2, big.cmd.out_ioas_id);
	EXPECT_EQ(0, big.after[0] | big.after[1] | big.after[2] | big.after[3]);
}

TEST_F(basic, ioas_alloc)
{
	struct iommu_ioas_alloc cmd = { .size = sizeof(cmd), .flags = 1 };
	__u32 a, b;

	EXPECT_EQ(EOPNOTSUPP, xioctl(self->fd, IOMMU_IOAS_ALLOC, &cmd));
	cmd.flags = 1U << 31;
	EXPECT_EQ(EOPNOTSUPP, xioctl(self->fd, IOMMU_IOAS_ALLOC, &cmd));

	/* IDs start at 1 */
	ASSERT_EQ(0, ioas_alloc(self->fd, &a));
	ASSERT_EQ(0, ioas_alloc(self->fd, &b));
	EXPECT_EQ(1, a);
	EXPECT_EQ(2, b);
	EXPECT_EQ(0, destroy_obj(self->fd, a));
	EXPECT_EQ(0, destroy_obj(self->fd, b));
}

TEST_F(basic, destroy_errors)
{
	__u32 ioas;

	EXPECT_EQ(ENOENT, destroy_obj(self->fd, 0));
	EXPECT_EQ(ENOENT, destroy_obj(self->fd, 1));
	EXPECT_EQ(ENOENT, destroy_obj(self->fd, UINT32_MAX));
	ASSERT_EQ(0, ioas_alloc(self->fd, &ioas));
	EXPECT_EQ(0, destroy_obj(self->fd, ioas));
	EXPECT_EQ(ENOENT, destroy_obj(self->fd, ioas));
}

/* An object another depends on cannot go; the dependency order unwinds */
TEST_F(basic, destroy_busy)
{
	__u32 ioas, stdev, hwpt, idev;

	ASSERT_EQ(0, ioas_alloc(self->fd, &ioas));
	ASSERT_EQ(0, mock_domain(self->fd, ioas, &stdev, &hwpt, &idev));
	EXPECT_NE(ioas, hwpt);
	EXPECT_NE(stdev, hwpt);
	EXPECT_NE(idev, hwpt);

	EXPECT_EQ(EBUSY, destroy_obj(self->fd, ioas));
	EXPECT_EQ(EBUSY, destroy_obj(self->fd, hwpt));
	/* A device belongs to its driver (the mock device here) */
	EXPECT_EQ(EBUSY, destroy_obj(self->fd, idev));

	/* The automatic HWPT goes with its last device */
	EXPECT_EQ(0, destroy_obj(self->fd, stdev));
	EXPECT_EQ(ENOENT, destroy_obj(self->fd, hwpt));
	EXPECT_EQ(ENOENT, destroy_obj(self->fd, idev));
	EXPECT_EQ(0, destroy_obj(self->fd, ioas));
}

/* An IOAS with mappings but no user can be destroyed */
TEST_F(basic, destroy_ioas_with_mappings)
{
	void *buf = alloc_buffer(16 * PSZ, PSZ, 0);
	__u32 ioas, stdev;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, ioas_alloc(self->fd, &ioas));
	ASSERT_EQ(0, mock_domain(self->fd, ioas, &stdev, NULL, NULL));
	ASSERT_EQ(0, ioas_map(self->fd, ioas, buf, 16 * PSZ, MOCK_APERTURE_START));
	EXPECT_EQ(0, check_refs(self->fd, buf, 16 * PSZ, 1));
	ASSERT_EQ(0, destroy_obj(self->fd, stdev));
	EXPECT_EQ(0, destroy_obj(self->fd, ioas));
	EXPECT_EQ(0, check_refs(self->fd, buf, 16 * PSZ, 0));
	munmap(buf, 16 * PSZ);
}

/* Closing the fd with everything alive cleans up (checked by env_end) */
TEST_F(basic, close_with_live_objects)
{
	void *buf = alloc_buffer(64 * PSZ, PSZ, 0);
	__u32 ioas, ioas2, hwpt;
	__u64 iova = MOCK_APERTURE_START;
	int access_fd;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, ioas_alloc(self->fd, &ioas));
	ASSERT_EQ(0, ioas_alloc(self->fd, &ioas2));
	ASSERT_EQ(0, mock_domain(self->fd, ioas, NULL, &hwpt, NULL));
	ASSERT_EQ(0, mock_domain(self->fd, hwpt, NULL, NULL, NULL));
	ASSERT_EQ(0, mock_domain(self->fd, ioas2, NULL, NULL, NULL));
	ASSERT_EQ(0, ioas_map(self->fd, ioas, buf, 64 * PSZ, iova));
	ASSERT_EQ(0, ioas_copy(self->fd, ioas2, ioas, iova, 32 * PSZ, &iova,
			       MAP_FIXED_RW));
	ASSERT_EQ(0, create_access(self->fd, ioas,
				   MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
				   &access_fd));
	ASSERT_EQ(0, access_pages(self->fd, access_fd, iova, 4 * PSZ, buf, 0,
				  NULL));
	EXPECT_EQ(0, check_refs(self->fd, buf, 64 * PSZ, 1));

	/* The access holds the context: closing the fd first frees nothing */
	close(self->fd);
	self->fd = ioasid_open();
	ASSERT_LE(0, self->fd);
	close(access_fd);
	EXPECT_EQ(0, check_refs(self->fd, buf, 64 * PSZ, 0));
	munmap(buf, 64 * PSZ);
}

/* A forked child shares the context; the last close cleans up */
TEST_F(basic, close_after_fork)
{
	void *buf = alloc_buffer(8 * PSZ, PSZ, 0);
	__u32 ioas;
	int status;
	pid_t pid;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, ioas_alloc(self->fd, &ioas));
	ASSERT_EQ(0, mock_domain(self->fd, ioas, NULL, NULL, NULL));
	ASSERT_EQ(0, ioas_map(self->fd, ioas, buf, 8 * PSZ,
			      MOCK_APERTURE_START));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		__u64 unmapped;

		/* The child sees the same objects */
		_exit(ioas_unmap(self->fd, ioas, MOCK_APERTURE_START, 8 * PSZ,
				 &unmapped) || unmapped != 8 * PSZ);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(0, check_refs(self->fd, buf, 8 * PSZ, 0));
	munmap(buf, 8 * PSZ);
}

TEST_F(basic, option_errors)
{
	__u64 val = 0;
	struct iommu_option cmd = {
		.size = sizeof(cmd),
		.option_id = IOMMU_OPTION_RLIMIT_MODE,
		.op = IOMMU_OPTION_OP_GET,
		.__reserved = 1,
	};

	EXPECT_EQ(EOPNOTSUPP, xioctl(self->fd, IOMMU_OPTION, &cmd));
	EXPECT_EQ(EOPNOTSUPP, ioasid_option(self->fd, 99, IOMMU_OPTION_OP_GET,
					    0, &val));
	EXPECT_EQ(EOPNOTSUPP, ioasid_option(self->fd, IOMMU_OPTION_RLIMIT_MODE,
					    2, 0, &val));
	EXPECT_EQ(EOPNOTSUPP, ioasid_option(self->fd, IOMMU_OPTION_RLIMIT_MODE,
					    IOMMU_OPTION_OP_GET, 1, &val));
}

TEST_F(basic, option_rlimit_mode)
{
	__u64 val = 99;
	__u32 ioas;
	int status;
	pid_t pid;

	ASSERT_EQ(0, ioasid_option(self->fd, IOMMU_OPTION_RLIMIT_MODE,
				   IOMMU_OPTION_OP_GET, 0, &val));
	EXPECT_EQ(0, val);

	val = 2;
	EXPECT_EQ(EINVAL, ioasid_option(self->fd, IOMMU_OPTION_RLIMIT_MODE,
					IOMMU_OPTION_OP_SET, 0, &val));
	val = 1;
	ASSERT_EQ(0, ioasid_option(self->fd, IOMMU_OPTION_RLIMIT_MODE,
				   IOMMU_OPTION_OP_SET, 0, &val));
	val = 0;
	ASSERT_EQ(0, ioasid_option(self->fd, IOMMU_OPTION_RLIMIT_MODE,
				   IOMMU_OPTION_OP_GET, 0, &val));
	EXPECT_EQ(1, val);

	/* Not once objects exist */
	ASSERT_EQ(0, ioas_alloc(self->fd, &ioas));
	val = 0;
	EXPECT_EQ(EBUSY, ioasid_option(self->fd, IOMMU_OPTION_RLIMIT_MODE,
				       IOMMU_OPTION_OP_SET, 0, &val));
	ASSERT_EQ(0, destroy_obj(self->fd, ioas));

	/* Changing it needs CAP_SYS_RESOURCE */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		__u64 v = 0;

		if (setresuid(65534, 65534, 65534))
			_exit(100);
		_exit(ioasid_option(self->fd, IOMMU_OPTION_RLIMIT_MODE,
				    IOMMU_OPTION_OP_SET, 0, &v));
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(EPERM, WEXITSTATUS(status));
}

TEST_F(basic, option_huge_pages)
{
	void *buf = alloc_buffer(4 * PSZ, PSZ, 0);
	struct iommu_iova_range range;
	__u64 val = 0, align;
	__u32 ioas, num;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, ioas_alloc(self->fd, &ioas));
	EXPECT_EQ(ENOENT, ioasid_option(self->fd, IOMMU_OPTION_HUGE_PAGES,
					IOMMU_OPTION_OP_GET, 0, &val));
	EXPECT_EQ(ENOENT, ioasid_option(self->fd, IOMMU_OPTION_HUGE_PAGES,
					IOMMU_OPTION_OP_GET, ioas + 1, &val));
	ASSERT_EQ(0, ioasid_option(self->fd, IOMMU_OPTION_HUGE_PAGES,
				   IOMMU_OPTION_OP_GET, ioas, &val));
	EXPECT_EQ(1, val);
	val = 2;
	EXPECT_EQ(EINVAL, ioasid_option(self->fd, IOMMU_OPTION_HUGE_PAGES,
					IOMMU_OPTION_OP_SET, ioas, &val));
	EXPECT_EQ(EOPNOTSUPP, ioasid_option(self->fd, IOMMU_OPTION_HUGE_PAGES,
					    3, ioas, &val));

	/* Disabling raises the alignment to PAGE_SIZE */
	val = 0;
	ASSERT_EQ(0, ioasid_option(self->fd, IOMMU_OPTION_HUGE_PAGES,
				   IOMMU_OPTION_OP_SET, ioas, &val));
	num = 1;
	ASSERT_EQ(0, ioas_ranges(self->fd, ioas, &range, &num, &align));
	EXPECT_EQ(PSZ, align);
	ASSERT_EQ(0, ioasid_option(self->fd, IOMMU_OPTION_HUGE_PAGES,
				   IOMMU_OPTION_OP_GET, ioas, &val));
	EXPECT_EQ(0, val);
	val = 1;
	ASSERT_EQ(0, ioasid_option(self->fd, IOMMU_OPTION_HUGE_PAGES,
				   IOMMU_OPTION_OP_SET, ioas, &val));
	num = 1;
	ASSERT_EQ(0, ioas_ranges(self->fd, ioas, &range, &num, &align));
	EXPECT_EQ(1, align);

	/* A sub-page mapping forbids PAGE_SIZE alignment */
	ASSERT_EQ(0, ioas_map(self->fd, ioas, buf, 100, 0x10000 + 1));
	val = 0;
	EXPECT_EQ(EADDRINUSE, ioasid_option(self->fd, IOMMU_OPTION_HUGE_PAGES,
					    IOMMU_OPTION_OP_SET, ioas, &val));
	ASSERT_EQ(0, ioas_unmap(self->fd, ioas, 0, UINT64_MAX, NULL));

	/* Not while a domain holds mappings */
	ASSERT_EQ(0, mock_domain(self->fd, ioas, NULL, NULL, NULL));
	ASSERT_EQ(0, ioas_map(self->fd, ioas, buf, 4 * PSZ,
			      MOCK_APERTURE_START));
	EXPECT_EQ(EINVAL, ioasid_option(self->fd, IOMMU_OPTION_HUGE_PAGES,
					IOMMU_OPTION_OP_SET, ioas, &val));
	ASSERT_EQ(0, ioas_unmap(self->fd, ioas, 0, UINT64_MAX, NULL));
	EXPECT_EQ(0, ioasid_option(self->fd, IOMMU_OPTION_HUGE_PAGES,
				   IOMMU_OPTION_OP_SET, ioas, &val));
	munmap(buf, 4 * PSZ);
}

TEST_F(basic, test_cmd_rules)
{
	struct iommu_test_cmd cmd = { .op = 1000 };
	struct iommu_test_cmd old = {};

	EXPECT_EQ(EOPNOTSUPP, test_cmd(self->fd, &cmd));
	memset(&cmd, 0, sizeof(cmd));
	cmd.op = IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT;
	cmd.__reserved = 1;
	cmd.memory_limit.limit = 65536;
	EXPECT_EQ(EOPNOTSUPP, test_cmd(self->fd, &cmd));
	cmd.__reserved = 0;
	cmd.memory_limit.limit = IOASID_TEST_MIN_MEMORY_LIMIT - 1;
	EXPECT_EQ(EINVAL, test_cmd(self->fd, &cmd));

	/* The 56-byte layout of Linux <= 6.6 is accepted, the minimum too */
	old.size = 56;
	old.op = IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT;
	old.memory_limit.limit = 65536;
	EXPECT_EQ(0, xioctl(self->fd, IOMMU_TEST_CMD, &old));
	old.size = IOMMU_TEST_CMD_MIN_SIZE;
	EXPECT_EQ(0, xioctl(self->fd, IOMMU_TEST_CMD, &old));
}

TEST_HARNESS_MAIN
