/*
 * Building and loading Keel's page tables.
 *
 *   0 .. 4 KiB                  not present (NULL dereferences fault)
 *   4 KiB .. 2 MiB              identity, 4 KiB pages, executable (the AP
 *                               start-up code runs from a page here)
 *   2 MiB .. top                identity, 2 MiB pages, no-execute
 *   KERNEL_VBASE + 2 MiB ..     the kernel image, 4 KiB pages: text RX,
 *                               rodata R, data and bss RW, both NX
 *
 * The PML4 sits below 4 GiB because application processors load CR3 while
 * still in 32-bit mode (arch/trampoline.asm).
 */
#include "arch/cpu.h"
#include "arch/mmu.h"
#include "kernel/errno.h"
#include "kernel/klib.h"
#include "kernel/mm.h"

#define LARGE_PAGE	(2 * MiB)
#define FOUR_GIB	(4 * GiB)

extern char __kernel_start[], __text_end[], __rodata_end[], __kernel_end[];

static uint64_t *pml4;
static uint64_t kernel_phys_base;
static uint64_t nx;	/* PTE_NX, or 0 on a CPU without it */

#define CPUID_EXT_NX	(1u << 20)	/* CPUID.80000001H:EDX */

static uint64_t *table_at(uint64_t *table, unsigned idx)
{
	uint64_t e = table[idx], page;

	if (e & PTE_P)
		return (uint64_t *)(e & PTE_ADDR_MASK);
	page = page_alloc(0);
	if (!page)
		return NULL;
	table[idx] = page | PTE_P | PTE_W;	/* leaves decide the rights */
	return (uint64_t *)page;
}

/* The page directory (level 2) covering va, created as needed. */
static uint64_t *pd_for(uint64_t va)
{
	uint64_t *pdpt = table_at(pml4, (va >> 39) & 511);

	return pdpt ? table_at(pdpt, (va >> 30) & 511) : NULL;
}

static int map_4k(uint64_t va, uint64_t pa, uint64_t flags)
{
	uint64_t *pd = pd_for(va), *pt;

	if (!pd || !(pt = table_at(pd, (va >> 21) & 511)))
		return -E_NOMEM;
	pt[(va >> 12) & 511] = pa | flags;
	return 0;
}

static int map_identity(uint64_t top)
{
	int err = 0;

	for (uint64_t a = PAGE_SIZE; a < LARGE_PAGE && !err; a += PAGE_SIZE)
		err = map_4k(a, a, PTE_P | PTE_W | PTE_G);
	for (uint64_t a = LARGE_PAGE; a < top && !err; a += LARGE_PAGE) {
		uint64_t *pd = pd_for(a);

		if (!pd)
			return -E_NOMEM;
		pd[(a >> 21) & 511] = a | PTE_P | PTE_W | PTE_PS | PTE_G | nx;
	}
	return err;
}

static uint64_t section_flags(uint64_t va)
{
	if (va < (uint64_t)__text_end)
		return PTE_P | PTE_G;
	if (va < (uint64_t)__rodata_end)
		return PTE_P | PTE_G | nx;
	return PTE_P | PTE_W | PTE_G | nx;
}

static int map_kernel(void)
{
	uint64_t start = (uint64_t)__kernel_start, end = (uint64_t)__kernel_end;
	int err = 0;

	for (uint64_t va = start; va < end && !err; va += PAGE_SIZE)
		err = map_4k(va, kernel_phys_base + (va - start), section_flags(va));
	return err;
}

uint64_t kernel_virt_to_phys(const void *p)
{
	return kernel_phys_base + ((uint64_t)p - (uint64_t)__kernel_start);
}

uint64_t mmu_kernel_cr3(void)
{
	return (uint64_t)pml4;
}

int mmu_init(uint64_t top, uint64_t kernel_phys)
{
	int err;

	kernel_phys_base = kernel_phys;
	if (cpuid(0x80000001, 0).edx & CPUID_EXT_NX) {
		nx = PTE_NX;
		wrmsr(MSR_IA32_EFER, rdmsr(MSR_IA32_EFER) | EFER_NXE);
	}
	pml4 = (uint64_t *)page_alloc_below(0, FOUR_GIB);
	if (!pml4)
		return -E_NOMEM;
	top = ALIGN_UP(MAX(top, FOUR_GIB), LARGE_PAGE);
	err = map_identity(top);
	if (!err)
		err = map_kernel();
	if (err)
		return err;
	write_cr4(read_cr4() | CR4_PGE);
	write_cr0(read_cr0() | CR0_WP);
	write_cr3((uint64_t)pml4);
	return 0;
}
