// SPDX-License-Identifier: GPL-2.0-only
/*
 * Accounting of pinned pages against RLIMIT_MEMLOCK.
 *
 * Tests that need an unprivileged user fork a child that opens /dev/ioasid
 * as root, lowers RLIMIT_MEMLOCK, becomes uid 65534 (losing CAP_IPC_LOCK)
 * and then maps.  The child reports the first failed check through a pipe.
 */
#include <stdarg.h>
#include <sys/resource.h>

#include "ioasid_utils.h"

#define NOBODY 65534
#define LIMIT_PAGES 16

FIXTURE(account) {
	int fd;
	void *buf;
	size_t buf_size;
	struct ioasid_env env;
};

FIXTURE_SETUP(account)
{
	env_begin(&self->env);
	self->fd = ioasid_open();
	ASSERT_LE(0, self->fd);
	self->buf_size = 256 * PSZ;
	self->buf = alloc_buffer(self->buf_size, HUGE_SZ, 0);
	ASSERT_NE(NULL, self->buf);
	/* Keep THP out of the page counts */
	ASSERT_EQ(0, madvise(self->buf, self->buf_size, MADV_NOHUGEPAGE));
}

FIXTURE_TEARDOWN(account)
{
	munmap(self->buf, self->buf_size);
	if (self->fd >= 0)
		close(self->fd);
	env_end(&self->env);
}

/* Failure reports of a child, one line through a pipe */
static int report_fd = -1;

static void child_fail(const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (write(report_fd, msg, n) < 0)
		_exit(2);
	_exit(1);
}

#define CHILD_CHECK(cond, ...)                                               \
	do {                                                                 \
		if (!(cond))                                                 \
			child_fail("line %d: " __VA_ARGS__);                 \
	} while (0)

/* Become an unprivileged user with a memlock limit of @pages pages */
static void child_drop_privileges(unsigned long pages)
{
	struct rlimit rl = { pages * PSZ, pages * PSZ };

	/* /proc/self/status cannot be opened by the new user */
	proc_status_keep_open();
	CHILD_CHECK(!setrlimit(RLIMIT_MEMLOCK, &rl), "setrlimit", __LINE__);
	CHILD_CHECK(!setresgid(NOBODY, NOBODY, NOBODY), "setresgid", __LINE__);
	CHILD_CHECK(!setresuid(NOBODY, NOBODY, NOBODY), "setresuid", __LINE__);
}

/* Run @fn in a child; the test fails with the child's report */
#define RUN_CHILD(fn, ...)                                                   \
	do {                                                                 \
		int pipefd[2], status;                                       \
		char msg[256] = "";                                          \
		pid_t pid;                                                   \
		ASSERT_EQ(0, pipe(pipefd));                                  \
		pid = fork();                                                \
		ASSERT_LE(0, pid);                                           \
		if (!pid) {                                                  \
			close(pipefd[0]);                                    \
			report_fd = pipefd[1];                               \
			fn(__VA_ARGS__);                                     \
			_exit(0);                                            \
		}                                                            \
		close(pipefd[1]);                                            \
		ASSERT_EQ(pid, waitpid(pid, &status, 0));                    \
		if (read(pipefd[0], msg, sizeof(msg) - 1) < 0)               \
			msg[0] = 0;                                          \
		close(pipefd[0]);                                            \
		if (msg[0])                                                  \
			TH_LOG("child: %s", msg);                            \
		ASSERT_TRUE(WIFEXITED(status));                              \
		ASSERT_EQ(0, WEXITSTATUS(status));                           \
	} while (0)

static long kb(unsigned long pages)
{
	return pages * PSZ / 1024;
}

/* Root pins are not charged (CAP_IPC_LOCK) but show in VmPin */
TEST_F(account, root_pins_show_in_vmpin)
{
	struct ioasid_counters c0, c1;
	long pin0 = proc_status_kb("VmPin");
	__u32 ioas, stdev;

	ASSERT_LE(0, pin0);
	ASSERT_EQ(0, read_counters(&c0));
	ASSERT_EQ(0, ioas_alloc(self->fd, &ioas));
	/* No domain: nothing is pinned yet */
	ASSERT_EQ(0, ioas_map(self->fd, ioas, self->buf, 64 * PSZ,
			      MOCK_APERTURE_START));
	EXPECT_EQ(pin0, proc_status_kb("VmPin"));
	EXPECT_EQ(0, check_refs(self->fd, self->buf, 64 * PSZ, 0));

	/* The first domain pins */
	ASSERT_EQ(0, mock_domain(self->fd, ioas, &stdev, NULL, NULL));
	EXPECT_EQ(pin0 + kb(64), proc_status_kb("VmPin"));
	ASSERT_EQ(0, read_counters(&c1));
	EXPECT_EQ(c0.pinned + 64, c1.pinned);
	EXPECT_EQ(c0.charged, c1.charged);

	/* The last domain leaving unpins, the mapping stays */
	ASSERT_EQ(0, destroy_obj(self->fd, stdev));
	EXPECT_EQ(pin0, proc_status_kb("VmPin"));
	EXPECT_EQ(0, check_refs(self->fd, self->buf, 64 * PSZ, 0));
	ASSERT_EQ(0, mock_domain(self->fd, ioas, NULL, NULL, NULL));
	EXPECT_EQ(pin0 + kb(64), proc_status_kb("VmPin"));
	ASSERT_EQ(0, ioas_unmap(self->fd, ioas, 0, UINT64_MAX, NULL));
	EXPECT_EQ(pin0, proc_status_kb("VmPin"));
}

/* Root beyond its memlock limit: CAP_IPC_LOCK exempts it */
static void root_ignores_limit(void *buf)
{
	struct rlimit rl = { PSZ, PSZ };
	__u32 ioas;
	int fd;

	CHILD_CHECK(!setrlimit(RLIMIT_MEMLOCK, &rl), "setrlimit", __LINE__);
	fd = ioasid_open();
	CHILD_CHECK(fd >= 0, "open", __LINE__);
	CHILD_CHECK(!ioas_alloc(fd, &ioas), "alloc", __LINE__);
	CHILD_CHECK(!mock_domain(fd, ioas, NULL, NULL, NULL), "mock", __LINE__);
	CHILD_CHECK(!ioas_map(fd, ioas, buf, 128 * PSZ, MOCK_APERTURE_START),
		    "map beyond the limit as root", __LINE__);
	close(fd);
}

TEST_F(account, cap_ipc_lock_exempt)
{
	RUN_CHILD(root_ignores_limit, self->buf);
}

/*
 * User mode: the limit is shared by all processes of the user, so two
 * IOASes together hit it; VmLck stays zero.
 */
static void user_mode_limit(void *buf)
{
	long lck0, pin0;
	__u32 a, b;
	int fd, rc;

	fd = ioasid_open();
	CHILD_CHECK(fd >= 0, "open", __LINE__);
	child_drop_privileges(LIMIT_PAGES);
	lck0 = proc_status_kb("VmLck");
	pin0 = proc_status_kb("VmPin");
	CHILD_CHECK(!ioas_alloc(fd, &a) && !ioas_alloc(fd, &b), "alloc",
		    __LINE__);
	CHILD_CHECK(!mock_domain(fd, a, NULL, NULL, NULL) &&
			    !mock_domain(fd, b, NULL, NULL, NULL),
		    "mock domains", __LINE__);
	rc = ioas_map(fd, a, buf, LIMIT_PAGES / 2 * PSZ, MOCK_APERTURE_START);
	CHILD_CHECK(!rc, "map half the limit: %d", __LINE__, rc);
	rc = ioas_map(fd, b, (char *)buf + LIMIT_PAGES / 2 * PSZ,
		      LIMIT_PAGES / 2 * PSZ, MOCK_APERTURE_START);
	CHILD_CHECK(!rc, "map the other half: %d", __LINE__, rc);
	CHILD_CHECK(proc_status_kb("VmPin") == pin0 + kb(LIMIT_PAGES),
		    "VmPin %ld", __LINE__, proc_status_kb("VmPin"));
	CHILD_CHECK(proc_status_kb("VmLck") == lck0, "VmLck %ld", __LINE__,
		    proc_status_kb("VmLck"));

	/* One page more fails and leaves nothing behind */
	rc = ioas_map(fd, a, (char *)buf + LIMIT_PAGES * PSZ, PSZ,
		      MOCK_APERTURE_START + LIMIT_PAGES * PSZ);
	CHILD_CHECK(rc == ENOMEM, "map past the limit: %d", __LINE__, rc);
	CHILD_CHECK(proc_status_kb("VmPin") == pin0 + kb(LIMIT_PAGES),
		    "VmPin after ENOMEM %ld", __LINE__,
		    proc_status_kb("VmPin"));
	CHILD_CHECK(ioas_unmap(fd, a, MOCK_APERTURE_START + LIMIT_PAGES * PSZ,
			       PSZ, NULL) == ENOENT,
		    "failed map left an area", __LINE__);

	/* Unmapping returns the charge */
	CHILD_CHECK(!ioas_unmap(fd, b, 0, UINT64_MAX, NULL), "unmap", __LINE__);
	rc = ioas_map(fd, a, (char *)buf + LIMIT_PAGES * PSZ,
		      LIMIT_PAGES / 2 * PSZ, MOCK_APERTURE_START + 1024 * PSZ);
	CHILD_CHECK(!rc, "map after unmap: %d", __LINE__, rc);
	close(fd);
	CHILD_CHECK(proc_status_kb("VmPin") == pin0, "VmPin after close %ld",
		    __LINE__, proc_status_kb("VmPin"));
}

TEST_F(account, user_mode_limit)
{
	RUN_CHILD(user_mode_limit, self->buf);
}

/* mm mode (IOMMU_OPTION_RLIMIT_MODE = 1): VmLck shows the charge */
static int open_mm_mode(void)
{
	__u64 val = 1;
	int fd = ioasid_open();

	CHILD_CHECK(fd >= 0, "open", __LINE__);
	CHILD_CHECK(!ioasid_option(fd, IOMMU_OPTION_RLIMIT_MODE,
				   IOMMU_OPTION_OP_SET, 0, &val),
		    "RLIMIT_MODE", __LINE__);
	return fd;
}

static void mm_mode_limit(void *buf)
{
	long lck0;
	__u32 ioas, stdev;
	int fd, rc;

	fd = open_mm_mode();
	child_drop_privileges(LIMIT_PAGES);
	lck0 = proc_status_kb("VmLck");
	CHILD_CHECK(lck0 >= 0, "VmLck unreadable", __LINE__);
	CHILD_CHECK(!ioas_alloc(fd, &ioas), "alloc", __LINE__);

	/* Lazy: nothing charged until a domain needs the pages */
	rc = ioas_map(fd, ioas, buf, LIMIT_PAGES * PSZ, MOCK_APERTURE_START);
	CHILD_CHECK(!rc, "map: %d", __LINE__, rc);
	CHILD_CHECK(proc_status_kb("VmLck") == lck0, "VmLck before attach %ld",
		    __LINE__, proc_status_kb("VmLck"));
	CHILD_CHECK(!mock_domain(fd, ioas, &stdev, NULL, NULL), "mock",
		    __LINE__);
	CHILD_CHECK(proc_status_kb("VmLck") == lck0 + kb(LIMIT_PAGES),
		    "VmLck after attach %ld", __LINE__,
		    proc_status_kb("VmLck"));

	/* A second domain charges nothing more */
	CHILD_CHECK(!mock_domain(fd, ioas, NULL, NULL, NULL), "mock 2",
		    __LINE__);
	CHILD_CHECK(proc_status_kb("VmLck") == lck0 + kb(LIMIT_PAGES),
		    "VmLck with two domains %ld", __LINE__,
		    proc_status_kb("VmLck"));

	rc = ioas_map(fd, ioas, (char *)buf + LIMIT_PAGES * PSZ, PSZ,
		      MOCK_APERTURE_START + LIMIT_PAGES * PSZ);
	CHILD_CHECK(rc == ENOMEM, "map past the limit: %d", __LINE__, rc);
	CHILD_CHECK(proc_status_kb("VmLck") == lck0 + kb(LIMIT_PAGES),
		    "VmLck after ENOMEM %ld", __LINE__,
		    proc_status_kb("VmLck"));

	CHILD_CHECK(!ioas_unmap(fd, ioas, 0, UINT64_MAX, NULL), "unmap",
		    __LINE__);
	CHILD_CHECK(proc_status_kb("VmLck") == lck0, "VmLck after unmap %ld",
		    __LINE__, proc_status_kb("VmLck"));

	/* Closing returns every charge */
	rc = ioas_map(fd, ioas, buf, LIMIT_PAGES * PSZ, MOCK_APERTURE_START);
	CHILD_CHECK(!rc, "map again: %d", __LINE__, rc);
	close(fd);
	CHILD_CHECK(proc_status_kb("VmLck") == lck0, "VmLck after close %ld",
		    __LINE__, proc_status_kb("VmLck"));
}

TEST_F(account, mm_mode_limit)
{
	RUN_CHILD(mm_mode_limit, self->buf);
}

/*
 * Small mappings (one page each) of two pinners side by side: root, whom
 * CAP_IPC_LOCK exempts, then the same process as an unprivileged user.
 * One unmap of all of them uncharges each pinner exactly its own pages.
 */
static void small_maps_two_pinners(void *buf)
{
	long lck0, pin0;
	__u32 ioas;
	int fd, i, rc;

	fd = open_mm_mode();
	CHILD_CHECK(!ioas_alloc(fd, &ioas), "alloc", __LINE__);
	CHILD_CHECK(!mock_domain(fd, ioas, NULL, NULL, NULL), "mock",
		    __LINE__);
	lck0 = proc_status_kb("VmLck");
	pin0 = proc_status_kb("VmPin");
	for (i = 0; i < 8; i += 2) {
		rc = ioas_map(fd, ioas, (char *)buf + i * PSZ, PSZ,
			      MOCK_APERTURE_START + i * PSZ);
		CHILD_CHECK(!rc, "map page %d as root: %d", __LINE__, i, rc);
	}
	CHILD_CHECK(proc_status_kb("VmLck") == lck0, "VmLck as root %ld",
		    __LINE__, proc_status_kb("VmLck"));

	child_drop_privileges(LIMIT_PAGES);
	for (i = 1; i < 8; i += 2) {
		rc = ioas_map(fd, ioas, (char *)buf + i * PSZ, PSZ,
			      MOCK_APERTURE_START + i * PSZ);
		CHILD_CHECK(!rc, "map page %d as user: %d", __LINE__, i, rc);
	}
	CHILD_CHECK(proc_status_kb("VmLck") == lck0 + kb(4), "VmLck %ld",
		    __LINE__, proc_status_kb("VmLck"));
	CHILD_CHECK(proc_status_kb("VmPin") == pin0 + kb(8), "VmPin %ld",
		    __LINE__, proc_status_kb("VmPin"));
	CHILD_CHECK(!check_refs(fd, buf, 8 * PSZ, 1), "one pin per page",
		    __LINE__);

	CHILD_CHECK(!ioas_unmap(fd, ioas, 0, UINT64_MAX, NULL), "unmap",
		    __LINE__);
	CHILD_CHECK(proc_status_kb("VmLck") == lck0, "VmLck after unmap %ld",
		    __LINE__, proc_status_kb("VmLck"));
	CHILD_CHECK(proc_status_kb("VmPin") == pin0, "VmPin after unmap %ld",
		    __LINE__, proc_status_kb("VmPin"));
	CHILD_CHECK(!check_refs(fd, buf, 8 * PSZ, 0), "pins left", __LINE__);

	/* The limit holds for small mappings too, and close uncharges */
	for (i = 0; i < LIMIT_PAGES; i++) {
		rc = ioas_map(fd, ioas, (char *)buf + i * PSZ, PSZ,
			      MOCK_APERTURE_START + i * PSZ);
		CHILD_CHECK(!rc, "map page %d: %d", __LINE__, i, rc);
	}
	rc = ioas_map(fd, ioas, (char *)buf + i * PSZ, PSZ,
		      MOCK_APERTURE_START + i * PSZ);
	CHILD_CHECK(rc == ENOMEM, "map past the limit: %d", __LINE__, rc);
	close(fd);
	CHILD_CHECK(proc_status_kb("VmLck") == lck0, "VmLck after close %ld",
		    __LINE__, proc_status_kb("VmLck"));
	CHILD_CHECK(proc_status_kb("VmPin") == pin0, "VmPin after close %ld",
		    __LINE__, proc_status_kb("VmPin"));
}

TEST_F(account, small_maps_two_pinners)
{
	RUN_CHILD(small_maps_two_pinners, self->buf);
}

/* A domain attach that would exceed the limit fails and pins nothing */
static void mm_mode_attach_enomem(void *buf)
{
	long lck0;
	__u32 ioas;
	int fd, rc;

	fd = open_mm_mode();
	child_drop_privileges(LIMIT_PAGES);
	lck0 = proc_status_kb("VmLck");
	CHILD_CHECK(!ioas_alloc(fd, &ioas), "alloc", __LINE__);
	rc = ioas_map(fd, ioas, buf, 2 * LIMIT_PAGES * PSZ,
		      MOCK_APERTURE_START);
	CHILD_CHECK(!rc, "lazy map: %d", __LINE__, rc);
	rc = mock_domain(fd, ioas, NULL, NULL, NULL);
	CHILD_CHECK(rc == ENOMEM, "attach past the limit: %d", __LINE__, rc);
	CHILD_CHECK(proc_status_kb("VmLck") == lck0, "VmLck %ld", __LINE__,
		    proc_status_kb("VmLck"));
	CHILD_CHECK(!check_refs(fd, buf, 2 * LIMIT_PAGES * PSZ, 0),
		    "pins left", __LINE__);
	/* Within the limit the same IOAS attaches */
	CHILD_CHECK(!ioas_unmap(fd, ioas, MOCK_APERTURE_START,
				2 * LIMIT_PAGES * PSZ, NULL), "unmap",
		    __LINE__);
	rc = ioas_map(fd, ioas, buf, LIMIT_PAGES * PSZ, MOCK_APERTURE_START);
	CHILD_CHECK(!rc, "map: %d", __LINE__, rc);
	rc = mock_domain(fd, ioas, NULL, NULL, NULL);
	CHILD_CHECK(!rc, "attach: %d", __LINE__, rc);
	close(fd);
}

TEST_F(account, mm_mode_attach_enomem)
{
	RUN_CHILD(mm_mode_attach_enomem, self->buf);
}

/* COPY shares pages: no second charge, no second pin */
static void mm_mode_copy(void *buf)
{
	__u64 iova = MOCK_APERTURE_START;
	__u32 a, b;
	long lck0;
	int fd, rc;

	fd = open_mm_mode();
	child_drop_privileges(LIMIT_PAGES);
	lck0 = proc_status_kb("VmLck");
	CHILD_CHECK(!ioas_alloc(fd, &a) && !ioas_alloc(fd, &b), "alloc",
		    __LINE__);
	CHILD_CHECK(!mock_domain(fd, a, NULL, NULL, NULL) &&
			    !mock_domain(fd, b, NULL, NULL, NULL),
		    "mock", __LINE__);
	rc = ioas_map(fd, a, buf, LIMIT_PAGES * PSZ, iova);
	CHILD_CHECK(!rc, "map: %d", __LINE__, rc);
	rc = ioas_copy(fd, b, a, iova, LIMIT_PAGES * PSZ, &iova, MAP_FIXED_RW);
	CHILD_CHECK(!rc, "copy at the limit: %d", __LINE__, rc);
	CHILD_CHECK(proc_status_kb("VmLck") == lck0 + kb(LIMIT_PAGES),
		    "VmLck after copy %ld", __LINE__, proc_status_kb("VmLck"));
	CHILD_CHECK(!check_refs(fd, buf, LIMIT_PAGES * PSZ, 1), "pins",
		    __LINE__);

	/* The copy keeps the pages pinned and charged after the original goes */
	CHILD_CHECK(!ioas_unmap(fd, a, 0, UINT64_MAX, NULL), "unmap", __LINE__);
	CHILD_CHECK(proc_status_kb("VmLck") == lck0 + kb(LIMIT_PAGES),
		    "VmLck after unmapping the source %ld", __LINE__,
		    proc_status_kb("VmLck"));
	CHILD_CHECK(!ioas_unmap(fd, b, 0, UINT64_MAX, NULL), "unmap", __LINE__);
	CHILD_CHECK(proc_status_kb("VmLck") == lck0, "VmLck at the end %ld",
		    __LINE__, proc_status_kb("VmLck"));
	close(fd);
}

TEST_F(account, mm_mode_copy)
{
	RUN_CHILD(mm_mode_copy, self->buf);
}

/* Pages pinned by an in-kernel access are charged once as well */
static void mm_mode_access(void *buf)
{
	__u32 ioas, id1, id2;
	int fd, access_fd, rc;
	long lck0;

	fd = open_mm_mode();
	child_drop_privileges(LIMIT_PAGES);
	lck0 = proc_status_kb("VmLck");
	CHILD_CHECK(!ioas_alloc(fd, &ioas), "alloc", __LINE__);
	rc = ioas_map(fd, ioas, buf, LIMIT_PAGES * PSZ, MOCK_APERTURE_START);
	CHILD_CHECK(!rc, "map: %d", __LINE__, rc);
	rc = create_access(fd, ioas, MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
			   &access_fd);
	CHILD_CHECK(!rc, "access: %d", __LINE__, rc);
	rc = access_pages(fd, access_fd, MOCK_APERTURE_START, 4 * PSZ, buf, 0,
			  &id1);
	CHILD_CHECK(!rc, "pin: %d", __LINE__, rc);
	CHILD_CHECK(proc_status_kb("VmLck") == lck0 + kb(4), "VmLck %ld",
		    __LINE__, proc_status_kb("VmLck"));
	/* Overlapping pin: only the new pages count */
	rc = access_pages(fd, access_fd, MOCK_APERTURE_START + 2 * PSZ,
			  4 * PSZ, (char *)buf + 2 * PSZ, 0, &id2);
	CHILD_CHECK(!rc, "pin 2: %d", __LINE__, rc);
	CHILD_CHECK(proc_status_kb("VmLck") == lck0 + kb(6), "VmLck %ld",
		    __LINE__, proc_status_kb("VmLck"));
	/* A domain on top pins only what is missing */
	CHILD_CHECK(!mock_domain(fd, ioas, NULL, NULL, NULL), "mock", __LINE__);
	CHILD_CHECK(proc_status_kb("VmLck") == lck0 + kb(LIMIT_PAGES),
		    "VmLck with domain %ld", __LINE__, proc_status_kb("VmLck"));
	CHILD_CHECK(!check_refs(fd, buf, LIMIT_PAGES * PSZ, 1), "pins",
		    __LINE__);
	CHILD_CHECK(!destroy_access_pages(fd, access_fd, id1) &&
			    !destroy_access_pages(fd, access_fd, id2),
		    "unpin", __LINE__);
	close(access_fd);
	close(fd);
	CHILD_CHECK(proc_status_kb("VmLck") == lck0, "VmLck at the end %ld",
		    __LINE__, proc_status_kb("VmLck"));
}

TEST_F(account, mm_mode_access)
{
	RUN_CHILD(mm_mode_access, self->buf);
}

/* hugetlb memory is charged by its size in base pages */
static void mm_mode_hugetlb(void)
{
	void *huge;
	__u32 ioas;
	long lck0;
	int fd, rc;

	huge = mmap(NULL, HUGE_SZ, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_POPULATE,
		    -1, 0);
	CHILD_CHECK(huge != MAP_FAILED, "hugetlb mmap", __LINE__);
	fd = open_mm_mode();
	child_drop_privileges(HUGE_SZ / PSZ);
	lck0 = proc_status_kb("VmLck");
	CHILD_CHECK(!ioas_alloc(fd, &ioas), "alloc", __LINE__);
	CHILD_CHECK(!mock_domain(fd, ioas, NULL, NULL, NULL), "mock", __LINE__);
	rc = ioas_map(fd, ioas, huge, HUGE_SZ, MOCK_APERTURE_START);
	CHILD_CHECK(!rc, "map: %d", __LINE__, rc);
	CHILD_CHECK(proc_status_kb("VmLck") == lck0 + (long)(HUGE_SZ / 1024),
		    "VmLck %ld", __LINE__, proc_status_kb("VmLck"));
	CHILD_CHECK(!check_refs(fd, huge, HUGE_SZ, 1), "pins", __LINE__);
	close(fd);
	CHILD_CHECK(proc_status_kb("VmLck") == lck0, "VmLck at the end %ld",
		    __LINE__, proc_status_kb("VmLck"));
	munmap(huge, HUGE_SZ);
}

TEST_F(account, mm_mode_hugetlb)
{
	RUN_CHILD(mm_mode_hugetlb);
}

/* A process that exits with its mappings pinned returns everything */
static void exit_with_pins(void *buf)
{
	__u32 ioas;
	int fd;

	fd = open_mm_mode();
	child_drop_privileges(LIMIT_PAGES);
	CHILD_CHECK(!ioas_alloc(fd, &ioas), "alloc", __LINE__);
	CHILD_CHECK(!mock_domain(fd, ioas, NULL, NULL, NULL), "mock", __LINE__);
	CHILD_CHECK(!ioas_map(fd, ioas, buf, LIMIT_PAGES * PSZ,
			      MOCK_APERTURE_START), "map", __LINE__);
	/* No close: exit tears the context down */
}

TEST_F(account, exit_with_pins)
{
	/* env_end() proves the pins and charges came back */
	RUN_CHILD(exit_with_pins, self->buf);
}

TEST_HARNESS_MAIN
