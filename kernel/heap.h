/*
 * Kernel heap: malloc-style allocation on top of a page provider (in the
 * kernel, the physical page allocator).
 *
 * Small requests (up to HEAP_SMALL_MAX bytes) come from per-size-class slabs:
 * one page each, a 64-byte header at the start of the page followed by equal
 * objects; the header keeps a bitmap of the objects in use, so nothing about
 * the allocator's state is stored in the objects themselves. Larger requests
 * take a whole power-of-two block of pages from the provider; their order is
 * recorded out of line, in a small hash table of records that themselves live
 * in a slab. So:
 *
 *   - every pointer returned is at least 16-byte aligned; large allocations
 *     (more than HEAP_SMALL_MAX bytes) are page aligned;
 *   - a small object is never page aligned, which is how heap_free() tells
 *     the two kinds apart;
 *   - freeing a pointer the heap did not hand out, or freeing twice, is
 *     detected (slab header check word, in-use bit, record lookup) and
 *     refused with -E_INVAL and a count in the statistics, not acted upon.
 *     The slab check word mixes in a per-heap secret (`cookie`), so data
 *     copied into a large block cannot pass for a slab header.
 *
 * Concurrency: no locking inside; the kernel wraps each heap in a spinlock.
 *
 * Page provider contract: get_pages(ctx, order) returns 2^order pages aligned
 * to PAGE_SIZE (or NULL); put_pages(ctx, p, order) takes them back. Blocks
 * the provider returns misaligned are given back and the allocation fails.
 */
#ifndef KEEL_HEAP_H
#define KEEL_HEAP_H

#include "kernel/klib.h"

#define HEAP_SMALL_MAX 2016		/* largest slab object (2 per page) */
#define HEAP_NR_CLASSES 16
#define HEAP_MAX_ORDER 18		/* largest block: 2^18 pages = 1 GiB */
#define HEAP_LARGE_BUCKETS 64		/* hash buckets for large records */

typedef void *(*heap_get_pages_fn)(void *ctx, unsigned order);
typedef void (*heap_put_pages_fn)(void *ctx, void *pages, unsigned order);

struct heap_slab;
struct heap_large;

struct heap_stats {
	size_t bytes_in_use;	/* usable bytes of live allocations */
	size_t pages_held;	/* pages taken from the provider and not returned */
	uint64_t allocs;	/* successful heap_alloc/zalloc/realloc */
	uint64_t frees;		/* successful heap_free */
	uint64_t failed_allocs;	/* too large, or the provider had nothing */
	uint64_t bad_frees;	/* refused heap_free/heap_realloc pointers */
};

/* Fields are private to kernel/heap.c; public for static allocation. */
struct heap {
	heap_get_pages_fn get_pages;
	heap_put_pages_fn put_pages;
	void *ctx;
	uint64_t cookie;
	struct heap_slab *partial[HEAP_NR_CLASSES];	/* slabs with room */
	struct heap_large *large[HEAP_LARGE_BUCKETS];
	struct heap_stats stats;
};

/* Set up an empty heap. `cookie` should be unpredictable (e.g. from RDRAND
 * or the TSC at boot); it keys the slab header check word. */
void heap_init(struct heap *h, heap_get_pages_fn get_pages,
	       heap_put_pages_fn put_pages, void *ctx, uint64_t cookie);

/* Allocate `size` bytes; NULL for size 0, a size above 1 GiB, or no memory.
 * heap_zalloc() also clears them. */
void *heap_alloc(struct heap *h, size_t size);
void *heap_zalloc(struct heap *h, size_t size);

/*
 * Resize: NULL ptr acts as heap_alloc(), size 0 frees and returns NULL.
 * Returns ptr itself if it already has room, else a new allocation holding
 * the old contents (the old one freed). On failure, including a ptr the heap
 * does not know, returns NULL and leaves ptr untouched.
 */
void *heap_realloc(struct heap *h, void *ptr, size_t size);

/* Free; NULL is fine. -E_INVAL (and stats.bad_frees++) for a pointer that is
 * not a live allocation of this heap, with nothing changed. */
int heap_free(struct heap *h, void *ptr);

/* Usable bytes of a live allocation, 0 if ptr is not one. */
size_t heap_usable_size(struct heap *h, const void *ptr);

/* Give empty slabs kept for reuse back to the provider. */
void heap_trim(struct heap *h);

void heap_get_stats(const struct heap *h, struct heap_stats *out);

#endif
