// SPDX-License-Identifier: GPL-2.0-only
/* Mock domains, HWPT_ALLOC, GET_HW_INFO and the test driver's checks */
#include "fuzz.h"

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

void op_mock(struct fz *f)
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

/*
 * IOMMU_HWPT_ALLOC on an IOAS joining it at once (a mock domain, complete
 * at allocation, as selftest.c says): the checks and the pinning of
 * iopt_add_domain(), as mock_predict() has them for an attach, except the
 * MSI window, which only an attach reserves.
 */
static emask hwpt_alloc_join_predict(struct fz *f, int i, int h)
{
	struct ioas *io = &f->m.ioas[i];

	if (ioas_align(f, i) < MOCK_PSZ && !areas_aligned(io, MOCK_PSZ))
		return E(EADDRINUSE);
	if (reserve_blocked(io, 0, WIN_BASE - 1) ||
	    reserve_blocked(io, MOCK_APERTURE_LAST + 1ULL, ULMAX))
		return E(EADDRINUSE);
	f->m.hwpt[h] = (struct hwpt){
		.used = true, .manual = true, .mock = true, .in_iopt = true,
		.ctx = f->m.ioas[i].ctx, .ioas = i,
	};
	return pins_plan(f);
}

/*
 * IOMMU_HWPT_ALLOC: a HWPT that stays until DESTROY.  On a real device's
 * IOMMU it waits for its first attach to mirror the IOAS; a mock domain
 * does from the start.  The checks come in upstream's order, with its
 * answers for drivers that cannot nest (the real ones); fault_id is looked
 * up last, after the allocation and its fill, and the fuzzer's, 0, names
 * no fault queue (ioasid_fault_queue tests them).  The fuzzer makes no
 * nested HWPTs (they need the mock's data type), but a bad pt_id may name
 * a HWPT, which then must be a nesting parent.
 */
void op_hwpt_alloc(struct fz *f)
{
	struct iommu_hwpt_alloc cmd = { .size = sizeof(cmd) };
	int c = pick_ctx(f), i, h, idx, mut, rc;
	enum okind dk, pk;
	emask exp = E_OK;
	bool join = false, fault;
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
	pk = lookup(f, c, cmd.pt_id, &i);
	fault = cmd.flags & IOMMU_HWPT_FAULT_ID_VALID;
	snap(f);
	if (cmd.__reserved || cmd.__reserved2)
		exp = E(EOPNOTSUPP);
	else if (!cmd.data_type != !cmd.data_len)
		exp = E(EINVAL);
	else if (dk != OK_DEV && dk != OK_IDEV)
		exp = E(ENOENT);
	else if (pk == OK_HWPT)
		/* Nested: needs data, then a parent, then the mock's type */
		exp = (cmd.flags & ~IOMMU_HWPT_FAULT_ID_VALID) ||
		      !cmd.data_len || dk != OK_IDEV ? E(EOPNOTSUPP) :
		      !f->m.hwpt[i].manual || !f->m.hwpt[i].nest_parent ||
		      !f->m.hwpt[i].mock ? E(EINVAL) : E(EOPNOTSUPP);
	else if (pk != OK_IOAS)
		/* Nothing (upstream's EINVAL too), or no IOAS nor HWPT */
		exp = E(EINVAL);
	else if ((cmd.flags & ~(IOMMU_HWPT_ALLOC_DIRTY_TRACKING |
				IOMMU_HWPT_ALLOC_NEST_PARENT |
				IOMMU_HWPT_FAULT_ID_VALID)) ||
		 cmd.data_len ||
		 ((cmd.flags & (IOMMU_HWPT_ALLOC_DIRTY_TRACKING |
				IOMMU_HWPT_ALLOC_NEST_PARENT)) &&
		  dk != OK_IDEV) ||
		 (fault && (cmd.flags & IOMMU_HWPT_ALLOC_NEST_PARENT)))
		exp = E(EOPNOTSUPP);
	else if (dk == OK_IDEV)
		join = true;
	else if (fault)
		exp = E(ENOENT);
	if (join) {
		exp = hwpt_alloc_join_predict(f, i, h);
		if (!exp) {
			restore(f);
			return;
		}
		/* Allocated and filled, then no fault queue for fault_id */
		if (fault && (exp & E_OK))
			exp = (exp & ~E_OK) | E(ENOENT);
	}
	snprintf(what, sizeof(what), "HWPT_ALLOC ctx%d size=%u dev=%u pt=%u flags=%#x type=%u len=%u%s",
		 c, cmd.size, cmd.dev_id, cmd.pt_id, cmd.flags, cmd.data_type,
		 cmd.data_len, em_name[mut]);
	rc = raw_ioctl(f, f->m.ctx[c].fd, IOMMUFD_CMD_HWPT_ALLOC, &cmd,
		       cmd.size, 24, mut, &exp);
	if (!check_rc(f, what, exp, rc) || rc) {
		restore(f);
		return;
	}
	trace_add(&f->tr, "   hwpt%d = id %u", h, cmd.out_hwpt_id);
	f->m.hwpt[h] = (struct hwpt){
		.used = true, .manual = true, .mock = dk == OK_IDEV,
		.nest_parent = cmd.flags & IOMMU_HWPT_ALLOC_NEST_PARENT,
		.in_iopt = join, .ctx = c, .ioas = i, .id = cmd.out_hwpt_id,
	};
	note_id(f, c, cmd.out_hwpt_id);
	pins_commit(f);
}

/* IOMMU_GET_HW_INFO: the mock's test data, nothing for real devices */
void op_hw_info(struct fz *f)
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

	if ((iova | uptr | len) % MOCK_PSZ || uptr + len < uptr)
		return E(EINVAL);
	if (lookup(f, c, cmd->id, &h) != OK_HWPT)
		return E(ENOENT);
	/* Not a mock domain */
	if (!f->m.hwpt[h].mock)
		return E(EINVAL);
	/* Nothing to check */
	if (!len)
		return E_OK;
	/* One that maps nothing before its attach */
	if (!f->m.hwpt[h].in_iopt)
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

void op_check_map(struct fz *f)
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

void op_check_refs(struct fz *f)
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

void op_batch(struct fz *f)
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
