/* Unit tests for the guest page-table walker (vmm/gwalk.c). The guest's
 * physical memory is a 1 MiB buffer; page tables are built in it by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "kernel/errno.h"
#include "vmm/gwalk.h"
#include "test_rng.h"

#define MEM_SIZE (1024 * 1024)
#define P GW_PTE_P
#define RW GW_PTE_RW
#define US GW_PTE_US
#define PS GW_PTE_PS
#define XD GW_PTE_XD
#define ALL (P | RW | US)

struct guest {
	uint8_t mem[MEM_SIZE];
	unsigned reads;
};

/* Out-of-range reads fail the way a non-RAM gpa would. */
static int read_gpa(void *ctx, uint64_t gpa, void *buf, size_t len)
{
	struct guest *g = ctx;

	g->reads++;
	if (gpa >= MEM_SIZE || len > MEM_SIZE - gpa)
		return -E_FAULT;
	memcpy(buf, g->mem + gpa, len);
	return 0;
}

static void put32(struct guest *g, uint64_t table, unsigned idx, uint32_t v)
{
	memcpy(g->mem + table + idx * 4, &v, 4);
}

static void put64(struct guest *g, uint64_t table, unsigned idx, uint64_t v)
{
	memcpy(g->mem + table + idx * 8, &v, 8);
}

static int setup(void **state)
{
	*state = calloc(1, sizeof(struct guest));
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

/* Translation expected to succeed. */
static uint64_t xlate(struct guest *g, const struct gwalk_regs *r, uint64_t gva,
		      enum gwalk_access acc)
{
	uint64_t gpa = 0;
	uint32_t pf = 0xdead;
	int rc = gwalk(r, gva, acc, read_gpa, g, &gpa, &pf);

	if (rc != 0)
		fail_msg("gva %#llx acc %d: rc %d pf %#x", (unsigned long long)gva,
			 acc, rc, pf);
	assert_int_equal(pf, 0);
	return gpa;
}

/* Page fault expected; returns the error code. */
static uint32_t pfault(struct guest *g, const struct gwalk_regs *r, uint64_t gva,
		       enum gwalk_access acc)
{
	uint64_t gpa = 0;
	uint32_t pf = 0;
	int rc = gwalk(r, gva, acc, read_gpa, g, &gpa, &pf);

	if (rc != -E_NOENT)
		fail_msg("gva %#llx acc %d: rc %d, expected a page fault",
			 (unsigned long long)gva, acc, rc);
	return pf;
}

static int walk_rc(struct guest *g, const struct gwalk_regs *r, uint64_t gva)
{
	uint64_t gpa;
	uint32_t pf;

	return gwalk(r, gva, GW_READ, read_gpa, g, &gpa, &pf);
}

/* ------------------------------------------------------------ modes */

static const struct gwalk_regs regs_32 = {
	.cr0 = GW_CR0_PG | GW_CR0_WP, .cr3 = 0x1000, .cr4 = GW_CR4_PSE,
};

/* PD 0x1000; PD[1] -> PT 0x2000; PT[1] -> 0x5000 (gva 0x401000);
 * PD[2] 4 MiB page at 0x3_01c00000 (PSE-36); PD[1023] -> PT 0x3000,
 * PT[1023] -> 0x6000 (gva 0xfffff000); PD[0] -> PT 0x4000, PT[0] -> 0x7000. */
static void build_32(struct guest *g)
{
	put32(g, 0x1000, 1, 0x2000 | ALL);
	put32(g, 0x2000, 1, 0x5000 | ALL);
	put32(g, 0x1000, 2, 0x01c00000 | (0x3 << 13) | PS | ALL);
	put32(g, 0x1000, 1023, 0x3000 | ALL);
	put32(g, 0x3000, 1023, 0x6000 | ALL);
	put32(g, 0x1000, 0, 0x4000 | ALL);
	put32(g, 0x4000, 0, 0x7000 | ALL);
}

static void test_paging_off(void **state)
{
	struct guest *g = *state;
	struct gwalk_regs r = { .cr0 = 0 };

	assert_int_equal(xlate(g, &r, 0x12345678, GW_WRITE), 0x12345678);
	assert_int_equal(xlate(g, &r, 0x1ffffffffULL, GW_FETCH), 0xffffffff);
	assert_int_equal(g->reads, 0);
	r.efer = GW_EFER_LMA;	/* long mode needs paging */
	assert_int_equal(walk_rc(g, &r, 0), -E_INVAL);
}

static void test_32bit(void **state)
{
	struct guest *g = *state;
	struct gwalk_regs r = regs_32;

	build_32(g);
	assert_int_equal(xlate(g, &r, 0x401abc, GW_READ), 0x5abc);
	assert_int_equal(xlate(g, &r, 0xfffff123, GW_WRITE), 0x6123);
	/* only the low 32 bits of a linear address count */
	assert_int_equal(xlate(g, &r, 0x100401abcULL, GW_READ), 0x5abc);
	/* 4 MiB page with PSE-36 address bits */
	assert_int_equal(xlate(g, &r, 0x00912345, GW_READ), 0x301d12345ULL);
	/* bit 21 is reserved in a 4 MiB PDE */
	put32(g, 0x1000, 3, 0x00c00000 | (1 << 21) | PS | ALL);
	assert_int_equal(pfault(g, &r, 0x00c00000, GW_READ), GW_PF_P | GW_PF_RSVD);
	/* PSE-36 bits beyond MAXPHYADDR are reserved */
	r.maxphyaddr = 33;
	assert_int_equal(pfault(g, &r, 0x00912345, GW_READ), GW_PF_P | GW_PF_RSVD);
	r.maxphyaddr = 34;
	assert_int_equal(xlate(g, &r, 0x00912345, GW_READ), 0x301d12345ULL);
	/* Without CR4.PSE the PS bit is ignored: 0x01c03000 is read as a
	 * page table, which is not guest RAM here. */
	r.cr4 = 0;
	assert_int_equal(walk_rc(g, &r, 0x00912345), -E_FAULT);
	/* XD does not exist: a fetch fault has no I/D bit without SMEP */
	r = regs_32;
	put32(g, 0x2000, 2, 0x5000 | P | RW);
	assert_int_equal(xlate(g, &r, 0x402000, GW_FETCH), 0x5000);
	r.cpl = 3;
	assert_int_equal(pfault(g, &r, 0x402000, GW_FETCH), GW_PF_P | GW_PF_U);
	r.cpl = 0;
	r.cr4 |= GW_CR4_SMEP;
	assert_int_equal(pfault(g, &r, 0x401000, GW_FETCH), GW_PF_P | GW_PF_ID);
}

static void test_32bit_not_present(void **state)
{
	struct guest *g = *state;
	struct gwalk_regs r = regs_32;

	build_32(g);
	assert_int_equal(pfault(g, &r, 0x00c00000, GW_READ), 0);	/* PDE */
	assert_int_equal(pfault(g, &r, 0x00402000, GW_WRITE), GW_PF_W);	/* PTE */
	r.cpl = 3;
	assert_int_equal(pfault(g, &r, 0x00402000, GW_WRITE), GW_PF_W | GW_PF_U);
}

static const struct gwalk_regs regs_pae = {
	.cr0 = GW_CR0_PG | GW_CR0_WP, .cr3 = 0x1020, .cr4 = GW_CR4_PAE,
	.efer = GW_EFER_NXE,
};

/* PDPT at 0x1020 (32-byte aligned); PDPT[0] -> PD 0x2000; PD[2] -> PT
 * 0x3000; PT[1] -> 0x7000 (gva 0x401000); PD[3] 2 MiB page at 0x40000000;
 * PDPT[3] -> PD 0x4000, PD[511] -> PT 0x5000, PT[511] -> 0x8000. */
static void build_pae(struct guest *g)
{
	put64(g, 0x1020, 0, 0x2000 | P);
	put64(g, 0x2000, 2, 0x3000 | ALL);
	put64(g, 0x3000, 1, 0x7000 | ALL);
	put64(g, 0x2000, 3, 0x40000000 | PS | ALL);
	put64(g, 0x1020, 3, 0x4000 | P);
	put64(g, 0x4000, 511, 0x5000 | ALL);
	put64(g, 0x5000, 511, 0x8000 | ALL);
}

static void test_pae(void **state)
{
	struct guest *g = *state;
	struct gwalk_regs r = regs_pae;

	build_pae(g);
	assert_int_equal(xlate(g, &r, 0x401abc, GW_READ), 0x7abc);
	assert_int_equal(xlate(g, &r, 0x6bcdef, GW_WRITE), 0x400bcdef);
	assert_int_equal(xlate(g, &r, 0xffffffff, GW_FETCH), 0x8fff);
	/* PDPTE not present */
	assert_int_equal(pfault(g, &r, 0x40000000, GW_READ), 0);
	/* PDPTE reserved bits: R/W (bit 1) is reserved in PAE PDPTEs */
	put64(g, 0x1020, 1, 0x2000 | P | RW);
	assert_int_equal(pfault(g, &r, 0x40000000, GW_READ), GW_PF_P | GW_PF_RSVD);
	put64(g, 0x1020, 1, 0x2000 | P | XD);
	assert_int_equal(pfault(g, &r, 0x40000000, GW_READ), GW_PF_P | GW_PF_RSVD);
	/* 2 MiB page: bits 20:13 reserved */
	put64(g, 0x2000, 4, 0x40200000 | (1 << 13) | PS | ALL);
	assert_int_equal(pfault(g, &r, 0x800000, GW_READ), GW_PF_P | GW_PF_RSVD);
	/* bits 62:MAXPHYADDR reserved in PAE (not only 51:M) */
	put64(g, 0x3000, 2, 0x7000 | (1ULL << 55) | ALL);
	assert_int_equal(pfault(g, &r, 0x402000, GW_READ), GW_PF_P | GW_PF_RSVD);
	put64(g, 0x3000, 2, 0x7000 | (1ULL << 40) | ALL);
	r.maxphyaddr = 40;
	assert_int_equal(pfault(g, &r, 0x402000, GW_READ), GW_PF_P | GW_PF_RSVD);
	r.maxphyaddr = 41;
	assert_int_equal(xlate(g, &r, 0x402000, GW_READ), 0x10000007000ULL);
	/* NX: a fetch faults with I/D, a read does not */
	put64(g, 0x3000, 3, 0x7000 | XD | ALL);
	assert_int_equal(xlate(g, &r, 0x403000, GW_READ), 0x7000);
	assert_int_equal(pfault(g, &r, 0x403000, GW_FETCH), GW_PF_P | GW_PF_ID);
	/* Without EFER.NXE, XD is a reserved bit and I/D is never set. */
	r.efer = 0;
	assert_int_equal(pfault(g, &r, 0x403000, GW_READ), GW_PF_P | GW_PF_RSVD);
	assert_int_equal(pfault(g, &r, 0x403000, GW_FETCH), GW_PF_P | GW_PF_RSVD);
	assert_int_equal(xlate(g, &r, 0x401000, GW_FETCH), 0x7000);
	assert_int_equal(pfault(g, &r, 0x404000, GW_FETCH), 0);
}

static const struct gwalk_regs regs_64 = {
	.cr0 = GW_CR0_PG | GW_CR0_WP, .cr3 = 0x1000, .cr4 = GW_CR4_PAE,
	.efer = GW_EFER_LMA | GW_EFER_NXE, .maxphyaddr = 39,
};

/* PML4 0x1000; [0] -> PDPT 0x2000; [0] -> PD 0x3000; [0] -> PT 0x4000;
 * PT[5] -> 0x9000 (gva 0x5000), PT[6] -> 0xa000 (gva 0x6000).
 * PDPT[3]: 1 GiB page at 0x40000000; PD[1]: 2 MiB page at 0xe00000.
 * PML4[511] -> PDPT 0x5000, [511] -> PD 0x6000, [511] -> PT 0x7000,
 * [511] -> 0xb000 (gva 0xfffffffffffff000). */
static void build_64(struct guest *g)
{
	put64(g, 0x1000, 0, 0x2000 | ALL);
	put64(g, 0x2000, 0, 0x3000 | ALL);
	put64(g, 0x3000, 0, 0x4000 | ALL);
	put64(g, 0x4000, 5, 0x9000 | ALL);
	put64(g, 0x4000, 6, 0xa000 | ALL);
	put64(g, 0x2000, 3, 0x40000000 | PS | ALL);
	put64(g, 0x3000, 1, 0xe00000 | PS | ALL);
	put64(g, 0x1000, 511, 0x5000 | ALL);
	put64(g, 0x5000, 511, 0x6000 | ALL);
	put64(g, 0x6000, 511, 0x7000 | ALL);
	put64(g, 0x7000, 511, 0xb000 | ALL);
}

static void test_4level(void **state)
{
	struct guest *g = *state;
	struct gwalk_regs r = regs_64;

	build_64(g);
	assert_int_equal(xlate(g, &r, 0x5123, GW_READ), 0x9123);
	assert_int_equal(g->reads, 4);
	assert_int_equal(xlate(g, &r, 0x6fff, GW_WRITE), 0xafff);
	assert_int_equal(xlate(g, &r, 0xfffffffffffff00fULL, GW_FETCH), 0xb00f);
	/* 1 GiB and 2 MiB pages */
	assert_int_equal(xlate(g, &r, 0xc1234567, GW_READ), 0x41234567);
	assert_int_equal(xlate(g, &r, 0x3fedcb, GW_READ), 0xffedcb);
	/* PCID bits in CR3 are not part of the address */
	r.cr3 = 0x1000 | 0x123;
	assert_int_equal(xlate(g, &r, 0x5123, GW_READ), 0x9123);
	/* non-canonical: #GP, not #PF; LA57 unsupported; LMA needs PAE */
	assert_int_equal(walk_rc(g, &r, 0x0000800000000000ULL), -E_RANGE);
	assert_int_equal(walk_rc(g, &r, 0xffff7fffffffffffULL), -E_RANGE);
	r.cr4 |= GW_CR4_LA57;
	assert_int_equal(walk_rc(g, &r, 0x5000), -E_NOTSUP);
	r.cr4 = 0;
	assert_int_equal(walk_rc(g, &r, 0x5000), -E_INVAL);
}

static void test_4level_faults(void **state)
{
	struct guest *g = *state;
	struct gwalk_regs r = regs_64;

	build_64(g);
	/* not present at each level */
	assert_int_equal(pfault(g, &r, 0x0000008000000000ULL, GW_READ), 0);
	assert_int_equal(pfault(g, &r, 0x0000000040000000ULL, GW_WRITE), GW_PF_W);
	assert_int_equal(pfault(g, &r, 0x0000000000400000ULL, GW_READ), 0);
	r.cpl = 3;
	assert_int_equal(pfault(g, &r, 0x7000, GW_FETCH), GW_PF_U | GW_PF_ID);
	r.cpl = 0;
	/* reserved: PS in a PML4E, bit above MAXPHYADDR, large-page bits */
	put64(g, 0x1000, 1, 0x2000 | PS | ALL);
	assert_int_equal(pfault(g, &r, 0x0000008000000000ULL, GW_READ), GW_PF_P | GW_PF_RSVD);
	put64(g, 0x4000, 7, 0x9000 | (1ULL << 39) | ALL);
	assert_int_equal(pfault(g, &r, 0x7000, GW_WRITE), GW_PF_P | GW_PF_RSVD | GW_PF_W);
	put64(g, 0x4000, 7, 0x9000 | (1ULL << 52) | ALL);	/* ignored bit */
	assert_int_equal(xlate(g, &r, 0x7000, GW_WRITE), 0x9000);
	put64(g, 0x2000, 4, 0x100000000ULL | (1ULL << 29) | PS | ALL);
	assert_int_equal(pfault(g, &r, 0x100000000ULL, GW_READ), GW_PF_P | GW_PF_RSVD);
	put64(g, 0x3000, 2, 0x400000 | (1ULL << 20) | PS | ALL);
	assert_int_equal(pfault(g, &r, 0x400000, GW_READ), GW_PF_P | GW_PF_RSVD);
	/* A reserved bit is not checked in a not-present entry. */
	put64(g, 0x3000, 3, 0x600000 | (1ULL << 20) | PS);
	assert_int_equal(pfault(g, &r, 0x600000, GW_READ), 0);
	/* XD without NXE is reserved; with NXE it stops fetches only */
	put64(g, 0x4000, 8, 0x9000 | XD | ALL);
	assert_int_equal(pfault(g, &r, 0x8000, GW_FETCH), GW_PF_P | GW_PF_ID);
	assert_int_equal(xlate(g, &r, 0x8000, GW_WRITE), 0x9000);
	r.efer &= ~GW_EFER_NXE;
	assert_int_equal(pfault(g, &r, 0x8000, GW_READ), GW_PF_P | GW_PF_RSVD);
	/* XD at a higher level applies to the whole range */
	r.efer |= GW_EFER_NXE;
	put64(g, 0x2000, 0, 0x3000 | XD | ALL);
	assert_int_equal(pfault(g, &r, 0x5000, GW_FETCH), GW_PF_P | GW_PF_ID);
	assert_int_equal(xlate(g, &r, 0xc0000000, GW_FETCH), 0x40000000);
}

/* SDM 4.6: R/W, U/S and CR0.WP, for supervisor and user accesses. */
static void test_protection(void **state)
{
	struct guest *g = *state;
	struct gwalk_regs r = regs_64;

	build_64(g);
	put64(g, 0x4000, 7, 0x9000 | P | US);		/* user, read-only */
	put64(g, 0x4000, 8, 0x9000 | P | RW);		/* supervisor */
	put64(g, 0x3000, 4, 0x4000 | P | US);		/* RO PDE over a RW PTE */
	put64(g, 0x4000, 9, 0x9000 | ALL);

	/* supervisor write to read-only: faults with WP, not without */
	assert_int_equal(pfault(g, &r, 0x7000, GW_WRITE), GW_PF_P | GW_PF_W);
	assert_int_equal(pfault(g, &r, 0x809000, GW_WRITE), GW_PF_P | GW_PF_W);
	r.cr0 &= ~GW_CR0_WP;
	assert_int_equal(xlate(g, &r, 0x7000, GW_WRITE), 0x9000);
	/* user write to read-only faults whatever WP says */
	r.cpl = 3;
	assert_int_equal(pfault(g, &r, 0x7000, GW_WRITE), GW_PF_P | GW_PF_W | GW_PF_U);
	assert_int_equal(xlate(g, &r, 0x7000, GW_READ), 0x9000);
	assert_int_equal(pfault(g, &r, 0x809000, GW_WRITE), GW_PF_P | GW_PF_W | GW_PF_U);
	assert_int_equal(xlate(g, &r, 0x809000, GW_READ), 0x9000);
	/* user access to a supervisor page */
	assert_int_equal(pfault(g, &r, 0x8000, GW_READ), GW_PF_P | GW_PF_U);
	assert_int_equal(pfault(g, &r, 0x8000, GW_WRITE), GW_PF_P | GW_PF_U | GW_PF_W);
	assert_int_equal(pfault(g, &r, 0x8000, GW_FETCH), GW_PF_P | GW_PF_U | GW_PF_ID);
	/* supervisor reads user pages; SMEP stops its fetches from them */
	r.cpl = 0;
	assert_int_equal(xlate(g, &r, 0x7000, GW_READ), 0x9000);
	assert_int_equal(xlate(g, &r, 0x7000, GW_FETCH), 0x9000);
	r.cr4 |= GW_CR4_SMEP;
	assert_int_equal(pfault(g, &r, 0x7000, GW_FETCH), GW_PF_P | GW_PF_ID);
	assert_int_equal(xlate(g, &r, 0x8000, GW_FETCH), 0x9000);
	/* CPL 1 and 2 are supervisor */
	r.cpl = 2;
	assert_int_equal(xlate(g, &r, 0x8000, GW_WRITE), 0x9000);
}

/* Every read goes through the callback; A/D bits are never written. */
static void test_unreadable_tables(void **state)
{
	struct guest *g = *state;
	struct gwalk_regs r = regs_64;
	static uint8_t before[MEM_SIZE];

	build_64(g);
	memcpy(before, g->mem, MEM_SIZE);
	assert_int_equal(xlate(g, &r, 0x5000, GW_WRITE), 0x9000);
	assert_memory_equal(before, g->mem, MEM_SIZE);
	r.cr3 = 0x7ffff000;		/* outside guest RAM */
	assert_int_equal(walk_rc(g, &r, 0x5000), -E_FAULT);
	r = regs_64;
	put64(g, 0x3000, 5, 0x40000000 | ALL);	/* PD -> PT outside RAM */
	assert_int_equal(walk_rc(g, &r, 0xa00000), -E_FAULT);
	r = regs_pae;
	r.cr3 = MEM_SIZE;		/* PDPT just past the end of RAM */
	assert_int_equal(walk_rc(g, &r, 0), -E_FAULT);
	r = regs_32;
	r.cr3 = 0xfffff000;
	assert_int_equal(walk_rc(g, &r, 0), -E_FAULT);
}

/* ------------------------------------------------------------ gwalk_read */

static void test_read_across_pages(void **state)
{
	struct guest *g = *state;
	struct gwalk_regs r = regs_64;
	uint8_t buf[16], want[16];
	uint32_t pf;
	uint64_t fault;

	build_64(g);
	for (unsigned i = 0; i < 8; i++) {
		g->mem[0x9ff8 + i] = (uint8_t)(0x10 + i);
		g->mem[0xa000 + i] = (uint8_t)(0x20 + i);
		want[i] = (uint8_t)(0x10 + i);
		want[8 + i] = (uint8_t)(0x20 + i);
	}
	assert_int_equal(gwalk_read(&r, 0x5ff8, buf, 16, GW_FETCH, read_gpa, g,
				    &pf, &fault), 0);
	assert_memory_equal(buf, want, 16);
	assert_int_equal(gwalk_read(&r, 0x5ff8, buf, 0, GW_FETCH, read_gpa, g,
				    &pf, &fault), 0);
	/* second page not present: CR2 is its first byte */
	assert_int_equal(gwalk_read(&r, 0x6ff8, buf, 15, GW_FETCH, read_gpa, g,
				    &pf, &fault), -E_NOENT);
	assert_int_equal(fault, 0x7000);
	assert_int_equal(pf, GW_PF_ID);
	/* data page outside RAM */
	put64(g, 0x4000, 7, 0x200000 | ALL);
	assert_int_equal(gwalk_read(&r, 0x6ffc, buf, 8, GW_READ, read_gpa, g,
				    &pf, &fault), -E_FAULT);
	assert_int_equal(fault, 0x7000);
	/* crossing from the top of the lower half into the non-canonical
	 * hole: #GP, reported as -E_RANGE at the first non-canonical byte */
	put64(g, 0x1000, 255, 0x5000 | ALL);
	assert_int_equal(gwalk_read(&r, 0x00007ffffffffffcULL, buf, 8, GW_READ,
				    read_gpa, g, &pf, &fault), -E_RANGE);
	assert_int_equal(fault, 0x0000800000000000ULL);
	assert_int_equal(buf[0], g->mem[0xbffc]);
}

/* 32-bit linear addresses wrap from 0xffffffff to 0. */
static void test_read_wraps_32(void **state)
{
	struct guest *g = *state;
	struct gwalk_regs r = regs_32;
	uint8_t buf[4];
	uint32_t pf;
	uint64_t fault;

	build_32(g);
	g->mem[0x6ffe] = 0xaa;
	g->mem[0x6fff] = 0xbb;
	g->mem[0x7000] = 0xcc;
	g->mem[0x7001] = 0xdd;
	assert_int_equal(gwalk_read(&r, 0xfffffffe, buf, 4, GW_READ, read_gpa, g,
				    &pf, &fault), 0);
	assert_int_equal(buf[0], 0xaa);
	assert_int_equal(buf[3], 0xdd);
	/* user read of a page mapped supervisor-only in the middle */
	put32(g, 0x4000, 0, 0x7000 | P | RW);
	r.cpl = 3;
	assert_int_equal(gwalk_read(&r, 0xfffffffe, buf, 4, GW_READ, read_gpa, g,
				    &pf, &fault), -E_NOENT);
	assert_int_equal(fault, 0);
	assert_int_equal(pf, GW_PF_P | GW_PF_U);
}

/* Random tables and registers: no crash, no read outside the callback. */
static void test_fuzz(void **state)
{
	struct guest *g = *state;

	for (unsigned iter = 0; iter < 20000; iter++) {
		struct gwalk_regs r = {
			.cr0 = rng(), .cr3 = rng_below(MEM_SIZE * 2), .cr4 = rng(),
			.efer = rng(), .cpl = (unsigned)rng_below(4),
			.maxphyaddr = (unsigned)rng_below(70),
		};
		uint8_t buf[15];
		uint64_t gpa, fault;
		uint32_t pf;
		int rc;

		if (iter % 256 == 0) {
			for (size_t i = 0; i < MEM_SIZE / 8; i++) {
				uint64_t v = rng_below(4) ? rng_below(MEM_SIZE) | ALL : rng();
				memcpy(g->mem + i * 8, &v, 8);
			}
		}
		rc = gwalk(&r, rng(), (enum gwalk_access)rng_below(3), read_gpa, g,
			   &gpa, &pf);
		assert_true(rc == 0 || rc == -E_NOENT || rc == -E_FAULT ||
			    rc == -E_RANGE || rc == -E_NOTSUP || rc == -E_INVAL);
		assert_true(rc == -E_NOENT || pf == 0);
		rc = gwalk_read(&r, rng(), buf, rng_below(sizeof(buf) + 1), GW_FETCH,
				read_gpa, g, &pf, &fault);
		assert_true(rc <= 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_paging_off, setup, teardown),
		cmocka_unit_test_setup_teardown(test_32bit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_32bit_not_present, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pae, setup, teardown),
		cmocka_unit_test_setup_teardown(test_4level, setup, teardown),
		cmocka_unit_test_setup_teardown(test_4level_faults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_protection, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unreadable_tables, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_across_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_wraps_32, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fuzz, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
