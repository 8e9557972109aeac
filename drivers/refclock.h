/*
 * Reference clocks used once, at boot, to measure the TSC and the LAPIC
 * timer: the ACPI PM timer or the HPET where the ACPI tables name one, the
 * 8254 PIT otherwise. Never CPUID's claimed frequency (Bochs's TSC, for
 * one, counts instructions, not time).
 */
#ifndef KEEL_DRIVERS_REFCLOCK_H
#define KEEL_DRIVERS_REFCLOCK_H

#include <stdbool.h>
#include <stdint.h>

struct refclock {
	const char *name;
	/* Busy-wait for 'us' microseconds of this clock; 0 or -E_TIMEDOUT. */
	int (*wait_us)(const struct refclock *rc, uint32_t us);
	uint64_t base;		/* I/O port or MMIO address */
	uint64_t mask;		/* counter width (PM timer) */
	uint64_t hz;		/* counter frequency */
};

/* Fill *rc for the given clock; false if it is not usable. */
bool refclock_pmtimer(struct refclock *rc, uint16_t port, bool is32);
bool refclock_hpet(struct refclock *rc, uint64_t mmio);
void refclock_pit(struct refclock *rc);

#endif
