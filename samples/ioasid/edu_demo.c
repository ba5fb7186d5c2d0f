// SPDX-License-Identifier: GPL-2.0-only
/*
 * ioasid-edu-demo: a user space driver for QEMU's "edu" PCI device that
 * does DMA through /dev/ioasid and the vfio-ioasid-pci companion driver.
 *
 *   ioasid-edu-demo [PCI address]
 *
 * Without an address it takes the first edu (1234:11e8) bound to
 * vfio-ioasid-pci.  Binding a device takes two lines as root:
 *
 *   echo vfio-ioasid-pci > /sys/bus/pci/devices/0000:00:02.0/driver_override
 *   echo 0000:00:02.0 > /sys/bus/pci/drivers_probe
 *
 * The steps are those of any user space driver: find the device's cdev,
 * open /dev/ioasid and the cdev, bind the device to the ioasid context,
 * allocate an I/O address space (IOAS) and attach the device to it, read
 * the usable IOVA ranges, map memory at an IOVA, map BAR0 and let the
 * device master the bus, then program it.  Each step prints one line.
 *
 * edu copies between RAM and a buffer inside the device (at 0x40000 in its
 * own address space).  QEMU's model masks DMA addresses to 28 bits, and QEMU
 * 7.2 aborts when a transfer is 4096 bytes or longer, so the IOVA stays
 * below 256 MiB and a transfer below 4 KiB.
 *
 * Exit status: 0 when the bytes came back intact, 1 when they did not, 2
 * when a step failed.  After a failure the program just exits: closing the
 * fds undoes everything it set up in the kernel.
 */
#define _GNU_SOURCE		/* strerrorname_np() */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <linux/pci_regs.h>
#include <linux/vfio.h>
#include <linux/ioasid.h>
#include <linux/ioasid_vfio.h>

#define PROG		"ioasid-edu-demo"
#define DRIVER		"vfio-ioasid-pci"
#define PCI_DEVICES	"/sys/bus/pci/devices"
#define PCI_DRIVER_DIR	"/sys/bus/pci/drivers/" DRIVER

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
#define EDU_DMA_LIMIT	(1ULL << 28)	/* edu reaches 28-bit addresses */

/* One transfer; QEMU 7.2's edu aborts the whole VM at 4096 bytes */
#define DMA_LEN		4000
/* Each edu DMA takes about 100 ms of QEMU's virtual time */
#define DMA_TIMEOUT_MS	5000
/*
 * The lowest IOVA used: 0 would do, but then a device programmed with a
 * zeroed address would reach real memory instead of faulting.
 */
#define IOVA_FLOOR	0x100000ULL
/* Written over the destination first, so a DMA that never landed shows */
#define POISON		0xa5

static int step_no;
static const char *step_what;
static int hinted;		/* a hint follows the failure already */

static void step(const char *what)
{
	step_no++;
	step_what = what;
}

/* One line for the current step: "N. what: details" */
static void __attribute__((format(printf, 1, 2))) say(const char *fmt, ...)
{
	va_list ap;

	printf("%2d. %s: ", step_no, step_what);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* The current step failed, with errno @err (0: not an errno) and a detail */
static void __attribute__((format(printf, 2, 3)))
failed(int err, const char *fmt, ...)
{
	const char *name = err ? strerrorname_np(err) : NULL;
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "%s: step %d (%s) failed", PROG, step_no, step_what);
	if (err)
		fprintf(stderr, ": %s (%s)", name ? name : "?", strerror(err));
	if (fmt) {
		fputs(": ", stderr);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
	}
	fputc('\n', stderr);
	hinted = 0;
}

/* One line of advice; the lines after the first are indented under it */
static void __attribute__((format(printf, 1, 2))) hint(const char *fmt, ...)
{
	va_list ap;

	fputs(hinted++ ? "        " : "  hint: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Lines of advice from a NULL-terminated array */
static void hints(const char *const *lines)
{
	for (; *lines; lines++)
		hint("%s", *lines);
}

static const char *const hint_load_modules[] = {
	"load the modules, as root:",
	"    modprobe vfio-pci-core",
	"    insmod drivers/ioasid/ioasid.ko",
	"    insmod drivers/vfio/pci/ioasid/" DRIVER ".ko",
	"(after make install: modprobe " DRIVER ")",
	NULL
};

static const char *const hint_load_ioasid[] = {
	"load the module, as root: insmod drivers/ioasid/ioasid.ko",
	"(after make install: modprobe ioasid)",
	NULL
};

static const char *const hint_access[] = {
	"/dev/ioasid and /dev/vfio/devices/* are root's unless a udev",
	"rule gives a group access: see udev/60-ioasid.rules",
	NULL
};

static const char *const hint_no_node[] = {
	"if it is bound, /dev lacks the node: mount devtmpfs on /dev",
	NULL
};

static const char *const hint_bind_ebusy[] = {
	"another driver or process owns the DMA of the device's",
	"iommu_group: every device in it must be bound to " DRIVER,
	"or to no driver, and no other /dev/ioasid context nor a",
	"/dev/vfio/<group> user may hold it",
	NULL
};

static const char *const hint_bind_eperm[] = {
	"the IOMMU does not isolate the device's MSIs (no interrupt",
	"remapping), so its user could forge interrupts.  Turn",
	"interrupt remapping on or, only if every user of /dev/ioasid",
	"is trusted, load ioasid with allow_unsafe_interrupts=1, or:",
	"echo 1 > /sys/module/ioasid/parameters/allow_unsafe_interrupts",
	NULL
};

static const char *const hint_bind_einval[] = {
	"another fd of this device is bound already",
	NULL
};

static const char *const hint_bind_enodev[] = {
	"the device has no IOMMU: boot with intel_iommu=on (VT-d),",
	"or with AMD-Vi enabled in the firmware",
	NULL
};

static const char *const hint_attach_eaddrinuse[] = {
	"the IOAS maps or allows IOVAs that the device's IOMMU",
	"reserves (outside its aperture or in a reserved region)",
	NULL
};

static void bind_lines(const char *bdf)
{
	hint("    echo %s > %s/%s/driver_override", DRIVER, PCI_DEVICES,
	     bdf);
	hint("    echo %s > /sys/bus/pci/drivers_probe", bdf);
}

static void __attribute__((noreturn)) die(int err)
{
	failed(err, NULL);
	exit(2);
}

/* ----------------------------------------------------------- sysfs */

/* strlcpy: @src, cut to fit @len bytes with its NUL */
static void copy_str(char *dst, size_t len, const char *src)
{
	size_t n = strnlen(src, len - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Read a sysfs attribute without its newline; 0 or an errno */
static int sysfs_read(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	n = read(fd, buf, len - 1);
	if (n < 0) {
		n = errno;
		close(fd);
		return n;
	}
	close(fd);
	while (n > 0 && buf[n - 1] == '\n')
		n--;
	buf[n] = '\0';
	return 0;
}

/* An attribute of PCI device @bdf, parsed as a number; -1 if unreadable */
static long pci_attr(const char *bdf, const char *attr)
{
	char path[256], val[32];

	snprintf(path, sizeof(path), "%s/%s/%s", PCI_DEVICES, bdf, attr);
	if (sysfs_read(path, val, sizeof(val)))
		return -1;
	return strtol(val, NULL, 0);
}

static int is_edu(const char *bdf)
{
	return pci_attr(bdf, "vendor") == EDU_VENDOR &&
	       pci_attr(bdf, "device") == EDU_DEVICE;
}

/* The last path component of the symlink <device>/@link, or "none" */
static void pci_link_name(const char *bdf, const char *link, char *buf,
			  size_t len)
{
	char path[256], target[256];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s/%s", PCI_DEVICES, bdf, link);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0) {
		snprintf(buf, len, "none");
		return;
	}
	target[n] = '\0';
	copy_str(buf, len, strrchr(target, '/') ? strrchr(target, '/') + 1 :
						  target);
}

static int is_pci_addr(const char *name)
{
	return strchr(name, ':') && strchr(name, '.');
}

/* The first edu, by PCI address, bound to the companion: 0 or an errno */
static int find_bound_edu(char *bdf, size_t len)
{
	struct dirent **names;
	int i, n, rc = ENODEV;

	n = scandir(PCI_DRIVER_DIR, &names, NULL, alphasort);
	if (n < 0)
		return errno;
	for (i = 0; i < n; i++) {
		if (rc && is_pci_addr(names[i]->d_name) &&
		    is_edu(names[i]->d_name)) {
			copy_str(bdf, len, names[i]->d_name);
			rc = 0;
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

/* Why no edu is bound to the companion, and how to bind one */
static void explain_no_edu(void)
{
	char drv[64], first[64] = "";
	struct dirent **names;
	int i, n;

	n = scandir(PCI_DEVICES, &names, NULL, alphasort);
	for (i = 0; i < n; i++) {
		if (is_pci_addr(names[i]->d_name) && is_edu(names[i]->d_name)) {
			pci_link_name(names[i]->d_name, "driver", drv,
				      sizeof(drv));
			fprintf(stderr, "  edu %s: driver %s\n",
				names[i]->d_name, drv);
			if (!first[0])
				copy_str(first, sizeof(first),
					 names[i]->d_name);
		}
		free(names[i]);
	}
	if (n >= 0)
		free(names);
	if (!first[0]) {
		hint("this machine has no edu device (QEMU: -device edu)");
		return;
	}
	hint("bind one to %s, as root:", DRIVER);
	bind_lines(first);
}

/* The devices of @bdf's iommu_group and their drivers, for an EBUSY */
static void list_group(const char *bdf)
{
	char path[256], group[32], drv[64];
	struct dirent **names;
	int i, n;

	pci_link_name(bdf, "iommu_group", group, sizeof(group));
	snprintf(path, sizeof(path), "%s/%s/iommu_group/devices", PCI_DEVICES,
		 bdf);
	n = scandir(path, &names, NULL, alphasort);
	for (i = 0; i < n; i++) {
		if (names[i]->d_name[0] != '.') {
			pci_link_name(names[i]->d_name, "driver", drv,
				      sizeof(drv));
			fprintf(stderr, "  iommu_group %s: %s, driver %s\n",
				group, names[i]->d_name, drv);
		}
		free(names[i]);
	}
	if (n >= 0)
		free(names);
}

/* --------------------------------------------------------- the steps */

struct demo {
	char bdf[64];
	char cdev[300];
	int iommufd;
	int devfd;
	__u32 devid;
	__u32 ioas_id;
	__u32 hwpt_id;
	struct iommu_iova_range *ranges;
	__u32 nr_ranges;
	__u64 alignment;
	size_t page_size;
	size_t buf_len;
	unsigned char *buf;
	__u64 iova;
	struct vfio_region_info bar0;
	struct vfio_region_info config;
	volatile unsigned char *bar;
};

static void find_device(struct demo *d, const char *arg)
{
	char path[400], dev[32], group[32];
	struct dirent *de;
	DIR *dir;
	int rc;

	step("find the device");
	if (!arg) {
		rc = find_bound_edu(d->bdf, sizeof(d->bdf));
		if (rc == ENOENT) {
			failed(rc, "%s is not there", PCI_DRIVER_DIR);
			hints(hint_load_modules);
			exit(2);
		}
		if (rc) {
			failed(rc, "no edu (%04x:%04x) is bound to %s",
			       EDU_VENDOR, EDU_DEVICE, DRIVER);
			explain_no_edu();
			exit(2);
		}
	} else if (strlen(arg) == 7 && arg[2] == ':' && arg[5] == '.') {
		/* bus:device.function without the PCI domain */
		snprintf(d->bdf, sizeof(d->bdf), "0000:%s", arg);
	} else {
		snprintf(d->bdf, sizeof(d->bdf), "%s", arg);
	}

	snprintf(path, sizeof(path), "%s/%s", PCI_DEVICES, d->bdf);
	if (access(path, F_OK)) {
		failed(errno, "no PCI device %s", d->bdf);
		hint("give an address as lspci -D shows it, like 0000:00:02.0");
		exit(2);
	}
	if (!is_edu(d->bdf)) {
		failed(0, "%s is %04lx:%04lx, not QEMU's edu (%04x:%04x)",
		       d->bdf, pci_attr(d->bdf, "vendor"),
		       pci_attr(d->bdf, "device"), EDU_VENDOR, EDU_DEVICE);
		exit(2);
	}

	/* <device>/vfio-dev/vfioN exists while the companion drives it */
	snprintf(path, sizeof(path), "%s/%s/vfio-dev", PCI_DEVICES, d->bdf);
	dir = opendir(path);
	if (!dir) {
		rc = errno;
		pci_link_name(d->bdf, "driver", dev, sizeof(dev));
		failed(rc, "%s is not bound to %s (its driver: %s)",
		       d->bdf, DRIVER, dev);
		hint("bind it, as root:");
		bind_lines(d->bdf);
		exit(2);
	}
	while ((de = readdir(dir))) {
		if (!strncmp(de->d_name, "vfio", 4))
			snprintf(d->cdev, sizeof(d->cdev),
				 "/dev/vfio/devices/%s", de->d_name);
	}
	closedir(dir);
	if (!d->cdev[0]) {
		failed(ENOENT, "%s has no vfioN entry", path);
		exit(2);
	}
	snprintf(path, sizeof(path), "%s/%s/vfio-dev/%s/dev", PCI_DEVICES,
		 d->bdf, strrchr(d->cdev, '/') + 1);
	if (sysfs_read(path, dev, sizeof(dev)))
		snprintf(dev, sizeof(dev), "?");
	pci_link_name(d->bdf, "iommu_group", group, sizeof(group));
	say("%s (%04x:%04x, iommu_group %s, driver %s) is %s (char %s)",
	    d->bdf, EDU_VENDOR, EDU_DEVICE, group, DRIVER, d->cdev, dev);
}

static void open_ioasid(struct demo *d)
{
	int err;

	step("open /dev/ioasid");
	d->iommufd = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
	if (d->iommufd < 0) {
		err = errno;
		failed(err, NULL);
		if (err == ENOENT)
			hints(hint_load_ioasid);
		if (err == EACCES)
			hints(hint_access);
		exit(2);
	}
	say("fd %d, a new context with no objects", d->iommufd);
}

static void open_device(struct demo *d)
{
	int err;

	step("open the device cdev");
	d->devfd = open(d->cdev, O_RDWR | O_CLOEXEC);
	if (d->devfd < 0) {
		err = errno;
		failed(err, "%s", d->cdev);
		if (err == ENOENT) {
			hint("the device is not bound to %s; bind it, as root:",
			     DRIVER);
			bind_lines(d->bdf);
			hints(hint_no_node);
		}
		if (err == EACCES)
			hints(hint_access);
		exit(2);
	}
	say("%s is fd %d; it is parked until bound", d->cdev, d->devfd);
}

static void bind_device(struct demo *d)
{
	struct vfio_device_bind_iommufd bind = {
		.argsz = sizeof(bind),
		.flags = 0,
		.iommufd = d->iommufd,
	};
	int err;

	step("VFIO_DEVICE_BIND_IOMMUFD");
	if (ioctl(d->devfd, VFIO_DEVICE_BIND_IOMMUFD, &bind)) {
		err = errno;
		failed(err, NULL);
		switch (err) {
		case EBUSY:
			hints(hint_bind_ebusy);
			list_group(d->bdf);
			break;
		case EPERM:
			hints(hint_bind_eperm);
			break;
		case EINVAL:
			hints(hint_bind_einval);
			break;
		case ENODEV:
			hints(hint_bind_enodev);
			break;
		}
		exit(2);
	}
	d->devid = bind.out_devid;
	say("device object id %u in fd %d's context; DMA blocked until attach",
	    d->devid, d->iommufd);
}

static void alloc_ioas(struct demo *d)
{
	struct iommu_ioas_alloc alloc = {
		.size = sizeof(alloc),
		.flags = 0,
	};

	step("IOMMU_IOAS_ALLOC");
	if (ioctl(d->iommufd, IOMMU_IOAS_ALLOC, &alloc))
		die(errno);
	d->ioas_id = alloc.out_ioas_id;
	say("IOAS id %u, an empty I/O address space", d->ioas_id);
}

static void attach_device(struct demo *d)
{
	struct vfio_device_attach_iommufd_pt attach = {
		.argsz = sizeof(attach),
		.flags = 0,
		.pt_id = d->ioas_id,
	};
	int err;

	step("VFIO_DEVICE_ATTACH_IOMMUFD_PT");
	if (ioctl(d->devfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach)) {
		err = errno;
		failed(err, "IOAS %u", d->ioas_id);
		if (err == EADDRINUSE)
			hints(hint_attach_eaddrinuse);
		exit(2);
	}
	d->hwpt_id = attach.pt_id;
	say("IOAS %u -> HWPT id %u, the IOMMU domain mirroring the IOAS",
	    d->ioas_id, d->hwpt_id);
}

/* The usable IOVA ranges, asking again while the array is too short */
static void query_ranges(struct demo *d)
{
	struct iommu_ioas_iova_ranges cmd;
	struct iommu_iova_range *ranges = NULL, *bigger;
	__u32 room = 0, first_need = 0, i;
	int tries = 0;
	char line[1024];
	size_t pos;

	step("IOMMU_IOAS_IOVA_RANGES");
	for (;;) {
		memset(&cmd, 0, sizeof(cmd));
		cmd.size = sizeof(cmd);
		cmd.ioas_id = d->ioas_id;
		cmd.num_iovas = room;
		cmd.allowed_iovas = (uintptr_t)ranges;
		if (!ioctl(d->iommufd, IOMMU_IOAS_IOVA_RANGES, &cmd))
			break;
		/* EMSGSIZE: num_iovas says how many there are */
		if (errno != EMSGSIZE || ++tries > 5)
			die(errno);
		if (!first_need)
			first_need = cmd.num_iovas;
		room = cmd.num_iovas;
		bigger = realloc(ranges, room * sizeof(*ranges));
		if (!bigger)
			die(ENOMEM);
		ranges = bigger;
	}
	d->ranges = ranges;
	d->nr_ranges = cmd.num_iovas;
	d->alignment = cmd.out_iova_alignment;
	if (!d->nr_ranges) {
		failed(0, "the IOAS has no usable IOVA at all");
		exit(2);
	}

	pos = snprintf(line, sizeof(line), "%u range%s", d->nr_ranges,
		       d->nr_ranges == 1 ? "" : "s");
	for (i = 0; i < d->nr_ranges && pos < sizeof(line); i++)
		pos += snprintf(line + pos, sizeof(line) - pos,
				" [0x%llx, 0x%llx]",
				(unsigned long long)ranges[i].start,
				(unsigned long long)ranges[i].last);
	say("%s, alignment %llu (asked with room for 0: EMSGSIZE, %u needed)",
	    line, (unsigned long long)d->alignment, first_need);
}

/* The lowest IOVA at or above IOVA_FLOOR that edu can reach */
static void pick_iova(struct demo *d)
{
	__u64 align = d->alignment > d->page_size ? d->alignment : d->page_size;
	__u64 lo, hi;
	__u32 i;

	step("pick an IOVA");
	/* Both halves of the buffer are whole pages, in the IOAS alignment */
	d->buf_len = (2 * d->page_size + align - 1) / align * align;
	for (i = 0; i < d->nr_ranges; i++) {
		lo = d->ranges[i].start > IOVA_FLOOR ? d->ranges[i].start :
						       IOVA_FLOOR;
		if (lo > d->ranges[i].last || lo > UINT64_MAX - align)
			continue;
		lo = (lo + align - 1) / align * align;
		hi = d->ranges[i].last < EDU_DMA_LIMIT - 1 ?
		     d->ranges[i].last : EDU_DMA_LIMIT - 1;
		if (lo > hi || hi - lo < d->buf_len - 1)
			continue;
		d->iova = lo;
		say("0x%llx, %zu KiB in [0x%llx, 0x%llx], below edu's 0x%llx",
		    (unsigned long long)d->iova, d->buf_len >> 10,
		    (unsigned long long)d->ranges[i].start,
		    (unsigned long long)d->ranges[i].last, EDU_DMA_LIMIT);
		return;
	}
	failed(0, "no usable range holds %zu bytes in [0x%llx, 0x%llx)",
	       d->buf_len, IOVA_FLOOR, EDU_DMA_LIMIT);
	exit(2);
}

static void print_kib(char *buf, size_t len, rlim_t val)
{
	if (val == RLIM_INFINITY)
		snprintf(buf, len, "unlimited");
	else
		snprintf(buf, len, "%llu KiB", (unsigned long long)val >> 10);
}

static void map_buffer(struct demo *d)
{
	struct iommu_ioas_map map = {
		.size = sizeof(map),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE,
		.ioas_id = d->ioas_id,
		.iova = d->iova,
	};
	char cur[32] = "?", max[32] = "?";
	struct rlimit lim;
	int err;

	step("IOMMU_IOAS_MAP");
	d->buf = mmap(NULL, d->buf_len, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (d->buf == MAP_FAILED)
		die(errno);
	memset(d->buf, 0, d->buf_len);
	if (!getrlimit(RLIMIT_MEMLOCK, &lim)) {
		print_kib(cur, sizeof(cur), lim.rlim_cur);
		print_kib(max, sizeof(max), lim.rlim_max);
	}
	map.user_va = (uintptr_t)d->buf;
	map.length = d->buf_len;
	if (ioctl(d->iommufd, IOMMU_IOAS_MAP, &map)) {
		err = errno;
		failed(err, "%zu bytes at IOVA 0x%llx", d->buf_len,
		       (unsigned long long)d->iova);
		if (err == ENOMEM) {
			hint("pinned memory counts against RLIMIT_MEMLOCK:");
			hint("%s (hard limit %s), and this map adds %zu KiB",
			     cur, max, d->buf_len >> 10);
			hint("to what the user has locked already; raise it");
			hint("with ulimit -l, or memlock in limits.conf(5)");
		}
		if (err == EINVAL) {
			hint("IOVA and length must be multiples of %llu, and",
			     (unsigned long long)d->alignment);
			hint("the range outside the reserved IOVAs");
		}
		if (err == EEXIST)
			hint("something is mapped there already");
		exit(2);
	}
	say("%zu KiB at %p -> IOVA 0x%llx, read/write, pinned (memlock %s)",
	    d->buf_len >> 10, (void *)d->buf, (unsigned long long)map.iova,
	    cur);
}

static void region_info(struct demo *d, __u32 index,
			struct vfio_region_info *info)
{
	memset(info, 0, sizeof(*info));
	info->argsz = sizeof(*info);
	info->index = index;
	if (ioctl(d->devfd, VFIO_DEVICE_GET_REGION_INFO, info)) {
		failed(errno, "region %u", index);
		exit(2);
	}
}

static void get_regions(struct demo *d)
{
	__u32 f;

	step("VFIO_DEVICE_GET_REGION_INFO");
	region_info(d, VFIO_PCI_BAR0_REGION_INDEX, &d->bar0);
	region_info(d, VFIO_PCI_CONFIG_REGION_INDEX, &d->config);
	f = d->bar0.flags;
	say("BAR0 %llu KiB at offset 0x%llx (%s%s%s), config %llu B at 0x%llx",
	    (unsigned long long)d->bar0.size >> 10,
	    (unsigned long long)d->bar0.offset,
	    f & VFIO_REGION_INFO_FLAG_READ ? "read" : "",
	    f & VFIO_REGION_INFO_FLAG_WRITE ? ", write" : "",
	    f & VFIO_REGION_INFO_FLAG_MMAP ? ", mmap" : "",
	    (unsigned long long)d->config.size,
	    (unsigned long long)d->config.offset);
	if (!(f & VFIO_REGION_INFO_FLAG_MMAP) || d->bar0.size < 0x100) {
		failed(0, "BAR0 cannot be mmapped or is too small for edu");
		exit(2);
	}
}

static void map_bar(struct demo *d)
{
	void *bar;

	step("mmap BAR0");
	bar = mmap(NULL, d->bar0.size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   d->devfd, d->bar0.offset);
	if (bar == MAP_FAILED)
		die(errno);
	d->bar = bar;
	say("%llu KiB of registers at %p",
	    (unsigned long long)d->bar0.size >> 10, bar);
}

static __u32 mmio_read32(struct demo *d, unsigned int off)
{
	return *(volatile __u32 *)(d->bar + off);
}

static __u64 mmio_read64(struct demo *d, unsigned int off)
{
	return *(volatile __u64 *)(d->bar + off);
}

static void mmio_write64(struct demo *d, unsigned int off, __u64 val)
{
	*(volatile __u64 *)(d->bar + off) = val;
}

static void check_id(struct demo *d)
{
	__u32 id;

	step("edu ID register");
	id = mmio_read32(d, EDU_REG_ID);
	if ((id & EDU_ID_MASK) != EDU_ID_LOW) {
		failed(0, "read 0x%08x, want 0x010000ed: not an edu", id);
		exit(2);
	}
	say("0x%08x, edu version %u.%u", id, id >> 24, (id >> 16) & 0xff);
}

static int config_rw(struct demo *d, int write, __u16 *val)
{
	off_t off = d->config.offset + PCI_COMMAND;
	ssize_t n;

	if (write)
		n = pwrite(d->devfd, val, sizeof(*val), off);
	else
		n = pread(d->devfd, val, sizeof(*val), off);
	if (n < 0)
		return errno;
	return n == sizeof(*val) ? 0 : EIO;
}

/* vfio-pci-core turns bus mastering off when it enables the device */
static void set_bus_master(struct demo *d, int on)
{
	__u16 before, cmd, after;
	int rc;

	step(on ? "enable bus mastering" : "disable bus mastering");
	rc = config_rw(d, 0, &before);
	if (rc)
		die(rc);
	cmd = before | PCI_COMMAND_MEMORY;
	if (on)
		cmd |= PCI_COMMAND_MASTER;
	else
		cmd &= ~PCI_COMMAND_MASTER;
	rc = config_rw(d, 1, &cmd);
	if (!rc)
		rc = config_rw(d, 0, &after);
	if (rc)
		die(rc);
	if (!(after & PCI_COMMAND_MASTER) != !on) {
		failed(0, "PCI_COMMAND reads 0x%04x after writing 0x%04x",
		       after, cmd);
		exit(2);
	}
	say("PCI_COMMAND 0x%04x -> 0x%04x, written through the config region",
	    before, after);
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
static void edu_dma(struct demo *d, __u64 src, __u64 dst, int to_ram)
{
	struct timespec t0;
	long ms;

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	mmio_write64(d, EDU_REG_DMA_SRC, src);
	mmio_write64(d, EDU_REG_DMA_DST, dst);
	mmio_write64(d, EDU_REG_DMA_CNT, DMA_LEN);
	mmio_write64(d, EDU_REG_DMA_CMD,
		     EDU_CMD_START | (to_ram ? EDU_CMD_TO_RAM : 0));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (mmio_read64(d, EDU_REG_DMA_CMD) & EDU_CMD_START) {
		if (ms_since(&t0) > DMA_TIMEOUT_MS) {
			failed(ETIMEDOUT, "edu still busy after %d ms",
			       DMA_TIMEOUT_MS);
			exit(2);
		}
		usleep(1000);
	}
	ms = ms_since(&t0);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	say("%d bytes %s 0x%llx -> %s 0x%llx, done in %ld ms", DMA_LEN,
	    to_ram ? "edu buffer" : "RAM at IOVA", (unsigned long long)src,
	    to_ram ? "RAM at IOVA" : "edu buffer", (unsigned long long)dst,
	    ms);
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

static int verify(struct demo *d, __u32 seed)
{
	const unsigned char *src = d->buf, *dst = d->buf + d->page_size;
	size_t i, bad = 0, first = 0, poison = 0, zero = 0, tail = 0;

	step("verify");
	for (i = 0; i < DMA_LEN; i++) {
		if (dst[i] == src[i])
			continue;
		if (!bad++)
			first = i;
		poison += dst[i] == POISON;
		zero += dst[i] == 0;
	}
	for (i = DMA_LEN; i < d->page_size; i++)
		tail += dst[i] != POISON;
	if (!bad && !tail) {
		say("%d bytes match (seed 0x%08x), the %zu after them intact",
		    DMA_LEN, seed, d->page_size - DMA_LEN);
		return 0;
	}
	if (bad)
		failed(0, "%zu of %d bytes differ, at %zu 0x%02x is 0x%02x",
		       bad, DMA_LEN, first, src[first], dst[first]);
	else
		failed(0, "%zu bytes past the transfer changed", tail);
	if (bad && poison == bad)
		hint("nothing arrived: the device's writes were blocked");
	else if (bad && zero == bad)
		hint("zeros arrived: the device's reads were blocked");
	hint("look for an IOMMU fault in the kernel log (dmesg)");
	return 1;
}

static void unmap_buffer(struct demo *d)
{
	struct iommu_ioas_unmap unmap = {
		.size = sizeof(unmap),
		.ioas_id = d->ioas_id,
		.iova = d->iova,
		.length = d->buf_len,
	};

	step("IOMMU_IOAS_UNMAP");
	if (ioctl(d->iommufd, IOMMU_IOAS_UNMAP, &unmap))
		die(errno);
	say("%llu bytes at IOVA 0x%llx unmapped from the domain and unpinned",
	    (unsigned long long)unmap.length, (unsigned long long)d->iova);
}

static void close_all(struct demo *d)
{
	step("close");
	munmap((void *)d->bar, d->bar0.size);
	/* Closing the device fd detaches it and gives its DMA back */
	if (close(d->devfd))
		die(errno);
	/* Then the context goes, with the IOAS and the HWPT */
	if (close(d->iommufd))
		die(errno);
	munmap(d->buf, d->buf_len);
	free(d->ranges);
	say("BAR0 unmapped, device fd then /dev/ioasid closed (IOAS %u freed)",
	    d->ioas_id);
}

int main(int argc, char **argv)
{
	struct demo d = { .iommufd = -1, .devfd = -1 };
	__u32 seed;
	int bad;

	if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
		fprintf(stderr, "usage: %s [PCI address]\n"
			"  drives QEMU's edu device (%04x:%04x) bound to %s;\n"
			"  default: the first edu bound to it\n",
			PROG, EDU_VENDOR, EDU_DEVICE, DRIVER);
		return 2;
	}
	d.page_size = sysconf(_SC_PAGESIZE);
	printf("%s: a user space driver for QEMU's edu through /dev/ioasid\n",
	       PROG);

	find_device(&d, argc == 2 ? argv[1] : NULL);
	open_ioasid(&d);
	open_device(&d);
	bind_device(&d);
	alloc_ioas(&d);
	attach_device(&d);
	query_ranges(&d);
	pick_iova(&d);
	map_buffer(&d);
	get_regions(&d);
	map_bar(&d);
	check_id(&d);
	set_bus_master(&d, 1);

	/* Source: the first page; destination: the second, poisoned */
	seed = fill_pattern(d.buf, DMA_LEN);
	memset(d.buf + d.page_size, POISON, d.page_size);
	step("DMA RAM -> device");
	edu_dma(&d, d.iova, EDU_BUF_ADDR, 0);
	step("DMA device -> RAM");
	edu_dma(&d, EDU_BUF_ADDR, d.iova + d.page_size, 1);
	bad = verify(&d, seed);

	set_bus_master(&d, 0);
	unmap_buffer(&d);
	close_all(&d);
	if (bad)
		printf("%s: FAILED, the data did not survive the trip\n", PROG);
	else
		printf("%s: ok, RAM -> edu -> RAM through the IOMMU, intact\n",
		       PROG);
	return bad;
}
