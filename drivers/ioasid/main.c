// SPDX-License-Identifier: GPL-2.0-only
/*
 * /dev/ioasid: contexts, the object table and the ioctl dispatcher.
 */
#define pr_fmt(fmt) "ioasid: " fmt

#include <linux/debugfs.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "ioasid_private.h"
#include "ioasid_test.h"

struct ioasid_stats ioasid_stats;

bool ioasid_allow_unsafe_interrupts;
module_param_named(allow_unsafe_interrupts, ioasid_allow_unsafe_interrupts,
		   bool, 0644);
MODULE_PARM_DESC(allow_unsafe_interrupts,
		 "Bind devices whose IOMMU cannot isolate MSIs (no interrupt remapping). A device owned by user space can then forge interrupts for other devices: only set this if you trust every user of /dev/ioasid.");

/*
 * How long ioasid_object_remove() waits for the ioctls that still use an
 * object.  An ioctl holds its objects across copies to and from user
 * memory, and user space can stall those for as long as it likes
 * (userfaultfd, FUSE): the driver removing the object, and whoever waits
 * for that driver (PCI remove), must not wait with it.
 */
#define IOASID_REMOVE_TIMEOUT_MS 10000

static const struct ioasid_object_ops {
	const char *name;
	void (*destroy)(struct ioasid_object *obj);
	/*
	 * ioasid_object_remove() waits for the other users however long they
	 * take: they are kernel code calling into the object's driver (the
	 * unmap callback of an access), which must be over before the driver
	 * frees what the callback uses.  No ioctl holds such an object across
	 * a user memory access.
	 */
	bool remove_waits;
} ioasid_object_ops[IOASID_OBJ_MAX] = {
	[IOASID_OBJ_IOAS] = { "IOAS", ioasid_ioas_destroy },
	[IOASID_OBJ_HWPT] = { "HWPT", ioasid_hwpt_destroy },
	[IOASID_OBJ_DEVICE] = { "DEVICE", ioasid_device_destroy },
	[IOASID_OBJ_ACCESS] = { "ACCESS", ioasid_access_destroy_object,
				.remove_waits = true },
	[IOASID_OBJ_FAULT] = { "FAULT", ioasid_fault_queue_destroy },
#if IS_ENABLED(CONFIG_DEV_IOASID_TEST)
	[IOASID_OBJ_SELFTEST] = { "SELFTEST", ioasid_selftest_destroy },
#endif
};

struct ioasid_object *_ioasid_object_alloc(struct ioasid_ctx *ctx,
					   size_t size,
					   enum ioasid_object_type type)
{
	struct ioasid_object *obj;
	int rc;

	obj = ioasid_kzalloc(size, GFP_KERNEL_ACCOUNT);
	if (!obj)
		return ERR_PTR(-ENOMEM);
	obj->type = type;
	refcount_set(&obj->users, 1);

	/* A NULL entry only reserves the ID: lookups cannot see it yet */
	rc = ioasid_should_fail(IOASID_FAULT_ID) ? -ENOMEM :
	     xa_alloc(&ctx->objects, &obj->id, NULL, xa_limit_31b,
		      GFP_KERNEL_ACCOUNT);
	if (rc) {
		kfree(obj);
		return ERR_PTR(rc);
	}
	atomic_long_inc(&ioasid_stats.objects);
	return obj;
}

/* Publish a fully built object; the xarray takes the initial reference */
void ioasid_object_finalize(struct ioasid_ctx *ctx, struct ioasid_object *obj)
{
	void *old;

	/* Storing over a reserved entry never allocates */
	old = xa_store(&ctx->objects, obj->id, obj, GFP_KERNEL);
	WARN_ON(old);
	ioasid_nl_object_created(ctx, obj);
}

static void ioasid_object_free(struct ioasid_object *obj)
{
	kfree(obj);
	atomic_long_dec(&ioasid_stats.objects);
}

/* Drop an object that was never finalized and holds nothing */
void ioasid_object_abort(struct ioasid_ctx *ctx, struct ioasid_object *obj)
{
	xa_erase(&ctx->objects, obj->id);
	ioasid_object_free(obj);
}

/* Drop an object that was never finalized but is otherwise complete */
void ioasid_object_abort_and_destroy(struct ioasid_ctx *ctx,
				     struct ioasid_object *obj)
{
	ioasid_object_ops[obj->type].destroy(obj);
	ioasid_object_abort(ctx, obj);
}

/**
 * ioasid_get_object() - look up an object for the duration of an ioctl
 * @ctx: context
 * @id: object ID
 * @type: required type, or IOASID_OBJ_ANY
 *
 * Return: the object with one more user, to be dropped with
 * ioasid_put_object(), or ERR_PTR(-ENOENT) if @id names no object of @type.
 */
struct ioasid_object *ioasid_get_object(struct ioasid_ctx *ctx, u32 id,
					enum ioasid_object_type type)
{
	struct ioasid_object *obj;

	xa_lock(&ctx->objects);
	obj = xa_load(&ctx->objects, id);
	if (!obj || (type != IOASID_OBJ_ANY && obj->type != type) ||
	    !refcount_inc_not_zero(&obj->users))
		obj = ERR_PTR(-ENOENT);
	xa_unlock(&ctx->objects);
	return obj;
}

/*
 * Drop a reference taken by ioasid_get_object() or held by a dependent
 * object.  Never the last one: the xarray or an owner always holds one more.
 */
void ioasid_put_object(struct ioasid_ctx *ctx, struct ioasid_object *obj)
{
	refcount_dec(&obj->users);
	if (wq_has_sleeper(&ctx->destroy_wait))
		wake_up(&ctx->destroy_wait);
}

/*
 * An ioctl kept @obj past the removal's timeout: give it back to its
 * context under its old ID, which stayed reserved, with the caller's
 * reference as the xarray's.  It no longer has an owner, so IOMMU_DESTROY
 * or the close of the context destroys it once the ioctl is done.
 */
static void ioasid_object_give_back(struct ioasid_ctx *ctx,
				    struct ioasid_object *obj)
{
	xa_lock(&ctx->objects);
	/* Over the reserved entry: never allocates, cannot fail */
	__xa_store(&ctx->objects, obj->id, obj, 0);
	xa_unlock(&ctx->objects);
	pr_warn_ratelimited("%s %u is still in use by an ioctl after %u s (stalled on user memory?): it stays in its context until IOMMU_DESTROY or close\n",
			    ioasid_object_ops[obj->type].name, obj->id,
			    IOASID_REMOVE_TIMEOUT_MS / 1000);
}

/**
 * ioasid_object_remove() - destroy an object on behalf of the kernel
 * @ctx: context
 * @obj: the object; the caller gives up the reference it holds
 *
 * Used by drivers that own an object (device unbind, access destroy) and for
 * automatic HWPTs.  The object leaves the ID space at once and ioctls that
 * still hold it finish first, but the wait for them is bounded (except for
 * objects with remove_waits): after IOASID_REMOVE_TIMEOUT_MS the object goes
 * back to its context as an object without an owner, which IOMMU_DESTROY
 * or the close of the context destroys later.  Either way the caller is
 * done with it.  The caller must not hold a lock that such an ioctl could
 * wait for.
 */
void ioasid_object_remove(struct ioasid_ctx *ctx, struct ioasid_object *obj)
{
	bool published;

	xa_lock(&ctx->objects);
	published = xa_load(&ctx->objects, obj->id) == obj;
	if (published) {
		/* A NULL store keeps the ID reserved, for a give back */
		__xa_store(&ctx->objects, obj->id, NULL, 0);
		/* The xarray's reference; the caller's keeps it above zero */
		refcount_dec(&obj->users);
	}
	xa_unlock(&ctx->objects);

	/* Without an ID no ioctl can have it: only kernel users wait */
	if (!published || ioasid_object_ops[obj->type].remove_waits) {
		wait_event(ctx->destroy_wait, refcount_read(&obj->users) == 1);
	} else if (!wait_event_timeout(ctx->destroy_wait,
				       refcount_read(&obj->users) == 1,
				       msecs_to_jiffies(IOASID_REMOVE_TIMEOUT_MS))) {
		ioasid_object_give_back(ctx, obj);
		return;
	}

	if (published)
		xa_erase(&ctx->objects, obj->id);
	ioasid_object_ops[obj->type].destroy(obj);
	if (published)
		ioasid_nl_object_destroyed(ctx, obj);
	ioasid_object_free(obj);
}

static int ioasid_destroy(struct ioasid_ucmd *ucmd)
{
	struct iommu_destroy *cmd = ucmd->cmd;
	struct ioasid_ctx *ctx = ucmd->ctx;
	struct ioasid_object *obj;

	xa_lock(&ctx->objects);
	obj = xa_load(&ctx->objects, cmd->id);
	if (!obj) {
		xa_unlock(&ctx->objects);
		return -ENOENT;
	}
	/* Only the xarray may hold it: no dependent, owner or ioctl */
	if (!refcount_dec_if_one(&obj->users)) {
		xa_unlock(&ctx->objects);
		return -EBUSY;
	}
	__xa_erase(&ctx->objects, cmd->id);
	xa_unlock(&ctx->objects);

	ioasid_object_ops[obj->type].destroy(obj);
	ioasid_nl_object_destroyed(ctx, obj);
	ioasid_object_free(obj);
	return 0;
}

static int ioasid_option(struct ioasid_ucmd *ucmd)
{
	struct iommu_option *cmd = ucmd->cmd;
	struct iommu_option __user *uopt = ucmd->ubuffer;
	int rc;

	if (cmd->__reserved)
		return -EOPNOTSUPP;

	switch (cmd->option_id) {
	case IOMMU_OPTION_RLIMIT_MODE:
		rc = ioasid_option_rlimit_mode(cmd, ucmd->ctx);
		break;
	case IOMMU_OPTION_HUGE_PAGES:
		rc = ioasid_ioas_option(ucmd);
		break;
	default:
		return -EOPNOTSUPP;
	}
	if (rc)
		return rc;
	/* Only the value is written back */
	if (ioasid_should_fail(IOASID_FAULT_UACCESS) ||
	    copy_to_user(&uopt->val64, &cmd->val64, sizeof(cmd->val64)))
		return -EFAULT;
	return 0;
}

union ioasid_ucmd_buffer {
	struct iommu_destroy destroy;
	struct iommu_ioas_alloc alloc;
	struct iommu_ioas_allow_iovas allow_iovas;
	struct iommu_ioas_copy copy;
	struct iommu_ioas_iova_ranges iova_ranges;
	struct iommu_ioas_map map;
	struct iommu_ioas_unmap unmap;
	struct iommu_option option;
	struct iommu_vfio_ioas vfio_ioas;
	struct iommu_hwpt_alloc hwpt_alloc;
	struct iommu_hw_info hw_info;
	struct iommu_hwpt_set_dirty_tracking set_dirty;
	struct iommu_hwpt_get_dirty_bitmap get_dirty;
	struct iommu_hwpt_invalidate invalidate;
	struct iommu_fault_alloc fault_alloc;
#if IS_ENABLED(CONFIG_DEV_IOASID_TEST)
	struct iommu_test_cmd test;
#endif
};

struct ioasid_ioctl_op {
	unsigned int size;
	unsigned int min_size;
	int (*execute)(struct ioasid_ucmd *ucmd);
};

/*
 * Every ioctl is _IO(IOMMUFD_TYPE, nr): no size or direction bits, the size
 * is the first member of the structure.  @last is the last member of the
 * first revision of the structure: later revisions grow the structure but
 * never the minimum size.
 */
#define IOASID_IOCTL(_ioctl, _fn, _struct, _last)                            \
	[_IOC_NR(_ioctl) - IOMMUFD_CMD_BASE] = {                             \
		.size = sizeof(_struct) +                                    \
			BUILD_BUG_ON_ZERO(sizeof(union ioasid_ucmd_buffer) < \
					  sizeof(_struct)),                  \
		.min_size = offsetofend(_struct, _last),                     \
		.execute = _fn,                                              \
	}

static const struct ioasid_ioctl_op ioasid_ioctl_ops[] = {
	IOASID_IOCTL(IOMMU_DESTROY, ioasid_destroy, struct iommu_destroy, id),
	IOASID_IOCTL(IOMMU_IOAS_ALLOC, ioasid_ioas_alloc_ioctl,
		     struct iommu_ioas_alloc, out_ioas_id),
	IOASID_IOCTL(IOMMU_IOAS_ALLOW_IOVAS, ioasid_ioas_allow_iovas,
		     struct iommu_ioas_allow_iovas, allowed_iovas),
	IOASID_IOCTL(IOMMU_IOAS_COPY, ioasid_ioas_copy, struct iommu_ioas_copy,
		     src_iova),
	IOASID_IOCTL(IOMMU_IOAS_IOVA_RANGES, ioasid_ioas_iova_ranges,
		     struct iommu_ioas_iova_ranges, out_iova_alignment),
	IOASID_IOCTL(IOMMU_IOAS_MAP, ioasid_ioas_map, struct iommu_ioas_map,
		     iova),
	IOASID_IOCTL(IOMMU_IOAS_UNMAP, ioasid_ioas_unmap,
		     struct iommu_ioas_unmap, length),
	IOASID_IOCTL(IOMMU_OPTION, ioasid_option, struct iommu_option, val64),
	IOASID_IOCTL(IOMMU_VFIO_IOAS, ioasid_vfio_ioas, struct iommu_vfio_ioas,
		     __reserved),
	IOASID_IOCTL(IOMMU_HWPT_ALLOC, ioasid_hwpt_alloc_ioctl,
		     struct iommu_hwpt_alloc, __reserved),
	IOASID_IOCTL(IOMMU_GET_HW_INFO, ioasid_get_hw_info,
		     struct iommu_hw_info, __reserved),
	IOASID_IOCTL(IOMMU_HWPT_SET_DIRTY_TRACKING,
		     ioasid_hwpt_set_dirty_tracking,
		     struct iommu_hwpt_set_dirty_tracking, __reserved),
	IOASID_IOCTL(IOMMU_HWPT_GET_DIRTY_BITMAP, ioasid_hwpt_get_dirty_bitmap,
		     struct iommu_hwpt_get_dirty_bitmap, data),
	IOASID_IOCTL(IOMMU_HWPT_INVALIDATE, ioasid_hwpt_invalidate,
		     struct iommu_hwpt_invalidate, __reserved),
	IOASID_IOCTL(IOMMU_FAULT_QUEUE_ALLOC, ioasid_fault_queue_alloc_ioctl,
		     struct iommu_fault_alloc, out_fault_fd),
#if IS_ENABLED(CONFIG_DEV_IOASID_TEST)
	/* Both the 56-byte (Linux <= 6.6) and 72-byte layouts are accepted */
	[IOASID_TEST_CMD_NR - IOMMUFD_CMD_BASE] = {
		.size = sizeof(struct iommu_test_cmd),
		.min_size = IOMMU_TEST_CMD_MIN_SIZE,
		.execute = ioasid_test_cmd,
	},
#endif
};

static long ioasid_fops_ioctl(struct file *filp, unsigned int cmd,
			      unsigned long arg)
{
	const struct ioasid_ioctl_op *op;
	struct ioasid_ucmd ucmd = {};
	union ioasid_ucmd_buffer buf;
	unsigned int nr = _IOC_NR(cmd);
	int rc;

	BUILD_BUG_ON(_IO(IOMMUFD_TYPE, IOASID_TEST_CMD_NR) != IOMMU_TEST_CMD);
	/* Below the iommufd numbers: VFIO type1 container ioctls */
	if (nr < IOMMUFD_CMD_BASE)
		return ioasid_vfio_ioctl(filp->private_data, cmd, arg);
	if (nr - IOMMUFD_CMD_BASE >= ARRAY_SIZE(ioasid_ioctl_ops))
		return -ENOTTY;
	op = &ioasid_ioctl_ops[nr - IOMMUFD_CMD_BASE];
	/* A hole in the table, or size, direction or type bits set */
	if (!op->execute || cmd != _IO(IOMMUFD_TYPE, nr))
		return -ENOTTY;
	if (nr == IOASID_TEST_CMD_NR && !ioasid_test_enabled)
		return -ENOTTY;

	ucmd.ctx = filp->private_data;
	ucmd.ubuffer = (void __user *)arg;
	rc = get_user(ucmd.user_size, (u32 __user *)ucmd.ubuffer);
	if (rc)
		return rc;
	if (ucmd.user_size < op->min_size)
		return -EINVAL;

	ucmd.cmd = &buf;
	if (ioasid_should_fail(IOASID_FAULT_UACCESS))
		return -EFAULT;
	rc = copy_struct_from_user(ucmd.cmd, op->size, ucmd.ubuffer,
				   ucmd.user_size);
	if (rc)
		return rc;
	return op->execute(&ucmd);
}

static int ioasid_fops_open(struct inode *inode, struct file *filp)
{
	struct ioasid_ctx *ctx;
	int rc;

	ctx = ioasid_kzalloc(sizeof(*ctx), GFP_KERNEL_ACCOUNT);
	if (!ctx)
		return -ENOMEM;
	xa_init_flags(&ctx->objects, XA_FLAGS_ALLOC1 | XA_FLAGS_ACCOUNT);
	mutex_init(&ctx->compat_lock);
	spin_lock_init(&ctx->pinner_lock);
	init_waitqueue_head(&ctx->destroy_wait);
	ctx->file = filp;
	filp->private_data = ctx;
	rc = ioasid_nl_ctx_open(ctx);
	if (rc)
		goto err_free;
	atomic_long_inc(&ioasid_stats.contexts);
	return 0;

err_free:
	mutex_destroy(&ctx->compat_lock);
	xa_destroy(&ctx->objects);
	kfree(ctx);
	return rc;
}

/*
 * The last reference to the file is gone, so no ioctl runs and no driver
 * holds the context.  Destroy leaves first: an object that only the xarray
 * holds can go, and its going releases the objects it depended on.
 */
static int ioasid_fops_release(struct inode *inode, struct file *filp)
{
	struct ioasid_ctx *ctx = filp->private_data;
	struct ioasid_object *obj;
	unsigned long index;
	bool progress;

	while (!xa_empty(&ctx->objects)) {
		progress = false;
		xa_for_each(&ctx->objects, index, obj) {
			if (!refcount_dec_if_one(&obj->users))
				continue;
			progress = true;
			xa_erase(&ctx->objects, index);
			ioasid_object_ops[obj->type].destroy(obj);
			ioasid_nl_object_destroyed(ctx, obj);
			ioasid_object_free(obj);
		}
		/* A reference cycle is a bug; leak rather than loop forever */
		if (WARN_ON(!progress))
			break;
	}
	ioasid_ctx_drop_pinner(ctx);
	ioasid_nl_ctx_close(ctx);
	xa_destroy(&ctx->objects);
	mutex_destroy(&ctx->compat_lock);
	kfree(ctx);
	atomic_long_dec(&ioasid_stats.contexts);
	return 0;
}

/*
 * /proc/<pid>/fdinfo/<fd>: the context's ID (as ioasidctl and the netlink
 * family name it), its objects and the pages it pins and charges
 */
static void ioasid_fops_show_fdinfo(struct seq_file *m, struct file *filp)
{
	struct ioasid_ctx *ctx = filp->private_data;
	struct ioasid_nl_ctx *nl = &ctx->nl;
	static const char *const names[IOASID_OBJ_MAX] = {
		[IOASID_OBJ_IOAS] = "ioas",
		[IOASID_OBJ_HWPT] = "hwpt",
		[IOASID_OBJ_DEVICE] = "device",
		[IOASID_OBJ_ACCESS] = "access",
		[IOASID_OBJ_FAULT] = "fault",
		[IOASID_OBJ_SELFTEST] = "selftest",
	};
	unsigned int type;

	seq_printf(m, "ioasid-ctx:\t%u\n", nl->id);
	seq_printf(m, "ioasid-owner:\t%u\n",
		   from_kuid_munged(seq_user_ns(m), nl->owner));
	for (type = IOASID_OBJ_IOAS; type != IOASID_OBJ_MAX; type++)
		if (type != IOASID_OBJ_SELFTEST || ioasid_test_enabled)
			seq_printf(m, "ioasid-objects-%s:\t%d\n", names[type],
				   atomic_read(&nl->nobjects[type]));
	seq_printf(m, "ioasid-pages-pinned:\t%ld\n",
		   atomic_long_read(&nl->usage.pinned));
	seq_printf(m, "ioasid-pages-charged:\t%ld\n",
		   atomic_long_read(&nl->usage.charged));
	seq_printf(m, "ioasid-account-mode:\t%s\n",
		   READ_ONCE(ctx->account_mm) ? "mm" : "user");
}

static const struct file_operations ioasid_fops = {
	.owner = THIS_MODULE,
	.open = ioasid_fops_open,
	.release = ioasid_fops_release,
	.show_fdinfo = ioasid_fops_show_fdinfo,
	.unlocked_ioctl = ioasid_fops_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

/**
 * ioasid_ctx_from_file() - the context behind an open /dev/ioasid
 * @file: a file that may or may not be /dev/ioasid
 *
 * Return: the context with a reference on its file, to be dropped with
 * ioasid_ctx_put(), or ERR_PTR(-EBADFD) if @file is not /dev/ioasid.
 */
struct ioasid_ctx *ioasid_ctx_from_file(struct file *file)
{
	if (file->f_op != &ioasid_fops)
		return ERR_PTR(-EBADFD);
	get_file(file);
	return file->private_data;
}
EXPORT_SYMBOL_NS_GPL(ioasid_ctx_from_file, IOASID);

/* Take one more reference on the file behind @ctx */
void ioasid_ctx_get(struct ioasid_ctx *ctx)
{
	get_file(ctx->file);
}

void ioasid_ctx_put(struct ioasid_ctx *ctx)
{
	fput(ctx->file);
}
EXPORT_SYMBOL_NS_GPL(ioasid_ctx_put, IOASID);

static struct miscdevice ioasid_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "ioasid",
	.fops = &ioasid_fops,
	.nodename = "ioasid",
	.mode = 0600,
};

static struct dentry *ioasid_debugfs;

static int ioasid_stats_show(struct seq_file *m, void *unused)
{
	seq_printf(m, "contexts %ld\n", atomic_long_read(&ioasid_stats.contexts));
	seq_printf(m, "objects %ld\n", atomic_long_read(&ioasid_stats.objects));
	seq_printf(m, "pages_objs %ld\n",
		   atomic_long_read(&ioasid_stats.pages_objs));
	seq_printf(m, "small_areas %ld\n",
		   atomic_long_read(&ioasid_stats.small_areas));
	seq_printf(m, "pinned %ld\n", atomic_long_read(&ioasid_stats.pinned));
	seq_printf(m, "charged %ld\n", atomic_long_read(&ioasid_stats.charged));
	seq_printf(m, "groups %ld\n", atomic_long_read(&ioasid_stats.groups));
	seq_printf(m, "domains %ld\n", atomic_long_read(&ioasid_stats.domains));
	seq_printf(m, "map_calls %ld\n",
		   atomic_long_read(&ioasid_stats.map_calls));
	seq_printf(m, "fault_records %ld\n",
		   atomic_long_read(&ioasid_stats.fault_records));
	seq_printf(m, "faults_dropped %ld\n",
		   atomic_long_read(&ioasid_stats.faults_dropped));
	seq_printf(m, "fault_responses %ld\n",
		   atomic_long_read(&ioasid_stats.fault_responses));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(ioasid_stats);

static int __init ioasid_init(void)
{
	int rc;

	rc = ioasid_pages_init();
	if (rc)
		return rc;
	rc = ioasid_groups_init();
	if (rc)
		goto err_pages;
	rc = ioasid_selftest_init();
	if (rc)
		goto err_groups;
	rc = ioasid_nl_init();
	if (rc)
		goto err_selftest;
	rc = misc_register(&ioasid_misc);
	if (rc)
		goto err_netlink;

	ioasid_debugfs = debugfs_create_dir("ioasid", NULL);
	debugfs_create_file("stats", 0400, ioasid_debugfs, NULL,
			    &ioasid_stats_fops);
	if (ioasid_test_enabled)
		ioasid_fault_debugfs_init(ioasid_debugfs);
	if (ioasid_test_enabled)
		pr_warn("test mode: IOMMU_TEST_CMD and the mock IOMMU are enabled; do not use this on a production system\n");
	return 0;

err_netlink:
	ioasid_nl_exit();
err_selftest:
	ioasid_selftest_exit();
err_groups:
	ioasid_groups_exit();
err_pages:
	ioasid_pages_exit();
	return rc;
}

static void __exit ioasid_exit(void)
{
	debugfs_remove_recursive(ioasid_debugfs);
	misc_deregister(&ioasid_misc);
	ioasid_nl_exit();
	ioasid_selftest_exit();
	ioasid_groups_exit();
	ioasid_pages_exit();
}

module_init(ioasid_init);
module_exit(ioasid_exit);

MODULE_DESCRIPTION("I/O address spaces for user space drivers, compatible with the iommufd uAPI");
MODULE_LICENSE("GPL");
