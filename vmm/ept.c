/*
 * EPT construction (SDM Vol. 3C 29.3). The walk from a guest-physical
 * address, like the CPU's own:
 *
 *   bits 47:39 -> PML4 entry -> bits 38:30 -> PDPT entry
 *              -> bits 29:21 -> PD entry (2 MiB leaf, or)
 *              -> bits 20:12 -> PT entry (4 KiB leaf)
 *
 * Only Keel writes these tables, and only while no vCPU of the domain runs
 * (at domain creation), so no invalidation is needed here; a reused table
 * page is flushed before any CPU runs the next domain (vmm/sched.c).
 */
#include "kernel/errno.h"
#include "kernel/mm.h"
#include "vmm/ept.h"

#define EPT_ENTRIES	512
#define LEVEL_SHIFT(l)	(12 + 9 * (l))	/* level 0 = PT ... 3 = PML4 */
#define LARGE_2M	(2 * MiB)

static uint64_t *table(uint64_t phys)
{
	return (uint64_t *)phys;	/* identity-mapped */
}

static unsigned index_at(uint64_t gpa, int level)
{
	return (unsigned)(gpa >> LEVEL_SHIFT(level)) & (EPT_ENTRIES - 1);
}

int ept_init(struct ept *e)
{
	e->pml4 = page_alloc(0);
	if (!e->pml4)
		return -E_NOMEM;
	e->table_pages = 1;
	e->eptp = e->pml4 | EPTP_MEMTYPE_WB | EPTP_WALK_4;
	return 0;
}

/* The table one level below entry *ent, created when absent. */
static uint64_t *next_table(struct ept *e, uint64_t *ent)
{
	uint64_t page;

	if (*ent & EPT_LARGE)
		return NULL;
	if (*ent & EPT_RWX)
		return table(*ent & EPT_ADDR_MASK);
	page = page_alloc(0);
	if (!page)
		return NULL;
	e->table_pages++;
	*ent = page | EPT_RWX;	/* non-leaf: permissions are ANDed with the leaf's */
	return table(page);
}

/* Install one leaf at 'level' (0: 4 KiB, 1: 2 MiB). */
static int map_one(struct ept *e, uint64_t gpa, uint64_t hpa, int level, uint64_t perms)
{
	uint64_t *t = table(e->pml4);
	uint64_t *ent;

	for (int l = 3; l > level; l--) {
		t = next_table(e, &t[index_at(gpa, l)]);
		if (!t)
			return -E_NOMEM;	/* or a large page in the way */
	}
	ent = &t[index_at(gpa, level)];
	if (*ent & EPT_RWX)
		return -E_EXIST;
	*ent = hpa | perms | EPT_MEMTYPE_WB | (level ? EPT_LARGE : 0);
	return 0;
}

int ept_map(struct ept *e, uint64_t gpa, uint64_t hpa, uint64_t size, uint64_t perms)
{
	if ((gpa | hpa | size) & (PAGE_SIZE - 1) || gpa + size > EPT_GPA_LIMIT || gpa + size < gpa)
		return -E_INVAL;
	while (size) {
		bool large = !((gpa | hpa) & (LARGE_2M - 1)) && size >= LARGE_2M;
		uint64_t step = large ? LARGE_2M : PAGE_SIZE;
		int err = map_one(e, gpa, hpa, large ? 1 : 0, perms);

		if (err)
			return err;
		gpa += step;
		hpa += step;
		size -= step;
	}
	return 0;
}

static void free_level(uint64_t phys, int level)
{
	uint64_t *t = table(phys);

	for (unsigned i = 0; level > 0 && i < EPT_ENTRIES; i++)
		if ((t[i] & EPT_RWX) && !(t[i] & EPT_LARGE))
			free_level(t[i] & EPT_ADDR_MASK, level - 1);
	page_free(phys, 0);
}

void ept_destroy(struct ept *e)
{
	if (e->pml4)
		free_level(e->pml4, 3);
	e->pml4 = 0;
	e->eptp = 0;
	e->table_pages = 0;
}
