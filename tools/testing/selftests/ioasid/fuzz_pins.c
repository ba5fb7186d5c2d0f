// SPDX-License-Identifier: GPL-2.0-only
/* The pin model: which user pages are pinned, and what pinning more costs */
#include "fuzz.h"

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

void pins_sum(struct fz *f, struct pin_sums *s)
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
emask pins_plan(struct fz *f)
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
void pins_commit(struct fz *f)
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

enum pin_view pin_view(struct fz *f, int pi, uint64_t uva)
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
