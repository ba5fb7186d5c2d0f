/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers of the long-running suites, ioasid_fuzz and ioasid_stress: a
 * seeded PRNG, budgets from the environment, totals shared between the
 * harness's test children, errno sets, an op trace, CAP_IPC_LOCK dropping
 * (so that pins are really charged) and the end-of-run invariants.  What
 * the fuzzer alone uses is in its own header, fuzz.h.
 *
 * Budgets and seeds come from the environment (the test VM passes
 * name=value words of the kernel command line to the tests):
 *   IOASID_FUZZ_SEED, IOASID_FUZZ_SECS, IOASID_FUZZ_ITERS, IOASID_FUZZ_OPS,
 *   IOASID_FUZZ_BAD, IOASID_FUZZ_VERBOSE, IOASID_STRESS_SECS,
 *   IOASID_STRESS_SEED.
 */
#ifndef __FUZZ_UTILS_H
#define __FUZZ_UTILS_H

#include <execinfo.h>
#include <linux/capability.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>

#include "vfio_utils.h"

/* ------------------------------------------------------------ PRNG */

/* splitmix64: tiny, fast, and every seed gives a good stream */
struct rng {
	uint64_t s;
};

static inline uint64_t rng_next(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, n); 0 for n == 0 */
static inline uint64_t rng_below(struct rng *r, uint64_t n)
{
	return n ? rng_next(r) % n : 0;
}

static inline bool rng_pct(struct rng *r, unsigned int pct)
{
	return rng_below(r, 100) < pct;
}

/* Index chosen by weight */
static inline int rng_weighted(struct rng *r, const unsigned int *w, int n)
{
	unsigned int total = 0, x;
	int i;

	for (i = 0; i != n; i++)
		total += w[i];
	x = rng_below(r, total);
	for (i = 0; i != n; i++) {
		if (x < w[i])
			return i;
		x -= w[i];
	}
	return n - 1;
}

/* -------------------------------------------------------- environment */

static inline uint64_t env_u64(const char *name, uint64_t def, bool *given)
{
	const char *s = getenv(name);
	char *end;
	uint64_t v;

	if (given)
		*given = false;
	if (!s || !*s)
		return def;
	v = strtoull(s, &end, 0);
	if (*end)
		return def;
	if (given)
		*given = true;
	return v;
}

/* A budget in seconds: as given, else @def stretched by time_scale() */
static inline double env_secs(const char *name, double def)
{
	const char *s = getenv(name);
	char *end;
	double v;

	def *= time_scale();
	if (!s || !*s)
		return def;
	v = strtod(s, &end);
	return *end || v < 0 ? def : v;
}

static inline double now_secs(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A default seed that differs from run to run; printed, so replayable */
static inline uint64_t fresh_seed(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((uint64_t)ts.tv_sec << 20) ^ (uint64_t)ts.tv_nsec ^
	       ((uint64_t)getpid() << 40);
}

/* ------------------------------------------------------------ totals */

#ifndef IOASID_NO_HARNESS
/*
 * The harness runs every test in a child process; the totals live in a
 * shared page so that the parent can print one summary line at exit.  Like
 * the harness, they are the file with the tests': another file of its suite
 * (IOASID_NO_HARNESS) would map a page of its own.
 */
struct fz_totals {
	long runs;		/* seeds (fuzz) or rounds (stress) done */
	long ops;
	long errors_expected;
	long findings;
	long dma_checks;
	long threads;
	uint64_t first_seed;
	int have_seed;
	double secs;
};

static struct fz_totals *fz_totals;
static pid_t fz_main_pid;

static void __attribute__((constructor)) fz_totals_init(void)
{
	fz_totals = mmap(NULL, sizeof(*fz_totals), PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (fz_totals == MAP_FAILED)
		abort();
	memset(fz_totals, 0, sizeof(*fz_totals));
	fz_main_pid = getpid();
}

#define fz_add(field, n) __atomic_add_fetch(&fz_totals->field, (n), \
					    __ATOMIC_RELAXED)

static inline void fz_note_seed(uint64_t seed)
{
	int zero = 0;

	if (__atomic_compare_exchange_n(&fz_totals->have_seed, &zero, 1,
					false, __ATOMIC_RELAXED,
					__ATOMIC_RELAXED))
		fz_totals->first_seed = seed;
}
#endif

/* ------------------------------------------------------------ errnos */

/* A set of errnos (0 is success); errnos of 128 and above never match */
typedef unsigned __int128 emask;
#define E(e) ((emask)1 << (e))
#define E_OK E(0)

static inline bool emask_has(emask m, int e)
{
	return e >= 0 && e < 128 && (m & E(e));
}

static inline const char *ename(int e)
{
	const char *s;

	if (!e)
		return "0";
	s = strerrorname_np(e);
	return s ? s : "E?";
}

/* "{0,ENOENT}" */
static inline char *emask_str(emask m, char *buf, size_t len)
{
	size_t n = 0;
	int e;

	n += snprintf(buf + n, len - n, "{");
	for (e = 0; e != 128 && n < len; e++)
		if (m & E(e))
			n += snprintf(buf + n, len - n, "%s%s",
				      buf[n - 1] == '{' ? "" : ",", ename(e));
	if (n < len)
		snprintf(buf + n, len - n, "}");
	return buf;
}

/* ---------------------------------------------------------- op trace */

#define TRACE_LINES 48
#define TRACE_LEN 200

/* The last operations of a run, dumped with a finding */
struct trace {
	char line[TRACE_LINES][TRACE_LEN];
	unsigned long n;
	bool echo;		/* IOASID_FUZZ_VERBOSE: print every line */
	const char *prefix;
};

static inline void __attribute__((format(printf, 2, 3)))
trace_add(struct trace *t, const char *fmt, ...)
{
	char *line = t->line[t->n % TRACE_LINES];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, TRACE_LEN, fmt, ap);
	va_end(ap);
	t->n++;
	if (t->echo)
		fprintf(stderr, "# %s%s\n", t->prefix ? t->prefix : "", line);
}

static inline void trace_dump(struct trace *t, unsigned int max)
{
	unsigned long i = t->n > max ? t->n - max : 0;

	if (max > TRACE_LINES)
		max = TRACE_LINES;
	if (t->n > TRACE_LINES && i < t->n - TRACE_LINES)
		i = t->n - TRACE_LINES;
	for (; i != t->n; i++)
		fprintf(stderr, "#   %s%s\n", t->prefix ? t->prefix : "",
			t->line[i % TRACE_LINES]);
}

/* ------------------------------------------------------ capabilities */

static inline int caps_get(struct __user_cap_data_struct data[2])
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};

	return syscall(SYS_capget, &hdr, data) ? errno : 0;
}

/* Drop @cap for good from this process (and its children) */
static inline int cap_drop(int cap)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];
	__u32 bit = 1U << (cap % 32);

	if (caps_get(data))
		return errno;
	data[cap / 32].effective &= ~bit;
	data[cap / 32].permitted &= ~bit;
	data[cap / 32].inheritable &= ~bit;
	return syscall(SYS_capset, &hdr, data) ? errno : 0;
}

static inline bool cap_has(int cap)
{
	struct __user_cap_data_struct data[2];

	if (caps_get(data))
		return false;
	return data[cap / 32].effective & (1U << (cap % 32));
}

/* RLIMIT_MEMLOCK in pages, or RLIM_INFINITY */
static inline int memlock_set(rlim_t pages)
{
	struct rlimit rl;

	rl.rlim_cur = pages == RLIM_INFINITY ? RLIM_INFINITY : pages * PSZ;
	rl.rlim_max = rl.rlim_cur;
	return setrlimit(RLIMIT_MEMLOCK, &rl) ? errno : 0;
}

/* -------------------------------------------------------- invariants */

struct fz_inv {
	int kmsg_fd;
	long vmlck, vmpin;	/* kB at the start */
};

/* Start of a run: remember VmLck/VmPin and where the kernel log is */
static inline int inv_begin(struct fz_inv *v)
{
	proc_status_keep_open();
	v->kmsg_fd = kmsg_open();
	v->vmlck = proc_status_kb("VmLck");
	v->vmpin = proc_status_kb("VmPin");
	return v->kmsg_fd < 0 || v->vmlck < 0 || v->vmpin < 0 ? EIO : 0;
}

/* The module's counters as an array, in the order of fz_counter_names */
#define FZ_NR_COUNTERS 8
static const char *const fz_counter_names[FZ_NR_COUNTERS] = {
	"contexts", "objects", "pages_objs", "pinned", "charged",
	"groups", "domains", "fault_records",
};

static inline void fz_counter_vals(const struct ioasid_counters *c,
				   long v[FZ_NR_COUNTERS])
{
	v[0] = c->contexts;
	v[1] = c->objects;
	v[2] = c->pages_objs;
	v[3] = c->pinned;
	v[4] = c->charged;
	v[5] = c->groups;
	v[6] = c->domains;
	v[7] = c->fault_records;
}

/*
 * End of a run, after every descriptor was closed: the module's counters
 * are back to 0, VmLck and VmPin to their start, and the kernel logged no
 * warning, BUG, oops or refcount complaint.  Returns the number of
 * violations, each described on stderr after @who.
 */
static inline int inv_end(struct fz_inv *v, const char *who)
{
	struct ioasid_counters c;
	char first[2048] = "";
	long vals[FZ_NR_COUNTERS], kb;
	int bad = 0, i, nk;

	if (read_counters(&c)) {
		fprintf(stderr, "# %s: cannot read %s\n", who, IOASID_STATS);
		return 1;
	}
	fz_counter_vals(&c, vals);
	for (i = 0; i != FZ_NR_COUNTERS; i++) {
		if (!vals[i])
			continue;
		fprintf(stderr, "# %s: counter %s is %ld after closing everything\n",
			who, fz_counter_names[i], vals[i]);
		bad++;
	}
	kb = proc_status_kb("VmLck");
	if (kb != v->vmlck) {
		fprintf(stderr, "# %s: VmLck %ld kB, %ld kB at the start\n",
			who, kb, v->vmlck);
		bad++;
	}
	kb = proc_status_kb("VmPin");
	if (kb != v->vmpin) {
		fprintf(stderr, "# %s: VmPin %ld kB, %ld kB at the start\n",
			who, kb, v->vmpin);
		bad++;
	}
	nk = kmsg_scan(v->kmsg_fd, first, sizeof(first));
	if (nk) {
		fprintf(stderr, "# %s: %d bad kernel messages, the first: %s",
			who, nk, first);
		bad++;
	}
	return bad;
}

static inline void inv_close(struct fz_inv *v)
{
	if (v->kmsg_fd >= 0)
		close(v->kmsg_fd);
	v->kmsg_fd = -1;
}

/* The kernel log since inv_begin(): a bad message is a finding at once */
static inline int inv_kmsg(struct fz_inv *v, char *first, size_t len)
{
	return kmsg_scan(v->kmsg_fd, first, len);
}

/* ---------------------------------------------------------- watchdog */

/*
 * A hang is a finding too: if the work is not done by its deadline the
 * watchdog prints where every thread of the process is in the kernel, asks
 * the kernel for its blocked tasks (sysrq w, in the console log), and ends
 * the process so that the harness reports the failure.
 */
struct watchdog {
	pthread_t thread;
	volatile double deadline;	/* 0: disarmed */
	volatile bool stop;
	char what[160];
	long seconds;			/* grace period after the deadline */
};

/*
 * A thread's user stack, printed by the thread itself on SIGUSR2: return
 * addresses only (static binary); addr2line -f -e <binary> names them.
 */
static void user_stack_handler(int sig)
{
	void *pc[32];
	char line[64];
	int n = backtrace(pc, 32), len;

	len = snprintf(line, sizeof(line), "# thread %ld user stack:\n",
		       (long)syscall(SYS_gettid));
	if (write(2, line, len) != len)
		return;
	backtrace_symbols_fd(pc, n, 2);
}

static inline void dump_task_stacks(void)
{
	char path[300], buf[4096];
	struct dirent *de;
	ssize_t n;
	char *l;
	DIR *d;
	int fd;

	signal(SIGUSR2, user_stack_handler);
	d = opendir("/proc/self/task");
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (atoi(de->d_name) != syscall(SYS_gettid)) {
			syscall(SYS_tgkill, getpid(), atoi(de->d_name),
				SIGUSR2);
			usleep(200000);
		}
		snprintf(path, sizeof(path), "/proc/self/task/%s/stack",
			 de->d_name);
		fd = open(path, O_RDONLY);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		buf[n > 0 ? n : 0] = 0;
		fprintf(stderr, "# thread %s kernel stack:\n", de->d_name);
		for (l = strtok(buf, "\n"); l; l = strtok(NULL, "\n"))
			fprintf(stderr, "#   %s\n", l);
	}
	closedir(d);
}

static void *watchdog_fn(void *arg)
{
	struct watchdog *w = arg;

	while (!w->stop) {
		sleep(1);
		if (!w->deadline || now_secs() < w->deadline + w->seconds)
			continue;
		fprintf(stderr, "# FINDING hang: %s is still running %ld s after its deadline\n",
			w->what, w->seconds);
		dump_task_stacks();
		sysfs_write("/proc/sysrq-trigger", "w");
		sysfs_write("/proc/sysrq-trigger", "l");
		fprintf(stderr, "# blocked tasks and the CPUs' stacks are in the kernel log (sysrq w, l)\n");
		fflush(stderr);
		fflush(stdout);
		_exit(1);
	}
	return NULL;
}

static inline int watchdog_start(struct watchdog *w, long seconds)
{
	memset((void *)w, 0, sizeof(*w));
	w->seconds = seconds * time_scale();
	return pthread_create(&w->thread, NULL, watchdog_fn, w);
}

/* Arm (or move) the deadline; @what says what hangs if it fires */
static inline void watchdog_arm(struct watchdog *w, double deadline,
				const char *what)
{
	snprintf(w->what, sizeof(w->what), "%s", what);
	w->deadline = deadline;
}

static inline void watchdog_stop(struct watchdog *w)
{
	w->stop = true;
	pthread_join(w->thread, NULL);
}

#endif
