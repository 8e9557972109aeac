/*
 * Model-specific registers. The MSR bitmap (SDM Vol. 3C 25.6.9) lets the
 * guest reach directly only MSRs whose guest values the CPU keeps apart
 * from Keel's: those in the VMCS guest-state area (FS/GS base, SYSENTER,
 * PAT), and the SYSCALL group, which Keel does not use itself and swaps at
 * every slice. Every other RDMSR/WRMSR exits to the table below; an MSR it
 * does not list raises #GP, as on a CPU without that MSR.
 */
#include "arch/cpu.h"
#include "arch/trap.h"
#include "kernel/errno.h"
#include "vmm/exit.h"

#define MSR_IA32_PLATFORM_ID	0x017
#define MSR_IA32_BIOS_SIGN_ID	0x08b
#define FC_LOCKED_NO_VMX	1ULL	/* IA32_FEATURE_CONTROL: lock bit only */
#define MISC_ENABLE_FAST_STRING	1ULL

/* Bitmap quarters (25.6.9): reads then writes, low then high MSRs. */
#define BITMAP_READ_LOW		0
#define BITMAP_READ_HIGH	1024
#define BITMAP_WRITE_LOW	2048
#define BITMAP_WRITE_HIGH	3072
#define MSR_HIGH_BASE		0xc0000000u
#define MSR_RANGE		0x2000u

struct msr_passthrough {
	uint32_t msr;
	bool write;		/* writes too, not just reads */
};

static const struct msr_passthrough passthrough[] = {
	{ MSR_IA32_TSC, false },
	{ MSR_IA32_SYSENTER_CS, true }, { MSR_IA32_SYSENTER_ESP, true },
	{ MSR_IA32_SYSENTER_EIP, true }, { MSR_IA32_PAT, true },
	{ MSR_FS_BASE, true }, { MSR_GS_BASE, true }, { MSR_KERNEL_GS_BASE, true },
	{ MSR_STAR, true }, { MSR_LSTAR, true }, { MSR_CSTAR, true }, { MSR_SFMASK, true },
};

static void clear_bit(uint8_t *bitmap, unsigned quarter, uint32_t bit)
{
	bitmap[quarter + bit / 8] &= (uint8_t)~(1u << (bit % 8));
}

void msr_bitmap_init(uint64_t page)
{
	uint8_t *bm = (uint8_t *)page;

	memset(bm, 0xff, PAGE_SIZE);
	for (unsigned i = 0; i < ARRAY_SIZE(passthrough); i++) {
		uint32_t msr = passthrough[i].msr;
		bool high = msr >= MSR_HIGH_BASE;
		uint32_t bit = msr - (high ? MSR_HIGH_BASE : 0);

		clear_bit(bm, high ? BITMAP_READ_HIGH : BITMAP_READ_LOW, bit);
		if (passthrough[i].write)
			clear_bit(bm, high ? BITMAP_WRITE_HIGH : BITMAP_WRITE_LOW, bit);
	}
}

void msr_guest_load(struct vcpu *v)
{
	wrmsr(MSR_STAR, v->msr_star);
	wrmsr(MSR_LSTAR, v->msr_lstar);
	wrmsr(MSR_CSTAR, v->msr_cstar);
	wrmsr(MSR_SFMASK, v->msr_sfmask);
	wrmsr(MSR_KERNEL_GS_BASE, v->msr_kgsbase);
}

void msr_guest_save(struct vcpu *v)
{
	v->msr_star = rdmsr(MSR_STAR);
	v->msr_lstar = rdmsr(MSR_LSTAR);
	v->msr_cstar = rdmsr(MSR_CSTAR);
	v->msr_sfmask = rdmsr(MSR_SFMASK);
	v->msr_kgsbase = rdmsr(MSR_KERNEL_GS_BASE);
}

/* ---- emulated MSRs: 0 or a negative E_* that becomes #GP */

static int rd_efer(struct vcpu *v, uint64_t *val)
{
	(void)v;
	*val = vmcs_read(VMCS_GUEST_EFER);
	return 0;
}

static int wr_efer(struct vcpu *v, uint64_t val)
{
	return vcpu_write_efer(v, val);
}

static int rd_feature_control(struct vcpu *v, uint64_t *val)
{
	(void)v;
	*val = FC_LOCKED_NO_VMX;
	return 0;
}

static int rd_misc_enable(struct vcpu *v, uint64_t *val)
{
	(void)v;
	*val = MISC_ENABLE_FAST_STRING;
	return 0;
}

static int rd_zero(struct vcpu *v, uint64_t *val)
{
	(void)v;
	*val = 0;
	return 0;
}

/* Accepted and dropped: microcode revision probes, MISC_ENABLE tweaks,
 * and TSC writes (every guest shares the host's TSC). */
static int wr_ignore(struct vcpu *v, uint64_t val)
{
	(void)v;
	(void)val;
	return 0;
}

struct msr_emul {
	uint32_t msr;
	int (*read)(struct vcpu *v, uint64_t *val);	/* NULL: #GP */
	int (*write)(struct vcpu *v, uint64_t val);	/* NULL: #GP */
};

static const struct msr_emul emulated[] = {
	{ MSR_IA32_TSC, NULL, wr_ignore },
	{ MSR_IA32_PLATFORM_ID, rd_zero, NULL },
	{ MSR_IA32_FEATURE_CONTROL, rd_feature_control, NULL },
	{ MSR_IA32_BIOS_SIGN_ID, rd_zero, wr_ignore },
	{ MSR_IA32_MISC_ENABLE, rd_misc_enable, wr_ignore },
	{ MSR_IA32_EFER, rd_efer, wr_efer },
};

static const struct msr_emul *find_msr(uint32_t msr)
{
	for (unsigned i = 0; i < ARRAY_SIZE(emulated); i++)
		if (emulated[i].msr == msr)
			return &emulated[i];
	return NULL;
}

/* The local APIC's MSRs (APIC base, TSC deadline, x2APIC registers) are
 * the vLAPIC's; -E_NOENT from it means "not mine". */
enum exit_action handle_rdmsr(struct vcpu *v, const struct vmexit *e)
{
	uint32_t msr = (uint32_t)v->regs.gpr[GPR_RCX];
	const struct msr_emul *m = find_msr(msr);
	uint64_t val;
	int err = vlapic_rdmsr(&v->lapic, msr, &val, guest_tsc(v->dom, rdtsc()));

	if (err == -E_NOENT && (!m || !m->read || m->read(v, &val)))
		return vcpu_fault(v, VEC_GP, 0);
	if (err && err != -E_NOENT)
		return vcpu_fault(v, VEC_GP, 0);
	v->regs.gpr[GPR_RAX] = (uint32_t)val;
	v->regs.gpr[GPR_RDX] = val >> 32;
	vcpu_skip_insn(v, e);
	return EXIT_RESUME;
}

enum exit_action handle_wrmsr(struct vcpu *v, const struct vmexit *e)
{
	uint32_t msr = (uint32_t)v->regs.gpr[GPR_RCX];
	const struct msr_emul *m = find_msr(msr);
	uint64_t val = (v->regs.gpr[GPR_RDX] << 32) | (uint32_t)v->regs.gpr[GPR_RAX];
	int err = vlapic_wrmsr(&v->lapic, msr, val, guest_tsc(v->dom, rdtsc()));

	if (err == -E_NOENT && (!m || !m->write || m->write(v, val)))
		return vcpu_fault(v, VEC_GP, 0);
	if (err && err != -E_NOENT)
		return vcpu_fault(v, VEC_GP, 0);
	vcpu_skip_insn(v, e);
	return EXIT_RESUME;
}
