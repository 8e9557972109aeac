/*
 * The three reference clocks (drivers/refclock.h):
 *  - ACPI PM timer: 3.579545 MHz free-running counter, 24 or 32 bits
 *    (ACPI 6.5, 4.8.3.3);
 *  - HPET main counter (IA-PC HPET spec 1.0a, 2.3): period in fs in the
 *    capabilities register;
 *  - 8254 PIT channel 2 in mode 0, gated through port 0x61, whose bit 5
 *    shows the channel's output going high when the count runs out.
 */
#include "arch/cpu.h"
#include "drivers/refclock.h"
#include "kernel/errno.h"

#define PMTIMER_HZ		3579545ULL
#define HPET_CAP		0x000
#define HPET_CONFIG		0x010
#define HPET_COUNTER		0x0f0
#define HPET_CFG_ENABLE		0x1ULL
#define FS_PER_S		1000000000000000ULL
#define PIT_HZ			1193182ULL
#define PIT_CH2_DATA		0x42
#define PIT_COMMAND		0x43
#define PIT_CMD_CH2_MODE0	0xb0	/* channel 2, lo/hi byte, mode 0, binary */
#define PORT_B			0x61
#define PORT_B_GATE2		0x01
#define PORT_B_SPEAKER		0x02
#define PORT_B_OUT2		0x20
#define SPIN_LIMIT		400000000ULL	/* no clock runs this slowly */

static uint64_t pm_read(const struct refclock *rc)
{
	return inl((uint16_t)rc->base) & rc->mask;
}

static int pm_wait(const struct refclock *rc, uint32_t us)
{
	uint64_t ticks = PMTIMER_HZ * us / 1000000, start = pm_read(rc), spins = 0;

	while (((pm_read(rc) - start) & rc->mask) < ticks)
		if (++spins > SPIN_LIMIT)
			return -E_TIMEDOUT;
	return 0;
}

bool refclock_pmtimer(struct refclock *rc, uint16_t port, bool is32)
{
	uint64_t a, spins = 0;

	*rc = (struct refclock){ "ACPI PM timer", pm_wait, port,
				 is32 ? 0xffffffffULL : 0xffffffULL, PMTIMER_HZ };
	if (!port)
		return false;
	a = pm_read(rc);
	while (pm_read(rc) == a)	/* must be ticking */
		if (++spins > 1000000)
			return false;
	return true;
}

static uint64_t hpet_reg(const struct refclock *rc, uint32_t off)
{
	return *(volatile uint64_t *)(rc->base + off);
}

static int hpet_wait(const struct refclock *rc, uint32_t us)
{
	uint64_t ticks = rc->hz * us / 1000000, start = hpet_reg(rc, HPET_COUNTER), spins = 0;

	while (hpet_reg(rc, HPET_COUNTER) - start < ticks)
		if (++spins > SPIN_LIMIT)
			return -E_TIMEDOUT;
	return 0;
}

bool refclock_hpet(struct refclock *rc, uint64_t mmio)
{
	uint64_t period_fs;

	*rc = (struct refclock){ "HPET", hpet_wait, mmio, ~0ULL, 0 };
	if (!mmio)
		return false;
	period_fs = hpet_reg(rc, HPET_CAP) >> 32;
	if (period_fs == 0 || period_fs > 100000000)	/* spec: at most 100 ns */
		return false;
	rc->hz = FS_PER_S / period_fs;
	*(volatile uint64_t *)(mmio + HPET_CONFIG) |= HPET_CFG_ENABLE;
	return true;
}

/* One PIT run is at most 65535 ticks (~54.9 ms); longer waits are chained. */
static int pit_wait(const struct refclock *rc, uint32_t us)
{
	while (us) {
		uint32_t chunk = us > 50000 ? 50000 : us;
		uint32_t count = (uint32_t)(PIT_HZ * chunk / 1000000);
		uint8_t b = inb(PORT_B) & ~(PORT_B_GATE2 | PORT_B_SPEAKER);
		uint64_t spins = 0;

		outb(PORT_B, b);
		outb(PIT_COMMAND, PIT_CMD_CH2_MODE0);
		outb(PIT_CH2_DATA, count & 0xff);
		outb(PIT_CH2_DATA, count >> 8);
		outb(PORT_B, b | PORT_B_GATE2);
		while (!(inb(PORT_B) & PORT_B_OUT2))
			if (++spins > SPIN_LIMIT)
				return -E_TIMEDOUT;
		us -= chunk;
	}
	(void)rc;
	return 0;
}

void refclock_pit(struct refclock *rc)
{
	*rc = (struct refclock){ "PIT", pit_wait, PIT_COMMAND, 0xffff, PIT_HZ };
}
