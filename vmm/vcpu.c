/*
 * vCPUs: the VMCS of each (SDM Vol. 3C chapter 25), built from the
 * capability MSRs, and one time slice of guest execution.
 *
 * A VMCS is made current on a CPU only for the length of a slice and
 * cleared at its end (VMCLEAR writes it back to memory), so the next slice
 * may run on any CPU. Host state is written at the start of every slice
 * because each CPU has its own GDT, TSS and per-CPU base.
 */
#include "arch/cpu.h"
#include "arch/gdt.h"
#include "kernel/errno.h"
#include "kernel/log.h"
#include "kernel/mm.h"
#include "kernel/percpu.h"
#include "vmm/exit.h"
#include "vmm/platform.h"
#include "vmm/vmm.h"

#define FXSAVE_MXCSR_OFFSET	24
#define MXCSR_DEFAULT		0x1f80u
#define XCR0_X87		1ULL
#define VMCS_LINK_NONE		~0ULL
#define DR7_DEFAULT		0x400ULL
#define PAT_DEFAULT		0x0007040600070406ULL
#define SEG_LIMIT_4G		0xffffffffu
#define TSS_LIMIT		0x67u

struct desc_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

static uint64_t fpu_area_size;	/* bytes, from CPUID.0xD or FXSAVE's 512 */
static uint64_t xsave_all;	/* every XCR0 component the CPU supports */

static void fpu_probe(void)
{
	struct cpuid_regs r;

	if (fpu_area_size)
		return;
	if (!cpu_has_xsave()) {
		fpu_area_size = 512;
		return;
	}
	r = cpuid(0xd, 0);
	xsave_all = ((uint64_t)r.edx << 32) | r.eax;
	fpu_area_size = r.ecx;
}

static void *fpu_alloc(void)
{
	uint8_t *area;

	fpu_probe();
	area = (uint8_t *)page_alloc(page_order_for(fpu_area_size));
	if (area)	/* x87 and SSE in their reset state (SDM Vol. 1 13.6) */
		*(uint32_t *)(area + FXSAVE_MXCSR_OFFSET) = MXCSR_DEFAULT;
	return area;
}

/*
 * Every component is restored and saved, not just those the guest has
 * enabled: registers of a component this guest never enabled then come
 * back in their initial state, never with another guest's values.
 */
static void fpu_guest_load(struct vcpu *v)
{
	if (!xsave_all) {
		fxrstor(v->fpu);
		return;
	}
	xsetbv(0, xsave_all);
	xrstor(v->fpu, xsave_all);
	xsetbv(0, v->xcr0);
}

static void fpu_guest_save(struct vcpu *v)
{
	if (!xsave_all) {
		fxsave(v->fpu);
		return;
	}
	xsetbv(0, xsave_all);
	xsave(v->fpu, xsave_all);
	xsetbv(0, XCR0_X87);
}

static uint16_t vpid_alloc(void)
{
	static uint16_t next = 1;
	static spinlock_t lock = SPINLOCK_INIT;
	uint16_t id;

	/* Wrapping reuses VPIDs; sched_flush_tlbs() runs when vCPUs go away,
	 * so a reused tag never meets stale translations. */
	spin_lock(&lock);
	id = next++;
	if (!next)
		next = 1;
	spin_unlock(&lock);
	return id;
}

uint64_t vcpu_cr0_host_mask(void)
{
	uint64_t must1 = vmx_caps.cr0_fixed0 & ~(CR0_PE | CR0_PG);	/* unrestricted */
	uint64_t must0 = ~vmx_caps.cr0_fixed1 & 0xffffffffULL;

	return must1 | must0 | CR0_PG;
}

/* VMXE, SMXE and LA57 trap too: Keel offers none of them (exit_cr.c). */
uint64_t vcpu_cr4_host_mask(void)
{
	return vmx_caps.cr4_fixed0 | (~vmx_caps.cr4_fixed1 & 0xffffffffULL) | CR4_VMXE |
	       CR4_SMXE | CR4_LA57;
}

static int setup_controls(struct vcpu *v)
{
	struct domain *d = v->dom;
	uint32_t pin = vmx_control(VMX_CTL_PIN, PIN_EXT_INTR_EXIT | PIN_NMI_EXIT | PIN_PREEMPTION_TIMER |
				   PIN_VIRTUAL_NMIS);
	uint32_t proc = vmx_control(VMX_CTL_PROC, PROC_HLT_EXIT | PROC_USE_IO_BITMAPS |
				    PROC_USE_MSR_BITMAPS | PROC_SECONDARY | PROC_MWAIT_EXIT |
				    PROC_MONITOR_EXIT | PROC_CR8_LOAD_EXIT | PROC_CR8_STORE_EXIT |
				    PROC_RDPMC_EXIT | PROC_TSC_OFFSETTING);
	uint32_t proc2 = vmx_control(VMX_CTL_PROC2, PROC2_ENABLE_EPT | PROC2_ENABLE_VPID |
				     PROC2_UNRESTRICTED_GUEST | PROC2_WBINVD_EXIT);
	uint32_t exitc = vmx_control(VMX_CTL_EXIT, EXIT_HOST_64BIT | EXIT_SAVE_EFER | EXIT_LOAD_EFER |
				     EXIT_SAVE_PAT | EXIT_LOAD_PAT);
	uint32_t entry = vmx_control(VMX_CTL_ENTRY, ENTRY_LOAD_EFER | ENTRY_LOAD_PAT);

	if (!(pin & PIN_EXT_INTR_EXIT) || !(proc & PROC_HLT_EXIT) || !(proc & PROC_USE_IO_BITMAPS) ||
	    !(proc & PROC_USE_MSR_BITMAPS) || !(proc2 & PROC2_ENABLE_EPT) ||
	    !(proc2 & PROC2_UNRESTRICTED_GUEST) || !(exitc & EXIT_HOST_64BIT) ||
	    !(exitc & EXIT_LOAD_EFER) || !(entry & ENTRY_LOAD_EFER) ||
	    !(proc & PROC_CR8_LOAD_EXIT) || !(proc & PROC_CR8_STORE_EXIT))
		return -E_NOTSUP;
	/* The interrupt and NMI windows are opened on demand (vmm/vintr.c);
	 * the NMI window needs virtual NMIs (SDM Vol. 3C 25.6.1). */
	if (!(vmx_control(VMX_CTL_PROC, proc | PROC_INTR_WINDOW_EXIT) & PROC_INTR_WINDOW_EXIT))
		return -E_NOTSUP;
	v->nmi_windows = (pin & PIN_VIRTUAL_NMIS) &&
			 (vmx_control(VMX_CTL_PROC, proc | PROC_NMI_WINDOW_EXIT) & PROC_NMI_WINDOW_EXIT);
	v->proc_controls = proc;
	vmcs_write(VMCS_PIN_CONTROLS, pin);
	vmcs_write(VMCS_PROC_CONTROLS, proc);
	vmcs_write(VMCS_PROC2_CONTROLS, proc2);
	vmcs_write(VMCS_EXIT_CONTROLS, exitc);
	vmcs_write(VMCS_ENTRY_CONTROLS, entry);
	vmcs_write(VMCS_EXCEPTION_BITMAP, 0);
	vmcs_write(VMCS_IO_BITMAP_A, d->io_bitmap);
	vmcs_write(VMCS_IO_BITMAP_B, d->io_bitmap + PAGE_SIZE);
	vmcs_write(VMCS_MSR_BITMAP, d->msr_bitmap);
	vmcs_write(VMCS_EPT_POINTER, d->ept.eptp);
	if (proc2 & PROC2_ENABLE_VPID)
		vmcs_write(VMCS_VPID, v->vpid);
	vmcs_write(VMCS_LINK_POINTER, VMCS_LINK_NONE);
	vmcs_write(VMCS_CR0_MASK, vcpu_cr0_host_mask());
	vmcs_write(VMCS_CR4_MASK, vcpu_cr4_host_mask());
	return 0;
}

static void set_segment(unsigned n, uint16_t sel, uint64_t base, uint32_t limit, uint32_t ar)
{
	vmcs_write(VMCS_GUEST_ES_SEL + 2 * n, sel);
	vmcs_write(VMCS_GUEST_ES_BASE + 2 * n, base);
	vmcs_write(VMCS_GUEST_ES_LIMIT + 2 * n, limit);
	vmcs_write(VMCS_GUEST_ES_AR + 2 * n, ar);
}

enum { SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS, SEG_LDTR, SEG_TR };

/* The state QEMU's -kernel multiboot path starts a kernel in: 32-bit
 * protected mode, paging off, flat 4 GiB segments (Multiboot 0.6.96 3.2). */
void vcpu_set_protected_entry(struct vcpu *v, uint32_t entry, uint32_t eax, uint32_t ebx)
{
	uint32_t code = AR_TYPE_CODE_RX_ACCESSED | AR_S | AR_P | AR_DB | AR_G;
	uint32_t data = AR_TYPE_DATA_RW_ACCESSED | AR_S | AR_P | AR_DB | AR_G;

	vmcs_load(v->vmcs);
	set_segment(SEG_CS, 0x08, 0, SEG_LIMIT_4G, code);
	for (unsigned s = SEG_ES; s <= SEG_GS; s++)
		if (s != SEG_CS)
			set_segment(s, 0x10, 0, SEG_LIMIT_4G, data);
	set_segment(SEG_LDTR, 0, 0, 0, AR_UNUSABLE);
	set_segment(SEG_TR, 0, 0, TSS_LIMIT, AR_TYPE_TSS_BUSY | AR_P);
	vmcs_write(VMCS_GUEST_GDTR_BASE, 0);
	vmcs_write(VMCS_GUEST_GDTR_LIMIT, 0);
	vmcs_write(VMCS_GUEST_IDTR_BASE, 0);
	vmcs_write(VMCS_GUEST_IDTR_LIMIT, 0);
	vmcs_write(VMCS_CR0_SHADOW, CR0_PE | CR0_ET);
	vmcs_write(VMCS_GUEST_CR0, (CR0_PE | CR0_ET | vmx_caps.cr0_fixed0) & ~CR0_PG);
	vmcs_write(VMCS_CR4_SHADOW, 0);
	vmcs_write(VMCS_GUEST_CR4, vmx_caps.cr4_fixed0);
	vmcs_write(VMCS_GUEST_CR3, 0);
	vmcs_write(VMCS_GUEST_EFER, 0);
	vmcs_write(VMCS_GUEST_PAT, PAT_DEFAULT);
	vmcs_write(VMCS_GUEST_DR7, DR7_DEFAULT);
	vmcs_write(VMCS_GUEST_DEBUGCTL, 0);
	vmcs_write(VMCS_GUEST_RFLAGS, RFLAGS_FIXED);
	vmcs_write(VMCS_GUEST_RIP, entry);
	vmcs_write(VMCS_GUEST_RSP, 0);
	vmcs_write(VMCS_GUEST_ACTIVITY, ACTIVITY_ACTIVE);
	vmcs_write(VMCS_GUEST_INTERRUPTIBILITY, 0);
	vmcs_write(VMCS_GUEST_PENDING_DBG, 0);
	vmcs_write(VMCS_GUEST_SYSENTER_CS, 0);
	vmcs_write(VMCS_GUEST_SYSENTER_ESP, 0);
	vmcs_write(VMCS_GUEST_SYSENTER_EIP, 0);
	vmcs_write(VMCS_ENTRY_INTR_INFO, 0);
	memset(&v->regs, 0, sizeof(v->regs));
	v->regs.gpr[GPR_RAX] = eax;
	v->regs.gpr[GPR_RBX] = ebx;
	vmcs_clear(v->vmcs);
	v->launched = false;
}

/*
 * A start-up IPI: real mode at vector:0000 (SDM Vol. 3A 9.4.4.1 and table
 * 10-1, the state after INIT), with the VMCS current.
 */
static void set_sipi_entry(struct vcpu *v, uint8_t vector)
{
	uint32_t code = AR_TYPE_CODE_RX_ACCESSED | AR_S | AR_P;
	uint32_t data = AR_TYPE_DATA_RW_ACCESSED | AR_S | AR_P;

	for (unsigned s = SEG_ES; s <= SEG_GS; s++)
		set_segment(s, 0, 0, 0xffff, data);
	set_segment(SEG_CS, (uint16_t)(vector << 8), (uint64_t)vector << 12, 0xffff, code);
	set_segment(SEG_LDTR, 0, 0, 0xffff, AR_TYPE_LDT | AR_P);
	set_segment(SEG_TR, 0, 0, 0xffff, AR_TYPE_TSS_BUSY | AR_P);
	vmcs_write(VMCS_GUEST_GDTR_BASE, 0);
	vmcs_write(VMCS_GUEST_GDTR_LIMIT, 0xffff);
	vmcs_write(VMCS_GUEST_IDTR_BASE, 0);
	vmcs_write(VMCS_GUEST_IDTR_LIMIT, 0xffff);
	vmcs_write(VMCS_CR0_SHADOW, CR0_ET);
	vmcs_write(VMCS_GUEST_CR0, (CR0_ET | vmx_caps.cr0_fixed0) & ~(CR0_PG | CR0_PE));
	vmcs_write(VMCS_CR4_SHADOW, 0);
	vmcs_write(VMCS_GUEST_CR4, vmx_caps.cr4_fixed0);
	vmcs_write(VMCS_GUEST_CR3, 0);
	vmcs_write(VMCS_GUEST_EFER, 0);
	vmcs_write(VMCS_ENTRY_CONTROLS, vmcs_read(VMCS_ENTRY_CONTROLS) & ~ENTRY_IA32E_GUEST);
	vmcs_write(VMCS_GUEST_PAT, PAT_DEFAULT);
	vmcs_write(VMCS_GUEST_DR7, DR7_DEFAULT);
	vmcs_write(VMCS_GUEST_DEBUGCTL, 0);
	vmcs_write(VMCS_GUEST_RFLAGS, RFLAGS_FIXED);
	vmcs_write(VMCS_GUEST_RIP, 0);
	vmcs_write(VMCS_GUEST_RSP, 0);
	vmcs_write(VMCS_GUEST_ACTIVITY, ACTIVITY_ACTIVE);
	vmcs_write(VMCS_GUEST_INTERRUPTIBILITY, 0);
	vmcs_write(VMCS_GUEST_PENDING_DBG, 0);
	vmcs_write(VMCS_ENTRY_INTR_INFO, 0);
	memset(&v->regs, 0, sizeof(v->regs));
	v->regs.gpr[GPR_RDX] = cpuid(1, 0).eax;	/* the processor signature */
	v->xcr0 = XCR0_X87;
}

struct vcpu *vcpu_create(struct domain *d, uint32_t index)
{
	struct vcpu *v = kzalloc(sizeof(*v));
	int err = -E_NOMEM;

	if (!v)
		return NULL;
	v->dom = d;
	v->index = index;
	v->cpu = -1;
	v->last_cpu = -1;
	v->xcr0 = XCR0_X87;
	v->vpid = vpid_alloc();
	v->vmcs = page_alloc(0);
	v->fpu = fpu_alloc();
	if (v->vmcs && v->fpu) {
		*(uint32_t *)v->vmcs = vmx_caps.revision;
		vmcs_clear(v->vmcs);
		vmcs_load(v->vmcs);
		err = setup_controls(v);
		vmcs_clear(v->vmcs);
	}
	if (err) {
		vcpu_destroy(v);
		return NULL;
	}
	return v;
}

void vcpu_destroy(struct vcpu *v)
{
	if (v->vmcs)
		page_free(v->vmcs, 0);
	if (v->fpu)
		page_free((uint64_t)v->fpu, page_order_for(fpu_area_size));
	kfree(v);
}

static void write_host_state(void)
{
	struct percpu *p = this_cpu();
	struct desc_ptr idtr;

	__asm__ volatile("sidt %0" : "=m"(idtr));
	vmcs_write(VMCS_HOST_CR0, read_cr0());
	vmcs_write(VMCS_HOST_CR3, read_cr3());
	vmcs_write(VMCS_HOST_CR4, read_cr4());
	vmcs_write(VMCS_HOST_CS_SEL, GDT_KERNEL_CS);
	vmcs_write(VMCS_HOST_SS_SEL, GDT_KERNEL_DS);
	vmcs_write(VMCS_HOST_DS_SEL, GDT_KERNEL_DS);
	vmcs_write(VMCS_HOST_ES_SEL, GDT_KERNEL_DS);
	vmcs_write(VMCS_HOST_FS_SEL, 0);
	vmcs_write(VMCS_HOST_GS_SEL, 0);
	vmcs_write(VMCS_HOST_TR_SEL, GDT_TSS);
	vmcs_write(VMCS_HOST_FS_BASE, 0);
	vmcs_write(VMCS_HOST_GS_BASE, (uint64_t)p);
	vmcs_write(VMCS_HOST_TR_BASE, (uint64_t)&p->tables.tss);
	vmcs_write(VMCS_HOST_GDTR_BASE, (uint64_t)p->tables.gdt);
	vmcs_write(VMCS_HOST_IDTR_BASE, idtr.base);
	vmcs_write(VMCS_HOST_SYSENTER_CS, 0);
	vmcs_write(VMCS_HOST_SYSENTER_ESP, 0);
	vmcs_write(VMCS_HOST_SYSENTER_EIP, 0);
	vmcs_write(VMCS_HOST_EFER, rdmsr(MSR_IA32_EFER));
	vmcs_write(VMCS_HOST_PAT, rdmsr(MSR_IA32_PAT));
	vmcs_write(VMCS_HOST_RIP, (uint64_t)vmx_exit_point);
}

void vcpu_inject_exception(struct vcpu *v, unsigned vector, bool has_error, uint32_t error)
{
	uint32_t info = vector | (INTR_TYPE_HW_EXCEPTION << INTR_INFO_TYPE_SHIFT) | INTR_INFO_VALID;

	/* Real mode delivers no error code (SDM Vol. 3C 27.2.1.3). */
	if (has_error && (vmcs_read(VMCS_GUEST_CR0) & CR0_PE)) {
		info |= INTR_INFO_ERROR_CODE;
		vmcs_write(VMCS_ENTRY_EXCEPTION_ERROR, error);
	}
	(void)v;
	vmcs_write(VMCS_ENTRY_INTR_INFO, info);
}

/* Program the VMX-preemption timer for what is left of the slice, or up
 * to the next deadline of the guest's timers, whichever comes first. The
 * timers due by now have just fired into the interrupt controllers. */
static bool arm_slice_timer(struct vcpu *v)
{
	uint64_t now = rdtsc(), left, ticks, until;

	if (now >= v->slice_end)
		return false;
	until = MIN(v->slice_end, plat_vcpu_poll(v, now));
	if (vmx_caps.preemption_timer) {
		left = until > now ? until - now : 0;
		ticks = left >> vmx_caps.preemption_shift;
		vmcs_write(VMCS_PREEMPTION_TIMER, ticks > 0xffffffffULL ? 0xffffffffULL : ticks);
	}
	return true;
}

static enum exit_action enter_failed(struct vcpu *v)
{
	uint64_t err = vmcs_read(VMCS_VM_INSN_ERROR);

	domain_stop(v->dom, STOP_CRASH, -1, "VM entry failed on vCPU %u (VM-instruction error %lu)",
		    v->index, err);
	return EXIT_STOP;
}

static enum exit_action run_until_exit(struct vcpu *v)
{
	enum exit_action act = EXIT_RESUME;

	while (act == EXIT_RESUME) {
		if (v->dom->stopping)
			return EXIT_STOP;
		if (v->dom->state == DOM_PAUSED)
			return EXIT_END_SLICE;
		if (v->init_pending)
			return EXIT_WAIT_SIPI;
		if (!arm_slice_timer(v))
			return EXIT_END_SLICE;
		vintr_prepare(v);
		if (vmx_enter(&v->regs, v->launched))
			return enter_failed(v);
		v->launched = true;
		act = vmexit_dispatch(v, (uint32_t)vmcs_read(VMCS_EXIT_REASON));
	}
	return act;
}

static void flush_if_stale(void)
{
	struct percpu *p = this_cpu();
	uint64_t gen = __atomic_load_n(&tlb_generation, __ATOMIC_ACQUIRE);

	if (p->tlb_generation == gen)
		return;
	invept(INVEPT_ALL_CONTEXTS, 0);
	if (vmx_caps.vpid)
		invvpid(INVVPID_ALL_CONTEXTS, 0);
	p->tlb_generation = gen;
}

enum exit_action vcpu_run_slice(struct vcpu *v, uint64_t slice_tsc)
{
	uint64_t start;
	enum exit_action act;

	irq_disable();
	start = rdtsc();
	flush_if_stale();
	if (!vmcs_load(v->vmcs)) {
		irq_enable();
		domain_stop(v->dom, STOP_CRASH, -1, "cannot load the VMCS of vCPU %u", v->index);
		return EXIT_STOP;
	}
	write_host_state();
	if (v->sipi_pending) {
		set_sipi_entry(v, v->sipi_vector);
		v->sipi_pending = false;
	}
	this_cpu()->vcpu = v;
	fpu_guest_load(v);
	msr_guest_load(v);
	v->slice_end = start + slice_tsc;
	vmcs_write(VMCS_TSC_OFFSET, -v->dom->paused_cycles);	/* guest_tsc() */
	act = run_until_exit(v);
	msr_guest_save(v);
	fpu_guest_save(v);
	this_cpu()->vcpu = NULL;
	vmcs_clear(v->vmcs);
	v->launched = false;
	v->run_tsc += rdtsc() - start;
	irq_enable();
	return act;
}
