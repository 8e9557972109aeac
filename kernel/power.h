/* Resetting the machine. */
#ifndef KEEL_POWER_H
#define KEEL_POWER_H

struct acpi_info;

void power_init(const struct acpi_info *acpi);
/* Reset the machine: the ACPI reset register where the FADT has one,
 * port 0xCF9, the keyboard controller, and a triple fault, in that order. */
void __attribute__((noreturn)) power_reset(void);

#endif
