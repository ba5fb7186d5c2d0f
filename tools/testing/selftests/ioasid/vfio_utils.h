/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers of the companion driver suites: finding the devices the guest
 * script bound to vfio-ioasid-pci, the VFIO device cdev ioctls, and QEMU's
 * edu device as a DMA engine.
 *
 * The test VM (tools/testing/vm/run-tests.sh) has two edu devices on the
 * root bus (one iommu_group each), two behind a PCI bridge (one shared
 * group), an NVMe controller on the root bus, and an edu and an NVMe
 * controller behind a second bridge (one bus, one group), all bound to
 * vfio-ioasid-pci; and an NVMe controller with SR-IOV behind a PCIe root
 * port, which the guest script leaves alone (ioasid_vfio_sriov).
 *
 * edu: BAR0 registers 0x80 DMA source, 0x88 destination, 0x90 count,
 * 0x98 command (bit 0 start and busy, bit 1 device -> RAM, bit 2 interrupt
 * when done); its DMA buffer is at 0x40000 in its own address space.  QEMU
 * 7.2 aborts on a transfer of 4096 bytes or more and masks IOVAs to 28 bits;
 * each DMA takes about 100 ms of virtual time.
 */
#ifndef __VFIO_UTILS_H
#define __VFIO_UTILS_H

#include <dirent.h>
#include <sys/syscall.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <time.h>
#include <linux/pci_regs.h>
#include <linux/ioasid_vfio.h>

#include "ioasid_utils.h"

#define COMPANION "/sys/bus/pci/drivers/vfio-ioasid-pci"

enum dev_kind {
	DEV_EDU,	/* edu on the root bus: a group of its own */
	DEV_EDU_BRIDGE,	/* edu behind a bridge: a group per bridge */
	DEV_NVME,	/* NVMe on the root bus */
	DEV_NVME_BRIDGE, /* NVMe behind the second bridge, next to an edu */
};

struct vdev_info {
	char bdf[16];
	char cdev[300];		/* /dev/vfio/devices/vfioN */
	int group;		/* iommu_group number */
};

static inline int sysfs_read(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	while (n && buf[n - 1] == '\n')
		buf[--n] = 0;
	return 0;
}

static inline int sysfs_write(const char *path, const char *val)
{
	ssize_t n;
	int fd = open(path, O_WRONLY);

	if (fd < 0)
		return errno;
	n = write(fd, val, strlen(val));
	close(fd);
	return n < 0 ? errno : 0;
}

/* An SR-IOV PF or VF: those belong to ioasid_vfio_sriov alone */
static inline bool pci_is_sriov_function(const char *bdf)
{
	char path[512];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/sriov_totalvfs",
		 bdf);
	if (!access(path, F_OK))
		return true;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/physfn", bdf);
	return !access(path, F_OK);
}

static inline bool dev_is_kind(const char *bdf, enum dev_kind kind)
{
	char path[512], vendor[16], device[16];
	/* 0000:00:xx.x is the root bus */
	bool root = !strncmp(bdf + 5, "00:", 3);

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vendor", bdf);
	if (sysfs_read(path, vendor, sizeof(vendor)))
		return false;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/device", bdf);
	if (sysfs_read(path, device, sizeof(device)))
		return false;
	if (kind == DEV_NVME || kind == DEV_NVME_BRIDGE)
		return !strcmp(vendor, "0x1b36") && !strcmp(device, "0x0010") &&
		       !pci_is_sriov_function(bdf) &&
		       root == (kind == DEV_NVME);
	if (strcmp(vendor, "0x1234") || strcmp(device, "0x11e8"))
		return false;
	return root == (kind == DEV_EDU);
}

/* Do two PCI addresses name functions of one bus? */
static inline bool pci_same_bus(const char *a, const char *b)
{
	/* "0000:01" */
	return !strncmp(a, b, 7);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* struct vdev_info of the device at @bdf, whatever its kind */
static inline int vdev_info_by_bdf(const char *bdf, struct vdev_info *info)
{
	char path[512], link[256];
	struct dirent *de;
	ssize_t n;
	DIR *d;

	memset(info, 0, sizeof(*info));
	snprintf(info->bdf, sizeof(info->bdf), "%s", bdf);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vfio-dev", bdf);
	d = opendir(path);
	if (!d)
		return ENODEV;
	while ((de = readdir(d))) {
		if (!strncmp(de->d_name, "vfio", 4))
			snprintf(info->cdev, sizeof(info->cdev),
				 "/dev/vfio/devices/%s", de->d_name);
	}
	closedir(d);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group",
		 bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0 || !info->cdev[0])
		return ENODEV;
	link[n] = 0;
	info->group = atoi(strrchr(link, '/') + 1);
	return 0;
}

/* The @index-th device (by PCI address) of @kind bound to the companion */
static inline int find_dev(enum dev_kind kind, int index,
			   struct vdev_info *info)
{
	char *names[64], bdf[sizeof(info->bdf)];
	bool found = false;
	struct dirent *de;
	int n = 0, i;
	DIR *d;

	d = opendir(COMPANION);
	if (!d)
		return ENODEV;
	while ((de = readdir(d)) && n < 64) {
		if (!strncmp(de->d_name, "0000:", 5) &&
		    dev_is_kind(de->d_name, kind))
			names[n++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmp_str);
	for (i = 0; i != n; i++) {
		if (i == index) {
			snprintf(bdf, sizeof(bdf), "%s", names[i]);
			found = true;
		}
		free(names[i]);
	}
	if (!found)
		return ENODEV;
	return vdev_info_by_bdf(bdf, info);
}

/* ------------------------------------------------------- device cdev */

static inline int dev_bind(int dfd, int iommufd, __u32 *devid)
{
	struct vfio_device_bind_iommufd bind = {
		.argsz = sizeof(bind),
		.iommufd = iommufd,
	};
	int rc = xioctl(dfd, VFIO_DEVICE_BIND_IOMMUFD, &bind);

	if (!rc && devid)
		*devid = bind.out_devid;
	return rc;
}

/* Open @cdev and bind it to @iommufd; the device fd, or -errno */
static inline int dev_open_bound(const char *cdev, int iommufd, __u32 *devid)
{
	int dfd = open(cdev, O_RDWR | O_CLOEXEC);
	int rc;

	if (dfd < 0)
		return -errno;
	rc = dev_bind(dfd, iommufd, devid);
	if (rc) {
		close(dfd);
		return -rc;
	}
	return dfd;
}

/*
 * The vfio group path up to its device fds: open the node of iommu_group
 * @group and a container, put the group in it, choose type1v2.  Each fd is
 * stored as soon as it is open, for the caller to close.  0, or the errno
 * of the step that failed.
 */
static inline int group_type1_open(int group, int *gfd, int *cfd)
{
	char path[64];
	int container;

	snprintf(path, sizeof(path), "/dev/vfio/%d", group);
	*gfd = open(path, O_RDWR | O_CLOEXEC);
	if (*gfd < 0)
		return errno;
	*cfd = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (*cfd < 0)
		return errno;
	container = *cfd;
	if (ioctl(*gfd, VFIO_GROUP_SET_CONTAINER, &container) ||
	    ioctl(*cfd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		return errno;
	return 0;
}

static inline int dev_attach(int dfd, __u32 *pt_id)
{
	struct vfio_device_attach_iommufd_pt attach = {
		.argsz = sizeof(attach),
		.pt_id = *pt_id,
	};
	int rc = xioctl(dfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach);

	if (!rc)
		*pt_id = attach.pt_id;
	return rc;
}

static inline int dev_detach(int dfd)
{
	struct vfio_device_detach_iommufd_pt detach = {
		.argsz = sizeof(detach),
	};

	return xioctl(dfd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &detach);
}

static inline int region_info(int dfd, __u32 index,
			      struct vfio_region_info *info)
{
	memset(info, 0, sizeof(*info));
	info->argsz = sizeof(*info);
	info->index = index;
	return xioctl(dfd, VFIO_DEVICE_GET_REGION_INFO, info);
}

/* Config space access through the config region */
static inline int cfg_read(int dfd, __u32 off, void *val, size_t len)
{
	struct vfio_region_info r;
	int rc = region_info(dfd, VFIO_PCI_CONFIG_REGION_INDEX, &r);

	if (rc)
		return rc;
	return pread(dfd, val, len, r.offset + off) == (ssize_t)len ? 0 : errno;
}

static inline int cfg_write(int dfd, __u32 off, const void *val, size_t len)
{
	struct vfio_region_info r;
	int rc = region_info(dfd, VFIO_PCI_CONFIG_REGION_INDEX, &r);

	if (rc)
		return rc;
	return pwrite(dfd, val, len, r.offset + off) == (ssize_t)len ?
	       0 : errno;
}

/* 32-bit access to BAR0 through its region */
static inline int bar_r32(int dfd, __u32 off, __u32 *val)
{
	struct vfio_region_info r;
	int rc = region_info(dfd, VFIO_PCI_BAR0_REGION_INDEX, &r);

	if (rc)
		return rc;
	return pread(dfd, val, 4, r.offset + off) == 4 ? 0 : errno;
}

static inline int bar_w32(int dfd, __u32 off, __u32 val)
{
	struct vfio_region_info r;
	int rc = region_info(dfd, VFIO_PCI_BAR0_REGION_INDEX, &r);

	if (rc)
		return rc;
	return pwrite(dfd, &val, 4, r.offset + off) == 4 ? 0 : errno;
}

static inline int set_bus_master(int dfd)
{
	__u16 cmd;
	int rc = cfg_read(dfd, PCI_COMMAND, &cmd, sizeof(cmd));

	if (rc)
		return rc;
	cmd |= PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	return cfg_write(dfd, PCI_COMMAND, &cmd, sizeof(cmd));
}

/* ---------------------------------------------------------------- edu */

#define EDU_ID		0x00
#define EDU_LIVENESS	0x04
#define EDU_IRQ_STATUS	0x24
#define EDU_IRQ_RAISE	0x60
#define EDU_IRQ_ACK	0x64
#define EDU_DMA_SRC	0x80
#define EDU_DMA_DST	0x88
#define EDU_DMA_COUNT	0x90
#define EDU_DMA_CMD	0x98
#define EDU_CMD_START	0x1
#define EDU_CMD_TO_RAM	0x2
#define EDU_CMD_IRQ	0x4
#define EDU_BUF		0x40000ULL
#define EDU_MAX_DMA	4095	/* QEMU 7.2 aborts at 4096 */
#define EDU_DMA_MASK	((1ULL << 28) - 1)

struct edu {
	int fd;
	volatile __u8 *bar;
	size_t bar_size;
};

static inline __u32 edu_r32(struct edu *e, __u32 off)
{
	return *(volatile __u32 *)(e->bar + off);
}

static inline void edu_w32(struct edu *e, __u32 off, __u32 val)
{
	*(volatile __u32 *)(e->bar + off) = val;
}

static inline void edu_w64(struct edu *e, __u32 off, __u64 val)
{
	*(volatile __u64 *)(e->bar + off) = val;
}

static inline __u64 edu_r64(struct edu *e, __u32 off)
{
	return *(volatile __u64 *)(e->bar + off);
}

/* mmap BAR0 of a bound edu fd and let it master the bus */
static inline int edu_setup(struct edu *e, int dfd)
{
	struct vfio_region_info r;
	void *bar;
	int rc;

	e->fd = dfd;
	rc = region_info(dfd, VFIO_PCI_BAR0_REGION_INDEX, &r);
	if (rc)
		return rc;
	bar = mmap(NULL, r.size, PROT_READ | PROT_WRITE, MAP_SHARED, dfd,
		   r.offset);
	if (bar == MAP_FAILED)
		return errno;
	e->bar = bar;
	e->bar_size = r.size;
	if (edu_r32(e, EDU_ID) != 0x010000ed)
		return EIO;
	return set_bus_master(dfd);
}

static inline void edu_teardown(struct edu *e)
{
	if (e->bar)
		munmap((void *)e->bar, e->bar_size);
	e->bar = NULL;
}

/*
 * One DMA of @len bytes: RAM (IOVA @iova) -> edu buffer at @off, or the
 * other way with @to_ram.  0, or ETIMEDOUT if the device never finished.
 */
static inline int edu_dma(struct edu *e, __u64 iova, __u32 off, __u32 len,
			  bool to_ram)
{
	struct timespec start, now;

	if (len > EDU_MAX_DMA)
		return EINVAL;
	edu_w64(e, EDU_DMA_SRC, to_ram ? EDU_BUF + off : iova);
	edu_w64(e, EDU_DMA_DST, to_ram ? iova : EDU_BUF + off);
	edu_w64(e, EDU_DMA_COUNT, len);
	edu_w64(e, EDU_DMA_CMD, EDU_CMD_START | (to_ram ? EDU_CMD_TO_RAM : 0));
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (edu_r64(e, EDU_DMA_CMD) & EDU_CMD_START) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec > 10 * (long)time_scale())
			return ETIMEDOUT;
		usleep(1000);
	}
	return 0;
}

/*
 * RAM -> edu -> RAM: @len bytes from IOVA @src to IOVA @dst through the
 * start of the device's buffer, two DMAs of edu_dma()
 */
static inline int edu_copy(struct edu *e, __u64 src, __u64 dst, __u32 len)
{
	return edu_dma(e, src, 0, len, false) ?: edu_dma(e, dst, 0, len, true);
}

/* Does the kernel log have @what since @kmsg_fd was opened (kmsg_open)? */
static inline bool kmsg_has(int kmsg_fd, const char *what)
{
	char rec[2048];
	bool found = false;
	ssize_t n;

	for (;;) {
		n = read(kmsg_fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;
		if (n <= 0)
			break;
		rec[n] = 0;
		if (strstr(rec, what))
			found = true;
	}
	return found;
}

/*
 * An anonymous page whose first touch waits until the test resolves it
 * (userfaultfd): an ioctl copying to or from it stalls there.  As root,
 * faults of the kernel's copy_to_user() wait too.
 */
struct stall {
	int uffd;
	void *page;
};

static inline int stall_init(struct stall *s)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };

	s->uffd = -1;
	s->page = mmap(NULL, PSZ, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (s->page == MAP_FAILED) {
		s->page = NULL;
		return errno;
	}
	s->uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (s->uffd < 0)
		return errno;
	reg.range.start = (uintptr_t)s->page;
	reg.range.len = PSZ;
	return xioctl(s->uffd, UFFDIO_API, &api) ?:
	       xioctl(s->uffd, UFFDIO_REGISTER, &reg);
}

/* Whether a thread faulted on the page within @ms milliseconds */
static inline bool stall_faulted(struct stall *s, int ms)
{
	struct pollfd p = { .fd = s->uffd, .events = POLLIN };
	struct uffd_msg msg;

	return poll(&p, 1, ms) == 1 &&
	       read(s->uffd, &msg, sizeof(msg)) == sizeof(msg) &&
	       msg.event == UFFD_EVENT_PAGEFAULT;
}

/* Let the faulting thread go on, with a zero page */
static inline int stall_resolve(struct stall *s)
{
	struct uffdio_zeropage zp = {
		.range = { .start = (uintptr_t)s->page, .len = PSZ },
	};

	return xioctl(s->uffd, UFFDIO_ZEROPAGE, &zp);
}

static inline void stall_fini(struct stall *s)
{
	if (s->uffd >= 0)
		close(s->uffd);
	if (s->page)
		munmap(s->page, PSZ);
	s->uffd = -1;
	s->page = NULL;
}

/* kmsg_has(), waiting up to @ms milliseconds for the message */
static inline bool kmsg_wait(int kmsg_fd, const char *what, int ms)
{
	for (; ms > 0; ms -= 50) {
		if (kmsg_has(kmsg_fd, what))
			return true;
		usleep(50 * 1000);
	}
	return false;
}

/* Which IOMMU the VM has: "intel-ir", "intel" (no IR) or "amd" */
static inline const char *vm_iommu(void)
{
	const char *s = getenv("IOASID_IOMMU");

	return s ? s : "unknown";
}

static inline bool vm_is_intel(void)
{
	return !strncmp(vm_iommu(), "intel", 5);
}

/*
 * A kprobe event on the IOMMU driver's IOTLB sync (VT-d's or AMD-Vi's), to
 * count the syncs an operation makes: iotlb_probe_arm(), then
 * iotlb_probe_hits() before and after, then iotlb_probe_disarm().
 */
#define IOTLB_PROBE "ioasid_test/iotlb_sync"

static inline const char *tracefs_dir(void)
{
	return access("/sys/kernel/tracing/kprobe_events", F_OK) ?
	       "/sys/kernel/debug/tracing" : "/sys/kernel/tracing";
}

static inline int iotlb_probe_write(const char *file, const char *text)
{
	char path[128];
	int fd, rc = 0;

	snprintf(path, sizeof(path), "%s/%s", tracefs_dir(), file);
	fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0)
		return errno;
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		rc = errno;
	close(fd);
	return rc;
}

static inline int iotlb_probe_arm(void)
{
	char line[128];
	int rc;

	snprintf(line, sizeof(line), "p:" IOTLB_PROBE " %s\n",
		 vm_is_intel() ? "intel_iommu_tlb_sync" : "amd_iommu_iotlb_sync");
	rc = iotlb_probe_write("kprobe_events", line);
	return rc ?: iotlb_probe_write("events/" IOTLB_PROBE "/enable", "1");
}

static inline void iotlb_probe_disarm(void)
{
	iotlb_probe_write("events/" IOTLB_PROBE "/enable", "0");
	iotlb_probe_write("kprobe_events", "-:" IOTLB_PROBE "\n");
}

/* The probe's hits so far, or -1 */
static inline long iotlb_probe_hits(void)
{
	char path[128], name[64];
	unsigned long hits, missed;
	long found = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/kprobe_profile", tracefs_dir());
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fscanf(f, "%63s %lu %lu", name, &hits, &missed) == 3)
		if (!strcmp(name, strchr(IOTLB_PROBE, '/') + 1))
			found = hits;
	fclose(f);
	return found;
}

/* ====================================================================
 * Device uAPI and unplug helpers, used by ioasid_vfio_dev.c.  This block
 * stays at the end of the file; shared helpers go above it.
 * ====================================================================
 */
#include <sys/eventfd.h>

#define COMPANION_NAME "vfio-ioasid-pci"
#define COMPANION_NR_DEVICES 7	/* 5 edu + 2 NVMe in the test VM */

static inline bool pci_dev_present(const char *bdf)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", bdf);
	return access(path, F_OK) == 0;
}

/* The last component of what the sysfs link @path points to; or errno */
static inline int sysfs_link_name(const char *path, char *name, size_t len)
{
	char link[256];
	ssize_t n = readlink(path, link, sizeof(link) - 1);

	if (n < 0)
		return errno;
	link[n] = 0;
	snprintf(name, len, "%s", strrchr(link, '/') + 1);
	return 0;
}

/* The name of the driver bound to @bdf; ENOENT when none is */
static inline int pci_dev_driver(const char *bdf, char *name, size_t len)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", bdf);
	return sysfs_link_name(path, name, len);
}

static inline bool companion_bound(const char *bdf)
{
	char drv[64];

	return !pci_dev_driver(bdf, drv, sizeof(drv)) &&
	       !strcmp(drv, COMPANION_NAME);
}

/* Devices bound to the companion right now */
static inline int companion_count(void)
{
	struct dirent *de;
	int n = 0;
	DIR *d;

	d = opendir(COMPANION);
	if (!d)
		return -1;
	while ((de = readdir(d)))
		n += !strncmp(de->d_name, "0000:", 5);
	closedir(d);
	return n;
}

/*
 * Bring @bdf back to the companion, from whatever state a test left it in:
 * removed (rescan), without driver_override (PCI removal forgets it) or
 * unbound.  0 once it is bound with a device node, else an errno.
 */
static inline int companion_restore(const char *bdf)
{
	char path[128], val[64];
	struct vdev_info info;
	int rc, i;

	if (!pci_dev_present(bdf)) {
		rc = sysfs_write("/sys/bus/pci/rescan", "1");
		if (rc)
			return rc;
		if (!pci_dev_present(bdf))
			return ENODEV;
	}
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override",
		 bdf);
	rc = sysfs_read(path, val, sizeof(val));
	if (rc)
		return -rc;
	if (strcmp(val, COMPANION_NAME)) {
		rc = sysfs_write(path, COMPANION_NAME);
		if (rc)
			return rc;
	}
	if (!companion_bound(bdf)) {
		rc = sysfs_write("/sys/bus/pci/drivers_probe", bdf);
		if (rc)
			return rc;
	}
	if (!companion_bound(bdf))
		return ENXIO;
	/* devtmpfs creates the node asynchronously */
	for (i = 0; i != 100; i++) {
		if (!vdev_info_by_bdf(bdf, &info) && !access(info.cdev, F_OK))
			return 0;
		usleep(10 * 1000);
	}
	return ENOENT;
}

/*
 * Bind @bdf to @driver through driver_override, unbinding whatever driver
 * it has; "" leaves it without a driver.  0, or an errno.
 */
static inline int pci_rebind(const char *bdf, const char *driver)
{
	char path[128], drv[64];
	int rc;

	if (!pci_dev_driver(bdf, drv, sizeof(drv))) {
		if (!strcmp(drv, driver))
			return 0;
		snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s/unbind",
			 drv);
		rc = sysfs_write(path, bdf);
		if (rc)
			return rc;
	}
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override",
		 bdf);
	rc = sysfs_write(path, *driver ? driver : "\n");
	if (rc || !*driver)
		return rc;
	rc = sysfs_write("/sys/bus/pci/drivers_probe", bdf);
	if (rc)
		return rc;
	rc = pci_dev_driver(bdf, drv, sizeof(drv));
	return rc ?: strcmp(drv, driver) ? ENXIO : 0;
}

/*
 * Bring every edu and NVMe device back to the companion, e.g. after a test
 * that unbound or removed one was killed: 0 once all are bound.
 */
static inline int companion_restore_all(void)
{
	char *names[64];
	struct dirent *de;
	int n = 0, i, rc = 0;
	DIR *d;

	if (companion_count() == COMPANION_NR_DEVICES)
		return 0;
	sysfs_write("/sys/bus/pci/rescan", "1");
	d = opendir("/sys/bus/pci/devices");
	if (!d)
		return errno;
	while ((de = readdir(d)) && n < 64) {
		if (dev_is_kind(de->d_name, DEV_EDU) ||
		    dev_is_kind(de->d_name, DEV_EDU_BRIDGE) ||
		    dev_is_kind(de->d_name, DEV_NVME) ||
		    dev_is_kind(de->d_name, DEV_NVME_BRIDGE))
			names[n++] = strdup(de->d_name);
	}
	closedir(d);
	for (i = 0; i != n; i++) {
		if (!companion_bound(names[i]) && !rc)
			rc = companion_restore(names[i]);
		free(names[i]);
	}
	if (!rc && companion_count() != COMPANION_NR_DEVICES)
		rc = ENODEV;
	return rc;
}

/*
 * A sysfs write that blocks (unbind, remove) done by a child process.  The
 * child execs a shell at once, so it holds none of the test's fds or
 * mappings: if the test dies, its device fds close and the write returns.
 */
struct sysfs_writer {
	pid_t pid;		/* 0 when none is running */
	int rc;			/* 0 once the write succeeded */
};

static inline int sysfs_writer_start(struct sysfs_writer *w, const char *path,
				     const char *val)
{
	pid_t pid = fork();

	if (pid < 0)
		return errno;
	if (!pid) {
		execl("/bin/sh", "sh", "-c", "echo \"$1\" >\"$2\"", "sh", val,
		      path, (char *)NULL);
		_exit(127);
	}
	w->pid = pid;
	w->rc = -1;
	return 0;
}

/* Has the write returned?  Reaps the child when it has */
static inline bool sysfs_writer_done(struct sysfs_writer *w)
{
	int status;

	if (!w->pid)
		return true;
	if (waitpid(w->pid, &status, WNOHANG) != w->pid)
		return false;
	w->pid = 0;
	w->rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	return true;
}

/* Wait up to @ms for the write to return */
static inline bool sysfs_writer_wait(struct sysfs_writer *w, int ms)
{
	for (; ms > 0 && !sysfs_writer_done(w); ms -= 10)
		usleep(10 * 1000);
	return sysfs_writer_done(w);
}

/* ------------------------------------------------------- device uAPI */

static inline int irq_info(int dfd, __u32 index, struct vfio_irq_info *info)
{
	memset(info, 0, sizeof(*info));
	info->argsz = sizeof(*info);
	info->index = index;
	return xioctl(dfd, VFIO_DEVICE_GET_IRQ_INFO, info);
}

/* VFIO_DEVICE_SET_IRQS with @len bytes of @data after the header */
static inline int set_irqs(int dfd, __u32 flags, __u32 index, __u32 start,
			   __u32 count, const void *data, size_t len)
{
	struct vfio_irq_set *set;
	int rc;

	set = calloc(1, sizeof(*set) + len);
	if (!set)
		return ENOMEM;
	set->argsz = sizeof(*set) + len;
	set->flags = flags;
	set->index = index;
	set->start = start;
	set->count = count;
	if (len)
		memcpy(set->data, data, len);
	rc = xioctl(dfd, VFIO_DEVICE_SET_IRQS, set);
	free(set);
	return rc;
}

/* Eventfds for vectors @start..@start+@count-1 (-1 leaves one unset) */
static inline int set_irq_eventfds(int dfd, __u32 index, __u32 start,
				   __u32 count, const int *fds)
{
	return set_irqs(dfd, VFIO_IRQ_SET_DATA_EVENTFD |
			VFIO_IRQ_SET_ACTION_TRIGGER, index, start, count, fds,
			count * sizeof(*fds));
}

/* DATA_NONE with @action: loopback trigger, INTx (un)mask, or disable */
static inline int set_irq_none(int dfd, __u32 action, __u32 index,
			       __u32 start, __u32 count)
{
	return set_irqs(dfd, VFIO_IRQ_SET_DATA_NONE | action, index, start,
			count, NULL, 0);
}

/* Loopback: signal vector 0 of @index as if the device had raised it */
static inline int irq_trigger(int dfd, __u32 index)
{
	return set_irq_none(dfd, VFIO_IRQ_SET_ACTION_TRIGGER, index, 0, 1);
}

/* Disable @index: TRIGGER for no vector */
static inline int irq_disable(int dfd, __u32 index)
{
	return set_irq_none(dfd, VFIO_IRQ_SET_ACTION_TRIGGER, index, 0, 0);
}

/* Mask INTx: no signal until it is unmasked */
static inline int intx_mask(int dfd)
{
	return set_irq_none(dfd, VFIO_IRQ_SET_ACTION_MASK,
			    VFIO_PCI_INTX_IRQ_INDEX, 0, 1);
}

/* Unmask INTx, after a user's mask or the automask of an interrupt */
static inline int intx_unmask(int dfd)
{
	return set_irq_none(dfd, VFIO_IRQ_SET_ACTION_UNMASK,
			    VFIO_PCI_INTX_IRQ_INDEX, 0, 1);
}

static inline int efd_new(void)
{
	return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}

/* The eventfd's counter, reset to 0; 0 if nothing was signalled */
static inline __u64 efd_take(int efd)
{
	__u64 val = 0;

	if (read(efd, &val, sizeof(val)) != sizeof(val))
		return 0;
	return val;
}

/* Wait up to @ms for a signal, then take the counter */
static inline __u64 efd_wait(int efd, int ms)
{
	struct pollfd p = { .fd = efd, .events = POLLIN };

	if (poll(&p, 1, ms) != 1)
		return 0;
	return efd_take(efd);
}

static inline int dev_feature(int dfd, __u32 flags, __u32 argsz)
{
	struct {
		struct vfio_device_feature hdr;
		__u8 data[64];
	} f = { .hdr = { .argsz = argsz, .flags = flags } };

	return xioctl(dfd, VFIO_DEVICE_FEATURE, &f);
}

#endif
