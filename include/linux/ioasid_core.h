/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * In-kernel API of the ioasid core, for drivers that give user space devices
 * (the companion VFIO-style PCI driver) or that read and write an IOAS on a
 * device's behalf (emulated devices, the test mock).
 *
 * The core knows nothing about the bus a device sits on; it only needs the
 * device's iommu_group and the iommu_domain API.
 *
 * Note: Linux 6.1 has an unrelated <linux/ioasid.h> (the PASID allocator) and
 * exports ioasid_alloc/free/find; nothing here uses those names.
 */
#ifndef __LINUX_IOASID_CORE_H
#define __LINUX_IOASID_CORE_H

#include <linux/kconfig.h>
#include <linux/types.h>

struct device;
struct file;
struct page;
struct ioasid_ctx;
struct ioasid_device;
struct ioasid_access;

struct ioasid_ctx *ioasid_ctx_from_file(struct file *file);
void ioasid_ctx_put(struct ioasid_ctx *ctx);

struct ioasid_device *ioasid_device_bind(struct ioasid_ctx *ctx,
					 struct device *dev, u32 *id);
void ioasid_device_unbind(struct ioasid_device *idev);
int ioasid_device_attach(struct ioasid_device *idev, u32 *pt_id);
void ioasid_device_detach(struct ioasid_device *idev);
struct ioasid_ctx *ioasid_device_ctx(struct ioasid_device *idev);
u32 ioasid_device_id(struct ioasid_device *idev);
/* For fdinfo: the context's global ID, the device's HWPT (0: none) */
u32 ioasid_ctx_id(struct ioasid_ctx *ctx);
u32 ioasid_device_hwpt_id(struct ioasid_device *idev);

/* Flags of ioasid_access_pin_pages() and ioasid_access_rw() */
enum {
	IOASID_ACCESS_RW_READ = 0,
	IOASID_ACCESS_RW_WRITE = 1 << 0,
	/* Never touch user memory directly, always go through pinned pages */
	IOASID_ACCESS_RW_SLOW_PATH = 1 << 2,
};

/**
 * struct ioasid_access_ops - callbacks of an in-kernel user of an IOAS
 * @needs_pin_pages: the user calls ioasid_access_pin_pages(); its IOAS
 *                   alignment becomes PAGE_SIZE and @unmap is required
 * @unmap: user space is unmapping [iova, iova + length - 1]; unpin every
 *         range that intersects it before returning.  Called without locks
 *         held by the core; the unmap waits for it.  A pin the driver is
 *         still establishing counts too: hold the lock @unmap takes from
 *         before ioasid_access_pin_pages() until the pin is recorded.
 */
struct ioasid_access_ops {
	u8 needs_pin_pages : 1;
	void (*unmap)(void *data, unsigned long iova, unsigned long length);
};

struct ioasid_access *ioasid_access_create(struct ioasid_ctx *ctx,
					   const struct ioasid_access_ops *ops,
					   void *data, u32 *id);
void ioasid_access_destroy(struct ioasid_access *access);
int ioasid_access_attach(struct ioasid_access *access, u32 ioas_id);
void ioasid_access_detach(struct ioasid_access *access);
int ioasid_access_replace(struct ioasid_access *access, u32 ioas_id);
int ioasid_access_pin_pages(struct ioasid_access *access, unsigned long iova,
			    unsigned long length, struct page **out_pages,
			    unsigned int flags);
void ioasid_access_unpin_pages(struct ioasid_access *access,
			       unsigned long iova, unsigned long length);
int ioasid_access_rw(struct ioasid_access *access, unsigned long iova,
		     void *data, size_t length, unsigned int flags);

/*
 * Fault injection for the selftests (drivers/ioasid/fault.c), only in the
 * test build (CONFIG_DEV_IOASID_TEST): a fallible step asks first and takes
 * its error path when told to.  The errno a user then sees is EFAULT for pin
 * and uaccess, ENOMEM for the others.  In the production build the question
 * compiles to nothing.  Both modules must come from the same build: a test
 * build of the companion needs the test build of the core's export.
 */
enum ioasid_fault_site {
	IOASID_FAULT_ALLOC,	/* a memory allocation */
	IOASID_FAULT_ID,	/* an ID or an xarray slot */
	IOASID_FAULT_PIN,	/* pinning user pages */
	IOASID_FAULT_CHARGE,	/* the RLIMIT_MEMLOCK charge */
	IOASID_FAULT_DOMAIN,	/* iommu_domain_alloc() */
	IOASID_FAULT_MAP,	/* iommu_map() */
	IOASID_FAULT_ATTACH,	/* group ownership and iommu_attach_group() */
	IOASID_FAULT_ENABLE,	/* enabling a device for its user */
	IOASID_FAULT_UACCESS,	/* a copy from or to user memory */
	IOASID_FAULT_NR
};

#if IS_ENABLED(CONFIG_DEV_IOASID_TEST)
bool ioasid_should_fail(enum ioasid_fault_site site);
#else
static inline bool ioasid_should_fail(enum ioasid_fault_site site)
{
	return false;
}
#endif

#endif
