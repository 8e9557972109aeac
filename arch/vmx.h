/*
 * VMX bring-up (SDM Vol. 3C chapters 23-24 and appendix A): what the CPU
 * offers, and VMXON on each CPU. Guests come later (vmm/).
 */
#ifndef KEEL_ARCH_VMX_H
#define KEEL_ARCH_VMX_H

#include <stdbool.h>
#include <stdint.h>

struct percpu;

struct vmx_caps {
	bool usable;		/* VMX with EPT: guests can run */
	char reason[96];	/* why not, when !usable */
	bool ept, vpid, unrestricted;
	uint32_t revision;	/* VMCS revision id (IA32_VMX_BASIC[30:0]) */
	uint64_t basic, procbased2, ept_vpid;
};

extern struct vmx_caps vmx_caps;

/* Read the capabilities on the boot CPU and decide whether VMX is usable. */
void vmx_detect(void);
/* Enter VMX root operation on this CPU; 0 or a negative E_* code. */
int vmx_cpu_enable(struct percpu *p);
/* "VT-x (EPT, VPID, unrestricted guest)" or "unavailable: <reason>". */
void vmx_describe(char *buf, unsigned size);

#endif
