/*
 * Unit tests for the kernel heap (kernel/heap.c): size classes, alignment,
 * no overlap (fill patterns), reuse, large blocks, refused frees, failing and
 * misbehaving page providers, a random stress against a model, and the heap
 * running on top of the physical page allocator.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "tests/unit/test_rng.h"

#include "kernel/errno.h"
#include "kernel/heap.h"
#include "kernel/pmm.h"

#define COOKIE 0x0123456789abcdefULL
#define MAX_BLOCKS 4096

/* Page provider over the host allocator; checks that blocks come back
 * with the order they went out with. Returned blocks are kept until the
 * test ends, as a kernel's pages stay mapped after going back to the page
 * allocator, so that probing a stale pointer reads memory, not a hole. */
struct provider {
	void **returned;
	size_t nreturned;
	void *block[MAX_BLOCKS];
	unsigned order[MAX_BLOCKS];
	size_t nblocks;
	size_t pages_out;
	long fail_after;	/* refuse once this many blocks are out; -1: never */
	bool misalign;		/* hand out blocks 16 bytes off a page */
};

static void *prov_get(void *ctx, unsigned order)
{
	struct provider *pv = ctx;
	size_t bytes = PAGE_SIZE << order;
	char *p;

	if (pv->fail_after >= 0 && (long)pv->nblocks >= pv->fail_after)
		return NULL;
	assert_true(pv->nblocks < MAX_BLOCKS);
	p = aligned_alloc(PAGE_SIZE, bytes + PAGE_SIZE);
	assert_non_null(p);
	if (pv->misalign)
		p += 16;
	pv->block[pv->nblocks] = p;
	pv->order[pv->nblocks++] = order;
	pv->pages_out += (size_t)1 << order;
	return p;
}

static void prov_put(void *ctx, void *p, unsigned order)
{
	struct provider *pv = ctx;

	for (size_t i = 0; i < pv->nblocks; i++) {
		if (pv->block[i] != p)
			continue;
		assert_int_equal(pv->order[i], order);
		pv->returned = realloc(pv->returned,
				       (pv->nreturned + 1) * sizeof(void *));
		assert_non_null(pv->returned);
		pv->returned[pv->nreturned++] = (char *)p - (pv->misalign ? 16 : 0);
		pv->pages_out -= (size_t)1 << order;
		pv->block[i] = pv->block[--pv->nblocks];
		pv->order[i] = pv->order[pv->nblocks];
		return;
	}
	fail_msg("put_pages(%p) of a block never handed out", p);
}

static void prov_drain(struct provider *pv)
{
	for (size_t i = 0; i < pv->nreturned; i++)
		free(pv->returned[i]);
	free(pv->returned);
	pv->returned = NULL;
	pv->nreturned = 0;
}

static void setup(struct heap *h, struct provider *pv)
{
	memset(pv, 0, sizeof(*pv));
	pv->fail_after = -1;
	heap_init(h, prov_get, prov_put, pv, COOKIE);
}

static struct heap_stats stats(const struct heap *h)
{
	struct heap_stats st;

	heap_get_stats(h, &st);
	return st;
}

/* After everything is freed and trimmed, nothing may be left. */
static void check_empty(struct heap *h, struct provider *pv)
{
	heap_trim(h);
	assert_int_equal(stats(h).bytes_in_use, 0);
	assert_int_equal(stats(h).pages_held, 0);
	assert_int_equal(pv->pages_out, 0);
	assert_int_equal(pv->nblocks, 0);
	prov_drain(pv);
}

static void fill(void *p, size_t n, unsigned tag)
{
	uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(tag * 31 + i);
}

static bool filled(const void *p, size_t n, unsigned tag)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i] != (uint8_t)(tag * 31 + i))
			return false;
	return true;
}

static bool page_aligned(const void *p)
{
	return ((uintptr_t)p & (PAGE_SIZE - 1)) == 0;
}

/* ---------------------------------------------------------------- tests */

static void test_sizes_and_alignment(void **state)
{
	enum { N = 600 };
	struct heap h;
	struct provider pv;
	void *p[N];
	size_t size[N], expect = 0;

	setup(&h, &pv);
	for (unsigned i = 0; i < N; i++) {
		size[i] = 1 + (i * 37) % (3 * HEAP_SMALL_MAX);
		p[i] = heap_alloc(&h, size[i]);
		assert_non_null(p[i]);
		assert_int_equal((uintptr_t)p[i] % 16, 0);
		assert_true(heap_usable_size(&h, p[i]) >= size[i]);
		if (size[i] > HEAP_SMALL_MAX)
			assert_true(page_aligned(p[i]));
		else
			assert_false(page_aligned(p[i]));
		expect += heap_usable_size(&h, p[i]);
		fill(p[i], size[i], i);
	}
	assert_int_equal(stats(&h).bytes_in_use, expect);
	assert_int_equal(stats(&h).allocs, N);
	assert_int_equal(stats(&h).pages_held, pv.pages_out);
	for (unsigned i = 0; i < N; i++)
		assert_true(filled(p[i], size[i], i));
	for (unsigned i = 0; i < N; i++)
		assert_int_equal(heap_free(&h, p[i]), 0);
	assert_int_equal(stats(&h).frees, N);
	check_empty(&h, &pv);
}

/* Class boundaries: the usable size of every size is the smallest class or
 * block that holds it, and never wastefully large. */
static void test_class_boundaries(void **state)
{
	struct heap h;
	struct provider pv;

	setup(&h, &pv);
	for (size_t size = 1; size <= 3 * PAGE_SIZE; size++) {
		void *p = heap_alloc(&h, size);
		size_t u = heap_usable_size(&h, p);

		assert_true(u >= size);
		if (size <= 16)
			assert_int_equal(u, 16);
		else if (size <= HEAP_SMALL_MAX)
			assert_true(u < size + size / 2 + 16);
		else
			assert_int_equal(u, size <= PAGE_SIZE ? PAGE_SIZE :
					    size <= 2 * PAGE_SIZE ? 2 * PAGE_SIZE :
					    4 * PAGE_SIZE);
		assert_int_equal(heap_free(&h, p), 0);
	}
	assert_int_equal(heap_usable_size(&h, NULL), 0);
	check_empty(&h, &pv);
}

/* Objects of all sizes in one address-sorted list must not overlap. */
static int cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;

	return x < y ? -1 : x > y;
}

static void test_no_overlap(void **state)
{
	enum { N = 2000 };
	struct heap h;
	struct provider pv;
	uintptr_t *sorted = malloc(N * 2 * sizeof(*sorted));
	void *p[N];

	assert_non_null(sorted);
	setup(&h, &pv);
	for (unsigned i = 0; i < N; i++) {
		size_t size = 1 + (i * 131) % (HEAP_SMALL_MAX + 600);

		p[i] = heap_alloc(&h, size);
		assert_non_null(p[i]);
		sorted[2 * i] = (uintptr_t)p[i];
		sorted[2 * i + 1] = heap_usable_size(&h, p[i]);
	}
	qsort(sorted, N, 2 * sizeof(*sorted), cmp_ptr);
	for (unsigned i = 1; i < N; i++)
		assert_true(sorted[2 * (i - 1)] + sorted[2 * (i - 1) + 1] <= sorted[2 * i]);
	for (unsigned i = 0; i < N; i++)
		assert_int_equal(heap_free(&h, p[i]), 0);
	check_empty(&h, &pv);
	free(sorted);
}

static void test_free_and_reuse(void **state)
{
	struct heap h;
	struct provider pv;
	void *p[32], *q;

	setup(&h, &pv);
	for (unsigned i = 0; i < 32; i++)
		p[i] = heap_alloc(&h, 64);
	assert_int_equal(stats(&h).pages_held, 1);
	assert_int_equal(heap_free(&h, p[7]), 0);
	q = heap_alloc(&h, 60);
	assert_ptr_equal(q, p[7]);
	assert_int_equal(stats(&h).pages_held, 1);
	for (unsigned i = 0; i < 32; i++)
		assert_int_equal(heap_free(&h, p[i]), 0);
	/* An emptied last slab is kept for the next allocation... */
	assert_int_equal(stats(&h).pages_held, 1);
	q = heap_alloc(&h, 64);
	assert_int_equal(stats(&h).pages_held, 1);
	assert_int_equal(heap_free(&h, q), 0);
	/* ...and released by trim. */
	check_empty(&h, &pv);
}

/* Several slabs of one class: emptied slabs beyond the last are returned. */
static void test_slab_release(void **state)
{
	enum { N = 3 * 126 };	/* three slabs of 32-byte objects */
	struct heap h;
	struct provider pv;
	void *p[N], *last;

	setup(&h, &pv);
	for (unsigned i = 0; i < N; i++)
		p[i] = heap_alloc(&h, 32);
	assert_int_equal(stats(&h).pages_held, 3);
	last = heap_alloc(&h, 32);		/* a fourth slab */
	assert_non_null(last);
	assert_int_equal(stats(&h).pages_held, 4);
	for (unsigned i = 0; i < N; i++)
		assert_int_equal(heap_free(&h, p[i]), 0);
	assert_int_equal(stats(&h).pages_held, 1);
	assert_int_equal(stats(&h).bytes_in_use, 32);
	heap_trim(&h);
	assert_int_equal(stats(&h).pages_held, 1);	/* still in use */
	assert_int_equal(pv.pages_out, 1);
	assert_int_equal(heap_free(&h, last), 0);
	check_empty(&h, &pv);
}

static void test_large(void **state)
{
	static const size_t sizes[] = {
		HEAP_SMALL_MAX + 1, PAGE_SIZE, PAGE_SIZE + 1, 3 * PAGE_SIZE,
		MiB, MiB + 1, 4 * MiB,
	};
	static const size_t usable[] = {
		PAGE_SIZE, PAGE_SIZE, 2 * PAGE_SIZE, 4 * PAGE_SIZE,
		MiB, 2 * MiB, 4 * MiB,
	};
	struct heap h;
	struct provider pv;
	void *p[ARRAY_SIZE(sizes)];

	setup(&h, &pv);
	for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++) {
		p[i] = heap_alloc(&h, sizes[i]);
		assert_non_null(p[i]);
		assert_true(page_aligned(p[i]));
		assert_int_equal(heap_usable_size(&h, p[i]), usable[i]);
		fill(p[i], usable[i], i);
	}
	for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++)
		assert_true(filled(p[i], usable[i], i));
	/* Too big: refused before asking the provider. */
	assert_null(heap_alloc(&h, GiB + 1));
	assert_null(heap_alloc(&h, SIZE_MAX));
	assert_null(heap_alloc(&h, 0));
	assert_int_equal(stats(&h).failed_allocs, 2);
	for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++)
		assert_int_equal(heap_free(&h, p[i]), 0);
	check_empty(&h, &pv);
}

static void test_bad_frees(void **state)
{
	struct heap h, other;
	struct provider pv, pv2;
	char *a, *b, *big, *foreign, *c128;
	struct heap_stats before;

	setup(&h, &pv);
	setup(&other, &pv2);
	other.cookie = ~COOKIE;
	a = heap_alloc(&h, 64);
	b = heap_alloc(&h, 64);
	big = heap_alloc(&h, 3 * PAGE_SIZE);
	memset(big, 0x77, 3 * PAGE_SIZE);
	c128 = heap_alloc(&h, 128);	/* 31 objects per slab, 64 bytes spare */
	foreign = aligned_alloc(PAGE_SIZE, PAGE_SIZE);
	memset(foreign, 0x5a, PAGE_SIZE);
	before = stats(&h);

	assert_int_equal(heap_free(&h, a + 16), -E_INVAL);	/* inside */
	assert_int_equal(heap_free(&h, a + 1), -E_INVAL);
	assert_int_equal(heap_free(&h, b + 64), -E_INVAL);	/* never allocated */
	assert_int_equal(heap_free(&h, (char *)ALIGN_DOWN((uintptr_t)a, PAGE_SIZE)),
			 -E_INVAL);					/* slab header */
	assert_int_equal(heap_free(&h, (char *)ALIGN_DOWN((uintptr_t)a, PAGE_SIZE) + 8),
			 -E_INVAL);
	assert_int_equal(heap_free(&h, big + PAGE_SIZE), -E_INVAL); /* inside large */
	assert_int_equal(heap_free(&h, big + 64), -E_INVAL);
	assert_int_equal(heap_free(&h, foreign), -E_INVAL);
	assert_int_equal(heap_free(&h, foreign + 64), -E_INVAL);
	assert_int_equal(heap_free(&other, a), -E_INVAL);	/* other heap */
	/* Where a 32nd object would be: the spare tail of the slab. */
	assert_int_equal(heap_free(&h, (char *)ALIGN_DOWN((uintptr_t)c128, PAGE_SIZE) +
				   64 + 31 * 128), -E_INVAL);
	assert_null(heap_realloc(&h, a + 16, 10));
	assert_int_equal(heap_usable_size(&h, big + 64), 0);
	assert_int_equal(stats(&h).bad_frees, 11);
	assert_int_equal(stats(&h).bytes_in_use, before.bytes_in_use);
	assert_int_equal(stats(&h).pages_held, before.pages_held);
	assert_int_equal(stats(&other).bad_frees, 1);

	/* Double frees. */
	assert_int_equal(heap_free(&h, a), 0);
	assert_int_equal(heap_free(&h, a), -E_INVAL);
	assert_int_equal(heap_free(&h, big), 0);
	assert_int_equal(heap_free(&h, big), -E_INVAL);
	assert_int_equal(heap_free(&h, NULL), 0);
	assert_int_equal(stats(&h).bad_frees, 13);
	assert_int_equal(heap_free(&h, c128), 0);
	/* b is intact and the heap still works. */
	assert_int_equal(heap_usable_size(&h, b), 64);
	assert_int_equal(heap_free(&h, b), 0);
	check_empty(&h, &pv);
	free(foreign);
}

/* A slab header copied into a large block (the data could come from a
 * guest) does not pass without the heap's secret cookie. */
static void test_forged_slab_header(void **state)
{
	struct heap h, twin;
	struct provider pv;
	char *small, *big, *slab, *twin_obj;

	setup(&h, &pv);
	small = heap_alloc(&h, 32);
	big = heap_alloc(&h, 2 * PAGE_SIZE);
	slab = (char *)ALIGN_DOWN((uintptr_t)small, PAGE_SIZE);
	/* Byte-for-byte copy of a real header, at a page of the large block;
	 * the check word is tied to the header's own address. */
	memcpy(big + PAGE_SIZE, slab, 64);
	assert_int_equal(heap_free(&h, big + PAGE_SIZE + 64), -E_INVAL);
	/* A header that is right for its address but made with another
	 * cookie (here by a twin heap) is refused too. */
	heap_init(&twin, prov_get, prov_put, &pv, COOKIE ^ 1);
	twin_obj = heap_alloc(&twin, 32);
	assert_int_equal(heap_free(&h, twin_obj), -E_INVAL);
	assert_int_equal(heap_free(&twin, twin_obj), 0);
	assert_int_equal(stats(&h).bad_frees, 2);
	assert_int_equal(heap_free(&h, small), 0);
	assert_int_equal(heap_free(&h, big), 0);
	heap_trim(&twin);
	check_empty(&h, &pv);
}

static void test_zalloc(void **state)
{
	struct heap h;
	struct provider pv;
	uint8_t *p, *q;

	setup(&h, &pv);
	p = heap_alloc(&h, 200);
	memset(p, 0xaa, 200);
	assert_int_equal(heap_free(&h, p), 0);
	q = heap_zalloc(&h, 200);
	assert_ptr_equal(q, p);		/* same object, reused */
	for (unsigned i = 0; i < 200; i++)
		assert_int_equal(q[i], 0);
	p = heap_alloc(&h, 3 * PAGE_SIZE);
	memset(p, 0xaa, 3 * PAGE_SIZE);
	assert_int_equal(heap_free(&h, p), 0);
	p = heap_zalloc(&h, 3 * PAGE_SIZE);
	for (unsigned i = 0; i < 3 * PAGE_SIZE; i++)
		assert_int_equal(p[i], 0);
	assert_null(heap_zalloc(&h, 0));
	assert_int_equal(heap_free(&h, p), 0);
	assert_int_equal(heap_free(&h, q), 0);
	check_empty(&h, &pv);
}

static void test_resize(void **state)
{
	struct heap h;
	struct provider pv;
	char *p, *q;

	setup(&h, &pv);
	p = heap_realloc(&h, NULL, 20);
	assert_non_null(p);
	fill(p, 20, 1);
	q = heap_realloc(&h, p, 30);		/* still fits its 32-byte object */
	assert_ptr_equal(q, p);
	q = heap_realloc(&h, p, 1000);		/* moves */
	assert_true(q != p);
	assert_true(filled(q, 20, 1));
	assert_int_equal(heap_usable_size(&h, p), 0);
	fill(q, 1000, 2);
	p = heap_realloc(&h, q, 10 * PAGE_SIZE);	/* to a large block */
	assert_true(page_aligned(p));
	assert_true(filled(p, 1000, 2));
	q = heap_realloc(&h, p, 100);		/* shrinking keeps the block */
	assert_ptr_equal(q, p);
	/* Failure leaves the old allocation alone. */
	assert_null(heap_realloc(&h, p, GiB + 1));
	assert_true(filled(p, 1000, 2));
	assert_int_equal(heap_usable_size(&h, p), 16 * PAGE_SIZE);
	assert_null(heap_realloc(&h, p, 0));	/* frees */
	assert_int_equal(stats(&h).bytes_in_use, 0);
	assert_int_equal(stats(&h).bad_frees, 0);
	check_empty(&h, &pv);
}

static void test_provider_failures(void **state)
{
	struct heap h;
	struct provider pv;
	void *p, *q;

	setup(&h, &pv);
	pv.fail_after = 0;
	assert_null(heap_alloc(&h, 16));
	assert_null(heap_alloc(&h, 5 * PAGE_SIZE));
	assert_int_equal(stats(&h).failed_allocs, 2);
	assert_int_equal(stats(&h).pages_held, 0);

	/* Room for the record's slab but not for the large block itself: the
	 * record is given back too. */
	pv.fail_after = 1;
	assert_null(heap_alloc(&h, 5 * PAGE_SIZE));
	assert_int_equal(stats(&h).pages_held, 1);	/* the emptied slab */
	assert_int_equal(stats(&h).bytes_in_use, 0);
	p = heap_alloc(&h, 32);		/* that slab still serves */
	assert_non_null(p);
	pv.fail_after = -1;
	q = heap_alloc(&h, 5 * PAGE_SIZE);
	assert_non_null(q);
	assert_int_equal(heap_free(&h, q), 0);
	assert_int_equal(heap_free(&h, p), 0);
	check_empty(&h, &pv);

	/* Misaligned blocks from the provider are handed back, not used. */
	pv.misalign = true;
	assert_null(heap_alloc(&h, 100));
	assert_null(heap_alloc(&h, 3 * PAGE_SIZE));
	assert_int_equal(pv.pages_out, 0);
	assert_int_equal(stats(&h).pages_held, 0);
	prov_drain(&pv);
}

struct obj {
	uint8_t *p;
	size_t size;
	unsigned tag;
};


static size_t random_size(uint64_t r)
{
	switch (r % 8) {
	case 0:
		return 1 + (r >> 8) % (8 * PAGE_SIZE);
	case 1:
	case 2:
		return 1 + (r >> 8) % HEAP_SMALL_MAX;
	default:
		return 1 + (r >> 8) % 128;
	}
}

/* One random alloc, realloc or free; returns 1 if it was a free. */
static int stress_step(struct heap *h, struct obj *o, size_t *n, size_t cap,
		       unsigned *tag)
{
	uint64_t r = rng();
	size_t i = *n ? (r >> 32) % *n : 0;

	if (*n < cap && (r % 3 == 0 || *n == 0)) {
		struct obj x = { .size = random_size(r >> 4), .tag = ++*tag };

		x.p = heap_alloc(h, x.size);
		assert_non_null(x.p);
		fill(x.p, x.size, x.tag);
		o[(*n)++] = x;
		return 0;
	}
	if (r % 3 == 1) {
		size_t size = random_size(r >> 4);

		assert_true(filled(o[i].p, o[i].size, o[i].tag));
		o[i].p = heap_realloc(h, o[i].p, size);
		assert_non_null(o[i].p);
		assert_true(filled(o[i].p, MIN(size, o[i].size), o[i].tag));
		o[i].size = size;
		o[i].tag = ++*tag;
		fill(o[i].p, size, o[i].tag);
		return 0;
	}
	assert_true(filled(o[i].p, o[i].size, o[i].tag));
	assert_int_equal(heap_free(h, o[i].p), 0);
	assert_int_equal(heap_free(h, o[i].p), -E_INVAL);
	o[i] = o[--*n];
	return 1;
}

static void test_stress(void **state)
{
	enum { CAP = 500, STEPS = 30000 };
	struct heap h;
	struct provider pv;
	struct obj *o = calloc(CAP, sizeof(*o));
	size_t n = 0, in_use, double_frees = 0;
	unsigned tag = 0;

	assert_non_null(o);
	setup(&h, &pv);
	rng_state = 0xdeadbeefcafef00dULL;
	for (int s = 0; s < STEPS; s++) {
		double_frees += stress_step(&h, o, &n, CAP, &tag);
		if (s % 1000 == 0) {
			in_use = 0;
			for (size_t i = 0; i < n; i++) {
				assert_true(filled(o[i].p, o[i].size, o[i].tag));
				in_use += heap_usable_size(&h, o[i].p);
			}
			assert_int_equal(stats(&h).bytes_in_use, in_use);
			assert_int_equal(stats(&h).pages_held, pv.pages_out);
		}
	}
	assert_true(double_frees > 1000);
	assert_int_equal(stats(&h).bad_frees, double_frees);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(heap_free(&h, o[i].p), 0);
	check_empty(&h, &pv);
	free(o);
}

/* The kernel's arrangement: heap pages come from the buddy allocator. */
static void *pmm_get(void *ctx, unsigned order)
{
	return (void *)(uintptr_t)pmm_alloc(ctx, order);
}

static void pmm_put(void *ctx, void *p, unsigned order)
{
	assert_int_equal(pmm_free(ctx, (uintptr_t)p, order), 0);
}

static void test_on_pmm(void **state)
{
	enum { N = 300 };
	struct pmm pmm;
	struct pmm_range r;
	struct heap h;
	void *mem = aligned_alloc(16 * MiB, 16 * MiB);
	void *p[N];
	uint64_t total;

	assert_non_null(mem);
	r = (struct pmm_range){ (uintptr_t)mem, 16 * MiB };
	assert_int_equal(pmm_init(&pmm, &r, 1), 0);
	total = pmm_total_pages(&pmm);
	heap_init(&h, pmm_get, pmm_put, &pmm, COOKIE);
	for (unsigned i = 0; i < N; i++) {
		p[i] = heap_alloc(&h, 1 + (i * 997) % (6 * PAGE_SIZE));
		assert_non_null(p[i]);
		memset(p[i], (int)i, heap_usable_size(&h, p[i]));
	}
	assert_int_equal(pmm_free_pages(&pmm), total - stats(&h).pages_held);
	for (unsigned i = 0; i < N; i++)
		assert_int_equal(heap_free(&h, p[i]), 0);
	heap_trim(&h);
	assert_int_equal(stats(&h).pages_held, 0);
	assert_int_equal(pmm_free_pages(&pmm), total);
	/* Out of physical memory: the heap says so instead of crashing. */
	assert_null(heap_alloc(&h, 32 * MiB));
	free(mem);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes_and_alignment),
		cmocka_unit_test(test_class_boundaries),
		cmocka_unit_test(test_no_overlap),
		cmocka_unit_test(test_free_and_reuse),
		cmocka_unit_test(test_slab_release),
		cmocka_unit_test(test_large),
		cmocka_unit_test(test_bad_frees),
		cmocka_unit_test(test_forged_slab_header),
		cmocka_unit_test(test_zalloc),
		cmocka_unit_test(test_resize),
		cmocka_unit_test(test_provider_failures),
		cmocka_unit_test(test_stress),
		cmocka_unit_test(test_on_pmm),
	};

	return cmocka_run_group_tests_name("heap", tests, NULL, NULL);
}
