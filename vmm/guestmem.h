/*
 * A domain's RAM: host pages from Keel's allocator, zeroed, owned by that
 * domain alone, and the guest-physical layout they appear at.
 *
 *   0 ........................ low_top        RAM (at most 3 GiB)
 *   low_top .................. 4 GiB          hole (MMIO, the empty bus)
 *   4 GiB .................... 4 GiB + rest   RAM above the hole
 *
 * RAM is taken in 2 MiB blocks where the allocator has them, so EPT can
 * map it with 2 MiB entries, and in smaller blocks otherwise.
 */
#ifndef KEEL_VMM_GUESTMEM_H
#define KEEL_VMM_GUESTMEM_H

#include "kernel/klib.h"

#define GMEM_LOW_LIMIT		(3 * GiB)
#define GMEM_HIGH_BASE		(4 * GiB)

struct gmem_block {
	uint64_t gpa, hpa, size;
};

struct guest_mem {
	struct gmem_block *blocks;	/* sorted by gpa, kmalloc'ed */
	unsigned nr, cap;
	uint64_t size;			/* bytes of RAM */
	uint64_t low_top;		/* end of RAM below 4 GiB */
};

struct ept;

/* Allocate 'bytes' of zeroed RAM and map it into *ept. 0 or -E_NOMEM
 * (nothing stays allocated then). */
int gmem_alloc(struct guest_mem *m, uint64_t bytes, struct ept *ept);
void gmem_free(struct guest_mem *m);
/* Host pointer for [gpa, gpa + len) when it lies inside one block, else NULL. */
void *gmem_ptr(const struct guest_mem *m, uint64_t gpa, uint64_t len);
/* Copy to or from guest RAM across blocks; -E_FAULT if any byte is not RAM. */
int gmem_read(const struct guest_mem *m, uint64_t gpa, void *buf, size_t len);
int gmem_write(const struct guest_mem *m, uint64_t gpa, const void *buf, size_t len);
int gmem_zero(const struct guest_mem *m, uint64_t gpa, size_t len);
bool gmem_is_ram(const struct guest_mem *m, uint64_t gpa);

#endif
