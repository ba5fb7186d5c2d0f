// SPDX-License-Identifier: GPL-2.0-only
/* Operations on IOASes: alloc, destroy, map, unmap, copy, ranges, options */
#include "fuzz.h"

/* ====================================================== the operations */

void op_ioas_alloc(struct fz *f)
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

void op_destroy(struct fz *f)
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
emask map_predict(struct fz *f, int c, uint32_t id, uint64_t uva,
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

void pick_map(struct fz *f, int c, int i, struct map_args *a,
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

void op_map(struct fz *f)
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

void op_unmap(struct fz *f)
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
	if (lookup(f, c, cmd->src_ioas_id, &si) != OK_IOAS)
		return E(ENOENT);
	if (range_err(cmd->src_iova, cmd->length))
		return E(range_err(cmd->src_iova, cmd->length));
	range_last(cmd->src_iova, cmd->length, &last);
	/* The source must be mapped without a hole; pieces may be partial */
	if (!walk(&f->m.ioas[si], cmd->src_iova, last, copy_piece, &w))
		return w.n == MAX_AREAS ? 0 : E(ENOENT);
	/* Only then the destination, as upstream */
	if (lookup(f, c, cmd->dst_ioas_id, &di) != OK_IOAS)
		return E(ENOENT);
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

void op_copy(struct fz *f)
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
void op_ranges(struct fz *f)
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

void op_allow(struct fz *f)
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

void op_option(struct fz *f)
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

void op_reserve(struct fz *f)
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
	if (lookup(f, c, cmd.id, &i) != OK_IOAS)
		exp = E(ENOENT);
	else if (cmd.add_reserved.start == ULMAX ||
		 cmd.add_reserved.length == ULMAX)
		exp = E(EOVERFLOW);
	else if (range_err(cmd.add_reserved.start, cmd.add_reserved.length))
		exp = E(range_err(cmd.add_reserved.start,
				  cmd.add_reserved.length));
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
