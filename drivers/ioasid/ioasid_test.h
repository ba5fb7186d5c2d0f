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
	IOMMU_TEST_OP_MD_CHECK_IOTLB,
	IOMMU_TEST_OP_TRIGGER_IOPF,
	/*
	 * ioasid only, far above upstream's operations: have the IOMMU
	 * driver of a bound device report DMA faults (report_dma_fault)
	 */
	IOMMU_TEST_OP_IOASID_REPORT_DMA_FAULT = 0x10000,
	/*
	 * ioasid only, far above upstream's operations and apart from the
	 * fault queues' (0x10000): call ioasid_nl_fault_event() of the
	 * netlink family @count times with interrupts off, as an IOMMU's
	 * fault handler would (tools/testing/selftests/ioasid/ioasid_netlink.c)
	 */
	IOMMU_TEST_OP_IOASID_NL_FAULT = 0x20000,
};

/* flags of IOMMU_TEST_OP_IOASID_REPORT_DMA_FAULT */
enum {
	MOCK_DMA_FAULT_WRITE = 1 << 0,	/* the device wrote, else read */
};

/* Most DMA faults one IOMMU_TEST_OP_IOASID_REPORT_DMA_FAULT reports */
#define IOASID_TEST_DMA_FAULT_MAX 4096

/*
 * Not of the test command, but a limit of the kernel the tests check: the
 * records a fault queue holds at most, read or not, answered or not
 */
#define IOASID_FAULT_QUEUE_DEPTH 256

/* Most faults one IOMMU_TEST_OP_IOASID_NL_FAULT reports */
#define IOASID_TEST_NL_FAULT_MAX 4096

/* dev_flags of MOCK_DOMAIN_FLAGS */
enum {
	/* The device's IOMMU cannot track dirty pages */
	MOCK_FLAGS_DEVICE_NO_DIRTY = 1 << 0,
	/*
	 * The device's domains also map with large IOPTEs of 512 IO pages
	 * (1 MiB with 4 KiB CPU pages), whose dirty bit covers all of them
	 */
	MOCK_FLAGS_DEVICE_HUGE_IOVA = 1 << 1,
	/*
	 * Upstream's next bits (1 << 2 MOCK_FLAGS_DEVICE_PASID, 1 << 3
	 * MOCK_FLAGS_DEVICE_NO_ATTACH in newer kernels) are not taken here:
	 * MOCK_DOMAIN_FLAGS refuses them (EINVAL).
	 *
	 * ioasid only (upstream's mock cannot enforce), far above upstream's
	 * bits: the device's IOMMU can block no-snoop DMA, like VT-d with
	 * Snoop Control.  Its domains enforce when asked before their first
	 * map and while only such devices were attached, and then refuse
	 * other devices.
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

/*
 * Nested mock domains: a stage-1 "IOTLB" of MOCK_NESTED_DOMAIN_IOTLB_NUM
 * entries that IOMMU_HWPT_INVALIDATE clears and MD_CHECK_IOTLB reads
 */
enum {
	MOCK_NESTED_DOMAIN_IOTLB_ID_MAX = 3,
	MOCK_NESTED_DOMAIN_IOTLB_NUM = 4,
};

enum {
	MOCK_FLAGS_ACCESS_WRITE = 1 << 0,
	/*
	 * ioasid's own: pin the range in the access's next unmap callback,
	 * not now.  DESTROY_ACCESS_PAGES of it returns the errno that pin
	 * got, if it failed.
	 */
	MOCK_FLAGS_ACCESS_PIN_ON_UNMAP = 1 << 8,
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

/*
 * IOMMU_HWPT_ALLOC data_type of a nested mock HWPT (no enum
 * iommu_hwpt_data_type value), and its data: every IOTLB entry of the new
 * domain starts out as @iotlb (IOMMU_TEST_IOTLB_DEFAULT in the tests)
 */
#define IOMMU_HWPT_DATA_SELFTEST 0xdead
#define IOMMU_TEST_IOTLB_DEFAULT 0xbadbeef

struct iommu_hwpt_selftest {
	__u32 iotlb;
};

/*
 * IOMMU_HWPT_INVALIDATE data_type of the mock (and one it refuses), and a
 * request: clear IOTLB entry @iotlb_id, or every entry with
 * IOMMU_TEST_INVALIDATE_FLAG_ALL
 */
#define IOMMU_HWPT_INVALIDATE_DATA_SELFTEST 0xdeadbeef
#define IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID 0xdadbeef

enum {
	IOMMU_TEST_INVALIDATE_FLAG_ALL = 1 << 0,
};

struct iommu_hwpt_invalidate_selftest {
	__u32 flags;
	__u32 iotlb_id;
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
		/* id = nested mock HWPT: IOTLB entry @id holds @iotlb */
		struct {
			__u32 id;
			__u32 iotlb;
		} check_iotlb;
		/*
		 * A page request of DEVICE @dev_id, as upstream's: a group of
		 * one (IOMMU_PGFAULT_FLAGS_LAST_PAGE), with a PASID unless
		 * @pasid is 0, to the fault queue of the device's HWPT
		 */
		struct {
			__u32 dev_id;
			__u32 pasid;
			__u32 grpid;
			__u32 perm;
			__u64 addr;
		} trigger_iopf;
		/*
		 * ioasid only: report_iommu_fault() on the domain DEVICE
		 * @dev_id is attached to, @count times, from hard interrupt
		 * context, as an IOMMU driver reports a DMA fault at @iova;
		 * out: how many times the domain's fault handler took it
		 */
		struct {
			__u32 dev_id;
			__u32 flags;
			__aligned_u64 iova;
			__u32 count;
			__u32 out_handled;
		} report_dma_fault;
		/*
		 * ioasid only: a DMA fault of DEVICE @id on HWPT @hwpt_id at
		 * @addr (IOMMU_FAULT_PERM_* in @perm), reported @count times
		 * to the netlink family; the IDs are not looked up
		 */
		struct {
			__u32 hwpt_id;
			__u32 perm;
			__aligned_u64 addr;
			__u32 count;
		} nl_fault;
	};
	__u32 last;
};

/* offsetofend(last) of the 56-byte layout */
#define IOMMU_TEST_CMD_MIN_SIZE 52

#endif
