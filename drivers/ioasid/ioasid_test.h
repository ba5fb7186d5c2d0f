/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * IOMMU_TEST_CMD: the test-only ioctl behind the mock IOMMU.  Shared by the
 * module and the selftests under tools/testing/selftests/ioasid.  The layout
 * and numbers are those of the upstream iommufd selftest ABI, so both its
 * 56-byte (Linux <= 6.6) and 72-byte (Linux >= 6.7) command structures work.
 *
 * The module refuses the command with ENOTTY unless it was loaded with
 * test_mode=1.  Include <linux/ioasid.h> before this file.
 */
#ifndef _IOASID_TEST_H
#define _IOASID_TEST_H

#include <linux/types.h>

#define IOMMU_TEST_CMD _IO(IOMMUFD_TYPE, IOMMUFD_CMD_BASE + 32)

enum {
	IOMMU_TEST_OP_ADD_RESERVED = 1,
	IOMMU_TEST_OP_MOCK_DOMAIN,
	IOMMU_TEST_OP_MD_CHECK_MAP,
	IOMMU_TEST_OP_MD_CHECK_REFS,
	IOMMU_TEST_OP_CREATE_ACCESS,
	IOMMU_TEST_OP_DESTROY_ACCESS_PAGES,
	IOMMU_TEST_OP_ACCESS_PAGES,
	IOMMU_TEST_OP_ACCESS_RW,
	IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT,
	IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE,
	IOMMU_TEST_OP_ACCESS_REPLACE_IOAS,
	IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS,
	IOMMU_TEST_OP_DIRTY,
};

/* dev_flags of MOCK_DOMAIN_FLAGS */
enum {
	/* The device's IOMMU cannot track dirty pages */
	MOCK_FLAGS_DEVICE_NO_DIRTY = 1 << 0,
	/*
	 * ioasid only (upstream's mock cannot enforce): the device's IOMMU
	 * can block no-snoop DMA, like VT-d with Snoop Control.  Its domains
	 * enforce when asked before their first map and while only such
	 * devices were attached, and then refuse other devices.
	 */
	MOCK_FLAGS_DEVICE_ENFORCE_CC = 1 << 16,
};

/* Geometry of a mock domain: IO pages of half a CPU page */
enum {
	MOCK_APERTURE_START = 1UL << 24,
	MOCK_APERTURE_LAST = (1UL << 31) - 1,
	/* The reserved MSI window every mock device reports, as on x86 */
	MOCK_MSI_START = 0xfee00000UL,
	MOCK_MSI_LENGTH = 0x100000UL,
};

enum {
	MOCK_FLAGS_ACCESS_WRITE = 1 << 0,
	MOCK_FLAGS_ACCESS_SYZ = 1 << 16,
};

enum {
	MOCK_ACCESS_RW_WRITE = 1 << 0,
	MOCK_ACCESS_RW_SLOW_PATH = 1 << 2,
};

enum {
	MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES = 1 << 0,
	/* The unmap callback tries to pin each range again after unpinning */
	MOCK_FLAGS_ACCESS_CREATE_REPIN_ON_UNMAP = 1 << 2,
};

/* IOMMU_GET_HW_INFO of a mock device, as upstream's selftest expects */
#define IOMMU_HW_INFO_TYPE_SELFTEST 0xfeedbeef
#define IOMMU_HW_INFO_SELFTEST_REGVAL 0xdeadbeef

struct iommu_test_hw_info {
	__u32 flags;
	__u32 test_reg;
};

/* Smallest batch memory SET_TEMP_MEMORY_LIMIT accepts, in bytes */
#define IOASID_TEST_MIN_MEMORY_LIMIT 12

struct iommu_test_cmd {
	__u32 size;
	__u32 op;
	__u32 id;
	__u32 __reserved;
	union {
		/* id = IOAS: reserve [start, start + length - 1] */
		struct {
			__aligned_u64 start;
			__aligned_u64 length;
		} add_reserved;
		/* id = IOAS or HWPT: create a mock device attached to it */
		struct {
			__u32 out_stdev_id;
			__u32 out_hwpt_id;
			__u32 out_idev_id;
		} mock_domain;
		/* id = mock HWPT: every IO page of the range maps uptr's page */
		struct {
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 uptr;
		} check_map;
		/* Every page of [uptr, uptr + length) has @refs FOLL_PIN pins */
		struct {
			__aligned_u64 length;
			__aligned_u64 uptr;
			__u32 refs;
		} check_refs;
		/* id = IOAS: create an access, returned as a file descriptor */
		struct {
			__u32 out_access_fd;
			__u32 flags;
		} create_access;
		/* id = access fd: unpin what ACCESS_PAGES pinned */
		struct {
			__u32 access_pages_id;
		} destroy_access_pages;
		/* id = access fd: pin an IOVA range through the access */
		struct {
			__u32 flags;
			__u32 out_access_pages_id;
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 uptr;
		} access_pages;
		/* id = access fd: copy between uptr and an IOVA range */
		struct {
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 uptr;
			__u32 flags;
		} access_rw;
		/* Bytes of temporary memory one pinning batch may use */
		struct {
			__u32 limit;
		} memory_limit;
		/* id = stdev: attach its device to pt_id, replacing; out: HWPT */
		struct {
			__u32 pt_id;
		} mock_domain_replace;
		/* id = access fd: move the access to another IOAS */
		struct {
			__u32 ioas_id;
		} access_replace_ioas;
		/* MOCK_DOMAIN with flags for the new mock device */
		struct {
			__u32 out_stdev_id;
			__u32 out_hwpt_id;
			__u32 out_idev_id;
			__u32 dev_flags;
		} mock_domain_flags;
		/*
		 * id = dirty-tracking mock HWPT: mark dirty the mapped IO pages
		 * of every page_size page whose bit is set in the bitmap at
		 * uptr (bit 0 is iova); out: how many bits marked something
		 */
		struct {
			__u32 flags;
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 page_size;
			__aligned_u64 uptr;
			__aligned_u64 out_nr_dirty;
		} dirty;
	};
	__u32 last;
};

/* offsetofend(last) of the 56-byte layout */
#define IOMMU_TEST_CMD_MIN_SIZE 52

#endif
