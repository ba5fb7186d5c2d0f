// SPDX-License-Identifier: GPL-2.0-only
/*
 * FAULT objects: the fault queues of IOMMU_FAULT_QUEUE_ALLOC, through which
 * user space learns of the DMA faults of its devices.  (fault.c is another
 * thing: the fault injection of the test build.)
 *
 * A HWPT allocated with a fault_id sends two kinds of faults to its queue:
 *  - page requests: the device waits for an answer, which user space
 *    writes back after it read the request.  ioasid_fault_report_iopf()
 *    takes them; on Linux 6.1 only the mock IOMMU's TRIGGER_IOPF raises
 *    any, as no 6.1 IOMMU driver reports a page request of a device that
 *    is not bound to a process address space (SVA);
 *  - DMA faults the IOMMU already aborted, which an IOMMU driver reports
 *    with report_iommu_fault() to the handler every such HWPT's domain
 *    gets.  On Linux 6.1 only AMD-Vi does, for every I/O page fault, from
 *    its interrupt thread; VT-d never calls it.  Nothing waits for an
 *    answer: their records have neither flag and cookie 0.
 *
 * Records wait on @deliver until read(); a page request's record then
 * waits on @pending for the answer with its cookie.  A queue holds at most
 * IOASID_FAULT_QUEUE_DEPTH records in all, so a storm of faults cannot eat
 * memory: beyond that, and once the fd is closed, a fault is dropped (a
 * page request answered INVALID) and counted in the debugfs stats.
 *
 * Locking: ioasid_fault_lock, one IRQ-safe spinlock for every queue,
 * covers the lists and counters of the queues, which devices each HWPT
 * routes (hwpt->fault_devs) and which HWPT routes each device
 * (idev->fault_hwpt).  The fault path, which may run in any context,
 * thus sees the routing and the queue in one state.  Faults are rare
 * events; one lock is plenty.
 */
#define pr_fmt(fmt) "ioasid: " fmt

#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "ioasid_private.h"
#include "netlink.h"
#include "ioasid_test.h"	/* IOASID_FAULT_QUEUE_DEPTH */

struct ioasid_fault_queue {
	struct ioasid_object obj;
	struct ioasid_ctx *ctx;
	wait_queue_head_t wait;
	struct mutex read_mutex;	/* one read() at a time */
	/* Below under ioasid_fault_lock */
	struct list_head deliver;	/* not read yet, oldest first */
	struct list_head inflight;	/* the read() in progress copies these */
	struct list_head pending;	/* read, waiting for their answer */
	unsigned int nrecords;		/* on the three lists */
	u32 next_cookie;
	bool closed;			/* the fd is gone: drop new faults */
};

struct ioasid_fault_record {
	struct list_head node;
	/* The device it came from, or NULL; only compared, never followed */
	const struct ioasid_device *idev;
	struct iommu_hwpt_pgfault data;
	/* Its device left while a read() copied it; it was answered then */
	bool answered;
};

static DEFINE_SPINLOCK(ioasid_fault_lock);

static bool record_wants_answer(const struct ioasid_fault_record *rec)
{
	return rec->data.flags & IOMMU_PGFAULT_FLAGS_LAST_PAGE;
}

/* A new record, or NULL, from kzalloc() or ioasid_kzalloc() */
static struct ioasid_fault_record *record_new(struct ioasid_fault_record *rec)
{
	if (rec)
		atomic_long_inc(&ioasid_stats.fault_records);
	return rec;
}

static void record_free(struct ioasid_fault_record *rec)
{
	kfree(rec);
	atomic_long_dec(&ioasid_stats.fault_records);
}

/*
 * Answer the device that waits for @rec.  No IOMMU driver of Linux 6.1
 * takes a page response for a device outside SVA, and the mock needs none
 * (as upstream's mock), so answering is counting.
 */
static void record_answer(struct ioasid_fault_record *rec)
{
	if (record_wants_answer(rec))
		atomic_long_inc(&ioasid_stats.fault_responses);
}

/* A fault no user will see: counted, and answered INVALID if it waits */
static void record_drop(struct ioasid_fault_record *rec)
{
	atomic_long_inc(&ioasid_stats.faults_dropped);
	record_answer(rec);
	record_free(rec);
}

static void records_drop(struct list_head *list)
{
	struct ioasid_fault_record *rec, *next;

	list_for_each_entry_safe(rec, next, list, node) {
		list_del(&rec->node);
		record_drop(rec);
	}
}

static void records_answer(struct list_head *list)
{
	struct ioasid_fault_record *rec, *next;

	list_for_each_entry_safe(rec, next, list, node) {
		list_del(&rec->node);
		record_answer(rec);
		record_free(rec);
	}
}

static void records_free(struct list_head *list)
{
	struct ioasid_fault_record *rec, *next;

	list_for_each_entry_safe(rec, next, list, node) {
		list_del(&rec->node);
		record_free(rec);
	}
}

/*
 * Every fault whose record exists ends here, from both sources: queued on
 * the fault queue of @hwpt, or refused (false) when there is no queue
 * (@hwpt NULL), it is full or its fd is closed; the caller then drops it.
 * This is the one place that sees each fault with its outcome, for
 * the netlink family's fault event, which hears of all of them: it runs
 * in any context, with ioasid_fault_lock held and interrupts off.
 */
static bool fault_deliver(struct ioasid_hwpt *hwpt,
			  struct ioasid_fault_record *rec)
{
	struct ioasid_fault_queue *fq = hwpt ? hwpt->fault : NULL;

	lockdep_assert_held(&ioasid_fault_lock);

	/* Listeners of the netlink family hear of every fault a HWPT gets */
	if (hwpt)
		ioasid_nl_fault_event(hwpt->ctx, rec->data.dev_id, hwpt->obj.id,
				      rec->data.addr, rec->data.perm &
				      (IOMMU_FAULT_PERM_READ | IOMMU_FAULT_PERM_WRITE |
				       IOMMU_FAULT_PERM_EXEC));
	if (!fq || fq->closed || fq->nrecords >= IOASID_FAULT_QUEUE_DEPTH)
		return false;
	list_add_tail(&rec->node, &fq->deliver);
	fq->nrecords++;
	wake_up_interruptible_poll(&fq->wait, EPOLLIN | EPOLLRDNORM);
	return true;
}

/*
 * The handler of report_iommu_fault() on the domain of a HWPT with a fault
 * queue.  AMD-Vi calls it from its interrupt thread for every I/O page
 * fault; nothing here sleeps, so any context will do.  Returning 0 tells
 * the driver the fault was taken care of (AMD-Vi then does not log it).
 */
static int fault_domain_handler(struct iommu_domain *domain,
				struct device *dev, unsigned long iova,
				int flags, void *token)
{
	struct ioasid_hwpt *hwpt = token;
	struct ioasid_fault_record *rec;
	struct ioasid_device *idev;
	unsigned long irqflags;
	bool queued;

	/*
	 * Not ioasid_kzalloc(): fault injection is per thread, and an
	 * interrupt borrows the thread it interrupts
	 */
	rec = record_new(kzalloc(sizeof(*rec), GFP_ATOMIC | __GFP_NOWARN));
	if (!rec) {
		atomic_long_inc(&ioasid_stats.faults_dropped);
		return -ENOMEM;
	}
	rec->data.perm = flags & IOMMU_FAULT_WRITE ? IOMMU_PGFAULT_PERM_WRITE :
						     IOMMU_PGFAULT_PERM_READ;
	rec->data.addr = iova;

	spin_lock_irqsave(&ioasid_fault_lock, irqflags);
	/* The requester may be no bound device: an alias, a bridge */
	list_for_each_entry(idev, &hwpt->fault_devs, fault_item) {
		if (idev->dev == dev) {
			rec->idev = idev;
			rec->data.dev_id = idev->obj.id;
			break;
		}
	}
	queued = fault_deliver(hwpt, rec);
	spin_unlock_irqrestore(&ioasid_fault_lock, irqflags);

	if (queued)
		return 0;
	record_drop(rec);
	return -ENOSPC;
}

/**
 * ioasid_fault_report_iopf() - a device asks for a page (a page request)
 * @idev: the device
 * @req: the request: flags (IOMMU_PGFAULT_FLAGS_LAST_PAGE, with
 *       IOMMU_PGFAULT_FLAGS_PASID_VALID if @req->pasid counts), pasid,
 *       grpid, perm and addr; each request is a group of its own
 *
 * The request goes to the fault queue of the HWPT @idev is attached to.
 * As upstream's mock IOMMU, whose PASID table is the user's, a request
 * with a PASID goes only to a nested HWPT.  Without such a queue, or when
 * it is full or closed, the request is dropped and answered INVALID, and
 * the caller is not told: the device would only see the answer.
 *
 * Return: 0, or -ENOMEM if there was no memory to record it.
 */
int ioasid_fault_report_iopf(struct ioasid_device *idev,
			     const struct iommu_hwpt_pgfault *req)
{
	struct ioasid_fault_record *rec;
	struct ioasid_hwpt *hwpt;
	unsigned long irqflags;
	bool queued;

	rec = record_new(ioasid_kzalloc(sizeof(*rec), GFP_KERNEL_ACCOUNT));
	if (!rec)
		return -ENOMEM;
	rec->idev = idev;
	rec->data.flags = req->flags;
	rec->data.dev_id = idev->obj.id;
	rec->data.pasid = req->pasid;
	rec->data.grpid = req->grpid;
	rec->data.perm = req->perm;
	rec->data.addr = req->addr;

	spin_lock_irqsave(&ioasid_fault_lock, irqflags);
	hwpt = idev->fault_hwpt;
	if (hwpt && (req->flags & IOMMU_PGFAULT_FLAGS_PASID_VALID) &&
	    !hwpt->parent)
		hwpt = NULL;
	queued = fault_deliver(hwpt, rec);
	spin_unlock_irqrestore(&ioasid_fault_lock, irqflags);

	if (!queued)
		record_drop(rec);
	return 0;
}

/*
 * Take @idev's records out of @fq: those not read are dropped, those
 * waiting for an answer answered INVALID, those a read() copies right now
 * answered and left for the read to free.
 */
static void fault_purge_dev(struct ioasid_fault_queue *fq,
			    const struct ioasid_device *idev,
			    struct list_head *drop, struct list_head *answer)
{
	struct ioasid_fault_record *rec, *next;

	lockdep_assert_held(&ioasid_fault_lock);

	list_for_each_entry_safe(rec, next, &fq->deliver, node) {
		if (rec->idev != idev)
			continue;
		list_move_tail(&rec->node, drop);
		fq->nrecords--;
	}
	list_for_each_entry_safe(rec, next, &fq->pending, node) {
		if (rec->idev != idev)
			continue;
		list_move_tail(&rec->node, answer);
		fq->nrecords--;
	}
	list_for_each_entry(rec, &fq->inflight, node) {
		if (rec->idev != idev || rec->answered)
			continue;
		rec->answered = true;
		record_answer(rec);
	}
}

/**
 * ioasid_fault_route_dev() - the HWPT of a device changes
 * @idev: the device, whose group lock the caller holds
 * @hwpt: the HWPT it is attached to from now on, or NULL
 *
 * From now on the faults of @idev go to the fault queue of @hwpt, if it
 * has one.  Its records in the queue of the HWPT it leaves go, as
 * upstream answers them when a device leaves: dropped if not read yet,
 * answered INVALID if read and waiting.
 */
void ioasid_fault_route_dev(struct ioasid_device *idev,
			    struct ioasid_hwpt *hwpt)
{
	struct ioasid_hwpt *old = idev->fault_hwpt;
	unsigned long irqflags;
	LIST_HEAD(answer);
	LIST_HEAD(drop);

	if (hwpt && !hwpt->fault)
		hwpt = NULL;
	if (old == hwpt)
		return;

	spin_lock_irqsave(&ioasid_fault_lock, irqflags);
	if (old) {
		list_del_init(&idev->fault_item);
		fault_purge_dev(old->fault, idev, &drop, &answer);
	}
	idev->fault_hwpt = hwpt;
	if (hwpt)
		list_add_tail(&idev->fault_item, &hwpt->fault_devs);
	spin_unlock_irqrestore(&ioasid_fault_lock, irqflags);

	records_drop(&drop);
	records_answer(&answer);
}

/**
 * ioasid_hwpt_set_fault() - send the faults of a new HWPT to a fault queue
 * @hwpt: the HWPT, not published yet
 * @fault_id: the FAULT object
 *
 * The HWPT holds the queue until ioasid_hwpt_put_fault(); its domain's
 * fault handler feeds it from now on.
 *
 * Return: 0, or -ENOENT if @fault_id names no fault queue.
 */
int ioasid_hwpt_set_fault(struct ioasid_hwpt *hwpt, u32 fault_id)
{
	struct ioasid_object *obj;

	obj = ioasid_get_object(hwpt->ctx, fault_id, IOASID_OBJ_FAULT);
	if (IS_ERR(obj))
		return PTR_ERR(obj);
	/* The lookup's reference becomes the HWPT's */
	hwpt->fault = container_of(obj, struct ioasid_fault_queue, obj);
	INIT_LIST_HEAD(&hwpt->fault_devs);
	iommu_set_fault_handler(hwpt->domain, fault_domain_handler, hwpt);
	return 0;
}

/* The HWPT is going and its domain gone: let go of its fault queue */
void ioasid_hwpt_put_fault(struct ioasid_hwpt *hwpt)
{
	if (!hwpt->fault)
		return;
	/* Every device detached first, and left the routing */
	WARN_ON(!list_empty(&hwpt->fault_devs));
	ioasid_put_object(hwpt->ctx, &hwpt->fault->obj);
	hwpt->fault = NULL;
}

/* A cookie no record of @fq waits with; never 0, which means "no answer" */
static u32 fault_new_cookie(struct ioasid_fault_queue *fq)
{
	struct ioasid_fault_record *rec;
	bool used;
	u32 cookie;

	lockdep_assert_held(&ioasid_fault_lock);

	/* At most IOASID_FAULT_QUEUE_DEPTH are in use: this ends */
	do {
		cookie = fq->next_cookie++;
		used = !cookie;
		list_for_each_entry(rec, &fq->pending, node)
			used |= rec->data.cookie == cookie;
		list_for_each_entry(rec, &fq->inflight, node)
			used |= rec->data.cookie == cookie;
	} while (used);
	return cookie;
}

/*
 * Move the oldest record of @fq to its inflight list and copy it to @out,
 * a page request with a cookie; false if there is none
 */
static bool fault_take(struct ioasid_fault_queue *fq,
		       struct iommu_hwpt_pgfault *out)
{
	struct ioasid_fault_record *rec;

	spin_lock_irq(&ioasid_fault_lock);
	rec = list_first_entry_or_null(&fq->deliver,
				       struct ioasid_fault_record, node);
	if (rec) {
		if (record_wants_answer(rec))
			rec->data.cookie = fault_new_cookie(fq);
		list_move_tail(&rec->node, &fq->inflight);
		*out = rec->data;
	}
	spin_unlock_irq(&ioasid_fault_lock);
	return rec;
}

/*
 * The copy of the inflight record failed: back to the head of the deliver
 * list, unless its device left meanwhile
 */
static void fault_untake(struct ioasid_fault_queue *fq)
{
	struct ioasid_fault_record *rec, *next;
	LIST_HEAD(gone);

	spin_lock_irq(&ioasid_fault_lock);
	list_for_each_entry_safe(rec, next, &fq->inflight, node) {
		if (rec->answered) {
			list_move_tail(&rec->node, &gone);
			fq->nrecords--;
		} else {
			rec->data.cookie = 0;
		}
	}
	list_splice_init(&fq->inflight, &fq->deliver);
	spin_unlock_irq(&ioasid_fault_lock);
	records_free(&gone);
}

/*
 * The user has the inflight record: a page request waits for its answer,
 * anything else (or one whose device left meanwhile) is done
 */
static void fault_commit(struct ioasid_fault_queue *fq)
{
	struct ioasid_fault_record *rec, *next;
	LIST_HEAD(done);

	spin_lock_irq(&ioasid_fault_lock);
	list_for_each_entry_safe(rec, next, &fq->inflight, node) {
		if (record_wants_answer(rec) && !rec->answered) {
			list_move_tail(&rec->node, &fq->pending);
		} else {
			list_move_tail(&rec->node, &done);
			fq->nrecords--;
		}
	}
	spin_unlock_irq(&ioasid_fault_lock);
	records_free(&done);
}

/*
 * As upstream: whole records only, no file position, never blocks (0
 * when there is nothing to read), and the records copied before a bad
 * user address count; the one that could not be copied stays first
 */
static ssize_t fault_fops_read(struct file *file, char __user *buf,
			       size_t count, loff_t *ppos)
{
	struct ioasid_fault_queue *fq = file->private_data;
	struct iommu_hwpt_pgfault data;
	const size_t rsize = sizeof(data);
	size_t done = 0;
	int rc = 0;

	if (*ppos || count % rsize)
		return -ESPIPE;

	mutex_lock(&fq->read_mutex);
	while (done < count && fault_take(fq, &data)) {
		if (ioasid_should_fail(IOASID_FAULT_UACCESS) ||
		    copy_to_user(buf + done, &data, rsize)) {
			fault_untake(fq);
			rc = -EFAULT;
			break;
		}
		fault_commit(fq);
		done += rsize;
	}
	mutex_unlock(&fq->read_mutex);
	return done ? done : rc;
}

/* The record of @fq waiting for the answer with @cookie, off its list */
static struct ioasid_fault_record *
fault_take_pending(struct ioasid_fault_queue *fq, u32 cookie)
{
	struct ioasid_fault_record *rec, *found = NULL;

	spin_lock_irq(&ioasid_fault_lock);
	list_for_each_entry(rec, &fq->pending, node) {
		if (rec->data.cookie == cookie) {
			list_del(&rec->node);
			fq->nrecords--;
			found = rec;
			break;
		}
	}
	spin_unlock_irq(&ioasid_fault_lock);
	return found;
}

/*
 * Answers, in order, up to the first bad one.  As the newest upstream, a
 * code other than SUCCESS and INVALID is EINVAL (Linux 6.12 passed it on).
 */
static ssize_t fault_fops_write(struct file *file, const char __user *buf,
				size_t count, loff_t *ppos)
{
	struct ioasid_fault_queue *fq = file->private_data;
	struct iommu_hwpt_page_response resp;
	const size_t wsize = sizeof(resp);
	struct ioasid_fault_record *rec;
	size_t done = 0;
	int rc = 0;

	if (*ppos || count % wsize)
		return -ESPIPE;

	while (done < count) {
		if (ioasid_should_fail(IOASID_FAULT_UACCESS) ||
		    copy_from_user(&resp, buf + done, wsize)) {
			rc = -EFAULT;
			break;
		}
		if (resp.code != IOMMUFD_PAGE_RESP_SUCCESS &&
		    resp.code != IOMMUFD_PAGE_RESP_INVALID) {
			rc = -EINVAL;
			break;
		}
		rec = fault_take_pending(fq, resp.cookie);
		if (!rec) {
			rc = -EINVAL;
			break;
		}
		record_answer(rec);
		record_free(rec);
		done += wsize;
	}
	return done ? done : rc;
}

static __poll_t fault_fops_poll(struct file *file, poll_table *wait)
{
	struct ioasid_fault_queue *fq = file->private_data;
	__poll_t mask = EPOLLOUT;

	poll_wait(file, &fq->wait, wait);
	spin_lock_irq(&ioasid_fault_lock);
	if (!list_empty(&fq->deliver))
		mask |= EPOLLIN | EPOLLRDNORM;
	spin_unlock_irq(&ioasid_fault_lock);
	return mask;
}

/*
 * No one can read or answer any more: what was not read is dropped, what
 * waits is answered INVALID, and so will later faults be.  The object
 * stays until IOMMU_DESTROY or the close of its context.
 */
static int fault_fops_release(struct inode *inode, struct file *file)
{
	struct ioasid_fault_queue *fq = file->private_data;
	struct ioasid_ctx *ctx = fq->ctx;
	LIST_HEAD(answer);
	LIST_HEAD(drop);

	spin_lock_irq(&ioasid_fault_lock);
	fq->closed = true;
	/* No read() runs once the file is released */
	WARN_ON(!list_empty(&fq->inflight));
	list_splice_init(&fq->deliver, &drop);
	list_splice_init(&fq->pending, &answer);
	fq->nrecords = 0;
	spin_unlock_irq(&ioasid_fault_lock);

	records_drop(&drop);
	records_answer(&answer);
	ioasid_put_object(ctx, &fq->obj);
	ioasid_ctx_put(ctx);
	return 0;
}

static const struct file_operations ioasid_fault_fops = {
	.owner = THIS_MODULE,
	.read = fault_fops_read,
	.write = fault_fops_write,
	.poll = fault_fops_poll,
	.release = fault_fops_release,
	.llseek = no_llseek,
};

/*
 * IOMMU_FAULT_QUEUE_ALLOC: the FAULT object and its fd.  The file comes
 * last, once nothing can fail any more, so that a failure never has a
 * file to release.
 */
int ioasid_fault_queue_alloc_ioctl(struct ioasid_ucmd *ucmd)
{
	struct iommu_fault_alloc *cmd = ucmd->cmd;
	struct ioasid_fault_queue *fq;
	struct file *file;
	int fd, rc;

	if (cmd->flags)
		return -EOPNOTSUPP;

	fq = ioasid_object_alloc(ucmd->ctx, struct ioasid_fault_queue,
				 IOASID_OBJ_FAULT);
	if (IS_ERR(fq))
		return PTR_ERR(fq);
	fq->ctx = ucmd->ctx;
	init_waitqueue_head(&fq->wait);
	mutex_init(&fq->read_mutex);
	INIT_LIST_HEAD(&fq->deliver);
	INIT_LIST_HEAD(&fq->inflight);
	INIT_LIST_HEAD(&fq->pending);
	fq->next_cookie = 1;

	fd = ioasid_should_fail(IOASID_FAULT_ID) ? -ENOMEM :
	     get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		rc = fd;
		goto err_abort;
	}
	cmd->out_fault_id = fq->obj.id;
	cmd->out_fault_fd = fd;
	rc = ioasid_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc)
		goto err_put_fd;

	file = ioasid_should_fail(IOASID_FAULT_ALLOC) ? ERR_PTR(-ENOMEM) :
	       anon_inode_getfile("[ioasid-fault]", &ioasid_fault_fops, fq,
				  O_RDWR);
	if (IS_ERR(file)) {
		rc = PTR_ERR(file);
		goto err_put_fd;
	}
	/* The fd's references, dropped by its release: the object, the ctx */
	refcount_inc(&fq->obj.users);
	ioasid_ctx_get(fq->ctx);
	ioasid_object_finalize(ucmd->ctx, &fq->obj);
	fd_install(fd, file);
	return 0;

err_put_fd:
	put_unused_fd(fd);
err_abort:
	ioasid_object_abort_and_destroy(ucmd->ctx, &fq->obj);
	return rc;
}

/* Only the context holds it: its fd is closed and no HWPT uses it */
void ioasid_fault_queue_destroy(struct ioasid_object *obj)
{
	struct ioasid_fault_queue *fq =
		container_of(obj, struct ioasid_fault_queue, obj);

	/* The release emptied it; later faults were dropped */
	WARN_ON(fq->nrecords || !list_empty(&fq->deliver) ||
		!list_empty(&fq->pending));
	mutex_destroy(&fq->read_mutex);
}
