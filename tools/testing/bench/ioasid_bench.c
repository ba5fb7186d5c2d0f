// SPDX-License-Identifier: GPL-2.0-only
/*
 * ioasid-bench: /dev/ioasid (with the vfio-ioasid-pci companion) against
 * VFIO type1, side by side in one VM.  Documentation/dev-tools/bench.rst
 * describes the method; scripts/bench.sh (make bench) boots the VMs.
 *
 *   ioasid-bench --type1 BDF1,BDF2 --ioasid BDF3,BDF4 --out DIR [options]
 *
 * BDF1 and BDF2 are bound to the kernel's vfio-pci (each its own
 * iommu_group), BDF3 and BDF4 to vfio-ioasid-pci.  The first of each pair
 * carries the workloads; the second is the extra device of W6.  Both sides
 * map into a real IOMMU domain: type1 through a container
 * (VFIO_TYPE1v2_IOMMU), ioasid through an IOAS the device is attached to.
 *
 * Every workload runs type1, then ioasid, then the floor, and again, for
 * --reps repetitions (A B A B ...), on the same user memory, so both sides
 * see the same physical pages.  The floor is the cost of pinning and
 * unpinning alone: ioasid's own pin path (IOMMU_TEST_CMD ACCESS_PAGES on an
 * IOAS with no domain; ioasid must be loaded with test_mode=1), with no
 * iommu_map at all.
 *
 * Both sides charge pinned memory the same way: CAP_IPC_LOCK is dropped
 * from the effective set, RLIMIT_MEMLOCK is unlimited, and the ioasid
 * contexts use IOMMU_OPTION_RLIMIT_MODE 1 (mm->locked_vm, like type1).
 *
 * With --upstream the same workloads run against upstream iommufd on a
 * newer kernel instead (make bench-upstream): BDF3 and BDF4 are bound to
 * the stock vfio-pci too and used through their VFIO device cdevs, bound
 * to /dev/iommu; the side is called "iommufd".  What needs ioasid's test
 * build (the floor, IOMMU_TEST_OP_MD_CHECK_REFS, the counters of
 * /sys/kernel/debug/ioasid/stats) is not measured there and shows "-".
 *
 * Options (defaults in brackets; each also reads an environment variable):
 *   --reps N        repetitions per side [5]               BENCH_REPS
 *   --size BYTES    W1/W2/W6 mapping size [1 GiB]          BENCH_SIZE
 *   --churn N       W3 map/unmap pairs [100000]            BENCH_CHURN
 *   --scale N,N     W5 mapping counts [65535,1000000]      BENCH_SCALE
 *   --par BYTES     W4 bytes mapped in total [1 GiB]       BENCH_PAR
 *   --only W1,W3    run only these workloads [all]         BENCH_ONLY
 *   --no-count      skip the IOPTE/flush counting runs     BENCH_NOCOUNT=1
 *   --upstream      upstream iommufd, not ioasid           BENCH_UPSTREAM=1
 *
 * Output in DIR: results.csv (one row per metric: medians, spread, ratio
 * ioasid/type1, floor, target), samples.csv (every measurement),
 * counts.csv (iommu_map calls, IOPTEs per page size, IOTLB syncs, from
 * kprobe hist triggers on the IOMMU driver's ops, counted in separate
 * untimed runs), and table.txt (what is printed at the end).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <linux/capability.h>
#include <linux/vfio.h>
#include <linux/ioasid.h>
#include <linux/ioasid_vfio.h>
#include "../../../drivers/ioasid/ioasid_test.h"

#ifndef MAP_HUGE_SHIFT
#define MAP_HUGE_SHIFT 26
#endif
#ifndef MAP_HUGE_2MB
#define MAP_HUGE_2MB (21 << MAP_HUGE_SHIFT)
#endif
#ifndef MAP_HUGE_1GB
#define MAP_HUGE_1GB (30 << MAP_HUGE_SHIFT)
#endif

#define KiB ((uint64_t)1 << 10)
#define MiB ((uint64_t)1 << 20)
#define GiB ((uint64_t)1 << 30)
#define PSZ ((uint64_t)4096)

/*
 * IOVAs: inside VT-d's 39-bit aperture, clear of the MSI window and AMD's
 * HyperTransport hole
 */
#define IOVA_BULK	(1 * GiB)	/* W1, W2, W6; 1 GiB aligned */
#define IOVA_CHURN	(2 * GiB)	/* W3: a 1 GiB window */
#define IOVA_PAR	(8 * GiB)	/* W4 */
#define IOVA_SCALE	(16 * GiB)	/* W5: up to 4 GiB of 4 KiB pages */
#define IOVA_FLOOR	(1 * GiB)	/* floor: its own IOAS */
#define CHURN_WINDOW	(1 * GiB)
#define CHURN_BUF	(64 * MiB)
/* W3 alternates the sides this many times per repetition */
#define CHURN_BLOCKS	20
#define SCALE_BUF	(64 * MiB)
#define PAR_CHUNK	(1 * MiB)
/* Largest range one IOMMU_TEST_OP_ACCESS_PAGES pins (MOCK_ACCESS_MAX) */
#define ACCESS_MAX	(16 * MiB)
#define MAX_REPS	32
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define MAP_RW (IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE)

enum side { T1, IO, FL, NSIDES };
/* side_name[IO] is "iommufd" with --upstream */
static const char *side_name[NSIDES] = { "type1", "ioasid", "floor" };
/* The sides a workload runs: the floor only where ioasid's test build is */
static int nsides = NSIDES;

static struct {
	int reps;
	uint64_t size;
	long churn;
	long scale[4];
	int nscale;
	uint64_t par;
	char only[128];
	bool count;
	const char *outdir;
	char iommu[32];
	char t1_bdf[2][32];
	char io_bdf[2][32];
	bool upstream;		/* /dev/iommu and vfio-pci's cdev, no test build */
} opt = {
	.reps = 5,
	.size = GiB,
	.churn = 100000,
	.scale = { 65535, 1000000 },
	.nscale = 2,
	.par = GiB,
	.count = true,
};

/* ------------------------------------------------------------ helpers */

static void __attribute__((format(printf, 1, 2), noreturn))
die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("ioasid-bench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void __attribute__((format(printf, 1, 2))) say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
}

static int xioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? errno : 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static double ms_since(uint64_t t0, uint64_t t1)
{
	return (t1 - t0) / 1e6;
}

/* Write a whole string to a file; O_APPEND for tracefs command files */
static int file_write(const char *path, const char *val, bool append)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC | (append ? O_APPEND : O_TRUNC));
	ssize_t n;

	if (fd < 0)
		return errno;
	n = write(fd, val, strlen(val));
	close(fd);
	return n < 0 ? errno : 0;
}

/* A "Name:   value kB" field of a /proc file, in kB, or -1 */
static long proc_kb(const char *path, const char *field)
{
	size_t len = strlen(field);
	char line[256];
	long val = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, field, len) && line[len] == ':') {
			val = strtol(line + len + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return val;
}

/* A counter of /sys/kernel/debug/ioasid/stats, or -1 */
static long ioasid_stat(const char *name)
{
	char key[64];
	long val;
	FILE *f = fopen("/sys/kernel/debug/ioasid/stats", "r");

	if (!f)
		return -1;
	while (fscanf(f, "%63s %ld", key, &val) == 2) {
		if (!strcmp(key, name)) {
			fclose(f);
			return val;
		}
	}
	fclose(f);
	return -1;
}

static bool want(const char *wl)
{
	char list[sizeof(opt.only) + 2], needle[16];

	if (!opt.only[0])
		return true;
	snprintf(list, sizeof(list), ",%s,", opt.only);
	for (char *p = list; *p; p++)
		if (*p == ' ')
			*p = ',';
	snprintf(needle, sizeof(needle), ",%s,", wl);
	return strstr(list, needle) != NULL;
}

/* ------------------------------------------------------------ memory */

enum backing { B_4K, B_THP, B_2M, B_1G, NBACKINGS };
static const char *const backing_name[NBACKINGS] = { "4k", "thp", "hugetlb-2m",
						     "hugetlb-1g" };

/*
 * An anonymous buffer of @len bytes backed as asked.  4 KiB pages are
 * forced with MADV_NOHUGEPAGE (Debian's THP default is "always"); THP
 * buffers are 2 MiB aligned with MADV_HUGEPAGE.  @touch writes every page.
 */
static void *buf_alloc(enum backing b, uint64_t len, bool touch)
{
	uint64_t align = b == B_4K ? PSZ : 2 * MiB;
	int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;
	char *raw, *buf;

	if (b == B_2M || b == B_1G) {
		flags |= MAP_HUGETLB | (b == B_2M ? MAP_HUGE_2MB : MAP_HUGE_1GB);
		buf = mmap(NULL, len, PROT_READ | PROT_WRITE, flags & ~MAP_NORESERVE,
			   -1, 0);
		if (buf == MAP_FAILED)
			return NULL;
	} else {
		raw = mmap(NULL, len + align, PROT_READ | PROT_WRITE, flags, -1,
			   0);
		if (raw == MAP_FAILED)
			return NULL;
		buf = (char *)(((uintptr_t)raw + align - 1) & ~(align - 1));
		if (buf != raw)
			munmap(raw, buf - raw);
		if (raw + len + align != buf + len)
			munmap(buf + len, raw + len + align - (buf + len));
		madvise(buf, len, b == B_4K ? MADV_NOHUGEPAGE : MADV_HUGEPAGE);
	}
	if (touch)
		for (uint64_t off = 0; off < len; off += PSZ)
			buf[off] = 1;
	return buf;
}

/* ------------------------------------------------------------ type1 */

struct type1 {
	int container;
	int group;
};

static int group_of(const char *bdf)
{
	char path[128], link[256];
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		die("%s has no iommu_group: is the IOMMU on?", bdf);
	link[n] = 0;
	return atoi(strrchr(link, '/') + 1);
}

static int t1_open_group(const char *bdf)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/dev/vfio/%d", group_of(bdf));
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		die("open %s (%s bound to vfio-pci?): %s", path, bdf,
		    strerror(errno));
	if (xioctl(fd, VFIO_GROUP_GET_STATUS, &st) ||
	    !(st.flags & VFIO_GROUP_FLAGS_VIABLE))
		die("group of %s is not viable", bdf);
	return fd;
}

/* A container with the group of @bdf, no IOMMU set yet */
static void t1_open_container(struct type1 *t, const char *bdf)
{
	int rc;

	t->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (t->container < 0)
		die("open /dev/vfio/vfio: %s", strerror(errno));
	if (ioctl(t->container, VFIO_GET_API_VERSION) != VFIO_API_VERSION)
		die("unexpected VFIO API version");
	if (ioctl(t->container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) != 1)
		die("no VFIO_TYPE1v2_IOMMU (vfio_iommu_type1 loaded?)");
	t->group = t1_open_group(bdf);
	rc = xioctl(t->group, VFIO_GROUP_SET_CONTAINER, &t->container);
	if (rc)
		die("VFIO_GROUP_SET_CONTAINER: %s", strerror(rc));
}

/* type1v2: allocates a domain and attaches the container's group */
static void t1_set_iommu(struct type1 *t)
{
	if (ioctl(t->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		die("VFIO_SET_IOMMU: %s", strerror(errno));
}

/* A container with the group of @bdf, type1v2, so a domain is attached */
static void t1_open(struct type1 *t, const char *bdf)
{
	t1_open_container(t, bdf);
	t1_set_iommu(t);
}

static void t1_close(struct type1 *t)
{
	ioctl(t->group, VFIO_GROUP_UNSET_CONTAINER);
	close(t->group);
	close(t->container);
}

static int t1_map(int container, void *va, uint64_t len, uint64_t iova)
{
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)va,
		.iova = iova,
		.size = len,
	};

	return xioctl(container, VFIO_IOMMU_MAP_DMA, &m);
}

static int t1_unmap(int container, uint64_t iova, uint64_t len)
{
	struct vfio_iommu_type1_dma_unmap u = {
		.argsz = sizeof(u),
		.iova = iova,
		.size = len,
	};
	int rc = xioctl(container, VFIO_IOMMU_UNMAP_DMA, &u);

	return rc ? rc : (u.size == len ? 0 : ENOENT);
}

static int t1_unmap_all(int container)
{
	struct vfio_iommu_type1_dma_unmap u = {
		.argsz = sizeof(u),
		.flags = VFIO_DMA_UNMAP_FLAG_ALL,
	};

	return xioctl(container, VFIO_IOMMU_UNMAP_DMA, &u);
}

/* ------------------------------------------------------------ ioasid */

struct iodev {
	int fd;		/* /dev/ioasid */
	int dfd;	/* the device cdev */
	__u32 ioas;
	__u32 hwpt;
};

static void cdev_of(const char *bdf, char *cdev, size_t len)
{
	char path[128], name[256];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vfio-dev", bdf);
	d = opendir(path);
	if (!d)
		die("%s has no VFIO device cdev (bound to %s?)", bdf,
		    opt.upstream ? "vfio-pci" : "vfio-ioasid-pci");
	name[0] = 0;
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, "vfio", 4))
			snprintf(name, sizeof(name), "%s", de->d_name);
	closedir(d);
	if (!name[0])
		die("%s has no vfio-dev node", bdf);
	snprintf(cdev, len, "/dev/vfio/devices/%s", name);
}

/* mm->locked_vm accounting, like type1; before the context has objects */
static void io_set_mm_mode(int fd)
{
	struct iommu_option o = {
		.size = sizeof(o),
		.option_id = IOMMU_OPTION_RLIMIT_MODE,
		.op = IOMMU_OPTION_OP_SET,
		.val64 = 1,
	};
	int rc = xioctl(fd, IOMMU_OPTION, &o);

	if (rc)
		die("IOMMU_OPTION RLIMIT_MODE: %s", strerror(rc));
}

static int io_ctx(void)
{
	const char *node = opt.upstream ? "/dev/iommu" : "/dev/ioasid";
	int fd = open(node, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		die("open %s: %s", node, strerror(errno));
	io_set_mm_mode(fd);
	return fd;
}

static __u32 io_ioas_alloc(int fd)
{
	struct iommu_ioas_alloc a = { .size = sizeof(a) };
	int rc = xioctl(fd, IOMMU_IOAS_ALLOC, &a);

	if (rc)
		die("IOMMU_IOAS_ALLOC: %s", strerror(rc));
	return a.out_ioas_id;
}

/* Open the cdev of @bdf and bind it to @fd; the DEVICE ID in *@devid */
static int io_dev_bind(int fd, const char *bdf, __u32 *devid)
{
	struct vfio_device_bind_iommufd bind = {
		.argsz = sizeof(bind),
		.iommufd = fd,
	};
	char cdev[300];
	int dfd, rc;

	cdev_of(bdf, cdev, sizeof(cdev));
	dfd = open(cdev, O_RDWR | O_CLOEXEC);
	if (dfd < 0)
		die("open %s: %s", cdev, strerror(errno));
	rc = xioctl(dfd, VFIO_DEVICE_BIND_IOMMUFD, &bind);
	if (rc)
		die("VFIO_DEVICE_BIND_IOMMUFD %s: %s", bdf, strerror(rc));
	if (devid)
		*devid = bind.out_devid;
	return dfd;
}

/* Attach a bound device to @pt (IOAS or HWPT); the HWPT used in *@hwpt */
static void io_dev_attach_pt(int dfd, const char *bdf, __u32 pt, __u32 *hwpt)
{
	struct vfio_device_attach_iommufd_pt at = {
		.argsz = sizeof(at),
		.pt_id = pt,
	};
	int rc = xioctl(dfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at);

	if (rc)
		die("VFIO_DEVICE_ATTACH_IOMMUFD_PT %s to %u: %s", bdf, pt,
		    strerror(rc));
	if (hwpt)
		*hwpt = at.pt_id;
}

/* Open the cdev of @bdf, bind it to @fd and attach it to @pt (IOAS) */
static int io_dev_attach(int fd, const char *bdf, __u32 pt, __u32 *hwpt)
{
	int dfd = io_dev_bind(fd, bdf, NULL);

	io_dev_attach_pt(dfd, bdf, pt, hwpt);
	return dfd;
}

/*
 * IOMMU_HWPT_ALLOC: a second domain for the IOMMU of DEVICE @devid, kept in
 * sync with IOAS @ioas; filled at its first attach
 */
static __u32 io_hwpt_alloc(int fd, __u32 devid, __u32 ioas)
{
	struct iommu_hwpt_alloc a = {
		.size = sizeof(a),
		.dev_id = devid,
		.pt_id = ioas,
	};
	int rc = xioctl(fd, IOMMU_HWPT_ALLOC, &a);

	if (rc)
		die("IOMMU_HWPT_ALLOC: %s", strerror(rc));
	return a.out_hwpt_id;
}

static void io_destroy(int fd, __u32 id, const char *what)
{
	struct iommu_destroy d = { .size = sizeof(d), .id = id };
	int rc = xioctl(fd, IOMMU_DESTROY, &d);

	if (rc)
		die("IOMMU_DESTROY %s %u: %s", what, id, strerror(rc));
}

static void io_open(struct iodev *d, const char *bdf)
{
	d->fd = io_ctx();
	d->ioas = io_ioas_alloc(d->fd);
	d->dfd = io_dev_attach(d->fd, bdf, d->ioas, &d->hwpt);
}

static int io_map(int fd, __u32 ioas, void *va, uint64_t len, uint64_t iova)
{
	struct iommu_ioas_map m = {
		.size = sizeof(m),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | MAP_RW,
		.ioas_id = ioas,
		.user_va = (uintptr_t)va,
		.length = len,
		.iova = iova,
	};

	return xioctl(fd, IOMMU_IOAS_MAP, &m);
}

static int io_unmap(int fd, __u32 ioas, uint64_t iova, uint64_t len)
{
	struct iommu_ioas_unmap u = {
		.size = sizeof(u),
		.ioas_id = ioas,
		.iova = iova,
		.length = len,
	};

	return xioctl(fd, IOMMU_IOAS_UNMAP, &u);
}

static int io_copy(int fd, __u32 dst, __u32 src, uint64_t iova, uint64_t len)
{
	struct iommu_ioas_copy c = {
		.size = sizeof(c),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | MAP_RW,
		.dst_ioas_id = dst,
		.src_ioas_id = src,
		.length = len,
		.dst_iova = iova,
		.src_iova = iova,
	};

	return xioctl(fd, IOMMU_IOAS_COPY, &c);
}

static int test_cmd(int fd, struct iommu_test_cmd *cmd)
{
	cmd->size = sizeof(*cmd);
	return xioctl(fd, IOMMU_TEST_CMD, cmd);
}

/* ------------------------------------------------------------ floor */

/*
 * The floor pins through an in-kernel access of an IOAS that has no
 * domain: ioasid's pin path (charge, pin_user_pages_fast FOLL_LONGTERM in
 * batches, PFN bookkeeping) and unpin path, without iommu_map/unmap.
 */
struct floor {
	int fd;
	__u32 ioas;
	int access;
	__u32 *ids;
	size_t nids, cap;
};

static void fl_open(struct floor *f)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_CREATE_ACCESS,
	};
	int rc;

	f->fd = io_ctx();
	f->ioas = io_ioas_alloc(f->fd);
	cmd.id = f->ioas;
	cmd.create_access.flags = MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES;
	rc = test_cmd(f->fd, &cmd);
	if (rc)
		die("IOMMU_TEST_OP_CREATE_ACCESS: %s (ioasid loaded with test_mode=1?)",
		    strerror(rc));
	f->access = cmd.create_access.out_access_fd;
	f->cap = 1024;
	f->ids = calloc(f->cap, sizeof(*f->ids));
	if (!f->ids)
		die("out of memory");
}

/* Pin [iova, iova + len) of the floor IOAS through the access */
static int fl_pin(struct floor *f, uint64_t iova, uint64_t len)
{
	for (uint64_t off = 0; off < len; off += ACCESS_MAX) {
		struct iommu_test_cmd cmd = {
			.op = IOMMU_TEST_OP_ACCESS_PAGES,
			.id = f->access,
		};
		int rc;

		cmd.access_pages.flags = MOCK_FLAGS_ACCESS_WRITE;
		cmd.access_pages.iova = iova + off;
		cmd.access_pages.length =
			len - off < ACCESS_MAX ? len - off : ACCESS_MAX;
		rc = test_cmd(f->fd, &cmd);
		if (rc)
			return rc;
		if (f->nids == f->cap) {
			f->cap *= 2;
			f->ids = realloc(f->ids, f->cap * sizeof(*f->ids));
			if (!f->ids)
				die("out of memory");
		}
		f->ids[f->nids++] = cmd.access_pages.out_access_pages_id;
	}
	return 0;
}

static int fl_unpin(struct floor *f)
{
	int rc = 0;

	while (f->nids) {
		struct iommu_test_cmd cmd = {
			.op = IOMMU_TEST_OP_DESTROY_ACCESS_PAGES,
			.id = f->access,
		};

		cmd.destroy_access_pages.access_pages_id = f->ids[--f->nids];
		rc = rc ? rc : test_cmd(f->fd, &cmd);
	}
	return rc;
}

/* ------------------------------------------------------------ state */

static struct type1 t1;
static struct iodev io;
static struct floor fl;

/*
 * One map or unmap on a side.  For the floor, "map" pins and "unmap"
 * unpins a range that fl_prepare() mapped into the floor IOAS at the same
 * IOVA, so the IOVA bookkeeping stays out of the measurement.
 */
static int side_map(enum side s, void *va, uint64_t len, uint64_t iova)
{
	switch (s) {
	case T1:
		return t1_map(t1.container, va, len, iova);
	case IO:
		return io_map(io.fd, io.ioas, va, len, iova);
	default:
		return fl_pin(&fl, iova, len);
	}
}

static int side_unmap(enum side s, uint64_t iova, uint64_t len)
{
	switch (s) {
	case T1:
		return t1_unmap(t1.container, iova, len);
	case IO:
		return io_unmap(io.fd, io.ioas, iova, len);
	default:
		return fl_unpin(&fl);
	}
}

static void fl_prepare(void *va, uint64_t len, uint64_t iova)
{
	int rc;

	if (nsides <= FL)
		return;
	rc = io_map(fl.fd, fl.ioas, va, len, iova);
	if (rc)
		die("floor: IOMMU_IOAS_MAP: %s", strerror(rc));
}

static void fl_finish(uint64_t iova, uint64_t len)
{
	int rc;

	if (nsides <= FL)
		return;
	rc = io_unmap(fl.fd, fl.ioas, iova, len);
	if (rc)
		die("floor: IOMMU_IOAS_UNMAP: %s", strerror(rc));
}

static void check(int rc, const char *what, enum side s)
{
	if (rc)
		die("%s on %s: %s", what, side_name[s], strerror(rc));
}

/* ------------------------------------------------------------ results */

enum target_kind {
	TGT_NONE,
	TGT_RATIO_LE,	/* ioasid median / type1 median <= val */
	TGT_IOASID_GE,	/* ioasid median >= val */
	TGT_IOASID_EQ,	/* ioasid median == val */
	TGT_IOASID_LE,	/* ioasid median <= val */
};

struct row {
	char wl[8], cs[24], metric[40], unit[8];
	double v[NSIDES][MAX_REPS];
	int n[NSIDES];
	char text[NSIDES][96];	/* shown instead of numbers when set */
	enum target_kind tk;
	double tval;
	char note[160];
};

static struct row rows[256];
static int nrows;
static FILE *samples_csv, *counts_csv;

static struct row *row_new(const char *wl, const char *cs, const char *metric,
			   const char *unit, enum target_kind tk, double tval)
{
	struct row *r;

	if (nrows == (int)ARRAY_SIZE(rows))
		die("too many result rows");
	r = &rows[nrows++];
	memset(r, 0, sizeof(*r));
	snprintf(r->wl, sizeof(r->wl), "%s", wl);
	snprintf(r->cs, sizeof(r->cs), "%s", cs);
	snprintf(r->metric, sizeof(r->metric), "%s", metric);
	snprintf(r->unit, sizeof(r->unit), "%s", unit);
	r->tk = tk;
	r->tval = tval;
	return r;
}

static void row_add(struct row *r, enum side s, double val)
{
	if (r->n[s] == MAX_REPS)
		return;
	r->v[s][r->n[s]++] = val;
	fprintf(samples_csv, "%s,%s,%s,%s,%s,%s,%d,%.6g\n", opt.iommu, r->wl,
		r->cs, r->metric, r->unit, side_name[s], r->n[s], val);
	fflush(samples_csv);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct stat3 {
	double med, min, max;
	bool ok;
};

static struct stat3 stats(const struct row *r, enum side s)
{
	double v[MAX_REPS];
	struct stat3 st = { 0 };
	int n = r->n[s];

	if (!n)
		return st;
	memcpy(v, r->v[s], n * sizeof(v[0]));
	qsort(v, n, sizeof(v[0]), cmp_double);
	st.med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	st.min = v[0];
	st.max = v[n - 1];
	st.ok = true;
	return st;
}

static const char *target_str(const struct row *r, char *buf, size_t len)
{
	switch (r->tk) {
	case TGT_RATIO_LE:
		snprintf(buf, len, "ratio<=%.2g", r->tval);
		break;
	case TGT_IOASID_GE:
		snprintf(buf, len, "%s>=%.4g", side_name[IO], r->tval);
		break;
	case TGT_IOASID_EQ:
		snprintf(buf, len, "%s=%.10g", side_name[IO], r->tval);
		break;
	case TGT_IOASID_LE:
		snprintf(buf, len, "%s<=%.4g", side_name[IO], r->tval);
		break;
	default:
		snprintf(buf, len, "-");
	}
	return buf;
}

/*
 * Do the repetitions show that a ratio target whose medians miss it is
 * missed?  The host's cores may change speed within seconds (bench.rst,
 * the trust rule), so one side of a repetition can run fast and the other
 * slow, and a ratio of medians just above its target can be noise.  Each
 * repetition runs type1 and the other side back to back, so each has a
 * ratio of its own; the sign test asks how likely it is that at least that
 * many of them lie above the target if each were as likely above as below
 * (a ratio equal to the target counts for neither side).  At most 5 %
 * shows the miss: with 5 repetitions, all 5 above.  Fewer than 5 left can
 * never get there (4 of 4 is 6.25 %), and the medians alone decide then;
 * so do sides with different numbers of repetitions, which cannot be
 * paired.
 */
static bool ratio_miss_shown(const struct row *r)
{
	int n = 0, above = 0;
	double tail = 0, c = 1;

	if (r->n[T1] != r->n[IO])
		return true;
	for (int i = 0; i < r->n[T1]; i++) {
		double q;

		if (r->v[T1][i] <= 0)
			return true;
		q = r->v[IO][i] / r->v[T1][i];
		if (q == r->tval)
			continue;
		n++;
		above += q > r->tval;
	}
	if (n < 5)
		return true;
	/* P(X >= above) for X ~ Binomial(n, 1/2); c runs through C(n, k) */
	for (int k = 0; k <= n; k++) {
		if (k >= above)
			tail += c;
		c = c * (n - k) / (k + 1);
	}
	return tail / (double)(1ULL << n) <= 0.05;
}

static const char *met_str(const struct row *r)
{
	struct stat3 a = stats(r, T1), b = stats(r, IO);

	switch (r->tk) {
	case TGT_RATIO_LE:
		if (!a.ok || !b.ok || a.med <= 0)
			return "n/a";
		if (b.med / a.med <= r->tval)
			return "yes";
		return ratio_miss_shown(r) ? "NO" : "noise";
	case TGT_IOASID_GE:
		if (!b.ok)
			return "n/a";
		return b.med >= r->tval ? "yes" : "NO";
	case TGT_IOASID_EQ:
		if (!b.ok)
			return "n/a";
		return b.med == r->tval ? "yes" : "NO";
	case TGT_IOASID_LE:
		if (!b.ok)
			return "n/a";
		return b.med <= r->tval ? "yes" : "NO";
	default:
		return "-";
	}
}

static void fmt_num(char *buf, size_t len, double v)
{
	double a = v < 0 ? -v : v;

	if (v == (double)(long long)v && a < 1e15)
		snprintf(buf, len, "%lld", (long long)v);
	else if (a >= 1000)
		snprintf(buf, len, "%.0f", v);
	else if (a >= 100)
		snprintf(buf, len, "%.1f", v);
	else if (a >= 1)
		snprintf(buf, len, "%.2f", v);
	else
		snprintf(buf, len, "%.3g", v);
}

static void cell(char *buf, size_t len, const struct row *r, enum side s,
		 bool spread)
{
	struct stat3 st = stats(r, s);
	char a[32], b[32], c[32];

	if (r->text[s][0]) {
		snprintf(buf, len, "%s", r->text[s]);
		return;
	}
	if (!st.ok) {
		snprintf(buf, len, "-");
		return;
	}
	fmt_num(a, sizeof(a), st.med);
	if (!spread || r->n[s] < 2) {
		snprintf(buf, len, "%s", a);
		return;
	}
	fmt_num(b, sizeof(b), st.min);
	fmt_num(c, sizeof(c), st.max);
	snprintf(buf, len, "%s [%s-%s]", a, b, c);
}

static void ratio_str(char *buf, size_t len, const struct row *r)
{
	struct stat3 a = stats(r, T1), b = stats(r, IO);

	bool timed = !strcmp(r->unit, "ms") || !strcmp(r->unit, "us") ||
		     !strcmp(r->unit, "B");

	if (timed && a.ok && b.ok && a.med > 0)
		snprintf(buf, len, "%.2f", b.med / a.med);
	else
		snprintf(buf, len, "-");
}

static void emit_results(void)
{
	char path[512], t1c[112], ioc[112], flc[112], ratio[16], tgt[32];
	char ioh[40];
	FILE *csv, *tab, *md;

	snprintf(path, sizeof(path), "%s/results.csv", opt.outdir);
	csv = fopen(path, "w");
	snprintf(path, sizeof(path), "%s/table.txt", opt.outdir);
	tab = fopen(path, "w");
	snprintf(path, sizeof(path), "%s/table.md", opt.outdir);
	md = fopen(path, "w");
	if (!csv || !tab || !md)
		die("cannot write results in %s", opt.outdir);
	/* The second side's columns are named after it: ioasid or iommufd */
	fprintf(csv, "iommu,workload,case,metric,unit,reps,type1_median,type1_min,type1_max,%1$s_median,%1$s_min,%1$s_max,floor_median,ratio,target,met,type1_text,%1$s_text,note\n",
		side_name[IO]);
	for (int i = 0; i < nrows; i++) {
		const struct row *r = &rows[i];
		struct stat3 a = stats(r, T1), b = stats(r, IO), f = stats(r, FL);

		ratio_str(ratio, sizeof(ratio), r);
		fprintf(csv, "%s,%s,%s,%s,%s,%d,", opt.iommu, r->wl, r->cs,
			r->metric, r->unit, r->n[T1] > r->n[IO] ? r->n[T1] : r->n[IO]);
		if (a.ok)
			fprintf(csv, "%.6g,%.6g,%.6g,", a.med, a.min, a.max);
		else
			fprintf(csv, ",,,");
		if (b.ok)
			fprintf(csv, "%.6g,%.6g,%.6g,", b.med, b.min, b.max);
		else
			fprintf(csv, ",,,");
		if (f.ok)
			fprintf(csv, "%.6g,", f.med);
		else
			fprintf(csv, ",");
		fprintf(csv, "%s,%s,%s,\"%s\",\"%s\",\"%s\"\n",
			strcmp(ratio, "-") ? ratio : "",
			target_str(r, tgt, sizeof(tgt)), met_str(r), r->text[T1],
			r->text[IO], r->note);
	}
	fclose(csv);

	for (int pass = 0; pass < 2; pass++) {
		FILE *out = pass ? tab : stdout;

		snprintf(ioh, sizeof(ioh), "%s median [min-max]", side_name[IO]);
		fprintf(out, "%-3s %-11s %-22s %-4s %-26s %-26s %-8s %-6s %-13s %s\n",
			"wl", "case", "metric", "unit", "type1 median [min-max]",
			ioh, "floor", "ratio", "target", "met");
		for (int i = 0; i < nrows; i++) {
			const struct row *r = &rows[i];

			cell(t1c, sizeof(t1c), r, T1, true);
			cell(ioc, sizeof(ioc), r, IO, true);
			cell(flc, sizeof(flc), r, FL, false);
			ratio_str(ratio, sizeof(ratio), r);
			fprintf(out, "%-3s %-11s %-22s %-4s %-26s %-26s %-8s %-6s %-13s %s%s%s\n",
				r->wl, r->cs, r->metric, r->unit, t1c, ioc, flc,
				ratio, target_str(r, tgt, sizeof(tgt)),
				met_str(r), r->note[0] ? "  " : "", r->note);
		}
	}
	fclose(tab);

	fprintf(md, "| workload | case | metric | unit | type1 median [min-max] | %1$s median [min-max] | floor | %1$s/type1 | target | met |\n",
		side_name[IO]);
	fprintf(md, "|---|---|---|---|---|---|---|---|---|---|\n");
	for (int i = 0; i < nrows; i++) {
		const struct row *r = &rows[i];

		cell(t1c, sizeof(t1c), r, T1, true);
		cell(ioc, sizeof(ioc), r, IO, true);
		cell(flc, sizeof(flc), r, FL, false);
		ratio_str(ratio, sizeof(ratio), r);
		fprintf(md, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s%s%s |\n",
			r->wl, r->cs, r->metric, r->unit, t1c, ioc, flc, ratio,
			target_str(r, tgt, sizeof(tgt)), met_str(r),
			r->note[0] ? ": " : "", r->note);
	}
	fclose(md);
}

/* ------------------------------------------------------------ tracing */

/*
 * IOPTE and flush counts, from kprobe events with hist triggers on the
 * IOMMU driver's ops (x86_64 argument registers: rdi, rsi, rdx, rcx, r8)
 * and from the iommu:map/unmap tracepoints.  Triggers are installed only
 * around a counting run and removed before anything is timed.
 */
#define TRACEFS "/sys/kernel/tracing"
#define TGROUP "ioasid_bench"
#define MAX_SIZES 48

struct tprobe {
	const char *name;	/* event name; "iommu/..." is a tracepoint */
	const char *intel, *amd;
	const char *args;
	const char *keys;	/* hist keys and values */
	bool ok;
};

#define KPROBE(n, i, a, args_, k) \
	{ .name = n, .intel = i, .amd = a, .args = args_, .keys = k }
#define TRACEPOINT(n) { .name = n, .keys = "common_pid" }

static struct tprobe tprobes[] = {
	KPROBE("map_pages", "intel_iommu_map_pages", "amd_iommu_map_pages",
	       "pgsize=%cx:u64 pgcount=%r8:u64", "pgsize:vals=pgcount"),
	KPROBE("unmap_pages", "intel_iommu_unmap_pages",
	       "amd_iommu_unmap_pages", "pgsize=%dx:u64 pgcount=%cx:u64",
	       "pgsize:vals=pgcount"),
	KPROBE("iotlb_sync", "intel_iommu_tlb_sync", "amd_iommu_iotlb_sync",
	       "", "common_pid"),
	KPROBE("iotlb_sync_map", "intel_iommu_iotlb_sync_map",
	       "amd_iommu_iotlb_sync_map", "", "common_pid"),
	KPROBE("flush_iotlb_all", "intel_flush_iotlb_all",
	       "amd_iommu_flush_iotlb_all", "", "common_pid"),
	KPROBE("iova_to_phys", "intel_iommu_iova_to_phys",
	       "amd_iommu_iova_to_phys", "", "common_pid"),
	TRACEPOINT("iommu/map"),
	TRACEPOINT("iommu/unmap"),
};
#define NPROBES ARRAY_SIZE(tprobes)

enum {
	P_MAP_PAGES, P_UNMAP_PAGES, P_SYNC, P_SYNC_MAP, P_FLUSH_ALL,
	P_IOVA_TO_PHYS, P_IOMMU_MAP, P_IOMMU_UNMAP,
};

struct sizes {
	uint64_t pgsize[MAX_SIZES], calls[MAX_SIZES], pages[MAX_SIZES];
	int n;
};

struct counts {
	uint64_t hits[NPROBES];
	struct sizes map, unmap;
};

static bool tracing_ok;

static void tprobe_path(const struct tprobe *p, const char *file, char *buf,
			size_t len)
{
	if (!p->intel)
		snprintf(buf, len, TRACEFS "/events/%s/%s", p->name, file);
	else
		snprintf(buf, len, TRACEFS "/events/" TGROUP "/%s/%s", p->name,
			 file);
}

static void trace_setup(void)
{
	bool intel = !access("/sys/class/iommu/dmar0", F_OK);
	char line[256], path[256];

	if (access(TRACEFS "/kprobe_events", F_OK)) {
		say("# tracing: no %s; IOPTE counts skipped\n", TRACEFS);
		return;
	}
	for (size_t i = 0; i < NPROBES; i++) {
		struct tprobe *p = &tprobes[i];

		if (p->intel) {
			snprintf(line, sizeof(line), "p:" TGROUP "/%s %s %s\n",
				 p->name, intel ? p->intel : p->amd, p->args);
			file_write(TRACEFS "/kprobe_events", line, true);
		}
		tprobe_path(p, "trigger", path, sizeof(path));
		p->ok = !access(path, W_OK);
		if (!p->ok)
			say("# tracing: %s (%s) not available\n", p->name,
			    p->intel ? (intel ? p->intel : p->amd) : "tracepoint");
		else
			tracing_ok = true;
	}
}

static void trace_teardown(void)
{
	char line[128];

	for (size_t i = 0; i < NPROBES; i++) {
		if (!tprobes[i].intel)
			continue;
		snprintf(line, sizeof(line), "-:" TGROUP "/%s\n", tprobes[i].name);
		file_write(TRACEFS "/kprobe_events", line, true);
	}
}

static void trigger(const struct tprobe *p, bool on)
{
	char cmd[128], path[256];

	snprintf(cmd, sizeof(cmd), "%shist:keys=%s:size=2048\n", on ? "" : "!",
		 p->keys);
	tprobe_path(p, "trigger", path, sizeof(path));
	file_write(path, cmd, true);
}

static void count_begin(void)
{
	for (size_t i = 0; i < NPROBES; i++)
		if (tprobes[i].ok)
			trigger(&tprobes[i], true);
}

/* Parse one hist file: lines "{ key: K } hitcount: N  pgcount: M" */
static void read_hist(const struct tprobe *p, uint64_t *hits, struct sizes *sz)
{
	char path[256], line[512];
	FILE *f;

	tprobe_path(p, "hist", path, sizeof(path));
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *k = strchr(line, ':'), *h = strstr(line, "hitcount:");
		char *c = strstr(line, "pgcount:");
		uint64_t key, nh, np = 0;

		if (line[0] != '{' || !k || !h)
			continue;
		key = strtoull(k + 1, NULL, 10);
		nh = strtoull(h + 9, NULL, 10);
		if (c)
			np = strtoull(c + 8, NULL, 10);
		*hits += nh;
		if (sz && sz->n < MAX_SIZES) {
			sz->pgsize[sz->n] = key;
			sz->calls[sz->n] = nh;
			sz->pages[sz->n] = np;
			sz->n++;
		}
	}
	fclose(f);
}

static const char *size_name(uint64_t sz, char *buf, size_t len)
{
	if (sz >= GiB && !(sz % GiB))
		snprintf(buf, len, "%" PRIu64 "G", sz / GiB);
	else if (sz >= MiB && !(sz % MiB))
		snprintf(buf, len, "%" PRIu64 "M", sz / MiB);
	else
		snprintf(buf, len, "%" PRIu64 "K", sz / KiB);
	return buf;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* "4K:12 2M:511" (IOPTEs per size), smallest size first */
static void sizes_str(const struct sizes *s, char *buf, size_t len)
{
	uint64_t order[MAX_SIZES];
	char name[32];
	size_t used = 0;

	for (int i = 0; i < s->n; i++)
		order[i] = s->pgsize[i];
	qsort(order, s->n, sizeof(order[0]), cmp_u64);
	buf[0] = 0;
	for (int i = 0; i < s->n; i++)
		for (int j = 0; j < s->n; j++)
			if (s->pgsize[j] == order[i] && used < len)
				used += snprintf(buf + used, len - used, "%s%s:%" PRIu64,
						 used ? " " : "",
						 size_name(order[i], name, sizeof(name)),
						 s->pages[j]);
	if (!buf[0])
		snprintf(buf, len, "none");
}

/* Bytes mapped by IOPTEs of at least @min bytes, as a share of all */
static double share_at_least(const struct sizes *s, uint64_t min)
{
	double big = 0, all = 0;

	for (int i = 0; i < s->n; i++) {
		double bytes = (double)s->pgsize[i] * s->pages[i];

		all += bytes;
		if (s->pgsize[i] >= min)
			big += bytes;
	}
	return all ? 100.0 * big / all : 0;
}

static void count_end(struct counts *c, const char *wl, const char *cs,
		      enum side s)
{
	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < NPROBES; i++) {
		const struct tprobe *p = &tprobes[i];

		if (!p->ok)
			continue;
		read_hist(p, &c->hits[i],
			  i == P_MAP_PAGES ? &c->map :
			  i == P_UNMAP_PAGES ? &c->unmap : NULL);
		trigger(p, false);
	}
	for (size_t i = 0; i < NPROBES; i++) {
		if (!tprobes[i].ok)
			continue;
		fprintf(counts_csv, "%s,%s,%s,%s,%s,,%" PRIu64 ",\n", opt.iommu,
			wl, cs, side_name[s], tprobes[i].name, c->hits[i]);
	}
	for (int i = 0; i < c->map.n; i++)
		fprintf(counts_csv, "%s,%s,%s,%s,iopte_map,%" PRIu64 ",%" PRIu64
			",%" PRIu64 "\n", opt.iommu, wl, cs, side_name[s],
			c->map.pgsize[i], c->map.calls[i], c->map.pages[i]);
	for (int i = 0; i < c->unmap.n; i++)
		fprintf(counts_csv, "%s,%s,%s,%s,iopte_unmap,%" PRIu64 ",%" PRIu64
			",%" PRIu64 "\n", opt.iommu, wl, cs, side_name[s],
			c->unmap.pgsize[i], c->unmap.calls[i],
			c->unmap.pages[i]);
	fflush(counts_csv);
}

static void counts_say(const char *what, const struct counts *c)
{
	char m[256];

	sizes_str(&c->map, m, sizeof(m));
	say("#   %-7s iommu_map %" PRIu64 ", IOPTEs %s, iommu_unmap %" PRIu64
	    ", unmap_pages %" PRIu64 ", iotlb_sync %" PRIu64
	    ", sync_map %" PRIu64 ", iova_to_phys %" PRIu64 "\n", what,
	    c->hits[P_IOMMU_MAP], m, c->hits[P_IOMMU_UNMAP],
	    c->hits[P_UNMAP_PAGES], c->hits[P_SYNC], c->hits[P_SYNC_MAP],
	    c->hits[P_IOVA_TO_PHYS]);
}

/* Rows that show a counting run's figures for sides @first..ioasid */
static void count_rows_from(const char *wl, const char *cs,
			    const struct counts *c, bool iopte_sizes,
			    bool flushes, int first)
{
	struct row *r;

	r = row_new(wl, cs, "iommu_map calls", "n", TGT_NONE, 0);
	for (int s = first; s <= IO; s++)
		row_add(r, s, c[s].hits[P_IOMMU_MAP]);
	if (iopte_sizes) {
		r = row_new(wl, cs, "IOPTEs per size", "n", TGT_NONE, 0);
		for (int s = first; s <= IO; s++)
			sizes_str(&c[s].map, r->text[s], sizeof(r->text[s]));
	}
	if (flushes) {
		r = row_new(wl, cs, "IOTLB syncs", "n", TGT_NONE, 0);
		for (int s = first; s <= IO; s++)
			row_add(r, s, c[s].hits[P_SYNC] + c[s].hits[P_SYNC_MAP] +
				      c[s].hits[P_FLUSH_ALL]);
		r = row_new(wl, cs, "IOTLB syncs after map", "n", TGT_NONE, 0);
		for (int s = first; s <= IO; s++)
			row_add(r, s, c[s].hits[P_SYNC_MAP]);
	}
}

/* Rows that show a counting run's figures for both sides */
static void count_rows(const char *wl, const char *cs, const struct counts *c,
		       bool iopte_sizes, bool flushes)
{
	count_rows_from(wl, cs, c, iopte_sizes, flushes, T1);
}

/*
 * One repetition's values of @r for the progress lines, "type1 / ioasid /
 * floor" (or "type1 / iommufd" without the floor) with @prec decimals;
 * @legend names the sides in the same order
 */
static const char *rep_vals(const struct row *r, int rep, int prec, char *buf,
			    size_t len)
{
	int n = snprintf(buf, len, "%.*f / %.*f", prec, r->v[T1][rep], prec,
			 r->v[IO][rep]);

	if (nsides > FL && n > 0 && (size_t)n < len)
		snprintf(buf + n, len - n, " / %.*f", prec, r->v[FL][rep]);
	return buf;
}

static const char *legend(char *buf, size_t len)
{
	snprintf(buf, len, "%s / %s%s", side_name[T1], side_name[IO],
		 nsides > FL ? " / floor" : "");
	return buf;
}

/* ------------------------------------------------------------ W1, W2 */

static void w1(void)
{
	say("## W1 bulk: map then unmap %" PRIu64 " MiB, %d reps\n",
	    opt.size / MiB, opt.reps);
	for (int b = 0; b < NBACKINGS; b++) {
		char va[64], vb[64], lg[32];
		struct counts c[2];
		struct row *rm, *ru, *rs;
		char *buf;

		buf = buf_alloc(b, opt.size, true);
		if (!buf) {
			rm = row_new("W1", backing_name[b], "map", "ms",
				     TGT_NONE, 0);
			snprintf(rm->note, sizeof(rm->note),
				 "skipped: no memory of this kind (%s)",
				 strerror(errno));
			say("# W1 %s: skipped, mmap: %s\n", backing_name[b],
			    strerror(errno));
			continue;
		}
		if (b == B_THP)
			say("# W1 thp: AnonHugePages %ld kB of %" PRIu64 " kB\n",
			    proc_kb("/proc/self/smaps_rollup", "AnonHugePages"),
			    opt.size / KiB);
		rm = row_new("W1", backing_name[b], "map", "ms", TGT_RATIO_LE, 1.0);
		ru = row_new("W1", backing_name[b], "unmap", "ms", TGT_RATIO_LE,
			     b == B_4K ? 0.5 : 1.0);

		/* Counting run, which is also the warm-up */
		for (int s = T1; s <= IO && opt.count && tracing_ok; s++) {
			count_begin();
			check(side_map(s, buf, opt.size, IOVA_BULK), "map", s);
			check(side_unmap(s, IOVA_BULK, opt.size), "unmap", s);
			count_end(&c[s], "W1", backing_name[b], s);
			counts_say(side_name[s], &c[s]);
		}
		if (opt.count && tracing_ok) {
			count_rows("W1", backing_name[b], c, true, true);
			if (b != B_4K) {
				uint64_t min = b == B_1G ? GiB : 2 * MiB;

				rs = row_new("W1", backing_name[b],
					     b == B_1G ? "bytes in >=1G IOPTEs" :
							 "bytes in >=2M IOPTEs",
					     "%", TGT_IOASID_GE, 90);
				for (int s = T1; s <= IO; s++)
					row_add(rs, s, share_at_least(&c[s].map, min));
			}
		}

		for (int rep = 0; rep < opt.reps; rep++) {
			for (int s = T1; s < nsides; s++) {
				uint64_t t0, t1_, t2;

				if (s == FL)
					fl_prepare(buf, opt.size, IOVA_BULK);
				t0 = now_ns();
				check(side_map(s, buf, opt.size, IOVA_BULK), "map", s);
				t1_ = now_ns();
				check(side_unmap(s, IOVA_BULK, opt.size), "unmap", s);
				t2 = now_ns();
				if (s == FL)
					fl_finish(IOVA_BULK, opt.size);
				row_add(rm, s, ms_since(t0, t1_));
				row_add(ru, s, ms_since(t1_, t2));
			}
			say("# W1 %-10s rep %d: map %s ms, unmap %s ms (%s)\n",
			    backing_name[b], rep + 1,
			    rep_vals(rm, rep, 1, va, sizeof(va)),
			    rep_vals(ru, rep, 1, vb, sizeof(vb)),
			    legend(lg, sizeof(lg)));
		}
		munmap(buf, opt.size);
	}
}

static void w2(void)
{
	static const enum backing kinds[] = { B_4K, B_THP };

	say("## W2 untouched: map %" PRIu64 " MiB never touched, %d reps\n",
	    opt.size / MiB, opt.reps);
	for (size_t k = 0; k < ARRAY_SIZE(kinds); k++) {
		enum backing b = kinds[k];
		char va[64], lg[32];
		struct row *rm, *ru;

		rm = row_new("W2", backing_name[b], "map", "ms", TGT_RATIO_LE, 1.0);
		ru = row_new("W2", backing_name[b], "unmap", "ms", TGT_NONE, 0);
		for (int rep = 0; rep < opt.reps; rep++) {
			for (int s = T1; s < nsides; s++) {
				uint64_t t0, t1_, t2;
				char *buf = buf_alloc(b, opt.size, false);

				if (!buf)
					die("W2: mmap: %s", strerror(errno));
				if (s == FL)
					fl_prepare(buf, opt.size, IOVA_BULK);
				t0 = now_ns();
				check(side_map(s, buf, opt.size, IOVA_BULK), "map", s);
				t1_ = now_ns();
				check(side_unmap(s, IOVA_BULK, opt.size), "unmap", s);
				t2 = now_ns();
				if (s == FL)
					fl_finish(IOVA_BULK, opt.size);
				munmap(buf, opt.size);
				row_add(rm, s, ms_since(t0, t1_));
				row_add(ru, s, ms_since(t1_, t2));
			}
			say("# W2 %-4s rep %d: map %s ms (%s)\n",
			    backing_name[b], rep + 1,
			    rep_vals(rm, rep, 1, va, sizeof(va)),
			    legend(lg, sizeof(lg)));
		}
	}
}

/* ------------------------------------------------------------ W3 */

/* A 64-bit LCG (Knuth's MMIX constants): the same sequence on each side */
static uint64_t lcg(uint64_t *x)
{
	*x = *x * 6364136223846793005ULL + 1442695040888963407ULL;
	return *x >> 17;
}

/*
 * @n map/unmap pairs of @size bytes: each maps a pseudo-random slot of the
 * buffer at a pseudo-random slot of a 1 GiB IOVA window and unmaps it
 * again, as a guest driver behind a virtual IOMMU does per DMA.
 */
static int churn(enum side s, char *buf, uint64_t size, long n, uint64_t seed)
{
	uint64_t nva = CHURN_BUF / size, niova = CHURN_WINDOW / size, x = seed;
	int rc;

	for (long i = 0; i < n; i++) {
		uint64_t va_off = lcg(&x) % nva * size;
		uint64_t iova = IOVA_CHURN + lcg(&x) % niova * size;

		/* The floor pins what its IOAS maps at IOVA_FLOOR + va_off */
		if (s == FL)
			iova = IOVA_FLOOR + va_off;
		rc = side_map(s, buf + va_off, size, iova);
		if (!rc)
			rc = side_unmap(s, iova, size);
		if (rc)
			return rc;
	}
	return 0;
}

static void w3(void)
{
	static const uint64_t sizes[] = { 4 * KiB, 64 * KiB };
	char va[64], lg[32];
	char *buf;

	say("## W3 churn: %ld map/unmap pairs, %d reps\n", opt.churn, opt.reps);
	buf = buf_alloc(B_4K, CHURN_BUF, true);
	if (!buf)
		die("W3: mmap: %s", strerror(errno));
	for (size_t k = 0; k < ARRAY_SIZE(sizes); k++) {
		uint64_t size = sizes[k];
		char cs[24];
		struct row *r;
		struct counts c[2];

		snprintf(cs, sizeof(cs), "%" PRIu64 "k", size / KiB);
		r = row_new("W3", cs, "map+unmap pair", "us", TGT_RATIO_LE,
			    strcmp(cs, "4k") ? 1.0 : 0.9);
		for (int s = T1; s <= IO && opt.count && tracing_ok; s++) {
			count_begin();
			check(churn(s, buf, size, 1000, 1), "churn", s);
			count_end(&c[s], "W3", cs, s);
			counts_say(side_name[s], &c[s]);
		}
		if (opt.count && tracing_ok) {
			struct row *rf = row_new("W3", cs, "IOTLB syncs per pair", "n",
						 TGT_NONE, 0);

			for (int s = T1; s <= IO; s++)
				row_add(rf, s, (c[s].hits[P_SYNC] + c[s].hits[P_SYNC_MAP] +
						c[s].hits[P_FLUSH_ALL]) / 1000.0);
		}
		fl_prepare(buf, CHURN_BUF, IOVA_FLOOR);
		for (int rep = 0; rep < opt.reps; rep++) {
			uint64_t ns[NSIDES] = { 0 };

			/*
			 * The sides take turns every CHURN_BLOCKS-th of the
			 * pairs, so that each sees the same mix of the host's
			 * fast and slow seconds (bench.rst, W3)
			 */
			for (long b = 0; b < CHURN_BLOCKS; b++) {
				long n = opt.churn / CHURN_BLOCKS +
					 (b < opt.churn % CHURN_BLOCKS);

				for (int s = T1; s < nsides; s++) {
					uint64_t t0 = now_ns();

					check(churn(s, buf, size, n,
						    (rep + 2) * CHURN_BLOCKS + b),
					      "churn", s);
					ns[s] += now_ns() - t0;
				}
			}
			for (int s = T1; s < nsides; s++)
				row_add(r, s, ns[s] / 1e3 / opt.churn);
			say("# W3 %-3s rep %d: %s us per pair (%s)\n", cs, rep + 1,
			    rep_vals(r, rep, 2, va, sizeof(va)),
			    legend(lg, sizeof(lg)));
		}
		fl_finish(IOVA_FLOOR, CHURN_BUF);
	}
	munmap(buf, CHURN_BUF);
}

/* ------------------------------------------------------------ W4 */

struct par_arg {
	enum side s;
	char *va;
	uint64_t iova;
	long chunks;
	pthread_barrier_t *bar;
	int rc;
	uint64_t t0, t1;	/* when this thread started and finished */
};

static void *par_thread(void *data)
{
	struct par_arg *a = data;

	pthread_barrier_wait(a->bar);
	a->t0 = now_ns();
	for (long i = 0; i < a->chunks && !a->rc; i++)
		a->rc = side_map(a->s, a->va + i * PAR_CHUNK, PAR_CHUNK,
				 a->iova + i * PAR_CHUNK);
	a->t1 = now_ns();
	return NULL;
}

/*
 * Map opt.par bytes in PAR_CHUNK pieces with @nthreads threads; ms from
 * the first thread's start to the last one's end, as the threads see it:
 * the main thread may run late after the barrier on a busy host.
 */
static double par_run(enum side s, char *buf, int nthreads)
{
	long total = opt.par / PAR_CHUNK, per = total / nthreads;
	struct par_arg args[2];
	pthread_t th[2];
	pthread_barrier_t bar;
	uint64_t t0 = UINT64_MAX, t1_ = 0;
	int rc;

	pthread_barrier_init(&bar, NULL, nthreads + 1);
	for (int i = 0; i < nthreads; i++) {
		args[i] = (struct par_arg){
			.s = s,
			.va = buf + i * per * PAR_CHUNK,
			.iova = IOVA_PAR + i * per * PAR_CHUNK,
			.chunks = per,
			.bar = &bar,
		};
		if (pthread_create(&th[i], NULL, par_thread, &args[i]))
			die("pthread_create");
	}
	pthread_barrier_wait(&bar);
	for (int i = 0; i < nthreads; i++) {
		pthread_join(th[i], NULL);
		t0 = args[i].t0 < t0 ? args[i].t0 : t0;
		t1_ = args[i].t1 > t1_ ? args[i].t1 : t1_;
	}
	pthread_barrier_destroy(&bar);
	for (int i = 0; i < nthreads; i++)
		check(args[i].rc, "parallel map", s);
	rc = side_unmap(s, IOVA_PAR, per * nthreads * PAR_CHUNK);
	check(rc, "parallel unmap", s);
	return ms_since(t0, t1_);
}

static void w4(void)
{
	struct row *r1, *r2, *rx;
	char *buf;

	say("## W4 parallel: %" PRIu64 " MiB in %" PRIu64 " MiB maps, 1 vs 2 threads, %d reps\n",
	    opt.par / MiB, PAR_CHUNK / MiB, opt.reps);
	buf = buf_alloc(B_4K, opt.par, true);
	if (!buf)
		die("W4: mmap: %s", strerror(errno));
	r1 = row_new("W4", "4k", "1 thread", "ms", TGT_NONE, 0);
	r2 = row_new("W4", "4k", "2 threads", "ms", TGT_RATIO_LE, 1.0);
	rx = row_new("W4", "4k", "speedup 2 vs 1 thread", "x", TGT_IOASID_GE, 1.6);
	/*
	 * Counting run (one thread; two make the same calls), then the
	 * warm-up.  The syncs after map are the serial part under emulation.
	 */
	if (opt.count && tracing_ok) {
		struct counts c[2];

		for (int s = T1; s <= IO; s++) {
			count_begin();
			par_run(s, buf, 1);
			count_end(&c[s], "W4", "4k", s);
			counts_say(side_name[s], &c[s]);
		}
		count_rows("W4", "4k", c, false, true);
	}
	par_run(T1, buf, 1);
	par_run(IO, buf, 1);
	for (int rep = 0; rep < opt.reps; rep++) {
		for (int s = T1; s <= IO; s++) {
			double one = par_run(s, buf, 1);
			double two = par_run(s, buf, 2);

			row_add(r1, s, one);
			row_add(r2, s, two);
			row_add(rx, s, one / two);
		}
		say("# W4 rep %d: 1 thread %.1f / %.1f ms, 2 threads %.1f / %.1f ms (type1 / %s)\n",
		    rep + 1, r1->v[T1][rep], r1->v[IO][rep], r2->v[T1][rep],
		    r2->v[IO][rep], side_name[IO]);
	}
	munmap(buf, opt.par);
}

/* ------------------------------------------------------------ W5 */

static void w5(void)
{
	char *buf;
	long npages = SCALE_BUF / PSZ;

	say("## W5 scale: live 4 KiB mappings\n");
	buf = buf_alloc(B_4K, SCALE_BUF, true);
	if (!buf)
		die("W5: mmap: %s", strerror(errno));
	for (int k = 0; k < opt.nscale; k++) {
		long n = opt.scale[k];
		int reps = n > 200000 ? 1 : (opt.reps < 3 ? opt.reps : 3);
		struct row *rn, *rm, *ru, *rs;
		char cs[24];

		snprintf(cs, sizeof(cs), "%ld", n);
		rn = row_new("W5", cs, "mappings made", "n", TGT_IOASID_EQ, n);
		rm = row_new("W5", cs, "map per mapping", "us", TGT_RATIO_LE,
			     1.0);
		ru = row_new("W5", cs, "unmap all per mapping", "us",
			     TGT_RATIO_LE, 1.0);
		rs = row_new("W5", cs, "slab per mapping", "B", TGT_IOASID_LE,
			     128);
		for (int rep = 0; rep < reps; rep++) {
			for (int s = T1; s <= IO; s++) {
				long free0, free1, slab0, slab1, i;
				uint64_t t0, t1_, t2;
				int rc = 0;

				/* Let the last teardown's deferred frees land */
				sleep(1);
				free0 = proc_kb("/proc/meminfo", "MemFree");
				slab0 = proc_kb("/proc/meminfo", "Slab");
				t0 = now_ns();
				for (i = 0; i < n; i++) {
					rc = side_map(s, buf + (i % npages) * PSZ, PSZ,
						      IOVA_SCALE + i * PSZ);
					if (rc)
						break;
				}
				t1_ = now_ns();
				free1 = proc_kb("/proc/meminfo", "MemFree");
				slab1 = proc_kb("/proc/meminfo", "Slab");
				if (s == T1)
					check(t1_unmap_all(t1.container), "unmap all", s);
				else
					check(io_unmap(io.fd, io.ioas, 0, UINT64_MAX),
					      "unmap all", s);
				t2 = now_ns();
				row_add(rn, s, i);
				if (i) {
					row_add(rm, s, (t1_ - t0) / 1e3 / i);
					row_add(ru, s, (t2 - t1_) / 1e3 / i);
					row_add(rs, s, (slab1 - slab0) * 1024.0 / i);
				}
				if (rc) {
					snprintf(rn->note, sizeof(rn->note),
						 "%s stopped at %ld: %s", side_name[s], i,
						 strerror(rc));
				}
				say("# W5 %ld rep %d %s: %ld mapped%s%s, %.2f us each, slab %.0f B each (MemFree %.0f B), unmap all %.1f ms\n",
				    n, rep + 1, side_name[s], i, rc ? ", then " : "",
				    rc ? strerror(rc) : "",
				    i ? (t1_ - t0) / 1e3 / i : 0,
				    i ? (slab1 - slab0) * 1024.0 / i : 0,
				    i ? (free0 - free1) * 1024.0 / i : 0,
				    ms_since(t1_, t2));
			}
		}
	}
	munmap(buf, SCALE_BUF);
}

/* ------------------------------------------------------------ W6 */

/*
 * FOLL_PIN pins per page of [buf, buf + len), the same for every page; -1
 * when unknown (no test build)
 */
static int pins_per_page(void *buf, uint64_t len)
{
	if (opt.upstream)
		return -1;
	for (int refs = 0; refs < 5; refs++) {
		struct iommu_test_cmd cmd = { .op = IOMMU_TEST_OP_MD_CHECK_REFS };

		cmd.check_refs.length = len;
		cmd.check_refs.uptr = (uintptr_t)buf;
		cmd.check_refs.refs = refs;
		if (!test_cmd(fl.fd, &cmd))
			return refs;
	}
	return -1;
}

struct snap {
	long vmlck, vmpin, pinned, domains;
};

static void snap_take(struct snap *sn)
{
	sn->vmlck = proc_kb("/proc/self/status", "VmLck");
	sn->vmpin = proc_kb("/proc/self/status", "VmPin");
	sn->pinned = ioasid_stat("pinned");
	sn->domains = ioasid_stat("domains");
}

/*
 * The W6 cases.  W6_OWN: the second device gets a domain of its own holding
 * the same 1 GiB; type1 needs a second container with its own MAP_DMA,
 * ioasid allocates a second HWPT of the same IOAS (IOMMU_HWPT_ALLOC) and
 * attaches the device to it, which fills the new domain from the IOAS.
 * W6_COPY (ioasid only): the way W6_OWN was measured before ioasid had
 * IOMMU_HWPT_ALLOC, a second IOAS filled by IOMMU_IOAS_COPY.
 */
enum w6_case { W6_SAME, W6_OWN, W6_COPY, W6_NCASES };
static const char *const w6_name[W6_NCASES] = { "same-ioas", "own-domain",
						"own-ioas-copy" };

struct w6_time {
	double total;	/* from opening the device to DMA-ready */
	double domain;	/* the domain: allocation, attach and fill */
};

/*
 * One W6 attach on side @s: the IOAS/container already maps @buf.  The
 * second device is gone again afterwards.  *@after is taken while it is
 * attached.
 */
static struct w6_time w6_attach(enum side s, char *buf, enum w6_case cs,
				int *pins, struct snap *after)
{
	struct w6_time t = { 0 };
	uint64_t t0, ta, tb, tc, td;
	int rc;

	if (s == T1) {
		struct type1 t2 = { .container = -1 };
		bool own = cs != W6_SAME;
		int g2, dev2;

		t0 = now_ns();
		ta = tb = t0;
		if (own) {
			t1_open_container(&t2, opt.t1_bdf[1]);
			g2 = t2.group;
			ta = now_ns();
			t1_set_iommu(&t2);
			tb = now_ns();
		} else {
			g2 = t1_open_group(opt.t1_bdf[1]);
			rc = xioctl(g2, VFIO_GROUP_SET_CONTAINER, &t1.container);
			check(rc, "VFIO_GROUP_SET_CONTAINER", s);
		}
		/* The device fd, as ioasid's side opens and binds the cdev */
		dev2 = ioctl(g2, VFIO_GROUP_GET_DEVICE_FD, opt.t1_bdf[1]);
		if (dev2 < 0)
			die("VFIO_GROUP_GET_DEVICE_FD %s: %s", opt.t1_bdf[1],
			    strerror(errno));
		tc = now_ns();
		if (own) {
			rc = t1_map(t2.container, buf, opt.size, IOVA_BULK);
			check(rc, "map into a second container", s);
		}
		td = now_ns();
		t.total = ms_since(t0, td);
		t.domain = ms_since(ta, tb) + ms_since(tc, td);
		*pins = pins_per_page(buf, opt.size);
		snap_take(after);
		close(dev2);
		if (own) {
			t1_unmap_all(t2.container);
			t1_close(&t2);
		} else {
			ioctl(g2, VFIO_GROUP_UNSET_CONTAINER);
			close(g2);
		}
	} else {
		__u32 devid, pt = io.ioas, hwpt2, ioas2 = 0;
		int dfd2;

		t0 = now_ns();
		dfd2 = io_dev_bind(io.fd, opt.io_bdf[1], &devid);
		ta = now_ns();
		if (cs == W6_OWN) {
			pt = io_hwpt_alloc(io.fd, devid, io.ioas);
		} else if (cs == W6_COPY) {
			ioas2 = io_ioas_alloc(io.fd);
			pt = ioas2;
		}
		io_dev_attach_pt(dfd2, opt.io_bdf[1], pt, &hwpt2);
		if (cs == W6_COPY) {
			rc = io_copy(io.fd, ioas2, io.ioas, IOVA_BULK, opt.size);
			check(rc, "IOMMU_IOAS_COPY", s);
		}
		tb = now_ns();
		t.total = ms_since(t0, tb);
		t.domain = ms_since(ta, tb);
		*pins = pins_per_page(buf, opt.size);
		snap_take(after);
		if (cs == W6_SAME && hwpt2 != io.hwpt)
			say("# W6: the second device got its own HWPT %u\n", hwpt2);
		if (cs == W6_OWN && hwpt2 != pt)
			die("W6: attached to HWPT %u, not the allocated %u", hwpt2,
			    pt);
		close(dfd2);
		if (cs == W6_OWN)
			io_destroy(io.fd, pt, "HWPT");
		else if (cs == W6_COPY)
			io_destroy(io.fd, ioas2, "IOAS");
	}
	return t;
}

static void w6(void)
{
	char *buf;

	if (!opt.t1_bdf[1][0] || !opt.io_bdf[1][0]) {
		say("## W6 skipped: needs a second device on each side\n");
		return;
	}
	say("## W6 second device on an IOAS/container mapping %" PRIu64 " MiB, %d reps\n",
	    opt.size / MiB, opt.reps);
	buf = buf_alloc(B_4K, opt.size, true);
	if (!buf)
		die("W6: mmap: %s", strerror(errno));
	for (int cs = 0; cs < W6_NCASES; cs++) {
		const char *name = w6_name[cs];
		struct row *rt, *rd = NULL, *rp, *rl, *rv, *rk, *rn;
		/* The COPY variant is ioasid's alone; type1 is own-domain's */
		int first = cs == W6_COPY ? IO : T1;
		struct counts c[2];

		rt = row_new("W6", name, cs == W6_SAME ? "open+attach" :
			     "open+domain+fill", "ms", TGT_NONE, 0);
		if (cs != W6_SAME)
			rd = row_new("W6", name, "domain+fill", "ms", TGT_NONE, 0);
		if (cs == W6_OWN) {
			snprintf(rt->note, sizeof(rt->note),
				 "%s: IOMMU_HWPT_ALLOC in the same IOAS",
				 side_name[IO]);
			snprintf(rd->note, sizeof(rd->note),
				 "type1 SET_IOMMU + MAP_DMA; %s HWPT_ALLOC + ATTACH",
				 side_name[IO]);
		} else if (cs == W6_COPY) {
			snprintf(rt->note, sizeof(rt->note),
				 "%s only: second IOAS + IOMMU_IOAS_COPY",
				 side_name[IO]);
			snprintf(rd->note, sizeof(rd->note),
				 "%s IOAS_ALLOC + ATTACH + IOAS_COPY", side_name[IO]);
		}
		rp = row_new("W6", name, "pins per page", "n", TGT_IOASID_EQ, 1);
		rl = row_new("W6", name, "VmLck added", "MiB", TGT_IOASID_EQ, 0);
		rv = row_new("W6", name, "VmPin added", "MiB", TGT_IOASID_EQ, 0);
		rk = row_new("W6", name, "ioasid pinned pages added", "n",
			     TGT_IOASID_EQ, 0);
		rn = row_new("W6", name, "ioasid domains added", "n",
			     TGT_IOASID_EQ, cs == W6_SAME ? 0 : 1);
		for (int s = first; s <= IO && opt.count && tracing_ok; s++) {
			struct snap after;
			int pins;

			check(side_map(s, buf, opt.size, IOVA_BULK), "map", s);
			count_begin();
			w6_attach(s, buf, cs, &pins, &after);
			count_end(&c[s], "W6", name, s);
			counts_say(side_name[s], &c[s]);
			check(side_unmap(s, IOVA_BULK, opt.size), "unmap", s);
		}
		if (opt.count && tracing_ok) {
			if (first == IO)
				memset(&c[T1], 0, sizeof(c[T1]));
			count_rows_from("W6", name, c, true, true, first);
		}
		for (int rep = 0; rep < opt.reps; rep++) {
			for (int s = first; s <= IO; s++) {
				struct snap before, after;
				struct w6_time t;
				int pins;

				check(side_map(s, buf, opt.size, IOVA_BULK), "map", s);
				snap_take(&before);
				t = w6_attach(s, buf, cs, &pins, &after);
				check(side_unmap(s, IOVA_BULK, opt.size), "unmap", s);
				row_add(rt, s, t.total);
				if (rd)
					row_add(rd, s, t.domain);
				if (pins >= 0)
					row_add(rp, s, pins);
				row_add(rl, s, (after.vmlck - before.vmlck) / 1024.0);
				row_add(rv, s, (after.vmpin - before.vmpin) / 1024.0);
				if (s == IO && before.pinned >= 0 &&
				    after.pinned >= 0) {
					row_add(rk, s, after.pinned - before.pinned);
					row_add(rn, s, after.domains - before.domains);
				}
				if (opt.upstream) {
					/* No pin count, no ioasid counters */
					say("# W6 %s rep %d %s: %.1f ms (domain %.1f ms), VmLck +%ld kB, VmPin +%ld kB\n",
					    name, rep + 1, side_name[s], t.total,
					    t.domain, after.vmlck - before.vmlck,
					    after.vmpin - before.vmpin);
					continue;
				}
				say("# W6 %s rep %d %s: %.1f ms (domain %.1f ms), %d pins per page, VmLck +%ld kB, VmPin +%ld kB, ioasid pinned +%ld pages, domains +%ld\n",
				    name, rep + 1, side_name[s], t.total, t.domain,
				    pins, after.vmlck - before.vmlck,
				    after.vmpin - before.vmpin,
				    after.pinned - before.pinned,
				    after.domains - before.domains);
			}
		}
	}
	munmap(buf, opt.size);
}

/* ------------------------------------------------------------ main */

static void parse_pair(const char *arg, char out[2][32])
{
	const char *comma = strchr(arg, ',');

	if (comma) {
		snprintf(out[0], 32, "%.*s", (int)(comma - arg), arg);
		snprintf(out[1], 32, "%s", comma + 1);
	} else {
		snprintf(out[0], 32, "%s", arg);
		out[1][0] = 0;
	}
}

static void parse_scale(const char *arg)
{
	char *end;

	opt.nscale = 0;
	while (*arg && opt.nscale < 4) {
		opt.scale[opt.nscale++] = strtol(arg, &end, 0);
		arg = *end == ',' ? end + 1 : end;
		if (end == arg && *arg)
			die("bad --scale");
	}
}

/*
 * --check-verdicts: the verdicts of ratio targets on made-up rows, for
 * make check (tools/testing/bench/test-trust.sh); exits 0 if all agree
 */
static int check_verdicts(void)
{
	static const struct {
		const char *name;
		int n;
		double t1[6], io[6];
		const char *want;
	} c[] = {
		{ "medians-meet", 5, { 10, 10, 10, 10, 10 },
		  { 9, 9, 9, 9, 9 }, "yes" },
		{ "all-five-above", 5, { 10, 10, 10, 10, 10 },
		  { 10.2, 10.1, 10.3, 10.2, 10.4 }, "NO" },
		{ "four-of-five-above", 5, { 10, 10, 10, 10, 10 },
		  { 10.2, 10.1, 10.3, 10.2, 9.5 }, "noise" },
		{ "mixed-reps", 5, { 10, 12, 10, 13, 10 },
		  { 11, 9, 10.5, 9, 10.3 }, "noise" },
		{ "five-of-six-above", 6, { 10, 10, 10, 10, 10, 10 },
		  { 11, 11, 11, 11, 11, 9 }, "noise" },
		{ "three-reps-medians-decide", 3, { 10, 10, 10 },
		  { 10.1, 9, 10.2 }, "NO" },
		{ "ties-left-out", 6, { 10, 10, 10, 10, 10, 10 },
		  { 11, 11, 11, 11, 10, 10 }, "NO" },
	};
	int bad = 0;

	for (size_t i = 0; i < ARRAY_SIZE(c); i++) {
		struct row r = { .tk = TGT_RATIO_LE, .tval = 1.0 };
		const char *got;

		r.n[T1] = r.n[IO] = c[i].n;
		memcpy(r.v[T1], c[i].t1, sizeof(c[i].t1));
		memcpy(r.v[IO], c[i].io, sizeof(c[i].io));
		got = met_str(&r);
		printf("%s verdict/%s %s\n", strcmp(got, c[i].want) ? "FAIL" : "PASS",
		       c[i].name, got);
		bad += !!strcmp(got, c[i].want);
	}
	return bad ? 1 : 0;
}

static void usage(void)
{
	fputs("usage: ioasid-bench --type1 BDF[,BDF2] --ioasid BDF[,BDF2] --out DIR\n"
	      "       [--reps N] [--size BYTES] [--churn N] [--scale N,N]\n"
	      "       [--par BYTES] [--only W1,W2,...] [--no-count] [--upstream]\n"
	      "       ioasid-bench --check-verdicts\n",
	      stderr);
	exit(2);
}

/* A non-empty environment variable, or NULL */
static const char *env(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

static void env_defaults(void)
{
	const char *v;

	v = env("BENCH_REPS");
	if (v)
		opt.reps = atoi(v);
	v = env("BENCH_SIZE");
	if (v)
		opt.size = strtoull(v, NULL, 0);
	v = env("BENCH_CHURN");
	if (v)
		opt.churn = strtol(v, NULL, 0);
	v = env("BENCH_SCALE");
	if (v)
		parse_scale(v);
	v = env("BENCH_PAR");
	if (v)
		opt.par = strtoull(v, NULL, 0);
	v = env("BENCH_ONLY");
	if (v)
		snprintf(opt.only, sizeof(opt.only), "%s", v);
	v = env("BENCH_NOCOUNT");
	if (v && *v == '1')
		opt.count = false;
	v = env("BENCH_UPSTREAM");
	if (v && *v == '1')
		opt.upstream = true;
	v = env("IOASID_IOMMU");
	snprintf(opt.iommu, sizeof(opt.iommu), "%s", v ? v : "unknown");
}

/*
 * Charge pinned memory on both sides: without CAP_IPC_LOCK, with an
 * unlimited RLIMIT_MEMLOCK so nothing is refused.
 */
static void drop_ipc_lock(void)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2];
	struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };

	if (setrlimit(RLIMIT_MEMLOCK, &rl))
		die("setrlimit(RLIMIT_MEMLOCK): %s", strerror(errno));
	if (syscall(SYS_capget, &h, d))
		die("capget: %s", strerror(errno));
	d[CAP_TO_INDEX(CAP_IPC_LOCK)].effective &= ~CAP_TO_MASK(CAP_IPC_LOCK);
	if (syscall(SYS_capset, &h, d))
		die("capset: %s", strerror(errno));
}

int main(int argc, char **argv)
{
	char path[512];
	uint64_t start = now_ns();

	env_defaults();
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--no-count")) {
			opt.count = false;
			continue;
		}
		if (!strcmp(a, "--upstream")) {
			opt.upstream = true;
			continue;
		}
		if (!strcmp(a, "--check-verdicts"))
			return check_verdicts();
		if (!v)
			usage();
		i++;
		if (!strcmp(a, "--type1"))
			parse_pair(v, opt.t1_bdf);
		else if (!strcmp(a, "--ioasid"))
			parse_pair(v, opt.io_bdf);
		else if (!strcmp(a, "--out"))
			opt.outdir = v;
		else if (!strcmp(a, "--reps"))
			opt.reps = atoi(v);
		else if (!strcmp(a, "--size"))
			opt.size = strtoull(v, NULL, 0);
		else if (!strcmp(a, "--churn"))
			opt.churn = strtol(v, NULL, 0);
		else if (!strcmp(a, "--scale"))
			parse_scale(v);
		else if (!strcmp(a, "--par"))
			opt.par = strtoull(v, NULL, 0);
		else if (!strcmp(a, "--only"))
			snprintf(opt.only, sizeof(opt.only), "%s", v);
		else
			usage();
	}
	if (!opt.t1_bdf[0][0] || !opt.io_bdf[0][0] || !opt.outdir)
		usage();
	if (opt.reps < 1 || opt.reps > MAX_REPS)
		die("--reps must be 1..%d", MAX_REPS);
	if (opt.size % (2 * MiB) || !opt.size || !opt.par ||
	    opt.par % (2 * PAR_CHUNK))
		die("--size must be a multiple of 2 MiB, --par of 2 MiB");
	mkdir(opt.outdir, 0755);

	snprintf(path, sizeof(path), "%s/samples.csv", opt.outdir);
	samples_csv = fopen(path, "w");
	snprintf(path, sizeof(path), "%s/counts.csv", opt.outdir);
	counts_csv = fopen(path, "w");
	if (!samples_csv || !counts_csv)
		die("cannot write in %s", opt.outdir);
	fprintf(samples_csv, "iommu,workload,case,metric,unit,side,rep,value\n");
	fprintf(counts_csv, "iommu,workload,case,side,counter,pgsize,calls,pages\n");

	if (opt.upstream) {
		side_name[IO] = "iommufd";
		nsides = FL;
	}
	drop_ipc_lock();
	t1_open(&t1, opt.t1_bdf[0]);
	io_open(&io, opt.io_bdf[0]);
	if (nsides > FL)
		fl_open(&fl);
	if (opt.count)
		trace_setup();
	say("# ioasid-bench on %s: type1 %s (group %d), %s %s (HWPT %u); reps %d, size %" PRIu64 " MiB\n",
	    opt.iommu, opt.t1_bdf[0], group_of(opt.t1_bdf[0]), side_name[IO],
	    opt.io_bdf[0], io.hwpt, opt.reps, opt.size / MiB);

	if (want("W1"))
		w1();
	if (want("W2"))
		w2();
	if (want("W3"))
		w3();
	if (want("W4"))
		w4();
	if (want("W5"))
		w5();
	if (want("W6"))
		w6();

	if (opt.count)
		trace_teardown();
	fclose(samples_csv);
	fclose(counts_csv);
	say("# done in %.0f s\n", (now_ns() - start) / 1e9);
	emit_results();
	if (nsides > FL) {
		close(fl.access);
		close(fl.fd);
	}
	close(io.dfd);
	close(io.fd);
	t1_close(&t1);
	return 0;
}
