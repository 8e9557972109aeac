/*
 * MMIO instruction decoder and emulator (see vmm/insn.h). Owns the x86
 * encodings it accepts, the ALU and its status flags, and the partial
 * register rules of the general registers.
 *
 * Decoding is table-driven: one descriptor per opcode of the one- and
 * two-byte maps says what the instruction does and which operands follow;
 * opcodes without a descriptor are unsupported. Encodings follow the Intel
 * SDM Vol. 2 chapter 2 (prefixes 2.1.1, REX 2.2.1, ModRM/SIB tables 2-1 to
 * 2-3) and the flag definitions of Vol. 1 3.4.3 and appendix A.
 */
#include "vmm/insn.h"
#include "kernel/errno.h"

/* Legacy prefixes (SDM Vol. 2 2.1.1). */
#define PFX_OPSIZE	0x66
#define PFX_ADDRSIZE	0x67
#define PFX_LOCK	0xf0
#define PFX_REPNE	0xf2
#define PFX_REP		0xf3
#define PFX_ES		0x26
#define PFX_CS		0x2e
#define PFX_SS		0x36
#define PFX_DS		0x3e
#define PFX_FS		0x64
#define PFX_GS		0x65

/* REX (SDM Vol. 2 2.2.1): 0100WRXB, 64-bit mode only. */
#define REX_MASK	0xf0
#define REX_BASE	0x40
#define REX_W		0x08
#define REX_R		0x04

#define OPCODE_ESCAPE	0x0f
#define OPCODE_MOVSXD	0x63

/* ModRM and SIB fields (SDM Vol. 2 tables 2-1 to 2-3). */
#define MODRM_MOD(b)	((b) >> 6)
#define MODRM_REG(b)	(((b) >> 3) & 7)
#define MODRM_RM(b)	((b) & 7)
#define SIB_BASE(b)	((b) & 7)
#define MOD_NO_DISP	0
#define MOD_DISP8	1
#define MOD_DISP_FULL	2
#define MOD_REGISTER	3
#define RM_SIB		4	/* 32/64-bit addressing: a SIB byte follows */
#define RM_DISP32	5	/* mod 0: disp32 (RIP-relative in 64-bit mode) */
#define SIB_NO_BASE	5	/* mod 0: no base register, disp32 */
#define RM16_DISP16	6	/* 16-bit addressing, mod 0: disp16 only */
#define REG_HIGH8_FIRST	4	/* without REX, 8-bit regs 4-7 are AH CH DH BH */
#define REG_HIGH8_LAST	7
#define HIGH8_SHIFT	8

#define AF_BIT		0x10	/* carry out of bit 3 */
#define BITS_PER_BYTE	8

enum insn_kind {
	K_NONE,
	K_STORE_REG,	/* mem = reg */
	K_STORE_IMM,	/* mem = imm */
	K_LOAD,		/* reg = mem */
	K_LOAD_ZX,	/* reg = zero-extended mem */
	K_LOAD_SX,	/* reg = sign-extended mem */
	K_ALU_MEM,	/* mem = mem op (reg or imm) */
	K_ALU_REG,	/* reg = reg op mem */
	K_STOS,		/* mem = rAX; rDI += +-size */
	K_NR_KINDS
};

/* ALU operations; 0-7 are the encodings of opcode bits 5:3 and of the
 * 80/81/83 ModRM.reg extension. */
enum insn_alu {
	ALU_ADD, ALU_OR, ALU_ADC, ALU_SBB, ALU_AND, ALU_SUB, ALU_XOR, ALU_CMP,
	ALU_TEST
};

enum imm_kind {
	IMM_NONE,
	IMM_8,		/* imm8 (byte operations) */
	IMM_8SX,	/* imm8 sign-extended to the operand size */
	IMM_Z,		/* imm16 or imm32, sign-extended to 64 bits */
	IMM_MOFFS	/* an address-size offset, no ModRM */
};

/* Descriptor flags. */
#define OD_MODRM	0x01	/* a ModRM memory operand follows */
#define OD_BYTE		0x02	/* 8-bit operands */
#define OD_EXT0		0x04	/* ModRM.reg is an extension that must be 0 */
#define OD_EXT_ALU	0x08	/* ModRM.reg selects the ALU operation */
#define OD_SRC16	0x10	/* MOVZX/MOVSX from 16 bits (else 8) */
#define OD_LONG_ONLY	0x20	/* exists only in 64-bit mode */

struct opdesc {
	uint8_t kind;
	uint8_t flags;
	uint8_t imm;
	uint8_t alu;
};

#define ALU_ROW(base, op) \
	[(base) + 0] = { K_ALU_MEM, OD_MODRM | OD_BYTE, IMM_NONE, op }, \
	[(base) + 1] = { K_ALU_MEM, OD_MODRM, IMM_NONE, op }, \
	[(base) + 2] = { K_ALU_REG, OD_MODRM | OD_BYTE, IMM_NONE, op }, \
	[(base) + 3] = { K_ALU_REG, OD_MODRM, IMM_NONE, op }

static const struct opdesc one_byte_map[256] = {
	ALU_ROW(0x00, ALU_ADD), ALU_ROW(0x08, ALU_OR),
	ALU_ROW(0x10, ALU_ADC), ALU_ROW(0x18, ALU_SBB),
	ALU_ROW(0x20, ALU_AND), ALU_ROW(0x28, ALU_SUB),
	ALU_ROW(0x30, ALU_XOR), ALU_ROW(0x38, ALU_CMP),
	[0x63] = { K_LOAD, OD_MODRM | OD_LONG_ONLY, IMM_NONE, 0 },
	[0x80] = { K_ALU_MEM, OD_MODRM | OD_BYTE | OD_EXT_ALU, IMM_8, 0 },
	[0x81] = { K_ALU_MEM, OD_MODRM | OD_EXT_ALU, IMM_Z, 0 },
	[0x83] = { K_ALU_MEM, OD_MODRM | OD_EXT_ALU, IMM_8SX, 0 },
	[0x84] = { K_ALU_MEM, OD_MODRM | OD_BYTE, IMM_NONE, ALU_TEST },
	[0x85] = { K_ALU_MEM, OD_MODRM, IMM_NONE, ALU_TEST },
	[0x88] = { K_STORE_REG, OD_MODRM | OD_BYTE, IMM_NONE, 0 },
	[0x89] = { K_STORE_REG, OD_MODRM, IMM_NONE, 0 },
	[0x8a] = { K_LOAD, OD_MODRM | OD_BYTE, IMM_NONE, 0 },
	[0x8b] = { K_LOAD, OD_MODRM, IMM_NONE, 0 },
	[0xa0] = { K_LOAD, OD_BYTE, IMM_MOFFS, 0 },
	[0xa1] = { K_LOAD, 0, IMM_MOFFS, 0 },
	[0xa2] = { K_STORE_REG, OD_BYTE, IMM_MOFFS, 0 },
	[0xa3] = { K_STORE_REG, 0, IMM_MOFFS, 0 },
	[0xaa] = { K_STOS, OD_BYTE, IMM_NONE, 0 },
	[0xab] = { K_STOS, 0, IMM_NONE, 0 },
	[0xc6] = { K_STORE_IMM, OD_MODRM | OD_BYTE | OD_EXT0, IMM_8, 0 },
	[0xc7] = { K_STORE_IMM, OD_MODRM | OD_EXT0, IMM_Z, 0 },
	[0xf6] = { K_ALU_MEM, OD_MODRM | OD_BYTE | OD_EXT0, IMM_8, ALU_TEST },
	[0xf7] = { K_ALU_MEM, OD_MODRM | OD_EXT0, IMM_Z, ALU_TEST },
};

static const struct opdesc two_byte_map[256] = {
	[0xb6] = { K_LOAD_ZX, OD_MODRM, IMM_NONE, 0 },
	[0xb7] = { K_LOAD_ZX, OD_MODRM | OD_SRC16, IMM_NONE, 0 },
	[0xbe] = { K_LOAD_SX, OD_MODRM, IMM_NONE, 0 },
	[0xbf] = { K_LOAD_SX, OD_MODRM | OD_SRC16, IMM_NONE, 0 },
};

struct prefixes {
	bool opsize, addrsize, lock, rep;
	bool has_rex;
	uint8_t rex;
};

struct cursor {
	const uint8_t *code;
	unsigned avail;
	unsigned pos;
};

/* ------------------------------------------------------------ decoding */

/* Little-endian n-byte value at the cursor. Running past INSN_MAX_LEN is an
 * invalid instruction; running past the bytes given means "need more". */
static int fetch(struct cursor *c, unsigned n, uint64_t *val)
{
	uint64_t v = 0;

	if (c->pos + n > INSN_MAX_LEN)
		return -E_INVAL;
	if (c->pos + n > c->avail)
		return -E_RANGE;
	for (unsigned i = n; i > 0; i--)
		v = (v << BITS_PER_BYTE) | c->code[c->pos + i - 1];
	c->pos += n;
	*val = v;
	return 0;
}

static int fetch_byte(struct cursor *c, uint8_t *b)
{
	uint64_t v;
	int rc = fetch(c, 1, &v);

	*b = (uint8_t)v;
	return rc;
}

static uint64_t size_mask(unsigned size)
{
	return size >= sizeof(uint64_t) ? ~0ULL :
	       (1ULL << (size * BITS_PER_BYTE)) - 1;
}

static uint64_t sign_bit(unsigned size)
{
	return 1ULL << (size * BITS_PER_BYTE - 1);
}

static uint64_t sign_extend(uint64_t v, unsigned from_size)
{
	v &= size_mask(from_size);
	return (v & sign_bit(from_size)) ? v | ~size_mask(from_size) : v;
}

static bool valid_mode(unsigned mode_bits)
{
	return mode_bits == 16 || mode_bits == 32 || mode_bits == 64;
}

static bool legacy_prefix(uint8_t b, struct prefixes *p)
{
	switch (b) {
	case PFX_OPSIZE:
		p->opsize = true;
		return true;
	case PFX_ADDRSIZE:
		p->addrsize = true;
		return true;
	case PFX_LOCK:
		p->lock = true;
		return true;
	case PFX_REP:
	case PFX_REPNE:
		p->rep = true;
		return true;
	case PFX_ES: case PFX_CS: case PFX_SS:
	case PFX_DS: case PFX_FS: case PFX_GS:
		return true;	/* the exit gives the address: no effect here */
	default:
		return false;
	}
}

/* Consumes prefixes and returns the first opcode byte. A REX prefix counts
 * only if it comes last, right before the opcode. */
static int read_prefixes(struct cursor *c, unsigned mode, struct prefixes *p,
			 uint8_t *op)
{
	for (;;) {
		uint8_t b;
		int rc = fetch_byte(c, &b);

		if (rc)
			return rc;
		if (mode == 64 && (b & REX_MASK) == REX_BASE) {
			p->has_rex = true;
			p->rex = b;
			continue;
		}
		if (!legacy_prefix(b, p)) {
			*op = b;
			return 0;
		}
		p->has_rex = false;
		p->rex = 0;
	}
}

static unsigned operand_size(unsigned mode, const struct prefixes *p)
{
	if (p->rex & REX_W)
		return 8;
	if (mode == 16)
		return p->opsize ? 4 : 2;
	return p->opsize ? 2 : 4;
}

static unsigned address_size(unsigned mode, const struct prefixes *p)
{
	if (mode == 64)
		return p->addrsize ? 4 : 8;
	if (mode == 32)
		return p->addrsize ? 2 : 4;
	return p->addrsize ? 4 : 2;
}

static int lookup(struct cursor *c, uint8_t op, const struct opdesc **d)
{
	const struct opdesc *map = one_byte_map;

	if (op == OPCODE_ESCAPE) {
		int rc = fetch_byte(c, &op);

		if (rc)
			return rc;
		map = two_byte_map;
	}
	*d = &map[op];
	return (*d)->kind == K_NONE ? -E_NOTSUP : 0;
}

/* Skips the SIB byte and displacement of a memory operand; only the length
 * matters, the address comes with the exit. */
static int skip_address(struct cursor *c, uint8_t modrm, unsigned addr_size)
{
	unsigned mod = MODRM_MOD(modrm), rm = MODRM_RM(modrm);
	unsigned full = addr_size == 2 ? 2 : 4;
	unsigned disp = mod == MOD_DISP8 ? 1 : mod == MOD_DISP_FULL ? full : 0;
	uint64_t ignored;
	uint8_t sib;
	int rc;

	if (addr_size == 2) {
		if (mod == MOD_NO_DISP && rm == RM16_DISP16)
			disp = full;
	} else if (rm == RM_SIB) {
		rc = fetch_byte(c, &sib);
		if (rc)
			return rc;
		if (mod == MOD_NO_DISP && SIB_BASE(sib) == SIB_NO_BASE)
			disp = full;
	} else if (mod == MOD_NO_DISP && rm == RM_DISP32) {
		disp = full;
	}
	return disp ? fetch(c, disp, &ignored) : 0;
}

static int decode_modrm(struct cursor *c, const struct opdesc *d,
			const struct prefixes *p, struct insn *out)
{
	uint8_t modrm;
	unsigned ext;
	int rc = fetch_byte(c, &modrm);

	if (rc)
		return rc;
	if (MODRM_MOD(modrm) == MOD_REGISTER)
		return -E_NOTSUP;	/* no memory operand: cannot be MMIO */
	ext = MODRM_REG(modrm);
	if ((d->flags & OD_EXT0) && ext != 0)
		return -E_NOTSUP;
	if (d->flags & OD_EXT_ALU)
		out->alu = ext;
	else
		out->reg = ext | ((p->rex & REX_R) ? 8 : 0);
	return skip_address(c, modrm, out->addr_size);
}

static int decode_imm(struct cursor *c, enum imm_kind kind, struct insn *out)
{
	unsigned n = kind == IMM_Z ? MIN(out->size, 4u) :
		     kind == IMM_MOFFS ? out->addr_size : 1;
	uint64_t v;
	int rc = fetch(c, n, &v);

	if (rc || kind == IMM_MOFFS)
		return rc;
	out->src_imm = true;
	out->imm = sign_extend(v, n) & size_mask(out->size);
	return 0;
}

/* Memory and register operand sizes. */
static void set_sizes(const struct opdesc *d, const struct prefixes *p,
		      unsigned osize, struct insn *out)
{
	out->size = (d->flags & OD_BYTE) ? 1 : osize;
	out->reg_size = out->size;
	if (out->kind == K_LOAD_ZX || out->kind == K_LOAD_SX) {
		out->size = (d->flags & OD_SRC16) ? 2 : 1;
	} else if ((d->flags & OD_LONG_ONLY) && (p->rex & REX_W)) {
		out->kind = K_LOAD_SX;	/* MOVSXD r64, r/m32 */
		out->size = 4;
	}
}

static void set_access(struct insn *out)
{
	bool compares = out->alu == ALU_CMP || out->alu == ALU_TEST;

	out->reads_mem = out->kind != K_STORE_REG && out->kind != K_STORE_IMM &&
			 out->kind != K_STOS;
	out->writes_mem = out->kind == K_STORE_REG ||
			  out->kind == K_STORE_IMM || out->kind == K_STOS ||
			  (out->kind == K_ALU_MEM && !compares);
}

static int decode_operands(struct cursor *c, const struct opdesc *d,
			   const struct prefixes *p, struct insn *out)
{
	int rc;

	if (d->flags & OD_MODRM) {
		rc = decode_modrm(c, d, p, out);
		if (rc)
			return rc;
	}
	if (d->imm != IMM_NONE) {
		rc = decode_imm(c, d->imm, out);
		if (rc)
			return rc;
	}
	set_access(out);
	/* LOCK is #UD except on a read-modify-write of memory (SDM Vol. 2
	 * LOCK); REP on these instructions has no defined meaning. */
	if (p->lock && !(out->kind == K_ALU_MEM && out->writes_mem))
		return -E_NOTSUP;
	return p->rep ? -E_NOTSUP : 0;
}

int insn_decode(const uint8_t *code, unsigned avail, unsigned mode_bits,
		struct insn *out)
{
	struct cursor c = { .code = code, .avail = avail };
	struct prefixes p = { 0 };
	const struct opdesc *d;
	uint8_t op;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!valid_mode(mode_bits))
		return -E_INVAL;
	rc = read_prefixes(&c, mode_bits, &p, &op);
	if (rc == 0)
		rc = lookup(&c, op, &d);
	if (rc)
		return rc;
	if ((d->flags & OD_LONG_ONLY) && mode_bits != 64)
		return -E_NOTSUP;	/* 63 is ARPL outside 64-bit mode */
	out->kind = d->kind;
	out->alu = d->alu;
	out->mode_bits = mode_bits;
	out->rex = p.has_rex;
	out->addr_size = address_size(mode_bits, &p);
	set_sizes(d, &p, operand_size(mode_bits, &p), out);
	rc = decode_operands(&c, d, &p, out);
	if (rc)
		return rc;
	out->len = c.pos;
	return 0;
}

/* ------------------------------------------------------------ registers */

static bool is_high8(const struct insn *in, unsigned reg, unsigned size)
{
	return size == 1 && !in->rex &&
	       reg >= REG_HIGH8_FIRST && reg <= REG_HIGH8_LAST;
}

static uint64_t reg_get(const struct insn *in, const struct insn_regs *r,
			unsigned reg, unsigned size)
{
	if (is_high8(in, reg, size))
		return (r->gpr[reg - REG_HIGH8_FIRST] >> HIGH8_SHIFT) & 0xff;
	return r->gpr[reg] & size_mask(size);
}

/* 32-bit writes zero-extend (SDM Vol. 1 3.4.1.1); 8- and 16-bit writes
 * keep the other bits. */
static void reg_set(const struct insn *in, struct insn_regs *r, unsigned reg,
		    unsigned size, uint64_t v)
{
	uint64_t m = size_mask(size);

	if (is_high8(in, reg, size)) {
		uint64_t *g = &r->gpr[reg - REG_HIGH8_FIRST];

		*g = (*g & ~(m << HIGH8_SHIFT)) | ((v & m) << HIGH8_SHIFT);
	} else if (size == 4) {
		r->gpr[reg] = v & m;
	} else {
		r->gpr[reg] = (r->gpr[reg] & ~m) | (v & m);
	}
}

/* ------------------------------------------------------------ ALU */

static bool even_parity(uint64_t v)
{
	uint8_t b = (uint8_t)v;

	b ^= b >> 4;
	b ^= b >> 2;
	b ^= b >> 1;
	return !(b & 1);
}

/* ZF, SF and PF of a result; PF looks at the low byte only. */
static uint64_t result_flags(uint64_t res, unsigned size)
{
	uint64_t fl = 0;

	if (res == 0)
		fl |= INSN_FL_ZF;
	if (res & sign_bit(size))
		fl |= INSN_FL_SF;
	if (even_parity(res))
		fl |= INSN_FL_PF;
	return fl;
}

static uint64_t arith_flags(uint64_t a, uint64_t b, uint64_t res, bool cf,
			    bool of)
{
	uint64_t fl = 0;

	if (cf)
		fl |= INSN_FL_CF;
	if (of)
		fl |= INSN_FL_OF;
	if ((a ^ b ^ res) & AF_BIT)
		fl |= INSN_FL_AF;
	return fl;
}

/* Computes a op b at size bytes (operands already masked); *flags gets the
 * new status flags, carry_in is CF for ADC/SBB. */
static uint64_t alu(unsigned op, unsigned size, uint64_t a, uint64_t b,
		    bool carry_in, uint64_t *flags)
{
	uint64_t m = size_mask(size), sign = sign_bit(size), res;
	uint64_t c = (op == ALU_ADC || op == ALU_SBB) && carry_in;

	switch (op) {
	case ALU_ADD:
	case ALU_ADC:
		res = (a + b + c) & m;
		*flags = arith_flags(a, b, res, c ? res <= a : res < a,
				     (a ^ res) & (b ^ res) & sign);
		break;
	case ALU_SUB:
	case ALU_SBB:
	case ALU_CMP:
		res = (a - b - c) & m;
		*flags = arith_flags(a, b, res, c ? a <= b : a < b,
				     (a ^ b) & (a ^ res) & sign);
		break;
	case ALU_OR:
		res = a | b;
		*flags = 0;
		break;
	case ALU_XOR:
		res = a ^ b;
		*flags = 0;
		break;
	default:	/* AND, TEST */
		res = a & b;
		*flags = 0;
		break;
	}
	*flags |= result_flags(res, size);
	return res;
}

static void apply_alu(const struct insn *in, struct insn_regs *r, uint64_t a,
		      uint64_t b, uint64_t *res)
{
	uint64_t fl;

	*res = alu(in->alu, in->size, a, b, r->rflags & INSN_FL_CF, &fl);
	r->rflags = (r->rflags & ~INSN_FL_STATUS) | fl;
}

/* ------------------------------------------------------------ execution */

struct mem_ops {
	insn_mem_read_fn read;
	insn_mem_write_fn write;
	void *ctx;
};

static int mem_load(const struct mem_ops *m, unsigned size, uint64_t *v)
{
	int rc = m->read(m->ctx, size, v);

	*v &= size_mask(size);	/* the callback's upper bits are not trusted */
	return rc;
}

static int exec_store_reg(const struct insn *in, struct insn_regs *r,
			  const struct mem_ops *m)
{
	return m->write(m->ctx, in->size, reg_get(in, r, in->reg, in->size));
}

static int exec_store_imm(const struct insn *in, struct insn_regs *r,
			  const struct mem_ops *m)
{
	(void)r;
	return m->write(m->ctx, in->size, in->imm);
}

static int exec_load(const struct insn *in, struct insn_regs *r,
		     const struct mem_ops *m)
{
	uint64_t v;
	int rc = mem_load(m, in->size, &v);

	if (rc)
		return rc;
	if (in->kind == K_LOAD_SX)
		v = sign_extend(v, in->size);
	reg_set(in, r, in->reg, in->reg_size, v);
	return 0;
}

static int exec_alu_mem(const struct insn *in, struct insn_regs *r,
			const struct mem_ops *m)
{
	uint64_t a, b, res;
	int rc = mem_load(m, in->size, &a);

	if (rc)
		return rc;
	b = in->src_imm ? in->imm : reg_get(in, r, in->reg, in->size);
	apply_alu(in, r, a, b, &res);
	return in->writes_mem ? m->write(m->ctx, in->size, res) : 0;
}

static int exec_alu_reg(const struct insn *in, struct insn_regs *r,
			const struct mem_ops *m)
{
	uint64_t b, res;
	int rc = mem_load(m, in->size, &b);

	if (rc)
		return rc;
	apply_alu(in, r, reg_get(in, r, in->reg, in->size), b, &res);
	if (in->alu != ALU_CMP)
		reg_set(in, r, in->reg, in->size, res);
	return 0;
}

/* STOS without REP: one store, then rDI moves by the operand size in the
 * direction RFLAGS.DF says, at the address size. */
static int exec_stos(const struct insn *in, struct insn_regs *r,
		     const struct mem_ops *m)
{
	uint64_t rdi = r->gpr[INSN_RDI];
	int rc = m->write(m->ctx, in->size, reg_get(in, r, INSN_RAX, in->size));

	if (rc)
		return rc;
	rdi = (r->rflags & INSN_FL_DF) ? rdi - in->size : rdi + in->size;
	reg_set(in, r, INSN_RDI, in->addr_size, rdi);
	return 0;
}

typedef int (*exec_fn)(const struct insn *in, struct insn_regs *r,
		       const struct mem_ops *m);

static const exec_fn executors[K_NR_KINDS] = {
	[K_STORE_REG] = exec_store_reg,
	[K_STORE_IMM] = exec_store_imm,
	[K_LOAD] = exec_load,
	[K_LOAD_ZX] = exec_load,
	[K_LOAD_SX] = exec_load,
	[K_ALU_MEM] = exec_alu_mem,
	[K_ALU_REG] = exec_alu_reg,
	[K_STOS] = exec_stos,
};

static bool valid_size(unsigned size)
{
	return size == 1 || size == 2 || size == 4 || size == 8;
}

/* struct insn is the caller's memory: refuse one insn_decode() could not
 * have produced rather than index tables or shift with it. */
static bool insn_valid(const struct insn *in)
{
	return in->kind < K_NR_KINDS && executors[in->kind] &&
	       in->reg < INSN_NR_GPRS && in->len <= INSN_MAX_LEN &&
	       valid_size(in->size) && valid_size(in->reg_size) &&
	       valid_size(in->addr_size) && in->addr_size != 1 &&
	       valid_mode(in->mode_bits);
}

int insn_emulate(const struct insn *in, struct insn_regs *regs,
		 insn_mem_read_fn mem_read, insn_mem_write_fn mem_write,
		 void *ctx)
{
	const struct mem_ops m = { mem_read, mem_write, ctx };
	struct insn_regs r = *regs;	/* committed only on success */
	int rc;

	if (!insn_valid(in))
		return -E_INVAL;
	rc = executors[in->kind](in, &r, &m);
	if (rc)
		return rc;
	r.rip = (r.rip + in->len) & size_mask(in->mode_bits / BITS_PER_BYTE);
	*regs = r;
	return 0;
}

/* ------------------------------------------------------------ formatting */

int insn_format(const uint8_t *code, unsigned n, char *buf, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	size_t pos = 0;

	for (unsigned i = 0; i < n && size > 0; i++) {
		size_t piece = i ? 3 : 2;

		if (pos + piece >= size)
			break;
		if (i)
			buf[pos++] = ' ';
		buf[pos++] = hex[code[i] >> 4];
		buf[pos++] = hex[code[i] & 0xf];
	}
	if (size > 0)
		buf[pos] = '\0';
	return n ? (int)MIN(3ULL * n - 1, (unsigned long long)INT32_MAX) : 0;
}
