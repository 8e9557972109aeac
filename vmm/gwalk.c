/*
 * Guest page-table walker (see vmm/gwalk.h). Owns the translation of guest
 * linear addresses through the guest's own paging structures, the SDM 4.6
 * access-rights check and the SDM 4.7 page-fault error code.
 *
 * One table-driven loop serves every paging mode: each mode is a list of
 * levels (which linear-address bits index the level, whether PS=1 maps a
 * page there), and per-mode differences in entry size, address bits and
 * reserved bits are small helpers. Every entry is read through the caller's
 * callback; nothing a guest writes into its tables is trusted.
 */
#include "vmm/gwalk.h"
#include "kernel/errno.h"

#define ENTRY_ADDR_MASK		0x000ffffffffff000ULL	/* bits 51:12 */
#define LEGACY_ADDR_MASK	0xfffff000ULL		/* 32-bit paging, 31:12 */
#define PAE_CR3_MASK		0xffffffe0ULL		/* PDPT is 32-byte aligned */
#define LEGACY_LINEAR_MASK	0xffffffffULL
#define PAGE_OFFSET_MASK	(PAGE_SIZE - 1)

/* A PS=1 entry keeps PAT in bit 12; bits from 13 up to the page size are
 * reserved (SDM tables 4-8, 4-15, 4-17), except in 32-bit paging where
 * PSE-36 puts physical-address bits 39:32 in entry bits 20:13 (table 4-4). */
#define LARGE_RSVD_LOW		13
#define PSE36_SHIFT		13
#define PSE36_MASK		0xffULL
#define PSE36_ADDR_SHIFT	32
#define PSE36_MAX_PHYS		40
#define PSE_4M_BIT21		(1ULL << 21)
#define PSE_4M_ADDR_MASK	0xffc00000ULL

/* PAE PDPTE bits 2:1 and 8:5 are reserved (SDM table 4-8). */
#define PAE_PDPTE_RSVD		((0x3ULL << 1) | (0xfULL << 5))
/* In PAE paging bits 62:MAXPHYADDR of PDEs and PTEs are reserved; in
 * 4-level paging only 51:MAXPHYADDR are (62:52 are ignored or keys). */
#define PAE_RSVD_TOP		63
#define LONG_RSVD_TOP		52

#define MAXPHYADDR_DEFAULT	52
#define MAXPHYADDR_MIN		32
#define LINEAR_BITS_4LEVEL	48
#define USER_CPL		3

enum pg_mode { PG_OFF, PG_32, PG_PAE, PG_4LEVEL };

/* Level flags. */
#define LV_LARGE	0x1	/* PS=1 maps a page here (32-bit: only with CR4.PSE) */
#define LV_PS_RSVD	0x2	/* PS is reserved (PML4E) */
#define LV_PDPTE	0x4	/* PAE PDPTE: no access rights, own reserved bits */

struct level {
	uint8_t shift;		/* lowest linear-address bit this level indexes */
	uint8_t index_bits;
	uint8_t flags;
};

#define MAX_LEVELS 4

struct mode_desc {
	uint8_t levels;
	uint8_t entry_size;
	struct level lv[MAX_LEVELS];
};

/* SDM figures 4-2, 4-5 and 4-8: how each mode splits a linear address. */
static const struct mode_desc mode_descs[] = {
	[PG_32] = { 2, 4, { { 22, 10, LV_LARGE }, { 12, 10, 0 } } },
	[PG_PAE] = { 3, 8, { { 30, 2, LV_PDPTE }, { 21, 9, LV_LARGE },
			     { 12, 9, 0 } } },
	[PG_4LEVEL] = { 4, 8, { { 39, 9, LV_PS_RSVD }, { 30, 9, LV_LARGE },
				{ 21, 9, LV_LARGE }, { 12, 9, 0 } } },
};

struct walk {
	const struct gwalk_regs *r;
	enum pg_mode mode;
	gwalk_read_fn read;
	void *ctx;
	unsigned maxphy;
	bool nxe;		/* XD bits are defined (not reserved) */
	/* Access rights, combined over the levels walked (SDM 4.6). */
	bool writable, user, nx;
	uint32_t fault;		/* GW_PF_P / GW_PF_RSVD of a failed walk */
};

/* Bits lo..hi-1 set; hi <= 63. */
static uint64_t bit_range(unsigned lo, unsigned hi)
{
	return ((1ULL << hi) - 1) & ~((1ULL << lo) - 1);
}

static int paging_mode(const struct gwalk_regs *r, enum pg_mode *mode)
{
	bool lma = r->efer & GW_EFER_LMA;

	if (!(r->cr0 & GW_CR0_PG))
		*mode = PG_OFF;
	else if (!(r->cr4 & GW_CR4_PAE))
		*mode = PG_32;
	else if (!lma)
		*mode = PG_PAE;
	else if (r->cr4 & GW_CR4_LA57)
		return -E_NOTSUP;
	else
		*mode = PG_4LEVEL;
	if (lma && *mode != PG_4LEVEL)
		return -E_INVAL;
	return 0;
}

static unsigned clamp_maxphy(unsigned m)
{
	if (m == 0 || m > MAXPHYADDR_DEFAULT)
		return MAXPHYADDR_DEFAULT;
	return MAX(m, MAXPHYADDR_MIN);
}

static uint64_t root_table(const struct walk *w)
{
	switch (w->mode) {
	case PG_32:
		return w->r->cr3 & LEGACY_ADDR_MASK;
	case PG_PAE:
		return w->r->cr3 & PAE_CR3_MASK;
	default:
		return w->r->cr3 & ENTRY_ADDR_MASK & ~bit_range(w->maxphy, 63);
	}
}

static int read_entry(struct walk *w, uint64_t addr, unsigned size, uint64_t *e)
{
	uint8_t b[sizeof(uint64_t)];
	uint64_t v = 0;

	if (w->read(w->ctx, addr, b, size) < 0)
		return -E_FAULT;
	for (unsigned i = size; i > 0; i--)
		v = (v << 8) | b[i - 1];
	*e = v;
	return 0;
}

static bool maps_page(const struct walk *w, const struct level *lv, uint64_t e)
{
	if (!(lv->flags & LV_LARGE) || !(e & GW_PTE_PS))
		return false;
	return w->mode != PG_32 || (w->r->cr4 & GW_CR4_PSE);
}

/* Reserved bits of a 4 MiB PDE: bit 21 and the PSE-36 address bits at or
 * above MAXPHYADDR (capped at 40 bits, SDM 4.3). */
static uint64_t pse_rsvd(const struct walk *w)
{
	unsigned phys = MIN(w->maxphy, PSE36_MAX_PHYS);

	return PSE_4M_BIT21 |
	       bit_range(PSE36_SHIFT + phys - PSE36_ADDR_SHIFT, 21);
}

static uint64_t rsvd_mask(const struct walk *w, const struct level *lv,
			  bool large)
{
	uint64_t m;

	if (w->mode == PG_32)
		return large ? pse_rsvd(w) : 0;
	m = bit_range(w->maxphy,
		      w->mode == PG_PAE ? PAE_RSVD_TOP : LONG_RSVD_TOP);
	if (!w->nxe || (lv->flags & LV_PDPTE))
		m |= GW_PTE_XD;
	if (lv->flags & LV_PDPTE)
		m |= PAE_PDPTE_RSVD;
	if (lv->flags & LV_PS_RSVD)
		m |= GW_PTE_PS;
	if (large)
		m |= bit_range(LARGE_RSVD_LOW, lv->shift);
	return m;
}

static void combine_rights(struct walk *w, const struct level *lv, uint64_t e)
{
	if (lv->flags & LV_PDPTE)
		return;
	w->writable = w->writable && (e & GW_PTE_RW);
	w->user = w->user && (e & GW_PTE_US);
	if (w->nxe && (e & GW_PTE_XD))
		w->nx = true;
}

/* Physical frame an entry points at: the next table, or a page of
 * 2^lv->shift bytes when large. */
static uint64_t entry_frame(const struct walk *w, const struct level *lv,
			    uint64_t e, bool large)
{
	if (w->mode != PG_32)
		return e & ENTRY_ADDR_MASK &
		       ~bit_range(0, large ? lv->shift : PAGE_SHIFT);
	if (!large)
		return e & LEGACY_ADDR_MASK;
	return (e & PSE_4M_ADDR_MASK) |
	       (((e >> PSE36_SHIFT) & PSE36_MASK) << PSE36_ADDR_SHIFT);
}

static int walk_tables(struct walk *w, uint64_t gva, uint64_t *gpa)
{
	const struct mode_desc *md = &mode_descs[w->mode];
	uint64_t table = root_table(w);

	for (unsigned i = 0; i < md->levels; i++) {
		const struct level *lv = &md->lv[i];
		uint64_t idx = (gva >> lv->shift) & bit_range(0, lv->index_bits);
		bool large, leaf;
		uint64_t e;

		if (read_entry(w, table + idx * md->entry_size, md->entry_size, &e))
			return -E_FAULT;
		if (!(e & GW_PTE_P))
			return -E_NOENT;
		large = maps_page(w, lv, e);
		leaf = large || i + 1 == md->levels;
		if (e & rsvd_mask(w, lv, large)) {
			w->fault = GW_PF_P | GW_PF_RSVD;
			return -E_NOENT;
		}
		combine_rights(w, lv, e);
		table = entry_frame(w, lv, e, large);
		if (leaf) {
			*gpa = table | (gva & bit_range(0, lv->shift));
			return 0;
		}
	}
	return -E_INVAL;	/* not reached: the last level is a leaf */
}

/* SDM 4.6: may an access of this kind use the rights collected? */
static bool access_allowed(const struct walk *w, enum gwalk_access acc)
{
	bool user_mode = w->r->cpl == USER_CPL;

	if (user_mode && !w->user)
		return false;
	switch (acc) {
	case GW_WRITE:
		return w->writable || (!user_mode && !(w->r->cr0 & GW_CR0_WP));
	case GW_FETCH:
		if (w->nx)
			return false;
		return user_mode || !w->user || !(w->r->cr4 & GW_CR4_SMEP);
	default:
		return true;	/* SMAP would need RFLAGS.AC: not modelled */
	}
}

/* The W, U and I/D bits describe the access, whatever went wrong. */
static uint32_t access_bits(const struct walk *w, enum gwalk_access acc)
{
	uint32_t pf = 0;

	if (acc == GW_WRITE)
		pf |= GW_PF_W;
	if (w->r->cpl == USER_CPL)
		pf |= GW_PF_U;
	if (acc == GW_FETCH && (w->nxe || (w->r->cr4 & GW_CR4_SMEP)))
		pf |= GW_PF_ID;
	return pf;
}

static bool canonical(uint64_t gva)
{
	unsigned unused = 64 - LINEAR_BITS_4LEVEL;

	return (uint64_t)((int64_t)(gva << unused) >> unused) == gva;
}

int gwalk(const struct gwalk_regs *r, uint64_t gva, enum gwalk_access acc,
	  gwalk_read_fn read_gpa, void *ctx, uint64_t *gpa, uint32_t *pf_error)
{
	struct walk w = {
		.r = r, .read = read_gpa, .ctx = ctx,
		.maxphy = clamp_maxphy(r->maxphyaddr),
		.writable = true, .user = true,
	};
	int rc = paging_mode(r, &w.mode);

	*pf_error = 0;
	if (rc)
		return rc;
	if (w.mode == PG_OFF) {
		*gpa = gva & LEGACY_LINEAR_MASK;
		return 0;
	}
	if (w.mode == PG_4LEVEL && !canonical(gva))
		return -E_RANGE;
	if (w.mode != PG_4LEVEL)
		gva &= LEGACY_LINEAR_MASK;
	w.nxe = w.mode != PG_32 && (r->efer & GW_EFER_NXE);
	rc = walk_tables(&w, gva, gpa);
	if (rc == 0 && !access_allowed(&w, acc)) {
		w.fault = GW_PF_P;
		rc = -E_NOENT;
	}
	if (rc == -E_NOENT)
		*pf_error = w.fault | access_bits(&w, acc);
	return rc;
}

int gwalk_read(const struct gwalk_regs *r, uint64_t gva, void *buf, size_t len,
	       enum gwalk_access acc, gwalk_read_fn read_gpa, void *ctx,
	       uint32_t *pf_error, uint64_t *fault_gva)
{
	uint8_t *out = buf;
	enum pg_mode mode;
	int rc = paging_mode(r, &mode);

	*pf_error = 0;
	*fault_gva = gva;
	if (rc)
		return rc;
	for (size_t done = 0; done < len;) {
		uint64_t la = gva + done, gpa;
		size_t chunk;

		if (mode != PG_4LEVEL)
			la &= LEGACY_LINEAR_MASK;
		chunk = MIN(len - done, PAGE_SIZE - (la & PAGE_OFFSET_MASK));
		*fault_gva = la;
		rc = gwalk(r, la, acc, read_gpa, ctx, &gpa, pf_error);
		if (rc)
			return rc;
		if (read_gpa(ctx, gpa, out + done, chunk) < 0)
			return -E_FAULT;
		done += chunk;
	}
	return 0;
}
