/*
 * Local APIC (SDM Vol. 3A chapter 11), in xAPIC (MMIO) or x2APIC (MSR) mode,
 * whichever the firmware left enabled: EOI, IPIs, the timer.
 */
#ifndef KEEL_ARCH_LAPIC_H
#define KEEL_ARCH_LAPIC_H

#include <stdbool.h>
#include <stdint.h>

void lapic_init(void);		/* this CPU: enable, spurious vector, TPR 0 */
uint32_t lapic_id(void);
void lapic_eoi(void);
bool lapic_x2apic(void);

/* IPIs (SDM Vol. 3A 11.6.1). */
void lapic_send_init(uint32_t apic_id);
void lapic_send_sipi(uint32_t apic_id, uint8_t vector_page);
void lapic_send_ipi(uint32_t apic_id, uint8_t vector);
void lapic_send_nmi(uint32_t apic_id);

/* Timer: counts down from 'count' at the bus clock divided by 16. */
void lapic_timer_oneshot_masked(uint32_t count);
uint32_t lapic_timer_current(void);
void lapic_timer_periodic(uint8_t vector, uint32_t count);
void lapic_timer_oneshot(uint8_t vector, uint32_t count);	/* one interrupt */
void lapic_timer_stop(void);

#endif
