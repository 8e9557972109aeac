/*
 * Per-domain address spaces for emulated devices: one for I/O ports and one
 * for MMIO. A device model registers the ranges it decodes with an ops
 * table; an exit handler looks the address up here instead of matching
 * ports in if-chains. An address nobody claims behaves like an empty bus
 * (the caller returns all ones and drops writes).
 *
 * Built hosted too (tests/unit/test_iospace.c).
 */
#ifndef KEEL_VMM_IOSPACE_H
#define KEEL_VMM_IOSPACE_H

#include "kernel/klib.h"
#include "kernel/spinlock.h"

#define IOSPACE_MAX_RANGES 32

/* Accesses are 1, 2, 4 or 8 bytes at 'offset' from the range's base.
 * Return 0, or a negative E_* code that stops the domain. */
struct io_ops {
	int (*read)(void *ctx, uint64_t offset, unsigned size, uint64_t *val);
	int (*write)(void *ctx, uint64_t offset, unsigned size, uint64_t val);
};

struct io_range {
	uint64_t base, len;
	const struct io_ops *ops;
	void *ctx;
	const char *name;	/* for the log and the stats */
};

struct iospace {
	spinlock_t lock;		/* the table; never held while a device runs */
	struct io_range ranges[IOSPACE_MAX_RANGES];	/* sorted by base */
	unsigned nr;
	uint64_t unclaimed_reads, unclaimed_writes;	/* empty-bus accesses */
};

/* Claim [base, base + len). 0, -E_INVAL (empty or wrapping), -E_EXIST
 * (overlaps another range) or -E_NOMEM (table full). */
int io_register(struct iospace *s, uint64_t base, uint64_t len, const struct io_ops *ops,
		void *ctx, const char *name);
/* Release the range that starts at 'base' (a device moved or stopped
 * decoding). 0, or -E_NOENT when no range starts there. */
int io_unregister(struct iospace *s, uint64_t base);
/* The range holding all of [addr, addr + size), or NULL. The caller
 * holds s->lock, or owns the table alone (tests, set-up). */
const struct io_range *io_find(const struct iospace *s, uint64_t addr, unsigned size);
/*
 * Perform an access: the claiming device's read or write, or the empty
 * bus (reads give all ones for 'size' bytes, writes vanish; both counted).
 * Returns 0, 1 when nobody claimed the address, or the device's error.
 */
int io_access(struct iospace *s, uint64_t addr, unsigned size, bool write, uint64_t *val);
/* All ones in the low 'size' bytes. */
uint64_t io_all_ones(unsigned size);

#endif
