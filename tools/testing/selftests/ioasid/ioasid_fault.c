// SPDX-License-Identifier: GPL-2.0-only
/*
 * Fault injection sweeps: each scenario runs with its 1st, 2nd, 3rd, ...
 * fallible kernel step failing (debugfs ioasid/fail_nth, test_mode=1) until
 * it runs with no fault left to inject.  After every run:
 *   - the failed step returned the injected errno (EFAULT for pin and user
 *     copies, ENOMEM otherwise) or recovered and the scenario's own checks
 *     passed;
 *   - the failed step, run again without a fault, succeeds, and so do the
 *     steps after it: a failure left nothing half-done behind;
 *   - once every fd is closed: no pins, no charges, no objects, no groups
 *     or domains, VmPin and VmLck back to where they were, the pages no
 *     longer pinned (MD_CHECK_REFS), and no warning in the kernel log.
 * The module unloading afterwards is checked by the VM harness.
 */
#include <sys/resource.h>

#include "vfio_utils.h"

#define FAIL_NTH "/sys/kernel/debug/ioasid/fail_nth"
#define FAIL_SITE "/sys/kernel/debug/ioasid/fail_site"
#define MAX_POINTS 1000

/* Below edu's 28-bit DMA mask; inside the mock aperture [16 MiB, 2 GiB) */
#define IOVA_A 0x1000000ULL
#define IOVA_B 0x2000000ULL
#define BUF_LEN (64 * PSZ)
#define XFER 1024
/* Devices: two pages are enough for a DMA round trip; each costs a map */
#define DEV_LEN (2 * PSZ)

/* What a scenario's steps share; -1 / 0 mean "not there" */
struct fstate {
	int fd, fd2;			/* /dev/ioasid */
	__u32 ioas, ioas2, hwpt, hwpt2, stdev, stdev2;
	int access_fd;
	__u32 pages_id;
	char *buf, *buf2;		/* BUF_LEN each */
	int dfd;			/* device cdev */
	__u32 devid, pt;
	int ffd;			/* fault queue fd */
	__u32 idev, fault, cookie[2];
	__u32 parent, nested;		/* nesting parent, nested HWPT */
	struct edu edu;
	struct vdev_info info;
	int retry_site_uaccess;		/* the step is run again after EFAULT */
};

typedef int (*step_fn)(struct fstate *s);

struct fstep {
	const char *name;
	step_fn fn;
};

/* ------------------------------------------------------------ knob */

static int fault_arm(unsigned int n)
{
	char text[16];
	int fd, len, rc = 0;

	fd = open(FAIL_NTH, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	len = snprintf(text, sizeof(text), "%u\n", n);
	if (write(fd, text, len) != len)
		rc = errno;
	close(fd);
	return rc;
}

/* The site that failed since arming ("" if none), then disarm */
static int fault_disarm(char *site, size_t len)
{
	int rc;

	site[0] = 0;
	rc = sysfs_read(FAIL_SITE, site, len);
	if (rc)
		return rc;
	return fault_arm(0);
}

static int site_errno(const char *site)
{
	if (!strncmp(site, "pin ", 4) || !strncmp(site, "uaccess ", 8))
		return EFAULT;
	return ENOMEM;
}

/* ---------------------------------------------------- mock steps */

static int st_open(struct fstate *s)
{
	s->fd = ioasid_open();
	return s->fd < 0 ? errno : 0;
}

static int st_open2(struct fstate *s)
{
	s->fd2 = ioasid_open();
	return s->fd2 < 0 ? errno : 0;
}

static int st_mm_mode(struct fstate *s)
{
	__u64 mm = 1;

	return ioasid_option(s->fd, IOMMU_OPTION_RLIMIT_MODE,
			     IOMMU_OPTION_OP_SET, 0, &mm);
}

static int st_ioas(struct fstate *s)
{
	return ioas_alloc(s->fd, &s->ioas);
}

static int st_ioas2(struct fstate *s)
{
	return ioas_alloc(s->fd, &s->ioas2);
}

static int st_ioas_fd2(struct fstate *s)
{
	return ioas_alloc(s->fd2, &s->ioas2);
}

static int st_domain(struct fstate *s)
{
	return mock_domain(s->fd, s->ioas, &s->stdev, &s->hwpt, NULL);
}

static int st_domain2(struct fstate *s)
{
	return mock_domain(s->fd, s->ioas, &s->stdev2, &s->hwpt2, NULL);
}

/* A second mock device on the first one's HWPT */
static int st_domain_on_hwpt(struct fstate *s)
{
	return mock_domain(s->fd, s->hwpt, &s->stdev2, &s->hwpt2, NULL);
}

static int st_domain_ioas2(struct fstate *s)
{
	return mock_domain(s->fd, s->ioas2, &s->stdev2, &s->hwpt2, NULL);
}

static int st_map(struct fstate *s)
{
	return ioas_map(s->fd, s->ioas, s->buf, BUF_LEN, IOVA_A);
}

static int st_map_fd2(struct fstate *s)
{
	return ioas_map(s->fd2, s->ioas2, s->buf, BUF_LEN, IOVA_A);
}

static int st_map_auto(struct fstate *s)
{
	__u64 iova = 0;
	int rc = ioas_map_auto(s->fd, s->ioas, s->buf2, BUF_LEN, &iova);

	if (!rc && iova % PSZ)
		return EPROTO;
	return rc;
}

/* A second map of the same pages: shares the pins */
static int st_map_again(struct fstate *s)
{
	return ioas_map(s->fd, s->ioas, s->buf, BUF_LEN, IOVA_B);
}

static int st_check_map(struct fstate *s)
{
	return check_map(s->fd, s->hwpt, IOVA_A, s->buf, BUF_LEN);
}

static int st_check_map2(struct fstate *s)
{
	return check_map(s->fd, s->hwpt2, IOVA_A, s->buf, BUF_LEN);
}

static int st_unmap(struct fstate *s)
{
	__u64 done = 0;
	int rc = ioas_unmap(s->fd, s->ioas, IOVA_A, BUF_LEN, &done);

	/* The unmap is done when only its answer could not be written */
	if (rc == ENOENT && s->retry_site_uaccess)
		return 0;
	if (!rc && done != BUF_LEN)
		return EPROTO;
	return rc;
}

static int st_ranges(struct fstate *s)
{
	struct iommu_iova_range r[4];
	__u32 num = 4;
	__u64 align;

	return ioas_ranges(s->fd, s->ioas, r, &num, &align);
}

static int st_allow(struct fstate *s)
{
	struct iommu_iova_range r[2] = {
		{ .start = IOVA_A, .last = IOVA_A + 2 * BUF_LEN - 1 },
		{ .start = IOVA_B, .last = IOVA_B + 2 * BUF_LEN - 1 },
	};

	return ioas_allow(s->fd, s->ioas, r, 2);
}

static int st_reserve(struct fstate *s)
{
	return add_reserved(s->fd, s->ioas, 0x40000000ULL, 0x100000ULL);
}

static int st_no_huge(struct fstate *s)
{
	__u64 off = 0;

	return ioasid_option(s->fd, IOMMU_OPTION_HUGE_PAGES,
			     IOMMU_OPTION_OP_SET, s->ioas, &off);
}

static int st_copy(struct fstate *s)
{
	__u64 dst = IOVA_A;

	return ioas_copy(s->fd, s->ioas2, s->ioas, IOVA_A, BUF_LEN, &dst,
			 MAP_FIXED_RW);
}

static int st_destroy_hwpt_busy(struct fstate *s)
{
	int rc = destroy_obj(s->fd, s->hwpt);

	return rc == EBUSY ? 0 : rc ? rc : EPROTO;
}

static int st_destroy_stdev2(struct fstate *s)
{
	int rc = destroy_obj(s->fd, s->stdev2);

	if (!rc)
		s->stdev2 = 0;
	return rc;
}

static int st_access(struct fstate *s)
{
	return create_access(s->fd, s->ioas,
			     MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
			     &s->access_fd);
}

static int st_access_pages(struct fstate *s)
{
	return access_pages(s->fd, s->access_fd, IOVA_A + PSZ, 4 * PSZ,
			    s->buf + PSZ, MOCK_FLAGS_ACCESS_WRITE,
			    &s->pages_id);
}

static int st_access_unpin(struct fstate *s)
{
	return destroy_access_pages(s->fd, s->access_fd, s->pages_id);
}

/*
 * Write then read back through the pins (page 2), through the user mapping
 * and through a short pin (page 8, which nothing pins)
 */
static int st_access_rw(struct fstate *s)
{
	static const struct {
		unsigned long off;
		unsigned int flags;
	} how[] = {
		{ 2, 0 }, { 8, 0 }, { 8, MOCK_ACCESS_RW_SLOW_PATH },
	};
	char data[64];
	unsigned int i;
	int rc;

	for (i = 0; i != 3; i++) {
		unsigned long off = how[i].off * PSZ + i * 100;

		memset(data, 0x11 * (i + 1), sizeof(data));
		rc = access_rw(s->fd, s->access_fd, IOVA_A + off, data,
			       sizeof(data),
			       how[i].flags | MOCK_ACCESS_RW_WRITE);
		if (rc)
			return rc;
		if (memcmp(s->buf + off, data, sizeof(data)))
			return EPROTO;
		memset(data, 0, sizeof(data));
		rc = access_rw(s->fd, s->access_fd, IOVA_A + off, data,
			       sizeof(data), how[i].flags);
		if (rc)
			return rc;
		if (memcmp(s->buf + off, data, sizeof(data)))
			return EPROTO;
	}
	return 0;
}

/* VFIO type1 v1 on the compat IOAS, with a mock domain */
static int st_set_iommu_v1(struct fstate *s)
{
	return ioctl(s->fd, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU) ? errno : 0;
}

/* The IOAS of st_ioas becomes the compat IOAS, as VFIO_SET_IOMMU needs */
static int st_compat_ioas(struct fstate *s)
{
	struct iommu_vfio_ioas cmd = { .size = sizeof(cmd),
				       .op = IOMMU_VFIO_IOAS_SET,
				       .ioas_id = s->ioas };

	return xioctl(s->fd, IOMMU_VFIO_IOAS, &cmd);
}

static int st_map_dma(struct fstate *s)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)s->buf, .iova = IOVA_A, .size = BUF_LEN,
	};

	return xioctl(s->fd, VFIO_IOMMU_MAP_DMA, &map);
}

static int compat_unmap(struct fstate *s, __u64 iova, __u64 size,
			__u32 flags, __u64 want)
{
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap), .flags = flags, .iova = iova,
		.size = size,
	};
	int rc = xioctl(s->fd, VFIO_IOMMU_UNMAP_DMA, &unmap);

	/* Done, only its answer lost: the retry finds nothing */
	if (!rc && s->retry_site_uaccess)
		return 0;
	return rc ? rc : unmap.size == want ? 0 : EPROTO;
}

static int st_unmap_dma_split(struct fstate *s)
{
	return compat_unmap(s, IOVA_A + 4 * PSZ, 4 * PSZ, 0, 4 * PSZ);
}

static int st_unmap_dma_all(struct fstate *s)
{
	return compat_unmap(s, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, BUF_LEN - 4 * PSZ);
}

static int st_compat_info(struct fstate *s)
{
	char big[512] = {};
	struct vfio_iommu_type1_info *info = (void *)big;

	info->argsz = sizeof(big);
	return xioctl(s->fd, VFIO_IOMMU_GET_INFO, info);
}

/* A manual dirty-tracking HWPT for the device of a mock domain */
static int st_hwpt_dirty(struct fstate *s)
{
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd), .flags = IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
		.pt_id = s->ioas,
	};
	int rc;

	rc = mock_domain(s->fd, s->ioas, &s->stdev, &s->hwpt, &cmd.dev_id);
	if (!rc)
		rc = xioctl(s->fd, IOMMU_HWPT_ALLOC, &cmd);
	if (!rc)
		s->hwpt2 = cmd.out_hwpt_id;
	return rc;
}

static int st_attach_dirty(struct fstate *s)
{
	return mock_domain(s->fd, s->hwpt2, &s->stdev2, NULL, NULL);
}

static int st_dirty_on(struct fstate *s)
{
	struct iommu_hwpt_set_dirty_tracking cmd = {
		.size = sizeof(cmd), .hwpt_id = s->hwpt2,
		.flags = IOMMU_HWPT_DIRTY_TRACKING_ENABLE,
	};

	return xioctl(s->fd, IOMMU_HWPT_SET_DIRTY_TRACKING, &cmd);
}

static int st_dirty_read(struct fstate *s)
{
	__u64 in = 0x5, bits[4] = {};	/* BUF_LEN is 64 pages */
	struct iommu_test_cmd mark = {
		.op = IOMMU_TEST_OP_DIRTY, .id = s->hwpt2,
		.dirty = { .iova = IOVA_A, .length = 64 * PSZ,
			   .page_size = PSZ, .uptr = (uintptr_t)&in },
	};
	struct iommu_hwpt_get_dirty_bitmap cmd = {
		.size = sizeof(cmd), .hwpt_id = s->hwpt2, .iova = IOVA_A,
		.length = BUF_LEN, .page_size = PSZ, .data = (uintptr_t)bits,
	};
	int rc = test_cmd(s->fd, &mark);

	if (!rc)
		rc = xioctl(s->fd, IOMMU_HWPT_GET_DIRTY_BITMAP, &cmd);
	/* A failed read may have cleared the bits: the retry sees none */
	if (!rc && bits[0] != 0x5 && !s->retry_site_uaccess)
		return EPROTO;
	return rc;
}

/* ------------------------------------------------ fault queue steps */

static int st_domain_idev(struct fstate *s)
{
	return mock_domain(s->fd, s->ioas, &s->stdev, &s->hwpt, &s->idev);
}

static int st_fault_alloc(struct fstate *s)
{
	return fault_alloc(s->fd, &s->fault, &s->ffd);
}

static int st_hwpt_fault(struct fstate *s)
{
	return hwpt_alloc_fault(s->fd, s->idev, s->ioas, s->fault, 0,
				&s->hwpt2);
}

static int st_replace_fault(struct fstate *s)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, .id = s->stdev,
		.mock_domain_replace = { .pt_id = s->hwpt2 },
	};

	return test_cmd(s->fd, &cmd);
}

/* A nesting parent on the IOAS and a nested HWPT with the mock's data */
static int st_hwpt_parent(struct fstate *s)
{
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd), .flags = IOMMU_HWPT_ALLOC_NEST_PARENT,
		.dev_id = s->idev, .pt_id = s->ioas,
	};
	int rc = xioctl(s->fd, IOMMU_HWPT_ALLOC, &cmd);

	if (!rc)
		s->parent = cmd.out_hwpt_id;
	return rc;
}

static int st_hwpt_nested(struct fstate *s)
{
	struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd), .dev_id = s->idev, .pt_id = s->parent,
		.data_type = IOMMU_HWPT_DATA_SELFTEST,
		.data_len = sizeof(data), .data_uptr = (uintptr_t)&data,
	};
	int rc = xioctl(s->fd, IOMMU_HWPT_ALLOC, &cmd);

	if (!rc)
		s->nested = cmd.out_hwpt_id;
	return rc;
}

static int st_iopf1(struct fstate *s)
{
	return trigger_iopf(s->fd, s->idev, 0, 1, IOMMU_PGFAULT_PERM_READ,
			    IOVA_A);
}

static int st_iopf2(struct fstate *s)
{
	return trigger_iopf(s->fd, s->idev, 0, 2, IOMMU_PGFAULT_PERM_WRITE,
			    IOVA_B);
}

/*
 * Read until @want records came or none is left; a copy that failed
 * after the first record returns those before it, and leaves the rest
 */
static int read_records(struct fstate *s, struct iommu_hwpt_pgfault *rec,
			unsigned int want, unsigned int *got)
{
	ssize_t n;

	for (*got = 0; *got < want; *got += n / sizeof(*rec)) {
		n = read(s->ffd, rec + *got, (want - *got) * sizeof(*rec));
		if (n < 0)
			return errno;
		if (!n)
			break;
	}
	return 0;
}

/* The two page requests, in order */
static int st_fault_read(struct fstate *s)
{
	struct iommu_hwpt_pgfault rec[3];
	unsigned int got;
	int rc = read_records(s, rec, 3, &got);

	if (rc)
		return rc;
	if (got != 2 || rec[0].addr != IOVA_A || rec[1].addr != IOVA_B ||
	    !rec[0].cookie || !rec[1].cookie)
		return EPROTO;
	s->cookie[0] = rec[0].cookie;
	s->cookie[1] = rec[1].cookie;
	return 0;
}

/* Their answers, the rest after one that was taken alone */
static int st_fault_answer(struct fstate *s)
{
	struct iommu_hwpt_page_response r[2] = {
		{ .cookie = s->cookie[0] }, { .cookie = s->cookie[1] },
	};
	size_t done = 0;
	ssize_t n;

	while (done < sizeof(r)) {
		n = write(s->ffd, (char *)r + done, sizeof(r) - done);
		if (n <= 0)
			return n < 0 ? errno : EPROTO;
		done += n;
	}
	return 0;
}

/*
 * DMA faults from the domain's handler: all taken, and readable (those of
 * a run whose answer was lost come along)
 */
static int st_dma_fault(struct fstate *s)
{
	struct iommu_hwpt_pgfault rec[8];
	unsigned int got;
	__u32 handled;
	int rc;

	rc = report_dma_fault(s->fd, s->idev, IOVA_A, MOCK_DMA_FAULT_WRITE,
			      3, &handled);
	if (!rc)
		rc = read_records(s, rec, 8, &got);
	if (rc)
		return rc;
	return handled == 3 && got >= 3 ? 0 : EPROTO;
}

/* ---------------------------------------------------- device steps */

static int st_dev_open(struct fstate *s)
{
	s->dfd = open(s->info.cdev, O_RDWR | O_CLOEXEC);
	return s->dfd < 0 ? errno : 0;
}

static int st_bind(struct fstate *s)
{
	return dev_bind(s->dfd, s->fd, &s->devid);
}

static int st_attach(struct fstate *s)
{
	s->pt = s->ioas;
	return dev_attach(s->dfd, &s->pt);
}

static int st_attach2(struct fstate *s)
{
	s->pt = s->ioas2;
	return dev_attach(s->dfd, &s->pt);
}

/* A HWPT for the bound device before any attach: the coherency probe */
static int st_hwpt_dev(struct fstate *s)
{
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd), .dev_id = s->devid, .pt_id = s->ioas,
	};
	int rc = xioctl(s->fd, IOMMU_HWPT_ALLOC, &cmd);

	if (!rc)
		s->hwpt = cmd.out_hwpt_id;
	return rc;
}

static int st_detach(struct fstate *s)
{
	return dev_detach(s->dfd);
}

static int st_map_dev(struct fstate *s)
{
	return ioas_map(s->fd, s->ioas, s->buf, DEV_LEN, IOVA_A);
}

static int st_map_dev2(struct fstate *s)
{
	return ioas_map(s->fd, s->ioas2, s->buf2, DEV_LEN, IOVA_A);
}

/* RAM -> device -> RAM through IOVA_A: the bytes arrive at @dst */
static int dma_check(struct fstate *s, char *dst, unsigned char seed)
{
	unsigned int i;
	int rc;

	if (!s->edu.bar) {
		rc = edu_setup(&s->edu, s->dfd);
		if (rc)
			return rc;
	}
	for (i = 0; i != XFER; i++)
		dst[i] = (char)(i * 13 + seed);
	memset(dst + PSZ, 0, XFER);
	rc = edu_copy(&s->edu, IOVA_A, IOVA_A + PSZ, XFER);
	if (rc)
		return rc;
	return memcmp(dst, dst + PSZ, XFER) ? EIO : 0;
}

static int st_dma2(struct fstate *s)
{
	return dma_check(s, s->buf2, 2);
}

/* --------------------------------------------------------- teardown */

static void close_ioasid(struct fstate *s)
{
	if (s->fd >= 0)
		close(s->fd);
	if (s->fd2 >= 0)
		close(s->fd2);
	s->fd = s->fd2 = -1;
}

static void close_fault(struct fstate *s)
{
	if (s->ffd >= 0)
		close(s->ffd);
	s->ffd = -1;
}

static void close_access(struct fstate *s)
{
	if (s->access_fd >= 0)
		close(s->access_fd);
	s->access_fd = -1;
}

static void close_dev(struct fstate *s)
{
	edu_teardown(&s->edu);
	if (s->dfd >= 0)
		close(s->dfd);
	s->dfd = -1;
}

static void unmap_buffers(struct fstate *s)
{
	if (s->buf)
		munmap(s->buf, BUF_LEN);
	if (s->buf2)
		munmap(s->buf2, BUF_LEN);
	s->buf = s->buf2 = NULL;
}

/* The ways a user can let go, in every order of fds and memory */
enum close_order {
	CLOSE_IOASID_FIRST,
	CLOSE_OTHERS_FIRST,
	CLOSE_MEMORY_FIRST,
};

static void teardown(struct fstate *s, enum close_order order)
{
	switch (order) {
	case CLOSE_IOASID_FIRST:
		close_ioasid(s);
		close_access(s);
		close_fault(s);
		close_dev(s);
		break;
	case CLOSE_OTHERS_FIRST:
		close_access(s);
		close_fault(s);
		close_dev(s);
		close_ioasid(s);
		break;
	case CLOSE_MEMORY_FIRST:
		unmap_buffers(s);
		close_dev(s);
		close_fault(s);
		close_access(s);
		close_ioasid(s);
		break;
	}
}

/* -------------------------------------------------------- scenarios */

#define STEP(f) { #f, st_##f }
#define END { NULL, NULL }

static const struct fstep sc_map_no_domain[] = {
	STEP(open), STEP(ioas), STEP(map), STEP(map_again), STEP(map_auto),
	STEP(ranges), STEP(unmap), END
};

static const struct fstep sc_map_mm_mode[] = {
	STEP(open), STEP(mm_mode), STEP(ioas), STEP(map), STEP(unmap), END
};

static const struct fstep sc_map_one_domain[] = {
	STEP(open), STEP(ioas), STEP(domain), STEP(map), STEP(check_map),
	STEP(map_auto), STEP(destroy_hwpt_busy), STEP(unmap), END
};

/* Map before and after the domains come: both fill paths */
static const struct fstep sc_map_two_domains[] = {
	STEP(open), STEP(ioas), STEP(domain), STEP(map), STEP(domain2),
	STEP(check_map), STEP(check_map2), STEP(map_again),
	STEP(destroy_stdev2), STEP(unmap), END
};

static const struct fstep sc_shared_hwpt[] = {
	STEP(open), STEP(ioas), STEP(no_huge), STEP(domain), STEP(map),
	STEP(domain_on_hwpt), STEP(check_map), STEP(destroy_stdev2),
	STEP(unmap), END
};

static const struct fstep sc_copy[] = {
	STEP(open), STEP(ioas), STEP(ioas2), STEP(domain_ioas2), STEP(map),
	STEP(copy), STEP(unmap), END
};

/* Two contexts: each pins on its own */
static const struct fstep sc_two_contexts[] = {
	STEP(open), STEP(open2), STEP(ioas), STEP(ioas_fd2), STEP(map),
	STEP(map_fd2), END
};

static const struct fstep sc_access[] = {
	STEP(open), STEP(ioas), STEP(map), STEP(access), STEP(access_pages),
	STEP(access_rw), STEP(access_unpin), STEP(access_pages),
	STEP(domain), STEP(check_map), END
};

static const struct fstep sc_ranges[] = {
	STEP(open), STEP(ioas), STEP(allow), STEP(reserve), STEP(no_huge),
	STEP(domain), STEP(ranges), STEP(map), STEP(ranges), END
};

/*
 * edu takes 100 ms of virtual time per DMA, so only the last step moves
 * data: after the replace, through the second IOAS
 */
static const struct fstep sc_device[] = {
	STEP(open), STEP(ioas), STEP(ioas2), STEP(map_dev), STEP(map_dev2),
	STEP(dev_open), STEP(bind), STEP(attach), STEP(detach), STEP(attach),
	STEP(attach2), STEP(dma2), END
};

static const struct fstep sc_compat_v1[] = {
	STEP(open), STEP(ioas), STEP(compat_ioas), STEP(set_iommu_v1),
	STEP(domain), STEP(map_dma), STEP(compat_info),
	STEP(unmap_dma_split), STEP(unmap_dma_all), END
};

static const struct fstep sc_hwpt_dirty[] = {
	STEP(open), STEP(ioas), STEP(hwpt_dirty), STEP(attach_dirty),
	STEP(map), STEP(dirty_on), STEP(dirty_read), END
};

/*
 * A fault queue: its object and fd, a HWPT that routes to it, page
 * requests read and answered, DMA faults from the domain's handler
 */
static const struct fstep sc_fault_queue[] = {
	STEP(open), STEP(ioas), STEP(domain_idev), STEP(fault_alloc),
	STEP(hwpt_fault), STEP(replace_fault), STEP(iopf1), STEP(iopf2),
	STEP(fault_read), STEP(fault_answer), STEP(dma_fault), END
};

/* Records left in every state for the close orders */
static const struct fstep sc_fault_live[] = {
	STEP(open), STEP(ioas), STEP(domain_idev), STEP(fault_alloc),
	STEP(hwpt_fault), STEP(replace_fault), STEP(iopf1), STEP(iopf2),
	STEP(fault_read), STEP(iopf1), STEP(iopf2), END
};

/* Nested HWPTs on the mock: the parent, then a nested one on it */
static const struct fstep sc_nested[] = {
	STEP(open), STEP(ioas), STEP(domain_idev), STEP(hwpt_parent),
	STEP(hwpt_nested), END
};

/*
 * IOMMU_HWPT_ALLOC for a device bound but never attached: its group's
 * coherency is not known yet, so the allocation probes it with a domain
 * of its own first
 */
static const struct fstep sc_device_hwpt[] = {
	STEP(open), STEP(ioas), STEP(dev_open), STEP(bind), STEP(hwpt_dev),
	END
};

/* Device state left live for the close orders */
static const struct fstep sc_device_live[] = {
	STEP(open), STEP(ioas), STEP(dev_open), STEP(bind), STEP(attach),
	STEP(map_dev), END
};

FIXTURE(sweep) {
	struct fstate s;
};

FIXTURE_VARIANT(sweep) {
	const char *name;
	const struct fstep *steps;
	enum close_order order;
	bool device;
};

#define SWEEP(vname, sc, ord, dev)				\
	FIXTURE_VARIANT_ADD(sweep, vname) {			\
		.name = #vname, .steps = sc, .order = ord,	\
		.device = dev,					\
	}

SWEEP(map_no_domain, sc_map_no_domain, CLOSE_IOASID_FIRST, false);
SWEEP(map_mm_mode, sc_map_mm_mode, CLOSE_MEMORY_FIRST, false);
SWEEP(map_one_domain, sc_map_one_domain, CLOSE_IOASID_FIRST, false);
SWEEP(map_two_domains, sc_map_two_domains, CLOSE_MEMORY_FIRST, false);
SWEEP(shared_hwpt, sc_shared_hwpt, CLOSE_IOASID_FIRST, false);
SWEEP(copy, sc_copy, CLOSE_IOASID_FIRST, false);
SWEEP(two_contexts, sc_two_contexts, CLOSE_MEMORY_FIRST, false);
SWEEP(access_close_ioasid_first, sc_access, CLOSE_IOASID_FIRST, false);
SWEEP(access_close_access_first, sc_access, CLOSE_OTHERS_FIRST, false);
SWEEP(ranges, sc_ranges, CLOSE_OTHERS_FIRST, false);
SWEEP(compat_v1, sc_compat_v1, CLOSE_IOASID_FIRST, false);
SWEEP(hwpt_dirty, sc_hwpt_dirty, CLOSE_MEMORY_FIRST, false);
SWEEP(fault_queue, sc_fault_queue, CLOSE_IOASID_FIRST, false);
SWEEP(fault_close_fault_first, sc_fault_live, CLOSE_OTHERS_FIRST, false);
SWEEP(nested, sc_nested, CLOSE_IOASID_FIRST, false);
SWEEP(device_hwpt, sc_device_hwpt, CLOSE_OTHERS_FIRST, true);
SWEEP(device_replace, sc_device, CLOSE_OTHERS_FIRST, true);
SWEEP(device_close_ioasid_first, sc_device_live, CLOSE_IOASID_FIRST, true);
SWEEP(device_close_device_first, sc_device_live, CLOSE_OTHERS_FIRST, true);
SWEEP(device_close_memory_first, sc_device_live, CLOSE_MEMORY_FIRST, true);

FIXTURE_SETUP(sweep)
{
	/* Nothing to wait for: the scenarios below never fault on purpose */
	ASSERT_EQ(0, access(FAIL_NTH, W_OK)) {
		TH_LOG("%s: is ioasid loaded with test_mode=1?", FAIL_NTH);
	}
	if (variant->device)
		ASSERT_EQ(0, find_dev(DEV_EDU, 0, &self->s.info));
}

FIXTURE_TEARDOWN(sweep)
{
	fault_arm(0);
}

static void fstate_init(struct fstate *s)
{
	struct vdev_info info = s->info;

	memset(s, 0, sizeof(*s));
	s->info = info;
	s->fd = s->fd2 = s->access_fd = s->dfd = s->ffd = -1;
	s->buf = alloc_buffer(BUF_LEN, PSZ, 0);
	s->buf2 = alloc_buffer(BUF_LEN, PSZ, 0);
}

TEST_F_TIMEOUT(sweep, all_points, 600)
{
	struct fstate *s = &self->s;
	unsigned int n, points = 0, recovered = 0;
	struct timespec t0, t1;
	long pin0, lck0;

	proc_status_keep_open();
	pin0 = proc_status_kb("VmPin");
	lck0 = proc_status_kb("VmLck");
	ASSERT_LE(0, pin0);
	clock_gettime(CLOCK_MONOTONIC, &t0);

	for (n = 1; n <= MAX_POINTS; n++) {
		char site[128], first[2048] = "";
		struct ioasid_counters start, now;
		int i, rc = 0, kmsg_fd, check_fd;

		fstate_init(s);
		ASSERT_NE(NULL, s->buf);
		ASSERT_NE(NULL, s->buf2);
		kmsg_fd = kmsg_open();
		ASSERT_LE(0, kmsg_fd);
		ASSERT_EQ(0, read_counters(&start));

		ASSERT_EQ(0, fault_arm(n));
		for (i = 0; variant->steps[i].fn; i++) {
			rc = variant->steps[i].fn(s);
			if (rc)
				break;
		}
		ASSERT_EQ(0, fault_disarm(site, sizeof(site)));

		if (!site[0]) {
			/* Fewer than n fallible steps: the plain run */
			EXPECT_EQ(0, rc) {
				TH_LOG("no fault, yet step %s failed: %s",
				       variant->steps[i].name, strerror(rc));
			}
		} else if (rc) {
			EXPECT_EQ(site_errno(site), rc) {
				TH_LOG("point %u (%s) failed step %s with %s",
				       n, site, variant->steps[i].name,
				       strerror(rc));
			}
			/* Again without the fault, then the rest */
			s->retry_site_uaccess = site_errno(site) == EFAULT;
			for (; variant->steps[i].fn; i++) {
				rc = variant->steps[i].fn(s);
				s->retry_site_uaccess = 0;
				if (rc)
					break;
			}
			EXPECT_EQ(0, rc) {
				TH_LOG("after point %u (%s): step %s: %s", n,
				       site, variant->steps[i].name,
				       strerror(rc));
			}
		} else {
			/* The step went on without what failed */
			recovered++;
		}

		teardown(s, variant->order);
		ASSERT_EQ(0, read_counters(&now));
		EXPECT_EQ(start.contexts, now.contexts);
		EXPECT_EQ(start.objects, now.objects);
		EXPECT_EQ(start.pages_objs, now.pages_objs);
		EXPECT_EQ(start.pinned, now.pinned);
		EXPECT_EQ(start.charged, now.charged);
		EXPECT_EQ(start.groups, now.groups);
		EXPECT_EQ(start.domains, now.domains);
		EXPECT_EQ(start.fault_records, now.fault_records);
		EXPECT_EQ(pin0, proc_status_kb("VmPin"));
		EXPECT_EQ(lck0, proc_status_kb("VmLck"));
		if (s->buf) {
			check_fd = ioasid_open();
			ASSERT_LE(0, check_fd);
			EXPECT_EQ(0, check_refs(check_fd, s->buf, BUF_LEN, 0));
			close(check_fd);
		}
		unmap_buffers(s);
		EXPECT_EQ(0, kmsg_scan(kmsg_fd, first, sizeof(first))) {
			TH_LOG("point %u (%s): kernel: %s", n, site, first);
		}
		close(kmsg_fd);
		if (_metadata->passed == 0 || !site[0])
			break;
		points++;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	EXPECT_GT(MAX_POINTS, n);
	/* Every scenario has fallible steps; none means the knob is dead */
	EXPECT_LT(0, points);
	/* The harness ends a test with _exit(): flush */
	printf("# fault: scenario=%s points=%u recovered=%u ms=%ld\n",
	       variant->name, points, recovered,
	       (long)((t1.tv_sec - t0.tv_sec) * 1000 +
		      (t1.tv_nsec - t0.tv_nsec) / 1000000));
	fflush(stdout);
}

/*
 * A replace that fails (a device that cannot track dirty pages onto a
 * dirty-tracking HWPT), with each fallible step after it failing in turn:
 * a failure while the device goes back to its old HWPT is reported once
 * with a warning, the replace's own EINVAL still returned; the device is
 * then blocked and can be attached again, and nothing leaks
 */
TEST(replace_restore_fails)
{
	__u32 ioas, stdev, hwpt, idev, stdev2, hwpt2, idev2, dirty, pt;
	unsigned int n, warned = 0, restored = 0;
	struct ioasid_env env;
	char site[128];
	int fd, kfd, rc;

	env_begin(&env);
	fd = ioasid_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioas_alloc(fd, &ioas));
	ASSERT_EQ(0, mock_domain(fd, ioas, &stdev2, &hwpt2, &idev2));
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd), .flags = IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
		.dev_id = idev2, .pt_id = ioas,
	};
	ASSERT_EQ(0, xioctl(fd, IOMMU_HWPT_ALLOC, &cmd));
	dirty = cmd.out_hwpt_id;
	ASSERT_EQ(0, mock_domain_flags(fd, ioas, MOCK_FLAGS_DEVICE_NO_DIRTY,
				       &stdev, &hwpt, &idev));

	for (n = 1; n <= 50; n++) {
		kfd = kmsg_open();
		ASSERT_LE(0, kfd);
		ASSERT_EQ(0, fault_arm(n));
		rc = mock_domain_replace(fd, stdev, dirty, NULL);
		ASSERT_EQ(0, fault_disarm(site, sizeof(site)));
		if (kmsg_has(kfd, "old HWPT cannot be restored")) {
			warned++;
			EXPECT_NE(0, site[0]);
			EXPECT_EQ(EINVAL, rc);
			/* Blocked now; attaching again works */
			ASSERT_EQ(0, mock_domain_replace(fd, stdev, ioas, &pt));
		} else {
			restored++;
			EXPECT_TRUE(rc == EINVAL ||
				    (site[0] && rc == site_errno(site))) {
				TH_LOG("point %u (%s): %s", n, site,
				       strerror(rc));
			}
		}
		close(kfd);
		if (!site[0])
			break;
	}
	EXPECT_GT(50, n);
	/* At least one fallible step is in the restore */
	EXPECT_LT(0, warned);
	TH_LOG("%u points, %u restored, %u not", n, restored, warned);

	close(fd);
	env_end(&env);
}

/* The knob reads back what is armed, and 0 once disarmed */
TEST(fail_nth_reads_back)
{
	struct ioasid_env env;
	char text[32];

	env_begin(&env);
	ASSERT_EQ(0, fault_arm(7));
	ASSERT_EQ(0, sysfs_read(FAIL_NTH, text, sizeof(text)));
	EXPECT_STREQ("7", text);
	ASSERT_EQ(0, fault_arm(0));
	ASSERT_EQ(0, sysfs_read(FAIL_NTH, text, sizeof(text)));
	EXPECT_STREQ("0", text);
	env_end(&env);
}

TEST_HARNESS_MAIN
