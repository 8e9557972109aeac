/*
 * The page tables the kernel starts on (4-level paging, SDM Vol. 3A 4.5):
 *
 *   virtual 0 .. top            -> physical 0 .. top   (identity, 2 MiB pages)
 *   kvbase .. kvbase + kspan    -> kphys ..             (the kernel, 2 MiB pages)
 *
 * 'top' covers all memory in the UEFI map and at least the first 4 GiB, where
 * the local APIC, I/O APIC, HPET and PCI windows live. The kernel replaces
 * these tables with its own early on; they only need to be correct.
 */
#include "boot/loader.h"

#define PTE_P		(1ULL << 0)
#define PTE_W		(1ULL << 1)
#define PTE_PS		(1ULL << 7)	/* large page in a PD entry */
#define PAGE_4K		0x1000ULL
#define PAGE_2M		0x200000ULL
#define PAGE_1G		0x40000000ULL
#define PAGE_512G	0x8000000000ULL

static UINT64 *new_table(void)
{
	UINT64 phys;

	if (EFI_ERROR(alloc_keel_pages(1, ~0ULL, &phys)))
		return NULL;
	SetMem((void *)phys, PAGE_4K, 0);
	return (UINT64 *)phys;
}

/* The next-level table behind entry e, created when absent. */
static UINT64 *walk(UINT64 *table, UINTN index)
{
	UINT64 *next;

	if (table[index] & PTE_P)
		return (UINT64 *)(table[index] & ~0xfffULL);
	next = new_table();
	if (next)
		table[index] = (UINT64)next | PTE_P | PTE_W;
	return next;
}

static EFI_STATUS map_2m(UINT64 *pml4, UINT64 va, UINT64 pa)
{
	UINT64 *pdpt, *pd;

	pdpt = walk(pml4, (va >> 39) & 511);
	if (!pdpt)
		return EFI_OUT_OF_RESOURCES;
	pd = walk(pdpt, (va >> 30) & 511);
	if (!pd)
		return EFI_OUT_OF_RESOURCES;
	pd[(va >> 21) & 511] = pa | PTE_P | PTE_W | PTE_PS;
	return EFI_SUCCESS;
}

EFI_STATUS paging_build(UINT64 top, UINT64 kphys, UINT64 kvbase, UINT64 kspan, UINT64 *cr3)
{
	UINT64 *pml4 = new_table();
	EFI_STATUS st = EFI_SUCCESS;

	if (!pml4)
		return EFI_OUT_OF_RESOURCES;
	if (top < 4 * PAGE_1G)
		top = 4 * PAGE_1G;
	top = (top + PAGE_1G - 1) & ~(PAGE_1G - 1);
	if (top > PAGE_512G * 256)
		return EFI_UNSUPPORTED;
	for (UINT64 a = 0; a < top && !EFI_ERROR(st); a += PAGE_2M)
		st = map_2m(pml4, a, a);
	for (UINT64 off = 0; off < kspan && !EFI_ERROR(st); off += PAGE_2M)
		st = map_2m(pml4, kvbase + off, kphys + off);
	*cr3 = (UINT64)pml4;
	return st;
}
