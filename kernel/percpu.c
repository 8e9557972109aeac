/* Per-CPU set-up common to the boot CPU and the application processors. */
#include "arch/cpu.h"
#include "arch/trap.h"
#include "kernel/percpu.h"

/* Load this CPU's GDT/TSS and IDT and point GS at its per-CPU struct.
 * GS is set after the GDT load, which clears the GS selector. */
void percpu_setup(struct percpu *p)
{
	p->self = p;
	gdt_load(&p->tables);
	idt_load();
	wrmsr(MSR_GS_BASE, (uint64_t)p);
	wrmsr(MSR_KERNEL_GS_BASE, 0);
}
