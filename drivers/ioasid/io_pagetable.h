/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The IOVA map of an IOAS (io_pagetable.c) and the pinned user memory
 * behind its areas (pages.c).  Private to ioasid-core; the lock order is at
 * the top of ioasid_private.h.
 */
#ifndef __IOASID_IO_PAGETABLE_H
#define __IOASID_IO_PAGETABLE_H

#include <linux/interval_tree.h>
#include <linux/iommu.h>
#include <linux/kref.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/rwsem.h>
#include <linux/xarray.h>

struct ioasid_access;
struct ioasid_ctx;
struct ioasid_pages;
struct ioasid_usage;

/* io_pagetable.c: the IOVA -> user memory map of one IOAS */

struct ioasid_iopt {
	struct rw_semaphore domains_rwsem;
	struct rw_semaphore iova_rwsem;
	struct rb_root_cached area_itree;
	struct rb_root_cached allowed_itree;
	struct rb_root_cached reserved_itree;
	/* domains_rwsem write + iova_rwsem write to change, either to read */
	struct xarray domains;
	unsigned int ndomains;
	/* both rwsems write to change; the xa_lock lets unmap walk it */
	struct xarray access_list;
	unsigned long iova_alignment;
	bool disable_large_pages;
};

/*
 * One mapping.  @node is the IOVA range, @pages_node the page indexes of
 * @pages it uses; @pages_node sits in pages->domain_itree while the IOAS has
 * at least one domain, which keeps those pages pinned.
 */
struct ioasid_area {
	struct interval_tree_node node;
	struct interval_tree_node pages_node;
	struct ioasid_iopt *iopt;
	struct ioasid_pages *pages;
	unsigned int page_offset;
	int iommu_prot;
	/* Set once every domain is filled; unmap, copy and access skip it */
	bool published;
	/* An unmap is waiting for accesses to unpin this area */
	bool prevent_access;
	unsigned int num_accesses;
	/* Areas one unmap call is tearing down */
	struct ioasid_area *next_claimed;
};

static inline unsigned long ioasid_area_iova(const struct ioasid_area *area)
{
	return area->node.start;
}

static inline unsigned long
ioasid_area_last_iova(const struct ioasid_area *area)
{
	return area->node.last;
}

static inline unsigned long ioasid_area_length(const struct ioasid_area *area)
{
	return area->node.last - area->node.start + 1;
}

/* Byte offset into area->pages of @iova, which must be inside the area */
static inline unsigned long ioasid_area_start_byte(const struct ioasid_area *area,
						   unsigned long iova)
{
	return area->pages_node.start * PAGE_SIZE + area->page_offset +
	       (iova - ioasid_area_iova(area));
}

static inline unsigned long ioasid_area_index(const struct ioasid_area *area,
					      unsigned long iova)
{
	return ioasid_area_start_byte(area, iova) / PAGE_SIZE;
}

void iopt_init(struct ioasid_iopt *iopt);
void iopt_destroy(struct ioasid_iopt *iopt);
int iopt_map_user(struct ioasid_ctx *ctx, struct ioasid_iopt *iopt,
		  unsigned long *iova, unsigned long uptr,
		  unsigned long length, int iommu_prot, bool fixed);
int iopt_check_contig(struct ioasid_iopt *iopt, unsigned long iova,
		      unsigned long length);
int iopt_copy(struct ioasid_iopt *dst, struct ioasid_iopt *src,
	      unsigned long src_iova, unsigned long length,
	      unsigned long *dst_iova, int iommu_prot, bool fixed);
int iopt_unmap(struct ioasid_iopt *iopt, unsigned long iova,
	       unsigned long length, unsigned long *unmapped);
int iopt_unmap_all(struct ioasid_iopt *iopt, unsigned long *unmapped);
int iopt_set_allowed(struct ioasid_iopt *iopt, struct rb_root_cached *allowed);
int iopt_reserve(struct ioasid_iopt *iopt, unsigned long start,
		 unsigned long last, void *owner);
void iopt_unreserve(struct ioasid_iopt *iopt, void *owner);
int iopt_reserve_group_regions(struct ioasid_iopt *iopt,
			       struct iommu_group *group, void *owner);
int iopt_add_domain(struct ioasid_iopt *iopt, struct iommu_domain *domain);
void iopt_remove_domain(struct ioasid_iopt *iopt, struct iommu_domain *domain);
int iopt_set_large_pages(struct ioasid_iopt *iopt, bool enable);
int iopt_cut_iova(struct ioasid_iopt *iopt, unsigned long iova);
void iopt_detach_group(struct ioasid_iopt *iopt, struct iommu_domain *domain,
		       struct iommu_group *group);
bool iopt_has_area(struct ioasid_iopt *iopt, unsigned long start,
		   unsigned long last);
int iopt_add_access(struct ioasid_iopt *iopt, struct ioasid_access *access);
void iopt_remove_access(struct ioasid_iopt *iopt,
			struct ioasid_access *access);
int iopt_access_pin(struct ioasid_iopt *iopt, unsigned long iova,
		    unsigned long length, struct page **out_pages,
		    bool write);
void iopt_access_unpin(struct ioasid_iopt *iopt, unsigned long iova,
		       unsigned long length);
int iopt_access_rw(struct ioasid_iopt *iopt, unsigned long iova, void *data,
		   unsigned long length, unsigned int flags);

/* pages.c: pinning, accounting and filling domains from user memory */

/* Bytes of temporary memory a pinning batch may use; IOMMU_TEST_CMD sets it */
extern unsigned int ioasid_batch_mem_limit;

enum ioasid_account_mode {
	IOASID_ACCOUNT_NONE,	/* CAP_IPC_LOCK: nothing is charged */
	IOASID_ACCOUNT_USER,	/* user_struct::locked_vm */
	IOASID_ACCOUNT_MM,	/* mm_struct::locked_vm (VmLck) */
};

struct ioasid_pages {
	struct kref kref;
	struct mutex mutex;		/* protects the members marked below */
	unsigned long uptr;		/* page aligned user address of index 0 */
	unsigned long npages;
	bool writable;
	enum ioasid_account_mode account_mode;
	struct task_struct *source_task;
	struct mm_struct *source_mm;
	struct user_struct *source_user;
	/* The context's, for its netlink view (ioasid_nl_ctx_mapper()) */
	struct ioasid_usage *usage;
	/* IOASID_NL_BACKING_* kinds pinned so far, under @mutex */
	u8 backing;
	/* Below under @mutex */
	unsigned long npinned;
	struct rb_root_cached domain_itree;	/* area::pages_node */
	struct rb_root_cached access_itree;	/* struct ioasid_pages_pin */
	struct xarray pfn_chunks;		/* pinned PFNs by index */
};

struct ioasid_pages *ioasid_pages_alloc(unsigned long uptr,
					unsigned long length, bool writable,
					bool account_mm);
void ioasid_pages_put(struct ioasid_pages *pages);

static inline void ioasid_pages_get(struct ioasid_pages *pages)
{
	kref_get(&pages->kref);
}

int ioasid_area_fill_domains(struct ioasid_area *area,
			     struct ioasid_iopt *iopt);
void ioasid_area_unfill_domains(struct ioasid_area *area,
				struct ioasid_iopt *iopt);
void ioasid_areas_unfill_domains(struct ioasid_area *claimed,
				 struct ioasid_iopt *iopt);
int ioasid_area_fill_domain(struct ioasid_area *area,
			    struct iommu_domain *domain, bool first);
void ioasid_area_unfill_domain(struct ioasid_area *area,
			       struct iommu_domain *domain, bool last);
int ioasid_area_pin_access(struct ioasid_area *area, unsigned long first,
			   unsigned long last, struct page **out_pages);
void ioasid_area_unpin_access(struct ioasid_area *area, unsigned long first,
			      unsigned long last);
int ioasid_pages_rw(struct ioasid_pages *pages, unsigned long start_byte,
		    void *data, unsigned long length, unsigned int flags);

#endif
