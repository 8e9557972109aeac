/*
 * The VM-exit dispatcher: one designated-initializer table from basic exit
 * reason to handler, a bounds check, a counter per reason, and a fallback
 * that stops the domain with the reason and the guest's RIP. The small
 * handlers live here; I/O, MSR, CR and EPT exits have files of their own.
 */
#include "arch/cpu.h"
#include "arch/trap.h"
#include "kernel/errno.h"
#include "kernel/log.h"
#include "vmm/exit.h"
#include "vmm/platform.h"

#define HYPERCALL_UNKNOWN	(~0ULL)		/* RAX after an unknown VMCALL */

uint64_t vcpu_gpr(struct vcpu *v, unsigned reg)
{
	return reg == GPR_RSP ? vmcs_read(VMCS_GUEST_RSP) : v->regs.gpr[reg & 15];
}

void vcpu_set_gpr(struct vcpu *v, unsigned reg, uint64_t val)
{
	if (reg == GPR_RSP)
		vmcs_write(VMCS_GUEST_RSP, val);
	else
		v->regs.gpr[reg & 15] = val;
}

/* Step over an emulated instruction. An instruction that completes ends
 * any STI or MOV-SS interrupt shadow (SDM Vol. 3C 27.3.1.5 checks). */
void vcpu_skip_insn(struct vcpu *v, const struct vmexit *e)
{
	uint64_t intr = vmcs_read(VMCS_GUEST_INTERRUPTIBILITY);

	(void)v;
	vmcs_write(VMCS_GUEST_RIP, vmcs_read(VMCS_GUEST_RIP) + e->insn_len);
	if (intr & (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS))
		vmcs_write(VMCS_GUEST_INTERRUPTIBILITY,
			   intr & ~(uint64_t)(INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS));
}

/* The guest gets an exception instead of the instruction's effect. */
enum exit_action vcpu_fault(struct vcpu *v, unsigned vector, uint32_t error)
{
	bool has_error = vector == VEC_GP || vector == VEC_PF || vector == VEC_DF;

	vcpu_inject_exception(v, vector, has_error, error);
	return EXIT_RESUME;
}

static enum exit_action stop_with(struct vcpu *v, const char *what)
{
	domain_stop(v->dom, STOP_CRASH, -1, "%s on vCPU %u at RIP 0x%lx", what, v->index,
		    vmcs_read(VMCS_GUEST_RIP));
	return EXIT_STOP;
}

static enum exit_action handle_unknown(struct vcpu *v, const struct vmexit *e)
{
	char what[64];

	ksnprintf(what, sizeof(what), "unhandled VM exit %u (%s)", e->reason,
		  vmexit_reason_name(e->reason));
	return stop_with(v, what);
}

/* A triple fault resets a PC: the domain's on_reboot decides what follows. */
static enum exit_action handle_triple_fault(struct vcpu *v, const struct vmexit *e)
{
	(void)e;
	domain_stop(v->dom, STOP_RESET, -1, "triple fault on vCPU %u at RIP 0x%lx", v->index,
		    vmcs_read(VMCS_GUEST_RIP));
	return EXIT_STOP;
}

/* The interrupt is still pending in the local APIC ("acknowledge interrupt
 * on exit" is off): open a one-instruction window to take it here. */
static enum exit_action handle_external_intr(struct vcpu *v, const struct vmexit *e)
{
	(void)v;
	(void)e;
	__asm__ volatile("sti; nop; cli" ::: "memory");
	return EXIT_RESUME;
}

/* With the exception bitmap empty only NMIs arrive here; Keel sends none. */
static enum exit_action handle_exception_nmi(struct vcpu *v, const struct vmexit *e)
{
	uint32_t info = (uint32_t)vmcs_read(VMCS_EXIT_INTR_INFO);

	(void)e;
	if (((info >> INTR_INFO_TYPE_SHIFT) & 7) == INTR_TYPE_NMI)
		return EXIT_RESUME;
	return stop_with(v, "unexpected exception exit");
}

/* The slice ended, or a guest timer is due: run_until_exit() tells which. */
static enum exit_action handle_preemption_timer(struct vcpu *v, const struct vmexit *e)
{
	(void)v;
	(void)e;
	return EXIT_RESUME;
}

/*
 * HLT: the vCPU leaves the run queue until an event arrives (vintr_kick),
 * unless one already waits. 'wake' is cleared before looking, so an event
 * that comes after the look is seen by sched_put() and not lost.
 */
static enum exit_action handle_hlt(struct vcpu *v, const struct vmexit *e)
{
	vcpu_skip_insn(v, e);
	v->wake = false;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (v->nmi_pending || v->init_pending ||
	    ((vmcs_read(VMCS_GUEST_RFLAGS) & RFLAGS_IF) && vintr_pending(v)))
		return EXIT_RESUME;
	return EXIT_HALT;
}

/* The guest opened the window vintr_prepare() asked for: it injects now. */
static enum exit_action handle_window(struct vcpu *v, const struct vmexit *e)
{
	(void)v;
	(void)e;
	return EXIT_RESUME;
}

/* INVD and WBINVD: guest RAM is ordinary write-back memory, coherent
 * with everything Keel does, so there is nothing to flush (and INVD, which
 * would discard dirty lines, must never run on the host). */
static enum exit_action handle_skip(struct vcpu *v, const struct vmexit *e)
{
	vcpu_skip_insn(v, e);
	return EXIT_RESUME;
}

/* No hypercalls are defined yet: say so in RAX, like an unknown number. */
static enum exit_action handle_vmcall(struct vcpu *v, const struct vmexit *e)
{
	v->regs.gpr[GPR_RAX] = HYPERCALL_UNKNOWN;
	vcpu_skip_insn(v, e);
	return EXIT_RESUME;
}

/* VMX, SMX, MONITOR/MWAIT: not offered in CPUID, so #UD as on such a CPU. */
static enum exit_action handle_ud(struct vcpu *v, const struct vmexit *e)
{
	(void)e;
	return vcpu_fault(v, VEC_UD, 0);
}

/* RDPMC: no performance counters are offered. */
static enum exit_action handle_gp(struct vcpu *v, const struct vmexit *e)
{
	(void)e;
	return vcpu_fault(v, VEC_GP, 0);
}

static enum exit_action handle_entry_failure(struct vcpu *v, const struct vmexit *e)
{
	char what[64];

	ksnprintf(what, sizeof(what), "VM entry failed (exit reason %u, %s)", e->reason,
		  vmexit_reason_name(e->reason));
	return stop_with(v, what);
}

static const exit_handler_t handlers[EXIT_REASON_COUNT] = {
	[EXIT_EXCEPTION_NMI] = handle_exception_nmi,
	[EXIT_EXTERNAL_INTR] = handle_external_intr,
	[EXIT_TRIPLE_FAULT] = handle_triple_fault,
	[EXIT_INTR_WINDOW] = handle_window,
	[EXIT_NMI_WINDOW] = handle_window,
	[EXIT_CPUID] = handle_cpuid,
	[EXIT_GETSEC] = handle_ud,
	[EXIT_HLT] = handle_hlt,
	[EXIT_INVD] = handle_skip,
	[EXIT_WBINVD] = handle_skip,
	[EXIT_RDPMC] = handle_gp,
	[EXIT_VMCALL] = handle_vmcall,
	[EXIT_VMCLEAR] = handle_ud,
	[EXIT_VMLAUNCH] = handle_ud,
	[EXIT_VMPTRLD] = handle_ud,
	[EXIT_VMPTRST] = handle_ud,
	[EXIT_VMREAD] = handle_ud,
	[EXIT_VMRESUME] = handle_ud,
	[EXIT_VMWRITE] = handle_ud,
	[EXIT_VMXOFF] = handle_ud,
	[EXIT_VMXON] = handle_ud,
	[EXIT_INVEPT] = handle_ud,
	[EXIT_INVVPID] = handle_ud,
	[EXIT_VMFUNC] = handle_ud,
	[EXIT_MWAIT] = handle_ud,
	[EXIT_MONITOR] = handle_ud,
	[EXIT_CR_ACCESS] = handle_cr_access,
	[EXIT_IO] = handle_io,
	[EXIT_RDMSR] = handle_rdmsr,
	[EXIT_WRMSR] = handle_wrmsr,
	[EXIT_ENTRY_GUEST_STATE] = handle_entry_failure,
	[EXIT_ENTRY_MSR_LOAD] = handle_entry_failure,
	[EXIT_ENTRY_MCE] = handle_entry_failure,
	[EXIT_EPT_VIOLATION] = handle_ept_violation,
	[EXIT_PREEMPTION_TIMER] = handle_preemption_timer,
	[EXIT_XSETBV] = handle_xsetbv,
};

static const char *const reason_names[EXIT_REASON_COUNT] = {
	[EXIT_EXCEPTION_NMI] = "exception or NMI", [EXIT_EXTERNAL_INTR] = "external interrupt",
	[EXIT_TRIPLE_FAULT] = "triple fault", [EXIT_INIT] = "INIT", [EXIT_SIPI] = "SIPI",
	[EXIT_INTR_WINDOW] = "interrupt window", [EXIT_NMI_WINDOW] = "NMI window",
	[EXIT_TASK_SWITCH] = "task switch", [EXIT_CPUID] = "CPUID", [EXIT_GETSEC] = "GETSEC",
	[EXIT_HLT] = "HLT", [EXIT_INVD] = "INVD", [EXIT_INVLPG] = "INVLPG", [EXIT_RDPMC] = "RDPMC",
	[EXIT_RDTSC] = "RDTSC", [EXIT_RSM] = "RSM", [EXIT_VMCALL] = "VMCALL",
	[EXIT_VMCLEAR] = "VMCLEAR", [EXIT_VMLAUNCH] = "VMLAUNCH", [EXIT_VMPTRLD] = "VMPTRLD",
	[EXIT_VMPTRST] = "VMPTRST", [EXIT_VMREAD] = "VMREAD", [EXIT_VMRESUME] = "VMRESUME",
	[EXIT_VMWRITE] = "VMWRITE", [EXIT_VMXOFF] = "VMXOFF", [EXIT_VMXON] = "VMXON",
	[EXIT_CR_ACCESS] = "CR access", [EXIT_DR_ACCESS] = "DR access", [EXIT_IO] = "I/O",
	[EXIT_RDMSR] = "RDMSR", [EXIT_WRMSR] = "WRMSR",
	[EXIT_ENTRY_GUEST_STATE] = "invalid guest state", [EXIT_ENTRY_MSR_LOAD] = "MSR loading",
	[EXIT_MWAIT] = "MWAIT", [EXIT_MTF] = "monitor trap flag", [EXIT_MONITOR] = "MONITOR",
	[EXIT_PAUSE] = "PAUSE", [EXIT_ENTRY_MCE] = "machine check during entry",
	[EXIT_TPR_BELOW] = "TPR below threshold", [EXIT_APIC_ACCESS] = "APIC access",
	[EXIT_GDTR_IDTR] = "GDTR/IDTR access", [EXIT_LDTR_TR] = "LDTR/TR access",
	[EXIT_EPT_VIOLATION] = "EPT violation", [EXIT_EPT_MISCONFIG] = "EPT misconfiguration",
	[EXIT_INVEPT] = "INVEPT", [EXIT_RDTSCP] = "RDTSCP",
	[EXIT_PREEMPTION_TIMER] = "preemption timer", [EXIT_INVVPID] = "INVVPID",
	[EXIT_WBINVD] = "WBINVD", [EXIT_XSETBV] = "XSETBV", [EXIT_RDRAND] = "RDRAND",
	[EXIT_INVPCID] = "INVPCID", [EXIT_VMFUNC] = "VMFUNC", [EXIT_RDSEED] = "RDSEED",
	[EXIT_XSAVES] = "XSAVES", [EXIT_XRSTORS] = "XRSTORS",
};

const char *vmexit_reason_name(uint32_t reason)
{
	if (reason < EXIT_REASON_COUNT && reason_names[reason])
		return reason_names[reason];
	return "unknown";
}

/*
 * An exit can interrupt the delivery of an event to the guest (a timer
 * tick while the CPU pushes a #GP frame, say): the IDT-vectoring field
 * then holds that event, and it must be delivered again on the next entry
 * or the guest loses it (SDM Vol. 3C 28.2.4, 29.2.4). An EPT violation
 * during delivery means the guest's IDT, GDT or stack is not in RAM: Keel
 * cannot emulate the delivery, so that stops the domain.
 */
static bool redeliver(struct vcpu *v, const struct vmexit *e)
{
	uint32_t info = (uint32_t)vmcs_read(VMCS_IDT_VECTORING_INFO);

	if (!(info & INTR_INFO_VALID))
		return true;
	if (e->reason == EXIT_EPT_VIOLATION || e->reason == EXIT_TRIPLE_FAULT)
		return e->reason == EXIT_TRIPLE_FAULT;
	vmcs_write(VMCS_ENTRY_INTR_INFO, info & ~INTR_INFO_RESERVED);
	if (info & INTR_INFO_ERROR_CODE)
		vmcs_write(VMCS_ENTRY_EXCEPTION_ERROR, vmcs_read(VMCS_IDT_VECTORING_ERROR));
	vmcs_write(VMCS_ENTRY_INSN_LEN, e->insn_len);
	(void)v;
	return true;
}

enum exit_action vmexit_dispatch(struct vcpu *v, uint32_t raw_reason)
{
	struct vmexit e = {
		.reason = raw_reason & EXIT_REASON_BASIC_MASK,
		.qual = vmcs_read(VMCS_EXIT_QUALIFICATION),
		.insn_len = (uint32_t)vmcs_read(VMCS_EXIT_INSN_LEN),
	};
	exit_handler_t h = NULL;

	if (e.reason < EXIT_REASON_COUNT) {
		v->exits[e.reason]++;
		h = handlers[e.reason];
	} else {
		v->exits_other++;
	}
	if (raw_reason & EXIT_REASON_ENTRY_FAIL)
		return handle_entry_failure(v, &e);
	if (!redeliver(v, &e))
		return stop_with(v, "event delivery through memory that is not RAM");
	return (h ? h : handle_unknown)(v, &e);
}
