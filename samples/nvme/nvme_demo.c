// SPDX-License-Identifier: GPL-2.0-only
/*
 * ioasid-nvme: a user space NVMe driver for QEMU's emulated controller
 * (-device nvme), bound to vfio-ioasid-pci, its DMA through /dev/ioasid.
 *
 *   ioasid-nvme [options] [PCI address]     (--help lists them)
 *
 * It resets and enables the controller, sets up the admin queue, identifies
 * the controller and namespace 1, creates I/O queue pairs (the odd ones
 * complete by MSI-X interrupt through an eventfd, the even ones by polling
 * the phase bit), writes patterns with PRP lists in IOVA space, reads them
 * back and verifies them, measures 4 KiB random reads and 128 KiB
 * sequential reads, and shuts the controller down.  See README.rst.
 *
 * Exit status: 0 when everything worked, 1 when a step failed or data did
 * not verify, 2 for a usage error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "libioasid.h"
#include "nvme.h"

#define PROG		"ioasid-nvme"
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define __printf(a, b)	__attribute__((format(printf, a, b)))
#define NVME_VENDOR	0x1b36		/* QEMU's "Red Hat, Inc." */
#define NVME_DEVICE	0x0010

#define ADMIN_DEPTH	32
#define MAX_QPAIRS	16
#define MAX_DEPTH	128
#define MAX_XFER	(128u * 1024)	/* per command */
#define CMD_TIMEOUT_MS	10000		/* TCG is slow */
/* Check the controller's health and the request eventfd this often */
#define POLL_CHECK	1024

struct nvme_slot {
	struct ioasid_dma *buf;		/* MAX_XFER + one page of slack */
	__u64 prp_list_iova;		/* one page of PRP entries */
	__u64 *prp_list;
	bool busy;
	struct nvme_cqe cqe;
	bool done;
};

struct nvme_queue {
	unsigned int qid;
	unsigned int depth;
	bool irq;			/* MSI-X vector qid, else polled */
	struct ioasid_dma sq, cq;
	struct nvme_sqe *sqes;
	volatile struct nvme_cqe *cqes;
	volatile __u32 *sq_db, *cq_db;
	unsigned int sq_tail, cq_head;
	unsigned int phase;
	unsigned int inflight;
	struct nvme_slot slots[MAX_DEPTH];
	struct ioasid_dma data;		/* slots' buffers and PRP pages */
	struct ioasid_dma slot_bufs[MAX_DEPTH];
};

struct nvme_ctrl {
	struct ioasid_dev dev;
	volatile __u8 *bar;
	size_t bar_len;
	__u64 cap;
	unsigned int timeout_ms;
	bool enabled;
	bool dead;			/* reset, unbound or failed */
	struct nvme_queue admin;
	struct nvme_queue io[MAX_QPAIRS];
	unsigned int nr_io;
	struct ioasid_dma idbuf;
	/* Identify data */
	char sn[21], mn[41], fr[9];
	unsigned int mdts_bytes;
	__u32 nn;
	__u64 nsze;
	unsigned int lba_shift;
};

static struct {
	const char *bdf;
	unsigned int qpairs;
	unsigned int depth;
	unsigned int bench_qd;
	double seconds;
	bool no_bench;
	bool verify_only;
	bool quiet_steps;
} opt = {
	.qpairs = 2,
	.depth = 64,
	.bench_qd = 16,
	.seconds = 3.0,
};

static const char *cur_step = "start";
static volatile sig_atomic_t stop_now;

/* ------------------------------------------------------------ messages */

static void step(const char *what)
{
	cur_step = what;
}

static void __printf(1, 2) say(const char *fmt, ...)
{
	va_list ap;

	printf("%s: ", cur_step);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static int __printf(1, 2) failed(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "%s: %s failed: ", PROG, cur_step);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -1;
}

/* A library call failed: its message says which ioctl and why */
static int lib_failed(struct nvme_ctrl *c)
{
	fflush(stdout);
	fprintf(stderr, "%s: %s: %s\n", PROG, cur_step, ioasid_errmsg(&c->dev));
	return -1;
}

static void lib_log(void *priv, const char *line)
{
	(void)priv;
	if (!opt.quiet_steps)
		printf("open: %s\n", line);
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* ------------------------------------------------------------ registers */

static __u32 rd32(struct nvme_ctrl *c, unsigned int off)
{
	return *(volatile __u32 *)(c->bar + off);
}

static void wr32(struct nvme_ctrl *c, unsigned int off, __u32 val)
{
	*(volatile __u32 *)(c->bar + off) = val;
}

/* 64-bit registers as two dword accesses, low first */
static __u64 rd64(struct nvme_ctrl *c, unsigned int off)
{
	__u64 lo = rd32(c, off);

	return lo | (__u64)rd32(c, off + 4) << 32;
}

static void wr64(struct nvme_ctrl *c, unsigned int off, __u64 val)
{
	wr32(c, off, (__u32)val);
	wr32(c, off + 4, (__u32)(val >> 32));
}

/* Why the controller cannot go on, or NULL */
static const char *ctrl_broken(struct nvme_ctrl *c)
{
	__u32 csts = rd32(c, NVME_REG_CSTS);

	if (csts == 0xffffffff)
		return "CSTS reads all ones: the device is gone";
	if (csts & NVME_CSTS_CFS)
		return "CSTS.CFS: controller fatal status";
	if (c->enabled && !(csts & NVME_CSTS_RDY))
		return "CSTS.RDY dropped: the controller was reset or disabled under us";
	return NULL;
}

/* Wait for CSTS & @mask == @want, up to CAP.TO */
static int wait_csts(struct nvme_ctrl *c, __u32 mask, __u32 want,
		     const char *what)
{
	double end = now_s() + c->timeout_ms / 1000.0;
	__u32 csts;

	for (;;) {
		csts = rd32(c, NVME_REG_CSTS);
		if (csts == 0xffffffff)
			return failed("CSTS reads all ones while waiting for %s: the device is gone",
				      what);
		if ((csts & mask) == want)
			return 0;
		if (now_s() > end)
			return failed("%s: CSTS 0x%08x after %u ms (CAP.TO)",
				      what, csts, c->timeout_ms);
		usleep(1000);
	}
}

/* ---------------------------------------------------------------- queues */

static unsigned int db_stride(struct nvme_ctrl *c)
{
	return 4u << NVME_CAP_DSTRD(c->cap);
}

static int queue_alloc(struct nvme_ctrl *c, struct nvme_queue *q,
		       unsigned int qid, unsigned int depth, bool irq,
		       bool data)
{
	size_t per = MAX_XFER + NVME_PAGE;	/* data with slack + PRP page */
	unsigned int i;
	__u8 *base;

	memset(q, 0, sizeof(*q));
	q->qid = qid;
	q->depth = depth;
	q->irq = irq;
	q->phase = 1;
	if (ioasid_dma_alloc(&c->dev, depth * sizeof(struct nvme_sqe), &q->sq) ||
	    ioasid_dma_alloc(&c->dev, depth * sizeof(struct nvme_cqe), &q->cq))
		return lib_failed(c);
	q->sqes = q->sq.va;
	q->cqes = q->cq.va;
	q->sq_db = (volatile __u32 *)(c->bar + NVME_REG_DBS +
				      (2 * qid) * db_stride(c));
	q->cq_db = (volatile __u32 *)(c->bar + NVME_REG_DBS +
				      (2 * qid + 1) * db_stride(c));
	if (!data)
		return 0;
	/*
	 * Per slot: MAX_XFER + a page of data (a transfer may start inside
	 * a page) and a page for its PRP list, all in one mapping.
	 */
	if (ioasid_dma_alloc(&c->dev, depth * (per + NVME_PAGE), &q->data))
		return lib_failed(c);
	base = q->data.va;
	for (i = 0; i < depth; i++) {
		struct nvme_slot *s = &q->slots[i];
		size_t off = i * (per + NVME_PAGE);

		s->buf = &q->slot_bufs[i];
		s->buf->va = base + off;
		s->buf->iova = q->data.iova + off;
		s->buf->len = per;
		s->prp_list = (__u64 *)(base + off + per);
		s->prp_list_iova = q->data.iova + off + per;
	}
	return 0;
}

/*
 * PRP1 and PRP2 for @len bytes at IOVA @iova, contiguous in IOVA space; a
 * PRP list in @s's page when the transfer touches more than two pages.
 */
static int build_prps(struct nvme_slot *s, __u64 iova, size_t len,
		      struct nvme_sqe *sqe)
{
	size_t first = NVME_PAGE - (iova & (NVME_PAGE - 1));
	__u64 page;
	unsigned int n = 0;

	if (iova & 3)
		return -EINVAL;		/* PRPs are dword aligned */
	sqe->prp1 = iova;
	sqe->prp2 = 0;
	if (len <= first)
		return 0;
	page = (iova & ~(__u64)(NVME_PAGE - 1)) + NVME_PAGE;
	if (len - first <= NVME_PAGE) {
		sqe->prp2 = page;
		return 0;
	}
	for (len -= first; len; page += NVME_PAGE) {
		if (n == NVME_PAGE / 8)
			return -E2BIG;	/* one list page: 2 MiB */
		s->prp_list[n++] = page;
		len -= len < NVME_PAGE ? len : NVME_PAGE;
	}
	sqe->prp2 = s->prp_list_iova;
	return 0;
}

static void submit(struct nvme_queue *q, struct nvme_sqe *sqe, bool ring)
{
	memcpy(&q->sqes[q->sq_tail], sqe, sizeof(*sqe));
	if (++q->sq_tail == q->depth)
		q->sq_tail = 0;
	q->inflight++;
	if (ring) {
		/* The entry is in memory before the device hears of it */
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		*q->sq_db = q->sq_tail;
	}
}

static void ring_sq(struct nvme_queue *q)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	*q->sq_db = q->sq_tail;
}

/* Take every new completion; returns how many */
static unsigned int reap(struct nvme_queue *q)
{
	unsigned int n = 0;

	for (;;) {
		volatile struct nvme_cqe *e = &q->cqes[q->cq_head];
		struct nvme_slot *s;
		__u16 status = e->status;

		if ((status & NVME_CQE_PHASE) != q->phase)
			break;
		/* Read the entry only after its phase bit */
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		s = &q->slots[e->cid % MAX_DEPTH];
		s->cqe.result = e->result;
		s->cqe.sq_head = e->sq_head;
		s->cqe.cid = e->cid;
		s->cqe.status = status;
		s->done = true;
		q->inflight--;
		n++;
		if (++q->cq_head == q->depth) {
			q->cq_head = 0;
			q->phase ^= 1;
		}
	}
	if (n)
		*q->cq_db = q->cq_head;
	return n;
}

/*
 * Wait until at least one completion arrived on @q: by the queue's MSI-X
 * eventfd or by polling.  Fails when the controller broke, the device is
 * being unbound, or nothing came in CMD_TIMEOUT_MS.
 */
static int wait_cq(struct nvme_ctrl *c, struct nvme_queue *q)
{
	double end = now_s() + CMD_TIMEOUT_MS / 1000.0;
	unsigned int spins = 0;
	const char *why;
	int rc;

	for (;;) {
		if (reap(q))
			return 0;
		if (q->irq) {
			rc = ioasid_irq_wait(&c->dev, q->qid, 100);
			if (rc < 0) {
				c->dead = rc == -ENODEV;
				return lib_failed(c);
			}
			if (rc > 0)
				continue;
			/* 100 ms without an interrupt: is the device alive? */
		} else if (++spins % POLL_CHECK) {
			continue;
		} else if (ioasid_req_pending(&c->dev)) {
			c->dead = true;
			return lib_failed(c);
		}
		why = ctrl_broken(c);
		if (why) {
			c->dead = true;
			return failed("queue %u: %s", q->qid, why);
		}
		if (stop_now)
			return failed("interrupted by a signal");
		if (now_s() > end)
			return failed("queue %u: no completion in %u ms (%u in flight)",
				      q->qid, CMD_TIMEOUT_MS, q->inflight);
	}
}

static const struct {
	unsigned int sct, sc;
	const char *name;
} status_names[] = {
	{ 0, 0x01, "invalid opcode" },
	{ 0, 0x02, "invalid field in command" },
	{ 0, 0x04, "data transfer error" },
	{ 0, 0x0b, "invalid namespace or format" },
	{ 0, 0x80, "LBA out of range" },
	{ 1, 0x00, "completion queue invalid" },
	{ 1, 0x01, "invalid queue identifier" },
	{ 1, 0x02, "invalid queue size" },
	{ 1, 0x08, "invalid interrupt vector" },
};

static const char *status_str(__u16 st)
{
	static char buf[96];
	unsigned int sct = NVME_STATUS_SCT(st), sc = NVME_STATUS_SC(st), i;
	const char *name = "";

	for (i = 0; i < ARRAY_SIZE(status_names); i++)
		if (status_names[i].sct == sct && status_names[i].sc == sc)
			name = status_names[i].name;
	snprintf(buf, sizeof(buf), "SCT %u SC 0x%02x %s%s", sct, sc, name,
		 NVME_STATUS_DNR(st) ? " (do not retry)" : "");
	return buf;
}

/* One command on @q in slot 0, waited for; its result in *@result */
static int sync_cmd(struct nvme_ctrl *c, struct nvme_queue *q,
		    struct nvme_sqe *sqe, __u32 *result, const char *what)
{
	struct nvme_slot *s = &q->slots[0];
	int rc;

	sqe->cid = 0;
	s->done = false;
	submit(q, sqe, true);
	while (!s->done) {
		rc = wait_cq(c, q);
		if (rc)
			return rc;
	}
	if (s->cqe.status >> 1)
		return failed("%s: %s", what, status_str(s->cqe.status));
	if (result)
		*result = s->cqe.result;
	return 0;
}

/* ------------------------------------------------------------ controller */

static int ctrl_disable(struct nvme_ctrl *c)
{
	__u32 cc = rd32(c, NVME_REG_CC);

	c->enabled = false;
	if (cc & NVME_CC_EN)
		wr32(c, NVME_REG_CC, cc & ~NVME_CC_EN);
	return wait_csts(c, NVME_CSTS_RDY, 0, "CSTS.RDY = 0 after CC.EN = 0");
}

static int ctrl_reset_enable(struct nvme_ctrl *c)
{
	__u32 cc;

	step("reset");
	c->cap = rd64(c, NVME_REG_CAP);
	c->timeout_ms = NVME_CAP_TO_MS(c->cap);
	if (c->timeout_ms < 2000)
		c->timeout_ms = 2000;
	if (!NVME_CAP_CSS_NVM(c->cap))
		return failed("CAP 0x%llx: no NVM command set",
			      (unsigned long long)c->cap);
	if (NVME_CAP_MPSMIN(c->cap) > 0)
		return failed("CAP.MPSMIN %u: 4 KiB pages unsupported",
			      NVME_CAP_MPSMIN(c->cap));
	if (ctrl_disable(c))
		return -1;
	say("CAP 0x%016llx (MQES %u, DSTRD %u, TO %u ms), VS %08x, CC.EN=0, CSTS.RDY=0",
	    (unsigned long long)c->cap, NVME_CAP_MQES(c->cap),
	    NVME_CAP_DSTRD(c->cap), NVME_CAP_TO_MS(c->cap),
	    rd32(c, NVME_REG_VS));

	step("admin queue");
	if (queue_alloc(c, &c->admin, 0, ADMIN_DEPTH, true, false))
		return -1;
	wr32(c, NVME_REG_AQA, (ADMIN_DEPTH - 1) << 16 | (ADMIN_DEPTH - 1));
	wr64(c, NVME_REG_ASQ, c->admin.sq.iova);
	wr64(c, NVME_REG_ACQ, c->admin.cq.iova);
	say("%u entries, ASQ IOVA 0x%llx, ACQ IOVA 0x%llx", ADMIN_DEPTH,
	    (unsigned long long)c->admin.sq.iova,
	    (unsigned long long)c->admin.cq.iova);

	step("enable");
	cc = NVME_CC_EN | NVME_CC_CSS_NVM | NVME_CC_MPS(12) | NVME_CC_AMS_RR |
	     NVME_CC_IOSQES(6) | NVME_CC_IOCQES(4);
	wr32(c, NVME_REG_CC, cc);
	if (wait_csts(c, NVME_CSTS_RDY | NVME_CSTS_CFS, NVME_CSTS_RDY,
		      "CSTS.RDY = 1 after CC.EN = 1"))
		return -1;
	c->enabled = true;
	say("CC 0x%08x, CSTS 0x%08x: ready", cc, rd32(c, NVME_REG_CSTS));
	return 0;
}

static void copy_ascii(char *dst, const __u8 *src, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		dst[i] = src[i] >= 0x20 && src[i] < 0x7f ? src[i] : '?';
	while (len && dst[len - 1] == ' ')
		len--;
	dst[len] = '\0';
}

static int identify(struct nvme_ctrl *c)
{
	struct nvme_sqe sqe;
	const __u8 *id;
	unsigned int flbas, lbaf, ms;
	__u64 v;

	step("identify controller");
	if (ioasid_dma_alloc(&c->dev, NVME_PAGE, &c->idbuf))
		return lib_failed(c);
	id = c->idbuf.va;
	memset(&sqe, 0, sizeof(sqe));
	sqe.opcode = NVME_ADM_IDENTIFY;
	sqe.prp1 = c->idbuf.iova;
	sqe.cdw10 = NVME_ID_CNS_CTRL;
	if (sync_cmd(c, &c->admin, &sqe, NULL, "Identify (CNS 1)"))
		return -1;
	copy_ascii(c->sn, id + NVME_IDC_SN, 20);
	copy_ascii(c->mn, id + NVME_IDC_MN, 40);
	copy_ascii(c->fr, id + NVME_IDC_FR, 8);
	c->mdts_bytes = id[NVME_IDC_MDTS] ?
			NVME_PAGE << id[NVME_IDC_MDTS] : 0;
	memcpy(&c->nn, id + NVME_IDC_NN, 4);
	say("model \"%s\", serial \"%s\", firmware \"%s\", vendor 0x%04x, %u namespace(s), MDTS %u KiB, SQES 0x%02x CQES 0x%02x",
	    c->mn, c->sn, c->fr, id[0] | id[1] << 8, c->nn,
	    c->mdts_bytes >> 10, id[NVME_IDC_SQES], id[NVME_IDC_CQES]);
	if (c->mdts_bytes && c->mdts_bytes < MAX_XFER)
		return failed("MDTS %u bytes < the %u bytes this driver sends",
			      c->mdts_bytes, MAX_XFER);
	if (c->nn < 1)
		return failed("the controller has no namespace");

	step("identify namespace");
	memset(c->idbuf.va, 0, NVME_PAGE);
	memset(&sqe, 0, sizeof(sqe));
	sqe.opcode = NVME_ADM_IDENTIFY;
	sqe.nsid = 1;
	sqe.prp1 = c->idbuf.iova;
	sqe.cdw10 = NVME_ID_CNS_NS;
	if (sync_cmd(c, &c->admin, &sqe, NULL, "Identify (CNS 0, NSID 1)"))
		return -1;
	memcpy(&v, id + NVME_IDN_NSZE, 8);
	c->nsze = v;
	flbas = id[NVME_IDN_FLBAS] & 0xf;
	memcpy(&lbaf, id + NVME_IDN_LBAF + 4 * flbas, 4);
	ms = lbaf & 0xffff;
	c->lba_shift = (lbaf >> 16) & 0xff;
	if (!c->nsze)
		return failed("namespace 1 is inactive (NSZE 0)");
	if (c->lba_shift < 9 || c->lba_shift > 12 || ms)
		return failed("LBA format %u: %u-byte LBAs with %u metadata bytes; want 512-4096 without",
			      flbas, 1u << c->lba_shift, ms);
	say("NSID 1: %llu LBAs of %u bytes = %llu MiB (LBA format %u of %u)",
	    (unsigned long long)c->nsze, 1u << c->lba_shift,
	    (unsigned long long)(c->nsze << c->lba_shift) >> 20, flbas,
	    id[NVME_IDN_NLBAF] + 1);
	return 0;
}

static int create_io_queues(struct nvme_ctrl *c)
{
	unsigned int i, nsq, ncq, mqes = NVME_CAP_MQES(c->cap);
	struct nvme_sqe sqe;
	__u32 res;
	int rc;

	step("set features: number of queues");
	memset(&sqe, 0, sizeof(sqe));
	sqe.opcode = NVME_ADM_SET_FEATURES;
	sqe.cdw10 = NVME_FEAT_NUM_QUEUES;
	sqe.cdw11 = (opt.qpairs - 1) << 16 | (opt.qpairs - 1);
	if (sync_cmd(c, &c->admin, &sqe, &res, "Set Features (Number of Queues)"))
		return -1;
	nsq = (res & 0xffff) + 1;
	ncq = (res >> 16) + 1;
	say("asked %u pairs, the controller allows %u SQs and %u CQs",
	    opt.qpairs, nsq, ncq);
	if (nsq < opt.qpairs || ncq < opt.qpairs)
		return failed("only %u queue pairs available", nsq < ncq ? nsq : ncq);
	if (opt.depth > mqes)
		opt.depth = mqes;

	step("create I/O queues");
	for (i = 0; i < opt.qpairs; i++) {
		struct nvme_queue *q = &c->io[i];
		unsigned int qid = i + 1;

		/* Odd queue IDs complete by interrupt, even ones by polling */
		if (queue_alloc(c, q, qid, opt.depth, qid & 1, true))
			return -1;
		memset(&sqe, 0, sizeof(sqe));
		sqe.opcode = NVME_ADM_CREATE_CQ;
		sqe.prp1 = q->cq.iova;
		sqe.cdw10 = (opt.depth - 1) << 16 | qid;
		sqe.cdw11 = NVME_Q_PC | (q->irq ? NVME_CQ_IEN | qid << 16 : 0);
		rc = sync_cmd(c, &c->admin, &sqe, NULL, "Create I/O CQ");
		if (rc)
			return rc;
		memset(&sqe, 0, sizeof(sqe));
		sqe.opcode = NVME_ADM_CREATE_SQ;
		sqe.prp1 = q->sq.iova;
		sqe.cdw10 = (opt.depth - 1) << 16 | qid;
		sqe.cdw11 = NVME_Q_PC | qid << 16;
		rc = sync_cmd(c, &c->admin, &sqe, NULL, "Create I/O SQ");
		if (rc)
			return rc;
		c->nr_io++;
		say("pair %u: %u entries, SQ IOVA 0x%llx, CQ IOVA 0x%llx, %s",
		    qid, opt.depth, (unsigned long long)q->sq.iova,
		    (unsigned long long)q->cq.iova,
		    q->irq ? "MSI-X vector (eventfd)" : "polled (phase bit)");
	}
	return 0;
}

static int delete_io_queues(struct nvme_ctrl *c)
{
	struct nvme_sqe sqe;
	unsigned int i;
	int rc = 0;

	step("delete I/O queues");
	for (i = c->nr_io; i-- > 0;) {
		memset(&sqe, 0, sizeof(sqe));
		sqe.opcode = NVME_ADM_DELETE_SQ;
		sqe.cdw10 = c->io[i].qid;
		rc = sync_cmd(c, &c->admin, &sqe, NULL, "Delete I/O SQ");
		if (rc)
			return rc;
		sqe.opcode = NVME_ADM_DELETE_CQ;
		rc = sync_cmd(c, &c->admin, &sqe, NULL, "Delete I/O CQ");
		if (rc)
			return rc;
	}
	say("%u pairs deleted", c->nr_io);
	c->nr_io = 0;
	return 0;
}

static int shutdown_ctrl(struct nvme_ctrl *c)
{
	__u32 cc;

	step("shutdown");
	cc = rd32(c, NVME_REG_CC) & ~NVME_CC_SHN_MASK;
	wr32(c, NVME_REG_CC, cc | NVME_CC_SHN_NORMAL);
	if (wait_csts(c, NVME_CSTS_SHST_MASK, NVME_CSTS_SHST_DONE,
		      "CSTS.SHST = complete after CC.SHN = normal"))
		return -1;
	say("CSTS.SHST: shutdown complete (CSTS 0x%08x)",
	    rd32(c, NVME_REG_CSTS));
	step("disable");
	if (ctrl_disable(c))
		return -1;
	say("CC.EN=0, CSTS.RDY=0");
	return 0;
}

/* ------------------------------------------------------------------- I/O */

static void rw_sqe(struct nvme_sqe *sqe, __u8 op, __u16 cid, __u64 slba,
		   unsigned int nlb)
{
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = op;
	sqe->cid = cid;
	sqe->nsid = 1;
	sqe->cdw10 = (__u32)slba;
	sqe->cdw11 = (__u32)(slba >> 32);
	sqe->cdw12 = nlb - 1;
}

/*
 * One read or write of @len bytes at byte @off of slot 0's buffer (the
 * offset puts PRP1 inside a page), waited for.
 */
static int sync_rw(struct nvme_ctrl *c, struct nvme_queue *q, __u8 op,
		   __u64 slba, size_t off, size_t len)
{
	struct nvme_slot *s = &q->slots[0];
	struct nvme_sqe sqe;
	char what[96];

	rw_sqe(&sqe, op, 0, slba, len >> c->lba_shift);
	if (build_prps(s, s->buf->iova + off, len, &sqe))
		return failed("PRPs for %zu bytes at offset %zu", len, off);
	snprintf(what, sizeof(what), "%s of %zu bytes at LBA %llu on queue %u",
		 op == NVME_CMD_WRITE ? "write" : "read", len,
		 (unsigned long long)slba, q->qid);
	return sync_cmd(c, q, &sqe, NULL, what);
}

static __u64 xorshift(__u64 *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* Each LBA: its number, the seed, then a stream from both */
static void fill_pattern(void *buf, __u64 slba, size_t len,
			 unsigned int lba_shift, __u64 seed)
{
	size_t lba_size = 1u << lba_shift, i, j;
	__u64 *p = buf, x;

	for (i = 0; i < len / lba_size; i++) {
		__u64 *l = p + i * lba_size / 8;

		x = (slba + i) * 0x9e3779b97f4a7c15ULL ^ seed;
		if (!x)
			x = 1;
		l[0] = slba + i;
		l[1] = seed;
		for (j = 2; j < lba_size / 8; j++)
			l[j] = xorshift(&x);
	}
}

#define POISON		0xa5

/* Write @len bytes at @slba through @wq, read them back through @rq */
static int verify_one(struct nvme_ctrl *c, struct nvme_queue *wq,
		      struct nvme_queue *rq, __u64 slba, size_t off,
		      size_t len, __u64 seed)
{
	__u8 *wbuf = wq->slots[0].buf->va, *rbuf = rq->slots[0].buf->va;
	size_t j, end = MAX_XFER + NVME_PAGE;

	fill_pattern(wbuf + off, slba, len, c->lba_shift, seed);
	if (sync_rw(c, wq, NVME_CMD_WRITE, slba, off, len))
		return -1;
	memset(rbuf, POISON, end);
	if (sync_rw(c, rq, NVME_CMD_READ, slba, off, len))
		return -1;
	for (j = 0; j < len && wbuf[off + j] == rbuf[off + j];)
		j++;
	if (j < len)
		return failed("%zu bytes at LBA %llu, buffer offset %zu, written on queue %u, read on queue %u: byte %zu is 0x%02x, want 0x%02x%s",
			      len, (unsigned long long)slba, off, wq->qid,
			      rq->qid, j, rbuf[off + j], wbuf[off + j],
			      rbuf[off + j] == POISON ?
			      " (the device wrote nothing there)" : "");
	for (j = 0; j < end; j++) {
		if (j == off)
			j += len;
		if (j < end && rbuf[j] != POISON)
			return failed("the read of %zu bytes at buffer offset %zu changed byte %zu outside it",
				      len, off, j);
	}
	return 0;
}

/*
 * Write patterns of several sizes and buffer offsets, which take PRP1
 * alone, PRP1 + PRP2, and PRP lists, through one queue; read them back
 * through another into a poisoned buffer; compare.  Then the other way.
 */
static int verify(struct nvme_ctrl *c)
{
	static const struct {
		size_t off, len;
	} cases[] = {
		{ 0, 4096 },		/* PRP1 */
		{ 512, 3584 },		/* PRP1 inside a page */
		{ 0, 8192 },		/* PRP1 + PRP2 */
		{ 2048, 8192 },		/* three pages: a PRP list */
		{ 0, 16384 },		/* PRP list of 3 */
		{ 0, MAX_XFER },	/* PRP list of 31 */
		{ 1024, MAX_XFER },	/* 33 pages touched */
	};
	struct nvme_queue *q[2] = { &c->io[0], &c->io[c->nr_io > 1] };
	size_t lba_size = 1u << c->lba_shift, i, total = 0, n = 0;
	__u64 seed = (__u64)time(NULL) << 20 ^ getpid(), slba = 0;
	int pass;

	step("verify");
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < ARRAY_SIZE(cases); i++) {
			size_t off = cases[i].off, len = cases[i].len;

			if (len % lba_size)
				continue;
			if (slba + (len >> c->lba_shift) > c->nsze)
				return failed("namespace too small for the test");
			if (verify_one(c, q[pass], q[!pass], slba, off, len,
				       seed + pass))
				return -1;
			slba += len >> c->lba_shift;
			total += len;
			n++;
		}
	}
	say("%zu KiB in %zu writes and reads (PRP1 only, PRP1+PRP2, PRP lists, offsets 0-2048) over LBAs 0-%llu: all match",
	    total >> 10, n, (unsigned long long)slba - 1);
	return 0;
}

struct bench {
	const char *name;
	size_t len;
	bool random;
};

/* Reads of @b->len at queue depth @qd on @q for opt.seconds */
static int run_bench(struct nvme_ctrl *c, struct nvme_queue *q,
		     const struct bench *b, unsigned int qd)
{
	__u64 nlb = b->len >> c->lba_shift, span = c->nsze / nlb;
	__u64 rnd = 0x1234567 ^ (__u64)getpid(), next = 0, ops = 0;
	double t0, t1, end;
	struct nvme_sqe sqe;
	unsigned int i;
	bool stopping = false;
	static char label[64];

	if (qd > q->depth - 1)
		qd = q->depth - 1;
	snprintf(label, sizeof(label), "bench %s qd%u %s", b->name, qd,
		 q->irq ? "irq" : "poll");
	step(label);
	t0 = now_s();
	end = t0 + opt.seconds;
	for (i = 0; i < qd; i++) {
		struct nvme_slot *s = &q->slots[i];
		__u64 slba = (b->random ? xorshift(&rnd) % span : next++ % span) * nlb;

		rw_sqe(&sqe, NVME_CMD_READ, i, slba, nlb);
		build_prps(s, s->buf->iova, b->len, &sqe);
		s->done = false;
		submit(q, &sqe, false);
	}
	ring_sq(q);
	while (q->inflight) {
		if (wait_cq(c, q))
			return -1;
		if (!stopping && now_s() >= end)
			stopping = true;
		for (i = 0; i < qd; i++) {
			struct nvme_slot *s = &q->slots[i];
			__u64 slba;

			if (!s->done)
				continue;
			s->done = false;
			if (s->cqe.status >> 1)
				return failed("read: %s",
					      status_str(s->cqe.status));
			ops++;
			if (stopping)
				continue;
			slba = (b->random ? xorshift(&rnd) % span :
					    next++ % span) * nlb;
			rw_sqe(&sqe, NVME_CMD_READ, i, slba, nlb);
			build_prps(s, s->buf->iova, b->len, &sqe);
			submit(q, &sqe, false);
		}
		ring_sq(q);
	}
	t1 = now_s();
	printf("RESULT ioasid %s qd%u %s: %.0f IOPS, %.1f MB/s (%llu reads in %.2f s)\n",
	       b->name, qd, q->irq ? "irq" : "poll", ops / (t1 - t0),
	       ops * b->len / (t1 - t0) / 1e6, (unsigned long long)ops,
	       t1 - t0);
	fflush(stdout);
	return 0;
}

static int benchmarks(struct nvme_ctrl *c)
{
	static const struct bench benches[] = {
		{ "4k-randread", 4096, true },
		{ "128k-seqread", MAX_XFER, false },
	};
	unsigned int i, j;

	for (i = 0; i < 2; i++) {
		if ((1u << c->lba_shift) > benches[i].len)
			continue;
		/* QD1 on each kind of queue, then deep on the polled one */
		for (j = 0; j < c->nr_io && j < 2; j++)
			if (run_bench(c, &c->io[j], &benches[i], 1))
				return -1;
		if (opt.bench_qd > 1 &&
		    run_bench(c, &c->io[c->nr_io > 1 ? 1 : 0], &benches[i],
			      opt.bench_qd))
			return -1;
	}
	return 0;
}

/* --------------------------------------------------------------- main */

static void on_signal(int sig)
{
	(void)sig;
	stop_now = 1;
}

static void print_help(void)
{
	printf("Usage: %s [OPTION]... [PCI_ADDRESS]\n"
	       "\n"
	       "A user space NVMe driver for QEMU's NVMe controller (%04x:%04x) bound\n"
	       "to %s, its DMA through /dev/ioasid: reset and enable the\n"
	       "controller, set up the admin queue, identify the controller and\n"
	       "namespace 1, create I/O queue pairs, write patterns and read them back\n"
	       "verified, measure 4 KiB random and 128 KiB sequential reads, and shut\n"
	       "the controller down.  It overwrites the first megabyte of namespace 1.\n"
	       "\n"
	       "PCI_ADDRESS is the controller's address as lspci -D shows it\n"
	       "(0000:00:04.0, or 00:04.0); without it, the first one bound to\n"
	       "%s.\n"
	       "\n"
	       "Options:\n"
	       "  -q N        I/O queue pairs, 1-%u (default 2; odd IDs by MSI-X, even\n"
	       "              ones polled)\n"
	       "  -d N        entries per I/O queue, 2-%u (default 64)\n"
	       "  -Q N        queue depth of the deep benchmark (default 16, at most\n"
	       "              the -d entries minus 1; 1: none)\n"
	       "  -t SECONDS  seconds per benchmark (default 3)\n"
	       "  -n          no benchmark: verify only\n"
	       "  -s          fewer step lines\n"
	       "  -h, --help  print this help and exit\n"
	       "\n"
	       "Exit status: 0 if everything worked, 1 if a step failed or the data did\n"
	       "not verify (the message on stderr says which step and why), 2 for a\n"
	       "usage error.\n",
	       PROG, NVME_VENDOR, NVME_DEVICE, IOASID_DRIVER, IOASID_DRIVER,
	       MAX_QPAIRS, MAX_DEPTH);
}

static void usage(void)
{
	fprintf(stderr,
		"Usage: %s [-q PAIRS] [-d DEPTH] [-Q BENCH_QD] [-t SECONDS] [-n] [-s] [PCI_ADDRESS]\n"
		"Try '%s --help' for more information.\n", PROG, PROG);
	exit(2);
}

static void parse_args(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "q:d:Q:t:nsh", longopts,
				 NULL)) != -1) {
		switch (ch) {
		case 'q':
			opt.qpairs = atoi(optarg);
			break;
		case 'd':
			opt.depth = atoi(optarg);
			break;
		case 'Q':
			opt.bench_qd = atoi(optarg);
			break;
		case 't':
			opt.seconds = atof(optarg);
			break;
		case 'n':
			opt.no_bench = true;
			break;
		case 's':
			opt.quiet_steps = true;
			break;
		case 'h':
			print_help();
			exit(0);
		default:
			usage();
		}
	}
	if (optind < argc - 1)
		usage();
	opt.bdf = optind < argc ? argv[optind] : NULL;
	if (opt.qpairs < 1 || opt.qpairs > MAX_QPAIRS ||
	    opt.qpairs + 1 > IOASID_MAX_IRQS || opt.depth < 2 ||
	    opt.depth > MAX_DEPTH || opt.seconds <= 0 || opt.bench_qd < 1) {
		fprintf(stderr, "%s: -q 1-%u, -d 2-%u, -Q >= 1, -t > 0\n", PROG,
			MAX_QPAIRS, MAX_DEPTH);
		exit(2);
	}
}

/*
 * Undo what is up: a clean shutdown when the controller still answers;
 * when it was reset or is being unbound, just disable it and let go.
 */
static void teardown(struct nvme_ctrl *c, int *rc)
{
	if (c->bar && c->enabled && !c->dead) {
		if (delete_io_queues(c) || shutdown_ctrl(c))
			*rc = 1;
	} else if (c->bar && c->dead) {
		step("teardown");
		c->timeout_ms = 500;
		if (rd32(c, NVME_REG_CSTS) != 0xffffffff)
			ctrl_disable(c);
		say("abandoned the controller (no queue deletion or shutdown); closing");
	}
	step("close");
	ioasid_dev_close(&c->dev);
	if (c->bar)
		say("MSI-X off, bus master off, BAR0 and DMA buffers unmapped, device fd and /dev/ioasid closed");
}

int main(int argc, char **argv)
{
	static struct nvme_ctrl ctrl;
	struct nvme_ctrl *c = &ctrl;
	char bdf[32];
	int rc = 1;

	parse_args(argc, argv);
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	printf("%s: a user space NVMe driver through /dev/ioasid\n", PROG);

	c->dev.log = lib_log;
	step("find the device");
	if (!opt.bdf) {
		if (ioasid_find_bound(&c->dev, NVME_VENDOR, NVME_DEVICE, bdf,
				      sizeof(bdf))) {
			lib_failed(c);
			return 1;
		}
		opt.bdf = bdf;
	}
	step("open");
	if (ioasid_dev_open(&c->dev, opt.bdf, 0)) {
		lib_failed(c);
		return 1;
	}
	if (c->dev.vendor != NVME_VENDOR || c->dev.device != NVME_DEVICE)
		printf("open: warning: %04x:%04x is not QEMU's NVMe; trying anyway\n",
		       c->dev.vendor, c->dev.device);
	step("request eventfd");
	if (ioasid_req_enable(&c->dev))
		goto out;
	step("mmap BAR0");
	c->bar = ioasid_bar_map(&c->dev, 0, &c->bar_len);
	if (!c->bar) {
		lib_failed(c);
		goto out;
	}
	if (c->bar_len < NVME_REG_DBS + 8) {
		failed("BAR0 is %zu bytes, too small for NVMe", c->bar_len);
		goto out;
	}
	step("MSI-X");
	if (ioasid_msix_enable(&c->dev, opt.qpairs + 1)) {
		lib_failed(c);
		goto out;
	}
	say("%u vectors, each an eventfd (admin: 0, pair N: N)",
	    opt.qpairs + 1);
	step("bus master");
	if (ioasid_bus_master(&c->dev, true)) {
		lib_failed(c);
		goto out;
	}
	if (ctrl_reset_enable(c) || identify(c) || create_io_queues(c) ||
	    verify(c))
		goto out;
	if (!opt.no_bench && benchmarks(c))
		goto out;
	rc = 0;
out:
	teardown(c, &rc);
	if (rc)
		printf("%s: FAILED (see the message above)\n", PROG);
	else
		printf("%s: ok\n", PROG);
	return rc;
}
