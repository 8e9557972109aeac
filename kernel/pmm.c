/*
 * Physical page allocator: a binary buddy allocator (see kernel/pmm.h for
 * the contract and the trust model).
 *
 * Layout of one region, [base_pfn, base_pfn + npages):
 *
 *   base_pfn                                      base_pfn + npages
 *   | buddy blocks handed out and taken back ...  | state array |
 *
 * The state array has one byte per page of the whole region, itself
 * included. Blocks are aligned to their size in *physical* addresses (not
 * relative to the region), so a 2 MiB block can back a large EPT page and the
 * buddy of the block at pfn of a given order is simply pfn ^ 2^order.
 */
#include "kernel/pmm.h"
#include "kernel/errno.h"

/*
 * Page state byte: the kind in the top two bits, the block order in the low
 * five. Only the first page of a block (its head) says FREE or USED and
 * carries the order; every other page of the block is TAIL. RESERVED pages
 * (state arrays, pmm_reserve()) belong to no block and are never handed out.
 */
#define META_KIND_MASK	0xc0u
#define META_ORDER_MASK	0x1fu
#define META_TAIL	0x00u
#define META_FREE	0x40u
#define META_USED	0x80u
#define META_RESERVED	0xc0u

_Static_assert(PMM_MAX_ORDER <= META_ORDER_MASK, "order must fit the state byte");

/* Above the largest MAXPHYADDR x86-64 allows (52 bits, Intel SDM Vol. 3A,
 * chapter 4) there is no RAM; ignoring it keeps all pfn arithmetic far from
 * overflow. */
#define PHYS_ADDR_LIMIT (1ULL << 52)

/* Free-list link in the first bytes of a free block; pfns, 0 = none. */
struct pmm_link {
	uint64_t next;
	uint64_t prev;
};

/* A byte range during init, before it is rounded to pages. */
struct span {
	uint64_t start;
	uint64_t end;
};

/* The block that contains a page, as read from the state array. */
struct block {
	uint64_t head;
	unsigned kind;
	unsigned order;
};

static uint64_t order_pages(unsigned order)
{
	return 1ULL << order;
}

static uint8_t meta_make(unsigned kind, unsigned order)
{
	return (uint8_t)(kind | order);
}

/* Identity mapping: the free block's physical address is its pointer. */
static struct pmm_link *link_of(uint64_t pfn)
{
	return (struct pmm_link *)(uintptr_t)(pfn << PAGE_SHIFT);
}

static bool region_has(const struct pmm_region *r, uint64_t pfn)
{
	return pfn >= r->base_pfn && pfn - r->base_pfn < r->npages;
}

static uint8_t *meta_at(struct pmm_region *r, uint64_t pfn)
{
	return &r->meta[pfn - r->base_pfn];
}

/* Binary search over the sorted regions; NULL if pfn is not managed. */
static struct pmm_region *region_of(struct pmm *p, uint64_t pfn)
{
	unsigned lo = 0, hi = p->nregions;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		struct pmm_region *r = &p->regions[mid];

		if (region_has(r, pfn))
			return r;
		if (pfn < r->base_pfn)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* The only test that lets the allocator touch a page through a link. */
static bool is_free_head(struct pmm *p, uint64_t pfn, unsigned order)
{
	struct pmm_region *r = region_of(p, pfn);

	return r && *meta_at(r, pfn) == meta_make(META_FREE, order);
}

/* ---------------------------------------------------------- free lists */

static void list_push(struct pmm *p, unsigned order, uint64_t pfn)
{
	struct pmm_link *l = link_of(pfn);
	uint64_t head = p->free_head[order];

	l->next = head;
	l->prev = 0;
	if (head)
		link_of(head)->prev = pfn;
	p->free_head[order] = pfn;
	p->nfree[order]++;
}

/*
 * The links in free pages did not match the state array: something wrote
 * into a free page. Rebuild the list from the state array, which is the
 * truth, leaving out `skip` (a block the caller is taking off the list).
 */
static void list_rebuild(struct pmm *p, unsigned order, uint64_t skip)
{
	uint8_t want = meta_make(META_FREE, order);

	p->corruptions++;
	p->free_head[order] = 0;
	p->nfree[order] = 0;
	for (unsigned i = 0; i < p->nregions; i++) {
		struct pmm_region *r = &p->regions[i];

		for (uint64_t j = 0; j < r->npages; j++)
			if (r->meta[j] == want && r->base_pfn + j != skip)
				list_push(p, order, r->base_pfn + j);
	}
}

/* Do pfn's saved neighbours really point back at it? */
static bool links_ok(struct pmm *p, unsigned order, uint64_t pfn,
		     uint64_t prev, uint64_t next)
{
	if (prev == pfn || next == pfn)
		return false;
	if (prev == 0 && p->free_head[order] != pfn)
		return false;
	if (prev != 0 && (!is_free_head(p, prev, order) ||
			  link_of(prev)->next != pfn))
		return false;
	return next == 0 ||
	       (is_free_head(p, next, order) && link_of(next)->prev == pfn);
}

/* Unlink a block whose state byte still says FREE at this order. */
static void list_remove(struct pmm *p, unsigned order, uint64_t pfn)
{
	const struct pmm_link *l = link_of(pfn);
	uint64_t next = l->next, prev = l->prev;

	if (!links_ok(p, order, pfn, prev, next)) {
		list_rebuild(p, order, pfn);
		return;
	}
	if (prev)
		link_of(prev)->next = next;
	else
		p->free_head[order] = next;
	if (next)
		link_of(next)->prev = prev;
	p->nfree[order]--;
}

/* Does the first 2^want pages of the block at pfn end at or below limit? */
static bool fits_below(uint64_t pfn, unsigned want, uint64_t limit)
{
	return ((pfn + order_pages(want)) << PAGE_SHIFT) <= limit;
}

/*
 * Walk list `order` for a block whose low part of order `want` fits below
 * limit. Every node is checked against the state array before its link is
 * read, and the walk is bounded by the block count, so forged links cannot
 * send it elsewhere or round in circles. -E_FAULT: the list is inconsistent.
 */
static int list_find(struct pmm *p, unsigned order, unsigned want,
		     uint64_t limit, uint64_t *out)
{
	uint64_t pfn = p->free_head[order], prev = 0, seen = 0;

	while (pfn) {
		if (seen++ == p->nfree[order] || !is_free_head(p, pfn, order) ||
		    link_of(pfn)->prev != prev)
			return -E_FAULT;
		if (fits_below(pfn, want, limit)) {
			*out = pfn;
			return 0;
		}
		prev = pfn;
		pfn = link_of(pfn)->next;
	}
	return seen == p->nfree[order] ? -E_NOMEM : -E_FAULT;
}

/* A free block of this order suitable for the request, or 0. */
static uint64_t find_block(struct pmm *p, unsigned order, unsigned want,
			   uint64_t limit)
{
	uint64_t pfn = 0;
	int err = list_find(p, order, want, limit, &pfn);

	if (err == -E_FAULT) {
		list_rebuild(p, order, 0);
		err = list_find(p, order, want, limit, &pfn);
	}
	return err ? 0 : pfn;
}

/* ----------------------------------------------------- blocks and spans */

/* Largest block order that starts at pfn and fits in npages pages. */
static unsigned max_order_at(uint64_t pfn, uint64_t npages)
{
	unsigned order = PMM_MAX_ORDER;

	if (pfn)
		order = MIN((unsigned)__builtin_ctzll(pfn), order);
	while (order_pages(order) > npages)
		order--;
	return order;
}

/* Hand [start, end) of region r to the free lists as maximal blocks. */
static void free_span(struct pmm *p, struct pmm_region *r, uint64_t start,
		      uint64_t end)
{
	while (start < end) {
		unsigned order = max_order_at(start, end - start);
		uint8_t *m = meta_at(r, start);

		m[0] = meta_make(META_FREE, order);
		memset(m + 1, META_TAIL, order_pages(order) - 1);
		list_push(p, order, start);
		p->free_pages += order_pages(order);
		start += order_pages(order);
	}
}

/* Take 2^from pages at pfn (off the lists) down to 2^to pages, returning
 * the upper halves to the free lists. */
static void split(struct pmm *p, struct pmm_region *r, uint64_t pfn,
		  unsigned from, unsigned to)
{
	while (from > to) {
		uint64_t upper;

		from--;
		upper = pfn + order_pages(from);
		*meta_at(r, upper) = meta_make(META_FREE, from);
		list_push(p, from, upper);
	}
}

/* Put a block back, merging it with its buddy as long as that is free. */
static void merge_and_free(struct pmm *p, struct pmm_region *r, uint64_t pfn,
			   unsigned order)
{
	while (order < PMM_MAX_ORDER) {
		uint64_t buddy = pfn ^ order_pages(order);

		if (!region_has(r, buddy) ||
		    *meta_at(r, buddy) != meta_make(META_FREE, order))
			break;
		list_remove(p, order, buddy);
		*meta_at(r, MAX(pfn, buddy)) = META_TAIL;
		pfn = MIN(pfn, buddy);
		order++;
	}
	*meta_at(r, pfn) = meta_make(META_FREE, order);
	list_push(p, order, pfn);
}

/*
 * Find the block containing pfn. Going up the orders, align pfn down; the
 * first page met that is not TAIL is the head of the containing block,
 * because every smaller alignment of pfn lies inside that block.
 */
static int block_containing(struct pmm_region *r, uint64_t pfn,
			    struct block *b)
{
	for (unsigned k = 0; k <= PMM_MAX_ORDER; k++) {
		uint64_t head = ALIGN_DOWN(pfn, order_pages(k));
		uint8_t m;

		if (head < r->base_pfn)
			break;
		m = *meta_at(r, head);
		if ((m & META_KIND_MASK) == META_TAIL)
			continue;
		b->head = head;
		b->kind = m & META_KIND_MASK;
		b->order = m & META_ORDER_MASK;
		return head + order_pages(b->order) > pfn ? 0 : -E_INVAL;
	}
	return -E_INVAL;
}

/* ---------------------------------------------------------------- init */

static uint64_t span_size(const struct span *s)
{
	return s->end - s->start;
}

static void span_remove(struct span *st, unsigned *n, unsigned i)
{
	memmove(&st[i], &st[i + 1], (*n - i - 1) * sizeof(*st));
	(*n)--;
}

/* The table is full: drop whichever is smallest, `s` or a staged span.
 * Returns true if room was made for s. */
static bool make_room(struct pmm *p, struct span *st, unsigned *n,
		      const struct span *s)
{
	unsigned small = 0;

	for (unsigned i = 1; i < *n; i++)
		if (span_size(&st[i]) < span_size(&st[small]))
			small = i;
	if (span_size(s) <= span_size(&st[small])) {
		p->dropped_bytes += span_size(s);
		return false;
	}
	p->dropped_bytes += span_size(&st[small]);
	span_remove(st, n, small);
	return true;
}

/* Insert s into the sorted spans, merging with spans it touches. */
static int stage_insert(struct pmm *p, struct span *st, unsigned *n,
			struct span s)
{
	unsigned i = 0;

	while (i < *n && st[i].start < s.start)
		i++;
	if ((i > 0 && st[i - 1].end > s.start) || (i < *n && st[i].start < s.end))
		return -E_INVAL;
	if (i > 0 && st[i - 1].end == s.start) {
		st[i - 1].end = s.end;
		if (i < *n && st[i].start == s.end) {
			st[i - 1].end = st[i].end;
			span_remove(st, n, i);
		}
		return 0;
	}
	if (i < *n && st[i].start == s.end) {
		st[i].start = s.start;
		return 0;
	}
	if (*n == PMM_MAX_REGIONS)
		return make_room(p, st, n, &s) ? stage_insert(p, st, n, s) : 0;
	memmove(&st[i + 1], &st[i], (*n - i) * sizeof(*st));
	st[i] = s;
	(*n)++;
	return 0;
}

/* Decode and validate one caller range, then stage it. */
static int stage_range(struct pmm *p, struct span *st, unsigned *n,
		       const struct pmm_range *in)
{
	struct span s = { .start = in->base };

	if (in->size == 0)
		return 0;
	if (in->size > UINT64_MAX - in->base)
		return -E_INVAL;
	s.end = in->base + in->size;
	if (s.start >= PHYS_ADDR_LIMIT) {
		p->dropped_bytes += in->size;
		return 0;
	}
	if (s.end > PHYS_ADDR_LIMIT) {
		p->dropped_bytes += s.end - PHYS_ADDR_LIMIT;
		s.end = PHYS_ADDR_LIMIT;
	}
	return stage_insert(p, st, n, s);
}

/* Turn one staged span into a region: whole pages only, never page 0, the
 * state array carved from its end. Spans too small to hold their own state
 * array and one page are skipped. */
static void add_region(struct pmm *p, const struct span *s)
{
	uint64_t first = MAX(ALIGN_UP(s->start, PAGE_SIZE) >> PAGE_SHIFT, 1);
	uint64_t end = s->end >> PAGE_SHIFT;
	uint64_t npages, nmeta, usable;
	struct pmm_region *r;

	if (end <= first)
		return;
	npages = end - first;
	nmeta = ALIGN_UP(npages, PAGE_SIZE) / PAGE_SIZE;
	if (npages <= nmeta)
		return;
	usable = npages - nmeta;
	r = &p->regions[p->nregions++];
	r->base_pfn = first;
	r->npages = npages;
	r->meta = (uint8_t *)(uintptr_t)((first + usable) << PAGE_SHIFT);
	memset(r->meta, META_RESERVED, npages);
	free_span(p, r, first, first + usable);
	p->total_pages += usable;
	p->meta_pages += nmeta;
}

int pmm_init(struct pmm *p, const struct pmm_range *ranges, size_t n)
{
	struct span staged[PMM_MAX_REGIONS];
	unsigned nstaged = 0;

	memset(p, 0, sizeof(*p));
	if (!ranges && n)
		return -E_INVAL;
	for (size_t i = 0; i < n; i++) {
		int err = stage_range(p, staged, &nstaged, &ranges[i]);

		if (err) {
			memset(p, 0, sizeof(*p));
			return err;
		}
	}
	for (unsigned i = 0; i < nstaged; i++)
		add_region(p, &staged[i]);
	return p->total_pages ? 0 : -E_NOMEM;
}

/* ------------------------------------------------------------ requests */

uint64_t pmm_alloc_below(struct pmm *p, unsigned order, uint64_t limit)
{
	if (order > PMM_MAX_ORDER)
		return 0;
	for (unsigned k = order; k <= PMM_MAX_ORDER; k++) {
		uint64_t pfn = find_block(p, k, order, limit);
		struct pmm_region *r;

		if (!pfn)
			continue;
		r = region_of(p, pfn);
		list_remove(p, k, pfn);
		split(p, r, pfn, k, order);
		*meta_at(r, pfn) = meta_make(META_USED, order);
		p->free_pages -= order_pages(order);
		return pfn << PAGE_SHIFT;
	}
	return 0;
}

uint64_t pmm_alloc(struct pmm *p, unsigned order)
{
	return pmm_alloc_below(p, order, PMM_NO_LIMIT);
}

int pmm_free(struct pmm *p, uint64_t phys, unsigned order)
{
	uint64_t pfn = phys >> PAGE_SHIFT;
	struct pmm_region *r;
	uint8_t m;

	if (order > PMM_MAX_ORDER || (phys & (PMM_ORDER_SIZE(order) - 1)))
		return -E_INVAL;
	r = region_of(p, pfn);
	if (!r)
		return -E_FAULT;
	m = *meta_at(r, pfn);
	if ((m & META_KIND_MASK) != META_USED)
		return -E_NOENT;
	if ((m & META_ORDER_MASK) != order)
		return -E_INVAL;
	p->free_pages += order_pages(order);
	merge_and_free(p, r, pfn, order);
	return 0;
}

/* Every page of [start, end) managed and free? */
static int reserve_check(struct pmm *p, uint64_t start, uint64_t end)
{
	uint64_t pfn = start;

	while (pfn < end) {
		struct pmm_region *r = region_of(p, pfn);
		struct block b;

		if (!r)
			return -E_NOENT;
		if (block_containing(r, pfn, &b))
			return -E_INVAL;
		if (b.kind != META_FREE)
			return -E_BUSY;
		pfn = b.head + order_pages(b.order);
	}
	return 0;
}

/* Cut [start, end) out of the free blocks that hold it (checked free). */
static void reserve_apply(struct pmm *p, uint64_t start, uint64_t end)
{
	uint64_t pfn = start;

	while (pfn < end) {
		struct pmm_region *r = region_of(p, pfn);
		struct block b;
		uint64_t bend, hi;

		block_containing(r, pfn, &b);
		bend = b.head + order_pages(b.order);
		hi = MIN(bend, end);
		list_remove(p, b.order, b.head);
		p->free_pages -= order_pages(b.order);
		memset(meta_at(r, pfn), META_RESERVED, hi - pfn);
		free_span(p, r, b.head, pfn);
		free_span(p, r, hi, bend);
		p->total_pages -= hi - pfn;
		pfn = hi;
	}
}

int pmm_reserve(struct pmm *p, uint64_t base, uint64_t size)
{
	uint64_t start, end;
	int err;

	if (size == 0 || size - 1 > UINT64_MAX - base)
		return -E_INVAL;
	start = base >> PAGE_SHIFT;
	end = ((base + size - 1) >> PAGE_SHIFT) + 1;
	err = reserve_check(p, start, end);
	if (err)
		return err;
	reserve_apply(p, start, end);
	return 0;
}

int pmm_order_for_size(uint64_t size)
{
	for (unsigned order = 0; order <= PMM_MAX_ORDER; order++)
		if (size <= PMM_ORDER_SIZE(order))
			return (int)order;
	return -E_RANGE;
}

uint64_t pmm_total_pages(const struct pmm *p)
{
	return p->total_pages;
}

uint64_t pmm_free_pages(const struct pmm *p)
{
	return p->free_pages;
}

uint64_t pmm_free_blocks(const struct pmm *p, unsigned order)
{
	return order <= PMM_MAX_ORDER ? p->nfree[order] : 0;
}
