/*
 * Control registers and EFER (SDM Vol. 3A 2.5, 4.1; Vol. 3C 25.6.6).
 *
 * The guest owns most CR0/CR4 bits outright. Keel keeps in the guest/host
 * masks the bits VMX forces (CR0.NE, CR4.VMXE ...), shown to the guest
 * through the read shadows as the guest wrote them, and CR0.PG, because
 * turning paging on or off with EFER.LME switches the CPU in or out of
 * long mode: the "IA-32e mode guest" entry control and EFER.LMA must then
 * follow (as they would on a real CPU). With PAE paging outside long
 * mode, the PDPTEs are loaded into the VMCS here when Keel emulated the
 * write, since the CPU only loads them itself for writes that do not exit.
 */
#include "arch/cpu.h"
#include "arch/trap.h"
#include "kernel/errno.h"
#include "vmm/exit.h"

#define CR3_PDPT_MASK		0xffffffe0ULL
#define PDPTE_COUNT		4
#define EFER_GUEST_WRITABLE	(EFER_SCE | EFER_LME | EFER_NXE)
#define LMSW_BITS		0xfULL	/* PE, MP, EM, TS */
#define CR8_MASK		0xfULL

/* What the guest reads from CR0/CR4: the read shadow for the bits Keel
 * owns (the mask), the real register for the rest. */
uint64_t vcpu_guest_cr0(void)
{
	uint64_t mask = vcpu_cr0_host_mask();

	return (vmcs_read(VMCS_GUEST_CR0) & ~mask) | (vmcs_read(VMCS_CR0_SHADOW) & mask);
}

uint64_t vcpu_guest_cr4(void)
{
	uint64_t mask = vcpu_cr4_host_mask();

	return (vmcs_read(VMCS_GUEST_CR4) & ~mask) | (vmcs_read(VMCS_CR4_SHADOW) & mask);
}

static bool pae_paging(uint64_t cr0, uint64_t cr4, uint64_t efer)
{
	return (cr0 & CR0_PG) && (cr4 & CR4_PAE) && !(efer & EFER_LMA);
}

static int load_pdptes(struct vcpu *v, uint64_t cr3)
{
	uint64_t pdpte[PDPTE_COUNT];

	if (gmem_read(&v->dom->mem, cr3 & CR3_PDPT_MASK, pdpte, sizeof(pdpte)))
		return -E_FAULT;
	for (unsigned i = 0; i < PDPTE_COUNT; i++)
		vmcs_write(VMCS_GUEST_PDPTE0 + 2 * i, pdpte[i]);
	return 0;
}

static void set_long_mode(bool on, uint64_t *efer)
{
	uint64_t entry = vmcs_read(VMCS_ENTRY_CONTROLS);

	if (on) {
		*efer |= EFER_LMA;
		entry |= ENTRY_IA32E_GUEST;
	} else {
		*efer &= ~EFER_LMA;
		entry &= ~(uint64_t)ENTRY_IA32E_GUEST;
	}
	vmcs_write(VMCS_ENTRY_CONTROLS, entry);
}

int vcpu_write_cr0(struct vcpu *v, uint64_t val)
{
	uint64_t old = vcpu_guest_cr0();
	uint64_t cr4 = vcpu_guest_cr4();
	uint64_t efer = vmcs_read(VMCS_GUEST_EFER);
	uint64_t must1 = vmx_caps.cr0_fixed0 & ~(CR0_PE | CR0_PG);
	uint64_t must0 = ~vmx_caps.cr0_fixed1 & 0xffffffffULL & ~(CR0_PE | CR0_PG);

	val |= CR0_ET;		/* hard-wired to 1 */
	if ((val >> 32) || ((val & CR0_PG) && !(val & CR0_PE)) ||
	    ((val & CR0_NW) && !(val & CR0_CD)))
		return -E_INVAL;
	if ((val & CR0_PG) && !(old & CR0_PG) && (efer & EFER_LME)) {
		if (!(cr4 & CR4_PAE))
			return -E_INVAL;
		set_long_mode(true, &efer);
	} else if (!(val & CR0_PG) && (old & CR0_PG) && (efer & EFER_LMA)) {
		set_long_mode(false, &efer);
	}
	if (pae_paging(val, cr4, efer) && load_pdptes(v, vmcs_read(VMCS_GUEST_CR3)))
		return -E_FAULT;
	vmcs_write(VMCS_GUEST_EFER, efer);
	vmcs_write(VMCS_CR0_SHADOW, val);
	vmcs_write(VMCS_GUEST_CR0, (val | must1) & ~must0);
	return 0;
}

int vcpu_write_cr4(struct vcpu *v, uint64_t val)
{
	uint64_t allowed = vmx_caps.cr4_fixed1 & ~(CR4_VMXE | CR4_SMXE | CR4_LA57);
	uint64_t efer = vmcs_read(VMCS_GUEST_EFER);
	uint64_t cr0 = vcpu_guest_cr0();

	if ((val & ~allowed) || ((efer & EFER_LMA) && !(val & CR4_PAE)))
		return -E_INVAL;
	if (pae_paging(cr0, val, efer) && load_pdptes(v, vmcs_read(VMCS_GUEST_CR3)))
		return -E_FAULT;
	vmcs_write(VMCS_CR4_SHADOW, val);
	vmcs_write(VMCS_GUEST_CR4, val | vmx_caps.cr4_fixed0);
	return 0;
}

int vcpu_write_efer(struct vcpu *v, uint64_t val)
{
	uint64_t old = vmcs_read(VMCS_GUEST_EFER);

	(void)v;
	if (val & ~(EFER_GUEST_WRITABLE | EFER_LMA))
		return -E_INVAL;
	if (((val ^ old) & EFER_LME) && (vcpu_guest_cr0() & CR0_PG))
		return -E_INVAL;
	vmcs_write(VMCS_GUEST_EFER, (val & EFER_GUEST_WRITABLE) | (old & EFER_LMA));
	return 0;
}

static int mov_to_cr(struct vcpu *v, unsigned cr, uint64_t val)
{
	switch (cr) {
	case 0:
		return vcpu_write_cr0(v, val);
	case 3:		/* only when the CPU forces CR3-load exiting */
		vmcs_write(VMCS_GUEST_CR3, val);
		return 0;
	case 4:
		return vcpu_write_cr4(v, val);
	case 8:
		if (val & ~CR8_MASK)
			return -E_INVAL;
		vlapic_set_tpr(&v->lapic, (uint8_t)(val << 4));	/* CR8 is TPR[7:4] */
		return 0;
	default:
		return -E_INVAL;
	}
}

static int mov_from_cr(struct vcpu *v, unsigned cr, uint64_t *val)
{
	switch (cr) {
	case 3:
		*val = vmcs_read(VMCS_GUEST_CR3);
		return 0;
	case 8:
		*val = vlapic_get_tpr(&v->lapic) >> 4;
		return 0;
	default:
		return -E_INVAL;
	}
}

enum exit_action handle_cr_access(struct vcpu *v, const struct vmexit *e)
{
	unsigned cr = e->qual & CRQ_NUMBER_MASK;
	unsigned type = (e->qual >> CRQ_TYPE_SHIFT) & CRQ_TYPE_MASK;
	unsigned reg = (e->qual >> CRQ_GPR_SHIFT) & CRQ_GPR_MASK;
	uint64_t cr0 = vcpu_guest_cr0(), val = 0;
	int err;

	switch (type) {
	case CRQ_TYPE_MOV_TO_CR:
		err = mov_to_cr(v, cr, vcpu_gpr(v, reg));
		break;
	case CRQ_TYPE_MOV_FROM_CR:
		err = mov_from_cr(v, cr, &val);
		if (!err)
			vcpu_set_gpr(v, reg, val);
		break;
	case CRQ_TYPE_CLTS:
		err = vcpu_write_cr0(v, cr0 & ~CR0_TS);
		break;
	default:	/* LMSW: sets PE but never clears it */
		val = (e->qual >> CRQ_LMSW_DATA_SHIFT) & LMSW_BITS;
		err = vcpu_write_cr0(v, (cr0 & ~(LMSW_BITS & ~CR0_PE)) | val);
		break;
	}
	if (err)
		return vcpu_fault(v, VEC_GP, 0);
	vcpu_skip_insn(v, e);
	return EXIT_RESUME;
}
