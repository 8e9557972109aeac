/* Unit tests for the MMIO instruction decoder and emulator (vmm/insn.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "kernel/errno.h"
#include "vmm/insn.h"
#include "test_rng.h"

#define BYTES(...) (const uint8_t[]){ __VA_ARGS__ }, \
	sizeof((const uint8_t[]){ __VA_ARGS__ })

#define FL_RESERVED1 (1ULL << 1)	/* always-one RFLAGS bit */
#define FL_IF (1ULL << 9)

/* The fake MMIO location. */
struct mmio {
	uint64_t value;		/* what a read returns */
	int read_rc, write_rc;
	unsigned reads, writes;
	unsigned read_size, write_size;
	uint64_t written;
};

static int mmio_read(void *ctx, unsigned size, uint64_t *val)
{
	struct mmio *m = ctx;

	m->reads++;
	m->read_size = size;
	*val = m->value;
	return m->read_rc;
}

static int mmio_write(void *ctx, unsigned size, uint64_t val)
{
	struct mmio *m = ctx;

	m->writes++;
	m->write_size = size;
	m->written = val;
	return m->write_rc;
}

static struct insn_regs fresh_regs(void)
{
	struct insn_regs r;

	for (unsigned i = 0; i < INSN_NR_GPRS; i++)
		r.gpr[i] = 0x1111111111111111ULL * (i + 1);
	r.rip = 0x1000;
	r.rflags = FL_RESERVED1 | FL_IF;
	return r;
}

/* Decodes and emulates; the instruction must decode. */
static int run(unsigned mode, const uint8_t *code, unsigned n,
	       struct insn_regs *r, struct mmio *m, struct insn *in)
{
	assert_int_equal(insn_decode(code, n, mode, in), 0);
	assert_int_equal(in->len, n);
	return insn_emulate(in, r, mmio_read, mmio_write, m);
}

static uint64_t status(const struct insn_regs *r)
{
	return r->rflags & INSN_FL_STATUS;
}

/* ------------------------------------------------------------ lengths */

struct len_case {
	unsigned mode;
	uint8_t code[INSN_MAX_LEN];
	unsigned len;
	unsigned size;
	bool reads, writes;
};

static const struct len_case len_cases[] = {
	/* 64-bit: plain, REX, RIP-relative, SIB forms */
	{ 64, { 0x89, 0x08 }, 2, 4, false, true },
	{ 64, { 0x48, 0x89, 0x08 }, 3, 8, false, true },
	{ 64, { 0x66, 0x89, 0x08 }, 3, 2, false, true },
	{ 64, { 0x66, 0x48, 0x89, 0x08 }, 4, 8, false, true },	/* W wins */
	{ 64, { 0x48, 0x66, 0x89, 0x08 }, 4, 2, false, true },	/* REX dropped */
	{ 64, { 0x89, 0x05, 1, 2, 3, 4 }, 6, 4, false, true },	/* RIP-rel */
	{ 64, { 0x41, 0x89, 0x45, 0x00 }, 4, 4, false, true },	/* [r13+0] */
	{ 64, { 0x41, 0x89, 0x04, 0x24 }, 4, 4, false, true },	/* [r12] */
	{ 64, { 0x42, 0x89, 0x04, 0x25, 1, 2, 3, 4 }, 8, 4, false, true },
	{ 64, { 0x89, 0x44, 0x24, 0x08 }, 4, 4, false, true },
	{ 64, { 0x89, 0x84, 0x88, 1, 2, 3, 4 }, 7, 4, false, true },
	{ 64, { 0x89, 0x80, 1, 2, 3, 4 }, 6, 4, false, true },
	{ 64, { 0x67, 0x89, 0x05, 1, 2, 3, 4 }, 7, 4, false, true },
	{ 64, { 0x65, 0x48, 0x8b, 0x04, 0x25, 0x28, 0, 0, 0 }, 9, 8, true, false },
	{ 64, { 0x8a, 0x00 }, 2, 1, true, false },
	{ 64, { 0xc6, 0x05, 1, 2, 3, 4, 0x5a }, 7, 1, false, true },
	{ 64, { 0xc7, 0x05, 1, 2, 3, 4, 1, 2, 3, 4 }, 10, 4, false, true },
	{ 64, { 0x66, 0xc7, 0x00, 1, 2 }, 5, 2, false, true },
	{ 64, { 0x48, 0xc7, 0x00, 1, 2, 3, 4 }, 7, 8, false, true },
	{ 64, { 0xa0, 1, 2, 3, 4, 5, 6, 7, 8 }, 9, 1, true, false },
	{ 64, { 0x48, 0xa1, 1, 2, 3, 4, 5, 6, 7, 8 }, 10, 8, true, false },
	{ 64, { 0x67, 0xa3, 1, 2, 3, 4 }, 6, 4, false, true },
	{ 64, { 0x0f, 0xb6, 0x00 }, 3, 1, true, false },
	{ 64, { 0x48, 0x0f, 0xb7, 0x40, 0x10 }, 5, 2, true, false },
	{ 64, { 0x0f, 0xbe, 0x04, 0x24 }, 4, 1, true, false },
	{ 64, { 0x0f, 0xbf, 0x05, 1, 2, 3, 4 }, 7, 2, true, false },
	{ 64, { 0x48, 0x63, 0x00 }, 3, 4, true, false },
	{ 64, { 0x63, 0x00 }, 2, 4, true, false },
	{ 64, { 0x01, 0x08 }, 2, 4, true, true },
	{ 64, { 0xf0, 0x01, 0x08 }, 3, 4, true, true },
	{ 64, { 0x03, 0x08 }, 2, 4, true, false },
	{ 64, { 0x39, 0x08 }, 2, 4, true, false },
	{ 64, { 0x80, 0x08, 0x01 }, 3, 1, true, true },
	{ 64, { 0x81, 0x20, 1, 2, 3, 4 }, 6, 4, true, true },
	{ 64, { 0x66, 0x81, 0x20, 1, 2 }, 5, 2, true, true },
	{ 64, { 0x83, 0x38, 0x01 }, 3, 4, true, false },	/* cmp */
	{ 64, { 0x48, 0x83, 0x05, 1, 2, 3, 4, 0x7f }, 8, 8, true, true },
	{ 64, { 0x84, 0x08 }, 2, 1, true, false },
	{ 64, { 0xf6, 0x00, 0x80 }, 3, 1, true, false },
	{ 64, { 0xf7, 0x40, 0x08, 1, 2, 3, 4 }, 7, 4, true, false },
	{ 64, { 0x48, 0xf7, 0x00, 1, 2, 3, 4 }, 7, 8, true, false },
	{ 64, { 0xaa }, 1, 1, false, true },
	{ 64, { 0x48, 0xab }, 2, 8, false, true },
	/* 32-bit */
	{ 32, { 0x89, 0x05, 1, 2, 3, 4 }, 6, 4, false, true },	/* absolute */
	{ 32, { 0x89, 0x04, 0x25, 1, 2, 3, 4 }, 7, 4, false, true },
	{ 32, { 0x89, 0x45, 0x00 }, 3, 4, false, true },
	{ 32, { 0x89, 0x84, 0x24, 1, 2, 3, 4 }, 7, 4, false, true },
	{ 32, { 0x67, 0x89, 0x06, 1, 2 }, 5, 4, false, true },	/* disp16 */
	{ 32, { 0x67, 0x89, 0x07 }, 3, 4, false, true },
	{ 32, { 0x66, 0x89, 0x08 }, 3, 2, false, true },
	{ 32, { 0xa1, 1, 2, 3, 4 }, 5, 4, true, false },
	{ 32, { 0x67, 0xa1, 1, 2 }, 4, 4, true, false },
	{ 32, { 0x66, 0xc7, 0x00, 1, 2 }, 5, 2, false, true },
	{ 32, { 0x2e, 0x3e, 0x26, 0x36, 0x64, 0x65, 0x89, 0x08 }, 8, 4, false, true },
	/* 16-bit */
	{ 16, { 0x89, 0x07 }, 2, 2, false, true },
	{ 16, { 0x89, 0x06, 0x34, 0x12 }, 4, 2, false, true },
	{ 16, { 0x89, 0x47, 0x10 }, 3, 2, false, true },
	{ 16, { 0x89, 0x87, 0x34, 0x12 }, 4, 2, false, true },
	{ 16, { 0x89, 0x46, 0x00 }, 3, 2, false, true },	/* [bp+0] */
	{ 16, { 0x66, 0x89, 0x07 }, 3, 4, false, true },
	{ 16, { 0x67, 0x89, 0x04, 0x24 }, 4, 2, false, true },
	{ 16, { 0x67, 0x89, 0x05, 1, 2, 3, 4 }, 7, 2, false, true },
	{ 16, { 0xc7, 0x06, 0x34, 0x12, 0xcd, 0xab }, 6, 2, false, true },
	{ 16, { 0x66, 0xc7, 0x07, 1, 2, 3, 4 }, 7, 4, false, true },
	{ 16, { 0xa1, 0x34, 0x12 }, 3, 2, true, false },
	{ 16, { 0x83, 0x0f, 0x01 }, 3, 2, true, true },
	{ 16, { 0xab }, 1, 2, false, true },
};

static void test_lengths_and_sizes(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(len_cases); i++) {
		const struct len_case *c = &len_cases[i];
		struct insn in;

		/* Extra bytes after the instruction must not matter. */
		assert_int_equal(insn_decode(c->code, INSN_MAX_LEN, c->mode, &in), 0);
		if (in.len != c->len || in.size != c->size)
			fail_msg("case %zu: len %u size %u", i, in.len, in.size);
		assert_int_equal(in.reads_mem, c->reads);
		assert_int_equal(in.writes_mem, c->writes);
	}
}

/* Every shorter prefix of a valid encoding asks for more bytes. */
static void test_truncated(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(len_cases); i++) {
		const struct len_case *c = &len_cases[i];
		struct insn in;

		for (unsigned n = 0; n < c->len; n++) {
			uint8_t *copy = malloc(n ? n : 1);	/* valgrind sees overreads */

			memcpy(copy, c->code, n);
			if (insn_decode(copy, n, c->mode, &in) != -E_RANGE)
				fail_msg("case %zu truncated to %u", i, n);
			free(copy);
		}
	}
}

static void test_too_long(void **state)
{
	uint8_t code[INSN_MAX_LEN + 4];
	struct insn in;

	(void)state;
	memset(code, 0x2e, sizeof(code));
	/* 13 prefixes + 89 08 = 15 bytes: valid. */
	code[13] = 0x89;
	code[14] = 0x08;
	assert_int_equal(insn_decode(code, sizeof(code), 64, &in), 0);
	assert_int_equal(in.len, INSN_MAX_LEN);
	/* 14 prefixes: 16 bytes. */
	memset(code, 0x2e, sizeof(code));
	code[14] = 0x89;
	code[15] = 0x08;
	assert_int_equal(insn_decode(code, sizeof(code), 64, &in), -E_INVAL);
	/* Only prefixes. */
	memset(code, 0x66, sizeof(code));
	assert_int_equal(insn_decode(code, sizeof(code), 32, &in), -E_INVAL);
	assert_int_equal(insn_decode(code, 10, 32, &in), -E_RANGE);
	/* A long immediate form pushed over the limit by prefixes. */
	static const uint8_t lng[] = { 0x2e, 0x2e, 0x2e, 0x2e, 0x66, 0x67, 0x48,
		0xc7, 0x84, 0x88, 1, 2, 3, 4, 5, 6, 7, 8 };
	assert_int_equal(insn_decode(lng, sizeof(lng), 64, &in), -E_INVAL);
}

static void test_unsupported(void **state)
{
	static const struct { unsigned mode; uint8_t code[4]; unsigned n; } cases[] = {
		{ 64, { 0x90 }, 1 },			/* nop */
		{ 64, { 0x0f, 0x0b }, 2 },		/* ud2 */
		{ 64, { 0xff, 0x00 }, 2 },		/* inc [rax] */
		{ 64, { 0x04, 0x01 }, 2 },		/* add al, imm: no memory */
		{ 64, { 0x89, 0xc8 }, 2 },		/* mov eax, ecx: register */
		{ 64, { 0x8b, 0xc1 }, 2 },
		{ 64, { 0xc7, 0x08, 1, 2 }, 4 },	/* c7 /1 */
		{ 64, { 0xc6, 0xf8, 0x00 }, 3 },	/* xabort */
		{ 64, { 0xf6, 0x10 }, 2 },		/* not byte [rax] */
		{ 64, { 0xf7, 0x08, 0, 0 }, 4 },	/* f7 /1 */
		{ 64, { 0xa4 }, 1 },			/* movsb */
		{ 64, { 0x82, 0x00, 0x01 }, 3 },	/* invalid in 64-bit */
		{ 32, { 0x63, 0x00 }, 2 },		/* arpl */
		{ 32, { 0x48, 0x89, 0x08 }, 3 },	/* dec eax; then mov */
		{ 64, { 0xf0, 0x89, 0x08 }, 3 },	/* lock mov */
		{ 64, { 0xf0, 0x39, 0x08 }, 3 },	/* lock cmp */
		{ 64, { 0xf0, 0x85, 0x08 }, 3 },	/* lock test */
		{ 64, { 0xf0, 0x8b, 0x08 }, 3 },	/* lock load */
		{ 64, { 0xf0, 0x03, 0x08 }, 3 },	/* lock add reg, mem */
		{ 64, { 0xf3, 0x89, 0x08 }, 3 },	/* rep mov */
		{ 64, { 0xf2, 0x01, 0x08 }, 3 },	/* repne add */
		{ 64, { 0xf3, 0xaa }, 2 },		/* rep stosb */
		{ 64, { 0xf3, 0x48, 0xab }, 3 },	/* rep stosq */
		{ 64, { 0x0f, 0xb6, 0xc1 }, 3 },	/* movzx eax, cl */
	};
	struct insn in;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		if (insn_decode(cases[i].code, cases[i].n, cases[i].mode, &in) != -E_NOTSUP)
			fail_msg("case %zu", i);
	assert_int_equal(insn_decode(BYTES(0x89, 0x08), 8, &in), -E_INVAL);
	assert_int_equal(insn_decode(BYTES(0x89, 0x08), 0, &in), -E_INVAL);
}

/* ------------------------------------------------------------ MOV */

static void test_mov_store(void **state)
{
	struct insn_regs r = fresh_regs(), before;
	struct mmio m = { 0 };
	struct insn in;

	(void)state;
	before = r;
	assert_int_equal(run(64, BYTES(0x89, 0x08), &r, &m, &in), 0);
	assert_int_equal(m.writes, 1);
	assert_int_equal(m.reads, 0);
	assert_int_equal(m.write_size, 4);
	assert_int_equal(m.written, before.gpr[INSN_RCX] & 0xffffffff);
	assert_int_equal(r.rip, 0x1002);
	before.rip = r.rip;
	assert_memory_equal(&r, &before, sizeof(r));

	/* REX.R: mov [rax], r9 */
	assert_int_equal(run(64, BYTES(0x4c, 0x89, 0x08), &r, &m, &in), 0);
	assert_int_equal(m.written, r.gpr[INSN_R9]);
	assert_int_equal(m.write_size, 8);
	/* 16-bit mode: mov [bx], ax */
	assert_int_equal(run(16, BYTES(0x89, 0x07), &r, &m, &in), 0);
	assert_int_equal(m.written, r.gpr[INSN_RAX] & 0xffff);
	/* moffs store: mov [moffs64], rax */
	assert_int_equal(run(64, BYTES(0x48, 0xa3, 1, 2, 3, 4, 5, 6, 7, 8), &r, &m, &in), 0);
	assert_int_equal(m.written, r.gpr[INSN_RAX]);
	assert_int_equal(run(32, BYTES(0xa2, 1, 2, 3, 4), &r, &m, &in), 0);
	assert_int_equal(m.written, r.gpr[INSN_RAX] & 0xff);
}

static void test_byte_registers(void **state)
{
	struct insn_regs r = fresh_regs();
	struct mmio m = { .value = 0xa5 };
	struct insn in;

	(void)state;
	r.gpr[INSN_RAX] = 0x1234;
	r.gpr[INSN_RSP] = 0x77;
	/* mov [rax], ah (modrm reg 4 without REX) */
	assert_int_equal(run(64, BYTES(0x88, 0x20), &r, &m, &in), 0);
	assert_int_equal(m.written, 0x12);
	/* with REX: spl */
	assert_int_equal(run(64, BYTES(0x40, 0x88, 0x20), &r, &m, &in), 0);
	assert_int_equal(m.written, 0x77);
	/* mov r12b, [rax] */
	r.gpr[INSN_R12] = 0xffffffffffffffffULL;
	assert_int_equal(run(64, BYTES(0x44, 0x8a, 0x20), &r, &m, &in), 0);
	assert_int_equal(r.gpr[INSN_R12], 0xffffffffffffffa5ULL);
	/* mov bh, [rax]: reg 7 without REX is BH */
	r.gpr[INSN_RBX] = 0x1111111111111111ULL;
	r.gpr[INSN_RDI] = 0x2222222222222222ULL;
	assert_int_equal(run(32, BYTES(0x8a, 0x38), &r, &m, &in), 0);
	assert_int_equal(r.gpr[INSN_RBX], 0x111111111111a511ULL);
	assert_int_equal(r.gpr[INSN_RDI], 0x2222222222222222ULL);
	/* mov dil, [rax] with REX */
	assert_int_equal(run(64, BYTES(0x40, 0x8a, 0x38), &r, &m, &in), 0);
	assert_int_equal(r.gpr[INSN_RDI], 0x22222222222222a5ULL);
	assert_int_equal(r.gpr[INSN_RBX], 0x111111111111a511ULL);
	/* A0: mov al, moffs */
	assert_int_equal(run(16, BYTES(0xa0, 0x00, 0x10), &r, &m, &in), 0);
	assert_int_equal(r.gpr[INSN_RAX], 0x12a5);
}

static void test_mov_load_widths(void **state)
{
	struct insn_regs r = fresh_regs();
	struct mmio m = { .value = 0x8877665544332211ULL };
	struct insn in;

	(void)state;
	/* 32-bit load zero-extends */
	r.gpr[INSN_RCX] = ~0ULL;
	assert_int_equal(run(64, BYTES(0x8b, 0x08), &r, &m, &in), 0);
	assert_int_equal(m.read_size, 4);
	assert_int_equal(r.gpr[INSN_RCX], 0x44332211);	/* upper bits masked */
	/* 16-bit load preserves */
	r.gpr[INSN_RCX] = ~0ULL;
	assert_int_equal(run(64, BYTES(0x66, 0x8b, 0x08), &r, &m, &in), 0);
	assert_int_equal(r.gpr[INSN_RCX], 0xffffffffffff2211ULL);
	/* 64-bit */
	assert_int_equal(run(64, BYTES(0x49, 0x8b, 0x08), &r, &m, &in), 0);
	assert_int_equal(m.read_size, 8);
	assert_int_equal(r.gpr[INSN_RCX], 0x8877665544332211ULL);
	assert_int_equal(run(64, BYTES(0x4c, 0x8b, 0x08), &r, &m, &in), 0);
	assert_int_equal(r.gpr[INSN_R9], 0x8877665544332211ULL);
	/* moffs load in 64-bit mode, 8-byte offset */
	assert_int_equal(run(64, BYTES(0xa1, 1, 2, 3, 4, 5, 6, 7, 8), &r, &m, &in), 0);
	assert_int_equal(r.gpr[INSN_RAX], 0x44332211);
	/* 32-bit mode load into ecx */
	r.gpr[INSN_RDX] = ~0ULL;
	assert_int_equal(run(32, BYTES(0x8b, 0x10), &r, &m, &in), 0);
	assert_int_equal(r.gpr[INSN_RDX], 0x44332211);
}

static void test_mov_imm(void **state)
{
	struct insn_regs r = fresh_regs();
	struct mmio m = { 0 };
	struct insn in;

	(void)state;
	assert_int_equal(run(64, BYTES(0xc6, 0x00, 0x9c), &r, &m, &in), 0);
	assert_int_equal(m.write_size, 1);
	assert_int_equal(m.written, 0x9c);
	assert_int_equal(run(64, BYTES(0xc7, 0x00, 0x78, 0x56, 0x34, 0x92), &r, &m, &in), 0);
	assert_int_equal(m.write_size, 4);
	assert_int_equal(m.written, 0x92345678);
	/* REX.W: imm32 sign-extended to 64 */
	assert_int_equal(run(64, BYTES(0x48, 0xc7, 0x00, 0xff, 0xff, 0xff, 0xff), &r, &m, &in), 0);
	assert_int_equal(m.write_size, 8);
	assert_int_equal(m.written, 0xffffffffffffffffULL);
	assert_int_equal(run(64, BYTES(0x48, 0xc7, 0x00, 0x00, 0x00, 0x00, 0x80), &r, &m, &in), 0);
	assert_int_equal(m.written, 0xffffffff80000000ULL);
	assert_int_equal(run(64, BYTES(0x48, 0xc7, 0x00, 0xff, 0xff, 0xff, 0x7f), &r, &m, &in), 0);
	assert_int_equal(m.written, 0x7fffffffULL);
	/* 16-bit operand: imm16 */
	assert_int_equal(run(32, BYTES(0x66, 0xc7, 0x00, 0xcd, 0xab), &r, &m, &in), 0);
	assert_int_equal(m.write_size, 2);
	assert_int_equal(m.written, 0xabcd);
	assert_int_equal(run(16, BYTES(0xc7, 0x06, 0x00, 0x10, 0xcd, 0xab), &r, &m, &in), 0);
	assert_int_equal(m.written, 0xabcd);
	/* RIP-relative with an immediate after the displacement */
	assert_int_equal(run(64, BYTES(0xc7, 0x05, 0xf0, 0xff, 0xff, 0xff, 1, 0, 0, 0), &r, &m, &in), 0);
	assert_int_equal(m.written, 1);
}

static void test_movzx_movsx(void **state)
{
	struct insn_regs r = fresh_regs();
	struct mmio m = { .value = 0xff80 };
	struct insn in;

	(void)state;
	r.gpr[INSN_RAX] = ~0ULL;
	assert_int_equal(run(64, BYTES(0x0f, 0xb6, 0x00), &r, &m, &in), 0);
	assert_int_equal(m.read_size, 1);
	assert_int_equal(r.gpr[INSN_RAX], 0x80);
	assert_int_equal(run(64, BYTES(0x48, 0x0f, 0xb7, 0x00), &r, &m, &in), 0);
	assert_int_equal(m.read_size, 2);
	assert_int_equal(r.gpr[INSN_RAX], 0xff80);
	assert_int_equal(run(64, BYTES(0x48, 0x0f, 0xbe, 0x00), &r, &m, &in), 0);
	assert_int_equal(r.gpr[INSN_RAX], 0xffffffffffffff80ULL);
	r.gpr[INSN_RAX] = ~0ULL;
	assert_int_equal(run(64, BYTES(0x0f, 0xbe, 0x00), &r, &m, &in), 0);
	assert_int_equal(r.gpr[INSN_RAX], 0xffffff80ULL);
	r.gpr[INSN_RAX] = 0x123456789abcdef0ULL;
	assert_int_equal(run(64, BYTES(0x66, 0x0f, 0xbe, 0x00), &r, &m, &in), 0);
	assert_int_equal(r.gpr[INSN_RAX], 0x123456789abcff80ULL);
	m.value = 0x7f80;
	assert_int_equal(run(32, BYTES(0x0f, 0xbf, 0x00), &r, &m, &in), 0);
	assert_int_equal(r.gpr[INSN_RAX], 0x7f80);
	/* movzx into ah? reg 4 with 32-bit destination is esp, not ah */
	assert_int_equal(run(32, BYTES(0x0f, 0xb6, 0x20), &r, &m, &in), 0);
	assert_int_equal(r.gpr[INSN_RSP], 0x80);
	/* movsxd */
	m.value = 0x80000000;
	assert_int_equal(run(64, BYTES(0x48, 0x63, 0x08), &r, &m, &in), 0);
	assert_int_equal(m.read_size, 4);
	assert_int_equal(r.gpr[INSN_RCX], 0xffffffff80000000ULL);
	r.gpr[INSN_RCX] = ~0ULL;
	assert_int_equal(run(64, BYTES(0x63, 0x08), &r, &m, &in), 0);
	assert_int_equal(r.gpr[INSN_RCX], 0x80000000ULL);
}

/* ------------------------------------------------------------ ALU */

struct alu_case {
	uint8_t code[8];
	unsigned n;
	uint64_t mem, reg, flags_in;
	uint64_t result;	/* written to memory or register */
	uint64_t flags;		/* status flags expected */
};

#define CF INSN_FL_CF
#define PF INSN_FL_PF
#define AF INSN_FL_AF
#define ZF INSN_FL_ZF
#define SF INSN_FL_SF
#define OF INSN_FL_OF

/* Memory-destination forms in 64-bit mode; reg is RCX (ModRM 0x08). */
static const struct alu_case alu_mem_cases[] = {
	{ { 0x00, 0x08 }, 2, 0x7f, 0x01, 0, 0x80, OF | SF | AF },	/* add */
	{ { 0x00, 0x08 }, 2, 0xff, 0x01, 0, 0x00, CF | ZF | AF | PF },
	{ { 0x00, 0x08 }, 2, 0x80, 0x80, 0, 0x00, CF | ZF | PF | OF },
	{ { 0x01, 0x08 }, 2, 0x7fffffff, 1, 0, 0x80000000, OF | SF | AF | PF },
	{ { 0x48, 0x01, 0x08 }, 3, 0x7fffffffffffffffULL, 1, 0,
	  0x8000000000000000ULL, OF | SF | AF | PF },
	{ { 0x48, 0x01, 0x08 }, 3, ~0ULL, 2, 0, 1, CF | AF },
	{ { 0x66, 0x01, 0x08 }, 3, 0xffff, 0x0001, 0, 0, CF | ZF | AF | PF },
	{ { 0x10, 0x08 }, 2, 0xff, 0x00, CF, 0x00, CF | ZF | AF | PF },	/* adc */
	{ { 0x10, 0x08 }, 2, 0x7f, 0x00, CF, 0x80, OF | SF | AF },
	{ { 0x10, 0x08 }, 2, 0x10, 0x20, 0, 0x30, PF },
	{ { 0x28, 0x08 }, 2, 0x00, 0x01, 0, 0xff, CF | SF | AF | PF },	/* sub */
	{ { 0x28, 0x08 }, 2, 0x80, 0x01, 0, 0x7f, OF | AF },
	{ { 0x28, 0x08 }, 2, 0x05, 0x05, 0, 0x00, ZF | PF },
	{ { 0x29, 0x08 }, 2, 0x10, 0x20, 0, 0xfffffff0, CF | SF | PF },
	{ { 0x18, 0x08 }, 2, 0x00, 0xff, CF, 0x00, CF | ZF | AF | PF },	/* sbb */
	{ { 0x18, 0x08 }, 2, 0x05, 0x04, CF, 0x00, ZF | PF },
	{ { 0x18, 0x08 }, 2, 0x80, 0x7f, CF, 0x00, ZF | PF | AF | OF },
	{ { 0x20, 0x08 }, 2, 0xf0, 0x3c, CF | OF | AF, 0x30, PF },	/* and */
	{ { 0x08, 0x08 }, 2, 0x80, 0x01, CF, 0x81, SF | PF },		/* or */
	{ { 0x30, 0x08 }, 2, 0x5a, 0x5a, 0, 0x00, ZF | PF },		/* xor */
	{ { 0x31, 0x08 }, 2, 0x80000000, 0x1, OF, 0x80000001, SF },
	{ { 0x38, 0x08 }, 2, 0x01, 0x02, 0, 0, CF | SF | AF | PF },	/* cmp */
	{ { 0x39, 0x08 }, 2, 0x80000000, 1, 0, 0, OF | AF | PF },
	{ { 0x84, 0x08 }, 2, 0x80, 0x80, CF | OF, 0, SF },		/* test */
	{ { 0x85, 0x08 }, 2, 0xf0, 0x0f, 0, 0, ZF | PF },
	{ { 0x80, 0x00, 0x01 }, 3, 0xff, 0, 0, 0, CF | ZF | AF | PF },	/* add imm */
	{ { 0x80, 0x30, 0xff }, 3, 0x0f, 0, 0, 0xf0, SF | PF },	/* xor imm */
	{ { 0x80, 0x38, 0x80 }, 3, 0x7f, 0, 0, 0, CF | OF | SF | PF },	/* cmp imm */
	{ { 0x83, 0x00, 0xff }, 3, 1, 0, 0, 0, CF | ZF | AF | PF },	/* add -1 */
	{ { 0x48, 0x83, 0x28, 0xff }, 4, 0, 0, 0, 1, CF | AF },		/* sub -1 */
	{ { 0x66, 0x83, 0x20, 0x80 }, 4, 0x1234, 0, 0, 0x1200, PF },	/* and */
	{ { 0x83, 0x08, 0x01 }, 3, 0x80000000, 0, 0, 0x80000001, SF },
	{ { 0x48, 0x83, 0x38, 0x80 }, 4, 0xffffffffffffff80ULL, 0, 0, 0, ZF | PF },
	{ { 0xf6, 0x00, 0x01 }, 3, 0x02, 0, CF, 0, ZF | PF },		/* test imm */
	{ { 0xf7, 0x00, 0, 0, 0, 0x80 }, 6, 0x80000000, 0, 0, 0, SF | PF },
	{ { 0x48, 0xf7, 0x00, 0, 0, 0, 0x80 }, 7, 0x8000000000000000ULL, 0,
	  0, 0, SF | PF },
};

/* The destination in memory is rewritten unless the op only compares; a
 * flag-free op preserves the non-status bits of RFLAGS. */
static void test_alu_memory_destination(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(alu_mem_cases); i++) {
		const struct alu_case *c = &alu_mem_cases[i];
		struct insn_regs r = fresh_regs();
		struct mmio m = { .value = c->mem };
		struct insn in;

		r.gpr[INSN_RCX] = c->reg;
		r.rflags |= c->flags_in | INSN_FL_DF;
		assert_int_equal(run(64, c->code, c->n, &r, &m, &in), 0);
		assert_int_equal(m.reads, 1);
		if (in.writes_mem) {
			assert_int_equal(m.writes, 1);
			assert_int_equal(m.write_size, in.size);
			if (m.written != c->result)
				fail_msg("case %zu: result %#llx", i, (unsigned long long)m.written);
		} else {
			assert_int_equal(m.writes, 0);
		}
		if (status(&r) != c->flags)
			fail_msg("case %zu: flags %#llx want %#llx", i,
				 (unsigned long long)status(&r), (unsigned long long)c->flags);
		assert_int_equal(r.rflags & ~INSN_FL_STATUS, FL_RESERVED1 | FL_IF | INSN_FL_DF);
		assert_int_equal(r.gpr[INSN_RCX], c->reg);
		assert_int_equal(r.rip, 0x1000 + c->n);
	}
}

static void test_alu_register_destination(void **state)
{
	struct insn_regs r = fresh_regs();
	struct mmio m = { .value = 0x30 };
	struct insn in;

	(void)state;
	/* sub ecx, [rax]: reg - mem, zero-extends */
	r.gpr[INSN_RCX] = 0xffffffff00000010ULL;
	assert_int_equal(run(64, BYTES(0x2b, 0x08), &r, &m, &in), 0);
	assert_int_equal(r.gpr[INSN_RCX], 0xffffffe0ULL);
	assert_int_equal(status(&r), CF | SF);
	assert_int_equal(m.writes, 0);
	/* add ch, [rax] (no REX: reg 5 is CH) */
	r.gpr[INSN_RCX] = 0x1234;
	assert_int_equal(run(64, BYTES(0x02, 0x28), &r, &m, &in), 0);
	assert_int_equal(r.gpr[INSN_RCX], 0x4234);
	assert_int_equal(r.gpr[INSN_RBP], fresh_regs().gpr[INSN_RBP]);
	/* or bpl, [rax] with REX */
	r.gpr[INSN_RBP] = 0x100;
	assert_int_equal(run(64, BYTES(0x40, 0x0a, 0x28), &r, &m, &in), 0);
	assert_int_equal(r.gpr[INSN_RBP], 0x130);
	/* 16-bit preserves upper bits */
	r.gpr[INSN_RDX] = 0xaaaaaaaaaaaa0001ULL;
	assert_int_equal(run(64, BYTES(0x66, 0x33, 0x10), &r, &m, &in), 0);
	assert_int_equal(r.gpr[INSN_RDX], 0xaaaaaaaaaaaa0031ULL);
	/* cmp reg, mem: reg - mem flags, no write-back */
	r.gpr[INSN_RDX] = 0x10;
	assert_int_equal(run(64, BYTES(0x3b, 0x10), &r, &m, &in), 0);
	assert_int_equal(r.gpr[INSN_RDX], 0x10);
	assert_int_equal(status(&r), CF | SF);
	/* and r10, [rax] */
	r.gpr[INSN_R10] = ~0ULL;
	m.value = 0x8000000000000001ULL;
	assert_int_equal(run(64, BYTES(0x4c, 0x23, 0x10), &r, &m, &in), 0);
	assert_int_equal(r.gpr[INSN_R10], 0x8000000000000001ULL);
	assert_int_equal(status(&r), SF);
	/* lock add is accepted and behaves as add */
	m.value = 1;
	r.gpr[INSN_RCX] = 2;
	assert_int_equal(run(64, BYTES(0xf0, 0x01, 0x08), &r, &m, &in), 0);
	assert_int_equal(m.written, 3);
	assert_int_equal(run(64, BYTES(0xf0, 0x83, 0x00, 0x01), &r, &m, &in), 0);
}

/* ------------------------------------------------------------ STOS, RIP */

static void test_stos(void **state)
{
	struct insn_regs r = fresh_regs();
	struct mmio m = { 0 };
	struct insn in;

	(void)state;
	r.gpr[INSN_RAX] = 0x8877665544332211ULL;
	r.gpr[INSN_RDI] = 0x1000;
	assert_int_equal(run(64, BYTES(0xaa), &r, &m, &in), 0);
	assert_int_equal(m.written, 0x11);
	assert_int_equal(r.gpr[INSN_RDI], 0x1001);
	assert_int_equal(run(64, BYTES(0x48, 0xab), &r, &m, &in), 0);
	assert_int_equal(m.written, 0x8877665544332211ULL);
	assert_int_equal(r.gpr[INSN_RDI], 0x1009);
	r.rflags |= INSN_FL_DF;
	assert_int_equal(run(64, BYTES(0xab), &r, &m, &in), 0);
	assert_int_equal(m.write_size, 4);
	assert_int_equal(r.gpr[INSN_RDI], 0x1005);
	/* 32-bit address size wraps EDI */
	r.rflags &= ~INSN_FL_DF;
	r.gpr[INSN_RDI] = 0x1fffffffeULL;
	assert_int_equal(run(64, BYTES(0x67, 0xab), &r, &m, &in), 0);
	assert_int_equal(r.gpr[INSN_RDI], 0x2);
	/* 16-bit mode: DI wraps, upper bits kept */
	r.gpr[INSN_RDI] = 0x1234ffff;
	assert_int_equal(run(16, BYTES(0xab), &r, &m, &in), 0);
	assert_int_equal(m.write_size, 2);
	assert_int_equal(r.gpr[INSN_RDI], 0x12340001);
}

static void test_rip_wraps(void **state)
{
	struct insn_regs r = fresh_regs();
	struct mmio m = { 0 };
	struct insn in;

	(void)state;
	r.rip = 0xffff;
	assert_int_equal(run(16, BYTES(0x89, 0x07), &r, &m, &in), 0);
	assert_int_equal(r.rip, 1);
	r.rip = 0xfffffffe;
	assert_int_equal(run(32, BYTES(0x89, 0x08), &r, &m, &in), 0);
	assert_int_equal(r.rip, 0);
	r.rip = 0xfffffffe;
	assert_int_equal(run(64, BYTES(0x89, 0x08), &r, &m, &in), 0);
	assert_int_equal(r.rip, 0x100000000ULL);
}

/* A failed access leaves every register as it was. */
static void test_callback_errors(void **state)
{
	struct insn_regs r = fresh_regs(), before = r;
	struct mmio m = { .read_rc = -E_IO };
	struct insn in;

	(void)state;
	assert_int_equal(run(64, BYTES(0x8b, 0x08), &r, &m, &in), -E_IO);
	assert_memory_equal(&r, &before, sizeof(r));
	m = (struct mmio){ .write_rc = -E_FAULT };
	assert_int_equal(run(64, BYTES(0x01, 0x08), &r, &m, &in), -E_FAULT);
	assert_int_equal(m.reads, 1);
	assert_memory_equal(&r, &before, sizeof(r));
	assert_int_equal(run(64, BYTES(0xab), &r, &m, &in), -E_FAULT);
	assert_memory_equal(&r, &before, sizeof(r));
	/* A corrupted struct insn is refused. */
	struct insn good = in;

	in.kind = 200;
	assert_int_equal(insn_emulate(&in, &r, mmio_read, mmio_write, &m), -E_INVAL);
	in = good;
	in.size = 0;
	assert_int_equal(insn_emulate(&in, &r, mmio_read, mmio_write, &m), -E_INVAL);
	in = good;
	in.mode_bits = 8;
	assert_int_equal(insn_emulate(&in, &r, mmio_read, mmio_write, &m), -E_INVAL);
	in = good;
	in.reg = 16;
	assert_int_equal(insn_emulate(&in, &r, mmio_read, mmio_write, &m), -E_INVAL);
	in = good;
	in.addr_size = 1;
	assert_int_equal(insn_emulate(&in, &r, mmio_read, mmio_write, &m), -E_INVAL);
	assert_memory_equal(&r, &before, sizeof(r));
}

static void test_format(void **state)
{
	char buf[16];

	(void)state;
	assert_int_equal(insn_format(BYTES(0x89, 0x08), buf, sizeof(buf)), 5);
	assert_string_equal(buf, "89 08");
	assert_int_equal(insn_format(BYTES(0x0f, 0xb6, 0xab), buf, 6), 8);
	assert_string_equal(buf, "0f b6");
	assert_int_equal(insn_format(BYTES(0xff), buf, 2), 2);
	assert_string_equal(buf, "");
	assert_int_equal(insn_format(NULL, 0, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	assert_int_equal(insn_format(BYTES(0x12), buf, 0), 2);
}

/* ------------------------------------------------------------ fuzz */

/* Bias the random bytes towards opcodes and prefixes the decoder knows so
 * that many inputs get past the first byte. */
static uint8_t fuzz_byte(void)
{
	static const uint8_t interesting[] = { 0x66, 0x67, 0xf0, 0xf2, 0xf3,
		0x2e, 0x65, 0x40, 0x48, 0x4c, 0x0f, 0x88, 0x89, 0x8a, 0x8b, 0xc6,
		0xc7, 0xa0, 0xa1, 0xa2, 0xa3, 0x01, 0x2b, 0x39, 0x80, 0x81, 0x83,
		0x84, 0xf6, 0xf7, 0xaa, 0xab, 0x63, 0xb6, 0xbf, 0x04, 0x05, 0x24,
		0x25, 0x44, 0x84 };

	if (rng_below(2))
		return interesting[rng_below(ARRAY_SIZE(interesting))];
	return (uint8_t)rng();
}

static void test_fuzz(void **state)
{
	static const unsigned modes[] = { 16, 32, 64 };
	unsigned ok = 0;

	(void)state;
	for (unsigned iter = 0; iter < 200000; iter++) {
		unsigned n = (unsigned)rng_below(INSN_MAX_LEN + 3);
		unsigned mode = modes[rng_below(ARRAY_SIZE(modes))];
		uint8_t *code = malloc(n ? n : 1);
		struct insn_regs r = fresh_regs();
		struct mmio m = { .value = rng() };
		struct insn in, again;
		int rc;

		for (unsigned i = 0; i < n; i++)
			code[i] = fuzz_byte();
		rc = insn_decode(code, n, mode, &in);
		if (rc == 0) {
			ok++;
			assert_true(in.len >= 1 && in.len <= n && in.len <= INSN_MAX_LEN);
			assert_true(in.size == 1 || in.size == 2 || in.size == 4 || in.size == 8);
			assert_true(in.reads_mem || in.writes_mem);
			/* Exactly len bytes decode the same; fewer ask for more. */
			assert_int_equal(insn_decode(code, in.len, mode, &again), 0);
			assert_memory_equal(&in, &again, sizeof(in));
			assert_int_equal(insn_decode(code, in.len - 1, mode, &again), -E_RANGE);
			assert_int_equal(insn_emulate(&in, &r, mmio_read, mmio_write, &m), 0);
			assert_true(m.reads <= 1 && m.writes <= 1);
		} else {
			assert_true(rc == -E_RANGE || rc == -E_INVAL || rc == -E_NOTSUP);
		}
		free(code);
	}
	assert_true(ok > 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lengths_and_sizes),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_too_long),
		cmocka_unit_test(test_unsupported),
		cmocka_unit_test(test_mov_store),
		cmocka_unit_test(test_byte_registers),
		cmocka_unit_test(test_mov_load_widths),
		cmocka_unit_test(test_mov_imm),
		cmocka_unit_test(test_movzx_movsx),
		cmocka_unit_test(test_alu_memory_destination),
		cmocka_unit_test(test_alu_register_destination),
		cmocka_unit_test(test_stos),
		cmocka_unit_test(test_rip_wraps),
		cmocka_unit_test(test_callback_errors),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_fuzz),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
