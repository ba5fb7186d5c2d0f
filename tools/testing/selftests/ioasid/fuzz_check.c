// SPDX-License-Identifier: GPL-2.0-only
/* Checks of the kernel's answers, findings and coverage */
#include "fuzz.h"

/* ================================================== checks, findings */

/* Calls and successes per operation, printed at the end of each test */
static struct {
	char name[24];
	long calls, ok;
} cov[48];
static pthread_mutex_t cov_lock = PTHREAD_MUTEX_INITIALIZER;

static void cov_note(const char *what, int rc)
{
	size_t n = strcspn(what, " ");
	int i;

	if (n >= sizeof(cov[0].name))
		n = sizeof(cov[0].name) - 1;
	pthread_mutex_lock(&cov_lock);
	for (i = 0; i != ARRAY_SIZE(cov) && cov[i].name[0]; i++)
		if (strlen(cov[i].name) == n && !strncmp(cov[i].name, what, n))
			break;
	if (i != ARRAY_SIZE(cov)) {
		if (!cov[i].name[0])
			memcpy(cov[i].name, what, n);
		cov[i].calls++;
		cov[i].ok += !rc;
	}
	pthread_mutex_unlock(&cov_lock);
}

void cov_print(const char *test)
{
	char line[1024];
	size_t n = 0;
	int i;

	for (i = 0; i != ARRAY_SIZE(cov) && cov[i].name[0]; i++)
		n += snprintf(line + n, n < sizeof(line) ? sizeof(line) - n : 0,
			      " %s=%ld/%ld", cov[i].name, cov[i].ok,
			      cov[i].calls);
	fprintf(stderr, "# fuzz: %s coverage (ok/calls):%s\n", test, line);
}

void finding(struct fz *f, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	int i;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "# FINDING %s seed=0x%llx op=%lu%s: %s\n", f->test,
		(unsigned long long)f->seed, f->op,
		f->in_child ? " (forked child)" : "", msg);
	if (f->why[0])
		fprintf(stderr, "# model: %s\n", f->why);
	for (i = 0; i != NREG; i++)
		fprintf(stderr, "# region %d: %s %p+%#zx live=%d lost=%d gen=%d\n",
			i, rk_name[f->reg[i].kind], f->reg[i].va,
			f->reg[i].len, f->reg[i].live, f->reg[i].lost,
			f->reg[i].gen);
	fprintf(stderr, "# the run so far (replay: IOASID_FUZZ_SEED=0x%llx IOASID_FUZZ_ITERS=1):\n",
		(unsigned long long)f->seed);
	trace_dump(&f->tr, TRACE_LINES);
	f->findings++;
	f->stop = true;
}

/* Count the op and check its errno against the model's answer */
bool check_rc(struct fz *f, const char *what, emask exp, int rc)
{
	char buf[160];

	f->ops++;
	cov_note(what, rc);
	trace_add(&f->tr, "#%lu %s -> %s", f->op, what, ename(rc));
	if (emask_has(exp, rc)) {
		if (rc)
			f->errs++;
		f->why[0] = 0;
		return true;
	}
	finding(f, "%s: expected %s, got %s", what,
		emask_str(exp, buf, sizeof(buf)), ename(rc));
	return false;
}
