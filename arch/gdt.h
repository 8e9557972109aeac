/*
 * Segmentation in long mode: a GDT with one code and one data segment and a
 * TSS per CPU, used only for its interrupt stack table (SDM Vol. 3A 7.7).
 */
#ifndef KEEL_ARCH_GDT_H
#define KEEL_ARCH_GDT_H

#include <stdint.h>

#define GDT_KERNEL_CS	0x08
#define GDT_KERNEL_DS	0x10
#define GDT_TSS		0x18
#define GDT_ENTRIES	5	/* null, code, data, TSS (two slots) */

/* IST slots (1-based in the IDT gate) for exceptions that must not use a
 * possibly broken stack. */
#define IST_DOUBLE_FAULT	1
#define IST_NMI			2
#define IST_MACHINE_CHECK	3
#define IST_STACK_SIZE		8192

struct tss64 {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));
_Static_assert(sizeof(struct tss64) == 104, "TSS layout (SDM Vol. 3A 7.7)");

struct cpu_tables {
	uint64_t gdt[GDT_ENTRIES];
	struct tss64 tss;
	uint8_t ist_stacks[3][IST_STACK_SIZE] __attribute__((aligned(16)));
};

/* Load this CPU's GDT and TSS and reload the segment registers. */
void gdt_load(struct cpu_tables *t);

#endif
