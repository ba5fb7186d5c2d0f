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
 *   abi         raw ioctl envelopes on context, device and access fds, and
 *               reads and writes of a fault queue's fd.
 *
 * A finding is a test failure that prints the seed, the op number, what
 * was expected and what happened, and the last operations of the run.
 * Replay: IOASID_FUZZ_SEED=<seed> IOASID_FUZZ_ITERS=1, and
 * IOASID_FUZZ_VERBOSE=1 to print every op.  See
 * Documentation/dev-tools/fuzzing.rst.
 *
 * This file has the configuration, a run (which operations, how often,
 * the checks after each one and the closes at the end) and the tests; the
 * rest is in the fuzz_*.c files of the suite, which share fuzz.h:
 *   fuzz_model.c       the model of what is alive; picking what to use
 *   fuzz_pins.c        which user pages are pinned, and what pinning costs
 *   fuzz_memory.c      the user memory behind the mappings; munmap, remap
 *   fuzz_ops_ioas.c    IOAS alloc, destroy, MAP, UNMAP, COPY, IOVA_RANGES,
 *                      ALLOW_IOVAS, OPTION, ADD_RESERVED
 *   fuzz_ops_hwpt.c    mock domains, HWPT_ALLOC, GET_HW_INFO, MD_CHECK_MAP,
 *                      MD_CHECK_REFS, the batch memory limit
 *   fuzz_ops_access.c  accesses: create, ACCESS_PAGES, unpin, ACCESS_RW
 *   fuzz_fork.c        fork()
 *   fuzz_devices.c     the PCI devices' fds, and the contexts' fds
 *   fuzz_ioctl.c       ioctl envelopes, good and bad
 *   fuzz_netlink.c     random and malformed requests to the netlink family
 *   fuzz_check.c       checking answers, findings, coverage
 */
#include <pthread.h>
#include <sys/resource.h>

#include "fuzz_utils.h"	/* first: with the kselftest harness */
#include "fuzz.h"

#define DEFAULT_SECS 12.0

/* Share of the time budget of each test */
#define SHARE_SEQ 0.55
#define SHARE_THREADS 0.30
#define SHARE_ABI 0.15

#define NTHREADS 3

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

static struct watchdog wd;

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

/* ============================================================= a run */

enum {
	OP_IOAS_ALLOC, OP_DESTROY, OP_MAP, OP_UNMAP, OP_COPY, OP_RANGES,
	OP_ALLOW, OP_OPTION, OP_RESERVE, OP_MOCK, OP_CHECK_MAP, OP_CHECK_REFS,
	OP_ACC_CREATE, OP_ACC_CLOSE, OP_ACC_PAGES, OP_ACC_UNPIN, OP_ACC_RW,
	OP_BATCH, OP_MUNMAP, OP_REMAP, OP_FORK, OP_DEV_OPEN, OP_DEV_BIND,
	OP_DEV_ATTACH, OP_DEV_DETACH, OP_DEV_CLOSE, OP_DEV_MISC, OP_CTX_CLOSE,
	OP_CTX_OPEN, OP_HWPT_ALLOC, OP_HW_INFO, OP_NETLINK, OP_NR
};

static void (*const ops[OP_NR])(struct fz *f) = {
	op_ioas_alloc, op_destroy, op_map, op_unmap, op_copy, op_ranges,
	op_allow, op_option, op_reserve, op_mock, op_check_map, op_check_refs,
	op_acc_create, op_acc_close, op_acc_pages, op_acc_unpin, op_acc_rw,
	op_batch, op_munmap, op_remap, op_fork, op_dev_open, op_dev_bind,
	op_dev_attach, op_dev_detach, op_dev_close, op_dev_misc, op_ctx_close,
	op_ctx_open, op_hwpt_alloc, op_hw_info, op_netlink,
};

#define COMMON_WEIGHTS							\
	[OP_IOAS_ALLOC] = 5, [OP_DESTROY] = 4, [OP_MAP] = 22,		\
	[OP_UNMAP] = 12, [OP_COPY] = 8, [OP_RANGES] = 4, [OP_ALLOW] = 3,	\
	[OP_OPTION] = 4, [OP_RESERVE] = 2, [OP_MOCK] = 5,		\
	[OP_CHECK_MAP] = 5, [OP_CHECK_REFS] = 4, [OP_ACC_CREATE] = 3,	\
	[OP_ACC_CLOSE] = 2, [OP_ACC_PAGES] = 5, [OP_ACC_UNPIN] = 3,	\
	[OP_ACC_RW] = 6, [OP_BATCH] = 1, [OP_MUNMAP] = 2, [OP_REMAP] = 2,	\
	[OP_HWPT_ALLOC] = 2, [OP_HW_INFO] = 1, [OP_NETLINK] = 1

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

static void fz_init(struct fz *f, const char *test, uint64_t seed,
		    double deadline)
{
	int i;

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
		fz_init(f, "sequential", cfg.seed + run, deadline);
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
		fz_init(f, "threads", seed, deadline);
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
	{ 0x8d, sizeof(struct iommu_hwpt_invalidate),
	  sizeof(struct iommu_hwpt_invalidate) },
	{ 0x8e, sizeof(struct iommu_fault_alloc),
	  sizeof(struct iommu_fault_alloc) },
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
	/* An access or a fault queue made by accident is an fd to close */
	if (!rc && nr == 0xa0 && arg == buf &&
	    ((struct iommu_test_cmd *)buf)->op == IOMMU_TEST_OP_CREATE_ACCESS)
		close(((struct iommu_test_cmd *)buf)->create_access.out_access_fd);
	if (!rc && nr == 0x8e && arg == buf && size >= min)
		close(((struct iommu_fault_alloc *)buf)->out_fault_fd);
}

/*
 * read(), write() and seeking on an empty fault queue's fd: whole
 * records and whole responses only, at position 0; there is nothing to
 * read and no cookie waits for an answer
 */
static void abi_fault(struct fz *f, int ffd)
{
	const size_t rsize = sizeof(struct iommu_hwpt_pgfault);
	const size_t wsize = sizeof(struct iommu_hwpt_page_response);
	__u32 *buf = (__u32 *)f->scratch;
	size_t count, unit;
	bool rd = chance(f, 50), at = chance(f, 10);
	void *arg = buf;
	unsigned int k;
	char what[96];
	ssize_t n;
	emask exp;

	unit = rd ? rsize : wsize;
	switch (pick(f, 4)) {
	case 0:
		count = 0;
		break;
	case 1:
		count = unit * (1 + pick(f, 8));
		break;
	default:
		count = pick(f, 5 * unit);
		break;
	}
	if (chance(f, 10))
		arg = chance(f, 50) ? NULL : f->guard;
	for (k = 0; k != 64; k++)
		buf[k] = chance(f, 50) ? 0 : (uint32_t)rng_next(&f->rng);
	if (at)
		exp = E(ESPIPE);
	else if (count % unit)
		exp = E(ESPIPE);
	else if (!count || rd)
		exp = E_OK;
	else if (arg != buf)
		exp = E(EFAULT);
	else
		exp = E(EINVAL);
	snprintf(what, sizeof(what), "%s%s of a fault fd, %zu bytes at %s",
		 at ? "p" : "", rd ? "read" : "write", count,
		 arg == buf ? "buf" : arg ? "guard" : "NULL");
	if (rd)
		n = at ? pread(ffd, arg, count, unit) : read(ffd, arg, count);
	else
		n = at ? pwrite(ffd, arg, count, unit) :
			 write(ffd, arg, count);
	/* Records only if a random test command made some (TRIGGER_IOPF) */
	check_rc(f, what, exp,
		 n < 0 ? errno : !n || (rd && !(n % rsize)) ? 0 : EPROTO);
	if (chance(f, 10))
		check_rc(f, "lseek of a fault fd", E(ESPIPE),
			 lseek(ffd, 0, SEEK_SET) < 0 ? errno : 0);
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
		int fd, parked = -1, bound = -1, acc = -1, ffd = -1, i;
		__u32 ioas, fault;
		char b[8];

		ASSERT_NE(NULL, f);
		fz_init(f, "abi", cfg.seed + run, deadline);
		ASSERT_EQ(0, arena_setup(f, false));
		ASSERT_EQ(0, inv_begin(&f->inv));
		fd = ioasid_open();
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, ioas_alloc(fd, &ioas));
		ASSERT_EQ(0, create_access(fd, ioas,
					   MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
					   &acc));
		ASSERT_EQ(0, fault_alloc(fd, &fault, &ffd));
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
			switch (pick(f, 11)) {
			case 0:
				if (parked >= 0)
					abi_dev(f, parked, false);
				break;
			case 10:
				abi_fault(f, ffd);
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
		close(ffd);
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
