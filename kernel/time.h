/*
 * Time: the TSC and LAPIC timer frequencies, measured at boot against a
 * reference clock (drivers/refclock.h), and what is derived from them.
 */
#ifndef KEEL_TIME_H
#define KEEL_TIME_H

#include <stdint.h>

struct acpi_info;

extern uint64_t tsc_hz;		/* 0 until calibrated */
extern uint64_t lapic_timer_hz;	/* LAPIC timer ticks/s at divide-by-16 */

void time_early_init(void);
/* Measure tsc_hz and lapic_timer_hz; acpi may be NULL. */
int time_calibrate(const struct acpi_info *acpi);
uint64_t time_since_boot_ns(void);
uint64_t tsc_to_ns(uint64_t ticks);
/* Busy-wait; uses the TSC once calibrated. */
void udelay(uint64_t us);
const char *time_refclock_name(void);
/* Seconds since 1970-01-01 UTC, from the host's RTC at boot and the TSC. */
uint64_t wall_clock_now(void);

#define TICK_HZ 100	/* LAPIC timer tick on every CPU */

#endif
