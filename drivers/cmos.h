/*
 * The host's real-time clock (MC146818-compatible, I/O ports 0x70/0x71):
 * read once to give guests a wall-clock time. Keel never writes it.
 */
#ifndef KEEL_DRIVERS_CMOS_H
#define KEEL_DRIVERS_CMOS_H

#include <stdint.h>

/* The RTC's time as Unix seconds, taking it as UTC. Returns 0, or -E_IO
 * when the clock stays busy (update in progress), never reads the same
 * twice, or holds no valid date. */
int cmos_read_time(uint64_t *unix_seconds);

#endif
