// SPDX-License-Identifier: GPL-2.0-only
/*
 * A structured fuzzer for /dev/ioasid and the companion's device cdev.
 *
 * Each run takes one seed and issues random but well-typed operations on a
 * model of what is alive: contexts, IOASes and their mappings, reserved and
 * allowed ranges, HWPTs, mock domains, accesses and their pins, device fds,
 * and the user memory behind the mappings (anonymous, hugetlb,
 * file-backed, read-only, never mapped, munmapped).  Most calls use valid
 * IDs and plausible ranges; IOASID_FUZZ_BAD percent use invalid IDs,
 * sizes, flags, reserved fields, ioctl envelopes and overlapping or
 * wrapping ranges.
 *
 * Where the model knows the answer it asserts it: every errno, the IOVA an
 * automatic MAP picks, IOVA_RANGES and the alignment, what a mock domain
 * maps (MD_CHECK_MAP), pin counts (MD_CHECK_REFS), the bytes an access reads
 * and writes, and after every operation the module's counters, VmLck and
 * VmPin.  After every run everything is closed in a random order: the
 * counters must be back to 0, VmLck and VmPin to their start, and the
 * kernel log must be free of warnings, BUGs and oopses.
 *
 * Tests:
 *   sequential  one thread: mock domains, accesses, the PCI devices,
 *               fork(), and closes of every kind of fd at random points;
 *   threads     workers with private models on one shared context, plus two
 *               chaos threads on shared objects with loose expectations;
 *   abi         raw ioctl envelopes on context, device and access fds.
 *
 * A finding is a test failure that prints the seed, the op number, what
 * was expected and what happened, and the last operations of the run.
 * Replay: IOASID_FUZZ_SEED=<seed> IOASID_FUZZ_ITERS=1, and
 * IOASID_FUZZ_VERBOSE=1 to print every op.  See
 * Documentation/dev-tools/fuzzing.rst.
 */
#include <pthread.h>
#include <sys/resource.h>

#include "fuzz_utils.h"

#define DEFAULT_SECS 12.0
#define ULMAX UINT64_MAX

/* Share of the time budget of each test */
#define SHARE_SEQ 0.55
#define SHARE_THREADS 0.30
#define SHARE_ABI 0.15

#define MAX_CTX 3
#define MAX_IOAS 8
#define MAX_AREAS 48
#define MAX_RESV 6
#define MAX_ALLOW 4
#define MAX_HWPT 12
#define MAX_STDEV 6
#define MAX_ACCESS 4
#define MAX_ITEMS 8
#define MAX_DEVS 6
#define MAX_PCI 5
#define MAX_POBJ 96
#define MAX_RANGES 64
#define NTHREADS 3

/* IOVAs the fuzzer likes: inside the mock aperture, below edu's mask */
#define WIN_BASE ((uint64_t)MOCK_APERTURE_START)
#define WIN_PAGES 4096ULL
#define MSI_START ((uint64_t)MOCK_MSI_START)
#define MSI_LAST ((uint64_t)MOCK_MSI_START + MOCK_MSI_LENGTH - 1)
#define MOCK_ACCESS_MAX (16ULL << 20)
#define DEFAULT_BATCH 65536
/* Highest user address with 4-level paging; 5-level only adds more */
#define USER_TOP 0x00007ffffffff000ULL
#define DATA_PAGES 40

static struct {
	uint64_t seed;
	bool seed_given;
	unsigned long iters;
	double secs;		/* 0: no time limit */
	unsigned int ops;
	unsigned int bad;
	bool verbose;
	const char *only;	/* IOASID_FUZZ_TEST: run just this test */
} cfg;

/* Replaying one test: the others say SKIP, never PASS */
#define ONLY(name) do {							\
	if (cfg.only && strcmp(cfg.only, name))				\
		SKIP(return, "IOASID_FUZZ_TEST=%s", cfg.only);		\
} while (0)

/* ============================================================ memory */

enum rkind { RK_ANON, RK_FILE, RK_HUGE, RK_RO, RK_NONE };
static const char *const rk_name[] = { "anon", "file", "huge", "ro", "none" };

#define NREG 6
#define SLOT (8UL << 20)
#define ARENA_LEN (NREG * SLOT)

static const struct {
	enum rkind kind;
	size_t pages;
} reg_layout[NREG] = {
	{ RK_ANON, 96 }, { RK_ANON, 32 }, { RK_FILE, 32 },
	{ RK_HUGE, 1024 }, { RK_RO, 16 }, { RK_NONE, 16 },
};

struct region {
	char *va;
	size_t len;
	enum rkind kind;
	bool live;		/* memory is mapped there now */
	bool lost;		/* the VA range is gone for good */
	int gen;		/* bumped every time new memory is mapped */
};

/* ============================================================= model */

struct range {
	uint64_t start, last;
};

struct area {
	uint64_t iova, len;
	uint64_t uva;		/* user address of the first byte */
	int pobj;
	bool r, w;
};

struct ioas {
	bool used;
	int ctx;
	uint32_t id;
	bool huge_off;
	int nareas, nresv, nallow;
	struct area areas[MAX_AREAS];
	struct range resv[MAX_RESV];	/* IOMMU_TEST_OP_ADD_RESERVED */
	struct range allow[MAX_ALLOW];
};

struct hwpt {
	bool used;
	bool mock;
	bool manual;		/* IOMMU_HWPT_ALLOC: stays until DESTROY */
	bool in_iopt;		/* mirrors its IOAS, from the first attach */
	int ctx;
	int ioas;
	int ngroups;		/* groups attached (mock devices count one) */
	uint32_t id;
};

struct stdev {
	bool used;
	int ctx;
	int hwpt;
	uint32_t id, idev;
};

struct item {
	uint32_t id;
	uint64_t iova, len;
};

struct access {
	bool used;
	bool pin, repin;
	int fd;
	int ctx;
	int ioas;
	int nitems;
	uint32_t next_id;
	struct item items[MAX_ITEMS];
};

struct dev {
	bool used;
	int fd;
	int pci;
	int ctx;		/* bound context, -1 while parked */
	int hwpt;		/* attached HWPT, -1 if not */
	uint32_t devid;
};

struct group {
	int owner;		/* context owning the group's DMA, -1 */
	int nbound;
	int nattached;
	int hwpt;
};

struct ctx {
	bool used;
	bool account_mm;
	int fd;			/* -1 once closed: a zombie kept by holders */
	int holders;		/* bound devices and accesses */
	uint32_t maxid;
};

/* One IOMMU_IOAS_MAP: the ioasid_pages behind its areas and copies */
struct pobj {
	bool used;
	bool writable, mm, foreign;
	int refs;		/* areas using it */
	uint32_t serial;
	uint64_t uptr, npages;
};

struct model {
	struct ctx ctx[MAX_CTX];
	struct ioas ioas[MAX_IOAS];
	struct hwpt hwpt[MAX_HWPT];
	struct stdev stdev[MAX_STDEV];
	struct access acc[MAX_ACCESS];
	struct dev dev[MAX_DEVS];
	struct group grp[MAX_PCI];
	struct pobj pobj[MAX_POBJ];
	uint32_t batch_limit;
};

/* Pin state of the pages of a pobj that lie in the arena */
#define PIN_NONE (-1)
#define PIN_FOREIGN 0x4000
struct pinwin {
	uint32_t serial;
	uint64_t base, len;	/* pobj page indexes covered */
	int16_t *gen;		/* PIN_NONE, or region gen (| PIN_FOREIGN) */
	uint8_t *want;
	bool want_outside;
};

/* The PCI devices of the test VM bound to the companion */
struct pci {
	struct vdev_info info;
	const char *name;
	int grp;
	int nresv;
	struct range resv[8];
};

static struct watchdog wd;
static struct pci pci[MAX_PCI];
static int npci;
static uint64_t real_ap_last;

struct fz {
	struct __test_metadata *md;
	const char *test;
	struct rng rng;
	uint64_t seed;
	unsigned long op;
	unsigned int bad;
	bool shared;		/* the context is shared with other actors */
	bool devices;
	bool allow_fork;
	bool in_child;
	bool limited;
	uint64_t limit;		/* RLIMIT_MEMLOCK pages when limited */
	double deadline;
	struct model m, snap;
	struct region reg[NREG];
	char *arena_raw, *arena;
	char *scratch;		/* two pages for ioctl envelopes */
	char *data;		/* DATA_PAGES pages for ACCESS_RW */
	char *guard;		/* a PROT_NONE page */
	struct pinwin win[MAX_POBJ];
	uint32_t serial;	/* of pobjs; outside the model, never undone */
	struct trace tr;
	char prefix[24];
	long ops, errs, findings;
	char why[200];		/* the model's reason for a pin failure */
	bool stop;
	int devnull;
	struct fz_inv inv;
};

/* ================================================== checks, findings */

/* Calls and successes per operation, printed at the end of each test */
static struct {
	char name[24];
	long calls, ok;
} cov[48];
static pthread_mutex_t cov_lock = PTHREAD_MUTEX_INITIALIZER;

static void cov_note(const char *what, int rc)
{
	size_t n = strcspn(what, " ");
	int i;

	if (n >= sizeof(cov[0].name))
		n = sizeof(cov[0].name) - 1;
	pthread_mutex_lock(&cov_lock);
	for (i = 0; i != ARRAY_SIZE(cov) && cov[i].name[0]; i++)
		if (strlen(cov[i].name) == n && !strncmp(cov[i].name, what, n))
			break;
	if (i != ARRAY_SIZE(cov)) {
		if (!cov[i].name[0])
			memcpy(cov[i].name, what, n);
		cov[i].calls++;
		cov[i].ok += !rc;
	}
	pthread_mutex_unlock(&cov_lock);
}

static void cov_print(const char *test)
{
	char line[1024];
	size_t n = 0;
	int i;

	for (i = 0; i != ARRAY_SIZE(cov) && cov[i].name[0]; i++)
		n += snprintf(line + n, n < sizeof(line) ? sizeof(line) - n : 0,
			      " %s=%ld/%ld", cov[i].name, cov[i].ok,
			      cov[i].calls);
	fprintf(stderr, "# fuzz: %s coverage (ok/calls):%s\n", test, line);
}

static void finding(struct fz *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void finding(struct fz *f, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	int i;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "# FINDING %s seed=0x%llx op=%lu%s: %s\n", f->test,
		(unsigned long long)f->seed, f->op,
		f->in_child ? " (forked child)" : "", msg);
	if (f->why[0])
		fprintf(stderr, "# model: %s\n", f->why);
	for (i = 0; i != NREG; i++)
		fprintf(stderr, "# region %d: %s %p+%#zx live=%d lost=%d gen=%d\n",
			i, rk_name[f->reg[i].kind], f->reg[i].va,
			f->reg[i].len, f->reg[i].live, f->reg[i].lost,
			f->reg[i].gen);
	fprintf(stderr, "# the run so far (replay: IOASID_FUZZ_SEED=0x%llx IOASID_FUZZ_ITERS=1):\n",
		(unsigned long long)f->seed);
	trace_dump(&f->tr, TRACE_LINES);
	f->findings++;
	f->stop = true;
}

/* Count the op and check its errno against the model's answer */
static bool check_rc(struct fz *f, const char *what, emask exp, int rc)
{
	char buf[160];

	f->ops++;
	cov_note(what, rc);
	trace_add(&f->tr, "#%lu %s -> %s", f->op, what, ename(rc));
	if (emask_has(exp, rc)) {
		if (rc)
			f->errs++;
		f->why[0] = 0;
		return true;
	}
	finding(f, "%s: expected %s, got %s", what,
		emask_str(exp, buf, sizeof(buf)), ename(rc));
	return false;
}

/* ====================================================== small helpers */

static uint64_t pick(struct fz *f, uint64_t n)
{
	return rng_below(&f->rng, n);
}

static bool chance(struct fz *f, unsigned int pct)
{
	return rng_pct(&f->rng, pct);
}

static bool bad(struct fz *f)
{
	return rng_pct(&f->rng, f->bad);
}

static bool ranges_meet(uint64_t s1, uint64_t l1, uint64_t s2, uint64_t l2)
{
	return s1 <= l2 && s2 <= l1;
}

/* last = start + len - 1; false for an empty or wrapping range */
static bool range_last(uint64_t start, uint64_t len, uint64_t *last)
{
	if (!len)
		return false;
	return !__builtin_add_overflow(start, len - 1, last);
}

/* The errno ioasid_range_last() gives for (start, len) */
static int range_err(uint64_t start, uint64_t len)
{
	uint64_t last;

	if (!len)
		return EINVAL;
	return __builtin_add_overflow(start, len - 1, &last) ? EOVERFLOW : 0;
}

static uint64_t pow2_up(uint64_t x)
{
	return x <= 1 ? 1 : 1ULL << (64 - __builtin_clzll(x - 1));
}

static uint64_t lowbit(uint64_t x)
{
	return x & -x;
}

static int cmp_range(const void *a, const void *b)
{
	const struct range *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* Sort and merge overlapping or adjacent ranges; returns the new count */
static int ranges_merge(struct range *r, int n)
{
	int i, out = 0;

	if (!n)
		return 0;
	qsort(r, n, sizeof(*r), cmp_range);
	for (i = 1; i != n; i++) {
		if (r[i].start <= r[out].last ||
		    (r[out].last != ULMAX && r[i].start == r[out].last + 1)) {
			if (r[i].last > r[out].last)
				r[out].last = r[i].last;
		} else {
			r[++out] = r[i];
		}
	}
	return out + 1;
}

/* ============================================================ regions */

static void region_fill(struct fz *f, struct region *r)
{
	uint64_t v = rng_next(&f->rng);
	uint64_t *p = (uint64_t *)r->va;
	size_t i, n = r->len / sizeof(*p);

	for (i = 0; i != n; i++)
		p[i] = v ^ (i * 0x9e3779b97f4a7c15ULL);
}

/* Map fresh memory of the region's kind at its place */
static void region_map(struct fz *f, struct region *r)
{
	int flags = MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS;
	void *p = MAP_FAILED;
	int memfd;

	switch (r->kind) {
	case RK_ANON:
	case RK_RO:
		p = mmap(r->va, r->len, PROT_READ | PROT_WRITE, flags, -1, 0);
		if (p != MAP_FAILED)
			madvise(p, r->len, MADV_NOHUGEPAGE);
		break;
	case RK_FILE:
		memfd = memfd_create("ioasid_fuzz", MFD_CLOEXEC);
		if (memfd >= 0 && !ftruncate(memfd, r->len))
			p = mmap(r->va, r->len, PROT_READ | PROT_WRITE,
				 MAP_FIXED | MAP_SHARED, memfd, 0);
		if (memfd >= 0)
			close(memfd);
		break;
	case RK_HUGE:
		p = mmap(r->va, r->len, PROT_READ | PROT_WRITE,
			 flags | MAP_HUGETLB, -1, 0);
		break;
	case RK_NONE:
		break;
	}
	if (p == MAP_FAILED) {
		/* No memory of that kind (no huge pages): a hole then */
		r->live = false;
		return;
	}
	region_fill(f, r);
	if (r->kind == RK_RO)
		mprotect(r->va, r->len, PROT_READ);
	r->live = true;
	r->gen++;
}

/* munmap(); a PROT_NONE placeholder keeps the VA ours */
static void region_unmap(struct region *r)
{
	void *p;

	munmap(r->va, r->len);
	r->live = false;
	p = mmap(r->va, r->len, PROT_NONE, MAP_FIXED_NOREPLACE | MAP_PRIVATE |
		 MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p != r->va) {
		if (p != MAP_FAILED)
			munmap(p, r->len);
		r->lost = true;
	}
}

static int arena_setup(struct fz *f, bool huge)
{
	size_t raw = ARENA_LEN + HUGE_SZ;
	int i;

	f->arena_raw = mmap(NULL, raw, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS |
			    MAP_NORESERVE, -1, 0);
	if (f->arena_raw == MAP_FAILED)
		return errno;
	f->arena = (char *)(((uintptr_t)f->arena_raw + HUGE_SZ - 1) &
			    ~(uintptr_t)(HUGE_SZ - 1));
	f->guard = f->arena + SLOT - PSZ;
	for (i = 0; i != NREG; i++) {
		struct region *r = &f->reg[i];

		memset(r, 0, sizeof(*r));
		r->va = f->arena + i * SLOT;
		r->kind = reg_layout[i].kind;
		r->len = reg_layout[i].pages * PSZ;
		if (r->kind == RK_HUGE && !huge)
			r->kind = RK_ANON;
		region_map(f, r);
	}
	/* Two pages for envelopes and a PROT_NONE page after them */
	f->scratch = mmap(NULL, 3 * PSZ, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (f->scratch != MAP_FAILED)
		mprotect(f->scratch + 2 * PSZ, PSZ, PROT_NONE);
	f->data = mmap(NULL, DATA_PAGES * PSZ, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (f->scratch == MAP_FAILED || f->data == MAP_FAILED)
		return ENOMEM;
	return 0;
}

static void arena_teardown(struct fz *f)
{
	int i;

	for (i = 0; i != MAX_POBJ; i++) {
		free(f->win[i].gen);
		free(f->win[i].want);
		memset(&f->win[i], 0, sizeof(f->win[i]));
	}
	if (f->arena_raw && f->arena_raw != MAP_FAILED)
		munmap(f->arena_raw, ARENA_LEN + HUGE_SZ);
	if (f->scratch && f->scratch != MAP_FAILED)
		munmap(f->scratch, 3 * PSZ);
	if (f->data && f->data != MAP_FAILED)
		munmap(f->data, DATA_PAGES * PSZ);
	f->arena_raw = NULL;
	f->scratch = NULL;
	f->data = NULL;
}

static int region_of(struct fz *f, uint64_t uva)
{
	int i;

	for (i = 0; i != NREG; i++)
		if (uva >= (uintptr_t)f->reg[i].va &&
		    uva < (uintptr_t)f->reg[i].va + f->reg[i].len)
			return i;
	return -1;
}

/* ======================================================== pin model */

static struct pinwin *win_get(struct fz *f, int pi)
{
	struct pobj *p = &f->m.pobj[pi];
	struct pinwin *w = &f->win[pi];
	uint64_t lo = (uintptr_t)f->arena, hi = lo + ARENA_LEN;
	uint64_t first = 0, end = p->npages, i;

	if (w->gen && w->serial == p->serial)
		return w;
	free(w->gen);
	free(w->want);
	memset(w, 0, sizeof(*w));
	w->serial = p->serial;
	/* The pages of the pobj that lie in the arena */
	if (p->uptr < lo)
		first = (lo - p->uptr) / PSZ;
	if (p->uptr >= hi)
		first = end;
	else if ((hi - p->uptr) / PSZ < end)
		end = (hi - p->uptr) / PSZ;
	if (first > end)
		first = end;
	w->base = first;
	w->len = end - first;
	w->gen = malloc((w->len + 1) * sizeof(*w->gen));
	w->want = malloc(w->len + 1);
	if (!w->gen || !w->want)
		abort();
	for (i = 0; i != w->len; i++)
		w->gen[i] = PIN_NONE;
	return w;
}

static void want_mark(struct fz *f, int pi, uint64_t first, uint64_t last)
{
	struct pinwin *w = win_get(f, pi);
	uint64_t i;

	if (first < w->base || last >= w->base + w->len)
		w->want_outside = true;
	if (first < w->base)
		first = w->base;
	if (last >= w->base + w->len) {
		if (!w->len)
			return;
		last = w->base + w->len - 1;
	}
	for (i = first; i <= last && i >= first; i++)
		w->want[i - w->base] = 1;
}

static int ioas_ndomains(struct fz *f, int i)
{
	int h, n = 0;

	for (h = 0; h != MAX_HWPT; h++)
		n += f->m.hwpt[h].used && f->m.hwpt[h].ioas == i &&
		     f->m.hwpt[h].in_iopt;
	return n;
}

static struct area *area_at(struct ioas *io, uint64_t iova)
{
	int k;

	for (k = 0; k != io->nareas; k++)
		if (iova >= io->areas[k].iova &&
		    iova - io->areas[k].iova < io->areas[k].len)
			return &io->areas[k];
	return NULL;
}

/*
 * Walk the areas covering [iova, last] back to back, like the kernel's
 * contiguous walk: @fn is called for each piece; returns true if the walk
 * reached @last.
 */
static bool walk(struct ioas *io, uint64_t iova, uint64_t last,
		 bool (*fn)(struct area *a, uint64_t cur, uint64_t plast,
			    void *arg), void *arg)
{
	uint64_t cur = iova;

	for (;;) {
		struct area *a = area_at(io, cur);
		uint64_t alast, plast;

		if (!a)
			return false;
		alast = a->iova + a->len - 1;
		plast = alast < last ? alast : last;
		if (fn && !fn(a, cur, plast, arg))
			return false;
		if (alast >= last)
			return true;
		cur = alast + 1;
	}
}

static void pobj_pages(struct pobj *p, uint64_t uva, uint64_t len,
		       uint64_t *first, uint64_t *last)
{
	*first = (uva - p->uptr) / PSZ;
	*last = (uva + len - 1 - p->uptr) / PSZ;
}

static bool want_piece(struct area *a, uint64_t cur, uint64_t plast,
		       void *arg)
{
	struct fz *f = arg;
	uint64_t first, last;

	pobj_pages(&f->m.pobj[a->pobj], a->uva + (cur - a->iova),
		   plast - cur + 1, &first, &last);
	want_mark(f, a->pobj, first, last);
	return true;
}

/* Which pages should be pinned in the current model */
static void pins_want(struct fz *f)
{
	struct model *m = &f->m;
	int i, k;

	for (i = 0; i != MAX_POBJ; i++) {
		if (!m->pobj[i].used)
			continue;
		win_get(f, i);
		memset(f->win[i].want, 0, f->win[i].len);
		f->win[i].want_outside = false;
	}
	for (i = 0; i != MAX_IOAS; i++) {
		struct ioas *io = &m->ioas[i];

		if (!io->used || !ioas_ndomains(f, i))
			continue;
		for (k = 0; k != io->nareas; k++)
			want_piece(&io->areas[k], io->areas[k].iova,
				   io->areas[k].iova + io->areas[k].len - 1,
				   f);
	}
	for (i = 0; i != MAX_ACCESS; i++) {
		struct access *a = &m->acc[i];

		if (!a->used)
			continue;
		for (k = 0; k != a->nitems; k++)
			walk(&m->ioas[a->ioas], a->items[k].iova,
			     a->items[k].iova + a->items[k].len - 1,
			     want_piece, f);
	}
}

static bool page_pinnable(struct fz *f, struct pobj *p, uint64_t idx)
{
	int r = region_of(f, p->uptr + idx * PSZ);

	if (p->foreign || r < 0)
		return false;
	if (!f->reg[r].live || f->reg[r].kind == RK_NONE)
		return false;
	return !(f->reg[r].kind == RK_RO && p->writable);
}

/* Pages pinned now (by mode); @ours_mm counts what VmLck shows */
struct pin_sums {
	long pinned, user, ours_mm, ours;
};

static void pins_sum(struct fz *f, struct pin_sums *s)
{
	int i;
	uint64_t k;

	memset(s, 0, sizeof(*s));
	for (i = 0; i != MAX_POBJ; i++) {
		struct pobj *p = &f->m.pobj[i];
		struct pinwin *w = &f->win[i];
		long n = 0;

		if (!w->gen)
			continue;
		for (k = 0; k != w->len; k++)
			n += w->gen[k] != PIN_NONE;
		s->pinned += n;
		if (!p->used || w->serial != p->serial)
			continue;
		if (!p->mm)
			s->user += n;
		if (!p->foreign) {
			s->ours += n;
			if (p->mm)
				s->ours_mm += n;
		}
	}
}

/*
 * Could the model's current state be reached by pinning what it wants?
 * Returns the errno set of the pinning: E_OK, EFAULT, ENOMEM or both.
 */
static emask pins_plan(struct fz *f)
{
	struct pin_sums s;
	long need_user = 0, need_mm = 0;
	bool efault = false;
	int i;
	uint64_t k;

	pins_want(f);
	pins_sum(f, &s);
	for (i = 0; i != MAX_POBJ; i++) {
		struct pobj *p = &f->m.pobj[i];
		struct pinwin *w = &f->win[i];

		if (!p->used)
			continue;
		if (w->want_outside && !efault) {
			efault = true;
			snprintf(f->why, sizeof(f->why),
				 "pobj%d uptr %#llx +%llu pages: wanted outside the arena",
				 i, (unsigned long long)p->uptr,
				 (unsigned long long)p->npages);
		}
		for (k = 0; k != w->len; k++) {
			if (!w->want[k] || w->gen[k] != PIN_NONE)
				continue;
			if (!page_pinnable(f, p, w->base + k)) {
				if (!efault)
					snprintf(f->why, sizeof(f->why),
						 "pobj%d uptr %#llx page %llu (r%d) foreign=%d writable=%d cannot be pinned",
						 i, (unsigned long long)p->uptr,
						 (unsigned long long)(w->base + k),
						 region_of(f, p->uptr + (w->base + k) * PSZ),
						 p->foreign, p->writable);
				efault = true;
			} else if (p->mm) {
				need_mm++;
			} else {
				need_user++;
			}
		}
	}
	if (f->limited) {
		bool enomem = s.user + need_user > (long)f->limit ||
			      s.ours_mm + need_mm > (long)f->limit;

		if (efault)
			return E(EFAULT) | E(ENOMEM);
		if (enomem)
			return E(ENOMEM);
	}
	return efault ? E(EFAULT) : E_OK;
}

/* The op succeeded: pin what is wanted, unpin what is not */
static void pins_commit(struct fz *f)
{
	int i;
	uint64_t k;

	pins_want(f);
	for (i = 0; i != MAX_POBJ; i++) {
		struct pobj *p = &f->m.pobj[i];
		struct pinwin *w = &f->win[i];

		if (!w->gen)
			continue;
		if (!p->used || w->serial != p->serial) {
			free(w->gen);
			free(w->want);
			memset(w, 0, sizeof(*w));
			continue;
		}
		for (k = 0; k != w->len; k++) {
			int r;

			if (!w->want[k]) {
				w->gen[k] = PIN_NONE;
				continue;
			}
			if (w->gen[k] != PIN_NONE)
				continue;
			r = region_of(f, p->uptr + (w->base + k) * PSZ);
			w->gen[k] = (r >= 0 ? f->reg[r].gen : 0) |
				    (p->foreign ? PIN_FOREIGN : 0);
		}
	}
}

/* What is pinned at user page @uva of pobj @pi, relative to memory now */
enum pin_view { PV_NONE, PV_CURRENT, PV_STALE, PV_FOREIGN };

static enum pin_view pin_view(struct fz *f, int pi, uint64_t uva)
{
	struct pobj *p = &f->m.pobj[pi];
	struct pinwin *w = win_get(f, pi);
	uint64_t idx = (uva - p->uptr) / PSZ;
	int r = region_of(f, uva);
	int g;

	if (idx < w->base || idx >= w->base + w->len)
		return PV_NONE;
	g = w->gen[idx - w->base];
	if (g == PIN_NONE)
		return PV_NONE;
	if (g & PIN_FOREIGN)
		return PV_FOREIGN;
	if (r < 0 || !f->reg[r].live || f->reg[r].gen != g)
		return PV_STALE;
	return PV_CURRENT;
}

/* ====================================================== model basics */

static int ctx_nobjects(struct fz *f, int c)
{
	struct model *m = &f->m;
	int i, n = 0;

	for (i = 0; i != MAX_IOAS; i++)
		n += m->ioas[i].used && m->ioas[i].ctx == c;
	for (i = 0; i != MAX_HWPT; i++)
		n += m->hwpt[i].used && m->hwpt[i].ctx == c;
	for (i = 0; i != MAX_STDEV; i++)
		n += 2 * (m->stdev[i].used && m->stdev[i].ctx == c);
	for (i = 0; i != MAX_ACCESS; i++)
		n += m->acc[i].used && m->acc[i].ctx == c;
	for (i = 0; i != MAX_DEVS; i++)
		n += m->dev[i].used && m->dev[i].ctx == c;
	return n;
}

static void note_id(struct fz *f, int c, uint32_t id)
{
	if (id > f->m.ctx[c].maxid)
		f->m.ctx[c].maxid = id;
}

static uint64_t ioas_align(struct fz *f, int i)
{
	struct model *m = &f->m;
	uint64_t align = m->ioas[i].huge_off ? PSZ : 1;
	int k;

	for (k = 0; k != MAX_HWPT; k++)
		if (m->hwpt[k].used && m->hwpt[k].ioas == i &&
		    m->hwpt[k].in_iopt) {
			uint64_t a = m->hwpt[k].mock ? MOCK_PSZ : PSZ;

			if (a > align)
				align = a;
		}
	for (k = 0; k != MAX_ACCESS; k++)
		if (m->acc[k].used && m->acc[k].ioas == i && m->acc[k].pin)
			align = PSZ;
	return align;
}

/* Reserved ranges of IOAS @i (unmerged) */
static int ioas_resv(struct fz *f, int i, struct range *out)
{
	struct model *m = &f->m;
	int n = 0, k, h, j;

	for (k = 0; k != m->ioas[i].nresv; k++)
		out[n++] = m->ioas[i].resv[k];
	for (h = 0; h != MAX_HWPT; h++) {
		struct hwpt *hw = &m->hwpt[h];

		if (!hw->used || hw->ioas != i || !hw->in_iopt)
			continue;
		if (hw->mock) {
			out[n++] = (struct range){ 0, WIN_BASE - 1 };
			out[n++] = (struct range){ MOCK_APERTURE_LAST + 1ULL,
						   ULMAX };
			out[n++] = (struct range){ MSI_START, MSI_LAST };
			continue;
		}
		if (real_ap_last != ULMAX)
			out[n++] = (struct range){ real_ap_last + 1, ULMAX };
		for (k = 0; k != npci; k++) {
			if (m->grp[pci[k].grp].hwpt != h)
				continue;
			for (j = 0; j != pci[k].nresv && n < MAX_RANGES; j++)
				out[n++] = pci[k].resv[j];
		}
	}
	return n;
}

static bool ioas_resv_meets(struct fz *f, int i, uint64_t s, uint64_t l)
{
	struct range r[MAX_RANGES];
	int n = ioas_resv(f, i, r), k;

	for (k = 0; k != n; k++)
		if (ranges_meet(s, l, r[k].start, r[k].last))
			return true;
	return false;
}

static bool ioas_area_meets(struct ioas *io, uint64_t s, uint64_t l)
{
	int k;

	for (k = 0; k != io->nareas; k++)
		if (ranges_meet(s, l, io->areas[k].iova,
				io->areas[k].iova + io->areas[k].len - 1))
			return true;
	return false;
}

static bool ioas_allow_meets(struct ioas *io, uint64_t s, uint64_t l)
{
	int k;

	for (k = 0; k != io->nallow; k++)
		if (ranges_meet(s, l, io->allow[k].start, io->allow[k].last))
			return true;
	return false;
}

/* What iopt_reserve() says about reserving [s, l] */
static bool reserve_blocked(struct ioas *io, uint64_t s, uint64_t l)
{
	return ioas_area_meets(io, s, l) || ioas_allow_meets(io, s, l);
}

/* Every area fits alignment @align (iova, length and page offset) */
static bool areas_aligned(struct ioas *io, uint64_t align)
{
	int k;

	for (k = 0; k != io->nareas; k++) {
		struct area *a = &io->areas[k];

		if ((a->iova | a->len | (a->uva % PSZ)) & (align - 1))
			return false;
	}
	return true;
}

static bool fits(uint64_t start, uint64_t last, uint64_t len, uint64_t align,
		 uint64_t page_off, uint64_t *iova)
{
	uint64_t cand;

	if (align >= PSZ) {
		if (__builtin_add_overflow(start, align - 1, &cand))
			return false;
		cand &= ~(align - 1);
	} else {
		cand = (start & ~(uint64_t)(PSZ - 1)) | page_off;
		if (cand < start && __builtin_add_overflow(cand, PSZ, &cand))
			return false;
	}
	if (cand > last || last - cand < len - 1)
		return false;
	*iova = cand;
	return true;
}

/* The automatic IOVA: the lowest fitting hole, as documented */
static int model_find_iova(struct fz *f, int i, uint64_t uva, uint64_t len,
			   uint64_t min_align, uint64_t *iova)
{
	struct ioas *io = &f->m.ioas[i];
	struct range used[MAX_RANGES + MAX_AREAS], allow[MAX_ALLOW + 1];
	uint64_t align, lo = PSZ, hi = ULMAX - PSZ;
	int nused, nallow, a, u;

	if (!len || len >= ULMAX / 2)
		return EOVERFLOW;
	align = pow2_up(len);
	if (uva && lowbit(uva) < align)
		align = lowbit(uva);
	if (align < min_align)
		return EINVAL;

	nused = ioas_resv(f, i, used);
	for (a = 0; a != io->nareas; a++)
		used[nused++] = (struct range){
			io->areas[a].iova,
			io->areas[a].iova + io->areas[a].len - 1 };
	nused = ranges_merge(used, nused);
	if (io->nallow) {
		memcpy(allow, io->allow, io->nallow * sizeof(*allow));
		nallow = ranges_merge(allow, io->nallow);
	} else {
		allow[0] = (struct range){ 0, ULMAX };
		nallow = 1;
	}
	for (a = 0; a != nallow; a++) {
		uint64_t s = allow[a].start < lo ? lo : allow[a].start;
		uint64_t l = allow[a].last > hi ? hi : allow[a].last;
		uint64_t cur = s;

		if (s > l)
			continue;
		for (u = 0; u <= nused && cur <= l; u++) {
			uint64_t hole_last = l;

			if (u < nused) {
				if (used[u].last < cur)
					continue;
				if (used[u].start <= cur) {
					if (used[u].last >= l)
						break;
					cur = used[u].last + 1;
					continue;
				}
				hole_last = used[u].start - 1 < l ?
					    used[u].start - 1 : l;
			}
			if (fits(cur, hole_last, len, align, uva % PSZ, iova))
				return 0;
			if (u == nused || used[u].last >= l)
				break;
			cur = used[u].last + 1;
		}
	}
	return ENOSPC;
}

/* ============================================== model: object changes */

static int pobj_new(struct fz *f, uint64_t uva, uint64_t len, bool writable,
		    bool mm)
{
	int i;

	for (i = 0; i != MAX_POBJ; i++) {
		struct pobj *p = &f->m.pobj[i];

		if (p->used)
			continue;
		memset(p, 0, sizeof(*p));
		p->used = true;
		p->serial = ++f->serial;
		p->uptr = uva & ~(uint64_t)(PSZ - 1);
		p->npages = (uva + len - 1) / PSZ - uva / PSZ + 1;
		p->writable = writable;
		p->mm = mm;
		return i;
	}
	return -1;
}

static void pobj_put(struct fz *f, int pi)
{
	if (!--f->m.pobj[pi].refs)
		f->m.pobj[pi].used = false;
}

static void area_del(struct fz *f, struct ioas *io, int k)
{
	pobj_put(f, io->areas[k].pobj);
	io->areas[k] = io->areas[--io->nareas];
}

/* Accesses of IOAS @i drop their pins that meet areas being removed */
static void items_drop(struct fz *f, int i, uint64_t s, uint64_t l)
{
	int a, k;

	for (a = 0; a != MAX_ACCESS; a++) {
		struct access *acc = &f->m.acc[a];

		if (!acc->used || acc->ioas != i)
			continue;
		for (k = 0; k < acc->nitems;) {
			struct item *it = &acc->items[k];

			if (ranges_meet(it->iova, it->iova + it->len - 1, s, l))
				*it = acc->items[--acc->nitems];
			else
				k++;
		}
	}
}

/* Remove the areas inside [s, l]; returns the bytes removed */
static uint64_t areas_remove(struct fz *f, int i, uint64_t s, uint64_t l)
{
	struct ioas *io = &f->m.ioas[i];
	uint64_t done = 0;
	int k;

	for (k = 0; k != io->nareas; k++) {
		struct area *a = &io->areas[k];

		if (a->iova >= s && a->iova + a->len - 1 <= l)
			items_drop(f, i, a->iova, a->iova + a->len - 1);
	}
	for (k = 0; k < io->nareas;) {
		struct area *a = &io->areas[k];

		if (a->iova >= s && a->iova + a->len - 1 <= l) {
			done += a->len;
			area_del(f, io, k);
		} else {
			k++;
		}
	}
	return done;
}

/* A group leaves: an automatic HWPT goes with its last group */
static void hwpt_put_group(struct fz *f, int h)
{
	if (--f->m.hwpt[h].ngroups <= 0 && !f->m.hwpt[h].manual)
		f->m.hwpt[h].used = false;
}

static void stdev_remove(struct fz *f, int s)
{
	hwpt_put_group(f, f->m.stdev[s].hwpt);
	f->m.stdev[s].used = false;
}

static void ioas_remove(struct fz *f, int i)
{
	struct ioas *io = &f->m.ioas[i];

	while (io->nareas)
		area_del(f, io, io->nareas - 1);
	io->used = false;
}

/* The last reference to a closed context went: everything goes */
static void ctx_purge(struct fz *f, int c)
{
	struct model *m = &f->m;
	int i;

	for (i = 0; i != MAX_STDEV; i++)
		if (m->stdev[i].used && m->stdev[i].ctx == c)
			stdev_remove(f, i);
	for (i = 0; i != MAX_HWPT; i++)
		if (m->hwpt[i].used && m->hwpt[i].ctx == c)
			m->hwpt[i].used = false;
	for (i = 0; i != MAX_IOAS; i++)
		if (m->ioas[i].used && m->ioas[i].ctx == c)
			ioas_remove(f, i);
	m->ctx[c].used = false;
}

static void ctx_unhold(struct fz *f, int c)
{
	if (!--f->m.ctx[c].holders && f->m.ctx[c].fd < 0)
		ctx_purge(f, c);
}

/* A device leaves its HWPT; the group follows with its last device */
static void dev_detach_model(struct fz *f, int d)
{
	struct dev *dv = &f->m.dev[d];
	struct group *g = &f->m.grp[pci[dv->pci].grp];

	if (dv->hwpt < 0)
		return;
	dv->hwpt = -1;
	if (--g->nattached)
		return;
	hwpt_put_group(f, g->hwpt);
	g->hwpt = -1;
}

/* ============================================== picking things to use */

static int pick_ctx(struct fz *f)
{
	int c[MAX_CTX], n = 0, i;

	for (i = 0; i != MAX_CTX; i++)
		if (f->m.ctx[i].used && f->m.ctx[i].fd >= 0)
			c[n++] = i;
	return n ? c[pick(f, n)] : -1;
}

static int pick_ioas(struct fz *f, int c)
{
	int l[MAX_IOAS], n = 0, i;

	for (i = 0; i != MAX_IOAS; i++)
		if (f->m.ioas[i].used && f->m.ioas[i].ctx == c)
			l[n++] = i;
	return n ? l[pick(f, n)] : -1;
}

/* Mostly an IOAS with mappings, where calls get somewhere */
static int pick_ioas_busy(struct fz *f, int c)
{
	int l[MAX_IOAS], n = 0, i;

	for (i = 0; i != MAX_IOAS; i++)
		if (f->m.ioas[i].used && f->m.ioas[i].ctx == c &&
		    f->m.ioas[i].nareas)
			l[n++] = i;
	if (!n || chance(f, 20))
		return pick_ioas(f, c);
	return l[pick(f, n)];
}

/* An ID that names nothing in context @c, certainly */
static uint32_t bad_id(struct fz *f, int c)
{
	switch (pick(f, 4)) {
	case 0:
		return 0;
	case 1:
		return 0x80000000U + (uint32_t)pick(f, 0x7fffffff);
	case 2:
		return 0xffffffffU;
	}
	if (f->shared)
		return 0x90000000U + (uint32_t)pick(f, 1000);
	return f->m.ctx[c].maxid + 1000 + (uint32_t)pick(f, 1000);
}

enum okind { OK_NONE, OK_IOAS, OK_HWPT, OK_STDEV, OK_IDEV, OK_DEV };

static enum okind lookup(struct fz *f, int c, uint32_t id, int *idx)
{
	struct model *m = &f->m;
	int i;

	for (i = 0; i != MAX_IOAS; i++)
		if (m->ioas[i].used && m->ioas[i].ctx == c &&
		    m->ioas[i].id == id)
			return *idx = i, OK_IOAS;
	for (i = 0; i != MAX_HWPT; i++)
		if (m->hwpt[i].used && m->hwpt[i].ctx == c &&
		    m->hwpt[i].id == id)
			return *idx = i, OK_HWPT;
	for (i = 0; i != MAX_STDEV; i++) {
		if (!m->stdev[i].used || m->stdev[i].ctx != c)
			continue;
		if (m->stdev[i].id == id)
			return *idx = i, OK_STDEV;
		if (m->stdev[i].idev == id)
			return *idx = i, OK_IDEV;
	}
	for (i = 0; i != MAX_DEVS; i++)
		if (m->dev[i].used && m->dev[i].ctx == c &&
		    m->dev[i].devid == id)
			return *idx = i, OK_DEV;
	*idx = -1;
	return OK_NONE;
}

/* Any known object ID of @c, or a bad one */
static uint32_t any_id(struct fz *f, int c)
{
	uint32_t ids[64];
	struct model *m = &f->m;
	int n = 0, i;

	for (i = 0; i != MAX_IOAS; i++)
		if (m->ioas[i].used && m->ioas[i].ctx == c)
			ids[n++] = m->ioas[i].id;
	for (i = 0; i != MAX_HWPT; i++)
		if (m->hwpt[i].used && m->hwpt[i].ctx == c)
			ids[n++] = m->hwpt[i].id;
	for (i = 0; i != MAX_STDEV; i++)
		if (m->stdev[i].used && m->stdev[i].ctx == c) {
			ids[n++] = m->stdev[i].id;
			ids[n++] = m->stdev[i].idev;
		}
	for (i = 0; i != MAX_DEVS; i++)
		if (m->dev[i].used && m->dev[i].ctx == c)
			ids[n++] = m->dev[i].devid;
	if (!n || bad(f))
		return bad_id(f, c);
	return ids[pick(f, n)];
}

/* The ID to use for IOAS @i of @c: mostly right, sometimes not */
static uint32_t ioas_id_or_bad(struct fz *f, int c, int i)
{
	if (i < 0 || bad(f))
		return any_id(f, c);
	return f->m.ioas[i].id;
}

/* ==================================================== ioctl envelopes */

enum { EM_NONE, EM_TAIL0, EM_SMALL, EM_TAIL, EM_NULL, EM_BADPTR, EM_BITS };

static int pick_env(struct fz *f)
{
	if (rng_pct(&f->rng, f->bad / 4))
		return EM_SMALL + pick(f, 5);
	return chance(f, 20) ? EM_TAIL0 : EM_NONE;
}

static const char *const em_name[] = {
	"", " [tail0]", " [size<min]", " [tail]", " [NULL]", " [badptr]",
	" [nrbits]",
};

/*
 * Issue ioctl @nr of /dev/ioasid with @cmd (@size bytes, of which the
 * kernel needs @min) wrapped as @mut says; the answer is copied back.  A
 * bad envelope replaces *@exp by the dispatcher's answer.
 */
static int raw_ioctl(struct fz *f, int fd, unsigned int nr, void *cmd,
		     size_t size, size_t min, int mut, emask *exp)
{
	unsigned long req = _IO(IOMMUFD_TYPE, nr);
	char *buf = f->scratch;
	size_t tail = 0;
	__u32 usize = size;
	void *arg = buf;
	int rc;

	switch (mut) {
	case EM_TAIL0:
		tail = 1 + pick(f, 32);
		break;
	case EM_SMALL:
		usize = pick(f, min);
		*exp = E(EINVAL);
		break;
	case EM_TAIL:
		tail = 1 + pick(f, 32);
		*exp = E(E2BIG);
		break;
	case EM_NULL:
		arg = NULL;
		*exp = E(EFAULT);
		break;
	case EM_BADPTR:
		arg = f->guard;
		*exp = E(EFAULT);
		break;
	case EM_BITS:
		req = _IOC(1 + pick(f, 3), IOMMUFD_TYPE, nr, size);
		*exp = E(ENOTTY);
		break;
	}
	memcpy(buf, cmd, size);
	memset(buf + size, 0, tail);
	if (mut == EM_TAIL)
		buf[size + pick(f, tail)] = 1 + pick(f, 255);
	*(__u32 *)buf = usize + tail;
	rc = ioctl(fd, req, arg) ? errno : 0;
	memcpy(cmd, buf, size);
	return rc;
}

/* Test commands: the 72-byte layout, or the 56-byte one of Linux <= 6.6 */
static int test_ioctl(struct fz *f, int fd, struct iommu_test_cmd *cmd,
		      int mut, emask *exp)
{
	size_t size = sizeof(*cmd);

	if (mut == EM_NONE && chance(f, 30))
		size = 56;
	return raw_ioctl(f, fd, IOMMUFD_CMD_BASE + 32, cmd, size,
			 IOMMU_TEST_CMD_MIN_SIZE, mut, exp);
}

/* The model's expectations and the kernel's answers must agree */
static void check_stats(struct fz *f)
{
	struct model *m = &f->m;
	struct ioasid_counters c;
	struct pin_sums s;
	long want[FZ_NR_COUNTERS], got[FZ_NR_COUNTERS], kb;
	int i, bad = 0;
	char first[2048];

	if (f->shared || f->in_child || f->stop)
		return;
	memset(want, 0, sizeof(want));
	for (i = 0; i != MAX_CTX; i++)
		if (m->ctx[i].used) {
			want[0]++;
			want[1] += ctx_nobjects(f, i);
		}
	for (i = 0; i != MAX_POBJ; i++)
		want[2] += m->pobj[i].used;
	pins_sum(f, &s);
	want[3] = s.pinned;
	want[4] = s.pinned;	/* CAP_IPC_LOCK is dropped: all charged */
	for (i = 0; i != MAX_STDEV; i++)
		want[5] += m->stdev[i].used;
	for (i = 0; i != MAX_PCI; i++)
		want[5] += m->grp[i].nbound > 0;
	for (i = 0; i != MAX_HWPT; i++)
		want[6] += m->hwpt[i].used;
	if (read_counters(&c)) {
		finding(f, "cannot read %s", IOASID_STATS);
		return;
	}
	fz_counter_vals(&c, got);
	for (i = 0; i != FZ_NR_COUNTERS && !bad; i++)
		if (want[i] != got[i]) {
			struct ioasid_counters later;

			/* Late or never?  Look again after a while */
			usleep(200 * 1000);
			read_counters(&later);
			finding(f, "counter %s is %ld, the model says %ld (after 200 ms: contexts %ld objects %ld pages_objs %ld pinned %ld charged %ld groups %ld domains %ld; model %ld %ld %ld %ld %ld %ld %ld)",
				fz_counter_names[i], got[i], want[i], later.contexts,
				later.objects, later.pages_objs, later.pinned,
				later.charged, later.groups, later.domains,
				want[0], want[1], want[2], want[3], want[4],
				want[5], want[6]);
			bad = 1;
		}
	kb = proc_status_kb("VmLck");
	if (!bad && kb != f->inv.vmlck + s.ours_mm * (long)(PSZ / 1024)) {
		finding(f, "VmLck is %ld kB, the model says %ld kB", kb,
			f->inv.vmlck + s.ours_mm * (long)(PSZ / 1024));
		bad = 1;
	}
	kb = proc_status_kb("VmPin");
	if (!bad && kb != f->inv.vmpin + s.ours * (long)(PSZ / 1024)) {
		finding(f, "VmPin is %ld kB, the model says %ld kB", kb,
			f->inv.vmpin + s.ours * (long)(PSZ / 1024));
		bad = 1;
	}
	if (!bad && inv_kmsg(&f->inv, first, sizeof(first)))
		finding(f, "the kernel complained: %s", first);
}

/* ====================================================== the operations */

static void op_ioas_alloc(struct fz *f)
{
	struct iommu_ioas_alloc cmd = { .size = sizeof(cmd) };
	int c = pick_ctx(f), i, mut, rc;
	emask exp = E_OK;
	char what[96];

	if (c < 0)
		return;
	for (i = 0; i != MAX_IOAS && f->m.ioas[i].used; i++)
		;
	if (i == MAX_IOAS)
		return;
	if (bad(f) && chance(f, 50)) {
		cmd.flags = 1U << pick(f, 32);
		exp = E(EOPNOTSUPP);
	}
	mut = pick_env(f);
	snprintf(what, sizeof(what), "IOAS_ALLOC ctx%d flags=%#x%s", c,
		 cmd.flags, em_name[mut]);
	rc = raw_ioctl(f, f->m.ctx[c].fd, IOMMUFD_CMD_IOAS_ALLOC, &cmd,
		       sizeof(cmd), sizeof(cmd), mut, &exp);
	if (!check_rc(f, what, exp, rc) || rc)
		return;
	trace_add(&f->tr, "   ioas%d = id %u", i, cmd.out_ioas_id);
	memset(&f->m.ioas[i], 0, sizeof(f->m.ioas[i]));
	f->m.ioas[i].used = true;
	f->m.ioas[i].ctx = c;
	f->m.ioas[i].id = cmd.out_ioas_id;
	note_id(f, c, cmd.out_ioas_id);
}

static void op_destroy(struct fz *f)
{
	struct iommu_destroy cmd = { .size = sizeof(cmd) };
	int c = pick_ctx(f), idx, k, mut, rc;
	emask exp = E(EBUSY);
	enum okind kind;
	char what[96];

	if (c < 0)
		return;
	cmd.id = any_id(f, c);
	kind = lookup(f, c, cmd.id, &idx);
	switch (kind) {
	case OK_NONE:
		exp = E(ENOENT);
		break;
	case OK_IOAS:
		exp = E_OK;
		for (k = 0; k != MAX_HWPT; k++)
			if (f->m.hwpt[k].used && f->m.hwpt[k].ioas == idx)
				exp = E(EBUSY);
		for (k = 0; k != MAX_ACCESS; k++)
			if (f->m.acc[k].used && f->m.acc[k].ioas == idx)
				exp = E(EBUSY);
		break;
	case OK_STDEV:
		exp = E_OK;
		break;
	case OK_HWPT:
		/* Only an idle HWPT of HWPT_ALLOC; automatic ones have users */
		if (f->m.hwpt[idx].manual && !f->m.hwpt[idx].ngroups)
			exp = E_OK;
		break;
	default:
		break;
	}
	mut = pick_env(f);
	snprintf(what, sizeof(what), "DESTROY ctx%d id=%u (kind %d)%s", c,
		 cmd.id, kind, em_name[mut]);
	rc = raw_ioctl(f, f->m.ctx[c].fd, IOMMUFD_CMD_DESTROY, &cmd,
		       sizeof(cmd), sizeof(cmd), mut, &exp);
	if (!check_rc(f, what, exp, rc) || rc)
		return;
	if (kind == OK_IOAS)
		ioas_remove(f, idx);
	else if (kind == OK_STDEV)
		stdev_remove(f, idx);
	else if (kind == OK_HWPT)
		f->m.hwpt[idx].used = false;
	pins_commit(f);
}

/* User memory for a mapping: mostly inside a region, sometimes not */
static void pick_memory(struct fz *f, bool is_bad, uint64_t *uva,
			uint64_t *len)
{
	int r = pick(f, NREG);
	struct region *reg = &f->reg[r];
	uint64_t pages = reg->len / PSZ, first, n, sub = 0;

	first = pick(f, pages);
	n = 1 + pick(f, chance(f, 80) ? 8 : 48);
	if (first + n > pages)
		n = pages - first;
	if (reg->kind == RK_HUGE && chance(f, 40)) {
		/* Whole huge pages keep their alignment for auto IOVAs */
		first = pick(f, 2) * (HUGE_SZ / PSZ);
		n = (1 + pick(f, 2 - first / (HUGE_SZ / PSZ))) * (HUGE_SZ / PSZ);
	}
	*uva = (uintptr_t)reg->va + first * PSZ;
	*len = n * PSZ;
	if (chance(f, 15)) {
		/* Sub-page: offsets the mock domain's IO pages accept, or any */
		sub = chance(f, 50) ? MOCK_PSZ : 1 + pick(f, PSZ - 1);
		*uva += sub;
		*len -= chance(f, 50) ? sub : 0;
		if (!*len)
			*len = MOCK_PSZ;
	}
	if (!is_bad)
		return;
	switch (pick(f, 8)) {
	case 0:
		*uva = 0xffffffff81000000ULL;	/* the kernel's */
		break;
	case 1:
		*uva = pick(f, 16) * PSZ;	/* NULL page and above */
		break;
	case 2:
		*len = 0;
		break;
	case 3:
		*len = ULMAX - pick(f, 4096);	/* wraps */
		break;
	case 4:
		*len += (1 + pick(f, 4)) * PSZ;	/* runs past the region */
		break;
	case 5:
		/* Huge but inside user space: fine until it is pinned */
		*uva = (uintptr_t)f->reg[0].va;
		*len = (USER_TOP - *uva) / 2 & ~(uint64_t)(PSZ - 1);
		if (*len > (1ULL << 36))
			*len = 1ULL << 36;
		break;
	case 6:
		*len = 1ULL << 62;		/* beyond user space */
		break;
	default:
		*len = 1 + pick(f, 3 * PSZ);
		break;
	}
}

/* A fixed IOVA for @len bytes in IOAS @i */
static uint64_t pick_iova(struct fz *f, int i, uint64_t len, bool is_bad)
{
	struct ioas *io = i >= 0 ? &f->m.ioas[i] : NULL;
	uint64_t align = i >= 0 ? ioas_align(f, i) : 1;
	uint64_t iova;

	if (is_bad) {
		switch (pick(f, 7)) {
		case 0:
			return ULMAX - pick(f, 2 * PSZ);
		case 1:
			return 0;
		case 2:
			return MSI_START + pick(f, 16) * PSZ;
		case 3:
			return (1ULL << 40) + pick(f, 16) * PSZ;
		case 4:
			return WIN_BASE + pick(f, WIN_PAGES) * PSZ + 1 +
			       pick(f, PSZ - 1);
		case 5:
			return ULMAX - len + 1 + pick(f, 2);
		}
	}
	if (io && io->nareas && chance(f, 30)) {
		struct area *a = &io->areas[pick(f, io->nareas)];

		switch (pick(f, 3)) {
		case 0:
			iova = a->iova + pick(f, a->len);
			break;
		case 1:
			iova = a->iova + a->len;
			break;
		default:
			iova = a->iova - len;
			break;
		}
		return iova & ~(align - 1);
	}
	iova = WIN_BASE + pick(f, WIN_PAGES) * PSZ;
	if (chance(f, 10))
		iova += chance(f, 50) ? MOCK_PSZ : pick(f, PSZ);
	return iova;
}

/*
 * Expected result of mapping (@uva, @len) at IOAS @i, up to pinning.  On
 * success the new area is in the model (tentatively) and *@out its IOVA.
 */
static emask map_predict(struct fz *f, int c, uint32_t id, uint64_t uva,
			 uint64_t len, uint32_t flags, uint32_t resv,
			 uint64_t iova, uint64_t *out, bool foreign)
{
	bool fixed = flags & IOMMU_IOAS_MAP_FIXED_IOVA;
	uint64_t last, align;
	struct ioas *io;
	struct area *a;
	int i, pi, rc;
	emask pins;

	if ((flags & ~7U) || resv)
		return E(EOPNOTSUPP);
	if (iova == ULMAX || len == ULMAX)
		return E(EOVERFLOW);
	if (!(flags & (IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE)))
		return E(EINVAL);
	if (lookup(f, c, id, &i) != OK_IOAS)
		return E(ENOENT);
	io = &f->m.ioas[i];
	if (range_err(uva, len))
		return E(range_err(uva, len));
	/* access_ok(): 4-level paging ends at USER_TOP, 5-level below 2^57 */
	if (uva + (len - 1) >= USER_TOP)
		return uva + (len - 1) >= (1ULL << 57) ? E(EFAULT) : 0;
	align = ioas_align(f, i);
	if (len & (align - 1))
		return E(EINVAL);
	if (fixed) {
		if (iova & (align - 1))
			return E(EINVAL);
		if (!range_last(iova, len, &last))
			return E(EOVERFLOW);
		if (ioas_resv_meets(f, i, iova, last))
			return E(EINVAL);
		if (ioas_area_meets(io, iova, last))
			return E(EEXIST);
		*out = iova;
	} else {
		rc = model_find_iova(f, i, uva, len, align, out);
		if (rc)
			return E(rc);
	}
	if ((uva % PSZ) & (align - 1))
		return E(EINVAL);
	if (io->nareas == MAX_AREAS)
		return 0;
	pi = pobj_new(f, uva, len, flags & IOMMU_IOAS_MAP_WRITEABLE,
		      f->m.ctx[c].account_mm);
	if (pi < 0)
		return 0;
	f->m.pobj[pi].refs = 1;
	a = &io->areas[io->nareas++];
	a->iova = *out;
	a->len = len;
	a->uva = uva;
	a->pobj = pi;
	a->r = flags & IOMMU_IOAS_MAP_READABLE;
	a->w = flags & IOMMU_IOAS_MAP_WRITEABLE;
	pins = pins_plan(f);
	if (foreign)
		f->m.pobj[pi].foreign = true;
	return pins;
}

static uint32_t pick_map_flags(struct fz *f, bool is_bad, bool fixed)
{
	static const uint32_t prot[] = {
		MAP_RW, MAP_RW, MAP_RW, IOMMU_IOAS_MAP_READABLE,
		IOMMU_IOAS_MAP_WRITEABLE,
	};
	uint32_t flags = prot[pick(f, 5)];

	if (fixed)
		flags |= IOMMU_IOAS_MAP_FIXED_IOVA;
	if (is_bad) {
		if (chance(f, 50))
			flags &= ~MAP_RW;
		else
			flags |= 8U << pick(f, 28);
	}
	return flags;
}

struct map_args {
	int c;
	uint32_t id;
	uint64_t uva, len, iova;
	uint32_t flags, resv;
};

static void pick_map(struct fz *f, int c, int i, struct map_args *a,
		     bool allow_bad)
{
	bool is_bad = allow_bad && bad(f);
	bool fixed = chance(f, 60);

	a->c = c;
	a->id = allow_bad ? ioas_id_or_bad(f, c, i) : f->m.ioas[i].id;
	pick_memory(f, is_bad && chance(f, 40), &a->uva, &a->len);
	a->flags = pick_map_flags(f, is_bad && chance(f, 30), fixed);
	a->iova = fixed ? pick_iova(f, i, a->len, is_bad && chance(f, 40)) :
		  (chance(f, 80) ? 0 : rng_next(&f->rng));
	a->resv = is_bad && chance(f, 15) ? 1 + (uint32_t)pick(f, 100) : 0;
}

static void snap(struct fz *f)
{
	memcpy(&f->snap, &f->m, sizeof(f->m));
}

static void restore(struct fz *f)
{
	memcpy(&f->m, &f->snap, sizeof(f->m));
}

static void op_map(struct fz *f)
{
	struct iommu_ioas_map cmd = { .size = sizeof(cmd) };
	int c = pick_ctx(f), i, mut, rc;
	struct map_args a;
	uint64_t want = 0;
	char what[200];
	emask exp;

	if (c < 0)
		return;
	i = pick_ioas(f, c);
	pick_map(f, c, i, &a, true);
	snap(f);
	exp = map_predict(f, c, a.id, a.uva, a.len, a.flags, a.resv, a.iova,
			  &want, false);
	if (!exp) {
		/* The model is full, or cannot know: skip it */
		restore(f);
		return;
	}
	mut = pick_env(f);
	cmd.flags = a.flags;
	cmd.ioas_id = a.id;
	cmd.__reserved = a.resv;
	cmd.user_va = a.uva;
	cmd.length = a.len;
	cmd.iova = a.iova;
	snprintf(what, sizeof(what),
		 "MAP ctx%d ioas=%u uva=%#llx(r%d) len=%#llx iova=%#llx flags=%#x resv=%u%s",
		 c, a.id, (unsigned long long)a.uva, region_of(f, a.uva),
		 (unsigned long long)a.len, (unsigned long long)a.iova,
		 a.flags, a.resv, em_name[mut]);
	rc = raw_ioctl(f, f->m.ctx[c].fd, IOMMUFD_CMD_IOAS_MAP, &cmd,
		       sizeof(cmd), sizeof(cmd), mut, &exp);
	if (!check_rc(f, what, exp, rc) || rc) {
		restore(f);
		return;
	}
	if (cmd.iova != want) {
		finding(f, "MAP returned IOVA %#llx, the model chose %#llx",
			(unsigned long long)cmd.iova,
			(unsigned long long)want);
		return;
	}
	pins_commit(f);
}

static void op_unmap(struct fz *f)
{
	struct iommu_ioas_unmap cmd = { .size = sizeof(cmd) };
	int c = pick_ctx(f), i, k, mut, rc;
	uint64_t iova, len, last = 0, done = 0;
	bool all = false;
	struct ioas *io;
	emask exp = E_OK;
	char what[160];

	if (c < 0)
		return;
	i = pick_ioas_busy(f, c);
	io = i >= 0 ? &f->m.ioas[i] : NULL;
	if (io && io->nareas && chance(f, 85)) {
		struct area *a = &io->areas[pick(f, io->nareas)];
		struct area *b = &io->areas[pick(f, io->nareas)];

		iova = a->iova;
		len = a->len;
		switch (pick(f, 5)) {
		case 0:	/* from one area to another */
			if (b->iova + b->len > a->iova)
				len = b->iova + b->len - a->iova;
			break;
		case 1:	/* partial: cuts the area */
			if (a->len > 1) {
				len = 1 + pick(f, a->len - 1);
				if (chance(f, 50))
					iova += a->len - len;
			}
			break;
		case 2:	/* with room around */
			iova -= pick(f, 4) * PSZ;
			len += (a->iova - iova) + pick(f, 4) * PSZ;
			break;
		}
	} else {
		iova = pick_iova(f, i, PSZ, false);
		len = (1 + pick(f, 16)) * PSZ;
	}
	if (chance(f, 8)) {
		iova = 0;
		len = ULMAX;
	}
	if (bad(f)) {
		switch (pick(f, 4)) {
		case 0:
			len = 0;
			break;
		case 1:
			len = ULMAX - pick(f, 2);
			iova = 1 + pick(f, PSZ);
			break;
		case 2:
			iova = ULMAX;
			break;
		default:
			iova = ULMAX - pick(f, PSZ);
			break;
		}
	}
	cmd.ioas_id = ioas_id_or_bad(f, c, i);
	cmd.iova = iova;
	cmd.length = len;
	if (lookup(f, c, cmd.ioas_id, &i) != OK_IOAS) {
		exp = E(ENOENT);
	} else if (iova == 0 && len == ULMAX) {
		all = true;
	} else if (iova == ULMAX || len == ULMAX) {
		exp = E(EOVERFLOW);
	} else if (range_err(iova, len)) {
		exp = E(range_err(iova, len));
	} else {
		io = &f->m.ioas[i];
		range_last(iova, len, &last);
		exp = E(ENOENT);
		for (k = 0; k != io->nareas; k++) {
			struct area *a = &io->areas[k];

			if (!ranges_meet(iova, last, a->iova,
					 a->iova + a->len - 1))
				continue;
			if (a->iova < iova || a->iova + a->len - 1 > last) {
				exp = E(ENOENT);
				break;
			}
			exp = E_OK;
		}
	}
	mut = pick_env(f);
	snprintf(what, sizeof(what), "UNMAP ctx%d ioas=%u iova=%#llx len=%#llx%s",
		 c, cmd.ioas_id, (unsigned long long)iova,
		 (unsigned long long)len, em_name[mut]);
	rc = raw_ioctl(f, f->m.ctx[c].fd, IOMMUFD_CMD_IOAS_UNMAP, &cmd,
		       sizeof(cmd), sizeof(cmd), mut, &exp);
	if (!check_rc(f, what, exp, rc) || rc)
		return;
	if (all)
		done = areas_remove(f, i, 0, ULMAX);
	else
		done = areas_remove(f, i, iova, last);
	if (cmd.length != done) {
		finding(f, "UNMAP removed %#llx bytes, the model says %#llx",
			(unsigned long long)cmd.length,
			(unsigned long long)done);
		return;
	}
	pins_commit(f);
}

struct copy_walk {
	struct fz *f;
	struct area pieces[MAX_AREAS];
	int n;
};

static bool copy_piece(struct area *a, uint64_t cur, uint64_t plast,
		       void *arg)
{
	struct copy_walk *w = arg;

	if (w->n == MAX_AREAS)
		return false;
	w->pieces[w->n] = *a;
	w->pieces[w->n].uva = a->uva + (cur - a->iova);
	w->pieces[w->n].len = plast - cur + 1;
	w->n++;
	return true;
}

/*
 * Expected result of COPY, up to pinning; on success the new areas, one
 * per source piece, are in the model (tentatively) and *@want their IOVA.
 */
static emask copy_predict(struct fz *f, int c, struct iommu_ioas_copy *cmd,
			  bool fixed, uint64_t *want)
{
	struct copy_walk w = { .f = f };
	uint64_t last, align, cur;
	struct ioas *dst;
	int si, di, k, rc;

	if (cmd->flags & ~7U)
		return E(EOPNOTSUPP);
	if (cmd->length == ULMAX || cmd->src_iova == ULMAX ||
	    cmd->dst_iova == ULMAX)
		return E(EOVERFLOW);
	if (!(cmd->flags & MAP_RW))
		return E(EINVAL);
	if (lookup(f, c, cmd->src_ioas_id, &si) != OK_IOAS ||
	    lookup(f, c, cmd->dst_ioas_id, &di) != OK_IOAS)
		return E(ENOENT);
	if (range_err(cmd->src_iova, cmd->length))
		return E(range_err(cmd->src_iova, cmd->length));
	range_last(cmd->src_iova, cmd->length, &last);
	/* The source must be mapped without a hole; pieces may be partial */
	if (!walk(&f->m.ioas[si], cmd->src_iova, last, copy_piece, &w))
		return w.n == MAX_AREAS ? 0 : E(ENOENT);
	align = ioas_align(f, di);
	if (cmd->length & (align - 1))
		return E(EINVAL);
	dst = &f->m.ioas[di];
	if (fixed) {
		if (cmd->dst_iova & (align - 1))
			return E(EINVAL);
		if (!range_last(cmd->dst_iova, cmd->length, &last))
			return E(EOVERFLOW);
		if (ioas_resv_meets(f, di, cmd->dst_iova, last))
			return E(EINVAL);
		if (ioas_area_meets(dst, cmd->dst_iova, last))
			return E(EEXIST);
		*want = cmd->dst_iova;
	} else {
		rc = model_find_iova(f, di, w.pieces[0].uva, cmd->length,
				     align, want);
		if (rc)
			return E(rc);
	}
	cur = *want;
	for (k = 0; k != w.n; k++) {
		struct pobj *p = &f->m.pobj[w.pieces[k].pobj];

		if ((cmd->flags & IOMMU_IOAS_MAP_WRITEABLE) && !p->writable)
			return E(EPERM);
		if ((w.pieces[k].uva % PSZ) & (align - 1))
			return E(EINVAL);
		/* Pieces of sub-page sources land back to back */
		if (cur & (align - 1))
			return E(EINVAL);
		cur += w.pieces[k].len;
	}
	if (dst->nareas + w.n > MAX_AREAS)
		return 0;
	cur = *want;
	for (k = 0; k != w.n; k++) {
		struct area *a = &dst->areas[dst->nareas++];

		*a = w.pieces[k];
		a->iova = cur;
		a->r = cmd->flags & IOMMU_IOAS_MAP_READABLE;
		a->w = cmd->flags & IOMMU_IOAS_MAP_WRITEABLE;
		f->m.pobj[a->pobj].refs++;
		cur += a->len;
	}
	return pins_plan(f);
}

static void op_copy(struct fz *f)
{
	struct iommu_ioas_copy cmd = { .size = sizeof(cmd) };
	int c = pick_ctx(f), si, di, mut, rc;
	bool fixed = chance(f, 60), is_bad = bad(f);
	uint64_t want = 0;
	struct ioas *src;
	emask exp;
	char what[200];

	if (c < 0)
		return;
	si = pick_ioas_busy(f, c);
	di = chance(f, 20) ? si : pick_ioas(f, c);
	if (si < 0)
		return;
	src = &f->m.ioas[si];
	cmd.src_ioas_id = ioas_id_or_bad(f, c, si);
	cmd.dst_ioas_id = ioas_id_or_bad(f, c, di);
	if (src->nareas && chance(f, 90)) {
		struct area *a = &src->areas[pick(f, src->nareas)];
		struct area *b = &src->areas[pick(f, src->nareas)];

		cmd.src_iova = a->iova;
		cmd.length = a->len;
		if (chance(f, 30) && b->iova + b->len > a->iova)
			cmd.length = b->iova + b->len - a->iova;
		if (chance(f, 30) && cmd.length > PSZ) {
			uint64_t cut = pick(f, cmd.length / PSZ) * PSZ;

			cmd.src_iova += cut;
			cmd.length -= cut;
		}
	} else {
		cmd.src_iova = pick_iova(f, si, PSZ, false);
		cmd.length = (1 + pick(f, 8)) * PSZ;
	}
	cmd.flags = pick_map_flags(f, is_bad && chance(f, 30), fixed);
	cmd.dst_iova = fixed ? pick_iova(f, di, cmd.length,
					 is_bad && chance(f, 30)) : 0;
	if (is_bad && chance(f, 30))
		cmd.length = chance(f, 50) ? 0 : ULMAX - pick(f, 3);

	snap(f);
	exp = copy_predict(f, c, &cmd, fixed, &want);
	if (!exp) {
		restore(f);
		return;
	}
	mut = pick_env(f);
	snprintf(what, sizeof(what),
		 "COPY ctx%d %u:%#llx -> %u:%#llx len=%#llx flags=%#x%s", c,
		 cmd.src_ioas_id, (unsigned long long)cmd.src_iova,
		 cmd.dst_ioas_id, (unsigned long long)cmd.dst_iova,
		 (unsigned long long)cmd.length, cmd.flags, em_name[mut]);
	rc = raw_ioctl(f, f->m.ctx[c].fd, IOMMUFD_CMD_IOAS_COPY, &cmd,
		       sizeof(cmd), sizeof(cmd), mut, &exp);
	if (!check_rc(f, what, exp, rc) || rc) {
		restore(f);
		return;
	}
	if (cmd.dst_iova != want) {
		finding(f, "COPY returned IOVA %#llx, the model chose %#llx",
			(unsigned long long)cmd.dst_iova,
			(unsigned long long)want);
		return;
	}
	pins_commit(f);
}

/* IOVA_RANGES is the complement of the reserved ranges */
static void op_ranges(struct fz *f)
{
	struct iommu_ioas_iova_ranges cmd = { .size = sizeof(cmd) };
	struct range resv[MAX_RANGES], want[MAX_RANGES + 1];
	struct iommu_iova_range *got = (void *)f->data;
	int c = pick_ctx(f), i, n, nwant = 0, k, mut, rc;
	uint32_t cap = 1 + pick(f, 8);
	uint64_t pos = 0;
	bool done = false;
	emask exp = E_OK;
	char what[96];

	if (c < 0)
		return;
	i = pick_ioas(f, c);
	cmd.ioas_id = ioas_id_or_bad(f, c, i);
	if (chance(f, 15))
		cap = 0;
	cmd.num_iovas = cap;
	cmd.allowed_iovas = (uintptr_t)got;
	if (bad(f) && chance(f, 50))
		cmd.__reserved = 1 + pick(f, 9);
	if (lookup(f, c, cmd.ioas_id, &i) != OK_IOAS) {
		exp = cmd.__reserved ? E(EOPNOTSUPP) : E(ENOENT);
	} else {
		n = ranges_merge(resv, ioas_resv(f, i, resv));
		for (k = 0; k != n && !done; k++) {
			if (resv[k].start > pos)
				want[nwant++] = (struct range){
					pos, resv[k].start - 1 };
			if (resv[k].last == ULMAX)
				done = true;
			else
				pos = resv[k].last + 1;
		}
		if (!done)
			want[nwant++] = (struct range){ pos, ULMAX };
		exp = cmd.__reserved ? E(EOPNOTSUPP) :
		      (uint32_t)nwant > cap ? E(EMSGSIZE) : E_OK;
	}
	mut = pick_env(f);
	snprintf(what, sizeof(what), "IOVA_RANGES ctx%d ioas=%u cap=%u%s", c,
		 cmd.ioas_id, cap, em_name[mut]);
	memset(got, 0xa5, 9 * sizeof(*got));
	rc = raw_ioctl(f, f->m.ctx[c].fd, IOMMUFD_CMD_IOAS_IOVA_RANGES, &cmd,
		       sizeof(cmd), sizeof(cmd), mut, &exp);
	if (!check_rc(f, what, exp, rc) || (rc && rc != EMSGSIZE))
		return;
	if (cmd.num_iovas != (uint32_t)nwant) {
		finding(f, "IOVA_RANGES: %u ranges, the model has %d",
			cmd.num_iovas, nwant);
		return;
	}
	if (cmd.out_iova_alignment != ioas_align(f, i)) {
		finding(f, "IOVA_RANGES: alignment %llu, the model says %llu",
			(unsigned long long)cmd.out_iova_alignment,
			(unsigned long long)ioas_align(f, i));
		return;
	}
	for (k = 0; k != nwant && k != (int)cap; k++)
		if (got[k].start != want[k].start ||
		    got[k].last != want[k].last) {
			finding(f, "IOVA_RANGES[%d] = %#llx-%#llx, the model says %#llx-%#llx",
				k, (unsigned long long)got[k].start,
				(unsigned long long)got[k].last,
				(unsigned long long)want[k].start,
				(unsigned long long)want[k].last);
			return;
		}
}

static void op_allow(struct fz *f)
{
	struct iommu_ioas_allow_iovas cmd = { .size = sizeof(cmd) };
	struct iommu_iova_range *r = (void *)f->data;
	int c = pick_ctx(f), i, n = pick(f, MAX_ALLOW + 1), k, j, mut, rc;
	struct range resv[MAX_RANGES];
	int nresv;
	emask exp = E_OK;
	char what[120];

	if (c < 0)
		return;
	i = pick_ioas(f, c);
	for (k = 0; k != n; k++) {
		uint64_t s = WIN_BASE + pick(f, WIN_PAGES) * PSZ;

		r[k].start = chance(f, 10) ? pick(f, 1ULL << 40) : s;
		r[k].last = r[k].start + (1 + pick(f, 1024)) * PSZ - 1;
		if (chance(f, 10))
			r[k].last = ULMAX;
		if (bad(f)) {
			if (chance(f, 50))
				r[k].last = r[k].start;
			else if (k)
				r[k] = r[k - 1];
		}
	}
	cmd.ioas_id = ioas_id_or_bad(f, c, i);
	cmd.num_iovas = n;
	cmd.allowed_iovas = (uintptr_t)r;
	if (n && bad(f) && chance(f, 30))
		cmd.allowed_iovas = (uintptr_t)f->guard;
	if (bad(f) && chance(f, 30))
		cmd.__reserved = 1;
	if (cmd.__reserved) {
		exp = E(EOPNOTSUPP);
	} else if (lookup(f, c, cmd.ioas_id, &i) != OK_IOAS) {
		exp = E(ENOENT);
	} else if (n && cmd.allowed_iovas == (uintptr_t)f->guard) {
		exp = E(EFAULT);
	} else {
		for (k = 0; k != n && exp == E_OK; k++) {
			if (r[k].start >= r[k].last)
				exp = E(EINVAL);
			for (j = 0; j != k && exp == E_OK; j++)
				if (ranges_meet(r[k].start, r[k].last,
						r[j].start, r[j].last))
					exp = E(EINVAL);
		}
		nresv = ioas_resv(f, i, resv);
		for (k = 0; k != n && exp == E_OK; k++)
			for (j = 0; j != nresv; j++)
				if (ranges_meet(r[k].start, r[k].last,
						resv[j].start, resv[j].last))
					exp = E(EADDRINUSE);
	}
	mut = pick_env(f);
	snprintf(what, sizeof(what), "ALLOW_IOVAS ctx%d ioas=%u n=%d first=%#llx-%#llx%s",
		 c, cmd.ioas_id, n, n ? (unsigned long long)r[0].start : 0ULL,
		 n ? (unsigned long long)r[0].last : 0ULL, em_name[mut]);
	rc = raw_ioctl(f, f->m.ctx[c].fd, IOMMUFD_CMD_IOAS_ALLOW_IOVAS, &cmd,
		       sizeof(cmd), sizeof(cmd), mut, &exp);
	if (!check_rc(f, what, exp, rc) || rc)
		return;
	f->m.ioas[i].nallow = n;
	for (k = 0; k != n; k++)
		f->m.ioas[i].allow[k] = (struct range){ r[k].start,
							r[k].last };
}

static void op_option(struct fz *f)
{
	struct iommu_option cmd = { .size = sizeof(cmd) };
	int c = pick_ctx(f), i = -1, k, mut, rc;
	emask exp = E_OK;
	char what[120];

	if (c < 0)
		return;
	cmd.op = chance(f, 50) ? IOMMU_OPTION_OP_GET : IOMMU_OPTION_OP_SET;
	cmd.val64 = pick(f, 2);
	if (chance(f, 40)) {
		cmd.option_id = IOMMU_OPTION_RLIMIT_MODE;
		if (bad(f))
			cmd.object_id = any_id(f, c);
	} else {
		cmd.option_id = IOMMU_OPTION_HUGE_PAGES;
		i = pick_ioas(f, c);
		cmd.object_id = ioas_id_or_bad(f, c, i);
	}
	if (bad(f)) {
		switch (pick(f, 4)) {
		case 0:
			cmd.__reserved = 1;
			break;
		case 1:
			cmd.op = 2 + pick(f, 100);
			break;
		case 2:
			cmd.option_id = 2 + pick(f, 100);
			break;
		default:
			cmd.val64 = 2 + pick(f, 100);
			break;
		}
	}

	if (cmd.__reserved || cmd.option_id > IOMMU_OPTION_HUGE_PAGES) {
		exp = E(EOPNOTSUPP);
	} else if (cmd.option_id == IOMMU_OPTION_RLIMIT_MODE) {
		if (cmd.object_id || cmd.op > IOMMU_OPTION_OP_GET)
			exp = E(EOPNOTSUPP);
		else if (cmd.op == IOMMU_OPTION_OP_SET &&
			 (f->shared || ctx_nobjects(f, c)))
			exp = E(EBUSY);
		else if (cmd.op == IOMMU_OPTION_OP_SET && cmd.val64 > 1)
			exp = E(EINVAL);
	} else if (lookup(f, c, cmd.object_id, &i) != OK_IOAS) {
		exp = E(ENOENT);
	} else if (cmd.op > IOMMU_OPTION_OP_GET) {
		exp = E(EOPNOTSUPP);
	} else if (cmd.op == IOMMU_OPTION_OP_SET) {
		struct ioas *io = &f->m.ioas[i];
		bool enable = cmd.val64 == 1;

		if (cmd.val64 > 1)
			exp = E(EINVAL);
		else if (enable == !io->huge_off)
			exp = E_OK;
		else if (!enable && ioas_ndomains(f, i) && io->nareas)
			exp = E(EINVAL);
		else if (!enable && PSZ > ioas_align(f, i) &&
			 !areas_aligned(io, PSZ))
			exp = E(EADDRINUSE);
	}
	mut = pick_env(f);
	snprintf(what, sizeof(what), "OPTION ctx%d id=%u op=%u obj=%u val=%llu resv=%u%s",
		 c, cmd.option_id, cmd.op, cmd.object_id,
		 (unsigned long long)cmd.val64, cmd.__reserved, em_name[mut]);
	k = cmd.op;
	rc = raw_ioctl(f, f->m.ctx[c].fd, IOMMUFD_CMD_OPTION, &cmd,
		       sizeof(cmd), sizeof(cmd), mut, &exp);
	if (!check_rc(f, what, exp, rc) || rc)
		return;
	if (cmd.option_id == IOMMU_OPTION_RLIMIT_MODE) {
		if (k == IOMMU_OPTION_OP_SET)
			f->m.ctx[c].account_mm = cmd.val64;
		else if (cmd.val64 != f->m.ctx[c].account_mm)
			finding(f, "RLIMIT_MODE reads %llu, the model says %d",
				(unsigned long long)cmd.val64,
				f->m.ctx[c].account_mm);
	} else if (k == IOMMU_OPTION_OP_SET) {
		f->m.ioas[i].huge_off = !cmd.val64;
	} else if (cmd.val64 != !f->m.ioas[i].huge_off) {
		finding(f, "HUGE_PAGES reads %llu, the model says %d",
			(unsigned long long)cmd.val64, !f->m.ioas[i].huge_off);
	}
}

static void op_reserve(struct fz *f)
{
	struct iommu_test_cmd cmd = { .op = IOMMU_TEST_OP_ADD_RESERVED };
	int c = pick_ctx(f), i, mut, rc;
	uint64_t last = 0;
	emask exp = E_OK;
	char what[120];

	if (c < 0)
		return;
	i = pick_ioas(f, c);
	if (i >= 0 && f->m.ioas[i].nresv == MAX_RESV)
		return;
	cmd.id = ioas_id_or_bad(f, c, i);
	cmd.add_reserved.start = chance(f, 70) ?
		WIN_BASE + pick(f, WIN_PAGES) * PSZ : pick(f, 1ULL << 34);
	cmd.add_reserved.length = (1 + pick(f, 16)) * PSZ;
	if (bad(f)) {
		switch (pick(f, 3)) {
		case 0:
			cmd.add_reserved.length = 0;
			break;
		case 1:
			cmd.add_reserved.start = ULMAX - pick(f, 2);
			break;
		default:
			cmd.add_reserved.length = ULMAX - pick(f, 3);
			break;
		}
	}
	if (cmd.add_reserved.start == ULMAX || cmd.add_reserved.length == ULMAX)
		exp = E(EOVERFLOW);
	else if (range_err(cmd.add_reserved.start, cmd.add_reserved.length))
		exp = E(range_err(cmd.add_reserved.start,
				  cmd.add_reserved.length));
	else if (lookup(f, c, cmd.id, &i) != OK_IOAS)
		exp = E(ENOENT);
	else if (range_last(cmd.add_reserved.start, cmd.add_reserved.length,
			    &last),
		 reserve_blocked(&f->m.ioas[i], cmd.add_reserved.start, last))
		exp = E(EADDRINUSE);
	else if (f->m.ioas[i].nresv == MAX_RESV)
		return;
	mut = pick_env(f);
	snprintf(what, sizeof(what), "ADD_RESERVED ctx%d ioas=%u %#llx+%#llx%s",
		 c, cmd.id, (unsigned long long)cmd.add_reserved.start,
		 (unsigned long long)cmd.add_reserved.length, em_name[mut]);
	rc = test_ioctl(f, f->m.ctx[c].fd, &cmd, mut, &exp);
	if (!check_rc(f, what, exp, rc) || rc)
		return;
	f->m.ioas[i].resv[f->m.ioas[i].nresv++] =
		(struct range){ cmd.add_reserved.start, last };
}

/* Attach a new mock device to IOAS or HWPT @id of @c; see selftest.c */
static emask mock_predict(struct fz *f, int c, uint32_t id, int *hwpt_out)
{
	struct ioas *io;
	int idx, h, i;
	uint64_t align;

	*hwpt_out = -1;
	switch (lookup(f, c, id, &idx)) {
	case OK_NONE:
		return E(ENOENT);
	case OK_HWPT:
		if (!f->m.hwpt[idx].mock)
			return E(EINVAL);
		h = idx;
		i = f->m.hwpt[h].ioas;
		break;
	case OK_IOAS:
		/* Join the IOAS's automatic mock HWPT, or make one */
		i = idx;
		for (h = 0; h != MAX_HWPT; h++)
			if (f->m.hwpt[h].used && f->m.hwpt[h].ioas == i &&
			    f->m.hwpt[h].mock && !f->m.hwpt[h].manual)
				break;
		if (h == MAX_HWPT)
			h = -1;
		break;
	default:
		return E(EINVAL);
	}
	io = &f->m.ioas[i];
	if (h >= 0 && f->m.hwpt[h].in_iopt) {
		/* The aperture is reserved already, so the MSI window too */
		*hwpt_out = h;
		f->m.hwpt[h].ngroups++;
		return E_OK;
	}
	/* The device's MSI window, then the domain joins the IOAS */
	if (reserve_blocked(io, MSI_START, MSI_LAST))
		return E(EADDRINUSE);
	align = ioas_align(f, i);
	if (align < MOCK_PSZ && !areas_aligned(io, MOCK_PSZ))
		return E(EADDRINUSE);
	if (reserve_blocked(io, 0, WIN_BASE - 1) ||
	    reserve_blocked(io, MOCK_APERTURE_LAST + 1ULL, ULMAX))
		return E(EADDRINUSE);
	if (h < 0) {
		for (h = 0; h != MAX_HWPT && f->m.hwpt[h].used; h++)
			;
		if (h == MAX_HWPT)
			return 0;
		memset(&f->m.hwpt[h], 0, sizeof(f->m.hwpt[h]));
		f->m.hwpt[h].used = true;
		f->m.hwpt[h].mock = true;
		f->m.hwpt[h].ctx = c;
		f->m.hwpt[h].ioas = i;
	}
	f->m.hwpt[h].in_iopt = true;
	f->m.hwpt[h].ngroups++;
	*hwpt_out = h;
	return pins_plan(f);
}

static void op_mock(struct fz *f)
{
	struct iommu_test_cmd cmd = { .op = IOMMU_TEST_OP_MOCK_DOMAIN };
	int c = pick_ctx(f), i, s, h, mut, rc;
	emask exp;
	char what[96];

	if (c < 0)
		return;
	for (s = 0; s != MAX_STDEV && f->m.stdev[s].used; s++)
		;
	if (s == MAX_STDEV)
		return;
	i = pick_ioas(f, c);
	cmd.id = ioas_id_or_bad(f, c, i);
	if (chance(f, 20)) {
		for (h = 0; h != MAX_HWPT; h++)
			if (f->m.hwpt[h].used && f->m.hwpt[h].ctx == c &&
			    chance(f, 50))
				cmd.id = f->m.hwpt[h].id;
	}
	snap(f);
	exp = mock_predict(f, c, cmd.id, &h);
	if (!exp) {
		restore(f);
		return;
	}
	mut = pick_env(f);
	snprintf(what, sizeof(what), "MOCK_DOMAIN ctx%d pt=%u%s", c, cmd.id,
		 em_name[mut]);
	rc = test_ioctl(f, f->m.ctx[c].fd, &cmd, mut, &exp);
	if (!check_rc(f, what, exp, rc) || rc) {
		restore(f);
		return;
	}
	trace_add(&f->tr, "   stdev%d = %u idev %u hwpt %u", s,
		  cmd.mock_domain.out_stdev_id, cmd.mock_domain.out_idev_id,
		  cmd.mock_domain.out_hwpt_id);
	if (f->m.hwpt[h].id && f->m.hwpt[h].id != cmd.mock_domain.out_hwpt_id) {
		finding(f, "MOCK_DOMAIN joined HWPT %u, the model says %u",
			cmd.mock_domain.out_hwpt_id, f->m.hwpt[h].id);
		return;
	}
	f->m.hwpt[h].id = cmd.mock_domain.out_hwpt_id;
	f->m.stdev[s] = (struct stdev){
		.used = true, .ctx = c, .hwpt = h,
		.id = cmd.mock_domain.out_stdev_id,
		.idev = cmd.mock_domain.out_idev_id,
	};
	note_id(f, c, cmd.mock_domain.out_stdev_id);
	note_id(f, c, cmd.mock_domain.out_idev_id);
	note_id(f, c, cmd.mock_domain.out_hwpt_id);
	pins_commit(f);
}

/* A DEVICE of context @c, real or mock, for HWPT_ALLOC and GET_HW_INFO */
static uint32_t pick_devid(struct fz *f, int c)
{
	uint32_t ids[MAX_STDEV + MAX_DEVS];
	int n = 0, i;

	for (i = 0; i != MAX_STDEV; i++)
		if (f->m.stdev[i].used && f->m.stdev[i].ctx == c)
			ids[n++] = f->m.stdev[i].idev;
	for (i = 0; i != MAX_DEVS; i++)
		if (f->m.dev[i].used && f->m.dev[i].ctx == c)
			ids[n++] = f->m.dev[i].devid;
	if (!n || bad(f))
		return any_id(f, c);
	return ids[pick(f, n)];
}

/* IOMMU_HWPT_ALLOC: a HWPT that waits for its first attach, and stays */
static void op_hwpt_alloc(struct fz *f)
{
	struct iommu_hwpt_alloc cmd = { .size = sizeof(cmd) };
	int c = pick_ctx(f), i, h, idx, mut, rc;
	enum okind dk;
	emask exp = E_OK;
	char what[160];

	if (c < 0)
		return;
	for (h = 0; h != MAX_HWPT && f->m.hwpt[h].used; h++)
		;
	if (h == MAX_HWPT)
		return;
	i = pick_ioas(f, c);
	cmd.dev_id = pick_devid(f, c);
	cmd.pt_id = ioas_id_or_bad(f, c, i);
	if (chance(f, 15))
		cmd.flags = IOMMU_HWPT_ALLOC_DIRTY_TRACKING;
	if (bad(f)) {
		switch (pick(f, 5)) {
		case 0:
			cmd.flags |= 1U << pick(f, 32);
			break;
		case 1:
			cmd.data_type = 1 + pick(f, 4);
			break;
		case 2:
			cmd.data_len = 1 + pick(f, 64);
			break;
		case 3:
			cmd.__reserved = 1;
			break;
		default:
			cmd.__reserved2 = 1;
			break;
		}
	}
	mut = pick_env(f);
	/* The 24 and 40 byte layouts, when what they drop is zero */
	if (mut == EM_NONE && !cmd.data_type && !cmd.data_len &&
	    !cmd.__reserved2 && chance(f, 30))
		cmd.size = 24 + 16 * pick(f, 2);
	dk = lookup(f, c, cmd.dev_id, &idx);
	if (cmd.__reserved || cmd.__reserved2 || (cmd.flags & ~0xfU) ||
	    cmd.data_type > IOMMU_HWPT_DATA_ARM_SMMUV3)
		exp = E(EOPNOTSUPP);
	else if (dk != OK_DEV && dk != OK_IDEV)
		exp = E(ENOENT);
	else if (lookup(f, c, cmd.pt_id, &i) == OK_NONE)
		exp = E(ENOENT);
	else if (lookup(f, c, cmd.pt_id, &i) != OK_IOAS ||
		 cmd.data_type || cmd.data_len)
		exp = E(EINVAL);
	else if ((cmd.flags & ~IOMMU_HWPT_ALLOC_DIRTY_TRACKING) ||
		 (cmd.flags && dk != OK_IDEV))
		exp = E(EOPNOTSUPP);
	snprintf(what, sizeof(what), "HWPT_ALLOC ctx%d size=%u dev=%u pt=%u flags=%#x type=%u len=%u%s",
		 c, cmd.size, cmd.dev_id, cmd.pt_id, cmd.flags, cmd.data_type,
		 cmd.data_len, em_name[mut]);
	rc = raw_ioctl(f, f->m.ctx[c].fd, IOMMUFD_CMD_HWPT_ALLOC, &cmd,
		       cmd.size, 24, mut, &exp);
	if (!check_rc(f, what, exp, rc) || rc)
		return;
	trace_add(&f->tr, "   hwpt%d = id %u", h, cmd.out_hwpt_id);
	f->m.hwpt[h] = (struct hwpt){
		.used = true, .manual = true, .mock = dk == OK_IDEV,
		.ctx = c, .ioas = i, .id = cmd.out_hwpt_id,
	};
	note_id(f, c, cmd.out_hwpt_id);
}

/* IOMMU_GET_HW_INFO: the mock's test data, nothing for real devices */
static void op_hw_info(struct fz *f)
{
	struct iommu_hw_info cmd = { .size = sizeof(cmd) };
	static const unsigned char mock_data[8] = {
		0, 0, 0, 0, 0xef, 0xbe, 0xad, 0xde,
	};
	int c = pick_ctx(f), idx, mut, rc;
	bool bad_ptr = false, mock;
	uint32_t len, k;
	enum okind dk;
	emask exp = E_OK;
	char what[120];

	if (c < 0)
		return;
	cmd.dev_id = pick_devid(f, c);
	len = pick(f, 17);
	cmd.data_len = len;
	cmd.data_uptr = (uintptr_t)f->data;
	memset(f->data, 0xa5, 32);
	if (bad(f)) {
		switch (pick(f, 3)) {
		case 0:
			cmd.flags = 1U << pick(f, 32);
			break;
		case 1:
			cmd.__reserved = 1;
			break;
		default:
			cmd.data_uptr = (uintptr_t)f->guard;
			bad_ptr = true;
			break;
		}
	}
	mut = pick_env(f);
	if (mut == EM_NONE && chance(f, 20))
		cmd.size = 32;
	dk = lookup(f, c, cmd.dev_id, &idx);
	mock = dk == OK_IDEV;
	if (cmd.flags || cmd.__reserved)
		exp = E(EOPNOTSUPP);
	else if (dk != OK_DEV && dk != OK_IDEV)
		exp = E(ENOENT);
	else if (bad_ptr && len)
		exp = E(EFAULT);
	snprintf(what, sizeof(what), "GET_HW_INFO ctx%d size=%u dev=%u len=%u flags=%#x%s%s",
		 c, cmd.size, cmd.dev_id, len, cmd.flags,
		 bad_ptr ? " data=bad" : "", em_name[mut]);
	rc = raw_ioctl(f, f->m.ctx[c].fd, IOMMUFD_CMD_GET_HW_INFO, &cmd,
		       cmd.size, 32, mut, &exp);
	if (!check_rc(f, what, exp, rc) || rc)
		return;
	if (cmd.data_len != (mock ? 8U : 0U) ||
	    cmd.out_data_type != (mock ? IOMMU_HW_INFO_TYPE_SELFTEST : 0U) ||
	    (cmd.size == sizeof(cmd) &&
	     cmd.out_capabilities != (mock ? IOMMU_HW_CAP_DIRTY_TRACKING :
					      0ULL))) {
		finding(f, "GET_HW_INFO: len %u type %#x caps %#llx for a %s device",
			cmd.data_len, cmd.out_data_type,
			(unsigned long long)cmd.out_capabilities,
			mock ? "mock" : "real");
		return;
	}
	for (k = 0; k != 32; k++) {
		unsigned char want = k >= len ? 0xa5 :
				     mock && k < 8 ? mock_data[k] : 0;

		if ((unsigned char)f->data[k] != want) {
			finding(f, "GET_HW_INFO data byte %u is %#x, want %#x",
				k, (unsigned char)f->data[k], want);
			return;
		}
	}
}

/* What MD_CHECK_MAP of one IO page of area @a at @iova should say */
static int check_map_page(struct fz *f, struct area *a, uint64_t iova,
			  uint64_t uptr)
{
	int r = region_of(f, uptr);
	enum pin_view v;

	if (r < 0 || !f->reg[r].live || f->reg[r].kind == RK_NONE)
		return EFAULT;
	v = pin_view(f, a->pobj, a->uva + (iova - a->iova));
	if (uptr != a->uva + (iova - a->iova))
		return v == PV_FOREIGN ? -1 : EINVAL;
	switch (v) {
	case PV_CURRENT:
		return 0;
	case PV_FOREIGN:
		return f->reg[r].kind == RK_FILE ? -2 : -1;
	default:
		return EINVAL;
	}
}

static emask check_map_predict(struct fz *f, int c, struct iommu_test_cmd *cmd)
{
	uint64_t iova = cmd->check_map.iova, uptr = cmd->check_map.uptr;
	uint64_t len = cmd->check_map.length, off;
	struct ioas *io;
	int h, e;

	if ((iova | uptr | len) % MOCK_PSZ)
		return E(EINVAL);
	if (range_err(iova, len))
		return E(range_err(iova, len));
	if (lookup(f, c, cmd->id, &h) != OK_HWPT)
		return E(ENOENT);
	/* Not a mock domain, or one that maps nothing before its attach */
	if (!f->m.hwpt[h].mock || !f->m.hwpt[h].in_iopt)
		return E(EINVAL);
	io = &f->m.ioas[f->m.hwpt[h].ioas];
	for (off = 0; off < len; off += MOCK_PSZ) {
		struct area *pa = area_at(io, iova + off);

		if (!pa)
			return E(EINVAL);
		e = check_map_page(f, pa, iova + off, uptr + off);
		if (e == -1)
			return E_OK | E(EINVAL);
		if (e > 0)
			return E(e);
	}
	return E_OK;
}

static void op_check_map(struct fz *f)
{
	struct iommu_test_cmd cmd = { .op = IOMMU_TEST_OP_MD_CHECK_MAP };
	int c = pick_ctx(f), h, hs[MAX_HWPT], n = 0, mut, rc;
	struct ioas *io;
	struct area *a;
	uint64_t off;
	emask exp;
	char what[140];

	if (c < 0)
		return;
	for (h = 0; h != MAX_HWPT; h++)
		if (f->m.hwpt[h].used && f->m.hwpt[h].ctx == c &&
		    f->m.ioas[f->m.hwpt[h].ioas].nareas)
			hs[n++] = h;
	if (!n)
		return;
	h = hs[pick(f, n)];
	io = &f->m.ioas[f->m.hwpt[h].ioas];
	a = &io->areas[pick(f, io->nareas)];
	off = pick(f, a->len / MOCK_PSZ) * MOCK_PSZ;
	cmd.id = f->m.hwpt[h].id;
	cmd.check_map.iova = a->iova + off;
	cmd.check_map.length = (1 + pick(f, (a->len - off) / MOCK_PSZ)) *
			       MOCK_PSZ;
	cmd.check_map.uptr = a->uva + off;
	if (bad(f)) {
		switch (pick(f, 5)) {
		case 0:
			cmd.check_map.iova += 1 + pick(f, MOCK_PSZ - 1);
			break;
		case 1:
			cmd.check_map.length += MOCK_PSZ * (1 + pick(f, 4));
			break;
		case 2:
			cmd.check_map.uptr += MOCK_PSZ * (1 + pick(f, 4));
			break;
		case 3:
			cmd.check_map.length = 0;
			break;
		default:
			cmd.id = any_id(f, c);
			break;
		}
	}
	exp = check_map_predict(f, c, &cmd);
	mut = pick_env(f);
	snprintf(what, sizeof(what), "MD_CHECK_MAP ctx%d hwpt=%u iova=%#llx len=%#llx uptr=%#llx%s",
		 c, cmd.id, (unsigned long long)cmd.check_map.iova,
		 (unsigned long long)cmd.check_map.length,
		 (unsigned long long)cmd.check_map.uptr, em_name[mut]);
	rc = test_ioctl(f, f->m.ctx[c].fd, &cmd, mut, &exp);
	check_rc(f, what, exp, rc);
}

/* Pins the model expects on user page @uva */
static int page_refs(struct fz *f, uint64_t uva)
{
	int r = region_of(f, uva), i, n = 0;

	for (i = 0; i != MAX_POBJ; i++) {
		struct pobj *p = &f->m.pobj[i];
		enum pin_view v;

		if (!p->used || uva < p->uptr ||
		    (uva - p->uptr) / PSZ >= p->npages)
			continue;
		v = pin_view(f, i, uva);
		if (v == PV_CURRENT)
			n++;
		else if (v == PV_FOREIGN && f->reg[r].kind == RK_FILE &&
			 (f->win[i].gen[(uva - p->uptr) / PSZ -
					f->win[i].base] & ~PIN_FOREIGN) ==
				 f->reg[r].gen)
			n++;
	}
	return n;
}

static void op_check_refs(struct fz *f)
{
	struct iommu_test_cmd cmd = { .op = IOMMU_TEST_OP_MD_CHECK_REFS };
	int c = pick_ctx(f), r = pick(f, NREG), refs, mut, rc;
	struct region *reg = &f->reg[r];
	uint64_t first, n;
	emask exp = E_OK;
	char what[120];

	if (c < 0 || reg->kind == RK_HUGE)
		return;
	first = pick(f, reg->len / PSZ);
	refs = reg->live && reg->kind != RK_NONE ?
	       page_refs(f, (uintptr_t)reg->va + first * PSZ) : 0;
	/* A run of pages with the same count */
	for (n = 1; first + n < reg->len / PSZ && n < 16; n++)
		if (!reg->live || reg->kind == RK_NONE ||
		    page_refs(f, (uintptr_t)reg->va + (first + n) * PSZ) !=
			    refs)
			break;
	n = 1 + pick(f, n);
	cmd.check_refs.uptr = (uintptr_t)reg->va + first * PSZ;
	cmd.check_refs.length = n * PSZ;
	cmd.check_refs.refs = refs;
	if (!reg->live || reg->kind == RK_NONE)
		exp = E(EFAULT);
	if (bad(f)) {
		switch (pick(f, 3)) {
		case 0:
			cmd.check_refs.refs += 1 + pick(f, 3);
			if (exp == E_OK)
				exp = E(EIO);
			break;
		case 1:
			cmd.check_refs.uptr += 1 + pick(f, PSZ - 1);
			exp = E(EINVAL);
			break;
		default:
			cmd.check_refs.length += 1 + pick(f, PSZ - 1);
			exp = E(EINVAL);
			break;
		}
	}
	mut = pick_env(f);
	snprintf(what, sizeof(what), "MD_CHECK_REFS %s(r%d) page %llu+%llu refs=%u%s",
		 rk_name[reg->kind], r, (unsigned long long)first,
		 (unsigned long long)n, cmd.check_refs.refs, em_name[mut]);
	rc = test_ioctl(f, f->m.ctx[c].fd, &cmd, mut, &exp);
	check_rc(f, what, exp, rc);
}

static void op_acc_create(struct fz *f)
{
	struct iommu_test_cmd cmd = { .op = IOMMU_TEST_OP_CREATE_ACCESS };
	int c = pick_ctx(f), i, a, mut, rc;
	emask exp = E_OK;
	char what[96];

	if (c < 0)
		return;
	for (a = 0; a != MAX_ACCESS && f->m.acc[a].used; a++)
		;
	if (a == MAX_ACCESS)
		return;
	i = pick_ioas(f, c);
	cmd.id = ioas_id_or_bad(f, c, i);
	switch (pick(f, 4)) {
	case 0:
		break;
	case 1:
		cmd.create_access.flags =
			MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES |
			MOCK_FLAGS_ACCESS_CREATE_REPIN_ON_UNMAP;
		break;
	default:
		cmd.create_access.flags =
			MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES;
		break;
	}
	if (bad(f) && chance(f, 40))
		cmd.create_access.flags |= 1U << (3 + pick(f, 29));
	if (cmd.create_access.flags & ~5U)
		exp = E(EOPNOTSUPP);
	else if (lookup(f, c, cmd.id, &i) != OK_IOAS)
		exp = E(ENOENT);
	else if ((cmd.create_access.flags & 1) && ioas_align(f, i) < PSZ &&
		 !areas_aligned(&f->m.ioas[i], PSZ))
		exp = E(EADDRINUSE);
	mut = pick_env(f);
	snprintf(what, sizeof(what), "CREATE_ACCESS ctx%d ioas=%u flags=%#x%s",
		 c, cmd.id, cmd.create_access.flags, em_name[mut]);
	rc = test_ioctl(f, f->m.ctx[c].fd, &cmd, mut, &exp);
	if (!check_rc(f, what, exp, rc) || rc)
		return;
	trace_add(&f->tr, "   acc%d = fd %d", a, cmd.create_access.out_access_fd);
	f->m.acc[a] = (struct access){
		.used = true, .fd = cmd.create_access.out_access_fd,
		.ctx = c, .ioas = i,
		.pin = cmd.create_access.flags & 1,
		.repin = cmd.create_access.flags & 4,
	};
	f->m.ctx[c].holders++;
}

static int pick_access(struct fz *f)
{
	int l[MAX_ACCESS], n = 0, i;

	for (i = 0; i != MAX_ACCESS; i++)
		if (f->m.acc[i].used)
			l[n++] = i;
	return n ? l[pick(f, n)] : -1;
}

/* Mostly a pinning access whose IOAS has mappings */
static int pick_access_busy(struct fz *f)
{
	int l[MAX_ACCESS], n = 0, i;

	for (i = 0; i != MAX_ACCESS; i++)
		if (f->m.acc[i].used && f->m.acc[i].pin &&
		    f->m.ioas[f->m.acc[i].ioas].nareas)
			l[n++] = i;
	if (!n || chance(f, 20))
		return pick_access(f);
	return l[pick(f, n)];
}

static void acc_close(struct fz *f, int a)
{
	int c = f->m.acc[a].ctx;

	trace_add(&f->tr, "#%lu close acc%d fd %d", f->op, a, f->m.acc[a].fd);
	close(f->m.acc[a].fd);
	f->m.acc[a].used = false;
	ctx_unhold(f, c);
	pins_commit(f);
	f->ops++;
}

static void op_acc_close(struct fz *f)
{
	int a = pick_access(f);

	if (a >= 0)
		acc_close(f, a);
}

/* An fd to give where an access fd is expected; *@exp gets EBADF if bad */
static int access_fd_or_bad(struct fz *f, int a, emask *exp)
{
	if (a >= 0 && !bad(f))
		return f->m.acc[a].fd;
	*exp = E(EBADF);
	switch (pick(f, 3)) {
	case 0:
		return f->devnull;
	case 1:
		return f->m.ctx[pick_ctx(f)].fd;
	}
	return 100000 + pick(f, 1000);
}

/* An IOVA range an access might use: inside areas mostly */
static void pick_acc_range(struct fz *f, int i, uint64_t *iova, uint64_t *len)
{
	struct ioas *io = &f->m.ioas[i];

	if (io->nareas && chance(f, 90)) {
		struct area *a = &io->areas[pick(f, io->nareas)];
		uint64_t off = pick(f, a->len);

		*iova = a->iova + off;
		*len = 1 + pick(f, a->len - off);
		if (chance(f, 20))
			*len += pick(f, 4 * PSZ);
		if (chance(f, 30)) {
			*iova = a->iova;
			*len = a->len;
		}
	} else {
		*iova = WIN_BASE + pick(f, WIN_PAGES) * PSZ;
		*len = 1 + pick(f, 4 * PSZ);
	}
}

struct pin_walk {
	bool write;
	int err;
	uint64_t fail_at;
};

static bool pin_piece(struct area *a, uint64_t cur, uint64_t plast, void *arg)
{
	struct pin_walk *w = arg;

	if (w->write && !a->w) {
		w->err = EPERM;
		w->fail_at = cur;
		return false;
	}
	w->fail_at = plast + 1;
	return true;
}

/* Errnos of pinning [iova, last] through access @a, as iopt_access_pin() */
static emask acc_pin_predict(struct fz *f, int a, uint64_t iova,
			     uint64_t last, bool write)
{
	struct access *acc = &f->m.acc[a];
	struct pin_walk w = { .write = write, .fail_at = iova };
	emask partial;

	if (walk(&f->m.ioas[acc->ioas], iova, last, pin_piece, &w)) {
		acc->items[acc->nitems++] = (struct item){
			.iova = iova, .len = last - iova + 1 };
		return pins_plan(f);
	}
	/* The pieces before the failure were pinned first, and may fail */
	if (w.fail_at == iova)
		return E(w.err ? w.err : ENOENT);
	acc->items[acc->nitems++] = (struct item){
		.iova = iova, .len = w.fail_at - iova };
	partial = pins_plan(f);
	acc->nitems--;
	return (partial & ~E_OK) | E(w.err ? w.err : ENOENT);
}

/* Pin through access @a, with the test driver's check of uptr's pages */
static emask acc_pages_predict(struct fz *f, int a, struct iommu_test_cmd *cmd,
			       struct area *first)
{
	uint64_t iova = cmd->access_pages.iova, last, p;
	emask exp;

	range_last(iova, cmd->access_pages.length, &last);
	exp = acc_pin_predict(f, a, iova, last, cmd->access_pages.flags &
			      MOCK_FLAGS_ACCESS_WRITE);
	if (exp != E_OK || !cmd->access_pages.uptr)
		return exp;
	/*
	 * Pinned pages that are not the user's pages now differ.  The range
	 * may end at the top of the IOVA space: stop before p wraps to 0.
	 */
	for (p = iova & ~(uint64_t)(PSZ - 1);; p += PSZ) {
		uint64_t uva = first->uva + (p < first->iova ? 0 :
					     p - first->iova);
		enum pin_view v = pin_view(f, first->pobj, uva);

		if (v == PV_FOREIGN)
			exp |= E(EINVAL);
		else if (v == PV_STALE)
			return E(EINVAL) | E(EFAULT);
		if (last - p < PSZ)
			break;
	}
	return exp;
}

static void op_acc_pages(struct fz *f)
{
	struct iommu_test_cmd cmd = { .op = IOMMU_TEST_OP_ACCESS_PAGES };
	int c = pick_ctx(f), a = pick_access_busy(f), mut, rc;
	uint64_t iova = WIN_BASE, len = PSZ;
	struct access *acc = NULL;
	struct area *first = NULL;
	emask exp = E_OK, badfd = 0;
	char what[160];

	if (c < 0 || (a < 0 && !bad(f)))
		return;
	if (a >= 0) {
		acc = &f->m.acc[a];
		if (acc->nitems == MAX_ITEMS)
			return;
		pick_acc_range(f, acc->ioas, &iova, &len);
		first = area_at(&f->m.ioas[acc->ioas], iova);
	}
	cmd.access_pages.flags = chance(f, 50) ? MOCK_FLAGS_ACCESS_WRITE : 0;
	/* Let the test driver compare with the pages behind the user VA */
	if (first && iova - first->iova + len <= first->len && chance(f, 60))
		cmd.access_pages.uptr = first->uva + (iova - first->iova);
	if (bad(f)) {
		switch (pick(f, 4)) {
		case 0:
			cmd.access_pages.flags |= 2;
			break;
		case 1:
			len = 0;
			break;
		case 2:
			len = MOCK_ACCESS_MAX + 1 + pick(f, PSZ);
			break;
		default:
			iova = ULMAX - pick(f, PSZ);
			break;
		}
	}
	cmd.access_pages.iova = iova;
	cmd.access_pages.length = len;
	cmd.id = access_fd_or_bad(f, a, &badfd);
	snap(f);
	if (cmd.access_pages.flags & ~(MOCK_FLAGS_ACCESS_WRITE |
				       MOCK_FLAGS_ACCESS_SYZ))
		exp = E(EOPNOTSUPP);
	else if (range_err(iova, len))
		exp = E(range_err(iova, len));
	else if (len > MOCK_ACCESS_MAX)
		exp = E(ENOMEM);
	else if (badfd)
		exp = badfd;
	else if (!acc->pin)
		exp = E(EOPNOTSUPP);
	else
		exp = acc_pages_predict(f, a, &cmd, first);
	mut = pick_env(f);
	snprintf(what, sizeof(what), "ACCESS_PAGES fd=%u iova=%#llx len=%#llx flags=%#x uptr=%#llx%s",
		 cmd.id, (unsigned long long)iova, (unsigned long long)len,
		 cmd.access_pages.flags,
		 (unsigned long long)cmd.access_pages.uptr, em_name[mut]);
	rc = test_ioctl(f, f->m.ctx[c].fd, &cmd, mut, &exp);
	if (!check_rc(f, what, exp, rc) || rc) {
		restore(f);
		return;
	}
	acc = &f->m.acc[a];
	acc->items[acc->nitems - 1].id = cmd.access_pages.out_access_pages_id;
	acc->next_id = cmd.access_pages.out_access_pages_id + 1;
	trace_add(&f->tr, "   acc%d item %u", a,
		  cmd.access_pages.out_access_pages_id);
	pins_commit(f);
}

static void op_acc_unpin(struct fz *f)
{
	struct iommu_test_cmd cmd = { .op = IOMMU_TEST_OP_DESTROY_ACCESS_PAGES };
	int c = pick_ctx(f), a = pick_access(f), k = -1, mut, rc;
	emask exp = E_OK, badfd = 0;
	struct access *acc;
	char what[96];

	if (c < 0 || a < 0)
		return;
	acc = &f->m.acc[a];
	if (acc->nitems && !bad(f)) {
		k = pick(f, acc->nitems);
		cmd.destroy_access_pages.access_pages_id = acc->items[k].id;
	} else {
		cmd.destroy_access_pages.access_pages_id =
			acc->next_id + 1000 + pick(f, 1000);
		exp = E(ENOENT);
	}
	cmd.id = access_fd_or_bad(f, a, &badfd);
	if (badfd)
		exp = badfd;
	mut = pick_env(f);
	snprintf(what, sizeof(what), "DESTROY_ACCESS_PAGES fd=%u id=%u%s",
		 cmd.id, cmd.destroy_access_pages.access_pages_id,
		 em_name[mut]);
	rc = test_ioctl(f, f->m.ctx[c].fd, &cmd, mut, &exp);
	if (!check_rc(f, what, exp, rc) || rc)
		return;
	acc->items[k] = acc->items[--acc->nitems];
	pins_commit(f);
}

/* How ACCESS_RW treats each piece, in the kernel's order */
struct rw_walk {
	struct fz *f;
	bool write, slow;
	int err;
	bool overlap;
	int n;
	struct area pieces[MAX_AREAS];
};

/* Can the kernel reach user page @uva of pobj @pi without a pin? */
static bool rw_page_ok(struct fz *f, int pi, uint64_t uva, bool write)
{
	struct pobj *p = &f->m.pobj[pi];
	int r = region_of(f, uva);

	if (pin_view(f, pi, uva) != PV_NONE)
		return true;
	if (p->foreign || r < 0 || !f->reg[r].live ||
	    f->reg[r].kind == RK_NONE)
		return false;
	return !(write && f->reg[r].kind == RK_RO);
}

static bool rw_piece(struct area *a, uint64_t cur, uint64_t plast, void *arg)
{
	struct rw_walk *w = arg;
	uint64_t uva = a->uva + (cur - a->iova);
	uint64_t end = uva + (plast - cur), pg;
	int k;

	if (!(w->write ? a->w : a->r)) {
		w->err = EPERM;
		return false;
	}
	for (pg = uva & ~(uint64_t)(PSZ - 1); pg <= end; pg += PSZ)
		if (!rw_page_ok(w->f, a->pobj, pg, w->write)) {
			w->err = EFAULT;
			return false;
		}
	for (k = 0; k != w->n; k++)
		if (ranges_meet(uva, end, w->pieces[k].uva,
				w->pieces[k].uva + w->pieces[k].len - 1))
			w->overlap = true;
	if (w->n < MAX_AREAS) {
		w->pieces[w->n] = *a;
		w->pieces[w->n].uva = uva;
		w->pieces[w->n].len = plast - cur + 1;
		w->n++;
	}
	return true;
}

/* Bytes of a piece whose user memory is what the kernel reads and writes */
static bool rw_byte_visible(struct fz *f, struct area *piece, uint64_t uva)
{
	enum pin_view v = pin_view(f, piece->pobj, uva & ~(uint64_t)(PSZ - 1));

	return v == PV_CURRENT || (v == PV_NONE && !f->m.pobj[piece->pobj].foreign);
}

static void op_acc_rw(struct fz *f)
{
	struct iommu_test_cmd cmd = { .op = IOMMU_TEST_OP_ACCESS_RW };
	int c = pick_ctx(f), a = pick_access_busy(f), k, mut, rc;
	struct rw_walk *w;
	uint64_t iova = WIN_BASE, len = 64, last, off = 0, b;
	emask exp = E_OK, badfd = 0;
	bool bad_uptr = false;
	char what[160];

	if (c < 0 || a < 0)
		return;
	w = calloc(1, sizeof(*w));
	if (!w)
		return;
	w->f = f;
	pick_acc_range(f, f->m.acc[a].ioas, &iova, &len);
	if (len > DATA_PAGES * PSZ)
		len = DATA_PAGES * PSZ;
	cmd.access_rw.flags = (chance(f, 50) ? MOCK_ACCESS_RW_WRITE : 0) |
			      (chance(f, 30) ? MOCK_ACCESS_RW_SLOW_PATH : 0);
	/* A forked child only reads: it compares with its copy of memory */
	if (f->in_child)
		cmd.access_rw.flags &= ~MOCK_ACCESS_RW_WRITE;
	cmd.access_rw.uptr = (uintptr_t)f->data;
	if (bad(f)) {
		switch (pick(f, 5)) {
		case 0:
			cmd.access_rw.flags |= 2;
			break;
		case 1:
			len = 0;
			break;
		case 2:
			len = MOCK_ACCESS_MAX + 1;
			break;
		case 3:
			cmd.access_rw.uptr = (uintptr_t)f->guard;
			bad_uptr = true;
			break;
		default:
			iova = ULMAX - pick(f, PSZ);
			break;
		}
	}
	cmd.access_rw.iova = iova;
	cmd.access_rw.length = len;
	w->write = cmd.access_rw.flags & MOCK_ACCESS_RW_WRITE;
	w->slow = cmd.access_rw.flags & MOCK_ACCESS_RW_SLOW_PATH;
	cmd.id = access_fd_or_bad(f, a, &badfd);
	if (cmd.access_rw.flags & ~(MOCK_ACCESS_RW_WRITE |
				    MOCK_ACCESS_RW_SLOW_PATH))
		exp = E(EOPNOTSUPP);
	else if (!len)
		exp = E(EINVAL);
	else if (len > MOCK_ACCESS_MAX)
		exp = E(ENOMEM);
	else if (badfd)
		exp = badfd;
	else if (w->write && bad_uptr)
		exp = E(EFAULT);
	else if (range_err(iova, len))
		exp = E(range_err(iova, len));
	else if (range_last(iova, len, &last) &&
		 !walk(&f->m.ioas[f->m.acc[a].ioas], iova, last, rw_piece, w))
		exp = E(w->err ? w->err : ENOENT);
	else if (bad_uptr)
		exp = E(EFAULT);
	if (w->write) {
		for (b = 0; b != len && b < DATA_PAGES * PSZ; b++)
			f->data[b] = rng_next(&f->rng);
	} else if (!bad_uptr) {
		memset(f->data, 0xcc, len <= DATA_PAGES * PSZ ? len : 0);
	}
	mut = pick_env(f);
	snprintf(what, sizeof(what), "ACCESS_RW fd=%u iova=%#llx len=%#llx flags=%#x%s%s",
		 cmd.id, (unsigned long long)iova, (unsigned long long)len,
		 cmd.access_rw.flags, bad_uptr ? " uptr=bad" : "",
		 em_name[mut]);
	rc = test_ioctl(f, f->m.ctx[c].fd, &cmd, mut, &exp);
	if (!check_rc(f, what, exp, rc) || rc || w->overlap) {
		free(w);
		return;
	}
	/* The bytes moved are the user's, where the user's pages are used */
	for (k = 0; k != w->n; k++) {
		struct area *p = &w->pieces[k];

		for (b = 0; b != p->len; b++) {
			const char *mem = (const char *)(uintptr_t)(p->uva + b);

			if (!rw_byte_visible(f, p, p->uva + b))
				continue;
			if (*mem != f->data[off + b]) {
				finding(f, "ACCESS_RW %s byte %llu: memory %#x, buffer %#x",
					w->write ? "write" : "read",
					(unsigned long long)(off + b),
					(unsigned char)*mem,
					(unsigned char)f->data[off + b]);
				free(w);
				return;
			}
		}
		off += p->len;
	}
	free(w);
}

static void op_batch(struct fz *f)
{
	struct iommu_test_cmd cmd = { .op = IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT };
	int c = pick_ctx(f), mut, rc;
	emask exp = E_OK;
	char what[80];

	if (c < 0)
		return;
	cmd.memory_limit.limit = chance(f, 30) ? DEFAULT_BATCH :
				 IOASID_TEST_MIN_MEMORY_LIMIT + pick(f, 256);
	if (bad(f))
		cmd.memory_limit.limit = pick(f, IOASID_TEST_MIN_MEMORY_LIMIT);
	if (cmd.memory_limit.limit < IOASID_TEST_MIN_MEMORY_LIMIT)
		exp = E(EINVAL);
	if (bad(f) && chance(f, 30)) {
		cmd.__reserved = 1;
		exp = E(EOPNOTSUPP);
	}
	mut = pick_env(f);
	snprintf(what, sizeof(what), "SET_TEMP_MEMORY_LIMIT %u resv=%u%s",
		 cmd.memory_limit.limit, cmd.__reserved, em_name[mut]);
	rc = test_ioctl(f, f->m.ctx[c].fd, &cmd, mut, &exp);
	if (check_rc(f, what, exp, rc) && !rc)
		f->m.batch_limit = cmd.memory_limit.limit;
}

static void op_munmap(struct fz *f)
{
	struct region *r = &f->reg[pick(f, NREG)];

	if (!r->live || r->kind == RK_NONE || r->lost)
		return;
	trace_add(&f->tr, "#%lu munmap %s region at %p", f->op,
		  rk_name[r->kind], r->va);
	region_unmap(r);
}

static void op_remap(struct fz *f)
{
	struct region *r = &f->reg[pick(f, NREG)];

	if (r->live || r->kind == RK_NONE || r->lost)
		return;
	region_map(f, r);
	trace_add(&f->tr, "#%lu mmap %s region at %p again: %s", f->op,
		  rk_name[r->kind], r->va, r->live ? "ok" : "failed");
}

/* ================================================================ fork */

static void child_exit(struct fz *f)
{
	fflush(stderr);
	_exit(f->findings ? 1 : 0);
}

/*
 * fork(): the child maps its own memory into a parent IOAS, or reads through
 * the parent's accesses, or closes what it inherited, and exits.  The
 * parent then lives with a mapping whose mm is gone.
 */
static void op_fork(struct fz *f)
{
	int c = pick_ctx(f), i, action = pick(f, 3), p[2], status, rc = -1;
	struct iommu_ioas_map cmd = { .size = sizeof(cmd) };
	uint64_t want = 0, res[2] = { ~0ULL, 0 };
	struct map_args a;
	emask exp = E_OK;
	char what[200];
	pid_t pid;

	if (c < 0 || !f->allow_fork)
		return;
	i = pick_ioas(f, c);
	if (i < 0 || pipe(p))
		return;
	if (action == 0) {
		pick_map(f, c, i, &a, false);
		a.flags |= MAP_RW;
		snap(f);
		exp = map_predict(f, c, a.id, a.uva, a.len, a.flags, 0,
				  a.iova, &want, true);
		if (!exp) {
			restore(f);
			close(p[0]);
			close(p[1]);
			return;
		}
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return;
	}
	if (!pid) {
		f->in_child = true;
		close(p[0]);
		if (action == 0) {
			cmd.flags = a.flags;
			cmd.ioas_id = a.id;
			cmd.user_va = a.uva;
			cmd.length = a.len;
			cmd.iova = a.iova;
			res[0] = xioctl(f->m.ctx[c].fd, IOMMU_IOAS_MAP, &cmd);
			res[1] = cmd.iova;
			if (write(p[1], res, sizeof(res)) != sizeof(res))
				_exit(2);
		} else if (action == 1) {
			int k;

			/* The accesses read the parent's memory */
			for (k = 0; k != 8 && !f->stop; k++) {
				unsigned int saved = f->bad;

				f->bad = 0;
				op_acc_rw(f);
				f->bad = saved;
			}
		} else {
			int k;

			for (k = 0; k != MAX_DEVS; k++)
				if (f->m.dev[k].used && chance(f, 50))
					close(f->m.dev[k].fd);
			for (k = 0; k != MAX_ACCESS; k++)
				if (f->m.acc[k].used && chance(f, 50))
					close(f->m.acc[k].fd);
			for (k = 0; k != MAX_CTX; k++)
				if (f->m.ctx[k].used && f->m.ctx[k].fd >= 0)
					close(f->m.ctx[k].fd);
		}
		child_exit(f);
	}
	close(p[1]);
	if (action == 0 && read(p[0], res, sizeof(res)) == sizeof(res))
		rc = res[0];
	close(p[0]);
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		finding(f, "forked child (action %d) failed: status %#x",
			action, status);
		return;
	}
	if (action != 0) {
		trace_add(&f->tr, "#%lu fork: child action %d ok", f->op,
			  action);
		f->ops++;
		return;
	}
	snprintf(what, sizeof(what),
		 "fork: child MAP ctx%d ioas=%u uva=%#llx len=%#llx iova=%#llx flags=%#x",
		 c, a.id, (unsigned long long)a.uva,
		 (unsigned long long)a.len, (unsigned long long)a.iova,
		 a.flags);
	if (!check_rc(f, what, exp, rc) || rc) {
		restore(f);
		return;
	}
	if (res[1] != want) {
		finding(f, "the child's MAP got IOVA %#llx, the model chose %#llx",
			(unsigned long long)res[1], (unsigned long long)want);
		return;
	}
	pins_commit(f);
}

/* ============================================================ devices */

static int pick_dev(struct fz *f, bool bound)
{
	int l[MAX_DEVS], n = 0, i;

	for (i = 0; i != MAX_DEVS; i++)
		if (f->m.dev[i].used && (!bound || f->m.dev[i].ctx >= 0))
			l[n++] = i;
	return n ? l[pick(f, n)] : -1;
}

static void op_dev_open(struct fz *f)
{
	int d, p = pick(f, npci), fd;
	char what[96];

	for (d = 0; d != MAX_DEVS && f->m.dev[d].used; d++)
		;
	if (d == MAX_DEVS)
		return;
	fd = open(pci[p].info.cdev, O_RDWR | O_CLOEXEC);
	snprintf(what, sizeof(what), "open %s (%s) = %d", pci[p].info.cdev,
		 pci[p].name, fd);
	if (!check_rc(f, what, E_OK, fd < 0 ? errno : 0))
		return;
	f->m.dev[d] = (struct dev){ .used = true, .fd = fd, .pci = p,
				    .ctx = -1, .hwpt = -1 };
}

/* Is @p bound through any fd? */
static bool pci_bound(struct fz *f, int p)
{
	int d;

	for (d = 0; d != MAX_DEVS; d++)
		if (f->m.dev[d].used && f->m.dev[d].pci == p &&
		    f->m.dev[d].ctx >= 0)
			return true;
	return false;
}

static void op_dev_bind(struct fz *f)
{
	struct vfio_device_bind_iommufd b = { .argsz = sizeof(b) };
	int d = pick_dev(f, false), c = pick_ctx(f), rc;
	struct dev *dv;
	struct group *g;
	void *arg = &b;
	emask exp = E_OK;
	char what[120];

	if (d < 0 || c < 0)
		return;
	dv = &f->m.dev[d];
	g = &f->m.grp[pci[dv->pci].grp];
	b.iommufd = f->m.ctx[c].fd;
	if (bad(f)) {
		switch (pick(f, 7)) {
		case 0:
			b.argsz = pick(f, sizeof(b));
			break;
		case 1:
			b.flags = 1U << pick(f, 32);
			break;
		case 2:
			b.iommufd = -1 - (int)pick(f, 100);
			break;
		case 3:
			b.iommufd = 100000 + pick(f, 1000);
			break;
		case 4:
			b.iommufd = chance(f, 50) ? f->devnull : dv->fd;
			break;
		case 5:
			arg = NULL;
			break;
		default:
			arg = f->reg[NREG - 1].va;	/* PROT_NONE */
			break;
		}
	}
	/*
	 * 16 bytes is the first revision; a VF token flag without a
	 * token_uuid_ptr (0 here) has no token to read
	 */
	if (!arg || arg == f->reg[NREG - 1].va)
		exp = E(EFAULT);
	else if (b.argsz < 16 || (b.flags & ~VFIO_DEVICE_BIND_FLAG_TOKEN) ||
		 b.iommufd < 0)
		exp = E(EINVAL);
	else if (b.flags)
		exp = E(EFAULT);
	else if (b.iommufd >= 100000)
		exp = E(EBADF);
	else if (b.iommufd == f->devnull || b.iommufd == dv->fd)
		exp = E(EBADFD);
	else if (pci_bound(f, dv->pci))
		exp = E(EINVAL);
	else if (g->owner >= 0 && g->owner != c)
		exp = E(EBUSY);
	snprintf(what, sizeof(what), "BIND dev%d (%s) to ctx%d argsz=%u flags=%#x fd=%d%s",
		 d, pci[dv->pci].name, c, b.argsz, b.flags, b.iommufd,
		 arg == &b ? "" : " arg=bad");
	rc = xioctl(dv->fd, VFIO_DEVICE_BIND_IOMMUFD, arg);
	if (!check_rc(f, what, exp, rc) || rc)
		return;
	dv->ctx = c;
	dv->devid = b.out_devid;
	g->owner = c;
	g->nbound++;
	f->m.ctx[c].holders++;
	note_id(f, c, b.out_devid);
	trace_add(&f->tr, "   dev%d devid %u", d, b.out_devid);
}

/* Attach group @g of device @d to @pt (see ioasid_device_attach()) */
static emask attach_predict(struct fz *f, int d, uint32_t pt, int *to)
{
	struct dev *dv = &f->m.dev[d];
	struct pci *pc = &pci[dv->pci];
	struct group *g = &f->m.grp[pc->grp];
	int idx, h, k, i;
	enum okind kind = lookup(f, dv->ctx, pt, &idx);
	struct ioas *io;
	emask pins;

	*to = -1;
	if (kind == OK_NONE)
		return E(ENOENT);
	if (kind != OK_IOAS && kind != OK_HWPT)
		return E(EINVAL);
	h = g->hwpt;
	/* Its own HWPT, or the IOAS of its automatic HWPT: nothing to do */
	if (h >= 0 && ((kind == OK_HWPT && idx == h) ||
		       (kind == OK_IOAS && f->m.hwpt[h].ioas == idx &&
			!f->m.hwpt[h].manual))) {
		*to = h;
		if (dv->hwpt < 0) {
			dv->hwpt = h;
			g->nattached++;
		}
		return E_OK;
	}
	if (h >= 0 && (dv->hwpt != h || g->nattached != 1))
		return E(EINVAL);
	if (kind == OK_HWPT) {
		if (f->m.hwpt[idx].mock)
			return E(EINVAL);
		i = f->m.hwpt[idx].ioas;
	} else {
		i = idx;
	}
	io = &f->m.ioas[i];
	/* The group's reservations leave the old IOAS first */
	if (h >= 0)
		g->hwpt = -1;
	for (k = 0; k != pc->nresv; k++)
		if (reserve_blocked(io, pc->resv[k].start, pc->resv[k].last)) {
			g->hwpt = h;
			return E(EADDRINUSE);
		}
	g->hwpt = h;
	if (kind == OK_HWPT) {
		*to = idx;
	} else {
		/* An automatic HWPT of the IOAS is reused, never a manual one */
		for (k = 0; k != MAX_HWPT; k++)
			if (f->m.hwpt[k].used && f->m.hwpt[k].ioas == i &&
			    !f->m.hwpt[k].mock && !f->m.hwpt[k].manual)
				*to = k;
	}
	if (*to < 0 || !f->m.hwpt[*to].in_iopt) {
		/* The domain joins the IOAS at its first attach */
		if (ioas_align(f, i) < PSZ && !areas_aligned(io, PSZ))
			return E(EADDRINUSE);
		if (real_ap_last != ULMAX &&
		    reserve_blocked(io, real_ap_last + 1, ULMAX))
			return E(EADDRINUSE);
	}
	if (*to < 0) {
		for (k = 0; k != MAX_HWPT && f->m.hwpt[k].used; k++)
			;
		if (k == MAX_HWPT)
			return 0;
		f->m.hwpt[k] = (struct hwpt){ .used = true, .ctx = dv->ctx,
					      .ioas = i };
		*to = k;
	}
	f->m.hwpt[*to].in_iopt = true;
	f->m.hwpt[*to].ngroups++;
	g->hwpt = *to;
	g->nattached = 1;
	dv->hwpt = *to;
	/* New pins come first; a replaced HWPT goes after, if unused */
	pins = pins_plan(f);
	if (h >= 0)
		hwpt_put_group(f, h);
	return pins;
}

static void op_dev_attach(struct fz *f)
{
	struct vfio_device_attach_iommufd_pt at = { .argsz = sizeof(at) };
	int d = pick_dev(f, !bad(f)), i, to = -1, rc, h;
	bool ro = false, ro_detach = false;
	void *arg = &at;
	struct dev *dv;
	emask exp;
	char what[120];

	if (d < 0)
		return;
	dv = &f->m.dev[d];
	if (dv->ctx >= 0) {
		i = pick_ioas_busy(f, dv->ctx);
		at.pt_id = ioas_id_or_bad(f, dv->ctx, i);
		if (chance(f, 20))
			for (h = 0; h != MAX_HWPT; h++)
				if (f->m.hwpt[h].used &&
				    f->m.hwpt[h].ctx == dv->ctx && chance(f, 50))
					at.pt_id = f->m.hwpt[h].id;
	} else {
		at.pt_id = pick(f, 10);
	}
	if (bad(f)) {
		switch (pick(f, 4)) {
		case 0:
			at.argsz = pick(f, sizeof(at));
			break;
		case 1:
			at.flags = 1U << pick(f, 32);
			break;
		case 2:
			arg = NULL;
			break;
		default:
			ro = true;
			break;
		}
	}
	snap(f);
	if (dv->ctx < 0)
		exp = E(EINVAL);
	else if (!arg)
		exp = E(EFAULT);
	else if (at.argsz < sizeof(at) || at.flags)
		exp = E(EINVAL);
	else
		exp = attach_predict(f, d, at.pt_id, &to);
	if (!exp) {
		restore(f);
		return;
	}
	if (ro && exp == E_OK) {
		/* pt_id cannot be written back: EFAULT, and detached */
		dev_detach_model(f, d);
		exp = E(EFAULT);
		ro_detach = true;
	}
	if (ro) {
		memcpy(f->scratch, &at, sizeof(at));
		mprotect(f->scratch, PSZ, PROT_READ);
		arg = f->scratch;
	}
	snprintf(what, sizeof(what), "ATTACH dev%d (%s) pt=%u argsz=%u flags=%#x%s",
		 d, pci[dv->pci].name, at.pt_id, at.argsz, at.flags,
		 ro ? " arg=ro" : arg ? "" : " arg=NULL");
	rc = xioctl(dv->fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, arg);
	if (ro)
		mprotect(f->scratch, PSZ, PROT_READ | PROT_WRITE);
	if (!check_rc(f, what, exp, rc) || (rc && !ro_detach)) {
		restore(f);
		return;
	}
	if (rc == 0) {
		if (f->m.hwpt[to].id && f->m.hwpt[to].id != at.pt_id) {
			finding(f, "ATTACH returned HWPT %u, the model says %u",
				at.pt_id, f->m.hwpt[to].id);
			return;
		}
		f->m.hwpt[to].id = at.pt_id;
		note_id(f, dv->ctx, at.pt_id);
	} else {
		/* The HWPT made for the attach went with the detach */
		for (h = 0; h != MAX_HWPT; h++)
			if (f->m.hwpt[h].used && !f->m.hwpt[h].id)
				f->m.hwpt[h].used = false;
	}
	pins_commit(f);
}

static void op_dev_detach(struct fz *f)
{
	struct vfio_device_detach_iommufd_pt de = { .argsz = sizeof(de) };
	int d = pick_dev(f, !bad(f)), rc;
	void *arg = &de;
	struct dev *dv;
	emask exp = E_OK;
	char what[96];

	if (d < 0)
		return;
	dv = &f->m.dev[d];
	if (bad(f)) {
		switch (pick(f, 3)) {
		case 0:
			de.argsz = pick(f, sizeof(de));
			break;
		case 1:
			de.flags = 1U << pick(f, 32);
			break;
		default:
			arg = NULL;
			break;
		}
	}
	if (dv->ctx < 0)
		exp = E(EINVAL);
	else if (!arg)
		exp = E(EFAULT);
	else if (de.argsz < sizeof(de) || de.flags)
		exp = E(EINVAL);
	snprintf(what, sizeof(what), "DETACH dev%d (%s) argsz=%u flags=%#x%s",
		 d, pci[dv->pci].name, de.argsz, de.flags,
		 arg ? "" : " arg=NULL");
	rc = xioctl(dv->fd, VFIO_DEVICE_DETACH_IOMMUFD_PT, arg);
	if (!check_rc(f, what, exp, rc) || rc)
		return;
	dev_detach_model(f, d);
	pins_commit(f);
}

static void dev_close(struct fz *f, int d)
{
	struct dev *dv = &f->m.dev[d];
	int c = dv->ctx;

	trace_add(&f->tr, "#%lu close dev%d (%s) fd %d", f->op, d,
		  pci[dv->pci].name, dv->fd);
	close(dv->fd);
	f->ops++;
	if (c >= 0) {
		struct group *g = &f->m.grp[pci[dv->pci].grp];

		dev_detach_model(f, d);
		if (!--g->nbound)
			g->owner = -1;
	}
	dv->used = false;
	if (c >= 0)
		ctx_unhold(f, c);
	pins_commit(f);
}

static void op_dev_close(struct fz *f)
{
	int d = pick_dev(f, false);

	if (d >= 0)
		dev_close(f, d);
}

/* A few VFIO device ioctls with random argsz and flags */
static void op_dev_misc(struct fz *f)
{
	static const unsigned long cmds[] = {
		VFIO_DEVICE_GET_INFO, VFIO_DEVICE_GET_REGION_INFO,
		VFIO_DEVICE_GET_IRQ_INFO, VFIO_DEVICE_FEATURE,
		VFIO_DEVICE_SET_IRQS, VFIO_DEVICE_RESET,
		VFIO_DEVICE_GET_PCI_HOT_RESET_INFO,
	};
	emask broad = E_OK | E(EINVAL) | E(ENOTTY) | E(EFAULT) |
		      E(EOPNOTSUPP) | E(ENOENT) | E(EPERM) | E(EBUSY) |
		      E(EIO) | E(ENODEV) | E(ENOSPC) | E(ENXIO) | E(ENOMEM) |
		      E(EAGAIN) | E(ENOTTY);
	int d = pick_dev(f, !bad(f)), k = pick(f, 7), rc;
	__u32 *buf = (__u32 *)f->scratch;
	struct dev *dv;
	emask exp;
	char what[120];
	char b[4];

	if (d < 0)
		return;
	dv = &f->m.dev[d];
	if (k == 5 && chance(f, 80))
		k = 0;
	memset(buf, 0, 256);
	buf[0] = chance(f, 70) ? 16 + 8 * pick(f, 8) : pick(f, 256);
	buf[1] = chance(f, 50) ? 0 : (uint32_t)rng_next(&f->rng);
	buf[2] = pick(f, 12);
	buf[3] = pick(f, 4);
	buf[4] = pick(f, 4);
	if (cmds[k] == VFIO_DEVICE_FEATURE) {
		buf[1] = pick(f, 8) | (chance(f, 80) ?
				       VFIO_DEVICE_FEATURE_PROBE : 0) |
			 (chance(f, 50) ? VFIO_DEVICE_FEATURE_GET : 0);
		if (chance(f, 10))
			buf[1] |= 1U << (16 + pick(f, 16));
	}
	if (cmds[k] == VFIO_DEVICE_SET_IRQS)
		buf[1] = VFIO_IRQ_SET_DATA_NONE | (chance(f, 50) ?
			 VFIO_IRQ_SET_ACTION_TRIGGER :
			 VFIO_IRQ_SET_ACTION_UNMASK);
	exp = dv->ctx < 0 ? E(EINVAL) : broad;
	if (dv->ctx >= 0 && cmds[k] == VFIO_DEVICE_GET_INFO)
		exp = buf[0] < 16 ? E(EINVAL) : E_OK;
	snprintf(what, sizeof(what), "VFIO ioctl %#lx dev%d (%s) argsz=%u flags=%#x",
		 cmds[k], d, pci[dv->pci].name, buf[0], buf[1]);
	rc = xioctl(dv->fd, cmds[k], buf);
	if (!check_rc(f, what, exp, rc))
		return;
	/* Reads of the config space need a bound fd too */
	rc = pread(dv->fd, b, sizeof(b), 7ULL << 40) == sizeof(b) ? 0 : errno;
	check_rc(f, "pread config", dv->ctx < 0 ? E(EINVAL) : E_OK, rc);
}

/* =========================================================== contexts */

static void ctx_close(struct fz *f, int c)
{
	trace_add(&f->tr, "#%lu close ctx%d fd %d (holders %d)", f->op, c,
		  f->m.ctx[c].fd, f->m.ctx[c].holders);
	close(f->m.ctx[c].fd);
	f->m.ctx[c].fd = -1;
	f->ops++;
	if (!f->m.ctx[c].holders)
		ctx_purge(f, c);
	pins_commit(f);
}

static int ctx_open(struct fz *f)
{
	int c, fd;

	for (c = 0; c != MAX_CTX && f->m.ctx[c].used; c++)
		;
	if (c == MAX_CTX)
		return -1;
	fd = ioasid_open();
	if (!check_rc(f, "open /dev/ioasid", E_OK, fd < 0 ? errno : 0))
		return -1;
	f->m.ctx[c] = (struct ctx){ .used = true, .fd = fd };
	trace_add(&f->tr, "   ctx%d = fd %d", c, fd);
	return c;
}

static void op_ctx_close(struct fz *f)
{
	int c = pick_ctx(f);

	if (c >= 0 && !f->shared)
		ctx_close(f, c);
}

static void op_ctx_open(struct fz *f)
{
	if (!f->shared)
		ctx_open(f);
}

/* ============================================================= a run */

enum {
	OP_IOAS_ALLOC, OP_DESTROY, OP_MAP, OP_UNMAP, OP_COPY, OP_RANGES,
	OP_ALLOW, OP_OPTION, OP_RESERVE, OP_MOCK, OP_CHECK_MAP, OP_CHECK_REFS,
	OP_ACC_CREATE, OP_ACC_CLOSE, OP_ACC_PAGES, OP_ACC_UNPIN, OP_ACC_RW,
	OP_BATCH, OP_MUNMAP, OP_REMAP, OP_FORK, OP_DEV_OPEN, OP_DEV_BIND,
	OP_DEV_ATTACH, OP_DEV_DETACH, OP_DEV_CLOSE, OP_DEV_MISC, OP_CTX_CLOSE,
	OP_CTX_OPEN, OP_HWPT_ALLOC, OP_HW_INFO, OP_NR
};

static void (*const ops[OP_NR])(struct fz *f) = {
	op_ioas_alloc, op_destroy, op_map, op_unmap, op_copy, op_ranges,
	op_allow, op_option, op_reserve, op_mock, op_check_map, op_check_refs,
	op_acc_create, op_acc_close, op_acc_pages, op_acc_unpin, op_acc_rw,
	op_batch, op_munmap, op_remap, op_fork, op_dev_open, op_dev_bind,
	op_dev_attach, op_dev_detach, op_dev_close, op_dev_misc, op_ctx_close,
	op_ctx_open, op_hwpt_alloc, op_hw_info,
};

#define COMMON_WEIGHTS							\
	[OP_IOAS_ALLOC] = 5, [OP_DESTROY] = 4, [OP_MAP] = 22,		\
	[OP_UNMAP] = 12, [OP_COPY] = 8, [OP_RANGES] = 4, [OP_ALLOW] = 3,	\
	[OP_OPTION] = 4, [OP_RESERVE] = 2, [OP_MOCK] = 5,		\
	[OP_CHECK_MAP] = 5, [OP_CHECK_REFS] = 4, [OP_ACC_CREATE] = 3,	\
	[OP_ACC_CLOSE] = 2, [OP_ACC_PAGES] = 5, [OP_ACC_UNPIN] = 3,	\
	[OP_ACC_RW] = 6, [OP_BATCH] = 1, [OP_MUNMAP] = 2, [OP_REMAP] = 2,	\
	[OP_HWPT_ALLOC] = 2, [OP_HW_INFO] = 1

static const unsigned int seq_weights[OP_NR] = {
	COMMON_WEIGHTS,
	[OP_FORK] = 1, [OP_DEV_OPEN] = 3, [OP_DEV_BIND] = 4,
	[OP_DEV_ATTACH] = 5, [OP_DEV_DETACH] = 2, [OP_DEV_CLOSE] = 2,
	[OP_DEV_MISC] = 3, [OP_CTX_CLOSE] = 1, [OP_CTX_OPEN] = 1,
};

/* Workers of the threads test: no fork, devices or context closes */
static const unsigned int thread_weights[OP_NR] = {
	COMMON_WEIGHTS,
};

static void fz_init(struct fz *f, struct __test_metadata *md,
		    const char *test, uint64_t seed, double deadline)
{
	int i;

	f->md = md;
	f->test = test;
	f->seed = seed;
	f->rng.s = seed;
	f->bad = cfg.bad;
	f->deadline = deadline;
	f->tr.echo = cfg.verbose;
	snprintf(f->prefix, sizeof(f->prefix), "%s: ", test);
	f->tr.prefix = f->prefix;
	for (i = 0; i != MAX_PCI; i++)
		f->m.grp[i] = (struct group){ .owner = -1, .hwpt = -1 };
	f->m.batch_limit = DEFAULT_BATCH;
	f->devnull = -1;
}

/* Nothing the fuzzer does may take a minute */
static void wd_op(struct fz *f)
{
	char what[96];

	if (f->in_child || f->shared)
		return;
	snprintf(what, sizeof(what), "%s seed=0x%llx op %lu", f->test,
		 (unsigned long long)f->seed, f->op);
	watchdog_arm(&wd, now_secs(), what);
}

static bool time_up(struct fz *f)
{
	return f->deadline && now_secs() > f->deadline;
}

/* Close every fd of the run in a random order, checking as we go */
static void close_all(struct fz *f)
{
	int kinds[MAX_ACCESS + MAX_DEVS + MAX_CTX][2], n = 0, k, j;

	for (k = 0; k != MAX_ACCESS; k++)
		if (f->m.acc[k].used)
			kinds[n][0] = 0, kinds[n++][1] = k;
	for (k = 0; k != MAX_DEVS; k++)
		if (f->m.dev[k].used)
			kinds[n][0] = 1, kinds[n++][1] = k;
	for (k = 0; k != MAX_CTX; k++)
		if (f->m.ctx[k].used && f->m.ctx[k].fd >= 0)
			kinds[n][0] = 2, kinds[n++][1] = k;
	for (k = n - 1; k > 0; k--) {
		int t0, t1;

		j = pick(f, k + 1);
		t0 = kinds[k][0];
		t1 = kinds[k][1];
		kinds[k][0] = kinds[j][0];
		kinds[k][1] = kinds[j][1];
		kinds[j][0] = t0;
		kinds[j][1] = t1;
	}
	for (k = 0; k != n; k++) {
		f->op++;
		wd_op(f);
		if (kinds[k][0] == 0)
			acc_close(f, kinds[k][1]);
		else if (kinds[k][0] == 1)
			dev_close(f, kinds[k][1]);
		else
			ctx_close(f, kinds[k][1]);
		check_stats(f);
	}
}

/* The batch limit is global: put it back */
static void batch_restore(struct fz *f)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT,
		.memory_limit = { .limit = DEFAULT_BATCH },
	};
	int fd = ioasid_open();

	if (fd < 0 || test_cmd(fd, &cmd))
		finding(f, "cannot restore the batch memory limit");
	if (fd >= 0)
		close(fd);
}

static void run_seq(struct fz *f, bool huge)
{
	int c, k;

	f->allow_fork = true;
	f->devices = npci == MAX_PCI;
	f->limited = chance(f, 25);
	f->limit = 32 + pick(f, 480);
	if (f->limited)
		f->allow_fork = false;
	f->devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (arena_setup(f, huge) || f->devnull < 0 || inv_begin(&f->inv)) {
		finding(f, "setting up the run failed");
		return;
	}
	if (memlock_set(f->limited ? f->limit : RLIM_INFINITY)) {
		finding(f, "cannot set RLIMIT_MEMLOCK");
		return;
	}
	c = ctx_open(f);
	if (c >= 0 && chance(f, 50)) {
		__u64 one = 1;

		if (ioasid_option(f->m.ctx[c].fd, IOMMU_OPTION_RLIMIT_MODE,
				  IOMMU_OPTION_OP_SET, 0, &one))
			finding(f, "cannot set RLIMIT_MODE");
		f->m.ctx[c].account_mm = true;
	}
	if (chance(f, 50))
		ctx_open(f);
	trace_add(&f->tr, "run: devices=%d limit=%s%llu mm=%d huge=%d",
		  f->devices, f->limited ? "" : "none/",
		  (unsigned long long)f->limit, f->m.ctx[0].account_mm,
		  f->reg[3].kind == RK_HUGE);
	for (f->op = 1; f->op <= cfg.ops && !f->stop && !time_up(f); f->op++) {
		k = rng_weighted(&f->rng, seq_weights, OP_NR);
		if (!f->devices && k >= OP_DEV_OPEN && k <= OP_DEV_MISC)
			continue;
		wd_op(f);
		ops[k](f);
		check_stats(f);
	}
	if (f->m.batch_limit != DEFAULT_BATCH)
		batch_restore(f);
	close_all(f);
	if (inv_end(&f->inv, f->test))
		finding(f, "invariants after closing everything (see above)");
	inv_close(&f->inv);
	memlock_set(RLIM_INFINITY);
	close(f->devnull);
	arena_teardown(f);
}

/* ========================================================== the tests */

static void report_run(struct fz *f, double t0)
{
	fprintf(stderr, "# fuzz: %s seed=0x%llx ops=%ld errors_expected=%ld findings=%ld %.1fs\n",
		f->test, (unsigned long long)f->seed, f->ops, f->errs,
		f->findings, now_secs() - t0);
	fz_add(runs, 1);
	fz_add(ops, f->ops);
	fz_add(errors_expected, f->errs);
	fz_add(findings, f->findings);
	fz_note_seed(f->seed);
}

static bool more_runs(unsigned long run, double deadline)
{
	if (cfg.iters && run >= cfg.iters)
		return false;
	return !run || !deadline || now_secs() < deadline;
}

static double test_deadline(double share)
{
	return cfg.secs ? now_secs() + share * cfg.secs : 0;
}

/* Devices of the VM, their groups and reserved regions */
static int pci_discover(void)
{
	static const struct {
		enum dev_kind kind;
		int index;
		const char *name;
	} want[MAX_PCI] = {
		{ DEV_EDU, 0, "edu0" }, { DEV_EDU, 1, "edu1" },
		{ DEV_EDU_BRIDGE, 0, "edu-br0" },
		{ DEV_EDU_BRIDGE, 1, "edu-br1" }, { DEV_NVME, 0, "nvme" },
	};
	int groups[MAX_PCI], ngroups = 0, i, k;

	npci = 0;
	real_ap_last = vm_is_intel() ? (1ULL << 39) - 1 : ULMAX;
	for (i = 0; i != MAX_PCI; i++) {
		struct pci *p = &pci[npci];
		char path[128], line[256], type[64];
		unsigned long long s, e;
		FILE *fp;

		if (find_dev(want[i].kind, want[i].index, &p->info))
			continue;
		p->name = want[i].name;
		for (k = 0; k != ngroups && groups[k] != p->info.group; k++)
			;
		if (k == ngroups)
			groups[ngroups++] = p->info.group;
		p->grp = k;
		p->nresv = 0;
		snprintf(path, sizeof(path),
			 "/sys/kernel/iommu_groups/%d/reserved_regions",
			 p->info.group);
		fp = fopen(path, "r");
		if (!fp)
			return ENOENT;
		while (p->nresv < 8 && fgets(line, sizeof(line), fp)) {
			if (sscanf(line, "%llx %llx %63s", &s, &e, type) != 3 ||
			    !strcmp(type, "direct-relaxable"))
				continue;
			p->resv[p->nresv++] = (struct range){ s, e };
		}
		fclose(fp);
		npci++;
	}
	return 0;
}

static bool in_vm(void)
{
	return strcmp(vm_iommu(), "unknown");
}

/* Pins must be charged for VmLck and the counters to mean something */
static void drop_ipc_lock(struct __test_metadata *_metadata)
{
	ASSERT_EQ(0, cap_drop(CAP_IPC_LOCK));
	ASSERT_FALSE(cap_has(CAP_IPC_LOCK));
	ASSERT_TRUE(cap_has(CAP_SYS_RESOURCE));
}

static bool huge_available(void)
{
	void *p = mmap(NULL, HUGE_SZ, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);

	if (p == MAP_FAILED)
		return false;
	munmap(p, HUGE_SZ);
	return true;
}

TEST(sequential)
{
	double deadline = test_deadline(SHARE_SEQ);
	unsigned long run;
	long ops = 0, findings = 0;
	bool huge = huge_available();

	ONLY("sequential");
	ASSERT_EQ(0, watchdog_start(&wd, 60));
	drop_ipc_lock(_metadata);
	ASSERT_EQ(0, pci_discover());
	if (in_vm())
		ASSERT_EQ(MAX_PCI, npci);
	if (!huge)
		TH_LOG("no huge pages: the huge region is anonymous memory");
	for (run = 0; more_runs(run, deadline) && !findings; run++) {
		struct fz *f = calloc(1, sizeof(*f));
		double t0 = now_secs();

		ASSERT_NE(NULL, f);
		fz_init(f, _metadata, "sequential", cfg.seed + run, deadline);
		run_seq(f, huge);
		report_run(f, t0);
		ops += f->ops;
		findings += f->findings;
		free(f);
	}
	watchdog_stop(&wd);
	cov_print("sequential");
	EXPECT_EQ(0, findings);
	EXPECT_LT(100, ops);
}

/* --------------------------------------------------------- threads */

struct worker {
	pthread_t thread;
	struct fz *f;
	int fd;
	uint32_t shared_ioas;
	unsigned long ops;
	int bad_errno;
	char bad_op[96];
	bool chaos;
};

static void *worker_fn(void *arg)
{
	struct worker *w = arg;
	struct fz *f = w->f;
	int k;

	for (f->op = 1; f->op <= cfg.ops * 4 && !f->stop && !time_up(f);
	     f->op++) {
		k = rng_weighted(&f->rng, thread_weights, OP_NR);
		ops[k](f);
	}
	for (k = 0; k != MAX_ACCESS; k++)
		if (f->m.acc[k].used)
			acc_close(f, k);
	return NULL;
}

/* Loose checks on a shared IOAS that several threads change at once */
static void chaos_check(struct worker *w, const char *op, int rc, emask ok)
{
	w->ops++;
	if (emask_has(ok, rc) || w->bad_errno)
		return;
	w->bad_errno = rc ? rc : -1;
	snprintf(w->bad_op, sizeof(w->bad_op), "%s", op);
}

static void *chaos_fn(void *arg)
{
	struct worker *w = arg;
	struct fz *f = w->f;
	char *buf = f->reg[0].va;
	int access_fd = -1;
	uint32_t stdev[4];
	int nstdev = 0;

	while (!time_up(f) && w->ops < cfg.ops * 8) {
		uint64_t page = pick(f, 256), n = 1 + pick(f, 16);
		uint64_t iova = WIN_BASE + page * PSZ;
		__u64 dst;
		unsigned char data[64];
		__u32 id;
		int rc;

		switch (pick(f, 10)) {
		case 0:
		case 1:
			rc = ioas_map(w->fd, w->shared_ioas,
				      buf + pick(f, 64) * PSZ, n * PSZ, iova);
			chaos_check(w, "map", rc, E_OK | E(EEXIST) | E(EBUSY));
			break;
		case 2:
			rc = ioas_unmap(w->fd, w->shared_ioas, iova, n * PSZ,
					NULL);
			chaos_check(w, "unmap", rc,
				    E_OK | E(ENOENT) | E(EBUSY));
			break;
		case 3:
			if (chance(f, 20)) {
				rc = ioas_unmap(w->fd, w->shared_ioas, 0, ULMAX,
						NULL);
				chaos_check(w, "unmap all", rc,
					    E_OK | E(EBUSY));
			}
			break;
		case 4:
			dst = WIN_BASE + (512 + pick(f, 256)) * PSZ;
			rc = ioas_copy(w->fd, w->shared_ioas, w->shared_ioas,
				       iova, n * PSZ, &dst, MAP_FIXED_RW);
			chaos_check(w, "copy", rc,
				    E_OK | E(ENOENT) | E(EEXIST));
			break;
		case 5:
			if (nstdev < 4 && chance(f, 50)) {
				rc = mock_domain(w->fd, w->shared_ioas,
						 &stdev[nstdev], NULL, NULL);
				chaos_check(w, "mock_domain", rc, E_OK);
				nstdev += !rc;
			} else if (nstdev) {
				rc = destroy_obj(w->fd, stdev[--nstdev]);
				chaos_check(w, "destroy stdev", rc, E_OK);
			}
			break;
		case 6:
			rc = destroy_obj(w->fd, w->shared_ioas);
			chaos_check(w, "destroy shared IOAS", rc, E(EBUSY));
			break;
		case 7:
			if (access_fd < 0) {
				rc = create_access(w->fd, w->shared_ioas,
						   MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
						   &access_fd);
				chaos_check(w, "create_access", rc, E_OK);
				if (rc)
					access_fd = -1;
				break;
			}
			rc = access_pages(w->fd, access_fd, iova, n * PSZ,
					  NULL, 0, &id);
			chaos_check(w, "access_pages", rc,
				    E_OK | E(ENOENT) | E(EINVAL));
			if (!rc) {
				rc = destroy_access_pages(w->fd, access_fd, id);
				chaos_check(w, "destroy_access_pages", rc,
					    E_OK | E(ENOENT));
			}
			break;
		case 8:
			if (access_fd >= 0) {
				rc = access_rw(w->fd, access_fd, iova + 7, data,
					       sizeof(data), 0);
				chaos_check(w, "access_rw", rc,
					    E_OK | E(ENOENT));
				if (chance(f, 20)) {
					close(access_fd);
					access_fd = -1;
				}
			}
			break;
		default: {
			struct iommu_iova_range r[4];
			__u32 num = 4;

			rc = ioas_ranges(w->fd, w->shared_ioas, r, &num, NULL);
			chaos_check(w, "iova_ranges", rc, E_OK);
			break;
		}
		}
	}
	if (access_fd >= 0)
		close(access_fd);
	return NULL;
}

static void run_threads(struct __test_metadata *_metadata, uint64_t seed,
			double deadline, bool huge, long *ops, long *findings)
{
	struct worker w[NTHREADS + 2] = {};
	uint32_t shared_ioas;
	struct fz_inv inv;
	int fd, i, mm;
	double t0 = now_secs();
	struct rng r = { seed };
	long errs = 0, n = 0, nf = 0;

	ASSERT_EQ(0, memlock_set(RLIM_INFINITY));
	ASSERT_EQ(0, inv_begin(&inv));
	fd = ioasid_open();
	ASSERT_LE(0, fd);
	mm = rng_below(&r, 2);
	if (mm) {
		__u64 one = 1;

		ASSERT_EQ(0, ioasid_option(fd, IOMMU_OPTION_RLIMIT_MODE,
					   IOMMU_OPTION_OP_SET, 0, &one));
	}
	ASSERT_EQ(0, ioas_alloc(fd, &shared_ioas));
	ASSERT_EQ(0, mock_domain(fd, shared_ioas, NULL, NULL, NULL));

	for (i = 0; i != NTHREADS + 2; i++) {
		struct fz *f = calloc(1, sizeof(*f));

		ASSERT_NE(NULL, f);
		fz_init(f, _metadata, "threads", seed, deadline);
		/* Each worker its own stream, all from the run's seed */
		f->rng.s = seed * 0x100000001b3ULL + i + 1;
		snprintf(f->prefix, sizeof(f->prefix), "threads/%d: ", i);
		f->shared = true;
		f->devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
		ASSERT_EQ(0, arena_setup(f, huge && i == 0));
		f->m.ctx[0] = (struct ctx){ .used = true, .fd = fd,
					    .account_mm = mm };
		w[i].f = f;
		w[i].fd = fd;
		w[i].shared_ioas = shared_ioas;
		w[i].chaos = i >= NTHREADS;
		if (!f->deadline)
			f->deadline = now_secs() + 3600;
	}
	snprintf(w[0].bad_op, sizeof(w[0].bad_op), "threads seed=0x%llx",
		 (unsigned long long)seed);
	watchdog_arm(&wd, deadline ? deadline : now_secs() + 600,
		     w[0].bad_op);
	w[0].bad_op[0] = 0;
	for (i = 0; i != NTHREADS + 2; i++)
		ASSERT_EQ(0, pthread_create(&w[i].thread, NULL,
					    w[i].chaos ? chaos_fn : worker_fn,
					    &w[i]));
	for (i = 0; i != NTHREADS + 2; i++) {
		ASSERT_EQ(0, pthread_join(w[i].thread, NULL));
		n += w[i].f->ops + w[i].ops;
		errs += w[i].f->errs;
		nf += w[i].f->findings;
		if (w[i].bad_errno) {
			fprintf(stderr, "# FINDING threads seed=0x%llx chaos thread %d: %s returned %s\n",
				(unsigned long long)seed, i, w[i].bad_op,
				w[i].bad_errno < 0 ? "0" :
				ename(w[i].bad_errno));
			nf++;
		}
	}
	if (w[0].f->m.batch_limit != DEFAULT_BATCH ||
	    w[1].f->m.batch_limit != DEFAULT_BATCH ||
	    w[2].f->m.batch_limit != DEFAULT_BATCH)
		batch_restore(w[0].f);
	close(fd);
	if (inv_end(&inv, "threads")) {
		fprintf(stderr, "# FINDING threads seed=0x%llx: invariants after closing everything\n",
			(unsigned long long)seed);
		nf++;
	}
	inv_close(&inv);
	for (i = 0; i != NTHREADS + 2; i++) {
		close(w[i].f->devnull);
		arena_teardown(w[i].f);
		free(w[i].f);
	}
	fprintf(stderr, "# fuzz: threads seed=0x%llx ops=%ld errors_expected=%ld findings=%ld %.1fs\n",
		(unsigned long long)seed, n, errs, nf, now_secs() - t0);
	fz_add(runs, 1);
	fz_add(ops, n);
	fz_add(errors_expected, errs);
	fz_add(findings, nf);
	fz_note_seed(seed);
	*ops += n;
	*findings += nf;
}

TEST(threads)
{
	double deadline = test_deadline(SHARE_THREADS);
	double per_run = cfg.secs ? SHARE_THREADS * cfg.secs / 2 : 0;
	long ops = 0, findings = 0;
	unsigned long run;
	bool huge = huge_available();

	ONLY("threads");
	ASSERT_EQ(0, watchdog_start(&wd, 30));
	drop_ipc_lock(_metadata);
	for (run = 0; more_runs(run, deadline) && !findings; run++) {
		double d = per_run ? now_secs() + per_run : 0;

		if (deadline && d > deadline)
			d = deadline;
		run_threads(_metadata, cfg.seed + run, d, huge, &ops,
			    &findings);
	}
	watchdog_stop(&wd);
	cov_print("threads");
	EXPECT_EQ(0, findings);
	EXPECT_LT(100, ops);
}

/* ------------------------------------------------------------- abi */

/*
 * Errnos the ioasid ioctls may give for any well-sized argument: the
 * documented ones (the VFIO type1 compat ioctls add ENODEV)
 */
#define IOASID_ANY (E_OK | E(EINVAL) | E(EOPNOTSUPP) | E(ENOENT) |        \
		    E(EOVERFLOW) | E(EFAULT) | E(EBUSY) | E(EPERM) |          \
		    E(EEXIST) | E(ENOSPC) | E(EADDRINUSE) | E(EMSGSIZE) |     \
		    E(ENOMEM) | E(EBADF) | E(EIO) | E(EDEADLOCK) | E(ENODEV))
#define VFIO_ANY (E_OK | E(EINVAL) | E(ENOTTY) | E(EFAULT) | E(EOPNOTSUPP) | \
		  E(ENOENT) | E(EPERM) | E(EBUSY) | E(EIO) | E(ENODEV) |       \
		  E(ENOSPC) | E(ENXIO) | E(ENOMEM) | E(EAGAIN) | E(EBADF) |    \
		  E(EBADFD) | E(EADDRINUSE) | E(E2BIG))

static const struct {
	unsigned int nr, size, min;
} ioasid_cmds[] = {
	{ 0x80, sizeof(struct iommu_destroy), sizeof(struct iommu_destroy) },
	{ 0x81, sizeof(struct iommu_ioas_alloc),
	  sizeof(struct iommu_ioas_alloc) },
	{ 0x82, sizeof(struct iommu_ioas_allow_iovas),
	  sizeof(struct iommu_ioas_allow_iovas) },
	{ 0x83, sizeof(struct iommu_ioas_copy), sizeof(struct iommu_ioas_copy) },
	{ 0x84, sizeof(struct iommu_ioas_iova_ranges),
	  sizeof(struct iommu_ioas_iova_ranges) },
	{ 0x85, sizeof(struct iommu_ioas_map), sizeof(struct iommu_ioas_map) },
	{ 0x86, sizeof(struct iommu_ioas_unmap),
	  sizeof(struct iommu_ioas_unmap) },
	{ 0x87, sizeof(struct iommu_option), sizeof(struct iommu_option) },
	{ 0x88, sizeof(struct iommu_vfio_ioas), sizeof(struct iommu_vfio_ioas) },
	{ 0x89, sizeof(struct iommu_hwpt_alloc), 24 },
	{ 0x8a, sizeof(struct iommu_hw_info), 32 },
	{ 0x8b, sizeof(struct iommu_hwpt_set_dirty_tracking),
	  sizeof(struct iommu_hwpt_set_dirty_tracking) },
	{ 0x8c, sizeof(struct iommu_hwpt_get_dirty_bitmap),
	  sizeof(struct iommu_hwpt_get_dirty_bitmap) },
	{ 0xa0, sizeof(struct iommu_test_cmd), IOMMU_TEST_CMD_MIN_SIZE },
};

/* The VFIO type1 container ioctls /dev/ioasid answers (';', 100 and up) */
static bool vfio_compat_nr(unsigned int nr)
{
	switch (nr) {
	case VFIO_BASE + 0:	/* GET_API_VERSION */
	case VFIO_BASE + 1:	/* CHECK_EXTENSION */
	case VFIO_BASE + 2:	/* SET_IOMMU */
	case VFIO_BASE + 12:	/* IOMMU_GET_INFO */
	case VFIO_BASE + 13:	/* IOMMU_MAP_DMA */
	case VFIO_BASE + 14:	/* IOMMU_UNMAP_DMA */
		return true;
	}
	return false;
}

/* One raw ioctl on the context: random number, bits, size and bytes */
static void abi_ctx(struct fz *f, int fd)
{
	char *buf = f->scratch;
	unsigned int nr, size, min = 0, k, cap = 0;
	unsigned long req;
	void *arg = buf;
	int known = -1, rc;
	bool tail = false;
	emask exp;
	char what[120];

	if (chance(f, 10)) {
		nr = VFIO_BASE + pick(f, 16);
	} else if (chance(f, 75)) {
		known = pick(f, ARRAY_SIZE(ioasid_cmds));
		nr = ioasid_cmds[known].nr;
		cap = ioasid_cmds[known].size;
		min = ioasid_cmds[known].min;
	} else {
		nr = pick(f, 256);
		for (k = 0; k != ARRAY_SIZE(ioasid_cmds); k++)
			if (ioasid_cmds[k].nr == nr)
				known = k;
		if (known >= 0) {
			cap = ioasid_cmds[known].size;
			min = ioasid_cmds[known].min;
		}
	}
	req = _IO(IOMMUFD_TYPE, nr);
	if (chance(f, 10))
		req = _IOC(pick(f, 4), IOMMUFD_TYPE, nr, 1 + pick(f, 200));
	for (k = 0; k != 256; k++)
		buf[k] = chance(f, 70) ? 0 : rng_next(&f->rng);
	switch (pick(f, 6)) {
	case 0:
		size = pick(f, min + 1);
		break;
	case 1:
		size = cap + 1 + pick(f, 64);
		break;
	case 2:
		size = (uint32_t)rng_next(&f->rng);
		break;
	default:
		size = min + pick(f, cap - min + 1);
		break;
	}
	*(__u32 *)buf = size;
	if (chance(f, 5))
		arg = chance(f, 50) ? NULL : f->guard;
	/* Mostly valid IDs and pointers, so that calls get somewhere */
	if (known >= 0 && nr != 0xa0 && chance(f, 50))
		((__u32 *)buf)[1 + pick(f, 2)] = 1 + pick(f, 4);

	/* Bytes past the kernel's structure: non-zero means E2BIG */
	for (k = cap; known >= 0 && k < size && k < 2 * PSZ && !tail; k++)
		tail = buf[k];
	if (known < 0 && vfio_compat_nr(nr) && req == _IO(IOMMUFD_TYPE, nr))
		exp = IOASID_ANY;
	else if (known < 0 || req != _IO(IOMMUFD_TYPE, nr))
		exp = E(ENOTTY);
	else if (!arg || arg == f->guard)
		exp = E(EFAULT);
	else if (size < min)
		exp = E(EINVAL);
	else if (size > cap && size > 2 * PSZ)
		exp = E(EFAULT) | E(E2BIG);	/* up to the guard page */
	else if (size > cap && tail)
		exp = E(E2BIG);
	else
		exp = IOASID_ANY;
	snprintf(what, sizeof(what), "raw ioctl %#lx size=%u arg=%s", req,
		 size, arg == buf ? "buf" : arg ? "guard" : "NULL");
	/* The VFIO compat ioctls answer with values >= 0 */
	rc = ioctl(fd, req, arg) < 0 ? errno : 0;
	check_rc(f, what, exp, rc);
	/* An access made by accident is an fd to close */
	if (!rc && nr == 0xa0 && arg == buf &&
	    ((struct iommu_test_cmd *)buf)->op == IOMMU_TEST_OP_CREATE_ACCESS)
		close(((struct iommu_test_cmd *)buf)->create_access.out_access_fd);
}

/* One raw VFIO ioctl on a device fd */
static void abi_dev(struct fz *f, int dfd, bool bound)
{
	__u32 *buf = (__u32 *)f->scratch;
	unsigned int nr = 100 + pick(f, 30), k;
	unsigned long req = _IO(VFIO_TYPE, nr);
	char what[96];
	emask exp;
	int rc;

	if (nr == 118)	/* BIND: the fd's state is not ours to change */
		nr = 107;
	req = _IO(VFIO_TYPE, nr);
	for (k = 0; k != 64; k++)
		buf[k] = chance(f, 70) ? 0 : (uint32_t)rng_next(&f->rng);
	buf[0] = pick(f, 512);
	exp = bound ? VFIO_ANY : E(EINVAL);
	snprintf(what, sizeof(what), "raw VFIO ioctl %u argsz=%u on a %s fd",
		 nr, buf[0], bound ? "bound" : "parked");
	rc = ioctl(dfd, req, buf) < 0 ? errno : 0;
	check_rc(f, what, exp, rc);
}

TEST(abi)
{
	double deadline = test_deadline(SHARE_ABI);
	long ops = 0, findings = 0;
	unsigned long run;

	ONLY("abi");
	ASSERT_EQ(0, watchdog_start(&wd, 60));
	drop_ipc_lock(_metadata);
	ASSERT_EQ(0, pci_discover());
	for (run = 0; more_runs(run, deadline) && !findings; run++) {
		struct fz *f = calloc(1, sizeof(*f));
		double t0 = now_secs();
		int fd, parked = -1, bound = -1, acc = -1, i;
		__u32 ioas;
		char b[8];

		ASSERT_NE(NULL, f);
		fz_init(f, _metadata, "abi", cfg.seed + run, deadline);
		ASSERT_EQ(0, arena_setup(f, false));
		ASSERT_EQ(0, inv_begin(&f->inv));
		fd = ioasid_open();
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, ioas_alloc(fd, &ioas));
		ASSERT_EQ(0, create_access(fd, ioas,
					   MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
					   &acc));
		if (npci == MAX_PCI) {
			parked = open(pci[1].info.cdev, O_RDWR | O_CLOEXEC);
			bound = open(pci[4].info.cdev, O_RDWR | O_CLOEXEC);
			ASSERT_LE(0, parked);
			ASSERT_LE(0, bound);
			ASSERT_EQ(0, dev_bind(bound, fd, NULL));
		}
		for (i = 0; i != (int)cfg.ops * 4 && !f->stop && !time_up(f);
		     i++) {
			f->op = i + 1;
			wd_op(f);
			switch (pick(f, 10)) {
			case 0:
				if (parked >= 0)
					abi_dev(f, parked, false);
				break;
			case 1:
				if (bound >= 0)
					abi_dev(f, bound, true);
				break;
			case 2:
				check_rc(f, "ioctl on an access fd", E(ENOTTY),
					 xioctl(acc, IOMMU_IOAS_ALLOC, b));
				check_rc(f, "read of an access fd", E(EINVAL),
					 read(acc, b, 8) < 0 ? errno : 0);
				check_rc(f, "read of /dev/ioasid", E(EINVAL),
					 read(fd, b, 8) < 0 ? errno : 0);
				check_rc(f, "mmap of /dev/ioasid", E(ENODEV),
					 mmap(NULL, PSZ, PROT_READ, MAP_SHARED,
					      fd, 0) == MAP_FAILED ? errno : 0);
				break;
			default:
				abi_ctx(f, fd);
				break;
			}
		}
		batch_restore(f);
		close(acc);
		if (parked >= 0)
			close(parked);
		if (bound >= 0)
			close(bound);
		close(fd);
		if (inv_end(&f->inv, "abi"))
			finding(f, "invariants after closing everything (see above)");
		inv_close(&f->inv);
		arena_teardown(f);
		report_run(f, t0);
		ops += f->ops;
		findings += f->findings;
		free(f);
	}
	watchdog_stop(&wd);
	EXPECT_EQ(0, findings);
	EXPECT_LT(100, ops);
}

/* ------------------------------------------------- setup and summary */

static double fuzz_t0;

static void __attribute__((constructor)) fuzz_init(void)
{
	double slack = 90;

	cfg.seed = env_u64("IOASID_FUZZ_SEED", 0, &cfg.seed_given);
	if (!cfg.seed_given)
		cfg.seed = fresh_seed();
	cfg.iters = env_u64("IOASID_FUZZ_ITERS", 0, NULL);
	cfg.secs = env_secs("IOASID_FUZZ_SECS",
			    cfg.iters ? 0 : DEFAULT_SECS);
	cfg.ops = env_u64("IOASID_FUZZ_OPS", 250, NULL);
	if (!cfg.ops)
		cfg.ops = 1;
	cfg.bad = env_u64("IOASID_FUZZ_BAD", 15, NULL);
	if (cfg.bad > 100)
		cfg.bad = 100;
	cfg.verbose = env_u64("IOASID_FUZZ_VERBOSE", 0, NULL);
	cfg.only = getenv("IOASID_FUZZ_TEST");
	fuzz_t0 = now_secs();

	/* The harness kills a test at its timeout: follow the budget */
	_sequential_object.timeout = cfg.secs ?
		SHARE_SEQ * cfg.secs + slack : 3600;
	_threads_object.timeout = cfg.secs ?
		SHARE_THREADS * cfg.secs + slack : 3600;
	_abi_object.timeout = cfg.secs ? SHARE_ABI * cfg.secs + slack : 3600;
	printf("# fuzz: first seed 0x%llx%s, %s%.0f s, %u ops per run, %u%% invalid\n",
	       (unsigned long long)cfg.seed,
	       cfg.seed_given ? " (IOASID_FUZZ_SEED)" : "",
	       cfg.iters ? "runs per test as given, budget " : "budget ",
	       cfg.secs, cfg.ops, cfg.bad);
}

static void __attribute__((destructor)) fuzz_summary(void)
{
	if (getpid() != fz_main_pid)
		return;
	printf("# fuzz: seeds=%ld first_seed=0x%llx ops=%ld errors_expected=%ld findings=%ld secs=%.0f\n",
	       fz_totals->runs, (unsigned long long)fz_totals->first_seed,
	       fz_totals->ops, fz_totals->errors_expected,
	       fz_totals->findings, now_secs() - fuzz_t0);
	fflush(stdout);
}

TEST_HARNESS_MAIN
