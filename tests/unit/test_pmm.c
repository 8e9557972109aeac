/*
 * Unit tests for the physical page allocator (kernel/pmm.c). "Physical
 * memory" is an anonymous mapping whose addresses serve as physical
 * addresses; RAM ranges with holes are simulated inside it. A reference
 * model (one owner byte per page) checks that blocks never overlap, stay
 * aligned, stay inside usable RAM and are never written by the allocator
 * while allocated.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <cmocka.h>

#include "tests/unit/test_rng.h"

#include "kernel/errno.h"
#include "kernel/pmm.h"

#define NO_OWNER 0
#define TAG_WORD 0x5441474741424c4bULL

/* One simulated physical memory buffer. */
struct mem {
	void *map;
	size_t map_len;
	uint64_t base;		/* aligned start */
	size_t len;
	uint8_t *owner;		/* per page: 1 = allocated in the model */
};

static void mem_get(struct mem *m, size_t len, size_t align)
{
	m->map_len = len + align;
	m->map = mmap(NULL, m->map_len, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	assert_true(m->map != MAP_FAILED);
	m->base = ALIGN_UP((uint64_t)(uintptr_t)m->map, align);
	m->len = len;
	m->owner = calloc(len / PAGE_SIZE, 1);
	assert_non_null(m->owner);
}

static void mem_put(struct mem *m)
{
	munmap(m->map, m->map_len);
	free(m->owner);
}


/* Pages of a region that hold its state array (computed independently:
 * one byte per page, whole pages, at the end). */
static uint64_t region_meta_pages(const struct pmm_region *r)
{
	return (r->npages + PAGE_SIZE - 1) / PAGE_SIZE;
}

/* Is [phys, phys + 2^order pages) inside the allocatable part of one region? */
static bool in_usable(const struct pmm *p, uint64_t phys, unsigned order)
{
	uint64_t pfn = phys >> PAGE_SHIFT, n = 1ULL << order;

	for (unsigned i = 0; i < p->nregions; i++) {
		const struct pmm_region *r = &p->regions[i];
		uint64_t end = r->base_pfn + r->npages - region_meta_pages(r);

		if (pfn >= r->base_pfn && pfn + n <= end)
			return true;
	}
	return false;
}

/* Model bookkeeping for an allocated block; checks the invariants. */
static void model_take(struct mem *m, const struct pmm *p, uint64_t phys,
		       unsigned order)
{
	uint64_t n = 1ULL << order;

	assert_true(phys != 0);
	assert_int_equal(phys & (PMM_ORDER_SIZE(order) - 1), 0);
	assert_true(in_usable(p, phys, order));
	assert_true(phys >= m->base && phys + PMM_ORDER_SIZE(order) <= m->base + m->len);
	for (uint64_t i = 0; i < n; i++) {
		uint8_t *o = &m->owner[((phys - m->base) >> PAGE_SHIFT) + i];

		assert_int_equal(*o, NO_OWNER);
		*o = 1;
	}
	/* Tag first and last word: the allocator must not touch them. */
	((uint64_t *)(uintptr_t)phys)[0] = TAG_WORD ^ phys;
	((uint64_t *)(uintptr_t)(phys + PMM_ORDER_SIZE(order)))[-1] = TAG_WORD ^ order;
}

static void model_give(struct mem *m, uint64_t phys, unsigned order)
{
	uint64_t n = 1ULL << order;

	assert_int_equal(((uint64_t *)(uintptr_t)phys)[0], TAG_WORD ^ phys);
	assert_int_equal(((uint64_t *)(uintptr_t)(phys + PMM_ORDER_SIZE(order)))[-1],
			 TAG_WORD ^ order);
	for (uint64_t i = 0; i < n; i++)
		m->owner[((phys - m->base) >> PAGE_SHIFT) + i] = NO_OWNER;
}

/* Sum of free blocks per order must equal the free page counter. */
static void check_counts(const struct pmm *p)
{
	uint64_t sum = 0;

	for (unsigned k = 0; k <= PMM_MAX_ORDER; k++)
		sum += pmm_free_blocks(p, k) << k;
	assert_int_equal(sum, pmm_free_pages(p));
	assert_true(pmm_free_pages(p) <= pmm_total_pages(p));
}

/* Black-box check: exactly free_pages single pages can be taken, all valid
 * and distinct; then they go back. */
static void check_exhaust(struct mem *m, struct pmm *p)
{
	uint64_t nfree = pmm_free_pages(p), n = 0;
	uint64_t *got = malloc((nfree + 1) * sizeof(*got));
	uint64_t a;

	assert_non_null(got);
	while ((a = pmm_alloc(p, 0)) != 0) {
		assert_true(n < nfree);
		model_take(m, p, a, 0);
		got[n++] = a;
	}
	assert_int_equal(n, nfree);
	assert_int_equal(pmm_free_pages(p), 0);
	for (uint64_t i = 0; i < n; i++) {
		model_give(m, got[i], 0);
		assert_int_equal(pmm_free(p, got[i], 0), 0);
	}
	assert_int_equal(pmm_free_pages(p), nfree);
	free(got);
}

/* A scattered, unaligned layout with holes inside a 64 MiB buffer:
 *   [0x1000, 0xa0000)           159 pages, 1 meta  -> 158
 *   [0x100200, 0x1800000)       6143 pages (0x101000..0x1800000)... see below
 *   [0x1800000, 0x2000010)      touches the one before: merged
 *   [0x2400000, 0x4000000)      7168 pages, 2 meta -> 7166
 *   [0x3ff0000 + ...] none
 *   [0x2100010, 0x2100ff0)      less than a page: ignored
 * Merged [0x100200, 0x2000010) -> pages 0x101 .. 0x2000: 7935 pages, 2 meta
 * -> 7933. Total 158 + 7933 + 7166 = 15257. */
#define LAYOUT_PAGES 15257

static size_t layout(const struct mem *m, struct pmm_range *r)
{
	uint64_t b = m->base;
	size_t n = 0;

	r[n++] = (struct pmm_range){ b + 0x2400000, 0x1c00000 };
	r[n++] = (struct pmm_range){ b + 0x1800000, 0x800010 };
	r[n++] = (struct pmm_range){ b + 0x1000, 0x9f000 };
	r[n++] = (struct pmm_range){ b + 0x2100010, 0xfe0 };
	r[n++] = (struct pmm_range){ b + 0x100200, 0x1800000 - 0x100200 };
	return n;
}

static void setup_layout(struct mem *m, struct pmm *p)
{
	struct pmm_range r[8];

	mem_get(m, 64 * MiB, 64 * MiB);
	assert_int_equal(pmm_init(p, r, layout(m, r)), 0);
}

/* ---------------------------------------------------------------- tests */

static void test_init_scattered(void **state)
{
	struct mem m;
	struct pmm p;

	setup_layout(&m, &p);
	assert_int_equal(p.nregions, 3);
	assert_int_equal(pmm_total_pages(&p), LAYOUT_PAGES);
	assert_int_equal(pmm_free_pages(&p), LAYOUT_PAGES);
	assert_int_equal(p.meta_pages, 1 + 2 + 2);
	assert_int_equal(p.regions[0].base_pfn, (m.base + 0x1000) >> PAGE_SHIFT);
	assert_int_equal(p.regions[1].base_pfn, (m.base + 0x101000) >> PAGE_SHIFT);
	assert_int_equal(p.regions[1].npages, 7935);
	check_counts(&p);
	check_exhaust(&m, &p);
	mem_put(&m);
}

static void test_init_rejects_bad_ranges(void **state)
{
	struct mem m;
	struct pmm p;
	struct pmm_range overlap[2], wrap = { UINT64_MAX - 0x1000, 0x2000 };
	struct pmm_range exact_end = { UINT64_MAX - 0xfff, 0x1000 };

	mem_get(&m, 4 * MiB, 4 * MiB);
	overlap[0] = (struct pmm_range){ m.base, 2 * MiB };
	overlap[1] = (struct pmm_range){ m.base + 2 * MiB - PAGE_SIZE, MiB };
	assert_int_equal(pmm_init(&p, overlap, 2), -E_INVAL);
	assert_int_equal(pmm_total_pages(&p), 0);
	assert_int_equal(pmm_alloc(&p, 0), 0);
	/* The same range twice is an overlap too. */
	overlap[1] = overlap[0];
	assert_int_equal(pmm_init(&p, overlap, 2), -E_INVAL);
	assert_int_equal(pmm_init(&p, &wrap, 1), -E_INVAL);
	assert_int_equal(pmm_init(&p, &exact_end, 1), -E_INVAL);
	assert_int_equal(pmm_init(&p, NULL, 3), -E_INVAL);
	assert_int_equal(pmm_init(&p, NULL, 0), -E_NOMEM);
	assert_int_equal(pmm_alloc(&p, 0), 0);
	assert_int_equal(pmm_free(&p, m.base, 0), -E_FAULT);
	mem_put(&m);
}

static void test_init_ignores_unusable(void **state)
{
	struct mem m;
	struct pmm p;
	struct pmm_range r[5];

	mem_get(&m, 4 * MiB, 4 * MiB);
	/* Pages 0 and 1 (page 0 is never used, which leaves one page: no room
	 * for its own state array; used, it would crash this test), a sub-page
	 * sliver, one page, RAM above the 52-bit physical limit: nothing
	 * usable. */
	r[0] = (struct pmm_range){ 0, 2 * PAGE_SIZE };
	r[1] = (struct pmm_range){ m.base + 0x10, 0xff0 };
	r[2] = (struct pmm_range){ m.base + 2 * PAGE_SIZE, PAGE_SIZE };
	r[3] = (struct pmm_range){ 1ULL << 52, 16 * PAGE_SIZE };
	r[4] = (struct pmm_range){ m.base + MiB, 0 };
	assert_int_equal(pmm_init(&p, r, 5), -E_NOMEM);
	assert_int_equal(pmm_total_pages(&p), 0);
	/* Add real RAM: only it counts, 256 pages minus 1 state page. */
	r[4].size = MiB;
	assert_int_equal(pmm_init(&p, r, 5), 0);
	assert_int_equal(pmm_total_pages(&p), 255);
	assert_int_equal(p.nregions, 1);
	assert_int_equal(p.dropped_bytes, 16 * PAGE_SIZE);
	check_exhaust(&m, &p);
	mem_put(&m);
}

static void test_init_merges_touching(void **state)
{
	struct mem m;
	struct pmm p;
	struct pmm_range r[3];

	mem_get(&m, 4 * MiB, 4 * MiB);
	/* The last range bridges the first two, with unaligned joins: the
	 * pages straddling a join are whole once merged. */
	r[0] = (struct pmm_range){ m.base + PAGE_SIZE, MiB + 0x800 - PAGE_SIZE };
	r[1] = (struct pmm_range){ m.base + 2 * MiB + 0x800, MiB - 0x800 };
	r[2] = (struct pmm_range){ m.base + MiB + 0x800, MiB };
	assert_int_equal(pmm_init(&p, r, 3), 0);
	assert_int_equal(p.nregions, 1);
	assert_int_equal(p.regions[0].npages, 767);
	assert_int_equal(pmm_total_pages(&p), 766);
	check_exhaust(&m, &p);
	mem_put(&m);
}

static void test_init_too_many_ranges(void **state)
{
	enum { N = PMM_MAX_REGIONS + 6, STRIDE = 8 };
	struct mem m;
	struct pmm p;
	struct pmm_range r[N];

	mem_get(&m, N * STRIDE * PAGE_SIZE, PAGE_SIZE);
	/* Six small ranges at the top come first, then enough larger ones
	 * below them to overflow the table: the small ones are evicted. */
	for (unsigned i = 0; i < N; i++)
		r[i] = (struct pmm_range){ m.base + (N - 1 - i) * STRIDE * PAGE_SIZE,
					   (i < 6 ? 2 : 4) * PAGE_SIZE };
	assert_int_equal(pmm_init(&p, r, N), 0);
	assert_int_equal(p.nregions, PMM_MAX_REGIONS);
	assert_int_equal(pmm_total_pages(&p), PMM_MAX_REGIONS * 3);
	assert_int_equal(p.dropped_bytes, 6 * 2 * PAGE_SIZE);
	assert_int_equal(p.regions[PMM_MAX_REGIONS - 1].base_pfn,
			 (m.base >> PAGE_SHIFT) + (PMM_MAX_REGIONS - 1) * STRIDE);
	check_exhaust(&m, &p);

	/* The other way round: later small ranges are the ones left out. */
	for (unsigned i = 0; i < N; i++)
		r[i] = (struct pmm_range){ m.base + i * STRIDE * PAGE_SIZE,
					   (i >= PMM_MAX_REGIONS ? 2 : 4) * PAGE_SIZE };
	assert_int_equal(pmm_init(&p, r, N), 0);
	assert_int_equal(pmm_total_pages(&p), PMM_MAX_REGIONS * 3);
	assert_int_equal(p.regions[0].base_pfn, m.base >> PAGE_SHIFT);
	mem_put(&m);
}

/* For every order: allocate until none is left, then give all back; the
 * free lists must end up exactly as after init (full coalescing). */
static void test_exhaust_every_order(void **state)
{
	struct mem m;
	struct pmm p;
	uint64_t init_blocks[PMM_NR_ORDERS];
	uint64_t *got = malloc(LAYOUT_PAGES * sizeof(*got));

	assert_non_null(got);
	setup_layout(&m, &p);
	for (unsigned k = 0; k <= PMM_MAX_ORDER; k++)
		init_blocks[k] = pmm_free_blocks(&p, k);
	for (unsigned order = 0; order <= PMM_MAX_ORDER; order++) {
		uint64_t n = 0, a;

		while ((a = pmm_alloc(&p, order)) != 0) {
			model_take(&m, &p, a, order);
			got[n++] = a;
		}
		assert_int_equal(pmm_free_pages(&p), LAYOUT_PAGES - (n << order));
		for (unsigned k = order; k <= PMM_MAX_ORDER; k++)
			assert_int_equal(pmm_free_blocks(&p, k), 0);
		check_counts(&p);
		/* Free in a scrambled order to exercise merging both ways. */
		for (uint64_t i = 0; i < n; i++) {
			uint64_t j = (i * 7919) % n;
			uint64_t t = got[i];

			got[i] = got[j];
			got[j] = t;
		}
		for (uint64_t i = 0; i < n; i++) {
			model_give(&m, got[i], order);
			assert_int_equal(pmm_free(&p, got[i], order), 0);
		}
		assert_int_equal(pmm_free_pages(&p), LAYOUT_PAGES);
		for (unsigned k = 0; k <= PMM_MAX_ORDER; k++)
			assert_int_equal(pmm_free_blocks(&p, k), init_blocks[k]);
	}
	/* The largest block (8 MiB in this layout) can be had again. */
	assert_int_equal(init_blocks[12], 0);
	assert_true(init_blocks[11] > 0);
	assert_true(pmm_alloc(&p, 11) != 0);
	assert_int_equal(pmm_alloc(&p, 12), 0);
	free(got);
	mem_put(&m);
}

/* A real 1 GiB block: order PMM_MAX_ORDER, aligned to 1 GiB. */
static void test_max_order(void **state)
{
	struct mem m;
	struct pmm p;
	struct pmm_range r;
	uint64_t a;

	mem_get(&m, GiB + 8 * MiB, GiB);
	r = (struct pmm_range){ m.base, GiB + 8 * MiB };
	assert_int_equal(pmm_init(&p, &r, 1), 0);
	assert_int_equal(pmm_free_blocks(&p, PMM_MAX_ORDER), 1);
	assert_int_equal(pmm_alloc(&p, PMM_MAX_ORDER + 1), 0);
	a = pmm_alloc(&p, PMM_MAX_ORDER);
	assert_int_equal(a, m.base);
	assert_int_equal(a & (GiB - 1), 0);
	assert_int_equal(pmm_alloc(&p, PMM_MAX_ORDER), 0);
	/* 2 MiB blocks for guest RAM still come from what is left. */
	assert_true(pmm_alloc(&p, 9) >= m.base + GiB);
	assert_int_equal(pmm_free(&p, a, PMM_MAX_ORDER), 0);
	/* Splitting the 1 GiB block and merging it back. */
	a = pmm_alloc_below(&p, 0, m.base + GiB);
	assert_true(a != 0);
	assert_int_equal(pmm_free_blocks(&p, PMM_MAX_ORDER), 0);
	assert_int_equal(pmm_free(&p, a, 0), 0);
	assert_int_equal(pmm_free_blocks(&p, PMM_MAX_ORDER), 1);
	assert_int_equal(pmm_alloc(&p, PMM_MAX_ORDER), m.base);
	mem_put(&m);
}

static void test_bad_frees(void **state)
{
	struct mem m;
	struct pmm p;
	struct pmm_range r;
	uint64_t a, b, total, nfree;

	mem_get(&m, 4 * MiB, 4 * MiB);
	r = (struct pmm_range){ m.base + PAGE_SIZE, 4 * MiB - PAGE_SIZE };
	assert_int_equal(pmm_init(&p, &r, 1), 0);
	total = pmm_total_pages(&p);
	a = pmm_alloc(&p, 2);
	b = pmm_alloc(&p, 0);
	assert_true(a && b);
	nfree = pmm_free_pages(&p);

	assert_int_equal(pmm_free(&p, a, 1), -E_INVAL);		/* wrong order */
	assert_int_equal(pmm_free(&p, a, 3), -E_INVAL);		/* wrong order, misaligned */
	assert_int_equal(pmm_free(&p, a + PAGE_SIZE, 0), -E_NOENT); /* inside */
	assert_int_equal(pmm_free(&p, a + 8, 0), -E_INVAL);	/* misaligned */
	assert_int_equal(pmm_free(&p, a + 8, 2), -E_INVAL);	/* same page */
	assert_int_equal(pmm_free(&p, a, PMM_MAX_ORDER + 1), -E_INVAL);
	assert_int_equal(pmm_free(&p, 0, 0), -E_FAULT);		/* NULL */
	assert_int_equal(pmm_free(&p, m.base, 0), -E_FAULT);	/* not given */
	assert_int_equal(pmm_free(&p, m.base + 64 * MiB, 0), -E_FAULT);
	/* The state array page (last page of the region). */
	assert_int_equal(pmm_free(&p, m.base + 4 * MiB - PAGE_SIZE, 0), -E_NOENT);
	assert_int_equal(pmm_free_pages(&p), nfree);
	check_counts(&p);

	assert_int_equal(pmm_free(&p, a, 2), 0);
	assert_int_equal(pmm_free(&p, a, 2), -E_NOENT);		/* double free */
	assert_int_equal(pmm_free(&p, a, 0), -E_NOENT);
	assert_int_equal(pmm_free(&p, b, 0), 0);
	assert_int_equal(pmm_free(&p, b, 0), -E_NOENT);
	assert_int_equal(pmm_free_pages(&p), total);
	/* Free pages never allocated: also rejected. */
	assert_int_equal(pmm_free(&p, m.base + 2 * MiB, 9), -E_NOENT);
	assert_int_equal(pmm_free_pages(&p), total);
	check_counts(&p);
	check_exhaust(&m, &p);
	mem_put(&m);
}

static void test_alloc_below(void **state)
{
	struct mem m;
	struct pmm p;
	struct pmm_range r[2];
	uint64_t low_end, a, n = 0, got[160];

	mem_get(&m, 16 * MiB, 16 * MiB);
	/* "Low memory": pages 1..0x9f, state array in page 0x9f. */
	r[0] = (struct pmm_range){ m.base + 0x1000, 0x9f000 };
	r[1] = (struct pmm_range){ m.base + 4 * MiB, 12 * MiB };
	assert_int_equal(pmm_init(&p, r, 2), 0);
	low_end = m.base + 0xa0000;

	assert_int_equal(pmm_alloc_below(&p, 0, m.base + 0x1000), 0);
	assert_int_equal(pmm_alloc_below(&p, 0, m.base + 0x1fff), 0);
	/* Limit equal to a block's end is allowed. */
	a = pmm_alloc_below(&p, 0, m.base + 0x2000);
	assert_int_equal(a, m.base + 0x1000);
	assert_int_equal(pmm_free(&p, a, 0), 0);
	/* No 512 KiB (order 7) aligned block ends below 0xa0000. */
	assert_int_equal(pmm_alloc_below(&p, 7, low_end), 0);
	assert_true(pmm_alloc(&p, 7) != 0);

	while ((a = pmm_alloc_below(&p, 0, low_end)) != 0) {
		assert_true(n < ARRAY_SIZE(got));
		model_take(&m, &p, a, 0);
		assert_true(a + PAGE_SIZE <= low_end);
		got[n++] = a;
	}
	assert_int_equal(n, 0x9e);
	/* High memory is still there for unconstrained requests. */
	a = pmm_alloc(&p, 0);
	assert_true(a >= m.base + 4 * MiB);
	assert_int_equal(pmm_free(&p, a, 0), 0);
	for (uint64_t i = 0; i < n; i++) {
		model_give(&m, got[i], 0);
		assert_int_equal(pmm_free(&p, got[i], 0), 0);
	}
	/* Everything merged back: the 256 KiB block at 0x40000 fits. */
	a = pmm_alloc_below(&p, 6, low_end);
	assert_int_equal(a, m.base + 0x40000);
	assert_int_equal(pmm_alloc_below(&p, PMM_MAX_ORDER + 1, PMM_NO_LIMIT), 0);
	mem_put(&m);
}

static void test_reserve(void **state)
{
	struct mem m;
	struct pmm p;
	struct pmm_range r[2];
	uint64_t total, mid, a;

	mem_get(&m, 8 * MiB, 8 * MiB);
	r[0] = (struct pmm_range){ m.base + PAGE_SIZE, 4 * MiB - PAGE_SIZE };
	r[1] = (struct pmm_range){ m.base + 5 * MiB, 3 * MiB };
	assert_int_equal(pmm_init(&p, r, 2), 0);
	total = pmm_total_pages(&p);
	mid = m.base + 2 * MiB + 8 * PAGE_SIZE;

	/* One page in the middle of a big free block. */
	assert_int_equal(pmm_reserve(&p, mid, PAGE_SIZE), 0);
	assert_int_equal(pmm_total_pages(&p), total - 1);
	assert_int_equal(pmm_free_pages(&p), total - 1);
	check_counts(&p);
	assert_int_equal(pmm_reserve(&p, mid, 1), -E_BUSY);
	assert_int_equal(pmm_free(&p, mid, 0), -E_NOENT);

	/* Unaligned: [x + 0x800, x + 0x1800) covers two pages. */
	assert_int_equal(pmm_reserve(&p, m.base + 3 * MiB + 0x800, 0x1000), 0);
	assert_int_equal(pmm_total_pages(&p), total - 3);

	/* Allocated pages, unmanaged pages, a range running into the hole,
	 * empty and wrapping ranges: refused without any change. */
	a = pmm_alloc(&p, 0);
	assert_int_equal(pmm_reserve(&p, a, PAGE_SIZE), -E_BUSY);
	assert_int_equal(pmm_reserve(&p, m.base, PAGE_SIZE), -E_NOENT);
	assert_int_equal(pmm_reserve(&p, m.base + 5 * MiB - 2 * PAGE_SIZE,
				     4 * PAGE_SIZE), -E_NOENT);
	/* The region's state array page is not free either. */
	assert_int_equal(pmm_reserve(&p, m.base + 4 * MiB - 2 * PAGE_SIZE,
				     2 * PAGE_SIZE), -E_BUSY);
	assert_int_equal(pmm_reserve(&p, m.base + MiB, 0), -E_INVAL);
	assert_int_equal(pmm_reserve(&p, UINT64_MAX - 10, 100), -E_INVAL);
	/* Includes the reserved page: busy, and the free part before it
	 * is left alone. */
	assert_int_equal(pmm_reserve(&p, mid - 4 * PAGE_SIZE, 8 * PAGE_SIZE), -E_BUSY);
	assert_int_equal(pmm_total_pages(&p), total - 3);
	assert_int_equal(pmm_free(&p, a, 0), 0);
	assert_int_equal(pmm_free_pages(&p), total - 3);
	check_counts(&p);

	/* A big range spanning several blocks, and the end of the region. */
	assert_int_equal(pmm_reserve(&p, m.base + 5 * MiB, MiB + 0x10), 0);
	assert_int_equal(pmm_total_pages(&p), total - 3 - 257);

	/* Reserved pages are never handed out. */
	memset(m.owner + ((mid - m.base) >> PAGE_SHIFT), 1, 1);
	memset(m.owner + ((3 * MiB) >> PAGE_SHIFT), 1, 2);
	memset(m.owner + ((5 * MiB) >> PAGE_SHIFT), 1, 257);
	check_exhaust(&m, &p);
	mem_put(&m);
}

static void test_order_for_size(void **state)
{
	assert_int_equal(pmm_order_for_size(0), 0);
	assert_int_equal(pmm_order_for_size(1), 0);
	assert_int_equal(pmm_order_for_size(PAGE_SIZE), 0);
	assert_int_equal(pmm_order_for_size(PAGE_SIZE + 1), 1);
	assert_int_equal(pmm_order_for_size(2 * MiB), 9);
	assert_int_equal(pmm_order_for_size(GiB), PMM_MAX_ORDER);
	assert_int_equal(pmm_order_for_size(GiB + 1), -E_RANGE);
	assert_int_equal(pmm_order_for_size(UINT64_MAX), -E_RANGE);
}

struct live {
	uint64_t phys;
	unsigned order;
};

/* One random step of the stress test against the model. */
static void stress_step(struct mem *m, struct pmm *p, struct live *live,
			size_t *nlive, size_t cap, uint64_t *used)
{
	uint64_t r = rng();

	if (*nlive < cap && (r % 3 != 0 || *nlive == 0)) {
		unsigned order = (unsigned)((r >> 8) % 11);
		uint64_t limit = (r >> 16) % 4 ? PMM_NO_LIMIT :
				 m->base + ((r >> 20) % m->len);
		uint64_t a = pmm_alloc_below(p, order, limit);

		if (!a)
			return;
		assert_true(a + PMM_ORDER_SIZE(order) <= limit);
		model_take(m, p, a, order);
		live[(*nlive)++] = (struct live){ a, order };
		*used += 1ULL << order;
	} else {
		size_t i = (r >> 8) % *nlive;
		struct live l = live[i];

		if (l.order > 0)
			assert_int_equal(pmm_free(p, l.phys, l.order - 1), -E_INVAL);
		model_give(m, l.phys, l.order);
		assert_int_equal(pmm_free(p, l.phys, l.order), 0);
		assert_int_equal(pmm_free(p, l.phys, l.order), -E_NOENT);
		live[i] = live[--(*nlive)];
		*used -= 1ULL << l.order;
	}
	assert_int_equal(pmm_free_pages(p), pmm_total_pages(p) - *used);
}

static void free_all(struct mem *m, struct pmm *p, struct live *live, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		model_give(m, live[i].phys, live[i].order);
		assert_int_equal(pmm_free(p, live[i].phys, live[i].order), 0);
	}
}

static void test_stress(void **state)
{
	enum { CAP = 600, STEPS = 20000 };
	struct mem m;
	struct pmm p;
	struct live *live = calloc(CAP, sizeof(*live));
	uint64_t init_blocks[PMM_NR_ORDERS], used = 0;
	size_t nlive = 0;

	assert_non_null(live);
	setup_layout(&m, &p);
	for (unsigned k = 0; k <= PMM_MAX_ORDER; k++)
		init_blocks[k] = pmm_free_blocks(&p, k);
	rng_state = 0x9e3779b97f4a7c15ULL;
	for (int i = 0; i < STEPS; i++)
		stress_step(&m, &p, live, &nlive, CAP, &used);
	check_counts(&p);
	free_all(&m, &p, live, nlive);
	assert_int_equal(pmm_free_pages(&p), LAYOUT_PAGES);
	for (unsigned k = 0; k <= PMM_MAX_ORDER; k++)
		assert_int_equal(pmm_free_blocks(&p, k), init_blocks[k]);
	assert_int_equal(p.corruptions, 0);
	free(live);
	mem_put(&m);
}

/* Fill every free page (not allocated, not a state array) with forged
 * links: pfns of live blocks, of themselves, of state pages, or noise. */
static void scribble_free_pages(struct mem *m, const struct pmm *p,
				const struct live *live, size_t nlive)
{
	for (unsigned i = 0; i < p->nregions; i++) {
		const struct pmm_region *r = &p->regions[i];
		uint64_t end = r->base_pfn + r->npages - region_meta_pages(r);

		for (uint64_t pfn = r->base_pfn; pfn < end; pfn++) {
			uint64_t *w = (uint64_t *)(uintptr_t)(pfn << PAGE_SHIFT);

			if (m->owner[((pfn << PAGE_SHIFT) - m->base) >> PAGE_SHIFT])
				continue;
			for (unsigned j = 0; j < 4; j++) {
				uint64_t x = rng();

				w[j] = x % 4 == 0 ? live[x % nlive].phys >> PAGE_SHIFT :
				       x % 4 == 1 ? pfn :
				       x % 4 == 2 ? end : x;
			}
		}
	}
}

/* Garbage written into free pages (e.g. by a guest through a stale
 * mapping) must never make the allocator hand out a live block. */
static void test_hostile_free_pages(void **state)
{
	enum { CAP = 600 };
	struct mem m;
	struct pmm p;
	struct live *live = calloc(CAP, sizeof(*live));
	uint64_t used = 0;
	size_t nlive = 0;

	assert_non_null(live);
	setup_layout(&m, &p);
	rng_state = 12345;
	for (int round = 0; round < 20; round++) {
		for (int i = 0; i < 500; i++)
			stress_step(&m, &p, live, &nlive, CAP, &used);
		if (nlive)
			scribble_free_pages(&m, &p, live, nlive);
	}
	assert_true(p.corruptions > 0);
	check_counts(&p);
	free_all(&m, &p, live, nlive);
	assert_int_equal(pmm_free_pages(&p), LAYOUT_PAGES);
	scribble_free_pages(&m, &p, live, 1);
	check_exhaust(&m, &p);
	free(live);
	mem_put(&m);
}

/* Mirrors the free-list link kept at the start of a free block in
 * kernel/pmm.c, so that this test can forge one precisely. */
struct fake_link {
	uint64_t next;
	uint64_t prev;
};

static struct fake_link *fake_link(uint64_t phys)
{
	return (struct fake_link *)(uintptr_t)phys;
}

/*
 * Precise forgeries, as a guest owning one block and writing through a stale
 * mapping into free ones could make them: a free block linking to a live
 * block that links back, a truncated list, a self-linked block.
 */
static void test_forged_links(void **state)
{
	struct mem m;
	struct pmm p;
	struct pmm_range r;
	uint64_t f1, f2, live, x, y;

	mem_get(&m, 4 * MiB, 4 * MiB);
	r = (struct pmm_range){ m.base + PAGE_SIZE, 4 * MiB - PAGE_SIZE };
	assert_int_equal(pmm_init(&p, &r, 1), 0);
	while (pmm_alloc(&p, 0))
		;
	f1 = m.base + 0x300000;
	f2 = m.base + 0x302000;		/* not f1's buddy: no merging */
	live = m.base + 0x100000;
	assert_int_equal(pmm_free(&p, f1, 0), 0);
	assert_int_equal(pmm_free(&p, f2, 0), 0);	/* list: f2, f1 */

	/* f2 -> live <- f2: live must not be taken for a free page. */
	fake_link(f2)->next = live >> PAGE_SHIFT;
	fake_link(live)->prev = f2 >> PAGE_SHIFT;
	assert_int_equal(pmm_alloc_below(&p, 0, m.base + 2 * MiB), 0);
	assert_int_equal(p.corruptions, 1);
	assert_int_equal(pmm_free_pages(&p), 2);
	check_counts(&p);

	/* Truncated list: f1 is only found because the walk counts. */
	fake_link(f2)->next = 0;
	assert_int_equal(pmm_alloc_below(&p, 0, f1 + PAGE_SIZE), f1);
	assert_int_equal(p.corruptions, 2);
	assert_int_equal(pmm_alloc(&p, 0), f2);
	assert_int_equal(pmm_alloc(&p, 0), 0);

	/* A self-linked block taken off the list while merging. */
	x = m.base + 0x200000;
	y = x + PAGE_SIZE;
	assert_int_equal(pmm_free(&p, x, 0), 0);
	fake_link(x)->next = fake_link(x)->prev = x >> PAGE_SHIFT;
	assert_int_equal(pmm_free(&p, y, 0), 0);
	assert_int_equal(p.corruptions, 3);
	assert_int_equal(pmm_free_blocks(&p, 0), 0);
	assert_int_equal(pmm_free_blocks(&p, 1), 1);
	assert_int_equal(pmm_alloc(&p, 0), x);
	assert_int_equal(pmm_alloc(&p, 0), y);
	assert_int_equal(pmm_alloc(&p, 0), 0);
	mem_put(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_scattered),
		cmocka_unit_test(test_init_rejects_bad_ranges),
		cmocka_unit_test(test_init_ignores_unusable),
		cmocka_unit_test(test_init_merges_touching),
		cmocka_unit_test(test_init_too_many_ranges),
		cmocka_unit_test(test_exhaust_every_order),
		cmocka_unit_test(test_max_order),
		cmocka_unit_test(test_bad_frees),
		cmocka_unit_test(test_alloc_below),
		cmocka_unit_test(test_reserve),
		cmocka_unit_test(test_order_for_size),
		cmocka_unit_test(test_stress),
		cmocka_unit_test(test_hostile_free_pages),
		cmocka_unit_test(test_forged_links),
	};

	return cmocka_run_group_tests_name("pmm", tests, NULL, NULL);
}
