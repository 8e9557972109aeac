/*
 * Detecting VT-x and entering VMX root operation.
 *
 * Detection (SDM Vol. 3C 23.6, 23.7): CPUID.1:ECX.VMX, IA32_FEATURE_CONTROL
 * (bit 0 lock, bit 2 VMX outside SMX; set both when the firmware left it
 * unlocked), the secondary processor-based controls for EPT (bit 1), VPID
 * (bit 5) and unrestricted guest (bit 7), read from the allowed-1 half of
 * IA32_VMX_PROCBASED_CTLS2 (appendix A.3.3).
 *
 * VMXON (23.7, 23.8): CR0 and CR4 must satisfy the FIXED0/FIXED1 MSRs,
 * CR4.VMXE set, and a 4 KiB VMXON region that starts with the revision id.
 */
#include "arch/cpu.h"
#include "arch/vmx.h"
#include "kernel/errno.h"
#include "kernel/log.h"
#include "kernel/mm.h"
#include "kernel/percpu.h"

#define CPUID_1_ECX_VMX		(1u << 5)
#define FC_LOCK			(1ULL << 0)
#define FC_VMX_OUTSIDE_SMX	(1ULL << 2)
#define BASIC_REVISION_MASK	0x7fffffffULL
#define PROC_ACTIVATE_SECONDARY	(1ULL << 31)
#define PROC2_EPT		(1ULL << 1)
#define PROC2_VPID		(1ULL << 5)
#define PROC2_UNRESTRICTED	(1ULL << 7)
#define ALLOWED1(msr)		((msr) >> 32)
#define BASIC_TRUE_CONTROLS	(1ULL << 55)
#define MISC_PREEMPT_SHIFT_MASK	0x1fULL
#define PIN_PREEMPT_TIMER	(1ULL << 6)
#define MSR_IA32_VMX_EXIT_CTLS		0x483
#define MSR_IA32_VMX_ENTRY_CTLS		0x484
#define MSR_IA32_VMX_MISC		0x485
#define MSR_IA32_VMX_TRUE_PINBASED	0x48d
#define MSR_IA32_VMX_TRUE_PROCBASED	0x48e
#define MSR_IA32_VMX_TRUE_EXIT		0x48f
#define MSR_IA32_VMX_TRUE_ENTRY		0x490

struct vmx_caps vmx_caps;

static void unusable(const char *why)
{
	vmx_caps.usable = false;
	ksnprintf(vmx_caps.reason, sizeof(vmx_caps.reason), "%s", why);
}

static void cpu_vendor(char out[13])
{
	struct cpuid_regs r = cpuid(0, 0);

	memcpy(out, &r.ebx, 4);
	memcpy(out + 4, &r.edx, 4);
	memcpy(out + 8, &r.ecx, 4);
	out[12] = '\0';
}

/* IA32_FEATURE_CONTROL: lock it with VMX enabled if the firmware did not. */
static bool feature_control_ok(void)
{
	uint64_t fc = rdmsr(MSR_IA32_FEATURE_CONTROL);

	if (!(fc & FC_LOCK)) {
		wrmsr(MSR_IA32_FEATURE_CONTROL, fc | FC_LOCK | FC_VMX_OUTSIDE_SMX);
		fc = rdmsr(MSR_IA32_FEATURE_CONTROL);
	}
	return (fc & FC_LOCK) && (fc & FC_VMX_OUTSIDE_SMX);
}

/* Appendix A.3-A.5: the TRUE_ MSRs, when present, may allow clearing some
 * "default1" bits (CR3 exiting, for one) that the plain ones keep set. */
static void read_allowed_settings(void)
{
	bool t = vmx_caps.basic & BASIC_TRUE_CONTROLS;

	vmx_caps.pin = rdmsr(t ? MSR_IA32_VMX_TRUE_PINBASED : MSR_IA32_VMX_PINBASED_CTLS);
	vmx_caps.proc = rdmsr(t ? MSR_IA32_VMX_TRUE_PROCBASED : MSR_IA32_VMX_PROCBASED_CTLS);
	vmx_caps.exit = rdmsr(t ? MSR_IA32_VMX_TRUE_EXIT : MSR_IA32_VMX_EXIT_CTLS);
	vmx_caps.entry = rdmsr(t ? MSR_IA32_VMX_TRUE_ENTRY : MSR_IA32_VMX_ENTRY_CTLS);
	vmx_caps.preemption_timer = ALLOWED1(vmx_caps.pin) & PIN_PREEMPT_TIMER;
	vmx_caps.preemption_shift = (unsigned)(rdmsr(MSR_IA32_VMX_MISC) & MISC_PREEMPT_SHIFT_MASK);
	vmx_caps.cr0_fixed0 = rdmsr(MSR_IA32_VMX_CR0_FIXED0);
	vmx_caps.cr0_fixed1 = rdmsr(MSR_IA32_VMX_CR0_FIXED1);
	vmx_caps.cr4_fixed0 = rdmsr(MSR_IA32_VMX_CR4_FIXED0);
	vmx_caps.cr4_fixed1 = rdmsr(MSR_IA32_VMX_CR4_FIXED1);
}

uint32_t vmx_control(enum vmx_control_word w, uint32_t want)
{
	static const uint64_t *const words[] = {
		[VMX_CTL_PIN] = &vmx_caps.pin, [VMX_CTL_PROC] = &vmx_caps.proc,
		[VMX_CTL_PROC2] = &vmx_caps.procbased2, [VMX_CTL_EXIT] = &vmx_caps.exit,
		[VMX_CTL_ENTRY] = &vmx_caps.entry,
	};
	uint64_t msr = *words[w];

	return (want | (uint32_t)msr) & (uint32_t)(msr >> 32);
}

static void read_controls(void)
{
	uint64_t proc = rdmsr(MSR_IA32_VMX_PROCBASED_CTLS);

	vmx_caps.basic = rdmsr(MSR_IA32_VMX_BASIC);
	vmx_caps.revision = (uint32_t)(vmx_caps.basic & BASIC_REVISION_MASK);
	if (ALLOWED1(proc) & PROC_ACTIVATE_SECONDARY)
		vmx_caps.procbased2 = rdmsr(MSR_IA32_VMX_PROCBASED_CTLS2);
	vmx_caps.ept = ALLOWED1(vmx_caps.procbased2) & PROC2_EPT;
	vmx_caps.vpid = ALLOWED1(vmx_caps.procbased2) & PROC2_VPID;
	vmx_caps.unrestricted = ALLOWED1(vmx_caps.procbased2) & PROC2_UNRESTRICTED;
	if (vmx_caps.ept || vmx_caps.vpid)
		vmx_caps.ept_vpid = rdmsr(MSR_IA32_VMX_EPT_VPID_CAP);
	read_allowed_settings();
}

void vmx_detect(void)
{
	char vendor[13], why[96];

	cpu_vendor(vendor);
	if (!(cpuid(1, 0).ecx & CPUID_1_ECX_VMX)) {
		ksnprintf(why, sizeof(why), "the CPU (%s) has no VT-x (CPUID.1:ECX.VMX is 0)", vendor);
		unusable(why);
	} else if (!feature_control_ok()) {
		unusable("VT-x is disabled by the firmware (IA32_FEATURE_CONTROL is locked "
			 "without VMX; enable it in the BIOS setup)");
	} else {
		read_controls();
		if (!vmx_caps.ept)
			unusable("VT-x without EPT (IA32_VMX_PROCBASED_CTLS2)");
		else
			vmx_caps.usable = true;
	}
	if (vmx_caps.usable)
		pr_info("vmx: VMCS revision 0x%x, EPT %s, VPID %s, unrestricted guest %s\n",
			vmx_caps.revision, vmx_caps.ept ? "yes" : "no",
			vmx_caps.vpid ? "yes" : "no", vmx_caps.unrestricted ? "yes" : "no");
	else
		pr_warn("vmx: unavailable: %s; Keel runs without guests\n", vmx_caps.reason);
}

/* Keel itself uses no FPU or SSE, but it saves and restores each vCPU's
 * with FXSAVE or XSAVE when vCPUs share a CPU; those need these CR4 bits. */
static uint64_t host_fpu_cr4(void)
{
	return CR4_OSFXSR | CR4_OSXMMEXCPT | (cpu_has_xsave() ? CR4_OSXSAVE : 0);
}

static uint64_t fix_bits(uint64_t v, uint32_t fixed0, uint32_t fixed1)
{
	return (v | rdmsr(fixed0)) & rdmsr(fixed1);
}

/* VMXON reports failure through CF (VMfailInvalid) or ZF (VMfailValid). */
static bool vmxon(uint64_t region)
{
	uint8_t fail;

	__asm__ volatile("vmxon %1; setbe %0" : "=q"(fail) : "m"(region) : "cc", "memory");
	return !fail;
}

int vmx_cpu_enable(struct percpu *p)
{
	uint64_t region;

	if (!vmx_caps.usable)
		return -E_NOTSUP;
	if (!feature_control_ok()) {
		pr_err("vmx: cpu %u: VT-x disabled in IA32_FEATURE_CONTROL\n", p->id);
		return p->vmx_error = -E_NOTSUP;
	}
	region = page_alloc(0);
	if (!region)
		return p->vmx_error = -E_NOMEM;
	*(uint32_t *)region = vmx_caps.revision;
	write_cr0(fix_bits(read_cr0(), MSR_IA32_VMX_CR0_FIXED0, MSR_IA32_VMX_CR0_FIXED1));
	write_cr4(fix_bits(read_cr4() | CR4_VMXE | host_fpu_cr4(), MSR_IA32_VMX_CR4_FIXED0,
			   MSR_IA32_VMX_CR4_FIXED1));
	if (!vmxon(region)) {
		page_free(region, 0);
		pr_err("vmx: cpu %u: VMXON failed\n", p->id);
		return p->vmx_error = -E_IO;
	}
	p->vmxon_region = region;
	p->vmx_on = true;
	pr_info("vmx: cpu %u: VMXON ok (revision 0x%x)\n", p->id, vmx_caps.revision);
	return 0;
}

void vmx_describe(char *buf, unsigned size)
{
	if (!vmx_caps.usable) {
		ksnprintf(buf, size, "unavailable: %s", vmx_caps.reason);
		return;
	}
	ksnprintf(buf, size, "VT-x (EPT%s%s)", vmx_caps.vpid ? ", VPID" : "",
		  vmx_caps.unrestricted ? ", unrestricted guest" : "");
}
