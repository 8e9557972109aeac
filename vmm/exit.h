/*
 * VM-exit handling: one table over all basic exit reasons (vmm/exit.c),
 * one handler signature. The handlers for I/O, MSRs, control registers and
 * EPT violations live in their own files; each turns the exit into a
 * neutral request (port access, MMIO access, ...) for the device models.
 */
#ifndef KEEL_VMM_EXIT_H
#define KEEL_VMM_EXIT_H

#include "vmm/vmm.h"

/* What every handler gets: read once from the VMCS by the dispatcher. */
struct vmexit {
	uint32_t reason;	/* basic exit reason */
	uint64_t qual;		/* exit qualification */
	uint32_t insn_len;	/* VM-exit instruction length (valid for
				   instruction exits) */
};

typedef enum exit_action (*exit_handler_t)(struct vcpu *v, const struct vmexit *e);

/* Handle the exit that just happened (its VMCS is current). */
enum exit_action vmexit_dispatch(struct vcpu *v, uint32_t raw_reason);
const char *vmexit_reason_name(uint32_t reason);

/* Helpers for handlers. */
void vcpu_skip_insn(struct vcpu *v, const struct vmexit *e);
enum exit_action vcpu_fault(struct vcpu *v, unsigned vector, uint32_t error);
uint64_t vcpu_gpr(struct vcpu *v, unsigned reg);	/* reg 4 reads RSP */
void vcpu_set_gpr(struct vcpu *v, unsigned reg, uint64_t val);

enum exit_action handle_io(struct vcpu *v, const struct vmexit *e);
enum exit_action handle_rdmsr(struct vcpu *v, const struct vmexit *e);
enum exit_action handle_wrmsr(struct vcpu *v, const struct vmexit *e);
enum exit_action handle_cr_access(struct vcpu *v, const struct vmexit *e);
enum exit_action handle_ept_violation(struct vcpu *v, const struct vmexit *e);
enum exit_action handle_cpuid(struct vcpu *v, const struct vmexit *e);
enum exit_action handle_xsetbv(struct vcpu *v, const struct vmexit *e);

/* vmm/exit_cr.c: apply a new guest CR0/CR4/EFER, keeping the VMCS's
 * mode controls consistent (IA-32e mode guest, PDPTEs). */
int vcpu_write_cr0(struct vcpu *v, uint64_t val);
int vcpu_write_cr4(struct vcpu *v, uint64_t val);
int vcpu_write_efer(struct vcpu *v, uint64_t val);
/* CR0/CR4 as the guest reads them. */
uint64_t vcpu_guest_cr0(void);
uint64_t vcpu_guest_cr4(void);
/* The CR0/CR4 bits the guest may not own (see vcpu_setup_vmcs). */
uint64_t vcpu_cr0_host_mask(void);
uint64_t vcpu_cr4_host_mask(void);

/* vmm/exit_msr.c: build the MSR bitmap (all exits but the pass-through
 * list); the per-slice switch of the MSRs the VMCS does not hold. */
void msr_bitmap_init(uint64_t page);
void msr_guest_load(struct vcpu *v);
void msr_guest_save(struct vcpu *v);

/* vmm/exit_ept.c: copy between 'buf' and guest linear memory through the
 * guest's own page tables (SDM Vol. 3A chapter 4). 0; -E_NOENT for a page
 * fault (*pf_error and *fault_addr say which, for #PF); -E_FAULT when a
 * byte is not guest RAM. */
enum lin_access { LIN_READ, LIN_WRITE, LIN_FETCH };
int vcpu_access_linear(struct vcpu *v, uint64_t gva, void *buf, size_t len,
		       enum lin_access acc, uint32_t *pf_error, uint64_t *fault_addr);
/* Inject #PF for a fault vcpu_access_linear() reported. */
enum exit_action vcpu_page_fault(struct vcpu *v, uint64_t addr, uint32_t error);
/* Guest code size at RIP: 16, 32 or 64. */
unsigned vcpu_code_bits(struct vcpu *v);

#endif
