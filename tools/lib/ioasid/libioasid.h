/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * libioasid: the steps every user space driver on /dev/ioasid repeats.
 *
 * A struct ioasid_dev is one PCI device bound to vfio-ioasid-pci, opened
 * through its cdev /dev/vfio/devices/vfioN, bound to its own /dev/ioasid
 * context and attached to one I/O address space (IOAS):
 *
 *	struct ioasid_dev dev;
 *	struct ioasid_dma buf;
 *
 *	if (ioasid_dev_open(&dev, "0000:00:04.0", 0) ||
 *	    ioasid_dma_alloc(&dev, 65536, &buf) ||
 *	    ioasid_bus_master(&dev, true)) {
 *		fprintf(stderr, "%s\n", ioasid_errmsg(&dev));
 *		ioasid_dev_close(&dev);
 *		return 1;
 *	}
 *
 * Errors.  Every function that can fail returns 0 or a negative errno, and
 * on failure writes into dev->errmsg (read it with ioasid_errmsg()) a
 * message that names the step, the errno and, where the errno has a known
 * cause, what to do about it; hint lines start with "  hint: ".  The message
 * may hold several lines, never ends in a newline, and stays there until the
 * next failure.  Nothing is printed from inside the library, except through
 * the optional dev->log callback, which, when set before ioasid_dev_open(),
 * gets one line per setup step (for demos).
 *
 * Memory.  Mapped memory is pinned and charged to RLIMIT_MEMLOCK (root with
 * CAP_IPC_LOCK is exempt).  IOVAs come from a simple allocator over the
 * usable ranges the kernel reports after ATTACH, aligned to at least the
 * page size and the IOAS's out_iova_alignment.  It only moves forward:
 * freed IOVAs are not reused (enough for a driver that maps its buffers
 * once).
 *
 * Teardown.  ioasid_dev_close() disables interrupts, turns bus mastering
 * off, unmaps every BAR and every DMA buffer the library knows of, and
 * closes the device fd, then the ioasid fd.  It is safe on a
 * half-opened or zeroed struct, and twice.  After the device was unbound
 * or reset under the program, the steps that fail are skipped silently:
 * closing the fds undoes everything in the kernel anyway.
 *
 * Not thread-safe: one thread per struct ioasid_dev, or a lock around it.
 *
 * Building.  Installed, compile and link with
 * `pkg-config --cflags --libs libioasid` (libioasid.so.0; libioasid.a with
 * -static); in the source tree, with -I tools/lib/ioasid -I include/uapi
 * and the libioasid.a that `make -C tools/lib/ioasid` builds.  The caller
 * allocates struct ioasid_dev and struct ioasid_dma, so their layout is
 * part of the ABI: changing it changes the soname.
 */
#ifndef _LIBIOASID_H
#define _LIBIOASID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include <linux/vfio.h>
#include <linux/ioasid.h>

#define IOASID_DRIVER		"vfio-ioasid-pci"
#define IOASID_ERRMSG_LEN	2048
#define IOASID_MAX_RANGES	16
#define IOASID_MAX_IRQS		64

/* ioasid_dev_open() flags */
#define IOASID_OPEN_NO_ATTACH	(1u << 0)	/* stop after BIND */

struct ioasid_dma {
	void *va;		/* page-aligned, zeroed at allocation */
	__u64 iova;		/* where the device sees it */
	size_t len;		/* a multiple of the mapping alignment */
	struct ioasid_dma *next;	/* the library's list; do not touch */
	bool owned;		/* allocated by ioasid_dma_alloc() */
};

struct ioasid_bar {
	void *va;
	size_t len;
};

struct ioasid_dev {
	/* Set by the caller before ioasid_dev_open(), or left zero */
	void (*log)(void *priv, const char *line);
	void *log_priv;
	__u64 iova_floor;	/* lowest IOVA handed out (default 1 MiB) */
	__u64 iova_limit;	/* highest IOVA + 1 (0: no limit) */

	/* Filled by ioasid_dev_open() */
	char bdf[32];		/* 0000:00:04.0 */
	char cdev[64];		/* /dev/vfio/devices/vfio0 */
	int iommufd;
	int devfd;
	__u32 devid;
	__u32 ioas_id;
	__u32 hwpt_id;
	__u16 vendor, device;
	struct vfio_device_info info;
	struct iommu_iova_range ranges[IOASID_MAX_RANGES];
	__u32 nr_ranges;
	__u64 iova_align;	/* max(page size, out_iova_alignment) */
	__u64 iova_next;	/* the allocator's cursor */
	size_t page_size;

	/* Owned by the library */
	struct ioasid_dma *dmas;
	struct ioasid_bar bars[VFIO_PCI_ROM_REGION_INDEX];
	struct vfio_region_info config;
	int irq_index;		/* enabled interrupt index, or -1 */
	int irq_fds[IOASID_MAX_IRQS];
	unsigned int nr_irq_fds;
	int req_fd;		/* VFIO_PCI_REQ_IRQ_INDEX eventfd, or -1 */
	bool opened;
	char errmsg[IOASID_ERRMSG_LEN];
	int err;		/* the last failure's errno, positive */
};

/* The last failure's message; "" if nothing failed yet */
const char *ioasid_errmsg(const struct ioasid_dev *dev);

/*
 * Find the cdev of PCI device @bdf ("0000:00:04.0" or "00:04.0"), open
 * /dev/ioasid and the cdev, BIND, IOAS_ALLOC, ATTACH, and read the usable
 * IOVA ranges and the device info.  On failure everything done is undone.
 */
int ioasid_dev_open(struct ioasid_dev *dev, const char *bdf,
		    unsigned int flags);
void ioasid_dev_close(struct ioasid_dev *dev);

/*
 * The first device bound to vfio-ioasid-pci with this vendor:device.  When
 * there is none, the hint gives the commands that bind one there is.
 */
int ioasid_find_bound(struct ioasid_dev *dev, __u16 vendor, __u16 device,
		      char *bdf, size_t len);

/* ------------------------------------------------------------ memory */

/* @len bytes of zeroed, page-aligned anonymous memory; NULL on failure */
void *ioasid_alloc_pages(size_t len);
void ioasid_free_pages(void *va, size_t len);

/* Pick an IOVA for @len bytes inside the usable ranges */
int ioasid_iova_alloc(struct ioasid_dev *dev, size_t len, __u64 *iova);

/*
 * Map @len bytes at @va (page-aligned) for device read and write, at an
 * IOVA of the allocator; @dma describes the mapping.  The library keeps
 * @dma on its list until ioasid_dma_unmap(), so it must stay in place.
 */
int ioasid_dma_map(struct ioasid_dev *dev, void *va, size_t len,
		   struct ioasid_dma *dma);
int ioasid_dma_unmap(struct ioasid_dev *dev, struct ioasid_dma *dma);

/* Allocate zeroed pages (rounded up to the alignment) and map them */
int ioasid_dma_alloc(struct ioasid_dev *dev, size_t len,
		     struct ioasid_dma *dma);
/*
 * Unmap and, if ioasid_dma_alloc() allocated them, free the pages (even
 * when the unmap failed); returns the unmap's result.
 */
int ioasid_dma_free(struct ioasid_dev *dev, struct ioasid_dma *dma);

/* ------------------------------------------------- registers, config */

int ioasid_region_info(struct ioasid_dev *dev, __u32 index,
		       struct vfio_region_info *info);
/* mmap BAR @bar whole; *@len gets its size (may be NULL) */
void *ioasid_bar_map(struct ioasid_dev *dev, unsigned int bar, size_t *len);

int ioasid_cfg_read(struct ioasid_dev *dev, unsigned int off, void *buf,
		    size_t len);
int ioasid_cfg_write(struct ioasid_dev *dev, unsigned int off,
		     const void *buf, size_t len);
int ioasid_bus_master(struct ioasid_dev *dev, bool on);

/* VFIO_DEVICE_RESET (function reset); the device must support it */
int ioasid_reset(struct ioasid_dev *dev);

/* ------------------------------------------------------- interrupts */

/*
 * Enable @nvec MSI-X vectors 0..nvec-1, each signalling a new eventfd,
 * non-blocking; ioasid_irq_fd() returns vector @vec's.  ioasid_irq_wait()
 * waits up to @timeout_ms (-1: forever) for vector @vec, returns the
 * count read (> 0), 0 on timeout, or a negative errno; it returns -ENODEV
 * when the request eventfd (see ioasid_req_enable()) fired: the device is
 * being unbound and the program must let it go.
 */
int ioasid_msix_enable(struct ioasid_dev *dev, unsigned int nvec);
int ioasid_irq_disable(struct ioasid_dev *dev);
int ioasid_irq_fd(const struct ioasid_dev *dev, unsigned int vec);
int ioasid_irq_wait(struct ioasid_dev *dev, unsigned int vec, int timeout_ms);
/* Number of vectors of interrupt @index (VFIO_DEVICE_GET_IRQ_INFO) */
int ioasid_irq_count(struct ioasid_dev *dev, __u32 index);

/*
 * An eventfd that the kernel signals when someone unbinds the device from
 * vfio-ioasid-pci while the program holds it: the unbind waits until the
 * device fd is closed.  ioasid_req_pending() polls it without blocking.
 */
int ioasid_req_enable(struct ioasid_dev *dev);
bool ioasid_req_pending(struct ioasid_dev *dev);

#endif /* _LIBIOASID_H */
