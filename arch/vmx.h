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
	bool preemption_timer;	/* pin-based control allowed */
	unsigned preemption_shift;	/* timer ticks every 2^shift TSC cycles */
	uint32_t revision;	/* VMCS revision id (IA32_VMX_BASIC[30:0]) */
	uint64_t basic, procbased2, ept_vpid;
	/* Allowed settings of each control word: low half allowed-0 (bits
	 * that must be 1), high half allowed-1 (appendix A.3-A.5; the TRUE_
	 * MSRs where IA32_VMX_BASIC[55] says they exist). */
	uint64_t pin, proc, exit, entry;
	uint64_t cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
};

/* The control words a VMCS may use: see vmx_control(). */
enum vmx_control_word { VMX_CTL_PIN, VMX_CTL_PROC, VMX_CTL_PROC2, VMX_CTL_EXIT, VMX_CTL_ENTRY };

/*
 * Guest general-purpose registers while the guest is not running, in the
 * order of their instruction encodings (RAX = 0 ... R15 = 15), so that an
 * instruction's register field indexes gpr[] directly. The slot for RSP is
 * unused (RSP lives in the VMCS). CR2 is not part of the VMCS either.
 */
enum { GPR_RAX, GPR_RCX, GPR_RDX, GPR_RBX, GPR_RSP, GPR_RBP, GPR_RSI, GPR_RDI,
       GPR_R8, GPR_R9, GPR_R10, GPR_R11, GPR_R12, GPR_R13, GPR_R14, GPR_R15, GPR_COUNT };

struct vmx_gprs {
	uint64_t gpr[GPR_COUNT];
	uint64_t cr2;
};
#define VMX_GPRS_CR2 128	/* offset used by arch/vmx_entry.asm */
_Static_assert(__builtin_offsetof(struct vmx_gprs, cr2) == VMX_GPRS_CR2, "vmx_entry.asm layout");

extern struct vmx_caps vmx_caps;

/* Read the capabilities on the boot CPU and decide whether VMX is usable. */
void vmx_detect(void);
/* Enter VMX root operation on this CPU; 0 or a negative E_* code. */
int vmx_cpu_enable(struct percpu *p);
/* "VT-x (EPT, VPID, unrestricted guest)" or "unavailable: <reason>". */
void vmx_describe(char *buf, unsigned size);

/*
 * A control word for a new VMCS: 'want' plus the bits the CPU requires,
 * minus those it cannot set. Callers check the result for the bits they
 * cannot do without.
 */
uint32_t vmx_control(enum vmx_control_word w, uint32_t want);

/*
 * Enter the guest whose VMCS is current on this CPU with the registers in
 * *g (VMRESUME when 'launched', else VMLAUNCH). Returns 0 after a VM exit,
 * with the guest's registers saved back to *g, or 1 when the instruction
 * failed (VMCS_VM_INSN_ERROR says why). arch/vmx_entry.asm.
 */
int vmx_enter(struct vmx_gprs *g, int launched);
/* Where a VM exit lands (VMCS_HOST_RIP). */
void vmx_exit_point(void);

#endif
