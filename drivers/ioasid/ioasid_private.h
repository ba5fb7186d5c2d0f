/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ioasid internals.
 *
 * Objects
 * -------
 * Each open() of /dev/ioasid creates a struct ioasid_ctx.  Its objects (IOAS,
 * HWPT, DEVICE, ACCESS and the test-only mock device) live in one xarray and
 * share one ID space starting at 1.  An object is created in three steps:
 * ioasid_object_alloc() reserves the ID, the caller fills the object and
 * answers the user, then ioasid_object_finalize() publishes it.  On failure
 * ioasid_object_abort() (or _abort_and_destroy()) drops it before anyone
 * could see it.
 *
 * ioasid_object::users counts long-term references: one for the xarray, one
 * per dependent object (a HWPT on its IOAS, a device on its HWPT, an access
 * on its IOAS), one for a kernel driver that owns the object, and one for
 * each ioctl that looked the object up.  IOMMU_DESTROY succeeds only when the
 * xarray holds the last reference; otherwise it is EBUSY and nothing
 * changes.  Objects owned by a kernel driver (DEVICE, ACCESS) are removed by
 * that driver with ioasid_object_remove(), which unpublishes the object and
 * waits for ioctls that still hold it: for an ACCESS as long as it takes,
 * for the others at most IOASID_REMOVE_TIMEOUT_MS, after which the object
 * goes back to its context without an owner (main.c).
 *
 * Lock order, outermost first
 * ---------------------------
 *   test_access::lock              test build: pins of a mock access
 *                                  (selftest.c), held around pin and unpin
 *   ioasid_access::ioas_lock       which IOAS an access uses
 *   ioasid_group::lock             attachment of one iommu_group
 *   ioasid_ioas::mutex             HWPT list of an IOAS
 *   ioasid_iopt::domains_rwsem     domains of an IOAS
 *   ioasid_iopt::iova_rwsem        areas, reserved and allowed ranges
 *   ioasid_pages::mutex            pin state of one pinned user range
 *   mm->mmap_lock                  taken by GUP and mm accounting
 * The xa_lock of ioasid_ctx::objects and of ioasid_iopt::access_list are
 * innermost spinlocks and are never held across a sleep; so are
 * ioasid_ctx::pinner_lock and the test build's fault injection lock
 * (fault.c).
 * The global ioasid_groups_lock (device.c: which iommu_groups we own) is
 * never held with a lock of the list: ioasid_group::lock is taken only on
 * a group it handed out, and the last put destroys the group after
 * dropping it.
 * ioasid_ctx::compat_lock (which IOAS the VFIO container ioctls use) is
 * taken with no other lock held, and only the objects xa_lock nests in it.
 * An access's unmap callback runs with none of these held, so the driver
 * behind it may take its own locks and unpin.
 *
 * Fault queues (fault_queue.c): ioasid_fault_lock, one IRQ-safe spinlock
 * for all queues, is innermost: IOMMU drivers' fault handlers take it in
 * any context, device.c takes it under ioasid_group::lock to route the
 * faults of a device, and only a queue's wait queue lock and the netlink
 * family's fault locks (ioasid_nl_fault_event()) nest in it.
 * ioasid_fault_queue::read_mutex (one read() of a fault fd at a time) is
 * taken with no other lock held and held across the copy to user memory,
 * so mm->mmap_lock nests in it.
 *
 * The netlink family (netlink.c) adds:
 *   ioasid_nl_event_lock           mutex, sending one event; taken with
 *                                  any of the locks above held, and only
 *                                  ioasid_nl_ctx::lock and netlink's own
 *                                  locks nest in it
 *   xa_lock of ioasid_nl_ctxs      the context registry; a dump holds it,
 *     -> xa_lock of ioasid_ctx::objects
 *       -> ioasid_nl_ctx::lock     the pid and comm of a context
 *   and a dump takes ioasid_iopt::iova_rwsem under the two xa_locks with
 *   down_read_trylock() only, keeps it once they are dropped, and takes
 *   nothing else while it holds it.  ioasid_nl_ctx::fault_lock and the
 *   fault ring's lock are innermost spinlocks taken with interrupts off
 *   (DMA faults come from hard interrupt context).
 */
#ifndef __IOASID_PRIVATE_H
#define __IOASID_PRIVATE_H

#include <linux/interval_tree.h>
#include <linux/iommu.h>
#include <linux/mutex.h>
#include <linux/refcount.h>
#include <linux/rwsem.h>
#include <linux/wait.h>
#include <linux/xarray.h>
#include <linux/ioasid_core.h>
#include <uapi/linux/ioasid.h>

#include "io_pagetable.h"	/* struct ioasid_ioas embeds struct ioasid_iopt */
#include "iova.h"
#include "netlink.h"

struct ioasid_ctx;

/* main.c: contexts, objects, the ioctl dispatcher, module parameters */

extern bool ioasid_allow_unsafe_interrupts;

/* Counters read through debugfs by the test suites to prove nothing leaks */
struct ioasid_stats {
	atomic_long_t contexts;
	atomic_long_t objects;
	atomic_long_t pages_objs;	/* live ioasid_pages and small areas */
	atomic_long_t small_areas;	/* live small areas */
	atomic_long_t pinned;		/* pages pinned right now */
	atomic_long_t charged;		/* pages charged to an RLIMIT_MEMLOCK */
	atomic_long_t groups;		/* iommu_groups whose DMA we own */
	atomic_long_t domains;		/* iommu_domains we allocated */
	atomic_long_t map_calls;	/* iommu_map() calls ever made */
	atomic_long_t fault_records;	/* fault records alive */
	atomic_long_t faults_dropped;	/* faults no user saw, ever */
	atomic_long_t fault_responses;	/* page requests answered, ever */
};

extern struct ioasid_stats ioasid_stats;

enum ioasid_object_type {
	IOASID_OBJ_NONE,
	IOASID_OBJ_ANY = IOASID_OBJ_NONE,
	IOASID_OBJ_IOAS,
	IOASID_OBJ_HWPT,
	IOASID_OBJ_DEVICE,
	IOASID_OBJ_ACCESS,
	IOASID_OBJ_FAULT,
	IOASID_OBJ_SELFTEST,
	IOASID_OBJ_MAX,
};

struct ioasid_object {
	refcount_t users;
	enum ioasid_object_type type;
	u32 id;
};

struct ioasid_ctx {
	struct file *file;
	struct xarray objects;
	wait_queue_head_t destroy_wait;
	/* IOMMU_OPTION_RLIMIT_MODE; written under the objects xa_lock */
	bool account_mm;
	/*
	 * The IOAS the VFIO type1 container ioctls act on, by ID and
	 * address (an ID alone could be reused); under @compat_lock
	 */
	struct mutex compat_lock;
	u32 vfio_ioas_id;
	struct ioasid_ioas *vfio_ioas;
	/* The last pinner handed out (pages.c: ioasid_pinner_get()) */
	spinlock_t pinner_lock;
	struct ioasid_pinner *pinner;
	/* netlink.c: global ID, owner, usage, events */
	struct ioasid_nl_ctx nl;
};

struct ioasid_ucmd {
	struct ioasid_ctx *ctx;
	void __user *ubuffer;
	u32 user_size;
	void *cmd;
};

static inline int ioasid_ucmd_respond(struct ioasid_ucmd *ucmd, size_t size)
{
	if (ioasid_should_fail(IOASID_FAULT_UACCESS) ||
	    copy_to_user(ucmd->ubuffer, ucmd->cmd,
			 min_t(size_t, ucmd->user_size, size)))
		return -EFAULT;
	return 0;
}

struct ioasid_object *_ioasid_object_alloc(struct ioasid_ctx *ctx,
					   size_t size,
					   enum ioasid_object_type type);
/* @type embeds struct ioasid_object obj as its first member */
#define ioasid_object_alloc(ctx, type, obj_type)                             \
	container_of(_ioasid_object_alloc(ctx,                               \
					  sizeof(type) +                     \
					  BUILD_BUG_ON_ZERO(offsetof(        \
						type, obj) != 0),            \
					  obj_type),                         \
		     type, obj)
void ioasid_object_finalize(struct ioasid_ctx *ctx, struct ioasid_object *obj);
void ioasid_object_abort(struct ioasid_ctx *ctx, struct ioasid_object *obj);
void ioasid_object_abort_and_destroy(struct ioasid_ctx *ctx,
				     struct ioasid_object *obj);
struct ioasid_object *ioasid_get_object(struct ioasid_ctx *ctx, u32 id,
					enum ioasid_object_type type);
void ioasid_put_object(struct ioasid_ctx *ctx, struct ioasid_object *obj);
void ioasid_object_remove(struct ioasid_ctx *ctx, struct ioasid_object *obj);
void ioasid_ctx_get(struct ioasid_ctx *ctx);

/* ioas.c */

struct ioasid_ioas {
	struct ioasid_object obj;
	struct ioasid_ctx *ctx;
	struct ioasid_iopt iopt;
	struct mutex mutex;		/* protects @hwpt_list and HWPT states */
	struct list_head hwpt_list;	/* struct ioasid_hwpt */
};

static inline struct ioasid_ioas *ioasid_get_ioas(struct ioasid_ctx *ctx,
						  u32 id)
{
	return container_of(ioasid_get_object(ctx, id, IOASID_OBJ_IOAS),
			    struct ioasid_ioas, obj);
}

void ioasid_ioas_destroy(struct ioasid_object *obj);
struct ioasid_ioas *ioasid_ioas_create(struct ioasid_ctx *ctx);
int ioasid_ioas_alloc_ioctl(struct ioasid_ucmd *ucmd);
int ioasid_ioas_iova_ranges(struct ioasid_ucmd *ucmd);
int ioasid_ioas_allow_iovas(struct ioasid_ucmd *ucmd);
int ioasid_ioas_map(struct ioasid_ucmd *ucmd);
int ioasid_ioas_copy(struct ioasid_ucmd *ucmd);
int ioasid_ioas_unmap(struct ioasid_ucmd *ucmd);
int ioasid_ioas_option(struct ioasid_ucmd *ucmd);
int ioasid_option_rlimit_mode(struct iommu_option *cmd,
			      struct ioasid_ctx *ctx);

/* vfio_compat.c */

int ioasid_vfio_ioas(struct ioasid_ucmd *ucmd);
long ioasid_vfio_ioctl(struct ioasid_ctx *ctx, unsigned int cmd,
		       unsigned long arg);

/* hw_pagetable.c */

struct ioasid_hwpt {
	struct ioasid_object obj;
	struct ioasid_ctx *ctx;
	struct ioasid_ioas *ioas;
	struct iommu_domain *domain;
	/* Created by an attach to the IOAS; removed with its last device */
	bool auto_domain;
	/*
	 * The domain's aperture and page sizes are final at allocation (only
	 * the mock IOMMU's are on 6.1), so it may mirror the IOAS before any
	 * device attaches
	 */
	bool complete;
	/* The domain mirrors the IOAS */
	bool in_iopt;
	/* Allocated with dirty tracking; only devices with these ops attach */
	const struct ioasid_dirty_ops *dirty_ops;
	/* The IOMMU of the device it was made for, for netlink dumps */
	char iommu[IOASID_IOMMU_NAME_LEN];
	/* A nested HWPT: the user's stage-1 on top of @parent's domain */
	struct ioasid_hwpt *parent;
	/* Allocated with IOMMU_HWPT_ALLOC_NEST_PARENT */
	bool nest_parent;
	/* The IOMMU's nesting ops: of a nested HWPT, or of a nesting parent */
	const struct ioasid_nest_ops *nest_ops;
	/* Below under ioas->mutex */
	bool dying;
	/*
	 * Cache coherency, settled once for the HWPT's life: @enforce_cc
	 * means the domain blocks DMA that would bypass the CPU caches
	 * (PCIe no-snoop).  An IOMMU_HWPT_ALLOC HWPT is decided at
	 * allocation, by its device's IOMMU, and a nested one takes its
	 * parent's; an automatic one at its first attach.  The domain is
	 * told before it is first filled (ioasid_hwpt_add_to_ioas()).
	 */
	bool cc_decided;
	bool enforce_cc;
	unsigned int ngroups;
	struct list_head hwpt_item;
	/*
	 * fault_queue.c: the queue of IOMMU_HWPT_ALLOC's fault_id (the HWPT
	 * holds it), and the devices attached that it routes there
	 * (ioasid_device::fault_item, under ioasid_fault_lock)
	 */
	struct ioasid_fault_queue *fault;
	struct list_head fault_devs;
};

int ioasid_hwpt_alloc_ioctl(struct ioasid_ucmd *ucmd);
int ioasid_hwpt_set_dirty_tracking(struct ioasid_ucmd *ucmd);
int ioasid_hwpt_get_dirty_bitmap(struct ioasid_ucmd *ucmd);
int ioasid_hwpt_invalidate(struct ioasid_ucmd *ucmd);

/*
 * Nesting.  Linux 6.1's IOMMU drivers cannot nest, so only the mock IOMMU
 * provides these ops.  The user describes a stage-1 translation, and later
 * its cache invalidations, in formats of the IOMMU's own.
 */
struct ioasid_user_data {
	u32 type;
	void __user *uptr;
	u32 len;
};

struct ioasid_user_array {
	u32 type;
	void __user *uptr;
	u32 entry_len;
	u32 entry_num;		/* in: entries; out: entries handled */
};

int ioasid_copy_user_data(void *dst, size_t size, size_t min_size,
			  const struct ioasid_user_data *src);
int ioasid_copy_user_entry(void *dst, size_t size, size_t min_size,
			   const struct ioasid_user_array *array, u32 index);

struct ioasid_nest_ops {
	/* A nested domain on @parent, a domain of the same IOMMU, or ERR_PTR */
	struct iommu_domain *(*alloc_nested)(struct iommu_domain *parent,
					     const struct ioasid_user_data *data);
	/* Handle @array's requests in order; set its entry_num to those done */
	int (*cache_invalidate)(struct iommu_domain *nested,
				struct ioasid_user_array *array);
};

/*
 * Dirty tracking.  Linux 6.1's IOMMU drivers have none, so only the mock
 * IOMMU provides these ops.
 */
struct ioasid_dirty {
	unsigned long iova;	/* IOVA of bit 0 of @bits */
	unsigned long last;	/* last IOVA @bits covers */
	unsigned int pgshift;	/* log2 of the IOVA span of one bit */
	unsigned long *bits;
};

void ioasid_dirty_record(struct ioasid_dirty *d, unsigned long iova,
			 unsigned long length);

struct ioasid_dirty_ops {
	int (*set_tracking)(struct iommu_domain *domain, bool enable);
	/* Record the dirty IO pages of [d->iova, d->last], clear if @clear */
	int (*read_and_clear)(struct iommu_domain *domain,
			      struct ioasid_dirty *d, bool clear);
};

struct ioasid_hwpt *ioasid_hwpt_alloc(struct ioasid_ctx *ctx,
				      struct ioasid_ioas *ioas,
				      struct device *dev, bool auto_domain);
int ioasid_hwpt_add_to_ioas(struct ioasid_hwpt *hwpt);
void ioasid_hwpt_destroy(struct ioasid_object *obj);

/* device.c */

struct ioasid_group;

struct ioasid_device {
	struct ioasid_object obj;
	struct ioasid_ctx *ctx;
	struct ioasid_group *igroup;
	struct device *dev;
	/*
	 * Taken at bind for the netlink family: once the device is removed
	 * its dev->iommu and iommu_group are gone, while an orphaned DEVICE
	 * object can still be dumped
	 */
	u32 group_id;
	char iommu[IOASID_IOMMU_NAME_LEN];
	/* The driver's reference on ctx->file; false for mock devices */
	bool holds_ctx;
	/* Under igroup->lock */
	struct ioasid_hwpt *hwpt;
	struct list_head group_item;
	/*
	 * fault_queue.c, under ioasid_fault_lock (and changed under
	 * igroup->lock): @hwpt while it has a fault queue, and the entry
	 * on its fault_devs
	 */
	struct ioasid_hwpt *fault_hwpt;
	struct list_head fault_item;
};

static inline struct ioasid_device *ioasid_get_device(struct ioasid_ctx *ctx,
						      u32 id)
{
	return container_of(ioasid_get_object(ctx, id, IOASID_OBJ_DEVICE),
			    struct ioasid_device, obj);
}

void ioasid_device_destroy(struct ioasid_object *obj);
int ioasid_device_cc_capable(struct ioasid_device *idev, bool *capable);
int ioasid_get_hw_info(struct ioasid_ucmd *ucmd);
struct ioasid_device *__ioasid_device_bind(struct ioasid_ctx *ctx,
					   struct device *dev, bool hold_ctx);
int ioasid_groups_init(void);
void ioasid_groups_exit(void);
/* test build only */
struct ioasid_hwpt *ioasid_device_get_hwpt(struct ioasid_device *idev);

/* access.c */

struct ioasid_access {
	struct ioasid_object obj;
	struct ioasid_ctx *ctx;
	const struct ioasid_access_ops *ops;
	void *data;
	unsigned long iova_alignment;
	u32 iopt_access_list_id;
	struct mutex ioas_lock;		/* protects @ioas and @npins */
	struct ioasid_ioas *ioas;
	unsigned long npins;		/* pins not yet unpinned */
};

void ioasid_access_destroy_object(struct ioasid_object *obj);
void ioasid_access_notify_unmap(struct ioasid_iopt *iopt, unsigned long iova,
				unsigned long length);

/*
 * fault_queue.c: FAULT objects, the queues of IOMMU_FAULT_QUEUE_ALLOC that
 * DMA faults of the devices of a HWPT go to (not fault.c, which is fault
 * injection)
 */
struct ioasid_fault_queue;

int ioasid_fault_queue_alloc_ioctl(struct ioasid_ucmd *ucmd);
void ioasid_fault_queue_destroy(struct ioasid_object *obj);
int ioasid_hwpt_set_fault(struct ioasid_hwpt *hwpt, u32 fault_id);
void ioasid_hwpt_put_fault(struct ioasid_hwpt *hwpt);
void ioasid_fault_route_dev(struct ioasid_device *idev,
			    struct ioasid_hwpt *hwpt);
int ioasid_fault_report_iopf(struct ioasid_device *idev,
			     const struct iommu_hwpt_pgfault *req);

/*
 * selftest.c and fault.c: the mock IOMMU, IOMMU_TEST_CMD and fault
 * injection exist only in the test build (CONFIG_DEV_IOASID_TEST, what
 * make check loads); the production build gets the stubs below, so its
 * callers compile to nothing and it has no test_mode parameter.
 */

#define IOASID_TEST_CMD_NR 0xa0
/* Largest vendor data IOMMU_GET_HW_INFO returns */
#define IOASID_HW_INFO_MAX 16
struct dentry;

#if IS_ENABLED(CONFIG_DEV_IOASID_TEST)
extern bool ioasid_test_enabled;
int ioasid_test_cmd(struct ioasid_ucmd *ucmd);
void ioasid_selftest_destroy(struct ioasid_object *obj);
int ioasid_selftest_init(void);
int ioasid_selftest_hw_info(struct device *dev, void *data, size_t size,
			    u32 *type);
const struct ioasid_dirty_ops *ioasid_selftest_dirty_ops(struct device *dev);
bool ioasid_selftest_domain_init(struct device *dev,
				 struct iommu_domain *domain);
const struct ioasid_nest_ops *ioasid_selftest_nest_ops(struct device *dev);
void ioasid_selftest_exit(void);
void ioasid_fault_debugfs_init(struct dentry *dir);
/* selftest_fault_queue.c: the test operations of fault queues */
struct iommu_test_cmd;
int ioasid_test_trigger_iopf(struct ioasid_ucmd *ucmd,
			     struct iommu_test_cmd *cmd);
int ioasid_test_report_dma_fault(struct ioasid_ucmd *ucmd,
				 struct iommu_test_cmd *cmd);
#else
#define ioasid_test_enabled false
static inline int ioasid_selftest_init(void)
{
	return 0;
}

static inline void ioasid_selftest_exit(void)
{
}

static inline int ioasid_selftest_hw_info(struct device *dev, void *data,
					  size_t size, u32 *type)
{
	return 0;
}

static inline const struct ioasid_dirty_ops *
ioasid_selftest_dirty_ops(struct device *dev)
{
	return NULL;
}

static inline bool ioasid_selftest_domain_init(struct device *dev,
					       struct iommu_domain *domain)
{
	return false;
}

static inline const struct ioasid_nest_ops *
ioasid_selftest_nest_ops(struct device *dev)
{
	return NULL;
}

static inline void ioasid_fault_debugfs_init(struct dentry *dir)
{
}
#endif

/* A step that fails when fault injection says so, else does the real thing */
#define ioasid_kzalloc(size, gfp)					\
	(ioasid_should_fail(IOASID_FAULT_ALLOC) ? NULL : kzalloc(size, gfp))
#define ioasid_kcalloc(n, size, gfp)					\
	(ioasid_should_fail(IOASID_FAULT_ALLOC) ? NULL : kcalloc(n, size, gfp))

#endif
