// SPDX-License-Identifier: GPL-2.0-only
/* fork(): a child maps, reads or closes what it inherited */
#include "fuzz.h"

/* ================================================================ fork */

static void child_exit(struct fz *f)
{
	fflush(stderr);
	_exit(f->findings ? 1 : 0);
}

/*
 * fork(): the child maps its own memory into a parent IOAS, or reads through
 * the parent's accesses, or closes what it inherited, and exits.  The
 * parent then lives with a mapping whose mm is gone.
 */
void op_fork(struct fz *f)
{
	int c = pick_ctx(f), i, action = pick(f, 3), p[2], status, rc = -1;
	struct iommu_ioas_map cmd = { .size = sizeof(cmd) };
	uint64_t want = 0, res[2] = { ~0ULL, 0 };
	struct map_args a;
	emask exp = E_OK;
	char what[200];
	pid_t pid;

	if (c < 0 || !f->allow_fork)
		return;
	i = pick_ioas(f, c);
	if (i < 0 || pipe(p))
		return;
	if (action == 0) {
		pick_map(f, c, i, &a, false);
		a.flags |= MAP_RW;
		snap(f);
		exp = map_predict(f, c, a.id, a.uva, a.len, a.flags, 0,
				  a.iova, &want, true);
		if (!exp) {
			restore(f);
			close(p[0]);
			close(p[1]);
			return;
		}
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return;
	}
	if (!pid) {
		f->in_child = true;
		close(p[0]);
		if (action == 0) {
			cmd.flags = a.flags;
			cmd.ioas_id = a.id;
			cmd.user_va = a.uva;
			cmd.length = a.len;
			cmd.iova = a.iova;
			res[0] = xioctl(f->m.ctx[c].fd, IOMMU_IOAS_MAP, &cmd);
			res[1] = cmd.iova;
			if (write(p[1], res, sizeof(res)) != sizeof(res))
				_exit(2);
		} else if (action == 1) {
			int k;

			/* The accesses read the parent's memory */
			for (k = 0; k != 8 && !f->stop; k++) {
				unsigned int saved = f->bad;

				f->bad = 0;
				op_acc_rw(f);
				f->bad = saved;
			}
		} else {
			int k;

			for (k = 0; k != MAX_DEVS; k++)
				if (f->m.dev[k].used && chance(f, 50))
					close(f->m.dev[k].fd);
			for (k = 0; k != MAX_ACCESS; k++)
				if (f->m.acc[k].used && chance(f, 50))
					close(f->m.acc[k].fd);
			for (k = 0; k != MAX_CTX; k++)
				if (f->m.ctx[k].used && f->m.ctx[k].fd >= 0)
					close(f->m.ctx[k].fd);
		}
		child_exit(f);
	}
	close(p[1]);
	if (action == 0 && read(p[0], res, sizeof(res)) == sizeof(res))
		rc = res[0];
	close(p[0]);
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		finding(f, "forked child (action %d) failed: status %#x",
			action, status);
		return;
	}
	if (action != 0) {
		trace_add(&f->tr, "#%lu fork: child action %d ok", f->op,
			  action);
		f->ops++;
		return;
	}
	snprintf(what, sizeof(what),
		 "fork: child MAP ctx%d ioas=%u uva=%#llx len=%#llx iova=%#llx flags=%#x",
		 c, a.id, (unsigned long long)a.uva,
		 (unsigned long long)a.len, (unsigned long long)a.iova,
		 a.flags);
	if (!check_rc(f, what, exp, rc) || rc) {
		restore(f);
		return;
	}
	if (res[1] != want) {
		finding(f, "the child's MAP got IOVA %#llx, the model chose %#llx",
			(unsigned long long)res[1], (unsigned long long)want);
		return;
	}
	pins_commit(f);
}
