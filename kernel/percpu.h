/*
 * Per-CPU state: one struct per physical CPU, reached through GS.base
 * (this_cpu()). Fields are written by the CPU itself unless a comment says
 * otherwise.
 */
#ifndef KEEL_PERCPU_H
#define KEEL_PERCPU_H

#include "arch/gdt.h"
#include "kernel/klib.h"

#define MAX_CPUS 64

enum cpu_state {
	CPU_ABSENT = 0,	/* no such CPU */
	CPU_STARTING,	/* INIT-SIPI-SIPI sent, not yet in C (written by BSP) */
	CPU_ONLINE,	/* in its idle loop */
	CPU_FAILED,	/* did not answer the start-up IPIs (written by BSP) */
	CPU_STOPPED,	/* stopped by an exception */
};

/* A function another CPU asks this one to run (see smp_call()). */
struct cpu_call {
	void (*fn)(void *arg);
	void *arg;
	volatile int pending;	/* set by the caller, cleared by the callee */
};

struct vcpu;

struct percpu {
	struct percpu *self;	/* at %gs:0, so this_cpu() is one load */
	uint32_t id;		/* logical CPU number, 0 = the boot CPU */
	uint32_t apic_id;	/* written by the BSP before start-up */
	volatile enum cpu_state state;
	uint64_t stack_top;	/* written by the BSP before start-up */
	struct cpu_tables tables;	/* GDT and TSS */
	struct cpu_call call;
	volatile uint64_t ticks;	/* LAPIC timer interrupts taken */
	uint64_t vmxon_region;	/* physical, 0 when VMX is off */
	bool vmx_on;
	int vmx_error;		/* why VMXON failed, as a negative E_* */
	uint64_t tlb_generation;	/* EPT/VPID flushes seen (vmm/sched.c) */
	volatile bool idle;	/* halted with nothing to run */
	struct vcpu *vcpu;	/* the vCPU in its slice here, or NULL */
};

extern struct percpu cpus[MAX_CPUS];
extern uint32_t cpu_count;	/* CPUs known (from ACPI or the loader) */

static inline struct percpu *this_cpu(void)
{
	struct percpu *p;

	__asm__ volatile("mov %%gs:0, %0" : "=r"(p));
	return p;
}

void percpu_setup(struct percpu *p);

#endif
