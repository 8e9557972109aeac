/*
 * Physical page allocator: a binary buddy allocator over the usable RAM
 * ranges of the UEFI memory map. It owns every page it was given, hands out
 * naturally aligned blocks of 2^order pages (order 0 = 4 KiB up to
 * PMM_MAX_ORDER = 1 GiB) and takes them back, merging buddies.
 *
 * Keel identity-maps physical memory, so a physical address handed out here
 * is also a usable kernel pointer; the allocator itself relies on that to
 * reach its metadata and free-list links.
 *
 * Trust model. Allocated pages end up holding guest-controlled data (guest
 * RAM, buffers), so no decision the allocator makes depends on the contents
 * of a page. The state of every page (free block head, allocated block head,
 * inside a block, reserved) lives in a per-region array of one byte per page,
 * carved at init from the end of the region itself and never handed out.
 * Free-list links are kept inside free pages, but they are only a cache: each
 * link is checked against the state array before it is followed, and a list
 * that does not match is rebuilt from the state array (counted in
 * `corruptions`). So the worst a scribbled free page can cause is a slower
 * allocation, never a block handed out twice.
 *
 * Concurrency: no locking inside. The kernel wraps every call on a given
 * `struct pmm` in one spinlock.
 *
 * Zeroing: pages come back with whatever they held. Callers that hand pages
 * to a guest or build page tables in them must clear them first.
 */
#ifndef KEEL_PMM_H
#define KEEL_PMM_H

#include "kernel/klib.h"

#define PMM_MAX_ORDER 18			/* 2^18 pages = 1 GiB */
#define PMM_NR_ORDERS (PMM_MAX_ORDER + 1)
#define PMM_MAX_REGIONS 64			/* disjoint RAM regions kept */
#define PMM_NO_LIMIT UINT64_MAX			/* pmm_alloc_below(): anywhere */

/* Bytes in a block of the given order. */
#define PMM_ORDER_SIZE(order) (PAGE_SIZE << (order))

/* One usable RAM range as the caller found it: [base, base + size). It need
 * not be page aligned; partial pages at either end are not used. */
struct pmm_range {
	uint64_t base;
	uint64_t size;
};

/*
 * One contiguous run of managed pages. `meta` holds one state byte per page
 * of [base_pfn, base_pfn + npages); it sits in the last pages of the run,
 * which are marked reserved. Written by pmm_init() only.
 */
struct pmm_region {
	uint64_t base_pfn;
	uint64_t npages;
	uint8_t *meta;
};

/*
 * Allocator state. Callers read it through the accessors below; the fields
 * are public only so that the struct can be a static object (and so that
 * tests can find the metadata pages).
 */
struct pmm {
	struct pmm_region regions[PMM_MAX_REGIONS];	/* sorted by base_pfn */
	unsigned nregions;
	uint64_t free_head[PMM_NR_ORDERS];	/* pfn of first free block, 0 = none */
	uint64_t nfree[PMM_NR_ORDERS];		/* free blocks per order */
	uint64_t total_pages;	/* pages that can be allocated (excl. metadata, reserved) */
	uint64_t free_pages;
	uint64_t meta_pages;	/* pages used by the state arrays */
	uint64_t dropped_bytes;	/* RAM ignored because there were too many ranges */
	uint64_t corruptions;	/* free lists found inconsistent and rebuilt */
};

/*
 * Take over the given RAM ranges. Ranges may come in any order, be unaligned
 * or smaller than a page (ignored), and touch each other (merged). Page 0 is
 * never used. Overlapping ranges, a range that wraps around the address space
 * or a NULL array with n > 0 give -E_INVAL; no usable page at all gives
 * -E_NOMEM. If more than PMM_MAX_REGIONS disjoint ranges remain, the smallest
 * are left out (counted in dropped_bytes). On error the pmm is left empty.
 */
int pmm_init(struct pmm *p, const struct pmm_range *ranges, size_t n);

/* Allocate a block of 2^order pages aligned to its size. Returns its
 * physical address, or 0 if no such block is free or order is too large. */
uint64_t pmm_alloc(struct pmm *p, unsigned order);

/* As pmm_alloc(), but the whole block lies below `limit` (block end <=
 * limit), for hardware that needs low memory (e.g. 1 MiB for the AP
 * trampoline, 4 GiB for 32-bit DMA). Slower: it searches the free lists. */
uint64_t pmm_alloc_below(struct pmm *p, unsigned order, uint64_t limit);

/*
 * Give back a block obtained from pmm_alloc*() with the same order.
 * Returns 0, or without changing anything:
 *   -E_INVAL  order > PMM_MAX_ORDER, address not aligned to the block size,
 *             or the block was allocated with a different order;
 *   -E_FAULT  the address is not memory this allocator manages;
 *   -E_NOENT  no block was allocated there (double free, a page inside a
 *             block, a reserved or metadata page).
 */
int pmm_free(struct pmm *p, uint64_t phys, unsigned order);

/*
 * Take [base, base + size), rounded out to whole pages, away from the
 * allocator for good (e.g. the AP trampoline page). Every page must be
 * managed and currently free; otherwise nothing changes and the result is
 * -E_NOENT (not managed), -E_BUSY (allocated or already reserved) or -E_INVAL
 * (empty or wrapping range). Lowers both total and free page counts.
 */
int pmm_reserve(struct pmm *p, uint64_t base, uint64_t size);

/* Smallest order whose block holds `size` bytes; -E_RANGE if none does. */
int pmm_order_for_size(uint64_t size);

uint64_t pmm_total_pages(const struct pmm *p);
uint64_t pmm_free_pages(const struct pmm *p);
/* Free blocks of exactly this order (0 for an order out of range). */
uint64_t pmm_free_blocks(const struct pmm *p, unsigned order);

#endif
