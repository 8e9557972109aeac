/*
 * Keel's own page tables (4-level paging, SDM Vol. 3A 4.5): physical memory
 * identity-mapped, page 0 left out so that NULL faults, and the kernel image
 * at KERNEL_VBASE with per-section permissions.
 */
#ifndef KEEL_ARCH_MMU_H
#define KEEL_ARCH_MMU_H

#include <stdint.h>

#define KERNEL_VBASE	0xffffffff80000000ULL	/* linker.ld */

/* Page-table entry bits (SDM Vol. 3A 4.5, tables 4-15 to 4-20). */
#define PTE_P		(1ULL << 0)
#define PTE_W		(1ULL << 1)
#define PTE_U		(1ULL << 2)
#define PTE_PS		(1ULL << 7)
#define PTE_G		(1ULL << 8)
#define PTE_NX		(1ULL << 63)
#define PTE_ADDR_MASK	0x000ffffffffff000ULL

/* Build the tables covering [0, top) and switch to them; 0 or -E_NOMEM. */
int mmu_init(uint64_t top, uint64_t kernel_phys);
uint64_t mmu_kernel_cr3(void);
/* Physical address of a kernel-image virtual address. */
uint64_t kernel_virt_to_phys(const void *p);

#endif
