/*
 * Guest page-table walker: translates a guest linear address to a guest
 * physical address the way the guest's own MMU would, so that the MMIO
 * path can fetch the faulting instruction and report page faults the guest
 * would have seen.
 *
 * Pure code. Guest page tables live in guest memory, which the walker reads
 * only through the caller's read_gpa callback: a hostile guest can point CR3
 * and every entry anywhere, and the callback decides what is readable.
 *
 * Modes (Intel SDM Vol. 3A chapter 4): paging off (linear = physical),
 * 32-bit paging with 4 MiB pages (CR4.PSE, PSE-36 high address bits),
 * PAE paging and 4-level paging with 2 MiB and 1 GiB pages. 5-level paging
 * (CR4.LA57) is not supported. Protection follows SDM 4.6 (R/W, U/S, XD with
 * EFER.NXE, CR0.WP, CR4.SMEP; SMAP is not modelled because it needs
 * RFLAGS.AC, and protection keys are ignored). Reserved bits are checked as
 * in SDM 4.3-4.5 against the MAXPHYADDR the caller gives.
 *
 * The walker never writes guest memory: accessed and dirty bits are NOT set.
 * It is used to fetch an instruction the guest has just executed (so the
 * CPU has already set them) and to check an access before emulating it; a
 * guest that relies on A/D bits for pages only the hypervisor touched would
 * see them clear.
 *
 * PAE PDPTEs are read from memory at CR3 on every walk rather than taken
 * from the PDPTE registers the CPU loaded at MOV CR3; a PDPTE with reserved
 * bits set is reported as a reserved-bit page fault (the CPU would have
 * raised #GP at the MOV CR3 instead).
 */
#ifndef KEEL_VMM_GWALK_H
#define KEEL_VMM_GWALK_H

#include "kernel/klib.h"

/* Control-register bits the walker looks at (SDM Vol. 3A 2.5, 2.2.1). */
#define GW_CR0_WP	(1ULL << 16)
#define GW_CR0_PG	(1ULL << 31)
#define GW_CR4_PSE	(1ULL << 4)
#define GW_CR4_PAE	(1ULL << 5)
#define GW_CR4_LA57	(1ULL << 12)
#define GW_CR4_SMEP	(1ULL << 20)
#define GW_EFER_LMA	(1ULL << 10)
#define GW_EFER_NXE	(1ULL << 11)

/* Paging-structure entry bits (SDM Vol. 3A 4.3-4.5). */
#define GW_PTE_P	(1ULL << 0)
#define GW_PTE_RW	(1ULL << 1)
#define GW_PTE_US	(1ULL << 2)
#define GW_PTE_PS	(1ULL << 7)
#define GW_PTE_XD	(1ULL << 63)

/* Page-fault error code (SDM Vol. 3A 4.7). */
#define GW_PF_P		(1U << 0)	/* 1: protection violation, 0: not present */
#define GW_PF_W		(1U << 1)	/* access was a write */
#define GW_PF_U		(1U << 2)	/* access was a user-mode (CPL 3) access */
#define GW_PF_RSVD	(1U << 3)	/* reserved bit set in some entry */
#define GW_PF_ID	(1U << 4)	/* instruction fetch (only with NXE or SMEP) */

/* Guest state the walk depends on; copied from the VMCS by the caller. */
struct gwalk_regs {
	uint64_t cr0, cr3, cr4, efer;
	unsigned cpl;		/* 0-3; 3 is user mode */
	unsigned maxphyaddr;	/* guest MAXPHYADDR (CPUID 80000008h), 0 = 52 */
};

enum gwalk_access { GW_READ, GW_WRITE, GW_FETCH };

/* Reads len bytes of guest-physical memory at gpa into buf. Returns 0, or a
 * negative E_* code when gpa..gpa+len-1 is not readable guest RAM. */
typedef int (*gwalk_read_fn)(void *ctx, uint64_t gpa, void *buf, size_t len);

/*
 * Translates gva for an access of kind acc at the guest's CPL.
 * Returns 0 and sets *gpa;
 *   -E_NOENT:  the guest would take #PF; *pf_error holds the error code and
 *              the caller injects #PF with CR2 = gva;
 *   -E_FAULT:  a paging-structure entry could not be read (read_gpa failed);
 *   -E_RANGE:  gva is not canonical in 4-level paging (the guest would take
 *              #GP or #SS, not #PF);
 *   -E_NOTSUP: 5-level paging;
 *   -E_INVAL:  inconsistent registers (EFER.LMA without CR4.PAE or CR0.PG).
 * Outside 4-level paging only the low 32 bits of gva are used.
 */
int gwalk(const struct gwalk_regs *r, uint64_t gva, enum gwalk_access acc,
	  gwalk_read_fn read_gpa, void *ctx, uint64_t *gpa, uint32_t *pf_error);

/*
 * Copies len bytes from guest linear memory at gva into buf, translating
 * each page separately (for instruction fetch: up to 15 bytes that may cross
 * a page boundary). Returns 0 or the first error as gwalk() does; a failed
 * read of the data itself is -E_FAULT. On any error *fault_gva is the linear
 * address whose translation or read failed (CR2 for -E_NOENT); buf may then
 * be partly written.
 */
int gwalk_read(const struct gwalk_regs *r, uint64_t gva, void *buf, size_t len,
	       enum gwalk_access acc, gwalk_read_fn read_gpa, void *ctx,
	       uint32_t *pf_error, uint64_t *fault_gva);

#endif
