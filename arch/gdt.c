/* Per-CPU GDT and TSS set-up (SDM Vol. 3A 3.4.5 and 7.2.3). */
#include "arch/gdt.h"
#include "kernel/klib.h"

/* Segment descriptor bits. */
#define SEG_PRESENT	(1ULL << 47)
#define SEG_S		(1ULL << 44)	/* code or data (not system) */
#define SEG_CODE	(1ULL << 43)
#define SEG_RW		(1ULL << 41)	/* readable code / writable data */
#define SEG_LONG	(1ULL << 53)
#define SEG_GRAN	(1ULL << 55)
#define SEG_LIMIT_MAX	(0xffffULL | (0xfULL << 48))
#define SEG_TSS_AVAIL	(0x9ULL << 40)	/* 64-bit available TSS */

struct gdt_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

static void set_tss_descriptor(uint64_t *slot, const struct tss64 *tss)
{
	uint64_t base = (uint64_t)tss, limit = sizeof(*tss) - 1;

	slot[0] = (limit & 0xffff) | ((base & 0xffffff) << 16) | SEG_TSS_AVAIL |
		  SEG_PRESENT | (((base >> 24) & 0xff) << 56);
	slot[1] = base >> 32;
}

void gdt_load(struct cpu_tables *t)
{
	struct gdt_ptr p = { sizeof(t->gdt) - 1, (uint64_t)t->gdt };

	t->gdt[0] = 0;
	t->gdt[1] = SEG_PRESENT | SEG_S | SEG_CODE | SEG_RW | SEG_LONG | SEG_GRAN | SEG_LIMIT_MAX;
	t->gdt[2] = SEG_PRESENT | SEG_S | SEG_RW | SEG_GRAN | SEG_LIMIT_MAX;
	memset(&t->tss, 0, sizeof(t->tss));
	for (int i = 0; i < 3; i++)
		t->tss.ist[i] = (uint64_t)&t->ist_stacks[i][IST_STACK_SIZE];
	t->tss.iomap_base = sizeof(t->tss);	/* no I/O permission bitmap */
	set_tss_descriptor(&t->gdt[3], &t->tss);

	__asm__ volatile(
		"lgdt %0\n\t"
		"mov %1, %%ds\n\t"
		"mov %1, %%es\n\t"
		"mov %1, %%ss\n\t"
		"xor %%eax, %%eax\n\t"
		"mov %%ax, %%fs\n\t"
		"mov %%ax, %%gs\n\t"
		"pushq %2\n\t"
		"lea 1f(%%rip), %%rax\n\t"
		"pushq %%rax\n\t"
		"lretq\n"
		"1:\n\t"
		"ltr %w3"
		: : "m"(p), "r"((uint64_t)GDT_KERNEL_DS), "i"(GDT_KERNEL_CS), "r"(GDT_TSS)
		: "rax", "memory");
}
