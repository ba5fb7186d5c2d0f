// SPDX-License-Identifier: GPL-2.0-only
/* The model of what is alive: queries, changes, and picking what to use */
#include "fuzz.h"

/* ============================================================ ranges */

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
int ranges_merge(struct range *r, int n)
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

/* ====================================================== model basics */

int ctx_nobjects(struct fz *f, int c)
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

void note_id(struct fz *f, int c, uint32_t id)
{
	if (id > f->m.ctx[c].maxid)
		f->m.ctx[c].maxid = id;
}

uint64_t ioas_align(struct fz *f, int i)
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

int ioas_ndomains(struct fz *f, int i)
{
	int h, n = 0;

	for (h = 0; h != MAX_HWPT; h++)
		n += f->m.hwpt[h].used && f->m.hwpt[h].ioas == i &&
		     f->m.hwpt[h].in_iopt;
	return n;
}

struct area *area_at(struct ioas *io, uint64_t iova)
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
bool walk(struct ioas *io, uint64_t iova, uint64_t last,
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

/* Reserved ranges of IOAS @i (unmerged) */
int ioas_resv(struct fz *f, int i, struct range *out)
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

bool ioas_resv_meets(struct fz *f, int i, uint64_t s, uint64_t l)
{
	struct range r[MAX_RANGES];
	int n = ioas_resv(f, i, r), k;

	for (k = 0; k != n; k++)
		if (ranges_meet(s, l, r[k].start, r[k].last))
			return true;
	return false;
}

bool ioas_area_meets(struct ioas *io, uint64_t s, uint64_t l)
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
bool reserve_blocked(struct ioas *io, uint64_t s, uint64_t l)
{
	return ioas_area_meets(io, s, l) || ioas_allow_meets(io, s, l);
}

/* Every area fits alignment @align (iova, length and page offset) */
bool areas_aligned(struct ioas *io, uint64_t align)
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
int model_find_iova(struct fz *f, int i, uint64_t uva, uint64_t len,
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

int pobj_new(struct fz *f, uint64_t uva, uint64_t len, bool writable,
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
uint64_t areas_remove(struct fz *f, int i, uint64_t s, uint64_t l)
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
void hwpt_put_group(struct fz *f, int h)
{
	if (--f->m.hwpt[h].ngroups <= 0 && !f->m.hwpt[h].manual)
		f->m.hwpt[h].used = false;
}

void stdev_remove(struct fz *f, int s)
{
	hwpt_put_group(f, f->m.stdev[s].hwpt);
	f->m.stdev[s].used = false;
}

void ioas_remove(struct fz *f, int i)
{
	struct ioas *io = &f->m.ioas[i];

	while (io->nareas)
		area_del(f, io, io->nareas - 1);
	io->used = false;
}

/* The last reference to a closed context went: everything goes */
void ctx_purge(struct fz *f, int c)
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

void ctx_unhold(struct fz *f, int c)
{
	if (!--f->m.ctx[c].holders && f->m.ctx[c].fd < 0)
		ctx_purge(f, c);
}

/* A device leaves its HWPT; the group follows with its last device */
void dev_detach_model(struct fz *f, int d)
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

int pick_ctx(struct fz *f)
{
	int c[MAX_CTX], n = 0, i;

	for (i = 0; i != MAX_CTX; i++)
		if (f->m.ctx[i].used && f->m.ctx[i].fd >= 0)
			c[n++] = i;
	return n ? c[pick(f, n)] : -1;
}

int pick_ioas(struct fz *f, int c)
{
	int l[MAX_IOAS], n = 0, i;

	for (i = 0; i != MAX_IOAS; i++)
		if (f->m.ioas[i].used && f->m.ioas[i].ctx == c)
			l[n++] = i;
	return n ? l[pick(f, n)] : -1;
}

/* Mostly an IOAS with mappings, where calls get somewhere */
int pick_ioas_busy(struct fz *f, int c)
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

enum okind lookup(struct fz *f, int c, uint32_t id, int *idx)
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
uint32_t any_id(struct fz *f, int c)
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
uint32_t ioas_id_or_bad(struct fz *f, int c, int i)
{
	if (i < 0 || bad(f))
		return any_id(f, c);
	return f->m.ioas[i].id;
}

/* ============================================================== undo */

/* Keep the model, to undo a prediction whose call failed */
void snap(struct fz *f)
{
	memcpy(&f->snap, &f->m, sizeof(f->m));
}

void restore(struct fz *f)
{
	memcpy(&f->m, &f->snap, sizeof(f->m));
}
