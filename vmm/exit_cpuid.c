/*
 * CPUID and XSETBV exits. The guest sees the host's CPUID, minus what Keel
 * does not virtualize (VMX above all, so a guest cannot try to nest), plus
 * the hypervisor bit and Keel's leaf 0x40000000 signature. Leaf and bit
 * names: SDM Vol. 2A, CPUID.
 */
#include "arch/cpu.h"
#include "arch/trap.h"
#include "kernel/log.h"
#include "vmm/exit.h"

#define HV_LEAF_BASE		0x40000000u
#define HV_LEAF_LAST		0x400000ffu

/* Leaf 1 ECX/EDX */
#define L1_ECX_MONITOR		(1u << 3)
#define L1_ECX_DSCPL		(1u << 4)
#define L1_ECX_VMX		(1u << 5)
#define L1_ECX_SMX		(1u << 6)
#define L1_ECX_EIST		(1u << 7)
#define L1_ECX_TM2		(1u << 8)
#define L1_ECX_SDBG		(1u << 11)
#define L1_ECX_PDCM		(1u << 15)
#define L1_ECX_X2APIC		(1u << 21)
#define L1_ECX_TSC_DEADLINE	(1u << 24)
#define L1_ECX_OSXSAVE		(1u << 27)
#define L1_ECX_HYPERVISOR	(1u << 31)
#define L1_EDX_MCE		(1u << 7)
#define L1_EDX_APIC		(1u << 9)
#define L1_EDX_MTRR		(1u << 12)
#define L1_EDX_MCA		(1u << 14)
#define L1_EDX_DS		(1u << 21)
#define L1_EDX_ACPI		(1u << 22)
#define L1_EDX_TM		(1u << 29)
#define L1_EDX_PBE		(1u << 31)
#define L1_EBX_APIC_ID_SHIFT	24
/* Leaf 7 subleaf 0 */
#define L7_EBX_TSC_ADJUST	(1u << 1)
#define L7_EBX_SGX		(1u << 2)
#define L7_EBX_INVPCID		(1u << 10)
#define L7_EBX_RTM		(1u << 11)
#define L7_EBX_PQM		(1u << 12)
#define L7_EBX_PQE		(1u << 15)
#define L7_EBX_PT		(1u << 25)
#define L7_ECX_WAITPKG		(1u << 5)
#define L7_ECX_LA57		(1u << 16)
#define L7_ECX_SGX_LC		(1u << 30)
#define L7_EDX_SPEC_MSRS	((1u << 26) | (1u << 27) | (1u << 29) | (1u << 31))
/* Leaf 0xD subleaf 1 */
#define LD1_EAX_XSAVES		(1u << 3)
/* Leaf 0x80000001 EDX */
#define LX1_EDX_RDTSCP		(1u << 27)

#define XCR0_X87		(1ULL << 0)
#define XCR0_SSE		(1ULL << 1)
#define XCR0_AVX		(1ULL << 2)
#define XCR0_BNDREGS		(1ULL << 3)
#define XCR0_BNDCSR		(1ULL << 4)
#define XCR0_AVX512		(7ULL << 5)

static void keel_leaves(uint32_t leaf, struct cpuid_regs *r)
{
	*r = (struct cpuid_regs){ 0, 0, 0, 0 };
	if (leaf == HV_LEAF_BASE) {
		r->eax = HV_LEAF_BASE;
		memcpy(&r->ebx, "Keel", 4);
		memcpy(&r->ecx, "Keel", 4);
		memcpy(&r->edx, "Keel", 4);
	}
}

static void filter_leaf1(struct vcpu *v, struct cpuid_regs *r)
{
	r->ecx &= ~(L1_ECX_MONITOR | L1_ECX_DSCPL | L1_ECX_VMX | L1_ECX_SMX | L1_ECX_EIST |
		    L1_ECX_TM2 | L1_ECX_SDBG | L1_ECX_PDCM | L1_ECX_X2APIC | L1_ECX_TSC_DEADLINE |
		    L1_ECX_OSXSAVE);
	if (vmcs_read(VMCS_GUEST_CR4) & CR4_OSXSAVE)
		r->ecx |= L1_ECX_OSXSAVE;
	r->ecx |= L1_ECX_HYPERVISOR;
	/* No local APIC, MTRRs or machine-check architecture are emulated. */
	r->edx &= ~(L1_EDX_MCE | L1_EDX_APIC | L1_EDX_MTRR | L1_EDX_MCA | L1_EDX_DS |
		    L1_EDX_ACPI | L1_EDX_TM | L1_EDX_PBE);
	r->ebx = (r->ebx & ((1u << L1_EBX_APIC_ID_SHIFT) - 1)) | (v->index << L1_EBX_APIC_ID_SHIFT);
}

static void filter(struct vcpu *v, uint32_t leaf, uint32_t sub, struct cpuid_regs *r)
{
	switch (leaf) {
	case 1:
		filter_leaf1(v, r);
		break;
	case 5: case 6: case 0xa: case 0xf: case 0x10: case 0x12: case 0x14:
		/* MONITOR, power, perfmon, RDT, SGX, trace: not offered */
		*r = (struct cpuid_regs){ 0, 0, 0, 0 };
		break;
	case 7:
		if (sub == 0) {
			r->ebx &= ~(L7_EBX_TSC_ADJUST | L7_EBX_SGX | L7_EBX_INVPCID | L7_EBX_RTM | L7_EBX_PQM |
				    L7_EBX_PQE | L7_EBX_PT);
			r->ecx &= ~(L7_ECX_WAITPKG | L7_ECX_LA57 | L7_ECX_SGX_LC);
			r->edx &= ~L7_EDX_SPEC_MSRS;
		}
		break;
	case 0xd:
		if (sub == 1)
			r->eax &= ~LD1_EAX_XSAVES;
		break;
	case 0x80000001:
		r->edx &= ~LX1_EDX_RDTSCP;
		break;
	default:
		break;
	}
}

enum exit_action handle_cpuid(struct vcpu *v, const struct vmexit *e)
{
	uint32_t leaf = (uint32_t)v->regs.gpr[GPR_RAX];
	uint32_t sub = (uint32_t)v->regs.gpr[GPR_RCX];
	struct cpuid_regs r;

	if (leaf >= HV_LEAF_BASE && leaf <= HV_LEAF_LAST) {
		keel_leaves(leaf, &r);
	} else {
		r = cpuid(leaf, sub);
		filter(v, leaf, sub, &r);
	}
	v->regs.gpr[GPR_RAX] = r.eax;
	v->regs.gpr[GPR_RBX] = r.ebx;
	v->regs.gpr[GPR_RCX] = r.ecx;
	v->regs.gpr[GPR_RDX] = r.edx;
	vcpu_skip_insn(v, e);
	return EXIT_RESUME;
}

/* SDM Vol. 1 13.3: which XCR0 values XSETBV accepts. */
static bool xcr0_valid(uint64_t val)
{
	struct cpuid_regs r = cpuid(0xd, 0);
	uint64_t supported = ((uint64_t)r.edx << 32) | r.eax;

	if (!(val & XCR0_X87) || (val & ~supported))
		return false;
	if ((val & XCR0_AVX) && !(val & XCR0_SSE))
		return false;
	if (!!(val & XCR0_BNDREGS) != !!(val & XCR0_BNDCSR))
		return false;
	if ((val & XCR0_AVX512) && ((val & XCR0_AVX512) != XCR0_AVX512 || !(val & XCR0_AVX)))
		return false;
	return true;
}

enum exit_action handle_xsetbv(struct vcpu *v, const struct vmexit *e)
{
	uint64_t val = (v->regs.gpr[GPR_RDX] << 32) | (uint32_t)v->regs.gpr[GPR_RAX];
	uint32_t ar = (uint32_t)vmcs_read(VMCS_GUEST_SS_AR);
	unsigned cpl = (ar >> AR_DPL_SHIFT) & 3;

	if (!(vmcs_read(VMCS_GUEST_CR4) & CR4_OSXSAVE))
		return vcpu_fault(v, VEC_UD, 0);
	if ((uint32_t)v->regs.gpr[GPR_RCX] != 0 || cpl != 0 || !xcr0_valid(val))
		return vcpu_fault(v, VEC_GP, 0);
	v->xcr0 = val;
	xsetbv(0, val);		/* this vCPU's slice: the hardware holds its XCR0 */
	vcpu_skip_insn(v, e);
	return EXIT_RESUME;
}
