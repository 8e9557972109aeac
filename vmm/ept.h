/*
 * Extended page tables (SDM Vol. 3C 29.3): one 4-level table per domain that
 * maps guest-physical addresses to the host pages holding that domain's RAM.
 * Anything not mapped makes the guest exit with an EPT violation, which is
 * how MMIO and the empty bus are emulated.
 */
#ifndef KEEL_VMM_EPT_H
#define KEEL_VMM_EPT_H

#include "kernel/klib.h"

/* EPT paging-structure entry bits (29.3.2, tables 29-1 to 29-6). */
#define EPT_READ		(1ULL << 0)
#define EPT_WRITE		(1ULL << 1)
#define EPT_EXEC		(1ULL << 2)
#define EPT_RWX			(EPT_READ | EPT_WRITE | EPT_EXEC)
#define EPT_MEMTYPE_WB		(6ULL << 3)	/* leaf entries only */
#define EPT_LARGE		(1ULL << 7)
#define EPT_ADDR_MASK		0x000ffffffffff000ULL

/* EPT pointer (25.6.11): write-back tables, 4-level walk (length - 1 = 3). */
#define EPTP_MEMTYPE_WB		6ULL
#define EPTP_WALK_4		(3ULL << 3)

/* The guest-physical space EPT can describe with 4 levels. */
#define EPT_GPA_LIMIT		(1ULL << 48)

struct ept {
	uint64_t pml4;		/* physical address of the top table */
	uint64_t eptp;		/* value for VMCS_EPT_POINTER */
	uint32_t table_pages;	/* paging-structure pages, for the stats */
};

/* 0 or -E_NOMEM. */
int ept_init(struct ept *e);
/*
 * Map [gpa, gpa + size) to [hpa, hpa + size) with 'perms' (EPT_RWX ...),
 * write-back, using 2 MiB entries where both sides are 2 MiB aligned.
 * All three must be page aligned; the range must not be mapped already.
 * 0, -E_INVAL, -E_EXIST or -E_NOMEM (a partial mapping stays; destroy it).
 */
int ept_map(struct ept *e, uint64_t gpa, uint64_t hpa, uint64_t size, uint64_t perms);
/* Free the paging structures (not the memory they map). */
void ept_destroy(struct ept *e);

#endif
