// SPDX-License-Identifier: GPL-2.0-only
/*
 * The mock IOMMU and IOMMU_TEST_CMD, compiled in but only reachable when the
 * module is loaded with test_mode=1.
 *
 * Mock devices sit on a private bus whose iommu_ops allocate mock domains, so
 * they go through the same iommu_group ownership, iommu_attach_group() and
 * iommu_map()/iommu_unmap() calls as real devices.  A mock domain has IO
 * pages of PAGE_SIZE / 2 and records which IO pages each map call covered:
 * an unmap that does not start and end on the boundaries of earlier map
 * calls, a double map or a stray unmap WARNs, which fails the test run.
 */
#define pr_fmt(fmt) "ioasid: " fmt

#include <linux/anon_inodes.h>
#include <linux/device.h>
#include <linux/file.h>
#include <linux/idr.h>
#include <linux/iommu.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "io_pagetable.h"
#include "ioasid_private.h"
#include "ioasid_test.h"

bool ioasid_test_enabled;
module_param_named(test_mode, ioasid_test_enabled, bool, 0444);
MODULE_PARM_DESC(test_mode,
		 "Enable IOMMU_TEST_CMD and the mock IOMMU used by the selftests. Never on production systems.");

#define MOCK_IO_PAGE_SIZE (PAGE_SIZE / 2)
/* The large IOPTE of MOCK_FLAGS_DEVICE_HUGE_IOVA devices' domains */
#define MOCK_HUGE_PAGE_SIZE (512 * MOCK_IO_PAGE_SIZE)
#define MOCK_HUGE_IO_PAGES (MOCK_HUGE_PAGE_SIZE / MOCK_IO_PAGE_SIZE)
/* Largest range ACCESS_PAGES and ACCESS_RW handle in one call */
#define MOCK_ACCESS_MAX (16UL * 1024 * 1024)
/* Most bits one IOMMU_TEST_OP_DIRTY takes: 512 KiB of bitmap */
#define MOCK_DIRTY_MAX_BITS (4UL * 1024 * 1024)

/* Entry flags of mock_domain::pfns, below the IO page frame number */
enum {
	MOCK_PFN_START = 1 << 0,	/* first IO page of a map call */
	MOCK_PFN_LAST = 1 << 1,		/* last IO page of a map call */
	MOCK_PFN_DIRTY = 1 << 2,	/* written since the last read */
	MOCK_PFN_HUGE = 1 << 3,		/* part of a MOCK_HUGE_PAGE_SIZE IOPTE */
	MOCK_PFN_SHIFT = 4,
};

struct mock_domain {
	struct iommu_domain domain;
	struct xarray pfns;		/* IOVA / MOCK_IO_PAGE_SIZE -> entry */
	bool tracking;			/* dirty tracking is on */
	bool enforce_cc;		/* blocks no-snoop DMA */
	bool saw_nocc;			/* a device that cannot was attached */
};

static struct mock_domain *to_mock_domain(struct iommu_domain *domain)
{
	return container_of(domain, struct mock_domain, domain);
}

static const struct iommu_domain_ops mock_domain_ops;

static struct iommu_domain *mock_domain_alloc(unsigned int type)
{
	struct mock_domain *mock;

	if (type != IOMMU_DOMAIN_UNMANAGED && type != IOMMU_DOMAIN_BLOCKED)
		return NULL;
	mock = kzalloc(sizeof(*mock), GFP_KERNEL);
	if (!mock)
		return NULL;
	xa_init(&mock->pfns);
	mock->domain.geometry.aperture_start = MOCK_APERTURE_START;
	mock->domain.geometry.aperture_end = MOCK_APERTURE_LAST;
	mock->domain.geometry.force_aperture = true;
	mock->domain.pgsize_bitmap = MOCK_IO_PAGE_SIZE;
	return &mock->domain;
}

static void mock_domain_free(struct iommu_domain *domain)
{
	struct mock_domain *mock = to_mock_domain(domain);

	/* Everything mapped must have been unmapped */
	WARN_ON(!xa_empty(&mock->pfns));
	xa_destroy(&mock->pfns);
	kfree(mock);
}

static bool mock_dev_enforces_cc(struct device *dev);

/* Whether @mock's page tables may serve @dev, which is about to use them */
static int mock_admit_dev(struct mock_domain *mock, struct device *dev)
{
	if (mock_dev_enforces_cc(dev))
		return 0;
	/* Like VT-d: a unit without Snoop Control stays off such a domain */
	if (mock->enforce_cc)
		return -EINVAL;
	mock->saw_nocc = true;
	return 0;
}

static int mock_attach_dev(struct iommu_domain *domain, struct device *dev)
{
	return mock_admit_dev(to_mock_domain(domain), dev);
}

/*
 * Like Linux 6.1's VT-d: only if every device attached can, and, as later
 * VT-d drivers insist, not once anything is mapped: PTEs made before
 * would let no-snoop through.
 */
static bool mock_enforce_cache_coherency(struct iommu_domain *domain)
{
	struct mock_domain *mock = to_mock_domain(domain);

	if (mock->enforce_cc)
		return true;
	if (mock->saw_nocc || !xa_empty(&mock->pfns))
		return false;
	mock->enforce_cc = true;
	return true;
}

static void mock_detach_dev(struct iommu_domain *domain, struct device *dev)
{
}

/*
 * One map_pages call stores an entry per IO page; a large IOPTE is stored as
 * the IO pages it covers, each marked MOCK_PFN_HUGE.
 */
static int mock_map_pages(struct iommu_domain *domain, unsigned long iova,
			  phys_addr_t paddr, size_t pgsize, size_t pgcount,
			  int prot, gfp_t gfp, size_t *mapped)
{
	struct mock_domain *mock = to_mock_domain(domain);
	unsigned long first = iova / MOCK_IO_PAGE_SIZE;
	size_t i, n = pgsize / MOCK_IO_PAGE_SIZE * pgcount;
	unsigned long huge = 0;
	int rc;

	if (WARN_ON(!(pgsize & domain->pgsize_bitmap) ||
		    !is_power_of_2(pgsize) || iova % pgsize ||
		    iova < MOCK_APERTURE_START ||
		    iova + pgsize * pgcount - 1 > MOCK_APERTURE_LAST))
		return -EINVAL;
	if (pgsize == MOCK_HUGE_PAGE_SIZE)
		huge = MOCK_PFN_HUGE;

	for (i = 0; i != n; i++) {
		unsigned long entry = ((paddr / MOCK_IO_PAGE_SIZE + i)
				       << MOCK_PFN_SHIFT) | huge;
		void *old;

		if (i == 0)
			entry |= MOCK_PFN_START;
		if (i == n - 1)
			entry |= MOCK_PFN_LAST;
		old = xa_cmpxchg(&mock->pfns, first + i, NULL,
				 xa_mk_value(entry), gfp);
		if (xa_is_err(old) || WARN_ON(old)) {
			rc = xa_is_err(old) ? xa_err(old) : -EEXIST;
			while (i--)
				xa_erase(&mock->pfns, first + i);
			return rc;
		}
	}
	*mapped = pgsize * pgcount;
	return 0;
}

static size_t mock_unmap_pages(struct iommu_domain *domain, unsigned long iova,
			       size_t pgsize, size_t pgcount,
			       struct iommu_iotlb_gather *gather)
{
	struct mock_domain *mock = to_mock_domain(domain);
	unsigned long first = iova / MOCK_IO_PAGE_SIZE;
	size_t i, n = pgsize / MOCK_IO_PAGE_SIZE * pgcount;
	/*
	 * With large IOPTEs the core picks the page sizes of an unmap from
	 * the IOVA alone, so its calls need not start and end where the map
	 * calls did; without, they must.
	 */
	bool exact = !(domain->pgsize_bitmap & MOCK_HUGE_PAGE_SIZE);

	for (i = 0; i != n; i++) {
		void *ent = xa_erase(&mock->pfns, first + i);
		unsigned long entry;

		if (WARN_ON(!ent))
			return i / (pgsize / MOCK_IO_PAGE_SIZE) * pgsize;
		entry = xa_to_value(ent);
		/* The unmap must not cut through a map call */
		WARN_ON(exact && i == 0 && !(entry & MOCK_PFN_START));
		WARN_ON(exact && i == n - 1 && !(entry & MOCK_PFN_LAST));
	}
	return pgsize * pgcount;
}

static phys_addr_t mock_iova_to_phys(struct iommu_domain *domain,
				     dma_addr_t iova)
{
	struct mock_domain *mock = to_mock_domain(domain);
	void *ent = xa_load(&mock->pfns, iova / MOCK_IO_PAGE_SIZE);

	if (!ent)
		return 0;
	return (xa_to_value(ent) >> MOCK_PFN_SHIFT) * MOCK_IO_PAGE_SIZE +
	       iova % MOCK_IO_PAGE_SIZE;
}

static bool mock_capable(struct device *dev, enum iommu_cap cap)
{
	return cap == IOMMU_CAP_CACHE_COHERENCY || cap == IOMMU_CAP_INTR_REMAP;
}

static const struct iommu_domain_ops mock_domain_ops = {
	.attach_dev = mock_attach_dev,
	.detach_dev = mock_detach_dev,
	.map_pages = mock_map_pages,
	.unmap_pages = mock_unmap_pages,
	.iova_to_phys = mock_iova_to_phys,
	.enforce_cache_coherency = mock_enforce_cache_coherency,
	.free = mock_domain_free,
};

/* Like x86: an MSI window, here above the mock aperture */
static void mock_get_resv_regions(struct device *dev, struct list_head *head)
{
	struct iommu_resv_region *region;

	region = iommu_alloc_resv_region(MOCK_MSI_START, MOCK_MSI_LENGTH, 0,
					 IOMMU_RESV_MSI, GFP_KERNEL);
	if (region)
		list_add_tail(&region->list, head);
}

static const struct iommu_ops mock_ops = {
	.owner = THIS_MODULE,
	.get_resv_regions = mock_get_resv_regions,
	.capable = mock_capable,
	.domain_alloc = mock_domain_alloc,
	.pgsize_bitmap = MOCK_IO_PAGE_SIZE,
	.default_domain_ops = &mock_domain_ops,
};

static struct bus_type mock_bus = {
	.name = "ioasid_mock",
	.iommu_ops = &mock_ops,
};

/**
 * ioasid_selftest_hw_info() - IOMMU_GET_HW_INFO data of a device
 * @dev: the device
 * @data: buffer for the vendor data
 * @size: bytes at @data
 * @type: output, enum iommu_hw_info_type or the selftest type
 *
 * Return: bytes of data; 0 and @type untouched for devices that are not
 * mock devices.
 */
int ioasid_selftest_hw_info(struct device *dev, void *data, size_t size,
			    u32 *type)
{
	struct iommu_test_hw_info info = {
		.test_reg = IOMMU_HW_INFO_SELFTEST_REGVAL,
	};

	BUILD_BUG_ON(sizeof(info) > IOASID_HW_INFO_MAX);
	if (dev->bus != &mock_bus || size < sizeof(info))
		return 0;
	memcpy(data, &info, sizeof(info));
	*type = IOMMU_HW_INFO_TYPE_SELFTEST;
	return sizeof(info);
}

static int mock_set_dirty_tracking(struct iommu_domain *domain, bool enable)
{
	WRITE_ONCE(to_mock_domain(domain)->tracking, enable);
	return 0;
}

static int mock_read_and_clear_dirty(struct iommu_domain *domain,
				     struct ioasid_dirty *d, bool clear)
{
	struct mock_domain *mock = to_mock_domain(domain);
	XA_STATE(xas, &mock->pfns, d->iova / MOCK_IO_PAGE_SIZE);
	void *ent;

	if (!READ_ONCE(mock->tracking))
		return -EINVAL;
	xas_lock(&xas);
	xas_for_each(&xas, ent, d->last / MOCK_IO_PAGE_SIZE) {
		unsigned long entry = xa_to_value(ent);

		if (!(entry & MOCK_PFN_DIRTY))
			continue;
		ioasid_dirty_record(d, xas.xa_index * MOCK_IO_PAGE_SIZE,
				    MOCK_IO_PAGE_SIZE);
		if (clear)
			xas_store(&xas, xa_mk_value(entry & ~MOCK_PFN_DIRTY));
	}
	xas_unlock(&xas);
	return 0;
}

static const struct ioasid_dirty_ops mock_dirty_ops = {
	.set_tracking = mock_set_dirty_tracking,
	.read_and_clear = mock_read_and_clear_dirty,
};

/*
 * A nested mock domain: the user's stage-1 is not translated at all, but
 * its "IOTLB", entries the user sets at allocation, is what
 * IOMMU_HWPT_INVALIDATE clears and IOMMU_TEST_OP_MD_CHECK_IOTLB reads.
 */
struct mock_nested {
	struct iommu_domain domain;
	struct mock_domain *parent;
	u32 iotlb[MOCK_NESTED_DOMAIN_IOTLB_NUM];
};

static struct mock_nested *to_mock_nested(struct iommu_domain *domain)
{
	return container_of(domain, struct mock_nested, domain);
}

static void mock_nested_free(struct iommu_domain *domain)
{
	kfree(to_mock_nested(domain));
}

/*
 * A device on a nested domain uses its parent's page tables, so the
 * parent's coherency rules apply (a struct mock_nested is no mock_domain)
 */
static int mock_nested_attach_dev(struct iommu_domain *domain,
				  struct device *dev)
{
	return mock_admit_dev(to_mock_nested(domain)->parent, dev);
}

static const struct iommu_domain_ops mock_nested_ops = {
	.attach_dev = mock_nested_attach_dev,
	.detach_dev = mock_detach_dev,
	.free = mock_nested_free,
};

static struct iommu_domain *
mock_alloc_nested(struct iommu_domain *parent,
		  const struct ioasid_user_data *data)
{
	struct iommu_hwpt_selftest cfg;
	struct mock_nested *nested;
	int i, rc;

	if (data->type != IOMMU_HWPT_DATA_SELFTEST)
		return ERR_PTR(-EOPNOTSUPP);
	if (parent->ops != &mock_domain_ops)
		return ERR_PTR(-EINVAL);
	rc = ioasid_copy_user_data(&cfg, sizeof(cfg),
				   offsetofend(struct iommu_hwpt_selftest,
					       iotlb), data);
	if (rc)
		return ERR_PTR(rc);

	nested = ioasid_kzalloc(sizeof(*nested), GFP_KERNEL_ACCOUNT);
	if (!nested)
		return ERR_PTR(-ENOMEM);
	/* Linux 6.1 has no IOMMU_DOMAIN_NESTED; nothing maps into it */
	nested->domain.type = IOMMU_DOMAIN_UNMANAGED;
	nested->domain.ops = &mock_nested_ops;
	nested->parent = to_mock_domain(parent);
	for (i = 0; i != MOCK_NESTED_DOMAIN_IOTLB_NUM; i++)
		nested->iotlb[i] = cfg.iotlb;
	return &nested->domain;
}

static int mock_cache_invalidate(struct iommu_domain *domain,
				 struct ioasid_user_array *array)
{
	struct mock_nested *nested = to_mock_nested(domain);
	struct iommu_hwpt_invalidate_selftest inv;
	u32 i, done = 0;
	int j, rc = 0;

	if (array->type != IOMMU_HWPT_INVALIDATE_DATA_SELFTEST) {
		rc = -EINVAL;
		goto out;
	}
	for (i = 0; i != array->entry_num; i++) {
		rc = ioasid_copy_user_entry(&inv, sizeof(inv),
					    offsetofend(typeof(inv), iotlb_id),
					    array, i);
		if (rc)
			break;
		if (inv.flags & ~IOMMU_TEST_INVALIDATE_FLAG_ALL) {
			rc = -EOPNOTSUPP;
			break;
		}
		if (inv.iotlb_id > MOCK_NESTED_DOMAIN_IOTLB_ID_MAX) {
			rc = -EINVAL;
			break;
		}
		if (inv.flags & IOMMU_TEST_INVALIDATE_FLAG_ALL)
			for (j = 0; j != MOCK_NESTED_DOMAIN_IOTLB_NUM; j++)
				WRITE_ONCE(nested->iotlb[j], 0);
		else
			WRITE_ONCE(nested->iotlb[inv.iotlb_id], 0);
		done++;
		cond_resched();
	}
out:
	array->entry_num = done;
	return rc;
}

static const struct ioasid_nest_ops mock_nest_ops = {
	.alloc_nested = mock_alloc_nested,
	.cache_invalidate = mock_cache_invalidate,
};

/* Nesting ops of a device's IOMMU: every mock device's */
const struct ioasid_nest_ops *ioasid_selftest_nest_ops(struct device *dev)
{
	return dev->bus == &mock_bus ? &mock_nest_ops : NULL;
}

static struct iommu_device mock_iommu = {
	.ops = &mock_ops,
};

static DEFINE_IDA(mock_dev_ida);

struct mock_dev {
	struct device dev;
	struct dev_iommu dev_iommu;
	int id;
	u32 flags;			/* MOCK_FLAGS_DEVICE_* */
};

static void mock_dev_release(struct device *dev)
{
	struct mock_dev *mdev = container_of(dev, struct mock_dev, dev);

	ida_free(&mock_dev_ida, mdev->id);
	kfree(mdev);
}

/* A device in a group of its own, as a real IOMMU driver would make it */
static struct mock_dev *mock_dev_create(u32 flags)
{
	struct iommu_group *group;
	struct mock_dev *mdev;
	int rc;

	mdev = kzalloc(sizeof(*mdev), GFP_KERNEL);
	if (!mdev)
		return ERR_PTR(-ENOMEM);
	mdev->id = ida_alloc(&mock_dev_ida, GFP_KERNEL);
	if (mdev->id < 0) {
		rc = mdev->id;
		kfree(mdev);
		return ERR_PTR(rc);
	}
	mdev->flags = flags;
	device_initialize(&mdev->dev);
	mdev->dev.release = mock_dev_release;
	mdev->dev.bus = &mock_bus;
	mutex_init(&mdev->dev_iommu.lock);
	mdev->dev_iommu.iommu_dev = &mock_iommu;
	mdev->dev.iommu = &mdev->dev_iommu;
	rc = dev_set_name(&mdev->dev, "ioasid_mock%d", mdev->id);
	if (rc)
		goto err_put;
	rc = device_add(&mdev->dev);
	if (rc)
		goto err_put;

	group = iommu_group_alloc();
	if (IS_ERR(group)) {
		rc = PTR_ERR(group);
		goto err_del;
	}
	rc = iommu_group_add_device(group, &mdev->dev);
	iommu_group_put(group);
	if (rc)
		goto err_del;
	return mdev;

err_del:
	device_del(&mdev->dev);
err_put:
	mdev->dev.iommu = NULL;
	put_device(&mdev->dev);
	return ERR_PTR(rc);
}

static bool mock_dev_enforces_cc(struct device *dev)
{
	return container_of(dev, struct mock_dev, dev)->flags &
	       MOCK_FLAGS_DEVICE_ENFORCE_CC;
}

/**
 * ioasid_selftest_domain_init() - finish a domain allocated for a device
 * @dev: the device the domain was allocated for
 * @domain: the new domain
 *
 * Linux 6.1 allocates domains per bus, so what a mock device asks of its
 * domains (MOCK_FLAGS_DEVICE_HUGE_IOVA: large IOPTEs too) is applied here.
 *
 * Return: true for a mock device's domain, which is complete once
 * allocated, as upstream's domain_alloc_paging() makes domains: its
 * aperture and page sizes do not change at its first attach, so it can
 * mirror its IOAS at once.  False for the other IOMMUs of Linux 6.1, whose
 * domains are settled by their first attach (VT-d's address width).
 */
bool ioasid_selftest_domain_init(struct device *dev,
				 struct iommu_domain *domain)
{
	if (dev->bus != &mock_bus)
		return false;
	if (container_of(dev, struct mock_dev, dev)->flags &
	    MOCK_FLAGS_DEVICE_HUGE_IOVA)
		domain->pgsize_bitmap |= MOCK_HUGE_PAGE_SIZE;
	return true;
}

/* Dirty tracking ops of a device's IOMMU: mock devices without NO_DIRTY */
const struct ioasid_dirty_ops *ioasid_selftest_dirty_ops(struct device *dev)
{
	if (dev->bus != &mock_bus ||
	    container_of(dev, struct mock_dev, dev)->flags &
	    MOCK_FLAGS_DEVICE_NO_DIRTY)
		return NULL;
	return &mock_dirty_ops;
}

static void mock_dev_destroy(struct mock_dev *mdev)
{
	iommu_group_remove_device(&mdev->dev);
	device_del(&mdev->dev);
	mdev->dev.iommu = NULL;
	put_device(&mdev->dev);
}

/* The "stdev" object MOCK_DOMAIN returns: a bound and attached mock device */
struct selftest_obj {
	struct ioasid_object obj;
	struct mock_dev *mdev;
	struct ioasid_device *idev;
};

void ioasid_selftest_destroy(struct ioasid_object *obj)
{
	struct selftest_obj *sobj = container_of(obj, struct selftest_obj, obj);

	if (sobj->idev)
		ioasid_device_unbind(sobj->idev);
	if (sobj->mdev)
		mock_dev_destroy(sobj->mdev);
}

static int test_mock_domain(struct ioasid_ucmd *ucmd, struct iommu_test_cmd *cmd,
			    u32 dev_flags)
{
	struct selftest_obj *sobj;
	u32 pt_id = cmd->id;
	int rc;

	if (dev_flags &
	    ~(MOCK_FLAGS_DEVICE_NO_DIRTY | MOCK_FLAGS_DEVICE_HUGE_IOVA |
	      MOCK_FLAGS_DEVICE_ENFORCE_CC))
		return -EINVAL;

	sobj = ioasid_object_alloc(ucmd->ctx, struct selftest_obj,
				   IOASID_OBJ_SELFTEST);
	if (IS_ERR(sobj))
		return PTR_ERR(sobj);

	sobj->mdev = mock_dev_create(dev_flags);
	if (IS_ERR(sobj->mdev)) {
		rc = PTR_ERR(sobj->mdev);
		sobj->mdev = NULL;
		goto err_destroy;
	}
	/* The mock device is owned by the context, so it must not pin it */
	sobj->idev = __ioasid_device_bind(ucmd->ctx, &sobj->mdev->dev, false);
	if (IS_ERR(sobj->idev)) {
		rc = PTR_ERR(sobj->idev);
		sobj->idev = NULL;
		goto err_destroy;
	}
	rc = ioasid_device_attach(sobj->idev, &pt_id);
	if (rc)
		goto err_destroy;

	cmd->mock_domain.out_stdev_id = sobj->obj.id;
	cmd->mock_domain.out_hwpt_id = pt_id;
	cmd->mock_domain.out_idev_id = ioasid_device_id(sobj->idev);
	rc = ioasid_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc)
		goto err_destroy;
	ioasid_object_finalize(ucmd->ctx, &sobj->obj);
	return 0;

err_destroy:
	ioasid_object_abort_and_destroy(ucmd->ctx, &sobj->obj);
	return rc;
}

static int test_mock_domain_replace(struct ioasid_ucmd *ucmd,
				    struct iommu_test_cmd *cmd)
{
	struct ioasid_object *obj;
	struct selftest_obj *sobj;
	u32 pt_id = cmd->mock_domain_replace.pt_id;
	int rc;

	obj = ioasid_get_object(ucmd->ctx, cmd->id, IOASID_OBJ_SELFTEST);
	if (IS_ERR(obj))
		return PTR_ERR(obj);
	sobj = container_of(obj, struct selftest_obj, obj);
	rc = ioasid_device_attach(sobj->idev, &pt_id);
	if (!rc) {
		cmd->mock_domain_replace.pt_id = pt_id;
		rc = ioasid_ucmd_respond(ucmd, sizeof(*cmd));
	}
	ioasid_put_object(ucmd->ctx, obj);
	return rc;
}

/*
 * Mark dirty the IO pages [first, last] of a tracking mock domain, as a
 * device writing there would.  A large IOPTE has one dirty bit: writing any
 * of its IO pages marks all of them.  Returns whether anything was mapped.
 */
static bool mock_mark_dirty(struct mock_domain *mock, unsigned long first,
			    unsigned long last)
{
	XA_STATE(xas, &mock->pfns, first);
	bool marked = false;
	void *ent;

	xas_lock(&xas);
	ent = xas_load(&xas);
	if (ent && xa_to_value(ent) & MOCK_PFN_HUGE)
		first = round_down(first, MOCK_HUGE_IO_PAGES);
	xas_set(&xas, last);
	ent = xas_load(&xas);
	if (ent && xa_to_value(ent) & MOCK_PFN_HUGE)
		last = round_up(last + 1, MOCK_HUGE_IO_PAGES) - 1;
	xas_set(&xas, first);
	xas_for_each(&xas, ent, last) {
		xas_store(&xas, xa_mk_value(xa_to_value(ent) | MOCK_PFN_DIRTY));
		marked = true;
	}
	xas_unlock(&xas);
	return marked;
}

/* Play a device that wrote the pages whose bits are set at uptr */
static int test_dirty(struct ioasid_ucmd *ucmd, struct iommu_test_cmd *cmd)
{
	unsigned long page_size = cmd->dirty.page_size;
	unsigned long npages, i, nr = 0, *bits;
	struct ioasid_object *obj;
	struct mock_domain *mock;
	struct ioasid_hwpt *hwpt;
	int rc = 0;

	if (cmd->dirty.flags || !page_size || !is_power_of_2(page_size) ||
	    page_size < MOCK_IO_PAGE_SIZE || !cmd->dirty.length ||
	    (cmd->dirty.iova | cmd->dirty.length) & (page_size - 1) ||
	    cmd->dirty.iova + cmd->dirty.length < cmd->dirty.iova)
		return -EINVAL;
	npages = cmd->dirty.length / page_size;
	if (npages > MOCK_DIRTY_MAX_BITS)
		return -E2BIG;

	obj = ioasid_get_object(ucmd->ctx, cmd->id, IOASID_OBJ_HWPT);
	if (IS_ERR(obj))
		return PTR_ERR(obj);
	hwpt = container_of(obj, struct ioasid_hwpt, obj);
	if (hwpt->domain->ops != &mock_domain_ops || !hwpt->dirty_ops) {
		rc = -EINVAL;
		goto out_put;
	}
	mock = to_mock_domain(hwpt->domain);
	if (!READ_ONCE(mock->tracking)) {
		rc = -EINVAL;
		goto out_put;
	}
	bits = kvcalloc(BITS_TO_LONGS(npages), sizeof(long), GFP_KERNEL_ACCOUNT);
	if (!bits) {
		rc = -ENOMEM;
		goto out_put;
	}
	/* Only the bytes the bits need: the user's bitmap may end there */
	if (copy_from_user(bits, u64_to_user_ptr(cmd->dirty.uptr),
			   DIV_ROUND_UP(npages, BITS_PER_BYTE))) {
		rc = -EFAULT;
		goto out_free;
	}
	for_each_set_bit(i, bits, npages) {
		unsigned long iova = cmd->dirty.iova + i * page_size;

		nr += mock_mark_dirty(mock, iova / MOCK_IO_PAGE_SIZE,
				      (iova + page_size - 1) /
				      MOCK_IO_PAGE_SIZE);
		cond_resched();
	}
	cmd->dirty.out_nr_dirty = nr;
	rc = ioasid_ucmd_respond(ucmd, sizeof(*cmd));
out_free:
	kvfree(bits);
out_put:
	ioasid_put_object(ucmd->ctx, obj);
	return rc;
}

static int test_add_reserved(struct ioasid_ucmd *ucmd,
			     struct iommu_test_cmd *cmd)
{
	struct ioasid_ioas *ioas;
	unsigned long last;
	int rc;

	/* The IOAS first, as upstream, which then takes any range */
	ioas = ioasid_get_ioas(ucmd->ctx, cmd->id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	if (cmd->add_reserved.start >= ULONG_MAX ||
	    cmd->add_reserved.length >= ULONG_MAX)
		rc = -EOVERFLOW;
	else
		rc = ioasid_range_last(cmd->add_reserved.start,
				       cmd->add_reserved.length, &last);
	if (!rc)
		rc = iopt_reserve(&ioas->iopt, cmd->add_reserved.start, last,
				  NULL);
	ioasid_put_object(ucmd->ctx, &ioas->obj);
	return rc;
}

static struct mock_domain *test_get_mock_domain(struct ioasid_ucmd *ucmd,
						u32 id,
						struct ioasid_hwpt **hwpt)
{
	struct ioasid_object *obj;
	int rc;

	obj = ioasid_get_object(ucmd->ctx, id, IOASID_OBJ_HWPT);
	if (IS_ERR(obj))
		return ERR_CAST(obj);
	*hwpt = container_of(obj, struct ioasid_hwpt, obj);
	/* Upstream's paging and nested HWPTs are objects of two types */
	rc = (*hwpt)->parent ? -ENOENT :
	     (*hwpt)->domain->ops != &mock_domain_ops ? -EINVAL : 0;
	if (rc) {
		ioasid_put_object(ucmd->ctx, obj);
		return ERR_PTR(rc);
	}
	return to_mock_domain((*hwpt)->domain);
}

/* IOTLB entry @id of a nested mock HWPT holds @iotlb */
static int test_md_check_iotlb(struct ioasid_ucmd *ucmd,
			       struct iommu_test_cmd *cmd)
{
	u32 id = cmd->check_iotlb.id;
	struct ioasid_object *obj;
	struct ioasid_hwpt *hwpt;
	int rc = 0;

	obj = ioasid_get_object(ucmd->ctx, cmd->id, IOASID_OBJ_HWPT);
	if (IS_ERR(obj))
		return PTR_ERR(obj);
	hwpt = container_of(obj, struct ioasid_hwpt, obj);
	if (!hwpt->parent)
		rc = -ENOENT;
	else if (hwpt->domain->ops != &mock_nested_ops ||
		 id > MOCK_NESTED_DOMAIN_IOTLB_ID_MAX ||
		 READ_ONCE(to_mock_nested(hwpt->domain)->iotlb[id]) !=
		 cmd->check_iotlb.iotlb)
		rc = -EINVAL;
	ioasid_put_object(ucmd->ctx, obj);
	return rc;
}

/* Every IO page of [iova, iova + length) maps the page behind uptr */
static int test_md_check_map(struct ioasid_ucmd *ucmd,
			     struct iommu_test_cmd *cmd)
{
	unsigned long iova = cmd->check_map.iova;
	unsigned long uptr = cmd->check_map.uptr;
	unsigned long length = cmd->check_map.length;
	struct mock_domain *mock;
	struct ioasid_hwpt *hwpt;
	unsigned long off, end;
	int rc = 0;

	/* As upstream: EINVAL for anything odd, and nothing to check is 0 */
	if (iova % MOCK_IO_PAGE_SIZE || uptr % MOCK_IO_PAGE_SIZE ||
	    length % MOCK_IO_PAGE_SIZE || check_add_overflow(uptr, length, &end))
		return -EINVAL;
	mock = test_get_mock_domain(ucmd, cmd->id, &hwpt);
	if (IS_ERR(mock))
		return PTR_ERR(mock);

	for (off = 0; off < length; off += MOCK_IO_PAGE_SIZE) {
		unsigned long ua = uptr + off;
		struct page *page;
		phys_addr_t want;
		void *ent;

		ent = xa_load(&mock->pfns, (iova + off) / MOCK_IO_PAGE_SIZE);
		if (!ent) {
			rc = -EINVAL;
			break;
		}
		if (get_user_pages_fast(ua & PAGE_MASK, 1, 0, &page) != 1) {
			rc = -EFAULT;
			break;
		}
		want = page_to_phys(page) + ua % PAGE_SIZE;
		put_page(page);
		if ((xa_to_value(ent) >> MOCK_PFN_SHIFT) !=
		    want / MOCK_IO_PAGE_SIZE) {
			rc = -EINVAL;
			break;
		}
		cond_resched();
	}
	ioasid_put_object(ucmd->ctx, &hwpt->obj);
	return rc;
}

/* A large folio shows @refs pins for each of its @npages pages seen */
static int test_check_folio_pins(struct folio *folio, unsigned long npages,
				 unsigned int refs)
{
	int rc = atomic_read(folio_pincount_ptr(folio)) == refs * npages ?
		 0 : -EIO;

	folio_put(folio);
	return rc;
}

/*
 * Every page of [uptr, uptr + length) carries @refs FOLL_PIN pins.  Pins on
 * large folios are counted per folio, so a large folio must show @refs pins
 * for each of its pages inside the range.
 */
static int test_md_check_refs(struct iommu_test_cmd *cmd)
{
	unsigned long uptr = cmd->check_refs.uptr;
	unsigned long length = cmd->check_refs.length;
	unsigned int refs = cmd->check_refs.refs;
	struct folio *large = NULL;
	unsigned long off, end, in_large = 0;
	int rc = 0;

	if (uptr % PAGE_SIZE || length % PAGE_SIZE ||
	    check_add_overflow(uptr, length, &end))
		return -EINVAL;

	for (off = 0; off < length && !rc; off += PAGE_SIZE) {
		struct folio *folio;
		struct page *page;

		if (get_user_pages_fast(uptr + off, 1, 0, &page) != 1) {
			rc = -EFAULT;
			break;
		}
		folio = page_folio(page);
		if (large && folio != large) {
			rc = test_check_folio_pins(large, in_large, refs);
			large = NULL;
		}
		if (folio_test_large(folio)) {
			if (!large) {
				/* Our GUP reference keeps it until checked */
				large = folio;
				in_large = 0;
				folio_get(folio);
			}
			in_large++;
		} else if (page_ref_count(page) / GUP_PIN_COUNTING_BIAS !=
			   refs) {
			rc = -EIO;
		}
		put_page(page);
		cond_resched();
	}
	if (large) {
		int check = test_check_folio_pins(large, in_large, refs);

		if (!rc)
			rc = check;
	}
	return rc;
}

/* The mock in-kernel user behind CREATE_ACCESS, owned by a file */
struct test_access {
	struct file *file;
	struct ioasid_access *access;
	struct mutex lock;		/* protects @items and @next_id */
	struct list_head items;
	unsigned int next_id;
	bool needs_pin;
	bool repin_on_unmap;
};

struct test_access_item {
	struct list_head node;
	unsigned long iova;
	unsigned long length;
	unsigned int id;
	/* MOCK_FLAGS_ACCESS_PIN_ON_UNMAP: not pinned yet */
	bool deferred;
	/* What the deferred pin returned; pinned is !deferred && !pin_rc */
	int pin_rc;
	struct page **pages;
};

static void test_access_unpin_item(struct test_access *staccess,
				   struct test_access_item *item)
{
	if (!item->deferred && !item->pin_rc)
		ioasid_access_unpin_pages(staccess->access, item->iova,
					  item->length);
	kvfree(item->pages);
	kfree(item);
}

/*
 * Pin the deferred items now, inside an unmap callback: the window in which
 * the core keeps every access away from the range being unmapped
 */
static void test_access_pin_deferred(struct test_access *staccess)
{
	struct test_access_item *item;

	list_for_each_entry(item, &staccess->items, node) {
		if (!item->deferred)
			continue;
		item->deferred = false;
		item->pin_rc = ioasid_access_pin_pages(staccess->access,
						       item->iova, item->length,
						       item->pages, 0);
	}
}

/* Called by the core when user space unmaps IOVA that we pinned */
static void test_access_unmap(void *data, unsigned long iova,
			      unsigned long length)
{
	struct test_access *staccess = data;
	struct test_access_item *item, *tmp;
	unsigned long last = iova + length - 1;

	LIST_HEAD(repinned);

	mutex_lock(&staccess->lock);
	list_for_each_entry_safe(item, tmp, &staccess->items, node) {
		if (item->iova > last || item->iova + item->length - 1 < iova)
			continue;
		/* Nothing pinned, nothing to give back */
		if (item->deferred || item->pin_rc)
			continue;
		list_del(&item->node);
		if (staccess->repin_on_unmap) {
			ioasid_access_unpin_pages(staccess->access, item->iova,
						  item->length);
			if (!ioasid_access_pin_pages(staccess->access,
						     item->iova, item->length,
						     item->pages, 0)) {
				list_add_tail(&item->node, &repinned);
				continue;
			}
			kvfree(item->pages);
			kfree(item);
			continue;
		}
		test_access_unpin_item(staccess, item);
	}
	list_splice_tail(&repinned, &staccess->items);
	test_access_pin_deferred(staccess);
	mutex_unlock(&staccess->lock);
}

static const struct ioasid_access_ops test_access_pin_ops = {
	.needs_pin_pages = 1,
	.unmap = test_access_unmap,
};

static const struct ioasid_access_ops test_access_ops = {};

static int test_access_release(struct inode *inode, struct file *filp)
{
	struct test_access *staccess = filp->private_data;
	struct test_access_item *item, *tmp;

	mutex_lock(&staccess->lock);
	list_for_each_entry_safe(item, tmp, &staccess->items, node) {
		list_del(&item->node);
		test_access_unpin_item(staccess, item);
	}
	mutex_unlock(&staccess->lock);
	ioasid_access_destroy(staccess->access);
	mutex_destroy(&staccess->lock);
	kfree(staccess);
	return 0;
}

static const struct file_operations test_access_fops = {
	.owner = THIS_MODULE,
	.release = test_access_release,
};

/* An access fd; as upstream, EBADFD for a closed fd or another file */
static struct test_access *test_access_get(int fd, struct fd *f)
{
	*f = fdget(fd);
	if (!f->file)
		return ERR_PTR(-EBADFD);
	if (f->file->f_op != &test_access_fops) {
		fdput(*f);
		return ERR_PTR(-EBADFD);
	}
	return f->file->private_data;
}

static int test_create_access(struct ioasid_ucmd *ucmd,
			      struct iommu_test_cmd *cmd)
{
	bool needs_pin = cmd->create_access.flags &
			 MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES;
	struct test_access *staccess;
	struct file *file;
	u32 access_id;
	int fd, rc;

	if (cmd->create_access.flags & ~(MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES |
					  MOCK_FLAGS_ACCESS_CREATE_REPIN_ON_UNMAP))
		return -EOPNOTSUPP;

	staccess = kzalloc(sizeof(*staccess), GFP_KERNEL_ACCOUNT);
	if (!staccess)
		return -ENOMEM;
	mutex_init(&staccess->lock);
	INIT_LIST_HEAD(&staccess->items);
	staccess->needs_pin = needs_pin;
	staccess->repin_on_unmap = cmd->create_access.flags &
				   MOCK_FLAGS_ACCESS_CREATE_REPIN_ON_UNMAP;

	staccess->access = ioasid_access_create(ucmd->ctx,
						needs_pin ? &test_access_pin_ops :
							    &test_access_ops,
						staccess, &access_id);
	if (IS_ERR(staccess->access)) {
		rc = PTR_ERR(staccess->access);
		goto err_free;
	}
	rc = ioasid_access_attach(staccess->access, cmd->id);
	if (rc)
		goto err_destroy;

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		rc = fd;
		goto err_destroy;
	}
	file = anon_inode_getfile("[ioasid_test_access]", &test_access_fops,
				  staccess, O_RDWR);
	if (IS_ERR(file)) {
		rc = PTR_ERR(file);
		goto err_put_fd;
	}
	staccess->file = file;

	cmd->create_access.out_access_fd = fd;
	rc = ioasid_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc) {
		put_unused_fd(fd);
		/* The release destroys the access and frees staccess */
		fput(file);
		return rc;
	}
	fd_install(fd, file);
	return 0;

err_put_fd:
	put_unused_fd(fd);
err_destroy:
	ioasid_access_destroy(staccess->access);
err_free:
	mutex_destroy(&staccess->lock);
	kfree(staccess);
	return rc;
}

static int test_destroy_access_pages(struct iommu_test_cmd *cmd)
{
	struct test_access_item *item;
	struct test_access *staccess;
	struct fd f;
	int rc = -ENOENT;

	staccess = test_access_get(cmd->id, &f);
	if (IS_ERR(staccess))
		return PTR_ERR(staccess);
	mutex_lock(&staccess->lock);
	list_for_each_entry(item, &staccess->items, node) {
		if (item->id == cmd->destroy_access_pages.access_pages_id) {
			list_del(&item->node);
			rc = item->pin_rc;
			test_access_unpin_item(staccess, item);
			break;
		}
	}
	mutex_unlock(&staccess->lock);
	fdput(f);
	return rc;
}

/* The pages the access pinned are those behind @uptr */
static int test_check_pages(struct page **pages, unsigned long npages,
			    unsigned long uptr)
{
	unsigned long i;

	for (i = 0; i != npages; i++) {
		struct page *page;
		bool same;

		if (get_user_pages_fast((uptr & PAGE_MASK) + i * PAGE_SIZE, 1,
					0, &page) != 1)
			return -EFAULT;
		same = page == pages[i];
		put_page(page);
		if (!same)
			return -EBADE;
	}
	return 0;
}

static int test_access_pages(struct ioasid_ucmd *ucmd,
			     struct iommu_test_cmd *cmd)
{
	unsigned long iova = cmd->access_pages.iova;
	unsigned long length = cmd->access_pages.length;
	struct test_access_item *item;
	struct test_access *staccess;
	unsigned long last, npages;
	struct fd f;
	int rc;

	/* In upstream's order: size, flags, the access, then the range */
	if (length > MOCK_ACCESS_MAX)
		return -ENOMEM;
	if (cmd->access_pages.flags &
	    ~(MOCK_FLAGS_ACCESS_WRITE | MOCK_FLAGS_ACCESS_SYZ |
	      MOCK_FLAGS_ACCESS_PIN_ON_UNMAP))
		return -EOPNOTSUPP;

	staccess = test_access_get(cmd->id, &f);
	if (IS_ERR(staccess))
		return PTR_ERR(staccess);
	if (!staccess->needs_pin) {
		rc = -EOPNOTSUPP;
		goto out_put;
	}
	rc = ioasid_range_last(iova, length, &last);
	if (rc)
		goto out_put;

	item = kzalloc(sizeof(*item), GFP_KERNEL_ACCOUNT);
	if (!item) {
		rc = -ENOMEM;
		goto out_put;
	}
	npages = last / PAGE_SIZE - iova / PAGE_SIZE + 1;
	item->pages = kvcalloc(npages, sizeof(*item->pages), GFP_KERNEL_ACCOUNT);
	if (!item->pages) {
		rc = -ENOMEM;
		goto err_free_item;
	}

	/*
	 * Pin and record under the lock the unmap callback takes, so an unmap
	 * racing with us always finds the pin it has to release.
	 */
	mutex_lock(&staccess->lock);
	if (cmd->access_pages.flags & MOCK_FLAGS_ACCESS_PIN_ON_UNMAP) {
		item->deferred = true;
		goto record;
	}
	rc = ioasid_access_pin_pages(staccess->access, iova, length,
				     item->pages,
				     (cmd->access_pages.flags &
				      MOCK_FLAGS_ACCESS_WRITE) ?
					     IOASID_ACCESS_RW_WRITE : 0);
	if (rc)
		goto err_unlock;
	if (cmd->access_pages.uptr) {
		rc = test_check_pages(item->pages, npages,
				      cmd->access_pages.uptr);
		if (rc)
			goto err_unpin;
	}
record:
	item->iova = iova;
	item->length = length;
	item->id = staccess->next_id++;
	cmd->access_pages.out_access_pages_id = item->id;
	rc = ioasid_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc)
		goto err_unpin;
	list_add_tail(&item->node, &staccess->items);
	mutex_unlock(&staccess->lock);
	goto out_put;

err_unpin:
	if (!item->deferred)
		ioasid_access_unpin_pages(staccess->access, iova, length);
err_unlock:
	mutex_unlock(&staccess->lock);
	kvfree(item->pages);
err_free_item:
	kfree(item);
out_put:
	fdput(f);
	return rc;
}

static int test_access_replace_ioas(struct iommu_test_cmd *cmd)
{
	struct test_access *staccess;
	struct fd f;
	int rc;

	staccess = test_access_get(cmd->id, &f);
	if (IS_ERR(staccess))
		return PTR_ERR(staccess);
	rc = ioasid_access_replace(staccess->access,
				   cmd->access_replace_ioas.ioas_id);
	fdput(f);
	return rc;
}

static int test_access_rw(struct iommu_test_cmd *cmd)
{
	void __user *uptr = u64_to_user_ptr(cmd->access_rw.uptr);
	unsigned long length = cmd->access_rw.length;
	unsigned int flags = 0;
	struct test_access *staccess;
	struct fd f;
	void *buf;
	int rc;

	/* In upstream's order: size, flags, the access, then the range */
	if (length > MOCK_ACCESS_MAX)
		return -ENOMEM;
	if (cmd->access_rw.flags &
	    ~(MOCK_ACCESS_RW_WRITE | MOCK_ACCESS_RW_SLOW_PATH))
		return -EOPNOTSUPP;
	if (cmd->access_rw.flags & MOCK_ACCESS_RW_WRITE)
		flags |= IOASID_ACCESS_RW_WRITE;
	if (cmd->access_rw.flags & MOCK_ACCESS_RW_SLOW_PATH)
		flags |= IOASID_ACCESS_RW_SLOW_PATH;

	staccess = test_access_get(cmd->id, &f);
	if (IS_ERR(staccess))
		return PTR_ERR(staccess);
	if (!length) {
		rc = -EINVAL;
		goto out_put;
	}
	buf = kvzalloc(length, GFP_KERNEL_ACCOUNT);
	if (!buf) {
		rc = -ENOMEM;
		goto out_put;
	}
	if (flags & IOASID_ACCESS_RW_WRITE) {
		rc = copy_from_user(buf, uptr, length) ? -EFAULT : 0;
		if (!rc)
			rc = ioasid_access_rw(staccess->access,
					      cmd->access_rw.iova, buf, length,
					      flags);
	} else {
		rc = ioasid_access_rw(staccess->access, cmd->access_rw.iova,
				      buf, length, flags);
		if (!rc && copy_to_user(uptr, buf, length))
			rc = -EFAULT;
	}
	kvfree(buf);
out_put:
	fdput(f);
	return rc;
}

/*
 * The netlink family's DMA fault event, with interrupts off as in an IOMMU
 * driver's fault handler, without a fault queue: the tests of its rate
 * limit raise many at once
 */
static int test_nl_fault(struct ioasid_ucmd *ucmd, struct iommu_test_cmd *cmd)
{
	unsigned long flags;
	u32 i;

	if (cmd->nl_fault.perm & ~(IOMMU_FAULT_PERM_READ |
				   IOMMU_FAULT_PERM_WRITE |
				   IOMMU_FAULT_PERM_EXEC))
		return -EOPNOTSUPP;
	if (!cmd->nl_fault.count ||
	    cmd->nl_fault.count > IOASID_TEST_NL_FAULT_MAX)
		return -EINVAL;
	for (i = 0; i != cmd->nl_fault.count; i++) {
		local_irq_save(flags);
		ioasid_nl_fault_event(ucmd->ctx, cmd->id, cmd->nl_fault.hwpt_id,
				      cmd->nl_fault.addr, cmd->nl_fault.perm);
		local_irq_restore(flags);
	}
	return 0;
}

int ioasid_test_cmd(struct ioasid_ucmd *ucmd)
{
	struct iommu_test_cmd *cmd = ucmd->cmd;

	if (cmd->__reserved)
		return -EOPNOTSUPP;

	switch (cmd->op) {
	case IOMMU_TEST_OP_ADD_RESERVED:
		return test_add_reserved(ucmd, cmd);
	case IOMMU_TEST_OP_MOCK_DOMAIN:
		return test_mock_domain(ucmd, cmd, 0);
	case IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS:
		return test_mock_domain(ucmd, cmd,
					cmd->mock_domain_flags.dev_flags);
	case IOMMU_TEST_OP_DIRTY:
		return test_dirty(ucmd, cmd);
	case IOMMU_TEST_OP_MD_CHECK_MAP:
		return test_md_check_map(ucmd, cmd);
	case IOMMU_TEST_OP_MD_CHECK_REFS:
		return test_md_check_refs(cmd);
	case IOMMU_TEST_OP_MD_CHECK_IOTLB:
		return test_md_check_iotlb(ucmd, cmd);
	case IOMMU_TEST_OP_CREATE_ACCESS:
		return test_create_access(ucmd, cmd);
	case IOMMU_TEST_OP_DESTROY_ACCESS_PAGES:
		return test_destroy_access_pages(cmd);
	case IOMMU_TEST_OP_ACCESS_PAGES:
		return test_access_pages(ucmd, cmd);
	case IOMMU_TEST_OP_ACCESS_RW:
		return test_access_rw(cmd);
	case IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE:
		return test_mock_domain_replace(ucmd, cmd);
	case IOMMU_TEST_OP_ACCESS_REPLACE_IOAS:
		return test_access_replace_ioas(cmd);
	case IOMMU_TEST_OP_TRIGGER_IOPF:
		return ioasid_test_trigger_iopf(ucmd, cmd);
	case IOMMU_TEST_OP_IOASID_REPORT_DMA_FAULT:
		return ioasid_test_report_dma_fault(ucmd, cmd);
	case IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT:
		if (cmd->memory_limit.limit < IOASID_TEST_MIN_MEMORY_LIMIT)
			return -EINVAL;
		WRITE_ONCE(ioasid_batch_mem_limit, cmd->memory_limit.limit);
		return 0;
	case IOMMU_TEST_OP_IOASID_NL_FAULT:
		return test_nl_fault(ucmd, cmd);
	default:
		return -EOPNOTSUPP;
	}
}

int ioasid_selftest_init(void)
{
	if (!ioasid_test_enabled)
		return 0;
	return bus_register(&mock_bus);
}

void ioasid_selftest_exit(void)
{
	if (!ioasid_test_enabled)
		return;
	bus_unregister(&mock_bus);
	ida_destroy(&mock_dev_ida);
}
