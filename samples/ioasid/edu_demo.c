// SPDX-License-Identifier: GPL-2.0-only
/*
 * ioasid-edu-demo: a user space driver for QEMU's "edu" PCI device that
 * does DMA through /dev/ioasid and the vfio-ioasid-pci companion driver.
 *
 *   ioasid-edu-demo [-h|--help] [PCI address]
 *
 * Without an address it takes the first edu (1234:11e8) bound to
 * vfio-ioasid-pci.  Binding a device takes two lines as root:
 *
 *   echo vfio-ioasid-pci > /sys/bus/pci/devices/0000:00:02.0/driver_override
 *   echo 0000:00:02.0 > /sys/bus/pci/drivers_probe
 *
 * The steps are those of any user space driver, and libioasid
 * (tools/lib/ioasid) does them: find the device's cdev, open /dev/ioasid
 * and the cdev, bind the device to the ioasid context, allocate an I/O
 * address space (IOAS) and attach the device to it, read the usable IOVA
 * ranges, map memory at an IOVA, map BAR0 and let the device master the
 * bus.  Then the program drives the edu.  Each step prints one line; when
 * a step fails, the library's message says which and why, with hints.
 *
 * edu copies between RAM and a buffer inside the device (at 0x40000 in its
 * own address space).  QEMU's model masks DMA addresses to 28 bits, and QEMU
 * 7.2 aborts when a transfer is 4096 bytes or longer, so the IOVA stays
 * below 256 MiB and a transfer below 4 KiB.
 *
 * Exit status: 0 when the bytes came back intact, 1 when they did not, 2
 * when a step failed or for a usage error.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/pci_regs.h>

#include "libioasid.h"

#define PROG		"ioasid-edu-demo"

/* QEMU's edu device, as its docs/specs/edu.rst describes it */
#define EDU_VENDOR	0x1234
#define EDU_DEVICE	0x11e8
#define EDU_REG_ID	0x00		/* 0xMMmm00ed: major, minor version */
#define EDU_ID_MASK	0x0000ffff
#define EDU_ID_LOW	0x000000ed
#define EDU_REG_DMA_SRC	0x80
#define EDU_REG_DMA_DST	0x88
#define EDU_REG_DMA_CNT	0x90
#define EDU_REG_DMA_CMD	0x98
#define EDU_CMD_START	0x1		/* reads back 1 while running */
#define EDU_CMD_TO_RAM	0x2		/* buffer -> RAM, else RAM -> buffer */
#define EDU_BUF_ADDR	0x40000ULL	/* the device's buffer */
#define EDU_BAR_MIN	0x100		/* the registers used here */
#define EDU_DMA_LIMIT	(1ULL << 28)	/* edu reaches 28-bit addresses */

/* One transfer; QEMU 7.2's edu aborts the whole VM at 4096 bytes */
#define DMA_LEN		4000
/* Each edu DMA takes about 100 ms of QEMU's virtual time */
#define DMA_TIMEOUT_MS	5000
/* Written over the destination first, so a DMA that never landed shows */
#define POISON		0xa5

#define __printf(a, b)	__attribute__((format(printf, a, b)))

struct edu {
	struct ioasid_dev dev;
	struct ioasid_dma buf;	/* page 0: DMA source, page 1: destination */
	unsigned char *bar;		/* BAR0; see mmio_read32() */
};

static int step_no;

/* "N. step: details", for the library's steps and the program's own */
static void log_line(void *priv, const char *line)
{
	(void)priv;
	printf("%2d. %s\n", ++step_no, line);
	fflush(stdout);
}

static void __printf(1, 2) say(const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_line(NULL, line);
}

/* A library call failed: its message names the step, the cause, the fix */
static int lib_failed(const struct edu *e)
{
	fflush(stdout);
	fprintf(stderr, "%s: %s\n", PROG, ioasid_errmsg(&e->dev));
	return 2;
}

/* A check of the program's own failed */
static int __printf(2, 3) failed(const char *step, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "%s: %s failed: ", PROG, step);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 2;
}

static __u32 mmio_read32(struct edu *e, unsigned int off)
{
	return *(volatile __u32 *)(e->bar + off);
}

static __u64 mmio_read64(struct edu *e, unsigned int off)
{
	return *(volatile __u64 *)(e->bar + off);
}

static void mmio_write64(struct edu *e, unsigned int off, __u64 val)
{
	*(volatile __u64 *)(e->bar + off) = val;
}

/* Open the edu at @bdf, or the first one bound to the companion */
static int open_edu(struct edu *e, const char *bdf)
{
	char found[32];

	e->dev.log = log_line;
	e->dev.iova_limit = EDU_DMA_LIMIT;
	if (!bdf) {
		if (ioasid_find_bound(&e->dev, EDU_VENDOR, EDU_DEVICE, found,
				      sizeof(found)))
			return lib_failed(e);
		bdf = found;
	}
	if (ioasid_dev_open(&e->dev, bdf, 0))
		return lib_failed(e);
	if (e->dev.vendor != EDU_VENDOR || e->dev.device != EDU_DEVICE)
		return failed("find the device",
			      "%s is %04x:%04x, not QEMU's edu (%04x:%04x)",
			      e->dev.bdf, e->dev.vendor, e->dev.device,
			      EDU_VENDOR, EDU_DEVICE);
	return 0;
}

/* Two pages at an IOVA that edu's 28-bit DMA mask leaves alone */
static int map_buffer(struct edu *e)
{
	if (ioasid_dma_alloc(&e->dev, 2 * e->dev.page_size, &e->buf))
		return lib_failed(e);
	say("IOMMU_IOAS_MAP: %zu KiB at %p -> IOVA 0x%llx (below edu's 0x%llx), read/write, pinned",
	    e->buf.len >> 10, e->buf.va, (unsigned long long)e->buf.iova,
	    EDU_DMA_LIMIT);
	return 0;
}

static int map_bar(struct edu *e)
{
	size_t len;

	e->bar = ioasid_bar_map(&e->dev, 0, &len);
	if (!e->bar)
		return lib_failed(e);
	if (len < EDU_BAR_MIN)
		return failed("mmap BAR0", "%zu bytes, too small for edu",
			      len);
	return 0;
}

static int check_id(struct edu *e)
{
	__u32 id = mmio_read32(e, EDU_REG_ID);

	if ((id & EDU_ID_MASK) != EDU_ID_LOW)
		return failed("edu ID register",
			      "read 0x%08x, want 0x010000ed: not an edu", id);
	say("edu ID register: 0x%08x, edu version %u.%u", id, id >> 24,
	    (id >> 16) & 0xff);
	return 0;
}

/* vfio-pci-core turns bus mastering off when it enables the device */
static int bus_master(struct edu *e, bool on)
{
	__u16 before, after;

	if (ioasid_cfg_read(&e->dev, PCI_COMMAND, &before, sizeof(before)) ||
	    ioasid_bus_master(&e->dev, on) ||
	    ioasid_cfg_read(&e->dev, PCI_COMMAND, &after, sizeof(after)))
		return lib_failed(e);
	say("%s bus mastering: PCI_COMMAND 0x%04x -> 0x%04x, written through the config region",
	    on ? "enable" : "disable", before, after);
	return 0;
}

static long ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 +
	       (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/*
 * One edu transfer of DMA_LEN bytes, polling for the end.  The fences keep
 * the CPU's accesses to the buffer on their side of the MMIO writes that
 * start the device and of the read that sees it finish.
 */
static int edu_dma(struct edu *e, __u64 src, __u64 dst, bool to_ram)
{
	const char *step = to_ram ? "DMA device -> RAM" : "DMA RAM -> device";
	struct timespec t0;

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	mmio_write64(e, EDU_REG_DMA_SRC, src);
	mmio_write64(e, EDU_REG_DMA_DST, dst);
	mmio_write64(e, EDU_REG_DMA_CNT, DMA_LEN);
	mmio_write64(e, EDU_REG_DMA_CMD,
		     EDU_CMD_START | (to_ram ? EDU_CMD_TO_RAM : 0));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (mmio_read64(e, EDU_REG_DMA_CMD) & EDU_CMD_START) {
		if (ms_since(&t0) > DMA_TIMEOUT_MS)
			return failed(step, "ETIMEDOUT: edu still busy after %d ms",
				      DMA_TIMEOUT_MS);
		usleep(1000);
	}
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	say("%s: %d bytes %s 0x%llx -> %s 0x%llx, done in %ld ms", step,
	    DMA_LEN, to_ram ? "edu buffer" : "RAM at IOVA",
	    (unsigned long long)src, to_ram ? "RAM at IOVA" : "edu buffer",
	    (unsigned long long)dst, ms_since(&t0));
	return 0;
}

/* Fill the source with a pattern the device cannot have kept from before */
static __u32 fill_pattern(unsigned char *p, size_t len)
{
	__u32 seed = (__u32)time(NULL) ^ ((__u32)getpid() << 16);
	__u32 x = seed | 1;
	size_t i;

	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = x >> 24;
	}
	return seed;
}

/* RAM -> edu -> RAM, then every byte compared: 0, 1 if they differ, 2 */
static int dma_round_trip(struct edu *e)
{
	size_t page = e->dev.page_size, i, bad = 0, first = 0;
	size_t poison = 0, zero = 0, tail = 0;
	unsigned char *src = e->buf.va, *dst = src + page;
	__u32 seed;

	seed = fill_pattern(src, DMA_LEN);
	memset(dst, POISON, page);
	if (edu_dma(e, e->buf.iova, EDU_BUF_ADDR, false) ||
	    edu_dma(e, EDU_BUF_ADDR, e->buf.iova + page, true))
		return 2;

	for (i = 0; i < DMA_LEN; i++) {
		if (dst[i] == src[i])
			continue;
		if (!bad++)
			first = i;
		poison += dst[i] == POISON;
		zero += dst[i] == 0;
	}
	for (i = DMA_LEN; i < page; i++)
		tail += dst[i] != POISON;
	if (!bad && !tail) {
		say("verify: %d bytes match (seed 0x%08x), the %zu after them intact",
		    DMA_LEN, seed, page - DMA_LEN);
		return 0;
	}
	if (bad)
		failed("verify", "%zu of %d bytes differ, at %zu 0x%02x is 0x%02x",
		       bad, DMA_LEN, first, src[first], dst[first]);
	else
		failed("verify", "%zu bytes past the transfer changed", tail);
	if (bad && poison == bad)
		fputs("  hint: nothing arrived: the device's writes were blocked\n",
		      stderr);
	else if (bad && zero == bad)
		fputs("  hint: zeros arrived: the device's reads were blocked\n",
		      stderr);
	fputs("  hint: look for an IOMMU fault in the kernel log (dmesg)\n",
	      stderr);
	return 1;
}

static int teardown(struct edu *e)
{
	__u64 iova = e->buf.iova;
	size_t len = e->buf.len;
	__u32 ioas_id = e->dev.ioas_id;

	if (bus_master(e, false))
		return 2;
	if (ioasid_dma_free(&e->dev, &e->buf))
		return lib_failed(e);
	say("IOMMU_IOAS_UNMAP: %zu bytes at IOVA 0x%llx unmapped from the domain and unpinned",
	    len, (unsigned long long)iova);
	/* The device fd first: that detaches it; the IOAS goes with the fd */
	ioasid_dev_close(&e->dev);
	say("close: BAR0 unmapped, device fd then /dev/ioasid closed (IOAS %u freed)",
	    ioas_id);
	return 0;
}

static void print_help(void)
{
	printf("Usage: %s [-h|--help] [PCI_ADDRESS]\n"
	       "\n"
	       "A user space driver for QEMU's edu device (%04x:%04x) bound to\n"
	       "%s: open its VFIO device cdev, bind it to a /dev/ioasid\n"
	       "context, attach it to a new I/O address space, map a buffer for DMA,\n"
	       "copy %d bytes from RAM into the device and back, check them byte by\n"
	       "byte, and tear everything down.  Each step prints one line; a failed\n"
	       "step says why and what to do.\n"
	       "\n"
	       "PCI_ADDRESS is the device's address as lspci -D shows it (0000:00:04.0,\n"
	       "or 00:04.0); without it, the first edu bound to %s.\n"
	       "\n"
	       "Options:\n"
	       "  -h, --help  print this help and exit\n"
	       "\n"
	       "Exit status: 0 if the bytes came back intact, 1 if they did not, 2 if a\n"
	       "step failed (the message on stderr says which and why) or for a usage\n"
	       "error.\n",
	       PROG, EDU_VENDOR, EDU_DEVICE, IOASID_DRIVER, DMA_LEN,
	       IOASID_DRIVER);
}

/* Returns the PCI address argument, or NULL */
static const char *parse_args(int argc, char **argv)
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
	if (argc - optind <= 1)
		return optind < argc ? argv[optind] : NULL;
usage:
	fprintf(stderr, "Usage: %s [-h|--help] [PCI_ADDRESS]\n"
		"Try '%s --help' for more information.\n", PROG, PROG);
	exit(2);
}

int main(int argc, char **argv)
{
	const char *bdf = parse_args(argc, argv);
	struct edu e;
	int rc;

	printf("%s: a user space driver for QEMU's edu through /dev/ioasid\n",
	       PROG);

	/* After a failure, closing the fds undoes everything in the kernel */
	memset(&e, 0, sizeof(e));
	rc = open_edu(&e, bdf);
	if (!rc)
		rc = map_buffer(&e);
	if (!rc)
		rc = map_bar(&e);
	if (!rc)
		rc = check_id(&e);
	if (!rc)
		rc = bus_master(&e, true);
	if (!rc)
		rc = dma_round_trip(&e);
	if (rc != 2 && teardown(&e))
		rc = 2;
	ioasid_dev_close(&e.dev);

	if (rc == 0)
		printf("%s: ok, RAM -> edu -> RAM through the IOMMU, intact\n",
		       PROG);
	else if (rc == 1)
		printf("%s: FAILED, the data did not survive the trip\n", PROG);
	return rc;
}
