/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers shared by the ioasid selftests.
 *
 * Every ioctl helper returns 0 on success or the errno of the failed call,
 * so a test reads ASSERT_EQ(ENOENT, ioas_unmap(...)).
 *
 * Every fixture calls env_begin() in its setup and env_end() in its
 * teardown, after closing its file descriptors.  env_end() fails the test
 * if the module's counters (objects, pinned and charged pages, owned groups,
 * domains) did not come back to where they started, or if the kernel logged
 * a warning, a BUG or an oops while the test ran.
 */
#ifndef __IOASID_UTILS_H
#define __IOASID_UTILS_H

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/ioasid.h>
#include "../../../../drivers/ioasid/ioasid_test.h"

/*
 * The kselftest harness defines functions and keeps its list of tests in
 * static variables: a suite of several files (see the Makefile) includes it
 * in the file with the tests only.  Its other files define
 * IOASID_NO_HARNESS before including this header, and get neither the
 * harness nor the helpers below that need it (no TEST, ASSERT, EXPECT,
 * TH_LOG or env_begin() there).
 */
#ifdef IOASID_NO_HARNESS
#include "kselftest.h"
#else
#include "kselftest_harness.h"
#endif

#define IOASID_DEV "/dev/ioasid"
#define IOASID_STATS "/sys/kernel/debug/ioasid/stats"
#define MAP_RW (IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE)
#define MAP_FIXED_RW (IOMMU_IOAS_MAP_FIXED_IOVA | MAP_RW)

static unsigned long PAGE_SIZE_;
#define PSZ PAGE_SIZE_
#define MOCK_PSZ (PAGE_SIZE_ / 2)
#define HUGE_SZ (2UL * 1024 * 1024)

static void __attribute__((constructor)) utils_init(void)
{
	PAGE_SIZE_ = sysconf(_SC_PAGESIZE);
}

/*
 * IOASID_TIME_SCALE=N in the environment (a word of the test VM's kernel
 * command line; scripts/check-debug.sh sets it for the debug kernel, which
 * runs the tests several times slower) stretches every wall-clock bound of
 * the tests N times: the harness' per-test timeouts here, and the default
 * fuzz and stress budgets and their watchdogs in fuzz_utils.h.  What a test
 * checks does not change, only how long it may take.
 */
static inline unsigned int time_scale(void)
{
	const char *s = getenv("IOASID_TIME_SCALE");
	unsigned long v;
	char *end;

	if (!s || !*s)
		return 1;
	v = strtoul(s, &end, 10);
	return *end || !v || v > 100 ? 1 : v;
}

#ifndef IOASID_NO_HARNESS
/*
 * The harness arms alarm(timeout) around each test; stretch those before
 * it runs (tests register from constructors, so main is the first place
 * where all of them are known).
 */
static inline int ioasid_harness_run(int argc, char **argv)
{
	unsigned int scale = time_scale();
	struct __fixture_metadata *f;
	struct __test_metadata *t;

	for (f = __fixture_list; scale > 1 && f; f = f->next)
		for (t = f->tests; t; t = t->next)
			t->timeout *= scale;
	if (scale > 1)
		printf("# IOASID_TIME_SCALE=%u: test timeouts stretched\n",
		       scale);
	return test_harness_run(argc, argv);
}

#undef TEST_HARNESS_MAIN
#define TEST_HARNESS_MAIN \
	int main(int argc, char **argv) \
	{ \
		return ioasid_harness_run(argc, argv); \
	}
#endif

static inline int xioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? errno : 0;
}

static inline int ioasid_open(void)
{
	return open(IOASID_DEV, O_RDWR | O_CLOEXEC);
}

static inline int destroy_obj(int fd, __u32 id)
{
	struct iommu_destroy cmd = { .size = sizeof(cmd), .id = id };

	return xioctl(fd, IOMMU_DESTROY, &cmd);
}

static inline int ioas_alloc(int fd, __u32 *id)
{
	struct iommu_ioas_alloc cmd = { .size = sizeof(cmd) };
	int rc = xioctl(fd, IOMMU_IOAS_ALLOC, &cmd);

	if (!rc)
		*id = cmd.out_ioas_id;
	return rc;
}

/* Map at a fixed IOVA; flags default to readable and writable */
static inline int ioas_map_flags(int fd, __u32 ioas, void *buf, __u64 length,
				 __u64 *iova, __u32 flags)
{
	struct iommu_ioas_map cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.ioas_id = ioas,
		.user_va = (uintptr_t)buf,
		.length = length,
		.iova = iova ? *iova : 0,
	};
	int rc = xioctl(fd, IOMMU_IOAS_MAP, &cmd);

	if (!rc && iova)
		*iova = cmd.iova;
	return rc;
}

static inline int ioas_map(int fd, __u32 ioas, void *buf, __u64 length,
			   __u64 iova)
{
	return ioas_map_flags(fd, ioas, buf, length, &iova, MAP_FIXED_RW);
}

/* Let the kernel choose the IOVA */
static inline int ioas_map_auto(int fd, __u32 ioas, void *buf, __u64 length,
				__u64 *iova)
{
	return ioas_map_flags(fd, ioas, buf, length, iova, MAP_RW);
}

static inline int ioas_unmap(int fd, __u32 ioas, __u64 iova, __u64 length,
			     __u64 *unmapped)
{
	struct iommu_ioas_unmap cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas,
		.iova = iova,
		.length = length,
	};
	int rc = xioctl(fd, IOMMU_IOAS_UNMAP, &cmd);

	if (!rc && unmapped)
		*unmapped = cmd.length;
	return rc;
}

static inline int ioas_copy(int fd, __u32 dst, __u32 src, __u64 src_iova,
			    __u64 length, __u64 *dst_iova, __u32 flags)
{
	struct iommu_ioas_copy cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.dst_ioas_id = dst,
		.src_ioas_id = src,
		.length = length,
		.dst_iova = *dst_iova,
		.src_iova = src_iova,
	};
	int rc = xioctl(fd, IOMMU_IOAS_COPY, &cmd);

	if (!rc)
		*dst_iova = cmd.dst_iova;
	return rc;
}

static inline int ioas_allow(int fd, __u32 ioas,
			     const struct iommu_iova_range *ranges, __u32 num)
{
	struct iommu_ioas_allow_iovas cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas,
		.num_iovas = num,
		.allowed_iovas = (uintptr_t)ranges,
	};

	return xioctl(fd, IOMMU_IOAS_ALLOW_IOVAS, &cmd);
}

/* *num: in capacity of @ranges, out number of ranges */
static inline int ioas_ranges(int fd, __u32 ioas,
			      struct iommu_iova_range *ranges, __u32 *num,
			      __u64 *alignment)
{
	struct iommu_ioas_iova_ranges cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas,
		.num_iovas = *num,
		.allowed_iovas = (uintptr_t)ranges,
	};
	int rc = xioctl(fd, IOMMU_IOAS_IOVA_RANGES, &cmd);

	*num = cmd.num_iovas;
	if (alignment)
		*alignment = cmd.out_iova_alignment;
	return rc;
}

/* The IOVA alignment an IOAS requires (IOMMU_IOAS_IOVA_RANGES) */
static inline int ioas_alignment(int fd, __u32 ioas, __u64 *align)
{
	struct iommu_iova_range ranges[8];
	__u32 num = 8;

	return ioas_ranges(fd, ioas, ranges, &num, align);
}

static inline int ioasid_option(int fd, __u32 option, __u16 op, __u32 obj,
				__u64 *val)
{
	struct iommu_option cmd = {
		.size = sizeof(cmd),
		.option_id = option,
		.op = op,
		.object_id = obj,
		.val64 = *val,
	};
	int rc = xioctl(fd, IOMMU_OPTION, &cmd);

	if (!rc)
		*val = cmd.val64;
	return rc;
}

static inline int test_cmd(int fd, struct iommu_test_cmd *cmd)
{
	cmd->size = sizeof(*cmd);
	return xioctl(fd, IOMMU_TEST_CMD, cmd);
}

/* A mock device attached to IOAS or HWPT @pt; any output may be NULL */
static inline int mock_domain(int fd, __u32 pt, __u32 *stdev, __u32 *hwpt,
			      __u32 *idev)
{
	struct iommu_test_cmd cmd = { .op = IOMMU_TEST_OP_MOCK_DOMAIN,
				      .id = pt };
	int rc = test_cmd(fd, &cmd);

	if (!rc) {
		if (stdev)
			*stdev = cmd.mock_domain.out_stdev_id;
		if (hwpt)
			*hwpt = cmd.mock_domain.out_hwpt_id;
		if (idev)
			*idev = cmd.mock_domain.out_idev_id;
	}
	return rc;
}

/*
 * Move mock device @stdev to IOAS or HWPT @pt_id (MOCK_DOMAIN_REPLACE);
 * *@out_pt, if not NULL, gets the HWPT it is attached to then
 */
static inline int mock_domain_replace(int fd, __u32 stdev, __u32 pt_id,
				      __u32 *out_pt)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE,
		.id = stdev,
		.mock_domain_replace = { .pt_id = pt_id },
	};
	int rc = test_cmd(fd, &cmd);

	if (!rc && out_pt)
		*out_pt = cmd.mock_domain_replace.pt_id;
	return rc;
}

/* mock_domain() for a mock device with MOCK_FLAGS_DEVICE_* @flags */
static inline int mock_domain_flags(int fd, __u32 pt, __u32 flags,
				    __u32 *stdev, __u32 *hwpt, __u32 *idev)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS,
		.id = pt,
		.mock_domain_flags = { .dev_flags = flags },
	};
	int rc = test_cmd(fd, &cmd);

	if (!rc) {
		if (stdev)
			*stdev = cmd.mock_domain_flags.out_stdev_id;
		if (hwpt)
			*hwpt = cmd.mock_domain_flags.out_hwpt_id;
		if (idev)
			*idev = cmd.mock_domain_flags.out_idev_id;
	}
	return rc;
}

static inline int add_reserved(int fd, __u32 ioas, __u64 start, __u64 length)
{
	struct iommu_test_cmd cmd = { .op = IOMMU_TEST_OP_ADD_RESERVED,
				      .id = ioas,
				      .add_reserved = { .start = start,
							.length = length } };

	return test_cmd(fd, &cmd);
}

static inline int check_map(int fd, __u32 hwpt, __u64 iova, void *buf,
			    __u64 length)
{
	struct iommu_test_cmd cmd = { .op = IOMMU_TEST_OP_MD_CHECK_MAP,
				      .id = hwpt,
				      .check_map = { .iova = iova,
						     .length = length,
						     .uptr = (uintptr_t)buf } };

	return test_cmd(fd, &cmd);
}

static inline int check_refs(int fd, void *buf, __u64 length, __u32 refs)
{
	struct iommu_test_cmd cmd = { .op = IOMMU_TEST_OP_MD_CHECK_REFS,
				      .check_refs = { .length = length,
						      .uptr = (uintptr_t)buf,
						      .refs = refs } };

	return test_cmd(fd, &cmd);
}

static inline int create_access(int fd, __u32 ioas, __u32 flags,
				int *access_fd)
{
	struct iommu_test_cmd cmd = { .op = IOMMU_TEST_OP_CREATE_ACCESS,
				      .id = ioas,
				      .create_access = { .flags = flags } };
	int rc = test_cmd(fd, &cmd);

	if (!rc)
		*access_fd = cmd.create_access.out_access_fd;
	return rc;
}

static inline int access_pages(int fd, int access_fd, __u64 iova,
			       __u64 length, void *uptr, __u32 flags,
			       __u32 *pages_id)
{
	struct iommu_test_cmd cmd = { .op = IOMMU_TEST_OP_ACCESS_PAGES,
				      .id = access_fd,
				      .access_pages = { .flags = flags,
							.iova = iova,
							.length = length,
							.uptr = (uintptr_t)uptr } };
	int rc = test_cmd(fd, &cmd);

	if (!rc && pages_id)
		*pages_id = cmd.access_pages.out_access_pages_id;
	return rc;
}

static inline int destroy_access_pages(int fd, int access_fd, __u32 pages_id)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_DESTROY_ACCESS_PAGES,
		.id = access_fd,
		.destroy_access_pages = { .access_pages_id = pages_id },
	};

	return test_cmd(fd, &cmd);
}

static inline int access_rw(int fd, int access_fd, __u64 iova, void *buf,
			    __u64 length, __u32 flags)
{
	struct iommu_test_cmd cmd = { .op = IOMMU_TEST_OP_ACCESS_RW,
				      .id = access_fd,
				      .access_rw = { .iova = iova,
						     .length = length,
						     .uptr = (uintptr_t)buf,
						     .flags = flags } };

	return test_cmd(fd, &cmd);
}

static inline int set_temp_memory_limit(int fd, __u32 limit)
{
	struct iommu_test_cmd cmd = { .op = IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT,
				      .memory_limit = { .limit = limit } };

	return test_cmd(fd, &cmd);
}

/* A fault queue: its FAULT object and its fd */
static inline int fault_alloc(int fd, __u32 *id, int *fault_fd)
{
	struct iommu_fault_alloc cmd = { .size = sizeof(cmd) };
	int rc = xioctl(fd, IOMMU_FAULT_QUEUE_ALLOC, &cmd);

	if (!rc) {
		*id = cmd.out_fault_id;
		*fault_fd = cmd.out_fault_fd;
	}
	return rc;
}

/* IOMMU_HWPT_ALLOC on an IOAS (or nested, with data) with a fault queue */
static inline int hwpt_alloc_fault(int fd, __u32 dev_id, __u32 pt_id,
				   __u32 fault_id, __u32 flags, __u32 *hwpt)
{
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd),
		.flags = flags | IOMMU_HWPT_FAULT_ID_VALID,
		.dev_id = dev_id,
		.pt_id = pt_id,
		.fault_id = fault_id,
	};
	int rc = xioctl(fd, IOMMU_HWPT_ALLOC, &cmd);

	if (!rc)
		*hwpt = cmd.out_hwpt_id;
	return rc;
}

/* Upstream's TRIGGER_IOPF: a page request of DEVICE @dev_id */
static inline int trigger_iopf(int fd, __u32 dev_id, __u32 pasid,
			       __u32 grpid, __u32 perm, __u64 addr)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_TRIGGER_IOPF,
		.trigger_iopf = { .dev_id = dev_id, .pasid = pasid,
				  .grpid = grpid, .perm = perm, .addr = addr },
	};

	return test_cmd(fd, &cmd);
}

/* Ours: @count DMA faults through report_iommu_fault(); *handled taken */
static inline int report_dma_fault(int fd, __u32 dev_id, __u64 iova,
				   __u32 flags, __u32 count, __u32 *handled)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_IOASID_REPORT_DMA_FAULT,
		.report_dma_fault = { .dev_id = dev_id, .flags = flags,
				      .iova = iova, .count = count },
	};
	int rc = test_cmd(fd, &cmd);

	if (!rc && handled)
		*handled = cmd.report_dma_fault.out_handled;
	return rc;
}

/* Counters of /sys/kernel/debug/ioasid/stats */
struct ioasid_counters {
	long contexts, objects, pages_objs, pinned, charged, groups, domains;
	long small_areas;	/* of pages_objs, small mappings */
	long map_calls;		/* ever increasing: iommu_map() calls made */
	long fault_records;	/* fault records alive in fault queues */
	long faults_dropped;	/* ever increasing: faults no user saw */
	long fault_responses;	/* ever increasing: page requests answered */
};

static inline int read_counters(struct ioasid_counters *c)
{
	char name[32];
	long val;
	FILE *f;

	memset(c, 0, sizeof(*c));
	f = fopen(IOASID_STATS, "r");
	if (!f)
		return errno;
	while (fscanf(f, "%31s %ld", name, &val) == 2) {
		if (!strcmp(name, "contexts"))
			c->contexts = val;
		else if (!strcmp(name, "objects"))
			c->objects = val;
		else if (!strcmp(name, "pages_objs"))
			c->pages_objs = val;
		else if (!strcmp(name, "small_areas"))
			c->small_areas = val;
		else if (!strcmp(name, "pinned"))
			c->pinned = val;
		else if (!strcmp(name, "charged"))
			c->charged = val;
		else if (!strcmp(name, "groups"))
			c->groups = val;
		else if (!strcmp(name, "domains"))
			c->domains = val;
		else if (!strcmp(name, "map_calls"))
			c->map_calls = val;
		else if (!strcmp(name, "fault_records"))
			c->fault_records = val;
		else if (!strcmp(name, "faults_dropped"))
			c->faults_dropped = val;
		else if (!strcmp(name, "fault_responses"))
			c->fault_responses = val;
	}
	fclose(f);
	return 0;
}

/* Counters right now (all ones if unreadable), to compare with a snapshot */
static inline struct ioasid_counters counters_now(void)
{
	struct ioasid_counters c;

	if (read_counters(&c))
		memset(&c, 0xff, sizeof(c));
	return c;
}

/*
 * /proc/self/status stays readable through a descriptor opened before the
 * process gave up root; seq_file regenerates it on every read from 0.
 */
static int proc_status_fd = -1;

static inline void proc_status_keep_open(void)
{
	if (proc_status_fd < 0)
		proc_status_fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
}

/* kB value of a /proc/self/status field, or -1 */
static inline long proc_status_kb(const char *field)
{
	size_t n = strlen(field);
	char text[4096];
	long val = -1;
	char *line;
	ssize_t len;
	int fd = proc_status_fd;

	if (fd < 0)
		fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	len = pread(fd, text, sizeof(text) - 1, 0);
	if (fd != proc_status_fd)
		close(fd);
	if (len <= 0)
		return -1;
	text[len] = 0;
	for (line = text; line; line = strchr(line, '\n')) {
		if (*line == '\n')
			line++;
		if (!strncmp(line, field, n) && line[n] == ':') {
			val = strtol(line + n + 1, NULL, 10);
			break;
		}
	}
	return val;
}

/* Kernel messages that mean the module (or the kernel) misbehaved */
static const char *const kmsg_bad[] = {
	"WARNING:", "BUG:", "Oops", "general protection", "refcount_t:",
	"UBSAN:", "KASAN:", "kernel BUG", "list_add corruption",
	"list_del corruption", "circular locking", "recursive locking",
	"suspicious RCU", "kmemleak:", "Call Trace:",
};

static inline int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

/* Number of bad messages since kmsg_open(); the first is copied to @first */
static inline int kmsg_scan(int fd, char *first, size_t len)
{
	char rec[2048];
	int bad = 0;
	ssize_t n;
	size_t i;

	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;
		if (n <= 0)
			break;
		rec[n] = 0;
		for (i = 0; i != sizeof(kmsg_bad) / sizeof(kmsg_bad[0]); i++) {
			if (!strstr(rec, kmsg_bad[i]))
				continue;
			if (!bad++)
				snprintf(first, len, "%s", rec);
			break;
		}
	}
	return bad;
}

#ifndef IOASID_NO_HARNESS
struct ioasid_env {
	int kmsg_fd;
	struct ioasid_counters start;
};

static inline void __env_begin(struct __test_metadata *_metadata,
			       struct ioasid_env *env)
{
	env->kmsg_fd = kmsg_open();
	ASSERT_LE(0, env->kmsg_fd);
	ASSERT_EQ(0, read_counters(&env->start));
}

/* After every fd of the test is closed: nothing leaked, nothing warned */
static inline void __env_end(struct __test_metadata *_metadata,
			     struct ioasid_env *env)
{
	struct ioasid_counters now;
	char first[2048] = "";

	EXPECT_EQ(0, read_counters(&now));
	EXPECT_EQ(env->start.contexts, now.contexts);
	EXPECT_EQ(env->start.objects, now.objects);
	EXPECT_EQ(env->start.pages_objs, now.pages_objs);
	EXPECT_EQ(env->start.small_areas, now.small_areas);
	EXPECT_EQ(env->start.pinned, now.pinned);
	EXPECT_EQ(env->start.charged, now.charged);
	EXPECT_EQ(env->start.groups, now.groups);
	EXPECT_EQ(env->start.domains, now.domains);
	EXPECT_EQ(env->start.fault_records, now.fault_records);
	EXPECT_EQ(0, kmsg_scan(env->kmsg_fd, first, sizeof(first)));
	if (first[0])
		TH_LOG("kernel: %s", first);
	close(env->kmsg_fd);
}

#define env_begin(env) __env_begin(_metadata, env)
#define env_end(env) __env_end(_metadata, env)
#endif

/* An anonymous mapping aligned to @align, not touched yet */
static inline void *mmap_aligned(size_t length, size_t align, int extra_flags)
{
	size_t total = length + align;
	char *raw, *buf;

	raw = mmap(NULL, total, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | extra_flags, -1, 0);
	if (raw == MAP_FAILED)
		return NULL;
	buf = (char *)(((uintptr_t)raw + align - 1) & ~(uintptr_t)(align - 1));
	if (buf != raw)
		munmap(raw, buf - raw);
	if (raw + total != buf + length)
		munmap(buf + length, raw + total - (buf + length));
	return buf;
}

/* An anonymous buffer aligned to @align, touched so it is populated */
static inline void *alloc_buffer(size_t length, size_t align, int extra_flags)
{
	char *buf = mmap_aligned(length, align, extra_flags);

	if (buf)
		memset(buf, 0, length);
	return buf;
}

/* Bytes that differ from their neighbours and from another @seed's */
static inline void fill_pattern(void *buf, size_t len, unsigned int seed)
{
	unsigned char *p = buf;
	size_t i;

	for (i = 0; i != len; i++)
		p[i] = (unsigned char)(i * 13 + seed + (i >> 8));
}

#endif
