/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * netlink.c: the "ioasid" generic netlink family (what contexts exist and
 * pin, and events as they change) and the per-context bookkeeping it reads.
 * Included by ioasid_private.h; the uAPI is include/uapi/linux/ioasid_netlink.h
 * and Documentation/userspace-api/ioasid-netlink.rst.
 */
#ifndef __IOASID_NETLINK_H
#define __IOASID_NETLINK_H

#include <linux/atomic.h>
#include <linux/sched.h>
#include <linux/spinlock.h>
#include <linux/uidgid.h>
#include <uapi/linux/ioasid_netlink.h>

struct device;
struct page;
struct pid;
struct seq_file;
struct ioasid_ctx;
struct ioasid_device;
struct ioasid_hwpt;
struct ioasid_object;
struct ioasid_pages;

/* Bytes of a HWPT's IOMMU name, the NUL included */
#define IOASID_IOMMU_NAME_LEN 16

/*
 * Pages a context pins and charges.  Embedded in the context; every
 * struct ioasid_pages of the context points to it, which is safe because
 * pages live in areas of the context's IOASes only, and the context frees
 * those before itself.
 */
struct ioasid_usage {
	atomic_long_t pinned;
	atomic_long_t charged;
};

/* What netlink.c keeps in every struct ioasid_ctx (ctx->nl) */
struct ioasid_nl_ctx {
	u32 id;			/* global context ID, for dumps and events */
	kuid_t owner;		/* euid of the opener: who may see it */
	struct ioasid_usage usage;
	/* Published objects per type (enum ioasid_object_type) */
	atomic_t nobjects[8];
	spinlock_t lock;	/* protects @pid and @comm */
	struct pid *pid;	/* the opener, then the last mapper */
	char comm[TASK_COMM_LEN];
	/*
	 * DMA fault events: at most IOASID_NL_FAULT_BURST per second; the
	 * others count in @fault_lost until the next one goes out.  Taken
	 * with interrupts off: faults may come from hard interrupt context.
	 */
	spinlock_t fault_lock;
	unsigned long fault_window;	/* jiffies the second began */
	unsigned int fault_count;	/* events queued in it */
	u64 fault_lost;
	atomic64_t faults;		/* reported, for dumps */
	atomic64_t faults_lost;		/* of those, never sent */
};

int ioasid_nl_init(void);
void ioasid_nl_exit(void);

int ioasid_nl_ctx_open(struct ioasid_ctx *ctx);
void ioasid_nl_ctx_close(struct ioasid_ctx *ctx);
void ioasid_nl_ctx_mapper(struct ioasid_ctx *ctx);

void ioasid_nl_object_created(struct ioasid_ctx *ctx,
			      struct ioasid_object *obj);
void ioasid_nl_object_destroyed(struct ioasid_ctx *ctx,
				struct ioasid_object *obj);
/* @event: IOASID_NL_EVENT_BIND, _UNBIND, _ATTACH or _DETACH */
void ioasid_nl_device_event(struct ioasid_device *idev, u32 event,
			    struct ioasid_hwpt *hwpt);

/* @event: IOASID_NL_EVENT_MAP or _UNMAP; @prot: IOMMU_READ/WRITE bits */
void ioasid_nl_map_event(struct ioasid_ctx *ctx, u32 event, u32 ioas_id,
			 u64 iova, u64 length, int prot);

/**
 * ioasid_nl_fault_event() - tell listeners about a DMA fault
 * @ctx: the context of the faulting device; the caller keeps it alive for
 *       the duration of the call (it holds the device or the HWPT)
 * @dev_id: the DEVICE object ID, or 0 if not known
 * @hwpt_id: the HWPT the device was attached to, or 0 if not known
 * @addr: the faulting IOVA
 * @perm: IOMMU_FAULT_PERM_READ / _WRITE / _EXEC bits of <linux/iommu.h>
 *        (equal to IOASID_NL_FAULT_PERM_*)
 *
 * Callable from any context, hard interrupt included: it neither sleeps
 * nor allocates.  The fault is counted in the context, and if a listener
 * is there and the context is within its rate limit (IOASID_NL_FAULT_BURST
 * events a second), queued for a worker that sends IOASID_NL_EVENT_FAULT;
 * otherwise it is counted as lost, and the next fault event of the context
 * carries the number lost since the previous one.
 */
void ioasid_nl_fault_event(struct ioasid_ctx *ctx, u32 dev_id, u32 hwpt_id,
			   u64 addr, u32 perm);

/* The name of the IOMMU serving @dev: its sysfs name, else its bus's */
const char *ioasid_iommu_name(struct device *dev);

/* IOASID_NL_BACKING_* kind of a pinned page */
u8 ioasid_nl_page_backing(struct page *page);

static inline void ioasid_usage_pinned(struct ioasid_usage *usage, long n)
{
	if (usage)
		atomic_long_add(n, &usage->pinned);
}

static inline void ioasid_usage_charged(struct ioasid_usage *usage, long n)
{
	if (usage)
		atomic_long_add(n, &usage->charged);
}

#endif
