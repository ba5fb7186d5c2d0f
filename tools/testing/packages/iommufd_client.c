// SPDX-License-Identifier: GPL-2.0-only
/*
 * A small program written the way programs for upstream iommufd are: it
 * includes <linux/iommufd.h> and <linux/vfio.h> and opens /dev/iommu.  The
 * package test compiles it on Debian 12 with nothing but
 * "pkg-config --cflags --libs libioasid" (libioasid-dev) and runs it in
 * the test VM against the DKMS-built modules, where /dev/iommu is the link
 * the package's udev rule made.
 *
 *   iommufd_client [/dev/vfio/devices/vfioN]
 *
 * Opens /dev/iommu, allocates an IOAS, and with a device node binds the
 * device to it and attaches it; reads the usable IOVA ranges, maps a page
 * of its memory at a kernel-chosen IOVA, unmaps it, detaches and destroys
 * the IOAS.  One line per step; exit status 0 only if every step did what
 * upstream's uAPI says.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <linux/vfio.h>

#include <libioasid.h>

static int fail(const char *step)
{
	printf("iommufd_client: %s: %s\n", step, strerror(errno));
	return 1;
}

int main(int argc, char **argv)
{
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct iommu_iova_range ranges[8];
	struct iommu_ioas_iova_ranges query = {
		.size = sizeof(query),
		.num_iovas = 8,
		.allowed_iovas = (unsigned long)ranges,
	};
	struct iommu_ioas_map map = {
		.size = sizeof(map),
		.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE,
		.length = 4096,
	};
	struct iommu_ioas_unmap unmap = { .size = sizeof(unmap) };
	struct iommu_destroy destroy = { .size = sizeof(destroy) };
	struct ioasid_dev unused = { 0 };
	int iommufd, devfd = -1;
	void *buf;

	/* libioasid.so.0 is linked and resolves: an empty message */
	if (strcmp(ioasid_errmsg(&unused), "") != 0) {
		printf("iommufd_client: libioasid: unexpected message\n");
		return 1;
	}

	iommufd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	if (iommufd < 0)
		return fail("open /dev/iommu");
	if (ioctl(iommufd, IOMMU_IOAS_ALLOC, &alloc))
		return fail("IOMMU_IOAS_ALLOC");
	printf("iommufd_client: IOAS %u\n", alloc.out_ioas_id);

	if (argc > 1) {
		struct vfio_device_bind_iommufd bind = {
			.argsz = sizeof(bind),
			.iommufd = iommufd,
		};
		struct vfio_device_attach_iommufd_pt attach = {
			.argsz = sizeof(attach),
			.pt_id = alloc.out_ioas_id,
		};

		devfd = open(argv[1], O_RDWR | O_CLOEXEC);
		if (devfd < 0)
			return fail(argv[1]);
		if (ioctl(devfd, VFIO_DEVICE_BIND_IOMMUFD, &bind))
			return fail("VFIO_DEVICE_BIND_IOMMUFD");
		if (ioctl(devfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach))
			return fail("VFIO_DEVICE_ATTACH_IOMMUFD_PT");
		printf("iommufd_client: device %u attached to HWPT %u\n",
		       bind.out_devid, attach.pt_id);
	}

	query.ioas_id = alloc.out_ioas_id;
	if (ioctl(iommufd, IOMMU_IOAS_IOVA_RANGES, &query))
		return fail("IOMMU_IOAS_IOVA_RANGES");
	printf("iommufd_client: %u IOVA ranges, the first [0x%llx, 0x%llx]\n",
	       query.num_iovas, (unsigned long long)ranges[0].start,
	       (unsigned long long)ranges[0].last);

	buf = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		return fail("mmap");
	map.ioas_id = alloc.out_ioas_id;
	map.user_va = (unsigned long)buf;
	if (ioctl(iommufd, IOMMU_IOAS_MAP, &map))
		return fail("IOMMU_IOAS_MAP");
	printf("iommufd_client: mapped a page at IOVA 0x%llx\n",
	       (unsigned long long)map.iova);

	unmap.ioas_id = alloc.out_ioas_id;
	unmap.iova = map.iova;
	unmap.length = map.length;
	if (ioctl(iommufd, IOMMU_IOAS_UNMAP, &unmap) || unmap.length != 4096)
		return fail("IOMMU_IOAS_UNMAP");

	if (devfd >= 0) {
		struct vfio_device_detach_iommufd_pt detach = {
			.argsz = sizeof(detach),
		};

		if (ioctl(devfd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &detach))
			return fail("VFIO_DEVICE_DETACH_IOMMUFD_PT");
	}
	destroy.id = alloc.out_ioas_id;
	if (ioctl(iommufd, IOMMU_DESTROY, &destroy))
		return fail("IOMMU_DESTROY");
	if (devfd >= 0)
		close(devfd);
	close(iommufd);
	printf("iommufd_client: ok\n");
	return 0;
}
