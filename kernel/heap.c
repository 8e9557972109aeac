/*
 * Kernel heap: size-class slabs for small objects, whole page blocks with
 * out-of-line records for large ones (see kernel/heap.h for the contract).
 *
 * A slab is one page:
 *
 *   0          64                                                 4096
 *   | header   | object 0 | object 1 | ...           | object n-1 | waste |
 *
 * The header carries a check word (magic ^ cookie ^ its own address), the
 * size class and a bitmap of objects in use. Free objects hold nothing the
 * allocator reads, so a use-after-free write cannot steer it.
 */
#include "kernel/heap.h"
#include "kernel/errno.h"

#define SLAB_HDR_SIZE 64
#define SLAB_BITMAP_WORDS 4
#define BITS_PER_WORD 64
#define SLAB_MAGIC 0x4b45454c534c4142ULL	/* "KEELSLAB" */
#define HEAP_ALIGN 16
#define LARGE_MAX (PAGE_SIZE << HEAP_MAX_ORDER)
#define LARGE_HASH_BITS 6
#define HASH_MULTIPLIER 0x9e3779b97f4a7c15ULL	/* 2^64 / golden ratio */

struct heap_slab {
	uint64_t check;
	struct heap_slab *next;		/* in the class's list of slabs with room */
	struct heap_slab *prev;
	uint16_t cls;
	uint16_t in_use;
	uint32_t pad;
	uint64_t used[SLAB_BITMAP_WORDS];	/* bit set: object in use */
};

/* Out-of-line record of one large block; lives in a slab object. */
struct heap_large {
	const void *ptr;
	struct heap_large *next;	/* hash chain */
	unsigned order;
};

/*
 * Object sizes: multiples of 16 (alignment), and from 336 up chosen so that
 * they fill the 4032 bytes after the header exactly (12, 9, 7, 6, 5, 4, 3, 2
 * objects per page).
 */
static const uint16_t class_size[] = {
	16, 32, 48, 64, 96, 128, 192, 256, 336, 448, 576, 672, 800, 1008,
	1344, HEAP_SMALL_MAX,
};

_Static_assert(ARRAY_SIZE(class_size) == HEAP_NR_CLASSES, "class table");
_Static_assert(sizeof(struct heap_slab) <= SLAB_HDR_SIZE, "slab header");
_Static_assert(SLAB_HDR_SIZE % HEAP_ALIGN == 0, "objects must stay aligned");
_Static_assert((PAGE_SIZE - SLAB_HDR_SIZE) / HEAP_ALIGN <=
	       SLAB_BITMAP_WORDS * BITS_PER_WORD, "bitmap too small");
_Static_assert((1u << LARGE_HASH_BITS) == HEAP_LARGE_BUCKETS, "hash width");
_Static_assert(HEAP_SMALL_MAX * 2 + SLAB_HDR_SIZE <= PAGE_SIZE, "2 per slab");

static unsigned class_capacity(unsigned cls)
{
	return (PAGE_SIZE - SLAB_HDR_SIZE) / class_size[cls];
}

/* Smallest class holding size (size <= HEAP_SMALL_MAX). */
static unsigned class_for(size_t size)
{
	unsigned cls = 0;

	while (class_size[cls] < size)
		cls++;
	return cls;
}

static uint64_t slab_check(const struct heap *h, const struct heap_slab *s)
{
	return SLAB_MAGIC ^ h->cookie ^ (uintptr_t)s;
}

static bool bit_test(const uint64_t *map, unsigned i)
{
	return map[i / BITS_PER_WORD] & (1ULL << (i % BITS_PER_WORD));
}

static void bit_set(uint64_t *map, unsigned i)
{
	map[i / BITS_PER_WORD] |= 1ULL << (i % BITS_PER_WORD);
}

static void bit_clear(uint64_t *map, unsigned i)
{
	map[i / BITS_PER_WORD] &= ~(1ULL << (i % BITS_PER_WORD));
}

/* ------------------------------------------------------ page provider */

static void *get_block(struct heap *h, unsigned order)
{
	void *p = h->get_pages(h->ctx, order);

	if (p && ((uintptr_t)p & (PAGE_SIZE - 1))) {
		h->put_pages(h->ctx, p, order);
		return NULL;
	}
	if (p)
		h->stats.pages_held += (size_t)1 << order;
	return p;
}

static void put_block(struct heap *h, void *p, unsigned order)
{
	h->put_pages(h->ctx, p, order);
	h->stats.pages_held -= (size_t)1 << order;
}

/* --------------------------------------------------------------- slabs */

static void slab_push(struct heap *h, struct heap_slab *s)
{
	struct heap_slab **head = &h->partial[s->cls];

	s->prev = NULL;
	s->next = *head;
	if (*head)
		(*head)->prev = s;
	*head = s;
}

static void slab_unlink(struct heap *h, struct heap_slab *s)
{
	if (s->prev)
		s->prev->next = s->next;
	else
		h->partial[s->cls] = s->next;
	if (s->next)
		s->next->prev = s->prev;
	s->next = s->prev = NULL;
}

static struct heap_slab *slab_new(struct heap *h, unsigned cls)
{
	struct heap_slab *s = get_block(h, 0);

	if (!s)
		return NULL;
	memset(s, 0, sizeof(*s));
	s->check = slab_check(h, s);
	s->cls = (uint16_t)cls;
	/* Bits past the last object stay set, so a search never finds them. */
	for (unsigned i = class_capacity(cls);
	     i < SLAB_BITMAP_WORDS * BITS_PER_WORD; i++)
		bit_set(s->used, i);
	slab_push(h, s);
	return s;
}

/* Index of a free object, now marked in use; -1 if the slab is full. */
static int slab_take(struct heap_slab *s)
{
	for (unsigned w = 0; w < SLAB_BITMAP_WORDS; w++) {
		if (~s->used[w]) {
			unsigned i = w * BITS_PER_WORD +
				     (unsigned)__builtin_ctzll(~s->used[w]);

			bit_set(s->used, i);
			return (int)i;
		}
	}
	return -1;
}

static void *small_alloc(struct heap *h, unsigned cls)
{
	for (;;) {
		struct heap_slab *s = h->partial[cls];
		int i;

		if (!s && !(s = slab_new(h, cls)))
			return NULL;
		i = slab_take(s);
		if (i < 0) {
			/* Header damaged (bitmap full but listed): stop using it. */
			slab_unlink(h, s);
			continue;
		}
		if (++s->in_use == class_capacity(cls))
			slab_unlink(h, s);
		return (char *)s + SLAB_HDR_SIZE + (size_t)i * class_size[cls];
	}
}

/* The slab and object index of a live small object, or NULL. */
static struct heap_slab *slab_of(const struct heap *h, const void *ptr,
				 unsigned *idx)
{
	struct heap_slab *s = (void *)ALIGN_DOWN((uintptr_t)ptr, PAGE_SIZE);
	uintptr_t off = (uintptr_t)ptr - (uintptr_t)s;
	unsigned i;

	if (s->check != slab_check(h, s) || s->cls >= HEAP_NR_CLASSES)
		return NULL;
	if (off < SLAB_HDR_SIZE || (off - SLAB_HDR_SIZE) % class_size[s->cls])
		return NULL;
	i = (off - SLAB_HDR_SIZE) / class_size[s->cls];
	if (i >= class_capacity(s->cls) || !bit_test(s->used, i))
		return NULL;
	*idx = i;
	return s;
}

/* Release object idx. An emptied slab is kept only if it is the class's
 * last slab with room, so that alloc/free pairs do not churn pages. */
static void small_release(struct heap *h, struct heap_slab *s, unsigned idx)
{
	if (s->in_use == class_capacity(s->cls))
		slab_push(h, s);
	bit_clear(s->used, idx);
	s->in_use--;
	if (s->in_use == 0 && (h->partial[s->cls] != s || s->next)) {
		slab_unlink(h, s);
		s->check = 0;
		put_block(h, s, 0);
	}
}

/* --------------------------------------------------------------- large */

static struct heap_large **large_slot(struct heap *h, const void *ptr)
{
	uint64_t key = (uintptr_t)ptr >> PAGE_SHIFT;
	struct heap_large **pp =
		&h->large[(key * HASH_MULTIPLIER) >> (64 - LARGE_HASH_BITS)];

	while (*pp && (*pp)->ptr != ptr)
		pp = &(*pp)->next;
	return pp;
}

static unsigned large_order(size_t size)
{
	size_t pages = (size + PAGE_SIZE - 1) >> PAGE_SHIFT;
	unsigned order = 0;

	while (((size_t)1 << order) < pages)
		order++;
	return order;
}

static void *large_alloc(struct heap *h, size_t size, size_t *usable)
{
	unsigned order = large_order(size);
	struct heap_large *rec = small_alloc(h, class_for(sizeof(*rec)));
	struct heap_large **slot;
	void *p;

	if (!rec)
		return NULL;
	p = get_block(h, order);
	if (!p) {
		unsigned idx;
		struct heap_slab *s = slab_of(h, rec, &idx);

		small_release(h, s, idx);
		return NULL;
	}
	slot = large_slot(h, p);
	rec->ptr = p;
	rec->order = order;
	rec->next = NULL;
	*slot = rec;
	*usable = PAGE_SIZE << order;
	return p;
}

/* Free a large block; its usable size, or 0 if ptr is not one. */
static size_t large_release(struct heap *h, void *ptr)
{
	struct heap_large **slot = large_slot(h, ptr);
	struct heap_large *rec = *slot;
	struct heap_slab *s;
	unsigned order, idx;

	if (!rec)
		return 0;
	order = rec->order;
	*slot = rec->next;
	put_block(h, ptr, order);
	s = slab_of(h, rec, &idx);
	if (s)
		small_release(h, s, idx);
	return PAGE_SIZE << order;
}

/* ---------------------------------------------------------- interface */

void heap_init(struct heap *h, heap_get_pages_fn get_pages,
	       heap_put_pages_fn put_pages, void *ctx, uint64_t cookie)
{
	memset(h, 0, sizeof(*h));
	h->get_pages = get_pages;
	h->put_pages = put_pages;
	h->ctx = ctx;
	h->cookie = cookie;
}

void *heap_alloc(struct heap *h, size_t size)
{
	size_t usable = 0;
	void *p = NULL;

	if (size == 0)
		return NULL;
	if (size <= HEAP_SMALL_MAX) {
		unsigned cls = class_for(size);

		p = small_alloc(h, cls);
		usable = class_size[cls];
	} else if (size <= LARGE_MAX) {
		p = large_alloc(h, size, &usable);
	}
	if (!p) {
		h->stats.failed_allocs++;
		return NULL;
	}
	h->stats.allocs++;
	h->stats.bytes_in_use += usable;
	return p;
}

void *heap_zalloc(struct heap *h, size_t size)
{
	void *p = heap_alloc(h, size);

	if (p)
		memset(p, 0, size);
	return p;
}

size_t heap_usable_size(struct heap *h, const void *ptr)
{
	struct heap_large *rec;
	struct heap_slab *s;
	unsigned idx;

	if (!ptr)
		return 0;
	if (((uintptr_t)ptr & (PAGE_SIZE - 1)) == 0) {
		rec = *large_slot(h, ptr);
		return rec ? PAGE_SIZE << rec->order : 0;
	}
	s = slab_of(h, ptr, &idx);
	return s ? class_size[s->cls] : 0;
}

int heap_free(struct heap *h, void *ptr)
{
	size_t usable = 0;
	struct heap_slab *s;
	unsigned idx;

	if (!ptr)
		return 0;
	if (((uintptr_t)ptr & (PAGE_SIZE - 1)) == 0) {
		usable = large_release(h, ptr);
	} else if ((s = slab_of(h, ptr, &idx)) != NULL) {
		usable = class_size[s->cls];
		small_release(h, s, idx);
	}
	if (!usable) {
		h->stats.bad_frees++;
		return -E_INVAL;
	}
	h->stats.frees++;
	h->stats.bytes_in_use -= usable;
	return 0;
}

void *heap_realloc(struct heap *h, void *ptr, size_t size)
{
	size_t old;
	void *p;

	if (!ptr)
		return heap_alloc(h, size);
	old = heap_usable_size(h, ptr);
	if (!old) {
		h->stats.bad_frees++;
		return NULL;
	}
	if (size == 0) {
		heap_free(h, ptr);
		return NULL;
	}
	if (size <= old)
		return ptr;
	p = heap_alloc(h, size);
	if (!p)
		return NULL;
	memcpy(p, ptr, old);
	heap_free(h, ptr);
	return p;
}

void heap_trim(struct heap *h)
{
	for (unsigned cls = 0; cls < HEAP_NR_CLASSES; cls++) {
		struct heap_slab *s = h->partial[cls];

		while (s) {
			struct heap_slab *next = s->next;

			if (s->in_use == 0) {
				slab_unlink(h, s);
				s->check = 0;
				put_block(h, s, 0);
			}
			s = next;
		}
	}
}

void heap_get_stats(const struct heap *h, struct heap_stats *out)
{
	*out = h->stats;
}
