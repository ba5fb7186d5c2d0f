// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * libioasid: open a PCI device bound to vfio-ioasid-pci through /dev/ioasid,
 * map memory for its DMA, reach its registers and take its interrupts.  The
 * contract, error reporting included, is in libioasid.h.
 */
#define _GNU_SOURCE		/* strerrorname_np() */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <linux/pci_regs.h>
#include <linux/vfio.h>
#include <linux/ioasid.h>
#include <linux/ioasid_vfio.h>

/*
 * What libioasid.h declares is the library's interface, and the version
 * script libioasid.map lists the same names; everything else stays inside
 * the shared library (-fvisibility=hidden).
 */
#pragma GCC visibility push(default)
#include "libioasid.h"
#pragma GCC visibility pop

#define PCI_DEVICES	"/sys/bus/pci/devices"
#define DRIVER_DIR	"/sys/bus/pci/drivers/" IOASID_DRIVER
#define DEFAULT_FLOOR	0x100000ULL	/* IOVA 0 stays unmapped */
#define printf_like(f, a)	__attribute__((format(printf, f, a)))
#define NO_DETAIL	"%s", ""	/* fail() without a detail */

/* ------------------------------------------------------------ messages */

static void printf_like(3, 4)
vappend(struct ioasid_dev *dev, size_t *pos, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*pos >= sizeof(dev->errmsg))
		return;
	va_start(ap, fmt);
	n = vsnprintf(dev->errmsg + *pos, sizeof(dev->errmsg) - *pos, fmt, ap);
	va_end(ap);
	if (n > 0)
		*pos += n;
}

/*
 * Start a failure message: "@step failed: ERRNAME (text): detail", where an
 * empty detail (NO_DETAIL) gives none.  Returns the negative errno, so that callers
 * can "return fail(...)".
 */
static int printf_like(4, 5)
fail(struct ioasid_dev *dev, int err, const char *step, const char *fmt, ...)
{
	const char *name = err ? strerrorname_np(err) : NULL;
	char detail[IOASID_ERRMSG_LEN / 2];
	size_t pos = 0;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	vappend(dev, &pos, "%s failed", step);
	if (err)
		vappend(dev, &pos, ": %s (%s)", name ? name : "?",
			strerror(err));
	if (detail[0])
		vappend(dev, &pos, ": %s", detail);
	dev->err = err ? err : EINVAL;
	return -dev->err;
}

/* Add one hint line to the failure message */
static void printf_like(2, 3)
hint(struct ioasid_dev *dev, const char *fmt, ...)
{
	size_t pos = strnlen(dev->errmsg, sizeof(dev->errmsg));
	va_list ap;
	int n;

	vappend(dev, &pos, "\n  hint: ");
	if (pos >= sizeof(dev->errmsg))
		return;
	va_start(ap, fmt);
	n = vsnprintf(dev->errmsg + pos, sizeof(dev->errmsg) - pos, fmt, ap);
	va_end(ap);
	(void)n;
}

static void printf_like(2, 3)
say(struct ioasid_dev *dev, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (!dev->log)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	dev->log(dev->log_priv, line);
}

const char *ioasid_errmsg(const struct ioasid_dev *dev)
{
	return dev->errmsg;
}

/* --------------------------------------------------------------- sysfs */

static int sysfs_read(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	n = read(fd, buf, len - 1);
	err = errno;
	close(fd);
	if (n < 0)
		return err;
	while (n > 0 && buf[n - 1] == '\n')
		n--;
	buf[n] = '\0';
	return 0;
}

static long pci_attr(const char *bdf, const char *attr)
{
	char path[256], val[32];

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/%s", bdf, attr);
	if (sysfs_read(path, val, sizeof(val)))
		return -1;
	return strtol(val, NULL, 0);
}

/* The last component of the symlink <device>/@link, or "none" */
static void pci_link(const char *bdf, const char *link, char *buf, size_t len)
{
	char path[256], target[256];
	const char *slash;
	ssize_t n;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/%s", bdf, link);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0) {
		snprintf(buf, len, "none");
		return;
	}
	target[n] = '\0';
	slash = strrchr(target, '/');
	snprintf(buf, len, "%s", slash ? slash + 1 : target);
}

static void hint_bind_lines(struct ioasid_dev *dev, const char *bdf)
{
	char drv[64];

	pci_link(bdf, "driver", drv, sizeof(drv));
	hint(dev, "%s is bound to driver: %s; bind it to %s, as root:",
	     bdf, drv, IOASID_DRIVER);
	if (strcmp(drv, "none"))
		hint(dev, "    echo %s > /sys/bus/pci/drivers/%s/unbind",
		     bdf, drv);
	hint(dev, "    echo %s > " PCI_DEVICES "/%s/driver_override",
	     IOASID_DRIVER, bdf);
	hint(dev, "    echo %s > /sys/bus/pci/drivers_probe", bdf);
}

static void hint_group(struct ioasid_dev *dev)
{
	char path[256], group[32], drv[64];
	struct dirent *de;
	DIR *dir;

	pci_link(dev->bdf, "iommu_group", group, sizeof(group));
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/iommu_group/devices",
		 dev->bdf);
	dir = opendir(path);
	if (!dir)
		return;
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		pci_link(de->d_name, "driver", drv, sizeof(drv));
		hint(dev, "iommu_group %s: %s, driver %s", group, de->d_name,
		     drv);
	}
	closedir(dir);
}

/* For ioasid_find_bound(): how to bind the first @vendor:@device there is */
static void hint_unbound(struct ioasid_dev *dev, __u16 vendor, __u16 device)
{
	struct dirent **names;
	int i, n, found = 0;

	n = scandir(PCI_DEVICES, &names, NULL, alphasort);
	for (i = 0; i < n; i++) {
		const char *name = names[i]->d_name;

		if (!found && strchr(name, ':') &&
		    pci_attr(name, "vendor") == vendor &&
		    pci_attr(name, "device") == device) {
			hint_bind_lines(dev, name);
			found = 1;
		}
		free(names[i]);
	}
	if (n >= 0)
		free(names);
	if (!found)
		hint(dev, "this machine has no %04x:%04x device", vendor,
		     device);
}

int ioasid_find_bound(struct ioasid_dev *dev, __u16 vendor, __u16 device,
		      char *bdf, size_t len)
{
	struct dirent **names;
	int i, n, rc = -ENODEV;

	n = scandir(DRIVER_DIR, &names, NULL, alphasort);
	if (n < 0) {
		rc = fail(dev, errno, "find a device", "%s", DRIVER_DIR);
		hint(dev, "load the modules, as root: modprobe vfio-pci-core;");
		hint(dev, "modprobe %s (it loads ioasid-core too)", IOASID_DRIVER);
		return rc;
	}
	for (i = 0; i < n; i++) {
		const char *name = names[i]->d_name;

		if (rc && strchr(name, ':') &&
		    pci_attr(name, "vendor") == vendor &&
		    pci_attr(name, "device") == device) {
			snprintf(bdf, len, "%s", name);
			rc = 0;
		}
		free(names[i]);
	}
	free(names);
	if (rc) {
		fail(dev, ENODEV, "find a device",
		     "no %04x:%04x is bound to %s", vendor, device,
		     IOASID_DRIVER);
		hint_unbound(dev, vendor, device);
	}
	return rc;
}

/* ----------------------------------------------------------- open steps */

static int find_cdev(struct ioasid_dev *dev, const char *bdf)
{
	char path[256];
	struct dirent *de;
	DIR *dir;
	int err;

	if (strlen(bdf) == 7 && bdf[2] == ':' && bdf[5] == '.')
		snprintf(dev->bdf, sizeof(dev->bdf), "0000:%s", bdf);
	else
		snprintf(dev->bdf, sizeof(dev->bdf), "%s", bdf);

	snprintf(path, sizeof(path), PCI_DEVICES "/%s", dev->bdf);
	if (access(path, F_OK))
		return fail(dev, errno, "find the device",
			    "no PCI device %s (give the address as lspci -D shows it)",
			    dev->bdf);
	dev->vendor = pci_attr(dev->bdf, "vendor");
	dev->device = pci_attr(dev->bdf, "device");

	/* <device>/vfio-dev/vfioN exists while the companion drives it */
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/vfio-dev", dev->bdf);
	dir = opendir(path);
	if (!dir) {
		err = errno;
		fail(dev, err, "find the device cdev",
		     "%s is not bound to %s (no %s)", dev->bdf, IOASID_DRIVER,
		     path);
		hint_bind_lines(dev, dev->bdf);
		return -err;
	}
	while ((de = readdir(dir))) {
		if (!strncmp(de->d_name, "vfio", 4))
			snprintf(dev->cdev, sizeof(dev->cdev),
				 "/dev/vfio/devices/%s", de->d_name);
	}
	closedir(dir);
	if (!dev->cdev[0])
		return fail(dev, ENOENT, "find the device cdev",
			    "%s has no vfioN entry", path);
	say(dev, "%s (%04x:%04x) is %s", dev->bdf, dev->vendor, dev->device,
	    dev->cdev);
	return 0;
}

static int open_nodes(struct ioasid_dev *dev)
{
	int err;

	dev->iommufd = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
	if (dev->iommufd < 0) {
		err = errno;
		fail(dev, err, "open /dev/ioasid", NO_DETAIL);
		if (err == ENOENT)
			hint(dev, "load the module, as root: modprobe ioasid-core (or insmod ioasid-core.ko)");
		if (err == EACCES)
			hint(dev, "/dev/ioasid is root's unless udev/60-ioasid.rules gives a group access");
		return -err;
	}
	dev->devfd = open(dev->cdev, O_RDWR | O_CLOEXEC);
	if (dev->devfd < 0) {
		err = errno;
		fail(dev, err, "open the device cdev", "%s", dev->cdev);
		if (err == ENOENT) {
			hint(dev, "the device is not bound to %s, or /dev has no devtmpfs",
			     IOASID_DRIVER);
			hint_bind_lines(dev, dev->bdf);
		}
		if (err == EACCES)
			hint(dev, "%s is root's unless udev/60-ioasid.rules gives a group access",
			     dev->cdev);
		return -err;
	}
	say(dev, "opened /dev/ioasid (fd %d) and %s (fd %d)", dev->iommufd,
	    dev->cdev, dev->devfd);
	return 0;
}

static int bind_dev(struct ioasid_dev *dev)
{
	struct vfio_device_bind_iommufd bind = {
		.argsz = sizeof(bind),
		.iommufd = dev->iommufd,
	};
	int err;

	if (!ioctl(dev->devfd, VFIO_DEVICE_BIND_IOMMUFD, &bind)) {
		dev->devid = bind.out_devid;
		say(dev, "VFIO_DEVICE_BIND_IOMMUFD: device object %u",
		    dev->devid);
		return 0;
	}
	err = errno;
	fail(dev, err, "VFIO_DEVICE_BIND_IOMMUFD", "%s", dev->bdf);
	switch (err) {
	case EBUSY:
		hint(dev, "another driver or /dev/ioasid context owns the DMA of the");
		hint(dev, "device's iommu_group: every device in it must be bound to");
		hint(dev, "%s or to no driver, and no other program may hold it",
		     IOASID_DRIVER);
		hint_group(dev);
		break;
	case EPERM:
		hint(dev, "the IOMMU does not isolate the device's MSIs (no interrupt");
		hint(dev, "remapping).  Turn interrupt remapping on (intremap=on,");
		hint(dev, "intel_iommu=on) or, only if every user of /dev/ioasid is");
		hint(dev, "trusted: echo 1 > /sys/module/ioasid_core/parameters/allow_unsafe_interrupts");
		break;
	case EINVAL:
		hint(dev, "another program or fd has the device bound already: one user at a time");
		break;
	case ENODEV:
		hint(dev, "the device has no IOMMU: boot with intel_iommu=on or AMD-Vi on");
		break;
	}
	return -err;
}

static int alloc_ioas(struct ioasid_dev *dev)
{
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };

	if (ioctl(dev->iommufd, IOMMU_IOAS_ALLOC, &alloc))
		return fail(dev, errno, "IOMMU_IOAS_ALLOC", NO_DETAIL);
	dev->ioas_id = alloc.out_ioas_id;
	say(dev, "IOMMU_IOAS_ALLOC: IOAS %u", dev->ioas_id);
	return 0;
}

static int attach_dev(struct ioasid_dev *dev)
{
	struct vfio_device_attach_iommufd_pt attach = {
		.argsz = sizeof(attach),
		.pt_id = dev->ioas_id,
	};
	int err;

	if (ioctl(dev->devfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach)) {
		err = errno;
		fail(dev, err, "VFIO_DEVICE_ATTACH_IOMMUFD_PT", "IOAS %u",
		     dev->ioas_id);
		if (err == EADDRINUSE)
			hint(dev, "the IOAS maps IOVAs that the device's IOMMU reserves");
		return -err;
	}
	dev->hwpt_id = attach.pt_id;
	say(dev, "VFIO_DEVICE_ATTACH_IOMMUFD_PT: IOAS %u through HWPT %u",
	    dev->ioas_id, dev->hwpt_id);
	return 0;
}

static int read_ranges(struct ioasid_dev *dev)
{
	struct iommu_ioas_iova_ranges cmd = {
		.size = sizeof(cmd),
		.ioas_id = dev->ioas_id,
		.num_iovas = IOASID_MAX_RANGES,
		.allowed_iovas = (uintptr_t)dev->ranges,
	};
	char line[256];
	size_t pos;
	__u32 i;

	if (ioctl(dev->iommufd, IOMMU_IOAS_IOVA_RANGES, &cmd)) {
		if (errno == EMSGSIZE) {
			/* The first IOASID_MAX_RANGES were written */
			cmd.num_iovas = IOASID_MAX_RANGES;
		} else {
			return fail(dev, errno, "IOMMU_IOAS_IOVA_RANGES",
				    "IOAS %u", dev->ioas_id);
		}
	}
	dev->nr_ranges = cmd.num_iovas;
	dev->iova_align = dev->page_size;
	if (cmd.out_iova_alignment > dev->iova_align)
		dev->iova_align = cmd.out_iova_alignment;
	if (dev->iova_align & (dev->iova_align - 1))
		return fail(dev, EINVAL, "IOMMU_IOAS_IOVA_RANGES",
			    "alignment %llu is not a power of two",
			    (unsigned long long)dev->iova_align);
	if (!dev->nr_ranges)
		return fail(dev, ENOSPC, "IOMMU_IOAS_IOVA_RANGES",
			    "the IOAS has no usable IOVA");
	pos = 0;
	for (i = 0; i < dev->nr_ranges && pos < sizeof(line); i++)
		pos += snprintf(line + pos, sizeof(line) - pos,
				" [0x%llx-0x%llx]",
				(unsigned long long)dev->ranges[i].start,
				(unsigned long long)dev->ranges[i].last);
	say(dev, "IOMMU_IOAS_IOVA_RANGES:%s, alignment 0x%llx", line,
	    (unsigned long long)cmd.out_iova_alignment);
	return 0;
}

static int read_info(struct ioasid_dev *dev)
{
	dev->info.argsz = sizeof(dev->info);
	if (ioctl(dev->devfd, VFIO_DEVICE_GET_INFO, &dev->info))
		return fail(dev, errno, "VFIO_DEVICE_GET_INFO", NO_DETAIL);
	if (!(dev->info.flags & VFIO_DEVICE_FLAGS_PCI))
		return fail(dev, ENODEV, "VFIO_DEVICE_GET_INFO",
			    "not a PCI device (flags 0x%x)", dev->info.flags);
	return ioasid_region_info(dev, VFIO_PCI_CONFIG_REGION_INDEX,
				  &dev->config);
}

int ioasid_dev_open(struct ioasid_dev *dev, const char *bdf,
		    unsigned int flags)
{
	void (*log)(void *, const char *) = dev->log;
	void *log_priv = dev->log_priv;
	__u64 floor = dev->iova_floor, limit = dev->iova_limit;
	unsigned int i;
	int rc;

	memset(dev, 0, sizeof(*dev));
	dev->log = log;
	dev->log_priv = log_priv;
	dev->iova_floor = floor ? floor : DEFAULT_FLOOR;
	dev->iova_limit = limit;
	dev->iommufd = -1;
	dev->devfd = -1;
	dev->req_fd = -1;
	dev->irq_index = -1;
	for (i = 0; i < IOASID_MAX_IRQS; i++)
		dev->irq_fds[i] = -1;
	dev->page_size = sysconf(_SC_PAGESIZE);
	dev->opened = true;

	if (flags & ~IOASID_OPEN_NO_ATTACH)
		return fail(dev, EINVAL, "ioasid_dev_open", "flags 0x%x",
			    flags);
	rc = find_cdev(dev, bdf);
	if (!rc)
		rc = open_nodes(dev);
	if (!rc)
		rc = bind_dev(dev);
	if (!rc)
		rc = read_info(dev);
	if (!rc)
		rc = alloc_ioas(dev);
	if (!rc && !(flags & IOASID_OPEN_NO_ATTACH))
		rc = attach_dev(dev);
	if (!rc && !(flags & IOASID_OPEN_NO_ATTACH))
		rc = read_ranges(dev);
	if (rc) {
		ioasid_dev_close(dev);
		return rc;
	}
	dev->iova_next = dev->iova_floor;
	return 0;
}

/* Teardown keeps the message of the failure that led to it */
void ioasid_dev_close(struct ioasid_dev *dev)
{
	char *msg;
	unsigned int i;
	int err;

	if (!dev->opened)
		return;
	msg = strndup(dev->errmsg, sizeof(dev->errmsg));
	err = dev->err;
	if (dev->devfd >= 0) {
		ioasid_irq_disable(dev);
		ioasid_bus_master(dev, false);
	}
	for (i = 0; i < VFIO_PCI_ROM_REGION_INDEX; i++) {
		if (dev->bars[i].va)
			munmap(dev->bars[i].va, dev->bars[i].len);
		dev->bars[i].va = NULL;
	}
	while (dev->dmas)
		ioasid_dma_free(dev, dev->dmas);
	if (dev->req_fd >= 0)
		close(dev->req_fd);
	dev->req_fd = -1;
	/* The device fd first: that detaches it and gives its DMA back */
	if (dev->devfd >= 0)
		close(dev->devfd);
	dev->devfd = -1;
	if (dev->iommufd >= 0)
		close(dev->iommufd);
	dev->iommufd = -1;
	dev->opened = false;
	if (msg) {
		snprintf(dev->errmsg, sizeof(dev->errmsg), "%s", msg);
		free(msg);
	}
	dev->err = err;
}

/* --------------------------------------------------------------- memory */

void *ioasid_alloc_pages(size_t len)
{
	void *va;

	va = mmap(NULL, len, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return va == MAP_FAILED ? NULL : va;
}

void ioasid_free_pages(void *va, size_t len)
{
	if (va)
		munmap(va, len);
}

static __u64 align_up(__u64 v, __u64 a)
{
	return (v + a - 1) & ~(a - 1);
}

int ioasid_iova_alloc(struct ioasid_dev *dev, size_t len, __u64 *iova)
{
	__u64 size = align_up(len, dev->iova_align), lo, hi;
	__u32 i;

	if (!len || size < len)
		return fail(dev, EINVAL, "allocate an IOVA", "length %zu", len);
	for (i = 0; i < dev->nr_ranges; i++) {
		lo = dev->ranges[i].start;
		if (lo < dev->iova_next)
			lo = dev->iova_next;
		hi = dev->ranges[i].last;
		if (dev->iova_limit && hi > dev->iova_limit - 1)
			hi = dev->iova_limit - 1;
		if (lo > hi || lo > UINT64_MAX - dev->iova_align)
			continue;
		lo = align_up(lo, dev->iova_align);
		if (lo > hi || hi - lo < size - 1)
			continue;
		*iova = lo;
		dev->iova_next = lo + size;
		return 0;
	}
	return fail(dev, ENOSPC, "allocate an IOVA",
		    "no usable range has %llu free bytes above 0x%llx%s",
		    (unsigned long long)size,
		    (unsigned long long)dev->iova_next,
		    dev->iova_limit ? " below the device's limit" : "");
}

static void rlimit_str(char *buf, size_t len, rlim_t v)
{
	if (v == RLIM_INFINITY)
		snprintf(buf, len, "unlimited");
	else
		snprintf(buf, len, "%llu KiB", (unsigned long long)v >> 10);
}

int ioasid_dma_map(struct ioasid_dev *dev, void *va, size_t len,
		   struct ioasid_dma *dma)
{
	struct iommu_ioas_map map = {
		.size = sizeof(map),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE,
		.ioas_id = dev->ioas_id,
		.user_va = (uintptr_t)va,
	};
	char cur[32] = "?", max[32] = "?";
	struct rlimit lim;
	int rc, err;

	len = align_up(len, dev->iova_align);
	map.length = len;
	rc = ioasid_iova_alloc(dev, len, &map.iova);
	if (rc)
		return rc;
	if (ioctl(dev->iommufd, IOMMU_IOAS_MAP, &map)) {
		err = errno;
		fail(dev, err, "IOMMU_IOAS_MAP", "%zu bytes at %p -> IOVA 0x%llx",
		     len, va, (unsigned long long)map.iova);
		if (err == ENOMEM) {
			if (!getrlimit(RLIMIT_MEMLOCK, &lim)) {
				rlimit_str(cur, sizeof(cur), lim.rlim_cur);
				rlimit_str(max, sizeof(max), lim.rlim_max);
			}
			hint(dev, "pinned memory counts against RLIMIT_MEMLOCK: %s (hard %s);",
			     cur, max);
			hint(dev, "this map adds %zu KiB to what is locked already: raise",
			     len >> 10);
			hint(dev, "ulimit -l, or memlock in limits.conf(5)");
		}
		if (err == EINVAL)
			hint(dev, "IOVA and length must be multiples of 0x%llx and va page-aligned",
			     (unsigned long long)dev->iova_align);
		if (err == EFAULT)
			hint(dev, "the buffer is not mapped read/write in this process");
		return -err;
	}
	dma->va = va;
	dma->len = len;
	dma->iova = map.iova;
	dma->owned = false;
	dma->next = dev->dmas;
	dev->dmas = dma;
	return 0;
}

int ioasid_dma_unmap(struct ioasid_dev *dev, struct ioasid_dma *dma)
{
	struct iommu_ioas_unmap unmap = {
		.size = sizeof(unmap),
		.ioas_id = dev->ioas_id,
		.iova = dma->iova,
		.length = dma->len,
	};
	struct ioasid_dma **p;
	int rc = 0;

	for (p = &dev->dmas; *p; p = &(*p)->next) {
		if (*p == dma) {
			*p = dma->next;
			break;
		}
	}
	dma->next = NULL;
	if (dev->iommufd >= 0 &&
	    ioctl(dev->iommufd, IOMMU_IOAS_UNMAP, &unmap))
		rc = fail(dev, errno, "IOMMU_IOAS_UNMAP",
			  "%zu bytes at IOVA 0x%llx", dma->len,
			  (unsigned long long)dma->iova);
	return rc;
}

int ioasid_dma_alloc(struct ioasid_dev *dev, size_t len,
		     struct ioasid_dma *dma)
{
	size_t size = align_up(len, dev->iova_align);
	void *va;
	int rc;

	va = ioasid_alloc_pages(size);
	if (!va)
		return fail(dev, errno, "allocate DMA memory", "%zu bytes",
			    size);
	rc = ioasid_dma_map(dev, va, size, dma);
	if (rc) {
		ioasid_free_pages(va, size);
		return rc;
	}
	dma->owned = true;
	return 0;
}

int ioasid_dma_free(struct ioasid_dev *dev, struct ioasid_dma *dma)
{
	int rc;

	if (!dma->va)
		return 0;
	rc = ioasid_dma_unmap(dev, dma);
	if (dma->owned)
		ioasid_free_pages(dma->va, dma->len);
	dma->va = NULL;
	return rc;
}

/* ----------------------------------------------------- registers, config */

int ioasid_region_info(struct ioasid_dev *dev, __u32 index,
		       struct vfio_region_info *info)
{
	memset(info, 0, sizeof(*info));
	info->argsz = sizeof(*info);
	info->index = index;
	if (ioctl(dev->devfd, VFIO_DEVICE_GET_REGION_INFO, info))
		return fail(dev, errno, "VFIO_DEVICE_GET_REGION_INFO",
			    "region %u", index);
	return 0;
}

void *ioasid_bar_map(struct ioasid_dev *dev, unsigned int bar, size_t *len)
{
	struct vfio_region_info ri;
	void *va;

	if (bar >= VFIO_PCI_ROM_REGION_INDEX) {
		fail(dev, EINVAL, "mmap a BAR", "BAR%u", bar);
		return NULL;
	}
	if (dev->bars[bar].va)
		goto out;
	if (ioasid_region_info(dev, bar, &ri))
		return NULL;
	if (!ri.size) {
		fail(dev, ENODEV, "mmap a BAR", "BAR%u is not implemented",
		     bar);
		return NULL;
	}
	if (!(ri.flags & VFIO_REGION_INFO_FLAG_MMAP)) {
		fail(dev, EOPNOTSUPP, "mmap a BAR",
		     "BAR%u (flags 0x%x) cannot be mmapped", bar, ri.flags);
		return NULL;
	}
	va = mmap(NULL, ri.size, PROT_READ | PROT_WRITE, MAP_SHARED,
		  dev->devfd, ri.offset);
	if (va == MAP_FAILED) {
		fail(dev, errno, "mmap a BAR", "BAR%u, %llu bytes", bar,
		     (unsigned long long)ri.size);
		return NULL;
	}
	dev->bars[bar].va = va;
	dev->bars[bar].len = ri.size;
	say(dev, "BAR%u: %llu KiB mapped at %p", bar,
	    (unsigned long long)ri.size >> 10, va);
out:
	if (len)
		*len = dev->bars[bar].len;
	return dev->bars[bar].va;
}

static int cfg_rw(struct ioasid_dev *dev, bool write, unsigned int off,
		  void *buf, size_t len)
{
	ssize_t n;

	if (off > dev->config.size || len > dev->config.size - off)
		return fail(dev, EINVAL, write ? "config write" : "config read",
			    "offset 0x%x + %zu past the %llu-byte config space",
			    off, len, (unsigned long long)dev->config.size);
	if (write)
		n = pwrite(dev->devfd, buf, len, dev->config.offset + off);
	else
		n = pread(dev->devfd, buf, len, dev->config.offset + off);
	if (n < 0)
		return fail(dev, errno, write ? "config write" : "config read",
			    "offset 0x%x, %zu bytes", off, len);
	if ((size_t)n != len)
		return fail(dev, EIO, write ? "config write" : "config read",
			    "offset 0x%x: %zd of %zu bytes", off, n, len);
	return 0;
}

int ioasid_cfg_read(struct ioasid_dev *dev, unsigned int off, void *buf,
		    size_t len)
{
	return cfg_rw(dev, false, off, buf, len);
}

int ioasid_cfg_write(struct ioasid_dev *dev, unsigned int off,
		     const void *buf, size_t len)
{
	return cfg_rw(dev, true, off, (void *)buf, len);
}

/* vfio-pci-core clears bus mastering when it enables the device */
int ioasid_bus_master(struct ioasid_dev *dev, bool on)
{
	__u16 cmd, after;
	int rc;

	rc = ioasid_cfg_read(dev, PCI_COMMAND, &cmd, sizeof(cmd));
	if (rc)
		return rc;
	cmd |= PCI_COMMAND_MEMORY;
	if (on)
		cmd |= PCI_COMMAND_MASTER;
	else
		cmd &= ~PCI_COMMAND_MASTER;
	rc = ioasid_cfg_write(dev, PCI_COMMAND, &cmd, sizeof(cmd));
	if (!rc)
		rc = ioasid_cfg_read(dev, PCI_COMMAND, &after, sizeof(after));
	if (rc)
		return rc;
	if (!(after & PCI_COMMAND_MASTER) != !on)
		return fail(dev, EIO, "set bus mastering",
			    "PCI_COMMAND reads 0x%04x after writing 0x%04x",
			    after, cmd);
	return 0;
}

int ioasid_reset(struct ioasid_dev *dev)
{
	int err;

	if (!ioctl(dev->devfd, VFIO_DEVICE_RESET))
		return 0;
	err = errno;
	fail(dev, err, "VFIO_DEVICE_RESET", "%s", dev->bdf);
	if (!(dev->info.flags & VFIO_DEVICE_FLAGS_RESET))
		hint(dev, "the device has no function reset (no FLR or PM reset)");
	return -err;
}

/* ----------------------------------------------------------- interrupts */

static int set_irqs(struct ioasid_dev *dev, __u32 index, __u32 count,
		    const int *fds)
{
	struct {
		struct vfio_irq_set set;
		int fds[IOASID_MAX_IRQS];
	} s;

	memset(&s, 0, sizeof(s));
	s.set.argsz = sizeof(s.set) + count * sizeof(int);
	s.set.flags = (count ? VFIO_IRQ_SET_DATA_EVENTFD :
			       VFIO_IRQ_SET_DATA_NONE) |
		      VFIO_IRQ_SET_ACTION_TRIGGER;
	s.set.index = index;
	s.set.start = 0;
	s.set.count = count;
	if (count)
		memcpy(s.fds, fds, count * sizeof(int));
	return ioctl(dev->devfd, VFIO_DEVICE_SET_IRQS, &s) ? errno : 0;
}

int ioasid_irq_count(struct ioasid_dev *dev, __u32 index)
{
	struct vfio_irq_info ii = { .argsz = sizeof(ii), .index = index };

	if (ioctl(dev->devfd, VFIO_DEVICE_GET_IRQ_INFO, &ii))
		return fail(dev, errno, "VFIO_DEVICE_GET_IRQ_INFO", "index %u",
			    index);
	return ii.count;
}

int ioasid_msix_enable(struct ioasid_dev *dev, unsigned int nvec)
{
	unsigned int i;
	int have, err;

	have = ioasid_irq_count(dev, VFIO_PCI_MSIX_IRQ_INDEX);
	if (have < 0)
		return have;
	if (!nvec || nvec > IOASID_MAX_IRQS || (int)nvec > have)
		return fail(dev, EINVAL, "enable MSI-X",
			    "%u vectors asked, the device has %d (library limit %d)",
			    nvec, have, IOASID_MAX_IRQS);
	if (dev->irq_index >= 0)
		ioasid_irq_disable(dev);
	for (i = 0; i < nvec; i++) {
		dev->irq_fds[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (dev->irq_fds[i] < 0) {
			err = errno;
			dev->nr_irq_fds = i;
			goto err_close;
		}
	}
	dev->nr_irq_fds = nvec;
	err = set_irqs(dev, VFIO_PCI_MSIX_IRQ_INDEX, nvec, dev->irq_fds);
	if (err)
		goto err_close;
	dev->irq_index = VFIO_PCI_MSIX_IRQ_INDEX;
	return 0;

err_close:
	fail(dev, err, "VFIO_DEVICE_SET_IRQS",
	     "MSI-X, %u eventfds", nvec);
	if (err == ENOSPC || err == EINVAL)
		hint(dev, "the kernel may lack free interrupt vectors; try fewer");
	for (i = 0; i < dev->nr_irq_fds; i++) {
		close(dev->irq_fds[i]);
		dev->irq_fds[i] = -1;
	}
	dev->nr_irq_fds = 0;
	return -err;
}

int ioasid_irq_disable(struct ioasid_dev *dev)
{
	unsigned int i;
	int err = 0;

	if (dev->irq_index >= 0)
		err = set_irqs(dev, dev->irq_index, 0, NULL);
	for (i = 0; i < dev->nr_irq_fds; i++) {
		close(dev->irq_fds[i]);
		dev->irq_fds[i] = -1;
	}
	dev->nr_irq_fds = 0;
	dev->irq_index = -1;
	if (err)
		return fail(dev, err, "VFIO_DEVICE_SET_IRQS", "disable");
	return 0;
}

int ioasid_irq_fd(const struct ioasid_dev *dev, unsigned int vec)
{
	return vec < dev->nr_irq_fds ? dev->irq_fds[vec] : -1;
}

static int req_fired(struct ioasid_dev *dev)
{
	fail(dev, ENODEV, "device request",
	     "%s is being unbound from %s (or removed): giving it up",
	     dev->bdf, IOASID_DRIVER);
	return -ENODEV;
}

int ioasid_irq_wait(struct ioasid_dev *dev, unsigned int vec, int timeout_ms)
{
	struct pollfd pfd[2];
	__u64 cnt;
	int n, nfds = 1;

	if (vec >= dev->nr_irq_fds)
		return fail(dev, EINVAL, "wait for an interrupt",
			    "vector %u is not enabled", vec);
	pfd[0].fd = dev->irq_fds[vec];
	pfd[0].events = POLLIN;
	if (dev->req_fd >= 0) {
		pfd[1].fd = dev->req_fd;
		pfd[1].events = POLLIN;
		nfds = 2;
	}
	for (;;) {
		n = poll(pfd, nfds, timeout_ms);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return fail(dev, errno, "wait for an interrupt",
				    "poll");
		if (!n)
			return 0;
		if (nfds == 2 && pfd[1].revents)
			return req_fired(dev);
		if (read(pfd[0].fd, &cnt, sizeof(cnt)) == sizeof(cnt))
			return cnt;
		if (errno != EAGAIN)
			return fail(dev, errno, "wait for an interrupt",
				    "read eventfd");
	}
}

int ioasid_req_enable(struct ioasid_dev *dev)
{
	int err;

	if (dev->req_fd >= 0)
		return 0;
	dev->req_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (dev->req_fd < 0)
		return fail(dev, errno, "eventfd", NO_DETAIL);
	err = set_irqs(dev, VFIO_PCI_REQ_IRQ_INDEX, 1, &dev->req_fd);
	if (err) {
		close(dev->req_fd);
		dev->req_fd = -1;
		return fail(dev, err, "VFIO_DEVICE_SET_IRQS",
			    "request eventfd (VFIO_PCI_REQ_IRQ_INDEX)");
	}
	return 0;
}

bool ioasid_req_pending(struct ioasid_dev *dev)
{
	struct pollfd pfd = { .fd = dev->req_fd, .events = POLLIN };

	if (dev->req_fd < 0)
		return false;
	if (poll(&pfd, 1, 0) == 1) {
		req_fired(dev);
		return true;
	}
	return false;
}
