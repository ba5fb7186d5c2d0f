// SPDX-License-Identifier: GPL-2.0-only
/*
 * Concurrency: threads racing map, unmap, copy, attach, detach, access
 * pins and destroy on one context must only ever see the documented
 * errnos, and must leave nothing pinned, charged or allocated.
 */
#include <pthread.h>
#include <time.h>

#include "ioasid_utils.h"

#define NTHREADS 4
#define BUF_PAGES 512
#define RUN_SECONDS 3

/* Pins of a buffer, checked on a fresh context after the test closed its own */
static int check_refs_fresh(void *buf, size_t length)
{
	int fd = ioasid_open();
	int rc;

	if (fd < 0)
		return errno;
	rc = check_refs(fd, buf, length, 0);
	close(fd);
	return rc;
}

FIXTURE(race) {
	int fd;
	char *buf;
	__u32 ioas[2];
	struct ioasid_env env;
};

FIXTURE_SETUP(race)
{
	env_begin(&self->env);
	self->fd = ioasid_open();
	ASSERT_LE(0, self->fd);
	self->buf = alloc_buffer(BUF_PAGES * PSZ, PSZ, 0);
	ASSERT_NE(NULL, self->buf);
	ASSERT_EQ(0, ioas_alloc(self->fd, &self->ioas[0]));
	ASSERT_EQ(0, ioas_alloc(self->fd, &self->ioas[1]));
}

FIXTURE_TEARDOWN(race)
{
	if (self->fd >= 0)
		close(self->fd);
	EXPECT_EQ(0, check_refs_fresh(self->buf, BUF_PAGES * PSZ));
	munmap(self->buf, BUF_PAGES * PSZ);
	env_end(&self->env);
}

struct worker {
	FIXTURE_DATA(race) *self;
	unsigned int seed;
	time_t until;
	unsigned long ops;
	int bad_errno;
	const char *bad_op;
	__u32 stdevs[8];
	unsigned int nstdevs;
};

static bool expected_errno(int rc)
{
	switch (rc) {
	case 0:
	case ENOENT:	/* range not mapped, or object gone */
	case EEXIST:	/* fixed IOVA already mapped */
	case EBUSY:	/* mapping being set up or torn down, object in use */
	case EINVAL:	/* pinning access in the middle of an unmap */
	case ENOSPC:	/* no room for an automatic IOVA */
	case EADDRINUSE: /* an automatic IOVA below the mock aperture */
		return true;
	}
	return false;
}

#define CHECK_OP(w, name, call)                                              \
	do {                                                                 \
		int __rc = (call);                                           \
		if (!expected_errno(__rc) && !(w)->bad_errno) {              \
			(w)->bad_errno = __rc;                               \
			(w)->bad_op = name;                                  \
		}                                                            \
		(w)->ops++;                                                  \
	} while (0)

static unsigned long pick(struct worker *w, unsigned long n)
{
	return rand_r(&w->seed) % n;
}

static void worker_access(struct worker *w, __u32 ioas)
{
	int fd = w->self->fd, access_fd, rc;
	unsigned long first = pick(w, BUF_PAGES - 8);
	unsigned char data[64];
	__u32 id = 0;

	rc = create_access(fd, ioas, MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
			   &access_fd);
	CHECK_OP(w, "create_access", rc);
	if (rc)
		return;
	rc = access_pages(fd, access_fd, MOCK_APERTURE_START + first * PSZ,
			  4 * PSZ, NULL, 0, &id);
	CHECK_OP(w, "access_pages", rc);
	CHECK_OP(w, "access_rw",
		 access_rw(fd, access_fd,
			   MOCK_APERTURE_START + first * PSZ + 100, data,
			   sizeof(data), 0));
	if (!rc)
		CHECK_OP(w, "destroy_access_pages",
			 destroy_access_pages(fd, access_fd, id));
	close(access_fd);
}

static void *worker_fn(void *arg)
{
	struct worker *w = arg;
	int fd = w->self->fd;

	while (time(NULL) < w->until) {
		__u32 ioas = w->self->ioas[pick(w, 2)];
		unsigned long first = pick(w, BUF_PAGES);
		unsigned long npages = 1 + pick(w, BUF_PAGES - first);
		__u64 iova = MOCK_APERTURE_START + first * PSZ;
		__u64 dst;
		__u32 tmp;

		switch (pick(w, 10)) {
		case 0:
		case 1:
			CHECK_OP(w, "map", ioas_map(fd, ioas, w->self->buf +
						    first * PSZ,
						    npages * PSZ, iova));
			break;
		case 2:
			/* Automatic IOVAs stay clear of the fixed ones */
			dst = 0;
			CHECK_OP(w, "map_auto",
				 ioas_map_auto(fd, ioas, w->self->buf,
					       npages * PSZ, &dst));
			break;
		case 3:
			CHECK_OP(w, "unmap", ioas_unmap(fd, ioas, iova,
						       npages * PSZ, NULL));
			break;
		case 4:
			if (!pick(w, 4))
				CHECK_OP(w, "unmap_all",
					 ioas_unmap(fd, ioas, 0, UINT64_MAX,
						    NULL));
			break;
		case 5:
			dst = iova;
			CHECK_OP(w, "copy",
				 ioas_copy(fd, w->self->ioas[1],
					   w->self->ioas[0], iova,
					   npages * PSZ, &dst, MAP_FIXED_RW));
			break;
		case 6:
			if (w->nstdevs < 8) {
				int rc = mock_domain(fd, ioas,
						     &w->stdevs[w->nstdevs],
						     NULL, NULL);

				CHECK_OP(w, "mock_domain", rc);
				if (!rc)
					w->nstdevs++;
			}
			break;
		case 7:
			if (w->nstdevs)
				CHECK_OP(w, "destroy_stdev",
					 destroy_obj(fd,
						     w->stdevs[--w->nstdevs]));
			break;
		case 8:
			worker_access(w, ioas);
			break;
		case 9:
			/* A private IOAS created, used and destroyed */
			if (!ioas_alloc(fd, &tmp)) {
				CHECK_OP(w, "map_tmp",
					 ioas_map(fd, tmp, w->self->buf,
						  npages * PSZ, iova));
				CHECK_OP(w, "destroy_tmp", destroy_obj(fd, tmp));
			}
			break;
		}
	}
	return NULL;
}

static void run_workers(struct __test_metadata *_metadata,
			FIXTURE_DATA(race) *self, void *(*fn)(void *))
{
	struct worker w[NTHREADS] = {};
	pthread_t t[NTHREADS];
	unsigned long ops = 0;
	int i;

	for (i = 0; i != NTHREADS; i++) {
		w[i].self = self;
		w[i].seed = 0x10a51d + i;
		w[i].until = time(NULL) + RUN_SECONDS * time_scale();
		ASSERT_EQ(0, pthread_create(&t[i], NULL, fn, &w[i]));
	}
	for (i = 0; i != NTHREADS; i++) {
		ASSERT_EQ(0, pthread_join(t[i], NULL));
		ops += w[i].ops;
		if (w[i].bad_errno)
			TH_LOG("thread %d: %s returned %s", i, w[i].bad_op,
			       strerror(w[i].bad_errno));
		EXPECT_EQ(0, w[i].bad_errno);
	}
	TH_LOG("%lu operations in %d threads", ops, NTHREADS);
	EXPECT_LT(100, ops);
}

/* Everything at once on two IOASes with mock domains coming and going */
TEST_F_TIMEOUT(race, mixed_operations, 120)
{
	ASSERT_EQ(0, mock_domain(self->fd, self->ioas[0], NULL, NULL, NULL));
	run_workers(_metadata, self, worker_fn);
	/* Whatever is left is torn down by close(), checked by env_end() */
}

/* Only the IOVA map of one IOAS, so collisions are frequent */
static void *map_unmap_fn(void *arg)
{
	struct worker *w = arg;
	int fd = w->self->fd;

	while (time(NULL) < w->until) {
		unsigned long first = pick(w, 16) * 8;
		__u64 iova = MOCK_APERTURE_START + first * PSZ;

		if (pick(w, 2))
			CHECK_OP(w, "map", ioas_map(fd, w->self->ioas[0],
						    w->self->buf + first * PSZ,
						    8 * PSZ, iova));
		else
			CHECK_OP(w, "unmap", ioas_unmap(fd, w->self->ioas[0],
						       iova, 8 * PSZ, NULL));
	}
	return NULL;
}

TEST_F_TIMEOUT(race, map_unmap_same_ranges, 120)
{
	ASSERT_EQ(0, mock_domain(self->fd, self->ioas[0], NULL, NULL, NULL));
	ASSERT_EQ(0, mock_domain(self->fd, self->ioas[0], NULL, NULL, NULL));
	run_workers(_metadata, self, map_unmap_fn);
}

/* Access pins racing unmaps of the same IOVA: the unmap callback wins */
static void *pin_unmap_fn(void *arg)
{
	struct worker *w = arg;
	int fd = w->self->fd;
	int access_fd, rc;

	rc = create_access(fd, w->self->ioas[0],
			   MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES, &access_fd);
	CHECK_OP(w, "create_access", rc);
	if (rc)
		return NULL;
	while (time(NULL) < w->until) {
		__u64 iova = MOCK_APERTURE_START + pick(w, 4) * 64 * PSZ;
		__u32 id = 0;

		switch (pick(w, 3)) {
		case 0:
			CHECK_OP(w, "map",
				 ioas_map(fd, w->self->ioas[0],
					  w->self->buf +
						  (iova - MOCK_APERTURE_START),
					  64 * PSZ, iova));
			break;
		case 1:
			CHECK_OP(w, "unmap", ioas_unmap(fd, w->self->ioas[0],
						       iova, 64 * PSZ, NULL));
			break;
		case 2:
			rc = access_pages(fd, access_fd, iova + PSZ, 8 * PSZ,
					  NULL, 0, &id);
			CHECK_OP(w, "access_pages", rc);
			/* The unmap callback may have dropped it already */
			if (!rc)
				CHECK_OP(w, "destroy_access_pages",
					 destroy_access_pages(fd, access_fd,
							      id));
			break;
		}
	}
	close(access_fd);
	return NULL;
}

TEST_F_TIMEOUT(race, access_pins_vs_unmap, 120)
{
	run_workers(_metadata, self, pin_unmap_fn);
}

/* Destroying an IOAS while other threads use it: EBUSY or ENOENT, no more */
static void *destroy_fn(void *arg)
{
	struct worker *w = arg;
	int fd = w->self->fd;

	while (time(NULL) < w->until) {
		__u32 ioas = w->self->ioas[1];

		switch (pick(w, 4)) {
		case 0:
			if (!destroy_obj(fd, ioas)) {
				/* Whoever destroyed it makes a new one */
				CHECK_OP(w, "realloc",
					 ioas_alloc(fd, &w->self->ioas[1]));
			}
			break;
		case 1:
			CHECK_OP(w, "map", ioas_map(fd, ioas, w->self->buf,
						    8 * PSZ,
						    MOCK_APERTURE_START));
			break;
		case 2:
			CHECK_OP(w, "unmap", ioas_unmap(fd, ioas, 0, UINT64_MAX,
						       NULL));
			break;
		case 3:
			if (w->nstdevs) {
				CHECK_OP(w, "destroy_stdev",
					 destroy_obj(fd,
						     w->stdevs[--w->nstdevs]));
			} else {
				int rc = mock_domain(fd, ioas, &w->stdevs[0],
						     NULL, NULL);

				CHECK_OP(w, "mock_domain", rc);
				if (!rc)
					w->nstdevs = 1;
			}
			break;
		}
	}
	return NULL;
}

TEST_F_TIMEOUT(race, destroy_while_used, 120)
{
	run_workers(_metadata, self, destroy_fn);
}

/* Closing the fd while other threads are inside ioctls on it */
static void *until_closed_fn(void *arg)
{
	struct worker *w = arg;
	int fd = w->self->fd;

	for (;;) {
		unsigned long first = pick(w, BUF_PAGES - 8);
		__u64 iova = MOCK_APERTURE_START + first * PSZ;
		int rc;

		rc = ioas_map(fd, w->self->ioas[0], w->self->buf + first * PSZ,
			      8 * PSZ, iova);
		if (rc == EBADF)
			break;
		CHECK_OP(w, "map", rc);
		rc = ioas_unmap(fd, w->self->ioas[0], iova, 8 * PSZ, NULL);
		if (rc == EBADF)
			break;
		CHECK_OP(w, "unmap", rc);
	}
	return NULL;
}

TEST_F_TIMEOUT(race, close_during_ioctls, 120)
{
	struct worker w[NTHREADS] = {};
	pthread_t t[NTHREADS];
	int i;

	ASSERT_EQ(0, mock_domain(self->fd, self->ioas[0], NULL, NULL, NULL));
	for (i = 0; i != NTHREADS; i++) {
		w[i].self = self;
		w[i].seed = 0xc105e + i;
		ASSERT_EQ(0, pthread_create(&t[i], NULL, until_closed_fn,
					    &w[i]));
	}
	sleep(1);
	/* No new descriptor is opened meanwhile, so the number stays dead */
	close(self->fd);
	for (i = 0; i != NTHREADS; i++) {
		ASSERT_EQ(0, pthread_join(t[i], NULL));
		EXPECT_EQ(0, w[i].bad_errno);
	}
	self->fd = -1;
}

/* fork() while pages are pinned: the parent keeps its pinned pages */
TEST_F(race, fork_while_pinned)
{
	__u32 hwpt;
	int status;
	pid_t pid;

	ASSERT_EQ(0, mock_domain(self->fd, self->ioas[0], NULL, &hwpt, NULL));
	memset(self->buf, 0x5a, 64 * PSZ);
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas[0], self->buf, 64 * PSZ,
			      MOCK_APERTURE_START));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		/* The child's writes go to its own copies */
		memset(self->buf, 0xa5, 64 * PSZ);
		close(self->fd);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, status);
	EXPECT_EQ(0x5a, self->buf[0]);
	EXPECT_EQ(0x5a, self->buf[64 * PSZ - 1]);
	EXPECT_EQ(0, check_map(self->fd, hwpt, MOCK_APERTURE_START, self->buf,
			       64 * PSZ));
	EXPECT_EQ(0, check_refs(self->fd, self->buf, 64 * PSZ, 1));
}

TEST_HARNESS_MAIN
