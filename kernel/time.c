/*
 * TSC and LAPIC timer calibration. Each is measured over a window of the
 * best reference clock the platform has: the ACPI PM timer, then the HPET,
 * then the PIT. The boot log says which one was used and what came out.
 */
#include "arch/cpu.h"
#include "arch/lapic.h"
#include "drivers/cmos.h"
#include "drivers/refclock.h"
#include "kernel/acpi.h"
#include "kernel/errno.h"
#include "kernel/log.h"
#include "kernel/time.h"

#define CALIBRATION_US	50000	/* one 50 ms window */
#define CALIBRATION_RUNS 3

uint64_t tsc_hz;
uint64_t lapic_timer_hz;
static uint64_t tsc_at_boot;
static struct refclock ref;

void time_early_init(void)
{
	tsc_at_boot = rdtsc();
}

uint64_t tsc_to_ns(uint64_t ticks)
{
	if (!tsc_hz)
		return 0;
	/* Split to avoid overflowing 64 bits: whole seconds, then the rest. */
	return ticks / tsc_hz * 1000000000ULL + ticks % tsc_hz * 1000000000ULL / tsc_hz;
}

uint64_t time_since_boot_ns(void)
{
	return tsc_to_ns(rdtsc() - tsc_at_boot);
}

void udelay(uint64_t us)
{
	uint64_t end;

	if (!tsc_hz) {
		ref.wait_us(&ref, (uint32_t)us);
		return;
	}
	end = rdtsc() + tsc_hz / 1000000 * us;
	while (rdtsc() < end)
		cpu_relax();
}

const char *time_refclock_name(void)
{
	return ref.name;
}

static void choose_reference(const struct acpi_info *acpi)
{
	const struct acpi_addr *pm = acpi ? &acpi->fadt.pm_timer : NULL;

	if (pm && pm->address && pm->space == ACPI_SPACE_IO && pm->address <= 0xffff &&
	    refclock_pmtimer(&ref, (uint16_t)pm->address, acpi->fadt.pm_timer_bits == 32))
		return;
	if (acpi && acpi->hpet.present && acpi->hpet.base.space == ACPI_SPACE_MEMORY &&
	    refclock_hpet(&ref, acpi->hpet.base.address))
		return;
	refclock_pit(&ref);
}

/* One window: TSC ticks and LAPIC timer ticks during CALIBRATION_US. */
static int measure(uint64_t *tsc, uint64_t *lapic)
{
	uint64_t t0, t1;
	uint32_t l0, l1;
	int err;

	lapic_timer_oneshot_masked(0xffffffff);
	l0 = lapic_timer_current();
	t0 = rdtsc();
	err = ref.wait_us(&ref, CALIBRATION_US);
	t1 = rdtsc();
	l1 = lapic_timer_current();
	lapic_timer_stop();
	*tsc = t1 - t0;
	*lapic = l0 - l1;
	return err;
}

/* The wall clock: the host's RTC read once, advanced with the TSC. */
static uint64_t wall_base, wall_base_tsc;

static void wall_init(void)
{
	uint64_t secs;

	if (cmos_read_time(&secs)) {
		pr_warn("time: the RTC cannot be read; guests' clocks start at 1970\n");
		secs = 0;
	}
	wall_base = secs;
	wall_base_tsc = rdtsc();
}

uint64_t wall_clock_now(void)
{
	return wall_base + (tsc_hz ? (rdtsc() - wall_base_tsc) / tsc_hz : 0);
}

int time_calibrate(const struct acpi_info *acpi)
{
	uint64_t tsc, lapic, best_tsc = ~0ULL, best_lapic = 0;
	int err;

	choose_reference(acpi);
	for (int i = 0; i < CALIBRATION_RUNS; i++) {
		err = measure(&tsc, &lapic);
		if (err) {
			pr_err("time: %s did not advance; timing will be wrong\n", ref.name);
			return err;
		}
		if (tsc < best_tsc) {	/* the least disturbed window */
			best_tsc = tsc;
			best_lapic = lapic;
		}
	}
	tsc_hz = best_tsc * (1000000 / CALIBRATION_US);
	lapic_timer_hz = best_lapic * (1000000 / CALIBRATION_US);
	wall_init();
	pr_info("time: TSC %lu.%03lu MHz, LAPIC timer %lu.%03lu MHz (measured against the %s)\n",
		tsc_hz / 1000000, tsc_hz / 1000 % 1000, lapic_timer_hz / 1000000,
		lapic_timer_hz / 1000 % 1000, ref.name);
	return 0;
}
