// SPDX-License-Identifier: GPL-2.0-only
/*
 * The "ioasid" generic netlink family: a read-only view of every context
 * (who opened it, what it holds, pins and charges) for administrators and
 * for the users who own the contexts, and events as contexts change.  The
 * uAPI is include/uapi/linux/ioasid_netlink.h; ioasidctl is the client.
 *
 * Access
 *   A context belongs to the effective user ID of the process that opened
 *   /dev/ioasid.  A dump shows the requester's own contexts, or every
 *   context if the requesting socket and process have CAP_SYS_ADMIN
 *   (netlink_capable()); the decision is made once, in the dump's start
 *   callback, which runs in the requester's sendmsg().  Events go to one
 *   multicast group that only CAP_SYS_ADMIN may join: genetlink checks
 *   GENL_MCAST_CAP_SYS_ADMIN at join time.  Linux 6.1 has no way to filter
 *   a multicast per listener (netlink_broadcast_filtered() is gone), and a
 *   unicast to a listener's port ID could reach another user's socket that
 *   took the port ID between the listener's close and the notifier telling
 *   us, so there is no event stream for unprivileged users: they see their
 *   own contexts through the dumps.
 *
 * Locking of the dumps
 *   The registry (ioasid_nl_ctxs, context ID -> context) is an xarray whose
 *   xa_lock a dump holds while it looks at contexts: a context leaves the
 *   registry (ioasid_nl_ctx_close(), from the file's release) before it is
 *   freed, so every context found under that lock is alive.  Inside, the
 *   context's objects xa_lock: every path that frees a published object
 *   unpublishes it under that lock first (IOMMU_DESTROY, removal, close),
 *   and an object that another one points to (a device's HWPT) is only
 *   freed after its dependent let go and a later section of that lock, so
 *   whatever a dump reaches from an object found under the lock is alive
 *   too.  Both are spinlocks and a message is only nla_put() into the
 *   skb netlink preallocated, so nothing sleeps and no user memory is
 *   touched under them; netlink copies the skb to the reader after the
 *   dumpit callback returns.  The mappings of an IOAS need its iova_rwsem:
 *   a dump takes it with down_read_trylock() under both spinlocks, so the
 *   IOAS cannot go meanwhile (its destroy takes iova_rwsem for writing in
 *   iopt_unmap_all() before anything is freed), then drops the spinlocks
 *   and walks the areas.  If the IOAS is busy (a map or the first attach
 *   pinning under iova_rwsem) it tries again a few times and then fails
 *   the dump with EAGAIN: a dump never waits on a lock a user holds, and
 *   never holds a reference that would make the user's IOMMU_DESTROY fail.
 *   A dump resumes by IDs and IOVAs, so a context or object destroyed
 *   between two parts is simply not there in the next.
 *
 * Events
 *   Sent from the thread that made the change, in process context, under
 *   ioasid_nl_event_lock, which numbers them and keeps their order on the
 *   wire.  Nothing is built unless the group has a listener.  DMA faults
 *   may come from hard interrupt context: ioasid_nl_fault_event() only
 *   counts and queues a record, and a worker sends it.
 */
#define pr_fmt(fmt) "ioasid: " fmt

#include <linux/delay.h>
#include <linux/device.h>
#include <linux/iommu.h>
#include <linux/mm.h>
#include <linux/pid_namespace.h>
#include <linux/seq_file.h>
#include <linux/workqueue.h>
#include <net/genetlink.h>
#include <uapi/linux/ioasid_netlink.h>

#include "ioasid_private.h"

#ifndef GENL_MCAST_CAP_SYS_ADMIN
/* Linux 6.1.66 and later restrict a multicast group to CAP_SYS_ADMIN */
#error "this kernel's genetlink has no GENL_MCAST_CAP_SYS_ADMIN"
#endif

/* How often an areas dump tries a busy IOAS, and how long it waits between */
#define NL_AREA_TRIES 20
#define NL_AREA_WAIT_MS 5

/* DMA fault records queued for the worker at most */
#define NL_FAULT_RING 256

enum {
	IOASID_NL_MCGRP_ADMIN_IDX,
};

#if IS_ENABLED(CONFIG_NET)
static struct genl_family ioasid_nl_family;
#endif

/* Context ID -> struct ioasid_ctx */
static DEFINE_XARRAY_FLAGS(ioasid_nl_ctxs, XA_FLAGS_ALLOC1);
static u32 ioasid_nl_next_id;

/* Serializes sending events, so their numbers are their order */
static DEFINE_MUTEX(ioasid_nl_event_lock);
static u64 ioasid_nl_seq;

static struct {
	atomic64_t events;
	atomic64_t events_lost;
	atomic64_t faults;
	atomic64_t faults_lost;
} ioasid_nl_stats;

static const u32 ioasid_nl_obj_types[IOASID_OBJ_MAX] = {
	[IOASID_OBJ_IOAS] = IOASID_NL_OBJ_IOAS,
	[IOASID_OBJ_HWPT] = IOASID_NL_OBJ_HWPT,
	[IOASID_OBJ_DEVICE] = IOASID_NL_OBJ_DEVICE,
	[IOASID_OBJ_ACCESS] = IOASID_NL_OBJ_ACCESS,
	[IOASID_OBJ_FAULT] = IOASID_NL_OBJ_FAULT,
	[IOASID_OBJ_SELFTEST] = IOASID_NL_OBJ_SELFTEST,
};

/* ------------------------------------------------------------- events */

#if IS_ENABLED(CONFIG_NET)
static bool nl_has_listeners(void)
{
	return genl_has_listeners(&ioasid_nl_family, &init_net,
				  IOASID_NL_MCGRP_ADMIN_IDX) > 0;
}

/*
 * Start an event with the attributes every event has, stamped *@time, or
 * now if @time is NULL.  NULL if nobody listens (a map or an unmap then
 * costs no more than this test) or there is no memory; otherwise
 * ioasid_nl_event_lock is held until nl_event_send().
 */
static struct sk_buff *nl_event_begin(u32 event, u32 ctx_id, kuid_t owner,
				      const u64 *time, void **hdr)
{
	struct sk_buff *skb;
	u64 now;

	if (!nl_has_listeners())
		return NULL;
	/* When it happened, before an allocation that may reclaim */
	now = time ? *time : ktime_get_real_ns();
	skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!skb)
		goto err_lost;
	mutex_lock(&ioasid_nl_event_lock);
	*hdr = genlmsg_put(skb, 0, 0, &ioasid_nl_family, 0,
			   IOASID_NL_CMD_EVENT);
	if (!*hdr ||
	    nla_put_u32(skb, IOASID_NL_A_EVENT, event) ||
	    nla_put_u64_64bit(skb, IOASID_NL_A_SEQ, ioasid_nl_seq + 1,
			      IOASID_NL_A_PAD) ||
	    nla_put_u64_64bit(skb, IOASID_NL_A_TIME, now, IOASID_NL_A_PAD) ||
	    nla_put_u32(skb, IOASID_NL_A_CTX_ID, ctx_id) ||
	    nla_put_u32(skb, IOASID_NL_A_UID,
			from_kuid_munged(&init_user_ns, owner)))
		goto err_unlock;
	return skb;

err_unlock:
	mutex_unlock(&ioasid_nl_event_lock);
	nlmsg_free(skb);
err_lost:
	atomic64_inc(&ioasid_nl_stats.events_lost);
	return NULL;
}

/* Send what nl_event_begin() started; @ok: its attributes all fitted */
static void nl_event_send(struct sk_buff *skb, void *hdr, bool ok)
{
	int rc = -EMSGSIZE;

	lockdep_assert_held(&ioasid_nl_event_lock);
	if (ok) {
		genlmsg_end(skb, hdr);
		ioasid_nl_seq++;
		/* ESRCH: the last listener left meanwhile */
		rc = genlmsg_multicast(&ioasid_nl_family, skb, 0,
				       IOASID_NL_MCGRP_ADMIN_IDX, GFP_KERNEL);
		if (rc == -ESRCH)
			rc = 0;
	} else {
		nlmsg_free(skb);
	}
	mutex_unlock(&ioasid_nl_event_lock);
	if (rc)
		atomic64_inc(&ioasid_nl_stats.events_lost);
	else
		atomic64_inc(&ioasid_nl_stats.events);
}
#else
/*
 * A kernel without networking (the debug kernel of make check-debug) has
 * no netlink: contexts, their counts and fdinfo work, nothing is sent
 */
static bool nl_has_listeners(void)
{
	return false;
}

static struct sk_buff *nl_event_begin(u32 event, u32 ctx_id, kuid_t owner,
				      const u64 *time, void **hdr)
{
	return NULL;
}

static void nl_event_send(struct sk_buff *skb, void *hdr, bool ok)
{
}
#endif

static void nl_ctx_event(struct ioasid_ctx *ctx, u32 event)
{
	struct ioasid_nl_ctx *nl = &ctx->nl;
	char comm[TASK_COMM_LEN];
	struct sk_buff *skb;
	void *hdr;
	u32 pid;

	skb = nl_event_begin(event, nl->id, nl->owner, NULL, &hdr);
	if (!skb)
		return;
	spin_lock(&nl->lock);
	pid = pid_nr(nl->pid);
	memcpy(comm, nl->comm, sizeof(comm));
	spin_unlock(&nl->lock);
	nl_event_send(skb, hdr,
		      !nla_put_u32(skb, IOASID_NL_A_PID, pid) &&
		      !nla_put_string(skb, IOASID_NL_A_COMM, comm));
}

/* OBJ_CREATE or OBJ_DESTROY of @obj, counted in the context by @delta */
static void nl_object_event(struct ioasid_ctx *ctx, struct ioasid_object *obj,
			    u32 event, int delta)
{
	struct ioasid_nl_ctx *nl = &ctx->nl;
	struct sk_buff *skb;
	void *hdr;

	atomic_add(delta, &nl->nobjects[obj->type]);
	skb = nl_event_begin(event, nl->id, nl->owner, NULL, &hdr);
	if (skb)
		nl_event_send(skb, hdr,
			      !nla_put_u32(skb, IOASID_NL_A_OBJ_TYPE,
					   ioasid_nl_obj_types[obj->type]) &&
			      !nla_put_u32(skb, IOASID_NL_A_OBJ_ID, obj->id));
}

/* A published object: ioasid_object_finalize() */
void ioasid_nl_object_created(struct ioasid_ctx *ctx,
			      struct ioasid_object *obj)
{
	nl_object_event(ctx, obj, IOASID_NL_EVENT_OBJ_CREATE, 1);
}

/* A published object was destroyed; its memory is still there */
void ioasid_nl_object_destroyed(struct ioasid_ctx *ctx,
				struct ioasid_object *obj)
{
	nl_object_event(ctx, obj, IOASID_NL_EVENT_OBJ_DESTROY, -1);
}

/*
 * BIND and UNBIND of @idev, or its ATTACH to and DETACH from @hwpt; the
 * caller holds both alive
 */
void ioasid_nl_device_event(struct ioasid_device *idev, u32 event,
			    struct ioasid_hwpt *hwpt)
{
	struct ioasid_nl_ctx *nl = &idev->ctx->nl;
	struct sk_buff *skb;
	bool ok;
	void *hdr;

	skb = nl_event_begin(event, nl->id, nl->owner, NULL, &hdr);
	if (!skb)
		return;
	ok = !nla_put_u32(skb, IOASID_NL_A_DEV_ID, idev->obj.id) &&
	     !nla_put_string(skb, IOASID_NL_A_DEV_NAME, dev_name(idev->dev));
	if (hwpt)
		ok = ok && !nla_put_u32(skb, IOASID_NL_A_HWPT_ID, hwpt->obj.id);
	else
		ok = ok && !nla_put_u32(skb, IOASID_NL_A_GROUP, idev->group_id);
	nl_event_send(skb, hdr, ok);
}

/* A successful map, copy or unmap of an IOAS of @ctx */
void ioasid_nl_map_event(struct ioasid_ctx *ctx, u32 event, u32 ioas_id,
			 u64 iova, u64 length, int prot)
{
	struct ioasid_nl_ctx *nl = &ctx->nl;
	struct sk_buff *skb;
	u32 nl_prot = 0;
	void *hdr;

	skb = nl_event_begin(event, nl->id, nl->owner, NULL, &hdr);
	if (!skb)
		return;
	if (prot & IOMMU_READ)
		nl_prot |= IOASID_NL_PROT_READ;
	if (prot & IOMMU_WRITE)
		nl_prot |= IOASID_NL_PROT_WRITE;
	nl_event_send(skb, hdr,
		      !nla_put_u32(skb, IOASID_NL_A_IOAS_ID, ioas_id) &&
		      !nla_put_u64_64bit(skb, IOASID_NL_A_IOVA, iova,
					 IOASID_NL_A_PAD) &&
		      !nla_put_u64_64bit(skb, IOASID_NL_A_LENGTH, length,
					 IOASID_NL_A_PAD) &&
		      (event != IOASID_NL_EVENT_MAP ||
		       !nla_put_u32(skb, IOASID_NL_A_PROT, nl_prot)));
}

/* ---------------------------------------------------------- DMA faults */

struct nl_fault {
	u64 time;
	u64 addr;
	u64 lost;
	u32 ctx_id;
	kuid_t owner;
	u32 dev_id;
	u32 hwpt_id;
	u32 perm;
};

/* Records waiting for the worker; the lock is taken with interrupts off */
static struct {
	spinlock_t lock;	/* protects the members below */
	unsigned int head;
	unsigned int count;
	struct nl_fault ring[NL_FAULT_RING];
} nl_faults = {
	.lock = __SPIN_LOCK_UNLOCKED(nl_faults.lock),
};

static void nl_fault_work_fn(struct work_struct *work)
{
	struct sk_buff *skb;
	struct nl_fault f;
	unsigned long flags;
	void *hdr;

	for (;;) {
		spin_lock_irqsave(&nl_faults.lock, flags);
		if (!nl_faults.count) {
			spin_unlock_irqrestore(&nl_faults.lock, flags);
			return;
		}
		f = nl_faults.ring[nl_faults.head];
		nl_faults.head = (nl_faults.head + 1) % NL_FAULT_RING;
		nl_faults.count--;
		spin_unlock_irqrestore(&nl_faults.lock, flags);

		skb = nl_event_begin(IOASID_NL_EVENT_FAULT, f.ctx_id, f.owner,
				     &f.time, &hdr);
		if (!skb) {
			atomic64_inc(&ioasid_nl_stats.faults_lost);
			continue;
		}
		nl_event_send(skb, hdr,
			      !nla_put_u32(skb, IOASID_NL_A_DEV_ID, f.dev_id) &&
			      !nla_put_u32(skb, IOASID_NL_A_HWPT_ID, f.hwpt_id) &&
			      !nla_put_u64_64bit(skb, IOASID_NL_A_FAULT_ADDR,
						 f.addr, IOASID_NL_A_PAD) &&
			      !nla_put_u32(skb, IOASID_NL_A_FAULT_PERM, f.perm) &&
			      !nla_put_u64_64bit(skb, IOASID_NL_A_LOST, f.lost,
						 IOASID_NL_A_PAD));
		cond_resched();
	}
}

static DECLARE_WORK(nl_fault_work, nl_fault_work_fn);

/* See netlink.h; no sleeping, no allocation */
void ioasid_nl_fault_event(struct ioasid_ctx *ctx, u32 dev_id, u32 hwpt_id,
			   u64 addr, u32 perm)
{
	struct ioasid_nl_ctx *nl = &ctx->nl;
	unsigned long flags;
	struct nl_fault *f;
	bool queued = false;
	u64 lost = 0;

	/* The caller may pass Linux's bits: they are the uAPI's */
	BUILD_BUG_ON((IOASID_NL_FAULT_PERM_READ ^ IOMMU_FAULT_PERM_READ) |
		     (IOASID_NL_FAULT_PERM_WRITE ^ IOMMU_FAULT_PERM_WRITE) |
		     (IOASID_NL_FAULT_PERM_EXEC ^ IOMMU_FAULT_PERM_EXEC));

	atomic64_inc(&nl->faults);
	atomic64_inc(&ioasid_nl_stats.faults);
	if (!nl_has_listeners())
		return;

	spin_lock_irqsave(&nl->fault_lock, flags);
	if (!nl->fault_count ||
	    time_after(jiffies, nl->fault_window + HZ)) {
		nl->fault_window = jiffies;
		nl->fault_count = 0;
	}
	if (nl->fault_count < IOASID_NL_FAULT_BURST) {
		nl->fault_count++;
		lost = nl->fault_lost;
		nl->fault_lost = 0;
		queued = true;
	} else {
		nl->fault_lost++;
	}
	spin_unlock_irqrestore(&nl->fault_lock, flags);
	if (!queued)
		goto out_lost;

	spin_lock_irqsave(&nl_faults.lock, flags);
	if (nl_faults.count == NL_FAULT_RING) {
		queued = false;
	} else {
		f = &nl_faults.ring[(nl_faults.head + nl_faults.count) %
				    NL_FAULT_RING];
		*f = (struct nl_fault) {
			.time = ktime_get_real_ns(),
			.addr = addr,
			.lost = lost,
			.ctx_id = nl->id,
			.owner = nl->owner,
			.dev_id = dev_id,
			.hwpt_id = hwpt_id,
			.perm = perm,
		};
		nl_faults.count++;
	}
	spin_unlock_irqrestore(&nl_faults.lock, flags);
	if (queued) {
		schedule_work(&nl_fault_work);
		return;
	}
	/*
	 * The worker is behind: this one and those it would have told of
	 * are lost, and the next event sent says so
	 */
	spin_lock_irqsave(&nl->fault_lock, flags);
	nl->fault_lost += lost + 1;
	spin_unlock_irqrestore(&nl->fault_lock, flags);
out_lost:
	atomic64_inc(&nl->faults_lost);
	atomic64_inc(&ioasid_nl_stats.faults_lost);
}

/* ------------------------------------------------------------ contexts */

/**
 * ioasid_nl_ctx_open() - register a new context and tell listeners
 * @ctx: the context, its file set
 *
 * Return: 0, or -ENOMEM (-EBUSY with 2^32 - 1 contexts open).
 */
int ioasid_nl_ctx_open(struct ioasid_ctx *ctx)
{
	struct ioasid_nl_ctx *nl = &ctx->nl;
	int rc;

	BUILD_BUG_ON(ARRAY_SIZE(nl->nobjects) < IOASID_OBJ_MAX);

	spin_lock_init(&nl->lock);
	spin_lock_init(&nl->fault_lock);
	nl->owner = ctx->file->f_cred->euid;
	nl->pid = get_task_pid(current, PIDTYPE_TGID);
	get_task_comm(nl->comm, current->group_leader);

	/* Cyclic, so a monitor does not see an ID come back soon */
	rc = ioasid_should_fail(IOASID_FAULT_ID) ? -ENOMEM :
	     xa_alloc_cyclic(&ioasid_nl_ctxs, &nl->id, ctx, xa_limit_32b,
			     &ioasid_nl_next_id, GFP_KERNEL_ACCOUNT);
	if (rc < 0) {
		put_pid(nl->pid);
		return rc;
	}
	nl_ctx_event(ctx, IOASID_NL_EVENT_CTX_OPEN);
	return 0;
}

/*
 * The context's objects are gone, and it leaves the registry before the
 * caller frees it.  DMA faults it reported before go out first.
 */
void ioasid_nl_ctx_close(struct ioasid_ctx *ctx)
{
	struct ioasid_nl_ctx *nl = &ctx->nl;

	flush_work(&nl_fault_work);
	nl_ctx_event(ctx, IOASID_NL_EVENT_CTX_CLOSE);
	xa_erase(&ioasid_nl_ctxs, nl->id);
	put_pid(nl->pid);
	WARN_ON(atomic_long_read(&nl->usage.pinned) ||
		atomic_long_read(&nl->usage.charged));
}

/*
 * A new mapping of @ctx: the mapping process becomes the one dumps name.
 * Its pages count in the context's usage through their pinner.
 */
void ioasid_nl_ctx_mapper(struct ioasid_ctx *ctx)
{
	struct ioasid_nl_ctx *nl = &ctx->nl;
	struct pid *pid = task_tgid(current);
	struct pid *old;
	/* Unlocked: at worst a mapper that is already named takes the lock */
	if (data_race(nl->pid == pid))
		return;
	get_pid(pid);
	spin_lock(&nl->lock);
	old = nl->pid;
	nl->pid = pid;
	get_task_comm(nl->comm, current->group_leader);
	spin_unlock(&nl->lock);
	put_pid(old);
}

/**
 * ioasid_ctx_id() - the global ID of a context, as dumps and events show it
 * @ctx: the context
 *
 * Return: the ID, never 0.
 */
u32 ioasid_ctx_id(struct ioasid_ctx *ctx)
{
	return ctx->nl.id;
}
EXPORT_SYMBOL_NS_GPL(ioasid_ctx_id, IOASID);

const char *ioasid_iommu_name(struct device *dev)
{
	struct dev_iommu *param = dev->iommu;

	if (param && param->iommu_dev && param->iommu_dev->dev)
		return dev_name(param->iommu_dev->dev);
	return dev->bus ? dev->bus->name : "none";
}

u8 ioasid_nl_page_backing(struct page *page)
{
	u8 kind;

	if (PageHuge(page))
		return IOASID_NL_BACKING_HUGETLB;
	if (PageAnon(page))
		kind = IOASID_NL_BACKING_ANON;
	else if (PageSwapBacked(page))
		kind = IOASID_NL_BACKING_SHMEM;
	else
		kind = IOASID_NL_BACKING_FILE;
	if (PageTransCompound(page))
		kind |= IOASID_NL_BACKING_THP;
	return kind;
}

#if IS_ENABLED(CONFIG_NET)
/* -------------------------------------------------------------- dumps */

/* A dump's state, in netlink_callback::ctx */
struct nl_dump {
	u64 ctx_id;		/* the context to resume at */
	u64 iova;		/* the IOVA to resume at, in that IOAS */
	u32 obj_id;		/* the object to resume at, in that context */
	u32 filter_ctx;		/* 0: every context */
	u32 filter_pid;
	u32 filter_ioas;
	kuid_t euid;		/* the requester's */
	bool privileged;	/* CAP_SYS_ADMIN: sees every context */
};

static struct nl_dump *nl_dump(struct netlink_callback *cb)
{
	BUILD_BUG_ON(sizeof(struct nl_dump) >
		     sizeof_field(struct netlink_callback, ctx));
	return (struct nl_dump *)cb->ctx;
}

static bool nl_visible(const struct nl_dump *d, struct ioasid_ctx *ctx)
{
	return d->privileged || uid_eq(ctx->nl.owner, d->euid);
}

static u32 nl_ctx_pid(struct ioasid_ctx *ctx, char *comm)
{
	struct ioasid_nl_ctx *nl = &ctx->nl;
	u32 nr;

	spin_lock(&nl->lock);
	nr = pid_nr_ns(nl->pid, task_active_pid_ns(current));
	if (comm)
		memcpy(comm, nl->comm, TASK_COMM_LEN);
	spin_unlock(&nl->lock);
	return nr;
}

static bool nl_wanted(const struct nl_dump *d, struct ioasid_ctx *ctx)
{
	if (d->filter_ctx && ctx->nl.id != d->filter_ctx)
		return false;
	if (!nl_visible(d, ctx))
		return false;
	return !d->filter_pid || nl_ctx_pid(ctx, NULL) == d->filter_pid;
}

static void *nl_dump_put(struct sk_buff *skb, struct netlink_callback *cb)
{
	return genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
			   cb->nlh->nlmsg_seq, &ioasid_nl_family, NLM_F_MULTI,
			   genl_dumpit_info(cb)->op.cmd);
}

/* End or cancel a dump message; -EMSGSIZE if it did not fit */
static int nl_dump_end(struct sk_buff *skb, void *hdr, bool ok)
{
	if (!ok) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

/*
 * What a dumpit callback returns after @rc: the bytes it added, so
 * netlink calls again, or an error if not even one message fitted
 */
static int nl_dump_ret(struct sk_buff *skb, int rc)
{
	if (rc == -EMSGSIZE && skb->len)
		return skb->len;
	return rc ? rc : skb->len;
}

/*
 * Attribute @type of a dump request, or NULL.  The parsed table has only
 * the entries of the command's policy (op.maxattr + 1): reading past it
 * for an attribute another command takes would read beyond the array.
 */
static struct nlattr *nl_dump_attr(struct netlink_callback *cb, int type)
{
	const struct genl_dumpit_info *info = genl_dumpit_info(cb);

	if (!info->attrs || type > info->op.maxattr)
		return NULL;
	return info->attrs[type];
}

/*
 * A dump's filters, checked once in its start callback, in the
 * requester's sendmsg(): a context it names must be there and visible.
 * Linux 6.1 calls it with cb->extack NULL, so its messages reach only
 * later kernels; the errno is what the uAPI promises.
 */
static int nl_dump_start(struct netlink_callback *cb)
{
	struct nlattr *ctx_attr = nl_dump_attr(cb, IOASID_NL_A_CTX_ID);
	struct nlattr *pid_attr = nl_dump_attr(cb, IOASID_NL_A_PID);
	struct nlattr *ioas_attr = nl_dump_attr(cb, IOASID_NL_A_IOAS_ID);
	struct nl_dump *d = nl_dump(cb);
	struct ioasid_object *obj;
	struct ioasid_ctx *ctx;
	int rc = 0;

	memset(d, 0, sizeof(*d));
	d->privileged = netlink_capable(cb->skb, CAP_SYS_ADMIN);
	d->euid = current_euid();
	if (ctx_attr)
		d->filter_ctx = nla_get_u32(ctx_attr);
	if (pid_attr)
		d->filter_pid = nla_get_u32(pid_attr);
	if (ioas_attr) {
		if (!d->filter_ctx) {
			NL_SET_ERR_MSG_ATTR(cb->extack, ioas_attr,
					    "an IOAS ID needs a context ID");
			return -EINVAL;
		}
		d->filter_ioas = nla_get_u32(ioas_attr);
	}
	if (!d->filter_ctx)
		return 0;

	xa_lock(&ioasid_nl_ctxs);
	ctx = xa_load(&ioasid_nl_ctxs, d->filter_ctx);
	if (!ctx) {
		NL_SET_ERR_MSG_ATTR(cb->extack, ctx_attr,
				    "no context with this ID");
		rc = -ENOENT;
	} else if (!nl_visible(d, ctx)) {
		NL_SET_ERR_MSG_ATTR(cb->extack, ctx_attr,
				    "the context belongs to another user: only CAP_SYS_ADMIN sees every context");
		rc = -EPERM;
	} else if (d->filter_ioas) {
		xa_lock(&ctx->objects);
		obj = xa_load(&ctx->objects, d->filter_ioas);
		if (!obj || obj->type != IOASID_OBJ_IOAS) {
			NL_SET_ERR_MSG_ATTR(cb->extack, ioas_attr,
					    "no IOAS with this ID in the context");
			rc = -ENOENT;
		}
		xa_unlock(&ctx->objects);
	}
	xa_unlock(&ioasid_nl_ctxs);
	return rc;
}

static int nl_fill_context(struct sk_buff *skb, struct netlink_callback *cb,
			   struct ioasid_ctx *ctx)
{
	struct ioasid_nl_ctx *nl = &ctx->nl;
	char comm[TASK_COMM_LEN];
	u32 pid, nobjects = 0;
	unsigned int i;
	void *hdr;

	hdr = nl_dump_put(skb, cb);
	if (!hdr)
		return -EMSGSIZE;
	for (i = 0; i != ARRAY_SIZE(nl->nobjects); i++)
		nobjects += atomic_read(&nl->nobjects[i]);
	pid = nl_ctx_pid(ctx, comm);
	return nl_dump_end(skb, hdr,
		!nla_put_u32(skb, IOASID_NL_A_CTX_ID, nl->id) &&
		!nla_put_u32(skb, IOASID_NL_A_PID, pid) &&
		!nla_put_string(skb, IOASID_NL_A_COMM, comm) &&
		!nla_put_u32(skb, IOASID_NL_A_UID,
			     from_kuid_munged(current_user_ns(), nl->owner)) &&
		!nla_put_u32(skb, IOASID_NL_A_ACCOUNT_MODE,
			     READ_ONCE(ctx->account_mm) ?
			     IOASID_NL_ACCOUNT_MM : IOASID_NL_ACCOUNT_USER) &&
		!nla_put_u32(skb, IOASID_NL_A_NR_OBJECTS, nobjects) &&
		!nla_put_u64_64bit(skb, IOASID_NL_A_PAGES_PINNED,
				   atomic_long_read(&nl->usage.pinned),
				   IOASID_NL_A_PAD) &&
		!nla_put_u64_64bit(skb, IOASID_NL_A_PAGES_CHARGED,
				   atomic_long_read(&nl->usage.charged),
				   IOASID_NL_A_PAD) &&
		!nla_put_u64_64bit(skb, IOASID_NL_A_FAULTS,
				   atomic64_read(&nl->faults),
				   IOASID_NL_A_PAD) &&
		!nla_put_u64_64bit(skb, IOASID_NL_A_FAULTS_LOST,
				   atomic64_read(&nl->faults_lost),
				   IOASID_NL_A_PAD));
}

static int nl_dump_contexts(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct nl_dump *d = nl_dump(cb);
	struct ioasid_ctx *ctx;
	unsigned long index;
	int rc = 0;

	xa_lock(&ioasid_nl_ctxs);
	xa_for_each_start(&ioasid_nl_ctxs, index, ctx, d->ctx_id) {
		if (!nl_wanted(d, ctx))
			continue;
		rc = nl_fill_context(skb, cb, ctx);
		if (rc)
			break;
		d->ctx_id = (u64)index + 1;
	}
	xa_unlock(&ioasid_nl_ctxs);
	return nl_dump_ret(skb, rc);
}

typedef int (*nl_fill_obj_fn)(struct sk_buff *skb, struct netlink_callback *cb,
			      struct ioasid_ctx *ctx, struct ioasid_object *obj);

/*
 * The objects of type @type (IOASID_OBJ_ANY: all) of every wanted context,
 * with both xa_locks held (see the top of the file)
 */
static int nl_dump_objects_by(struct sk_buff *skb,
			      struct netlink_callback *cb,
			      enum ioasid_object_type type, nl_fill_obj_fn fill)
{
	struct nl_dump *d = nl_dump(cb);
	struct ioasid_object *obj;
	unsigned long index, id;
	struct ioasid_ctx *ctx;
	int rc = 0;

	xa_lock(&ioasid_nl_ctxs);
	xa_for_each_start(&ioasid_nl_ctxs, index, ctx, d->ctx_id) {
		if (index != d->ctx_id)
			d->obj_id = 0;
		d->ctx_id = index;
		if (!nl_wanted(d, ctx))
			continue;
		xa_lock(&ctx->objects);
		xa_for_each_start(&ctx->objects, id, obj, d->obj_id) {
			if (type != IOASID_OBJ_ANY && obj->type != type)
				continue;
			rc = fill(skb, cb, ctx, obj);
			if (rc)
				break;
			d->obj_id = id + 1;
		}
		xa_unlock(&ctx->objects);
		if (rc)
			break;
		d->ctx_id = (u64)index + 1;
		d->obj_id = 0;
	}
	xa_unlock(&ioasid_nl_ctxs);
	return nl_dump_ret(skb, rc);
}

static int nl_fill_object(struct sk_buff *skb, struct netlink_callback *cb,
			  struct ioasid_ctx *ctx, struct ioasid_object *obj)
{
	void *hdr = nl_dump_put(skb, cb);

	if (!hdr)
		return -EMSGSIZE;
	return nl_dump_end(skb, hdr,
		!nla_put_u32(skb, IOASID_NL_A_CTX_ID, ctx->nl.id) &&
		!nla_put_u32(skb, IOASID_NL_A_OBJ_TYPE,
			     ioasid_nl_obj_types[obj->type]) &&
		!nla_put_u32(skb, IOASID_NL_A_OBJ_ID, obj->id) &&
		!nla_put_u32(skb, IOASID_NL_A_OBJ_USERS,
			     refcount_read(&obj->users)));
}

static int nl_dump_objects(struct sk_buff *skb, struct netlink_callback *cb)
{
	return nl_dump_objects_by(skb, cb, IOASID_OBJ_ANY, nl_fill_object);
}

static int nl_fill_device(struct sk_buff *skb, struct netlink_callback *cb,
			  struct ioasid_ctx *ctx, struct ioasid_object *obj)
{
	struct ioasid_device *idev =
		container_of(obj, struct ioasid_device, obj);
	/* Alive: see the top of the file; detach clears it under igroup */
	struct ioasid_hwpt *hwpt = READ_ONCE(idev->hwpt);
	bool ok;
	void *hdr;

	hdr = nl_dump_put(skb, cb);
	if (!hdr)
		return -EMSGSIZE;
	ok = !nla_put_u32(skb, IOASID_NL_A_CTX_ID, ctx->nl.id) &&
	     !nla_put_u32(skb, IOASID_NL_A_DEV_ID, obj->id) &&
	     !nla_put_string(skb, IOASID_NL_A_DEV_NAME, dev_name(idev->dev)) &&
	     !nla_put_string(skb, IOASID_NL_A_IOMMU, idev->iommu) &&
	     !nla_put_u32(skb, IOASID_NL_A_GROUP, idev->group_id);
	if (hwpt)
		ok = ok && !nla_put_u32(skb, IOASID_NL_A_HWPT_ID, hwpt->obj.id);
	return nl_dump_end(skb, hdr, ok);
}

static int nl_dump_devices(struct sk_buff *skb, struct netlink_callback *cb)
{
	return nl_dump_objects_by(skb, cb, IOASID_OBJ_DEVICE, nl_fill_device);
}

static int nl_fill_hwpt(struct sk_buff *skb, struct netlink_callback *cb,
			struct ioasid_ctx *ctx, struct ioasid_object *obj)
{
	struct ioasid_hwpt *hwpt = container_of(obj, struct ioasid_hwpt, obj);
	u32 kind, ngroups, flags = 0;
	bool ok;
	void *hdr;

	if (hwpt->parent)
		kind = IOASID_NL_HWPT_NESTED;
	else if (hwpt->auto_domain)
		kind = IOASID_NL_HWPT_AUTO;
	else
		kind = IOASID_NL_HWPT_PAGING;
	/* Racy reads of what ioas->mutex protects: a snapshot is enough */
	if (data_race(hwpt->enforce_cc))
		flags |= IOASID_NL_HWPT_ENFORCE_CC;
	if (hwpt->nest_parent)
		flags |= IOASID_NL_HWPT_NEST_PARENT;
	if (hwpt->dirty_ops)
		flags |= IOASID_NL_HWPT_DIRTY_TRACKING;
	/* Set once, by the attach that made the domain mirror the IOAS */
	if (data_race(hwpt->in_iopt))
		flags |= IOASID_NL_HWPT_IN_IOAS;

	/* Changes under ioas->mutex; a snapshot */
	ngroups = data_race(hwpt->ngroups);

	hdr = nl_dump_put(skb, cb);
	if (!hdr)
		return -EMSGSIZE;
	ok = !nla_put_u32(skb, IOASID_NL_A_CTX_ID, ctx->nl.id) &&
	     !nla_put_u32(skb, IOASID_NL_A_HWPT_ID, obj->id) &&
	     !nla_put_u32(skb, IOASID_NL_A_IOAS_ID, hwpt->ioas->obj.id) &&
	     !nla_put_u32(skb, IOASID_NL_A_HWPT_KIND, kind) &&
	     !nla_put_u32(skb, IOASID_NL_A_HWPT_FLAGS, flags) &&
	     !nla_put_u32(skb, IOASID_NL_A_DOMAIN_TYPE, hwpt->domain->type) &&
	     !nla_put_string(skb, IOASID_NL_A_IOMMU, hwpt->iommu) &&
	     !nla_put_u64_64bit(skb, IOASID_NL_A_PGSIZES,
				hwpt->domain->pgsize_bitmap, IOASID_NL_A_PAD) &&
	     !nla_put_u32(skb, IOASID_NL_A_NR_GROUPS, ngroups);
	if (hwpt->parent)
		ok = ok && !nla_put_u32(skb, IOASID_NL_A_PARENT_ID,
					hwpt->parent->obj.id);
	return nl_dump_end(skb, hdr, ok);
}

static int nl_dump_hwpts(struct sk_buff *skb, struct netlink_callback *cb)
{
	return nl_dump_objects_by(skb, cb, IOASID_OBJ_HWPT, nl_fill_hwpt);
}

/*
 * The next IOAS of the dump at or after (d->ctx_id, d->obj_id), with its
 * iova_rwsem held for reading; see the top of the file.  -ENOENT when
 * there is none left, -EAGAIN if it is busy.
 */
static int nl_next_ioas(struct nl_dump *d, struct ioasid_ioas **out,
			u32 *ctx_id)
{
	struct ioasid_object *obj;
	unsigned long index, id;
	struct ioasid_ctx *ctx;
	int rc = -ENOENT;

	xa_lock(&ioasid_nl_ctxs);
	xa_for_each_start(&ioasid_nl_ctxs, index, ctx, d->ctx_id) {
		if (index != d->ctx_id) {
			d->obj_id = 0;
			d->iova = 0;
		}
		d->ctx_id = index;
		if (!nl_wanted(d, ctx))
			continue;
		xa_lock(&ctx->objects);
		xa_for_each_start(&ctx->objects, id, obj, d->obj_id) {
			struct ioasid_ioas *ioas;

			if (obj->type != IOASID_OBJ_IOAS ||
			    (d->filter_ioas && id != d->filter_ioas))
				continue;
			if (id != d->obj_id)
				d->iova = 0;
			d->obj_id = id;
			ioas = container_of(obj, struct ioasid_ioas, obj);
			if (!down_read_trylock(&ioas->iopt.iova_rwsem)) {
				rc = -EAGAIN;
				break;
			}
			*out = ioas;
			*ctx_id = ctx->nl.id;
			rc = 0;
			break;
		}
		xa_unlock(&ctx->objects);
		if (rc != -ENOENT)
			break;
	}
	xa_unlock(&ioasid_nl_ctxs);
	return rc;
}

static int nl_fill_area(struct sk_buff *skb, struct netlink_callback *cb,
			u32 ctx_id, struct ioasid_ioas *ioas,
			struct ioasid_area *area)
{
	unsigned long npages;
	u32 prot = 0;
	u8 backing;
	bool pinned;
	void *hdr;

	if (area->iommu_prot & IOMMU_READ)
		prot |= IOASID_NL_PROT_READ;
	if (area->iommu_prot & IOMMU_WRITE)
		prot |= IOASID_NL_PROT_WRITE;
	/* num_accesses changes under pages->mutex; a snapshot */
	pinned = ioas->iopt.ndomains || data_race(area->num_accesses);
	if (area->small) {
		npages = area->sp.npages;
		backing = READ_ONCE(area->sp.backing);
	} else {
		npages = area->pages_node.last - area->pages_node.start + 1;
		backing = READ_ONCE(area->pages->backing);
	}

	hdr = nl_dump_put(skb, cb);
	if (!hdr)
		return -EMSGSIZE;
	return nl_dump_end(skb, hdr,
		!nla_put_u32(skb, IOASID_NL_A_CTX_ID, ctx_id) &&
		!nla_put_u32(skb, IOASID_NL_A_IOAS_ID, ioas->obj.id) &&
		!nla_put_u64_64bit(skb, IOASID_NL_A_IOVA,
				   ioasid_area_iova(area), IOASID_NL_A_PAD) &&
		!nla_put_u64_64bit(skb, IOASID_NL_A_IOVA_LAST,
				   ioasid_area_last_iova(area),
				   IOASID_NL_A_PAD) &&
		!nla_put_u32(skb, IOASID_NL_A_PROT, prot) &&
		!nla_put_u64_64bit(skb, IOASID_NL_A_PAGES, npages,
				   IOASID_NL_A_PAD) &&
		!nla_put_u32(skb, IOASID_NL_A_BACKING, backing) &&
		(!pinned || !nla_put_flag(skb, IOASID_NL_A_PINNED)));
}

static int nl_dump_areas(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct nl_dump *d = nl_dump(cb);
	struct interval_tree_node *node;
	struct ioasid_ioas *ioas;
	unsigned int tries = 0;
	u32 ctx_id;
	int rc;

	for (;;) {
		rc = nl_next_ioas(d, &ioas, &ctx_id);
		if (rc == -ENOENT)
			return skb->len;
		if (rc == -EAGAIN) {
			/* Whatever is in @skb goes first */
			if (skb->len)
				return skb->len;
			if (++tries == NL_AREA_TRIES)
				return -EAGAIN;
			msleep(NL_AREA_WAIT_MS);
			continue;
		}
		tries = 0;
		for (node = interval_tree_iter_first(&ioas->iopt.area_itree,
						     d->iova, ULONG_MAX);
		     node; node = interval_tree_iter_next(node, d->iova,
							  ULONG_MAX)) {
			struct ioasid_area *area =
				container_of(node, struct ioasid_area, node);

			/* Being mapped or unmapped: not there yet, or any more */
			if (!area->published)
				continue;
			rc = nl_fill_area(skb, cb, ctx_id, ioas, area);
			if (rc)
				break;
			if (node->last == ULONG_MAX)
				break;
			d->iova = node->last + 1;
		}
		up_read(&ioas->iopt.iova_rwsem);
		if (rc)
			return nl_dump_ret(skb, rc);
		/* This IOAS is done */
		d->obj_id++;
		d->iova = 0;
	}
}

/* --------------------------------------------------------------- doits */

static int nl_get_version(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *attr = info->attrs[IOASID_NL_A_VERSION];
	struct sk_buff *msg;
	void *hdr;

	if (attr && nla_get_u32(attr) >> 16 != IOASID_NL_VERSION_MAJOR) {
		NL_SET_ERR_MSG_ATTR(info->extack, attr,
				    "the client speaks another major version of the ioasid family than this module");
		return -EPROTONOSUPPORT;
	}
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &ioasid_nl_family, 0,
				IOASID_NL_CMD_GET_VERSION);
	if (!hdr ||
	    nla_put_u32(msg, IOASID_NL_A_VERSION, IOASID_NL_VERSION) ||
	    (netlink_capable(skb, CAP_SYS_ADMIN) &&
	     nla_put_flag(msg, IOASID_NL_A_PRIVILEGED))) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static int nl_get_stats(struct sk_buff *skb, struct genl_info *info)
{
	const struct {
		u16 type;
		s64 value;
	} stats[] = {
		{ IOASID_NL_STAT_CONTEXTS,
		  atomic_long_read(&ioasid_stats.contexts) },
		{ IOASID_NL_STAT_OBJECTS,
		  atomic_long_read(&ioasid_stats.objects) },
		{ IOASID_NL_STAT_PAGES_OBJS,
		  atomic_long_read(&ioasid_stats.pages_objs) },
		{ IOASID_NL_STAT_PINNED, atomic_long_read(&ioasid_stats.pinned) },
		{ IOASID_NL_STAT_CHARGED,
		  atomic_long_read(&ioasid_stats.charged) },
		{ IOASID_NL_STAT_GROUPS, atomic_long_read(&ioasid_stats.groups) },
		{ IOASID_NL_STAT_DOMAINS,
		  atomic_long_read(&ioasid_stats.domains) },
		{ IOASID_NL_STAT_MAP_CALLS,
		  atomic_long_read(&ioasid_stats.map_calls) },
		{ IOASID_NL_STAT_EVENTS, atomic64_read(&ioasid_nl_stats.events) },
		{ IOASID_NL_STAT_EVENTS_LOST,
		  atomic64_read(&ioasid_nl_stats.events_lost) },
		{ IOASID_NL_STAT_FAULTS, atomic64_read(&ioasid_nl_stats.faults) },
		{ IOASID_NL_STAT_FAULTS_LOST,
		  atomic64_read(&ioasid_nl_stats.faults_lost) },
	};
	struct sk_buff *msg;
	struct nlattr *nest;
	unsigned int i;
	void *hdr;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &ioasid_nl_family, 0,
				IOASID_NL_CMD_GET_STATS);
	if (!hdr)
		goto err_free;
	nest = nla_nest_start(msg, IOASID_NL_A_STATS);
	if (!nest)
		goto err_free;
	for (i = 0; i != ARRAY_SIZE(stats); i++)
		if (nla_put_u64_64bit(msg, stats[i].type, stats[i].value,
				      IOASID_NL_STAT_PAD))
			goto err_free;
	nla_nest_end(msg, nest);
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

err_free:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

/* ------------------------------------------------------------- family */

static const struct nla_policy nl_version_policy[IOASID_NL_A_VERSION + 1] = {
	[IOASID_NL_A_VERSION] = { .type = NLA_U32 },
};

/* GET_CONTEXT: by context or by process */
static const struct nla_policy nl_context_policy[IOASID_NL_A_PID + 1] = {
	[IOASID_NL_A_CTX_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[IOASID_NL_A_PID] = NLA_POLICY_MIN(NLA_U32, 1),
};

/* GET_OBJECT, GET_DEVICE, GET_HWPT: by context */
static const struct nla_policy nl_ctx_policy[IOASID_NL_A_CTX_ID + 1] = {
	[IOASID_NL_A_CTX_ID] = NLA_POLICY_MIN(NLA_U32, 1),
};

/* GET_AREA: by context, and by IOAS inside it */
static const struct nla_policy nl_area_policy[IOASID_NL_A_IOAS_ID + 1] = {
	[IOASID_NL_A_CTX_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[IOASID_NL_A_IOAS_ID] = NLA_POLICY_MIN(NLA_U32, 1),
};

#define NL_DUMP_OP(_cmd, _dumpit, _policy, _maxattr)			\
	{								\
		.cmd = _cmd,						\
		.start = nl_dump_start,					\
		.dumpit = _dumpit,					\
		.policy = _policy,					\
		.maxattr = _maxattr,					\
	}

/*
 * No GENL_ADMIN_PERM: it asks for CAP_NET_ADMIN, which says nothing about
 * IOMMUs.  What a requester sees is decided by CAP_SYS_ADMIN in the
 * callbacks; GET_STATS gives module-wide totals to anyone, like
 * /proc/meminfo.  EVENT has no handler: a request for it is EOPNOTSUPP.
 */
static const struct genl_ops ioasid_nl_ops[] = {
	{
		.cmd = IOASID_NL_CMD_GET_VERSION,
		.doit = nl_get_version,
		.policy = nl_version_policy,
		.maxattr = ARRAY_SIZE(nl_version_policy) - 1,
	},
	{
		.cmd = IOASID_NL_CMD_GET_STATS,
		.doit = nl_get_stats,
	},
	NL_DUMP_OP(IOASID_NL_CMD_GET_CONTEXT, nl_dump_contexts,
		   nl_context_policy, IOASID_NL_A_PID),
	NL_DUMP_OP(IOASID_NL_CMD_GET_OBJECT, nl_dump_objects, nl_ctx_policy,
		   IOASID_NL_A_CTX_ID),
	NL_DUMP_OP(IOASID_NL_CMD_GET_AREA, nl_dump_areas, nl_area_policy,
		   IOASID_NL_A_IOAS_ID),
	NL_DUMP_OP(IOASID_NL_CMD_GET_DEVICE, nl_dump_devices, nl_ctx_policy,
		   IOASID_NL_A_CTX_ID),
	NL_DUMP_OP(IOASID_NL_CMD_GET_HWPT, nl_dump_hwpts, nl_ctx_policy,
		   IOASID_NL_A_CTX_ID),
};

static const struct genl_multicast_group ioasid_nl_mcgrps[] = {
	[IOASID_NL_MCGRP_ADMIN_IDX] = {
		.name = IOASID_GENL_MCGRP_ADMIN,
		.flags = GENL_MCAST_CAP_SYS_ADMIN,
	},
};

/*
 * resv_start_op 0: every command validates strictly (unknown attributes,
 * wrong lengths, trailing bytes and a non-zero reserved header field are
 * refused) and a command without a policy takes no attribute at all.
 * Its own locking, so parallel_ops; the initial network namespace only.
 */
static struct genl_family ioasid_nl_family __ro_after_init = {
	.name = IOASID_GENL_NAME,
	.version = IOASID_GENL_VERSION,
	.module = THIS_MODULE,
	.parallel_ops = true,
	.netnsok = false,
	.resv_start_op = 0,
	.ops = ioasid_nl_ops,
	.n_ops = ARRAY_SIZE(ioasid_nl_ops),
	.mcgrps = ioasid_nl_mcgrps,
	.n_mcgrps = ARRAY_SIZE(ioasid_nl_mcgrps),
};

int __init ioasid_nl_init(void)
{
	return genl_register_family(&ioasid_nl_family);
}

/* No context is left: the module is going */
void ioasid_nl_exit(void)
{
	cancel_work_sync(&nl_fault_work);
	genl_unregister_family(&ioasid_nl_family);
	WARN_ON(!xa_empty(&ioasid_nl_ctxs));
}
#else
int __init ioasid_nl_init(void)
{
	return 0;
}

void ioasid_nl_exit(void)
{
	cancel_work_sync(&nl_fault_work);
	WARN_ON(!xa_empty(&ioasid_nl_ctxs));
}
#endif
