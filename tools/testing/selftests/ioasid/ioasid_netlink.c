// SPDX-License-Identifier: GPL-2.0-only
/*
 * The "ioasid" generic netlink family (include/uapi/linux/ioasid_netlink.h)
 * and its client ioasidctl: the view matches what a test created while it
 * runs and is empty once it is closed, for mock devices and for a real edu
 * bound to the companion; events come in order; a user who is not root
 * sees neither root's contexts nor its events; malformed and oversized
 * requests are refused without leaks; dumps racing a context's teardown
 * neither crash nor leak nor make IOMMU_DESTROY fail; DMA fault events
 * are rate limited with a lost counter; fdinfo of both kinds of fd.
 *
 * ioasidctl is taken from $IOASIDCTL (default /tests/ioasidctl, which
 * run-tests.sh adds); its tests fail when it is missing.
 */
#include <pthread.h>
#include <sys/stat.h>

#include "nl_utils.h"
#include "ioasid_utils.h"
#include "vfio_utils.h"

#define MAX_RECS 256
#define USER 1000

static const char *ioasidctl(void)
{
	const char *p = getenv("IOASIDCTL");

	return p ? p : "/tests/ioasidctl";
}

/* "key:\tvalue" of /proc/self/fdinfo/@fd, or -1 */
static long fdinfo_num(int fd, const char *key)
{
	char path[64], line[256];
	size_t klen = strlen(key);
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, klen) && line[klen] == ':')
			v = strtol(line + klen + 1, NULL, 0);
	fclose(f);
	return v;
}

static bool fdinfo_str(int fd, const char *key, char *out, size_t len)
{
	char path[64], line[256];
	size_t klen = strlen(key);
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, klen) && line[klen] == ':') {
			snprintf(out, len, "%s", line + klen + 2);
			out[strcspn(out, "\n")] = 0;
			found = true;
		}
	fclose(f);
	return found;
}

static __u32 ctx_id_of(int fd)
{
	return fdinfo_num(fd, "ioasid-ctx");
}

/* The record of @recs (@n of them) whose attribute @a is @v, or NULL */
static struct nl_rec *find_rec(struct nl_rec *recs, int n, int a, __u64 v)
{
	int i;

	for (i = 0; i < n; i++)
		if (recs[i].has[a] && recs[i].v[a] == v)
			return &recs[i];
	return NULL;
}

static int count_recs(struct nl_rec *recs, int n, int a, __u64 v)
{
	int i, c = 0;

	for (i = 0; i < n; i++)
		if (recs[i].has[a] && recs[i].v[a] == v)
			c++;
	return c;
}

/* Run @cmd through sh, its output into @out; the exit status */
static int run(const char *cmd, char *out, size_t len)
{
	size_t n = 0;
	FILE *p;
	int st;

	out[0] = 0;
	p = popen(cmd, "r");
	if (!p)
		return -1;
	while (n + 1 < len && fgets(out + n, len - n, p))
		n += strlen(out + n);
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static const char *event_names[] = {
	[IOASID_NL_EVENT_CTX_OPEN] = "open",
	[IOASID_NL_EVENT_CTX_CLOSE] = "close",
	[IOASID_NL_EVENT_BIND] = "bind",
	[IOASID_NL_EVENT_UNBIND] = "unbind",
	[IOASID_NL_EVENT_ATTACH] = "attach",
	[IOASID_NL_EVENT_DETACH] = "detach",
	[IOASID_NL_EVENT_OBJ_CREATE] = "create",
	[IOASID_NL_EVENT_OBJ_DESTROY] = "destroy",
	[IOASID_NL_EVENT_FAULT] = "fault",
	[IOASID_NL_EVENT_MAP] = "map",
	[IOASID_NL_EVENT_UNMAP] = "unmap",
};

static const char *obj_names[] = {
	[IOASID_NL_OBJ_IOAS] = "ioas", [IOASID_NL_OBJ_HWPT] = "hwpt",
	[IOASID_NL_OBJ_DEVICE] = "device", [IOASID_NL_OBJ_ACCESS] = "access",
	[IOASID_NL_OBJ_SELFTEST] = "selftest",
	[IOASID_NL_OBJ_FAULT] = "fault",
};

/* "open create:ioas bind ..." of @n events */
static void event_string(struct nl_rec *ev, int n, char *out, size_t len)
{
	size_t off = 0;
	int i;

	out[0] = 0;
	for (i = 0; i < n && off < len; i++) {
		__u64 e = ev[i].v[IOASID_NL_A_EVENT];
		const char *name = e < 12 && event_names[e] ? event_names[e] : "?";

		if (e == IOASID_NL_EVENT_OBJ_CREATE ||
		    e == IOASID_NL_EVENT_OBJ_DESTROY)
			off += snprintf(out + off, len - off, "%s%s:%s",
					i ? " " : "", name,
					obj_names[ev[i].v[IOASID_NL_A_OBJ_TYPE] % 6] ?: "?");
		else
			off += snprintf(out + off, len - off, "%s%s",
					i ? " " : "", name);
	}
}

/* Events numbered 1, 2, 3... with no gap */
static bool seq_contiguous(struct nl_rec *ev, int n)
{
	int i;

	for (i = 1; i < n; i++)
		if (ev[i].v[IOASID_NL_A_SEQ] != ev[i - 1].v[IOASID_NL_A_SEQ] + 1)
			return false;
	return true;
}

/*
 * A kernel without networking (make check-debug's) has no netlink at all:
 * the module works without its family, and the tests that need it say
 * SKIP, which check-debug counts as a failure to look at
 */
#define NEED_NL() do {							\
	if (self->no_nl)						\
		SKIP(return, "this kernel has no netlink (CONFIG_NET is off)"); \
} while (0)

static int gnl_open_or_none(struct gnl *g, bool *none)
{
	int rc = gnl_open(g);

	/* No socket(2) at all, or no AF_NETLINK */
	*none = rc == -ENOSYS || rc == -EAFNOSUPPORT;
	return *none ? 0 : rc;
}

FIXTURE(nl)
{
	struct ioasid_env env;
	struct gnl g;
	bool no_nl;
	int fd;
	struct nl_rec *recs;
};

FIXTURE_SETUP(nl)
{
	self->fd = -1;
	self->g.fd = -1;
	env_begin(&self->env);
	self->recs = calloc(MAX_RECS, sizeof(*self->recs));
	ASSERT_NE(NULL, self->recs);
	ASSERT_EQ(0, gnl_open_or_none(&self->g, &self->no_nl));
	self->fd = ioasid_open();
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(nl)
{
	if (self->fd >= 0)
		close(self->fd);
	gnl_close(&self->g);
	free(self->recs);
	env_end(&self->env);
}

TEST_F(nl, version)
{
	struct nl_rec *r = self->recs;

	NEED_NL();

	ASSERT_EQ(1, gnl_req(&self->g, IOASID_NL_CMD_GET_VERSION, false, r, 1,
			     IOASID_NL_A_VERSION, IOASID_NL_VERSION, 0));
	EXPECT_EQ(IOASID_NL_VERSION, r[0].v[IOASID_NL_A_VERSION]);
	/* root: sees every context */
	EXPECT_TRUE(r[0].has[IOASID_NL_A_PRIVILEGED]);
	/* Another major version is refused, with a message */
	EXPECT_EQ(-EPROTONOSUPPORT,
		  gnl_req(&self->g, IOASID_NL_CMD_GET_VERSION, false, r, 1,
			  IOASID_NL_A_VERSION, 2 << 16, 0));
	EXPECT_NE(0, self->g.errmsg[0]);
	/* A newer minor is fine */
	EXPECT_EQ(1, gnl_req(&self->g, IOASID_NL_CMD_GET_VERSION, false, r, 1,
			     IOASID_NL_A_VERSION, IOASID_NL_VERSION + 5, 0));
}

/* The view of mock devices, IOASes and mappings while they exist */
TEST_F(nl, view_mock)
{
	__u32 ctx = ctx_id_of(self->fd), ioas, ioas2, stdev, hwpt, idev;
	struct nl_rec *r = self->recs, *c;
	size_t len[3] = { 4 * PSZ, 16 * PSZ, HUGE_SZ };
	__u64 iova[3] = { MOCK_APERTURE_START + 0x100000,
			  MOCK_APERTURE_START + 0x400000,
			  MOCK_APERTURE_START + 0x1000000 };
	void *buf[3];
	__u64 pages = 0;
	int i, n;

	NEED_NL();

	ASSERT_NE(0, ctx);
	ASSERT_EQ(0, ioas_alloc(self->fd, &ioas));
	ASSERT_EQ(0, ioas_alloc(self->fd, &ioas2));
	ASSERT_EQ(0, mock_domain(self->fd, ioas, &stdev, &hwpt, &idev));
	for (i = 0; i != 3; i++) {
		buf[i] = alloc_buffer(len[i], HUGE_SZ, 0);
		ASSERT_NE(NULL, buf[i]);
		ASSERT_EQ(0, ioas_map(self->fd, ioas, buf[i], len[i], iova[i]));
		pages += len[i] / PSZ;
	}

	/* The context: who, what, how much */
	n = gnl_req(&self->g, IOASID_NL_CMD_GET_CONTEXT, true, r, MAX_RECS, 0);
	ASSERT_LE(1, n);
	c = find_rec(r, n, IOASID_NL_A_CTX_ID, ctx);
	ASSERT_NE(NULL, c);
	EXPECT_EQ(getpid(), c->v[IOASID_NL_A_PID]);
	EXPECT_STREQ("ioasid_netlink", c->comm);
	EXPECT_EQ(0, c->v[IOASID_NL_A_UID]);
	/* Two IOASes, the HWPT, the mock device and its selftest object */
	EXPECT_EQ(5, c->v[IOASID_NL_A_NR_OBJECTS]);
	EXPECT_EQ(pages, c->v[IOASID_NL_A_PAGES_PINNED]);
	/* root maps with CAP_IPC_LOCK: nothing charged */
	EXPECT_EQ(0, c->v[IOASID_NL_A_PAGES_CHARGED]);
	EXPECT_EQ(IOASID_NL_ACCOUNT_USER, c->v[IOASID_NL_A_ACCOUNT_MODE]);

	/* By PID, and by context ID */
	n = gnl_req(&self->g, IOASID_NL_CMD_GET_CONTEXT, true, r, MAX_RECS,
		    IOASID_NL_A_PID, getpid(), 0);
	ASSERT_EQ(1, n);
	EXPECT_EQ(ctx, r[0].v[IOASID_NL_A_CTX_ID]);
	ASSERT_EQ(1, gnl_req(&self->g, IOASID_NL_CMD_GET_CONTEXT, true, r,
			     MAX_RECS, IOASID_NL_A_CTX_ID, ctx, 0));

	/* Objects */
	n = gnl_req(&self->g, IOASID_NL_CMD_GET_OBJECT, true, r, MAX_RECS,
		    IOASID_NL_A_CTX_ID, ctx, 0);
	ASSERT_EQ(5, n);
	EXPECT_EQ(2, count_recs(r, n, IOASID_NL_A_OBJ_TYPE, IOASID_NL_OBJ_IOAS));
	EXPECT_EQ(1, count_recs(r, n, IOASID_NL_A_OBJ_TYPE, IOASID_NL_OBJ_HWPT));
	EXPECT_EQ(1, count_recs(r, n, IOASID_NL_A_OBJ_TYPE, IOASID_NL_OBJ_DEVICE));

	/* The three areas of the first IOAS, none in the second */
	n = gnl_req(&self->g, IOASID_NL_CMD_GET_AREA, true, r, MAX_RECS,
		    IOASID_NL_A_CTX_ID, ctx, 0);
	ASSERT_EQ(3, n);
	for (i = 0; i != 3; i++) {
		c = find_rec(r, n, IOASID_NL_A_IOVA, iova[i]);
		ASSERT_NE(NULL, c);
		EXPECT_EQ(ioas, c->v[IOASID_NL_A_IOAS_ID]);
		EXPECT_EQ(iova[i] + len[i] - 1, c->v[IOASID_NL_A_IOVA_LAST]);
		EXPECT_EQ(len[i] / PSZ, c->v[IOASID_NL_A_PAGES]);
		EXPECT_EQ(IOASID_NL_PROT_READ | IOASID_NL_PROT_WRITE,
			  c->v[IOASID_NL_A_PROT]);
		EXPECT_TRUE(c->has[IOASID_NL_A_PINNED]);
		EXPECT_TRUE(c->v[IOASID_NL_A_BACKING] & IOASID_NL_BACKING_ANON);
	}
	EXPECT_EQ(0, gnl_req(&self->g, IOASID_NL_CMD_GET_AREA, true, r,
			     MAX_RECS, IOASID_NL_A_CTX_ID, ctx,
			     IOASID_NL_A_IOAS_ID, ioas2, 0));
	EXPECT_EQ(3, gnl_req(&self->g, IOASID_NL_CMD_GET_AREA, true, r,
			     MAX_RECS, IOASID_NL_A_CTX_ID, ctx,
			     IOASID_NL_A_IOAS_ID, ioas, 0));

	/* The mock device and its HWPT */
	n = gnl_req(&self->g, IOASID_NL_CMD_GET_DEVICE, true, r, MAX_RECS,
		    IOASID_NL_A_CTX_ID, ctx, 0);
	ASSERT_EQ(1, n);
	EXPECT_EQ(idev, r[0].v[IOASID_NL_A_DEV_ID]);
	EXPECT_EQ(hwpt, r[0].v[IOASID_NL_A_HWPT_ID]);
	n = gnl_req(&self->g, IOASID_NL_CMD_GET_HWPT, true, r, MAX_RECS,
		    IOASID_NL_A_CTX_ID, ctx, 0);
	ASSERT_EQ(1, n);
	EXPECT_EQ(hwpt, r[0].v[IOASID_NL_A_HWPT_ID]);
	EXPECT_EQ(ioas, r[0].v[IOASID_NL_A_IOAS_ID]);
	EXPECT_EQ(IOASID_NL_HWPT_AUTO, r[0].v[IOASID_NL_A_HWPT_KIND]);
	EXPECT_TRUE(r[0].v[IOASID_NL_A_HWPT_FLAGS] & IOASID_NL_HWPT_IN_IOAS);
	EXPECT_EQ(1, r[0].v[IOASID_NL_A_NR_GROUPS]);
	EXPECT_NE(0, r[0].v[IOASID_NL_A_PGSIZES]);

	/* Unmapping one area shows at once */
	ASSERT_EQ(0, ioas_unmap(self->fd, ioas, iova[1], len[1], NULL));
	EXPECT_EQ(2, gnl_req(&self->g, IOASID_NL_CMD_GET_AREA, true, r,
			     MAX_RECS, IOASID_NL_A_CTX_ID, ctx, 0));
	ASSERT_EQ(1, gnl_req(&self->g, IOASID_NL_CMD_GET_CONTEXT, true, r,
			     MAX_RECS, IOASID_NL_A_CTX_ID, ctx, 0));
	EXPECT_EQ(pages - len[1] / PSZ, r[0].v[IOASID_NL_A_PAGES_PINNED]);

	/* Closed: gone from every dump */
	close(self->fd);
	self->fd = -1;
	for (i = 0; i != 3; i++)
		munmap(buf[i], len[i]);
	n = gnl_req(&self->g, IOASID_NL_CMD_GET_CONTEXT, true, r, MAX_RECS, 0);
	ASSERT_LE(0, n);
	EXPECT_EQ(NULL, find_rec(r, n, IOASID_NL_A_CTX_ID, ctx));
	EXPECT_EQ(-ENOENT, gnl_req(&self->g, IOASID_NL_CMD_GET_AREA, true, r,
				   MAX_RECS, IOASID_NL_A_CTX_ID, ctx, 0));
	EXPECT_EQ(0, gnl_req(&self->g, IOASID_NL_CMD_GET_CONTEXT, true, r,
			     MAX_RECS, IOASID_NL_A_PID, getpid(), 0));
}

/*
 * A nesting parent and a nested HWPT on it: the dump says which is which,
 * and the nested one names its parent
 */
TEST_F(nl, view_nested)
{
	struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
	__u32 ctx = ctx_id_of(self->fd), ioas, stdev, hwpt, idev;
	struct nl_rec *r = self->recs, *p, *c;
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd), .flags = IOMMU_HWPT_ALLOC_NEST_PARENT,
	};
	__u32 parent, nested;
	int n;

	NEED_NL();

	ASSERT_NE(0, ctx);
	ASSERT_EQ(0, ioas_alloc(self->fd, &ioas));
	ASSERT_EQ(0, mock_domain(self->fd, ioas, &stdev, &hwpt, &idev));
	cmd.dev_id = idev;
	cmd.pt_id = ioas;
	ASSERT_EQ(0, xioctl(self->fd, IOMMU_HWPT_ALLOC, &cmd));
	parent = cmd.out_hwpt_id;
	cmd.flags = 0;
	cmd.pt_id = parent;
	cmd.data_type = IOMMU_HWPT_DATA_SELFTEST;
	cmd.data_len = sizeof(data);
	cmd.data_uptr = (uintptr_t)&data;
	ASSERT_EQ(0, xioctl(self->fd, IOMMU_HWPT_ALLOC, &cmd));
	nested = cmd.out_hwpt_id;

	n = gnl_req(&self->g, IOASID_NL_CMD_GET_HWPT, true, r, MAX_RECS,
		    IOASID_NL_A_CTX_ID, ctx, 0);
	ASSERT_EQ(3, n);
	p = find_rec(r, n, IOASID_NL_A_HWPT_ID, parent);
	ASSERT_NE(NULL, p);
	EXPECT_EQ(IOASID_NL_HWPT_PAGING, p->v[IOASID_NL_A_HWPT_KIND]);
	EXPECT_TRUE(p->v[IOASID_NL_A_HWPT_FLAGS] & IOASID_NL_HWPT_NEST_PARENT);
	EXPECT_EQ(ioas, p->v[IOASID_NL_A_IOAS_ID]);
	EXPECT_FALSE(p->has[IOASID_NL_A_PARENT_ID]);
	c = find_rec(r, n, IOASID_NL_A_HWPT_ID, nested);
	ASSERT_NE(NULL, c);
	EXPECT_EQ(IOASID_NL_HWPT_NESTED, c->v[IOASID_NL_A_HWPT_KIND]);
	EXPECT_FALSE(c->v[IOASID_NL_A_HWPT_FLAGS] &
		     IOASID_NL_HWPT_NEST_PARENT);
	EXPECT_TRUE(c->has[IOASID_NL_A_PARENT_ID]);
	EXPECT_EQ(parent, c->v[IOASID_NL_A_PARENT_ID]);
	c = find_rec(r, n, IOASID_NL_A_HWPT_ID, hwpt);
	ASSERT_NE(NULL, c);
	EXPECT_FALSE(c->v[IOASID_NL_A_HWPT_FLAGS] &
		     IOASID_NL_HWPT_NEST_PARENT);
	EXPECT_FALSE(c->has[IOASID_NL_A_PARENT_ID]);

	EXPECT_EQ(0, destroy_obj(self->fd, nested));
	EXPECT_EQ(0, destroy_obj(self->fd, parent));
	EXPECT_EQ(1, gnl_req(&self->g, IOASID_NL_CMD_GET_HWPT, true, r,
			     MAX_RECS, IOASID_NL_A_CTX_ID, ctx, 0));
}

/*
 * More areas than one message holds: the dump continues where the full
 * message stopped, and every area comes exactly once, in IOVA order
 */
TEST_F(nl, dump_many_areas)
{
	enum { NR = 600 };
	__u32 ctx = ctx_id_of(self->fd), ioas;
	struct nl_rec *r;
	void *buf;
	int i, n;

	NEED_NL();

	ASSERT_NE(0, ctx);
	r = calloc(NR + 1, sizeof(*r));
	ASSERT_NE(NULL, r);
	buf = alloc_buffer(PSZ, PSZ, 0);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, ioas_alloc(self->fd, &ioas));
	/* No domain: nothing pinned */
	for (i = 0; i != NR; i++)
		ASSERT_EQ(0, ioas_map(self->fd, ioas, buf, PSZ,
				      MOCK_APERTURE_START + 2ULL * i * PSZ));

	n = gnl_req(&self->g, IOASID_NL_CMD_GET_AREA, true, r, NR + 1,
		    IOASID_NL_A_CTX_ID, ctx, 0);
	EXPECT_EQ(NR, n);
	for (i = 0; i < n && i < NR; i++) {
		EXPECT_EQ(MOCK_APERTURE_START + 2ULL * i * PSZ,
			  r[i].v[IOASID_NL_A_IOVA]);
		EXPECT_EQ(ioas, r[i].v[IOASID_NL_A_IOAS_ID]);
		EXPECT_EQ(1, r[i].v[IOASID_NL_A_PAGES]);
		EXPECT_FALSE(r[i].has[IOASID_NL_A_PINNED]);
	}
	/* The same by IOAS */
	EXPECT_EQ(NR, gnl_req(&self->g, IOASID_NL_CMD_GET_AREA, true, r,
			      NR + 1, IOASID_NL_A_CTX_ID, ctx,
			      IOASID_NL_A_IOAS_ID, ioas, 0));
	EXPECT_EQ(MOCK_APERTURE_START + 2ULL * (NR - 1) * PSZ,
		  r[NR - 1].v[IOASID_NL_A_IOVA]);

	close(self->fd);
	self->fd = -1;
	munmap(buf, PSZ);
	free(r);
}

/*
 * One mapping across three kinds of memory: 4 KiB anonymous pages, a
 * hugetlb page and a transparent huge page.  The pin records each folio's
 * kind once, so every kind must show, whichever page of a folio comes
 * first; a mapping of the hugetlb page alone shows that kind alone.
 */
TEST_F(nl, backing_kinds)
{
	__u32 ctx = ctx_id_of(self->fd), ioas;
	struct nl_rec *r = self->recs, *c;
	size_t len = 3 * HUGE_SZ;
	char *buf, *huge;
	int n;

	NEED_NL();

	buf = mmap_aligned(len, HUGE_SZ, 0);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, madvise(buf, HUGE_SZ, MADV_NOHUGEPAGE));
	huge = mmap(buf + HUGE_SZ, HUGE_SZ, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_HUGETLB |
		    MAP_POPULATE, -1, 0);
	if (huge == MAP_FAILED) {
		munmap(buf, len);
		SKIP(return, "no 2 MiB hugetlb page");
	}
	ASSERT_EQ(0, madvise(buf + 2 * HUGE_SZ, HUGE_SZ, MADV_HUGEPAGE));
	memset(buf, 1, len);

	ASSERT_EQ(0, ioas_alloc(self->fd, &ioas));
	ASSERT_EQ(0, mock_domain(self->fd, ioas, NULL, NULL, NULL));
	/* Starting inside the anon part and inside the hugetlb page */
	ASSERT_EQ(0, ioas_map(self->fd, ioas, buf + HUGE_SZ - PSZ,
			      2 * HUGE_SZ, MOCK_APERTURE_START));
	ASSERT_EQ(0, ioas_map(self->fd, ioas, huge + PSZ, HUGE_SZ - PSZ,
			      MOCK_APERTURE_START + 4 * HUGE_SZ));

	n = gnl_req(&self->g, IOASID_NL_CMD_GET_AREA, true, r, MAX_RECS,
		    IOASID_NL_A_CTX_ID, ctx, 0);
	ASSERT_EQ(2, n);
	c = find_rec(r, n, IOASID_NL_A_IOVA, MOCK_APERTURE_START);
	ASSERT_NE(NULL, c);
	EXPECT_TRUE(c->has[IOASID_NL_A_PINNED]);
	EXPECT_EQ(IOASID_NL_BACKING_ANON | IOASID_NL_BACKING_HUGETLB |
		  IOASID_NL_BACKING_THP, c->v[IOASID_NL_A_BACKING]);
	c = find_rec(r, n, IOASID_NL_A_IOVA, MOCK_APERTURE_START + 4 * HUGE_SZ);
	ASSERT_NE(NULL, c);
	EXPECT_EQ(IOASID_NL_BACKING_HUGETLB, c->v[IOASID_NL_A_BACKING]);

	close(self->fd);
	self->fd = -1;
	munmap(buf, len);
}

TEST_F(nl, stats)
{
	struct nl_rec *r = self->recs;
	struct ioasid_counters now;
	__u32 ioas, i;

	NEED_NL();

	/* Three objects in one context: no two counters agree by chance */
	for (i = 0; i != 3; i++)
		ASSERT_EQ(0, ioas_alloc(self->fd, &ioas));
	ASSERT_EQ(0, read_counters(&now));
	ASSERT_NE(now.contexts, now.objects);
	ASSERT_EQ(1, gnl_req(&self->g, IOASID_NL_CMD_GET_STATS, false, r, 1, 0));
	ASSERT_TRUE(r[0].has[IOASID_NL_A_STATS]);
	EXPECT_EQ(now.contexts, r[0].stat[IOASID_NL_STAT_CONTEXTS]);
	EXPECT_EQ(now.objects, r[0].stat[IOASID_NL_STAT_OBJECTS]);
	EXPECT_EQ(now.pinned, r[0].stat[IOASID_NL_STAT_PINNED]);
	EXPECT_LE(1, r[0].stat[IOASID_NL_STAT_CONTEXTS]);
}

/* /proc/<pid>/fdinfo of an ioasid fd: its context, objects and pins */
TEST_F(nl, fdinfo)
{
	__u32 ioas, hwpt;
	char mode[16];
	void *buf = alloc_buffer(8 * PSZ, PSZ, 0);

	ASSERT_NE(NULL, buf);
	EXPECT_LT(0, fdinfo_num(self->fd, "ioasid-ctx"));
	EXPECT_EQ(0, fdinfo_num(self->fd, "ioasid-owner"));
	EXPECT_EQ(0, fdinfo_num(self->fd, "ioasid-objects-ioas"));
	ASSERT_EQ(0, ioas_alloc(self->fd, &ioas));
	ASSERT_EQ(0, mock_domain(self->fd, ioas, NULL, &hwpt, NULL));
	ASSERT_EQ(0, ioas_map(self->fd, ioas, buf, 8 * PSZ,
			      MOCK_APERTURE_START));
	EXPECT_EQ(1, fdinfo_num(self->fd, "ioasid-objects-ioas"));
	EXPECT_EQ(1, fdinfo_num(self->fd, "ioasid-objects-hwpt"));
	EXPECT_EQ(1, fdinfo_num(self->fd, "ioasid-objects-device"));
	EXPECT_EQ(1, fdinfo_num(self->fd, "ioasid-objects-selftest"));
	EXPECT_EQ(8, fdinfo_num(self->fd, "ioasid-pages-pinned"));
	EXPECT_EQ(0, fdinfo_num(self->fd, "ioasid-pages-charged"));
	ASSERT_TRUE(fdinfo_str(self->fd, "ioasid-account-mode", mode,
			       sizeof(mode)));
	EXPECT_STREQ("user", mode);
	ASSERT_EQ(0, ioas_unmap(self->fd, ioas, MOCK_APERTURE_START, 8 * PSZ,
				NULL));
	EXPECT_EQ(0, fdinfo_num(self->fd, "ioasid-pages-pinned"));
	munmap(buf, 8 * PSZ);
}

/* Events of one context, in the order things happened, numbered */
TEST_F(nl, events_order)
{
	struct nl_rec *ev = self->recs;
	__u32 ctx, ioas, stdev, hwpt;
	void *buf = alloc_buffer(4 * PSZ, PSZ, 0);
	char got[1024];
	int fd, n;

	NEED_NL();

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, gnl_join(&self->g));
	fd = ioasid_open();
	ASSERT_LE(0, fd);
	ctx = ctx_id_of(fd);
	ASSERT_EQ(0, ioas_alloc(fd, &ioas));
	ASSERT_EQ(0, mock_domain(fd, ioas, &stdev, &hwpt, NULL));
	ASSERT_EQ(0, ioas_map(fd, ioas, buf, 4 * PSZ, MOCK_APERTURE_START));
	ASSERT_EQ(0, ioas_unmap(fd, ioas, MOCK_APERTURE_START, 4 * PSZ, NULL));
	ASSERT_EQ(0, destroy_obj(fd, stdev));
	ASSERT_EQ(0, destroy_obj(fd, ioas));
	close(fd);
	munmap(buf, 4 * PSZ);

	n = gnl_events(&self->g, ev, MAX_RECS, ctx, 200);
	event_string(ev, n, got, sizeof(got));
	TH_LOG("events: %s", got);
	/*
	 * MOCK_DOMAIN binds a mock device (create, bind), makes an auto
	 * HWPT and attaches it (create, attach) and publishes its selftest
	 * object; destroying that object detaches, destroys the HWPT
	 * no one uses and unbinds
	 */
	EXPECT_STREQ("open create:ioas create:device bind create:hwpt attach create:selftest "
		     "map unmap detach destroy:hwpt unbind destroy:device destroy:selftest "
		     "destroy:ioas close", got);
	EXPECT_TRUE(seq_contiguous(ev, n));
	EXPECT_EQ(IOASID_NL_EVENT_CTX_OPEN, ev[0].v[IOASID_NL_A_EVENT]);
	EXPECT_EQ(getpid(), ev[0].v[IOASID_NL_A_PID]);
	EXPECT_EQ(0, ev[0].v[IOASID_NL_A_UID]);
}

/* Events of every context go to root's listener, each in its own order */
TEST_F(nl, events_two_contexts)
{
	struct nl_rec *ev = self->recs;
	__u32 c1, c2, a1, a2;
	int fd2, n, i, last1 = 0, last2 = 0;

	NEED_NL();

	ASSERT_EQ(0, gnl_join(&self->g));
	c1 = ctx_id_of(self->fd);
	fd2 = ioasid_open();
	ASSERT_LE(0, fd2);
	c2 = ctx_id_of(fd2);
	ASSERT_NE(c1, c2);
	ASSERT_EQ(0, ioas_alloc(self->fd, &a1));
	ASSERT_EQ(0, ioas_alloc(fd2, &a2));
	ASSERT_EQ(0, destroy_obj(fd2, a2));
	close(fd2);
	n = gnl_events(&self->g, ev, MAX_RECS, 0, 200);
	ASSERT_LE(5, n);
	EXPECT_TRUE(seq_contiguous(ev, n));
	for (i = 0; i < n; i++) {
		if (ev[i].v[IOASID_NL_A_CTX_ID] == c1)
			last1 = ev[i].v[IOASID_NL_A_EVENT];
		if (ev[i].v[IOASID_NL_A_CTX_ID] == c2)
			last2 = ev[i].v[IOASID_NL_A_EVENT];
	}
	EXPECT_EQ(IOASID_NL_EVENT_OBJ_CREATE, last1);
	EXPECT_EQ(IOASID_NL_EVENT_CTX_CLOSE, last2);
}

/*
 * A user who is not root: sees only their own contexts, is refused a
 * filter on root's, and cannot join the event group; root's listener gets
 * the user's events with their UID
 */
TEST_F(nl, unprivileged)
{
	__u32 root_ctx = ctx_id_of(self->fd), user_ctx = 0;
	struct nl_rec *ev = self->recs;
	struct stat st;
	int p[2], status, n;
	pid_t pid;
	__u32 ioas;
	void *buf;

	NEED_NL();

	/* Root's context has an area for the user's dumps to miss */
	buf = alloc_buffer(PSZ, PSZ, 0);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, ioas_alloc(self->fd, &ioas));
	ASSERT_EQ(0, ioas_map(self->fd, ioas, buf, PSZ, MOCK_APERTURE_START));
	ASSERT_EQ(0, gnl_join(&self->g));
	ASSERT_EQ(0, stat(IOASID_DEV, &st));
	ASSERT_EQ(0, chmod(IOASID_DEV, 0666));
	ASSERT_EQ(0, pipe(p));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct nl_rec *r = calloc(MAX_RECS, sizeof(*r));
		struct gnl g;
		__u32 id;
		int fd;

#define CHILD(cond, code) do { if (!(cond)) _exit(code); } while (0)
		CHILD(r, 10);
		CHILD(!setresgid(USER, USER, USER) &&
		      !setresuid(USER, USER, USER), 11);
		CHILD(!gnl_open(&g), 12);
		/* Not privileged */
		CHILD(gnl_req(&g, IOASID_NL_CMD_GET_VERSION, false, r, 1, 0) == 1,
		      13);
		CHILD(!r[0].has[IOASID_NL_A_PRIVILEGED], 14);
		/* Root's context is not there, and naming it is EPERM */
		n = gnl_req(&g, IOASID_NL_CMD_GET_CONTEXT, true, r, MAX_RECS, 0);
		CHILD(n >= 0 && !find_rec(r, n, IOASID_NL_A_CTX_ID, root_ctx), 15);
		CHILD(gnl_req(&g, IOASID_NL_CMD_GET_OBJECT, true, r, MAX_RECS,
			      IOASID_NL_A_CTX_ID, root_ctx, 0) == -EPERM, 16);
		CHILD(gnl_req(&g, IOASID_NL_CMD_GET_AREA, true, r, MAX_RECS,
			      IOASID_NL_A_CTX_ID, root_ctx, 0) == -EPERM, 17);
		n = gnl_req(&g, IOASID_NL_CMD_GET_DEVICE, true, r, MAX_RECS, 0);
		CHILD(n >= 0 && !find_rec(r, n, IOASID_NL_A_CTX_ID, root_ctx), 18);
		n = gnl_req(&g, IOASID_NL_CMD_GET_OBJECT, true, r, MAX_RECS, 0);
		CHILD(n >= 0 && !find_rec(r, n, IOASID_NL_A_CTX_ID, root_ctx), 19);
		/* An area dump of every context skips root's */
		n = gnl_req(&g, IOASID_NL_CMD_GET_AREA, true, r, MAX_RECS, 0);
		CHILD(n >= 0 && !find_rec(r, n, IOASID_NL_A_CTX_ID, root_ctx), 26);
		/* No event stream */
		CHILD(gnl_join(&g) == -EPERM, 20);
		/* Its own context: visible to itself */
		fd = open(IOASID_DEV, O_RDWR);
		CHILD(fd >= 0, 21);
		id = ctx_id_of(fd);
		CHILD(ioas_alloc(fd, &id) == 0, 22);
		id = ctx_id_of(fd);
		CHILD(write(p[1], &id, sizeof(id)) == sizeof(id), 23);
		n = gnl_req(&g, IOASID_NL_CMD_GET_CONTEXT, true, r, MAX_RECS, 0);
		CHILD(n == 1 && r[0].v[IOASID_NL_A_CTX_ID] == id &&
		      r[0].v[IOASID_NL_A_UID] == USER, 24);
		CHILD(gnl_req(&g, IOASID_NL_CMD_GET_OBJECT, true, r, MAX_RECS,
			      IOASID_NL_A_CTX_ID, id, 0) == 1, 25);
		close(fd);
		gnl_close(&g);
		_exit(0);
	}
	close(p[1]);
	if (read(p[0], &user_ctx, sizeof(user_ctx)) != sizeof(user_ctx))
		user_ctx = 0;
	close(p[0]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	chmod(IOASID_DEV, st.st_mode & 07777);
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	ASSERT_NE(0, user_ctx);
	/* Root's listener saw the user's context open and close, as its */
	n = gnl_events(&self->g, ev, MAX_RECS, user_ctx, 200);
	ASSERT_LE(2, n);
	EXPECT_EQ(IOASID_NL_EVENT_CTX_OPEN, ev[0].v[IOASID_NL_A_EVENT]);
	EXPECT_EQ(USER, ev[0].v[IOASID_NL_A_UID]);
	EXPECT_EQ(IOASID_NL_EVENT_CTX_CLOSE, ev[n - 1].v[IOASID_NL_A_EVENT]);
	/* Root's own dump has the area */
	n = gnl_req(&self->g, IOASID_NL_CMD_GET_AREA, true, ev, MAX_RECS, 0);
	EXPECT_NE(NULL, find_rec(ev, n > 0 ? n : 0, IOASID_NL_A_CTX_ID,
				 root_ctx));
	EXPECT_EQ(0, ioas_unmap(self->fd, ioas, MOCK_APERTURE_START, PSZ,
				NULL));
	munmap(buf, PSZ);
}

/* Raw bytes after the genl header, sent as command @cmd */
static int raw_req(struct gnl *g, __u8 cmd, __u16 reserved, bool dump,
		   const void *attrs, size_t len)
{
	int rc = gnl_send_raw(g, g->family, cmd, IOASID_GENL_VERSION, reserved,
			      dump ? NLM_F_DUMP : 0, attrs, len);

	return rc ? rc : gnl_recv(g, NULL, 0);
}

/* Malformed and oversized requests: an errno, a message, nothing leaks */
TEST_F(nl, malformed)
{
	static const __u8 dumps[] = {
		IOASID_NL_CMD_GET_CONTEXT, IOASID_NL_CMD_GET_OBJECT,
		IOASID_NL_CMD_GET_AREA, IOASID_NL_CMD_GET_DEVICE,
		IOASID_NL_CMD_GET_HWPT,
	};
	__u32 ctx = ctx_id_of(self->fd), ioas;
	char attrs[512];
	char *big;
	size_t off;
	__u16 v16 = 1;
	__u64 v64 = 1;
	unsigned int i;

	NEED_NL();

	ASSERT_EQ(0, ioas_alloc(self->fd, &ioas));
	for (i = 0; i != sizeof(dumps); i++) {
		/* An attribute the family does not know */
		off = 0;
		nl_put_u32(attrs, &off, IOASID_NL_A_MAX + 7, 1);
		EXPECT_EQ(-EINVAL, raw_req(&self->g, dumps[i], 0, true, attrs, off));
		/* One the command does not take */
		off = 0;
		nl_put_u32(attrs, &off, IOASID_NL_A_SEQ, 1);
		EXPECT_EQ(-EINVAL, raw_req(&self->g, dumps[i], 0, true, attrs, off));
		/* The right one, too short and too long */
		off = 0;
		nl_put(attrs, &off, IOASID_NL_A_CTX_ID, &v16, sizeof(v16));
		EXPECT_EQ(-EINVAL, raw_req(&self->g, dumps[i], 0, true, attrs, off));
		off = 0;
		nl_put(attrs, &off, IOASID_NL_A_CTX_ID, &v64, sizeof(v64));
		EXPECT_EQ(-EINVAL, raw_req(&self->g, dumps[i], 0, true, attrs, off));
		/* Context 0 does not exist */
		off = 0;
		nl_put_u32(attrs, &off, IOASID_NL_A_CTX_ID, 0);
		EXPECT_EQ(-ERANGE, raw_req(&self->g, dumps[i], 0, true, attrs, off));
		/* Nor does 0xffffffff */
		EXPECT_EQ(-ENOENT, gnl_req(&self->g, dumps[i], true, NULL, 0,
					   IOASID_NL_A_CTX_ID, 0xffffffffu, 0));
		/* An attribute whose length runs past the message */
		off = 0;
		nl_put_u32(attrs, &off, IOASID_NL_A_CTX_ID, ctx);
		((struct nlattr *)attrs)->nla_len = 200;
		EXPECT_EQ(-EINVAL, raw_req(&self->g, dumps[i], 0, true, attrs, off));
		/* Trailing bytes that are no attribute */
		off = 0;
		nl_put_u32(attrs, &off, IOASID_NL_A_CTX_ID, ctx);
		EXPECT_EQ(-EINVAL, raw_req(&self->g, dumps[i], 0, true, attrs, off + 2));
		/* A non-zero reserved field of the genl header */
		EXPECT_EQ(-EINVAL, raw_req(&self->g, dumps[i], 1, true, NULL, 0));
		/* The same attribute twice is fine (the last one counts) */
		off = 0;
		nl_put_u32(attrs, &off, IOASID_NL_A_CTX_ID, 0xffffffffu);
		nl_put_u32(attrs, &off, IOASID_NL_A_CTX_ID, ctx);
		EXPECT_LE(0, raw_req(&self->g, dumps[i], 0, true, attrs, off));
	}
	/* An IOAS without its context; an IOAS that is no IOAS */
	EXPECT_EQ(-EINVAL, gnl_req(&self->g, IOASID_NL_CMD_GET_AREA, true, NULL,
				   0, IOASID_NL_A_IOAS_ID, ioas, 0));
	EXPECT_EQ(-ENOENT, gnl_req(&self->g, IOASID_NL_CMD_GET_AREA, true, NULL,
				   0, IOASID_NL_A_CTX_ID, ctx,
				   IOASID_NL_A_IOAS_ID, ioas + 100, 0));
	/* A doit with an attribute it does not take */
	off = 0;
	nl_put_u32(attrs, &off, IOASID_NL_A_CTX_ID, ctx);
	EXPECT_EQ(-EINVAL, raw_req(&self->g, IOASID_NL_CMD_GET_STATS, 0, false,
				   attrs, off));
	/* The event command, unknown commands, a dump of a doit */
	EXPECT_EQ(-EOPNOTSUPP, raw_req(&self->g, IOASID_NL_CMD_EVENT, 0, false,
				       NULL, 0));
	EXPECT_EQ(-EOPNOTSUPP, raw_req(&self->g, IOASID_NL_CMD_MAX + 1, 0,
				       false, NULL, 0));
	EXPECT_EQ(-EOPNOTSUPP, raw_req(&self->g, 255, 0, true, NULL, 0));
	EXPECT_EQ(-EOPNOTSUPP, raw_req(&self->g, IOASID_NL_CMD_GET_STATS, 0,
				       true, NULL, 0));
	EXPECT_EQ(-EOPNOTSUPP, raw_req(&self->g, IOASID_NL_CMD_GET_CONTEXT, 0,
				       false, NULL, 0));
	/* Oversized: 32 KiB of attributes */
	big = calloc(1, 32768);
	ASSERT_NE(NULL, big);
	for (off = 0; off + 8 <= 32768;)
		nl_put_u32(big, &off, IOASID_NL_A_MAX + 1, 0);
	EXPECT_EQ(-EINVAL, raw_req(&self->g, IOASID_NL_CMD_GET_CONTEXT, 0, true,
				   big, off));
	off = 0;
	memset(big + 16384, 0, 16000);
	nl_put(big, &off, IOASID_NL_A_VERSION, big + 16384, 16000);
	EXPECT_EQ(-EINVAL, raw_req(&self->g, IOASID_NL_CMD_GET_VERSION, 0,
				   false, big, off));
	free(big);
	/* After all that, the family still answers */
	EXPECT_EQ(1, gnl_req(&self->g, IOASID_NL_CMD_GET_CONTEXT, true, NULL, 0,
			     IOASID_NL_A_CTX_ID, ctx, 0));
}

/* Dumps racing contexts that map, attach and close, and IOAS destroys */
struct race {
	volatile bool stop;
	unsigned long rounds;
	int destroy_busy;
	int err;
};

static void *race_churn(void *arg)
{
	struct race *rc = arg;
	void *buf = alloc_buffer(64 * PSZ, PSZ, 0);

	if (!buf) {
		rc->err = ENOMEM;
		return NULL;
	}
	while (!rc->stop) {
		__u32 ioas, ioas2;
		int fd = ioasid_open(), i;

		if (fd < 0) {
			rc->err = errno;
			break;
		}
		if (ioas_alloc(fd, &ioas) || ioas_alloc(fd, &ioas2) ||
		    mock_domain(fd, ioas, NULL, NULL, NULL)) {
			rc->err = EIO;
			close(fd);
			break;
		}
		for (i = 0; i != 8; i++)
			ioas_map(fd, ioas, (char *)buf + i * 8 * PSZ, 8 * PSZ,
				 MOCK_APERTURE_START + i * 0x10000);
		ioas_map(fd, ioas2, buf, 64 * PSZ, MOCK_APERTURE_START);
		/* A dump must never make a destroy fail */
		if (destroy_obj(fd, ioas2) == EBUSY)
			rc->destroy_busy++;
		/* Half the time the context goes with everything in it */
		if (rc->rounds & 1)
			ioas_unmap(fd, ioas, 0, UINT64_MAX, NULL);
		close(fd);
		rc->rounds++;
	}
	munmap(buf, 64 * PSZ);
	return NULL;
}

TEST_F(nl, dump_race)
{
	static const __u8 cmds[] = {
		IOASID_NL_CMD_GET_CONTEXT, IOASID_NL_CMD_GET_OBJECT,
		IOASID_NL_CMD_GET_AREA, IOASID_NL_CMD_GET_DEVICE,
		IOASID_NL_CMD_GET_HWPT,
	};
	struct race race = { 0 };
	unsigned int i, dumps = 0, busy = 0, other = 0;
	pthread_t t;
	time_t end;
	int n;

	NEED_NL();

	ASSERT_EQ(0, pthread_create(&t, NULL, race_churn, &race));
	end = time(NULL) + 3 * time_scale();
	while (time(NULL) < end) {
		for (i = 0; i != sizeof(cmds); i++) {
			n = gnl_req(&self->g, cmds[i], true, self->recs,
				    MAX_RECS, 0);
			if (n == -EAGAIN)
				busy++;
			else if (n < 0)
				other++;
			dumps++;
		}
	}
	race.stop = true;
	pthread_join(t, NULL);
	TH_LOG("%u dumps (%u EAGAIN) over %lu contexts", dumps, busy,
	       race.rounds);
	EXPECT_EQ(0, race.err);
	EXPECT_EQ(0, other);
	EXPECT_EQ(0, race.destroy_busy);
	EXPECT_LT(10, race.rounds);
}

/*
 * DMA fault events (the test op stands in for an IOMMU's fault handler):
 * at most IOASID_NL_FAULT_BURST a second per context, the others counted
 * as lost, in the context's dump and in the next event sent
 */
TEST_F(nl, fault_rate_limit)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_IOASID_NL_FAULT,
		.id = 7,
		.nl_fault = { .hwpt_id = 9, .perm = 2, .addr = 0xdead000,
			      .count = 100 },
	};
	__u32 ctx = ctx_id_of(self->fd);
	struct nl_rec *r = self->recs;
	int n, i;

	NEED_NL();

	/* Without a listener: counted, not lost */
	cmd.nl_fault.count = 5;
	ASSERT_EQ(0, test_cmd(self->fd, &cmd));
	ASSERT_EQ(1, gnl_req(&self->g, IOASID_NL_CMD_GET_CONTEXT, true, r, 1,
			     IOASID_NL_A_CTX_ID, ctx, 0));
	EXPECT_EQ(5, r[0].v[IOASID_NL_A_FAULTS]);
	EXPECT_EQ(0, r[0].v[IOASID_NL_A_FAULTS_LOST]);

	ASSERT_EQ(0, gnl_join(&self->g));
	cmd.nl_fault.count = 100;
	ASSERT_EQ(0, test_cmd(self->fd, &cmd));
	n = gnl_events(&self->g, r, MAX_RECS, ctx, 300);
	ASSERT_EQ(IOASID_NL_FAULT_BURST, n);
	for (i = 0; i < n; i++) {
		EXPECT_EQ(IOASID_NL_EVENT_FAULT, r[i].v[IOASID_NL_A_EVENT]);
		EXPECT_EQ(7, r[i].v[IOASID_NL_A_DEV_ID]);
		EXPECT_EQ(9, r[i].v[IOASID_NL_A_HWPT_ID]);
		EXPECT_EQ(0xdead000, r[i].v[IOASID_NL_A_FAULT_ADDR]);
		EXPECT_EQ(IOASID_NL_FAULT_PERM_WRITE,
			  r[i].v[IOASID_NL_A_FAULT_PERM]);
		EXPECT_EQ(0, r[i].v[IOASID_NL_A_LOST]);
	}
	ASSERT_EQ(1, gnl_req(&self->g, IOASID_NL_CMD_GET_CONTEXT, true, r, 1,
			     IOASID_NL_A_CTX_ID, ctx, 0));
	EXPECT_EQ(105, r[0].v[IOASID_NL_A_FAULTS]);
	EXPECT_EQ(100 - IOASID_NL_FAULT_BURST, r[0].v[IOASID_NL_A_FAULTS_LOST]);

	/* A second later the next one goes out and says what was lost */
	usleep(1100 * 1000);
	cmd.nl_fault.count = 1;
	ASSERT_EQ(0, test_cmd(self->fd, &cmd));
	n = gnl_events(&self->g, r, MAX_RECS, ctx, 300);
	ASSERT_EQ(1, n);
	EXPECT_EQ(100 - IOASID_NL_FAULT_BURST, r[0].v[IOASID_NL_A_LOST]);

	/* The op's own limits */
	cmd.nl_fault.count = IOASID_TEST_NL_FAULT_MAX + 1;
	EXPECT_EQ(EINVAL, test_cmd(self->fd, &cmd));
	cmd.nl_fault.count = 1;
	cmd.nl_fault.perm = 8;
	EXPECT_EQ(EOPNOTSUPP, test_cmd(self->fd, &cmd));
}

/*
 * The faults a fault queue gets reach the family too: a page request of a
 * mock device and a DMA fault its IOMMU reports through
 * report_iommu_fault(), each as an event with the device, HWPT, address
 * and access, and counted in the context
 */
TEST_F(nl, fault_queue_events)
{
	__u32 ioas, stdev, hwpt, idev, fault, fhwpt, handled = 0;
	__u32 ctx = ctx_id_of(self->fd);
	struct nl_rec *r = self->recs;
	int ffd, n;

	NEED_NL();
	ASSERT_EQ(0, ioas_alloc(self->fd, &ioas));
	ASSERT_EQ(0, mock_domain(self->fd, ioas, &stdev, &hwpt, &idev));
	ASSERT_EQ(0, fault_alloc(self->fd, &fault, &ffd));
	/* The fault queue is an object of its own kind */
	EXPECT_EQ(1, fdinfo_num(self->fd, "ioasid-objects-fault"));
	ASSERT_EQ(0, hwpt_alloc_fault(self->fd, idev, ioas, fault, 0, &fhwpt));
	ASSERT_EQ(0, mock_domain_replace(self->fd, stdev, fhwpt, NULL));
	ASSERT_EQ(0, gnl_join(&self->g));

	ASSERT_EQ(0, trigger_iopf(self->fd, idev, 0, 1,
				  IOMMU_PGFAULT_PERM_READ, 0x400000));
	ASSERT_EQ(0, report_dma_fault(self->fd, idev, 0x500000,
				      MOCK_DMA_FAULT_WRITE, 1, &handled));
	EXPECT_EQ(1, handled);
	n = gnl_events(&self->g, r, MAX_RECS, ctx, 300);
	ASSERT_EQ(2, n);
	EXPECT_EQ(IOASID_NL_EVENT_FAULT, r[0].v[IOASID_NL_A_EVENT]);
	EXPECT_EQ(idev, r[0].v[IOASID_NL_A_DEV_ID]);
	EXPECT_EQ(fhwpt, r[0].v[IOASID_NL_A_HWPT_ID]);
	EXPECT_EQ(0x400000, r[0].v[IOASID_NL_A_FAULT_ADDR]);
	EXPECT_EQ(IOASID_NL_FAULT_PERM_READ, r[0].v[IOASID_NL_A_FAULT_PERM]);
	EXPECT_EQ(IOASID_NL_EVENT_FAULT, r[1].v[IOASID_NL_A_EVENT]);
	EXPECT_EQ(idev, r[1].v[IOASID_NL_A_DEV_ID]);
	EXPECT_EQ(0x500000, r[1].v[IOASID_NL_A_FAULT_ADDR]);
	EXPECT_EQ(IOASID_NL_FAULT_PERM_WRITE, r[1].v[IOASID_NL_A_FAULT_PERM]);
	ASSERT_EQ(1, gnl_req(&self->g, IOASID_NL_CMD_GET_CONTEXT, true, r, 1,
			     IOASID_NL_A_CTX_ID, ctx, 0));
	EXPECT_EQ(2, r[0].v[IOASID_NL_A_FAULTS]);
	close(ffd);
}

/* --------------------------------------------- a real edu, companion */

FIXTURE(nl_edu)
{
	struct ioasid_env env;
	struct gnl g, ev;	/* requests; events */
	bool no_nl;
	struct vdev_info edu;
	int fd, dfd;
	struct nl_rec *recs;
};

FIXTURE_SETUP(nl_edu)
{
	self->fd = self->dfd = -1;
	self->g.fd = self->ev.fd = -1;
	env_begin(&self->env);
	self->recs = calloc(MAX_RECS, sizeof(*self->recs));
	ASSERT_NE(NULL, self->recs);
	ASSERT_EQ(0, find_dev(DEV_EDU, 0, &self->edu));
	ASSERT_EQ(0, gnl_open_or_none(&self->g, &self->no_nl));
	if (!self->no_nl) {
		ASSERT_EQ(0, gnl_open(&self->ev));
		ASSERT_EQ(0, gnl_join(&self->ev));
	}
	self->fd = ioasid_open();
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(nl_edu)
{
	if (self->dfd >= 0)
		close(self->dfd);
	if (self->fd >= 0)
		close(self->fd);
	gnl_close(&self->g);
	gnl_close(&self->ev);
	free(self->recs);
	env_end(&self->env);
}

/* The fdinfo of a device fd opened but not bound: its name, "no", and no more */
TEST_F(nl_edu, fdinfo_unbound)
{
	char s[64];

	self->dfd = open(self->edu.cdev, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->dfd);
	ASSERT_TRUE(fdinfo_str(self->dfd, "vfio-device", s, sizeof(s)));
	EXPECT_STREQ(self->edu.bdf, s);
	ASSERT_TRUE(fdinfo_str(self->dfd, "ioasid-bound", s, sizeof(s)));
	EXPECT_STREQ("no", s);
	EXPECT_FALSE(fdinfo_str(self->dfd, "ioasid-ctx", s, sizeof(s)));
	EXPECT_FALSE(fdinfo_str(self->dfd, "ioasid-dev-id", s, sizeof(s)));
	EXPECT_FALSE(fdinfo_str(self->dfd, "ioasid-hwpt-id", s, sizeof(s)));
	/* Bound, the same fd says so */
	ASSERT_EQ(0, dev_bind(self->dfd, self->fd, NULL));
	ASSERT_TRUE(fdinfo_str(self->dfd, "ioasid-bound", s, sizeof(s)));
	EXPECT_STREQ("yes", s);
	EXPECT_EQ(ctx_id_of(self->fd), fdinfo_num(self->dfd, "ioasid-ctx"));
}

TEST_F(nl_edu, view_and_events)
{
	__u32 ctx = ctx_id_of(self->fd), ioas, devid, pt;
	struct nl_rec *r = self->recs;
	void *buf = alloc_buffer(8 * PSZ, PSZ, 0);
	char s[64], got[1024];
	int n;

	NEED_NL();

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, ioas_alloc(self->fd, &ioas));
	self->dfd = dev_open_bound(self->edu.cdev, self->fd, &devid);
	ASSERT_LE(0, self->dfd);
	/* The device fd's fdinfo: bound, not attached */
	ASSERT_TRUE(fdinfo_str(self->dfd, "vfio-device", s, sizeof(s)));
	EXPECT_STREQ(self->edu.bdf, s);
	ASSERT_TRUE(fdinfo_str(self->dfd, "ioasid-bound", s, sizeof(s)));
	EXPECT_STREQ("yes", s);
	EXPECT_EQ(ctx, fdinfo_num(self->dfd, "ioasid-ctx"));
	EXPECT_EQ(devid, fdinfo_num(self->dfd, "ioasid-dev-id"));
	EXPECT_EQ(0, fdinfo_num(self->dfd, "ioasid-hwpt-id"));
	pt = ioas;
	ASSERT_EQ(0, dev_attach(self->dfd, &pt));
	ASSERT_NE(ioas, pt);
	EXPECT_EQ(pt, fdinfo_num(self->dfd, "ioasid-hwpt-id"));
	ASSERT_EQ(0, ioas_map(self->fd, ioas, buf, 8 * PSZ, 0x100000));

	/* The device as the dump shows it */
	n = gnl_req(&self->g, IOASID_NL_CMD_GET_DEVICE, true, r, MAX_RECS,
		    IOASID_NL_A_CTX_ID, ctx, 0);
	ASSERT_EQ(1, n);
	EXPECT_EQ(devid, r[0].v[IOASID_NL_A_DEV_ID]);
	EXPECT_STREQ(self->edu.bdf, r[0].dev_name);
	EXPECT_EQ(self->edu.group, r[0].v[IOASID_NL_A_GROUP]);
	EXPECT_EQ(pt, r[0].v[IOASID_NL_A_HWPT_ID]);
	EXPECT_NE(0, r[0].iommu[0]);
	/* Its HWPT: a real IOMMU's UNMANAGED domain (type 1) */
	n = gnl_req(&self->g, IOASID_NL_CMD_GET_HWPT, true, r, MAX_RECS,
		    IOASID_NL_A_CTX_ID, ctx, 0);
	ASSERT_EQ(1, n);
	EXPECT_EQ(pt, r[0].v[IOASID_NL_A_HWPT_ID]);
	EXPECT_EQ(1, r[0].v[IOASID_NL_A_DOMAIN_TYPE]);
	EXPECT_EQ(IOASID_NL_HWPT_AUTO, r[0].v[IOASID_NL_A_HWPT_KIND]);
	EXPECT_NE(0, r[0].iommu[0]);
	EXPECT_STRNE("ioasid-mock", r[0].iommu);
	TH_LOG("edu %s: IOMMU %s, page sizes 0x%llx", self->edu.bdf,
	       r[0].iommu, (unsigned long long)r[0].v[IOASID_NL_A_PGSIZES]);
	/* The mapping, pinned for the domain */
	n = gnl_req(&self->g, IOASID_NL_CMD_GET_AREA, true, r, MAX_RECS,
		    IOASID_NL_A_CTX_ID, ctx, 0);
	ASSERT_EQ(1, n);
	EXPECT_EQ(0x100000, r[0].v[IOASID_NL_A_IOVA]);
	EXPECT_EQ(8, r[0].v[IOASID_NL_A_PAGES]);
	EXPECT_TRUE(r[0].has[IOASID_NL_A_PINNED]);
	ASSERT_EQ(1, gnl_req(&self->g, IOASID_NL_CMD_GET_CONTEXT, true, r, 1,
			     IOASID_NL_A_CTX_ID, ctx, 0));
	EXPECT_EQ(8, r[0].v[IOASID_NL_A_PAGES_PINNED]);
	EXPECT_EQ(3, r[0].v[IOASID_NL_A_NR_OBJECTS]);

	/* Detach, close the device, then the context */
	ASSERT_EQ(0, dev_detach(self->dfd));
	EXPECT_EQ(0, fdinfo_num(self->dfd, "ioasid-hwpt-id"));
	close(self->dfd);
	self->dfd = -1;
	close(self->fd);
	self->fd = -1;
	munmap(buf, 8 * PSZ);
	n = gnl_events(&self->ev, r, MAX_RECS, ctx, 200);
	event_string(r, n, got, sizeof(got));
	TH_LOG("events: %s", got);
	EXPECT_STREQ("open create:ioas create:device bind create:hwpt attach map "
		     "detach destroy:hwpt unbind destroy:device destroy:ioas close",
		     got);
	EXPECT_TRUE(seq_contiguous(r, n));
	/* Gone */
	n = gnl_req(&self->g, IOASID_NL_CMD_GET_DEVICE, true, r, MAX_RECS, 0);
	ASSERT_LE(0, n);
	EXPECT_EQ(NULL, find_rec(r, n, IOASID_NL_A_CTX_ID, ctx));
}

/* ioasidctl shows what the test made, and nothing once it is closed */
TEST_F(nl_edu, ioasidctl)
{
	__u32 ctx = ctx_id_of(self->fd), ioas, devid, pt;
	void *buf = alloc_buffer(8 * PSZ, PSZ, 0);
	char cmd[512], out[8192], want[128];
	int fd2;

	NEED_NL();

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, access(ioasidctl(), X_OK));
	ASSERT_EQ(0, ioas_alloc(self->fd, &ioas));
	self->dfd = dev_open_bound(self->edu.cdev, self->fd, &devid);
	ASSERT_LE(0, self->dfd);
	pt = ioas;
	ASSERT_EQ(0, dev_attach(self->dfd, &pt));
	ASSERT_EQ(0, ioas_map(self->fd, ioas, buf, 8 * PSZ, 0x100000));

	/* list: one line for this context */
	snprintf(cmd, sizeof(cmd), "%s list", ioasidctl());
	ASSERT_EQ(0, run(cmd, out, sizeof(out)));
	TH_LOG("ioasidctl list:\n%s", out);
	snprintf(want, sizeof(want), " %u ioasid_netlink ", getpid());
	EXPECT_NE(NULL, strstr(out, want));
	/* --json list */
	snprintf(cmd, sizeof(cmd), "%s --json list", ioasidctl());
	ASSERT_EQ(0, run(cmd, out, sizeof(out)));
	snprintf(want, sizeof(want), "{\"ctx\": %u, \"pid\": %u, \"comm\": \"ioasid_netlink\"",
		 ctx, getpid());
	EXPECT_NE(NULL, strstr(out, want));
	snprintf(want, sizeof(want), "\"pages_pinned\": 8,");
	EXPECT_NE(NULL, strstr(out, want));
	/* show PID: the device, the HWPT, the mapping */
	snprintf(cmd, sizeof(cmd), "%s show %u", ioasidctl(), getpid());
	ASSERT_EQ(0, run(cmd, out, sizeof(out)));
	TH_LOG("ioasidctl show:\n%s", out);
	EXPECT_NE(NULL, strstr(out, self->edu.bdf));
	EXPECT_NE(NULL, strstr(out, "0x0000000000100000 0x0000000000107fff   rw        8    yes anon"));
	snprintf(cmd, sizeof(cmd), "%s --json show ctx %u", ioasidctl(), ctx);
	ASSERT_EQ(0, run(cmd, out, sizeof(out)));
	TH_LOG("ioasidctl --json show ctx %u:\n%s", ctx, out);
	snprintf(want, sizeof(want), "\"name\": \"%s\"", self->edu.bdf);
	EXPECT_NE(NULL, strstr(out, want));
	snprintf(want, sizeof(want), "\"hwpt\": %u", pt);
	EXPECT_NE(NULL, strstr(out, want));
	/* The object count and the object list have keys of their own */
	EXPECT_NE(NULL, strstr(out, "\"nr_objects\": 3,"));
	EXPECT_NE(NULL, strstr(out, "\"objects\": [{\"type\": "));
	/* stats */
	snprintf(cmd, sizeof(cmd), "%s stats", ioasidctl());
	ASSERT_EQ(0, run(cmd, out, sizeof(out)));
	TH_LOG("ioasidctl stats:\n%s", out);
	EXPECT_NE(NULL, strstr(out, "contexts"));
	/* Usage errors are 2, a context that is not there 1 */
	snprintf(cmd, sizeof(cmd), "%s show 2>&1", ioasidctl());
	EXPECT_EQ(2, run(cmd, out, sizeof(out)));
	snprintf(cmd, sizeof(cmd), "%s show ctx 4294967295 2>&1", ioasidctl());
	EXPECT_EQ(1, run(cmd, out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "No such file or directory"));
	/* A user who is not root sees none of it, and cannot monitor */
	snprintf(cmd, sizeof(cmd), "%s --json list", ioasidctl());
	fd2 = fork();
	ASSERT_LE(0, fd2);
	if (!fd2) {
		int st;

		if (setresgid(USER, USER, USER) || setresuid(USER, USER, USER))
			_exit(10);
		st = run(cmd, out, sizeof(out));
		if (st || strcmp(out, "[]\n"))
			_exit(11);
		snprintf(cmd, sizeof(cmd), "%s show ctx %u 2>&1", ioasidctl(), ctx);
		if (run(cmd, out, sizeof(out)) != 1 || !strstr(out, "Operation not permitted"))
			_exit(12);
		snprintf(cmd, sizeof(cmd), "%s monitor -n 1 2>&1", ioasidctl());
		if (run(cmd, out, sizeof(out)) != 1 || !strstr(out, "CAP_SYS_ADMIN"))
			_exit(13);
		_exit(0);
	}
	{
		int status;

		ASSERT_EQ(fd2, waitpid(fd2, &status, 0));
		EXPECT_TRUE(WIFEXITED(status));
		EXPECT_EQ(0, WEXITSTATUS(status));
	}

	/* monitor sees the teardown, in order */
	{
		FILE *mon;

		/*
		 * detach, destroy:hwpt, unbind, destroy:device, then
		 * destroy:ioas and close; timeout(1) keeps a miscount from
		 * hanging the suite
		 */
		snprintf(cmd, sizeof(cmd), "timeout 20 %s monitor -n 6",
			 ioasidctl());
		mon = popen(cmd, "r");
		ASSERT_NE(NULL, mon);
		/* Let it join the group: it reads nothing before */
		usleep(300 * 1000);
		close(self->dfd);
		self->dfd = -1;
		close(self->fd);
		self->fd = -1;
		out[0] = 0;
		{
			size_t n = 0;

			while (n + 1 < sizeof(out) && fgets(out + n, sizeof(out) - n, mon))
				n += strlen(out + n);
		}
		EXPECT_EQ(0, pclose(mon));
		TH_LOG("ioasidctl monitor:\n%s", out);
		EXPECT_NE(NULL, strstr(out, " detach "));
		EXPECT_NE(NULL, strstr(out, " unbind "));
		EXPECT_NE(NULL, strstr(out, " close "));
		EXPECT_LT(strstr(out, " detach "), strstr(out, " unbind "));
		EXPECT_LT(strstr(out, " unbind "), strstr(out, " close "));
	}
	munmap(buf, 8 * PSZ);
	/* Empty once closed */
	snprintf(cmd, sizeof(cmd), "%s show ctx %u 2>&1", ioasidctl(), ctx);
	EXPECT_EQ(1, run(cmd, out, sizeof(out)));
}

TEST_HARNESS_MAIN
