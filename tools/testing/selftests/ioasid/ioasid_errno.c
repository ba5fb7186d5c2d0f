// SPDX-License-Identifier: GPL-2.0-only
/*
 * What Documentation/userspace-api/ioasid.rst, the uAPI headers and README
 * say each ioctl answers, one table per ioctl.
 *
 * A row is a state to build (a fresh context each time), one call, the
 * errno it must give (and for some, one output field), and DOC(WHERE,
 * "words"): the sentence of the documentation the row proves, quoted.
 * scripts/doc-quotes.sh (make lint) checks that every quoted sentence is
 * still there, so neither the documentation nor these tables can change
 * without the other.  Every row that fails must also leave the module's
 * counters (objects, pages, pins, charges, domains, groups) as they were:
 * "a failed ioctl never leaves a half-built object behind".
 *
 * The tables use symbols for what only the state knows (object IDs, user
 * addresses, file descriptors); resolve() replaces them before the call.
 * Rules that take more than one call (an ioctl stalled in another thread,
 * accounting, the vfio group path) are TESTs of their own below the tables.
 * The rows with a real device use the first edu on the root bus of the test
 * VM (vfio_utils.h).
 */
#include <poll.h>
#include <pthread.h>
#include <stddef.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <linux/userfaultfd.h>

#include "vfio_utils.h"

/* Rows override fields of the macros that build them */
#pragma GCC diagnostic ignored "-Woverride-init"

#define DOC(where, words) #where ": " words

#define BASE		MOCK_APERTURE_START	/* BUF is mapped here */
#define BUF_PAGES	16
#define BASE_RO		(BASE + 0x100000)	/* RO, mapped read-only */
#define RO_PAGES	4
#define LOW_IOVA	0x1000			/* IOAS2's mapping */
#define P		4096			/* x86_64 */

/* ------------------------------------------------------------ symbols */

/* Object IDs, resolved to what the state made */
enum {
	ID_SYM = 0x7fff0000,
	IOAS = ID_SYM,	/* BUF at BASE and RO at BASE_RO; MOCK: attached */
	IOAS2,		/* one page of BUF at LOW_IOVA, an access (MOCK) */
	IOAS_EMPTY,
	HWPT_AUTO,	/* MOCK: the mock device's automatic HWPT on IOAS */
	HWPT,		/* MOCK: IOMMU_HWPT_ALLOC on IOAS */
	HWPT_DIRTY,	/* MOCK: ... with DIRTY_TRACKING (ST_TRACK: on) */
	HWPT_PARENT,	/* MOCK: ... with NEST_PARENT */
	HWPT_NESTED,	/* MOCK: nested on HWPT_PARENT */
	DEV,		/* MOCK: the mock device */
	DEV_NODIRTY,	/* MOCK: a mock device whose IOMMU does not track */
	STDEV,		/* MOCK: the selftest object of DEV */
	ACCESS,		/* MOCK: the access's object on IOAS2, pinning */
	EDEV,		/* EDU: the edu's DEVICE */
	EHWPT,		/* EDU: its automatic HWPT on IOAS */
	ID_SYM_END,
};
#define NOID 9999	/* names nothing in any state */

/* User addresses: a symbol plus an offset */
#define PTR_SYM		0xdead000000000000ULL
#define PTR(k)		(PTR_SYM | (__u64)(k) << 32)
#define P_BUF		PTR(1)	/* BUF_PAGES, read-write */
#define P_RO		PTR(2)	/* RO_PAGES, PROT_READ */
#define P_HOLE		PTR(3)	/* nothing mapped */
#define P_NONE		PTR(4)	/* PROT_NONE */
#define P_DATA		PTR(5)	/* a page holding the row's data */
#define P_BAR		PTR(6)	/* EDU: the edu's BAR0, mmapped */
#define NR_PTRS		7
#define KERNEL_VA	0xffff888000000000ULL

/* File descriptors, for BIND's iommufd */
enum {
	FD_SYM = 0x7ffe0000,
	FD_IOASID = FD_SYM,	/* the state's /dev/ioasid */
	FD_NULL,		/* /dev/null */
	FD_SELF,		/* the device fd itself */
	FD_ACCESS,		/* MOCK: the access's fd */
	FD_SYM_END,
};
#define FD_CLOSED 1000

/* ------------------------------------------------------------- states */

enum {
	ST_IOAS = 1 << 0,	/* IOAS, IOAS2, IOAS_EMPTY */
	ST_MOCK = 1 << 1,	/* and the mock objects above (implies IOAS) */
	ST_TRACK = 1 << 2,	/* HWPT_DIRTY tracking (implies MOCK) */
	ST_COMPAT = 1 << 3,	/* IOMMU_VFIO_IOAS SET IOAS (implies IOAS) */
	ST_PARKED = 1 << 4,	/* the edu's fd, open and parked */
	ST_BOUND = 1 << 5,	/* ... bound to the context (EDEV) */
	ST_EDU = 1 << 6,	/* ... and attached to IOAS (EHWPT, P_BAR) */
};

struct world {
	int fd, dfd, afd, null;
	__u32 id[ID_SYM_END - ID_SYM];
	void *ptr[NR_PTRS];
	size_t bar_size;
};

struct out {
	unsigned int off, size;	/* size 0: nothing to check */
	__u64 val;
};

struct row {
	const char *doc;
	unsigned int state;
	unsigned long cmd;
	const void *arg;	/* a template, or NULL: iarg is the argument */
	unsigned int len;
	__u64 iarg;
	bool dev;		/* on the device fd */
	bool unpriv;		/* as uid 65534, without capabilities */
	int err;		/* the errno, 0 for success */
	long ret;		/* the value a successful call returns */
	const void *data;	/* copied to P_DATA */
	unsigned int data_len;
	struct out out;
};

#define ARG(type, ...)							\
	.arg = &(type){ .size = sizeof(type), __VA_ARGS__ },		\
	.len = sizeof(type)
#define ARG_SIZE(type, sz, ...)					\
	.arg = &(type){ .size = (sz), __VA_ARGS__ }, .len = sizeof(type)
#define VARG(type, ...)							\
	.arg = &(type){ .argsz = sizeof(type), __VA_ARGS__ },		\
	.len = sizeof(type)
#define OUT(type, field, v)						\
	.out = { offsetof(type, field), sizeof(((type *)0)->field), (v) }
#define DATA_OF(type, ...)						\
	.data = &(const type){ __VA_ARGS__ }, .data_len = sizeof(type)

static __u32 rid(const struct world *w, __u32 v)
{
	if (v >= ID_SYM && v < ID_SYM_END)
		return w->id[v - ID_SYM];
	return v;
}

static __u64 rptr(const struct world *w, __u64 v)
{
	unsigned int k = (v >> 32) & 0xffff;

	if ((v & 0xffff000000000000ULL) != PTR_SYM || !k || k >= NR_PTRS)
		return v;
	return (uintptr_t)w->ptr[k] + (v & 0xffffffffULL);
}

static __s32 rfd(const struct world *w, __s32 v)
{
	switch (v) {
	case FD_IOASID:
		return w->fd;
	case FD_NULL:
		return w->null;
	case FD_SELF:
		return w->dfd;
	case FD_ACCESS:
		return w->afd;
	}
	return v;
}

#define R32(f) ((f) = rid(w, (f)))
#define R64(f) ((f) = rptr(w, (f)))

/* Replace the symbols of the argument of @cmd */
static void resolve(const struct world *w, unsigned long cmd, void *a)
{
	switch (cmd) {
	case IOMMU_DESTROY:
		R32(((struct iommu_destroy *)a)->id);
		break;
	case IOMMU_IOAS_ALLOW_IOVAS: {
		struct iommu_ioas_allow_iovas *c = a;

		R32(c->ioas_id);
		R64(c->allowed_iovas);
		break;
	}
	case IOMMU_IOAS_COPY: {
		struct iommu_ioas_copy *c = a;

		R32(c->dst_ioas_id);
		R32(c->src_ioas_id);
		break;
	}
	case IOMMU_IOAS_IOVA_RANGES: {
		struct iommu_ioas_iova_ranges *c = a;

		R32(c->ioas_id);
		R64(c->allowed_iovas);
		break;
	}
	case IOMMU_IOAS_MAP: {
		struct iommu_ioas_map *c = a;

		R32(c->ioas_id);
		R64(c->user_va);
		break;
	}
	case IOMMU_IOAS_UNMAP:
		R32(((struct iommu_ioas_unmap *)a)->ioas_id);
		break;
	case IOMMU_OPTION:
		R32(((struct iommu_option *)a)->object_id);
		break;
	case IOMMU_VFIO_IOAS:
		R32(((struct iommu_vfio_ioas *)a)->ioas_id);
		break;
	case IOMMU_HWPT_ALLOC: {
		struct iommu_hwpt_alloc *c = a;

		R32(c->dev_id);
		R32(c->pt_id);
		R32(c->fault_id);
		R64(c->data_uptr);
		break;
	}
	case IOMMU_GET_HW_INFO: {
		struct iommu_hw_info *c = a;

		R32(c->dev_id);
		R64(c->data_uptr);
		break;
	}
	case IOMMU_HWPT_SET_DIRTY_TRACKING:
		R32(((struct iommu_hwpt_set_dirty_tracking *)a)->hwpt_id);
		break;
	case IOMMU_HWPT_GET_DIRTY_BITMAP: {
		struct iommu_hwpt_get_dirty_bitmap *c = a;

		R32(c->hwpt_id);
		R64(c->data);
		break;
	}
	case IOMMU_HWPT_INVALIDATE: {
		struct iommu_hwpt_invalidate *c = a;

		R32(c->hwpt_id);
		R64(c->data_uptr);
		break;
	}
	case IOMMU_TEST_CMD: {
		struct iommu_test_cmd *c = a;

		R32(c->id);
		c->id = rfd(w, c->id);
		if (c->op == IOMMU_TEST_OP_DIRTY)
			R64(c->dirty.uptr);
		if (c->op == IOMMU_TEST_OP_ACCESS_PAGES)
			R64(c->access_pages.uptr);
		if (c->op == IOMMU_TEST_OP_ACCESS_RW)
			R64(c->access_rw.uptr);
		if (c->op == IOMMU_TEST_OP_TRIGGER_IOPF)
			R32(c->trigger_iopf.dev_id);
		break;
	}
	case VFIO_IOMMU_MAP_DMA:
		R64(((struct vfio_iommu_type1_dma_map *)a)->vaddr);
		break;
	case VFIO_DEVICE_BIND_IOMMUFD: {
		struct vfio_device_bind_iommufd *c = a;

		c->iommufd = rfd(w, c->iommufd);
		R64(c->token_uuid_ptr);
		break;
	}
	case VFIO_DEVICE_ATTACH_IOMMUFD_PT:
		R32(((struct vfio_device_attach_iommufd_pt *)a)->pt_id);
		break;
	}
}

/* -------------------------------------------------------------- world */

static int hwpt_alloc_flags(int fd, __u32 dev, __u32 pt, __u32 flags,
			    __u32 *out)
{
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd), .flags = flags, .dev_id = dev,
		.pt_id = pt,
	};
	int rc = xioctl(fd, IOMMU_HWPT_ALLOC, &cmd);

	if (!rc)
		*out = cmd.out_hwpt_id;
	return rc;
}

static int hwpt_alloc_nested(int fd, __u32 dev, __u32 parent, __u32 *out)
{
	struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd), .dev_id = dev, .pt_id = parent,
		.data_type = IOMMU_HWPT_DATA_SELFTEST,
		.data_len = sizeof(data), .data_uptr = (uintptr_t)&data,
	};
	int rc = xioctl(fd, IOMMU_HWPT_ALLOC, &cmd);

	if (!rc)
		*out = cmd.out_hwpt_id;
	return rc;
}

static int mock_device_flags(int fd, __u32 pt, __u32 flags, __u32 *idev)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS, .id = pt,
		.mock_domain_flags = { .dev_flags = flags },
	};
	int rc = test_cmd(fd, &cmd);

	if (!rc)
		*idev = cmd.mock_domain_flags.out_idev_id;
	return rc;
}

static int set_tracking(int fd, __u32 hwpt, bool on)
{
	struct iommu_hwpt_set_dirty_tracking cmd = {
		.size = sizeof(cmd), .hwpt_id = hwpt,
		.flags = on ? IOMMU_HWPT_DIRTY_TRACKING_ENABLE : 0,
	};

	return xioctl(fd, IOMMU_HWPT_SET_DIRTY_TRACKING, &cmd);
}

static int compat_set(int fd, __u32 ioas)
{
	struct iommu_vfio_ioas cmd = {
		.size = sizeof(cmd), .ioas_id = ioas, .op = IOMMU_VFIO_IOAS_SET,
	};

	return xioctl(fd, IOMMU_VFIO_IOAS, &cmd);
}

/* The edu every EDU row uses: the first on the root bus */
static struct vdev_info edu_info;

static void *map_anon(size_t len, int prot)
{
	void *p = mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static void world_init(struct world *w)
{
	memset(w, 0, sizeof(*w));
	w->fd = w->dfd = w->afd = w->null = -1;
}

#define TRY(what)							\
	do {								\
		int rc_ = (what);					\
		if (rc_) {						\
			snprintf(msg, len, "%s: %s", #what,		\
				 strerror(rc_));			\
			return rc_;					\
		}							\
	} while (0)
#define TRY_PTR(p, what)						\
	do {								\
		(p) = (what);						\
		if (!(p)) {						\
			snprintf(msg, len, "%s: %s", #what,		\
				 strerror(errno));			\
			return errno ?: ENOMEM;				\
		}							\
	} while (0)

/* Build the state @st; on failure, 0 is not returned and @msg says why */
static int world_build(struct world *w, unsigned int st, char *msg,
		       size_t len)
{
	__u32 *id = w->id;
	void *hole;
	__u32 tmp;

	if (st & ST_TRACK)
		st |= ST_MOCK;
	if (st & (ST_MOCK | ST_COMPAT))
		st |= ST_IOAS;
	if (st & ST_EDU)
		st |= ST_BOUND | ST_IOAS;
	if (st & ST_BOUND)
		st |= ST_PARKED;

	w->fd = ioasid_open();
	TRY(w->fd < 0 ? errno : 0);
	w->null = open("/dev/null", O_RDWR | O_CLOEXEC);
	TRY(w->null < 0 ? errno : 0);
	TRY_PTR(w->ptr[1], alloc_buffer(BUF_PAGES * P, P, 0));
	TRY_PTR(w->ptr[2], map_anon(RO_PAGES * P, PROT_READ));
	TRY_PTR(w->ptr[4], map_anon(4 * P, PROT_NONE));
	TRY_PTR(w->ptr[5], map_anon(P, PROT_READ | PROT_WRITE));
	/* Last, so that no later mapping of this state lands in it */
	TRY_PTR(hole, map_anon(4 * P, PROT_NONE));
	munmap(hole, 4 * P);
	w->ptr[3] = hole;

	if (st & ST_IOAS) {
		TRY(ioas_alloc(w->fd, &id[IOAS - ID_SYM]));
		TRY(ioas_alloc(w->fd, &id[IOAS2 - ID_SYM]));
		TRY(ioas_alloc(w->fd, &id[IOAS_EMPTY - ID_SYM]));
		TRY(ioas_map(w->fd, id[IOAS - ID_SYM], w->ptr[1],
			     BUF_PAGES * P, BASE));
		TRY(ioas_map_flags(w->fd, id[IOAS - ID_SYM], w->ptr[2],
				   RO_PAGES * P, &(__u64){ BASE_RO },
				   IOMMU_IOAS_MAP_FIXED_IOVA |
				   IOMMU_IOAS_MAP_READABLE));
		TRY(ioas_map(w->fd, id[IOAS2 - ID_SYM], w->ptr[1], P,
			     LOW_IOVA));
	}
	if (st & ST_MOCK) {
		TRY(mock_domain(w->fd, id[IOAS - ID_SYM], &id[STDEV - ID_SYM],
				&id[HWPT_AUTO - ID_SYM], &id[DEV - ID_SYM]));
		TRY(mock_device_flags(w->fd, id[IOAS - ID_SYM],
				      MOCK_FLAGS_DEVICE_NO_DIRTY,
				      &id[DEV_NODIRTY - ID_SYM]));
		TRY(hwpt_alloc_flags(w->fd, id[DEV - ID_SYM], id[IOAS - ID_SYM],
				     0, &id[HWPT - ID_SYM]));
		TRY(hwpt_alloc_flags(w->fd, id[DEV - ID_SYM], id[IOAS - ID_SYM],
				     IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
				     &id[HWPT_DIRTY - ID_SYM]));
		TRY(hwpt_alloc_flags(w->fd, id[DEV - ID_SYM], id[IOAS - ID_SYM],
				     IOMMU_HWPT_ALLOC_NEST_PARENT,
				     &id[HWPT_PARENT - ID_SYM]));
		TRY(hwpt_alloc_nested(w->fd, id[DEV - ID_SYM],
				      id[HWPT_PARENT - ID_SYM],
				      &id[HWPT_NESTED - ID_SYM]));
		/* The access takes the lowest free ID: learn it first */
		TRY(ioas_alloc(w->fd, &tmp));
		TRY(destroy_obj(w->fd, tmp));
		TRY(create_access(w->fd, id[IOAS2 - ID_SYM],
				  MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
				  &w->afd));
		id[ACCESS - ID_SYM] = tmp;
	}
	if (st & ST_TRACK)
		TRY(set_tracking(w->fd, id[HWPT_DIRTY - ID_SYM], true));
	if (st & ST_COMPAT)
		TRY(compat_set(w->fd, id[IOAS - ID_SYM]));
	if (st & ST_PARKED) {
		w->dfd = open(edu_info.cdev, O_RDWR | O_CLOEXEC);
		TRY(w->dfd < 0 ? errno : 0);
	}
	if (st & ST_BOUND)
		TRY(dev_bind(w->dfd, w->fd, &id[EDEV - ID_SYM]));
	if (st & ST_EDU) {
		struct edu e = {};

		id[EHWPT - ID_SYM] = id[IOAS - ID_SYM];
		TRY(dev_attach(w->dfd, &id[EHWPT - ID_SYM]));
		TRY(edu_setup(&e, w->dfd));
		w->ptr[6] = (void *)e.bar;
		w->bar_size = e.bar_size;
	}
	return 0;
}

static void world_free(struct world *w)
{
	if (w->ptr[6])
		munmap(w->ptr[6], w->bar_size);
	if (w->dfd >= 0)
		close(w->dfd);
	if (w->afd >= 0)
		close(w->afd);
	if (w->fd >= 0)
		close(w->fd);
	if (w->null >= 0)
		close(w->null);
	if (w->ptr[1])
		munmap(w->ptr[1], BUF_PAGES * P);
	if (w->ptr[2])
		munmap(w->ptr[2], RO_PAGES * P);
	if (w->ptr[4])
		munmap(w->ptr[4], 4 * P);
	if (w->ptr[5])
		munmap(w->ptr[5], P);
	world_init(w);
}

/* ---------------------------------------------------------------- run */

/* The argument of the last call, as the kernel left it */
static __u8 arg[512] __attribute__((aligned(64)));

/* The call of @r in @w: its errno (0 for success) and return value */
static int row_call(struct world *w, const struct row *r, long *ret)
{
	int fd = r->dev ? w->dfd : w->fd;
	void *p = (void *)(uintptr_t)rptr(w, r->iarg);
	int status;
	pid_t pid;

	if (r->arg) {
		memset(arg, 0, sizeof(arg));
		memcpy(arg, r->arg, r->len);
		resolve(w, r->cmd, arg);
		p = arg;
	}
	if (r->data)
		memcpy(w->ptr[5], r->data, r->data_len);
	*ret = 0;
	if (!r->unpriv) {
		long rc = ioctl(fd, r->cmd, p);

		if (rc < 0)
			return errno;
		*ret = rc;
		return 0;
	}
	/* Without root's capabilities: the answer comes as the exit status */
	pid = fork();
	if (pid < 0)
		return errno;
	if (!pid) {
		if (setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534))
			_exit(255);
		_exit(ioctl(fd, r->cmd, p) < 0 ? errno : 0);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static __u64 out_read(const void *buf, const struct out *o)
{
	const __u8 *p = (const __u8 *)buf + o->off;

	switch (o->size) {
	case 2:
		return *(const __u16 *)p;
	case 4:
		return *(const __u32 *)p;
	default:
		return *(const __u64 *)p;
	}
}

static bool counters_equal(const struct ioasid_counters *a,
			   const struct ioasid_counters *b)
{
	return a->objects == b->objects && a->pages_objs == b->pages_objs &&
	       a->pinned == b->pinned && a->charged == b->charged &&
	       a->groups == b->groups && a->domains == b->domains;
}

/*
 * Each row in a fresh state: the errno, the return value, the output field,
 * and for a failure, counters that did not move.  Returns the number of
 * rows that did not hold.
 */
static int run_rows(struct __test_metadata *_metadata, const char *table,
		    const struct row *rows, size_t n)
{
	struct ioasid_counters before, after;
	int failed = 0;
	size_t i;

	for (i = 0; i != n; i++) {
		const struct row *r = &rows[i];
		struct world w;
		char msg[256] = "";
		long ret;
		int err;

		world_init(&w);
		if (world_build(&w, r->state, msg, sizeof(msg))) {
			TH_LOG("%s[%zu] %s: cannot build the state: %s", table,
			       i, r->doc, msg);
			failed++;
			world_free(&w);
			continue;
		}
		EXPECT_EQ(0, read_counters(&before));
		err = row_call(&w, r, &ret);
		EXPECT_EQ(0, read_counters(&after));
		if (err != r->err) {
			TH_LOG("%s[%zu] %s: errno %d (%s), documented %d (%s)",
			       table, i, r->doc, err, strerror(err), r->err,
			       strerror(r->err));
			failed++;
		} else if (!err && ret != r->ret) {
			TH_LOG("%s[%zu] %s: returned %ld, documented %ld",
			       table, i, r->doc, ret, r->ret);
			failed++;
		} else if (err && !counters_equal(&before, &after)) {
			TH_LOG("%s[%zu] %s: the failed call changed the counters (objects %ld->%ld, pinned %ld->%ld, domains %ld->%ld)",
			       table, i, r->doc, before.objects, after.objects,
			       before.pinned, after.pinned, before.domains,
			       after.domains);
			failed++;
		} else if (r->out.size) {
			__u64 want = r->out.val, got = out_read(arg, &r->out);

			if (want >= ID_SYM && want < ID_SYM_END)
				want = rid(&w, want);
			if (got != want) {
				TH_LOG("%s[%zu] %s: output 0x%llx, documented 0x%llx",
				       table, i, r->doc,
				       (unsigned long long)got,
				       (unsigned long long)want);
				failed++;
			}
		}
		world_free(&w);
	}
	return failed;
}

/* ============================================================== tables */

#define BASE2		(BASE + 0x400000)	/* free in every state */
#define MAP_FIXED_RO	(IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE)
#define Q_OBJ		"a failed ioctl never leaves a half-built object behind"

static const struct row destroy_rows[] = {
	{ DOC(RST, "``ENOENT`` for an unknown ID"), 0, IOMMU_DESTROY,
	  ARG(struct iommu_destroy, .id = NOID), .err = ENOENT },
	{ DOC(RST, "IDs start at 1, 0 is never valid"), ST_IOAS, IOMMU_DESTROY,
	  ARG(struct iommu_destroy, .id = 0), .err = ENOENT },
	{ DOC(RST, "``EBUSY`` while anything depends on it"), ST_MOCK,
	  IOMMU_DESTROY, ARG(struct iommu_destroy, .id = IOAS), .err = EBUSY },
	{ DOC(RST, "An IOAS with mappings but no dependent object can be destroyed; its mappings go with it"),
	  ST_IOAS, IOMMU_DESTROY, ARG(struct iommu_destroy, .id = IOAS) },
	{ DOC(RST, "an access on its IOAS"), ST_MOCK, IOMMU_DESTROY,
	  ARG(struct iommu_destroy, .id = IOAS2), .err = EBUSY },
	{ DOC(RST, "an attached device on its HWPT"), ST_MOCK, IOMMU_DESTROY,
	  ARG(struct iommu_destroy, .id = HWPT_AUTO), .err = EBUSY },
	{ DOC(RST, "DEVICE and ACCESS objects answer ``EBUSY``: their driver owns them"),
	  ST_MOCK, IOMMU_DESTROY, ARG(struct iommu_destroy, .id = DEV),
	  .err = EBUSY },
	{ DOC(RST, "DEVICE and ACCESS objects answer ``EBUSY``: their driver owns them"),
	  ST_MOCK, IOMMU_DESTROY, ARG(struct iommu_destroy, .id = ACCESS),
	  .err = EBUSY },
	{ DOC(RST, "goes only with ``IOMMU_DESTROY``"), ST_MOCK, IOMMU_DESTROY,
	  ARG(struct iommu_destroy, .id = HWPT) },
	{ DOC(RST, "(``EBUSY`` while a device is attached or a nested HWPT uses it"),
	  ST_MOCK, IOMMU_DESTROY, ARG(struct iommu_destroy, .id = HWPT_PARENT),
	  .err = EBUSY },
	{ DOC(RST, "the parent cannot be destroyed while it exists"), ST_MOCK,
	  IOMMU_DESTROY, ARG(struct iommu_destroy, .id = HWPT_NESTED) },
};

static const struct row ioas_alloc_rows[] = {
	{ DOC(UAPI, "@flags: must be 0"), 0, IOMMU_IOAS_ALLOC,
	  ARG(struct iommu_ioas_alloc, .flags = 1), .err = EOPNOTSUPP },
	{ DOC(RST, "a flag, ``op`` or option the kernel does not know"), 0,
	  IOMMU_IOAS_ALLOC, ARG(struct iommu_ioas_alloc, .flags = 1U << 31),
	  .err = EOPNOTSUPP },
	{ DOC(RST, "IDs start at 1"), 0, IOMMU_IOAS_ALLOC,
	  ARG(struct iommu_ioas_alloc),
	  OUT(struct iommu_ioas_alloc, out_ioas_id, 1) },
};

static const struct row iova_ranges_rows[] = {
	{ DOC(RST, "or a non-zero ``__reserved`` field"), ST_IOAS,
	  IOMMU_IOAS_IOVA_RANGES,
	  ARG(struct iommu_ioas_iova_ranges, .ioas_id = IOAS, .__reserved = 1),
	  .err = EOPNOTSUPP },
	{ DOC(RST, "an ID or an IOVA range is not there"), ST_IOAS,
	  IOMMU_IOAS_IOVA_RANGES,
	  ARG(struct iommu_ioas_iova_ranges, .ioas_id = NOID), .err = ENOENT },
	{ DOC(RST, "an ID of the wrong type is reported as ``ENOENT``"), ST_MOCK,
	  IOMMU_IOAS_IOVA_RANGES,
	  ARG(struct iommu_ioas_iova_ranges, .ioas_id = HWPT), .err = ENOENT },
	{ DOC(RST, "A new IOAS has no reserved ranges and an IOVA alignment of one byte"),
	  ST_IOAS, IOMMU_IOAS_IOVA_RANGES,
	  ARG(struct iommu_ioas_iova_ranges, .ioas_id = IOAS_EMPTY,
	      .num_iovas = 4, .allowed_iovas = P_DATA),
	  OUT(struct iommu_ioas_iova_ranges, num_iovas, 1) },
	{ DOC(RST, "1 without a domain"), ST_IOAS, IOMMU_IOAS_IOVA_RANGES,
	  ARG(struct iommu_ioas_iova_ranges, .ioas_id = IOAS, .num_iovas = 4,
	      .allowed_iovas = P_DATA),
	  OUT(struct iommu_ioas_iova_ranges, out_iova_alignment, 1) },
	{ DOC(RST, "the smallest IO page size of the domains otherwise"), ST_MOCK,
	  IOMMU_IOAS_IOVA_RANGES,
	  ARG(struct iommu_ioas_iova_ranges, .ioas_id = IOAS, .num_iovas = 4,
	      .allowed_iovas = P_DATA),
	  OUT(struct iommu_ioas_iova_ranges, out_iova_alignment, P / 2) },
	{ DOC(RST, "as many entries as fit are written and the call fails with ``EMSGSIZE``"),
	  ST_MOCK, IOMMU_IOAS_IOVA_RANGES,
	  ARG(struct iommu_ioas_iova_ranges, .ioas_id = IOAS, .num_iovas = 0,
	      .allowed_iovas = P_DATA),
	  .err = EMSGSIZE, OUT(struct iommu_ioas_iova_ranges, num_iovas, 1) },
	{ DOC(UAPI, "EFAULT: a user pointer is not accessible"), ST_MOCK,
	  IOMMU_IOAS_IOVA_RANGES,
	  ARG(struct iommu_ioas_iova_ranges, .ioas_id = IOAS, .num_iovas = 4,
	      .allowed_iovas = P_RO),
	  .err = EFAULT },
};

static const struct row allow_iovas_rows[] = {
	{ DOC(RST, "or a non-zero ``__reserved`` field"), ST_IOAS,
	  IOMMU_IOAS_ALLOW_IOVAS,
	  ARG(struct iommu_ioas_allow_iovas, .ioas_id = IOAS, .__reserved = 1),
	  .err = EOPNOTSUPP },
	{ DOC(RST, "an ID or an IOVA range is not there"), ST_IOAS,
	  IOMMU_IOAS_ALLOW_IOVAS,
	  ARG(struct iommu_ioas_allow_iovas, .ioas_id = NOID), .err = ENOENT },
	{ DOC(RST, "Each range needs ``start < last``"), ST_IOAS,
	  IOMMU_IOAS_ALLOW_IOVAS,
	  ARG(struct iommu_ioas_allow_iovas, .ioas_id = IOAS, .num_iovas = 1,
	      .allowed_iovas = P_DATA),
	  DATA_OF(struct iommu_iova_range[1], { BASE2, BASE2 }),
	  .err = EINVAL },
	{ DOC(RST, "Each range needs ``start < last``"), ST_IOAS,
	  IOMMU_IOAS_ALLOW_IOVAS,
	  ARG(struct iommu_ioas_allow_iovas, .ioas_id = IOAS, .num_iovas = 1,
	      .allowed_iovas = P_DATA),
	  DATA_OF(struct iommu_iova_range[1], { BASE2 + P, BASE2 }),
	  .err = EINVAL },
	{ DOC(RST, "ranges may not overlap (``EINVAL``)"), ST_IOAS,
	  IOMMU_IOAS_ALLOW_IOVAS,
	  ARG(struct iommu_ioas_allow_iovas, .ioas_id = IOAS, .num_iovas = 2,
	      .allowed_iovas = P_DATA),
	  DATA_OF(struct iommu_iova_range[2], { BASE2, BASE2 + 2 * P - 1 },
		  { BASE2 + P, BASE2 + 4 * P - 1 }),
	  .err = EINVAL },
	{ DOC(RST, "a range that intersects a reserved range is ``EADDRINUSE``"),
	  ST_MOCK, IOMMU_IOAS_ALLOW_IOVAS,
	  ARG(struct iommu_ioas_allow_iovas, .ioas_id = IOAS, .num_iovas = 2,
	      .allowed_iovas = P_DATA),
	  DATA_OF(struct iommu_iova_range[2], { BASE2, BASE2 + P - 1 },
		  { 0, P - 1 }),
	  .err = EADDRINUSE },
	{ DOC(RST, "(``num_iovas`` 0 clears it)"), ST_IOAS,
	  IOMMU_IOAS_ALLOW_IOVAS,
	  ARG(struct iommu_ioas_allow_iovas, .ioas_id = IOAS) },
	{ DOC(UAPI, "EFAULT: a user pointer is not accessible"), ST_IOAS,
	  IOMMU_IOAS_ALLOW_IOVAS,
	  ARG(struct iommu_ioas_allow_iovas, .ioas_id = IOAS, .num_iovas = 1,
	      .allowed_iovas = P_HOLE),
	  .err = EFAULT },
};

#define MAP(...) IOMMU_IOAS_MAP, ARG(struct iommu_ioas_map, __VA_ARGS__)
#define Q_ALIGN "``iova``, ``length`` and the offset of ``user_va`` in its page must be multiples of the IOAS alignment (``EINVAL``)"
#define Q_EFAULT "memory that is not mapped, or not writable for a writable mapping, or device memory (``VM_IO``/``VM_PFNMAP``) gives ``EFAULT``"

static const struct row map_rows[] = {
	{ DOC(RST, "a flag, ``op`` or option the kernel does not know"), ST_IOAS,
	  MAP(.flags = MAP_FIXED_RW | 1 << 3, .ioas_id = IOAS,
	      .user_va = P_BUF, .length = P, .iova = BASE2),
	  .err = EOPNOTSUPP },
	{ DOC(RST, "or a non-zero ``__reserved`` field"), ST_IOAS,
	  MAP(.flags = MAP_FIXED_RW, .ioas_id = IOAS, .__reserved = 1,
	      .user_va = P_BUF, .length = P, .iova = BASE2),
	  .err = EOPNOTSUPP },
	{ DOC(RST, "at least one of the last two is required (``EINVAL``)"),
	  ST_IOAS,
	  MAP(.flags = IOMMU_IOAS_MAP_FIXED_IOVA, .ioas_id = IOAS,
	      .user_va = P_BUF, .length = P, .iova = BASE2),
	  .err = EINVAL },
	{ DOC(RST, "an ID or an IOVA range is not there"), ST_IOAS,
	  MAP(.flags = MAP_FIXED_RW, .ioas_id = NOID, .user_va = P_BUF,
	      .length = P, .iova = BASE2),
	  .err = ENOENT },
	{ DOC(RST, "an ID of the wrong type is reported as ``ENOENT``"), ST_MOCK,
	  MAP(.flags = MAP_FIXED_RW, .ioas_id = HWPT_AUTO, .user_va = P_BUF,
	      .length = P, .iova = BASE2),
	  .err = ENOENT },
	{ DOC(RST, Q_ALIGN), ST_MOCK,
	  MAP(.flags = MAP_FIXED_RW, .ioas_id = IOAS, .user_va = P_BUF,
	      .length = P, .iova = BASE2 + 1),
	  .err = EINVAL },
	{ DOC(RST, Q_ALIGN), ST_MOCK,
	  MAP(.flags = MAP_FIXED_RW, .ioas_id = IOAS, .user_va = P_BUF,
	      .length = P + 1, .iova = BASE2),
	  .err = EINVAL },
	{ DOC(RST, Q_ALIGN), ST_MOCK,
	  MAP(.flags = MAP_FIXED_RW, .ioas_id = IOAS, .user_va = P_BUF + 1,
	      .length = P / 2, .iova = BASE2),
	  .err = EINVAL },
	{ DOC(RST, "``length`` 0 is ``EINVAL``"), ST_IOAS,
	  MAP(.flags = MAP_FIXED_RW, .ioas_id = IOAS, .user_va = P_BUF,
	      .length = 0, .iova = BASE2),
	  .err = EINVAL },
	{ DOC(RST, "an ``iova`` or ``length`` of ``UINT64_MAX`` or a range past the end of the space is ``EOVERFLOW``"),
	  ST_IOAS,
	  MAP(.flags = MAP_FIXED_RW, .ioas_id = IOAS, .user_va = P_BUF,
	      .length = P, .iova = UINT64_MAX),
	  .err = EOVERFLOW },
	{ DOC(RST, "an ``iova`` or ``length`` of ``UINT64_MAX`` or a range past the end of the space is ``EOVERFLOW``"),
	  ST_IOAS,
	  MAP(.flags = MAP_FIXED_RW, .ioas_id = IOAS, .user_va = P_BUF,
	      .length = UINT64_MAX, .iova = BASE2),
	  .err = EOVERFLOW },
	{ DOC(RST, "an ``iova`` or ``length`` of ``UINT64_MAX`` or a range past the end of the space is ``EOVERFLOW``"),
	  ST_IOAS,
	  MAP(.flags = MAP_FIXED_RW, .ioas_id = IOAS, .user_va = P_BUF,
	      .length = 2 * P, .iova = -(__u64)P),
	  .err = EOVERFLOW },
	{ DOC(RST, "A fixed IOVA range that intersects a reserved range is ``EINVAL``"),
	  ST_MOCK,
	  MAP(.flags = MAP_FIXED_RW, .ioas_id = IOAS, .user_va = P_BUF,
	      .length = P, .iova = BASE - P),
	  .err = EINVAL },
	{ DOC(RST, "one that intersects a mapping is ``EEXIST``"), ST_IOAS,
	  MAP(.flags = MAP_FIXED_RW, .ioas_id = IOAS, .user_va = P_BUF,
	      .length = 2 * P, .iova = BASE - P),
	  .err = EEXIST },
	{ DOC(RST, "An automatic IOVA is the lowest fitting hole in ``[PAGE_SIZE, UINT64_MAX - PAGE_SIZE]`` (so never 0)"),
	  ST_IOAS,
	  MAP(.flags = MAP_RW, .ioas_id = IOAS, .user_va = P_BUF, .length = P),
	  OUT(struct iommu_ioas_map, iova, P) },
	{ DOC(RST, "Below ``PAGE_SIZE`` the IOVA keeps ``user_va``'s offset inside its page"),
	  ST_IOAS,
	  MAP(.flags = MAP_RW, .ioas_id = IOAS, .user_va = P_BUF + 100,
	      .length = 100),
	  OUT(struct iommu_ioas_map, iova, P + 100) },
	{ DOC(RST, "``ENOSPC`` if nothing fits"), ST_MOCK,
	  MAP(.flags = MAP_RW, .ioas_id = IOAS, .user_va = P_BUF,
	      .length = 3ULL << 30),
	  .err = ENOSPC },
	{ DOC(RST, "``EINVAL`` if that alignment is below the IOAS alignment"),
	  ST_MOCK,
	  MAP(.flags = MAP_RW, .ioas_id = IOAS, .user_va = P_BUF + 1,
	      .length = P),
	  .err = EINVAL },
	{ DOC(RST, Q_EFAULT), ST_MOCK,
	  MAP(.flags = MAP_FIXED_RW, .ioas_id = IOAS, .user_va = P_HOLE,
	      .length = P, .iova = BASE2),
	  .err = EFAULT },
	{ DOC(RST, Q_EFAULT), ST_MOCK,
	  MAP(.flags = MAP_FIXED_RW, .ioas_id = IOAS, .user_va = P_RO,
	      .length = P, .iova = BASE2),
	  .err = EFAULT },
	{ DOC(RST, "Memory the process cannot read (``PROT_NONE``) stays ``EFAULT``"),
	  ST_MOCK,
	  MAP(.flags = MAP_FIXED_RO, .ioas_id = IOAS, .user_va = P_NONE,
	      .length = P, .iova = BASE2),
	  .err = EFAULT },
	{ DOC(RST, "A read-only mapping of private memory pins the process's own page"),
	  ST_MOCK,
	  MAP(.flags = MAP_FIXED_RO, .ioas_id = IOAS, .user_va = P_RO,
	      .length = P, .iova = BASE2) },
	{ DOC(RST, "Without a domain nothing is pinned yet"), ST_IOAS,
	  MAP(.flags = MAP_FIXED_RW, .ioas_id = IOAS, .user_va = P_HOLE,
	      .length = P, .iova = BASE2) },
	{ DOC(UAPI, "EFAULT: a user pointer is not accessible"), ST_IOAS,
	  MAP(.flags = MAP_FIXED_RW, .ioas_id = IOAS, .user_va = KERNEL_VA,
	      .length = P, .iova = BASE2),
	  .err = EFAULT },
};

#define COPY(...) IOMMU_IOAS_COPY, ARG(struct iommu_ioas_copy, __VA_ARGS__)

static const struct row copy_rows[] = {
	{ DOC(RST, "a flag, ``op`` or option the kernel does not know"), ST_IOAS,
	  COPY(.flags = MAP_FIXED_RW | 1 << 3, .dst_ioas_id = IOAS2,
	       .src_ioas_id = IOAS, .length = P, .dst_iova = BASE2,
	       .src_iova = BASE),
	  .err = EOPNOTSUPP },
	{ DOC(RST, "a copy neither ``READABLE`` nor ``WRITEABLE`` is ``EINVAL``"),
	  ST_IOAS,
	  COPY(.flags = IOMMU_IOAS_MAP_FIXED_IOVA, .dst_ioas_id = IOAS2,
	       .src_ioas_id = IOAS, .length = P, .dst_iova = BASE2,
	       .src_iova = BASE),
	  .err = EINVAL },
	{ DOC(RST, "The source range must be covered by mappings without holes (``ENOENT``)"),
	  ST_IOAS,
	  COPY(.flags = MAP_FIXED_RW, .dst_ioas_id = IOAS2,
	       .src_ioas_id = IOAS, .length = 2 * P, .dst_iova = BASE2,
	       .src_iova = BASE + (BUF_PAGES - 1) * P),
	  .err = ENOENT },
	{ DOC(RST, "but may start and end inside them"), ST_IOAS,
	  COPY(.flags = MAP_FIXED_RW, .dst_ioas_id = IOAS2,
	       .src_ioas_id = IOAS, .length = 2 * P, .dst_iova = BASE2,
	       .src_iova = BASE + P) },
	{ DOC(RST, "it is checked (``EINVAL`` for length 0, ``EOVERFLOW``, ``ENOENT``) before ``dst_ioas_id`` is looked up"),
	  ST_IOAS,
	  COPY(.flags = MAP_FIXED_RW, .dst_ioas_id = NOID,
	       .src_ioas_id = IOAS, .length = 0, .dst_iova = BASE2,
	       .src_iova = BASE),
	  .err = EINVAL },
	{ DOC(RST, "it is checked (``EINVAL`` for length 0, ``EOVERFLOW``, ``ENOENT``) before ``dst_ioas_id`` is looked up"),
	  ST_IOAS,
	  COPY(.flags = MAP_FIXED_RW, .dst_ioas_id = NOID,
	       .src_ioas_id = IOAS, .length = 2 * P, .dst_iova = BASE2,
	       .src_iova = -(__u64)P),
	  .err = EOVERFLOW },
	{ DOC(RST, "an ID or an IOVA range is not there"), ST_IOAS,
	  COPY(.flags = MAP_FIXED_RW, .dst_ioas_id = IOAS2,
	       .src_ioas_id = NOID, .length = P, .dst_iova = BASE2,
	       .src_iova = BASE),
	  .err = ENOENT },
	{ DOC(RST, "A writable copy of memory mapped read-only is ``EPERM``"),
	  ST_IOAS,
	  COPY(.flags = MAP_FIXED_RW, .dst_ioas_id = IOAS2,
	       .src_ioas_id = IOAS, .length = P, .dst_iova = BASE2,
	       .src_iova = BASE_RO),
	  .err = EPERM },
	{ DOC(UAPI, "Asking for IOMMU_IOAS_MAP_WRITEABLE on memory that was mapped read-only fails with EPERM"),
	  ST_IOAS,
	  COPY(.flags = MAP_FIXED_RO, .dst_ioas_id = IOAS2,
	       .src_ioas_id = IOAS, .length = P, .dst_iova = BASE2,
	       .src_iova = BASE_RO) },
	{ DOC(RST, "into the destination IOAS (which may be the same one)"),
	  ST_IOAS,
	  COPY(.flags = MAP_RW, .dst_ioas_id = IOAS, .src_ioas_id = IOAS,
	       .length = P, .src_iova = BASE) },
	{ DOC(RST, "fixed or automatic IOVA as for MAP"), ST_IOAS,
	  COPY(.flags = MAP_FIXED_RW, .dst_ioas_id = IOAS2,
	       .src_ioas_id = IOAS, .length = P, .dst_iova = LOW_IOVA,
	       .src_iova = BASE),
	  .err = EEXIST },
};

#define UNMAP(...) IOMMU_IOAS_UNMAP, ARG(struct iommu_ioas_unmap, __VA_ARGS__)
#define Q_CUT "if a mapping is only partly inside the range, or no mapping is there, the call fails with ``ENOENT`` and removes nothing"

static const struct row unmap_rows[] = {
	{ DOC(RST, "returns the number of bytes removed in ``length``"), ST_IOAS,
	  UNMAP(.ioas_id = IOAS, .iova = BASE, .length = BUF_PAGES * P),
	  OUT(struct iommu_ioas_unmap, length, BUF_PAGES * P) },
	{ DOC(RST, Q_CUT), ST_IOAS,
	  UNMAP(.ioas_id = IOAS, .iova = BASE, .length = P), .err = ENOENT },
	{ DOC(RST, Q_CUT), ST_MOCK,
	  UNMAP(.ioas_id = IOAS, .iova = BASE - P, .length = 2 * P),
	  .err = ENOENT },
	{ DOC(RST, Q_CUT), ST_IOAS,
	  UNMAP(.ioas_id = IOAS, .iova = BASE2, .length = P), .err = ENOENT },
	{ DOC(RST, "Holes between mappings are fine"), ST_IOAS,
	  UNMAP(.ioas_id = IOAS, .iova = BASE,
		.length = BASE_RO + RO_PAGES * P - BASE),
	  OUT(struct iommu_ioas_unmap, length, (BUF_PAGES + RO_PAGES) * P) },
	{ DOC(RST, "``iova`` 0 with ``length`` ``UINT64_MAX`` removes everything and succeeds on an empty IOAS"),
	  ST_IOAS,
	  UNMAP(.ioas_id = IOAS_EMPTY, .iova = 0, .length = UINT64_MAX),
	  OUT(struct iommu_ioas_unmap, length, 0) },
	{ DOC(RST, "``iova`` 0 with ``length`` ``UINT64_MAX`` removes everything and succeeds on an empty IOAS"),
	  ST_MOCK, UNMAP(.ioas_id = IOAS, .iova = 0, .length = UINT64_MAX),
	  OUT(struct iommu_ioas_unmap, length, (BUF_PAGES + RO_PAGES) * P) },
	{ DOC(RST, "an ID or an IOVA range is not there"), ST_IOAS,
	  UNMAP(.ioas_id = NOID, .iova = BASE, .length = P), .err = ENOENT },
	{ DOC(RST, "IOVA or length arithmetic overflows 64 bits"), ST_IOAS,
	  UNMAP(.ioas_id = IOAS, .iova = -(__u64)P, .length = 2 * P),
	  .err = EOVERFLOW },
	{ DOC(RST, "a known field has a wrong value"), ST_IOAS,
	  UNMAP(.ioas_id = IOAS, .iova = BASE, .length = 0), .err = EINVAL },
};

#define OPT(...) IOMMU_OPTION, ARG(struct iommu_option, __VA_ARGS__)
#define RLIMIT IOMMU_OPTION_RLIMIT_MODE
#define HUGE IOMMU_OPTION_HUGE_PAGES
#define SET IOMMU_OPTION_OP_SET
#define GET IOMMU_OPTION_OP_GET

static const struct row option_rows[] = {
	{ DOC(RST, "a flag, ``op`` or option the kernel does not know"), 0,
	  OPT(.option_id = 99, .op = GET), .err = EOPNOTSUPP },
	{ DOC(RST, "a flag, ``op`` or option the kernel does not know"), 0,
	  OPT(.option_id = RLIMIT, .op = 2), .err = EOPNOTSUPP },
	{ DOC(RST, "a flag, ``op`` or option the kernel does not know"),
	  ST_IOAS, OPT(.option_id = HUGE, .op = 2, .object_id = IOAS),
	  .err = EOPNOTSUPP },
	{ DOC(RST, "or a non-zero ``__reserved`` field"), 0,
	  OPT(.option_id = RLIMIT, .op = GET, .__reserved = 1),
	  .err = EOPNOTSUPP },
	{ DOC(RST, "``IOMMU_OPTION_RLIMIT_MODE`` (``object_id`` 0, else ``EOPNOTSUPP``)"),
	  ST_IOAS, OPT(.option_id = RLIMIT, .op = GET, .object_id = IOAS),
	  .err = EOPNOTSUPP },
	{ DOC(RST, "user mode (default)"), 0, OPT(.option_id = RLIMIT, .op = GET,
	  .val64 = 7), OUT(struct iommu_option, val64, 0) },
	{ DOC(RST, "mm mode (``IOMMU_OPTION_RLIMIT_MODE`` 1)"), 0,
	  OPT(.option_id = RLIMIT, .op = SET, .val64 = 1) },
	{ DOC(RST, "values 0 and 1 (``EINVAL``)"), 0,
	  OPT(.option_id = RLIMIT, .op = SET, .val64 = 2), .err = EINVAL },
	{ DOC(RST, "a context without objects (``EBUSY``)"), ST_IOAS,
	  OPT(.option_id = RLIMIT, .op = SET, .val64 = 1), .err = EBUSY },
	{ DOC(RST, "Setting it needs ``CAP_SYS_RESOURCE`` (``EPERM``, checked first)"), 0,
	  OPT(.option_id = RLIMIT, .op = SET, .val64 = 1), .unpriv = true,
	  .err = EPERM },
	/* The capability first: no EBUSY or EINVAL for the unprivileged */
	{ DOC(RST, "Setting it needs ``CAP_SYS_RESOURCE`` (``EPERM``, checked first)"), ST_IOAS,
	  OPT(.option_id = RLIMIT, .op = SET, .val64 = 2), .unpriv = true,
	  .err = EPERM },
	{ DOC(RST, "``IOMMU_OPTION_HUGE_PAGES`` (``object_id`` an IOAS)"), 0,
	  OPT(.option_id = HUGE, .op = GET, .object_id = 0), .err = ENOENT },
	{ DOC(RST, "``IOMMU_OPTION_HUGE_PAGES`` (``object_id`` an IOAS)"), ST_MOCK,
	  OPT(.option_id = HUGE, .op = GET, .object_id = HWPT_AUTO),
	  .err = ENOENT },
	{ DOC(RST, "1 (default)"), ST_IOAS,
	  OPT(.option_id = HUGE, .op = GET, .object_id = IOAS),
	  OUT(struct iommu_option, val64, 1) },
	{ DOC(RST, "a known field has a wrong value"), ST_IOAS,
	  OPT(.option_id = HUGE, .op = SET, .object_id = IOAS, .val64 = 2),
	  .err = EINVAL },
	{ DOC(RST, "Turning it off is ``EINVAL`` while domains hold mappings"),
	  ST_MOCK, OPT(.option_id = HUGE, .op = SET, .object_id = IOAS),
	  .err = EINVAL },
	{ DOC(RST, "0 maps every ``PAGE_SIZE`` on its own"), ST_IOAS,
	  OPT(.option_id = HUGE, .op = SET, .object_id = IOAS) },
};

#define VIOAS(...) IOMMU_VFIO_IOAS, ARG(struct iommu_vfio_ioas, __VA_ARGS__)

static const struct row vfio_ioas_rows[] = {
	{ DOC(RST, "``EOPNOTSUPP`` for another op or a non-zero ``__reserved``"),
	  ST_IOAS, VIOAS(.ioas_id = IOAS, .op = 3), .err = EOPNOTSUPP },
	{ DOC(RST, "``EOPNOTSUPP`` for another op or a non-zero ``__reserved``"),
	  ST_IOAS, VIOAS(.ioas_id = IOAS, .op = IOMMU_VFIO_IOAS_SET,
			 .__reserved = 1),
	  .err = EOPNOTSUPP },
	{ DOC(RST, "reads the compat IOAS's ID (``ENODEV`` if none)"), ST_IOAS,
	  VIOAS(.op = IOMMU_VFIO_IOAS_GET), .err = ENODEV },
	{ DOC(RST, "reads the compat IOAS's ID (``ENODEV`` if none)"), ST_COMPAT,
	  VIOAS(.op = IOMMU_VFIO_IOAS_GET),
	  OUT(struct iommu_vfio_ioas, ioas_id, IOAS) },
	{ DOC(RST, "(``ENOENT`` if ``ioas_id`` is no IOAS)"), ST_IOAS,
	  VIOAS(.ioas_id = NOID, .op = IOMMU_VFIO_IOAS_SET), .err = ENOENT },
	{ DOC(RST, "(``ENOENT`` if ``ioas_id`` is no IOAS)"), ST_MOCK,
	  VIOAS(.ioas_id = HWPT, .op = IOMMU_VFIO_IOAS_SET), .err = ENOENT },
	{ DOC(RST, "or forgets it"), ST_COMPAT,
	  VIOAS(.op = IOMMU_VFIO_IOAS_CLEAR) },
};

/* The container ioctls: an integer argument, or a VFIO structure */
#define VINT(cmd, val) (cmd), .iarg = (val)
#define VMAP(...) VFIO_IOMMU_MAP_DMA,					\
	VARG(struct vfio_iommu_type1_dma_map, __VA_ARGS__)
#define VUNMAP(...) VFIO_IOMMU_UNMAP_DMA,				\
	VARG(struct vfio_iommu_type1_dma_unmap, __VA_ARGS__)
#define VRW (VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)
#define Q_ENODEV "Until ``IOMMU_VFIO_IOAS`` SET chooses a compat IOAS, ``VFIO_SET_IOMMU`` and the IOMMU ioctls are ``ENODEV``"

static const struct row container_rows[] = {
	{ DOC(RST, "``VFIO_GET_API_VERSION``: ``VFIO_API_VERSION``"), 0,
	  VINT(VFIO_GET_API_VERSION, 0), .ret = VFIO_API_VERSION },
	{ DOC(RST, "1 for ``VFIO_TYPE1_IOMMU``, ``VFIO_TYPE1v2_IOMMU`` and ``VFIO_UNMAP_ALL``"),
	  0, VINT(VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU), .ret = 1 },
	{ DOC(RST, "1 for ``VFIO_TYPE1_IOMMU``, ``VFIO_TYPE1v2_IOMMU`` and ``VFIO_UNMAP_ALL``"),
	  0, VINT(VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU), .ret = 1 },
	{ DOC(RST, "1 for ``VFIO_TYPE1_IOMMU``, ``VFIO_TYPE1v2_IOMMU`` and ``VFIO_UNMAP_ALL``"),
	  0, VINT(VFIO_CHECK_EXTENSION, VFIO_UNMAP_ALL), .ret = 1 },
	{ DOC(RST, "``ENODEV`` without a compat IOAS; 0 otherwise"), ST_IOAS,
	  VINT(VFIO_CHECK_EXTENSION, VFIO_DMA_CC_IOMMU), .err = ENODEV },
	{ DOC(RST, "(see *Cache coherency*; also 1 while it has none)"),
	  ST_COMPAT, VINT(VFIO_CHECK_EXTENSION, VFIO_DMA_CC_IOMMU), .ret = 1 },
	{ DOC(RST, "0 if one does not"), ST_COMPAT | ST_MOCK,
	  VINT(VFIO_CHECK_EXTENSION, VFIO_DMA_CC_IOMMU), .ret = 0 },
	{ DOC(RST, "``ENODEV`` without a compat IOAS; 0 otherwise"), 0,
	  VINT(VFIO_CHECK_EXTENSION, VFIO_SPAPR_TCE_IOMMU), .ret = 0 },
	{ DOC(RST, "``VFIO_CHECK_EXTENSION(VFIO_NOIOMMU_IOMMU)`` is 0"), 0,
	  VINT(VFIO_CHECK_EXTENSION, VFIO_NOIOMMU_IOMMU), .ret = 0 },
	{ DOC(RST, "(else ``EINVAL``, checked first)"), 0,
	  VINT(VFIO_SET_IOMMU, VFIO_SPAPR_TCE_IOMMU), .err = EINVAL },
	{ DOC(RST, "been chosen with ``IOMMU_VFIO_IOAS`` SET (``ENODEV`` otherwise"),
	  ST_IOAS, VINT(VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU), .err = ENODEV },
	{ DOC(RST, "``VFIO_SET_IOMMU``: ``VFIO_TYPE1v2_IOMMU`` or ``VFIO_TYPE1_IOMMU``"),
	  ST_COMPAT, VINT(VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) },
	{ DOC(RST, "(``EINVAL`` if domains already hold mappings)"),
	  ST_COMPAT | ST_MOCK, VINT(VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU),
	  .err = EINVAL },
	{ DOC(RST, Q_ENODEV), ST_IOAS, VFIO_IOMMU_GET_INFO,
	  VARG(struct vfio_iommu_type1_info), .err = ENODEV },
	{ DOC(RST, Q_ENODEV), ST_IOAS,
	  VMAP(.flags = VRW, .vaddr = P_BUF, .iova = BASE2, .size = P),
	  .err = ENODEV },
	{ DOC(RST, Q_ENODEV), ST_IOAS,
	  VUNMAP(.iova = BASE, .size = P), .err = ENODEV },
	{ DOC(RST, "other numbers below ``0x80`` are ``ENOTTY``"), ST_COMPAT,
	  VINT(_IO(VFIO_TYPE, 0x7f), 0), .err = ENOTTY },
	{ DOC(RST, "other numbers below ``0x80`` are ``ENOTTY``"), ST_COMPAT,
	  VINT(VFIO_GROUP_GET_STATUS, 0), .err = ENOTTY },
	{ DOC(RST, "``VADDR`` and unknown flags ``EINVAL``"), ST_COMPAT,
	  VMAP(.flags = VRW | VFIO_DMA_MAP_FLAG_VADDR, .vaddr = P_BUF,
	       .iova = BASE2, .size = P),
	  .err = EINVAL },
	{ DOC(RST, "``VADDR`` and unknown flags ``EINVAL``"), ST_COMPAT,
	  VMAP(.flags = VRW | 1 << 7, .vaddr = P_BUF, .iova = BASE2,
	       .size = P),
	  .err = EINVAL },
	{ DOC(RST, "``EEXIST`` for an overlap"), ST_COMPAT,
	  VMAP(.flags = VRW, .vaddr = P_BUF, .iova = BASE - P, .size = 2 * P),
	  .err = EEXIST },
	{ DOC(RST, "or neither (accepted as upstream accepts it"), ST_COMPAT,
	  VMAP(.vaddr = P_BUF, .iova = BASE2, .size = P) },
	{ DOC(RST, "a range with no mapping succeeds with 0"), ST_COMPAT,
	  VUNMAP(.iova = BASE2, .size = P),
	  OUT(struct vfio_iommu_type1_dma_unmap, size, 0) },
	{ DOC(RST, "with v2 a range that cuts a mapping is ``ENOENT``"),
	  ST_COMPAT, VUNMAP(.iova = BASE, .size = P), .err = ENOENT,
	  OUT(struct vfio_iommu_type1_dma_unmap, size, 0) },
	{ DOC(RST, "``VFIO_DMA_UNMAP_FLAG_ALL`` with ``iova`` and ``size`` 0 unmaps everything"),
	  ST_COMPAT, VUNMAP(.flags = VFIO_DMA_UNMAP_FLAG_ALL),
	  OUT(struct vfio_iommu_type1_dma_unmap, size,
	      (BUF_PAGES + RO_PAGES) * P) },
	{ DOC(RST, "though not for a refused ``VFIO_DMA_UNMAP_FLAG_ALL``"),
	  ST_COMPAT,
	  VUNMAP(.flags = VFIO_DMA_UNMAP_FLAG_ALL, .iova = BASE, .size = 7),
	  .err = EINVAL, OUT(struct vfio_iommu_type1_dma_unmap, size, 7) },
	{ DOC(RST, "dirty bitmaps and ``VADDR`` are ``EINVAL``"), ST_COMPAT,
	  VUNMAP(.flags = VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP, .iova = BASE,
		 .size = BUF_PAGES * P),
	  .err = EINVAL },
	{ DOC(RST, "dirty bitmaps and ``VADDR`` are ``EINVAL``"), ST_COMPAT,
	  VUNMAP(.flags = VFIO_DMA_UNMAP_FLAG_VADDR, .iova = BASE,
		 .size = BUF_PAGES * P),
	  .err = EINVAL },
};

#define HWPT_ALLOC(...) IOMMU_HWPT_ALLOC, ARG(struct iommu_hwpt_alloc, __VA_ARGS__)
#define NESTED(...)							\
	HWPT_ALLOC(.dev_id = DEV, .pt_id = HWPT_PARENT,			\
		   .data_type = IOMMU_HWPT_DATA_SELFTEST, .data_len = 4,	\
		   .data_uptr = P_DATA, __VA_ARGS__)
#define Q_ON_IOAS "On an IOAS, an unknown flag, ``PASID``, any data, ``NEST_PARENT`` or ``DIRTY_TRACKING`` unless the device's IOMMU nests or tracks dirty pages"
#define Q_ON_HWPT "On a HWPT, a flag other than ``FAULT_ID_VALID``, no data, or an IOMMU that cannot nest is ``EOPNOTSUPP``"
#define Q_PARENT "a parent that is an automatic HWPT, lacks ``NEST_PARENT``, is nested itself or belongs to another IOMMU is ``EINVAL``"
#define Q_DATA_LEN "data shorter than the format's first revision or longer than the kernel's is ``EINVAL``"
#define Q_FAULT "Last, once the HWPT exists, a ``fault_id`` that names no fault queue is ``ENOENT`` with ``FAULT_ID_VALID``"

static const struct row hwpt_alloc_rows[] = {
	{ DOC(RST, "a non-zero ``__reserved`` or ``__reserved2`` is ``EOPNOTSUPP``"),
	  ST_MOCK, HWPT_ALLOC(.dev_id = DEV, .pt_id = IOAS, .__reserved = 1),
	  .err = EOPNOTSUPP },
	{ DOC(RST, "a non-zero ``__reserved`` or ``__reserved2`` is ``EOPNOTSUPP``"),
	  ST_MOCK, HWPT_ALLOC(.dev_id = DEV, .pt_id = IOAS, .__reserved2 = 1),
	  .err = EOPNOTSUPP },
	{ DOC(RST, "a ``data_len`` with ``IOMMU_HWPT_DATA_NONE``, or another ``data_type`` without one, is ``EINVAL``"),
	  ST_MOCK,
	  HWPT_ALLOC(.dev_id = DEV, .pt_id = IOAS, .data_len = 4,
		     .data_uptr = P_DATA),
	  .err = EINVAL },
	{ DOC(RST, "a ``data_len`` with ``IOMMU_HWPT_DATA_NONE``, or another ``data_type`` without one, is ``EINVAL``"),
	  ST_MOCK,
	  HWPT_ALLOC(.dev_id = DEV, .pt_id = HWPT_PARENT,
		     .data_type = IOMMU_HWPT_DATA_SELFTEST, .data_uptr = P_DATA),
	  .err = EINVAL },
	{ DOC(RST, "(``data_uptr`` without ``data_len`` is ignored)"), ST_MOCK,
	  HWPT_ALLOC(.dev_id = DEV, .pt_id = IOAS, .data_uptr = P_HOLE) },
	{ DOC(RST, "an unknown ``dev_id`` is ``ENOENT``"), ST_MOCK,
	  HWPT_ALLOC(.dev_id = NOID, .pt_id = IOAS), .err = ENOENT },
	{ DOC(RST, "an unknown ``dev_id`` is ``ENOENT``"), ST_MOCK,
	  HWPT_ALLOC(.dev_id = IOAS, .pt_id = IOAS), .err = ENOENT },
	{ DOC(RST, "a ``pt_id`` that names nothing, a device or an access is ``EINVAL``"),
	  ST_MOCK, HWPT_ALLOC(.dev_id = DEV, .pt_id = NOID), .err = EINVAL },
	{ DOC(RST, "a ``pt_id`` that names nothing, a device or an access is ``EINVAL``"),
	  ST_MOCK, HWPT_ALLOC(.dev_id = DEV, .pt_id = DEV), .err = EINVAL },
	{ DOC(RST, "a ``pt_id`` that names nothing, a device or an access is ``EINVAL``"),
	  ST_MOCK, HWPT_ALLOC(.dev_id = DEV, .pt_id = ACCESS), .err = EINVAL },
	/* In upstream's order: each row breaks the next check too */
	{ DOC(RST, "The checks come in upstream's order"), ST_MOCK,
	  HWPT_ALLOC(.dev_id = NOID, .pt_id = NOID, .__reserved = 1,
		     .data_len = 4),
	  .err = EOPNOTSUPP },
	{ DOC(RST, "The checks come in upstream's order"), ST_MOCK,
	  HWPT_ALLOC(.dev_id = NOID, .pt_id = NOID, .data_len = 4),
	  .err = EINVAL },
	{ DOC(RST, "The checks come in upstream's order"), ST_MOCK,
	  HWPT_ALLOC(.dev_id = NOID, .pt_id = NOID), .err = ENOENT },
	{ DOC(RST, "The checks come in upstream's order"), ST_MOCK,
	  HWPT_ALLOC(.flags = 1 << 4, .dev_id = DEV, .pt_id = NOID),
	  .err = EINVAL },
	{ DOC(RST, Q_ON_IOAS), ST_MOCK,
	  HWPT_ALLOC(.flags = 1 << 4, .dev_id = DEV, .pt_id = IOAS),
	  .err = EOPNOTSUPP },
	{ DOC(RST, Q_ON_IOAS), ST_MOCK,
	  HWPT_ALLOC(.flags = IOMMU_HWPT_ALLOC_PASID, .dev_id = DEV,
		     .pt_id = IOAS),
	  .err = EOPNOTSUPP },
	{ DOC(RST, Q_ON_IOAS), ST_MOCK,
	  HWPT_ALLOC(.dev_id = DEV, .pt_id = IOAS,
		     .data_type = IOMMU_HWPT_DATA_SELFTEST, .data_len = 4,
		     .data_uptr = P_DATA),
	  .err = EOPNOTSUPP },
	{ DOC(RST, Q_ON_IOAS), ST_MOCK,
	  HWPT_ALLOC(.flags = IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
		     .dev_id = DEV_NODIRTY, .pt_id = IOAS),
	  .err = EOPNOTSUPP },
	{ DOC(RST, "the mock's; no 6.1 driver's"), ST_MOCK,
	  HWPT_ALLOC(.flags = IOMMU_HWPT_ALLOC_DIRTY_TRACKING |
			      IOMMU_HWPT_ALLOC_NEST_PARENT,
		     .dev_id = DEV, .pt_id = IOAS) },
	{ DOC(RST, "and ``FAULT_ID_VALID`` with ``NEST_PARENT`` are ``EOPNOTSUPP``"),
	  ST_MOCK,
	  HWPT_ALLOC(.flags = IOMMU_HWPT_FAULT_ID_VALID |
			      IOMMU_HWPT_ALLOC_NEST_PARENT,
		     .dev_id = DEV, .pt_id = IOAS, .fault_id = NOID),
	  .err = EOPNOTSUPP },
	{ DOC(RST, "a complete domain that cannot take the IOAS's mappings is ``EADDRINUSE``"),
	  ST_MOCK, HWPT_ALLOC(.dev_id = DEV, .pt_id = IOAS2),
	  .err = EADDRINUSE },
	{ DOC(RST, "The 24-, 40- and 48-byte layouts are accepted"), ST_MOCK,
	  IOMMU_HWPT_ALLOC,
	  ARG_SIZE(struct iommu_hwpt_alloc, 24, .dev_id = DEV, .pt_id = IOAS) },
	{ DOC(RST, "The 24-, 40- and 48-byte layouts are accepted"), ST_MOCK,
	  IOMMU_HWPT_ALLOC,
	  ARG_SIZE(struct iommu_hwpt_alloc, 40, .dev_id = DEV, .pt_id = IOAS) },
	{ DOC(RST, Q_ON_HWPT), ST_MOCK,
	  NESTED(.flags = IOMMU_HWPT_ALLOC_NEST_PARENT), .err = EOPNOTSUPP },
	{ DOC(RST, Q_ON_HWPT), ST_MOCK,
	  NESTED(.flags = IOMMU_HWPT_ALLOC_PASID), .err = EOPNOTSUPP },
	{ DOC(RST, Q_ON_HWPT), ST_MOCK,
	  HWPT_ALLOC(.dev_id = DEV, .pt_id = HWPT_PARENT), .err = EOPNOTSUPP },
	{ DOC(RST, Q_PARENT), ST_MOCK, NESTED(.pt_id = HWPT_AUTO),
	  .err = EINVAL },
	{ DOC(RST, Q_PARENT), ST_MOCK, NESTED(.pt_id = HWPT), .err = EINVAL },
	{ DOC(RST, Q_PARENT), ST_MOCK, NESTED(.pt_id = HWPT_NESTED),
	  .err = EINVAL },
	{ DOC(RST, "an unknown ``data_type`` is ``EOPNOTSUPP``"), ST_MOCK,
	  NESTED(.data_type = 0x1234), .err = EOPNOTSUPP },
	{ DOC(RST, Q_DATA_LEN), ST_MOCK, NESTED(.data_len = 2), .err = EINVAL },
	{ DOC(RST, Q_DATA_LEN), ST_MOCK, NESTED(.data_len = 8), .err = EINVAL },
	{ DOC(RST, "an unreadable ``data_uptr`` ``EFAULT``"), ST_MOCK,
	  NESTED(.data_uptr = P_HOLE), .err = EFAULT },
	{ DOC(RST, "a nested HWPT, whose stage-1 translation the user describes with"), ST_MOCK,
	  NESTED(.flags = 0) },
	{ DOC(RST, Q_FAULT), ST_MOCK,
	  HWPT_ALLOC(.flags = IOMMU_HWPT_FAULT_ID_VALID, .dev_id = DEV,
		     .pt_id = IOAS, .fault_id = NOID),
	  .err = ENOENT },
	{ DOC(RST, Q_FAULT), ST_MOCK,
	  NESTED(.flags = IOMMU_HWPT_FAULT_ID_VALID, .fault_id = NOID),
	  .err = ENOENT },
	{ DOC(RST, Q_FAULT), ST_MOCK,
	  HWPT_ALLOC(.flags = IOMMU_HWPT_FAULT_ID_VALID, .dev_id = DEV,
		     .pt_id = IOAS, .fault_id = IOAS),
	  .err = ENOENT },
	{ DOC(RST, Q_FAULT), ST_MOCK,
	  NESTED(.flags = IOMMU_HWPT_FAULT_ID_VALID, .fault_id = HWPT),
	  .err = ENOENT },
};

#define FAULT_ALLOC(...) IOMMU_FAULT_QUEUE_ALLOC, ARG(struct iommu_fault_alloc, __VA_ARGS__)

/* Only failures: a fault queue made has an fd that holds the context */
static const struct row fault_alloc_rows[] = {
	{ DOC(RST, "Creates a fault queue (16 bytes; ``flags`` must be 0, ``EOPNOTSUPP``)"),
	  0, FAULT_ALLOC(.flags = 1), .err = EOPNOTSUPP },
	{ DOC(RST, "Creates a fault queue (16 bytes; ``flags`` must be 0, ``EOPNOTSUPP``)"),
	  ST_MOCK, FAULT_ALLOC(.flags = 0x80000000), .err = EOPNOTSUPP },
};

#define HW_INFO(...) IOMMU_GET_HW_INFO, ARG(struct iommu_hw_info, __VA_ARGS__)

static const struct row hw_info_rows[] = {
	{ DOC(RST, "``flags`` and ``__reserved`` must be 0, ``EOPNOTSUPP``"),
	  ST_MOCK, HW_INFO(.flags = 1, .dev_id = DEV), .err = EOPNOTSUPP },
	{ DOC(RST, "``flags`` and ``__reserved`` must be 0, ``EOPNOTSUPP``"),
	  ST_MOCK, HW_INFO(.dev_id = DEV, .__reserved = 1),
	  .err = EOPNOTSUPP },
	{ DOC(RST, "Reports the IOMMU of the bound device ``dev_id``"), ST_MOCK,
	  HW_INFO(.dev_id = NOID), .err = ENOENT },
	{ DOC(RST, "Reports the IOMMU of the bound device ``dev_id``"), ST_MOCK,
	  HW_INFO(.dev_id = IOAS), .err = ENOENT },
	{ DOC(RST, "(32- and 40-byte layouts"), ST_MOCK, IOMMU_GET_HW_INFO,
	  ARG_SIZE(struct iommu_hw_info, 32, .dev_id = DEV, .data_len = 8,
		   .data_uptr = P_DATA),
	  OUT(struct iommu_hw_info, out_data_type, IOMMU_HW_INFO_TYPE_SELFTEST) },
	{ DOC(RST, "A mock device (test mode) reports type ``0xfeedbeef``"),
	  ST_MOCK, HW_INFO(.dev_id = DEV, .data_len = 8, .data_uptr = P_DATA),
	  OUT(struct iommu_hw_info, out_data_type, 0xfeedbeef) },
	{ DOC(RST, "only what fits is written and ``data_len`` returns the full length"),
	  ST_MOCK, HW_INFO(.dev_id = DEV, .data_len = 4, .data_uptr = P_DATA),
	  OUT(struct iommu_hw_info, data_len, 8) },
	{ DOC(UAPI, "EFAULT: a user pointer is not accessible"), ST_MOCK,
	  HW_INFO(.dev_id = DEV, .data_len = 8, .data_uptr = P_RO),
	  .err = EFAULT },
};

#define SET_DIRTY(...) IOMMU_HWPT_SET_DIRTY_TRACKING,			\
	ARG(struct iommu_hwpt_set_dirty_tracking, __VA_ARGS__)
#define Q_NOT_TRACKING "(any other HWPT on an IOAS: ``EOPNOTSUPP``; a nested one: ``ENOENT``)"

static const struct row set_dirty_rows[] = {
	{ DOC(RST, "a flag, ``op`` or option the kernel does not know"), ST_MOCK,
	  SET_DIRTY(.flags = 2, .hwpt_id = HWPT_DIRTY), .err = EOPNOTSUPP },
	{ DOC(RST, "``__reserved`` of ``IOMMU_HWPT_SET_DIRTY_TRACKING``"),
	  ST_MOCK, SET_DIRTY(.hwpt_id = HWPT_DIRTY, .__reserved = 1),
	  .err = EOPNOTSUPP },
	{ DOC(RST, "an ID or an IOVA range is not there"), ST_MOCK,
	  SET_DIRTY(.hwpt_id = NOID), .err = ENOENT },
	{ DOC(RST, "an ID of the wrong type is reported as ``ENOENT``"), ST_MOCK,
	  SET_DIRTY(.hwpt_id = IOAS), .err = ENOENT },
	{ DOC(RST, Q_NOT_TRACKING), ST_MOCK,
	  SET_DIRTY(.flags = IOMMU_HWPT_DIRTY_TRACKING_ENABLE, .hwpt_id = HWPT),
	  .err = EOPNOTSUPP },
	{ DOC(RST, Q_NOT_TRACKING), ST_MOCK,
	  SET_DIRTY(.flags = IOMMU_HWPT_DIRTY_TRACKING_ENABLE,
		    .hwpt_id = HWPT_AUTO),
	  .err = EOPNOTSUPP },
	{ DOC(RST, Q_NOT_TRACKING), ST_MOCK,
	  SET_DIRTY(.flags = IOMMU_HWPT_DIRTY_TRACKING_ENABLE,
		    .hwpt_id = HWPT_NESTED),
	  .err = ENOENT },
	{ DOC(RST, "starts (``IOMMU_HWPT_DIRTY_TRACKING_ENABLE``) or stops it"),
	  ST_MOCK,
	  SET_DIRTY(.flags = IOMMU_HWPT_DIRTY_TRACKING_ENABLE,
		    .hwpt_id = HWPT_DIRTY) },
	{ DOC(RST, "starts (``IOMMU_HWPT_DIRTY_TRACKING_ENABLE``) or stops it"),
	  ST_TRACK, SET_DIRTY(.hwpt_id = HWPT_DIRTY) },
};

#define GET_DIRTY(...) IOMMU_HWPT_GET_DIRTY_BITMAP,			\
	ARG(struct iommu_hwpt_get_dirty_bitmap, __VA_ARGS__)
#define BITMAP(...)							\
	GET_DIRTY(.hwpt_id = HWPT_DIRTY, .iova = BASE,			\
		  .length = BUF_PAGES * P, .page_size = P, .data = P_DATA,	\
		  __VA_ARGS__)
#define Q_RANGE_EINVAL "``EINVAL`` unless ``iova`` and ``iova + length`` are multiples of the IOAS alignment and of a non-zero ``page_size``"
#define Q_POW2 "Ours also wants ``page_size`` a power of two and ``length`` not 0 (``EINVAL``)"

static const struct row get_dirty_rows[] = {
	{ DOC(RST, "unknown flags or ``__reserved`` ``EOPNOTSUPP``"), ST_TRACK,
	  BITMAP(.flags = 2), .err = EOPNOTSUPP },
	{ DOC(RST, "unknown flags or ``__reserved`` ``EOPNOTSUPP``"), ST_TRACK,
	  BITMAP(.__reserved = 1), .err = EOPNOTSUPP },
	{ DOC(RST, "the HWPT (``ENOENT``)"), ST_TRACK, BITMAP(.hwpt_id = NOID),
	  .err = ENOENT },
	{ DOC(RST, Q_NOT_TRACKING), ST_TRACK, BITMAP(.hwpt_id = HWPT_NESTED),
	  .err = ENOENT },
	{ DOC(RST, "the range (``EOVERFLOW`` if ``iova + length - 1`` wraps"),
	  ST_TRACK, BITMAP(.iova = -(__u64)P, .length = 2 * P),
	  .err = EOVERFLOW },
	{ DOC(RST, "as it does for length 0 unless ``iova`` is 0"), ST_TRACK,
	  BITMAP(.length = 0), .err = EOVERFLOW },
	{ DOC(RST, Q_POW2), ST_TRACK, BITMAP(.iova = 0, .length = 0),
	  .err = EINVAL },
	{ DOC(RST, Q_RANGE_EINVAL), ST_TRACK, BITMAP(.iova = BASE + P / 4),
	  .err = EINVAL },
	{ DOC(RST, Q_RANGE_EINVAL), ST_TRACK, BITMAP(.iova = BASE + P / 2),
	  .err = EINVAL },
	{ DOC(RST, Q_RANGE_EINVAL), ST_TRACK, BITMAP(.page_size = 0),
	  .err = EINVAL },
	{ DOC(RST, Q_POW2), ST_TRACK,
	  BITMAP(.iova = 0, .length = 3 * P, .page_size = 3 * P),
	  .err = EINVAL },
	{ DOC(RST, "then a HWPT that does not track ``EOPNOTSUPP``"), ST_TRACK,
	  BITMAP(.hwpt_id = HWPT), .err = EOPNOTSUPP },
	{ DOC(RST, "then a HWPT that does not track ``EOPNOTSUPP``"), ST_TRACK,
	  BITMAP(.hwpt_id = HWPT, .iova = BASE + 1), .err = EINVAL },
	{ DOC(RST, "Reading while tracking is off is ``EINVAL``"), ST_MOCK,
	  BITMAP(), .err = EINVAL },
	{ DOC(UAPI, "EFAULT: a user pointer is not accessible"), ST_TRACK,
	  BITMAP(.data = P_HOLE), .err = EFAULT },
	{ DOC(RST, "the dirty state is cleared unless ``IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR``"),
	  ST_TRACK, BITMAP(.flags = IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR) },
};

#define INVALIDATE(...) IOMMU_HWPT_INVALIDATE,				\
	ARG(struct iommu_hwpt_invalidate, __VA_ARGS__)
#define INV(...)							\
	INVALIDATE(.hwpt_id = HWPT_NESTED, .data_uptr = P_DATA,		\
		   .data_type = IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,	\
		   .entry_len = 8, .entry_num = 1, __VA_ARGS__)
#define INV_DATA(...) DATA_OF(struct iommu_hwpt_invalidate_selftest[2], __VA_ARGS__)
#define Q_INV_LEN "an unknown ``data_type``, or a request shorter than the format's first revision or longer than the kernel's, is ``EINVAL``"

static const struct row invalidate_rows[] = {
	{ DOC(RST, "A non-zero ``__reserved`` is ``EOPNOTSUPP``"), ST_MOCK,
	  INV(.__reserved = 1), .err = EOPNOTSUPP,
	  OUT(struct iommu_hwpt_invalidate, entry_num, 0) },
	{ DOC(RST, "requests without ``data_uptr`` or ``entry_len`` are ``EINVAL``"),
	  ST_MOCK, INV(.data_uptr = 0), .err = EINVAL },
	{ DOC(RST, "requests without ``data_uptr`` or ``entry_len`` are ``EINVAL``"),
	  ST_MOCK, INV(.entry_len = 0), .err = EINVAL },
	{ DOC(RST, "a ``hwpt_id`` that is not a nested HWPT is ``ENOENT``"),
	  ST_MOCK, INV(.hwpt_id = NOID), .err = ENOENT },
	{ DOC(RST, "a ``hwpt_id`` that is not a nested HWPT is ``ENOENT``"),
	  ST_MOCK, INV(.hwpt_id = HWPT_PARENT), .err = ENOENT },
	{ DOC(RST, "a ``hwpt_id`` that is not a nested HWPT is ``ENOENT``"),
	  ST_MOCK, INV(.hwpt_id = IOAS), .err = ENOENT },
	{ DOC(RST, Q_INV_LEN), ST_MOCK,
	  INV(.data_type = IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID),
	  .err = EINVAL },
	{ DOC(RST, "``entry_num`` 0 only checks the type"), ST_MOCK,
	  INV(.data_type = IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID,
	      .entry_num = 0, .data_uptr = 0, .entry_len = 0),
	  .err = EINVAL },
	{ DOC(RST, "``entry_num`` 0 only checks the type"), ST_MOCK,
	  INV(.entry_num = 0, .data_uptr = 0, .entry_len = 0) },
	{ DOC(RST, Q_INV_LEN), ST_MOCK, INV(.entry_len = 4), .err = EINVAL },
	{ DOC(RST, Q_INV_LEN), ST_MOCK, INV(.entry_len = 12), .err = EINVAL },
	{ DOC(RST, "an unreadable array ``EFAULT``"), ST_MOCK,
	  INV(.data_uptr = P_HOLE), .err = EFAULT },
	{ DOC(UAPI, "EOPNOTSUPP for flags a request may not have"), ST_MOCK,
	  INV(), INV_DATA({ .flags = 2 }), .err = EOPNOTSUPP },
	{ DOC(UAPI, "or the IOMMU does not know @data_type or a request's values"),
	  ST_MOCK, INV(), INV_DATA({ .iotlb_id = MOCK_NESTED_DOMAIN_IOTLB_ID_MAX + 1 }),
	  .err = EINVAL },
	{ DOC(RST, "``entry_num`` returns how many were handled, whatever the result"),
	  ST_MOCK, INV(.entry_num = 2),
	  INV_DATA({ .iotlb_id = 0 }, { .flags = 2 }), .err = EOPNOTSUPP,
	  OUT(struct iommu_hwpt_invalidate, entry_num, 1) },
	{ DOC(RST, "``entry_num`` returns how many were handled, whatever the result"),
	  ST_MOCK, INV(.entry_num = 2), INV_DATA({ .iotlb_id = 0 },
						 { .iotlb_id = 3 }),
	  OUT(struct iommu_hwpt_invalidate, entry_num, 2) },
};

#define TEST_OP(...) IOMMU_TEST_CMD, ARG(struct iommu_test_cmd, __VA_ARGS__)

static const struct row test_cmd_rows[] = {
	{ DOC(RST, "``TRIGGER_IOPF`` (15), as upstream's, sends a page request of the device ``dev_id``"),
	  ST_MOCK, TEST_OP(.op = 15, .trigger_iopf.dev_id = NOID),
	  .err = ENOENT },
	{ DOC(RST, "``TRIGGER_IOPF`` (15), as upstream's, sends a page request of the device ``dev_id``"),
	  ST_MOCK, TEST_OP(.op = 15, .trigger_iopf.dev_id = IOAS),
	  .err = ENOENT },
	{ DOC(RST, "``TRIGGER_IOPF`` (15), as upstream's, sends a page request of the device ``dev_id``"),
	  ST_MOCK, TEST_OP(.op = 15, .trigger_iopf.dev_id = DEV) },
	{ DOC(RST, "``DEV_CHECK_CACHE`` and on) are ``EOPNOTSUPP``"), ST_MOCK,
	  TEST_OP(.op = 16, .id = DEV), .err = EOPNOTSUPP },
	{ DOC(RST, "``__reserved`` of ``IOMMU_HWPT_SET_DIRTY_TRACKING`` and of ``IOMMU_TEST_CMD``"),
	  ST_IOAS,
	  TEST_OP(.op = IOMMU_TEST_OP_MOCK_DOMAIN, .id = IOAS, .__reserved = 1),
	  .err = EOPNOTSUPP },
	{ DOC(RST, "its later mock device flags (``PASID``, ``NO_ATTACH``) ``EINVAL``"),
	  ST_IOAS,
	  TEST_OP(.op = IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS, .id = IOAS,
		  .mock_domain_flags = { .dev_flags = 1 << 2 }),
	  .err = EINVAL },
	{ DOC(RST, "its later mock device flags (``PASID``, ``NO_ATTACH``) ``EINVAL``"),
	  ST_IOAS,
	  TEST_OP(.op = IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS, .id = IOAS,
		  .mock_domain_flags = { .dev_flags = 1 << 3 }),
	  .err = EINVAL },
	{ DOC(RST, "``MOCK_FLAGS_DEVICE_ENFORCE_CC``, bit 16, ours only"),
	  ST_IOAS,
	  TEST_OP(.op = IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS, .id = IOAS_EMPTY,
		  .mock_domain_flags = { .dev_flags =
			MOCK_FLAGS_DEVICE_ENFORCE_CC }) },
	{ DOC(RST, "``IOMMU_TEST_OP_DIRTY`` refuses non-zero flags"), ST_TRACK,
	  TEST_OP(.op = IOMMU_TEST_OP_DIRTY, .id = HWPT_DIRTY,
		  .dirty = { .iova = BASE, .length = P, .page_size = P,
			     .uptr = P_DATA, .flags = 1 }),
	  .err = EINVAL },
	{ DOC(RST, "56- and 72-byte layouts"), 0, IOMMU_TEST_CMD,
	  ARG_SIZE(struct iommu_test_cmd, 56,
		   .op = IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT,
		   .memory_limit = { .limit = 65536 }) },
	{ DOC(RST, "``ADD_RESERVED`` looks the IOAS up before it looks at the range"),
	  ST_IOAS,
	  TEST_OP(.op = IOMMU_TEST_OP_ADD_RESERVED, .id = NOID,
		  .add_reserved = { .start = BASE2, .length = 0 }),
	  .err = ENOENT },
	{ DOC(RST, "``ADD_RESERVED`` refuses a zero or wrapping range (``EINVAL``, ``EOVERFLOW``)"),
	  ST_IOAS,
	  TEST_OP(.op = IOMMU_TEST_OP_ADD_RESERVED, .id = IOAS,
		  .add_reserved = { .start = BASE2, .length = 0 }),
	  .err = EINVAL },
	{ DOC(RST, "``ADD_RESERVED`` refuses a zero or wrapping range (``EINVAL``, ``EOVERFLOW``)"),
	  ST_IOAS,
	  TEST_OP(.op = IOMMU_TEST_OP_ADD_RESERVED, .id = IOAS,
		  .add_reserved = { .start = -(__u64)P, .length = 2 * P }),
	  .err = EOVERFLOW },
	{ DOC(RST, "0 for length 0"), ST_MOCK,
	  TEST_OP(.op = IOMMU_TEST_OP_MD_CHECK_MAP, .id = HWPT_AUTO,
		  .check_map = { .iova = BASE, .length = 0, .uptr = P_BUF }) },
	{ DOC(RST, "take ``ENOMEM`` for more than 16 MiB first"), ST_MOCK,
	  TEST_OP(.op = IOMMU_TEST_OP_ACCESS_RW, .id = -1,
		  .access_rw = { .iova = BASE, .length = (16 << 20) + 1,
				 .uptr = P_BUF, .flags = 1 << 7 }),
	  .err = ENOMEM },
	{ DOC(RST, "then unknown flags (``EOPNOTSUPP``)"), ST_MOCK,
	  TEST_OP(.op = IOMMU_TEST_OP_ACCESS_RW, .id = -1,
		  .access_rw = { .iova = BASE, .length = P, .uptr = P_BUF,
				 .flags = 1 << 7 }),
	  .err = EOPNOTSUPP },
#define Q_SYZ "the syzkaller flag ``MOCK_FLAGS_ACCESS_SYZ`` is accepted and ignored by ``ACCESS_PAGES``, refused by ``ACCESS_RW`` and by ``IOMMU_IOAS_COPY``"
	{ DOC(RST, Q_SYZ), ST_MOCK,
	  TEST_OP(.op = IOMMU_TEST_OP_ACCESS_PAGES, .id = FD_ACCESS,
		  .access_pages = { .flags = MOCK_FLAGS_ACCESS_SYZ,
				    .iova = LOW_IOVA, .length = P,
				    .uptr = P_BUF }) },
	{ DOC(RST, Q_SYZ), ST_MOCK,
	  TEST_OP(.op = IOMMU_TEST_OP_ACCESS_RW, .id = FD_ACCESS,
		  .access_rw = { .iova = LOW_IOVA, .length = 8,
				 .uptr = P_DATA,
				 .flags = MOCK_FLAGS_ACCESS_SYZ }),
	  .err = EOPNOTSUPP },
	{ DOC(RST, Q_SYZ), ST_IOAS,
	  COPY(.flags = MAP_FIXED_RW | MOCK_FLAGS_ACCESS_SYZ,
	       .dst_ioas_id = IOAS2, .src_ioas_id = IOAS, .length = P,
	       .dst_iova = BASE2, .src_iova = BASE),
	  .err = EOPNOTSUPP },
	{ DOC(RST, "(up to 4M bits)"), ST_TRACK,
	  TEST_OP(.op = IOMMU_TEST_OP_DIRTY, .id = HWPT_DIRTY,
		  .dirty = { .iova = BASE, .length = ((4ULL << 20) + 1) * P,
			     .page_size = P, .uptr = P_DATA }),
	  .err = E2BIG },
	{ DOC(RST, "then the access fd (``EBADFD`` for a closed fd or another file)"),
	  ST_MOCK,
	  TEST_OP(.op = IOMMU_TEST_OP_ACCESS_RW, .id = -1,
		  .access_rw = { .iova = BASE, .length = P, .uptr = P_BUF }),
	  .err = EBADFD },
};

/* ------------------------------------------------- the edu's device fd */

#define BIND(...) VFIO_DEVICE_BIND_IOMMUFD,				\
	VARG(struct vfio_device_bind_iommufd, __VA_ARGS__), .dev = true
#define ATTACH(...) VFIO_DEVICE_ATTACH_IOMMUFD_PT,			\
	VARG(struct vfio_device_attach_iommufd_pt, __VA_ARGS__), .dev = true
#define DETACH(...) VFIO_DEVICE_DETACH_IOMMUFD_PT,			\
	VARG(struct vfio_device_detach_iommufd_pt, __VA_ARGS__), .dev = true
#define Q_BIND_EINVAL "``EINVAL`` for ``argsz < 16``, unknown ``flags``, a negative fd, a second BIND, or a device bound through another fd"
#define Q_PARKED "A freshly opened fd is parked: every ioctl but ``VFIO_DEVICE_BIND_IOMMUFD``, and ``read``, ``write`` and ``mmap``, fail with ``EINVAL``"

struct bind_tail {
	struct vfio_device_bind_iommufd bind;
	__u64 tail;
};

static const struct row bind_rows[] = {
	{ DOC(RST, Q_BIND_EINVAL), ST_PARKED,
	  BIND(.argsz = 15, .iommufd = FD_IOASID), .err = EINVAL },
	{ DOC(RST, Q_BIND_EINVAL), ST_PARKED,
	  BIND(.flags = 1 << 1, .iommufd = FD_IOASID), .err = EINVAL },
	{ DOC(RST, Q_BIND_EINVAL), ST_PARKED, BIND(.iommufd = -1),
	  .err = EINVAL },
	{ DOC(RST, Q_BIND_EINVAL), ST_BOUND, BIND(.iommufd = FD_IOASID),
	  .err = EINVAL },
	{ DOC(RST, "``EBADF`` for a closed fd"), ST_PARKED,
	  BIND(.iommufd = FD_CLOSED), .err = EBADF },
	{ DOC(RST, "``EBADFD`` for an fd that is not ``/dev/ioasid``"),
	  ST_PARKED, BIND(.iommufd = FD_NULL), .err = EBADFD },
	{ DOC(RST, "``EBADFD`` for an fd that is not ``/dev/ioasid``"),
	  ST_PARKED, BIND(.iommufd = FD_SELF), .err = EBADFD },
	{ DOC(RST, "bytes past its 24 must be zero (``E2BIG``)"), ST_PARKED,
	  VFIO_DEVICE_BIND_IOMMUFD,
	  .arg = &(struct bind_tail){ .bind = { .argsz = 32,
						.iommufd = FD_IOASID },
				      .tail = 1 },
	  .len = sizeof(struct bind_tail), .dev = true, .err = E2BIG },
	{ DOC(RST, "past an ``argsz`` of 16 it reads as 0"), ST_PARKED,
	  BIND(.argsz = 16, .flags = VFIO_DEVICE_BIND_FLAG_TOKEN,
	       .iommufd = FD_IOASID, .token_uuid_ptr = P_DATA),
	  .err = EFAULT },
	{ DOC(RST, "``EFAULT`` if the token cannot be read"), ST_PARKED,
	  BIND(.flags = VFIO_DEVICE_BIND_FLAG_TOKEN, .iommufd = FD_IOASID,
	       .token_uuid_ptr = P_HOLE),
	  .err = EFAULT },
	{ DOC(RST, "or that is no SR-IOV function, takes no token (``EINVAL``)"),
	  ST_PARKED,
	  BIND(.flags = VFIO_DEVICE_BIND_FLAG_TOKEN, .iommufd = FD_IOASID,
	       .token_uuid_ptr = P_DATA),
	  .err = EINVAL },
	{ DOC(VFIO_UAPI, "Bind the device to the context of @iommufd"),
	  ST_PARKED, BIND(.iommufd = FD_IOASID) },
	{ DOC(RST, Q_PARKED), ST_PARKED, ATTACH(.pt_id = IOAS),
	  .err = EINVAL },
	{ DOC(RST, Q_PARKED), ST_PARKED, DETACH(), .err = EINVAL },
	{ DOC(RST, Q_PARKED), ST_PARKED, VFIO_DEVICE_GET_INFO,
	  VARG(struct vfio_device_info), .dev = true, .err = EINVAL },
	{ DOC(RST, Q_PARKED), ST_PARKED, VINT(VFIO_DEVICE_RESET, 0),
	  .dev = true, .err = EINVAL },
};

static const struct row attach_rows[] = {
	{ DOC(RST, "``EINVAL`` for ``argsz < 12`` or flags"), ST_BOUND | ST_IOAS,
	  ATTACH(.argsz = 11, .pt_id = IOAS), .err = EINVAL },
	{ DOC(RST, "``EINVAL`` for ``argsz < 12`` or flags"), ST_BOUND | ST_IOAS,
	  ATTACH(.flags = 1, .pt_id = IOAS), .err = EINVAL },
	{ DOC(VFIO_UAPI, "ENOENT for an unknown @pt_id"), ST_BOUND | ST_IOAS,
	  ATTACH(.pt_id = NOID), .err = ENOENT },
	{ DOC(VFIO_UAPI, "a @pt_id that is neither an IOAS nor a HWPT"),
	  ST_BOUND | ST_IOAS, ATTACH(.pt_id = EDEV), .err = EINVAL },
	{ DOC(RST, "it is overwritten with the HWPT the device uses"), ST_EDU,
	  ATTACH(.pt_id = IOAS),
	  OUT(struct vfio_device_attach_iommufd_pt, pt_id, EHWPT) },
	{ DOC(RST, "``EINVAL`` for ``argsz < 8`` or flags"), ST_EDU,
	  DETACH(.argsz = 7), .err = EINVAL },
	{ DOC(RST, "``EINVAL`` for ``argsz < 8`` or flags"), ST_EDU,
	  DETACH(.flags = 1), .err = EINVAL },
	{ DOC(RST, "Back to blocked DMA"), ST_EDU, DETACH() },
	{ DOC(RST, "detaching a detached device succeeds"), ST_BOUND, DETACH() },
	{ DOC(RST, "``IOMMU_DESTROY`` of a bound DEVICE, and of an IOAS or HWPT a device is attached to, is ``EBUSY``"),
	  ST_EDU, IOMMU_DESTROY, ARG(struct iommu_destroy, .id = EDEV),
	  .err = EBUSY },
	{ DOC(RST, "``IOMMU_DESTROY`` of a bound DEVICE, and of an IOAS or HWPT a device is attached to, is ``EBUSY``"),
	  ST_EDU, IOMMU_DESTROY, ARG(struct iommu_destroy, .id = EHWPT),
	  .err = EBUSY },
	{ DOC(RST, "``IOMMU_DESTROY`` of a bound DEVICE, and of an IOAS or HWPT a device is attached to, is ``EBUSY``"),
	  ST_EDU, IOMMU_DESTROY, ARG(struct iommu_destroy, .id = IOAS),
	  .err = EBUSY },
};

#define Q_README_HWPT "nesting, dirty tracking and PASIDs are `EOPNOTSUPP` on 6.1's IOMMUs"

static const struct row edu_rows[] = {
	{ DOC(RST, Q_EFAULT), ST_EDU,
	  MAP(.flags = MAP_FIXED_RW, .ioas_id = IOAS, .user_va = P_BAR,
	      .length = P, .iova = BASE2),
	  .err = EFAULT },
	{ DOC(RST, Q_EFAULT), ST_EDU,
	  MAP(.flags = MAP_FIXED_RO, .ioas_id = IOAS, .user_va = P_BAR,
	      .length = P, .iova = BASE2),
	  .err = EFAULT },
	{ DOC(README, Q_README_HWPT), ST_EDU,
	  HWPT_ALLOC(.flags = IOMMU_HWPT_ALLOC_NEST_PARENT, .dev_id = EDEV,
		     .pt_id = IOAS),
	  .err = EOPNOTSUPP },
	{ DOC(README, Q_README_HWPT), ST_EDU,
	  HWPT_ALLOC(.flags = IOMMU_HWPT_ALLOC_DIRTY_TRACKING, .dev_id = EDEV,
		     .pt_id = IOAS),
	  .err = EOPNOTSUPP },
	{ DOC(README, Q_README_HWPT), ST_EDU,
	  HWPT_ALLOC(.flags = IOMMU_HWPT_ALLOC_PASID, .dev_id = EDEV,
		     .pt_id = IOAS),
	  .err = EOPNOTSUPP },
	{ DOC(RST, Q_FAULT), ST_EDU,
	  HWPT_ALLOC(.flags = IOMMU_HWPT_FAULT_ID_VALID, .dev_id = EDEV,
		     .pt_id = IOAS, .fault_id = NOID),
	  .err = ENOENT },
	{ DOC(README, "a HWPT (IOMMU domain) for a device's IOMMU, kept until `IOMMU_DESTROY`"),
	  ST_EDU, HWPT_ALLOC(.dev_id = EDEV, .pt_id = IOAS) },
	{ DOC(RST, Q_ON_HWPT), ST_EDU | ST_MOCK,
	  NESTED(.dev_id = EDEV), .err = EOPNOTSUPP },
	{ DOC(RST, "a real device reports ``IOMMU_HW_INFO_TYPE_NONE``, ``data_len`` 0 and no capabilities"),
	  ST_EDU, HW_INFO(.dev_id = EDEV, .data_len = 16, .data_uptr = P_DATA),
	  OUT(struct iommu_hw_info, out_data_type, IOMMU_HW_INFO_TYPE_NONE) },
	{ DOC(RST, "a real device reports ``IOMMU_HW_INFO_TYPE_NONE``, ``data_len`` 0 and no capabilities"),
	  ST_EDU, HW_INFO(.dev_id = EDEV, .data_len = 16, .data_uptr = P_DATA),
	  OUT(struct iommu_hw_info, data_len, 0) },
	{ DOC(RST, "a real device reports ``IOMMU_HW_INFO_TYPE_NONE``, ``data_len`` 0 and no capabilities"),
	  ST_EDU, HW_INFO(.dev_id = EDEV, .data_len = 16, .data_uptr = P_DATA),
	  OUT(struct iommu_hw_info, out_capabilities, 0) },
	{ DOC(RST, "an IOMMU driver that will not map it, as VT-d and AMD-Vi, fails the map with ``EINVAL``"),
	  ST_EDU | ST_COMPAT,
	  VMAP(.vaddr = P_BUF, .iova = BASE2, .size = P), .err = EINVAL },
};

/* ============================================================== tests */

#define RUN_TABLE(rows)							\
	EXPECT_EQ(0, run_rows(_metadata, #rows, rows, ARRAY_SIZE(rows)))

FIXTURE(doc) {
	struct ioasid_env env;
};

FIXTURE_SETUP(doc)
{
	/* The tables count in x86_64's pages */
	ASSERT_EQ(P, PSZ);
	env_begin(&self->env);
}

FIXTURE_TEARDOWN(doc)
{
	env_end(&self->env);
}

TEST_F(doc, destroy) { RUN_TABLE(destroy_rows); }
TEST_F(doc, ioas_alloc) { RUN_TABLE(ioas_alloc_rows); }
TEST_F(doc, ioas_iova_ranges) { RUN_TABLE(iova_ranges_rows); }
TEST_F(doc, ioas_allow_iovas) { RUN_TABLE(allow_iovas_rows); }
TEST_F(doc, ioas_map) { RUN_TABLE(map_rows); }
TEST_F(doc, ioas_copy) { RUN_TABLE(copy_rows); }
TEST_F(doc, ioas_unmap) { RUN_TABLE(unmap_rows); }
TEST_F(doc, option) { RUN_TABLE(option_rows); }
TEST_F(doc, vfio_ioas) { RUN_TABLE(vfio_ioas_rows); }
TEST_F(doc, vfio_container) { RUN_TABLE(container_rows); }
TEST_F(doc, hwpt_alloc) { RUN_TABLE(hwpt_alloc_rows); }
TEST_F(doc, get_hw_info) { RUN_TABLE(hw_info_rows); }
TEST_F(doc, hwpt_set_dirty_tracking) { RUN_TABLE(set_dirty_rows); }
TEST_F(doc, hwpt_get_dirty_bitmap) { RUN_TABLE(get_dirty_rows); }
TEST_F(doc, hwpt_invalidate) { RUN_TABLE(invalidate_rows); }
TEST_F(doc, fault_queue_alloc) { RUN_TABLE(fault_alloc_rows); }
TEST_F(doc, test_cmd) { RUN_TABLE(test_cmd_rows); }

/* ------------------------------------------------- General ioctl rules */

#define offsetofend(type, m) (offsetof(type, m) + sizeof(((type *)0)->m))

/* Every ioctl: its first revision (the minimum size) and today's size */
static const struct {
	unsigned long cmd;
	unsigned int min, size;
} ioctls[] = {
	{ IOMMU_DESTROY, offsetofend(struct iommu_destroy, id),
	  sizeof(struct iommu_destroy) },
	{ IOMMU_IOAS_ALLOC, offsetofend(struct iommu_ioas_alloc, out_ioas_id),
	  sizeof(struct iommu_ioas_alloc) },
	{ IOMMU_IOAS_ALLOW_IOVAS,
	  offsetofend(struct iommu_ioas_allow_iovas, allowed_iovas),
	  sizeof(struct iommu_ioas_allow_iovas) },
	{ IOMMU_IOAS_COPY, offsetofend(struct iommu_ioas_copy, src_iova),
	  sizeof(struct iommu_ioas_copy) },
	{ IOMMU_IOAS_IOVA_RANGES,
	  offsetofend(struct iommu_ioas_iova_ranges, out_iova_alignment),
	  sizeof(struct iommu_ioas_iova_ranges) },
	{ IOMMU_IOAS_MAP, offsetofend(struct iommu_ioas_map, iova),
	  sizeof(struct iommu_ioas_map) },
	{ IOMMU_IOAS_UNMAP, offsetofend(struct iommu_ioas_unmap, length),
	  sizeof(struct iommu_ioas_unmap) },
	{ IOMMU_OPTION, offsetofend(struct iommu_option, val64),
	  sizeof(struct iommu_option) },
	{ IOMMU_VFIO_IOAS, offsetofend(struct iommu_vfio_ioas, __reserved),
	  sizeof(struct iommu_vfio_ioas) },
	{ IOMMU_HWPT_ALLOC, offsetofend(struct iommu_hwpt_alloc, __reserved),
	  sizeof(struct iommu_hwpt_alloc) },
	{ IOMMU_GET_HW_INFO, offsetofend(struct iommu_hw_info, __reserved),
	  sizeof(struct iommu_hw_info) },
	{ IOMMU_HWPT_SET_DIRTY_TRACKING,
	  offsetofend(struct iommu_hwpt_set_dirty_tracking, __reserved),
	  sizeof(struct iommu_hwpt_set_dirty_tracking) },
	{ IOMMU_HWPT_GET_DIRTY_BITMAP,
	  offsetofend(struct iommu_hwpt_get_dirty_bitmap, data),
	  sizeof(struct iommu_hwpt_get_dirty_bitmap) },
	{ IOMMU_HWPT_INVALIDATE,
	  offsetofend(struct iommu_hwpt_invalidate, __reserved),
	  sizeof(struct iommu_hwpt_invalidate) },
	{ IOMMU_TEST_CMD, IOMMU_TEST_CMD_MIN_SIZE,
	  sizeof(struct iommu_test_cmd) },
};

/* The dispatcher's answers, for each ioctl in turn, each in a new context */
TEST_F(doc, dispatcher)
{
	const char *rules[] = {
		DOC(RST, "``ENOTTY`` unknown number (below ``0x80``, a hole in the table, above it, or any size, direction or type bits)"),
		DOC(RST, "``EFAULT`` the size cannot be read"),
		DOC(RST, "``EINVAL`` the size is below the first revision of the structure"),
		DOC(RST, "``E2BIG`` the structure is longer than the kernel's and the extra bytes are not all zero"),
		DOC(RST, "A shorter structure is zero-extended"),
	};
	static __u8 buf[512];
	unsigned int i, nr;
	int exact, fd;

	for (i = 0; i != ARRAY_SIZE(ioctls); i++) {
		unsigned long cmd = ioctls[i].cmd;
		unsigned int min = ioctls[i].min, size = ioctls[i].size;

		nr = _IOC_NR(cmd);
		fd = ioasid_open();
		ASSERT_LE(0, fd);
		EXPECT_EQ(ENOTTY, xioctl(fd, _IOWR(IOMMUFD_TYPE, nr, __u64),
					 buf)) TH_LOG("%#x: %s", nr, rules[0]);
		EXPECT_EQ(EFAULT, xioctl(fd, cmd, NULL))
			TH_LOG("%#x: %s", nr, rules[1]);
		memset(buf, 0xff, sizeof(buf));
		*(__u32 *)buf = min - 1;
		EXPECT_EQ(EINVAL, xioctl(fd, cmd, buf))
			TH_LOG("%#x: %s", nr, rules[2]);
		memset(buf, 0, sizeof(buf));
		*(__u32 *)buf = size + 8;
		buf[size + 7] = 1;
		EXPECT_EQ(E2BIG, xioctl(fd, cmd, buf))
			TH_LOG("%#x: %s", nr, rules[3]);
		close(fd);

		/* Zeroes, in the first revision, today's and a longer one */
		fd = ioasid_open();
		ASSERT_LE(0, fd);
		memset(buf, 0, sizeof(buf));
		*(__u32 *)buf = size;
		exact = xioctl(fd, cmd, buf);
		close(fd);
		fd = ioasid_open();
		ASSERT_LE(0, fd);
		memset(buf, 0, sizeof(buf));
		*(__u32 *)buf = min;
		EXPECT_EQ(exact, xioctl(fd, cmd, buf))
			TH_LOG("%#x: %s", nr, rules[4]);
		close(fd);
		fd = ioasid_open();
		ASSERT_LE(0, fd);
		memset(buf, 0, sizeof(buf));
		*(__u32 *)buf = size + 64;
		EXPECT_EQ(exact, xioctl(fd, cmd, buf))
			TH_LOG("%#x: %s", nr, rules[3]);
		close(fd);
	}
}

/* Unknown numbers: before anything else, the size is not even read */
TEST_F(doc, unknown_numbers)
{
	const char *doc = DOC(RST, "The dispatcher answers ``ENOTTY`` for a number it does not know before it reads the size");
	const unsigned int nrs[] = { 0x9f, 0xa1, 0xc0, 0xff };
	unsigned int i;
	int fd = ioasid_open();

	ASSERT_LE(0, fd);
	for (i = 0; i != ARRAY_SIZE(nrs); i++) {
		EXPECT_EQ(ENOTTY, xioctl(fd, _IO(IOMMUFD_TYPE, nrs[i]), NULL))
			TH_LOG("%#x: %s", nrs[i], doc);
	}
	/* Another type, with the number of IOMMU_DESTROY */
	EXPECT_EQ(ENOTTY, xioctl(fd, _IO('Q', 0x80), NULL)) TH_LOG("%s", doc);
	close(fd);
}

/* What a short caller's structure does not have is never written */
TEST_F(doc, copy_back_stops_at_size)
{
	const char *doc = DOC(RST, "Results are copied back up to the smaller of the two sizes; bytes beyond the caller's size are never written");
	struct world w;
	char msg[256];
	struct iommu_hw_info info = {
		.size = offsetofend(struct iommu_hw_info, __reserved),
	};
	__u64 *caps = &info.out_capabilities;

	world_init(&w);
	ASSERT_EQ(0, world_build(&w, ST_MOCK, msg, sizeof(msg)))
		TH_LOG("%s", msg);
	/* The mock device tracks dirty pages: its capabilities are not 0 */
	info.dev_id = w.id[DEV - ID_SYM];
	*caps = 0x5555;
	ASSERT_EQ(0, xioctl(w.fd, IOMMU_GET_HW_INFO, &info));
	EXPECT_EQ(IOMMU_HW_INFO_TYPE_SELFTEST, info.out_data_type);
	EXPECT_EQ(0x5555, *caps) TH_LOG("%s", doc);
	/* data_len came back as the 8 bytes the mock has; no buffer here */
	info.size = sizeof(info);
	info.data_len = 0;
	ASSERT_EQ(0, xioctl(w.fd, IOMMU_GET_HW_INFO, &info));
	EXPECT_EQ(IOMMU_HW_CAP_DIRTY_TRACKING, *caps);
	world_free(&w);
}

/* IOMMU_OPTION: val64 is the only field written back */
TEST_F(doc, option_writes_val64_only)
{
	const char *doc = DOC(RST, "only ``val64`` is written back");
	struct iommu_option *opt;
	char *two;
	int fd;

	/* Everything but val64 on a read-only page: a write there faults */
	two = map_anon(2 * P, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, two);
	opt = (void *)(two + P - offsetof(struct iommu_option, val64));
	*opt = (struct iommu_option){
		.size = sizeof(*opt), .option_id = IOMMU_OPTION_RLIMIT_MODE,
		.op = IOMMU_OPTION_OP_GET, .val64 = 7,
	};
	ASSERT_EQ(0, mprotect(two, P, PROT_READ));
	fd = ioasid_open();
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, xioctl(fd, IOMMU_OPTION, opt)) TH_LOG("%s", doc);
	EXPECT_EQ(0, opt->val64);
	close(fd);
	munmap(two, 2 * P);
}

/* ------------------------------------------------- ioctls in flight */

struct ranges_call {
	int fd, rc;
	__u32 ioas;
	void *out;
};

static void *ranges_thread(void *arg)
{
	struct ranges_call *c = arg;
	__u32 num = 4;

	c->rc = ioas_ranges(c->fd, c->ioas, c->out, &num, NULL);
	return NULL;
}

/*
 * IOMMU_IOAS_IOVA_RANGES holds its IOAS while it writes the ranges out; on
 * a page behind userfaultfd, for as long as the test likes.  Nothing else
 * depends on the IOAS.
 */
TEST_F(doc, destroy_while_in_use)
{
	const char *doc = DOC(RST, "and no other ioctl is using it at that moment; otherwise it fails with ``EBUSY`` and changes nothing");
	struct ranges_call c = {};
	struct stall s;
	pthread_t thread;
	bool started;

	c.fd = ioasid_open();
	ASSERT_LE(0, c.fd);
	ASSERT_EQ(0, ioas_alloc(c.fd, &c.ioas));
	ASSERT_EQ(0, stall_init(&s));
	c.out = s.page;
	started = !pthread_create(&thread, NULL, ranges_thread, &c);
	ASSERT_TRUE(started);
	ASSERT_TRUE(stall_faulted(&s, 10000 * time_scale()));

	EXPECT_EQ(EBUSY, destroy_obj(c.fd, c.ioas)) TH_LOG("%s", doc);

	ASSERT_EQ(0, stall_resolve(&s));
	pthread_join(thread, NULL);
	EXPECT_EQ(0, c.rc);
	/* Nothing changed: the IOAS is there, and goes now */
	EXPECT_EQ(0, destroy_obj(c.fd, c.ioas));
	close(c.fd);
	stall_fini(&s);
}

#define RACE_PAGES 1024

struct mapper {
	int fd, rc;
	__u32 ioas;
	void *buf;
	volatile bool stop;
};

/* Map and unmap one range until told to stop; 0, or the first odd errno */
static void *mapper_thread(void *arg)
{
	struct mapper *m = arg;
	int rc;

	while (!m->stop) {
		rc = ioas_map(m->fd, m->ioas, m->buf, RACE_PAGES * P, BASE2);
		if (rc) {
			m->rc = rc;
			break;
		}
		/* ENOENT: the test's thread took it away first */
		rc = ioas_unmap(m->fd, m->ioas, BASE2, RACE_PAGES * P, NULL);
		if (rc && rc != ENOENT && rc != EBUSY) {
			m->rc = rc;
			break;
		}
		/* EBUSY: the test's thread is taking it away */
		while (rc == EBUSY)
			rc = ioas_unmap(m->fd, m->ioas, BASE2, RACE_PAGES * P,
					NULL) == EBUSY ? EBUSY : 0;
	}
	return NULL;
}

/*
 * A mapping is set up (pinned into a mock domain) and torn down without
 * the IOAS's locks held: an UNMAP of its range in that time is EBUSY.
 * The window is the pinning of RACE_PAGES pages, so it is found quickly;
 * no answer but 0, ENOENT and EBUSY is allowed.
 */
TEST_F(doc, unmap_while_mapping)
{
	const char *doc = DOC(RST, "``EBUSY`` if another thread is setting up or tearing down a mapping in the range");
	struct mapper m = {};
	struct timespec t0, t;
	unsigned long busy = 0, other = 0, odd = 0, tries = 0;
	pthread_t thread;
	bool started;
	int rc;

	m.buf = alloc_buffer(RACE_PAGES * P, P, 0);
	ASSERT_NE(NULL, m.buf);
	m.fd = ioasid_open();
	ASSERT_LE(0, m.fd);
	ASSERT_EQ(0, ioas_alloc(m.fd, &m.ioas));
	ASSERT_EQ(0, mock_domain(m.fd, m.ioas, NULL, NULL, NULL));
	started = !pthread_create(&thread, NULL, mapper_thread, &m);
	ASSERT_TRUE(started);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		rc = ioas_unmap(m.fd, m.ioas, BASE2, RACE_PAGES * P, NULL);
		tries++;
		if (rc == EBUSY)
			busy++;
		else if (rc == 0 || rc == ENOENT)
			other++;
		else
			odd = rc;
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (busy < 10 && !odd && !m.rc &&
		 t.tv_sec - t0.tv_sec < 10 * (long)time_scale());
	m.stop = true;
	pthread_join(thread, NULL);
	TH_LOG("%lu unmaps: %lu EBUSY, %lu 0 or ENOENT", tries, busy, other);
	EXPECT_EQ(0, odd);
	EXPECT_EQ(0, m.rc);
	EXPECT_LT(0, busy) TH_LOG("%s", doc);
	ioas_unmap(m.fd, m.ioas, 0, UINT64_MAX, NULL);
	close(m.fd);
	munmap(m.buf, RACE_PAGES * P);
}

/* ------------------------------------------------ Pinning and accounting */

/* A child's first failed check, through a pipe */
static int child_pipe = -1;

#define CHILD_CHECK(cond, ...)						\
	do {								\
		if (!(cond)) {						\
			dprintf(child_pipe, "line %d: ", __LINE__);	\
			dprintf(child_pipe, __VA_ARGS__);		\
			_exit(1);					\
		}							\
	} while (0)

#define LIMIT_PAGES 10
/* Longer than any pinning batch: 64 MiB, never touched */
#define LONG_PAGES 16384

/* mm mode as uid 65534, LIMIT_PAGES of memlock: what each MAP charges */
static void charge_child(char *buf)
{
	struct rlimit rl = { LIMIT_PAGES * P, LIMIT_PAGES * P };
	__u64 val = 1, iova = 0;
	char *untouched;
	__u32 ioas;
	long lck0;
	int fd, rc;

	fd = ioasid_open();
	CHILD_CHECK(fd >= 0, "open");
	CHILD_CHECK(!ioasid_option(fd, IOMMU_OPTION_RLIMIT_MODE,
				   IOMMU_OPTION_OP_SET, 0, &val), "mm mode");
	CHILD_CHECK(!ioas_alloc(fd, &ioas), "alloc");
	CHILD_CHECK(!mock_domain(fd, ioas, NULL, NULL, NULL), "mock domain");
	proc_status_keep_open();
	CHILD_CHECK(!setrlimit(RLIMIT_MEMLOCK, &rl), "setrlimit");
	CHILD_CHECK(!setresgid(65534, 65534, 65534) &&
		    !setresuid(65534, 65534, 65534), "setresuid");
	lck0 = proc_status_kb("VmLck");
	CHILD_CHECK(lck0 >= 0, "VmLck");

	CHILD_CHECK(!(rc = ioas_map(fd, ioas, buf, 4 * P, BASE)),
		    "map: %d", rc);
	CHILD_CHECK(proc_status_kb("VmLck") == lck0 + 16, "VmLck %ld",
		    proc_status_kb("VmLck"));
	/* The same memory again: another mapping, charged again */
	CHILD_CHECK(!(rc = ioas_map(fd, ioas, buf, 4 * P, BASE2)),
		    "map again: %d", rc);
	CHILD_CHECK(proc_status_kb("VmLck") == lck0 + 32,
		    "VmLck after a second MAP of the same memory %ld (%s)",
		    proc_status_kb("VmLck"),
		    DOC(RST, "Two separate MAPs of the same memory are two mappings and are charged twice"));
	/* A copy shares the pages: nothing more */
	CHILD_CHECK(!(rc = ioas_copy(fd, ioas, ioas, BASE, 4 * P, &iova,
				     MAP_RW)),
		    "copy: %d", rc);
	CHILD_CHECK(proc_status_kb("VmLck") == lck0 + 32,
		    "VmLck after COPY %ld (%s)", proc_status_kb("VmLck"),
		    DOC(RST, "The pages are shared: nothing is pinned or charged again"));
	/* A third would pass the limit */
	rc = ioas_map(fd, ioas, buf, 4 * P, BASE2 + 0x100000);
	CHILD_CHECK(rc == ENOMEM, "a map past RLIMIT_MEMLOCK: %d (%s)", rc,
		    DOC(RST, "Exceeding the limit is ``ENOMEM``"));
	/* A long one is charged whole, before a page of it is pinned */
	untouched = mmap(NULL, LONG_PAGES * P, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHILD_CHECK(untouched != MAP_FAILED, "mmap");
	rc = ioas_map(fd, ioas, untouched, LONG_PAGES * P,
		      BASE2 + 0x1000000);
	CHILD_CHECK(rc == ENOMEM, "a long map past RLIMIT_MEMLOCK: %d", rc);
	close(fd);
	_exit(0);
}

TEST_F(doc, charges)
{
	const char *logged = DOC(RST, "the kernel log then names the limit");
	const char *whole = DOC(RST, "so a mapping over the limit pins nothing");
	char msg[256] = "", want[96];
	char *buf = alloc_buffer(4 * P, P, 0);
	int pipefd[2], status, kmsg, tries;
	bool found = false;
	pid_t pid;

	ASSERT_NE(NULL, buf);
	/* The long map's: charged whole, and the limit named */
	snprintf(want, sizeof(want),
		 "pinning %d pages would exceed RLIMIT_MEMLOCK (%d KiB)",
		 LONG_PAGES, LIMIT_PAGES * P / 1024);
	/* The message is rate limited: another suite may have used it up */
	for (tries = 0; tries != 2 && !found; tries++) {
		if (tries)
			sleep(6);
		kmsg = kmsg_open();
		ASSERT_LE(0, kmsg);
		ASSERT_EQ(0, pipe(pipefd));
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid) {
			close(pipefd[0]);
			child_pipe = pipefd[1];
			charge_child(buf);
		}
		close(pipefd[1]);
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		if (read(pipefd[0], msg, sizeof(msg) - 1) < 0)
			msg[0] = 0;
		close(pipefd[0]);
		EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
			TH_LOG("child: %s", msg);
		found = kmsg_has(kmsg, want);
		close(kmsg);
	}
	EXPECT_TRUE(found) TH_LOG("no \"%s\" in the kernel log: %s; %s",
				  want, logged, whole);
	munmap(buf, 4 * P);
}

/* ------------------------------------------------------ Module parameters */

TEST_F(doc, test_mode_read_only)
{
	const char *doc = DOC(RST, "``test_mode`` (bool, read-only after load; test build only)");
	const char *path = "/sys/module/ioasid_core/parameters/test_mode";
	char val[8];

	ASSERT_EQ(0, sysfs_read(path, val, sizeof(val)));
	EXPECT_STREQ("Y", val);
	EXPECT_NE(0, sysfs_write(path, "N")) TH_LOG("%s", doc);
	ASSERT_EQ(0, sysfs_read(path, val, sizeof(val)));
	EXPECT_STREQ("Y", val) TH_LOG("%s", doc);
}

/* ============================================== with a real device (edu) */

FIXTURE(doc_edu) {
	struct ioasid_env env;
	struct vdev_info ib;	/* moved to another driver, or not */
	int kmsg;
	bool moved;
};

FIXTURE_SETUP(doc_edu)
{
	self->kmsg = -1;
	ASSERT_EQ(P, PSZ);
	env_begin(&self->env);
	ASSERT_EQ(0, companion_restore_all());
	ASSERT_EQ(0, find_dev(DEV_EDU, 0, &edu_info));
	self->kmsg = kmsg_open();
	ASSERT_LE(0, self->kmsg);
}

FIXTURE_TEARDOWN(doc_edu)
{
	if (self->moved) {
		EXPECT_EQ(0, pci_rebind(self->ib.bdf, COMPANION_NAME));
		EXPECT_EQ(0, companion_restore(self->ib.bdf));
	}
	EXPECT_EQ(COMPANION_NR_DEVICES, companion_count());
	if (self->kmsg >= 0)
		close(self->kmsg);
	env_end(&self->env);
}

TEST_F(doc_edu, bind) { RUN_TABLE(bind_rows); }
TEST_F(doc_edu, attach_detach) { RUN_TABLE(attach_rows); }
TEST_F(doc_edu, real_iommu) { RUN_TABLE(edu_rows); }

/* The vfio group path exists, and gives no device */
TEST_F(doc_edu, group_path_refused)
{
	const char *doc = DOC(RST, "but opening a device through it is refused (``EPERM``, with a log line)");
	int gfd = -1, cfd = -1, dfd, err;

	ASSERT_EQ(0, group_type1_open(edu_info.group, &gfd, &cfd));
	dfd = ioctl(gfd, VFIO_GROUP_GET_DEVICE_FD, edu_info.bdf);
	err = dfd < 0 ? errno : 0;
	EXPECT_EQ(EPERM, err) TH_LOG("%s", doc);
	if (dfd >= 0)
		close(dfd);
	EXPECT_TRUE(kmsg_has(self->kmsg, "the vfio group path is not supported"))
		TH_LOG("%s", doc);
	EXPECT_EQ(0, xioctl(gfd, VFIO_GROUP_UNSET_CONTAINER, NULL));
	close(cfd);
	close(gfd);
}

/*
 * BIND with argsz 32 whose bytes past the kernel's 24 lie in a PROT_NONE
 * page: they cannot be checked for zero, so EFAULT (copy_struct_from_user;
 * the document names only E2BIG for them), and the fd stays parked: the
 * same 24 bytes with argsz 24 then bind
 */
TEST_F(doc_edu, bind_tail_unreadable)
{
	const char *doc = DOC(RST, "``EFAULT`` if they cannot be read, and nothing is bound");
	struct vfio_device_bind_iommufd *b;
	int fd, dfd;
	char *page;

	fd = ioasid_open();
	ASSERT_LE(0, fd);
	dfd = open(edu_info.cdev, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, dfd);
	page = map_anon(2 * P, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, page);
	ASSERT_EQ(0, mprotect(page + P, P, PROT_NONE));
	b = (void *)(page + P - 24);
	*b = (struct vfio_device_bind_iommufd){ .argsz = 32, .iommufd = fd,
						 .out_devid = 0x5a5a };
	EXPECT_EQ(EFAULT, xioctl(dfd, VFIO_DEVICE_BIND_IOMMUFD, b)) TH_LOG("%s", doc);
	EXPECT_EQ(0x5a5a, b->out_devid);
	/* Still parked: anything but BIND is EINVAL */
	EXPECT_EQ(EINVAL, dev_attach(dfd, &(__u32){ 0 })) TH_LOG("%s", doc);
	b->argsz = 24;
	EXPECT_EQ(0, xioctl(dfd, VFIO_DEVICE_BIND_IOMMUFD, b));
	EXPECT_NE(0x5a5a, b->out_devid);
	munmap(page, 2 * P);
	close(dfd);
	close(fd);
}

/* Someone has the group's node open: BIND says who to ask */
TEST_F(doc_edu, bind_refused_while_group_open)
{
	const char *doc = DOC(RST, "while someone has the node open, with a container or without, BIND fails with ``EBUSY`` and a log line naming the node");
	char path[64], want[128];
	int fd, dfd, gfd;

	snprintf(path, sizeof(path), "/dev/vfio/%d", edu_info.group);
	gfd = open(path, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, gfd);
	fd = ioasid_open();
	ASSERT_LE(0, fd);
	dfd = open(edu_info.cdev, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, dfd);
	EXPECT_EQ(EBUSY, dev_bind(dfd, fd, NULL)) TH_LOG("%s", doc);
	snprintf(want, sizeof(want), "%s is open: close it", path);
	EXPECT_TRUE(kmsg_has(self->kmsg, want)) TH_LOG("no \"%s\": %s", want,
						       doc);
	close(gfd);
	EXPECT_EQ(0, dev_bind(dfd, fd, NULL));
	close(dfd);
	close(fd);
}

/*
 * Behind the bridge, two edus share a group: with one of them bound to a
 * kernel driver that uses the DMA API, the other cannot be bound, and the
 * log names the driver in the way.
 */
TEST_F(doc_edu, bind_refused_for_kernel_driver)
{
	const char *doc = DOC(RST, "(``EBUSY`` if a kernel driver, VFIO or another context holds it; the log names the devices in the way)");
	const char *doc_h = DOC(VFIO_UAPI, "EBUSY if the device's VFIO group node (/dev/vfio/<group>) is open, or a driver or another context owns the group's DMA");
	struct vdev_info ia;
	char want[128];
	int fd, dfd;

	ASSERT_EQ(0, find_dev(DEV_EDU_BRIDGE, 0, &ia));
	ASSERT_EQ(0, find_dev(DEV_EDU_BRIDGE, 1, &self->ib));
	ASSERT_EQ(ia.group, self->ib.group);
	self->moved = true;
	ASSERT_EQ(0, pci_rebind(self->ib.bdf, "pci-pf-stub"));

	fd = ioasid_open();
	ASSERT_LE(0, fd);
	dfd = open(ia.cdev, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, dfd);
	EXPECT_EQ(EBUSY, dev_bind(dfd, fd, NULL)) TH_LOG("%s / %s", doc, doc_h);
	snprintf(want, sizeof(want),
		 "%s: iommu_group %d is busy: this device is bound to driver pci-pf-stub",
		 self->ib.bdf, ia.group);
	EXPECT_TRUE(kmsg_has(self->kmsg, want)) TH_LOG("no \"%s\": %s", want,
						       doc);
	close(dfd);
	close(fd);
}

/*
 * An fd opened before the driver started to let the device go can still
 * ask to bind it; the removal waits for that fd to close.
 */
TEST_F_TIMEOUT(doc_edu, bind_during_removal, 60)
{
	const char *doc = DOC(VFIO_UAPI, "ENODEV if the device is being unbound from the driver or removed");
	struct sysfs_writer writer = {};
	struct vdev_info info;
	int fd, dfd, probe = -1, i;

	ASSERT_EQ(0, find_dev(DEV_EDU, 1, &info));
	fd = ioasid_open();
	ASSERT_LE(0, fd);
	dfd = open(info.cdev, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, dfd);
	ASSERT_EQ(0, sysfs_writer_start(&writer, COMPANION "/unbind",
					info.bdf));
	/* The removal has begun once the node opens no more */
	for (i = 0; i != 500; i++) {
		probe = open(info.cdev, O_RDWR | O_CLOEXEC);
		if (probe < 0)
			break;
		close(probe);
		usleep(10 * 1000);
	}
	EXPECT_GT(0, probe);
	EXPECT_FALSE(sysfs_writer_done(&writer));
	EXPECT_EQ(ENODEV, dev_bind(dfd, fd, NULL)) TH_LOG("%s", doc);
	close(dfd);
	EXPECT_TRUE(sysfs_writer_wait(&writer, 10000 * time_scale()));
	EXPECT_EQ(0, writer.rc);
	close(fd);
	EXPECT_EQ(0, companion_restore(info.bdf));
}

TEST_HARNESS_MAIN
