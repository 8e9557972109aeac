/*
 * kmain: the boot CPU's path from the loader's hand-over to the shell.
 *
 *   serial console -> boot-info check -> GDT/IDT/per-CPU -> memory ->
 *   own page tables -> ACPI -> LAPIC and time -> VMX -> other CPUs ->
 *   PCI -> domains (vmm/) -> shell
 *
 * A failure that leaves Keel unable to run (no memory map, no memory) is
 * reported on the console and stops; anything else is reported and Keel
 * goes on without the missing part.
 */
#include "arch/cpu.h"
#include "arch/lapic.h"
#include "arch/mmu.h"
#include "arch/trap.h"
#include "arch/vmx.h"
#include "drivers/ioapic.h"
#include "drivers/pci.h"
#include "drivers/uart.h"
#include "kernel/bootinfo.h"
#include "kernel/errno.h"
#include "kernel/kernel.h"
#include "kernel/log.h"
#include "kernel/mm.h"
#include "kernel/power.h"
#include "kernel/settings.h"
#include "kernel/smp.h"
#include "kernel/time.h"
#include "vmm/vmm.h"

const struct bootinfo *boot_info;
struct acpi_info acpi;
bool acpi_ok;

static void __attribute__((noreturn)) fatal(const char *what, const char *why)
{
	pr_err("keel: cannot continue: %s: %s\n", what, why);
	cpu_stop();
}

static const void *acpi_map(uint64_t phys, size_t len, void *ctx)
{
	(void)ctx;
	(void)len;
	return (const void *)phys;	/* identity-mapped */
}

static void log_acpi(void)
{
	for (uint32_t i = 0; i < acpi.nr_tables; i++) {
		const struct acpi_table_ref *t = &acpi.tables[i];

		pr_info("acpi: %s at 0x%lx, %u bytes, %s %s\n", t->sig, t->phys, t->length,
			t->oem_id, t->status == ACPI_TABLE_OK ? "" : acpi_table_status_str(t->status));
	}
}

static void acpi_init(void)
{
	int err;

	if (!boot_info->rsdp) {
		pr_info("acpi: the firmware published no ACPI tables\n");
		return;
	}
	err = acpi_parse(boot_info->rsdp, acpi_map, NULL, &acpi);
	if (err) {
		pr_err("acpi: unusable tables at 0x%lx: %s\n", boot_info->rsdp, err_str(err));
		return;
	}
	acpi_ok = true;
	log_acpi();
}

static void boot_cpu_init(void)
{
	idt_init();
	cpus[0].id = 0;
	percpu_setup(&cpus[0]);
}

static void memory_init(void)
{
	int err = mm_init(boot_info);

	if (err)
		fatal("memory", err_str(err));
	err = mmu_init(bootinfo_memory_top(boot_info), boot_info->kernel_phys);
	if (err)
		fatal("page tables", err_str(err));
}

static void check_bootinfo(const struct bootinfo *bi)
{
	const char *why;

	if (bootinfo_check(bi, &why))
		fatal("boot-info record", why);
	boot_info = bi;
	pr_info("keel %s (%s), loaded by %s on %s firmware rev 0x%x\n", KEEL_VERSION,
		KEEL_GITREV, bi->loader_name, bi->firmware_vendor, bi->firmware_revision);
}

static void console_irq(struct trap_frame *f)
{
	(void)f;
	uart_rx_interrupt();
}

/* Console input by interrupt where the I/O APIC can route COM1's IRQ 4 to
 * this CPU; the shell's polling still works without it. */
static void console_irq_init(void)
{
	int err = ioapic_route_isa(acpi_ok ? &acpi : NULL, COM1_IRQ, VEC_CONSOLE,
				   cpus[0].apic_id);

	if (err) {
		pr_info("console: input is polled (no I/O APIC route for IRQ %u)\n", COM1_IRQ);
		return;
	}
	irq_register(VEC_CONSOLE, console_irq);
	uart_enable_rx_interrupt();
}

void kmain(const struct bootinfo *bi);
void kmain(const struct bootinfo *bi)
{
	time_early_init();
	boot_cpu_init();
	uart_init(COM1_PORT, 115200);
	console_write("\r\n", 2);
	check_bootinfo(bi);
	settings_load(bi);
	memory_init();
	acpi_init();
	lapic_init();
	cpus[0].apic_id = lapic_id();
	cpus[0].state = CPU_ONLINE;
	time_calibrate(acpi_ok ? &acpi : NULL);
	smp_irq_init();
	lapic_timer_periodic(VEC_LAPIC_TIMER, (uint32_t)(lapic_timer_hz / TICK_HZ));
	power_init(acpi_ok ? &acpi : NULL);
	vmx_detect();
	vmx_cpu_enable(&cpus[0]);
	smp_discover(bi, acpi_ok ? &acpi : NULL);
	smp_boot_aps(bi);
	pci_init(acpi_ok ? &acpi : NULL);
	console_irq_init();
	irq_enable();
	vmm_init();
	console_shell_run();
}
