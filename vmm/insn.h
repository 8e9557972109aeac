/*
 * x86 instruction decoder and emulator for MMIO exits. When a guest touches
 * a guest-physical page that is not RAM, the EPT violation says where but
 * not what: this module decodes the instruction at the guest's RIP and
 * performs its register side, asking the caller to read or write the MMIO
 * location through callbacks.
 *
 * Pure code, decode-then-execute: insn_decode() validates the bytes (which
 * the guest controls) into a struct insn, insn_emulate() executes it. Only
 * the forms a driver uses on device registers are supported (Intel SDM
 * Vol. 2 for each instruction):
 *   MOV 88/89/8A/8B, C6 /0, C7 /0, A0-A3 (moffs), MOVZX 0F B6/B7,
 *   MOVSX 0F BE/BF, MOVSXD 63 (64-bit mode), STOS AA/AB without REP,
 *   ADD/OR/ADC/SBB/AND/SUB/XOR/CMP 00-3B (r/m forms) and 80/81/83,
 *   TEST 84/85 and F6 /0, F7 /0.
 * The memory operand must be memory (ModRM.mod != 3); its address is known
 * from the exit, so ModRM/SIB/displacement are decoded only for the length.
 * Prefixes: 66, 67, segment overrides (consumed, no effect here), LOCK
 * (only on read-modify-write ALU forms), REX in 64-bit mode. REP/REPNE are
 * rejected (no REP string emulation). Everything else is -E_NOTSUP, and the
 * caller stops the domain naming the bytes (insn_format()).
 */
#ifndef KEEL_VMM_INSN_H
#define KEEL_VMM_INSN_H

#include "kernel/klib.h"

#define INSN_MAX_LEN 15		/* SDM Vol. 2 2.3.11 */

/* Register indices are the x86 encodings. */
enum insn_gpr {
	INSN_RAX, INSN_RCX, INSN_RDX, INSN_RBX,
	INSN_RSP, INSN_RBP, INSN_RSI, INSN_RDI,
	INSN_R8, INSN_R9, INSN_R10, INSN_R11,
	INSN_R12, INSN_R13, INSN_R14, INSN_R15,
	INSN_NR_GPRS
};

/* RFLAGS bits the emulator reads or writes (SDM Vol. 1 3.4.3). */
#define INSN_FL_CF	(1ULL << 0)
#define INSN_FL_PF	(1ULL << 2)
#define INSN_FL_AF	(1ULL << 4)
#define INSN_FL_ZF	(1ULL << 6)
#define INSN_FL_SF	(1ULL << 7)
#define INSN_FL_DF	(1ULL << 10)
#define INSN_FL_OF	(1ULL << 11)
#define INSN_FL_STATUS	(INSN_FL_CF | INSN_FL_PF | INSN_FL_AF | INSN_FL_ZF | \
			 INSN_FL_SF | INSN_FL_OF)

struct insn_regs {
	uint64_t gpr[INSN_NR_GPRS];
	uint64_t rip, rflags;
};

struct insn {
	/* For the caller. */
	unsigned len;		/* bytes, 1..INSN_MAX_LEN */
	unsigned size;		/* bytes of the memory access: 1, 2, 4 or 8 */
	bool reads_mem, writes_mem;
	/* Private to vmm/insn.c. */
	uint8_t kind;		/* what insn_emulate() does */
	uint8_t alu;		/* ALU operation */
	uint8_t reg;		/* register operand, 0-15 */
	uint8_t reg_size;	/* its size in bytes */
	uint8_t addr_size;	/* 2, 4 or 8 (STOS updates rDI at this width) */
	uint8_t mode_bits;	/* 16, 32 or 64 (RIP wraps at this width) */
	bool rex;		/* a REX prefix: 8-bit regs 4-7 are SPL..DIL */
	bool src_imm;		/* the source operand is imm, not reg */
	uint64_t imm;		/* immediate, extended to size */
};

/*
 * Decodes the instruction in code[0..avail-1] for a code segment of
 * mode_bits (16, 32 or 64). Never reads beyond avail bytes.
 * Returns 0, or
 *   -E_RANGE:  the bytes end before the instruction does (fetch more, or the
 *              next page is not mapped);
 *   -E_INVAL:  longer than INSN_MAX_LEN (the CPU raises #GP), or a bad mode;
 *   -E_NOTSUP: not an instruction this emulator supports, or no memory
 *              operand.
 */
int insn_decode(const uint8_t *code, unsigned avail, unsigned mode_bits,
		struct insn *out);

/* Callbacks for the memory operand; values are little-endian integers of
 * size bytes. Return 0 or a negative E_* code, which insn_emulate() passes
 * back unchanged. */
typedef int (*insn_mem_read_fn)(void *ctx, unsigned size, uint64_t *val);
typedef int (*insn_mem_write_fn)(void *ctx, unsigned size, uint64_t val);

/*
 * Executes a decoded instruction: reads and/or writes the memory operand
 * once each through the callbacks (a read-modify-write reads first), then
 * updates general registers (32-bit results zero-extend to 64 bits, 8- and
 * 16-bit results keep the rest), the status flags CF PF AF ZF SF OF (AF is
 * cleared by logical operations) and advances RIP by in->len. Registers are
 * changed only if every callback succeeded, so a failed access can be
 * retried or turned into a fault without undoing anything.
 */
int insn_emulate(const struct insn *in, struct insn_regs *regs,
		 insn_mem_read_fn mem_read, insn_mem_write_fn mem_write,
		 void *ctx);

/* Writes code[0..n-1] as hex bytes ("89 08") into buf, NUL-terminated
 * and truncated at a whole byte. Returns the length of the full text. */
int insn_format(const uint8_t *code, unsigned n, char *buf, size_t size);

#endif
