/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * /dev/ioasid: I/O address spaces for user space drivers and VMMs.
 *
 * The ioctl numbers, structure layouts and error rules below are binary
 * compatible with Linux's <linux/iommufd.h>, so a program written for iommufd
 * builds against this header by changing its #include line.
 */
#ifndef _UAPI_LINUX_IOASID_H
#define _UAPI_LINUX_IOASID_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define IOMMUFD_TYPE (';')

/**
 * DOC: General ioctl format
 *
 * Every ioctl takes a single structure whose first __u32 is its size in
 * bytes.  The number carries no size or direction bits, so one number serves
 * every revision of a structure:
 *
 * - a size below the first revision of the structure fails with EINVAL;
 * - a shorter structure than the kernel's is zero-extended;
 * - a longer one is accepted only if every byte the kernel does not know is
 *   zero, otherwise E2BIG;
 * - output fields are copied back up to the smaller of the two sizes.
 *
 * Errors common to all ioctls:
 *
 * - ENOTTY: unknown ioctl number
 * - E2BIG: non-zero data in a part of the structure the kernel does not know
 * - EOPNOTSUPP: a known field (flags, __reserved, op) has an unsupported value;
 *   every __reserved field must be zero
 * - EINVAL: a field is understood but its value is wrong
 * - ENOENT: an ID or IOVA was not found
 * - ENOMEM: out of memory, or RLIMIT_MEMLOCK exceeded while pinning
 * - EOVERFLOW: IOVA or length arithmetic overflows
 * - EFAULT: a user pointer is not accessible
 */

enum {
	IOMMUFD_CMD_BASE = 0x80,
	IOMMUFD_CMD_DESTROY = IOMMUFD_CMD_BASE,
	IOMMUFD_CMD_IOAS_ALLOC,
	IOMMUFD_CMD_IOAS_ALLOW_IOVAS,
	IOMMUFD_CMD_IOAS_COPY,
	IOMMUFD_CMD_IOAS_IOVA_RANGES,
	IOMMUFD_CMD_IOAS_MAP,
	IOMMUFD_CMD_IOAS_UNMAP,
	IOMMUFD_CMD_OPTION,
	IOMMUFD_CMD_VFIO_IOAS,
	IOMMUFD_CMD_HWPT_ALLOC,
	IOMMUFD_CMD_GET_HW_INFO,
	IOMMUFD_CMD_HWPT_SET_DIRTY_TRACKING,
	IOMMUFD_CMD_HWPT_GET_DIRTY_BITMAP,
	IOMMUFD_CMD_HWPT_INVALIDATE,
};

/**
 * struct iommu_destroy - ioctl(IOMMU_DESTROY)
 * @size: sizeof(struct iommu_destroy)
 * @id: ID of the object to destroy
 *
 * Destroys any object the user may destroy.  EBUSY if another object or a
 * driver still depends on it; nothing changes in that case.  ENOENT if @id
 * names no object.
 */
struct iommu_destroy {
	__u32 size;
	__u32 id;
};

#define IOMMU_DESTROY _IO(IOMMUFD_TYPE, IOMMUFD_CMD_DESTROY)

/**
 * struct iommu_ioas_alloc - ioctl(IOMMU_IOAS_ALLOC)
 * @size: sizeof(struct iommu_ioas_alloc)
 * @flags: must be 0
 * @out_ioas_id: ID of the new IOAS
 *
 * Creates an empty I/O address space.  With no device attached the whole
 * 64-bit IOVA space is usable and the IOVA alignment is one byte.
 */
struct iommu_ioas_alloc {
	__u32 size;
	__u32 flags;
	__u32 out_ioas_id;
};

#define IOMMU_IOAS_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_ALLOC)

/**
 * struct iommu_iova_range - an inclusive IOVA range
 * @start: first IOVA
 * @last: last IOVA (inclusive)
 */
struct iommu_iova_range {
	__aligned_u64 start;
	__aligned_u64 last;
};

/**
 * struct iommu_ioas_iova_ranges - ioctl(IOMMU_IOAS_IOVA_RANGES)
 * @size: sizeof(struct iommu_ioas_iova_ranges)
 * @ioas_id: IOAS to query
 * @num_iovas: in: entries available at @allowed_iovas; out: entries needed
 * @__reserved: must be 0
 * @allowed_iovas: user pointer to an array of struct iommu_iova_range
 * @out_iova_alignment: IOVA and length alignment required by MAP and COPY
 *
 * Reports the IOVA ranges that are not reserved: the complement of the
 * apertures of the attached domains, the reserved regions of the attached
 * devices and test reservations.  The list changes whenever a device attaches
 * or detaches, so query it after every attach.  If @num_iovas is too small the
 * call writes as many entries as fit, sets @num_iovas to the number needed and
 * fails with EMSGSIZE.
 */
struct iommu_ioas_iova_ranges {
	__u32 size;
	__u32 ioas_id;
	__u32 num_iovas;
	__u32 __reserved;
	__aligned_u64 allowed_iovas;
	__aligned_u64 out_iova_alignment;
};

#define IOMMU_IOAS_IOVA_RANGES _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_IOVA_RANGES)

/**
 * struct iommu_ioas_allow_iovas - ioctl(IOMMU_IOAS_ALLOW_IOVAS)
 * @size: sizeof(struct iommu_ioas_allow_iovas)
 * @ioas_id: IOAS to change
 * @num_iovas: number of entries at @allowed_iovas; 0 clears the list
 * @__reserved: must be 0
 * @allowed_iovas: user pointer to an array of struct iommu_iova_range
 *
 * Replaces the list of ranges automatic IOVA allocation may use.  Each range
 * needs start < last and the ranges must not overlap (EINVAL).  A range that
 * intersects a reserved range fails with EADDRINUSE and the old list stays.
 * While a list is set, a device attach whose reserved regions intersect it
 * fails with EADDRINUSE.
 */
struct iommu_ioas_allow_iovas {
	__u32 size;
	__u32 ioas_id;
	__u32 num_iovas;
	__u32 __reserved;
	__aligned_u64 allowed_iovas;
};

#define IOMMU_IOAS_ALLOW_IOVAS _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_ALLOW_IOVAS)

/**
 * enum iommufd_ioas_map_flags - flags of IOMMU_IOAS_MAP and IOMMU_IOAS_COPY
 * @IOMMU_IOAS_MAP_FIXED_IOVA: use the IOVA given by the caller, else the
 *                             kernel chooses one and returns it
 * @IOMMU_IOAS_MAP_WRITEABLE: DMA may write to the memory
 * @IOMMU_IOAS_MAP_READABLE: DMA may read the memory
 */
enum iommufd_ioas_map_flags {
	IOMMU_IOAS_MAP_FIXED_IOVA = 1 << 0,
	IOMMU_IOAS_MAP_WRITEABLE = 1 << 1,
	IOMMU_IOAS_MAP_READABLE = 1 << 2,
};

/**
 * struct iommu_ioas_map - ioctl(IOMMU_IOAS_MAP)
 * @size: sizeof(struct iommu_ioas_map)
 * @flags: combination of enum iommufd_ioas_map_flags
 * @ioas_id: IOAS to change
 * @__reserved: must be 0
 * @user_va: user virtual address of the memory to map
 * @length: number of bytes to map
 * @iova: in with IOMMU_IOAS_MAP_FIXED_IOVA, always out: the IOVA used
 *
 * Maps user memory at an IOVA.  When a domain is attached to the IOAS the
 * pages are pinned now and charged to RLIMIT_MEMLOCK; otherwise they are
 * pinned when a domain or an in-kernel user first needs them.  A page is
 * pinned and charged once however many domains, copies and in-kernel users
 * reach it.
 *
 * @iova, @length and the offset of @user_va in its page must be multiples of
 * the IOAS alignment reported by IOMMU_IOAS_IOVA_RANGES (EINVAL).  A fixed
 * IOVA that intersects a reserved range fails with EINVAL, one that
 * intersects an existing mapping with EEXIST.  Automatic IOVA keeps the huge
 * page alignment of @user_va and fails with ENOSPC when no hole is large
 * enough.
 */
struct iommu_ioas_map {
	__u32 size;
	__u32 flags;
	__u32 ioas_id;
	__u32 __reserved;
	__aligned_u64 user_va;
	__aligned_u64 length;
	__aligned_u64 iova;
};

#define IOMMU_IOAS_MAP _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_MAP)

/**
 * struct iommu_ioas_copy - ioctl(IOMMU_IOAS_COPY)
 * @size: sizeof(struct iommu_ioas_copy)
 * @flags: combination of enum iommufd_ioas_map_flags
 * @dst_ioas_id: IOAS that receives the mapping
 * @src_ioas_id: IOAS the pages are taken from
 * @length: number of bytes to copy
 * @dst_iova: in with IOMMU_IOAS_MAP_FIXED_IOVA, always out
 * @src_iova: IOVA of the source range
 *
 * Maps the pages behind [src_iova, src_iova + length) of the source IOAS into
 * the destination IOAS, without pinning or charging them again.  The source
 * range must be covered by mappings without holes (ENOENT).  Asking for
 * IOMMU_IOAS_MAP_WRITEABLE on memory that was mapped read-only fails with
 * EPERM.
 */
struct iommu_ioas_copy {
	__u32 size;
	__u32 flags;
	__u32 dst_ioas_id;
	__u32 src_ioas_id;
	__aligned_u64 length;
	__aligned_u64 dst_iova;
	__aligned_u64 src_iova;
};

#define IOMMU_IOAS_COPY _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_COPY)

/**
 * struct iommu_ioas_unmap - ioctl(IOMMU_IOAS_UNMAP)
 * @size: sizeof(struct iommu_ioas_unmap)
 * @ioas_id: IOAS to change
 * @iova: first IOVA to unmap
 * @length: in: bytes to unmap; out: bytes unmapped
 *
 * Removes every mapping inside [iova, iova + length).  Mappings are never
 * split: a mapping that is only partly inside the range fails the call with
 * ENOENT, as does a range with no mapping at all.  @iova = 0 with
 * @length = UINT64_MAX removes everything and succeeds on an empty IOAS.
 */
struct iommu_ioas_unmap {
	__u32 size;
	__u32 ioas_id;
	__aligned_u64 iova;
	__aligned_u64 length;
};

#define IOMMU_IOAS_UNMAP _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_UNMAP)

/**
 * enum iommufd_option - option_id of IOMMU_OPTION
 * @IOMMU_OPTION_RLIMIT_MODE: accounting of pinned pages for the whole
 *	context: 0 charges the user (user_struct::locked_vm, the default), 1
 *	charges the process (mm::locked_vm, shown as VmLck, as VFIO does).
 *	object_id must be 0 (EOPNOTSUPP).  Setting it needs CAP_SYS_RESOURCE
 *	(EPERM) and a context without objects (EBUSY).
 * @IOMMU_OPTION_HUGE_PAGES: per IOAS (object_id = IOAS ID): 1 maps
 *	physically contiguous memory with the largest IOMMU page sizes (the
 *	default), 0 maps every PAGE_SIZE separately and raises the IOAS
 *	alignment to PAGE_SIZE.
 */
enum iommufd_option {
	IOMMU_OPTION_RLIMIT_MODE = 0,
	IOMMU_OPTION_HUGE_PAGES = 1,
};

/**
 * enum iommufd_option_ops - op of IOMMU_OPTION
 * @IOMMU_OPTION_OP_SET: set the option to val64
 * @IOMMU_OPTION_OP_GET: return the option in val64
 */
enum iommufd_option_ops {
	IOMMU_OPTION_OP_SET = 0,
	IOMMU_OPTION_OP_GET = 1,
};

/**
 * struct iommu_option - ioctl(IOMMU_OPTION)
 * @size: sizeof(struct iommu_option)
 * @option_id: one of enum iommufd_option
 * @op: one of enum iommufd_option_ops
 * @__reserved: must be 0
 * @object_id: object the option applies to, or 0 for the context
 * @val64: the value to set, or the value read
 */
struct iommu_option {
	__u32 size;
	__u32 option_id;
	__u16 op;
	__u16 __reserved;
	__u32 object_id;
	__aligned_u64 val64;
};

#define IOMMU_OPTION _IO(IOMMUFD_TYPE, IOMMUFD_CMD_OPTION)

/**
 * enum iommufd_vfio_ioas_op - op of IOMMU_VFIO_IOAS
 * @IOMMU_VFIO_IOAS_GET: return the IOAS the VFIO container ioctls use
 *	(ENODEV if none; VFIO_SET_IOMMU is ENODEV too until SET chose one)
 * @IOMMU_VFIO_IOAS_SET: make @ioas_id that IOAS
 * @IOMMU_VFIO_IOAS_CLEAR: forget it (the IOAS itself stays)
 */
enum iommufd_vfio_ioas_op {
	IOMMU_VFIO_IOAS_GET = 0,
	IOMMU_VFIO_IOAS_SET = 1,
	IOMMU_VFIO_IOAS_CLEAR = 2,
};

/**
 * struct iommu_vfio_ioas - ioctl(IOMMU_VFIO_IOAS)
 * @size: sizeof(struct iommu_vfio_ioas)
 * @ioas_id: in with SET, out with GET
 * @op: enum iommufd_vfio_ioas_op
 * @__reserved: must be 0
 *
 * The fd of /dev/ioasid also answers the VFIO type1 container ioctls
 * (VFIO_GET_API_VERSION, VFIO_CHECK_EXTENSION, VFIO_SET_IOMMU,
 * VFIO_IOMMU_GET_INFO, VFIO_IOMMU_MAP_DMA, VFIO_IOMMU_UNMAP_DMA of
 * <linux/vfio.h>); they act on this IOAS.
 */
struct iommu_vfio_ioas {
	__u32 size;
	__u32 ioas_id;
	__u16 op;
	__u16 __reserved;
};

#define IOMMU_VFIO_IOAS _IO(IOMMUFD_TYPE, IOMMUFD_CMD_VFIO_IOAS)

/**
 * enum iommufd_hwpt_alloc_flags - flags of IOMMU_HWPT_ALLOC
 * @IOMMU_HWPT_ALLOC_NEST_PARENT: the HWPT may become the parent of nested
 *	HWPTs.  EOPNOTSUPP unless the device's IOMMU can nest (no 6.1 driver
 *	can; the mock IOMMU of test mode can).
 * @IOMMU_HWPT_ALLOC_DIRTY_TRACKING: the domain tracks the pages DMA wrote.
 *	EOPNOTSUPP unless the device's IOMMU can (no 6.1 driver can; the
 *	mock IOMMU of test mode can).
 * @IOMMU_HWPT_FAULT_ID_VALID: @fault_id names a fault queue.  There are no
 *	fault queues yet: ENOENT once the rest of the request was checked.
 * @IOMMU_HWPT_ALLOC_PASID: the HWPT may be attached to PASIDs.  EOPNOTSUPP.
 */
enum iommufd_hwpt_alloc_flags {
	IOMMU_HWPT_ALLOC_NEST_PARENT = 1 << 0,
	IOMMU_HWPT_ALLOC_DIRTY_TRACKING = 1 << 1,
	IOMMU_HWPT_FAULT_ID_VALID = 1 << 2,
	IOMMU_HWPT_ALLOC_PASID = 1 << 3,
};

/**
 * enum iommu_hwpt_data_type - data_type of IOMMU_HWPT_ALLOC
 * @IOMMU_HWPT_DATA_NONE: a paging HWPT the kernel fills from an IOAS
 * @IOMMU_HWPT_DATA_VTD_S1: an Intel VT-d stage-1 table (nested); refused,
 *	Linux 6.1's VT-d driver cannot nest
 * @IOMMU_HWPT_DATA_ARM_SMMUV3: an ARM SMMUv3 stage-1 table (nested); refused
 *
 * The mock IOMMU of test mode has a nested type of its own.
 */
enum iommu_hwpt_data_type {
	IOMMU_HWPT_DATA_NONE = 0,
	IOMMU_HWPT_DATA_VTD_S1 = 1,
	IOMMU_HWPT_DATA_ARM_SMMUV3 = 2,
};

/**
 * struct iommu_hwpt_alloc - ioctl(IOMMU_HWPT_ALLOC)
 * @size: sizeof(struct iommu_hwpt_alloc); 24, 40 and 48 are accepted
 * @flags: enum iommufd_hwpt_alloc_flags
 * @dev_id: a bound DEVICE the domain must be able to serve
 * @pt_id: the IOAS the new HWPT mirrors, or the nesting parent HWPT of a
 *	nested HWPT
 * @out_hwpt_id: the new HWPT
 * @__reserved: must be 0
 * @data_type: enum iommu_hwpt_data_type: IOMMU_HWPT_DATA_NONE for a HWPT on
 *	an IOAS, the IOMMU's stage-1 format for a nested HWPT
 * @data_len: bytes at @data_uptr; 0 exactly when @data_type is NONE
 * @data_uptr: the stage-1 description of a nested HWPT; ignored without data
 * @fault_id: a fault queue, with IOMMU_HWPT_FAULT_ID_VALID
 * @__reserved2: must be 0
 *
 * On an IOAS: allocates an IOMMU domain for @dev_id's IOMMU and a HWPT object
 * that keeps it in sync with the IOAS.  Unlike the HWPT an ATTACH to an IOAS
 * creates, it stays until IOMMU_DESTROY (EBUSY while a device is attached or
 * a nested HWPT uses it) and devices attach to it by its ID.  A domain that
 * is complete at allocation (the mock IOMMU's) mirrors the IOAS at once; one
 * of Linux 6.1's VT-d or AMD-Vi drivers from its first attach, when the
 * driver settles its aperture and page sizes.  The domain blocks no-snoop
 * DMA if @dev_id's IOMMU can, and then serves only devices whose IOMMU can.
 *
 * On a HWPT allocated with IOMMU_HWPT_ALLOC_NEST_PARENT: a nested HWPT,
 * whose stage-1 translation the user manages (@data_type, @data_len and
 * @data_uptr describe it) on top of the parent's; devices attach to it like
 * to any HWPT, and IOMMU_HWPT_INVALIDATE flushes its caches.  Only the mock
 * IOMMU of test mode can nest on Linux 6.1.
 *
 * Errors, in this order: EOPNOTSUPP for a reserved field; EINVAL if
 * @data_len and @data_type disagree (data with IOMMU_HWPT_DATA_NONE, another
 * type without it); ENOENT if @dev_id is not a DEVICE; EINVAL if @pt_id
 * names nothing or neither an IOAS nor a HWPT.  Then, on an IOAS:
 * EOPNOTSUPP for a flag or data a paging domain of the device's IOMMU
 * cannot take (data at all; NEST_PARENT or DIRTY_TRACKING where the IOMMU
 * cannot nest or track, always with Linux 6.1's drivers; PASID;
 * FAULT_ID_VALID with NEST_PARENT); EADDRINUSE if the IOAS maps outside a
 * complete domain's aperture.  On a HWPT: EOPNOTSUPP for flags other than
 * FAULT_ID_VALID, without data, or if the IOMMU cannot nest; EINVAL if the
 * HWPT cannot be a parent (an automatic one, one without NEST_PARENT, a
 * nested one, another IOMMU's); then the IOMMU's answer on the data:
 * EOPNOTSUPP for a type it does not take, EINVAL if shorter or longer than
 * it knows, EFAULT if unreadable.  Last, ENOENT with
 * IOMMU_HWPT_FAULT_ID_VALID: no fault queue exists for @fault_id to name.
 */
struct iommu_hwpt_alloc {
	__u32 size;
	__u32 flags;
	__u32 dev_id;
	__u32 pt_id;
	__u32 out_hwpt_id;
	__u32 __reserved;
	__u32 data_type;
	__u32 data_len;
	__aligned_u64 data_uptr;
	__u32 fault_id;
	__u32 __reserved2;
};

#define IOMMU_HWPT_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_HWPT_ALLOC)

/**
 * enum iommu_hw_info_type - out_data_type of IOMMU_GET_HW_INFO
 * @IOMMU_HW_INFO_TYPE_NONE: the kernel has no vendor data to report
 * @IOMMU_HW_INFO_TYPE_INTEL_VTD: struct iommu_hw_info_vtd (never reported
 *	by Linux 6.1, whose VT-d driver does not give it out)
 * @IOMMU_HW_INFO_TYPE_ARM_SMMUV3: struct iommu_hw_info_arm_smmuv3 (idem)
 */
enum iommu_hw_info_type {
	IOMMU_HW_INFO_TYPE_NONE = 0,
	IOMMU_HW_INFO_TYPE_INTEL_VTD = 1,
	IOMMU_HW_INFO_TYPE_ARM_SMMUV3 = 2,
};

/**
 * enum iommufd_hw_capabilities - out_capabilities of IOMMU_GET_HW_INFO
 * @IOMMU_HW_CAP_DIRTY_TRACKING: the IOMMU can track the pages DMA wrote
 */
enum iommufd_hw_capabilities {
	IOMMU_HW_CAP_DIRTY_TRACKING = 1 << 0,
};

/**
 * struct iommu_hw_info - ioctl(IOMMU_GET_HW_INFO)
 * @size: sizeof(struct iommu_hw_info); 32 and 40 are accepted
 * @flags: must be 0
 * @dev_id: a bound DEVICE
 * @data_len: in: bytes at @data_uptr; out: bytes of vendor data the kernel
 *	has (0 for IOMMU_HW_INFO_TYPE_NONE)
 * @data_uptr: user buffer for the vendor data; what the kernel does not
 *	fill of it, up to the input @data_len, is zeroed
 * @out_data_type: enum iommu_hw_info_type
 * @__reserved: must be 0
 * @out_capabilities: enum iommufd_hw_capabilities
 */
struct iommu_hw_info {
	__u32 size;
	__u32 flags;
	__u32 dev_id;
	__u32 data_len;
	__aligned_u64 data_uptr;
	__u32 out_data_type;
	__u32 __reserved;
	__aligned_u64 out_capabilities;
};

#define IOMMU_GET_HW_INFO _IO(IOMMUFD_TYPE, IOMMUFD_CMD_GET_HW_INFO)

/**
 * enum iommufd_hwpt_set_dirty_tracking_flags - flags of
 *	IOMMU_HWPT_SET_DIRTY_TRACKING
 * @IOMMU_HWPT_DIRTY_TRACKING_ENABLE: start tracking; without it, stop
 */
enum iommufd_hwpt_set_dirty_tracking_flags {
	IOMMU_HWPT_DIRTY_TRACKING_ENABLE = 1,
};

/**
 * struct iommu_hwpt_set_dirty_tracking - ioctl(IOMMU_HWPT_SET_DIRTY_TRACKING)
 * @size: sizeof(struct iommu_hwpt_set_dirty_tracking)
 * @flags: enum iommufd_hwpt_set_dirty_tracking_flags
 * @hwpt_id: a HWPT allocated with IOMMU_HWPT_ALLOC_DIRTY_TRACKING
 *	(EOPNOTSUPP for any other HWPT on an IOAS, ENOENT for a nested one)
 * @__reserved: must be 0
 */
struct iommu_hwpt_set_dirty_tracking {
	__u32 size;
	__u32 flags;
	__u32 hwpt_id;
	__u32 __reserved;
};

#define IOMMU_HWPT_SET_DIRTY_TRACKING _IO(IOMMUFD_TYPE,			\
					  IOMMUFD_CMD_HWPT_SET_DIRTY_TRACKING)

/**
 * enum iommufd_hwpt_get_dirty_bitmap_flags - flags of
 *	IOMMU_HWPT_GET_DIRTY_BITMAP
 * @IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR: report the dirty state but keep it
 */
enum iommufd_hwpt_get_dirty_bitmap_flags {
	IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR = 1,
};

/**
 * struct iommu_hwpt_get_dirty_bitmap - ioctl(IOMMU_HWPT_GET_DIRTY_BITMAP)
 * @size: sizeof(struct iommu_hwpt_get_dirty_bitmap)
 * @hwpt_id: a HWPT with dirty tracking enabled
 * @flags: enum iommufd_hwpt_get_dirty_bitmap_flags
 * @__reserved: must be 0
 * @iova: first IOVA, aligned to @page_size and to the IOAS alignment
 * @length: bytes, a multiple of @page_size
 * @page_size: a power of two: the IOVA span of one bit
 * @data: user pointer to the bitmap: the bit for IOVA x is bit
 *	((x - @iova) / @page_size) % 64 of __u64 word
 *	((x - @iova) / @page_size) / 64
 *
 * Sets the bit of every page DMA wrote since the last read (bits already
 * set stay set) and clears the dirty state unless NO_CLEAR.
 */
struct iommu_hwpt_get_dirty_bitmap {
	__u32 size;
	__u32 hwpt_id;
	__u32 flags;
	__u32 __reserved;
	__aligned_u64 iova;
	__aligned_u64 length;
	__aligned_u64 page_size;
	__aligned_u64 data;
};

#define IOMMU_HWPT_GET_DIRTY_BITMAP _IO(IOMMUFD_TYPE,			\
					IOMMUFD_CMD_HWPT_GET_DIRTY_BITMAP)

/**
 * enum iommu_hwpt_invalidate_data_type - data_type of IOMMU_HWPT_INVALIDATE
 * @IOMMU_HWPT_INVALIDATE_DATA_VTD_S1: Intel VT-d stage-1 requests; refused
 * @IOMMU_HWPT_INVALIDATE_DATA_ARM_SMMUV3: ARM SMMUv3 commands; refused
 *
 * The mock IOMMU of test mode has a request type of its own.
 */
enum iommu_hwpt_invalidate_data_type {
	IOMMU_HWPT_INVALIDATE_DATA_VTD_S1 = 0,
	IOMMU_HWPT_INVALIDATE_DATA_ARM_SMMUV3 = 1,
};

/**
 * struct iommu_hwpt_invalidate - ioctl(IOMMU_HWPT_INVALIDATE)
 * @size: sizeof(struct iommu_hwpt_invalidate)
 * @hwpt_id: a nested HWPT
 * @data_uptr: user pointer to an array of @entry_num requests
 * @data_type: enum iommu_hwpt_invalidate_data_type: the format of every
 *	request, one the HWPT's IOMMU takes
 * @entry_len: bytes of one request
 * @entry_num: in: requests in the array; out: requests handled
 * @__reserved: must be 0
 *
 * Flushes the IOMMU's caches of the user-managed stage-1 translation of a
 * nested HWPT after the user changed it.  Requests are handled in order and
 * the first that fails stops the call; @entry_num then says how many were
 * handled, and is written back whatever the result.  @entry_num = 0 checks
 * whether the IOMMU takes @data_type; @data_uptr and @entry_len are ignored
 * then.  Errors: ENOENT if @hwpt_id is not a nested HWPT; EINVAL if
 * requests come without @data_uptr or @entry_len, or the IOMMU does not
 * know @data_type or a request's values; EOPNOTSUPP for flags a request may
 * not have; EFAULT if the array cannot be read.  A request shorter than the
 * IOMMU's first revision of its format, or longer than the IOMMU knows, is
 * EINVAL.
 */
struct iommu_hwpt_invalidate {
	__u32 size;
	__u32 hwpt_id;
	__aligned_u64 data_uptr;
	__u32 data_type;
	__u32 entry_len;
	__u32 entry_num;
	__u32 __reserved;
};

#define IOMMU_HWPT_INVALIDATE _IO(IOMMUFD_TYPE, IOMMUFD_CMD_HWPT_INVALIDATE)

#endif
