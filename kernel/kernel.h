/* What kmain() found at boot, for the rest of the kernel to read. */
#ifndef KEEL_KERNEL_H
#define KEEL_KERNEL_H

#include "boot/bootinfo.h"
#include "kernel/acpi.h"

extern const struct bootinfo *boot_info;
extern struct acpi_info acpi;	/* valid when acpi_ok */
extern bool acpi_ok;

/* The serial-console shell; runs on the boot CPU and never returns. */
void __attribute__((noreturn)) console_shell_run(void);

struct shell_cmd;
/* Add commands to the console shell (before console_shell_run()); higher
 * layers (vmm) bring their own. 0 or -E_NOMEM when the table is full. */
int console_add_commands(const struct shell_cmd *cmds, size_t n);

#endif
