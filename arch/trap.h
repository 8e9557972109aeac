/*
 * Interrupts and exceptions: the IDT, the register frame the assembly stubs
 * (arch/isr.asm) build, and the registry of interrupt handlers by vector.
 */
#ifndef KEEL_ARCH_TRAP_H
#define KEEL_ARCH_TRAP_H

#include <stdint.h>

/* Exception vectors (SDM Vol. 3A 6.3.1). */
#define VEC_DE	0
#define VEC_DB	1
#define VEC_NMI	2
#define VEC_BP	3
#define VEC_UD	6
#define VEC_DF	8
#define VEC_GP	13
#define VEC_PF	14
#define VEC_MC	18
#define NR_EXCEPTIONS 32

/* Keel's interrupt vectors. */
#define VEC_LAPIC_TIMER	0x40
#define VEC_IPI_CALL	0x41	/* run this CPU's pending cpu_call */
#define VEC_IPI_WAKE	0x42	/* just leave HLT */
#define VEC_CONSOLE	0x43	/* the serial console received bytes */
#define VEC_SPURIOUS	0xff

/* Saved by isr.asm, in push order reversed; offsets used by the asm. */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;	/* pushed by the CPU */
};
_Static_assert(sizeof(struct trap_frame) == 22 * 8, "isr.asm frame layout");

typedef void (*irq_handler_t)(struct trap_frame *f);

void idt_init(void);	/* build the shared IDT (once, on the BSP) */
void idt_load(void);	/* load it on this CPU */
void irq_register(uint8_t vector, irq_handler_t fn);
void trap_dispatch(struct trap_frame *f);

#endif
