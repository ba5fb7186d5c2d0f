// SPDX-License-Identifier: GPL-2.0-only
/* Accesses: create, pin, unpin, read and write through them, close */
#include "fuzz.h"

void op_acc_create(struct fz *f)
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

void acc_close(struct fz *f, int a)
{
	int c = f->m.acc[a].ctx;

	trace_add(&f->tr, "#%lu close acc%d fd %d", f->op, a, f->m.acc[a].fd);
	close(f->m.acc[a].fd);
	f->m.acc[a].used = false;
	ctx_unhold(f, c);
	pins_commit(f);
	f->ops++;
}

void op_acc_close(struct fz *f)
{
	int a = pick_access(f);

	if (a >= 0)
		acc_close(f, a);
}

/* An fd to give where an access fd is expected; *@exp gets EBADFD if bad */
static int access_fd_or_bad(struct fz *f, int a, emask *exp)
{
	if (a >= 0 && !bad(f))
		return f->m.acc[a].fd;
	*exp = E(EBADFD);
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
	uint64_t iova = cmd->access_pages.iova, last = 0, p;
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
		int r = region_of(f, uva);

		/*
		 * The user's page is gone (munmapped since the pin): the
		 * test driver cannot look it up to compare
		 */
		if (r < 0 || !f->reg[r].live)
			exp |= E(EFAULT);
		if (v == PV_FOREIGN)
			exp |= E(EBADE);
		else if (v == PV_STALE)
			return E(EBADE) | E(EFAULT);
		if (last - p < PSZ)
			break;
	}
	return exp;
}

void op_acc_pages(struct fz *f)
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
	if (len > MOCK_ACCESS_MAX)
		exp = E(ENOMEM);
	else if (cmd.access_pages.flags & ~(MOCK_FLAGS_ACCESS_WRITE |
					    MOCK_FLAGS_ACCESS_SYZ))
		exp = E(EOPNOTSUPP);
	else if (badfd)
		exp = badfd;
	else if (!acc->pin)
		exp = E(EOPNOTSUPP);
	else if (range_err(iova, len))
		exp = E(range_err(iova, len));
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

void op_acc_unpin(struct fz *f)
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

void op_acc_rw(struct fz *f)
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
	if (len > MOCK_ACCESS_MAX)
		exp = E(ENOMEM);
	else if (cmd.access_rw.flags & ~(MOCK_ACCESS_RW_WRITE |
					 MOCK_ACCESS_RW_SLOW_PATH))
		exp = E(EOPNOTSUPP);
	else if (badfd)
		exp = badfd;
	else if (!len)
		exp = E(EINVAL);
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
