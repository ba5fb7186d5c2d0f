// SPDX-License-Identifier: GPL-2.0-only
/*
 * struct ioasid_pages: a range of user memory that is pinned on demand, and
 * the code that loads it into iommu_domains.
 *
 * A page is pinned exactly while at least one user covers its index:
 *  - an area whose IOAS has at least one domain covers area::pages_node
 *    (domain_itree), whatever the number of domains;
 *  - each distinct range pinned by in-kernel accesses (access_itree).
 * An index is pinned and charged when it gains its first user and unpinned
 * and uncharged when it loses its last, so a page costs one pin and one
 * charge however many domains, copies and accesses use it.  The PFN of every
 * pinned index is kept in pfn_chunks, as runs where the pages are physically
 * contiguous, so a second domain or an access never walks the user's page
 * tables again.
 *
 * Accounting follows RLIMIT_MEMLOCK of the process that created the mapping:
 * in user mode against user_struct::locked_vm (shared by all processes of
 * the user, like io_uring), in mm mode against mm_struct::locked_vm (VmLck,
 * like VFIO).  CAP_IPC_LOCK at map time exempts the mapping.  Pinned pages
 * also show in mm_struct::pinned_vm (VmPin) in every mode.
 */
#define pr_fmt(fmt) "ioasid: " fmt

#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/user.h>
#include <linux/scatterlist.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "io_pagetable.h"
#include "ioasid_private.h"

unsigned int ioasid_batch_mem_limit = 65536;

#define PFN_CHUNK_ENTRIES (PAGE_SIZE / sizeof(unsigned long))

/* A range pinned by accesses; identical ranges share one node */
struct ioasid_pages_pin {
	struct interval_tree_node node;
	unsigned int users;
};

/*
 * pfn_chunks holds the PFNs of the pinned indexes, one entry per
 * PFN_CHUNK_ENTRIES pages of the user's address space (2 MiB with 4 KiB
 * pages), aligned as a PMD-sized huge page is: slot = user page number %
 * PFN_CHUNK_ENTRIES.  An entry is one of:
 *  - a value entry, when the chunk's pinned indexes are one physically
 *    contiguous run, as under a huge page or fresh memory: the PFN that
 *    slot 0 has or would have.  No memory, no zeroing, and a run is read
 *    in one step;
 *  - an array of the PFNs of the chunk's slots that belong to the
 *    mapping, from slot pfn_chunk_lo() to pfn_chunk_hi(), so that small
 *    maps stay small.
 * The slots of indexes nothing pins hold anything.  Every chunk holding a
 * pinned index has an entry; the entries go when npinned drops to 0.
 */
struct pfn_cursor {
	struct ioasid_pages *pages;
	unsigned long chunk_index;
	void *entry;		/* of chunk_index; NULL: not loaded */
	unsigned long lo;	/* pfn_chunk_lo() of chunk_index */
};

/* The position of @index in pfn_chunks: chunk pos / E, slot pos % E */
static unsigned long pfn_pos(const struct ioasid_pages *pages,
			     unsigned long index)
{
	return index + (pages->uptr >> PAGE_SHIFT) % PFN_CHUNK_ENTRIES;
}

/* The first and the last slot of chunk @ci that hold an index */
static unsigned long pfn_chunk_lo(const struct ioasid_pages *pages,
				  unsigned long ci)
{
	return ci ? 0 : pfn_pos(pages, 0);
}

static unsigned long pfn_chunk_hi(const struct ioasid_pages *pages,
				  unsigned long ci)
{
	return min(PFN_CHUNK_ENTRIES - 1,
		   pfn_pos(pages, pages->npages - 1) - ci * PFN_CHUNK_ENTRIES);
}

static void *pfn_entry(struct pfn_cursor *cur, unsigned long chunk_index)
{
	if (!cur->entry || cur->chunk_index != chunk_index) {
		cur->entry = xa_load(&cur->pages->pfn_chunks, chunk_index);
		cur->chunk_index = chunk_index;
		cur->lo = pfn_chunk_lo(cur->pages, chunk_index);
	}
	return cur->entry;
}

static unsigned long pfn_get(struct pfn_cursor *cur, unsigned long index)
{
	unsigned long pos = pfn_pos(cur->pages, index);
	void *entry = pfn_entry(cur, pos / PFN_CHUNK_ENTRIES);
	unsigned long slot = pos % PFN_CHUNK_ENTRIES;

	if (xa_is_value(entry))
		return xa_to_value(entry) + slot;
	return ((unsigned long *)entry)[slot - cur->lo];
}

/*
 * The physically contiguous run of pinned indexes at @index, ending at
 * @last at the latest: its length, and its first PFN in *@pfn
 */
static unsigned long pfn_run(struct pfn_cursor *cur, unsigned long index,
			     unsigned long last, unsigned long *pfn)
{
	unsigned long next = pfn_get(cur, index);
	unsigned long run = 0;

	*pfn = next;
	while (index + run <= last) {
		unsigned long i = index + run;
		unsigned long pos = pfn_pos(cur->pages, i);
		unsigned long slot = pos % PFN_CHUNK_ENTRIES;
		unsigned long n = min(PFN_CHUNK_ENTRIES - slot, last - i + 1);
		void *entry = pfn_entry(cur, pos / PFN_CHUNK_ENTRIES);
		const unsigned long *pfns;
		unsigned long k;

		if (xa_is_value(entry)) {
			if (xa_to_value(entry) + slot != next)
				break;
			run += n;
			next += n;
			continue;
		}
		pfns = (const unsigned long *)entry + (slot - cur->lo);
		if (pfns[0] != next)
			break;
		k = ioasid_pfn_run(pfns, n);
		run += k;
		next += k;
		if (k != n)
			break;
	}
	return run;
}

static int pfn_set_entry(struct pfn_cursor *cur, void *entry)
{
	int rc;

	rc = ioasid_should_fail(IOASID_FAULT_ID) ? -ENOMEM :
	     xa_err(xa_store(&cur->pages->pfn_chunks, cur->chunk_index, entry,
			     GFP_KERNEL_ACCOUNT));
	cur->entry = rc ? NULL : entry;
	return rc;
}

/*
 * The array of the chunk @cur is at, made from its value entry or new:
 * NULL without memory
 */
static unsigned long *pfn_chunk_array(struct pfn_cursor *cur)
{
	unsigned long hi = pfn_chunk_hi(cur->pages, cur->chunk_index);
	unsigned long n = hi - cur->lo + 1;
	void *entry = cur->entry;
	unsigned long *pfns;
	unsigned long k;

	if (entry && !xa_is_value(entry))
		return entry;
	/* Every slot is written before it is read */
	pfns = ioasid_should_fail(IOASID_FAULT_ALLOC) ? NULL :
	       kmalloc_array(n, sizeof(*pfns), GFP_KERNEL_ACCOUNT);
	if (!pfns)
		return NULL;
	if (entry)
		for (k = 0; k != n; k++)
			pfns[k] = xa_to_value(entry) + cur->lo + k;
	if (pfn_set_entry(cur, pfns)) {
		kfree(pfns);
		return NULL;
	}
	return pfns;
}

/*
 * Record the PFNs of @n pages pinned at @index on, which lie in one chunk.
 * A contiguous run into a chunk that holds nothing, or that run already,
 * needs no array.  Return: 0 or -ENOMEM.
 */
static int pfn_store_chunk(struct pfn_cursor *cur, unsigned long index,
			   struct page **batch, unsigned long n, bool contig)
{
	unsigned long pos = pfn_pos(cur->pages, index);
	unsigned long slot = pos % PFN_CHUNK_ENTRIES;
	unsigned long pfn = page_to_pfn(batch[0]);
	unsigned long *pfns;
	unsigned long k;
	void *entry;

	entry = pfn_entry(cur, pos / PFN_CHUNK_ENTRIES);
	/* PFNs below the slot number cannot be told as a value */
	if (contig && pfn >= slot) {
		if (!entry)
			return pfn_set_entry(cur, xa_mk_value(pfn - slot));
		if (xa_is_value(entry) && xa_to_value(entry) == pfn - slot)
			return 0;
	}
	pfns = pfn_chunk_array(cur);
	if (!pfns)
		return -ENOMEM;
	for (k = 0; k != n; k++)
		pfns[slot - cur->lo + k] = page_to_pfn(batch[k]);
	return 0;
}

static void pages_free_chunks(struct ioasid_pages *pages)
{
	unsigned long ci;
	void *entry;

	xa_for_each(&pages->pfn_chunks, ci, entry)
		if (!xa_is_value(entry))
			kfree(entry);
	xa_destroy(&pages->pfn_chunks);
}

/*
 * IOASID_NL_BACKING_* kinds of the pages of a pinning batch.  The pages of
 * one folio are of one kind, and so are the order-0 pages of one mapping:
 * a folio's PFN range or a page's mapping tells them apart without the
 * tests of ioasid_nl_page_backing() on every 4 KiB page.
 */
struct backing_probe {
	unsigned long folio_first, folio_pages;	/* the last large folio */
	const void *mapping;	/* the last order-0 page's ->mapping */
	bool have_mapping;
	u8 kinds;
};

static void backing_probe(struct backing_probe *bp, struct page *page,
			  unsigned long pfn)
{
	struct folio *folio;

	if (pfn - bp->folio_first < bp->folio_pages)
		return;
	folio = page_folio(page);
	if (folio_test_large(folio)) {
		bp->folio_first = folio_pfn(folio);
		bp->folio_pages = folio_nr_pages(folio);
	} else {
		/* Pinned, so it stays in its mapping meanwhile */
		const void *mapping = READ_ONCE(folio->mapping);

		if (bp->have_mapping && mapping == bp->mapping)
			return;
		bp->mapping = mapping;
		bp->have_mapping = true;
	}
	bp->kinds |= ioasid_nl_page_backing(page);
}

/*
 * Record the PFNs of the @n pages of @batch pinned at @index on, and
 * classify them into @bp unless that is NULL.  Return: 0 or -ENOMEM, with
 * some recorded.
 */
static int pfn_store(struct pfn_cursor *cur, struct backing_probe *bp,
		     unsigned long index, struct page **batch, unsigned long n)
{
	while (n) {
		unsigned long seg = min(n, PFN_CHUNK_ENTRIES -
					   pfn_pos(cur->pages, index) %
					   PFN_CHUNK_ENTRIES);
		unsigned long pfn0 = page_to_pfn(batch[0]);
		bool contig = true;
		unsigned long k;
		int rc;

		for (k = 0; k != seg; k++) {
			unsigned long pfn = page_to_pfn(batch[k]);

			contig &= pfn == pfn0 + k;
			if (bp)
				backing_probe(bp, batch[k], pfn);
		}
		rc = pfn_store_chunk(cur, index, batch, seg, contig);
		if (rc)
			return rc;
		batch += seg;
		index += seg;
		n -= seg;
	}
	return 0;
}

static int pinner_charge_user(struct ioasid_pinner *pinner,
			      unsigned long npages)
{
	unsigned long limit =
		task_rlimit(pinner->task, RLIMIT_MEMLOCK) >> PAGE_SHIFT;
	atomic_long_t *locked = &pinner->user->locked_vm;
	long cur = atomic_long_read(locked);
	unsigned long new;

	do {
		if (check_add_overflow((unsigned long)cur, npages, &new) ||
		    new > limit) {
			pr_info_ratelimited("pinning %lu pages would exceed RLIMIT_MEMLOCK (%lu KiB) of uid %u\n",
					    npages, limit << (PAGE_SHIFT - 10),
					    from_kuid(&init_user_ns,
						      pinner->user->uid));
			return -ENOMEM;
		}
	} while (!atomic_long_try_cmpxchg(locked, &cur, new));
	return 0;
}

static int pinner_charge(struct ioasid_pinner *pinner, unsigned long npages)
{
	struct mm_struct *mm = pinner->mm;
	int rc = 0;

	if (ioasid_should_fail(IOASID_FAULT_CHARGE))
		return -ENOMEM;
	switch (pinner->account_mode) {
	case IOASID_ACCOUNT_NONE:
		break;
	case IOASID_ACCOUNT_USER:
		rc = pinner_charge_user(pinner, npages);
		break;
	case IOASID_ACCOUNT_MM:
		mmap_write_lock(mm);
		rc = __account_locked_vm(mm, npages, true, pinner->task, false);
		mmap_write_unlock(mm);
		if (rc)
			pr_info_ratelimited("pinning %lu pages would exceed RLIMIT_MEMLOCK (%lu KiB) of pid %d\n",
					    npages,
					    task_rlimit(pinner->task,
							RLIMIT_MEMLOCK) >> 10,
					    task_pid_nr(pinner->task));
		break;
	}
	if (rc)
		return rc;
	if (pinner->account_mode != IOASID_ACCOUNT_NONE) {
		atomic_long_add(npages, &ioasid_stats.charged);
		ioasid_usage_charged(pinner->usage, npages);
	}
	atomic64_add(npages, &mm->pinned_vm);
	return 0;
}

/* Cannot fail: unpinning never needs memory */
static void pinner_uncharge(struct ioasid_pinner *pinner, unsigned long npages)
{
	struct mm_struct *mm = pinner->mm;

	switch (pinner->account_mode) {
	case IOASID_ACCOUNT_NONE:
		break;
	case IOASID_ACCOUNT_USER:
		atomic_long_sub(npages, &pinner->user->locked_vm);
		break;
	case IOASID_ACCOUNT_MM:
		/* An mm that has exited keeps no counters worth fixing */
		if (!mmget_not_zero(mm))
			break;
		mmap_write_lock(mm);
		__account_locked_vm(mm, npages, false, pinner->task, false);
		mmap_write_unlock(mm);
		mmput(mm);
		break;
	}
	if (pinner->account_mode != IOASID_ACCOUNT_NONE) {
		atomic_long_sub(npages, &ioasid_stats.charged);
		ioasid_usage_charged(pinner->usage, -npages);
	}
	atomic64_sub(npages, &mm->pinned_vm);
}

/*
 * A read-only pin, up to the end of the VMA at @uaddr.  Linux 6.1's GUP pins
 * a page cache page of a private mapping, or the shared zero page, as it
 * is: the process's next write to it gets a copy of its own, and the IOMMU
 * keeps reading the old page.  Linux 6.4 unshares such pins; here the pin
 * breaks COW itself, as a write would, so the pinned page is the process's
 * own from the start.  The content is the same and the IOMMU mapping stays
 * read-only.  A readable but not writable private mapping needs FOLL_FORCE
 * for that, as ptrace does; one the process cannot read (PROT_NONE) gets no
 * FOLL_FORCE, which would let GUP read it, and fails as before.  Shared
 * mappings have nothing to unshare and are pinned as they are.
 */
static long pages_gup_ro(struct mm_struct *mm, unsigned long uaddr,
			 unsigned long npages, struct page **batch)
{
	unsigned int gup_flags = FOLL_LONGTERM;
	struct vm_area_struct *vma;

	mmap_assert_locked(mm);
	vma = vma_lookup(mm, uaddr);
	if (!vma)
		return -EFAULT;
	if (is_cow_mapping(vma->vm_flags) && (vma->vm_flags & VM_READ)) {
		gup_flags |= FOLL_WRITE;
		if (!(vma->vm_flags & VM_WRITE))
			gup_flags |= FOLL_FORCE;
	}
	npages = min(npages, (vma->vm_end - uaddr) >> PAGE_SHIFT);
	return pin_user_pages_remote(mm, uaddr, npages, gup_flags, batch, NULL,
				     NULL);
}

static long pinner_gup(struct ioasid_pinner *pinner, bool writable,
		       unsigned long uaddr, unsigned long npages,
		       struct page **batch)
{
	struct mm_struct *mm = pinner->mm;
	long rc;

	if (ioasid_should_fail(IOASID_FAULT_PIN))
		return -EFAULT;
	if (current->mm == mm && writable)
		return pin_user_pages_fast(uaddr, npages,
					   FOLL_LONGTERM | FOLL_WRITE, batch);

	/*
	 * Read-only pins look at the VMA; and another process (or its exit)
	 * may be filling a domain of this mapping
	 */
	if (!mmget_not_zero(mm))
		return -EFAULT;
	mmap_read_lock(mm);
	if (writable)
		rc = pin_user_pages_remote(mm, uaddr, npages,
					   FOLL_LONGTERM | FOLL_WRITE, batch,
					   NULL, NULL);
	else
		rc = pages_gup_ro(mm, uaddr, npages, batch);
	mmap_read_unlock(mm);
	mmput(mm);
	return rc;
}

static void pages_unpin_range(struct ioasid_pages *pages, unsigned long first,
			      unsigned long last)
{
	struct pfn_cursor cur = { .pages = pages };
	unsigned long npages = last - first + 1;
	unsigned long index = first;

	lockdep_assert_held(&pages->mutex);

	while (index <= last) {
		unsigned long pfn;
		unsigned long run = pfn_run(&cur, index, last, &pfn);

		unpin_user_page_range_dirty_lock(pfn_to_page(pfn), run,
						 pages->writable);
		index += run;
		cond_resched();
	}
	pages->npinned -= npages;
	atomic_long_sub(npages, &ioasid_stats.pinned);
	ioasid_usage_pinned(pages->pinner->usage, -npages);
	pinner_uncharge(pages->pinner, npages);
	if (!pages->npinned)
		pages_free_chunks(pages);
}

/*
 * The page array of a pinning batch: one page, PIN_BATCH_ENTRIES pages of
 * user memory per pin_user_pages() call.  Each CPU keeps the last one
 * freed on it, so that a map does not allocate one: a new allocation is
 * zeroed (init_on_alloc, Debian's default) only to be overwritten, which
 * for a 1 MiB map cost as much as writing all its PFNs.
 */
#define PIN_BATCH_ENTRIES (PAGE_SIZE / sizeof(struct page *))
static DEFINE_PER_CPU(struct page **, pin_batch_cache);

static void pin_batch_put(struct page **batch)
{
	if (batch && this_cpu_cmpxchg(pin_batch_cache, NULL, batch))
		kfree(batch);
}

static struct page **pin_batch_get(void)
{
	struct page **batch = this_cpu_xchg(pin_batch_cache, NULL);

	if (ioasid_should_fail(IOASID_FAULT_ALLOC)) {
		/* As if the CPU had none to give, and no memory */
		pin_batch_put(batch);
		return NULL;
	}
	return batch ?: kmalloc(PAGE_SIZE, GFP_KERNEL | __GFP_NOWARN);
}

/* Pin [first, last], which nothing pins yet, in batches */
static int pages_pin_range(struct ioasid_pages *pages, unsigned long first,
			   unsigned long last)
{
	struct pfn_cursor cur = { .pages = pages };
	struct backing_probe bp = {};
	struct page *stack_batch[8];
	unsigned long index = first;
	struct page **batch;
	unsigned long cap;
	int rc = 0;

	lockdep_assert_held(&pages->mutex);

	/* The whole range at once: over the limit, nothing gets pinned */
	rc = pinner_charge(pages->pinner, last - first + 1);
	if (rc)
		return rc;

	cap = READ_ONCE(ioasid_batch_mem_limit) / sizeof(*batch);
	cap = clamp(cap, 1UL, min(last - first + 1, PIN_BATCH_ENTRIES));
	batch = cap > ARRAY_SIZE(stack_batch) ? pin_batch_get() : NULL;
	if (!batch) {
		/* Pinning still works, only slower */
		batch = stack_batch;
		cap = min_t(unsigned long, cap, ARRAY_SIZE(stack_batch));
	}

	while (index <= last) {
		unsigned long n = min(cap, last - index + 1);
		u8 kinds = bp.kinds;
		long got;

		got = pinner_gup(pages->pinner, pages->writable,
				 pages->uptr + index * PAGE_SIZE, n, batch);
		if (got <= 0) {
			rc = got ? got : -EFAULT;
			break;
		}
		rc = pfn_store(&cur, &bp, index, batch, got);
		if (rc) {
			/* What this batch stored is in slots nothing pins */
			unpin_user_pages(batch, got);
			bp.kinds = kinds;
			break;
		}
		pages->npinned += got;
		atomic_long_add(got, &ioasid_stats.pinned);
		ioasid_usage_pinned(pages->pinner->usage, got);
		index += got;
	}
	if (batch != stack_batch)
		pin_batch_put(batch);
	/* The netlink dump reads it unlocked */
	if (bp.kinds & ~pages->backing)
		WRITE_ONCE(pages->backing, pages->backing | bp.kinds);
	if (!rc)
		return 0;
	/* What never got pinned; pages_unpin_range() uncharges the rest */
	pinner_uncharge(pages->pinner, last - index + 1);
	if (index != first)
		pages_unpin_range(pages, first, index - 1);
	else if (!pages->npinned)
		pages_free_chunks(pages);
	return rc;
}

/* Nothing pins any page: no domain user, no access */
static bool pages_unused(struct ioasid_pages *pages)
{
	return RB_EMPTY_ROOT(&pages->domain_itree.rb_root) &&
	       RB_EMPTY_ROOT(&pages->access_itree.rb_root);
}

/* A user of [first, last] is gone: unpin what no other user covers */
static void pages_unpin_holes(struct ioasid_pages *pages, unsigned long first,
			      unsigned long last)
{
	struct rb_root_cached *const roots[] = { &pages->domain_itree,
						 &pages->access_itree };
	struct ioasid_span span;

	/* The common case: that was the only user */
	if (pages_unused(pages)) {
		pages_unpin_range(pages, first, last);
		return;
	}
	for (ioasid_span_first(&span, roots, ARRAY_SIZE(roots), first, last);
	     !span.done; ioasid_span_next(&span))
		if (span.is_hole)
			pages_unpin_range(pages, span.start, span.last);
}

/* Pin the parts of [first, last] that no user covers yet */
static int pages_pin_holes(struct ioasid_pages *pages, unsigned long first,
			   unsigned long last)
{
	struct rb_root_cached *const roots[] = { &pages->domain_itree,
						 &pages->access_itree };
	struct ioasid_span span;
	int rc;

	/* The common case: the first user */
	if (pages_unused(pages))
		return pages_pin_range(pages, first, last);
	for (ioasid_span_first(&span, roots, ARRAY_SIZE(roots), first, last);
	     !span.done; ioasid_span_next(&span)) {
		if (!span.is_hole)
			continue;
		rc = pages_pin_range(pages, span.start, span.last);
		if (rc)
			goto err_unpin;
	}
	return 0;

err_unpin:
	/* The holes before the failed one were pinned by this call */
	if (span.start != first)
		pages_unpin_holes(pages, first, span.start - 1);
	return rc;
}

static bool pages_index_pinned(struct ioasid_pages *pages, unsigned long index)
{
	return interval_tree_iter_first(&pages->domain_itree, index, index) ||
	       interval_tree_iter_first(&pages->access_itree, index, index);
}

/*
 * The pinner a mapping made now by the current process would get: the
 * accounting mode depends on the context's option and on CAP_IPC_LOCK,
 * both of which can change between two mappings.
 */
static enum ioasid_account_mode pinner_mode(struct ioasid_ctx *ctx)
{
	if (capable(CAP_IPC_LOCK))
		return IOASID_ACCOUNT_NONE;
	return READ_ONCE(ctx->account_mm) ? IOASID_ACCOUNT_MM :
					    IOASID_ACCOUNT_USER;
}

static bool pinner_is_current(const struct ioasid_pinner *pinner,
			      enum ioasid_account_mode mode)
{
	return pinner->mm == current->mm &&
	       pinner->task == current->group_leader &&
	       pinner->user == current_user() && pinner->account_mode == mode;
}

static void pinner_free(struct ioasid_pinner *pinner)
{
	mmdrop(pinner->mm);
	put_task_struct(pinner->task);
	free_uid(pinner->user);
	kfree(pinner);
}

void ioasid_pinner_put(struct ioasid_pinner *pinner)
{
	if (refcount_dec_and_test(&pinner->users))
		pinner_free(pinner);
}

/**
 * ioasid_pinner_get() - the pinner for a mapping the current process makes
 * @ctx: the context the mapping is made in
 *
 * The context keeps the last pinner it handed out, so a process mapping
 * many times allocates one and takes no reference on its mm, task and user
 * per mapping.  The context's own reference goes with the context
 * (ioasid_ctx_drop_pinner()) or when another process maps.
 *
 * Return: a reference, or NULL without memory.
 */
struct ioasid_pinner *ioasid_pinner_get(struct ioasid_ctx *ctx)
{
	enum ioasid_account_mode mode = pinner_mode(ctx);
	struct ioasid_pinner *pinner, *old;

	spin_lock(&ctx->pinner_lock);
	pinner = ctx->pinner;
	if (pinner && pinner_is_current(pinner, mode)) {
		refcount_inc(&pinner->users);
		spin_unlock(&ctx->pinner_lock);
		return pinner;
	}
	spin_unlock(&ctx->pinner_lock);

	pinner = ioasid_kzalloc(sizeof(*pinner), GFP_KERNEL_ACCOUNT);
	if (!pinner)
		return NULL;
	/* The caller's and the context's */
	refcount_set(&pinner->users, 2);
	pinner->account_mode = mode;
	pinner->mm = current->mm;
	mmgrab(pinner->mm);
	pinner->task = current->group_leader;
	get_task_struct(pinner->task);
	pinner->user = get_uid(current_user());
	pinner->usage = &ctx->nl.usage;

	spin_lock(&ctx->pinner_lock);
	old = ctx->pinner;
	ctx->pinner = pinner;
	spin_unlock(&ctx->pinner_lock);
	if (old)
		ioasid_pinner_put(old);
	return pinner;
}

/* The context is going: drop its cached pinner */
void ioasid_ctx_drop_pinner(struct ioasid_ctx *ctx)
{
	if (ctx->pinner)
		ioasid_pinner_put(ctx->pinner);
	ctx->pinner = NULL;
}

static struct kmem_cache *ioasid_small_area_cache;

int ioasid_pages_init(void)
{
	/* The memory per 4 KiB mapping (Documentation/bench), and kmalloc-128 */
	BUILD_BUG_ON(IOASID_SMALL_AREA_SIZE(1) > 104);
	BUILD_BUG_ON(IOASID_SMALL_MAX_PAGES > U8_MAX);
	BUILD_BUG_ON(sizeof(struct ioasid_area) > 128);
	/* A mutex grows with lock debugging */
	BUILD_BUG_ON(!IS_ENABLED(CONFIG_DEBUG_MUTEXES) &&
		     !IS_ENABLED(CONFIG_DEBUG_LOCK_ALLOC) &&
		     sizeof(struct ioasid_pages) > 128);
	ioasid_small_area_cache =
		kmem_cache_create("ioasid_small_area", IOASID_SMALL_AREA_SIZE(1),
				  0, SLAB_ACCOUNT, NULL);
	return ioasid_small_area_cache ? 0 : -ENOMEM;
}

void ioasid_pages_exit(void)
{
	int cpu;

	for_each_possible_cpu(cpu)
		kfree(per_cpu(pin_batch_cache, cpu));
	kmem_cache_destroy(ioasid_small_area_cache);
}

/**
 * ioasid_small_area_alloc() - a small area for user memory of a few pages
 * @pinner: who maps it; the area takes a reference
 * @uptr: the user address
 * @npages: the pages the mapping touches, 1 to IOASID_SMALL_MAX_PAGES
 *
 * A one-page area comes from a kmem_cache of its own, a longer one from
 * kmalloc, with room for the PFN of each page.  The area counts as a
 * pages object in ioasid_stats until it is freed or becomes a full one.
 *
 * Return: the area, unpublished and not inserted, or NULL without memory.
 */
struct ioasid_area *ioasid_small_area_alloc(struct ioasid_pinner *pinner,
					    unsigned long uptr,
					    unsigned long npages)
{
	struct ioasid_area *area;

	if (WARN_ON(!npages || npages > IOASID_SMALL_MAX_PAGES) ||
	    ioasid_should_fail(IOASID_FAULT_ALLOC))
		return NULL;
	if (npages == 1)
		area = kmem_cache_zalloc(ioasid_small_area_cache,
					 GFP_KERNEL_ACCOUNT);
	else
		area = kzalloc(IOASID_SMALL_AREA_SIZE(npages),
			       GFP_KERNEL_ACCOUNT);
	if (!area)
		return NULL;
	area->small = true;
	refcount_inc(&pinner->users);
	area->sp.pinner = pinner;
	area->sp.uptr = uptr & PAGE_MASK;
	area->sp.npages = npages;
	atomic_long_inc(&ioasid_stats.pages_objs);
	atomic_long_inc(&ioasid_stats.small_areas);
	return area;
}

/**
 * ioasid_area_free() - free an area that is in no tree and pins nothing
 * @area: a small or a full area; a full one no longer holds its pages
 */
void ioasid_area_free(struct ioasid_area *area)
{
	if (!area)
		return;
	if (!area->small) {
		kfree(area);
		return;
	}
	WARN_ON(area->sp.pinned);
	ioasid_pinner_put(area->sp.pinner);
	/* Where ioasid_small_area_alloc() took it from (SLOB needs that) */
	if (area->sp.npages == 1)
		kmem_cache_free(ioasid_small_area_cache, area);
	else
		kfree(area);
	atomic_long_dec(&ioasid_stats.small_areas);
	atomic_long_dec(&ioasid_stats.pages_objs);
}

static struct ioasid_pages *pages_new(struct ioasid_pinner *pinner,
				      unsigned long uptr, unsigned long npages,
				      bool writable)
{
	struct ioasid_pages *pages;

	pages = ioasid_kzalloc(sizeof(*pages), GFP_KERNEL_ACCOUNT);
	if (!pages)
		return NULL;
	kref_init(&pages->kref);
	mutex_init(&pages->mutex);
	pages->uptr = uptr;
	pages->npages = npages;
	pages->writable = writable;
	pages->domain_itree = RB_ROOT_CACHED;
	pages->access_itree = RB_ROOT_CACHED;
	xa_init(&pages->pfn_chunks);
	refcount_inc(&pinner->users);
	pages->pinner = pinner;
	atomic_long_inc(&ioasid_stats.pages_objs);
	return pages;
}

/**
 * ioasid_pages_alloc() - describe user memory to be pinned later
 * @pinner: who maps it; the pages take a reference
 * @uptr: user address
 * @length: bytes
 * @writable: pin for writing
 *
 * Return: the pages with one reference, or ERR_PTR(-EOVERFLOW / -ENOMEM).
 */
struct ioasid_pages *ioasid_pages_alloc(struct ioasid_pinner *pinner,
					unsigned long uptr,
					unsigned long length, bool writable)
{
	struct ioasid_pages *pages;
	unsigned long last;
	int rc;

	rc = ioasid_range_last(uptr, length, &last);
	if (rc)
		return ERR_PTR(rc);
	pages = pages_new(pinner, uptr & PAGE_MASK,
			  last / PAGE_SIZE - uptr / PAGE_SIZE + 1, writable);
	return pages ?: ERR_PTR(-ENOMEM);
}

/**
 * ioasid_pages_from_small() - the pages of a small area, for a full one
 * @area: a small area; its pin, if any, moves to the pages
 *
 * The caller replaces @area by a full area whose pages_node is every index
 * of the result, inserted into the result's domain_itree if @area was
 * pinned, and then frees @area with sp.pinned cleared.
 *
 * Return: the pages with one reference, or NULL without memory.
 */
struct ioasid_pages *ioasid_pages_from_small(const struct ioasid_area *area)
{
	const struct ioasid_small_pin *sp = &area->sp;
	struct page *batch[IOASID_SMALL_MAX_PAGES];
	struct ioasid_pages *pages;
	struct pfn_cursor cur;
	unsigned int i;

	pages = pages_new(sp->pinner, sp->uptr, sp->npages,
			  area->iommu_prot & IOMMU_WRITE);
	if (!pages)
		return NULL;
	if (!sp->pinned)
		return pages;
	cur = (struct pfn_cursor){ .pages = pages };
	for (i = 0; i != sp->npages; i++)
		batch[i] = pfn_to_page(sp->pfn[i]);
	/* The pages keep the kinds the small area found */
	if (pfn_store(&cur, NULL, 0, batch, sp->npages)) {
		ioasid_pages_put(pages);
		return NULL;
	}
	pages->npinned = sp->npages;
	pages->backing = sp->backing;
	return pages;
}

static void ioasid_pages_release(struct kref *kref)
{
	struct ioasid_pages *pages = container_of(kref, struct ioasid_pages,
						  kref);

	WARN_ON(pages->npinned);
	WARN_ON(!RB_EMPTY_ROOT(&pages->domain_itree.rb_root));
	WARN_ON(!RB_EMPTY_ROOT(&pages->access_itree.rb_root));
	pages_free_chunks(pages);
	ioasid_pinner_put(pages->pinner);
	mutex_destroy(&pages->mutex);
	kfree(pages);
	atomic_long_dec(&ioasid_stats.pages_objs);
}

void ioasid_pages_put(struct ioasid_pages *pages)
{
	kref_put(&pages->kref, ioasid_pages_release);
}

/* Pin the pages of a small area, which nothing pins yet */
static int small_pin(struct ioasid_area *area)
{
	bool writable = area->iommu_prot & IOMMU_WRITE;
	struct page *batch[IOASID_SMALL_MAX_PAGES];
	struct ioasid_small_pin *sp = &area->sp;
	struct backing_probe bp = {};
	unsigned int n = 0, i;
	long got;
	int rc;

	/* The whole range at once, as for a full area */
	rc = pinner_charge(sp->pinner, sp->npages);
	if (rc)
		return rc;
	while (n != sp->npages) {
		/* A read-only pin stops at the end of a VMA */
		got = pinner_gup(sp->pinner, writable, sp->uptr + n * PAGE_SIZE,
				 sp->npages - n, batch + n);
		if (got <= 0) {
			rc = got ? got : -EFAULT;
			goto err_unpin;
		}
		n += got;
	}
	for (i = 0; i != n; i++) {
		sp->pfn[i] = page_to_pfn(batch[i]);
		backing_probe(&bp, batch[i], sp->pfn[i]);
	}
	sp->backing = bp.kinds;
	sp->pinned = true;
	atomic_long_add(n, &ioasid_stats.pinned);
	ioasid_usage_pinned(sp->pinner->usage, n);
	return 0;

err_unpin:
	unpin_user_pages(batch, n);
	pinner_uncharge(sp->pinner, sp->npages);
	return rc;
}

/*
 * Account for unpinned pages of small areas: @npinned of them, of areas in
 * a row that share @pinner, which is uncharged once for them all
 */
static void small_uncharge(struct ioasid_pinner *pinner, unsigned long npinned)
{
	if (!npinned)
		return;
	atomic_long_sub(npinned, &ioasid_stats.pinned);
	ioasid_usage_pinned(pinner->usage, -npinned);
	pinner_uncharge(pinner, npinned);
}

/* Unpin the pages of a small area, a physically contiguous run at a time */
static void small_unpin_pages(struct ioasid_area *area)
{
	struct ioasid_small_pin *sp = &area->sp;
	unsigned long i, run;

	for (i = 0; i != sp->npages; i += run) {
		run = ioasid_pfn_run(&sp->pfn[i], sp->npages - i);
		unpin_user_page_range_dirty_lock(pfn_to_page(sp->pfn[i]), run,
						 area->iommu_prot & IOMMU_WRITE);
	}
	sp->pinned = false;
}

static void small_unpin(struct ioasid_area *area)
{
	small_unpin_pages(area);
	small_uncharge(area->sp.pinner, area->sp.npages);
}

static void area_lock(struct ioasid_area *area)
{
	if (!area->small)
		mutex_lock(&area->pages->mutex);
}

static void area_unlock(struct ioasid_area *area)
{
	if (!area->small)
		mutex_unlock(&area->pages->mutex);
}

/* A small area has no pages and no pages_node: never touch them */
static int area_add_domain_user(struct ioasid_area *area)
{
	int rc;

	if (area->small)
		return small_pin(area);

	rc = pages_pin_holes(area->pages, area->pages_node.start,
			     area->pages_node.last);
	if (!rc)
		interval_tree_insert(&area->pages_node,
				     &area->pages->domain_itree);
	return rc;
}

static void area_remove_domain_user(struct ioasid_area *area)
{
	if (area->small) {
		small_unpin(area);
		return;
	}
	interval_tree_remove(&area->pages_node, &area->pages->domain_itree);
	pages_unpin_holes(area->pages, area->pages_node.start,
			  area->pages_node.last);
}

/*
 * Unmap [iova, iova + length) and add it to @gather: the IOMMU driver syncs
 * the IOTLB only when the range is disjoint from what the gather holds,
 * the caller once at the end
 */
static void domain_unmap_gather(struct iommu_domain *domain,
				unsigned long iova, unsigned long length,
				struct iommu_iotlb_gather *gather)
{
	size_t unmapped;

	unmapped = iommu_unmap_fast(domain, iova, length, gather);
	WARN_ON(unmapped != length);
}

static void domain_unmap(struct iommu_domain *domain, unsigned long iova,
			 unsigned long length)
{
	struct iommu_iotlb_gather gather;

	iommu_iotlb_gather_init(&gather);
	domain_unmap_gather(domain, iova, length, &gather);
	iommu_iotlb_sync(domain, &gather);
}

/* The page indexes @area maps: a small area's are its own, from 0 */
static unsigned long area_first_index(const struct ioasid_area *area)
{
	return area->small ? 0 : area->pages_node.start;
}

static unsigned long area_last_index(const struct ioasid_area *area)
{
	return area->small ? area->sp.npages - 1 : area->pages_node.last;
}

/*
 * The physically contiguous run of pinned pages of @area at @index, ending
 * at @last at the latest: its length, and its first PFN in *@pfn
 */
static unsigned long area_pfn_run(struct ioasid_area *area,
				  struct pfn_cursor *cur, unsigned long index,
				  unsigned long last, unsigned long *pfn)
{
	if (!area->small)
		return pfn_run(cur, index, last, pfn);
	*pfn = area->sp.pfn[index];
	return ioasid_pfn_run(&area->sp.pfn[index], last - index + 1);
}

/* Runs handed to one iommu_map_sg() call, so one IOTLB sync for them all */
#define AREA_MAP_SG_RUNS 128
/* Runs a list on the stack holds; more move to one of AREA_MAP_SG_RUNS */
#define AREA_MAP_STACK_RUNS 4
/* A scatterlist entry holds at most 4 GiB - 1; longer runs are split */
#define AREA_MAP_MAX_RUN (SZ_1G >> PAGE_SHIFT)

/* Map @nsg runs at @iova: 0 or an errno, with nothing left mapped */
static int area_map_sg(struct iommu_domain *domain, unsigned long iova,
		       struct scatterlist *sgl, unsigned int nsg,
		       unsigned long length, int prot)
{
	ssize_t mapped;

	if (ioasid_should_fail(IOASID_FAULT_MAP))
		return -ENOMEM;
	mapped = iommu_map_sg(domain, iova, sgl, nsg, prot);
	if (mapped < 0)
		return mapped;
	if (WARN_ON(mapped != length)) {
		if (mapped)
			domain_unmap(domain, iova, mapped);
		return -EINVAL;
	}
	atomic_long_add(nsg, &ioasid_stats.map_calls);
	return 0;
}

/*
 * A longer list holding the @n runs of the full list @old, with room for
 * the runs of @area from @index on, up to AREA_MAP_SG_RUNS in all: NULL
 * without memory
 */
static struct scatterlist *area_map_sg_grow(struct ioasid_area *area,
					    unsigned long index,
					    struct scatterlist *old,
					    unsigned int n, unsigned int *cap)
{
	unsigned long want = n + (area_last_index(area) - index + 1);
	struct scatterlist *sgl;
	unsigned int i;

	if (ioasid_should_fail(IOASID_FAULT_ALLOC))
		return NULL;
	want = min_t(unsigned long, AREA_MAP_SG_RUNS, want);
	sgl = kmalloc_array(want, sizeof(*sgl), GFP_KERNEL | __GFP_NOWARN);
	if (!sgl)
		return NULL;
	sg_init_table(sgl, want);
	for (i = 0; i != n; i++)
		sg_set_page(&sgl[i], sg_page(&old[i]), old[i].length,
			    old[i].offset);
	*cap = want;
	return sgl;
}

/*
 * Map the pinned pages of @area, small or full, into @domain.  Each
 * physically contiguous run is one map operation, which picks the largest
 * IOPTEs that fit, and up to AREA_MAP_SG_RUNS runs of an area with several
 * go in one iommu_map_sg() call, which syncs the IOTLB once for all of them
 * (a VT-d in caching mode or an AMD-Vi with NpCache flushes on every sync).
 * With large pages disabled for the IOAS every page is an iommu_map() call
 * of its own, so that mappings can later be cut anywhere (VFIO type1 v1)
 * and iommu_map_sg() would merge them.
 */
static int area_map(struct ioasid_area *area, struct iommu_domain *domain)
{
	struct pfn_cursor cur = { .pages = area->small ? NULL : area->pages };
	unsigned long iova = ioasid_area_iova(area);
	unsigned long last_iova = ioasid_area_last_iova(area);
	unsigned long index = area_first_index(area);
	unsigned long last = area_last_index(area);
	unsigned long offset = area->page_offset;
	bool large = !area->iopt->disable_large_pages;
	struct scatterlist stack_sgl[AREA_MAP_STACK_RUNS];
	unsigned long sg_iova = iova, sg_len = 0;
	struct scatterlist *sgl = NULL;
	unsigned int nsg = 0, cap = 0;
	bool grow_tried = false;
	int rc = 0;

	if (!area->small)
		lockdep_assert_held(&area->pages->mutex);

	for (;;) {
		unsigned long pfn, run, length;
		bool done;

		if (large)
			run = area_pfn_run(area, &cur, index,
					   min(last, index + AREA_MAP_MAX_RUN - 1),
					   &pfn);
		else
			run = area_pfn_run(area, &cur, index, index, &pfn);
		length = min(run * PAGE_SIZE - offset, last_iova - iova + 1);
		done = length > last_iova - iova;

		/*
		 * A list only when there is more than one run: small maps stay
		 * as cheap as one iommu_map().  The first runs go in a list on
		 * the stack, which grows into one sized by the pages left;
		 * without memory for that, the stack's is mapped each time it
		 * is full.
		 */
		if (large && !sgl && !done && iova == ioasid_area_iova(area)) {
			sgl = stack_sgl;
			cap = ARRAY_SIZE(stack_sgl);
			sg_init_table(sgl, cap);
		}

		if (sgl && nsg == cap) {
			struct scatterlist *grown = NULL;

			if (!grow_tried) {
				grow_tried = true;
				grown = area_map_sg_grow(area, index, sgl, nsg,
							 &cap);
			}
			if (grown) {
				sgl = grown;
			} else {
				rc = area_map_sg(domain, sg_iova, sgl, nsg,
						 sg_len, area->iommu_prot);
				if (rc) {
					iova = sg_iova;
					goto err_unmap;
				}
				sg_iova += sg_len;
				sg_len = 0;
				nsg = 0;
			}
		}

		if (sgl) {
			sg_set_page(&sgl[nsg++], pfn_to_page(pfn), length,
				    offset);
			sg_len += length;
			if (done) {
				rc = area_map_sg(domain, sg_iova, sgl, nsg,
						 sg_len, area->iommu_prot);
				if (rc) {
					iova = sg_iova;
					goto err_unmap;
				}
			}
		} else {
			rc = ioasid_should_fail(IOASID_FAULT_MAP) ? -ENOMEM :
			     iommu_map(domain, iova, PFN_PHYS(pfn) + offset,
				       length, area->iommu_prot);
			if (rc)
				goto err_unmap;
			atomic_long_inc(&ioasid_stats.map_calls);
		}
		if (done)
			break;
		iova += length;
		index += run;
		offset = 0;
		cond_resched();
	}
	if (sgl != stack_sgl)
		kfree(sgl);
	return 0;

err_unmap:
	if (sgl != stack_sgl)
		kfree(sgl);
	if (iova != ioasid_area_iova(area))
		domain_unmap(domain, ioasid_area_iova(area),
			     iova - ioasid_area_iova(area));
	return rc;
}

/**
 * ioasid_area_fill_domain() - map an area into one more domain
 * @area: a published area
 * @domain: the domain being added to the area's IOAS
 * @first: this is the IOAS's first domain, so the pages get pinned
 *
 * Return: 0 or an errno from pinning or mapping; nothing changes on failure.
 */
int ioasid_area_fill_domain(struct ioasid_area *area,
			    struct iommu_domain *domain, bool first)
{
	int rc = 0;

	area_lock(area);
	if (first)
		rc = area_add_domain_user(area);
	if (!rc) {
		rc = area_map(area, domain);
		if (rc && first)
			area_remove_domain_user(area);
	}
	area_unlock(area);
	return rc;
}

/**
 * ioasid_area_unfill_domain() - remove an area from one domain
 * @area: the area
 * @domain: the domain leaving the area's IOAS
 * @last: this was the IOAS's last domain, so the pages may get unpinned
 */
void ioasid_area_unfill_domain(struct ioasid_area *area,
			       struct iommu_domain *domain, bool last)
{
	area_lock(area);
	domain_unmap(domain, ioasid_area_iova(area), ioasid_area_length(area));
	if (last)
		area_remove_domain_user(area);
	area_unlock(area);
}

/**
 * ioasid_area_fill_domains() - pin a new area and map it into every domain
 * @area: an unpublished area
 * @iopt: its IOVA map, with domains_rwsem held
 *
 * Return: 0 or an errno from pinning or mapping; nothing changes on failure.
 */
int ioasid_area_fill_domains(struct ioasid_area *area,
			     struct ioasid_iopt *iopt)
{
	struct iommu_domain *domain, *failed;
	unsigned long index;
	int rc;

	lockdep_assert_held(&iopt->domains_rwsem);
	if (!iopt->ndomains)
		return 0;

	area_lock(area);
	rc = area_add_domain_user(area);
	if (rc)
		goto out_unlock;
	xa_for_each(&iopt->domains, index, domain) {
		rc = area_map(area, domain);
		if (rc) {
			failed = domain;
			goto err_unmap;
		}
	}
	goto out_unlock;

err_unmap:
	xa_for_each(&iopt->domains, index, domain) {
		if (domain == failed)
			break;
		domain_unmap(domain, ioasid_area_iova(area),
			     ioasid_area_length(area));
	}
	area_remove_domain_user(area);
out_unlock:
	area_unlock(area);
	return rc;
}

/**
 * ioasid_area_unfill_domains() - unmap an area from every domain and unpin
 * @area: an unpublished area
 * @iopt: its IOVA map, with domains_rwsem held
 */
void ioasid_area_unfill_domains(struct ioasid_area *area,
				struct ioasid_iopt *iopt)
{
	struct iommu_domain *domain;
	unsigned long index;

	lockdep_assert_held(&iopt->domains_rwsem);
	if (!iopt->ndomains)
		return;

	area_lock(area);
	xa_for_each(&iopt->domains, index, domain)
		domain_unmap(domain, ioasid_area_iova(area),
			     ioasid_area_length(area));
	area_remove_domain_user(area);
	area_unlock(area);
}

/*
 * Areas shorter than this share one IOTLB gather per domain in an unmap.
 * Unmapping one frees no page-table page (the smallest x86 IOMMU page
 * table spans 2 MiB), and that matters: Linux 6.1's VT-d puts the tables
 * an unmap frees on the gather's list before it decides whether to sync
 * the gather's earlier range first, and that sync frees the whole list,
 * so tables of the range being added would be freed before the IOMMU's
 * caches that point at them are invalidated.  A longer area gets a gather
 * and a sync of its own, after the pending short ones are synced.
 */
#define IOASID_UNMAP_SHARE_GATHER_BELOW SZ_2M

/**
 * ioasid_areas_unfill_domains() - unmap claimed areas from every domain
 * @claimed: unpublished areas, linked by next_claimed
 * @iopt: their IOVA map, with domains_rwsem held
 *
 * In each domain the short areas share one IOTLB gather, so many small
 * adjacent areas cost one IOTLB sync per domain instead of one per area
 * and domain.  The pages are unpinned only after every domain's IOTLB was
 * synced; small areas next to each other with the same pinner are
 * uncharged together.  Nobody else maps or unmaps these IOVAs meanwhile:
 * the areas are unpublished and domains come and go only with
 * domains_rwsem held for writing.
 */
void ioasid_areas_unfill_domains(struct ioasid_area *claimed,
				 struct ioasid_iopt *iopt)
{
	struct ioasid_pinner *pinner = NULL;
	struct iommu_iotlb_gather gather;
	unsigned long npinned = 0;
	struct iommu_domain *domain;
	struct ioasid_area *area;
	unsigned long index, length;
	bool pending;

	lockdep_assert_held(&iopt->domains_rwsem);
	if (!iopt->ndomains)
		return;

	xa_for_each(&iopt->domains, index, domain) {
		iommu_iotlb_gather_init(&gather);
		pending = false;
		for (area = claimed; area; area = area->next_claimed) {
			length = ioasid_area_length(area);
			if (length < IOASID_UNMAP_SHARE_GATHER_BELOW) {
				domain_unmap_gather(domain,
						    ioasid_area_iova(area),
						    length, &gather);
				pending = true;
			} else {
				if (pending) {
					iommu_iotlb_sync(domain, &gather);
					iommu_iotlb_gather_init(&gather);
					pending = false;
				}
				domain_unmap(domain, ioasid_area_iova(area),
					     length);
			}
			cond_resched();
		}
		if (pending)
			iommu_iotlb_sync(domain, &gather);
	}
	for (area = claimed; area; area = area->next_claimed) {
		if (!area->small) {
			mutex_lock(&area->pages->mutex);
			area_remove_domain_user(area);
			mutex_unlock(&area->pages->mutex);
			continue;
		}
		if (area->sp.pinner != pinner) {
			if (pinner)
				small_uncharge(pinner, npinned);
			pinner = area->sp.pinner;
			npinned = 0;
		}
		small_unpin_pages(area);
		npinned += area->sp.npages;
	}
	if (pinner)
		small_uncharge(pinner, npinned);
}

static struct ioasid_pages_pin *pages_find_pin(struct ioasid_pages *pages,
					       unsigned long first,
					       unsigned long last)
{
	struct interval_tree_node *node;

	for (node = interval_tree_iter_first(&pages->access_itree, first, first);
	     node; node = interval_tree_iter_next(node, first, first))
		if (node->start == first && node->last == last)
			return container_of(node, struct ioasid_pages_pin, node);
	return NULL;
}

/**
 * ioasid_area_pin_access() - pin page indexes [first, last] for an access
 * @area: a published area of the access's IOAS
 * @first: first page index in area->pages
 * @last: last page index
 * @out_pages: receives last - first + 1 pages
 *
 * Return: 0 or an errno from pinning.
 */
int ioasid_area_pin_access(struct ioasid_area *area, unsigned long first,
			   unsigned long last, struct page **out_pages)
{
	struct ioasid_pages *pages = area->pages;
	struct pfn_cursor cur = { .pages = pages };
	struct ioasid_pages_pin *pin;
	unsigned long index;
	int rc;

	mutex_lock(&pages->mutex);
	pin = pages_find_pin(pages, first, last);
	if (pin) {
		pin->users++;
	} else {
		pin = ioasid_kzalloc(sizeof(*pin), GFP_KERNEL_ACCOUNT);
		if (!pin) {
			rc = -ENOMEM;
			goto out_unlock;
		}
		rc = pages_pin_holes(pages, first, last);
		if (rc) {
			kfree(pin);
			goto out_unlock;
		}
		pin->node.start = first;
		pin->node.last = last;
		pin->users = 1;
		interval_tree_insert(&pin->node, &pages->access_itree);
	}
	for (index = first; index <= last; index++)
		*out_pages++ = pfn_to_page(pfn_get(&cur, index));
	area->num_accesses++;
	rc = 0;
out_unlock:
	mutex_unlock(&pages->mutex);
	return rc;
}

void ioasid_area_unpin_access(struct ioasid_area *area, unsigned long first,
			      unsigned long last)
{
	struct ioasid_pages *pages = area->pages;
	struct ioasid_pages_pin *pin;

	mutex_lock(&pages->mutex);
	pin = pages_find_pin(pages, first, last);
	/* The caller must unpin exactly what it pinned */
	if (WARN_ON(!pin) || WARN_ON(!area->num_accesses))
		goto out_unlock;
	if (!--pin->users) {
		interval_tree_remove(&pin->node, &pages->access_itree);
		pages_unpin_holes(pages, first, last);
		kfree(pin);
	}
	area->num_accesses--;
out_unlock:
	mutex_unlock(&pages->mutex);
}

static void rw_pinned(unsigned long pfn, unsigned long offset, void *data,
		      unsigned long length, bool write)
{
	void *va = kmap_local_page(pfn_to_page(pfn));

	if (write)
		memcpy(va + offset, data, length);
	else
		memcpy(data, va + offset, length);
	kunmap_local(va);
}

/* Touch a page nothing pins by pinning it briefly, from any context */
static int rw_remote(struct ioasid_pages *pages, unsigned long uaddr,
		     void *data, unsigned long length, bool write)
{
	struct mm_struct *mm = pages->pinner->mm;
	struct page *page;
	long got;

	if (ioasid_should_fail(IOASID_FAULT_PIN) || !mmget_not_zero(mm))
		return -EFAULT;
	mmap_read_lock(mm);
	got = pin_user_pages_remote(mm, uaddr & PAGE_MASK, 1,
				    write ? FOLL_WRITE : 0, &page, NULL, NULL);
	mmap_read_unlock(mm);
	mmput(mm);
	if (got != 1)
		return got < 0 ? got : -EFAULT;
	rw_pinned(page_to_pfn(page), uaddr % PAGE_SIZE, data, length, write);
	unpin_user_pages_dirty_lock(&page, 1, write);
	return 0;
}

/**
 * ioasid_pages_rw() - copy between a kernel buffer and the pages
 * @pages: the pages
 * @start_byte: offset from pages->uptr
 * @data: kernel buffer
 * @length: bytes, inside the pages
 * @flags: IOASID_ACCESS_RW_*
 *
 * Pinned pages are used directly, so the copy sees what DMA sees.  Other
 * pages are reached through the user mapping: directly from the owning
 * process, through a short pin from anywhere else.
 *
 * Return: 0 or -EFAULT.
 */
int ioasid_pages_rw(struct ioasid_pages *pages, unsigned long start_byte,
		    void *data, unsigned long length, unsigned int flags)
{
	bool write = flags & IOASID_ACCESS_RW_WRITE;
	struct pfn_cursor cur = { .pages = pages };
	unsigned long offset = start_byte % PAGE_SIZE;
	unsigned long index = start_byte / PAGE_SIZE;
	int rc = 0;

	mutex_lock(&pages->mutex);
	while (length) {
		unsigned long n = min(length, PAGE_SIZE - offset);
		unsigned long uaddr = pages->uptr + index * PAGE_SIZE + offset;

		if (pages_index_pinned(pages, index)) {
			rw_pinned(pfn_get(&cur, index), offset, data, n, write);
		} else if (!(flags & IOASID_ACCESS_RW_SLOW_PATH) &&
			   current->mm == pages->pinner->mm) {
			if (ioasid_should_fail(IOASID_FAULT_UACCESS))
				rc = -EFAULT;
			else if (write)
				rc = copy_to_user((void __user *)uaddr, data,
						  n) ? -EFAULT : 0;
			else
				rc = copy_from_user(data,
						    (void __user *)uaddr,
						    n) ? -EFAULT : 0;
		} else {
			rc = rw_remote(pages, uaddr, data, n, write);
		}
		if (rc)
			break;
		data += n;
		length -= n;
		offset = 0;
		index++;
	}
	mutex_unlock(&pages->mutex);
	return rc;
}
