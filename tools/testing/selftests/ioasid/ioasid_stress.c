// SPDX-License-Identifier: GPL-2.0-only
/*
 * Stress: threads that map, unmap, copy, attach, detach and close for a
 * bounded time (IOASID_STRESS_SECS, default 12 s) on two real edu devices
 * and on mock domains of one context, checking DMA data in between:
 *
 *  - a DMA worker per edu mirrors its buffers into two IOASes (MAP, then
 *    COPY or a second MAP) and checks that a pattern DMA'd through a mapped
 *    IOVA lands exactly in the buffer behind it, that a DMA to an IOVA that
 *    was just unmapped never lands in the buffer that was there, that a
 *    detached device's DMA is blocked, that replacing the IOAS switches the
 *    buffer a DMA reaches, and that closing and rebinding the device works;
 *  - churn threads map (fixed and automatic IOVAs), unmap (exact and
 *    several mappings at once), copy, read through an access and pin pages
 *    in windows of their own of the same IOASes;
 *  - a mock thread attaches and destroys mock domains on both IOASes while
 *    all of this runs, and checks what they map.
 *
 * Every thread works in its own IOVA window, so every call has one right
 * answer, checked.  At the end the context fd is closed before the device
 * fds, and the module's counters (objects, pins, charges, domains, groups)
 * must be back to 0, VmLck and VmPin to their start, and the kernel log
 * clean.  CAP_IPC_LOCK is dropped and the context charges the process, so
 * pins really move VmLck.
 */
#include <pthread.h>

#include "fuzz_utils.h"

#define DEFAULT_SECS 12.0
#define MiB (1ULL << 20)
/* Below edu's 28-bit DMA mask and inside the mock aperture (16 MiB..) */
#define DMA_WIN(d) (32 * MiB + (d) * 32 * MiB)		/* 32 and 64 MiB */
#define CHURN_WIN(j) (96 * MiB + (j) * 32 * MiB)	/* 96 and 128 MiB */
#define MOCK_WIN (160 * MiB)
#define AUTO_START (192 * MiB)				/* ALLOW_IOVAS */
#define AUTO_LAST (256 * MiB - 1)
#define WIN_SLOTS 2048					/* 4 pages a slot */
#define SLOT_SZ (4 * PSZ)
#define NCHURN 2
#define POOL_PAGES 32

static struct {
	uint64_t seed;
	bool seed_given;
	double secs;
} cfg;

struct shared {
	int fd;
	__u32 ioas[2];
	volatile bool stop;
	double deadline;
	struct watchdog wd;
	long findings;
};

static void __attribute__((format(printf, 3, 4)))
stress_finding(struct shared *s, const char *who, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "# FINDING stress seed=0x%llx %s: %s\n",
		(unsigned long long)cfg.seed, who, msg);
	__atomic_add_fetch(&s->findings, 1, __ATOMIC_RELAXED);
	/* Stop everybody: the state is worth looking at as it is */
	s->stop = true;
}

static bool running(struct shared *s)
{
	return !s->stop && now_secs() < s->deadline;
}

/* Memory for buffers: anonymous, a memfd (MAP_SHARED) and hugetlb */
struct pool {
	char *va[3];
	size_t len[3];
	int n;
};

static int pool_init(struct pool *p, bool huge)
{
	int memfd;

	memset(p, 0, sizeof(*p));
	p->va[0] = alloc_buffer(POOL_PAGES * PSZ, PSZ, 0);
	p->len[0] = POOL_PAGES * PSZ;
	memfd = memfd_create("ioasid_stress", MFD_CLOEXEC);
	if (!p->va[0] || memfd < 0 || ftruncate(memfd, POOL_PAGES * PSZ))
		return ENOMEM;
	p->va[1] = mmap(NULL, POOL_PAGES * PSZ, PROT_READ | PROT_WRITE,
			MAP_SHARED, memfd, 0);
	close(memfd);
	if (p->va[1] == MAP_FAILED)
		return ENOMEM;
	p->len[1] = POOL_PAGES * PSZ;
	p->n = 2;
	if (huge) {
		p->va[2] = mmap(NULL, HUGE_SZ, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB,
				-1, 0);
		if (p->va[2] != MAP_FAILED) {
			memset(p->va[2], 0, HUGE_SZ);
			p->len[2] = HUGE_SZ;
			p->n = 3;
		}
	}
	return 0;
}

static void pool_free(struct pool *p)
{
	int i;

	for (i = 0; i != p->n; i++)
		munmap(p->va[i], p->len[i]);
}

/* @n distinct pages of the pool */
static void pool_pages(struct pool *p, struct rng *r, char **out, int n)
{
	int i, j, k = rng_below(r, p->n);

	for (i = 0; i != n; i++) {
		do {
			out[i] = p->va[k] + rng_below(r, p->len[k] / PSZ) * PSZ;
			for (j = 0; j != i && out[j] != out[i]; j++)
				;
		} while (j != i);
	}
}

static void fill(char *p, size_t len, uint64_t seed)
{
	struct rng r = { seed };
	size_t i;

	for (i = 0; i != len; i++)
		p[i] = rng_next(&r);
}

/* ============================================================ DMA */

struct dma_worker {
	struct shared *s;
	int index;
	char name[16];
	struct vdev_info info;
	int dfd;
	struct edu e;
	int cur;		/* IOAS the device is attached to, -1 */
	struct rng rng;
	struct pool pool;
	long ops, checks;
	uint64_t seq;
};

#define DW_FAIL(w, fmt, ...) do {					\
	stress_finding((w)->s, (w)->name, fmt, ##__VA_ARGS__);		\
	return false;							\
} while (0)

/* A call that must succeed */
#define DW_OK(w, what, call) do {					\
	int __rc = (call);						\
	(w)->ops++;							\
	if (__rc)							\
		DW_FAIL(w, "%s: %s", what, ename(__rc));		\
} while (0)

static uint64_t dw_slot(struct dma_worker *w, uint64_t avoid)
{
	uint64_t iova;

	do {
		iova = DMA_WIN(w->index) + rng_below(&w->rng, WIN_SLOTS) *
		       SLOT_SZ;
	} while (iova == avoid);
	return iova;
}

/* Map a page at @iova in both IOASes: MAP and COPY, or two MAPs */
static bool map2(struct dma_worker *w, char *page, uint64_t iova)
{
	int fd = w->s->fd;
	__u64 dst = iova;

	DW_OK(w, "map in A", ioas_map(fd, w->s->ioas[0], page, PSZ, iova));
	if (rng_pct(&w->rng, 50))
		DW_OK(w, "copy A->B", ioas_copy(fd, w->s->ioas[1],
						w->s->ioas[0], iova, PSZ, &dst,
						MAP_FIXED_RW));
	else
		DW_OK(w, "map in B", ioas_map(fd, w->s->ioas[1], page, PSZ,
					      iova));
	return true;
}

static bool unmap2(struct dma_worker *w, uint64_t iova)
{
	__u64 done = 0;
	int i;

	for (i = 0; i != 2; i++) {
		DW_OK(w, "unmap",
		      ioas_unmap(w->s->fd, w->s->ioas[i], iova, PSZ, &done));
		if (done != PSZ)
			DW_FAIL(w, "unmap of one page removed %llu bytes",
				(unsigned long long)done);
	}
	return true;
}

static bool dma(struct dma_worker *w, uint64_t iova, __u32 off, __u32 len,
		bool to_ram)
{
	int rc = edu_dma(&w->e, iova, off, len, to_ram);

	w->ops++;
	if (rc)
		DW_FAIL(w, "edu DMA of %u bytes %s IOVA %#llx: %s", len,
			to_ram ? "to" : "from", (unsigned long long)iova,
			ename(rc));
	return true;
}

/* @len bytes at @p equal @want, and the rest of the page is @fillc */
static bool page_is(struct dma_worker *w, const char *what, const char *p,
		    size_t off, const char *want, size_t len, char fillc)
{
	size_t i;

	for (i = 0; i != PSZ; i++) {
		char c = i >= off && i < off + len ? want[i - off] : fillc;

		if (p[i] != c)
			DW_FAIL(w, "%s: byte %zu is %#x, want %#x (DMA of %zu bytes at offset %zu)",
				what, i, (unsigned char)p[i], (unsigned char)c,
				len, off);
	}
	return true;
}

static bool dw_attach(struct dma_worker *w, int ioas)
{
	__u32 pt = w->s->ioas[ioas];

	DW_OK(w, ioas ? "attach to B" : "attach to A",
	      dev_attach(w->dfd, &pt));
	if (pt == w->s->ioas[ioas])
		DW_FAIL(w, "attach returned the IOAS ID, not a HWPT");
	w->cur = ioas;
	return true;
}

static bool dw_open(struct dma_worker *w)
{
	w->dfd = open(w->info.cdev, O_RDWR | O_CLOEXEC);
	if (w->dfd < 0)
		DW_FAIL(w, "open %s: %s", w->info.cdev, ename(errno));
	DW_OK(w, "bind", dev_bind(w->dfd, w->s->fd, NULL));
	if (!dw_attach(w, rng_below(&w->rng, 2)))
		return false;
	DW_OK(w, "edu setup", edu_setup(&w->e, w->dfd));
	return true;
}

static void dw_close(struct dma_worker *w)
{
	edu_teardown(&w->e);
	if (w->dfd >= 0)
		close(w->dfd);
	w->dfd = -1;
	w->cur = -1;
}

/* RAM -> device -> RAM through mapped IOVAs moves exactly the bytes */
static bool check_roundtrip(struct dma_worker *w)
{
	__u32 len = 1 + rng_below(&w->rng, EDU_MAX_DMA);
	__u32 dev_off = rng_below(&w->rng, EDU_MAX_DMA - len + 1);
	size_t soff = rng_below(&w->rng, PSZ - len + 1);
	size_t doff = rng_below(&w->rng, PSZ - len + 1);
	uint64_t is = dw_slot(w, 0), id = dw_slot(w, is);
	char *pg[2];

	pool_pages(&w->pool, &w->rng, pg, 2);
	fill(pg[0], PSZ, ++w->seq);
	memset(pg[1], 0xee, PSZ);
	if (!map2(w, pg[0], is) || !map2(w, pg[1], id))
		return false;
	if (!dma(w, is + soff, dev_off, len, false) ||
	    !dma(w, id + doff, dev_off, len, true))
		return false;
	if (!page_is(w, "roundtrip", pg[1], doff, pg[0] + soff, len,
		     (char)0xee))
		return false;
	w->checks++;
	return unmap2(w, is) && unmap2(w, id);
}

/*
 * A DMA to an IOVA just unmapped never reaches the page that was there, even
 * though the IOMMU had the translation cached; mapped again to another page,
 * the IOVA reaches the new one.
 */
static bool check_unmapped(struct dma_worker *w)
{
	uint64_t is = dw_slot(w, 0), ix = dw_slot(w, is);
	char *pg[3], pattern[512];

	pool_pages(&w->pool, &w->rng, pg, 3);
	fill(pg[0], PSZ, ++w->seq);
	memcpy(pattern, pg[0], sizeof(pattern));
	memset(pg[1], 0x11, PSZ);
	memset(pg[2], 0xee, PSZ);
	if (!map2(w, pg[0], is) || !map2(w, pg[1], ix))
		return false;
	/* Through the IOVA once, so the IOTLB holds it, then the pattern */
	if (!dma(w, ix, 0, sizeof(pattern), false) ||
	    !dma(w, is, 0, sizeof(pattern), false))
		return false;
	if (!unmap2(w, ix) || !dma(w, ix, 0, sizeof(pattern), true))
		return false;
	if (!page_is(w, "DMA to an unmapped IOVA", pg[1], 0, pattern, 0,
		     0x11))
		return false;
	if (!map2(w, pg[2], ix) || !dma(w, ix, 0, sizeof(pattern), true))
		return false;
	if (!page_is(w, "remapped IOVA", pg[2], 0, pattern, sizeof(pattern),
		     (char)0xee) ||
	    !page_is(w, "the old page after remap", pg[1], 0, pattern, 0,
		     0x11))
		return false;
	w->checks++;
	return unmap2(w, is) && unmap2(w, ix);
}

/* A detached device's DMA is blocked; attached again it flows */
static bool check_detach(struct dma_worker *w)
{
	uint64_t is = dw_slot(w, 0), id = dw_slot(w, is);
	char *pg[2], pattern[256];
	int back = rng_below(&w->rng, 2);

	pool_pages(&w->pool, &w->rng, pg, 2);
	fill(pg[0], PSZ, ++w->seq);
	memcpy(pattern, pg[0], sizeof(pattern));
	memset(pg[1], 0x22, PSZ);
	if (!map2(w, pg[0], is) || !map2(w, pg[1], id) ||
	    !dma(w, is, 0, sizeof(pattern), false))
		return false;
	DW_OK(w, "detach", dev_detach(w->dfd));
	w->cur = -1;
	if (!dma(w, id, 0, sizeof(pattern), true) ||
	    !page_is(w, "DMA while detached", pg[1], 0, pattern, 0, 0x22))
		return false;
	if (!dw_attach(w, back) || !dma(w, id, 0, sizeof(pattern), true) ||
	    !page_is(w, "DMA after attaching again", pg[1], 0, pattern,
		     sizeof(pattern), 0x22))
		return false;
	w->checks++;
	return unmap2(w, is) && unmap2(w, id);
}

/*
 * The same IOVA maps page Q in A and page R in B: the IOAS the device is
 * attached to decides which one a DMA reaches, across a replace.
 */
static bool check_replace(struct dma_worker *w)
{
	uint64_t is = dw_slot(w, 0), iq = dw_slot(w, is);
	char *pg[3], pattern[384];
	int fd = w->s->fd, k, to;

	pool_pages(&w->pool, &w->rng, pg, 3);
	fill(pg[0], PSZ, ++w->seq);
	memcpy(pattern, pg[0], sizeof(pattern));
	memset(pg[1], 0x33, PSZ);
	memset(pg[2], 0x44, PSZ);
	if (!map2(w, pg[0], is))
		return false;
	DW_OK(w, "map Q in A", ioas_map(fd, w->s->ioas[0], pg[1], PSZ, iq));
	DW_OK(w, "map R in B", ioas_map(fd, w->s->ioas[1], pg[2], PSZ, iq));
	if (!dma(w, is, 0, sizeof(pattern), false))
		return false;
	for (k = 0; k != 2; k++) {
		to = w->cur < 0 ? 0 : !w->cur;
		if (!dw_attach(w, to) ||
		    !dma(w, iq, 0, sizeof(pattern), true))
			return false;
		if (!page_is(w, "after replace, the attached IOAS's page",
			     pg[1 + to], 0, pattern, sizeof(pattern),
			     to ? 0x44 : 0x33) ||
		    !page_is(w, "after replace, the other IOAS's page",
			     pg[2 - to], 0, pattern, 0, to ? 0x33 : 0x44))
			return false;
		memset(pg[1 + to], to ? 0x44 : 0x33, PSZ);
	}
	DW_OK(w, "unmap Q", ioas_unmap(fd, w->s->ioas[0], iq, PSZ, NULL));
	DW_OK(w, "unmap R", ioas_unmap(fd, w->s->ioas[1], iq, PSZ, NULL));
	w->checks++;
	return unmap2(w, is);
}

/* Close the device fd (unbind), open, bind and attach it again */
static bool check_reopen(struct dma_worker *w)
{
	dw_close(w);
	w->ops++;
	if (!dw_open(w))
		return false;
	return check_roundtrip(w);
}

static void *dma_fn(void *arg)
{
	struct dma_worker *w = arg;
	bool ok = true;

	while (ok && running(w->s)) {
		switch (rng_below(&w->rng, 10)) {
		case 0:
		case 1:
		case 2:
			ok = check_roundtrip(w);
			break;
		case 3:
		case 4:
			ok = check_unmapped(w);
			break;
		case 5:
		case 6:
			ok = check_replace(w);
			break;
		case 7:
		case 8:
			ok = check_detach(w);
			break;
		default:
			ok = check_reopen(w);
			break;
		}
	}
	return NULL;
}

/* ========================================================== churn */

struct mapping {
	uint64_t iova, len;
	int ioas;
	char *buf;
};

struct churn {
	struct shared *s;
	int index;
	char name[16];
	struct rng rng;
	char *buf;		/* POOL_PAGES pages */
	struct mapping m[64];
	int n;
	int access_fd;
	long ops;
};

#define CH_OK(c, what, call) do {					\
	int __rc = (call);						\
	(c)->ops++;							\
	if (__rc) {							\
		stress_finding((c)->s, (c)->name, "%s: %s", what,	\
			       ename(__rc));				\
		return false;						\
	}								\
} while (0)

static bool churn_overlaps(struct churn *c, int ioas, uint64_t iova,
			   uint64_t len)
{
	int i;

	for (i = 0; i != c->n; i++)
		if (c->m[i].ioas == ioas && iova < c->m[i].iova + c->m[i].len &&
		    c->m[i].iova < iova + len)
			return true;
	return false;
}

static bool churn_map(struct churn *c, bool fixed)
{
	uint64_t pages = 1 + rng_below(&c->rng, 4);
	char *buf = c->buf + rng_below(&c->rng, POOL_PAGES - pages + 1) * PSZ;
	int ioas = rng_below(&c->rng, 2);
	__u64 iova = 0;

	if (c->n == ARRAY_SIZE(c->m))
		return true;
	if (fixed) {
		iova = CHURN_WIN(c->index) +
		       rng_below(&c->rng, WIN_SLOTS) * SLOT_SZ;
		if (churn_overlaps(c, ioas, iova, pages * PSZ))
			return true;
		CH_OK(c, "map", ioas_map(c->s->fd, c->s->ioas[ioas], buf,
					 pages * PSZ, iova));
	} else {
		CH_OK(c, "map at an automatic IOVA",
		      ioas_map_auto(c->s->fd, c->s->ioas[ioas], buf,
				    pages * PSZ, &iova));
		if (iova < AUTO_START || iova + pages * PSZ - 1 > AUTO_LAST) {
			stress_finding(c->s, c->name,
				       "automatic IOVA %#llx outside the allowed range",
				       (unsigned long long)iova);
			return false;
		}
	}
	c->m[c->n++] = (struct mapping){ iova, pages * PSZ, ioas, buf };
	return true;
}

/* Unmap one mapping, or all of ours in a range that spans several */
static bool churn_unmap(struct churn *c)
{
	struct mapping *a;
	uint64_t start, last, want = 0;
	__u64 done = 0;
	int i, ioas;

	if (!c->n)
		return true;
	a = &c->m[rng_below(&c->rng, c->n)];
	ioas = a->ioas;
	start = a->iova;
	last = a->iova + a->len - 1;
	/* Widen to the neighbours that fit wholly, within our window */
	if (a->iova < AUTO_START && rng_pct(&c->rng, 40)) {
		start = CHURN_WIN(c->index) +
			(((start - CHURN_WIN(c->index)) / SLOT_SZ) & ~15ULL) *
			SLOT_SZ;
		last = start + 16 * SLOT_SZ - 1;
	}
	for (i = 0; i != c->n; i++) {
		struct mapping *b = &c->m[i];

		if (b->ioas != a->ioas || b->iova > last ||
		    b->iova + b->len - 1 < start)
			continue;
		/* One that sticks out would make the unmap fail: keep exact */
		if (b->iova < start || b->iova + b->len - 1 > last) {
			start = a->iova;
			last = a->iova + a->len - 1;
			break;
		}
	}
	for (i = 0; i != c->n; i++)
		if (c->m[i].ioas == a->ioas && c->m[i].iova >= start &&
		    c->m[i].iova + c->m[i].len - 1 <= last)
			want += c->m[i].len;
	CH_OK(c, "unmap", ioas_unmap(c->s->fd, c->s->ioas[a->ioas], start,
				     last - start + 1, &done));
	if (done != want) {
		stress_finding(c->s, c->name,
			       "unmap of %#llx-%#llx removed %llu bytes, want %llu",
			       (unsigned long long)start,
			       (unsigned long long)last,
			       (unsigned long long)done,
			       (unsigned long long)want);
		return false;
	}
	for (i = 0; i < c->n;) {
		struct mapping *b = &c->m[i];

		if (b->ioas == ioas && b->iova >= start &&
		    b->iova + b->len - 1 <= last)
			*b = c->m[--c->n];
		else
			i++;
	}
	return true;
}

/* COPY a mapping of A to a free place of B */
static bool churn_copy(struct churn *c)
{
	struct mapping *a;
	__u64 dst;
	int i;

	if (!c->n || c->n == ARRAY_SIZE(c->m))
		return true;
	a = &c->m[rng_below(&c->rng, c->n)];
	dst = CHURN_WIN(c->index) + rng_below(&c->rng, WIN_SLOTS) * SLOT_SZ;
	if (churn_overlaps(c, !a->ioas, dst, a->len))
		return true;
	i = a - c->m;
	CH_OK(c, "copy", ioas_copy(c->s->fd, c->s->ioas[!a->ioas],
				   c->s->ioas[a->ioas], a->iova, a->len, &dst,
				   MAP_FIXED_RW));
	c->m[c->n++] = (struct mapping){ dst, c->m[i].len, !c->m[i].ioas,
					 c->m[i].buf };
	return true;
}

/* Read a mapping of A through the access: the bytes of the buffer */
static bool churn_read(struct churn *c)
{
	char data[2 * PSZ];
	struct mapping *a;
	uint64_t off, len;
	__u32 id;
	int i;

	for (i = 0; i != c->n && c->m[i].ioas; i++)
		;
	if (i == c->n)
		return true;
	a = &c->m[i];
	off = rng_below(&c->rng, a->len);
	len = 1 + rng_below(&c->rng, a->len - off);
	if (len > sizeof(data))
		len = sizeof(data);
	fill(a->buf + off, len, rng_next(&c->rng));
	CH_OK(c, "access_rw", access_rw(c->s->fd, c->access_fd, a->iova + off,
					data, len, 0));
	if (memcmp(data, a->buf + off, len)) {
		stress_finding(c->s, c->name,
			       "access read of IOVA %#llx differs from the buffer",
			       (unsigned long long)(a->iova + off));
		return false;
	}
	CH_OK(c, "access_pages", access_pages(c->s->fd, c->access_fd, a->iova,
					      a->len, a->buf, 0, &id));
	CH_OK(c, "destroy_access_pages",
	      destroy_access_pages(c->s->fd, c->access_fd, id));
	return true;
}

static void *churn_fn(void *arg)
{
	struct churn *c = arg;
	bool ok = true;

	while (ok && running(c->s)) {
		switch (rng_below(&c->rng, 8)) {
		case 0:
		case 1:
			ok = churn_map(c, true);
			break;
		case 2:
			ok = churn_map(c, false);
			break;
		case 3:
		case 4:
			ok = churn_unmap(c);
			break;
		case 5:
			ok = churn_copy(c);
			break;
		default:
			ok = churn_read(c);
			break;
		}
	}
	return NULL;
}

/* =========================================================== mock */

struct mock {
	struct shared *s;
	char name[16];
	struct rng rng;
	char *buf;
	__u32 stdev[4], hwpt[4];
	int ioas_of[4];
	int n;
	long ops;
};

static bool mock_step(struct mock *m)
{
	int fd = m->s->fd, k, i = rng_below(&m->rng, 2);
	uint64_t pages = 1 + rng_below(&m->rng, SLOT_SZ / PSZ);
	uint64_t iova = MOCK_WIN + rng_below(&m->rng, WIN_SLOTS) * SLOT_SZ;
	char *buf = m->buf + rng_below(&m->rng, POOL_PAGES - pages + 1) * PSZ;
	int rc;

	if (m->n < 4 && rng_pct(&m->rng, 50)) {
		rc = mock_domain(fd, m->s->ioas[i], &m->stdev[m->n],
				 &m->hwpt[m->n], NULL);
		m->ops++;
		if (rc) {
			stress_finding(m->s, m->name, "mock_domain: %s",
				       ename(rc));
			return false;
		}
		m->ioas_of[m->n++] = i;
	} else if (m->n) {
		k = rng_below(&m->rng, m->n);
		rc = destroy_obj(fd, m->stdev[k]);
		m->ops++;
		if (rc) {
			stress_finding(m->s, m->name, "destroy stdev: %s",
				       ename(rc));
			return false;
		}
		m->n--;
		m->stdev[k] = m->stdev[m->n];
		m->hwpt[k] = m->hwpt[m->n];
		m->ioas_of[k] = m->ioas_of[m->n];
	}
	if (!m->n)
		return true;
	/* What the mock domains map is what was mapped */
	k = rng_below(&m->rng, m->n);
	rc = ioas_map(fd, m->s->ioas[m->ioas_of[k]], buf, pages * PSZ, iova);
	m->ops += 3;
	if (!rc)
		rc = check_map(fd, m->hwpt[k], iova, buf, pages * PSZ);
	if (rc) {
		stress_finding(m->s, m->name, "map and MD_CHECK_MAP: %s",
			       ename(rc));
		return false;
	}
	rc = ioas_unmap(fd, m->s->ioas[m->ioas_of[k]], iova, pages * PSZ,
			NULL);
	if (rc) {
		stress_finding(m->s, m->name, "unmap: %s", ename(rc));
		return false;
	}
	return true;
}

static void *mock_fn(void *arg)
{
	struct mock *m = arg;

	while (running(m->s) && mock_step(m))
		usleep(1000);
	return NULL;
}

/* ============================================================ test */

TEST(stress)
{
	struct iommu_iova_range allow = { AUTO_START, AUTO_LAST };
	struct dma_worker dw[2] = {};
	struct churn ch[NCHURN] = {};
	struct mock mk = {};
	struct shared s = {};
	struct fz_inv inv;
	pthread_t t[2 + NCHURN + 1];
	long ops = 0, checks = 0;
	double t0 = now_secs();
	int i, nt = 0;
	bool huge;
	__u64 one = 1;
	void *p;

	ASSERT_EQ(0, cap_drop(CAP_IPC_LOCK));
	ASSERT_EQ(0, memlock_set(RLIM_INFINITY));
	p = mmap(NULL, HUGE_SZ, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	huge = p != MAP_FAILED;
	if (huge)
		munmap(p, HUGE_SZ);
	for (i = 0; i != 2; i++)
		ASSERT_EQ(0, find_dev(DEV_EDU, i, &dw[i].info));
	ASSERT_EQ(0, inv_begin(&inv));
	ASSERT_EQ(0, watchdog_start(&s.wd, 60));

	s.fd = ioasid_open();
	ASSERT_LE(0, s.fd);
	/* Charge the process: VmLck moves with every pin */
	ASSERT_EQ(0, ioasid_option(s.fd, IOMMU_OPTION_RLIMIT_MODE,
				   IOMMU_OPTION_OP_SET, 0, &one));
	for (i = 0; i != 2; i++) {
		ASSERT_EQ(0, ioas_alloc(s.fd, &s.ioas[i]));
		/* Automatic IOVAs stay clear of the fixed windows */
		ASSERT_EQ(0, ioas_allow(s.fd, s.ioas[i], &allow, 1));
	}
	s.deadline = now_secs() + cfg.secs;
	watchdog_arm(&s.wd, s.deadline, "stress");

	for (i = 0; i != 2; i++) {
		struct dma_worker *w = &dw[i];

		w->s = &s;
		w->index = i;
		w->dfd = -1;
		w->cur = -1;
		w->rng.s = cfg.seed + 0x100 + i;
		snprintf(w->name, sizeof(w->name), "edu%d", i);
		ASSERT_EQ(0, pool_init(&w->pool, huge));
		ASSERT_TRUE(dw_open(w));
	}
	for (i = 0; i != NCHURN; i++) {
		struct churn *c = &ch[i];

		c->s = &s;
		c->index = i;
		c->rng.s = cfg.seed + 0x200 + i;
		snprintf(c->name, sizeof(c->name), "churn%d", i);
		c->buf = alloc_buffer(POOL_PAGES * PSZ, PSZ, 0);
		ASSERT_NE(NULL, c->buf);
		ASSERT_EQ(0, create_access(s.fd, s.ioas[0],
					   MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
					   &c->access_fd));
	}
	mk.s = &s;
	mk.rng.s = cfg.seed + 0x300;
	snprintf(mk.name, sizeof(mk.name), "mock");
	mk.buf = alloc_buffer(POOL_PAGES * PSZ, PSZ, 0);
	ASSERT_NE(NULL, mk.buf);

	for (i = 0; i != 2; i++)
		ASSERT_EQ(0, pthread_create(&t[nt++], NULL, dma_fn, &dw[i]));
	for (i = 0; i != NCHURN; i++)
		ASSERT_EQ(0, pthread_create(&t[nt++], NULL, churn_fn, &ch[i]));
	ASSERT_EQ(0, pthread_create(&t[nt++], NULL, mock_fn, &mk));
	for (i = 0; i != nt; i++)
		ASSERT_EQ(0, pthread_join(t[i], NULL));

	/* In mm mode the pins of the run show in VmLck until the end */
	TH_LOG("VmLck %ld kB, VmPin %ld kB before closing",
	       proc_status_kb("VmLck"), proc_status_kb("VmPin"));
	/* The context goes first: the devices keep it alive */
	close(s.fd);
	for (i = 0; i != NCHURN; i++) {
		close(ch[i].access_fd);
		ops += ch[i].ops;
		munmap(ch[i].buf, POOL_PAGES * PSZ);
	}
	for (i = 0; i != 2; i++) {
		dw_close(&dw[i]);
		ops += dw[i].ops;
		checks += dw[i].checks;
		pool_free(&dw[i].pool);
	}
	ops += mk.ops;
	munmap(mk.buf, POOL_PAGES * PSZ);
	if (inv_end(&inv, "stress")) {
		fprintf(stderr, "# FINDING stress seed=0x%llx: invariants after closing everything\n",
			(unsigned long long)cfg.seed);
		s.findings++;
	}
	inv_close(&inv);
	watchdog_stop(&s.wd);

	fprintf(stderr, "# stress: seed 0x%llx, edu0 %ld checks, edu1 %ld checks, %.1f s\n",
		(unsigned long long)cfg.seed, dw[0].checks, dw[1].checks,
		now_secs() - t0);
	fz_add(ops, ops);
	fz_add(dma_checks, checks);
	fz_add(findings, s.findings);
	fz_add(threads, nt);
	fz_add(runs, 1);
	EXPECT_EQ(0, s.findings);
	/* A run that did nothing proves nothing */
	EXPECT_LT(10, checks);
}

static double stress_t0;

static void __attribute__((constructor)) stress_init(void)
{
	cfg.seed = env_u64("IOASID_STRESS_SEED", 0, &cfg.seed_given);
	if (!cfg.seed_given)
		cfg.seed = fresh_seed();
	cfg.secs = env_secs("IOASID_STRESS_SECS", DEFAULT_SECS);
	_stress_object.timeout = cfg.secs + 120;
	stress_t0 = now_secs();
	printf("# stress: seed 0x%llx%s, %.0f s\n",
	       (unsigned long long)cfg.seed,
	       cfg.seed_given ? " (IOASID_STRESS_SEED)" : "", cfg.secs);
}

static void __attribute__((destructor)) stress_summary(void)
{
	if (getpid() != fz_main_pid)
		return;
	printf("# stress: secs=%.0f threads=%ld ops=%ld dma_checks=%ld findings=%ld\n",
	       now_secs() - stress_t0, fz_totals->threads, fz_totals->ops,
	       fz_totals->dma_checks, fz_totals->findings);
	fflush(stdout);
}

TEST_HARNESS_MAIN
