// SPDX-License-Identifier: GPL-2.0-only
/* ioctl envelopes: the size field, tails, bad pointers and number bits */
#include "fuzz.h"

/* ==================================================== ioctl envelopes */

int pick_env(struct fz *f)
{
	if (rng_pct(&f->rng, f->bad / 4))
		return EM_SMALL + pick(f, 5);
	return chance(f, 20) ? EM_TAIL0 : EM_NONE;
}

const char *const em_name[] = {
	"", " [tail0]", " [size<min]", " [tail]", " [NULL]", " [badptr]",
	" [nrbits]",
};

/*
 * Issue ioctl @nr of /dev/ioasid with @cmd (@size bytes, of which the
 * kernel needs @min) wrapped as @mut says; the answer is copied back.  A
 * bad envelope replaces *@exp by the dispatcher's answer.
 */
int raw_ioctl(struct fz *f, int fd, unsigned int nr, void *cmd,
	      size_t size, size_t min, int mut, emask *exp)
{
	unsigned long req = _IO(IOMMUFD_TYPE, nr);
	char *buf = f->scratch;
	size_t tail = 0;
	__u32 usize = size;
	void *arg = buf;
	int rc;

	switch (mut) {
	case EM_TAIL0:
		tail = 1 + pick(f, 32);
		break;
	case EM_SMALL:
		usize = pick(f, min);
		*exp = E(EINVAL);
		break;
	case EM_TAIL:
		tail = 1 + pick(f, 32);
		*exp = E(E2BIG);
		break;
	case EM_NULL:
		arg = NULL;
		*exp = E(EFAULT);
		break;
	case EM_BADPTR:
		arg = f->guard;
		*exp = E(EFAULT);
		break;
	case EM_BITS:
		req = _IOC(1 + pick(f, 3), IOMMUFD_TYPE, nr, size);
		*exp = E(ENOTTY);
		break;
	}
	memcpy(buf, cmd, size);
	memset(buf + size, 0, tail);
	if (mut == EM_TAIL)
		buf[size + pick(f, tail)] = 1 + pick(f, 255);
	*(__u32 *)buf = usize + tail;
	rc = ioctl(fd, req, arg) ? errno : 0;
	memcpy(cmd, buf, size);
	return rc;
}

/* Test commands: the 72-byte layout, or the 56-byte one of Linux <= 6.6 */
int test_ioctl(struct fz *f, int fd, struct iommu_test_cmd *cmd,
	       int mut, emask *exp)
{
	size_t size = sizeof(*cmd);

	if (mut == EM_NONE && chance(f, 30))
		size = 56;
	return raw_ioctl(f, fd, IOMMUFD_CMD_BASE + 32, cmd, size,
			 IOMMU_TEST_CMD_MIN_SIZE, mut, exp);
}
