/*
 * The IDT (SDM Vol. 3A 6.14.1): 256 interrupt gates pointing at the stubs
 * in isr.asm, and the dispatcher that routes a vector to its handler.
 * Exceptions go to trap_exception() (arch/fault.c), which stops the CPU.
 */
#include "arch/gdt.h"
#include "arch/lapic.h"
#include "arch/trap.h"
#include "kernel/klib.h"

#define GATE_INTERRUPT	0xeULL
#define GATE_PRESENT	(1ULL << 15)

struct idt_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

extern const uint64_t isr_table[256];
static uint64_t idt[256 * 2] __attribute__((aligned(16)));
static irq_handler_t handlers[256];

void trap_exception(struct trap_frame *f);

static void set_gate(int vec, uint64_t target, int ist)
{
	idt[vec * 2] = (target & 0xffff) | ((uint64_t)GDT_KERNEL_CS << 16) |
		       ((uint64_t)ist << 32) | ((GATE_INTERRUPT << 8 | GATE_PRESENT) << 32) |
		       ((target >> 16 & 0xffff) << 48);
	idt[vec * 2 + 1] = target >> 32;
}

void idt_init(void)
{
	for (int v = 0; v < 256; v++)
		set_gate(v, isr_table[v], 0);
	set_gate(VEC_DF, isr_table[VEC_DF], IST_DOUBLE_FAULT);
	set_gate(VEC_NMI, isr_table[VEC_NMI], IST_NMI);
	set_gate(VEC_MC, isr_table[VEC_MC], IST_MACHINE_CHECK);
}

void idt_load(void)
{
	struct idt_ptr p = { sizeof(idt) - 1, (uint64_t)idt };

	__asm__ volatile("lidt %0" : : "m"(p));
}

void irq_register(uint8_t vector, irq_handler_t fn)
{
	handlers[vector] = fn;
}

void trap_dispatch(struct trap_frame *f)
{
	if (f->vector < NR_EXCEPTIONS) {
		trap_exception(f);
		return;
	}
	if (f->vector == VEC_SPURIOUS)
		return;		/* spurious: no EOI (SDM Vol. 3A 11.9) */
	if (handlers[f->vector])
		handlers[f->vector](f);
	lapic_eoi();
}
