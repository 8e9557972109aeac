/*
 * Interrupts into vCPUs: routing a message (an IPI, an I/O APIC entry, an
 * MSI) to the local APICs it names, waking or kicking the vCPU it is for,
 * and choosing at each VM entry what to inject (SDM Vol. 3C 27.6, "Event
 * Injection"; 26.7.5 and 26.7.6, the interrupt and NMI windows).
 *
 * A vCPU learns of a new event in one of three ways: it is halted (off the
 * run queue) and goes back on it; it is running on another CPU, which gets
 * a wake IPI and so a VM exit; or it is about to enter, and vintr_prepare()
 * sees the event before the entry.
 */
#include "arch/cpu.h"
#include "arch/lapic.h"
#include "arch/trap.h"
#include "kernel/log.h"
#include "kernel/percpu.h"
#include "vmm/exit.h"
#include "vmm/platform.h"
#include "vmm/vmm.h"

#define MSI_ADDR_BASE		0xfee00000ULL
#define MSI_ADDR_MASK		0xfff00000ULL
#define MSI_ADDR_DEST_SHIFT	12
#define MSI_ADDR_LOGICAL	(1u << 2)
#define MSI_DATA_MODE_SHIFT	8
#define MSI_DATA_LEVEL_TRIGGER	(1u << 15)

void vintr_kick(struct vcpu *v)
{
	struct domain *d = v->dom;
	uint64_t flags = spin_lock_irqsave(&d->lock);

	if (v->state == VCPU_HALTED && !d->stopping) {
		sched_enqueue(v);
	} else {
		v->wake = true;
		if (v->state == VCPU_RUNNING && v->cpu >= 0 && (uint32_t)v->cpu != this_cpu()->id)
			lapic_send_ipi(cpus[v->cpu].apic_id, VEC_IPI_WAKE);
	}
	spin_unlock_irqrestore(&d->lock, flags);
}

/* INIT: the vCPU resets and waits for a start-up IPI. It may be on another
 * CPU, so the reset happens at its next exit (vintr_prepare). */
static void deliver_init(struct vcpu *v)
{
	struct domain *d = v->dom;
	uint64_t flags = spin_lock_irqsave(&d->lock);
	bool parked = v->state == VCPU_WAIT_SIPI;

	if (!parked)
		v->init_pending = true;
	spin_unlock_irqrestore(&d->lock, flags);
	if (parked)
		vlapic_reset(&v->lapic);	/* nobody runs it: reset here */
	else
		vintr_kick(v);
}

/* SIPI: only a vCPU waiting for one starts (SDM Vol. 3A 9.4.4); the real-
 * mode entry is set up when it next runs, on whichever CPU takes it. */
static void deliver_sipi(struct vcpu *v, uint8_t vector)
{
	struct domain *d = v->dom;
	uint64_t flags = spin_lock_irqsave(&d->lock);
	bool start = v->state == VCPU_WAIT_SIPI && !v->init_pending && !d->stopping;

	if (start) {
		v->sipi_vector = vector;
		v->sipi_pending = true;
		sched_enqueue(v);
	}
	spin_unlock_irqrestore(&d->lock, flags);
}

static void deliver_one(struct vcpu *v, uint8_t mode, uint8_t vector, bool level)
{
	switch (mode) {
	case VLAPIC_DM_FIXED:
	case VLAPIC_DM_LOWEST:
		vlapic_set_irq(&v->lapic, vector, level);	/* notify kicks */
		break;
	case VLAPIC_DM_NMI:
		v->nmi_pending = true;
		vintr_kick(v);
		break;
	case VLAPIC_DM_INIT:
		deliver_init(v);
		break;
	case VLAPIC_DM_SIPI:
		deliver_sipi(v, vector);
		break;
	case VLAPIC_DM_EXTINT:
		vintr_kick(v);		/* the 8259 holds the vector */
		break;
	default:			/* SMI: Keel has no SMM */
		break;
	}
}

/*
 * Lowest-priority delivery goes to one matching vCPU: the first one, which
 * is what a simple chipset does and what Linux expects no more than.
 */
void vintr_deliver(struct domain *d, const struct vintr_msg *m)
{
	uint32_t n = d->nr_vcpus;

	for (uint32_t i = 0; i < n; i++) {
		struct vcpu *v = d->vcpus[i];

		if (!vlapic_match_dest(&v->lapic, m->dest, m->logical, m->x2apic))
			continue;
		deliver_one(v, m->mode, m->vector, m->level_trigger);
		if (m->mode == VLAPIC_DM_LOWEST)
			return;
	}
}

/* An IPI from a guest's local APIC (an ICR write). */
void vintr_ipi(struct vcpu *src, const struct vlapic_ipi *ipi)
{
	struct domain *d = src->dom;
	struct vintr_msg m = {
		.vector = ipi->vector, .mode = ipi->mode, .logical = ipi->logical,
		.dest = ipi->dest, .level_trigger = ipi->level_trigger, .x2apic = ipi->x2apic,
	};

	/* The de-assert half of an INIT level pair does nothing on xAPICs. */
	if (ipi->mode == VLAPIC_DM_INIT && !ipi->level_assert && ipi->level_trigger)
		return;
	for (uint32_t i = 0; i < d->nr_vcpus; i++) {
		struct vcpu *v = d->vcpus[i];

		switch (ipi->shorthand) {
		case VLAPIC_SH_SELF:
			if (v != src)
				continue;
			break;
		case VLAPIC_SH_ALL:
			break;
		case VLAPIC_SH_OTHERS:
			if (v == src)
				continue;
			break;
		default:
			if (!vlapic_match_dest(&v->lapic, m.dest, m.logical, m.x2apic))
				continue;
			break;
		}
		deliver_one(v, m.mode, m.vector, m.level_trigger);
		if (m.mode == VLAPIC_DM_LOWEST && ipi->shorthand == VLAPIC_SH_NONE)
			return;
	}
}

/* A memory write to 0xFEExxxxx from a device (SDM Vol. 3A 11.11, "Message
 * Signalled Interrupts"). Anything else is not an interrupt: dropped. */
void vintr_msi(struct domain *d, uint64_t addr, uint32_t data)
{
	struct vintr_msg m = {
		.vector = (uint8_t)data,
		.mode = (uint8_t)((data >> MSI_DATA_MODE_SHIFT) & 7),
		.logical = (addr & MSI_ADDR_LOGICAL) != 0,
		.dest = (uint32_t)(addr >> MSI_ADDR_DEST_SHIFT) & 0xff,
		.level_trigger = (data & MSI_DATA_LEVEL_TRIGGER) != 0,
	};

	if ((addr & MSI_ADDR_MASK) != MSI_ADDR_BASE)
		return;
	if (m.mode == VLAPIC_DM_INIT || m.mode == VLAPIC_DM_SIPI)
		return;		/* not something a device may send */
	vintr_deliver(d, &m);
}

/* ---- injection */

/* The 8259 reaches the boot vCPU through LINT0 in ExtINT mode (or with the
 * APIC disabled): the "virtual wire" of the MP specification. */
static bool extint_pending(struct vcpu *v)
{
	return v->index == 0 && vlapic_extint_enabled(&v->lapic) &&
	       vpic_has_interrupt(&v->dom->plat.pic);
}

static bool intr_pending(struct vcpu *v)
{
	return extint_pending(v) || vlapic_pending(&v->lapic) >= 0;
}

bool vintr_pending(struct vcpu *v)
{
	return v->nmi_pending || intr_pending(v);
}

static void set_window(struct vcpu *v, uint32_t bit, bool on)
{
	uint32_t want = on ? v->proc_controls | bit : v->proc_controls & ~bit;

	if (want != v->proc_controls) {
		v->proc_controls = want;
		vmcs_write(VMCS_PROC_CONTROLS, want);
	}
}

static void inject(uint32_t type, uint8_t vector)
{
	vmcs_write(VMCS_ENTRY_INTR_INFO, vector | (type << INTR_INFO_TYPE_SHIFT) | INTR_INFO_VALID);
}

/* Pick the interrupt to inject now and acknowledge it, or -1. */
static int take_interrupt(struct vcpu *v)
{
	int vec;

	if (extint_pending(v))
		return vpic_ack(&v->dom->plat.pic);
	vec = vlapic_pending(&v->lapic);
	if (vec >= 0)
		vlapic_ack(&v->lapic, (uint8_t)vec);
	return vec;
}

void vintr_prepare(struct vcpu *v)
{
	uint64_t block = vmcs_read(VMCS_GUEST_INTERRUPTIBILITY);
	bool busy = (vmcs_read(VMCS_ENTRY_INTR_INFO) & INTR_INFO_VALID) != 0;
	bool nmi_wait = false, intr_wait = false;
	int vec;

	if (v->nmi_pending) {
		if (!busy && !(block & (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS |
					INTERRUPTIBILITY_NMI))) {
			v->nmi_pending = false;
			inject(INTR_TYPE_NMI, VEC_NMI);
			busy = true;
		} else {
			nmi_wait = v->nmi_windows;
		}
	}
	if (!busy && (vmcs_read(VMCS_GUEST_RFLAGS) & RFLAGS_IF) &&
	    !(block & (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS))) {
		vec = take_interrupt(v);
		if (vec >= 0)
			inject(INTR_TYPE_EXT_INTR, (uint8_t)vec);
	}
	/* Whatever is still pending waits for the guest to open the window
	 * (STI, IRET, POPF), which exits only if asked to. */
	intr_wait = intr_pending(v);
	set_window(v, PROC_NMI_WINDOW_EXIT, nmi_wait);
	set_window(v, PROC_INTR_WINDOW_EXIT, intr_wait);
}
