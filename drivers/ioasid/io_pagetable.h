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
#include <linux/refcount.h>
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
	/* Small areas, inserted or published; under iova_rwsem */
	unsigned long nsmall;
	bool disable_large_pages;
};

/* pages.c: who pins and pays for a mapping */

enum ioasid_account_mode {
	IOASID_ACCOUNT_NONE,	/* CAP_IPC_LOCK: nothing is charged */
	IOASID_ACCOUNT_USER,	/* user_struct::locked_vm */
	IOASID_ACCOUNT_MM,	/* mm_struct::locked_vm (VmLck) */
};

/*
 * The process that mapped user memory, and whose limit pays for pinning
 * it.  Shared by every mapping it made through one context, which caches
 * the last one (ioasid_pinner_get()); immutable once created.
 */
struct ioasid_pinner {
	refcount_t users;
	enum ioasid_account_mode account_mode;
	struct task_struct *task;	/* thread group leader */
	struct mm_struct *mm;		/* mmgrab()ed */
	struct user_struct *user;
	/* The context's, for its netlink view (ioasid_nl_ctx_mapper()) */
	struct ioasid_usage *usage;
};

/* The longest mapping a small area holds: 64 KiB with 4 KiB pages */
#define IOASID_SMALL_MAX_PAGES 16

/*
 * The pin of a small area: up to IOASID_SMALL_MAX_PAGES pages of user
 * memory, mapped by nothing else and pinned exactly while the area is in
 * its IOAS's domains
 */
struct ioasid_small_pin {
	struct ioasid_pinner *pinner;
	unsigned long uptr;		/* page aligned */
	u8 npages;
	bool pinned;
	u8 backing;			/* IOASID_NL_BACKING_* of the pages */
	/* @npages of them, while @pinned; @npages never changes */
	unsigned long pfn[];
};

/*
 * One mapping.  @node is the IOVA range.
 *
 * A full area uses the page indexes @pages_node of @pages, which copies,
 * cuts and accesses share; @pages_node sits in pages->domain_itree while
 * the IOAS has at least one domain, which keeps those pages pinned.
 *
 * A small area (@small) maps at most IOASID_SMALL_MAX_PAGES pages that no
 * other area shares, and holds them itself (@sp): one allocation, from a
 * kmem_cache of its own for one page, so many small mappings cost little
 * memory and time.  It has no mutex:
 * its pin changes only while it is unpublished (map, unmap) or with
 * domains_rwsem and iova_rwsem held for writing (a domain comes or goes).
 * Copies and accesses need a struct ioasid_pages, so they first replace
 * a published small area by a full one (iopt_read_lock_full()); so does
 * a cut (iopt_cut_iova()).
 *
 * The flags change with iova_rwsem held for writing, or before the area
 * is inserted.
 */
struct ioasid_area {
	struct interval_tree_node node;
	struct ioasid_iopt *iopt;
	/* Areas one unmap call is tearing down */
	struct ioasid_area *next_claimed;
	/* Ranges accesses pinned, under pages->mutex; a small area has none */
	unsigned int num_accesses;
	u16 page_offset;
	u8 iommu_prot;
	/* Set once every domain is filled; unmap, copy and access skip it */
	u8 published:1;
	/* An unmap is waiting for accesses to unpin this area */
	u8 prevent_access:1;
	u8 small:1;
	union {
		struct {
			struct ioasid_pages *pages;
			struct interval_tree_node pages_node;
		};
		/* Last: a small area is allocated up to the PFNs it needs */
		struct ioasid_small_pin sp;
	};
};

/* A small area of @n pages is allocated without the members of a full one */
#define IOASID_SMALL_AREA_SIZE(n)					\
	(offsetof(struct ioasid_area, sp.pfn) + (n) * sizeof(unsigned long))

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

/*
 * Byte offset into area->pages of @iova, which must be inside the area; a
 * small area's offset from its first page
 */
static inline unsigned long ioasid_area_start_byte(const struct ioasid_area *area,
						   unsigned long iova)
{
	unsigned long first = area->small ? 0 : area->pages_node.start;

	return first * PAGE_SIZE + area->page_offset +
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

/* Bytes a pinning batch may use, at most a page; IOMMU_TEST_CMD lowers it */
extern unsigned int ioasid_batch_mem_limit;

struct ioasid_pages {
	struct kref kref;
	bool writable;
	/* IOASID_NL_BACKING_* kinds pinned so far, under @mutex */
	u8 backing;
	struct mutex mutex;		/* protects the members marked below */
	unsigned long uptr;		/* page aligned user address of index 0 */
	unsigned long npages;
	struct ioasid_pinner *pinner;
	/* Below under @mutex */
	unsigned long npinned;
	struct rb_root_cached domain_itree;	/* area::pages_node */
	struct rb_root_cached access_itree;	/* struct ioasid_pages_pin */
	struct xarray pfn_chunks;		/* pinned PFNs, per 2 MiB of indexes */
};

struct ioasid_pinner *ioasid_pinner_get(struct ioasid_ctx *ctx);
void ioasid_pinner_put(struct ioasid_pinner *pinner);
void ioasid_ctx_drop_pinner(struct ioasid_ctx *ctx);
int ioasid_pages_init(void);
void ioasid_pages_exit(void);
struct ioasid_area *ioasid_small_area_alloc(struct ioasid_pinner *pinner,
					    unsigned long uptr,
					    unsigned long npages);
void ioasid_area_free(struct ioasid_area *area);
struct ioasid_pages *ioasid_pages_from_small(const struct ioasid_area *area);
struct ioasid_pages *ioasid_pages_alloc(struct ioasid_pinner *pinner,
					unsigned long uptr,
					unsigned long length, bool writable);
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
