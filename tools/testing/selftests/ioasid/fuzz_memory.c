// SPDX-License-Identifier: GPL-2.0-only
/* User memory behind the mappings: the arena, its regions, munmap, remap */
#include "fuzz.h"

/* ============================================================ memory */

const char *const rk_name[] = { "anon", "file", "huge", "ro", "none" };

static const struct {
	enum rkind kind;
	size_t pages;
} reg_layout[NREG] = {
	{ RK_ANON, 96 }, { RK_ANON, 32 }, { RK_FILE, 32 },
	{ RK_HUGE, 1024 }, { RK_RO, 16 }, { RK_NONE, 16 },
};

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

int arena_setup(struct fz *f, bool huge)
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

void arena_teardown(struct fz *f)
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

int region_of(struct fz *f, uint64_t uva)
{
	int i;

	for (i = 0; i != NREG; i++)
		if (uva >= (uintptr_t)f->reg[i].va &&
		    uva < (uintptr_t)f->reg[i].va + f->reg[i].len)
			return i;
	return -1;
}
void op_munmap(struct fz *f)
{
	struct region *r = &f->reg[pick(f, NREG)];

	if (!r->live || r->kind == RK_NONE || r->lost)
		return;
	trace_add(&f->tr, "#%lu munmap %s region at %p", f->op,
		  rk_name[r->kind], r->va);
	region_unmap(r);
}

void op_remap(struct fz *f)
{
	struct region *r = &f->reg[pick(f, NREG)];

	if (r->live || r->kind == RK_NONE || r->lost)
		return;
	region_map(f, r);
	trace_add(&f->tr, "#%lu mmap %s region at %p again: %s", f->op,
		  rk_name[r->kind], r->va, r->live ? "ok" : "failed");
}
