/*
 * Kernel memory: the one physical allocator and the one heap, each behind
 * a spinlock. Free RAM comes from the UEFI memory map (kernel/bootinfo.c).
 */
#include "arch/cpu.h"
#include "kernel/bootinfo.h"
#include "kernel/errno.h"
#include "kernel/heap.h"
#include "kernel/log.h"
#include "kernel/mm.h"
#include "kernel/pmm.h"
#include "kernel/spinlock.h"

static struct pmm pmm;
static struct heap heap;
static spinlock_t pmm_lock = SPINLOCK_INIT;
static spinlock_t heap_lock = SPINLOCK_INIT;
static struct pmm_range ranges[BOOTINFO_MMAP_MAX];
static size_t nranges;

static void add_range(void *ctx, uint64_t base, uint64_t len)
{
	(void)ctx;
	if (nranges < ARRAY_SIZE(ranges))
		ranges[nranges++] = (struct pmm_range){ base, len };
}

/* Pages as they are; page_alloc*() zero what they hand out. */
static uint64_t take_pages(unsigned order, uint64_t limit)
{
	uint64_t f = spin_lock_irqsave(&pmm_lock);
	uint64_t p = pmm_alloc_below(&pmm, order, limit);

	spin_unlock_irqrestore(&pmm_lock, f);
	return p;
}

/* The heap initialises its own slabs and zeroes in heap_zalloc(), so its
 * pages need not be cleared twice. */
static void *heap_get(void *ctx, unsigned order)
{
	(void)ctx;
	return (void *)take_pages(order, PMM_NO_LIMIT);
}

static void heap_put(void *ctx, void *p, unsigned order)
{
	(void)ctx;
	page_free((uint64_t)p, order);
}

int mm_init(const struct bootinfo *bi)
{
	int err;

	bootinfo_free_ranges(bi, add_range, NULL);
	err = pmm_init(&pmm, ranges, nranges);
	if (err)
		return err;
	heap_init(&heap, heap_get, heap_put, NULL, rdtsc() * 0x9e3779b97f4a7c15ULL);
	pr_info("mm: %lu MiB free in %zu ranges (%lu KiB of allocator metadata)\n",
		pmm_free_pages(&pmm) * PAGE_SIZE / MiB, nranges,
		pmm.meta_pages * PAGE_SIZE / KiB);
	return 0;
}

uint64_t page_alloc_below(unsigned order, uint64_t limit)
{
	uint64_t p = take_pages(order, limit);

	if (p)
		memset((void *)p, 0, PMM_ORDER_SIZE(order));
	return p;
}

uint64_t page_alloc(unsigned order)
{
	return page_alloc_below(order, PMM_NO_LIMIT);
}

void page_free(uint64_t phys, unsigned order)
{
	uint64_t f = spin_lock_irqsave(&pmm_lock);
	int err = pmm_free(&pmm, phys, order);

	spin_unlock_irqrestore(&pmm_lock, f);
	if (err)
		pr_err("mm: bad page_free(0x%lx, %u): %s\n", phys, order, err_str(err));
}

void *kmalloc(size_t size)
{
	uint64_t f = spin_lock_irqsave(&heap_lock);
	void *p = heap_alloc(&heap, size);

	spin_unlock_irqrestore(&heap_lock, f);
	return p;
}

void *kzalloc(size_t size)
{
	uint64_t f = spin_lock_irqsave(&heap_lock);
	void *p = heap_zalloc(&heap, size);

	spin_unlock_irqrestore(&heap_lock, f);
	return p;
}

void kfree(void *p)
{
	uint64_t f = spin_lock_irqsave(&heap_lock);
	int err = heap_free(&heap, p);

	spin_unlock_irqrestore(&heap_lock, f);
	if (err)
		pr_err("mm: bad kfree(%p): %s\n", p, err_str(err));
}

void mm_get_stats(struct mm_stats *st)
{
	struct heap_stats hs;
	uint64_t f = spin_lock_irqsave(&pmm_lock);

	st->total_pages = pmm_total_pages(&pmm);
	st->free_pages = pmm_free_pages(&pmm);
	spin_unlock_irqrestore(&pmm_lock, f);
	f = spin_lock_irqsave(&heap_lock);
	heap_get_stats(&heap, &hs);
	spin_unlock_irqrestore(&heap_lock, f);
	st->heap_bytes = hs.bytes_in_use;
	st->heap_pages = hs.pages_held;
}

unsigned page_order_for(uint64_t bytes)
{
	int order = pmm_order_for_size(bytes ? bytes : 1);

	return order < 0 ? 0 : (unsigned)order;
}
