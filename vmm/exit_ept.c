/*
 * EPT violations (SDM Vol. 3C 29.3.3, 28.2.1 table 28-7): the guest touched
 * guest-physical space that holds no RAM. If a device model registered the
 * address (the domain's MMIO registry) the access goes to it; otherwise it
 * behaves like an empty bus on a real machine: reads return all ones,
 * writes vanish, and both are counted and logged at a limited rate.
 *
 * Either way the faulting instruction is fetched through the guest's page
 * tables, decoded and emulated (vmm/insn.c), since the CPU tells only the
 * address, not the register or the width.
 */
#include "arch/cpu.h"
#include "arch/trap.h"
#include "kernel/errno.h"
#include "kernel/log.h"
#include "kernel/time.h"
#include "vmm/exit.h"
#include "vmm/gwalk.h"
#include "vmm/insn.h"

#define EPTQ_PAGING_ACCESS	(1u << 8)	/* with bit 7: the access was the
						   translation, not a table walk */
#define EMPTY_BUS_LOG_INTERVAL_NS	1000000000ULL
#define CPUID_ADDR_SIZES	0x80000008u

unsigned vcpu_code_bits(struct vcpu *v)
{
	uint32_t cs_ar = (uint32_t)vmcs_read(VMCS_GUEST_CS_AR);

	if (!(vmcs_read(VMCS_GUEST_CR0) & CR0_PE))
		return 16;
	if ((vmcs_read(VMCS_GUEST_EFER) & EFER_LMA) && (cs_ar & AR_L))
		return 64;
	return (cs_ar & AR_DB) ? 32 : 16;
}

static int read_gpa(void *ctx, uint64_t gpa, void *buf, size_t len)
{
	return gmem_read(ctx, gpa, buf, len);
}

static void walk_regs(struct gwalk_regs *r)
{
	static unsigned maxphyaddr;

	if (!maxphyaddr)
		maxphyaddr = cpuid(CPUID_ADDR_SIZES, 0).eax & 0xff;
	r->cr0 = vmcs_read(VMCS_GUEST_CR0);
	r->cr3 = vmcs_read(VMCS_GUEST_CR3);
	r->cr4 = vmcs_read(VMCS_GUEST_CR4);
	r->efer = vmcs_read(VMCS_GUEST_EFER);
	r->cpl = ((uint32_t)vmcs_read(VMCS_GUEST_SS_AR) >> AR_DPL_SHIFT) & 3;	/* SS.DPL = CPL */
	r->maxphyaddr = maxphyaddr;
}

int vcpu_access_linear(struct vcpu *v, uint64_t gva, void *buf, size_t len,
		       enum lin_access acc, uint32_t *pf_error, uint64_t *fault_addr)
{
	static const enum gwalk_access kinds[] = { GW_READ, GW_WRITE, GW_FETCH };
	struct gwalk_regs r;
	size_t done = 0;

	walk_regs(&r);
	while (done < len) {
		uint64_t at = gva + done, gpa;
		size_t n = MIN(len - done, PAGE_SIZE - (at & (PAGE_SIZE - 1)));
		int err = gwalk(&r, at, kinds[acc], read_gpa, &v->dom->mem, &gpa, pf_error);

		if (err == -E_NOENT)
			*fault_addr = at;
		if (err)	/* unreadable tables or an address paging refuses */
			return err == -E_NOENT ? err : -E_FAULT;
		err = acc == LIN_WRITE ? gmem_write(&v->dom->mem, gpa, (uint8_t *)buf + done, n)
				       : gmem_read(&v->dom->mem, gpa, (uint8_t *)buf + done, n);
		if (err)
			return -E_FAULT;
		done += n;
	}
	return 0;
}

enum exit_action vcpu_page_fault(struct vcpu *v, uint64_t addr, uint32_t error)
{
	v->regs.cr2 = addr;
	return vcpu_fault(v, VEC_PF, error);
}

struct mmio_ctx {
	struct vcpu *v;
	uint64_t gpa;
};

static void log_empty_bus(struct domain *d, uint64_t gpa, unsigned size, bool write)
{
	uint64_t now = time_since_boot_ns();
	uint64_t total = d->mmio.unclaimed_reads + d->mmio.unclaimed_writes;

	if (d->empty_bus_logged && now - d->empty_bus_logged < EMPTY_BUS_LOG_INTERVAL_NS)
		return;
	d->empty_bus_logged = now;
	pr_warn("domain %s: %u-byte %s at 0x%lx: no RAM or device there (%lu such accesses so far)\n",
		d->cfg.name, size, write ? "write" : "read", gpa, total);
}

static int mmio_read(void *ctx, unsigned size, uint64_t *val)
{
	struct mmio_ctx *c = ctx;
	int rc = io_access(&c->v->dom->mmio, c->gpa, size, false, val);

	if (rc == 1)
		log_empty_bus(c->v->dom, c->gpa, size, false);
	return rc < 0 ? rc : 0;
}

static int mmio_write(void *ctx, unsigned size, uint64_t val)
{
	struct mmio_ctx *c = ctx;
	int rc = io_access(&c->v->dom->mmio, c->gpa, size, true, &val);

	if (rc == 1)
		log_empty_bus(c->v->dom, c->gpa, size, true);
	return rc < 0 ? rc : 0;
}

/* Fetch the instruction at CS:RIP; as many bytes as are readable, up to 15. */
static int fetch(struct vcpu *v, uint8_t *code, unsigned *n)
{
	uint64_t rip = vmcs_read(VMCS_GUEST_RIP), fault;
	uint64_t base = vcpu_code_bits(v) == 64 ? 0 : vmcs_read(VMCS_GUEST_CS_BASE);
	uint64_t at = base + rip;
	unsigned to_page_end = (unsigned)(PAGE_SIZE - (at & (PAGE_SIZE - 1)));
	uint32_t pf;

	*n = INSN_MAX_LEN;
	if (!vcpu_access_linear(v, at, code, *n, LIN_FETCH, &pf, &fault))
		return 0;
	*n = MIN(to_page_end, (unsigned)INSN_MAX_LEN);
	return vcpu_access_linear(v, at, code, *n, LIN_FETCH, &pf, &fault);
}

static void regs_out(struct vcpu *v, struct insn_regs *r)
{
	memcpy(r->gpr, v->regs.gpr, sizeof(r->gpr));
	r->gpr[GPR_RSP] = vmcs_read(VMCS_GUEST_RSP);
	r->rip = vmcs_read(VMCS_GUEST_RIP);
	r->rflags = vmcs_read(VMCS_GUEST_RFLAGS);
}

static void regs_in(struct vcpu *v, const struct insn_regs *r, unsigned len)
{
	struct vmexit e = { .insn_len = len };

	memcpy(v->regs.gpr, r->gpr, sizeof(r->gpr));
	vmcs_write(VMCS_GUEST_RSP, r->gpr[GPR_RSP]);
	vmcs_write(VMCS_GUEST_RFLAGS, r->rflags);
	vcpu_skip_insn(v, &e);	/* RIP += len and the interrupt shadow ends */
}

static enum exit_action cannot_emulate(struct vcpu *v, uint64_t gpa, const uint8_t *code,
				       unsigned n, const char *why)
{
	char bytes[64];

	insn_format(code, n, bytes, sizeof(bytes));
	domain_stop(v->dom, STOP_CRASH, -1,
		    "%s: access to 0x%lx (no RAM there) at RIP 0x%lx, instruction bytes %s",
		    why, gpa, vmcs_read(VMCS_GUEST_RIP), bytes);
	return EXIT_STOP;
}

enum exit_action handle_ept_violation(struct vcpu *v, const struct vmexit *e)
{
	uint64_t gpa = vmcs_read(VMCS_GUEST_PHYS_ADDR);
	struct mmio_ctx ctx = { v, gpa };
	uint8_t code[INSN_MAX_LEN] = { 0 };
	struct insn_regs regs;
	struct insn in;
	unsigned n = 0;
	int err;

	if (e->qual & EPTQ_FETCH)
		return cannot_emulate(v, gpa, code, 0, "instruction fetch from outside RAM");
	if ((e->qual & EPTQ_LINEAR_VALID) && !(e->qual & EPTQ_PAGING_ACCESS))
		return cannot_emulate(v, gpa, code, 0, "guest page tables outside RAM");
	if (fetch(v, code, &n))
		return cannot_emulate(v, gpa, code, 0, "instruction not readable");
	err = insn_decode(code, n, vcpu_code_bits(v), &in);
	if (err)
		return cannot_emulate(v, gpa, code, n, "unsupported instruction");
	regs_out(v, &regs);
	err = insn_emulate(&in, &regs, mmio_read, mmio_write, &ctx);
	if (err)
		return cannot_emulate(v, gpa, code, in.len, "device error");
	regs_in(v, &regs, in.len);
	return EXIT_RESUME;
}
