/* Local APIC access in both modes (SDM Vol. 3A 11.4, 11.12). */
#include "arch/cpu.h"
#include "arch/lapic.h"
#include "arch/trap.h"

#define APIC_BASE_EXTD		(1ULL << 10)	/* x2APIC mode */
#define APIC_BASE_ENABLE	(1ULL << 11)
#define APIC_BASE_ADDR_MASK	0xffffff000ULL

/* Register offsets in the xAPIC page; the x2APIC MSR is 0x800 + off/16. */
#define LAPIC_ID	0x020
#define LAPIC_TPR	0x080
#define LAPIC_EOI	0x0b0
#define LAPIC_SVR	0x0f0
#define LAPIC_ICR_LO	0x300
#define LAPIC_ICR_HI	0x310
#define LAPIC_LVT_TIMER	0x320
#define LAPIC_TIMER_ICR	0x380
#define LAPIC_TIMER_CCR	0x390
#define LAPIC_TIMER_DCR	0x3e0

#define SVR_ENABLE		(1u << 8)
#define LVT_MASKED		(1u << 16)
#define LVT_TIMER_PERIODIC	(1u << 17)
#define TIMER_DIV_16		0x3
#define ICR_DELIVERY_INIT	(5u << 8)
#define ICR_DELIVERY_SIPI	(6u << 8)
#define ICR_DELIVERY_NMI	(4u << 8)
#define ICR_DELIVERY_FIXED	(0u << 8)
#define ICR_PENDING		(1u << 12)
#define ICR_LEVEL_ASSERT	(1u << 14)
#define ICR_TRIGGER_LEVEL	(1u << 15)
#define ICR_SPIN_MAX		1000000

static volatile uint32_t *xapic;	/* identity-mapped MMIO page */
static bool x2apic;

static uint32_t rd(uint32_t off)
{
	if (x2apic)
		return (uint32_t)rdmsr(0x800 + (off >> 4));
	return xapic[off / 4];
}

static void wr(uint32_t off, uint32_t v)
{
	if (x2apic)
		wrmsr(0x800 + (off >> 4), v);
	else
		xapic[off / 4] = v;
}

void lapic_init(void)
{
	uint64_t base = rdmsr(MSR_IA32_APIC_BASE);

	if (!(base & APIC_BASE_ENABLE)) {
		base |= APIC_BASE_ENABLE;
		wrmsr(MSR_IA32_APIC_BASE, base);
	}
	x2apic = base & APIC_BASE_EXTD;
	xapic = (volatile uint32_t *)(base & APIC_BASE_ADDR_MASK);
	wr(LAPIC_TPR, 0);
	wr(LAPIC_SVR, SVR_ENABLE | VEC_SPURIOUS);
	wr(LAPIC_LVT_TIMER, LVT_MASKED);
}

bool lapic_x2apic(void)
{
	return x2apic;
}

uint32_t lapic_id(void)
{
	return x2apic ? rd(LAPIC_ID) : rd(LAPIC_ID) >> 24;
}

void lapic_eoi(void)
{
	wr(LAPIC_EOI, 0);
}

static void send_icr(uint32_t apic_id, uint32_t lo)
{
	if (x2apic) {
		wrmsr(0x830, ((uint64_t)apic_id << 32) | lo);
		return;
	}
	wr(LAPIC_ICR_HI, apic_id << 24);
	wr(LAPIC_ICR_LO, lo);
	for (int i = 0; i < ICR_SPIN_MAX && (rd(LAPIC_ICR_LO) & ICR_PENDING); i++)
		cpu_relax();
}

void lapic_send_init(uint32_t apic_id)
{
	send_icr(apic_id, ICR_DELIVERY_INIT | ICR_LEVEL_ASSERT | ICR_TRIGGER_LEVEL);
}

void lapic_send_sipi(uint32_t apic_id, uint8_t vector_page)
{
	send_icr(apic_id, ICR_DELIVERY_SIPI | ICR_LEVEL_ASSERT | vector_page);
}

void lapic_send_ipi(uint32_t apic_id, uint8_t vector)
{
	send_icr(apic_id, ICR_DELIVERY_FIXED | ICR_LEVEL_ASSERT | vector);
}

void lapic_send_nmi(uint32_t apic_id)
{
	send_icr(apic_id, ICR_DELIVERY_NMI | ICR_LEVEL_ASSERT);
}

void lapic_timer_oneshot_masked(uint32_t count)
{
	wr(LAPIC_TIMER_DCR, TIMER_DIV_16);
	wr(LAPIC_LVT_TIMER, LVT_MASKED);
	wr(LAPIC_TIMER_ICR, count);
}

uint32_t lapic_timer_current(void)
{
	return rd(LAPIC_TIMER_CCR);
}

void lapic_timer_oneshot(uint8_t vector, uint32_t count)
{
	wr(LAPIC_TIMER_DCR, TIMER_DIV_16);
	wr(LAPIC_LVT_TIMER, vector);
	wr(LAPIC_TIMER_ICR, count ? count : 1);
}

void lapic_timer_periodic(uint8_t vector, uint32_t count)
{
	wr(LAPIC_TIMER_DCR, TIMER_DIV_16);
	wr(LAPIC_LVT_TIMER, LVT_TIMER_PERIODIC | vector);
	wr(LAPIC_TIMER_ICR, count);
}

void lapic_timer_stop(void)
{
	wr(LAPIC_LVT_TIMER, LVT_MASKED);
	wr(LAPIC_TIMER_ICR, 0);
}
