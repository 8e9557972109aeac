/*
 * CPUID and XSETBV exits. The guest sees the host's CPUID, minus what Keel
 * does not virtualize (VMX above all, so a guest cannot try to nest), plus
 * the hypervisor bit and Keel's leaf 0x40000000 signature, its own
 * topology (one package of nr_vcpus cores, APIC ID = vCPU index) and the
 * TSC and APIC timer frequencies (leaves 0x15, 0x16 and 0x40000010), so a
 * guest never has to calibrate them against a timer. Leaf and bit names:
 * SDM Vol. 2A, CPUID.
 */
#include "arch/cpu.h"
#include "arch/trap.h"
#include "kernel/log.h"
#include "kernel/time.h"
#include "vmm/exit.h"
#include "vmm/platform.h"

#define HV_LEAF_BASE		0x40000000u
#define HV_LEAF_LAST		0x400000ffu
#define HV_LEAF_TIMING		0x40000010u	/* EAX TSC kHz, EBX APIC bus kHz */
#define LEAF_TSC		0x15u		/* the highest basic leaf offered */
#define LEAF_FREQ		0x16u

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
#define L1_EDX_HTT		(1u << 28)
#define L1_EBX_APIC_ID_SHIFT	24
#define L1_EBX_COUNT_SHIFT	16
#define L1_EBX_COUNT_MASK	(0xffu << L1_EBX_COUNT_SHIFT)
/* Leaf 4 EAX: cores per package - 1 in 31:26, threads per cache - 1 in 25:14 */
#define L4_EAX_TOPOLOGY_MASK	0xffffc000u
#define L4_EAX_CORES_SHIFT	26
/* Leaf 6 EAX: the APIC timer runs in every C-state */
#define L6_EAX_ARAT		(1u << 2)
/* Leaf 0xB: ECX level type in 15:8 */
#define LB_TYPE_SMT		1u
#define LB_TYPE_CORE		2u
#define LB_TYPE_SHIFT		8
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
/* Leaf 0xD subleaf i >= 2: ECX bit 1, the component starts 64-byte aligned
 * in the compacted format */
#define LDI_ECX_ALIGN64		(1u << 1)
#define XSAVE_LEGACY_SIZE	512u
#define XSAVE_HEADER_SIZE	64u
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
		r->eax = HV_LEAF_TIMING;
		memcpy(&r->ebx, "Keel", 4);
		memcpy(&r->ecx, "Keel", 4);
		memcpy(&r->edx, "Keel", 4);
	} else if (leaf == HV_LEAF_TIMING) {	/* the "generic timing" leaf */
		r->eax = (uint32_t)(tsc_hz / 1000);
		r->ebx = (uint32_t)(plat_apic_hz() / 1000);
	}
}

/* Bits needed to number 'n' cores: the width of the core field in the
 * APIC ID (leaf 0xB's shift). */
static uint32_t id_bits(uint32_t n)
{
	uint32_t bits = 0;

	while ((1u << bits) < n)
		bits++;
	return bits;
}

/* Leaf 0xB: thread level (one thread a core), then the core level. */
static void topology_leaf(struct vcpu *v, uint32_t sub, struct cpuid_regs *r)
{
	uint32_t n = v->dom->nr_vcpus;

	*r = (struct cpuid_regs){ 0, 0, sub & 0xff, v->index };
	if (sub == 0) {
		r->ebx = 1;
		r->ecx |= LB_TYPE_SMT << LB_TYPE_SHIFT;
	} else if (sub == 1) {
		r->eax = id_bits(n);
		r->ebx = n;
		r->ecx |= LB_TYPE_CORE << LB_TYPE_SHIFT;
	}
}

/* Leaves 0x15 and 0x16: TSC = crystal * EBX / EAX, the crystal being the
 * APIC timer's clock, as on recent Intel CPUs. */
static void frequency_leaf(uint32_t leaf, struct cpuid_regs *r)
{
	uint64_t apic_hz = plat_apic_hz();

	if (leaf == LEAF_TSC)
		*r = (struct cpuid_regs){ 1, (uint32_t)(tsc_hz / apic_hz), (uint32_t)apic_hz, 0 };
	else
		*r = (struct cpuid_regs){ (uint32_t)(tsc_hz / 1000000), (uint32_t)(tsc_hz / 1000000),
					  (uint32_t)(apic_hz / 1000000), 0 };
}

static void filter_leaf1(struct vcpu *v, struct cpuid_regs *r)
{
	uint32_t n = v->dom->nr_vcpus;

	r->ecx &= ~(L1_ECX_MONITOR | L1_ECX_DSCPL | L1_ECX_VMX | L1_ECX_SMX | L1_ECX_EIST |
		    L1_ECX_TM2 | L1_ECX_SDBG | L1_ECX_PDCM | L1_ECX_OSXSAVE);
	if (vmcs_read(VMCS_GUEST_CR4) & CR4_OSXSAVE)
		r->ecx |= L1_ECX_OSXSAVE;
	/* The emulated local APIC has both modes and the TSC-deadline timer. */
	r->ecx |= L1_ECX_HYPERVISOR | L1_ECX_X2APIC | L1_ECX_TSC_DEADLINE;
	r->edx |= L1_EDX_APIC;
	/* No MTRRs or machine-check architecture are emulated. */
	r->edx &= ~(L1_EDX_MCE | L1_EDX_MTRR | L1_EDX_MCA | L1_EDX_DS | L1_EDX_ACPI | L1_EDX_TM |
		    L1_EDX_PBE | L1_EDX_HTT);
	if (n > 1)
		r->edx |= L1_EDX_HTT;
	r->ebx &= ~(0xffu << L1_EBX_APIC_ID_SHIFT | L1_EBX_COUNT_MASK);
	r->ebx |= v->index << L1_EBX_APIC_ID_SHIFT | (n & 0xff) << L1_EBX_COUNT_SHIFT;
}

/*
 * CPUID.(0xD,1).EBX: the XSAVEC (compacted) area size for XCR0 | IA32_XSS
 * (SDM Vol. 1 13.4.3). Computed rather than passed through: the guest's
 * XSS is 0 (no XSAVES), and some CPUs and emulators report the standard
 * size here, which Linux rejects as inconsistent.
 */
static uint32_t xsave_compacted_size(uint64_t xcr0)
{
	uint32_t size = XSAVE_LEGACY_SIZE + XSAVE_HEADER_SIZE;

	for (unsigned i = 2; i < 63; i++) {
		struct cpuid_regs c;

		if (!(xcr0 & (1ULL << i)))
			continue;
		c = cpuid(0xd, i);
		if (c.ecx & LDI_ECX_ALIGN64)
			size = (size + 63) & ~63u;
		size += c.eax;
	}
	return size;
}

static void filter(struct vcpu *v, uint32_t leaf, uint32_t sub, struct cpuid_regs *r)
{
	switch (leaf) {
	case 0:
		r->eax = MAX(r->eax, LEAF_FREQ);
		break;
	case 1:
		filter_leaf1(v, r);
		break;
	case 4:
		if (r->eax & 0x1f) {	/* a cache: private to each core */
			r->eax &= ~L4_EAX_TOPOLOGY_MASK;
			r->eax |= ((1u << id_bits(v->dom->nr_vcpus)) - 1) << L4_EAX_CORES_SHIFT;
		}
		break;
	case 6:
		*r = (struct cpuid_regs){ L6_EAX_ARAT, 0, 0, 0 };
		break;
	case 0xb:
		topology_leaf(v, sub, r);
		break;
	case LEAF_TSC:
	case LEAF_FREQ:
		frequency_leaf(leaf, r);
		break;
	case 5: case 0xa: case 0xf: case 0x10: case 0x12: case 0x14: case 0x1f:
		/* MONITOR, perfmon, RDT, SGX, trace, v2 topology: not offered */
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
		if (sub == 1) {
			r->eax &= ~LD1_EAX_XSAVES;
			r->ebx = xsave_compacted_size(v->xcr0);
		}
		break;
	case 0x80000001:
		r->edx &= ~LX1_EDX_RDTSCP;
		break;
	default:
		break;
	}
}

static uint32_t host_max_leaf(void)
{
	static uint32_t max;

	if (!max)
		max = cpuid(0, 0).eax;
	return max;
}

enum exit_action handle_cpuid(struct vcpu *v, const struct vmexit *e)
{
	uint32_t leaf = (uint32_t)v->regs.gpr[GPR_RAX];
	uint32_t sub = (uint32_t)v->regs.gpr[GPR_RCX];
	struct cpuid_regs r;

	if (leaf >= HV_LEAF_BASE && leaf <= HV_LEAF_LAST) {
		keel_leaves(leaf, &r);
	} else if (leaf > host_max_leaf() && leaf < HV_LEAF_BASE && leaf != LEAF_TSC &&
		   leaf != LEAF_FREQ) {
		r = (struct cpuid_regs){ 0, 0, 0, 0 };	/* raised maximum: nothing there */
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
