// SPDX-License-Identifier: GPL-2.0-only
/*
 * Run with ioasid loaded without test_mode: the test command must not
 * exist, while the normal uAPI works.
 */
#include "ioasid_utils.h"

TEST(test_cmd_refused)
{
	struct iommu_test_cmd cmd = { .op = IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT,
				      .memory_limit = { .limit = 65536 } };
	int fd = ioasid_open();
	__u32 ioas;

	ASSERT_LE(0, fd);
	EXPECT_EQ(ENOTTY, test_cmd(fd, &cmd));
	EXPECT_EQ(0, ioas_alloc(fd, &ioas));
	EXPECT_EQ(0, destroy_obj(fd, ioas));
	close(fd);
}

TEST_HARNESS_MAIN
