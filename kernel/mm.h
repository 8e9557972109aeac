/*
 * Kernel memory: physical pages (kernel/pmm.c behind a lock) and the kernel
 * heap (kernel/heap.c). Physical memory is identity-mapped, so a physical
 * address returned here can be used as a pointer.
 */
#ifndef KEEL_MM_H
#define KEEL_MM_H

#include "kernel/klib.h"

struct bootinfo;

int mm_init(const struct bootinfo *bi);

/* 2^order contiguous pages, zeroed; 0 when none. */
uint64_t page_alloc(unsigned order);
/* The same, below a physical address limit (for hardware that needs it). */
uint64_t page_alloc_below(unsigned order, uint64_t limit);
void page_free(uint64_t phys, unsigned order);
/* The order page_alloc() needs for 'bytes' (at least 1). */
unsigned page_order_for(uint64_t bytes);

void *kmalloc(size_t size);
void *kzalloc(size_t size);
void kfree(void *p);

struct mm_stats {
	uint64_t total_pages, free_pages;
	size_t heap_bytes, heap_pages;
};
void mm_get_stats(struct mm_stats *st);

#endif
