/*
 * Bringing up every CPU and talking to them: the CPU list (from the ACPI
 * MADT, or from UEFI MP Services via the loader), INIT-SIPI-SIPI start-up,
 * the per-CPU idle loop, and cross-CPU function calls.
 */
#ifndef KEEL_SMP_H
#define KEEL_SMP_H

#include "kernel/percpu.h"

struct bootinfo;
struct acpi_info;

/* Where the CPU list came from, for nodeinfo and the log. */
extern const char *cpu_list_source;

/* Fill cpus[] from the ACPI tables (acpi may be NULL) or the loader. */
void smp_discover(const struct bootinfo *bi, const struct acpi_info *acpi);
/* Start every CPU but this one; returns how many are online in all. */
uint32_t smp_boot_aps(const struct bootinfo *bi);
uint32_t smp_online_count(void);

/* Run fn(arg) on CPU 'cpu' from its interrupt context; waits until it has
 * been picked up (not until it returns). 0, -E_NOENT or -E_TIMEDOUT. */
int smp_call(uint32_t cpu, void (*fn)(void *), void *arg);

/* Register the timer tick and IPI handlers (once). */
void smp_irq_init(void);

/* The per-CPU idle loop; never returns. It calls the idle handler, or
 * halts until the next interrupt when there is none. */
void __attribute__((noreturn)) cpu_idle_loop(void);
/* One round of "nothing else to do" on this CPU (the idle handler or HLT). */
void cpu_idle_once(void);
/* Install what idle CPUs do (the vCPU scheduler); a higher layer calls it. */
void smp_set_idle_handler(void (*fn)(void));

#endif
