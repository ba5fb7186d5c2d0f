// SPDX-License-Identifier: GPL-2.0-only
/*
 * The VF token on VFIO_DEVICE_BIND_IOMMUFD (VFIO_DEVICE_BIND_FLAG_TOKEN and
 * token_uuid_ptr, Linux 6.17's uAPI).  A VF bound to vfio-ioasid-pci whose
 * PF is owned by the kernel's vfio-pci, which enabled the VFs, needs the
 * token the PF's user set with VFIO_DEVICE_FEATURE_PCI_VF_TOKEN; with the PF
 * on another driver no token is needed, nor taken.
 *
 * The test VM has an NVMe controller with SR-IOV (QEMU's nvme with
 * sriov_max_vfs=1, in an nvme-subsys) behind a PCIe root port, which the
 * guest script leaves without a driver; vfio-pci is loaded with
 * enable_sriov=1, and pci-pf-stub is the PF driver that is not vfio-pci.
 * Each test gives the PF and its VF back as it found them.
 */
#include <dirent.h>

#include "vfio_utils.h"

#define PF_STUB "pci-pf-stub"

static const __u8 token_a[16] = {
	0x7a, 0x1c, 0x0e, 0x53, 0x93, 0x2b, 0x4d, 0x61,
	0xb1, 0x07, 0x5f, 0x9d, 0x22, 0xc4, 0x38, 0xe6,
};
static const __u8 token_b[16] = {
	0x7a, 0x1c, 0x0e, 0x53, 0x93, 0x2b, 0x4d, 0x61,
	0xb1, 0x07, 0x5f, 0x9d, 0x22, 0xc4, 0x38, 0xe7,
};

/* The SR-IOV PF of the test VM */
static int find_pf(char *bdf, size_t len)
{
	char path[300], vendor[16] = "";
	struct dirent *de;
	int rc = ENODEV;
	DIR *d;

	d = opendir("/sys/bus/pci/devices");
	if (!d)
		return errno;
	while ((de = readdir(d))) {
		snprintf(path, sizeof(path),
			 "/sys/bus/pci/devices/%s/sriov_totalvfs", de->d_name);
		if (access(path, F_OK))
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vendor",
			 de->d_name);
		if (sysfs_read(path, vendor, sizeof(vendor)) ||
		    strcmp(vendor, "0x1b36"))
			continue;
		rc = snprintf(bdf, len, "%s", de->d_name) < (int)len ? 0 :
		     ENAMETOOLONG;
		break;
	}
	closedir(d);
	return rc;
}

static int pf_write(const char *pf, const char *attr, const char *val)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/%s", pf, attr);
	return sysfs_write(path, val);
}

/* The VF of @pf once sriov_numvfs is 1 */
static int vf_of(const char *pf, char *bdf, size_t len)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/virtfn0", pf);
	return sysfs_link_name(path, bdf, len);
}

/* BIND with the 24-byte layout, @token (NULL: no flag) and extra @flags */
static int bind_token(int dfd, int fd, const void *token, __u32 flags)
{
	struct vfio_device_bind_iommufd bind = {
		.argsz = sizeof(bind),
		.flags = flags | (token ? VFIO_DEVICE_BIND_FLAG_TOKEN : 0),
		.iommufd = fd,
		.token_uuid_ptr = (uintptr_t)token,
	};

	return xioctl(dfd, VFIO_DEVICE_BIND_IOMMUFD, &bind);
}

FIXTURE(sriov) {
	struct ioasid_env env;
	char pf[16], vf[16];
	struct vdev_info vfi;
	int fd, dvf, gfd, cfd, dpf, kmsg;
};

FIXTURE_SETUP(sriov)
{
	self->fd = self->dvf = self->gfd = self->cfd = self->dpf = -1;
	env_begin(&self->env);
	ASSERT_EQ(0, find_pf(self->pf, sizeof(self->pf))) {
		TH_LOG("no SR-IOV NVMe controller in the VM (run-tests.sh)");
	}
	self->kmsg = kmsg_open();
	ASSERT_LE(0, self->kmsg);
	self->fd = ioasid_open();
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(sriov)
{
	if (self->dvf >= 0)
		close(self->dvf);
	if (self->vf[0] && pci_dev_present(self->vf))
		EXPECT_EQ(0, pci_rebind(self->vf, ""));
	EXPECT_EQ(0, pf_write(self->pf, "sriov_numvfs", "0"));
	if (self->dpf >= 0)
		close(self->dpf);
	if (self->gfd >= 0)
		close(self->gfd);
	if (self->cfd >= 0)
		close(self->cfd);
	EXPECT_EQ(0, pci_rebind(self->pf, ""));
	if (self->fd >= 0)
		close(self->fd);
	close(self->kmsg);
	env_end(&self->env);
}

/* The PF on vfio-pci through the group path, with VF token @token */
static int pf_on_vfio_pci(FIXTURE_DATA(sriov) *self, const __u8 *token)
{
	struct {
		struct vfio_device_feature hdr;
		__u8 uuid[16];
	} f = { .hdr = {
		.argsz = sizeof(f),
		.flags = VFIO_DEVICE_FEATURE_SET |
			 VFIO_DEVICE_FEATURE_PCI_VF_TOKEN,
	} };
	struct vdev_info pfi = {};
	int rc;

	rc = pci_rebind(self->pf, "vfio-pci");
	if (rc)
		return rc;
	/* vfio-pci has no device node: vdev_info_by_bdf() fills the group */
	vdev_info_by_bdf(self->pf, &pfi);
	rc = group_type1_open(pfi.group, &self->gfd, &self->cfd);
	if (rc)
		return rc;
	self->dpf = ioctl(self->gfd, VFIO_GROUP_GET_DEVICE_FD, self->pf);
	if (self->dpf < 0)
		return errno;
	memcpy(f.uuid, token, sizeof(f.uuid));
	return xioctl(self->dpf, VFIO_DEVICE_FEATURE, &f);
}

/* One VF, moved to the companion, its node opened */
static int vf_on_companion(FIXTURE_DATA(sriov) *self)
{
	int rc;

	rc = pf_write(self->pf, "sriov_numvfs", "1") ?:
	     vf_of(self->pf, self->vf, sizeof(self->vf)) ?:
	     pci_rebind(self->vf, COMPANION_NAME) ?:
	     companion_restore(self->vf) ?:
	     vdev_info_by_bdf(self->vf, &self->vfi);
	if (rc)
		return rc;
	self->dvf = open(self->vfi.cdev, O_RDWR | O_CLOEXEC);
	return self->dvf < 0 ? errno : 0;
}

/*
 * The PF's user set a token with vfio-pci: BIND of the VF needs it.
 * Before Linux 6.17 the cdev had no way to pass a token and no check.
 */
TEST_F(sriov, vfio_pci_pf_requires_token)
{
	struct vfio_device_bind_iommufd old = {
		.argsz = 16, .iommufd = self->fd,
	};
	struct vfio_device_info di = { .argsz = sizeof(di) };
	struct {
		struct vfio_device_bind_iommufd bind;
		__u64 tail;
	} big = { .bind = {
		.argsz = sizeof(big),
		.flags = VFIO_DEVICE_BIND_FLAG_TOKEN,
		.iommufd = self->fd,
		.token_uuid_ptr = (uintptr_t)token_a,
	} };
	char drv[64] = "";

	ASSERT_EQ(0, pf_on_vfio_pci(self, token_a));
	ASSERT_EQ(0, vf_on_companion(self));
	ASSERT_EQ(0, pci_dev_driver(self->pf, drv, sizeof(drv)));
	ASSERT_STREQ("vfio-pci", drv);

	/* No token, in either layout */
	EXPECT_EQ(EACCES, xioctl(self->dvf, VFIO_DEVICE_BIND_IOMMUFD, &old));
	EXPECT_TRUE(kmsg_has(self->kmsg, "VF token required"));
	EXPECT_EQ(EACCES, bind_token(self->dvf, self->fd, NULL, 0));
	/* The wrong one */
	EXPECT_EQ(EACCES, bind_token(self->dvf, self->fd, token_b, 0));
	EXPECT_TRUE(kmsg_has(self->kmsg, "Incorrect VF token"));
	/* The flag with no token to read */
	old.flags = VFIO_DEVICE_BIND_FLAG_TOKEN;
	EXPECT_EQ(EFAULT, xioctl(self->dvf, VFIO_DEVICE_BIND_IOMMUFD, &old));
	EXPECT_EQ(EFAULT, bind_token(self->dvf, self->fd, (void *)8, 0));
	/* Unknown flags, and bytes past the structure */
	EXPECT_EQ(EINVAL, bind_token(self->dvf, self->fd, token_a, 1U << 1));
	EXPECT_EQ(EINVAL, bind_token(self->dvf, self->fd, NULL, 1U << 31));
	big.tail = 1;
	EXPECT_EQ(E2BIG, xioctl(self->dvf, VFIO_DEVICE_BIND_IOMMUFD, &big));
	/* Nothing of those bound the device */
	EXPECT_EQ(EINVAL, xioctl(self->dvf, VFIO_DEVICE_GET_INFO, &di));

	/* The right token, in a bigger structure with a zero tail */
	big.tail = 0;
	ASSERT_EQ(0, xioctl(self->dvf, VFIO_DEVICE_BIND_IOMMUFD, &big));
	EXPECT_NE(0, big.bind.out_devid);
	ASSERT_EQ(0, xioctl(self->dvf, VFIO_DEVICE_GET_INFO, &di));
	EXPECT_TRUE(di.flags & VFIO_DEVICE_FLAGS_PCI);
}

/* With the PF on another driver than vfio-pci, no token is needed */
TEST_F(sriov, other_pf_driver_needs_no_token)
{
	char drv[64] = "";

	ASSERT_EQ(0, pci_rebind(self->pf, PF_STUB));
	ASSERT_EQ(0, vf_on_companion(self));
	ASSERT_EQ(0, pci_dev_driver(self->pf, drv, sizeof(drv)));
	ASSERT_STREQ(PF_STUB, drv);

	/* Nor taken */
	EXPECT_EQ(EINVAL, bind_token(self->dvf, self->fd, token_a, 0));
	EXPECT_TRUE(kmsg_has(self->kmsg, "PF not bound to vfio-pci"));
	EXPECT_EQ(0, dev_bind(self->dvf, self->fd, NULL));
}

/* A device that is neither PF nor VF takes no token */
TEST_F(sriov, not_sriov_takes_no_token)
{
	struct vdev_info info;
	int dfd;

	ASSERT_EQ(0, find_dev(DEV_EDU, 0, &info));
	dfd = open(info.cdev, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, dfd);
	EXPECT_EQ(EINVAL, bind_token(dfd, self->fd, token_a, 0));
	EXPECT_TRUE(kmsg_has(self->kmsg, "not a PF or VF"));
	EXPECT_EQ(0, bind_token(dfd, self->fd, NULL, 0));
	close(dfd);
}

TEST_HARNESS_MAIN
