// SPDX-License-Identifier: GPL-2.0-only
/*
 * A tour of /dev/ioasid with a mock device.
 *
 * Allocates an IOAS, attaches a mock device (the test-only IOMMU behind
 * IOMMU_TEST_CMD, so ioasid must be loaded with test_mode=1), maps a buffer,
 * shows what the kernel reports and checks at each step, shares the mapping
 * with a second IOAS without pinning twice, and tears everything down.
 *
 *   ioasid-mock-demo [-h|--help]
 *
 * Exit status 0 if every check held, 1 if one did not, 2 if a step failed
 * or for a usage error.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/ioasid.h>
#include "../../drivers/ioasid/ioasid_test.h"

#define PROG "ioasid-mock-demo"
#define BUF_SIZE (4UL << 20)

static int failures;

static void check(int ok, const char *what)
{
	printf("  [%s] %s\n", ok ? " ok " : "FAIL", what);
	if (!ok)
		failures++;
}

static void die(const char *step)
{
	fprintf(stderr, "ioasid-demo: %s failed: %s\n", step, strerror(errno));
	if (errno == ENOTTY && !strncmp(step, "IOMMU_TEST_CMD", 14))
		fprintf(stderr, "ioasid-demo: load the module with test_mode=1 for the mock device\n");
	if (errno == ENOMEM)
		fprintf(stderr, "ioasid-demo: pinned memory is charged to RLIMIT_MEMLOCK (ulimit -l)\n");
	exit(2);
}

static long status_kb(const char *field)
{
	char line[256];
	size_t n = strlen(field);
	long val = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, n) && line[n] == ':')
			val = strtol(line + n + 1, NULL, 10);
	fclose(f);
	return val;
}

static void print_ranges(int fd, __u32 ioas)
{
	struct iommu_iova_range ranges[8];
	struct iommu_ioas_iova_ranges cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas,
		.num_iovas = 8,
		.allowed_iovas = (uintptr_t)ranges,
	};
	unsigned int i;

	if (ioctl(fd, IOMMU_IOAS_IOVA_RANGES, &cmd))
		die("IOMMU_IOAS_IOVA_RANGES");
	printf("  usable IOVA (alignment %llu):", cmd.out_iova_alignment);
	for (i = 0; i < cmd.num_iovas; i++)
		printf(" [0x%llx, 0x%llx]", ranges[i].start, ranges[i].last);
	printf("\n");
}

static __u32 ioas_alloc(int fd)
{
	struct iommu_ioas_alloc cmd = { .size = sizeof(cmd) };

	if (ioctl(fd, IOMMU_IOAS_ALLOC, &cmd))
		die("IOMMU_IOAS_ALLOC");
	return cmd.out_ioas_id;
}

static int test_cmd(int fd, struct iommu_test_cmd *cmd)
{
	cmd->size = sizeof(*cmd);
	return ioctl(fd, IOMMU_TEST_CMD, cmd);
}

static void destroy(int fd, __u32 id, const char *what)
{
	struct iommu_destroy cmd = { .size = sizeof(cmd), .id = id };

	if (ioctl(fd, IOMMU_DESTROY, &cmd))
		die(what);
}

static void print_help(void)
{
	printf("Usage: %s [-h|--help]\n"
	       "\n"
	       "A tour of /dev/ioasid with a mock device: allocate an I/O address space\n"
	       "(IOAS), attach a mock device (the test-only IOMMU behind IOMMU_TEST_CMD),\n"
	       "map a buffer, show what the kernel reports and check it at each step,\n"
	       "share the mapping with a second IOAS without pinning twice, and tear\n"
	       "everything down.  It needs the ioasid module loaded with test_mode=1, and\n"
	       "4 MiB of RLIMIT_MEMLOCK (or CAP_IPC_LOCK).\n"
	       "\n"
	       "Options:\n"
	       "  -h, --help  print this help and exit\n"
	       "\n"
	       "Exit status: 0 if every check held, 1 if one did not, 2 if a step failed\n"
	       "(the message on stderr says which) or for a usage error.\n",
	       PROG);
}

static void parse_args(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (ch == 'h') {
			print_help();
			exit(0);
		}
		goto usage;
	}
	if (optind == argc)
		return;
usage:
	fprintf(stderr, "Usage: %s [-h|--help]\n"
		"Try '%s --help' for more information.\n", PROG, PROG);
	exit(2);
}

int main(int argc, char **argv)
{
	struct iommu_test_cmd tc;
	__u32 ioas, ioas2, stdev, hwpt, idev, stdev2, hwpt2;
	long pin0;
	char *buf;
	int fd;

	parse_args(argc, argv);
	printf("ioasid demo: an IOAS, a mock device and 4 MiB of memory\n\n");
	fd = open("/dev/ioasid", O_RDWR);
	if (fd < 0)
		die("open /dev/ioasid");
	pin0 = status_kb("VmPin");

	printf("1. IOMMU_IOAS_ALLOC\n");
	ioas = ioas_alloc(fd);
	printf("  IOAS id %u; with no device every IOVA is usable\n", ioas);
	print_ranges(fd, ioas);

	printf("2. attach a mock device (IOMMU_TEST_CMD MOCK_DOMAIN)\n");
	memset(&tc, 0, sizeof(tc));
	tc.op = IOMMU_TEST_OP_MOCK_DOMAIN;
	tc.id = ioas;
	if (test_cmd(fd, &tc))
		die("IOMMU_TEST_CMD MOCK_DOMAIN");
	stdev = tc.mock_domain.out_stdev_id;
	hwpt = tc.mock_domain.out_hwpt_id;
	idev = tc.mock_domain.out_idev_id;
	printf("  device object %u, automatic HWPT %u (its iommu_domain)\n",
	       idev, hwpt);
	printf("  the domain's aperture now limits the IOAS:\n");
	print_ranges(fd, ioas);

	printf("3. IOMMU_IOAS_MAP 4 MiB, kernel-chosen IOVA\n");
	buf = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		die("mmap");
	memset(buf, 0x5a, BUF_SIZE);
	struct iommu_ioas_map map = {
		.size = sizeof(map),
		.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE,
		.ioas_id = ioas,
		.user_va = (uintptr_t)buf,
		.length = BUF_SIZE,
	};
	if (ioctl(fd, IOMMU_IOAS_MAP, &map))
		die("IOMMU_IOAS_MAP");
	printf("  mapped at IOVA 0x%llx\n", map.iova);
	printf("  VmPin went from %ld kB to %ld kB\n", pin0,
	       status_kb("VmPin"));
	check(status_kb("VmPin") == pin0 + (long)(BUF_SIZE >> 10),
	      "every page was pinned once");
	memset(&tc, 0, sizeof(tc));
	tc.op = IOMMU_TEST_OP_MD_CHECK_MAP;
	tc.id = hwpt;
	tc.check_map.iova = map.iova;
	tc.check_map.length = BUF_SIZE;
	tc.check_map.uptr = (uintptr_t)buf;
	check(!test_cmd(fd, &tc),
	      "the mock domain translates each IOVA to the buffer's pages");

	printf("4. a second IOAS and device, sharing the pages (IOMMU_IOAS_COPY)\n");
	ioas2 = ioas_alloc(fd);
	memset(&tc, 0, sizeof(tc));
	tc.op = IOMMU_TEST_OP_MOCK_DOMAIN;
	tc.id = ioas2;
	if (test_cmd(fd, &tc))
		die("IOMMU_TEST_CMD MOCK_DOMAIN");
	stdev2 = tc.mock_domain.out_stdev_id;
	hwpt2 = tc.mock_domain.out_hwpt_id;
	struct iommu_ioas_copy copy = {
		.size = sizeof(copy),
		.flags = IOMMU_IOAS_MAP_READABLE,
		.dst_ioas_id = ioas2,
		.src_ioas_id = ioas,
		.length = BUF_SIZE,
		.src_iova = map.iova,
	};
	if (ioctl(fd, IOMMU_IOAS_COPY, &copy))
		die("IOMMU_IOAS_COPY");
	printf("  IOAS %u maps the same pages read-only at IOVA 0x%llx\n",
	       ioas2, copy.dst_iova);
	check(status_kb("VmPin") == pin0 + (long)(BUF_SIZE >> 10),
	      "nothing was pinned twice");
	memset(&tc, 0, sizeof(tc));
	tc.op = IOMMU_TEST_OP_MD_CHECK_MAP;
	tc.id = hwpt2;
	tc.check_map.iova = copy.dst_iova;
	tc.check_map.length = BUF_SIZE;
	tc.check_map.uptr = (uintptr_t)buf;
	check(!test_cmd(fd, &tc), "the second domain reaches the same pages");

	printf("5. IOMMU_DESTROY while in use is refused\n");
	struct iommu_destroy d = { .size = sizeof(d), .id = ioas };
	check(ioctl(fd, IOMMU_DESTROY, &d) && errno == EBUSY,
	      "destroying an IOAS with a device attached fails with EBUSY");

	printf("6. IOMMU_IOAS_UNMAP\n");
	struct iommu_ioas_unmap unmap = {
		.size = sizeof(unmap),
		.ioas_id = ioas,
		.iova = map.iova,
		.length = BUF_SIZE / 2,
	};
	check(ioctl(fd, IOMMU_IOAS_UNMAP, &unmap) && errno == ENOENT,
	      "half a mapping cannot be unmapped (ENOENT), mappings never split");
	unmap.length = BUF_SIZE;
	if (ioctl(fd, IOMMU_IOAS_UNMAP, &unmap))
		die("IOMMU_IOAS_UNMAP");
	printf("  unmapped %llu bytes\n", unmap.length);
	check(status_kb("VmPin") == pin0 + (long)(BUF_SIZE >> 10),
	      "the copy in the second IOAS still keeps the pages pinned");
	unmap.ioas_id = ioas2;
	unmap.iova = 0;
	unmap.length = UINT64_MAX;
	if (ioctl(fd, IOMMU_IOAS_UNMAP, &unmap))
		die("IOMMU_IOAS_UNMAP all");
	check(status_kb("VmPin") == pin0, "with the last mapping gone, so are the pins");

	printf("7. tear down\n");
	destroy(fd, stdev, "IOMMU_DESTROY mock device");
	destroy(fd, stdev2, "IOMMU_DESTROY mock device");
	destroy(fd, ioas, "IOMMU_DESTROY IOAS");
	destroy(fd, ioas2, "IOMMU_DESTROY IOAS");
	close(fd);
	printf("\n%s\n", failures ? "ioasid demo: SOME CHECKS FAILED" :
				   "ioasid demo: all checks passed");
	return failures ? 1 : 0;
}
