/* What kmain() found at boot, for the rest of the kernel to read. */
#ifndef KEEL_KERNEL_H
#define KEEL_KERNEL_H

#include "boot/bootinfo.h"
#include "kernel/acpi.h"
#include "kernel/shell.h"

extern const struct bootinfo *boot_info;
extern struct acpi_info acpi;	/* valid when acpi_ok */
extern bool acpi_ok;

/* The serial-console shell; runs on the boot CPU and never returns. */
void __attribute__((noreturn)) console_shell_run(void);

/* Add commands to the console shell (before console_shell_run()); higher
 * layers (vmm) bring their own. 0 or -E_NOMEM when the table is full. */
int console_add_commands(const struct shell_cmd *cmds, size_t n);

/* The context the shell's commands get (shell_ctx()), the Tab completion
 * hook for their values, and a hook run between two commands (never while
 * one runs). Any may be NULL. */
void console_set_context(void *ctx, shell_complete_fn complete, void (*between)(void *ctx));

#endif
