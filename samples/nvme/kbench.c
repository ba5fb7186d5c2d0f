// SPDX-License-Identifier: GPL-2.0-only
/*
 * nvme-kbench: the workloads of ioasid-nvme's benchmarks through the
 * kernel's block layer, for comparison on the same controller: 4 KiB random
 * reads and 128 KiB sequential reads with O_DIRECT, at queue depth 1 (one
 * thread) and at a deeper queue (one thread per outstanding read).
 *
 *   nvme-kbench [-h|--help] [-t SECONDS] [-Q QD] /dev/nvme0n1
 *
 * It prints one "RESULT kernel ..." line per run, in ioasid-nvme's format.
 * Exit status: 0 if every run completed, 1 if one failed, 2 for a usage
 * error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/fs.h>
#include <pthread.h>
#include <stdbool.h>
#include <linux/types.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define PROG		"nvme-kbench"
#define MAX_THREADS	64

struct worker {
	pthread_t tid;
	int fd;
	size_t len;
	bool random;
	__u64 span;		/* device size / len */
	__u64 next;		/* sequential: the next block */
	unsigned int stride;	/* sequential: threads, so blocks interleave */
	double end;
	__u64 ops;
	int err;
	__u64 rnd;
};

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static __u64 xorshift(__u64 *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static void *work(void *arg)
{
	struct worker *w = arg;
	void *buf;
	__u64 blk;
	ssize_t n;

	if (posix_memalign(&buf, 4096, w->len)) {
		w->err = ENOMEM;
		return NULL;
	}
	while (now_s() < w->end) {
		if (w->random) {
			blk = xorshift(&w->rnd) % w->span;
		} else {
			blk = w->next % w->span;
			w->next += w->stride;
		}
		n = pread(w->fd, buf, w->len, blk * w->len);
		if (n != (ssize_t)w->len) {
			w->err = n < 0 ? errno : EIO;
			break;
		}
		w->ops++;
	}
	free(buf);
	return NULL;
}

static int run(int fd, __u64 size, const char *name, size_t len,
	       bool random, unsigned int qd, double secs)
{
	struct worker w[MAX_THREADS];
	double t0, t1;
	__u64 ops = 0;
	unsigned int i;
	int err = 0;

	t0 = now_s();
	for (i = 0; i < qd; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].fd = fd;
		w[i].len = len;
		w[i].random = random;
		w[i].span = size / len;
		w[i].next = i;
		w[i].stride = qd;
		w[i].end = t0 + secs;
		w[i].rnd = 0x1234567 ^ ((__u64)getpid() << 8) ^ i;
		if (pthread_create(&w[i].tid, NULL, work, &w[i])) {
			fprintf(stderr, "%s: pthread_create failed\n", PROG);
			return 1;
		}
	}
	for (i = 0; i < qd; i++) {
		pthread_join(w[i].tid, NULL);
		ops += w[i].ops;
		if (w[i].err)
			err = w[i].err;
	}
	t1 = now_s();
	if (err) {
		fprintf(stderr, "%s: %s: pread failed: %s\n", PROG, name,
			strerror(err));
		return 1;
	}
	printf("RESULT kernel %s qd%u: %.0f IOPS, %.1f MB/s (%llu reads in %.2f s)\n",
	       name, qd, ops / (t1 - t0), ops * len / (t1 - t0) / 1e6,
	       (unsigned long long)ops, t1 - t0);
	fflush(stdout);
	return 0;
}

static void print_help(void)
{
	printf("Usage: %s [-t SECONDS] [-Q QD] DEVICE\n"
	       "\n"
	       "The read workloads of ioasid-nvme's benchmarks through the kernel's block\n"
	       "layer, for comparison on the same controller: 4 KiB random reads and\n"
	       "128 KiB sequential reads with O_DIRECT on DEVICE (a block device such as\n"
	       "/dev/nvme0n1, at least 1 MiB; it is only read), at queue depth 1 (one\n"
	       "thread) and at a deeper queue (one thread per outstanding read).  One\n"
	       "\"RESULT kernel ...\" line per run, in ioasid-nvme's format.\n"
	       "\n"
	       "Options:\n"
	       "  -t SECONDS  seconds per run (default 3)\n"
	       "  -Q QD       queue depth of the deep runs, 1-%d (default 16; 1: none)\n"
	       "  -h, --help  print this help and exit\n"
	       "\n"
	       "Exit status: 0 if every run completed, 1 if DEVICE could not be opened,\n"
	       "has no usable size or a read failed, 2 for a usage error.\n",
	       PROG, MAX_THREADS);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned int qd = 16;
	double secs = 3.0;
	__u64 size;
	int ch, fd, rc = 0;

	while ((ch = getopt_long(argc, argv, "t:Q:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 't':
			secs = atof(optarg);
			break;
		case 'Q':
			qd = atoi(optarg);
			break;
		case 'h':
			print_help();
			return 0;
		default:
			goto usage;
		}
	}
	if (optind != argc - 1 || secs <= 0 || qd < 1 || qd > MAX_THREADS)
		goto usage;
	fd = open(argv[optind], O_RDONLY | O_DIRECT | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "%s: open %s: %s\n", PROG, argv[optind],
			strerror(errno));
		return 1;
	}
	if (ioctl(fd, BLKGETSIZE64, &size) || size < (1 << 20)) {
		fprintf(stderr, "%s: %s: no usable size\n", PROG,
			argv[optind]);
		return 1;
	}
	rc |= run(fd, size, "4k-randread", 4096, true, 1, secs);
	if (qd > 1)
		rc |= run(fd, size, "4k-randread", 4096, true, qd, secs);
	rc |= run(fd, size, "128k-seqread", 128 * 1024, false, 1, secs);
	if (qd > 1)
		rc |= run(fd, size, "128k-seqread", 128 * 1024, false, qd,
			  secs);
	close(fd);
	return rc;

usage:
	fprintf(stderr, "Usage: %s [-t SECONDS] [-Q QD (1-%d)] DEVICE\n"
		"Try '%s --help' for more information.\n", PROG, MAX_THREADS,
		PROG);
	return 2;
}
