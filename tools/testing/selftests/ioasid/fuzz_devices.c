// SPDX-License-Identifier: GPL-2.0-only
/* The PCI devices of the VM and their fds, and the contexts' fds */
#include "fuzz.h"

struct pci pci[MAX_PCI];
int npci;
uint64_t real_ap_last;

/* Devices of the VM, their groups and reserved regions */
int pci_discover(void)
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

/* ============================================================ devices */

static int pick_dev(struct fz *f, bool bound)
{
	int l[MAX_DEVS], n = 0, i;

	for (i = 0; i != MAX_DEVS; i++)
		if (f->m.dev[i].used && (!bound || f->m.dev[i].ctx >= 0))
			l[n++] = i;
	return n ? l[pick(f, n)] : -1;
}

void op_dev_open(struct fz *f)
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

void op_dev_bind(struct fz *f)
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

void op_dev_attach(struct fz *f)
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

void op_dev_detach(struct fz *f)
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

void dev_close(struct fz *f, int d)
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

void op_dev_close(struct fz *f)
{
	int d = pick_dev(f, false);

	if (d >= 0)
		dev_close(f, d);
}

/* A few VFIO device ioctls with random argsz and flags */
void op_dev_misc(struct fz *f)
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

void ctx_close(struct fz *f, int c)
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

int ctx_open(struct fz *f)
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

void op_ctx_close(struct fz *f)
{
	int c = pick_ctx(f);

	if (c >= 0 && !f->shared)
		ctx_close(f, c);
}

void op_ctx_open(struct fz *f)
{
	if (!f->shared)
		ctx_open(f);
}
