/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the files of ioasid_fuzz share: the model's types, struct fz (one
 * run), and the functions one file calls in another.  ioasid_fuzz.c says
 * what the fuzzer does and which file holds what.
 *
 * An operation is void op_<what>(struct fz *f).  It draws its arguments
 * from f->rng, asks the model what the kernel must answer (a set of
 * errnos; 0 when the model is full or cannot tell: the operation is then
 * skipped), makes the call, checks the answer with check_rc() and, if the
 * call succeeded, changes the model.  A prediction that put new objects in
 * the model tentatively is undone with snap() and restore().
 *
 * A seed replays a run only while every draw from f->rng (pick, chance,
 * bad, rng_next) happens in the same order: moving code between files does
 * not change it, adding or reordering a draw changes every run after it.
 *
 * The kselftest harness is ioasid_fuzz.c's alone (it defines functions and
 * keeps its tests in static variables).  This header leaves it out, and
 * ioasid_fuzz.c includes fuzz_utils.h before it to have it: the code in
 * the other files reports through check_rc() and finding(), never with
 * ASSERT, EXPECT or TH_LOG.
 */
#ifndef __FUZZ_H
#define __FUZZ_H

#define IOASID_NO_HARNESS
#include "fuzz_utils.h"

#define ULMAX UINT64_MAX

/* How much the model holds */
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

/* ============================================================ memory */

enum rkind { RK_ANON, RK_FILE, RK_HUGE, RK_RO, RK_NONE };

#define NREG 6
#define SLOT (8UL << 20)
#define ARENA_LEN (NREG * SLOT)

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
	bool nest_parent;	/* IOMMU_HWPT_ALLOC_NEST_PARENT (mock only) */
	bool in_iopt;		/* mirrors its IOAS: from the first attach, or
				 * from HWPT_ALLOC for a mock domain */
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

/* What an ID names in a context */
enum okind { OK_NONE, OK_IOAS, OK_HWPT, OK_STDEV, OK_IDEV, OK_DEV };

/* ========================================================= pin model */

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

/* Pages pinned now (by mode); @ours_mm counts what VmLck shows */
struct pin_sums {
	long pinned, user, ours_mm, ours;
};

/* What is pinned at user page @uva of pobj @pi, relative to memory now */
enum pin_view { PV_NONE, PV_CURRENT, PV_STALE, PV_FOREIGN };

/* =========================================================== devices */

/* The PCI devices of the test VM bound to the companion */
struct pci {
	struct vdev_info info;
	const char *name;
	int grp;
	int nresv;
	struct range resv[8];
};

/* ============================================================= a run */

struct fz {
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

/* ====================================================== small helpers */

static inline uint64_t pick(struct fz *f, uint64_t n)
{
	return rng_below(&f->rng, n);
}

static inline bool chance(struct fz *f, unsigned int pct)
{
	return rng_pct(&f->rng, pct);
}

static inline bool bad(struct fz *f)
{
	return rng_pct(&f->rng, f->bad);
}

static inline bool ranges_meet(uint64_t s1, uint64_t l1, uint64_t s2,
			       uint64_t l2)
{
	return s1 <= l2 && s2 <= l1;
}

/* last = start + len - 1; false for an empty or wrapping range */
static inline bool range_last(uint64_t start, uint64_t len, uint64_t *last)
{
	if (!len)
		return false;
	return !__builtin_add_overflow(start, len - 1, last);
}

/* The errno ioasid_range_last() gives for (start, len) */
static inline int range_err(uint64_t start, uint64_t len)
{
	uint64_t last;

	if (!len)
		return EINVAL;
	return __builtin_add_overflow(start, len - 1, &last) ? EOVERFLOW : 0;
}

/* =================================================== ioctl envelopes */

/* How raw_ioctl() wraps a command: as is, with a zero tail, or badly */
enum { EM_NONE, EM_TAIL0, EM_SMALL, EM_TAIL, EM_NULL, EM_BADPTR, EM_BITS };

/* ==================================================== the operations */

/* The arguments of one MAP, for op_map() and op_fork() */
struct map_args {
	int c;
	uint32_t id;
	uint64_t uva, len, iova;
	uint32_t flags, resv;
};

/*
 * fuzz_check.c: every call is counted and checked here; a finding stops
 * the run and prints how to replay it
 */
void cov_print(const char *test);
void finding(struct fz *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
bool check_rc(struct fz *f, const char *what, emask exp, int rc);

/* fuzz_memory.c: the arena of user memory regions the mappings use */
extern const char *const rk_name[];
int arena_setup(struct fz *f, bool huge);
void arena_teardown(struct fz *f);
int region_of(struct fz *f, uint64_t uva);
void op_munmap(struct fz *f);
void op_remap(struct fz *f);

/*
 * fuzz_model.c: the model's queries and changes, and the choice of what
 * an operation uses: mostly live objects, sometimes a wrong or unknown ID
 */
int ranges_merge(struct range *r, int n);
int ctx_nobjects(struct fz *f, int c);
void note_id(struct fz *f, int c, uint32_t id);
uint64_t ioas_align(struct fz *f, int i);
int ioas_ndomains(struct fz *f, int i);
struct area *area_at(struct ioas *io, uint64_t iova);
bool walk(struct ioas *io, uint64_t iova, uint64_t last,
	  bool (*fn)(struct area *a, uint64_t cur, uint64_t plast,
		     void *arg), void *arg);
int ioas_resv(struct fz *f, int i, struct range *out);
bool ioas_resv_meets(struct fz *f, int i, uint64_t s, uint64_t l);
bool ioas_area_meets(struct ioas *io, uint64_t s, uint64_t l);
bool reserve_blocked(struct ioas *io, uint64_t s, uint64_t l);
bool areas_aligned(struct ioas *io, uint64_t align);
int model_find_iova(struct fz *f, int i, uint64_t uva, uint64_t len,
		    uint64_t min_align, uint64_t *iova);
int pobj_new(struct fz *f, uint64_t uva, uint64_t len, bool writable,
	     bool mm);
uint64_t areas_remove(struct fz *f, int i, uint64_t s, uint64_t l);
void hwpt_put_group(struct fz *f, int h);
void stdev_remove(struct fz *f, int s);
void ioas_remove(struct fz *f, int i);
void ctx_purge(struct fz *f, int c);
void ctx_unhold(struct fz *f, int c);
void dev_detach_model(struct fz *f, int d);
int pick_ctx(struct fz *f);
int pick_ioas(struct fz *f, int c);
int pick_ioas_busy(struct fz *f, int c);
enum okind lookup(struct fz *f, int c, uint32_t id, int *idx);
uint32_t any_id(struct fz *f, int c);
uint32_t ioas_id_or_bad(struct fz *f, int c, int i);
void snap(struct fz *f);
void restore(struct fz *f);

/*
 * fuzz_pins.c: which user pages are pinned.  pins_plan() gives the errnos
 * of pinning what the model wants now, pins_commit() records it pinned.
 */
void pins_sum(struct fz *f, struct pin_sums *s);
emask pins_plan(struct fz *f);
void pins_commit(struct fz *f);
enum pin_view pin_view(struct fz *f, int pi, uint64_t uva);

/* fuzz_ioctl.c: /dev/ioasid ioctls in a valid or a bad envelope */
extern const char *const em_name[];
int pick_env(struct fz *f);
int raw_ioctl(struct fz *f, int fd, unsigned int nr, void *cmd,
	      size_t size, size_t min, int mut, emask *exp);
int test_ioctl(struct fz *f, int fd, struct iommu_test_cmd *cmd,
	       int mut, emask *exp);

/* fuzz_ops_ioas.c: the operations on IOASes and their mappings */
void op_ioas_alloc(struct fz *f);
void op_destroy(struct fz *f);
emask map_predict(struct fz *f, int c, uint32_t id, uint64_t uva,
		  uint64_t len, uint32_t flags, uint32_t resv,
		  uint64_t iova, uint64_t *out, bool foreign);
void pick_map(struct fz *f, int c, int i, struct map_args *a,
	      bool allow_bad);
void op_map(struct fz *f);
void op_unmap(struct fz *f);
void op_copy(struct fz *f);
void op_ranges(struct fz *f);
void op_allow(struct fz *f);
void op_option(struct fz *f);
void op_reserve(struct fz *f);

/* fuzz_ops_hwpt.c: mock domains, HWPTs and the test driver's checks */
void op_mock(struct fz *f);
void op_hwpt_alloc(struct fz *f);
void op_hw_info(struct fz *f);

/* fuzz_netlink.c */
void op_netlink(struct fz *f);
void op_check_map(struct fz *f);
void op_check_refs(struct fz *f);
void op_batch(struct fz *f);

/* fuzz_ops_access.c: accesses (the in-kernel users of an IOAS) */
void op_acc_create(struct fz *f);
void acc_close(struct fz *f, int a);
void op_acc_close(struct fz *f);
void op_acc_pages(struct fz *f);
void op_acc_unpin(struct fz *f);
void op_acc_rw(struct fz *f);

/* fuzz_fork.c: a child process uses what it inherited */
void op_fork(struct fz *f);

/*
 * fuzz_devices.c: the VM's PCI devices through their VFIO cdevs, and
 * the contexts' own fds
 */
/* What pci_discover() found, and the last IOVA a real domain maps */
extern struct pci pci[MAX_PCI];
extern int npci;
extern uint64_t real_ap_last;
int pci_discover(void);
void op_dev_open(struct fz *f);
void op_dev_bind(struct fz *f);
void op_dev_attach(struct fz *f);
void op_dev_detach(struct fz *f);
void dev_close(struct fz *f, int d);
void op_dev_close(struct fz *f);
void op_dev_misc(struct fz *f);
void ctx_close(struct fz *f, int c);
int ctx_open(struct fz *f);
void op_ctx_close(struct fz *f);
void op_ctx_open(struct fz *f);

#endif
